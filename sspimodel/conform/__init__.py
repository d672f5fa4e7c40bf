"""``sspimodel conform``: run the same scenarios against the model and a real SSPI, report departures.

The pieces: :mod:`.scenario` (the YAML format, loading and validation), :mod:`.backends` (one thin
adapter per backend), :mod:`.runner` (running a scenario, natively in a child process with a
time limit), :mod:`.classify` (agree / disagree / undocumented / not-available per call) and
:mod:`.report` (JSON, Markdown, terminal).

Exit status of :func:`run_conform`: 0 when the run completed (the subject's departures are
findings, not failures); 1 when the model produced a status its page does not allow (or raised:
a scenario that breaks a contract), or a scenario file is invalid; 2 on usage errors (a bad
``--backend``, a missing scenario directory, no native library).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .backends import BackendSpec, parse_backend
from .classify import Judge, Row, compare, load_errata
from .report import Report, build_report, render_terminal, write_report
from .runner import DEFAULT_TIMEOUT, ScenarioRun, run_in_child, run_scenario
from .scenario import ScenarioError, default_scenarios_dir, load_scenario, load_scenarios, scenario_files

__all__ = [
    "BackendSpec",
    "Report",
    "ScenarioError",
    "conform",
    "default_scenarios_dir",
    "exit_status",
    "load_scenario",
    "load_scenarios",
    "parse_backend",
    "run_conform",
]


def conform(
    backend: str = "model",
    scenarios: Path | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    errata: Path | None = None,
) -> Report:
    """Run the scenarios and return the report (no output). Raises ValueError for a bad backend
    string, FileNotFoundError for a missing scenario directory, and the native loader's
    NativeLibraryNotFound when no library is found."""
    spec = parse_backend(backend)
    directory = Path(scenarios) if scenarios is not None else default_scenarios_dir()
    if not directory.is_dir():
        if scenarios is None:  # the spec folder's own (SSPIMODEL_SPEC's when set), not an option given
            raise FileNotFoundError(f"the spec folder has no scenarios/ ({directory} is not a directory); "
                                    "name a folder of scenarios with --scenarios DIR")
        raise FileNotFoundError(f"--scenarios {directory}: not a directory")
    if not scenario_files(directory):
        # A folder with nothing to run (a wrong path, a folder of includes) would otherwise pass
        # as "0 calls in 0 scenarios".
        raise FileNotFoundError(f"--scenarios {directory}: no scenario file (*.yaml not starting with _) in it")
    loaded, problems = load_scenarios(directory)
    judge = Judge(load_errata(errata))
    model_spec = BackendSpec("model")
    model = model_spec.make()
    subject = model if spec.kind == "model" else spec.make()
    rows: list[Row] = []
    subject_runs: list[ScenarioRun] = []
    for scenario in loaded:
        model_run = run_scenario(scenario, model)
        if spec.kind == "model":
            subject_runs.append(model_run)
            rows += compare(judge, scenario, model_run)
            continue
        run = run_in_child(scenario, spec, timeout=timeout, label=subject.name)
        subject_runs.append(run)
        rows += compare(judge, scenario, run, model_run)
    return build_report(
        judge,
        loaded,
        subject_runs,
        rows,
        subject=(subject.name, subject.description),
        reference=None if spec.kind == "model" else (model.name, model.description),
        problems=problems,
    )


def exit_status(report: Report) -> int:
    """1 when the model returned a status outside its page and the errata, or raised, or a
    scenario file is invalid; else 0 (the subject's departures are findings)."""
    s = report.summary
    return 1 if s["model_undocumented"] or s["model_errors"] or s["invalid_scenarios"] else 0


def run_conform(backend: str, scenarios: Path | None, report_dir: Path | None, *, timeout: float = DEFAULT_TIMEOUT) -> int:
    """The ``sspimodel conform`` command: run, print the summary, write the reports, exit status."""
    from rich.console import Console

    err = sys.stderr
    try:
        report = conform(backend, scenarios, timeout=timeout)
    except (ValueError, FileNotFoundError) as exc:
        print(f"sspimodel conform: {exc}", file=err)
        return 2
    except OSError as exc:  # NativeLibraryNotFound and other loading failures
        print(f"sspimodel conform: {exc}", file=err)
        return 2
    console: Any = Console(file=sys.stdout, width=100, highlight=False, soft_wrap=False)
    render_terminal(report, console)
    if report_dir is not None:
        json_path, md_path = write_report(report, Path(report_dir))
        console.print(f"wrote {json_path} and {md_path}")
    return exit_status(report)
