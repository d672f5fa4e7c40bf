"""The kernel-mode asynchronous family: async contexts and the Sspi*Async functions.

An async context (SspiCreateAsyncContext) tracks one operation at a time. A queuing function
(SspiAcquireCredentialsHandleAsyncA, ...) checks its arguments, returns SEC_E_OK at once and
puts the work on the world's queue; nothing happens until the world's scheduler runs it
(:meth:`World.run_pending`, explicit and deterministic). The work is the synchronous
counterpart's rule table, cited from the async page ("It is the asynchronous counterpart of
FreeCredentialsHandle"); when it finishes, the placeholders the caller passed (:class:`Ref`
cells for handles, flags and expiry; the SecBufferDesc for the output token) hold the results,
SspiGetAsyncCallStatus reports the final status instead of SEC_I_ASYNC_CALL_PENDING, and the
callback registered with SspiSetAsyncNotifyCallback runs.

The async pages give their parameters no direction; the generated contract reads them as
in/out, so every one is an argument and a field of the result. Parameters that receive a value
take a ``Ref()`` the completion fills; the result echoes the arguments.

Functions whose C return value is not a SECURITY_STATUS (SspiCreateAsyncContext returns the
pointer, SspiFreeAsyncContext nothing, SspiAsyncContextRequiresNotify a BOOLEAN,
SspiReinitAsyncContext an NTSTATUS) have tables whose "status" column holds that value's name;
the API returns the value in the result's ``value`` field (see :mod:`sspimodel.api`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from .buffers import SecBufferDesc
from .common import CONTRACT_ERROR, deref, live
from .contexts import accept_rules, delete_rules, initialize_rules
from .creds import acquire_rules, free_rules
from .errors import ContractViolation
from .handles import AsyncContext, CtxtHandle, Ref
from .rules import Call, Citation, Interpretation, Rule, RuleTable, register
from .trace import Trace
from .world import AsyncRecord

__all__ = ["COUNTERPART", "VALUE_RETURNS", "NtStatus", "completion_table"]


class NtStatus(enum.IntEnum):
    """The NTSTATUS values SspiReinitAsyncContext returns (ntstatus.h)."""

    STATUS_SUCCESS = 0x00000000
    STATUS_UNSUCCESSFUL = 0xC0000001
    STATUS_INVALID_HANDLE = 0xC0000008


# The C return value of the functions that return no SECURITY_STATUS, as the names their
# tables use in the status column.
VALUE_RETURNS: dict[str, frozenset[str]] = {
    "SspiCreateAsyncContext": frozenset({"SspiAsyncContext*"}),
    "SspiFreeAsyncContext": frozenset({"void"}),
    "SspiAsyncContextRequiresNotify": frozenset({"TRUE", "FALSE"}),
    "SspiReinitAsyncContext": frozenset(s.name for s in NtStatus),
    # issue 19: the dispatch table (sspimodel.model.dispatch)
    "InitSecurityInterfaceA": frozenset({"PSecurityFunctionTableA", "NULL"}),
    "InitSecurityInterfaceW": frozenset({"PSecurityFunctionTableW", "NULL"}),
}

# Each queuing function and the synchronous function its page names as its counterpart.
COUNTERPART: dict[str, tuple[str, str]] = {
    "SspiAcquireCredentialsHandleAsyncA": (
        "AcquireCredentialsHandleA",
        "This function serves as the asynchronous counterpart to",
    ),
    "SspiAcquireCredentialsHandleAsyncW": ("AcquireCredentialsHandleW", "This is the asynchronous form of"),
    "SspiFreeCredentialsHandleAsync": (
        "FreeCredentialsHandle",
        "It is the asynchronous counterpart of FreeCredentialsHandle.",
    ),
    "SspiInitializeSecurityContextAsyncA": (
        "InitializeSecurityContextA",
        "This is the asynchronous form of the",
    ),
    "SspiInitializeSecurityContextAsyncW": (
        "InitializeSecurityContextW",
        "This is the asynchronous form of the",
    ),
    "SspiAcceptSecurityContextAsync": ("AcceptSecurityContext", "This is the asynchronous form of"),
    "SspiDeleteSecurityContextAsync": (
        "DeleteSecurityContext",
        "It is the asynchronous counterpart of DeleteSecurityContext.",
    ),
}

# Per queuing function: parameters that receive a value (Ref cells), optional ones among them,
# and parameters that must be SecBufferDesc.
_CELLS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "SspiAcquireCredentialsHandleAsyncA": (("phCredential", "ptsExpiry"), ("ptsExpiry",), ()),
    "SspiAcquireCredentialsHandleAsyncW": (("phCredential", "ptsExpiry"), ("ptsExpiry",), ()),
    "SspiFreeCredentialsHandleAsync": ((), (), ()),
    "SspiInitializeSecurityContextAsyncA": (
        ("phNewContext", "pfContextAttr", "ptsExpiry"),
        ("ptsExpiry",),
        ("pInput", "pOutput"),
    ),
    "SspiInitializeSecurityContextAsyncW": (
        ("phNewContext", "pfContextAttr", "ptsExpiry"),
        ("ptsExpiry",),
        ("pInput", "pOutput"),
    ),
    "SspiAcceptSecurityContextAsync": (
        ("phNewContext", "pfContextAttr", "ptsExpiry"),
        (),
        ("pInput", "pOutput"),
    ),
    "SspiDeleteSecurityContextAsync": ((), (), ()),
}

_COMPLETIONS: dict[str, RuleTable] = {}


def completion_table(function: str) -> RuleTable:
    """The rules the queued work of ``function`` runs (its counterpart's, cited from its page)."""
    return _COMPLETIONS[function]


# -- async context lookups ------------------------------------------------------------------------

_DANGLING = (
    "SspiFreeAsyncContext",
    "remarks",
    "After the call the pointer is dangling: do not pass it to any other SSPI function, including SspiReinitAsyncContext.",
)


def _record(c: Call, param: str) -> AsyncRecord | None:
    value = deref(getattr(c.a, param))
    if type(value) is not AsyncContext:
        return None
    return c.process.async_contexts.get(value.address)


def _released(c: Call, param: str) -> bool:
    value = deref(getattr(c.a, param))
    return type(value) is AsyncContext and value.address in c.process.released_async


def _invalid(c: Call, param: str) -> bool:
    return _record(c, param) is None


def _raise_invalid(param: str) -> Callable[[Call], None]:
    def raise_(c: Call) -> None:
        value = getattr(c.a, param)
        if _released(c, param):
            raise c.violation(
                param, f"{value!r} was released by SspiFreeAsyncContext: '{_DANGLING[2]}'", value, "remarks"
            )
        raise c.violation(param, f"{value!r} is not an async context SspiCreateAsyncContext returned", value)

    return raise_


def _context_rules(function: str, rule_id: str, param: str) -> list[Rule]:
    """``rule_id``: the id of the table's invalid-context rule (a literal at the caller)."""
    return [
        Rule(
            rule_id,
            f"{param} is not a live async context of the calling process (never created, or released)",
            CONTRACT_ERROR,
            Citation(*_DANGLING),
            lambda c: _invalid(c, param),
            _raise_invalid(param),
            also=(
                Interpretation(
                    f"What does {function} do with a pointer that is not a live async context?",
                    "the caller broke the pages' rule (ContractError); no page documents a status for it",
                ),
            ),
        )
    ]


# -- SspiCreateAsyncContext -----------------------------------------------------------------------


def _create(c: Call) -> None:
    world = c.world
    address = world.next_address
    world.next_address += 0x10
    pointer = AsyncContext(address)
    c.process.async_contexts[address] = AsyncRecord(pointer)
    c.out["value"] = pointer


def create_rules(function: str = "SspiCreateAsyncContext") -> list[Rule]:
    return [
        Rule(
            "sca.ok",
            "a new async context, owned by the caller until SspiFreeAsyncContext",
            "SspiAsyncContext*",
            Citation(
                function,
                "returns",
                "On return the caller holds a pointer to the initialized SspiAsyncContext.",
            ),
            lambda c: True,
            _create,
        )
    ]


# -- SspiFreeAsyncContext -------------------------------------------------------------------------


def _free(c: Call) -> None:
    record = live(_record(c, "Handle"))
    del c.process.async_contexts[record.pointer.address]
    c.process.released_async.add(record.pointer.address)
    c.out["value"] = None
    c.out["Handle"] = c.a.Handle


def free_context_rules(function: str = "SspiFreeAsyncContext") -> list[Rule]:
    def raise_pending(c: Call) -> None:
        raise c.violation(
            "Handle",
            "its operation is still pending: 'Only release a context whose operation has finished.'",
            c.a.Handle,
            "remarks",
        )

    return [
        *_context_rules(function, "sfa.invalid_context", "Handle"),
        Rule(
            "sfa.pending",
            "the operation queued on the context has not finished (SspiGetAsyncCallStatus still reports "
            "SEC_I_ASYNC_CALL_PENDING)",
            CONTRACT_ERROR,
            Citation(function, "remarks", "Only release a context whose operation has finished."),
            lambda c: live(_record(c, "Handle")).pending,
            raise_pending,
        ),
        Rule(
            "sfa.ok",
            "the context is released; handles its operation produced stay valid",
            "void",
            Citation(
                function,
                "remarks",
                "Releasing the async context does not release the credential or security context handles that "
                "an operation on it produced",
            ),
            lambda c: True,
            _free,
        ),
    ]


# -- SspiReinitAsyncContext -----------------------------------------------------------------------


def _reinit(c: Call) -> None:
    record = live(_record(c, "Handle"))
    record.operation = None
    record.status = None
    c.out["value"] = NtStatus.STATUS_SUCCESS
    c.out["Handle"] = c.a.Handle


def reinit_rules(function: str = "SspiReinitAsyncContext") -> list[Rule]:
    returns = "The function fails, returning an error status, when Handle does not refer to a valid async context or when the operation last queued on it has not finished yet."

    def fail(value: NtStatus) -> Callable[[Call], None]:
        def effect(c: Call) -> None:
            c.out["value"] = value
            c.out["Handle"] = c.a.Handle

        return effect

    return [
        Rule(
            "sra.released",
            "Handle was released by SspiFreeAsyncContext",
            CONTRACT_ERROR,
            Citation(*_DANGLING),
            lambda c: _released(c, "Handle"),
            _raise_invalid("Handle"),
        ),
        Rule(
            "sra.invalid",
            "Handle is not an async context SspiCreateAsyncContext returned",
            NtStatus.STATUS_INVALID_HANDLE.name,
            Citation(function, "returns", returns),
            lambda c: _invalid(c, "Handle"),
            fail(NtStatus.STATUS_INVALID_HANDLE),
            also=(
                Interpretation(
                    "The page says 'an error status' and names none; the function returns an NTSTATUS",
                    "STATUS_INVALID_HANDLE for a pointer that is no async context, STATUS_UNSUCCESSFUL for one "
                    "whose operation is still pending",
                ),
            ),
        ),
        Rule(
            "sra.pending",
            "the operation last queued on the context has not finished",
            NtStatus.STATUS_UNSUCCESSFUL.name,
            Citation(function, "remarks", "Resetting a context whose operation is still running is refused."),
            lambda c: live(_record(c, "Handle")).pending,
            fail(NtStatus.STATUS_UNSUCCESSFUL),
        ),
        Rule(
            "sra.ok",
            "the context is reset and can carry the next request (its callback stays registered)",
            NtStatus.STATUS_SUCCESS.name,
            Citation(
                function,
                "description",
                "resets an async context so that a new asynchronous SSPI request can be queued on it",
            ),
            lambda c: True,
            _reinit,
            also=(
                Interpretation(
                    "Does resetting a context drop the completion routine registered on it?",
                    "no: the routine belongs to the context; SspiSetAsyncNotifyCallback replaces it",
                ),
            ),
        ),
    ]


# -- SspiSetAsyncNotifyCallback -------------------------------------------------------------------


def _set_callback(c: Call) -> None:
    record = live(_record(c, "Context"))
    record.callback = c.a.Callback
    record.callback_data = c.a.CallbackData
    record.callback_set = True
    c.out.update(Context=c.a.Context, Callback=c.a.Callback, CallbackData=c.a.CallbackData)


def set_callback_rules(function: str = "SspiSetAsyncNotifyCallback") -> list[Rule]:
    def raise_callable(c: Call) -> None:
        raise c.violation(
            "Callback", "expected a routine (Callback(Handle, CallbackData)) or NULL", c.a.Callback
        )

    def raise_pending(c: Call) -> None:
        raise c.violation(
            "Context",
            "its operation is already queued: 'Register the routine before queuing the asynchronous call on the context'",
            c.a.Context,
            "remarks",
        )

    return [
        *_context_rules(function, "ssn.invalid_context", "Context"),
        Rule(
            "ssn.not_callable",
            "Callback is neither NULL nor a routine",
            CONTRACT_ERROR,
            Citation(function, "parameters: Callback", "The routine to call on completion"),
            lambda c: c.a.Callback is not None and not callable(c.a.Callback),
            raise_callable,
        ),
        Rule(
            "ssn.pending",
            "an operation is already pending on the context",
            CONTRACT_ERROR,
            Citation(
                function,
                "remarks",
                "Register the routine before queuing the asynchronous call on the context",
            ),
            lambda c: live(_record(c, "Context")).pending,
            raise_pending,
        ),
        Rule(
            "ssn.ok",
            "the routine and its data are attached to the context (NULL detaches)",
            "SEC_E_OK",
            Citation(function, "remarks", "Callback and CallbackData may be NULL"),
            lambda c: True,
            _set_callback,
            also=(
                Interpretation(
                    "The page's returns section is empty, yet the function returns a SECURITY_STATUS",
                    "SEC_E_OK on success (errata entry doc-set-async-notify-callback-ok)",
                ),
            ),
        ),
    ]


# -- SspiAsyncContextRequiresNotify ---------------------------------------------------------------


def _requires(c: Call) -> bool:
    return live(_record(c, "AsyncContext")).operation != "SspiDeleteSecurityContextAsync"


def requires_notify_rules(function: str = "SspiAsyncContextRequiresNotify") -> list[Rule]:
    def answer(value: bool) -> Callable[[Call], None]:
        def effect(c: Call) -> None:
            c.out["value"] = value
            c.out["AsyncContext"] = c.a.AsyncContext

        return effect

    basis = Citation(
        "SspiSetAsyncNotifyCallback",
        "remarks",
        "Leaving Callback NULL is supported only for a context passed to SspiDeleteSecurityContextAsync.",
    )
    choice = Interpretation(
        "When does a context 'require' notification?",
        "unless the operation it carries is SspiDeleteSecurityContextAsync, the only one that may go "
        "without a routine; a context with no operation yet requires one",
    )
    return [
        *_context_rules(function, "srn.invalid_context", "AsyncContext"),
        Rule(
            "srn.false",
            "the context carries SspiDeleteSecurityContextAsync",
            "FALSE",
            basis,
            lambda c: not _requires(c),
            answer(False),
            also=(choice,),
        ),
        Rule("srn.true", "otherwise", "TRUE", basis, lambda c: True, answer(True), also=(choice,)),
    ]


# -- SspiGetAsyncCallStatus -----------------------------------------------------------------------


def _status_of(c: Call) -> None:
    record = live(_record(c, "Handle"))
    c.out["Handle"] = c.a.Handle
    c.facts["work_trace"] = record.work_trace  # explain() shows how the work reached its status
    if record.operation is not None:
        c.allowed_from = _allowed_from(record.operation)


def _allowed_from(operation: str) -> frozenset[str]:
    # Function names whose allowed sets the API unions in: the queuing function's page and its
    # counterpart's (see the interpretation on the rule).
    return frozenset({operation, COUNTERPART[operation][0]})


def _final_is(final: Callable[[Call], bool], status: str) -> Callable[[Call], bool]:
    def test(c: Call) -> bool:
        return final(c) and live(_record(c, "Handle")).status == status

    return test


def get_status_rules(function: str = "SspiGetAsyncCallStatus") -> list[Rule]:
    def final(c: Call) -> bool:
        record = live(_record(c, "Handle"))
        return record.operation is not None and not record.pending

    rules = [
        *_context_rules(function, "sgs.invalid_context", "Handle"),
        Rule(
            "sgs.idle",
            "nothing was queued on the context (since it was created or reset)",
            "SEC_E_OK",
            Interpretation(
                "What does SspiGetAsyncCallStatus report for a context that carries no operation?",
                "SEC_E_OK: nothing is pending and nothing failed",
            ),
            lambda c: live(_record(c, "Handle")).operation is None,
            _status_of,
        ),
        Rule(
            "sgs.pending",
            "the queued work has not run yet (world.run_pending() runs it)",
            "SEC_I_ASYNC_CALL_PENDING",
            Citation(
                function,
                "returns",
                "While the queued work has not finished, the function returns SEC_I_ASYNC_CALL_PENDING.",
            ),
            lambda c: live(_record(c, "Handle")).pending,
            _status_of,
        ),
    ]
    # One rule per final status the queued work can end with: the rule table stays data
    # (a status column), and the status the work produced selects the rule.
    finals = sorted(
        {
            r.status
            for name in COUNTERPART
            for r in completion_table(name).rules
            if r.status != CONTRACT_ERROR and r.reachable
        }
    )
    # The ids are written out (grep finds each); the table refuses to load when the completion
    # tables can end with a status this list lacks, or the list names one they cannot.
    listed = {rule_id.removeprefix("sgs.final."): rule_id for rule_id in _FINAL_IDS}
    if set(listed) != set(finals):
        raise ValueError(
            f"{function}: _FINAL_IDS lists {sorted(listed)}, the queued work can end with {finals}"
        )
    for status in finals:
        rules.append(
            Rule(
                listed[status],
                f"the work finished with {status}",
                status,
                Citation(
                    function,
                    "returns",
                    "Once the work is done, the function returns its final status",
                ),
                _final_is(final, status),
                _status_of,
                also=(
                    Interpretation(
                        "Which codes may the final status be? The page points to 'the page of the asynchronous "
                        "function that queued it'; SspiFreeCredentialsHandleAsync's page lists none but SEC_E_OK",
                        "the queuing function's documented codes plus those of the synchronous counterpart its "
                        "page names ('It is the asynchronous counterpart of ...')",
                    ),
                ),
            )
        )
    return rules


# -- the queuing functions ------------------------------------------------------------------------


def _queue_checks(c: Call, function: str) -> None:
    """Argument checks the queuing call makes, so that the queued work cannot fail on a bad
    argument later (the caller learns at once)."""
    cells, optional, descs = _CELLS[function]
    for name in cells:
        value = getattr(c.a, name)
        if value is None and name in optional:
            continue
        if not isinstance(value, Ref):
            raise ContractViolation(
                name,
                "the async call fills it when the work completes ('the handles, buffers and attribute flags it "
                "fills are written when the request completes'): pass a Ref()",
                value,
            )
    for name in descs:
        value = deref(getattr(c.a, name))
        if not isinstance(value, SecBufferDesc):
            raise ContractViolation(name, f"expected a SecBufferDesc, got {type(value).__name__}", value)
    for name in ("phContext",):
        if hasattr(c.a, name) and function != "SspiDeleteSecurityContextAsync":
            value = deref(getattr(c.a, name))
            if value is not None and type(value) is not CtxtHandle:
                raise ContractViolation(
                    name, "expected a CtxtHandle, or an empty Ref() on the first call", value
                )
    if function.startswith("SspiAcquireCredentialsHandleAsync"):
        from .creds import _luid

        _luid(c)
    # The counterpart's own contract rules (reserved parameters, data representation).
    for rule in completion_table(function).rules:
        if rule.status == CONTRACT_ERROR and rule.test(c) and rule.effect is not None:
            rule.effect(c)


def _busy(c: Call) -> bool:
    return live(_record(c, "AsyncContext")).operation is not None


def _no_routine(c: Call, function: str) -> bool:
    record = live(_record(c, "AsyncContext"))
    return function != "SspiDeleteSecurityContextAsync" and record.callback_set and record.callback is None


def _queue(function: str) -> Callable[[Call], None]:
    def effect(c: Call) -> None:
        _queue_checks(c, function)
        record = live(_record(c, "AsyncContext"))
        record.operation = function
        record.pending = True
        record.status = None
        world, process, args, index = c.world, c.process, c.a, c.index
        contract = c.facts.get("contract")  # the queued work keeps the caller's contract

        def work() -> None:
            _complete(world, process, function, args, index, record, contract)

        world.pending.append(work)
        for name in type(args).__attrs_attrs__:  # the result echoes the arguments
            c.out[name.name] = getattr(args, name.name)

    return effect


# Interpretation: the queued work reads its arguments when it runs (as a driver's buffers are
# read when the request is served), so a caller that changes a Ref or a SecBufferDesc between
# queuing and world.run_pending() can hand the work a value it cannot use. Such work does not
# raise out of the scheduler and does not stay pending forever: it completes with a status the
# queuing page (or its counterpart's) documents, so SspiGetAsyncCallStatus reports it and the
# async context can be reset and freed.
_REFUSED_STATUSES = ("SEC_E_INTERNAL_ERROR", "SEC_E_INVALID_HANDLE")
_REFUSED = Interpretation(
    "What does queued work whose arguments were changed into unusable values (after the queuing call "
    "checked them) complete with?",
    "SEC_E_INTERNAL_ERROR where the page documents it, else SEC_E_INVALID_HANDLE (the counterpart "
    "FreeCredentialsHandle/DeleteSecurityContext documents it); the reason is kept on the async context",
)


def refused_status(function: str) -> str:
    """The final status of queued work of ``function`` that cannot run on its arguments."""
    from .._generated import contract

    documented = contract(function).returns.documented() | contract(COUNTERPART[function][0]).returns.documented()
    for status in _REFUSED_STATUSES:
        if status in documented:
            return status
    return _REFUSED_STATUSES[0]


def _refused_rule(function: str, problem: str) -> Rule:
    return Rule(
        "work.refused",
        f"the work cannot run on its arguments: {problem}",
        refused_status(function),
        _REFUSED,
        lambda c: True,
    )


def _complete(
    world: Any,
    process: Any,
    function: str,
    args: Any,
    index: int,
    record: AsyncRecord,
    contract: str | None = None,
) -> None:
    from ..argtypes import check_arguments
    from ..contract import ContractError

    call = Call(world, process, function, args, index)
    if contract is not None:
        call.facts["contract"] = contract
    try:
        from .._generated import contract as contract_of

        check_arguments(contract_of(function), args)  # again: the caller may have changed them
        rule = completion_table(function).run(call)
    except ContractViolation as v:
        rule = _refused_rule(function, f"{v.parameter}: {v.problem}")
        call.out.clear()
    except ContractError as e:
        rule = _refused_rule(function, str(e))
        call.out.clear()
    except BaseException:
        # A defect of the model (or Ctrl-C) while the work ran: the context still completes,
        # so it can be freed; the exception goes on to the caller of run_pending().
        record.status = refused_status(function)
        record.pending = False
        record.last_rule = "work.crashed"
        raise
    for name, value in call.out.items():
        cell = getattr(args, name, None)
        if isinstance(cell, Ref):
            cell.value = value
    record.status = rule.status
    record.pending = False
    record.last_rule = rule.id
    record.work_trace = Trace(completion_table(function), rule, call)
    record.failure = rule.when if rule.id == "work.refused" else None
    if record.callback is not None:
        record.notified += 1
        record.callback(record.pointer, record.callback_data)


# The rule ids of SspiGetAsyncCallStatus' final statuses, one per status the queued work can end
# with (checked against the completion tables when the table is built).
_FINAL_IDS = (
    "sgs.final.SEC_E_BAD_BINDINGS",  # AcceptSecurityContext's queued work (errata impl-ntlm-bad-bindings)
    "sgs.final.SEC_E_BUFFER_TOO_SMALL",
    "sgs.final.SEC_E_INCOMPLETE_MESSAGE",
    "sgs.final.SEC_E_INSUFFICIENT_MEMORY",
    "sgs.final.SEC_E_INTERNAL_ERROR",
    "sgs.final.SEC_E_INVALID_HANDLE",
    "sgs.final.SEC_E_INVALID_TOKEN",
    "sgs.final.SEC_E_LOGON_DENIED",
    "sgs.final.SEC_E_NOT_OWNER",
    "sgs.final.SEC_E_NO_AUTHENTICATING_AUTHORITY",
    "sgs.final.SEC_E_NO_CREDENTIALS",
    "sgs.final.SEC_E_OK",
    "sgs.final.SEC_E_SECPKG_NOT_FOUND",
    "sgs.final.SEC_E_TARGET_UNKNOWN",
    "sgs.final.SEC_E_UNKNOWN_CREDENTIALS",
    "sgs.final.SEC_E_UNSUPPORTED_FUNCTION",
    "sgs.final.SEC_E_WRONG_PRINCIPAL",
    "sgs.final.SEC_I_COMPLETE_AND_CONTINUE",
    "sgs.final.SEC_I_COMPLETE_NEEDED",
    "sgs.final.SEC_I_CONTINUE_NEEDED",
)


def queue_rules(function: str) -> list[Rule]:
    counterpart, quote = COUNTERPART[function]

    def raise_busy(c: Call) -> None:
        record = live(_record(c, "AsyncContext"))
        state = "still pending" if record.pending else f"finished with {record.status} and not reset"
        raise c.violation(
            "AsyncContext",
            f"it already carries {record.operation} ({state}): 'An async context tracks a single asynchronous "
            "operation at a time.' Reset it with SspiReinitAsyncContext first",
            c.a.AsyncContext,
            "remarks",
        )

    def raise_routine(c: Call) -> None:
        raise c.violation(
            "AsyncContext",
            "its completion routine was set to NULL: 'For the other asynchronous functions, supply a routine.'",
            c.a.AsyncContext,
            "remarks",
        )

    return [
        *_context_rules(function, "q.invalid_context", "AsyncContext"),
        Rule(
            "q.busy",
            "the async context already carries an operation (pending, or finished and not reset)",
            CONTRACT_ERROR,
            Citation(
                "SspiCreateAsyncContext",
                "remarks",
                "An async context tracks a single asynchronous operation at a time.",
            ),
            _busy,
            raise_busy,
            also=(
                Citation(
                    "SspiCreateAsyncContext",
                    "remarks",
                    "Reuse is allowed only after the previous operation has completed.",
                ),
            ),
        ),
        Rule(
            "q.null_routine",
            "SspiSetAsyncNotifyCallback set a NULL routine on the context and this is not SspiDeleteSecurityContextAsync",
            CONTRACT_ERROR,
            Citation(
                "SspiSetAsyncNotifyCallback",
                "remarks",
                "Leaving Callback NULL is supported only for a context passed to SspiDeleteSecurityContextAsync.",
            ),
            lambda c: _no_routine(c, function),
            raise_routine,
        ),
        Rule(
            "q.queued",
            f"the request is queued; the work ({counterpart}'s rules, below) runs at world.run_pending()",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            lambda c: True,
            _queue(function),
            also=(Citation(function, "description", quote),),
        ),
    ]


def _completion_rules(function: str) -> list[Rule]:
    # The queued work runs its counterpart's rules, under the counterpart's rule ids (the same
    # rule, cited from the async function's own page where it has one).
    counterpart = COUNTERPART[function][0]
    if counterpart.startswith("AcquireCredentialsHandle"):
        return acquire_rules(
            function, "ach", "pszPrincipal", "pszPackage", cite=function, check_reserved=False
        )
    if counterpart == "FreeCredentialsHandle":
        # The async page documents SEC_E_OK only; the failure is its counterpart's.
        return free_rules(function, "fch", cite=counterpart)
    if counterpart.startswith("InitializeSecurityContext"):
        return initialize_rules(function, "isc", "pszTargetName", cite=function)
    if counterpart == "AcceptSecurityContext":
        return accept_rules(function, "asc", cite=function)
    return delete_rules(function, "dsc", cite=function)


for _name in COUNTERPART:
    _COMPLETIONS[_name] = RuleTable(_name, tuple(_completion_rules(_name)))

CREATE = register("SspiCreateAsyncContext", create_rules())
FREE = register("SspiFreeAsyncContext", free_context_rules())
REINIT = register("SspiReinitAsyncContext", reinit_rules())
SET_CALLBACK = register("SspiSetAsyncNotifyCallback", set_callback_rules())
REQUIRES = register("SspiAsyncContextRequiresNotify", requires_notify_rules())
GET_STATUS = register("SspiGetAsyncCallStatus", get_status_rules())
QUEUES = {name: register(name, queue_rules(name), completion=_COMPLETIONS[name]) for name in COUNTERPART}
