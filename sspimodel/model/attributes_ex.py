"""QueryContextAttributesExA/W: QueryContextAttributes with a buffer the caller supplies.

The Ex page differs from QueryContextAttributes in one parameter: *cbBuffer*, "The size of
pBuffer, in bytes". The caller supplies the structure *pBuffer* points to, and its size. The page
documents one code (SEC_E_OK, and "a nonzero error code" on failure); every failure below is an
interpretation or an errata entry, named in its rule.

What the model does, in the order of the rule table:

- a NULL or zero handle, or one that names no live context of the caller: SEC_E_INVALID_HANDLE
  (as QueryContextAttributes; Wine's dispatcher for the NULL handle, an interpretation otherwise);
- an attribute the context's package does not answer (every Schannel and CredSSP row of the
  page's table, STREAM_SIZES; the general page's attributes on Digest): SEC_E_UNSUPPORTED_FUNCTION.
  Which attributes each package answers is QueryContextAttributes' table
  (:data:`sspimodel.model.attributes.SUPPORTED`): the two functions answer the same attributes
  with the same values;
- *cbBuffer* smaller than the structure the attribute's row names (its size in a 64-bit process,
  :data:`STRUCT_SIZES`): SEC_E_BUFFER_TOO_SMALL, and nothing is written (*interpretation*);
- a context whose handshake has not finished, for an attribute that needs a complete one:
  SEC_E_INVALID_HANDLE (as QueryContextAttributes);
- otherwise SEC_E_OK: *pBuffer* receives the structure. Its variable-sized members (names, keys,
  package information) are package memory, released with FreeContextBuffer, as for
  QueryContextAttributes (*interpretation*: the Ex page names FreeContextBuffer among its
  see-also links and says no more). A *cbBuffer* larger than the structure is accepted.
"""

from __future__ import annotations

from typing import Any

from . import attributes
from .common import ctx_record, deref, is_null_handle, live
from .rules import Call, Citation, Errata, Interpretation, Rule, register
from .world import ContextRecord

__all__ = ["STRUCT_SIZES", "query_ex_rules"]

# The page names no failure code: the errata entries of kind interpretation (spec/data/errata.yaml).
INVALID_HANDLE = Errata(
    "doc-query-context-ex-invalid-handle",
    "the page names no failure code; a handle that names no usable context gives SEC_E_INVALID_HANDLE",
)
UNSUPPORTED = Errata(
    "doc-query-context-ex-unsupported",
    "the page names no failure code; an attribute the package does not answer gives SEC_E_UNSUPPORTED_FUNCTION",
)
TOO_SMALL = Errata(
    "doc-query-context-ex-buffer-too-small",
    "the page names no failure code; a cbBuffer smaller than the structure gives SEC_E_BUFFER_TOO_SMALL",
)

_PTR = 8  # a pointer (and ULONG_PTR) in a 64-bit process
_ULONG = 4
_TIMESTAMP = 8  # TimeStamp is a LARGE_INTEGER / SECURITY_INTEGER

# ulAttribute -> (the structure its row names, sizeof in a 64-bit process). Layouts are sspi.h's
# declarations (a fact of the header); sizes include the trailing padding to pointer alignment.
STRUCT_SIZES: dict[int, tuple[str, int]] = {
    0: ("SecPkgContext_Sizes", 4 * _ULONG),
    1: ("SecPkgContext_Names", _PTR),
    2: ("SecPkgContext_Lifespan", 2 * _TIMESTAMP),
    3: ("SecPkgContext_DceInfo", 2 * _PTR),  # ULONG AuthzSvc (padded), void* pPac
    5: ("SecPkgContext_KeyInfo", 2 * _PTR + 3 * _ULONG + 4),  # two pointers, three ULONGs, padding
    6: ("SecPkgContext_Authority", _PTR),
    8: ("SecPkgContext_PasswordExpiry", _TIMESTAMP),
    9: ("SecPkgContext_SessionKey", 2 * _PTR),  # ULONG SessionKeyLength (padded), PUCHAR SessionKey
    10: ("SecPkgContext_PackageInfo", _PTR),
    12: ("SecPkgContext_NegotiationInfo", 2 * _PTR),  # PSecPkgInfo, ULONG (padded)
    13: ("SecPkgContext_NativeNames", 2 * _PTR),
    14: ("SecPkgContext_Flags", _ULONG),
    17: ("SecPkgContext_TargetInformation", 2 * _PTR),  # ULONG length (padded), PUCHAR
    18: ("SecPkgContext_AccessToken", _PTR),
    27: ("SecPkgContext_ClientSpecifiedTarget", _PTR),
    30: ("SecPkgContext_LastClientTokenStatus", _ULONG),  # an enum
    0x80000081: ("SecPkgContext_PackageInfo", _PTR),  # NEGOTIATION_PACKAGE (not in the Ex table)
}


