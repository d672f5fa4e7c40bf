"""Drift between two readings of the same function: the embedded spec and a folder of pages.

A documentation maintainer runs ``sspimodel check --spec DIR`` on a checkout of the upstream
reference (``sdk-api-src/content/sspi``: function, struct, enum and callback pages, plus
``index.md`` and ``TOC.md``). For such a folder the question is not whether the generated code
is fresh but what changed: for each function the model covers, which parameters, return codes,
values and hex spellings DIR states differently from the pages the model was built from, and
which functions DIR documents that the model does not cover at all.

Both sides go through the same reader (``sspimodel.read``) and are compared through the public
fields of :class:`~sspimodel.spec.FunctionSpec` only, field by field, so a drift names the field:

- ``parameters``: added / removed parameter names, and the order;
- ``parameter NAME.direction|optional|tbd|documented_as``: as printed (``[in]``, TBD, orphan heading);
- ``value NAME.MACRO``: a value row added, removed, or printed with another number;
- ``return CODE``: a code added or removed; ``return CODE.kind|via|hex``: its side, where it is
  reported, and its hex as printed;
- ``requirements.KEY``: a requirement row (only the rows both page forms can carry when one side is
  rendered web-page text);
- ``mentions``: status codes named outside the return tables, with the section naming them;
- ``sections``: the sections a page has (the rendered form's own Syntax and Requirements aside);
- ``see-also``: the titles of the See also entries; ``remarks``: whether the Remarks say anything;
- ``codes named``: every status code named anywhere in the page's text (a direct scan of the text,
  not the reader's view).

The same comparison holds the embedded pages to their real pages (tests/test_fidelity.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from attrs import frozen

from ..spec import Form, FunctionSpec

__all__ = [
    "NON_FUNCTION_FILES",
    "Drift",
    "PageKind",
    "codes_named",
    "compare",
    "page_kind",
]

# Upstream folder files that are not reference pages of one API element.
NON_FUNCTION_FILES = frozenset({"index.md", "toc.md"})
# Sections only the rendered form has (the source form keeps them in front matter / headers).
_RENDERED_ONLY_SECTIONS = frozenset({"syntax", "requirements"})
# Requirement rows a rendered page can show (unicode_ansi and other req.* keys live in the source
# form's front matter only).
_RENDERED_REQUIREMENTS = ("min_client", "min_server", "target_platform", "header", "include_header", "library", "dll")
_ALL_REQUIREMENTS = (*_RENDERED_REQUIREMENTS, "unicode_ansi", "other")
# Status codes of every namespace the pages use (SECURITY_STATUS, Win32, NTSTATUS, SCARD).
_CODE = re.compile(r"\b(?:SEC_[EI]_[A-Z0-9_]+|STATUS_[A-Z0-9_]+|ERROR_[A-Z0-9_]+|SCARD_[EWF]_[A-Z0-9_]+)\b")


class PageKind:
    """What a file of an upstream folder documents, from the upstream naming convention."""

    FUNCTION = "function"
    STRUCT = "struct"
    ENUM = "enum"
    CALLBACK = "callback"
    OTHER = "other"  # index.md, TOC.md


_PREFIX_KIND = {"nf-": PageKind.FUNCTION, "ns-": PageKind.STRUCT, "ne-": PageKind.ENUM, "nc-": PageKind.CALLBACK}


def page_kind(file: str, text: str | None = None) -> str:
    """``nf-``/``ns-``/``ne-``/``nc-`` file names (or the front matter's ``UID: NF:``/``NS:``/...),
    ``other`` for index.md and TOC.md; a page of the project's own naming is a function page."""
    name = Path(file).name.lower()
    if name in NON_FUNCTION_FILES:
        return PageKind.OTHER
    for prefix, kind in _PREFIX_KIND.items():
        if name.startswith(prefix):
            return kind
    if text is not None:
        m = re.search(r"^UID:\s*(N[FSEC]):", text, re.M)
        if m:
            return _PREFIX_KIND[m.group(1).lower() + "-"]
    return PageKind.FUNCTION


def codes_named(text: str) -> set[str]:
    """Every status code named anywhere in a page's text (front matter included)."""
    return set(_CODE.findall(text))


@frozen
class Drift:
    """One difference: ``ours`` is the embedded spec's value, ``theirs`` the other page's."""

    function: str
    field: str
    change: str  # "added" (only theirs has it) | "removed" (only ours) | "changed"
    ours: str | None = None
    theirs: str | None = None

    def __str__(self) -> str:
        if self.change == "added":
            return f"{self.function}: {self.field}: added {self.theirs}"
        if self.change == "removed":
            return f"{self.function}: {self.field}: removed {self.ours}"
        return f"{self.function}: {self.field}: {self.ours} -> {self.theirs}"

    def to_dict(self) -> dict[str, Any]:
        return {"function": self.function, "field": self.field, "change": self.change,
                "ours": self.ours, "theirs": self.theirs}


def _show(value: object) -> str:
    return "none" if value is None else str(value)


def _value_rows(p: Any) -> list[tuple[str, str | None]]:
    return [(v.name, v.number_text) for v in p.values()]


def _sets(function: str, field: str, ours: Iterable[str], theirs: Iterable[str]) -> list[Drift]:
    a, b = set(ours), set(theirs)
    out = [Drift(function, field, "removed", ours=x) for x in sorted(a - b)]
    out += [Drift(function, field, "added", theirs=x) for x in sorted(b - a)]
    return out


def compare(ours: FunctionSpec, theirs: FunctionSpec, ours_text: str | None = None,
            theirs_text: str | None = None) -> list[Drift]:
    """Every field in which ``theirs`` states something other than ``ours``. The page texts, when
    given, add the direct ``codes named`` scan."""
    fn = ours.name
    out: list[Drift] = []
    if theirs.name != ours.name:
        out.append(Drift(fn, "name", "changed", ours.name, theirs.name))

    # Parameters: names and order, then each common one field by field.
    a_names = [p.name for p in ours.parameters]
    b_names = [p.name for p in theirs.parameters]
    out += _sets(fn, "parameters", a_names, b_names)
    common = [n for n in a_names if n in b_names]
    if common != [n for n in b_names if n in a_names]:
        out.append(Drift(fn, "parameters.order", "changed", ", ".join(a_names), ", ".join(b_names)))
    a_params = {p.name: p for p in ours.parameters}
    b_params = {p.name: p for p in theirs.parameters}
    for name in common:
        pa, pb = a_params[name], b_params[name]
        for attr in ("direction", "optional", "tbd", "documented_as"):
            va, vb = getattr(pa, attr), getattr(pb, attr)
            if va != vb:
                out.append(Drift(fn, f"parameter {name}.{attr}", "changed", _show(getattr(va, "value", va)),
                                 _show(getattr(vb, "value", vb))))
        rows_a, rows_b = _value_rows(pa), _value_rows(pb)
        if rows_a != rows_b:
            da, db = dict(rows_a), dict(rows_b)
            out += _sets(fn, f"value {name}", da, db)
            for macro in (m for m in da if m in db and da[m] != db[m]):
                out.append(Drift(fn, f"value {name}.{macro}", "changed", _show(da[macro]), _show(db[macro])))
            if [m for m, _ in rows_a if m in db] != [m for m, _ in rows_b if m in da]:
                out.append(Drift(fn, f"value {name}.order", "changed"))

    # Return codes: the set, then each code's side, channel and hex as printed.
    a_ret = {(r.name, r.via.value): r for r in ours.returns}
    b_ret = {(r.name, r.via.value): r for r in theirs.returns}
    out += _sets(fn, "returns", {r.name for r in ours.returns}, {r.name for r in theirs.returns})
    for key in sorted(set(a_ret) & set(b_ret)):
        ra, rb = a_ret[key], b_ret[key]
        for attr, label in (("kind", "kind"), ("hex_in_doc", "hex")):
            va, vb = getattr(ra, attr), getattr(rb, attr)
            if va != vb:
                out.append(Drift(fn, f"return {key[0]}.{label}", "changed", _show(getattr(va, "value", va)),
                                 _show(getattr(vb, "value", vb))))
    a_via = {r.name: sorted({x.via.value for x in ours.returns if x.name == r.name}) for r in ours.returns}
    b_via = {r.name: sorted({x.via.value for x in theirs.returns if x.name == r.name}) for r in theirs.returns}
    for code in sorted(set(a_via) & set(b_via)):
        if a_via[code] != b_via[code]:
            out.append(Drift(fn, f"return {code}.via", "changed", ", ".join(a_via[code]), ", ".join(b_via[code])))

    # Requirements: the rows both forms can carry.
    rendered = Form.RENDERED in (ours.form, theirs.form)
    for req in _RENDERED_REQUIREMENTS if rendered else _ALL_REQUIREMENTS:
        va, vb = getattr(ours.requirements, req), getattr(theirs.requirements, req)
        if va != vb:
            out.append(Drift(fn, f"requirements.{req}", "changed", _show(va), _show(vb)))

    # Codes named outside the return tables, with where; the sections a page has.
    out += _sets(fn, "mentions", {f"{m.code} ({m.section})" for m in ours.mentioned_codes},
                 {f"{m.code} ({m.section})" for m in theirs.mentioned_codes})
    out += _sets(fn, "sections", {s for s, _ in ours.sections} - _RENDERED_ONLY_SECTIONS,
                 {s for s, _ in theirs.sections} - _RENDERED_ONLY_SECTIONS)
    out += _sets(fn, "see-also", {s.title for s in ours.see_also}, {s.title for s in theirs.see_also})
    if bool(ours.remarks.strip()) != bool(theirs.remarks.strip()):
        out.append(Drift(fn, "remarks", "changed", "text" if ours.remarks.strip() else "empty",
                         "text" if theirs.remarks.strip() else "empty"))
    if ours_text is not None and theirs_text is not None:
        out += _sets(fn, "codes named", codes_named(ours_text), codes_named(theirs_text))
    return out
