"""Handles, pointers and small value objects that cross the API boundary.

Everything here is a plain value: handles are frozen pairs of small integers drawn from
per-world counters (never ``id()``), so two runs of the same calls in fresh worlds give the
same handles and the same reprs.

- :class:`CredHandle`, :class:`CtxtHandle`: SecHandle's two halves, as in sspi.h.
- :class:`Luid`: a logon session identifier (pvLogonId).
- :class:`TimeStamp`: a FILETIME-like count of 100 ns ticks (ptsExpiry).
- :class:`Ref`: a cell the model writes into, for parameters that receive a value but that
  the page does not mark [out] (the async pages give no directions; EnumerateSecurityPackages
  tags its receiving pointers [in]). The caller passes ``Ref()`` and reads ``.value``.
- :class:`AsyncContext`: the ``SspiAsyncContext*`` that SspiCreateAsyncContext returns.
- Memory the security package allocates for the caller, to be released with
  FreeContextBuffer: :class:`AllocatedBytes` (a ``bytes``), :class:`AllocatedStr` (a ``str``),
  :class:`ContextBuffer` (a structure or an array of them). Each carries its ``address``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from attrs import define, frozen

from .bytes_text import bytes_repr

__all__ = [
    "NEVER",
    "AccessToken",
    "AllocatedBytes",
    "AllocatedStr",
    "AsyncContext",
    "ContextBuffer",
    "CredHandle",
    "CtxtHandle",
    "Luid",
    "Ref",
    "TimeStamp",
    "address_of",
    "timestamp",
]

T = TypeVar("T")


def _hex(value: object) -> str:
    """An int field as hex; any other value (a caller may build a handle from anything) by
    repr, so that showing a malformed handle in an error message never fails."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:#x}"
    try:
        return repr(value)
    except Exception:
        return f"<{type(value).__name__}>"


@frozen(repr=False)
class CredHandle:
    """A credentials handle. dwLower: the handle's serial in its world; dwUpper: the package id."""

    dwLower: int
    dwUpper: int

    def __repr__(self) -> str:
        return f"CredHandle({_hex(self.dwLower)}, {_hex(self.dwUpper)})"

    @property
    def is_null(self) -> bool:
        return self.dwLower == 0 and self.dwUpper == 0


@frozen(repr=False)
class CtxtHandle:
    """A security context handle. dwLower: serial in its world; dwUpper: the package id."""

    dwLower: int
    dwUpper: int

    def __repr__(self) -> str:
        return f"CtxtHandle({_hex(self.dwLower)}, {_hex(self.dwUpper)})"

    @property
    def is_null(self) -> bool:
        return self.dwLower == 0 and self.dwUpper == 0


@frozen(repr=False, order=True)
class Luid:
    """A locally unique identifier of a logon session."""

    LowPart: int
    HighPart: int = 0

    def __repr__(self) -> str:
        return (
            f"Luid({_hex(self.LowPart)})"
            if isinstance(self.HighPart, int) and not self.HighPart
            else f"Luid({_hex(self.LowPart)}, {_hex(self.HighPart)})"
        )


# 100 ns ticks. 2024-01-01T00:00:00Z as a FILETIME (seconds since 1601-01-01 * 10**7): the
# simulated clock starts here so expiry times are readable and stable.
TICKS_PER_SECOND = 10_000_000
EPOCH_2024 = 133_485_408_000_000_000


@frozen(repr=False, order=True)
class TimeStamp:
    """A TimeStamp (FILETIME) in 100 ns ticks since 1601-01-01.

    The pages say the package gives expiry "in local time"; the simulated world has one time
    zone (UTC), so local time and UTC coincide.
    """

    QuadPart: int

    def __repr__(self) -> str:
        if self.QuadPart == NEVER_TICKS:
            return "TimeStamp(never)"
        return f"TimeStamp({self.isoformat()})"

    def isoformat(self) -> str:
        import datetime as _dt

        if self.QuadPart == NEVER_TICKS:
            return "never"
        seconds = (self.QuadPart - EPOCH_2024) // TICKS_PER_SECOND
        moment = _dt.datetime(2024, 1, 1, tzinfo=_dt.UTC) + _dt.timedelta(seconds=seconds)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# sspi.h has no name for it; Windows packages report "never expires" as the largest
