"""An identity of NULLs stands for the caller's own logon under the observed contract.

Windows' NTLM, Negotiate and Kerberos take a SEC_WINNT_AUTH_IDENTITY(_EXW) whose User, Domain and
Password are all NULL as the caller's logon session, as a NULL pAuthData (errata
windows-null-identity-is-own-logon, spec/data/errata.yaml, with its sources). A
SEC_WINNT_AUTH_IDENTITY_EXW's PackageList still restricts Negotiate. The documented contract keeps
its reading: credentials the package does not recognize (SEC_E_UNKNOWN_CREDENTIALS).
"""

from __future__ import annotations

from typing import Any

import pytest

from sspimodel.api import Sspi
from sspimodel.model import AuthIdentity, default_world
from sspimodel.model.constants import SECPKG_ATTR_NAMES, SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND
from sspimodel.model.drive import handshake
from sspimodel.model.errata import load_errata
from sspimodel.model.identity import SecWinntAuthIdentityExW

ERRATUM = "windows-null-identity-is-own-logon"


def nulls(kind: str, package_list: str | None = None) -> Any:
    if kind == "EXW":
        return SecWinntAuthIdentityExW(User=None, Password=None, Domain=None, PackageList=package_list)  # type: ignore[arg-type]
    return AuthIdentity(User=None, Domain=None, Password=None)


def pair(contract: str) -> tuple[Any, Sspi, Sspi]:
    world = default_world()
    return world, Sspi(world, 100, contract=contract), Sspi(world, 200, contract=contract)


def acquire(sspi: Sspi, package: str, use: int, auth: Any) -> Any:
    return sspi.AcquireCredentialsHandleW(pPackage=package, fCredentialUse=use, pAuthData=auth)


def client_name(server: Sspi, ctx: Any) -> str:
    return str(server.QueryContextAttributesW(phContext=ctx, ulAttribute=SECPKG_ATTR_NAMES).pBuffer.sUserName)


@pytest.mark.parametrize("kind", ["SEC_WINNT_AUTH_IDENTITY", "EXW"])
@pytest.mark.parametrize("package", ["NTLM", "Negotiate", "Kerberos"])
def test_observed_nulls_are_the_callers_logon_on_both_sides(package: str, kind: str) -> None:
    world, cli, srv = pair("observed")
    client = acquire(cli, package, SECPKG_CRED_OUTBOUND, nulls(kind))
    server = acquire(srv, package, SECPKG_CRED_INBOUND, nulls(kind))
    assert (client.status.name, server.status.name) == ("SEC_E_OK", "SEC_E_OK")
    assert cli.last_rule is not None and ERRATUM in {getattr(b, "entry", None) for b in cli.last_rule.bases()}
    hs = handshake(cli, srv, package, client_cred=client.phCredential, server_cred=server.phCredential)
    assert hs.established, hs.statuses
    # The client authenticated as its process's logon session, as with pAuthData NULL.
    assert client_name(srv, hs.server_ctx) == world.sessions[cli.process.luid].account


def test_observed_nulls_match_a_null_pauthdata() -> None:
    statuses = []
    for auth in (None, nulls("EXW")):
        _world, cli, srv = pair("observed")
        hs = handshake(
            cli, srv, "NTLM", client_cred=acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND, auth).phCredential
        )
        statuses.append(hs.statuses)
    assert statuses[0] == statuses[1]


@pytest.mark.parametrize(
    ("package_list", "expected"),
    [("!Kerberos", "NTLM"), ("ntlm", "NTLM"), (None, "Kerberos"), ("!ntlm", "Kerberos")],
)
def test_observed_nulls_keep_the_package_list(package_list: str | None, expected: str) -> None:
    _world, cli, srv = pair("observed")
    client = acquire(cli, "Negotiate", SECPKG_CRED_OUTBOUND, nulls("EXW", package_list))
    hs = handshake(cli, srv, "Negotiate", client_cred=client.phCredential)
    assert hs.established, hs.statuses
    # NTLM under SPNEGO takes four legs and a final token; Kerberos here takes one round trip.
    assert len(hs.statuses) == (5 if expected == "NTLM" else 2), hs.statuses


def test_observed_nulls_with_a_list_that_leaves_nothing() -> None:
    _world, cli, _srv = pair("observed")
    r = acquire(cli, "Negotiate", SECPKG_CRED_OUTBOUND, nulls("EXW", "!Kerberos,!NTLM"))
    assert r.status.name == "SEC_E_NO_CREDENTIALS"
    assert cli.last_rule is not None and cli.last_rule.id == "ach.package_list_empty"


@pytest.mark.parametrize("kind", ["SEC_WINNT_AUTH_IDENTITY", "EXW"])
@pytest.mark.parametrize("package", ["NTLM", "Negotiate", "Kerberos", "Digest"])
def test_documented_contract_keeps_unknown_credentials(package: str, kind: str) -> None:
    _world, cli, _srv = pair("documented")
    r = acquire(cli, package, SECPKG_CRED_OUTBOUND, nulls(kind, "!Kerberos" if kind == "EXW" else None))
    assert r.status.name == "SEC_E_UNKNOWN_CREDENTIALS"
    assert cli.last_rule is not None and cli.last_rule.id == "ach.auth_data_unrecognized"


def test_observed_digest_is_not_covered() -> None:
    _world, cli, _srv = pair("observed")
    r = acquire(cli, "Digest", SECPKG_CRED_OUTBOUND, nulls("EXW"))
    assert r.status.name == "SEC_E_UNKNOWN_CREDENTIALS"


