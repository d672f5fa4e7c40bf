"""The guarded API: one method per SSPI function, named as in sspi.h.

``Sspi(world, process=None)`` binds a :class:`~sspimodel.model.world.World` and one of its
processes (the world's default process when None). Each method takes the page's parameter
names as keyword arguments and:

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


_ENTRIES: dict[str, _Entry] = {}
_validators_disabled = attrs.validators.get_disabled
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
    def _call(self, name: str, kwargs: dict[str, Any]) -> Any:
        entry = _ENTRIES.get(name) or _entry(name)
        world = self.world
        if entry.kernel_only and world.caller_mode is not CallerMode.KERNEL:
            raise CallerModeError(entry.contract)
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
            if _validators_disabled():
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
        """:meth:`_call` under the observed contract (``Sspi(..., contract="observed")``)."""
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
    def AcquireCredentialsHandleA(self, **kwargs: Any) -> Any:
        return self._call("AcquireCredentialsHandleA", kwargs)

    def AcquireCredentialsHandleW(self, **kwargs: Any) -> Any:
        return self._call("AcquireCredentialsHandleW", kwargs)

    def FreeCredentialsHandle(self, **kwargs: Any) -> Any:
        return self._call("FreeCredentialsHandle", kwargs)

    # issue 19: credential attributes
    def QueryCredentialsAttributesA(self, **kwargs: Any) -> Any:
        return self._call("QueryCredentialsAttributesA", kwargs)

    def QueryCredentialsAttributesW(self, **kwargs: Any) -> Any:
        return self._call("QueryCredentialsAttributesW", kwargs)

    # issue 19: the credential family (19a)
    def QueryCredentialsAttributesExA(self, **kwargs: Any) -> Any:
        return self._call("QueryCredentialsAttributesExA", kwargs)

    def QueryCredentialsAttributesExW(self, **kwargs: Any) -> Any:
        return self._call("QueryCredentialsAttributesExW", kwargs)

    def SetCredentialsAttributesA(self, **kwargs: Any) -> Any:
        return self._call("SetCredentialsAttributesA", kwargs)

    def SetCredentialsAttributesW(self, **kwargs: Any) -> Any:
        return self._call("SetCredentialsAttributesW", kwargs)

    def ChangeAccountPasswordA(self, **kwargs: Any) -> Any:
        return self._call("ChangeAccountPasswordA", kwargs)

    def ChangeAccountPasswordW(self, **kwargs: Any) -> Any:
        return self._call("ChangeAccountPasswordW", kwargs)

    def AddCredentialsA(self, **kwargs: Any) -> Any:
        return self._call("AddCredentialsA", kwargs)

    def AddCredentialsW(self, **kwargs: Any) -> Any:
        return self._call("AddCredentialsW", kwargs)

    # -- contexts ---------------------------------------------------------------------------------
    # issue 19: setting context attributes
    def SetContextAttributesA(self, **kwargs: Any) -> Any:
        return self._call("SetContextAttributesA", kwargs)

    def SetContextAttributesW(self, **kwargs: Any) -> Any:
        return self._call("SetContextAttributesW", kwargs)

    # issue 19 (19b): the context family: QueryContextAttributesEx, ApplyControlToken, DelegateSecurityContext
    def QueryContextAttributesExA(self, **kwargs: Any) -> Any:
        return self._call("QueryContextAttributesExA", kwargs)

    def QueryContextAttributesExW(self, **kwargs: Any) -> Any:
        return self._call("QueryContextAttributesExW", kwargs)

    def ApplyControlToken(self, **kwargs: Any) -> Any:
        return self._call("ApplyControlToken", kwargs)

    def DelegateSecurityContext(self, **kwargs: Any) -> Any:
        return self._call("DelegateSecurityContext", kwargs)

    def InitializeSecurityContextA(self, **kwargs: Any) -> Any:
        return self._call("InitializeSecurityContextA", kwargs)

    def InitializeSecurityContextW(self, **kwargs: Any) -> Any:
        return self._call("InitializeSecurityContextW", kwargs)

    def AcceptSecurityContext(self, **kwargs: Any) -> Any:
        return self._call("AcceptSecurityContext", kwargs)

    def CompleteAuthToken(self, **kwargs: Any) -> Any:
        return self._call("CompleteAuthToken", kwargs)

    def DeleteSecurityContext(self, **kwargs: Any) -> Any:
        return self._call("DeleteSecurityContext", kwargs)

    def QueryContextAttributesA(self, **kwargs: Any) -> Any:
        return self._call("QueryContextAttributesA", kwargs)

    def QueryContextAttributesW(self, **kwargs: Any) -> Any:
        return self._call("QueryContextAttributesW", kwargs)

    def FreeContextBuffer(self, **kwargs: Any) -> Any:
        return self._call("FreeContextBuffer", kwargs)

    # -- impersonation and access tokens (issue 19) -----------------------------------------------
    def ImpersonateSecurityContext(self, **kwargs: Any) -> Any:
        return self._call("ImpersonateSecurityContext", kwargs)

    def RevertSecurityContext(self, **kwargs: Any) -> Any:
        return self._call("RevertSecurityContext", kwargs)

    def QuerySecurityContextToken(self, **kwargs: Any) -> Any:
        return self._call("QuerySecurityContextToken", kwargs)

    # -- the dispatch table (issue 19) -------------------------------------------------------------
    def InitSecurityInterfaceA(self, **kwargs: Any) -> Any:
        return self._call("InitSecurityInterfaceA", kwargs)

    def InitSecurityInterfaceW(self, **kwargs: Any) -> Any:
        return self._call("InitSecurityInterfaceW", kwargs)

    # -- export / import --------------------------------------------------------------------------
    def ExportSecurityContext(self, **kwargs: Any) -> Any:
        return self._call("ExportSecurityContext", kwargs)

    def ImportSecurityContextA(self, **kwargs: Any) -> Any:
        return self._call("ImportSecurityContextA", kwargs)

    def ImportSecurityContextW(self, **kwargs: Any) -> Any:
        return self._call("ImportSecurityContextW", kwargs)

    # -- packages ---------------------------------------------------------------------------------
    def QuerySecurityPackageInfoA(self, **kwargs: Any) -> Any:
        return self._call("QuerySecurityPackageInfoA", kwargs)

    def QuerySecurityPackageInfoW(self, **kwargs: Any) -> Any:
        return self._call("QuerySecurityPackageInfoW", kwargs)

    def EnumerateSecurityPackagesA(self, **kwargs: Any) -> Any:
        return self._call("EnumerateSecurityPackagesA", kwargs)

    def EnumerateSecurityPackagesW(self, **kwargs: Any) -> Any:
        return self._call("EnumerateSecurityPackagesW", kwargs)

    # -- the package registry (issue 19) ------------------------------------------------------------
    def AddSecurityPackageA(self, **kwargs: Any) -> Any:
        return self._call("AddSecurityPackageA", kwargs)

    def AddSecurityPackageW(self, **kwargs: Any) -> Any:
        return self._call("AddSecurityPackageW", kwargs)

    def DeleteSecurityPackageA(self, **kwargs: Any) -> Any:
        return self._call("DeleteSecurityPackageA", kwargs)

    def DeleteSecurityPackageW(self, **kwargs: Any) -> Any:
        return self._call("DeleteSecurityPackageW", kwargs)

    # -- messages ---------------------------------------------------------------------------------
    def MakeSignature(self, **kwargs: Any) -> Any:
        return self._call("MakeSignature", kwargs)

    def VerifySignature(self, **kwargs: Any) -> Any:
        return self._call("VerifySignature", kwargs)

    def EncryptMessage(self, **kwargs: Any) -> Any:
        return self._call("EncryptMessage", kwargs)

    def DecryptMessage(self, **kwargs: Any) -> Any:
        return self._call("DecryptMessage", kwargs)

    # -- async (kernel mode only) -----------------------------------------------------------------
    def SspiCreateAsyncContext(self, **kwargs: Any) -> Any:
        return self._call("SspiCreateAsyncContext", kwargs)

    def SspiFreeAsyncContext(self, **kwargs: Any) -> Any:
        return self._call("SspiFreeAsyncContext", kwargs)

    def SspiReinitAsyncContext(self, **kwargs: Any) -> Any:
        return self._call("SspiReinitAsyncContext", kwargs)

    def SspiSetAsyncNotifyCallback(self, **kwargs: Any) -> Any:
        return self._call("SspiSetAsyncNotifyCallback", kwargs)

    def SspiAsyncContextRequiresNotify(self, **kwargs: Any) -> Any:
        return self._call("SspiAsyncContextRequiresNotify", kwargs)

    def SspiGetAsyncCallStatus(self, **kwargs: Any) -> Any:
        return self._call("SspiGetAsyncCallStatus", kwargs)

    def SspiAcquireCredentialsHandleAsyncA(self, **kwargs: Any) -> Any:
        return self._call("SspiAcquireCredentialsHandleAsyncA", kwargs)

    def SspiAcquireCredentialsHandleAsyncW(self, **kwargs: Any) -> Any:
        return self._call("SspiAcquireCredentialsHandleAsyncW", kwargs)

    def SspiFreeCredentialsHandleAsync(self, **kwargs: Any) -> Any:
        return self._call("SspiFreeCredentialsHandleAsync", kwargs)

    def SspiInitializeSecurityContextAsyncA(self, **kwargs: Any) -> Any:
        return self._call("SspiInitializeSecurityContextAsyncA", kwargs)

    def SspiInitializeSecurityContextAsyncW(self, **kwargs: Any) -> Any:
        return self._call("SspiInitializeSecurityContextAsyncW", kwargs)

    def SspiAcceptSecurityContextAsync(self, **kwargs: Any) -> Any:
        return self._call("SspiAcceptSecurityContextAsync", kwargs)

    def SspiDeleteSecurityContextAsync(self, **kwargs: Any) -> Any:
        return self._call("SspiDeleteSecurityContextAsync", kwargs)

    # -- SASL profiles (sspimodel.model.sasl) -------------------------------------------------------
    def SaslEnumerateProfilesA(self, **kwargs: Any) -> Any:
        return self._call("SaslEnumerateProfilesA", kwargs)

    def SaslEnumerateProfilesW(self, **kwargs: Any) -> Any:
        return self._call("SaslEnumerateProfilesW", kwargs)

    def SaslGetProfilePackageA(self, **kwargs: Any) -> Any:
        return self._call("SaslGetProfilePackageA", kwargs)

    def SaslGetProfilePackageW(self, **kwargs: Any) -> Any:
        return self._call("SaslGetProfilePackageW", kwargs)

    def SaslIdentifyPackageA(self, **kwargs: Any) -> Any:
        return self._call("SaslIdentifyPackageA", kwargs)

    def SaslIdentifyPackageW(self, **kwargs: Any) -> Any:
        return self._call("SaslIdentifyPackageW", kwargs)

    # -- credential prompts (sspimodel.model.prompts) -----------------------------------------------
    def SspiPromptForCredentialsA(self, **kwargs: Any) -> Any:
        return self._call("SspiPromptForCredentialsA", kwargs)

    def SspiPromptForCredentialsW(self, **kwargs: Any) -> Any:
        return self._call("SspiPromptForCredentialsW", kwargs)

    def SspiIsPromptingNeeded(self, **kwargs: Any) -> Any:
        return self._call("SspiIsPromptingNeeded", kwargs)

    def SspiPrepareForCredRead(self, **kwargs: Any) -> Any:
        return self._call("SspiPrepareForCredRead", kwargs)

    def SspiPrepareForCredWrite(self, **kwargs: Any) -> Any:
        return self._call("SspiPrepareForCredWrite", kwargs)

    def SspiUnmarshalCredUIContext(self, **kwargs: Any) -> Any:
        return self._call("SspiUnmarshalCredUIContext", kwargs)

    def SspiGetCredUIContext(self, **kwargs: Any) -> Any:
        return self._call("SspiGetCredUIContext", kwargs)

    def SspiUpdateCredentials(self, **kwargs: Any) -> Any:
        return self._call("SspiUpdateCredentials", kwargs)
    # -- SASL contexts (sspimodel.model.sasl) -------------------------------------------------------
    def SaslInitializeSecurityContextA(self, **kwargs: Any) -> Any:
        return self._call("SaslInitializeSecurityContextA", kwargs)

    def SaslInitializeSecurityContextW(self, **kwargs: Any) -> Any:
        return self._call("SaslInitializeSecurityContextW", kwargs)

    def SaslAcceptSecurityContext(self, **kwargs: Any) -> Any:
        return self._call("SaslAcceptSecurityContext", kwargs)

    def SaslGetContextOption(self, **kwargs: Any) -> Any:
        return self._call("SaslGetContextOption", kwargs)

    def SaslSetContextOption(self, **kwargs: Any) -> Any:
        return self._call("SaslSetContextOption", kwargs)

    # -- auth identities (sspimodel.model.identity) -------------------------------------------------
    def SspiEncodeStringsAsAuthIdentity(self, **kwargs: Any) -> Any:
        return self._call("SspiEncodeStringsAsAuthIdentity", kwargs)

    def SspiEncodeAuthIdentityAsStrings(self, **kwargs: Any) -> Any:
        return self._call("SspiEncodeAuthIdentityAsStrings", kwargs)

    def SspiCopyAuthIdentity(self, **kwargs: Any) -> Any:
        return self._call("SspiCopyAuthIdentity", kwargs)

    def SspiCompareAuthIdentities(self, **kwargs: Any) -> Any:
        return self._call("SspiCompareAuthIdentities", kwargs)

    def SspiValidateAuthIdentity(self, **kwargs: Any) -> Any:
        return self._call("SspiValidateAuthIdentity", kwargs)

    def SspiFreeAuthIdentity(self, **kwargs: Any) -> Any:
        return self._call("SspiFreeAuthIdentity", kwargs)

    def SspiZeroAuthIdentity(self, **kwargs: Any) -> Any:
        return self._call("SspiZeroAuthIdentity", kwargs)

    def SspiLocalFree(self, **kwargs: Any) -> Any:
        return self._call("SspiLocalFree", kwargs)

    def SspiMarshalAuthIdentity(self, **kwargs: Any) -> Any:
        return self._call("SspiMarshalAuthIdentity", kwargs)

    def SspiUnmarshalAuthIdentity(self, **kwargs: Any) -> Any:
        return self._call("SspiUnmarshalAuthIdentity", kwargs)

    def SspiIsAuthIdentityEncrypted(self, **kwargs: Any) -> Any:
        return self._call("SspiIsAuthIdentityEncrypted", kwargs)

    def SspiEncryptAuthIdentity(self, **kwargs: Any) -> Any:
        return self._call("SspiEncryptAuthIdentity", kwargs)

    def SspiEncryptAuthIdentityEx(self, **kwargs: Any) -> Any:
        return self._call("SspiEncryptAuthIdentityEx", kwargs)

    def SspiDecryptAuthIdentity(self, **kwargs: Any) -> Any:
        return self._call("SspiDecryptAuthIdentity", kwargs)

    def SspiDecryptAuthIdentityEx(self, **kwargs: Any) -> Any:
        return self._call("SspiDecryptAuthIdentityEx", kwargs)

    def SspiExcludePackage(self, **kwargs: Any) -> Any:
        return self._call("SspiExcludePackage", kwargs)

    def SspiGetTargetHostName(self, **kwargs: Any) -> Any:
        return self._call("SspiGetTargetHostName", kwargs)


FUNCTIONS: tuple[str, ...] = tuple(
    name for name, member in vars(Sspi).items() if callable(member) and name[:1].isupper()
)


def _signature(fields: tuple[tuple[str, bool, str], ...]) -> inspect.Signature:
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
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
