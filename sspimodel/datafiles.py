"""Strict reading of the project's data files: bytes, text, TSV tables and YAML.

Every data file of the spec directory (``data/status.tsv``, ``data/constants.tsv``,
``data/errata.yaml``, ``scenarios/*.yaml``) goes through here, so each hostile shape gets one
answer, with the file and the line:

- not a regular file (a FIFO, a device, a directory), or larger than :data:`MAX_BYTES`:
  refused before it is read (a FIFO would block, /dev/zero would never end);
- not valid UTF-8: the line and column of the first bad byte;
- YAML anchors and aliases (``&a`` / ``*a``): refused, so an alias "bomb" cannot expand;
  nesting deeper than :data:`MAX_DEPTH`: refused (instead of a RecursionError);
- TSV: a header row, then rows of exactly as many tab-separated cells.

Errors are :class:`~sspimodel.status.SpecDataError` (the CLI prints the message, exit 1).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "DataFileError",
    "StrictYamlLoader",
    "read_data_text",
    "read_tsv",
]

MAX_BYTES = 4 * 1024 * 1024  # far above any data file of the project (the largest is ~40 KB)
MAX_DEPTH = 64  # YAML nesting: scenarios need about 6


def _error(message: str) -> Exception:
    from .status import SpecDataError

    return SpecDataError(message)


class DataFileError(Exception):
    """Raised by :func:`read_data_text` with ``line`` (1-based) and ``message``; callers that
    collect problems (scenarios) catch it, others get a SpecDataError."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


def read_data_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes`` bytes; DataFileError otherwise.

    A missing file raises FileNotFoundError (callers decide whether the file is optional).
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise DataFileError(path, 1, f"cannot read: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file (a FIFO, device or socket)"
        raise DataFileError(path, 1, f"{kind}; a data file must be a regular file")
    if st.st_size > max_bytes:
        raise DataFileError(path, 1, f"{st.st_size} bytes, more than the limit of {max_bytes}")
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise DataFileError(path, 1, f"cannot read: {e.strerror or e}") from None
    if len(data) > max_bytes:
        raise DataFileError(path, 1, f"more than the limit of {max_bytes} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise DataFileError(
            path, line, f"not valid UTF-8: byte 0x{data[e.start]:02X} at column {column}"
        ) from None


def read_tsv(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, {column: cell})`` for each row of a TSV file with ``columns`` as header.

    '#' lines and blank lines are comments. The header must name exactly ``columns`` (in any
    order); each row has exactly as many cells. Raises SpecDataError naming file and line.
    """
    try:
        text = read_data_text(path)
    except DataFileError as e:
        raise _error(str(e)) from None
    header: list[str] | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            if sorted(cells) != sorted(columns) or len(set(cells)) != len(cells):
                raise _error(
                    f"{path}:{lineno}: header must name the columns {', '.join(columns)} "
                    f"(tab-separated), got {', '.join(map(repr, cells))}"
                )
            header = cells
            continue
        if len(cells) != len(header):
            raise _error(f"{path}:{lineno}: expected {len(header)} tab-separated cells, got {len(cells)}")
        yield lineno, dict(zip(header, cells, strict=True))
    if header is None:
        raise _error(f"{path}:1: no header row (expected the columns {', '.join(columns)})")


class StrictYamlLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases and limits nesting depth.

    PyYAML expands an alias by sharing the node, and constructing shared nodes many levels
    deep grows exponentially ("billion laughs"); no data file of the project needs aliases.
    """

    max_depth = MAX_DEPTH

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            mark: Any = event.start_mark
            raise yaml.composer.ComposerError(
                None, None, f"alias *{event.anchor} is not allowed (no anchors or aliases in data files)", mark
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise yaml.composer.ComposerError(
                None, None, f"anchor &{anchor} is not allowed (no anchors or aliases in data files)",
                event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise yaml.composer.ComposerError(
                    None, None, f"nesting deeper than {self.max_depth} levels", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def yaml_error_line(exc: yaml.YAMLError) -> int:
    mark = getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else 1


def yaml_error_text(exc: yaml.YAMLError) -> str:
    return str(getattr(exc, "problem", None) or exc)


def load_strict_yaml(path: Path, loader: type[StrictYamlLoader] = StrictYamlLoader) -> Any:
    """The YAML document of ``path``, read with :func:`read_data_text` and ``loader``.

    Raises SpecDataError naming the file and line (an empty document loads as None).
    """
    try:
        text = read_data_text(path)
    except DataFileError as e:
        raise _error(str(e)) from None
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as e:
        raise _error(f"{path}:{yaml_error_line(e)}: not valid YAML: {yaml_error_text(e)}") from None
    except RecursionError:
        raise _error(f"{path}:1: nesting too deep") from None


def check_data_files(spec_dir: Path, functions: set[str]) -> None:
    """Read every data file of ``spec_dir`` strictly and check errata.yaml against the pages
    (functions) and the status catalog (codes); SpecDataError names the first problem.

    Run by ``sspimodel check`` before its stages, so a broken data file fails the check with
    file:line instead of passing unnoticed (errata.yaml is otherwise read only when a call
    needs it).
    """
    from .constants_data import load_constants
    from .model.errata import _parse, validate_errata
    from .paths import data_file
    from .status import StatusCatalog

    catalog = StatusCatalog.from_file(data_file("status.tsv", spec_dir))
    load_constants(spec_dir)
    path = data_file("errata.yaml", spec_dir)
    validate_errata(_parse(path), functions, {e.name for e in catalog.entries}, str(path))
