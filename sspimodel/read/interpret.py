"""The interpreter: one raw page (:mod:`sspimodel.read.raw`) -> the facts of a FunctionSpec.

Both page forms go through it: the source form's tokenizer (:mod:`sspimodel.read.source_scan`,
front matter and HTML tables in :mod:`sspimodel.read.source`) and the rendered form's
(:mod:`sspimodel.read.rendered`) hand it sections of raw blocks with their line spans; every
English heuristic (directions, optional, success / error / pending, how a code is reported,
value tables, TBD parameters and the headings that document them, see-also, mentioned codes)
is applied here, once, by the named rules of :mod:`sspimodel.read.rules`.

What the interpreter expects of a raw page (both tokenizers produce it):

- sections keyed ``description``, ``parameters``, ``returns``, ``remarks``, ``see-also``,
  ``struct-fields``, ``enum-fields`` (a section a form does not have is absent);
- in ``parameters``, one level-3 heading block ``-param NAME [annotation]`` per parameter and
  a level-4 heading ``- NAME [annotation]`` per orphan heading (the canonical spelling; the
  rendered tokenizer writes its "[in] phContext" lines so);
- in ``returns``, text blocks, tables (header, rows of cells; the first cell names the code and
  may hold its number) and lists, and a heading block before a table of fatal error codes.

Diagnostics carry the page's file and 1-based line; nothing here raises on content (a bug met
on a mangled page becomes ``read.internal`` through :meth:`Interpreter.guarded`).
"""

from __future__ import annotations

import re
import traceback
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from attrs import evolve

from ..spec import (
    Diagnostic,
    Direction,
    Field,
    Mention,
    OrphanHeading,
    Parameter,
    ReturnCode,
    ReturnKind,
    SeeAlso,
    Severity,
    Span,
    Unparsed,
    Value,
    ValueTable,
    Via,
)
from .common import (
    HEX_RE,
    STATUS_CODE_RE,
    VALUE_NUMBER_RE,
    clean_text,
    diag,
    find_status_codes,
    parse_value_number,
)
from .raw import Block, Cell, Section, Table
from .rules import (
    OrphanMatcher,
    apply_reporting,
    clause_kind,
    is_value_table_header,
    italic_names,
    misnamed_parameters,
    optional_in_prose,
    optional_named_elsewhere,
    pending_in,
    remarks_make_optional,
    row_kind,
    words_re,
)
from .source_scan import _squash

__all__ = ["Body", "Interpreter"]

_T = TypeVar("_T")
_Cell = Cell
_Table = Table
_Block = Block
_Section = Section


