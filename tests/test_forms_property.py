"""Property: the same content rendered into both page forms reads to the same facts.

A small renderer (this file) writes one generated page content as reference source markdown and
as rendered web-page text; both go through ``read_text`` (form detected from content), and the
facts the model depends on must agree: parameters (name, direction, optional and where it was
said, description words), return codes (name, kind, how reported, description words), and the
codes named elsewhere.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from sspimodel.read import read_text
from sspimodel.spec import Form, FunctionSpec

WORDS = st.sampled_from(
    "the a buffer handle size context value caller package token flags memory time name data "
    "structure pointer request result".split()
)
SENTENCE = st.lists(WORDS, min_size=2, max_size=10).map(lambda ws: " ".join(ws).capitalize() + ".")
PARAM_NAMES = st.sampled_from(
    ["phContext", "pvBuffer", "cbSize", "fFlags", "pszName", "ptsExpiry", "pInput", "ulAttribute", "hToken"]
)
TAGS = st.sampled_from(["in", "out", "in, out", "in, optional", "out, optional", "in, out, optional"])
SUCCESS_CODES = st.sampled_from(["SEC_E_OK", "SEC_I_CONTINUE_NEEDED", "SEC_I_COMPLETE_NEEDED"])
ERROR_CODES = st.sampled_from(
    ["SEC_E_INVALID_HANDLE", "SEC_E_INVALID_TOKEN", "SEC_E_INTERNAL_ERROR", "SEC_E_LOGON_DENIED", "NTE_BAD_FLAGS"]
)


@st.composite
def contents(draw: Any) -> dict[str, Any]:
    names = draw(st.lists(PARAM_NAMES, min_size=0, max_size=5, unique=True))
    params = []
    for n in names:
        prose_null = draw(st.booleans())
        text = draw(SENTENCE) + (" This parameter can be NULL." if prose_null else "")
        params.append({"name": n, "tag": draw(TAGS), "text": text})
    return {
        "description": draw(SENTENCE),
        "params": params,
        "success": draw(st.lists(SUCCESS_CODES, min_size=0, max_size=3, unique=True)),
        "errors": draw(st.lists(ERROR_CODES, min_size=0, max_size=4, unique=True)),
        "row_text": draw(SENTENCE),
        "last_error": draw(st.booleans()),
        "remarks_code": draw(st.sampled_from([None, "SEC_E_UNSUPPORTED_FUNCTION", "ERROR_INVALID_PARAMETER"])),
        "remarks": draw(SENTENCE),
    }


SUCCESS_INTRO = "If the function succeeds, it returns one of the following codes."
ERROR_INTRO = "If the function fails, it returns one of the following error codes."
LAST_ERROR = " To get the code, call GetLastError."


def remarks_text(c: dict[str, Any]) -> str:
    extra = f" The layer below may report {c['remarks_code']}." if c["remarks_code"] else ""
    return c["remarks"] + extra


def render_source(c: dict[str, Any]) -> str:
    out = [
        "---",
        "UID: NF:demo.DemoCall",
        "title: DemoCall function (demo.h)",
        "req.header: demo.h",
        "---",
        "",
        "# DemoCall function",
        "",
        "## -description",
        "",
        c["description"],
        "",
        "## -parameters",
        "",
    ]
    for p in c["params"]:
        out += [f"### -param {p['name']} [{p['tag']}]", "", p["text"], ""]
    out += ["## -returns", ""]
    for intro, rows in ((SUCCESS_INTRO, c["success"]), (ERROR_INTRO, c["errors"])):
        if not rows:
            continue
        tail = LAST_ERROR if c["last_error"] and intro is ERROR_INTRO else ""
        out += [intro + tail, "", "| Return code | Description |", "|---|---|"]
        out += [f"| **{code}** | {c['row_text']} |" for code in rows]
        out.append("")
    out += ["## -remarks", "", remarks_text(c), ""]
    return "\n".join(out)


def render_web(c: dict[str, Any]) -> str:
    out = ["DemoCall function (demo.h)", "", c["description"], "", "Parameters", ""]
    for p in c["params"]:
        out += [f"[{p['tag']}] {p['name']}", "", p["text"], ""]
    out += ["Return value", ""]
    for intro, rows in ((SUCCESS_INTRO, c["success"]), (ERROR_INTRO, c["errors"])):
        if not rows:
            continue
        tail = LAST_ERROR if c["last_error"] and intro is ERROR_INTRO else ""
        out += [intro + tail, "", "Return code Description"]
        for code in rows:
            out += [code, c["row_text"]]
        out.append("")
    out += ["Remarks", "", remarks_text(c), ""]
    return "\n".join(out)


def facts(f: FunctionSpec) -> dict[str, Any]:
    return {
        "name": f.name,
        "params": [
            (p.name, p.direction, p.optional, p.optional_source, " ".join(p.description.split()))
            for p in f.parameters
        ],
        "returns": sorted(
            (r.name, r.kind, r.via, r.reported_as, r.table is not None, " ".join(r.description.split()))
            for r in f.returns
        ),
        "mentioned": sorted(set(f.mentioned_names()) - set(f.return_names())),
        "orphans": f.orphan_headings,
    }


@seed(1313)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contents())
def test_both_forms_of_the_same_content_read_to_the_same_facts(c: dict[str, Any]) -> None:
    source = read_text(render_source(c), "demo.md")
    web = read_text(render_web(c), "demo.txt")
    assert (source.form, web.form) == (Form.SOURCE, Form.RENDERED)
    assert not [d for d in source.diagnostics + web.diagnostics if d.rule == "read.internal"]
    assert facts(source) == facts(web)
    # And the facts are the content's, not just equal to each other.
    assert [p[0] for p in facts(source)["params"]] == [p["name"] for p in c["params"]]
    assert {r.name for r in source.returns if r.table is not None} == set(c["success"]) | set(c["errors"])
