"""sspimodel lint: each rule on hand-built FunctionSpecs, on fixture pages, and on real pages."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from sspimodel.check.header import load_header_facts, macro_values_text, parse_header_text, preprocess
from sspimodel.check.lint import (
    CORPUS_CHECKS,
    HEADER_DATA,
    PAGE_CHECKS,
    RULES,
    LintContext,
    format_text,
    lint,
    lint_functions,
    make_context,
    run_lint,
)
from sspimodel.spec import (
    Diagnostic,
    Direction,
    Form,
    FunctionSpec,
    Mention,
    Parameter,
    Requirements,
    ReturnCode,
    ReturnKind,
    SeeAlso,
    Severity,
    Span,
    Value,
    ValueTable,
    Variant,
    Via,
)

DATA = Path(__file__).parent / "data" / "lint"
F = "Page.md"


# --- builders --------------------------------------------------------------------------------


def sp(start: int, end: int | None = None, file: str = F) -> Span:
    return Span(file, start, end if end is not None else start)


def param(name: str, direction: Direction = Direction.IN, *, line: int = 10, description: str = "A handle.",
          optional: bool = False, **kw: object) -> Parameter:
    return Parameter(name=name, direction=direction, optional=optional, description=description, span=sp(line, line + 2),
                     **kw)  # type: ignore[arg-type]


def ret(name: str, kind: ReturnKind = ReturnKind.ERROR, *, line: int = 40, hex_in_doc: str | None = None,
        via: Via = Via.CALL, description: str = "") -> ReturnCode:
    return ReturnCode(name=name, kind=kind, via=via, description=description, span=sp(line, line + 1),
                      hex_in_doc=hex_in_doc, table=0)


def fn(name: str = "DeleteSecurityContext", *, file: str = F, variant: Variant = Variant.NEUTRAL,
       neutral: str | None = None, **kw: object) -> FunctionSpec:
    kw.setdefault("parameters", (param("phContext"),))
    kw.setdefault("returns", (ret("SEC_E_OK", ReturnKind.SUCCESS), ret("SEC_E_INVALID_HANDLE", line=42)))
    return FunctionSpec(name=name, variant=variant, neutral_name=neutral or name, form=Form.SOURCE,
                        source=Span(file, 1, 100), **kw)  # type: ignore[arg-type]


def ctx_for(*functions: FunctionSpec, header_dir: Path | None = None) -> LintContext:
    return make_context(functions, root=None, header_dir=header_dir)


def run(rule: str, *functions: FunctionSpec, header_dir: Path | None = None) -> list[Diagnostic]:
    ctx = ctx_for(*functions, header_dir=header_dir)
    if rule in PAGE_CHECKS:
        out = [d for f in functions for d in PAGE_CHECKS[rule](f, ctx)]
    else:
        out = list(CORPUS_CHECKS[rule](tuple(functions), ctx))
    assert all(d.rule == rule for d in out)
    return out


def where(findings: list[Diagnostic]) -> list[tuple[str, int]]:
    return [(d.file, d.line) for d in findings]


# --- the rule table --------------------------------------------------------------------------


def test_every_rule_has_a_checker_and_every_checker_a_rule():
    assert set(RULES) == set(PAGE_CHECKS) | set(CORPUS_CHECKS)
    assert not set(PAGE_CHECKS) & set(CORPUS_CHECKS)
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id and rule_id.startswith("lint.")
        assert rule.summary and rule.hint and isinstance(rule.severity, Severity)


# --- lint.code-not-in-returns ----------------------------------------------------------------


def test_code_named_in_a_value_row_but_not_returned_is_reported_at_the_row():
    f = fn(mentioned_codes=(Mention("SEC_E_NO_AUTHENTICATING_AUTHORITY", "parameters: phContext", 23,
                                    "SECPKG_CRED_INBOUND"),))
    [d] = run("lint.code-not-in-returns", f)
    assert (d.line, d.severity, d.function) == (23, Severity.WARNING, "DeleteSecurityContext")
    assert "SEC_E_NO_AUTHENTICATING_AUTHORITY" in d.message and "SECPKG_CRED_INBOUND" in d.message


def test_code_named_and_returned_or_named_in_returns_prose_is_not_reported():
    f = fn(mentioned_codes=(Mention("SEC_E_INVALID_HANDLE", "remarks", 60),
                            Mention("SEC_I_CONTINUE_NEEDED", "returns (prose)", 38)))
    assert run("lint.code-not-in-returns", f) == []


def test_code_the_text_attributes_to_another_function_is_info():
    f = fn("CompleteAuthToken", remarks="Call this function if InitializeSecurityContextA returned "
           "SEC_I_COMPLETE_NEEDED. With SEC_I_COMPLETE_NEEDED the token is complete.",
           mentioned_codes=(Mention("SEC_I_COMPLETE_NEEDED", "remarks", 70),))
    other = fn("InitializeSecurityContextA", file="Other.md")
    found = run("lint.code-not-in-returns", f, other)
    assert [(d.severity, d.line) for d in found] == [(Severity.INFO, 70)]
    assert "attributes it to InitializeSecurityContextA" in found[0].message


def test_code_first_named_without_another_function_stays_a_warning():
    f = fn("CompleteAuthToken", remarks="With SEC_I_COMPLETE_NEEDED the token is complete. "
           "InitializeSecurityContextA returns SEC_I_COMPLETE_NEEDED.",
           mentioned_codes=(Mention("SEC_I_COMPLETE_NEEDED", "remarks", 70),))
    found = run("lint.code-not-in-returns", f, fn("InitializeSecurityContextA", file="Other.md"))
    assert [(d.severity, d.line) for d in found] == [(Severity.WARNING, 70)]


# --- lint.kind-contradicts-value -------------------------------------------------------------


def test_error_value_listed_as_success_is_reported():
    f = fn(returns=(ret("SEC_E_OK", ReturnKind.SUCCESS),
                    ret("SEC_E_INCOMPLETE_MESSAGE", ReturnKind.SUCCESS, line=50, description="The function succeeded.")))
    [d] = run("lint.kind-contradicts-value", f)
    assert d.line == 50 and d.severity is Severity.ERROR
    assert "0x80090318" in d.message and "success" in d.message and "The function succeeded." in d.message


def test_success_value_listed_as_error_is_reported():
    f = fn(returns=(ret("SEC_I_RENEGOTIATE", ReturnKind.ERROR, line=44),))
    [d] = run("lint.kind-contradicts-value", f)
    assert d.line == 44 and "an error" in d.message and "0x00090321" in d.message


def test_kinds_that_agree_with_values_are_not_reported():
    f = fn(returns=(ret("SEC_E_OK", ReturnKind.SUCCESS), ret("SEC_I_CONTINUE_NEEDED", ReturnKind.SUCCESS),
                    ret("SEC_I_ASYNC_CALL_PENDING", ReturnKind.PENDING), ret("SEC_E_INVALID_TOKEN")))
    assert run("lint.kind-contradicts-value", f) == []


# --- lint.unknown-status ---------------------------------------------------------------------


def test_status_outside_the_catalog_is_reported_in_returns_and_mentions():
    f = fn(returns=(ret("SEC_E_OK", ReturnKind.SUCCESS), ret("STATUS_INVALID_PARAMETER", line=47)),
           mentioned_codes=(Mention("SEC_E_NO_SUCH_THING", "remarks", 80),))
    found = run("lint.unknown-status", f)
    assert [(d.line, d.message.split()[0]) for d in found] == [(47, "STATUS_INVALID_PARAMETER"),
                                                               (80, "SEC_E_NO_SUCH_THING")]
    assert "NTSTATUS" in found[0].message


def test_unknown_ntstatus_is_named_with_its_ntstatus_h_value():
    # On a SECURITY_STATUS page (MakeSignature's shape): an NTSTATUS the caller never sees.
    f = fn(returns=(ret("SEC_E_OK", line=45), ret("STATUS_INVALID_PARAMETER", line=47)))
    [d] = run("lint.unknown-status", f, header_dir=HEADER_DATA)
    assert "0xC000000D" in d.message


def test_catalog_statuses_are_not_reported():
    f = fn(mentioned_codes=(Mention("SEC_I_ASYNC_CALL_PENDING", "remarks", 80),))
    assert run("lint.unknown-status", f) == []


# --- lint.hex-mismatch -----------------------------------------------------------------------


def test_wrong_hex_is_reported_and_says_it_is_not_the_codes_value():
    f = fn(returns=(ret("SEC_E_INVALID_HANDLE", hex_in_doc="0x80100003L", line=241),))
    [d] = run("lint.hex-mismatch", f)
    assert d.line == 241 and d.severity is Severity.ERROR
    assert "0x80100003L" in d.message and "0x80090301" in d.message
    assert "not the value of any code in the status catalog" in d.message


def test_wrong_hex_belonging_to_another_code_names_that_code():
    f = fn(returns=(ret("SEC_E_INVALID_HANDLE", hex_in_doc="0x80090300", line=12),))
    [d] = run("lint.hex-mismatch", f)
    assert "is the value of SEC_E_INSUFFICIENT_MEMORY" in d.message


@pytest.mark.parametrize("printed", ["0x80090301L", "0x80090301", "0X80090301"])
def test_right_hex_in_any_spelling_is_not_reported(printed):
    assert run("lint.hex-mismatch", fn(returns=(ret("SEC_E_INVALID_HANDLE", hex_in_doc=printed),))) == []


# --- lint.value-mismatch ---------------------------------------------------------------------


def _with_values(*values: Value) -> FunctionSpec:
    table = ValueTable(("Value", "Meaning"), values, sp(20, 30))
    return fn("QueryContextAttributesA", parameters=(param("ulAttribute", value_tables=(table,)),))


def test_value_table_number_differing_from_the_header_is_reported():
    f = _with_values(Value("SECPKG_ATTR_SUBJECT_SECURITY_ATTRIBUTES", 124, "124", "Subject attributes.", sp(25)))
    [d] = run("lint.value-mismatch", f)
    assert d.line == 25 and "124" in d.message and "0x00000080" in d.message and "sspi.h:531" in d.message


def test_value_table_numbers_that_agree_or_are_absent_are_not_reported():
    f = _with_values(Value("SECPKG_CRED_INBOUND", 1, "0x1", "", sp(21)), Value("SECPKG_CRED_OUTBOUND", None, None, "", sp(22)),
                     Value("NOT_A_KNOWN_MACRO", 7, "7", "", sp(23)))
    assert run("lint.value-mismatch", f) == []


# --- lint.tbd-parameter / lint.orphan-heading ------------------------------------------------


def test_tbd_parameter_is_reported_with_its_orphan_heading():
    f = fn("AcquireCredentialsHandleW", parameters=(param("pPrincipal", Direction.UNKNOWN, line=59, description="TBD",
                                                          tbd=True, documented_as="pszPrincipal"),))
    [d] = run("lint.tbd-parameter", f)
    assert d.line == 59 and "pPrincipal" in d.message and "pszPrincipal" in d.message
    [o] = run("lint.orphan-heading", f)
    assert o.line == 59 and "'#### - pszPrincipal'" in o.message and "sspi.h" not in o.message


def test_orphan_heading_that_carries_the_header_name_says_so():
    f = fn("AcquireCredentialsHandleW", parameters=(
        param("pPrincipal", Direction.UNKNOWN, line=59, description="TBD", tbd=True, documented_as="pszPrincipal"),
        param("pPackage", Direction.UNKNOWN, line=63, description="TBD", tbd=True, documented_as="pszPackage")))
    found = run("lint.orphan-heading", f, header_dir=HEADER_DATA)
    assert [d.line for d in found] == [59, 63]
    assert "user-mode declaration (sspi.h:806) names parameter 2 'pszPackage'" in found[1].message


def test_documented_parameters_are_neither_tbd_nor_orphans():
    f = fn(parameters=(param("phContext", documented_as="phContext"),))
    assert run("lint.tbd-parameter", f) == [] and run("lint.orphan-heading", f) == []


# --- lint.no-direction -----------------------------------------------------------------------


def test_parameter_without_direction_is_reported_at_its_heading():
    f = fn(parameters=(param("phContext", line=12), param("AsyncContext", Direction.UNKNOWN, line=15)))
    assert where(run("lint.no-direction", f)) == [(F, 15)]


# --- lint.direction-contradicts-text ---------------------------------------------------------


@pytest.mark.parametrize("text", [
    "A pointer to a ULONG variable that receives the number of packages available on the system.",
    "A pointer to a variable that receives a pointer to an array of SecPkgInfo structures.",
    "Receives the handle of the new context.",
    "A pointer to a buffer to receive the token. On output, the buffer holds the token.",
])
def test_in_parameter_said_to_receive_is_reported(text):
    f = fn(parameters=(param("pcPackages", Direction.IN, line=61, description=text),))
    [d] = run("lint.direction-contradicts-text", f)
    assert d.line == 61 and "[in]" in d.message and "pcPackages" in d.message


@pytest.mark.parametrize(("direction", "text"), [
    (Direction.IN, "A pointer to a SecBufferDesc structure that holds the token returned by the server."),
    (Direction.IN, "A handle to the credentials received from AcquireCredentialsHandle."),
    (Direction.IN, "A handle to the context.\n\nThe function returns SEC_E_OK and the context receives a name."),
    (Direction.INOUT, "A buffer. On output, this buffer receives the token."),
    (Direction.OUT, "A pointer to a variable that receives the attributes."),
    (Direction.UNKNOWN, "A pointer to a variable that receives the attributes."),
])
def test_direction_consistent_text_is_not_reported(direction, text):
    f = fn(parameters=(param("p", direction, description=text),))
    assert run("lint.direction-contradicts-text", f) == []


def test_out_parameter_said_to_supply_is_reported():
    f = fn(parameters=(param("pBuffer", Direction.OUT, line=33, description="Supplies the input token."),))
    [d] = run("lint.direction-contradicts-text", f)
    assert d.line == 33 and "[out]" in d.message


# --- lint.aw-drift ---------------------------------------------------------------------------


def _pair(**w_changes: object) -> tuple[FunctionSpec, FunctionSpec]:
    req = Requirements(min_client="Windows XP", header="sspi.h", dll="Secur32.dll",
                       unicode_ansi="FooW (Unicode) and FooA (ANSI)")
    a = fn("FooA", file="FooA.md", variant=Variant.A, neutral="Foo", requirements=req,
           parameters=(param("pszName", c_type="SEC_CHAR *", line=10), param("phOut", Direction.OUT, line=14)))
    w_kw: dict[str, object] = {
        "requirements": req,
        "parameters": (param("pszName", c_type="SEC_WCHAR *", line=11), param("phOut", Direction.OUT, line=15)),
    }
    w_kw.update(w_changes)
    w = fn("FooW", file="FooW.md", variant=Variant.W, neutral="Foo", **w_kw)
    return a, w


def test_aw_pages_differing_only_in_string_types_do_not_drift():
    assert run("lint.aw-drift", *_pair()) == []


def test_aw_parameter_drift_is_reported_once_per_difference_on_the_later_page():
    a, w = _pair(parameters=(param("pszOther", c_type="SEC_WCHAR *", line=11),
                             param("phOut", Direction.INOUT, optional=True, line=15)))
    found = run("lint.aw-drift", a, w)
    assert where(found) == [("FooW.md", 11), ("FooW.md", 15), ("FooW.md", 15)]
    assert "pszOther" in found[0].message and "pszName" in found[0].message
    assert "inout" in found[1].message and "optional" in found[2].message


def test_aw_return_and_requirement_drift_is_reported():
    a, w = _pair(returns=(ret("SEC_E_OK", ReturnKind.SUCCESS), ret("SEC_E_NOT_OWNER", line=45)),
                 requirements=Requirements(min_client="Windows Vista", header="sspi.h", dll="Secur32.dll",
                                           unicode_ansi="different text is ignored"))
    msgs = [d.message for d in run("lint.aw-drift", a, w)]
    assert len(msgs) == 3
    assert any("SEC_E_INVALID_HANDLE is not a return code here" in m for m in msgs)
    assert any("SEC_E_NOT_OWNER is a return code here" in m for m in msgs)
    assert any("min_client" in m and "Windows Vista" in m for m in msgs)


# --- lint.see-also-unknown -------------------------------------------------------------------


def test_see_also_naming_a_function_without_page_is_info():
    f = fn(see_also=(SeeAlso("ExportSecurityContext", None, "ExportSecurityContext", sp(90)),
                     SeeAlso("DeleteSecurityContext", None, "DeleteSecurityContext", sp(91)),
                     SeeAlso("SSPI Functions", None, None, sp(92))))
    [d] = run("lint.see-also-unknown", f)
    assert (d.line, d.severity) == (90, Severity.INFO) and "ExportSecurityContext" in d.message


def test_see_also_naming_a_structure_is_not_reported_when_the_header_says_what_is_a_function():
    f = fn(see_also=(SeeAlso("SecBufferDesc", None, "SecBufferDesc", sp(90)),
                     SeeAlso("MakeSignature", None, "MakeSignature", sp(91))))
    assert where(run("lint.see-also-unknown", f, header_dir=HEADER_DATA)) == [(F, 91)]
    assert where(run("lint.see-also-unknown", f, header_dir=None)) == [(F, 90), (F, 91)]


def test_see_also_resolving_through_a_neutral_name_is_known():
    f = fn(see_also=(SeeAlso("AcquireCredentialsHandle", None, "AcquireCredentialsHandle", sp(90)),))
    a = fn("AcquireCredentialsHandleA", file="A.md", variant=Variant.A, neutral="AcquireCredentialsHandle")
    assert run("lint.see-also-unknown", f, a) == []


def test_see_also_link_without_a_resolved_name_is_judged_by_its_slug():
    f = fn(see_also=(SeeAlso("Importing", "nf-sspi-importsecuritycontexta.md#remarks", None, sp(93)),
                     SeeAlso("Deleting", "nf-sspi-deletesecuritycontext.md", None, sp(94)),
                     SeeAlso("Handles", "/windows/desktop/SecAuthN/sspi-handles", None, sp(95))))
    [d] = run("lint.see-also-unknown", f)
    assert d.line == 93 and "nf-sspi-importsecuritycontexta" in d.message


# --- lint.header-mismatch --------------------------------------------------------------------


def test_page_matching_the_user_mode_declaration_is_fine():
    f = fn("AcquireCredentialsHandleW", parameters=tuple(
        param(n, line=10 + i) for i, n in enumerate(
            ["pszPrincipal", "pszPackage", "fCredentialUse", "pvLogonId", "pAuthData", "pGetKeyFn",
             "pvGetKeyArgument", "phCredential", "ptsExpiry"])))
    assert run("lint.header-mismatch", f, header_dir=HEADER_DATA) == []


def test_page_matching_only_the_kernel_mode_declaration_is_info():
    f = fn("AcquireCredentialsHandleW", parameters=tuple(
        param(n, line=10 + i) for i, n in enumerate(
            ["pPrincipal", "pPackage", "fCredentialUse", "pvLogonId", "pAuthData", "pGetKeyFn",
             "pvGetKeyArgument", "phCredential", "ptsExpiry"])))
    [d] = run("lint.header-mismatch", f, header_dir=HEADER_DATA)
    assert d.severity is Severity.INFO and d.line == 10
    assert "kernel-mode declaration (sspi.h:806" in d.message and "'pPrincipal' on the page, 'pszPrincipal'" in d.message


def test_async_page_matches_its_kernel_only_declaration_as_info():
    f = fn("SspiFreeCredentialsHandleAsync", parameters=(param("AsyncContext", line=20), param("phCredential", line=24)))
    [d] = run("lint.header-mismatch", f, header_dir=HEADER_DATA)
    assert d.severity is Severity.INFO and "only for kernel mode" in d.message and "sspi.h:1710" in d.message


def test_page_matching_neither_declaration_is_a_warning_naming_both():
    # half user-mode names, half kernel-mode names: neither declaration
    f = fn("AcquireCredentialsHandleW", parameters=tuple(
        param(n, line=10 + i) for i, n in enumerate(
            ["pszPrincipal", "pPackage", "fCredentialUse", "pvLogonId", "pAuthData", "pGetKeyFn",
             "pvGetKeyArgument", "phCredential", "ptsExpiry"])))
    [d] = run("lint.header-mismatch", f, header_dir=HEADER_DATA)
    assert d.severity is Severity.WARNING and d.line == 10
    assert "user-mode declaration sspi.h:806: parameter 2 is 'pPackage' on the page, 'pszPackage'" in d.message
    assert "kernel-mode declaration sspi.h:806: parameter 1 is 'pszPrincipal' on the page, 'pPrincipal'" in d.message


def test_page_differing_where_both_modes_agree_names_the_declaration_once():
    f = fn("ImportSecurityContextW", parameters=(param("pPackage", line=20), param("pPackedContext", line=24),
                                                 param("Token", line=28), param("phContext", line=32)))
    [d] = run("lint.header-mismatch", f, header_dir=HEADER_DATA)
    assert d.severity is Severity.WARNING and d.line == 20
    assert "declaration (both modes) sspi.h:1046: parameter 1 is 'pPackage'" in d.message
    assert "user-mode" not in d.message


def test_order_and_count_differences_are_reported():
    f = fn("DeleteSecurityContext", parameters=(param("phContext", line=20), param("Extra", line=24)))
    [d] = run("lint.header-mismatch", f, header_dir=HEADER_DATA)
    assert d.line == 24 and "declaration (both modes) sspi.h:899" in d.message and "1 more: Extra" in d.message
    f = fn("CompleteAuthToken", parameters=(param("pToken", line=20), param("phContext", line=24)))
    [d] = run("lint.header-mismatch", f, header_dir=HEADER_DATA)
    assert d.line == 20 and "order differs" in d.message


def test_orphan_heading_named_after_the_other_variant_is_explained():
    names = ["phCredential", "phContext", "pszTargetName", "fContextReq", "Reserved1", "TargetDataRep", "pInput",
             "Reserved2", "phNewContext", "pOutput", "pfContextAttr", "ptsExpiry"]
    f = fn("InitializeSecurityContextA", variant=Variant.A, neutral="InitializeSecurityContext", parameters=tuple(
        param(n, line=10 + i, **({"tbd": True, "documented_as": "pTargetName"} if n == "pszTargetName" else {}))
        for i, n in enumerate(names)))
    [d] = run("lint.header-mismatch", f, header_dir=HEADER_DATA)
    assert d.severity is Severity.INFO and d.line == 12
    assert "InitializeSecurityContextW's kernel-mode declaration (sspi.h:856)" in d.message


def test_functions_the_header_does_not_declare_and_no_header_are_silent():
    assert run("lint.header-mismatch", fn("NotAnSspiFunction"), header_dir=HEADER_DATA) == []
    assert run("lint.header-mismatch", fn("DeleteSecurityContext", parameters=(param("bad"),)), header_dir=None) == []


# --- header parsing --------------------------------------------------------------------------


def test_header_prototypes_match_the_facts_in_both_modes(facts):
    decls = load_header_facts().sspi  # spec/data/sspi_h.json (tests/test_header_data.py: = the live header)

    def norm(s: str | None) -> str | None:
        return re.sub(r"\s*\*\s*", "*", s) if s else None

    checked = 0
    for name, fact in sorted(facts.items()):
        hp = fact["header_prototype"]
        for mode, key in (("user", "prototype_user_mode"), ("kernel", "prototype_kernel_mode")):
            proto = decls.get(name, mode)
            assert norm(proto.text() if proto else None) == norm(hp[key]), (name, mode)
            if proto is not None:
                assert proto.line == hp["line"], name
                checked += 1
    assert checked >= 50


def test_preprocessor_follows_issp_mode_nesting_and_elif():
    text = "\n".join([
        "#ifdef SECURITY_WIN32",        # 1
        "#define ISSP_MODE 1",          # 2
        "#endif",                       # 3
        "#ifdef SECURITY_KERNEL",       # 4
        "#define ISSP_MODE 0",          # 5
        "#endif",                       # 6
        "#if ISSP_MODE == 0",           # 7
        "int KernelOnly(int a);",       # 8
        "#elif defined(NOPE) || ISSP_MODE != 0",  # 9
        "int UserOnly(int b);",         # 10
        "#else",                        # 11
        "int Never(void);",             # 12
        "#endif",                       # 13
        "/* int Commented(int x); */",  # 14
        "typedef int (WINAPI *FN)(int);",  # 15
        "SECURITY_STATUS WINAPI Both(",  # 16
        "#if ISSP_MODE==0",             # 17
        "  PSECURITY_STRING pK,",       # 18
        "#else",                        # 19
        "  SEC_WCHAR *pU,",             # 20
        "#endif",                       # 21
        "  void **pp);",                # 22
        "#define Both __MINGW_NAME_AW(Both)",  # 23
    ])
    d = parse_header_text(text, "t.h")
    assert [p.name for p in d.prototypes("user")] == ["UserOnly", "Both"]
    assert [p.name for p in d.prototypes("kernel")] == ["KernelOnly", "Both"]
    assert d.get("Both", "user").text() == "SECURITY_STATUS Both(SEC_WCHAR *pU, void **pp);"
    assert d.get("Both", "kernel").param_names() == ("pK", "pp")
    assert d.get("Both", "kernel").line == 16
    assert d.aw_aliases == (("Both", 23),)
    lines, _ = preprocess(text, {"SECURITY_KERNEL": ""}, "t.h")
    assert [n for n, _ in lines] == [8, 15, 16, 18, 22]


@pytest.mark.parametrize("text", ["#if X\nint a;\n", "#endif\n", "#else\n", "#if (\n#endif\n"])
def test_unbalanced_or_bad_conditionals_name_file_and_line(text):
    with pytest.raises(ValueError, match=r"^t\.h:\d+: "):
        parse_header_text(text, "t.h")


def test_macro_values_read_casts_and_hresult_wrappers():
    text = ("#define STATUS_X ((NTSTATUS)0xC000000DL)\n#define E_Y _HRESULT_TYPEDEF_(0x80100003)\n"
            "#define Z 12\n#define W SOMETHING_ELSE\n")
    assert macro_values_text(text) == {"STATUS_X": 0xC000000D, "E_Y": 0x80100003, "Z": 12}


# --- whole runs: sorting, output formats, --fail-on ------------------------------------------


def test_lint_output_is_sorted_by_file_line_rule():
    a = fn("ZetaFunction", file="b.md", parameters=(param("x", Direction.UNKNOWN, line=5),),
           returns=(ret("SEC_E_INVALID_HANDLE", hex_in_doc="0x1", line=3),))
    b = fn("AlphaFunction", file="a.md", parameters=(param("y", Direction.UNKNOWN, line=9),))
    found = lint_functions((a, b), ctx_for(a, b))
    ordered = sorted(found, key=lambda d: (d.file, d.line, d.rule))
    assert [(d.file, d.line) for d in ordered] == [("a.md", 9), ("b.md", 3), ("b.md", 5)]


def test_text_output_groups_by_page_with_hints():
    found = [
        Diagnostic("lint.no-direction", Severity.WARNING, "b.md", 5, "m1", "B", "h1"),
        Diagnostic("lint.hex-mismatch", Severity.ERROR, "a.md", 3, "m2", "A", "h2"),
    ]
    text = format_text(sorted(found, key=lambda d: (d.file, d.line)))
    assert text.splitlines() == [
        "a.md (A): 1 error, 0 warning, 0 info",
        "  a.md:3: error [lint.hex-mismatch] m2",
        "      hint: h2",
        "",
        "b.md (B): 0 error, 1 warning, 0 info",
        "  b.md:5: warning [lint.no-direction] m1",
        "      hint: h1",
        "",
        "2 findings in 2 pages: 1 error, 1 warning, 0 info",
    ]


def test_reader_diagnostics_pass_through_unless_a_lint_rule_restates_them():
    from sspimodel.read import SpecSet

    read_same = Diagnostic("read.no-direction", Severity.WARNING, F, 15, "no annotation")
    read_other = Diagnostic("read.unparsed", Severity.WARNING, F, 20, "kept as raw text", "DeleteSecurityContext")
    unreadable = Diagnostic("read.unreadable", Severity.ERROR, "bad.md", 0, "cannot read page: not UTF-8")
    f = fn(parameters=(param("phContext", Direction.UNKNOWN, line=15),), diagnostics=(read_same, read_other))
    found = lint(SpecSet((f,), (unreadable,), "/nonexistent"), header_dir=None)
    assert [(d.file, d.line, d.rule) for d in found] == [
        (F, 15, "lint.no-direction"), (F, 20, "read.unparsed"), ("bad.md", 0, "read.unreadable")]
    assert found[1] is read_other or found[1] == read_other


# --- fixture pages: every rule has a page that triggers it and one that does not -------------


def _case_dirs(kind: str) -> dict[str, Path]:
    return {f"lint.{d.name}": d / kind for d in sorted(DATA.iterdir()) if (d / kind).is_dir()}


def _expected(case: Path) -> set[tuple[str, int, str]]:
    rows = set()
    for line in (case / "expected.tsv").read_text(encoding="utf-8").splitlines():
        file, lineno, rule = line.split("\t")
        rows.add((file, int(lineno), rule))
    assert rows, f"{case}/expected.tsv: no rows"
    return rows


def _lint_dir(case: Path, request: pytest.FixtureRequest, rule: str) -> list[Diagnostic]:
    from sspimodel.read import read_spec

    header_dir = HEADER_DATA if rule == "lint.header-mismatch" else None
    return lint(read_spec(case), header_dir=header_dir)


def test_every_rule_has_a_triggering_and_a_clean_fixture():
    bad, good = _case_dirs("bad"), _case_dirs("good")
    assert set(bad) == set(RULES), f"rules without a bad fixture: {set(RULES) - set(bad)}"
    assert set(good) == set(RULES), f"rules without a good fixture: {set(RULES) - set(good)}"
    for rule in RULES:
        assert {r for _, _, r in _expected(bad[rule])} == {rule}
        assert any(p.suffix in (".md", ".txt") for p in good[rule].iterdir())


@pytest.mark.parametrize("rule", sorted(RULES))
def test_fixture_page_triggers_the_rule_at_the_expected_lines(rule, request):
    case = _case_dirs("bad")[rule]
    found = {(d.file, d.line, d.rule) for d in _lint_dir(case, request, rule) if d.rule == rule}
    assert found == _expected(case)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_clean_fixture_page_does_not_trigger_the_rule(rule, request):
    case = _case_dirs("good")[rule]
    found = _lint_dir(case, request, rule)
    assert [str(d) for d in found if d.rule == rule] == []
    # the clean pages are clean for every rule, so they also serve as counter-examples elsewhere
    assert [str(d) for d in found if d.severity is not Severity.INFO] == []


# --- acceptance on real pages ----------------------------------------------------------------


def _line_with(path: Path, needle: str, start: int = 1) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if n >= start and needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.fixture(scope="module")
def spec_findings(spec_dir) -> list[Diagnostic]:
    from sspimodel.read import read_spec

    return lint(read_spec(spec_dir))


def test_seed_async_page_names_an_untabulated_code_in_the_inbound_row(spec_dir, spec_findings):
    page = spec_dir / "pages" / "SspiAcquireCredentialsHandleAsyncA.md"
    row = _line_with(page, "| **SECPKG_CRED_INBOUND** |")
    hits = [d for d in spec_findings if d.rule == "lint.code-not-in-returns"
            and d.file == "SspiAcquireCredentialsHandleAsyncA.md" and "SEC_E_NO_AUTHENTICATING_AUTHORITY" in d.message]
    assert [(d.line, d.severity) for d in hits] == [(row, Severity.WARNING)]


def test_enumerate_packages_output_pointers_tagged_in_are_reported(spec_dir, spec_findings):
    page = spec_dir / "pages" / "EnumerateSecurityPackagesA.md"
    if not page.is_file():
        pytest.fail(f"{page} is missing: the acceptance page for lint.direction-contradicts-text")
    expected = {_line_with(page, "### -param pcPackages"), _line_with(page, "### -param ppPackageInfo")}
    hits = {d.line for d in spec_findings
            if d.rule == "lint.direction-contradicts-text" and d.file == "EnumerateSecurityPackagesA.md"}
    assert hits == expected


def test_corpus_accept_security_context_wrong_hex_and_success_error(corpus_dir, tmp_path):
    from sspimodel.read import read_spec

    src = corpus_dir / "sspi" / "nf-sspi-acceptsecuritycontext.md"
    (tmp_path / src.name).write_bytes(src.read_bytes())
    found = lint(read_spec(tmp_path))
    hex_line = _line_with(src, "0x80100003L")
    incomplete = _line_with(src, "<b>SEC_E_INCOMPLETE_MESSAGE</b>", _line_with(src, "## -returns"))
    got = {(d.rule, d.line) for d in found if d.rule in ("lint.hex-mismatch", "lint.kind-contradicts-value")}
    assert got == {("lint.hex-mismatch", hex_line), ("lint.kind-contradicts-value", incomplete)}
    [h] = [d for d in found if d.rule == "lint.hex-mismatch"]
    assert h.file == src.name and "SEC_E_INVALID_HANDLE" in h.message and "0x80090301" in h.message


def test_every_spec_finding_points_into_its_page(spec_dir, spec_findings):
    pages = spec_dir / "pages"
    for d in spec_findings:
        if d.rule.startswith("lint."):
            n_lines = len((pages / d.file).read_text(encoding="utf-8").splitlines())
            assert 1 <= d.line <= n_lines, str(d)


# --- run_lint: formats and --fail-on ---------------------------------------------------------


def test_json_output_is_a_versioned_list_of_findings_with_the_documented_keys(request):
    out = io.StringIO()
    run_lint(DATA / "hex-mismatch" / "bad", fmt="json", fail_on="never", out=out, header_dir=None)
    data = json.loads(out.getvalue())
    assert list(data) == ["schema", "version", "findings"] and data["schema"] == "sspimodel/lint"
    rows = data["findings"]
    assert rows == [{
        "rule": "lint.hex-mismatch", "severity": "error", "file": "DeleteSecurityContext.txt", "line": 25,
        "function": "DeleteSecurityContext", "message": rows[0]["message"], "hint": RULES["lint.hex-mismatch"].hint,
    }]
    assert "0x80100003L" in rows[0]["message"]


def test_text_output_of_a_run_names_file_line_rule_and_hint():
    out = io.StringIO()
    run_lint(DATA / "no-direction" / "bad", fmt="text", fail_on="never", out=out, header_dir=None)
    text = out.getvalue()
    assert "DeleteSecurityContext.md:22: warning [lint.no-direction] parameter phContext" in text
    assert f"hint: {RULES['lint.no-direction'].hint}" in text
    assert text.endswith("1 findings in 1 pages: 0 error, 1 warning, 0 info\n")


@pytest.mark.parametrize(("case", "fail_on", "code"), [
    ("hex-mismatch/bad", "error", 1),      # an error
    ("hex-mismatch/bad", "never", 0),
    ("no-direction/bad", "error", 0),      # only a warning
    ("no-direction/bad", "warning", 1),
    ("see-also-unknown/bad", "warning", 0),  # only info
    ("no-direction/good", "warning", 0),
])
def test_fail_on_sets_the_exit_status(case, fail_on, code):
    assert run_lint(DATA / case, fmt="text", fail_on=fail_on, out=io.StringIO(), header_dir=None) == code


@pytest.mark.parametrize(("kw", "message"), [
    ({"fmt": "xml"}, "format must be 'text', 'json' or 'markdown'"),
    ({"fail_on": "info"}, "--fail-on must be one of error, warning, never"),
])
def test_run_lint_rejects_unknown_options(kw, message):
    args = {"fmt": "text", "fail_on": "error"} | kw
    with pytest.raises(ValueError, match=re.escape(message)):
        run_lint(DATA / "no-direction" / "bad", out=io.StringIO(), **args)


def test_lint_output_is_deterministic(spec_dir):
    from sspimodel.read import read_spec

    first, second = io.StringIO(), io.StringIO()
    run_lint(spec_dir, fmt="json", fail_on="never", out=first)
    run_lint(spec_dir, fmt="json", fail_on="never", out=second)
    assert first.getvalue() == second.getvalue()
    findings = lint(read_spec(spec_dir))
    assert findings == sorted(findings, key=lambda d: (d.file, d.line, d.rule, d.function or "", d.message))


def test_the_lint_subcommand_runs_run_lint(capsys):
    from sspimodel.cli import main

    code = main(["lint", "--spec", str(DATA / "hex-mismatch" / "bad"), "--format", "json", "--fail-on", "error"])
    rows = json.loads(capsys.readouterr().out)["findings"]
    assert code == 1 and [(r["rule"], r["line"]) for r in rows] == [("lint.hex-mismatch", 25)]


def test_markdown_format_lists_errors_and_warnings_by_rule_and_counts_the_rest():
    out = io.StringIO()
    assert run_lint(DATA / "no-direction" / "bad", fmt="markdown", fail_on="never", out=out, header_dir=None) == 0
    text = out.getvalue()
    first = text.splitlines()[0]
    assert re.fullmatch(r"\d+ findings in \d+ pages: \d+ error, \d+ warning, \d+ info\.", first)
    assert "| `lint.no-direction` | warning |" in text
    # Counted per page, not listed one by one.
    assert re.search(r"^`lint\.no-direction`:\n\n- \S+ \(\d+\)", text, re.M)
