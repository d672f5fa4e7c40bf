"""Function prototypes of a C header (mingw-w64 sspi.h), for lint's header comparison.

sspi.h declares some functions twice, once per mode, chosen by the preprocessor:

    KSECDDDECLSPEC SECURITY_STATUS WINAPI AcquireCredentialsHandleW(
    #if ISSP_MODE==0
        PSECURITY_STRING pPrincipal,PSECURITY_STRING pPackage,
    #else
        SEC_WCHAR *pszPrincipal,SEC_WCHAR *pszPackage,
    #endif
        unsigned __LONG32 fCredentialUse, ...);

and declares the Sspi*Async family only inside ``#if ISSP_MODE == 0`` (kernel mode). A page
may legitimately follow either declaration, so the header is read twice, once per mode, the
way a compiler would see it:

- user mode: ``SECURITY_WIN32`` defined (the header then defines ``ISSP_MODE 1``);
- kernel mode: ``SECURITY_KERNEL`` defined (the header then defines ``ISSP_MODE 0``).

The preprocessor here is deliberately small: it follows ``#if/#ifdef/#ifndef/#elif/#else/
#endif``, object-like ``#define``/``#undef`` (so ISSP_MODE gets its value from the header's
own lines), and records ``#define X __MINGW_NAME_AW(X)`` (the A/W alias macros). It does not
follow ``#include``: a macro the header does not define itself is undefined, as in C, so
``#ifdef _CREDUI_INFO_DEFINED`` is false and ``#if NTDDI_VERSION >= NTDDI_WIN7`` is
``0 >= 0``. A condition it cannot evaluate (a macro whose value is not an integer) is read as
true, so no declaration is lost.

Declarations are what remains at file scope of the form ``[specifiers] type NAME(params);``
that is not a typedef; parameters are split at top-level commas and the last identifier of
each is its name.

Lint does not read headers at run time: the facts it needs (sspi.h's prototypes per mode and
its A/W aliases, ntstatus.h's values) were derived once from mingw-w64's headers by
``tools/header_data.py`` into ``spec/data/sspi_h.json`` and ``spec/data/ntstatus_h.json``, and
:func:`load_header_facts` reads them, so lint's findings are the same on every machine.
``tests/test_header_data.py`` checks that data against the live headers when they are installed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from attrs import frozen

from ..paths import data_file, packaged_data_dir
from ..status import SpecDataError

__all__ = [
    "MODES",
    "NTSTATUS_H_DATA",
    "SSPI_H_DATA",
    "HeaderDecls",
    "HeaderError",
    "HeaderFacts",
    "HeaderParam",
    "HeaderPrototype",
    "header_facts_from_dir",
    "load_header",
    "load_header_facts",
    "load_macro_values",
    "macro_values_text",
    "parse_header_text",
    "preprocess",
]

# Mode name -> macros defined before the header is read (what a build would pass with -D).
MODES: dict[str, dict[str, str]] = {
    "user": {"SECURITY_WIN32": ""},
    "kernel": {"SECURITY_KERNEL": ""},
}

# Words in a declaration that are not part of the return type.
_SPECIFIERS = frozenset(
    {"KSECDDDECLSPEC", "WINAPI", "SEC_ENTRY", "NTAPI", "__stdcall", "__cdecl", "extern", "__MINGW_EXTENSION",
     "WINBASEAPI", "__declspec"}
)
_AW_ALIAS_RE = re.compile(r"^(\w+)\s+__MINGW_NAME_AW\(\s*(\w+)\s*\)\s*$")
# One C token: a string literal, a word, a two-character operator, or any other character.
_TOKEN_RE = re.compile(r'\s*("(?:[^"\\\n]|\\.)*"|\w+|&&|\|\||==|!=|>=|<=|\S)')


class HeaderError(ValueError):
    """A header this parser cannot follow (unbalanced #if/#endif); names file and line."""


@frozen
class HeaderParam:
    name: str
    c_type: str  # normalized: "SEC_CHAR *", "unsigned __LONG32", "void **"


@frozen
class HeaderPrototype:
    name: str
    return_type: str
    params: tuple[HeaderParam, ...]
    line: int  # line of the function name
    file: str

    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def where(self) -> str:
        return f"{Path(self.file).name}:{self.line}"

    def text(self) -> str:
        """``SECURITY_STATUS Name(SEC_CHAR *pszPackage, ULONG fFlags);`` (specifiers dropped)."""
        parts = [f"{p.c_type}{p.name}" if p.c_type.endswith("*") else f"{p.c_type} {p.name}" for p in self.params]
        return f"{self.return_type} {self.name}({', '.join(parts)});"


@frozen
class HeaderDecls:
    """The declarations of one header, per mode."""

    file: str
    by_mode: tuple[tuple[str, tuple[HeaderPrototype, ...]], ...]  # (mode, prototypes) in MODES order
    aw_aliases: tuple[tuple[str, int], ...]  # (neutral name, line) of each __MINGW_NAME_AW alias

    def prototypes(self, mode: str) -> tuple[HeaderPrototype, ...]:
        for m, protos in self.by_mode:
            if m == mode:
                return protos
        raise KeyError(f"unknown mode {mode!r} (known: {', '.join(MODES)})")

    def get(self, name: str, mode: str) -> HeaderPrototype | None:
        for p in self.prototypes(mode):
            if p.name == name:
                return p
        return None

    def declared(self, name: str) -> dict[str, HeaderPrototype]:
        """{mode: prototype} for every mode that declares ``name``."""
        return {m: p for m, protos in self.by_mode for p in protos if p.name == name}

    def names(self) -> tuple[str, ...]:
        return tuple(sorted({p.name for _, protos in self.by_mode for p in protos}))

    def alias_neutral_names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.aw_aliases)


