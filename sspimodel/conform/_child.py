"""The child side of :func:`sspimodel.conform.runner.run_in_child`.

``python -m sspimodel.conform._child --backend SPEC FILE`` loads the scenario, makes the backend's
adapter and runs the scenario, printing ``CALL n`` before step n, ``RECORD {json}`` after it and
``END {json}`` at the end, each line flushed at once: when the library kills the process, the
parent still has every line printed before. (A module of its own, which the package does not
import, so that ``-m`` runs it without importing it twice.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .backends import parse_backend
from .runner import CallRecord, record_json, run_scenario
from .scenario import load_scenario


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sspimodel.conform._child")
    parser.add_argument("--backend", required=True)
    parser.add_argument("scenario", type=Path)
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario)
    adapter = parse_backend(args.backend).make()

    def emit(tag: str, payload: object) -> None:
        text = record_json(payload) if isinstance(payload, CallRecord) else str(payload)
        sys.stdout.write(f"{tag} {text}\n")
        sys.stdout.flush()

    run = run_scenario(scenario, adapter, on_event=emit)
    emit("END", json.dumps({"backend": run.backend, "records": len(run.records)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
