"""Every documented status of every function is produced through the public API, or its rule
table says why it cannot be.

The (function, code) pairs come from the generated contracts (the pages), never from a list
kept here. What is kept here is how to provoke each outcome: one recipe per operation and
code, shared by a function's A and W variants and by its Sspi*Async counterpart (run through
the async context and the scheduler, and read back with SspiGetAsyncCallStatus).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sspimodel._generated import CONTRACTS, Status
from sspimodel.api import Sspi
from sspimodel.model import (
    AuthIdentity,
    CallerMode,
    CredHandle,
    CtxtHandle,
    Luid,
    Ref,
    SecBuffer,
    SecBufferDesc,
    default_world,
    rules_for,
    tokens,
)
from sspimodel.model.constants import (
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_DELEGATE,
    ISC_REQ_INTEGRITY,
    ISC_REQ_MUTUAL_AUTH,
    ISC_REQ_NO_INTEGRITY,
    ISC_REQ_REPLAY_DETECT,
    ISC_REQ_SEQUENCE_DETECT,
    SECBUFFER_DATA,
    SECBUFFER_STREAM,
    SECBUFFER_TOKEN,
    SECPKG_ATTR_SESSION_KEY,
    SECPKG_ATTR_SIZES,
    SECPKG_CONTEXT_EXPORT_TO_KERNEL,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
    SECURITY_NATIVE_DREP,
)
from sspimodel.model.drive import acquire, handshake
from sspimodel.model.sasl import SaslPair
from sspimodel.model.tokens import Kind

SEQ = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT
ALICE = AuthIdentity(User="alice", Domain="CONTOSO", Password="Passw0rd!alice")
WRONG = AuthIdentity(User="alice", Domain="CONTOSO", Password="wrong")
FORGED_CRED = CredHandle(0x999, 10)
FORGED_CTX = CtxtHandle(0x999, 10)
CERT_TRUST_STATUS = 0x80000084  # in QueryContextAttributes' table; no model package answers it

# The operation each function performs (A/W and async variants share recipes).
OPERATION = {
    "AcquireCredentialsHandleA": "acquire",
    "AcquireCredentialsHandleW": "acquire",
    "SspiAcquireCredentialsHandleAsyncA": "acquire",
    "SspiAcquireCredentialsHandleAsyncW": "acquire",
    "FreeCredentialsHandle": "free_cred",
    "SspiFreeCredentialsHandleAsync": "free_cred",
    "InitializeSecurityContextA": "isc",
    "InitializeSecurityContextW": "isc",
    "SspiInitializeSecurityContextAsyncA": "isc",
    "SspiInitializeSecurityContextAsyncW": "isc",
    "AcceptSecurityContext": "asc",
    "SspiAcceptSecurityContextAsync": "asc",
    "DeleteSecurityContext": "delete",
    "SspiDeleteSecurityContextAsync": "delete",
    "CompleteAuthToken": "complete",
    "QueryContextAttributesA": "query",
    "QueryContextAttributesW": "query",
    "FreeContextBuffer": "free_buffer",
    "ExportSecurityContext": "export",
    "ImportSecurityContextA": "import",
    "ImportSecurityContextW": "import",
    "QuerySecurityPackageInfoA": "package_info",
    "QuerySecurityPackageInfoW": "package_info",
    "EnumerateSecurityPackagesA": "enumerate",
    "EnumerateSecurityPackagesW": "enumerate",
    "MakeSignature": "sign",
    "VerifySignature": "verify",
    "EncryptMessage": "encrypt",
    "DecryptMessage": "decrypt",
    "SspiGetAsyncCallStatus": "async_status",
    # auth identities: each function is its own operation
    **{
        name: name
        for name in (
            "SspiEncodeStringsAsAuthIdentity",
            "SspiEncodeAuthIdentityAsStrings",
            "SspiCopyAuthIdentity",
            "SspiCompareAuthIdentities",
            "SspiValidateAuthIdentity",
            "SspiFreeAuthIdentity",
            "SspiZeroAuthIdentity",
            "SspiMarshalAuthIdentity",
            "SspiUnmarshalAuthIdentity",
            "SspiEncryptAuthIdentity",
            "SspiEncryptAuthIdentityEx",
            "SspiDecryptAuthIdentity",
            "SspiDecryptAuthIdentityEx",
            "SspiExcludePackage",
            "SspiGetTargetHostName",
        )
    },
    # issue 19: impersonation and access tokens
    "ImpersonateSecurityContext": "impersonate",
    "RevertSecurityContext": "revert",
    "QuerySecurityContextToken": "query_token",
    "AddSecurityPackageA": "add_package",
    "AddSecurityPackageW": "add_package",
    "DeleteSecurityPackageA": "delete_package",
    "DeleteSecurityPackageW": "delete_package",
    "QueryCredentialsAttributesA": "query_cred",
    "QueryCredentialsAttributesW": "query_cred",
    "SetContextAttributesA": "set_ctx",
    "SetContextAttributesW": "set_ctx",
    # issue 19, the credential family (19a)
    "SetCredentialsAttributesA": "set_cred",
    "SetCredentialsAttributesW": "set_cred",
    "QueryCredentialsAttributesExA": "query_cred_ex",
    "QueryCredentialsAttributesExW": "query_cred_ex",
    "ChangeAccountPasswordA": "change_password",
    "ChangeAccountPasswordW": "change_password",
    # issue 19 (19b): the context family
    "QueryContextAttributesExA": "query_ex",
    "QueryContextAttributesExW": "query_ex",
    "ApplyControlToken": "apply_control",
    "DelegateSecurityContext": "delegate",
    # issue 20: SASL profiles
    "SaslEnumerateProfilesA": "sasl_enumerate",
    "SaslEnumerateProfilesW": "sasl_enumerate",
    "SaslGetProfilePackageA": "sasl_profile_package",
    "SaslGetProfilePackageW": "sasl_profile_package",
    "SaslIdentifyPackageA": "sasl_identify",
    "SaslIdentifyPackageW": "sasl_identify",
    # issue 20: credential prompts
    "SspiPromptForCredentialsA": "prompt",
    "SspiPromptForCredentialsW": "prompt",
    "SspiIsPromptingNeeded": "prompting_needed",
    "SspiPrepareForCredRead": "cred_read",
    "SspiPrepareForCredWrite": "cred_write",
    "SspiUnmarshalCredUIContext": "credui_unmarshal",
    "SspiGetCredUIContext": "credui_get",
    "SspiUpdateCredentials": "credui_update",
    # issue 20: SASL contexts
    "SaslInitializeSecurityContextA": "sasl_isc",
    "SaslInitializeSecurityContextW": "sasl_isc",
    "SaslAcceptSecurityContext": "sasl_asc",
    "SaslGetContextOption": "sasl_get_option",
    "SaslSetContextOption": "sasl_set_option",
}


def documented_pairs() -> list[tuple[str, str]]:
    return sorted((name, code) for name, c in CONTRACTS.items() for code in c.returns.documented())


def _no_key_fn(*_args: object) -> None:
    return None


class Env:
    """A fresh default world, and a way to call the function under test with neutral arguments."""

    def __init__(self, function: str) -> None:
        self.function = function
        self.asynchronous = "Async" in function and function != "SspiGetAsyncCallStatus"
        self.world = default_world()
        if CONTRACTS[function].kernel_mode_only:
            self.world.caller_mode = CallerMode.KERNEL
        self.cli = Sspi(self.world, 100)
        self.srv = Sspi(self.world, 200)
        self.pending = False  # leave the queued work unrun (SEC_I_ASYNC_CALL_PENDING)

    def fault(self, code: str) -> None:
        self.world.faults.add(code, function=self.function)

    # -- the call under test ---------------------------------------------------------------------
    def call(self, sspi: Sspi, **args: Any) -> tuple[Status, Any]:
        """The status of the call under test (compared by value: SEC_E_NOT_SUPPORTED is an alias)."""
        if not self.asynchronous:
            result = getattr(sspi, self.function)(**args)
            return result.status, result
        return self._call_async(sspi, args)

    def _call_async(self, sspi: Sspi, args: dict[str, Any]) -> tuple[Status, Any]:
        ctx = sspi.SspiCreateAsyncContext().value
        if self.function != "SspiDeleteSecurityContextAsync":
            sspi.SspiSetAsyncNotifyCallback(Context=ctx, Callback=_no_key_fn)
        queued = getattr(sspi, self.function)(AsyncContext=ctx, **args)
        assert queued.status.name == "SEC_E_OK", "queuing itself must succeed"
        if not self.pending:
            self.world.run_pending()
        status = sspi.SspiGetAsyncCallStatus(Handle=ctx).status
        return status, queued

    # -- neutral forms of the operations ----------------------------------------------------------
    def acquire(self, sspi: Sspi, package: str, use: int, logon: Any = None, auth: Any = None) -> str:
        name = self.function
        if name.endswith("HandleW"):
            args = {"pPackage": package, "fCredentialUse": use, "pvLogonId": logon, "pAuthData": auth}
        else:
            args = {"pszPackage": package, "fCredentialUse": use, "pvLogonId": logon, "pAuthData": auth}
        if self.asynchronous:
            args.update(
                pszPrincipal="",
                pAuthData=auth if auth is not None else ALICE,
                pGetKeyFn=_no_key_fn,
                pvGetKeyArgument=0,
                phCredential=Ref(),
                ptsExpiry=Ref(),
            )
        return self.call(sspi, **args)[0]

    def isc(
        self, cred: Any, ctx: Any = None, token: bytes | None = None, target: str | None = None, req: int = 0
    ) -> str:
        out = SecBufferDesc.output(48256)
        given = SecBufferDesc.token(token) if token is not None else None
        target_param = "pTargetName" if self.function == "InitializeSecurityContextW" else "pszTargetName"
        args: dict[str, Any] = {
            "phCredential": cred,
            "phContext": ctx,
            target_param: target,
            "fContextReq": req,
            "Reserved1": 0,
            "TargetDataRep": SECURITY_NATIVE_DREP,
            "pInput": given,
            "Reserved2": 0,
            "pOutput": out,
        }
        if self.asynchronous:
            args.update(
                phContext=ctx if ctx is not None else Ref(),
                pInput=given if given is not None else SecBufferDesc(),
                **{target_param: target or ""},
                phNewContext=Ref(),
                pfContextAttr=Ref(),
            )
        return self.call(self.cli, **args)[0]

    def asc(self, cred: Any, ctx: Any = None, token: bytes | None = None, req: int = 0) -> str:
        out = SecBufferDesc.output(48256)
        given = SecBufferDesc.token(token) if token is not None else None
        args: dict[str, Any] = {
            "phCredential": cred,
            "phContext": ctx,
            "pInput": given,
            "fContextReq": req,
            "TargetDataRep": SECURITY_NATIVE_DREP,
            "pOutput": out,
        }
        if self.asynchronous:
            args.update(
                phContext=ctx if ctx is not None else Ref(),
                pInput=given if given is not None else SecBufferDesc(),
                phNewContext=Ref(),
                pfContextAttr=Ref(),
                ptsExpiry=Ref(),
            )
        return self.call(self.srv, **args)[0]


# -- setup helpers (synchronous, through the API) ---------------------------------------------------


def _isc_w(
    sspi: Sspi,
    cred: Any,
    ctx: Any = None,
    token: bytes | None = None,
    target: str = "HTTP/web.contoso.com",
    req: int = 0,
) -> tuple[Any, bytes]:
    out = SecBufferDesc.output(48256)
    r = sspi.InitializeSecurityContextW(
        phCredential=cred,
        phContext=ctx,
        pTargetName=target,
        fContextReq=req,
        Reserved1=0,
        TargetDataRep=SECURITY_NATIVE_DREP,
        pInput=SecBufferDesc.token(token) if token else None,
        Reserved2=0,
        pOutput=out,
    )
    if r.status.name.startswith("SEC_I_COMPLETE"):
        sspi.CompleteAuthToken(phContext=r.phNewContext, pToken=out)
    return r, out.token_bytes


def _asc(
    sspi: Sspi, cred: Any, ctx: Any = None, token: bytes | None = None
) -> tuple[Any, bytes, SecBufferDesc]:
    out = SecBufferDesc.output(48256)
    r = sspi.AcceptSecurityContext(
        phCredential=cred,
        phContext=ctx,
        pInput=SecBufferDesc.token(token) if token else None,
        fContextReq=0,
        TargetDataRep=SECURITY_NATIVE_DREP,
        pOutput=out,
    )
    return r, out.token_bytes, out


def _ntlm_challenge(env: Env) -> tuple[Any, Any, bytes]:
    """(client cred, client ctx, CHALLENGE) after the first two NTLM legs."""
    cc = acquire(env.cli, "NTLM", SECPKG_CRED_OUTBOUND)
    sc = acquire(env.srv, "NTLM", SECPKG_CRED_INBOUND)
    r1, t1 = _isc_w(env.cli, cc)
    _, t2, _ = _asc(env.srv, sc, token=t1)
    return cc, r1.phNewContext, t2


def _digest_challenge(env: Env) -> bytes:
    sc = acquire(env.srv, "Digest", SECPKG_CRED_INBOUND)
    r, _token, out = _asc(env.srv, sc)
    env.srv.CompleteAuthToken(phContext=r.phNewContext, pToken=out)
    return out.token_bytes


def _established(env: Env, package: str = "NTLM", req: int = SEQ | ISC_REQ_CONFIDENTIALITY) -> Any:
    hs = handshake(env.cli, env.srv, package, client_req=req)
    assert hs.established
    return hs


# -- recipes: (operation, code) -> how to provoke it; returns the status of the call under test -----

Recipe = Callable[[Env], Any]
RECIPES: dict[tuple[str, str], Recipe] = {}


def recipe(operation: str, *codes: str) -> Callable[[Recipe], Recipe]:
    def register(fn: Recipe) -> Recipe:
        for code in codes:
            RECIPES[(operation, code)] = fn
        return fn

    return register


def _fault(operation: str, code: str, run: Recipe) -> None:
    def provoke(env: Env) -> str:
        env.fault(code)
        return run(env)

    RECIPES[(operation, code)] = provoke


# acquire
RECIPES[("acquire", "SEC_E_OK")] = lambda env: env.acquire(env.cli, "NTLM", SECPKG_CRED_OUTBOUND)
RECIPES[("acquire", "SEC_E_SECPKG_NOT_FOUND")] = lambda env: env.acquire(
    env.cli, "Schannel", SECPKG_CRED_OUTBOUND
)
RECIPES[("acquire", "SEC_E_NOT_OWNER")] = lambda env: env.acquire(
    env.cli, "NTLM", SECPKG_CRED_OUTBOUND, logon=Luid(0x1002)
)
RECIPES[("acquire", "SEC_E_UNKNOWN_CREDENTIALS")] = lambda env: env.acquire(
    env.cli, "NTLM", SECPKG_CRED_OUTBOUND, auth="not an identity"
)
RECIPES[("acquire", "SEC_E_NO_CREDENTIALS")] = lambda env: env.acquire(
    Sspi(env.world, 4), "NTLM", SECPKG_CRED_OUTBOUND, logon=Luid(0x4242)
)


@recipe("acquire", "SEC_E_NO_AUTHENTICATING_AUTHORITY")
def _acquire_offline(env: Env) -> str:
    env.world.authority.online = False
    return env.acquire(env.srv, "Kerberos", SECPKG_CRED_INBOUND)


@recipe("acquire", "SEC_I_ASYNC_CALL_PENDING")
def _acquire_pending(env: Env) -> str:
    env.pending = True
    return env.acquire(env.cli, "NTLM", SECPKG_CRED_OUTBOUND)


for _code in ("SEC_E_INSUFFICIENT_MEMORY", "SEC_E_INTERNAL_ERROR"):
    _fault("acquire", _code, RECIPES[("acquire", "SEC_E_OK")])


# free credentials
@recipe("free_cred", "SEC_E_OK", "SEC_I_ASYNC_CALL_PENDING")
def _free_cred(env: Env) -> str:
    cred = acquire(env.cli, "NTLM", SECPKG_CRED_OUTBOUND)
    env.pending = (
        env.asynchronous and env.function.startswith("Sspi") and RECIPE_CODE[0] == "SEC_I_ASYNC_CALL_PENDING"
    )
    return env.call(env.cli, phCredential=cred)[0]


RECIPES[("free_cred", "SEC_E_INVALID_HANDLE")] = lambda env: env.call(env.cli, phCredential=FORGED_CRED)[0]


# InitializeSecurityContext
RECIPES[("isc", "SEC_E_OK")] = lambda env: env.isc(
    acquire(env.cli, "Kerberos", SECPKG_CRED_OUTBOUND), target="HTTP/web.contoso.com"
)
RECIPES[("isc", "SEC_I_CONTINUE_NEEDED")] = lambda env: env.isc(
    acquire(env.cli, "NTLM", SECPKG_CRED_OUTBOUND)
)
RECIPES[("isc", "SEC_E_INVALID_HANDLE")] = lambda env: env.isc(FORGED_CRED)
RECIPES[("isc", "SEC_E_NO_CREDENTIALS")] = lambda env: env.isc(acquire(env.cli, "NTLM", SECPKG_CRED_INBOUND))
RECIPES[("isc", "SEC_E_TARGET_UNKNOWN")] = lambda env: env.isc(
    acquire(env.cli, "Kerberos", SECPKG_CRED_OUTBOUND), target="HTTP/nowhere.contoso.com"
)
RECIPES[("isc", "SEC_E_UNSUPPORTED_FUNCTION")] = lambda env: env.isc(
    acquire(env.cli, "NTLM", SECPKG_CRED_OUTBOUND), req=ISC_REQ_DELEGATE
)
RECIPES[("isc", "SEC_E_LOGON_DENIED")] = lambda env: env.isc(
    acquire(env.cli, "Kerberos", SECPKG_CRED_OUTBOUND, pAuthData=WRONG), target="HTTP/web.contoso.com"
)


@recipe("isc", "SEC_E_NO_AUTHENTICATING_AUTHORITY")
def _isc_offline(env: Env) -> str:
    cred = acquire(env.cli, "Kerberos", SECPKG_CRED_OUTBOUND)
    env.world.authority.online = False
    return env.isc(cred, target="HTTP/web.contoso.com")


@recipe("isc", "SEC_E_INCOMPLETE_MESSAGE")
def _isc_truncated(env: Env) -> str:
    cc, ctx, challenge = _ntlm_challenge(env)
    return env.isc(cc, ctx, challenge[:-4])


@recipe("isc", "SEC_E_INVALID_TOKEN")
def _isc_garbage(env: Env) -> str:
    cc, ctx, _ = _ntlm_challenge(env)
    return env.isc(cc, ctx, b"\x00garbage that is no token")


@recipe("isc", "SEC_I_COMPLETE_NEEDED", "SEC_I_COMPLETE_AND_CONTINUE")
def _isc_digest(env: Env) -> str:
    challenge = _digest_challenge(env)
    mutual = RECIPE_CODE[0] == "SEC_I_COMPLETE_AND_CONTINUE"
    return env.isc(
        acquire(env.cli, "Digest", SECPKG_CRED_OUTBOUND),
        token=challenge,
        target="/",
        req=ISC_REQ_MUTUAL_AUTH if mutual else 0,
    )


@recipe("isc", "SEC_E_WRONG_PRINCIPAL")
def _isc_wrong_principal(env: Env) -> str:
    cc = acquire(env.cli, "Kerberos", SECPKG_CRED_OUTBOUND)
    sc = acquire(env.srv, "Kerberos", SECPKG_CRED_INBOUND)
    r1, t1 = _isc_w(env.cli, cc, target="host/files.contoso.com", req=ISC_REQ_MUTUAL_AUTH)
    _, error, _ = _asc(env.srv, sc, token=t1)  # web.exe cannot read a ticket for FILES$
    return env.isc(cc, r1.phNewContext, error, target="host/files.contoso.com", req=ISC_REQ_MUTUAL_AUTH)


@recipe("isc", "SEC_I_ASYNC_CALL_PENDING")
def _isc_pending(env: Env) -> str:
    env.pending = True
    return env.isc(acquire(env.cli, "NTLM", SECPKG_CRED_OUTBOUND))


for _code in ("SEC_E_INSUFFICIENT_MEMORY", "SEC_E_INTERNAL_ERROR"):
    _fault("isc", _code, RECIPES[("isc", "SEC_I_CONTINUE_NEEDED")])


# AcceptSecurityContext
def _negotiate_token(env: Env) -> bytes:
    return _isc_w(env.cli, acquire(env.cli, "NTLM", SECPKG_CRED_OUTBOUND))[1]


RECIPES[("asc", "SEC_I_CONTINUE_NEEDED")] = lambda env: env.asc(
    acquire(env.srv, "NTLM", SECPKG_CRED_INBOUND), token=_negotiate_token(env)
)
RECIPES[("asc", "SEC_E_OK")] = lambda env: env.asc(
    acquire(env.srv, "Kerberos", SECPKG_CRED_INBOUND),
    token=_isc_w(env.cli, acquire(env.cli, "Kerberos", SECPKG_CRED_OUTBOUND))[1],
)
RECIPES[("asc", "SEC_E_INCOMPLETE_MESSAGE")] = lambda env: env.asc(
    acquire(env.srv, "NTLM", SECPKG_CRED_INBOUND), token=_negotiate_token(env)[:-1]
)
RECIPES[("asc", "SEC_E_INVALID_TOKEN")] = lambda env: env.asc(
    acquire(env.srv, "NTLM", SECPKG_CRED_INBOUND), token=b"SMgarbage"
)
RECIPES[("asc", "SEC_E_INVALID_HANDLE")] = lambda env: env.asc(
    acquire(env.srv, "NTLM", SECPKG_CRED_INBOUND), ctx=FORGED_CTX, token=b"x"
)
RECIPES[("asc", "SEC_E_NO_CREDENTIALS")] = lambda env: env.asc(
    acquire(env.srv, "NTLM", SECPKG_CRED_OUTBOUND), token=_negotiate_token(env)
)
RECIPES[("asc", "SEC_E_UNSUPPORTED_FUNCTION")] = lambda env: env.asc(
    acquire(env.srv, "NTLM", SECPKG_CRED_INBOUND), token=_negotiate_token(env), req=ISC_REQ_DELEGATE
)
RECIPES[("asc", "SEC_I_COMPLETE_AND_CONTINUE")] = lambda env: env.asc(
    acquire(env.srv, "Digest", SECPKG_CRED_INBOUND)
)


def _ntlm_authenticate(env: Env, identity: Any = None) -> tuple[Any, Any, bytes]:
    """(server cred, server ctx, AUTHENTICATE) for the last NTLM leg."""
    cc = acquire(env.cli, "NTLM", SECPKG_CRED_OUTBOUND, pAuthData=identity)
    sc = acquire(env.srv, "NTLM", SECPKG_CRED_INBOUND)
    r1, t1 = _isc_w(env.cli, cc)
    r2, t2, _ = _asc(env.srv, sc, token=t1)
    _, t3 = _isc_w(env.cli, cc, r1.phNewContext, t2)
    return sc, r2.phNewContext, t3


@recipe("asc", "SEC_E_LOGON_DENIED")
def _asc_denied(env: Env) -> str:
    sc, ctx, token = _ntlm_authenticate(env, WRONG)
    return env.asc(sc, ctx, token)


@recipe("asc", "SEC_E_NO_AUTHENTICATING_AUTHORITY")
def _asc_offline(env: Env) -> str:
    sc, ctx, token = _ntlm_authenticate(env)
    env.world.authority.online = False
    return env.asc(sc, ctx, token)


@recipe("asc", "SEC_I_COMPLETE_NEEDED")
def _asc_rspauth(env: Env) -> str:
    sc = acquire(env.srv, "Digest", SECPKG_CRED_INBOUND)
    r, _, out = _asc(env.srv, sc)
    env.srv.CompleteAuthToken(phContext=r.phNewContext, pToken=out)
    _, response = _isc_w(
        env.cli,
        acquire(env.cli, "Digest", SECPKG_CRED_OUTBOUND),
        token=out.token_bytes,
        target="/",
        req=ISC_REQ_MUTUAL_AUTH,
    )
    return env.asc(sc, r.phNewContext, response)


@recipe("asc", "SEC_I_ASYNC_CALL_PENDING")
def _asc_pending(env: Env) -> str:
    env.pending = True
    return RECIPES[("asc", "SEC_I_CONTINUE_NEEDED")](env)


for _code in ("SEC_E_INSUFFICIENT_MEMORY", "SEC_E_INTERNAL_ERROR"):
    _fault("asc", _code, RECIPES[("asc", "SEC_I_CONTINUE_NEEDED")])


# DeleteSecurityContext
@recipe("delete", "SEC_E_OK", "SEC_I_ASYNC_CALL_PENDING")
def _delete(env: Env) -> str:
    hs = _established(env)
    env.pending = RECIPE_CODE[0] == "SEC_I_ASYNC_CALL_PENDING"
    return env.call(env.cli, phContext=hs.client_ctx)[0]


RECIPES[("delete", "SEC_E_INVALID_HANDLE")] = lambda env: env.call(env.cli, phContext=FORGED_CTX)[0]


# CompleteAuthToken
@recipe("complete", "SEC_E_OK", "SEC_E_INTERNAL_ERROR", "SEC_E_INVALID_TOKEN", "SEC_E_MESSAGE_ALTERED")
def _complete(env: Env) -> str:
    sc = acquire(env.srv, "Digest", SECPKG_CRED_INBOUND)
    r, _, out = _asc(env.srv, sc)
    code = RECIPE_CODE[0]
    if code == "SEC_E_INTERNAL_ERROR":
        env.fault(code)
    elif code == "SEC_E_INVALID_TOKEN":
        out = SecBufferDesc([SecBuffer(SECBUFFER_DATA, b"no token here")])
    elif code == "SEC_E_MESSAGE_ALTERED":
        out.pBuffers[0].pvBuffer = out.token_bytes[:-2] + b"!!"
    return env.call(env.srv, phContext=r.phNewContext, pToken=out)[0]


RECIPES[("complete", "SEC_E_INVALID_HANDLE")] = lambda env: env.call(
    env.srv, phContext=FORGED_CTX, pToken=SecBufferDesc.token(b"x")
)[0]
RECIPES[("complete", "SEC_E_OUT_OF_SEQUENCE")] = lambda env: env.call(
    env.cli, phContext=_established(env).client_ctx, pToken=SecBufferDesc.token(b"x")
)[0]


# QueryContextAttributes
RECIPES[("query", "SEC_E_OK")] = lambda env: env.call(
    env.cli, phContext=_established(env).client_ctx, ulAttribute=SECPKG_ATTR_SIZES
)[0]
RECIPES[("query", "SEC_E_INVALID_HANDLE")] = lambda env: env.call(
    env.cli, phContext=_ntlm_challenge(env)[1], ulAttribute=SECPKG_ATTR_SESSION_KEY
)[0]
RECIPES[("query", "SEC_E_UNSUPPORTED_FUNCTION")] = lambda env: env.call(
    env.cli, phContext=_established(env).client_ctx, ulAttribute=CERT_TRUST_STATUS
)[0]


# FreeContextBuffer
RECIPES[("free_buffer", "SEC_E_OK")] = lambda env: env.call(
    env.cli, pvContextBuffer=env.cli.QuerySecurityPackageInfoA(pszPackageName="NTLM").ppPackageInfo
)[0]


# Export / Import
def _export(env: Env, flags: int = 0) -> str:
    return env.call(env.srv, phContext=_established(env).server_ctx, fFlags=flags)[0]


RECIPES[("export", "SEC_E_OK")] = _export
RECIPES[("export", "SEC_E_NOT_SUPPORTED")] = lambda env: _export(env, SECPKG_CONTEXT_EXPORT_TO_KERNEL)
RECIPES[("export", "SEC_E_INVALID_HANDLE")] = lambda env: env.call(env.srv, phContext=FORGED_CTX, fFlags=0)[0]
_fault("export", "SEC_E_INSUFFICIENT_MEMORY", _export)


def _import(env: Env, package: str = "NTLM", pid: int = 201, damage: bool = False) -> str:
    hs = _established(env)
    blob = env.srv.ExportSecurityContext(phContext=hs.server_ctx, fFlags=0).pPackedContext.contents
    if damage:
        blob = blob[:-1] + bytes([blob[-1] ^ 1])
    return env.call(Sspi(env.world, pid), pszPackage=package, pPackedContext=SecBuffer(0, blob))[0]


RECIPES[("import", "SEC_E_OK")] = _import
RECIPES[("import", "SEC_E_NOT_OWNER")] = lambda env: _import(env, pid=100)
RECIPES[("import", "SEC_E_NO_CREDENTIALS")] = lambda env: _import(env, package="Negotiate")
RECIPES[("import", "SEC_E_UNKNOWN_CREDENTIALS")] = lambda env: _import(env, damage=True)
for _code in ("SEC_E_INSUFFICIENT_MEMORY", "SEC_E_INTERNAL_ERROR"):
    _fault("import", _code, _import)


# Package queries
# The W page heads the name pPackageName (TBD; text under `#### - pszPackageName`), as upstream.
RECIPES[("package_info", "SEC_E_OK")] = lambda env: env.call(
    env.cli, **{"pPackageName" if env.function.endswith("W") else "pszPackageName": "Negotiate"}
)[0]


def _enumerate(env: Env) -> str:
    # Both pages tag the receiving pointers [in]: they are passed as Ref cells.
    return env.call(env.cli, pcPackages=Ref(), ppPackageInfo=Ref())[0]


RECIPES[("enumerate", "SEC_E_OK")] = _enumerate
_fault("enumerate", "SEC_E_INSUFFICIENT_MEMORY", _enumerate)


@recipe("enumerate", "SEC_E_SECPKG_NOT_FOUND")
def _enumerate_none(env: Env) -> str:
    env.world.packages.clear()
    return _enumerate(env)


# Messages
def _sign(env: Env, ctx: Any, msg: SecBufferDesc, seq: int = 0, sspi: Sspi | None = None) -> str:
    return env.call(sspi or env.cli, phContext=ctx, fQOP=0, pMessage=msg, MessageSeqNo=seq)[0]


RECIPES[("sign", "SEC_E_OK")] = lambda env: _sign(
    env, _established(env).client_ctx, SecBufferDesc.message(b"m")
)
RECIPES[("sign", "SEC_E_INVALID_HANDLE")] = lambda env: _sign(env, FORGED_CTX, SecBufferDesc.message(b"m"))
RECIPES[("sign", "SEC_E_INVALID_TOKEN")] = lambda env: _sign(
    env, _established(env).client_ctx, SecBufferDesc([SecBuffer(SECBUFFER_DATA, b"m")])
)
RECIPES[("sign", "SEC_E_NO_AUTHENTICATING_AUTHORITY")] = lambda env: _sign(
    env, _ntlm_challenge(env)[1], SecBufferDesc.message(b"m")
)
RECIPES[("sign", "SEC_E_QOP_NOT_SUPPORTED")] = lambda env: _sign(
    env, _established(env, req=ISC_REQ_NO_INTEGRITY).client_ctx, SecBufferDesc.message(b"m")
)


@recipe("sign", "SEC_E_OUT_OF_SEQUENCE")
def _sign_backwards(env: Env) -> str:
    ctx = _established(env).client_ctx
    _sign(env, ctx, SecBufferDesc.message(b"a"), seq=5)
    return _sign(env, ctx, SecBufferDesc.message(b"b"), seq=2)


@recipe("sign", "SEC_I_RENEGOTIATE")
def _sign_expired(env: Env) -> str:
    ctx = _established(env).client_ctx
    env.world.clock.advance(11 * 3600)
    return _sign(env, ctx, SecBufferDesc.message(b"m"))


def _signed(env: Env) -> tuple[Any, SecBufferDesc]:
    hs = _established(env)
    msg = SecBufferDesc.message(b"signed")
    env.cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0)
    return hs, msg


def _verify(env: Env, ctx: Any, msg: SecBufferDesc) -> str:
    return env.call(env.srv, phContext=ctx, pMessage=msg, MessageSeqNo=0)[0]


@recipe("verify", "SEC_E_OK", "SEC_E_INVALID_TOKEN", "SEC_E_MESSAGE_ALTERED", "SEC_E_OUT_OF_SEQUENCE")
def _verify_cases(env: Env) -> str:
    hs, msg = _signed(env)
    code = RECIPE_CODE[0]
    if code == "SEC_E_INVALID_TOKEN":
        msg = SecBufferDesc([msg.pBuffers[1]])
    elif code == "SEC_E_MESSAGE_ALTERED":
        msg.pBuffers[1].pvBuffer = b"changed"
    elif code == "SEC_E_OUT_OF_SEQUENCE":
        _verify(env, hs.server_ctx, msg)
    return _verify(env, hs.server_ctx, msg)


RECIPES[("verify", "SEC_E_INVALID_HANDLE")] = lambda env: _verify(
    env, FORGED_CTX, SecBufferDesc.message(b"m")
)
RECIPES[("verify", "SEC_E_QOP_NOT_SUPPORTED")] = lambda env: _verify(
    env, _established(env, req=ISC_REQ_NO_INTEGRITY).server_ctx, SecBufferDesc.message(b"m")
)


def _encrypt(env: Env, ctx: Any, msg: SecBufferDesc, qop: int = 0) -> str:
    return env.call(env.cli, phContext=ctx, fQOP=qop, pMessage=msg, MessageSeqNo=0)[0]


RECIPES[("encrypt", "SEC_E_OK")] = lambda env: _encrypt(
    env, _established(env).client_ctx, SecBufferDesc.message(b"p")
)
RECIPES[("encrypt", "SEC_E_INVALID_HANDLE")] = lambda env: _encrypt(
    env, FORGED_CTX, SecBufferDesc.message(b"p")
)
RECIPES[("encrypt", "SEC_E_BUFFER_TOO_SMALL")] = lambda env: _encrypt(
    env, _established(env).client_ctx, SecBufferDesc.message(b"p", token_size=8)
)
RECIPES[("encrypt", "SEC_E_INVALID_TOKEN")] = lambda env: _encrypt(
    env, _established(env).client_ctx, SecBufferDesc([SecBuffer(SECBUFFER_TOKEN, None, 128)])
)
RECIPES[("encrypt", "SEC_E_CRYPTO_SYSTEM_INVALID")] = lambda env: _encrypt(
    env, _established(env, req=0).client_ctx, SecBufferDesc.message(b"p")
)
RECIPES[("encrypt", "SEC_E_QOP_NOT_SUPPORTED")] = lambda env: _encrypt(
    env, _established(env, req=ISC_REQ_NO_INTEGRITY).client_ctx, SecBufferDesc.message(b"p")
)
_fault("encrypt", "SEC_E_INSUFFICIENT_MEMORY", RECIPES[("encrypt", "SEC_E_OK")])


@recipe("encrypt", "SEC_E_CONTEXT_EXPIRED")
def _encrypt_expired(env: Env) -> str:
    ctx = _established(env).client_ctx
    env.world.clock.advance(11 * 3600)
    return _encrypt(env, ctx, SecBufferDesc.message(b"p"))


def _decrypt(env: Env, ctx: Any, msg: SecBufferDesc) -> str:
    return env.call(env.srv, phContext=ctx, pMessage=msg, MessageSeqNo=0)[0]


@recipe(
    "decrypt",
    "SEC_E_OK",
    "SEC_E_BUFFER_TOO_SMALL",
    "SEC_E_INCOMPLETE_MESSAGE",
    "SEC_E_MESSAGE_ALTERED",
    "SEC_E_OUT_OF_SEQUENCE",
)
def _decrypt_cases(env: Env) -> str:
    hs = _established(env)
    msg = SecBufferDesc.message(b"sealed data")
    env.cli.EncryptMessage(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0)
    code = RECIPE_CODE[0]
    if code == "SEC_E_BUFFER_TOO_SMALL":
        msg = SecBufferDesc([msg.pBuffers[1]])  # the trailer buffer is gone
    elif code == "SEC_E_INCOMPLETE_MESSAGE":
        msg = SecBufferDesc(
            # cut inside the trailer: an NTLM stream (signature, then ciphertext) says no length
            [SecBuffer(SECBUFFER_STREAM, (msg.pBuffers[1].contents + msg.pBuffers[0].contents)[:10])]
        )
    elif code == "SEC_E_MESSAGE_ALTERED":
        msg.pBuffers[1].pvBuffer = b"x" + msg.pBuffers[1].contents[1:]
    elif code == "SEC_E_OUT_OF_SEQUENCE":
        copy = SecBufferDesc([SecBuffer(b.BufferType, b.pvBuffer, b.cbBuffer) for b in msg])
        env.srv.DecryptMessage(phContext=hs.server_ctx, pMessage=copy, MessageSeqNo=0)
    return _decrypt(env, hs.server_ctx, msg)


RECIPES[("decrypt", "SEC_E_INVALID_HANDLE")] = lambda env: _decrypt(
    env, FORGED_CTX, SecBufferDesc.message(b"m")
)
RECIPES[("decrypt", "SEC_E_QOP_NOT_SUPPORTED")] = lambda env: _decrypt(
    env, _established(env, req=ISC_REQ_NO_INTEGRITY).server_ctx, SecBufferDesc.message(b"m")
)


@recipe("decrypt", "SEC_E_CRYPTO_SYSTEM_INVALID")
def _decrypt_unexpected_cipher(env: Env) -> str:
    """A peer that encrypts although the context negotiated no confidentiality: it knows the
    session key and the model's trailer format (documented in sspimodel.model.tokens)."""
    hs = handshake(env.cli, env.srv, "NTLM")
    key = bytes(
        env.cli.QueryContextAttributesW(
            phContext=hs.client_ctx, ulAttribute=SECPKG_ATTR_SESSION_KEY
        ).pBuffer.SessionKey
    )
    conversation = hs.tokens[0][8:16]
    trailer = tokens.build(key, Kind.SEAL, 10, conversation, [0, 4, bytes(16)])
    msg = SecBufferDesc([SecBuffer(SECBUFFER_TOKEN, trailer), SecBuffer(SECBUFFER_DATA, b"\x01\x02\x03\x04")])
    return _decrypt(env, hs.server_ctx, msg)


