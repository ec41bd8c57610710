"""The Terraform providers' schemas, read from npm packages, so tests can check
`infrastructure/*.tf` against the real providers: no provider can be downloaded here, so
`terraform validate` cannot run.

Where the schemas come from: `@cdktf/provider-aws` and `@cdktf/provider-random` (pinned in
package.json, installed by `npm ci` in `make test`) are generated from the providers' own
schemas; their package.json's `cdktf.provider` names the provider and its version. CDKTF was
sunset and these packages are deprecated, but what they were generated from is still the
provider's schema, and nothing else that carries it installs from a registry we reach. Both are
MPL-2.0 and used unmodified, as data.

How it is read: each package's jsii assembly (`.jsii`, 130 MB of JSON for aws) has a class per
resource, data source and provider whose constructor takes a `...Config` interface, one
property per argument, `optional` unless the argument is required. A nested block's property
is typed by a struct interface (alone when the block is at most one, in an array otherwise) and
its summary says "NAME block.". Every property's docs link the registry page with the Terraform
name as anchor (`...s3_bucket_versioning#versioning_configuration`); that name is used as is,
never derived from the camelCase property, which cdktf sometimes renames (`equals` is
`equalTo`, `self` is `selfAttribute`). The Terraform type (the class's static `tfResourceType`)
is a constant whose value jsii does not record; the class's summary links it as
`{@link https://registry.terraform.io/.../s3_bucket_versioning aws_s3_bucket_versioning}`, the
same name as the static's value in the package's lib/*/index.js for every class of both
packages (compared when these packages were chosen).

What jsii cannot say, and so is not checked: computed-only attributes are absent from the
Config interfaces, so setting one is reported as unknown, as Terraform reports it; list and set
nesting look alike; only max_items 1 is known (as a struct without an array).

Reading the aws assembly takes seconds, so the compact result is cached as JSON under
node_modules/.cache, keyed by the package's version and this module's source: `npm ci` or a
change to this extraction starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

NODE_MODULES: Final = Path(__file__).resolve().parents[2] / "node_modules"
PACKAGES: Final = ("@cdktf/provider-aws", "@cdktf/provider-random")
CACHE_FOLDER: Final = ".cache/eduportal-provider-schemas"

_KINDS: Final = {
    "cdktf.TerraformResource": "resources",
    "cdktf.TerraformDataSource": "data_sources",
    "cdktf.TerraformProvider": "providers",
}
_TYPE_NAME: Final = re.compile(r"^Represents a \{@link https://registry\.terraform\.io/\S+ (\w+)\}")
_ANCHOR: Final = re.compile(r"\{@link https://registry\.terraform\.io/providers/\S*#(\w+) ")
_EXTRACTOR: Final = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


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
    """The schemas of all PACKAGES, from the cache when it has them."""
    return _merge(load(node_modules / name, node_modules / CACHE_FOLDER) for name in PACKAGES)


def _merge(extracted: Iterable[dict[str, Any]]) -> ProviderSchemas:
    sources: list[str] = []
    raw: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in _KINDS.values()}
    for each in extracted:
        sources.append(each["source"])
        for kind in _KINDS.values():
            raw[kind].update(each[kind])
    return ProviderSchemas(tuple(sources), raw)


def load(package: Path, cache_dir: Path) -> dict[str, Any]:
    """One package's extracted schemas, extracted and cached on first use."""
    if not (package / ".jsii").exists():
        raise FileNotFoundError(f"{package} is missing: `make test` installs it (npm ci)")
    manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
    stem = manifest["name"].lstrip("@").replace("/", "-")
    cached = cache_dir / f"{stem}@{manifest['version']}-{_EXTRACTOR}.json"
    if cached.exists():
        loaded: dict[str, Any] = json.loads(cached.read_bytes())
        return loaded
    extracted = extract(package)
    cache_dir.mkdir(parents=True, exist_ok=True)
    for stale in cache_dir.glob(f"{stem}@*.json"):
        stale.unlink()
    # Written whole then renamed, so a run stopped halfway or a parallel run never reads half.
    with tempfile.NamedTemporaryFile("w", dir=cache_dir, suffix=".tmp", delete=False) as out:
        json.dump(extracted, out, separators=(",", ":"))
    Path(out.name).replace(cached)
    return extracted


def extract(package: Path) -> dict[str, Any]:
    """The compact schemas of one cdktf provider package, read from its jsii assembly."""
    manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
    provider = manifest["cdktf"]["provider"]
    source = f"{provider['name'].removeprefix('registry.terraform.io/')} {provider['version']}"
    types: dict[str, dict[str, Any]] = json.loads((package / ".jsii").read_bytes())["types"]
    extracted: dict[str, Any] = {"source": source, **{kind: {} for kind in _KINDS.values()}}
    for class_ in types.values():
        kind = _KINDS.get(class_.get("base", ""))
        if kind is None:
            continue
        match = _TYPE_NAME.match(class_["docs"]["summary"])
        assert match, f"{class_['fqn']}: no Terraform type in {class_['docs']['summary']!r}"
        config = class_["initializer"]["parameters"][-1]
        assert config["name"] == "config", f"{class_['fqn']}: no config parameter"
        extracted[kind][match.group(1)] = _body(types, config["type"]["fqn"])
    return extracted


def _body(types: dict[str, dict[str, Any]], fqn: str) -> dict[str, Any]:
    """A struct interface as `{"attributes": {name: [required, holds_objects]}, "blocks":
    {name: [required, single, attribute_syntax, body or None]}}`, its own properties only (a
    Config interface inherits the meta-arguments, which the checker knows)."""
    attributes: dict[str, list[bool]] = {}
    blocks: dict[str, list[Any]] = {}
    for prop in types[fqn].get("properties", []):
        docs = prop["docs"]
        anchor = _ANCHOR.search(f"{docs.get('summary', '')} {docs.get('remarks', '')}")
        assert anchor, f"{fqn}.{prop['name']}: no registry link naming it"
        name, required = anchor.group(1), not prop.get("optional", False)
        struct = _struct(types, prop["type"])
        if struct is not None or docs.get("summary", "").endswith(" block."):
            nested = _body(types, struct[0]) if struct else None
            single = struct[1] if struct else False
            blocks[name] = [
                required,
                single,
                not docs.get("summary", "").endswith(" block."),
                nested,
            ]
        else:
            attributes[name] = [required, _holds_objects(prop["type"])]
    return {"attributes": attributes, "blocks": blocks}


def _struct(types: dict[str, dict[str, Any]], type_: dict[str, Any]) -> tuple[str, bool] | None:
    """(struct fqn, single) when the type is a struct, or an array of them (in a union with
    IResolvable, as cdktf types lists of blocks)."""
    if "fqn" in type_:
        found = types.get(type_["fqn"])
        return (type_["fqn"], True) if found and found.get("datatype") else None
    if "union" in type_:
        for member in type_["union"]["types"]:
            if (struct := _struct(types, member)) is not None:
                return struct
        return None
    collection = type_.get("collection")
    if collection and collection["kind"] == "array":
        element = _struct(types, collection["elementtype"])
        return (element[0], False) if element else None
    return None


def _holds_objects(type_: dict[str, Any]) -> bool:
    if type_.get("primitive") == "any":
        return True
    if "union" in type_:
        return any(_holds_objects(member) for member in type_["union"]["types"])
    collection = type_.get("collection")
    if collection is None:
        return False
    element = collection["elementtype"]
    return (collection["kind"] == "array" and "collection" in element) or _holds_objects(element)
