"""Reading reference pages into FunctionSpecs.

Two readers, one per page form; the form is detected from the content, never from the file
name or extension:

- ``source``: the reference source markdown (YAML front matter, ``## -section`` headings,
  ``### -param`` headings, pipe and HTML tables) -> :func:`sspimodel.read.source.read_source`;
- ``rendered``: the web page saved as text -> :func:`sspimodel.read.rendered.read_rendered`.

A page never makes a reader raise: problems become Diagnostics on the FunctionSpec, and what
a reader cannot place is kept in ``FunctionSpec.unparsed``. Only a file that cannot be read
as text at all is an error (:class:`PageReadError`), and reading a directory goes on past it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from attrs import frozen

from ..paths import pages_dir
from ..spec import Diagnostic, Form, FunctionSpec, Severity

__all__ = ["PageReadError", "SpecSet", "detect_form", "read_page", "read_spec", "read_text"]

PAGE_SUFFIXES = (".md", ".txt")
_SOURCE_MARKERS = re.compile(r"^(?:---\s*$|#{1,4} -\w)", re.MULTILINE)


class PageReadError(Exception):
    """A file that is not a readable text page (missing, not UTF-8, binary)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: cannot read page: {reason}")
        self.path = path
        self.reason = reason


def detect_form(text: str) -> Form:
    """Source markdown has front matter or ``## -section`` headings; rendered text has neither."""
    head = text.lstrip("\ufeff")
    if head.startswith("---") or _SOURCE_MARKERS.search(head):
        return Form.SOURCE
    return Form.RENDERED


def read_text(text: str, file: str) -> FunctionSpec:
    """Read one page given as text. Never raises on content."""
    if detect_form(text) is Form.SOURCE:
        from .source import read_source

        return read_source(text, file)
    from .rendered import read_rendered

    return read_rendered(text, file)


def decode_page(data: bytes, path: str) -> str:
    if b"\x00" in data:
        raise PageReadError(path, "binary content (NUL byte), not a text page")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise PageReadError(path, f"not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})") from None


def read_page(path: Path, display_name: str | None = None) -> FunctionSpec:
    """Read one page file. Raises PageReadError only when the file is not readable text."""
    name = display_name or str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PageReadError(name, "no such file") from None
    except IsADirectoryError:
        raise PageReadError(name, "is a directory") from None
    except OSError as e:
        raise PageReadError(name, e.strerror or str(e)) from None
    return read_text(decode_page(data, name), name)


@frozen
class SpecSet:
    """Everything read from one spec directory."""

    functions: tuple[FunctionSpec, ...]
    errors: tuple[Diagnostic, ...]  # unreadable files
    root: str

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.errors + tuple(d for f in self.functions for d in f.diagnostics)

    def get(self, name: str) -> FunctionSpec | None:
        for f in self.functions:
            if f.name == name:
                return f
        return None

    def __getitem__(self, name: str) -> FunctionSpec:
        f = self.get(name)
        if f is None:
            raise KeyError(f"no page for {name!r} in {self.root}")
        return f

    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.functions)


def page_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in PAGE_SUFFIXES)


def read_files(paths: Iterable[Path], root: Path) -> SpecSet:
    functions: list[FunctionSpec] = []
    errors: list[Diagnostic] = []
    for path in paths:
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            rel = str(path)
        try:
            functions.append(read_page(path, rel))
        except PageReadError as e:
            errors.append(Diagnostic("read.unreadable", Severity.ERROR, e.path, 0, f"cannot read page: {e.reason}"))
    functions.sort(key=lambda f: (f.name, f.source.file))
    return SpecSet(tuple(functions), tuple(errors), str(root))


def read_spec(spec_dir: Path | None = None) -> SpecSet:
    """Read every page (*.md, *.txt) under spec_dir/pages (or spec_dir itself)."""
    root = pages_dir(spec_dir)
    if not root.is_dir():
        err = Diagnostic("read.unreadable", Severity.ERROR, str(root), 0, "spec directory does not exist")
        return SpecSet((), (err,), str(root))
    return read_files(page_files(root), root)
