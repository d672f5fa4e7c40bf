"""Rule tables: what each function does, as data.

In the spirit of h11's transition tables, each function's behaviour is an ordered list of
:class:`Rule` objects. A rule has a condition (a predicate over the :class:`Call`, plus the same
condition in words), the status it produces, an optional effect (what the call changes in the
world when that rule fires), and a *basis*:

- :class:`Citation`: the page clause that justifies it (function, section, and the code or the
  sentence quoted from the page);
- :class:`Interpretation`: the question the pages leave open and what the model chose;
- :class:`Errata`: an entry of spec/data/errata.yaml (what a real implementation does that the
  pages do not document).

The first rule whose condition holds decides the call. A rule can be marked ``unreachable``
with a reason, for a documented code the model cannot produce; it never fires but stays in the
table so reports can account for every documented code.

:func:`rules_for` lists a function's table; reports, notebooks and the coverage checks draw
from it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from attrs import field, frozen

from .errors import ContractViolation

__all__ = [
    "Basis",
    "Call",
    "Citation",
    "Errata",
    "Interpretation",
    "Rule",
    "RuleTable",
    "all_tables",
    "always",
    "guarded",
    "keyed",
    "negation_of",
    "on",
    "pick",
    "register",
    "rules_for",
]


@frozen
class Citation:
    """A clause of a page: the function whose page it is, the section, the code or sentence."""

    function: str
    section: str
    quote: str

    kind = "citation"

    def __str__(self) -> str:
        return f"{self.function}, {self.section}: {self.quote}"

    @property
    def element(self) -> str:
        """The kind of page element cited (return-code row, value row, parameter clause, sentence)."""
        anchor = self.anchor()
        return anchor.element if anchor is not None else "unresolved"

    def anchor(self) -> Any:
        """The page element and line this citation quotes (:mod:`sspimodel.model.citations`), or
        None when the pages cannot be read here (an unmatched quote raises CitationError)."""
        from .citations import resolve

        try:
            return resolve(self)
        except OSError:
            return None


@frozen
class Interpretation:
    """A question the pages leave open, and what the model chose."""

    question: str
    choice: str

    kind = "interpretation"

    def __str__(self) -> str:
        return f"interpretation: {self.question} -> {self.choice}"


@frozen
class Errata:
    """An entry of spec/data/errata.yaml, by id (see :mod:`sspimodel.model.errata`)."""

    entry: str
    summary: str

    kind = "errata"

    def __str__(self) -> str:
        return f"errata {self.entry}: {self.summary}"


Basis = Citation | Interpretation | Errata


def _basis_body(basis: Basis) -> str:
    text = str(basis)
    for prefix in (f"{basis.kind}: ", f"{basis.kind} "):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(os.path.dirname(_HERE))


def _definition_site() -> str:
    """file:line of the first frame outside this module (where ``Rule(...)`` is written)."""
    frame: Any = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith("<") and os.path.abspath(name) != os.path.abspath(__file__):
            path = os.path.abspath(name)
            rel = os.path.relpath(path, _ROOT) if path.startswith(_ROOT + os.sep) else os.path.basename(path)
            return f"{rel.replace(os.sep, '/')}:{frame.f_lineno}"
        frame = frame.f_back
    return ""


def _never(_call: Call) -> bool:
    return False


@frozen
class Rule:
    """One row of a function's table."""

    id: str
    when: str
    status: str
    basis: Basis
    test: Callable[[Call], bool] = field(eq=False, repr=False)
    effect: Callable[[Call], None] | None = field(default=None, eq=False, repr=False)
    unreachable: str | None = None
    also: tuple[Basis, ...] = ()  # further clauses the rule relies on
    # Where the rule is written (file:line of the ``Rule(...)`` expression, relative to the
    # repository), found when the rule is built; not part of the rule's value.
    where: str = field(default="", eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if not self.where:
            object.__setattr__(self, "where", _definition_site())

    def __repr__(self) -> str:
        return f"<Rule {self.id}: {self.status}>"

    def __str__(self) -> str:
        lines = [f"rule {self.id} -> {self.status}" + (f"  ({self.where})" if self.where else "")]
        lines.append(f"  when: {self.when}")
        for basis in self.bases():
            lines.append(f"  {basis.kind}: {_basis_body(basis)}")
            if isinstance(basis, Citation):
                anchor = basis.anchor()
                if anchor is not None:
                    lines.append(f"    {anchor}")
        if self.unreachable:
            lines.append(f"  unreachable: {self.unreachable}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    @property
    def is_errata(self) -> bool:
        return isinstance(self.basis, Errata)

    @property
    def reachable(self) -> bool:
        return self.unreachable is None

    def bases(self) -> tuple[Basis, ...]:
        return (self.basis, *self.also)


def pick(prefix: str, *ids: str) -> str:
    """The one of ``ids`` (literal rule ids, written out in full so grep finds them) that belongs
    to the table of ``prefix``: ``pick("asc", "isc.null_credential", "asc.null_credential")``.

    Rule builders shared by several functions use it instead of building an id from the prefix.
    """
    for rule_id in ids:
        if rule_id.partition(".")[0] == prefix:
            return rule_id
    raise ValueError(f"no rule id for table prefix {prefix!r} among {ids}")


def unreachable(id: str, status: str, basis: Basis, reason: str, when: str = "") -> Rule:
    """A documented outcome the model cannot produce, with the reason."""
    return Rule(id, when or f"never: {reason}", status, basis, _never, None, reason)


# -- tests the table runner can batch ---------------------------------------------------------------
#
# A table reads as a list, but running it as one (every test in turn) repeats work: twelve rules
# asking "is the leg's outcome X?" compute the same fact twelve times. The combinators below
# build ordinary tests (each still works alone: ``rule.test(call)``) that also tell
# :class:`RuleTable` how to run a run of consecutive rules at once, with the same first-match
# result. Their key/guard/fact must be a pure function of the call (the same answer every
# time it is asked during one call, no side effect), which is what the facts in ``Call.facts`` are.


def always(_call: Call) -> bool:
    """The test of a table's catch-all rule: it holds for every call (the compiled table
    returns that rule without a call, and tries nothing after it, as the list would)."""
    return True


def keyed(key: Callable[[Call], Hashable], *values: Hashable) -> Callable[[Call], bool]:
    """The test ``key(call) in values``.

    Consecutive rules keyed on the same ``key`` function run as one dict lookup: the key is
    computed once and selects the first of those rules that accepts it.
    """
    accepted = frozenset(values)

    def test(c: Call) -> bool:
        return key(c) in accepted

    test.key = key  # type: ignore[attr-defined]
    test.accepted = accepted  # type: ignore[attr-defined]
    return test


def guarded(guard: Callable[[Call], bool], rest: Callable[[Call], bool]) -> Callable[[Call], bool]:
    """The test ``guard(call) and rest(call)``.

    Consecutive rules guarded by the same ``guard`` function are skipped together when it
    fails (one evaluation instead of one per rule).
    """

    def test(c: Call) -> bool:
        return bool(guard(c)) and bool(rest(c))

    test.guard = guard  # type: ignore[attr-defined]
    test.rest = rest  # type: ignore[attr-defined]
    return test


def negation_of(guard: Callable[[Call], bool]) -> Callable[[Callable[[Call], bool]], Callable[[Call], bool]]:
    """Declare the decorated guard to be ``not guard(call)`` on every call (it keeps its own
    name and body, which traces show):

        @negation_of(_first_call)
        def _later_call(c): ...

    A table that guards some runs of rules by ``guard`` and others by its negation asks the
    question once: the compiled table keeps the answer and tests it, or its negation, for each
    run (tests/test_model_rules.py compares the compiled tables with the listed ones).
    """

    def declare(negation: Callable[[Call], bool]) -> Callable[[Call], bool]:
        negation.negates = guard  # type: ignore[attr-defined]
        return negation

    return declare


def on(fact: Callable[[Call], Any], check: Callable[[Call, Any], Any]) -> Callable[[Call], bool]:
    """The test ``check(call, fact(call))``: a condition on one fact of the call (the context
    record the handle names, say).

    Consecutive rules testing the same ``fact`` function ask for it once: the fact is computed
    where the first of them is tried and handed to each condition in turn.
    """

    def test(c: Call) -> bool:
        return bool(check(c, fact(c)))

    test.fact = fact  # type: ignore[attr-defined]
    test.check = check  # type: ignore[attr-defined]
    return test


class Call:
    """One invocation, as the rules see it.

    ``a`` is the generated call object (the page's parameter names as attributes); ``out``
    collects the out-parameters the effects write; ``facts`` caches what predicates compute
    (looked-up handles, parsed tokens, package legs) so each is computed once per call.
    """

    __slots__ = ("a", "allowed_from", "facts", "function", "index", "out", "process", "world")

    def __init__(self, world: Any, process: Any, function: str, args: Any, index: int) -> None:
        self.world = world
        self.process = process
        self.function = function
        self.a = args
        self.index = index
        self.out: dict[str, Any] = {}
        self.facts: dict[str, Any] = {}
        # Functions whose allowed statuses this call may also return (SspiGetAsyncCallStatus
        # reports the status of the work another function queued).
        self.allowed_from: frozenset[str] | None = None

    def fault(self, code: str) -> bool:
        """Whether the world's fault plan fails this call with ``code``."""
        faults = self.world.faults
        if not faults.faults:
            return False
        return bool(faults.fires(code, self.index, self.function, _arguments(self.a)))

    def violation(
        self, parameter: str, problem: str, given: object = None, section: str | None = None
    ) -> ContractViolation:
        return ContractViolation(parameter, problem, given, section)


def _arguments(args: Any) -> dict[str, Any]:
    try:
        from attrs import asdict

        return asdict(args, recurse=False)
    except Exception:
        return dict(vars(args)) if hasattr(args, "__dict__") else {}


# -- compiling a table ---------------------------------------------------------------------------------
#
# A table's live rules are compiled, once per table (and again whenever ``live`` is replaced),
# into one Python function that tries them in order: a line per rule, or per run of rules the
# combinators above let it batch. The function is written as source from the table and run
# through ``compile``; it holds no rule of its own, only the tests and rules of the list, in the
# list's order. For a table
#
#     a: plain test;  b, c: keyed(k, ...);  d, e: guarded(g, ...);  f, g: on(ctx, ...);  h: always
#
# it is
#
#     def select(c):
#         if t0(c): return r0                          # a
#         w1 = k1(c)                                    # b, c: the key once, one lookup,
#         r = d2.get(w1)                                #       first rule accepting the key
#         if r is not None: return r
#         w3 = g3(c)                                    # d, e: skipped together
#         if w3:
#             if s4(c): return r4
#             if s5(c): return r5
#         w6 = f6(c)                                    # f, g: the fact once
#         if p7(c, w6): return r7
#         if p8(c, w6): return r8
#         return r9                                     # h: always holds, nothing after it is tried
#
# A key, guard or fact is asked once per call: a later run that asks it again (the same
# function, or for a guard one declared its negation with ``negation_of``) reads the local that
# holds the first answer (they are pure functions of the call, so the answer would be the same).
# A table whose runs are guarded by ``g``, by a guard declared ``negation_of(g)``, then by ``g``
# again reads
#
#         w1 = g1(c)
#         if w1:
#             ...
#         if not w1:
#             ...
#         if w1:
#             ...
#
# The truth of each line is the truth of the rule's own test on the same call, and every fact
# is first asked where the listed form first asks it, so the compiled function selects the rule
# ``select_listed`` selects and raises what it raises (tests/test_model_rules.py compares them).


def _compile(function: str, rules: tuple[Rule, ...]) -> Callable[[Call], Rule | None]:
    """The select function of ``rules`` (first match; None when no rule holds)."""
    names: dict[str, Any] = {}

    def bind(prefix: str, value: Any) -> str:
        name = f"{prefix}{len(names)}"
        names[name] = value
        return name

    # Functions already asked on the way to the current line -> the local holding the answer.
    asked: dict[Callable[..., Any], str] = {}

    def ask(prefix: str, fn: Callable[..., Any]) -> str:
        """The local holding ``fn(c)``: assigned here when ``fn`` was not asked before."""
        local = asked.get(fn)
        if local is None:
            local = asked[fn] = f"w{len(names)}"
            lines.append(f"    {local} = {bind(prefix, fn)}(c)")
        return local

    lines = ["def select(c):"]
    i, n = 0, len(rules)
    while i < n:
        test = rules[i].test
        key = getattr(test, "key", None)
        guard = getattr(test, "guard", None)
        fact = getattr(test, "fact", None)
        j = i + 1
        if test is always:
            lines.append(f"    return {bind('r', rules[i])}")
            break
        if key is not None:
            while j < n and getattr(rules[j].test, "key", None) is key:
                j += 1
            choice: dict[Hashable, Rule] = {}
            for rule in rules[i:j]:
                for value in rule.test.accepted:  # type: ignore[attr-defined]
                    choice.setdefault(value, rule)  # first match wins, as in the list
            lines.append(f"    r = {bind('d', choice)}.get({ask('k', key)})")
            lines.append("    if r is not None: return r")
        elif guard is not None:
            while j < n and getattr(rules[j].test, "guard", None) is guard:
                j += 1
            base = getattr(guard, "negates", None)
            held = ask("g", guard if base is None else base)
            lines.append(f"    if {held if base is None else 'not ' + held}:")
            for rule in rules[i:j]:
                lines.append(f"        if {bind('s', rule.test.rest)}(c): return {bind('r', rule)}")  # type: ignore[attr-defined]
        elif fact is not None:
            while j < n and getattr(rules[j].test, "fact", None) is fact:
                j += 1
            value = ask("f", fact)
            for rule in rules[i:j]:
                lines.append(f"    if {bind('p', rule.test.check)}(c, {value}): return {bind('r', rule)}")  # type: ignore[attr-defined]
        else:
            lines.append(f"    if {bind('t', test)}(c): return {bind('r', rules[i])}")
        i = j
    else:
        lines.append("    return None")
    namespace: dict[str, Any] = dict(names)
    exec(compile("\n".join(lines) + "\n", f"<rule table {function}>", "exec"), namespace)
    select: Callable[[Call], Rule | None] = namespace["select"]
    select.source = "\n".join(lines)  # type: ignore[attr-defined]  # for a reader
    return select


class RuleTable:
    """A function's ordered rules.

    ``rules`` is everything the table documents; ``live`` the reachable rules :meth:`run` tries,
    in order. For an async queuing function ``rules`` also lists the rules its queued work runs
    (those run later, from the scheduler), so ``live`` is drawn from ``runs`` only.

    :meth:`run` applies the first live rule whose test holds. It runs a compiled form of
    ``live`` (see :func:`_compile`, :func:`keyed`, :func:`guarded` and :func:`on`) that gives
    the same rule.
    """

    __slots__ = ("_live", "_select", "function", "rules")

    def __init__(self, function: str, rules: tuple[Rule, ...], runs: tuple[Rule, ...] | None = None) -> None:
        self.function = function
        self.rules = rules
        self.live = tuple(r for r in (rules if runs is None else runs) if r.reachable)

    @property
    def live(self) -> tuple[Rule, ...]:
        return self._live

    @live.setter
    def live(self, rules: tuple[Rule, ...]) -> None:
        # Replacing the live rules (tests break a rule on purpose) recompiles the table.
        self._live = tuple(rules)
        self._select = _compile(self.function, self._live)

    def run(self, call: Call) -> Rule:
        """Apply the rule that decides ``call`` (its effect changes the world) and return it."""
        rule = self._select(call)
        if rule is None:
            raise RuntimeError(f"{self.function}: no rule matched (the table must end with a catch-all rule)")
        if rule.effect is not None:
            rule.effect(call)
        return rule

    def select(self, call: Call) -> Rule:
        """The first live rule whose test holds (no effect applied), by the compiled table."""
        rule = self._select(call)
        if rule is None:
            raise RuntimeError(f"{self.function}: no rule matched (the table must end with a catch-all rule)")
        return rule

    def compiled_source(self) -> str:
        """The source of the compiled select function (names stand for the tests and rules)."""
        return self._select.source  # type: ignore[attr-defined]

    def select_listed(self, call: Call) -> Rule:
        """:meth:`select` the plain way, every live test in turn (tests compare the two)."""
        for rule in self.live:
            if rule.test(call):
                return rule
        raise RuntimeError(f"{self.function}: no rule matched (the table must end with a catch-all rule)")

    def statuses(self) -> frozenset[str]:
        return frozenset(r.status for r in self.rules)

    def reachable_statuses(self) -> frozenset[str]:
        return frozenset(r.status for r in self.rules if r.reachable)

    def __iter__(self) -> Any:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def __repr__(self) -> str:
        return f"RuleTable({self.function!r}, {len(self.rules)} rules)"


_TABLES: dict[str, RuleTable] = {}
_FAMILIES = (
    "sspimodel.model.creds",
    "sspimodel.model.contexts",
    "sspimodel.model.messages",
    "sspimodel.model.attributes",
    "sspimodel.model.memory",
    "sspimodel.model.export",
    "sspimodel.model.packages_query",
    "sspimodel.model.async_",
    "sspimodel.model.identity",
    "sspimodel.model.sasl",
    "sspimodel.model.prompts",
    "sspimodel.model.impersonation",
    "sspimodel.model.dispatch",
    "sspimodel.model.packages_registry",
    "sspimodel.model.cred_attributes",
    "sspimodel.model.ctx_set_attributes",
    "sspimodel.model.password",
    "sspimodel.model.add_credentials",
    "sspimodel.model.attributes_ex",
    "sspimodel.model.ctx_control",
)


def register(function: str, rules: Iterable[Rule], completion: RuleTable | None = None) -> RuleTable:
    """Record a function's table (called by the family modules when they are imported).

    ``completion``: for an async queuing function, the table its queued work runs; its rules
    are listed after the function's own.
    """
    own = tuple(rules)
    listed = own + (completion.rules if completion is not None else ())
    ids = [r.id for r in listed]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"{function}: duplicate rule ids {sorted(dupes)}")
    table = RuleTable(function, listed, runs=own)
    _TABLES[function] = table
    return table


def _load_all() -> None:
    import importlib

    for module in _FAMILIES:
        importlib.import_module(module)


def rules_for(function: str) -> tuple[Rule, ...]:
    """The ordered rule table of ``function`` (e.g. ``rules_for("ImportSecurityContextA")``)."""
    if function not in _TABLES:
        _load_all()
    try:
        return _TABLES[function].rules
    except KeyError:
        raise KeyError(f"no rule table for {function!r}; functions with tables: {sorted(_TABLES)}") from None


def table_for(function: str) -> RuleTable:
    if function not in _TABLES:
        _load_all()
    return _TABLES[function]


def all_tables() -> list[RuleTable]:
    """Every function's table, sorted by function name."""
    _load_all()
    return [table for _, table in sorted(_TABLES.items())]
