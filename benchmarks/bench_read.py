"""Benchmark of the page reader against markdown-it-py's own full parse (commonmark + table + front_matter).

Reads every page of ../shared/corpus/sdk-api (when present) and spec/pages (source form only:
the rendered pages go to the other reader), with the text already in memory, N times, and prints:

- pages/second of ``sspimodel.read.read_text`` (the whole read: tokenize, interpret, diagnostics),
- the time of ``MarkdownIt("commonmark").enable("table").use(front_matter_plugin).parse()`` on the
  same texts (the fixed baseline: markdown-it's own full parse, inline included),
- the ratio reader speed / baseline speed (TARGET >= 1.0),
- peak memory (tracemalloc) of reading 4,700 pages (the corpus pages over and over, every
  FunctionSpec kept, nothing exported): TARGET < 150 MB; and max RSS of the process.

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
from mdit_py_plugins.front_matter import front_matter_plugin  # noqa: E402

from sspimodel.read import detect_form, read_spec, read_text  # noqa: E402
from sspimodel.spec import Form  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "sdk-api"
SPEC_PAGES = REPO / "spec" / "pages"
TARGET_RATIO = 1.0
MEMORY_PAGES = 4700
TARGET_MEMORY_MB = 150


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
            t0 = time.process_time()  # CPU time of this process: less disturbed by other work
            fn()
            best[i] = min(best[i], time.process_time() - t0)
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

    bare = MarkdownIt("commonmark").enable("table").use(front_matter_plugin)

    def run_bare() -> None:
        for _ in range(args.repeat):
            for _name, text in pages:
                bare.parse(text)

    def run_reader() -> None:
        for _ in range(args.repeat):
            for name, text in pages:
                read_text(text, name)

    run_reader()  # warm-up: imports, regex compilation
    t_bare, t_reader = best_of([run_bare, run_reader], args.rounds)
    speed_bare = n / t_bare
    speed_reader = n / t_reader
    ratio = speed_reader / speed_bare
    print(f"markdown-it full parse (commonmark+table+front_matter): {t_bare:8.3f} s  {speed_bare:8.1f} pages/s")
    print(f"whole read (read_text)                                : {t_reader:8.3f} s  {speed_reader:8.1f} pages/s")
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"ratio read/markdown-it speed: {ratio:.2f}  ({verdict} target >= {TARGET_RATIO})")

    gc.collect()
    tracemalloc.start()
    kept = [read_text(pages[i % len(pages)][1], f"{i}/{pages[i % len(pages)][0]}") for i in range(MEMORY_PAGES)]
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb = peak / 1e6
    mem_verdict = "meets" if peak_mb < TARGET_MEMORY_MB else "MISSES"
    print(
        f"{len(kept)} pages read and kept: tracemalloc peak {peak_mb:.1f} MB ({mem_verdict} target < {TARGET_MEMORY_MB} MB)"
    )
    del kept
    specset = read_spec(REPO / "spec")
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"read_spec(spec/): {len(specset.functions)} functions, {len(specset.errors)} unreadable;"
        f" process max RSS {rss_kib / 1024:.1f} MiB"
    )

    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        run_reader()
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
    return 0 if ratio >= TARGET_RATIO and peak_mb < TARGET_MEMORY_MB else 2


if __name__ == "__main__":
    raise SystemExit(main())
