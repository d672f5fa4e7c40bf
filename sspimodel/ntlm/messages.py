"""NTLMSSP messages (MS-NLMP 2.2): encode, and strictly decode untrusted bytes.

Decoding never lets ``IndexError``, ``struct.error`` or ``UnicodeDecodeError`` out: every defect
of the input is a :class:`~sspimodel.ntlm.errors.MalformedMessage` naming the structure, the field
and its byte offset. The rules a decoder enforces, beyond the layout of 2.2:

- the Signature is ``NTLMSSP\\0`` and MessageType the expected one (2.2.1.1-2.2.1.3);
- a payload field (Len, MaxLen, BufferOffset) with a non-zero Len lies inside the message and
  after the fixed header it belongs to (2.2: "the fixed-length fields are then followed by a
  variable-length message payload");
- Unicode strings have an even length and decode as UTF-16LE;
- an AV_PAIR list fits in its field, ends with MsvAvEOL of length 0 (2.2.2.1: "MsvAvEOL MUST be
  the last item"), and fixed-size values have their size (MsvAvFlags 4, MsvAvTimestamp 8,
  MsvAvChannelBindings 16). A repeated AvId is refused: interpretation, the section lists each
  AvId once and no implementation we interoperate with repeats one.

Only the Unicode string form is produced and accepted for names in CHALLENGE and AUTHENTICATE
(NTLMSSP_NEGOTIATE_UNICODE is required by this implementation); NEGOTIATE's optional OEM domain
and workstation are decoded as ASCII when their *_SUPPLIED flags are set.
"""

from __future__ import annotations

import codecs
import enum
import functools
import struct
import types

from attrs import field, frozen

from .errors import FieldTooLong, MalformedMessage

__all__ = [
    "SIGNATURE",
    "AuthenticateMessage",
    "AvFlags",
    "AvId",
    "ChallengeMessage",
    "NegotiateFlags",
    "NegotiateMessage",
    "NtlmV2ClientChallenge",
    "TargetInfo",
    "Version",
    "message_type",
]

_MAX_LEN = 0xFFFF  # a payload field's Len and MaxLen are 16-bit (MS-NLMP 2.2.1)


def _too_long(message: str, **lengths: int) -> None:
    """Raises FieldTooLong for the first field (in wire order) whose length does not fit."""
    for name, length in lengths.items():
        if length > _MAX_LEN:
            raise FieldTooLong(message, name, length)


SIGNATURE = b"NTLMSSP\x00"


class NegotiateFlags(enum.IntFlag):
    """NEGOTIATE flags (MS-NLMP 2.2.2.5), named as in the document."""

    NTLMSSP_NEGOTIATE_UNICODE = 0x00000001
    NTLM_NEGOTIATE_OEM = 0x00000002
    NTLMSSP_REQUEST_TARGET = 0x00000004
    NTLMSSP_NEGOTIATE_SIGN = 0x00000010
    NTLMSSP_NEGOTIATE_SEAL = 0x00000020
    NTLMSSP_NEGOTIATE_DATAGRAM = 0x00000040
    NTLMSSP_NEGOTIATE_LM_KEY = 0x00000080
    NTLMSSP_NEGOTIATE_NTLM = 0x00000200
    NTLMSSP_ANONYMOUS = 0x00000800
    NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED = 0x00001000
    NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED = 0x00002000
    NTLMSSP_NEGOTIATE_ALWAYS_SIGN = 0x00008000
    NTLMSSP_TARGET_TYPE_DOMAIN = 0x00010000
    NTLMSSP_TARGET_TYPE_SERVER = 0x00020000
    NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000
    NTLMSSP_NEGOTIATE_IDENTIFY = 0x00100000
    NTLMSSP_REQUEST_NON_NT_SESSION_KEY = 0x00400000
    NTLMSSP_NEGOTIATE_TARGET_INFO = 0x00800000
    NTLMSSP_NEGOTIATE_VERSION = 0x02000000
    NTLMSSP_NEGOTIATE_128 = 0x20000000
    NTLMSSP_NEGOTIATE_KEY_EXCH = 0x40000000
    NTLMSSP_NEGOTIATE_56 = 0x80000000


# The same values as plain ints: ``int & IntFlag`` dispatches to the enum's reflected operator,
# which costs microseconds per test on the decode paths.
FLAG = types.SimpleNamespace(**{str(m.name): int(m.value) for m in NegotiateFlags})


class AvId(enum.IntEnum):
    """AV_PAIR identifiers (MS-NLMP 2.2.2.1)."""

    MsvAvEOL = 0x0000
    MsvAvNbComputerName = 0x0001
    MsvAvNbDomainName = 0x0002
    MsvAvDnsComputerName = 0x0003
    MsvAvDnsDomainName = 0x0004
    MsvAvDnsTreeName = 0x0005
    MsvAvFlags = 0x0006
    MsvAvTimestamp = 0x0007
    MsvAvSingleHost = 0x0008
    MsvAvTargetName = 0x0009
    MsvAvChannelBindings = 0x000A


