"""Every page of spec/pages states exactly the facts of its real page (defects included).

Each spec page names its real page: the ``upstream:`` key of its front matter, or, for pages that
cannot carry one (rendered web-page text, the verbatim seed), tests/data/upstream.yaml. The real
pages are in ../shared/corpus/sdk-api/sspi (test oracles, absent from a fresh clone: these tests
then skip). Both files go through the project's reader and are compared field by field through
FunctionSpec's public fields (sspimodel.check.drift.compare), plus direct scans of the text where
the reader is not the judge: the status codes named anywhere, the hex values printed, and, for
source pages, the ``### -param`` / ``#### -`` heading lines as printed.

Exact: parameters (names, order, direction, optional, TBD, orphan heading), value rows (names,
numbers as printed), return codes (name, side, channel, hex as printed), requirements, codes named
outside the return tables (with their section). A subset: the sections, the codes named anywhere,
the hex values printed (a page may say less than its real page, never more).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import CORPUS_DIR, SHARED, SPEC_DIR

from sspimodel.check.drift import Drift, compare
from sspimodel.codegen import apply_supplements, load_constants, read_supplements
from sspimodel.read import read_page, read_spec, read_text
from sspimodel.spec import Form

PAGES_DIR = SPEC_DIR / "pages"
PAGES = sorted(p.name for p in PAGES_DIR.iterdir() if p.suffix in (".md", ".txt"))
MAPPING = yaml.safe_load((Path(__file__).parent / "data" / "upstream.yaml").read_text(encoding="utf-8"))
UPSTREAM_PREFIX = "sdk-api-src/content/sspi/"
# Fields where the project page may say less than its real page (a subset), never more.
SUBSET_FIELDS = frozenset({"sections", "codes named", "hex printed"})
_UPSTREAM_KEY = re.compile(r"^upstream:\s*(\S+)\s*$", re.M)
_HEX = re.compile(r"\b0[xX][0-9A-Fa-f]{8}L?\b")
_HEADING = re.compile(r"^(###\s+-param\s+\S+.*|####\s+-\s+\S+.*)$", re.M)


def upstream_of(page: str, text: str) -> str | None:
    """The real page's path in the reference repository: front matter first, then the mapping."""
    head = text.split("\n---", 1)[0] if text.startswith("---") else ""
    m = _UPSTREAM_KEY.search(head)
    if m:
        return m.group(1)
    return MAPPING.get(f"spec/pages/{page}")


def real_path(upstream: str, corpus: Path = CORPUS_DIR) -> Path:
    assert upstream.startswith(UPSTREAM_PREFIX), upstream
    return corpus / "sspi" / upstream.removeprefix(UPSTREAM_PREFIX)


def _headings(text: str) -> list[str]:
    return [" ".join(h.split()) for h in _HEADING.findall(text)]


def fidelity_problems(ours_text: str, ours_file: str, theirs_text: str, theirs_file: str) -> list[str]:
    """Every way the project page departs from its real page, each naming the field."""
    ours, theirs = read_text(ours_text, ours_file), read_text(theirs_text, theirs_file)
    drifts: list[Drift] = compare(ours, theirs, ours_text, theirs_text)
    ours_hex, theirs_hex = set(_HEX.findall(ours_text)), set(_HEX.findall(theirs_text))
    drifts += [Drift(ours.name, "hex printed", "removed", ours=h) for h in sorted(ours_hex - theirs_hex)]
    if ours.form is Form.SOURCE and theirs.form is Form.SOURCE and _headings(ours_text) != _headings(theirs_text):
        drifts.append(Drift(ours.name, "parameter headings", "changed", " | ".join(_headings(ours_text)),
                            " | ".join(_headings(theirs_text))))
    problems = []
    for d in drifts:
        # Subset fields: only what the project page adds ("removed" from the real page's view) counts.
        if d.field in SUBSET_FIELDS and d.change == "added":
            continue
        problems.append(str(d))
    return problems


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not (CORPUS_DIR / "sspi").is_dir():
        pytest.skip(f"corpus folder {CORPUS_DIR / 'sspi'} is absent")
    return CORPUS_DIR


def test_every_spec_page_names_its_real_page() -> None:
    missing = [p for p in PAGES if upstream_of(p, (PAGES_DIR / p).read_text(encoding="utf-8")) is None]
    assert missing == [], "pages with neither an upstream: key nor an entry in tests/data/upstream.yaml"
    stale = sorted(set(MAPPING) - {f"spec/pages/{p}" for p in PAGES})
    assert stale == [], "tests/data/upstream.yaml names pages that do not exist"


