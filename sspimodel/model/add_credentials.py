"""AddCredentialsA/W: adding a package's credentials to an existing credentials handle.

The pages say little: the description ("Adds a credential to the list of credentials that go
with the current thread"), one line per parameter, and a return value that is a handle or NULL
on the A page and "a status code" on the W page, while sspi.h declares both SECURITY_STATUS. No
status is documented: every outcome below rests on an errata entry of kind interpretation.

What the model does (*interpretation* throughout):

- ``hCredentials`` is the handle the credentials are added to: NULL, the zero handle or one that
  names no live credentials of the caller is SEC_E_INVALID_HANDLE;
- ``fCredentialUse`` must be SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND or SECPKG_CRED_BOTH
  (ContractError otherwise);
- ``pszPackage`` (``pPackage`` on the W page) names an installed package (else
  SEC_E_SECPKG_NOT_FOUND) that the handle can hold: its own package or, for a Negotiate handle,
  one of Negotiate's mechanisms, Kerberos and NTLM (else SEC_E_UNSUPPORTED_FUNCTION);
- ``pAuthData`` is a SEC_WINNT_AUTH_IDENTITY (or an identity of the Sspi*AuthIdentity family), or
  NULL for the caller's logon session; anything else, or NULL in a session without a principal
  (anonymous), is SEC_E_UNKNOWN_CREDENTIALS;
- on success the handle's credentials become the added ones for every context begun on it
  afterwards (the model's credentials hold one identity), their use is the union of the old and
  the new, and the added entry is listed in ``CredRecord.added``; ``ptsExpiry`` receives the added
  credentials' expiry. Contexts already begun keep the credentials they began with.
  ``pszPrincipal``, ``pGetKeyFn`` and ``pvGetKeyArgument`` are recorded, never called or checked.
"""

from __future__ import annotations

from typing import Any

from attrs import evolve

from .common import CONTRACT_ERROR, cred_record, deref, is_null_handle, live
from .constants import SECPKG_CRED_BOTH
from .creds import _auth
from .handles import NEVER, Ref, timestamp
from .rules import Call, Citation, Errata, Interpretation, Rule, register
from .structs import SecWinntAuthIdentity
from .world import CredRecord

__all__ = ["add_credentials_rules"]

# The mechanisms a Negotiate handle can hold credentials of (packages_registry._NEGOTIATE_MECHS).
_NEGOTIATE_MECHS = frozenset({"kerberos", "ntlm"})

OK = Errata(
    "doc-add-credentials-ok",
    "the A page returns a handle or NULL, the W page 'a status code'; the model returns SEC_E_OK",
)
INVALID_HANDLE = Errata("doc-add-credentials-invalid-handle", "hCredentials names no live credentials")
NOT_FOUND = Errata("doc-add-credentials-package-not-found", "the package named is not installed")
UNSUPPORTED = Errata(
    "doc-add-credentials-unsupported", "the handle cannot hold credentials of the package named"
)
UNKNOWN_CREDENTIALS = Errata(
    "doc-add-credentials-unknown-credentials", "pAuthData is not an identity the package takes"
)


def _handle(c: Call) -> CredRecord | None:
    facts = c.facts
    if "cred" not in facts:
        facts["cred"] = cred_record(c, c.a.hCredentials)
    return facts["cred"]


def _package_param(c: Call) -> Any:
    return c.a.pPackage if hasattr(c.a, "pPackage") else c.a.pszPackage


def _package(c: Call) -> Any:
    return c.world.package(deref(_package_param(c)))


def _cannot_hold(c: Call) -> bool:
    own = live(_handle(c)).package.lower()
    added = _package(c).name.lower()
    return added != own and not (own == "negotiate" and added in _NEGOTIATE_MECHS)


def _identity(c: Call) -> tuple[str, str | None] | None:
    """(qualified account, secret) the added credentials are for, or None when pAuthData gives none."""
    auth = _auth(c)
    world = c.world
    if auth is None:
        account = world.sessions[c.process.luid].account
        principal = world.principal(account)
        return (account, principal.secret if principal is not None else None) if account else None
    if not isinstance(auth, SecWinntAuthIdentity) or not auth.User:
        return None
    account = f"{auth.Domain or world.domain}\\{auth.User}"
    principal = world.principal(account)
    secret = auth.Password if isinstance(auth.Password, str) else None
    return (principal.qualified if principal is not None else account), secret


