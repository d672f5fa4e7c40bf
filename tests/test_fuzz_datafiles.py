"""Corrupted data files: status.tsv, constants.tsv, errata.yaml and scenario files.

Each corruption gives one error naming the file and the line (SpecDataError, or a scenario
Problem), never another exception, a hang, or generated code that does not compile. Random
mutations (hypothesis, derandomized) check the same of whatever the loaders accept. Hangs are
bounded by the harness (faulthandler), not by timing a test.
"""

from __future__ import annotations

import faulthandler
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sspimodel.codegen import _refuse_invalid_code, build, load_constants, render_status
from sspimodel.conform.scenario import load_scenarios
from sspimodel.datafiles import check_data_files
from sspimodel.model.errata import ErrataError, _parse
from sspimodel.paths import REPO_ROOT
from sspimodel.status import SpecDataError, StatusCatalog

SPEC = REPO_ROOT / "spec"
STATUS_TSV = (SPEC / "data" / "status.tsv").read_text(encoding="utf-8")
CONSTANTS_TSV = (SPEC / "data" / "constants.tsv").read_text(encoding="utf-8")
ERRATA_YAML = (SPEC / "data" / "errata.yaml").read_text(encoding="utf-8")
FUNCTIONS = {p.stem for p in (SPEC / "pages").glob("*.md")} | {p.stem for p in (SPEC / "pages").glob("*.txt")}
FUZZ = settings(derandomize=True, max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def hang_guard() -> Iterator[None]:
    faulthandler.dump_traceback_later(600, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def status_rows() -> tuple[list[str], int]:
    lines = STATUS_TSV.splitlines()
    header = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    return lines, header


def with_row(row: str) -> str:
    lines, header = status_rows()
    return "\n".join([*lines[: header + 1], row, *lines[header + 1:]]) + "\n"


# -- status.tsv -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("SEC_E_NEGATIVE\t-0x1\t1\t\tnegative", "not an unsigned 32-bit hex number"),
        ("1BAD\t0x80090300\t1\t\tbad name", "is not a status name"),
        ("SEC_E_HAS SPACE\t0x80090300\t1\t\tspace", "is not a status name"),
        ("SEC_E_TOO_BIG\t0x100000000\t1\t\ttoo big", "not an unsigned 32-bit hex number"),
        ("SEC_E_OK\t0x00000000\t1\t\tagain", "listed twice"),
        ("SEC_E_NOT_HEX\t12zz\t1\t\tx", "not an unsigned 32-bit hex number"),
        ("SEC_E_BAD_LINE\t0x1\t-3\t\tx", "not a positive line number"),
        ("SEC_E_ALIAS\t0x1\t1\tSEC_E_NOWHERE\tx", "which is not listed"),
        ("SEC_E_CELLS\t0x1\t1", "tab-separated cells"),
        ("SEC_E_CTRL\t0x1\t1\t\tbell\x07", "control character"),
        ("class\t0x1\t1\t\tkeyword", "is not a status name"),
    ],
)
def test_bad_status_row_is_named_with_its_line(tmp_path: Path, row: str, words: str) -> None:
    path = tmp_path / "status.tsv"
    path.write_text(with_row(row), encoding="utf-8")
    with pytest.raises(SpecDataError, match=re.escape(words)) as info:
        StatusCatalog.from_file(path)
    assert re.match(rf"{re.escape(str(path))}:\d+: ", str(info.value))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "no header row"),
        ("# only a comment\n", "no header row"),
        ("name\tvalue\tline\talias_of\tmessage\n", "the status catalog is empty"),
        ("name\tvalue\tline\talias_of\tmessage\nSEC_E_X\t0x80090300\t1\t\tx\n", "must list SEC_E_OK"),
        ("name\tvalue\n", "header must name the columns"),
    ],
)
def test_empty_or_headless_catalog_is_refused(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "status.tsv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecDataError, match=re.escape(words)):
        StatusCatalog.from_file(path)


def test_status_file_that_is_not_utf8_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "status.tsv"
    path.write_bytes(with_row("SEC_E_X\t0x1\t1\t\tcaf\xe9").encode("latin-1"))
    _, header = status_rows()
    with pytest.raises(SpecDataError, match=rf"{re.escape(str(path))}:{header + 2}: not valid UTF-8: byte 0xE9"):
        StatusCatalog.from_file(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_status_file_that_is_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "status.tsv"
    os.mkfifo(path)
    with pytest.raises(SpecDataError, match="not a regular file"):
        StatusCatalog.from_file(path)


def _spec_copy(tmp_path: Path) -> Path:
    spec = tmp_path / "spec"
    shutil.copytree(SPEC, spec, ignore=shutil.ignore_patterns("scenarios"))
    return spec


def test_generate_refuses_a_catalog_that_would_not_compile(tmp_path: Path) -> None:
    spec = _spec_copy(tmp_path)
    (spec / "data" / "status.tsv").write_text(with_row("1BAD\t0x80090300\t1\t\tx"), encoding="utf-8")
    with pytest.raises(SpecDataError, match="is not a status name"):
        build(spec)
    # The command line: one line, exit 1, and nothing written (--check never writes).
    r = subprocess.run([sys.executable, "-m", "sspimodel", "generate", "--check", "--spec", str(spec)],
                       capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert r.returncode == 1
    assert r.stderr.startswith("sspimodel: ") and "Traceback" not in r.stderr
    assert "status.tsv:" in r.stderr


def test_generated_text_that_does_not_compile_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecDataError, match=r"would give invalid Python in status\.py:2"):
        _refuse_invalid_code({"status.py": "x = 1\nclass 1BAD: pass\n"}, tmp_path)


@FUZZ
@given(data=st.data())
def test_mutated_status_rows_load_cleanly_or_are_refused(tmp_path_factory: pytest.TempPathFactory,
                                                         data: st.DataObject) -> None:
    lines, header = status_rows()
    index = data.draw(st.integers(header + 1, len(lines) - 1))
    cells = lines[index].split("\t")
    column = data.draw(st.integers(0, len(cells) - 1))
    cells[column] = data.draw(st.one_of(
        st.text(max_size=12),
        st.sampled_from(["-1", "0x", "0xFFFFFFFFF", "SEC_E_OK", "a b", "0x80090300", "9" * 30, "\x00", "''", '"']),
    ))
    mutated = [*lines[:index], "\t".join(cells), *lines[index + 1:]]
    path = tmp_path_factory.mktemp("status") / "status.tsv"
    path.write_text("\n".join(mutated) + "\n", encoding="utf-8", newline="\n")
    try:
        catalog = StatusCatalog.from_file(path)
    except SpecDataError as e:
        assert str(e).startswith(f"{path}:")
        return
    # Accepted: the generated Status module must compile.
    text = render_status(catalog, "0" * 64, [])
    compile(text, "status.py", "exec")


# -- constants.tsv --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("ISC_REQ_DELEGATE\t0x2\tx\tg", "listed twice"),
        ("BAD NAME\t0x1\tx\tg", "is not a macro name"),
        ("NEGATIVE\t-1\tx\tg", "is not an unsigned number"),
        ("HUGE\t0x10000000000000000\tx\tg", "is not an unsigned number"),
        ("FLOAT\t1.5\tx\tg", "is not an unsigned number"),
    ],
)
def test_bad_constant_row_is_named_with_its_line(tmp_path: Path, row: str, words: str) -> None:
    spec = tmp_path / "spec"
    (spec / "data").mkdir(parents=True)
    lines = CONSTANTS_TSV.splitlines()
    (spec / "data" / "constants.tsv").write_text("\n".join([*lines, row]) + "\n", encoding="utf-8")
    with pytest.raises(SpecDataError, match=re.escape(words)) as info:
        load_constants(spec)
    assert f"constants.tsv:{len(lines) + 1}:" in str(info.value)


