"""The NTLM module against published test vectors: RFC 1320 (MD4), MS-NLMP 4.2 (NTLMv2, keys,
sealing), and a third-party AUTHENTICATE_MESSAGE with a MIC and channel bindings (Chromium's).

The byte values live in tests/data/ntlm/vectors.json with their sources.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sspimodel.ntlm import (
    AccountTable,
    AuthenticateMessage,
    AvId,
    ChallengeMessage,
    ClientSession,
    LogonDenied,
    MicMismatch,
    NegotiateFlags,
    NtlmV2ClientChallenge,
    SecurityContext,
    ServerSession,
    TargetInfo,
    Version,
    channel_bindings_hash,
    crypto,
)

VECTORS: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "ntlm" / "vectors.json").read_text())
COMMON = VECTORS["ms_nlmp_4_2_1"]
V2 = VECTORS["ms_nlmp_4_2_4"]
H = bytes.fromhex


def _feed(*chunks: bytes):
    """A random source that hands out the given bytes in order, and fails when asked for more."""
    pending = list(chunks)

    def random(n: int) -> bytes:
        chunk = pending.pop(0)
        assert len(chunk) == n, (len(chunk), n)
        return chunk

    return random


def _never() -> int:
    raise AssertionError("the clock must not be read when the server sends a timestamp / the vector fixes it")


@pytest.mark.parametrize(("text", "digest"), VECTORS["md4_rfc1320"]["cases"])
def test_md4_matches_rfc1320(text: str, digest: str) -> None:
    assert crypto.md4(text.encode("ascii")).hex() == digest


def test_ntowfv1_and_ntowfv2() -> None:
    assert crypto.nt_hash(COMMON["password"]).hex() == VECTORS["ms_nlmp_4_2_2_1_2_ntowfv1"]["value"]
    key = crypto.ntowfv2(COMMON["password"], COMMON["user"], COMMON["domain"])
    assert key.hex() == V2["ntowfv2_4_2_4_1_1"]


def test_ntproofstr_session_base_key_lmv2_and_encrypted_session_key() -> None:
    key = crypto.ntowfv2(COMMON["password"], COMMON["user"], COMMON["domain"])
    info, _ = TargetInfo.decode(H(V2["target_info"]))
    temp = H(V2["temp_4_2_4_1_3"])
    assert NtlmV2ClientChallenge(COMMON["time"], H(COMMON["client_challenge"]), info).encode() == temp
    proof, base = crypto.nt_proof_and_session_base_key(key, H(COMMON["server_challenge"]), temp)
    assert proof.hex() == V2["nt_proof_str_4_2_4_2_2"]
    assert base.hex() == V2["session_base_key_4_2_4_1_2"]
    lm = crypto.lmv2_response(key, H(COMMON["server_challenge"]), H(COMMON["client_challenge"]))
    assert lm.hex() == V2["lmv2_response_4_2_4_2_1"]
    assert crypto.rc4k(base, H(COMMON["random_session_key"])).hex() == V2["encrypted_session_key_4_2_4_2_3"]


def test_the_4_2_4_3_challenge_message_decodes_and_reencodes_byte_for_byte() -> None:
    raw = H(V2["challenge_message_4_2_4_3"])
    msg = ChallengeMessage.decode(raw)
    assert msg.flags == V2["challenge_flags"]
    assert msg.server_challenge.hex() == COMMON["server_challenge"]
    assert msg.target_name == COMMON["server_name"]
    assert msg.version == Version(6, 0, 6000, 15)
    assert msg.target_info is not None
    assert msg.target_info.get_str(AvId.MsvAvNbDomainName) == COMMON["domain"]
    assert msg.target_info.get_str(AvId.MsvAvNbComputerName) == COMMON["server_name"]
    assert msg.target_info.timestamp() is None
    assert msg.encode() == raw


def _spec_client() -> ClientSession:
    return ClientSession(
        user=COMMON["user"],
        domain=COMMON["domain"],
        password=COMMON["password"],
        workstation=COMMON["workstation"],
        random=_feed(H(COMMON["client_challenge"]), H(COMMON["random_session_key"])),
        clock=lambda: COMMON["time"],  # no MsvAvTimestamp in the 4.2.4 challenge: Time is the client's
        send_channel_bindings=False,
    )


def test_client_builds_the_4_2_4_authenticate_fields() -> None:
    client = _spec_client()
    client.negotiate()
    out = client.authenticate(H(V2["challenge_message_4_2_4_3"]))
    msg = AuthenticateMessage.decode(out)
    assert msg.lm_response.hex() == V2["lmv2_response_4_2_4_2_1"]
    assert msg.nt_response.hex() == V2["nt_proof_str_4_2_4_2_2"] + V2["temp_4_2_4_1_3"]
    assert msg.encrypted_random_session_key.hex() == V2["encrypted_session_key_4_2_4_2_3"]
    assert (msg.domain, msg.user, msg.workstation) == (COMMON["domain"], COMMON["user"], COMMON["workstation"])
    assert msg.flags == V2["challenge_flags"]
    assert msg.mic is None  # the 4.2.4 challenge has no MsvAvTimestamp, so no MIC (3.1.5.1.2)
    assert client.exported_session_key == H(COMMON["random_session_key"])


def test_server_accepts_the_4_2_4_exchange_and_rejects_a_wrong_password() -> None:
    fixed = ChallengeMessage.decode(H(V2["challenge_message_4_2_4_3"]))
    for password, ok in ((COMMON["password"], True), ("password", False)):
        client = _spec_client()
        server = ServerSession(
            AccountTable({COMMON["user"]: password}), random=_feed(), clock=_never, fixed_challenge=fixed
        )
        challenge = server.challenge(client.negotiate())
        authenticate = client.authenticate(challenge)
        if ok:
            assert server.accept(authenticate).user == COMMON["user"]
            assert server.exported_session_key == H(COMMON["random_session_key"])
        else:
            with pytest.raises(LogonDenied):
                server.accept(authenticate)


def test_signing_and_sealing_keys() -> None:
    key = H(COMMON["random_session_key"])
    assert crypto.sign_key(key, client=True).hex() == V2["client_signing_key_4_2_4_4"]
    assert crypto.seal_key(key, True, True, False).hex() == V2["client_sealing_key_4_2_4_4"]
    other = VECTORS["pyspnego_ess_keys"]
    assert crypto.sign_key(key, client=False).hex() == other["server_signing_key"]
    for name, expected in other["seal_keys"].items():
        side, bits = name.split("_")
        got = crypto.seal_key(key, side == "client", bits == "128", bits == "56")
        assert got.hex() == expected, name


def test_the_4_2_4_4_sealed_message_and_signature() -> None:
    plaintext = "Plaintext".encode("utf-16-le")
    flags = V2["challenge_flags"]
    sealed, signature = SecurityContext(flags, H(COMMON["random_session_key"]), is_client=True).seal(plaintext)
    assert sealed.hex() == V2["sealed_data_4_2_4_4"]
    assert signature.hex() == V2["signature_4_2_4_4"]
    # The receiving side (the server's view of the client-to-server direction) opens it.
    server = SecurityContext(flags, H(COMMON["random_session_key"]), is_client=False)
    assert server.unseal(sealed, signature) == plaintext
    # Without key exchange the checksum is not RC4-encrypted.
    no_kx = flags & ~NegotiateFlags.NTLMSSP_NEGOTIATE_KEY_EXCH
    sealed2, signature2 = SecurityContext(no_kx, H(COMMON["random_session_key"]), is_client=True).seal(plaintext)
    assert sealed2 == sealed
    assert signature2.hex() == VECTORS["pyspnego_ess_keys"]["signature_without_key_exch"]


CHROMIUM = VECTORS["chromium_ntlmv2_with_mic"]


def test_channel_bindings_hash_matches_the_published_value() -> None:
    assert channel_bindings_hash(H(CHROMIUM["channel_bindings_application_data"])).hex() == CHROMIUM["channel_bindings_hash"]
    assert channel_bindings_hash(None) == b"\x00" * 16


def _chromium_server(password: str) -> ServerSession:
    return ServerSession(
        AccountTable({COMMON["user"]: password}),
        random=_feed(),
        clock=_never,
        fixed_challenge=ChallengeMessage.decode(H(V2["challenge_message_4_2_4_3"])),
        channel_bindings=H(CHROMIUM["channel_bindings_application_data"]),
    )


def test_server_accepts_a_third_party_authenticate_with_mic_and_channel_bindings() -> None:
    server = _chromium_server(COMMON["password"])
    server.challenge(H(CHROMIUM["negotiate"]))
    user = server.accept(H(CHROMIUM["authenticate"]))
    assert (user.user, user.domain, user.workstation) == (COMMON["user"], COMMON["domain"], COMMON["workstation"])
    assert user.target_name == CHROMIUM["target_name"]
    msg = AuthenticateMessage.decode(H(CHROMIUM["authenticate"]))
    assert msg.mic is not None and msg.mic.hex() == CHROMIUM["mic"]


def test_third_party_authenticate_with_another_negotiate_fails_the_mic() -> None:
    server = _chromium_server(COMMON["password"])
    altered = bytearray(H(CHROMIUM["negotiate"]))
    altered[12] ^= 0x04  # NTLMSSP_REQUEST_TARGET off: the server still answers, the MIC no longer matches
    server.challenge(bytes(altered))
    with pytest.raises(MicMismatch):
        server.accept(H(CHROMIUM["authenticate"]))
