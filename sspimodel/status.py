"""The SECURITY_STATUS catalog: every SEC_E_*/SEC_I_* code and SEC_E_OK with its value.

Values come from winerror.h, kept as data in spec/data/status.tsv (never from the pages,
which print some of them wrongly). This module is the reader's and lint's view of the
catalog; the model uses the generated ``sspimodel._generated.status.Status`` enum, which
the generator writes from the same file.
"""

from __future__ import annotations

import keyword
import re
from functools import cache
from pathlib import Path

from attrs import frozen

from .paths import data_file

__all__ = ["SpecDataError", "StatusCatalog", "StatusInfo", "load_catalog", "severity_of"]


class SpecDataError(ValueError):
    """A data file of the spec directory (status.tsv, constants.tsv, errata.yaml) is malformed.
    The message names the file and the line or entry."""


def severity_of(value: int) -> str:
    """'error' when bit 31 (the HRESULT severity bit) is set, else 'success'."""
    return "error" if value & 0x80000000 else "success"


@frozen
class StatusInfo:
    name: str
    value: int  # unsigned 32-bit
    line: int  # line of the #define in winerror.h
    alias_of: str | None
    message: str

    @property
    def signed(self) -> int:
        return self.value - (1 << 32) if self.value & 0x80000000 else self.value

    @property
    def severity(self) -> str:
        return severity_of(self.value)

    @property
    def facility(self) -> int:
        return (self.value >> 16) & 0x1FFF

    @property
    def code(self) -> int:
        return self.value & 0xFFFF

    @property
    def hex(self) -> str:
        return f"0x{self.value:08X}"


@frozen
class StatusCatalog:
    entries: tuple[StatusInfo, ...]
    source: str

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, name: object) -> bool:
        return any(e.name == name for e in self.entries)

    def get(self, name: str) -> StatusInfo | None:
        for e in self.entries:
            if e.name == name:
                return e
        return None

    def __getitem__(self, name: str) -> StatusInfo:
        info = self.get(name)
        if info is None:
            raise KeyError(f"{name} is not in the status catalog ({self.source})")
        return info

    def names_for_value(self, value: int) -> tuple[str, ...]:
        return tuple(e.name for e in self.entries if e.value == value)

    @classmethod
    def from_file(cls, path: Path) -> StatusCatalog:
        """Read status.tsv strictly (see :func:`check_status_row`); SpecDataError names file:line."""
        from .datafiles import read_tsv

        entries: list[StatusInfo] = []
        where: dict[str, int] = {}
        for lineno, row in read_tsv(path, STATUS_COLUMNS):
            info = check_status_row(path, lineno, row)
            if info.name in where:
                raise SpecDataError(f"{path}:{lineno}: {info.name} is listed twice (first at line {where[info.name]})")
            where[info.name] = lineno
            entries.append(info)
        by_name = {e.name: e for e in entries}
        for e in entries:
            if e.alias_of is None:
                continue
            target = by_name.get(e.alias_of)
            if target is None:
                raise SpecDataError(f"{path}:{where[e.name]}: {e.name} is an alias of {e.alias_of}, which is not listed")
            if target.value != e.value:
                raise SpecDataError(
                    f"{path}:{where[e.name]}: {e.name} is an alias of {e.alias_of} but its value {e.hex} "
                    f"differs from {target.hex}"
                )
        if not entries:
            raise SpecDataError(f"{path}:1: the status catalog is empty (it needs SEC_E_OK at least)")
        ok = by_name.get("SEC_E_OK")
        if ok is None or ok.value != 0:
            raise SpecDataError(f"{path}:1: the status catalog must list SEC_E_OK with the value 0x00000000")
        return cls(tuple(entries), str(path))


STATUS_COLUMNS = ("name", "value", "line", "alias_of", "message")
# A status name is a C macro name (and so a Python identifier the generator can write).
_STATUS_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_HEX32 = re.compile(r"0[xX][0-9A-Fa-f]{1,8}\Z")


def check_status_row(path: Path, lineno: int, row: dict[str, str]) -> StatusInfo:
    """One row of status.tsv as a StatusInfo, or SpecDataError naming what is wrong and where.

    name: an upper-case C macro name; value: ``0x`` and 1 to 8 hex digits (an unsigned 32-bit
    SECURITY_STATUS; no sign, no spaces); line: a positive decimal line number; alias_of: empty
    or a name; message: text without control characters.
    """
    name = row["name"]
    if not _STATUS_NAME.match(name) or keyword.iskeyword(name):
        raise SpecDataError(f"{path}:{lineno}: name {name!r} is not a status name (A-Z, 0-9 and _, starting with a letter)")
    value = row["value"]
    if not _HEX32.match(value):
        raise SpecDataError(
            f"{path}:{lineno}: {name}: value {value!r} is not an unsigned 32-bit hex number (0x00000000..0xFFFFFFFF)"
        )
    line = row["line"]
    if not line.isdigit() or not line.isascii() or int(line) < 1:
        raise SpecDataError(f"{path}:{lineno}: {name}: line {line!r} is not a positive line number")
    alias = row["alias_of"]
    if alias and not _STATUS_NAME.match(alias):
        raise SpecDataError(f"{path}:{lineno}: {name}: alias_of {alias!r} is not a status name")
    message = row["message"]
    if any(ord(ch) < 32 or ch in "\x7f\u2028\u2029" for ch in message):
        raise SpecDataError(f"{path}:{lineno}: {name}: the message holds a control character")
    return StatusInfo(name=name, value=int(value, 16), line=int(line), alias_of=alias or None, message=message)


@cache
def _load(path: str) -> StatusCatalog:
    return StatusCatalog.from_file(Path(path))


def load_catalog(spec_dir: Path | None = None) -> StatusCatalog:
    return _load(str(data_file("status.tsv", spec_dir)))