@pytest.mark.parametrize("page", PAGES)
def test_page_states_the_facts_of_its_real_page(page: str, corpus: Path) -> None:
    ours_text = (PAGES_DIR / page).read_text(encoding="utf-8")
    upstream = upstream_of(page, ours_text)
    assert upstream is not None
    path = real_path(upstream, corpus)
    assert path.is_file(), f"{page}: its real page {upstream} is not in the corpus"
    problems = fidelity_problems(ours_text, page, path.read_text(encoding="utf-8"), path.name)
    assert problems == [], f"{page} departs from {upstream}:\n" + "\n".join(problems)


# A copy of one page with one fact changed must fail, naming the field that drifted.
DRIFTS = [
    ("QueryContextAttributesW.md", "<dt>124</dt>", "<dt>128</dt>",
     "value ulAttribute.SECPKG_ATTR_SUBJECT_SECURITY_ATTRIBUTES"),
    ("QueryContextAttributesW.md", "<dt>0x80100003</dt>", "<dt>0x80090301</dt>", "return SEC_E_INVALID_HANDLE.hex"),
    ("EnumerateSecurityPackagesW.md", "### -param pcPackages [in]", "### -param pcPackages [out]",
     "parameter pcPackages.direction"),
    ("QuerySecurityPackageInfoW.md", "### -param pPackageName\n\nTBD\n", "### -param pPackageName [in]\n\nName.\n",
     "parameter pPackageName.tbd"),
    ("SspiFreeAsyncContext.md", "\nThe async context to release.", "\n*Optional*. The async context to release.",
     "parameter Handle.optional"),
    ("DecryptMessage.md", "## -remarks\n\n", "## -remarks\n\nIt can also fail with SEC_E_CONTEXT_EXPIRED.\n\n",
     "codes named"),
    ("ExportSecurityContext.md", "## -see-also", "## -remarks\n\nExport once.\n\n## -see-also", "sections"),
    ("AcquireCredentialsHandleA.md", "req.dll: Secur32.dll", "req.dll: Kernel32.dll", "requirements.dll"),
    ("VerifySignature.txt", "Target Platform Windows\n", "Target Platform Xbox\n", "requirements.target_platform"),
]


@pytest.mark.parametrize(("page", "old", "new", "field"), DRIFTS, ids=[d[3] for d in DRIFTS])
def test_a_drifted_copy_fails_naming_the_field(page: str, old: str, new: str, field: str, corpus: Path) -> None:
    ours_text = (PAGES_DIR / page).read_text(encoding="utf-8")
    assert old in ours_text, f"{page} no longer contains {old!r}: update the drift"
    path = real_path(upstream_of(page, ours_text) or "", corpus)
    theirs_text = path.read_text(encoding="utf-8")
    assert fidelity_problems(ours_text, page, theirs_text, path.name) == []
    problems = fidelity_problems(ours_text.replace(old, new, 1), page, theirs_text, path.name)
    assert problems, f"drifting {page} ({old!r} -> {new!r}) went unnoticed"
    assert any(f": {field}" in p for p in problems), problems


def test_seeds_stay_verbatim() -> None:
    seeds = SHARED / "seeds"
    if not seeds.is_dir():
        pytest.skip(f"{seeds} is absent")
    pages = {p.read_bytes() for p in PAGES_DIR.iterdir()}
    for seed in sorted(seeds.glob("*.txt")):
        assert seed.read_bytes() in pages, f"no page of spec/pages is a verbatim copy of the seed {seed.name}"


# --- spec/supplements: facts from another version of a page, in a page of their own --------------


def test_supplement_values_are_the_header_values() -> None:
    constants = load_constants()
    supplements = read_supplements()
    assert [s.name for s in supplements] == ["QueryContextAttributes"]
    rows = [v for s in supplements for p in s.parameters for v in p.values()]
    assert len(rows) == 15  # eleven, and the four the general page adds for issue 19 (19b)
    for v in rows:
        assert v.number == constants[v.name].value, f"{v.name}: {v.number_text} vs {constants[v.name].where}"


def test_supplements_add_only_values_the_page_does_not_list() -> None:
    specs = {f.name: f for f in read_spec().functions}
    supplements = read_supplements()
    for name in ("QueryContextAttributesA", "QueryContextAttributesW"):
        page = specs[name].parameter("ulAttribute")
        merged = apply_supplements(specs[name], supplements).parameter("ulAttribute")
        page_names = [v.name for v in page.values()]
        merged_names = [v.name for v in merged.values()]
        assert merged_names[: len(page_names)] == page_names
        added = merged.values()[len(page_names):]
        assert {v.name for v in added}.isdisjoint(page_names)
        assert all(v.span.file.startswith("spec/supplements/") for v in added)
    # A function with no supplement of its neutral name is left as it is.
    assert apply_supplements(specs["DecryptMessage"], supplements) is specs["DecryptMessage"]


def test_supplement_pages_are_not_read_as_functions_of_the_spec() -> None:
    assert "QueryContextAttributes" not in read_spec().names()
    assert read_page(SPEC_DIR / "supplements" / "QueryContextAttributes-general.md").name == "QueryContextAttributes"
