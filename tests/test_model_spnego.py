"""The Negotiate package's SPNEGO (RFC 4178, MS-SPNG): the DER codec, the four tokens, the
mechListMIC, and interop with pyspnego's and sspi-rs's Negotiate."""

from __future__ import annotations

import pytest

from sspimodel.api import Sspi
from sspimodel.conform.cross import PairingResult, pairings, run_pairing
from sspimodel.model import SecBufferDesc, spnego, tokens
from sspimodel.model.constants import SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND, SECURITY_NATIVE_DREP
from sspimodel.model.drive import acquire
from sspimodel.model.world import default_world

# A NegTokenInit and a final NegTokenResp as pyspnego 0.12's Negotiate client and server sent them
# (captured from a run on this machine): outside facts of the wire format, to decode.
PYSPNEGO_INIT = bytes.fromhex(
    "604806062b0601050502a03e303ca00e300c060a2b06010401823702020aa22a04284e544c4d5353500001000000"
    "378208e200000000280000000000000028000000000c04000000000f"
)
PYSPNEGO_FINAL = bytes.fromhex("a11b3019a0030a0100a31204100100000019764f177d9ae34400000000")


def test_oids_encode_and_decode() -> None:
    for oid, der in (
        (spnego.NTLM_OID, "060a2b06010401823702020a"),
        (spnego.SPNEGO_OID, "06062b0601050502"),
        (spnego.KERBEROS_OID, "06092a864886f712010202"),
    ):
        assert spnego.encode_oid(oid).hex() == der
        assert spnego.decode_oid(bytes.fromhex(der)[2:]) == oid


def test_a_real_negtokeninit_decodes_and_reencodes_byte_for_byte() -> None:
    init = spnego.decode(PYSPNEGO_INIT)
    assert isinstance(init, spnego.NegTokenInit)
    assert init.mech_types == (spnego.NTLM_OID,)
    assert init.mech_token is not None and init.mech_token.startswith(b"NTLMSSP\x00\x01")
    assert init.mech_types_der == spnego.mech_type_list((spnego.NTLM_OID,))
    assert spnego.encode_init(init.mech_types, init.mech_token) == PYSPNEGO_INIT


def test_a_real_final_negtokenresp_decodes_and_reencodes() -> None:
    resp = spnego.decode(PYSPNEGO_FINAL)
    assert resp == spnego.NegTokenResp(spnego.ACCEPT_COMPLETED, None, None, resp.mech_list_mic)
    assert resp.mech_list_mic is not None and len(resp.mech_list_mic) == 16
    assert spnego.encode_resp(spnego.ACCEPT_COMPLETED, mech_list_mic=resp.mech_list_mic) == PYSPNEGO_FINAL


def test_long_lengths_round_trip() -> None:
    token = bytes(range(256)) * 3
    encoded = spnego.encode_resp(spnego.ACCEPT_INCOMPLETE, spnego.NTLM_OID, token, b"m" * 16)
    assert spnego.decode(encoded) == spnego.NegTokenResp(spnego.ACCEPT_INCOMPLETE, spnego.NTLM_OID, token, b"m" * 16)


@pytest.mark.parametrize(
    ("data", "names"),
    [
        (PYSPNEGO_FINAL[:-1], "announces"),
        (PYSPNEGO_FINAL + b"\x00", "after its end"),
        (b"\xa1\x80" + PYSPNEGO_FINAL[2:], "indefinite length"),
        (bytes.fromhex("a1053003a00100"), "negState"),
        (bytes.fromhex("a1083006a1040602ffff"), "supportedMech"),
        (bytes.fromhex("a1073005a5030a0100"), "unknown field [5]"),
        (bytes.fromhex("a10a3008a1030a0101a0010a"), "NegTokenResp"),
        (bytes.fromhex("30020500"), "expected 0x60"),
    ],
)
def test_bad_der_is_refused_naming_the_element(data: bytes, names: str) -> None:
    with pytest.raises(spnego.SpnegoError, match=names.replace("[", r"\[")):
        spnego.decode(data)


