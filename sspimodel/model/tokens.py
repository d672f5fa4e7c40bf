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
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import struct
from collections.abc import Sequence

from attrs import frozen

__all__ = [
    "HEADER_SIZE",
    "MAC_SIZE",
    "Bad",
    "Frame",
    "Kind",
    "Problem",
    "build",
    "decode_fields",
    "encode_fields",
    "mac",
    "parse",
    "seal_mac",
]

MAGIC = b"SM"
VERSION = 1
HEADER_SIZE = 20
MAC_SIZE = 16
FLAG_UNSEALED = 0x01
_HEADER = struct.Struct(">2sBBBBH8sI")


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
    SIGNATURE = 16
    SEAL = 17
    EXPORT = 32


_KINDS = frozenset(int(k) for k in Kind)


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

    @property
    def unsealed(self) -> bool:
        return bool(self.flags & FLAG_UNSEALED)

    def fields(self) -> list[str | int | bytes] | None:
        return decode_fields(self.payload)


def mac(key: bytes, data: bytes) -> bytes:
    """Keyed BLAKE2s-128: a MAC by construction (RFC 7693 keyed mode), and cheaper than HMAC."""
    return hashlib.blake2s(data, key=key[:32], digest_size=MAC_SIZE).digest()


def encode_fields(values: Sequence[str | int | bytes]) -> bytes:
    out = bytearray()
    for v in values:
        if isinstance(v, bool):
            raise TypeError("booleans are encoded as ints")
        if isinstance(v, str):
            data = v.encode("utf-8")
            out += b"s"
        elif isinstance(v, int):
            data = v.to_bytes(8, "big")
            out += b"i"
        else:
            data = bytes(v)
            out += b"b"
        out += len(data).to_bytes(2, "big") + data
    return bytes(out)


def decode_fields(payload: bytes) -> list[str | int | bytes] | None:
    """The fields of a payload, or None when it is not a well-formed field list."""
    out: list[str | int | bytes] = []
    i, n = 0, len(payload)
    while i < n:
        if i + 3 > n:
            return None
        tag = payload[i : i + 1]
        length = int.from_bytes(payload[i + 1 : i + 3], "big")
        data = payload[i + 3 : i + 3 + length]
        if len(data) != length:
            return None
        i += 3 + length
        if tag == b"s":
            try:
                out.append(data.decode("utf-8"))
            except UnicodeDecodeError:
                return None
        elif tag == b"i":
            if length != 8:
                return None
            out.append(int.from_bytes(data, "big"))
        elif tag == b"b":
            out.append(data)
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
    """A complete frame. ``unsealed`` leaves the MAC zero (see :func:`seal_mac`)."""
    payload = encode_fields(fields)
    head = _HEADER.pack(
        MAGIC,
        VERSION,
        int(kind),
        package,
        FLAG_UNSEALED if unsealed else 0,
        len(payload),
        conversation,
        sequence,
    )
    body = head + payload
    return body + (bytes(MAC_SIZE) if unsealed else mac(key, body))


def seal_mac(key: bytes, raw: bytes) -> bytes:
    """The sealed form of an unsealed frame: flag cleared, MAC computed (CompleteAuthToken)."""
    body = bytearray(raw[:-MAC_SIZE])
    body[5] &= ~FLAG_UNSEALED & 0xFF
    return bytes(body) + mac(key, bytes(body))


def parse(raw: bytes | None, key: bytes, *, allow_unsealed: bool = False) -> Frame | Bad:
    """Parse and authenticate a frame. Never raises."""
    if not raw:
        return Bad(Problem.MALFORMED, "empty token")
    data = bytes(raw)
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
    if kind not in _KINDS:
        return Bad(Problem.MALFORMED, f"unknown token kind {kind}")
    total = HEADER_SIZE + length + MAC_SIZE
    if len(data) < total:
        return Bad(Problem.TRUNCATED, f"{len(data)} bytes of a {total}-byte token", total - len(data))
    if len(data) > total:
        return Bad(Problem.MALFORMED, f"{len(data) - total} bytes after the end of the token")
    body, tag = data[: HEADER_SIZE + length], data[HEADER_SIZE + length :]
    if flags & FLAG_UNSEALED:
        if not allow_unsealed or tag != bytes(MAC_SIZE):
            return Bad(Problem.ALTERED, "token was never sealed (CompleteAuthToken not called)")
    elif not hmac.compare_digest(tag, mac(key, body)):
        return Bad(Problem.ALTERED, "MAC mismatch")
    return Frame(
        Kind(kind), package, flags, conversation, sequence, data[HEADER_SIZE : HEADER_SIZE + length], data
    )
