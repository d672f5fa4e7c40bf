"""The kernel-mode async family, end to end, and caller-mode enforcement."""

from __future__ import annotations

import pytest

from sspimodel.api import CallerModeError, Sspi
from sspimodel.contract import ContractError
from sspimodel.model import (
    AsyncContext,
    AuthIdentity,
    CallerMode,
    CredHandle,
    Ref,
    SecBufferDesc,
    default_world,
)
from sspimodel.model.async_ import NtStatus
from sspimodel.model.constants import (
    ISC_REQ_MUTUAL_AUTH,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
    SECURITY_NATIVE_DREP,
)

ALICE = AuthIdentity(User="alice", Domain="CONTOSO", Password="Passw0rd!alice")
WEBSVC = AuthIdentity(User="websvc", Domain="CONTOSO", Password="Svc!web-2024")


def kernel():
    world = default_world()
    world.caller_mode = CallerMode.KERNEL
    return world, Sspi(world, 4)


def no_key_fn(*_args):  # the async pages make pGetKeyFn required; the model never calls it
    return None


def acquire_async(sspi, ctx, package, use, identity, logon=None):
    cred, expiry = Ref(), Ref()
    r = sspi.SspiAcquireCredentialsHandleAsyncW(
        AsyncContext=ctx,
        pszPrincipal="",
        pszPackage=package,
        fCredentialUse=use,
        pvLogonId=logon,
        pAuthData=identity,
        pGetKeyFn=no_key_fn,
        pvGetKeyArgument=0,
        phCredential=cred,
        ptsExpiry=expiry,
    )
    return r, cred, expiry


def test_async_functions_refuse_user_mode_and_quote_the_requirement():
    world = default_world()
    sspi = Sspi(world)
    with pytest.raises(CallerModeError, match=r"kernel-mode drivers only") as info:
        sspi.SspiCreateAsyncContext()
    assert isinstance(info.value, ContractError) and "Windows 10, version 1607" in str(info.value)


def test_acquire_credentials_async_with_callback():
    world, sspi = kernel()
    seen = []
    ctx = sspi.SspiCreateAsyncContext().value
    assert isinstance(ctx, AsyncContext)
    r = sspi.SspiSetAsyncNotifyCallback(
        Context=ctx, Callback=lambda h, data: seen.append((h, data)), CallbackData="d"
    )
    assert r.status.name == "SEC_E_OK"
    queued, cred, expiry = acquire_async(sspi, ctx, "NTLM", SECPKG_CRED_OUTBOUND, ALICE)
    assert queued.status.name == "SEC_E_OK" and cred.value is None
    assert sspi.SspiGetAsyncCallStatus(Handle=ctx).status.name == "SEC_I_ASYNC_CALL_PENDING"
    assert sspi.SspiReinitAsyncContext(Handle=ctx).value is NtStatus.STATUS_UNSUCCESSFUL
    with pytest.raises(ContractError, match="Only release a context whose operation has finished"):
        sspi.SspiFreeAsyncContext(Handle=ctx)
    assert seen == []
    assert world.run_pending() == 1
    assert seen == [(ctx, "d")]
    assert isinstance(cred.value, CredHandle) and expiry.value is not None
    assert sspi.SspiGetAsyncCallStatus(Handle=ctx).status.name == "SEC_E_OK"
    # one operation per context: reset before the next
    with pytest.raises(ContractError, match="single asynchronous operation"):
        acquire_async(sspi, ctx, "NTLM", SECPKG_CRED_OUTBOUND, ALICE)
    assert sspi.SspiReinitAsyncContext(Handle=ctx).value is NtStatus.STATUS_SUCCESS
    assert sspi.SspiGetAsyncCallStatus(Handle=ctx).status.name == "SEC_E_OK"
    free = sspi.SspiFreeCredentialsHandleAsync(AsyncContext=ctx, phCredential=cred.value)
    assert free.status.name == "SEC_E_OK"
    world.run_pending()
    assert seen[-1] == (ctx, "d") and len(seen) == 2
    assert sspi.SspiFreeAsyncContext(Handle=ctx).value is None
    with pytest.raises(ContractError, match="dangling"):
        sspi.SspiGetAsyncCallStatus(Handle=ctx)
    assert world.leaks() == {}


