"""What both page readers share: names, status-code spotting, value numbers, text clean-up."""

from __future__ import annotations

import re
from pathlib import PurePath

from ..spec import Diagnostic, Form, FunctionSpec, Severity, Span, Variant

# A status code as it appears in prose or tables. STATUS_* (NTSTATUS) codes appear on some
# pages (MakeSignature) and are kept so lint can report them.
# ERROR_* (Win32) and NTE_* (HRESULT) codes are spotted too (other headers' pages, and codes
# read with GetLastError).
# NERR_* (NET_API_STATUS, lmaccess.h) names are mixed case (NERR_Success, NERR_UserNotFound).
# (Led by a character class, which the regex engine scans for quickly; the lookbehind after it is
# the word boundary before the code.)
STATUS_CODE_RE = re.compile(
    r"([SEN](?<!\w[SEN])(?:EC_[EI]_[A-Z0-9_]+|TATUS_[A-Z0-9_]+|RROR_[A-Z0-9_]+|TE_[A-Z0-9_]+|ERR_[A-Za-z0-9_]+))\b"
)
# STATUS_CODE_RE's matches found from their first "_" (a literal the regex engine finds fast; the
# [SEN] that STATUS_CODE_RE starts with stops it at every S, E and N of the text), the name before
# it checked by a lookbehind; the group that matched gives that name's length.
_CODE_FROM_UNDERSCORE_RE = re.compile(
    r"_(?:(?<=\bSEC_)([EI]_[A-Z0-9_]+)|(?<=\bSTATUS_)([A-Z0-9_]+)|(?<=\bERROR_)([A-Z0-9_]+)"
    r"|(?<=\bNTE_)([A-Z0-9_]+)|(?<=\bNERR_)([A-Za-z0-9_]+))\b"
)
_CODE_PREFIX_LEN = (0, 3, 6, 5, 3, 4)  # by group: SEC, STATUS, ERROR, NTE, NERR


def find_status_codes(text: str, pos: int = 0) -> list[tuple[int, str]]:
    """(offset, code) of each STATUS_CODE_RE match in ``text`` from ``pos``, in text order (faster
    on a whole page)."""
    out = []
    for m in _CODE_FROM_UNDERSCORE_RE.finditer(text, pos):
        start = m.start() - _CODE_PREFIX_LEN[m.lastindex or 0]
        if start >= pos:
            out.append((start, text[start : m.end()]))
    return out


HEX_RE = re.compile(r"^0[xX][0-9A-Fa-f]+L?$")
# "1 (0x1)", "4026531840 (0xF0000000)", "0x1", "0X800", "10"
VALUE_NUMBER_RE = re.compile(r"^\s*(?:(\d+)\s*\(\s*(0[xX][0-9A-Fa-f]+)\s*\)|(0[xX][0-9A-Fa-f]+)L?|(\d+))\s*$")

# Names whose last letter is A/W but which are not an ANSI/Unicode pair member.
_NOT_VARIANT_SUFFIX: frozenset[str] = frozenset()


def parse_value_number(text: str) -> int | None:
    """The number a value table prints for a macro, or None when it prints none we can read."""
    m = VALUE_NUMBER_RE.match(text.replace("\u00a0", " "))
    if not m:
        return None
    dec, _dec_hex, hx, plain = m.groups()
    if dec is not None:
        return int(dec)
    if hx is not None:
        return int(hx.rstrip("L"), 16)
    return int(plain)


# Character types of a prototype's parameters (rule.variant-from-prototype): a W function takes
# wide strings, an A function narrow ones.
_WIDE_TYPE_RE = re.compile(r"\b(?:SEC_WCHAR|WCHAR|wchar_t|(?:LP|P)?C?WSTR|[A-Z]\w*_W)\b")
_NARROW_TYPE_RE = re.compile(r"\b(?:SEC_CHAR|CHAR|char|(?:LP|P)?C?STR|[A-Z]\w*_A)\b")


def _variant_of_types(c_types: tuple[str, ...]) -> str | None:
    wide = any(_WIDE_TYPE_RE.search(t) for t in c_types)
    narrow = any(_NARROW_TYPE_RE.search(t) for t in c_types)
    if wide and not narrow:
        return "W"
    if narrow and not wide:
        return "A"
    return None


