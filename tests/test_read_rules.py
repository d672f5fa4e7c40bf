"""The shared reading rules (sspimodel.read.rules) and the misses of issue 13, each on a minimal
page written for the test (no page text copied)."""

from __future__ import annotations

import textwrap

import pytest

from sspimodel.check.lint import lint
from sspimodel.read import SpecSet, read_text
from sspimodel.read.rules import (
    OrphanMatcher,
    clause_kind,
    is_return_table_header,
    is_value_table_header,
    misnamed_parameters,
    optional_in_prose,
    pending_in,
    remarks_make_optional,
)
from sspimodel.spec import Form, FunctionSpec, Reported, ReturnKind, Variant, Via
from sspimodel.status_namespaces import load_namespaces, namespace_of


def src(body: str, name: str = "DemoCallW", uid: str = "NF", extra_fm: str = "") -> FunctionSpec:
    fm = f"---\nUID: {uid}:demo.{name}\ntitle: {name} function (demo.h)\n{extra_fm}---\n\n# {name} function\n\n"
    f = read_text(fm + textwrap.dedent(body).lstrip("\n"), "demo.md")
    assert f.form is Form.SOURCE
    return f


def rendered(text: str) -> FunctionSpec:
    f = read_text(textwrap.dedent(text).lstrip("\n"), "demo.txt")
    assert f.form is Form.RENDERED
    return f


def codes(f: FunctionSpec) -> list[tuple[str, ReturnKind, Reported]]:
    return [(r.name, r.kind, r.reported_as) for r in f.returns]


# --- rules, one by one ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("This parameter can be NULL.", True),
        ("If this parameter is NULL, the default is used.", True),
        ("If the value of this parameter is NULL, nothing is returned.", True),
        ("To skip it, set the value of this parameter to NULL.", True),
        ("*optional* A pointer to a time stamp.", True),
        ("The pointer must be valid.", False),
        ("On the first call this pointer is NULL.", False),  # says when, not that it may be left out
    ],
)
def test_rule_optional_in_prose(text: str, want: bool) -> None:
    assert optional_in_prose(text) is want


def test_rule_optional_in_remarks_names_the_parameter() -> None:
    remarks = "The pvData and pvMore parameters can be set to null when no reply is wanted."
    assert remarks_make_optional("pvData", remarks) and remarks_make_optional("pvMore", remarks)
    assert not remarks_make_optional("pvOther", remarks)


@pytest.mark.parametrize(
    ("clause", "want"),
    [
        ("If the function succeeds, it returns SEC_E_OK", ReturnKind.SUCCESS),
        ("If the function fails, it returns an error code", ReturnKind.ERROR),
        ("It returns SEC_E_NO_CREDENTIALS when the handle was not accepted", ReturnKind.ERROR),
        ("If the security context was accepted, it returns SEC_E_OK", ReturnKind.SUCCESS),
        ("It returns the code", None),
    ],
)
def test_rule_clause_kind(clause: str, want: ReturnKind | None) -> None:
    assert clause_kind(clause) is want


def test_rule_pending_never_takes_an_error_or_the_completion_code() -> None:
    running = "while the request is still running"
    assert pending_in(running, "SEC_I_ASYNC_CALL_PENDING")
    assert not pending_in(running, "SEC_E_INSUFFICIENT_MEMORY")
    assert not pending_in(running, "SEC_E_OK")
    assert pending_in("anything", "SEC_I_ASYNC_CALL_PENDING")


@pytest.mark.parametrize(
    ("header", "want"),
    [
        (("Value", "Meaning"), True),
        (("Flag", "Description"), True),
        (("SSP in use", "Meaning"), False),
        (("Buffer #/buffer type", "Meaning"), False),
        (("Return code", "Description"), False),
    ],
)
def test_rule_value_table(header: tuple[str, str], want: bool) -> None:
    assert is_value_table_header(header) is want


