"""report.json, report.md and report.html for ``sspimodel check --report DIR``.

report.json follows sspimodel/check/report.schema.json. report.html is one self-contained page
(inline CSS, no scripts, no external resources): a table per function with its statuses and the
evidence for each, the lint findings with file:line, and the interpretations and errata listed
separately, so a reader sees at once where the model goes beyond the pages.
"""

from __future__ import annotations

import html
import json
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


# --- Markdown ------------------------------------------------------------------------------------


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict[str, Any]) -> str:
    from .report import summary_lines

    s = report["stages"]
    lines = [f"# sspimodel check: {report['spec_dir']}", "", "Result: **" + ("OK" if report["ok"] else "FAILED") + "**", "",
             "```"]
    lines += summary_lines(report)
    lines += ["```", "", "## Coverage by function", ""]
    for fn in s["coverage"]["functions"]:
        lines += [f"### {fn['name']}", "", f"Page: `{fn['page']}`", "",
                  "| status | category | state | rules | evidence |", "|---|---|---|---|---|"]
        for row in fn["statuses"]:
            rules = "<br>".join(f"{_md(r['id'])} ({r['basis']})" for r in row["rules"]) or "-"
            ev = "<br>".join(_md(e["where"]) for e in row["evidence"][:4]) or "-"
            if len(row["evidence"]) > 4:
                ev += f"<br>(+{len(row['evidence']) - 4} more)"
            state = row["state"] + (f": {_md(row['reason'])}" if row["reason"] else "")
            lines.append(f"| `{row['code']}` | {row['category']} | {state} | {rules} | {ev} |")
        lines.append("")
    lines += ["## Interpretations (where the pages are silent or contradict each other)", "",
              "| function | rule | status | interpretation |", "|---|---|---|---|"]
    lines += [f"| {r['function']} | {_md(r['rule'])} | `{r['status']}` | {_md(r['text'])} |" for r in report["interpretations"]]
    lines += ["", "## Errata (what implementations return that the pages do not document)", "",
              "| function | rule | status | errata |", "|---|---|---|---|"]
    lines += [f"| {r['function']} | {_md(r['rule'])} | `{r['status']}` | {_md(r['text'])} |" for r in report["errata"]]
    lines += ["", "## Lint findings", "", "| file:line | severity | rule | message |", "|---|---|---|---|"]
    lines += [
        f"| {_md(d['file'])}:{d['line']} | {d['severity']} | {d['rule']} | {_md(d['message'])} |"
        for d in s["lint"]["findings"]
    ]
    return "\n".join(lines) + "\n"


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em; color: #1b1b1b; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { margin-bottom: .3em; }
table { border-collapse: collapse; margin: .5em 0 1.5em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
pre.summary { background: #f7f7f7; padding: 1em; overflow-x: auto; }
.ok { color: #0a6b0a; font-weight: bold; } .failed { color: #b00020; font-weight: bold; }
.covered { background: #eaf6ea; } .unreachable { background: #fff6e0; } .uncovered { background: #fde8ea; }
.errata { font-style: italic; } .small { color: #555; font-size: .85em; }
td { overflow-wrap: anywhere; } td:nth-child(1), td:nth-child(2), td:nth-child(3) { white-space: nowrap; }
nav a { margin-right: .8em; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(report: dict[str, Any]) -> str:
    from .report import summary_lines

    s = report["stages"]
    cov = s["coverage"]
    out: list[str] = [
        "<!DOCTYPE html>",
        "<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>sspimodel check: {_e(report['spec_dir'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>sspimodel check: <code>{_e(report['spec_dir'])}</code></h1>",
        "<p>Result: " + ("<span class=\"ok\">OK</span>" if report["ok"] else "<span class=\"failed\">FAILED</span>") + "</p>",
        "<nav><a href=\"#coverage\">Coverage</a><a href=\"#interpretations\">Interpretations</a>"
        "<a href=\"#errata\">Errata</a><a href=\"#lint\">Lint findings</a><a href=\"#contract\">Contract probes</a></nav>",
        "<pre class=\"summary\">" + _e("\n".join(summary_lines(report))) + "</pre>",
        "<h2 id=\"coverage\">Coverage and traceability, by function</h2>",
        "<p class=\"small\">For each status a function's page documents (or names elsewhere), and each errata status: "
        "the model's rules that produce it and the notebook cells and tests that show it.</p>",
    ]
    for fn in cov["functions"]:
        out.append(f"<h3 id=\"fn-{_e(fn['name'])}\">{_e(fn['name'])}</h3>")
        out.append(f"<p class=\"small\">page <code>{_e(fn['page'])}</code></p>")
        out.append("<table><tr><th>status</th><th>category</th><th>state</th><th>rules (basis)</th><th>evidence</th></tr>")
        for row in fn["statuses"]:
            rules = "<br>".join(
                f"<code>{_e(r['id'])}</code> <span class=\"small\">"
                + ("" if r["basis"] == "citation" else f"<b>{_e(r['basis'])}</b> ")
                + f"{_e(r['text'].removeprefix(r['basis'] + ': '))}</span>"
                for r in row["rules"]
            ) or "&ndash;"
            ev = "<br>".join(f"{_e(e['kind'])}: <code>{_e(e['where'])}</code>" for e in row["evidence"]) or "&ndash;"
            state = _e(row["state"]) + (f"<br><span class=\"small\">{_e(row['reason'])}</span>" if row["reason"] else "")
            cls = row["state"] + (" errata" if row["category"] == "errata" else "")
            out.append(
                f"<tr class=\"{cls}\"><td><code>{_e(row['code'])}</code></td><td>{_e(row['category'])}</td>"
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
    out.append("<h2 id=\"lint\">Lint findings</h2>")
    out.append(_simple_table(["file:line", "severity", "rule", "message"],
                             [[f"{d['file']}:{d['line']}", d["severity"], d["rule"], d["message"]] for d in s["lint"]["findings"]]))
    out.append("<h2 id=\"contract\">Contract probes</h2>")
    out.append(_simple_table(["function", "probe", "parameter", "ok", "detail"],
                             [[p["function"], p["probe"], p["parameter"] or "", "yes" if p["ok"] else "NO", p["detail"]]
                              for p in s["contract"]["probes"]]))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _simple_table(headers: list[str], rows: list[list[object]]) -> str:
    if not rows:
        return "<p class=\"small\">(none)</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>\n{body}</table>"
