"""The front matter's fast path gives what yaml.safe_load gives, and is taken for the shapes it claims."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sspimodel.read import frontmatter
from sspimodel.read.source_scan import scan_source

REPO = Path(__file__).resolve().parent.parent

CASES = [
    "title: Foo function\nreq.dll: Secur32.dll\n",
    "api_name:\n - Foo\n - FooA\nkeywords: [\"a\", \"b\"]\n",
    "ms.keywords: '*PFoo, PFoo structure pointer [Security], FOO_BAR'\n",
    "a: ''\nb: ' padded '\nc: 'it''s'\n",  # '' escape: not fast, still equal
    "# a comment line\ntitle: x\n# another\napi_name:\n# between\n - A\n",
    "x: 'two\n  lines'\n",  # multi-line single-quoted: not fast
    "n: 12\nb: yes\nz: ~\ns: '12'\nt: 'yes'\n",
    "k: 'a # not a comment'\n",
    "k: a # trailing comment\n",
]


@pytest.mark.parametrize("content", CASES)
def test_fast_path_equals_safe_load(content: str) -> None:
    assert frontmatter.load_front_matter(content) == yaml.safe_load(content)


def test_fast_path_taken_for_single_quotes_and_comment_lines() -> None:
    assert frontmatter._fast_load("# c\nk: 'a, b [c]'\nl:\n# d\n - 'x'\n") == {"k": "a, b [c]", "l": ["x"]}
    assert frontmatter._fast_load("k: 'it''s'\n") is None  # an escape: PyYAML reads it


def _front_matters() -> list[tuple[str, str]]:
    roots = [REPO / "spec" / "pages", REPO.parent / "shared" / "corpus" / "sdk-api"]
    out = []
    for root in roots:
        for p in sorted(root.rglob("*.md")) if root.is_dir() else []:
            raw = scan_source(p.read_text(encoding="utf-8").replace("\r\n", "\n"))
            if raw.front_matter is not None:
                out.append((p.name, raw.front_matter.content))
    return out


def test_every_page_front_matter_equals_safe_load() -> None:
    fms = _front_matters()
    assert fms
    for name, content in fms:
        assert frontmatter.load_front_matter(content) == yaml.safe_load(content), name