@pytest.mark.parametrize(
    ("first", "second", "want"),
    [
        ("Return code", "Description", True),
        ("Return code/value", "Description", True),
        ("Error Codes", "Description", True),
        ("Value", "Meaning", False),
    ],
)
def test_rule_return_table(first: str, second: str, want: bool) -> None:
    assert is_return_table_header(first, second) is want


def test_orphan_matcher_takes_the_same_stem_first_then_the_nearest_similar() -> None:
    m = OrphanMatcher()
    m.add_tbd(10, "pPrincipal", "a")
    m.add_tbd(20, "pPackage", "b")
    assert m.match(25, "pszPackage") == "b"
    assert m.match(30, "pszPrincipal") == "a"
    assert m.match(40, "pszOther") is None


def test_rule_parameter_name_in_prose() -> None:
    assert misnamed_parameters(["ptsStamp", "ptsExpiry", "pAuthData"], ["phCred", "ptsExpiry"]) == [
        ("ptsStamp", "ptsExpiry")
    ]


# --- the misses of issue 13 -------------------------------------------------------------------


def test_html_list_of_return_codes_is_read() -> None:
    f = src(
        """
        ## -returns

        If the call fails, the return value is FALSE. Call GetLastError for the reason, one of these:

        <ul>
        <li>ERROR_NOT_FOUND</li>
        <li>ERROR_NO_SUCH_LOGON_SESSION</li>
        </ul>
        """
    )
    assert codes(f) == [
        ("ERROR_NOT_FOUND", ReturnKind.ERROR, Reported.GET_LAST_ERROR),
        ("ERROR_NO_SUCH_LOGON_SESSION", ReturnKind.ERROR, Reported.GET_LAST_ERROR),
    ]
    assert f.returns_form == "list"
    assert all(r.table == 0 for r in f.returns)


def test_markdown_list_of_return_codes_is_read() -> None:
    f = src(
        """
        ## -returns

        If the function fails, it returns one of these codes:

        - **NTE_BAD_FLAGS**: the flags are wrong.
        - **NTE_NO_MEMORY**: out of memory.
        """
    )
    assert [(r.name, r.kind) for r in f.returns] == [
        ("NTE_BAD_FLAGS", ReturnKind.ERROR),
        ("NTE_NO_MEMORY", ReturnKind.ERROR),
    ]
    assert f.returns[0].description == "the flags are wrong."


def test_rendered_error_codes_description_table_is_read_with_get_last_error() -> None:
    f = rendered(
        """
        DemoConnect function (demo.h)

        Opens a demo connection.

        Return value

        Returns a handle if successful, or NULL otherwise. For extended error information, call GetLastError.

        Error Codes Description
        ERROR_DEMO_TIMEOUT
        The request took too long.
        ERROR_NOT_ENOUGH_MEMORY
        Memory ran out.
        """
    )
    assert codes(f) == [
        ("ERROR_DEMO_TIMEOUT", ReturnKind.ERROR, Reported.GET_LAST_ERROR),
        ("ERROR_NOT_ENOUGH_MEMORY", ReturnKind.ERROR, Reported.GET_LAST_ERROR),
    ]
    assert f.returns_form == "table"


def test_source_table_read_with_get_last_error() -> None:
    f = src(
        """
        ## -returns

        If the function succeeds, it returns TRUE. If it fails, it returns FALSE; call GetLastError to get one of the following codes.

        | Return code | Description |
        |---|---|
        | **NTE_BAD_UID** | The handle is not valid. |
        """
    )
    assert codes(f) == [("NTE_BAD_UID", ReturnKind.ERROR, Reported.GET_LAST_ERROR)]


def test_optional_in_prose_variants_and_remarks() -> None:
    f = src(
        """
        ## -parameters

        ### -param pvA [in]

        If this parameter is NULL, the default is used.

        ### -param pvB [in]

        If the value of this parameter is NULL, nothing is copied.

        ### -param pvC [in]

        To skip it, set the value of this parameter to NULL.

        ### -param pvD [in]

        A demo pointer.

        ### -param pvE [in]

        On the first call this pointer is NULL.

        ## -remarks

        The *pvD* parameter can be set to **null** when no answer is wanted.
        """
    )
    got = {p.name: (p.optional, p.optional_source) for p in f.parameters}
    assert got == {
        "pvA": (True, "prose"),
        "pvB": (True, "prose"),
        "pvC": (True, "prose"),
        "pvD": (True, "prose"),
        "pvE": (False, None),
    }


