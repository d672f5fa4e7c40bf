"""Reader for the reference *source* markdown form (MicrosoftDocs/sdk-api ``sdk-api-src`` pages).

The grammar this reader accepts (FORMATS.md lists every variant it was written against)::

    page         := [front-matter] [H1] section*
    front-matter := "---" YAML "---"          UID, title, description, req.* keys, upstream
    section      := "## -" NAME block*        description | parameters | returns | remarks
                                              | see-also | struct-fields | enum-fields | syntax
    parameters   := [block*] param* orphan*
    param        := "### -param" NAME ["[" in|out|optional, ... "]"] block*
    orphan       := "#### -" NAME ["[" ... "]"] block*   (documents a TBD parameter of another name)
    block        := paragraph | pipe table | HTML table | list | quote | code | H3..H6 | HTML

Markdown structure and line spans come from the source tokenizer
(:mod:`sspimodel.read.source_scan`, a line scanner of ours for the markdown subset the pages use;
tests/test_read_scan.py holds it to markdown-it-py), as the shared raw-page types of
:mod:`sspimodel.read.raw`; the front matter from PyYAML (a fast path for plain ``key: value``
front matter, typed by PyYAML's own resolver; CSafeLoader otherwise); HTML tables from a tag
scanner of this module after joining the blocks a table is split into (an HTML block ends at each
blank line, so one ``<table>`` arrives as several blocks with paragraphs between them).

Nothing on a page makes :func:`read_source` raise: each problem becomes a Diagnostic on the
returned FunctionSpec, content that cannot be placed is kept in ``FunctionSpec.unparsed``, and
an internal error (a bug of this module met on a mangled page) becomes a ``read.internal``
diagnostic while the rest of the page is still read.

Severities: ``error`` = content was lost (a front matter that is not YAML, an internal error);
``warning`` = a defect of the page (TBD parameter, orphan heading, no direction, missing or
empty section, a return table without codes, content kept unparsed); ``info`` = a fact worth
knowing that is not a defect by itself (optional stated in prose, section order).
"""

from __future__ import annotations

import html
import re
import traceback
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, TypeVar

import yaml
from attrs import evolve

from ..spec import (
    Diagnostic,
    Direction,
    Field,
    Form,
    FunctionSpec,
    Mention,
    OrphanHeading,
    PageKind,
    Parameter,
    Requirements,
    ReturnCode,
    ReturnKind,
    SeeAlso,
    Severity,
    Span,
    Unparsed,
    Value,
    ValueTable,
    Variant,
    Via,
)
from .common import (
    HEX_RE,
    STATUS_CODE_RE,
    VALUE_NUMBER_RE,
    clean_text,
    diag,
    parse_value_number,
    split_variant,
)
from .frontmatter import FrontMatterRefused, load_front_matter
from .raw import Block, Cell, FrontMatter, Row, Section, Table
from .rules import (
    ITALIC_NAME_RE,
    OrphanMatcher,
    apply_reporting,
    clause_kind,
    is_value_table_header,
    misnamed_parameters,
    optional_in_prose,
    optional_named_elsewhere,
    pending_in,
    remarks_make_optional,
    row_kind,
)
from .source_scan import (
    _Collector,
    _render_html_fragment,
    _squash,
    scan_source,
)

__all__ = ["read_source"]


_T = TypeVar("_T")

# --------------------------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------------------------

_SECTION_RE = re.compile(r"^-\s*([A-Za-z][\w-]*)")
_PARAM_HEAD_RE = re.compile(
    r"^-\s*param\s+(?P<name>[^\s\[\]]+)\s*(?:\[(?P<ann>[^\]]*)\]?)?\s*(?P<rest>.*)$", re.I
)
_FIELD_HEAD_RE = re.compile(r"^-\s*field\s+(?P<name>[A-Za-z_][\w.]*)\s*(?::\s*(?P<value>\S+))?\s*$", re.I)
_ORPHAN_HEAD_RE = re.compile(
    r"^-\s*(?:param\s+)?(?P<name>[A-Za-z_][\w.]*)\s*(?:\[(?P<ann>[^\]]*)\]?)?\s*(?P<rest>.*)$"
)
_TABLE_OPEN_RE = re.compile(r"<table\b", re.I)
_TABLE_CLOSE_RE = re.compile(r"</table\s*>", re.I)
# `<a id="X"></a>` anchors carry nothing the reader keeps and are two of the commonest tags of a
# legacy value table: dropped before the tag scanner sees the chunk (line numbers are unchanged).
_ANCHOR_RE = re.compile(r"<a\s+id=\"[^\"<>]*\"\s*>\s*</a>", re.I)
# `<div class="alert"><b>Note</b>NBSPNBSP text</div>` reads "Note: text", as `> [!NOTE]` does and
# as the rendered page shows it.
_ALERT_DIV_RE = re.compile(
    r"(<div\s+class=\"alert\"\s*>\s*)<b>\s*(Note|Caution|Important|Warning|Tip)\s*:?\s*</b>[\s\u00a0]*", re.I
)
_IDENT_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_TBD_RE = re.compile(r"^\s*tbd\s*\.?\s*$", re.I)

# Optional stated in the text, not the annotation (FORMATS.md: "*optional* A pointer",
# "*Optional*. A pointer", "The **optional** time limit"; facts.json also counts "This
# parameter can be **NULL**" as optional-in-prose).

