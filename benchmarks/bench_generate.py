"""Benchmark of the generated layer's import cost and of the generator.

Prints, as medians of several runs:

- the cold import time of ``sspimodel`` and of ``sspimodel._generated`` (with ``CONTRACTS``
  touched), each measured with time.perf_counter around the import in a fresh interpreter
  (``python -c``), so nothing is cached in sys.modules; the interpreter's own start-up is not
  counted. Measured twice: with a warm bytecode cache (an installed package; the cache goes to
  a temporary PYTHONPYCACHEPREFIX, not into the tree) and with no bytecode at all
  (PYTHONDONTWRITEBYTECODE, every module compiled from source, as in a fresh checkout).
  TARGET: ``sspimodel._generated`` with bytecode well under 100 ms.
- the ``-X importtime`` cumulative figure for ``sspimodel._generated`` (median), for comparison
  (importtime adds its own overhead);
- the generation time for all of spec/: read_spec + planning + rendering (``codegen.build``),
  and the rendering alone (``build_from_specs`` on specs already read).

Usage: .venv/bin/python benchmarks/bench_generate.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sspimodel import codegen  # noqa: E402
from sspimodel.read import read_spec  # noqa: E402

TARGET_MS = 100.0

_TIMED_IMPORT = """
import time
t0 = time.perf_counter()
import {module} as m
{touch}
print(time.perf_counter() - t0)
"""


def cold_import_ms(module: str, touch: str, runs: int, env: dict[str, str]) -> list[float]:
    out = []
    for _ in range(runs):
        code = _TIMED_IMPORT.format(module=module, touch=touch)
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True, env=env
        )
        out.append(float(proc.stdout.strip()) * 1000)
    return out


def importtime_ms(module: str, runs: int, env: dict[str, str]) -> list[float]:
    out = []
    for _ in range(runs):
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        for line in proc.stderr.splitlines():
            m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S+)$", line)
            if m and m.group(2) == module:
                out.append(int(m.group(1)) / 1000)
    return out


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def line(label: str, samples: list[float]) -> str:
    return (
        f"{label:<48} median {statistics.median(samples):8.1f} ms"
        f"  (min {min(samples):.1f}, max {max(samples):.1f}, n={len(samples)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    runs = args.runs

    with tempfile.TemporaryDirectory(prefix="sspimodel-pycache-") as cache:
        cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached["PYTHONPYCACHEPREFIX"] = cache
        nocache = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        # Warm the bytecode cache once: "cold" means a fresh interpreter, not a fresh .pyc.
        subprocess.run([sys.executable, "-c", "import sspimodel._generated"], cwd=REPO, check=True, env=cached)
        pkg = cold_import_ms("sspimodel", "", runs, cached)
        gen = cold_import_ms("sspimodel._generated", "assert m.CONTRACTS", runs, cached)
        print(line("cold import sspimodel", pkg))
        print(line("cold import sspimodel._generated (+CONTRACTS)", gen))
        print(line("-X importtime sspimodel._generated (cumulative)", importtime_ms("sspimodel._generated", runs, cached)))
        raw = cold_import_ms("sspimodel._generated", "assert m.CONTRACTS", runs, nocache)
        print(line("same, no bytecode (compiled from source)", raw))

    specs = read_spec().functions
    n_files = len(codegen.generate())
    print(line(f"generate all of spec/ ({len(specs)} pages, {n_files} files)", timed(codegen.build, runs)))
    print(line("  of which rendering (specs already read)", timed(lambda: codegen.build_from_specs(specs), runs)))
    verdict = "OK" if statistics.median(gen) < TARGET_MS else "OVER TARGET"
    print(f"target: import sspimodel._generated < {TARGET_MS:.0f} ms: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