def test_meaning_table_of_packages_is_not_a_value_table() -> None:
    f = src(
        """
        ## -parameters

        ### -param pszName [in]

        The name, read as follows.

        | SSP in use | Meaning |
        |---|---|
        | **Digest** | A URI. |
        | **NTLM** | A principal name. |

        ### -param fFlags [in]

        Flags.

        | Value | Meaning |
        |---|---|
        | **DEMO_FLAG_ONE** 1 (0x1) | The first. |
        """
    )
    assert f.parameter("pszName").values() == ()
    assert "Digest" in f.parameter("pszName").description
    assert [v.name for v in f.parameter("fFlags").values()] == ["DEMO_FLAG_ONE"]


def test_rendered_meaning_table_of_packages_is_not_a_value_table() -> None:
    f = rendered(
        """
        DemoCall function (demo.h)

        Does a demo thing.

        Parameters

        [in] pszName

        The name, read as follows.
        SSP in use Meaning
        Digest
        A URI.

        Return value

        Returns SEC_E_OK.
        """
    )
    assert f.parameter("pszName").values() == ()


def test_ex_page_variant_comes_from_its_api_names() -> None:
    f = src("## -description\n\nDemo.\n", name="DemoQueryExA", extra_fm="api_name:\n - DemoQueryExA\n - DemoQueryEx\n")
    assert (f.variant, f.neutral_name) == (Variant.A, "DemoQueryEx")
    g = src("## -description\n\nDemo.\n", name="DemoQueryExA")
    assert g.variant is Variant.NEUTRAL  # nothing on the page says it is one of a pair


def test_error_and_nte_codes_named_outside_returns_are_collected() -> None:
    f = src(
        """
        ## -remarks

        A bad key makes the provider fail with NTE_BAD_KEY, and a bad size with ERROR_INVALID_PARAMETER.
        """
    )
    assert set(f.mentioned_names()) == {"NTE_BAD_KEY", "ERROR_INVALID_PARAMETER"}


def test_wrong_parameter_name_in_prose_is_reported() -> None:
    f = src(
        """
        ## -parameters

        ### -param ptsExpiry [out]

        The expiry.

        ## -remarks

        Until the last call, <i>ptsStamp</i> must be **NULL**.
        """
    )
    [d] = [d for d in f.diagnostics if d.rule == "read.parameter-name-in-prose"]
    assert "ptsStamp" in d.message and "ptsExpiry" in d.message
    assert d.line == 16  # the remarks line, counted from the front matter's first line


@pytest.mark.parametrize("form", ["source", "rendered"])
def test_both_forms_agree_on_the_sentences_they_used_to_split_on(form: str) -> None:
    sentences = (
        "If the function succeeds, it returns SEC_E_OK. "
        "It returns SEC_E_NO_CREDENTIALS when the handle was not accepted. "
        "It returns SEC_E_INSUFFICIENT_MEMORY while the request is still running."
    )
    if form == "source":
        f = src(f"## -returns\n\n{sentences}\n")
    else:
        f = rendered(f"DemoCall function (demo.h)\n\nDemo.\n\nReturn value\n\n{sentences}\n")
    assert {r.name: r.kind for r in f.returns} == {
        "SEC_E_OK": ReturnKind.SUCCESS,
        "SEC_E_NO_CREDENTIALS": ReturnKind.ERROR,
        "SEC_E_INSUFFICIENT_MEMORY": ReturnKind.ERROR,
    }
    assert all(r.via is Via.CALL for r in f.returns)


