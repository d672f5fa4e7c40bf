"""``sspimodel check``: how the pages, the generated code and the model agree, stage by stage.

Stages, in order, each printing one summary line with counts (ESMeta-style):

1. read      pages, functions, parameters, return codes, diagnostics, unparsed fragments;
2. lint      findings by severity and by rule;
3. generate  whether sspimodel/_generated is fresh for this spec;
4. coverage  for each function, each documented, named-elsewhere and errata status: the rules that
             produce it (citation / interpretation / errata), the notebook cells and tests that show
             it; counts of covered, unreachable-with-reason and uncovered codes;
5. contract  each required parameter and each value table is probed for ContractError, and the
             tests that do the same are named.

Exit status: 0 when every code is covered or explained, the generated code is fresh, and every
contract probe raises as it should; 1 otherwise. Lint findings are reported, not failed on:
they are defects of the pages, which the corpus keeps on purpose.
"""

from __future__ import annotations

import contextlib
import gc
import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from ..paths import REPO_ROOT, default_spec_dir, pages_dir, uses_packaged_data
from ..spec import FunctionSpec, Severity
from .evidence import ASYNC_STATUS, Evidence, evidence_key, notebook_evidence, test_evidence
from .schema import header

SCHEMA_ID = "sspimodel/check"  # with "version" (see check/schema.py)


# --- stage 1: read -----------------------------------------------------------------------------


def stage_read(spec_dir: Path) -> tuple[dict[str, Any], Any]:
    from ..read import read_spec

    specset = read_spec(spec_dir)
    fns = specset.functions
    diags = specset.diagnostics
    stage = {
        "pages": len(fns) + len(specset.errors),
        "functions": len({f.name for f in fns}),
        "parameters": sum(len(f.parameters) for f in fns),
        "return_codes": sum(len(f.returns) for f in fns),
        "diagnostics": len(diags),
        "unparsed": sum(len(f.unparsed) for f in fns),
        "unreadable": [{"file": e.file, "message": e.message, "rule": e.rule} for e in specset.errors],
        "forms": dict(sorted(Counter(f.form.value for f in fns).items())),
    }
    return stage, specset


# --- stage 2: lint -----------------------------------------------------------------------------


def stage_lint(specset: Any) -> dict[str, Any]:
    from .lint import RULES, lint

    findings = lint(specset)
    by_sev = {s.value: sum(1 for d in findings if d.severity is s) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}
    by_rule = dict(sorted(Counter(d.rule for d in findings).items()))
    from ..render import upstream_url

    pages: dict[str, dict[str, Any]] = {}
    for f in specset.functions:
        page = pages.setdefault(f.source.file, {"functions": [], "upstream": f.upstream, "url": upstream_url(f)})
        page["functions"].append(f.name)
    return {
        "total": len(findings),
        "pages": dict(sorted(pages.items())),
        "by_severity": by_sev,
        "by_rule": by_rule,
        "findings": [
            {
                "rule": d.rule,
                "severity": d.severity.value,
                "file": d.file,
                "line": d.line,
                "function": d.function,
                "message": d.message,
                "hint": d.hint or (RULES[d.rule].hint if d.rule in RULES else None),
            }
            for d in findings
        ],
    }


# --- stage 3: generate -------------------------------------------------------------------------


def stage_generate(spec_dir: Path, specset: Any = None) -> dict[str, Any]:
    """Generate in memory and compare with the checked-in code; ``specset``: the pages of
    ``spec_dir`` already read (by stage 1), so they are not read twice."""
    from ..codegen import build, compare_generated

    gen = build(spec_dir, specset)
    staleness = compare_generated(gen.files)
    return {
        "fresh": not bool(staleness),
        "files": len(gen.files),
        "stale": list(staleness.stale),
        "missing": list(staleness.missing),
        "extra": list(staleness.extra),
        "spec_sha256": gen.sha256,
        "findings": [str(f) for f in gen.findings],
    }


# --- stage 4: coverage and traceability --------------------------------------------------------


def _basis_dict(basis: Any) -> dict[str, str]:
    kind = getattr(basis, "kind", "citation")
    return {"basis": kind, "text": str(basis)}


def _rule_dict(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.id,
        "when": rule.when,
        "basis": _basis_dict(rule.basis)["basis"],
        "text": str(rule.basis),
        "also": [str(b) for b in getattr(rule, "also", ())],
        "unreachable": rule.unreachable,
    }