def split_variant(
    name: str,
    unicode_ansi: str | None = None,
    description: str | None = None,
    aliases: tuple[str, ...] = (),
    c_types: tuple[str, ...] = (),
) -> tuple[Variant, str]:
    """(variant, neutral name) of a function name.

    A trailing A or W marks a variant only when the page confirms it: req.unicode-ansi names
    the pair, or the description ends in "(ANSI)"/"(Unicode)" (the async pages), or the page
    is rendered text whose title names the function with the suffix and whose remarks say the
    header defines an alias (callers pass that text as ``description``), or the page's own list
    of API names (front matter ``api_name``) holds the name without its suffix (the Ex pages,
    whose req.unicode-ansi is empty), or (rule.variant-from-prototype) the page's prototype takes
    only wide-character string types for a W name, only narrow ones for an A name (a rendered page
    whose req.unicode-ansi is empty and that has no alias note: AddCredentialsW), or the text
    (remarks included) says "The sspi.h header defines <stem> as an alias which automatically
    selects the ANSI or Unicode version" (rule.variant, both forms).
    """
    if name.endswith(("A", "W")) and name not in _NOT_VARIANT_SUFFIX:
        stem, suffix = name[:-1], name[-1]
        evidence = " ".join(t for t in (unicode_ansi, description) if t)
        if (
            f"{stem}W" in evidence
            or f"{stem}A" in evidence
            or (suffix == "A" and "(ANSI)" in evidence)
            or (suffix == "W" and "(Unicode)" in evidence)
            or stem in aliases
            or (c_types and _variant_of_types(c_types) == suffix)
            or (f"defines {stem} as an alias" in " ".join(evidence.split()))
        ):
            return (Variant.A if suffix == "A" else Variant.W), stem
    return Variant.NEUTRAL, name


def clean_text(text: str) -> str:
    """Collapse whitespace (NBSP and tabs included) for descriptions; keeps paragraph breaks."""
    if "\n" not in text:  # one paragraph (str.split's whitespace holds NBSP and tabs)
        return " ".join(text.split())
    paras = re.split(r"\n\s*\n", text.replace("\u00a0", " ").replace("\t", " "))
    out = [" ".join(p.split()) for p in paras]
    return "\n\n".join(p for p in out if p)


def diag(rule: str, severity: Severity, file: str, line: int, message: str, function: str | None = None) -> Diagnostic:
    return Diagnostic(rule=rule, severity=severity, file=file, line=line, message=message, function=function)


# --- a page with nothing to read ------------------------------------------------------------------

EMPTY_PAGE_RULE = "read.empty-page"


def name_from_page_file(file: str) -> str:
    """A name for a page that states none: its file name without suffixes and without the
    upstream ``nf-sspi-`` style prefix (``nf-sspi-makesignature.md`` -> ``makesignature``)."""
    stem = PurePath(file).name.split(".", 1)[0] or "unnamed"
    m = re.match(r"^n[fsec]-[a-z0-9]+-(.+)$", stem)
    return m.group(1) if m else stem


def empty_page(file: str, form: Form, what: str, line: int = 0, lines: int = 1) -> FunctionSpec:
    """What a reader returns for a page with nothing to read (0 bytes, only whitespace, only
    front matter naming no function): one ``read.empty-page`` error naming the file and the line
    (the front matter's last line; 0 for the whole file), and no facts. A folder's reading
    (:func:`sspimodel.read.read_files`, ``check``'s reading of a reference folder) names the
    page among those it cannot use instead of keeping it as a function named after its file."""
    name = name_from_page_file(file)
    message = f"nothing to read: the page {what}"
    return FunctionSpec(
        name=name,
        variant=Variant.NEUTRAL,
        neutral_name=name,
        form=form,
        source=Span(file, 1, max(1, lines)),
        diagnostics=(Diagnostic(EMPTY_PAGE_RULE, Severity.ERROR, file, line, message),),
    )


def empty_page_error(f: FunctionSpec) -> Diagnostic | None:
    """The ``read.empty-page`` error of a page read by :func:`empty_page`, or None."""
    return next((d for d in f.diagnostics if d.rule == EMPTY_PAGE_RULE), None)
