"""Security contexts: InitializeSecurityContextA/W, AcceptSecurityContext, CompleteAuthToken,
DeleteSecurityContext.

The handshake itself is the packages' business (:mod:`sspimodel.model.packages`): a leg says
what happens (an outcome key, the next state, the output token). The tables below decide the
documented status of each outcome, check handles and buffers first, and commit the leg.

The same tables, cited from the async pages, are the completion semantics of
SspiInitializeSecurityContextAsyncA/W, SspiAcceptSecurityContextAsync and
SspiDeleteSecurityContextAsync.
"""

from __future__ import annotations

from typing import Any

from . import bindings, tokens
from .buffers import SecBuffer, SecBufferDesc
from .common import (
    CONTRACT_ERROR,
    NULL_HANDLE_ERRATA,
    alloc_bytes,
    cred_record,
    ctx_record,
    deref,
    fault_rules,
    is_null_handle,
    live,
    observed,
)
from .constants import (
    ASC_RET_ALLOCATED_MEMORY,
    ISC_REQ_ALLOCATE_MEMORY,
    ISC_REQ_DELEGATE,
    ISC_RET_ALLOCATED_MEMORY,
    SECBUFFER_CHANNEL_BINDINGS,
    SECBUFFER_EMPTY,
    SECBUFFER_MISSING,
    SECBUFFER_TOKEN,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
    SECURITY_NATIVE_DREP,
    SECURITY_NETWORK_DREP,
)
from .handles import NEVER, AllocatedBytes, CtxtHandle, Ref, timestamp
from .handshake import Outcome, State
from .packages import Leg, accept_leg, asc_to_internal, initialize_leg, internal_to_asc
from .rules import (
    Call,
    Citation,
    Errata,
    Interpretation,
    Rule,
    guarded,
    keyed,
    negation_of,
    pick,
    register,
    unreachable,
)
from .world import ContextRecord

__all__ = ["accept_rules", "complete_rules", "delete_rules", "initialize_rules"]

# Packages that cannot delegate reject a request to: "It only works together with
# ISC_REQ_MUTUAL_AUTH, and only Kerberos honours it." Negotiate may pick Kerberos, so it takes
# the flag and grants it only when it does.
_DELEGATING = frozenset({"Kerberos", "Negotiate"})

BUFFER_TOO_SMALL_ERRATA = Errata(
    "wine-isc-buffer-too-small",
    "Wine's tests: InitializeSecurityContext with no output buffer, a zero-size output buffer, or a "
    "SECBUFFER_DATA buffer where a SECBUFFER_TOKEN buffer is expected returns SEC_E_BUFFER_TOO_SMALL",
)


# -- facts ----------------------------------------------------------------------------------------
#
# Each fact is computed at most once per call and kept in ``c.facts`` (the rules ask for the same
# ones many times). The order in which they are first computed is the order the rules ask, so a
# fact that raises a ContractViolation (a pInput that is no SecBufferDesc, ...) raises at the
# same rule as before.

_UNSET: Any = object()


def _desc(c: Call, param: str) -> SecBufferDesc | None:
    value = getattr(c.a, param)
    if isinstance(value, Ref):
        value = value.value
    if value is None or isinstance(value, SecBufferDesc):
        return value
    raise c.violation(param, f"expected a SecBufferDesc or NULL, got {type(value).__name__}", value)


def _input_token(c: Call) -> bytes | None:
    desc = _desc(c, "pInput")
    if desc is None:
        return None
    buf = desc.first(SECBUFFER_TOKEN)
    if buf is None:
        return None
    data = buf.pvBuffer  # buf.contents, read once
    contents = b"" if data is None else bytes(data)
    if not contents:
        return None
    # "cbBuffer" is what the caller says the buffer holds: a token cut short on the wire is a
    # buffer whose cbBuffer is less than its frame announces.
    return contents[: buf.cbBuffer]


def _frame(c: Call) -> tokens.Frame | tokens.Bad | None:
    facts = c.facts
    frame = facts.get("frame", _UNSET)
    if frame is _UNSET:
        raw = _input_token(c)
        frame = facts["frame"] = None if raw is None else tokens.parse(raw, c.world.key)
    return frame


def _bindings(c: Call) -> bytes | None:
    """The MD5 of the SEC_CHANNEL_BINDINGS in pInput's SECBUFFER_CHANNEL_BINDINGS buffer (its
    first), or None without one: what NTLM sends as MsvAvChannelBindings and Kerberos as the Bnd
    of its authenticator checksum. A buffer that holds no SEC_CHANNEL_BINDINGS breaks the
    caller's contract."""
    facts = c.facts
    digest = facts.get("bindings", _UNSET)
    if digest is not _UNSET:
        return digest
    desc = _desc(c, "pInput")
    buffer = desc.first(SECBUFFER_CHANNEL_BINDINGS) if desc is not None else None
    if buffer is None:
        facts["bindings"] = None
        return None
    data = buffer.pvBuffer
    digest = bindings.digest_of((b"" if data is None else bytes(data))[: buffer.cbBuffer])
    if isinstance(digest, str):
        raise c.violation(
            "pInput", f"its SECBUFFER_CHANNEL_BINDINGS buffer must hold a SEC_CHANNEL_BINDINGS: {digest}", buffer
        )
    facts["bindings"] = digest
    return digest


def _given_context(c: Call) -> Any:
    value = c.a.phContext
    return value.value if isinstance(value, Ref) else value


def _first_call(c: Call) -> bool:
    value = c.a.phContext  # _given_context, inline: the handle rules ask this several times
    return (value.value if isinstance(value, Ref) else value) is None


@negation_of(_first_call)  # the compiled tables ask _first_call once for the rules guarded by either
def _later_call(c: Call) -> bool:
    value = c.a.phContext  # not _first_call(c), inline
    return (value.value if isinstance(value, Ref) else value) is not None


