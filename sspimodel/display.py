"""Rich displays for notebooks: what a page says, a function's rule table, lint findings, results.

Every view has ``_repr_html_`` and a plain-text ``_repr_pretty_`` / ``__repr__`` with no memory
addresses and no timings, so stored notebook outputs are deterministic under nbval.

    from sspimodel.display import page, rules, findings
    page("ImportSecurityContextA")      # the FunctionSpec, read from spec/
    rules("ImportSecurityContextA")     # the model's rule table, with citations
    findings("ImportSecurityContextA")  # lint findings on that page
"""

from __future__ import annotations

import html
from functools import cache
from typing import Any

from .render import html_table
from .spec import Diagnostic, FunctionSpec

__all__ = ["FindingsView", "RulesView", "applied", "findings", "page", "result_html", "result_text", "rules"]


@cache
def _specset() -> Any:
    from .read import read_spec

    return read_spec()


def page(name: str) -> FunctionSpec:
    """The FunctionSpec of one function, as read from the project's spec/ pages."""
    return _specset()[name]


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _basis_text(basis: Any) -> str:
    """``kind: text`` once (the basis' own str may already start with its kind)."""
    kind = getattr(basis, "kind", "citation")
    text = str(basis)
    for prefix in (f"{kind}: ", f"{kind} "):
        if text.startswith(prefix):
            text = text[len(prefix):]
    return f"{kind}: {text}"