class AvFlags(enum.IntFlag):
    """MsvAvFlags bits (MS-NLMP 2.2.2.1)."""

    ACCOUNT_AUTHENTICATION_CONSTRAINED = 0x1
    MIC_PROVIDED = 0x2
    UNTRUSTED_SPN_SOURCE = 0x4


# AvIds whose value is a UTF-16LE string (2.2.2.1).
_STRING_AV_IDS = frozenset(
    {
        AvId.MsvAvNbComputerName,
        AvId.MsvAvNbDomainName,
        AvId.MsvAvDnsComputerName,
        AvId.MsvAvDnsDomainName,
        AvId.MsvAvDnsTreeName,
        AvId.MsvAvTargetName,
    }
)
_FIXED_AV_SIZES = {int(AvId.MsvAvFlags): 4, int(AvId.MsvAvTimestamp): 8, int(AvId.MsvAvChannelBindings): 16}
_STRING_AV_INTS = frozenset(int(a) for a in _STRING_AV_IDS)
_MIC_PROVIDED = int(AvFlags.MIC_PROVIDED)

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
_FIELDS = struct.Struct("<HHI")  # Len, MaxLen, BufferOffset
_AV_HEADER = struct.Struct("<HH")  # AvId, AvLen
_VERSION = struct.Struct("<BBH3xB")  # ProductMajorVersion, ProductMinorVersion, ProductBuild, NTLMRevisionCurrent
# The fixed part of each message, packed at once (Signature, MessageType, then as 2.2.1.1-2.2.1.3
# list them; each payload field is Len, MaxLen, BufferOffset).
_NEGOTIATE_FIXED = struct.Struct("<8sIIHHIHHI")  # NegotiateFlags, DomainNameFields, WorkstationFields
_NEGOTIATE_WITH_VERSION = struct.Struct(_NEGOTIATE_FIXED.format + "BBH3xB")  # and the Version (2.2.2.10)
# TargetNameFields, NegotiateFlags, ServerChallenge, Reserved, TargetInfoFields:
_CHALLENGE_FIXED = struct.Struct("<8sIHHII8s8xHHI")
_CHALLENGE_WITH_VERSION = struct.Struct(_CHALLENGE_FIXED.format + "BBH3xB")  # and the Version (2.2.2.10)
_NTLMV2_HEAD = struct.Struct("<2s6xQ8s4x")  # NTLMv2_CLIENT_CHALLENGE (2.2.2.7) up to its AvPairs
# LmChallengeResponse, NtChallengeResponse, DomainName, UserName, Workstation and
# EncryptedRandomSessionKey fields, NegotiateFlags:
_AUTHENTICATE_FIXED = struct.Struct("<8sI" + "HHI" * 6 + "I")
_AUTHENTICATE_WITH_VERSION = struct.Struct(_AUTHENTICATE_FIXED.format + "BBH3xB")  # and the Version (2.2.2.10)
# UTF-16LE without the codec registry's lookup and its Python-level wrapper ("utf-16-le" has no
# fast path in bytes.decode): the same codec function, the same errors.
_utf16_decode = codecs.utf_16_le_decode
_utf16_encode = codecs.utf_16_le_encode


class _Reader:
    """Bounds-checked little-endian reads over one buffer; every failure names the field."""

    __slots__ = ("data", "name")

    def __init__(self, data: bytes, name: str) -> None:
        self.data = data
        self.name = name

    def fail(self, fieldname: str, offset: int, problem: str) -> MalformedMessage:
        return MalformedMessage(self.name, fieldname, offset, problem)

    def need(self, fieldname: str, offset: int, size: int) -> None:
        if offset + size > len(self.data):
            raise self.fail(
                fieldname, offset, f"needs {size} bytes, the buffer ends at {len(self.data)}"
            )

    def u16(self, fieldname: str, offset: int) -> int:
        self.need(fieldname, offset, 2)
        return int(_U16.unpack_from(self.data, offset)[0])

    def u32(self, fieldname: str, offset: int) -> int:
        self.need(fieldname, offset, 4)
        return int(_U32.unpack_from(self.data, offset)[0])

    def raw(self, fieldname: str, offset: int, size: int) -> bytes:
        self.need(fieldname, offset, size)
        return bytes(self.data[offset : offset + size])

    def payload(self, fieldname: str, offset: int, header_end: int) -> bytes:
        """A (Len, MaxLen, BufferOffset) triple at ``offset`` and the bytes it points to."""
        self.need(fieldname, offset, 8)
        length, _max_length, where = _FIELDS.unpack_from(self.data, offset)
        if length == 0:
            return b""
        if where < header_end:
            raise self.fail(
                fieldname, offset, f"BufferOffset {where} points into the {header_end}-byte fixed header"
            )
        if where + length > len(self.data):
            raise self.fail(
                fieldname,
                offset,
                f"Len {length} at BufferOffset {where} runs past the end of the message ({len(self.data)} bytes)",
            )
        return bytes(self.data[where : where + length])

    def utf16(self, fieldname: str, offset: int, header_end: int) -> str:
        raw = self.payload(fieldname, offset, header_end)
        return _decode_utf16(raw, self.name, fieldname, offset)

    def span(self, fieldname: str, offset: int, triple: tuple[int, int, int], header_end: int) -> bytes:
        """:meth:`payload` of a triple already read from ``offset`` (the same checks)."""
        length, _max_length, where = triple
        if length == 0:
            return b""
        data = self.data
        if where < header_end or where + length > len(data):
            return self.payload(fieldname, offset, header_end)  # raises, naming the problem
        return bytes(data[where : where + length])