def test_observed_half_an_identity_is_not_the_logon() -> None:
    # Only all three NULL stand for the logon: a NULL user with a password is still an identity,
    # which NTLM's server refuses at logon (errata windows-acquire-does-not-validate-identity).
    _world, cli, srv = pair("observed")
    auth = AuthIdentity(User=None, Domain=None, Password="Passw0rd!")
    client = acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND, auth)
    assert client.status.name == "SEC_E_OK"
    hs = handshake(cli, srv, "NTLM", client_cred=client.phCredential)
    assert hs.statuses[-1] == "SEC_E_LOGON_DENIED"


def test_the_erratum_names_its_windows_run_source() -> None:
    (entry,) = [e for e in load_errata() if e.id == ERRATUM]
    assert entry.kind == "windows" and entry.code == "SEC_E_OK"
    assert "tests/conftest.py, initial_contexts" in entry.source
    assert set(entry.functions) == {
        "AcquireCredentialsHandleA", "AcquireCredentialsHandleW",
        "SspiAcquireCredentialsHandleAsyncA", "SspiAcquireCredentialsHandleAsyncW",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        (nulls("EXW"), "SEC_E_OK"),
        # Kerberos judges half an identity (no user, a password) when acquiring.
        (AuthIdentity(User=None, Domain=None, Password="x"), "SEC_E_UNKNOWN_CREDENTIALS"),
    ],
)
def test_observed_async_acquire_takes_nulls_as_the_logon(auth: Any, expected: str) -> None:
    from sspimodel.model import CallerMode, Ref

    world = default_world()
    world.caller_mode = CallerMode.KERNEL
    sspi = Sspi(world, 4, contract="observed")
    ctx = sspi.SspiCreateAsyncContext().value
    cred = Ref()
    queued = sspi.SspiAcquireCredentialsHandleAsyncW(
        AsyncContext=ctx, pszPrincipal="", pszPackage="Kerberos", fCredentialUse=SECPKG_CRED_OUTBOUND,
        pvLogonId=None, pAuthData=auth, pGetKeyFn=lambda *a: None, pvGetKeyArgument=0,
        phCredential=cred, ptsExpiry=Ref(),
    )  # fmt: skip
    assert queued.status.name == "SEC_E_OK"
    world.run_pending()
    assert sspi.SspiGetAsyncCallStatus(Handle=ctx).status.name == expected
    if expected == "SEC_E_OK":
        record = sspi.process.creds[cred.value.dwLower]
        assert not record.supplied and record.account == world.sessions[sspi.process.luid].account


def test_observed_add_credentials_reads_its_identity_as_before() -> None:
    from sspimodel.model.drive import Routine
    from sspimodel.model.handles import Ref

    # The erratum covers acquiring; AddCredentials keeps refusing an identity without a user name.
    _world, cli, _srv = pair("observed")
    cred = acquire(cli, "Negotiate", SECPKG_CRED_OUTBOUND, None).phCredential
    r = cli.AddCredentialsW(
        hCredentials=cred, pPrincipal="", pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND,
        pAuthData=nulls("SEC_WINNT_AUTH_IDENTITY"), pGetKeyFn=Routine("GetKey"), pvGetKeyArgument=0,
        ptsExpiry=Ref(),
    )  # fmt: skip
    assert r.status.name == "SEC_E_UNKNOWN_CREDENTIALS"
    assert cli.last_rule is not None and cli.last_rule.id == "addc.unknown_credentials"


def test_sspilib_layer_takes_a_protocol_list_for_the_current_user() -> None:
    """sspilib's UserCredential(protocol_list=...) with no user: the process's own logon, with
    Negotiate restricted to the list (here NTLM), where the layer used to raise NotModelledError."""
    import sspimodel.sspilib as layer

    world = default_world()
    with layer.use_world(world, 100):
        cred = layer.UserCredential(protocol="Negotiate", protocol_list=["!kerberos"])
        client = layer.ClientSecurityContext(cred, "HTTP/web.contoso.com")
    with layer.use_world(world, 200):
        server = layer.ServerSecurityContext(layer.UserCredential(usage="accept"))
    token, legs = client.step(), 0
    while token:
        legs += 1
        token = server.step(token)
        if token:
            token = client.step(token)
    assert client.complete and server.complete
    # NTLM under SPNEGO: NEGOTIATE, CHALLENGE, AUTHENTICATE and the server's mechListMIC.
    assert legs == 2
    names = layer.raw.query_context_attributes(server, layer.raw.SecPkgContextNames)
    assert names.username == world.sessions[Sspi(world, 100).process.luid].account
    assert str(cred) == "CurrentUser - Negotiate"


@pytest.mark.parametrize(
    "fields",
    [{"username": "alice"}, {"password": "Passw0rd!alice"}, {"domain": "CONTOSO"}],
)
def test_sspilib_layer_refuses_a_protocol_list_with_half_an_identity(fields: dict[str, str]) -> None:
    import sspimodel.sspilib as layer

    with (
        layer.use_world(default_world(), 100),
        pytest.raises(layer.NotModelledError, match="half an identity"),
    ):
        layer.raw.acquire_credentials_handle(
            None, "Negotiate", layer.raw.CredentialUse.SECPKG_CRED_OUTBOUND,
            auth_data=layer.raw.WinNTAuthIdentity(**fields, package_list="!kerberos"),
        )  # fmt: skip
