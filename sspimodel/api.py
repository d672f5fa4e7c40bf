"""The guarded API: one method per SSPI function, named as in sspi.h.

``Sspi(world, process=None)`` binds a :class:`~sspimodel.model.world.World` and one of its
processes (the world's default process when None). Each method takes the page's parameter
names as keyword arguments, or positional arguments as in C (mixed with keywords if wanted).
Positional arguments bind in the order of the page's prototype (sspi.h's), skipping the [out]
parameters, which are never passed (by keyword they are refused too): the result carries them.
So ``QueryContextAttributesW(ctx, SECPKG_ATTR_SIZES)`` is ``QueryContextAttributesW(phContext=ctx,
ulAttribute=SECPKG_ATTR_SIZES)``. Too many positional arguments, an [out] parameter in its C
position, or a parameter given both ways raise :class:`~sspimodel.contract.ContractTypeError`
naming the function, the parameter and the clause. Each method:

1. refuses a kernel-mode-only function (the Sspi*Async family) in user mode, with
   :class:`CallerModeError` quoting the page's requirement;
2. builds the generated call object (``NameCall``: attrs validators check the contract); when
   attrs validators are switched off globally it calls ``NAME_CONTRACT.validate(call)`` instead,
   which runs the same compiled checks: the contract is checked once per call, always
   (:class:`~sspimodel.contract.ContractError`);
3. runs the function's rule table (:mod:`sspimodel.model.rules`);
4. checks the status against what the page allows (documented, mentioned, or errata) and
   raises :class:`~sspimodel.model.errors.UndocumentedStatus` otherwise (strict mode, the
   default) or warns;
5. returns the generated result (``NameResult``): the status, then the out-parameters.

Statuses are values: documented outcomes never raise.

Four async functions return something other than a SECURITY_STATUS (SspiCreateAsyncContext:
the pointer; SspiFreeAsyncContext: nothing; SspiAsyncContextRequiresNotify: a BOOLEAN;
SspiReinitAsyncContext: an NTSTATUS). The generated result class has no field for such a
value, so for these the API returns a subclass of it with a ``value`` field and ``status``
None (there is no status to report).
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import attrs
from attr import _config as _attrs_config

from .argtypes import compiled_check
from .contract import ContractError, ContractTypeError, FunctionContract, safe_repr
from .model.errors import ContractViolation, UndocumentedStatus, UndocumentedStatusWarning
from .model.rules import Call, Rule, RuleTable, table_for
from .model.trace import Trace
from .model.world import CallerMode, Process, World

__all__ = ["CallerModeError", "Sspi", "UndocumentedStatus"]


class CallerModeError(ContractError):
    """A kernel-mode-only function was called while the world's caller mode is user."""

    def __init__(self, contract: FunctionContract) -> None:
        problem = (
            f"callable from kernel mode only; the page's requirements say "
            f"'{contract.requirement_text}' and the world's caller mode is user "
            "(set world.caller_mode = CallerMode.KERNEL)"
        )
        super().__init__(contract.name, "(caller mode)", problem, contract.page, "user")
        self.args = (f"{contract.name}: {problem} [{contract.page}]",)
        self.requirement = contract.requirement_text


@attrs.define(slots=True)
class _Entry:
    """Everything a call of one function needs, resolved once."""

    name: str
    contract: FunctionContract
    call_class: type
    result_class: type
    validate: Any
    check_args: Any  # argtypes.compiled_check(contract): the C types of the arguments
    table: RuleTable
    allowed: frozenset[str]
    kernel_only: bool
    value_returns: frozenset[str] | None
    # The names positional arguments bind to, in order: the in, in/out and no-direction
    # parameters in the page's (= sspi.h's prototype) order; [out] parameters are left out.
    positional: tuple[str, ...]


_ENTRIES: dict[str, _Entry] = {}
_STATUS: dict[str, Any] = {}
_ALLOWED: dict[str, frozenset[str]] = {}


def _contract(function: str) -> FunctionContract:
    """The contract of one function: only its own generated module is imported."""
    from ._generated import contract

    return contract(function)


