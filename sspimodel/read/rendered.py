"""Reader for the rendered web-page text form of a reference page.

FORMATS.md, "Rendered web-page text": "A reference page as shown on the web and saved as plain
text. No front matter, no markdown markers." The grammar this reader accepts (one item a line;
blank lines, including lines holding only NBSP, separate paragraphs)::

    page         := title description section*
    title        := NAME " function" [" (" HEADER ")"]
    description  := paragraph*            ; up to the first section heading
    section      := heading body          ; headings, in any order, each at most once:
                    "Syntax" | "Parameters" | "Return value" | "Return Value" | "Remarks"
                    | "Requirements" | "See also" | "Examples"
    paragraph    := line+                 ; "Note  text" alert lines stay paragraphs; a lone
                                          ; "Note" line is joined to the paragraph after it
    syntax       := ["C++"] ["Copy"] RETURN_TYPE [CALLCONV] NAME "(" (param ",")* param ");"
    param        := ["[" ANNOTATION "]"] C_TYPE ["*"...] NAME     ; one a line, or all on one line
    parameters   := (param_heading paragraph* value_table*)*
    param_heading:= "[" ANNOTATION "] " NAME | NAME
    value_table  := "Value Meaning" row*
    return_value := paragraph* (["Fatal error codes"] return_table paragraph*)*
    return_table := ("Return code Description" | "Return code/value Description") row*
    row          := KEY NL [NUMBER NL] text+  ; alternating, one cell a line
                  | KEY [NUMBER] " " text     ; one line (pipe-table sources)
                  | "|" cell ("|" cell)* "|"  ; "flattened table"; an empty KEY cell is reported
    requirements := ["Requirement Value"] (LABEL " " VALUE)*
    see_also     := TITLE*                    ; one linked title a line

A table ends at a blank line that is not followed by another row of the same table (the rendered
form puts the paragraphs of one cell on consecutive lines), at a new table header, at a
"Fatal error codes" line, or at the end of its section.

The reader never raises on content (:func:`read_rendered`): every problem is a Diagnostic on the
returned FunctionSpec, and every line it cannot place is kept in ``FunctionSpec.unparsed`` with its
span. An internal bug on a mangled page becomes a ``read.internal`` diagnostic.
"""

from __future__ import annotations

import re
import traceback
from bisect import bisect_left
from collections.abc import Callable
from pathlib import PurePath

from attrs import define, evolve, field

from ..spec import (
    Diagnostic,
    Direction,
    Form,
    FunctionSpec,
    Mention,
    OrphanHeading,
    Parameter,
    Prototype,
    PrototypeParam,
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
from .common import HEX_RE, STATUS_CODE_RE, VALUE_NUMBER_RE, clean_text, parse_value_number, split_variant
from .rules import (
    ERROR_CLAUSE_RE,
    SUCCESS_CLAUSE_RE,
    OrphanMatcher,
    apply_reporting,
    is_return_table_header,
    is_value_table_header,
    optional_in_prose,
    optional_named_elsewhere,
    pending_in,
    remarks_make_optional,
)
from .rules import row_kind as shared_row_kind

__all__ = ["read_rendered"]

UPSTREAM_DIR = "sdk-api-src/content/sspi"

NBSP = "\u00a0"

# "ImportSecurityContextA function (sspi.h)"; the 2019 async pages have no "(sspi.h)".
TITLE_RE = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s+function(?:\s+\((?P<header>[^)]*)\))?\s*$")

# Section headings as the web page prints them, keyed by their normalised (casefolded) text.
# The values name the sections as the source form does (`## -returns`, `## -see-also`).
SECTION_HEADINGS: dict[str, str] = {
    "syntax": "syntax",
    "parameters": "parameters",
    "return value": "returns",
    "return values": "returns",
    "remarks": "remarks",
    "requirements": "requirements",
    "see also": "see-also",
    "examples": "examples",
    "example": "examples",
}
SECTION_TITLES = {
    "syntax": "Syntax",
    "parameters": "Parameters",
    "returns": "Return value",
    "remarks": "Remarks",
    "requirements": "Requirements",
    "see-also": "See also",
    "examples": "Examples",
}

# Alert labels: `<div class="alert"><b>Note</b>NBSPNBSP...` renders as "Note  text" on one line,
# `> [!NOTE]` as a line "Note" followed by the text (FORMATS.md).
ALERT_LABELS = frozenset({"Note", "Important", "Caution", "Warning", "Tip"})
# Both render as "Note: text" in the FunctionSpec, the spelling the source reader gives `> [!NOTE]`.
ALERT_LINE_RE = re.compile(r"^(Note|Important|Caution|Warning|Tip)(?:[ \u00a0]{2,}|\u00a0)(\S.*)$")

IDENT_RE = re.compile(r"^[A-Za-z_]\w*$")
# A macro name as value and return tables print it: all capitals, digits and underscores.
MACRO_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
# A return-code cell: a macro with at least one underscore (SEC_E_OK, STATUS_INVALID_PARAMETER).
CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
ANNOTATED_HEADING_RE = re.compile(r"^\[(?P<ann>[^\]]*)\]\s*(?P<name>[A-Za-z_]\w*)$")
ANNOTATION_TOKENS = frozenset({"in", "out", "optional"})
# `#### - pszPackage [in]` (an orphan heading of the source form) renders as "- pszPackage [in]".
ORPHAN_HEADING_RE = re.compile(r"^-\s*(?P<name>[A-Za-z_]\w*)(?:\s*\[(?P<ann>[^\]]*)\])?$")
# Hungarian prefixes dropped when matching a TBD parameter to the heading documenting it.

VALUE_HEADER_RE = re.compile(
    r"^(?P<c1>(?:value|flag|constant)s?)\s+(?P<c2>meaning|description)$", re.IGNORECASE
)
# Tables keyed by a label rather than a macro (FORMATS.md: `SSP in use`/`Meaning`, `Buffer
# type`/`Description`). `Buffer #/buffer type` tables lay out buffers by position, not values:
# they stay description text, as in the source reader.
LABEL_HEADER_RE = re.compile(
    r"^(?P<c1>ssp in use|buffer type)\s+(?P<c2>meaning|description)$",
    re.IGNORECASE,
)
# The second cell of a label row: a number, or a buffer type (`0` / `SECBUFFER_TOKEN`).
LABEL_NUMBER_RE = re.compile(rf"^(?:{VALUE_NUMBER_RE.pattern[1:-1]}|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)$")
FATAL_RE = re.compile(r"^fatal\s+error\s+codes\s*:?$", re.IGNORECASE)
PIPE_ROW_RE = re.compile(r"^\|.*\|$")
# The number printed after a value name or code: "1 (0x1)", "0x80090318L", "10".
NUMBER_TOKEN = r"\d+\s*\(\s*0[xX][0-9A-Fa-f]+\s*\)|0[xX][0-9A-Fa-f]+L?"

# Calling conventions and declaration specifiers that the Syntax block may print before the
# function name; they are not part of the return type.
CALL_DECORATIONS = frozenset(
    {
        "SEC_ENTRY",
        "WINAPI",
        "__stdcall",
        "SEC_FAR",
        "KSECDDDECLSPEC",
        "APIENTRY",
        "NTAPI",
        "extern",
        "EXTERN_C",
    }
)
SYNTAX_NOISE = frozenset({"C++", "C", "Copy"})