def _decode_utf16(raw: bytes, name: str, fieldname: str, offset: int) -> str:
    if len(raw) % 2:
        raise MalformedMessage(name, fieldname, offset, f"odd length {len(raw)} for a UTF-16LE string")
    try:
        return _utf16_decode(raw, "strict", True)[0]
    except UnicodeDecodeError as e:
        raise MalformedMessage(name, fieldname, offset, f"not UTF-16LE ({e.reason} at byte {e.start})") from None


def _header(r: _Reader, expected_type: int) -> None:
    if r.raw("Signature", 0, 8) != SIGNATURE:
        raise r.fail("Signature", 0, "is not 'NTLMSSP\\0'")
    got = r.u32("MessageType", 8)
    if got != expected_type:
        raise r.fail("MessageType", 8, f"is {got}, expected {expected_type}")


def message_type(data: bytes) -> int:
    """The MessageType of an NTLMSSP message (1, 2 or 3), checking only the common header."""
    r = _Reader(data, "NTLMSSP message")
    if r.raw("Signature", 0, 8) != SIGNATURE:
        raise r.fail("Signature", 0, "is not 'NTLMSSP\\0'")
    kind = r.u32("MessageType", 8)
    if kind not in (1, 2, 3):
        raise r.fail("MessageType", 8, f"is {kind}, not 1, 2 or 3")
    return kind


# ---------------------------------------------------------------------------------------------
# VERSION (2.2.2.10)


@frozen
class Version:
    """VERSION (2.2.2.10): for debugging only; NTLMRevisionCurrent is NTLMSSP_REVISION_W2K3 (0x0F)."""

    major: int = 10
    minor: int = 0
    build: int = 20348
    revision: int = 0x0F

    def encode(self) -> bytes:
        return _VERSION.pack(self.major, self.minor, self.build, self.revision)

    @classmethod
    def decode(cls, r: _Reader, offset: int) -> Version:
        r.need("Version", offset, 8)
        major, minor, build, revision = _VERSION.unpack_from(r.data, offset)
        return cls(major, minor, build, revision)


# ---------------------------------------------------------------------------------------------
# AV_PAIR lists (2.2.2.1)


