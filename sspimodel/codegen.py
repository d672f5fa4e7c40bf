"""Generate the attrs model (``sspimodel/_generated/``) from the reference pages in spec/.

Input, and nothing else: the FunctionSpecs that :func:`sspimodel.read.read_spec` reads from
spec/pages, the status catalog (spec/data/status.tsv) and the macro values of
spec/data/constants.tsv. The generator uses what each page says; where a page is wrong
(a TBD parameter, a missing direction, a wrong number) the generated code follows the page
and lint reports the defect.

Output, written only by ``sspimodel generate`` (never at import time):

- ``status.py``: ``Status``, an IntEnum of every catalog code.
- ``values.py``: the value enums and flag sets, one class per macro family (``ISC_REQ_*`` ->
  ``IscReq``), shared by every function whose page tables use that family.
- one module per function family (the A and W variants together): per function ``NameCall``,
  ``NameResult``, ``NAME_RETURNS`` and ``NAME_CONTRACT`` (see sspimodel.contract).
- ``__init__.py``: ``CONTRACTS`` by function name.

Decisions (each can be checked against the page text it quotes):

- Enum or flags. A value table becomes an IntFlag when the parameter's own prose (the text
  before the table, not the table rows) says the values combine: "one or more", "combined",
  "combination", "bitwise"; it becomes an IntEnum when it says "one of". With neither, "bit
  flags" reads as flags. With no such wording at all it is read as an IntEnum and a finding
  says so.
- Numbers. A value's number is the one the page prints; where the page prints none it comes
  from spec/data/constants.tsv ("from the page, or from the project's constant data where the
  page gives none"). A value with neither is reported as a finding and left out of the enum,
  with a comment in its place: no number is invented.
- Strings. A parameter is a string when its name has a Hungarian string prefix (``psz``; the
  name of an orphan ``#### - pszX`` heading attached to it counts), or when the page's
  prototype gives a string C type (LPSTR, SEC_CHAR *, LPWSTR, SEC_WCHAR *, PSECURITY_STRING),
  or, failing both, when its first sentence says so ("Pointer to a null-terminated string
  naming ...": reported as a finding, since the name and type are silent). Its encoding follows
  the function's variant: ANSI for ``...A``, Unicode for ``...W``; a neutral function takes the
  encoding of the C type, and without one the parameter is left unchecked (kind "any") and
  reported.

Output is deterministic: sorted, formatted by this module (no formatter at generation time),
no timestamps. Each file starts with a header naming the generator, the sha256 of the spec
content it was generated from, and "DO NOT EDIT".
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import keyword
import re
import sys
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
from attrs import define, field, frozen

from .constants_data import Constant, load_constants
from .paths import REPO_ROOT, data_file, default_spec_dir, packaged_spec_dir, pages_dir, uses_packaged_data
from .read import page_files, read_page, read_spec
from .spec import Direction, FunctionSpec, Parameter, ReturnKind, Value, ValueTable, Variant, Via
from .status import SpecDataError, StatusCatalog, StatusInfo

__all__ = [
    "GENERATOR",
    "OUT_DIR",
    "Finding",
    "Generation",
    "Staleness",
    "build",
    "build_from_specs",
    "check_generated",
    "compare_generated",
    "generate",
    "run_generate",
    "spec_sha256",
    "write_generated",
]

GENERATOR = "sspimodel.codegen"
OUT_DIR = REPO_ROOT / "sspimodel" / "_generated"
UPSTREAM = "https://learn.microsoft.com/en-us/windows/win32/api/sspi/nf-sspi-{}"
DATA_FILES = ("status.tsv", "constants.tsv")
# Pages of their own for facts that the page a function follows does not give but another
# version of that page does (e.g. the general QueryContextAttributes page versus the CredSSP
# one). They are not function pages: `generate` adds their value rows to the same-named
# parameter of every function with the same neutral name, each row citing the supplement.
SUPPLEMENTS_DIR = "supplements"
_WRAP = 96  # docstring text width (ruff allows 110; leave room for indentation)


# ---------------------------------------------------------------------------------------------
# Findings and the result of one generation


@frozen(order=True)
class Finding:
    """Something the generator could not take from the page as it stands (reported, not fixed)."""

    where: str  # "spec/pages/X.md:LINE" or a data file
    function: str
    parameter: str | None
    message: str

    def __str__(self) -> str:
        who = f"{self.function}.{self.parameter}" if self.parameter else self.function
        return f"{self.where}: {who}: {self.message}"


@define
class Generation:
    files: dict[str, str]  # relative output path -> file text
    findings: list[Finding]
    functions: int
    modules: int
    value_types: int
    statuses: int
    sha256: str


@frozen
class Staleness:
    stale: tuple[str, ...]  # on disk, content differs
    missing: tuple[str, ...]  # generated, not on disk
    extra: tuple[str, ...]  # on disk (*.py), not generated

    def names(self) -> list[str]:
        return sorted(self.stale + self.missing + self.extra)

    def __bool__(self) -> bool:
        return bool(self.stale or self.missing or self.extra)

    def describe(self) -> str:
        parts = [f"{n} (stale)" for n in self.stale]
        parts += [f"{n} (missing)" for n in self.missing]
        parts += [f"{n} (extra)" for n in self.extra]
        return ", ".join(sorted(parts))


# ---------------------------------------------------------------------------------------------
# Inputs


def _spec_root(spec_dir: Path | None) -> Path:
    return spec_dir if spec_dir is not None else default_spec_dir()


def spec_inputs(spec_dir: Path | None = None) -> list[tuple[str, Path]]:
    """The files a generation reads, as (path relative to the spec dir, path), sorted."""
    root = _spec_root(spec_dir)
    # Pages are named "pages/<file>" whether the folder given is a spec (pages/ inside) or the pages
    # folder itself, so `--spec spec/pages` hashes (and so checks freshness) like `--spec spec`.
    pages = pages_dir(root)
    items = [(f"pages/{_rel(p, pages)}", p) for p in page_files(pages)]
    items += [(f"data/{name}", data_file(name, root)) for name in DATA_FILES]
    folder = supplements_dir(root)
    items += [(f"{SUPPLEMENTS_DIR}/{_rel(p, folder)}", p) for p in supplement_files(root)] if folder else []
    return sorted(items)


def supplements_dir(spec_dir: Path | None = None) -> Path | None:
    """spec/supplements; for a folder of pages without data/, the packaged spec's (supplements
    travel with the packaged data); None when there is none."""
    root = _spec_root(spec_dir)
    own = root / SUPPLEMENTS_DIR
    if own.is_dir():
        return own
    packaged = packaged_spec_dir() / SUPPLEMENTS_DIR
    return packaged if uses_packaged_data(root) and packaged.is_dir() else None


def supplement_files(spec_dir: Path | None = None) -> list[Path]:
    """spec/supplements/*.md|*.txt (none when there is no such folder, e.g. a foreign --spec)."""
    folder = supplements_dir(spec_dir)
    return page_files(folder) if folder is not None else []


def read_supplements(spec_dir: Path | None = None) -> list[FunctionSpec]:
    folder = supplements_dir(spec_dir)
    if folder is None:
        return []
    return [read_page(p, f"spec/{SUPPLEMENTS_DIR}/{_rel(p, folder)}") for p in page_files(folder)]


def apply_supplements(spec: FunctionSpec, supplements: Iterable[FunctionSpec]) -> FunctionSpec:
    """Add to each value table of ``spec`` the rows a supplement of the same neutral name lists
    for the same parameter and the page does not. Rows keep their span in the supplement, so
    the generated value cites it; nothing else of the page changes."""
    extra: dict[str, list[ValueTable]] = {}
    for sup in supplements:
        if sup.neutral_name != spec.neutral_name:
            continue
        for sp in sup.parameters:
            extra.setdefault(sp.name, []).extend(sp.value_tables)
    if not extra:
        return spec
    params = []
    for p in spec.parameters:
        tables = extra.get(p.name)
        if tables and p.value_tables:
            known = {v.name for v in p.values()}
            added = tuple(
                ValueTable(t.header, tuple(v for v in t.values if v.name not in known), t.span) for t in tables
            )
            p = attrs.evolve(p, value_tables=p.value_tables + tuple(t for t in added if t.values))
        params.append(p)
    return attrs.evolve(spec, parameters=tuple(params))


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def spec_sha256(spec_dir: Path | None = None) -> str:
    """sha256 over the generator's inputs: for each file in sorted order, its relative path,
    a NUL, its length in decimal, a NUL, then its bytes (so moving bytes between files changes it).
    A missing data file contributes its path and the marker ``missing``.
    """
    h = hashlib.sha256()
    for rel, path in spec_inputs(spec_dir):
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0")  # names need not be UTF-8
        try:
            data = path.read_bytes()
        except OSError:
            h.update(b"missing\0")
            continue
        h.update(str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Text helpers

_MD_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()\s]|\([^()]*\))*\)")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_ALERT = re.compile(r">\s*\[!(\w+)\]")
_BOLD = re.compile(r"(\*\*|__)(.+?)\1", re.S)
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", re.S)
_SENTENCE = re.compile(r"(.+?[.!?])(?=\s+[\"'(*\[A-Z0-9]|\s*$)", re.S)


def plain(text: str) -> str:
    """Markdown/HTML reduced to plain text, paragraphs kept, whitespace collapsed."""
    t = text.replace("\u00a0", " ").replace("\t", " ").replace("\u2028", " ").replace("\u2029", " ")
    t = _ALERT.sub(lambda m: m.group(1).capitalize() + ":", t)
    t = _MD_LINK.sub(r"\1", t)
    t = _HTML_TAG.sub("", t)
    t = _BOLD.sub(r"\2", t)
    t = _ITALIC.sub(r"\1", t)
    t = html.unescape(t.replace("`", "")).replace("\u00a0", " ")
    t = re.sub(r"^\s*>\s?", "", t, flags=re.M)
    paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n", t)]
    return "\n\n".join(p for p in paras if p)


def first_paragraph(text: str) -> str:
    return plain(text).split("\n\n", 1)[0] if text.strip() else ""


_OPTIONAL_PREFIX = re.compile(r"^optional\b\.?\s*", re.I)


def first_sentence(text: str, drop_optional_marker: bool = False) -> str:
    """The first sentence of the first paragraph. With drop_optional_marker, a leading
    "*optional*" / "*Optional*." (the prose form of the optional annotation, which the
    annotation text already shows) is left out.
    """
    para = first_paragraph(text)
    if drop_optional_marker:
        para = _OPTIONAL_PREFIX.sub("", para)
        para = para[:1].upper() + para[1:]
    m = _SENTENCE.match(para)
    return m.group(1).strip() if m else para


def _lit(s: str) -> str:
    """A double-quoted Python string literal (JSON escapes are valid Python escapes)."""
    return json.dumps(s, ensure_ascii=True)


def _doc_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def _wrap(text: str, indent: str, first: str = "", rest: str = "") -> list[str]:
    return list(_wrapped(text, indent, first, rest))


@functools.lru_cache(maxsize=4096)
def _wrapped(text: str, indent: str, first: str, rest: str) -> tuple[str, ...]:
    # Kept: the A and W pages of a function share most of their text (half the paragraphs a
    # generation wraps were wrapped already), and check regenerates everything on each run.
    lines = textwrap.wrap(
        text,
        width=_WRAP,
        initial_indent=indent + first,
        subsequent_indent=indent + rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return tuple(lines) or (indent + first.rstrip(),)


def _docstring(paragraphs: Sequence[str | list[str]], indent: str) -> list[str]:
    """A docstring: first paragraph is the summary line; a list item is a bullet list."""
    out: list[str] = []
    for i, para in enumerate(paragraphs):
        if i:
            out.append("")
        if isinstance(para, list):
            for item in para:
                out.extend(_wrap(_doc_escape(item), indent, "- ", "  "))
        else:
            out.extend(_wrap(_doc_escape(para), indent))
    out[0] = indent + '"""' + out[0][len(indent) :]
    if len(out) == 1:
        if out[0].endswith('"'):
            out[0] = out[0][:-1] + '\\"'
        out[0] += '"""'
    else:
        out.append(indent + '"""')
    return out


def upper_snake(name: str) -> str:
    """AcquireCredentialsHandleA -> ACQUIRE_CREDENTIALS_HANDLE_A."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).upper()


def _camel(words: Iterable[str]) -> str:
    return "".join(w[:1].upper() + w[1:].lower() for w in words)


def _hex(n: int) -> str:
    return f"0x{n:08X}"


# A GUID as sspi.h initializes one and some value tables print it (SEC_WINNT_AUTH_DATA_TYPE_*):
# "0x28bfc32f, 0x10f6, 0x4738,  0x98, 0xd1, ..." (Data1, Data2, Data3, then the eight bytes of Data4).
_GUID_TEXT = re.compile(r"^\s*0x[0-9a-f]{1,8}\s*,\s*0x[0-9a-f]{1,4}\s*,\s*0x[0-9a-f]{1,4}(?:\s*,\s*0x[0-9a-f]{1,2}){8}\s*$", re.I)


def guid_number(text: str | None) -> int | None:
    """The 128-bit number of a GUID printed as its initializer (the big-endian value of
    uuid.UUID(fields=...): Data1, Data2, Data3, Data4), or None when the text is not one.
    *Interpretation*: a value table that gives a GUID instead of a number gives that number."""
    if not text or not _GUID_TEXT.match(text):
        return None
    parts = [int(t, 16) for t in text.split(",")]
    number = (parts[0] << 96) | (parts[1] << 80) | (parts[2] << 64)
    for i, b in enumerate(parts[3:]):
        number |= b << (8 * (7 - i))
    return number


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's isort-style order for __all__ and imported names: CONSTANTS, Classes, functions."""
    if name.isupper() or (name.upper() == name and "_" in name):
        group = 0
    elif name[:1].isupper():
        group = 1
    else:
        group = 2
    return group, name


def _import(module: str, names: Iterable[str]) -> list[str]:
    ordered = sorted(set(names), key=_isort_key)
    line = f"from {module} import {', '.join(ordered)}"
    if len(line) <= 110:
        return [line]
    return [f"from {module} import (", *[f"    {n}," for n in ordered], ")"]


def _all(names: Iterable[str]) -> list[str]:
    ordered = sorted(set(names), key=_isort_key)
    if not ordered:
        return ["__all__: list[str] = []"]
    return ["__all__ = [", *[f"    {_lit(n)}," for n in ordered], "]"]


# ---------------------------------------------------------------------------------------------
# Planning: FunctionSpec -> what to emit

# A value-table row is a value only when it names a macro (ISC_REQ_DELEGATE); tables of
# "SSP in use" rows (Digest, Kerberos) or buffer descriptions are prose, not values.
_MACRO = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_STRING_PREFIX = re.compile(r"^(?:psz|pwsz|pcsz|sz|wsz)[A-Z0-9_]")
# A first sentence that says the parameter is a string: "Pointer to a null-terminated string
# naming ...", "A string that contains ...", "The package name, as a null-terminated string."
_STRING_PROSE = re.compile(
    r"\bnull-terminated (?:ANSI |Unicode )?string\b"
    r"|^(?:A |The )?(?:pointer to (?:a |an |the ))?(?:ANSI |Unicode )?string\b",
    re.I,
)
_ANSI_CTYPES = frozenset({"LPSTR", "LPCSTR", "SEC_CHAR*", "CHAR*", "PSTR", "PCSTR"})
_WIDE_CTYPES = frozenset(
    {"LPWSTR", "LPCWSTR", "SEC_WCHAR*", "WCHAR*", "WCHAR_T*", "PWSTR", "PCWSTR", "PSECURITY_STRING", "PUNICODE_STRING"}
)
# Wording of the parameter prose that decides IntFlag vs IntEnum (see the module docstring).
# Values combine: "can be one or more of", "can be combined", "a bitwise-OR combination",
# "Combine any of the following", "OR any of the following values together".
_FLAG_WORDING = re.compile(r"\b(?:one or more|combin\w*|bitwise|any combination)\b", re.I)
_BITWISE_OR = re.compile(r"\bOR\b")  # upper-case OR: the bitwise operator, not the conjunction
# Alternatives: "can be one of the following values", "Give one of these values".
_ONE_OF_WORDING = re.compile(r"\bone of\b", re.I)
_BIT_FLAG_WORDING = re.compile(r"\bbit[- ]?flags?\b", re.I)
# Class names that the generic rule (CamelCase of the common macro prefix) would make too
# vague: SECPKG_CRED_* is the credential-use family (sspimodel's interface names it SecpkgCredUse).
_CLASS_NAME_OVERRIDES = {("SECPKG", "CRED"): "SecpkgCredUse"}
_RESERVED_CLASS_NAMES = frozenset({"Status", "FunctionContract", "ParamContract", "ReturnSet", "Any"})


@frozen
class FamilyKey:
    prefix: tuple[str, ...]  # common macro words, e.g. ("ISC", "REQ")
    suffix: tuple[str, ...]  # common trailing words when the prefix is a single word
    kind: str  # "enum" | "flags"
    owner: str = ""  # "Function.param" when the names share no prefix at all


@define
class ValueFamily:
    key: FamilyKey
    members: dict[str, tuple[int, str]] = field(factory=dict)  # name -> (number, source)
    unnumbered: dict[str, str] = field(factory=dict)  # name -> where it is listed
    users: list[str] = field(factory=list)  # "Function.param"
    class_name: str = ""

    def base_name(self) -> str:
        k = self.key
        if k.owner:
            fn, param = k.owner.split(".", 1)
            return fn + param[:1].upper() + param[1:]
        if k.prefix in _CLASS_NAME_OVERRIDES:
            return _CLASS_NAME_OVERRIDES[k.prefix]
        if len(k.prefix) == 1 and k.suffix:
            return _camel(k.prefix + k.suffix)
        return _camel(k.prefix)


@frozen
class ParamPlan:
    name: str
    direction: str
    optional: bool
    kind: str
    values: tuple[tuple[str, int], ...]
    unnumbered: tuple[str, ...]
    family: FamilyKey | None
    clause: str
    first_sentence: str

    @property
    def is_input(self) -> bool:
        return self.direction in ("in", "inout", "unknown")

    @property
    def is_output(self) -> bool:
        return self.direction in ("out", "inout", "unknown")

    @property
    def required(self) -> bool:
        return self.is_input and not self.optional

    def annotation_text(self) -> str:
        if self.direction == "unknown":
            return "[optional]" if self.optional else "(no direction)"
        parts = ["in", "out"] if self.direction == "inout" else [self.direction]
        if self.optional:
            parts.append("optional")
        return "[" + ", ".join(parts) + "]"


@define
class FunctionPlan:
    spec: FunctionSpec
    page: str
    params: list[ParamPlan]
    returns: dict[str, set[str]]  # ReturnSet field -> names

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def upper(self) -> str:
        return upper_snake(self.spec.name)

    @property
    def module(self) -> str:
        return upper_snake(self.spec.neutral_name).lower()


def _common_words(names: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    split = [n.split("_") for n in names]
    prefix: list[str] = []
    for words in zip(*split, strict=False):
        if len(set(words)) != 1:
            break
        prefix.append(words[0])
    shortest = min(len(s) for s in split)
    if len(prefix) >= shortest:  # one name, or one name is a prefix of the others
        prefix = prefix[: shortest - 1]
    suffix: list[str] = []
    if len(prefix) == 1:
        for words in zip(*(reversed(s[len(prefix) :]) for s in split), strict=False):
            if len(set(words)) != 1:
                break
            suffix.insert(0, words[0])
        if any(len(s) - len(prefix) - len(suffix) < 1 for s in split):
            suffix = []
    return tuple(prefix), tuple(suffix)


def _prose_before_table(description: str, names: Iterable[str]) -> str:
    """The parameter prose before its value table: paragraphs up to the first that starts with
    a value name or a table row (readers keep tables out of descriptions; this guards a reader
    that does not).
    """
    name_set = set(names)
    kept = []
    for para in plain(description).split("\n\n"):
        stripped = para.strip()
        head = re.split(r"[\s|]+", stripped.lstrip("|").strip(), maxsplit=1)[0] if stripped else ""
        if head in name_set or stripped.startswith("|"):
            break
        kept.append(para)
    return " ".join(" ".join(kept).split())


def decide_kind(description: str, names: Iterable[str]) -> tuple[str, str | None]:
    """("flags" | "enum", finding or None) from the parameter prose (module docstring)."""
    prose = _prose_before_table(description, names)
    if _FLAG_WORDING.search(prose) or _BITWISE_OR.search(prose):
        return "flags", None
    if _ONE_OF_WORDING.search(prose):
        return "enum", None
    if _BIT_FLAG_WORDING.search(prose):
        return "flags", None
    return "enum", (
        "the parameter text says neither 'one of' nor 'one or more'/'combine'/'bitwise'/'OR ... together'/"
        "'bit flags'; its value table is read as alternatives (IntEnum)"
    )


def _norm_ctype(c_type: str | None) -> str:
    return re.sub(r"\s+", "", (c_type or "").upper()).replace("CONST", "")


class _Planner:
    def __init__(self, spec_root: Path, catalog: StatusCatalog, constants: dict[str, Constant]) -> None:
        self.catalog = catalog
        self.constants = constants
        self.findings: list[Finding] = []
        self.families: dict[FamilyKey, ValueFamily] = {}
        # Pages are cited as spec/pages/<file> whether the folder given holds pages/ or is the pages
        # folder itself, so the generated code is the same for `--spec spec` and `--spec spec/pages`.
        self.page_prefix = "spec/pages/"

    def where(self, file: str, line: int) -> str:
        """A clause: pages are relative to the pages folder; supplements carry their spec/ path."""
        return f"{file}:{line}" if file.startswith("spec/") else f"{self.page_prefix}{file}:{line}"

    def find(self, where: str, function: str, parameter: str | None, message: str) -> None:
        self.findings.append(Finding(where, function, parameter, message))

    def plan(self, spec: FunctionSpec) -> FunctionPlan:
        page = self.page_prefix + spec.source.file
        params: list[ParamPlan] = []
        seen: set[str] = set()
        for p in spec.parameters:
            clause = f"{page}:{p.span.start}"
            if not p.name.isidentifier() or keyword.iskeyword(p.name) or p.name.startswith("_"):
                self.find(clause, spec.name, p.name, "parameter name is not a Python identifier; left out")
                continue
            if p.name in seen:
                self.find(clause, spec.name, p.name, "parameter documented twice; the second entry is left out")
                continue
            if p.name == "status" and p.direction is not Direction.IN:
                self.find(clause, spec.name, p.name, "an out parameter named 'status' would shadow the result status")
                continue
            seen.add(p.name)
            params.append(self._param(spec, p, clause))
        return FunctionPlan(spec, page, params, self._returns(spec, page))

    def _param(self, spec: FunctionSpec, p: Parameter, clause: str) -> ParamPlan:
        values: list[tuple[str, int]] = []
        unnumbered: list[str] = []
        family: FamilyKey | None = None
        rows = [v for v in p.values() if _MACRO.match(v.name)]
        if rows:
            skipped = sorted({v.name for v in p.values() if not _MACRO.match(v.name)})
            if skipped:
                self.find(clause, spec.name, p.name, f"value rows that name no macro are not values: {', '.join(skipped)}")
            kind, why = decide_kind(p.description, [v.name for v in rows])
            if why:
                self.find(clause, spec.name, p.name, why)
            numbered: dict[str, tuple[int, str]] = {}
            unnumbered_where: dict[str, str] = {}
            for v in rows:
                if v.name in numbered or v.name in unnumbered:
                    continue
                resolved = self._number(spec, p, v)
                if resolved is None:
                    unnumbered.append(v.name)
                    unnumbered_where[v.name] = self.where(v.span.file, v.span.start)
                else:
                    numbered[v.name] = resolved
            values = [(n, num) for n, (num, _) in numbered.items()]
            names = [v.name for v in rows]
            prefix, suffix = _common_words(list(dict.fromkeys(names)))
            owner = "" if prefix else f"{spec.neutral_name}.{p.name}"
            family = FamilyKey(prefix, suffix, kind, owner)
            fam = self.families.setdefault(family, ValueFamily(family))
            fam.users.append(f"{spec.name}.{p.name}")
            for n, (num, source) in numbered.items():
                if n in fam.members and fam.members[n][0] != num:
                    old, old_source = fam.members[n]
                    self.find(
                        clause,
                        spec.name,
                        p.name,
                        f"{n} = {_hex(num)} here, but {_hex(old)} ({old_source}); the enum keeps {_hex(old)}, "
                        "this parameter's check uses the page's number",
                    )
                    continue
                fam.members.setdefault(n, (num, source))
            for n in unnumbered:
                fam.unnumbered.setdefault(n, unnumbered_where[n])
        else:
            kind = self._string_kind(spec, p, clause)
        optional = p.optional
        return ParamPlan(
            name=p.name,
            direction=p.direction.value,
            optional=optional,
            kind=kind,
            values=tuple(values),
            unnumbered=tuple(unnumbered),
            family=family,
            clause=clause,
            first_sentence=first_sentence(p.description, drop_optional_marker=p.optional_source == "prose"),
        )

    def _number(self, spec: FunctionSpec, p: Parameter, v: Value) -> tuple[int, str] | None:
        where = self.where(v.span.file, v.span.start)
        const = self.constants.get(v.name)
        if v.number is not None:
            if const is not None and const.value != v.number:
                self.find(
                    where,
                    spec.name,
                    p.name,
                    f"{v.name}: the page gives {v.number_text or _hex(v.number)}, {const.where} gives "
                    f"{_hex(const.value)}; the page's number is used",
                )
            return v.number, f"page {where}"
        guid = guid_number(v.number_text)
        if guid is not None:
            return guid, f"page {where} (a GUID)"
        if v.number_text and v.number_text.strip():
            self.find(where, spec.name, p.name, f"{v.name}: the page prints {v.number_text!r}, not a number")
        if const is not None:
            return const.value, const.where
        self.find(
            where,
            spec.name,
            p.name,
            f"{v.name}: the page gives no number and spec/data/constants.tsv has none; no enum member generated",
        )
        return None

    def _string_kind(self, spec: FunctionSpec, p: Parameter, clause: str) -> str:
        ctype = _norm_ctype(p.c_type)
        proto_ctype = ""
        if spec.prototype is not None:
            for pp in spec.prototype.params:
                if pp.name in (p.name, p.documented_as):
                    proto_ctype = _norm_ctype(pp.c_type)
        ctype = ctype or proto_ctype
        ctype_enc = "ansi" if ctype in _ANSI_CTYPES else "wide" if ctype in _WIDE_CTYPES else None
        named = any(_STRING_PREFIX.match(n) for n in (p.name, p.documented_as or "") if n)
        if not (named or ctype_enc):
            if not _STRING_PROSE.search(first_sentence(p.description)):
                return "any"
            # The page gives the string neither a psz name nor a C type, but its text says
            # what it is ("Pointer to a null-terminated string naming the target").
            self.find(
                clause,
                spec.name,
                p.name,
                "read as a string from its description (no psz prefix and no C type on the page)",
            )
        if spec.variant is Variant.A:
            return "ansi_string"
        if spec.variant is Variant.W:
            return "wide_string"
        if ctype_enc is not None:
            return f"{ctype_enc}_string"
        self.find(
            clause,
            spec.name,
            p.name,
            "a string parameter of a function with no A/W variant and no C type on the page: "
            "its encoding is unknown, so it is not checked",
        )
        return "any"

    def _returns(self, spec: FunctionSpec, page: str) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {
            f"{via}_{kind}": set()
            for via in ("call", "async")
            for kind in ("success", "error", "pending")
        }
        for r in spec.returns:
            via = "call" if r.via is Via.CALL else "async"
            kind = {ReturnKind.SUCCESS: "success", ReturnKind.ERROR: "error", ReturnKind.PENDING: "pending"}[r.kind]
            out[f"{via}_{kind}"].add(r.name)
            if r.name not in self.catalog:
                self.find(
                    f"{self.page_prefix}{r.span.file}:{r.span.start}",
                    spec.name,
                    None,
                    f"return code {r.name} is not in the status catalog (spec/data/status.tsv); kept by name",
                )
        documented = set().union(*out.values())
        out["mentioned"] = {m for m in spec.mentioned_names() if m not in documented}
        return out

    def name_families(self) -> None:
        by_base: dict[str, list[ValueFamily]] = {}
        for fam in self.families.values():
            by_base.setdefault(fam.base_name(), []).append(fam)
        for base, fams in sorted(by_base.items()):
            if len(fams) == 1 and base not in _RESERVED_CLASS_NAMES:
                fams[0].class_name = base
                continue
            fams.sort(key=lambda f: (f.key.kind, f.key.prefix, f.key.suffix, f.key.owner))
            for i, fam in enumerate(fams):
                name = base + ("Flags" if fam.key.kind == "flags" else "Values")
                if sum(1 for f in fams if f.key.kind == fam.key.kind) > 1:
                    name += str(i + 1)
                fam.class_name = name


# ---------------------------------------------------------------------------------------------
# Rendering


def _header(sha: str, what: str) -> list[str]:
    return [
        f"# Generated by {GENERATOR} from spec content sha256 {sha}. DO NOT EDIT.",
        f"# {what}",
        "# Regenerate with `sspimodel generate`; `sspimodel generate --check` fails when this file is stale.",
    ]


def render_status(catalog: StatusCatalog, sha: str, findings: list[Finding]) -> str:
    entries = list(catalog.entries)
    by_name = {e.name: e for e in entries}
    ordered: list[StatusInfo] = []
    placed: set[str] = set()
    # An alias must follow its canonical code so that the enum makes it an alias of it.
    for e in entries:
        if e.name in placed or (e.alias_of and e.alias_of not in placed and e.alias_of in by_name):
            continue
        ordered.append(e)
        placed.add(e.name)
        for a in entries:
            if a.alias_of == e.name and a.name not in placed:
                ordered.append(a)
                placed.add(a.name)
    for e in entries:
        if e.name not in placed:
            ordered.append(e)
            placed.add(e.name)
    first_by_value: dict[int, str] = {}
    lines = _header(sha, "Source: spec/data/status.tsv (SECURITY_STATUS values from winerror.h).")
    lines += _docstring(
        [
            "SECURITY_STATUS codes: every code of the status catalog (spec/data/status.tsv).",
            "Values are the unsigned 32-bit HRESULT bits; ``signed`` gives the value C code compares "
            "against. Aliases (two names, one value) are enum aliases of the code listed first.",
        ],
        "",
    )
    lines += ["", "from __future__ import annotations", "", "import enum", "", *_all(["Status"]), "", ""]
    lines.append("class Status(enum.IntEnum):")
    lines += _docstring(["A SECURITY_STATUS code, as winerror.h defines it."], "    ")
    lines.append("")
    for e in ordered:
        note = f"winerror.h:{e.line}"
        if e.value in first_by_value:
            note += f"; alias of {first_by_value[e.value]}"
            if e.alias_of and e.alias_of != first_by_value[e.value]:
                findings.append(
                    Finding(
                        "spec/data/status.tsv",
                        e.name,
                        None,
                        f"alias_of says {e.alias_of}, but the value is that of {first_by_value[e.value]}",
                    )
                )
        else:
            first_by_value[e.value] = e.name
            if e.alias_of:
                findings.append(
                    Finding(
                        "spec/data/status.tsv",
                        e.name,
                        None,
                        f"alias_of says {e.alias_of}, but no other code has the value {e.hex}",
                    )
                )
        lines.append(f"    {e.name} = {_hex(e.value)}  # {note}")
    lines += [
        "",
        "    @property",
        "    def signed(self) -> int:",
        '        """The value as a signed 32-bit HRESULT (negative for errors)."""',
        "        return self.value - 0x100000000 if self.value & 0x80000000 else self.value",
        "",
        "    @property",
        "    def severity(self) -> str:",
        '        """"error" when bit 31 (the HRESULT severity bit) is set, else "success"."""',
        '        return "error" if self.value & 0x80000000 else "success"',
        "",
        "    @property",
        "    def is_error(self) -> bool:",
        "        return bool(self.value & 0x80000000)",
        "",
        "    @property",
        "    def message(self) -> str:",
        '        """A short English message (spec/data/status.tsv)."""',
        "        return _MESSAGES[self.value]",
        "",
        "    @property",
        "    def hex(self) -> str:",
        '        """The value as winerror.h spells it, e.g. 0x80090300."""',
        '        return f"0x{self.value:08X}"',
        "",
        "    # Shown by name, with the value as winerror.h spells it (print(status) used to print the",
        "    # decimal int). An explicit format spec (f'{status:08X}') still formats the number.",
        "    def __str__(self) -> str:",
        '        return f"{self.name} ({self.hex})"',
        "",
        "    def __repr__(self) -> str:",
        '        return f"<Status.{self.name}: {self.hex}>"',
        "",
        "    def __format__(self, spec: str) -> str:",
        "        return str(self) if not spec else format(self.value, spec)",
        "",
        "",
        "_MESSAGES: dict[int, str] = {",
    ]
    messages: dict[int, str] = {}
    for e in ordered:
        messages.setdefault(e.value, e.message)
    for value, message in messages.items():
        lines.append(f"    {_hex(value)}: {_lit(message)},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_values(families: Sequence[ValueFamily], sha: str) -> str:
    lines = _header(sha, "Source: the value tables of spec/pages; numbers from the page, else spec/data/constants.tsv.")
    lines += _docstring(
        [
            "Value enums and flag sets of the reference pages' value tables, one per macro family.",
            "A family is shared by every parameter whose table lists its macros; each member's comment "
            "says where its number comes from. Which values a given parameter accepts is its own "
            "table (ParamContract.values), not the whole family.",
        ],
        "",
    )
    lines += ["", "from __future__ import annotations", ""]
    if families:
        lines += ["import enum", ""]
    lines += _all(f.class_name for f in families)
    for fam in sorted(families, key=lambda f: f.class_name):
        base = "enum.IntFlag" if fam.key.kind == "flags" else "enum.IntEnum"
        what = "flags (a value is an OR of them)" if fam.key.kind == "flags" else "values (one of them)"
        lines += ["", "", f"class {fam.class_name}({base}):"]
        lines += _docstring(
            [f"{_family_pattern(fam)} {what}.", f"Used by: {', '.join(sorted(set(fam.users)))}."],
            "    ",
        )
        lines.append("")
        members = sorted(fam.members.items(), key=lambda kv: (kv[1][0], kv[0]))
        for name, (number, source) in members:
            lines.append(f"    {name} = {_hex(number)}  # {source}")
        for name, where in sorted(fam.unnumbered.items()):
            lines.append(
                f"    # {name}: listed at {where} without a number, and spec/data/constants.tsv has none: not generated."
            )
        if not members:
            lines.append("    pass")
    return "\n".join(lines) + "\n"


def _family_pattern(fam: ValueFamily) -> str:
    k = fam.key
    if k.owner:
        return f"The {k.owner} table's"
    pattern = "_".join(k.prefix) + "_*"
    if k.suffix:
        pattern += "_" + "_".join(k.suffix)
    return pattern


def _py_type(p: ParamPlan, families: dict[FamilyKey, ValueFamily]) -> str:
    if p.kind == "ansi_string":
        return "str | bytes | None"
    if p.kind == "wide_string":
        return "str | None"
    if p.kind in ("enum", "flags"):
        fam = families.get(p.family) if p.family is not None else None
        if fam is not None and fam.members:
            return f"{fam.class_name} | int | None"
        return "int | None"
    return "Any"


def _value_type(p: ParamPlan, families: dict[FamilyKey, ValueFamily]) -> str | None:
    if p.family is None:
        return None
    fam = families[p.family]
    return fam.class_name if fam.members else None


def _variant_word(spec: FunctionSpec) -> str:
    return {Variant.A: " (ANSI)", Variant.W: " (Unicode)"}.get(spec.variant, "")


def _requirement_text(spec: FunctionSpec) -> str:
    req = spec.requirements
    parts = []
    if req.min_client:
        parts.append(f"Minimum supported client: {req.min_client}")
    if req.min_server:
        parts.append(f"Minimum supported server: {req.min_server}")
    return "; ".join(parts) if parts else "The page states no minimum client or server."


def _call_inputs(fp: FunctionPlan) -> list[ParamPlan]:
    """The call class's fields: in, inout and unknown-direction parameters, required ones first."""
    inputs = [p for p in fp.params if p.is_input]
    return [p for p in inputs if p.required] + [p for p in inputs if not p.required]


def _call_doc(fp: FunctionPlan) -> list[str | list[str]]:
    """The paragraphs of the call class's docstring (also the API method's doc)."""
    spec = fp.spec
    inputs = _call_inputs(fp)
    description = first_paragraph(spec.description) or "The page gives no description."
    doc: list[str | list[str]] = [
        f"Call of {spec.name}{_variant_word(spec)}: its in, in/out and no-direction parameters."
    ]
    doc.append(description)
    if inputs:
        doc.append("Parameters, as the page documents them (required ones first):")
        doc.append(
            [
                f"{p.name} {p.annotation_text()}{'' if p.optional else ', required'}: "
                f"{p.first_sentence or '(no description)'}"
                for p in inputs
            ]
        )
    else:
        doc.append("The page documents no parameter the caller supplies.")
    if spec.kernel_mode_only:
        doc.append(f"Kernel-mode drivers only. {_requirement_text(spec)}.")
    doc.append(f"Page: {fp.page}")
    doc.append(f"Upstream: {UPSTREAM.format(spec.name.lower())}")
    return doc


def render_function_module(plans: Sequence[FunctionPlan], families: dict[FamilyKey, ValueFamily], sha: str) -> str:
    names = ", ".join(f.name for f in plans)
    body: list[str] = []
    uses_any = False
    uses_field = False
    value_types: set[str] = set()
    exported: list[str] = []
    for fp in plans:
        spec = fp.spec
        upstream = UPSTREAM.format(spec.name.lower())
        params_const = f"_{fp.upper}_PARAMS"
        call_cls, result_cls = f"{spec.name}Call", f"{spec.name}Result"
        exported += [call_cls, result_cls, f"{fp.upper}_RETURNS", f"{fp.upper}_CONTRACT"]
        body += ["", "", f"# {spec.name}: {fp.page}", ""]
        if fp.params:
            body.append(f"{params_const}: tuple[ParamContract, ...] = (")
            for p in fp.params:
                vt = _value_type(p, families)
                if vt:
                    value_types.add(vt)
                body += [
                    "    ParamContract(",
                    f"        name={_lit(p.name)},",
                    f"        direction={_lit(p.direction)},",
                    f"        optional={p.optional},",
                    f"        kind={_lit(p.kind)},",
                ]
                if p.values:
                    body.append("        values=(")
                    body += [f"            ({_lit(n)}, {_hex(v)})," for n, v in p.values]
                    body.append("        ),")
                else:
                    body.append("        values=(),")
                body += [
                    f"        value_type={vt or 'None'},",
                    f"        clause={_lit(p.clause)},",
                    f"        first_sentence={_lit(p.first_sentence)},",
                ]
                if p.unnumbered:
                    body.append(f"        unnumbered=({''.join(_lit(n) + ', ' for n in p.unnumbered).rstrip()}),")
                body.append("    ),")
            body.append(")")
        else:
            body.append(f"{params_const}: tuple[ParamContract, ...] = ()")

        # The call class: in, inout and unknown-direction parameters, required ones first.
        inputs = _call_inputs(fp)
        doc = _call_doc(fp)
        body += ["", "", "@frozen(kw_only=True)", f"class {call_cls}:"]
        body += _docstring(doc, "    ")
        if inputs:
            body.append("")
            uses_field = True
        index = {p.name: i for i, p in enumerate(fp.params)}
        for p in inputs:
            ptype = _py_type(p, families)
            uses_any |= ptype == "Any"
            line = (
                f"    {p.name}: {ptype} = field(default=None, validator=checker({_lit(spec.name)}, "
                f"{params_const}[{index[p.name]}]))"
            )
            if len(line) > 110:
                body += [
                    f"    {p.name}: {ptype} = field(",
                    f"        default=None, validator=checker({_lit(spec.name)}, {params_const}[{index[p.name]}])",
                    "    )",
                ]
            else:
                body.append(line)

        # The result class: status, then every out, inout and unknown-direction parameter.
        outputs = [p for p in fp.params if p.is_output]
        rdoc: list[str | list[str]] = [f"Result of {spec.name}: the status it returns and its out parameters."]
        if outputs:
            rdoc.append("Out, in/out and no-direction parameters, as the page documents them:")
            rdoc.append([f"{p.name} {p.annotation_text()}: {p.first_sentence or '(no description)'}" for p in outputs])
        if not spec.returns:
            prose = first_paragraph(spec.returns_prose)
            rdoc.append(
                f"The page documents no status code. It says: {prose}" if prose else "The page documents no status code."
            )
        rdoc.append(f"Documented statuses: {fp.upper}_RETURNS.")
        body += ["", "", "@define(repr=False)", f"class {result_cls}(Result):"]
        body += _docstring(rdoc, "    ")
        body += ["", "    status: Status"]
        for p in outputs:
            ptype = _py_type(p, families)
            uses_any |= ptype == "Any"
            body.append(f"    {p.name}: {ptype} = None")

        # The documented return set, split as the page splits it.
        body += ["", "", f"{fp.upper}_RETURNS = ReturnSet("]
        for key in ("call_success", "call_error", "call_pending", "async_success", "async_error", "async_pending", "mentioned"):
            codes = sorted(fp.returns[key])
            if not codes:
                body.append(f"    {key}=frozenset(),")
            else:
                one = f"    {key}=frozenset({{{', '.join(_lit(c) for c in codes)}}}),"
                if len(one) <= 110:
                    body.append(one)
                else:
                    body.append(f"    {key}=frozenset(")
                    body.append("        {")
                    body += [f"            {_lit(c)}," for c in codes]
                    body.append("        }")
                    body.append("    ),")
        body.append(")")

        body += [
            "",
            f"{fp.upper}_CONTRACT = FunctionContract(",
            f"    name={_lit(spec.name)},",
            f"    neutral_name={_lit(spec.neutral_name)},",
            f"    variant={_lit(spec.variant.value)},",
            f"    page={_lit(fp.page)},",
            f"    upstream={_lit(upstream)},",
            f"    kernel_mode_only={spec.kernel_mode_only},",
            f"    requirement_text={_lit(_requirement_text(spec))},",
            f"    params={params_const},",
            f"    call_class={call_cls},",
            f"    result_class={result_cls},",
            f"    returns={fp.upper}_RETURNS,",
            ")",
        ]

    lines = _header(sha, f"Source: the reference pages of {names}.")
    lines += _docstring(
        [
            f"The contracts of {names}, generated from their reference pages.",
            "Per function: the call class (attrs, frozen; validators check the page's contract), the "
            "result class, the documented return set and the FunctionContract.",
        ],
        "",
    )
    lines += ["", "from __future__ import annotations", ""]
    if uses_any:
        lines += ["from typing import Any", ""]
    lines += _import("attrs", ["define", "frozen"] + (["field"] if uses_field else []))
    lines.append("")
    lines += _import(
        "sspimodel.contract", ["FunctionContract", "ParamContract", "Result", "ReturnSet"] + (["checker"] if uses_field else [])
    )
    lines.append("")
    lines += _import(".status", ["Status"])
    if value_types:
        lines += _import(".values", value_types)
    lines.append("")
    lines += _all(exported)
    lines += body
    return "\n".join(lines) + "\n"


def render_init(plans: Sequence[FunctionPlan], sha: str) -> str:
    """The package: the index of the function modules, loaded one by one on first use.

    Importing a function module builds its attrs classes, which is most of the cost of a first
    call; so the package imports none of them itself: ``contract(name)`` imports one, and
    ``CONTRACTS`` (every contract, by name) imports them all the first time it is read.
    """
    lines = _header(sha, "Source: every reference page of spec/pages.")
    lines += _docstring(
        [
            "The generated layer: one FunctionContract per reference page, by function name.",
            "Importing it reads nothing: everything was generated from spec/ by sspimodel.codegen. "
            "``import sspimodel`` does not import this package; import it where contracts are needed. "
            "The function modules are imported on first use: ``contract(name)`` imports the one "
            "module of that function, and reading ``CONTRACTS`` (or a ``NAME_CONTRACT``) imports "
            "what it needs.",
        ],
        "",
    )
    lines += [
        "",
        "from __future__ import annotations",
        "",
        "import importlib",
        "from typing import TYPE_CHECKING, Any",
        "",
    ]
    lines += ["if TYPE_CHECKING:"]
    lines += ["    " + line for line in _import("sspimodel.contract", ["FunctionContract"])]
    lines += ["", "    " + _import(".status", ["Status"])[0]]
    lines += ["", *_all(["CONTRACTS", "METHODS", "MODULES", "SPEC_SHA256", "Status", "contract"]), ""]
    lines.append(f"SPEC_SHA256 = {_lit(sha)}")
    lines += [
        "",
        "# Each function's module in this package and the name of its contract there.",
        "MODULES: dict[str, tuple[str, str]] = {",
    ]
    for fp in sorted(plans, key=lambda f: f.name):
        lines.append(f"    {_lit(fp.name)}: ({_lit(fp.module)}, {_lit(fp.upper + '_CONTRACT')}),")
    lines.append("}")
    lines += [
        "",
        "_BY_CONSTANT = {constant: name for name, (_module, constant) in MODULES.items()}",
        "",
        "",
        "def contract(name: str) -> FunctionContract:",
        '    """The contract of the function ``name``, importing its module only (KeyError when unknown)."""',
        "    module, constant = MODULES[name]",
        '    return getattr(importlib.import_module(f"{__name__}.{module}"), constant)',
        "",
        "",
        "def __getattr__(name: str) -> Any:",
        '    """``CONTRACTS``, ``Status`` and each ``NAME_CONTRACT``, imported when first read."""',
        '    if name == "CONTRACTS":',
        "        value: Any = {function: contract(function) for function in MODULES}",
        '    elif name == "Status":',
        '        value = importlib.import_module(f"{__name__}.status").Status',
        "    elif name in _BY_CONSTANT:",
        "        value = contract(_BY_CONSTANT[name])",
        "    else:",
        '        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")',
        "    globals()[name] = value",
        "    return value",
    ]
    return "\n".join(lines) + "\n"


def render_methods(plans: Sequence[FunctionPlan], families: dict[FamilyKey, ValueFamily]) -> str:
    """The package's METHODS table: what each API method shows of its function (signature and
    doc), so the API can show them without importing the function modules."""
    import ast

    lines = [
        "",
        "",
        "# What each method of sspimodel.api.Sspi shows, by function: (result class name, page,",
        "# ((parameter, required, annotation), ...) of the call class, the call class's docstring).",
        "METHODS: dict[str, tuple[str, str, tuple[tuple[str, bool, str], ...], str]] = {",
    ]
    for fp in sorted(plans, key=lambda f: f.name):
        doc = ast.literal_eval("\n".join(_docstring(_call_doc(fp), "    ")).strip()).strip()
        lines += [f"    {_lit(fp.name)}: (", f"        {_lit(fp.spec.name + 'Result')},", f"        {_lit(fp.page)},"]
        inputs = _call_inputs(fp)
        if inputs:
            lines.append("        (")
            lines += [f"            ({_lit(p.name)}, {p.required}, {_lit(_py_type(p, families))})," for p in inputs]
            lines.append("        ),")
        else:
            lines.append("        (),")
        doc_lines = doc.split("\n")
        lines.append("        (")
        lines += ["            " + _lit(line + "\n") for line in doc_lines[:-1]]
        lines.append(f"            {_lit(doc_lines[-1])}")
        lines += ["        ),", "    ),"]
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Public API


def build(spec_dir: Path | None = None, specset: Any = None) -> Generation:
    """Read spec_dir (default: the project's spec/) and generate every file, in memory.
    ``specset``: what ``read_spec(spec_dir)`` returned, when the caller has read it already."""
    root = _spec_root(spec_dir)
    if specset is None:
        specset = read_spec(root)
    errors = [Finding(e.file, "(page)", None, e.message) for e in specset.errors]
    return build_from_specs(specset.functions, root, errors)


def build_from_specs(
    functions: Iterable[FunctionSpec], spec_dir: Path | None = None, findings: Iterable[Finding] = ()
) -> Generation:
    """Generate from FunctionSpecs already read; the status catalog, the constants and the
    content hash still come from spec_dir. (``build`` reads the specs from spec_dir first.)
    """
    root = _spec_root(spec_dir)
    catalog = StatusCatalog.from_file(data_file("status.tsv", root))
    planner = _Planner(root, catalog, load_constants(root))
    planner.findings.extend(findings)
    chosen: dict[str, FunctionSpec] = {}
    supplements = read_supplements(root)
    for spec in sorted(functions, key=lambda f: (f.name, f.source.file)):
        if spec.name in chosen:
            planner.find(
                planner.page_prefix + spec.source.file,
                spec.name,
                None,
                f"a second page for this function; {planner.page_prefix}{chosen[spec.name].source.file} is used",
            )
            continue
        chosen[spec.name] = apply_supplements(spec, supplements)
    plans = [planner.plan(spec) for spec in sorted(chosen.values(), key=lambda s: s.name)]
    planner.name_families()
    sha = spec_sha256(root)

    files: dict[str, str] = {}
    status_findings: list[Finding] = []
    files["status.py"] = render_status(catalog, sha, status_findings)
    families = planner.families
    files["values.py"] = render_values(list(families.values()), sha)
    by_module: dict[str, list[FunctionPlan]] = {}
    for fp in plans:
        by_module.setdefault(fp.module, []).append(fp)
    for module, group in sorted(by_module.items()):
        fname = f"{module}.py"
        if fname in files or module == "__init__":
            raise ValueError(f"function module name {fname} collides with a generated file ({group[0].page})")
        files[fname] = render_function_module(group, families, sha)
    files["__init__.py"] = render_init(plans, sha) + render_methods(plans, families)
    _refuse_invalid_code(files, root)
    return Generation(
        files=dict(sorted(files.items())),
        findings=sorted(set(planner.findings + status_findings)),
        functions=len(plans),
        modules=len(by_module),
        value_types=len(families),
        statuses=len(catalog),
        sha256=sha,
    )


def _refuse_invalid_code(files: dict[str, str], root: Path) -> None:
    """The last guard: generated text that Python cannot compile is never written.

    The data loaders refuse what they know would break the code (status names that are not
    identifiers, out-of-range values); this catches whatever else the spec could smuggle in,
    so a bad spec cannot leave sspimodel/_generated unimportable.

    A text identical to the file already in sspimodel/_generated is not compiled again: that
    file is what the package imports (and was compiled when it was written), and writing the
    same text changes nothing. ``check`` and ``generate --check`` regenerate every file and
    compare, so this spares them compiling 1.7 MB of code that is already there.
    """
    for name, text in files.items():
        try:
            if (OUT_DIR / name).read_bytes() == text.encode("utf-8"):
                continue
        except OSError:
            pass
        try:
            compile(text, f"sspimodel/_generated/{name}", "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as e:
            line = getattr(e, "lineno", None)
            where = f"{name}:{line}" if line else name
            shown = (text.splitlines()[line - 1].strip() if line and 0 < line <= len(text.splitlines()) else "")
            raise SpecDataError(
                f"generate: the spec in {root} would give invalid Python in {where} "
                f"({getattr(e, 'msg', e)}{': ' + shown[:120] if shown else ''}); nothing was written"
            ) from None


def generate(spec_dir: Path | None = None) -> dict[str, str]:
    """Relative output path -> file text, for every generated file (nothing is written)."""
    return build(spec_dir).files


def write_generated(files: dict[str, str], out_dir: Path | None = None) -> list[str]:
    """Write ``files`` into out_dir; remove *.py files there that are not generated any more.

    The directory belongs to the generator. Returns the sorted names of the files written or
    removed (files whose content is already right are not rewritten).
    """
    out = out_dir if out_dir is not None else OUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    changed: list[str] = []
    for name, text in sorted(files.items()):
        path = out / name
        data = text.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            continue
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        changed.append(name)
    for path in sorted(out.glob("*.py")):
        if path.name not in files:
            path.unlink()
            changed.append(path.name)
    return sorted(changed)


def compare_generated(files: dict[str, str], out_dir: Path | None = None) -> Staleness:
    out = out_dir if out_dir is not None else OUT_DIR
    on_disk = {p.name: p for p in out.glob("*.py")} if out.is_dir() else {}
    stale = [n for n, text in files.items() if n in on_disk and on_disk[n].read_bytes() != text.encode("utf-8")]
    missing = [n for n in files if n not in on_disk]
    extra = [n for n in on_disk if n not in files]
    return Staleness(tuple(sorted(stale)), tuple(sorted(missing)), tuple(sorted(extra)))


def check_generated(spec_dir: Path | None = None, out_dir: Path | None = None) -> list[str]:
    """Names of the stale, missing and extra files in out_dir (empty: the checked-in code is fresh)."""
    return compare_generated(generate(spec_dir), out_dir).names()


def run_generate(spec_dir: Path | None = None, check: bool = False, out_dir: Path | None = None) -> int:
    """``sspimodel generate [--check]``: print a one-line summary (and the findings); exit status.

    0: written (or, with check, fresh); 1: with check, some files are stale (named).
    """
    gen = build(spec_dir)
    counts = (
        f"{gen.functions} functions in {gen.modules} modules, {gen.value_types} value types, "
        f"{gen.statuses} statuses, {len(gen.findings)} findings, spec sha256 {gen.sha256[:12]}"
    )
    status = 0
    if check:
        staleness = compare_generated(gen.files, out_dir)
        if staleness:
            n = len(staleness.names())
            print(
                f"generate --check: {n} of {len(gen.files)} files stale: {staleness.describe()} "
                f"({counts}); run `sspimodel generate`"
            )
            status = 1
        else:
            print(f"generate --check: {len(gen.files)} files fresh ({counts})")
    else:
        written = write_generated(gen.files, out_dir)
        print(f"generate: wrote {len(written)} of {len(gen.files)} files ({counts})")
    for f in gen.findings:
        print(f"  finding: {f}")
    sys.stdout.flush()
    return status
