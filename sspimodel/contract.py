"""The contract of an SSPI function as its reference page documents it, and the check of a call.

This module is hand-written; ``sspimodel._generated`` (written by ``sspimodel.codegen``) builds
one :class:`FunctionContract` per function from these classes. The generated call classes
check every parameter with attrs validators made by :func:`checker`; because attrs validators
can be switched off globally (``attrs.validators.set_disabled(True)``), the API layer re-checks
a call explicitly with :meth:`FunctionContract.validate`, which runs the very same compiled
checks as the validators and so cannot drift from them.

Compiled checks (speed, not meaning): every guarded call runs each input parameter's check
twice, so :func:`checker` compiles a parameter's check once into a closure that answers the
common cases from precomputed data (the required flag; the enum table as a frozenset; a bounded
cache of flag values and ANSI strings already accepted) and otherwise falls back to
:meth:`ParamContract.check`. Only values the full check has accepted are ever cached, and every
rejection is raised by the full check itself, so verdicts and messages are those of
:meth:`ParamContract.check`. The ANSI string cache is dropped whenever :func:`set_ansi_codepage`
changes the code page.

What a contract clause is, and where it comes from (all from the page, never from the header):

- required vs optional: the page's annotation (``[in]`` vs ``[in, optional]``) or its prose
  (``*optional*``). A required input given as ``None`` (C ``NULL``) or not given at all breaks
  the contract. Optional inputs default to ``None``.
- value tables: a parameter with a ``Value``/``Meaning`` table takes one of the listed values
  (kind ``"enum"``) or an OR of them (kind ``"flags"``; 0, the empty OR, is accepted), either
  as a member of the generated enum/flag class or as a plain int.
- strings: a string parameter of an ANSI (``...A``) function takes ``bytes`` or a ``str``
  encodable in the configured ANSI code page (default cp1252, see :func:`set_ansi_codepage`);
  a string parameter of a Unicode (``...W``) function takes ``str``.

Interpretation (the pages are silent): the async kernel-mode pages (``SspiAcquireCredentialsHandleAsyncA``
and kin) give their parameters no ``[in]``/``[out]`` annotation at all. Such a parameter has
direction ``"unknown"`` and is treated as in/out: it is a field of the call class (required
unless the page calls it optional) AND a field of the result class.
"""

from __future__ import annotations

import codecs
import enum
from collections.abc import Callable
from typing import Any

from attrs import frozen

__all__ = [
    "DIRECTIONS",
    "KINDS",
    "ContractError",
    "ContractTypeError",
    "FunctionContract",
    "ParamContract",
    "Result",
    "ReturnSet",
    "checker",
    "example_value",
    "get_ansi_codepage",
    "out_of_table_value",
    "safe_repr",
    "set_ansi_codepage",
]

DIRECTIONS = ("in", "out", "inout", "unknown")
KINDS = ("ansi_string", "wide_string", "enum", "flags", "any")
# Directions whose parameter the caller supplies (fields of the call class).
_INPUT_DIRECTIONS = frozenset({"in", "inout", "unknown"})
# Directions whose parameter the function fills in (fields of the result class).
_OUTPUT_DIRECTIONS = frozenset({"out", "inout", "unknown"})

_DEFAULT_ANSI_CODEPAGE = "cp1252"
_ansi_codepage = _DEFAULT_ANSI_CODEPAGE

# Bounds of the caches of accepted values (a cache that is full stops growing; it is never wrong,
# only less useful). Programs pass few distinct strings and flag combinations.
_ANSI_CACHE_MAX = 1024
_FLAGS_CACHE_MAX = 256
# Exact ``str`` values the full check found encodable in the current ANSI code page. Replaced
# (never mutated in place) by set_ansi_codepage, so a check racing with a change can only add
# to the set of the code page it checked against.
_ansi_accepted: set[str] = set()