@frozen
class TargetInfo:
    """An AV_PAIR list, in wire order, without its MsvAvEOL terminator.

    Values are kept as raw bytes; :meth:`get_str`, :meth:`timestamp` and :meth:`flags` read the
    typed ones. The terminator is added by :meth:`encode`.
    """

    pairs: tuple[tuple[int, bytes], ...] = ()

    def get(self, av_id: AvId) -> bytes | None:
        for key, value in self.pairs:
            if key == av_id:
                return value
        return None

    def get_str(self, av_id: AvId) -> str | None:
        value = self.get(av_id)
        return None if value is None else _utf16_decode(value, "strict", True)[0]

    def timestamp(self) -> int | None:
        value = self.get(AvId.MsvAvTimestamp)
        return None if value is None else int(_U64.unpack(value)[0])

    def flags(self) -> AvFlags:
        return AvFlags(self.flag_bits())

    def flag_bits(self) -> int:
        """MsvAvFlags as a plain int (0 without the pair): :meth:`flags` without the enum."""
        value = self.get(AvId.MsvAvFlags)
        return 0 if value is None else int(_U32.unpack(value)[0])

    def with_pair(self, av_id: AvId, value: bytes) -> TargetInfo:
        """This list with ``av_id`` set to ``value`` (replaced in place, or appended)."""
        if self.get(av_id) is None:
            return TargetInfo((*self.pairs, (int(av_id), value)))
        return TargetInfo(tuple((k, value if k == av_id else v) for k, v in self.pairs))

    def with_pairs(self, *updates: tuple[AvId, bytes]) -> TargetInfo:
        """:meth:`with_pair` of each ``(av_id, value)`` in turn, as one new list."""
        pairs = list(self.pairs)
        keys = [k for k, _ in pairs]
        for av_id, value in updates:
            key = int(av_id)
            if key in keys:
                for i, k in enumerate(keys):
                    if k == key:
                        pairs[i] = (k, value)
            else:
                keys.append(key)
                pairs.append((key, value))
        return TargetInfo(tuple(pairs))

    def encode(self) -> bytes:
        pack = _AV_HEADER.pack
        try:
            return b"".join([pack(key, len(value)) + value for key, value in self.pairs]) + _AV_EOL
        except struct.error:
            # A value longer than AvLen can say (MS-NLMP 2.2.2.1: AvLen is 2 bytes), such as an
            # MsvAvTargetName of a target name over 32,767 characters that the client adds to
            # its NTLMv2 response: a typed FieldTooLong naming the pair, never a truncated
            # length. (An AvId out of range is the caller's defect and raises as before.)
            for key, value in self.pairs:
                if len(value) > _MAX_LEN and 0 <= key <= _MAX_LEN:
                    name = AvId(key).name if key in AvId._value2member_map_ else f"AvId {key}"
                    raise FieldTooLong("AV_PAIR", name, len(value), "MS-NLMP 2.2.2.1") from None
            raise

    @classmethod
    def from_names(cls, **names: str) -> TargetInfo:
        """Convenience: ``TargetInfo.from_names(MsvAvNbDomainName="CONTOSO", ...)``."""
        return _from_names(tuple(names.items()))

    @classmethod
    def decode(cls, data: bytes, name: str = "AV_PAIR", base: int = 0) -> tuple[TargetInfo, int]:
        """Decodes a list from ``data``; returns it and the number of bytes it used (through
        MsvAvEOL). ``base`` is added to offsets in error messages (the list's position in its
        enclosing buffer)."""
        found: dict[int, bytes] = {}  # AvId -> value, in wire order
        header = _AV_HEADER.unpack_from
        data = bytes(data)
        end = len(data)
        offset = 0
        while True:
            if offset + 4 > end:
                raise MalformedMessage(name, "AvId", base + offset, "the list ends without MsvAvEOL")
            av_id, av_len = header(data, offset)
            if av_id == 0:  # MsvAvEOL
                if av_len != 0:
                    raise MalformedMessage(name, "AvLen", base + offset + 2, f"MsvAvEOL has AvLen {av_len}, not 0")
                return cls(tuple(found.items())), offset + 4
            start = offset + 4
            offset = start + av_len
            if offset > end:
                raise MalformedMessage(
                    name, "Value", base + start, f"AvLen {av_len} runs past the end of the list ({end} bytes)"
                )
            if av_id in found:
                raise MalformedMessage(name, "AvId", base + start - 4, f"AvId {av_id:#06x} appears twice")
            value = found[av_id] = data[start:offset]  # bounds checked above
            if av_id in _STRING_AV_INTS:
                try:
                    _utf16_decode(value, "strict", True)
                except UnicodeDecodeError:  # an odd length or a lone surrogate
                    _decode_utf16(value, name, AvId(av_id).name, base + start)  # raises, naming the pair
            else:
                size = _FIXED_AV_SIZES.get(av_id)
                if size is not None and av_len != size:
                    raise MalformedMessage(name, AvId(av_id).name, base + start - 2, f"AvLen {av_len}, expected {size}")


_AV_EOL = b"\x00\x00\x00\x00"  # MsvAvEOL with AvLen 0


@functools.lru_cache(maxsize=64)
def _from_names(names: tuple[tuple[str, str], ...]) -> TargetInfo:
    """TargetInfo.from_names: a server names itself the same way in every CHALLENGE_MESSAGE, and
    a TargetInfo is immutable, so the lists are kept."""
    return TargetInfo(tuple((int(AvId[k]), v.encode("utf-16-le", "surrogatepass")) for k, v in names))


# ---------------------------------------------------------------------------------------------
# NEGOTIATE_MESSAGE (2.2.1.1)


