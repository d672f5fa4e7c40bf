"""Scaling benchmark of ``sspimodel check --spec DIR`` on a folder of reference pages whose one
page has thousands of return codes: is the run (read, compare, the drift table) linear?

For each size, writes MakeSignature's page with N more rows in a second return-value table
(pipe rows, as tests/test_cli_review_s8.py builds it) into a temporary folder named like the
reference's (``nf-sspi-makesignature.md``), runs the text-mode check in this process with its
output to a buffer (CPU time of this process, the best of ``--rounds`` runs) and prints the
page size, the drift rows drawn (the text report draws at most
sspimodel.check.drift.DRIFT_ROWS_SHOWN; JSON lists all), the time and the ratio per 4x step
(linear: about 4 or less).

Usage: .venv/bin/python benchmarks/bench_check_drift.py [--base N] [--rounds R]
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sspimodel.check.report import run_check  # noqa: E402

PAGE = (REPO / "spec" / "pages" / "MakeSignature.md").read_text(encoding="utf-8")


def page_with_codes(n: int) -> str:
    rows = "".join(f"| **SEC_E_MADE_UP_{k}** | The call failed for reason {k}. |\n" for k in range(n))
    at = PAGE.index("## -remarks")
    return PAGE[:at] + "More codes.\n\n| Return code | Description |\n|---|---|\n" + rows + "\n" + PAGE[at:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=int, default=1500, help="codes of the smallest page (default 1500)")
    ap.add_argument("--rounds", type=int, default=2, help="runs per size, the best is kept (default 2)")
    args = ap.parse_args()
    previous = None
    print(f"{'codes':>7} {'page bytes':>11} {'drift rows':>11} {'seconds':>8} {'x per 4x':>9}")
    for n in (args.base, args.base * 4, args.base * 16):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "sspi"
            folder.mkdir()
            text = page_with_codes(n)
            (folder / "nf-sspi-makesignature.md").write_text(text, encoding="utf-8")
            best = float("inf")
            out = ""
            for _ in range(args.rounds):
                buffer = io.StringIO()
                start = time.process_time()
                run_check(folder, out=buffer)
                best = min(best, time.process_time() - start)
                out = buffer.getvalue()
            rows = sum(1 for line in out.splitlines() if line.startswith("│ ") and " SEC_E_MADE_UP_" in line)
            ratio = f"{best / previous:9.1f}" if previous else f"{'':>9}"
            print(f"{n:7d} {len(text.encode('utf-8')):11d} {rows:11d} {best:8.2f} {ratio}")
            previous = best
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
