#!/usr/bin/env python3
"""Derive spec/data/sspi_h.json and spec/data/ntstatus_h.json from mingw-w64's headers.

    apt-get install mingw-w64-common      # /usr/share/mingw-w64/include
    python tools/header_data.py [--include DIR] [--check]

Lint uses these files, never the live headers, so its findings do not depend on what a machine
has installed. Run this when the headers change (a new mingw-w64); --check exits 1 when the
committed data differs from what the headers give. The source line records the package version
that dpkg reports, when it can.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from sspimodel.check.header import (
    NTSTATUS_H_DATA,
    SSPI_H_DATA,
    header_facts_from_dir,
    ntstatus_h_json,
    sspi_h_json,
)
from sspimodel.paths import REPO_ROOT

MINGW_INCLUDE = Path("/usr/share/mingw-w64/include")


def _package_version() -> str:
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "mingw-w64-common"],
                             capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def render(include: Path, version: str) -> dict[str, str]:
    facts = header_facts_from_dir(include)
    pkg = f"mingw-w64-common {version}" if version else "mingw-w64"
    return {
        SSPI_H_DATA: sspi_h_json(facts.sspi, f"{pkg}, include/sspi.h (read per ISSP_MODE by sspimodel.check.header)"),
        NTSTATUS_H_DATA: ntstatus_h_json(facts.ntstatus, f"{pkg}, include/ntstatus.h (integer #defines)"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--include", type=Path, default=MINGW_INCLUDE,
                    help=f"the folder holding sspi.h and ntstatus.h (default {MINGW_INCLUDE})")
    ap.add_argument("--out", type=Path, default=REPO_ROOT / "spec" / "data",
                    help="where to write the data files (default: the checkout's spec/data)")
    ap.add_argument("--version", default=None,
                    help="the header package's version for the source line (default: ask dpkg)")
    ap.add_argument("--check", action="store_true", help="compare with the files in --out instead of writing")
    args = ap.parse_args(argv)
    if not (args.include / "sspi.h").is_file() or not (args.include / "ntstatus.h").is_file():
        print(f"header_data: no sspi.h and ntstatus.h in {args.include} (apt-get install mingw-w64-common)",
              file=sys.stderr)
        return 1
    files = render(args.include, args.version if args.version is not None else _package_version())
    stale = []
    for name, text in files.items():
        path = args.out / name
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({len(text.splitlines())} lines)")
    if stale:
        print("header_data: differs from the headers: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
