"""NTLMSSP message encoding and strict decoding: every malformation is a MalformedMessage naming
the structure, the field and the offset; nothing else escapes a decoder."""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sspimodel.ntlm import (
    AccountTable,
    AuthenticateMessage,
    AvFlags,
    AvId,
    ChallengeMessage,
    ClientSession,
    MalformedMessage,
    NegotiateMessage,
    NtlmV2ClientChallenge,
    ServerSession,
    TargetInfo,
    Version,
    message_type,
)

CLOCK = 133_500_000_000_000_000  # 2024-01-21 (FILETIME)


def _handshake(seed: int = 7) -> tuple[bytes, bytes, bytes]:
    rnd = random.Random(seed)
    client = ClientSession(
        "alice", "CONTOSO", "Passw0rd!alice", random=rnd.randbytes, clock=lambda: CLOCK, target_name="HTTP/web.contoso.com"
    )
    server = ServerSession(AccountTable({"alice": "Passw0rd!alice"}), random=rnd.randbytes, clock=lambda: CLOCK)
    negotiate = client.negotiate()
    challenge = server.challenge(negotiate)
    authenticate = client.authenticate(challenge)
    server.accept(authenticate)
    return negotiate, challenge, authenticate


NEGOTIATE, CHALLENGE, AUTHENTICATE = _handshake()
DECODERS = {
    "NEGOTIATE": (NegotiateMessage.decode, NEGOTIATE),
    "CHALLENGE": (ChallengeMessage.decode, CHALLENGE),
    "AUTHENTICATE": (AuthenticateMessage.decode, AUTHENTICATE),
}


def test_messages_round_trip() -> None:
    assert NegotiateMessage.decode(NEGOTIATE).encode() == NEGOTIATE
    assert ChallengeMessage.decode(CHALLENGE).encode() == CHALLENGE
    auth = AuthenticateMessage.decode(AUTHENTICATE)
    assert auth.encode() == AUTHENTICATE
    assert auth.user == "alice" and auth.domain == "CONTOSO"
    assert [message_type(m) for m in (NEGOTIATE, CHALLENGE, AUTHENTICATE)] == [1, 2, 3]


def test_authenticate_carries_mic_timestamp_flags_target_name_and_channel_bindings() -> None:
    challenge = ChallengeMessage.decode(CHALLENGE)
    assert challenge.target_info is not None
    assert challenge.target_info.timestamp() == CLOCK
    auth = AuthenticateMessage.decode(AUTHENTICATE)
    assert auth.mic is not None and auth.mic != b"\x00" * 16
    info = auth.client_challenge().target_info
    assert info.flags() & AvFlags.MIC_PROVIDED
    assert info.get_str(AvId.MsvAvTargetName) == "HTTP/web.contoso.com"
    assert info.get(AvId.MsvAvChannelBindings) == b"\x00" * 16
    assert auth.client_challenge().timestamp == CLOCK
    assert auth.lm_response == b"\x00" * 24  # Z(24) when the server sent a timestamp (3.1.5.1.2)


def test_negotiate_with_oem_domain_and_workstation() -> None:
    msg = NegotiateMessage(0x1, domain="CONTOSO", workstation="WS1", version=Version(10, 0, 1, 15))
    back = NegotiateMessage.decode(msg.encode())
    assert (back.domain, back.workstation, back.version) == ("CONTOSO", "WS1", Version(10, 0, 1, 15))


@pytest.mark.parametrize("kind", sorted(DECODERS))
def test_every_truncation_is_a_malformed_message(kind: str) -> None:
    decode, data = DECODERS[kind]
    for n in range(len(data)):
        with pytest.raises(MalformedMessage):
            decode(data[:n])