def test_struct_page_fields_and_enum_values() -> None:
    s = src("## -struct-fields\n\n### -field cbSize\n\nThe size.\n\n### -field pvData\n\nThe data.\n", name="DemoStruct", uid="NS")
    assert [(x.name, x.description) for x in s.as_struct().fields] == [("cbSize", "The size."), ("pvData", "The data.")]
    e = src("## -enum-fields\n\n### -field DemoNone:0\n\nNothing.\n\n### -field DemoAll:1\n\nAll.\n", name="DEMO_KIND", uid="NE")
    assert [(x.name, x.value) for x in e.as_enum().members] == [("DemoNone", "0"), ("DemoAll", "1")]


# --- status namespaces --------------------------------------------------------------------------


def test_namespaces_know_codes_outside_sspi() -> None:
    # Values from the SDK headers (winerror.h, ntstatus.h, winhttp.h, lmerr.h), kept as data.
    want = {
        "ERROR_SUCCESS": ("win32", 0x0),
        "ERROR_INVALID_PARAMETER": ("win32", 0x57),
        "ERROR_WINHTTP_TIMEOUT": ("win32", 12002),
        "NTE_BAD_FLAGS": ("hresult", 0x80090009),
        "E_INVALIDARG": ("hresult", 0x80070057),
        "STATUS_INVALID_HANDLE": ("ntstatus", 0xC0000008),
        "NERR_Success": ("netapi", 0),
        "SEC_E_OK": ("security_status", 0),
    }
    for name, (ns, value) in want.items():
        info = namespace_of(name)
        assert info is not None and (info.namespace, info.value) == (ns, value), name
    assert namespace_of("ERROR_NO_SUCH_THING_EVER") is None
    assert len(load_namespaces()) > 4000


def _lint(f: FunctionSpec) -> list[str]:
    found = lint(SpecSet((f,), (), "demo"))
    return [d.message for d in found if d.rule == "lint.unknown-status"]


def test_unknown_status_flags_only_truly_unknown_codes() -> None:
    f = src(
        """
        ## -returns

        If the function fails, it returns one of these codes.

        | Return code | Description |
        |---|---|
        | **STATUS_INVALID_HANDLE** | Bad handle. |
        | **STATUS_INVALID_PARAMETER** | Bad parameter. |

        ## -remarks

        A caller may also see ERROR_INVALID_PARAMETER from the layer below, or ERROR_NO_SUCH_THING_EVER.
        """
    )
    msgs = _lint(f)
    # An NTSTATUS function is not told to use SEC_E_* codes; known Win32 codes pass.
    assert len(msgs) == 1 and msgs[0].startswith("ERROR_NO_SUCH_THING_EVER")
    assert "SEC_E" not in msgs[0]


def test_unknown_status_reports_a_return_code_of_another_namespace() -> None:
    f = src(
        """
        ## -returns

        If the function fails, it returns one of these codes.

        | Return code | Description |
        |---|---|
        | **STATUS_INVALID_HANDLE** | Bad handle. |
        | **STATUS_NO_MEMORY** | Out of memory. |
        | **E_INVALIDARG** | Bad argument. |
        """
    )
    [msg] = _lint(f)
    assert msg.startswith("E_INVALIDARG") and "HRESULT" in msg and "NTSTATUS" in msg


def test_ntstatus_on_a_security_status_page_is_still_reported() -> None:
    f = src(
        """
        ## -returns

        If the function fails, it returns one of these codes.

        | Return code | Description |
        |---|---|
        | **SEC_E_INVALID_HANDLE** | Bad handle. |
        | **STATUS_INVALID_PARAMETER** | Bad parameter. |
        """
    )
    [msg] = _lint(f)
    assert msg.startswith("STATUS_INVALID_PARAMETER") and "0xC000000D" in msg


