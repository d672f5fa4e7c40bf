"""ChangeAccountPasswordA/W: changing a domain account's password through the domain controller.

The page gives the function to three providers ("Kerberos", "Negotiate" or "NTLM", and no other)
and documents one status, SEC_E_OK; a failure is "an error code". What the model does:

- a package name other than those three, a nonzero ``dwReserved``, or a ``pOutput`` that is not
  one SECBUFFER_CHANGE_PASS_RESPONSE buffer breaks the documented contract (ContractError naming
  the parameter and the page's clause);
- one of the three that is not installed (DeleteSecurityPackage removed it) is
  SEC_E_SECPKG_NOT_FOUND (errata ``doc-change-password-package-not-found``);
- a SECBUFFER_CHANGE_PASS_RESPONSE buffer smaller than DOMAIN_PASSWORD_INFORMATION (24 bytes) is
  SEC_E_BUFFER_TOO_SMALL (errata ``doc-change-password-buffer-too-small``);
- the domain controller offline (``world.authority.online = False``) is
  SEC_E_NO_AUTHENTICATING_AUTHORITY (errata ``doc-change-password-no-authority``);
- a domain other than the world's, an account the domain does not know, or an old password that
  is not the account's is SEC_E_LOGON_DENIED (errata ``doc-change-password-logon-denied``); nothing
  changes;
- otherwise the account's password becomes the new one (``Principal.secret``): a handshake with
  the new password succeeds and one with the old password fails from then on. Credentials
  acquired before the change from a logon session keep what they were acquired with. The
  buffer's ``pvBuffer`` receives the domain's DOMAIN_PASSWORD_INFORMATION (24 bytes, see
  :class:`DomainPasswordInformation`). ``bImpersonating`` changes nothing: the model's domain
  controller knows the account by name and old password (*interpretation*).

The model does not judge the new password against the domain's policy (length, history,
complexity): it reports the policy, it does not enforce it (*interpretation*).
"""

from __future__ import annotations

from typing import Any

from attrs import evolve, frozen

from .common import CONTRACT_ERROR, deref
from .constants import SECBUFFER_CHANGE_PASS_RESPONSE
from .rules import Call, Citation, Errata, Interpretation, Rule, register

__all__ = ["DOMAIN_PASSWORD_COMPLEX", "DomainPasswordInformation", "change_password_rules"]

# ntsecapi.h (mingw-w64 include/ntsecapi.h:1285): DOMAIN_PASSWORD_INFORMATION.PasswordProperties.
DOMAIN_PASSWORD_COMPLEX = 0x1
# The providers the page allows, by the names it gives them.
PROVIDERS = ("Kerberos", "Negotiate", "NTLM")
_DAY = 24 * 3600 * 10_000_000  # 100-nanosecond intervals

PACKAGE_NOT_FOUND = Errata(
    "doc-change-password-package-not-found",
    "the page names no failure code; a provider that is not installed gives SEC_E_SECPKG_NOT_FOUND",
)
BUFFER_TOO_SMALL = Errata(
    "doc-change-password-buffer-too-small",
    "a SECBUFFER_CHANGE_PASS_RESPONSE buffer smaller than DOMAIN_PASSWORD_INFORMATION: SEC_E_BUFFER_TOO_SMALL",
)
NO_AUTHORITY = Errata(
    "doc-change-password-no-authority",
    "the domain controller is offline: SEC_E_NO_AUTHENTICATING_AUTHORITY",
)
LOGON_DENIED = Errata(
    "doc-change-password-logon-denied",
    "an unknown domain or account, or an old password that is not the account's: SEC_E_LOGON_DENIED",
)


