"""report.json, report.md and report.html for ``sspimodel check --report DIR``.

report.json follows sspimodel/check/report.schema.json. report.html is one self-contained page
(inline CSS, no scripts, no external resources; links to the reference pages are plain anchors),
written for the documentation's maintainers, in this order:

1. the lint findings, grouped by page, each with its fix hint, the page's upstream path and a
   link to the published page (a summary table by page comes first);
2. an index by function: its page, its findings, its coverage in one line, its notebook;
3. coverage, collapsed: only the statuses that are *not* simply "covered by the function's own
   notebook" get a row; tests that show every status (the coverage tests) are named once;
4. interpretations and errata (where the model goes beyond the pages);
5. contract probes: the passing ones counted, the failing ones listed;
6. drift (when the report has a ``drift`` stage: ``check --spec`` on a foreign folder,
   sspimodel/check/drift.py), rendered by :func:`drift_html` / :func:`drift_markdown`.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).with_name("report.schema.json")


def write_reports(report: dict[str, Any], out_dir: Path) -> list[str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "report.json": json.dumps(report, indent=2, ensure_ascii=False) + "\n",
        "report.md": render_markdown(report),
        "report.html": render_html(report),
    }
    for name, text in files.items():
        (out_dir / name).write_text(text, encoding="utf-8")
    return [str(out_dir / n) for n in files]


# --- what the two renderings share --------------------------------------------------------------

_GITHUB = "https://github.com/MicrosoftDocs/sdk-api/blob/docs/"
_SEVERITIES = ("error", "warning", "info")


def _by_page(report: dict[str, Any]) -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """(page file, page info, its findings in line order), pages with most errors first."""
    lint = report["stages"]["lint"]
    pages = lint.get("pages", {})
    grouped: dict[str, list[dict[str, Any]]] = {}
    for d in lint["findings"]:
        grouped.setdefault(d["file"], []).append(d)
    def weight(item: tuple[str, list[dict[str, Any]]]) -> tuple[int, int, int, str]:
        counts = Counter(d["severity"] for d in item[1])
        return (-counts["error"], -counts["warning"], -counts["info"], item[0])
    return [
        (file, pages.get(file, {"functions": [], "upstream": None, "url": None}), sorted(rows, key=lambda d: d["line"]))
        for file, rows in sorted(grouped.items(), key=weight)
    ]


def _severity_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(d["severity"] for d in rows)
    return {sev: counts[sev] for sev in _SEVERITIES}


def _notebook_of(fn: dict[str, Any]) -> str | None:
    """The function's own notebook: the one its statuses' notebook evidence names most."""
    names = Counter(
        e["where"].split("#", 1)[0] for row in fn["statuses"] for e in row["evidence"] if e["kind"] == "notebook"
    )
    return names.most_common(1)[0][0] if names else None


def _generic_tests(report: dict[str, Any]) -> set[str]:
    """Tests named as evidence on at least half of all status rows (they show every status: the
    coverage tests); listed once instead of on every row."""
    rows = [row for fn in report["stages"]["coverage"]["functions"] for row in fn["statuses"]]
    counts = Counter(e["where"] for row in rows for e in row["evidence"] if e["kind"] == "test")
    return {where for where, n in counts.items() if n * 2 >= len(rows) > 0}


def _as_expected(row: dict[str, Any], notebook: str | None) -> bool:
    return row["state"] == "covered" and notebook is not None and any(
        e["kind"] == "notebook" and e["where"].startswith(notebook + "#") for e in row["evidence"]
    )


def _coverage_line(fn: dict[str, Any], notebook: str | None) -> str:
    rows = fn["statuses"]
    expected = sum(_as_expected(r, notebook) for r in rows)
    return f"{expected} of {len(rows)} statuses covered by {notebook or 'no notebook'}"


def _contract_split(report: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    probes = report["stages"]["contract"]["probes"]
    return sum(1 for p in probes if p["ok"]), [p for p in probes if not p["ok"]]


# --- Markdown ------------------------------------------------------------------------------------


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict[str, Any]) -> str:
    from .report import summary_lines

    s = report["stages"]
    lines = [f"# sspimodel check: {report['spec_dir']}", "", "Result: **" + ("OK" if report["ok"] else "FAILED") + "**", "",
             "```"]
    lines += summary_lines(report)
    lines += ["```", "", "## Lint findings by page", "", "| page | upstream | error | warning | info |", "|---|---|---|---|---|"]
    groups = _by_page(report)
    for file, page, rows in groups:
        c = _severity_counts(rows)
        link = f"[{page['upstream']}]({page['url']})" if page.get("upstream") and page.get("url") else "-"
        lines.append(f"| `{file}` | {link} | {c['error']} | {c['warning']} | {c['info']} |")
    for file, page, rows in groups:
        lines += ["", f"### {file}", ""]
        if page.get("upstream"):
            lines += [f"Upstream: [{page['upstream']}]({_GITHUB}{page['upstream']}) - published: {page['url']}", ""]
        lines += ["| line | severity | rule | finding | fix hint |", "|---|---|---|---|---|"]
        lines += [
            f"| {d['line']} | {d['severity']} | {d['rule']} | {_md(d['message'])} | {_md(d['hint'] or '-')} |" for d in rows
        ]
    cov = s["coverage"]
    findings_of = Counter(f for d in s["lint"]["findings"] if (f := d.get("function")))
    lines += ["", "## Index by function", "", "| function | page | findings | coverage |", "|---|---|---|---|"]
    for fn in cov["functions"]:
        lines.append(f"| {fn['name']} | `{fn['page']}` | {findings_of[fn['name']]} | {_coverage_line(fn, _notebook_of(fn))} |")
    generic = _generic_tests(report)
    lines += ["", "## Coverage: what differs from \"covered by the function's notebook\"", ""]
    if generic:
        lines += ["Shown for every status (not repeated below): " + ", ".join(f"`{t}`" for t in sorted(generic)), ""]
    lines += ["| function | status | category | state | rules (basis) | evidence |", "|---|---|---|---|---|---|"]
    for fn in cov["functions"]:
        notebook = _notebook_of(fn)
        for row in fn["statuses"]:
            if _as_expected(row, notebook):
                continue
            rules = "<br>".join(f"{_md(r['id'])} ({r['basis']})" for r in row["rules"]) or "-"
            ev = "<br>".join(_md(e["where"]) for e in row["evidence"] if e["where"] not in generic) or "-"
            state = row["state"] + (f": {_md(row['reason'])}" if row["reason"] else "")
            lines.append(f"| {fn['name']} | `{row['code']}` | {row['category']} | {state} | {rules} | {ev} |")
    lines += ["", "## Interpretations (where the pages are silent or contradict each other)", "",
              "| function | rule | status | interpretation |", "|---|---|---|---|"]
    lines += [f"| {r['function']} | {_md(r['rule'])} | `{r['status']}` | {_md(r['text'])} |" for r in report["interpretations"]]
    lines += ["", "## Errata (what implementations return that the pages do not document)", "",
              "| function | rule | status | errata |", "|---|---|---|---|"]
    lines += [f"| {r['function']} | {_md(r['rule'])} | `{r['status']}` | {_md(r['text'])} |" for r in report["errata"]]
    passed, failed = _contract_split(report)
    lines += ["", "## Contract probes", "", f"{passed} probes raised ContractError naming their parameter; {len(failed)} failed."]
    if failed:
        lines += ["", "| function | probe | parameter | detail |", "|---|---|---|---|"]
        lines += [f"| {p['function']} | {p['probe']} | {p['parameter'] or ''} | {_md(p['detail'])} |" for p in failed]
    if "drift" in s:
        lines += ["", "## Drift", "", *drift_markdown(s["drift"])]
    return "\n".join(lines) + "\n"


def drift_markdown(stage: dict[str, Any]) -> list[str]:
    """The drift stage (check/drift.py) as Markdown: its summary, then its rows as a table."""
    lines = [_md(stage["summary"]), ""] if "summary" in stage else []
    rows = [r for r in stage.get("changes", []) if isinstance(r, dict)]
    if rows:
        keys = list(dict.fromkeys(k for r in rows for k in r))
        lines += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(_md(r.get(k, "")) for k in keys) + " |" for r in rows]
    return lines


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em; color: #1b1b1b; max-width: 80em; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { margin-bottom: .3em; }
table { border-collapse: collapse; margin: .5em 0 1.5em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
pre.summary { background: #f7f7f7; padding: 1em; overflow-x: auto; }
.ok { color: #0a6b0a; font-weight: bold; } .failed { color: #b00020; font-weight: bold; }
.covered { background: #eaf6ea; } .unreachable { background: #fff6e0; } .uncovered { background: #fde8ea; }
.error { background: #fde8ea; } .warning { background: #fff6e0; } .info { background: #f3f6fb; }
.errata { font-style: italic; } .small { color: #555; font-size: .85em; } .hint { color: #0b4f8a; }
td { overflow-wrap: anywhere; } td.n { text-align: right; white-space: nowrap; }
nav a { margin-right: .8em; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _anchor(text: str) -> str:
    return "page-" + "".join(ch if ch.isalnum() else "-" for ch in text)


def render_html(report: dict[str, Any]) -> str:
    from .report import summary_lines

    s = report["stages"]
    cov = s["coverage"]
    groups = _by_page(report)
    out: list[str] = [
        "<!DOCTYPE html>",
        "<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>sspimodel check: {_e(report['spec_dir'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>sspimodel check: <code>{_e(report['spec_dir'])}</code></h1>",
        "<p>Result: " + ("<span class=\"ok\">OK</span>" if report["ok"] else "<span class=\"failed\">FAILED</span>") + "</p>",
        "<nav><a href=\"#lint\">Lint findings</a><a href=\"#index\">Functions</a><a href=\"#coverage\">Coverage</a>"
        "<a href=\"#interpretations\">Interpretations</a><a href=\"#errata\">Errata</a><a href=\"#contract\">Contract</a>"
        + ("<a href=\"#drift\">Drift</a>" if "drift" in s else "") + "</nav>",
        "<pre class=\"summary\">" + _e("\n".join(summary_lines(report))) + "</pre>",
        "<h2 id=\"lint\">Lint findings by page</h2>",
        "<p class=\"small\">Inconsistencies inside and between the reference pages, each with a fix hint. "
        "Pages with the most errors first.</p>",
    ]
    summary_rows = []
    for file, page, rows in groups:
        c = _severity_counts(rows)
        link = f"<a href=\"{_e(page['url'])}\">published</a>" if page.get("url") else ""
        upstream = f"<code>{_e(page['upstream'])}</code>" if page.get("upstream") else "&ndash;"
        summary_rows.append(
            f"<tr><td><a href=\"#{_anchor(file)}\"><code>{_e(file)}</code></a></td><td>{upstream} {link}</td>"
            + "".join(f"<td class=\"n\">{c[sev] or ''}</td>" for sev in _SEVERITIES) + "</tr>"
        )
    out.append("<table><tr><th>page</th><th>upstream</th><th>error</th><th>warning</th><th>info</th></tr>"
               + "\n".join(summary_rows) + "</table>")
    for file, page, rows in groups:
        out.append(f"<h3 id=\"{_anchor(file)}\"><code>{_e(file)}</code></h3>")
        bits = []
        if page.get("functions"):
            bits.append("documents " + ", ".join(f"<a href=\"#fn-{_e(n)}\">{_e(n)}</a>" for n in page["functions"]))
        if page.get("upstream"):
            bits.append(f"upstream <a href=\"{_e(_GITHUB + page['upstream'])}\"><code>{_e(page['upstream'])}</code></a>")
        if page.get("url"):
            bits.append(f"<a href=\"{_e(page['url'])}\">published page</a>")
        if bits:
            out.append("<p class=\"small\">" + "; ".join(bits) + "</p>")
        out.append("<table><tr><th>line</th><th>severity</th><th>rule</th><th>finding and fix hint</th></tr>")
        hinted: set[str] = set()
        for d in rows:
            # A rule's fix hint once per page (the findings of one rule on a page share it).
            hint = ""
            if d.get("hint"):
                hint = ("<br><span class=\"hint\">fix: " + _e(d["hint"]) + "</span>" if d["rule"] not in hinted
                        else "<br><span class=\"small\">fix: as above</span>")
                hinted.add(d["rule"])
            out.append(
                f"<tr class=\"{_e(d['severity'])}\"><td class=\"n\">{_e(file)}:{d['line']}</td><td>{_e(d['severity'])}</td>"
                f"<td><code>{_e(d['rule'])}</code></td><td>{_e(d['message'])}{hint}</td></tr>"
            )
        out.append("</table>")

    findings_of = Counter(f for d in s["lint"]["findings"] if (f := d.get("function")))
    out.append("<h2 id=\"index\">Index by function</h2>")
    out.append("<table><tr><th>function</th><th>page</th><th>lint findings</th><th>coverage</th></tr>")
    for fn in cov["functions"]:
        notebook = _notebook_of(fn)
        out.append(
            f"<tr><td id=\"fn-{_e(fn['name'])}\"><code>{_e(fn['name'])}</code></td>"
            f"<td><a href=\"#{_anchor(fn['page'])}\"><code>{_e(fn['page'])}</code></a></td>"
            f"<td class=\"n\">{findings_of[fn['name']] or ''}</td><td>{_e(_coverage_line(fn, notebook))}</td></tr>"
        )
    out.append("</table>")

    generic = _generic_tests(report)
    out.append("<h2 id=\"coverage\">Coverage: what differs from &ldquo;covered by the function's notebook&rdquo;</h2>")
    out.append("<p class=\"small\">Every status a page documents (or names elsewhere), and every errata status, is produced "
               "by a rule of the model and shown by the function's notebook, except those listed here.</p>")
    if generic:
        out.append("<p class=\"small\">Shown for every status, not repeated below: "
                   + ", ".join(f"<code>{_e(t)}</code>" for t in sorted(generic)) + "</p>")
    out.append("<table><tr><th>function</th><th>status</th><th>category</th><th>state</th><th>rules (basis)</th><th>evidence</th></tr>")
    for fn in cov["functions"]:
        notebook = _notebook_of(fn)
        for row in fn["statuses"]:
            if _as_expected(row, notebook):
                continue
            rules = "<br>".join(
                f"<code>{_e(r['id'])}</code> <span class=\"small\">"
                + ("" if r["basis"] == "citation" else f"<b>{_e(r['basis'])}</b> ")
                + f"{_e(r['text'].removeprefix(r['basis'] + ': '))}</span>"
                for r in row["rules"]
            ) or "&ndash;"
            ev = "<br>".join(
                f"{_e(e['kind'])}: <code>{_e(e['where'])}</code>" for e in row["evidence"] if e["where"] not in generic
            ) or "&ndash;"
            state = _e(row["state"]) + (f"<br><span class=\"small\">{_e(row['reason'])}</span>" if row["reason"] else "")
            cls = row["state"] + (" errata" if row["category"] == "errata" else "")
            out.append(
                f"<tr class=\"{cls}\"><td><a href=\"#fn-{_e(fn['name'])}\">{_e(fn['name'])}</a></td>"
                f"<td><code>{_e(row['code'])}</code></td><td>{_e(row['category'])}</td>"
                f"<td>{state}</td><td>{rules}</td><td>{ev}</td></tr>"
            )
    out.append("</table>")
    out.append("<h2 id=\"interpretations\">Interpretations</h2>")
    out.append("<p class=\"small\">Where the pages are silent or contradict each other, the model chose; each choice is listed here.</p>")
    out.append(_simple_table(["function", "rule", "status", "interpretation"],
                             [[r["function"], r["rule"], r["status"], r["text"]] for r in report["interpretations"]]))
    out.append("<h2 id=\"errata\">Errata</h2>")
    out.append("<p class=\"small\">Statuses real implementations return that the pages do not document (spec/data/errata.yaml).</p>")
    out.append(_simple_table(["function", "rule", "status", "errata"],
                             [[r["function"], r["rule"], r["status"], r["text"]] for r in report["errata"]]))
    passed, failed = _contract_split(report)
    out.append("<h2 id=\"contract\">Contract probes</h2>")
    out.append(f"<p>{passed} probes (a required parameter left out, a value outside its table) raised a ContractError "
               f"naming the parameter; {len(failed)} failed.</p>")
    if failed:
        out.append(_simple_table(["function", "probe", "parameter", "detail"],
                                 [[p["function"], p["probe"], p["parameter"] or "", p["detail"]] for p in failed]))
    if "drift" in s:
        out.append("<h2 id=\"drift\">Drift</h2>")
        out.append(drift_html(s["drift"]))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def drift_html(stage: dict[str, Any]) -> str:
    """The drift stage (check/drift.py) as HTML: its summary, then its rows as a table."""
    parts = [f"<p>{_e(stage['summary'])}</p>"] if "summary" in stage else []
    rows = [r for r in stage.get("changes", []) if isinstance(r, dict)]
    if rows:
        keys = list(dict.fromkeys(k for r in rows for k in r))
        parts.append(_simple_table(keys, [[r.get(k, "") for k in keys] for r in rows]))
    return "\n".join(parts) or "<p class=\"small\">(no drift)</p>"


def _simple_table(headers: list[str], rows: list[list[object]]) -> str:
    if not rows:
        return "<p class=\"small\">(none)</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>\n{body}</table>"
