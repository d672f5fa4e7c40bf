"""Random call sequences against the guarded API (hypothesis stateful testing).

After every step: no exception but ContractError escaped, the status is one the page documents
(or an erratum), and no freed or deleted handle was accepted. At the end, after cleaning up
every handle and buffer the API handed out, the world holds nothing.
"""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from sspimodel.api import Sspi, allowed_statuses
from sspimodel.contract import ContractError
from sspimodel.model import (
    AllocatedBytes,
    AllocatedStr,
    AuthIdentity,
    ContextBuffer,
    CredHandle,
    CtxtHandle,
    Luid,
    Ref,
    SecBuffer,
    SecBufferDesc,
    default_world,
)
from sspimodel.model.attributes_ex import STRUCT_SIZES
from sspimodel.model.constants import (
    ISC_REQ_ALLOCATE_MEMORY,
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_DELEGATE,
    ISC_REQ_INTEGRITY,
    ISC_REQ_MUTUAL_AUTH,
    ISC_REQ_NO_INTEGRITY,
    ISC_REQ_REPLAY_DETECT,
    ISC_REQ_SEQUENCE_DETECT,
    SECBUFFER_CHANGE_PASS_RESPONSE,
    SECBUFFER_DATA,
    SECBUFFER_STREAM,
    SECBUFFER_TOKEN,
    SECPKG_CONTEXT_EXPORT_DELETE_OLD,
    SECPKG_CONTEXT_EXPORT_RESET_NEW,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
    SECQOP_WRAP_NO_ENCRYPT,
    SECURITY_NATIVE_DREP,
)
from sspimodel.model.cred_attributes import SecPkgCredentials_KdcProxySettings, SecPkgCredentials_Names
from sspimodel.model.drive import handshake
from sspimodel.model.identity import AuthIdentityBuffer
from sspimodel.model.sasl import WRAPPED as SASL_WRAPPED
from sspimodel.model.sasl import SaslPair

PACKAGES = ["Negotiate", "Kerberos", "NTLM", "Digest", "Schannel"]
TARGETS = ["HTTP/web.contoso.com", "host/files.contoso.com", "HTTP/nowhere", "/", None]
ISC_FLAGS = [
    0,
    ISC_REQ_MUTUAL_AUTH,
    ISC_REQ_CONFIDENTIALITY | ISC_REQ_SEQUENCE_DETECT,
    ISC_REQ_REPLAY_DETECT | ISC_REQ_ALLOCATE_MEMORY,
    ISC_REQ_NO_INTEGRITY,
    ISC_REQ_DELEGATE | ISC_REQ_MUTUAL_AUTH,
]
ATTRIBUTES = [0x0, 0x1, 0x2, 0x5, 0x6, 0x9, 0xA, 0xC, 0xD, 0xE, 0x12, 0x80000081, 0x80000084]
PIDS = [100, 200, 201]
# issue 19 (19b): the Ex rows (with two Schannel-only ones) and the general page's attributes
EX_ATTRIBUTES = [0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x8, 0x9, 0xA, 0xC, 0xD, 0xE, 0x11, 0x12, 0x1B, 0x1E, 0x5A]
GENERAL_ATTRIBUTES = [0x3, 0x8, 0x11, 0x1B, 0x1E]


def _allocations(value: Any, out: list[Any], depth: int = 0) -> None:
    """Every piece of package memory reachable from a result."""
    if depth > 6 or value is None:
        return
    if isinstance(value, AllocatedBytes | AllocatedStr):
        out.append(value)
    elif isinstance(value, ContextBuffer):
        out.append(value)
    elif isinstance(value, SecBufferDesc):
        for b in value.pBuffers:
            _allocations(b, out, depth + 1)
    elif isinstance(value, SecBuffer):
        _allocations(value.pvBuffer, out, depth + 1)
    elif isinstance(value, Ref):
        _allocations(value.value, out, depth + 1)
    elif isinstance(value, list | tuple):
        for v in value:
            _allocations(v, out, depth + 1)
    elif attrs.has(type(value)):
        for a in attrs.fields(type(value)):
            if a.name != "status":
                _allocations(getattr(value, a.name), out, depth + 1)


def _allowed(function: str, status: str) -> bool:
    """The page's statuses, or for a SASL context function those of the function it wraps."""
    if status in allowed_statuses(function):
        return True
    return function in SASL_WRAPPED and status in allowed_statuses(SASL_WRAPPED[function])


class SspiMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.world = default_world()
        self.apis = {pid: Sspi(self.world, pid) for pid in PIDS}
        self.creds: list[tuple[int, CredHandle]] = []
        self.contexts: list[tuple[int, CtxtHandle]] = []
        self.freed_creds: set[tuple[int, CredHandle]] = set()
        self.deleted: set[tuple[int, CtxtHandle]] = set()
        self.tokens: list[bytes] = []
        self.blobs: list[bytes] = []
        self.messages: list[SecBufferDesc] = []
        self.buffers: list[tuple[int, Any]] = []
        self.freed_buffers: set[int] = set()
        self.identities: list[tuple[int, AuthIdentityBuffer]] = []  # (owner pid, identity)
        self.freed_identities: set[int] = set()
        self.last: tuple[str, str] | None = None
        # issue 19: (pid, thread) -> the context the thread impersonates through; open tokens
        self.impersonating: dict[tuple[int, int], CtxtHandle] = {}
        self.open_tokens: list[tuple[int, Any]] = []
        self.closed_tokens: list[tuple[int, Any]] = []
        # issue 20: credential prompts: (pid, marshalled credential UI context) of each prompt
        self.serializations: list[tuple[int, bytes]] = []
        self.credui_contexts: list[tuple[int, Any]] = []

    # -- the call wrapper ---------------------------------------------------------------------------
    def call(self, pid: int, function: str, **kwargs: Any) -> Any:
        try:
            result = getattr(self.apis[pid], function)(**kwargs)
        except ContractError:
            self.last = None
            return None
        status = result.status
        if status is not None:
            name = self.apis[pid].last_rule.status
            # strict mode would have raised; check the guard's verdict independently
            assert _allowed(function, name) or function == "SspiGetAsyncCallStatus", (
                function,
                name,
            )
            self.last = (function, name)
        found: list[Any] = []
        _allocations(result, found)
        _allocations([v for v in kwargs.values() if isinstance(v, Ref)], found)
        for pointer in found:
            if pointer.address not in {p.address for _, p in self.buffers}:
                self.buffers.append((pid, pointer))
        return result

    def handle_ok(self, result: Any) -> bool:
        return result is not None and result.status is not None and result.status.name == "SEC_E_OK"

    # -- handles to pick from -------------------------------------------------------------------------
    def pick_cred(self, data: st.DataObject, pid: int) -> Any:
        live = [c for p, c in self.creds if p == pid]
        if live and data.draw(st.integers(0, 9)) < 7:
            return data.draw(st.sampled_from(live))
        options: list[Any] = list(live)
        options += [CredHandle(0, 0), CredHandle(0x777, 10), None]
        options += [c for p, c in self.freed_creds if p == pid]
        return data.draw(st.sampled_from(options))

    def pick_ctx(self, data: st.DataObject, pid: int, allow_none: bool = True) -> Any:
        live = [c for p, c in self.contexts if p == pid]
        if live and data.draw(st.integers(0, 9)) < 7:
            return data.draw(st.sampled_from(live))
        options: list[Any] = list(live)
        options += [c for p, c in self.deleted if p == pid]
        options += [CtxtHandle(0, 0), CtxtHandle(0x888, 9)]
        if allow_none:
            options.append(None)
        return data.draw(st.sampled_from(options))

    def pick_token(self, data: st.DataObject) -> bytes | None:
        choice = data.draw(st.integers(0, 4))
        if choice == 0 or not self.tokens:
            return data.draw(st.one_of(st.none(), st.binary(max_size=80)))
        token = data.draw(st.sampled_from(self.tokens))
        if choice == 2:
            return token[: data.draw(st.integers(0, len(token)))]
        if choice == 3 and token:
            i = data.draw(st.integers(0, len(token) - 1))
            return token[:i] + bytes([token[i] ^ 0x5A]) + token[i + 1 :]
        return token

    def remember_context(self, pid: int, result: Any) -> None:
        if result is not None and getattr(result, "phNewContext", None) is not None:
            entry = (pid, result.phNewContext)
            if entry not in self.contexts:
                self.contexts.append(entry)

    def remember_token(self, out: SecBufferDesc) -> None:
        token = out.token_bytes
        if token and token not in self.tokens:
            self.tokens.append(token)

    # -- rules ------------------------------------------------------------------------------------
    @rule(
        pid=st.sampled_from(PIDS),
        package=st.sampled_from(PACKAGES),
        use=st.sampled_from([SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND]),
        extra=st.sampled_from(["none", "wrong password", "other logon", "bad auth"]),
    )
    def acquire(self, pid: int, package: str, use: int, extra: str) -> None:
        kwargs: dict[str, Any] = {}
        if extra == "wrong password":
            kwargs["pAuthData"] = AuthIdentity(User="alice", Domain="CONTOSO", Password="nope")
        elif extra == "other logon":
            kwargs["pvLogonId"] = Luid(0x1002)
        elif extra == "bad auth":
            kwargs["pAuthData"] = 42
        r = self.call(pid, "AcquireCredentialsHandleW", pPackage=package, fCredentialUse=use, **kwargs)
        if self.handle_ok(r):
            self.creds.append((pid, r.phCredential))

    @rule(data=st.data(), pid=st.sampled_from(PIDS))
    def free_credentials(self, data: st.DataObject, pid: int) -> None:
        cred = self.pick_cred(data, pid)
        r = self.call(pid, "FreeCredentialsHandle", phCredential=cred)
        if (pid, cred) in self.freed_creds:
            assert not self.handle_ok(r), "a freed credentials handle was accepted"
        if self.handle_ok(r):
            self.creds.remove((pid, cred))
            self.freed_creds.add((pid, cred))

    @rule(
        data=st.data(),
        pid=st.sampled_from([100, 200]),
        spn=st.sampled_from(TARGETS),
        flags=st.sampled_from(ISC_FLAGS),
        size=st.sampled_from([0, 20, 48256]),
    )
    def initialize(self, data: st.DataObject, pid: int, spn: str | None, flags: int, size: int) -> None:
        ctx = self.pick_ctx(data, pid)
        token = self.pick_token(data)
        out = (
            SecBufferDesc.output(size)
            if data.draw(st.booleans())
            else SecBufferDesc([SecBuffer(SECBUFFER_DATA, None, size)])
        )
        r = self.call(
            pid,
            "InitializeSecurityContextW",
            phCredential=self.pick_cred(data, pid),
            phContext=ctx,
            pTargetName=spn,
            fContextReq=flags,
            Reserved1=0,
            TargetDataRep=SECURITY_NATIVE_DREP,
            pInput=SecBufferDesc.token(token) if token is not None else None,
            Reserved2=0,
            pOutput=out,
        )
        if ctx is not None and (pid, ctx) in self.deleted:
            assert not (r is not None and r.status is not None and not r.status.is_error), (
                "deleted context accepted"
            )
        self.remember_context(pid, r)
        self.remember_token(out)
        if r is not None and r.status.name.startswith("SEC_I_COMPLETE") and data.draw(st.booleans()):
            self.call(pid, "CompleteAuthToken", phContext=r.phNewContext, pToken=out)
            self.remember_token(out)

    @rule(data=st.data(), pid=st.sampled_from([200, 100]), flags=st.sampled_from([0, 0x8, 0x100, 0x1]))
    def accept(self, data: st.DataObject, pid: int, flags: int) -> None:
        ctx = self.pick_ctx(data, pid)
        token = self.pick_token(data)
        out = SecBufferDesc.output(48256)
        r = self.call(
            pid,
            "AcceptSecurityContext",
            phCredential=self.pick_cred(data, pid),
            phContext=ctx,
            pInput=SecBufferDesc.token(token) if token is not None else None,
            fContextReq=flags,
            TargetDataRep=SECURITY_NATIVE_DREP,
            pOutput=out,
        )
        if ctx is not None and (pid, ctx) in self.deleted:
            assert not (r is not None and not r.status.is_error), "deleted context accepted"
        self.remember_context(pid, r)
        self.remember_token(out)
        if r is not None and r.status.name.startswith("SEC_I_COMPLETE") and data.draw(st.booleans()):
            self.call(pid, "CompleteAuthToken", phContext=r.phNewContext, pToken=out)
            self.remember_token(out)

    @rule(package=st.sampled_from(PACKAGES[:4]), flags=st.sampled_from(ISC_FLAGS[:4]))
    def full_handshake(self, package: str, flags: int) -> None:
        """A whole handshake between client.exe and web.exe, so later steps meet live contexts."""
        client, server = self.apis[100], self.apis[200]
        creds = []
        for pid, use in ((100, SECPKG_CRED_OUTBOUND), (200, SECPKG_CRED_INBOUND)):
            r = self.call(pid, "AcquireCredentialsHandleW", pPackage=package, fCredentialUse=use)
            if not self.handle_ok(r):
                return  # the authority may be offline: inbound credentials are refused
            self.creds.append((pid, r.phCredential))
            creds.append(r.phCredential)
        target = "/" if package == "Digest" else "HTTP/web.contoso.com"
        hs = handshake(
            client, server, package, target, client_req=flags, client_cred=creds[0], server_cred=creds[1]
        )
        for pid, ctx in ((100, hs.client_ctx), (200, hs.server_ctx)):
            if ctx is not None and (pid, ctx) not in self.contexts:
                self.contexts.append((pid, ctx))
        self.tokens.extend(t for t in hs.tokens if t not in self.tokens)

    @rule(data=st.data(), pid=st.sampled_from(PIDS))
    def delete(self, data: st.DataObject, pid: int) -> None:
        ctx = self.pick_ctx(data, pid, allow_none=False)
        r = self.call(pid, "DeleteSecurityContext", phContext=ctx)
        if self.handle_ok(r) and (pid, ctx) in self.contexts:
            self.contexts.remove((pid, ctx))
            self.deleted.add((pid, ctx))

    @rule(data=st.data(), pid=st.sampled_from(PIDS), kind=st.sampled_from(["sign", "seal", "seal stream"]))
    def protect(self, data: st.DataObject, pid: int, kind: str) -> None:
        ctx = self.pick_ctx(data, pid, allow_none=False)
        msg = SecBufferDesc.message(
            data.draw(st.binary(max_size=20)), token_size=data.draw(st.sampled_from([0, 128]))
        )
        seq = data.draw(st.sampled_from([0, 0, 1, 5]))
        if kind == "sign":
            r = self.call(pid, "MakeSignature", phContext=ctx, fQOP=0, pMessage=msg, MessageSeqNo=seq)
        else:
            qop = data.draw(st.sampled_from([0, SECQOP_WRAP_NO_ENCRYPT, 7]))
            r = self.call(pid, "EncryptMessage", phContext=ctx, fQOP=qop, pMessage=msg, MessageSeqNo=seq)
            if kind == "seal stream" and msg.pBuffers[0].contents:
                msg = SecBufferDesc(
                    [SecBuffer(SECBUFFER_STREAM, msg.pBuffers[0].contents + msg.pBuffers[1].contents)]
                )
        if (pid, ctx) in self.deleted:
            assert not self.handle_ok(r), "deleted context accepted"
        if self.handle_ok(r):
            self.messages.append(msg)

    @rule(data=st.data(), pid=st.sampled_from(PIDS), tamper=st.booleans())
    def unprotect(self, data: st.DataObject, pid: int, tamper: bool) -> None:
        if not self.messages:
            return
        ctx = self.pick_ctx(data, pid, allow_none=False)
        msg = data.draw(st.sampled_from(self.messages))
        copy = SecBufferDesc([SecBuffer(b.BufferType, b.pvBuffer, b.cbBuffer) for b in msg])
        if tamper and copy.pBuffers[-1].contents:
            raw = copy.pBuffers[-1].contents
            copy.pBuffers[-1].pvBuffer = raw[:-1] + bytes([raw[-1] ^ 1])
        function = "VerifySignature" if data.draw(st.booleans()) else "DecryptMessage"
        r = self.call(pid, function, phContext=ctx, pMessage=copy, MessageSeqNo=0)
        if (pid, ctx) in self.deleted:
            assert not self.handle_ok(r), "deleted context accepted"

    @rule(data=st.data(), pid=st.sampled_from(PIDS), attribute=st.sampled_from(ATTRIBUTES))
    def query(self, data: st.DataObject, pid: int, attribute: int) -> None:
        ctx = self.pick_ctx(data, pid, allow_none=False)
        r = self.call(pid, "QueryContextAttributesW", phContext=ctx, ulAttribute=attribute)
        if (pid, ctx) in self.deleted:
            assert not self.handle_ok(r), "deleted context accepted"

    # -- the context family (issue 19, 19b) ----------------------------------------------------------
    def _context_state(self, pid: int) -> str:
        return repr(sorted((k, r.copy_state()) for k, r in self.world.process(pid).contexts.items()))

    def _family_ctx(self, data: st.DataObject, allow_none: bool = True) -> tuple[int, Any]:
        # Mostly a context the world holds live (handshake legs that fail leave handles the machine
        # still lists), so the calls reach the rules past the handle checks.
        live = [(pid, r.handle) for pid in PIDS for _, r in sorted(self.world.process(pid).contexts.items())]
        if live and data.draw(st.integers(0, 9)) < 8:
            return data.draw(st.sampled_from(live))
        pid = data.draw(st.sampled_from(PIDS))
        return pid, self.pick_ctx(data, pid, allow_none)

    @rule(
        data=st.data(),
        attribute=st.sampled_from(EX_ATTRIBUTES),
        slack=st.sampled_from([-1, 0, 8]),
        wide=st.booleans(),
    )
    def query_ex(self, data: st.DataObject, attribute: int, slack: int, wide: bool) -> None:
        pid, ctx = self._family_ctx(data, allow_none=False)
        size = STRUCT_SIZES[attribute][1] if attribute in STRUCT_SIZES else 16
        before = self._context_state(pid)
        r = self.call(
            pid,
            f"QueryContextAttributesEx{'W' if wide else 'A'}",
            phContext=ctx,
            ulAttribute=attribute,
            cbBuffer=size + slack,
        )
        if (pid, ctx) in self.deleted or slack < 0:
            assert not self.handle_ok(r), "a deleted context or a buffer too small accepted"
        assert self._context_state(pid) == before, "a query changed a context"

    @rule(data=st.data(), attribute=st.sampled_from(GENERAL_ATTRIBUTES))
    def query_general(self, data: st.DataObject, attribute: int) -> None:
        pid, ctx = self._family_ctx(data, allow_none=False)
        r = self.call(pid, "QueryContextAttributesA", phContext=ctx, ulAttribute=attribute)
        record = self.world.process(pid).contexts.get(getattr(ctx, "dwLower", None))
        if self.handle_ok(r):
            assert record is not None and record.package in ("Negotiate", "Kerberos", "NTLM")

    @rule(data=st.data(), token=st.booleans())
    def apply_control_token(self, data: st.DataObject, token: bool) -> None:
        pid, ctx = self._family_ctx(data)
        kind = SECBUFFER_TOKEN if token else SECBUFFER_DATA
        before = self._context_state(pid)
        r = self.call(pid, "ApplyControlToken", phContext=ctx, pInput=SecBufferDesc([SecBuffer(kind, b"\x01\0\0\0")]))
        assert not self.handle_ok(r), "no package of the model takes a control token"
        assert self._context_state(pid) == before, "a refused control token changed a context"

    @rule(data=st.data(), kind=st.sampled_from([0, 1, 2, 3, 4, 5]))
    def delegate(self, data: st.DataObject, kind: int) -> None:
        pid, ctx = self._family_ctx(data)
        out = SecBufferDesc.output(64)
        before = (self._context_state(pid), repr(out))
        r = self.call(pid, "DelegateSecurityContext", phContext=ctx, pTarget="host/x", DelegationType=kind, pOutput=out)
        assert not self.handle_ok(r), "no package of the model delegates"
        assert (self._context_state(pid), repr(out)) == before, "a refused delegation changed something"

    @rule(data=st.data(), pid=st.sampled_from([200, 100]), flags=st.sampled_from([0, 1, 2, 3, 4]))
    def export(self, data: st.DataObject, pid: int, flags: int) -> None:
        ctx = self.pick_ctx(data, pid, allow_none=False)
        r = self.call(pid, "ExportSecurityContext", phContext=ctx, fFlags=flags)
        if (pid, ctx) in self.deleted:
            assert not self.handle_ok(r), "deleted context accepted"
        if self.handle_ok(r):
            self.blobs.append(r.pPackedContext.contents)
            if flags & SECPKG_CONTEXT_EXPORT_DELETE_OLD:
                self.contexts.remove((pid, ctx))
                self.deleted.add((pid, ctx))
        assert SECPKG_CONTEXT_EXPORT_RESET_NEW == 1

    @rule(data=st.data(), pid=st.sampled_from(PIDS), package=st.sampled_from(PACKAGES))
    def import_(self, data: st.DataObject, pid: int, package: str) -> None:
        blob = (
            data.draw(st.sampled_from(self.blobs))
            if self.blobs and data.draw(st.booleans())
            else data.draw(st.binary(max_size=60))
        )
        r = self.call(pid, "ImportSecurityContextW", pszPackage=package, pPackedContext=SecBuffer(0, blob))
        if self.handle_ok(r):
            self.contexts.append((pid, r.phContext))

    @rule(pid=st.sampled_from(PIDS), name=st.sampled_from(PACKAGES), enumerate_=st.booleans())
    def packages(self, pid: int, name: str, enumerate_: bool) -> None:
        if enumerate_:
            self.call(pid, "EnumerateSecurityPackagesA", pcPackages=Ref(), ppPackageInfo=Ref())
        else:
            self.call(pid, "QuerySecurityPackageInfoA", pszPackageName=name)

    @rule(
        pid=st.sampled_from(PIDS),
        name=st.sampled_from([*PACKAGES, "digest"]),
        add=st.booleans(),
        wide=st.booleans(),
    )
    def package_registry(self, pid: int, name: str, add: bool, wide: bool) -> None:
        """AddSecurityPackageA/W and DeleteSecurityPackageA/W change what the package queries see."""
        from sspimodel.model.packages_registry import SecurityPackageOptions

        suffix = "W" if wide else "A"
        if add:
            r = self.call(pid, f"AddSecurityPackage{suffix}", pszPackageName=name, pOptions=SecurityPackageOptions())
        else:
            r = self.call(pid, f"DeleteSecurityPackage{suffix}", pszPackageName=name)
        installed = name.lower() in self.world.packages
        if self.handle_ok(r):
            assert installed == add
        found = self.call(pid, "QuerySecurityPackageInfoW", pPackageName=name)
        assert (found.status.name == "SEC_E_OK") == installed

    @rule(data=st.data(), pid=st.sampled_from(PIDS), attribute=st.sampled_from([1, 4]), wide=st.booleans())
    def query_credentials(self, data: st.DataObject, pid: int, attribute: int, wide: bool) -> None:
        cred = self.pick_cred(data, pid)
        if cred is None:
            return  # a required [in] parameter: ContractError, covered by the contract tests
        function = "QueryCredentialsAttributesW" if wide else "QueryCredentialsAttributesA"
        r = self.call(pid, function, phCredential=cred, ulAttribute=attribute)
        if self.handle_ok(r):
            assert (pid, cred) in self.creds

    # -- the credential family (issue 19, 19a) -------------------------------------------------------
    @rule(
        data=st.data(),
        pid=st.sampled_from(PIDS),
        attribute=st.sampled_from([1, 3]),
        wide=st.booleans(),
        value=st.sampled_from(["name", "proxy", "proxy bytes", "wrong type"]),
    )
    def set_credentials(self, data: st.DataObject, pid: int, attribute: int, wide: bool, value: str) -> None:
        cred = self.pick_cred(data, pid)
        if cred is None:
            return
        buffer: Any = {
            "name": SecPkgCredentials_Names("CONTOSO\\renamed"),
            "proxy": SecPkgCredentials_KdcProxySettings(1, 1, "kdc.contoso.com"),
            "proxy bytes": SecPkgCredentials_KdcProxySettings(1, 0, "kdc").to_bytes(),
            "wrong type": b"\x00" * 4,
        }[value]
        function = "SetCredentialsAttributesW" if wide else "SetCredentialsAttributesA"
        r = self.call(pid, function, phCredential=cred, ulAttribute=attribute, pBuffer=buffer, cbBuffer=64)
        if self.handle_ok(r):
            assert (pid, cred) in self.creds

    @rule(
        data=st.data(),
        pid=st.sampled_from(PIDS),
        attribute=st.sampled_from([1, 3, 4, 7]),
        size=st.sampled_from([0, 8, 64]),
        wide=st.booleans(),
    )
    def query_credentials_ex(self, data: st.DataObject, pid: int, attribute: int, size: int, wide: bool) -> None:
        cred = self.pick_cred(data, pid)
        if cred is None:
            return
        function = "QueryCredentialsAttributesExW" if wide else "QueryCredentialsAttributesExA"
        r = self.call(pid, function, phCredential=cred, ulAttribute=attribute, pBuffer=Ref(), cbBuffer=size)
        if self.handle_ok(r):
            assert (pid, cred) in self.creds

    @rule(
        data=st.data(),
        pid=st.sampled_from(PIDS),
        package=st.sampled_from(PACKAGES),
        who=st.sampled_from(["bob", "nobody", "not an identity"]),
        wide=st.booleans(),
    )
    def add_credentials(self, data: st.DataObject, pid: int, package: str, who: str, wide: bool) -> None:
        cred = self.pick_cred(data, pid)
        if cred is None:
            return
        auth: Any = {
            "bob": AuthIdentity(User="bob", Domain="CONTOSO", Password="Passw0rd!bob"),
            "nobody": AuthIdentity(User="", Domain="CONTOSO", Password="x"),
            "not an identity": 42,
        }[who]
        names = ("pPrincipal", "pPackage") if wide else ("pszPrincipal", "pszPackage")
        r = self.call(
            pid,
            "AddCredentialsW" if wide else "AddCredentialsA",
            hCredentials=cred,
            **{names[0]: "", names[1]: package},
            fCredentialUse=SECPKG_CRED_OUTBOUND,
            pAuthData=auth,
            pGetKeyFn=lambda *a: None,
            pvGetKeyArgument=0,
            ptsExpiry=Ref(),
        )
        if self.handle_ok(r):
            assert (pid, cred) in self.creds

    @rule(
        pid=st.sampled_from(PIDS),
        package=st.sampled_from(["Kerberos", "Negotiate", "NTLM", "Digest"]),
        account=st.sampled_from(["alice", "bob", "mallory"]),
        old=st.sampled_from(["Passw0rd!alice", "Passw0rd!bob", "N3w!secret", "wrong"]),
        new=st.sampled_from(["Passw0rd!alice", "Passw0rd!bob", "N3w!secret"]),
        size=st.sampled_from([24, 8]),
        wide=st.booleans(),
    )
    def change_password(
        self, pid: int, package: str, account: str, old: str, new: str, size: int, wide: bool
    ) -> None:
        principal = self.world.principal(f"CONTOSO\\{account}")
        before = principal.secret if principal is not None else None
        r = self.call(
            pid,
            "ChangeAccountPasswordW" if wide else "ChangeAccountPasswordA",
            pszPackageName=package,
            pszDomainName="CONTOSO",
            pszAccountName=account,
            pszOldPassword=old,
            pszNewPassword=new,
            bImpersonating=False,
            dwReserved=0,
            pOutput=SecBufferDesc([SecBuffer(SECBUFFER_CHANGE_PASS_RESPONSE, bytes(size))]),
        )
        if self.handle_ok(r):
            assert principal is not None and before == old and principal.secret == new
        elif principal is not None:
            assert principal.secret == before, "a failed password change changed the password"

    @precondition(lambda self: bool(self.buffers))
    @rule(data=st.data())
    def free_buffer(self, data: st.DataObject) -> None:
        pid, pointer = data.draw(st.sampled_from(self.buffers))
        r = self.call(pid, "FreeContextBuffer", pvContextBuffer=pointer)
        if pointer.address in self.freed_buffers:
            assert r is None, "a buffer was released twice"
        if self.handle_ok(r):
            self.freed_buffers.add(pointer.address)

    # -- auth identities (SspiEncodeStringsAsAuthIdentity and friends) --------------------------------
    def remember_identity(self, pid: int, result: Any, field: str) -> None:
        if result is not None and getattr(result, field, None) is not None:
            self.identities.append((pid, getattr(result, field)))

    def pick_identity(self, data: st.DataObject) -> tuple[int, AuthIdentityBuffer]:
        return data.draw(st.sampled_from(self.identities))

    @rule(
        pid=st.sampled_from(PIDS),
        user=st.sampled_from(["alice", "bob", ""]),
        secret=st.sampled_from(["Passw0rd!alice", "Passw0rd!bob", "wrong", ""]),
    )
    def encode_identity(self, pid: int, user: str, secret: str) -> None:
        r = self.call(
            pid,
            "SspiEncodeStringsAsAuthIdentity",
            pszUserName=user,
            pszDomainName="CONTOSO",
            pszPackedCredentialsString=secret,
        )
        assert r is not None, "encoding three strings is never refused"
        self.remember_identity(pid, r, "ppAuthIdentity")

    @precondition(lambda self: bool(self.identities))
    @rule(
        data=st.data(),
        pid=st.sampled_from(PIDS),
        op=st.sampled_from(
            [
                "copy",
                "exclude",
                "transfer",
                "encrypt",
                "encrypt_ex",
                "decrypt",
                "decrypt_ex",
                "compare",
                "validate",
                "is_encrypted",
                "strings",
                "zero",
                "acquire",
            ]
        ),
        options=st.sampled_from([1, 2]),
    )
    def identity_call(self, data: st.DataObject, pid: int, op: str, options: int) -> None:
        owner, ident = self.pick_identity(data)
        freed = ident.address in self.freed_identities
        before = bytes(ident.data)
        if op == "copy":
            r = self.call(pid, "SspiCopyAuthIdentity", AuthData=ident)
            self.remember_identity(pid, r, "AuthDataCopy")
        elif op == "exclude":
            r = self.call(pid, "SspiExcludePackage", AuthIdentity=ident, pszPackageName="NTLM")
            self.remember_identity(pid, r, "ppNewAuthIdentity")
        elif op == "transfer":
            m = self.call(owner, "SspiMarshalAuthIdentity", AuthIdentity=ident)
            r = m
            if m is not None:
                raw = bytes(m.AuthIdentityByteArray)
                u = self.call(
                    pid, "SspiUnmarshalAuthIdentity", AuthIdentityLength=len(raw), AuthIdentityByteArray=raw
                )
                assert u is not None, "marshalled bytes always unmarshal"
                self.remember_identity(pid, u, "ppAuthIdentity")
                assert bytes(u.ppAuthIdentity.data) == raw
        elif op == "encrypt":
            r = self.call(pid, "SspiEncryptAuthIdentity", AuthData=ident)
        elif op == "encrypt_ex":
            r = self.call(pid, "SspiEncryptAuthIdentityEx", Options=options, AuthData=ident)
        elif op == "decrypt":
            r = self.call(pid, "SspiDecryptAuthIdentity", EncryptedAuthData=ident)
        elif op == "decrypt_ex":
            r = self.call(pid, "SspiDecryptAuthIdentityEx", Options=options, EncryptedAuthData=ident)
        elif op == "compare":
            _, other = self.pick_identity(data)
            r = self.call(pid, "SspiCompareAuthIdentities", AuthIdentity1=ident, AuthIdentity2=other)
            if r is not None and other is ident:
                assert r.SameSuppliedIdentity is True
        elif op == "validate":
            r = self.call(pid, "SspiValidateAuthIdentity", AuthData=ident)
        elif op == "is_encrypted":
            r = self.call(pid, "SspiIsAuthIdentityEncrypted", EncryptedAuthData=ident)
        elif op == "strings":
            r = self.call(pid, "SspiEncodeAuthIdentityAsStrings", pAuthIdentity=ident)
        elif op == "zero":
            r = self.call(pid, "SspiZeroAuthIdentity", AuthData=ident)
        else:
            r = self.call(
                pid,
                "AcquireCredentialsHandleW",
                pPackage="NTLM",
                fCredentialUse=SECPKG_CRED_OUTBOUND,
                pAuthData=ident,
            )
            if self.handle_ok(r):
                self.creds.append((pid, r.phCredential))
        if (freed and op != "acquire") or (pid != owner and op not in ("transfer", "acquire")):
            assert r is None, f"{op}: an identity that is freed or another process's was accepted"
        if r is None:
            assert bytes(ident.data) == before, f"{op}: a refused call changed the identity"

    @precondition(lambda self: bool(self.identities))
    @rule(data=st.data(), local=st.booleans())
    def free_identity(self, data: st.DataObject, local: bool) -> None:
        pid, ident = self.pick_identity(data)
        if local:
            r = self.call(pid, "SspiLocalFree", DataBuffer=ident)
        else:
            r = self.call(pid, "SspiFreeAuthIdentity", AuthData=ident)
        if ident.address in self.freed_identities:
            assert r is None, "an identity was released twice"
        elif r is not None:
            self.freed_identities.add(ident.address)

    # -- credential prompts (sspimodel.model.prompts) ------------------------------------------------
    @rule(
        data=st.data(),
        pid=st.sampled_from(PIDS),
        ansi=st.booleans(),
        answer=st.sampled_from(["submit", "submit", "cancel", "none"]),
        save=st.sampled_from([None, True, False]),
        flags=st.sampled_from([0, 1, 2, 3]),
        prefill=st.booleans(),
    )
    def prompt(
        self, data: st.DataObject, pid: int, ansi: bool, answer: str, save: bool | None, flags: int, prefill: bool
    ) -> None:
        from sspimodel.model.prompts import CredUiInfo

        user = self.world.prompts.user
        user.answers.clear()
        if answer == "submit":
            user.submit("Passw0rd!alice", data.draw(st.sampled_from([None, "alice"])), "CONTOSO", save)
        elif answer == "cancel":
            user.cancel()
        given = self.pick_identity(data) if prefill and self.identities else None
        shown = len(user.shown)
        r = self.call(
            pid,
            "SspiPromptForCredentialsA" if ansi else "SspiPromptForCredentialsW",
            pszTargetName=b"host/files" if ansi else "host/files",
            pUiInfo=CredUiInfo(),
            dwAuthError=0,
            pszPackage=b"NTLM" if ansi else "NTLM",
            pInputAuthIdentity=None if given is None else given[1],
            pfSave=data.draw(st.sampled_from([None, True, False])),
            dwFlags=flags,
        )
        if r is None:  # refused: the input identity was freed or another process's
            assert given is not None and (given[1].address in self.freed_identities or given[0] != pid)
            assert len(user.shown) == shown, "a refused prompt showed a dialog"
            return
        assert (r.status.name == "SEC_E_OK") is (answer == "submit")
        assert (r.ppAuthIdentity is None) is (answer != "submit")
        self.remember_identity(pid, r, "ppAuthIdentity")
        self.serializations.append((pid, user.shown[-1].serialization))

    @rule(code=st.sampled_from([0, 0x8009030C, 0x8009030E, 0xC000006D, 0x80090308, 0xC0000022]))
    def prompting_needed(self, code: int) -> None:
        from sspimodel.model.prompts import PROMPTING_NEEDED

        r = self.call(100, "SspiIsPromptingNeeded", ErrorOrNtStatus=code)
        assert r.value is (code in PROMPTING_NEEDED.values())

    @precondition(lambda self: bool(self.identities))
    @rule(data=st.data(), pid=st.sampled_from(PIDS), write=st.booleans(), free_now=st.booleans())
    def prepare_for_cred(self, data: st.DataObject, pid: int, write: bool, free_now: bool) -> None:
        owner, ident = self.pick_identity(data)
        if write:
            r = self.call(pid, "SspiPrepareForCredWrite", AuthIdentity=ident, pszTargetName=data.draw(st.sampled_from([None, "files"])))
            outs = () if r is None else (r.ppszCredmanTargetName, r.ppszCredmanUserName, r.ppCredentialBlob)
        else:
            r = self.call(pid, "SspiPrepareForCredRead", AuthIdentity=ident, pszTargetName="files")
            outs = () if r is None else (r.ppszCredmanTargetName,)
        if ident.address in self.freed_identities or pid != owner:
            assert r is None, "a freed or foreign identity was accepted"
        if free_now:
            for pointer in outs:
                self.call(pid, "SspiLocalFree", DataBuffer=pointer)
                self.freed_buffers.add(pointer.address)

    @precondition(lambda self: bool(self.serializations))
    @rule(data=st.data(), pid=st.sampled_from(PIDS), truncate=st.booleans())
    def unmarshal_credui_context(self, data: st.DataObject, pid: int, truncate: bool) -> None:
        _, blob = data.draw(st.sampled_from(self.serializations))
        length = len(blob) - 1 if truncate else len(blob)
        r = self.call(pid, "SspiUnmarshalCredUIContext", MarshaledCredUIContext=blob[:length], MarshaledCredUIContextLength=length)
        assert (r is None) is truncate
        if r is not None:
            self.credui_contexts.append((pid, r.CredUIContext))
            user = data.draw(st.sampled_from([pid, *PIDS]))
            # alternate get and update (a drawn boolean leans to one side under derandomize)
            flip = len(self.credui_contexts) % 2 == 0
            self.credui_call(user, pid, r.CredUIContext, flip, data.draw(st.booleans()))

    @precondition(lambda self: bool(self.credui_contexts))
    @rule(data=st.data(), pid=st.sampled_from(PIDS), update=st.booleans(), password=st.booleans())
    def use_credui_context(self, data: st.DataObject, pid: int, update: bool, password: bool) -> None:
        owner, ctx = data.draw(st.sampled_from(self.credui_contexts))
        self.credui_call(pid, owner, ctx, update, password)

    def credui_call(self, pid: int, owner: int, ctx: Any, update: bool, password: bool) -> None:
        from sspimodel._generated.values import SecWinntAuthDataType
        from sspimodel.model.identity import pack_ex2

        kind = SecWinntAuthDataType.SEC_WINNT_AUTH_DATA_TYPE_PASSWORD if password else SecWinntAuthDataType.SEC_WINNT_AUTH_DATA_TYPE_CERT
        if update:
            flat = pack_ex2("alice", "CONTOSO", "N3w!alice".encode("utf-16-le"), 2)
            r = self.call(pid, "SspiUpdateCredentials", ContextHandle=ctx, CredType=kind, FlatCredUIContextLength=len(flat), FlatCredUIContext=flat)
        else:
            r = self.call(pid, "SspiGetCredUIContext", ContextHandle=ctx, CredType=kind, LogonId=self.world.process(pid).luid)
            if r is not None:
                self.open_tokens.append((pid, r.TokenHandle))
        if pid != owner or ctx.address in self.freed_buffers:
            assert r is None, "a freed or foreign credential UI context was accepted"
        else:
            assert r is not None, "a live credential UI context of the caller was refused"

    @rule(online=st.booleans(), hours=st.sampled_from([0, 0, 11]))
    def world_changes(self, online: bool, hours: int) -> None:
        self.world.authority.online = online
        self.world.clock.advance(hours * 3600)

    # -- impersonation and access tokens (issue 19) ---------------------------------------------
    @rule(data=st.data(), pid=st.sampled_from(PIDS), thread=st.sampled_from([1, 2]))
    def impersonate(self, data: st.DataObject, pid: int, thread: int) -> None:
        ctx = self.pick_ctx(data, pid, allow_none=False)
        self.world.process(pid).thread = thread
        r = self.call(pid, "ImpersonateSecurityContext", phContext=ctx)
        if self.handle_ok(r):
            assert (pid, ctx) in self.contexts, "a dead handle was impersonated"
            self.impersonating[(pid, thread)] = ctx

    @rule(data=st.data(), pid=st.sampled_from(PIDS), thread=st.sampled_from([1, 2]))
    def revert(self, data: st.DataObject, pid: int, thread: int) -> None:
        mine = self.impersonating.get((pid, thread))
        use_mine = mine is not None and data.draw(st.integers(0, 9)) < 7
        ctx = mine if use_mine else self.pick_ctx(data, pid, allow_none=False)
        self.world.process(pid).thread = thread
        r = self.call(pid, "RevertSecurityContext", phContext=ctx)
        balanced = mine is not None and ctx == mine and (pid, ctx) in self.contexts
        assert self.handle_ok(r) == balanced, (pid, thread, ctx, mine)
        if balanced:
            del self.impersonating[(pid, thread)]

    @precondition(lambda self: bool(self.impersonating))
    @rule(data=st.data())
    def revert_own(self, data: st.DataObject) -> None:
        """Balance an impersonation the machine made (revert with random handles rarely does)."""
        (pid, thread), ctx = data.draw(st.sampled_from(sorted(self.impersonating.items(), key=repr)))
        self.world.process(pid).thread = thread
        r = self.call(pid, "RevertSecurityContext", phContext=ctx)
        assert self.handle_ok(r) == ((pid, ctx) in self.contexts)
        if self.handle_ok(r):
            del self.impersonating[(pid, thread)]

    @rule(data=st.data(), pid=st.sampled_from(PIDS))
    def query_token(self, data: st.DataObject, pid: int) -> None:
        r = self.call(pid, "QuerySecurityContextToken", phContext=self.pick_ctx(data, pid, allow_none=False))
        if self.handle_ok(r):
            self.open_tokens.append((pid, r.Token))

    @rule(data=st.data(), pid=st.sampled_from(PIDS), variant=st.sampled_from(["A", "W"]))
    def query_token_through_the_table(self, data: st.DataObject, pid: int, variant: str) -> None:
        """InitSecurityInterfaceA/W: the table's member is the function (same guard, same state)."""
        sspi = self.apis[pid]
        result = sspi.InitSecurityInterfaceA() if variant == "A" else sspi.InitSecurityInterfaceW()
        assert result.status is None and result.value.dwVersion == 4
        ctx = self.pick_ctx(data, pid, allow_none=False)
        r = result.value.QuerySecurityContextToken(phContext=ctx)
        assert r.status.name in allowed_statuses("QuerySecurityContextToken")
        if self.handle_ok(r):
            assert (pid, ctx) in self.contexts
            self.open_tokens.append((pid, r.Token))

    @precondition(lambda self: bool(self.open_tokens or self.closed_tokens))
    @rule(data=st.data())
    def close_token(self, data: st.DataObject) -> None:
        pid, token = data.draw(st.sampled_from(self.open_tokens + self.closed_tokens))
        was_open = (pid, token) in self.open_tokens
        assert self.world.close_handle(token, pid) is was_open
        if was_open:
            self.open_tokens.remove((pid, token))
            self.closed_tokens.append((pid, token))

    # -- issue 20: SASL contexts ---------------------------------------------------------------------
    @rule(
        data=st.data(),
        pid=st.sampled_from([100, 200]),
        wide=st.booleans(),
        flags=st.sampled_from([0, ISC_REQ_CONFIDENTIALITY, ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY]),
    )
    def sasl_initialize(self, data: st.DataObject, pid: int, wide: bool, flags: int) -> None:
        ctx = self.pick_ctx(data, pid)
        token = self.pick_token(data)
        out = SecBufferDesc.output(data.draw(st.sampled_from([0, 48256])))
        r = self.call(
            pid,
            "SaslInitializeSecurityContextW" if wide else "SaslInitializeSecurityContextA",
            phCredential=self.pick_cred(data, pid),
            phContext=ctx if ctx is not None else Ref(None),
            pszTargetName="HTTP/web.contoso.com" if wide else b"HTTP/web.contoso.com",
            fContextReq=flags,
            Reserved1=0,
            TargetDataRep=SECURITY_NATIVE_DREP,
            pInput=SecBufferDesc.token(token) if token is not None else Ref(None),
            Reserved2=0,
            pOutput=out,
        )
        if ctx is not None and (pid, ctx) in self.deleted:
            assert not (r is not None and not r.status.is_error), "deleted context accepted"
        self.remember_context(pid, r)
        self.remember_token(out)

    @rule(data=st.data(), pid=st.sampled_from([200, 100]))
    def sasl_accept(self, data: st.DataObject, pid: int) -> None:
        ctx = self.pick_ctx(data, pid)
        token = self.pick_token(data)
        out = SecBufferDesc.output(data.draw(st.sampled_from([0, 48256])))
        r = self.call(
            pid,
            "SaslAcceptSecurityContext",
            phCredential=self.pick_cred(data, pid),
            phContext=ctx,
            pInput=SecBufferDesc.token(token if token is not None else b""),
            fContextReq=0,
            TargetDataRep=SECURITY_NATIVE_DREP,
            pOutput=out,
        )
        if ctx is not None and (pid, ctx) in self.deleted:
            assert not (r is not None and not r.status.is_error), "deleted context accepted"
        self.remember_context(pid, r)
        self.remember_token(out)

    @rule(
        package=st.sampled_from(["NTLM", "Kerberos", "Negotiate"]),
        flags=st.sampled_from([ISC_REQ_CONFIDENTIALITY, ISC_REQ_MUTUAL_AUTH | ISC_REQ_INTEGRITY, 0]),
        wide=st.booleans(),
    )
    def sasl_exchange(self, package: str, flags: int, wide: bool) -> None:
        """A whole SASL exchange between client.exe and web.exe (its credentials and contexts are
        released like the others)."""
        creds = []
        for pid, use in ((100, SECPKG_CRED_OUTBOUND), (200, SECPKG_CRED_INBOUND)):
            r = self.call(pid, "AcquireCredentialsHandleW", pPackage=package, fCredentialUse=use)
            if not self.handle_ok(r):
                return  # the authority may be offline: inbound credentials are refused
            self.creds.append((pid, r.phCredential))
            creds.append(r.phCredential)
        pair = SaslPair(
            self.apis[100],
            self.apis[200],
            package,
            flags,
            client_function="SaslInitializeSecurityContext" + ("W" if wide else "A"),
            client_cred=creds[0],
            server_cred=creds[1],
        )
        pair.run()
        for pid, ctx in ((100, pair.client_ctx), (200, pair.server_ctx)):
            if ctx is not None and (pid, ctx) not in self.contexts:
                self.contexts.append((pid, ctx))
        for _, status, _ in pair.steps:
            assert status in ("SEC_E_OK", "SEC_I_CONTINUE_NEEDED") or status.startswith("SEC_E_"), pair.steps

    @rule(
        data=st.data(),
        pid=st.sampled_from(PIDS),
        option=st.sampled_from([1, 2, 3, 4]),
        value=st.binary(max_size=8),
        set_=st.booleans(),
    )
    def sasl_option(self, data: st.DataObject, pid: int, option: int, value: bytes, set_: bool) -> None:
        ctx = self.pick_ctx(data, pid, allow_none=False)
        if set_:
            size = data.draw(st.integers(0, len(value) + 1))
            r = self.call(pid, "SaslSetContextOption", ContextHandle=ctx, Option=option, Value=value, Size=size)
        else:
            r = self.call(pid, "SaslGetContextOption", ContextHandle=ctx, Option=option)
        if (pid, ctx) in self.deleted:
            assert not self.handle_ok(r), "an option of a deleted context was read or set"

    @invariant()
    def impersonation_is_what_the_calls_made_it(self) -> None:
        if not hasattr(self, "world"):
            return
        actual = {
            (pid, thread): entry.context
            for pid, p in self.world.processes.items()
            for thread, entry in p.impersonating.items()
        }
        assert actual == self.impersonating
        open_now = {(pid, v) for pid, p in self.world.processes.items() for v in p.tokens}
        assert open_now == {(pid, t.value) for pid, t in self.open_tokens}

    @invariant()
    def no_undocumented_status(self) -> None:
        if self.last is not None:
            function, status = self.last
            assert _allowed(function, status)

    def teardown(self) -> None:
        if not hasattr(self, "world"):
            return
        # Balance every impersonation whose context is still live; one whose context was deleted
        # first cannot be reverted through SSPI, and world.leaks() must say so.
        for (pid, thread), ctx in sorted(self.impersonating.items(), key=repr):
            self.world.process(pid).thread = thread
            if (pid, ctx) in self.contexts:
                assert self.apis[pid].RevertSecurityContext(phContext=ctx).status.name == "SEC_E_OK"
            else:
                assert self.world.leaks()[pid]["impersonation"]
                del self.world.process(pid).impersonating[thread]
        for pid, token in self.open_tokens:
            assert self.world.close_handle(token, pid)
        for pid, ctx in list(self.contexts):
            assert self.apis[pid].DeleteSecurityContext(phContext=ctx).status.name == "SEC_E_OK"
        for pid, cred in list(self.creds):
            assert self.apis[pid].FreeCredentialsHandle(phCredential=cred).status.name == "SEC_E_OK"
        for pid, ident in self.identities:
            if ident.address not in self.freed_identities:
                assert self.apis[pid].SspiFreeAuthIdentity(AuthData=ident).status.name == "SEC_E_OK"
        for pid, pointer in self.buffers:
            if pointer.address not in self.freed_buffers:
                assert self.apis[pid].FreeContextBuffer(pvContextBuffer=pointer).status.name == "SEC_E_OK"
        assert self.world.leaks() == {}


SspiMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
    database=None,
)
TestSspiMachine = SspiMachine.TestCase
