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
from typing import Any, TypeVar

import yaml
from attrs import fields

from ..spec import (
    Diagnostic,
    Form,
    FunctionSpec,
    PageKind,
    Requirements,
    Severity,
    Span,
    Variant,
)
from .common import (
    clean_text,
    empty_page,
    name_from_page_file,
    split_variant,
)
from .frontmatter import FrontMatterRefused, load_front_matter
from .interpret import (
    _KNOWN_SECTIONS,
    _SECTION_ORDER,
    Interpreter,
    _block_has_content,
    _internal,
)
from .raw import Block, Cell, FrontMatter, Row, Section, Table
from .source_scan import (
    _Collector,
    _render_html_fragment,
    scan_source,
)

__all__ = ["raw_sections", "read_source"]


_T = TypeVar("_T")

# --------------------------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------------------------

_SECTION_RE = re.compile(r"^-\s*([A-Za-z][\w-]*)")
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
    _chunk: str
    _counted: int
    _at: int
    depth: int
    cell: _Collector | None

    def feed(self, chunk: str) -> None:
        # The line of the token being handled is counted only when a handler asks for it
        # (_line): tags and text inside cells need none.
        self._chunk = chunk
        self._lineno = self.base + 1
        self._counted = 0
        pos = 0
        unescape = html.unescape
        handle_data = self.handle_data
        no_attrs: list[tuple[str, str | None]] = []
        for m in _HTML_TOKEN_RE.finditer(chunk):
            start, mend = m.span()
            # Text inside a table but outside its cells is dropped (handle_data's first test).
            if start > pos and (self.cell is not None or not self.depth):
                self._at = pos
                data = chunk[pos:start]
                handle_data(unescape(data) if "&" in data else data)
            pos = mend
            closing, name, rest = m.groups()
            if name is None:
                continue
            self._at = start
            tag = name if name.islower() else name.lower()
            if closing:
                self.handle_endtag(tag)
                continue
            attrs = no_attrs
            if tag == "a" and rest and rest.strip():
                attrs = []
                for am in _ATTR_RE.finditer(rest):
                    k, v2, v3, v4 = am.groups()
                    v = v2 if v2 is not None else v3 if v3 is not None else v4
                    attrs.append((k.lower(), unescape(v) if v is not None else None))
            if rest and rest.rstrip().endswith("/"):
                self.handle_startendtag(tag, attrs)
            else:
                self.handle_starttag(tag, attrs)
        if pos < len(chunk):
            self._at = pos
            data = chunk[pos:]
            handle_data(unescape(data) if "&" in data else data)

    def close(self) -> None:
        pass

    def __init__(self, first_line: int) -> None:
        self._lineno = first_line
        self._chunk = ""
        self._counted = 0
        self._at = 0
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
        """The line of the token being handled (offset self._at of the chunk)."""
        if self._at > self._counted:
            self._lineno += self._chunk.count("\n", self._counted, self._at)
            self._counted = self._at
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
        if tag == "table":
            self.depth += 1
            if self.depth == 1:
                self._flush_outside()
                line = self._line()
                self.table = _Table([], [], line, line)
                return
        elif self.depth == 1 and tag == "tr":
            line = self._line()
            self._close_row(line)
            self.row = _Row([], line, line)
            return
        elif self.depth == 1 and tag in ("td", "th"):
            self._close_cell()
            if self.row is None:
                line = self._line()
                self.row = _Row([], line, line)
            self.cell = _Collector()
            self.cell_header = tag == "th"
            return
        target = self._target()
        if target is None:
            return
        if self.depth == 0 and self.outside_start is None:
            self.outside_start = self._line()
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
        if tag == "table":
            if self.depth == 1:
                self._close_table(self._line())
            self.depth = max(0, self.depth - 1)
            return
        if self.depth == 1 and tag == "tr":
            self._close_row(self._line())
            return
        if self.depth == 1 and tag in ("td", "th"):
            self._close_cell()
            return
        target = self._target()
        if target is not None:
            target.tag(True, tag, "")

    def handle_data(self, data: str) -> None:
        if self.depth:
            if self.cell is not None:
                self.cell.data(data)
            return
        if not data.strip(" \t\n\u00a0"):
            if self.outside_start is None:
                return
        elif self.outside_start is None:
            self.outside_start = self._line()
        self.outside_end = self._line() + data.count("\n")
        self.outside.data(data)

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