def _ctx(c: Call) -> ContextRecord | None:
    facts = c.facts
    ctx = facts.get("ctx", _UNSET)
    if ctx is _UNSET:
        given = _given_context(c)
        ctx = facts["ctx"] = None if given is None else ctx_record(c, given)
    return ctx


def _live_ctx(c: Call) -> ContextRecord:
    """``live(_ctx(c))`` in one call: the context the earlier rules checked to exist."""
    ctx = c.facts.get("ctx", _UNSET)
    if ctx is _UNSET:
        ctx = _ctx(c)
    assert ctx is not None, "rule order: a validity rule must come first"
    return ctx


def _pending_completion(c: Call) -> bool:
    """The context (if any) still waits for CompleteAuthToken on its last token."""
    facts = c.facts
    ctx = facts["ctx"] if "ctx" in facts else _ctx(c)
    return ctx is not None and ctx.pending_completion is not None


def _credential(c: Call) -> Any:
    """The credentials the call works with: phCredential on the first call, else the context's."""
    facts = c.facts
    cred = facts.get("cred", _UNSET)
    if cred is _UNSET:
        ctx = _ctx(c)
        cred = facts["cred"] = cred_record(c, c.a.phCredential) if ctx is None else ctx.credential
    return cred


def _package(c: Call) -> Any:
    facts = c.facts
    package = facts.get("package", _UNSET)
    if package is _UNSET:
        ctx = _ctx(c)
        name = ctx.package if ctx is not None else _credential(c).package
        package = facts["package"] = c.world.package(name)
    return package


def _context_req(c: Call) -> int:
    facts = c.facts
    flags = facts.get("fContextReq")
    if flags is None:
        value = c.a.fContextReq
        if isinstance(value, Ref):
            value = value.value
        flags = facts["fContextReq"] = int(value or 0)
    return flags


def _requested(c: Call, role: str) -> int:
    flags = _context_req(c)
    return flags if role == "client" else asc_to_internal(flags)


def _target(c: Call, param: str) -> str | None:
    facts = c.facts
    target = facts.get("target", _UNSET)
    if target is _UNSET:
        target = facts["target"] = _target_of(c, param)
    return target


def _target_of(c: Call, param: str) -> str | None:
    value = deref(getattr(c.a, param))
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("cp1252", "replace")
    if value is not None and not isinstance(value, str):
        raise c.violation(param, f"expected a string naming the target, got {type(value).__name__}", value)
    return value


def _leg(c: Call, role: str, target_param: str | None) -> Leg:
    facts = c.facts
    leg = facts.get("leg")
    if leg is None:
        # The facts the leg needs, each through its fact function (which computes what is
        # absent), in the order the listed form asks: context, credentials, package, request,
        # input frame, channel bindings, target.
        ctx = facts["ctx"] if "ctx" in facts else _ctx(c)
        cred = facts["cred"] if "cred" in facts else _credential(c)
        package = facts["package"] if "package" in facts else _package(c)
        flags = _context_req(c)  # _requested(c, role), inline
        requested = flags if role == "client" else asc_to_internal(flags)
        frame = facts["frame"] if "frame" in facts else _frame(c)
        bound = _bindings(c)
        if role == "client":
            target = _target(c, target_param or "pszTargetName")
            leg = initialize_leg(c.world, package, cred, ctx, frame, requested, target, bound)
        else:
            leg = accept_leg(c.world, package, cred, ctx, frame, requested, bound)
        facts["leg"] = leg
    return leg


def _allocate(c: Call) -> bool:
    return bool(_context_req(c) & ISC_REQ_ALLOCATE_MEMORY)


def _output(c: Call) -> SecBufferDesc | None:
    """pOutput (cached: the output rule and the commit both look at it)."""
    facts = c.facts
    desc = facts.get("output", _UNSET)
    if desc is _UNSET:
        desc = facts["output"] = _desc(c, "pOutput")
    return desc


def _output_problem(c: Call, role: str, target_param: str | None) -> str | None:
    """Why the output token of this leg has nowhere to go, or None."""
    facts = c.facts
    leg = facts.get("leg")  # computed by the outcome rules before this one asks
    if leg is None:
        if _ctx(c) is None and _credential(c) is None:
            # No leg without a credential. The tables reach this rule only after their handle rules
            # (a NULL or unknown phCredential is SEC_E_INVALID_HANDLE / SEC_E_NO_CREDENTIALS there);
            # the async queuing call runs it before them (async_._queue_checks), and leaves the handle
            # to the queued work, which completes with the counterpart's status.
            return None
        leg = _leg(c, role, target_param)
    token = leg.token
    if token is None:
        return None
    desc = facts["output"] if "output" in facts else _output(c)
    if desc is None or not desc.pBuffers:
        return "no output buffer"
    first = desc.pBuffers[0]
    if not isinstance(first, SecBuffer) or first.BufferType & 0x0FFFFFFF != SECBUFFER_TOKEN:  # base_type
        return "the output buffer is not a SECBUFFER_TOKEN"
    if not _context_req(c) & ISC_REQ_ALLOCATE_MEMORY and first.cbBuffer < len(token):  # _allocate
        return f"the output buffer holds {first.cbBuffer} bytes, the token needs {len(token)}"
    return None


# -- effects --------------------------------------------------------------------------------------


def _write_token(c: Call, token: bytes | None, allocate: bool) -> bool:
    desc = _output(c)
    if desc is None or not desc.pBuffers:
        return False
    buf = desc.pBuffers[0]
    if token is None:
        if isinstance(buf, SecBuffer) and buf.base_type == SECBUFFER_TOKEN:
            buf.pvBuffer = None
            buf.cbBuffer = 0
        return False
    buf.pvBuffer = alloc_bytes(c, token, "output token") if allocate else token
    buf.cbBuffer = len(token)
    return allocate