@frozen
class NegotiateMessage:
    flags: int
    domain: str = ""
    workstation: str = ""
    version: Version | None = None

    def encode(self) -> bytes:
        flags = self.flags
        domain = self.domain.encode("ascii")
        workstation = self.workstation.encode("ascii")
        if domain:
            flags |= FLAG.NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED
        if workstation:
            flags |= FLAG.NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED
        if self.version is not None:
            flags |= FLAG.NTLMSSP_NEGOTIATE_VERSION
        header = 40 if self.version is not None else 32
        nd, nw = len(domain), len(workstation)
        if nd > _MAX_LEN or nw > _MAX_LEN:
            _too_long("NEGOTIATE_MESSAGE", DomainName=nd, Workstation=nw)
        out = _NEGOTIATE_FIXED.pack(SIGNATURE, 1, flags, nd, nd, header, nw, nw, header + nd)
        if self.version is not None:
            out += self.version.encode()
        return b"".join((out, domain, workstation))

    @classmethod
    def decode(cls, data: bytes) -> NegotiateMessage:
        r = _Reader(data, "NEGOTIATE_MESSAGE")
        if len(data) >= _NEGOTIATE_WITH_VERSION.size:
            # The fixed part and a Version are there: one read, then the checks of the values.
            fixed = _NEGOTIATE_WITH_VERSION.unpack_from(data)
            if fixed[0] != SIGNATURE:
                raise r.fail("Signature", 0, "is not 'NTLMSSP\\0'")
            if fixed[1] != 1:
                raise r.fail("MessageType", 8, f"is {fixed[1]}, expected 1")
            flags = fixed[2]
            version = None
            header = 32
            if flags & FLAG.NTLMSSP_NEGOTIATE_VERSION:
                version = Version(*fixed[9:])
                header = 40
            domain_f, workstation_f = fixed[3:6], fixed[6:9]
        else:
            _header(r, 1)
            flags = r.u32("NegotiateFlags", 12)
            version = None
            header = 32
            if flags & FLAG.NTLMSSP_NEGOTIATE_VERSION:
                version = Version.decode(r, 32)
                header = 40
            r.need("DomainNameFields", 16, 8)
            r.need("WorkstationFields", 24, 8)
            domain_f, workstation_f = _FIELDS.unpack_from(data, 16), _FIELDS.unpack_from(data, 24)
        domain = workstation = ""
        if flags & FLAG.NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED:
            domain = _ascii(r, r.span("DomainNameFields", 16, domain_f, header), "DomainNameFields", 16)
        if flags & FLAG.NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED:
            workstation = _ascii(r, r.span("WorkstationFields", 24, workstation_f, header), "WorkstationFields", 24)
        return cls(flags, domain, workstation, version)


def _ascii(r: _Reader, raw: bytes, fieldname: str, offset: int) -> str:
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        raise r.fail(fieldname, offset, "OEM string is not ASCII") from None


# ---------------------------------------------------------------------------------------------
# CHALLENGE_MESSAGE (2.2.1.2)


@frozen
class ChallengeMessage:
    flags: int
    server_challenge: bytes
    target_name: str = ""
    target_info: TargetInfo | None = None
    version: Version | None = None

    def encode(self) -> bytes:
        flags = self.flags
        if self.target_info is not None:
            flags |= FLAG.NTLMSSP_NEGOTIATE_TARGET_INFO
        if self.version is not None:
            flags |= FLAG.NTLMSSP_NEGOTIATE_VERSION
        header = 56 if self.version is not None else 48
        name = _utf16_encode(self.target_name, "surrogatepass")[0]
        info = self.target_info.encode() if self.target_info is not None else b""
        nn, ni = len(name), len(info)
        if nn > _MAX_LEN or ni > _MAX_LEN:
            _too_long("CHALLENGE_MESSAGE", TargetName=nn, TargetInfo=ni)
        challenge = self.server_challenge
        if len(challenge) == 8:
            out = _CHALLENGE_FIXED.pack(SIGNATURE, 2, nn, nn, header, flags, challenge, ni, ni, header + nn)
        else:  # not a CHALLENGE_MESSAGE a server sends; laid out as given (tests build such bytes)
            fixed = _CHALLENGE_FIXED.pack(SIGNATURE, 2, nn, nn, header, flags, bytes(8), ni, ni, header + nn)
            out = fixed[:24] + challenge + fixed[32:]
        if self.version is not None:
            out += self.version.encode()
        return b"".join((out, name, info))

    @classmethod
    def decode(cls, data: bytes) -> ChallengeMessage:
        r = _Reader(data, "CHALLENGE_MESSAGE")
        if len(data) >= _CHALLENGE_WITH_VERSION.size:
            # The whole fixed part and a Version are there: every bounds check below holds, so
            # one read gives the fields and the checks left are those of their values.
            fixed = _CHALLENGE_WITH_VERSION.unpack_from(data)
            signature, kind, flags, challenge, info_len, info_max, where = fixed[:2] + fixed[5:10]
            name_f = fixed[2:5]
            if signature != SIGNATURE:
                raise r.fail("Signature", 0, "is not 'NTLMSSP\\0'")
            if kind != 2:
                raise r.fail("MessageType", 8, f"is {kind}, expected 2")
            version = None
            header = 48
            if flags & FLAG.NTLMSSP_NEGOTIATE_VERSION:
                version = Version(*fixed[10:])
                header = 56
        else:
            _header(r, 2)
            flags = r.u32("NegotiateFlags", 20)
            challenge = r.raw("ServerChallenge", 24, 8)
            r.need("Reserved", 32, 8)
            r.need("TargetInfoFields", 40, 8)
            version = None
            header = 48
            if flags & FLAG.NTLMSSP_NEGOTIATE_VERSION:
                version = Version.decode(r, 48)
                header = 56
            name_f = _FIELDS.unpack_from(data, 12)
            info_len, info_max, where = _FIELDS.unpack_from(data, 40)
        if not flags & FLAG.NTLMSSP_NEGOTIATE_UNICODE:
            raise r.fail("NegotiateFlags", 20, "NTLMSSP_NEGOTIATE_UNICODE is not set (OEM strings are not supported)")
        target_name = _decode_utf16(
            r.span("TargetNameFields", 12, name_f, header), r.name, "TargetNameFields", 12
        )
        target_info = None
        if flags & FLAG.NTLMSSP_NEGOTIATE_TARGET_INFO:
            raw = r.span("TargetInfoFields", 40, (info_len, info_max, where), header)
            target_info, used = TargetInfo.decode(raw, "CHALLENGE_MESSAGE.TargetInfo", where)
            if used != len(raw):
                raise r.fail("TargetInfoFields", 40, f"{len(raw) - used} bytes follow MsvAvEOL")
        return cls(flags, challenge, target_name, target_info, version)


