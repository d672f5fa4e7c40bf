"""The command line and the reader, second review: defects left open by the first.

- ``SSPIMODEL_SPEC=DIR`` names a spec folder exactly as ``--spec DIR`` does, for every command
  that reads one: a checkout of the reference's repository (MicrosoftDocs/sdk-api) stands for
  its sspi.h pages, a DIR that is not a directory is a usage error naming it, and ``check`` on a
  folder of reference pages compares it with the embedded spec, never with itself;
- an empty page (0 bytes, only whitespace, only front matter naming no function) is one
  ``read.empty-page`` error naming the file (and line), in both page forms; ``spec``, ``lint``
  and ``check`` name it among the pages not used, keep the others, and exit 1;
- the drift of a page of thousands of return codes (or parameters) is found in one pass, and the
  drift table shows what the pages print (``[desktop apps only]`` is text, not rich markup).

Time bounds are the harness's guard against a hang (SIGALRM), never a timed assertion.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from attrs import evolve
from conftest import SPEC_DIR, deadline, sdk_api_checkout

from sspimodel.check.drift import compare
from sspimodel.cli import EXIT_FAILED, EXIT_USAGE, main
from sspimodel.paths import default_spec_dir
from sspimodel.read import read_spec, read_text

SIGN = (SPEC_DIR / "pages" / "MakeSignature.md").read_text(encoding="utf-8")
UPSTREAM_PAGES = ("nf-sspi-makesignature.md", "nf-sspi-freecontextbuffer.md")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def checkout(tmp_path: Path, corpus: Path) -> tuple[Path, Path]:
    """A checkout of the reference's repository: two real sspi.h pages (from the shared corpus),
    another header's page, and the repository's own README."""
    return sdk_api_checkout(
        tmp_path, {name: (corpus / "sspi" / name).read_text(encoding="utf-8") for name in UPSTREAM_PAGES}
    )


@pytest.fixture
def no_writes(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Stands in for writing sspimodel/_generated, so a failing test cannot damage it."""
    import sspimodel.codegen as codegen

    written: list[object] = []
    monkeypatch.setattr(codegen, "write_generated", lambda files, out_dir=None: written.append(files) or [])
    return written


# --- 1. SSPIMODEL_SPEC is --spec ------------------------------------------------------------------


READING_COMMANDS = [
    ["check"],
    ["check", "--format", "json"],
    ["lint", "--format", "json", "--fail-on", "never"],
    ["spec", "list"],
    ["spec", "export"],
    ["spec", "show", "MakeSignature"],
]


@pytest.mark.parametrize("level", ["", "sdk-api-src", "sdk-api-src/content"])
@pytest.mark.parametrize("argv", READING_COMMANDS, ids=lambda a: " ".join(a))
def test_the_environment_variable_names_a_checkout_as_spec_does(
    tmp_path: Path, corpus_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    argv: list[str], level: str,
) -> None:
    root, _ = checkout(tmp_path, corpus_dir)
    monkeypatch.delenv("SSPIMODEL_SPEC", raising=False)
    by_option = run([*argv, "--spec", str(root / level)], capsys)
    monkeypatch.setenv("SSPIMODEL_SPEC", str(root / level))
    by_env = run(argv, capsys)
    assert by_env == by_option
    code, out, _ = by_env
    assert code == 0, out
    assert "SomethingElse" not in out and "sdk-api-src/content/winbase" not in out
    if argv[0] == "lint":
        files = {f["file"] for f in json.loads(out)["findings"]}
        assert files and all(f.startswith("nf-sspi-") for f in files), files
    if argv == ["spec", "list"]:
        assert "FreeContextBuffer" in out and "MakeSignature" in out


