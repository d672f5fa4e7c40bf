"""Conformance scenarios: SSPI call sequences as data, loaded and validated from YAML.

A scenario file (``spec/scenarios/*.yaml``) is one scenario; files whose name starts with ``_``
are fragments (``description`` and ``steps`` only) that scenarios include::

    name: ntlm-handshake                 # unique among the files run together
    description: free text
    mode: user                           # user | kernel (the Sspi*Async family needs kernel)
    identities:                          # neutral SEC_WINNT_AUTH_IDENTITY values, bound as $name
      alice: {user: alice, domain: CONTOSO, password: "Passw0rd!alice"}
    answers:                             # the model's scripted user (credential prompts), in order:
      - submit: {user: alice, domain: CONTOSO, password: "Passw0rd!alice", save: true}
      - cancel: null                     # (user, domain and save are optional; a native run has no user)
    steps:
      - include: _ntlm_handshake.yaml    # the steps of a fragment file, inlined; an optional
        expect: {asc2: SEC_E_LOGON_DENIED} # `expect` overrides the fragment's, by step id
      - id: seal                         # optional; names the step for `when` and in reports
        call: EncryptMessage             # a function with a page in spec/pages
        args:                            # the page's parameter names
          phContext: $client_ctx         # $name: a value kept by an earlier step
          fQOP: 0
          pMessage: [{type: TOKEN, size: 16}, {type: DATA, data: "hello"}]
          MessageSeqNo: 0
        keep: {sealed: pMessage}         # variable: FIELD, FIELD.BUFFERTYPE (first buffer's bytes)
                                         # or FIELD.member (a member of the structure returned)
        expect: SEC_E_OK                 # the status the pages lead one to expect
        when: {step: accept2, status: SEC_I_COMPLETE_NEEDED}   # run only if that step returned it
        note: why this step is here (quote the page)

Values (the *neutral* form; each backend's adapter maps them to its own objects):

- scalars: ints (``0x10`` too), strings, ``null`` (a NULL pointer / absent optional parameter);
- constants: for a parameter that is not a string, ``NAME`` or ``NAME | NAME`` with names of
  spec/data/constants.tsv (``ISC_REQ_CONFIDENTIALITY | ISC_REQ_ALLOCATE_MEMORY``);
- ``$name``: a variable (an identity, or a value a previous step kept);
- an identity mapping ``{user: .., domain: .., password: ..}``;
- a buffer list ``[{type: TOKEN, data: $token}, {type: DATA, data: "text"}, {type: TOKEN, size: 16}]``:
  ``type`` is a SECBUFFER_* name without its prefix, ``data`` bytes (a variable, a UTF-8 string,
  or ``{hex: "00ff"}``), ``size`` the capacity of an output slot (no ``data``; a number or a
  variable, e.g. the ``cbMaxSignature`` a QueryContextAttributes step kept);
- ``{forged_handle: [dwLower, dwUpper]}``: a handle the backend never issued (``[0, 0]``: a zeroed one);
- ``{cell: null}``: an empty cell the callee writes through, for a parameter that receives a value
  although its page marks it [in] or gives no direction (EnumerateSecurityPackagesA, the async
  family); backends whose C calls have out pointers of their own ignore it;
- ``{routine: null}``: a routine the callee may call back (pGetKeyFn, a notify callback);
- ``{credui_info: {caption: .., message: .., parent: ..}}``: a CREDUI_INFO (each member optional;
  ``parent`` a window handle number);
- failure-probe transforms of a value: ``{tamper: $x, offset: 3}`` flips the bits of one byte
  (``xor`` sets the mask, default 0xFF; a negative offset counts from the end);
  ``{truncate: $x, length: 10}`` keeps the first bytes (a negative length drops from the end);
  both take ``buffer: DATA`` to act on the first buffer of that type in a buffer list.

A step ``- wait: true`` (optional ``id``, ``note``) lets queued asynchronous work finish (the
model's scheduler runs it); it is not a call and has no record. What an asynchronous call writes
(handles, tokens) exists only once its work has run, so after a wait the ``keep`` variables of the
calls made since the previous wait are bound again from what those calls' outputs now hold.

``keep`` binds only when the call succeeded (a status without the severity bit): the pages define
outputs for success only, so a later step that needs the variable is *skipped* instead of being
fed whatever a failed call left behind. A ``keep`` field may also be ``return``: the C return value of a function that returns no
SECURITY_STATUS (SspiCreateAsyncContext's pointer).

Reordering messages and wrong sequence numbers need no syntax: they are the order of the steps
and the ``MessageSeqNo`` argument.

:func:`load_scenarios` validates every file and collects every problem, each naming file, line,
step and field, before anything runs (packaging's ``Metadata.from_raw(validate=True)`` style).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import yaml
from attrs import field, frozen

from ..datafiles import DataFileError, StrictYamlLoader, read_data_text, yaml_error_line, yaml_error_text
from ..paths import REPO_ROOT, default_spec_dir

__all__ = [
    "WAIT",
    "Answer",
    "BufferSpec",
    "Cell",
    "Condition",
    "Const",
    "CredUiInfoSpec",
    "ForgedHandle",
    "Hex",
    "Identity",
    "Keep",
    "Problem",
    "Routine",
    "Scenario",
    "ScenarioError",
    "Step",
    "Tamper",
    "Truncate",
    "Value",
    "Var",
    "default_scenarios_dir",
    "load_scenario",
    "load_scenarios",
]

_STEP_KEYS = frozenset({"id", "call", "args", "keep", "expect", "when", "note"})
_WAIT_KEYS = frozenset({"id", "wait", "note"})
WAIT = "(wait)"  # the call of a wait step
_TOP_KEYS = frozenset({"name", "description", "mode", "identities", "answers", "steps"})
_SUBMIT_KEYS = frozenset({"user", "domain", "password", "save"})
_CREDUI_KEYS = frozenset({"caption", "message", "parent"})
_FRAGMENT_KEYS = frozenset({"description", "steps"})
_IDENTITY_KEYS = frozenset({"user", "domain", "password"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_STEP_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_CONSTANT_EXPR = re.compile(r"^[A-Z][A-Z0-9_]*(\s*\|\s*[A-Z][A-Z0-9_]*)*$")
_STRING_KINDS = frozenset({"ansi_string", "wide_string"})
_MODES = ("user", "kernel")


def default_scenarios_dir() -> Path:
    """spec/scenarios/ of the spec directory ($SSPIMODEL_SPEC or the project's spec/)."""
    return default_spec_dir() / "scenarios"


# -- the scenario values ----------------------------------------------------------------------


@frozen
class Var:
    """``$name``: a variable bound by ``identities`` or by the ``keep`` of an earlier step."""

    name: str

    def __str__(self) -> str:
        return f"${self.name}"


@frozen
class Const:
    """Constants of spec/data/constants.tsv OR-ed together, with the names as written."""

    names: tuple[str, ...]
    value: int

    def __str__(self) -> str:
        return " | ".join(self.names)


@frozen
class Hex:
    """Literal bytes given in hex."""

    data: bytes

    def __str__(self) -> str:
        return f"hex:{self.data.hex()}"


@frozen
class Identity:
    """A SEC_WINNT_AUTH_IDENTITY: user, domain and password."""

    user: str
    domain: str
    password: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.domain}\\{self.user}"