# SspiGetAsyncCallStatus
@recipe("async_status", "SEC_E_OK", "SEC_I_ASYNC_CALL_PENDING")
def _async_status(env: Env) -> str:
    sspi = env.cli
    ctx = sspi.SspiCreateAsyncContext().value
    sspi.SspiDeleteSecurityContextAsync(AsyncContext=ctx, phContext=_established(env).client_ctx)
    if RECIPE_CODE[0] == "SEC_E_OK":
        env.world.run_pending()
    return env.call(sspi, Handle=ctx)[0]


# Auth identities (SspiEncodeStringsAsAuthIdentity and friends): the one documented SEC_E_OK each.
def _identity(env: Env, encrypt: int | None = None) -> Any:
    made = env.cli.SspiEncodeStringsAsAuthIdentity(
        pszUserName="alice", pszDomainName="CONTOSO", pszPackedCredentialsString="Passw0rd!alice"
    ).ppAuthIdentity
    if encrypt is not None:
        env.cli.SspiEncryptAuthIdentityEx(Options=encrypt, AuthData=made)
    return made


RECIPES[("SspiEncodeStringsAsAuthIdentity", "SEC_E_OK")] = lambda env: env.call(
    env.cli, pszUserName="alice", pszDomainName="CONTOSO", pszPackedCredentialsString="Passw0rd!alice"
)[0]
RECIPES[("SspiEncodeAuthIdentityAsStrings", "SEC_E_OK")] = lambda env: env.call(
    env.cli, pAuthIdentity=_identity(env)
)[0]
RECIPES[("SspiCopyAuthIdentity", "SEC_E_OK")] = lambda env: env.call(env.cli, AuthData=_identity(env))[0]
RECIPES[("SspiCompareAuthIdentities", "SEC_E_OK")] = lambda env: env.call(
    env.cli, AuthIdentity1=_identity(env), AuthIdentity2=ALICE
)[0]
RECIPES[("SspiValidateAuthIdentity", "SEC_E_OK")] = lambda env: env.call(env.cli, AuthData=_identity(env))[0]
RECIPES[("SspiFreeAuthIdentity", "SEC_E_OK")] = lambda env: env.call(env.cli, AuthData=_identity(env))[0]
RECIPES[("SspiZeroAuthIdentity", "SEC_E_OK")] = lambda env: env.call(env.cli, AuthData=_identity(env))[0]
RECIPES[("SspiMarshalAuthIdentity", "SEC_E_OK")] = lambda env: env.call(env.cli, AuthIdentity=_identity(env))[
    0
]