_PARAM_HEAD_RE = re.compile(
    r"^-\s*param\s+(?P<name>[^\s\[\]]+)\s*(?:\[(?P<ann>[^\]]*)\]?)?\s*(?P<rest>.*)$", re.I
)
_FIELD_HEAD_RE = re.compile(r"^-\s*field\s+(?P<name>[A-Za-z_][\w.]*)\s*(?::\s*(?P<value>\S+))?\s*$", re.I)
_ORPHAN_HEAD_RE = re.compile(
    r"^-\s*(?:param\s+)?(?P<name>[A-Za-z_][\w.]*)\s*(?:\[(?P<ann>[^\]]*)\]?)?\s*(?P<rest>.*)$"
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
_ASYNC_SUBJECT_RE = words_re(
    r"SspiGetAsyncCallStatus\s+(?:will\s+|may\s+|can\s+|might\s+)?(?:also\s+)?(?:returns?|reports?)\b"
)
# The call is the subject: a clause that starts with "Returns", or names "the function returns /
# fails / succeeds" or "the return value".
_CALL_SUBJECT_START_RE = re.compile(r"\W*returns?\b", re.I)  # matched at the clause's start
_CALL_SUBJECT_RE = words_re(
    r"th(?:e|is)\s+function\s+(?:will\s+|may\s+|can\s+)?(?:returns?|fails|succeeds)\b", r"the return value\b"
)
_TABLE_REF_RE = words_re(r"tables?\b", r"following\b", r"below\b", r"these\b")
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3}
_ORDINAL_RE = re.compile(r"\b(first|second|third|fourth)\s+table\b", re.I)
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?:])\s+(?=[A-Z*_<\[(\"'])")
_CLAUSE_SPLIT_RE = re.compile(r";\s*|,\s+(?=or\s)|(?<=[,.])\s+(?=otherwise\b)|\s+(?=Otherwise\b)", re.I)

# See-also link targets.
_PAGE_SLUG_RE = re.compile(r"(?:^|/)(n[fsenci])-([a-z0-9_]+)-([a-z0-9_]+?)(?:\.md)?(?:[#?].*)?$", re.I)
_API_TITLE_RE = re.compile(
    r"^([A-Za-z_][A-Za-z0-9_]*)(?:\s*\([^)]*\))?(?:\s+(?:function|macro|callback))?\s*$"
)
_LOWER_RE = re.compile(r"[a-z]")
_UPPER_RE = re.compile(r"[A-Z]")
_WORD3_RE = re.compile(r"\w{3,}")
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
    # A regular heading that documents a TBD parameter when one matches it (else a parameter).
    maybe_orphan: bool = False


# A parameter's line range, its name, and its value rows (start, end, value name): where a
# status code named on the page sits, for Mention.section and Mention.context.
_Region = tuple[int, int, str, list[tuple[int, int, str]]]


def _where(e: BaseException) -> str:
    tb = traceback.extract_tb(e.__traceback__)
    for frame in reversed(tb):
        if frame.filename.endswith(("source.py", "interpret.py", "rendered.py")):
            return f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}"
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



@dataclass(slots=True)
class Body:
    """The facts the interpreter reads from a page's sections (the form's front end adds the
    name, requirements, prototype and variant)."""

    description: str
    parameters: list[Parameter]
    fields: list[Field]
    returns: list[ReturnCode]
    returns_prose: str
    remarks: str
    see_also: list[SeeAlso]
    mentions: list[Mention]


class Interpreter:
    """The section interpreters, over a page's lines and its raw sections. A form's reader
    subclasses it (or fills it) with the page text and file, and calls the section methods."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.lines = text.split("\n")
        self.nlines = max(1, len(self.lines) - (1 if text.endswith("\n") else 0))
        self.diags: list[Diagnostic] = []
        self.unparsed: list[Unparsed] = []
        # Lines before the body (the front matter, the title line): no codes or names read there.
        self.fm_span: tuple[int, int] | None = None
        self.name = ""
        self._line_starts: list[int] | None = None
        self.orphan_headings: list[OrphanHeading] = []
        self.returns_form = "empty"
        self.returns_lists = 0
        self.last_sections: list[Section] = []  # what the form's tokenizer produced (tests)

    # ---- the whole body ----------------------------------------------------------------------

    def interpret(self, sections: list[_Section]) -> Body:
        """Every section of the raw page, in one order for both forms; each phase guarded (a bug
        met on a mangled page loses that phase only, as a ``read.internal`` diagnostic)."""
        by_key: dict[str, _Section] = {}
        for s in sections:
            by_key.setdefault(s.key, s)
        description = self.guarded("description", lambda: self.section_text(by_key.get("description")), "")
        no_params: tuple[list[Parameter], list[_Region]] = ([], [])
        params, regions = self.guarded("parameters", lambda: self.parameters(sections), no_params)
        no_fields: list[Field] = []
        fields = self.guarded("fields", lambda: self.fields(sections), no_fields)
        no_returns: tuple[list[ReturnCode], str] = ([], "")
        returns, returns_prose = self.guarded("returns", lambda: self.returns(by_key.get("returns")), no_returns)
        remarks = self.guarded("remarks", lambda: self.section_text(by_key.get("remarks")), "")
        params = self.guarded("optional in remarks", lambda: self.optional_from_remarks(params, remarks), params)
        self.guarded("parameter names in prose", lambda: self.check_prose_names(params), None)
        # rule.reported-via (GetLastError, SspiGetAsyncCallStatus, an out parameter).
        returns = self.guarded("reporting", lambda: apply_reporting(returns, returns_prose, params), returns)
        no_see_also: list[SeeAlso] = []
        see_also = self.guarded("see-also", lambda: self.see_also(by_key.get("see-also")), no_see_also)
        no_mentions: list[Mention] = []
        mentions = self.guarded("mentioned codes", lambda: self.mentions(sections, regions), no_mentions)
        return Body(description, params, fields, returns, returns_prose, remarks, see_also, mentions)

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

    def line_start(self, line: int) -> int:
        """Offset in the text of the first character of the 1-based ``line``."""
        return len("\n".join(self.lines[: line - 1])) + 1 if line > 1 else 0

    def line_of(self, offset: int) -> int:
        if self._line_starts is None:
            starts = [0]
            pos = self.text.find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = self.text.find("\n", pos + 1)
            self._line_starts = starts
        return bisect_right(self._line_starts, offset)

    def section_text(self, s: _Section | None) -> str:
        if s is None:
            return ""
        return clean_text("\n\n".join(_block_text(b) for b in s.blocks))


    def check_prose_names(self, params: list[Parameter]) -> None:
        """rule.parameter-name-in-prose: italic names that look like a parameter but are none."""
        if not params:
            return
        offset = self.line_start(self.fm_span[1] + 1) if self.fm_span else 0
        found: dict[str, int] = {}
        for at, name in italic_names(self.text, offset):
            found.setdefault(name, at)
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
        remarks_null = "null" in remarks.lower()  # the rule's regex is built per parameter
        for p in params:
            if not p.optional and remarks_null and remarks_make_optional(p.name, remarks):
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
            maybe_orphan=not orphan and b.hint == "may-document-tbd",
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
        """TBD parameters take the text of the orphan `#### -` heading that documents them (or of a
        later heading the tokenizer marked as possibly documenting one; unmatched, it stays a
        parameter)."""
        params = [d for d in docs if not d.orphan]
        candidates = sorted(
            [d for d in docs if d.orphan] + [d for d in params if d.maybe_orphan and not d.tbd],
            key=lambda d: d.heading_line,
        )
        attached: dict[int, _ParamDoc] = {}
        consumed: set[int] = set()
        matcher = OrphanMatcher()
        for i, d in enumerate(params):
            if d.tbd:
                matcher.add_tbd(d.heading_line, d.name, i)
        for o in candidates:
            got = matcher.match(o.heading_line, o.name)
            best = got if isinstance(got, int) else None
            if best is not None:
                attached[best] = o
                consumed.add(id(o))
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
            elif o.orphan:
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
            if id(d) in consumed:
                continue
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
                    elif _CALL_SUBJECT_START_RE.match(clause) or _CALL_SUBJECT_RE.search(clause):
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
            # Rows whose code cells are empty (the "flattened table" extraction): the code names
            # are lost, an error (FORMATS.md: notice it, never invent codes); a header alone is
            # a defect of the page.
            self.warn(
                "read.return-table-without-codes",
                t.start,
                f"return table {index} (lines {t.start}-{t.end}) has {len(t.rows)} row(s) but no return code names;"
                " no codes are read from it",
                Severity.ERROR if t.rows else Severity.WARNING,
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
                if _WORD3_RE.search(rest):
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
        """Status codes named outside the returns section, with the section (or parameter) and
        the value row they are named in. Linear: sections, parameter regions and value rows are
        found by bisection or a line table, never by a scan per mention."""
        out: list[Mention] = []
        lo = (self.fm_span[1] + 1) if self.fm_span else 1
        spans = sorted(((s.start, s.end, s) for s in sections if s.key != "returns"), key=lambda t: t[0])
        if not spans:
            return out
        span_starts = [a for a, _z, _s in spans]
        regions = sorted(regions, key=lambda r: r[0])
        region_starts = [r[0] for r in regions]
        row_at: dict[int, str] | None = None
        text = self.text
        counted = self.line_start(lo)  # no codes are read before line lo (the front matter)
        line = lo
        place_of: dict[int, tuple[str, str] | None] = {}
        seen: set[tuple[str, int]] = set()
        for at, code in find_status_codes(text, counted):
            line += text.count("\n", counted, at)
            counted = at
            if line in place_of:
                place = place_of[line]
            else:
                k = bisect_right(span_starts, line) - 1
                sec = spans[k][2] if k >= 0 and line <= spans[k][1] else None
                place = None
                if sec is not None:
                    k = bisect_right(region_starts, line) - 1
                    if k >= 0 and line <= regions[k][1]:
                        if row_at is None:
                            row_at = {
                                ln: v for _a, _z, _n, rows in regions for ra, rz, v in rows for ln in range(ra, rz + 1)
                            }
                        place = (f"parameters: {regions[k][2]}", row_at.get(line, ""))
                    elif sec.key.startswith("?"):
                        place = (sec.heading, "")
                    else:
                        place = (sec.key, "")
                place_of[line] = place
            # One mention per code and line: "X ... X" on one line names X once for lint.
            if place is not None and (code, line) not in seen:
                seen.add((code, line))
                out.append(Mention(code, place[0], line, place[1]))
        return out


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



def _resolve_function(title: str, target: str | None) -> str | tuple[str | None, str] | None:
    """The function a see-also entry names: from an nf- page target (case taken from the
    title), else from an API name in the title. A tuple (name, problem) when the link text
    and its target disagree."""
    ident = ""
    m = _API_TITLE_RE.match(title.strip())
    if m and _LOWER_RE.search(m.group(1)) and len(_UPPER_RE.findall(m.group(1))) >= 2:
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
