"""ImpersonateSecurityContext, RevertSecurityContext, QuerySecurityContextToken: each documented
status on purpose, the per-thread impersonation state, the tokens' contents, closing tokens and
what world.leaks() reports."""

from __future__ import annotations

import pytest

from sspimodel.api import Sspi
from sspimodel.model import AccessToken, CtxtHandle, default_world
from sspimodel.model.access_token import domain_sid, impersonation_level
from sspimodel.model.constants import (
    ASC_RET_IDENTIFY,
    ISC_REQ_DELEGATE,
    ISC_REQ_IDENTIFY,
    ISC_REQ_MUTUAL_AUTH,
)
from sspimodel.model.drive import handshake
from sspimodel.model.impersonation import thread_token
from sspimodel.model.packages import internal_to_asc

FORGED = CtxtHandle(0x999, 10)


@pytest.fixture
def world():
    return default_world()


def _pair(world, client_pid=100, server_pid=200, package="NTLM", **kwargs):
    cli, srv = Sspi(world, client_pid), Sspi(world, server_pid)
    return cli, srv, handshake(cli, srv, package, **kwargs)


def _status(result) -> str:
    return result.status.name


# -- ImpersonateSecurityContext ---------------------------------------------------------------


def test_impersonate_ok_puts_the_client_token_on_the_calling_thread(world):
    _, srv, hs = _pair(world)
    r = srv.ImpersonateSecurityContext(phContext=hs.server_ctx)
    assert _status(r) == "SEC_E_OK"
    token = thread_token(world.process(200))
    assert token is not None and token.user == "CONTOSO\\alice" and token.level == "SecurityImpersonation"
    # Only thread 1 impersonates; another thread of the process runs as the process.
    assert thread_token(world.process(200), 2) is None


def test_impersonate_forged_null_and_deleted_handles_are_invalid(world):
    _, srv, hs = _pair(world)
    assert _status(srv.ImpersonateSecurityContext(phContext=FORGED)) == "SEC_E_INVALID_HANDLE"
    assert _status(srv.ImpersonateSecurityContext(phContext=CtxtHandle(0, 0))) == "SEC_E_INVALID_HANDLE"
    srv.DeleteSecurityContext(phContext=hs.server_ctx)
    assert _status(srv.ImpersonateSecurityContext(phContext=hs.server_ctx)) == "SEC_E_INVALID_HANDLE"
    assert world.process(200).impersonating == {}


def test_impersonate_a_client_context_gives_no_impersonation(world):
    cli, _, hs = _pair(world)
    assert _status(cli.ImpersonateSecurityContext(phContext=hs.client_ctx)) == "SEC_E_NO_IMPERSONATION"
    assert cli.last_rule.id == "isctx.client_context"


def test_impersonate_an_unfinished_handshake_gives_no_impersonation(world):
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    hs = handshake(cli, srv, "NTLM", max_calls=2)  # negotiate + challenge only
    assert not hs.server_done
    r = srv.ImpersonateSecurityContext(phContext=hs.server_ctx)
    assert _status(r) == "SEC_E_NO_IMPERSONATION" and srv.last_rule.id == "isctx.incomplete"


def test_impersonate_without_the_privilege_is_refused_and_changes_nothing(world):
    # bob.exe's session holds no SeImpersonatePrivilege and alice is not bob.
    _, srv, hs = _pair(world, 100, 101)
    r = srv.ImpersonateSecurityContext(phContext=hs.server_ctx)
    assert _status(r) == "SEC_E_NO_IMPERSONATION" and srv.last_rule.id == "isctx.not_permitted"
    assert world.process(101).impersonating == {}


