"""The reader held to tests/data/other_headers_facts.json: facts of real reference pages from
headers other than sspi.h, read by hand (see tests/data/README.md).

The real pages are not stored with the project; tests/data/other_headers/ holds minimal pages
written for this test that carry the same facts in the same page formats (the formats each entry
names: codes in a <ul> list, an "Error Codes" table header, GetLastError, NTSTATUS and HRESULT
codes, NERR_ names, optional stated in prose in several wordings, codes delivered through an out
parameter). No page text is copied. Each page is held to its entry with the same checks as the
sspi.h corpus pages (tests/test_corpus.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_corpus import _check_against_corpus_facts

from sspimodel.read import read_text

DATA = Path(__file__).parent / "data"
PAGES = DATA / "other_headers"
FACTS: list[dict[str, Any]] = json.loads((DATA / "other_headers_facts.json").read_text(encoding="utf-8"))


def test_every_fact_entry_has_a_page() -> None:
    have = sorted(p.relative_to(PAGES).as_posix() for p in PAGES.rglob("*.md"))
    assert have == sorted(e["doc_file"] for e in FACTS)


@pytest.mark.parametrize("entry", FACTS, ids=[e["name"] for e in FACTS])
def test_page_reads_to_its_facts(entry: dict[str, Any]) -> None:
    path = PAGES / entry["doc_file"]
    f = read_text(path.read_text(encoding="utf-8"), entry["doc_file"])
    assert not [d for d in f.diagnostics if d.rule == "read.internal"], f.diagnostics
    _check_against_corpus_facts(f, entry)
    # The order of return codes as the facts give them (the returns section's own, then those an
    # out parameter delivers).
    assert [(r.name, r.kind.value, r.reported_as.value) for r in f.returns] == [
        (r["name"], r["kind"], r["reported"]) for r in entry["returns"]
    ]
