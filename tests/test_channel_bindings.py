"""Channel bindings (SECBUFFER_CHANNEL_BINDINGS beside the token in pInput) bind NTLM to the channel.

The client's AUTHENTICATE_MESSAGE carries the MD5 of its SEC_CHANNEL_BINDINGS (MsvAvChannelBindings);
a server that passes its own refuses other bindings with SEC_E_BAD_BINDINGS (errata
impl-ntlm-bad-bindings) and lets a client without bindings through (an interpretation).
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import pytest

from sspimodel.api import Sspi
from sspimodel.contract import ContractError
from sspimodel.model import SecBuffer, SecBufferDesc, default_world
from sspimodel.model.constants import (
    SECBUFFER_CHANNEL_BINDINGS,
    SECBUFFER_TOKEN,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
    SECURITY_NATIVE_DREP,
)
from sspimodel.model.errata import load_errata
from sspimodel.model.rules import rules_for
from sspimodel.ntlm.messages import AuthenticateMessage, AvId

TLS_A = b"tls-server-end-point:" + bytes(range(32))
TLS_B = b"tls-server-end-point:" + bytes(range(1, 33))
UNKNOWN_TARGET = "HTTP/nowhere.contoso.com"  # no such service principal: Negotiate takes NTLM


def sec_channel_bindings(application: bytes, initiator: bytes = b"", initiator_type: int = 0) -> bytes:
    """A SEC_CHANNEL_BINDINGS: eight ULONGs, then the initiator address and the application data."""
    initiator_offset = 32 if initiator else 0
    header = struct.pack(
        "<8I",
        initiator_type,
        len(initiator),
        initiator_offset,
        0,
        0,
        0,
        len(application),
        32 + len(initiator),
    )
    return header + initiator + application


def handshake(package: str, client_bindings: bytes | None, server_bindings: bytes | None, target: str) -> Any:
    """The legs by hand, each side's bindings beside each input token; the statuses and the
    AUTHENTICATE the client sent (the last client token of an NTLM exchange)."""
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    ccred = cli.AcquireCredentialsHandleW(pPackage=package, fCredentialUse=SECPKG_CRED_OUTBOUND).phCredential
    scred = srv.AcquireCredentialsHandleW(pPackage=package, fCredentialUse=SECPKG_CRED_INBOUND).phCredential
    cctx = sctx = token = None
    steps: list[tuple[str, str]] = []
    client_tokens: list[bytes] = []
    for turn in range(6):
        out = SecBufferDesc.output(48256)
        client = turn % 2 == 0
        extra = client_bindings if client else server_bindings
        buffers = [SecBuffer(SECBUFFER_TOKEN, token)] if token else []
        if extra is not None:
            buffers.append(SecBuffer(SECBUFFER_CHANNEL_BINDINGS, extra))
        given = SecBufferDesc(buffers) if buffers else None
        if client:
            r = cli.InitializeSecurityContextW(
                phCredential=ccred, phContext=cctx, pTargetName=target, fContextReq=0, Reserved1=0,
                TargetDataRep=SECURITY_NATIVE_DREP, pInput=given, Reserved2=0, pOutput=out,
            )  # fmt: skip
            cctx = r.phNewContext or cctx
            steps.append(("client", r.status.name))
        else:
            r = srv.AcceptSecurityContext(
                phCredential=scred, phContext=sctx, pInput=given, fContextReq=0,
                TargetDataRep=SECURITY_NATIVE_DREP, pOutput=out,
            )  # fmt: skip
            sctx = r.phNewContext or sctx
            steps.append(("server", r.status.name))
        token = out.token_bytes or None
        if client and token:
            client_tokens.append(token)
        if r.status.is_error or token is None:
            break
    return steps, srv, client_tokens


def sent_bindings(authenticate: bytes) -> bytes | None:
    """MsvAvChannelBindings of an NTLM AUTHENTICATE_MESSAGE (bare, not under SPNEGO)."""
    return (
        AuthenticateMessage.decode(authenticate).client_challenge().target_info.get(AvId.MsvAvChannelBindings)
    )


def test_matching_bindings_complete_and_the_client_sends_their_md5() -> None:
    steps, _srv, tokens = handshake(
        "NTLM", sec_channel_bindings(TLS_A), sec_channel_bindings(TLS_A), UNKNOWN_TARGET
    )
    assert steps[-1] == ("server", "SEC_E_OK"), steps
    # MD5 of the flat gss_channel_bindings_struct: types, lengths and data, little-endian.
    flat = struct.pack("<I", 0) + struct.pack("<I", 0) + struct.pack("<I", 0) + struct.pack("<I", 0)
    flat += struct.pack("<I", len(TLS_A)) + TLS_A
    assert sent_bindings(tokens[-1]) == hashlib.md5(flat).digest()


def test_other_bindings_are_bad_bindings() -> None:
    steps, srv, _tokens = handshake(
        "NTLM", sec_channel_bindings(TLS_A), sec_channel_bindings(TLS_B), UNKNOWN_TARGET
    )
    assert steps[-1] == ("server", "SEC_E_BAD_BINDINGS"), steps
    # AcceptSecurityContext's rule asc.bad_bindings decided it, on its errata entry.
    assert srv.last_rule is not None and srv.last_rule.id == "asc.bad_bindings"
    assert srv.last_rule in rules_for("AcceptSecurityContext")
    bases = {getattr(b, "entry", None) for b in srv.last_rule.bases()}
    assert "impl-ntlm-bad-bindings" in bases


def test_negotiate_over_ntlm_checks_them_too() -> None:
    steps, _srv, _tokens = handshake(
        "Negotiate", sec_channel_bindings(TLS_A), sec_channel_bindings(TLS_B), UNKNOWN_TARGET
    )
    assert steps[-1] == ("server", "SEC_E_BAD_BINDINGS"), steps
    steps, _srv, _tokens = handshake(
        "Negotiate", sec_channel_bindings(TLS_A), sec_channel_bindings(TLS_A), UNKNOWN_TARGET
    )
    assert ("server", "SEC_E_OK") in steps, steps


def test_a_client_without_bindings_is_let_through_and_sends_zeros() -> None:
    steps, _srv, tokens = handshake("NTLM", None, sec_channel_bindings(TLS_B), UNKNOWN_TARGET)
    assert steps[-1] == ("server", "SEC_E_OK"), steps
    assert sent_bindings(tokens[-1]) == bytes(16)
    rule = next(r for r in rules_for("AcceptSecurityContext") if r.id == "asc.bad_bindings")
    assert any("let through" in getattr(b, "choice", "") for b in rule.bases())


def test_a_server_without_bindings_takes_any() -> None:
    steps, _srv, _tokens = handshake("NTLM", sec_channel_bindings(TLS_A), None, UNKNOWN_TARGET)
    assert steps[-1] == ("server", "SEC_E_OK"), steps


def test_addresses_are_part_of_the_hash() -> None:
    with_address = sec_channel_bindings(TLS_A, initiator=b"\x7f\x00\x00\x01", initiator_type=2)
    steps, _srv, _tokens = handshake("NTLM", with_address, sec_channel_bindings(TLS_A), UNKNOWN_TARGET)
    assert steps[-1] == ("server", "SEC_E_BAD_BINDINGS"), steps
    steps, _srv, _tokens = handshake("NTLM", with_address, with_address, UNKNOWN_TARGET)
    assert steps[-1] == ("server", "SEC_E_OK"), steps


def test_the_digest_is_the_one_pyspnego_computes() -> None:
    channel_bindings = pytest.importorskip("spnego.channel_bindings")
    theirs = channel_bindings.GssChannelBindings(
        initiator_addrtype=2, initiator_address=b"\x7f\x00\x00\x01", application_data=TLS_A
    )
    with_address = sec_channel_bindings(TLS_A, initiator=b"\x7f\x00\x00\x01", initiator_type=2)
    _steps, _srv, tokens = handshake("NTLM", with_address, with_address, UNKNOWN_TARGET)
    assert sent_bindings(tokens[-1]) == hashlib.md5(theirs.pack()).digest()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\x00" * 31, "at least 32 bytes"),
        (
            struct.pack("<8I", 0, 0, 0, 0, 0, 0, 10, 32) + b"short",
            "the application data (10 bytes at offset 32)",
        ),
        (struct.pack("<8I", 0, 4, 8, 0, 0, 0, 0, 32), "the initiator address (4 bytes at offset 8)"),
    ],
)
def test_a_buffer_that_holds_no_sec_channel_bindings_breaks_the_contract(data: bytes, problem: str) -> None:
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    ccred = cli.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND).phCredential
    out = SecBufferDesc.output(4096)
    cli.InitializeSecurityContextW(
        phCredential=ccred, phContext=None, pTargetName=UNKNOWN_TARGET, fContextReq=0, Reserved1=0,
        TargetDataRep=SECURITY_NATIVE_DREP, pInput=None, Reserved2=0, pOutput=out,
    )  # fmt: skip
    given = SecBufferDesc(
        [SecBuffer(SECBUFFER_TOKEN, out.token_bytes), SecBuffer(SECBUFFER_CHANNEL_BINDINGS, data)]
    )
    server_cred = srv.AcquireCredentialsHandleW(
        pPackage="NTLM", fCredentialUse=SECPKG_CRED_INBOUND
    ).phCredential
    with pytest.raises(ContractError, match="pInput") as info:
        srv.AcceptSecurityContext(
            phCredential=server_cred, phContext=None, pInput=given, fContextReq=0,
            TargetDataRep=SECURITY_NATIVE_DREP, pOutput=SecBufferDesc.output(4096),
        )  # fmt: skip
    assert "SECBUFFER_CHANNEL_BINDINGS" in str(info.value) and problem in str(info.value)


@pytest.mark.parametrize(
    ("protocol", "target", "legs"),
    [
        ("NTLM", UNKNOWN_TARGET, 2),  # NEGOTIATE, then AUTHENTICATE
        ("Kerberos", "HTTP/web.contoso.com", 1),  # the AP-REQ (process 200's account has the SPN)
    ],
)
def test_the_sspilib_layer_reports_bad_bindings_as_windows_error(protocol: str, target: str, legs: int) -> None:
    import sspimodel.sspilib as layer

    world = default_world()
    outcomes = []
    for server_data in (TLS_A, TLS_B):
        with layer.use_world(world, 100):
            cred = layer.UserCredential("alice", "Passw0rd!alice", domain="CONTOSO", protocol=protocol)
            client = layer.ClientSecurityContext(
                cred, target, channel_bindings=layer.raw.SecChannelBindings(application_data=TLS_A)
            )
        with layer.use_world(world, 200):
            server = layer.ServerSecurityContext(
                layer.UserCredential(protocol=protocol, usage="accept"),
                channel_bindings=layer.raw.SecChannelBindings(application_data=server_data),
            )
        try:
            token = client.step()
            for _ in range(legs - 1):
                token = client.step(server.step(token))
            server.step(token)
            outcomes.append("complete" if server.complete else "incomplete")
        except layer.WindowsError as e:
            outcomes.append(f"{e.winerror & 0xFFFFFFFF:#010x}")
    assert outcomes == ["complete", "0x80090346"]  # SEC_E_BAD_BINDINGS


def test_the_erratum_names_its_source() -> None:
    (entry,) = [e for e in load_errata() if e.id == "impl-ntlm-bad-bindings"]
    assert entry.kind == "implementation" and entry.code == "SEC_E_BAD_BINDINGS"
    assert "src/ntlm/messages/server/authenticate.rs" in entry.source


def test_queued_accept_reports_bad_bindings_when_the_work_is_done() -> None:
    """SspiAcceptSecurityContextAsync runs AcceptSecurityContext's table when its work runs: the
    final status SspiGetAsyncCallStatus reports is SEC_E_BAD_BINDINGS."""
    from sspimodel.model import CallerMode, Ref

    world = default_world()
    world.caller_mode = CallerMode.KERNEL
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    ccred = cli.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND).phCredential
    scred = srv.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_INBOUND).phCredential

    def client(context: Any, given: Any) -> Any:
        out = SecBufferDesc.output(4096)
        r = cli.InitializeSecurityContextW(
            phCredential=ccred, phContext=context, pTargetName=UNKNOWN_TARGET, fContextReq=0, Reserved1=0,
            TargetDataRep=SECURITY_NATIVE_DREP, pInput=given, Reserved2=0, pOutput=out,
        )  # fmt: skip
        return r.phNewContext or context, out.token_bytes

    cctx, negotiate = client(None, None)
    out = SecBufferDesc.output(4096)
    sctx = srv.AcceptSecurityContext(
        phCredential=scred, phContext=None, pInput=SecBufferDesc.token(negotiate), fContextReq=0,
        TargetDataRep=SECURITY_NATIVE_DREP, pOutput=out,
    ).phNewContext  # fmt: skip
    bindings_a = SecBuffer(SECBUFFER_CHANNEL_BINDINGS, sec_channel_bindings(TLS_A))
    _cctx, authenticate = client(
        cctx, SecBufferDesc([SecBuffer(SECBUFFER_TOKEN, out.token_bytes), bindings_a])
    )
    ctx = srv.SspiCreateAsyncContext().value
    given = SecBufferDesc(
        [
            SecBuffer(SECBUFFER_TOKEN, authenticate),
            SecBuffer(SECBUFFER_CHANNEL_BINDINGS, sec_channel_bindings(TLS_B)),
        ]
    )
    queued = srv.SspiAcceptSecurityContextAsync(
        AsyncContext=ctx, phCredential=scred, phContext=Ref(sctx), pInput=given, fContextReq=0,
        TargetDataRep=SECURITY_NATIVE_DREP, phNewContext=Ref(), pOutput=SecBufferDesc.output(4096),
        pfContextAttr=Ref(), ptsExpiry=Ref(),
    )  # fmt: skip
    assert queued.status.name == "SEC_E_OK"
    world.run_pending()
    assert srv.SspiGetAsyncCallStatus(Handle=ctx).status.name == "SEC_E_BAD_BINDINGS"