# --- preprocessing ---------------------------------------------------------------------------


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) with comments blanked and backslash continuations joined.

    Comments are replaced by a space, newlines inside a block comment are kept so line
    numbers stay right for the lines after it.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(" " + "\n" * text.count("\n", i, end))
            i = end
        elif c == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    lines = "".join(out).split("\n")
    lineno = 0
    while lineno < len(lines):
        start = lineno + 1
        buf = lines[lineno]
        while buf.endswith("\\") and lineno + 1 < len(lines):
            lineno += 1
            buf = buf[:-1] + " " + lines[lineno]
        yield start, buf
        lineno += 1


class _Expr:
    """``#if`` expressions: integers, macros, ``defined``, ``! && || == != < > <= >=``, parens.

    Evaluates to an int, or None when a macro's value is not an integer.
    """

    def __init__(self, text: str, macros: dict[str, str]) -> None:
        self.toks = [m.group(1) for m in _TOKEN_RE.finditer(text)]
        self.pos = 0
        self.macros = macros

    def peek(self) -> str | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise ValueError("unexpected end of expression")
        self.pos += 1
        return tok

    def parse(self) -> int | None:
        value = self.or_expr()
        if self.peek() is not None:
            raise ValueError(f"unexpected {self.peek()!r}")
        return value

    def or_expr(self) -> int | None:
        value = self.and_expr()
        while self.peek() == "||":
            self.take()
            rhs = self.and_expr()
            if value or rhs:
                value = 1
            elif value is None or rhs is None:
                value = None
            else:
                value = 0
        return value

    def and_expr(self) -> int | None:
        value = self.cmp_expr()
        while self.peek() == "&&":
            self.take()
            rhs = self.cmp_expr()
            if value == 0 or rhs == 0:
                value = 0
            elif value is None or rhs is None:
                value = None
            else:
                value = 1
        return value

    def cmp_expr(self) -> int | None:
        value = self.unary()
        op = self.peek()
        if op in ("==", "!=", "<", ">", "<=", ">="):
            self.take()
            rhs = self.unary()
            if value is None or rhs is None:
                return None
            return int(
                {"==": value == rhs, "!=": value != rhs, "<": value < rhs, ">": value > rhs,
                 "<=": value <= rhs, ">=": value >= rhs}[op]
            )
        return value

    def unary(self) -> int | None:
        tok = self.take()
        if tok == "!":
            v = self.unary()
            return None if v is None else int(not v)
        if tok == "(":
            v = self.or_expr()
            if self.take() != ")":
                raise ValueError("missing ')'")
            return v
        if tok == "defined":
            paren = self.peek() == "("
            if paren:
                self.take()
            name = self.take()
            if paren and self.take() != ")":
                raise ValueError("missing ')' after defined(")
            return int(name in self.macros)
        if tok[0].isdigit():
            return int(tok.rstrip("uUlL"), 0)
        if tok.isidentifier():
            if tok not in self.macros:
                return 0  # C: an identifier that is not a macro evaluates to 0
            body = self.macros[tok].strip()
            if re.fullmatch(r"\d+[uUlL]*|0[xX][0-9A-Fa-f]+[uUlL]*", body):
                return int(body.rstrip("uUlL"), 0)
            return None
        raise ValueError(f"unexpected {tok!r}")