def test_the_environment_variable_gives_check_the_reference_pages_and_the_embedded_spec(
    tmp_path: Path, corpus_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, sspi = checkout(tmp_path, corpus_dir)
    monkeypatch.setenv("SSPIMODEL_SPEC", str(root))
    code, out, _ = run(["check", "--format", "json"], capsys)
    report = json.loads(out)
    assert code == 0 and report["mode"] == "upstream"
    assert report["spec_dir"] == sspi.resolve().as_posix()
    assert report["stages"]["drift"]["modelled"] == ["FreeContextBuffer", "MakeSignature"]
    assert report["stages"]["drift"]["embedded_spec"] == "spec"  # the spec shipped with the model


def test_a_folder_named_by_the_environment_is_compared_with_the_embedded_spec_not_itself(
    tmp_path: Path, corpus_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, sspi = checkout(tmp_path, corpus_dir)
    page = sspi / "nf-sspi-freecontextbuffer.md"
    text = page.read_text(encoding="utf-8")
    assert "SEC_E_OK" in text
    page.write_text(text.replace("SEC_E_OK", "SEC_E_MADE_UP"), encoding="utf-8")
    monkeypatch.setenv("SSPIMODEL_SPEC", str(sspi))
    code, out, _ = run(["check", "--format", "json"], capsys)
    rows = json.loads(out)["stages"]["drift"]["drift"]
    assert code == 0
    assert {"function": "FreeContextBuffer", "field": "returns", "change": "added", "ours": None,
            "theirs": "SEC_E_MADE_UP"} in rows
    assert default_spec_dir() == sspi


def test_generate_refuses_a_checkout_named_by_the_environment(
    tmp_path: Path, corpus_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    no_writes: list[object],
) -> None:
    root, sspi = checkout(tmp_path, corpus_dir)
    monkeypatch.setenv("SSPIMODEL_SPEC", str(root))
    code, out, err = run(["generate"], capsys)
    assert code == EXIT_USAGE and no_writes == [] and out == ""
    assert err.startswith(f"sspimodel: generate: nothing written: SSPIMODEL_SPEC {sspi} is a folder of the "
                          "reference's pages")


@pytest.mark.parametrize("argv", [["check"], ["lint"], ["spec", "list"], ["spec", "export"], ["generate", "--check"],
                                  ["explain", "MakeSignature"], ["conform"]],
                         ids=lambda a: " ".join(a))
def test_an_environment_variable_that_is_not_a_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str],
) -> None:
    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv("SSPIMODEL_SPEC", str(missing))
    assert run(argv, capsys) == (EXIT_USAGE, "", f"sspimodel: SSPIMODEL_SPEC={missing}: not a directory\n")
    if argv[0] in ("explain", "conform"):  # no --spec: the variable is their only spec
        return
    # --spec, when given, is the folder read: the variable is not looked at.
    code, _, err = run([*argv, "--spec", str(SPEC_DIR)], capsys)
    assert code in (0, 1) and "not a directory" not in err


