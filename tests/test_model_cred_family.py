"""The credential family (issue 19): SetCredentialsAttributesA/W, QueryCredentialsAttributesExA/W,
ChangeAccountPasswordA/W and AddCredentialsA/W, through the public API of the model.

Each attribute SetCredentialsAttributes changes is read back by QueryCredentialsAttributes(Ex);
per-package support follows the pages (the KDC proxy settings are Kerberos'); every status is
the one the page documents or the errata entry the rule names."""

from __future__ import annotations

import pytest

from sspimodel.api import Sspi
from sspimodel.contract import ContractError
from sspimodel.model import CredHandle, Ref, default_world, rules_for
from sspimodel.model.constants import SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND
from sspimodel.model.cred_attributes import (
    KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY,
    KDC_PROXY_SETTINGS_V1,
    SECPKG_CRED_ATTR_CERT,
    SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS,
    SECPKG_CRED_ATTR_NAMES,
    SecPkgCredentials_KdcProxySettings,
    SecPkgCredentials_Names,
)
from sspimodel.model.drive import acquire
from sspimodel.model.errata import load_errata

PACKAGES = ("Negotiate", "Kerberos", "NTLM", "Digest")
PROXY = SecPkgCredentials_KdcProxySettings(
    KDC_PROXY_SETTINGS_V1, KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY, "kdcproxy.contoso.com:443"
)


def _query_name(sspi: Sspi, cred: CredHandle) -> str:
    r = sspi.QueryCredentialsAttributesW(phCredential=cred, ulAttribute=SECPKG_CRED_ATTR_NAMES)
    assert r.status.name == "SEC_E_OK"
    name = str(r.pBuffer.sUserName)
    sspi.FreeContextBuffer(pvContextBuffer=r.pBuffer.sUserName)
    return name


# -- SetCredentialsAttributes ---------------------------------------------------------------------


@pytest.mark.parametrize("package", PACKAGES)
@pytest.mark.parametrize("variant", ["A", "W"])
def test_set_name_is_what_query_reads_back(package, variant):
    world = default_world()
    sspi = Sspi(world)
    cred = acquire(sspi, package, SECPKG_CRED_OUTBOUND)
    assert _query_name(sspi, cred) == "CONTOSO\\alice"
    new = b"CONTOSO\\alias" if variant == "A" else "CONTOSO\\alias"
    r = getattr(sspi, f"SetCredentialsAttributes{variant}")(
        phCredential=cred, ulAttribute=SECPKG_CRED_ATTR_NAMES, pBuffer=SecPkgCredentials_Names(new), cbBuffer=8
    )
    assert r.status.name == "SEC_E_OK" and sspi.last_rule.id == "scred.ok"
    assert _query_name(sspi, cred) == "CONTOSO\\alias"
    # Other credentials of the same account keep their own name.
    other = acquire(sspi, package, SECPKG_CRED_OUTBOUND)
    assert _query_name(sspi, other) == "CONTOSO\\alice"
    for h in (cred, other):
        sspi.FreeCredentialsHandle(phCredential=h)
    assert world.leaks() == {}


def test_kdc_proxy_settings_are_kerberos_only_and_read_back_by_query_ex():
    sspi = Sspi(default_world())
    kerberos = acquire(sspi, "Kerberos", SECPKG_CRED_OUTBOUND)
    r = sspi.QueryCredentialsAttributesExW(
        phCredential=kerberos, ulAttribute=SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, pBuffer=Ref(), cbBuffer=64
    )
    assert r.status.name == "SEC_E_OK" and r.pBuffer == SecPkgCredentials_KdcProxySettings()
    r = sspi.SetCredentialsAttributesW(
        phCredential=kerberos, ulAttribute=SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, pBuffer=PROXY, cbBuffer=PROXY.size
    )
    assert r.status.name == "SEC_E_OK"
    cell = Ref()
    r = sspi.QueryCredentialsAttributesExA(
        phCredential=kerberos, ulAttribute=SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, pBuffer=cell, cbBuffer=PROXY.size
    )
    assert r.status.name == "SEC_E_OK" and r.pBuffer == PROXY and cell.value == PROXY
    for package in ("Negotiate", "NTLM", "Digest"):
        cred = acquire(sspi, package, SECPKG_CRED_OUTBOUND)
        r = sspi.SetCredentialsAttributesA(
            phCredential=cred, ulAttribute=SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, pBuffer=PROXY, cbBuffer=PROXY.size
        )
        assert r.status.name == "SEC_E_UNSUPPORTED_FUNCTION" and sspi.last_rule.id == "scred.unsupported_attribute"
        r = sspi.QueryCredentialsAttributesExW(
            phCredential=cred, ulAttribute=SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, pBuffer=Ref(), cbBuffer=64
        )
        assert r.status.name == "SEC_E_UNSUPPORTED_FUNCTION" and sspi.last_rule.id == "qcredx.unsupported_attribute"


