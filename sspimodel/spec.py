"""The typed specification: what one reference page says about one function.

Every reader (one per page form, see ``sspimodel.read``) produces the objects in this
module and nothing else. They are frozen attrs classes, so a FunctionSpec can be hashed,
compared between the two page forms, and exported to JSON with cattrs
(``sspimodel.read.export``).

Line numbers are 1-based and inclusive. A ``Span`` names the file as the reader was given it
(the path relative to the spec directory when a directory is read).
"""

from __future__ import annotations

import enum

from attrs import field, frozen

__all__ = [
    "Diagnostic",
    "Direction",
    "EnumSpec",
    "Field",
    "Form",
    "FunctionSpec",
    "Mention",
    "OrphanHeading",
    "PageKind",
    "Parameter",
    "Prototype",
    "PrototypeParam",
    "Reported",
    "Requirements",
    "ReturnCode",
    "ReturnKind",
    "SeeAlso",
    "Severity",
    "Span",
    "StructSpec",
    "Unparsed",
    "Value",
    "ValueTable",
    "Variant",
    "Via",
]


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"
    INOUT = "inout"
    UNKNOWN = "unknown"


class Variant(enum.StrEnum):
    A = "A"
    W = "W"
    NEUTRAL = "neutral"


class ReturnKind(enum.StrEnum):
    """How the page classifies a code (not what its value says: lint compares the two)."""

    SUCCESS = "success"
    ERROR = "error"
    PENDING = "pending"


class Via(enum.StrEnum):
    """Where the caller sees a code."""

    CALL = "call"  # returned by the function itself
    ASYNC_STATUS = "async_status"  # reported later by SspiGetAsyncCallStatus


class Reported(enum.StrEnum):
    """How the caller learns a code (finer than Via, which only says call versus async status)."""

    RETURNED = "returned"  # the function's return value
    GET_LAST_ERROR = "GetLastError"  # the function returns FALSE/NULL; the code is read with GetLastError
    ASYNC_STATUS = "SspiGetAsyncCallStatus"  # reported later for the async context
    OUT_PARAMETER = "out-parameter"  # written to an out parameter


class PageKind(enum.StrEnum):
    """What a page documents (from its UID: NF, NS, NE, NC)."""

    FUNCTION = "function"
    STRUCT = "struct"
    ENUM = "enum"
    CALLBACK = "callback"


class Form(enum.StrEnum):
    SOURCE = "source"  # reference source markdown (YAML front matter, ## -sections)
    RENDERED = "rendered"  # rendered web-page text


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


@frozen(order=True)
class Span:
    file: str
    start: int
    end: int

    def __str__(self) -> str:
        if self.start == self.end:
            return f"{self.file}:{self.start}"
        return f"{self.file}:{self.start}-{self.end}"


@frozen
class Diagnostic:
    """A problem found in a page: by a reader, by normalization, or by lint."""

    rule: str
    severity: Severity
    file: str
    line: int
    message: str
    function: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity.value} [{self.rule}] {self.message}"


@frozen
class Value:
    """One row of a value or flag table: a macro name and, when the page gives one, its number."""

    name: str
    number: int | None
    number_text: str | None  # as printed on the page, e.g. "1 (0x1)", "0x80000012"
    description: str
    span: Span


@frozen
class ValueTable:
    header: tuple[str, ...]
    values: tuple[Value, ...]
    span: Span

    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.values)


@frozen
class Parameter:
    name: str
    direction: Direction
    optional: bool
    description: str
    span: Span
    # Where `optional` came from: "annotation" ([in, optional]), "prose" (*optional* in the
    # text), or None when the parameter is required.
    optional_source: str | None = None
    # The body is "TBD" (the real text may sit under an orphan `#### - name` heading).
    tbd: bool = False
    # The name of the orphan `#### - name [dir]` heading whose text was attached to this
    # parameter, if any.
    documented_as: str | None = None
    c_type: str | None = None
    value_tables: tuple[ValueTable, ...] = ()

    def values(self) -> tuple[Value, ...]:
        return tuple(v for t in self.value_tables for v in t.values)


@frozen
class ReturnCode:
    name: str
    kind: ReturnKind
    via: Via
    description: str
    span: Span
    hex_in_doc: str | None = None  # as printed, e.g. "0x80100003L"
    # Index of the return table this row came from (0, 1, ...), or None for a code named in
    # the returns prose only.
    table: int | None = None
    # How the caller learns the code; None means "as `via` says" (see ``reported_as``).
    reported: Reported | None = None

    @property
    def reported_as(self) -> Reported:
        if self.reported is not None:
            return self.reported
        return Reported.ASYNC_STATUS if self.via is Via.ASYNC_STATUS else Reported.RETURNED


