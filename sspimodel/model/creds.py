"""Credentials: AcquireCredentialsHandleA/W and FreeCredentialsHandle.

The tables here are also the completion semantics of SspiAcquireCredentialsHandleAsyncA/W and
SspiFreeCredentialsHandleAsync (:mod:`sspimodel.model.async_`), which the async pages call the
asynchronous counterparts of these functions.
"""

from __future__ import annotations

from typing import Any

from . import package_list
from .common import (
    CONTRACT_ERROR,
    NULL_HANDLE_ERRATA,
    cred_record,
    deref,
    fault_rules,
    is_null_handle,
    observed,
)
from .constants import SE_TCB_NAME, SECPKG_CRED_INBOUND
from .handles import NEVER, CredHandle, Luid, timestamp
from .identity import SecWinntAuthIdentityExW, as_winnt_identity, package_list_of
from .rules import Call, Citation, Errata, Interpretation, Rule, register
from .structs import SecWinntAuthIdentity
from .world import CredRecord, Principal

__all__ = ["acquire_rules", "free_rules"]


# -- facts ----------------------------------------------------------------------------------------


# Facts are computed once per call and kept in c.facts (several rules ask for each).
_UNSET: Any = object()


def _package(c: Call, param: str) -> Any:
    facts = c.facts
    package = facts.get("package", _UNSET)
    if package is _UNSET:
        package = facts["package"] = c.world.package(getattr(c.a, param))
    return package


def _auth(c: Call) -> Any:
    """pAuthData as the package reads it: None for no identity (NULL, or under the observed
    contract an identity of NULLs that stands for the caller's logon: _logon_identity)."""
    facts = c.facts
    auth = facts.get("auth", _UNSET)
    if auth is _UNSET:
        given = deref(c.a.pAuthData)
        if _logon_identity(c, given):
            auth = facts["auth"] = None
        else:
            # An identity of the Sspi*AuthIdentity family (packed EX2, maybe encrypted for this
            # process or logon session) stands for the SEC_WINNT_AUTH_IDENTITY it holds.
            auth = facts["auth"] = as_winnt_identity(c, given)
    return auth


# The packages for which Windows takes a SEC_WINNT_AUTH_IDENTITY(_EXW) whose User, Domain and
# Password are all NULL as the caller's own logon (errata windows-null-identity-is-own-logon:
# sspilib's Windows-run tests for NTLM and Negotiate, .NET's WCF for Kerberos and Negotiate).
_NULL_IDENTITY_IS_LOGON = frozenset({"NTLM", "Negotiate", "Kerberos"})
_ACQUIRING = ("AcquireCredentialsHandle", "SspiAcquireCredentialsHandleAsync")  # the erratum's functions


def _logon_identity(c: Call, given: Any) -> bool:
    """Observed contract: ``given`` is an identity structure of NULLs (User, Domain and Password
    None) passed to a package that reads it as the caller's own logon, as pAuthData NULL is; a
    SEC_WINNT_AUTH_IDENTITY_EXW's PackageList still applies (_package_list reads it). The
    documented contract keeps the reading of ach.auth_data_unrecognized (the page documents
    pAuthData as a CREDSSP_CRED and says nothing of an identity of NULLs)."""
    if not isinstance(given, SecWinntAuthIdentity | SecWinntAuthIdentityExW):
        return False
    if given.User is not None or given.Domain is not None or given.Password is not None or not observed(c):
        return False
    if not c.function.startswith(_ACQUIRING):  # AddCredentials reads its identity as before
        return False
    package = _package(c, "pPackage" if hasattr(c.a, "pPackage") else "pszPackage")
    return package is not None and package.name in _NULL_IDENTITY_IS_LOGON


def _package_list(c: Call, param: str) -> package_list.PackageList | None:
    """Negotiate's PackageList from pAuthData (SEC_WINNT_AUTH_IDENTITY_EXW or a packed EX2), or
    None: no list, an empty one, or a package other than Negotiate (only Negotiate reads it; see
    sspimodel.model.package_list)."""
    facts = c.facts
    plist = facts.get("package_list", _UNSET)
    if plist is _UNSET:
        package = _package(c, param)
        text = package_list_of(deref(c.a.pAuthData)) if package is not None and package.name == "Negotiate" else ""
        plist = facts["package_list"] = package_list.parse(text) if text else None
    return plist


