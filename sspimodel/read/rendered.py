"""The rendered web-page text form: a thin tokenizer into the shared raw page, and its front end.

FORMATS.md, "Rendered web-page text": "A reference page as shown on the web and saved as plain
text. No front matter, no markdown markers." The grammar this tokenizer accepts (one item a line;
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
    param_heading:= "[" ANNOTATION "] " NAME | NAME | "- " NAME ["[" ANNOTATION "]"]
    value_table  := ("Value Meaning" | "SSP in use Meaning" | ...) row*
    return_value := paragraph* (["Fatal error codes"] return_table paragraph*)*
    return_table := ("Return code Description" | "Return code/value Description" | ...) row*
    row          := KEY NL [NUMBER NL] text+  ; alternating, one cell a line
                  | KEY [NUMBER] " " text     ; one line (pipe-table sources)
                  | "|" cell ("|" cell)* "|"  ; "flattened table"; an empty KEY cell is kept keyless
    requirements := ["Requirement Value"] (LABEL " " VALUE)*
    see_also     := TITLE*                    ; one linked title a line

A table ends at a blank line that is not followed by another row of the same table (the rendered
form puts the paragraphs of one cell on consecutive lines), at a new table header, at a
"Fatal error codes" line, or at the end of its section.

The tokenizer decides structure only: it turns each section into the raw blocks of
:mod:`sspimodel.read.raw` (text paragraphs, tables of rows and cells, a "Fatal error codes"
heading, parameter headings written in the canonical ``-param NAME [annotation]`` spelling) and
hands them to the shared :class:`~sspimodel.read.interpret.Interpreter`, which applies every
English heuristic (success / error / pending, how a code is reported, optional in prose, value
tables, TBD parameters, see-also, mentioned codes) exactly as for the source form. What only this
form has is read here: the title, the C prototype of the Syntax block (parameter types, the
annotations a bare heading lacks), the Requirements table, the alias note of an A/W page.

The reader never raises on content (:func:`read_rendered`): every problem is a Diagnostic on the
returned FunctionSpec, and every line it cannot place is kept in ``FunctionSpec.unparsed`` with its
span. An internal bug on a mangled page becomes a ``read.internal`` diagnostic.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from pathlib import PurePath

from attrs import define, evolve, field

from ..spec import (
    Diagnostic,
    Form,
    FunctionSpec,
    Parameter,
    Prototype,
    PrototypeParam,
    Requirements,
    Severity,
    Span,
    Unparsed,
    Variant,
)
from .common import HEX_RE, VALUE_NUMBER_RE, clean_text, empty_page, split_variant
from .interpret import Interpreter, _annotation
from .raw import Block, Cell, Row, Section, Table
from .rules import is_return_table_header

__all__ = ["raw_sections", "read_rendered"]

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



def norm(line: str) -> str:
    """A line for matching: NBSP as space, tabs as space, outer whitespace removed."""
    return line.replace(NBSP, " ").replace("\t", " ").strip()


def is_blank(line: str) -> bool:
    # str.strip() removes NBSP too: "a line holding a lone NBSP" is blank (FORMATS.md).
    return not line.strip()


@define
class _Row:
    key: str | None  # None: the key cell came out empty ("flattened table")
    number: str | None
    start: int
    end: int
    desc: list[str] = field(factory=list)

    def text(self) -> str:
        return clean_text("\n".join(self.desc))


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
    page: _Rendered,
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


def find_sections(page: _Rendered, first: int) -> tuple[list[tuple[str, int, int]], int]:
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


def last_content(page: _Rendered, start: int, end: int) -> int:
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


def parse_syntax(page: _Rendered, start: int, end: int) -> Prototype | None:
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
    return Prototype(text, return_type, m.group("name"), tuple(params), page.span0(first, last))


# ---- Parameters ------------------------------------------------------------------------------

def parse_requirements(page: _Rendered, start: int, end: int) -> Requirements:
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


# --------------------------------------------------------------------------------------------
# Tokenizer: lines -> raw blocks


def _text_block(lines: list[str], i: int, j: int, text: str) -> Block:
    """A paragraph of lines i..j (0-based, inclusive) as a raw text block (1-based span)."""
    return Block("text", i + 1, j + 1, text=text, raw="\n".join(lines[i : j + 1]))


def paragraphs(lines: list[str], start: int, end: int) -> list[Block]:
    """Text blocks of lines start..end-1; a lone alert label joins the next paragraph."""
    out: list[Block] = []
    i = start
    label: tuple[int, str] | None = None
    while i < end:
        if is_blank(lines[i]):
            i += 1
            continue
        j = i
        while j < end and not is_blank(lines[j]):
            j += 1
        text = clean_text("\n".join(lines[i:j]))
        if j - i == 1 and text in ALERT_LABELS:
            label = (i, text)
        else:
            first = i
            am = ALERT_LINE_RE.match(lines[i].strip())
            if label is not None:
                first, text = label[0], f"{label[1]}: {text}"
                label = None
            elif am:
                # "Note  text": the label and two NBSPs before the text of an old alert div.
                rest = "\n".join([am.group(2), *lines[i + 1 : j]])
                text = f"{am.group(1)}: {clean_text(rest)}"
            out.append(_text_block(lines, first, j - 1, text))
        i = j
    if label is not None:
        out.append(_text_block(lines, label[0], label[0], label[1]))
    return out


def _raw_table(header: tuple[str, ...], rows: list[_Row], start: int, end: int) -> Block:
    """Rows of a flattened table as a raw table: the key cell (name, and the number printed under
    it), then the description cell. A keyless row (the code cell came out empty) has an empty
    key cell."""
    out: list[Row] = []
    for r in rows:
        key_parts = [p for p in (r.key, r.number) if p]
        desc = "\n".join(r.desc)
        cells = [Cell("\n".join(key_parts), key_parts, [], []), Cell(desc, list(r.desc), [], [])]
        out.append(Row(cells, r.start + 1, r.end + 1))
    last = max([r.end for r in rows], default=start)
    return Block("table", start + 1, max(end, last) + 1, table=Table(list(header), out, start + 1, max(end, last) + 1))


def body_blocks(page: _Rendered, start: int, end: int) -> list[Block]:
    """Paragraphs and flattened tables (value tables, label tables, pipe rows) of one parameter."""
    lines = page.lines0
    out: list[Block] = []
    i = start
    run_start: int | None = None
    while i < end:
        header = table_header(lines[i])
        kind = header[0] if header else None
        piped = PIPE_ROW_RE.match(norm(lines[i])) is not None
        if kind in ("values", "labels") or piped:
            if run_start is not None:
                out.extend(paragraphs(lines, run_start, i))
                run_start = None
            if kind == "labels":
                rows, j = table_rows(page, i + 1, end, is_label, LABEL_NUMBER_RE, labels=True)
            else:
                rows, j = table_rows(page, i + 1 if kind else i, end, is_macro, VALUE_NUMBER_RE)
            cols = header[1] if header else ("Value", "Meaning")
            if rows or kind:
                out.append(_raw_table(cols, rows, i, i))
            i = max(j, i + 1)
            continue
        if run_start is None:
            run_start = i
        i += 1
    if run_start is not None:
        out.extend(paragraphs(lines, run_start, end))
    return out


def return_blocks(page: _Rendered, start: int, end: int) -> list[Block]:
    """Return value section (lines start..end-1): paragraphs, a heading block for each "Fatal
    error codes" line, and return tables (a value table here stays text)."""
    lines = page.lines0
    out: list[Block] = []
    i = start
    run_start: int | None = None

    def flush(upto: int) -> None:
        nonlocal run_start
        if run_start is not None:
            out.extend(paragraphs(lines, run_start, upto))
            run_start = None

    while i < end:
        t = norm(lines[i])
        kind = is_table_header(lines[i])
        if FATAL_RE.match(t):
            flush(i)
            out.append(Block("heading", i + 1, i + 1, text=clean_text(t), raw=lines[i], level=3))
            i += 1
            continue
        if kind == "returns" or (kind is None and PIPE_ROW_RE.match(t)):
            flush(i)
            rows, j = table_rows(page, i + 1 if kind else i, end, is_code, HEX_RE)
            header = table_header(lines[i])
            out.append(_raw_table(header[1] if header else (), rows, i, i))
            i = max(j, i + 1)
            continue
        if run_start is None:
            run_start = i
        i += 1
    flush(end)
    return out