REQUIREMENT_FIELDS: dict[str, str] = {
    "Minimum supported client": "min_client",
    "Minimum supported server": "min_server",
    "Target Platform": "target_platform",
    "Header": "header",
    "Library": "library",
    "DLL": "dll",
    "Unicode and ANSI names": "unicode_ansi",
}
# Labels the web page prints that have no field of their own: kept in Requirements.other.
REQUIREMENT_OTHER_LABELS = (
    "End of client support",
    "End of server support",
    "Minimum KMDF version",
    "Minimum UMDF version",
    "DDI compliance rules",
    "Redistributable",
    "Type library",
    "Namespace",
    "Assembly",
    "Product",
    "IRQL",
    "IDL",
)
HEADER_VALUE_RE = re.compile(r"^(?P<header>[^\s(]+)(?:\s*\(\s*include\s+(?P<include>[^)]*?)\s*\))?$")

# Optional stated in prose: `*optional* A pointer`, `*Optional*. A pointer`, `The **optional**
# time limit` (FORMATS.md), rendered without the markdown markers.

SUCCESS_WORD_RE = SUCCESS_CLAUSE_RE
FAILURE_WORD_RE = ERROR_CLAUSE_RE
PENDING_CODE = "SEC_I_ASYNC_CALL_PENDING"
# "SspiGetAsyncCallStatus returns X": on the async pages, codes from here on in the paragraph are
# what SspiGetAsyncCallStatus reports later, not what the queuing call returns (DESIGN.md, Async).
ASYNC_STATUS_FN = "SspiGetAsyncCallStatus"
ASYNC_STATUS_RE = re.compile(
    r"\bSspiGetAsyncCallStatus\s+(?:will\s+|may\s+|can\s+)?(?:returns?|reports?)\b", re.IGNORECASE
)
TABLE_REF_RE = re.compile(r"\b(?:following|below|table)\b", re.IGNORECASE)
SECOND_TABLE_RE = re.compile(r"\b(?:second|next)\s+table\b", re.IGNORECASE)
SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")
SEE_ALSO_FUNCTION_RE = re.compile(r"^(?P<name>[A-Za-z_]\w*)(?:\s+\([A-Za-z][\w ./-]*\))?$")
ALIAS_NOTE_RE = re.compile(r"\bdefines\s+(?P<neutral>[A-Za-z_]\w*)\s+as\s+an\s+alias\b")


def norm(line: str) -> str:
    """A line for matching: NBSP as space, tabs as space, outer whitespace removed."""
    return line.replace(NBSP, " ").replace("\t", " ").strip()


def is_blank(line: str) -> bool:
    # str.strip() removes NBSP too: "a line holding a lone NBSP" is blank (FORMATS.md).
    return not line.strip()


# --------------------------------------------------------------------------------------------
# Reader state


@define
class _Page:
    """The lines of one page and everything found so far. Indexes are 0-based; spans 1-based."""

    file: str
    lines: list[str]
    function: str | None = None
    diagnostics: list[Diagnostic] = field(factory=list)
    unparsed: list[Unparsed] = field(factory=list)
    mentions: list[Mention] = field(factory=list)
    returns_form: str = "empty"
    orphan_headings: list[OrphanHeading] = field(factory=list)

    def span(self, start: int, end: int) -> Span:
        return Span(self.file, start + 1, end + 1)

    def report(self, rule: str, severity: Severity, index: int, message: str) -> None:
        self.diagnostics.append(Diagnostic(rule, severity, self.file, index + 1, message, self.function))

    def keep(self, section: str, start: int, end: int, reason: str) -> None:
        """Keep lines start..end (inclusive) verbatim as unparsed, and report them."""
        while start < end and is_blank(self.lines[start]):
            start += 1
        while end > start and is_blank(self.lines[end]):
            end -= 1
        text = "\n".join(self.lines[start : end + 1])
        span = self.span(start, end)
        self.unparsed.append(Unparsed(section, text, span, reason))
        self.report(
            "read.unparsed", Severity.WARNING, start, f"{section}: {reason} (lines {span.start}-{span.end})"
        )

    def mention_codes(
        self, start: int, end: int, section: str, context_of: Callable[[int], str] | None = None
    ) -> None:
        for i in range(start, end):
            ctx = context_of(i) if context_of else ""
            # One mention per code and line: "X ... X" on one line names X once for lint.
            for code in dict.fromkeys(m.group(1) for m in STATUS_CODE_RE.finditer(self.lines[i])):
                self.mentions.append(Mention(code, section, i + 1, ctx))


@define
class _Paragraph:
    start: int
    end: int  # inclusive
    text: str  # cleaned


def paragraphs(page: _Page, start: int, end: int) -> list[_Paragraph]:
    """Group lines start..end-1 into paragraphs; a lone alert label joins the next paragraph."""
    out: list[_Paragraph] = []
    i = start
    label: tuple[int, str] | None = None
    while i < end:
        if is_blank(page.lines[i]):
            i += 1
            continue
        j = i
        while j < end and not is_blank(page.lines[j]):
            j += 1
        text = clean_text("\n".join(page.lines[i:j]))
        if j - i == 1 and text in ALERT_LABELS:
            label = (i, text)
        else:
            first = i
            am = ALERT_LINE_RE.match(page.lines[i].strip())
            if label is not None:
                first, text = label[0], f"{label[1]}: {text}"
                label = None
            elif am:
                # "Note  text": the label and two NBSPs before the text of an old alert div.
                rest = "\n".join([am.group(2), *page.lines[i + 1 : j]])
                text = f"{am.group(1)}: {clean_text(rest)}"
            out.append(_Paragraph(first, j - 1, text))
        i = j
    if label is not None:
        out.append(_Paragraph(label[0], label[0], label[1]))
    return out


def joined(paras: list[_Paragraph]) -> str:
    return "\n\n".join(p.text for p in paras)


# --------------------------------------------------------------------------------------------
# Flattened tables (return codes and value tables share the row grammar)


@define
class _Row:
    key: str | None  # None: the key cell came out empty ("flattened table")
    number: str | None
    start: int
    end: int
    desc: list[str] = field(factory=list)

    def text(self) -> str:
        return clean_text("\n".join(self.desc))


@define
class _Table:
    header: str  # as printed ("" when the rows came without a header line)
    start: int  # the header line (or first row)
    end: int  # last line, inclusive
    rows: list[_Row]
    fatal: bool = False  # follows a "Fatal error codes" line
    intro: str = ""  # the prose paragraph just before it
    index: int = 0


def table_header(line: str) -> tuple[str, tuple[str, ...]] | None:
    """(kind, column titles) when the line is a flattened table header, else None.

    kind: "returns" (Return code Description), "values" (Value Meaning: macro-named rows) or
    "labels" (SSP in use Meaning, Buffer type Description: rows named by a short label).
    """
    text = " ".join(norm(line).strip("|").replace("|", " ").split())
    cols = text.rsplit(None, 1)
    if len(cols) == 2 and is_return_table_header(cols[0], cols[1]):
        return "returns", tuple(cols)
    for kind, rx in (("values", VALUE_HEADER_RE), ("labels", LABEL_HEADER_RE)):
        m = rx.match(text)
        if m:
            return kind, (m.group("c1"), m.group("c2"))
    return None


