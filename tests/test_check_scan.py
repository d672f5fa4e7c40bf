"""The machinery under ``sspimodel check``'s evidence scan and generate stage: the walk, the
order of evidence, the test-function names shared with the contract stage, the paused garbage
collector and the generated code that is not compiled twice. (Its speed: benchmarks/bench_startup.py.)"""

from __future__ import annotations

import ast
import gc
import io

import pytest

import sspimodel.check.report as report_module
from sspimodel import codegen
from sspimodel.check import evidence
from sspimodel.check.evidence import Evidence, _module_evidence, _walk, evidence_key
from sspimodel.check.evidence import test_function_names as names_of_tests

SAMPLE = '''
import pytest

TABLE = {("Frob", "SEC_E_OK"): 1, ("Frob", "SEC_E_INVALID_HANDLE"): 2}


def helper(x):
    return x + 1 if not x else -x


def test_frob_ok(api):
    r = api.Frob(a=1)
    assert r.status == Status.SEC_E_OK
    assert [y for y in (1, 2) if y > 1 and not y < 0]


class TestGroup:
    def test_in_a_class(self, api):
        def test_nested():
            return "SEC_E_INVALID_HANDLE"
        assert api.Frob().status != "SEC_E_INVALID_HANDLE"

    async def test_async_one(self):
        pass


def test_table(api):
    for key in TABLE:
        assert TABLE[key](api)
'''


def test_walk_is_ast_walk_without_the_context_and_operator_singletons():
    tree = ast.parse(SAMPLE)
    singletons = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
    expected = [n for n in ast.walk(tree) if not isinstance(n, singletons)]
    order, kids = _walk(tree)
    assert len(order) == len(expected) and all(a is b for a, b in zip(order, expected, strict=True))
    for node in order:
        assert kids[id(node)] == [c for c in ast.iter_child_nodes(node) if not isinstance(c, singletons)]


def test_test_function_names_follow_ast_walk_with_or_without_the_evidence_scan():
    tree = ast.parse(SAMPLE)
    expected = tuple(n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test"))
    assert expected == ("test_frob_ok", "test_table", "test_in_a_class", "test_nested")
    text = SAMPLE + "\n# fresh text, not scanned yet\n"
    assert names_of_tests(text) == expected  # parsed here
    _module_evidence("tests/test_x.py", "test_x.py", text, frozenset({"Frob"}), frozenset({"SEC_E_OK"}))
    assert text in evidence._TEST_DEFS
    assert names_of_tests(text) == expected  # noted by the scan
    with pytest.raises(SyntaxError):
        names_of_tests("def test_(:\n")


def test_module_evidence_of_the_sample():
    found = _module_evidence(
        "tests/test_x.py", "test_x.py", SAMPLE, frozenset({"Frob"}), frozenset({"SEC_E_OK", "SEC_E_INVALID_HANDLE"})
    )
    assert [(e.function, e.status, e.where) for e in found] == [
        ("Frob", "SEC_E_INVALID_HANDLE", "tests/test_x.py::test_in_a_class"),
        ("Frob", "SEC_E_INVALID_HANDLE", "tests/test_x.py::test_table"),
        ("Frob", "SEC_E_OK", "tests/test_x.py::test_frob_ok"),
        ("Frob", "SEC_E_OK", "tests/test_x.py::test_table"),
    ]


def test_evidence_key_orders_as_evidence_compares():
    items = [
        Evidence(f, s, k, w)
        for f in ("B", "A")
        for s in ("SEC_I_X", "SEC_E_Y")
        for k in ("test", "notebook")
        for w in ("z", "a#cell-2", "a#cell-10")
    ]
    assert sorted(items, key=evidence_key) == sorted(items)


def test_check_runs_with_the_cyclic_collector_paused_and_restores_it(monkeypatch):
    seen: list[bool] = []

    def fake_report(spec_dir=None):
        seen.append(gc.isenabled())
        raise report_module.CheckInputError("stop here")

    monkeypatch.setattr(report_module, "build_report", fake_report)
    was = gc.isenabled()
    try:
        for state in (True, False):
            (gc.enable if state else gc.disable)()
            assert report_module.run_check(None, out=io.StringIO()) == 1
            assert gc.isenabled() is state
    finally:
        (gc.enable if was else gc.disable)()
    assert seen == [False, False]


def test_generated_text_already_checked_in_is_not_compiled_again(monkeypatch, tmp_path):
    compiled: list[str] = []
    real_compile = compile

    def spy(source, filename, *args, **kwargs):
        compiled.append(filename)
        return real_compile(source, filename, *args, **kwargs)

    monkeypatch.setattr(codegen, "compile", spy, raising=False)
    checked_in = (codegen.OUT_DIR / "status.py").read_text(encoding="utf-8")
    codegen._refuse_invalid_code({"status.py": checked_in}, tmp_path)
    assert compiled == []
    codegen._refuse_invalid_code({"status.py": checked_in + "\nX = 1\n"}, tmp_path)
    assert compiled == ["sspimodel/_generated/status.py"]
    with pytest.raises(codegen.SpecDataError, match="invalid Python"):
        codegen._refuse_invalid_code({"status.py": checked_in + "\nclass 1BAD: pass\n"}, tmp_path)