def test_impersonate_identify_level_needs_no_privilege(world):
    # Neither InitializeSecurityContext's nor AcceptSecurityContext's page documents the IDENTIFY
    # flags, so the documented contract refuses them and no handshake grants them. A context
    # whose negotiated attributes do include identify (put there directly) reports
    # ASC_RET_IDENTIFY, its token is for identification only, and the remarks allow that
    # without SeImpersonatePrivilege.
    _, srv, hs = _pair(world, 100, 101)
    record = world.process(101).contexts[hs.server_ctx.dwLower]
    record.attributes |= ISC_REQ_IDENTIFY
    assert internal_to_asc(record.attributes) & ASC_RET_IDENTIFY
    r = srv.ImpersonateSecurityContext(phContext=hs.server_ctx)
    assert _status(r) == "SEC_E_OK"
    assert thread_token(world.process(101)).level == "SecurityIdentification"


def test_the_pages_do_not_document_isc_req_identify(world):
    from sspimodel.contract import ContractError

    cli, srv = Sspi(world, 100), Sspi(world, 200)
    with pytest.raises(ContractError, match="fContextReq"):
        handshake(cli, srv, "NTLM", client_req=ISC_REQ_IDENTIFY)


def test_impersonate_own_account_needs_no_privilege(world):
    # alice's client talks to a server in alice's own logon session (loopback).
    _, srv, hs = _pair(world, 100, 100)
    assert _status(srv.ImpersonateSecurityContext(phContext=hs.server_ctx)) == "SEC_E_OK"


def test_impersonate_unsupported_function_is_marked_unreachable():
    from sspimodel.model import rules_for

    rule = next(
        r for r in rules_for("ImpersonateSecurityContext") if r.status == "SEC_E_UNSUPPORTED_FUNCTION"
    )
    assert not rule.reachable and "Schannel" in rule.unreachable


def test_impersonation_level_follows_the_negotiated_flags():
    assert impersonation_level(ISC_REQ_IDENTIFY) == "SecurityIdentification"
    assert impersonation_level(ISC_REQ_DELEGATE | ISC_REQ_MUTUAL_AUTH) == "SecurityDelegation"
    assert impersonation_level(0) == "SecurityImpersonation"


def test_kerberos_delegation_gives_a_delegation_level_token(world):
    _, srv, hs = _pair(world, package="Kerberos", client_req=ISC_REQ_DELEGATE | ISC_REQ_MUTUAL_AUTH)
    assert _status(srv.ImpersonateSecurityContext(phContext=hs.server_ctx)) == "SEC_E_OK"
    assert thread_token(world.process(200)).level == "SecurityDelegation"


# -- RevertSecurityContext ------------------------------------------------------------------


def test_revert_ends_the_impersonation_and_balances(world):
    _, srv, hs = _pair(world)
    srv.ImpersonateSecurityContext(phContext=hs.server_ctx)
    assert "impersonation" in world.leaks()[200]
    assert _status(srv.RevertSecurityContext(phContext=hs.server_ctx)) == "SEC_E_OK"
    assert thread_token(world.process(200)) is None
    assert "impersonation" not in world.leaks().get(200, {})


def test_revert_without_impersonating_is_an_invalid_handle(world):
    _, srv, hs = _pair(world)
    assert _status(srv.RevertSecurityContext(phContext=hs.server_ctx)) == "SEC_E_INVALID_HANDLE"
    assert srv.last_rule.id == "rsctx.not_impersonating"
    srv.ImpersonateSecurityContext(phContext=hs.server_ctx)
    srv.RevertSecurityContext(phContext=hs.server_ctx)
    # A second revert is unbalanced.
    assert _status(srv.RevertSecurityContext(phContext=hs.server_ctx)) == "SEC_E_INVALID_HANDLE"
    assert _status(srv.RevertSecurityContext(phContext=FORGED)) == "SEC_E_INVALID_HANDLE"