def _mark_missing(c: Call) -> None:
    """SEC_E_INCOMPLETE_MESSAGE: "The pInput buffer then holds a SecBuffer of type
    SECBUFFER_MISSING whose cbBuffer member estimates how many more bytes must be read"."""
    frame = _frame(c)
    desc = _desc(c, "pInput")
    if desc is None or not isinstance(frame, tokens.Bad):
        return
    for buf in desc.pBuffers:
        if isinstance(buf, SecBuffer) and buf.base_type == SECBUFFER_EMPTY:
            buf.BufferType = SECBUFFER_MISSING
            buf.cbBuffer = frame.missing
            return


_RECORD_FIELDS = frozenset(
    {"mech", "conversation", "requested", "attributes", "client", "server", "session_key", "challenge", "ntlm", "target"}
    | {"spnego", "send_seq", "recv_seq"}  # Negotiate's SPNEGO: the mechTypes; the mechListMICs' SeqNums
)


def _commit(c: Call, role: str, target_param: str | None) -> None:
    world = c.world
    facts = c.facts
    # The leg was computed by the outcome rule (and with it the context, credentials, package
    # and request facts); each is read through its fact function, which computes what is absent.
    leg = facts.get("leg") or _leg(c, role, target_param)
    ctx = facts["ctx"] if "ctx" in facts else _ctx(c)
    package = facts["package"] if "package" in facts else _package(c)
    updates = dict(leg.updates)
    allocate = bool(_context_req(c) & ISC_REQ_ALLOCATE_MEMORY)  # _allocate
    if ctx is None:
        cred = facts["cred"] if "cred" in facts else _credential(c)
        serial = world.new_serial()
        ctx = ContextRecord(
            handle=CtxtHandle(serial, package.rpc_id),
            package=package.name,
            mech=str(updates.get("mech", package.name)),
            role=role,
            state=leg.state,
            conversation=b"",
            cred=cred.handle,
            credential=cred,
            target=_target(c, target_param) if role == "client" and target_param else None,
            allocate=allocate,
        )
        c.process.contexts[serial] = ctx
    record_fields = _RECORD_FIELDS
    for key, value in updates.items():
        if key in record_fields:
            setattr(ctx, key, value)
        elif key == "replay":
            world.replay_cache.add(value)
    world.consume_conversation(ctx.conversation)
    ctx.state = leg.state
    if not ctx.expiry:  # the context's first leg sets its lifetime
        mech = world.package(ctx.mech)
        lifetime = mech.context_lifetime if mech is not None else package.context_lifetime
        ctx.expiry = world.clock.after(lifetime) if lifetime else NEVER.QuadPart
    allocated = _write_token(c, leg.token, allocate)
    outcome = leg.outcome
    if outcome in (Outcome.COMPLETE_NEEDED, Outcome.COMPLETE_AND_CONTINUE):
        ctx.pending_completion = leg.token
    ctx.established = outcome is Outcome.DONE
    attrs = ctx.attributes
    if role == "client":
        flags = attrs | ISC_RET_ALLOCATED_MEMORY if allocated else attrs
    else:
        flags = internal_to_asc(attrs) | (ASC_RET_ALLOCATED_MEMORY if allocated else 0)
    handle = ctx.handle
    out = c.out
    out["phNewContext"] = handle
    out["pOutput"] = facts["output"] if "output" in facts else _output(c)
    out["pfContextAttr"] = flags
    out["ptsExpiry"] = timestamp(ctx.expiry)
    new_ref = c.a.phNewContext
    if isinstance(new_ref, Ref):
        new_ref.value = handle


def _negotiate_ntlm_authenticate_leg(leg: Leg) -> bool:
    """Negotiate's NTLM client (SPNEGO) has just sent its AUTHENTICATE and mechListMIC: the leg
    continues towards the server's mechListMIC (CONTINUE, AWAITING_MIC)."""
    return leg.outcome is Outcome.CONTINUE and leg.state is State.AWAITING_MIC


def _negotiate_ntlm_established_early(c: Call, target_param: str) -> None:
    """Commit the AUTHENTICATE leg as Windows ends it (errata windows-negotiate-ntlm-client-ok):
    the context is established and its keys are in use. The server's mechListMIC took SeqNum 0 of
    the server's direction, so the first message the client receives carries SeqNum 1, whether or
    not the application hands the client the server's last token."""
    _commit(c, "client", target_param)
    ctx = _live_ctx(c)  # a later call: the context existed before the leg
    ctx.established = True
    ctx.recv_seq = 1


def _completed_client_given_mic(c: Call, leg: Leg) -> bool:
    """A Negotiate client that completed with its AUTHENTICATE leg (observed contract) is handed the
    server's last token, and its mechListMIC verifies."""
    ctx = _ctx(c)
    return (
        ctx is not None and ctx.established and ctx.state is State.AWAITING_MIC and leg.outcome is Outcome.DONE
    )


def _error_token(c: Call, role: str) -> None:
    """A failing leg that still has something to tell the peer (Kerberos KRB-ERROR)."""
    leg = _leg(c, role, None)
    if leg.token is not None and _output_problem(c, role, None) is None:
        _write_token(c, leg.token, _allocate(c))
        c.out["pOutput"] = _output(c)


# -- the tables -----------------------------------------------------------------------------------


