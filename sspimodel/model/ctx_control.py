"""ApplyControlToken and DelegateSecurityContext: control tokens and the delegation that makes them.

ApplyControlToken applies a control token (the SecBuffer of *pInput*) to a context. Its page gives
the function to one package: "Only the Schannel security support provider (SSP) supports this
function", and names the tokens it applies there: SCHANNEL_ALERT_TOKEN and SCHANNEL_SESSION_TOKEN
(remarks), and the shutdown token of "Shutting Down an Schannel Connection" (phContext). Which
package takes which control token is :data:`CONTROL_TOKENS`; the model installs no Schannel, so:

- in kernel mode the function is SEC_E_UNSUPPORTED_FUNCTION, for every context (the description:
  "Kernel mode does not support this function", and the code's row);
- a NULL, zero, forged or deleted *phContext* breaks the contract (ContractError naming phContext;
  *interpretation*, as SetContextAttributes: the page documents no code for a handle that names no
  context), and so does a *pInput* with no SECBUFFER_TOKEN buffer ("the input token to apply");
- a live context of a package that takes no control token (Negotiate, Kerberos, NTLM, Digest:
  every package the model installs) is SEC_E_UNSUPPORTED_FUNCTION (*interpretation*: the page
  gives that code to Schannel in kernel mode; the model extends it to every package that does not
  support the function) and the context is unchanged;
- SEC_E_OK is unreachable: only Schannel could give it.

DelegateSecurityContext's page is a stub: no directions, no DLL, no return codes ("Returns a value
that tells the result of the operation"); its one fact about behaviour is that *pOutput* is "The
output token, for ApplyControlToken". The model reads that as: the function makes a control token,
which only a package that takes control tokens could use. No package of the model does, so:

- a handle that names no context breaks the contract (as above);
- *DelegationType* must be a SecDelegationType (sspi.h: SecFull 0, SecService 1, SecTree 2,
  SecDirectory 3, SecObject 4; checked as its C type, :mod:`sspimodel.argtypes`);
- every live context is SEC_E_UNSUPPORTED_FUNCTION, nothing is written to *pOutput* and the context
  is unchanged (errata ``doc-delegate-security-context-unsupported``, of kind interpretation: the
  page names no code at all).
"""

from __future__ import annotations

from typing import Any

from .buffers import SecBufferDesc
from .common import CONTRACT_ERROR, ctx_record, deref, is_null_handle, live
from .constants import SECBUFFER_TOKEN
from .rules import Call, Citation, Errata, Interpretation, Rule, register, unreachable
from .world import CallerMode, ContextRecord

__all__ = ["CONTROL_TOKENS", "apply_control_token_rules", "delegate_rules"]

# Package -> the control tokens ApplyControlToken applies to its contexts. Schannel's are the ones
# the page names (remarks: SCHANNEL_ALERT_TOKEN, SCHANNEL_SESSION_TOKEN; phContext: the shutdown
# of "Shutting Down an Schannel Connection"); the page gives the function to no other package.
CONTROL_TOKENS: dict[str, tuple[str, ...]] = {
    "Schannel": ("SCHANNEL_SHUTDOWN", "SCHANNEL_ALERT_TOKEN", "SCHANNEL_SESSION_TOKEN"),
    "Negotiate": (),
    "Kerberos": (),
    "NTLM": (),
    "Digest": (),
}

DELEGATE_UNSUPPORTED = Errata(
    "doc-delegate-security-context-unsupported",
    "the page names no code; no package of the model takes the control token the function makes: "
    "SEC_E_UNSUPPORTED_FUNCTION",
)


def takes_control_tokens(package: str) -> bool:
    return bool(CONTROL_TOKENS.get(package, ()))


def _ctx(c: Call) -> ContextRecord | None:
    facts = c.facts
    if "ctx" not in facts:
        facts["ctx"] = ctx_record(c, c.a.phContext)
    return facts["ctx"]


def _has_token(value: Any) -> bool:
    desc = deref(value)
    return isinstance(desc, SecBufferDesc) and any(b.BufferType == SECBUFFER_TOKEN for b in desc.pBuffers)


