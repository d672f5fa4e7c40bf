"""The English heuristics of the page readers, each written once, as named rules.

Both page forms (source markdown, rendered text) call these functions; no reader carries its own
copy of a heuristic. Each rule is a plain function whose docstring says what it decides and on
which wording; a test pins each one (tests/test_read_rules.py).

Rules (name -> function):

- ``rule.name-similarity``: :func:`name_similarity`, :class:`OrphanMatcher`
- ``rule.optional-in-prose``: :func:`optional_in_prose`
- ``rule.clause-kind`` (success / error / pending of a returns sentence): :func:`clause_kind`
- ``rule.pending``: :data:`PENDING_RE`
- ``rule.reported-via`` (how a code reaches the caller): :func:`reported_in`
- ``rule.value-table`` (value tables versus other two-column tables): :func:`is_value_table_header`
- ``rule.return-table`` (return-code table headers): :func:`is_return_table_header`
- ``rule.parameter-name-in-prose`` (a parameter named wrongly): :func:`misnamed_parameters`
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left

from attrs import evolve

from ..spec import Direction, Parameter, Reported, ReturnCode, ReturnKind, Via

__all__ = [
    "OrphanMatcher",
    "apply_reporting",
    "clause_kind",
    "error_named",
    "is_return_table_header",
    "is_value_table_header",
    "italic_names",
    "misnamed_parameters",
    "name_similarity",
    "optional_in_prose",
    "optional_named_elsewhere",
    "out_parameter_named",
    "pending_in",
    "reported_in",
    "row_kind",
    "words_re",
]


def words_re(*words: str, flags: int = re.I) -> re.Pattern[str]:
    r"""``\b(?:w1|w2|...)``, compiled so that the regex engine tries a word only where its first
    letter starts a word. Each word is a regex that starts with a letter and has no top-level
    ``|``. A leading ``\b`` gives the engine no first character to look for, so it tries every
    alternative at every position of the text; ``[ft](?<!\w[ft])(?:(?<=f)w1'|(?<=t)w2'|...)``
    (w' the word after its first letter) rejects most positions at their first character and
    matches the same spans, alternatives tried in the same order (several times faster on prose;
    tests/test_read_rules.py compares both forms)."""
    if not words or not all(w[:1].isalpha() for w in words):
        raise ValueError(f"words_re: every word must start with a letter: {words!r}")
    firsts = "".join(dict.fromkeys(w[0] for w in words))
    body = "|".join(f"(?<={w[0]}){w[1:]}" for w in words)
    return re.compile(rf"[{firsts}](?<!\w[{firsts}])(?:{body})", flags)


# --------------------------------------------------------------------------------------------
# rule.name-similarity
# --------------------------------------------------------------------------------------------

_HUNGARIAN_RE = re.compile(r"^(?:lpsz|lpwsz|pwsz|psz|lp|sz|pv|pp|p)(?=[A-Z])")
SIMILAR_ENOUGH = 0.6
# How many free TBD parameters an orphan heading is compared with (the nearest ones). Real pages
# have at most three; the bound keeps a crafted page with thousands of pairs linear.
_MATCH_WINDOW = 8


def name_stem(name: str) -> str:
    return _HUNGARIAN_RE.sub("", name).lower()


def name_similarity(a: str, b: str) -> float:
    """How likely two parameter names are the same parameter (pPrincipal vs pszPrincipal):
    1.0 when they agree without their Hungarian prefix, else difflib's ratio of the stems."""
    sa, sb = name_stem(a), name_stem(b)
    if sa == sb:
        return 1.0
    if len(sa) > 64 or len(sb) > 64:  # difflib is quadratic in the name length
        return 0.0
    return difflib.SequenceMatcher(None, sa, sb).ratio()


class OrphanMatcher:
    """rule.name-similarity applied to TBD parameters and the orphan headings that document them.

    ``add_tbd(position, name, key)`` registers a TBD parameter; ``match(position, name)`` returns
    the key of the free TBD parameter the orphan heading documents (same stem first, else the most
    similar of the nearest free ones, ratio >= 0.6), and marks it taken. Linear in the page.
    """

    def __init__(self) -> None:
        self._positions: list[int] = []
        self._entries: list[tuple[str, object]] = []
        self._taken: set[int] = set()
        self._by_stem: dict[str, list[int]] = {}

    def add_tbd(self, position: int, name: str, key: object) -> None:
        # Positions arrive in page order.
        idx = len(self._entries)
        self._positions.append(position)
        self._entries.append((name, key))
        self._by_stem.setdefault(name_stem(name), []).append(idx)

    def match(self, position: int, name: str, exclude: object = None) -> object | None:
        for idx in self._by_stem.get(name_stem(name), ()):
            if idx not in self._taken and self._entries[idx][1] is not exclude:
                self._taken.add(idx)
                return self._entries[idx][1]
        # Nearest free entries around the orphan's position.
        at = bisect_left(self._positions, position)
        best, best_score = None, 0.0
        seen = 0
        lo, hi = at - 1, at
        while seen < _MATCH_WINDOW and (lo >= 0 or hi < len(self._entries)):
            for idx in (lo, hi):
                if 0 <= idx < len(self._entries) and idx not in self._taken:
                    cand, key = self._entries[idx]
                    if key is exclude:
                        continue
                    seen += 1
                    score = name_similarity(cand, name)
                    if score > best_score or (score == best_score and best is not None and idx < best):
                        best, best_score = idx, score
            lo -= 1
            hi += 1
        if best is not None and best_score >= SIMILAR_ENOUGH:
            self._taken.add(best)
            return self._entries[best][1]
        return None


# --------------------------------------------------------------------------------------------
# rule.optional-in-prose
# --------------------------------------------------------------------------------------------

# "*optional* A pointer", "*Optional*. A pointer", "The **optional** time limit", "This parameter
# is optional", "This parameter can be NULL", "If this parameter is NULL", "If the value of this
# parameter is NULL", "set the value of this parameter to NULL", "can be set to null".
# (The rule's patterns are separate regexes, each one searched only if the ones before it found
# nothing: what they say together is "any of them matches".)
_OPTIONAL_MARK_RE = re.compile(
    r"(?:\*{1,2}|_{1,2}|<(?:i|b|em|strong)>)\s*optional\s*(?:\*{1,2}|_{1,2}|</(?:i|b|em|strong)>)", re.I
)
_OPTIONAL_IS_RE = words_re(r"parameter\s+is\s+optional\b")
# At the start of the text (matched there only): "Optional. A pointer", "The optional ...", and
# "If NULL, the object is not part of an aggregate.".
_OPTIONAL_START_RE = re.compile(
    r"\s*(?:(?:the\s+)?optional\b|if\s+(?:\*\*|<b>|\*|<i>)?null\b(?:\*\*|</b>|\*|</i>)?\s*,)", re.I
)
_NULL = r"(?:\*\*|<b>|\*|<i>)?null\b"
_SUBJECT = r"th(?:is|e)\s+(?:parameter|pointer|argument|value)"
_OPTIONAL_NULL_RE = words_re(
    rf"{_SUBJECT}\s+(?:can|may)\s+(?:also\s+)?be\s+(?:set\s+to\s+)?{_NULL}",
    rf"if\s+(?:the\s+value\s+of\s+)?this\s+parameter\s+is\s+{_NULL}",
    rf"set\s+(?:the\s+value\s+of\s+)?this\s+parameter\s+to\s+{_NULL}",
)


def optional_in_prose(text: str) -> bool:
    """rule.optional-in-prose: the description says the parameter is optional or may be NULL.

    "On the first call, this pointer is NULL" is not read as optional: it says when the value is
    NULL, and facts.json (SspiAcceptSecurityContextAsync phContext) does not count it."""
    return bool(
        _OPTIONAL_START_RE.match(text)
        or _OPTIONAL_MARK_RE.search(text)
        or _OPTIONAL_IS_RE.search(text)
        or _OPTIONAL_NULL_RE.search(text)
    )


def remarks_make_optional(name: str, remarks: str) -> bool:
    """rule.optional-in-prose (remarks): a remarks sentence names the parameter and says it can be
    set to NULL ("pvLogonId can be set to null")."""
    if not remarks or name not in remarks:
        return False
    said = rf"{re.escape(name)}\b[^.]{{0,80}}?\b(?:can|may)\s+(?:also\s+)?be\s+(?:set\s+to\s+)?{_NULL}"
    pat = words_re(said) if name[:1].isalpha() else re.compile(rf"\b{said}", re.I)
    return bool(pat.search(remarks))


# "must be NULL", "can also be set to **NULL**": what every _NAMED_NULL_RE match ends with (after
# whitespace, so at the start of a word); a text without it is not searched with the longer regex,
# which tries every position.
_MODAL_NULL_RE = words_re(
    *(rf"{modal}\s+(?:also\s+)?be\s+(?:set\s+to\s+)?{_NULL}" for modal in ("must", "can", "may", "should"))
)
_NAMED_NULL_RE = re.compile(
    rf"(?:<i>)?[*_]{{0,2}}\b([A-Za-z_]\w*)\b[*_]{{0,2}}(?:</i>)?\s+(?:parameter\s+)?"
    rf"(?:must|can|may|should)\s+(?:also\s+)?be\s+(?:set\s+to\s+)?{_NULL}",
    re.I,
)


def optional_named_elsewhere(parameters: list[Parameter] | tuple[Parameter, ...]) -> set[str]:
    """rule.optional-in-prose (another parameter's text): the names of parameters that another
    parameter's text or value table names and says must or can be NULL ("with this flag the
    *hAlgorithm* parameter must be NULL"): NULL is then a value the parameter takes, so it is
    optional. A parameter's own "must be NULL" (a reserved parameter) is not read so. Linear in
    the page: each text is searched once."""
    names = {p.name for p in parameters}
    out: set[str] = set()
    for p in parameters:
        texts = [p.description, *(v.description for v in p.values())]
        for t in texts:
            if "null" not in t.lower() or not _MODAL_NULL_RE.search(t):
                continue
            for m in _NAMED_NULL_RE.finditer(t):
                name = m.group(1)
                if name in names and name != p.name:
                    out.add(name)
    return out


# --------------------------------------------------------------------------------------------
# rule.clause-kind and rule.pending
# --------------------------------------------------------------------------------------------

# A clause's class is taken from the marker that comes first in it: English puts the condition
# first ("If the function fails, ... before it succeeds"). "accepted" is a success marker only
# when not negated: "when the handle was not accepted" names a failure.
SUCCESS_CLAUSE_RE = words_re(
    r"succe(?:eds?|eded|ss|ssful|ssfully)\b", r"a(?<!\bnot a)ccepted\b", r"was acquired\b", r"success codes?\b"
)
ERROR_CLAUSE_RE = words_re(
    r"fail(?:s|ed|ure)?\b", r"otherwise\b", r"error codes?\b", r"fatal\b", r"nonzero\b", r"not accepted\b"
)
# "still in progress", "pending", "while the request is still running", "until the call is
# completed", "while the queued work has not finished".
PENDING_RE = words_re(
    r"in progress\b",
    r"pending\b",
    r"still running\b",
    r"until the (?:call|work|request|operation) (?:is |has )?(?:complete|completed|finished|done)\b",
    r"ha(?:s|ve) not (?:yet )?(?:finished|completed|complete)\b",
    r"not yet (?:finished|completed|complete|done)\b",
)
_PENDING_CODE = "SEC_I_ASYNC_CALL_PENDING"


def error_named(code: str) -> bool:
    """A code whose name says failure (SEC_E_*, ERROR_* but ERROR_SUCCESS, NTE_*, E_*)."""
    return (code.startswith(("SEC_E_", "NTE_", "E_", "CRYPT_E_")) and code != "SEC_E_OK") or (
        code.startswith("ERROR_") and code != "ERROR_SUCCESS"
    )


def pending_in(text: str, code: str) -> bool:
    """rule.pending: the code is what the call reports while the work is still running.
    SEC_I_ASYNC_CALL_PENDING always; another code only when the text says so and its name does
    not say failure nor success ("returns SEC_E_INSUFFICIENT_MEMORY while the request is still running" is
    an error returned while the work runs, not a pending status)."""
    if code == _PENDING_CODE:
        return True
    if code in _COMPLETION_CODES:  # the status of finished work, named beside the pending one
        return False
    return not error_named(code) and bool(PENDING_RE.search(text))


_COMPLETION_CODES = frozenset({"SEC_E_OK", "ERROR_SUCCESS", "STATUS_SUCCESS", "S_OK"})


def clause_kind(clause: str) -> ReturnKind | None:
    """rule.clause-kind: success or error as one returns clause says it, from the marker that
    comes first in it; None if it says neither. (Pending is rule.pending.)"""
    s = SUCCESS_CLAUSE_RE.search(clause)
    e = ERROR_CLAUSE_RE.search(clause)
    if s and e:
        return ReturnKind.SUCCESS if s.start() < e.start() else ReturnKind.ERROR
    if s:
        return ReturnKind.SUCCESS
    if e:
        return ReturnKind.ERROR
    return None


_SUCCESS_ROW_RE = words_re(
    r"function\s+succeeded\b", r"call\s+succeeded\b", r"operation\s+succeeded\b", r"success(?:ful(?:ly)?)?\b"
)


def row_kind(code: str, description: str) -> ReturnKind:
    """rule.row-kind: a return-table row (or list item) the surrounding prose does not classify:
    pending by rule.pending, success when its text says success, else error."""
    if pending_in(description, code):
        return ReturnKind.PENDING
    if _SUCCESS_ROW_RE.search(description):  # as the page says it, even for a SEC_E_ name (lint compares)
        return ReturnKind.SUCCESS
    return ReturnKind.ERROR


# --------------------------------------------------------------------------------------------
# rule.reported-via
# --------------------------------------------------------------------------------------------

_GET_LAST_ERROR_RE = re.compile(r"\bGetLastError\b")
_ASYNC_STATUS_RE = re.compile(r"\bSspiGetAsyncCallStatus\b")
_STATUS_NAME_RE = re.compile(r"^(?:SEC_[EI]_|STATUS_|ERROR_|NTE_)[A-Z0-9_]+$")


# "the status is returned in the pStatus parameter", "the error code is written to *pStatus*",
# "the pStatus parameter receives the status code", "reports the failure through the pStatus
# parameter": the codes reach the caller in an out parameter, not as the return value.
def _param_word(group: str) -> str:
    return rf"(?:the\s+)?[*_]{{0,2}}(?:<i>)?(?P<{group}>[A-Za-z_]\w*)(?:</i>)?[*_]{{0,2}}"


_OUT_PARAMETER_RE = re.compile(
    r"\b(?:returned|reported|written|stored|placed|set|delivered)\s+(?:in|to|into|through|via)\s+"
    + _param_word("a")
    + r"|\b(?:through|via)\s+"
    + _param_word("b")
    + r"\s+parameter\b"
    + r"|\bthe\s+[*_]{0,2}(?:<i>)?(?P<c>[A-Za-z_]\w*)(?:</i>)?[*_]{0,2}\s+parameter\s+receives\b[^.]*?\b(?:status|error|code)",
    re.I,
)


def out_parameter_named(text: str, parameters: list[str] | tuple[str, ...]) -> str | None:
    """rule.reported-via (out parameter): the name of the out parameter the text says the codes
    are written to, when it names one of ``parameters``; else None."""
    if not parameters:
        return None
    names = set(parameters)
    for m in _OUT_PARAMETER_RE.finditer(text):
        name = m.group("a") or m.group("b") or m.group("c")
        if name in names:
            return name
    return None


def reported_in(text: str, out_parameters: list[str] | tuple[str, ...] = ()) -> Reported | None:
    """rule.reported-via: the text says the codes are read with GetLastError, written to one of
    ``out_parameters`` (by name), or reported by SspiGetAsyncCallStatus; None when it says none of
    these (the call returns them)."""
    if _GET_LAST_ERROR_RE.search(text):
        return Reported.GET_LAST_ERROR
    if out_parameter_named(text, out_parameters) is not None:
        return Reported.OUT_PARAMETER
    if _ASYNC_STATUS_RE.search(text):
        return Reported.ASYNC_STATUS
    return None


def apply_reporting(codes: list[ReturnCode], prose: str, parameters: list[Parameter] | tuple[Parameter, ...]) -> list[ReturnCode]:
    """rule.reported-via applied to a page's return codes (both forms call this, once):

    - prose that sends the caller to GetLastError, or says the codes are written to one of the
      page's out parameters, marks the error codes so (the success code is still the return value);
    - an out parameter whose value table lists status codes (LsaLogonUser's SubStatus) reports
      those codes: each is added after the returns section's own codes, reported "out-parameter",
      with the kind its row gives (rule.row-kind), unless the returns section names it already.
    """
    outs = [p.name for p in parameters if p.direction in (Direction.OUT, Direction.INOUT)]
    how = reported_in(prose, outs)
    if how in (Reported.GET_LAST_ERROR, Reported.OUT_PARAMETER):
        codes = [evolve(rc, reported=how) if rc.kind is ReturnKind.ERROR else rc for rc in codes]
    seen = {rc.name for rc in codes}
    added: list[ReturnCode] = []
    for p in parameters:
        if p.direction is not Direction.OUT:
            continue
        for t in p.value_tables:
            if not t.values or not all(_STATUS_NAME_RE.match(v.name) for v in t.values):
                continue
            for v in t.values:
                if v.name in seen:
                    continue
                seen.add(v.name)
                added.append(
                    ReturnCode(v.name, row_kind(v.name, v.description), Via.CALL, v.description, v.span,
                               v.number_text if v.number_text and v.number_text.lower().startswith("0x") else None,
                               None, Reported.OUT_PARAMETER)
                )
    return codes + added


# --------------------------------------------------------------------------------------------
# rule.value-table and rule.return-table
# --------------------------------------------------------------------------------------------

_VALUE_HEADER_FIRST_RE = re.compile(r"value|flag|constant|type|ssp|attribute|name|mechanism|member|option", re.I)
# First-column headers of a "Meaning" table that is not a list of values the parameter takes
# (InitializeSecurityContext's "SSP in use | Meaning": which package reads the parameter how).
_NOT_VALUE_FIRST_RE = re.compile(r"\bssp\s+in\s+use\b|\bpackage\b|\bprovider\b", re.I)
_RETURN_HEADER_RE = re.compile(
    r"^(?:return\s+(?:code|value|code\s*/\s*value)s?|error\s+codes?|status\s+codes?)$", re.I
)


def is_value_table_header(header: list[str] | tuple[str, ...]) -> bool:
    """rule.value-table: a two-column table lists values of its parameter when its first header
    names values (Value, Flag, Constant...) and its second describes them (Meaning, Description),
    or the second is "Meaning" and the first is not a package/SSP column."""
    if len(header) < 2:
        return False
    h0, h1 = header[0].strip().lower(), header[1].strip().lower()
    if "#" in h0:
        # "Buffer #/buffer type | Meaning": buffers by index, not macros and their numbers.
        return False
    if _NOT_VALUE_FIRST_RE.search(h0):
        return False
    if h1.startswith("meaning"):
        return True
    return bool(_VALUE_HEADER_FIRST_RE.search(h0)) and h1.startswith(("description", "meaning", "value"))


def is_return_table_header(first: str, second: str) -> bool:
    """rule.return-table: "Return code | Description", "Return value | ...", "Return code/value",
    "Error Codes | Description", "Status code | Meaning"."""
    return bool(_RETURN_HEADER_RE.match(" ".join(first.split()))) and second.strip().lower().startswith(
        ("description", "meaning")
    )


# --------------------------------------------------------------------------------------------
# rule.parameter-name-in-prose
# --------------------------------------------------------------------------------------------

# An italic name in parameter style: Hungarian pointer/handle prefix and a capital.
# (Written to start with a character class, which the regex engine scans for quickly: "<i>NAME</i>"
# or "*NAME*" not next to a word character or another star.)
ITALIC_NAME_RE = re.compile(r"[<*](?:(?<=<)i>\s*([A-Za-z_]\w*)\s*</i>|(?<![\w*]\*)([A-Za-z_]\w*)\*(?![\w*]))")
# ITALIC_NAME_RE's matches by their first character, as three regexes: "<i>NAME</i>" (a literal
# start the engine finds fast, where the "<" of every HTML tag would stop ITALIC_NAME_RE),
# "*NAME*" and "<NAME*". Their matches cannot overlap, so together they are ITALIC_NAME_RE's.
_ITALIC_NAME_PARTS = (
    re.compile(r"<i>\s*([A-Za-z_]\w*)\s*</i>"),
    re.compile(r"\*(?<![\w*]\*)([A-Za-z_]\w*+)\*(?![\w*])"),
    re.compile(r"<([A-Za-z_]\w*+)\*(?![\w*])"),
)


def italic_names(text: str, pos: int = 0) -> list[tuple[int, str]]:
    """(offset, name) of each ITALIC_NAME_RE match in ``text`` from ``pos``, in text order."""
    found = [(m.start(), m.group(1)) for rx in _ITALIC_NAME_PARTS for m in rx.finditer(text, pos)]
    found.sort()
    return found

# Only prefixes specific enough to name one kind of thing (a bare "p" also names other
# functions' parameters, "pAuthData" on a QueryCredentialsAttributes page).
_PREFIX_RE = re.compile(r"^(pts|psz|pwsz|ph|pv)(?=[A-Z])")


def misnamed_parameters(names: list[str], parameters: list[str]) -> list[tuple[str, str]]:
    """rule.parameter-name-in-prose: italic names in the prose that look like parameters of this
    function but are none (``ptsTimeStamp`` where the parameter is ``ptsExpiry``): (name, the
    parameter with the same Hungarian prefix it most likely means). Names that share no prefix with
    a parameter (other functions' parameters, structure members) are left alone."""
    params = set(parameters)
    by_prefix: dict[str, list[str]] = {}
    for p in parameters:
        m = _PREFIX_RE.match(p)
        if m:
            by_prefix.setdefault(m.group(1), []).append(p)
    out: list[tuple[str, str]] = []
    for name in names:
        if name in params:
            continue
        m = _PREFIX_RE.match(name)
        if not m or len(by_prefix.get(m.group(1), ())) != 1:
            continue
        out.append((name, by_prefix[m.group(1)][0]))
    return out
