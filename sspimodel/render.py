"""Terminal (rich) views of the specification: what `sspimodel spec show` prints."""

from __future__ import annotations

from typing import Any

from .spec import FunctionSpec, Parameter


def _flags(p: Parameter) -> str:
    d = p.direction.value
    opt = ", optional" + (" (prose)" if p.optional_source == "prose" else "") if p.optional else ""
    return f"[{d}{opt}]"


def first_sentence(text: str) -> str:
    text = " ".join(text.split())
    for end in (". ", ".\n"):
        i = text.find(end)
        if i != -1:
            return text[: i + 1]
    return text


def spec_renderable(f: FunctionSpec) -> Any:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    head = Text(f"{f.name}", style="bold")
    head.append(f"  ({f.variant.value}; neutral {f.neutral_name}; {f.form.value} page {f.source.file})", style="dim")
    parts.append(head)
    if f.description:
        parts.append(Text(first_sentence(f.description)))

    params = Table(title="Parameters", title_justify="left", expand=False)
    params.add_column("#", justify="right")
    params.add_column("name")
    params.add_column("direction")
    params.add_column("values / description", overflow="fold")
    params.add_column("line", justify="right")
    for i, p in enumerate(f.parameters, 1):
        values = ", ".join(
            v.name + (f"={v.number:#x}" if v.number is not None else "") for v in p.values()
        )
        desc = values or first_sentence(p.description)[:80]
        if p.tbd:
            desc = f"TBD (text under '#### - {p.documented_as}')" if p.documented_as else "TBD"
        params.add_row(str(i), p.name, _flags(p), desc, str(p.span.start))
    parts.append(params)

    rets = Table(title="Return codes", title_justify="left", expand=False)
    rets.add_column("code")
    rets.add_column("kind")
    rets.add_column("via")
    rets.add_column("hex on page")
    rets.add_column("line", justify="right")
    for r in f.returns:
        rets.add_row(r.name, r.kind.value, r.via.value, r.hex_in_doc or "", str(r.span.start))
    parts.append(rets)

    mentioned = [m for m in f.mentioned_codes if m.code not in set(f.return_names())]
    if mentioned:
        mt = Table(title="Codes named elsewhere on the page", title_justify="left")
        mt.add_column("code")
        mt.add_column("section")
        mt.add_column("line", justify="right")
        for m in mentioned:
            mt.add_row(m.code, m.section + (f" / {m.context}" if m.context else ""), str(m.line))
        parts.append(mt)

    req = f.requirements
    rq = Table(title="Requirements", title_justify="left", show_header=False)
    rq.add_column("requirement")
    rq.add_column("value")
    for label, value in (
        ("Minimum supported client", req.min_client),
        ("Minimum supported server", req.min_server),
        ("Header", req.header + (f" (include {req.include_header})" if req.include_header else "") if req.header else None),
        ("Library", req.library),
        ("DLL", req.dll),
        ("Unicode and ANSI names", req.unicode_ansi),
        ("Upstream page", f.upstream),
    ):
        if value:
            rq.add_row(label, value)
    parts.append(rq)
    if f.diagnostics:
        dt = Table(title=f"Diagnostics ({len(f.diagnostics)})", title_justify="left")
        dt.add_column("line", justify="right")
        dt.add_column("severity")
        dt.add_column("rule")
        dt.add_column("message", overflow="fold")
        for d in f.diagnostics:
            dt.add_row(str(d.line), d.severity.value, d.rule, d.message)
        parts.append(dt)
    return Group(*parts)