def is_table_header(line: str) -> str | None:
    h = table_header(line)
    return h[0] if h else None


def is_macro(text: str) -> bool:
    return MACRO_RE.match(text) is not None


def is_code(text: str) -> bool:
    return CODE_RE.match(text) is not None


def is_label(text: str) -> bool:
    """A row label of a label table: short, and not a sentence ("Digest", "Schannel/SSL", "0")."""
    return (
        0 < len(text) <= 40
        and len(text.split()) <= 5
        and text[-1] not in ".:;,!?"
        and not text.startswith("|")
    )


def table_rows(
    page: _Page,
    start: int,
    end: int,
    is_key: Callable[[str], bool],
    number_re: re.Pattern[str],
    labels: bool = False,
) -> tuple[list[_Row], int]:
    """Rows of a flattened table whose first row is at or after `start`. Returns (rows, next index).

    With ``labels`` the row keys are free text (see :func:`is_label`); a label then starts a row
    only as the first row or after a line that ends a sentence, and one-line rows are not
    recognised (a label cannot be told from the first words of its description).
    """
    lines = page.lines
    oneline_re = re.compile(rf"^(?P<key>\S+?)(?:\s+(?P<num>{NUMBER_TOKEN}))?\s+(?P<text>\S.*)$")
    first_row = start

    def bare_key(i: int) -> str | None:
        t = norm(lines[i])
        if not is_key(t):
            return None
        if labels and i > first_row:
            prev = norm(lines[i - 1])
            if prev and prev[-1] not in ".!?:" and not number_re.match(prev):
                return None
        return t

    def oneline(i: int) -> re.Match[str] | None:
        if labels:
            return None
        m = oneline_re.match(norm(lines[i]))
        return m if m and is_key(m.group("key")) else None

    def is_pipe(i: int) -> bool:
        return bool(PIPE_ROW_RE.match(norm(lines[i])))

    def stops(i: int) -> bool:
        t = norm(lines[i])
        return is_table_header(lines[i]) is not None or bool(FATAL_RE.match(t))

    i = start
    while i < end and is_blank(lines[i]):
        i += 1
    if i >= end or stops(i):
        return [], i
    first_row = i
    if is_pipe(i):
        style = "pipe"
    elif bare_key(i):
        style = "bare"
    elif oneline(i):
        style = "oneline"
    else:
        style = "keyless"

    def starts_row(i: int) -> bool:
        if style == "pipe":
            return is_pipe(i)
        if style == "bare":
            return bare_key(i) is not None
        if style == "oneline":
            return bare_key(i) is not None or oneline(i) is not None
        return False

    rows: list[_Row] = []
    cur: _Row | None = None
    while i < end:
        line = lines[i]
        if is_blank(line):
            k = i
            while k < end and is_blank(lines[k]):
                k += 1
            # A cell may be empty (`<dt></dt>`, an empty description): a blank line right after
            # a key (or its number) line does not end the table.
            empty_cell = style == "bare" and cur is not None and not cur.desc
            if k < end and not stops(k) and (starts_row(k) or empty_cell):
                i = k
                continue
            break
        if stops(i):
            break
        if style == "pipe":
            if not is_pipe(i):
                break
            cells = [c.strip() for c in norm(line)[1:-1].split("|")]
            first = cells[0] if cells else ""
            m = re.match(rf"^(?P<key>\S+)(?:\s+(?P<num>{NUMBER_TOKEN}))?$", first)
            if m and is_key(m.group("key")):
                rest = [c for c in cells[1:] if c]
                rows.append(_Row(m.group("key"), m.group("num"), i, i, rest))
            else:
                rows.append(_Row(None, None, i, i, [c for c in cells if c]))
            i += 1
            continue
        if style == "keyless":
            rows.append(_Row(None, None, i, i, [line]))
            i += 1
            continue
        key = bare_key(i)
        if key is not None:
            cur = _Row(key, None, i, i)
            rows.append(cur)
            if i + 1 < end and number_re.match(norm(lines[i + 1])):
                cur.number = norm(lines[i + 1])
                cur.end = i + 1
                i += 1
            i += 1
            continue
        m1 = oneline(i) if style == "oneline" else None
        if m1 is not None:
            cur = _Row(m1.group("key"), m1.group("num"), i, i, [m1.group("text")])
            rows.append(cur)
            i += 1
            continue
        if cur is None:  # cannot happen: the first line decided the style
            break
        cur.desc.append(line)
        cur.end = i
        i += 1
    return rows, i


# --------------------------------------------------------------------------------------------
# Sections


def find_sections(page: _Page, first: int) -> tuple[list[tuple[str, int, int]], int]:
    """[(section, heading index, end index exclusive)] and the index of the first heading."""
    heads: list[tuple[str, int]] = []
    for i in range(first, len(page.lines)):
        name = SECTION_HEADINGS.get(norm(page.lines[i]).casefold())
        if name is not None:
            heads.append((name, i))
    out = []
    for k, (name, i) in enumerate(heads):
        end = heads[k + 1][1] if k + 1 < len(heads) else len(page.lines)
        out.append((name, i, end))
    return out, (heads[0][1] if heads else len(page.lines))


def last_content(page: _Page, start: int, end: int) -> int:
    """Index of the last non-blank line in start..end-1 (start when there is none)."""
    for i in range(end - 1, start - 1, -1):
        if not is_blank(page.lines[i]):
            return i
    return start


# ---- Syntax ----------------------------------------------------------------------------------