def test_kdc_proxy_settings_bytes_round_trip_and_are_accepted_as_pbuffer():
    data = PROXY.to_bytes()
    assert len(data) == PROXY.size == 16 + 2 * len("kdcproxy.contoso.com:443")
    assert SecPkgCredentials_KdcProxySettings.from_bytes(data) == PROXY
    assert SecPkgCredentials_KdcProxySettings.from_bytes(data[:10]) is None
    assert SecPkgCredentials_KdcProxySettings.from_bytes(data[:-2]) is None  # the string runs past the end
    sspi = Sspi(default_world())
    kerberos = acquire(sspi, "Kerberos", SECPKG_CRED_OUTBOUND)
    r = sspi.SetCredentialsAttributesW(
        phCredential=kerberos, ulAttribute=SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, pBuffer=data, cbBuffer=len(data)
    )
    assert r.status.name == "SEC_E_OK"
    r = sspi.QueryCredentialsAttributesExW(
        phCredential=kerberos, ulAttribute=SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, pBuffer=Ref(), cbBuffer=64
    )
    assert r.pBuffer == PROXY


def test_set_refuses_bad_handles_and_bad_buffers():
    world = default_world()
    sspi = Sspi(world)
    names = SecPkgCredentials_Names("x")
    for handle in (CredHandle(0, 0), CredHandle(0x999, 10)):
        r = sspi.SetCredentialsAttributesW(phCredential=handle, ulAttribute=1, pBuffer=names, cbBuffer=8)
        assert r.status.name == "SEC_E_INVALID_HANDLE"
    cred = acquire(sspi, "NTLM", SECPKG_CRED_OUTBOUND)
    with pytest.raises(ContractError, match=r"pBuffer.*expected a SecPkgCredentials_Names"):
        sspi.SetCredentialsAttributesW(phCredential=cred, ulAttribute=1, pBuffer=b"alias", cbBuffer=8)
    with pytest.raises(ContractError, match=r"pBuffer.*sUserName must be a string"):
        sspi.SetCredentialsAttributesW(phCredential=cred, ulAttribute=1, pBuffer=SecPkgCredentials_Names(None), cbBuffer=8)
    with pytest.raises(ContractError, match=r"cbBuffer.*4 is smaller than the structure"):
        sspi.SetCredentialsAttributesW(phCredential=cred, ulAttribute=1, pBuffer=names, cbBuffer=4)
    kerberos = acquire(sspi, "Kerberos", SECPKG_CRED_OUTBOUND)
    with pytest.raises(ContractError, match=r"cbBuffer"):
        sspi.SetCredentialsAttributesW(phCredential=kerberos, ulAttribute=3, pBuffer=PROXY, cbBuffer=16)
    # A refused call changes nothing.
    assert _query_name(sspi, cred) == "CONTOSO\\alice"
    freed = acquire(sspi, "NTLM", SECPKG_CRED_OUTBOUND)
    sspi.FreeCredentialsHandle(phCredential=freed)
    r = sspi.SetCredentialsAttributesA(phCredential=freed, ulAttribute=1, pBuffer=names, cbBuffer=8)
    assert r.status.name == "SEC_E_INVALID_HANDLE"


def test_set_out_of_memory_changes_nothing():
    world = default_world()
    sspi = Sspi(world)
    cred = acquire(sspi, "NTLM", SECPKG_CRED_OUTBOUND)
    world.faults.add("SEC_E_INSUFFICIENT_MEMORY", function="SetCredentialsAttributesW")
    r = sspi.SetCredentialsAttributesW(
        phCredential=cred, ulAttribute=1, pBuffer=SecPkgCredentials_Names("CONTOSO\\alias"), cbBuffer=8
    )
    assert r.status.name == "SEC_E_INSUFFICIENT_MEMORY"
    assert _query_name(sspi, cred) == "CONTOSO\\alice"