# positive FILETIME (0x7FFFFFFFFFFFFFFF).
NEVER_TICKS = 0x7FFF_FFFF_FFFF_FFFF
NEVER = TimeStamp(NEVER_TICKS)

_TIMESTAMPS: dict[int, TimeStamp] = {NEVER_TICKS: NEVER}


def timestamp(ticks: int) -> TimeStamp:
    """``TimeStamp(ticks)``, shared: a frozen value, and most expiry times of a run are equal
    (the clock moves only when a test advances it), so the hot paths need not build one each time."""
    stamp = _TIMESTAMPS.get(ticks)
    if stamp is None:
        if len(_TIMESTAMPS) >= 1024:
            _TIMESTAMPS.clear()
            _TIMESTAMPS[NEVER_TICKS] = NEVER
        stamp = _TIMESTAMPS[ticks] = TimeStamp(ticks)
    return stamp


@define(repr=False, eq=False)
class Ref(Generic[T]):
    """A cell that receives a value: the model's stand-in for a pointer the callee writes.

    ``Ref()`` starts empty (``value is None``); the model sets ``value``. Identity matters, not
    equality: two empty cells are different pointers.
    """

    value: T | None = None

    def __repr__(self) -> str:
        value = self.value
        shown = bytes_repr(value) if type(value) is bytes or type(value) is bytearray else repr(value)
        return f"Ref({shown})"


@frozen(repr=False)
class AsyncContext:
    """An ``SspiAsyncContext*``: the pointer SspiCreateAsyncContext returns (a world serial)."""

    address: int

    def __repr__(self) -> str:
        return f"AsyncContext({_hex(self.address)})"


@frozen(repr=False)
class AccessToken:
    """A HANDLE to the access token of a context's client (ExportSecurityContext pToken)."""

    value: int
    user: str

    def __repr__(self) -> str:
        return f"AccessToken({_hex(self.value)}, {self.user!r})"


class AllocatedBytes(bytes):
    """Bytes the security package allocated for the caller (free with FreeContextBuffer).

    Compares and hashes like the bytes it holds, so a token can be passed on as is.
    """

    address: int

    def __new__(cls, data: bytes, address: int) -> AllocatedBytes:
        obj = super().__new__(cls, data)
        obj.address = address
        return obj

    def __repr__(self) -> str:
        return f"AllocatedBytes({_hex(self.address)}, {bytes_repr(bytes(self))})"


class AllocatedStr(str):
    """A string the security package allocated for the caller (free with FreeContextBuffer)."""

    address: int

    def __new__(cls, text: str, address: int) -> AllocatedStr:
        obj = super().__new__(cls, text)
        obj.address = address
        return obj

    def __repr__(self) -> str:
        return f"AllocatedStr({_hex(self.address)}, {str(self)!r})"


class ContextBuffer(Generic[T]):
    """A structure (or array of structures) the package allocated: a pointer with contents.

    Attribute access and indexing go to the contents, as ``p->Name`` and ``p[i]`` would in C.
    """

    __slots__ = ("address", "value")

    def __init__(self, value: T, address: int) -> None:
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "address", address)

    value: T
    address: int

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not slots: delegate to the pointed-to structure.
        return getattr(object.__getattribute__(self, "value"), name)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("ContextBuffer is read-only")

    def __getitem__(self, index: int) -> Any:
        return self.value[index]  # type: ignore[index]

    def __len__(self) -> int:
        return len(self.value)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.value)  # type: ignore[call-overload]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ContextBuffer):
            return bool(self.address == other.address and self.value == other.value)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.address)

    def __repr__(self) -> str:
        return f"ContextBuffer({_hex(self.address)}, {self.value!r})"


def address_of(pointer: object) -> int | None:
    """The allocation address a value carries, or None when it is not package memory."""
    if isinstance(pointer, AllocatedBytes | AllocatedStr | ContextBuffer):
        return pointer.address
    return None