def _add(c: Call) -> None:
    cred = live(_handle(c))
    account, secret = live(_identity(c))
    package = _package(c)
    expiry = c.world.clock.after(package.cred_lifetime) if package.cred_lifetime else NEVER.QuadPart
    principal = deref(c.a.pszPrincipal if hasattr(c.a, "pszPrincipal") else c.a.pPrincipal)
    entry = (package.name, account, int(deref(c.a.fCredentialUse)), principal)
    # The rebuilt record keeps Negotiate's PackageList (interpretation: AddCredentials adds a
    # package's credentials; the list AcquireCredentialsHandle was given still restricts Negotiate).
    c.process.creds[cred.handle.dwLower] = evolve(
        cred,
        account=account,
        secret=secret,
        supplied=_auth(c) is not None,
        use=cred.use | int(deref(c.a.fCredentialUse)),
        expiry=min(cred.expiry, expiry),
        added=(*cred.added, entry),
    )
    stamp = timestamp(expiry)
    c.out["ptsExpiry"] = stamp
    if isinstance(c.a.ptsExpiry, Ref):
        c.a.ptsExpiry.value = stamp


def add_credentials_rules(function: str, package_param: str) -> list[Rule]:
    def refuse_use(c: Call) -> None:
        raise c.violation(
            "fCredentialUse",
            "Flags saying how the credentials will be used: SECPKG_CRED_INBOUND (1), SECPKG_CRED_OUTBOUND (2) "
            f"or SECPKG_CRED_BOTH (3), got {deref(c.a.fCredentialUse)!r}",
            c.a.fCredentialUse,
        )

    return [
        Rule(
            "addc.credential_use",
            "fCredentialUse is not SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND or SECPKG_CRED_BOTH",
            CONTRACT_ERROR,
            Citation(function, "parameters: fCredentialUse", "Flags saying how the credentials will be used."),
            lambda c: not 1 <= int(deref(c.a.fCredentialUse)) <= SECPKG_CRED_BOTH,
            refuse_use,
            also=(
                Interpretation(
                    "The page lists no values for fCredentialUse",
                    "those of AcquireCredentialsHandle (SECPKG_CRED_INBOUND, _OUTBOUND, _BOTH); another value is "
                    "a contract error",
                ),
            ),
        ),
        Rule(
            "addc.null_handle",
            "hCredentials is NULL or the zero handle",
            "SEC_E_INVALID_HANDLE",
            INVALID_HANDLE,
            lambda c: is_null_handle(c.a.hCredentials),
            also=(Citation(function, "parameters: hCredentials", "The credentials the new one is added to."),),
        ),
        Rule(
            "addc.invalid_handle",
            "hCredentials is not live credentials of the calling process (never issued, freed, forged)",
            "SEC_E_INVALID_HANDLE",
            INVALID_HANDLE,
            lambda c: _handle(c) is None,
        ),
        Rule(
            "addc.package_unknown",
            f"{package_param} names no installed package (the comparison ignores case)",
            "SEC_E_SECPKG_NOT_FOUND",
            NOT_FOUND,
            lambda c: _package(c) is None,
        ),
        Rule(
            "addc.package_not_held",
            f"{package_param} is neither the handle's package nor, for a Negotiate handle, Kerberos or NTLM",
            "SEC_E_UNSUPPORTED_FUNCTION",
            UNSUPPORTED,
            _cannot_hold,
        ),
        Rule(
            "addc.unknown_credentials",
            "pAuthData is not a SEC_WINNT_AUTH_IDENTITY with a user name, or is NULL in a logon session "
            "without a principal (anonymous)",
            "SEC_E_UNKNOWN_CREDENTIALS",
            UNKNOWN_CREDENTIALS,
            lambda c: _identity(c) is None,
            also=(Citation(function, "parameters: pAuthData", "Authentication data of the package's own."),),
        ),
        Rule(
            "addc.ok",
            "the handle's credentials become the added ones for contexts begun afterwards (use: the union); "
            "ptsExpiry receives their expiry",
            "SEC_E_OK",
            OK,
            lambda c: True,
            _add,
            also=(
                Citation(function, "description", "Adds a credential to the list of credentials that go with the current"),
                Interpretation(
                    "The model's credentials hold one identity: what does a handle with added credentials prove?",
                    "the identity added last, in every context begun on the handle afterwards; contexts already "
                    "begun keep theirs",
                ),
                Interpretation(
                    "pAuthData may be a SEC_WINNT_AUTH_IDENTITY_EXW with a PackageList: does it change the packages "
                    "Negotiate may use on the handle?",
                    "no: AddCredentials adds one package's credentials, and only AcquireCredentialsHandle reads a "
                    "PackageList; the handle keeps the list it was acquired with (sspimodel.model.package_list)",
                ),
            ),
        ),
    ]


ADDC_A = register("AddCredentialsA", add_credentials_rules("AddCredentialsA", "pszPackage"))
ADDC_W = register("AddCredentialsW", add_credentials_rules("AddCredentialsW", "pPackage"))