class RulesView:
    """A function's rule table: condition, outcome, and the clause (or interpretation) behind it."""

    def __init__(self, function: str, status: str | None = None, only: list[Any] | None = None) -> None:
        from .model.rules import rules_for

        self.function = function
        self.status = status
        self.rules = only if only is not None else [r for r in rules_for(function) if status is None or r.status == status]
        self.title = f"rules of {function}" + (f" producing {status}" if status else "")

    def _rows(self) -> list[tuple[str, str, str, str, str]]:
        rows = []
        for r in self.rules:
            bases = "; ".join(_basis_text(b) for b in r.bases())
            state = "unreachable: " + r.unreachable if r.unreachable else ""
            rows.append((r.id, r.when, r.status, bases, state))
        return rows

    def __repr__(self) -> str:
        lines = [self.title + (f" ({len(self.rules)})" if len(self.rules) != 1 else "")]
        for rid, when, status, basis, state in self._rows():
            lines.append(f"  {rid}: {status} when {when}")
            lines.append(f"      {basis}")
            if state:
                lines.append(f"      {state}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        rows = [[f"<code>{_e(a)}</code>", _e(b), f"<code>{_e(c)}</code>", _e(d), _e(e)] for a, b, c, d, e in self._rows()]
        return html_table(["rule", "when", "status", "basis", "note"], rows, self.title[:1].upper() + self.title[1:])


def rules(function: str, status: str | None = None) -> RulesView:
    return RulesView(function, status)


def applied(sspi: Any) -> RulesView:
    """The rule the last call on ``sspi`` applied, with the clause or interpretation behind it."""
    rule = sspi.last_rule
    if rule is None:
        raise ValueError("no call has been made on this Sspi yet")
    view = RulesView("", only=[rule])
    view.title = "rule applied"
    return view


class FindingsView:
    def __init__(self, items: list[Diagnostic]) -> None:
        self.items = items

    def __repr__(self) -> str:
        if not self.items:
            return "no findings"
        return "\n".join(f"{d.file}:{d.line}: {d.severity.value} [{d.rule}] {d.message}" for d in self.items)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        rows = [[_e(f"{d.file}:{d.line}"), _e(d.severity.value), f"<code>{_e(d.rule)}</code>", _e(d.message)] for d in self.items]
        return html_table(["where", "severity", "rule", "message"], rows, f"Lint findings ({len(self.items)})")


@cache
def _all_findings() -> tuple[Diagnostic, ...]:
    from .check.lint import lint

    return tuple(lint(_specset()))


def findings(function: str | None = None) -> FindingsView:
    """Lint findings for one function's page (or all pages)."""
    items = [d for d in _all_findings() if function is None or d.function == function]
    return FindingsView(items)


def _value_text(value: Any) -> str:
    import enum

    if isinstance(value, enum.Enum):
        return value.name or repr(value)
    if callable(value) and hasattr(value, "__qualname__") and not isinstance(value, type):
        # A callback argument: its name, never the function object's address.
        return f"<function {value.__qualname__}>"
    return repr(value)


def _status_names(status: Any) -> str:
    """The status name, plus its aliases (same value, other name: SEC_E_UNSUPPORTED_FUNCTION is
    also SEC_E_NOT_SUPPORTED, the name ExportSecurityContext's page uses)."""
    aliases = [n for n, m in type(status).__members__.items() if m is status and n != status.name]
    return " = ".join([status.name, *aliases])


def result_text(function: str, result: Any) -> str:
    """``F -> STATUS (0x........)`` then one line per out parameter."""
    status = result.status
    lines = [f"{function} -> {_status_names(status)} (0x{int(status):08X})"]
    for name in getattr(type(result), "__attrs_attrs__", ()):
        if name.name == "status":
            continue
        value = getattr(result, name.name)
        if value is not None:
            lines.append(f"  {name.name} = {_value_text(value)}")
    return "\n".join(lines)


def result_html(function: str, result: Any) -> str:
    status = result.status
    rows = [
        [f"<code>{_e(a.name)}</code>", f"<code>{_e(_value_text(getattr(result, a.name)))}</code>"]
        for a in getattr(type(result), "__attrs_attrs__", ())
        if a.name != "status" and getattr(result, a.name) is not None
    ]
    head = f"<p><b>{_e(function)}</b> &rarr; <code>{_e(_status_names(status))}</code> (0x{int(status):08X})</p>"
    return head + (html_table(["out parameter", "value"], rows) if rows else "")


class Explanation:
    """Why a call returned what it did, drawn from its :class:`~sspimodel.model.trace.Trace`."""

    def __init__(self, trace: Any) -> None:
        self.trace = trace

    def _lines(self) -> list[str]:
        t = self.trace
        r = t.rule
        lines = [f"{t.function} (call {t.index}) -> {r.status}"]
        lines.append(f"  fired: rule {r.id}" + (f"  ({r.where})" if r.where else ""))
        lines.append(f"    when: {r.when}")
        branch = t.branch
        if branch:
            lines.append(f"    branch that held: {branch}")
        leg = t.leg
        if leg is not None:
            lines.append(f"    package leg: {leg}")
        lines.append("  because:")
        for clause in t.clauses:
            lines.append(f"    {clause.kind}: {clause.text}")
            if clause.where:
                lines.append(f"      {clause.where} ({clause.element}): {clause.line_text}")
        tried = t.tried
        if tried:
            lines.append(f"  tried before it, in order, none held ({len(tried)}):")
            lines.append("    " + ", ".join(x.id for x in tried))
        else:
            lines.append("  it is the first rule of the table")
        work = t.work
        if work is not None:
            lines.append("  the queued work it reports:")
            lines.extend("    " + line for line in Explanation(work)._lines())
        return lines

    def __str__(self) -> str:
        return "\n".join(self._lines())

    __repr__ = __str__

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        t = self.trace
        r = t.rule
        head = (
            f"<p><b>{_e(t.function)}</b> (call {t.index}) &rarr; <code>{_e(r.status)}</code>: "
            f"rule <code>{_e(r.id)}</code> <small>{_e(r.where)}</small></p>"
        )
        rows = [["when", _e(r.when)]]
        if t.branch:
            rows.append(["branch that held", _e(t.branch)])
        if t.leg is not None:
            rows.append(["package leg", _e(str(t.leg))])
        for clause in t.clauses:
            cell = _e(clause.text)
            if clause.where:
                cell += f"<br><code>{_e(clause.where)}</code> ({_e(clause.element)}): <i>{_e(clause.line_text)}</i>"
            rows.append([_e(clause.kind), cell])
        tried = t.tried
        rows.append(
            [f"tried before ({len(tried)})", ", ".join(f"<code>{_e(x.id)}</code>" for x in tried) or "none: first rule"]
        )
        work = t.work
        if work is not None:
            rows.append(["the queued work", Explanation(work)._repr_html_()])
        return head + html_table(["", ""], rows)


def explain_rule(rule: Any) -> str:
    """A rule as text, with its page lines (what ``sspimodel explain`` prints per rule)."""
    return str(rule)


def explain_table(function: str, status: str | None = None) -> str:
    """The rule table of ``function`` (or only its rules giving ``status``), with page lines."""
    from .model.rules import rules_for

    rules = [r for r in rules_for(function) if status is None or r.status == status]
    if not rules:
        from .model.rules import table_for

        known = sorted(table_for(function).statuses())
        raise KeyError(f"no rule of {function} gives {status}; its rules give: {', '.join(known)}")
    title = f"{function}: {len(rules)} rule{'s' if len(rules) != 1 else ''}" + (f" giving {status}" if status else "")
    return "\n\n".join([title, *(str(r) for r in rules)])