def function_statuses(f: FunctionSpec, errata_codes: set[str]) -> list[dict[str, Any]]:
    """The statuses a function must account for: documented (as the page splits them), named
    elsewhere on the page, and errata."""
    rows: dict[str, dict[str, Any]] = {}
    for r in f.returns:
        row = rows.setdefault(r.name, {"code": r.name, "category": "documented", "kinds": [], "via": []})
        if r.kind.value not in row["kinds"]:
            row["kinds"].append(r.kind.value)
        if r.via.value not in row["via"]:
            row["via"].append(r.via.value)
    for m in f.mentioned_codes:
        if m.code not in rows:
            rows[m.code] = {"code": m.code, "category": "mentioned", "kinds": [], "via": [],
                            "where": f"{m.section} (line {m.line})"}
    for code in sorted(errata_codes):
        if code not in rows:
            rows[code] = {"code": code, "category": "errata", "kinds": [], "via": []}
    return list(rows.values())


def stage_coverage(specset: Any, project_root: Path | None) -> dict[str, Any]:
    from ..model.rules import rules_for
    from ..status import load_catalog

    names = sorted({f.name for f in specset.functions})
    catalog_names = {e.name for e in load_catalog().entries} | {"STATUS_INVALID_PARAMETER"}
    evidence: list[Evidence] = []
    # Without a project (an installed package has no notebooks/ or tests/), evidence cannot be
    # looked for: a code counts as covered when a reachable rule produces it, and the summary
    # says evidence was not looked for.
    evidence_available = project_root is not None
    nb_dir = project_root / "notebooks" if project_root else None
    if nb_dir and nb_dir.is_dir():
        evidence += notebook_evidence(nb_dir, names, project_root)
    test_dir = project_root / "tests" if project_root else None
    if test_dir and test_dir.is_dir():
        evidence += test_evidence(test_dir, names, catalog_names, project_root)
    by_pair: dict[tuple[str, str], list[Evidence]] = {}
    for ev in evidence:
        by_pair.setdefault((ev.function, ev.status), []).append(ev)

    functions: list[dict[str, Any]] = []
    counts: Counter[tuple[str, str]] = Counter()
    seen: set[str] = set()
    for f in specset.functions:
        if f.name in seen:
            continue
        seen.add(f.name)
        try:
            rules = list(rules_for(f.name))
        except KeyError:
            rules = []
        errata_codes = {r.status for r in rules if getattr(r, "is_errata", False)}
        later = list(rules_for(ASYNC_STATUS)) if f.name != ASYNC_STATUS and any(
            r.via.value == "async_status" for r in f.returns) else []
        rows = []
        for row in function_statuses(f, errata_codes):
            code = row["code"]
            producing = [r for r in rules if r.status == code]
            if "async_status" in row["via"]:
                # What an async call reports later comes from SspiGetAsyncCallStatus's table too.
                producing += [r for r in later if r.status == code and r not in producing]
            reachable = [r for r in producing if r.reachable]
            shown = sorted(by_pair.get((f.name, code), []), key=evidence_key)
            row["rules"] = [_rule_dict(r) for r in producing]
            row["evidence"] = [{"kind": e.kind, "where": e.where} for e in shown]
            if reachable and (shown or not evidence_available):
                state, reason = "covered", None
            elif producing and not reachable:
                state = "unreachable"
                reason = "; ".join(sorted({r.unreachable for r in producing if r.unreachable}))
            elif not producing and row["category"] == "mentioned":
                state = "named-only"
                reason = "named elsewhere on the page, not as a return of this function; no rule produces it"
            elif not producing:
                state, reason = "uncovered", "no rule of the model produces this status"
            else:
                state, reason = "uncovered", "no notebook cell or test shows this status"
            row["state"] = state
            row["reason"] = reason
            counts[(row["category"], state)] += 1
            rows.append(row)
        functions.append({"name": f.name, "page": f.source.file, "statuses": rows})

    def total(state: str, categories: tuple[str, ...] = ("documented", "mentioned", "errata")) -> int:
        return sum(counts[(c, state)] for c in categories)

    documented = sum(counts[("documented", s)] for s in ("covered", "unreachable", "uncovered"))
    return {
        "documented": documented,
        "covered": total("covered", ("documented",)),
        "unreachable": total("unreachable", ("documented",)),
        "uncovered": total("uncovered", ("documented",)),
        "mentioned": {s: counts[("mentioned", s)] for s in ("covered", "unreachable", "uncovered", "named-only")},
        "errata": {s: counts[("errata", s)] for s in ("covered", "unreachable", "uncovered")},
        "functions": functions,
    }


