"""Hostile pages and page folders (issue 12, reader part): no hang, no blow-up, no silent skip.

- front matter: YAML anchors/aliases are refused unexpanded, and an oversized front matter is
  refused, each with a diagnostic naming the line;
- files that are not regular files (FIFO, device, socket), link loops, dangling links, a directory
  named X.md, a suffix .MD, a folder that cannot be listed: each named as not read;
- read_text with a non-str: a TypeError naming the argument; file names that are not UTF-8 print.
Time bounds are in the harness (a SIGALRM guard), never a timed assertion.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

import pytest
from conftest import SPEC_DIR, deadline
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from sspimodel.read import read_spec, read_text
from sspimodel.read.export import to_json
from sspimodel.read.frontmatter import MAX_FRONT_MATTER
from sspimodel.spec import Severity

GOOD = (SPEC_DIR / "pages" / "SspiAcquireCredentialsHandleAsyncA.md").read_text(encoding="utf-8")


def alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "---\nUID: NF:sspi.BombW\n" + "\n".join(lines) + "\n---\n\n## -description\n\nText.\n"


def test_yaml_alias_bomb_is_refused_unexpanded() -> None:
    with deadline(10):
        f = read_text(alias_bomb(12), "bomb.md")  # expanded: 9**12 strings
    [d] = [d for d in f.diagnostics if d.rule == "read.front-matter"]
    assert d.severity is Severity.ERROR and "anchor 'a0' refused" in d.message and d.line == 3
    assert f.name == "BombW"  # the rest of the front matter is still read, key by key


def test_yaml_alias_alone_is_refused() -> None:
    f = read_text("---\nUID: NF:sspi.AliasW\nx: *nowhere\n---\n", "alias.md")
    assert any("alias" in d.message and d.line == 3 for d in f.diagnostics if d.rule == "read.front-matter")


def test_oversized_front_matter_is_refused() -> None:
    big = "".join(f"k{i}: {'v' * 60}\n" for i in range(MAX_FRONT_MATTER // 60 + 10))
    f = read_text("---\nUID: NF:sspi.BigW\n" + big + "---\n", "big.md")
    assert any("more than the limit" in d.message for d in f.diagnostics if d.rule == "read.front-matter")
    assert f.name == "BigW"


def test_ampersand_in_a_plain_value_is_not_an_anchor() -> None:
    f = read_text("---\nUID: NF:sspi.AmpW\ntitle: 'A & B * C'\n---\n", "amp.md")
    assert not [d for d in f.diagnostics if d.rule == "read.front-matter"]
    assert f.title == "A & B * C"


@seed(13)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(levels=st.integers(1, 30), fan=st.integers(1, 12), where=st.integers(0, 3))
def test_any_anchor_structure_is_refused_in_bounded_time(levels: int, fan: int, where: int) -> None:
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fan)}]" for i in range(1, levels)]
    lines.insert(min(where, len(lines)), "UID: NF:sspi.FuzzW")
    with deadline(10):
        f = read_text("---\n" + "\n".join(lines) + "\n---\n", "fuzz.md")
    assert any(d.rule == "read.front-matter" and d.severity is Severity.ERROR for d in f.diagnostics)


def test_read_text_rejects_non_str_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match="read_text: text must be a str"):
        read_text(None, "x.md")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="read_text: file must be a str"):
        read_text("text", None)  # type: ignore[arg-type]


def _errors(tmp: Path) -> dict[str, str]:
    s = read_spec(tmp)
    return {e.file: e.message for e in s.errors}


@pytest.fixture
def pages(tmp_path: Path) -> Path:
    d = tmp_path / "pages"
    d.mkdir()
    (d / "Good.md").write_text(GOOD, encoding="utf-8")
    return tmp_path


def test_fifo_is_named_and_never_opened_blocking(pages: Path) -> None:
    os.mkfifo(pages / "pages" / "Fifo.md")
    with deadline(10):
        s = read_spec(pages)
    assert s.names() == ("SspiAcquireCredentialsHandleAsyncA",)
    assert "FIFO" in {e.file: e.message for e in s.errors}["Fifo.md"]


def test_link_to_a_device_is_named(pages: Path) -> None:
    (pages / "pages" / "Zero.md").symlink_to("/dev/zero")
    with deadline(10):
        errs = _errors(pages)
    assert "device" in errs["Zero.md"]


def test_socket_is_named(pages: Path) -> None:
    path = pages / "pages" / "S.md"
    if len(str(path)) > 100:
        pytest.skip("socket path too long for AF_UNIX")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
        assert "socket" in _errors(pages)["S.md"]
    finally:
        sock.close()


def test_link_loop_dangling_link_directory_and_upper_case_suffix_are_named(pages: Path) -> None:
    d = pages / "pages"
    (d / "Loop.md").symlink_to(d / "Loop.md")
    (d / "Gone.md").symlink_to(d / "Nowhere.md")
    (d / "Dir.md").mkdir()
    (d / "Upper.MD").write_text(GOOD, encoding="utf-8")
    (d / "notes.json").write_text("{}", encoding="utf-8")
    s = read_spec(pages)
    errs = {e.file: e.message for e in s.errors}
    assert "symbolic link loop" in errs["Loop.md"]
    assert "dangling symbolic link" in errs["Gone.md"]
    assert "is a directory" in errs["Dir.md"]
    assert "suffix .MD" in errs["Upper.MD"]
    assert s.names() == ("SspiAcquireCredentialsHandleAsyncA",)
    # A file of another kind is named too, as an info, not an error.
    assert [x.file for x in s.skipped] == ["notes.json"]


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root can list any folder")
def test_unlistable_pages_folder_is_named(pages: Path) -> None:
    d = pages / "pages"
    d.chmod(0)
    try:
        s = read_spec(pages)
    finally:
        d.chmod(0o755)
    assert s.functions == () and any("cannot list the folder" in e.message for e in s.errors)


def test_unlistable_folder_is_named_even_as_root(pages: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.scandir

    def refuse(path: object) -> object:
        if str(path).endswith("sub"):
            raise PermissionError(13, "Permission denied")
        return real(path)  # type: ignore[arg-type]

    (pages / "pages" / "sub").mkdir()
    monkeypatch.setattr(os, "scandir", refuse)
    s = read_spec(pages)
    [e] = s.errors
    assert e.file.endswith("sub") and "cannot list the folder: Permission denied" in e.message
    assert s.names() == ("SspiAcquireCredentialsHandleAsyncA",)


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
def test_file_name_not_utf8_exports_and_prints(pages: Path) -> None:
    name = os.fsencode(str(pages / "pages")) + b"/Caf\xe9.md"
    with open(name, "wb") as fh:
        fh.write(GOOD.replace("SspiAcquireCredentialsHandleAsyncA", "SspiOtherA").encode("utf-8"))
    s = read_spec(pages)
    files = sorted(f.source.file for f in s.functions)
    assert "Caf\\xe9.md" in files
    text = to_json(s)
    text.encode("utf-8")  # no lone surrogates left
    assert json.loads(text)["functions"]
    print(files)  # printable on any stdout that takes UTF-8


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
def test_check_names_special_files_and_survives_a_non_utf8_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from sspimodel.cli import main

    shutil.copytree(SPEC_DIR / "data", tmp_path / "data")
    d = tmp_path / "pages"
    d.mkdir()
    (d / "Good.md").write_text(GOOD, encoding="utf-8")
    with open(os.fsencode(str(d)) + b"/Caf\xe9.md", "wb") as fh:
        fh.write(GOOD.replace("SspiAcquireCredentialsHandleAsyncA", "SspiOtherA").encode("utf-8"))
    os.mkfifo(d / "Fifo.md")
    with deadline(120):
        code = main(["check", "--spec", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1  # an unreadable page fails check
    assert "Fifo.md" in out + err and "FIFO" in out + err
    assert "Traceback" not in out + err
