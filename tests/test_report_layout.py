"""The check report, for the documentation's maintainers: lint first by page with hints and links,
an index by function, coverage collapsed, passing probes counted; one schema marker for all JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from sspimodel.check.lint import run_lint
from sspimodel.check.report import build_report
from sspimodel.check.report_files import render_html, render_markdown
from sspimodel.check.schema import SCHEMA_VERSION, header

DATA = Path(__file__).parent / "data" / "lint"


@pytest.fixture(scope="module")
def report():
    return build_report()


def test_the_lint_findings_come_first_grouped_by_page_with_hints_and_links(report):
    html = render_html(report)
    assert html.index('id="lint"') < html.index('id="index"') < html.index('id="coverage"')
    finding = next(d for d in report["stages"]["lint"]["findings"] if d["hint"])
    page = report["stages"]["lint"]["pages"][finding["file"]]
    assert f"fix: {finding['hint']}"[:60].replace("'", "&#x27;").replace('"', "&quot;") in html
    assert f'href="{page["url"]}"' in html
    assert f'<code>{page["upstream"]}</code>' in html
    # the summary table by page is the first table of the page
    first_table = html[html.index("<table>") : html.index("</table>")]
    assert f"<code>{finding['file']}</code>" in first_table


def test_coverage_lists_only_what_differs_from_the_functions_notebook(report):
    html = render_html(report)
    rows = [row for fn in report["stages"]["coverage"]["functions"] for row in fn["statuses"]]
    section = html[html.index('id="coverage"') : html.index('id="interpretations"')]
    listed = section.count("<tr class=")
    assert 0 < listed < len(rows) / 2
    # the tests that show every status are named once, not on every row
    assert section.count("tests/test_model_coverage.py::test_documented_status_is_produced_or_marked_unreachable") == 1
    unreachable = sum(1 for r in rows if r["state"] == "unreachable")
    assert section.count('class="unreachable') == unreachable


def test_passing_contract_probes_are_counted_failing_ones_listed(report):
    html = render_html(report)
    probes = report["stages"]["contract"]["probes"]
    passed = sum(p["ok"] for p in probes)
    section = html[html.index('id="contract"') :]
    assert f"<p>{passed} probes" in section and "<table>" not in section.split('id="drift"')[0]
    broken = json.loads(json.dumps(report))
    broken["stages"]["contract"]["probes"][0] |= {"ok": False, "detail": "no ContractError raised"}
    assert "no ContractError raised" in render_html(broken)
    assert "no ContractError raised" in render_markdown(broken)


def test_the_index_names_every_function_once(report):
    html = render_html(report)
    index = html[html.index('id="index"') : html.index('id="coverage"')]
    for fn in report["stages"]["coverage"]["functions"]:
        assert index.count(f'id="fn-{fn["name"]}"') == 1


def test_a_drift_stage_has_its_place(report):
    with_drift = json.loads(json.dumps(report))
    with_drift["stages"]["drift"] = {"summary": "2 pages differ", "changes": [{"page": "X.md", "change": "new code"}]}
    html = render_html(with_drift)
    assert 'id="drift"' in html and "2 pages differ" in html and "new code" in html
    assert "## Drift" in render_markdown(with_drift)
    assert 'id="drift"' not in render_html(report)


def test_check_lint_and_conform_json_carry_one_versioned_schema(report):
    assert (report["schema"], report["version"]) == ("sspimodel/check", SCHEMA_VERSION)
    out = io.StringIO()
    run_lint(DATA / "hex-mismatch" / "bad", fmt="json", fail_on="never", out=out, header_dir=None)
    lint = json.loads(out.getvalue())
    assert (lint["schema"], lint["version"]) == ("sspimodel/lint", SCHEMA_VERSION)
    from sspimodel.conform.report import FORMAT

    assert header("conform") == {"schema": FORMAT, "version": SCHEMA_VERSION}
    with pytest.raises(ValueError, match="unknown JSON document 'nope'"):
        header("nope")


def test_the_markdown_report_also_starts_with_lint_by_page(report):
    md = render_markdown(report)
    assert md.index("## Lint findings by page") < md.index("## Index by function") < md.index("## Coverage")