def test_impersonation_is_per_thread(world):
    _, srv, hs = _pair(world)
    process = world.process(200)
    srv.ImpersonateSecurityContext(phContext=hs.server_ctx)
    process.thread = 2
    # Thread 2 is not impersonating: its revert fails and thread 1 still impersonates.
    assert _status(srv.RevertSecurityContext(phContext=hs.server_ctx)) == "SEC_E_INVALID_HANDLE"
    assert thread_token(process, 1) is not None
    process.thread = 1
    assert _status(srv.RevertSecurityContext(phContext=hs.server_ctx)) == "SEC_E_OK"
    assert process.impersonating == {}


def test_deleting_the_context_does_not_revert_the_thread(world):
    _, srv, hs = _pair(world)
    srv.ImpersonateSecurityContext(phContext=hs.server_ctx)
    srv.DeleteSecurityContext(phContext=hs.server_ctx)
    assert world.leaks()[200]["impersonation"], "an impersonation never reverted is reported"


# -- QuerySecurityContextToken --------------------------------------------------------------


def test_query_token_ok_gives_an_open_handle_to_close(world):
    _, srv, hs = _pair(world)
    r = srv.QuerySecurityContextToken(phContext=hs.server_ctx)
    assert _status(r) == "SEC_E_OK"
    assert isinstance(r.Token, AccessToken) and r.Token.user == "CONTOSO\\alice"
    assert world.leaks()[200]["tokens"] == [repr(r.Token)]
    assert world.close_handle(r.Token, 200) is True
    assert "tokens" not in world.leaks()[200]
    assert world.close_handle(r.Token, 200) is False  # closed twice
    assert world.close_handle(r.Token, 100) is False  # not a token of process 100


def test_query_token_contents_are_derived_deterministically(world):
    _, srv, hs = _pair(world)
    token = world.process(200).tokens[srv.QuerySecurityContextToken(phContext=hs.server_ctx).Token.value]
    base = domain_sid(world)
    assert token.user_sid == f"{base}-1000"  # alice: the first principal
    assert token.groups == ("S-1-1-0", "S-1-5-2", "S-1-5-11", f"{base}-513")
    assert token.privileges == ("SeChangeNotifyPrivilege",)
    assert token.context == hs.server_ctx and token.package == "NTLM"
    other = default_world()
    _, srv2, hs2 = _pair(other)
    token2 = other.process(200).tokens[srv2.QuerySecurityContextToken(phContext=hs2.server_ctx).Token.value]
    assert token2 == token
    assert domain_sid(default_world("fabrikam")) != base


def test_query_token_of_bad_or_client_or_unfinished_contexts_is_an_invalid_handle(world):
    cli, srv, hs = _pair(world)
    assert _status(srv.QuerySecurityContextToken(phContext=FORGED)) == "SEC_E_INVALID_HANDLE"
    assert _status(srv.QuerySecurityContextToken(phContext=CtxtHandle(0, 0))) == "SEC_E_INVALID_HANDLE"
    assert _status(cli.QuerySecurityContextToken(phContext=hs.client_ctx)) == "SEC_E_INVALID_HANDLE"
    assert cli.last_rule.id == "qsct.no_client_token"
    half = handshake(cli, srv, "NTLM", max_calls=2)
    assert _status(srv.QuerySecurityContextToken(phContext=half.server_ctx)) == "SEC_E_INVALID_HANDLE"
    assert world.process(200).tokens == {} and world.process(100).tokens == {}


def test_a_full_session_leaves_no_leaks(world):
    cli, srv, hs = _pair(world)
    srv.ImpersonateSecurityContext(phContext=hs.server_ctx)
    token = srv.QuerySecurityContextToken(phContext=hs.server_ctx).Token
    srv.RevertSecurityContext(phContext=hs.server_ctx)
    world.close_handle(token, 200)
    for sspi, ctx, cred in ((cli, hs.client_ctx, hs.client_cred), (srv, hs.server_ctx, hs.server_cred)):
        sspi.DeleteSecurityContext(phContext=ctx)
        sspi.FreeCredentialsHandle(phCredential=cred)
    assert world.leaks() == {}
