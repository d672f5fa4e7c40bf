"""The access token a server context yields: who the client is, to the server's operating system.

QuerySecurityContextToken hands the caller a handle to it, and ImpersonateSecurityContext puts an
impersonation token with the same contents on the calling thread. Everything in it is derived
from the world, deterministically:

- the user: the context's authenticated client (``ContextRecord.client``), and its SID: the
  domain SID (``S-1-5-21-a-b-c``, three numbers derived from the world key and the domain name)
  followed by a relative id, 1000 + the principal's position in ``world.principals``;
- the groups: Everyone (``S-1-1-0``), NETWORK (``S-1-5-2``: the logon came over the network),
  Authenticated Users (``S-1-5-11``), and Domain Users (RID 513), or Domain Computers (RID 515)
  for a machine account (a name ending in ``$``);
- the privileges: SeChangeNotifyPrivilege only (*interpretation*: what a network logon of an
  ordinary account holds; the pages say nothing of a token's privileges);
- the impersonation level, from the attributes the context negotiated (its ASC_RET_* flags):
  ASC_RET_IDENTIFY gives SecurityIdentification, ASC_RET_DELEGATE SecurityDelegation, anything
  else SecurityImpersonation (*interpretation*: the SSPI pages name the levels, in
  ImpersonateSecurityContext's remarks, but not which flag yields which).

The well-known SIDs, relative ids and level names are facts of winnt.h / MS-DTYP 2.4.2.4.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from .constants import ISC_REQ_DELEGATE, ISC_REQ_IDENTIFY, SE_IMPERSONATE_NAME
from .handles import AccessToken, CtxtHandle

__all__ = [
    "LEVELS",
    "SE_CHANGE_NOTIFY_NAME",
    "SE_IMPERSONATE_NAME",
    "TokenRecord",
    "domain_sid",
    "impersonation_level",
    "new_token",
    "user_sid",
]

# SECURITY_IMPERSONATION_LEVEL (winnt.h), in order: a level "less than SecurityImpersonation"
# (ImpersonateSecurityContext, remarks) is one earlier in this tuple.
LEVELS = ("SecurityAnonymous", "SecurityIdentification", "SecurityImpersonation", "SecurityDelegation")

SE_CHANGE_NOTIFY_NAME = "SeChangeNotifyPrivilege"

EVERYONE = "S-1-1-0"
NETWORK = "S-1-5-2"
AUTHENTICATED_USERS = "S-1-5-11"
ANONYMOUS_LOGON = "S-1-5-7"
DOMAIN_USERS_RID = 513
DOMAIN_COMPUTERS_RID = 515
FIRST_RID = 1000


@frozen
class TokenRecord:
    """An access token: the handle the caller holds, and what the token says."""

    handle: AccessToken
    user: str  # qualified name, "CONTOSO\\alice"
    user_sid: str
    groups: tuple[str, ...]
    privileges: tuple[str, ...]
    level: str  # one of LEVELS
    context: CtxtHandle  # the server context it came from
    package: str  # the package that authenticated the client

    def level_rank(self) -> int:
        return LEVELS.index(self.level)


def domain_sid(world: Any) -> str:
    digest = world.derive("domain sid", world.domain.lower())
    parts = [int.from_bytes(digest[i : i + 4], "big") for i in (0, 4, 8)]
    return "S-1-5-21-" + "-".join(str(p) for p in parts)


def user_sid(world: Any, qualified: str | None) -> str:
    if not qualified:
        return ANONYMOUS_LOGON
    keys = list(world.principals)
    key = qualified.lower()
    rid = FIRST_RID + keys.index(key) if key in keys else FIRST_RID + len(keys)
    return f"{domain_sid(world)}-{rid}"


def impersonation_level(attributes: int) -> str:
    """The level a context's negotiated attributes (internal ISC numbering) give its token."""
    if attributes & ISC_REQ_IDENTIFY:
        return "SecurityIdentification"
    if attributes & ISC_REQ_DELEGATE:
        return "SecurityDelegation"
    return "SecurityImpersonation"


def new_token(world: Any, ctx: Any) -> TokenRecord:
    """A new token for the client of the server context ``ctx``, with a fresh handle value."""
    value = world.next_token_handle
    world.next_token_handle += 4
    user = ctx.client or "NT AUTHORITY\\ANONYMOUS LOGON"
    base = domain_sid(world)
    machine = user.endswith("$")
    groups = (
        EVERYONE,
        NETWORK,
        AUTHENTICATED_USERS,
        f"{base}-{DOMAIN_COMPUTERS_RID if machine else DOMAIN_USERS_RID}",
    )
    return TokenRecord(
        handle=AccessToken(value, user),
        user=user,
        user_sid=user_sid(world, ctx.client),
        groups=groups,
        privileges=(SE_CHANGE_NOTIFY_NAME,),
        level=impersonation_level(ctx.attributes),
        context=ctx.handle,
        package=ctx.mech,
    )