def raw_sections(text: str, file: str = "page.md") -> list[Section]:
    """The raw sections (HTML tables joined) the source form hands to the interpreter (tests
    compare both forms')."""
    r = _Reader(text, file)
    r.read()
    return r.last_sections


_name_from_file = name_from_page_file


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


class _Reader(Interpreter):
    """The source form's front end: front matter, name, requirements, HTML tables and the
    ``## -`` sections; the sections are read by the shared :class:`~.interpret.Interpreter`."""

    def __init__(self, text: str, file: str) -> None:
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if text.startswith("\ufeff"):
            text = text[1:]
        super().__init__(text, file)
        self.fm: dict[str, Any] = {}
        self.uid_kind = ""
        self.h1 = ""

    # ---- top level -------------------------------------------------------------------------

    def read(self) -> FunctionSpec:
        raw = self.guarded("markdown structure", lambda: scan_source(self.text, self.lines), None)
        fm = raw.front_matter if raw is not None else None
        self.h1 = raw.h1 if raw is not None else ""
        for line, opener in raw.unclosed if raw is not None else ():
            self.warn(
                "read.unclosed-block",
                line,
                f"{opener} opened at line {line} is never closed: lines {line}-{self.nlines} "
                "(the rest of the page) are read as its content",
                Severity.ERROR,
            )
        self.guarded("front matter", lambda: self.front_matter(fm), None)
        if (raw is not None and fm is not None and not raw.h1 and not raw.blocks and not raw.unclosed
                and not self.fm_get("UID") and not self.fm_get("title")):
            # Front matter naming no function (no UID, no title) and nothing after it: a page
            # with nothing to read, not a function named after its file. (Front matter with a
            # UID or title names its function, which is read, its sections reported missing.)
            what = f"holds only front matter (lines {fm.start}-{fm.end}), with no UID or title, and no heading or text"
            return empty_page(self.file, Form.SOURCE, what, fm.end, self.nlines)
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
        self.last_sections = sections
        self.guarded("section list", lambda: self.check_sections(sections, by_key), None)

        body = self.interpret(sections)
        description = body.description or clean_text(str(self.fm_get("description") or ""))
        remarks = body.remarks
        self.guarded("other sections", lambda: self.other_sections(sections), None)
        requirements = self.guarded("requirements", self.requirements, Requirements())

        fm_desc = str(self.fm_get("description") or "")
        api_names = self.fm_get("api_name")
        aliases = tuple(str(x) for x in api_names) if isinstance(api_names, list) else ()
        variant, neutral = split_variant(self.name, requirements.unicode_ansi, f"{fm_desc}\n{remarks}", aliases)
        upstream = self.fm_get("upstream")
        if not upstream:
            prefix = (self.uid_kind or "NF").lower()
            upstream = f"sdk-api-src/content/sspi/{prefix}-sspi-{self.name.lower()}.md"
        title = str(self.fm_get("title") or self.h1 or "").strip().strip('"')

        name = self.name
        diags = sorted(
            (_with_function(d, name) if d.function is None else d for d in self.diags),
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
            parameters=tuple(body.parameters),
            returns=tuple(body.returns),
            returns_prose=body.returns_prose,
            mentioned_codes=tuple(body.mentions),
            remarks=remarks,
            see_also=tuple(body.see_also),
            unparsed=tuple(self.unparsed),
            diagnostics=tuple(diags),
            sections=tuple(
                (s.heading if s.key.startswith("?") else s.key, self.span(s.start, s.end))
                for s in sections
                if s.key != "preamble"
            ),
            kind=_PAGE_KINDS.get(self.uid_kind, PageKind.FUNCTION),
            fields=tuple(body.fields),
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

# What attrs.evolve(d, function=name) gives, built directly (evolve looks the fields up on every
# call, ten times the cost of the constructor); the check below keeps it in step with the class.
_DIAGNOSTIC_FIELDS = ("rule", "severity", "file", "line", "message", "function", "hint")
if tuple(f.name for f in fields(Diagnostic)) != _DIAGNOSTIC_FIELDS:  # pragma: no cover
    raise ImportError(f"sspimodel.read.source: Diagnostic's fields are not {_DIAGNOSTIC_FIELDS}")


def _with_function(d: Diagnostic, function: str) -> Diagnostic:
    return Diagnostic(d.rule, d.severity, d.file, d.line, d.message, function, d.hint)


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


