"""QueryContextAttributesA/W: what a context can tell about itself.

The attributes the model answers, and the structure each fills (variable-sized members are
package memory, released with FreeContextBuffer):

=============================  =================================  ==========================
ulAttribute                    pBuffer                            before the handshake ends
=============================  =================================  ==========================
SECPKG_ATTR_SIZES              SecPkgContext_Sizes                yes
SECPKG_ATTR_NAMES              SecPkgContext_Names                no
SECPKG_ATTR_LIFESPAN           SecPkgContext_Lifespan             no
SECPKG_ATTR_KEY_INFO           SecPkgContext_KeyInfo              no
SECPKG_ATTR_AUTHORITY          SecPkgContext_Authority            no
SECPKG_ATTR_SESSION_KEY        SecPkgContext_SessionKey           no
SECPKG_ATTR_PACKAGE_INFO       SecPkgContext_PackageInfo          yes
SECPKG_ATTR_NEGOTIATION_INFO   SecPkgContext_NegotiationInfo      yes
SECPKG_ATTR_NATIVE_NAMES       SecPkgContext_NativeNames          no
SECPKG_ATTR_FLAGS              SecPkgContext_Flags                yes
SECPKG_ATTR_ACCESS_TOKEN       SecPkgContext_AccessToken          no (server side only)
SECPKG_ATTR_NEGOTIATION_PACKAGE SecPkgContext_PackageInfo         no (Negotiate only)
SECPKG_ATTR_DCE_INFO           SecPkgContext_DceInfo              no (server side)
SECPKG_ATTR_PASSWORD_EXPIRY    SecPkgContext_PasswordExpiry       no (server side)
SECPKG_ATTR_TARGET_INFORMATION SecPkgContext_TargetInformation    no (client side)
SECPKG_ATTR_CLIENT_SPECIFIED_TARGET SecPkgContext_ClientSpecifiedTarget no (server side)
SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS SecPkgContext_LastClientTokenStatus yes (client side)
=============================  =================================  ==========================

The last five (the general page's, added for issue 19) are answered by Negotiate, Kerberos and
NTLM only (:data:`GENERAL_PACKAGES`); a Digest context gives SEC_E_UNSUPPORTED_FUNCTION for them.
Their values come from the context's own state: the client's name (DCE_INFO's pPac, with AuthzSvc
RPC_C_AUTHZ_NAME), the target the client gave (TARGET_INFORMATION on the client, UTF-16LE;
CLIENT_SPECIFIED_TARGET on the server), whether the handshake is done (LAST_CLIENT_TOKEN_STATUS:
Yes once the client's last InitializeSecurityContext call returned SEC_E_OK, else No); the world's
accounts have no password lifetime, so PASSWORD_EXPIRY is the "never" TimeStamp. Each of these
values is an interpretation: the general page names the structure, not how a package fills it.

Every other value the contract accepts (the CredSSP/Schannel attributes of the page, stream sizes)
is SEC_E_UNSUPPORTED_FUNCTION.

The page the functions follow (the CredSSP variant of QueryContextAttributes) lists ten attributes:
SIZES, PACKAGE_INFO and NEGOTIATION_PACKAGE of the table above among them. The other nine answered
here (and STREAM_SIZES, PASSWORD_EXPIRY) come from the general QueryContextAttributes page, kept as a
page of its own in spec/supplements/QueryContextAttributes-general.md; `sspimodel generate` adds its
rows to the ulAttribute contract, each value citing that file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .common import (
    NULL_HANDLE_ERRATA,
    alloc_bytes,
    alloc_str,
    alloc_struct,
    ctx_record,
    deref,
    is_null_handle,
    live,
)
from .constants import (
    SECPKG_ATTR_FLAGS,
    SECPKG_ATTR_LIFESPAN,
    SECPKG_ATTR_NAMES,
    SECPKG_ATTR_NATIVE_NAMES,
    SECPKG_ATTR_NEGOTIATION_INFO,
    SECPKG_ATTR_PACKAGE_INFO,
    SECPKG_ATTR_SESSION_KEY,
    SECPKG_ATTR_SIZES,
    SECPKG_NEGOTIATION_COMPLETE,
    SECPKG_NEGOTIATION_IN_PROGRESS,
)
from .handles import NEVER, AccessToken, TimeStamp
from .messages import signature_size, trailer_size
from .packages import internal_to_asc
from .rules import Call, Citation, Interpretation, Rule, register
from .structs import (
    SecPkgContext_AccessToken,
    SecPkgContext_Authority,
    SecPkgContext_ClientSpecifiedTarget,
    SecPkgContext_DceInfo,
    SecPkgContext_Flags,
    SecPkgContext_KeyInfo,
    SecPkgContext_LastClientTokenStatus,
    SecPkgContext_Lifespan,
    SecPkgContext_Names,
    SecPkgContext_NativeNames,
    SecPkgContext_NegotiationInfo,
    SecPkgContext_PackageInfo,
    SecPkgContext_PasswordExpiry,
    SecPkgContext_SessionKey,
    SecPkgContext_Sizes,
    SecPkgContext_TargetInformation,
)
from .world import ContextRecord

__all__ = ["SUPPORTED", "query_rules", "supported_entry"]

SECPKG_ATTR_KEY_INFO = 5
SECPKG_ATTR_AUTHORITY = 6
SECPKG_ATTR_ACCESS_TOKEN = 18
SECPKG_ATTR_NEGOTIATION_PACKAGE = 0x80000081
# The general page's attributes (spec/supplements/QueryContextAttributes-general.md; sspi.h values)
SECPKG_ATTR_DCE_INFO = 3
SECPKG_ATTR_PASSWORD_EXPIRY = 8
SECPKG_ATTR_TARGET_INFORMATION = 17
SECPKG_ATTR_CLIENT_SPECIFIED_TARGET = 27
SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS = 30

# The packages that answer the general page's attributes added for issue 19: the page gives
# LAST_CLIENT_TOKEN_STATUS to "the Negotiate, Kerberos and NTLM packages" only; the model gives
# the other four the same three (*interpretation*: the page names no package for them, and the
# model's Digest keeps to the attributes it answered before).
GENERAL_PACKAGES = frozenset({"Negotiate", "Kerberos", "NTLM"})
RPC_C_AUTHZ_NAME = 1  # rpcdce.h: authorization by the client's name
LCT_YES, LCT_NO = 0, 1  # sspi.h SECPKG_ATTR_LCT_STATUS: SecPkgAttrLastClientTokenYes, ...No


def _sizes(c: Call, ctx: ContextRecord) -> Any:
    # cbMaxToken and cbBlockSize are the package's facts (spec/data/packages.yaml); the signature
    # and trailer sizes are NTLM's NTLMSSP_MESSAGE_SIGNATURE (16 bytes) for an NTLM context, those
    # of the model's own message format for the simulated packages.
    package = c.world.package(ctx.mech) or c.world.package(ctx.package)
    return SecPkgContext_Sizes(package.max_token, signature_size(ctx), package.block_size, trailer_size(ctx))


def _names(c: Call, ctx: ContextRecord) -> Any:
    return SecPkgContext_Names(alloc_str(c, ctx.client or "", "SecPkgContext_Names.sUserName"))


def _native_names(c: Call, ctx: ContextRecord) -> Any:
    return SecPkgContext_NativeNames(
        alloc_str(c, ctx.client or "", "SecPkgContext_NativeNames.sClientName"),
        alloc_str(c, ctx.server or ctx.target or "", "SecPkgContext_NativeNames.sServerName"),
    )


def _lifespan(c: Call, ctx: ContextRecord) -> Any:
    return SecPkgContext_Lifespan(TimeStamp(c.world.clock.now), TimeStamp(ctx.expiry))


def _key_info(c: Call, ctx: ContextRecord) -> Any:
    # Names and algorithm ids are the package's facts (spec/data/packages.yaml, with sources).
    key = (c.world.package(ctx.mech) or c.world.package(ctx.package)).key_info
    return SecPkgContext_KeyInfo(
        alloc_str(c, key.signature_name, "SecPkgContext_KeyInfo.sSignatureAlgorithmName"),
        alloc_str(c, key.encrypt_name, "SecPkgContext_KeyInfo.sEncryptAlgorithmName"),
        len(ctx.session_key or b"") * 8,
        key.signature_alg,
        key.encrypt_alg,
    )


def _authority(c: Call, ctx: ContextRecord) -> Any:
    name = c.world.dns_domain.upper() if ctx.mech == "Kerberos" else c.world.domain
    return SecPkgContext_Authority(alloc_str(c, name, "SecPkgContext_Authority.sAuthorityName"))


def _session_key(c: Call, ctx: ContextRecord) -> Any:
    key = ctx.session_key or b""
    return SecPkgContext_SessionKey(len(key), alloc_bytes(c, key, "SecPkgContext_SessionKey.SessionKey"))


def _info(c: Call, name: str, what: str) -> Any:
    return alloc_struct(c, c.world.package(name).info(), what)


def _package_info(c: Call, ctx: ContextRecord) -> Any:
    # For Negotiate, the package in use once it has chosen (the page: "the security support
    # provider in use"); before that, Negotiate itself.
    name = ctx.mech if ctx.established else ctx.package
    return SecPkgContext_PackageInfo(_info(c, name, "SecPkgContext_PackageInfo.PackageInfo"))


def _negotiation_info(c: Call, ctx: ContextRecord) -> Any:
    state = SECPKG_NEGOTIATION_COMPLETE if ctx.established else SECPKG_NEGOTIATION_IN_PROGRESS
    return SecPkgContext_NegotiationInfo(
        _info(c, ctx.mech, "SecPkgContext_NegotiationInfo.PackageInfo"), state
    )


def _negotiation_package(c: Call, ctx: ContextRecord) -> Any:
    return SecPkgContext_PackageInfo(_info(c, ctx.mech, "SecPkgContext_PackageInfo.PackageInfo"))


def _flags(c: Call, ctx: ContextRecord) -> Any:
    return SecPkgContext_Flags(ctx.attributes if ctx.role == "client" else internal_to_asc(ctx.attributes))


def _access_token(c: Call, ctx: ContextRecord) -> Any:
    value = c.world.next_token_handle
    c.world.next_token_handle += 4
    return SecPkgContext_AccessToken(AccessToken(value, ctx.client or ""))


def _dce_info(c: Call, ctx: ContextRecord) -> Any:
    # Interpretation: the model has no PAC; the authorization data a DCE service gets is the client's
    # name (AuthzSvc RPC_C_AUTHZ_NAME), package memory as the other names are.
    return SecPkgContext_DceInfo(RPC_C_AUTHZ_NAME, alloc_str(c, ctx.client or "", "SecPkgContext_DceInfo.pPac"))


def _password_expiry(c: Call, ctx: ContextRecord) -> Any:
    # Interpretation: the world's accounts carry no password lifetime; their passwords never expire.
    return SecPkgContext_PasswordExpiry(NEVER)


def _target_information(c: Call, ctx: ContextRecord) -> Any:
    # Interpretation: "the name of the remote server" marshalled as the target name the client gave,
    # UTF-16LE without a terminator.
    data = (ctx.target or "").encode("utf-16-le", "surrogatepass")
    return SecPkgContext_TargetInformation(
        len(data), alloc_bytes(c, data, "SecPkgContext_TargetInformation.MarshalledTargetInfo")
    )


def client_target(c: Call, ctx: ContextRecord) -> str | None:
    """The target the client gave for the conversation of server context ``ctx``.

    NTLM carries it in the AUTHENTICATE_MESSAGE (MsvAvTargetName, MS-NLMP 2.2.2.1): the server
    context keeps what the client sent. Interpretation for the simulated packages: the target
    travels inside their tokens; the model reads it from the client's context of the same
    conversation, while that context exists (once the client has deleted it, the server answers
    an empty name)."""
    if ctx.role == "server" and ctx.target:
        return ctx.target
    for process in c.world.processes.values():
        for other in process.contexts.values():
            if other.role == "client" and other.conversation == ctx.conversation and other.target:
                return other.target
    return None


def _client_specified_target(c: Call, ctx: ContextRecord) -> Any:
    return SecPkgContext_ClientSpecifiedTarget(
        alloc_str(c, client_target(c, ctx) or "", "SecPkgContext_ClientSpecifiedTarget.sTargetName")
    )


def _last_client_token_status(c: Call, ctx: ContextRecord) -> Any:
    # Yes once the client's latest InitializeSecurityContext call finished the handshake (its token,
    # if any, is the last one), No while more legs are to come.
    return SecPkgContext_LastClientTokenStatus(LCT_YES if ctx.established else LCT_NO)


def _general(role: str | None) -> Callable[[ContextRecord], bool]:
    return lambda ctx: ctx.package in GENERAL_PACKAGES and (role is None or ctx.role == role)


Filler = Callable[[Call, ContextRecord], Any]

# ulAttribute -> (filler, available before the handshake completes, extra condition or None)
SUPPORTED: dict[int, tuple[Filler, bool, Callable[[ContextRecord], bool] | None]] = {
    SECPKG_ATTR_SIZES: (_sizes, True, None),
    SECPKG_ATTR_NAMES: (_names, False, None),
    SECPKG_ATTR_LIFESPAN: (_lifespan, False, None),
    SECPKG_ATTR_KEY_INFO: (_key_info, False, None),
    SECPKG_ATTR_AUTHORITY: (_authority, False, None),
    SECPKG_ATTR_SESSION_KEY: (_session_key, False, None),
    SECPKG_ATTR_PACKAGE_INFO: (_package_info, True, None),
    SECPKG_ATTR_NEGOTIATION_INFO: (_negotiation_info, True, None),
    SECPKG_ATTR_NATIVE_NAMES: (_native_names, False, None),
    SECPKG_ATTR_FLAGS: (_flags, True, None),
    SECPKG_ATTR_ACCESS_TOKEN: (_access_token, False, lambda ctx: ctx.role == "server"),
    SECPKG_ATTR_NEGOTIATION_PACKAGE: (_negotiation_package, False, lambda ctx: ctx.package == "Negotiate"),
    # the general page's attributes answered since issue 19 (per package: GENERAL_PACKAGES)
    SECPKG_ATTR_DCE_INFO: (_dce_info, False, _general("server")),
    SECPKG_ATTR_PASSWORD_EXPIRY: (_password_expiry, False, _general("server")),
    SECPKG_ATTR_TARGET_INFORMATION: (_target_information, False, _general("client")),
    SECPKG_ATTR_CLIENT_SPECIFIED_TARGET: (_client_specified_target, False, _general("server")),
    SECPKG_ATTR_LAST_CLIENT_TOKEN_STATUS: (_last_client_token_status, True, _general("client")),
}


def _ctx(c: Call) -> ContextRecord | None:
    facts = c.facts
    if "ctx" not in facts:
        facts["ctx"] = ctx_record(c, c.a.phContext)
    return facts["ctx"]


def supported_entry(attribute: int, ctx: ContextRecord) -> Any:
    """The SUPPORTED entry for ``attribute`` if the context's package answers it there, else None."""
    entry = SUPPORTED.get(attribute)
    if entry is None:
        return None
    condition = entry[2]
    if condition is not None and not condition(ctx):
        return None
    return entry