def _package_list_leaves_nothing(c: Call, param: str) -> bool:
    plist = _package_list(c, param)
    return plist is not None and not plist.allowed


# The packages Windows-run tests show acquiring any identity (ntlm.c testAcquireCredentialsHandle,
# negotiate.c test_authentication); the others keep the documented reading in both contracts.
_DEFERS_LOGON = frozenset({"NTLM", "Negotiate"})


def _defers_logon(c: Call) -> bool:
    # pszPackage on the A and async pages, pPackage on the W page; the package_unknown rule
    # runs first, so the package exists.
    package = _package(c, "pPackage" if hasattr(c.a, "pPackage") else "pszPackage")
    return package is not None and package.name in _DEFERS_LOGON


def _auth_unrecognized(c: Call) -> bool:
    """pAuthData is given and the package does not take it. The observed contract judges only
    the structure for NTLM and Negotiate; otherwise also its user, password and domain (see the
    rule's basis)."""
    auth = _auth(c)
    if auth is None:
        return False
    if not isinstance(auth, SecWinntAuthIdentity):
        return True
    if observed(c) and _defers_logon(c):
        return False
    if not auth.User or not isinstance(auth.Password, str):
        return True
    domain = auth.Domain
    return (
        domain is not None
        and domain != ""
        and domain.lower() not in (c.world.domain.lower(), c.world.dns_domain.lower())
    )


def _luid(c: Call) -> Luid | None:
    facts = c.facts
    luid = facts.get("luid", _UNSET)
    if luid is _UNSET:  # (not kept when it raises: it raises again where next asked)
        luid = facts["luid"] = _luid_of(c)
    return luid


def _luid_of(c: Call) -> Luid | None:
    value = deref(c.a.pvLogonId)
    if value is None:
        return None
    if isinstance(value, Luid):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Luid(value)
    raise c.violation("pvLogonId", "expected a Luid (a pointer to a LUID) or NULL", value)


def _session(c: Call) -> Any:
    """The logon session whose credentials are asked for (the caller's unless pvLogonId)."""
    facts = c.facts
    session = facts.get("session", _UNSET)
    if session is _UNSET:
        luid = _luid(c)
        session = facts["session"] = c.world.sessions.get(luid if luid is not None else c.process.luid)
    return session


def _other_session_without_tcb(c: Call) -> bool:
    luid = _luid(c)
    if luid is None or luid == c.process.luid:
        return False
    own = c.world.sessions[c.process.luid]
    return SE_TCB_NAME not in own.privileges


def _named_principal(c: Call, param: str) -> tuple[bool, Principal | None]:
    """(whether pszPrincipal was given and matters, the principal it names)."""
    facts = c.facts
    named = facts.get("principal")
    if named is None:
        named = facts["principal"] = _named_principal_of(c, param)
    return named


def _named_principal_of(c: Call, param: str) -> tuple[bool, Principal | None]:
    name = getattr(c.a, param)
    if isinstance(name, bytes | bytearray):
        name = bytes(name).decode("cp1252", "replace")
    if not name or _auth(c) is not None:
        return False, None
    world = c.world
    return True, world.principal(name) or world.spn_owner(name)


def _principal_unknown(c: Call, param: str) -> bool:
    given, principal = _named_principal(c, param)
    return given and principal is None


def _principal_not_owner(c: Call, param: str) -> bool:
    given, principal = _named_principal(c, param)
    if not given or principal is None:
        return False
    session = _session(c)
    return (
        session is None or session.account is None or principal.qualified.lower() != session.account.lower()
    )