def _set(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def _av_list(*pairs: tuple[int, bytes], eol: bytes = b"\x00\x00\x00\x00") -> bytes:
    return b"".join(struct.pack("<HH", k, len(v)) + v for k, v in pairs) + eol


def _challenge_with_info(info: bytes) -> bytes:
    """The handshake's CHALLENGE with its TargetInfo payload replaced by ``info``."""
    msg = ChallengeMessage.decode(CHALLENGE)
    base = ChallengeMessage(msg.flags, msg.server_challenge, msg.target_name, TargetInfo(), msg.version).encode()
    # TargetInfo is the last payload: cut the 4-byte EOL list off and append ``info``.
    out = base[:-4] + info
    return _set(out, 40, "<I", len(info) | (len(info) << 16))


AUTH_DOMAIN_FIELDS = 28
CASES = [
    # (name, decoder, bytes, expected structure, field, offset)
    ("signature", ChallengeMessage.decode, b"NTLMSSQ\x00" + CHALLENGE[8:], "CHALLENGE_MESSAGE", "Signature", 0),
    ("message type", ChallengeMessage.decode, AUTHENTICATE, "CHALLENGE_MESSAGE", "MessageType", 8),
    (
        "payload past the end",
        AuthenticateMessage.decode,
        _set(AUTHENTICATE, AUTH_DOMAIN_FIELDS + 4, "<I", len(AUTHENTICATE) - 2),
        "AUTHENTICATE_MESSAGE",
        "DomainNameFields",
        AUTH_DOMAIN_FIELDS,
    ),
    (
        "payload inside the fixed header",
        ChallengeMessage.decode,
        _set(CHALLENGE, 16, "<I", 20),
        "CHALLENGE_MESSAGE",
        "TargetNameFields",
        12,
    ),
    (
        "MIC announced, payload over the MIC field",
        AuthenticateMessage.decode,
        _set(AUTHENTICATE, AUTH_DOMAIN_FIELDS + 4, "<I", 80),
        "AUTHENTICATE_MESSAGE",
        "MIC",
        72,
    ),
    (
        "odd UTF-16 length",
        ChallengeMessage.decode,
        _set(CHALLENGE, 12, "<H", 11),
        "CHALLENGE_MESSAGE",
        "TargetNameFields",
        12,
    ),
    (
        "AV list without MsvAvEOL",
        ChallengeMessage.decode,
        _challenge_with_info(_av_list((2, "D".encode("utf-16-le")), eol=b"")),
        "CHALLENGE_MESSAGE.TargetInfo",
        "AvId",
        None,
    ),
    (
        "MsvAvEOL with a length",
        ChallengeMessage.decode,
        _challenge_with_info(_av_list(eol=b"\x00\x00\x02\x00\x00\x00")),
        "CHALLENGE_MESSAGE.TargetInfo",
        "AvLen",
        None,
    ),
    (
        "repeated AvId",
        ChallengeMessage.decode,
        _challenge_with_info(_av_list((2, b"D\x00"), (2, b"E\x00"))),
        "CHALLENGE_MESSAGE.TargetInfo",
        "AvId",
        None,
    ),
    (
        "MsvAvTimestamp of 4 bytes",
        ChallengeMessage.decode,
        _challenge_with_info(_av_list((AvId.MsvAvTimestamp, b"\x00" * 4))),
        "CHALLENGE_MESSAGE.TargetInfo",
        "MsvAvTimestamp",
        None,
    ),
    (
        "a name that is not UTF-16",
        ChallengeMessage.decode,
        _challenge_with_info(_av_list((AvId.MsvAvNbDomainName, b"\x00\xd8"))),  # a lone surrogate
        "CHALLENGE_MESSAGE.TargetInfo",
        "MsvAvNbDomainName",
        None,
    ),
    (
        "AV value past the list",
        ChallengeMessage.decode,
        _challenge_with_info(struct.pack("<HH", 2, 40) + b"D\x00"),
        "CHALLENGE_MESSAGE.TargetInfo",
        "Value",
        None,
    ),
    (
        "bytes after MsvAvEOL",
        ChallengeMessage.decode,
        _challenge_with_info(_av_list() + b"\x00\x00"),
        "CHALLENGE_MESSAGE",
        "TargetInfoFields",
        40,
    ),
]


@pytest.mark.parametrize(("name", "decode", "data", "structure", "fieldname", "offset"), CASES, ids=[c[0] for c in CASES])
def test_malformations_name_structure_field_and_offset(name, decode, data, structure, fieldname, offset) -> None:
    with pytest.raises(MalformedMessage) as info:
        decode(data)
    err = info.value
    assert (err.message, err.field) == (structure, fieldname), str(err)
    if offset is not None:
        assert err.offset == offset
    assert str(err).startswith(f"{structure}.{fieldname} at offset {err.offset}: ")
    assert err.status == "SEC_E_INVALID_TOKEN"


def _auth_with_nt_response(mutate) -> bytes:
    msg = AuthenticateMessage.decode(AUTHENTICATE)
    nt = bytearray(msg.nt_response)
    mutate(nt)
    return AuthenticateMessage(
        msg.flags, msg.lm_response, bytes(nt), msg.domain, msg.user, msg.workstation,
        msg.encrypted_random_session_key, msg.version, msg.mic,
    ).encode()


def test_ntlmv2_client_challenge_resp_type_is_checked() -> None:
    data = _auth_with_nt_response(lambda nt: nt.__setitem__(16, 2))
    with pytest.raises(MalformedMessage, match=r"^NTLMv2_CLIENT_CHALLENGE\.RespType at offset \d+: is 2, MUST be 1$"):
        AuthenticateMessage.decode(data)


def test_mic_announced_without_room_for_it() -> None:
    msg = AuthenticateMessage.decode(AUTHENTICATE)
    no_mic_field = AuthenticateMessage(
        msg.flags, msg.lm_response, msg.nt_response, msg.domain, msg.user, msg.workstation,
        msg.encrypted_random_session_key, msg.version, None,
    ).encode()
    with pytest.raises(MalformedMessage, match=r"^AUTHENTICATE_MESSAGE\.MIC at offset 72: MsvAvFlags announces a MIC"):
        AuthenticateMessage.decode(no_mic_field)


def test_encrypted_session_key_must_be_16_bytes() -> None:
    msg = AuthenticateMessage.decode(AUTHENTICATE)
    data = AuthenticateMessage(
        msg.flags, msg.lm_response, msg.nt_response, msg.domain, msg.user, msg.workstation,
        b"\x01" * 15, msg.version, msg.mic,
    ).encode()
    with pytest.raises(MalformedMessage, match=r"EncryptedRandomSessionKeyFields at offset 52: Len 15, expected 16"):
        AuthenticateMessage.decode(data)


def test_unicode_flag_is_required_in_challenge_and_authenticate() -> None:
    with pytest.raises(MalformedMessage, match="NTLMSSP_NEGOTIATE_UNICODE"):
        ChallengeMessage.decode(_set(CHALLENGE, 20, "<I", ChallengeMessage.decode(CHALLENGE).flags & ~1))
    with pytest.raises(MalformedMessage, match="NTLMSSP_NEGOTIATE_UNICODE"):
        AuthenticateMessage.decode(_set(AUTHENTICATE, 60, "<I", AuthenticateMessage.decode(AUTHENTICATE).flags & ~1))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_escape_as_anything_but_malformed(data: bytes) -> None:
    for decode, _ in DECODERS.values():
        try:
            decode(data)
        except MalformedMessage:
            pass
    try:
        message_type(data)
    except MalformedMessage:
        pass


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(DECODERS)), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6))
def test_mutated_messages_decode_or_fail_typed(kind: str, edits: list[tuple[int, int]]) -> None:
    decode, data = DECODERS[kind]
    out = bytearray(data)
    for where, value in edits:
        out[where % len(out)] = value
    try:
        msg = decode(bytes(out))
    except MalformedMessage:
        return
    if isinstance(msg, AuthenticateMessage) and len(msg.nt_response) > 24:
        msg.client_challenge()  # decodes or raises MalformedMessage, as above


