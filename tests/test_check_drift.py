"""`sspimodel check --spec DIR` on a folder of upstream reference pages: drift, not modelled, coverage."""

from __future__ import annotations

import io
import json
import re
import shutil
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from conftest import CORPUS_DIR, SPEC_DIR

from sspimodel.check.drift import PageKind, compare, is_upstream_folder, page_kind
from sspimodel.check.report import run_check
from sspimodel.cli import main
from sspimodel.read import read_spec, read_text

SSPI_DIR = CORPUS_DIR / "sspi"


@pytest.fixture(scope="module")
def sspi_dir() -> Path:
    if not SSPI_DIR.is_dir():
        pytest.skip(f"corpus folder {SSPI_DIR} is absent")
    return SSPI_DIR


def _run(*argv: str) -> tuple[int, str]:
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = main(list(argv))
    return code, buf.getvalue()


def _function_names(folder: Path) -> set[str]:
    """Function names of a folder, straight from each nf- page's UID (not through the reader)."""
    names = set()
    for path in folder.glob("nf-*.md"):
        m = re.search(r"^UID:\s*NF:sspi\.(\w+)\s*$", path.read_text(encoding="utf-8"), re.M)
        assert m, path
        names.add(m.group(1))
    return names


def test_check_on_the_corpus_folder_has_no_drift_and_lists_what_is_not_modelled(sspi_dir: Path) -> None:
    code, text = _run("check", "--spec", str(sspi_dir), "--format", "json")
    assert code == 0
    report = json.loads(text)
    assert report["mode"] == "upstream" and report["ok"] is True
    drift = report["stages"]["drift"]
    embedded = set(read_spec(SPEC_DIR).names())
    assert len(embedded) == len(list((SPEC_DIR / "pages").glob("*.*")))
    assert drift["modelled"] == sorted(embedded)
    assert drift["drift"] == []
    assert all(f["drift"] == 0 for f in drift["functions"])
    assert drift["missing"] == []
    assert drift["not_modelled"] == sorted(_function_names(sspi_dir) - embedded)
    assert "AddCredentialsA" in drift["modelled"] and "QueryContextAttributesExW" in drift["modelled"]
    # Struct pages are read and counted, not taken for functions.
    assert report["stages"]["read"]["by_kind"][PageKind.STRUCT] == len(list(sspi_dir.glob("ns-*.md")))
    # Coverage and contract run on the modelled functions, as the folder states them.
    assert report["stages"]["coverage"]["uncovered"] == 0
    assert report["stages"]["contract"]["functions"] == len(embedded) and report["stages"]["contract"]["failed"] == 0
    assert "generate" not in report["stages"]

    code, text = _run("check", "--spec", str(sspi_dir))
    assert code == 0
    assert f"no drift: the {len(embedded)} modelled functions" in text
    count = len(drift["not_modelled"])
    assert (f"not modelled ({count}" in text) if count else (" 0 not modelled;" in text)
    assert "stale" not in text
    assert text.rstrip().endswith("result    OK")
    assert max(len(line) for line in text.splitlines()) <= 100


def test_check_names_each_drifted_field_and_skips_index_and_toc(sspi_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "sspi"
    shutil.copytree(sspi_dir, folder)
    (folder / "index.md").write_text("---\ntitle: sspi.h header\n---\n\n# sspi.h header\n\nEverything in sspi.h.\n")
    (folder / "TOC.md").write_text("- name: sspi.h\n  href: index.md\n")
    qcaw = folder / "nf-sspi-querycontextattributesw.md"
    qcaw.write_text(qcaw.read_text().replace("<dt>124</dt>", "<dt>128</dt>", 1))
    esw = folder / "nf-sspi-enumeratesecuritypackagesw.md"
    esw.write_text(esw.read_text().replace("### -param pcPackages [in]", "### -param pcPackages [out]", 1))
    report_dir = tmp_path / "report"
    code, text = _run("check", "--spec", str(folder), "--report", str(report_dir))
    assert code == 0, text
    assert "skipped   TOC.md, index.md (not reference pages)" in text
    report = json.loads((report_dir / "report.json").read_text())
    rows = {(r["function"], r["field"]): r for r in report["stages"]["drift"]["drift"]}
    assert rows.keys() == {
        ("QueryContextAttributesW", "value ulAttribute.SECPKG_ATTR_SUBJECT_SECURITY_ATTRIBUTES"),
        ("EnumerateSecurityPackagesW", "parameter pcPackages.direction"),
    }
    row = rows[("QueryContextAttributesW", "value ulAttribute.SECPKG_ATTR_SUBJECT_SECURITY_ATTRIBUTES")]
    assert (row["change"], row["ours"], row["theirs"]) == ("changed", "124", "128")
    assert "QueryContextAttributesW" in (report_dir / "report.md").read_text()


def test_check_on_a_folder_with_an_unreadable_page_exits_1(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(SPEC_DIR / "pages" / "FreeContextBuffer.md", folder / "nf-sspi-freecontextbuffer.md")
    (folder / "nf-sspi-broken.md").write_bytes(b"\xff\xfe\x00 not a page")
    out = io.StringIO()
    assert run_check(folder, out=out) == 1
    text = out.getvalue()
    assert "unreadable page nf-sspi-broken.md" in text and text.rstrip().endswith("result    FAILED")
    # The one readable page is compared; all the others are missing from the folder.
    assert f"{len(read_spec(SPEC_DIR).names()) - 1} missing here" in text


def test_a_project_spec_directory_is_not_an_upstream_folder(tmp_path: Path) -> None:
    assert not is_upstream_folder(SPEC_DIR)
    assert not is_upstream_folder(SPEC_DIR / "pages")  # the project's own pages: a spec folder
    assert not is_upstream_folder(tmp_path)  # empty: an error for check, not an upstream run
    (tmp_path / "nf-sspi-freecontextbuffer.md").write_text("---\n---\n", encoding="utf-8")
    assert is_upstream_folder(tmp_path)


@pytest.mark.parametrize(
    ("file", "kind"),
    [
        ("nf-sspi-acceptsecuritycontext.md", PageKind.FUNCTION),
        ("ns-sspi-secbuffer.md", PageKind.STRUCT),
        ("ne-sspi-secdelegationtype.md", PageKind.ENUM),
        ("nc-sspi-sspiasyncnotifycallback.md", PageKind.CALLBACK),
        ("index.md", PageKind.OTHER),
        ("TOC.md", PageKind.OTHER),
        ("AcceptSecurityContext.md", PageKind.FUNCTION),
    ],
)
def test_page_kind_follows_the_upstream_file_names(file: str, kind: str) -> None:
    assert page_kind(file) == kind


def test_compare_is_empty_for_a_page_and_itself_and_names_each_changed_field() -> None:
    page = SPEC_DIR / "pages" / "QueryContextAttributesW.md"
    text = page.read_text(encoding="utf-8")
    ours = read_text(text, page.name)
    assert compare(ours, ours, text, text) == []
    changed = (
        text.replace("<dt>0x80100003</dt>", "<dt>0x80090301</dt>", 1)
        .replace("### -param pBuffer [out]", "### -param pBuffer [in, out]", 1)
        .replace("req.dll: Secur32.dll", "req.dll: Kernel32.dll", 1)
    )
    fields = {d.field for d in compare(ours, read_text(changed, page.name), text, changed)}
    assert fields == {"return SEC_E_INVALID_HANDLE.hex", "parameter pBuffer.direction", "requirements.dll"}
