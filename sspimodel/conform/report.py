"""The conformance report: JSON (the data), Markdown (for people), and a rich terminal summary.

Everything is drawn from the classified rows (:mod:`sspimodel.conform.classify`). Output is
deterministic: rows in scenario-file and step order, functions and status names sorted, no
timestamps or durations.

JSON layout (``conform.json``)::

    format            "sspimodel-conform/1"
    subject           {backend, description}: the backend judged
    reference         {backend, description} of the model when the subject is native, else null
    summary           {scenarios, calls, agree, disagree, undocumented, not-available, crash,
                       timeout, skipped, error, model_undocumented, model_errors, invalid_scenarios}
    scenarios         [{name, file, description, mode, functions, end, detail, calls}]
    invalid_scenarios ["file:line: step ...: field ...: message"]
    functions         [{function, page, kernel_mode_only, documented, mentioned, errata, calls,
                        returned: {BACKEND: {STATUS-or-outcome: count}}, verdicts: {VERDICT: count},
                        departures: [{scenario, step, step_id, verdict, text}]}]
    calls             [{scenario, step, step_id, function, args, expect, model, subject,
                        subject_backend, reference, reference_from, verdict, departure}]
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from attrs import asdict, frozen

from ..check.schema import header
from .classify import VERDICTS, Judge, Row, Side
from .runner import ScenarioRun
from .scenario import Problem, Scenario

__all__ = ["FORMAT", "Report", "build_report", "render_markdown", "render_terminal", "write_report"]

FORMAT = "sspimodel/conform"  # the "schema" key; "version" is the project's one JSON version (check/schema.py)


@frozen
class Report:
    data: dict[str, Any]

    @property
    def summary(self) -> dict[str, Any]:
        s: dict[str, Any] = self.data["summary"]
        return s


def _side_dict(side: Side | None) -> dict[str, Any] | None:
    return asdict(side) if side is not None else None


def _returned_label(side: Side) -> str:
    return side.status if side.kind in ("status", "value") and side.status else side.kind


def build_report(
    judge: Judge,
    scenarios: Sequence[Scenario],
    subject_runs: Sequence[ScenarioRun],
    rows: Sequence[Row],
    *,
    subject: tuple[str, str],
    reference: tuple[str, str] | None,
    problems: Sequence[Problem] = (),
) -> Report:
    """Assemble the report data. ``subject`` / ``reference``: (backend, description)."""
    runs = {r.scenario: r for r in subject_runs}
    verdicts = Counter(r.verdict for r in rows)
    model_sides = [(r, r.model if r.model is not None else r.subject) for r in rows if r.model is not None or r.subject_backend == "model"]
    model_undocumented = sum(1 for _, s in model_sides if s.kind == "status" and s.page_class == "undocumented")
    model_errors = sum(1 for _, s in model_sides if s.kind == "error")
    summary: dict[str, Any] = {"scenarios": len(scenarios), "calls": len(rows)}
    summary.update({v: verdicts.get(v, 0) for v in VERDICTS})
    summary.update(
        {
            "model_undocumented": model_undocumented,
            "model_errors": model_errors,
            "invalid_scenarios": len({p.file for p in problems}),
        }
    )
    scenario_rows = []
    for s in scenarios:
        run = runs.get(s.name)
        scenario_rows.append(
            {
                "name": s.name,
                "file": s.display_path,
                "description": s.description,
                "mode": s.mode,
                "functions": list(s.functions),
                "end": run.end if run is not None else "not run",
                "detail": run.detail if run is not None else "",
                "calls": sum(1 for r in rows if r.scenario == s.name),
            }
        )
    subject_backend = subject[0]
    backends = ["model", subject_backend] if reference is not None else [subject_backend]
    functions = []
    for name, contract in sorted(judge.contracts.items()):
        mine = [r for r in rows if r.function == name]
        documented, mentioned, errata = judge.sets(name)
        returned: dict[str, dict[str, int]] = {}
        for b in backends:
            sides = [r.subject if b == subject_backend else r.model for r in mine]
            counts = Counter(_returned_label(s) for s in sides if s is not None and s.kind != "not-called")
            returned[b] = dict(sorted(counts.items()))
        functions.append(
            {
                "function": name,
                "page": contract.page,
                "kernel_mode_only": contract.kernel_mode_only,
                "documented": list(documented),
                "mentioned": list(mentioned),
                "errata": list(errata),
                "calls": len(mine),
                "returned": returned,
                "verdicts": dict(sorted(Counter(r.verdict for r in mine).items())),
                "departures": [
                    {"scenario": r.scenario, "step": r.step, "step_id": r.step_id, "verdict": r.verdict, "text": r.departure}
                    for r in mine
                    if r.verdict != "agree"
                ],
            }
        )
    calls = []
    for r in rows:
        d = asdict(r, recurse=False)
        d["model"] = _side_dict(r.model)
        d["subject"] = _side_dict(r.subject)
        calls.append(d)
    data = {
        **header("conform"),
        "subject": {"backend": subject[0], "description": subject[1]},
        "reference": {"backend": reference[0], "description": reference[1]} if reference is not None else None,
        "summary": summary,
        "scenarios": scenario_rows,
        "invalid_scenarios": [str(p) for p in problems],
        "functions": functions,
        "calls": calls,
    }
    return Report(data)


def grouped_departures(report: Report) -> list[tuple[str, str, list[str]]]:
    """Departures with the same verdict and text (the same function returning the same status
    against the same reference), with the ``scenario#step`` where each occurred; in report order."""
    groups: dict[tuple[str, str], list[str]] = {}
    for f in report.data["functions"]:
        for dep in f["departures"]:
            groups.setdefault((dep["verdict"], dep["text"]), []).append(f"{dep['scenario']}#{dep['step_id']}")
    return [(verdict, text, where) for (verdict, text), where in groups.items()]


