"""Negotiate honours the PackageList of SEC_WINNT_AUTH_IDENTITY_EXW (and of a packed EX2 identity).

World used: default_world(); client.exe (100) runs as alice, web.exe (200) as websvc, whose
service principal HTTP/web.contoso.com makes Negotiate prefer Kerberos while the domain
controller is online. Facts and interpretations: tests/data/package_list_facts.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sspimodel.sspilib as layer
from sspimodel.api import Sspi
from sspimodel.model import default_world
from sspimodel.model.constants import (
    SECPKG_ATTR_PACKAGE_INFO,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
)
from sspimodel.model.drive import Routine, acquire, handshake
from sspimodel.model.handles import Ref
from sspimodel.model.identity import SecWinntAuthIdentityExW
from sspimodel.model.rules import Interpretation, rules_for

PASSWORD = "Passw0rd!alice"
TARGET = "HTTP/web.contoso.com"
FACTS = Path(__file__).parent / "data" / "package_list_facts.json"


def _alice(package_list: str | None) -> SecWinntAuthIdentityExW:
    return SecWinntAuthIdentityExW(User="alice", Domain="CONTOSO", Password=PASSWORD, PackageList=package_list)


def _acquire(sspi: Sspi, package_list: str | None, package: str = "Negotiate", use: int = SECPKG_CRED_OUTBOUND):
    return sspi.AcquireCredentialsHandleW(pPackage=package, fCredentialUse=use, pAuthData=_alice(package_list))


def _selected(sspi: Sspi, ctx) -> str:
    r = sspi.QueryContextAttributesW(phContext=ctx, ulAttribute=SECPKG_ATTR_PACKAGE_INFO)
    assert r.status.name == "SEC_E_OK"
    return r.pBuffer.PackageInfo.value.Name


def _run(package_list: str | None, online: bool = True, target: str = TARGET):
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    r = _acquire(cli, package_list)
    assert r.status.name == "SEC_E_OK"
    server_cred = acquire(srv, "Negotiate", SECPKG_CRED_INBOUND)
    world.authority.online = online  # after acquiring: inbound credentials need the authority
    return cli, handshake(cli, srv, target=target, client_cred=r.phCredential, server_cred=server_cred)


def test_without_a_list_negotiate_prefers_kerberos_for_a_known_service():
    cli, hs = _run(None)
    assert hs.established and _selected(cli, hs.client_ctx) == "Kerberos"


@pytest.mark.parametrize("package_list", ["!Kerberos", "!kerberos", "NTLM", "ntlm", " NTLM , ,", ",,NTLM", "NTLM,!Kerberos"])
def test_a_list_without_kerberos_makes_negotiate_use_ntlm_where_kerberos_would_be_chosen(package_list):
    cli, hs = _run(package_list)
    assert hs.established, hs.statuses
    assert _selected(cli, hs.client_ctx) == "NTLM"
    assert hs.statuses[0] == "SEC_I_CONTINUE_NEEDED"  # NTLM's three messages, not Kerberos' one leg


@pytest.mark.parametrize("package_list", ["Kerberos", "!NTLM", "KERBEROS,Foo", "!ntlm,!Digest"])
def test_a_list_that_keeps_kerberos_uses_kerberos(package_list):
    cli, hs = _run(package_list)
    assert hs.established and _selected(cli, hs.client_ctx) == "Kerberos"


@pytest.mark.parametrize("package_list", ["Kerberos", "!NTLM"])
def test_kerberos_only_with_the_domain_controller_offline_fails_with_no_authority(package_list):
    # No NTLM to fall back to: Negotiate uses Kerberos and fails as Kerberos does.
    _, hs = _run(package_list, online=False)
    assert hs.statuses == ["SEC_E_NO_AUTHENTICATING_AUTHORITY"]


def test_kerberos_only_for_an_unknown_target_fails_with_target_unknown():
    _, hs = _run("Kerberos", target="HTTP/nowhere.contoso.com")
    assert hs.statuses == ["SEC_E_TARGET_UNKNOWN"]


def test_without_a_list_negotiate_falls_back_to_ntlm_when_the_domain_controller_is_offline():
    _, hs = _run(None, online=False)
    # NTLM's NEGOTIATE_MESSAGE (Kerberos would fail at once); the server then cannot log alice on.
    assert hs.statuses[:2] == ["SEC_I_CONTINUE_NEEDED", "SEC_I_CONTINUE_NEEDED"]


@pytest.mark.parametrize("package_list", ["!Kerberos,!NTLM", "Foo", "Digest", "Negotiate", "NTLM,!ntlm", "Kerberos NTLM"])
def test_a_list_that_leaves_negotiate_no_package_fails_acquire_with_no_credentials(package_list):
    world = default_world()
    cli = Sspi(world, 100)
    r = _acquire(cli, package_list)
    assert r.status.name == "SEC_E_NO_CREDENTIALS"
    assert cli.last_rule is not None and cli.last_rule.id == "ach.package_list_empty"
    assert world.process(100).creds == {}


@pytest.mark.parametrize("package_list", ["", ",", " , ,", "!", "!Foo"])
def test_an_empty_list_or_one_excluding_nothing_known_restricts_nothing(package_list):
    cli, hs = _run(package_list)
    assert hs.established and _selected(cli, hs.client_ctx) == "Kerberos"


@pytest.mark.parametrize("package", ["NTLM", "Kerberos"])
def test_only_negotiate_reads_the_list(package):
    # The list names no package of Negotiate's; NTLM and Kerberos credentials ignore it.
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    r = _acquire(cli, "!Kerberos,!NTLM", package=package)
    assert r.status.name == "SEC_E_OK"
    hs = handshake(cli, srv, package=package, client_cred=r.phCredential)
    assert hs.established and _selected(cli, hs.client_ctx) == package


def test_a_packed_identity_from_sspiexcludepackage_carries_its_list_to_negotiate():
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    ident = cli.SspiEncodeStringsAsAuthIdentity(
        pszUserName="alice", pszDomainName="CONTOSO", pszPackedCredentialsString=PASSWORD
    ).ppAuthIdentity
    excluded = cli.SspiExcludePackage(AuthIdentity=ident, pszPackageName="Kerberos").ppNewAuthIdentity
    r = cli.AcquireCredentialsHandleW(pPackage="Negotiate", fCredentialUse=SECPKG_CRED_OUTBOUND, pAuthData=excluded)
    assert r.status.name == "SEC_E_OK"
    hs = handshake(cli, srv, client_cred=r.phCredential)
    assert hs.established and _selected(cli, hs.client_ctx) == "NTLM"


def test_a_negotiate_server_refuses_a_first_token_of_a_package_its_list_keeps_out():
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    server = srv.AcquireCredentialsHandleW(
        pPackage="Negotiate",
        fCredentialUse=SECPKG_CRED_INBOUND,
        pAuthData=SecWinntAuthIdentityExW(User="websvc", Domain="CONTOSO", Password="Svc!web-2024", PackageList="NTLM"),
    )
    assert server.status.name == "SEC_E_OK"
    hs = handshake(cli, srv, server_cred=server.phCredential)  # the client (no list) sends Kerberos
    assert hs.statuses == ["SEC_E_OK", "SEC_E_INVALID_TOKEN"]


def test_add_credentials_keeps_the_list():
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    cred = _acquire(cli, "!Kerberos").phCredential
    added = cli.AddCredentialsW(
        hCredentials=cred, pPrincipal="", pPackage="Negotiate", fCredentialUse=SECPKG_CRED_OUTBOUND,
        pAuthData=_alice(None), pGetKeyFn=Routine("GetKey"), pvGetKeyArgument=0, ptsExpiry=Ref(),
    )
    assert added.status.name == "SEC_E_OK"
    hs = handshake(cli, srv, client_cred=cred)
    assert hs.established and _selected(cli, hs.client_ctx) == "NTLM"


def test_the_sspilib_layer_passes_a_protocol_list_to_negotiate():
    world = default_world()
    with layer.use_world(world, 100):
        cred = layer.UserCredential("alice", PASSWORD, domain="CONTOSO", protocol="Negotiate", protocol_list=["!kerberos"])
        ctx = layer.ClientSecurityContext(cred, TARGET)
        ctx.step()
    assert [c.mech for c in world.process(100).contexts.values()] == ["NTLM"]


def test_the_sspilib_layer_refuses_a_list_that_leaves_negotiate_nothing():
    world = default_world()
    with layer.use_world(world, 100), pytest.raises(layer.WindowsError) as caught:
        layer.raw.acquire_credentials_handle(
            None, "Negotiate", layer.raw.CredentialUse.SECPKG_CRED_OUTBOUND,
            auth_data=layer.raw.WinNTAuthIdentity("alice", "CONTOSO", PASSWORD, package_list="!ntlm,!kerberos"),
        )
    assert caught.value.winerror == -2146893042  # SEC_E_NO_CREDENTIALS (0x8009030E)


def test_parse_reads_names_without_regard_to_case_and_keeps_negotiates_order():
    from sspimodel.model.package_list import parse  # here, so the other tests run on a model without it

    assert parse("ntlm,KERBEROS").allowed == ("Kerberos", "NTLM")
    assert parse("!NtLm").allowed == ("Kerberos",)
    assert parse("Foo,!Bar,NTLM").unmatched == ("Foo", "Bar")
    # blanks are spaces and tabs; case is that of ASCII letters
    assert parse(" ntlm\t, !kerberos").allowed == ("NTLM",)
    assert parse("\x1cNTLM").allowed == () and parse("\u212aerberos").allowed == ()


def test_the_server_refusal_states_its_interpretation():
    rule = next(r for r in rules_for("AcceptSecurityContext") if r.id == "asc.invalid_token")
    assert any(isinstance(x, Interpretation) and "PackageList" in x.question for x in rule.also)


def test_add_credentials_reads_no_list_of_its_own():
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    cred = _acquire(cli, None).phCredential
    added = cli.AddCredentialsW(
        hCredentials=cred, pPrincipal="", pPackage="Negotiate", fCredentialUse=SECPKG_CRED_OUTBOUND,
        pAuthData=_alice("!Kerberos,!NTLM"), pGetKeyFn=Routine("GetKey"), pvGetKeyArgument=0, ptsExpiry=Ref(),
    )  # fmt: skip
    assert added.status.name == "SEC_E_OK"
    hs = handshake(cli, srv, client_cred=cred)
    assert hs.established and _selected(cli, hs.client_ctx) == "Kerberos"
    rule = next(r for r in rules_for("AddCredentialsW") if r.id == "addc.ok")
    assert any(isinstance(x, Interpretation) and "PackageList" in x.question for x in rule.also)


@pytest.mark.parametrize(("user", "password"), [("alice", None), (None, PASSWORD)])
def test_the_sspilib_layer_refuses_a_list_with_half_an_identity(user, password):
    world = default_world()
    with layer.use_world(world, 100), pytest.raises(layer.NotModelledError, match="half an identity"):
        layer.UserCredential(user, password, domain="CONTOSO", protocol="Negotiate", protocol_list=["NTLM"])


def test_the_rule_states_its_interpretation_and_the_facts_name_their_sources():
    rule = next(r for r in rules_for("AcquireCredentialsHandleW") if r.id == "ach.package_list_empty")
    assert rule.status == "SEC_E_NO_CREDENTIALS" and isinstance(rule.basis, Interpretation)
    facts = json.loads(FACTS.read_text(encoding="utf-8"))
    assert all(f["source"] in facts["sources"] for f in facts["facts"])