@frozen
class BufferSpec:
    """One SecBuffer: ``type`` (SECBUFFER_* value), contents or an output slot's capacity."""

    type_name: str  # as written, without the SECBUFFER_ prefix
    type: int
    data: Value | None = None
    size: int | Var | None = None

    def __str__(self) -> str:
        what = f"={self.data}" if self.data is not None else f"[{self.size or 0}]"
        return f"{self.type_name}{what}"


@frozen
class ForgedHandle:
    """A CredHandle/CtxtHandle the backend never issued (``0, 0`` is a zeroed handle)."""

    dwLower: int
    dwUpper: int

    def __str__(self) -> str:
        return f"forged({self.dwLower:#x}, {self.dwUpper:#x})"


@frozen
class Cell:
    """``{cell: null}``: an empty pointer cell the callee writes through (the model's ``Ref()``), for
    a parameter that receives a value although its page marks it [in] or gives no direction."""

    def __str__(self) -> str:
        return "cell"


@frozen
class Routine:
    """``{routine: null}``: a routine the callee may call back (pGetKeyFn, an async notify
    callback); the model's adapter passes one that records its calls."""

    def __str__(self) -> str:
        return "routine"


@frozen
class Tamper:
    """The value with one byte XOR-ed with ``xor`` (at ``offset``; negative: from the end)."""

    source: Value
    offset: int
    xor: int = 0xFF
    buffer: tuple[str, int] | None = None  # (name, SECBUFFER_* value) in a buffer list

    def __str__(self) -> str:
        where = f" {self.buffer[0]}" if self.buffer else ""
        return f"tamper({self.source}{where} @{self.offset})"


@frozen
class Truncate:
    """The value's first ``length`` bytes (negative: all but the last ``-length``)."""

    source: Value
    length: int
    buffer: tuple[str, int] | None = None

    def __str__(self) -> str:
        where = f" {self.buffer[0]}" if self.buffer else ""
        return f"truncate({self.source}{where} to {self.length})"


@frozen
class CredUiInfoSpec:
    """``{credui_info: {...}}``: a CREDUI_INFO (caption, message text, parent window handle)."""

    caption: str | None = None
    message: str | None = None
    parent: int | None = None

    def __str__(self) -> str:
        return f"credui_info(caption={self.caption!r}, message={self.message!r}, parent={self.parent!r})"