def _unmarshal_ok(env: Env) -> str:
    marshalled = env.cli.SspiMarshalAuthIdentity(AuthIdentity=_identity(env))
    return env.call(
        env.srv,
        AuthIdentityLength=marshalled.AuthIdentityLength,
        AuthIdentityByteArray=bytes(marshalled.AuthIdentityByteArray),
    )[0]


RECIPES[("SspiUnmarshalAuthIdentity", "SEC_E_OK")] = _unmarshal_ok
RECIPES[("SspiEncryptAuthIdentity", "SEC_E_OK")] = lambda env: env.call(env.cli, AuthData=_identity(env))[0]
RECIPES[("SspiEncryptAuthIdentityEx", "SEC_E_OK")] = lambda env: env.call(
    env.cli, Options=1, AuthData=_identity(env)
)[0]
RECIPES[("SspiDecryptAuthIdentity", "SEC_E_OK")] = lambda env: env.call(
    env.cli, EncryptedAuthData=_identity(env, encrypt=2)
)[0]
RECIPES[("SspiDecryptAuthIdentityEx", "SEC_E_OK")] = lambda env: env.call(
    env.cli, Options=1, EncryptedAuthData=_identity(env, encrypt=1)
)[0]
RECIPES[("SspiExcludePackage", "SEC_E_OK")] = lambda env: env.call(
    env.cli, AuthIdentity=_identity(env), pszPackageName="NTLM"
)[0]