def split_params(text: str) -> list[str]:
    """Split a parameter list on commas outside parentheses and brackets."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [p.strip() for p in out]


def normalize_c_type(text: str) -> str:
    """'VOID        *' -> 'VOID *', 'void**' -> 'void **' (the spelling of the header facts)."""
    t = " ".join(text.split())
    t = re.sub(r"\s*(\*+)\s*", r" \1 ", t)
    return " ".join(t.split())


PARAM_DECL_RE = re.compile(
    r"^(?P<type>.*?[\w*\s])\s*(?P<name>[A-Za-z_]\w*)\s*(?P<array>\[[^\]]*\])?$", re.DOTALL
)
PROTO_RE = re.compile(r"^(?P<head>.*?)\b(?P<name>[A-Za-z_]\w*)\s*\((?P<params>.*)\)\s*;?$", re.DOTALL)


def parse_syntax(page: _Page, start: int, end: int) -> Prototype | None:
    """The C prototype of the Syntax section (lines start..end-1)."""
    lines = page.lines
    i = start
    while i < end and (is_blank(lines[i]) or norm(lines[i]) in SYNTAX_NOISE):
        i += 1
    if i >= end:
        page.report(
            "read.rendered.no-prototype", Severity.WARNING, start - 1, "Syntax section has no prototype"
        )
        return None
    first = i
    depth, seen_open, last = 0, False, None
    while i < end:
        for ch in lines[i]:
            if ch == "(":
                depth += 1
                seen_open = True
            elif ch == ")":
                depth -= 1
        if seen_open and depth <= 0:
            last = i
            break
        i += 1
    if last is None:
        page.keep("syntax", first, end - 1, "prototype without a closing parenthesis")
        return None
    if last + 1 < end and any(not is_blank(x) for x in lines[last + 1 : end]):
        page.keep("syntax", last + 1, end - 1, "text after the prototype")
    text = "\n".join(x.rstrip() for x in lines[first : last + 1])
    m = PROTO_RE.match(" ".join(norm(x) for x in lines[first : last + 1]))
    if not m:
        page.keep("syntax", first, last, "not a C prototype of the form `TYPE NAME(params);`")
        return None
    head = [t for t in m.group("head").split() if t not in CALL_DECORATIONS]
    return_type = normalize_c_type(" ".join(head))
    raw_params = m.group("params").strip()
    params: list[PrototypeParam] = []
    if raw_params and raw_params not in ("void", "VOID"):
        for k, raw in enumerate(split_params(raw_params), 1):
            annotation = None
            am = re.match(r"^(\[[^\]]*\])\s*(.*)$", raw, re.DOTALL)
            if am:
                annotation, raw = " ".join(am.group(1).split()), am.group(2)
            pm = PARAM_DECL_RE.match(raw.strip())
            if not pm or not pm.group("type").strip():
                page.report(
                    "read.rendered.prototype-param",
                    Severity.WARNING,
                    first,
                    f"Syntax: parameter {k} `{raw.strip()}` has no recognisable `TYPE NAME` form",
                )
                continue
            c_type = normalize_c_type(
                pm.group("type") + (" " + pm.group("array") if pm.group("array") else "")
            )
            params.append(PrototypeParam(pm.group("name"), c_type, annotation))
    if not return_type:
        page.report(
            "read.rendered.prototype", Severity.WARNING, first, "Syntax: prototype has no return type"
        )
    return Prototype(text, return_type, m.group("name"), tuple(params), page.span(first, last))


# ---- Parameters ------------------------------------------------------------------------------


def parse_annotation(page: _Page, ann: str, index: int, pname: str) -> tuple[Direction | None, bool]:
    tokens = [t.strip().lower() for t in ann.split(",") if t.strip()]
    unknown = [t for t in tokens if t not in ANNOTATION_TOKENS]
    if unknown:
        page.report(
            "read.annotation",
            Severity.WARNING,
            index,
            f"parameter {pname}: unknown annotation word(s) {', '.join(unknown)} in [{ann}]",
        )
    has_in, has_out = "in" in tokens, "out" in tokens
    direction = (
        Direction.INOUT
        if has_in and has_out
        else Direction.IN
        if has_in
        else Direction.OUT
        if has_out
        else None
    )
    return direction, "optional" in tokens


@define
class _Body:
    description: str
    tables: tuple[ValueTable, ...]
    end: int  # last content line


def parse_body(page: _Page, start: int, end: int, section: str) -> _Body:
    """Paragraphs and flattened value tables of one parameter (lines start..end-1)."""
    lines = page.lines
    prose: list[tuple[int, int]] = []  # line ranges of prose
    tables: list[ValueTable] = []
    row_of: dict[int, str] = {}
    i = start
    run_start: int | None = None
    while i < end:
        header = table_header(lines[i])
        kind = header[0] if header else None
        if header is not None and kind == "labels" and not is_value_table_header(header[1]):
            # rule.value-table: "SSP in use | Meaning" says how each package reads the
            # parameter; it lists no values of it. Kept as description text.
            header, kind = None, None
        piped = PIPE_ROW_RE.match(norm(lines[i])) is not None
        if kind in ("values", "labels") or piped:
            if run_start is not None:
                prose.append((run_start, i))
                run_start = None
            if kind == "labels":
                rows, j = table_rows(page, i + 1, end, is_label, LABEL_NUMBER_RE, labels=True)
            else:
                rows, j = table_rows(page, i + 1 if kind else i, end, is_macro, VALUE_NUMBER_RE)
            keyed = [r for r in rows if r.key is not None]
            keyless = [r for r in rows if r.key is None]
            if keyless:
                page.report(
                    "read.value-table-without-names",
                    Severity.WARNING,
                    keyless[0].start,
                    f"{section}: value table rows without value names; kept as unparsed",
                )
                for r in keyless:
                    page.keep(section, r.start, r.end, "value table row without a value name")
            if keyed or kind:
                values = []
                for r in keyed:
                    assert r.key is not None
                    for k in range(r.start, r.end + 1):
                        row_of[k] = r.key
                    values.append(
                        Value(
                            r.key,
                            parse_value_number(r.number) if r.number else None,
                            r.number,
                            r.text(),
                            page.span(r.start, r.end),
                        )
                    )
                last = max([r.end for r in rows], default=i)
                cols = header[1] if header else ("Value", "Meaning")
                tables.append(ValueTable(cols, tuple(values), page.span(i, last)))
            i = max(j, i + 1)
            continue
        if run_start is None:
            run_start = i
        i += 1
    if run_start is not None:
        prose.append((run_start, end))
    paras: list[_Paragraph] = []
    for a, b in prose:
        paras.extend(paragraphs(page, a, b))
    page.mention_codes(start, end, section, lambda k: row_of.get(k, ""))
    last = last_content(page, start, end)
    return _Body(
        joined(paras), tuple(tables), last if start < end and not is_blank(page.lines[last]) else start - 1
    )


@define
class _ParamDoc:
    """One parameter heading and its body, before TBD reconciliation."""

    name: str
    annotation: str | None
    heading: int  # index of the heading line
    body: _Body
    orphan: bool  # "- name [in]": the rendering of an orphan `#### - name [in]` heading

    @property
    def tbd(self) -> bool:
        return self.body.description.strip() == "TBD"


def parse_parameters(page: _Page, start: int, end: int, proto: Prototype | None) -> list[Parameter]:
    """Parameters section (lines start..end-1, after the heading)."""
    lines = page.lines
    proto_names = {p.name: p for p in proto.params} if proto else {}

    def next_text(i: int) -> str:
        k = i + 1
        while k < end and is_blank(lines[k]):
            k += 1
        return norm(lines[k]) if k < end else ""

    def heading(i: int) -> tuple[str, str | None, bool] | None:
        t = norm(lines[i])
        m = ANNOTATED_HEADING_RE.match(t)
        if m and all(w.strip().lower() in ANNOTATION_TOKENS for w in m.group("ann").split(",") if w.strip()):
            return m.group("name"), m.group("ann"), False
        m = ORPHAN_HEADING_RE.match(t)
        if m:
            return m.group("name"), m.group("ann"), True
        if not IDENT_RE.match(t) or t in ALERT_LABELS:
            return None
        starts_block = i == start or is_blank(lines[i - 1])
        if proto_names:
            # A bare name is a heading when the prototype declares it, or when its whole text is
            # "TBD" (the page documents the parameter under another name than the header's).
            if t in proto_names or (starts_block and next_text(i) == "TBD"):
                return t, None, False
            return None
        # Without a prototype a bare identifier line is a heading when it starts a block and is
        # not a macro name (value-table NAME rows, TBD).
        if MACRO_RE.match(t) or not starts_block:
            return None
        return t, None, False

    heads = [(i, h) for i in range(start, end) if (h := heading(i)) is not None]
    first = heads[0][0] if heads else end
    if any(not is_blank(x) for x in lines[start:first]):
        page.keep("parameters", start, first - 1, "text before the first parameter heading")
        page.mention_codes(start, first, "parameters")
    docs: list[_ParamDoc] = []
    for k, (i, (pname, ann, orphan)) in enumerate(heads):
        stop = heads[k + 1][0] if k + 1 < len(heads) else end
        docs.append(_ParamDoc(pname, ann, i, parse_body(page, i + 1, stop, f"parameters: {pname}"), orphan))

    # Reconciliation (the source reader's rule): a TBD parameter takes the text of the heading
    # that documents it under another name: an orphan "- name [in]" heading, or a later heading
    # that the prototype does not declare, or that it declares while the TBD parameter's own
    # name is not in the prototype (the page and the header name that parameter differently).
    regular = [d for d in docs if not d.orphan]
    page.orphan_headings = [OrphanHeading(d.name, d.annotation, d.heading + 1) for d in docs if d.orphan]
    # A later regular heading is a candidate when some TBD heading comes before it and either
    # name is missing from the prototype. Linear: the first TBD heading, and whether any TBD
    # name so far is outside the prototype, are carried along.
    candidates = [d for d in docs if d.orphan]
    first_tbd: int | None = None
    tbd_outside_proto = False
    for d in regular:
        if d.tbd:
            if first_tbd is None:
                first_tbd = d.heading
            tbd_outside_proto = tbd_outside_proto or d.name not in proto_names
        elif first_tbd is not None and first_tbd < d.heading and (d.name not in proto_names or tbd_outside_proto):
            candidates.append(d)
    matcher = OrphanMatcher()
    for k, t in enumerate(regular):
        if t.tbd:
            matcher.add_tbd(t.heading, t.name, k)
    attached: dict[int, _ParamDoc] = {}
    consumed: set[int] = set()
    for o in sorted(candidates, key=lambda d: d.heading):
        got = matcher.match(o.heading, o.name)  # candidates are never TBD themselves
        best = got if isinstance(got, int) else None
        best_score = 1.0 if best is not None else 0.0
        if best is not None and best_score >= 0.6:
            attached[best] = o
            consumed.add(o.heading)
            t = regular[best]
            page.report(
                "read.tbd-parameter",
                Severity.WARNING,
                t.heading,
                f"parameter {t.name} is documented as 'TBD'; its text is under the heading"
                f" '{o.name}' at line {o.heading + 1}",
            )
            page.report(
                "read.orphan-heading",
                Severity.WARNING,
                o.heading,
                f"heading '{o.name}' documents TBD parameter {t.name} (names differ); its text is attached to"
                f" {t.name}",
            )
        elif o.orphan:
            page.report(
                "read.orphan-heading",
                Severity.WARNING,
                o.heading,
                f"orphan heading '- {o.name}' matches no TBD parameter",
            )
            page.keep(
                f"parameters: {o.name}",
                o.heading,
                o.body.end,
                f"orphan heading '- {o.name}' matches no parameter",
            )

    params: list[Parameter] = []
    seen: dict[str, int] = {}
    for k, d in enumerate(regular):
        if d.heading in consumed:
            continue
        i, pname = d.heading, d.name
        src = attached.get(k)
        doc = src if src is not None else d
        pp = proto_names.get(pname) or (proto_names.get(src.name) if src is not None else None)
        direction: Direction | None = None
        optional = False
        ann = src.annotation if src is not None and src.annotation is not None else d.annotation
        if ann is not None:
            direction, optional = parse_annotation(page, ann, i, pname)
        if pp is not None and pp.annotation:
            p_dir, p_opt = parse_annotation(page, pp.annotation.strip("[]"), i, pname)
            if ann is None:
                direction, optional = p_dir, p_opt
            elif (p_dir, p_opt) != (direction, optional):
                page.report(
                    "read.rendered.annotation-mismatch",
                    Severity.WARNING,
                    i,
                    f"parameter {pname}: heading says [{ann}] but the Syntax block says {pp.annotation}",
                )
        if direction is None:
            direction = Direction.UNKNOWN
            page.report(
                "read.no-direction",
                Severity.WARNING,
                i,
                f"parameter {pname}: no [in]/[out] annotation; direction unknown",
            )
        optional_source = "annotation" if optional else None
        if not optional and optional_in_prose(doc.body.description):
            optional, optional_source = True, "prose"
            if ann is not None and direction is not Direction.UNKNOWN:
                # The annotation was written and left "optional" out: the two disagree.
                page.report(
                    "read.optional-in-prose",
                    Severity.WARNING,
                    i,
                    f"parameter {pname}: annotation [{ann}] does not say optional but the text does",
                )
            else:
                page.report(
                    "read.optional-in-prose",
                    Severity.INFO,
                    i,
                    f"parameter {pname}: optional only in the description ({doc.body.description[:40]!r})",
                )
        if d.tbd and src is None:
            page.report(
                "read.tbd-parameter", Severity.WARNING, i, f"parameter {pname} is documented only as 'TBD'"
            )
        if pname in seen:
            page.report(
                "read.duplicate-parameter",
                Severity.WARNING,
                i,
                f"parameter {pname} is documented twice (first at line {seen[pname]})",
            )
        seen.setdefault(pname, i + 1)
        if proto is not None and pp is None:
            page.report(
                "read.rendered.param-not-in-prototype",
                Severity.WARNING,
                i,
                f"parameter {pname} is documented but not in the Syntax prototype",
            )
        params.append(
            Parameter(
                name=pname,
                direction=direction,
                optional=optional,
                description=doc.body.description,
                span=page.span(i, max(i, d.body.end)),
                optional_source=optional_source,
                tbd=d.tbd,
                documented_as=src.name if src is not None else None,
                c_type=pp.c_type if pp else None,
                value_tables=doc.body.tables,
            )
        )
    if proto is not None:
        documented = set(seen) | {o.name for o in attached.values()}
        for pp in proto.params:
            if pp.name not in documented:
                page.report(
                    "read.rendered.param-undocumented",
                    Severity.WARNING,
                    proto.span.start - 1,
                    f"parameter {pp.name} is in the Syntax prototype but has no heading under Parameters",
                )
    return params


# ---- Return value ----------------------------------------------------------------------------


class _Sentences:
    """Sentence boundaries of one paragraph, found once (a paragraph may name many codes)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [(m.start(), m.end()) for m in SENTENCE_END_RE.finditer(text)]
        self.starts = [b[0] for b in self.breaks]

    def bounds(self, pos: int) -> tuple[int, int]:
        """(start, end) of the sentence holding position `pos`."""
        k = bisect_left(self.starts, pos)  # breaks before pos: [0, k)
        start = self.breaks[k - 1][1] if k > 0 else 0
        end = self.breaks[k][0] if k < len(self.breaks) else len(self.text)
        return start, end


def sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    return _Sentences(text).bounds(pos)


def keyword_kind(text: str) -> ReturnKind | None:
    s, f = SUCCESS_WORD_RE.search(text), FAILURE_WORD_RE.search(text)
    if s and not f:
        return ReturnKind.SUCCESS
    if f and not s:
        return ReturnKind.ERROR
    return None


def prose_kind(code: str, text: str, pos: int, bounds: tuple[int, int] | None = None) -> ReturnKind | None:
    """How returns prose classifies the code at `pos`; None when the prose does not say.

    Pending: SEC_I_ASYNC_CALL_PENDING, or "still in progress". Otherwise the nearest success or
    failure word before the code in its sentence ("If the function succeeds, ... returns X";
    "otherwise" counts as failure), else the first one after it ("Returns X if the request was
    successfully queued"). The caller reads an unclassified SEC_E_OK as success (it is the name
    of success itself) and anything else as an error, and reports the latter.
    """
    s, e = bounds if bounds is not None else sentence_bounds(text, pos)
    sentence = text[s:e]
    if pending_in(sentence, code):
        return ReturnKind.PENDING
    lead = text[s:pos]
    hits = [(m.start(), ReturnKind.SUCCESS) for m in SUCCESS_WORD_RE.finditer(lead)]
    hits += [(m.start(), ReturnKind.ERROR) for m in FAILURE_WORD_RE.finditer(lead)]
    if hits:
        return max(hits)[1]
    tail = text[pos:e]
    hits = [(m.start(), ReturnKind.SUCCESS) for m in SUCCESS_WORD_RE.finditer(tail)]
    hits += [(m.start(), ReturnKind.ERROR) for m in FAILURE_WORD_RE.finditer(tail)]
    if hits:
        return min(hits)[1]
    return None


