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

from .common import (
    CONTRACT_ERROR,
    alloc_str,
    cred_record,
    deref,
    fault_rules,
    faults_planned,
    is_null_handle,
    live,
)
from .handles import Ref
from .rules import Call, Citation, Errata, Interpretation, Rule, guarded, register
from .wchar import utf16
from .world import CredRecord

__all__ = [
    "KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY",
    "KDC_PROXY_SETTINGS_V1",
    "QUERY_SUPPORT",
    "SECPKG_CRED_ATTR_CERT",
    "SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS",
    "SECPKG_CRED_ATTR_NAMES",
    "SET_SUPPORT",
    "SecPkgCredentials_Cert",
    "SecPkgCredentials_KdcProxySettings",
    "SecPkgCredentials_Names",
    "query_credentials_ex_rules",
    "query_credentials_rules",
    "set_credentials_rules",
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


def _name_of(cred: CredRecord) -> str:
    """The name the credentials report: the one SetCredentialsAttributes gave, else the account."""
    return cred.name if cred.name is not None else (cred.account or "")


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
        name = alloc_str(c, _name_of(cred), "SecPkgCredentials_Names.sUserName")
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


# -- SetCredentialsAttributesA/W and QueryCredentialsAttributesExA/W (issue 19) -------------------
#
# What each package of the model answers, by attribute: the data both tables read. NAMES: every
# package (the pages name no package that refuses it but Schannel in WOW64 mode); CERT: "Only
# Kerberos supports this attribute" (QueryCredentialsAttributes); KDC_PROXY_SETTINGS: "Kerberos is
# the only package that supports this attribute" (SetCredentialsAttributes).

SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS = 3
# sspi.h (mingw-w64 include/sspi.h:481-482): SecPkgCredentials_KdcProxySettingsW.Version / .Flags.
KDC_PROXY_SETTINGS_V1 = 1
KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY = 0x1

_ALL_PACKAGES = frozenset({"Negotiate", "Kerberos", "NTLM", "Digest"})
QUERY_SUPPORT: dict[int, frozenset[str]] = {
    SECPKG_CRED_ATTR_NAMES: _ALL_PACKAGES,
    SECPKG_CRED_ATTR_CERT: frozenset({"Kerberos"}),
    SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS: frozenset({"Kerberos"}),
}
SET_SUPPORT: dict[int, frozenset[str]] = {
    SECPKG_CRED_ATTR_NAMES: _ALL_PACKAGES,
    SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS: frozenset({"Kerberos"}),
}

# Sizes of the structures in a 64-bit process (sspi.h): one pointer; a ULONG and a pointer
# (padded); two ULONGs and four USHORTs. The strings of the KDC proxy settings follow the
# structure in the same buffer (ProxyServerOffset/ClientTlsCredOffset count from its start).
STRUCT_SIZE = {SECPKG_CRED_ATTR_NAMES: 8, SECPKG_CRED_ATTR_CERT: 16, SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS: 16}


@frozen
class SecPkgCredentials_KdcProxySettings:
    """SecPkgCredentials_KdcProxySettingsW: Version, Flags and the two UTF-16 strings the
    structure points to by offset (``ProxyServer``, ``ClientTlsCred``; None: length 0)."""

    Version: int = KDC_PROXY_SETTINGS_V1
    Flags: int = 0
    ProxyServer: str | None = None
    ClientTlsCred: str | None = None

    @property
    def size(self) -> int:
        """The bytes the structure and its strings take in one buffer: a WCHAR string takes two
        bytes per UTF-16 code unit, so a character outside the BMP (a surrogate pair) takes four."""
        return 16 + len(utf16(self.ProxyServer)) + len(utf16(self.ClientTlsCred))

    def to_bytes(self) -> bytes:
        proxy = utf16(self.ProxyServer)
        tls = utf16(self.ClientTlsCred)
        head = self.Version.to_bytes(4, "little") + self.Flags.to_bytes(4, "little")
        head += (16 if proxy else 0).to_bytes(2, "little") + len(proxy).to_bytes(2, "little")
        head += (16 + len(proxy) if tls else 0).to_bytes(2, "little") + len(tls).to_bytes(2, "little")
        return head + proxy + tls

    @classmethod
    def from_bytes(cls, data: bytes) -> SecPkgCredentials_KdcProxySettings | None:
        """The structure as it lies in memory (what a conformance scenario passes), or None when
        the bytes are not one: shorter than 16 bytes, a string outside them, or odd-length."""
        if len(data) < 16:
            return None
        version, flags = int.from_bytes(data[0:4], "little"), int.from_bytes(data[4:8], "little")
        strings: list[str | None] = []
        for at in (8, 12):
            offset, length = int.from_bytes(data[at : at + 2], "little"), int.from_bytes(data[at + 2 : at + 4], "little")
            if length == 0:
                strings.append(None)
                continue
            if length % 2 or offset < 16 or offset + length > len(data):
                return None
            # Any code units, an unpaired surrogate included: the inverse of wchar.utf16.
            strings.append(data[offset : offset + length].decode("utf-16-le", "surrogatepass"))
        return cls(version, flags, strings[0], strings[1])


def _supported(table: dict[int, frozenset[str]]) -> Any:
    def unsupported(c: Call) -> bool:
        return live(_cred(c)).package not in table.get(_attribute(c), frozenset())

    return unsupported


# -- SetCredentialsAttributes ----------------------------------------------------------------------


def _given(c: Call) -> Any:
    value = deref(c.a.pBuffer)
    if _attribute(c) == SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS and isinstance(value, bytes | bytearray):
        return SecPkgCredentials_KdcProxySettings.from_bytes(bytes(value)) or value
    return value


def _name_given(c: Call) -> str | None:
    """The new name in a SecPkgCredentials_Names: str (W; A too), or bytes in the ANSI code page (A)."""
    name = _given(c).sUserName
    if isinstance(name, bytes | bytearray) and c.function.endswith("A"):
        return bytes(name).decode("cp1252", "replace")
    return name if isinstance(name, str) else None


def _bad_buffer(c: Call) -> str | None:
    """What is wrong with pBuffer for the attribute, or None."""
    attribute, value = _attribute(c), _given(c)
    if attribute == SECPKG_CRED_ATTR_NAMES:
        if not isinstance(value, SecPkgCredentials_Names):
            return f"expected a SecPkgCredentials_Names for SECPKG_CRED_ATTR_NAMES, got {type(value).__name__}"
        if _name_given(c) is None:
            return "SecPkgCredentials_Names.sUserName must be a string (NULL names nothing)"
    elif attribute == SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS:
        if not isinstance(value, SecPkgCredentials_KdcProxySettings):
            return (
                "expected a SecPkgCredentials_KdcProxySettings (or its bytes as laid out in memory) for "
                f"SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, got {type(value).__name__}"
            )
        return _bad_proxy_settings(value)
    return None


def _bad_proxy_settings(value: SecPkgCredentials_KdcProxySettings) -> str | None:
    """What of a caller's SecPkgCredentials_KdcProxySettings sspi.h cannot hold: Version and Flags
    are ULONGs, each string a PWSTR whose byte length is a USHORT (ProxyServerLength,
    ClientTlsCredLength), and so is the offset of the second (ClientTlsCredOffset); None when it
    is well formed."""
    for name in ("Version", "Flags"):
        number = getattr(value, name)
        if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= 0xFFFFFFFF:
            return f"SecPkgCredentials_KdcProxySettings.{name} must be a ULONG, got {number!r}"
    for name in ("ProxyServer", "ClientTlsCred"):
        text = getattr(value, name)
        if text is not None and not isinstance(text, str):
            return f"SecPkgCredentials_KdcProxySettings.{name} must be a string or None, got {type(text).__name__}"
        if len(utf16(text)) > 0xFFFF:
            return (
                f"SecPkgCredentials_KdcProxySettings.{name} is {len(utf16(text))} bytes in UTF-16; its "
                "length field (a USHORT) holds at most 65535"
            )
    tls_offset = 16 + len(utf16(value.ProxyServer))
    if value.ClientTlsCred and tls_offset > 0xFFFF:
        return (
            f"SecPkgCredentials_KdcProxySettings.ClientTlsCred would start at offset {tls_offset} (after the "
            "16-byte structure and ProxyServer); ClientTlsCredOffset (a USHORT) holds at most 65535"
        )
    return None


def _short_buffer(c: Call) -> bool:
    value = _given(c)
    need = value.size if isinstance(value, SecPkgCredentials_KdcProxySettings) else STRUCT_SIZE[_attribute(c)]
    return int(deref(c.a.cbBuffer)) < need


def _set(c: Call) -> None:
    cred = live(_cred(c))
    if _attribute(c) == SECPKG_CRED_ATTR_NAMES:
        cred.name = _name_given(c)
    else:
        cred.kdc_proxy = _given(c)


def set_credentials_rules(function: str) -> list[Rule]:
    buffer_clause = "Points to a buffer holding the attribute's new value; the structure it holds depends on"

    def refuse_buffer(c: Call) -> None:
        raise c.violation("pBuffer", f"{buffer_clause} ulAttribute: {_bad_buffer(c)}", c.a.pBuffer)

    def refuse_size(c: Call) -> None:
        raise c.violation(
            "cbBuffer",
            f"The size of the pBuffer buffer, in bytes: {int(deref(c.a.cbBuffer))} is smaller than the structure "
            "(and its strings) pBuffer holds",
            c.a.cbBuffer,
        )

    return [
        Rule(
            "scred.null_handle",
            "phCredential is NULL or the zero handle",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "returns", "SEC_E_INVALID_HANDLE"),
            lambda c: is_null_handle(c.a.phCredential),
        ),
        Rule(
            "scred.invalid_handle",
            "phCredential is not live credentials of the calling process (never issued, freed, forged)",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "returns", "The handle given is not valid."),
            lambda c: _cred(c) is None,
        ),
        Rule(
            "scred.unsupported_attribute",
            "the credentials' package does not support setting the attribute (KDC proxy settings on "
            "credentials other than Kerberos')",
            "SEC_E_UNSUPPORTED_FUNCTION",
            Citation(
                function, "parameters: ulAttribute", "Kerberos is the only package that supports this attribute."
            ),
            _supported(SET_SUPPORT),
            also=(
                Citation(function, "returns", "SEC_E_UNSUPPORTED_FUNCTION"),
                Interpretation(
                    "The page gives SEC_E_UNSUPPORTED_FUNCTION to Schannel only; what does another package "
                    "asked to set an attribute it does not support return?",
                    "SEC_E_UNSUPPORTED_FUNCTION as well, and the credentials are unchanged",
                ),
            ),
        ),
        Rule(
            "scred.bad_buffer",
            "pBuffer is not the attribute's structure (SecPkgCredentials_Names with a string for NAMES; "
            "SecPkgCredentials_KdcProxySettings, or its bytes, for KDC_PROXY_SETTINGS)",
            CONTRACT_ERROR,
            Citation(function, "parameters: pBuffer", buffer_clause),
            lambda c: _bad_buffer(c) is not None,
            refuse_buffer,
        ),
        Rule(
            "scred.short_buffer",
            "cbBuffer is smaller than the structure pBuffer holds (with the KDC proxy settings' strings)",
            CONTRACT_ERROR,
            Citation(function, "parameters: cbBuffer", "buffer, in bytes."),
            _short_buffer,
            refuse_size,
            also=(
                Interpretation(
                    "The page documents no code for a cbBuffer too small for the structure",
                    "a contract error naming cbBuffer; nothing changes",
                ),
            ),
        ),
        *fault_rules(function, {"SEC_E_INSUFFICIENT_MEMORY": "scred.fault.memory"}),
        Rule(
            "scred.ok",
            "the attribute is recorded on the credentials: QueryCredentialsAttributes(Ex) reads it back",
            "SEC_E_OK",
            Citation(function, "returns", "On success the function returns SEC_E_OK."),
            lambda c: True,
            _set,
            also=(
                Citation(function, "description", "built afterwards on that credential."),
                Interpretation(
                    "Does a name set with SECPKG_CRED_ATTR_NAMES change whom the credentials authenticate?",
                    "no: it changes the name the credentials report (QueryCredentialsAttributes NAMES); the "
                    "account and secret a handshake proves stay those the credentials were acquired for",
                ),
            ),
        ),
    ]


