"""``sspimodel lint``: inconsistencies inside one reference page and across pages.

Lint reads what the readers produced (a SpecSet of FunctionSpecs), the status catalog
(winerror.h values, spec/data/status.tsv), the macro values (spec/data/constants.tsv) and
sspi.h's prototypes (spec/data/sspi_h.json, derived once from mingw-w64's headers: findings do not
depend on what the machine has installed). Every finding is a :class:`Diagnostic` whose rule id
starts with ``lint.`` and which names the file and line of the clause it is about (the return
row, the parameter heading, the value row, the see-also entry). The readers' own diagnostics
(``read.*``) are passed through unchanged, so lint is the one place a documentation maintainer
looks.

The rules are data: :data:`RULES` maps each id to its severity, a one-line summary and a fix
hint, and :data:`PAGE_CHECKS` / :data:`CORPUS_CHECKS` map each id to the function that applies
it. A rule's severity is its default; a few findings are reported one step lower when the page
itself explains them (say, a code named in the remarks as another function's result).
"""

from __future__ import annotations

import bisect
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TextIO

from attrs import frozen

from ..paths import data_file, default_spec_dir
from ..read import SpecSet, read_spec
from ..spec import (
    Diagnostic,
    Direction,
    FunctionSpec,
    Parameter,
    ReturnCode,
    ReturnKind,
    Severity,
    Span,
    Variant,
)
from ..status import StatusCatalog, load_catalog
from ..status_namespaces import NAMESPACE_TITLES, SECURITY_STATUS, load_namespaces
from .header import HeaderDecls, HeaderPrototype, load_header, load_header_facts, load_macro_values

__all__ = [
    "CORPUS_CHECKS",
    "DEFAULT_HEADER_DIR",
    "HEADER_DATA",
    "PAGE_CHECKS",
    "RULES",
    "LintContext",
    "Rule",
    "format_json",
    "format_markdown",
    "format_text",
    "lint",
    "run_lint",
]

# Where the header facts come from: HEADER_DATA (the default) is spec/data's sspi_h.json and
# ntstatus_h.json; a Path reads that folder's sspi.h and ntstatus.h instead (to lint against
# another header version); None leaves the header comparison out.
HEADER_DATA = "data"
DEFAULT_HEADER_DIR: Path | str | None = HEADER_DATA


@frozen
class Rule:
    id: str
    severity: Severity
    summary: str
    hint: str


_RULE_LIST = (
    Rule(
        "lint.code-not-in-returns", Severity.WARNING,
        "a status code named in a parameter, value table, description or remarks is absent from the return codes",
        "add the code to the return-value table, or reword the sentence if the code belongs to another function",
    ),
    Rule(
        "lint.kind-contradicts-value", Severity.ERROR,
        "a code listed as success is an error by its value (bit 31 set), or the reverse",
        "move the row to the table (or sentence) that matches the code's severity in winerror.h, "
        "or describe the outcome correctly",
    ),
    Rule(
        "lint.unknown-status", Severity.WARNING,
        "a status name that no status namespace knows (SECURITY_STATUS, Win32, HRESULT, NTSTATUS, NET_API_STATUS), "
        "or a code of another namespace than the function's other codes",
        "name a code of the function's own namespace, or say which layer returns the other code",
    ),
    Rule(
        "lint.hex-mismatch", Severity.ERROR,
        "a hex value printed next to a return code differs from the code's value in winerror.h",
        "print the winerror.h value, or drop the number",
    ),
    Rule(
        "lint.value-mismatch", Severity.WARNING,
        "a value table prints a number for a macro that differs from the header's value",
        "print the header's value (spec/data/constants.tsv names the #define)",
    ),
    Rule(
        "lint.value-not-in-table", Severity.WARNING,
        "a return-code row names a value (e.g. ISC_REQ_PROMPT_FOR_CREDS) that the page's own value table for "
        "that parameter does not list, so a caller cannot pass it under the documented contract",
        "add the value to the parameter's value table, or reword the return-code row",
    ),
    Rule(
        "lint.value-not-in-callee-table", Severity.WARNING,
        "a page tells callers to pass another function a value (AcceptSecurityContext: credentials acquired "
        "'with SECPKG_CRED_BOTH') that the other function's own value table does not list",
        "add the value to the callee's value table, or reword the sentence to name a value the callee lists",
    ),
    Rule(
        "lint.tbd-parameter", Severity.WARNING,
        "a parameter whose description is 'TBD'",
        "write the description under the `### -param` heading (move the orphan `#### -` text there)",
    ),
    Rule(
        "lint.orphan-heading", Severity.WARNING,
        "a parameter's text sits under a `#### - name` heading that names no parameter of the function",
        "rename the `### -param` heading to the real parameter name and drop the orphan heading",
    ),
    Rule(
        "lint.no-direction", Severity.WARNING,
        "a parameter heading without a direction annotation",
        "add [in], [out] or [in, out] (with ', optional' when it may be NULL) to the `### -param` heading",
    ),
    Rule(
        "lint.direction-contradicts-text", Severity.WARNING,
        "an [in] parameter whose text says it receives or returns a value, or an [out] one said to supply it",
        "fix the annotation ([out] or [in, out]) or the description",
    ),
    Rule(
        "lint.aw-drift", Severity.WARNING,
        "the A and W pages of one function differ beyond string types (parameters, return codes, requirements)",
        "make the two pages agree, or state the difference in the remarks of both",
    ),
    Rule(
        "lint.see-also-unknown", Severity.INFO,
        "a see-also entry or link names a function that has no page in the corpus",
        "add the page to spec/pages/, or ignore when the target is outside the modelled API",
    ),
    Rule(
        "lint.header-mismatch", Severity.WARNING,
        "parameter names or order differ from the prototype in sspi.h (user-mode and kernel-mode declarations)",
        "use the header's parameter names, in the header's order",
    ),
)
RULES: dict[str, Rule] = {r.id: r for r in _RULE_LIST}


