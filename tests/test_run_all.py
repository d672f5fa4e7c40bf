"""benchmarks/run_all.py: how it reads the other benchmarks' results and prints its lines (the
measurements themselves are never timed by tests)."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from sspimodel.paths import REPO_ROOT

BENCH = REPO_ROOT / "benchmarks"


@pytest.fixture(scope="module")
def run_all() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("run_all", BENCH / "run_all.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def test_a_line_shows_value_target_and_verdict_in_fixed_columns(run_all: ModuleType) -> None:
    met = run_all.Figure("first use", "<= 100 ms", lambda v: v <= 100, "ms", ".0f")
    met.value, met.note = 82.4, "over an empty interpreter"
    missed = run_all.Figure("sspimodel check", "<= 1.00 s", lambda v: v <= 1.0, "s", ".2f")
    missed.value = 1.234
    absent = run_all.Figure("notebooks", "<= 45 s", lambda v: v <= 45, "s", ".1f")
    absent.note = "run with --notebooks"
    lines = [f.line(16) for f in (met, missed, absent)]
    assert lines == [
        "  first use                      82 ms  target <= 100 ms        met  (over an empty interpreter)",
        "  sspimodel check               1.23 s  target <= 1.00 s        NOT met",
        "  notebooks                          -  target <= 45 s          not measured  (run with --notebooks)",
    ]


def test_ratios_are_read_from_what_the_benchmarks_print(
    run_all: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench_read = ModuleType("bench_read")
    bench_read.main = lambda: print("ratio read/markdown-it speed: 1.37  (meets target >= 1.0)")  # type: ignore[attr-defined]
    bench_handshake = ModuleType("bench_handshake")
    bench_handshake.main = lambda argv: print(
        "ratio model / sspilib (sspi-rs): 0.52x (target >= 2x: NOT met)"
    )  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench_read", bench_read)
    monkeypatch.setitem(sys.modules, "bench_handshake", bench_handshake)
    assert run_all.read_ratio(quick=True) == (1.37, "bench_read.main()")
    assert run_all.handshake_ratio(quick=True) == (0.52, "model / sspilib (sspi-rs)")
    # the form bench_handshake.py prints today
    bench_handshake.main = lambda argv: print("  ratio model / sspi-rs        0.18  (target >= 1.0: NOT met)")  # type: ignore[attr-defined]
    assert run_all.handshake_ratio(quick=True) == (0.18, "model / sspi-rs")


def test_a_measuring_function_is_preferred_to_the_printed_line(
    run_all: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench_handshake = ModuleType("bench_handshake")
    bench_handshake.measure_ratio = lambda: {"ratio": 1.5}  # type: ignore[attr-defined]
    bench_handshake.main = lambda argv: pytest.fail("main must not run when a measuring function exists")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench_handshake", bench_handshake)
    assert run_all.handshake_ratio(quick=True) == (1.5, "bench_handshake.measure_ratio()")


def test_no_native_library_gives_no_ratio_and_says_why(
    run_all: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench_handshake = ModuleType("bench_handshake")
    bench_handshake.main = lambda argv: print("sspi-rs: not measured (no library)")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench_handshake", bench_handshake)
    assert run_all.handshake_ratio(quick=True) == (None, "sspi-rs: not measured (no library)")


def test_the_floor_figure_is_sspi_rs_time_over_crypto_plus_thirteen_cheapest_calls(
    run_all: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import bench_handshake_floor
    finally:
        sys.path.remove(str(BENCH))
    us = {"sspi-rs handshake": 80.0, "crypto floor": 40.0, "cheapest guarded call": 2.0}
    assert bench_handshake_floor.reachable_ratio(us) == pytest.approx(80.0 / (40.0 + 13 * 2.0))
    assert bench_handshake_floor.reachable_ratio(us, 10) == pytest.approx(80.0 / 60.0)
    monkeypatch.setattr(bench_handshake_floor, "measure", lambda iterations, runs: us)
    value, note = run_all.floor_ratio(quick=True)
    assert value == pytest.approx(80.0 / 66.0)
    assert note == "crypto 40 us + 13 x 2.0 us vs sspi-rs 80 us"
    monkeypatch.setattr(bench_handshake_floor, "measure", lambda iterations, runs: "sspilib is not installed")
    assert run_all.floor_ratio(quick=True) == (None, "sspilib is not installed")


def test_the_crypto_floor_derives_the_protocol_s_keys_and_checks_its_own_work() -> None:
    """The floor derives SIGNKEY/SEALKEY with the project's MS-NLMP constants, in the order its
    unpacking names them, and one iteration runs to the end (it stops on any mismatch between
    what the client made and what the server recomputed)."""
    from sspimodel.ntlm import crypto

    sys.path.insert(0, str(BENCH))
    try:
        import bench_handshake_floor
    finally:
        sys.path.remove(str(BENCH))
    assert bench_handshake_floor._MAGIC == (
        crypto.CLIENT_SIGN_MAGIC,
        crypto.SERVER_SIGN_MAGIC,
        crypto.CLIENT_SEAL_MAGIC,
        crypto.SERVER_SEAL_MAGIC,
    )
    bench_handshake_floor.floor_iteration_factory()()
