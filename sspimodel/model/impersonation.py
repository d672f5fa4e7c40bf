"""Impersonation and access tokens: ImpersonateSecurityContext, RevertSecurityContext,
QuerySecurityContextToken.

State (kept in :class:`~sspimodel.model.world.Process`):

- ``process.thread``: the thread the next call runs on (1 unless the caller switches it);
- ``process.impersonating``: thread -> :class:`Impersonation` (the context and the
  impersonation token in force). ImpersonateSecurityContext sets the calling thread's entry
  (replacing an earlier one: a thread has one token), RevertSecurityContext removes it;
- ``process.tokens``: the access-token handles QuerySecurityContextToken gave out and the
  caller has not closed yet (``world.close_handle(token, pid)``, the model's CloseHandle).

``world.leaks()`` lists both an open token and a thread that is still impersonating.

The tokens' contents (user SID, groups, privileges, impersonation level from the negotiated
flags) come from :mod:`sspimodel.model.access_token`.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from .access_token import LEVELS, SE_IMPERSONATE_NAME, TokenRecord, impersonation_level, new_token
from .common import ctx_record, is_null_handle, live
from .constants import SECPKG_FLAG_IMPERSONATION
from .handles import CtxtHandle
from .rules import Call, Citation, Interpretation, Rule, pick, register, unreachable
from .world import ContextRecord

__all__ = [
    "Impersonation",
    "impersonate_rules",
    "query_token_rules",
    "revert_rules",
    "thread_token",
]

_IMPERSONATE = "ImpersonateSecurityContext"
_REVERT = "RevertSecurityContext"
_QUERY = "QuerySecurityContextToken"


@frozen
class Impersonation:
    """What a thread runs as while it impersonates: the context and its impersonation token."""

    context: CtxtHandle
    token: TokenRecord

    def __repr__(self) -> str:
        return f"Impersonation({self.context!r}, {self.token.user!r}, {self.token.level})"


def thread_token(process: Any, thread: int | None = None) -> TokenRecord | None:
    """The impersonation token of ``thread`` (the process's current thread by default), or None
    when the thread runs as the process itself."""
    entry = process.impersonating.get(process.thread if thread is None else thread)
    return None if entry is None else entry.token


# -- facts ------------------------------------------------------------------------------------


def _ctx(c: Call) -> ContextRecord | None:
    facts = c.facts
    if "ctx" not in facts:
        facts["ctx"] = ctx_record(c, c.a.phContext)
    return facts["ctx"]


def _token(c: Call) -> TokenRecord:
    """The token the context yields (built once per call; building takes a handle value)."""
    facts = c.facts
    if "token" not in facts:
        facts["token"] = new_token(c.world, live(_ctx(c)))
    return facts["token"]


def _client_side(c: Call) -> bool:
    return live(_ctx(c)).role != "server"


def _incomplete(c: Call) -> bool:
    return not live(_ctx(c)).established


def _package_cannot(c: Call) -> bool:
    ctx = live(_ctx(c))
    package = c.world.package(ctx.mech) or c.world.package(ctx.package)
    return package is None or not package.capabilities & SECPKG_FLAG_IMPERSONATION


def _impersonation_refused(c: Call) -> bool:
    """None of the remarks' four conditions holds (the model has no LogonUser: the third never
    does)."""
    ctx = live(_ctx(c))
    if LEVELS.index(_level(ctx)) < LEVELS.index("SecurityImpersonation"):
        return False
    session = c.world.session_of(c.process)
    if SE_IMPERSONATE_NAME in session.privileges:
        return False
    same = (
        session.account is not None
        and ctx.client is not None
        and session.account.lower() == ctx.client.lower()
    )
    return not same


def _level(ctx: ContextRecord) -> str:
    return impersonation_level(ctx.attributes)


def _impersonate(c: Call) -> None:
    ctx = live(_ctx(c))
    c.process.impersonating[c.process.thread] = Impersonation(ctx.handle, _token(c))


def _not_impersonating_this(c: Call) -> bool:
    entry = c.process.impersonating.get(c.process.thread)
    return entry is None or entry.context != live(_ctx(c)).handle


def _revert(c: Call) -> None:
    del c.process.impersonating[c.process.thread]


def _query_token(c: Call) -> None:
    token = _token(c)
    c.process.tokens[token.handle.value] = token
    c.out["Token"] = token.handle


# -- tables -----------------------------------------------------------------------------------


def _handle_rules(function: str, prefix: str, quote: str) -> list[Rule]:
    return [
        Rule(
            pick(prefix, "isctx.null_handle", "rsctx.null_handle", "qsct.null_handle"),
            "phContext is NULL or the zero handle",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "returns", quote),
            lambda c: is_null_handle(c.a.phContext),
        ),
        Rule(
            pick(prefix, "isctx.invalid_handle", "rsctx.invalid_handle", "qsct.invalid_handle"),
            "phContext is not a live context of the calling process (never issued, deleted, forged)",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "returns", quote),
            lambda c: _ctx(c) is None,
        ),
    ]


def impersonate_rules(function: str = _IMPERSONATE) -> list[Rule]:
    accepted_only = Citation(
        function,
        "parameters: phContext",
        "The handle must come from a call to",
    )
    return [
        *_handle_rules(function, "isctx", "SEC_E_INVALID_HANDLE"),
        unreachable(
            "isctx.schannel_kernel",
            "SEC_E_UNSUPPORTED_FUNCTION",
            Citation(
                function,
                "returns",
                "Schannel in kernel mode returns this code to say that it does not support the function.",
            ),
            "the model installs no Schannel package, and the page gives this code to Schannel in kernel mode only",
        ),
        Rule(
            "isctx.client_context",
            "phContext is a client context (InitializeSecurityContext made it): there is no client to act as",
            "SEC_E_NO_IMPERSONATION",
            accepted_only,
            _client_side,
            also=(
                Interpretation(
                    "The page requires a handle from AcceptSecurityContext but gives no code for a client "
                    "context's handle",
                    "SEC_E_NO_IMPERSONATION: a client context carries no client token to impersonate; the "
                    "handle itself is valid",
                ),
            ),
        ),
        Rule(
            "isctx.incomplete",
            "the server context's handshake has not finished: the client is not authenticated yet",
            "SEC_E_NO_IMPERSONATION",
            Citation(
                function,
                "remarks",
                "once the security system has validated the inbound context, the server holds the handle",
            ),
            _incomplete,
            also=(
                Interpretation(
                    "What does impersonating a context whose handshake is still in progress give?",
                    "SEC_E_NO_IMPERSONATION: no client token exists before the client is authenticated",
                ),
            ),
        ),
        Rule(
            "isctx.package_cannot",
            "the context's package does not declare SECPKG_FLAG_IMPERSONATION",
            "SEC_E_NO_IMPERSONATION",
            Citation(
                function,
                "remarks",
                "usually only packages and platforms that support impersonation implement it.",
            ),
            _package_cannot,
            also=(
                Interpretation(
                    "Which code does a package without impersonation support give?",
                    "SEC_E_NO_IMPERSONATION (the table keeps SEC_E_UNSUPPORTED_FUNCTION for Schannel in kernel mode)",
                ),
            ),
        ),
        Rule(
            "isctx.not_permitted",
            "the token's level is SecurityImpersonation or SecurityDelegation, the caller's logon session "
            "lacks SeImpersonatePrivilege, and the client is not the caller's own account",
            "SEC_E_NO_IMPERSONATION",
            Citation(
                function,
                "remarks",
                "Every impersonation function, **ImpersonateSecurityContext** included, allows the requested "
                "impersonation when one of these holds:",
            ),
            _impersonation_refused,
            also=(
                Citation(function, "returns", "Impersonating the client was not possible."),
                Interpretation(
                    "The remarks say when impersonation is allowed, not what happens otherwise; the model has "
                    "no LogonUser, so the third condition never holds",
                    "the call fails with SEC_E_NO_IMPERSONATION and the thread keeps running as the process",
                ),
            ),
        ),
        Rule(
            "isctx.ok",
            "the calling thread runs as the client (its impersonation token replaces any earlier one) until "
            "RevertSecurityContext",
            "SEC_E_OK",
            Citation(function, "returns", "On success the function returns SEC_E_OK."),
            lambda c: True,
            _impersonate,
            also=(
                Citation(
                    function,
                    "remarks",
                    "The call builds an impersonation token and lets the thread or process run under the "
                    "impersonated context.",
                ),
            ),
        ),
    ]


def revert_rules(function: str = _REVERT) -> list[Rule]:
    return [
        *_handle_rules(function, "rsctx", "SEC_E_INVALID_HANDLE"),
        Rule(
            "rsctx.not_impersonating",
            "the calling thread is not impersonating through phContext (it never did, or it reverted already)",
            "SEC_E_INVALID_HANDLE",
            Citation(
                function,
                "parameters: phContext",
                "that is being impersonated: a handle obtained from",
            ),
            _not_impersonating_this,
            also=(
                Interpretation(
                    "What does reverting through a live context the thread is not impersonating give?",
                    "SEC_E_INVALID_HANDLE (the only code the page documents; the handle is not one the thread "
                    "impersonates through) and nothing changes",
                ),
            ),
        ),
        Rule(
            "rsctx.ok",
            "the calling thread stops impersonating and runs as the process again",
            "SEC_E_OK",
            Citation(function, "returns", "On success the function returns SEC_E_OK."),
            lambda c: True,
            _revert,
        ),
    ]


def query_token_rules(function: str = _QUERY) -> list[Rule]:
    return [
        *_handle_rules(function, "qsct", "SEC_E_INVALID_HANDLE is one of the codes it can return."),
        Rule(
            "qsct.no_client_token",
            "phContext is a client context, or a server context whose handshake has not finished: there is "
            "no client token yet",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "remarks", "A server calls this function when it manages impersonation itself, outside SSPI"),
            lambda c: _client_side(c) or _incomplete(c),
            also=(
                Interpretation(
                    "The page names only SEC_E_INVALID_HANDLE; which code for a context with no client token?",
                    "SEC_E_INVALID_HANDLE: the handle is not that of an authenticated server context",
                ),
            ),
        ),
        Rule(
            "qsct.ok",
            "Token receives a new handle to the client's access token; the caller closes it "
            "(world.close_handle, the model's CloseHandle)",
            "SEC_E_OK",
            Citation(function, "returns", "On success the function returns SEC_E_OK."),
            lambda c: True,
            _query_token,
            also=(
                Citation(
                    function,
                    "remarks",
                    "The caller closes the returned handle with",
                ),
            ),
        ),
    ]


IMPERSONATE = register(_IMPERSONATE, impersonate_rules())
REVERT = register(_REVERT, revert_rules())
QUERY_TOKEN = register(_QUERY, query_token_rules())