def _contract_rules(
    function: str, prefix: str, reserved: tuple[tuple[str, str], ...], reserved_quote: str
) -> list[Rule]:
    """``reserved``: (parameter, id of its rule) for each reserved parameter that must be zero."""
    rules = []
    for name, rule_id in reserved:

        def bad_reserved(c: Call, name: str = name) -> bool:
            value = getattr(c.a, name)
            return (value.value if isinstance(value, Ref) else value) not in (0, None)  # deref, inline

        def raise_reserved(c: Call, name: str = name) -> None:
            raise c.violation(name, reserved_quote, getattr(c.a, name))

        rules.append(
            Rule(
                rule_id,
                f"{name} is not zero",
                CONTRACT_ERROR,
                Citation(function, f"parameters: {name}", reserved_quote),
                bad_reserved,
                raise_reserved,
            )
        )

    def bad_drep(c: Call) -> bool:
        value = c.a.TargetDataRep
        if isinstance(value, Ref):  # deref, inline
            value = value.value
        return value not in (SECURITY_NATIVE_DREP, SECURITY_NETWORK_DREP)

    def raise_drep(c: Call) -> None:
        raise c.violation(
            "TargetDataRep",
            "must be SECURITY_NATIVE_DREP (0x10) or SECURITY_NETWORK_DREP (0)",
            c.a.TargetDataRep,
        )

    rules.append(
        Rule(
            pick(prefix, "asc.target_data_rep", "isc.target_data_rep"),
            "TargetDataRep is neither SECURITY_NATIVE_DREP nor SECURITY_NETWORK_DREP",
            CONTRACT_ERROR,
            Citation(function, "parameters: TargetDataRep", "SECURITY_NATIVE_DREP or SECURITY_NETWORK_DREP"),
            bad_drep,
            raise_drep,
        )
    )
    return rules


def _handle_rules(function: str, prefix: str, role: str, page: str) -> list[Rule]:
    server = role == "server"
    synchronous = not page.startswith("Sspi")
    cred_invalid_status = "SEC_E_NO_CREDENTIALS" if server else "SEC_E_INVALID_HANDLE"
    cred_invalid_basis = (
        Citation(page, "returns", "phCredential does not hold a valid")
        if server and page == "AcceptSecurityContext"
        else Citation(page, "returns", cred_invalid_status)
    )
    use_needed = SECPKG_CRED_INBOUND if server else SECPKG_CRED_OUTBOUND
    return [
        Rule(
            pick(prefix, "asc.null_credential", "isc.null_credential"),
            "first call (phContext NULL) and phCredential is NULL or the zero handle",
            "SEC_E_INVALID_HANDLE",
            NULL_HANDLE_ERRATA,
            guarded(_first_call, lambda c: is_null_handle(c.a.phCredential)),
        ),
        Rule(
            pick(prefix, "asc.invalid_credential", "isc.invalid_credential"),
            "first call and phCredential is not a live credentials handle of the calling process",
            cred_invalid_status,
            cred_invalid_basis,
            guarded(_first_call, lambda c: _credential(c) is None),
        ),
        Rule(
            pick(prefix, "asc.null_context", "isc.null_context"),
            "phContext is the zero handle",
            "SEC_E_INVALID_HANDLE",
            NULL_HANDLE_ERRATA,
            guarded(_later_call, lambda c: is_null_handle(c.a.phContext)),
        ),
        Rule(
            pick(prefix, "asc.invalid_context", "isc.invalid_context"),
            "phContext is not a live context handle of the calling process (never issued, deleted, "
            "another process's)",
            "SEC_E_INVALID_HANDLE",
            Citation(page, "returns", "SEC_E_INVALID_HANDLE"),
            guarded(_later_call, lambda c: _ctx(c) is None),
        ),
        Rule(
            pick(prefix, "asc.wrong_side", "isc.wrong_side"),
            f"phContext is a {'client' if server else 'server'}-side context",
            "SEC_E_INVALID_HANDLE",
            Interpretation(
                f"What does {'AcceptSecurityContext' if server else 'InitializeSecurityContext'} do with a context "
                f"the other function built?",
                "SEC_E_INVALID_HANDLE: it is not a handle this function can continue",
            ),
            guarded(_later_call, lambda c: _live_ctx(c).role != role),
        ),
        Rule(
            pick(prefix, "asc.credential_use", "isc.credential_use"),
            f"the credentials were acquired without SECPKG_CRED_{'INBOUND' if server else 'OUTBOUND'}",
            "SEC_E_NO_CREDENTIALS",
            Citation(
                function,
                "parameters: phCredential",
                "SECPKG_CRED_INBOUND or SECPKG_CRED_BOTH"
                if server
                else "which must allow at least OUTBOUND use",
            )
            if synchronous
            else Citation(page, "returns", "SEC_E_NO_CREDENTIALS"),
            guarded(_first_call, lambda c: not _credential(c).use & use_needed),
        ),
        Rule(
            pick(prefix, "asc.credential_expired", "isc.credential_expired"),
            "the credentials expired (the world clock is past their expiry)",
            "SEC_E_NO_CREDENTIALS",
            Interpretation(
                "What do expired credentials give?",
                "SEC_E_NO_CREDENTIALS: the package has no (valid) credentials to offer",
            ),
            guarded(_first_call, lambda c: _credential(c).expiry <= c.world.clock.now),
        ),
    ]