def set_ansi_codepage(name: str | None) -> str:
    """Set the ANSI code page that A-function strings must be encodable in; return the old one.

    ``None`` restores the default (cp1252, the ANSI code page of a Western-European Windows).
    Raises LookupError for a codec Python does not know.
    """
    global _ansi_codepage, _ansi_accepted
    old = _ansi_codepage
    _ansi_codepage = codecs.lookup(name).name if name is not None else _DEFAULT_ANSI_CODEPAGE
    # The code page first, then the cache: a check that sees the new (empty) cache also sees the
    # new code page. What was accepted under the old code page may not be encodable in the new one.
    _ansi_accepted = set()
    return old


def get_ansi_codepage() -> str:
    return _ansi_codepage


class ContractError(ValueError):
    """The caller broke a clause of the documented contract of a function.

    The message names the function, the parameter, what is wrong, and the clause (the
    ``file:line`` of the page that documents the parameter), e.g.
    ``AcquireCredentialsHandleA: parameter fCredentialUse: 7 is not in the documented value
    table (SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND) [spec/pages/AcquireCredentialsHandleA.md:77]``.
    """

    def __init__(self, function: str, parameter: str, problem: str, clause: str, given: str) -> None:
        super().__init__(f"{function}: parameter {parameter}: {problem} [{clause}]")
        self.function = function
        self.parameter = parameter
        self.problem = problem
        self.clause = clause
        self.given = given


class ContractTypeError(ContractError, TypeError):
    """A contract break where the value has the wrong type (an int for a string, bytes for a W string)."""


def safe_repr(value: object, limit: int = 200) -> str:
    """``repr(value)`` for an error message: never raises (a caller's object whose ``__repr__``
    breaks is named by its type) and never longer than ``limit`` characters."""
    try:
        text = repr(value)
    except Exception as e:
        text = f"<{type(value).__name__} object (repr failed: {type(e).__name__})>"
    if not isinstance(text, str):
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(value: object) -> str:
    """How a given value is shown in an error: enum members by name, other values by repr."""
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name} ({safe_repr(value.value)})"
    return safe_repr(value)


