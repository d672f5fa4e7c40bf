"""The model's token format: every byte string a simulated package produces.

Not a real protocol and no real cryptography: a small versioned frame, authenticated with an
HMAC so that the model detects what a real package detects (a tampered, truncated, replayed or
cross-context token) and maps it to a documented status.

Frame, version 1 (big-endian integers)::

    offset  size  field
    0       2     magic  b"SM"
    2       1     version (1)
    3       1     kind    (Kind below: which leg or which message token)
    4       1     package (the package's RPC id: 9 Negotiate, 10 NTLM, 16 Kerberos, 21 Digest)
    5       1     flags   (bit 0 UNSEALED: the MAC is still zero, CompleteAuthToken must seal it)
    6       2     payload length n
    8       8     conversation id (binds the token to one handshake / one context pair)
    16      4     sequence number (message tokens; 0 for handshake legs)
    20      n     payload: fields, each  type(1: b"s" str, b"i" unsigned int, b"b" bytes)
                  + length(2) + data
    20+n    16    MAC = keyed BLAKE2s-128(key, bytes[0 : 20+n])

Handshake legs and export blobs are keyed with the world key (the "authority" every simulated
machine trusts); message tokens (signatures, seal trailers) with the context's session key.

Parsing never raises: :func:`parse` returns a :class:`Frame` or a :class:`Bad` naming why
(TRUNCATED: fewer bytes than the header announces; MALFORMED: not a frame of this format;
ALTERED: the MAC does not match).

Negotiate wraps NTLM in SPNEGO (RFC 4178): :func:`parse` also recognises a SPNEGO token (an
InitialContextToken, first byte 0x60, or a NegTokenResp, 0xa1; :mod:`sspimodel.model.spnego`)
and returns a Frame of package id 9 (Negotiate) whose kind and payload are the NTLMSSP message
inside it, or of kind SPNEGO_RESP (no payload) for a NegTokenResp that carries none; raw is the
whole SPNEGO token.

NTLM speaks the real wire format: :func:`parse` also recognises an NTLMSSP message (MS-NLMP
2.2.1, "NTLMSSP\\0" signature) and returns it as a Frame of kind NTLM_NEGOTIATE / _CHALLENGE /
_AUTHENTICATE with package id 10 (NTLM), no conversation id, and the whole message as payload;
the NTLM package (:mod:`sspimodel.model.ntlm_wire`) decodes and checks it. A message shorter
than it announces (:func:`sspimodel.ntlm.messages.wire_length`) is TRUNCATED.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import struct
from collections.abc import Sequence
from typing import Any

from attrs import field, frozen

__all__ = [
    "HEADER_SIZE",
    "MAC_SIZE",
    "Bad",
    "Frame",
    "FrameTooLong",
    "Kind",
    "Problem",
    "build",
    "build_seal",
    "build_signature",
    "decode_fields",
    "encode_fields",
    "mac",
    "open_frame",
    "parse",
    "seal_fields",
    "seal_mac",
]

MAGIC = b"SM"
VERSION = 1
HEADER_SIZE = 20
MAC_SIZE = 16
FLAG_UNSEALED = 0x01
_NO_MAC = bytes(MAC_SIZE)
_HEADER = struct.Struct(">2sBBBBH8sI")


_MAX_LENGTH = 0xFFFF  # the payload length and each field's length are 2 bytes (the frame above)


class FrameTooLong(ValueError):
    """A frame cannot be built: a field, or the whole payload, is longer than its 2-byte length
    can say (a user, service or target name of tens of thousands of characters). Raised by
    :func:`build` instead of writing a truncated length; the callers map it to a status.

    ``field`` is the index of the field in the payload, or None when it is the payload as a
    whole that is too long."""

    def __init__(self, kind: Kind, field: int | None, length: int) -> None:
        self.kind = kind
        self.field = field
        self.length = length
        what = "the payload" if field is None else f"field {field}"
        super().__init__(
            f"{kind.name} frame: {what} would be {length} bytes; its 2-byte length holds at most "
            f"{_MAX_LENGTH} (the model's token format, sspimodel.model.tokens)"
        )


class Kind(enum.IntEnum):
    NTLM_NEGOTIATE = 1
    NTLM_CHALLENGE = 2
    NTLM_AUTHENTICATE = 3
    KERB_AP_REQ = 4
    KERB_AP_REP = 5
    KERB_ERROR = 6
    DIGEST_CHALLENGE = 7
    DIGEST_RESPONSE = 8
    DIGEST_RSPAUTH = 9
    SPNEGO_RESP = 10  # a NegTokenResp without a mechanism token (SPNEGO's last, mechListMIC only)
    SIGNATURE = 16
    SEAL = 17
    EXPORT = 32


_KIND_OF = {int(k): k for k in Kind}  # Kind(n) without the enum machinery on every parse


class Problem(enum.Enum):
    TRUNCATED = "truncated"
    MALFORMED = "malformed"
    ALTERED = "altered"


@frozen
class Bad:
    problem: Problem
    detail: str
    missing: int = 0  # for TRUNCATED: how many more bytes the frame needs (an estimate)

    def __bool__(self) -> bool:
        return False


@frozen
class Frame:
    kind: Kind
    package: int
    flags: int
    conversation: bytes
    sequence: int
    payload: bytes
    raw: bytes
    # The decoded SPNEGO token (sspimodel.model.spnego) when the frame came in one, so that the
    # package step reads its negState and mechListMIC without decoding raw a second time.
    spnego: Any = field(default=None, eq=False, repr=False)

    @property
    def unsealed(self) -> bool:
        return bool(self.flags & FLAG_UNSEALED)

    def fields(self) -> list[str | int | bytes] | None:
        return decode_fields(self.payload)


# What open_frame returns for an authentic frame: Frame's fields, in order.
Opened = tuple[Kind, int, int, bytes, int, bytes, bytes]


def mac(key: bytes, data: bytes) -> bytes:
    """Keyed BLAKE2s-128: a MAC by construction (RFC 7693 keyed mode), and cheaper than HMAC."""
    state = _KEYED.get((key, MAC_SIZE)) if type(key) is bytes else None  # keyed_blake2s, inline
    h = (state or keyed_blake2s(key, MAC_SIZE)).copy()
    h.update(data)
    return h.digest()


_KEYED: dict[tuple[bytes, int], Any] = {}
_KEYED_MAX = 4096  # keys kept (world keys, session keys); the cache starts over past that


def keyed_blake2s(key: bytes, digest_size: int) -> Any:
    """A BLAKE2s state keyed with ``key[:32]`` and nothing hashed yet, to ``copy()`` and feed.

    Keying costs a compression of the key block; the same keys (the world's, a context's
    session key) MAC every token and message, so the keyed states are kept. The digests are
    those of ``hashlib.blake2s(data, key=key[:32], digest_size=digest_size)``.
    """
    if type(key) is not bytes:
        key = bytes(key)
    state = _KEYED.get((key, digest_size))
    if state is None:
        if len(_KEYED) >= _KEYED_MAX:
            _KEYED.clear()
        state = _KEYED[(key, digest_size)] = hashlib.blake2s(key=key[:32], digest_size=digest_size)
    return state


def _encode_field(v: str | int | bytes) -> bytes:
    """One field: type tag, 2-byte length, data."""
    # Exact types first (what the packages pass); subclasses (IntEnum, AllocatedBytes, ...)
    # take the general path below, which gives the same bytes.
    t = type(v)
    if t is str:
        data = v.encode("utf-8", "surrogatepass")  # type: ignore[union-attr]
        return b"s" + len(data).to_bytes(2, "big") + data
    if t is int:
        return b"i\x00\x08" + v.to_bytes(8, "big")  # type: ignore[union-attr]
    if t is bytes:
        return b"b" + len(v).to_bytes(2, "big") + v  # type: ignore[arg-type,operator]
    if isinstance(v, bool):
        raise TypeError("booleans are encoded as ints")
    if isinstance(v, str):
        data = v.encode("utf-8", "surrogatepass")
        return b"s" + len(data).to_bytes(2, "big") + data
    if isinstance(v, int):
        return b"i\x00\x08" + v.to_bytes(8, "big")
    data = bytes(v)
    return b"b" + len(data).to_bytes(2, "big") + data


def encode_fields(values: Sequence[str | int | bytes]) -> bytes:
    return _encode(values)[0]


def _encode(values: Sequence[str | int | bytes]) -> tuple[bytes, bool]:
    """The payload, and whether every value was exactly a str, an int or a bytes (then decoding
    the payload gives the values back, equal and of the same types)."""
    parts: list[bytes] = []
    append = parts.append
    exact = True
    for v in values:  # the exact types inline (packed contexts have fifteen fields)
        t = type(v)
        if t is int:
            append(b"i\x00\x08" + v.to_bytes(8, "big"))  # type: ignore[union-attr]
        elif t is str:
            data = v.encode("utf-8", "surrogatepass")  # type: ignore[union-attr]
            append(b"s" + len(data).to_bytes(2, "big") + data)
        else:
            append(_encode_field(v))
            exact = exact and t is bytes
    return b"".join(parts), exact


_TAG_LENGTH = struct.Struct(">cH")
_U64_FIELD = struct.Struct(">Q")


def decode_fields(payload: bytes) -> list[str | int | bytes] | None:
    """The fields of a payload, or None when it is not a well-formed field list."""
    out: list[str | int | bytes] = []
    append = out.append
    tag_length = _TAG_LENGTH.unpack_from
    i, n = 0, len(payload)
    while i < n:
        if i + 3 > n:
            return None
        tag, length = tag_length(payload, i)
        start, i = i + 3, i + 3 + length
        if i > n:
            return None
        if tag == b"i":
            if length != 8:
                return None
            append(_U64_FIELD.unpack_from(payload, start)[0])
        elif tag == b"s":
            try:
                append(payload[start:i].decode("utf-8", "surrogatepass"))
            except UnicodeDecodeError:
                return None
        elif tag == b"b":
            append(payload[start:i])
        else:
            return None
    return out


def build(
    key: bytes,
    kind: Kind,
    package: int,
    conversation: bytes,
    fields: Sequence[str | int | bytes] = (),
    sequence: int = 0,
    unsealed: bool = False,
) -> bytes:
    """A complete frame. ``unsealed`` leaves the MAC zero (see :func:`seal_mac`).

    Raises :class:`FrameTooLong` when a field or the payload does not fit its 2-byte length."""
    try:
        payload, _exact = _encode(fields)
    except OverflowError:
        too_long = _too_long(kind, fields)
        if too_long is None:
            raise  # an int out of the unsigned 64-bit range: the caller's defect, not an oversized value
        raise too_long from None
    if len(payload) > _MAX_LENGTH:
        raise FrameTooLong(kind, None, len(payload))
    body = (
        _HEADER.pack(
            MAGIC,
            VERSION,
            int(kind),
            package,
            FLAG_UNSEALED if unsealed else 0,
            len(payload),
            conversation,
            sequence,
        )
        + payload
    )
    if unsealed:
        return body + _NO_MAC
    return body + mac(key, body)


def _too_long(kind: Kind, fields: Sequence[str | int | bytes]) -> FrameTooLong | None:
    """The first field longer than its 2-byte length says, or None (then ``_encode`` overflowed
    on something else)."""
    for i, v in enumerate(fields):
        if isinstance(v, str):
            n = len(v.encode("utf-8", "surrogatepass"))
        elif isinstance(v, int):
            continue
        else:
            n = len(bytes(v))
        if n > _MAX_LENGTH:
            return FrameTooLong(kind, i, n)
    return None


# -- the two message tokens, packed in one go --------------------------------------------------------
#
# Signatures and seal trailers have fixed payloads: [0, mac] and [qop, length, mac] (ints and a
# 16-byte MAC). Packing header and payload with one struct gives the very bytes build() gives
# for them. A value the struct cannot take (a number out of range, ...) makes the functions
# below fall back on build(), so that there too the result, or the error, is build()'s.

_INT = b"i\x00\x08"  # an int field's tag and length
_MAC16 = b"b\x00\x10"  # a 16-byte field's tag and length
_SIGNATURE_FRAME = struct.Struct(_HEADER.format + "3sQ3s16s")
_SEAL_FRAME = struct.Struct(_HEADER.format + "3sQ3sQ3s16s")
_SIGNATURE_PAYLOAD = _SIGNATURE_FRAME.size - HEADER_SIZE
_SEAL_PAYLOAD = _SEAL_FRAME.size - HEADER_SIZE


def build_signature(key: bytes, package: int, conversation: bytes, mac16: bytes, sequence: int) -> bytes:
    """``build(key, Kind.SIGNATURE, package, conversation, [0, mac16], sequence)``."""
    if len(mac16) == MAC_SIZE:
        try:
            body = _SIGNATURE_FRAME.pack(
                MAGIC, VERSION, Kind.SIGNATURE, package, 0, _SIGNATURE_PAYLOAD, conversation, sequence,
                _INT, 0, _MAC16, mac16,
            )  # fmt: skip
        except struct.error:
            pass
        else:
            return body + mac(key, body)
    return build(key, Kind.SIGNATURE, package, conversation, [0, mac16], sequence)


def build_seal(
    key: bytes, package: int, conversation: bytes, qop: int, length: int, mac16: bytes, sequence: int
) -> bytes:
    """``build(key, Kind.SEAL, package, conversation, [qop, length, mac16], sequence)`` for
    int (not bool) ``qop`` and ``length``."""
    if len(mac16) == MAC_SIZE:
        try:
            body = _SEAL_FRAME.pack(
                MAGIC, VERSION, Kind.SEAL, package, 0, _SEAL_PAYLOAD, conversation, sequence,
                _INT, qop, _INT, length, _MAC16, mac16,
            )  # fmt: skip
        except struct.error:
            pass
        else:
            return body + mac(key, body)
    return build(key, Kind.SEAL, package, conversation, [qop, length, mac16], sequence)


_SEAL_FIELDS = struct.Struct(">3sQ3sQ3s16s")


def seal_fields(payload: bytes) -> list[str | int | bytes] | None:
    """``decode_fields(payload)``, read in one go when it has a seal trailer's layout."""
    if len(payload) == _SEAL_PAYLOAD:
        tag1, qop, tag2, length, tag3, mac16 = _SEAL_FIELDS.unpack(payload)
        if tag1 == _INT and tag2 == _INT and tag3 == _MAC16:
            return [qop, length, mac16]
    return decode_fields(payload)


