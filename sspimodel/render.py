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
    """A rich renderable. Every cell is a Text, so page content ("[in]", "[desktop apps only]")
    is never taken for console markup."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    T = Text

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
        desc = values or first_sentence(p.description)
        if p.tbd:
            desc = f"TBD (text under '#### - {p.documented_as}')" if p.documented_as else "TBD"
        params.add_row(str(i), T(p.name), T(_flags(p)), T(desc), str(p.span.start))
    parts.append(params)

    rets = Table(title="Return codes", title_justify="left", expand=False)
    rets.add_column("code")
    rets.add_column("kind")
    rets.add_column("via")
    rets.add_column("hex on page")
    rets.add_column("line", justify="right")
    for r in f.returns:
        rets.add_row(T(r.name), r.kind.value, r.via.value, T(r.hex_in_doc or ""), str(r.span.start))
    parts.append(rets)

    mentioned = [m for m in f.mentioned_codes if m.code not in set(f.return_names())]
    if mentioned:
        mt = Table(title="Codes named elsewhere on the page", title_justify="left")
        mt.add_column("code")
        mt.add_column("section")
        mt.add_column("line", justify="right")
        for m in mentioned:
            mt.add_row(T(m.code), T(m.section + (f" / {m.context}" if m.context else "")), str(m.line))
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
            rq.add_row(label, T(value))
    parts.append(rq)
    if f.diagnostics:
        dt = Table(title=f"Diagnostics ({len(f.diagnostics)})", title_justify="left")
        dt.add_column("line", justify="right")
        dt.add_column("severity")
        dt.add_column("rule")
        dt.add_column("message", overflow="fold")
        for d in f.diagnostics:
            dt.add_row(str(d.line), d.severity.value, T(d.rule), T(d.message))
        parts.append(dt)
    return Group(*parts)


# ---------------------------------------------------------------------------------------------
# HTML (notebooks). Deterministic markup: nbval compares stored text/html outputs byte for byte.

def _esc(text: object) -> str:
    import html

    return html.escape(str(text), quote=True)


def html_table(headers: list[str], rows: list[list[str]], caption: str | None = None) -> str:
    """A plain HTML table; cells are already-escaped HTML."""
    out = ["<table>"]
    if caption:
        out.append(f"<caption style=\"text-align:left\"><b>{_esc(caption)}</b></caption>")
    if any(headers):  # a table of labelled rows has no header row
        out.append("<tr>" + "".join(f"<th style=\"text-align:left\">{_esc(h)}</th>" for h in headers) + "</tr>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td style=\"text-align:left\">{c}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def spec_html(f: FunctionSpec) -> str:
    """What a page says, as HTML: drawn from the FunctionSpec, nothing retyped."""
    link = upstream_url(f)
    parts = [
        f"<h3>{_esc(f.name)} <small>({_esc(f.variant.value)}; {_esc(f.form.value)} page "
        f"<code>{_esc(f.source.file)}</code>)</small></h3>",
    ]
    if f.description:
        parts.append(f"<p>{_esc(first_sentence(f.description))}</p>")
    prow = []
    for p in f.parameters:
        values = "<br>".join(
            _esc(v.name) + (f" = <code>{v.number:#x}</code>" if v.number is not None else "") for v in p.values()
        )
        desc = _esc(first_sentence(p.description))
        if p.tbd:
            desc = "<i>TBD</i>" + (f" (text under <code>#### - {_esc(p.documented_as)}</code>)" if p.documented_as else "")
        prow.append([f"<code>{_esc(p.name)}</code>", _esc(_flags(p)), desc, values, str(p.span.start)])
    parts.append(html_table(["parameter", "direction", "description", "values", "line"], prow, "Parameters"))
    rrow = [
        [f"<code>{_esc(r.name)}</code>", _esc(r.kind.value), _esc(_via_text(r.via.value)), _esc(r.hex_in_doc or ""),
         _esc(first_sentence(r.description)), str(r.span.start)]
        for r in f.returns
    ]
    parts.append(html_table(["return code", "kind", "reported", "hex on page", "description", "line"], rrow,
                            "Return codes (as the page splits them)"))
    returned = set(f.return_names())
    mrow = [
        [f"<code>{_esc(m.code)}</code>", _esc(m.section + (f" / {m.context}" if m.context else "")), str(m.line)]
        for m in f.mentioned_codes
        if m.code not in returned
    ]
    if mrow:
        parts.append(html_table(["code", "where", "line"], mrow, "Codes named elsewhere on the page"))
    req = f.requirements
    qrow = [
        [_esc(label), _esc(value)]
        for label, value in (
            ("Minimum supported client", req.min_client),
            ("Minimum supported server", req.min_server),
            ("Header", (req.header or "") + (f" (include {req.include_header})" if req.include_header else "")),
            ("Library", req.library),
            ("DLL", req.dll),
        )
        if value
    ]
    qrow.append(["Upstream page", f"<a href=\"{_esc(link)}\">{_esc(f.upstream or link)}</a>"])
    parts.append(html_table(["requirement", "value"], qrow, "Requirements"))
    return "\n".join(parts)


def _via_text(via: str) -> str:
    return "by the call" if via == "call" else "later, by SspiGetAsyncCallStatus"


def upstream_url(f: FunctionSpec) -> str:
    return f"https://learn.microsoft.com/en-us/windows/win32/api/sspi/nf-sspi-{f.name.lower()}"


def spec_text(f: FunctionSpec) -> str:
    """A compact plain-text view (the notebook's text/plain output)."""
    lines = [f"{f.name} ({f.variant.value}; {f.form.value} page {f.source.file})"]
    lines.append("parameters:")
    for p in f.parameters:
        vals = ", ".join(v.name for v in p.values())
        lines.append(f"  {p.name:20s} {_flags(p)}" + (f"  values: {vals}" if vals else ""))
    lines.append("returns:")
    for r in f.returns:
        lines.append(f"  {r.name:36s} {r.kind.value:8s} {_via_text(r.via.value)}")
    returned = set(f.return_names())
    extra = sorted({m.code for m in f.mentioned_codes if m.code not in returned})
    if extra:
        lines.append("named elsewhere: " + ", ".join(extra))
    req = f.requirements
    lines.append(f"client: {req.min_client}; server: {req.min_server}; header: {req.header}; "
                 f"library: {req.library}; dll: {req.dll}")
    lines.append(f"upstream: {upstream_url(f)}")
    return "\n".join(lines)