def test_async_failure_is_reported_by_get_async_call_status():
    world, sspi = kernel()
    ctx = sspi.SspiCreateAsyncContext().value
    r, cred, _ = acquire_async(sspi, ctx, "NoSuchPackage", SECPKG_CRED_OUTBOUND, ALICE)
    assert r.status.name == "SEC_E_OK"  # queuing worked
    world.run_pending()
    assert sspi.SspiGetAsyncCallStatus(Handle=ctx).status.name == "SEC_E_SECPKG_NOT_FOUND"
    assert cred.value is None
    sspi.SspiReinitAsyncContext(Handle=ctx)
    sspi.SspiFreeCredentialsHandleAsync(AsyncContext=ctx, phCredential=CredHandle(77, 10))
    world.run_pending()
    # not on SspiFreeCredentialsHandleAsync's page; allowed through its counterpart FreeCredentialsHandle
    assert sspi.SspiGetAsyncCallStatus(Handle=ctx).status.name == "SEC_E_INVALID_HANDLE"
    sspi.SspiFreeAsyncContext(Handle=ctx)


def test_async_handshake_end_to_end():
    world, sspi = kernel()
    client_ctx_async = sspi.SspiCreateAsyncContext().value
    server_ctx_async = sspi.SspiCreateAsyncContext().value
    done = []
    for a in (client_ctx_async, server_ctx_async):
        sspi.SspiSetAsyncNotifyCallback(Context=a, Callback=lambda h, d: done.append(d), CallbackData=str(a))
    _, ccred, _ = acquire_async(sspi, client_ctx_async, "Kerberos", SECPKG_CRED_OUTBOUND, ALICE)
    _, scred, _ = acquire_async(sspi, server_ctx_async, "Kerberos", SECPKG_CRED_INBOUND, WEBSVC)
    assert world.run_pending() == 2 and len(done) == 2
    for a in (client_ctx_async, server_ctx_async):
        sspi.SspiReinitAsyncContext(Handle=a)

    new_ctx, attrs_, out = Ref(), Ref(), SecBufferDesc.output(48000)
    r = sspi.SspiInitializeSecurityContextAsyncW(
        AsyncContext=client_ctx_async,
        phCredential=ccred.value,
        phContext=Ref(),
        pszTargetName="HTTP/web.contoso.com",
        fContextReq=ISC_REQ_MUTUAL_AUTH,
        Reserved1=0,
        TargetDataRep=SECURITY_NATIVE_DREP,
        pInput=SecBufferDesc(),
        Reserved2=0,
        phNewContext=new_ctx,
        pOutput=out,
        pfContextAttr=attrs_,
        ptsExpiry=None,
    )
    assert r.status.name == "SEC_E_OK" and out.token_bytes == b""
    world.run_pending()
    assert sspi.SspiGetAsyncCallStatus(Handle=client_ctx_async).status.name == "SEC_I_CONTINUE_NEEDED"
    assert out.token_bytes and new_ctx.value is not None

    srv_ctx, srv_attrs, reply = Ref(), Ref(), SecBufferDesc.output(48000)
    sspi.SspiAcceptSecurityContextAsync(
        AsyncContext=server_ctx_async,
        phCredential=scred.value,
        phContext=Ref(),
        pInput=SecBufferDesc.token(out.token_bytes),
        fContextReq=0,
        TargetDataRep=SECURITY_NATIVE_DREP,
        phNewContext=srv_ctx,
        pOutput=reply,
        pfContextAttr=srv_attrs,
        ptsExpiry=Ref(),
    )
    world.run_pending()
    assert sspi.SspiGetAsyncCallStatus(Handle=server_ctx_async).status.name == "SEC_E_OK"

    sspi.SspiReinitAsyncContext(Handle=client_ctx_async)
    sspi.SspiInitializeSecurityContextAsyncW(
        AsyncContext=client_ctx_async,
        phCredential=ccred.value,
        phContext=new_ctx,
        pszTargetName="HTTP/web.contoso.com",
        fContextReq=ISC_REQ_MUTUAL_AUTH,
        Reserved1=0,
        TargetDataRep=SECURITY_NATIVE_DREP,
        pInput=SecBufferDesc.token(reply.token_bytes),
        Reserved2=0,
        phNewContext=Ref(),
        pOutput=SecBufferDesc.output(48000),
        pfContextAttr=attrs_,
        ptsExpiry=None,
    )
    world.run_pending()
    assert sspi.SspiGetAsyncCallStatus(Handle=client_ctx_async).status.name == "SEC_E_OK"
    assert attrs_.value & ISC_REQ_MUTUAL_AUTH

    # delete both contexts; a NULL routine is allowed for SspiDeleteSecurityContextAsync only
    for a, handle in ((client_ctx_async, new_ctx.value), (server_ctx_async, srv_ctx.value)):
        sspi.SspiReinitAsyncContext(Handle=a)
        sspi.SspiSetAsyncNotifyCallback(Context=a, Callback=None)
        assert sspi.SspiAsyncContextRequiresNotify(AsyncContext=a).value is True
        sspi.SspiDeleteSecurityContextAsync(AsyncContext=a, phContext=handle)
        assert sspi.SspiAsyncContextRequiresNotify(AsyncContext=a).value is False
    world.run_pending()
    for a, cred in ((client_ctx_async, ccred), (server_ctx_async, scred)):
        assert sspi.SspiGetAsyncCallStatus(Handle=a).status.name == "SEC_E_OK"
        sspi.SspiReinitAsyncContext(Handle=a)
        with pytest.raises(ContractError, match="supply a routine"):
            sspi.SspiFreeCredentialsHandleAsync(AsyncContext=a, phCredential=cred.value)
        sspi.SspiSetAsyncNotifyCallback(Context=a, Callback=lambda h, d: None)
        sspi.SspiFreeCredentialsHandleAsync(AsyncContext=a, phCredential=cred.value)
    world.run_pending()
    for a in (client_ctx_async, server_ctx_async):
        sspi.SspiFreeAsyncContext(Handle=a)
    assert world.leaks() == {}


