"""SetContextAttributesA/W: no package of the model supports the function (the page gives it to
Schannel only), a handle that names no context breaks the contract, and nothing changes."""

from __future__ import annotations

import pytest

from sspimodel.api import Sspi
from sspimodel.contract import ContractError
from sspimodel.model import CtxtHandle, default_world, rules_for
from sspimodel.model.drive import handshake

# The page's ulAttribute table (decimal, as the page prints them).
ATTRIBUTES = {
    "SECPKG_ATTR_APP_DATA": 94,
    "SECPKG_ATTR_EAP_PRF_INFO": 101,
    "SECPKG_ATTR_EARLY_START": 105,
    "SECPKG_ATTR_DTLS_MTU": 34,
    "SECPKG_ATTR_KEYING_MATERIAL_INFO": 106,
}
MTU = (1096).to_bytes(4, "little")


def _pair(package: str) -> tuple:
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    hs = handshake(cli, srv, package)
    assert hs.established
    return world, cli, srv, hs


@pytest.mark.parametrize("package", ["Negotiate", "Kerberos", "NTLM", "Digest"])
@pytest.mark.parametrize("variant", ["A", "W"])
def test_every_attribute_is_unsupported_and_the_context_is_unchanged(package, variant):
    _world, cli, srv, hs = _pair(package)
    for sspi, ctx in ((cli, hs.client_ctx), (srv, hs.server_ctx)):
        before = repr(sspi.process.contexts)
        for name, value in ATTRIBUTES.items():
            r = getattr(sspi, f"SetContextAttributes{variant}")(
                phContext=ctx, ulAttribute=value, pBuffer=MTU, cbBuffer=len(MTU)
            )
            assert r.status.name == "SEC_E_UNSUPPORTED_FUNCTION", (package, name)
            assert sspi.last_rule.id == "sctx.unsupported_package"
        after = repr(sspi.process.contexts)
        assert after == before
    # The context still works after the refused calls: it can be deleted, and nothing leaks.
    cli.DeleteSecurityContext(phContext=hs.client_ctx)
    srv.DeleteSecurityContext(phContext=hs.server_ctx)


@pytest.mark.parametrize("variant", ["A", "W"])
def test_a_handle_that_names_no_context_breaks_the_contract(variant):
    world, cli, _srv, hs = _pair("NTLM")
    fn = getattr(cli, f"SetContextAttributes{variant}")
    deleted = hs.client_ctx
    cli.DeleteSecurityContext(phContext=deleted)
    cases = {
        "forged": CtxtHandle(0x999, 10),
        "zero": CtxtHandle(0, 0),
        "deleted": deleted,
        "another process's": hs.server_ctx,
    }
    for what, handle in cases.items():
        calls = world.calls
        with pytest.raises(ContractError) as info:
            fn(phContext=handle, ulAttribute=34, pBuffer=MTU, cbBuffer=4)
        assert info.value.parameter == "phContext", what
        assert f"SetContextAttributes{variant}.md" in str(info.value)
        assert world.calls == calls, f"{what}: a refused call changes no state"


def test_an_attribute_outside_the_pages_table_is_refused():
    _world, cli, _srv, hs = _pair("NTLM")
    with pytest.raises(ContractError) as info:
        cli.SetContextAttributesW(phContext=hs.client_ctx, ulAttribute=12, pBuffer=MTU, cbBuffer=4)
    assert info.value.parameter == "ulAttribute"


def test_required_parameters_and_their_c_types():
    _world, cli, _srv, hs = _pair("NTLM")
    with pytest.raises(ContractError) as info:
        cli.SetContextAttributesA(phContext=hs.client_ctx, ulAttribute=34, pBuffer=None, cbBuffer=4)
    assert info.value.parameter == "pBuffer"
    with pytest.raises(ContractError) as info:
        cli.SetContextAttributesA(phContext=hs.client_ctx, ulAttribute=34, pBuffer=MTU, cbBuffer=-1)
    assert info.value.parameter == "cbBuffer"


@pytest.mark.parametrize("function", ["SetContextAttributesA", "SetContextAttributesW"])
def test_success_is_marked_unreachable_with_its_reason(function):
    (ok,) = [r for r in rules_for(function) if r.status == "SEC_E_OK"]
    assert not ok.reachable and "Schannel" in ok.unreachable
    ids = [r.id for r in rules_for(function)]
    assert ids == ["sctx.null_handle", "sctx.invalid_handle", "sctx.unsupported_package", "sctx.ok"]
