"""The command line on a documentation maintainer's own checkout, and on hostile pages in it.

Each test pins a defect found by running ``sspimodel`` the way the README says on a checkout of
the reference's repository (MicrosoftDocs/sdk-api: pages under sdk-api-src/content/sspi/) and on
hostile variants of it. The pages are written here (or copied from the project's own spec/pages);
time bounds are the harness's guard against a hang (SIGALRM), never a timed assertion.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import SPEC_DIR, deadline, sdk_api_checkout

from sspimodel.check.lint import lint
from sspimodel.cli import EXIT_FAILED, main
from sspimodel.read import SpecSet, read_spec, read_text

PAGE = (SPEC_DIR / "pages" / "FreeContextBuffer.md").read_text(encoding="utf-8")
SIGN = (SPEC_DIR / "pages" / "MakeSignature.md").read_text(encoding="utf-8")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def checkout(tmp_path: Path) -> tuple[Path, Path]:
    """A checkout of the reference's repository: the sspi.h pages and another header's page."""
    return sdk_api_checkout(tmp_path, {"nf-sspi-freecontextbuffer.md": PAGE, "nf-sspi-makesignature.md": SIGN})


def with_remarks(page: str, remarks: str) -> str:
    i = page.index("## -remarks")
    return page[:i] + "## -remarks\n\n" + remarks + "\n\n" + page[i + len("## -remarks"):]


# --- the checkout itself -------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["", "sdk-api-src", "sdk-api-src/content"])
def test_check_on_the_checkout_reads_its_sspi_pages_as_reference_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], level: str
) -> None:
    root, sspi = checkout(tmp_path)
    code, out, err = run(["check", "--spec", str(root / level)], capsys)
    header = out.split("\nread ", 1)[0].replace("\n", "")  # the console folds a long first line
    assert header.startswith(f"sspimodel check: {sspi.resolve().as_posix()} (reference pages"), out
    assert "SomethingElse" not in out and "STALE" not in out
    assert code == 0, out + err


def test_lint_on_the_checkout_reads_only_its_sspi_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = checkout(tmp_path)
    code, out, _ = run(["lint", "--spec", str(root), "--format", "json", "--fail-on", "never"], capsys)
    files = {f["file"] for f in json.loads(out)["findings"]}
    assert code == 0 and files and all(f.startswith("nf-sspi-") for f in files), files


# --- a folder with no page -----------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["lint"], ["spec", "list"], ["spec", "export"], ["spec", "show", "MakeSignature"]])
def test_a_folder_without_pages_is_an_error_for_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.rst").write_text("not a page\n", encoding="utf-8")
    code, out, err = run([*argv, "--spec", str(tmp_path)], capsys)
    assert code == EXIT_FAILED
    assert err == f"sspimodel: --spec {tmp_path}: no reference page (*.md, *.txt) in {tmp_path}\n"
    assert out == ""


# --- generate never loses the generated code ------------------------------------------------------


@pytest.fixture
def no_writes(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Stands in for writing sspimodel/_generated, so a failing test cannot damage it."""
    import sspimodel.codegen as codegen

    written: list[object] = []
    monkeypatch.setattr(codegen, "write_generated", lambda files, out_dir=None: written.append(files) or [])
    return written


def test_generate_from_an_empty_folder_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_writes: list[object]
) -> None:
    code, _, err = run(["generate", "--spec", str(tmp_path)], capsys)
    assert code == EXIT_FAILED and no_writes == []
    assert "no reference page" in err


def test_generate_with_an_unreadable_page_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_writes: list[object]
) -> None:
    (tmp_path / "FreeContextBuffer.md").write_text(PAGE, encoding="utf-8")
    (tmp_path / "MakeSignature.md").write_bytes(SIGN.encode("utf-8").replace(b"MakeSignature", b"Make\xe9Signature", 1))
    code, _, err = run(["generate", "--spec", str(tmp_path)], capsys)
    assert code == EXIT_FAILED and no_writes == []
    assert err.startswith("sspimodel: generate: nothing written: MakeSignature.md: cannot read page: not UTF-8")


# --- hostile pages in the checkout ---------------------------------------------------------------


def test_a_page_that_is_not_utf8_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "Bad.md").write_bytes(b"---\nUID: NF:sspi.Bad\ntitle: caf\xe9\n---\n")
    (err,) = read_spec(tmp_path).errors
    assert (err.file, err.line) == ("Bad.md", 3) and err.message.endswith("(byte 0xe9 at offset 31, line 3)")


def test_special_files_in_a_reference_folder_are_named_not_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, sspi = checkout(tmp_path)
    os.mkfifo(sspi / "nf-sspi-fifo.md")
    (sspi / "nf-sspi-dangling.md").symlink_to(sspi / "nowhere.md")
    (sspi / "nf-sspi-upper.MD").write_text(PAGE, encoding="utf-8")
    (sspi / "nf-sspi-huge.md").write_bytes(b"a" * (4 * 1024 * 1024 + 1))
    with deadline(60):
        code, out, _ = run(["check", "--spec", str(sspi)], capsys)
    assert code == EXIT_FAILED
    for name, why in (("nf-sspi-fifo.md", "FIFO"), ("nf-sspi-dangling.md", "dangling"),
                      ("nf-sspi-upper.MD", "case-sensitive"), ("nf-sspi-huge.md", "page limit")):
        line = next((x for x in out.splitlines() if x.startswith(f"failed    unreadable page {name}: ")), "")
        assert why in line, (name, out)
    assert "FreeContextBuffer" not in out.split("missing   ", 1)[-1]  # the good pages are still compared