def see_also_blocks(lines: list[str], start: int, end: int) -> list[Block]:
    """One text block a line: the rendered page keeps only the link titles."""
    return [
        _text_block(lines, i, i, " ".join(norm(lines[i]).split()))
        for i in range(start, end)
        if not is_blank(lines[i])
    ]


def param_heading(page: _Rendered, i: int, start: int, end: int, declared: dict[str, PrototypeParam]) -> tuple[str, str | None, bool] | None:
    """(name, annotation, orphan) when line i is a parameter heading, else None."""
    lines = page.lines0
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
    if declared:
        # A bare name is a heading when the prototype declares it, or when its whole text is
        # "TBD" (the page documents the parameter under another name than the header's).
        if t in declared or (starts_block and _next_text(lines, i, end) == "TBD"):
            return t, None, False
        return None
    # Without a prototype a bare identifier line is a heading when it starts a block and is
    # not a macro name (value-table NAME rows, TBD).
    if MACRO_RE.match(t) or not starts_block:
        return None
    return t, None, False


def _next_text(lines: list[str], i: int, end: int) -> str:
    k = i + 1
    while k < end and is_blank(lines[k]):
        k += 1
    return norm(lines[k]) if k < end else ""


def parameter_blocks(page: _Rendered, start: int, end: int, proto: Prototype | None) -> list[Block]:
    """Parameters section (lines start..end-1) as canonical parameter headings and their bodies.

    A bare heading takes its annotation from the Syntax prototype (a disagreement of the two is
    reported). "- name [in]" is an orphan heading (level 4, the rendering of the source form's
    ``#### -``). A later heading the prototype does not declare, after a heading whose text is
    only "TBD" (or one it declares while a TBD parameter's own name is not in it), is marked
    ``may-document-tbd``: the interpreter attaches it to the TBD parameter it matches, if any."""
    lines = page.lines0
    declared = {p.name: p for p in proto.params} if proto else {}
    heads = [(i, h) for i in range(start, end) if (h := param_heading(page, i, start, end, declared)) is not None]
    out: list[Block] = []
    first = heads[0][0] if heads else end
    if first > start:
        out.extend(body_blocks(page, start, first))
    first_tbd: int | None = None
    tbd_outside_proto = False
    for k, (i, (name, ann, orphan)) in enumerate(heads):
        stop = heads[k + 1][0] if k + 1 < len(heads) else end
        tbd = _next_text(lines, i, stop) == "TBD"
        pp = declared.get(name)
        if pp is not None and pp.annotation:
            p_ann = pp.annotation.strip("[]")
            if ann is None:
                ann = p_ann
            elif _annotation(ann)[:2] != _annotation(p_ann)[:2]:
                page.warn(
                    "read.rendered.annotation-mismatch",
                    i + 1,
                    f"parameter {name}: heading says [{ann}] but the Syntax block says {pp.annotation}",
                )
        if not orphan and tbd:
            first_tbd = i if first_tbd is None else first_tbd
            tbd_outside_proto = tbd_outside_proto or name not in declared
        hint = ""
        if not orphan and not tbd and first_tbd is not None and (name not in declared or tbd_outside_proto):
            hint = "may-document-tbd"
        suffix = f" [{ann}]" if ann is not None else ""
        text = f"- {name}{suffix}" if orphan else f"-param {name}{suffix}"
        out.append(Block("heading", i + 1, i + 1, text=text, raw=lines[i], level=4 if orphan else 3, hint=hint))
        out.extend(body_blocks(page, i + 1, stop))
    return out