# ---------------------------------------------------------------------------------------------
# NTLMv2_CLIENT_CHALLENGE (2.2.2.7) inside NTLMv2_RESPONSE (2.2.2.8)


@frozen
class NtlmV2ClientChallenge:
    """The ``temp`` of MS-NLMP 3.3.2: what NTProofStr is computed over (after ServerChallenge).

    ``trailer`` is whatever follows MsvAvEOL (3.3.2 appends Z(4)); kept so the bytes the proof
    covers are exactly the ones received.
    """

    timestamp: int
    client_challenge: bytes
    target_info: TargetInfo
    trailer: bytes = b"\x00" * 4

    def encode(self) -> bytes:
        challenge = self.client_challenge
        if len(challenge) == 8:  # RespType, HiRespType, Reserved1-2, TimeStamp, ChallengeFromClient, Reserved3
            head = _NTLMV2_HEAD.pack(b"\x01\x01", self.timestamp, challenge)
        else:  # laid out as given
            head = b"\x01\x01" + b"\x00" * 6 + _U64.pack(self.timestamp) + challenge + b"\x00" * 4
        return b"".join((head, self.target_info.encode(), self.trailer))

    @classmethod
    def decode(cls, data: bytes, base: int) -> NtlmV2ClientChallenge:
        name = "NTLMv2_CLIENT_CHALLENGE"
        if len(data) < 28 + 4:
            raise MalformedMessage(name, "AvPairs", base + len(data), f"{len(data)} bytes, at least 32 needed")
        resp_type, hi_resp_type = data[0], data[1]
        if resp_type != 1:
            raise MalformedMessage(name, "RespType", base, f"is {resp_type}, MUST be 1")
        if hi_resp_type != 1:
            raise MalformedMessage(name, "HiRespType", base + 1, f"is {hi_resp_type}, MUST be 1")
        timestamp = int(_U64.unpack_from(data, 8)[0])
        client_challenge = bytes(data[16:24])  # ChallengeFromClient: within the 32 bytes checked above
        info, used = TargetInfo.decode(data[28:], f"{name}.AvPairs", base + 28)
        return cls(timestamp, client_challenge, info, bytes(data[28 + used :]))


# ---------------------------------------------------------------------------------------------
# AUTHENTICATE_MESSAGE (2.2.1.3)

MIC_OFFSET = 72  # after the 64-byte fixed fields and the 8-byte Version
MIC_END = MIC_OFFSET + 16