@frozen
class LintContext:
    catalog: StatusCatalog
    header: HeaderDecls | None
    # Macro values of other headers (ntstatus.h), for naming codes outside the catalog.
    ntstatus: dict[str, int]
    constants: dict[str, tuple[int, str]]  # name -> (value, "sspi.h:327")
    functions: frozenset[str]  # names and neutral names of the pages in the corpus
    root: Path | None  # where the page files are, to place findings on exact lines


# --- helpers ---------------------------------------------------------------------------------


@cache
def _cached_lines(path: str, mtime_ns: int) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return ()


def _file_lines(path: str) -> tuple[str, ...]:
    try:
        return _cached_lines(path, Path(path).stat().st_mtime_ns)
    except OSError:
        return ()


def _line_of(ctx: LintContext, span: Span, needle: str, *, whole_file: bool = False) -> int:
    """The first line of ``span`` (or of the file) that contains ``needle``, else span.start.

    Readers give a clause's span (a table row can cover several lines); a finding about the
    hex value should point at the line that prints it.
    """
    if ctx.root is None:
        return span.start
    lines = _file_lines(str(ctx.root / span.file))
    lo, hi = (1, len(lines)) if whole_file else (span.start, span.end)
    for n in range(max(lo, 1), min(hi, len(lines)) + 1):
        if needle in lines[n - 1]:
            return n
    return span.start


def _section_line(f: FunctionSpec, name: str) -> int:
    for section, span in f.sections:
        if section == name:
            return span.start
    return f.source.start


def _finding(
    rule: str, f: FunctionSpec, line: int, message: str, *, severity: Severity | None = None, file: str | None = None
) -> Diagnostic:
    r = RULES[rule]
    return Diagnostic(
        rule=rule, severity=severity or r.severity, file=file or f.source.file, line=line, message=message,
        function=f.name, hint=r.hint,
    )


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


_TOKEN = re.compile(r"\w+")


class _Sentences:
    """The sentences of one text, indexed once: for each word (a run of word characters), the first
    sentence naming it, and in that sentence where the word first and last starts. A page naming
    thousands of codes is then read in one pass, not once per code (a regex per code over every
    sentence made a 1 MB line of codes take hours)."""

    def __init__(self, text: str) -> None:
        self.first: dict[str, int] = {}  # word -> index of the first sentence naming it
        self.sentences = _SENTENCE_SPLIT.split(text)
        self._spans: dict[int, tuple[dict[str, int], dict[str, int], list[tuple[int, int]]]] = {}
        self._names: dict[tuple[int, frozenset[str]], list[str]] = {}
        for k, s in enumerate(self.sentences):
            for w in _TOKEN.findall(s):
                self.first.setdefault(w, k)

    def first_with(self, word: str) -> int | None:
        """The index of the first sentence naming ``word`` as a whole word, as ``\\bword\\b``."""
        if _TOKEN.fullmatch(word):
            return self.first.get(word)
        return next((k for k, s in enumerate(self.sentences) if re.search(rf"\b{re.escape(word)}\b", s)), None)

    def spans(self, k: int) -> tuple[dict[str, int], dict[str, int], list[tuple[int, int]]]:
        """Sentence ``k``'s words with where each first and last starts, and its reporting verbs."""
        if k not in self._spans:
            s = self.sentences[k]
            first: dict[str, int] = {}
            last: dict[str, int] = {}
            for m in _TOKEN.finditer(s):
                first.setdefault(m.group(), m.start())
                last[m.group()] = m.start()
            verbs = [(m.start(), m.end()) for m in re.finditer(_REPORTING_VERB, s)]
            self._spans[k] = (first, last, verbs)
        return self._spans[k]

    def names(self, k: int, functions: frozenset[str]) -> list[str]:
        """The ``functions`` sentence ``k`` names, sorted (once per sentence: a sentence may name
        thousands of codes, each asking)."""
        key = (k, functions)
        if key not in self._names:
            self._names[key] = sorted(w for w in self.spans(k)[0] if w in functions)
        return self._names[key]


def _first_paragraph(text: str) -> str:
    return re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0] if text.strip() else ""


# --- rules on one page -----------------------------------------------------------------------


def _mention_text(f: FunctionSpec, section: str) -> str:
    """The text of the section a Mention names ("parameters: fCredentialUse", "remarks", ...)."""
    if section.startswith("parameters"):
        _, _, pname = section.partition(":")
        pname = pname.strip()
        chosen = [p for p in f.parameters if p.name == pname] if pname else list(f.parameters)
        return "\n\n".join(t for p in chosen for t in (p.description, *(v.description for v in p.values())))
    if section.startswith("remarks"):
        return f.remarks
    if section.startswith("description"):
        return f.description
    return ""


def check_code_not_in_returns(f: FunctionSpec, ctx: LintContext) -> Iterator[Diagnostic]:
    """A code named outside the return tables that the return tables do not list.

    Codes named in the returns prose are return codes by the readers' account, and codes in
    see-also titles are not claims; both are skipped. When the first sentence naming the code
    says another function returns or reports it (CompleteAuthToken's remarks: "when its last
    call to InitializeSecurityContext (Digest) returned SEC_I_COMPLETE_NEEDED"), the code is
    introduced as that function's result and the finding is info; later sentences refer back.
    """
    returned = set(f.return_names())
    seen: set[tuple[str, int]] = set()
    others = ctx.functions
    if ctx.header is not None:
        others = others | frozenset(ctx.header.names()) | frozenset(ctx.header.alias_neutral_names())
    own = {f.name, f.neutral_name}
    texts: dict[str, _Sentences] = {}
    for m in f.mentioned_codes:
        if m.code in returned or m.section.startswith(("returns", "see")) or (m.code, m.line) in seen:
            continue
        seen.add((m.code, m.line))
        where = m.section + (f" ({m.context} row)" if m.context else "")
        severity = None
        note = ""
        if m.section not in texts:
            texts[m.section] = _Sentences(_mention_text(f, m.section))
        sentences = texts[m.section]
        k = sentences.first_with(m.code)
        owners = _attributed_to(sentences, k, m.code, others - own) if k is not None else []
        if owners:
            severity = Severity.INFO
            note = f"; the text attributes it to {', '.join(owners)}"
        yield _finding(
            "lint.code-not-in-returns", f, m.line,
            f"{m.code} is named in {where} but is not among the return codes of {f.name}{note}",
            severity=severity,
        )


