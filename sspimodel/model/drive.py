"""Driving a whole handshake through the guarded API (tests, notebooks, benchmarks).

:func:`handshake` plays both sides of the loop the InitializeSecurityContext and
AcceptSecurityContext pages describe: call, pass the output token to the peer, call again while
the status says continue, call CompleteAuthToken when it says complete, stop on SEC_E_OK with no
token left or on an error. Every call goes through :class:`sspimodel.api.Sspi`, so every status
is checked against the pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from attrs import define, field

from .buffers import SecBufferDesc
from .constants import SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND, SECURITY_NATIVE_DREP
from .handles import AllocatedBytes, CredHandle, CtxtHandle

if TYPE_CHECKING:
    from ..api import Sspi

__all__ = ["Handshake", "Routine", "acquire", "handshake"]


class Routine:
    """A callback to pass where a page wants a routine (a completion routine, pGetKeyFn): it
    records each call's arguments in ``calls`` and shows itself by its name, never by a memory
    address, so notebook outputs stay the same from run to run."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> None:
        self.calls.append(args)

    def __repr__(self) -> str:
        return self.name

_COMPLETE = ("SEC_I_COMPLETE_NEEDED", "SEC_I_COMPLETE_AND_CONTINUE")
_CONTINUE = ("SEC_I_CONTINUE_NEEDED", "SEC_I_COMPLETE_AND_CONTINUE")


@define
class Handshake:
    """What a handshake did: the handles and each call's status, side by side."""

    client_cred: CredHandle | None
    server_cred: CredHandle | None
    client_ctx: CtxtHandle | None = None
    server_ctx: CtxtHandle | None = None
    steps: list[tuple[str, str]] = field(factory=list)  # (function, status name)
    tokens: list[bytes] = field(factory=list)  # every token that crossed the wire, in order
    client_attributes: int = 0
    server_attributes: int = 0
    client_done: bool = False  # the client's last call ended its side (SEC_E_OK, or completed)
    server_done: bool = False

    @property
    def statuses(self) -> list[str]:
        return [status for _, status in self.steps]

    @property
    def established(self) -> bool:
        """Both sides finished their part of the handshake without an error."""
        return self.client_done and self.server_done


def acquire(sspi: Sspi, package: str, use: int, **kwargs: Any) -> CredHandle:
    """AcquireCredentialsHandleW; raises AssertionError (with the status) unless SEC_E_OK."""
    result = sspi.AcquireCredentialsHandleW(pPackage=package, fCredentialUse=use, **kwargs)
    if result.status.name != "SEC_E_OK":
        raise AssertionError(f"AcquireCredentialsHandleW({package!r}) returned {result.status.name}")
    handle: CredHandle = result.phCredential
    return handle


def handshake(
    client: Sspi,
    server: Sspi,
    package: str = "Negotiate",
    target: str | None = "HTTP/web.contoso.com",
    client_req: int = 0,
    server_req: int = 0,
    client_cred: CredHandle | None = None,
    server_cred: CredHandle | None = None,
    buffer_size: int = 48256,
    max_calls: int = 10,
) -> Handshake:
    """Run InitializeSecurityContextW / AcceptSecurityContext until both sides are done or one
    fails. Credentials are acquired (outbound for the client, inbound for the server) unless
    given. Digest, whose server speaks first, starts with AcceptSecurityContext."""
    if client_cred is None:
        client_cred = acquire(client, package, SECPKG_CRED_OUTBOUND)
    if server_cred is None:
        server_cred = acquire(server, package, SECPKG_CRED_INBOUND)
    hs = Handshake(client_cred, server_cred)
    token: bytes | None = None
    server_first = package.lower() == "digest"
    turn = "server" if server_first else "client"
    for _ in range(max_calls):
        out = SecBufferDesc.output(buffer_size)
        given = SecBufferDesc.token(token) if token else None
        if turn == "client":
            r = client.InitializeSecurityContextW(
                phCredential=client_cred,
                phContext=hs.client_ctx,
                pTargetName=target,
                fContextReq=client_req,
                Reserved1=0,
                TargetDataRep=SECURITY_NATIVE_DREP,
                pInput=given,
                Reserved2=0,
                pOutput=out,
            )
            hs.steps.append(("InitializeSecurityContextW", r.status.name))
            if r.phNewContext is not None:
                hs.client_ctx = r.phNewContext
                hs.client_attributes = r.pfContextAttr
            sspi, ctx = client, hs.client_ctx
        else:
            r = server.AcceptSecurityContext(
                phCredential=server_cred,
                phContext=hs.server_ctx,
                pInput=given,
                fContextReq=server_req,
                TargetDataRep=SECURITY_NATIVE_DREP,
                pOutput=out,
            )
            hs.steps.append(("AcceptSecurityContext", r.status.name))
            if r.phNewContext is not None:
                hs.server_ctx = r.phNewContext
                hs.server_attributes = r.pfContextAttr
            sspi, ctx = server, hs.server_ctx
        status = r.status.name
        if r.status.is_error:
            return hs
        if status in _COMPLETE:
            done = sspi.CompleteAuthToken(phContext=ctx, pToken=out)
            hs.steps.append(("CompleteAuthToken", done.status.name))
            if done.status.is_error:
                return hs
        token = out.token_bytes or None
        if token:
            hs.tokens.append(token)
        allocated = out.pBuffers[0].pvBuffer if out.pBuffers else None
        if isinstance(allocated, AllocatedBytes):  # ISC_REQ_ALLOCATE_MEMORY: the caller frees it
            sspi.FreeContextBuffer(pvContextBuffer=allocated)
        if turn == "client":
            hs.client_done = status in ("SEC_E_OK", "SEC_I_COMPLETE_NEEDED")
        else:
            hs.server_done = status in ("SEC_E_OK", "SEC_I_COMPLETE_NEEDED")
        if token is None and (hs.client_done or hs.server_done) and status not in _CONTINUE:
            return hs
        turn = "server" if turn == "client" else "client"
    return hs
