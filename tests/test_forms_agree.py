"""The two page forms of one function must read the same (FORMATS.md, "What both forms must produce").

tests/data/rendered/ holds hand-written rendered web-page text for functions whose reference
source pages are in the shared corpus. Each is read with the rendered reader and checked:

- against the per-function facts (../shared/facts/facts.json, transcribed by hand from the
  pages and the header: an oracle independent of both readers);
- against the source reader on the corpus page: equal parameter lists (names, order, direction,
  optional), equal return-code sets (name, kind, via), equal requirements.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sspimodel.read.rendered import read_rendered
from sspimodel.spec import Direction, FunctionSpec, ReturnKind, Via

DATA = Path(__file__).parent / "data" / "rendered"

# function -> its source page in the corpus (sdk-api-src/content/sspi/)
CASES = {
    "DeleteSecurityContext": "nf-sspi-deletesecuritycontext.md",
    "QuerySecurityPackageInfoA": "nf-sspi-querysecuritypackageinfoa.md",
    "ExportSecurityContext": "nf-sspi-exportsecuritycontext.md",
    "SspiGetAsyncCallStatus": "nf-sspi-sspigetasynccallstatus.md",
    "SspiInitializeSecurityContextAsyncA": "nf-sspi-sspiinitializesecuritycontextasynca.md",
}

FACT_DIRECTION = {
    "in": Direction.IN,
    "out": Direction.OUT,
    "in+out": Direction.INOUT,
    "none": Direction.UNKNOWN,
}


def read_data(name: str) -> FunctionSpec:
    file = f"{name}.txt"
    return read_rendered((DATA / file).read_text(encoding="utf-8"), file)


def params(spec: FunctionSpec) -> list[tuple[str, Direction, bool]]:
    return [(p.name, p.direction, p.optional) for p in spec.parameters]


def codes(spec: FunctionSpec) -> set[tuple[str, ReturnKind, Via]]:
    return {(r.name, r.kind, r.via) for r in spec.returns}


def requirements(spec: FunctionSpec) -> dict[str, str | None]:
    r = spec.requirements
    return {
        "min_client": r.min_client,
        "min_server": r.min_server,
        "header": r.header,
        "include_header": r.include_header,
        "library": r.library,
        "dll": r.dll,
    }


SSP_IN_USE_LABELS = frozenset({"Digest", "Kerberos or Negotiate", "NTLM", "Schannel/SSL"})


def words(text: str) -> str:
    # A table kept as description text is joined with " | " in source form, by lines in rendered.
    return " ".join(text.replace("|", " ").split())


def test_every_data_page_is_a_case() -> None:
    assert sorted(p.stem for p in DATA.glob("*.txt")) == sorted(CASES)


@pytest.mark.parametrize("name", CASES)
def test_rendered_page_reads_cleanly(name: str) -> None:
    spec = read_data(name)
    assert spec.name == name
    assert spec.unparsed == ()
    allowed = {"read.no-direction", "read.optional-in-prose", "read.missing-section", "read.empty-section"}
    assert {d.rule for d in spec.diagnostics} <= allowed, [str(d) for d in spec.diagnostics]


# ---------------------------------------------------------------------------------------------
# Against the facts


@pytest.mark.parametrize("name", CASES)
def test_rendered_parameters_match_facts(name: str, facts: dict[str, dict[str, Any]]) -> None:
    fact = facts[name]
    expected = [
        (p["name"], FACT_DIRECTION[p["direction"]], bool(p["optional"] or p["optional_in_prose_only"]))
        for p in fact["doc_params"]
    ]
    assert params(read_data(name)) == expected


@pytest.mark.parametrize("name", CASES)
def test_rendered_prototype_matches_header_facts(name: str, facts: dict[str, dict[str, Any]]) -> None:
    header = facts[name]["header_prototype"]
    spec = read_data(name)
    assert spec.prototype is not None
    assert spec.prototype.return_type == header["return_type"]
    assert [(p.name, p.c_type) for p in spec.prototype.params] == [
        (p["name"], p["c_type"]) for p in header["params"]
    ]
    assert [p.c_type for p in spec.parameters] == [p["c_type"] for p in header["params"]]


@pytest.mark.parametrize("name", CASES)
def test_rendered_returns_match_facts(name: str, facts: dict[str, dict[str, Any]]) -> None:
    fact = facts[name]
    expected = {(c, ReturnKind.SUCCESS) for c in fact["success_codes"]}
    expected |= {(c, ReturnKind.PENDING) for c in fact["in_progress_codes"]}
    expected |= {(c, ReturnKind.ERROR) for table in fact["error_code_tables"].values() for c in table}
    spec = read_data(name)
    assert {(r.name, r.kind) for r in spec.returns} == expected
    # Error tables the facts mark as reported later ("Fatal error codes", "via
    # SspiGetAsyncCallStatus") are via=async_status; the others are returned by the call.
    later = {
        c
        for key, table in fact["error_code_tables"].items()
        if "fatal" in key.lower() or "SspiGetAsyncCallStatus" in key
        for c in table
    }
    errors = [r for r in spec.returns if r.kind is ReturnKind.ERROR]
    assert {r.name for r in errors if r.via is Via.ASYNC_STATUS} == later


@pytest.mark.parametrize("name", CASES)
def test_rendered_requirements_match_facts(name: str, facts: dict[str, dict[str, Any]]) -> None:
    fact = facts[name]
    assert requirements(read_data(name)) == {
        "min_client": fact["min_client"],
        "min_server": fact["min_server"],
        "header": fact["req_header"],
        "include_header": fact["req_include_header"],
        "library": fact["req_lib"],
        "dll": fact["req_dll"],
    }


@pytest.mark.parametrize("name", CASES)
def test_rendered_value_tables_match_facts(name: str, facts: dict[str, dict[str, Any]]) -> None:
    spec = read_data(name)
    for fp in facts[name]["doc_params"]:
        got = [(v.name, v.number_text) for v in spec.parameter(fp["name"]).values()]
        if fp["values"] and all(v["name"] in SSP_IN_USE_LABELS for v in fp["values"]):
            # facts.json lists the rows of the "SSP in use | Meaning" table as values; the reader
            # keeps that table as text (rule.value-table): it lists no values of the parameter.
            assert got == []
        elif fp["values"]:
            assert got == [(v["name"], v["doc_value"]) for v in fp["values"]]


# ---------------------------------------------------------------------------------------------
# Against the source reader


@pytest.fixture(scope="module")
def read_source_fn() -> Any:
    import sspimodel.read.source as mod
    return mod.read_source


def both(name: str, corpus_dir: Path, read_source_fn: Any) -> tuple[FunctionSpec, FunctionSpec]:
    page = corpus_dir / "sspi" / CASES[name]
    source = read_source_fn(page.read_text(encoding="utf-8"), CASES[name])
    return source, read_data(name)


@pytest.mark.corpus
@pytest.mark.parametrize("name", CASES)
def test_forms_agree_on_parameters(name: str, corpus_dir: Path, read_source_fn: Any) -> None:
    source, rendered = both(name, corpus_dir, read_source_fn)
    assert source.name == rendered.name == name
    assert params(rendered) == params(source)


@pytest.mark.corpus
@pytest.mark.parametrize("name", CASES)
def test_forms_agree_on_return_codes(name: str, corpus_dir: Path, read_source_fn: Any) -> None:
    source, rendered = both(name, corpus_dir, read_source_fn)
    assert codes(rendered) == codes(source)
    # Both forms print the hex values and tables alike.
    assert {(r.name, r.via, r.table, r.hex_in_doc) for r in rendered.returns} == {
        (r.name, r.via, r.table, r.hex_in_doc) for r in source.returns
    }


@pytest.mark.corpus
@pytest.mark.parametrize("name", CASES)
def test_forms_agree_on_requirements(name: str, corpus_dir: Path, read_source_fn: Any) -> None:
    source, rendered = both(name, corpus_dir, read_source_fn)
    assert requirements(rendered) == requirements(source)


@pytest.mark.corpus
@pytest.mark.parametrize("name", CASES)
def test_forms_agree_on_variant_and_values(name: str, corpus_dir: Path, read_source_fn: Any) -> None:
    source, rendered = both(name, corpus_dir, read_source_fn)
    assert (rendered.variant, rendered.neutral_name) == (source.variant, source.neutral_name)
    assert [
        (p.name, [(v.name, v.number, v.number_text) for v in p.values()]) for p in rendered.parameters
    ] == [(p.name, [(v.name, v.number, v.number_text) for v in p.values()]) for p in source.parameters]


@pytest.mark.corpus
@pytest.mark.parametrize("name", CASES)
def test_forms_differ_in_description_whitespace_only(
    name: str, corpus_dir: Path, read_source_fn: Any
) -> None:
    source, rendered = both(name, corpus_dir, read_source_fn)
    assert words(rendered.description) == words(source.description)
    assert words(rendered.remarks) == words(source.remarks)
    for s, r in zip(source.parameters, rendered.parameters, strict=True):
        assert words(r.description) == words(s.description), s.name
    by_key = {(r.name, r.via): r for r in source.returns}
    for r in rendered.returns:
        assert words(r.description) == words(by_key[(r.name, r.via)].description), r.name
