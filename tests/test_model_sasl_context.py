"""SASL contexts: SaslInitializeSecurityContextA/W, SaslAcceptSecurityContext (the wrapped
handshake, the cookies) and SaslGetContextOption / SaslSetContextOption."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sspimodel import Sspi, default_world
from sspimodel.contract import ContractError
from sspimodel.model import CtxtHandle, Ref, SecBuffer, SecBufferDesc, sasl
from sspimodel.model.constants import (
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_INTEGRITY,
    ISC_REQ_MUTUAL_AUTH,
    SECBUFFER_DATA,
    SECBUFFER_TOKEN,
    SECPKG_ATTR_SIZES,
    SECURITY_NATIVE_DREP,
)
from sspimodel.model.drive import acquire, handshake
from sspimodel.model.sasl import SaslPair

FACTS = yaml.safe_load((Path(__file__).parent / "data" / "sasl_facts.yaml").read_text(encoding="utf-8"))
SEND, RECV, AUTHZ_STRING, AUTHZ_PROCESSING = 1, 2, 3, 4
FORBIDDEN = (0).to_bytes(4, "little")


def _pair(package: str = "Kerberos", req: int = ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY, **kw) -> SaslPair:
    world = default_world()
    return SaslPair(Sspi(world, 100), Sspi(world, 200), package, req, **kw)


def _steps(pair: SaslPair) -> list[tuple[str, str, str]]:
    return pair.steps


def _ulong(result) -> int:
    assert result.status == 0, result.status
    return int.from_bytes(result.Value, "little")


def test_the_module_values_are_the_header_and_rfc_values() -> None:
    options = {name: v["value"] for name, v in FACTS["sasl_option"].items()}
    assert options == {
        "SASL_OPTION_SEND_SIZE": sasl.SASL_OPTION_SEND_SIZE,
        "SASL_OPTION_RECV_SIZE": sasl.SASL_OPTION_RECV_SIZE,
        "SASL_OPTION_AUTHZ_STRING": sasl.SASL_OPTION_AUTHZ_STRING,
        "SASL_OPTION_AUTHZ_PROCESSING": sasl.SASL_OPTION_AUTHZ_PROCESSING,
    }
    states = FACTS["sasl_authzid_state"]
    assert states["Sasl_AuthZIDForbidden"]["value"] == sasl.SASL_AUTHZID_FORBIDDEN
    assert states["Sasl_AuthZIDProcessed"]["value"] == sasl.SASL_AUTHZID_PROCESSED
    layer = FACTS["security_layer"]
    assert (layer["no_security_layer"], layer["integrity"], layer["confidentiality"]) == (
        sasl.LAYER_NONE,
        sasl.LAYER_INTEGRITY,
        sasl.LAYER_CONFIDENTIALITY,
    )


def test_cookies_are_a_layer_byte_and_a_three_byte_big_endian_size() -> None:
    assert sasl.server_cookie(7, 0x0FFFF) == bytes([7, 0x00, 0xFF, 0xFF])
    assert sasl.client_cookie(2, 0x123456, b"u:bob") == bytes([2, 0x12, 0x34, 0x56]) + b"u:bob"
    assert sasl.server_cookie(1, 0x7FFFFFFF) == bytes([1, 0xFF, 0xFF, 0xFF])  # at most 0xFFFFFF
    assert sasl.parse_cookie(bytes([4, 0, 0x10, 0]) + b"x") == (4, 0x1000, b"x")
    assert sasl.parse_cookie(b"\x01\x00\x00") is None


@pytest.mark.parametrize(
    ("package", "req", "expected"),
    [
        # Kerberos with mutual authentication: the server's AP-REP costs one round trip.
        (
            "Kerberos",
            ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY,
            ["sisc.wrapped.SEC_I_CONTINUE_NEEDED", "sasc.wrapped.ok", "sisc.wrapped.ok", "sasc.cookie.offer",
             "sisc.cookie.ok", "sasc.cookie.ok"],
        ),
        # NTLM: the server's last leg has no token, the cookie goes out at once.
        (
            "NTLM",
            ISC_REQ_CONFIDENTIALITY,
            ["sisc.wrapped.SEC_I_CONTINUE_NEEDED", "sasc.wrapped.SEC_I_CONTINUE_NEEDED", "sisc.wrapped.ok",
             "sasc.wrapped.ok", "sisc.cookie.ok", "sasc.cookie.ok"],
        ),
        ("Negotiate", ISC_REQ_INTEGRITY, ["sisc.wrapped.ok", "sasc.wrapped.ok", "sisc.cookie.ok", "sasc.cookie.ok"]),
    ],
)
def test_an_exchange_runs_the_package_handshake_then_the_cookies(package, req, expected) -> None:
    pair = _pair(package, req).run()
    assert [rule for _, _, rule in pair.steps] == expected
    assert pair.done
    assert [status for _, status, _ in pair.steps][-2:] == ["SEC_E_OK", "SEC_E_OK"]


def test_the_wrapped_call_is_the_plain_one_same_rule_same_token() -> None:
    """The first SASL call is decided by InitializeSecurityContextW's own table: same rule, same
    token bytes as the plain call in an identical world."""
    pair = _pair("NTLM", ISC_REQ_CONFIDENTIALITY)
    sasl_token = pair.client().pOutput.token_bytes
    world = default_world()
    cli = Sspi(world, 100)
    Sspi(world, 200)  # the same processes as the pair's world
    cred = acquire(cli, "NTLM", 0x2)
    acquire(Sspi(world, 200), "NTLM", 0x1)
    plain = cli.InitializeSecurityContextW(
        phCredential=cred, phContext=None, pTargetName="HTTP/web.contoso.com", fContextReq=ISC_REQ_CONFIDENTIALITY,
        Reserved1=0, TargetDataRep=SECURITY_NATIVE_DREP, pInput=None, Reserved2=0, pOutput=SecBufferDesc.output(4096),
    )
    assert cli.last_rule.id == "isc.continue"
    assert pair.steps[0][2] == "sisc.wrapped.SEC_I_CONTINUE_NEEDED"
    assert plain.pOutput.token_bytes == sasl_token


def test_a_failure_of_the_wrapped_call_is_passed_on() -> None:
    pair = _pair("Kerberos", ISC_REQ_MUTUAL_AUTH, target="HTTP/nowhere")
    result = pair.client()
    assert result.status.name == "SEC_E_TARGET_UNKNOWN"
    assert pair.steps[0][2] == "sisc.wrapped.SEC_E_TARGET_UNKNOWN"


def test_the_options_start_at_their_documented_defaults() -> None:
    pair = _pair()
    pair.client()
    cli, ctx = pair.cli, pair.client_ctx
    assert _ulong(cli.SaslGetContextOption(ContextHandle=ctx, Option=SEND)) == 0x0FFFF
    assert _ulong(cli.SaslGetContextOption(ContextHandle=ctx, Option=RECV)) == 0x0FFFF
    assert _ulong(cli.SaslGetContextOption(ContextHandle=ctx, Option=AUTHZ_PROCESSING)) == 1  # Processed
    authz = cli.SaslGetContextOption(ContextHandle=ctx, Option=AUTHZ_STRING)
    assert (authz.status, authz.Value, authz.Size, authz.Needed) == (0, b"", 0, 0)


def test_send_size_is_the_peers_receive_size_less_the_package_overheads() -> None:
    pair = _pair()
    for step in (pair.client, pair.server, pair.client):
        step()
    # The server's cookie is not out yet (one round trip): its receive size goes into it.
    small = (4096).to_bytes(4, "little")
    assert pair.srv.SaslSetContextOption(ContextHandle=pair.server_ctx, Option=RECV, Value=small, Size=4).status == 0
    pair.server()
    pair.client()
    pair.server()
    assert pair.done
    sizes = pair.cli.QueryContextAttributesW(phContext=pair.client_ctx, ulAttribute=SECPKG_ATTR_SIZES).pBuffer
    overhead = sizes.cbBlockSize + sizes.cbSecurityTrailer + sizes.cbMaxSignature
    assert _ulong(pair.cli.SaslGetContextOption(ContextHandle=pair.client_ctx, Option=SEND)) == 4096 - overhead
    # The client chose integrity (it asked for ISC_REQ_INTEGRITY); the server got the client's
    # default receive size less the same overheads.
    assert sasl.sasl_state(pair.srv.process.contexts[pair.server_ctx.dwLower]).layer == sasl.LAYER_INTEGRITY
    assert _ulong(pair.srv.SaslGetContextOption(ContextHandle=pair.server_ctx, Option=SEND)) == 0x0FFFF - overhead


def test_the_client_authorization_identity_reaches_the_server() -> None:
    pair = _pair()
    pair.client()
    authz = b"u:CONTOSO\\bob"
    assert pair.cli.SaslSetContextOption(
        ContextHandle=pair.client_ctx, Option=AUTHZ_STRING, Value=authz, Size=len(authz)
    ).status == 0
    pair.run()
    assert pair.done
    got = pair.srv.SaslGetContextOption(ContextHandle=pair.server_ctx, Option=AUTHZ_STRING)
    assert (got.status, got.Value, got.Size) == (0, authz, len(authz))


def test_a_server_that_forbids_authz_refuses_a_client_cookie_carrying_one() -> None:
    pair = _pair()
    pair.client()
    pair.cli.SaslSetContextOption(ContextHandle=pair.client_ctx, Option=AUTHZ_STRING, Value=b"u:bob", Size=5)
    pair.server()
    assert pair.srv.SaslSetContextOption(
        ContextHandle=pair.server_ctx, Option=AUTHZ_PROCESSING, Value=FORBIDDEN, Size=4
    ).status == 0
    pair.run()
    assert pair.steps[-1] == ("server", "SEC_E_ALGORITHM_MISMATCH", "sasc.cookie.authz_forbidden")


def test_a_client_whose_authz_string_is_forbidden_cannot_answer_the_cookie() -> None:
    pair = _pair()
    pair.client()
    pair.cli.SaslSetContextOption(ContextHandle=pair.client_ctx, Option=AUTHZ_STRING, Value=b"u:bob", Size=5)
    pair.cli.SaslSetContextOption(ContextHandle=pair.client_ctx, Option=AUTHZ_PROCESSING, Value=FORBIDDEN, Size=4)
    pair.run()
    assert pair.steps[-1] == ("client", "SEC_E_ALGORITHM_MISMATCH", "sisc.cookie.authz_forbidden")
    # and the string itself can no longer be read or set
    assert pair.cli.SaslGetContextOption(ContextHandle=pair.client_ctx, Option=AUTHZ_STRING).status.name == (
        "SEC_E_UNSUPPORTED_FUNCTION"
    )


def test_a_cookie_that_does_not_decrypt_is_an_invalid_token() -> None:
    pair = _pair()
    for step in (pair.client, pair.server, pair.client, pair.server):
        step()
    cookie = bytearray(pair.token or b"")
    cookie[-1] ^= 0xFF
    result = pair.client(pInput=SecBufferDesc.token(bytes(cookie)))
    assert (result.status.name, pair.steps[-1][2]) == ("SEC_E_INVALID_TOKEN", "sisc.cookie.undecryptable")


def test_a_client_cookie_choosing_a_layer_not_offered_is_an_invalid_token() -> None:
    pair = _pair("NTLM", ISC_REQ_CONFIDENTIALITY)
    for step in (pair.client, pair.server, pair.client, pair.server):
        step()
    # In place of the genuine client cookie, one sealed on the same context (NTLM's sealing stream
    # and sequence number are those the genuine cookie would have used)
    world_msg = SecBufferDesc([SecBuffer(SECBUFFER_TOKEN, None, 128), SecBuffer(SECBUFFER_DATA, bytes([8, 0, 16, 0]))])
    pair.cli.EncryptMessage(phContext=pair.client_ctx, fQOP=0, pMessage=world_msg, MessageSeqNo=0)
    forged = world_msg[0].contents + world_msg[1].contents
    result = pair.server(pInput=SecBufferDesc.token(forged))
    assert pair.steps[-1][2] == "sasc.cookie.layer_not_offered"
    assert result.status.name == "SEC_E_INVALID_TOKEN"


def test_no_token_buffer_for_the_cookie_is_an_invalid_token() -> None:
    pair = _pair()
    for step in (pair.client, pair.server, pair.client):
        step()
    result = pair.server(pOutput=SecBufferDesc([SecBuffer(SECBUFFER_DATA, None, 4096)]))
    assert (result.status.name, pair.steps[-1][2]) == ("SEC_E_INVALID_TOKEN", "sasc.cookie.no_output")


def test_ntlm_without_confidentiality_cannot_seal_the_cookie() -> None:
    """The model's NTLM offers no SECQOP_WRAP_NO_ENCRYPT: with neither confidentiality nor that
    QOP the server sends nothing, and says why on its next call."""
    pair = _pair("NTLM", 0).run()
    assert pair.steps[3][2] == "sasc.wrapped.ok" and pair.steps[3][1] == "SEC_I_CONTINUE_NEEDED"
    assert pair.steps[-1][:2] == ("client", "SEC_E_INVALID_TOKEN")
    result = pair.server()
    assert (result.status.name, pair.steps[-1][2]) == ("SEC_E_INVALID_TOKEN", "sasc.cookie.no_output")


def test_only_contexts_a_sasl_function_touched_are_on_the_sasl_list() -> None:
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    hs = handshake(cli, srv, "NTLM")
    assert cli.SaslGetContextOption(ContextHandle=hs.client_ctx, Option=SEND).status.name == "SEC_E_INVALID_HANDLE"
    assert cli.SaslGetContextOption(ContextHandle=CtxtHandle(0, 0), Option=SEND).status.name == "SEC_E_INVALID_HANDLE"
    pair = SaslPair(cli, srv, "NTLM", ISC_REQ_CONFIDENTIALITY).run()
    assert cli.SaslGetContextOption(ContextHandle=pair.client_ctx, Option=SEND).status == 0
    assert cli.DeleteSecurityContext(phContext=pair.client_ctx).status == 0
    assert cli.SaslGetContextOption(ContextHandle=pair.client_ctx, Option=SEND).status.name == "SEC_E_INVALID_HANDLE"
    # another process's SASL context is not on this process's list
    assert cli.SaslGetContextOption(ContextHandle=pair.server_ctx, Option=SEND).status.name == "SEC_E_INVALID_HANDLE"


def test_set_option_refusals() -> None:
    pair = _pair().run()
    cli, ctx = pair.cli, pair.client_ctx
    assert cli.SaslSetContextOption(ContextHandle=ctx, Option=RECV, Value=b"\x00\x10", Size=2).status.name == (
        "SEC_E_BUFFER_TOO_SMALL"
    )
    with pytest.raises(ContractError, match="Size"):
        cli.SaslSetContextOption(ContextHandle=ctx, Option=RECV, Value=b"\x00\x10", Size=4)
    with pytest.raises(ContractError, match=r"Value.*SASL_AUTHZID_STATE"):
        cli.SaslSetContextOption(ContextHandle=ctx, Option=AUTHZ_PROCESSING, Value=(7).to_bytes(4, "little"), Size=4)
    with pytest.raises(ContractError, match="Option"):
        cli.SaslSetContextOption(ContextHandle=ctx, Option=9, Value=b"\x00\x00\x00\x00", Size=4)
    with pytest.raises(ContractError, match="Option"):
        cli.SaslGetContextOption(ContextHandle=ctx, Option=0)
    # refused calls changed nothing
    assert _ulong(cli.SaslGetContextOption(ContextHandle=ctx, Option=AUTHZ_PROCESSING)) == 1


def test_the_page_contract_refuses_a_bare_null_first_call() -> None:
    """The pages mark phContext and pInput [in] and not optional, yet say both are NULL on the
    first call: the generated contract refuses None; an empty cell (Ref(None)) is the model's way."""
    pair = _pair()
    with pytest.raises(ContractError, match="phContext"):
        pair.client(phContext=None)
    assert pair.client(phContext=Ref(None)).status.name == "SEC_I_CONTINUE_NEEDED"


def test_the_ansi_variant_runs_the_same_exchange() -> None:
    pair = _pair("NTLM", ISC_REQ_CONFIDENTIALITY, client_function="SaslInitializeSecurityContextA").run()
    assert pair.done


def test_an_exchange_is_deterministic() -> None:
    def run() -> list:
        pair = _pair("NTLM", ISC_REQ_CONFIDENTIALITY)
        tokens = []
        for step in (pair.client, pair.server, pair.client, pair.server, pair.client, pair.server):
            step()
            tokens.append(pair.token)
        return [pair.steps, tokens]

    assert run() == run()


def test_explain_shows_the_wrapped_calls_package_leg() -> None:
    pair = _pair("Kerberos", ISC_REQ_MUTUAL_AUTH, target="HTTP/nowhere")
    pair.client()
    text = str(pair.cli.explain())
    assert "sisc.wrapped.SEC_E_TARGET_UNKNOWN" in text
    assert "package leg: Kerberos leg target_unknown" in text