def _status_enum() -> Any:
    from ._generated.status import Status

    return Status


def allowed_statuses(function: str) -> frozenset[str]:
    """What ``function`` may return: its page's documented and mentioned codes and its errata."""
    allowed = _ALLOWED.get(function)
    if allowed is None:
        from .model.errata import errata_codes

        allowed = _contract(function).returns.allowed(errata_codes(function))
        _ALLOWED[function] = allowed
    return allowed


class _ReturnsValue:
    """How a result with a C return value (and no status) shows itself: ``F -> value``."""

    __slots__ = ()

    def __repr__(self) -> str:
        function = type(self).__name__.removesuffix("Result")
        lines = [f"{function} -> {self.value!r}"]  # type: ignore[attr-defined]
        for a in getattr(type(self), "__attrs_attrs__", ()):
            if a.name not in ("status", "value") and getattr(self, a.name) is not None:
                lines.append(f"  {a.name} = {getattr(self, a.name)!r}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(repr(self))}</pre>"


def _value_result_class(result_class: type) -> type:
    """The generated result class plus a ``value`` field for the C return value."""
    return attrs.make_class(
        result_class.__name__,
        {"value": attrs.field(default=None)},
        bases=(_ReturnsValue, result_class),
        repr=False,
    )


def _entry(name: str) -> _Entry:
    entry = _ENTRIES.get(name)
    if entry is not None:
        return entry
    from .model.async_ import VALUE_RETURNS
    from .model.identity import VALUE_RETURNS as IDENTITY_VALUE_RETURNS
    from .model.prompts import VALUE_RETURNS as PROMPT_VALUE_RETURNS

    contract = _contract(name)
    value_returns = VALUE_RETURNS.get(name) or IDENTITY_VALUE_RETURNS.get(name) or PROMPT_VALUE_RETURNS.get(name)
    result_class = (
        contract.result_class if value_returns is None else _value_result_class(contract.result_class)
    )
    entry = _Entry(
        name=name,
        contract=contract,
        call_class=contract.call_class,
        result_class=result_class,
        validate=contract.validate,
        check_args=compiled_check(contract),
        table=table_for(name),
        allowed=allowed_statuses(name),
        kernel_only=contract.kernel_mode_only,
        value_returns=value_returns,
        positional=tuple(p.name for p in contract.in_params()),
    )
    _ENTRIES[name] = entry
    return entry


def _bad_keyword(contract: FunctionContract, error: TypeError, kwargs: dict[str, Any]) -> ContractError:
    fields = {a.name for a in attrs.fields(contract.call_class)}
    unknown = [k for k in kwargs if k not in fields]
    if not unknown:
        return ContractTypeError(contract.name, "(arguments)", str(error), contract.page, safe_repr(kwargs))
    name = unknown[0]
    outs = {p.name for p in contract.params if p.direction == "out"}
    if name in outs:
        problem = f"{name} is an [out] parameter: the function fills it; read it from the result"
        clause = contract.param(name).clause
    else:
        problem = f"not a parameter of {contract.name} (its parameters: {', '.join(p.name for p in contract.params) or 'none'})"
        clause = contract.page
    return ContractTypeError(contract.name, name, problem, clause, safe_repr(kwargs[name]))


def _bind(entry: _Entry, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of a call made with positional ones (``args`` not empty).

    Interpretation (the pages give C prototypes, not a Python calling convention): positional
    arguments bind, in order, to the parameters the call class holds (in, in/out and no
    direction), in the order the page lists them, which is sspi.h's prototype order; [out]
    parameters are skipped, as they are refused by keyword (:func:`_bad_keyword`): the function
    fills them and the result carries them. So ``QueryContextAttributesExW(ctx, attr, 16)``
    binds phContext, ulAttribute and cbBuffer, and pBuffer [out] is read from the result.
    """
    names = entry.positional
    if len(args) > len(names):
        raise _too_many(entry.contract, names, args)
    bound = dict(zip(names, args, strict=False))
    for position, name in enumerate(bound):
        if name in kwargs:
            contract = entry.contract
            problem = f"given both positionally (argument {position + 1}) and by keyword"
            given = f"{safe_repr(args[position])} and {name}={safe_repr(kwargs[name])}"
            raise ContractTypeError(contract.name, name, problem, contract.param(name).clause, given)
    bound.update(kwargs)
    return bound


def _too_many(contract: FunctionContract, names: tuple[str, ...], args: tuple[Any, ...]) -> ContractError:
    """More positional arguments than the function has in and in/out parameters. When an [out]
    parameter sits within the positions given, the caller most likely followed the C prototype
    with its [out] parameters: the error names the first of them."""
    takes = (
        f"{contract.name} takes {len(names)} positional argument{'' if len(names) == 1 else 's'} "
        f"({', '.join(names) or 'none'}), {len(args)} given"
    )
    outs = [p.name for p in contract.params if p.direction == "out"]
    if outs and len(args) <= len(contract.params):
        for position, p in enumerate(contract.params[: len(args)]):
            if p.direction == "out":
                problem = (
                    f"an [out] parameter given positionally (argument {position + 1} in the page's "
                    f"prototype): the function fills it; read it from the result. Positional "
                    f"arguments skip [out] parameters: {takes}"
                )
                return ContractTypeError(contract.name, p.name, problem, p.clause, safe_repr(args[position]))
    problem = f"too many positional arguments: {takes}"
    if outs:
        problem += f"; [out] parameters ({', '.join(outs)}) are not passed: read them from the result"
    return ContractTypeError(contract.name, "(arguments)", problem, contract.page, safe_repr(args))


def _uncheckable(contract: FunctionContract, error: Exception, kwargs: dict[str, Any]) -> ContractError:
    """An argument whose own methods (hash, comparison, conversion) raised while the contract
    checked it: refused as a contract breach, never passed on to the model."""
    problem = f"an argument could not be checked: its own code raised {type(error).__name__}"
    return ContractTypeError(contract.name, "(arguments)", problem, contract.page, safe_repr(kwargs))


_OBSERVED_RESULTS: dict[type, type] = {}


def _observed_result_class(result_class: type) -> type:
    """The result class plus ``findings``: the breaches the observed contract let through."""
    cls = _OBSERVED_RESULTS.get(result_class)
    if cls is None:
        cls = attrs.make_class(
            result_class.__name__,
            {"findings": attrs.field(default=(), kw_only=True)},
            bases=(result_class,),
            repr=False,
        )
        _OBSERVED_RESULTS[result_class] = cls
    return cls


def _observed_call(entry: _Entry, kwargs: dict[str, Any]) -> tuple[Any, tuple[Any, ...]]:
    """The call object under the observed contract, and the breaches it lets through.

    The call object is built without its validators; then every clause the page's contract
    checks is checked here. A type error raises as in the documented contract; any other
    breach raises unless spec/data/observed.yaml covers it, and a covered one becomes a finding.
    """
    from .model.observed import Finding, cover

    contract = entry.contract
    with attrs.validators.disabled():
        try:
            call = entry.call_class(**kwargs)
        except ContractError:
            raise
        except TypeError as e:
            raise _bad_keyword(contract, e, kwargs) from None
    findings = []
    for breach in contract.violations(call):
        if isinstance(breach, ContractTypeError):
            raise breach
        param = contract.param(breach.parameter)
        value = getattr(call, breach.parameter)
        covering = cover(contract.name, breach.parameter, value, lambda v, p=param: p.check(contract.name, v))
        if covering is None:
            raise breach
        findings.append(
            Finding(
                contract.name, breach.parameter, breach.problem, breach.clause, covering.id, covering.source
            )
        )
    return call, tuple(findings)


def _check_answers(entry: _Entry, rule: Rule, findings: tuple[Any, ...]) -> None:
    """A NULL the observed contract let through must get the status Windows gives for it: the
    status of the errata entry the observed entry names. Otherwise the model cannot answer it
    as Windows does, and the call is refused as in the documented contract."""
    if not findings:
        return
    from .model.errata import entry as erratum
    from .model.observed import load_observed

    by_id = {e.id: e for e in load_observed()}
    for f in findings:
        covering = by_id[f.entry]
        if covering.answer is None:
            continue
        expected = erratum(covering.answer).code
        if rule.status != expected:
            raise ContractError(
                entry.name,
                f.parameter,
                f"{f.problem}; observed.yaml {covering.id} answers it with {expected}, "
                f"but the model's rule {rule.id!r} gives {rule.status}",
                f.clause,
                "None",
            )


class Sspi:
    """The SSPI functions over a simulated world, checked against their pages.

    ``strict`` (default True): a status the page does not allow raises UndocumentedStatus;
    with False it is a warning and the result is returned.

    ``contract`` (default ``"documented"``): which contract a call is held to.
    ``"documented"``: the pages' own; a breach raises ContractError. ``"observed"``: what
    Windows does; a breach that spec/data/observed.yaml covers (a value Windows takes that
    the page's table omits, or a NULL Windows answers with a status) is let through, the call
    runs, and the result carries the breach in ``findings`` (also in ``last_findings``). A
    breach nothing covers, and every type error, still raises ContractError.

    Arguments: by keyword (the page's parameter names) or positionally as in C, in the page's
    prototype order without the [out] parameters (the result carries those), in both
    contracts: ``sspi.QueryContextAttributesExW(ctx, SECPKG_ATTR_SIZES, 16)`` binds phContext,
    ulAttribute and cbBuffer; pBuffer [out] is not passed.
    """

    def __init__(
        self, world: World, process: int | None = None, *, strict: bool = True, contract: str = "documented"
    ) -> None:
        from .model.observed import CONTRACTS

        if contract not in CONTRACTS:
            raise ValueError(f"Sspi: contract must be one of {', '.join(CONTRACTS)}, not {contract!r}")
        self.world = world
        self.process: Process = world.process(process)
        self.strict = strict
        self.contract = contract
        self.last_rule: Rule | None = None
        self.last_findings: tuple[Any, ...] = ()
        # The last decided call (its table, rule and Call), from which last_trace is built when
        # it is first read; None before any call and after a refused one.
        self._decided: tuple[RuleTable, Rule, Call] | None = None
        self._trace: Trace | None = None

    @property
    def last_trace(self) -> Trace | None:
        """What the last call did (rules tried, the one that fired, the package leg, the page
        lines): see sspimodel.model.trace. None before any call and after a refused one.

        Built from the last call's record when first read (the same Trace every read)."""
        trace = self._trace
        if trace is None and self._decided is not None:
            trace = self._trace = Trace(*self._decided)
        return trace

    @last_trace.setter
    def last_trace(self, trace: Trace | None) -> None:
        self._trace = trace
        self._decided = None

    def __repr__(self) -> str:
        shown = "" if self.contract == "documented" else f", {self.contract} contract"
        return f"Sspi(process {self.process.pid} {self.process.image!r}, {self.world.caller_mode.value} mode{shown})"

    def explain(self) -> Any:
        """Why the last call returned what it did: the rules tried, the one that fired and the
        branch of its condition that held, the package leg and its reason, and the page lines
        behind it (text with ``print``, a table in notebooks)."""
        if self.last_trace is None:
            raise ValueError("no call has been decided on this Sspi yet (none made, or the last one was refused)")
        return self.last_trace.explain()

    # -- the call path ----------------------------------------------------------------------------
    def _call(self, name: str, kwargs: dict[str, Any], args: tuple[Any, ...] = ()) -> Any:
        entry = _ENTRIES.get(name) or _entry(name)
        world = self.world
        if entry.kernel_only and world.caller_mode is not CallerMode.KERNEL:
            raise CallerModeError(entry.contract)
        if args:  # the keyword-only call pays nothing for positional binding
            kwargs = _bind(entry, args, kwargs)
        if self.contract == "observed":
            return self._call_observed(entry, kwargs)
        try:
            call = entry.call_class(**kwargs)
        except ContractError:
            raise
        except TypeError as e:
            raise _bad_keyword(entry.contract, e, kwargs) from None
        except Exception as e:  # a caller's value whose own methods raise while it is checked
            raise _uncheckable(entry.contract, e, kwargs) from None
        try:
            # The page's contract is checked once per call: by the call class's attrs validators
            # (the same compiled checks as FunctionContract.validate), or, when attrs validators
            # are switched off globally, by validate() itself.
            # (attrs' own generated __init__ reads this flag the same way: attrs.validators.get_disabled()
            # is the public spelling of `not _config._run_validators`, at two calls per API call.)
            if _attrs_config._run_validators is not True:
                entry.validate(call)
            entry.check_args(call)  # the C types (handles, buffers): before any state change
        except ContractError:
            raise
        except Exception as e:
            raise _uncheckable(entry.contract, e, kwargs) from None
        self.last_findings = ()
        # A refused call changes no state, not even the call counter (the fault plan's "nth").
        c = Call(world, self.process, name, call, world.calls + 1)
        table = entry.table
        try:
            rule = table.run(c)
        except ContractViolation as v:
            # No rule decided this call: last_rule must not keep describing the previous one.
            self.last_rule = None
            self.last_trace = None
            raise self._contract_error(entry, v) from None
        world.calls = c.index
        self.last_rule = rule
        self._decided = (table, rule, c)
        self._trace = None
        status = rule.status
        if entry.value_returns is not None:
            if status not in entry.value_returns:
                self._undocumented(entry, rule, entry.value_returns)
            return entry.result_class(status=None, **c.out)
        if status not in entry.allowed and not self._allowed_via(c, status):
            self._undocumented(entry, rule, entry.allowed)
        code = _STATUS.get(status)
        if code is None:
            code = self._status(entry, rule)
        return entry.result_class(code, **c.out)

    def _call_observed(self, entry: _Entry, kwargs: dict[str, Any]) -> Any:
        """:meth:`_call` under the observed contract (``Sspi(..., contract="observed")``).

        ``kwargs`` are the call's arguments by name: :meth:`_call` has already bound the positional
        ones (:func:`_bind`), so both contracts take the same positional calls."""
        world = self.world
        try:
            call, findings = _observed_call(entry, kwargs)
        except ContractError:
            raise
        except Exception as e:  # a caller's value whose own methods raise while it is checked
            raise _uncheckable(entry.contract, e, kwargs) from None
        try:
            # The observed contract checked the page's clauses one by one above.
            entry.check_args(call)  # the C types (handles, buffers): before any state change
        except ContractError:
            raise
        except Exception as e:
            raise _uncheckable(entry.contract, e, kwargs) from None
        self.last_findings = findings
        # A refused call changes no state, not even the call counter (the fault plan's "nth").
        c = Call(world, self.process, entry.name, call, world.calls + 1)
        c.facts["contract"] = "observed"  # read by the rules through model.common.observed
        table = entry.table
        try:
            rule = table.run(c)
        except ContractViolation as v:
            # No rule decided this call: last_rule must not keep describing the previous one.
            self.last_rule = None
            self.last_trace = None
            raise self._contract_error(entry, v) from None
        world.calls = c.index
        self.last_rule = rule
        self._decided = (table, rule, c)
        self._trace = None
        status = rule.status
        _check_answers(entry, rule, findings)
        result_class = _observed_result_class(entry.result_class)
        if entry.value_returns is not None:
            if status not in entry.value_returns:
                self._undocumented(entry, rule, entry.value_returns)
            return result_class(status=None, findings=findings, **c.out)
        if status not in entry.allowed and not self._allowed_via(c, status):
            self._undocumented(entry, rule, entry.allowed)
        code = _STATUS.get(status)
        if code is None:
            code = self._status(entry, rule)
        return result_class(code, findings=findings, **c.out)

    @staticmethod
    def _allowed_via(c: Call, status: str) -> bool:
        if not c.allowed_from:
            return False
        return any(status in allowed_statuses(f) for f in c.allowed_from)

    def _status(self, entry: _Entry, rule: Rule) -> Any:
        status_enum = _status_enum()
        try:
            code = status_enum[rule.status]
        except KeyError:
            raise UndocumentedStatus(
                entry.name, rule.status, rule.id, entry.allowed, entry.contract.page
            ) from None
        _STATUS[rule.status] = code
        return code

    def _undocumented(self, entry: _Entry, rule: Rule, allowed: frozenset[str]) -> None:
        error = UndocumentedStatus(entry.name, rule.status, rule.id, allowed, entry.contract.page)
        if self.strict:
            raise error
        warnings.warn(str(error), UndocumentedStatusWarning, stacklevel=3)

    @staticmethod
    def _contract_error(entry: _Entry, v: ContractViolation) -> ContractError:
        contract = entry.contract
        try:
            clause = contract.param(v.parameter).clause
        except KeyError:
            clause = contract.page
        return ContractError(contract.name, v.parameter, v.problem, clause, safe_repr(v.given))

    # -- credentials ------------------------------------------------------------------------------
    def AcquireCredentialsHandleA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("AcquireCredentialsHandleA", kwargs, args)

    def AcquireCredentialsHandleW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("AcquireCredentialsHandleW", kwargs, args)

    def FreeCredentialsHandle(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("FreeCredentialsHandle", kwargs, args)

    # issue 19: credential attributes
    def QueryCredentialsAttributesA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("QueryCredentialsAttributesA", kwargs, args)

    def QueryCredentialsAttributesW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("QueryCredentialsAttributesW", kwargs, args)

    # issue 19: the credential family (19a)
    def QueryCredentialsAttributesExA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("QueryCredentialsAttributesExA", kwargs, args)

    def QueryCredentialsAttributesExW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("QueryCredentialsAttributesExW", kwargs, args)

    def SetCredentialsAttributesA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SetCredentialsAttributesA", kwargs, args)

    def SetCredentialsAttributesW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SetCredentialsAttributesW", kwargs, args)

    def ChangeAccountPasswordA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("ChangeAccountPasswordA", kwargs, args)

    def ChangeAccountPasswordW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("ChangeAccountPasswordW", kwargs, args)

    def AddCredentialsA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("AddCredentialsA", kwargs, args)

    def AddCredentialsW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("AddCredentialsW", kwargs, args)

    # -- contexts ---------------------------------------------------------------------------------
    # issue 19: setting context attributes
    def SetContextAttributesA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SetContextAttributesA", kwargs, args)

    def SetContextAttributesW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SetContextAttributesW", kwargs, args)

    # issue 19 (19b): the context family: QueryContextAttributesEx, ApplyControlToken, DelegateSecurityContext
    def QueryContextAttributesExA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("QueryContextAttributesExA", kwargs, args)

    def QueryContextAttributesExW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("QueryContextAttributesExW", kwargs, args)

    def ApplyControlToken(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("ApplyControlToken", kwargs, args)

    def DelegateSecurityContext(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("DelegateSecurityContext", kwargs, args)

    def InitializeSecurityContextA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("InitializeSecurityContextA", kwargs, args)

    def InitializeSecurityContextW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("InitializeSecurityContextW", kwargs, args)

    def AcceptSecurityContext(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("AcceptSecurityContext", kwargs, args)

    def CompleteAuthToken(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("CompleteAuthToken", kwargs, args)

    def DeleteSecurityContext(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("DeleteSecurityContext", kwargs, args)

    def QueryContextAttributesA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("QueryContextAttributesA", kwargs, args)

    def QueryContextAttributesW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("QueryContextAttributesW", kwargs, args)

    def FreeContextBuffer(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("FreeContextBuffer", kwargs, args)

    # -- impersonation and access tokens (issue 19) -----------------------------------------------
    def ImpersonateSecurityContext(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("ImpersonateSecurityContext", kwargs, args)

    def RevertSecurityContext(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("RevertSecurityContext", kwargs, args)

    def QuerySecurityContextToken(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("QuerySecurityContextToken", kwargs, args)

    # -- the dispatch table (issue 19) -------------------------------------------------------------
    def InitSecurityInterfaceA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("InitSecurityInterfaceA", kwargs, args)

    def InitSecurityInterfaceW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("InitSecurityInterfaceW", kwargs, args)

    # -- export / import --------------------------------------------------------------------------
    def ExportSecurityContext(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("ExportSecurityContext", kwargs, args)

    def ImportSecurityContextA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("ImportSecurityContextA", kwargs, args)

    def ImportSecurityContextW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("ImportSecurityContextW", kwargs, args)

    # -- packages ---------------------------------------------------------------------------------
    def QuerySecurityPackageInfoA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("QuerySecurityPackageInfoA", kwargs, args)

    def QuerySecurityPackageInfoW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("QuerySecurityPackageInfoW", kwargs, args)

    def EnumerateSecurityPackagesA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("EnumerateSecurityPackagesA", kwargs, args)

    def EnumerateSecurityPackagesW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("EnumerateSecurityPackagesW", kwargs, args)

    # -- the package registry (issue 19) ------------------------------------------------------------
    def AddSecurityPackageA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("AddSecurityPackageA", kwargs, args)

    def AddSecurityPackageW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("AddSecurityPackageW", kwargs, args)

    def DeleteSecurityPackageA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("DeleteSecurityPackageA", kwargs, args)

    def DeleteSecurityPackageW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("DeleteSecurityPackageW", kwargs, args)

    # -- messages ---------------------------------------------------------------------------------
    def MakeSignature(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("MakeSignature", kwargs, args)

    def VerifySignature(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("VerifySignature", kwargs, args)

    def EncryptMessage(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("EncryptMessage", kwargs, args)

    def DecryptMessage(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("DecryptMessage", kwargs, args)

    # -- async (kernel mode only) -----------------------------------------------------------------
    def SspiCreateAsyncContext(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiCreateAsyncContext", kwargs, args)

    def SspiFreeAsyncContext(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiFreeAsyncContext", kwargs, args)

    def SspiReinitAsyncContext(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiReinitAsyncContext", kwargs, args)

    def SspiSetAsyncNotifyCallback(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiSetAsyncNotifyCallback", kwargs, args)

    def SspiAsyncContextRequiresNotify(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiAsyncContextRequiresNotify", kwargs, args)

    def SspiGetAsyncCallStatus(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiGetAsyncCallStatus", kwargs, args)

    def SspiAcquireCredentialsHandleAsyncA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiAcquireCredentialsHandleAsyncA", kwargs, args)

    def SspiAcquireCredentialsHandleAsyncW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiAcquireCredentialsHandleAsyncW", kwargs, args)

    def SspiFreeCredentialsHandleAsync(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiFreeCredentialsHandleAsync", kwargs, args)

    def SspiInitializeSecurityContextAsyncA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiInitializeSecurityContextAsyncA", kwargs, args)

    def SspiInitializeSecurityContextAsyncW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiInitializeSecurityContextAsyncW", kwargs, args)

    def SspiAcceptSecurityContextAsync(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiAcceptSecurityContextAsync", kwargs, args)

    def SspiDeleteSecurityContextAsync(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiDeleteSecurityContextAsync", kwargs, args)

    # -- SASL profiles (sspimodel.model.sasl) -------------------------------------------------------
    def SaslEnumerateProfilesA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SaslEnumerateProfilesA", kwargs, args)

    def SaslEnumerateProfilesW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SaslEnumerateProfilesW", kwargs, args)

    def SaslGetProfilePackageA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SaslGetProfilePackageA", kwargs, args)

    def SaslGetProfilePackageW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SaslGetProfilePackageW", kwargs, args)

    def SaslIdentifyPackageA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SaslIdentifyPackageA", kwargs, args)

    def SaslIdentifyPackageW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SaslIdentifyPackageW", kwargs, args)

    # -- credential prompts (sspimodel.model.prompts) -----------------------------------------------
    def SspiPromptForCredentialsA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiPromptForCredentialsA", kwargs, args)

    def SspiPromptForCredentialsW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiPromptForCredentialsW", kwargs, args)

    def SspiIsPromptingNeeded(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiIsPromptingNeeded", kwargs, args)

    def SspiPrepareForCredRead(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiPrepareForCredRead", kwargs, args)

    def SspiPrepareForCredWrite(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiPrepareForCredWrite", kwargs, args)

    def SspiUnmarshalCredUIContext(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiUnmarshalCredUIContext", kwargs, args)

    def SspiGetCredUIContext(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiGetCredUIContext", kwargs, args)

    def SspiUpdateCredentials(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiUpdateCredentials", kwargs, args)
    # -- SASL contexts (sspimodel.model.sasl) -------------------------------------------------------
    def SaslInitializeSecurityContextA(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SaslInitializeSecurityContextA", kwargs, args)

    def SaslInitializeSecurityContextW(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SaslInitializeSecurityContextW", kwargs, args)

    def SaslAcceptSecurityContext(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SaslAcceptSecurityContext", kwargs, args)

    def SaslGetContextOption(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SaslGetContextOption", kwargs, args)

    def SaslSetContextOption(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SaslSetContextOption", kwargs, args)

    # -- auth identities (sspimodel.model.identity) -------------------------------------------------
    def SspiEncodeStringsAsAuthIdentity(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiEncodeStringsAsAuthIdentity", kwargs, args)

    def SspiEncodeAuthIdentityAsStrings(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiEncodeAuthIdentityAsStrings", kwargs, args)

    def SspiCopyAuthIdentity(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiCopyAuthIdentity", kwargs, args)

    def SspiCompareAuthIdentities(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiCompareAuthIdentities", kwargs, args)

    def SspiValidateAuthIdentity(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiValidateAuthIdentity", kwargs, args)

    def SspiFreeAuthIdentity(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiFreeAuthIdentity", kwargs, args)

    def SspiZeroAuthIdentity(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiZeroAuthIdentity", kwargs, args)

    def SspiLocalFree(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiLocalFree", kwargs, args)

    def SspiMarshalAuthIdentity(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiMarshalAuthIdentity", kwargs, args)

    def SspiUnmarshalAuthIdentity(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiUnmarshalAuthIdentity", kwargs, args)

    def SspiIsAuthIdentityEncrypted(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiIsAuthIdentityEncrypted", kwargs, args)

    def SspiEncryptAuthIdentity(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiEncryptAuthIdentity", kwargs, args)

    def SspiEncryptAuthIdentityEx(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiEncryptAuthIdentityEx", kwargs, args)

    def SspiDecryptAuthIdentity(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiDecryptAuthIdentity", kwargs, args)

    def SspiDecryptAuthIdentityEx(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiDecryptAuthIdentityEx", kwargs, args)

    def SspiExcludePackage(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiExcludePackage", kwargs, args)

    def SspiGetTargetHostName(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("SspiGetTargetHostName", kwargs, args)


FUNCTIONS: tuple[str, ...] = tuple(
    name for name, member in vars(Sspi).items() if callable(member) and name[:1].isupper()
)


def _signature(fields: tuple[tuple[str, bool, str], ...]) -> inspect.Signature:
    # ``*args``: positional arguments bind in the page's prototype order (see _bind). The
    # keyword parameters are listed as the call class holds them (required ones first), which for
    # some functions is not that order, and a Python signature cannot show a required parameter
    # after an optional one positionally, so the order lives in the docs, not here.
    params = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL),
    ]
    for name, required, annotation in fields:
        default = inspect.Parameter.empty if required else None
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation))
    return inspect.Signature(params)


def _document_methods() -> None:
    """Give each method the page's parameters as its signature and the page's summary as its doc.

    From the generated table of what each call class holds (``METHODS`` of ``sspimodel._generated``),
    so that importing the API imports none of the generated call classes (they load per function,
    on its first call)."""
    from ._generated import METHODS

    for name in FUNCTIONS:
        result_name, page, fields, doc = METHODS[name]
        method = getattr(Sspi, name)
        method.__signature__ = _signature(fields)
        method.__doc__ = f"{doc}\n\nReturns {result_name}. Page: {page}"


_document_methods()
