"""`sspimodel check`: the stages, the report files and their schema, and coverage that reacts to
the evidence it is given."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from sspimodel.check.report import build_report, run_check
from sspimodel.check.report_files import SCHEMA_FILE, write_reports
from sspimodel.cli import main
from sspimodel.paths import REPO_ROOT


@pytest.fixture(scope="module")
def report() -> dict:
    return build_report()


def test_report_validates_against_its_schema(report, tmp_path):
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    written = write_reports(report, tmp_path)
    assert sorted(Path(p).name for p in written) == ["report.html", "report.json", "report.md"]
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)


def test_schema_rejects_a_report_missing_a_stage(report):
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(report))
    del broken["stages"]["coverage"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_the_project_is_fully_covered_and_fresh(report):
    cov = report["stages"]["coverage"]
    uncovered = [
        f"{fn['name']}: {row['code']} ({row['reason']})"
        for fn in cov["functions"] for row in fn["statuses"]
        if row["state"] == "uncovered" and row["category"] != "errata"
    ]
    assert not uncovered, "\n".join(uncovered)
    assert report["stages"]["generate"]["fresh"]
    assert report["stages"]["contract"]["failed"] == 0
    assert report["ok"]
    # every unreachable code says why
    for fn in cov["functions"]:
        for row in fn["statuses"]:
            if row["state"] == "unreachable":
                assert row["reason"], (fn["name"], row["code"])


def test_summary_has_one_line_per_stage_within_100_columns(capsys):
    code = main(["check"])
    out = capsys.readouterr().out
    lines = out.splitlines()
    for stage in ("read", "lint", "generate", "coverage", "contract"):
        assert any(line.startswith(f"{stage:10s}") for line in lines), stage
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    assert code in (0, 1)
    # README.md shows this summary (without the per-function table): it must be today's.
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("On this repository `sspimodel check` exits 0 and prints", 1)[1]
    shown_lines = shown.split("```", 2)[1].splitlines()[1:]  # after the fence's info string
    table = next(i for i, line in enumerate(lines) if line.startswith("Per function"))
    assert shown_lines == [line.rstrip() for line in lines[:table]] + [lines[-1]], "update README.md's check block"


def test_report_html_is_self_contained(report, tmp_path):
    write_reports(report, tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    # no external resources (links to the reference pages are plain anchors)
    for needle in ("<script", "src=\"http", "<link", "@import", "<img"):
        assert needle not in html
    for section in ('id="coverage"', 'id="interpretations"', 'id="errata"', 'id="lint"', 'id="index"'):
        assert section in html
    # lint findings carry file:line
    finding = report["stages"]["lint"]["findings"][0]
    assert f"{finding['file']}:{finding['line']}" in html


def _copy_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for name in ("spec", "notebooks", "tests"):
        shutil.copytree(REPO_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return root


def _rows(rep: dict) -> dict[tuple[str, str], dict]:
    return {(fn["name"], row["code"]): row for fn in rep["stages"]["coverage"]["functions"] for row in fn["statuses"]}


def test_removing_the_only_notebook_cell_makes_the_code_uncovered(tmp_path, capsys):
    root = _copy_project(tmp_path)
    before = _rows(build_report(root / "spec"))
    target = next(
        (key, row) for key, row in sorted(before.items())
        if row["state"] == "covered" and row["category"] == "documented"
        and len(row["evidence"]) == 1 and row["evidence"][0]["kind"] == "notebook"
    )
    (function, code), row = target
    where = row["evidence"][0]["where"]
    nb_name, cell = where.rsplit("#cell-", 1)
    nb_path = root / nb_name
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    nb["cells"].remove(code_cells[int(cell) - 1])
    nb_path.write_text(json.dumps(nb), encoding="utf-8")

    after = build_report(root / "spec")
    assert _rows(after)[(function, code)]["state"] == "uncovered"
    assert not after["ok"]
    assert run_check(root / "spec", out=sys.stdout) == 1
    assert code in capsys.readouterr().out


def _drop_function(path: Path, name: str) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    del lines[start - 1 : node.end_lineno]
    path.write_text("".join(lines), encoding="utf-8")


def test_removing_the_only_test_makes_the_code_uncovered(tmp_path):
    root = _copy_project(tmp_path)
    shutil.rmtree(root / "notebooks")
    (root / "notebooks").mkdir()
    before = _rows(build_report(root / "spec"))
    candidates = [
        (key, row) for key, row in sorted(before.items())
        if row["state"] == "covered" and row["category"] == "documented" and len(row["evidence"]) == 1
        and row["evidence"][0]["kind"] == "test" and "::" in row["evidence"][0]["where"]
    ]
    assert candidates, "no code is shown by exactly one test"
    (function, code), row = candidates[0]
    file, test_name = row["evidence"][0]["where"].split("::")
    _drop_function(root / file, test_name)
    after = _rows(build_report(root / "spec"))
    assert after[(function, code)]["state"] == "uncovered"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_html_report_renders_in_headless_chromium(report, tmp_path):
    write_reports(report, tmp_path)
    png = tmp_path / "report.png"
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "screenshot_report.py"), str(tmp_path), str(png)],
        capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_unreadable_page_is_named_and_fails_the_check(tmp_path, capsys):
    root = _copy_project(tmp_path)
    (root / "spec" / "pages" / "FreeContextBuffer.md").write_bytes(b"\xff\xfe not a page")
    assert run_check(root / "spec", out=sys.stdout) == 1
    out = capsys.readouterr().out
    assert "failed    unreadable page FreeContextBuffer.md: cannot read page: not UTF-8" in out
    assert out.rstrip().endswith("result    FAILED")


def test_a_malformed_status_catalog_is_one_clear_error(tmp_path, capsys):
    root = _copy_project(tmp_path)
    tsv = root / "spec" / "data" / "status.tsv"
    tsv.write_text(tsv.read_text(encoding="utf-8").replace("SEC_E_INVALID_HANDLE\t0x80090301", "SEC_E_INVALID_HANDLE\t0xZZ"),
                   encoding="utf-8")
    from sspimodel.status import _load

    _load.cache_clear()
    try:
        assert main(["lint", "--spec", str(root / "spec")]) == 1
    finally:
        _load.cache_clear()
    err = capsys.readouterr().err
    assert err.startswith("sspimodel: ") and "status.tsv:" in err and "SEC_E_INVALID_HANDLE" in err
    assert "Traceback" not in err