# -- Markdown ---------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}" + (f" ×{n}" if n > 1 else "") for k, n in counts.items()) or "—"


def render_markdown(report: Report) -> str:
    d = report.data
    s = d["summary"]
    subject = d["subject"]
    lines = ["# SSPI conformance report", ""]
    lines.append(f"Subject: **{subject['backend']}**: {subject['description']}  ")
    if d["reference"] is not None:
        lines.append(f"Reference: **model**: {d['reference']['description']} (run on the same scenarios)  ")
    lines.append(
        "Each call is classified: *agree* (same status as the reference), *disagree* (another status the "
        "page allows), *undocumented* (outside the page's documented and mentioned codes and the errata), "
        "*not-available*, *crash*, *timeout*, *skipped*, *error*."
    )
    lines += ["", "## Summary", "", "| " + " | ".join(["scenarios", "calls", *VERDICTS]) + " |"]
    lines.append("|" + "---:|" * (2 + len(VERDICTS)))
    lines.append("| " + " | ".join(str(s[k]) for k in ["scenarios", "calls", *VERDICTS]) + " |")
    lines.append("")
    lines.append(
        f"Model: {s['model_undocumented']} undocumented status(es), {s['model_errors']} error(s); "
        f"{s['invalid_scenarios']} invalid scenario file(s)."
    )
    if d["invalid_scenarios"]:
        lines += ["", "### Invalid scenario files", ""]
        lines += [f"- `{_md_cell(p)}`" for p in d["invalid_scenarios"]]
    lines += ["", "## Scenarios", "", "| scenario | file | mode | calls | end |", "|---|---|---|---:|---|"]
    for sc in d["scenarios"]:
        end = sc["end"] + (f": {sc['detail']}" if sc["detail"] else "")
        lines.append(f"| {sc['name']} | `{sc['file']}` | {sc['mode']} | {sc['calls']} | {_md_cell(end)} |")
    backends = list(d["functions"][0]["returned"]) if d["functions"] else []
    lines += ["", "## Functions", ""]
    header = ["function", "documented (page)", *(f"{b} returned" for b in backends), "verdicts"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for f in d["functions"]:
        documented = ", ".join(f["documented"]) or "—"
        if f["mentioned"]:
            documented += "; mentioned: " + ", ".join(f["mentioned"])
        if f["errata"]:
            documented += "; errata: " + ", ".join(f["errata"])
        returned = [_counts(f["returned"][b]) for b in backends]
        verdicts = _counts(f["verdicts"]) if f["calls"] else "not exercised"
        cells = [f"`{f['function']}`", documented, *returned, verdicts]
        lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
    lines += ["", "## Departures", ""]
    groups = grouped_departures(report)
    if not groups:
        lines += ["None: every call agrees.", ""]
    for verdict, text, where in groups:
        lines.append(f"- **{verdict}**: {_md_cell(text)} — {', '.join(f'`{w}`' for w in where)}")
    return "\n".join(lines).rstrip() + "\n"


def write_report(report: Report, directory: Path) -> tuple[Path, Path]:
    """Write conform.json and conform.md into ``directory`` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, md_path = directory / "conform.json", directory / "conform.md"
    json_path.write_text(json.dumps(report.data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return json_path, md_path


# -- terminal ---------------------------------------------------------------------------------

_SHORT = {
    "agree": "agree",
    "disagree": "differ",
    "undocumented": "undoc",
    "not-available": "n/a",
    "crash": "crash",
    "timeout": "hang",
    "skipped": "skip",
    "error": "error",
}
_STYLES = {"disagree": "yellow", "undocumented": "red", "crash": "red", "timeout": "red", "error": "red"}


def render_terminal(report: Report, console: Any) -> None:
    """The rich summary: one row per exercised function, then the departures (fits 100 columns)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    d = report.data
    s = d["summary"]
    console.print(Text(f"subject: {d['subject']['backend']}: {d['subject']['description']}", overflow="fold"))
    if d["reference"] is not None:
        console.print(Text(f"reference: model: {d['reference']['description']}", overflow="fold"))
    table = Table(
        title=f"{s['calls']} calls in {s['scenarios']} scenarios",
        title_justify="left",
        box=box.SIMPLE_HEAD,  # no vertical rules: one space between columns
        padding=(0, 0),
        show_edge=False,
    )
    longest = max((len(f["function"]) for f in d["functions"]), default=8)
    table.add_column("function", no_wrap=True, min_width=longest)
    table.add_column("calls", justify="right", no_wrap=True, min_width=5)
    for v in VERDICTS:
        table.add_column(_SHORT[v], justify="right", no_wrap=True, min_width=len(_SHORT[v]))
    for f in d["functions"]:
        if not f["calls"]:
            continue
        cells = [f["function"], str(f["calls"])]
        for v in VERDICTS:
            n = f["verdicts"].get(v, 0)
            cells.append(f"[{_STYLES[v]}]{n}[/]" if n and v in _STYLES else (str(n) if n else "·"))
        table.add_row(*cells)
    table.add_section()
    table.add_row("total", str(s["calls"]), *(str(s[v]) for v in VERDICTS), style="bold")
    console.print(table)
    unexercised = [f["function"] for f in d["functions"] if not f["calls"]]
    if unexercised:
        console.print(Text("not exercised: " + ", ".join(unexercised), overflow="fold"))
    for sc in d["scenarios"]:
        if sc["end"] != "completed":
            console.print(Text(f"scenario {sc['name']}: {sc['end']}: {sc['detail']}", style="red", overflow="fold"))
    groups = grouped_departures(report)
    # Calls the backend does not have at all are listed once, by function, not per call.
    absent: Counter[str] = Counter()
    for verdict, text, where in groups:
        if verdict == "not-available":
            absent[text.partition(":")[0]] += len(where)
    if absent:
        names = ", ".join(f"{fn} ×{n}" if n > 1 else fn for fn, n in sorted(absent.items()))
        console.print(Text(f"not available ({sum(absent.values())} calls): {names}", overflow="fold"))
    shown = [g for g in groups if g[0] != "not-available"]
    if shown:
        console.print(Text(f"departures ({sum(len(w) for _, _, w in shown)} calls)", style="bold"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for verdict, text, where in shown:
            places = ", ".join(where) if len(where) <= 3 else f"{', '.join(where[:2])} and {len(where) - 2} more"
            grid.add_row(Text(_SHORT.get(verdict, verdict), style=_STYLES.get(verdict, "")), Text(f"{text} [{places}]"))
        console.print(grid)
    for p in d["invalid_scenarios"]:
        console.print(Text(f"invalid scenario: {p}", style="red", overflow="fold"))
    console.print(
        f"model: {s['model_undocumented']} undocumented, {s['model_errors']} errors; "
        f"{s['invalid_scenarios']} invalid scenario files"
    )
