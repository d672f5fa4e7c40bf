"""The SECURITY_STATUS catalog: every SEC_E_*/SEC_I_* code and SEC_E_OK with its value.

Values come from winerror.h, kept as data in spec/data/status.tsv (never from the pages,
which print some of them wrongly). This module is the reader's and lint's view of the
catalog; the model uses the generated ``sspimodel._generated.status.Status`` enum, which
the generator writes from the same file.
"""

from __future__ import annotations

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
        entries: list[StatusInfo] = []
        header: list[str] | None = None
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                continue
            if len(cells) != len(header):
                raise SpecDataError(f"{path}:{lineno}: expected {len(header)} tab-separated cells, got {len(cells)}")
            row = dict(zip(header, cells, strict=True))
            try:
                entries.append(
                    StatusInfo(
                        name=row["name"],
                        value=int(row["value"], 16),
                        line=int(row["line"]),
                        alias_of=row["alias_of"] or None,
                        message=row["message"],
                    )
                )
            except (KeyError, ValueError) as e:
                raise SpecDataError(f"{path}:{lineno}: {row.get('name', '?')}: bad cell ({e})") from None
        return cls(tuple(entries), str(path))


@cache
def _load(path: str) -> StatusCatalog:
    return StatusCatalog.from_file(Path(path))


def load_catalog(spec_dir: Path | None = None) -> StatusCatalog:
    return _load(str(data_file("status.tsv", spec_dir)))