@frozen
class ParamContract:
    """One parameter as the page documents it.

    ``values`` is the page's value table with the numbers the generator found (from the page,
    or from spec/data/constants.tsv where the page prints none), in page order.
    ``unnumbered`` names table entries for which no number is known: they are reported by the
    generator and cannot be passed (nothing is invented for them).
    """

    name: str
    direction: str  # "in" | "out" | "inout" | "unknown"
    optional: bool
    kind: str  # "ansi_string" | "wide_string" | "enum" | "flags" | "any"
    values: tuple[tuple[str, int], ...] = ()
    value_type: type[enum.IntEnum] | type[enum.IntFlag] | None = None
    clause: str = ""  # "spec/pages/X.md:LINE": where the page documents the parameter
    first_sentence: str = ""
    unnumbered: tuple[str, ...] = ()

    @property
    def is_input(self) -> bool:
        return self.direction in _INPUT_DIRECTIONS

    @property
    def is_output(self) -> bool:
        return self.direction in _OUTPUT_DIRECTIONS

    @property
    def required(self) -> bool:
        """A caller must supply it: an input the page does not call optional."""
        return self.is_input and not self.optional

    def annotation(self) -> str:
        """The annotation as the page would print it (``[in]``, ``[in, out, optional]``)."""
        if self.direction == "unknown":
            return "[optional]" if self.optional else "no direction"
        parts = ["in", "out"] if self.direction == "inout" else [self.direction]
        if self.optional:
            parts.append("optional")
        return "[" + ", ".join(parts) + "]"

    def value_names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.values) + self.unnumbered

    def _error(self, function: str, problem: str, value: object, cls: type[ContractError] = ContractError) -> ContractError:
        return cls(function, self.name, problem, self.clause, _describe(value))

    def check(self, function: str, value: object) -> None:
        """Raise ContractError when ``value`` breaks this parameter's documented contract."""
        if value is None:
            if self.required:
                if self.direction == "unknown":
                    why = "the page gives it no direction, read as in/out, and does not call it optional"
                else:
                    why = f"the page marks it {self.annotation()}, not optional"
                raise self._error(function, f"required parameter missing ({why})", value)
            return
        if self.kind == "ansi_string":
            self._check_ansi(function, value)
        elif self.kind == "wide_string":
            if not isinstance(value, str):
                raise self._error(
                    function,
                    f"expected str (a Unicode string of a W function), got {type(value).__name__}",
                    value,
                    ContractTypeError,
                )
        elif self.kind in ("enum", "flags"):
            self._check_number(function, value)

    def _check_ansi(self, function: str, value: object) -> None:
        if isinstance(value, bytes | bytearray):
            return
        if not isinstance(value, str):
            raise self._error(
                function,
                f"expected str or bytes (an ANSI string of an A function), got {type(value).__name__}",
                value,
                ContractTypeError,
            )
        codepage = _ansi_codepage
        try:
            str.encode(value, codepage)  # str's own method: a subclass may override encode()
        except UnicodeEncodeError as e:
            bad = value[e.start : e.end]
            raise self._error(
                function,
                f"{safe_repr(value)} is not encodable in the ANSI code page {codepage} "
                f"({str.__repr__(bad)} at index {e.start}); pass bytes or set_ansi_codepage()",
                value,
            ) from None

    def _table_text(self) -> str:
        names = ", ".join(n for n, _ in self.values)
        if self.unnumbered:
            missing = ", ".join(self.unnumbered)
            names = f"{names}; no known number for {missing}" if names else f"no known number for {missing}"
        return names

    def _check_number(self, function: str, value: object) -> None:
        type_name = self.value_type.__name__ if self.value_type is not None else "int"
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._error(
                function, f"expected {type_name} or int, got {type(value).__name__}", value, ContractTypeError
            )
        if isinstance(value, enum.Enum) and self.value_type is not None and not isinstance(value, self.value_type):
            raise self._error(
                function, f"expected {type_name} or int, got {type(value).__name__}", value, ContractTypeError
            )
        number = int.__int__(value)  # int's own conversion: a subclass may override __int__
        numbers = [n for _, n in self.values]
        if self.kind == "enum":
            # "This parameter can be one of the following values."
            if number not in numbers:
                raise self._error(
                    function, f"{_describe(value)} is not in the documented value table ({self._table_text()})", value
                )
            return
        # "This parameter can be one or more of the following values" / "bit flags ... combined":
        # the value must be the OR of some subset of the table's values (0 = no flag).
        covered = 0
        for n in numbers:
            if number >= 0 and n & ~number == 0:
                covered |= n
        if number < 0 or covered != number:
            shown = f"0x{number:X}" if number >= 0 else str(number)
            raise self._error(
                function,
                f"{shown} is not an OR of the documented flags ({self._table_text()})",
                value,
            )


Validator = Callable[[Any, Any, Any], None]

# (function, id(param)) -> (param, compiled check). The param is kept so its id is never reused;
# contracts are module constants of the generated code, so this holds one entry per parameter.
_COMPILED: dict[tuple[str, int], tuple[ParamContract, Validator]] = {}


