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

from .model.bytes_text import bytes_repr, hexdump
from .render import html_table
from .spec import Diagnostic, FunctionSpec

__all__ = [
    "AsyncOutcome",
    "Explanation",
    "FindingsView",
    "Flags",
    "RulesView",
    "applied",
    "buffer_text",
    "desc_text",
    "explain_table",
    "findings",
    "flag_names",
    "hexdump",
    "page",
    "result_html",
    "result_text",
    "rules",
]


def _specset() -> Any:
    # The pages as the citations read them: one read per process serves both.
    from .model.citations import _specset as pages

    return pages()


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


def _anchor_text(basis: Any) -> str:
    """`` [spec/pages/X.md:LINE]`` for a citation that resolves (nothing for other bases)."""
    anchor = basis.anchor() if getattr(basis, "kind", "") == "citation" else None
    return f" [{anchor.where}]" if anchor is not None else ""


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
            bases = "; ".join(_basis_text(b) + _anchor_text(b) for b in r.bases())
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


# -- values: flags by name, tokens as hexdumps, parameters by direction ------------------------------

# Which flag family an integer field holds, by field name (and, for pfContextAttr, by function).
_FLAG_FIELDS: dict[str, str] = {
    "fCapabilities": "SECPKG_FLAG_",
    "fCredentialUse": "SECPKG_CRED_",
}


def _flag_family(function: str, field: str) -> str | None:
    if field == "pfContextAttr":
        return "ASC_RET_" if "Accept" in function else "ISC_RET_"
    if field == "fContextReq":
        return "ASC_REQ_" if "Accept" in function else "ISC_REQ_"
    return _FLAG_FIELDS.get(field)


def flag_names(value: int, prefix: str) -> list[str]:
    """The names of the ``prefix`` family (``"ISC_RET_"``, ``"ASC_RET_"``, ``"SECPKG_FLAG_"``, ...)
    whose bits are set in ``value``, in bit order; bits no name covers come last, in hex."""
    from .model import constants

    members = sorted(
        ((getattr(constants, n), n) for n in dir(constants) if n.startswith(prefix) and isinstance(getattr(constants, n), int)),
    )
    names: list[str] = []
    covered = 0
    for bit, name in members:
        if bit and value & bit == bit and bit & (bit - 1) == 0:
            names.append(name)
            covered |= bit
    rest = value & ~covered
    if rest:
        names.append(f"0x{rest:X}")
    return names


class Flags(int):
    """An int shown as the names of its bits: ``ISC_RET_CONFIDENTIALITY | ISC_RET_SEQUENCE_DETECT (0x00000014)``."""

    prefix: str

    def __new__(cls, value: int, prefix: str) -> Flags:
        self = super().__new__(cls, int(value))
        self.prefix = prefix
        return self

    @property
    def names(self) -> list[str]:
        return flag_names(int(self), self.prefix)

    def __repr__(self) -> str:
        names = self.names
        shown = " | ".join(names) if names else f"no {self.prefix}* flag"
        return f"{shown} (0x{int(self):08X})"

    __str__ = __repr__

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def buffer_text(buffer: Any) -> str:
    """A SecBuffer: its type and size, then its bytes as a hexdump (above
    :data:`~sspimodel.model.bytes_text.SHOWN_IN_FULL` bytes, its head and tail only)."""
    from .model.buffers import _type_name

    head = f"SecBuffer({_type_name(buffer.BufferType)}, cbBuffer={buffer.cbBuffer}"
    if buffer.pvBuffer is None:
        return head + ", pvBuffer=NULL)"
    data = buffer.contents
    return head + f", {len(data)} bytes)\n" + "\n".join("  " + line for line in hexdump(data).splitlines())


def desc_text(desc: Any) -> str:
    """A SecBufferDesc: one block per buffer."""
    if not len(desc):
        return "SecBufferDesc(no buffers)"
    parts = [f"SecBufferDesc({len(desc)} buffer{'s' if len(desc) != 1 else ''})"]
    for index, buffer in enumerate(desc):
        parts.extend(f"  [{index}] {line}" if i == 0 else f"      {line}" for i, line in enumerate(buffer_text(buffer).splitlines()))
    return "\n".join(parts)