def preprocess(
    text: str, defines: dict[str, str], file: str = "<header>"
) -> tuple[list[tuple[int, str]], list[tuple[str, int]]]:
    """The lines a compiler would see with ``defines`` set, and the A/W aliases defined.

    Returns ``(lines, aliases)``: ``lines`` are (line number, text) of the active non-directive
    lines; ``aliases`` are (neutral name, line) for each active ``#define X __MINGW_NAME_AW(X)``.
    """
    macros = dict(defines)
    # Each open conditional: (active now, some branch already taken, parent active, #if line)
    stack: list[tuple[bool, bool, bool, int]] = []
    active = True
    lines: list[tuple[int, str]] = []
    aliases: list[tuple[str, int]] = []

    def evaluate(expr: str, lineno: int) -> bool:
        try:
            value = _Expr(expr, macros).parse()
        except ValueError as e:
            raise HeaderError(f"{file}:{lineno}: cannot evaluate #if {expr.strip()!r}: {e}") from None
        return True if value is None else bool(value)  # unknown -> keep the branch (see module doc)

    for lineno, line in _logical_lines(text):
        stripped = line.strip()
        if not stripped.startswith("#"):
            if active and stripped:
                lines.append((lineno, line))
            continue
        m = re.match(r"#\s*(\w+)\s*(.*)$", stripped)
        if not m:
            continue
        directive, rest = m.group(1), m.group(2).strip()
        if directive in ("if", "ifdef", "ifndef"):
            parent = active
            if directive == "if":
                cond = evaluate(rest, lineno) if parent else False
            else:
                name = rest.split()[0] if rest else ""
                cond = (name in macros) == (directive == "ifdef")
            stack.append((parent and cond, parent and cond, parent, lineno))
            active = parent and cond
        elif directive in ("elif", "else"):
            if not stack:
                raise HeaderError(f"{file}:{lineno}: #{directive} without #if")
            _, taken, parent, start = stack.pop()
            if taken or not parent:
                now = False
            else:
                now = evaluate(rest, lineno) if directive == "elif" else True
            stack.append((now, taken or now, parent, start))
            active = now
        elif directive == "endif":
            if not stack:
                raise HeaderError(f"{file}:{lineno}: #endif without #if")
            stack.pop()
            active = stack[-1][0] if stack else True
        elif not active:
            continue
        elif directive == "define":
            dm = re.match(r"(\w+)(\([^)]*\))?\s*(.*)$", rest)
            if dm:
                name, params, body = dm.group(1), dm.group(2), dm.group(3)
                alias = _AW_ALIAS_RE.match(f"{name} {body}")
                if alias and alias.group(1) == alias.group(2):
                    aliases.append((name, lineno))
                if params is None:
                    macros[name] = body
        elif directive == "undef":
            macros.pop(rest.split()[0] if rest else "", None)
        # #include, #error, #pragma, #line: nothing to do for prototypes
    if stack:
        raise HeaderError(f"{file}:{stack[-1][3]}: #if without #endif")
    return lines, aliases


# --- declarations ----------------------------------------------------------------------------


def _tokens(lines: list[tuple[int, str]]) -> list[tuple[str, int]]:
    toks: list[tuple[str, int]] = []
    for lineno, line in lines:
        toks.extend((m.group(1), lineno) for m in _TOKEN_RE.finditer(line))
    return toks


def _join_type(tokens: list[str]) -> str:
    """``["SEC_CHAR", "*"]`` -> ``"SEC_CHAR *"``; ``["void", "*", "*"]`` -> ``"void **"``."""
    out = ""
    for tok in tokens:
        if tok == "*":
            out += "*" if out.endswith("*") else " *"
        else:
            out += (" " if out else "") + tok
    return out.strip()


def _param(tokens: list[str]) -> HeaderParam | None:
    if not tokens or tokens == ["void"] or tokens == ["VOID"]:
        return None
    # the name is the last identifier; a trailing [] array suffix stays with the type
    idx = max(i for i, t in enumerate(tokens) if t.isidentifier())
    name = tokens[idx]
    c_type = _join_type(tokens[:idx] + tokens[idx + 1 :])
    if not c_type:  # an unnamed parameter "PCredHandle": the only identifier is the type
        return HeaderParam(name="", c_type=name)
    return HeaderParam(name=name, c_type=c_type)


