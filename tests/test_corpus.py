"""The source reader on every real reference page (../shared/corpus/sdk-api), checked against facts.

Two hand-transcribed oracles, never inputs of the model: ../shared/facts/facts.json (the pages it
has an entry for) and tests/data/corpus_facts.json (the other pages; schema in its README). A page
with an entry in neither is skipped with the reason. Where the page itself is inconsistent (TBD parameters documented under an
orphan heading, optional stated only in prose), the reader's reading differs from a literal
transcription on purpose: each such case is listed below with its reason.

The spec pages in source form (spec/pages/*.md) that have a facts entry are checked the same way.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS_DIR, SPEC_DIR

from sspimodel.read import detect_form
from sspimodel.read.source import read_source
from sspimodel.spec import Direction, Form, FunctionSpec, PageKind, ReturnKind, Via

# Facts of the pages facts.json has no entry for (hand-transcribed; see tests/data/README.md).
CORPUS_FACTS_FILE = Path(
    os.environ.get("SSPIMODEL_CORPUS_FACTS") or Path(__file__).parent / "data" / "corpus_facts.json"
)

CORPUS_PAGES = sorted(CORPUS_DIR.rglob("*.md")) if CORPUS_DIR.is_dir() else []
SPEC_SOURCE_PAGES = sorted(
    p
    for p in (SPEC_DIR / "pages").glob("*.md")
    if detect_form(p.read_text(encoding="utf-8", errors="replace")) is Form.SOURCE
)
# The spec pages kept in rendered web-page form are held to the same facts.
SPEC_RENDERED_PAGES = sorted(
    p
    for p in (SPEC_DIR / "pages").glob("*")
    if p.suffix in (".md", ".txt")
    and detect_form(p.read_text(encoding="utf-8", errors="replace")) is Form.RENDERED
)

# facts.json direction spelling -> Direction
FACT_DIRECTION = {
    "in": Direction.IN,
    "out": Direction.OUT,
    "in,out": Direction.INOUT,
    "none": Direction.UNKNOWN,
}

# (function, parameter) -> why the reader's parameter differs from the facts' transcription.
# A TBD parameter takes direction and optional from the orphan `#### - name [..]` heading whose
# text documents it; facts.json records the TBD heading itself (no annotation).
TBD_FROM_ORPHAN = {
    (
        "AcquireCredentialsHandleW",
        "pPrincipal",
    ): "TBD; documented under orphan '#### - pszPrincipal [in, optional]'",
    ("AcquireCredentialsHandleW", "pPackage"): "TBD; documented under orphan '#### - pszPackage [in]'",
    (
        "InitializeSecurityContextA",
        "pszTargetName",
    ): "TBD; documented under orphan '#### - pTargetName [in, optional]'",
}
SSP_IN_USE_LABELS = frozenset({"Digest", "Kerberos or Negotiate", "NTLM", "Schannel/SSL"})

# Optional stated only in the text; the reader sets optional=True, optional_source="prose".
PROSE_OPTIONAL = {
    ("SspiAcquireCredentialsHandleAsyncA", "pvLogonId"): "'This parameter can be **NULL**.'",
    ("SspiAcquireCredentialsHandleAsyncA", "ptsExpiry"): "'*optional* A pointer to a TimeStamp'",
    ("SspiAcquireCredentialsHandleAsyncW", "pvLogonId"): "'This parameter can be **NULL**.'",
    ("SspiAcquireCredentialsHandleAsyncW", "ptsExpiry"): "'*optional* A pointer to a TimeStamp'",
    ("SspiInitializeSecurityContextAsyncA", "ptsExpiry"): "'*Optional*. A pointer to a TimeStamp'",
    ("SspiInitializeSecurityContextAsyncW", "ptsExpiry"): "'*Optional*. A pointer to a TimeStamp'",
    ("SspiSetAsyncNotifyCallback", "Callback"): "optional in the text only",
    ("SspiSetAsyncNotifyCallback", "CallbackData"): "optional in the text only",
}
# Wrong directions (EnumerateSecurityPackagesA pcPackages/ppPackageInfo are outputs tagged [in]):
# the reader reports the page as written, so they agree with facts' "in" and need no exception;
# lint compares them with the header.


def _id(p: Path) -> str:
    try:
        return p.relative_to(CORPUS_DIR).as_posix()
    except ValueError:
        return "spec/" + p.name


def _read(path: Path) -> FunctionSpec:
    return read_source(path.read_text(encoding="utf-8"), _id(path))


def test_the_corpus_is_there(corpus_dir: Path) -> None:
    names = {p.relative_to(corpus_dir).as_posix() for p in CORPUS_PAGES}
    assert {"sspi/ns-sspi-secbuffer.md", "sspi/nf-sspi-acceptsecuritycontext.md"} <= names
    assert any(n.startswith("old/") for n in names)


_KIND_PREFIX = {"nf": PageKind.FUNCTION, "ns": PageKind.STRUCT, "ne": PageKind.ENUM, "nc": PageKind.CALLBACK}


@pytest.mark.parametrize("path", CORPUS_PAGES, ids=_id)
def test_corpus_page_parses(path: Path) -> None:
    f = _read(path)
    assert f.form is Form.SOURCE and f.name
    assert not [d for d in f.diagnostics if d.rule == "read.internal"], f.diagnostics
    assert all(d.file == _id(path) for d in f.diagnostics)
    # The page kind comes from the page's UID and agrees with its file name.
    assert f.kind is _KIND_PREFIX[path.name[:2]]
    assert f.upstream is not None
    assert path.name.split(".")[0] == Path(f.upstream).stem
    if f.kind is PageKind.STRUCT:
        assert f.parameters == () and f.returns == ()
        assert f.fields and all(x.name and x.span.file == _id(path) for x in f.fields)
        assert f.as_struct().fields == f.fields
    else:
        assert f.fields == ()


def _check_against_facts(f: FunctionSpec, fact: dict[str, Any], *, real_page: bool) -> None:
    """Parameters and return codes always; value tables, hex spellings and requirements only for
    real reference pages (spec pages are written for the project and may follow another version
    of the page, e.g. QueryContextAttributesA lists the general attribute table, facts the CredSSP one)."""
    name = f.name
    # Parameters: names, order, direction, optional.
    assert [p.name for p in f.parameters] == [p["name"] for p in fact["doc_params"]]
    orphans = {o["heading"].split()[2]: o for o in fact["doc_orphan_param_headings"]}
    for p, fp in zip(f.parameters, fact["doc_params"], strict=True):
        key = (name, p.name)
        if key in TBD_FROM_ORPHAN:
            assert fp["tbd"] and p.tbd, TBD_FROM_ORPHAN[key]
            orphan = orphans[p.documented_as or ""]
            assert p.direction is FACT_DIRECTION[orphan["dir"]], TBD_FROM_ORPHAN[key]
            assert p.optional is orphan["optional"], TBD_FROM_ORPHAN[key]
            continue
        assert not p.tbd and not fp["tbd"]
        assert p.direction is FACT_DIRECTION[fp["direction"]], p.name
        if key in PROSE_OPTIONAL:
            assert fp["optional_in_prose_only"], PROSE_OPTIONAL[key]
            assert p.optional and p.optional_source == "prose", PROSE_OPTIONAL[key]
        else:
            assert not fp["optional_in_prose_only"], (
                f"{key} is optional in prose only: list it in PROSE_OPTIONAL"
            )
            assert p.optional is fp["optional"], p.name
            assert p.optional_source == ("annotation" if fp["optional"] else None)
        if real_page and fp.get("values"):
            got = [(v.name, v.number_text) for v in p.values()]
            if all(v["name"] in SSP_IN_USE_LABELS for v in fp["values"]):
                # facts.json lists the rows of the "SSP in use | Meaning" table as values; the
                # reader keeps that table as text (rule.value-table): no values of the parameter.
                assert got == [], p.name
            else:
                assert got == [(v["name"], v["doc_value"]) for v in fp["values"]], p.name
    assert sorted(fact["doc_tbd_params"]) == sorted(p.name for p in f.parameters if p.tbd)

    # Return codes: success / pending / error sets, as the page classifies them.
    def names(kind: ReturnKind) -> set[str]:
        return {r.name for r in f.returns if r.kind is kind}

    assert names(ReturnKind.SUCCESS) == set(fact["success_codes"])
    assert names(ReturnKind.PENDING) == set(fact["in_progress_codes"])
    # Error codes named only in the returns prose ("One possible error code return is X") are
    # recorded by facts.json as mentions in the returns section, not in a table.
    prose_errors = {
        m["code"] for m in fact["mentioned_elsewhere"] if m["section"].startswith("returns (prose")
    }
    assert names(ReturnKind.ERROR) - prose_errors == {
        c for codes in fact["error_code_tables"].values() for c in codes
    }

    # The via split: fatal / "via SspiGetAsyncCallStatus" tables are what SspiGetAsyncCallStatus
    # reports later; other error tables are what the function itself returns.
    for label, codes in fact["error_code_tables"].items():
        later = "via SspiGetAsyncCallStatus" in label or "fatal" in label.lower()
        want = {Via.ASYNC_STATUS} if later else {Via.CALL}
        for code in codes:
            got = {r.via for r in f.returns if r.name == code and r.kind is ReturnKind.ERROR}
            assert got == want, (label, code)
    pending_via = Via.CALL if name == "SspiGetAsyncCallStatus" else Via.ASYNC_STATUS
    for code in fact["in_progress_codes"]:
        assert {r.via for r in f.returns if r.name == code} == {pending_via}, code
    if fact["in_progress_codes"] and name != "SspiGetAsyncCallStatus":
        # The async family: SEC_E_OK is both what the queuing call returns and what
        # SspiGetAsyncCallStatus reports on completion.
        assert {r.via for r in f.returns if r.name == "SEC_E_OK"} == {Via.CALL, Via.ASYNC_STATUS}

    if not real_page:
        return

    # Hex values as printed on the page.
    for code, info in fact["status_codes_winerror"].items():
        if info.get("doc_hex"):
            assert info["doc_hex"] in {r.hex_in_doc for r in f.returns if r.name == code}, code

    # Codes named outside the return tables.
    tabulated = set(f.return_names())
    expected_mentions = {
        m["code"] for m in fact["mentioned_elsewhere"] if not m["section"].startswith("returns")
    }
    assert set(f.mentioned_names()) - tabulated == expected_mentions
    for m in fact["mentioned_elsewhere"]:
        if m["section"].startswith("returns"):
            assert m["code"] in {r.name for r in f.returns if r.table is None}
            continue
        section, _, row = m["section"].partition(" / ")
        found = [x for x in f.mentioned_codes if x.code == m["code"] and x.section == section]
        assert found, m
        if row.endswith(" value row"):
            assert found[0].context == row.removesuffix(" value row")

    # Requirements.
    r = f.requirements
    assert (r.header, r.include_header, r.library, r.dll) == (
        fact["req_header"],
        fact["req_include_header"],
        fact["req_lib"],
        fact["req_dll"],
    )
    assert (r.min_client, r.min_server, r.unicode_ansi) == (
        fact["min_client"],
        fact["min_server"],
        fact["unicode_ansi"],
    )


def load_corpus_facts() -> dict[str, dict[str, Any]]:
    if not CORPUS_FACTS_FILE.is_file():
        return {}
    return {e["doc_file"]: e for e in json.loads(CORPUS_FACTS_FILE.read_text(encoding="utf-8"))}


FACT_REPORTED = {"returned", "GetLastError", "SspiGetAsyncCallStatus", "out-parameter"}


# Where the two hand-made oracles disagree on a reading rule, facts.json's reading is the one the
# reader follows; corpus_facts.json entries that read the same wording the other way are listed
# here with the wording, and the reader is held to facts.json's reading for them.
ORACLES_DISAGREE = {
    ("SaslInitializeSecurityContextA", "phContext"): "'this pointer is NULL' on the first call; facts.json: "
    "not optional for the same wording (SspiAcceptSecurityContextAsync phContext)",
    ("SaslInitializeSecurityContextW", "phContext"): "same wording as the A page",
    ("SaslInitializeSecurityContextA", "pInput"): "'The pointer must be NULL on the first call'; same reading",
    ("SaslInitializeSecurityContextW", "pInput"): "same wording as the A page",
}


def _check_against_corpus_facts(f: FunctionSpec, fact: dict[str, Any]) -> None:
    """Hold a page to its tests/data/corpus_facts.json entry (schema: corpus_facts_schema.md)."""
    assert f.name == fact["name"]
    assert f.kind.value == fact["kind"]
    assert f.variant.value == fact["variant"]

    # Parameters, in page order, as printed (a TBD parameter documented under an orphan heading
    # takes that heading's tag: checked through the orphan heading instead).
    assert [p.name for p in f.parameters] == [p["name"] for p in fact["params"]]
    orphans = {o["name"]: o for o in fact["orphan_headings"]}
    for p, fp in zip(f.parameters, fact["params"], strict=True):
        assert p.tbd is fp["tbd"], p.name
        if p.documented_as is not None:
            assert p.documented_as in orphans, p.name
            continue
        assert p.direction is FACT_DIRECTION[fp["direction"]], p.name
        if (f.name, p.name) in ORACLES_DISAGREE:
            assert fp["optional_where"] == "prose" and not p.optional, ORACLES_DISAGREE[(f.name, p.name)]
            continue
        assert p.optional is fp["optional"], p.name
        where = {"annotation": "tag", "prose": "prose", None: None}[p.optional_source]
        assert where == fp["optional_where"], p.name
    assert [(o.name, " ".join((o.tag or "").split()) or None) for o in f.orphan_headings] == [
        (o["name"], " ".join((o["tag"] or "").split()) or None) for o in fact["orphan_headings"]
    ]

    # Return codes: every code the facts list is read with the same kind and reporting; every
    # code the reader takes from a table or list is one the facts list.
    got = {(r.name, r.kind.value, r.reported_as.value) for r in f.returns}
    for r in fact["returns"]:
        assert r["reported"] in FACT_REPORTED
        assert (r["name"], r["kind"], r["reported"]) in got, r
        if r["hex"]:
            assert r["hex"] in {x.hex_in_doc for x in f.returns if x.name == r["name"]}, r
    fact_codes = {r["name"] for r in fact["returns"]}
    assert {r.name for r in f.returns if r.table is not None} <= fact_codes
    assert f.returns_form == fact["returns_prose"]
    assert set(f.mentioned_names()) - set(f.return_names()) == set(fact["named_elsewhere"])

    # Value tables (parameters, or struct fields), values as printed.
    def ws(t: str | None) -> str | None:
        return " ".join(t.split()) if t is not None else None

    got_values = {
        p.name: [(v.name, ws(v.number_text)) for v in p.values()] for p in f.parameters if p.values()
    }
    want_values = {k: [(v["name"], ws(v["value"])) for v in vs] for k, vs in fact["value_tables"].items()}
    if f.kind is PageKind.FUNCTION:
        assert got_values == want_values

    # Requirements present on the page.
    r = f.requirements
    header = r.header and (f"{r.header} (include {r.include_header})" if r.include_header else r.header)
    have = {"min_client": r.min_client, "min_server": r.min_server, "header": header, "library": r.library, "dll": r.dll}
    assert {k: v for k, v in have.items() if v} == fact["requirements"]

    # Struct and enum members.
    assert [(x.name, x.value) for x in f.fields] == [(x["name"], x.get("value")) for x in fact["fields"]]


def _page_facts(path: Path, facts: dict[str, dict]) -> tuple[str, dict[str, Any]] | None:
    f_name = _read(path).name
    if f_name in facts and path.name.startswith("nf-"):
        return "facts.json", facts[f_name]
    entry = load_corpus_facts().get(_id(path))
    if entry is not None:
        return "corpus_facts.json", entry
    return None


@pytest.mark.parametrize("path", CORPUS_PAGES, ids=_id)
def test_corpus_page_agrees_with_facts(path: Path, facts: dict[str, dict]) -> None:
    f = _read(path)
    found = _page_facts(path, facts)
    if found is None:
        if _id(path).startswith("old/"):
            pytest.skip("an old revision of a page: read without internal errors (test_corpus_page_parses) only")
        pytest.skip(f"no facts yet for {_id(path)} in facts.json or {CORPUS_FACTS_FILE.name}")
    oracle, fact = found
    if oracle == "facts.json":
        _check_against_facts(f, fact, real_page=True)
    else:
        _check_against_corpus_facts(f, fact)


@pytest.mark.parametrize("path", SPEC_SOURCE_PAGES, ids=_id)
def test_spec_source_page_agrees_with_facts(path: Path, facts: dict[str, dict]) -> None:
    f = _read(path)
    assert not [d for d in f.diagnostics if d.rule == "read.internal"], f.diagnostics
    if f.name in facts:
        _check_against_facts(f, facts[f.name], real_page=False)
        return
    # No facts.json entry: hold the page to the hand-read facts of the real page it states
    # (its `upstream:` key), tests/data/corpus_facts.json.
    upstream = re.search(r"^upstream:\s*(\S+)", path.read_text(encoding="utf-8"), re.M)
    entry = load_corpus_facts().get("sspi/" + upstream.group(1).rsplit("/", 1)[-1]) if upstream else None
    if entry is None:
        pytest.skip(f"facts.json has no entry for {f.name}, and corpus_facts.json none for its upstream page")
    _check_against_corpus_facts(f, entry)


@pytest.mark.parametrize("path", SPEC_RENDERED_PAGES, ids=_id)
def test_spec_rendered_page_agrees_with_facts(path: Path, facts: dict[str, dict]) -> None:
    from sspimodel.read.rendered import read_rendered

    f = read_rendered(path.read_text(encoding="utf-8"), _id(path))
    assert f.form is Form.RENDERED
    assert not [d for d in f.diagnostics if d.rule == "read.internal"], f.diagnostics
    _check_against_facts(f, facts[f.name], real_page=False)
    fact = facts[f.name]
    r = f.requirements
    assert (r.header, r.library, r.dll) == (fact["req_header"], fact["req_lib"], fact["req_dll"])


def test_exception_lists_name_real_parameters(facts: dict[str, dict]) -> None:
    """Every listed exception is a parameter facts.json records as inconsistent in that way."""
    for fn, param in TBD_FROM_ORPHAN:
        assert param in facts[fn]["doc_tbd_params"], (fn, param)
    for fn, param in PROSE_OPTIONAL:
        fp = next(p for p in facts[fn]["doc_params"] if p["name"] == param)
        assert fp["optional_in_prose_only"], (fn, param)
    for fact in facts.values():
        for fp in fact["doc_params"]:
            if fp["optional_in_prose_only"]:
                assert (fact["name"], fp["name"]) in PROSE_OPTIONAL
            if fp["tbd"]:
                assert (fact["name"], fp["name"]) in TBD_FROM_ORPHAN