def seal_mac(key: bytes, raw: bytes) -> bytes:
    """The sealed form of an unsealed frame: flag cleared, MAC computed (CompleteAuthToken)."""
    body = bytearray(raw[:-MAC_SIZE])
    body[5] &= ~FLAG_UNSEALED & 0xFF
    return bytes(body) + mac(key, bytes(body))


def parse(raw: bytes | None, key: bytes, *, allow_unsealed: bool = False) -> Frame | Bad:
    """Parse and authenticate a frame. Never raises."""
    if raw:
        first = raw[:1]
        if first == b"N" and type(raw) is bytes:  # open_frame's NTLMSSP branch, the handshakes' usual token
            ntlm = _open_ntlm(raw)
            if ntlm is not None:
                return ntlm if isinstance(ntlm, Bad) else Frame(*ntlm)
        elif first in _SPNEGO_STARTS:
            opened, token = _open_spnego_token(bytes(raw))
            return opened if isinstance(opened, Bad) else Frame(*opened, spnego=token)
    opened = open_frame(raw, key, allow_unsealed)
    if isinstance(opened, Bad):
        return opened
    return Frame(*opened)


def open_frame(raw: bytes | None, key: bytes, allow_unsealed: bool = False) -> Opened | Bad:
    """:func:`parse` without building the Frame: (kind, package, flags, conversation, sequence,
    payload, raw), or Bad. For the message path, which reads a few fields of many frames."""
    if not raw:
        return Bad(Problem.MALFORMED, "empty token")
    data = bytes(raw)
    if data[:1] == b"N":
        ntlm = _open_ntlm(data)
        if ntlm is not None:
            return ntlm
    elif data[:1] in _SPNEGO_STARTS:
        return _open_spnego(data)
    if len(data) < HEADER_SIZE:
        # A short prefix of a frame is a message cut short on the wire; anything else is not
        # a frame of this format at all.
        if MAGIC.startswith(data[:2]) and (len(data) < 3 or data[2] == VERSION):
            return Bad(
                Problem.TRUNCATED,
                f"{len(data)} bytes, shorter than the {HEADER_SIZE}-byte header",
                HEADER_SIZE + MAC_SIZE - len(data),
            )
        return Bad(Problem.MALFORMED, "not a token of the model's format (bad magic)")
    magic, version, kind, package, flags, length, conversation, sequence = _HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        return Bad(Problem.MALFORMED, f"bad magic or version ({magic!r}, {version})")
    member = _KIND_OF.get(kind)
    if member is None:
        return Bad(Problem.MALFORMED, f"unknown token kind {kind}")
    total = HEADER_SIZE + length + MAC_SIZE
    if len(data) < total:
        return Bad(Problem.TRUNCATED, f"{len(data)} bytes of a {total}-byte token", total - len(data))
    if len(data) > total:
        return Bad(Problem.MALFORMED, f"{len(data) - total} bytes after the end of the token")
    body, tag = data[: HEADER_SIZE + length], data[HEADER_SIZE + length :]
    if flags & FLAG_UNSEALED:
        if not allow_unsealed or tag != _NO_MAC:
            return Bad(Problem.ALTERED, "token was never sealed (CompleteAuthToken not called)")
    elif not hmac.compare_digest(tag, mac(key, body)):
        return Bad(Problem.ALTERED, "MAC mismatch")
    return (member, package, flags, conversation, sequence, data[HEADER_SIZE : HEADER_SIZE + length], data)