def _acquire(c: Call, param_package: str) -> None:
    world = c.world
    package = _package(c, param_package)
    use = int(c.a.fCredentialUse)
    auth = _auth(c)
    if isinstance(auth, SecWinntAuthIdentity):
        # Not judged here: an unknown user or domain, or no password, is found out at logon
        # (the server's AcceptSecurityContext for NTLM, the KDC at InitializeSecurityContext for
        # Kerberos), as on Windows.
        account = f"{auth.Domain or world.domain}\\{auth.User or ''}"
        principal = world.principal(account)
        if principal is not None:
            account = principal.qualified
        secret: str | None = auth.Password if isinstance(auth.Password, str) else None
        luid = c.process.luid
    else:
        session = _session(c)
        account = session.account
        principal = world.principal(account)
        secret = principal.secret if principal is not None else None
        luid = session.luid
    serial = world.new_serial()
    handle = CredHandle(serial, package.rpc_id)
    expiry = world.clock.after(package.cred_lifetime) if package.cred_lifetime else NEVER.QuadPart
    c.process.creds[serial] = CredRecord(
        handle=handle,
        package=package.name,
        use=use,
        account=account,
        secret=secret,
        supplied=auth is not None,
        luid=luid,
        expiry=expiry,
        package_list=_package_list(c, param_package),
    )
    c.out["phCredential"] = handle
    c.out["ptsExpiry"] = timestamp(expiry)


# -- AcquireCredentialsHandle ---------------------------------------------------------------------


