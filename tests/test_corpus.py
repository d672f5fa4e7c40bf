"""The source reader on real reference pages (../shared/corpus/sdk-api), checked against facts.json.

facts.json was transcribed by hand from the same pages; it is the oracle here and never an
input of the model. Where the page itself is inconsistent (TBD parameters documented under an
orphan heading, optional stated only in prose), the reader's reading differs from a literal
transcription on purpose: each such case is listed below with its reason.

The spec pages in source form (spec/pages/*.md) that have a facts entry are checked the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS_DIR, SPEC_DIR

from sspimodel.read import detect_form
from sspimodel.read.source import read_source
from sspimodel.spec import Direction, Form, FunctionSpec, ReturnKind, Via

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


@pytest.mark.parametrize("path", CORPUS_PAGES, ids=_id)
def test_corpus_page_parses(path: Path) -> None:
    f = _read(path)
    assert f.form is Form.SOURCE and f.name
    assert not [d for d in f.diagnostics if d.rule == "read.internal"], f.diagnostics
    assert all(d.file == _id(path) for d in f.diagnostics)
    if path.name.startswith("ns-"):
        # A structure page: read without failing, named after the typedef, no parameters.
        assert f.name == "SecBuffer"
        assert f.parameters == () and f.returns == ()
        assert f.description.startswith("The SecBuffer structure describes a buffer")
    else:
        assert f.upstream == f"sdk-api-src/content/sspi/nf-sspi-{f.name.lower()}.md"
        assert path.name.startswith(f"nf-sspi-{f.name.lower()}")


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
            assert got == [(v["name"], v["doc_value"]) for v in fp["values"]], p.name
    assert sorted(fact["doc_tbd_params"]) == sorted(p.name for p in f.parameters if p.tbd)

    # Return codes: success / pending / error sets, as the page classifies them.
    def names(kind: ReturnKind) -> set[str]:
        return {r.name for r in f.returns if r.kind is kind}

    assert names(ReturnKind.SUCCESS) == set(fact["success_codes"])
    assert names(ReturnKind.PENDING) == set(fact["in_progress_codes"])
    assert names(ReturnKind.ERROR) == {c for codes in fact["error_code_tables"].values() for c in codes}

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


@pytest.mark.parametrize("path", [p for p in CORPUS_PAGES if p.name.startswith("nf-")], ids=_id)
def test_corpus_page_agrees_with_facts(path: Path, facts: dict[str, dict]) -> None:
    f = _read(path)
    assert f.name in facts, f"no facts for {f.name}"
    _check_against_facts(f, facts[f.name], real_page=True)


@pytest.mark.parametrize("path", SPEC_SOURCE_PAGES, ids=_id)
def test_spec_source_page_agrees_with_facts(path: Path, facts: dict[str, dict]) -> None:
    f = _read(path)
    assert not [d for d in f.diagnostics if d.rule == "read.internal"], f.diagnostics
    if f.name not in facts:
        pytest.skip(f"facts.json has no entry for {f.name}")
    _check_against_facts(f, facts[f.name], real_page=False)


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