RECIPES[("SspiGetTargetHostName", "SEC_E_OK")] = lambda env: env.call(
    env.cli, pszTargetName="HTTP/web.contoso.com"
)[0]


# ImpersonateSecurityContext, RevertSecurityContext, QuerySecurityContextToken (issue 19): the
# server (process 200, websvc, which holds SeImpersonatePrivilege) works on its side of a handshake.
RECIPES[("impersonate", "SEC_E_OK")] = lambda env: env.call(env.srv, phContext=_established(env).server_ctx)[0]
RECIPES[("impersonate", "SEC_E_INVALID_HANDLE")] = lambda env: env.call(env.srv, phContext=FORGED_CTX)[0]
# bob.exe (process 101) holds no SeImpersonatePrivilege and is not alice.
RECIPES[("impersonate", "SEC_E_NO_IMPERSONATION")] = lambda env: env.call(
    Sspi(env.world, 101), phContext=handshake(env.cli, Sspi(env.world, 101), "NTLM").server_ctx
)[0]


@recipe("revert", "SEC_E_OK")
def _revert_after_impersonating(env: Env) -> str:
    ctx = _established(env).server_ctx
    env.srv.ImpersonateSecurityContext(phContext=ctx)
    return env.call(env.srv, phContext=ctx)[0]


