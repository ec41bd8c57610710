"""Reading a Terraform provider's schema out of its cdktf npm package, and writing the AWS one
into the repository (tests/support/provider_schema.py says why it is kept there).

`@cdktf/provider-aws` and `@cdktf/provider-random` are generated from the providers' own
schemas; a package.json's `cdktf.provider` names the provider and its version. CDKTF was sunset
and these packages are deprecated, but what they were generated from is still the provider's
schema, and nothing else that carries it installs from a registry we reach. Both are MPL-2.0
and used unmodified, as data.

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

`make provider-schemas` installs the aws package outside the project and runs this module on
it: `python -m tests.support.provider_extract PACKAGE_DIR` writes tests/data/provider-schemas/.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any, Final

KINDS: Final = {
    "cdktf.TerraformResource": "resources",
    "cdktf.TerraformDataSource": "data_sources",
    "cdktf.TerraformProvider": "providers",
}
EXTRACTOR: Final = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
"""This module's version: a kept schema made by another is stale."""
KEPT: Final = Path(__file__).resolve().parents[1] / "data" / "provider-schemas" / "aws.json.gz"

_TYPE_NAME: Final = re.compile(r"^Represents a \{@link https://registry\.terraform\.io/\S+ (\w+)\}")
_ANCHOR: Final = re.compile(r"\{@link https://registry\.terraform\.io/providers/\S*#(\w+) ")


def extract(package: Path) -> dict[str, Any]:
    """The compact schemas of one cdktf provider package, read from its jsii assembly."""
    manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
    provider = manifest["cdktf"]["provider"]
    source = f"{provider['name'].removeprefix('registry.terraform.io/')} {provider['version']}"
    types: dict[str, dict[str, Any]] = json.loads((package / ".jsii").read_bytes())["types"]
    extracted: dict[str, Any] = {"source": source, **{kind: {} for kind in KINDS.values()}}
    for class_ in types.values():
        kind = KINDS.get(class_.get("base", ""))
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


def keep(package: Path, kept: Path = KEPT) -> dict[str, Any]:
    """Extract `package` and write it, with what made it, where the tests read it."""
    manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
    extracted = {
        "package": f"{manifest['name']}@{manifest['version']}",
        "extractor": EXTRACTOR,
        **extract(package),
    }
    kept.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same schema gives the same bytes, so a refresh that changes nothing shows
    # no diff.
    with kept.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(json.dumps(extracted, separators=(",", ":"), sort_keys=True).encode())
    return extracted


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not (Path(argv[0]) / ".jsii").exists():
        print(
            "usage: python -m tests.support.provider_extract PACKAGE_DIR\n"
            "PACKAGE_DIR: an installed @cdktf/provider-aws (`make provider-schemas` does it all)",
            file=sys.stderr,
        )
        return 2
    extracted = keep(Path(argv[0]))
    counts = ", ".join(f"{len(extracted[kind])} {kind}" for kind in KINDS.values())
    print(f"{KEPT}: {extracted['source']} from {extracted['package']}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
