"""`eduportal storage usage` as an operator runs it: what the stores hold, against the quota."""

from __future__ import annotations

import json
from pathlib import Path

from eduportal.adapters.local.file_store import LocalObjectStore
from tests.support.cli import run_cli


def test_storage_usage_reports_each_prefix_and_the_quota_share(
    env: dict[str, str],
) -> None:
    """Exit 3 past 80 % of the quota, as the monitoring alarm; the archive apart."""
    data = Path(env["EDUPORTAL_DATA_DIR"])
    store = LocalObjectStore(data)
    store.put("uploads/i1/a.png", b"u" * 600, content_type="image/png", cache_control="no-cache")
    store.put("drafts/t/d.webp", b"d" * 200, content_type="image/webp", cache_control="no-cache")
    LocalObjectStore(data / "archive").put(
        "archive/i1/a.png", b"u" * 600, content_type="image/png", cache_control="no-cache"
    )

    roomy = run_cli(["storage", "usage", "--quota-bytes", "10000"], env)
    assert roomy.returncode == 0, roomy.stderr
    report = json.loads(roomy.stdout)
    assert report["images"]["bytes"] == 800 and report["archive"]["bytes"] == 600
    assert report["images"]["by_prefix"] == {
        "drafts/": {"objects": 1, "bytes": 200},
        "uploads/": {"objects": 1, "bytes": 600},
    }
    assert report["quota_used"] == 0.08 and report["advice"] == []

    full = run_cli(["storage", "usage"], {**env, "EDUPORTAL_STORAGE_QUOTA_BYTES": "900"})
    assert full.returncode == 3
    assert "89% of its quota" in json.loads(full.stdout)["advice"][0]
    unset = json.loads(run_cli(["storage", "usage"], env).stdout)
    assert unset["quota_used"] is None and "No quota is set" in unset["advice"][0]