def test_explain_with_a_checkout_named_by_the_environment_is_one_line(tmp_path: Path, corpus_dir: Path) -> None:
    """The model's citations quote the spec's pages; a reference checkout's pages say other words.
    (A process of its own: the citations are resolved once per process.)"""
    import os
    import subprocess
    import sys

    root, _ = checkout(tmp_path, corpus_dir)
    env = {**os.environ, "SSPIMODEL_SPEC": str(root)}
    done = subprocess.run([sys.executable, "-m", "sspimodel", "explain", "MakeSignature"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (EXIT_FAILED, "")
    assert done.stderr.startswith(f"sspimodel: a citation of the model is not in the pages of "
                                  f"SSPIMODEL_SPEC={root}: MakeSignature, "), done.stderr
    assert done.stderr.count("\n") == 1


def test_conform_without_scenarios_in_the_spec_named_by_the_environment_says_so(
    tmp_path: Path, corpus_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, sspi = checkout(tmp_path, corpus_dir)
    monkeypatch.setenv("SSPIMODEL_SPEC", str(root))
    code, out, err = run(["conform"], capsys)
    assert (code, out) == (EXIT_USAGE, "")
    assert err == (f"sspimodel conform: the spec folder has no scenarios/ ({sspi}/scenarios is not a directory); "
                   "name a folder of scenarios with --scenarios DIR\n")


def test_a_folder_without_pages_named_by_the_environment_is_named_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "notes.rst").write_text("not a page\n", encoding="utf-8")
    monkeypatch.setenv("SSPIMODEL_SPEC", str(tmp_path))
    code, out, err = run(["lint"], capsys)
    assert (code, out) == (EXIT_FAILED, "")
    assert err == f"sspimodel: SSPIMODEL_SPEC={tmp_path}: no reference page (*.md, *.txt) in {tmp_path}\n"


# --- 2. an empty page is an error naming it --------------------------------------------------------


EMPTY_PAGES = {
    # file: (content, line, what the message says)
    "Empty.md": ("", 0, "is empty (0 bytes)"),
    "Empty.txt": ("", 0, "is empty (0 bytes)"),
    "Blank.md": ("  \n\t\n\n", 0, "holds only whitespace (3 lines)"),
    "Blank.txt": ("\ufeff\u00a0\n \r\n", 0, "holds only whitespace (2 lines)"),
    "Newline.txt": ("\n", 0, "holds only whitespace (1 line)"),
    "FrontOnly.md": ("---\nms.keywords: a, b\nreq.header: sspi.h\n---\n\n  \n", 4,
                     "holds only front matter (lines 1-4), with no UID or title, and no heading or text"),
    "Dashes.md": ("---\n---\n", 2, "holds only front matter (lines 1-2)"),
}


@pytest.mark.parametrize("file", sorted(EMPTY_PAGES))
def test_an_empty_page_reads_as_one_error_naming_it(file: str) -> None:
    text, line, what = EMPTY_PAGES[file]
    f = read_text(text, file)
    (d,) = f.diagnostics
    assert (d.rule, d.severity.value, d.file, d.line) == ("read.empty-page", "error", file, line)
    assert d.message.startswith(f"nothing to read: the page {what}")
    assert f.name != "UNKNOWN" and not f.parameters and not f.returns


def empty_pages_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "MakeSignature.md").write_text(SIGN, encoding="utf-8")
    for name, (text, _, _) in EMPTY_PAGES.items():
        (folder / name).write_bytes(text.encode("utf-8"))
    return folder


def test_read_spec_names_every_empty_page_and_keeps_the_others(tmp_path: Path) -> None:
    folder = empty_pages_folder(tmp_path)
    # A title, or front matter with a UID, names a function: read (its sections reported missing).
    (folder / "VerifySignature.txt").write_text("VerifySignature function (sspi.h)\n", encoding="utf-8")
    (folder / "FreeContextBuffer.md").write_text("---\nUID: NF:sspi.FreeContextBuffer\n---\n", encoding="utf-8")
    specset = read_spec(folder)
    assert specset.names() == ("FreeContextBuffer", "MakeSignature", "VerifySignature")
    assert sorted((e.file, e.line, e.rule) for e in specset.errors) == sorted(
        (name, line, "read.empty-page") for name, (_, line, _) in EMPTY_PAGES.items())


def test_spec_list_and_export_fail_naming_the_empty_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = empty_pages_folder(tmp_path)
    code, out, _ = run(["spec", "list", "--spec", str(folder)], capsys)
    assert code == EXIT_FAILED
    assert "1 functions in" in out and "UNKNOWN" not in out
    joined = out.replace("\n", "")  # the console folds long lines
    for name, (_, _, what) in EMPTY_PAGES.items():
        assert f"error {name}: nothing to read: the page {what}" in joined, name
    code, out, _ = run(["spec", "export", "--spec", str(folder)], capsys)
    assert code == EXIT_FAILED and [f["name"] for f in json.loads(out)["functions"]] == ["MakeSignature"]


def test_spec_list_names_a_file_as_it_is_spelled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file name holding "[bold]" is a name, not rich markup."""
    (tmp_path / "MakeSignature.md").write_text(SIGN, encoding="utf-8")
    (tmp_path / "Draft[bold].md").write_text("", encoding="utf-8")
    code, out, _ = run(["spec", "list", "--spec", str(tmp_path)], capsys)
    assert code == EXIT_FAILED
    assert "error Draft[bold].md: nothing to read: the page is empty (0 bytes)" in out


def test_generate_with_an_empty_page_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_writes: list[object]
) -> None:
    """An empty page would have become a function module of its own (named after the file)."""
    (tmp_path / "MakeSignature.md").write_text(SIGN, encoding="utf-8")
    (tmp_path / "Draft.md").write_text("\n\n", encoding="utf-8")
    code, out, err = run(["generate", "--spec", str(tmp_path)], capsys)
    assert (code, out, no_writes) == (EXIT_FAILED, "", [])
    assert err == ("sspimodel: generate: nothing written: Draft.md: nothing to read: the page holds only "
                   "whitespace (2 lines): no title or text\n")


def test_lint_reports_each_empty_page_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = empty_pages_folder(tmp_path)
    code, out, _ = run(["lint", "--spec", str(folder), "--format", "json"], capsys)
    found = {(f["file"], f["line"]) for f in json.loads(out)["findings"] if f["rule"] == "read.empty-page"}
    assert code == EXIT_FAILED
    assert found == {(name, line) for name, (_, line, _) in EMPTY_PAGES.items()}


def test_check_of_a_spec_folder_fails_naming_the_empty_pages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = empty_pages_folder(tmp_path)
    code, out, _ = run(["check", "--spec", str(folder)], capsys)
    assert code == EXIT_FAILED and "UNKNOWN" not in out
    for name, (_, _, what) in EMPTY_PAGES.items():
        assert f"failed    empty page {name}: nothing to read: the page {what}" in out, name
    assert "read      8 pages, 1 functions" in out


def test_check_of_a_reference_folder_fails_naming_the_empty_pages_and_compares_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sspi = tmp_path / "sspi"
    sspi.mkdir()
    (sspi / "nf-sspi-makesignature.md").write_text(SIGN, encoding="utf-8")
    for name, like in (("nf-sspi-empty.md", "Empty.md"), ("nf-sspi-blank.txt", "Blank.txt"),
                       ("nf-sspi-front.md", "FrontOnly.md")):
        (sspi / name).write_text(EMPTY_PAGES[like][0], encoding="utf-8")
    code, out, _ = run(["check", "--spec", str(sspi), "--format", "json"], capsys)
    report = json.loads(out)
    assert code == EXIT_FAILED and report["ok"] is False
    assert [u["file"] for u in report["stages"]["read"]["unreadable"]] == [
        "nf-sspi-blank.txt", "nf-sspi-empty.md", "nf-sspi-front.md"]
    assert report["stages"]["drift"]["modelled"] == ["MakeSignature"]
    assert report["stages"]["drift"]["not_modelled"] == []  # no UNKNOWN, no function named after a file
    code, out, _ = run(["check", "--spec", str(sspi)], capsys)
    assert code == EXIT_FAILED
    assert "failed    empty page nf-sspi-empty.md: nothing to read: the page is empty (0 bytes)" in out


# --- 3. drift of a page of thousands of codes ----------------------------------------------------


def test_drift_of_a_hundred_thousand_return_codes_is_one_pass() -> None:
    ours = read_text(SIGN, "MakeSignature.md")
    made_up = tuple(evolve(ours.returns[-1], name=f"SEC_E_MADE_UP_{k}") for k in range(150_000))
    theirs = evolve(ours, returns=ours.returns + made_up)
    with deadline(60):
        found = compare(ours, theirs)
    added = [d for d in found if d.field == "returns" and d.change == "added"]
    assert len(added) == 150_000 and len(found) == 150_000


def test_drift_of_a_hundred_thousand_parameters_is_one_pass() -> None:
    ours = read_text(SIGN, "MakeSignature.md")
    template = ours.parameters[0]
    names = [f"parameter{k}" for k in range(200_000)]
    theirs = evolve(ours, parameters=tuple(evolve(template, name=n) for n in names))
    # The same names in another order, as strings of their own (not the same objects).
    ours = evolve(ours, parameters=tuple(evolve(template, name="".join(["parameter", n[9:]])) for n in reversed(names)))
    with deadline(60):
        found = compare(ours, theirs)
    assert [d.field for d in found] == ["parameters.order"]


def big_return_table(codes: int) -> str:
    """MakeSignature's page with a second return-value table of ``codes`` rows (pipe rows, as
    the newer pages write them), at the end of its Return value section."""
    rows = "".join(f"| **SEC_E_MADE_UP_{k}** | The call failed for reason {k}. |\n" for k in range(codes))
    at = SIGN.index("## -remarks")
    return SIGN[:at] + "More codes.\n\n| Return code | Description |\n|---|---|\n" + rows + "\n" + SIGN[at:]


def test_check_of_a_page_of_tens_of_thousands_of_codes_lists_each_in_the_json_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """20 000 codes (a 1.3 MB page): 40 000 differences, each code
    added to the returns and to the codes named. (The comparison scanned every row per row, and
    the text report drew every row at about 0.3 ms each: minutes.) The text report draws the
    first DRIFT_ROWS_SHOWN and says how many more the JSON report lists. (compare() itself is held
    to one pass by the hundred-thousand-code tests above.)"""
    from sspimodel.check.drift import DRIFT_ROWS_SHOWN

    sspi = tmp_path / "sspi"
    sspi.mkdir()
    page = big_return_table(20_000)
    assert len(page) > 1_200_000
    (sspi / "nf-sspi-makesignature.md").write_text(page, encoding="utf-8")
    with deadline(60):
        code, out, _ = run(["check", "--spec", str(sspi)], capsys)
    assert code == 0
    assert "drift     1 modelled functions: 40000 difference(s) in 1;" in out
    assert len(drift_table(out)) == DRIFT_ROWS_SHOWN
    assert f"... and {40_000 - DRIFT_ROWS_SHOWN} more difference(s), not drawn: --format json" in out
    with deadline(60):
        code, out, _ = run(["check", "--spec", str(sspi), "--format", "json"], capsys)
    assert code == 0
    rows = [bare(r["function"], r["field"], r["change"], r["ours"] or "", r["theirs"] or "")
            for r in json.loads(out)["stages"]["drift"]["drift"]]
    assert len(rows) == 40_000
    for k in (0, 12_345, 19_999):
        assert rows.count(bare("MakeSignature", "returns", "added", "", f"SEC_E_MADE_UP_{k}")) == 1, k
        assert rows.count(bare("MakeSignature", "codes named", "added", "", f"SEC_E_MADE_UP_{k}")) == 1, k


def drift_table(out: str) -> list[list[str]]:
    """The drift table's rows as printed: per row, each cell's folded lines joined (spaces dropped,
    since a fold may fall at a space or inside a word)."""
    rows: list[list[str]] = []
    for line in out.splitlines():
        if not line.startswith("│"):
            continue
        parts = [c.strip() for c in line.strip("│").split("│")]
        if parts[2] or not rows:  # a row's first line: its change (added, removed, changed) never folds
            rows.append(["" for _ in parts])
        for k, part in enumerate(parts):
            rows[-1][k] += part.replace(" ", "")
    return rows


def bare(*cells: str) -> list[str]:
    return [c.replace(" ", "") for c in cells]


def test_the_drift_table_prints_bracketed_text_of_a_page_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sspi = tmp_path / "sspi"
    sspi.mkdir()
    page = SIGN.replace("req.target-min-winverclnt: Windows XP [desktop apps only]",
                        "req.target-min-winverclnt: Windows 7 [desktop apps only] [/draft]")
    assert page != SIGN
    (sspi / "nf-sspi-makesignature.md").write_text(page, encoding="utf-8")
    code, out, _ = run(["check", "--spec", str(sspi)], capsys)
    assert code == 0
    assert bare("MakeSignature", "requirements.min_client", "changed", "Windows XP [desktop apps only]",
                "Windows 7 [desktop apps only] [/draft]") in drift_table(out)


def test_the_drift_table_keeps_every_cell_within_the_100_columns(
    tmp_path: Path, corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Long names and values (a renamed code of a function with a long name) are folded inside
    their column; nothing is cut at the console's edge."""
    sspi = tmp_path / "sspi"
    sspi.mkdir()
    for name in ("nf-sspi-sspiacquirecredentialshandleasynca.md", "nf-sspi-acceptsecuritycontext.md"):
        text = (corpus_dir / "sspi" / name).read_text(encoding="utf-8")
        (sspi / name).write_text(text.replace("SEC_E_INVALID_HANDLE", "SEC_E_INVALID_HANDLE_OF_A_LONGER_NAME")
                                 .replace("req.header: sspi.h", "req.header: sspi.h (include Security.h or Secext.h)"),
                                 encoding="utf-8")
    code, out, _ = run(["check", "--spec", str(sspi), "--format", "json"], capsys)
    expected = [bare(r["function"], r["field"], r["change"], r["ours"] or "", r["theirs"] or "")
                for r in json.loads(out)["stages"]["drift"]["drift"]]
    code, out, _ = run(["check", "--spec", str(sspi)], capsys)
    assert code == 0 and len(expected) > 4
    table = [ln for ln in out.splitlines() if ln[:1] in "┏┃┡│└"]
    assert {len(ln) for ln in table} == {100}
    assert drift_table(out) == expected


def test_check_names_a_spec_folder_as_it_is_spelled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "pages[draft]"
    folder.mkdir()
    (folder / "MakeSignature.md").write_text(SIGN, encoding="utf-8")
    _, out, _ = run(["check", "--spec", str(folder)], capsys)
    assert out.replace("\n", "").startswith(f"sspimodel check: {folder.as_posix()}data ")