def acquire_rules(
    function: str,
    prefix: str,
    principal: str,
    package: str,
    cite: str | None = None,
    check_reserved: bool = True,
) -> list[Rule]:
    """The table of AcquireCredentialsHandle for ``function`` whose parameters are named
    ``principal`` and ``package`` (pszPrincipal/pszPackage, or pPrincipal/pPackage on the W page).
    ``cite`` is the page the return codes are cited from (the function's own by default);
    ``check_reserved``: the page says pvGetKeyArgument must be NULL (the async pages do not)."""
    page = cite or function

    def no_session_credentials(c: Call) -> bool:
        session = _session(c)
        return _auth(c) is None and (session is None or session.account is None)

    def violation_get_key_argument(c: Call) -> None:
        raise c.violation("pvGetKeyArgument", "Reserved; must be NULL.", c.a.pvGetKeyArgument)

    reserved = [
        Rule(
            "ach.reserved",
            "pvGetKeyArgument is not NULL",
            CONTRACT_ERROR,
            Citation(function, "parameters: pvGetKeyArgument", "Reserved; must be NULL."),
            lambda c: c.a.pvGetKeyArgument is not None,
            violation_get_key_argument,
        )
    ]
    return [
        *(reserved if check_reserved else []),
        *fault_rules(page, {"SEC_E_INSUFFICIENT_MEMORY": "ach.fault.memory", "SEC_E_INTERNAL_ERROR": "ach.fault.internal"}),
        Rule(
            "ach.package_unknown",
            f"{package} names no installed package (the comparison ignores case)",
            "SEC_E_SECPKG_NOT_FOUND",
            Citation(page, "returns", "SEC_E_SECPKG_NOT_FOUND"),
            lambda c: _package(c, package) is None,
        ),
        Rule(
            "ach.auth_data_unrecognized",
            "pAuthData is not a SEC_WINNT_AUTH_IDENTITY the package understands (another type; in the "
            "documented contract, and for Kerberos and Digest in the observed one, also an empty user name, no "
            "password, or a domain other than the world's)",
            "SEC_E_UNKNOWN_CREDENTIALS",
            Citation(page, "returns", "SEC_E_UNKNOWN_CREDENTIALS"),
            _auth_unrecognized,
            also=(
                Interpretation(
                    "pAuthData is documented as a CREDSSP_CRED; which structures does a package take?",
                    "the model's packages take a SEC_WINNT_AUTH_IDENTITY (user, domain, password); anything else "
                    "is credentials the package does not recognize",
                ),
                Interpretation(
                    "Does acquiring judge the identity inside a SEC_WINNT_AUTH_IDENTITY (unknown domain, "
                    "NULL user or password)?",
                    "documented contract: yes, as credentials the package does not recognize (the page's "
                    "SEC_E_UNKNOWN_CREDENTIALS row; the page names no later point for the check). Observed "
                    "contract: no for NTLM and Negotiate, as on Windows (errata "
                    "windows-acquire-does-not-validate-identity; no Windows-run test covers Kerberos or "
                    "Digest, which keep the documented reading): the "
                    "logon fails later, at the server's AcceptSecurityContext for NTLM, at the client's "
                    "InitializeSecurityContext (the KDC) for Kerberos",
                ),
                Errata(
                    "windows-acquire-does-not-validate-identity",
                    "Windows' NTLM acquires outbound credentials for an unknown user and domain, a NULL "
                    "domain, user or password",
                ),
            ),
        ),
        Rule(
            "ach.package_list_empty",
            f"{package} is Negotiate and the PackageList of pAuthData (SEC_WINNT_AUTH_IDENTITY_EXW, or "
            "a packed EX2 identity) leaves it no package to negotiate: it names only packages Negotiate "
            "does not use, or excludes Kerberos and NTLM ('!Kerberos,!NTLM')",
            "SEC_E_NO_CREDENTIALS",
            Interpretation(
                "Negotiate may use only the packages the PackageList allows (the SEC_WINNT_AUTH_IDENTITY_EX "
                "structure page: the names of the packages Negotiate may use, separated by commas, a '!' "
                "before a name keeping that package out; tests/data/package_list_facts.json). What does a "
                "list that leaves it none get?",
                "SEC_E_NO_CREDENTIALS ('has no credentials to offer'): restricted to no package, Negotiate "
                "has no package whose credentials it could offer; decided here, where the list is read, "
                "not at InitializeSecurityContext. Unknown names are not refused: they match no package",
            ),
            lambda c: _package_list_leaves_nothing(c, package),
            also=(Citation(page, "returns", "SEC_E_NO_CREDENTIALS"),),
        ),
        Rule(
            "ach.logon_id_not_owner",
            "pvLogonId names another logon session and the caller lacks SE_TCB_NAME",
            "SEC_E_NOT_OWNER",
            Citation(
                "AcquireCredentialsHandleA",
                "remarks",
                "The exception is a caller that holds the SE_TCB_NAME privilege: it may name any existing logon "
                "session by its logon identifier (LUID) in pvLogonId and receive a handle to that session's credentials.",
            ),
            _other_session_without_tcb,
            also=(Citation(page, "returns", "SEC_E_NOT_OWNER"),),
        ),
        Rule(
            "ach.logon_id_unknown",
            "pvLogonId names no existing logon session",
            "SEC_E_NO_CREDENTIALS",
            Interpretation(
                "What does a caller with SE_TCB_NAME get for a LUID that names no logon session?",
                "SEC_E_NO_CREDENTIALS: no session, so the package has no credentials to offer",
            ),
            lambda c: _session(c) is None,
            also=(Citation(page, "returns", "SEC_E_NO_CREDENTIALS"),),
        ),
        Rule(
            "ach.principal_unknown",
            f"{principal} names no principal or service principal name of the domain (and no pAuthData); "
            "documented contract only",
            "SEC_E_UNKNOWN_CREDENTIALS",
            Interpretation(
                f"What does {principal} naming an unknown principal give?",
                "SEC_E_UNKNOWN_CREDENTIALS: the package does not recognize the principal it was given",
            ),
            lambda c: _principal_unknown(c, principal) and not observed(c),
            also=(
                Interpretation(
                    "Does the observed contract check the named principal at acquire time?",
                    "no: no Windows-run test pins this case; the observed contract treats an account named "
                    "at acquire time as Windows treats one in pAuthData (windows-acquire-does-not-validate-"
                    "identity), so the caller's own session credentials are acquired and an unknown account "
                    "fails at logon",
                ),
            ),
        ),
        Rule(
            "ach.principal_not_owner",
            f"{principal} names a principal other than the logon session's user",
            "SEC_E_NOT_OWNER",
            Citation(
                "AcquireCredentialsHandleA",
                "parameters: pszPrincipal",
                "The call fails when the calling process is not allowed to reach that principal's credentials.",
            ),
            lambda c: _principal_not_owner(c, principal),
            also=(
                Interpretation(
                    "Which code does that failure return?",
                    "SEC_E_NOT_OWNER ('The caller lacks the credentials needed to make this call')",
                ),
            ),
        ),
        Rule(
            "ach.anonymous",
            "the logon session has no principal (anonymous) and no pAuthData is given",
            "SEC_E_NO_CREDENTIALS",
            Citation(page, "returns", "SEC_E_NO_CREDENTIALS"),
            no_session_credentials,
        ),
        Rule(
            "ach.inbound_no_authority",
            "fCredentialUse is SECPKG_CRED_INBOUND and the authenticating authority is unreachable",
            "SEC_E_NO_AUTHENTICATING_AUTHORITY",
            Citation(
                page,
                "parameters: fCredentialUse",
                "SEC_E_NO_AUTHENTICATING_AUTHORITY",
            ),
            lambda c: int(c.a.fCredentialUse) & SECPKG_CRED_INBOUND != 0 and not c.world.authority.online,
            also=(
                Interpretation(
                    "The SECPKG_CRED_INBOUND row ties validation to the time InitializeSecurityContext or "
                    "AcceptSecurityContext runs and says 'the call fails with "
                    "SEC_E_NO_AUTHENTICATING_AUTHORITY' when no authority can be reached; this page's returns "
                    "table omits the code. Can acquiring inbound credentials itself fail that way?",
                    "yes: the model checks the authority when inbound credentials are acquired and fails "
                    "AcquireCredentialsHandle with this code while it is offline (a departure from the row's "
                    "literal timing, which lint reports); ISC/ASC fail the same way for an outage after "
                    "acquisition",
                ),
            ),
        ),
        Rule(
            "ach.ok",
            "otherwise: a new credentials handle in the calling process (for the caller's logon session "
            "when pAuthData is NULL, or in the observed contract an identity whose User, Domain and "
            "Password are all NULL, for NTLM, Negotiate and Kerberos)",
            "SEC_E_OK",
            Citation(page, "returns", "SEC_E_OK"),
            lambda c: True,
            lambda c: _acquire(c, package),
            also=(
                Errata(
                    "windows-null-identity-is-own-logon",
                    "Windows' NTLM, Negotiate and Kerberos take a SEC_WINNT_AUTH_IDENTITY(_EXW) of NULL "
                    "User, Domain and Password as the caller's own logon (its PackageList still applies)",
                ),
            ),
        ),
    ]


