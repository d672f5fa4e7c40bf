"""SecBuffer and SecBufferDesc: the buffers that carry tokens and messages.

Mutable on purpose: the API writes into them where sspi.h does (the pOutput of
InitializeSecurityContext/AcceptSecurityContext, the pMessage of MakeSignature and
EncryptMessage/DecryptMessage, the pToken of CompleteAuthToken).

A buffer has a type (SECBUFFER_* possibly OR-ed with SECBUFFER_READONLY), a capacity
``cbBuffer`` and contents ``pvBuffer``. An input buffer is built from bytes (its capacity is
their length); an output slot is built with a capacity only, ``SecBuffer(SECBUFFER_TOKEN,
cbBuffer=4096)``, and after the call holds the bytes written and ``cbBuffer`` their length, as
in C. When the package allocated the memory (ISC_REQ_ALLOCATE_MEMORY), ``pvBuffer`` is an
:class:`~sspimodel.model.handles.AllocatedBytes` to release with FreeContextBuffer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from attrs import define, field

from .bytes_text import bytes_repr
from .constants import (
    SECBUFFER_ATTRMASK,
    SECBUFFER_DATA,
    SECBUFFER_TOKEN,
    SECBUFFER_VERSION,
)

__all__ = ["SecBuffer", "SecBufferDesc"]

_TYPE_NAMES = {
    0: "SECBUFFER_EMPTY",
    1: "SECBUFFER_DATA",
    2: "SECBUFFER_TOKEN",
    3: "SECBUFFER_PKG_PARAMS",
    4: "SECBUFFER_MISSING",
    5: "SECBUFFER_EXTRA",
    6: "SECBUFFER_STREAM_TRAILER",
    7: "SECBUFFER_STREAM_HEADER",
    9: "SECBUFFER_PADDING",
    10: "SECBUFFER_STREAM",
}


def _type_name(buffer_type: object) -> str:
    if isinstance(buffer_type, bool) or not isinstance(buffer_type, int):
        # A caller can build a SecBuffer from anything; showing it in an error must not fail.
        return f"BufferType={buffer_type!r}"
    base = buffer_type & ~SECBUFFER_ATTRMASK & 0xFFFFFFFF
    name = _TYPE_NAMES.get(base, f"{base:#x}")
    if buffer_type & SECBUFFER_ATTRMASK:
        name += f"|{buffer_type & SECBUFFER_ATTRMASK:#x}"
    return name


@define(repr=False, eq=False, slots=True)
class SecBuffer:
    """One buffer. ``BufferType`` as in sspi.h; ``pvBuffer`` the bytes (None: a NULL pointer)."""

    BufferType: int
    pvBuffer: bytes | None = None
    cbBuffer: int = field(default=-1)

    def __attrs_post_init__(self) -> None:
        # A negative cbBuffer (the default) means "the length of pvBuffer". A caller can build a
        # SecBuffer from anything: malformed fields are kept as given, for the API's argument
        # check to refuse (sspimodel.argtypes), never an error here.
        cb = self.cbBuffer
        # An exact int (the usual case) first: no subclass checks.
        if cb < 0 if type(cb) is int else isinstance(cb, int) and not isinstance(cb, bool) and cb < 0:
            data = self.pvBuffer
            if data is None:
                self.cbBuffer = 0
            elif isinstance(data, bytes | bytearray):
                self.cbBuffer = len(data)

    @classmethod
    def token(cls, data: bytes | None) -> SecBuffer:
        """An input SECBUFFER_TOKEN holding ``data``."""
        return cls(SECBUFFER_TOKEN, data)

    @classmethod
    def data(cls, payload: bytes) -> SecBuffer:
        """A SECBUFFER_DATA holding ``payload``."""
        return cls(SECBUFFER_DATA, payload)

    @classmethod
    def empty(cls, buffer_type: int = SECBUFFER_TOKEN, size: int = 0) -> SecBuffer:
        """An output slot: type, capacity ``size``, no contents yet."""
        return cls(buffer_type, None, size)

    @property
    def base_type(self) -> int:
        """The buffer type without the SECBUFFER_ATTRMASK attribute bits."""
        return self.BufferType & 0x0FFFFFFF

    @property
    def contents(self) -> bytes:
        """The bytes the buffer holds (b"" for a NULL pointer)."""
        return bytes(self.pvBuffer) if self.pvBuffer is not None else b""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecBuffer):
            return NotImplemented
        return (self.BufferType, self.cbBuffer, self.contents, self.pvBuffer is None) == (
            other.BufferType,
            other.cbBuffer,
            other.contents,
            other.pvBuffer is None,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        # A long buffer shows its head and tail only (sspimodel.model.bytes_text); package memory
        # (AllocatedBytes) bounds its own repr.
        data = self.pvBuffer
        shown = bytes_repr(data) if type(data) is bytes or type(data) is bytearray else repr(data)
        return f"SecBuffer({_type_name(self.BufferType)}, cbBuffer={self.cbBuffer}, pvBuffer={shown})"

    # Notebooks show the bytes as a wrapped hexdump (sspimodel.display), bounded as the repr is.
    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        from ..display import buffer_text

        printer.text(buffer_text(self))

    def _repr_html_(self) -> str:
        import html

        from ..display import buffer_text

        return f"<pre>{html.escape(buffer_text(self))}</pre>"


def _as_list(buffers: Iterable[SecBuffer]) -> list[SecBuffer]:
    return list(buffers)


@define(repr=False, eq=False, slots=True)
class SecBufferDesc:
    """A SecBufferDesc: a version and a list of SecBuffers (``cBuffers`` is derived)."""

    pBuffers: list[SecBuffer] = field(factory=list, converter=_as_list)
    ulVersion: int = SECBUFFER_VERSION

    @classmethod
    def of(cls, *buffers: SecBuffer) -> SecBufferDesc:
        return cls(list(buffers))

    @classmethod
    def token(cls, data: bytes | None) -> SecBufferDesc:
        """A one-buffer descriptor holding an input token."""
        return cls([SecBuffer(SECBUFFER_TOKEN, data)])

    @classmethod
    def output(cls, size: int = 0) -> SecBufferDesc:
        """A one-buffer descriptor with an empty SECBUFFER_TOKEN slot of capacity ``size``."""
        return cls([SecBuffer(SECBUFFER_TOKEN, None, size)])

    @classmethod
    def message(cls, data: bytes, token_size: int = 128) -> SecBufferDesc:
        """A SECBUFFER_TOKEN slot (for the signature or trailer) followed by a SECBUFFER_DATA.

        The model's signatures and trailers fit in 128 bytes; QueryContextAttributes with
        SECPKG_ATTR_SIZES gives the exact cbMaxSignature and cbSecurityTrailer.
        """
        return cls([SecBuffer(SECBUFFER_TOKEN, None, token_size), SecBuffer(SECBUFFER_DATA, data)])

    @property
    def cBuffers(self) -> int:
        return len(self.pBuffers)

    def __iter__(self) -> Iterator[SecBuffer]:
        return iter(self.pBuffers)

    def __getitem__(self, index: int) -> SecBuffer:
        return self.pBuffers[index]

    def __len__(self) -> int:
        return len(self.pBuffers)

    def first(self, buffer_type: int) -> SecBuffer | None:
        """The first buffer of the given base type, or None."""
        for b in self.pBuffers:
            if isinstance(b, SecBuffer) and b.BufferType & 0x0FFFFFFF == buffer_type:
                return b
        return None

    def all(self, buffer_type: int) -> list[SecBuffer]:
        return [
            b for b in self.pBuffers if isinstance(b, SecBuffer) and b.BufferType & 0x0FFFFFFF == buffer_type
        ]

    @property
    def token_bytes(self) -> bytes:
        """The contents of the first SECBUFFER_TOKEN (b"" when there is none)."""
        b = self.first(SECBUFFER_TOKEN)
        return b.contents if b is not None else b""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecBufferDesc):
            return NotImplemented
        return self.ulVersion == other.ulVersion and self.pBuffers == other.pBuffers

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SecBufferDesc({self.pBuffers!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        from ..display import desc_text

        printer.text(desc_text(self))

    def _repr_html_(self) -> str:
        import html

        from ..display import desc_text

        return f"<pre>{html.escape(desc_text(self))}</pre>"