def initialize_rules(function: str, prefix: str, target_param: str, cite: str | None = None) -> list[Rule]:
    page = cite or function
    role = "client"
    reserved_quote = "Reserved; pass zero." if page.startswith("Sspi") else "Reserved; set to zero."

    def outcome(c: Call) -> Outcome:
        leg = c.facts.get("leg")  # asked twice per call: the second time, without _leg's frame
        return (leg if leg is not None else _leg(c, role, target_param)).outcome

    def leg_is(*outcomes: Outcome) -> Any:
        # Keyed on one shared function: the table runs its outcome rules as one lookup.
        return keyed(outcome, *outcomes)

    def commit(c: Call) -> None:
        _commit(c, role, target_param)

    def leg(c: Call) -> Leg:
        known = c.facts.get("leg")
        return known if known is not None else _leg(c, role, target_param)

    return [
        *_contract_rules(
            page, prefix, (("Reserved1", "isc.reserved1"), ("Reserved2", "isc.reserved2")), reserved_quote
        ),
        *fault_rules(page, {"SEC_E_INSUFFICIENT_MEMORY": "isc.fault.memory", "SEC_E_INTERNAL_ERROR": "isc.fault.internal"}),
        *_handle_rules(function, prefix, role, page),
        Rule(
            "isc.delegate_unsupported",
            "fContextReq asks for ISC_REQ_DELEGATE from a package that cannot delegate (NTLM, Digest); "
            "under the observed contract not NTLM, which leaves the request ungranted and goes on as on Windows",
            "SEC_E_UNSUPPORTED_FUNCTION",
            Citation(page, "returns", "ISC_REQ_DELEGATE or ISC_REQ_PROMPT_FOR_CREDS"),
            lambda c: (
                _requested(c, role) & ISC_REQ_DELEGATE != 0
                and _package(c).name not in _DELEGATING
                and not (observed(c) and _package(c).name == "NTLM")
            ),
            also=(
                Citation(
                    "InitializeSecurityContextA",
                    "parameters: fContextReq",
                    "It only works together with ISC_REQ_MUTUAL_AUTH, and only Kerberos honours it.",
                ),
                Errata(
                    "windows-ntlm-isc-delegate-not-refused",
                    "observed contract: Windows' NTLM answers ISC_REQ_DELEGATE with SEC_I_CONTINUE_NEEDED",
                ),
            ),
        ),
        Rule(
            "isc.not_completed",
            "the context still waits for CompleteAuthToken on its last token",
            "SEC_E_INVALID_TOKEN",
            Interpretation(
                "What happens when a caller skips CompleteAuthToken and continues the handshake?",
                "SEC_E_INVALID_TOKEN: the context has no valid token to continue from",
            ),
            lambda c: _pending_completion(c),
        ),
        Rule(
            "isc.incomplete_message",
            "the input token is shorter than its frame announces (cut short on the wire); a "
            "SECBUFFER_EMPTY input buffer becomes SECBUFFER_MISSING with the missing byte count",
            "SEC_E_INCOMPLETE_MESSAGE",
            Citation(page, "returns", "SEC_E_INCOMPLETE_MESSAGE"),
            leg_is(Outcome.TRUNCATED),
            _mark_missing,
            also=(
                Interpretation(
                    "The page says 'Schannel only'; can other packages report it?",
                    "yes: the model's packages frame their tokens, so they can tell a token cut short from a bad one",
                ),
            ),
        ),
        Rule(
            "isc.invalid_token",
            "the input token is missing, malformed, altered, of another package or leg, of another "
            "handshake, or the context has no leg left",
            "SEC_E_INVALID_TOKEN",
            Citation(page, "returns", "SEC_E_INVALID_TOKEN"),
            leg_is(Outcome.NO_TOKEN, Outcome.BAD_TOKEN, Outcome.CROSS_CONTEXT, Outcome.BAD_STATE),
        ),
        Rule(
            "isc.no_authority",
            "Kerberos (or Negotiate whose PackageList leaves it Kerberos but not NTLM) needs the KDC and the "
            "authority is unreachable",
            "SEC_E_NO_AUTHENTICATING_AUTHORITY",
            Citation(page, "returns", "SEC_E_NO_AUTHENTICATING_AUTHORITY"),
            leg_is(Outcome.NO_AUTHORITY),
            also=(
                Interpretation(
                    "Negotiate's credentials carry a PackageList that allows Kerberos but not NTLM, and Kerberos "
                    "cannot succeed (no KDC, or no such service principal): what does the call return?",
                    "what Kerberos returns: with NTLM kept out there is nothing to fall back to, so Negotiate "
                    "uses Kerberos and fails as it does (SEC_E_NO_AUTHENTICATING_AUTHORITY here, "
                    "SEC_E_TARGET_UNKNOWN for an unknown target)",
                ),
            ),
        ),
        Rule(
            "isc.target_unknown",
            "Kerberos (or Negotiate whose PackageList leaves it Kerberos but not NTLM): the target names no "
            "service principal of the domain",
            "SEC_E_TARGET_UNKNOWN",
            Citation(page, "returns", "SEC_E_TARGET_UNKNOWN"),
            leg_is(Outcome.TARGET_UNKNOWN),
        ),
        Rule(
            "isc.logon_denied",
            "Kerberos: the KDC refuses the client's password (pre-authentication)",
            "SEC_E_LOGON_DENIED",
            Citation(page, "returns", "SEC_E_LOGON_DENIED"),
            leg_is(Outcome.LOGON_DENIED),
        ),
        Rule(
            "isc.wrong_principal",
            "mutual authentication: the reply comes from a principal other than the target's, or is a "
            "KRB-ERROR saying the ticket reached another service",
            "SEC_E_WRONG_PRINCIPAL",
            Citation(page, "returns", "SEC_E_WRONG_PRINCIPAL"),
            leg_is(Outcome.WRONG_PRINCIPAL),
        ),
        Rule(
            "isc.output_buffer",
            "the leg has a token to return and pOutput is NULL, empty, does not start with a "
            "SECBUFFER_TOKEN, or (without ISC_REQ_ALLOCATE_MEMORY) is too small for it",
            "SEC_E_BUFFER_TOO_SMALL",
            BUFFER_TOO_SMALL_ERRATA,
            lambda c: _output_problem(c, role, target_param) is not None,
        ),
        Rule(
            "isc.negotiate_ntlm_ok",
            "observed contract: Negotiate's NTLM client (SPNEGO) sent its AUTHENTICATE_MESSAGE and "
            "mechListMIC; the context is established, as on Windows, and the output token still goes to "
            "the server",
            "SEC_E_OK",
            Errata(
                "windows-negotiate-ntlm-client-ok",
                "observed contract: Windows' Negotiate client ends its NTLM AUTHENTICATE leg with SEC_E_OK",
            ),
            lambda c: observed(c) and _negotiate_ntlm_authenticate_leg(leg(c)),
            lambda c: _negotiate_ntlm_established_early(c, target_param),
            also=(
                Citation(page, "returns", "SEC_E_OK"),
                Interpretation(
                    "The client no longer waits for the server's mechListMIC: which sequence number does "
                    "the first message from the server carry?",
                    "1: the server's mechListMIC used SeqNum 0 of its direction (MS-SPNG 3.1.5.1), whether "
                    "or not the client is handed it",
                ),
            ),
        ),
        Rule(
            "isc.continue",
            "the package sent a token and expects the peer's answer",
            "SEC_I_CONTINUE_NEEDED",
            Citation(page, "returns", "SEC_I_CONTINUE_NEEDED"),
            leg_is(Outcome.CONTINUE),
            commit,
        ),
        Rule(
            "isc.complete_and_continue",
            "Digest: the token must be sealed by CompleteAuthToken, then the peer answers",
            "SEC_I_COMPLETE_AND_CONTINUE",
            Citation(page, "returns", "SEC_I_COMPLETE_AND_CONTINUE"),
            leg_is(Outcome.COMPLETE_AND_CONTINUE),
            commit,
        ),
        Rule(
            "isc.complete_needed",
            "Digest: the last token must be sealed by CompleteAuthToken",
            "SEC_I_COMPLETE_NEEDED",
            Citation(page, "returns", "SEC_I_COMPLETE_NEEDED"),
            leg_is(Outcome.COMPLETE_NEEDED),
            commit,
        ),
        Rule(
            "isc.negotiate_mic_after_ok",
            "observed contract: a Negotiate NTLM client that completed with its AUTHENTICATE leg is handed "
            "the server's last token, whose mechListMIC verifies; no output token",
            "SEC_E_OK",
            Interpretation(
                "A Negotiate client that returned SEC_E_OK with its AUTHENTICATE leg is handed the server's "
                "accept-completed token anyway (sspilib's loops step the client while the server still has a "
                "token): what does InitializeSecurityContext do?",
                "it checks the server's mechListMIC and returns SEC_E_OK with no output token; a missing or "
                "wrong mechListMIC is SEC_E_INVALID_TOKEN and the context stays established. Wine's "
                "negotiate.c never makes the call; sspilib's authenticated_contexts fixture ends its loop "
                "only on a client SEC_E_OK with no output",
            ),
            lambda c: _completed_client_given_mic(c, leg(c)),
            commit,
            also=(Citation(page, "returns", "SEC_E_OK"),),
        ),
        Rule(
            "isc.ok",
            "the context is established (any output token still goes to the server)",
            "SEC_E_OK",
            Citation(page, "returns", "SEC_E_OK"),
            leg_is(Outcome.DONE),
            commit,
        ),
        unreachable(
            "isc.incomplete_credentials",
            "SEC_I_INCOMPLETE_CREDENTIALS",
            Citation(page, "returns", "SEC_I_INCOMPLETE_CREDENTIALS"),
            "Schannel only (client certificates); the model simulates no certificate-based package",
        ),
    ]