@frozen
class AuthenticateMessage:
    flags: int
    lm_response: bytes
    nt_response: bytes
    domain: str
    user: str
    workstation: str
    encrypted_random_session_key: bytes = b""
    version: Version | None = None
    mic: bytes | None = None
    # The received bytes (decode only): the MIC is checked over these, not a re-encoding.
    raw: bytes = field(default=b"", repr=False, eq=False)
    # The NTLMv2 client challenge as decoded by decode() (None for NTLMv1/anonymous or encode side).
    decoded_client_challenge: NtlmV2ClientChallenge | None = field(default=None, repr=False, eq=False)

    @property
    def nt_proof_str(self) -> bytes:
        return self.nt_response[:16]

    def client_challenge(self) -> NtlmV2ClientChallenge:
        """The NTLMv2 client challenge inside NtChallengeResponse (decoded, checked)."""
        if self.decoded_client_challenge is not None:
            return self.decoded_client_challenge
        return NtlmV2ClientChallenge.decode(self.nt_response[16:], 16)

    def encode(self, mic: bytes | None = None) -> bytes:
        """Encodes with ``mic`` (or ``self.mic``) in the MIC field; a MIC field (zeros if none
        is given) is present whenever ``self.mic`` is not None or ``mic`` is given."""
        mic = self.mic if mic is None else mic
        flags = self.flags
        if self.version is not None or mic is not None:
            flags |= FLAG.NTLMSSP_NEGOTIATE_VERSION
        header = MIC_END if mic is not None else (72 if self.version is not None or mic is not None else 64)
        # Payload order of Windows clients: names first, then responses, then the session key.
        # A name is sent as the WCHAR string it is, an unpaired surrogate included; a reader of
        # this module refuses such a name (_decode_utf16), so the peer answers SEC_E_INVALID_TOKEN.
        domain = _utf16_encode(self.domain, "surrogatepass")[0]
        user = _utf16_encode(self.user, "surrogatepass")[0]
        workstation = _utf16_encode(self.workstation, "surrogatepass")[0]
        lm, nt, key = self.lm_response, self.nt_response, self.encrypted_random_session_key
        nd, nu, nw, nl, nn, nk = len(domain), len(user), len(workstation), len(lm), len(nt), len(key)
        if max(nd, nu, nw, nl, nn, nk) > _MAX_LEN:
            _too_long(
                "AUTHENTICATE_MESSAGE", LmChallengeResponse=nl, NtChallengeResponse=nn, DomainName=nd,
                UserName=nu, Workstation=nw, EncryptedRandomSessionKey=nk,
            )  # fmt: skip
        at_user = header + nd
        at_workstation = at_user + nu
        at_lm = at_workstation + nw
        at_nt = at_lm + nl
        out = _AUTHENTICATE_FIXED.pack(
            SIGNATURE, 3,
            nl, nl, at_lm,
            nn, nn, at_nt,
            nd, nd, header,
            nu, nu, at_user,
            nw, nw, at_workstation,
            nk, nk, at_nt + nn,
            flags,
        )  # fmt: skip
        if header >= 72:
            out += (self.version or Version()).encode()
        if mic is not None:
            out += mic
        return b"".join((out, domain, user, workstation, lm, nt, key))

    @classmethod
    def decode(cls, data: bytes) -> AuthenticateMessage:
        r = _Reader(data, "AUTHENTICATE_MESSAGE")
        if len(data) >= 64:
            # The whole fixed part is there (and the Version's 8 bytes, when the buffer holds
            # them): one read, then the checks of the values.
            fixed = (_AUTHENTICATE_WITH_VERSION if len(data) >= 72 else _AUTHENTICATE_FIXED).unpack_from(data)
            if fixed[0] != SIGNATURE:
                raise r.fail("Signature", 0, "is not 'NTLMSSP\\0'")
            if fixed[1] != 3:
                raise r.fail("MessageType", 8, f"is {fixed[1]}, expected 3")
            flags = fixed[20]
            lm_f, nt_f, domain_f, user_f, workstation_f, key_f = (
                fixed[2:5], fixed[5:8], fixed[8:11], fixed[11:14], fixed[14:17], fixed[17:20]
            )  # fmt: skip
        else:  # the buffer ends before NegotiateFlags does: this raises, naming the first defect
            _header(r, 3)
            r.u32("NegotiateFlags", 60)
            raise AssertionError("unreachable: the fixed part is 64 bytes")
        if not flags & FLAG.NTLMSSP_NEGOTIATE_UNICODE:
            raise r.fail("NegotiateFlags", 60, "NTLMSSP_NEGOTIATE_UNICODE is not set (OEM strings are not supported)")
        # Where the payload may start: the lowest non-empty BufferOffset tells whether Version
        # and MIC are present (2.2.1.3 gives no explicit length for the fixed part).
        starts = [where for length, _m, where in (lm_f, nt_f, domain_f, user_f, workstation_f, key_f) if length]
        payload_start = min(starts, default=len(data))
        header = 64
        version = None
        if flags & FLAG.NTLMSSP_NEGOTIATE_VERSION and payload_start >= 72:
            version = Version(*fixed[21:]) if len(fixed) > 21 else Version.decode(r, 64)
            header = 72
        lm = r.span("LmChallengeResponseFields", 12, lm_f, header)
        nt = r.span("NtChallengeResponseFields", 20, nt_f, header)
        mic = None
        client_challenge = None
        if len(nt) > 24:
            client_challenge = NtlmV2ClientChallenge.decode(nt[16:], nt_f[2] + 16)
            if client_challenge.target_info.flag_bits() & _MIC_PROVIDED:
                if payload_start < MIC_END:
                    raise r.fail("MIC", MIC_OFFSET, f"MsvAvFlags announces a MIC but the payload starts at {payload_start}")
                mic = r.raw("MIC", MIC_OFFSET, 16)
                header = MIC_END
        domain = _decode_utf16(r.span("DomainNameFields", 28, domain_f, header), r.name, "DomainNameFields", 28)
        user = _decode_utf16(r.span("UserNameFields", 36, user_f, header), r.name, "UserNameFields", 36)
        workstation = _decode_utf16(
            r.span("WorkstationFields", 44, workstation_f, header), r.name, "WorkstationFields", 44
        )
        key = r.span("EncryptedRandomSessionKeyFields", 52, key_f, header)
        if key and len(key) != 16:
            raise r.fail("EncryptedRandomSessionKeyFields", 52, f"Len {len(key)}, expected 16")
        if header == MIC_END:
            # Re-check the response fields against the final header size (the MIC grew it).
            r.span("LmChallengeResponseFields", 12, lm_f, header)
            r.span("NtChallengeResponseFields", 20, nt_f, header)
        return cls(flags, lm, nt, domain, user, workstation, key, version, mic, bytes(data), client_challenge)