NTLM_RPC_ID = 10  # the NTLM package's wRPCID (spec/data/packages.yaml)
_NTLM_KINDS = {1: Kind.NTLM_NEGOTIATE, 2: Kind.NTLM_CHALLENGE, 3: Kind.NTLM_AUTHENTICATE}
_wire_length: Any = None  # sspimodel.ntlm.messages.wire_length, once _open_ntlm needed it


def _open_ntlm(data: bytes) -> Opened | Bad | None:
    """An NTLMSSP message as an opened frame, a Bad (cut short), or None: not NTLMSSP."""
    global _wire_length
    if _wire_length is None:  # imported on first use, then kept (a function-level import costs each call)
        from ..ntlm.messages import wire_length as _wire_length

    framing = _wire_length(data)
    if framing is None:
        if data[:8] == b"NTLMSSP\x00" and len(data) >= 12:
            kind = int.from_bytes(data[8:12], "little")
            return Bad(Problem.MALFORMED, f"NTLMSSP message: MessageType is {kind}, not 1, 2 or 3")
        return None
    kind, announced = framing
    if len(data) < announced:
        return Bad(
            Problem.TRUNCATED,
            f"{len(data)} bytes of an NTLMSSP message that announces {announced}",
            announced - len(data),
        )
    return (_NTLM_KINDS[kind], NTLM_RPC_ID, 0, b"", 0, data, data)


