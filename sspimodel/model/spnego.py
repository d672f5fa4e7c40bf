"""SPNEGO (RFC 4178, MS-SPNG) around the Negotiate package's NTLM mechanism: the tokens and their DER.

The Negotiate package wraps NTLM's three messages and the mechListMIC exchange in the SPNEGO
NegotiationToken (RFC 4178 section 4.2)::

    C: InitialContextToken [APPLICATION 0] { OID 1.3.6.1.5.5.2,
           NegTokenInit [0] { mechTypes [0] { NTLM }, mechToken [2] NEGOTIATE_MESSAGE } }
    S: NegTokenResp [1] { negState [0] accept-incomplete, supportedMech [1] NTLM,
           responseToken [2] CHALLENGE_MESSAGE }
    C: NegTokenResp [1] { responseToken [2] AUTHENTICATE_MESSAGE, mechListMIC [3] }
    S: NegTokenResp [1] { negState [0] accept-completed, mechListMIC [3] }

The mechListMIC (RFC 4178 section 5, MS-SPNG 3.1.5.1) is NTLM's MakeSignature of the DER
encoding of the client's mechTypes (the whole ``MechTypeList`` SEQUENCE, as the client sent it),
with the context's first sequence number (0). Each side, after it has sent or checked a
mechListMIC, restarts the RC4 sealing stream of that direction from its key (the NTLM signature
state is reset, as MS-NLMP 3.1.1.2 and MS-SPNG 3.1.5.1 describe and as Windows and pyspnego
do); the sequence numbers go on (the first message after the handshake carries SeqNum 1).

DER (X.690) is written and read by the small codec below, for just these types: SEQUENCE,
OBJECT IDENTIFIER, ENUMERATED, OCTET STRING, BIT STRING, GeneralString, and context/application
tags. Reading never raises anything but :class:`SpnegoError`, whose message names the element
that is wrong.
"""

from __future__ import annotations

from attrs import frozen

__all__ = [
    "ACCEPT_COMPLETED",
    "ACCEPT_INCOMPLETE",
    "NTLM_OID",
    "REJECT",
    "REQUEST_MIC",
    "SPNEGO_OID",
    "NegTokenInit",
    "NegTokenResp",
    "SpnegoError",
    "announced_length",
    "decode",
    "decode_oid",
    "encode_init",
    "encode_oid",
    "encode_resp",
    "looks_like",
    "mech_type_list",
]

SPNEGO_OID = "1.3.6.1.5.5.2"  # RFC 4178 section 4.1
NTLM_OID = "1.3.6.1.4.1.311.2.2.10"  # MS-NLMP 1.9 (NTLMSSP in SPNEGO), MS-SPNG 1.9
KERBEROS_OID = "1.2.840.113554.1.2.2"  # RFC 4121
MS_KERBEROS_OID = "1.2.840.48018.1.2.2"  # MS-SPNG 1.9

# negState (RFC 4178 section 4.2.2)
ACCEPT_COMPLETED = 0
ACCEPT_INCOMPLETE = 1
REJECT = 2
REQUEST_MIC = 3
NEG_STATES = {0: "accept-completed", 1: "accept-incomplete", 2: "reject", 3: "request-mic"}

_SEQUENCE = 0x30
_OID = 0x06
_ENUMERATED = 0x0A
_OCTET_STRING = 0x04
_BIT_STRING = 0x03
_GENERAL_STRING = 0x1B
_APPLICATION_0 = 0x60  # [APPLICATION 0] constructed: the GSS-API InitialContextToken (RFC 2743 3.1)
_INIT = 0xA0  # NegotiationToken CHOICE [0] NegTokenInit
_RESP = 0xA1  # NegotiationToken CHOICE [1] NegTokenResp


class SpnegoError(ValueError):
    """A SPNEGO token that does not decode, naming the element that is wrong."""


# -- DER --------------------------------------------------------------------------------------


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, value: bytes) -> bytes:
    """One DER element (definite length, the shortest form)."""
    return bytes([tag]) + _length(len(value)) + value


