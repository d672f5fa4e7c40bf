"""Header facts as data: spec/data/sspi_h.json and ntstatus_h.json equal mingw-w64's headers, and
lint, check and the report are the same on a machine with or without those headers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sspimodel.check.header import (
    HeaderDataError,
    header_facts_from_dir,
    load_header_facts,
    ntstatus_h_json,
    sspi_h_json,
)
from sspimodel.check.lint import HEADER_DATA, lint
from sspimodel.paths import REPO_ROOT, data_file
from sspimodel.read import read_spec

TOOL = REPO_ROOT / "tools" / "header_data.py"


def _norm(decls):
    """Declarations without the file path (the data says "sspi.h", a live read its full path)."""
    return {m: [(p.name, p.return_type, p.params, p.line) for p in protos] for m, protos in decls.by_mode}


def test_header_data_equals_the_live_mingw_headers(mingw_include):
    live = header_facts_from_dir(mingw_include)
    data = load_header_facts()
    assert _norm(data.sspi) == _norm(live.sspi)
    assert data.sspi.aw_aliases == live.sspi.aw_aliases
    assert data.ntstatus == live.ntstatus
    assert len(data.sspi.prototypes("user")) >= 50 and len(data.sspi.prototypes("kernel")) >= 50
    assert data.ntstatus_values()["STATUS_INVALID_PARAMETER"] == 0xC000000D


def test_header_data_files_are_what_the_tool_writes_from_the_live_headers(mingw_include, tmp_path):
    """Byte for byte, apart from the source line (which names the package version dpkg reports)."""
    out = subprocess.run([sys.executable, str(TOOL), "--include", str(mingw_include), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    for name in ("sspi_h.json", "ntstatus_h.json"):
        written = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        committed = json.loads(data_file(name).read_text(encoding="utf-8"))
        written.pop("source"), committed.pop("source")
        assert written == committed, name


def test_header_data_tool_refuses_a_folder_without_the_headers(tmp_path):
    out = subprocess.run([sys.executable, str(TOOL), "--include", str(tmp_path), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 1
    assert f"no sspi.h and ntstatus.h in {tmp_path}" in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_header_data_round_trips_through_its_json_form():
    facts = load_header_facts()
    assert json.loads(sspi_h_json(facts.sspi, "x"))["modes"]["kernel"]["defines"] == {"SECURITY_KERNEL": ""}
    text = ntstatus_h_json(facts.ntstatus, "x")
    assert json.loads(text)["values"]["STATUS_INVALID_PARAMETER"] == "0xC000000D"


def test_a_spec_data_folder_without_header_facts_uses_the_packaged_ones(tmp_path):
    (tmp_path / "data").mkdir()
    assert load_header_facts(tmp_path) == load_header_facts()


def test_malformed_header_facts_name_the_file(tmp_path):
    (tmp_path / "data").mkdir()
    bad = tmp_path / "data" / "sspi_h.json"
    bad.write_text('{"format": "sspimodel-header-facts/1", "modes": {}}', encoding="utf-8")
    with pytest.raises(HeaderDataError, match=r"sspi_h\.json: malformed header facts"):
        load_header_facts(tmp_path)
    bad.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(HeaderDataError, match=r"sspi_h\.json: cannot read header facts"):
        load_header_facts(tmp_path)


def test_lint_by_default_equals_lint_against_the_live_headers(mingw_include):
    specset = read_spec(None)
    assert lint(specset) == lint(specset, header_dir=mingw_include)


def test_the_header_facts_change_findings_so_the_comparisons_above_can_fail(tmp_path):
    """Without header facts (an empty header folder read live) lint finds less: the data matters."""
    specset = read_spec(None)
    with_data = lint(specset, header_dir=HEADER_DATA)
    empty = lint(specset, header_dir=tmp_path)
    assert len(empty) < len(with_data)
    assert {d.rule for d in with_data} - {d.rule for d in empty} >= {"lint.header-mismatch"}


# What a run of lint, check and the report files gives, in a fresh interpreter. An audit hook
# fails the run if anything opens a file under the header folder, and the header folder the
# process knows about (SSPIMODEL_TEST_HEADERS) is either mingw-w64's or an empty one.
_RUN = r"""
import io, json, os, sys
from pathlib import Path
headers = os.environ["SSPIMODEL_TEST_HEADERS"]
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        p = os.fsdecode(args[0])
        if p.startswith(headers) or p.startswith("/usr/share/mingw-w64") or p.endswith(".h"):
            opened.append(p)
sys.addaudithook(hook)
from sspimodel.check.lint import format_json, lint
from sspimodel.check.report import build_report, summary_lines
from sspimodel.check.report_files import write_reports
from sspimodel.read import read_spec
findings = format_json(lint(read_spec(None)))
report = build_report(None)
out = Path(sys.argv[1])
write_reports(report, out)
files = {n: (out / n).read_text(encoding="utf-8") for n in sorted(os.listdir(out))}
json.dump({"findings": findings, "summary": summary_lines(report), "files": files, "opened": opened}, sys.stdout)
"""


def _run(headers: Path, out: Path) -> dict:
    env = {**os.environ, "SSPIMODEL_TEST_HEADERS": str(headers)}
    proc = subprocess.run([sys.executable, "-c", _RUN, str(out)], capture_output=True, text=True, env=env,
                          cwd=REPO_ROOT, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def test_lint_check_and_report_are_the_same_with_the_header_folder_empty(tmp_path):
    empty = tmp_path / "include"
    empty.mkdir()
    bare = _run(empty, tmp_path / "bare")
    assert bare["opened"] == []
    assert "lint.header-mismatch" in bare["findings"]  # the header comparison ran, from the data
    mingw = Path("/usr/share/mingw-w64/include")
    if not (mingw / "sspi.h").is_file():
        pytest.skip("mingw-w64 headers absent (apt-get install mingw-w64-common): the run with them "
                    "present is not available; the run above opened no header")
    present = _run(mingw, tmp_path / "present")
    assert present["opened"] == []
    assert bare["findings"] == present["findings"]
    assert bare["summary"] == present["summary"]
    assert bare["files"] == present["files"]