def test_set_name_does_not_change_whom_a_handshake_authenticates():
    from sspimodel.model.drive import handshake

    world = default_world()
    client, server = Sspi(world, 100), Sspi(world, 200)
    hs = handshake(client, server, "NTLM")
    assert hs.established
    cred = acquire(client, "NTLM", SECPKG_CRED_OUTBOUND)
    client.SetCredentialsAttributesW(
        phCredential=cred, ulAttribute=1, pBuffer=SecPkgCredentials_Names("CONTOSO\\bob"), cbBuffer=8
    )
    hs2 = handshake(client, server, "NTLM", client_cred=cred)
    assert hs2.established
    r = server.QueryContextAttributesW(phContext=hs2.server_ctx, ulAttribute=1)
    assert str(r.pBuffer.sUserName).lower() == "contoso\\alice"


# -- QueryCredentialsAttributesEx ------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["A", "W"])
def test_query_ex_answers_what_query_answers(variant):
    world = default_world()
    sspi = Sspi(world, 200)
    query_ex = getattr(sspi, f"QueryCredentialsAttributesEx{variant}")
    cred = acquire(sspi, "Negotiate", SECPKG_CRED_INBOUND)
    r = query_ex(phCredential=cred, ulAttribute=SECPKG_CRED_ATTR_NAMES, pBuffer=Ref(), cbBuffer=8)
    assert r.status.name == "SEC_E_OK" and str(r.pBuffer.sUserName) == "CONTOSO\\websvc"
    assert sspi.FreeContextBuffer(pvContextBuffer=r.pBuffer.sUserName).status.name == "SEC_E_OK"
    r = query_ex(phCredential=cred, ulAttribute=SECPKG_CRED_ATTR_CERT, pBuffer=Ref(), cbBuffer=16)
    assert r.status.name == "SEC_E_UNSUPPORTED_FUNCTION"
    kerberos = acquire(sspi, "Kerberos", SECPKG_CRED_INBOUND)
    r = query_ex(phCredential=kerberos, ulAttribute=SECPKG_CRED_ATTR_CERT, pBuffer=Ref(), cbBuffer=16)
    assert r.status.name == "SEC_E_OK" and r.pBuffer.EncodedCertSize == 0
    for h in (cred, kerberos):
        sspi.FreeCredentialsHandle(phCredential=h)
    assert world.leaks() == {}


def test_query_ex_statuses_are_its_errata():
    world = default_world()
    sspi = Sspi(world)
    cred = acquire(sspi, "NTLM", SECPKG_CRED_OUTBOUND)
    seen = {}
    cases = [
        (dict(phCredential=CredHandle(0x999, 10), ulAttribute=1, pBuffer=Ref(), cbBuffer=8), "SEC_E_INVALID_HANDLE"),
        (dict(phCredential=cred, ulAttribute=77, pBuffer=Ref(), cbBuffer=64), "SEC_E_UNSUPPORTED_FUNCTION"),
        (dict(phCredential=cred, ulAttribute=1, pBuffer=Ref(), cbBuffer=7), "SEC_E_BUFFER_TOO_SMALL"),
        (dict(phCredential=cred, ulAttribute=1, pBuffer=Ref(), cbBuffer=8), "SEC_E_OK"),
    ]
    for args, code in cases:
        r = sspi.QueryCredentialsAttributesExW(**args)
        assert r.status.name == code, args
        seen[code] = sspi.last_rule
        if code == "SEC_E_OK":
            sspi.FreeContextBuffer(pvContextBuffer=r.pBuffer.sUserName)
    world.faults.add("SEC_E_INSUFFICIENT_MEMORY", function="QueryCredentialsAttributesExW")
    r = sspi.QueryCredentialsAttributesExW(phCredential=cred, ulAttribute=1, pBuffer=Ref(), cbBuffer=8)
    assert r.status.name == "SEC_E_INSUFFICIENT_MEMORY"
    seen["SEC_E_INSUFFICIENT_MEMORY"] = sspi.last_rule
    errata = {e.id: e for e in load_errata()}
    for code, rule in seen.items():
        entry = errata[rule.basis.entry]
        assert entry.code == code and "QueryCredentialsAttributesExW" in entry.functions
    # The page documents no status at all: every rule of the table rests on an errata entry.
    assert all(r.is_errata for r in rules_for("QueryCredentialsAttributesExA"))
    assert world.leaks().get(100, {}).get("buffers") is None