def encode_oid(dotted: str) -> bytes:
    """The DER OBJECT IDENTIFIER element of ``dotted`` (X.690 8.19)."""
    arcs = [int(a) for a in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise ValueError(f"not an object identifier: {dotted!r}")
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return tlv(_OID, bytes(body))


def decode_oid(body: bytes, where: str = "OBJECT IDENTIFIER") -> str:
    """The dotted form of an OBJECT IDENTIFIER's contents."""
    if not body or body[-1] & 0x80:
        raise SpnegoError(f"{where}: the object identifier ends inside a sub-identifier")
    arcs: list[int] = []
    value = 0
    start = True
    for b in body:
        if start and b == 0x80:
            raise SpnegoError(f"{where}: a sub-identifier with a leading 0x80 byte (not DER)")
        value = (value << 7) | (b & 0x7F)
        start = not b & 0x80
        if start:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


@frozen
class _Element:
    tag: int
    value: bytes
    raw: bytes  # the whole element, tag and length included


def _read(data: bytes, pos: int, end: int, where: str) -> tuple[_Element, int]:
    """The element at ``pos`` (which must end by ``end``) and the position after it."""
    if pos >= end:
        raise SpnegoError(f"{where}: missing (the token ends at byte {pos})")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise SpnegoError(f"{where}: multi-byte tag 0x{tag:02x} at byte {pos} (none in SPNEGO)")
    if pos + 1 >= end:
        raise SpnegoError(f"{where}: the length at byte {pos + 1} is cut off")
    first = data[pos + 1]
    at = pos + 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise SpnegoError(f"{where}: indefinite length at byte {pos + 1} (not DER)")
    else:
        count = first & 0x7F
        if count > 4 or at + count > end:
            raise SpnegoError(f"{where}: a {count}-byte length at byte {pos + 1} does not fit the token")
        length = int.from_bytes(data[at : at + count], "big")
        if length < 0x80 or data[at] == 0:
            raise SpnegoError(f"{where}: the length at byte {pos + 1} is not in its shortest form (not DER)")
        at += count
    if at + length > end:
        raise SpnegoError(
            f"{where}: announces {length} bytes at byte {pos}, only {end - at} are left"
        )
    return _Element(tag, data[at : at + length], data[pos : at + length]), at + length


def _children(value: bytes, where: str) -> list[_Element]:
    out = []
    pos = 0
    while pos < len(value):
        element, pos = _read(value, pos, len(value), where)
        out.append(element)
    return out


def _expect(element: _Element, tag: int, where: str) -> bytes:
    if element.tag != tag:
        raise SpnegoError(f"{where}: tag 0x{element.tag:02x}, expected 0x{tag:02x}")
    return element.value


def _only(value: bytes, tag: int, where: str) -> _Element:
    """The one element an explicit tag [n] wraps."""
    children = _children(value, where)
    if len(children) != 1:
        raise SpnegoError(f"{where}: {len(children)} elements inside the explicit tag, expected 1")
    _expect(children[0], tag, where)
    return children[0]


def _fields(sequence: bytes, where: str, known: dict[int, str]) -> dict[int, _Element]:
    """The [n] fields of a SEQUENCE, in increasing order, each at most once."""
    out: dict[int, _Element] = {}
    last = -1
    for element in _children(sequence, where):
        if element.tag & 0xE0 != 0xA0:
            raise SpnegoError(f"{where}: tag 0x{element.tag:02x} is not a context-specific field")
        number = element.tag & 0x1F
        if number not in known:
            raise SpnegoError(f"{where}: unknown field [{number}]")
        if number <= last:
            raise SpnegoError(f"{where}: field {known[number]} [{number}] out of order or repeated")
        last = number
        out[number] = element
    return out


# -- the SPNEGO tokens ------------------------------------------------------------------------


@frozen
class NegTokenInit:
    """The client's first token (RFC 4178 4.2.1). ``mech_types_der`` is the MechTypeList
    element as sent: what the mechListMIC covers."""

    mech_types: tuple[str, ...]
    mech_types_der: bytes
    mech_token: bytes | None
    mech_list_mic: bytes | None = None


@frozen
class NegTokenResp:
    """The later tokens (RFC 4178 4.2.2); every field is optional."""

    neg_state: int | None = None
    supported_mech: str | None = None
    response_token: bytes | None = None
    mech_list_mic: bytes | None = None


_INIT_FIELDS = {0: "mechTypes", 1: "reqFlags", 2: "mechToken", 3: "mechListMIC"}
_INIT2_FIELDS = {**_INIT_FIELDS, 3: "negHints", 4: "mechListMIC"}  # MS-SPNG 2.2.1 NegTokenInit2
_RESP_FIELDS = {0: "negState", 1: "supportedMech", 2: "responseToken", 3: "mechListMIC"}


def mech_type_list(mechs: tuple[str, ...]) -> bytes:
    """The DER MechTypeList (SEQUENCE OF MechType) of ``mechs``."""
    return tlv(_SEQUENCE, b"".join(encode_oid(m) for m in mechs))


def encode_init(mechs: tuple[str, ...], mech_token: bytes) -> bytes:
    """The InitialContextToken carrying a NegTokenInit with ``mechs`` and the optimistic token."""
    body = tlv(0xA0, mech_type_list(mechs)) + tlv(0xA2, tlv(_OCTET_STRING, mech_token))
    return tlv(_APPLICATION_0, encode_oid(SPNEGO_OID) + tlv(_INIT, tlv(_SEQUENCE, body)))


def encode_resp(
    neg_state: int | None = None,
    supported_mech: str | None = None,
    response_token: bytes | None = None,
    mech_list_mic: bytes | None = None,
) -> bytes:
    """A NegTokenResp with the fields given (RFC 4178 4.2.2)."""
    body = b""
    if neg_state is not None:
        body += tlv(0xA0, tlv(_ENUMERATED, bytes([neg_state])))
    if supported_mech is not None:
        body += tlv(0xA1, encode_oid(supported_mech))
    if response_token is not None:
        body += tlv(0xA2, tlv(_OCTET_STRING, response_token))
    if mech_list_mic is not None:
        body += tlv(0xA3, tlv(_OCTET_STRING, mech_list_mic))
    return tlv(_RESP, tlv(_SEQUENCE, body))


def looks_like(data: bytes) -> bool:
    """Whether ``data`` starts as a SPNEGO token would (an InitialContextToken or a NegTokenResp)."""
    return bool(data) and data[0] in (_APPLICATION_0, _RESP)


def announced_length(data: bytes) -> int | None:
    """The total length the outer element of ``data`` announces (tag and length bytes
    included), or None when its header does not read."""
    if len(data) < 2:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if first == 0x80 or count > 4 or len(data) < 2 + count:
        return None
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big")


def decode(data: bytes) -> NegTokenInit | NegTokenResp:
    """A SPNEGO token: an InitialContextToken with a NegTokenInit (or MS-SPNG's NegTokenInit2), or a
    bare NegTokenResp. Raises :class:`SpnegoError` naming the element that is wrong."""
    data = bytes(data)
    outer, end = _read(data, 0, len(data), "NegotiationToken")
    if end != len(data):
        raise SpnegoError(f"NegotiationToken: {len(data) - end} bytes after its end")
    if outer.tag == _APPLICATION_0:
        children = _children(outer.value, "InitialContextToken")
        if len(children) != 2:
            raise SpnegoError(f"InitialContextToken: {len(children)} elements, expected thisMech and the token")
        oid = decode_oid(_expect(children[0], _OID, "InitialContextToken thisMech"), "thisMech")
        if oid != SPNEGO_OID:
            raise SpnegoError(f"InitialContextToken: thisMech is {oid}, not SPNEGO ({SPNEGO_OID})")
        if children[1].tag != _INIT:
            raise SpnegoError(f"InitialContextToken: tag 0x{children[1].tag:02x}, expected NegTokenInit [0]")
        return _decode_init(children[1].value)
    if outer.tag == _RESP:
        return _decode_resp(outer.value)
    raise SpnegoError(f"NegotiationToken: tag 0x{outer.tag:02x}, expected 0x60 (InitialContextToken) or 0xa1")


def _decode_init(value: bytes) -> NegTokenInit:
    sequence = _only(value, _SEQUENCE, "NegTokenInit").value
    # NegTokenInit2 (MS-SPNG 2.2.1) numbers mechListMIC [4] after negHints [3]: told apart by the tag
    # inside [3] (a SEQUENCE for negHints, an OCTET STRING for a mechListMIC).
    names = _INIT_FIELDS
    for element in _children(sequence, "NegTokenInit"):
        if (element.tag == 0xA3 and element.value[:1] == bytes([_SEQUENCE])) or element.tag == 0xA4:
            names = _INIT2_FIELDS
    fields = _fields(sequence, "NegTokenInit", names)
    if 0 not in fields:
        raise SpnegoError("NegTokenInit: no mechTypes [0]")
    types = _only(fields[0].value, _SEQUENCE, "NegTokenInit mechTypes")
    mechs = tuple(
        decode_oid(_expect(e, _OID, "NegTokenInit mechTypes"), "NegTokenInit mechTypes")
        for e in _children(types.value, "NegTokenInit mechTypes")
    )
    if not mechs:
        raise SpnegoError("NegTokenInit: mechTypes is empty")
    if 1 in fields:
        _only(fields[1].value, _BIT_STRING, "NegTokenInit reqFlags")
    token = _only(fields[2].value, _OCTET_STRING, "NegTokenInit mechToken").value if 2 in fields else None
    mic_field = 4 if names is _INIT2_FIELDS else 3
    mic = _only(fields[mic_field].value, _OCTET_STRING, "NegTokenInit mechListMIC").value if mic_field in fields else None
    return NegTokenInit(mechs, types.raw, token, mic)


def _decode_resp(value: bytes) -> NegTokenResp:
    sequence = _only(value, _SEQUENCE, "NegTokenResp").value
    fields = _fields(sequence, "NegTokenResp", _RESP_FIELDS)
    state = None
    if 0 in fields:
        body = _only(fields[0].value, _ENUMERATED, "NegTokenResp negState").value
        if len(body) != 1 or body[0] not in NEG_STATES:
            raise SpnegoError(f"NegTokenResp negState: {body.hex()} is not 0, 1, 2 or 3")
        state = body[0]
    mech = (
        decode_oid(_only(fields[1].value, _OID, "NegTokenResp supportedMech").value, "NegTokenResp supportedMech")
        if 1 in fields
        else None
    )
    token = _only(fields[2].value, _OCTET_STRING, "NegTokenResp responseToken").value if 2 in fields else None
    mic = _only(fields[3].value, _OCTET_STRING, "NegTokenResp mechListMIC").value if 3 in fields else None
    return NegTokenResp(state, mech, token, mic)