# "X returned CODE", "X still reports CODE", "X runs, ... the call fails with CODE"
_REPORTING_VERB = r"\b(?:returns?|returned|reports?|reported|fails?\s+with|failed\s+with)\b"


def _attributed_to(sentences: _Sentences, k: int, code: str, functions: frozenset[str]) -> list[str]:
    """Functions sentence ``k`` names before a reporting verb that precedes ``code``: a name, then
    a verb starting after it, then the code starting after the verb, each a whole word. (The
    first place of the name and the first verb after it leave the most room for the code, so
    they are the only ones to try.)"""
    first, last, verbs = sentences.spans(k)
    code_at = last.get(code)
    if code_at is None:
        return []
    owners = []
    for name in sentences.names(k, functions):
        after = first[name] + len(name)
        i = bisect.bisect_left(verbs, (after, -1))  # the first verb starting after the name
        if i < len(verbs) and code_at >= verbs[i][1]:
            owners.append(name)
    return owners


def _unclassified(f: FunctionSpec, r: ReturnCode) -> bool:
    """The reader could not tell from the page whether ``r`` is success or failure, and said so
    (read.unclassified-code); its kind is then the reader's default, not the page's claim."""
    return any(
        d.rule == "read.unclassified-code" and r.span.start <= d.line <= r.span.end and r.name in d.message
        for d in f.diagnostics
    )


def check_kind_contradicts_value(f: FunctionSpec, ctx: LintContext) -> Iterator[Diagnostic]:
    """The page's success/error classification against bit 31 of the code's value.

    Codes the reader could not classify (prose that says neither success nor failure) are
    skipped: their kind is a default, not something the page says.
    """
    for r in f.returns:
        info = ctx.catalog.get(r.name)
        if info is None or _unclassified(f, r):
            continue
        is_error = info.severity == "error"
        if r.kind is ReturnKind.ERROR and not is_error:
            listed, actual = "an error", "a success code (bit 31 clear)"
        elif r.kind in (ReturnKind.SUCCESS, ReturnKind.PENDING) and is_error:
            listed = "a success code" if r.kind is ReturnKind.SUCCESS else "a pending code"
            actual = "an error (bit 31 set)"
        else:
            continue
        said = f' ("{_clip(r.description)}")' if r.description else ""
        yield _finding(
            "lint.kind-contradicts-value", f, _line_of(ctx, r.span, r.name),
            f"{r.name} is listed as {listed}{said}, but its value {info.hex} makes it {actual}",
        )