def test_query_ex_requires_its_parameters():
    sspi = Sspi(default_world())
    cred = acquire(sspi, "NTLM", SECPKG_CRED_OUTBOUND)
    with pytest.raises(ContractError, match="pBuffer"):
        sspi.QueryCredentialsAttributesExW(phCredential=cred, ulAttribute=1, cbBuffer=8)


# -- ChangeAccountPassword -------------------------------------------------------------------------

from sspimodel.model import AuthIdentity, SecBuffer, SecBufferDesc  # noqa: E402
from sspimodel.model.constants import SECBUFFER_CHANGE_PASS_RESPONSE, SECBUFFER_TOKEN  # noqa: E402
from sspimodel.model.drive import handshake  # noqa: E402
from sspimodel.model.password import DomainPasswordInformation  # noqa: E402

OLD, NEW = "Passw0rd!alice", "N3w!Passw0rd-alice"


def _response(size: int = 24) -> SecBufferDesc:
    return SecBufferDesc([SecBuffer(SECBUFFER_CHANGE_PASS_RESPONSE, bytes(size))])


def _change(sspi: Sspi, variant: str = "W", **over):
    args = dict(
        pszPackageName="Kerberos",
        pszDomainName="CONTOSO",
        pszAccountName="alice",
        pszOldPassword=OLD,
        pszNewPassword=NEW,
        bImpersonating=False,
        dwReserved=0,
        pOutput=_response(),
    )
    args.update(over)
    if variant == "A":
        args = {k: v.encode("cp1252") if isinstance(v, str) else v for k, v in args.items()}
    return getattr(sspi, f"ChangeAccountPassword{variant}")(**args)


def _logs_on(world, package: str, password: str) -> bool:
    client, server = Sspi(world, 100), Sspi(world, 200)
    identity = AuthIdentity(User="alice", Domain="CONTOSO", Password=password)
    cred = acquire(client, package, SECPKG_CRED_OUTBOUND, pAuthData=identity)
    hs = handshake(client, server, package, client_cred=cred)
    ok = hs.established
    for sspi, ctx in ((client, hs.client_ctx), (server, hs.server_ctx)):
        if ctx is not None:
            sspi.DeleteSecurityContext(phContext=ctx)
    client.FreeCredentialsHandle(phCredential=cred)
    server.FreeCredentialsHandle(phCredential=hs.server_cred)
    return ok


@pytest.mark.parametrize("package", ["Kerberos", "Negotiate", "NTLM"])
@pytest.mark.parametrize("variant", ["A", "W"])
def test_after_a_change_the_new_password_logs_on_and_the_old_one_does_not(package, variant):
    world = default_world()
    assert _logs_on(world, "NTLM", OLD)
    r = _change(Sspi(world), variant, pszPackageName=package)
    assert r.status.name == "SEC_E_OK"
    info = DomainPasswordInformation.from_bytes(r.pOutput.pBuffers[0].pvBuffer)
    assert info == DomainPasswordInformation(7, 24, 1, -42 * 864_000_000_000, -864_000_000_000)
    for mech in ("NTLM", "Kerberos"):
        assert _logs_on(world, mech, NEW), mech
        assert not _logs_on(world, mech, OLD), mech
    # The old password no longer changes it; the new one does.
    assert _change(Sspi(world)).status.name == "SEC_E_LOGON_DENIED"
    assert _change(Sspi(world), pszOldPassword=NEW, pszNewPassword=OLD).status.name == "SEC_E_OK"
    assert _logs_on(world, "NTLM", OLD)
    assert world.leaks() == {}


@pytest.mark.parametrize(
    ("over", "rule"),
    [
        ({"pszOldPassword": "wrong"}, "cap.logon_denied"),
        ({"pszAccountName": "mallory"}, "cap.logon_denied"),
        ({"pszDomainName": "FABRIKAM"}, "cap.logon_denied"),
    ],
)
def test_wrong_old_password_or_unknown_account_is_logon_denied_and_changes_nothing(over, rule):
    world = default_world()
    sspi = Sspi(world)
    r = _change(sspi, **over)
    assert r.status.name == "SEC_E_LOGON_DENIED" and sspi.last_rule.id == rule
    assert world.principal("CONTOSO\\alice").secret == OLD


def test_dns_domain_name_is_the_domain():
    world = default_world()
    assert _change(Sspi(world), pszDomainName="contoso.com").status.name == "SEC_E_OK"
    assert world.principal("CONTOSO\\alice").secret == NEW


