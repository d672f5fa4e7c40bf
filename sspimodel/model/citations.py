"""Citations resolved to the page element and line they quote.

A :class:`~sspimodel.model.rules.Citation` says ``(function, section, quote)``. :func:`resolve`
finds, in that function's page as read into a :class:`~sspimodel.spec.FunctionSpec`, the element
the quote comes from and its first line:

- section ``returns`` and a quote naming a return code: that **return-code row**;
- section ``parameters: NAME`` and a quote naming a value of NAME's tables: that **value row**;
  any other quote: the **parameter clause** (NAME's description and tables) that holds it;
- section ``remarks`` / ``description``: the **sentence** of that section that holds it.

A quote matches when its words appear, in order, in the element's text with the page's markup
(HTML tags, emphasis, links) taken away and whitespace folded (a quote may wrap across lines).
A citation that matches nothing is an error (:class:`CitationError`): :func:`verify` resolves
every citation of every rule table, and the test suite runs it, so a rule cannot cite words its
page does not say.

Resolution reads the pages (spec/pages), once per process; the model's calls never need it,
only explanations, reports and the check do.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from attrs import frozen

__all__ = ["Anchor", "CitationError", "resolve", "verify"]


class CitationError(ValueError):
    """A citation whose quote is not on its page (or whose page, section or parameter is not)."""


@frozen
class Anchor:
    """Where a citation lands: the page element, its file and line, and that line's text."""

    element: str  # "return-code row", "value row", "parameter clause", "remarks sentence", ...
    file: str  # e.g. spec/pages/InitializeSecurityContextA.md
    line: int
    text: str  # the page text the quote sits in, markup removed
    upstream: str | None = None  # the real page's path in the reference repository

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def __str__(self) -> str:
        return f"{self.where} ({self.element}): {self.text}"


_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"[*`]|(?<!\w)_(?=\w)|(?<=\w)_(?!\w)")
_SPACE = re.compile(r"\s+")
_ENTITIES = {"&nbsp;": " ", "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}


def _clean(line: str) -> str:
    text = _LINK.sub(r"\1", _TAG.sub("", line))
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    # Emphasis marks, but never the underscores inside a macro name (SEC_E_OK).
    text = text.replace("**", "").replace("`", "")
    text = re.sub(r"(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])", "", text)
    return _SPACE.sub(" ", text).strip()


def _fold(text: str) -> str:
    return _SPACE.sub(" ", text.replace("**", "").replace("`", "")).strip().casefold()


@cache
def _specset() -> Any:
    from ..read import read_spec

    return read_spec()


@cache
def _page_lines(path: str) -> tuple[str, ...]:
    return tuple(Path(path).read_text(encoding="utf-8", errors="replace").splitlines())


def _page_path(spec: Any) -> tuple[str, str]:
    """(file on disk, file as shown: spec/pages/NAME.md)."""
    root = Path(_specset().root)
    disk = root / spec.source.file
    try:
        from ..paths import REPO_ROOT

        shown = disk.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        shown = f"spec/pages/{spec.source.file}"
    return str(disk), shown


def _find(lines: tuple[str, ...], start: int, end: int, quote: str) -> tuple[int, str] | None:
    """The first line (1-based) in ``start..end`` where the folded ``quote`` begins, and the text
    of the lines it covers (markup removed)."""
    wanted = _fold(quote)
    if not wanted:
        return None
    cleaned: list[tuple[int, str]] = [(n, _clean(lines[n - 1])) for n in range(max(start, 1), min(end, len(lines)) + 1)]
    joined = ""
    owner: list[int] = []  # owner[i]: the line of joined[i]
    for n, text in cleaned:
        if not text:
            continue
        piece = text.casefold() + " "
        joined += piece
        owner.extend([n] * len(piece))
    at = joined.find(wanted)
    if at < 0:
        return None
    first, last = owner[at], owner[min(at + len(wanted) - 1, len(owner) - 1)]
    text = " ".join(t for n, t in cleaned if first <= n <= last and t)
    return first, text


def _section_span(spec: Any, name: str) -> tuple[int, int] | None:
    for section, span in spec.sections:
        if section == name:
            return span.start, span.end
    return None


def resolve(citation: Any) -> Anchor:
    """The page element and line ``citation`` quotes (raises :class:`CitationError`)."""
    return _resolve(citation.function, citation.section, citation.quote)


@cache
def _resolve(function: str, section: str, quote: str) -> Anchor:
    specset = _specset()
    spec = specset.get(function)
    if spec is None:
        raise CitationError(f"citation of {function!r}: no page for that function in {specset.root}")
    disk, shown = _page_path(spec)
    lines = _page_lines(disk)
    upstream = spec.upstream

    def anchor(element: str, span: tuple[int, int], what: str) -> Anchor:
        found = _find(lines, span[0], span[1], quote)
        if found is None:
            raise CitationError(
                f"{function}, {section}: the quote {quote!r} is not in the {what} "
                f"({shown}:{span[0]}-{span[1]})"
            )
        return Anchor(element, shown, found[0], found[1], upstream)

    if section == "returns":
        for rc in spec.returns:
            if rc.name == quote:
                found = _find(lines, rc.span.start, rc.span.end, quote)
                line = found[0] if found else rc.span.start
                text = f"{rc.name}: {rc.description}" if rc.description else rc.name
                return Anchor("return-code row", shown, line, text, upstream)
        span = _section_span(spec, "returns")
        if span is None:
            raise CitationError(f"{function}: the page has no Return value section ({shown})")
        return anchor("return-value clause", span, "Return value section")
    if section.startswith("parameters: "):
        name = section.removeprefix("parameters: ")
        try:
            param = spec.parameter(name)
        except KeyError:
            raise CitationError(f"{function}, {section}: the page has no parameter {name!r} ({shown})") from None
        for table in param.value_tables:
            for value in table.values:
                if value.name == quote:
                    text = f"{value.name}: {value.description}" if value.description else value.name
                    return Anchor("value row", shown, value.span.start, text, upstream)
        end = max([param.span.end, *(t.span.end for t in param.value_tables)])
        return anchor("parameter clause", (param.span.start, end), f"clause of parameter {name}")
    span = _section_span(spec, section)
    if span is None:
        raise CitationError(f"{function}: citation of section {section!r}, which the page does not have ({shown})")
    return anchor(f"{section} sentence", span, f"{section} section")


def verify() -> list[str]:
    """Resolve every citation of every rule table; the problems, one line each (none: all hold)."""
    from .rules import Citation, all_tables

    problems: list[str] = []
    for table in all_tables():
        for rule in table.rules:
            for basis in rule.bases():
                if isinstance(basis, Citation):
                    try:
                        resolve(basis)
                    except CitationError as e:
                        problems.append(f"{table.function}: rule {rule.id} ({rule.where}): {e}")
    return problems
