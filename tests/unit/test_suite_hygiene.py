"""The suite's own rules, checked on its source so they stay true.

A test module that imports another (a conftest included) runs that module's fixtures and
constants twice under two names and ties unrelated tests together; shared helpers, types and
texts live in `tests/support/`, with one free-port helper and one server-wait helper.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import texts

TESTS = Path(__file__).resolve().parents[1]
SUPPORT = TESTS / "support"
ONE_OF_A_KIND = {"free_port", "wait_until_up"}
"""Helpers defined once, in tests/support/network.py."""


def modules() -> list[Path]:
    found = sorted(TESTS.rglob("*.py"))
    assert len(found) > 40, f"only {len(found)} modules under {TESTS}"
    return found


def module_name(path: Path) -> str:
    parts = path.relative_to(TESTS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """The absolute name of everything `module` imports, relative imports resolved; for
    `from package import name`, `package.name` counts too (the name may be a module)."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            anchor = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join([*anchor, node.module] if node.module else anchor)
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names]
    return found


def is_test_module(name: str) -> bool:
    """Anything under tests/ but tests/support/."""
    return name.startswith("tests.") and not (
        name == "tests.support" or name.startswith("tests.support.")
    )


def test_no_module_imports_a_test_module_or_a_conftest() -> None:
    offences = [
        f"{path.relative_to(TESTS.parent)} imports {name}"
        for path in modules()
        for name in imported_modules(
            path.read_text(), module_name(path), is_package=path.name == "__init__.py"
        )
        if is_test_module(name)
    ]
    assert offences == [], "import from tests/support/ instead:\n" + "\n".join(offences)


def test_the_rule_sees_absolute_relative_and_package_imports() -> None:
    """The check above would pass on anything if the parser missed a form of import."""
    source = (
        "import tests.ui.conftest\n"
        "from tests.conftest import S3StoreFactory\n"
        "from tests import service\n"
        "from .conftest import Api\n"
        "from ..integration.test_bedrock import nova\n"
        "from . import test_answers_api\n"
        "from tests.support.texts import TEXT\n"
        "from tests import support\n"
        "from .. import support as helpers\n"
    )
    names = imported_modules(source, "tests.api.test_sample")
    assert [name for name in names if is_test_module(name)] == [
        "tests.ui.conftest",
        "tests.conftest",
        "tests.conftest.S3StoreFactory",
        "tests.service",
        "tests.api.conftest",
        "tests.api.conftest.Api",
        "tests.integration.test_bedrock",
        "tests.integration.test_bedrock.nova",
        "tests.api",
        "tests.api.test_answers_api",
    ]
    in_a_package = imported_modules(
        "from .network import free_port\n", "tests.support", is_package=True
    )
    assert in_a_package == ["tests.support.network", "tests.support.network.free_port"]


def test_the_free_port_and_server_wait_helpers_are_defined_once() -> None:
    definitions = {
        (path.relative_to(TESTS).as_posix(), node.name)
        for path in modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name in ONE_OF_A_KIND
    }
    assert definitions == {("support/network.py", name) for name in ONE_OF_A_KIND}


def test_the_shared_texts_are_written_only_in_texts_py() -> None:
    shared = {texts.PASSWORD: "PASSWORD", texts.TEXT: "TEXT"}
    copies = [
        f"{path.relative_to(TESTS.parent)}:{node.lineno} repeats {shared[node.value]}"
        for path in modules()
        if path != SUPPORT / "texts.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in shared
    ]
    assert copies == [], "use tests.support.texts instead:\n" + "\n".join(copies)
