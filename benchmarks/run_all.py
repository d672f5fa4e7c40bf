"""Every speed figure of the project in one run, each with its target and whether it is met.

    .venv/bin/python benchmarks/run_all.py [--quick] [--suite] [--notebooks]

Figures (in this order):

- read ratio: the page reader's speed over markdown-it-py's full parse (commonmark + table +
  front_matter), measured by benchmarks/bench_read.py (its own function; target >= 1.0);
- cold import (``from sspimodel import Sspi``) and first use (``... ; default_world()``): CPU
  time of a fresh interpreter running it, minus a fresh interpreter running ``pass``, the
  minimum of ``--starts`` starts each, with the package byte-compiled (targets <= 150 ms and
  <= 100 ms);
- guarded model calls per second, per mix of benchmarks/bench_model.py (target >= 100,000 each),
  and its complete NTLM handshakes per second (no target of its own: the ratio below has it);
- handshake ratio: complete NTLM handshakes with export and import, the model over sspi-rs
  through whatever baseline benchmarks/bench_handshake.py uses (target >= 1.0, stretch 2.0);
- floor: sspi-rs's handshake time over a floor (benchmarks/bench_handshake_floor.py: the
  handshake's cryptography alone, on the libraries the model uses, plus 13 of this model's
  cheapest guarded calls); no target: it bounds what this model's handshake ratio can reach;
- ``sspimodel check``: CPU time of the command in a fresh interpreter, the minimum of three
  runs (target <= 1 s);
- notebooks under nbval (``pytest notebooks``, target <= 45 s) and the whole suite
  (``pytest``, notebooks included, target <= 90 s): wall time of one run each, only with
  ``--notebooks`` / ``--suite`` (each takes a minute or more); otherwise the line says how to
  measure it.

Lines are printed in a fixed order and format; the numbers are measurements, so they vary
from run to run. The exit status is 0 when every measured figure meets its target, 1 otherwise.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import io
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO))

NOT_MEASURED = "not measured"


class Figure:
    """One line of the report: a name, a value with its unit, a target and a verdict."""

    def __init__(
        self, name: str, target: str, met: Callable[[float], bool] | None, unit: str, fmt: str
    ) -> None:
        self.name, self.target, self.met, self.unit, self.fmt = name, target, met, unit, fmt
        self.value: float | None = None
        self.note = ""

    def verdict(self) -> str:
        if self.value is None:
            return NOT_MEASURED
        if self.met is None:
            return "(no target)"
        return "met" if self.met(self.value) else "NOT met"

    def line(self, width: int) -> str:
        shown = "-" if self.value is None else format(self.value, self.fmt) + " " + self.unit
        text = f"  {self.name:<{width}}  {shown:>18}  target {self.target:<16} {self.verdict()}"
        if self.note:
            text += f"  ({self.note})"
        return text


# -- the page reader (benchmarks/bench_read.py owns the measurement) ---------------------------


def read_ratio(quick: bool) -> tuple[float | None, str]:
    """bench_read's reader/markdown-it ratio: from a measuring function when the script offers one
    (returning a number or a mapping with a ``ratio``), else from the line its ``main`` prints."""
    import bench_read

    for name in ("measure_ratio", "read_ratio", "measure"):
        fn = getattr(bench_read, name, None)
        if callable(fn):
            result = fn()
            value = result.get("ratio") if isinstance(result, dict) else getattr(result, "ratio", result)
            return float(value), f"bench_read.{name}()"
    argv = ["bench_read.py"] + (["--repeat", "3", "--rounds", "2"] if quick else [])
    out = _captured(bench_read.main, argv)
    match = re.search(r"ratio read/markdown-it speed: ([0-9.]+)", out)
    if not match:
        return None, "bench_read printed no ratio"
    return float(match.group(1)), "bench_read.main()"


def _captured(main: Callable[..., Any], argv: list[str], *args: Any) -> str:
    """What ``main(*args)`` prints, with ``sys.argv`` set to ``argv``."""
    saved = sys.argv
    sys.argv = argv
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            main(*args)
    finally:
        sys.argv = saved
    return buffer.getvalue()


# -- starting an interpreter -------------------------------------------------------------------


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_cpu(command: list[str]) -> tuple[float, int]:
    """CPU time (user + system, seconds) of one run of ``command`` and its exit status. CPU time,
    not wall time: the machine is shared, and other work stretches wall time, not CPU time."""
    before = _child_cpu()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    return _child_cpu() - before, done.returncode


def startup_ms(code: str, starts: int) -> float:
    """The least CPU time (ms) of a fresh interpreter running ``code``."""
    best = float("inf")
    for _ in range(starts):
        cpu, status = _run_cpu([sys.executable, "-c", code])
        if status:
            raise SystemExit(f"run_all: python -c {code!r} exited with {status}")
        best = min(best, cpu)
    return best * 1000


def check_seconds(starts: int) -> tuple[float, str]:
    best, status = float("inf"), 0
    for _ in range(starts):
        cpu, status = _run_cpu([sys.executable, "-m", "sspimodel", "check"])
        best = min(best, cpu)
    return best, f"CPU time, min of {starts}; exit status {status}"


def pytest_seconds(args: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *args], cwd=REPO, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - t0
    tail = [line for line in done.stdout.splitlines() if line.strip()][-1:] or ["no output"]
    summary = re.sub(r" in [0-9.]+s.*", "", tail[0].strip("= "))
    return elapsed, summary


# -- handshakes against sspi-rs (benchmarks/bench_handshake.py owns the measurement) ----------


def handshake_ratio(quick: bool) -> tuple[float | None, str]:
    """The model/sspi-rs handshake ratio: from a measuring function when bench_handshake offers one,
    else from the ratio line its ``main`` prints (whatever baseline it measures against)."""
    import bench_handshake

    for name in ("measure_ratio", "handshake_ratio", "ratio"):
        fn = getattr(bench_handshake, name, None)
        if callable(fn):
            result = fn()
            value = result.get("ratio") if isinstance(result, dict) else getattr(result, "ratio", result)
            return (None if value is None else float(value)), f"bench_handshake.{name}()"
    argv = ["--iterations", "100", "--runs", "3"] if quick else []
    out = _captured(bench_handshake.main, ["bench_handshake.py", *argv], argv)
    # bench_handshake prints "ratio model / sspi-rs   0.18  (target ...)"; older forms "...: 0.52x"
    match = re.search(r"ratio model / ([^:]+): ([0-9.]+)x", out) or re.search(
        r"ratio model / (\S+)\s+([0-9.]+)\b", out
    )
    if not match:
        reason = next((line for line in out.splitlines() if "not measured" in line), "no ratio printed")
        return None, reason.strip()
    return float(match.group(2)), f"model / {match.group(1)}"


def floor_ratio(quick: bool) -> tuple[float | None, str]:
    """sspi-rs's handshake time over a floor: the crypto alone (the model's libraries) plus 13 of
    this model's cheapest guarded calls (benchmarks/bench_handshake_floor.py)."""
    import bench_handshake_floor

    us = bench_handshake_floor.measure(400 if quick else 2000, 3 if quick else 5)
    if isinstance(us, str):
        return None, us
    note = (
        f"crypto {us['crypto floor']:.0f} us + {bench_handshake_floor.CALLS_WITH_EXPORT} x "
        f"{us['cheapest guarded call']:.1f} us vs sspi-rs {us['sspi-rs handshake']:.0f} us"
    )
    return bench_handshake_floor.reachable_ratio(us), note


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter measurements (less steady)")
    parser.add_argument(
        "--starts", type=int, default=5, help="fresh interpreters per start-up figure (default 5)"
    )
    parser.add_argument(
        "--suite", action="store_true", help="also time the whole test suite (pytest, about 90 s)"
    )
    parser.add_argument(
        "--notebooks", action="store_true", help="also time the notebooks (pytest notebooks, about 40 s)"
    )
    args = parser.parse_args(argv)
    seconds = 0.6 if args.quick else 2.0

    figures: list[Figure] = []

    def figure(name: str, target: str, met: Callable[[float], bool] | None, unit: str, fmt: str) -> Figure:
        f = Figure(name, target, met, unit, fmt)
        figures.append(f)
        return f

    f = figure("read ratio (reader / markdown-it)", ">= 1.00", lambda v: v >= 1.0, "x", ".2f")
    f.value, f.note = read_ratio(args.quick)

    # Byte-code compiled first, as an installed package or any interpreter that may write it has
    # (with PYTHONDONTWRITEBYTECODE set and no __pycache__, every start would compile the sources).
    compileall.compile_dir(REPO / "sspimodel", quiet=1)
    empty = startup_ms("pass", args.starts)
    f = figure("cold import (from sspimodel import Sspi)", "<= 150 ms", lambda v: v <= 150, "ms", ".0f")
    f.value = startup_ms("from sspimodel import Sspi; Sspi.__name__", args.starts) - empty
    f.note = f"over an empty interpreter ({empty:.0f} ms), min of {args.starts}"
    f = figure("first use (Sspi, default_world())", "<= 100 ms", lambda v: v <= 100, "ms", ".0f")
    f.value = startup_ms("from sspimodel import Sspi, default_world; default_world()", args.starts) - empty
    f.note = f"over an empty interpreter, min of {args.starts}"

    import bench_model

    for name, value in bench_model.bench_calls(seconds).items():
        f = figure(name, ">= 100,000/s", lambda v: v >= bench_model.TARGET_CALLS, "/s", ",.0f")
        f.value = value
    f = figure("model NTLM handshakes (export, import)", "-", None, "/s", ",.0f")
    f.value = bench_model.bench_handshakes(seconds)

    f = figure("handshake ratio (model / sspi-rs)", ">= 1.00 (2.00)", lambda v: v >= 1.0, "x", ".2f")
    f.value, f.note = handshake_ratio(args.quick)

    f = figure("floor: best reachable handshake ratio", "-", None, "x", ".2f")
    f.value, f.note = floor_ratio(args.quick)

    f = figure("sspimodel check", "<= 1.00 s", lambda v: v <= 1.0, "s", ".2f")
    f.value, f.note = check_seconds(min(args.starts, 3))

    f = figure("notebooks (pytest notebooks)", "<= 45 s", lambda v: v <= 45, "s", ".1f")
    if args.notebooks:
        f.value, f.note = pytest_seconds(["notebooks"])
    else:
        f.note = "run with --notebooks"
    f = figure("test suite (pytest, notebooks included)", "<= 90 s", lambda v: v <= 90, "s", ".1f")
    if args.suite:
        f.value, f.note = pytest_seconds([])
    else:
        f.note = "run with --suite"

    width = max(len(f.name) for f in figures)
    print("sspimodel speed figures (targets from issue 21)")
    for f in figures:
        print(f.line(width))
    measured = [f for f in figures if f.value is not None and f.met is not None]
    missed = [f.name for f in measured if not f.met(f.value)]  # type: ignore[misc, arg-type]
    print(f"{len(measured) - len(missed)} of {len(measured)} measured figures meet their target")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