@frozen
class DomainPasswordInformation:
    """DOMAIN_PASSWORD_INFORMATION (ntsecapi.h): USHORT MinPasswordLength, USHORT
    PasswordHistoryLength, ULONG PasswordProperties, LARGE_INTEGER MaxPasswordAge and
    MinPasswordAge (negative: a duration, in 100-nanosecond intervals). 24 bytes."""

    MinPasswordLength: int
    PasswordHistoryLength: int
    PasswordProperties: int
    MaxPasswordAge: int
    MinPasswordAge: int

    SIZE = 24

    def to_bytes(self) -> bytes:
        return (
            self.MinPasswordLength.to_bytes(2, "little")
            + self.PasswordHistoryLength.to_bytes(2, "little")
            + self.PasswordProperties.to_bytes(4, "little")
            + self.MaxPasswordAge.to_bytes(8, "little", signed=True)
            + self.MinPasswordAge.to_bytes(8, "little", signed=True)
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> DomainPasswordInformation:
        if len(data) < cls.SIZE:
            raise ValueError(f"DOMAIN_PASSWORD_INFORMATION takes {cls.SIZE} bytes, got {len(data)}")
        return cls(
            int.from_bytes(data[0:2], "little"),
            int.from_bytes(data[2:4], "little"),
            int.from_bytes(data[4:8], "little"),
            int.from_bytes(data[8:16], "little", signed=True),
            int.from_bytes(data[16:24], "little", signed=True),
        )


def _text(value: Any) -> str:
    value = deref(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("cp1252", "replace")
    return str(value)


def _package_name(c: Call) -> str:
    return _text(c.a.pszPackageName)


def _not_a_provider(c: Call) -> bool:
    return _package_name(c).lower() not in {p.lower() for p in PROVIDERS}


def _response_buffer(c: Call) -> Any:
    """The single SECBUFFER_CHANGE_PASS_RESPONSE buffer of pOutput, or None."""
    desc = deref(c.a.pOutput)
    buffers = getattr(desc, "pBuffers", None)
    if not isinstance(buffers, list) or len(buffers) != 1:
        return None
    buffer = buffers[0]
    return buffer if getattr(buffer, "BufferType", None) == SECBUFFER_CHANGE_PASS_RESPONSE else None


def _principal(c: Call) -> Any:
    world = c.world
    domain = _text(c.a.pszDomainName).lower()
    if domain not in (world.domain.lower(), world.dns_domain.lower()):
        return None
    return world.principal(_text(c.a.pszAccountName), world.domain)


def _denied(c: Call) -> bool:
    principal = _principal(c)
    return principal is None or principal.secret != _text(c.a.pszOldPassword)


def _policy(c: Call) -> DomainPasswordInformation:
    a = c.world.authority
    return DomainPasswordInformation(
        a.min_password_length,
        a.password_history_length,
        a.password_properties,
        -a.max_password_age_days * _DAY,
        -a.min_password_age_days * _DAY,
    )


def _change(c: Call) -> None:
    principal = _principal(c)
    principal.secret = _text(c.a.pszNewPassword)
    buffer = _response_buffer(c)
    data = _policy(c).to_bytes()
    desc = deref(c.a.pOutput)
    index = desc.pBuffers.index(buffer)
    desc.pBuffers[index] = evolve(buffer, pvBuffer=data, cbBuffer=len(data))
    c.out["pOutput"] = desc


def change_password_rules(function: str) -> list[Rule]:
    package_clause = "and no other."
    output_clause = "which must hold exactly one buffer, of type"

    def refuse_reserved(c: Call) -> None:
        raise c.violation("dwReserved", "Reserved; must be zero.", c.a.dwReserved)

    def refuse_package(c: Call) -> None:
        raise c.violation(
            "pszPackageName",
            f"The provider to use, by name: \"Kerberos\", \"Negotiate\" or \"NTLM\", and no other "
            f"(got {_package_name(c)!r})",
            c.a.pszPackageName,
        )

    def refuse_output(c: Call) -> None:
        raise c.violation(
            "pOutput",
            "a SecBufferDesc which must hold exactly one buffer, of type SECBUFFER_CHANGE_PASS_RESPONSE",
            c.a.pOutput,
        )

    return [
        Rule(
            "cap.reserved",
            "dwReserved is not zero",
            CONTRACT_ERROR,
            Citation(function, "parameters: dwReserved", "Reserved; must be zero."),
            lambda c: deref(c.a.dwReserved) != 0,
            refuse_reserved,
        ),
        Rule(
            "cap.not_a_provider",
            "pszPackageName is not Kerberos, Negotiate or NTLM (the comparison ignores case)",
            CONTRACT_ERROR,
            Citation(function, "parameters: pszPackageName", package_clause),
            _not_a_provider,
            refuse_package,
            also=(
                Citation(
                    function,
                    "description",
                    "providers support this function.",
                ),
            ),
        ),
        Rule(
            "cap.bad_output",
            "pOutput is not a SecBufferDesc holding exactly one SECBUFFER_CHANGE_PASS_RESPONSE buffer",
            CONTRACT_ERROR,
            Citation(function, "parameters: pOutput", output_clause),
            lambda c: _response_buffer(c) is None,
            refuse_output,
        ),
        Rule(
            "cap.package_not_installed",
            "the provider named is not installed (DeleteSecurityPackage removed it)",
            "SEC_E_SECPKG_NOT_FOUND",
            PACKAGE_NOT_FOUND,
            lambda c: c.world.package(_package_name(c)) is None,
        ),
        Rule(
            "cap.buffer_too_small",
            "the SECBUFFER_CHANGE_PASS_RESPONSE buffer is smaller than DOMAIN_PASSWORD_INFORMATION (24 bytes)",
            "SEC_E_BUFFER_TOO_SMALL",
            BUFFER_TOO_SMALL,
            lambda c: (_response_buffer(c).cbBuffer or 0) < DomainPasswordInformation.SIZE,
        ),
        Rule(
            "cap.authority_offline",
            "the domain controller is offline (world.authority.online is False)",
            "SEC_E_NO_AUTHENTICATING_AUTHORITY",
            NO_AUTHORITY,
            lambda c: not c.world.authority.online,
        ),
        Rule(
            "cap.logon_denied",
            "pszDomainName is not the world's domain, pszAccountName names no account of it, or "
            "pszOldPassword is not the account's password: nothing changes",
            "SEC_E_LOGON_DENIED",
            LOGON_DENIED,
            _denied,
        ),
        Rule(
            "cap.ok",
            "the account's password becomes pszNewPassword (handshakes with the old one fail from now on); "
            "the buffer's pvBuffer receives the domain's DOMAIN_PASSWORD_INFORMATION",
            "SEC_E_OK",
            Citation(function, "returns", "On success the function returns SEC_E_OK."),
            lambda c: True,
            _change,
            also=(
                Citation(function, "parameters: pOutput", "that buffer's **pvBuffer** member points to a"),
                Interpretation(
                    "Who allocates the DOMAIN_PASSWORD_INFORMATION pvBuffer points to on output?",
                    "the caller: the structure's 24 bytes are written into the SECBUFFER_CHANGE_PASS_RESPONSE "
                    "buffer, which must be large enough",
                ),
                Interpretation(
                    "What does bImpersonating change, and is the new password held to the domain's policy?",
                    "neither: the domain controller knows the account by name and old password, and reports "
                    "its policy without enforcing it",
                ),
            ),
        ),
    ]


CAP_A = register("ChangeAccountPasswordA", change_password_rules("ChangeAccountPasswordA"))
CAP_W = register("ChangeAccountPasswordW", change_password_rules("ChangeAccountPasswordW"))