SCRED_A = register("SetCredentialsAttributesA", set_credentials_rules("SetCredentialsAttributesA"))
SCRED_W = register("SetCredentialsAttributesW", set_credentials_rules("SetCredentialsAttributesW"))


# -- QueryCredentialsAttributesEx ------------------------------------------------------------------
#
# The page documents a BOOL ("Returns TRUE when the function succeeds"), while sspi.h declares the
# function SECURITY_STATUS (spec/data/sspi_h.json, sspi.h:955) like QueryCredentialsAttributes: the
# model returns statuses, each from an errata entry of kind interpretation, and answers what
# QueryCredentialsAttributes answers plus the KDC proxy settings (Kerberos), whose ulAttribute the
# Ex page does not restrict to a table. pBuffer is the caller's buffer of cbBuffer bytes: the
# result's pBuffer (and a Ref cell given as pBuffer) receives the structure.

EX_OK = Errata("doc-credentials-ex-ok", "the page gives TRUE for success; the model returns SEC_E_OK")
EX_INVALID_HANDLE = Errata(
    "doc-credentials-ex-invalid-handle", "a handle naming no live credentials: SEC_E_INVALID_HANDLE"
)
EX_UNSUPPORTED = Errata(
    "doc-credentials-ex-unsupported",
    "an attribute the credentials' package does not answer: SEC_E_UNSUPPORTED_FUNCTION",
)
EX_BUFFER_TOO_SMALL = Errata(
    "doc-credentials-ex-buffer-too-small", "cbBuffer smaller than the attribute's structure: SEC_E_BUFFER_TOO_SMALL"
)
EX_MEMORY = Errata("doc-credentials-ex-memory", "the fault plan runs the call out of memory: SEC_E_INSUFFICIENT_MEMORY")