def interpretations_and_errata() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    from ..model.rules import all_tables

    interp: list[dict[str, str]] = []
    errata: list[dict[str, str]] = []
    for table in all_tables():
        for rule in table.rules:
            for basis in rule.bases():
                kind = getattr(basis, "kind", "citation")
                row = {"function": table.function, "rule": rule.id, "status": rule.status, "text": str(basis)}
                if kind == "interpretation":
                    interp.append(row)
                elif kind == "errata":
                    errata.append(row)
    return interp, errata


# --- stage 5: contract coverage ----------------------------------------------------------------


def _contract_tests(project_root: Path) -> dict[str, list[str]]:
    """Tests that probe contracts for every function in the spec: name -> kind (missing/value)."""
    from .evidence import test_function_names

    found: dict[str, list[str]] = {"missing": [], "value": []}
    test_dir = project_root / "tests"
    for path in sorted(test_dir.glob("test_*.py")) if test_dir.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        if "ContractError" not in text or ("read_spec" not in text and "CONTRACTS" not in text):
            continue
        # The evidence stage parsed these modules already and noted their test functions.
        for name in test_function_names(text):
            where = f"{path.relative_to(project_root).as_posix()}::{name}"
            if "missing" in name or "required" in name:
                found["missing"].append(where)
            elif "table" in name or "value" in name:
                found["value"].append(where)
    return found


def stage_contract(specset: Any, project_root: Path | None) -> dict[str, Any]:
    import attrs

    from .._generated import CONTRACTS
    from ..contract import ContractError, example_value, out_of_table_value

    tests = _contract_tests(project_root) if project_root else {"missing": [], "value": []}
    rows: list[dict[str, Any]] = []
    failures = 0
    names = sorted({f.name for f in specset.functions})
    for name in names:
        contract = CONTRACTS.get(name)
        if contract is None:
            rows.append({"function": name, "probe": "contract", "parameter": None, "ok": False,
                         "detail": "no generated contract (run sspimodel generate)"})
            failures += 1
            continue
        valid = {p.name: example_value(p) for p in contract.in_params()}
        probes: list[tuple[str, str, dict[str, Any]]] = []
        for p in contract.in_params():
            if p.required:
                kwargs = dict(valid)
                del kwargs[p.name]
                probes.append(("missing", p.name, kwargs))
            if p.kind in ("enum", "flags") and p.values:
                kwargs = dict(valid)
                kwargs[p.name] = out_of_table_value(p)
                probes.append(("value", p.name, kwargs))
        for kind, param, kwargs in probes:
            ok, detail = False, ""
            for disabled in (False, True):
                with attrs.validators.disabled() if disabled else _null():
                    try:
                        obj = contract.call_class(**{k: v for k, v in kwargs.items() if k in valid})
                        contract.validate(obj)
                        detail = "no ContractError raised"
                        ok = False
                    except ContractError as e:
                        ok = param in str(e)
                        detail = str(e) if ok else f"ContractError does not name {param}: {e}"
                    except TypeError as e:  # attrs: missing keyword-only argument
                        ok = param in str(e) and not disabled
                        detail = str(e)
                if not ok:
                    break
            if not ok:
                failures += 1
            rows.append({"function": name, "probe": kind, "parameter": param, "ok": ok, "detail": detail,
                         "tests": tests["missing" if kind == "missing" else "value"]})
    missing_tests = [k for k, v in tests.items() if not v] if project_root else []
    return {
        "functions": len(names),
        "required_parameters": sum(1 for r in rows if r["probe"] == "missing"),
        "value_tables": sum(1 for r in rows if r["probe"] == "value"),
        "failed": failures,
        "tests": tests,
        "untested_kinds": missing_tests,
        "probes": rows,
    }


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# --- the whole run -----------------------------------------------------------------------------


def project_root_for(spec_dir: Path) -> Path | None:
    """Notebooks and tests are looked up beside the spec directory (a copied project works too),
    else in the checkout sspimodel runs from; None when neither has them (an installed package)."""
    for root in (spec_dir.resolve().parent, REPO_ROOT):
        if (root / "notebooks").is_dir() or (root / "tests").is_dir():
            return root
    return None


class CheckInputError(ValueError):
    """A spec folder check cannot work on (no readable reference page); one line, naming it."""