# -- errata.yaml ----------------------------------------------------------------------------------

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (ALIAS_BOMB, "anchor &a is not allowed"),
        ("- id: x\n  functions: *f\n", "alias *f is not allowed"),
        ("- {id: x\n", "not valid YAML"),
        ("", "expected a list of entries, got nothing"),
        ("just text\n", "expected a list of entries, got str"),
        ("[" * 5000 + "]" * 5000 + "\n", "nesting deeper than"),
        ("- 5\n", "expected a mapping"),
        ("- id: x\n  functions: [InitializeSecurityContextW]\n  code: 5\n  condition: c\n  source: s\n  kind: implementation\n",
         "code must be non-empty text"),
        ("- id: x\n  functions: {}\n  code: SEC_E_OK\n  condition: c\n  source: s\n  kind: implementation\n",
         "functions must be a non-empty list"),
    ],
)
def test_bad_errata_file_is_one_error(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "errata.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ErrataError, match=re.escape(words)) as info:
        _parse(path)
    assert str(info.value).startswith(str(path))


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"functions": "NoSuchFunction", "code": "SEC_E_OK"}, "no page documents NoSuchFunction"),
        ({"functions": "InitializeSecurityContextW", "code": "SEC_E_NO_SUCH_CODE"}, "is not in the status catalog"),
    ],
)
def test_check_validates_errata_against_pages_and_catalog(tmp_path: Path, entry: dict[str, str], words: str) -> None:
    spec = _spec_copy(tmp_path)
    extra = (f"\n- id: added\n  functions: {entry['functions']}\n  code: {entry['code']}\n"
             "  condition: c\n  source: s\n  kind: implementation\n")
    errata = spec / "data" / "errata.yaml"
    errata.write_text(ERRATA_YAML + extra, encoding="utf-8")
    line = len(ERRATA_YAML.splitlines()) + 2
    with pytest.raises(ErrataError, match=re.escape(f"{errata}:{line}: added: ") + ".*" + re.escape(words)):
        check_data_files(spec, FUNCTIONS)