RECIPES[("revert", "SEC_E_INVALID_HANDLE")] = lambda env: env.call(env.srv, phContext=FORGED_CTX)[0]
RECIPES[("query_token", "SEC_E_OK")] = lambda env: env.call(env.srv, phContext=_established(env).server_ctx)[0]
RECIPES[("query_token", "SEC_E_INVALID_HANDLE")] = lambda env: env.call(env.srv, phContext=FORGED_CTX)[0]




# AddSecurityPackageA/W, DeleteSecurityPackageA/W (issue 19): Digest, which nothing relies on in a
# fresh world, leaves the registry and comes back.
def _add_package(env: Env) -> str:
    from sspimodel.model.packages_registry import SecurityPackageOptions

    env.cli.DeleteSecurityPackageW(pszPackageName="Digest")
    return env.call(env.cli, pszPackageName="Digest", pOptions=SecurityPackageOptions())[0]


RECIPES[("add_package", "SEC_E_OK")] = _add_package
RECIPES[("delete_package", "SEC_E_OK")] = lambda env: env.call(env.cli, pszPackageName="Digest")[0]


# QueryCredentialsAttributesA/W (issue 19): SECPKG_CRED_ATTR_NAMES = 1, SECPKG_CRED_ATTR_CERT = 4.
def _query_cred(env: Env, package: str = "NTLM", attribute: int = 1) -> str:
    cred = acquire(env.cli, package, SECPKG_CRED_OUTBOUND)
    return env.call(env.cli, phCredential=cred, ulAttribute=attribute)[0]