def test_parse_reads_spnego_as_negotiate_frames() -> None:
    frame = tokens.parse(PYSPNEGO_INIT, b"k" * 32)
    assert isinstance(frame, tokens.Frame)
    assert (frame.kind, frame.package, frame.raw) == (tokens.Kind.NTLM_NEGOTIATE, 9, PYSPNEGO_INIT)
    assert frame.payload.startswith(b"NTLMSSP\x00")
    final = tokens.parse(PYSPNEGO_FINAL, b"k" * 32)
    assert isinstance(final, tokens.Frame) and final.kind is tokens.Kind.SPNEGO_RESP
    cut = tokens.parse(PYSPNEGO_INIT[:30], b"k" * 32)
    assert isinstance(cut, tokens.Bad) and cut.problem is tokens.Problem.TRUNCATED


def test_parse_keeps_the_decoded_spnego_token_for_the_package_step() -> None:
    # The package step reads negState and mechListMIC from the frame's token, not a second decode.
    for raw in (PYSPNEGO_INIT, PYSPNEGO_FINAL):
        frame = tokens.parse(raw, b"k" * 32)
        assert isinstance(frame, tokens.Frame)
        assert frame.spnego == spnego.decode(raw)
        assert tokens.Frame(*tokens.open_frame(raw, b"k" * 32)) == frame  # the token takes no part in ==
    assert tokens.parse(b"NTLMSSP\x00\x01\x00\x00\x00" + bytes(20), b"k" * 32).spnego is None


def pair() -> tuple[object, Sspi, Sspi]:
    world = default_world()
    return world, Sspi(world, 100), Sspi(world, 200)


def isc(sspi: Sspi, cred: object, ctx: object, token: bytes | None, target: str) -> tuple[object, SecBufferDesc]:
    out = SecBufferDesc.output(48256)
    given = SecBufferDesc.token(token) if token is not None else None
    return sspi.InitializeSecurityContextW(
        phCredential=cred, phContext=ctx, pTargetName=target, fContextReq=0, Reserved1=0,
        TargetDataRep=SECURITY_NATIVE_DREP, pInput=given, Reserved2=0, pOutput=out,
    ), out  # fmt: skip


def asc(sspi: Sspi, cred: object, ctx: object, token: bytes | None) -> tuple[object, SecBufferDesc]:
    out = SecBufferDesc.output(48256)
    given = SecBufferDesc.token(token) if token is not None else None
    return sspi.AcceptSecurityContext(
        phCredential=cred, phContext=ctx, pInput=given, fContextReq=0, TargetDataRep=SECURITY_NATIVE_DREP,
        pOutput=out,
    ), out  # fmt: skip


def _handshake(tamper: int | None = None) -> list[tuple[str, bytes | None]]:
    """Model client and model server, Negotiate falling back to NTLM (target without an SPN);
    ``tamper``: the token (0-based) whose last-but-8th byte (a mechListMIC checksum bit) flips."""
    _world, cli, srv = pair()
    target = "HTTP/nowhere.contoso.com"
    cc = acquire(cli, "Negotiate", SECPKG_CRED_OUTBOUND)
    sc = acquire(srv, "Negotiate", SECPKG_CRED_INBOUND)
    out: list[tuple[str, bytes | None]] = []
    cctx = sctx = None
    token: bytes | None = None
    for n in range(5):
        if n % 2 == 0:
            r, o = isc(cli, cc, cctx, token, target=target)
            cctx = r.phNewContext
        else:
            r, o = asc(srv, sc, sctx, token)
            sctx = r.phNewContext
        token = o.token_bytes or None
        if token and n == tamper:
            token = token[:-8] + bytes([token[-8] ^ 1]) + token[-7:]
        out.append((r.status.name, token))
        if r.status.name not in ("SEC_I_CONTINUE_NEEDED", "SEC_E_OK") or token is None:
            break
    return out


