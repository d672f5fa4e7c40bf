"""Drive a complete context handshake between a client and a server through :class:`NativeSspi`.

The loop is the one the pages describe: the client calls InitializeSecurityContext and sends its
output token to the server, which calls AcceptSecurityContext, and so on while either side returns
``SEC_I_CONTINUE_NEEDED``. When a side returns ``SEC_I_COMPLETE_NEEDED`` or
``SEC_I_COMPLETE_AND_CONTINUE`` the driver calls CompleteAuthToken, as the pages require ("The
function completed successfully, but you must call the CompleteAuthToken function on the final
message."). Every call is recorded as a :class:`Leg`, so a test or a report can show the exact
sequence of statuses a native implementation produced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import define, field, frozen

from .backend import AuthIdentity, NativeSspi

__all__ = [
    "DEFAULT_ASC_REQ",
    "DEFAULT_ISC_REQ",
    "Handshake",
    "Leg",
    "establish_context",
    "release",
]

# sspi.h values (spec/data/constants.tsv): the usual request of a client and a server that want
# a signed and sealed connection-oriented context, with the package allocating output tokens.
ISC_REQ_MUTUAL_AUTH = 0x2
ISC_REQ_REPLAY_DETECT = 0x4
ISC_REQ_SEQUENCE_DETECT = 0x8
ISC_REQ_CONFIDENTIALITY = 0x10
ISC_REQ_ALLOCATE_MEMORY = 0x100
ISC_REQ_CONNECTION = 0x800
ISC_REQ_INTEGRITY = 0x10000
ASC_REQ_INTEGRITY = 0x20000
DEFAULT_ISC_REQ = (
    ISC_REQ_MUTUAL_AUTH
    | ISC_REQ_REPLAY_DETECT
    | ISC_REQ_SEQUENCE_DETECT
    | ISC_REQ_CONFIDENTIALITY
    | ISC_REQ_ALLOCATE_MEMORY
    | ISC_REQ_CONNECTION
    | ISC_REQ_INTEGRITY
)
# ASC_REQ_* share the ISC_REQ_* values used here except INTEGRITY (0x20000 instead of 0x10000).
DEFAULT_ASC_REQ = (DEFAULT_ISC_REQ & ~ISC_REQ_INTEGRITY) | ASC_REQ_INTEGRITY

SEC_E_OK = 0x00000000
SEC_I_CONTINUE_NEEDED = 0x00090312
SEC_I_COMPLETE_NEEDED = 0x00090313
SEC_I_COMPLETE_AND_CONTINUE = 0x00090314
_GOING = (SEC_E_OK, SEC_I_CONTINUE_NEEDED, SEC_I_COMPLETE_NEEDED, SEC_I_COMPLETE_AND_CONTINUE)

# tamper(the leg that produced the token, token) -> the token the peer receives
Tamper = Callable[["Leg", bytes], bytes]


@frozen
class Leg:
    """One call of the handshake: which function, its status, and the token it produced."""

    function: str
    status: int
    token: bytes | None = None


@define
class Handshake:
    client_credential: Any = None
    server_credential: Any = None
    client_context: Any = None
    server_context: Any = None
    client_done: bool = False
    server_done: bool = False
    legs: list[Leg] = field(factory=list)

    @property
    def established(self) -> bool:
        return self.client_done and self.server_done

    @property
    def statuses(self) -> list[tuple[str, int]]:
        return [(leg.function, int(leg.status)) for leg in self.legs]

    @property
    def last(self) -> Leg:
        return self.legs[-1]


def _completed(api: NativeSspi, hs: Handshake, context: Any, status: int, token: bytes | None) -> int:
    """Run CompleteAuthToken when ``status`` asks for it; return the status the loop continues with."""
    if status not in (SEC_I_COMPLETE_NEEDED, SEC_I_COMPLETE_AND_CONTINUE):
        return status
    r = api.CompleteAuthToken(phContext=context, pToken=token or b"")
    hs.legs.append(Leg("CompleteAuthToken", r.status))
    if r.status != SEC_E_OK:
        return int(r.status)
    return SEC_E_OK if status == SEC_I_COMPLETE_NEEDED else SEC_I_CONTINUE_NEEDED


def establish_context(
    api: NativeSspi,
    *,
    client: AuthIdentity | None,
    server: AuthIdentity | None,
    package: str = "NTLM",
    target: str = "HOST/server.contoso.com",
    isc_req: int = DEFAULT_ISC_REQ,
    asc_req: int = DEFAULT_ASC_REQ,
    tamper: Tamper | None = None,
    max_legs: int = 8,
) -> Handshake:
    """Acquire both credentials (W functions) and run the handshake until both sides are done or
    a call fails; ``hs.legs`` records every call. Release with :func:`release`."""
    hs = Handshake()
    c = api.AcquireCredentialsHandleW(pszPackage=package, fCredentialUse=2, pAuthData=client)  # OUTBOUND
    hs.legs.append(Leg("AcquireCredentialsHandleW", c.status))
    if c.status != SEC_E_OK:
        return hs
    hs.client_credential = c.phCredential
    s = api.AcquireCredentialsHandleW(pszPackage=package, fCredentialUse=1, pAuthData=server)  # INBOUND
    hs.legs.append(Leg("AcquireCredentialsHandleW", s.status))
    if s.status != SEC_E_OK:
        return hs
    hs.server_credential = s.phCredential

    token: bytes | None = None
    while len(hs.legs) < max_legs + 2:
        if not hs.client_done:
            r = api.InitializeSecurityContextW(
                phCredential=hs.client_credential,
                phContext=hs.client_context,
                pszTargetName=target,
                fContextReq=isc_req,
                pInput=token,
            )
            produced = Leg("InitializeSecurityContextW", r.status, r.pOutput)
            hs.legs.append(produced)
            hs.client_context = r.phNewContext or hs.client_context
            if r.status not in _GOING:
                return hs
            status = _completed(api, hs, hs.client_context, int(r.status), r.pOutput)
            if status not in _GOING:
                return hs
            hs.client_done = status == SEC_E_OK
            token = r.pOutput
            if not token:
                return hs
            if tamper is not None:
                token = tamper(produced, token)
        if hs.server_done:
            return hs
        a = api.AcceptSecurityContext(
            phCredential=hs.server_credential, phContext=hs.server_context, pInput=token, fContextReq=asc_req
        )
        produced = Leg("AcceptSecurityContext", a.status, a.pOutput)
        hs.legs.append(produced)
        hs.server_context = a.phNewContext or hs.server_context
        if a.status not in _GOING:
            return hs
        status = _completed(api, hs, hs.server_context, int(a.status), token)
        if status not in _GOING:
            return hs
        hs.server_done = status == SEC_E_OK
        token = a.pOutput
        if hs.server_done and (hs.client_done or not token):
            return hs
        if token and tamper is not None:
            token = tamper(produced, token)
    return hs


def release(api: NativeSspi, hs: Handshake) -> list[tuple[str, int]]:
    """Delete both contexts and free both credentials; the statuses, in call order."""
    out: list[tuple[str, int]] = []
    for ctx in (hs.client_context, hs.server_context):
        if ctx is not None:
            out.append(("DeleteSecurityContext", int(api.DeleteSecurityContext(phContext=ctx).status)))
    for cred in (hs.client_credential, hs.server_credential):
        if cred is not None:
            out.append(("FreeCredentialsHandle", int(api.FreeCredentialsHandle(phCredential=cred).status)))
    hs.client_context = hs.server_context = hs.client_credential = hs.server_credential = None
    return out
