"""Drift between two readings of the same function: the embedded spec and a folder of pages.

A documentation maintainer runs ``sspimodel check --spec DIR`` on a checkout of the upstream
reference (``sdk-api-src/content/sspi``: function, struct, enum and callback pages, plus
``index.md`` and ``TOC.md``). For such a folder the question is not whether the generated code
is fresh but what changed: for each function the model covers, which parameters, return codes,
values and hex spellings DIR states differently from the pages the model was built from, and
which functions DIR documents that the model does not cover at all.

Both sides go through the same reader (``sspimodel.read``) and are compared through the public
fields of :class:`~sspimodel.spec.FunctionSpec` only, field by field, so a drift names the field:

- ``parameters``: added / removed parameter names, and the order;
- ``parameter NAME.direction|optional|tbd|documented_as``: as printed (``[in]``, TBD, orphan heading);
- ``value NAME.MACRO``: a value row added, removed, or printed with another number;
- ``return CODE``: a code added or removed; ``return CODE.kind|via|hex``: its side, where it is
  reported, and its hex as printed;
- ``requirements.KEY``: a requirement row (only the rows both page forms can carry when one side is
  rendered web-page text);
- ``mentions``: status codes named outside the return tables, with the section naming them;
- ``sections``: the sections a page has (the rendered form's own Syntax and Requirements aside);
- ``see-also``: the titles of the See also entries; ``remarks``: whether the Remarks say anything;
- ``codes named``: every status code named anywhere in the page's text (a direct scan of the text,
  not the reader's view).

The same comparison holds the embedded pages to their real pages (tests/test_fidelity.py).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from attrs import frozen

from ..spec import Form, FunctionSpec, Severity

__all__ = [
    "NON_FUNCTION_FILES",
    "Drift",
    "PageKind",
    "codes_named",
    "compare",
    "page_kind",
]

# Upstream folder files that are not reference pages of one API element.
NON_FUNCTION_FILES = frozenset({"index.md", "toc.md"})
# Sections only the rendered form has (the source form keeps them in front matter / headers).
_RENDERED_ONLY_SECTIONS = frozenset({"syntax", "requirements"})
# Requirement rows a rendered page can show (unicode_ansi and other req.* keys live in the source
# form's front matter only).
_RENDERED_REQUIREMENTS = ("min_client", "min_server", "target_platform", "header", "include_header", "library", "dll")
_ALL_REQUIREMENTS = (*_RENDERED_REQUIREMENTS, "unicode_ansi", "other")
# Status codes of every namespace the pages use (SECURITY_STATUS, Win32, NTSTATUS, SCARD).
_CODE = re.compile(r"\b(?:SEC_[EI]_[A-Z0-9_]+|STATUS_[A-Z0-9_]+|ERROR_[A-Z0-9_]+|SCARD_[EWF]_[A-Z0-9_]+)\b")


class PageKind:
    """What a file of an upstream folder documents, from the upstream naming convention."""

    FUNCTION = "function"
    STRUCT = "struct"
    ENUM = "enum"
    CALLBACK = "callback"
    OTHER = "other"  # index.md, TOC.md


_PREFIX_KIND = {"nf-": PageKind.FUNCTION, "ns-": PageKind.STRUCT, "ne-": PageKind.ENUM, "nc-": PageKind.CALLBACK}


def page_kind(file: str, text: str | None = None) -> str:
    """``nf-``/``ns-``/``ne-``/``nc-`` file names (or the front matter's ``UID: NF:``/``NS:``/...),
    ``other`` for index.md and TOC.md; a page of the project's own naming is a function page."""
    name = Path(file).name.lower()
    if name in NON_FUNCTION_FILES:
        return PageKind.OTHER
    for prefix, kind in _PREFIX_KIND.items():
        if name.startswith(prefix):
            return kind
    if text is not None:
        m = re.search(r"^UID:\s*(N[FSEC]):", text, re.M)
        if m:
            return _PREFIX_KIND[m.group(1).lower() + "-"]
    return PageKind.FUNCTION


def codes_named(text: str) -> set[str]:
    """Every status code named anywhere in a page's text (front matter included)."""
    return set(_CODE.findall(text))


@frozen
class Drift:
    """One difference: ``ours`` is the embedded spec's value, ``theirs`` the other page's."""

    function: str
    field: str
    change: str  # "added" (only theirs has it) | "removed" (only ours) | "changed"
    ours: str | None = None
    theirs: str | None = None

    def __str__(self) -> str:
        if self.change == "added":
            return f"{self.function}: {self.field}: added {self.theirs}"
        if self.change == "removed":
            return f"{self.function}: {self.field}: removed {self.ours}"
        return f"{self.function}: {self.field}: {self.ours} -> {self.theirs}"

    def to_dict(self) -> dict[str, Any]:
        return {"function": self.function, "field": self.field, "change": self.change,
                "ours": self.ours, "theirs": self.theirs}


def _show(value: object) -> str:
    return "none" if value is None else str(value)


def _value_rows(p: Any) -> list[tuple[str, str | None]]:
    return [(v.name, v.number_text) for v in p.values()]


def _sets(function: str, field: str, ours: Iterable[str], theirs: Iterable[str]) -> list[Drift]:
    a, b = set(ours), set(theirs)
    out = [Drift(function, field, "removed", ours=x) for x in sorted(a - b)]
    out += [Drift(function, field, "added", theirs=x) for x in sorted(b - a)]
    return out


def _vias(returns: Iterable[Any]) -> dict[str, list[str]]:
    """Each code's channels (``via``), sorted: one pass over the rows (a page of thousands of
    codes made a scan of every row per row quadratic)."""
    by_code: dict[str, set[str]] = {}
    for r in returns:
        by_code.setdefault(r.name, set()).add(r.via.value)
    return {code: sorted(vias) for code, vias in by_code.items()}


def compare(ours: FunctionSpec, theirs: FunctionSpec, ours_text: str | None = None,
            theirs_text: str | None = None) -> list[Drift]:
    """Every field in which ``theirs`` states something other than ``ours``. The page texts, when
    given, add the direct ``codes named`` scan."""
    fn = ours.name
    out: list[Drift] = []
    if theirs.name != ours.name:
        out.append(Drift(fn, "name", "changed", ours.name, theirs.name))

    # Parameters: names and order, then each common one field by field.
    a_names = [p.name for p in ours.parameters]
    b_names = [p.name for p in theirs.parameters]
    out += _sets(fn, "parameters", a_names, b_names)
    a_set, b_set = set(a_names), set(b_names)  # sets: a list's `in` made this quadratic in the parameters
    common = [n for n in a_names if n in b_set]
    if common != [n for n in b_names if n in a_set]:
        out.append(Drift(fn, "parameters.order", "changed", ", ".join(a_names), ", ".join(b_names)))
    a_params = {p.name: p for p in ours.parameters}
    b_params = {p.name: p for p in theirs.parameters}
    for name in common:
        pa, pb = a_params[name], b_params[name]
        for attr in ("direction", "optional", "tbd", "documented_as"):
            va, vb = getattr(pa, attr), getattr(pb, attr)
            if va != vb:
                out.append(Drift(fn, f"parameter {name}.{attr}", "changed", _show(getattr(va, "value", va)),
                                 _show(getattr(vb, "value", vb))))
        rows_a, rows_b = _value_rows(pa), _value_rows(pb)
        if rows_a != rows_b:
            da, db = dict(rows_a), dict(rows_b)
            out += _sets(fn, f"value {name}", da, db)
            for macro in (m for m in da if m in db and da[m] != db[m]):
                out.append(Drift(fn, f"value {name}.{macro}", "changed", _show(da[macro]), _show(db[macro])))
            if [m for m, _ in rows_a if m in db] != [m for m, _ in rows_b if m in da]:
                out.append(Drift(fn, f"value {name}.order", "changed"))

    # Return codes: the set, then each code's side, channel and hex as printed.
    a_ret = {(r.name, r.via.value): r for r in ours.returns}
    b_ret = {(r.name, r.via.value): r for r in theirs.returns}
    out += _sets(fn, "returns", {r.name for r in ours.returns}, {r.name for r in theirs.returns})
    for key in sorted(set(a_ret) & set(b_ret)):
        ra, rb = a_ret[key], b_ret[key]
        for attr, label in (("kind", "kind"), ("hex_in_doc", "hex")):
            va, vb = getattr(ra, attr), getattr(rb, attr)
            if va != vb:
                out.append(Drift(fn, f"return {key[0]}.{label}", "changed", _show(getattr(va, "value", va)),
                                 _show(getattr(vb, "value", vb))))
    a_via, b_via = _vias(ours.returns), _vias(theirs.returns)
    for code in sorted(set(a_via) & set(b_via)):
        if a_via[code] != b_via[code]:
            out.append(Drift(fn, f"return {code}.via", "changed", ", ".join(a_via[code]), ", ".join(b_via[code])))

    # Requirements: the rows both forms can carry.
    rendered = Form.RENDERED in (ours.form, theirs.form)
    for req in _RENDERED_REQUIREMENTS if rendered else _ALL_REQUIREMENTS:
        va, vb = getattr(ours.requirements, req), getattr(theirs.requirements, req)
        if va != vb:
            out.append(Drift(fn, f"requirements.{req}", "changed", _show(va), _show(vb)))

    # Codes named outside the return tables, with where; the sections a page has.
    out += _sets(fn, "mentions", {f"{m.code} ({m.section})" for m in ours.mentioned_codes},
                 {f"{m.code} ({m.section})" for m in theirs.mentioned_codes})
    out += _sets(fn, "sections", {s for s, _ in ours.sections} - _RENDERED_ONLY_SECTIONS,
                 {s for s, _ in theirs.sections} - _RENDERED_ONLY_SECTIONS)
    out += _sets(fn, "see-also", {s.title for s in ours.see_also}, {s.title for s in theirs.see_also})
    if bool(ours.remarks.strip()) != bool(theirs.remarks.strip()):
        out.append(Drift(fn, "remarks", "changed", "text" if ours.remarks.strip() else "empty",
                         "text" if theirs.remarks.strip() else "empty"))
    if ours_text is not None and theirs_text is not None:
        out += _sets(fn, "codes named", codes_named(ours_text), codes_named(theirs_text))
    return out


# --- `sspimodel check --spec DIR` on a folder of upstream pages ---------------------------------


def is_upstream_folder(spec_dir: Path) -> bool:
    """A folder of reference pages, not a spec directory of the project (which has data/ and
    pages/): an upstream checkout such as sdk-api-src/content/sspi."""
    if not spec_dir.is_dir() or (spec_dir / "data").is_dir() or (spec_dir / "pages").is_dir():
        return False
    # Upstream names its pages by kind (nf-sspi-x.md, ns-..., ne-..., nc-...) and keeps an
    # index.md / TOC.md beside them; a folder of the project's own pages (Name.md, Name.txt) is
    # checked as a spec folder with the packaged data instead.
    try:
        names = [p.name.lower() for p in spec_dir.iterdir()]
    except OSError:
        return False
    return any(n.startswith(("nf-", "ns-", "ne-", "nc-")) or n in NON_FUNCTION_FILES for n in names)


def _read_folder(folder: Path) -> tuple[dict[str, list[tuple[Any, str]]], list[dict[str, str]], list[str]]:
    """Every page of the folder, by kind, as (FunctionSpec, text); unreadable files; skipped files.

    The folder is walked and each file read as ``read_spec`` does (:func:`sspimodel.read.scan_pages`,
    :func:`sspimodel.read.read_page_bytes`): a FIFO, device, dangling link, link loop, a suffix
    in another case (.MD) or a file over the page limit is named as unreadable, never opened
    blocking nor silently left out, and names that are not UTF-8 are shown with \\xNN escapes.
    A second page of one function is named too (only the first, by file name, is compared)."""
    from ..read import (
        PageReadError,
        decode_page,
        display_path,
        one_page_per_function,
        read_page_bytes,
        read_text,
        scan_pages,
    )
    from ..read.common import empty_page_error

    by_kind: dict[str, list[tuple[Any, str]]] = {k: [] for k in (PageKind.FUNCTION, PageKind.STRUCT,
                                                                 PageKind.ENUM, PageKind.CALLBACK)}
    unreadable: list[dict[str, str]] = []
    skipped: list[str] = []
    files, not_read = scan_pages(folder)
    unreadable += [{"file": d.file, "message": d.message, "rule": d.rule}
                   for d in not_read if d.severity is Severity.ERROR]
    for path in files:
        rel = display_path(path.relative_to(folder))
        if path.name.lower() in NON_FUNCTION_FILES:
            skipped.append(rel)
            continue
        try:
            text = decode_page(read_page_bytes(path, rel), rel)
        except PageReadError as e:
            unreadable.append({"file": rel, "message": f"cannot read page: {e.reason}", "rule": "read.unreadable"})
            continue
        kind = page_kind(rel, text)
        if kind == PageKind.OTHER:
            skipped.append(rel)
            continue
        f = read_text(text, rel)
        empty = empty_page_error(f)
        if empty is not None:  # nothing to read: named as a page not used, as read_spec does
            unreadable.append({"file": rel, "message": empty.message, "rule": empty.rule})
            continue
        by_kind[kind].append((f, text))
    for kind, pages in by_kind.items():
        texts = {id(f): text for f, text in pages}
        kept, duplicates = one_page_per_function(sorted((f for f, _ in pages), key=lambda f: (f.name, f.source.file)))
        by_kind[kind] = [(f, texts[id(f)]) for f in kept]
        unreadable += [{"file": d.file, "message": d.message, "rule": d.rule} for d in duplicates]
    unreadable.sort(key=lambda u: u["file"])
    return by_kind, unreadable, skipped


def build_upstream_report(folder: Path, embedded_dir: Path | None = None) -> dict[str, Any]:
    """What ``check`` reports for an upstream folder: read, lint, drift against the embedded spec,
    coverage and contract of the functions the model covers. ``ok`` is false only when a page
    cannot be read: drift and lint findings are the report, not failures."""
    from ..paths import default_spec_dir, packaged_spec_dir
    from ..read import SpecSet, read_spec
    from ..spec import Diagnostic, Severity
    from .report import SCHEMA_ID, _display_path, project_root_for, stage_contract, stage_coverage, stage_lint

    by_kind, unreadable, skipped = _read_folder(folder)
    functions = by_kind[PageKind.FUNCTION]
    errors = tuple(Diagnostic(u["rule"], Severity.ERROR, u["file"], 0, u["message"]) for u in unreadable)
    fn_specs = tuple(sorted((f for f, _ in functions), key=lambda f: (f.name, f.source.file)))
    all_specs = [f for pages in by_kind.values() for f, _ in pages]
    read = {
        "pages": sum(len(v) for v in by_kind.values()) + len(unreadable),
        "by_kind": {k: len(v) for k, v in by_kind.items()},
        "functions": len({f.name for f in fn_specs}),
        "parameters": sum(len(f.parameters) for f in fn_specs),
        "return_codes": sum(len(f.returns) for f in fn_specs),
        "diagnostics": sum(len(f.diagnostics) for f in all_specs) + len(errors),
        "unparsed": sum(len(f.unparsed) for f in all_specs),
        "unreadable": unreadable,
        "skipped": skipped,
    }
    lint_stage = stage_lint(SpecSet(fn_specs, errors, str(folder)))

    embedded_root = embedded_dir or default_spec_dir()
    if is_upstream_folder(embedded_root):
        # $SSPIMODEL_SPEC names the folder of reference pages being checked (or another one):
        # it is not a spec the model is built from, and compared with itself it would show no drift.
        embedded_root = packaged_spec_dir()
    embedded = read_spec(embedded_root)
    ours: dict[str, Any] = {}
    for f in embedded.functions:
        ours.setdefault(f.name, f)
    theirs: dict[str, tuple[Any, str]] = {}
    for f, text in sorted(functions, key=lambda ft: (ft[0].name, ft[0].source.file)):
        theirs.setdefault(f.name, (f, text))
    drift_rows: list[dict[str, Any]] = []
    per_function: list[dict[str, Any]] = []
    for name in sorted(ours):
        mine = ours[name]
        if name not in theirs:
            per_function.append({"function": name, "page": None, "drift": None})
            continue
        page, text = theirs[name]
        try:
            our_text = (Path(embedded.root) / mine.source.file).read_text(encoding="utf-8")
        except OSError:
            our_text = None
        found = compare(mine, page, our_text, text if our_text is not None else None)
        drift_rows += [d.to_dict() for d in found]
        per_function.append({"function": name, "page": page.source.file, "drift": len(found)})
    modelled = sorted(set(ours) & set(theirs))
    not_modelled = sorted(set(theirs) - set(ours))
    drift = {
        "embedded_spec": _display_path(embedded_root),
        "modelled": modelled,
        "not_modelled": not_modelled,
        "missing": sorted(set(ours) - set(theirs)),
        "functions": per_function,
        "drift": drift_rows,
    }
    covered = SpecSet(tuple(theirs[n][0] for n in modelled), (), str(folder))
    root = project_root_for(embedded_root)
    coverage = stage_coverage(covered, root)
    contract = stage_contract(covered, root)
    return {
        "schema": SCHEMA_ID,
        "mode": "upstream",
        "spec_dir": _display_path(folder),
        "ok": not unreadable,
        "stages": {"read": read, "lint": lint_stage, "drift": drift, "coverage": coverage, "contract": contract},
        "interpretations": [],
        "errata": [],
    }


def upstream_summary_lines(report: dict[str, Any]) -> list[str]:
    s = report["stages"]
    r, li, d, c, k = s["read"], s["lint"], s["drift"], s["coverage"], s["contract"]
    kinds = ", ".join(f"{n} {kind}" for kind, n in r["by_kind"].items() if n)
    sev = li["by_severity"]
    changed = sorted({row["function"] for row in d["drift"]})
    pct = 100.0 * (c["covered"] + c["unreachable"]) / c["documented"] if c["documented"] else 100.0
    return [
        f"read      {r['pages']} pages ({kinds}), {len(r['skipped'])} skipped, {r['diagnostics']} diagnostics, "
        f"{r['unparsed']} unparsed",
        f"lint      {li['total']} findings on the function pages: {sev['error']} error, {sev['warning']} warning, "
        f"{sev['info']} info",
        f"drift     {len(d['modelled'])} modelled functions: {len(d['drift'])} difference(s) in {len(changed)}; "
        f"{len(d['not_modelled'])} not modelled; {len(d['missing'])} missing here",
        f"coverage  {c['documented']} documented codes (modelled functions): {c['covered']} covered, "
        f"{c['unreachable']} unreachable, {c['uncovered']} uncovered ({pct:.0f}%)",
        f"contract  {k['functions']} functions: {k['required_parameters']} required params, "
        f"{k['value_tables']} value tables probed, {k['failed']} failed",
    ]


# The text report lists at most this many differences in its drift table: rich draws a table row
# in about 0.3 ms, so a page of tens of thousands of codes would take minutes to print; the JSON
# and Markdown reports (``--format json`` / ``markdown``) list every one.
DRIFT_ROWS_SHOWN = 1000
_CONSOLE_WIDTH = 100


def drift_table(rows: list[dict[str, Any]]) -> Any:
    """The drift table of the text report (rich's Table; each cell is text, never read as rich
    markup: a page's "[in]" stays)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Drift: this folder against the embedded spec", title_justify="left")
    table.add_column("function", overflow="fold", max_width=24)
    table.add_column("field", overflow="fold")
    for column in ("change", "embedded", "this folder"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text(row[key] or "") for key in ("function", "field", "change", "ours", "theirs")))
    return table


def print_upstream_text(report: dict[str, Any], out: Any) -> None:
    from rich.console import Console

    con = Console(file=out, width=_CONSOLE_WIDTH, highlight=False, soft_wrap=False)
    s = report["stages"]
    d = s["drift"]
    con.print(f"sspimodel check: {report['spec_dir']} (reference pages, compared with {d['embedded_spec']})",
              markup=False)
    for line in upstream_summary_lines(report):
        out.write(line + "\n")
    if s["read"]["skipped"]:
        out.write("skipped   " + ", ".join(s["read"]["skipped"]) + " (not reference pages)\n")
    if d["drift"]:
        con.print(drift_table(d["drift"][:DRIFT_ROWS_SHOWN]))
        hidden = len(d["drift"]) - DRIFT_ROWS_SHOWN
        if hidden > 0:
            out.write(f"          ... and {hidden} more difference(s), not drawn: "
                      "--format json or --format markdown lists every one\n")
    else:
        out.write(f"          no drift: the {len(d['modelled'])} modelled functions read as the embedded spec does\n")
    if d["missing"]:
        out.write("missing   " + ", ".join(d["missing"]) + " (modelled, no page here)\n")
    if d["not_modelled"]:
        out.write(f"not modelled ({len(d['not_modelled'])}, no model and no contract):\n")
        for line in textwrap.wrap(", ".join(d["not_modelled"]), width=96):
            out.write(f"  {line}\n")
    for u in s["read"]["unreadable"]:
        out.write(f"failed    {_page_label(u)} {u['file']}: {u['message']}\n")
    out.write("result    " + ("OK" if report["ok"] else "FAILED") + "\n")


def _page_label(unreadable: dict[str, str]) -> str:
    return {"read.duplicate-function": "duplicate page", "read.empty-page": "empty page"}.get(
        unreadable.get("rule", ""), "unreadable page")


def upstream_markdown(report: dict[str, Any]) -> str:
    s = report["stages"]
    d = s["drift"]
    lines = [f"# sspimodel check: {report['spec_dir']}", "",
             f"Reference pages compared with the embedded spec ({d['embedded_spec']}).", "", "```"]
    lines += upstream_summary_lines(report)
    lines += ["```", "", "## Drift", ""]
    if d["drift"]:
        lines += ["| function | field | change | embedded | this folder |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {r['function']} | {r['field']} | {r['change']} | {r['ours'] or ''} | {r['theirs'] or ''} |"
                  for r in d["drift"]]
    else:
        lines.append(f"None: the {len(d['modelled'])} modelled functions read as the embedded spec does.")
    lines += ["", f"## Not modelled ({len(d['not_modelled'])})", ""]
    lines += [f"- {name}" for name in d["not_modelled"]]
    return "\n".join(lines) + "\n"


def write_upstream_reports(report: dict[str, Any], out_dir: Path) -> list[str]:
    """report.json and report.md for an upstream folder (the HTML page is the project check's)."""
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out_dir / "report.md").write_text(upstream_markdown(report), encoding="utf-8")
    return [str(out_dir / "report.json"), str(out_dir / "report.md")]
