"""Rule ids are literal strings of the source, and each rule knows where it is written."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from sspimodel.model.rules import all_tables, pick

PACKAGE = Path(__file__).resolve().parent.parent / "sspimodel"
REPO = PACKAGE.parent
RULE_BUILDERS = {"Rule", "unreachable"}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_generated" not in p.parts)


@functools.cache
def _nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of a module's syntax tree: parsed once for the tests of this file, which only read it."""
    return tuple(ast.walk(ast.parse(path.read_text(encoding="utf-8"))))


def _callee(node: ast.Call) -> str | None:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _id_argument(node: ast.Call) -> ast.expr | None:
    for kw in node.keywords:
        if kw.arg == "id":
            return kw.value
    return node.args[0] if node.args else None


def test_no_rule_id_is_built_from_pieces():
    built = []
    for path in _modules():
        for node in _nodes(path):
            if isinstance(node, ast.Call) and _callee(node) in RULE_BUILDERS:
                arg = _id_argument(node)
                if isinstance(arg, (ast.JoinedStr, ast.BinOp)) or (
                    isinstance(arg, ast.Call) and _callee(arg) in {"format", "join"}
                ):
                    built.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert built == []


def test_every_rule_id_is_a_literal_in_the_source():
    literals: set[str] = set()
    for path in _modules():
        for node in _nodes(path):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                literals.add(node.value)
    ids = {rule.id for table in all_tables() for rule in table.rules}
    assert len(ids) > 100
    assert sorted(ids - literals) == []


def test_each_rule_knows_the_source_line_that_defines_it():
    starts: dict[str, set[int]] = {}
    for path in _modules():
        rel = path.relative_to(REPO).as_posix()
        for node in _nodes(path):
            if isinstance(node, ast.Call) and _callee(node) in RULE_BUILDERS:
                starts.setdefault(rel, set()).add(node.lineno)
    for table in all_tables():
        for rule in table.rules:
            path, _, line = rule.where.rpartition(":")
            assert int(line) in starts.get(path, set()), (table.function, rule.id, rule.where)


def test_pick_finds_the_id_of_the_prefix_and_refuses_a_missing_one():
    assert pick("asc", "isc.ok", "asc.ok") == "asc.ok"
    with pytest.raises(ValueError, match="no rule id for table prefix 'dsc'"):
        pick("dsc", "isc.ok", "asc.ok")