@frozen
class Answer:
    """One answer of the model's scripted user: ``submit`` (the fields typed, the Save box) or ``cancel``."""

    kind: str  # "submit" | "cancel"
    password: str = field(default="", repr=False)
    user: str | None = None
    domain: str | None = None
    save: bool | None = None


# A scenario value: scalars, or one of the classes above, or a tuple of BufferSpec (a buffer list).
Value = (
    int | str | bool | None | Var | Const | Hex | Identity | ForgedHandle | Cell | Routine | Tamper | Truncate
    | CredUiInfoSpec | tuple[BufferSpec, ...]
)


@frozen
class Keep:
    """Bind ``var`` to the result field ``field``; with ``part`` (``field.TOKEN``) to the bytes of its
    first buffer of that type; with ``member`` (``field.cbMaxSignature``) to that member of the
    structure the field holds."""

    var: str
    field: str
    part: tuple[str, int] | None = None  # (buffer type name, SECBUFFER_* value)
    member: str | None = None

    def __str__(self) -> str:
        suffix = f".{self.part[0]}" if self.part else (f".{self.member}" if self.member else "")
        return f"{self.var} = {self.field}{suffix}"


@frozen
class Condition:
    """Run the step only if step ``step`` returned one of ``statuses`` (compared by value)."""

    step: str
    statuses: tuple[str, ...]

    def __str__(self) -> str:
        return f"when {self.step} returned {' or '.join(self.statuses)}"


@frozen
class Step:
    index: int  # 1-based position in the scenario (after includes are inlined)
    id: str
    call: str
    args: tuple[tuple[str, Value], ...]
    keep: tuple[Keep, ...] = ()
    expect: str | None = None  # a status name
    when: Condition | None = None
    note: str = ""
    source: str = ""  # "file:line" of the step (a fragment's when included)

    def describe_args(self) -> str:
        return ", ".join(f"{name}={_show(value)}" for name, value in self.args)


def _show(value: Value) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(b) for b in value) + "]"
    if isinstance(value, str):
        return repr(value)
    return str(value)


@frozen
class Scenario:
    name: str
    path: Path
    description: str
    mode: str  # "user" | "kernel"
    identities: tuple[tuple[str, Identity], ...]
    steps: tuple[Step, ...]
    answers: tuple[Answer, ...] = ()  # the model's scripted user (sspimodel.model.prompts)

    @property
    def functions(self) -> tuple[str, ...]:
        """The functions the scenario calls, in first-call order."""
        seen: dict[str, None] = {}
        for s in self.steps:
            if s.call != WAIT:
                seen.setdefault(s.call, None)
        return tuple(seen)

    @property
    def display_path(self) -> str:
        return _display(self.path)


# -- errors -----------------------------------------------------------------------------------


@frozen
class Problem:
    """One thing wrong with a scenario file."""

    file: str
    line: int
    where: str  # "step 3 (isc1) InitializeSecurityContextW" or "scenario"
    field: str  # "args.fContextReq", "keep", ...
    message: str

    def __str__(self) -> str:
        fieldpart = f": field {self.field}" if self.field else ""
        return f"{self.file}:{self.line}: {self.where}{fieldpart}: {self.message}"


# Limits (far above what the scenarios use): a scenario file's size, include nesting, and the
# number of steps after includes are inlined.
MAX_SCENARIO_BYTES = 1024 * 1024
MAX_INCLUDE_DEPTH = 8
MAX_STEPS = 10_000


class ScenarioError(ValueError):
    """One or more scenario files are invalid; ``problems`` lists each, with file, line, step, field."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in scenario files:"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


# -- YAML with line numbers -------------------------------------------------------------------


class _Map(dict[str, Any]):
    line: int = 0
    key_lines: dict[str, int]


class _Seq(list[Any]):
    line: int = 0
    item_lines: list[int]


class _LineLoader(StrictYamlLoader):
    """SafeLoader whose mappings and sequences remember the line of each key / item; as every
    data file's loader, it refuses anchors and aliases and nesting deeper than MAX_DEPTH."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> Iterator[_Map]:
    data = _Map()
    data.line = node.start_mark.line + 1
    data.key_lines = {}
    yield data
    for key_node, _ in node.value:
        data.key_lines[str(key_node.value)] = key_node.start_mark.line + 1
    # Keys are names (parameters, variables, step fields): a key YAML reads as another type
    # (``1:``, ``yes:``) is kept as its text, so that errors can name it.
    data.update({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode) -> Iterator[_Seq]:
    data = _Seq()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_sequence(node, deep=True))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _line(node: object, key: str | None = None, default: int = 1) -> int:
    if isinstance(node, _Map):
        if key is not None and key in node.key_lines:
            return node.key_lines[key]
        return node.line
    if isinstance(node, _Seq):
        return node.line
    return default


# -- loading ----------------------------------------------------------------------------------


@cache
def _constants() -> dict[str, int]:
    from ..constants_data import load_constants

    return {name: c.value for name, c in load_constants().items()}


