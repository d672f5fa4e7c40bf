"""The raw page: what a page form's tokenizer hands to the interpreter.

A tokenizer turns page text into blocks (headings, prose paragraphs, tables with header, rows and
cells, lists, HTML, code), each with its 1-based line span, and splits off the front matter. It
decides nothing about what the words mean: the English heuristics (directions, optional, success /
error / pending, how a code is reported, value tables) are rules of the interpreter
(:mod:`sspimodel.read.rules`).

Both forms' tokenizers produce these types: the source form's (:mod:`sspimodel.read.source_scan`)
and the rendered form's (:mod:`sspimodel.read.rendered`); :mod:`sspimodel.read.interpret` reads
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Block", "Cell", "FrontMatter", "RawPage", "Row", "Section", "Table"]


@dataclass(slots=True)
class Cell:
    """One table cell: its text (parts joined by newlines), the parts it was split into (at
    <br>, <dt>, <li>, <p>...), the bold runs and the links it holds."""

    text: str
    parts: list[str]
    bolds: list[str]
    links: list[tuple[str, str]]
    header: bool = False


@dataclass(slots=True)
class Row:
    cells: list[Cell]
    start: int
    end: int


@dataclass(slots=True)
class Table:
    header: list[str]
    rows: list[Row]
    start: int
    end: int

    def as_text(self) -> str:
        lines = []
        if self.header:
            lines.append(" | ".join(self.header))
        for r in self.rows:
            lines.append(" | ".join(c.text.replace("\n", " ") for c in r.cells))
        return "\n".join(lines)


@dataclass(slots=True)
class Block:
    kind: str  # "heading" | "text" | "table" | "html" | "code"
    start: int  # 1-based, inclusive
    end: int
    text: str = ""
    raw: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)
    level: int = 0
    table: Table | None = None
    # A parameter heading that may be the text of a TBD parameter under another name (the
    # rendered form cannot mark orphan headings; see rendered.parameter_blocks): "may-document-tbd".
    hint: str = ""


@dataclass(slots=True)
class Section:
    key: str  # "description", "parameters", ..., "preamble", or "?<heading text>"
    heading: str
    start: int  # heading line (or first line for the preamble)
    end: int
    blocks: list[Block]


@dataclass(slots=True)
class FrontMatter:
    """The text between the two ``---`` lines, and the span of the whole front matter."""

    content: str
    start: int
    end: int


@dataclass(slots=True)
class RawPage:
    text: str
    lines: list[str]
    front_matter: FrontMatter | None
    blocks: list[Block]
    h1: str = ""
    # Blocks that run to the end of the page because their closing line never comes (a code
    # fence, an HTML comment or <pre>): (first line, what opened it).
    unclosed: list[tuple[int, str]] = field(default_factory=list)