# Returns prose. A clause's class is taken from the marker that comes first in it: English puts
# the condition first ("If the function fails, ... before it succeeds").
# "still in progress", "pending", "while the request is still running", "until the call is completed",
# "while the queued work has not finished" (the pending status of the async family).
# "SspiGetAsyncCallStatus returns ..." makes what follows (and "it" after it) what that function
# reports later, not what the documented function returns (DESIGN.md section 8).
_ASYNC_SUBJECT_RE = re.compile(
    r"\bSspiGetAsyncCallStatus\s+(?:will\s+|may\s+|can\s+|might\s+)?(?:also\s+)?(?:returns?|reports?)\b", re.I
)
_CALL_SUBJECT_RE = re.compile(
    r"^(?:\W*)returns?\b|\b(?:the|this)\s+function\s+(?:will\s+|may\s+|can\s+)?(?:returns?|fails|succeeds)\b"
    r"|\bthe return value\b",
    re.I,
)
_TABLE_REF_RE = re.compile(r"\btables?\b|\bfollowing\b|\bbelow\b|\bthese\b", re.I)
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3}
_ORDINAL_RE = re.compile(r"\b(first|second|third|fourth)\s+table\b", re.I)
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?:])\s+(?=[A-Z*_<\[(\"'])")
_CLAUSE_SPLIT_RE = re.compile(r";\s*|,\s+(?=or\s)|(?<=[,.])\s+(?=otherwise\b)|\s+(?=Otherwise\b)", re.I)

# See-also link targets.
_PAGE_SLUG_RE = re.compile(r"(?:^|/)(n[fsenci])-([a-z0-9_]+)-([a-z0-9_]+?)(?:\.md)?(?:[#?].*)?$", re.I)
_API_TITLE_RE = re.compile(
    r"^([A-Za-z_][A-Za-z0-9_]*)(?:\s*\([^)]*\))?(?:\s+(?:function|macro|callback))?\s*$"
)
_OPAQUE_SEGMENT_RE = re.compile(
    r"^(?:[0-9a-f]{8}-[0-9a-f-]{27,}|[a-z]{2}\d{6}(?:\(v=vs\.\d+\))?(?:\.aspx)?)$", re.I
)


# The sections a function page has, in the order the reference pages normally give them.
_SECTION_ORDER = (
    "description",
    "syntax",
    "parameters",
    "struct-fields",
    "enum-fields",
    "returns",
    "remarks",
    "see-also",
)
_KNOWN_SECTIONS = frozenset(_SECTION_ORDER)

_PAGE_KINDS = {"NF": PageKind.FUNCTION, "NS": PageKind.STRUCT, "NE": PageKind.ENUM, "NC": PageKind.CALLBACK}

_EXPECTED_SECTIONS: dict[str, tuple[tuple[str, Severity], ...]] = {
    # UID kind -> sections whose absence is reported, with the severity.
    "NF": (
        ("description", Severity.WARNING),
        ("parameters", Severity.INFO),  # a function without parameters may have no section
        ("returns", Severity.INFO),  # a void function (SspiFreeAsyncContext) has none
        ("remarks", Severity.INFO),
        ("see-also", Severity.INFO),
    ),
    "NS": (("description", Severity.WARNING), ("struct-fields", Severity.INFO)),
    "NE": (("description", Severity.WARNING), ("enum-fields", Severity.INFO)),
}

# --------------------------------------------------------------------------------------------
# Intermediate structures (private; the public result is sspimodel.spec)
# --------------------------------------------------------------------------------------------


_Cell = Cell
_Row = Row
_Table = Table
_Block = Block
_Section = Section

@dataclass(slots=True)
class _ParamDoc:
    """One `### -param` (or orphan `#### -`) entry before reconciliation."""

    name: str
    annotation: str | None
    direction: Direction
    optional: bool
    heading_line: int
    start: int
    end: int
    description: str
    value_tables: list[ValueTable]
    prose_optional: bool
    tbd: bool
    orphan: bool
    row_names: list[tuple[int, int, str]]  # (start, end, value name) for mention contexts


# A parameter's line range, its name, and its value rows (start, end, value name): where a
# status code named on the page sits, for Mention.section and Mention.context.
_Region = tuple[int, int, str, list[tuple[int, int, str]]]


_HTML_TOKEN_RE = re.compile(
    r"<(?:!--.*?(?:-->|\Z)|![^>]*>|\?[^>]*>|(/?)([A-Za-z][^\t\n\r\f />\x00]*)([^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*)>)",
    re.S,
)
_ATTR_RE = re.compile(r"""([^\s/>"'=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")


class _HtmlTables:
    """Splits an HTML chunk into tables (rows of cells, with line spans) and the text around them.

    A tag tokenizer of our own (comments, declarations and processing instructions dropped, tag
    and attribute names lowercased, character references in text and attribute values decoded),
    calling handlers shaped like html.parser's."""

    base: int
    _lineno: int

    def feed(self, chunk: str) -> None:
        pos = 0
        line = self.base + 1
        counted = 0
        for m in _HTML_TOKEN_RE.finditer(chunk):
            start = m.start()
            if start > pos:
                line += chunk.count("\n", counted, pos)
                counted = pos
                self._lineno = line
                data = chunk[pos:start]
                self.handle_data(html.unescape(data) if "&" in data else data)
            pos = m.end()
            name = m.group(2)
            if name is None:
                continue
            line += chunk.count("\n", counted, start)
            counted = start
            self._lineno = line
            tag = name.lower()
            if m.group(1):
                self.handle_endtag(tag)
                continue
            rest = m.group(3) or ""
            attrs: list[tuple[str, str | None]] = []
            if tag == "a" and rest.strip():
                for am in _ATTR_RE.finditer(rest):
                    v = am.group(2) if am.group(2) is not None else am.group(3) if am.group(3) is not None else am.group(4)
                    attrs.append((am.group(1).lower(), html.unescape(v) if v is not None else None))
            if rest.rstrip().endswith("/"):
                self.handle_startendtag(tag, attrs)
            else:
                self.handle_starttag(tag, attrs)
        if pos < len(chunk):
            line += chunk.count("\n", counted, pos)
            self._lineno = line
            data = chunk[pos:]
            self.handle_data(html.unescape(data) if "&" in data else data)

    def close(self) -> None:
        pass

    def __init__(self, first_line: int) -> None:
        self._lineno = first_line
        self.base = first_line - 1
        self.items: list[_Table | _Block] = []
        self.depth = 0
        self.table: _Table | None = None
        self.row: _Row | None = None
        self.cell: _Collector | None = None
        self.cell_header = False
        self.outside = _Collector()
        self.outside_start: int | None = None
        self.outside_end = first_line
        self.unclosed: list[int] = []

    def _line(self) -> int:
        return self._lineno

    def _flush_outside(self) -> None:
        if self.outside_start is not None:
            parts, _bolds, links = self.outside.finish()
            if parts or links:
                self.items.append(
                    _Block("text", self.outside_start, self.outside_end, text="\n".join(parts), links=links)
                )
        self.outside = _Collector()
        self.outside_start = None

    def _close_cell(self) -> None:
        if self.cell is not None and self.row is not None:
            self.row.cells.append(self.cell.cell(self.cell_header))
        self.cell = None

    def _close_row(self, line: int) -> None:
        self._close_cell()
        row, table = self.row, self.table
        self.row = None
        if row is None or table is None or not row.cells:
            return
        row.end = max(row.start, line)
        if all(c.header for c in row.cells) and not table.header and not table.rows:
            table.header = [c.text.replace("\n", " ") for c in row.cells]
        else:
            table.rows.append(row)

    def _close_table(self, line: int) -> None:
        self._close_row(line)
        if self.table is not None:
            self.table.end = max(self.table.start, line)
            self.items.append(self.table)
        self.table = None

    def _target(self) -> _Collector | None:
        if self.depth == 0:
            return self.outside
        return self.cell

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self._line()
        if tag == "table":
            self.depth += 1
            if self.depth == 1:
                self._flush_outside()
                self.table = _Table([], [], line, line)
                return
        elif self.depth == 1 and tag == "tr":
            self._close_row(line)
            self.row = _Row([], line, line)
            return
        elif self.depth == 1 and tag in ("td", "th"):
            self._close_cell()
            if self.row is None:
                self.row = _Row([], line, line)
            self.cell = _Collector()
            self.cell_header = tag == "th"
            return
        target = self._target()
        if target is None:
            return
        if self.depth == 0 and self.outside_start is None:
            self.outside_start = line
        href = next((v for k, v in attrs if k == "href"), None) if tag == "a" else None
        if tag == "a":
            if href is not None:
                target.link_open(href)
        else:
            target.tag(False, tag, "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        target = self._target()
        if target is not None and tag != "a":
            target.tag(False, tag, "")

    def handle_endtag(self, tag: str) -> None:
        line = self._line()
        if tag == "table":
            if self.depth == 1:
                self._close_table(line)
            self.depth = max(0, self.depth - 1)
            return
        if self.depth == 1 and tag == "tr":
            self._close_row(line)
            return
        if self.depth == 1 and tag in ("td", "th"):
            self._close_cell()
            return
        target = self._target()
        if target is not None:
            target.tag(True, tag, "")

    def handle_data(self, data: str) -> None:
        target = self._target()
        if target is None:
            return
        if self.depth == 0:
            if not data.strip(" \t\n\u00a0"):
                if self.outside_start is None:
                    return
            elif self.outside_start is None:
                self.outside_start = self._line()
            self.outside_end = self._line() + data.count("\n")
        target.data(data)

    def finish(self, last_line: int) -> list[_Table | _Block]:
        self.close()
        if self.table is not None:
            self.unclosed.append(self.table.start)
            self._close_table(last_line)
            self.depth = 0
        self._flush_outside()
        return self.items


# --------------------------------------------------------------------------------------------
# The reader
# --------------------------------------------------------------------------------------------


def read_source(text: str, file: str) -> FunctionSpec:
    """Read one page in the reference source markdown form. Never raises on content.

    ``file`` is the name the page is reported under (spans, diagnostics).
    """
    try:
        return _Reader(text, file).read()
    except Exception as e:  # a bug of this module, met on some page: report it, return the page
        return _fallback(text, file, e)


def _where(e: BaseException) -> str:
    tb = traceback.extract_tb(e.__traceback__)
    for frame in reversed(tb):
        if frame.filename.endswith("source.py"):
            return f"source.py:{frame.lineno} in {frame.name}"
    return tb[-1].name if tb else "?"


def _internal(file: str, e: BaseException, phase: str) -> Diagnostic:
    return diag(
        "read.internal",
        Severity.ERROR,
        file,
        0,
        f"internal error of the source reader while reading {phase}: {type(e).__name__}: {e} ({_where(e)});"
        " what could be read is kept",
    )


def _name_from_file(file: str) -> str:
    stem = PurePath(file).name.split(".", 1)[0] or "unnamed"
    m = re.match(r"^n[fsec]-[a-z0-9]+-(.+)$", stem)
    return m.group(1) if m else stem


def _fallback(text: str, file: str, e: BaseException) -> FunctionSpec:
    m = re.search(r"^UID:\s*\w+:[\w.]*?\.(\w+)\s*$", text if isinstance(text, str) else "", re.M)
    name = m.group(1).lstrip("_") if m and m.group(1).lstrip("_") else _name_from_file(str(file))
    lines = max(1, text.count("\n") + 1) if isinstance(text, str) else 1
    return FunctionSpec(
        name=name,
        variant=Variant.NEUTRAL,
        neutral_name=name,
        form=Form.SOURCE,
        source=Span(str(file), 1, lines),
        diagnostics=(_internal(str(file), e, "the page"),),
    )


class _Reader:
    def __init__(self, text: str, file: str) -> None:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if text.startswith("\ufeff"):
            text = text[1:]
        self.text = text
        self.file = file
        self.lines = text.split("\n")
        self.nlines = max(1, len(self.lines) - (1 if text.endswith("\n") else 0))
        self.diags: list[Diagnostic] = []
        self.unparsed: list[Unparsed] = []
        self.fm: dict[str, Any] = {}
        self.fm_span: tuple[int, int] | None = None
        self.uid_kind = ""
        self.name = ""
        self.h1 = ""
        self._line_starts: list[int] | None = None
        self.orphan_headings: list[OrphanHeading] = []
        self.returns_form = "empty"
        self.returns_lists = 0

    # ---- helpers ---------------------------------------------------------------------------

    def warn(self, rule: str, line: int, message: str, severity: Severity = Severity.WARNING) -> None:
        self.diags.append(diag(rule, severity, self.file, line, message))

    def span(self, start: int, end: int) -> Span:
        start = max(1, start)
        return Span(self.file, start, max(start, end))

    def keep_unparsed(
        self, section: str, start: int, end: int, reason: str, severity: Severity = Severity.WARNING
    ) -> None:
        text = "\n".join(self.lines[start - 1 : end]).strip("\n")
        if not text.strip():
            return
        self.unparsed.append(Unparsed(section, text, self.span(start, end), reason))
        self.warn(
            "read.unparsed", start, f"{section}: {reason} (lines {start}-{end} kept unparsed)", severity
        )

    def guarded(self, phase: str, fn: Callable[[], _T], default: _T) -> _T:
        try:
            return fn()
        except Exception as e:  # a bug met on a mangled page must not lose the rest of it
            self.diags.append(_internal(self.file, e, phase))
            return default

    def raw(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start - 1 : end])

    def line_of(self, offset: int) -> int:
        if self._line_starts is None:
            starts = [0]
            pos = self.text.find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = self.text.find("\n", pos + 1)
            self._line_starts = starts
        return bisect_right(self._line_starts, offset)

    # ---- top level -------------------------------------------------------------------------

    def read(self) -> FunctionSpec:
        raw = self.guarded("markdown structure", lambda: scan_source(self.text, self.lines), None)
        fm = raw.front_matter if raw is not None else None
        self.h1 = raw.h1 if raw is not None else ""
        self.guarded("front matter", lambda: self.front_matter(fm), None)
        blocks = list(raw.blocks) if raw is not None else []
        blocks = self.guarded("HTML tables", lambda: self.join_html(blocks), blocks)
        no_sections: list[_Section] = []
        sections = self.guarded("sections", lambda: self.sections(blocks), no_sections)

        self.name = self.guarded("name", self.resolve_name, "") or _name_from_file(self.file)
        by_key: dict[str, _Section] = {}
        for s in sections:
            if s.key in by_key and s.key in _KNOWN_SECTIONS:
                self.warn(
                    "read.duplicate-section",
                    s.start,
                    f"second '## -{s.key}' section (first at line {by_key[s.key].start}); its content is appended",
                )
                first = by_key[s.key]
                first.blocks.extend(s.blocks)
                first.end = max(first.end, s.end)
            else:
                by_key.setdefault(s.key, s)
        self.guarded("section list", lambda: self.check_sections(sections, by_key), None)

        description = self.guarded("description", lambda: self.section_text(by_key.get("description")), "")
        if not description:
            description = clean_text(str(self.fm_get("description") or ""))
        no_params: tuple[list[Parameter], list[_Region]] = ([], [])
        params, regions = self.guarded("parameters", lambda: self.parameters(sections), no_params)
        no_fields: list[Field] = []
        fields = self.guarded("fields", lambda: self.fields(sections), no_fields)
        no_returns: tuple[list[ReturnCode], str] = ([], "")
        returns, returns_prose = self.guarded(
            "returns", lambda: self.returns(by_key.get("returns")), no_returns
        )
        remarks = self.guarded("remarks", lambda: self.section_text(by_key.get("remarks")), "")
        params = self.guarded("optional in remarks", lambda: self.optional_from_remarks(params, remarks), params)
        self.guarded("parameter names in prose", lambda: self.check_prose_names(params), None)
        # rule.reported-via (GetLastError, an out parameter), applied once for both forms.
        returns = self.guarded("reporting", lambda: apply_reporting(returns, returns_prose, params), returns)
        no_see_also: list[SeeAlso] = []
        see_also = self.guarded("see-also", lambda: self.see_also(by_key.get("see-also")), no_see_also)
        no_mentions: list[Mention] = []
        mentions = self.guarded("mentioned codes", lambda: self.mentions(sections, regions), no_mentions)
        self.guarded("other sections", lambda: self.other_sections(sections), None)
        requirements = self.guarded("requirements", self.requirements, Requirements())

        fm_desc = str(self.fm_get("description") or "")
        api_names = self.fm_get("api_name")
        aliases = tuple(str(x) for x in api_names) if isinstance(api_names, list) else ()
        variant, neutral = split_variant(self.name, requirements.unicode_ansi, fm_desc, aliases)
        upstream = self.fm_get("upstream")
        if not upstream:
            prefix = (self.uid_kind or "NF").lower()
            upstream = f"sdk-api-src/content/sspi/{prefix}-sspi-{self.name.lower()}.md"
        title = str(self.fm_get("title") or self.h1 or "").strip().strip('"')

        name = self.name
        diags = sorted(
            (evolve(d, function=name) if d.function is None else d for d in self.diags),
            key=lambda d: d.line,
        )
        return FunctionSpec(
            name=name,
            variant=variant,
            neutral_name=neutral,
            form=Form.SOURCE,
            source=Span(self.file, 1, self.nlines),
            title=title,
            upstream=str(upstream),
            description=description,
            requirements=requirements,
            prototype=None,
            parameters=tuple(params),
            returns=tuple(returns),
            returns_prose=returns_prose,
            mentioned_codes=tuple(mentions),
            remarks=remarks,
            see_also=tuple(see_also),
            unparsed=tuple(self.unparsed),
            diagnostics=tuple(diags),
            sections=tuple(
                (s.heading if s.key.startswith("?") else s.key, self.span(s.start, s.end))
                for s in sections
                if s.key != "preamble"
            ),
            kind=_PAGE_KINDS.get(self.uid_kind, PageKind.FUNCTION),
            fields=tuple(fields),
            orphan_headings=tuple(self.orphan_headings),
            returns_form=self.returns_form,
        )

    # ---- front matter ----------------------------------------------------------------------

    def fm_get(self, key: str) -> Any:
        v = self.fm.get(key)
        if v is None:
            v = self.fm.get(key.lower())
        return v

    def front_matter(self, tok: FrontMatter | None) -> None:
        if tok is None:
            if self.text.startswith("---"):
                # Opening marker without a closing one: the tokenizer reads it as a rule and text.
                end = next((i for i, ln in enumerate(self.lines[1:], 2) if ln.startswith(("#", "---"))), 1)
                self.fm_span = (1, max(1, end - 1))
                self.warn(
                    "read.front-matter",
                    1,
                    "front matter opened with '---' is never closed; its 'key: value' lines are read one by one",
                    Severity.ERROR,
                )
                self.fm = _salvage_front_matter(self.lines[1 : end - 1])
            else:
                self.warn(
                    "read.front-matter", 1, "page has no YAML front matter (no UID, title or req.* keys)"
                )
            return
        start, end = tok.start, tok.end
        self.fm_span = (start, end)
        content = tok.content
        try:
            data = load_front_matter(content)
        except FrontMatterRefused as e:
            self.warn(
                "read.front-matter",
                start + 1 + e.line,
                f"{e.reason}; its 'key: value' lines are read one by one",
                Severity.ERROR,
            )
            self.fm = _salvage_front_matter(content.split("\n"))
            return
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
            line = start + 1 + (mark.line if mark is not None else 0)
            problem = getattr(e, "problem", None) or str(e).splitlines()[0]
            self.warn(
                "read.front-matter",
                line,
                f"front matter is not valid YAML ({problem}); its 'key: value' lines are read one by one",
                Severity.ERROR,
            )
            self.fm = _salvage_front_matter(content.split("\n"))
            return
        if data is None:
            self.fm = {}
            self.warn("read.front-matter", start, "front matter is empty")
        elif not isinstance(data, dict):
            self.warn(
                "read.front-matter",
                start,
                f"front matter is a YAML {type(data).__name__}, not a mapping",
                Severity.ERROR,
            )
            self.fm = {}
        else:
            self.fm = {str(k): v for k, v in data.items()}

    def resolve_name(self) -> str:
        uid = self.fm_get("UID") or self.fm_get("uid")
        title = str(self.fm_get("title") or "").strip().strip('"')
        title_name = _first_ident(title)
        h1_name = _first_ident(self.h1)
        if uid:
            m = re.match(r"^\s*(N[A-Z])\s*:\s*[\w.]*?\.?([A-Za-z_]\w*)\s*$", str(uid))
            if m:
                self.uid_kind = m.group(1)
                name = m.group(2)
                if self.uid_kind != "NF" and name.startswith("_") and name.lstrip("_"):
                    # Struct and enum UIDs name the tag (NS:sspi._SecBuffer); the page is
                    # about the typedef (SecBuffer), which some titles quote as the tag.
                    name = name.lstrip("_")
                # A title may give the neutral name of an A/W function ("AcquireCredentialsHandle
                # (CredSSP)" on the AcquireCredentialsHandleA page).
                if title_name and name not in (title_name.lstrip("_"), title_name + "A", title_name + "W"):
                    self.warn(
                        "read.name-mismatch",
                        self.fm_span[0] if self.fm_span else 1,
                        f"front matter UID names {name} but title names {title_name}",
                    )
                return name
            self.warn(
                "read.no-name",
                self.fm_span[0] if self.fm_span else 1,
                f"UID {uid!r} is not of the form 'NF:sspi.Name'",
            )
        if title_name:
            self.uid_kind = self.uid_kind or ("NS" if "structure" in title.lower() else "NF")
            self.warn(
                "read.no-name",
                1,
                f"no UID in front matter; name {title_name} taken from the title",
                Severity.INFO,
            )
            return title_name
        if h1_name:
            self.warn("read.no-name", 1, f"no UID or title; name {h1_name} taken from the H1 heading")
            return h1_name
        name = _name_from_file(self.file)
        self.warn("read.no-name", 1, f"no UID, title or H1 heading; name {name!r} taken from the file name")
        return name

    def requirements(self) -> Requirements:
        def get(key: str) -> str | None:
            v = self.fm_get(key)
            if v is None:
                return None
            s = _scalar_text(v)
            return s or None

        known = {
            "req.target-min-winverclnt",
            "req.target-min-winversvr",
            "req.target-type",
            "req.header",
            "req.include-header",
            "req.lib",
            "req.dll",
            "req.unicode-ansi",
        }
        other = sorted(
            (k, _scalar_text(v))
            for k, v in self.fm.items()
            if k.startswith("req.") and k not in known and v is not None and _scalar_text(v)
        )
        return Requirements(
            min_client=get("req.target-min-winverclnt"),
            min_server=get("req.target-min-winversvr"),
            target_platform=get("req.target-type"),
            header=get("req.header"),
            include_header=get("req.include-header"),
            library=get("req.lib"),
            dll=get("req.dll"),
            unicode_ansi=get("req.unicode-ansi"),
            other=tuple(other),
        )

    # ---- blocks ----------------------------------------------------------------------------

    def join_html(self, blocks: list[_Block]) -> list[_Block]:
        """Join the blocks one HTML table is split into, and parse them with the tag scanner."""
        out: list[_Block] = []
        i, n = 0, len(blocks)
        while i < n:
            b = blocks[i]
            if b.kind in ("html", "text") and _TABLE_OPEN_RE.search(b.raw):
                balance = len(_TABLE_OPEN_RE.findall(b.raw)) - len(_TABLE_CLOSE_RE.findall(b.raw))
                j = i
                while balance > 0 and j + 1 < n and blocks[j + 1].kind != "heading":
                    j += 1
                    nxt = self.raw(blocks[j].start, blocks[j].end)
                    balance += len(_TABLE_OPEN_RE.findall(nxt)) - len(_TABLE_CLOSE_RE.findall(nxt))
                start, end = b.start, blocks[j].end
                parser = _HtmlTables(start)
                chunk = _ANCHOR_RE.sub("", self.raw(start, end))
                if "alert" in chunk:
                    chunk = _ALERT_DIV_RE.sub(r"\1\2: ", chunk)
                parser.feed(chunk)
                for item in parser.finish(end):
                    if isinstance(item, _Table):
                        out.append(_Block("table", item.start, item.end, table=item))
                    else:
                        out.append(item)
                for line in parser.unclosed:
                    self.warn(
                        "read.html-table",
                        line,
                        f"HTML table opened at line {line} is not closed before line {end + 1}",
                    )
                i = j + 1
            elif b.kind == "html":
                col = _Collector()
                raw = _ALERT_DIV_RE.sub(r"\1\2: ", b.raw) if "alert" in b.raw else b.raw
                _render_html_fragment(raw, col)
                parts, _bolds, links = col.finish()
                out.append(_Block("text", b.start, b.end, text="\n".join(parts), raw=b.raw, links=links))
                i += 1
            else:
                out.append(b)
                i += 1
        return out

    # ---- sections --------------------------------------------------------------------------

    def sections(self, blocks: list[_Block]) -> list[_Section]:
        first_line = (self.fm_span[1] + 1) if self.fm_span else 1
        cur = _Section("preamble", "", first_line, first_line, [])
        out = [cur]
        for b in blocks:
            if b.kind == "heading" and b.level <= 2:
                cur.end = b.start - 1
                if b.level == 1:
                    # The H1 title line; a later H1 starts an unknown section.
                    if b.text == self.h1 and cur.key == "preamble" and not cur.blocks:
                        cur.start = b.end + 1
                        continue
                    cur = _Section("?" + b.text, b.text, b.start, b.end, [])
                else:
                    m = _SECTION_RE.match(b.text)
                    key = m.group(1).lower() if m else "?" + b.text
                    cur = _Section(key, b.text, b.start, b.end, [])
                out.append(cur)
            else:
                cur.blocks.append(b)
                cur.end = max(cur.end, b.end)
        last = self.nlines
        for k, s in enumerate(out):
            nxt = out[k + 1].start - 1 if k + 1 < len(out) else last
            s.end = max(s.start, nxt)
        if not out[0].blocks:
            out.pop(0)
        return out

    def check_sections(self, sections: list[_Section], by_key: dict[str, _Section]) -> None:
        kind = self.uid_kind or "NF"
        for key, sev in _EXPECTED_SECTIONS.get(kind, _EXPECTED_SECTIONS["NF"]):
            if key not in by_key:
                self.warn("read.missing-section", 1, f"page has no '## -{key}' section", sev)
        for s in sections:
            if s.key in _KNOWN_SECTIONS and not any(_block_has_content(b) for b in s.blocks):
                sev = Severity.WARNING if s.key in ("description", "returns", "parameters") else Severity.INFO
                self.warn("read.empty-section", s.start, f"section '## -{s.key}' is empty", sev)
        order = [s.key for s in sections if s.key in _KNOWN_SECTIONS]
        ranks = [_SECTION_ORDER.index(k) for k in order]
        for a, b, sa in zip(
            ranks, ranks[1:], [s for s in sections if s.key in _KNOWN_SECTIONS][1:], strict=False
        ):
            if b < a:
                self.warn(
                    "read.section-order",
                    sa.start,
                    f"section '## -{sa.key}' comes after '## -{_SECTION_ORDER[a]}' (sections out of the usual order)",
                    Severity.INFO,
                )

    def section_text(self, s: _Section | None) -> str:
        if s is None:
            return ""
        return clean_text("\n\n".join(_block_text(b) for b in s.blocks))

    def other_sections(self, sections: list[_Section]) -> None:
        for s in sections:
            if s.key == "preamble":
                self.keep_unparsed("preamble", s.start, s.end, "content before the first '## -' section")
            elif s.key.startswith("?"):
                self.keep_unparsed(s.heading or "?", s.start, s.end, f"unknown section heading '{s.heading}'")
            elif s.key in ("struct-fields", "enum-fields"):
                pass  # read by fields()
            elif s.key == "syntax":
                self.keep_unparsed(
                    "syntax",
                    s.start,
                    s.end,
                    "'## -syntax' prototypes are not read from source pages",
                    Severity.INFO,
                )
            elif s.key not in _KNOWN_SECTIONS:
                self.keep_unparsed(s.key, s.start, s.end, f"unknown section '## -{s.key}'")

    def check_prose_names(self, params: list[Parameter]) -> None:
        """rule.parameter-name-in-prose: italic names that look like a parameter but are none."""
        if not params:
            return
        start = self.fm_span[1] if self.fm_span else 0
        offset = sum(len(x) + 1 for x in self.lines[:start]) if start else 0
        found: dict[str, int] = {}
        for m in ITALIC_NAME_RE.finditer(self.text, offset):
            found.setdefault(m.group(1) or m.group(2), m.start())
        names = [p.name for p in params]
        for name, meant in misnamed_parameters(list(found), names):
            self.warn(
                "read.parameter-name-in-prose",
                self.line_of(found[name]),
                f"the text names {name}, which is no parameter of {self.name}; it most likely means {meant}",
            )

    def optional_from_remarks(self, params: list[Parameter], remarks: str) -> list[Parameter]:
        """rule.optional-in-prose (remarks): "The X and Y parameters can be set to null"."""
        out = []
        named_null = optional_named_elsewhere(params)
        for p in params:
            if not p.optional and remarks_make_optional(p.name, remarks):
                p = evolve(p, optional=True, optional_source="prose")
                self.warn(
                    "read.optional-in-prose",
                    p.span.start,
                    f"parameter {p.name}: optional only in the remarks (they say it can be set to null)",
                    Severity.INFO,
                )
            elif not p.optional and p.name in named_null:
                p = evolve(p, optional=True, optional_source="prose")
                self.warn(
                    "read.optional-in-prose",
                    p.span.start,
                    f"parameter {p.name}: optional only in another parameter's text (it says {p.name} must or can be NULL)",
                    Severity.INFO,
                )
            out.append(p)
        return out

    # ---- struct and enum members ------------------------------------------------------------

    def fields(self, sections: list[_Section]) -> list[Field]:
        """`### -field NAME` (struct) or `### -field NAME:VALUE` (enum) entries, in page order."""
        out: list[Field] = []
        for s in sections:
            if s.key not in ("struct-fields", "enum-fields"):
                continue
            heads: list[tuple[str, str | None, int, list[_Block]]] = []
            intro: list[_Block] = []
            for b in s.blocks:
                m = _FIELD_HEAD_RE.match(b.text) if b.kind == "heading" and b.level == 3 else None
                if m is None:
                    (heads[-1][3] if heads else intro).append(b)
                else:
                    heads.append((m.group("name"), m.group("value"), b.start, []))
            for k, (name, value, line, body) in enumerate(heads):
                end = heads[k + 1][2] - 1 if k + 1 < len(heads) else s.end
                text = clean_text("\n\n".join(_block_text(b) for b in body))
                out.append(Field(name, text, self.span(line, max(line, end)), None, value))
            if intro and any(_block_has_content(x) for x in intro):
                self.keep_unparsed(s.key, intro[0].start, intro[-1].end, "text before the first '### -field' heading")
        return out

    # ---- parameters ------------------------------------------------------------------------

    def parameters(self, sections: list[_Section]) -> tuple[list[Parameter], list[_Region]]:
        docs: list[_ParamDoc] = []
        regions: list[_Region] = []
        for s in sections:
            in_params = s.key == "parameters"
            # Split the section's blocks at -param headings (H3) and orphan headings (H4 "- name").
            cur: _ParamDoc | None = None
            cur_blocks: list[_Block] = []
            intro: list[_Block] = []

            def close(end: int) -> None:
                nonlocal cur, cur_blocks
                if cur is not None:
                    self.fill_param(cur, cur_blocks, end)
                    docs.append(cur)
                cur, cur_blocks = None, []

            for b in s.blocks:
                head = None
                if b.kind == "heading":
                    if b.level == 3 and (m := _PARAM_HEAD_RE.match(b.text)):
                        head = (m, False)
                    elif (
                        in_params
                        and b.level >= 4
                        and b.text.startswith("-")
                        and (m := _ORPHAN_HEAD_RE.match(b.text))
                    ):
                        head = (m, True)
                if head is None:
                    if cur is not None:
                        cur_blocks.append(b)
                    elif in_params:
                        intro.append(b)
                    continue
                close(b.start - 1)
                m, orphan = head
                if not in_params:
                    self.warn(
                        "read.misplaced-parameter",
                        b.start,
                        f"'### -param {m.group('name')}' outside '## -parameters' (in section '{s.key}'); read as a parameter",
                    )
                cur = self.param_head(m, orphan, b)
            close(s.end)
            if intro and any(_block_has_content(x) for x in intro):
                self.keep_unparsed(
                    "parameters", intro[0].start, intro[-1].end, "text before the first '### -param' heading"
                )
        params = self.reconcile(docs)
        self.orphan_headings = [OrphanHeading(d.name, d.annotation, d.heading_line) for d in docs if d.orphan]
        for d in docs:
            regions.append((d.heading_line, d.end, d.name, d.row_names))
        return params, regions

    def param_head(self, m: re.Match[str], orphan: bool, b: _Block) -> _ParamDoc:
        name = m.group("name")
        ann = m.group("ann")
        direction, optional, unknown = _annotation(ann)
        if unknown:
            self.warn(
                "read.annotation",
                b.start,
                f"parameter {name}: annotation [{ann}] has unknown word(s) {', '.join(unknown)}",
            )
        rest = (m.group("rest") or "").strip()
        if rest:
            self.warn(
                "read.unparsed",
                b.start,
                f"parameter {name}: heading text after the name not understood: {rest!r}",
            )
        return _ParamDoc(
            name=name,
            annotation=ann,
            direction=direction,
            optional=optional,
            heading_line=b.start,
            start=b.start,
            end=b.end,
            description="",
            value_tables=[],
            prose_optional=False,
            tbd=False,
            orphan=orphan,
            row_names=[],
        )

    def fill_param(self, p: _ParamDoc, blocks: list[_Block], end: int) -> None:
        texts: list[str] = []
        for b in blocks:
            t = b.table
            if b.kind == "table" and t is not None and is_value_table_header(t.header):
                vt, rows = self.value_table(t, p.name)
                if vt.values:
                    p.value_tables.append(vt)
                    p.row_names.extend(rows)
                    continue
            texts.append(_block_text(b))
        p.description = clean_text("\n\n".join(texts))
        last = max([p.heading_line] + [b.end for b in blocks])
        p.start, p.end = p.heading_line, max(p.heading_line, min(end, last))
        p.tbd = bool(_TBD_RE.match(p.description))
        body = self.raw(p.heading_line + 1, p.end)
        low = body.lower()  # cheap filter before the two regexes, which try every position
        p.prose_optional = ("optional" in low or "null" in low) and optional_in_prose(body)

    def value_table(self, t: _Table, param: str) -> tuple[ValueTable, list[tuple[int, int, str]]]:
        values: list[Value] = []
        rows: list[tuple[int, int, str]] = []
        for r in t.rows:
            if not r.cells:
                continue
            name, number_text = _name_and_number(r.cells[0])
            desc = "\n".join(c.text for c in r.cells[1:])
            if not name:
                self.keep_unparsed(
                    f"parameters: {param}", r.start, r.end, "value table row without a value name"
                )
                continue
            number = parse_value_number(number_text) if number_text else None
            if number_text and number is None:
                self.warn(
                    "read.value-number",
                    r.start,
                    f"parameter {param}: value {name} gives {number_text!r}, which is not a number this reader knows",
                    Severity.INFO,
                )
            values.append(Value(name, number, number_text, clean_text(desc), self.span(r.start, r.end)))
            rows.append((r.start, r.end, name))
        return ValueTable(tuple(t.header), tuple(values), self.span(t.start, t.end)), rows

    def reconcile(self, docs: list[_ParamDoc]) -> list[Parameter]:
        """TBD parameters take the text of the orphan `#### -` heading that documents them."""
        params = [d for d in docs if not d.orphan]
        orphans = [d for d in docs if d.orphan]
        attached: dict[int, _ParamDoc] = {}
        matcher = OrphanMatcher()
        for i, d in enumerate(params):
            if d.tbd:
                matcher.add_tbd(d.heading_line, d.name, i)
        for o in orphans:
            got = matcher.match(o.heading_line, o.name)
            best = got if isinstance(got, int) else None
            best_score = 1.0 if best is not None else 0.0
            if best is not None and best_score >= 0.6:
                attached[best] = o
                t = params[best]
                self.warn(
                    "read.tbd-parameter",
                    t.heading_line,
                    f"parameter {t.name} is documented as 'TBD'; its text is under the orphan heading"
                    f" '- {o.name}' at line {o.heading_line}",
                )
                self.warn(
                    "read.orphan-heading",
                    o.heading_line,
                    f"orphan heading '- {o.name}' documents TBD parameter {t.name} (names differ); its text is"
                    f" attached to {t.name}",
                )
            else:
                self.warn(
                    "read.orphan-heading",
                    o.heading_line,
                    f"orphan heading '- {o.name}' matches no TBD parameter of this page",
                )
                self.keep_unparsed(
                    f"parameters: {o.name}",
                    o.start,
                    o.end,
                    f"orphan heading '- {o.name}' matches no parameter",
                )
        names_seen: dict[str, int] = {}
        out: list[Parameter] = []
        for i, d in enumerate(params):
            src = attached.get(i)
            if d.name in names_seen:
                self.warn(
                    "read.duplicate-parameter",
                    d.heading_line,
                    f"parameter {d.name} is documented twice (first at line {names_seen[d.name]})",
                )
            names_seen.setdefault(d.name, d.heading_line)
            if d.tbd and src is None:
                self.warn(
                    "read.tbd-parameter", d.heading_line, f"parameter {d.name} is documented only as 'TBD'"
                )
            doc = src if src is not None else d
            direction, optional = d.direction, d.optional
            if src is not None and src.annotation is not None:
                direction, optional = src.direction, src.optional
            optional_source = "annotation" if optional else None
            if not optional and doc.prose_optional:
                optional, optional_source = True, "prose"
                ann = src.annotation if src is not None and src.annotation is not None else d.annotation
                if ann is not None and direction is not Direction.UNKNOWN:
                    self.warn(
                        "read.optional-in-prose",
                        d.heading_line,
                        f"parameter {d.name}: annotation [{ann}] does not say optional but the text does",
                    )
                else:
                    self.warn(
                        "read.optional-in-prose",
                        d.heading_line,
                        f"parameter {d.name}: optional is stated in the text only",
                        Severity.INFO,
                    )
            if direction is Direction.UNKNOWN:
                self.warn(
                    "read.no-direction",
                    d.heading_line,
                    f"parameter {d.name} has no [in]/[out] annotation; direction unknown",
                )
            out.append(
                Parameter(
                    name=d.name,
                    direction=direction,
                    optional=optional,
                    description=doc.description if not (src is None and d.tbd) else d.description,
                    span=self.span(d.start, d.end),
                    optional_source=optional_source,
                    tbd=d.tbd,
                    documented_as=src.name if src is not None else None,
                    value_tables=tuple(doc.value_tables),
                )
            )
        return out

    # ---- returns ---------------------------------------------------------------------------

    def returns(self, s: _Section | None) -> tuple[list[ReturnCode], str]:
        if s is None:
            return [], ""
        this_is_status_fn = self.name == "SspiGetAsyncCallStatus"
        prose_codes: list[ReturnCode] = []
        table_codes: list[ReturnCode] = []
        prose_texts: list[str] = []
        # Table references found in prose: table index -> (class, via)
        refs: dict[int, tuple[ReturnKind | None, Via]] = {}
        n_tables = 0
        fatal_heading = False
        klass: ReturnKind | None
        for b in s.blocks:
            if b.kind == "heading":
                fatal_heading = "fatal" in b.text.lower()
                prose_texts.append(b.text)
                continue
            if b.kind == "table" and b.table is not None:
                ref = refs.get(n_tables)
                klass, via = ref if ref is not None else (None, Via.CALL)
                if fatal_heading:
                    # "### Fatal error codes" (async pages): what SspiGetAsyncCallStatus reports.
                    klass, via = ReturnKind.ERROR, Via.ASYNC_STATUS
                if this_is_status_fn:
                    via = Via.CALL
                table_codes.extend(self.return_table(b.table, n_tables, klass, via))
                n_tables += 1
                fatal_heading = False
                continue
            text = _block_text(b)
            if not text.strip():
                continue
            if b.raw.lstrip().startswith(("<ul", "<ol", "<UL", "<OL")):
                items = [ln for ln in text.split("\n") if ln.strip()]  # an HTML list: one item a line
            else:
                items = [ln[2:] for ln in text.split("\n") if ln.startswith("- ")]
            if items and all(STATUS_CODE_RE.match(it.strip(" *")) for it in items):
                # A list whose every item starts with a code: a return list, read like a table.
                ref = refs.get(n_tables)
                klass, via = ref if ref is not None else (None, Via.CALL)
                if this_is_status_fn:
                    via = Via.CALL
                listed = self.return_list(b, items, n_tables, klass, via)
                if listed:
                    table_codes.extend(listed)
                    n_tables += 1
                    self.returns_lists += 1
                    continue
            prose_texts.append(text)
            subject = Via.CALL
            occurrences = self.code_lines(b.start, b.end)
            for sentence in _SENTENCE_SPLIT_RE.split(_squash(text)):
                klass = None
                for clause in _CLAUSE_SPLIT_RE.split(sentence):
                    if not clause:
                        continue
                    if not this_is_status_fn and _ASYNC_SUBJECT_RE.search(clause):
                        subject = Via.ASYNC_STATUS
                    elif _CALL_SUBJECT_RE.search(clause):
                        subject = Via.CALL
                    klass = clause_kind(clause) or klass

                    for m in STATUS_CODE_RE.finditer(clause):
                        code = m.group(1)
                        line = _pop_line(occurrences, code, b.start)
                        if pending_in(clause, code):
                            kind = ReturnKind.PENDING
                        elif klass is not None:
                            kind = klass
                        elif code == "SEC_E_OK":
                            # SEC_E_OK is the name of success itself ("the operation completed
                            # successfully"); no page names it as an error.
                            kind = ReturnKind.SUCCESS
                        else:
                            kind = ReturnKind.ERROR
                            self.warn(
                                "read.unclassified-code",
                                line,
                                f"returns: {code} is named in prose that says neither success nor failure; read as an error",
                                Severity.INFO,
                            )
                        prose_codes.append(
                            ReturnCode(code, kind, subject, _squash(sentence), self.span(line, line))
                        )
                    if _TABLE_REF_RE.search(clause):
                        om = _ORDINAL_RE.search(clause)
                        idx = n_tables + (_ORDINALS[om.group(1).lower()] if om else 0)
                        refs[idx] = (klass, subject)
        if table_codes:
            self.returns_form = "list" if self.returns_lists == n_tables else "table"
        elif prose_codes:
            self.returns_form = "prose-codes"
        elif prose_texts:
            self.returns_form = "prose-no-codes"
        # One ReturnCode per (code, via): a table row wins over the same code named in prose.
        out: list[ReturnCode] = []
        seen: dict[tuple[str, Via], ReturnCode] = {}
        for rc in table_codes + prose_codes:
            key = (rc.name, rc.via)
            if key in seen:
                first = seen[key]
                if first.table is not None and rc.table is not None:
                    self.warn(
                        "read.duplicate-return-code",
                        rc.span.start,
                        f"returns: {rc.name} is listed again (first at line {first.span.start})",
                    )
                if first.kind is not rc.kind and rc.table is not None:
                    self.warn(
                        "read.conflicting-return-kind",
                        rc.span.start,
                        f"returns: {rc.name} is {first.kind.value} at line {first.span.start} but {rc.kind.value} here",
                    )
                continue
            seen[key] = rc
            out.append(rc)
        # Page order: by line.
        out.sort(key=lambda r: (r.span.start, r.table is None))
        return out, clean_text("\n\n".join(prose_texts))

    def code_lines(self, start: int, end: int) -> dict[str, list[int]]:
        """Lines (in order) on which each status code occurs in lines start..end."""
        occ: dict[str, list[int]] = {}
        for ln in range(start, end + 1):
            line = self.lines[ln - 1] if 0 < ln <= len(self.lines) else ""
            if "SEC_" in line or "STATUS_" in line or "ERROR_" in line or "NTE_" in line:
                for m in STATUS_CODE_RE.finditer(line):
                    occ.setdefault(m.group(1), []).append(ln)
        return occ

    def return_list(
        self, b: _Block, items: list[str], index: int, klass: ReturnKind | None, via: Via
    ) -> list[ReturnCode]:
        """Items of a list of codes ("- CODE: text" or <ul><li>CODE</li>), read like table rows."""
        out: list[ReturnCode] = []
        occurrences = self.code_lines(b.start, b.end)
        for item in items:
            m = STATUS_CODE_RE.match(item.strip(" *"))
            if m is None:
                continue
            code = m.group(1)
            desc = clean_text(item.strip(" *")[m.end():].lstrip(" :-\u2013\u2014"))
            line = _pop_line(occurrences, code, b.start)
            kind = klass if klass is not None else row_kind(code, desc)
            out.append(ReturnCode(code, kind, via, desc, self.span(line, line), None, index))
        return out

    def return_table(self, t: _Table, index: int, klass: ReturnKind | None, via: Via) -> list[ReturnCode]:
        out: list[ReturnCode] = []
        coded_rows = 0
        for r in t.rows:
            if not r.cells:
                continue
            codes, hex_text = _codes_and_hex(r.cells[0])
            desc = clean_text("\n".join(c.text for c in r.cells[1:]))
            if not codes:
                if r.cells[0].text or desc:
                    self.keep_unparsed(
                        "returns", r.start, r.end, f"row of return table {index} names no return code"
                    )
                continue
            coded_rows += 1
            for code in codes:
                # The prose that introduces the table classifies its rows ("If the function
                # succeeds, it returns one of the following success codes"); else the row does.
                kind = klass if klass is not None else row_kind(code, desc)
                out.append(ReturnCode(code, kind, via, desc, self.span(r.start, r.end), hex_text, index))
        if coded_rows == 0:
            self.warn(
                "read.return-table-without-codes",
                t.start,
                f"return table {index} (lines {t.start}-{t.end}) has {len(t.rows)} row(s) but no return code names;"
                " no codes are read from it",
            )
        return out

    # ---- see also --------------------------------------------------------------------------

    def see_also(self, s: _Section | None) -> list[SeeAlso]:
        if s is None:
            return []
        out: list[SeeAlso] = []
        for b in s.blocks:
            if b.kind == "table" and b.table is not None:
                for r in b.table.rows:
                    for c in r.cells:
                        for title, target in c.links:
                            out.append(self.see_also_entry(title, target, r.start, r.end))
                continue
            if b.links:
                for title, target in b.links:
                    line = self.find_line(target, b.start, b.end)
                    out.append(self.see_also_entry(title, target, line, line))
                rest = _squash(b.text)
                for title, _t in b.links:
                    rest = rest.replace(title, "", 1)
                if re.search(r"\w{3,}", rest):
                    self.warn(
                        "read.see-also-text",
                        b.start,
                        f"see-also: text beside the links kept with them: {rest[:60]!r}",
                        Severity.INFO,
                    )
            else:
                for part in _block_text(b).split("\n"):
                    title = _squash(part)
                    if title:
                        out.append(self.see_also_entry(title, None, b.start, b.end))
        return out

    def find_line(self, needle: str, start: int, end: int) -> int:
        if needle:
            for ln in range(start, end + 1):
                if needle in self.lines[ln - 1]:
                    return ln
        return start

    def see_also_entry(self, title: str, target: str | None, start: int, end: int) -> SeeAlso:
        function = _resolve_function(title, target)
        if isinstance(function, tuple):
            function, problem = function
            self.warn("read.link-mismatch", start, f"see-also: {problem}")
        return SeeAlso(title, target or None, function, self.span(start, end))

    # ---- mentions --------------------------------------------------------------------------

    def mentions(self, sections: list[_Section], regions: list[_Region]) -> list[Mention]:
        out: list[Mention] = []
        lo = (self.fm_span[1] + 1) if self.fm_span else 1
        spans = [(s.start, s.end, s) for s in sections if s.key != "returns"]
        if not spans:
            return out
        text = self.text
        line, counted = 1, 0
        place_of: dict[int, tuple[str, str] | None] = {}
        for m in STATUS_CODE_RE.finditer(text):
            line += text.count("\n", counted, m.start())
            counted = m.start()
            if line < lo:
                continue
            if line in place_of:
                place = place_of[line]
            else:
                sec = next((s for a, z, s in spans if a <= line <= z), None)
                place = place_of[line] = self.mention_place(sec, line, regions) if sec is not None else None
            if place is not None:
                out.append(Mention(m.group(1), place[0], line, place[1]))
        return out

    def mention_place(self, sec: _Section, line: int, regions: list[_Region]) -> tuple[str, str]:
        for a, z, name, rows in regions:
            if a <= line <= z:
                context = next((v for ra, rz, v in rows if ra <= line <= rz), "")
                return f"parameters: {name}", context
        if sec.key.startswith("?"):
            return sec.heading, ""
        return sec.key, ""


# --------------------------------------------------------------------------------------------
# Small pure helpers
# --------------------------------------------------------------------------------------------


def _block_text(b: _Block) -> str:
    if b.kind == "table" and b.table is not None:
        return b.table.as_text()
    return b.text


def _block_has_content(b: _Block) -> bool:
    if b.kind == "table":
        return True
    return bool(_block_text(b).strip(" \t\n\u00a0"))


def _annotation(ann: str | None) -> tuple[Direction, bool, list[str]]:
    if ann is None:
        return Direction.UNKNOWN, False, []
    words = [w for w in re.split(r"[\s,]+", ann.strip().lower()) if w]
    has_in = "in" in words or "inout" in words
    has_out = "out" in words or "inout" in words
    optional = "optional" in words or "opt" in words
    unknown = [w for w in words if w not in ("in", "out", "inout", "optional", "opt")]
    if has_in and has_out:
        direction = Direction.INOUT
    elif has_in:
        direction = Direction.IN
    elif has_out:
        direction = Direction.OUT
    else:
        direction = Direction.UNKNOWN
    return direction, optional, unknown


def _split_trailing_number(s: str) -> tuple[str, str | None]:
    head, sep, tail = s.rpartition(" ")
    if sep and head and VALUE_NUMBER_RE.match(tail):
        return head.strip(), tail
    m = re.match(r"^(.*?)\s+(\d+\s*\(\s*0[xX][0-9A-Fa-f]+\s*\))$", s)
    if m:
        return m.group(1), m.group(2)
    return s, None


def _name_and_number(cell: _Cell) -> tuple[str, str | None]:
    """The value name of a table's first cell and the number printed under it, if any."""
    parts = list(cell.parts)
    if not parts:
        return "", None
    name = cell.bolds[0] if cell.bolds else parts[0]
    rest: list[str] = []
    removed = False
    for p in parts:
        if not removed and (p == name or name in p):
            removed = True
            extra = p.replace(name, "", 1).strip()
            if extra:
                rest.append(extra)
            continue
        rest.append(p)
    number_text = rest[0] if rest else None
    if number_text is None and not cell.bolds:
        name, number_text = _split_trailing_number(name)
    return name.strip(), (number_text.strip() if number_text else None)


def _codes_and_hex(cell: _Cell) -> tuple[list[str], str | None]:
    name, number = _name_and_number(cell)
    codes: list[str] = []
    sources = cell.bolds or [name]
    for src in sources:
        for m in STATUS_CODE_RE.finditer(src):
            if m.group(1) not in codes:
                codes.append(m.group(1))
    if not codes:
        cand = name.strip()
        if _IDENT_CODE_RE.match(cand):
            codes.append(cand)
    hex_text = None
    for p in ([number] if number else []) + cell.parts:
        p = p.strip()
        if HEX_RE.match(p):
            hex_text = p
            break
    return codes, hex_text


def _pop_line(occ: dict[str, list[int]], code: str, default: int) -> int:
    lst = occ.get(code)
    if lst:
        return lst.pop(0)
    return default


def _first_ident(s: str) -> str:
    m = re.match(r'^\s*"?\s*([A-Za-z_][A-Za-z0-9_]*)', s or "")
    return m.group(1) if m else ""


def _scalar_text(v: Any) -> str:
    if isinstance(v, list | tuple):
        return ", ".join(_scalar_text(x) for x in v if x is not None).strip()
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v).strip()


def _salvage_front_matter(lines: list[str]) -> dict[str, Any]:
    """`key: value` lines of a front matter YAML could not read (lists and quoting ignored)."""
    out: dict[str, Any] = {}
    for ln in lines:
        m = re.match(r"^([A-Za-z_][\w.\-]*)\s*:\s*(.*?)\s*$", ln)
        if m and m.group(1) not in out:
            v = m.group(2)
            if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
                v = v[1:-1]
            out[m.group(1)] = v or None
    return out


def _resolve_function(title: str, target: str | None) -> str | tuple[str | None, str] | None:
    """The function a see-also entry names: from an nf- page target (case taken from the
    title), else from an API name in the title. A tuple (name, problem) when the link text
    and its target disagree."""
    ident = ""
    m = _API_TITLE_RE.match(title.strip())
    if m and re.search(r"[a-z]", m.group(1)) and len(re.findall(r"[A-Z]", m.group(1))) >= 2:
        ident = m.group(1)
    slug_m = _PAGE_SLUG_RE.search(target or "")
    if slug_m:
        kind, slug = slug_m.group(1).lower(), slug_m.group(3).lower()
        low = ident.lower()
        same = bool(ident) and slug in (low, low + "a", low + "w")
        if kind == "nf":
            if same:
                return ident + ("A" if slug == low + "a" else "W" if slug == low + "w" else "")
            if ident:
                return None, f"link text names {ident} but the target is page {slug_m.group(0).lstrip('/')}"
            return None
        if same:
            return None  # a structure or interface page named by its own title
        if ident:
            return (
                ident,
                f"link text names {ident} but the target is the {kind}- page {slug_m.group(0).lstrip('/')}",
            )
        return None
    if not ident:
        return None
    if not target:
        return ident
    seg = target.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if ident.lower() in target.lower() or _OPAQUE_SEGMENT_RE.match(seg):
        return ident
    return None