def test_domain_controller_offline_is_no_authenticating_authority():
    world = default_world()
    world.authority.online = False
    sspi = Sspi(world)
    r = _change(sspi)
    assert r.status.name == "SEC_E_NO_AUTHENTICATING_AUTHORITY" and sspi.last_rule.id == "cap.authority_offline"
    assert world.principal("CONTOSO\\alice").secret == OLD
    world.authority.online = True
    assert _change(sspi).status.name == "SEC_E_OK"


def test_provider_removed_is_not_found_and_a_small_buffer_too_small():
    world = default_world()
    sspi = Sspi(world)
    assert sspi.DeleteSecurityPackageW(pszPackageName="Negotiate").status.name == "SEC_E_OK"
    r = _change(sspi, pszPackageName="negotiate")
    assert r.status.name == "SEC_E_SECPKG_NOT_FOUND" and sspi.last_rule.id == "cap.package_not_installed"
    r = _change(sspi, pOutput=_response(23))
    assert r.status.name == "SEC_E_BUFFER_TOO_SMALL"
    assert world.principal("CONTOSO\\alice").secret == OLD


@pytest.mark.parametrize(
    ("over", "parameter"),
    [
        ({"pszPackageName": "Digest"}, "pszPackageName"),
        ({"dwReserved": 1}, "dwReserved"),
        ({"pOutput": SecBufferDesc([SecBuffer(SECBUFFER_TOKEN, bytes(24))])}, "pOutput"),
        ({"pOutput": SecBufferDesc([SecBuffer(SECBUFFER_CHANGE_PASS_RESPONSE, bytes(24))] * 2)}, "pOutput"),
        ({"bImpersonating": 256}, "bImpersonating"),
        ({"pszNewPassword": None}, "pszNewPassword"),
    ],
)
def test_contract_breaches_name_the_parameter_and_change_nothing(over, parameter):
    world = default_world()
    with pytest.raises(ContractError, match=f"parameter {parameter}"):
        _change(Sspi(world), **over)
    assert world.principal("CONTOSO\\alice").secret == OLD


def test_change_password_statuses_rest_on_errata_of_their_own():
    errata = {e.id: e for e in load_errata()}
    for rule in rules_for("ChangeAccountPasswordW"):
        if rule.is_errata:
            entry = errata[rule.basis.entry]
            assert entry.code == rule.status and "ChangeAccountPasswordW" in entry.functions
    assert {r.status for r in rules_for("ChangeAccountPasswordA")} >= {
        "SEC_E_OK", "SEC_E_LOGON_DENIED", "SEC_E_NO_AUTHENTICATING_AUTHORITY", "SEC_E_SECPKG_NOT_FOUND"
    }


# -- AddCredentials --------------------------------------------------------------------------------

BOB = AuthIdentity(User="bob", Domain="CONTOSO", Password="Passw0rd!bob")


def _no_key(*_args):
    return None


def _add(sspi: Sspi, handle, package: str, variant: str = "W", auth=BOB, use: int = SECPKG_CRED_OUTBOUND, expiry=None):
    names = ("pPrincipal", "pPackage") if variant == "W" else ("pszPrincipal", "pszPackage")
    args = {
        "hCredentials": handle,
        names[0]: "",
        names[1]: package,
        "fCredentialUse": use,
        "pAuthData": auth,
        "pGetKeyFn": _no_key,
        "pvGetKeyArgument": 0,
        "ptsExpiry": expiry if expiry is not None else Ref(),
    }
    return getattr(sspi, f"AddCredentials{variant}")(**args)


def _client_of(world, client_cred, package: str = "Negotiate") -> str:
    client, server = Sspi(world, 100), Sspi(world, 200)
    hs = handshake(client, server, package, client_cred=client_cred)
    assert hs.established
    r = server.QueryContextAttributesW(phContext=hs.server_ctx, ulAttribute=1)
    name = str(r.pBuffer.sUserName)
    server.FreeContextBuffer(pvContextBuffer=r.pBuffer.sUserName)
    client.DeleteSecurityContext(phContext=hs.client_ctx)
    server.DeleteSecurityContext(phContext=hs.server_ctx)
    server.FreeCredentialsHandle(phCredential=hs.server_cred)
    return name