def _compile(function: str, param: ParamContract) -> Validator:
    """The check of ``param`` in ``function`` as one attrs-validator-shaped call.

    Each closure answers from precomputed data only when the answer is "conforms" and is known
    to be what :meth:`ParamContract.check` would say; any other value goes to the full check,
    which accepts it or raises the one and only error message.
    """
    full = param.check
    required = param.required
    kind = param.kind

    def missing() -> None:
        full(function, None)  # raises "required parameter missing (...)"

    if kind == "any":
        if required:

            def check(_instance: Any, _attribute: Any, value: Any) -> None:
                if value is None:
                    missing()

        else:

            def check(_instance: Any, _attribute: Any, value: Any) -> None:
                return None

    elif kind == "wide_string":

        def check(_instance: Any, _attribute: Any, value: Any) -> None:
            if type(value) is not str:
                full(function, value)

    elif kind == "ansi_string":

        def check(_instance: Any, _attribute: Any, value: Any) -> None:
            t = type(value)
            if t is bytes:
                return
            if t is str:
                accepted = _ansi_accepted  # the set of the code page the full check will use
                if value in accepted:
                    return
                full(function, value)  # raises when not encodable
                if len(accepted) < _ANSI_CACHE_MAX:
                    accepted.add(value)
                return
            full(function, value)

    elif kind == "enum":
        # Exact int or exact member of the generated enum: the full check reduces to
        # ``int(value) in numbers`` (members hash and compare as their int value).
        numbers = frozenset(n for _, n in param.values)
        value_type = param.value_type

        def check(_instance: Any, _attribute: Any, value: Any) -> None:
            t = type(value)
            if (t is int or t is value_type) and value in numbers:
                return
            full(function, value)

    elif kind == "flags":
        flags_accepted: set[int] = set()
        value_type = param.value_type

        def check(_instance: Any, _attribute: Any, value: Any) -> None:
            t = type(value)
            if t is int or t is value_type:
                if value in flags_accepted:
                    return
                full(function, value)  # raises when not an OR of the table's flags
                if len(flags_accepted) < _FLAGS_CACHE_MAX:
                    flags_accepted.add(int(value))
                return
            full(function, value)

    else:  # a kind this module does not know: ParamContract.check decides (it accepts it)

        def check(_instance: Any, _attribute: Any, value: Any) -> None:
            full(function, value)

    check.__name__ = f"check_{param.name}"
    check.__qualname__ = f"checker.<{function}.{param.name}>"
    return check


def checker(function: str, param: ParamContract) -> Validator:
    """An attrs validator that enforces ``param``'s contract (used by the generated call classes).

    The same compiled check (one per function and parameter) serves the validator and
    :meth:`FunctionContract.validate`; it accepts and rejects exactly what
    :meth:`ParamContract.check` does, with the same error.
    """
    key = (function, id(param))
    entry = _COMPILED.get(key)
    if entry is None or entry[0] is not param:
        entry = (param, _compile(function, param))
        _COMPILED[key] = entry
    return entry[1]


