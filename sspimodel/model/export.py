"""ExportSecurityContext and ImportSecurityContextA/W.

The packed context is a token frame (:mod:`sspimodel.model.tokens`, kind EXPORT) authenticated
with the world key, whose fields name the package, the process it was exported to, the process
that exported it, and the context's state (side, mechanism, session key, sequence numbers,
attributes, names, expiry)::

    [package, to_pid, from_pid, role, mech, session_key, send_seq, recv_seq, attributes,
     client, server, target, expiry, conversation, reset, ntlm_flags, ntlm_send, ntlm_receive,
     spnego]

An NTLM context also carries what its message protection continues from (MS-NLMP 3.4): the
negotiated flags (ntlm_flags; 0 for the other packages), and how far each RC4 sealing stream has
run (ntlm_send, ntlm_receive); the session_key field is NTLM's exported session key, from which
the signing and sealing keys are derived again. The imported copy continues both streams.
``spnego`` is the MechTypeList DER of a Negotiate NTLM client that the observed contract
established with its AUTHENTICATE leg while the server's mechListMIC is still to come (b"" for
any other context): the imported copy waits for that token as the exported one did.

"The process it was exported to" is the exporting process's ``export_to`` in the world
(default_world: web.exe exports to worker.exe); a process with none exports to itself.
SECPKG_CONTEXT_EXPORT_RESET_NEW puts the sequence numbers of the imported copy back to zero;
SECPKG_CONTEXT_EXPORT_DELETE_OLD deletes the exporter's context.
"""

from __future__ import annotations

from typing import Any, cast

from . import tokens
from .buffers import SecBuffer
from .common import NULL_HANDLE_ERRATA, alloc_bytes, ctx_record, deref, fault_rules, is_null_handle, live
from .constants import (
    SECBUFFER_EMPTY,
    SECPKG_CONTEXT_EXPORT_DELETE_OLD,
    SECPKG_CONTEXT_EXPORT_RESET_NEW,
    SECPKG_CONTEXT_EXPORT_TO_KERNEL,
)
from .handles import AccessToken, CtxtHandle
from .handshake import State
from .ntlm_wire import Protection
from .packages_query import SECPKG_NOT_FOUND_ERRATA
from .rules import Call, Citation, Errata, Interpretation, Rule, register
from .tokens import Kind
from .world import ContextRecord

__all__ = ["export_rules", "import_rules"]

UNSUPPORTED_ERRATA = Errata(
    "wine-unsupported-function",
    "Wine's secur32 dispatcher returns SEC_E_UNSUPPORTED_FUNCTION when the package lacks the function",
)


# Facts are computed once per call and kept in c.facts (several rules ask for each).
_UNSET: Any = object()


# -- ExportSecurityContext ------------------------------------------------------------------------


def _ctx(c: Call) -> ContextRecord | None:
    facts = c.facts
    ctx = facts.get("ctx", _UNSET)
    if ctx is _UNSET:
        ctx = facts["ctx"] = ctx_record(c, c.a.phContext)
    return ctx


def _flags(c: Call) -> int:
    return int(deref(c.a.fFlags))


def _packed_blob(c: Call) -> bytes | tokens.FrameTooLong:
    """The packed context of the live, established context, or why it cannot be packed (its
    names too long for the frame's 2-byte lengths). Kept in c.facts: a rule asks, _export uses it."""
    facts = c.facts
    blob = facts.get("packed", _UNSET)
    if blob is not _UNSET:
        return blob
    world = c.world
    ctx = live(_ctx(c))
    reset = 1 if _flags(c) & SECPKG_CONTEXT_EXPORT_RESET_NEW else 0
    to_pid = c.process.export_to if c.process.export_to is not None else c.process.pid
    package = world.package(ctx.package)
    try:
        blob = tokens.build(
            world.key,
            Kind.EXPORT,
            package.rpc_id,
            ctx.conversation,
            [
                ctx.package,
                to_pid,
                c.process.pid,
                ctx.role,
                ctx.mech,
                ctx.session_key or b"",
                ctx.send_seq,
                ctx.recv_seq,
                ctx.attributes,
                ctx.client or "",
                ctx.server or "",
                ctx.target or "",
                ctx.expiry,
                ctx.conversation,
                reset,
                *_ntlm_state(ctx),
                _awaited_mic(ctx),
            ],
        )
    except tokens.FrameTooLong as e:
        blob = e
    facts["packed"] = blob
    return blob