def _ctx(c: Call) -> ContextRecord | None:
    facts = c.facts
    if "ctx" not in facts:
        facts["ctx"] = ctx_record(c, c.a.phContext)
    return facts["ctx"]


def _attribute(c: Call) -> int:
    return int(deref(c.a.ulAttribute))


def _entry(c: Call) -> Any:
    return attributes.supported_entry(_attribute(c), live(_ctx(c)))


def _too_small(c: Call) -> bool:
    size = STRUCT_SIZES[_attribute(c)][1]
    return int(deref(c.a.cbBuffer)) < size


def _query(c: Call) -> None:
    ctx = live(_ctx(c))
    c.out["pBuffer"] = _entry(c)[0](c, ctx)


def query_ex_rules(function: str) -> list[Rule]:
    failure = Citation(function, "returns", "On failure it is a nonzero error code.")
    return [
        Rule(
            "qcax.null_handle",
            "phContext is NULL or the zero handle",
            "SEC_E_INVALID_HANDLE",
            INVALID_HANDLE,
            lambda c: is_null_handle(c.a.phContext),
            also=(Citation(function, "parameters: phContext", "The handle of the security context asked about."),),
        ),
        Rule(
            "qcax.invalid_handle",
            "phContext is not a live context of the calling process (never issued, deleted, forged)",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "parameters: phContext", "The handle of the security context asked about."),
            lambda c: _ctx(c) is None,
            also=(
                failure,
                INVALID_HANDLE,
                Interpretation(
                    "The page documents no code for a handle that names no context: which nonzero code?",
                    "SEC_E_INVALID_HANDLE, what QueryContextAttributes returns for it",
                ),
            ),
        ),
        Rule(
            "qcax.unsupported_attribute",
            "the context's package does not answer ulAttribute (the Schannel and CredSSP rows, stream "
            "sizes; a server-only attribute on a client context or the reverse; the general page's "
            "attributes on Digest): QueryContextAttributes' support table",
            "SEC_E_UNSUPPORTED_FUNCTION",
            Citation(function, "parameters: ulAttribute", "Only the Schannel security package supports this attribute."),
            lambda c: _entry(c) is None,
            also=(
                failure,
                UNSUPPORTED,
                Interpretation(
                    "The page says which packages support some attributes and names no code for the others: "
                    "what does a package that does not answer an attribute return?",
                    "SEC_E_UNSUPPORTED_FUNCTION, the code QueryContextAttributes documents for it",
                ),
            ),
        ),
        Rule(
            "qcax.buffer_too_small",
            "cbBuffer is smaller than the structure the attribute's row names (its size in a 64-bit "
            "process): nothing is written",
            "SEC_E_BUFFER_TOO_SMALL",
            Citation(function, "parameters: cbBuffer", "The size of pBuffer, in bytes."),
            _too_small,
            also=(
                failure,
                TOO_SMALL,
                Interpretation(
                    "The page gives cbBuffer as the size of pBuffer and no code for a size too small for "
                    "the attribute's structure",
                    "SEC_E_BUFFER_TOO_SMALL (the catalog's 'Buffer too small'), checked once the attribute "
                    "is known to be answered; pBuffer is left unwritten",
                ),
            ),
        ),
        Rule(
            "qcax.incomplete",
            "the handshake has not finished and the attribute needs a complete context (all but SIZES, "
            "PACKAGE_INFO, NEGOTIATION_INFO, FLAGS and LAST_CLIENT_TOKEN_STATUS)",
            "SEC_E_INVALID_HANDLE",
            failure,
            lambda c: not live(_ctx(c)).established and not _entry(c)[1],
            also=(
                INVALID_HANDLE,
                Interpretation(
                    "The Ex page says nothing of contexts still being negotiated",
                    "as QueryContextAttributes: SEC_E_INVALID_HANDLE for the attributes it needs a complete "
                    "context for",
                ),
            ),
        ),
        Rule(
            "qcax.ok",
            "pBuffer receives the attribute's structure (the same values QueryContextAttributes gives); "
            "its variable-sized members are package memory, released with FreeContextBuffer",
            "SEC_E_OK",
            Citation(function, "returns", "On success the return value is SEC_E_OK."),
            lambda c: True,
            _query,
            also=(
                Citation(
                    function,
                    "parameters: pBuffer",
                    "Points to a structure that receives the attribute; which structure depends on ulAttribute.",
                ),
            ),
        ),
    ]


QCAX_A = register("QueryContextAttributesExA", query_ex_rules("QueryContextAttributesExA"))
QCAX_W = register("QueryContextAttributesExW", query_ex_rules("QueryContextAttributesExW"))