RECIPES[("query_cred", "SEC_E_OK")] = _query_cred
RECIPES[("query_cred", "SEC_E_INVALID_HANDLE")] = lambda env: env.call(
    env.cli, phCredential=FORGED_CRED, ulAttribute=1
)[0]
RECIPES[("query_cred", "SEC_E_UNSUPPORTED_FUNCTION")] = lambda env: _query_cred(env, "NTLM", 4)
_fault("query_cred", "SEC_E_INSUFFICIENT_MEMORY", _query_cred)


# SetContextAttributesA/W (issue 19): SECPKG_ATTR_DTLS_MTU = 34 on an NTLM context (the page gives
# the function to Schannel only; SEC_E_OK is marked unreachable in the table).
RECIPES[("set_ctx", "SEC_E_UNSUPPORTED_FUNCTION")] = lambda env: env.call(
    env.cli, phContext=_established(env).client_ctx, ulAttribute=34, pBuffer=(1096).to_bytes(4, "little"), cbBuffer=4
)[0]


# SetCredentialsAttributesA/W (issue 19, 19a): SECPKG_CRED_ATTR_NAMES = 1 on NTLM credentials,
# SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS = 3 on NTLM credentials (Kerberos only). QueryCredentialsAttributesExA/W
# document no status (the page gives TRUE/FALSE): its statuses are errata, tested in test_model_cred_family.py.
def _set_cred(env: Env, package: str = "NTLM", attribute: int = 1) -> str:
    from sspimodel.model.cred_attributes import SecPkgCredentials_KdcProxySettings, SecPkgCredentials_Names

    cred = acquire(env.cli, package, SECPKG_CRED_OUTBOUND)
    value: Any = SecPkgCredentials_Names("CONTOSO\\renamed") if attribute == 1 else SecPkgCredentials_KdcProxySettings()
    return env.call(env.cli, phCredential=cred, ulAttribute=attribute, pBuffer=value, cbBuffer=16)[0]