def table_kind(table: _Table, later: list[_Table]) -> ReturnKind | None:
    """How the page classifies a whole return table, from the sentence that introduces it.

    "If the function succeeds, the function returns one of the following success codes" ->
    success; "If the function fails, ..." / "fatal error codes" -> error. A table introduced
    without either word and followed by a fatal or error table is the success table
    (SspiInitializeSecurityContextAsync: "returns SEC_E_OK or one of the SSPI codes in the table
    below ... or any of the following fatal error codes in the second table below"). None: the
    rows classify themselves ("The function succeeded." / "The function failed.").
    """
    if table.fatal:
        return ReturnKind.ERROR
    if not table.intro:
        return None
    sentences = [s for s in SENTENCE_END_RE.split(table.intro) if TABLE_REF_RE.search(s)] or [table.intro]
    if table.index == 0:
        sentences = [s for s in sentences if not SECOND_TABLE_RE.search(s)] or sentences
    else:
        sentences = [s for s in sentences if SECOND_TABLE_RE.search(s)] or sentences
    kinds = {keyword_kind(s) for s in sentences} - {None}
    if len(kinds) == 1:
        return kinds.pop()
    if not kinds and any(t.fatal or table_kind(t, []) is ReturnKind.ERROR for t in later):
        return ReturnKind.SUCCESS
    return None


def row_kind(code: str, text: str, default: ReturnKind | None) -> ReturnKind:
    if pending_in(text, code):
        return ReturnKind.PENDING
    if default is not None:
        return default
    first = SENTENCE_END_RE.split(text, maxsplit=1)[0] if text else ""
    return shared_row_kind(code, first)


def parse_returns(page: _Page, start: int, end: int, name: str) -> tuple[list[ReturnCode], str]:
    """Return value section (lines start..end-1): (codes, prose)."""
    lines = page.lines
    prose: list[_Paragraph] = []
    tables: list[_Table] = []
    fatal_next = False
    i = start
    run_start: int | None = None

    def flush(upto: int) -> None:
        nonlocal run_start
        if run_start is not None:
            prose.extend(paragraphs(page, run_start, upto))
            run_start = None

    while i < end:
        t = norm(lines[i])
        kind = is_table_header(lines[i])
        if FATAL_RE.match(t):
            flush(i)
            prose.append(_Paragraph(i, i, clean_text(t)))
            fatal_next = True
            i += 1
            continue
        # A value table under Return value is text; return tables and bare pipe rows are read.
        if kind == "returns" or (kind is None and PIPE_ROW_RE.match(t)):
            flush(i)
            rows, j = table_rows(page, i + 1 if kind else i, end, is_code, HEX_RE)
            intro = ""
            for p in reversed(prose):
                if p.end < i and (not tables or p.start > tables[-1].end):
                    intro = p.text if not FATAL_RE.match(p.text) else intro
                    break
            last = max([r.end for r in rows], default=i)
            tables.append(_Table(t if kind else "", i, last, rows, fatal_next, intro, len(tables)))
            fatal_next = False
            i = max(j, i + 1)
            continue
        if run_start is None:
            run_start = i
        i += 1
    flush(end)

    codes: list[tuple[ReturnCode, bool]] = []  # (code, from a table)
    is_async_fn = name == ASYNC_STATUS_FN
    for k, table in enumerate(tables):
        keyless = [r for r in table.rows if r.key is None]
        keyed = [r for r in table.rows if r.key is not None]
        if not table.rows:
            page.report(
                "read.rendered.empty-table",
                Severity.WARNING,
                table.start,
                "Return value: table header without rows",
            )
        if keyless:
            # FORMATS.md: "A second extraction style exists in the wild ("flattened table") in which
            # the code cell comes out EMPTY and code names are lost. A reader must notice that (a
            # return table whose codes are missing) and report it, not invent codes."
            page.report(
                "read.return-table-without-codes",
                Severity.ERROR,
                table.start,
                f"Return value: table {k + 1} has {len(keyless)} row(s) whose code cell is empty; "
                "the code names are lost in this extraction",
            )
            for r in keyless:
                page.keep("returns", r.start, r.end, "return table row without a code name")
        default = table_kind(table, tables[k + 1 :])
        async_table = not is_async_fn and (
            table.fatal or bool(ASYNC_STATUS_RE.search(table.intro)) or "fatal" in table.intro.lower()
        )
        via = Via.ASYNC_STATUS if async_table else Via.CALL
        for r in keyed:
            assert r.key is not None
            text = r.text()
            if not text:
                page.report(
                    "read.rendered.empty-description",
                    Severity.INFO,
                    r.start,
                    f"Return value: {r.key} has no description",
                )
            rc = ReturnCode(
                r.key, row_kind(r.key, text, default), via, text, page.span(r.start, r.end), r.number, k
            )
            codes.append((rc, True))

    for p in prose:
        body = "\n".join(page.lines[p.start : p.end + 1]).replace(NBSP, " ")
        flat = " ".join(body.split())
        # Offsets in `flat` -> line numbers in the page.
        line_at: list[int] = []
        for off, ln in enumerate(page.lines[p.start : p.end + 1]):
            line_at.extend([p.start + off] * (len(" ".join(ln.replace(NBSP, " ").split())) + 1))
        am = None if is_async_fn else ASYNC_STATUS_RE.search(flat)
        sentences = _Sentences(flat)
        for m in STATUS_CODE_RE.finditer(flat):
            via = Via.ASYNC_STATUS if am is not None and m.start() >= am.start() else Via.CALL
            s, e = sentences.bounds(m.start())
            line = line_at[min(m.start(), len(line_at) - 1)] if line_at else p.start
            kind = prose_kind(m.group(1), flat, m.start(), (s, e))
            if kind is None:
                kind = ReturnKind.SUCCESS if m.group(1) == "SEC_E_OK" else ReturnKind.ERROR
                if kind is ReturnKind.ERROR:
                    page.report(
                        "read.unclassified-code",
                        Severity.INFO,
                        line,
                        f"Return value: {m.group(1)} is named in prose that says neither success nor failure;"
                        " read as an error",
                    )
            rc = ReturnCode(
                m.group(1),
                kind,
                via,
                flat[s:e].strip(),
                page.span(line, line),
            )
            codes.append((rc, False))

    # One entry per (code, via): a table row wins over the same code named in prose ("codes named
    # only in prose -> table=None"); otherwise the first occurrence wins.
    chosen: dict[tuple[str, Via], ReturnCode] = {}
    for rc, from_table in sorted(codes, key=lambda c: (not c[1], c[0].span.start)):
        key = (rc.name, rc.via)
        if key in chosen:
            first = chosen[key]
            if from_table and first.table is not None:
                page.report(
                    "read.duplicate-return-code",
                    Severity.WARNING,
                    rc.span.start - 1,
                    f"Return value: {rc.name} is listed again (first at line {first.span.start})",
                )
            if from_table and first.kind is not rc.kind:
                page.report(
                    "read.conflicting-return-kind",
                    Severity.WARNING,
                    rc.span.start - 1,
                    f"Return value: {rc.name} is {first.kind.value} at line {first.span.start} but {rc.kind.value} here",
                )
            continue
        chosen[key] = rc
    ordered = sorted(chosen.values(), key=lambda rc: rc.span.start)
    prose_text = joined(prose)
    if any(rc.table is not None for rc in ordered):
        page.returns_form = "table"
    elif ordered:
        page.returns_form = "prose-codes"
    elif prose_text:
        page.returns_form = "prose-no-codes"
    return ordered, prose_text