NEGOTIATE_RPC_ID = 9  # the Negotiate package's wRPCID (spec/data/packages.yaml)
_SPNEGO_STARTS = (b"\x60", b"\xa1")  # an InitialContextToken, a NegTokenResp (RFC 4178 4.2)


def _open_spnego(data: bytes) -> Opened | Bad:
    """A SPNEGO token (:mod:`sspimodel.model.spnego`) as an opened frame of the Negotiate package:
    the kind of the NTLMSSP message it carries (its payload), or SPNEGO_RESP when it carries
    none; raw is the whole SPNEGO token (the package step reads its negState and mechListMIC)."""
    return _open_spnego_token(data)[0]


def _open_spnego_token(data: bytes) -> tuple[Opened | Bad, Any]:
    """:func:`_open_spnego`, and the decoded token (None when it did not decode)."""
    from . import spnego

    announced = spnego.announced_length(data)
    if announced is not None and len(data) < announced:
        return Bad(
            Problem.TRUNCATED, f"{len(data)} bytes of a SPNEGO token that announces {announced}", announced - len(data)
        ), None
    try:
        token = spnego.decode(data)
    except spnego.SpnegoError as e:
        return Bad(Problem.MALFORMED, f"SPNEGO: {e}"), None
    inner = token.mech_token if isinstance(token, spnego.NegTokenInit) else token.response_token
    if inner is None:
        if isinstance(token, spnego.NegTokenInit):
            return Bad(Problem.MALFORMED, "SPNEGO: a NegTokenInit without a mechToken (the model sends NTLM's at once)"), token
        return (Kind.SPNEGO_RESP, NEGOTIATE_RPC_ID, 0, b"", 0, b"", data), token
    opened = _open_ntlm(inner)
    if opened is None:
        return Bad(Problem.MALFORMED, "SPNEGO: the mechanism token is not an NTLMSSP message"), token
    if isinstance(opened, Bad):
        return Bad(Problem.MALFORMED, f"SPNEGO: the NTLMSSP message inside: {opened.detail}"), token
    return (opened[0], NEGOTIATE_RPC_ID, 0, b"", 0, inner, data), token
