"""SetContextAttributesA/W: setting an attribute of a security context.

The page gives the function to one package: "Only the Schannel security package supports this
function", and each attribute of its ``ulAttribute`` table (SECPKG_ATTR_APP_DATA 94,
SECPKG_ATTR_EAP_PRF_INFO 101, SECPKG_ATTR_EARLY_START 105, SECPKG_ATTR_DTLS_MTU 34,
SECPKG_ATTR_KEYING_MATERIAL_INFO 106) is a TLS/DTLS one. The model installs no Schannel, so:

- a NULL, zero, forged or deleted ``phContext`` breaks the contract (ContractError naming
  phContext; *interpretation*: the page asks for "The handle of the security context" and
  documents no code for a handle that names none, so the model refuses the call instead of
  inventing a status);
- a live context of any of the model's packages (Negotiate, Kerberos, NTLM, Digest) is
  SEC_E_UNSUPPORTED_FUNCTION (*interpretation*: the page gives that code to Schannel in kernel
  mode; the model extends it to every package that does not support the function). The context
  is left as it was;
- SEC_E_OK is unreachable: only Schannel could give it.

A ``ulAttribute`` outside the page's table is refused by the generated contract before any rule.
"""

from __future__ import annotations

from .common import CONTRACT_ERROR, ctx_record, is_null_handle, live
from .rules import Call, Citation, Interpretation, Rule, register, unreachable
from .world import ContextRecord

__all__ = ["set_context_rules"]


def _ctx(c: Call) -> ContextRecord | None:
    facts = c.facts
    if "ctx" not in facts:
        facts["ctx"] = ctx_record(c, c.a.phContext)
    return facts["ctx"]


def _not_schannel(c: Call) -> bool:
    return live(_ctx(c)).package != "Schannel"


def set_context_rules(function: str) -> list[Rule]:
    clause = "The handle of the security context whose attribute is set."
    bad_handle = Interpretation(
        "The page documents no code for a handle that names no security context",
        "a contract error naming phContext: the call is refused before anything happens",
    )

    def refuse(c: Call) -> None:
        raise c.violation("phContext", f"{clause} (this one names no live context of the caller)", c.a.phContext)

    return [
        Rule(
            "sctx.null_handle",
            "phContext is NULL or the zero handle",
            CONTRACT_ERROR,
            Citation(function, "parameters: phContext", clause),
            lambda c: is_null_handle(c.a.phContext),
            refuse,
            also=(bad_handle,),
        ),
        Rule(
            "sctx.invalid_handle",
            "phContext is not a live context of the calling process (never issued, deleted, forged)",
            CONTRACT_ERROR,
            Citation(function, "parameters: phContext", clause),
            lambda c: _ctx(c) is None,
            refuse,
            also=(bad_handle,),
        ),
        Rule(
            "sctx.unsupported_package",
            "the context's package is not Schannel (every package the model installs): nothing is set",
            "SEC_E_UNSUPPORTED_FUNCTION",
            Citation(function, "description", "Only the Schannel security package supports this function."),
            _not_schannel,
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
            "sctx.ok",
            "SEC_E_OK",
            Citation(function, "returns", "On success the function returns SEC_E_OK."),
            "the model installs no Schannel package, the only package the page says supports this function",
        ),
    ]


SCTX_A = register("SetContextAttributesA", set_context_rules("SetContextAttributesA"))
SCTX_W = register("SetContextAttributesW", set_context_rules("SetContextAttributesW"))