def _answer(c: Call) -> Any:
    facts = c.facts
    if "answer" not in facts:
        cred, attribute = live(_cred(c)), _attribute(c)
        if attribute == SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS:
            facts["answer"] = cred.kdc_proxy or SecPkgCredentials_KdcProxySettings()
        else:
            facts["answer"] = None
    return facts["answer"]


def _ex_too_small(c: Call) -> bool:
    answer = _answer(c)
    need = answer.size if answer is not None else STRUCT_SIZE[_attribute(c)]
    return int(deref(c.a.cbBuffer)) < need


def _query_ex(c: Call) -> None:
    answer = _answer(c)
    if answer is None:
        _query(c)
    else:
        c.out["pBuffer"] = answer
    if isinstance(c.a.pBuffer, Ref):
        c.a.pBuffer.value = c.out["pBuffer"]


def _ex_fault(c: Call) -> bool:
    return c.fault("SEC_E_INSUFFICIENT_MEMORY")


def query_credentials_ex_rules(function: str) -> list[Rule]:
    return [
        Rule(
            "qcredx.null_handle",
            "phCredential is NULL or the zero handle",
            "SEC_E_INVALID_HANDLE",
            EX_INVALID_HANDLE,
            lambda c: is_null_handle(c.a.phCredential),
        ),
        Rule(
            "qcredx.invalid_handle",
            "phCredential is not live credentials of the calling process (never issued, freed, forged)",
            "SEC_E_INVALID_HANDLE",
            EX_INVALID_HANDLE,
            lambda c: _cred(c) is None,
        ),
        Rule(
            "qcredx.unsupported_attribute",
            "the credentials' package does not answer the attribute (NAMES: every package; CERT and "
            "KDC_PROXY_SETTINGS: Kerberos; any other number: none)",
            "SEC_E_UNSUPPORTED_FUNCTION",
            EX_UNSUPPORTED,
            _supported(QUERY_SUPPORT),
            also=(Citation(function, "parameters: ulAttribute", "Which attribute to query."),),
        ),
        Rule(
            "qcredx.buffer_too_small",
            "cbBuffer is smaller than the attribute's structure (with the KDC proxy settings' strings)",
            "SEC_E_BUFFER_TOO_SMALL",
            EX_BUFFER_TOO_SMALL,
            _ex_too_small,
            also=(Citation(function, "parameters: cbBuffer", "The buffer's length."),),
        ),
        Rule(
            "qcredx.fault.memory",
            "the fault plan makes this call run out of memory",
            "SEC_E_INSUFFICIENT_MEMORY",
            EX_MEMORY,
            guarded(faults_planned, _ex_fault),
        ),
        Rule(
            "qcredx.ok",
            "pBuffer receives the attribute's structure: NAMES as QueryCredentialsAttributes gives it (package "
            "memory), CERT empty, KDC_PROXY_SETTINGS as SetCredentialsAttributes last set it (never set: "
            "version 1, no flags, no proxy server)",
            "SEC_E_OK",
            EX_OK,
            lambda c: True,
            _query_ex,
            also=(
                Citation(function, "parameters: pBuffer", "The buffer that receives the attributes."),
                Interpretation(
                    "What are the KDC proxy settings of Kerberos credentials nobody set them on?",
                    "KDC_PROXY_SETTINGS_V1, no flags, no proxy server and no client TLS credentials",
                ),
            ),
        ),
    ]


QCREDX_A = register("QueryCredentialsAttributesExA", query_credentials_ex_rules("QueryCredentialsAttributesExA"))
QCREDX_W = register("QueryCredentialsAttributesExW", query_credentials_ex_rules("QueryCredentialsAttributesExW"))