# ---- Requirements, See also -------------------------------------------------------------------


def parse_requirements(page: _Page, start: int, end: int) -> Requirements:
    fields: dict[str, str | None] = {}
    other: dict[str, str] = {}
    labels = sorted([*REQUIREMENT_FIELDS, *REQUIREMENT_OTHER_LABELS], key=len, reverse=True)
    header_seen = False
    for i in range(start, end):
        t = norm(page.lines[i])
        if not t:
            continue
        if not header_seen and " ".join(t.split()).casefold() == "requirement value":
            header_seen = True
            continue
        label = next((lb for lb in labels if t == lb or t.startswith(lb + " ")), None)
        if label is None:
            if "\t" in page.lines[i].strip():
                k, v = page.lines[i].strip().split("\t", 1)
                other[norm(k)] = " ".join(norm(v).split())
                page.report(
                    "read.rendered.requirement-unknown",
                    Severity.INFO,
                    i,
                    f"Requirements: unknown label {norm(k)!r}",
                )
            else:
                page.keep("requirements", i, i, "requirement row with an unknown label")
            continue
        # "normalise NBSP to spaces in requirement values so both forms compare equal"
        value = " ".join(t[len(label) :].split())
        key = REQUIREMENT_FIELDS.get(label)
        if key is None:
            other[label] = value
            continue
        if key in fields:
            page.report(
                "read.rendered.requirement-duplicate",
                Severity.WARNING,
                i,
                f"Requirements: {label} given twice",
            )
            continue
        if key == "header":
            hm = HEADER_VALUE_RE.match(value)
            if hm:
                fields["header"] = hm.group("header")
                fields["include_header"] = hm.group("include") or None
            else:
                fields["header"] = value or None
                page.report(
                    "read.rendered.requirement-header",
                    Severity.WARNING,
                    i,
                    f"Requirements: Header {value!r} not of the form `x.h (include y.h)`",
                )
            continue
        fields[key] = value or None
    return Requirements(
        min_client=fields.get("min_client"),
        min_server=fields.get("min_server"),
        target_platform=fields.get("target_platform"),
        header=fields.get("header"),
        include_header=fields.get("include_header"),
        library=fields.get("library"),
        dll=fields.get("dll"),
        unicode_ansi=fields.get("unicode_ansi"),
        other=tuple(sorted(other.items())),
    )


def parse_see_also(page: _Page, start: int, end: int) -> list[SeeAlso]:
    out = []
    for i in range(start, end):
        title = " ".join(norm(page.lines[i]).split())
        if title:
            # The rendered page keeps only the link text: "ImportSecurityContext" names a function;
            # "AcceptSecurityContext (General)" names one with the page's qualifier; "SSPI
            # Functions" names none.
            m = SEE_ALSO_FUNCTION_RE.match(title)
            out.append(SeeAlso(title, None, m.group("name") if m else None, page.span(i, i)))
    return out


# --------------------------------------------------------------------------------------------
# The page


def page_lines(text: str) -> list[str]:
    """Lines of the page; numbering matches an editor's (only \\n ends a line)."""
    text = text.lstrip("\ufeff")
    lines = [ln.rstrip("\r") for ln in text.split("\n")]
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


def name_from_file(file: str) -> str | None:
    stem = PurePath(file).stem
    return stem if IDENT_RE.match(stem) else None