# --------------------------------------------------------------------------------------------
# The front end: title, Syntax, Requirements, and the sections handed to the interpreter


class _Rendered(Interpreter):
    def __init__(self, text: str, file: str) -> None:
        lines = page_lines(text)
        super().__init__("\n".join(lines), file)
        self.size = len(text)
        self.lines0 = lines  # 0-based view (the tokenizer's indexes)
        self.lines = lines
        self.nlines = max(1, len(lines))

    def span0(self, start: int, end: int) -> Span:
        return Span(self.file, start + 1, end + 1)

    def report(self, rule: str, severity: Severity, index: int, message: str) -> None:
        self.warn(rule, index + 1, message, severity)

    def keep(self, section: str, start: int, end: int, reason: str) -> None:
        """Keep lines start..end (0-based, inclusive, blank edges dropped) as unparsed."""
        while start < end and is_blank(self.lines0[start]):
            start += 1
        while end > start and is_blank(self.lines0[end]):
            end -= 1
        self.keep_unparsed(section, start + 1, end + 1, reason)

    def read(self) -> FunctionSpec:
        lines = self.lines0
        n = len(lines)
        t_idx = next((i for i, ln in enumerate(lines) if not is_blank(ln)), None)
        if t_idx is None:
            what = "is empty (0 bytes): no title or text" if self.size == 0 else f"holds only whitespace ({len(lines)} line{'s' if len(lines) > 1 else ''}): no title or text"
            return empty_page(self.file, Form.RENDERED, what, 0, len(lines))
        title = ""
        title_name: str | None = None
        body_start = 0
        if t_idx is not None and norm(lines[t_idx]).casefold() not in SECTION_HEADINGS:
            tm = TITLE_RE.match(norm(lines[t_idx]))
            if tm:
                title, title_name, body_start = norm(lines[t_idx]), tm.group("name"), t_idx + 1
        if title_name is None:
            where = t_idx if t_idx is not None else 0
            got = norm(lines[where])[:60] if t_idx is not None else ""
            self.report(
                "read.rendered.no-title",
                Severity.ERROR,
                where,
                f"first line is not a title `<Name> function (sspi.h)`: {got!r}" if got else "page is empty",
            )
        else:
            self.fm_span = (1, body_start)

        found_sections, first_heading = find_sections(self, body_start)
        found: dict[str, tuple[int, int]] = {}
        for sec, h, e in found_sections:
            if sec in found:
                self.report(
                    "read.duplicate-section",
                    Severity.WARNING,
                    h,
                    f"second '{SECTION_TITLES[sec]}' heading (first at line {found[sec][0] + 1})",
                )
                self.keep(sec, h, max(h, e - 1), f"content of a repeated '{SECTION_TITLES[sec]}' section")
                continue
            found[sec] = (h, e)

        def body(sec: str) -> tuple[int, int] | None:
            return (found[sec][0] + 1, found[sec][1]) if sec in found else None

        proto = None
        if (b := body("syntax")) is not None:
            proto = parse_syntax(self, *b)
        if title_name is None:
            title_name = (proto.name if proto else None) or name_from_file(self.file) or "UNKNOWN"
        elif proto is not None and proto.name != title_name:
            self.report(
                "read.name-mismatch",
                Severity.WARNING,
                proto.span.start - 1,
                f"title names {title_name} but the Syntax prototype declares {proto.name}",
            )
        name = self.name = title_name

        # The raw sections, in page order, for the interpreter.
        desc_blocks = paragraphs(lines, body_start, first_heading)
        sections: list[Section] = []
        if desc_blocks:
            sections.append(Section("description", "", body_start + 1, first_heading, desc_blocks))
        for sec, (h, e) in sorted(found.items(), key=lambda kv: kv[1][0]):
            a = h + 1
            if sec == "parameters":
                blocks = parameter_blocks(self, a, e, proto)
            elif sec == "returns":
                blocks = return_blocks(self, a, e)
            elif sec == "see-also":
                blocks = see_also_blocks(lines, a, e)
            elif sec == "syntax":
                blocks = []
            else:
                blocks = paragraphs(lines, a, e)
            sections.append(Section(sec, lines[h], h + 1, e, blocks))
        self.last_sections = sections

        read = self.interpret([s for s in sections if s.key not in ("syntax", "requirements")])
        description, remarks = read.description, read.remarks
        params = self.prototype_facts(read.parameters, proto)

        requirements = Requirements()
        if (b := body("requirements")) is not None:
            requirements = parse_requirements(self, *b)
        if (b := body("examples")) is not None and any(not is_blank(x) for x in lines[b[0] : b[1]]):
            self.keep("examples", b[0], b[1] - 1, "an Examples section has no place in the function spec")
        self.check_sections(found, proto, t_idx, bool(desc_blocks))

        # rule.variant: no front matter, so the evidence is the page text (the remarks' alias
        # note, a description ending in "(ANSI)"/"(Unicode)") and the prototype's string types.
        c_types = tuple(pp.c_type for pp in proto.params) if proto is not None else ()
        variant, neutral = split_variant(
            name, requirements.unicode_ansi, description=f"{remarks}\n{description}", c_types=c_types
        )

        section_spans = tuple(
            (sec, self.span0(h, last_content(self, h, e)))
            for sec, (h, e) in sorted(found.items(), key=lambda kv: kv[1][0])
        )
        if desc_blocks:
            section_spans = (
                ("description", Span(self.file, desc_blocks[0].start, desc_blocks[-1].end)),
                *section_spans,
            )
        diags = sorted(
            (evolve(d, function=name) if d.function is None else d for d in self.diags), key=lambda d: d.line
        )
        return FunctionSpec(
            name=name,
            variant=variant,
            neutral_name=neutral,
            form=Form.RENDERED,
            source=self.span0(0, max(0, n - 1)),
            title=title,
            upstream=f"{UPSTREAM_DIR}/nf-sspi-{name.lower()}.md",
            description=description,
            requirements=requirements,
            prototype=proto,
            parameters=tuple(params),
            returns=tuple(read.returns),
            returns_prose=read.returns_prose,
            mentioned_codes=tuple(read.mentions),
            remarks=remarks,
            see_also=tuple(read.see_also),
            unparsed=tuple(self.unparsed),
            diagnostics=tuple(diags),
            sections=section_spans,
            orphan_headings=tuple(self.orphan_headings),
            returns_form=self.returns_form,
        )

    def prototype_facts(self, params: list[Parameter], proto: Prototype | None) -> list[Parameter]:
        """C types from the Syntax prototype, and the parameters the two lists disagree on."""
        if proto is None:
            return params
        declared = {p.name: p for p in proto.params}
        out = []
        for p in params:
            pp = declared.get(p.name) or (declared.get(p.documented_as) if p.documented_as else None)
            if pp is None:
                self.warn(
                    "read.rendered.param-not-in-prototype",
                    p.span.start,
                    f"parameter {p.name} is documented but not in the Syntax prototype",
                )
                out.append(p)
            else:
                out.append(evolve(p, c_type=pp.c_type))
        documented = {p.name for p in params} | {p.documented_as for p in params if p.documented_as}
        for pp in proto.params:
            if pp.name not in documented:
                self.warn(
                    "read.rendered.param-undocumented",
                    proto.span.start,
                    f"parameter {pp.name} is in the Syntax prototype but has no heading under Parameters",
                )
        return out

    def check_sections(
        self, found: dict[str, tuple[int, int]], proto: Prototype | None, t_idx: int | None, has_desc: bool
    ) -> None:
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
        if not has_desc:
            self.report(
                "read.missing-section", Severity.WARNING, t_idx or 0, "no description before the first section"
            )
        for sec, sev in expected.items():
            if sev is not None and sec not in found:
                self.report("read.missing-section", sev, t_idx or 0, f"no '{SECTION_TITLES[sec]}' section")
        for sec, (h, e) in found.items():
            if all(is_blank(x) for x in self.lines0[h + 1 : e]):
                sev = Severity.WARNING if sec in ("returns", "parameters") else Severity.INFO
                self.report("read.empty-section", sev, h, f"section '{SECTION_TITLES[sec]}' is empty")


def raw_sections(text: str, file: str = "page.txt") -> list[Section]:
    """The raw sections the tokenizer hands to the interpreter (tests compare both forms')."""
    r = _Rendered(text, file)
    r.read()
    return r.last_sections


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
        return _Rendered(text, file).read()
    except Exception as exc:  # the reader's contract: a page never makes it raise
        return _fallback(text, file, exc)
