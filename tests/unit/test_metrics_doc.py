"""docs/metrics.md is what operators and the Terraform alarms are written from: its table must
name every metric of the catalogue with its kind, unit and dimensions, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from eduportal.observability.metrics import CATALOGUE

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_the_table_lists_every_metric_with_its_kind_unit_and_dimensions() -> None:
    rows = {
        match[0]: (match[1], match[2], match[3])
        for match in re.findall(
            r"^\| `(\w+)` \| (counter|histogram) \| (\w+) \|([^|]*)\|", DOC.read_text(), re.M
        )
    }
    assert set(rows) == {spec.name for spec in CATALOGUE}
    for spec in CATALOGUE:
        kind, unit, dimensions = rows[spec.name]
        assert (kind, unit) == (spec.kind, spec.unit), spec.name
        named = dimensions.split(";")[0].strip()
        assert named == ", ".join(spec.labels), spec.name
        assert ("alone" in dimensions) == (spec.alarm_labels is not None), spec.name
