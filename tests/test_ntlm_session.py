"""Client and server sessions of the NTLM module against each other: deterministic handshakes,
sign/seal with sequence numbers, wrong passwords, and tampering of every bit of every message."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sspimodel.ntlm import (
    AccountTable,
    ChannelBindingsMismatch,
    ClientSession,
    LogonDenied,
    MalformedMessage,
    MessageAltered,
    MicMismatch,
    NegotiationFailure,
    NtlmError,
    OutOfSequence,
    ProtocolStateError,
    SecurityContext,
    SecurityContextState,
    ServerSession,
)

CLOCK = 133_500_000_000_000_000
ACCOUNTS = AccountTable({"alice": "Passw0rd!alice", ("CONTOSO", "bob"): "Passw0rd!bob"})
# What the model will report for a rejected handshake message (see sspimodel/ntlm/errors.py).
HANDSHAKE_STATUSES = {"SEC_E_INVALID_TOKEN", "SEC_E_MESSAGE_ALTERED", "SEC_E_LOGON_DENIED", "SEC_E_UNSUPPORTED_FUNCTION"}


def pair(seed: int = 1, *, user: str = "alice", password: str = "Passw0rd!alice", **server_kw):
    rnd = random.Random(seed)
    client = ClientSession(
        user, "CONTOSO", password, random=rnd.randbytes, clock=lambda: CLOCK, target_name="HTTP/web.contoso.com",
        channel_bindings=server_kw.pop("client_bindings", None),
    )
    server = ServerSession(ACCOUNTS, random=rnd.randbytes, clock=lambda: CLOCK, **server_kw)
    return client, server


def handshake(client: ClientSession, server: ServerSession, tamper=None):
    """Runs the three legs; ``tamper(leg, bytes) -> bytes`` may alter any message in transit."""
    tamper = tamper or (lambda leg, data: data)
    negotiate = tamper(0, client.negotiate())
    challenge = tamper(1, server.challenge(negotiate))
    authenticate = tamper(2, client.authenticate(challenge))
    return server.accept(authenticate), (negotiate, challenge, authenticate)


def test_same_inputs_same_bytes() -> None:
    _, first = handshake(*pair(5))
    _, second = handshake(*pair(5))
    _, other = handshake(*pair(6))
    assert first == second
    assert first[1] != other[1] and first[2] != other[2]


def test_seal_and_sign_both_directions_with_sequence_numbers() -> None:
    client, server = pair()
    user, _ = handshake(client, server)
    assert (user.user, user.domain, user.target_name) == ("alice", "CONTOSO", "HTTP/web.contoso.com")
    assert client.exported_session_key == server.exported_session_key
    c, s = client.context, server.context
    assert c is not None and s is not None
    for i in range(3):
        sealed, sig = c.seal(f"request {i}".encode())
        assert sealed != f"request {i}".encode()
        assert s.unseal(sealed, sig) == f"request {i}".encode()
        sig = s.sign(f"reply {i}".encode())
        assert sig[12:] == (2 * i).to_bytes(4, "little")  # the server's own counter: seal then sign
        c.verify(f"reply {i}".encode(), sig)
        sealed, sig = s.seal(b"x" * i)
        assert c.unseal(sealed, sig) == b"x" * i
    assert (c.send_sequence, c.receive_sequence, s.send_sequence, s.receive_sequence) == (3, 6, 6, 3)


@pytest.mark.parametrize(
    ("user", "password"),
    [("alice", "wrong"), ("mallory", "Passw0rd!alice"), ("bob", "Passw0rd!alice")],
    ids=["wrong password", "unknown account", "another account's password"],
)
def test_wrong_credentials_are_logon_denied(user: str, password: str) -> None:
    client, server = pair(user=user, password=password)
    with pytest.raises(LogonDenied) as info:
        handshake(client, server)
    assert info.value.status == "SEC_E_LOGON_DENIED"
    assert server.context is None


def test_domain_bound_account_needs_its_domain() -> None:
    rnd = random.Random(3)
    client = ClientSession("bob", "FABRIKAM", "Passw0rd!bob", random=rnd.randbytes, clock=lambda: CLOCK)
    server = ServerSession(ACCOUNTS, random=rnd.randbytes, clock=lambda: CLOCK)
    with pytest.raises(LogonDenied):
        handshake(client, server)


@pytest.mark.parametrize("leg", [0, 1, 2], ids=["NEGOTIATE", "CHALLENGE", "AUTHENTICATE"])
def test_every_flipped_bit_of_every_message_is_rejected(leg: int) -> None:
    _, messages = handshake(*pair(9))
    size = len(messages[leg])
    outcomes: dict[str, int] = {}
    for bit in range(size * 8):

        def flip(at: int, data: bytes, bit: int = bit) -> bytes:
            if at != leg:
                return data
            out = bytearray(data)
            out[bit // 8] ^= 1 << (bit % 8)
            return bytes(out)

        client, server = pair(9)
        with pytest.raises(NtlmError) as info:
            handshake(client, server, flip)
        assert info.value.status in HANDSHAKE_STATUSES, (bit, info.value)
        assert server.context is None
        outcomes[type(info.value).__name__] = outcomes.get(type(info.value).__name__, 0) + 1
    # Each leg is caught by more than one mechanism; the MIC catches what nothing else does.
    assert "MicMismatch" in outcomes, outcomes


def test_flipped_mic_is_a_mic_mismatch() -> None:
    def flip(at: int, data: bytes) -> bytes:
        return data[:72] + bytes([data[72] ^ 1]) + data[73:] if at == 2 else data

    with pytest.raises(MicMismatch) as info:
        handshake(*pair(), tamper=flip)
    assert info.value.status == "SEC_E_MESSAGE_ALTERED"


@pytest.mark.parametrize("part", ["signature", "message"])
def test_every_flipped_bit_of_a_sealed_message_or_its_signature_is_rejected(part: str) -> None:
    plaintext = b"transfer 100 to bob"
    for bit in range((16 if part == "signature" else len(plaintext)) * 8):
        client, server = pair(2)
        handshake(client, server)
        assert client.context is not None and server.context is not None
        sealed, sig = client.context.seal(plaintext)
        target = bytearray(sig if part == "signature" else sealed)
        target[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises((MessageAltered, OutOfSequence, MalformedMessage)):
            if part == "signature":
                server.context.unseal(sealed, bytes(target))
            else:
                server.context.unseal(bytes(target), sig)


def test_signature_checks_order_and_content() -> None:
    client, server = pair()
    handshake(client, server)
    assert client.context is not None and server.context is not None
    first = client.context.sign(b"one")
    second = client.context.sign(b"two")
    with pytest.raises(OutOfSequence) as info:
        server.context.verify(b"two", second)  # the server expects SeqNum 0 first
    assert info.value.status == "SEC_E_OUT_OF_SEQUENCE"
    client, server = pair()
    handshake(client, server)
    assert client.context is not None and server.context is not None
    sig = client.context.sign(b"one")
    with pytest.raises(MessageAltered):
        server.context.verify(b"One", sig)
    with pytest.raises(MalformedMessage, match=r"NTLMSSP_MESSAGE_SIGNATURE\.Length"):
        server.context.verify(b"one", sig[:15])
    del first


def test_channel_bindings_are_checked_when_the_server_has_them() -> None:
    client, server = pair(client_bindings=b"tls-server-end-point:abc", channel_bindings=b"tls-server-end-point:abc")
    handshake(client, server)
    client, server = pair(client_bindings=b"tls-server-end-point:abc", channel_bindings=b"tls-server-end-point:xyz")
    with pytest.raises(ChannelBindingsMismatch) as info:
        handshake(client, server)
    assert info.value.status == "SEC_E_BAD_BINDINGS"
    client, server = pair(channel_bindings=b"tls-server-end-point:xyz")  # client sends none (zeros)
    with pytest.raises(ChannelBindingsMismatch):
        handshake(client, server)


def test_calls_out_of_order_are_protocol_state_errors() -> None:
    client, server = pair()
    with pytest.raises(ProtocolStateError):
        client.authenticate(b"")
    with pytest.raises(ProtocolStateError):
        server.accept(b"")
    negotiate = client.negotiate()
    with pytest.raises(ProtocolStateError):
        client.negotiate()
    challenge = server.challenge(negotiate)
    with pytest.raises(ProtocolStateError):
        server.challenge(negotiate)
    server.accept(client.authenticate(challenge))
    with pytest.raises(ProtocolStateError):
        client.authenticate(challenge)


def test_a_client_without_extended_session_security_is_refused() -> None:
    client, server = pair()
    client.flags &= ~0x00080000
    with pytest.raises(NegotiationFailure) as info:
        handshake(client, server)
    assert info.value.status == "SEC_E_UNSUPPORTED_FUNCTION"


def test_no_host_clock_or_randomness_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import time

    def refuse(*_args: object) -> None:
        raise AssertionError("the NTLM module read the host's clock or randomness")

    for module, name in ((os, "urandom"), (time, "time"), (time, "time_ns")):
        monkeypatch.setattr(module, name, refuse)
    client, server = pair(4)
    handshake(client, server)
    assert client.context is not None and server.context is not None
    sealed, sig = client.context.seal(b"x")
    assert server.context.unseal(sealed, sig) == b"x"


EDITS = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6)


def _edit(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    out = bytearray(data)
    for where, value in edits:
        out[where % len(out)] = value
    return bytes(out[:cut] if cut is not None else out)


@settings(max_examples=200, deadline=None)
@given(leg=st.sampled_from([0, 1, 2]), edits=EDITS, cut=st.none() | st.integers(0, 400))
def test_mutated_handshake_messages_fail_typed_or_not_at_all(leg: int, edits: list[tuple[int, int]], cut: int | None) -> None:
    client, server = pair(11)
    try:
        handshake(client, server, lambda at, data: _edit(data, edits, cut) if at == leg else data)
    except NtlmError as e:
        assert e.status in HANDSHAKE_STATUSES
        assert server.context is None
    else:
        # Only an edit that changed nothing can go through.
        _, clean = handshake(*pair(11))
        assert _edit(clean[leg], edits, cut) == clean[leg]


def test_a_restored_context_continues_both_streams() -> None:
    client, server = pair(12)
    handshake(client, server)
    assert client.context is not None and server.context is not None
    for i in range(3):
        sealed, sig = client.context.seal(b"before %d" % i)
        server.context.unseal(sealed, sig)
    sealed, sig = server.context.seal(b"reply")
    client.context.unseal(sealed, sig)
    state = server.context.state()
    assert (state.send_sequence, state.receive_sequence) == (1, 3)
    moved = SecurityContext.restore(state)
    assert moved.state() == state
    # The restored server context and the client keep talking in both directions.
    sealed, sig = client.context.seal(b"after")
    assert moved.unseal(sealed, sig) == b"after"
    sealed, sig = moved.seal(b"from the restored context")
    assert client.context.unseal(sealed, sig) == b"from the restored context"
    client.context.verify(b"signed", moved.sign(b"signed"))


def test_sequence_numbers_wrap_at_32_bits() -> None:
    client, server = pair(13)
    handshake(client, server)
    assert client.context is not None and server.context is not None
    c, s = client.context.state(), server.context.state()
    sender = SecurityContext.restore(
        SecurityContextState(c.flags, c.exported_session_key, True, 0xFFFFFFFF, 0, c.send_stream_position, 0)
    )
    receiver = SecurityContext.restore(
        SecurityContextState(s.flags, s.exported_session_key, False, 0, 0xFFFFFFFF, 0, s.receive_stream_position)
    )
    first, second = sender.sign(b"a"), sender.sign(b"b")
    assert (first[12:], second[12:]) == (b"\xff\xff\xff\xff", b"\x00\x00\x00\x00")
    receiver.verify(b"a", first)
    receiver.verify(b"b", second)


def test_a_target_info_too_long_to_copy_into_the_response_is_a_typed_failure() -> None:
    # The client copies the server's TargetInfo into its NTLMv2 response (plus its own pairs):
    # a TargetInfo just under 64 KiB makes NtChallengeResponse longer than its 16-bit Len holds.
    from sspimodel.ntlm import ChallengeMessage, TargetInfo, Version
    from sspimodel.ntlm.errors import FieldTooLong

    client, _ = pair(3)
    client.negotiate()
    info = TargetInfo(((2, "D".encode("utf-16-le")), (1, "S".encode("utf-16-le")), (7, bytes(8)), (0x7F, bytes(65_450))))
    challenge = ChallengeMessage(
        server_challenge=bytes(8), target_name="D", target_info=info, flags=0xE2898235, version=Version()
    ).encode()
    with pytest.raises(FieldTooLong) as refused:
        client.authenticate(challenge)
    assert refused.value.message == "AUTHENTICATE_MESSAGE" and refused.value.field == "NtChallengeResponse"
    assert refused.value.length > 0xFFFF and isinstance(refused.value, NtlmError)
    assert refused.value.status in HANDSHAKE_STATUSES
