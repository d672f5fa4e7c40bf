"""What one call did, step by step: the trace behind ``explain()``.

A table runs first-match (:class:`~sspimodel.model.rules.RuleTable`), so the rule that fired
was tried after every live rule before it, and each of those did not hold. The trace records
that order, the rule that fired, which branch of its condition held (for a test keyed on a fact,
such as the package leg's outcome, the value the fact had), the package leg with its own reason
(:attr:`~sspimodel.model.packages.Leg.detail`, e.g. a MAC mismatch), and the page clauses behind
the rule, each resolved to its file and line (:mod:`sspimodel.model.citations`).

Recording costs one object per call: the parts are read from the call when the trace is
rendered (the facts a test reads are cached in ``Call.facts`` when the rule is selected, so they
give the same answer afterwards).
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from .rules import Basis, Call, Citation, Rule, RuleTable, _basis_body

__all__ = ["ClauseLine", "LegInfo", "Trace"]


@frozen
class LegInfo:
    """The package's handshake step as the rule saw it."""

    package: str | None
    outcome: str
    state: str
    detail: str

    def __str__(self) -> str:
        who = f"{self.package} " if self.package else ""
        reason = f": {self.detail}" if self.detail else ""
        return f"{who}leg {self.outcome} (state {self.state}){reason}"


@frozen
class ClauseLine:
    """One basis of the rule, with the page line it resolves to (citations only)."""

    kind: str
    text: str
    where: str | None = None  # spec/pages/X.md:LINE
    element: str | None = None
    line_text: str | None = None
    upstream: str | None = None


def clause_lines(rule: Rule) -> tuple[ClauseLine, ...]:
    out = []
    for basis in rule.bases():
        out.append(_clause(basis))
    return tuple(out)


def _clause(basis: Basis) -> ClauseLine:
    text = _basis_body(basis)
    if isinstance(basis, Citation):
        anchor = basis.anchor()
        if anchor is not None:
            return ClauseLine(basis.kind, text, anchor.where, anchor.element, anchor.text, anchor.upstream)
    return ClauseLine(basis.kind, text)


class Trace:
    """The record of one call: see the module docstring. Render with :meth:`explain`."""

    __slots__ = ("_call", "_table", "function", "index", "rule")

    def __init__(self, table: RuleTable, rule: Rule, call: Call) -> None:
        self.function = table.function
        self.index = call.index
        self.rule = rule
        self._table = table
        self._call = call

    @property
    def tried(self) -> tuple[Rule, ...]:
        """The live rules before the one that fired, in order: each was tried and did not hold."""
        live = self._table.live
        for i, rule in enumerate(live):
            if rule is self.rule:
                return live[:i]
        return ()

    @property
    def branch(self) -> str | None:
        """Which part of the rule's condition held, when the condition says it.

        A test keyed on a fact (``keyed(key, *values)``) held for one of its values: that value.
        A guarded test held because its guard and the rest both held.
        """
        test = self.rule.test
        key = getattr(test, "key", None)
        if key is not None:
            value = key(self._call)
            name = getattr(key, "__name__", "fact").strip("_")
            if name == "outcome":
                name = "the package leg's outcome"
            return f"{name} is {value}"
        guard = getattr(test, "guard", None)
        if guard is not None:
            return f"{getattr(guard, '__name__', 'guard').strip('_')} and the rest of the condition held"
        return None

    @property
    def leg(self) -> LegInfo | None:
        """The package leg the call computed, with its reason (None when the call computed none)."""
        leg = self._call.facts.get("leg")
        if leg is None:
            return None
        package = self._call.facts.get("package")
        name = getattr(package, "name", None)
        return LegInfo(name, str(leg.outcome), str(leg.state), leg.detail)

    @property
    def work(self) -> Trace | None:
        """For SspiGetAsyncCallStatus: the trace of the queued work whose status it reports."""
        work = self._call.facts.get("work_trace")
        return work if isinstance(work, Trace) else None

    @property
    def clauses(self) -> tuple[ClauseLine, ...]:
        return clause_lines(self.rule)

    @property
    def status(self) -> str:
        return self.rule.status

    def explain(self) -> Any:
        from ..display import Explanation

        return Explanation(self)

    def __repr__(self) -> str:
        return f"<Trace {self.function} call {self.index}: rule {self.rule.id} -> {self.rule.status}>"
