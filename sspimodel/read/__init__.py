"""Reading reference pages into FunctionSpecs.

Per page form, a thin tokenizer turns the text into the shared raw page of
:mod:`sspimodel.read.raw` (sections of headings, text paragraphs, tables of rows and cells,
lists, each with its line span); one interpreter, :class:`sspimodel.read.interpret.Interpreter`,
reads those sections into the facts of a FunctionSpec for both forms. The form is detected from
the content, never from the file name or extension:

- ``source``: the reference source markdown (YAML front matter, ``## -section`` headings,
  ``### -param`` headings, pipe and HTML tables) -> :func:`sspimodel.read.source.read_source`:
  tokenized by :func:`sspimodel.read.source_scan.scan_source`; the front matter (name, kind,
  requirements) and HTML tables are read in :mod:`sspimodel.read.source`;
- ``rendered``: the web page saved as text -> :func:`sspimodel.read.rendered.read_rendered`,
  whose tokenizer writes its parameter headings in the canonical ``-param NAME [annotation]``
  spelling; the title, Syntax prototype and Requirements table are read there.

Every English heuristic (success/error/pending, how a code is reported, optional in prose, value
tables versus other tables, return-table headers, TBD parameters and the headings that document
them, parameter names in prose, the A/W variant) is a named rule in :mod:`sspimodel.read.rules`
(and ``split_variant`` in :mod:`sspimodel.read.common`), applied by the interpreter, once; the
front matter is loaded by :mod:`sspimodel.read.frontmatter` (no YAML anchors or aliases, a size
limit). Struct, enum and callback pages (ns-/ne-/nc-) read into the same FunctionSpec with
``kind`` and ``fields`` (``as_struct()``/``as_enum()``).

A page never makes a reader raise: problems become Diagnostics on the FunctionSpec, and what
a reader cannot place is kept in ``FunctionSpec.unparsed``. A page with nothing to read (0 bytes,
only whitespace, only front matter) reads as one ``read.empty-page`` error; a folder's reading
names it in ``SpecSet.errors`` instead of keeping it as a function. Only a file that cannot be read
as text at all is an error (:class:`PageReadError`): a FIFO, device or socket (never opened
blocking), a link loop, a dangling link, a directory named X.md, a suffix in another case
(.MD), a file over the size limit, a folder that cannot be listed. Reading a directory goes on
past each and names it in ``SpecSet.errors``; files of other suffixes are named in
``SpecSet.skipped``. File names that are not UTF-8 are shown with \\xNN escapes.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from attrs import frozen

from ..paths import pages_dir
from ..spec import Diagnostic, Form, FunctionSpec, Severity
from .common import empty_page_error

__all__ = ["PageReadError", "SpecSet", "detect_form", "read_page", "read_spec", "read_text"]

PAGE_SUFFIXES = (".md", ".txt")
_SOURCE_MARKERS = re.compile(r"^(?:---\s*$|#{1,4} -\w)", re.MULTILINE)


class PageReadError(Exception):
    """A file that is not a readable text page (missing, not UTF-8, binary)."""

    def __init__(self, path: str, reason: str, line: int = 0) -> None:
        super().__init__(f"{path}: cannot read page: {reason}")
        self.path = path
        self.reason = reason
        self.line = line  # where in the file, when known (1-based); 0 for the whole file


def detect_form(text: str) -> Form:
    """Source markdown has front matter or ``## -section`` headings; rendered text has neither."""
    head = text.lstrip("\ufeff")
    if head.startswith("---") or _SOURCE_MARKERS.search(head):
        return Form.SOURCE
    return Form.RENDERED


def read_text(text: str, file: str) -> FunctionSpec:
    """Read one page given as text. Never raises on content; a ``text`` or ``file`` that is not
    a str is a TypeError naming the argument."""
    if not isinstance(text, str):
        raise TypeError(f"read_text: text must be a str (the page's content), not {type(text).__name__}")
    if not isinstance(file, str):
        raise TypeError(f"read_text: file must be a str (the name diagnostics use), not {type(file).__name__}")
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
        line = data.count(b"\n", 0, e.start) + 1  # where an editor shows it
        raise PageReadError(path, f"not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}, line {line})", line) from None


# A page larger than this is refused unread (real pages are under 100 KB).
MAX_PAGE_BYTES = 4 * 1024 * 1024