def _read(text: str, file: str) -> FunctionSpec:
    page = _Page(file, page_lines(text))
    lines = page.lines
    n = len(lines)

    # Title
    t_idx = next((i for i, ln in enumerate(lines) if not is_blank(ln)), None)
    title = ""
    title_name: str | None = None
    body_start = 0
    if t_idx is not None and norm(lines[t_idx]).casefold() not in SECTION_HEADINGS:
        tm = TITLE_RE.match(norm(lines[t_idx]))
        if tm:
            title, title_name, body_start = norm(lines[t_idx]), tm.group("name"), t_idx + 1
    page.function = title_name
    if title_name is None:
        where = t_idx if t_idx is not None else 0
        got = norm(lines[where])[:60] if t_idx is not None else ""
        page.report(
            "read.rendered.no-title",
            Severity.ERROR,
            where,
            f"first line is not a title `<Name> function (sspi.h)`: {got!r}" if got else "page is empty",
        )

    sections, first_heading = find_sections(page, body_start)
    found: dict[str, tuple[int, int]] = {}
    for sec, h, e in sections:
        if sec in found:
            page.report(
                "read.duplicate-section",
                Severity.WARNING,
                h,
                f"second '{SECTION_TITLES[sec]}' heading (first at line {found[sec][0] + 1})",
            )
            page.keep(sec, h, max(h, e - 1), f"content of a repeated '{SECTION_TITLES[sec]}' section")
            continue
        found[sec] = (h, e)

    def body(sec: str) -> tuple[int, int] | None:
        return (found[sec][0] + 1, found[sec][1]) if sec in found else None

    # Description
    desc_paras = paragraphs(page, body_start, first_heading)
    description = joined(desc_paras)
    page.mention_codes(body_start, first_heading, "description")

    proto = None
    if (b := body("syntax")) is not None:
        proto = parse_syntax(page, *b)
    if title_name is None:
        title_name = (proto.name if proto else None) or name_from_file(file) or "UNKNOWN"
        page.function = title_name
    elif proto is not None and proto.name != title_name:
        page.report(
            "read.name-mismatch",
            Severity.WARNING,
            proto.span.start - 1,
            f"title names {title_name} but the Syntax prototype declares {proto.name}",
        )
    name = title_name

    params: list[Parameter] = []
    if (b := body("parameters")) is not None:
        params = parse_parameters(page, *b, proto)

    returns: list[ReturnCode] = []
    returns_prose = ""
    if (b := body("returns")) is not None:
        returns, returns_prose = parse_returns(page, *b, name)

    remarks = ""
    if (b := body("remarks")) is not None:
        remarks = joined(paragraphs(page, *b))
        page.mention_codes(*b, "remarks")
    # rule.optional-in-prose (remarks): "The X and Y parameters can be set to null"; (another
    # parameter's text): "with this flag the hAlgorithm parameter must be NULL".
    named_null = optional_named_elsewhere(params)
    for k, prm in enumerate(params):
        if not prm.optional and remarks_make_optional(prm.name, remarks):
            params[k] = evolve(prm, optional=True, optional_source="prose")
            page.report(
                "read.optional-in-prose",
                Severity.INFO,
                prm.span.start - 1,
                f"parameter {prm.name}: optional only in the remarks (they say it can be set to null)",
            )
        elif not prm.optional and prm.name in named_null:
            params[k] = evolve(prm, optional=True, optional_source="prose")
            page.report(
                "read.optional-in-prose",
                Severity.INFO,
                prm.span.start - 1,
                f"parameter {prm.name}: optional only in another parameter's text (it says {prm.name} must or can be NULL)",
            )

    # rule.reported-via (GetLastError, an out parameter), applied once for both forms.
    returns = apply_reporting(returns, returns_prose, params)

    requirements = Requirements()
    if (b := body("requirements")) is not None:
        requirements = parse_requirements(page, *b)

    see_also: list[SeeAlso] = []
    if (b := body("see-also")) is not None:
        see_also = parse_see_also(page, *b)

    if (b := body("examples")) is not None and any(not is_blank(x) for x in lines[b[0] : b[1]]):
        page.keep("examples", b[0], b[1] - 1, "an Examples section has no place in the function spec")

    # Missing sections. Syntax and Requirements are on every rendered page (FORMATS.md skeleton);
    # Parameters and Return value are defects when the prototype shows parameters / a non-void
    # return; Remarks and See also may be absent (same severities as the source reader).
    void = proto is not None and proto.return_type in ("void", "VOID")
    expected = {
        "syntax": Severity.WARNING,
        "parameters": Severity.INFO if proto is None else Severity.WARNING if proto.params else None,
        "returns": Severity.INFO if proto is None else None if void else Severity.WARNING,
        "remarks": Severity.INFO,
        "requirements": Severity.WARNING,
        "see-also": Severity.INFO,
    }
    if not desc_paras:
        page.report(
            "read.missing-section", Severity.WARNING, t_idx or 0, "no description before the first section"
        )
    for sec, sev in expected.items():
        if sev is not None and sec not in found:
            page.report("read.missing-section", sev, t_idx or 0, f"no '{SECTION_TITLES[sec]}' section")
    for sec, (h, e) in found.items():
        if all(is_blank(x) for x in lines[h + 1 : e]):
            sev = Severity.WARNING if sec in ("returns", "parameters") else Severity.INFO
            page.report("read.empty-section", sev, h, f"section '{SECTION_TITLES[sec]}' is empty")

    # Variant: no front matter, so the evidence is the page text: the remarks note "The sspi.h
    # header defines X as an alias which automatically selects the ANSI or Unicode version", or a
    # description ending in "(ANSI)"/"(Unicode)" (async pages).
    evidence = f"{remarks}\n{description}"
    c_types = tuple(pp.c_type for pp in proto.params) if proto is not None else ()
    variant, neutral = split_variant(name, requirements.unicode_ansi, description=evidence, c_types=c_types)
    if variant is Variant.NEUTRAL and name.endswith(("A", "W")):
        am = ALIAS_NOTE_RE.search(evidence)
        if am and am.group("neutral") == name[:-1]:
            variant, neutral = (Variant.A if name.endswith("A") else Variant.W), name[:-1]

    section_spans = tuple(
        (sec, page.span(h, last_content(page, h, e)))
        for sec, (h, e) in sorted(found.items(), key=lambda kv: kv[1][0])
    )
    if desc_paras:
        section_spans = (("description", page.span(desc_paras[0].start, desc_paras[-1].end)), *section_spans)

    return FunctionSpec(
        name=name,
        variant=variant,
        neutral_name=neutral,
        form=Form.RENDERED,
        source=page.span(0, max(0, n - 1)),
        title=title,
        upstream=f"{UPSTREAM_DIR}/nf-sspi-{name.lower()}.md",
        description=description,
        requirements=requirements,
        prototype=proto,
        parameters=tuple(params),
        returns=tuple(returns),
        returns_prose=returns_prose,
        mentioned_codes=tuple(page.mentions),
        remarks=remarks,
        see_also=tuple(see_also),
        unparsed=tuple(page.unparsed),
        diagnostics=tuple(page.diagnostics),
        sections=section_spans,
        orphan_headings=tuple(page.orphan_headings),
        returns_form=page.returns_form,
    )


def _fallback(text: str, file: str, exc: BaseException) -> FunctionSpec:
    """The page as one unparsed block, with the internal error reported (never raises)."""
    try:
        lines = page_lines(text)
    except Exception:  # text is not even a str
        lines = [repr(text)[:200]]
    name = None
    for ln in lines:
        if not is_blank(ln):
            m = TITLE_RE.match(norm(ln))
            name = m.group("name") if m else None
            break
    name = name or name_from_file(str(file)) or "UNKNOWN"
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {PurePath(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    span = Span(str(file), 1, max(1, len(lines)))
    message = f"rendered reader failed on this page ({type(exc).__name__}: {exc}{where}); page kept unparsed"
    return FunctionSpec(
        name=name,
        variant=Variant.NEUTRAL,
        neutral_name=name,
        form=Form.RENDERED,
        source=span,
        upstream=f"{UPSTREAM_DIR}/nf-sspi-{name.lower()}.md",
        unparsed=(Unparsed("page", "\n".join(lines), span, "reader internal error"),),
        diagnostics=(Diagnostic("read.internal", Severity.ERROR, str(file), 1, message, name),),
    )


def read_rendered(text: str, file: str) -> FunctionSpec:
    """Read one page in the rendered web-page text form (grammar in the module docstring).

    Never raises on content: problems are Diagnostics on the result, unplaceable lines are kept
    in ``unparsed``, and an internal failure yields a ``read.internal`` diagnostic.
    """
    try:
        return _read(text, file)
    except Exception as exc:  # the reader's contract: a page never makes it raise
        return _fallback(text, file, exc)