@pytest.mark.parametrize(("handle_package", "added"), [("Negotiate", "NTLM"), ("Negotiate", "Kerberos"), ("NTLM", "NTLM")])
@pytest.mark.parametrize("variant", ["A", "W"])
def test_added_credentials_are_what_later_contexts_prove(handle_package, added, variant):
    world = default_world()
    client = Sspi(world, 100)
    handle = acquire(client, handle_package, SECPKG_CRED_OUTBOUND)
    assert _client_of(world, handle, handle_package).lower() == "contoso\\alice"
    cell = Ref()
    r = _add(client, handle, added, variant, expiry=cell)
    assert r.status.name == "SEC_E_OK" and client.last_rule.id == "addc.ok"
    assert cell.value is not None and r.ptsExpiry == cell.value
    assert _client_of(world, handle, handle_package).lower() == "contoso\\bob"
    assert _query_name(client, handle) == "CONTOSO\\bob"
    assert world.process(100).creds[handle.dwLower].added[-1][:2] == (added, "CONTOSO\\bob")
    client.FreeCredentialsHandle(phCredential=handle)
    assert world.leaks() == {}


def test_a_context_begun_before_keeps_its_credentials():
    world = default_world()
    client = Sspi(world, 100)
    handle = acquire(client, "NTLM", SECPKG_CRED_OUTBOUND)
    from sspimodel.model import SecBufferDesc as Desc
    from sspimodel.model.constants import SECURITY_NATIVE_DREP

    out = Desc.output(4096)
    first = client.InitializeSecurityContextW(
        phCredential=handle, phContext=None, pTargetName="HTTP/web.contoso.com", fContextReq=0, Reserved1=0,
        TargetDataRep=SECURITY_NATIVE_DREP, pInput=None, Reserved2=0, pOutput=out,
    )
    assert first.status.name == "SEC_I_CONTINUE_NEEDED"
    assert _add(client, handle, "NTLM").status.name == "SEC_E_OK"
    record = world.process(100).contexts[first.phNewContext.dwLower]
    assert record.credential.account == "CONTOSO\\alice"


def test_add_credentials_statuses():
    world = default_world()
    sspi = Sspi(world)
    ntlm = acquire(sspi, "NTLM", SECPKG_CRED_OUTBOUND)
    cases = [
        ((CredHandle(0, 0), "NTLM"), {}, "SEC_E_INVALID_HANDLE", "addc.null_handle"),
        ((CredHandle(0x999, 10), "NTLM"), {}, "SEC_E_INVALID_HANDLE", "addc.invalid_handle"),
        ((ntlm, "Schannel"), {}, "SEC_E_SECPKG_NOT_FOUND", "addc.package_unknown"),
        ((ntlm, "Kerberos"), {}, "SEC_E_UNSUPPORTED_FUNCTION", "addc.package_not_held"),
        ((ntlm, "NTLM"), {"auth": b"not an identity"}, "SEC_E_UNKNOWN_CREDENTIALS", "addc.unknown_credentials"),
        ((ntlm, "NTLM"), {"auth": AuthIdentity(User="", Domain="CONTOSO", Password="x")}, "SEC_E_UNKNOWN_CREDENTIALS",
         "addc.unknown_credentials"),
    ]
    errata = {e.id: e for e in load_errata()}
    for (handle, package), extra, code, rule in cases:
        r = _add(sspi, handle, package, **extra)
        assert r.status.name == code and sspi.last_rule.id == rule, (package, extra)
        assert errata[sspi.last_rule.basis.entry].code == code
    # Nothing changed on the refused calls.
    assert _query_name(sspi, ntlm) == "CONTOSO\\alice"
    assert all(r.is_errata or r.status == "ContractError" for r in rules_for("AddCredentialsA"))


def test_add_credentials_contract():
    sspi = Sspi(default_world())
    ntlm = acquire(sspi, "NTLM", SECPKG_CRED_OUTBOUND)
    with pytest.raises(ContractError, match="parameter fCredentialUse"):
        _add(sspi, ntlm, "NTLM", use=4)
    with pytest.raises(ContractError, match="parameter pAuthData"):
        # The page does not call pAuthData optional: NULL breaks the documented contract.
        sspi.AddCredentialsW(
            hCredentials=ntlm, pPrincipal="", pPackage="NTLM", fCredentialUse=2, pGetKeyFn=_no_key,
            pvGetKeyArgument=0, ptsExpiry=Ref(),
        )
    with pytest.raises(ContractError, match="parameter hCredentials"):
        _add(sspi, "not a handle", "NTLM")