def display_path(path: Path | str) -> str:
    """A file name safe to print and to write as UTF-8: bytes of a name that are not UTF-8
    (kept by Python as surrogate escapes) are shown as \\xNN."""
    text = path if isinstance(path, str) else path.as_posix()
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _not_a_page(path: Path) -> str | None:
    """Why `path` is not a regular file to read, or None. Never opens the file."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return "dangling symbolic link (its target does not exist)"
        return "no such file"
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop"
        return e.strerror or str(e)
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        return "is a directory"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    if not stat.S_ISREG(mode):
        return "is not a regular file"
    if st.st_size > MAX_PAGE_BYTES:
        return f"is {st.st_size} bytes, more than the page limit of {MAX_PAGE_BYTES}"
    return None


def read_page_bytes(path: Path, name: str) -> bytes:
    """The bytes of a regular file, never blocking: a FIFO, device, socket, link loop or dangling
    link is a PageReadError naming the file. (The check is repeated on the open descriptor, so a
    file swapped for a FIFO between the check and the open is refused too.)"""
    why = _not_a_page(path)
    if why is not None:
        raise PageReadError(name, why)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        raise PageReadError(name, e.strerror or str(e)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise PageReadError(name, "is not a regular file")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > MAX_PAGE_BYTES:
                raise PageReadError(name, f"more than the page limit of {MAX_PAGE_BYTES} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as e:
        raise PageReadError(name, e.strerror or str(e)) from None
    finally:
        os.close(fd)


def read_page(path: Path, display_name: str | None = None) -> FunctionSpec:
    """Read one page file. Raises PageReadError only when the file is not readable text."""
    name = display_name or display_path(path)
    return read_text(decode_page(read_page_bytes(path, name), name), name)


@frozen
class SpecSet:
    """Everything read from one spec directory."""

    functions: tuple[FunctionSpec, ...]
    errors: tuple[Diagnostic, ...]  # unreadable files, and page-like entries that are not read
    root: str
    # Files under the folder that are not pages at all (another suffix): named, not errors.
    skipped: tuple[Diagnostic, ...] = ()

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


def scan_pages(root: Path) -> tuple[list[Path], list[Diagnostic]]:
    """Page files under `root` (suffix exactly .md or .txt, regular files, symlinks followed to
    files only), sorted, and a diagnostic naming every entry that looks like a page but is not
    read: a directory named X.md, a suffix in another case (.MD), a FIFO, device or socket, a
    dangling link, a link loop, a folder that cannot be listed. Files of other suffixes are
    named with an info diagnostic. Symbolic links to directories are not followed (no loops)."""
    pages: list[Path] = []
    skipped: list[Diagnostic] = []

    def rel(p: Path) -> str:
        try:
            return display_path(p.relative_to(root))
        except ValueError:
            return display_path(p)

    def skip(p: Path, reason: str, severity: Severity = Severity.ERROR, rule: str = "read.unreadable") -> None:
        skipped.append(Diagnostic(rule, severity, rel(p), 0, f"not read: {reason}"))

    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            skipped.append(
                Diagnostic(
                    "read.unreadable",
                    Severity.ERROR,
                    display_path(folder),
                    0,
                    f"cannot list the folder: {e.strerror or e}; its pages are not read",
                )
            )
            continue
        for entry in entries:
            p = Path(entry.path)
            suffix = p.suffix
            looks_like_page = suffix.lower() in PAGE_SUFFIXES
            try:
                is_link = entry.is_symlink()
                if entry.is_dir(follow_symlinks=False):
                    if looks_like_page:
                        skip(p, "is a directory, not a page file")
                    else:
                        stack.append(p)
                    continue
            except OSError as e:
                skip(p, e.strerror or str(e))
                continue
            if is_link and os.path.isdir(p):
                reason = "symbolic link to a directory, not followed"
                if looks_like_page:
                    skip(p, reason)
                else:
                    skipped.append(Diagnostic("read.skipped", Severity.INFO, rel(p), 0, f"not read: {reason}"))
                continue
            if not looks_like_page:
                skipped.append(
                    Diagnostic("read.skipped", Severity.INFO, rel(p), 0, f"not read: suffix {suffix or '(none)'} is not .md or .txt")
                )
                continue
            if suffix not in PAGE_SUFFIXES:
                skip(p, f"suffix {suffix} is not .md or .txt (the suffix is case-sensitive; rename the file)")
                continue
            why = _not_a_page(p)
            if why is not None:
                skip(p, why)
                continue
            pages.append(p)
    pages.sort()
    skipped.sort(key=lambda d: d.file)
    return pages, skipped


def page_files(root: Path) -> list[Path]:
    return scan_pages(root)[0]


def read_files(paths: Iterable[Path], root: Path, skipped: Iterable[Diagnostic] = ()) -> SpecSet:
    functions: list[FunctionSpec] = []
    errors: list[Diagnostic] = [d for d in skipped if d.severity is Severity.ERROR]
    others = tuple(d for d in skipped if d.severity is not Severity.ERROR)
    for path in paths:
        try:
            rel = display_path(path.relative_to(root))
        except ValueError:
            rel = display_path(path)
        try:
            f = read_page(path, rel)
        except PageReadError as e:
            errors.append(Diagnostic("read.unreadable", Severity.ERROR, e.path, e.line, f"cannot read page: {e.reason}"))
            continue
        empty = empty_page_error(f)
        if empty is not None:  # nothing to read: named among the pages not used, not kept as a function
            errors.append(empty)
        else:
            functions.append(f)
    functions.sort(key=lambda f: (f.name, f.source.file))
    functions, duplicates = one_page_per_function(functions)
    errors += duplicates
    errors.sort(key=lambda d: d.file)
    return SpecSet(tuple(functions), tuple(errors), display_path(root), others)


def one_page_per_function(functions: list[FunctionSpec]) -> tuple[list[FunctionSpec], list[Diagnostic]]:
    """The pages (sorted by name, then file) with one page per function name: the first by file
    name; every later page of the same name is an error naming both files. Every reader of a
    SpecSet (``get``, generate, lint, coverage, drift) would otherwise take one page and drop the
    other without a word, and what the dropped page says (a changed return code) would be lost."""
    kept: list[FunctionSpec] = []
    duplicates: list[Diagnostic] = []
    for f in functions:
        if kept and kept[-1].name == f.name:
            first = kept[-1].source.file
            duplicates.append(Diagnostic(
                "read.duplicate-function", Severity.ERROR, f.source.file, 1,
                f"not used: it documents {f.name}, as {first} does; keep one page per function",
                function=f.name,
            ))
            continue
        kept.append(f)
    return kept, duplicates


def read_spec(spec_dir: Path | None = None) -> SpecSet:
    """Read every page (*.md, *.txt) under spec_dir/pages (or spec_dir itself); every file that
    is not read is named in ``errors``."""
    root = pages_dir(spec_dir)
    if not root.is_dir():
        err = Diagnostic("read.unreadable", Severity.ERROR, display_path(root), 0, "spec directory does not exist")
        return SpecSet((), (err,), display_path(root))
    paths, skipped = scan_pages(root)
    return read_files(paths, root, skipped)
