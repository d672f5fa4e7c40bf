"""Channel bindings bind the model's Kerberos (also under Negotiate) to the channel.

The client's AP-REQ carries the Bnd of RFC 4121 4.1.1, the MD5 of the caller's SEC_CHANNEL_BINDINGS
(the value NTLM sends as MsvAvChannelBindings; zeros without bindings), inside the frame's MAC. A
server that passes other bindings refuses it with SEC_E_BAD_BINDINGS (errata
impl-kerberos-bad-bindings) and lets a client without bindings through (an interpretation).
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import pytest

from sspimodel.api import Sspi
from sspimodel.contract import ContractError
from sspimodel.model import CallerMode, Ref, SecBuffer, SecBufferDesc, World, default_world, tokens
from sspimodel.model.bindings import digest_of
from sspimodel.model.constants import (
    ISC_REQ_MUTUAL_AUTH,
    SECBUFFER_CHANNEL_BINDINGS,
    SECBUFFER_TOKEN,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
    SECURITY_NATIVE_DREP,
)
from sspimodel.model.errata import load_errata
from sspimodel.model.rules import rules_for

TLS_A = b"tls-server-end-point:" + bytes(range(32))
TLS_B = b"tls-server-end-point:" + bytes(range(1, 33))
TARGET = "HTTP/web.contoso.com"  # the service principal of process 200's account: Kerberos works
ZEROS = bytes(16)


def sec_channel_bindings(application: bytes) -> bytes:
    """A SEC_CHANNEL_BINDINGS of application data only (a TLS channel's): eight ULONGs, then the data."""
    return struct.pack("<8I", 0, 0, 0, 0, 0, 0, len(application), 32) + application


def md5_of_flat(application: bytes) -> bytes:
    """RFC 4121 4.1.1's Bnd computed here, independently of the model: the MD5 of the flat
    gss_channel_bindings_struct (address types and lengths zero, then the data's length and bytes)."""
    return hashlib.md5(struct.pack("<5I", 0, 0, 0, 0, len(application)) + application).digest()


def pinput(token: bytes | None, bindings: bytes | None) -> SecBufferDesc | None:
    buffers = [SecBuffer(SECBUFFER_TOKEN, token)] if token else []
    if bindings is not None:
        buffers.append(SecBuffer(SECBUFFER_CHANNEL_BINDINGS, bindings))
    return SecBufferDesc(buffers) if buffers else None


class Exchange:
    """One client (process 100) and one server (process 200) of a fresh default world."""

    def __init__(self, package: str = "Kerberos", *, kernel: bool = False) -> None:
        self.world: World = default_world()
        if kernel:
            self.world.caller_mode = CallerMode.KERNEL
        self.cli, self.srv = Sspi(self.world, 100), Sspi(self.world, 200)
        self.ccred = self.cli.AcquireCredentialsHandleW(
            pPackage=package, fCredentialUse=SECPKG_CRED_OUTBOUND
        ).phCredential
        self.scred = self.srv.AcquireCredentialsHandleW(
            pPackage=package, fCredentialUse=SECPKG_CRED_INBOUND
        ).phCredential

    def ap_req(self, bindings: bytes | None, flags: int = 0) -> bytes:
        out = SecBufferDesc.output(48256)
        r = self.cli.InitializeSecurityContextW(
            phCredential=self.ccred, phContext=None, pTargetName=TARGET, fContextReq=flags, Reserved1=0,
            TargetDataRep=SECURITY_NATIVE_DREP, pInput=pinput(None, bindings), Reserved2=0, pOutput=out,
        )  # fmt: skip
        assert r.status.name in ("SEC_E_OK", "SEC_I_CONTINUE_NEEDED"), r.status
        return out.token_bytes

    def accept(self, token: bytes, bindings: bytes | None) -> Any:
        self.out = SecBufferDesc.output(48256)
        return self.srv.AcceptSecurityContext(
            phCredential=self.scred, phContext=None, pInput=pinput(token, bindings), fContextReq=0,
            TargetDataRep=SECURITY_NATIVE_DREP, pOutput=self.out,
        )  # fmt: skip

    def server_contexts(self) -> int:
        return len(self.world.processes[200].contexts)


def bnd_of(world: World, ap_req: bytes) -> bytes:
    """The Bnd field of an AP-REQ frame (its last payload field)."""
    frame = tokens.parse(ap_req, world.key)
    assert isinstance(frame, tokens.Frame) and frame.kind is tokens.Kind.KERB_AP_REQ, frame
    fields = frame.fields()
    assert fields is not None and isinstance(fields[-1], bytes) and len(fields[-1]) == 16, fields
    return fields[-1]


def test_matching_bindings_complete_and_the_ap_req_carries_their_md5() -> None:
    for flags in (0, ISC_REQ_MUTUAL_AUTH):
        x = Exchange()
        token = x.ap_req(sec_channel_bindings(TLS_A), flags)
        assert bnd_of(x.world, token) == md5_of_flat(TLS_A) == digest_of(sec_channel_bindings(TLS_A))
        r = x.accept(token, sec_channel_bindings(TLS_A))
        assert r.status.name == "SEC_E_OK" and x.srv.last_rule.id == "asc.ok"
        assert x.server_contexts() == 1


def test_other_bindings_are_bad_bindings_and_no_server_context_is_made() -> None:
    for flags in (0, ISC_REQ_MUTUAL_AUTH):
        x = Exchange()
        token = x.ap_req(sec_channel_bindings(TLS_A), flags)
        r = x.accept(token, sec_channel_bindings(TLS_B))
        assert r.status.name == "SEC_E_BAD_BINDINGS"
        assert r.phNewContext is None and x.server_contexts() == 0
        assert not x.out.token_bytes  # no AP-REP for a client the server refused
        rule = x.srv.last_rule
        assert (
            rule is not None and rule.id == "asc.bad_bindings" and rule in rules_for("AcceptSecurityContext")
        )
        assert "impl-kerberos-bad-bindings" in {getattr(b, "entry", None) for b in rule.bases()}


def test_a_client_without_bindings_sends_zeros_and_is_let_through() -> None:
    x = Exchange()
    token = x.ap_req(None)
    assert bnd_of(x.world, token) == ZEROS
    r = x.accept(token, sec_channel_bindings(TLS_B))
    assert r.status.name == "SEC_E_OK" and x.server_contexts() == 1
    rule = next(r for r in rules_for("AcceptSecurityContext") if r.id == "asc.bad_bindings")
    choices = " ".join(getattr(b, "choice", "") for b in rule.bases())
    assert "let through" in choices and "zero Bnd" in choices


def test_a_server_without_bindings_takes_a_bound_client() -> None:
    x = Exchange()
    token = x.ap_req(sec_channel_bindings(TLS_A))
    assert bnd_of(x.world, token) == md5_of_flat(TLS_A)
    r = x.accept(token, None)
    assert r.status.name == "SEC_E_OK" and x.server_contexts() == 1


def test_negotiate_over_kerberos_checks_them_too() -> None:
    x = Exchange("Negotiate")
    token = x.ap_req(sec_channel_bindings(TLS_A))
    assert tokens.parse(token, x.world.key).package == 9  # Negotiate's id: it chose Kerberos (an AP-REQ)
    assert bnd_of(x.world, token) == md5_of_flat(TLS_A)
    assert x.accept(token, sec_channel_bindings(TLS_B)).status.name == "SEC_E_BAD_BINDINGS"
    assert x.accept(token, sec_channel_bindings(TLS_A)).status.name == "SEC_E_OK"


def test_a_bnd_changed_in_transit_is_an_altered_token() -> None:
    """The Bnd sits under the frame's MAC: an attacker who swaps it for the digest of the
    server's channel gets SEC_E_INVALID_TOKEN, not a bound context."""
    x = Exchange()
    token = x.ap_req(sec_channel_bindings(TLS_A))
    at = token.rindex(md5_of_flat(TLS_A))
    swapped = token[:at] + md5_of_flat(TLS_B) + token[at + 16 :]
    r = x.accept(swapped, sec_channel_bindings(TLS_B))
    assert r.status.name == "SEC_E_INVALID_TOKEN" and x.srv.last_rule.id == "asc.invalid_token"
    assert x.server_contexts() == 0
    # The untouched token, with the server's own bindings the client's, is accepted.
    assert x.accept(token, sec_channel_bindings(TLS_A)).status.name == "SEC_E_OK"


def test_a_well_made_ap_req_with_a_foreign_bnd_is_refused_for_its_bindings() -> None:
    """Rebuilt with the world's key (as a client bound to another channel would make it), the
    frame authenticates, and the server refuses the Bnd itself."""
    x = Exchange()
    frame = tokens.parse(x.ap_req(sec_channel_bindings(TLS_A)), x.world.key)
    fields = list(frame.fields() or [])
    rebuilt = tokens.build(
        x.world.key, frame.kind, frame.package, frame.conversation, [*fields[:-1], b"\x01" * 16]
    )
    assert x.accept(rebuilt, sec_channel_bindings(TLS_A)).status.name == "SEC_E_BAD_BINDINGS"


def test_the_client_reads_its_bindings_on_the_first_call() -> None:
    """The Kerberos client's first call has no input token; a SECBUFFER_CHANNEL_BINDINGS in pInput
    that holds no SEC_CHANNEL_BINDINGS breaks the caller's contract there."""
    x = Exchange()
    with pytest.raises(ContractError, match="SECBUFFER_CHANNEL_BINDINGS") as info:
        x.ap_req(b"\x00" * 31)
    assert "at least 32 bytes" in str(info.value)


# The sspilib layer's WindowsError for Kerberos: tests/test_channel_bindings.py (one test, both packages).


def test_sasl_accept_passes_bad_bindings_on() -> None:
    x = Exchange()
    token = x.ap_req(sec_channel_bindings(TLS_A))
    r = x.srv.SaslAcceptSecurityContext(
        phCredential=x.scred, phContext=None, pInput=pinput(token, sec_channel_bindings(TLS_B)), fContextReq=0,
        TargetDataRep=SECURITY_NATIVE_DREP, pOutput=SecBufferDesc.output(48256),
    )  # fmt: skip
    assert r.status.name == "SEC_E_BAD_BINDINGS" and x.srv.last_rule.id == "sasc.wrapped.SEC_E_BAD_BINDINGS"


def test_queued_accept_reports_bad_bindings_when_the_work_is_done() -> None:
    x = Exchange(kernel=True)
    token = x.ap_req(sec_channel_bindings(TLS_A))
    ctx = x.srv.SspiCreateAsyncContext().value
    queued = x.srv.SspiAcceptSecurityContextAsync(
        AsyncContext=ctx, phCredential=x.scred, phContext=Ref(), pInput=pinput(token, sec_channel_bindings(TLS_B)),
        fContextReq=0, TargetDataRep=SECURITY_NATIVE_DREP, phNewContext=Ref(), pOutput=SecBufferDesc.output(48256),
        pfContextAttr=Ref(), ptsExpiry=Ref(),
    )  # fmt: skip
    assert queued.status.name == "SEC_E_OK"
    x.world.run_pending()
    assert x.srv.SspiGetAsyncCallStatus(Handle=ctx).status.name == "SEC_E_BAD_BINDINGS"
    assert x.server_contexts() == 0


def test_the_erratum_names_its_sources() -> None:
    (entry,) = [e for e in load_errata() if e.id == "impl-kerberos-bad-bindings"]
    assert entry.kind == "implementation" and entry.code == "SEC_E_BAD_BINDINGS"
    assert entry.functions == ("AcceptSecurityContext",)
    for where in (
        "ubuntu/adsys, internal/policies/certificate/gssapi.go",
        "80090346",
        "krb5/krb5, src/lib/gssapi/krb5/accept_sec_context.c",
        "GSS_S_BAD_BINDINGS",
    ):
        assert where in entry.source