def _handle_rules(prefix: str, function: str, clause: str) -> list[Rule]:
    bad_handle = Interpretation(
        "The page documents no code for a handle that names no security context",
        "a contract error naming phContext: the call is refused before anything happens",
    )

    def refuse(c: Call) -> None:
        raise c.violation("phContext", f"{clause} (this one names no live context of the caller)", c.a.phContext)

    null_id, invalid_id = (
        ("act.null_handle", "act.invalid_handle") if prefix == "act" else ("dsc.null_handle", "dsc.invalid_handle")
    )
    return [
        Rule(
            null_id,
            "phContext is NULL or the zero handle",
            CONTRACT_ERROR,
            Citation(function, "parameters: phContext", clause),
            lambda c: is_null_handle(c.a.phContext),
            refuse,
            also=(bad_handle,),
        ),
        Rule(
            invalid_id,
            "phContext is not a live context of the calling process (never issued, deleted, forged)",
            CONTRACT_ERROR,
            Citation(function, "parameters: phContext", clause),
            lambda c: _ctx(c) is None,
            refuse,
            also=(bad_handle,),
        ),
    ]


def apply_control_token_rules(function: str = "ApplyControlToken") -> list[Rule]:
    clause = "The handle of the context the token is applied to."
    token_clause = "structure holding the input token to apply to the context."

    def no_token(c: Call) -> None:
        raise c.violation("pInput", f"{token_clause} (it has no SECBUFFER_TOKEN buffer)", c.a.pInput)

    return [
        Rule(
            "act.kernel_mode",
            "the caller is in kernel mode: the function is not supported there, whatever the context",
            "SEC_E_UNSUPPORTED_FUNCTION",
            Citation(function, "description", "Kernel mode does not support this function."),
            lambda c: c.world.caller_mode is CallerMode.KERNEL,
            also=(Citation(function, "returns", "SEC_E_UNSUPPORTED_FUNCTION"),),
        ),
        *_handle_rules("act", function, clause),
        Rule(
            "act.no_token",
            "pInput holds no SECBUFFER_TOKEN buffer: there is no token to apply",
            CONTRACT_ERROR,
            Citation(function, "parameters: pInput", token_clause),
            lambda c: not _has_token(c.a.pInput),
            no_token,
            also=(
                Interpretation(
                    "The page documents no code for a descriptor without a token",
                    "a contract error naming pInput, before anything happens",
                ),
            ),
        ),
        Rule(
            "act.unsupported_package",
            "the context's package takes no control token (every package the model installs; only "
            "Schannel's shutdown, alert and session tokens exist): the context is unchanged",
            "SEC_E_UNSUPPORTED_FUNCTION",
            Citation(function, "description", "Only the Schannel security support provider (SSP) supports this function."),
            lambda c: not takes_control_tokens(live(_ctx(c)).package),
            also=(
                Citation(function, "returns", "SEC_E_UNSUPPORTED_FUNCTION"),
                Interpretation(
                    "The page gives SEC_E_UNSUPPORTED_FUNCTION to Schannel in kernel mode only; what does a "
                    "package that does not support the function return?",
                    "SEC_E_UNSUPPORTED_FUNCTION as well, and the context is unchanged",
                ),
            ),
        ),
        unreachable(
            "act.ok",
            "SEC_E_OK",
            Citation(function, "returns", "On success the function returns SEC_E_OK."),
            "the model installs no Schannel package, the only package the page says supports this function",
        ),
    ]


def delegate_rules(function: str = "DelegateSecurityContext") -> list[Rule]:
    clause = "The security context that is delegated."
    return [
        *_handle_rules("dsc", function, clause),
        Rule(
            "dsc.unsupported",
            "a live context of any package the model installs: none takes the control token the function "
            "makes, so nothing is delegated, pOutput is not written and the context is unchanged",
            "SEC_E_UNSUPPORTED_FUNCTION",
            DELEGATE_UNSUPPORTED,
            lambda c: True,
            also=(
                Citation(function, "parameters: pOutput", "The output token, for ApplyControlToken."),
                Citation(
                    "ApplyControlToken",
                    "description",
                    "Only the Schannel security support provider (SSP) supports this function.",
                ),
            ),
        ),
    ]


ACT = register("ApplyControlToken", apply_control_token_rules())
DSC = register("DelegateSecurityContext", delegate_rules())