# ---------------------------------------------------------------------------------------------
# framing: how long a message says it is


# The fixed part of each message type before the optional Version (2.2.1.1, 2.2.1.2, 2.2.1.3),
# and the offsets of its (Len, MaxLen, BufferOffset) payload fields.
_FIXED = {1: 32, 2: 48, 3: 64}
_FLAGS_AT = {1: 12, 2: 20, 3: 60}
_PAYLOAD_FIELDS = {1: (16, 24), 2: (12, 40), 3: (12, 20, 28, 36, 44, 52)}


def wire_length(data: bytes) -> tuple[int, int] | None:
    """(MessageType, the length the message announces) for bytes that start like an NTLMSSP
    message, or None when they do not (no ``NTLMSSP\\0`` signature, unknown MessageType).

    NTLMSSP messages carry no total length: the announced length is the end of the fixed header
    or of the furthest payload field (BufferOffset + Len), whichever is larger. Bytes shorter
    than the fixed header announce at least the fixed header. A transport that cut a message
    short gives fewer bytes than announced; the caller reports how many are missing.
    """
    head = bytes(data[:8])
    if len(data) < 12:
        # A prefix of the signature (and of the MessageType) is a message cut short.
        if not SIGNATURE.startswith(head) if len(head) < 8 else head != SIGNATURE:
            return None
        return 0, 32
    if head != SIGNATURE:
        return None
    kind = int(_U32.unpack_from(data, 8)[0])
    fixed = _FIXED.get(kind)
    if fixed is None:
        return None
    if len(data) >= fixed:
        # The whole fixed part is there: NegotiateFlags and every (Len, MaxLen, BufferOffset)
        # in one read (what the general path below computes).
        layout, flags_index, lengths = _FRAMING[kind]
        values = layout.unpack_from(data)
        end = fixed + 8 if values[flags_index] & FLAG.NTLMSSP_NEGOTIATE_VERSION else fixed
        for i in lengths:
            length = values[i]
            if length and length == values[i + 1]:
                field_end = values[i + 2] + length
                if field_end > end:
                    end = field_end
        return kind, end
    end = fixed
    at = _FLAGS_AT[kind]
    if at + 4 <= len(data) and int(_U32.unpack_from(data, at)[0]) & FLAG.NTLMSSP_NEGOTIATE_VERSION:
        end += 8  # the Version field follows the fixed part
    # The fixed part is cut short: the fields that are there, then None where it ends.
    fields: list[tuple[int, int, int] | None] = []
    for off in _PAYLOAD_FIELDS[kind]:
        if off + 8 > len(data):
            fields.append(None)
            break
        fields.append(_FIELDS.unpack_from(data, off))
    for field_ in fields:
        if field_ is None:  # the fixed part ends inside this field
            return kind, max(end, off + 8)
        length, max_length, where = field_
        # A field whose Len and MaxLen differ is not one an implementation wrote (2.2.1: MaxLen
        # "SHOULD be set to the value of" Len): it is left to the decoder, not read as a length.
        if length and length == max_length:
            end = max(end, where + length)
    return kind, end


def _framing(kind: int) -> tuple[struct.Struct, int, tuple[int, ...]]:
    """One struct over a message's fixed part that reads its NegotiateFlags and payload fields,
    the index of the flags among the values, and the index of each field's Len."""
    spots = sorted([(_FLAGS_AT[kind], "I")] + [(off, "HHI") for off in _PAYLOAD_FIELDS[kind]])
    layout, position, index, flags_index, lengths = "<", 0, 0, 0, []
    for at, code in spots:
        layout += (f"{at - position}x" if at > position else "") + code
        position = at + (4 if code == "I" else 8)
        if code == "I":
            flags_index = index
        else:
            lengths.append(index)
        index += len(code)
    return struct.Struct(layout), flags_index, tuple(lengths)


_FRAMING = {kind: _framing(kind) for kind in _PAYLOAD_FIELDS}
