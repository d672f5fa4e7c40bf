"""ApplyControlToken and DelegateSecurityContext: control tokens per package (Schannel's only, and
the model installs no Schannel), kernel mode, and handles that name no context."""

from __future__ import annotations

import pytest

from sspimodel.api import Sspi
from sspimodel.contract import ContractError, ContractTypeError
from sspimodel.model import CtxtHandle, SecBuffer, SecBufferDesc, default_world, rules_for
from sspimodel.model.constants import SECBUFFER_DATA
from sspimodel.model.ctx_control import CONTROL_TOKENS, takes_control_tokens
from sspimodel.model.drive import handshake
from sspimodel.model.errata import errata_codes
from sspimodel.model.world import CallerMode

SHUTDOWN = (1).to_bytes(4, "little")  # a DWORD token, the size of Schannel's shutdown token
PACKAGES = ["Negotiate", "Kerberos", "NTLM", "Digest"]


def _pair(package: str = "NTLM") -> tuple:
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    hs = handshake(cli, srv, package)
    assert hs.established
    return world, cli, srv, hs


def test_only_schannel_takes_control_tokens():
    assert [p for p in CONTROL_TOKENS if takes_control_tokens(p)] == ["Schannel"]
    assert set(CONTROL_TOKENS["Schannel"]) == {"SCHANNEL_SHUTDOWN", "SCHANNEL_ALERT_TOKEN", "SCHANNEL_SESSION_TOKEN"}
    assert not takes_control_tokens("NoSuchPackage")


@pytest.mark.parametrize("package", PACKAGES)
def test_apply_control_token_is_unsupported_by_every_package_and_changes_nothing(package):
    _world, cli, srv, hs = _pair(package)
    for sspi, ctx in ((cli, hs.client_ctx), (srv, hs.server_ctx)):
        before = repr(sspi.process.contexts)
        r = sspi.ApplyControlToken(phContext=ctx, pInput=SecBufferDesc.token(SHUTDOWN))
        assert r.status.name == "SEC_E_UNSUPPORTED_FUNCTION", package
        assert sspi.last_rule.id == "act.unsupported_package"
        assert repr(sspi.process.contexts) == before
    # The context still works afterwards: a signature round trip.
    sizes = cli.QueryContextAttributesW(phContext=hs.client_ctx, ulAttribute=0).pBuffer
    assert sizes.cbMaxToken > 0


def test_apply_control_token_in_kernel_mode_is_unsupported_before_the_handle_is_looked_at():
    world, cli, _srv, hs = _pair()
    world.caller_mode = CallerMode.KERNEL
    for handle in (hs.client_ctx, CtxtHandle(0x999, 10)):
        r = cli.ApplyControlToken(phContext=handle, pInput=SecBufferDesc.token(SHUTDOWN))
        assert r.status.name == "SEC_E_UNSUPPORTED_FUNCTION"
        assert cli.last_rule.id == "act.kernel_mode"


@pytest.mark.parametrize("function", ["ApplyControlToken", "DelegateSecurityContext"])
def test_a_handle_that_names_no_context_breaks_the_contract(function):
    world, cli, _srv, hs = _pair()
    deleted = hs.client_ctx
    cli.DeleteSecurityContext(phContext=deleted)
    args = (
        {"pInput": SecBufferDesc.token(SHUTDOWN)}
        if function == "ApplyControlToken"
        else {"pTarget": "host/files.contoso.com", "DelegationType": 0, "pOutput": SecBufferDesc.output(64)}
    )
    for what, handle in {
        "forged": CtxtHandle(0x999, 10),
        "zero": CtxtHandle(0, 0),
        "deleted": deleted,
        "another process's": hs.server_ctx,
    }.items():
        calls = world.calls
        with pytest.raises(ContractError) as info:
            getattr(cli, function)(phContext=handle, **args)
        assert info.value.parameter == "phContext", what
        assert f"{function}.md" in str(info.value)
        assert world.calls == calls, f"{what}: a refused call changes no state"


def test_apply_control_token_needs_a_token_buffer():
    _world, cli, _srv, hs = _pair()
    data_only = SecBufferDesc([SecBuffer(SECBUFFER_DATA, SHUTDOWN)])
    with pytest.raises(ContractError) as info:
        cli.ApplyControlToken(phContext=hs.client_ctx, pInput=data_only)
    assert info.value.parameter == "pInput"
    with pytest.raises(ContractError) as info:
        cli.ApplyControlToken(phContext=hs.client_ctx, pInput=None)
    assert info.value.parameter == "pInput"


@pytest.mark.parametrize("package", PACKAGES)
def test_delegate_security_context_is_unsupported_and_writes_nothing(package):
    _world, cli, _srv, hs = _pair(package)
    out = SecBufferDesc.output(256)
    before = (repr(cli.process.contexts), repr(out), dict(cli.process.allocations))
    r = cli.DelegateSecurityContext(
        phContext=hs.client_ctx, pTarget="host/files.contoso.com", DelegationType=1, pOutput=out
    )
    assert r.status.name == "SEC_E_UNSUPPORTED_FUNCTION"
    assert cli.last_rule.id == "dsc.unsupported"
    assert (repr(cli.process.contexts), repr(out), dict(cli.process.allocations)) == before


def test_delegate_security_context_checks_its_c_types():
    _world, cli, _srv, hs = _pair()
    good = {"phContext": hs.client_ctx, "pTarget": "host/x", "DelegationType": 0, "pOutput": SecBufferDesc.output(8)}
    for name, bad in (("DelegationType", 5), ("DelegationType", -1), ("pTarget", 7), ("pExpiry", "tomorrow")):
        with pytest.raises(ContractTypeError) as info:
            cli.DelegateSecurityContext(**{**good, name: bad})
        assert info.value.parameter == name


def test_delegate_security_context_status_is_an_errata_entry_of_kind_interpretation():
    assert {r.status for r in rules_for("DelegateSecurityContext")} == {"ContractError", "SEC_E_UNSUPPORTED_FUNCTION"}
    assert "SEC_E_UNSUPPORTED_FUNCTION" in errata_codes("DelegateSecurityContext")


def test_apply_control_token_success_is_unreachable_with_its_reason():
    (ok,) = [r for r in rules_for("ApplyControlToken") if r.status == "SEC_E_OK"]
    assert not ok.reachable and "Schannel" in ok.unreachable
    assert [r.id for r in rules_for("ApplyControlToken")] == [
        "act.kernel_mode",
        "act.null_handle",
        "act.invalid_handle",
        "act.no_token",
        "act.unsupported_package",
        "act.ok",
    ]