class Result:
    """Base of the generated result classes: how a result shows itself.

    ``repr`` and the notebook displays read ``F -> STATUS (0x........)`` then the out parameters
    that were set, so results print the same way everywhere and never show a memory address.
    """

    __slots__ = ()

    def _function(self) -> str:
        name = type(self).__name__
        return name[: -len("Result")] if name.endswith("Result") else name

    def __repr__(self) -> str:
        from .display import result_text

        return result_text(self._function(), self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        from .display import result_html

        return result_html(self._function(), self)


@frozen
class ReturnSet:
    """The status codes a page documents for a function, split as the page splits them.

    ``call_*``: codes the function itself returns; ``async_*``: codes that SspiGetAsyncCallStatus
    reports later for a queued call (the async pages' "fatal error codes"). ``mentioned``: codes
    named elsewhere on the page (a parameter description, the remarks) but in no return table
    or returns prose. All are status NAMES (a page may name a code that is not in the catalog).
    """

    call_success: frozenset[str] = frozenset()
    call_error: frozenset[str] = frozenset()
    call_pending: frozenset[str] = frozenset()
    async_success: frozenset[str] = frozenset()
    async_error: frozenset[str] = frozenset()
    async_pending: frozenset[str] = frozenset()
    mentioned: frozenset[str] = frozenset()

    def via_call(self) -> frozenset[str]:
        return self.call_success | self.call_error | self.call_pending

    def via_async(self) -> frozenset[str]:
        return self.async_success | self.async_error | self.async_pending

    def documented(self) -> frozenset[str]:
        """Every code of the return tables and returns prose, both vias."""
        return self.via_call() | self.via_async()

    def allowed(self, errata: frozenset[str] = frozenset()) -> frozenset[str]:
        """What a checked implementation may return: documented, mentioned, or listed in the errata."""
        return self.documented() | self.mentioned | errata


@frozen
class FunctionContract:
    """Everything the page documents about a function, as generated from its FunctionSpec."""

    name: str
    neutral_name: str
    variant: str  # "A" | "W" | "neutral"
    page: str  # e.g. "spec/pages/AcquireCredentialsHandleA.md"
    upstream: str  # the upstream reference page link
    kernel_mode_only: bool
    requirement_text: str  # minimum client/server as the page states them
    params: tuple[ParamContract, ...]
    call_class: type
    result_class: type
    returns: ReturnSet

    def in_params(self) -> tuple[ParamContract, ...]:
        """Parameters the caller supplies: in, inout and unknown direction."""
        return tuple(p for p in self.params if p.is_input)

    def out_params(self) -> tuple[ParamContract, ...]:
        """Parameters the function fills in: out, inout and unknown direction."""
        return tuple(p for p in self.params if p.is_output)

    def param(self, name: str) -> ParamContract:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no parameter {name!r} ({self.page})")

    def violations(self, call_obj: object) -> list[ContractError]:
        """Every contract clause ``call_obj`` breaks, in parameter order (empty = conforming)."""
        if not isinstance(call_obj, self.call_class):
            raise TypeError(
                f"{self.name}: expected a {self.call_class.__name__} call object, got {type(call_obj).__name__}"
            )
        found: list[ContractError] = []
        for p in self.in_params():
            try:
                p.check(self.name, getattr(call_obj, p.name))
            except ContractError as e:
                found.append(e)
        return found

    def validate(self, call_obj: object) -> None:
        """Re-check every contract clause explicitly (attrs validators may be disabled).

        Raises the ContractError of the first parameter (in page order) that breaks its clause:
        the first error :meth:`violations` would list, found with the compiled checks.
        """
        plan = _PLANS.get(id(self))
        if plan is None or plan[0] is not self:
            plan = _plan(self)
        if not isinstance(call_obj, self.call_class):
            raise TypeError(
                f"{self.name}: expected a {self.call_class.__name__} call object, got {type(call_obj).__name__}"
            )
        # As violations() does: a ContractError does not stop the loop (so an exception of another
        # kind from a later parameter still propagates as it always did); the first one is raised.
        first: ContractError | None = None
        for name, check in plan[1]:
            try:
                check(None, None, getattr(call_obj, name))
            except ContractError as e:
                if first is None:
                    first = e
        if first is not None:
            raise first


# id(contract) -> (contract, ((input parameter name, compiled check), ...) in page order). The
# contract is kept so its id is never reused; contracts are module constants of the generated code.
_PLANS: dict[int, tuple[FunctionContract, tuple[tuple[str, Validator], ...]]] = {}


def _plan(contract: FunctionContract) -> tuple[FunctionContract, tuple[tuple[str, Validator], ...]]:
    plan = (contract, tuple((p.name, checker(contract.name, p)) for p in contract.in_params()))
    _PLANS[id(contract)] = plan
    return plan


# ---------------------------------------------------------------------------------------------
# Probes: values derived from a contract alone, for tests and `sspimodel check`'s contract stage.


class Placeholder:
    """Stands for a pointer or handle argument whose contract is "any non-NULL value"."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Placeholder({self.name})"


def example_value(p: ParamContract) -> object:
    """A value the page allows for p: a string, the first enum value, an OR of the first two
    flags, or a placeholder. Raises ValueError for an enum table without any numbered value."""
    if p.kind in ("ansi_string", "wide_string"):
        return "Negotiate"
    if p.kind == "enum":
        if not p.values:
            raise ValueError(f"{p.name}: enum parameter without any numbered value; cannot build a valid call")
        number = p.values[0][1]
        return p.value_type(number) if p.value_type is not None else number
    if p.kind == "flags":
        number = 0
        for _, n in p.values[:2]:
            number |= n
        return p.value_type(number) if p.value_type is not None else number
    return Placeholder(p.name)


def out_of_table_value(p: ParamContract) -> int:
    """A number p's value table does not allow: past the enum's values, or a flag bit no value has."""
    numbers = {n for _, n in p.values}
    if p.kind == "enum":
        bad = max(numbers) + 1
        while bad in numbers:
            bad += 1
        return bad
    mask = 0
    for n in numbers:
        mask |= n
    bit = 1
    while mask & bit:
        bit <<= 1
    return bit
