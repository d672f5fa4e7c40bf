"""Regenerate the stored outputs of every notebook in notebooks/.

    python -m sspimodel.notebooks [NOTEBOOK ...]

Each notebook is executed top to bottom with nbclient in the current environment's kernel
(record_timing=False), and written back with stable metadata, so running this twice leaves
``git status`` clean. Cells tagged ``raises-exception`` may raise; any other error stops the
run with the notebook and cell named. Prints the wall time per notebook and in all.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .paths import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"
KERNEL_NAME = "python3"


def notebook_paths(names: Sequence[str] = ()) -> list[Path]:
    if names:
        return [Path(n) if Path(n).exists() else NOTEBOOK_DIR / n for n in names]
    return sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def normalize(nb: Any) -> None:
    """Stable metadata: one kernelspec, no per-run fields, execution counts 1..n."""
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": KERNEL_NAME}
    nb.metadata["language_info"] = {"name": "python"}
    # nbformat 4.5 gives every cell a random id on write; 4.4 has none, so a re-run is byte-stable.
    nb.nbformat_minor = 4
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            cell.outputs = coalesce_streams(cell.get("outputs", []))
            for out in cell.outputs:
                if "execution_count" in out:
                    out["execution_count"] = count
                if out.get("output_type") == "error":
                    # Tracebacks carry absolute paths and source line numbers of the library;
                    # keep the exception's name and message, which is what the cell shows.
                    out["traceback"] = [f"{out.get('ename', '')}: {out.get('evalue', '')}"]
                out.get("metadata", {}).clear() if isinstance(out.get("metadata"), dict) else None
        cell.pop("id", None)


def coalesce_streams(outputs: list[Any]) -> list[Any]:
    """Consecutive stream outputs of one stream joined into one: how the kernel splits a cell's
    printing into messages depends on timing, so the stored outputs would otherwise differ from
    run to run (nbval joins them the same way before comparing)."""
    merged: list[Any] = []
    for out in outputs:
        last = merged[-1] if merged else None
        if (
            last is not None
            and out.get("output_type") == "stream"
            and last.get("output_type") == "stream"
            and out.get("name") == last.get("name")
        ):
            last["text"] = "".join(last["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    return merged


def execute(path: Path, timeout: int = 60) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)  # a malformed cell is named here, not deep inside the kernel client
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        record_timing=False,
        allow_error_names=(),
        resources={"metadata": {"path": str(path.parent)}},
        # Only an error's name and message are stored (see normalize), so the kernel need not
        # build the default traceback, which parses the source of every frame.
        extra_arguments=["--InteractiveShell.xmode=Plain"],
    )
    # Cells tagged raises-exception are allowed to raise (nbval treats them the same way).
    client.allow_errors = False
    start = time.perf_counter()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            allowed = "raises-exception" in cell.metadata.get("tags", [])
            try:
                client.execute_cell(cell, index)
            except Exception as e:  # CellExecutionError
                if not allowed:
                    raise SystemExit(f"{path.name}: cell {index} raised:\n{e}") from None
            if allowed and not any(o.get("output_type") == "error" for o in cell.outputs):
                raise SystemExit(f"{path.name}: cell {index} is tagged raises-exception but did not raise")
    elapsed = time.perf_counter() - start
    normalize(nb)
    nbformat.validator.normalize(nb) if hasattr(nbformat.validator, "normalize") else None
    text = nbformat.writes(nb) + "\n"
    path.write_text(text, encoding="utf-8")
    return elapsed


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m sspimodel.notebooks",
        description="Execute notebooks top to bottom and store their outputs with stable metadata.",
    )
    parser.add_argument(
        "notebooks", nargs="*", metavar="NOTEBOOK",
        help="a notebook path, or a file name in notebooks/ (default: every notebook in notebooks/)",
    )  # fmt: skip
    parser.add_argument("--timeout", type=int, default=60, help="seconds a cell may run (default 60)")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.timeout < 1:
        parser.error("--timeout must be at least 1")
    paths = notebook_paths(args.notebooks)
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 1
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error("no such notebook: " + ", ".join(missing))
    from nbformat import ValidationError

    total = 0.0
    for path in paths:
        try:
            elapsed = execute(path, args.timeout)
        except (OSError, ValueError, ValidationError) as e:  # unreadable, not JSON, not a notebook
            reason = str(e).splitlines()[0] if str(e) else e.__class__.__name__
            print(f"{path}: cannot execute: {reason}", file=sys.stderr)
            return 1
        total += elapsed
        print(f"{path.name:55s} {elapsed:6.2f} s")
    print(f"{len(paths)} notebooks executed in {total:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
