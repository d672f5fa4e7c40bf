"""The source-form tokenizer (sspimodel/read/source_scan.py) against markdown-it-py as an oracle.

The reader tokenizes source pages with a line scanner of its own (markdown-it's full parse cost
more than the whole read may, benchmarks/bench_read.py). These tests hold the scanner to
markdown-it (CommonMark + tables + front matter, the parse the reader used before) on the block
structure of every source page the project has and on generated pages and inline text, and hold
the tokenizer to its role: it reads structure, never meaning.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin
from test_forms_property import contents, render_source, render_web

from sspimodel.read import detect_form, read_text
from sspimodel.read.raw import RawPage
from sspimodel.read.source_scan import _TAG_RE, _Collector, render_inline, scan_source
from sspimodel.spec import Form

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "sdk-api"
MD = MarkdownIt("commonmark").enable("table").use(front_matter_plugin)


def source_pages() -> list[Path]:
    roots = [REPO / "spec" / "pages", REPO / "tests" / "data"] + ([CORPUS] if CORPUS.is_dir() else [])
    out = []
    for root in roots:
        for p in sorted(root.rglob("*.md")):
            if detect_form(p.read_text(encoding="utf-8")) is Form.SOURCE:
                out.append(p)
    return out


def mdit_blocks(text: str) -> list[tuple[Any, ...]]:
    """Top-level blocks as markdown-it sees them: (kind, first line, heading level and text)."""
    tokens = MD.parse(text)
    out: list[tuple[Any, ...]] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        line = t.map[0] + 1 if t.map else 0
        if t.type == "heading_open":
            out.append(("heading", line, int(t.tag[1:]), tokens[i + 1].content.strip()))
        elif t.type == "paragraph_open":
            out.append(("text", line))
        elif t.type == "table_open":
            rows = 0
            j = i
            while tokens[j].type != "table_close":
                rows += tokens[j].type == "tr_open"
                j += 1
            out.append(("table", line, rows - 1))
        elif t.type in ("html_block", "code_block"):
            out.append(("html", line))
        elif t.type == "fence":
            out.append(("code", line))
        elif t.type in ("bullet_list_open", "ordered_list_open", "blockquote_open"):
            out.append(("text", line))
        if t.nesting == 1:
            depth = 1
            i += 1
            while depth:
                depth += tokens[i].nesting
                i += 1
        else:
            i += 1
    return out


def scan_blocks(raw: RawPage) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for b in raw.blocks:
        if b.kind == "heading":
            out.append(("heading", b.start, b.level, b.raw.strip()))
        elif b.kind == "table":
            assert b.table is not None
            out.append(("table", b.start, len(b.table.rows)))
        else:
            out.append((b.kind, b.start))
    return out


def normalized(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


@pytest.mark.parametrize("path", source_pages(), ids=lambda p: p.name)
def test_scanner_finds_the_blocks_markdown_it_finds(path: Path) -> None:
    text = normalized(path.read_text(encoding="utf-8"))
    assert scan_blocks(scan_source(text)) == mdit_blocks(text)


def test_scanner_splits_off_the_front_matter_like_markdown_it() -> None:
    for path in source_pages():
        text = normalized(path.read_text(encoding="utf-8"))
        fm = next((t for t in MD.parse(text) if t.type == "front_matter"), None)
        raw = scan_source(text)
        if fm is None:
            assert raw.front_matter is None, path
        else:
            assert raw.front_matter is not None, path
            assert (raw.front_matter.content, raw.front_matter.start, raw.front_matter.end) == (
                fm.content,
                fm.map[0] + 1,
                fm.map[1],
            ), path


@seed(1314)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contents())
def test_generated_pages_scan_like_markdown_it_and_both_forms_agree(c: dict[str, Any]) -> None:
    text = render_source(c)
    raw = scan_source(text)
    assert scan_blocks(raw) == mdit_blocks(text)
    # The raw page holds the content's structure: one `### -param` heading per parameter, and
    # one table row per return code.
    params = [b.raw for b in raw.blocks if b.kind == "heading" and b.level == 3]
    assert params == [f"-param {p['name']} [{p['tag']}]" for p in c["params"]]
    rows = [r for b in raw.blocks if b.table is not None for r in b.table.rows]
    assert len(rows) == len(c["success"]) + len(c["errors"])
    # And what the interpreter makes of it equals what the rendered form reads to.
    source, web = read_text(text, "demo.md"), read_text(render_web(c), "demo.txt")
    assert [(p.name, p.direction, p.optional) for p in source.parameters] == [
        (p.name, p.direction, p.optional) for p in web.parameters
    ]
    assert sorted((r.name, r.kind, r.reported_as) for r in source.returns) == sorted(
        (r.name, r.kind, r.reported_as) for r in web.returns
    )


def mdit_inline(s: str) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """What the reader made of s when markdown-it parsed its inline markdown: markdown-it's
    inline tokens fed to the same collector (the reader's code before the scanner)."""
    col = _Collector()
    for t in MD.parseInline(s)[0].children or []:
        tt = t.type
        if tt in ("text", "code_inline"):
            col.data(t.content)
        elif tt == "softbreak":
            col.data(" ")
        elif tt == "hardbreak":
            col.brk()
        elif tt == "strong_open":
            col.bold_open()
        elif tt == "strong_close":
            col.bold_close()
        elif tt == "link_open":
            href = t.attrs.get("href")
            col.link_open(str(href) if href is not None else "")
        elif tt == "link_close":
            col.link_close()
        elif tt == "html_inline":
            m = _TAG_RE.match(t.content)
            if m and m.group(2):
                col.tag(bool(m.group(1)), m.group(2), m.group(3) or "")
        elif tt == "image":
            col.data(t.content)
    return col.finish()


def ours_inline(s: str) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    col = _Collector()
    render_inline(s, col)
    return col.finish()


PIECES = st.sampled_from(
    [
        "SEC_E_OK",
        "pszName",
        "the",
        "buffer",
        " ",
        " ",
        " ",
        "**",
        "*",
        "_",
        "__",
        "`",
        "[",
        "]",
        "(",
        ")",
        "[link](nf-sspi-demo.md)",
        "**bold**",
        "*em*",
        "_em_",
        "`code`",
        "<b>",
        "</b>",
        "<br/>",
        "&amp;",
        "&lt;",
        "\\*",
        "\\_",
        "a_b_c",
        "x*y*z",
        "\n",
        "ptsExpiry",
        "0x1",
        ".",
        ",",
        "***",
        "[in]",
        "![img](a.png)",
        "<https://example.com/a>",
        "  \n",
        "\\\n",
        '<a href="x.md">',
        "</a>",
        "|",
        "&nbsp;",
    ]
)


@seed(1315)
@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=14).map("".join))
def test_inline_text_bold_and_links_match_markdown_it(s: str) -> None:
    s = s.strip("\n")
    if not s.strip():
        return
    assert ours_inline(s) == mdit_inline(s)