def package_info_text(info: Any) -> str:
    """A SecPkgInfo with its capabilities decoded by name (SECPKG_FLAG_*), one field a line."""
    caps = flag_names(info.fCapabilities, "SECPKG_FLAG_")
    lines = [f"SecPkgInfo(Name={info.Name!r}, wVersion={info.wVersion}, wRPCID={info.wRPCID}, cbMaxToken={info.cbMaxToken})"]
    lines.append(f"  Comment = {info.Comment!r}")
    lines.append(f"  fCapabilities = 0x{info.fCapabilities:08X}:")
    lines.extend(f"    {name}" for name in caps)
    return "\n".join(lines)


def _value_text(value: Any, function: str = "", field: str = "") -> str:
    import enum

    from .model.buffers import SecBuffer, SecBufferDesc
    from .model.handles import ContextBuffer
    from .model.packages import SecPkgInfo

    if isinstance(value, ContextBuffer):
        inner = value.value
        if isinstance(inner, SecPkgInfo) or (
            isinstance(inner, tuple) and inner and all(isinstance(i, SecPkgInfo) for i in inner)
        ):
            items = inner if isinstance(inner, tuple) else (inner,)
            body = "\n".join(
                (f"[{i}] " if isinstance(inner, tuple) else "") + package_info_text(item).replace("\n", "\n    " if isinstance(inner, tuple) else "\n")
                for i, item in enumerate(items)
            )
            return f"ContextBuffer(0x{value.address:x}) ->\n" + "\n".join("  " + line for line in body.splitlines())
        return repr(value)
    if isinstance(value, SecBufferDesc):
        return desc_text(value)
    if isinstance(value, SecBuffer):
        return buffer_text(value)
    if isinstance(value, Flags):
        return repr(value)
    if type(value) is bytes or type(value) is bytearray:
        return bytes_repr(value)
    if isinstance(value, enum.Enum):
        return value.name or repr(value)
    if callable(value) and hasattr(value, "__qualname__") and not isinstance(value, type):
        # A callback argument: its name, never the function object's address.
        return f"<function {value.__qualname__}>"
    if type(value) is int and field:
        family = _flag_family(function, field)
        if family is not None:
            return repr(Flags(value, family))
    inner = getattr(value, "value", None)
    if type(value).__name__ == "Ref" and type(inner) is int and field:
        family = _flag_family(function, field)
        if family is not None:
            return f"Ref({Flags(inner, family)!r})"
    return repr(value)


def _status_names(status: Any) -> str:
    """The status name, plus its aliases (same value, other name: SEC_E_UNSUPPORTED_FUNCTION is
    also SEC_E_NOT_SUPPORTED, the name ExportSecurityContext's page uses)."""
    aliases = [n for n, m in type(status).__members__.items() if m is status and n != status.name]
    return " = ".join([status.name, *aliases])


def _directions(function: str) -> dict[str, str]:
    """Each parameter's direction as its page prints it; for a page that gives none (the async
    pages), the direction of the same parameter on the synchronous counterpart's page."""
    from ._generated import CONTRACTS

    contract = CONTRACTS.get(function)
    if contract is None:
        return {}
    out = {p.name: p.direction for p in contract.params}
    if any(d == "unknown" for d in out.values()):
        from .model.async_ import COUNTERPART

        counterpart = COUNTERPART.get(function)
        if counterpart is not None and counterpart[0] in CONTRACTS:
            theirs = {p.name: p.direction for p in CONTRACTS[counterpart[0]].params}
            for name, direction in out.items():
                other = theirs.get(name) or theirs.get("p" + name.removeprefix("psz"))
                if direction == "unknown" and other is not None and other != "unknown":
                    out[name] = other
    return out


_GROUPS = (("in", "in parameters"), ("inout", "in/out parameters"), ("out", "out parameters"), ("unknown", "parameters (no direction on the page)"))