NAMES = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)


@settings(max_examples=200, deadline=None)
@given(
    flags=st.integers(0, 0xFFFFFFFF).map(lambda f: f | 0x1),  # Unicode is required
    challenge=st.binary(min_size=8, max_size=8),
    target_name=NAMES,
    domain=NAMES,
    computer=NAMES,
    timestamp=st.integers(0, 2**64 - 1),
)
def test_challenge_round_trips(flags: int, challenge: bytes, target_name: str, domain: str, computer: str, timestamp: int) -> None:
    info = TargetInfo.from_names(MsvAvNbDomainName=domain, MsvAvNbComputerName=computer).with_pair(
        AvId.MsvAvTimestamp, struct.pack("<Q", timestamp)
    )
    msg = ChallengeMessage(flags, challenge, target_name, info, Version(10, 0, 1, 15))
    back = ChallengeMessage.decode(msg.encode())
    assert back.server_challenge == challenge
    assert back.target_name == target_name
    assert back.target_info == info
    assert back.target_info is not None and back.target_info.timestamp() == timestamp
    assert back.encode() == msg.encode()


@settings(max_examples=200, deadline=None)
@given(domain=NAMES, user=NAMES, workstation=NAMES, key=st.sampled_from([b"", b"\x07" * 16]), with_mic=st.booleans())
def test_authenticate_round_trips(domain: str, user: str, workstation: str, key: bytes, with_mic: bool) -> None:
    original = AuthenticateMessage.decode(AUTHENTICATE)
    info = original.client_challenge().target_info
    if not with_mic:
        info = info.with_pair(AvId.MsvAvFlags, b"\x00\x00\x00\x00")
    nt = original.nt_response[:16] + NtlmV2ClientChallenge(CLOCK, b"\x01" * 8, info).encode()
    msg = AuthenticateMessage(
        original.flags, b"\x00" * 24, nt, domain, user, workstation, key, Version(), b"\x05" * 16 if with_mic else None
    )
    back = AuthenticateMessage.decode(msg.encode())
    assert (back.domain, back.user, back.workstation) == (domain, user, workstation)
    assert back.encrypted_random_session_key == key
    assert back.mic == msg.mic
    assert back.nt_response == nt
    assert back.encode() == msg.encode()


def test_an_av_pair_too_long_for_its_avlen_is_field_too_long() -> None:
    # MS-NLMP 2.2.2.1: AvLen is 2 bytes. A value longer (an MsvAvTargetName of a target name over
    # 32,767 characters) is a typed FieldTooLong naming the pair, never struct.error.
    from sspimodel.ntlm.errors import FieldTooLong

    info = TargetInfo(((int(AvId.MsvAvNbDomainName), b"D\x00"), (int(AvId.MsvAvTargetName), b"t\x00" * 40_000)))
    with pytest.raises(FieldTooLong) as refused:
        info.encode()
    assert (refused.value.message, refused.value.field, refused.value.length) == ("AV_PAIR", "MsvAvTargetName", 80_000)
    assert "(MS-NLMP 2.2.2.1)" in str(refused.value)