def test_namespaces_agree_with_the_sdk_headers_when_installed(mingw_include) -> None:
    """spec/data/status_namespaces.tsv was derived from these headers; re-derive and compare."""
    import subprocess
    import sys

    from sspimodel.paths import REPO_ROOT

    out = REPO_ROOT / "build" / "status_namespaces.check.tsv"
    out.parent.mkdir(exist_ok=True)
    tool = REPO_ROOT / "tools" / "derive_status_namespaces.py"
    subprocess.run([sys.executable, str(tool), "--include", str(mingw_include), "-o", str(out)], check=True)
    fresh = [ln for ln in out.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    kept = [
        ln
        for ln in (REPO_ROOT / "spec" / "data" / "status_namespaces.tsv").read_text(encoding="utf-8").splitlines()
        if not ln.startswith("#")
    ]
    assert fresh == kept


# words_re: the fast form of ``\b(?:w1|w2|...)`` finds the same spans as the plain form.
_WORD_LISTS = [
    (r"succe(?:eds?|eded|ss|ssful|ssfully)\b", r"a(?<!\bnot a)ccepted\b", r"was acquired\b", r"success codes?\b"),
    (r"fail(?:s|ed|ure)?\b", r"otherwise\b", r"error codes?\b", r"fatal\b", r"nonzero\b", r"not accepted\b"),
    (r"ha(?:s|ve) not (?:yet )?(?:finished|completed|complete)\b", r"not yet (?:finished|done)\b"),
]
_WORD_TEXTS = [
    "If the function succeeds, it returns SEC_E_OK; otherwise it fails.",
    "The call succeeded. Success codes follow. Failure, failed, fails, unsuccessful, successfully.",
    "the handle was not accepted; it was accepted; NOT Accepted; accepted",
    "Xfail failX _fail fail_ fail. fatal nonzero error code ERROR CODES",
    "has not finished, have not yet completed, hasnot finished, not yet done",
    "\u017fucceeds \u212a \u0131 \u0130 \u00e9fail fail\u00e9 \u00a0fails",
    "",
    "s a w f o e n",
]


@pytest.mark.parametrize("words", _WORD_LISTS)
@pytest.mark.parametrize("text", _WORD_TEXTS)
def test_words_re_matches_as_the_plain_alternation(words: tuple[str, ...], text: str) -> None:
    import re

    from sspimodel.read.rules import words_re

    plain = re.compile("|".join(rf"\b{w}" for w in words), re.I)
    fast = words_re(*words)
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_words_re_refuses_a_word_not_led_by_a_letter() -> None:
    from sspimodel.read.rules import words_re

    with pytest.raises(ValueError):
        words_re(r"\bfail")


@pytest.mark.parametrize(
    "text",
    [
        "<i>pX</i> and *pY* and <pZ* but not a*pW* nor **pV** nor *pU*x; <i> p_1 </i>*pT*<b>*pS*</b>",
        "<a href='x'>*<i>pA</i>*</a> <td>*pB* <pC*> *<i>pD</i>",
        "",
    ],
)
def test_italic_names_are_the_italic_name_regex_matches(text: str) -> None:
    from sspimodel.read.rules import ITALIC_NAME_RE, italic_names

    expected = [(m.start(), m.group(1) or m.group(2)) for m in ITALIC_NAME_RE.finditer(text)]
    assert italic_names(text) == expected
    assert italic_names(text, 5) == [(m.start(), m.group(1) or m.group(2)) for m in ITALIC_NAME_RE.finditer(text, 5)]


@pytest.mark.parametrize(
    "text",
    [
        "SEC_E_OK, SEC_I_CONTINUE_NEEDED; STATUS_SUCCESS ERROR_MORE_DATA NTE_BAD_KEY NERR_Success",
        "XSEC_E_OK SEC_X_Y SEC_E_OKa _SEC_E_OK SEC_E_OK_ ISC_REQ_X_STATUS_Y \u00e9SEC_E_OK",
        "",
    ],
)
def test_find_status_codes_are_the_status_code_regex_matches(text: str) -> None:
    from sspimodel.read.common import STATUS_CODE_RE, find_status_codes

    for pos in (0, 1, 4):
        expected = [(m.start(), m.group(1)) for m in STATUS_CODE_RE.finditer(text, pos)]
        assert find_status_codes(text, pos) == expected
