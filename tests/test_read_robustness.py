"""Readers never raise on content: truncated, line-shuffled and byte-mangled real pages.

Each reader returns a FunctionSpec whose problems are Diagnostics. Only a file that is not
readable text (not UTF-8, binary, missing) is an error of ``read_spec``, reported as one
``read.unreadable`` diagnostic naming the path while the other pages are still read.
"""

from __future__ import annotations

import random
from pathlib import Path

from conftest import CORPUS_DIR, SPEC_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sspimodel.read import read_files, read_spec, read_text
from sspimodel.read.source import read_source
from sspimodel.spec import Diagnostic, FunctionSpec, Severity


def _pages() -> list[tuple[str, str]]:
    paths = sorted(CORPUS_DIR.rglob("*.md")) if CORPUS_DIR.is_dir() else []
    paths += sorted(p for p in (SPEC_DIR / "pages").iterdir() if p.suffix in (".md", ".txt"))
    return [(p.name, p.read_text(encoding="utf-8")) for p in paths]


PAGES = _pages()
SOURCE_PAGES = [(n, t) for n, t in PAGES if n.endswith(".md")]


def _truncate(text: str, rnd: random.Random) -> str:
    return text[: rnd.randrange(len(text) + 1)]


def _shuffle_lines(text: str, rnd: random.Random) -> str:
    lines = text.split("\n")
    # Shuffle a window, not always the whole page, so structure survives in part.
    a = rnd.randrange(len(lines))
    b = rnd.randrange(a, len(lines) + 1)
    window = lines[a:b]
    rnd.shuffle(window)
    return "\n".join(lines[:a] + window + lines[b:])


_NASTY = [
    b"\x00",
    b"\xff",
    b"\xc3",
    b"|",
    b"<",
    b">",
    b"<table>",
    b"</td>",
    b"---\n",
    b"\n## -",
    b"\n### -param ",
    b"**",
    b"\t",
    b"\xc2\xa0",
    b"[",
    b"](",
]


def _mangle_bytes(text: str, rnd: random.Random) -> str:
    data = bytearray(text.encode("utf-8"))
    for _ in range(rnd.randint(1, 40)):
        pos = rnd.randrange(len(data) + 1)
        op = rnd.randrange(3)
        if op == 0 and pos < len(data):
            data[pos] = rnd.randrange(256)
        elif op == 1:
            data[pos:pos] = rnd.choice(_NASTY)
        else:
            del data[pos : pos + rnd.randint(1, 30)]
    return bytes(data).decode("utf-8", errors="replace")


MUTATIONS = {"truncate": _truncate, "shuffle": _shuffle_lines, "mangle": _mangle_bytes}


def _mutated(pages: list[tuple[str, str]]) -> st.SearchStrategy[tuple[str, str, str]]:
    return st.tuples(
        st.sampled_from(pages),
        st.sampled_from(sorted(MUTATIONS)),
        st.integers(min_value=0, max_value=2**32 - 1),
    ).map(lambda t: (t[0][0], t[1], MUTATIONS[t[1]](t[0][1], random.Random(t[2]))))


def _well_formed(f: FunctionSpec, file: str) -> None:
    assert isinstance(f, FunctionSpec)
    assert f.name
    assert all(isinstance(d, Diagnostic) for d in f.diagnostics)
    assert all(d.file == file for d in f.diagnostics)
    assert f.source.file == file and f.source.start == 1


ROBUST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@ROBUST
@given(_mutated(SOURCE_PAGES))
def test_source_reader_survives_mutated_pages(case: tuple[str, str, str]) -> None:
    name, how, text = case
    file = f"{how}:{name}"
    f = read_source(text, file)
    _well_formed(f, file)
    # A mangled page is a page defect, never an internal error of the reader.
    assert not [d for d in f.diagnostics if d.rule == "read.internal"], f.diagnostics


@ROBUST
@given(_mutated(PAGES))
def test_read_text_dispatch_survives_mutated_pages(case: tuple[str, str, str]) -> None:
    # read_text sends a mutated page to whichever reader its content now looks like, so this
    # needs both readers.
    import sspimodel.read.rendered  # noqa: F401  (the dispatch below needs both readers)
    name, how, text = case
    file = f"{how}:{name}"
    _well_formed(read_text(text, file), file)


@ROBUST
@given(_mutated(PAGES))
def test_rendered_reader_survives_mutated_pages(case: tuple[str, str, str]) -> None:
    import sspimodel.read.rendered as rendered
    name, how, text = case
    file = f"{how}:{name}"
    _well_formed(rendered.read_rendered(text, file), file)


def test_unreadable_files_are_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    seed = (SPEC_DIR / "pages" / "SspiAcquireCredentialsHandleAsyncA.md").read_text(encoding="utf-8")
    (pages / "Good.md").write_text(seed, encoding="utf-8")
    (pages / "Latin1.md").write_bytes("---\nUID: NF:sspi.Caf\xe9\n---\n".encode("latin-1"))
    (pages / "Binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    specset = read_spec(tmp_path)
    assert specset.names() == ("SspiAcquireCredentialsHandleAsyncA",)
    errors = {e.file: e for e in specset.errors}
    assert set(errors) == {"Latin1.md", "Binary.md"}
    for e in errors.values():
        assert e.rule == "read.unreadable" and e.severity is Severity.ERROR
    assert "not UTF-8" in errors["Latin1.md"].message
    assert "binary" in errors["Binary.md"].message


def test_missing_file_is_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    good = tmp_path / "Good.md"
    good.write_text(
        (SPEC_DIR / "pages" / "SspiAcquireCredentialsHandleAsyncA.md").read_text(encoding="utf-8")
    )
    specset = read_files([tmp_path / "Gone.md", good], tmp_path)
    assert specset.names() == ("SspiAcquireCredentialsHandleAsyncA",)
    (err,) = specset.errors
    assert (err.rule, err.file) == ("read.unreadable", "Gone.md")
    assert "no such file" in err.message
