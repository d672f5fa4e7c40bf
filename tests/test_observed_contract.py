"""The two contracts: documented (the pages', the default) and observed (what Windows does)."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from sspimodel.api import Sspi
from sspimodel.contract import ContractError, ContractTypeError
from sspimodel.model import AuthIdentity, SecBufferDesc, default_world
from sspimodel.model.constants import (
    ASC_REQ_CONFIDENTIALITY,
    ASC_REQ_INTEGRITY,
    ASC_REQ_MUTUAL_AUTH,
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_DELEGATE,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
)
from sspimodel.model.drive import handshake
from sspimodel.model.observed import ObservedError, _parse, load_observed

SECPKG_CRED_BOTH = SECPKG_CRED_INBOUND | SECPKG_CRED_OUTBOUND
ISC_REQ_USE_DCE_STYLE = 0x200
SERVER_DEFAULTS = ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_MUTUAL_AUTH
STRANGER = AuthIdentity(User="testuser", Domain="WORKGROUP", Password="testpass")


def sspis(contract: str):
    world = default_world()
    return world, Sspi(world, 100, contract=contract), Sspi(world, 200, contract=contract)


def test_documented_is_the_default_and_an_unknown_contract_is_refused():
    world = default_world()
    assert Sspi(world).contract == "documented"
    with pytest.raises(ValueError, match="contract must be one of documented, observed, not 'windows'"):
        Sspi(world, contract="windows")
    assert "observed contract" in repr(Sspi(world, contract="observed"))


@pytest.mark.parametrize(
    ("call", "parameter", "entry"),
    [
        (
            lambda s: s.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_BOTH),
            "fCredentialUse",
            "cred-use-both",
        ),
        (
            lambda s: s.AcquireCredentialsHandleA(pszPackage=None, fCredentialUse=SECPKG_CRED_OUTBOUND),
            "pszPackage",
            "null-package-name",
        ),
        (lambda s: s.QuerySecurityPackageInfoW(pPackageName=None), "pPackageName", "null-package-name"),
        (lambda s: s.FreeCredentialsHandle(phCredential=None), "phCredential", "null-handle"),
        (
            lambda s: s.ImportSecurityContextW(pszPackage=None, pPackedContext=b"x", Token=None),
            "pszPackage",
            "null-package-name",
        ),
        (lambda s: s.DeleteSecurityContext(phContext=None), "phContext", "null-handle"),
    ],
)
def test_a_breach_windows_takes_raises_when_documented_and_is_a_finding_when_observed(call, parameter, entry):
    _world, documented, _ = sspis("documented")
    with pytest.raises(ContractError) as refused:
        call(documented)
    assert refused.value.parameter == parameter
    _world, observed, _ = sspis("observed")
    result = call(observed)
    (finding,) = result.findings
    assert finding.parameter == parameter and finding.entry == entry
    assert finding.problem == refused.value.problem and finding.clause == refused.value.clause
    assert observed.last_findings == result.findings
    assert entry in repr(result)  # the result shows the breach it carries


def test_null_breaches_get_the_status_of_their_errata_entry():
    _world, cli, _ = sspis("observed")
    assert cli.AcquireCredentialsHandleW(pPackage=None, fCredentialUse=SECPKG_CRED_OUTBOUND).status.name == (
        "SEC_E_SECPKG_NOT_FOUND"
    )
    assert cli.FreeCredentialsHandle(phCredential=None).status.name == "SEC_E_INVALID_HANDLE"


def test_a_conforming_call_carries_no_finding_and_the_same_status_in_both_contracts():
    for contract in ("documented", "observed"):
        _world, cli, _ = sspis(contract)
        r = cli.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND)
        assert r.status.name == "SEC_E_OK"
        assert getattr(r, "findings", ()) == ()


def test_breaches_nothing_covers_and_type_errors_raise_in_the_observed_contract_too():
    _world, cli, _ = sspis("observed")
    with pytest.raises(ContractError, match="not in the documented value table"):
        cli.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=7)
    with pytest.raises(ContractTypeError):
        cli.AcquireCredentialsHandleW(pPackage=b"NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND)
    with pytest.raises(ContractError, match="required parameter missing"):
        cli.FreeContextBuffer(pvContextBuffer=None)  # no observed.yaml entry covers it
    assert cli.last_findings == ()


def test_server_flags_of_sspilib_and_pyspnego_are_taken_in_the_observed_contract_only():
    _world, cli, srv = sspis("documented")
    with pytest.raises(ContractError, match="fContextReq"):
        handshake(cli, srv, "NTLM", server_req=SERVER_DEFAULTS)
    _world, cli, srv = sspis("observed")
    hs = handshake(cli, srv, "NTLM", client_req=ISC_REQ_CONFIDENTIALITY, server_req=SERVER_DEFAULTS)
    assert hs.established and hs.statuses[-1] == "SEC_E_OK"


def test_dce_style_and_delegate_on_ntlm_follow_windows_in_the_observed_contract():
    _world, cli, srv = sspis("documented")
    with pytest.raises(ContractError):
        handshake(cli, srv, "NTLM", client_req=ISC_REQ_USE_DCE_STYLE)
    assert handshake(cli, srv, "NTLM", client_req=ISC_REQ_DELEGATE).statuses == ["SEC_E_UNSUPPORTED_FUNCTION"]
    _world, cli, srv = sspis("observed")
    assert handshake(cli, srv, "NTLM", client_req=ISC_REQ_USE_DCE_STYLE).established
    hs = handshake(cli, srv, "NTLM", client_req=ISC_REQ_DELEGATE)
    assert hs.established and not hs.client_attributes & ISC_REQ_DELEGATE  # asked, not granted


def test_acquire_judges_the_identity_when_documented_and_the_logon_fails_at_the_server_when_observed():
    _world, cli, srv = sspis("documented")
    r = cli.AcquireCredentialsHandleA(
        pszPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pAuthData=STRANGER
    )
    assert r.status.name == "SEC_E_UNKNOWN_CREDENTIALS"
    _world, cli, srv = sspis("observed")
    r = cli.AcquireCredentialsHandleA(
        pszPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pAuthData=STRANGER
    )
    assert r.status.name == "SEC_E_OK"
    hs = handshake(cli, srv, "NTLM", client_cred=r.phCredential)
    assert hs.steps[-1] == ("AcceptSecurityContext", "SEC_E_LOGON_DENIED")
    assert ("InitializeSecurityContextW", "SEC_E_OK") in hs.steps  # the client never learns


def test_sealing_without_confidentiality_follows_windows_in_the_observed_contract():
    for contract, expected in (("documented", "SEC_E_CRYPTO_SYSTEM_INVALID"), ("observed", "SEC_E_OK")):
        _world, cli, srv = sspis(contract)
        hs = handshake(cli, srv, "NTLM")
        msg = SecBufferDesc.message(b"payload")
        assert (
            cli.EncryptMessage(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0).status.name
            == expected
        )


def test_an_observed_null_the_model_cannot_answer_as_windows_does_is_refused(monkeypatch):
    # If the rule that decides the call does not give the errata entry's status, the call is
    # refused as in the documented contract, and the world is left as it was.
    patched = tuple(
        attrs.evolve(e, answer="wine-secpkg-not-found") if e.id == "null-handle" else e
        for e in load_observed()
    )
    monkeypatch.setattr("sspimodel.model.observed.load_observed", lambda spec_dir=None: patched)
    _world, cli, _ = sspis("observed")
    before = dict(cli.process.creds)
    with pytest.raises(ContractError, match="answers it with SEC_E_SECPKG_NOT_FOUND"):
        cli.FreeCredentialsHandle(phCredential=None)
    assert cli.process.creds == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- id: x\n  functions: [F]\n  parameters: [p]\n  accepts: [NOT_A_CONSTANT]\n  source: s\n",
            "has no value",
        ),
        (
            "- id: x\n  functions: [F]\n  parameters: [p]\n  accepts: ['NULL']\n  source: s\n",
            "names its answer",
        ),
        ("- id: x\n  functions: [F]\n  parameters: [p]\n  source: s\n", "missing accepts"),
        (
            "- id: x\n  functions: [F]\n  parameters: [p]\n  accepts: [NULL]\n  source: s\n",
            "non-empty list of names",
        ),
        ("{}", "expected a list"),
    ],
)
def test_a_malformed_observed_file_is_one_clear_error(tmp_path: Path, text: str, message: str):
    data = tmp_path / "data"
    data.mkdir()
    (data / "observed.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ObservedError, match=message):
        _parse(data / "observed.yaml")


def test_every_observed_entry_names_a_source_and_its_answers_exist():
    from sspimodel.model.errata import entry

    for e in load_observed():
        assert e.source and e.functions and e.parameters
        if e.answer:
            assert entry(e.answer).code.startswith("SEC_E_")
        if e.source.startswith("implementation"):
            assert "not a Windows-run test" in e.source  # weaker evidence says so


def test_queued_async_work_keeps_the_contract_of_the_call_that_queued_it():
    from test_model_async import acquire_async

    from sspimodel.model.world import CallerMode

    for contract, final in (("documented", "SEC_E_UNKNOWN_CREDENTIALS"), ("observed", "SEC_E_OK")):
        world = default_world()
        world.caller_mode = CallerMode.KERNEL
        sspi = Sspi(world, 100, contract=contract)
        ctx = sspi.SspiCreateAsyncContext().value
        queued, _cred, _expiry = acquire_async(sspi, ctx, "NTLM", SECPKG_CRED_OUTBOUND, STRANGER)
        world.run_pending()
        assert queued.status.name == "SEC_E_OK"
        assert sspi.SspiGetAsyncCallStatus(Handle=ctx).status.name == final


@pytest.mark.parametrize(
    ("package", "client_req"),
    [
        ("NTLM", ISC_REQ_CONFIDENTIALITY),
        ("Kerberos", 0),
        ("Negotiate", ISC_REQ_CONFIDENTIALITY),
        ("Digest", 0),
    ],
)
def test_a_conforming_handshake_and_message_are_the_same_in_both_contracts(package, client_req):
    runs = []
    for contract in ("documented", "observed"):
        _world, cli, srv = sspis(contract)
        hs = handshake(cli, srv, package, client_req=client_req)
        msg = SecBufferDesc.message(b"payload")
        sealed = cli.EncryptMessage(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0)
        runs.append(
            (hs.steps, hs.tokens, sealed.status.name, msg.pBuffers[0].contents, msg.pBuffers[1].contents)
        )
    assert runs[0] == runs[1]
