"""benchmarks/bench_startup.py: its verdicts and its refusals of bad arguments (the measurements
themselves are never timed by tests)."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

from sspimodel.paths import REPO_ROOT


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_startup", REPO_ROOT / "benchmarks" / "bench_startup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_targets_are_the_issues(bench: ModuleType) -> None:
    targets = {label: (target, unit) for label, _code, target, unit in bench.FIGURES}
    assert targets["cold import (from sspimodel import Sspi)"] == (150.0, "ms")
    assert targets["first use (Sspi, default_world())"] == (100.0, "ms")
    assert targets["sspimodel check"] == (1.0, "s")
    # run_all.py measures first use with the same code
    assert "default_world()" in bench.FIRST_USE and bench.FIRST_CALL.startswith(bench.FIRST_USE.split(";")[0])


def test_verdicts(bench: ModuleType) -> None:
    assert bench.verdict(100.0, 100.0) == "met"
    assert bench.verdict(100.5, 100.0) == "NOT met"
    assert bench.verdict(5.0, None) == "(no target)"


@pytest.mark.parametrize("argv", [["--starts", "0"], ["--against", "/nonexistent/checkout"]])
def test_bad_arguments_are_refused_before_measuring(bench: ModuleType, argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as e:
        bench.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert ("--starts" in err) or ("--against" in err)