def accept_rules(function: str, prefix: str, cite: str | None = None) -> list[Rule]:
    page = cite or function
    role = "server"

    def outcome(c: Call) -> Outcome:
        leg = c.facts.get("leg")
        return (leg if leg is not None else _leg(c, role, None)).outcome

    def leg_is(*outcomes: Outcome) -> Any:
        return keyed(outcome, *outcomes)

    def commit(c: Call) -> None:
        _commit(c, role, None)

    def raise_output(c: Call) -> None:
        raise c.violation(
            "pOutput",
            f"{_output_problem(c, role, None)}: 'Output can be produced even when the call returns SEC_E_OK, "
            "and whatever is produced must reach the client.'",
            c.a.pOutput,
        )

    return [
        *_contract_rules(page, prefix, (), ""),
        *fault_rules(page, {"SEC_E_INSUFFICIENT_MEMORY": "asc.fault.memory", "SEC_E_INTERNAL_ERROR": "asc.fault.internal"}),
        *_handle_rules(function, prefix, role, page),
        Rule(
            "asc.delegate_unsupported",
            "fContextReq asks for ASC_REQ_DELEGATE from a package that cannot delegate (NTLM, Digest)",
            "SEC_E_UNSUPPORTED_FUNCTION",
            Citation(page, "returns", "ASC_REQ_DELEGATE or ASC_REQ_PROMPT_FOR_CREDS"),
            lambda c: _requested(c, role) & ISC_REQ_DELEGATE != 0 and _package(c).name not in _DELEGATING,
        ),
        Rule(
            "asc.not_completed",
            "the context still waits for CompleteAuthToken on its last token",
            "SEC_E_INVALID_TOKEN",
            Interpretation(
                "What happens when a server skips CompleteAuthToken and continues the handshake?",
                "SEC_E_INVALID_TOKEN: the context has no valid token to continue from",
            ),
            lambda c: _pending_completion(c),
        ),
        Rule(
            "asc.incomplete_message",
            "the input token is shorter than its frame announces; a SECBUFFER_EMPTY input buffer "
            "becomes SECBUFFER_MISSING with the missing byte count",
            "SEC_E_INCOMPLETE_MESSAGE",
            Citation(page, "returns", "SEC_E_INCOMPLETE_MESSAGE"),
            leg_is(Outcome.TRUNCATED),
            _mark_missing,
        ),
        Rule(
            "asc.ticket_for_other_service",
            "Kerberos: the ticket is for another service account (the server cannot read it); the "
            "output carries a KRB-ERROR for the client",
            "SEC_E_INVALID_TOKEN",
            Citation(page, "returns", "SEC_E_INVALID_TOKEN"),
            leg_is(Outcome.WRONG_SERVICE),
            lambda c: _error_token(c, role),
        ),
        Rule(
            "asc.replay",
            "Kerberos: the same AP-REQ was accepted before (replay cache)",
            "SEC_E_INVALID_TOKEN",
            Interpretation(
                "Which code does a replayed Kerberos authenticator give?",
                "SEC_E_INVALID_TOKEN: the token passed in is not valid (any more)",
            ),
            leg_is(Outcome.REPLAY),
        ),
        Rule(
            "asc.invalid_token",
            "the input token is missing, malformed, altered, of another package or leg (for Negotiate, also "
            "of a package its credentials' PackageList keeps out), of another handshake, or the context has "
            "no leg left",
            "SEC_E_INVALID_TOKEN",
            Citation(page, "returns", "SEC_E_INVALID_TOKEN"),
            leg_is(Outcome.NO_TOKEN, Outcome.BAD_TOKEN, Outcome.CROSS_CONTEXT, Outcome.BAD_STATE),
            also=(
                Interpretation(
                    "A Negotiate server whose credentials' PackageList keeps a package out receives a first token "
                    "of that package (a Kerberos AP-REQ under '!Kerberos'): what does it return?",
                    "SEC_E_INVALID_TOKEN, as for a token of another package: the list restricts the server's "
                    "Negotiate as it does the client's. The model's Kerberos under Negotiate is not wrapped in "
                    "SPNEGO, so there is no mechanism list to pick another mechanism from (RFC 4178's answer)",
                ),
            ),
        ),
        Rule(
            "asc.no_authority",
            "NTLM/Digest: the authority that validates the client's account is unreachable",
            "SEC_E_NO_AUTHENTICATING_AUTHORITY",
            Citation(page, "returns", "SEC_E_NO_AUTHENTICATING_AUTHORITY"),
            leg_is(Outcome.NO_AUTHORITY),
        ),
        Rule(
            "asc.logon_denied",
            "NTLM/Digest: unknown user or wrong password (the proof does not match)",
            "SEC_E_LOGON_DENIED",
            Citation(page, "returns", "SEC_E_LOGON_DENIED"),
            leg_is(Outcome.LOGON_DENIED),
        ),
        Rule(
            "asc.bad_bindings",
            "NTLM or Kerberos (also under Negotiate): pInput holds a SECBUFFER_CHANNEL_BINDINGS and the "
            "client bound its token to other channel bindings (NTLM's MsvAvChannelBindings, or the Bnd of "
            "Kerberos' authenticator checksum: not their MD5, and not zeros)",
            "SEC_E_BAD_BINDINGS",
            Errata(
                "impl-ntlm-bad-bindings",
                "an NTLM server refuses an AUTHENTICATE_MESSAGE whose channel bindings are not its own with "
                "SEC_E_BAD_BINDINGS",
            ),
            leg_is(Outcome.BAD_BINDINGS),
            also=(
                Errata(
                    "impl-kerberos-bad-bindings",
                    "a Windows domain controller refuses a Kerberos AP-REQ not bound to its channel with "
                    "SEC_E_BAD_BINDINGS; MIT krb5's acceptor refuses a Bnd of other bindings with "
                    "GSS_S_BAD_BINDINGS",
                ),
                Interpretation(
                    "The page does not mention channel bindings. What does a client that sent none (no "
                    "MsvAvChannelBindings, or sixteen zeros; for Kerberos a Bnd of sixteen zeros) get from a "
                    "server that passes them?",
                    "SEC_E_OK: missing bindings are let through, as an application that does not require them "
                    "(MS-NLMP's ApplicationRequiresCBT) lets them through, and as MIT krb5's acceptor lets a "
                    "zero Bnd through; only bindings that differ are refused (a Windows server whose channel "
                    "binding policy is 'Always' refuses zeros too, a policy the model does not simulate)",
                ),
                Interpretation(
                    "Which status does a Kerberos server give for a Bnd of other bindings? The source of "
                    "impl-kerberos-bad-bindings shows Windows' SEC_E_BAD_BINDINGS for a Bnd of zeros under an "
                    "enforcing policy, and MIT's GSS_S_BAD_BINDINGS for one of other bindings; no SSPI "
                    "implementation in reach shows the status for other bindings",
                    "SEC_E_BAD_BINDINGS, the status NTLM gives for the same refusal and the SSPI counterpart "
                    "of GSS_S_BAD_BINDINGS",
                ),
            ),
        ),
        Rule(
            "asc.output_buffer",
            "the leg has a token for the client and pOutput cannot take it",
            CONTRACT_ERROR,
            Citation(
                "AcceptSecurityContext",
                "parameters: pOutput",
                "Output can be produced even when the call returns SEC_E_OK, and whatever is produced must reach the client.",
            ),
            lambda c: _output_problem(c, role, None) is not None,
            raise_output,
            also=(
                Interpretation(
                    "The page documents no status for a missing or short output buffer",
                    "the caller broke the contract (ContractError); InitializeSecurityContext has a Wine erratum instead",
                ),
            ),
        ),
        Rule(
            "asc.continue",
            "the package sent a token and expects the client's answer",
            "SEC_I_CONTINUE_NEEDED",
            Citation(page, "returns", "SEC_I_CONTINUE_NEEDED"),
            leg_is(Outcome.CONTINUE),
            commit,
        ),
        Rule(
            "asc.complete_and_continue",
            "Digest: the challenge must be sealed by CompleteAuthToken, then the client answers",
            "SEC_I_COMPLETE_AND_CONTINUE",
            Citation(page, "returns", "SEC_I_COMPLETE_AND_CONTINUE"),
            leg_is(Outcome.COMPLETE_AND_CONTINUE),
            commit,
        ),
        Rule(
            "asc.complete_needed",
            "Digest with mutual authentication: the rspauth token must be sealed by CompleteAuthToken",
            "SEC_I_COMPLETE_NEEDED",
            Citation(page, "returns", "SEC_I_COMPLETE_NEEDED"),
            leg_is(Outcome.COMPLETE_NEEDED),
            commit,
        ),
        Rule(
            "asc.ok",
            "the client is authenticated (any output token still goes to the client)",
            "SEC_E_OK",
            Citation(page, "returns", "SEC_E_OK"),
            leg_is(Outcome.DONE),
            commit,
        ),
    ]