RECIPES[("set_cred", "SEC_E_OK")] = _set_cred
RECIPES[("set_cred", "SEC_E_INVALID_HANDLE")] = lambda env: env.call(
    env.cli, phCredential=FORGED_CRED, ulAttribute=1, pBuffer=bytes(8), cbBuffer=8
)[0]
RECIPES[("set_cred", "SEC_E_UNSUPPORTED_FUNCTION")] = lambda env: _set_cred(env, "NTLM", 3)
_fault("set_cred", "SEC_E_INSUFFICIENT_MEMORY", _set_cred)


# ChangeAccountPasswordA/W (issue 19, 19a): SEC_E_OK is its only documented code; its failures are
# errata, tested in test_model_cred_family.py.
RECIPES[("change_password", "SEC_E_OK")] = lambda env: env.call(
    env.cli,
    pszPackageName="NTLM",
    pszDomainName="CONTOSO",
    pszAccountName="alice",
    pszOldPassword="Passw0rd!alice",
    pszNewPassword="N3w!Passw0rd",
    bImpersonating=False,
    dwReserved=0,
    pOutput=SecBufferDesc([SecBuffer(15, bytes(24))]),  # SECBUFFER_CHANGE_PASS_RESPONSE
)[0]


# issue 19 (19b): QueryContextAttributesExA/W, SECPKG_ATTR_SIZES into a 16-byte buffer.
RECIPES[("query_ex", "SEC_E_OK")] = lambda env: env.call(
    env.cli, phContext=_established(env).client_ctx, ulAttribute=SECPKG_ATTR_SIZES, cbBuffer=16
)[0]


# ApplyControlToken: a SCHANNEL_SHUTDOWN-sized token on an NTLM context (the page gives the
# function to Schannel only; SEC_E_OK is marked unreachable in the table). DelegateSecurityContext's
# page documents no code (its SEC_E_UNSUPPORTED_FUNCTION is an errata entry).
RECIPES[("apply_control", "SEC_E_UNSUPPORTED_FUNCTION")] = lambda env: env.call(
    env.cli, phContext=_established(env).client_ctx, pInput=SecBufferDesc.token((1).to_bytes(4, "little"))
)[0]


# SASL profiles (issue 20).
def _sasl_profile_package(env: Env, name: str = "GSSAPI") -> str:
    return env.call(env.cli, ProfileName=name.encode("ascii") if env.function.endswith("A") else name)[0]


RECIPES[("sasl_enumerate", "SEC_E_OK")] = lambda env: env.call(env.cli)[0]
RECIPES[("sasl_profile_package", "SEC_E_OK")] = _sasl_profile_package
RECIPES[("sasl_profile_package", "SEC_E_SECPKG_NOT_FOUND")] = lambda env: _sasl_profile_package(env, "PLAIN")
_fault("sasl_profile_package", "SEC_E_INSUFFICIENT_MEMORY", _sasl_profile_package)
RECIPES[("sasl_identify", "SEC_E_OK")] = lambda env: env.call(
    env.cli, pInput=SecBufferDesc.token(b"GSS-SPNEGO\x00")
)[0]


# Credential prompts (issue 20): the world's scripted user answers; each page documents SEC_E_OK.
def _prompt(env: Env, sspi: Sspi | None = None) -> Any:
    from sspimodel.model.prompts import CredUiInfo

    env.world.prompts.user.submit("Passw0rd!alice", user="alice", domain="CONTOSO")
    name = env.function if env.function.startswith("SspiPromptForCredentials") else "SspiPromptForCredentialsW"
    ansi = name.endswith("A")
    return getattr(sspi or env.cli, name)(
        pszTargetName=b"host/files.contoso.com" if ansi else "host/files.contoso.com",
        pUiInfo=CredUiInfo(),
        dwAuthError=0,
        pszPackage=b"Negotiate" if ansi else "Negotiate",
        dwFlags=0,
    )


def _credui_context(env: Env) -> Any:
    _prompt(env)
    blob = env.world.prompts.user.shown[-1].serialization
    return env.cli.SspiUnmarshalCredUIContext(
        MarshaledCredUIContext=blob, MarshaledCredUIContextLength=len(blob)
    ).CredUIContext


RECIPES[("prompt", "SEC_E_OK")] = lambda env: _prompt(env).status
RECIPES[("cred_read", "SEC_E_OK")] = lambda env: env.call(
    env.cli, AuthIdentity=_identity(env), pszTargetName="files.contoso.com"
)[0]
RECIPES[("cred_write", "SEC_E_OK")] = lambda env: env.call(
    env.cli, AuthIdentity=_identity(env), pszTargetName=None
)[0]
RECIPES[("credui_unmarshal", "SEC_E_OK")] = lambda env: (
    _prompt(env),
    env.call(
        env.cli,
        MarshaledCredUIContext=env.world.prompts.user.shown[-1].serialization,
        MarshaledCredUIContextLength=len(env.world.prompts.user.shown[-1].serialization),
    )[0],
)[1]


def _credui_password() -> int:
    from sspimodel._generated.values import SecWinntAuthDataType

    return SecWinntAuthDataType.SEC_WINNT_AUTH_DATA_TYPE_PASSWORD


RECIPES[("credui_get", "SEC_E_OK")] = lambda env: env.call(
    env.cli, ContextHandle=_credui_context(env), CredType=_credui_password(), LogonId=Luid(0x1001)
)[0]


def _credui_update(env: Env) -> Status:
    from sspimodel.model.identity import pack_ex2

    flat = pack_ex2("alice", "CONTOSO", "N3w!alice".encode("utf-16-le"), 2)
    return env.call(
        env.cli,
        ContextHandle=_credui_context(env),
        CredType=_credui_password(),
        FlatCredUIContextLength=len(flat),
        FlatCredUIContext=flat,
    )[0]


RECIPES[("credui_update", "SEC_E_OK")] = _credui_update
# SASL contexts (issue 20): a Kerberos exchange with mutual authentication and integrity; the
# client side is the function under test when it is one of the Initialize variants.
def _sasl_pair(env: Env) -> SaslPair:
    client = env.function if env.function.startswith("SaslInitialize") else "SaslInitializeSecurityContextW"
    return SaslPair(
        env.cli, env.srv, "Kerberos", ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY, client_function=client
    )


def _to_client_cookie(pair: SaslPair) -> SaslPair:
    """Run the exchange up to the client's cookie call (the server's cookie is in pair.token)."""
    for step in (pair.client, pair.server, pair.client, pair.server):
        step()
    assert pair.steps[-1][2] == "sasc.cookie.offer", pair.steps
    return pair