# -- FreeCredentialsHandle ------------------------------------------------------------------------


def _free(c: Call, param: str) -> None:
    record = cred_record(c, getattr(c.a, param))
    assert record is not None
    del c.process.creds[record.handle.dwLower]


def free_rules(function: str, prefix: str, cite: str | None = None) -> list[Rule]:
    """``cite``: the page the codes are cited from. SspiFreeCredentialsHandleAsync's page lists
    no failure, so its queued work cites its counterpart, FreeCredentialsHandle."""
    page = cite or function
    return [
        Rule(
            "fch.null_handle",
            "phCredential is NULL or the zero handle",
            "SEC_E_INVALID_HANDLE",
            NULL_HANDLE_ERRATA,
            lambda c: is_null_handle(c.a.phCredential),
        ),
        Rule(
            "fch.invalid_handle",
            "phCredential is not a live credentials handle of the calling process (never issued, "
            "already freed, or another process's)",
            "SEC_E_INVALID_HANDLE",
            Citation(page, "returns", "SEC_E_INVALID_HANDLE"),
            lambda c: cred_record(c, c.a.phCredential) is None,
            also=(
                Interpretation(
                    "Is a freed credentials handle still valid? (The FreeCredentialsHandle page has no Remarks.)",
                    "No: once freed it names no credentials, so passing it again is an invalid handle",
                ),
            ),
        ),
        Rule(
            "fch.ok",
            "otherwise: the handle is released (contexts built on it keep working)",
            "SEC_E_OK",
            Citation(page, "returns", "SEC_E_OK"),
            lambda c: True,
            lambda c: _free(c, "phCredential"),
            also=(
                Interpretation(
                    "The remarks ask callers to delete contexts before freeing their credentials: what if they do not?",
                    "the contexts stay usable (Windows reference-counts credentials); the model does not fail the call",
                ),
            ),
        ),
    ]


ACQUIRE_A = register(
    "AcquireCredentialsHandleA",
    acquire_rules("AcquireCredentialsHandleA", "ach", "pszPrincipal", "pszPackage"),
)
ACQUIRE_W = register(
    "AcquireCredentialsHandleW", acquire_rules("AcquireCredentialsHandleW", "ach", "pPrincipal", "pPackage")
)
FREE = register("FreeCredentialsHandle", free_rules("FreeCredentialsHandle", "fch"))
