"""QueryContextAttributesA/W (and Ex) on the general page's attributes that Negotiate, Kerberos and
NTLM answer: DCE_INFO, PASSWORD_EXPIRY, TARGET_INFORMATION, CLIENT_SPECIFIED_TARGET and
LAST_CLIENT_TOKEN_STATUS. Values come from the context's own state; Digest answers none of them."""

from __future__ import annotations

import pytest

from sspimodel.api import Sspi
from sspimodel.model import SecBufferDesc, default_world
from sspimodel.model.attributes import GENERAL_PACKAGES, SUPPORTED
from sspimodel.model.constants import SECPKG_CRED_OUTBOUND, SECURITY_NATIVE_DREP
from sspimodel.model.drive import acquire, handshake
from sspimodel.model.handles import NEVER

DCE_INFO, PASSWORD_EXPIRY, TARGET_INFORMATION, CLIENT_SPECIFIED_TARGET, LAST_CLIENT_TOKEN_STATUS = 3, 8, 17, 27, 30
SERVER_SIDE = (DCE_INFO, PASSWORD_EXPIRY, CLIENT_SPECIFIED_TARGET)
CLIENT_SIDE = (TARGET_INFORMATION, LAST_CLIENT_TOKEN_STATUS)
TARGET = "HTTP/web.contoso.com"  # drive.handshake's default target


def _pair(package: str) -> tuple:
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    hs = handshake(cli, srv, package)
    assert hs.established
    return world, cli, srv, hs


def test_the_general_attributes_are_in_the_support_table_for_three_packages():
    assert GENERAL_PACKAGES == {"Negotiate", "Kerberos", "NTLM"}
    for attribute in SERVER_SIDE + CLIENT_SIDE:
        assert attribute in SUPPORTED


@pytest.mark.parametrize("package", ["Negotiate", "Kerberos", "NTLM"])
@pytest.mark.parametrize("variant", ["A", "W"])
def test_server_side_values_come_from_the_context(package, variant):
    _world, cli, srv, hs = _pair(package)
    query = getattr(srv, f"QueryContextAttributes{variant}")
    client_name = srv.process.contexts[hs.server_ctx.dwLower].client
    assert client_name == "CONTOSO\\alice"

    dce = query(phContext=hs.server_ctx, ulAttribute=DCE_INFO)
    assert dce.status.name == "SEC_E_OK"
    assert dce.pBuffer.AuthzSvc == 1 and str(dce.pBuffer.pPac) == client_name

    expiry = query(phContext=hs.server_ctx, ulAttribute=PASSWORD_EXPIRY)
    assert expiry.status.name == "SEC_E_OK" and expiry.pBuffer.tsPasswordExpires == NEVER

    target = query(phContext=hs.server_ctx, ulAttribute=CLIENT_SPECIFIED_TARGET)
    assert target.status.name == "SEC_E_OK" and str(target.pBuffer.sTargetName) == TARGET

    # Server-side attributes are not the client's to answer.
    for attribute in SERVER_SIDE:
        r = getattr(cli, f"QueryContextAttributes{variant}")(phContext=hs.client_ctx, ulAttribute=attribute)
        assert r.status.name == "SEC_E_UNSUPPORTED_FUNCTION", attribute
    for r in (dce, target):
        buffer = r.pBuffer.pPac if r is dce else r.pBuffer.sTargetName
        assert srv.FreeContextBuffer(pvContextBuffer=buffer).status.name == "SEC_E_OK"


@pytest.mark.parametrize("package", ["Negotiate", "Kerberos", "NTLM"])
def test_client_side_values_come_from_the_context(package):
    _world, cli, srv, hs = _pair(package)
    info = cli.QueryContextAttributesW(phContext=hs.client_ctx, ulAttribute=TARGET_INFORMATION)
    assert info.status.name == "SEC_E_OK"
    data = TARGET.encode("utf-16-le")
    assert info.pBuffer.MarshalledTargetInfoLength == len(data) and bytes(info.pBuffer.MarshalledTargetInfo) == data
    status = cli.QueryContextAttributesW(phContext=hs.client_ctx, ulAttribute=LAST_CLIENT_TOKEN_STATUS)
    assert status.status.name == "SEC_E_OK" and status.pBuffer.LastClientTokenStatus == 0  # Yes
    for attribute in CLIENT_SIDE:
        r = srv.QueryContextAttributesW(phContext=hs.server_ctx, ulAttribute=attribute)
        assert r.status.name == "SEC_E_UNSUPPORTED_FUNCTION", attribute


def test_last_client_token_status_is_no_while_legs_remain_and_is_asked_early():
    world = default_world()
    cli = Sspi(world, 100)
    cred = acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND)
    r = cli.InitializeSecurityContextW(
        phCredential=cred,
        phContext=None,
        pTargetName=TARGET,
        fContextReq=0,
        Reserved1=0,
        TargetDataRep=SECURITY_NATIVE_DREP,
        pInput=None,
        Reserved2=0,
        pOutput=SecBufferDesc.output(48256),
    )
    assert r.status.name == "SEC_I_CONTINUE_NEEDED"
    q = cli.QueryContextAttributesW(phContext=r.phNewContext, ulAttribute=LAST_CLIENT_TOKEN_STATUS)
    assert q.status.name == "SEC_E_OK" and q.pBuffer.LastClientTokenStatus == 1  # No
    # The others need a complete context.
    q = cli.QueryContextAttributesW(phContext=r.phNewContext, ulAttribute=TARGET_INFORMATION)
    assert q.status.name == "SEC_E_INVALID_HANDLE" and cli.last_rule.id == "qca.incomplete"


def test_digest_answers_none_of_them():
    _world, cli, srv, hs = _pair("Digest")
    for sspi, ctx, attributes in ((srv, hs.server_ctx, SERVER_SIDE), (cli, hs.client_ctx, CLIENT_SIDE)):
        for attribute in attributes:
            r = sspi.QueryContextAttributesW(phContext=ctx, ulAttribute=attribute)
            assert r.status.name == "SEC_E_UNSUPPORTED_FUNCTION", attribute
            assert sspi.last_rule.id == "qca.unsupported_attribute"


def test_client_specified_target_once_the_client_context_is_gone_is_an_empty_name():
    _world, cli, srv, hs = _pair("Kerberos")
    cli.DeleteSecurityContext(phContext=hs.client_ctx)
    r = srv.QueryContextAttributesW(phContext=hs.server_ctx, ulAttribute=CLIENT_SPECIFIED_TARGET)
    assert r.status.name == "SEC_E_OK" and str(r.pBuffer.sTargetName) == ""


def test_ex_answers_the_general_attributes_with_the_same_values():
    _world, cli, srv, hs = _pair("NTLM")
    r = srv.QueryContextAttributesExW(phContext=hs.server_ctx, ulAttribute=DCE_INFO, cbBuffer=16)
    assert r.status.name == "SEC_E_OK" and str(r.pBuffer.pPac) == "CONTOSO\\alice"
    r = cli.QueryContextAttributesExA(phContext=hs.client_ctx, ulAttribute=LAST_CLIENT_TOKEN_STATUS, cbBuffer=3)
    assert r.status.name == "SEC_E_BUFFER_TOO_SMALL"
    r = cli.QueryContextAttributesExA(phContext=hs.client_ctx, ulAttribute=LAST_CLIENT_TOKEN_STATUS, cbBuffer=4)
    assert r.status.name == "SEC_E_OK" and r.pBuffer.LastClientTokenStatus == 0