# -- CompleteAuthToken ----------------------------------------------------------------------------


def _complete_token_buffer(c: Call) -> SecBuffer | None:
    desc = deref(c.a.pToken)
    if not isinstance(desc, SecBufferDesc):
        raise c.violation("pToken", f"expected a SecBufferDesc, got {type(desc).__name__}", desc)
    buf = desc.first(SECBUFFER_TOKEN)
    return buf if buf is not None and buf.contents else None


def _complete(c: Call) -> None:
    ctx = ctx_record(c, c.a.phContext)
    assert ctx is not None and ctx.pending_completion is not None
    buf = _complete_token_buffer(c)
    assert buf is not None
    sealed = tokens.seal_mac(c.world.key, ctx.pending_completion)
    old = buf.pvBuffer
    # The package computes the checksum in place; memory it allocated stays the same allocation.
    buf.pvBuffer = AllocatedBytes(sealed, old.address) if isinstance(old, AllocatedBytes) else sealed
    buf.cbBuffer = len(sealed)
    ctx.pending_completion = None
    ctx.established = ctx.state is State.ESTABLISHED


def complete_rules(function: str = "CompleteAuthToken", prefix: str = "cat") -> list[Rule]:
    return [
        *fault_rules(function, {"SEC_E_INTERNAL_ERROR": "cat.fault.internal"}),
        Rule(
            "cat.null_handle",
            "phContext is the zero handle",
            "SEC_E_INVALID_HANDLE",
            NULL_HANDLE_ERRATA,
            lambda c: is_null_handle(c.a.phContext),
        ),
        Rule(
            "cat.invalid_handle",
            "phContext is not a live context of the calling process",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "returns", "SEC_E_INVALID_HANDLE"),
            lambda c: ctx_record(c, c.a.phContext) is None,
        ),
        Rule(
            "cat.not_pending",
            "the context's last call did not return SEC_I_COMPLETE_NEEDED or SEC_I_COMPLETE_AND_CONTINUE "
            "(nothing to complete, or completed already)",
            "SEC_E_OUT_OF_SEQUENCE",
            Citation(
                function,
                "remarks",
                "The client calls it only when its last call to InitializeSecurityContext (Digest) returned "
                "SEC_I_COMPLETE_NEEDED or SEC_I_COMPLETE_AND_CONTINUE.",
            ),
            lambda c: live(ctx_record(c, c.a.phContext)).pending_completion is None,
            also=(
                Interpretation(
                    "Which code does a call out of turn give?",
                    "SEC_E_OUT_OF_SEQUENCE ('the message number is wrong'): the call does not fit the "
                    "sequence of the handshake",
                ),
            ),
        ),
        Rule(
            "cat.no_token",
            "pToken holds no non-empty SECBUFFER_TOKEN buffer",
            "SEC_E_INVALID_TOKEN",
            Citation(function, "returns", "SEC_E_INVALID_TOKEN"),
            lambda c: _complete_token_buffer(c) is None,
        ),
        Rule(
            "cat.altered",
            "the token in pToken is not the one the package produced (it was changed)",
            "SEC_E_MESSAGE_ALTERED",
            Citation(function, "returns", "SEC_E_MESSAGE_ALTERED"),
            lambda c: (
                live(_complete_token_buffer(c)).contents
                != live(ctx_record(c, c.a.phContext)).pending_completion
            ),
        ),
        Rule(
            "cat.ok",
            "the package seals the token in place (computes its checksum)",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            lambda c: True,
            _complete,
        ),
    ]


