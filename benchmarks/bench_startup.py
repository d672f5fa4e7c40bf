"""Start-up and ``sspimodel check``: what a user waits for before the first result, with targets.

    .venv/bin/python benchmarks/bench_startup.py [--starts N] [--against DIR]

Figures, each the CPU time (user + system) of a fresh interpreter, the least of ``--starts``
starts, minus the least of an interpreter running ``pass`` (the baseline, printed first):

- cold import: ``from sspimodel import Sspi`` (target <= 150 ms);
- first use: ``from sspimodel import Sspi, default_world; default_world()`` (target <= 100 ms,
  issue 21; benchmarks/run_all.py measures the same two lines);
- first call: first use and one cheap call, ``QuerySecurityPackageInfoW("NTLM")`` (no target:
  it adds what the first call of a function builds, its contract and rule table, and the errata);
- ``sspimodel check`` on the embedded spec: its whole CPU time, interpreter included, the least
  of ``min(starts, 3)`` runs (target <= 1.00 s).

CPU time, not wall time: the machine is shared, and other work stretches wall time, not CPU time.
Each checkout is byte-compiled first (as an installed package is). With ``--against DIR`` the same
figures are measured for the checkout in DIR too (run with PYTHONPATH=DIR and this interpreter:
``git -C <repo> archive main | tar -x -C DIR`` makes one), side by side.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

EMPTY = "pass"
COLD_IMPORT = "from sspimodel import Sspi; Sspi.__name__"
FIRST_USE = "from sspimodel import Sspi, default_world; default_world()"
FIRST_CALL = (
    "from sspimodel import Sspi, default_world; "
    "r = Sspi(default_world()).QuerySecurityPackageInfoW(pPackageName='NTLM'); r.status"
)

# (label, code or None for check, target in the figure's unit or None, unit)
FIGURES: tuple[tuple[str, str | None, float | None, str], ...] = (
    ("cold import (from sspimodel import Sspi)", COLD_IMPORT, 150.0, "ms"),
    ("first use (Sspi, default_world())", FIRST_USE, 100.0, "ms"),
    ("first call (first use + one call)", FIRST_CALL, None, "ms"),
    ("sspimodel check", None, 1.0, "s"),
)


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cpu(argv: list[str], checkout: Path) -> float:
    """CPU seconds of one run of ``argv`` with ``checkout`` first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(checkout) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # The checkout's own spec (an editable install would otherwise resolve sspimodel._spec, and
    # with it check's tests and notebooks, to the installed worktree).
    env["SSPIMODEL_SPEC"] = str(checkout / "spec")
    before = _child_cpu()
    done = subprocess.run(argv, cwd=checkout, env=env, capture_output=True, text=True)
    spent = _child_cpu() - before
    if done.returncode not in (0,):
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SystemExit(f"bench_startup: {' '.join(argv[1:])} in {checkout} exited {done.returncode}: {tail[0]}")
    return spent


def least(argv: list[str], checkout: Path, starts: int) -> float:
    return min(run_cpu(argv, checkout) for _ in range(starts))


def measure(checkout: Path, starts: int) -> dict[str, float]:
    """Every figure for one checkout: ms over the empty interpreter, or seconds for check."""
    compileall.compile_dir(checkout / "sspimodel", quiet=1)
    py = sys.executable
    empty = least([py, "-c", EMPTY], checkout, starts)
    out = {"empty interpreter": empty * 1000}
    for label, code, _target, unit in FIGURES:
        if code is None:
            out[label] = least([py, "-m", "sspimodel", "check"], checkout, min(starts, 3))
        else:
            out[label] = (least([py, "-c", code], checkout, starts) - empty) * (1000 if unit == "ms" else 1)
    return out


def verdict(value: float, target: float | None) -> str:
    if target is None:
        return "(no target)"
    return "met" if value <= target else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=7, help="fresh interpreters per figure (default 7)")
    parser.add_argument("--against", type=Path, help="another checkout to measure side by side (e.g. main)")
    args = parser.parse_args(argv)
    if args.starts < 1:
        parser.error("--starts must be at least 1")
    if args.against is not None and not (args.against / "sspimodel" / "__init__.py").is_file():
        parser.error(f"--against {args.against}: no sspimodel package there")

    ours = measure(REPO, args.starts)
    theirs = measure(args.against.resolve(), args.starts) if args.against else None
    width = max(len(label) for label, *_ in FIGURES)
    print(f"start-up and check, CPU time, least of {args.starts} starts ({min(args.starts, 3)} for check)")
    head = f"  {'figure':<{width}}  {'this checkout':>13}"
    if theirs is not None:
        head += f"  {'--against':>10}"
    print(head + "  target")
    print(f"  {'empty interpreter (baseline)':<{width}}  {ours['empty interpreter']:10.0f} ms"
          + (f"  {theirs['empty interpreter']:7.0f} ms" if theirs else ""))
    met = True
    for label, _code, target, unit in FIGURES:
        fmt = ".0f" if unit == "ms" else ".2f"
        line = f"  {label:<{width}}  {format(ours[label], fmt):>10} {unit:<2}"
        if theirs is not None:
            line += f"  {format(theirs[label], fmt):>7} {unit:<2}"
        shown = "-" if target is None else f"<= {format(target, fmt)} {unit}"
        line += f"  {shown:<12} {verdict(ours[label], target)}"
        print(line)
        if target is not None and ours[label] > target:
            met = False
    print("start-up figures are over the empty interpreter; check is the whole command")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
