"""QueryCredentialsAttributesA/W: what a credentials handle can tell about itself.

The attributes the model's packages (Negotiate, Kerberos, NTLM, Digest) answer:

=========================  ==========================  ========================================
ulAttribute                pBuffer                     packages
=========================  ==========================  ========================================
SECPKG_CRED_ATTR_NAMES     SecPkgCredentials_Names     all four: the credential's account
SECPKG_CRED_ATTR_CERT      SecPkgCredentials_Cert      Kerberos: no certificate (0 bytes)
=========================  ==========================  ========================================

- NAMES: ``sUserName`` is the qualified account ("CONTOSO\\alice") the credentials are for, or the
  empty string for credentials of the anonymous logon session; it is package memory, released with
  FreeContextBuffer ("The security package allocates the memory behind any pointer it returns").
- CERT: "Only Kerberos supports this attribute." The model's credentials are password credentials,
  so a Kerberos credential answers with an empty certificate (*interpretation*).
- Every other case (CERT on a package other than Kerberos) is SEC_E_UNSUPPORTED_FUNCTION: the
  page gives that code to Schannel only; the model extends it to any package asked for an
  attribute it does not support (*interpretation*). The three Schannel attributes have no number
  on the page nor in the header data, so the documented contract refuses them before any rule.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from .common import alloc_str, cred_record, deref, fault_rules, is_null_handle, live
from .rules import Call, Citation, Interpretation, Rule, register
from .world import CredRecord

__all__ = [
    "SECPKG_CRED_ATTR_CERT",
    "SECPKG_CRED_ATTR_NAMES",
    "SecPkgCredentials_Cert",
    "SecPkgCredentials_Names",
    "query_credentials_rules",
]

# sspi.h (spec/data/constants.tsv).
SECPKG_CRED_ATTR_NAMES = 1
SECPKG_CRED_ATTR_CERT = 4


@frozen
class SecPkgCredentials_Names:
    """SecPkgCredentials_NamesA/W: ``sUserName``, package memory."""

    sUserName: Any


@frozen
class SecPkgCredentials_Cert:
    """SecPkgCredentials_Cert: ``EncodedCertSize`` bytes at ``EncodedCert``."""

    EncodedCertSize: int
    EncodedCert: Any


def _cred(c: Call) -> CredRecord | None:
    facts = c.facts
    if "cred" not in facts:
        facts["cred"] = cred_record(c, c.a.phCredential)
    return facts["cred"]


def _attribute(c: Call) -> int:
    return int(deref(c.a.ulAttribute))


def _unsupported(c: Call) -> bool:
    attribute = _attribute(c)
    if attribute == SECPKG_CRED_ATTR_NAMES:
        return False
    return not (attribute == SECPKG_CRED_ATTR_CERT and live(_cred(c)).package == "Kerberos")


def _query(c: Call) -> None:
    cred = live(_cred(c))
    if _attribute(c) == SECPKG_CRED_ATTR_NAMES:
        name = alloc_str(c, cred.account or "", "SecPkgCredentials_Names.sUserName")
        c.out["pBuffer"] = SecPkgCredentials_Names(name)
    else:
        c.out["pBuffer"] = SecPkgCredentials_Cert(0, None)


def query_credentials_rules(function: str) -> list[Rule]:
    return [
        Rule(
            "qcred.null_handle",
            "phCredential is NULL or the zero handle",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "returns", "SEC_E_INVALID_HANDLE"),
            lambda c: is_null_handle(c.a.phCredential),
        ),
        Rule(
            "qcred.invalid_handle",
            "phCredential is not live credentials of the calling process (never issued, freed, forged)",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "returns", "The handle given is not valid."),
            lambda c: _cred(c) is None,
        ),
        Rule(
            "qcred.unsupported_attribute",
            "ulAttribute is SECPKG_CRED_ATTR_CERT and the credentials are not Kerberos'",
            "SEC_E_UNSUPPORTED_FUNCTION",
            Citation(function, "parameters: ulAttribute", "Only Kerberos supports this attribute."),
            _unsupported,
            also=(
                Citation(function, "returns", "SEC_E_UNSUPPORTED_FUNCTION"),
                Interpretation(
                    "The page gives SEC_E_UNSUPPORTED_FUNCTION to Schannel only; what does another package "
                    "asked for an attribute it does not support return?",
                    "SEC_E_UNSUPPORTED_FUNCTION as well",
                ),
            ),
        ),
        *fault_rules(function, {"SEC_E_INSUFFICIENT_MEMORY": "qcred.fault.memory"}),
        Rule(
            "qcred.ok",
            "pBuffer receives the attribute's structure; a name in it is package memory (FreeContextBuffer)",
            "SEC_E_OK",
            Citation(function, "returns", "On success the function returns SEC_E_OK."),
            lambda c: True,
            _query,
            also=(
                Citation(
                    function,
                    "remarks",
                    "allocates the memory behind any pointer it returns inside that structure, and the caller "
                    "can release each such pointer with",
                ),
                Interpretation(
                    "What does Kerberos return for SECPKG_CRED_ATTR_CERT on credentials made from a password?",
                    "an empty certificate: EncodedCertSize 0, EncodedCert NULL",
                ),
            ),
        ),
    ]


QCRED_A = register("QueryCredentialsAttributesA", query_credentials_rules("QueryCredentialsAttributesA"))
QCRED_W = register("QueryCredentialsAttributesW", query_credentials_rules("QueryCredentialsAttributesW"))
