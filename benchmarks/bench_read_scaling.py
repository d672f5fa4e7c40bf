"""Scaling benchmark of the page reader: is every path linear in the page size?

For each crafted page shape (the hostile shapes of issue 12 and a few more), builds pages of 1x,
10x and 100x size, reads each with ``sspimodel.read.read_text`` (best of a few runs, CPU time of this process so
that other work on a shared machine disturbs it less) and prints the time and the time ratio
per 10x step. Time is this process's CPU time (time.process_time), the best of a
few runs, so other work on a shared machine disturbs it less than wall time. A linear path gives a ratio near 10; every step must
be <= 12 (TARGET). Exit status 2 when a step misses it.

Usage: .venv/bin/python benchmarks/bench_read_scaling.py [--base N] [--rounds R]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sspimodel.read import read_text  # noqa: E402

TARGET = 12.0

FRONT = "---\nUID: NF:sspi.ScaleFn\ntitle: ScaleFn function (sspi.h)\nreq.header: sspi.h\n---\n\n# ScaleFn function\n\n"


def source_params(n: int) -> str:
    body = "".join(f"### -param p{i} [in]\n\nThe value p{i}. This parameter can be NULL.\n\n" for i in range(n))
    return FRONT + "## -description\n\nText.\n\n## -parameters\n\n" + body + "## -returns\n\nReturns SEC_E_OK.\n"


def source_tbd_orphans(n: int) -> str:
    body = "".join(f"### -param p{i}\n\nTBD\n\n#### - q{i} [in, optional]\n\nThe value q{i}.\n\n" for i in range(n))
    return FRONT + "## -parameters\n\n" + body + "## -returns\n\nReturns SEC_E_OK.\n"


def source_return_rows(n: int) -> str:
    rows = "".join(f"| **SEC_E_CODE_{i}** | The call failed for reason {i}. |\n" for i in range(n))
    return FRONT + "## -returns\n\nIf the function fails, it returns one of these.\n\n| Return code | Description |\n|---|---|\n" + rows


def source_html_table(n: int) -> str:
    rows = "".join(f"<tr>\n<td>SEC_E_CODE_{i}</td>\n<td>\nReason {i}.\n</td>\n</tr>\n" for i in range(n))
    return FRONT + "## -returns\n\n<table>\n<tr><th>Return code</th><th>Description</th></tr>\n" + rows + "</table>\n"


def source_front_matter(n: int) -> str:
    keys = "".join(f"req.key{i}: value {i}\n" for i in range(n))
    return "---\nUID: NF:sspi.ScaleFn\n" + keys + "---\n\n## -description\n\nText.\n"


def source_alias_bomb(n: int) -> str:
    """n lines of doubling aliases: expanded, 2**n list items (refused unexpanded instead)."""
    lines = ["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, n)]
    return "---\nUID: NF:sspi.ScaleFn\n" + "\n".join(lines) + "\n---\n\n## -description\n\nText.\n"


def source_prose(n: int) -> str:
    para = "The caller passes SEC_E_OK or ERROR_SUCCESS to pX when *optional* things happen; it may fail. "
    return FRONT + "## -remarks\n\n" + "".join(para + "\n\n" for _ in range(n))


def source_open_brackets(n: int) -> str:
    """Prose of unclosed '[' and stray emphasis delimiters and backticks (inline scanner)."""
    return FRONT + "## -remarks\n\n" + "".join(f"[a{i} *b _c `d " for i in range(n)) + "]\n"


def source_value_rows_naming_codes(n: int) -> str:
    rows = "".join(f"| **SCALE_FLAG_{i}**<br>{i} | The flag {i}; pass SEC_E_OK. |\n" for i in range(n))
    return FRONT + "## -parameters\n\n### -param fFlags [in]\n\n| Value | Meaning |\n|---|---|\n" + rows


def rendered_params(n: int) -> str:
    body = "".join(f"[in] p{i}\n\nThe value p{i}.\n\n" for i in range(n))
    return "ScaleFn function (sspi.h)\n\nText.\n\nParameters\n\n" + body + "Return value\n\nReturns SEC_E_OK.\n"


def rendered_return_headers(n: int) -> str:
    body = "".join(f"Return code Description\nSEC_E_CODE_{i}\nReason {i}.\n" for i in range(n))
    return "ScaleFn function (sspi.h)\n\nText.\n\nReturn value\n\nIf the function fails:\n\n" + body


def rendered_orphans(n: int) -> str:
    body = "".join(f"p{i}\n\nTBD\n\n- q{i} [in, optional]\n\nThe value q{i}.\n\n" for i in range(n))
    return "ScaleFn function (sspi.h)\n\nText.\n\nParameters\n\n" + body + "Return value\n\nReturns SEC_E_OK.\n"


def rendered_return_rows(n: int) -> str:
    body = "".join(f"SEC_E_CODE_{i}\n0x8009{i:04X}L\nReason {i}, see SEC_E_OK.\n" for i in range(n))
    return (
        "ScaleFn function (sspi.h)\n\nText.\n\nReturn value\n\nIf the function fails, it returns one of"
        " the following codes.\n\nReturn code Description\n" + body
    )


def rendered_value_table(n: int) -> str:
    rows = "".join(f"SCALE_FLAG_{i}\n{i}\nThe flag {i}; pass SEC_E_OK.\n" for i in range(n))
    return (
        "ScaleFn function (sspi.h)\n\nText.\n\nParameters\n\n[in] fFlags\n\nOne of these.\n\n"
        "Value Meaning\n" + rows + "\nReturn value\n\nReturns SEC_E_OK.\n"
    )


def rendered_prose(n: int) -> str:
    body = "".join(f"If the call fails, it returns SEC_E_X{i} while it is still running. " for i in range(n))
    return "ScaleFn function (sspi.h)\n\nText.\n\nReturn value\n\n" + body + "\n\nRemarks\n\n" + body + "\n"


SHAPES: dict[str, Callable[[int], str]] = {
    "source: many ### -param headings": source_params,
    "source: TBD params + orphan headings": source_tbd_orphans,
    "source: long pipe return table": source_return_rows,
    "source: long HTML return table": source_html_table,
    "source: large front matter": source_front_matter,
    "source: long remarks prose": source_prose,
    "source: YAML alias bomb in front matter": source_alias_bomb,
    "source: unclosed brackets, stray * _ ` in prose": source_open_brackets,
    "source: value table whose rows name codes": source_value_rows_naming_codes,
    "rendered: many parameter headings": rendered_params,
    "rendered: many 'Return code Description' headers": rendered_return_headers,
    "rendered: TBD params + orphan headings": rendered_orphans,
    "rendered: long alternating return table": rendered_return_rows,
    "rendered: long value table": rendered_value_table,
    "rendered: long returns and remarks prose": rendered_prose,
}


def timed(text: str, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        gc.disable()  # the collector's pauses depend on the heap, not on this page's algorithm
        try:
            t0 = time.process_time()
            read_text(text, "scale.md")
            best = min(best, time.process_time() - t0)
        finally:
            gc.enable()
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=int, default=20, help="items in the 1x page")
    ap.add_argument("--rounds", type=int, default=5, help="runs per size; the best is kept")
    args = ap.parse_args()
    worst = 0.0
    print(f"{'shape':52} {'1x':>9} {'10x':>9} {'100x':>9}  ratio/10x-step")
    for label, make in SHAPES.items():
        times = []
        sizes = []
        for mult in (1, 10, 100):
            text = make(args.base * mult)
            sizes.append(len(text))
            times.append(timed(text, args.rounds))
        ratios = [times[i + 1] / times[i] for i in range(2)]
        worst = max(worst, *ratios)
        flag = "" if max(ratios) <= TARGET else "  MISSES"
        print(
            f"{label:52} {times[0] * 1e3:7.2f}ms {times[1] * 1e3:7.2f}ms {times[2] * 1e3:7.1f}ms"
            f"  {ratios[0]:5.1f}x {ratios[1]:5.1f}x{flag}   ({sizes[2]} chars at 100x)"
        )
    verdict = "meets" if worst <= TARGET else "MISSES"
    print(f"worst step ratio: {worst:.1f}x ({verdict} target <= {TARGET:.0f}x)")
    return 0 if worst <= TARGET else 2


if __name__ == "__main__":
    raise SystemExit(main())