def test_async_arguments_are_checked_when_queued():
    world, sspi = kernel()
    ctx = sspi.SspiCreateAsyncContext().value
    with pytest.raises(ContractError, match="pass a Ref"):
        sspi.SspiAcquireCredentialsHandleAsyncA(
            AsyncContext=ctx,
            pszPrincipal="",
            pszPackage="NTLM",
            fCredentialUse=SECPKG_CRED_OUTBOUND,
            pAuthData=ALICE,
            pGetKeyFn=no_key_fn,
            pvGetKeyArgument=0,
            phCredential=CredHandle(0, 0),
        )
    with pytest.raises(ContractError, match="not an async context"):
        sspi.SspiGetAsyncCallStatus(Handle=AsyncContext(0x1234))
    assert sspi.SspiReinitAsyncContext(Handle=AsyncContext(0x1234)).value is NtStatus.STATUS_INVALID_HANDLE
    assert sspi.SspiGetAsyncCallStatus(Handle=ctx).status.name == "SEC_E_OK"  # nothing queued yet
    with pytest.raises(ContractError, match="Reserved"):
        sspi.SspiInitializeSecurityContextAsyncA(
            AsyncContext=ctx,
            phCredential=CredHandle(1, 10),
            phContext=Ref(),
            pszTargetName="x",
            fContextReq=0,
            Reserved1=1,
            TargetDataRep=0,
            pInput=SecBufferDesc(),
            Reserved2=0,
            phNewContext=Ref(),
            pOutput=SecBufferDesc.output(10),
            pfContextAttr=Ref(),
        )
    assert world.pending == type(world.pending)()  # nothing was queued by the refused calls
    sspi.SspiFreeAsyncContext(Handle=ctx)