def _entry(c: Call) -> Any:
    return supported_entry(int(deref(c.a.ulAttribute)), live(_ctx(c)))


def _query(c: Call) -> None:
    ctx = live(_ctx(c))
    c.out["pBuffer"] = _entry(c)[0](c, ctx)


def query_rules(function: str, prefix: str = "qca") -> list[Rule]:
    return [
        Rule(
            "qca.null_handle",
            "phContext is NULL or the zero handle",
            "SEC_E_INVALID_HANDLE",
            NULL_HANDLE_ERRATA,
            lambda c: is_null_handle(c.a.phContext),
        ),
        Rule(
            "qca.invalid_handle",
            "phContext is not a live context of the calling process",
            "SEC_E_INVALID_HANDLE",
            Interpretation(
                "The SEC_E_INVALID_HANDLE row speaks only of incomplete contexts: what does a handle that "
                "names no context give?",
                "SEC_E_INVALID_HANDLE as well, the code's general meaning",
            ),
            lambda c: _ctx(c) is None,
        ),
        Rule(
            "qca.unsupported_attribute",
            "ulAttribute is one the model's packages do not answer (Schannel/CredSSP attributes, stream "
            "sizes), a server-only one on a client context (or client-only on a server one), "
            "SECPKG_ATTR_NEGOTIATION_PACKAGE on a context not built by Negotiate, or one of the general "
            "page's attributes on a Digest context",
            "SEC_E_UNSUPPORTED_FUNCTION",
            Citation(function, "returns", "ulAttribute holds a value that is not valid."),
            lambda c: _entry(c) is None,
            also=(
                Citation(
                    function, "parameters: ulAttribute", "Only the server side supports this attribute."
                ),
            ),
        ),
        Rule(
            "qca.incomplete",
            "the handshake has not finished and the attribute needs a complete context (all but SIZES, "
            "PACKAGE_INFO, NEGOTIATION_INFO, FLAGS and LAST_CLIENT_TOKEN_STATUS)",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "returns", "phContext is the handle of a context that is not yet complete."),
            lambda c: not live(_ctx(c)).established and not _entry(c)[1],
            also=(
                Interpretation(
                    "Which attributes can be asked before the handshake ends? The page names none; "
                    "spec/supplements/QueryContextAttributes-general.md (the general page's attributes) "
                    "says SECPKG_ATTR_NEGOTIATION_INFO is the one meant for a negotiation still going on.",
                    "SIZES, PACKAGE_INFO, NEGOTIATION_INFO, FLAGS and (client side) LAST_CLIENT_TOKEN_STATUS "
                    "are answered early; the rest need a complete context",
                ),
            ),
        ),
        Rule(
            "qca.ok",
            "pBuffer receives the attribute's structure; its variable-sized members are package memory",
            "SEC_E_OK",
            Citation(function, "returns", "On success the return value is SEC_E_OK."),
            lambda c: True,
            _query,
        ),
    ]


QCA_A = register("QueryContextAttributesA", query_rules("QueryContextAttributesA"))
QCA_W = register("QueryContextAttributesW", query_rules("QueryContextAttributesW"))
