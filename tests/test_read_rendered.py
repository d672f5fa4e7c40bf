"""The rendered web-page text reader (FORMATS.md, "Rendered web-page text")."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sspimodel.read import read_text
from sspimodel.read import rendered as rendered_mod
from sspimodel.read.rendered import read_rendered
from sspimodel.spec import Direction, Form, FunctionSpec, ReturnKind, Severity, Variant, Via

NBSP = "\u00a0"
SEED = "ImportSecurityContextA.txt"


def rules(spec: FunctionSpec) -> list[str]:
    return [d.rule for d in spec.diagnostics]


def page(*parts: str) -> str:
    """A page from its sections, one blank line between blocks (the rendered skeleton)."""
    return "\n\n".join(parts) + "\n"


TITLE = "FooBar function (sspi.h)"
DESC = "The FooBar function does one thing."
REQS = "Requirements\n\nRequirement Value\nHeader sspi.h (include Security.h)\nLibrary Secur32.lib\nDLL Secur32.dll"


def syntax(*params: str, name: str = "FooBar") -> str:
    body = ",\n".join(f"  {p}" for p in params)
    return f"Syntax\n\nSECURITY_STATUS SEC_ENTRY {name}(\n{body}\n);"


# ---------------------------------------------------------------------------------------------
# The seed page


@pytest.fixture(scope="module")
def seed(spec_dir: Path) -> FunctionSpec:
    path = spec_dir / "pages" / SEED
    return read_rendered(path.read_text(encoding="utf-8"), SEED)


def test_seed_parameters(seed: FunctionSpec) -> None:
    got = [(p.name, p.direction, p.optional, p.optional_source) for p in seed.parameters]
    assert got == [
        ("pszPackage", Direction.IN, False, None),
        ("pPackedContext", Direction.IN, False, None),
        ("Token", Direction.IN, True, "annotation"),
        ("phContext", Direction.OUT, False, None),
    ]
    assert [p.c_type for p in seed.parameters] == ["LPSTR", "PSecBuffer", "VOID *", "PCtxtHandle"]
    assert seed.parameter("phContext").description.startswith("A handle of the new security context")


def test_seed_returns(seed: FunctionSpec) -> None:
    ok = [r for r in seed.returns if r.kind is ReturnKind.SUCCESS]
    assert [(r.name, r.via, r.table) for r in ok] == [("SEC_E_OK", Via.CALL, None)]
    errors = [r for r in seed.returns if r.kind is ReturnKind.ERROR]
    assert [r.name for r in errors] == [
        "SEC_E_UNKNOWN_CREDENTIALS",
        "SEC_E_NO_CREDENTIALS",
        "SEC_E_NOT_OWNER",
        "SEC_E_INSUFFICIENT_MEMORY",
        "SEC_E_INTERNAL_ERROR",
    ]
    assert all(r.via is Via.CALL and r.table == 0 and r.hex_in_doc is None for r in errors)
    assert len(seed.returns) == 6
    assert seed.returns[1].description == "The credentials supplied to the package were not recognized."
    assert seed.returns[1].span.start == 39 and seed.returns[1].span.end == 40
    assert seed.returns_prose.startswith("If the function succeeds, the function returns SEC_E_OK.")


def test_seed_requirements_normalise_nbsp(seed: FunctionSpec) -> None:
    req = seed.requirements
    assert req.min_client == "Windows XP [desktop apps only]"  # NBSP in the page
    assert req.min_server == "Windows Server 2003 [desktop apps only]"
    assert (req.header, req.include_header) == ("sspi.h", "Security.h")
    assert (req.library, req.dll, req.target_platform) == ("Secur32.lib", "Secur32.dll", "Windows")
    assert req.other == ()


def test_seed_name_variant_prototype(seed: FunctionSpec) -> None:
    assert (seed.name, seed.variant, seed.neutral_name) == (
        "ImportSecurityContextA",
        Variant.A,
        "ImportSecurityContext",
    )
    assert seed.form is Form.RENDERED
    assert seed.title == "ImportSecurityContextA function (sspi.h)"
    assert seed.upstream == "sdk-api-src/content/sspi/nf-sspi-importsecuritycontexta.md"
    proto = seed.prototype
    assert proto is not None
    assert (proto.name, proto.return_type, len(proto.params)) == (
        "ImportSecurityContextA",
        "SECURITY_STATUS",
        4,
    )
    assert proto.params[2].annotation == "[in, optional]"
    assert (proto.span.start, proto.span.end) == (7, 12)


def test_seed_sections_see_also_and_cleanliness(seed: FunctionSpec) -> None:
    assert [s for s, _ in seed.sections] == [
        "description",
        "syntax",
        "parameters",
        "returns",
        "remarks",
        "requirements",
        "see-also",
    ]
    assert [(s.title, s.function, s.target) for s in seed.see_also] == [
        ("ExportSecurityContext", "ExportSecurityContext", None),
        ("FreeContextBuffer", "FreeContextBuffer", None),
        ("SSPI Functions", None, None),
    ]
    assert seed.remarks.startswith("Note: The sspi.h header defines ImportSecurityContext as an alias")
    assert seed.unparsed == ()
    assert seed.diagnostics == ()
    assert seed.mentioned_codes == ()
    assert (seed.source.start, seed.source.end) == (1, 72)


def test_dispatch_sends_rendered_text_here(spec_dir: Path) -> None:
    text = (spec_dir / "pages" / SEED).read_text(encoding="utf-8")
    assert read_text(text, SEED) == read_rendered(text, SEED)


# ---------------------------------------------------------------------------------------------
# Parameters


def test_no_annotations_direction_unknown_with_diagnostic() -> None:
    text = page(
        "SspiFoo function",
        "Does a thing.",
        "Syntax\n\nSECURITY_STATUS SEC_ENTRY SspiFoo(\n  SspiAsyncContext *AsyncContext,\n  PSECURITY_STRING pTargetName\n);",
        "Parameters",
        "AsyncContext",
        "The async call context.",
        "pTargetName",
        "The target.",
        "Return value",
        "Returns SEC_E_OK.",
        REQS,
    )
    spec = read_rendered(text, "SspiFoo.txt")
    assert [(p.name, p.direction, p.c_type) for p in spec.parameters] == [
        ("AsyncContext", Direction.UNKNOWN, "SspiAsyncContext *"),
        ("pTargetName", Direction.UNKNOWN, "PSECURITY_STRING"),
    ]
    nodir = [d for d in spec.diagnostics if d.rule == "read.no-direction"]
    assert [d.line for d in nodir] == [14, 18]
    assert all(d.severity is Severity.WARNING and d.function == "SspiFoo" for d in nodir)
    assert spec.title == "SspiFoo function"


def test_parameter_headings_without_prototype() -> None:
    text = page(
        TITLE,
        DESC,
        "Parameters",
        "[in, out] pBuffer",
        "The buffer.",
        "Context",
        "A bare heading: an identifier alone on a line.",
        "[out, optional] pcbSize",
        "Receives the size.",
        "Return value",
        "Returns SEC_E_OK.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    got = [(p.name, p.direction, p.optional, p.c_type) for p in spec.parameters]
    assert got == [
        ("pBuffer", Direction.INOUT, False, None),
        ("Context", Direction.UNKNOWN, False, None),
        ("pcbSize", Direction.OUT, True, None),
    ]
    assert "read.missing-section" in rules(spec)  # no Syntax


def test_annotation_from_prototype_when_heading_is_bare() -> None:
    text = page(
        TITLE,
        DESC,
        syntax("[in, optional] PCtxtHandle phContext"),
        "Parameters",
        "phContext",
        "A handle.",
        "Return value",
        "Returns SEC_E_OK.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    p = spec.parameter("phContext")
    assert (p.direction, p.optional, p.optional_source) == (Direction.IN, True, "annotation")
    assert "read.no-direction" not in rules(spec)


def test_heading_and_prototype_annotations_disagree() -> None:
    text = page(
        TITLE,
        DESC,
        syntax("[out] PCtxtHandle phContext"),
        "Parameters",
        "[in] phContext",
        "A handle.",
        "Return value",
        "Returns SEC_E_OK.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    assert spec.parameter("phContext").direction is Direction.IN
    assert "read.rendered.annotation-mismatch" in rules(spec)


@pytest.mark.parametrize(
    "body",
    [
        "optional A pointer to a TimeStamp.",
        "Optional. A pointer to a TimeStamp.",
        "The optional time limit, in ms.",
    ],
)
def test_optional_in_prose(body: str) -> None:
    text = page(
        TITLE,
        DESC,
        syntax("PTimeStamp ptsExpiry"),
        "Parameters",
        "ptsExpiry",
        body,
        "Return value",
        "Returns SEC_E_OK.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    p = spec.parameter("ptsExpiry")
    assert (p.optional, p.optional_source) == (True, "prose")
    d = [d for d in spec.diagnostics if d.rule == "read.optional-in-prose"]
    assert len(d) == 1 and d[0].severity is Severity.INFO and d[0].line == 13


def test_optional_word_later_in_text_is_not_prose_optional() -> None:
    text = page(
        TITLE,
        DESC,
        syntax("PTimeStamp ptsExpiry"),
        "Parameters",
        "ptsExpiry",
        "A pointer that is not optional.",
        "Return value",
        "Returns SEC_E_OK.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    assert spec.parameter("ptsExpiry").optional is False
    assert "read.optional-in-prose" not in rules(spec)


def test_value_table_flattening_with_number_lines() -> None:
    text = page(
        TITLE,
        DESC,
        syntax("[in] ULONG fFlags", "[in] ULONG ulAttribute"),
        "Parameters",
        "[in] fFlags",
        "This parameter can be a combination of the following values.\n"
        "Value Meaning\n"
        "SECPKG_CONTEXT_EXPORT_RESET_NEW\n1 (0x1)\nThe new security context is reset.\n"
        "SECPKG_CONTEXT_EXPORT_DELETE_OLD\n0x2\nThe old security context is deleted.\n"
        "SECPKG_CONTEXT_EXPORT_TO_KERNEL\n4026531840 (0xF0000000)\nNot supported.\n"
        f"Windows XP:{NBSP}{NBSP}Exported to the kernel; fails with SEC_E_UNSUPPORTED_FUNCTION.\n"
        "SECPKG_NO_NUMBER\nA row without a number line.",
        "Prose after the table.",
        "[in] ulAttribute",
        "Value Meaning\nSECPKG_ATTR_C_ACCESS_TOKEN\n0x80000012\nThe token.\nSECPKG_ATTR_EMPTY_CELL\n\nThe number cell was empty.",
        "Return value",
        "Returns SEC_E_OK.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    flags = spec.parameter("fFlags")
    assert len(flags.value_tables) == 1
    table = flags.value_tables[0]
    assert table.header == ("Value", "Meaning")
    assert [(v.name, v.number, v.number_text) for v in table.values] == [
        ("SECPKG_CONTEXT_EXPORT_RESET_NEW", 1, "1 (0x1)"),
        ("SECPKG_CONTEXT_EXPORT_DELETE_OLD", 2, "0x2"),
        ("SECPKG_CONTEXT_EXPORT_TO_KERNEL", 4026531840, "4026531840 (0xF0000000)"),
        ("SECPKG_NO_NUMBER", None, None),
    ]
    kernel = table.values[2]
    assert kernel.description.startswith("Not supported. Windows XP: Exported to the kernel")
    assert (kernel.span.start, kernel.span.end) == (24, 27)
    assert (
        flags.description
        == "This parameter can be a combination of the following values.\n\nProse after the table."
    )
    # A code named inside a value row is a mention with the row as context.
    assert [(m.code, m.section, m.line, m.context) for m in spec.mentioned_codes] == [
        ("SEC_E_UNSUPPORTED_FUNCTION", "parameters: fFlags", 27, "SECPKG_CONTEXT_EXPORT_TO_KERNEL")
    ]
    attr = spec.parameter("ulAttribute")
    assert [(v.name, v.number) for v in attr.values()] == [
        ("SECPKG_ATTR_C_ACCESS_TOKEN", 0x80000012),
        ("SECPKG_ATTR_EMPTY_CELL", None),
    ]
    assert attr.values()[1].description == "The number cell was empty."
    assert spec.unparsed == ()


# ---------------------------------------------------------------------------------------------
# Return value


def test_one_line_code_description_rows_with_optional_hex() -> None:
    text = page(
        TITLE,
        DESC,
        syntax("[in] PCtxtHandle phContext"),
        "Parameters",
        "[in] phContext",
        "A handle.",
        "Return value",
        "If the function fails, it returns one of the following error codes.",
        "Return code Description\n"
        "SEC_E_INVALID_HANDLE The handle passed to the function is not valid.\n"
        "SEC_E_INCOMPLETE_MESSAGE 0x80090318L Data for the whole message was not read\n"
        "from the wire.\n"
        "SEC_E_INTERNAL_ERROR An error occurred.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    got = [(r.name, r.kind, r.via, r.hex_in_doc, r.table, r.description) for r in spec.returns]
    assert got == [
        (
            "SEC_E_INVALID_HANDLE",
            ReturnKind.ERROR,
            Via.CALL,
            None,
            0,
            "The handle passed to the function is not valid.",
        ),
        (
            "SEC_E_INCOMPLETE_MESSAGE",
            ReturnKind.ERROR,
            Via.CALL,
            "0x80090318L",
            0,
            "Data for the whole message was not read from the wire.",
        ),
        ("SEC_E_INTERNAL_ERROR", ReturnKind.ERROR, Via.CALL, None, 0, "An error occurred."),
    ]
    assert (spec.returns[1].span.start, spec.returns[1].span.end) == (23, 24)


def test_alternating_rows_with_hex_lines_and_row_text_classification() -> None:
    # AcceptSecurityContext: one table; the row text says which codes are successes.
    text = page(
        TITLE,
        DESC,
        syntax("[in] PCtxtHandle phContext"),
        "Parameters",
        "[in] phContext",
        "A handle.",
        "Return value",
        "This function returns one of the following values.",
        "Return code/value Description\n"
        "SEC_E_INCOMPLETE_MESSAGE\n0x80090318L\nThe function succeeded. The data in the input buffer is incomplete.\n"
        "SEC_E_INVALID_HANDLE\n0x80100003L\nThe function failed. The handle passed to the function is not valid.\n"
        "SEC_E_LOGON_DENIED\n0x8009030CL\nThe logon failed.\n"
        "SEC_E_NO_AUTHENTICATING_AUTHORITY\n0x80090311L\nThe function failed. No authority could be contacted:\n"
        "The domain is unavailable.\n"
        "SEC_I_CONTINUE_NEEDED\n0x00090312L\nThe function succeeded. Send the output token.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    got = [(r.name, r.kind, r.hex_in_doc) for r in spec.returns]
    assert got == [
        ("SEC_E_INCOMPLETE_MESSAGE", ReturnKind.SUCCESS, "0x80090318L"),
        ("SEC_E_INVALID_HANDLE", ReturnKind.ERROR, "0x80100003L"),
        ("SEC_E_LOGON_DENIED", ReturnKind.ERROR, "0x8009030CL"),
        ("SEC_E_NO_AUTHENTICATING_AUTHORITY", ReturnKind.ERROR, "0x80090311L"),
        ("SEC_I_CONTINUE_NEEDED", ReturnKind.SUCCESS, "0x00090312L"),
    ]
    assert (
        spec.returns[3].description
        == "The function failed. No authority could be contacted: The domain is unavailable."
    )


def test_success_table_then_error_table() -> None:
    # InitializeSecurityContextA: two tables, separated by a line holding a lone NBSP.
    text = page(
        TITLE,
        DESC,
        syntax("[in] PCtxtHandle phContext"),
        "Parameters",
        "[in] phContext",
        "A handle.",
        "Return value",
        "If the function succeeds, the function returns one of the following success codes.",
        "Return code Description\nSEC_I_COMPLETE_NEEDED\nThe client must finish building the message.\n"
        "SEC_E_OK\nThe security context was successfully initialized.",
        NBSP,
        "If the function fails, the function returns one of the following error codes.",
        "Return code Description\nSEC_E_INSUFFICIENT_MEMORY\nThere is not enough memory.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    assert [(r.name, r.kind, r.table) for r in spec.returns] == [
        ("SEC_I_COMPLETE_NEEDED", ReturnKind.SUCCESS, 0),
        ("SEC_E_OK", ReturnKind.SUCCESS, 0),
        ("SEC_E_INSUFFICIENT_MEMORY", ReturnKind.ERROR, 1),
    ]


def test_fatal_error_codes_table_is_reported_via_async_status() -> None:
    text = page(
        "SspiFooAsyncA function",
        "Does a thing asynchronously. (ANSI)",
        "Syntax\n\nSECURITY_STATUS SEC_ENTRY SspiFooAsyncA(\n  SspiAsyncContext *AsyncContext\n);",
        "Parameters",
        "AsyncContext",
        "The async call context.",
        "Return value",
        "Returns SEC_E_OK if the async request was successfully queued for execution, otherwise, returns the "
        "error generated attempting to queue it. To retrieve the status of the operation, use SspiGetAsyncCallStatus.",
        "If the context was accepted, SspiGetAsyncCallStatus returns SEC_E_OK or one of the SSPI codes in the "
        "table below. Otherwise, it may return SEC_I_ASYNC_CALL_PENDING if the call is still in progress, or any "
        "of the following fatal error codes in the second table below.",
        "Return code Description\nSEC_I_CONTINUE_NEEDED\n0x00090312L\nSend the output token.\n"
        "SEC_E_OK\n0x00000000L\nThe security context was accepted.",
        "Fatal error codes",
        "Return code Description\nSEC_E_INSUFFICIENT_MEMORY\n0x80090300L\nNot enough memory.\n"
        "SEC_E_TARGET_UNKNOWN\nThe target was not recognized.",
        REQS,
    )
    spec = read_rendered(text, "SspiFooAsyncA.txt")
    got = {(r.name, r.kind, r.via, r.table) for r in spec.returns}
    assert got == {
        ("SEC_E_OK", ReturnKind.SUCCESS, Via.CALL, None),
        ("SEC_I_ASYNC_CALL_PENDING", ReturnKind.PENDING, Via.ASYNC_STATUS, None),
        ("SEC_I_CONTINUE_NEEDED", ReturnKind.SUCCESS, Via.ASYNC_STATUS, 0),
        ("SEC_E_OK", ReturnKind.SUCCESS, Via.ASYNC_STATUS, 0),
        ("SEC_E_INSUFFICIENT_MEMORY", ReturnKind.ERROR, Via.ASYNC_STATUS, 1),
        ("SEC_E_TARGET_UNKNOWN", ReturnKind.ERROR, Via.ASYNC_STATUS, 1),
    }
    assert len(spec.returns) == 6
    assert "Fatal error codes" in spec.returns_prose
    assert (spec.variant, spec.neutral_name) == (Variant.A, "SspiFooAsync")


def test_sspigetasynccallstatus_reports_its_own_codes_via_call() -> None:
    text = page(
        "SspiGetAsyncCallStatus function",
        "Gets the status.",
        "Syntax\n\nSECURITY_STATUS SEC_ENTRY SspiGetAsyncCallStatus(\n  SspiAsyncContext *Handle\n);",
        "Parameters",
        "Handle",
        "The context.",
        "Return value",
        "If the function succeeded, SspiGetAsyncCallStatus will return SEC_E_OK.",
        "Until the call is completed, status is SEC_I_ASYNC_CALL_PENDING.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    assert [(r.name, r.kind, r.via) for r in spec.returns] == [
        ("SEC_E_OK", ReturnKind.SUCCESS, Via.CALL),
        ("SEC_I_ASYNC_CALL_PENDING", ReturnKind.PENDING, Via.CALL),
    ]


@pytest.mark.parametrize(
    "rows",
    [
        "| The credentials supplied to the package were not recognized. |\n| No credentials are available. |",
        "|  | The credentials supplied to the package were not recognized. |\n|  | No credentials are available. |",
        "The credentials supplied to the package were not recognized.\nNo credentials are available.",
    ],
    ids=["desc-cells", "empty-code-cells", "description-lines"],
)
def test_return_table_without_codes_is_reported_not_invented(rows: str) -> None:
    text = page(
        TITLE,
        DESC,
        syntax("[in] PCtxtHandle phContext"),
        "Parameters",
        "[in] phContext",
        "A handle.",
        "Return value",
        "If the function fails, it returns one of the following error codes.",
        "Return code Description\n" + rows,
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    assert spec.returns == ()
    d = [d for d in spec.diagnostics if d.rule == "read.return-table-without-codes"]
    assert len(d) == 1 and d[0].severity is Severity.ERROR and d[0].line == 21
    kept = [u for u in spec.unparsed if u.section == "returns"]
    assert [(u.span.start, u.span.end) for u in kept] == [(22, 22), (23, 23)]
    assert "not recognized" in kept[0].text


def test_flattened_pipe_rows_without_a_header_are_also_caught() -> None:
    text = page(
        TITLE,
        DESC,
        syntax("[in] PCtxtHandle phContext"),
        "Parameters",
        "[in] phContext",
        "A handle.",
        "Return value",
        "If the function fails, it returns one of the following error codes.",
        "| The handle is not valid. |",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    assert spec.returns == ()
    assert "read.return-table-without-codes" in rules(spec)


def test_pipe_rows_with_codes_are_read() -> None:
    text = page(
        TITLE,
        DESC,
        syntax("[in] PCtxtHandle phContext"),
        "Parameters",
        "[in] phContext",
        "A handle.",
        "Return value",
        "If the function fails, it returns one of the following error codes.",
        "| Return code | Description |\n| SEC_E_INVALID_HANDLE 0x80090301L | The handle is not valid. |",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    assert [(r.name, r.kind, r.hex_in_doc, r.description) for r in spec.returns] == [
        ("SEC_E_INVALID_HANDLE", ReturnKind.ERROR, "0x80090301L", "The handle is not valid.")
    ]


def test_codes_named_only_in_prose() -> None:
    text = page(
        TITLE,
        DESC,
        syntax("[in] PCtxtHandle phContext"),
        "Parameters",
        "[in] phContext",
        "A handle.",
        "Return value",
        "If the function succeeds, the return value is SEC_E_OK.",
        "If the function fails, the return value is SEC_E_INVALID_HANDLE.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    assert [(r.name, r.kind, r.table, r.span.start) for r in spec.returns] == [
        ("SEC_E_OK", ReturnKind.SUCCESS, None, 19),
        ("SEC_E_INVALID_HANDLE", ReturnKind.ERROR, None, 21),
    ]


# ---------------------------------------------------------------------------------------------
# Page-level


def test_missing_sections_are_each_reported() -> None:
    spec = read_rendered(page(TITLE, DESC, "Remarks", "Some remarks."), "x.txt")
    missing = sorted((d.message, d.severity) for d in spec.diagnostics if d.rule == "read.missing-section")
    # Without a prototype the reader cannot tell a parameterless or void function: info only.
    assert missing == [
        ("no 'Parameters' section", Severity.INFO),
        ("no 'Requirements' section", Severity.WARNING),
        ("no 'Return value' section", Severity.INFO),
        ("no 'See also' section", Severity.INFO),
        ("no 'Syntax' section", Severity.WARNING),
    ]
    assert (spec.name, spec.parameters, spec.returns) == ("FooBar", (), ())
    assert spec.remarks == "Some remarks."


def test_zero_parameter_prototype_needs_no_parameters_section() -> None:
    text = page(
        "SspiCreateAsyncContext function",
        "Creates a context.",
        "Syntax\n\nSspiAsyncContext * SEC_ENTRY SspiCreateAsyncContext();",
        "Return value",
        "Returns the initialized SspiAsyncContext.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    assert spec.prototype is not None
    assert (spec.prototype.return_type, spec.prototype.params) == ("SspiAsyncContext *", ())
    missing = [(d.message, d.severity) for d in spec.diagnostics if d.rule == "read.missing-section"]
    assert missing == [("no 'Remarks' section", Severity.INFO), ("no 'See also' section", Severity.INFO)]
    assert spec.returns == ()
    assert spec.returns_prose == "Returns the initialized SspiAsyncContext."


def test_no_title_takes_the_name_from_the_prototype() -> None:
    text = page(DESC, syntax("[in] PCtxtHandle phContext"), "Parameters", "[in] phContext", "A handle.")
    spec = read_rendered(text, "pages/whatever.txt")
    d = [d for d in spec.diagnostics if d.rule == "read.rendered.no-title"]
    assert len(d) == 1 and d[0].severity is Severity.ERROR and d[0].line == 1
    assert spec.name == "FooBar"
    assert spec.title == ""
    assert spec.description == DESC


def test_unknown_requirement_rows_and_other_labels() -> None:
    text = page(
        TITLE,
        DESC,
        "Requirements",
        "Requirement Value\n"
        f"Minimum supported client Windows{NBSP}10 [desktop apps only]\n"
        "Header sspi.h\n"
        "IRQL PASSIVE_LEVEL\n"
        "Frobnication level 3\n"
        "Custom label\tcustom value",
    )
    spec = read_rendered(text, "x.txt")
    req = spec.requirements
    assert req.min_client == "Windows 10 [desktop apps only]"
    assert (req.header, req.include_header) == ("sspi.h", None)
    assert req.other == (("Custom label", "custom value"), ("IRQL", "PASSIVE_LEVEL"))
    assert [(u.section, u.text, u.span.start) for u in spec.unparsed] == [
        ("requirements", "Frobnication level 3", 11)
    ]
    assert "read.unparsed" in rules(spec)


def test_text_that_cannot_be_placed_is_kept_with_its_span() -> None:
    text = page(
        TITLE,
        DESC,
        syntax("[in] PCtxtHandle phContext") + "\nstray line after the prototype",
        "Parameters",
        "Some text before any heading.",
        "[in] phContext",
        "A handle.",
        "Return value",
        "Returns SEC_E_OK.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    assert [(u.section, u.text, u.span.start, u.span.end) for u in spec.unparsed] == [
        ("syntax", "stray line after the prototype", 10, 10),
        ("parameters", "Some text before any heading.", 14, 14),
    ]
    assert rules(spec).count("read.unparsed") == 2


def test_note_lines_description_and_mentions() -> None:
    text = page(
        TITLE,
        DESC,
        f"Note{NBSP}{NBSP}Old style alert naming SEC_E_OK.",
        NBSP,
        "Note",
        "New style alert.",
        syntax("[in] PCtxtHandle phContext"),
        "Parameters",
        "[in] phContext",
        "A handle.",
        "Return value",
        "Returns SEC_E_OK.",
        "Remarks",
        "Callers see SEC_I_CONTINUE_NEEDED and SEC_I_CONTINUE_NEEDED again.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    # Both alert renderings become "Note: text", the source reader's spelling of `> [!NOTE]`.
    assert spec.description == f"{DESC}\n\nNote: Old style alert naming SEC_E_OK.\n\nNote: New style alert."
    assert [(m.code, m.section, m.line) for m in spec.mentioned_codes] == [
        ("SEC_E_OK", "description", 5),
        ("SEC_I_CONTINUE_NEEDED", "remarks", 31),
    ]


def test_w_variant_from_alias_note_and_neutral_name() -> None:
    text = page(
        "FooBarW function (sspi.h)",
        DESC,
        syntax("[in] PSECURITY_STRING pszName", name="FooBarW"),
        "Parameters",
        "[in] pszName",
        "A name.",
        "Return value",
        "Returns SEC_E_OK.",
        "Remarks",
        "Note",
        "The sspi.h header defines FooBar as an alias which automatically selects the ANSI or Unicode version.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    assert (spec.variant, spec.neutral_name) == (Variant.W, "FooBar")
    assert spec.parameter("pszName").c_type == "PSECURITY_STRING"
    plain = read_rendered(page("WaitForW function", DESC, REQS), "x.txt")
    assert (plain.variant, plain.neutral_name) == (Variant.NEUTRAL, "WaitForW")


def test_duplicate_section_is_kept_and_reported() -> None:
    text = page(TITLE, DESC, "Remarks", "First remarks.", "Remarks", "Second remarks.")
    spec = read_rendered(text, "x.txt")
    assert spec.remarks == "First remarks."
    assert "read.duplicate-section" in rules(spec)
    assert [u.text for u in spec.unparsed] == ["Remarks\n\nSecond remarks."]


def test_crlf_and_bom_keep_line_numbers() -> None:
    text = "\ufeff" + page(
        TITLE, DESC, "Return value", "If the function fails, it returns SEC_E_NO_CREDENTIALS."
    )
    spec = read_rendered(text.replace("\n", "\r\n"), "x.txt")
    assert spec.name == "FooBar"
    assert [(r.name, r.kind, r.span.start) for r in spec.returns] == [
        ("SEC_E_NO_CREDENTIALS", ReturnKind.ERROR, 7)
    ]


# ---------------------------------------------------------------------------------------------
# Never raises


def test_internal_failure_becomes_a_diagnostic(monkeypatch: pytest.MonkeyPatch, spec_dir: Path) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(rendered_mod, "return_blocks", broken)
    text = (spec_dir / "pages" / SEED).read_text(encoding="utf-8")
    spec = read_rendered(text, SEED)
    assert spec.name == "ImportSecurityContextA"
    assert [(d.rule, d.severity) for d in spec.diagnostics] == [("read.internal", Severity.ERROR)]
    assert "RuntimeError: boom" in spec.diagnostics[0].message
    assert spec.unparsed[0].text == text.rstrip("\n")
    assert (spec.source.start, spec.source.end) == (1, 72)


def test_empty_page() -> None:
    spec = read_rendered("", "Empty.txt")
    assert spec.name == "Empty"
    assert rules(spec) == ["read.empty-page"]  # nothing to read (tests/test_cli_review_s8.py)


def _seed_text() -> str:
    from sspimodel.paths import default_spec_dir

    return (default_spec_dir() / "pages" / SEED).read_text(encoding="utf-8")


LINE_ALPHABET = st.sampled_from(
    [
        "",
        NBSP,
        "Syntax",
        "Parameters",
        "Return value",
        "Remarks",
        "Requirements",
        "See also",
        "Fatal error codes",
        "Return code Description",
        "Value Meaning",
        "SEC_E_OK",
        "0x80090318L",
        "1 (0x1)",
        "| |",
        "|  | text |",
        "[in] x",
        "[in, optional]",
        "Note",
        "FOO_BAR",
        "SECURITY_STATUS SEC_ENTRY F(",
        "(",
        ");",
        "Header sspi.h (include",
        "X function (sspi.h)",
        "text SEC_I_ASYNC_CALL_PENDING still in progress",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(LINE_ALPHABET, st.text(max_size=30)), max_size=40))
def test_never_raises_on_generated_pages(lines: list[str]) -> None:
    spec = read_rendered("\n".join(lines), "gen.txt")
    assert "read.internal" not in rules(spec), [
        d.message for d in spec.diagnostics if d.rule == "read.internal"
    ]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_never_raises_on_mangled_seed(data: st.DataObject) -> None:
    lines = _seed_text().split("\n")
    # Delete, duplicate or swap a few lines of the real page.
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["del", "dup", "swap"]))
        if op == "del" and len(lines) > 1:
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        else:
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    spec = read_rendered("\n".join(lines), SEED)
    assert "read.internal" not in rules(spec), [
        d.message for d in spec.diagnostics if d.rule == "read.internal"
    ]


def test_missing_parameters_and_returns_are_warnings_when_the_prototype_says_so() -> None:
    text = page(
        TITLE, DESC, syntax("[in] PCtxtHandle phContext"), "Remarks", "None.", REQS, "See also", "Foo"
    )
    spec = read_rendered(text, "x.txt")
    missing = sorted((d.message, d.severity) for d in spec.diagnostics if d.rule == "read.missing-section")
    assert missing == [
        ("no 'Parameters' section", Severity.WARNING),
        ("no 'Return value' section", Severity.WARNING),
    ]


def test_empty_sections_are_reported() -> None:
    text = page(
        TITLE, DESC, syntax("[in] PCtxtHandle phContext"), "Parameters", "Return value", "Remarks", REQS
    )
    spec = read_rendered(text, "x.txt")
    empty = [(d.message, d.severity, d.line) for d in spec.diagnostics if d.rule == "read.empty-section"]
    assert empty == [
        ("section 'Parameters' is empty", Severity.WARNING, 11),
        ("section 'Return value' is empty", Severity.WARNING, 13),
        ("section 'Remarks' is empty", Severity.INFO, 15),
    ]
    assert "read.rendered.param-undocumented" in rules(spec)


def test_note_that_prose_is_not_an_alert() -> None:
    spec = read_rendered(page(TITLE, "Note that the handle is freed.", REQS), "x.txt")
    assert spec.description == "Note that the handle is freed."


def test_ssp_in_use_table_is_description_not_values() -> None:
    text = page(
        TITLE,
        DESC,
        syntax("[in, optional] SEC_CHAR *pszTargetName"),
        "Parameters",
        "[in, optional] pszTargetName",
        "The target, as described in the following table.\n"
        "SSP in use Meaning\n"
        "Digest\nNull-terminated string that identifies the URI.\n"
        "Kerberos or Negotiate\nService principal name (SPN) of the destination server.\n"
        "Schannel/SSL\nThe session is reused only if all of the following conditions are met:\n"
        "The target name is the same.\nThe cache entry has not expired.",
        "Return value",
        "Returns SEC_E_OK.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    p = spec.parameter("pszTargetName")
    assert p.c_type == "SEC_CHAR *"
    # rule.value-table: the table says how each package reads the name; it lists no values.
    assert p.value_tables == ()
    # Kept as the table's text, cells joined by " | " as in the source form.
    assert "SSP in use | Meaning Digest | Null-terminated" in " ".join(p.description.split())
    assert p.description.rstrip().endswith("The cache entry has not expired.")


def test_see_also_function_names() -> None:
    text = page(
        TITLE, DESC, "See also", "AcceptSecurityContext (General)\n\nSSPI Functions\n\nFreeContextBuffer"
    )
    spec = read_rendered(text, "x.txt")
    assert [(s.title, s.function, s.span.start) for s in spec.see_also] == [
        ("AcceptSecurityContext (General)", "AcceptSecurityContext", 7),
        ("SSPI Functions", None, 9),
        ("FreeContextBuffer", "FreeContextBuffer", 11),
    ]


@pytest.mark.parametrize(
    "orphans",
    [
        "- pszPackage [in]\n\nThe package.\n\n- pszPrincipal [in, optional]\n\nThe principal.",
        "[in] pszPackage\n\nThe package.\n\n[in, optional] pszPrincipal\n\nThe principal.",
    ],
    ids=["orphan-dash-headings", "annotated-headings"],
)
def test_tbd_parameters_take_the_text_of_the_heading_documenting_them(orphans: str) -> None:
    # AcquireCredentialsHandleW: `### -param pPrincipal` = TBD, the text under `#### - pszPrincipal`.
    text = page(
        "AcquireFooW function (sspi.h)",
        DESC,
        syntax(
            "LPWSTR pszPrincipal", "LPWSTR pszPackage", "[out] PCredHandle phCredential", name="AcquireFooW"
        ),
        "Parameters",
        "pPrincipal",
        "TBD",
        "pPackage",
        "TBD",
        "[out] phCredential",
        "The handle.",
        orphans,
        "Return value",
        "Returns SEC_E_OK.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    got = [
        (p.name, p.direction, p.optional, p.tbd, p.documented_as, p.c_type, p.description)
        for p in spec.parameters
    ]
    assert got == [
        ("pPrincipal", Direction.IN, True, True, "pszPrincipal", "LPWSTR", "The principal."),
        ("pPackage", Direction.IN, False, True, "pszPackage", "LPWSTR", "The package."),
        ("phCredential", Direction.OUT, False, False, None, "PCredHandle", "The handle."),
    ]
    assert rules(spec).count("read.tbd-parameter") == 2
    assert rules(spec).count("read.orphan-heading") == 2
    assert "read.rendered.param-undocumented" not in rules(spec)
    assert spec.unparsed == ()


def test_tbd_parameter_without_a_documenting_heading() -> None:
    text = page(
        TITLE,
        DESC,
        syntax("LPWSTR pszPrincipal"),
        "Parameters",
        "pPrincipal",
        "TBD",
        "- Unrelated [in]",
        "Text.",
        "Return value",
        "Returns SEC_E_OK.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    (p,) = spec.parameters
    assert (p.name, p.tbd, p.documented_as, p.description) == ("pPrincipal", True, None, "TBD")
    assert "read.tbd-parameter" in rules(spec) and "read.orphan-heading" in rules(spec)
    assert [(u.section, u.text) for u in spec.unparsed] == [
        ("parameters: Unrelated", "- Unrelated [in]\n\nText.")
    ]


def test_repeated_and_conflicting_codes_and_unclassified_prose() -> None:
    text = page(
        TITLE,
        DESC,
        syntax("[in] PCtxtHandle phContext"),
        "Parameters",
        "[in] phContext",
        "A handle.",
        "Return value",
        "The function returns SEC_E_BUFFER_TOO_SMALL.",
        "If the function succeeds, it returns one of the following codes.",
        "Return code Description\nSEC_I_CONTINUE_NEEDED\nSend the token.",
        "If the function fails, it returns one of the following codes.",
        "Return code Description\nSEC_I_CONTINUE_NEEDED\nListed again.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    assert [(r.name, r.kind, r.table) for r in spec.returns] == [
        ("SEC_E_BUFFER_TOO_SMALL", ReturnKind.ERROR, None),
        ("SEC_I_CONTINUE_NEEDED", ReturnKind.SUCCESS, 0),
    ]
    got = {(d.rule, d.severity, d.line) for d in spec.diagnostics if d.rule != "read.missing-section"}
    assert got == {
        ("read.unclassified-code", Severity.INFO, 19),
        ("read.duplicate-return-code", Severity.WARNING, 30),
        ("read.conflicting-return-kind", Severity.WARNING, 30),
    }


def test_buffer_position_tables_stay_text() -> None:
    # MakeSignature: "Buffer #/buffer type Meaning" lays out buffers by position, not values.
    text = page(
        TITLE,
        DESC,
        syntax("[in, out] PSecBufferDesc pMessage"),
        "Parameters",
        "[in, out] pMessage",
        "Buffers:\nBuffer #/buffer type Meaning\n0\nSECBUFFER_TOKEN\nEmpty.\n1\nSECBUFFER_DATA\nThe message.",
        "Return value",
        "Returns SEC_E_OK.",
        REQS,
    )
    spec = read_rendered(text, "x.txt")
    p = spec.parameter("pMessage")
    assert p.value_tables == ()
    assert "SECBUFFER_TOKEN" in p.description