def test_a_page_name_that_is_not_utf8_does_not_break_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, sspi = checkout(tmp_path)
    bad = os.fsencode(sspi) + b"/nf-sspi-bad\xff.md"
    with open(bad, "wb") as fh:
        fh.write(PAGE.replace("FreeContextBuffer", "FreeContextBufferX").encode("utf-8"))
    code, _, err = run(["check", "--spec", str(sspi), "--report", str(tmp_path / "report")], capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert "nf-sspi-bad\\xff.md" in report["stages"]["lint"]["pages"]


def test_two_pages_of_one_function_are_named_in_a_spec_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "MakeSignature.md").write_text(SIGN, encoding="utf-8")
    (tmp_path / "MakeSignature-edited.md").write_text(SIGN.replace("SEC_E_QOP_NOT_SUPPORTED", "SEC_E_UNSUPPORTED_FUNCTION"),
                                                      encoding="utf-8")
    specset = read_spec(tmp_path)
    (err,) = specset.errors
    assert (err.rule, err.file) == ("read.duplicate-function", "MakeSignature.md")
    assert "MakeSignature-edited.md" in err.message
    code, out, _ = run(["spec", "list", "--spec", str(tmp_path)], capsys)
    assert code == EXIT_FAILED and "MakeSignature.md: not used" in out.replace("\n", "")


def test_two_pages_of_one_function_in_a_reference_folder_fail_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, sspi = checkout(tmp_path)
    edited = SIGN.replace("SEC_E_QOP_NOT_SUPPORTED", "SEC_E_UNSUPPORTED_FUNCTION")
    (sspi / "nf-sspi-makesignature-edited.md").write_text(edited, encoding="utf-8")
    code, out, _ = run(["check", "--spec", str(sspi)], capsys)
    assert code == EXIT_FAILED
    assert ("failed    duplicate page nf-sspi-makesignature.md: not used: it documents MakeSignature, "
            "as nf-sspi-makesignature-edited.md does") in out


def test_an_unclosed_code_fence_is_named_with_its_line() -> None:
    page = SIGN.replace("## -parameters", "```cpp\nint x;\n\n## -parameters", 1)
    line = page[: page.index("```cpp")].count("\n") + 1
    f = read_text(page, "MakeSignature.md")
    found = [d for d in f.diagnostics if d.rule == "read.unclosed-block"]
    assert [(d.line, d.severity.value) for d in found] == [(line, "error")]
    assert found[0].message.startswith(f"code fence ``` opened at line {line} is never closed")


def test_an_unclosed_html_comment_block_is_named_with_its_line() -> None:
    page = with_remarks(SIGN, "<!-- a note that never ends")
    line = page[: page.index("<!-- a note")].count("\n") + 1
    f = read_text(page, "MakeSignature.md")
    assert [d.line for d in f.diagnostics if d.rule == "read.unclosed-block"] == [line]


@pytest.mark.parametrize(
    "line",
    [
        "<!--" * 250_000,  # an HTML block of unclosed comments
        "a " + "<!--" * 250_000,  # unclosed comments in a paragraph
        "[x](" * 250_000,  # unclosed link targets
        "a " + "[x](<" * 200_000,
        "<div>\n" + "<a" * 500_000,  # unclosed tags in an HTML block
        "<div>\n" + '<a href="' * 100_000,
    ],
    ids=["comment-block", "comment-inline", "link", "link-angle", "tag", "tag-href"],
)
def test_a_1_mb_line_of_unclosed_markup_is_read(line: str) -> None:
    page = with_remarks(SIGN, line)
    with deadline(60):
        f = read_text(page, "MakeSignature.md")
    assert f.name == "MakeSignature" and len(f.parameters) == 4


def test_lint_reads_a_page_naming_thousands_of_codes_in_one_pass() -> None:
    codes = [f"SEC_E_MADE_UP_{k}" for k in range(30_000)]
    remarks = "When InitializeSecurityContext returned SEC_E_MADE_UP_0, call again. " + " ".join(
        f"{code}." for code in codes[1:]
    )
    f = read_text(with_remarks(SIGN, remarks), "MakeSignature.md")
    with deadline(60):
        found = [d for d in lint(SpecSet((f,), (), "pages")) if d.rule == "lint.code-not-in-returns"]
    assert len(found) == len(codes)
    first = next(d for d in found if d.message.startswith("SEC_E_MADE_UP_0 "))
    assert first.severity.value == "info"
    assert first.message.endswith("; the text attributes it to InitializeSecurityContext")
    assert {d.severity.value for d in found if d is not first} == {"warning"}


def test_conform_on_a_folder_without_scenarios_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "_include.yaml").write_text("identities: {}\n", encoding="utf-8")
    code, out, err = run(["conform", "--scenarios", str(tmp_path)], capsys)
    assert code == 2 and out == ""
    assert err == f"sspimodel conform: --scenarios {tmp_path}: no scenario file (*.yaml not starting with _) in it\n"


def test_generate_from_the_reference_pages_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_writes: list[object]
) -> None:
    root, sspi = checkout(tmp_path)
    (sspi / "ns-sspi-secbuffer.md").write_text(
        "---\nUID: NS:sspi._SecBuffer\ntitle: SecBuffer (sspi.h)\n---\n\n# SecBuffer structure\n\n"
        "## -description\n\nA buffer.\n\n## -struct-fields\n\n### -field cbBuffer\n\nSize.\n", encoding="utf-8")
    code, _, err = run(["generate", "--spec", str(root)], capsys)
    assert code == 2 and no_writes == []
    assert err.startswith(f"sspimodel: generate: nothing written: --spec {sspi} is a folder of the reference's pages")
