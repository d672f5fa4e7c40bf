"""Benchmark of the source-page reader against markdown-it-py's bare parse.

Reads every page of ../shared/corpus/sdk-api (when present) and spec/pages (source form only:
the rendered pages go to the other reader), with the text already in memory, N times, and prints:

- pages/second of ``sspimodel.read.source.read_source`` (the full reader),
- the time of ``MarkdownIt("commonmark").enable("table").parse()`` on the same texts,
- the ratio reader speed / bare-parse speed (TARGET >= 0.5: the reader costs at most twice a
  bare markdown parse),
- peak memory (tracemalloc) and max RSS while reading all of spec/ through ``read_spec``.

Usage: .venv/bin/python benchmarks/bench_read.py [--repeat N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import resource
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from markdown_it import MarkdownIt  # noqa: E402

from sspimodel.read import detect_form, read_spec  # noqa: E402
from sspimodel.read.source import read_source  # noqa: E402
from sspimodel.spec import Form  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "sdk-api"
SPEC_PAGES = REPO / "spec" / "pages"
TARGET_RATIO = 0.5


def load_pages() -> list[tuple[str, str]]:
    paths = sorted(CORPUS.rglob("*.md")) if CORPUS.is_dir() else []
    paths += sorted(p for p in SPEC_PAGES.rglob("*") if p.suffix in (".md", ".txt"))
    pages = []
    for p in paths:
        text = p.read_text(encoding="utf-8")
        if detect_form(text) is Form.SOURCE:
            pages.append((p.name, text))
    return pages


def best_of(fns: list, rounds: int) -> list[float]:
    """Smallest wall time of each function over `rounds` interleaved runs: interleaving exposes
    both to the same load from other work on the machine, and the minimum is the least disturbed."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            gc.collect()
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20, help="passes over all pages per timed round")
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds; the best is reported")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of the reader")
    args = ap.parse_args()

    pages = load_pages()
    if not pages:
        print("no source pages found", file=sys.stderr)
        return 1
    n = len(pages) * args.repeat
    chars = sum(len(t) for _, t in pages)
    print(
        f"{len(pages)} source pages ({chars} characters), {args.repeat} passes, best of {args.rounds} rounds"
    )

    bare = MarkdownIt("commonmark").enable("table")

    def run_bare() -> None:
        for _ in range(args.repeat):
            for _name, text in pages:
                bare.parse(text)

    def run_reader() -> None:
        for _ in range(args.repeat):
            for name, text in pages:
                read_source(text, name)

    run_reader()  # warm-up: imports, regex compilation
    t_bare, t_reader = best_of([run_bare, run_reader], args.rounds)
    speed_bare = n / t_bare
    speed_reader = n / t_reader
    ratio = speed_reader / speed_bare
    print(f"bare markdown-it parse : {t_bare:8.3f} s  {speed_bare:8.1f} pages/s")
    print(f"source reader          : {t_reader:8.3f} s  {speed_reader:8.1f} pages/s")
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"ratio reader/bare speed: {ratio:.2f}  ({verdict} target >= {TARGET_RATIO})")

    tracemalloc.start()
    specset = read_spec(REPO / "spec")
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"read_spec(spec/): {len(specset.functions)} functions, {len(specset.errors)} unreadable;"
        f" tracemalloc peak {peak / 1024:.0f} KiB; process max RSS {rss_kib / 1024:.1f} MiB"
    )

    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        run_reader()
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
    return 0 if ratio >= TARGET_RATIO else 2


if __name__ == "__main__":
    raise SystemExit(main())