def test_check_fails_when_errata_is_missing_or_not_yaml(tmp_path: Path) -> None:
    spec = _spec_copy(tmp_path)
    errata = spec / "data" / "errata.yaml"
    errata.write_text(": : :\n  - [", encoding="utf-8")
    with pytest.raises(ErrataError, match="not valid YAML"):
        check_data_files(spec, FUNCTIONS)
    errata.unlink()
    with pytest.raises(ErrataError, match="missing"):
        check_data_files(spec, FUNCTIONS)


def test_project_data_files_pass() -> None:
    check_data_files(SPEC, FUNCTIONS)


@FUZZ
@given(data=st.data())
def test_mutated_errata_loads_or_is_one_error(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    text = ERRATA_YAML
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 8))
        insert = data.draw(st.sampled_from(["&a ", "*a", "[", "]", "{", ":", "- ", "\n", "  ", "'", '"', "\t", "\x00", "\ufeff", "x"]))
        text = text[:at] + insert + text[at + cut:]
    path = tmp_path_factory.mktemp("errata") / "errata.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        entries = _parse(path)
    except ErrataError as e:
        assert str(e).startswith(str(path))
        return
    assert all(isinstance(e.code, str) and e.functions for e in entries)


# -- scenario files -------------------------------------------------------------------------------


def scenario_dir(tmp_path: Path) -> Path:
    """A scenarios folder with the project's fragments and one valid scenario."""
    d = tmp_path / "scenarios"
    d.mkdir()
    for fragment in (SPEC / "scenarios").glob("_*.yaml"):
        shutil.copy(fragment, d)
    shutil.copy(SPEC / "scenarios" / "ntlm_handshake.yaml", d)
    return d


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.yaml", b"", "empty.yaml:1: scenario: the file is empty"),
        ("utf8.yaml", b"name: x\nsteps:\n  - call: caf\xe9\n", "utf8.yaml:3: scenario: not valid UTF-8: byte 0xE9 at column 14"),
        ("deep.yaml", b"name: x\nsteps: " + b"[" * 3000 + b"]" * 3000 + b"\n", "deep.yaml:2: scenario: not valid YAML: nesting deeper than"),
        ("escape.yaml", b"name: esc\nsteps:\n  - include: ../../../../etc/passwd\n", "escape.yaml:3: step 1 (include): field include: ../../../../etc/passwd is outside the scenarios folder"),
        ("alias.yaml", b"name: &n x\nsteps: [*n]\n", "alias.yaml:1: scenario: not valid YAML: anchor &n is not allowed"),
        ("big.yaml", b"name: big\n" + b"#" * (1024 * 1024 + 1) + b"\n", "big.yaml:1: scenario: "),
    ],
)
def test_bad_scenario_file_is_a_problem_with_file_and_line(tmp_path: Path, name: str, content: bytes, words: str) -> None:
    d = scenario_dir(tmp_path)
    (d / name).write_bytes(content)
    scenarios, problems = load_scenarios(d)
    texts = [str(p) for p in problems]
    assert any(words in t for t in texts), texts
    assert [s.name for s in scenarios] == ["ntlm-handshake"]  # the valid file still loads


def test_include_through_a_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    d = scenario_dir(tmp_path)
    outside = tmp_path / "_outside.yaml"
    outside.write_text("steps: []\n", encoding="utf-8")
    (d / "_link.yaml").symlink_to(outside)
    (d / "linked.yaml").write_text("name: linked\nsteps:\n  - include: _link.yaml\n", encoding="utf-8")
    _, problems = load_scenarios(d)
    assert any("linked.yaml:3" in str(p) and "outside the scenarios folder" in str(p) for p in problems)


@FUZZ
@given(data=st.data())
def test_mutated_scenario_loads_or_is_a_problem(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    source = (SPEC / "scenarios" / "ntlm_handshake.yaml").read_bytes()
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(source)))
        cut = data.draw(st.integers(0, 6))
        insert = data.draw(st.sampled_from([b"&a ", b"*a", b"[", b"{", b":", b"- ", b"\n", b"  ", b"\xff", b"\x00",
                                            b"include: ../x.yaml", b"0x", b"|", b"!!python/object "]))
        source = source[:at] + insert + source[at + cut:]
    d = tmp_path_factory.mktemp("sc")
    for fragment in (SPEC / "scenarios").glob("_*.yaml"):
        shutil.copy(fragment, d)
    (d / "mutated.yaml").write_bytes(source)
    scenarios, problems = load_scenarios(d)
    assert len(scenarios) + len({p.file for p in problems}) >= 1
    for p in problems:
        assert p.line >= 1 and p.file