@frozen
class Mention:
    """A status code named somewhere on the page other than the return tables."""

    code: str
    section: str  # e.g. "parameters: fCredentialUse", "remarks", "returns (prose)"
    line: int
    context: str = ""  # e.g. the value row it sits in: "SECPKG_CRED_INBOUND"


@frozen
class Requirements:
    min_client: str | None = None
    min_server: str | None = None
    target_platform: str | None = None
    header: str | None = None
    include_header: str | None = None
    library: str | None = None
    dll: str | None = None
    unicode_ansi: str | None = None
    # Anything else the page states (front-matter req.* keys with a value, or rendered rows
    # with an unknown label), sorted by key.
    other: tuple[tuple[str, str], ...] = ()

    @property
    def kernel_mode_only(self) -> bool:
        text = f"{self.min_client or ''} {self.min_server or ''}"
        return "kernel-mode drivers only" in text


@frozen
class PrototypeParam:
    name: str
    c_type: str
    annotation: str | None = None  # "[in]", "[in, optional]", ... as printed


@frozen
class Prototype:
    text: str
    return_type: str
    name: str
    params: tuple[PrototypeParam, ...]
    span: Span


@frozen
class SeeAlso:
    title: str
    target: str | None  # the link target, when the page has one
    function: str | None  # the function name the entry resolves to, when it names one
    span: Span


@frozen
class Unparsed:
    """Content a reader could not place. Kept verbatim with its span, and reported."""

    section: str
    text: str
    span: Span
    reason: str


@frozen
class OrphanHeading:
    """A `#### - name [tag]` heading under Parameters (documents a TBD parameter of another name)."""

    name: str
    tag: str | None  # the bracket text as printed ("in, optional"), None without one
    line: int


@frozen
class Field:
    """One member of a structure (``### -field``) or enumeration page."""

    name: str
    description: str
    span: Span
    c_type: str | None = None
    value: str | None = None  # enum members: the value as printed, when the page gives one


@frozen
class StructSpec:
    """What an ns- (structure) or nc- (callback) page says."""

    name: str
    kind: PageKind
    source: Span
    description: str = ""
    fields: tuple[Field, ...] = ()
    requirements: Requirements = field(factory=Requirements)
    diagnostics: tuple[Diagnostic, ...] = ()


@frozen
class EnumSpec:
    """What an ne- (enumeration) page says."""

    name: str
    source: Span
    description: str = ""
    members: tuple[Field, ...] = ()
    requirements: Requirements = field(factory=Requirements)
    diagnostics: tuple[Diagnostic, ...] = ()


@frozen
class FunctionSpec:
    name: str
    variant: Variant
    neutral_name: str
    form: Form
    source: Span  # the whole page
    title: str = ""
    upstream: str | None = None  # path of the real page in the reference repository
    description: str = ""
    requirements: Requirements = field(factory=Requirements)
    prototype: Prototype | None = None
    parameters: tuple[Parameter, ...] = ()
    returns: tuple[ReturnCode, ...] = ()
    returns_prose: str = ""
    mentioned_codes: tuple[Mention, ...] = ()
    remarks: str = ""
    see_also: tuple[SeeAlso, ...] = ()
    unparsed: tuple[Unparsed, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    # Spans of the sections as found ("description", "parameters", "returns", ...).
    sections: tuple[tuple[str, Span], ...] = ()
    # What the page documents (its UID); struct/enum/callback pages carry their members in
    # ``fields`` (see also ``as_struct``/``as_enum``).
    kind: PageKind = PageKind.FUNCTION
    fields: tuple[Field, ...] = ()
    orphan_headings: tuple[OrphanHeading, ...] = ()
    # How the returns section gives its codes: table | list | prose-codes | prose-no-codes | empty.
    returns_form: str = "empty"

    def as_struct(self) -> StructSpec:
        return StructSpec(
            self.name, self.kind, self.source, self.description, self.fields, self.requirements, self.diagnostics
        )

    def as_enum(self) -> EnumSpec:
        return EnumSpec(self.name, self.source, self.description, self.fields, self.requirements, self.diagnostics)

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(f"{self.name} has no parameter {name!r}")

    def return_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.returns)

    def returns_via(self, via: Via) -> tuple[ReturnCode, ...]:
        return tuple(r for r in self.returns if r.via is via)

    def mentioned_names(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for m in self.mentioned_codes:
            seen.setdefault(m.code, None)
        return tuple(seen)

    @property
    def kernel_mode_only(self) -> bool:
        return self.requirements.kernel_mode_only

    # Rich displays (notebooks): drawn from the spec, never retyped. See sspimodel.render.
    def _repr_html_(self) -> str:
        from .render import spec_html

        return spec_html(self)

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        from .render import spec_text

        printer.text(spec_text(self))  # type: ignore[attr-defined]
