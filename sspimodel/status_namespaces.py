"""Status codes of every namespace the reference pages use, beside the SECURITY_STATUS catalog.

SECURITY_STATUS codes (SEC_E_*, SEC_I_*) are the catalog of :mod:`sspimodel.status`
(spec/data/status.tsv). The other namespaces come from spec/data/status_namespaces.tsv, derived
once from the SDK headers by tools/derive_status_namespaces.py (values as data: nothing reads the
headers at run time):

- ``win32``: Win32 error codes (ERROR_* of winerror.h, ERROR_WINHTTP_* of winhttp.h), usually read
  with GetLastError or returned as a DWORD/LSTATUS;
- ``hresult``: HRESULTs (S_OK, E_*, NTE_*, CRYPT_E_* ...);
- ``ntstatus``: NTSTATUS (STATUS_* of ntstatus.h);
- ``netapi``: NET_API_STATUS (NERR_* of lmerr.h).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from attrs import frozen

from .paths import data_file
from .status import SpecDataError, load_catalog

__all__ = ["NAMESPACE_TITLES", "NamespacedStatus", "StatusNamespaces", "load_namespaces", "namespace_of"]

SECURITY_STATUS = "security_status"
NAMESPACE_TITLES = {
    SECURITY_STATUS: "SECURITY_STATUS",
    "win32": "Win32 error code",
    "hresult": "HRESULT",
    "ntstatus": "NTSTATUS",
    "netapi": "NET_API_STATUS",
}
_FILE = "status_namespaces.tsv"
_COLUMNS = ["namespace", "name", "value", "header", "line"]


@frozen
class NamespacedStatus:
    namespace: str
    name: str
    value: int
    header: str  # where the value is defined (winerror.h, ntstatus.h, ... or status.tsv)
    line: int

    @property
    def hex(self) -> str:
        return f"0x{self.value:08X}"


@frozen
class StatusNamespaces:
    by_name: dict[str, NamespacedStatus]
    source: str

    def get(self, name: str) -> NamespacedStatus | None:
        return self.by_name.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __len__(self) -> int:
        return len(self.by_name)

    @classmethod
    def from_file(cls, path: Path) -> StatusNamespaces:
        out: dict[str, NamespacedStatus] = {}
        header: list[str] | None = None
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise SpecDataError(f"{path}: cannot read the status namespaces: {e}") from None
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                if cells != _COLUMNS:
                    raise SpecDataError(f"{path}:{lineno}: header must be {' '.join(_COLUMNS)}")
                header = cells
                continue
            if len(cells) != len(_COLUMNS):
                raise SpecDataError(f"{path}:{lineno}: expected {len(_COLUMNS)} tab-separated cells, got {len(cells)}")
            ns, name, value, hdr, src_line = cells
            if ns not in NAMESPACE_TITLES or ns == SECURITY_STATUS:
                raise SpecDataError(f"{path}:{lineno}: {name}: unknown namespace {ns!r}")
            if name in out:
                raise SpecDataError(f"{path}:{lineno}: {name} is listed twice")
            try:
                v = int(value, 16)
                if not 0 <= v <= 0xFFFFFFFF:
                    raise ValueError("not a 32-bit value")
                out[name] = NamespacedStatus(ns, name, v, hdr, int(src_line))
            except ValueError as e:
                raise SpecDataError(f"{path}:{lineno}: {name}: bad cell ({e})") from None
        return cls(out, str(path))


@cache
def _load(path: str) -> StatusNamespaces:
    p = Path(path)
    if not p.is_file():
        return StatusNamespaces({}, path)
    return StatusNamespaces.from_file(p)


def load_namespaces(spec_dir: Path | None = None) -> StatusNamespaces:
    """The namespaces of spec_dir/data, or the project's when spec_dir has none (a folder of
    pages without data/): the values come from the SDK headers, never from pages."""
    path = data_file(_FILE, spec_dir)
    if not path.is_file():
        path = data_file(_FILE)
    return _load(str(path))


def namespace_of(name: str, spec_dir: Path | None = None) -> NamespacedStatus | None:
    """The namespace and value of a status name: the SECURITY_STATUS catalog first, then the
    other namespaces; None when no namespace knows it."""
    info = load_catalog(spec_dir).get(name)
    if info is not None:
        return NamespacedStatus(SECURITY_STATUS, name, info.value, "status.tsv", info.line)
    return load_namespaces(spec_dir).get(name)