# -- DeleteSecurityContext ------------------------------------------------------------------------


def _delete(c: Call) -> None:
    ctx = live(ctx_record(c, c.a.phContext))
    del c.process.contexts[ctx.handle.dwLower]
    c.process.deleted.add(ctx.handle)


def _deleted_before(c: Call) -> bool:
    value = deref(c.a.phContext)
    return isinstance(value, CtxtHandle) and value in c.process.deleted


def delete_rules(
    function: str = "DeleteSecurityContext", prefix: str = "dsc", cite: str | None = None
) -> list[Rule]:
    page = cite or function
    rules = [
        Rule(
            "dsc.null_handle",
            "phContext is NULL or the zero handle",
            "SEC_E_INVALID_HANDLE",
            NULL_HANDLE_ERRATA,
            lambda c: is_null_handle(c.a.phContext),
        ),
    ]
    if page == "DeleteSecurityContext":
        rules.append(
            Rule(
                "dsc.already_deleted",
                "phContext was deleted before in this process",
                "SEC_E_OK",
                Citation(
                    page,
                    "returns",
                    "The function returns SEC_E_OK when it succeeds, and also when the handle had already been deleted.",
                ),
                _deleted_before,
            )
        )
    rules += [
        Rule(
            "dsc.invalid_handle",
            "phContext is not a live context of the calling process"
            + ("" if page == "DeleteSecurityContext" else " (deleted before included)"),
            "SEC_E_INVALID_HANDLE",
            Citation(page, "returns", "SEC_E_INVALID_HANDLE"),
            lambda c: ctx_record(c, c.a.phContext) is None,
        ),
        Rule(
            "dsc.ok",
            "the context ends; its handle is dead",
            "SEC_E_OK",
            Citation(page, "returns", "SEC_E_OK"),
            lambda c: True,
            _delete,
        ),
    ]
    return rules


ISC_A = register(
    "InitializeSecurityContextA", initialize_rules("InitializeSecurityContextA", "isc", "pszTargetName")
)
ISC_W = register(
    "InitializeSecurityContextW", initialize_rules("InitializeSecurityContextW", "isc", "pTargetName")
)
ASC = register("AcceptSecurityContext", accept_rules("AcceptSecurityContext", "asc"))
CAT = register("CompleteAuthToken", complete_rules())
DSC = register("DeleteSecurityContext", delete_rules())