def _declaration(stmt: list[tuple[str, int]], file: str) -> HeaderPrototype | None:
    """A prototype from one file-scope statement (without its ';'), or None."""
    words = [t for t, _ in stmt]
    if not words or words[0] in ("typedef", "struct", "union", "enum") or "{" in words or words[-1] != ")":
        return None
    # find the '(' matching the final ')'
    depth = 0
    open_idx = -1
    for i in range(len(words) - 1, -1, -1):
        if words[i] == ")":
            depth += 1
        elif words[i] == "(":
            depth -= 1
            if depth == 0:
                open_idx = i
                break
    if open_idx < 1 or not words[open_idx - 1].isidentifier():
        return None
    if "(" in words[: open_idx - 1]:  # a function pointer or macro call, not a prototype
        return None
    name = words[open_idx - 1]
    ret = [w for w in words[: open_idx - 1] if w not in _SPECIFIERS]
    if not ret:
        return None
    params: list[HeaderParam] = []
    current: list[str] = []
    depth = 0
    for w in words[open_idx + 1 : -1]:
        if w == "," and depth == 0:
            p = _param(current)
            if p is not None:
                params.append(p)
            current = []
            continue
        depth += {"(": 1, ")": -1}.get(w, 0)
        current.append(w)
    p = _param(current)
    if p is not None:
        params.append(p)
    return HeaderPrototype(
        name=name, return_type=_join_type(ret).replace(" *", "*"), params=tuple(params),
        line=stmt[open_idx - 1][1], file=file,
    )


def declarations(lines: list[tuple[int, str]], file: str) -> tuple[HeaderPrototype, ...]:
    """Every function prototype at file scope in preprocessed ``lines``, in header order."""
    toks = _tokens(lines)
    protos: list[HeaderPrototype] = []
    stmt: list[tuple[str, int]] = []
    braces = 0
    i = 0
    while i < len(toks):
        tok, _ = toks[i]
        # extern "C" { ... }: a linkage block, not a scope
        if tok == "extern" and i + 2 < len(toks) and toks[i + 1][0].startswith('"') and toks[i + 2][0] == "{":
            i += 3
            continue
        if tok == "{":
            braces += 1
        elif tok == "}":
            braces = max(0, braces - 1)
        if tok == ";" and braces == 0:
            proto = _declaration(stmt, file)
            if proto is not None:
                protos.append(proto)
            stmt = []
        else:
            stmt.append(toks[i])
        i += 1
    return tuple(protos)


def parse_header_text(text: str, file: str = "sspi.h") -> HeaderDecls:
    """Read a header's text in each mode of MODES."""
    by_mode: list[tuple[str, tuple[HeaderPrototype, ...]]] = []
    aliases: dict[str, int] = {}
    for mode, defines in MODES.items():
        lines, mode_aliases = preprocess(text, defines, file)
        by_mode.append((mode, declarations(lines, file)))
        for name, line in mode_aliases:
            aliases.setdefault(name, line)
    return HeaderDecls(file=file, by_mode=tuple(by_mode), aw_aliases=tuple(sorted(aliases.items())))


@cache
def _load(path: str, mtime_ns: int) -> HeaderDecls:
    return parse_header_text(Path(path).read_text(encoding="utf-8", errors="replace"), path)


def load_header(path: Path) -> HeaderDecls:
    """Parse a header file (cached per path and modification time)."""
    return _load(str(path), os.stat(path).st_mtime_ns)


_MACRO_VALUE_RE = re.compile(
    r"^\s*#\s*define\s+(\w+)\s+\(*\s*(?:\(\s*\w+\s*\)\s*)?(?:_HRESULT_TYPEDEF_\(\s*)?(0[xX][0-9A-Fa-f]+|\d+)[uUlL]*\s*\)*\s*$"
)


