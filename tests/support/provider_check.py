"""Checks a parsed Terraform configuration against the providers' schemas, the part of
`terraform validate` that needs only the schemas: every resource, data source and provider
block names a known type, uses only arguments and nested blocks its schema has, at every level,
writes blocks as blocks and attributes as attributes, and sets what is required.

Values are not checked (they are expressions more often than not), nor are provider-side
validators, which the schema does not carry (a framework resource's "required" list block,
such as the lifecycle configuration's `rule`, is optional in the schema).

The input is hcl2's shape as `tests/support/terraform.py` parses it: a nested block is a list of
dicts, a `dynamic "x" { content { ... } }` block is under the key `dynamic`. In that shape
`x = [{...}]` looks like blocks, so a list of objects given for a block type is not reported.
Meta-arguments are Terraform's only at a resource's, data source's or provider's top level; in a
nested block `count` or `lifecycle` is checked like any other name.
"""

from __future__ import annotations

import difflib
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from tests.support.provider_schema import Body, NestedBlock, ProviderSchemas
from tests.support.terraform import Configuration

# Terraform's own arguments of resource and data blocks; not in any provider's schema.
META_ARGUMENTS: Final = frozenset(
    {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}
)
PROVIDER_META_ARGUMENTS: Final = frozenset({"alias", "version"})
DYNAMIC_ARGUMENTS: Final = frozenset({"for_each", "iterator", "labels", "content"})
_WHAT: Final = {
    "resources": "resource type",
    "data_sources": "data source type",
    "providers": "provider",
}


@dataclass(frozen=True)
class Finding:
    file: str
    address: str
    """The block's address: `aws_s3_bucket.images`, `data.aws_iam_policy_document.x`,
    `provider.aws`, followed by the nested blocks down to the problem (`.rule[0].filter[0]`)."""
    problem: str
    name: str
    close: tuple[str, ...] = ()
    """Names the schema has at that level that look like `name`, for the author's typo."""

    def __str__(self) -> str:
        hint = f" (close: {', '.join(self.close)})" if self.close else ""
        return f"{self.file}: {self.address}: {self.problem}: {self.name}{hint}"


def check(configuration: Configuration, schemas: ProviderSchemas) -> list[Finding]:
    """Every finding on the configuration's resource, data and provider blocks."""
    findings: list[Finding] = []
    for file, address, kind, type_, body, meta in _top_level(configuration):
        schema = schemas.body(kind, type_)
        if schema is None:
            problem = f"{_WHAT[kind]} not in {' or '.join(schemas.sources)}"
            findings.append(
                Finding(file, address, problem, type_, _close(type_, schemas.names(kind)))
            )
        else:
            findings.extend(_check_body(file, address, body, schema, meta))
    return findings


def _top_level(
    configuration: Configuration,
) -> Iterator[tuple[str, str, str, str, dict[str, Any], frozenset[str]]]:
    """(file, address, schema kind, type, body, meta-arguments) of each block to check."""
    for file, type_, name, body in configuration.labelled("resource"):
        yield file, f"{type_}.{name}", "resources", type_, body, META_ARGUMENTS
    for file, type_, name, body in configuration.labelled("data"):
        yield file, f"data.{type_}.{name}", "data_sources", type_, body, META_ARGUMENTS
    for file, block in configuration.blocks("provider"):
        for label, body in block.items():
            provider = label.strip('"')
            alias = f".{body['alias']}" if "alias" in body else ""
            yield (
                file,
                f"provider.{provider}{alias}",
                "providers",
                provider,
                body,
                PROVIDER_META_ARGUMENTS,
            )


def _check_body(
    file: str, address: str, body: dict[str, Any], schema: Body, meta: frozenset[str] = frozenset()
) -> Iterator[Finding]:
    """Findings in one block's body and, recursively, in its nested blocks."""
    dynamic = yield from _check_dynamic(file, address, body.get("dynamic", []), schema)
    for name, value in body.items():
        if name in meta or name == "dynamic":
            continue
        if name in schema.attributes:
            if _is_blocks(value) and not schema.attributes[name].holds_objects:
                yield Finding(file, address, "attribute written as a block", name)
        elif name in schema.blocks:
            yield from _check_nested(file, address, name, value, schema.blocks[name])
        else:
            kind = "block" if _is_blocks(value) else "attribute"
            names = [*schema.names, *meta]
            yield Finding(file, address, f"unknown {kind}", name, _close(name, names))
    for name, attribute in schema.attributes.items():
        if attribute.required and name not in body:
            yield Finding(file, address, "missing required attribute", name)
    for name, nested in schema.blocks.items():
        if nested.required and name not in body and name not in dynamic:
            kind = "attribute" if nested.attribute_syntax else "block"
            yield Finding(file, address, f"missing required {kind}", name)


def _check_nested(
    file: str, parent: str, name: str, value: Any, nested: NestedBlock
) -> Iterator[Finding]:
    """Findings in the blocks given for one nested block type (or one object-typed argument)."""
    address = f"{parent}.{name}"
    if _is_blocks(value):
        if nested.single and len(value) > 1:
            yield Finding(file, address, f"block allowed once, given {len(value)} times", name)
        if nested.body is not None:
            for index, each in enumerate(value):
                where = address if nested.single else f"{address}[{index}]"
                yield from _check_body(file, where, each, nested.body)
    elif nested.attribute_syntax:
        if isinstance(value, dict) and nested.body is not None:
            yield from _check_body(file, address, value, nested.body)
    else:
        yield Finding(file, parent, "block written as an attribute", name)


def _check_dynamic(
    file: str, address: str, entries: list[dict[str, Any]], schema: Body
) -> Generator[Finding, None, set[str]]:
    """Findings in `dynamic "x"` blocks, each checked as block x; returns the names they set,
    so a required block they provide is not reported missing."""
    given: set[str] = set()
    for entry in entries:
        for label, spec in entry.items():
            name = label.strip('"')
            given.add(name)
            where = f'{address}.dynamic "{name}"'
            nested = schema.blocks.get(name)
            if nested is None:
                yield Finding(
                    file, address, "unknown dynamic block", name, _close(name, [*schema.blocks])
                )
                continue
            for key in spec:
                if key not in DYNAMIC_ARGUMENTS:
                    yield Finding(
                        file, where, "unknown argument", key, _close(key, DYNAMIC_ARGUMENTS)
                    )
            if nested.body is not None:
                for content in spec.get("content", []):
                    yield from _check_body(file, f"{where}.content", content, nested.body)
    return given


def _is_blocks(value: Any) -> bool:
    """hcl2's shape of nested blocks: a non-empty list of objects."""
    return isinstance(value, list) and bool(value) and all(isinstance(each, dict) for each in value)


def _close(name: str, candidates: Iterable[str]) -> tuple[str, ...]:
    return tuple(difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.6))