TOKENIZER_MODULES = ("source_scan.py", "raw.py")
INTERPRETER_NAMES = {
    "rules",
    "clause_kind",
    "row_kind",
    "pending_in",
    "optional_in_prose",
    "remarks_make_optional",
    "optional_named_elsewhere",
    "reported_in",
    "apply_reporting",
    "is_value_table_header",
    "is_return_table_header",
    "misnamed_parameters",
    "OrphanMatcher",
    "split_variant",
    "STATUS_CODE_RE",
}


@pytest.mark.parametrize("module", TOKENIZER_MODULES)
def test_tokenizer_modules_decide_no_meaning(module: str) -> None:
    """The tokenizer reads structure only: it imports none of the interpreter's rules
    (read/rules.py, read/common.py) and names none of their classifiers."""
    tree = ast.parse((REPO / "sspimodel" / "read" / module).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.module not in ("rules", "common", "sspimodel.read.rules", "sspimodel.read.common"), (
                module,
                node.module,
            )
            assert not {a.name for a in node.names} & INTERPRETER_NAMES, module
        if isinstance(node, ast.Name):
            assert node.id not in INTERPRETER_NAMES, (module, node.id)
        if isinstance(node, ast.Attribute):
            assert node.attr not in INTERPRETER_NAMES, (module, node.attr)