def build_report(spec_dir: Path | None = None) -> dict[str, Any]:
    spec = (spec_dir or default_spec_dir()).resolve()
    from .drift import build_upstream_report, is_upstream_folder

    if is_upstream_folder(spec):
        # A folder of reference pages (an upstream checkout): drift against the embedded spec
        # instead of generated-code freshness (sspimodel.check.drift).
        report = build_upstream_report(spec)
        if not report["stages"]["read"]["functions"]:
            unreadable = report["stages"]["read"]["unreadable"]
            reason = f"{unreadable[0]['file']}: {unreadable[0]['message']}" if unreadable else "no function page"
            raise CheckInputError(f"{spec}: no readable reference page ({reason})")
        return report
    root = project_root_for(spec)
    read, specset = stage_read(spec)
    if not read["functions"]:
        where = pages_dir(spec)
        if read["unreadable"]:
            first = read["unreadable"][0]
            raise CheckInputError(f"no readable reference page in {where}: {len(read['unreadable'])} unreadable "
                                  f"(first: {first['file']}: {first['message']})")
        raise CheckInputError(f"no reference page (*.md, *.txt) in {where}")
    from .._generated import MODULES
    from ..datafiles import check_data_files  # strict data files; raises SpecDataError (file:line)

    # An erratum may name any function the spec folder's pages or the model know (a folder of
    # some of the pages still checks against the model's errata).
    check_data_files(spec, {f.name for f in specset.functions} | set(MODULES))
    lint_stage = stage_lint(specset)
    gen = stage_generate(spec, specset)
    coverage = stage_coverage(specset, root)
    contract = stage_contract(specset, root)
    interp, errata = interpretations_and_errata()
    ok = (
        not read["unreadable"]
        and gen["fresh"]
        and coverage["uncovered"] == 0
        and coverage["mentioned"]["uncovered"] == 0
        and contract["failed"] == 0
        and not contract["untested_kinds"]
    )
    return {
        **header("check"),
        "spec_dir": _display_path(spec),
        "inputs": {"packaged_data": uses_packaged_data(spec), "evidence": root is not None},
        "ok": ok,
        "stages": {"read": read, "lint": lint_stage, "generate": gen, "coverage": coverage, "contract": contract},
        "interpretations": interp,
        "errata": errata,
    }


def _display_path(p: Path) -> str:
    try:
        return p.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return p.as_posix()


def summary_lines(report: dict[str, Any]) -> list[str]:
    """One line per stage, each under 100 columns."""
    s = report["stages"]
    r, li, g, c, k = s["read"], s["lint"], s["generate"], s["coverage"], s["contract"]
    sev = li["by_severity"]
    top = ", ".join(f"{rule} {n}" for rule, n in sorted(li["by_rule"].items(), key=lambda x: (-x[1], x[0]))[:1])
    gen_state = "fresh" if g["fresh"] else "STALE: " + _names(g["stale"] + g["missing"] + g["extra"], 2)
    pct = 100.0 * (c["covered"] + c["unreachable"]) / c["documented"] if c["documented"] else 100.0
    mentioned = sum(c["mentioned"].values())
    inputs = report.get("inputs", {})
    notes = []
    if inputs.get("packaged_data"):
        notes.append("data      no data/ in the spec folder: the data shipped with sspimodel is used")
    if inputs.get("evidence") is False:
        notes.append("evidence  not looked for: no notebooks/ or tests/ here (an installed package)")
    return [
        *notes,
        f"read      {r['pages']} pages, {r['functions']} functions, {r['parameters']} params, "
        f"{r['return_codes']} return codes, {r['diagnostics']} diagnostics, {r['unparsed']} unparsed",
        f"lint      {li['total']} findings: {sev['error']} error, {sev['warning']} warning, {sev['info']} info"
        + (f" ({top})" if top else ""),
        f"generate  {g['files']} files {gen_state} (spec sha256 {g['spec_sha256'][:12]})",
        f"coverage  {c['documented']} documented codes: {c['covered']} covered, {c['unreachable']} unreachable, "
        f"{c['uncovered']} uncovered ({pct:.0f}% covered or explained)",
        f"          named elsewhere: {mentioned} ({c['mentioned']['covered']} covered, "
        f"{c['mentioned']['uncovered']} uncovered, {c['mentioned']['named-only']} not returned); "
        f"errata: {sum(c['errata'].values())} ({c['errata']['covered']} shown)",
        f"contract  {k['functions']} functions: {k['required_parameters']} required params, "
        f"{k['value_tables']} value tables probed, {k['failed']} failed"
        + (f"; no test for: {', '.join(k['untested_kinds'])}" if k["untested_kinds"] else ""),
    ]