@cache
def _statuses() -> dict[str, int]:
    from ..status import load_catalog

    return {e.name: e.value for e in load_catalog().entries}


def _contracts() -> Mapping[str, Any]:
    from .._generated import CONTRACTS

    return CONTRACTS


class _Builder:
    """Turns the YAML of one scenario file (and its includes) into a Scenario, collecting problems."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.steps: list[Step] = []
        self.ids: dict[str, int] = {}
        self.defined: set[str] = set()
        self.including: list[Path] = []

    def problem(self, file: Path, line: int, where: str, fieldname: str, message: str) -> None:
        self.problems.append(Problem(_display(file), line, where, fieldname, message))

    # -- top level ----------------------------------------------------------------------------

    def scenario(self) -> Scenario | None:
        raw = self._read(self.path)
        if raw is None:
            return None
        file = self.path
        if not isinstance(raw, _Map):
            self.problem(file, _line(raw), "scenario", "", "the file must hold a mapping (name, steps, ...)")
            return None
        for key in sorted(set(raw) - _TOP_KEYS):
            self.problem(file, _line(raw, key), "scenario", key, f"unknown key (expected one of {', '.join(sorted(_TOP_KEYS))})")
        name = raw.get("name")
        if not isinstance(name, str) or not _STEP_ID.match(name):
            self.problem(file, _line(raw, "name"), "scenario", "name", f"expected a name of letters, digits, '-', '_' or '.', got {name!r}")
            name = self.path.stem
        description = raw.get("description", "")
        if not isinstance(description, str):
            self.problem(file, _line(raw, "description"), "scenario", "description", "expected text")
            description = ""
        mode = raw.get("mode", "user")
        if mode not in _MODES:
            self.problem(file, _line(raw, "mode"), "scenario", "mode", f"expected user or kernel, got {mode!r}")
            mode = "user"
        identities = self._identities(raw)
        answers = self._answers(raw)
        steps = raw.get("steps")
        if not isinstance(steps, _Seq) or not steps:
            self.problem(file, _line(raw, "steps"), "scenario", "steps", "expected a non-empty list of steps")
        else:
            self._steps(file, steps)
        if self.problems:
            return None
        return Scenario(name, self.path, description.strip(), mode, identities, tuple(self.steps), answers)

    def _read(self, path: Path) -> Any:
        """The YAML of ``path`` (None, with the problem recorded, when it cannot be used)."""
        try:
            text = read_data_text(path, MAX_SCENARIO_BYTES)
        except FileNotFoundError:
            self.problem(path, 1, "scenario", "", "cannot read: no such file")
            return None
        except DataFileError as exc:
            self.problem(path, exc.line, "scenario", "", exc.message)
            return None
        try:
            data = yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass
        except yaml.YAMLError as exc:
            self.problem(path, yaml_error_line(exc), "scenario", "", f"not valid YAML: {yaml_error_text(exc)}")
            return None
        except RecursionError:
            self.problem(path, 1, "scenario", "", "not valid YAML: nesting too deep")
            return None
        if data is None:
            self.problem(path, 1, "scenario", "", "the file is empty (a scenario holds name and steps)")
        return data

    def _identities(self, raw: _Map) -> tuple[tuple[str, Identity], ...]:
        node = raw.get("identities", _Map())
        if not isinstance(node, _Map):
            self.problem(self.path, _line(raw, "identities"), "scenario", "identities", "expected a mapping name: {user, domain, password}")
            return ()
        out = []
        for name, value in node.items():
            where_line = _line(node, name)
            if not _NAME.match(str(name)):
                self.problem(self.path, where_line, "scenario", f"identities.{name}", "not a valid variable name")
                continue
            ident = self._identity(self.path, where_line, "scenario", f"identities.{name}", value)
            if ident is not None:
                out.append((str(name), ident))
                self.defined.add(str(name))
        return tuple(out)

    def _answers(self, raw: _Map) -> tuple[Answer, ...]:
        node = raw.get("answers", _Seq())
        if not isinstance(node, _Seq):
            self.problem(self.path, _line(raw, "answers"), "scenario", "answers", "expected a list of {submit: {...}} or {cancel: null}")
            return ()
        out = []
        for i, item in enumerate(node):
            line = node.item_lines[i] if i < len(node.item_lines) else node.line
            fieldname = f"answers[{i}]"
            if isinstance(item, _Map) and set(item) == {"cancel"} and item["cancel"] is None:
                out.append(Answer("cancel"))
                continue
            if not isinstance(item, _Map) or set(item) != {"submit"} or not isinstance(item["submit"], _Map):
                self.problem(self.path, line, "scenario", fieldname, "an answer is {submit: {password, user, domain, save}} or {cancel: null}")
                continue
            sub = item["submit"]
            unknown = sorted(set(sub) - _SUBMIT_KEYS)
            if unknown or not isinstance(sub.get("password"), str):
                self.problem(self.path, line, "scenario", fieldname, f"submit needs a password string and takes user, domain, save (unknown: {unknown})")
                continue
            if any(sub.get(k) is not None and not isinstance(sub.get(k), str) for k in ("user", "domain")) or (
                sub.get("save") is not None and not isinstance(sub.get("save"), bool)
            ):
                self.problem(self.path, line, "scenario", fieldname, "user and domain must be strings, save true or false")
                continue
            out.append(Answer("submit", sub["password"], sub.get("user"), sub.get("domain"), sub.get("save")))
        return tuple(out)

    def _identity(self, file: Path, line: int, where: str, fieldname: str, value: object) -> Identity | None:
        if not isinstance(value, Mapping) or set(value) != _IDENTITY_KEYS:
            keys = sorted(value) if isinstance(value, Mapping) else type(value).__name__
            self.problem(file, line, where, fieldname, f"an identity needs exactly user, domain and password (got {keys})")
            return None
        parts = [value[k] for k in ("user", "domain", "password")]
        if not all(isinstance(p, str) for p in parts):
            self.problem(file, line, where, fieldname, "user, domain and password must be strings")
            return None
        return Identity(*parts)

    # -- steps --------------------------------------------------------------------------------

    def _steps(self, file: Path, steps: _Seq) -> None:
        for i, raw in enumerate(steps):
            line = steps.item_lines[i] if i < len(steps.item_lines) else steps.line
            if len(self.steps) >= MAX_STEPS:
                self.problem(file, line, "steps", "", f"more than {MAX_STEPS} steps (after includes)")
                return
            if isinstance(raw, _Map) and "include" in raw:
                self._include(file, line, raw)
            elif isinstance(raw, _Map) and "wait" in raw:
                self._wait(file, line, raw)
            else:
                self._step(file, line, raw)

    def _include(self, file: Path, line: int, raw: _Map) -> None:
        where = f"step {len(self.steps) + 1} (include)"
        if set(raw) - {"include", "expect"} or not isinstance(raw["include"], str):
            self.problem(
                file, line, where, "include", "an include step is `- include: FILE.yaml` with an optional `expect: {STEP-ID: STATUS}`"
            )
            return
        overrides = raw.get("expect", _Map())
        if not isinstance(overrides, _Map):
            self.problem(file, _line(raw, "expect"), where, "expect", "expected a mapping of the fragment's step ids to statuses")
            return
        for step_id, status in overrides.items():
            if not isinstance(status, str) or status not in _statuses():
                self.problem(file, _line(overrides, step_id), where, f"expect.{step_id}", f"{status!r} is not a status of spec/data/status.tsv")
        target = (file.parent / raw["include"]).resolve()
        root = self.path.resolve().parent
        if not target.is_relative_to(root):
            self.problem(
                file, line, where, "include",
                f"{raw['include']} is outside the scenarios folder (an include names a fragment inside it)",
            )
            return
        if len(self.including) >= MAX_INCLUDE_DEPTH:
            self.problem(file, line, where, "include", f"includes nested more than {MAX_INCLUDE_DEPTH} deep")
            return
        if target in self.including or target == self.path.resolve():
            self.problem(file, line, where, "include", f"{raw['include']} includes itself")
            return
        fragment = self._read(target)
        if fragment is None:
            return
        if not isinstance(fragment, _Map) or not isinstance(fragment.get("steps"), _Seq):
            self.problem(target, _line(fragment), "fragment", "steps", "a fragment file holds `steps:` (and an optional description)")
            return
        for key in sorted(set(fragment) - _FRAGMENT_KEYS):
            self.problem(target, _line(fragment, key), "fragment", key, "unknown key (a fragment holds description and steps)")
        self.including.append(target)
        first = len(self.steps)
        try:
            self._steps(target, fragment["steps"])
        finally:
            self.including.pop()
        # The including scenario states what it expects where it departs from the fragment's happy path.
        included = {st.id: i for i, st in enumerate(self.steps[first:], first)}
        for step_id, status in overrides.items():
            if step_id not in included:
                self.problem(file, _line(overrides, step_id), where, f"expect.{step_id}", f"{raw['include']} has no step {step_id!r}")
            elif isinstance(status, str) and status in _statuses():
                i = included[step_id]
                self.steps[i] = attrs.evolve(self.steps[i], expect=status)

    def _wait(self, file: Path, line: int, raw: _Map) -> None:
        index = len(self.steps) + 1
        step_id = raw.get("id", f"s{index}")
        where = f"step {index} (wait)"
        for key in sorted(set(raw) - _WAIT_KEYS):
            self.problem(file, _line(raw, key), where, key, "a wait step has wait: true, and optional id and note")
        if raw.get("wait") is not True:
            self.problem(file, _line(raw, "wait"), where, "wait", "write `wait: true`")
        if not isinstance(step_id, str) or not _STEP_ID.match(step_id) or step_id in self.ids:
            self.problem(file, _line(raw, "id"), where, "id", f"{step_id!r} is not a new step id")
            step_id = f"s{index}"
        note = raw.get("note", "")
        self.ids.setdefault(step_id, index)
        self.steps.append(Step(index, step_id, WAIT, (), note=" ".join(str(note).split()), source=f"{_display(file)}:{line}"))

    def _step(self, file: Path, line: int, raw: object) -> None:
        index = len(self.steps) + 1
        if not isinstance(raw, _Map):
            self.problem(file, line, f"step {index}", "", "a step is a mapping with call, args, keep, expect, when, note")
            self.steps.append(Step(index, f"s{index}", "?", ()))
            return
        call = raw.get("call")
        step_id = raw.get("id", f"s{index}")
        where = f"step {index}" + (f" ({step_id})" if "id" in raw else "") + (f" {call}" if isinstance(call, str) else "")
        for key in sorted(set(raw) - _STEP_KEYS):
            self.problem(file, _line(raw, key), where, key, f"unknown key (expected one of {', '.join(sorted(_STEP_KEYS))})")
        if not isinstance(step_id, str) or not _STEP_ID.match(step_id):
            self.problem(file, _line(raw, "id"), where, "id", f"expected letters, digits, '-', '_' or '.', got {step_id!r}")
            step_id = f"s{index}"
        elif step_id in self.ids:
            self.problem(file, _line(raw, "id"), where, "id", f"duplicate step id (step {self.ids[step_id]} has it)")
        contract = None
        if not isinstance(call, str):
            self.problem(file, _line(raw, "call"), where, "call", "missing: the function to call")
        else:
            contract = _contracts().get(call)
            if contract is None:
                self.problem(file, _line(raw, "call"), where, "call", f"{call} has no page in spec/pages")
        args = self._args(file, raw, where, contract)
        keep = self._keep(file, raw, where, contract)
        expect = self._expect(file, raw, where)
        when = self._when(file, raw, where)
        note = raw.get("note", "")
        if not isinstance(note, str):
            self.problem(file, _line(raw, "note"), where, "note", "expected text")
            note = ""
        # Variables kept by this step exist only for later steps.
        for k in keep:
            self.defined.add(k.var)
        self.ids.setdefault(step_id, index)
        self.steps.append(
            Step(
                index,
                step_id,
                call if isinstance(call, str) else "?",
                args,
                keep,
                expect,
                when,
                " ".join(note.split()),
                f"{_display(file)}:{line}",
            )
        )

    def _args(self, file: Path, raw: _Map, where: str, contract: Any) -> tuple[tuple[str, Value], ...]:
        node = raw.get("args", _Map())
        if not isinstance(node, _Map):
            self.problem(file, _line(raw, "args"), where, "args", "expected a mapping of parameter names to values")
            return ()
        params = {p.name: p for p in contract.params} if contract is not None else {}
        out: list[tuple[str, Value]] = []
        for name, value in node.items():
            fieldname = f"args.{name}"
            line = _line(node, name)
            param = params.get(name)
            if contract is not None and param is None:
                known = ", ".join(p.name for p in contract.params) or "none"
                self.problem(file, line, where, fieldname, f"{contract.name}'s page has no parameter {name} (parameters: {known})")
                continue
            if param is not None and param.direction == "out":
                self.problem(file, line, where, fieldname, f"{name} is an [out] parameter on the page: the callee fills it")
                continue
            kind = param.kind if param is not None else "any"
            out.append((str(name), self._value(file, line, where, fieldname, value, kind)))
        return tuple(out)

    def _value(self, file: Path, line: int, where: str, fieldname: str, value: object, kind: str) -> Value:
        if value is None or isinstance(value, bool | int):
            return value
        if isinstance(value, str):
            if value.startswith("$"):
                return self._var(file, line, where, fieldname, value)
            if kind not in _STRING_KINDS and _CONSTANT_EXPR.match(value):
                return self._const(file, line, where, fieldname, value)
            return value
        if isinstance(value, _Seq):
            return self._buffers(file, where, fieldname, value)
        if isinstance(value, _Map):
            return self._mapping_value(file, where, fieldname, value, kind)
        self.problem(file, line, where, fieldname, f"unsupported value {value!r}")
        return None

    def _var(self, file: Path, line: int, where: str, fieldname: str, text: str) -> Var:
        name = text[1:]
        if not _NAME.match(name):
            self.problem(file, line, where, fieldname, f"{text!r} is not a variable reference ($ and a name)")
        elif name not in self.defined:
            known = ", ".join(f"${n}" for n in sorted(self.defined)) or "none"
            self.problem(file, line, where, fieldname, f"{text} is not defined by an identity or an earlier step's keep (defined: {known})")
        return Var(name)

    def _const(self, file: Path, line: int, where: str, fieldname: str, text: str) -> Const:
        names = tuple(n.strip() for n in text.split("|"))
        value = 0
        for n in names:
            number = _constants().get(n)
            if number is None:
                self.problem(file, line, where, fieldname, f"unknown constant {n} (not in spec/data/constants.tsv)")
            else:
                value |= number
        return Const(names, value)

    def _buffer_type(self, file: Path, line: int, where: str, fieldname: str, name: object) -> tuple[str, int] | None:
        if not isinstance(name, str):
            self.problem(file, line, where, fieldname, f"expected a buffer type such as TOKEN or DATA, got {name!r}")
            return None
        number = _constants().get(f"SECBUFFER_{name}")
        if number is None or name == "VERSION":
            self.problem(file, line, where, fieldname, f"unknown buffer type {name} (no SECBUFFER_{name} in spec/data/constants.tsv)")
            return None
        return name, number

    def _bytes_value(self, file: Path, line: int, where: str, fieldname: str, value: object) -> Value:
        if isinstance(value, str) and value.startswith("$"):
            return self._var(file, line, where, fieldname, value)
        if isinstance(value, str):
            return value  # UTF-8 text
        if isinstance(value, _Map) and set(value) == {"hex"} and isinstance(value["hex"], str):
            try:
                return Hex(bytes.fromhex(value["hex"]))
            except ValueError:
                self.problem(file, line, where, fieldname, f"hex: {value['hex']!r} is not hexadecimal")
                return None
        if isinstance(value, _Map) and ({"tamper", "truncate"} & set(value)):
            return self._mapping_value(file, where, fieldname, value, "any")
        self.problem(file, line, where, fieldname, f"buffer data must be $variable, text or {{hex: ...}}, got {value!r}")
        return None

    def _buffers(self, file: Path, where: str, fieldname: str, seq: _Seq) -> tuple[BufferSpec, ...]:
        out = []
        for i, item in enumerate(seq):
            line = seq.item_lines[i] if i < len(seq.item_lines) else seq.line
            f = f"{fieldname}[{i}]"
            if not isinstance(item, _Map) or "type" not in item or set(item) - {"type", "data", "size"}:
                self.problem(file, line, where, f, "a buffer is {type: NAME, data: ...} or {type: NAME, size: N}")
                continue
            btype = self._buffer_type(file, line, where, f"{f}.type", item["type"])
            if "data" in item and "size" in item:
                self.problem(file, line, where, f, "give data (an input buffer) or size (an output slot), not both")
                continue
            size = item.get("size")
            if isinstance(size, str) and size.startswith("$"):
                size = self._var(file, line, where, f"{f}.size", size)
            elif size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
                self.problem(file, line, where, f"{f}.size", f"expected a byte count or a $variable, got {size!r}")
                continue
            data = self._bytes_value(file, line, where, f"{f}.data", item["data"]) if "data" in item else None
            if btype is not None:
                out.append(BufferSpec(btype[0], btype[1], data, size))
        return tuple(out)

    def _mapping_value(self, file: Path, where: str, fieldname: str, node: _Map, kind: str) -> Value:
        line = node.line
        keys = set(node)
        if keys == _IDENTITY_KEYS:
            return self._identity(file, line, where, fieldname, node)
        if keys == {"hex"}:
            return self._bytes_value(file, line, where, fieldname, node)
        if keys == {"cell"}:
            if node["cell"] is not None:
                self.problem(file, line, where, fieldname, "a cell starts empty: write {cell: null}")
            return Cell()
        if keys == {"credui_info"}:
            info = node["credui_info"]
            if not isinstance(info, _Map) or set(info) - _CREDUI_KEYS:
                self.problem(file, line, where, fieldname, "credui_info takes a mapping of caption, message and parent")
                return None
            texts_ok = all(info.get(k) is None or isinstance(info.get(k), str) for k in ("caption", "message"))
            parent = info.get("parent")
            if not texts_ok or (parent is not None and (not isinstance(parent, int) or isinstance(parent, bool) or parent < 0)):
                self.problem(file, line, where, fieldname, "caption and message are text, parent a window handle number")
                return None
            return CredUiInfoSpec(info.get("caption"), info.get("message"), parent)
        if keys == {"routine"}:
            if node["routine"] is not None:
                self.problem(file, line, where, fieldname, "write {routine: null}")
            return Routine()
        if keys == {"forged_handle"}:
            pair = node["forged_handle"]
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in pair)
            ):
                self.problem(file, line, where, fieldname, "forged_handle takes [dwLower, dwUpper] (non-negative integers)")
                return None
            return ForgedHandle(pair[0], pair[1])
        for op, amount, extra in (("tamper", "offset", {"xor"}), ("truncate", "length", set())):
            if op in keys:
                allowed = {op, amount, "buffer"} | extra
                if keys - allowed or amount not in keys:
                    self.problem(file, line, where, fieldname, f"{op} takes {op}, {amount}" + (", xor" if extra else "") + " and optional buffer")
                    return None
                source = self._bytes_value(file, line, where, f"{fieldname}.{op}", node[op])
                n = node[amount]
                if not isinstance(n, int) or isinstance(n, bool):
                    self.problem(file, line, where, f"{fieldname}.{amount}", f"expected an integer, got {n!r}")
                    return None
                buffer = None
                if "buffer" in node:
                    buffer = self._buffer_type(file, line, where, f"{fieldname}.buffer", node["buffer"])
                if op == "tamper":
                    mask = node.get("xor", 0xFF)
                    if not isinstance(mask, int) or not 0 < mask <= 0xFF:
                        self.problem(file, line, where, f"{fieldname}.xor", f"expected a byte mask 1..255, got {mask!r}")
                        return None
                    return Tamper(source, n, mask, buffer)
                return Truncate(source, n, buffer)
        self.problem(
            file,
            line,
            where,
            fieldname,
            f"unknown value form with keys {sorted(keys)} (an identity, {{hex}}, {{cell}}, {{routine}}, {{forged_handle}}, {{credui_info}}, {{tamper}} or {{truncate}})",
        )
        return None

    def _keep(self, file: Path, raw: _Map, where: str, contract: Any) -> tuple[Keep, ...]:
        node = raw.get("keep", _Map())
        if not isinstance(node, _Map):
            self.problem(file, _line(raw, "keep"), where, "keep", "expected a mapping variable: result field")
            return ()
        params = {p.name for p in contract.params} if contract is not None else set()
        out = []
        for var, spec in node.items():
            line = _line(node, var)
            fieldname = f"keep.{var}"
            if not _NAME.match(str(var)):
                self.problem(file, line, where, fieldname, "not a valid variable name")
                continue
            if not isinstance(spec, str):
                self.problem(file, line, where, fieldname, f"expected a result field name, got {spec!r}")
                continue
            name, _, part = spec.partition(".")
            if contract is not None and name not in params and name != "return":
                self.problem(file, line, where, fieldname, f"{contract.name}'s page has no parameter {name}")
                continue
            if part and not _NAME.match(part):
                self.problem(file, line, where, fieldname, f"{spec!r}: expected FIELD, FIELD.BUFFERTYPE or FIELD.member")
                continue
            if part and part.isupper():  # a buffer type: TOKEN, DATA, ...
                part_type = self._buffer_type(file, line, where, fieldname, part)
                if part_type is None:
                    continue
                out.append(Keep(str(var), name, part_type))
            else:
                out.append(Keep(str(var), name, None, part or None))
        return tuple(out)

    def _expect(self, file: Path, raw: _Map, where: str) -> str | None:
        if "expect" not in raw:
            return None
        value = raw["expect"]
        if not isinstance(value, str) or value not in _statuses():
            self.problem(file, _line(raw, "expect"), where, "expect", f"{value!r} is not a status of spec/data/status.tsv")
            return None
        return value

    def _when(self, file: Path, raw: _Map, where: str) -> Condition | None:
        if "when" not in raw:
            return None
        node = raw["when"]
        line = _line(raw, "when")
        if not isinstance(node, _Map) or set(node) != {"step", "status"}:
            self.problem(file, line, where, "when", "expected {step: ID, status: NAME or [NAMES]}")
            return None
        target, statuses = node["step"], node["status"]
        if not isinstance(target, str) or target not in self.ids:
            self.problem(file, line, where, "when.step", f"{target!r} is not the id of an earlier step")
        names = tuple(statuses) if isinstance(statuses, list) else (statuses,)
        for s in names:
            if not isinstance(s, str) or s not in _statuses():
                self.problem(file, line, where, "when.status", f"{s!r} is not a status of spec/data/status.tsv")
        return Condition(str(target), tuple(str(s) for s in names))


def load_scenario(path: Path) -> Scenario:
    """Load and validate one scenario file; raises ScenarioError naming every problem."""
    builder = _Builder(Path(path))
    scenario = builder.scenario()
    if builder.problems or scenario is None:
        raise ScenarioError(builder.problems)
    return scenario


def scenario_files(directory: Path) -> list[Path]:
    """The scenario files of a directory, sorted; ``_*.yaml`` files are fragments, not scenarios."""
    return sorted(p for p in Path(directory).glob("*.yaml") if not p.name.startswith("_"))


def load_scenarios(directory: Path | None = None) -> tuple[list[Scenario], list[Problem]]:
    """Every scenario of ``directory`` (default spec/scenarios), and the problems of the invalid
    files (valid files still load). Names must be unique across the files."""
    directory = Path(directory) if directory is not None else default_scenarios_dir()
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    names: dict[str, Path] = {}
    for path in scenario_files(directory):
        try:
            s = load_scenario(path)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        if s.name in names:
            problems.append(Problem(_display(path), 1, "scenario", "name", f"{s.name!r} is also the name of {_display(names[s.name])}"))
            continue
        names[s.name] = path
        scenarios.append(s)
    return scenarios, problems