def macro_values_text(text: str) -> dict[str, int]:
    """``#define NAME value`` with an integer value, optionally cast: ``((NTSTATUS)0xC000000DL)``,
    ``_HRESULT_TYPEDEF_(0x80100003)``. Other macros are skipped. Used to name codes that are
    not in the SECURITY_STATUS catalog (ntstatus.h)."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        m = _MACRO_VALUE_RE.match(line)
        if m:
            out.setdefault(m.group(1), int(m.group(2), 0))
    return out


@cache
def _load_values(path: str, mtime_ns: int) -> dict[str, int]:
    return macro_values_text(Path(path).read_text(encoding="utf-8", errors="replace"))


def load_macro_values(path: Path) -> dict[str, int]:
    """Integer macro values of a header file (cached per path and modification time)."""
    return dict(_load_values(str(path), os.stat(path).st_mtime_ns))


# --- header facts as data --------------------------------------------------------------------

SSPI_H_DATA = "sspi_h.json"
NTSTATUS_H_DATA = "ntstatus_h.json"
DATA_FORMAT = "sspimodel-header-facts/1"


@frozen
class HeaderFacts:
    """What lint knows from the C headers: sspi.h's declarations and ntstatus.h's values."""

    sspi: HeaderDecls
    ntstatus: tuple[tuple[str, int], ...]  # (name, value) in header order

    def ntstatus_values(self) -> dict[str, int]:
        return dict(self.ntstatus)


def header_facts_from_dir(include_dir: Path) -> HeaderFacts:
    """Read the live headers of an include folder (mingw-w64's); for tools/header_data.py and
    the test that compares the data with them, never for lint."""
    decls = parse_header_text((include_dir / "sspi.h").read_text(encoding="utf-8", errors="replace"), "sspi.h")
    values = macro_values_text((include_dir / "ntstatus.h").read_text(encoding="utf-8", errors="replace"))
    return HeaderFacts(sspi=decls, ntstatus=tuple(values.items()))


def _proto_json(p: HeaderPrototype) -> dict[str, Any]:
    return {"name": p.name, "line": p.line, "return_type": p.return_type,
            "params": [[q.c_type, q.name] for q in p.params]}


def sspi_h_json(decls: HeaderDecls, source: str) -> str:
    """spec/data/sspi_h.json's text: one prototype per line, in header order, per mode."""
    lines = ["{", f'  "format": {json.dumps(DATA_FORMAT)},', f'  "source": {json.dumps(source)},',
             f'  "file": {json.dumps(Path(decls.file).name)},', '  "modes": {']
    for i, (mode, protos) in enumerate(decls.by_mode):
        lines.append(f'    {json.dumps(mode)}: {{"defines": {json.dumps(MODES[mode])}, "prototypes": [')
        lines += [f"      {json.dumps(_proto_json(p))}" + ("," if j < len(protos) - 1 else "")
                  for j, p in enumerate(protos)]
        lines.append("    ]}" + ("," if i < len(decls.by_mode) - 1 else ""))
    lines.append("  },")
    lines.append('  "aw_aliases": [')
    lines += [f"    {json.dumps([name, line])}" + ("," if j < len(decls.aw_aliases) - 1 else "")
              for j, (name, line) in enumerate(decls.aw_aliases)]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def ntstatus_h_json(values: tuple[tuple[str, int], ...], source: str) -> str:
    """spec/data/ntstatus_h.json's text: one ``"NAME": "0x..."`` per line, in header order."""
    lines = ["{", f'  "format": {json.dumps(DATA_FORMAT)},', f'  "source": {json.dumps(source)},',
             '  "values": {']
    lines += [f'    {json.dumps(name)}: "0x{value:08X}"' + ("," if j < len(values) - 1 else "")
              for j, (name, value) in enumerate(values)]
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


class HeaderDataError(SpecDataError):
    """A header-facts data file that cannot be read; names the file and what is wrong."""


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise HeaderDataError(f"{path}: cannot read header facts: {e}") from None
    if not isinstance(data, dict) or data.get("format") != DATA_FORMAT:
        raise HeaderDataError(f"{path}: not a header-facts file (format {DATA_FORMAT!r} expected)")
    return data


@cache
def _load_facts(sspi_path: str, ntstatus_path: str) -> HeaderFacts:
    sspi, nts = _read_json(Path(sspi_path)), _read_json(Path(ntstatus_path))
    try:
        file = sspi["file"]
        by_mode = tuple(
            (mode, tuple(
                HeaderPrototype(name=p["name"], return_type=p["return_type"], line=int(p["line"]), file=file,
                                params=tuple(HeaderParam(name=n, c_type=t) for t, n in p["params"]))
                for p in sspi["modes"][mode]["prototypes"]))
            for mode in MODES
        )
        aliases = tuple((str(n), int(line)) for n, line in sspi["aw_aliases"])
    except (KeyError, TypeError, ValueError) as e:
        raise HeaderDataError(f"{sspi_path}: malformed header facts ({type(e).__name__}: {e})") from None
    try:
        values = tuple((str(n), int(v, 16)) for n, v in nts["values"].items())
    except (AttributeError, TypeError, ValueError) as e:
        raise HeaderDataError(f"{ntstatus_path}: malformed values ({type(e).__name__}: {e})") from None
    return HeaderFacts(sspi=HeaderDecls(file=file, by_mode=by_mode, aw_aliases=aliases), ntstatus=values)


def load_header_facts(spec_dir: Path | None = None) -> HeaderFacts:
    """The header facts of a spec's data/ folder, or the packaged ones when that folder has none
    (a spec copied before the facts were data still lints the same way)."""
    paths = []
    for name in (SSPI_H_DATA, NTSTATUS_H_DATA):
        path = data_file(name, spec_dir)
        paths.append(str(path if path.is_file() else packaged_data_dir() / name))
    return _load_facts(*paths)