def test_the_four_tokens_and_the_statuses() -> None:
    steps = _handshake()
    assert [s for s, _ in steps] == [
        "SEC_I_CONTINUE_NEEDED", "SEC_I_CONTINUE_NEEDED", "SEC_I_CONTINUE_NEEDED", "SEC_E_OK", "SEC_E_OK"
    ]  # fmt: skip
    init, challenge, auth, final, last = (t for _, t in steps)
    assert last is None
    i = spnego.decode(init or b"")
    assert isinstance(i, spnego.NegTokenInit) and i.mech_types == (spnego.NTLM_OID,)
    c = spnego.decode(challenge or b"")
    assert c == spnego.NegTokenResp(spnego.ACCEPT_INCOMPLETE, spnego.NTLM_OID, c.response_token)
    assert c.response_token is not None and c.response_token[8:12] == b"\x02\x00\x00\x00"
    a = spnego.decode(auth or b"")
    assert isinstance(a, spnego.NegTokenResp) and a.response_token is not None
    assert a.response_token[8:12] == b"\x03\x00\x00\x00"
    # mechListMIC: an NTLMSSP_MESSAGE_SIGNATURE (version 1) with SeqNum 0
    assert a.mech_list_mic is not None and a.mech_list_mic[:4] == b"\x01\x00\x00\x00" and a.mech_list_mic[12:] == bytes(4)
    f = spnego.decode(final or b"")
    assert isinstance(f, spnego.NegTokenResp) and f.neg_state == spnego.ACCEPT_COMPLETED and f.response_token is None
    assert f.mech_list_mic is not None and f.mech_list_mic[12:] == bytes(4) and f.mech_list_mic != a.mech_list_mic


def test_the_handshake_is_the_same_bytes_on_every_run() -> None:
    assert _handshake() == _handshake()


def test_a_flipped_client_mech_list_mic_is_refused_by_the_server() -> None:
    steps = _handshake(tamper=2)
    assert [s for s, _ in steps] == ["SEC_I_CONTINUE_NEEDED"] * 3 + ["SEC_E_INVALID_TOKEN"]


def test_a_flipped_server_mech_list_mic_is_refused_by_the_client() -> None:
    steps = _handshake(tamper=3)
    assert [s for s, _ in steps] == ["SEC_I_CONTINUE_NEEDED"] * 3 + ["SEC_E_OK", "SEC_E_INVALID_TOKEN"]


def test_the_ntlm_package_refuses_a_spnego_token() -> None:
    _world, _cli, srv = pair()
    sc = acquire(srv, "NTLM", SECPKG_CRED_INBOUND)
    r, _ = asc(srv, sc, None, PYSPNEGO_INIT)
    assert r.status.name == "SEC_E_INVALID_TOKEN"


# -- interop ------------------------------------------------------------------------------------

PAIRINGS = pairings("Negotiate")
HANDSHAKE = ["SEC_I_CONTINUE_NEEDED", "SEC_I_CONTINUE_NEEDED", "SEC_I_CONTINUE_NEEDED", "SEC_E_OK", "SEC_E_OK"]


def _run(client: str, server: str) -> PairingResult:
    result = run_pairing("Negotiate", client, server)
    if result.skipped:
        pytest.skip(result.skipped)
    return result


def _statuses(result: PairingResult, prefix: str) -> list[str]:
    return [status for what, status in result.steps if what.startswith(prefix)]


@pytest.mark.parametrize(("client", "server"), PAIRINGS, ids=[f"{c}-client-{s}-server" for c, s in PAIRINGS])
def test_negotiate_model_and_real_peer_understand_each_other(client: str, server: str) -> None:
    result = _run(client, server)
    assert result.understood, result.problems
    assert _statuses(result, "handshake") == HANDSHAKE
    assert _statuses(result, "seal") == ["SEC_E_OK", "SEC_E_OK"]
    assert _statuses(result, "flipped bit") == ["SEC_E_MESSAGE_ALTERED", "SEC_E_MESSAGE_ALTERED"]
    # the model refuses a flipped mechListMIC with SEC_E_INVALID_TOKEN, on either side
    if server == "model":
        assert _statuses(result, "flipped client mechListMIC bit")[-1] == "SEC_E_INVALID_TOKEN"
    else:
        assert _statuses(result, "flipped server mechListMIC bit")[-1] == "SEC_E_INVALID_TOKEN"
    assert _statuses(result, "wrong password")[-1] == "SEC_E_LOGON_DENIED"


def test_sspi_rs_negotiate_server_is_skipped_only_when_its_own_client_fails_too() -> None:
    result = run_pairing("Negotiate", "model", "sspi-rs")
    if result.skipped and "not installed" in result.skipped:
        pytest.skip(result.skipped)
    assert result.understood or "own Negotiate client either" in result.skipped, (result.skipped, result.problems)