def _option(env: Env, ctx: Any, option: int, value: bytes) -> None:
    sspi = env.srv if ctx is not None and env.srv.process.contexts.get(ctx.dwLower) else env.cli
    assert (
        sspi.SaslSetContextOption(ContextHandle=ctx, Option=option, Value=value, Size=len(value)).status == 0
    )


def _sasl_isc_ok(env: Env) -> str:
    return _to_client_cookie(_sasl_pair(env)).client().status


def _sasl_isc_forbidden(env: Env) -> str:
    pair = _to_client_cookie(_sasl_pair(env))
    _option(env, pair.client_ctx, 3, b"u:alice")  # SASL_OPTION_AUTHZ_STRING
    _option(env, pair.client_ctx, 4, (0).to_bytes(4, "little"))  # AUTHZ_PROCESSING: Sasl_AuthZIDForbidden
    return pair.client().status


def _sasl_isc_bad_cookie(env: Env) -> str:
    pair = _to_client_cookie(_sasl_pair(env))
    return pair.client(pInput=SecBufferDesc.token(b"not a sealed cookie")).status


def _sasl_isc_first(env: Env) -> str:
    return _sasl_pair(env).client().status


RECIPES[("sasl_isc", "SEC_E_OK")] = _sasl_isc_ok
RECIPES[("sasl_isc", "SEC_E_ALGORITHM_MISMATCH")] = _sasl_isc_forbidden
RECIPES[("sasl_isc", "SEC_E_INVALID_TOKEN")] = _sasl_isc_bad_cookie
_fault("sasl_isc", "SEC_E_INSUFFICIENT_MEMORY", _sasl_isc_first)


def _sasl_asc_ok(env: Env) -> str:
    pair = _to_client_cookie(_sasl_pair(env))
    pair.client()
    return pair.server().status


def _sasl_asc_forbidden(env: Env) -> str:
    pair = _to_client_cookie(_sasl_pair(env))
    _option(env, pair.client_ctx, 3, b"u:alice")
    _option(env, pair.server_ctx, 4, (0).to_bytes(4, "little"))
    pair.client()
    return pair.server().status


def _sasl_asc_bad_cookie(env: Env) -> str:
    pair = _to_client_cookie(_sasl_pair(env))
    pair.client()
    return pair.server(pInput=SecBufferDesc.token(b"\x01\x00\xff\xff")).status


def _sasl_asc_first(env: Env) -> str:
    pair = _sasl_pair(env)
    pair.client()
    return pair.server().status


RECIPES[("sasl_asc", "SEC_E_OK")] = _sasl_asc_ok
RECIPES[("sasl_asc", "SEC_E_ALGORITHM_MISMATCH")] = _sasl_asc_forbidden
RECIPES[("sasl_asc", "SEC_E_INVALID_TOKEN")] = _sasl_asc_bad_cookie
_fault("sasl_asc", "SEC_E_INSUFFICIENT_MEMORY", _sasl_asc_first)


def _sasl_done(env: Env) -> SaslPair:
    pair = _sasl_pair(env).run()
    assert pair.done, pair.steps
    return pair


def _sasl_get(env: Env, option: int = 2) -> str:
    return env.call(env.cli, ContextHandle=_sasl_done(env).client_ctx, Option=option)[0]


def _sasl_get_forbidden(env: Env) -> str:
    ctx = _sasl_done(env).client_ctx
    _option(env, ctx, 4, (0).to_bytes(4, "little"))
    return env.call(env.cli, ContextHandle=ctx, Option=3)[0]


RECIPES[("sasl_get_option", "SEC_E_OK")] = _sasl_get
RECIPES[("sasl_get_option", "SEC_E_INVALID_HANDLE")] = lambda env: env.call(
    env.cli, ContextHandle=FORGED_CTX, Option=2
)[0]
RECIPES[("sasl_get_option", "SEC_E_UNSUPPORTED_FUNCTION")] = _sasl_get_forbidden


def _sasl_set(env: Env, option: int = 2, value: bytes = (4096).to_bytes(4, "little"), size: int = 4) -> str:
    ctx = _sasl_done(env).client_ctx
    return env.call(env.cli, ContextHandle=ctx, Option=option, Value=value, Size=size)[0]


def _sasl_set_forbidden(env: Env) -> str:
    ctx = _sasl_done(env).client_ctx
    _option(env, ctx, 4, (0).to_bytes(4, "little"))
    return env.call(env.cli, ContextHandle=ctx, Option=3, Value=b"u:alice", Size=7)[0]


RECIPES[("sasl_set_option", "SEC_E_OK")] = _sasl_set
RECIPES[("sasl_set_option", "SEC_E_BUFFER_TOO_SMALL")] = lambda env: _sasl_set(env, 2, b"\x00\x10", 2)
RECIPES[("sasl_set_option", "SEC_E_INVALID_HANDLE")] = lambda env: env.call(
    env.cli, ContextHandle=FORGED_CTX, Option=2, Value=(4096).to_bytes(4, "little"), Size=4
)[0]
RECIPES[("sasl_set_option", "SEC_E_UNSUPPORTED_FUNCTION")] = _sasl_set_forbidden


# The code being provoked, for recipes shared by several codes.
RECIPE_CODE: list[str] = [""]


def _unreachable(function: str, code: str) -> str | None:
    for rule in rules_for(function):
        if rule.status == code and not rule.reachable:
            return rule.unreachable
    return None


@pytest.mark.parametrize(("function", "code"), documented_pairs())
def test_documented_status_is_produced_or_marked_unreachable(function: str, code: str) -> None:
    reason = _unreachable(function, code)
    reachable = [r for r in rules_for(function) if r.status == code and r.reachable]
    if reason is not None and not reachable:
        assert len(reason) > 20, f"{function}/{code}: unreachable needs a real reason, got {reason!r}"
        return
    operation = OPERATION.get(function)
    assert operation is not None, f"{function} documents {code} but no operation is defined for it here"
    provoke = RECIPES.get((operation, code))
    assert provoke is not None, f"no test provokes {code} from {function} (operation {operation!r})"
    RECIPE_CODE[0] = code
    env = Env(function)
    assert provoke(env) == Status[code]


def mentioned_pairs() -> list[tuple[str, str]]:
    return sorted(
        (name, code)
        for name, c in CONTRACTS.items()
        for code in c.returns.mentioned - c.returns.documented()
        if (OPERATION.get(name), code) in RECIPES
    )


@pytest.mark.parametrize(("function", "code"), mentioned_pairs())
def test_mentioned_status_is_produced(function: str, code: str) -> None:
    """Codes a page names outside its return table (AcquireCredentialsHandle's
    SEC_E_NO_AUTHENTICATING_AUTHORITY, in the SECPKG_CRED_INBOUND row) that the model produces."""
    RECIPE_CODE[0] = code
    assert RECIPES[(OPERATION[function], code)](Env(function)) == Status[code]


def test_every_documented_code_is_accounted_for_by_a_rule():
    """Each documented code appears in the function's table (reachable or with a reason). The
    async pages' SEC_I_ASYNC_CALL_PENDING is SspiGetAsyncCallStatus's rule."""
    missing = []
    for function, code in documented_pairs():
        statuses = {r.status for r in rules_for(function)}
        if code == "SEC_I_ASYNC_CALL_PENDING":
            statuses |= {r.status for r in rules_for("SspiGetAsyncCallStatus")}
        if code not in statuses:
            missing.append(f"{function}: {code}")
    assert missing == []


def test_recipes_cover_no_code_that_is_not_documented():
    documented = {(OPERATION[f], c) for f, c in documented_pairs() if f in OPERATION}
    mentioned = {(OPERATION[f], c) for f, c in mentioned_pairs()}
    extra = sorted(set(RECIPES) - documented - mentioned)
    assert extra == []
