"""Page scripts say nothing by accident: Streamlit's magic writes any bare string (or other
value) standing alone at a script's top level onto the page, so notes there are comments.
A module docstring is the one exception (magic leaves it, `displayRootDocString` is off)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

UI = Path(__file__).resolve().parents[2] / "src" / "eduportal" / "ui"
SCRIPTS = sorted([UI / "Home.py", *(UI / "views").glob("*.py")])


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_no_bare_value_at_a_page_scripts_top_level(script: Path) -> None:
    tree = ast.parse(script.read_text(encoding="utf-8"))
    shown = [
        f"line {node.lineno}: {ast.unparse(node)[:60]}"
        for node in tree.body[1 if ast.get_docstring(tree) is not None else 0 :]
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    ]
    assert shown == [], f"{script.name} would show these on its page: {shown}"