def _export(c: Call) -> None:
    world = c.world
    ctx = live(_ctx(c))
    flags = _flags(c)
    blob = cast(bytes, _packed_blob(c))  # exp.too_long refused the other case
    c.out["pPackedContext"] = SecBuffer(SECBUFFER_EMPTY, alloc_bytes(c, blob, "packed context"))
    if ctx.role == "server" and ctx.client:
        c.out["pToken"] = AccessToken(world.next_token_handle, ctx.client)
        world.next_token_handle += 4
    if flags & SECPKG_CONTEXT_EXPORT_DELETE_OLD:
        del c.process.contexts[ctx.handle.dwLower]
        c.process.deleted.add(ctx.handle)


def _awaited_mic(ctx: ContextRecord) -> bytes:
    """The mechTypes a client established ahead of the server's mechListMIC checks it against
    (State.AWAITING_MIC, see isc.negotiate_ntlm_ok), or b"" for any other context."""
    if ctx.state is State.AWAITING_MIC and isinstance(ctx.spnego, bytes | bytearray):
        return bytes(ctx.spnego)
    return b""


def _ntlm_state(ctx: ContextRecord) -> tuple[int, int, int]:
    ntlm = ctx.ntlm
    if type(ntlm) is Protection:
        return (ntlm.flags, *ntlm.positions())
    return (0, 0, 0)


def export_rules(function: str = "ExportSecurityContext", prefix: str = "exp") -> list[Rule]:
    return [
        Rule(
            "exp.null_handle",
            "phContext is NULL or the zero handle",
            "SEC_E_INVALID_HANDLE",
            NULL_HANDLE_ERRATA,
            lambda c: is_null_handle(c.a.phContext),
        ),
        Rule(
            "exp.invalid_handle",
            "phContext is not a live context of the calling process",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "returns", "phContext does not refer to a valid handle."),
            lambda c: _ctx(c) is None,
        ),
        *fault_rules(function, {"SEC_E_INSUFFICIENT_MEMORY": "exp.fault.memory"}),
        Rule(
            "exp.to_kernel",
            "fFlags has SECPKG_CONTEXT_EXPORT_TO_KERNEL",
            "SEC_E_NOT_SUPPORTED",
            Citation(function, "parameters: fFlags", "Not supported."),
            lambda c: _flags(c) & SECPKG_CONTEXT_EXPORT_TO_KERNEL != 0,
            also=(Citation(function, "returns", "SEC_E_NOT_SUPPORTED"),),
        ),
        Rule(
            "exp.package_cannot_export",
            "the context's package cannot export contexts (Digest)",
            "SEC_E_NOT_SUPPORTED",
            Interpretation(
                "The page documents SEC_E_NOT_SUPPORTED for Schannel in kernel mode only: what does a package "
                "without export support return?",
                "SEC_E_NOT_SUPPORTED as well: the function is not supported by that package",
            ),
            lambda c: not c.world.package(live(_ctx(c)).package).exportable,
        ),
        Rule(
            "exp.not_established",
            "the context's handshake has not finished",
            "SEC_E_INVALID_HANDLE",
            Interpretation(
                "Which code does exporting a half-built context give? (The page has no Remarks and does not "
                "say that only an established context can be exported.)",
                "SEC_E_INVALID_HANDLE: the handle does not refer to an exportable (established) context",
            ),
            lambda c: not live(_ctx(c)).established,
            also=(
                Citation(function, "returns", "SEC_E_INVALID_HANDLE"),
            ),
        ),
        Rule(
            "exp.too_long",
            "the context's names (client, server, target) are too long for a packed context",
            "SEC_E_NOT_SUPPORTED",
            Interpretation(
                "What does exporting a context whose names are too long to pack give? (The page documents no "
                "limit and no status for it.)",
                "SEC_E_NOT_SUPPORTED: the package cannot export that context (as for a package without export "
                "support); the packed context's field lengths are 2 bytes (sspimodel.model.tokens)",
            ),
            lambda c: type(_packed_blob(c)) is not bytes,
        ),
        Rule(
            "exp.ok",
            "pPackedContext receives the packed context (package memory: FreeContextBuffer); pToken a handle "
            "to the client's token on the server side; DELETE_OLD deletes the exporter's context",
            "SEC_E_OK",
            Citation(function, "returns", "On success the function returns SEC_E_OK."),
            lambda c: True,
            _export,
        ),
    ]


# -- ImportSecurityContext ------------------------------------------------------------------------


def _packed(c: Call) -> bytes:
    value = deref(c.a.pPackedContext)
    if isinstance(value, SecBuffer):
        return value.contents[: value.cbBuffer]
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    raise c.violation(
        "pPackedContext",
        f"expected a SecBuffer (or bytes) holding the packed context, got {type(value).__name__}",
        value,
    )


def _package(c: Call) -> Any:
    facts = c.facts
    package = facts.get("package", _UNSET)
    if package is _UNSET:
        package = facts["package"] = c.world.package(c.a.pszPackage)
    return package


