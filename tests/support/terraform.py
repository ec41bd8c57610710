"""The Terraform configuration in `infrastructure/`, parsed with python-hcl2, for tests that
assert what it provisions. No provider can be downloaded here, so `terraform validate` cannot
run: these tests read the files instead.

Strings come back without their quotes; an expression comes back as its text in `${...}`.
`value()` resolves what the tests need of that: a variable reference to its default, so a test
asserts the figure a plain `terraform apply` would use.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

import hcl2
from hcl2.utils import SerializationOptions

ROOT: Final = Path(__file__).resolve().parents[2] / "infrastructure"
_OPTIONS: Final = SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True
)
_VARIABLE: Final = re.compile(r"\$\{var\.([A-Za-z0-9_]+)\}")


def _unquote(name: str) -> str:
    return name.strip('"')


@dataclass(frozen=True)
class Configuration:
    files: dict[str, dict[str, Any]]
    """Each `.tf` file's parsed content, by file name."""

    def blocks(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every top-level block of a kind (`resource`, `variable`, ...) with its file name."""
        for name, content in self.files.items():
            for block in content.get(kind, []):
                yield name, block

    def resources(self, type_: str, kind: str = "resource") -> dict[str, dict[str, Any]]:
        """The resources (or `data` sources) of one type, by name."""
        found: dict[str, dict[str, Any]] = {}
        for _, block in self.blocks(kind):
            for each_type, named in block.items():
                if _unquote(each_type) == type_:
                    found.update({_unquote(name): body for name, body in named.items()})
        return found

    def resource(self, type_: str, name: str) -> dict[str, Any]:
        resources = self.resources(type_)
        assert name in resources, f"no {type_}.{name} in {ROOT}; there are {sorted(resources)}"
        return resources[name]

    def all_resources(self, kind: str = "resource") -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(type, name, body) of every resource, or of every `data` source."""
        for _, block in self.blocks(kind):
            for type_, named in block.items():
                for name, body in named.items():
                    yield _unquote(type_), _unquote(name), body

    def labelled(self, kind: str) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
        """(file, type, name, body) of every block of a two-label kind (`resource`, `data`)."""
        for file, block in self.blocks(kind):
            for type_, named in block.items():
                for name, body in named.items():
                    yield file, _unquote(type_), _unquote(name), body

    @property
    def variables(self) -> dict[str, dict[str, Any]]:
        return {
            _unquote(name): body
            for _, block in self.blocks("variable")
            for name, body in block.items()
        }

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return {
            _unquote(name): body
            for _, block in self.blocks("output")
            for name, body in block.items()
        }

    @property
    def locals(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for _, block in self.blocks("locals"):
            merged.update(block)
        return merged

    def value(self, raw: Any) -> Any:
        """`raw` with a whole-value `${var.NAME}` replaced by the variable's default."""
        if isinstance(raw, str) and (match := _VARIABLE.fullmatch(raw)):
            variable = self.variables[match.group(1)]
            assert "default" in variable, f"var.{match.group(1)} has no default"
            return variable["default"]
        return raw


def parse(text: str) -> dict[str, Any]:
    """One file's text parsed as `configuration()` parses each file, so a test can build a
    `Configuration` from inline HCL."""
    parsed: dict[str, Any] = hcl2.loads(text, serialization_options=_OPTIONS)
    return parsed


@cache
def configuration(root: Path = ROOT) -> Configuration:
    return Configuration(
        {path.name: parse(path.read_text(encoding="utf-8")) for path in sorted(root.glob("*.tf"))}
    )


def one(blocks: Any) -> dict[str, Any]:
    """The single nested block of a kind (hcl2 gives nested blocks as lists)."""
    assert isinstance(blocks, list) and len(blocks) == 1, f"expected one block, got {blocks!r}"
    block: dict[str, Any] = blocks[0]
    return block


def render_template(name: str, variables: dict[str, Any]) -> str:
    """`templatefile()` of `infrastructure/templates/NAME`, evaluated by terraform itself, so
    Terraform's own template language renders what the instances and the dashboard get."""
    path = json.dumps(str(ROOT / "templates" / name))
    rendered = evaluate(f"templatefile({path}, {_hcl(variables)})")
    assert isinstance(rendered, str)
    return rendered


def evaluate(expression: str) -> Any:
    """An expression's value, computed by `terraform console` in an empty folder (it needs no
    provider there); `path.module` is `infrastructure/`. Needs `terraform` on the PATH."""
    expression = expression.replace("${path.module}", str(ROOT)).replace(
        "path.module", json.dumps(str(ROOT))
    )
    call = f"base64encode(jsonencode({expression}))"
    with tempfile.TemporaryDirectory() as empty:
        done = subprocess.run(
            ["terraform", "console"],
            input=call,
            capture_output=True,
            text=True,
            cwd=empty,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    return json.loads(base64.b64decode(json.loads(done.stdout.strip().splitlines()[-1])))


def _hcl(value: Any) -> str:
    """A Python value as an HCL expression (JSON's syntax is HCL's for these)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_hcl(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def environment_names(local: str) -> set[str]:
    """The variable names of an environment map in `locals`: a map written out, or
    `merge(local.OTHER, {NAME = ..., ...})` of such maps."""
    value = configuration().locals[local]
    if isinstance(value, dict):
        return set(value)
    merged = re.fullmatch(r"\$\{merge\(local\.(\w+), \{(.*)\}\)\}", value, re.DOTALL)
    assert merged, f"local.{local} is neither a map nor a merge onto one: {value!r}"
    return environment_names(merged.group(1)) | set(re.findall(r"(\w+) = ", merged.group(2)))
