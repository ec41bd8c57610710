"""The Terraform providers' schemas, so tests can check `infrastructure/*.tf` against the real
providers: no provider can be downloaded here, so `terraform validate` cannot run.

They are read out of cdktf's npm packages (tests/support/provider_extract.py says how). The
random provider's package is small, and `npm ci` installs it; the AWS provider's is 390 MB
unpacked, for a schema whose extract is 1.3 MB, so that extract is kept in the repository
(tests/data/provider-schemas/aws.json.gz, 140 KB) with the package and the extractor that made
it, and `make provider-schemas` remakes it. A test fails when the extractor has changed since.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from tests.support.provider_extract import KEPT, KINDS, extract

NODE_MODULES: Final = Path(__file__).resolve().parents[2] / "node_modules"


@dataclass(frozen=True)
class Attribute:
    required: bool
    holds_objects: bool
    """Its value may be a list of objects (type `any`, a list of maps): hcl2 gives such a value
    in the shape of blocks, so that shape is no sign of an attribute written as a block."""


@dataclass(frozen=True)
class NestedBlock:
    required: bool
    single: bool
    """At most one (max_items 1)."""
    attribute_syntax: bool
    """An object-typed argument rather than a block: `name = {...}` or `[{...}]` is accepted
    as well as block syntax (jsii does not tell which of the two the provider accepts)."""
    body: Body | None
    """None where cdktf typed the content `any` (schemas too deep, such as wafv2's
    `statement`), so it is not checked."""


@dataclass(frozen=True)
class Body:
    """What may be written inside one block: a resource, a data source, a provider, or a
    nested block."""

    attributes: dict[str, Attribute]
    blocks: dict[str, NestedBlock]

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Body:
        return cls(
            {name: Attribute(*flags) for name, flags in raw["attributes"].items()},
            {
                name: NestedBlock(required, single, syntax, cls.from_json(body) if body else None)
                for name, (required, single, syntax, body) in raw["blocks"].items()
            },
        )

    @property
    def names(self) -> list[str]:
        return [*self.attributes, *self.blocks]


@dataclass(frozen=True)
class ProviderSchemas:
    """Every resource, data source and provider configuration of the packages, by Terraform
    name; each body is decoded when asked for, as a run needs few of the thousands."""

    sources: tuple[str, ...]
    """The providers they were generated from, such as `hashicorp/aws 6.25.0`."""
    raw: dict[str, dict[str, dict[str, Any]]]

    def body(self, kind: str, name: str) -> Body | None:
        """The schema of a `resources`, `data_sources` or `providers` entry, if it exists."""
        raw = self.raw[kind].get(name)
        return Body.from_json(raw) if raw is not None else None

    def names(self, kind: str) -> list[str]:
        return list(self.raw[kind])


@cache
def schemas(node_modules: Path = NODE_MODULES) -> ProviderSchemas:
    """The AWS provider's schemas as kept in the repository, and the random provider's read
    from its package."""
    random = node_modules / "@cdktf" / "provider-random"
    if not (random / ".jsii").exists():
        raise FileNotFoundError(f"{random} is missing: `make test` installs it (npm ci)")
    return _merge([kept(), extract(random)])


def kept(path: Path = KEPT) -> dict[str, Any]:
    """The AWS provider's schemas `make provider-schemas` extracted."""
    loaded: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return loaded


def _merge(extracted: Iterable[dict[str, Any]]) -> ProviderSchemas:
    sources: list[str] = []
    raw: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KINDS.values()}
    for each in extracted:
        sources.append(each["source"])
        for kind in KINDS.values():
            raw[kind].update(each[kind])
    return ProviderSchemas(tuple(sources), raw)