def _names(names: list[str], most: int = 3) -> str:
    """A few names and how many more (keeps summary lines within 100 columns)."""
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def failure_reasons(report: dict[str, Any]) -> list[str]:
    """Why ``ok`` is false, one line each, naming what failed."""
    s = report["stages"]
    from .drift import _page_label

    reasons = [f"{_page_label(u)} {u['file']}: {u['message']}" for u in s["read"]["unreadable"]]
    g = s["generate"]
    if not g["fresh"]:
        reasons.append(f"generated code is stale: {_names(g['stale'] + g['missing'] + g['extra'])} "
                       "(run sspimodel generate)")
    c = s["coverage"]
    if c["uncovered"] or c["mentioned"]["uncovered"]:
        reasons.append(f"{c['uncovered'] + c['mentioned']['uncovered']} statuses uncovered (listed above)")
    k = s["contract"]
    if k["failed"]:
        reasons.append(f"{k['failed']} contract probes did not raise ContractError")
    if k["untested_kinds"]:
        reasons.append("no contract test for: " + ", ".join(k["untested_kinds"]))
    return reasons


def print_text(report: dict[str, Any], out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    if report.get("mode") == "upstream":
        from .drift import print_upstream_text

        print_upstream_text(report, out)
        return

    con = Console(file=out, width=100, highlight=False, soft_wrap=False)
    con.print(f"sspimodel check: {report['spec_dir']}", markup=False)  # a folder may be named "x[draft]"
    for line in summary_lines(report):
        out.write(line + "\n")
    cov = report["stages"]["coverage"]
    problems = [
        (fn["name"], row) for fn in cov["functions"] for row in fn["statuses"] if row["state"] == "uncovered"
        and row["category"] != "errata"
    ]
    if problems:
        t = Table(title="Uncovered statuses", title_justify="left")
        t.add_column("function", no_wrap=True)
        t.add_column("status", no_wrap=True)
        t.add_column("why", overflow="fold", min_width=24)
        for name, row in problems:
            why = (row["reason"] or "") + (" (named elsewhere on the page)" if row["category"] == "mentioned" else "")
            t.add_row(Text(name), Text(row["code"]), Text(why))  # text, not rich markup
        con.print(t)
    t = Table(title="Per function", title_justify="left")
    t.add_column("function", no_wrap=True)
    t.add_column("codes", justify="right")
    t.add_column("covered", justify="right")
    t.add_column("unreach.", justify="right")
    t.add_column("uncov.", justify="right")
    t.add_column("not ret.", justify="right")
    t.add_column("errata", justify="right")
    for fn in cov["functions"]:
        rows = fn["statuses"]
        doc = [r for r in rows if r["category"] != "errata"]
        t.add_row(
            fn["name"], str(len(doc)),
            str(sum(r["state"] == "covered" for r in doc)),
            str(sum(r["state"] == "unreachable" for r in doc)),
            str(sum(r["state"] == "uncovered" for r in doc)),
            str(sum(r["state"] == "named-only" for r in doc)),
            str(sum(r["category"] == "errata" for r in rows)),
        )
    con.print(t)
    failed = [p for p in report["stages"]["contract"]["probes"] if not p["ok"]]
    for p in failed:
        con.print(f"contract probe failed: {p['function']}.{p['parameter']} ({p['probe']}): {p['detail']}", markup=False)
    for reason in failure_reasons(report):
        out.write(f"failed    {reason}\n")
    out.write("result    " + ("OK" if report["ok"] else "FAILED") + "\n")


@contextlib.contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Run the block with the cyclic garbage collector paused (reference counting still frees
    everything that is not in a cycle), then restore it as it was.

    A check builds a large heap that lives to the end (the pages, the model's tables, the
    generated classes) and parses every test module (trees of a hundred thousand nodes, freed by
    reference counting: a syntax tree holds no cycle). Each allocation burst makes the collector
    traverse the whole heap again: a sixth of the command's time, reclaiming next to nothing.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def run_check(spec_dir: Path | None, report_dir: Path | None = None, fmt: str = "text",
              out: TextIO | None = None) -> int:
    with _without_cyclic_gc():
        return _run_check(spec_dir, report_dir, fmt, out)


def _run_check(spec_dir: Path | None, report_dir: Path | None, fmt: str, out: TextIO | None) -> int:
    stream = out or sys.stdout
    try:
        report = build_report(spec_dir)
    except CheckInputError as e:
        print(f"sspimodel check: {e}", file=sys.stderr)
        return 1
    if fmt == "json":
        stream.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        print_text(report, stream)
    if report_dir is not None:
        from .drift import write_upstream_reports
        from .report_files import write_reports

        writer = write_upstream_reports if report.get("mode") == "upstream" else write_reports
        written = writer(report, report_dir)
        if fmt != "json":
            stream.write("report    " + ", ".join(written) + "\n")
    return 0 if report["ok"] else 1