def _clip(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def check_unknown_status(f: FunctionSpec, ctx: LintContext) -> Iterator[Diagnostic]:
    """Status names (returns and mentions) that no namespace knows, and return codes of another
    namespace than the function's own (the namespace most of its return codes belong to)."""
    spaces = load_namespaces(_spec_dir_of(str(ctx.root)) if ctx.root is not None else None)

    def ns_of(name: str) -> str | None:
        if name in ctx.catalog:
            return SECURITY_STATUS
        info = spaces.get(name)
        return info.namespace if info is not None else None

    counts: dict[str, int] = {}
    for r in f.returns:
        ns = ns_of(r.name)
        if ns is not None:
            counts[ns] = counts.get(ns, 0) + 1
    own = max(sorted(counts), key=lambda k: (counts[k], k == SECURITY_STATUS)) if counts else SECURITY_STATUS
    places: list[tuple[str, int, str, bool]] = [
        (r.name, _line_of(ctx, r.span, r.name), "the return codes", True) for r in f.returns
    ]
    places += [(m.code, m.line, m.section, False) for m in f.mentioned_codes]
    seen: set[tuple[str, int]] = set()
    for name, line, where, returned in places:
        if (name, line) in seen:
            continue
        ns = ns_of(name)
        if ns == own:
            continue
        info = spaces.get(name)
        if ns is None:
            if name in ctx.ntstatus:
                what = f"it looks like an NTSTATUS (ntstatus.h: 0x{ctx.ntstatus[name]:08X}) but is not in the namespaces"
            elif name.startswith("STATUS_"):
                what = "it looks like an NTSTATUS, but ntstatus.h has no such code"
            else:
                what = "no such code in winerror.h, ntstatus.h, winhttp.h or lmerr.h"
            msg = f"{name} (in {where}) is not a known status: {what}"
        elif own == SECURITY_STATUS and ns == "ntstatus":
            # An NTSTATUS on a SECURITY_STATUS page (MakeSignature): the caller never sees it.
            assert info is not None
            msg = (
                f"{name} (in {where}) is not in the status catalog: it is an NTSTATUS ({info.header}: {info.hex}),"
                " not a SECURITY_STATUS"
            )
        elif returned and ns != SECURITY_STATUS and own != SECURITY_STATUS:
            # Two namespaces in one function's return codes (other than SECURITY_STATUS pages
            # naming Win32 codes, which SSPI helpers read with GetLastError).
            assert info is not None
            msg = (
                f"{name} (in {where}) is a {NAMESPACE_TITLES[ns]} ({info.header}: {info.hex}), but this function's"
                f" other codes are {NAMESPACE_TITLES[own]}s"
            )
        else:
            continue
        seen.add((name, line))
        yield _finding("lint.unknown-status", f, line, msg)


def _parse_hex(text: str) -> int | None:
    m = re.fullmatch(r"\s*0[xX]([0-9A-Fa-f]+)[lLuU]*\s*", text)
    return int(m.group(1), 16) if m else None


def check_hex_mismatch(f: FunctionSpec, ctx: LintContext) -> Iterator[Diagnostic]:
    """Printed hex values of return codes against winerror.h."""
    for r in f.returns:
        if not r.hex_in_doc:
            continue
        info = ctx.catalog.get(r.name)
        printed = _parse_hex(r.hex_in_doc)
        if info is None or printed is None or printed == info.value:
            continue
        owners = [n for n in ctx.catalog.names_for_value(printed) if n != r.name]
        if owners:
            whose = f"0x{printed:08X} is the value of {', '.join(owners)}"
        else:
            whose = f"0x{printed:08X} is not the value of any code in the status catalog"
        yield _finding(
            "lint.hex-mismatch", f, _line_of(ctx, r.span, r.hex_in_doc.strip()),
            f"{r.name} is printed as {r.hex_in_doc.strip()}, but its value is {info.hex} (winerror.h); {whose}",
        )


def check_value_mismatch(f: FunctionSpec, ctx: LintContext) -> Iterator[Diagnostic]:
    """Numbers printed in value tables against the header's #define (spec/data/constants.tsv)."""
    for p in f.parameters:
        for v in p.values():
            known = ctx.constants.get(v.name)
            if v.number is None or known is None or v.number == known[0]:
                continue
            yield _finding(
                "lint.value-mismatch", f, _line_of(ctx, v.span, v.number_text or v.name),
                f"{p.name}: {v.name} is printed as {v.number_text or v.number}, but {known[1]} defines it as "
                f"0x{known[0]:08X} ({known[0]})",
            )


def check_tbd_parameter(f: FunctionSpec, ctx: LintContext) -> Iterator[Diagnostic]:
    for p in f.parameters:
        if not p.tbd:
            continue
        where = f"; its text is under the orphan heading '#### - {p.documented_as}'" if p.documented_as else ""
        yield _finding("lint.tbd-parameter", f, p.span.start, f"parameter {p.name} is documented as 'TBD'{where}")


def check_orphan_heading(f: FunctionSpec, ctx: LintContext) -> Iterator[Diagnostic]:
    """A parameter whose text the reader found under a ``#### - other`` heading.

    The finding sits on the orphan heading's line. When sspi.h gives the orphan's name to the
    same position (AcquireCredentialsHandleW: '#### - pszPackage' is the user-mode name of
    parameter 2), the message says so: the heading has the right name, the `### -param` not.
    """
    decls = ctx.header.declared(f.name) if ctx.header is not None else {}
    for i, p in enumerate(f.parameters):
        if not p.documented_as or p.documented_as == p.name:
            continue
        line = _line_of(ctx, p.span, f"#### - {p.documented_as}", whole_file=True)
        in_header = [
            f"{mode}-mode declaration ({proto.where})"
            for mode, proto in sorted(decls.items(), reverse=True)
            if i < len(proto.params) and proto.params[i].name == p.documented_as
        ]
        note = (
            f"; sspi.h's {' and '.join(in_header)} names parameter {i + 1} '{p.documented_as}'" if in_header else ""
        )
        yield _finding(
            "lint.orphan-heading", f, line,
            f"the text of parameter {p.name} sits under an orphan heading '#### - {p.documented_as}', "
            f"which is not a `### -param` heading of {f.name}{note}",
        )


def check_no_direction(f: FunctionSpec, ctx: LintContext) -> Iterator[Diagnostic]:
    for p in f.parameters:
        if p.direction is Direction.UNKNOWN:
            yield _finding(
                "lint.no-direction", f, p.span.start,
                f"parameter {p.name} has no direction annotation ([in], [out] or [in, out])",
            )


# What an [in] parameter's own text must not say about it: the parameter (or the thing it
# points to) receives or returns something. Phrases about other things ("the token returned
# by the server", "received from the client") are past participles and do not match.
_OUTPUT_WORDING = (
    re.compile(r"^\W*(?:receives|returns)\b", re.IGNORECASE),
    # "Pointer to a ULONG that receives ..." (the first sentence of a pointer's description)
    re.compile(r"^\W*(?:an?\s+)?pointer\s+to\b[^.]*?\b(?:that|which)\s+(?:will\s+)?(?:receives?|returns?)\b",
               re.IGNORECASE),
    re.compile(
        r"\b(?:variable|structure|buffer|array|handle|value|location|pointer|string)\s+"
        r"(?:that|which)\s+(?:will\s+)?(?:receives?|returns?)\b",
        re.IGNORECASE,
    ),
    re.compile(r"\b(?:to|will)\s+receive\b", re.IGNORECASE),
    re.compile(r"\bon\s+(?:output|return)\b", re.IGNORECASE),
)
# What an [out] parameter's own text must not say: it supplies something to the function.
_INPUT_WORDING = (
    re.compile(r"^\W*supplies\b", re.IGNORECASE),
    re.compile(r"\b(?:that|which)\s+supplies\b", re.IGNORECASE),
    re.compile(r"\bon\s+input\b", re.IGNORECASE),
)


def check_direction_contradicts_text(f: FunctionSpec, ctx: LintContext) -> Iterator[Diagnostic]:
    """The first paragraph of an [in] / [out] parameter's text against its annotation.

    Only the first paragraph is read: it is where the page says what the parameter is; later
    paragraphs and value tables talk about other things ("the function returns ...").
    [in, out] parameters may say both, so they are never reported.
    """
    patterns: tuple[re.Pattern[str], ...]
    for p in f.parameters:
        if p.direction is Direction.IN:
            patterns, claimed, implied = _OUTPUT_WORDING, "[in]", "an output ([out] or [in, out])"
        elif p.direction is Direction.OUT:
            patterns, claimed, implied = _INPUT_WORDING, "[out]", "an input ([in] or [in, out])"
        else:
            continue
        para = " ".join(_first_paragraph(p.description).split())
        for pat in patterns:
            m = pat.search(para)
            if m:
                yield _finding(
                    "lint.direction-contradicts-text", f, p.span.start,
                    f"parameter {p.name} is tagged {claimed}, but its text says \"{_excerpt(para, m.start(), m.end())}\""
                    f", which makes it {implied}",
                )
                break


def _excerpt(text: str, start: int, end: int, context: int = 40) -> str:
    lo = max(0, start - context)
    hi = min(len(text), end + context)
    return ("…" if lo else "") + text[lo:hi].strip() + ("…" if hi < len(text) else "")


# A reference page link: nf-sspi-<lower-cased function name>[.md][#anchor]
_NF_SSPI_SLUG = re.compile(r"nf-sspi-([a-z0-9_]+)")


def _header_functions(ctx: LintContext) -> frozenset[str] | None:
    """Lower-cased function names sspi.h declares (either mode) or aliases; None without a header."""
    if ctx.header is None:
        return None
    return frozenset(n.lower() for n in (*ctx.header.names(), *ctx.header.alias_neutral_names()))


def check_see_also_unknown(f: FunctionSpec, ctx: LintContext) -> Iterator[Diagnostic]:
    """See-also entries naming a function without a page: by the name the reader resolved, or
    by the link's nf-sspi-<name> slug when it resolved none.

    Readers resolve a see-also title to a name (SecBufferDesc, DeleteSecurityContext); with
    sspi.h at hand only names it declares as functions count, so structure pages are not
    reported. Without the header every resolved name is.
    """
    known_lower = {n.lower() for n in ctx.functions}
    declared = _header_functions(ctx)
    for s in f.see_also:
        slug = _NF_SSPI_SLUG.search(s.target or "")
        name = s.function or (f"nf-sspi-{slug.group(1)}" if slug else None)
        key = s.function.lower() if s.function else (slug.group(1) if slug else None)
        if name is None or key is None or key in known_lower:
            continue
        if declared is None or key in declared:
            yield _finding(
                "lint.see-also-unknown", f, s.span.start,
                f"see-also entry '{s.title}' names {name}, which has no page in the corpus",
            )


def _param_diff(page: tuple[str, ...], header: tuple[str, ...]) -> tuple[int, str]:
    """(index of the first difference, description) between two parameter name lists."""
    for i, (a, b) in enumerate(zip(page, header, strict=False)):
        if a != b:
            if b in page and a in header:
                return i, f"parameter {i + 1} is '{a}' on the page, '{b}' in the header (order differs)"
            return i, f"parameter {i + 1} is '{a}' on the page, '{b}' in the header"
    if len(page) > len(header):
        return len(header), f"the page has {len(page) - len(header)} more: {', '.join(page[len(header):])}"
    return len(page), f"the header has {len(header) - len(page)} more: {', '.join(header[len(page):])}"


def check_header_mismatch(f: FunctionSpec, ctx: LintContext) -> Iterator[Diagnostic]:
    """Parameter names and order against sspi.h, in user mode and in kernel mode.

    A page that matches the user-mode declaration is fine. One that matches only the
    kernel-mode declaration (ISSP_MODE == 0: PSECURITY_STRING names such as pPrincipal, or the
    Sspi*Async family, declared only for kernel mode) is reported as info, saying so. One that
    matches neither is a warning naming both declarations. A function sspi.h does not declare
    is not reported: the header is a check, not the source of truth.
    """
    if ctx.header is None:
        return
    decls = ctx.header.declared(f.name)
    if not decls:
        return
    names = tuple(p.name for p in f.parameters)
    user, kernel = decls.get("user"), decls.get("kernel")
    if user is not None and user.param_names() == names:
        yield from _orphan_names_vs_header(f, ctx.header, decls)
        return
    if kernel is not None and kernel.param_names() == names:
        if user is None:
            why = "sspi.h declares it only for kernel mode (#if ISSP_MODE == 0)"
        else:
            _, diff = _param_diff(names, user.param_names())
            why = f"not the user-mode one ({user.where}: {diff})"
        yield _finding(
            "lint.header-mismatch", f, _params_line(f, 0),
            f"parameters match the kernel-mode declaration ({kernel.where}, ISSP_MODE == 0); {why}",
            severity=Severity.INFO,
        )
        yield from _orphan_names_vs_header(f, ctx.header, decls)
        return
    parts: list[str] = []
    first = len(names)
    same = user is not None and kernel is not None and user.param_names() == kernel.param_names()
    for mode, proto in (("user-mode", user), ("kernel-mode", kernel)):
        if proto is None:
            parts.append(f"no {mode} declaration")
            continue
        idx, diff = _param_diff(names, proto.param_names())
        first = min(first, idx)
        label = "declaration (both modes)" if same else f"{mode} declaration"
        parts.append(f"{label} {proto.where}: {diff}; header has ({', '.join(proto.param_names())})")
        if same:
            break
    yield _finding(
        "lint.header-mismatch", f, _params_line(f, first),
        f"parameters ({', '.join(names) or 'none'}) differ from sspi.h: " + "; ".join(parts),
    )


def _params_line(f: FunctionSpec, index: int) -> int:
    if index < len(f.parameters):
        return f.parameters[index].span.start
    if f.parameters:
        return f.parameters[-1].span.start
    return _section_line(f, "parameters")


def _orphan_names_vs_header(
    f: FunctionSpec, header: HeaderDecls, decls: dict[str, HeaderPrototype]
) -> Iterator[Diagnostic]:
    """An orphan heading's name that the header knows only from the other variant's prototype.

    InitializeSecurityContextA documents pszTargetName under '#### - pTargetName', which is no
    parameter of InitializeSecurityContextA in sspi.h but InitializeSecurityContextW's
    kernel-mode name: the text was copied from the W page.
    """
    own = {n for proto in decls.values() for n in proto.param_names()}
    siblings = [f.neutral_name + s for s in ("A", "W")] if f.variant is not Variant.NEUTRAL else []
    for i, p in enumerate(f.parameters):
        if not p.documented_as or p.documented_as in own:
            continue
        where = [
            f"{sib}'s {mode}-mode declaration ({proto.where})"
            for sib in siblings if sib != f.name
            for mode, proto in sorted(header.declared(sib).items())
            if p.documented_as in proto.param_names()
        ]
        if where:
            yield _finding(
                "lint.header-mismatch", f, _params_line(f, i),
                f"parameter {p.name} is documented under '#### - {p.documented_as}', a name sspi.h gives "
                f"to no parameter of {f.name}; it is the name in {' and '.join(where)}",
                severity=Severity.INFO,
            )


# --- rules across pages ----------------------------------------------------------------------


_REQUIREMENT_FIELDS = ("min_client", "min_server", "target_platform", "header", "include_header", "library", "dll")


def _aw_pairs(functions: Iterable[FunctionSpec]) -> Iterator[tuple[FunctionSpec, FunctionSpec]]:
    groups: dict[str, list[FunctionSpec]] = {}
    for f in functions:
        if f.variant is not Variant.NEUTRAL:
            groups.setdefault(f.neutral_name, []).append(f)
    for neutral in sorted(groups):
        a_pages = [f for f in groups[neutral] if f.variant is Variant.A]
        w_pages = [f for f in groups[neutral] if f.variant is Variant.W]
        for a in a_pages:
            for w in w_pages:
                yield tuple(sorted((a, w), key=lambda f: (f.source.file, f.name)))  # type: ignore[misc]


def check_aw_drift(functions: tuple[FunctionSpec, ...], ctx: LintContext) -> Iterator[Diagnostic]:
    """A/W pairs (same neutral name) compared; each difference is reported on the later page.

    String types are what the variants exist for, so c_type is not compared; nor is
    req.unicode-ansi, which names the pair on both pages.
    """
    for first, later in _aw_pairs(functions):
        vs = f"vs {first.name} ({first.source.file})"
        a_params, b_params = first.parameters, later.parameters
        if len(a_params) != len(b_params):
            yield _finding(
                "lint.aw-drift", later, _section_line(later, "parameters"),
                f"{later.name} has {len(b_params)} parameters, {first.name} has {len(a_params)} {vs}",
            )
        for i, (pa, pb) in enumerate(zip(a_params, b_params, strict=False)):
            yield from _param_drift(i, pa, pb, first, later, vs)
        yield from _returns_drift(first, later, vs, ctx)
        for field_name in _REQUIREMENT_FIELDS:
            va, vb = getattr(first.requirements, field_name), getattr(later.requirements, field_name)
            if va != vb:
                yield _finding(
                    "lint.aw-drift", later, _section_line(later, "requirements"),
                    f"requirement {field_name}: {vb!r} on {later.name}, {va!r} on {first.name} {vs}",
                )
        other_a, other_b = dict(first.requirements.other), dict(later.requirements.other)
        for key in sorted(set(other_a) | set(other_b)):
            if other_a.get(key) != other_b.get(key):
                yield _finding(
                    "lint.aw-drift", later, _section_line(later, "requirements"),
                    f"requirement {key}: {other_b.get(key)!r} on {later.name}, {other_a.get(key)!r} on {first.name} {vs}",
                )


def _param_drift(
    i: int, pa: Parameter, pb: Parameter, first: FunctionSpec, later: FunctionSpec, vs: str
) -> Iterator[Diagnostic]:
    label = f"parameter {i + 1}"
    if pa.name != pb.name:
        yield _finding("lint.aw-drift", later, pb.span.start, f"{label} is {pb.name} here, {pa.name} {vs}")
    if pa.direction is not pb.direction:
        yield _finding(
            "lint.aw-drift", later, pb.span.start,
            f"{label} ({pb.name}) is {pb.direction.value} here, {pa.direction.value} {vs}",
        )
    if pa.optional != pb.optional:
        state = {True: "optional", False: "required"}
        yield _finding(
            "lint.aw-drift", later, pb.span.start,
            f"{label} ({pb.name}) is {state[pb.optional]} here, {state[pa.optional]} {vs}",
        )


def _returns_drift(first: FunctionSpec, later: FunctionSpec, vs: str, ctx: LintContext) -> Iterator[Diagnostic]:
    a = {(r.name, r.via): r for r in first.returns}
    b = {(r.name, r.via): r for r in later.returns}
    returns_line = _section_line(later, "returns")
    for key in sorted(set(a) | set(b), key=lambda k: (k[0], k[1].value)):
        name, via = key
        how = "" if via.value == "call" else f" (reported via {via.value})"
        if key not in b:
            yield _finding("lint.aw-drift", later, returns_line, f"{name}{how} is not a return code here, but is {vs}")
        elif key not in a:
            yield _finding(
                "lint.aw-drift", later, _line_of(ctx, b[key].span, name),
                f"{name}{how} is a return code here, but not {vs}",
            )
        elif a[key].kind is not b[key].kind and not (_unclassified(first, a[key]) or _unclassified(later, b[key])):
            yield _finding(
                "lint.aw-drift", later, _line_of(ctx, b[key].span, name),
                f"{name}{how} is {b[key].kind.value} here, {a[key].kind.value} {vs}",
            )


_MACRO = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


def _table_prefix(names: tuple[str, ...]) -> str | None:
    """The macro family of a value table: the common prefix up to an underscore (ISC_REQ_), when
    it has at least two parts; None for tables without one (package names, mixed families)."""
    if len(names) < 2:
        return None
    prefix = names[0]
    for n in names[1:]:
        while not n.startswith(prefix):
            prefix = prefix[:-1]
    prefix = prefix[: prefix.rfind("_") + 1]
    return prefix if prefix.count("_") >= 2 else None


def check_value_not_in_table(f: FunctionSpec, ctx: LintContext) -> Iterator[Diagnostic]:
    """Values a return-code row names, of a family one of the page's value tables enumerates,
    that the table does not list (InitializeSecurityContext's SEC_E_UNSUPPORTED_FUNCTION row names
    ISC_REQ_PROMPT_FOR_CREDS; its fContextReq table has no such row)."""
    families: list[tuple[str, str, frozenset[str]]] = []
    for p in f.parameters:
        for table in p.value_tables:
            names = table.names()
            prefix = _table_prefix(names)
            if prefix:
                families.append((prefix, p.name, frozenset(names)))
    if not families:
        return
    seen: set[tuple[str, str]] = set()
    for r in f.returns:
        for macro in _MACRO.findall(r.description):
            for prefix, param, listed in families:
                if macro.startswith(prefix) and macro not in listed and (r.name, macro) not in seen:
                    seen.add((r.name, macro))
                    yield _finding(
                        "lint.value-not-in-table", f, _line_of(ctx, r.span, macro),
                        f"the {r.name} row names {macro}, but the value table of {param} does not list it "
                        f"(it lists {len(listed)} {prefix}* values)",
                    )


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _callee_families(functions: tuple[FunctionSpec, ...]) -> dict[str, list[tuple[str, str, frozenset[str]]]]:
    """Per function (neutral name): (macro prefix, parameter, values listed) for each value table
    with a macro family. The A and W pages of one function pool what they list (their differences
    are lint.aw-drift's)."""
    pooled: dict[tuple[str, str, str], set[str]] = {}
    for g in functions:
        for p in g.parameters:
            for table in p.value_tables:
                names = table.names()
                prefix = _table_prefix(names)
                if prefix:
                    pooled.setdefault((g.neutral_name, prefix, p.name), set()).update(names)
    out: dict[str, list[tuple[str, str, frozenset[str]]]] = {}
    for (neutral, prefix, param), listed in sorted(pooled.items()):
        out.setdefault(neutral, []).append((prefix, param, frozenset(listed)))
    return out


def check_value_not_in_callee_table(functions: tuple[FunctionSpec, ...], ctx: LintContext) -> Iterator[Diagnostic]:
    """A sentence of one page's parameter text that names another function and a value of a family
    that function's value table enumerates, where the table does not list the value.

    AcceptSecurityContext's phCredential says the credentials come from AcquireCredentialsHandle
    'with SECPKG_CRED_INBOUND or SECPKG_CRED_BOTH set'; AcquireCredentialsHandle's fCredentialUse
    table lists SECPKG_CRED_INBOUND and SECPKG_CRED_OUTBOUND only, so a caller keeping the callee's
    contract cannot do what the first page says."""
    families = _callee_families(functions)
    if not families:
        return
    names = {n: re.compile(rf"\b{re.escape(n)}[AW]?\b") for n in families}
    seen: set[tuple[str, str, str, str]] = set()
    for f in functions:
        for p in f.parameters:
            for sentence in _SENTENCE_END.split(p.description):
                macros = _MACRO.findall(sentence)
                if not macros:
                    continue
                for callee, pattern in names.items():
                    if callee == f.neutral_name or not pattern.search(sentence):
                        continue
                    for prefix, param, listed in families[callee]:
                        for macro in macros:
                            key = (f.name, p.name, callee, macro)
                            if macro.startswith(prefix) and macro not in listed and key not in seen:
                                seen.add(key)
                                yield _finding(
                                    "lint.value-not-in-callee-table", f, _line_of(ctx, p.span, macro),
                                    f"{p.name} tells callers to pass {macro} to {callee}, whose {param} value "
                                    f"table does not list it (it lists {', '.join(sorted(listed))})",
                                )


PageCheck = Callable[[FunctionSpec, LintContext], Iterable[Diagnostic]]
CorpusCheck = Callable[[tuple[FunctionSpec, ...], LintContext], Iterable[Diagnostic]]

PAGE_CHECKS: dict[str, PageCheck] = {
    "lint.code-not-in-returns": check_code_not_in_returns,
    "lint.kind-contradicts-value": check_kind_contradicts_value,
    "lint.unknown-status": check_unknown_status,
    "lint.hex-mismatch": check_hex_mismatch,
    "lint.value-mismatch": check_value_mismatch,
    "lint.value-not-in-table": check_value_not_in_table,
    "lint.tbd-parameter": check_tbd_parameter,
    "lint.orphan-heading": check_orphan_heading,
    "lint.no-direction": check_no_direction,
    "lint.direction-contradicts-text": check_direction_contradicts_text,
    "lint.see-also-unknown": check_see_also_unknown,
    "lint.header-mismatch": check_header_mismatch,
}
CORPUS_CHECKS: dict[str, CorpusCheck] = {
    "lint.aw-drift": check_aw_drift,
    "lint.value-not-in-callee-table": check_value_not_in_callee_table,
}


# --- entry points ----------------------------------------------------------------------------


def _load_constants(path: Path) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    if not path.is_file():
        return out
    header: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            continue
        row = dict(zip(header, cells, strict=False))
        try:
            out[row["name"]] = (int(row["value"], 0), row.get("source", "the header"))
        except (KeyError, ValueError):
            continue
    return out


def _spec_dir_of(root: str) -> Path | None:
    """The spec directory a SpecSet was read from (its pages/ folder's parent), if it has data/."""
    path = Path(root)
    for cand in (path.parent, path) if path.name == "pages" else (path,):
        if data_file("status.tsv", cand).is_file():
            return cand
    return None


def make_context(
    functions: Iterable[FunctionSpec],
    *,
    root: str | None,
    header_dir: Path | str | None,
    catalog: StatusCatalog | None = None,
) -> LintContext:
    spec_dir = _spec_dir_of(root) if root else None
    # A page directory without data/ (a test fixture, a user's own pages) is linted against the
    # project's catalog: the values come from winerror.h, not from the pages.
    cat = catalog or load_catalog(spec_dir)
    header: HeaderDecls | None
    if header_dir == HEADER_DATA:
        facts = load_header_facts(spec_dir)
        header, ntstatus = facts.sspi, facts.ntstatus_values()
    else:
        hdir = Path(header_dir) if header_dir else None
        header = load_header(hdir / "sspi.h") if hdir and (hdir / "sspi.h").is_file() else None
        ntstatus = load_macro_values(hdir / "ntstatus.h") if hdir and (hdir / "ntstatus.h").is_file() else {}
    names: set[str] = set()
    for f in functions:
        names.update((f.name, f.neutral_name))
    root_path = Path(root) if root and Path(root).is_dir() else None
    return LintContext(
        catalog=cat, header=header, ntstatus=ntstatus,
        constants=_load_constants(data_file("constants.tsv", spec_dir or default_spec_dir())),
        functions=frozenset(names), root=root_path,
    )


def _sort_key(d: Diagnostic) -> tuple[str, int, str, str, str]:
    return (d.file, d.line, d.rule, d.function or "", d.message)


def lint(
    specset: SpecSet,
    *,
    header_dir: Path | str | None = DEFAULT_HEADER_DIR,
    catalog: StatusCatalog | None = None,
) -> list[Diagnostic]:
    """Every finding for a SpecSet (``sspimodel.read.read_spec``), sorted by file, line, rule.

    Includes the readers' diagnostics (unreadable files, ``read.*``) unchanged. ``header_dir``:
    HEADER_DATA (the header facts in spec/data), a folder holding sspi.h (and ntstatus.h), or None
    to skip the header comparison.
    """
    if not isinstance(specset, SpecSet):
        raise TypeError(f"lint() takes a SpecSet (from sspimodel.read.read_spec), not {type(specset).__name__}")
    ctx = make_context(specset.functions, root=specset.root, header_dir=header_dir, catalog=catalog)
    found = lint_functions(specset.functions, ctx)
    # A reader diagnostic that a lint rule restates at the same place (read.no-direction and
    # lint.no-direction on one parameter heading) is shown once, as the lint finding with its hint.
    restated = {(d.file, d.line, d.rule.removeprefix("lint.")) for d in found}
    found.extend(
        d for d in specset.diagnostics
        if not (d.rule.startswith("read.") and (d.file, d.line, d.rule.removeprefix("read.")) in restated)
    )
    return sorted(set(found), key=_sort_key)


def lint_functions(functions: tuple[FunctionSpec, ...], ctx: LintContext) -> list[Diagnostic]:
    """The lint.* findings alone (no reader diagnostics), unsorted."""
    out: list[Diagnostic] = []
    for f in functions:
        for check in PAGE_CHECKS.values():
            out.extend(check(f, ctx))
    for corpus_check in CORPUS_CHECKS.values():
        out.extend(corpus_check(functions, ctx))
    return out


# --- output ----------------------------------------------------------------------------------


def _counts(findings: list[Diagnostic]) -> str:
    by = {s: sum(1 for d in findings if d.severity is s) for s in Severity}
    return ", ".join(f"{by[s]} {s.value}" for s in (Severity.ERROR, Severity.WARNING, Severity.INFO))


def format_text(findings: list[Diagnostic]) -> str:
    """Findings grouped by page: ``file:line  severity  rule  message`` then the hint."""
    lines: list[str] = []
    pages: dict[str, list[Diagnostic]] = {}
    for d in findings:
        pages.setdefault(d.file, []).append(d)
    for file in sorted(pages):
        group = pages[file]
        functions = sorted({d.function for d in group if d.function})
        title = f"{file}" + (f" ({', '.join(functions)})" if functions else "")
        lines.append(f"{title}: {_counts(group)}")
        for d in group:
            lines.append(f"  {d.file}:{d.line}: {d.severity.value} [{d.rule}] {d.message}")
            if d.hint:
                lines.append(f"      hint: {d.hint}")
        lines.append("")
    lines.append(f"{len(findings)} findings in {len(pages)} pages: {_counts(findings)}")
    return "\n".join(lines) + "\n"


def format_json(findings: list[Diagnostic]) -> str:
    rows = [
        {"rule": d.rule, "severity": d.severity.value, "file": d.file, "line": d.line, "function": d.function,
         "message": d.message, "hint": d.hint}
        for d in findings
    ]
    from .schema import header

    return json.dumps({**header("lint"), "findings": rows}, indent=2, ensure_ascii=False) + "\n"


# Rules whose findings the Markdown summary counts per page instead of listing one by one.
_MARKDOWN_COUNTED = frozenset({"lint.no-direction"})


def format_markdown(findings: list[Diagnostic]) -> str:
    """A Markdown summary for a documentation maintainer (and the README's findings section):
    one table row per rule, then every error and warning with file:line, grouped by rule;
    informational findings are counted, not listed. Deterministic: sorted, no timestamps."""
    by_rule: dict[str, list[Diagnostic]] = {}
    for d in findings:
        by_rule.setdefault(d.rule, []).append(d)

    def severity_of(rule: str) -> Severity:
        return max((d.severity for d in by_rule[rule]), key=lambda s: s.rank)

    order = sorted(by_rule, key=lambda r: (-severity_of(r).rank, -len(by_rule[r]), r))
    pages = {d.file for d in findings}
    lines = [
        f"{len(findings)} findings in {len(pages)} pages: {_counts(findings)}.",
        "",
        "| rule | severity | findings | pages | what it means |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for rule in order:
        group = by_rule[rule]
        summary = RULES[rule].summary if rule in RULES else "reported by the page reader"
        lines.append(f"| `{rule}` | {severity_of(rule).value} | {len(group)} | {len({d.file for d in group})} "
                     f"| {summary} |")
    for rule in order:
        group = [d for d in by_rule[rule] if d.severity is not Severity.INFO]
        if not group:
            continue
        lines += ["", f"`{rule}`:", ""]
        if rule in _MARKDOWN_COUNTED:
            per_page: dict[str, int] = {}
            for d in group:
                per_page[d.file] = per_page.get(d.file, 0) + 1
            lines.append("- " + ", ".join(f"{file} ({n})" for file, n in sorted(per_page.items())))
            continue
        for d in group:
            message = d.message.replace("|", "\\|")
            lines.append(f"- `{d.file}:{d.line}` {message}")
    return "\n".join(lines) + "\n"


FAIL_ON = {"error": Severity.ERROR.rank, "warning": Severity.WARNING.rank, "never": None}


def run_lint(
    spec_dir: Path | None,
    fmt: str = "text",
    fail_on: str = "error",
    out: TextIO | None = None,
    *,
    header_dir: Path | str | None = DEFAULT_HEADER_DIR,
) -> int:
    """Lint a spec directory and print the findings; exit 1 when one reaches ``fail_on``."""
    if fmt not in ("text", "json", "markdown"):
        raise ValueError(f"lint format must be 'text', 'json' or 'markdown', not {fmt!r}")
    if fail_on not in FAIL_ON:
        raise ValueError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    stream = out if out is not None else sys.stdout
    findings = lint(read_spec(spec_dir), header_dir=header_dir)
    formatter = {"json": format_json, "markdown": format_markdown}.get(fmt, format_text)
    stream.write(formatter(findings))
    threshold = FAIL_ON[fail_on]
    if threshold is None:
        return 0
    return 1 if any(d.severity.rank >= threshold for d in findings) else 0