def _blob(c: Call) -> list[Any] | None:
    """The fields of an authentic packed context, or None when it is not one."""
    facts = c.facts
    blob = facts.get("blob", _UNSET)
    if blob is _UNSET:
        opened = tokens.open_frame(_packed(c), c.world.key)  # parse(), without building the Frame
        fields = (
            tokens.decode_fields(opened[5])
            if not isinstance(opened, tokens.Bad) and opened[0] is Kind.EXPORT
            else None
        )
        blob = facts["blob"] = fields if fields is not None and len(fields) == 19 else None
    return blob


def _import(c: Call) -> None:
    world = c.world
    (
        package,
        _to,
        _from,
        role,
        mech,
        key,
        send_seq,
        recv_seq,
        attrs,
        client,
        server,
        target,
        expiry,
        conv,
        reset,
        ntlm_flags,
        ntlm_send,
        ntlm_receive,
        awaited_mic,
    ) = live(_blob(c))
    serial = world.new_serial()
    handle = CtxtHandle(serial, world.package(package).rpc_id)
    c.process.contexts[serial] = ContextRecord(
        handle=handle,
        package=package,
        mech=mech,
        role=role,
        state=State.AWAITING_MIC if awaited_mic else State.ESTABLISHED,
        spnego=awaited_mic or None,
        conversation=conv,
        cred=None,
        credential=None,
        target=target or None,
        attributes=attrs,
        client=client or None,
        server=server or None,
        session_key=key or None,
        send_seq=0 if reset else send_seq,
        recv_seq=0 if reset else recv_seq,
        expiry=expiry,
        established=True,
        imported=True,
        ntlm=(
            Protection(ntlm_flags, key, role == "client", (ntlm_send, ntlm_receive))
            if ntlm_flags and key
            else None
        ),
    )
    c.out["phContext"] = handle


def import_rules(function: str, prefix: str = "imp") -> list[Rule]:
    return [
        *fault_rules(function, {"SEC_E_INSUFFICIENT_MEMORY": "imp.fault.memory", "SEC_E_INTERNAL_ERROR": "imp.fault.internal"}),
        Rule(
            "imp.package_unknown",
            "pszPackage names no installed package",
            "SEC_E_SECPKG_NOT_FOUND",
            SECPKG_NOT_FOUND_ERRATA,
            lambda c: _package(c) is None,
        ),
        Rule(
            "imp.package_cannot_import",
            "the named package cannot import contexts (Digest)",
            "SEC_E_UNSUPPORTED_FUNCTION",
            UNSUPPORTED_ERRATA,
            lambda c: not _package(c).exportable,
        ),
        Rule(
            "imp.not_a_packed_context",
            "pPackedContext is not an authentic packed context (tampered, truncated, or not one at all)",
            "SEC_E_UNKNOWN_CREDENTIALS",
            Citation(function, "returns", "SEC_E_UNKNOWN_CREDENTIALS"),
            lambda c: _blob(c) is None,
            also=(
                Interpretation(
                    "Which code does a damaged packed context give?",
                    "SEC_E_UNKNOWN_CREDENTIALS: the package does not recognize what it was given",
                ),
            ),
        ),
        Rule(
            "imp.other_package",
            "the packed context was exported from a package other than pszPackage",
            "SEC_E_NO_CREDENTIALS",
            Citation(function, "returns", "SEC_E_NO_CREDENTIALS"),
            lambda c: str(live(_blob(c))[0]).lower() != _package(c).name.lower(),
            also=(
                Interpretation(
                    "Which code does importing under the wrong package name give?",
                    "SEC_E_NO_CREDENTIALS: the named package has nothing to offer for a context it did not export",
                ),
            ),
        ),
        Rule(
            "imp.not_exported_here",
            "the packed context was exported to another process than the caller",
            "SEC_E_NOT_OWNER",
            Citation(function, "returns", "SEC_E_NOT_OWNER"),
            lambda c: live(_blob(c))[1] != c.process.pid,
            also=(
                Citation(
                    "ImportSecurityContextW",
                    "description",
                    "Only a context that an earlier call to ExportSecurityContext exported to this very process can be imported.",
                ),
            ),
        ),
        Rule(
            "imp.ok",
            "phContext receives a new context of the calling process, in the exported state (sequence numbers "
            "reset to zero with SECPKG_CONTEXT_EXPORT_RESET_NEW)",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            lambda c: True,
            _import,
        ),
    ]


EXPORT = register("ExportSecurityContext", export_rules())
IMPORT_A = register("ImportSecurityContextA", import_rules("ImportSecurityContextA"))
IMPORT_W = register("ImportSecurityContextW", import_rules("ImportSecurityContextW"))