def _grouped(function: str, result: Any) -> list[tuple[str, list[tuple[str, Any]]]]:
    directions = _directions(function)
    fields = [
        (a.name, getattr(result, a.name))
        for a in getattr(type(result), "__attrs_attrs__", ())
        if a.name not in ("status", "value") and getattr(result, a.name) is not None
    ]
    groups = []
    for key, title in _GROUPS:
        members = [(n, v) for n, v in fields if directions.get(n, "out") == key]
        if members:
            groups.append((title, members))
    return groups


def result_text(function: str, result: Any) -> str:
    """``F -> STATUS (0x........)`` then the parameters set, grouped as in, in/out and out."""
    status = result.status
    lines = [f"{function} -> {_status_names(status)} (0x{int(status):08X})"]
    groups = _grouped(function, result)
    for title, members in groups:
        if len(groups) > 1 or title != "out parameters":
            lines.append(f"  {title}:")
        indent = "    " if len(groups) > 1 or title != "out parameters" else "  "
        for name, value in members:
            text = _value_text(value, function, name)
            first, *more = text.splitlines() or [""]
            lines.append(f"{indent}{name} = {first}")
            lines.extend(f"{indent}  {line}" for line in more)
    return "\n".join(lines)


def result_html(function: str, result: Any) -> str:
    status = result.status
    head = f"<p><b>{_e(function)}</b> &rarr; <code>{_e(_status_names(status))}</code> (0x{int(status):08X})</p>"
    body = ""
    for title, members in _grouped(function, result):
        rows = [
            [f"<code>{_e(n)}</code>", f"<pre style='margin:0'>{_e(_value_text(v, function, n))}</pre>"]
            for n, v in members
        ]
        body += html_table([title[:-1] if title.endswith("s") else title, "value"], rows)
    return head + body


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


class AsyncOutcome:
    """The status SspiGetAsyncCallStatus reported (``final``) as the status of the call queued on
    the context (``queued``), and the rule that decided it: the queued work's rule once it has run,
    SspiGetAsyncCallStatus' own while the work is pending (from the last call's trace)."""

    def __init__(self, sspi: Any, queued: Any, final: Any) -> None:
        function = type(queued).__name__.removesuffix("Result")
        status = final.status
        self.line = f"{function} -> {status.name} (0x{int(status):08X}), as SspiGetAsyncCallStatus reports it"
        trace = sspi.last_trace
        work = trace.work if trace is not None else None
        if work is not None:
            self.rules = RulesView(function, only=[work.rule])
            self.rules.title = "rule the queued work applied"
        else:
            self.rules = RulesView(function, only=[sspi.last_rule])
            self.rules.title = "rule applied (SspiGetAsyncCallStatus)"

    def __repr__(self) -> str:
        return f"{self.line}\n{self.rules!r}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        line = _e(self.line).replace(" -&gt; ", " &rarr; ", 1)
        return f"<p><b>{line}</b></p>" + self.rules._repr_html_()


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


def handshake_table(mech: str | None = None) -> str:
    """The handshake transition table (of one mechanism, or all) as text: one line per step and
    outcome, drawn from :data:`sspimodel.model.handshake.TRANSITIONS`."""
    from .model.handshake import INPUT_FAILURES, TRANSITIONS

    rows = [t for t in TRANSITIONS if mech is None or t.mech.lower() == mech.lower()]
    if not rows:
        known = sorted({t.mech for t in TRANSITIONS})
        raise KeyError(f"no handshake for {mech!r}; mechanisms: {', '.join(known)}")
    lines = []
    for t in rows:
        reads = " or ".join(k.name for k in t.accepts) or "no token"
        sends = " or ".join(k.name for k in t.sends) or "no token"
        lines.append(f"{t.mech} {t.role} in {t.state}: reads {reads}, may send {sends}")
        for outcome, nxt in t.outcomes.items():
            lines.append(f"    {outcome:<22} -> {nxt}")
        if t.accepts:
            missing = sorted(str(o) for o in INPUT_FAILURES if o not in t.outcomes)
            if missing:
                lines.append(f"    {', '.join(missing)}: -> {t.state} (the input token check)")
    return "\n".join(lines)
