"""The source-markdown reader: the seed page, then one small page per format variant (FORMATS.md)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sspimodel.read import read_text
from sspimodel.read import source as source_mod
from sspimodel.read.source import read_source
from sspimodel.spec import Direction, Form, FunctionSpec, PageKind, ReturnKind, Severity, Variant, Via

NBSP = "\u00a0"


def fm(uid: str = "NF:sspi.TestFunctionA", **extra: str) -> str:
    """Front matter; keyword names spell "." as "__" (req__lib -> req.lib)."""
    keys = {
        "UID": uid,
        "title": f"{uid.rsplit('.', 1)[-1]} function (sspi.h)",
        "description": "A test page.",
        "req.header": "sspi.h",
        "req.kmdf-ver": "",
        "req.unicode-ansi": "",
    }
    keys.update({k.replace("__", "."): v for k, v in extra.items()})
    return "---\n" + "".join(f"{k}: {v}\n" for k, v in keys.items()) + "---\n"


def page(body: str, front: str | None = None) -> str:
    return (fm() if front is None else front) + textwrap.dedent(body)


def read(body: str, front: str | None = None, file: str = "t.md") -> FunctionSpec:
    return read_source(page(body, front), file)


def rules(f: FunctionSpec) -> list[str]:
    return [d.rule for d in f.diagnostics]


def diags(f: FunctionSpec, rule: str) -> list:
    return [d for d in f.diagnostics if d.rule == rule]


def ret(f: FunctionSpec, name: str, via: Via = Via.CALL):
    found = [r for r in f.returns if r.name == name and r.via is via]
    assert len(found) == 1, (name, via, f.returns)
    return found[0]


def line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


# --------------------------------------------------------------------------------------------
# The seed page
# --------------------------------------------------------------------------------------------

SEED = "SspiAcquireCredentialsHandleAsyncA.md"


@pytest.fixture(scope="module")
def seed(spec_dir: Path) -> tuple[FunctionSpec, str]:
    path = spec_dir / "pages" / SEED
    text = path.read_text(encoding="utf-8")
    return read_source(text, SEED), text


def test_seed_identity(seed: tuple[FunctionSpec, str]) -> None:
    f, _ = seed
    assert f.name == "SspiAcquireCredentialsHandleAsyncA"
    assert f.form is Form.SOURCE
    # req.unicode-ansi is empty on the async pages: the variant comes from "(ANSI)" at the end
    # of the front-matter description.
    assert f.variant is Variant.A
    assert f.neutral_name == "SspiAcquireCredentialsHandleAsync"
    assert f.title == "SspiAcquireCredentialsHandleAsyncA function"
    assert f.upstream == "sdk-api-src/content/sspi/nf-sspi-sspiacquirecredentialshandleasynca.md"
    assert f.description.startswith(
        "The SspiAcquireCredentialsHandleAsyncA function asynchronously acquires a handle to preexisting"
        " credentials of a security principal."
    )
    assert "**" not in f.description and "](" not in f.description
    assert f.requirements.min_client == "Windows 10, version 1607 [kernel-mode drivers only]"
    assert f.requirements.min_server == "Windows Server 2016 [kernel-mode drivers only]"
    assert f.requirements.header == "sspi.h"
    assert (
        f.requirements.library is None and f.requirements.dll is None and f.requirements.unicode_ansi is None
    )
    assert f.kernel_mode_only
    assert f.requirements.other == (("req.construct-type", "function"),)
    assert [k for k, _ in f.sections] == ["description", "parameters", "returns", "remarks", "see-also"]
    assert f.source.start == 1 and f.source.end == len(seed[1].splitlines())
    assert not [d for d in f.diagnostics if d.severity is Severity.ERROR]


def test_seed_parameters(seed: tuple[FunctionSpec, str]) -> None:
    f, text = seed
    assert [p.name for p in f.parameters] == [
        "AsyncContext",
        "pszPrincipal",
        "pszPackage",
        "fCredentialUse",
        "pvLogonId",
        "pAuthData",
        "pGetKeyFn",
        "pvGetKeyArgument",
        "phCredential",
        "ptsExpiry",
    ]
    # No [in]/[out] annotation on any parameter of the async pages.
    assert all(p.direction is Direction.UNKNOWN for p in f.parameters)
    assert len(diags(f, "read.no-direction")) == 10
    use = f.parameter("fCredentialUse")
    assert use.values() and [v.name for v in use.values()] == ["SECPKG_CRED_INBOUND", "SECPKG_CRED_OUTBOUND"]
    assert all(v.number is None and v.number_text is None for v in use.values())
    assert use.value_tables[0].header == ("Value", "Meaning")
    inbound = use.values()[0]
    assert inbound.span.start == line_of(text, "| **SECPKG_CRED_INBOUND** |")
    assert inbound.description.startswith("Validate an incoming server credential.")
    # "*optional* A pointer to a TimeStamp": optional from prose only.
    expiry = f.parameter("ptsExpiry")
    assert expiry.optional and expiry.optional_source == "prose"
    assert any(d.line == expiry.span.start for d in diags(f, "read.optional-in-prose"))
    assert f.parameter("phCredential").optional is False
    assert f.parameter("pszPackage").description.startswith("A pointer to a null-terminated string")
    assert f.parameter("AsyncContext").span.start == line_of(text, "### -param AsyncContext")


def test_seed_returns(seed: tuple[FunctionSpec, str]) -> None:
    f, _ = seed
    ok = ret(f, "SEC_E_OK", Via.CALL)
    assert ok.kind is ReturnKind.SUCCESS and ok.table is None
    pending = ret(f, "SEC_I_ASYNC_CALL_PENDING", Via.ASYNC_STATUS)
    assert pending.kind is ReturnKind.PENDING
    fatal = {
        "SEC_E_INSUFFICIENT_MEMORY",
        "SEC_E_INTERNAL_ERROR",
        "SEC_E_NO_CREDENTIALS",
        "SEC_E_NOT_OWNER",
        "SEC_E_SECPKG_NOT_FOUND",
        "SEC_E_UNKNOWN_CREDENTIALS",
    }
    for code in fatal:
        r = ret(f, code, Via.ASYNC_STATUS)
        assert r.kind is ReturnKind.ERROR and r.table == 0
        assert not [x for x in f.returns if x.name == code and x.via is Via.CALL]
    assert {r.name for r in f.returns_via(Via.CALL)} == {"SEC_E_OK"}
    assert "SspiGetAsyncCallStatus" in f.returns_prose


def test_seed_mentions_and_see_also(seed: tuple[FunctionSpec, str]) -> None:
    f, text = seed
    m = [x for x in f.mentioned_codes if x.code == "SEC_E_NO_AUTHENTICATING_AUTHORITY"]
    assert len(m) == 1
    assert m[0].section == "parameters: fCredentialUse"
    assert m[0].context == "SECPKG_CRED_INBOUND"
    assert m[0].line == line_of(text, "return **SEC_E_NO_AUTHENTICATING_AUTHORITY**")
    # Codes of the returns section are returns, not mentions.
    assert "SEC_E_OK" not in f.mentioned_names()
    titles = [s.title for s in f.see_also]
    assert titles == [
        "AcquireCredentialsHandle",
        "SspiAcceptSecurityContextAsync",
        "SspiFreeCredentialsHandleAsync",
        "SspiInitializeSecurityContextAsync",
        "SSPI Functions",
    ]
    by_title = {s.title: s for s in f.see_also}
    # The link names the A page: the entry resolves to the A function.
    assert by_title["SspiInitializeSecurityContextAsync"].function == "SspiInitializeSecurityContextAsyncA"
    assert by_title["AcquireCredentialsHandle"].function == "AcquireCredentialsHandle"
    assert by_title["SSPI Functions"].function is None
    assert by_title["SspiFreeCredentialsHandleAsync"].target == "nf-sspi-sspifreecredentialshandleasync.md"
    assert "kernel-mode modules" in f.remarks


def test_dispatch_reads_seed_as_source(seed: tuple[FunctionSpec, str]) -> None:
    f, text = seed
    assert read_text(text, SEED) == f


# --------------------------------------------------------------------------------------------
# Return tables
# --------------------------------------------------------------------------------------------

HTML_RETURNS = """
## -description

Does things.

## -parameters

### -param phContext [in]

A handle.

## -returns

This function returns one of the following values.

<table>
<tr>
<th>Return code/value</th>
<th>Description</th>
</tr>
<tr>
<td width="40%">
<dl>
<dt><b>SEC_E_INCOMPLETE_MESSAGE</b></dt>
<dt>0x80090318L</dt>
</dl>
</td>
<td width="60%">
The function succeeded. The data in the input buffer is incomplete.

</td>
</tr>
<tr>
<td width="40%">
<dl>
<dt><b>SEC_E_INVALID_HANDLE </b></dt>
<dt>0x80100003L</dt>
</dl>
</td>
<td width="60%">
The function failed. The handle passed to the function is not valid.

</td>
</tr>
<tr>
<td width="40%">
<dl>
<dt><b>SEC_E_LOGON_DENIED</b></dt>
</dl>
</td>
<td width="60%">
The logon failed.

<ul>
<li>The domain is unavailable.</li>
</ul>
</td>
</tr>
<tr>
<td width="40%">
<dl>
<dt><b>SEC_E_OK</b></dt>
<dt>0x00000000L</dt>
</dl>
</td>
<td width="60%">
The function succeeded.

</td>
</tr>
</table>
\u00a0

## -remarks

Nothing.
"""


def test_html_return_table_split_by_blank_lines() -> None:
    text = page(HTML_RETURNS)
    f = read_source(text, "t.md")
    assert [r.name for r in f.returns] == [
        "SEC_E_INCOMPLETE_MESSAGE",
        "SEC_E_INVALID_HANDLE",  # trailing space inside <b> dropped
        "SEC_E_LOGON_DENIED",
        "SEC_E_OK",
    ]
    # One table whose intro says nothing: the rows classify themselves. The page calls
    # SEC_E_INCOMPLETE_MESSAGE a success even though its value is an error (lint reports it).
    assert ret(f, "SEC_E_INCOMPLETE_MESSAGE").kind is ReturnKind.SUCCESS
    assert ret(f, "SEC_E_INVALID_HANDLE").kind is ReturnKind.ERROR
    assert ret(f, "SEC_E_LOGON_DENIED").kind is ReturnKind.ERROR
    assert ret(f, "SEC_E_OK").kind is ReturnKind.SUCCESS
    assert ret(f, "SEC_E_INVALID_HANDLE").hex_in_doc == "0x80100003L"
    assert ret(f, "SEC_E_LOGON_DENIED").hex_in_doc is None
    assert all(r.table == 0 and r.via is Via.CALL for r in f.returns)
    assert "The domain is unavailable." in ret(f, "SEC_E_LOGON_DENIED").description
    assert (
        ret(f, "SEC_E_INVALID_HANDLE").span.start == line_of(text, "<b>SEC_E_INVALID_HANDLE </b>") - 3
    )  # the <tr> line
    assert f.remarks == "Nothing."
    assert not f.unparsed


def test_pipe_return_table_with_div_header_and_br_hex() -> None:
    f = read(
        """
        ## -returns

        If the function fails, it returns one of the following error codes.

        |<div>Return code</div>|<div>Description</div>|
        |---|---|
        |**SEC_E_INSUFFICIENT_MEMORY**<br>0x80090300L|There is not enough memory.|
        |**SEC_E_INVALID_TOKEN**<br>0x80090308L | The token is not valid.|
        | **SEC_E_TARGET_UNKNOWN** | The target was not recognized.|
        """
    )
    assert [(r.name, r.hex_in_doc, r.kind) for r in f.returns] == [
        ("SEC_E_INSUFFICIENT_MEMORY", "0x80090300L", ReturnKind.ERROR),
        ("SEC_E_INVALID_TOKEN", "0x80090308L", ReturnKind.ERROR),
        ("SEC_E_TARGET_UNKNOWN", None, ReturnKind.ERROR),
    ]
    assert ret(f, "SEC_E_INVALID_TOKEN").description == "The token is not valid."


def test_two_html_tables_success_then_error() -> None:
    # InitializeSecurityContextA: a success table, an NBSP line, then an error table.
    f = read(
        f"""
        ## -returns

        If the function succeeds, the function returns one of the following success codes.

        <table>
        <tr><th>Return code</th><th>Description</th></tr>
        <tr><td width="40%"><dl><dt><b>SEC_E_INCOMPLETE_MESSAGE</b></dt></dl></td>
        <td width="60%">Data for the whole message was not read from the wire.</td></tr>
        <tr><td width="40%"><dl><dt><b>SEC_I_CONTINUE_NEEDED</b></dt></dl></td>
        <td width="60%">The client must send the output token to the server.</td></tr>
        </table>
        {NBSP}

        If the function fails, the function returns one of the following error codes.

        <table>
        <tr><th>Return code</th><th>Description</th></tr>
        <tr><td width="40%"><dl><dt><b>SEC_E_INVALID_HANDLE</b></dt></dl></td>
        <td width="60%">The handle passed to the function is not valid.</td></tr>
        </table>
        """
    )
    assert [(r.name, r.kind, r.table) for r in f.returns] == [
        ("SEC_E_INCOMPLETE_MESSAGE", ReturnKind.SUCCESS, 0),
        ("SEC_I_CONTINUE_NEEDED", ReturnKind.SUCCESS, 0),
        ("SEC_E_INVALID_HANDLE", ReturnKind.ERROR, 1),
    ]


def test_async_success_table_then_fatal_error_codes_heading() -> None:
    f = read(
        """
        ## -returns

        Returns **SEC_E_OK** if the async request was successfully queued for execution, otherwise, returns the error generated attempting to queue it.

        If the security context was accepted, SspiGetAsyncCallStatus returns **SEC_E_OK** or one of the SSPI codes in the table below. Otherwise, it may return **SEC_I_ASYNC_CALL_PENDING** if the call is still in progress, or any of the following fatal error codes in the second table below.

        |<div>Return code</div>|<div>Description</div>|
        |---|---|
        |**SEC_I_CONTINUE_NEEDED**<br>0x00090312L| The client must send the output token.|
        |**SEC_E_OK**<br>0x00000000L| The security context was accepted.|

        ### Fatal error codes

        |<div>Return code</div>|<div>Description</div>|
        |---|---|
        |**SEC_E_INVALID_HANDLE**<br>0x80100003L| The handle passed to the function is not valid.|
        | **SEC_E_WRONG_PRINCIPAL** | The principal is not the one passed in.|
        """
    )
    assert ret(f, "SEC_E_OK", Via.CALL).kind is ReturnKind.SUCCESS
    assert ret(f, "SEC_E_OK", Via.ASYNC_STATUS).table == 0
    assert ret(f, "SEC_I_CONTINUE_NEEDED", Via.ASYNC_STATUS).kind is ReturnKind.SUCCESS
    assert ret(f, "SEC_I_ASYNC_CALL_PENDING", Via.ASYNC_STATUS).kind is ReturnKind.PENDING
    for code in ("SEC_E_INVALID_HANDLE", "SEC_E_WRONG_PRINCIPAL"):
        r = ret(f, code, Via.ASYNC_STATUS)
        assert (r.kind, r.table) == (ReturnKind.ERROR, 1)
    assert {r.name for r in f.returns_via(Via.CALL)} == {"SEC_E_OK"}


def test_fatal_heading_alone_makes_async_status_errors() -> None:
    f = read(
        """
        ## -returns

        Returns **SEC_E_OK** when queued.

        ### Fatal error codes

        | Return code | Description |
        |---|---|
        | **SEC_E_INTERNAL_ERROR** | Internal error. |
        """
    )
    r = ret(f, "SEC_E_INTERNAL_ERROR", Via.ASYNC_STATUS)
    assert r.kind is ReturnKind.ERROR


def test_status_function_page_reports_its_own_codes_via_call() -> None:
    f = read_source(
        page(
            """
            ## -returns

            If the function succeeded, SspiGetAsyncCallStatus will return **SEC_E_OK**.

            Until the call is completed, status is **SEC_I_ASYNC_CALL_PENDING**.
            """,
            fm("NF:sspi.SspiGetAsyncCallStatus"),
        ),
        "s.md",
    )
    assert ret(f, "SEC_E_OK", Via.CALL).kind is ReturnKind.SUCCESS
    assert ret(f, "SEC_I_ASYNC_CALL_PENDING", Via.CALL).kind is ReturnKind.PENDING
    assert not f.returns_via(Via.ASYNC_STATUS)


@pytest.mark.parametrize(
    ("prose", "expected"),
    [
        ("If the function succeeds, the function returns SEC_E_OK.", {("SEC_E_OK", ReturnKind.SUCCESS)}),
        (
            "If the function succeeds, the return value is <b>SEC_E_OK</b>.",
            {("SEC_E_OK", ReturnKind.SUCCESS)},
        ),
        (
            "If the function succeeds, the function returns **SEC_E_OK**.\n\nIf the function fails, it returns a nonzero error code.",
            {("SEC_E_OK", ReturnKind.SUCCESS)},
        ),
        (
            "If the function fails, the return value may be SEC_E_INVALID_HANDLE or STATUS_INVALID_PARAMETER.",
            {("SEC_E_INVALID_HANDLE", ReturnKind.ERROR), ("STATUS_INVALID_PARAMETER", ReturnKind.ERROR)},
        ),
        ("Returns **True** if the context requires a notification, **False** otherwise.", set()),
        ("Returns the initialized SspiAsyncContext.", set()),
    ],
)
def test_prose_only_returns(prose: str, expected: set[tuple[str, ReturnKind]]) -> None:
    f = read(f"## -returns\n\n{prose}\n")
    assert {(r.name, r.kind) for r in f.returns} == expected
    assert all(r.table is None and r.via is Via.CALL for r in f.returns)
    assert f.returns_prose


def test_return_table_without_codes_is_reported_not_invented() -> None:
    # The "flattened table" extraction: the code cells came out empty.
    f = read(
        """
        ## -returns

        If the function fails, it returns one of the following error codes.

        | Return code | Description |
        |---|---|
        |  | The handle passed to the function is not valid. |
        |  | The token is not valid. |
        """
    )
    assert f.returns == ()
    d = diags(f, "read.return-table-without-codes")
    # The code names are lost: an error, in both forms (it was a warning here, an error there).
    assert len(d) == 1 and d[0].severity is Severity.ERROR
    assert len(f.unparsed) == 2 and all(u.section == "returns" for u in f.unparsed)


def test_empty_and_missing_sections() -> None:
    f = read(
        """
        ## -description

        Something.

        ## -parameters

        ### -param Handle

        The handle.

        ## -returns

        ## -remarks

        """
    )
    assert f.returns == () and f.returns_prose == "" and f.remarks == ""
    empty = {d.message for d in diags(f, "read.empty-section")}
    assert any("-returns" in m for m in empty) and any("-remarks" in m for m in empty)
    returns_empty = next(d for d in diags(f, "read.empty-section") if "-returns" in d.message)
    assert returns_empty.severity is Severity.WARNING
    missing = diags(f, "read.missing-section")
    assert [d.message for d in missing] == ["page has no '## -see-also' section"]


def test_sections_out_of_order_are_read_and_reported() -> None:
    text = page(
        """
        ## -description

        Imports a context.

        ## -returns

        If the function succeeds, the function returns SEC_E_OK.

        ## -see-also

        <a href="/windows/desktop/api/sspi/nf-sspi-exportsecuritycontext">ExportSecurityContext</a>

        ## -remarks

        Remarks after see-also name SEC_I_COMPLETE_NEEDED.
        """
    )
    f = read_source(text, "t.md")
    assert [k for k, _ in f.sections] == ["description", "returns", "see-also", "remarks"]
    assert f.remarks == "Remarks after see-also name SEC_I_COMPLETE_NEEDED."
    assert [(s.title, s.function) for s in f.see_also] == [("ExportSecurityContext", "ExportSecurityContext")]
    assert diags(f, "read.section-order")[0].severity is Severity.INFO
    (m,) = f.mentioned_codes
    assert (m.code, m.section, m.line) == ("SEC_I_COMPLETE_NEEDED", "remarks", line_of(text, "Remarks after"))


# --------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------

TBD_PAGE = """
## -parameters

### -param pPrincipal

TBD

### -param pPackage

TBD

### -param fCredentialUse [in]

A flag.

### -param ptsExpiry [out, optional]

A pointer to a TimeStamp.

#### - pszPackage [in]

A pointer to a null-terminated string that specifies the name of the security package.

#### - pszPrincipal [in, optional]

A pointer to a null-terminated string that specifies the name of the principal.

## -returns

If the function succeeds, the function returns SEC_E_OK.
"""


def test_tbd_parameters_take_text_from_orphan_headings() -> None:
    text = page(TBD_PAGE)
    f = read_source(text, "t.md")
    assert [p.name for p in f.parameters] == ["pPrincipal", "pPackage", "fCredentialUse", "ptsExpiry"]
    principal = f.parameter("pPrincipal")
    assert principal.tbd and principal.documented_as == "pszPrincipal"
    assert (
        principal.direction is Direction.IN
        and principal.optional
        and principal.optional_source == "annotation"
    )
    assert principal.description.startswith(
        "A pointer to a null-terminated string that specifies the name of the principal"
    )
    package = f.parameter("pPackage")
    assert package.tbd and package.documented_as == "pszPackage"
    assert package.direction is Direction.IN and not package.optional
    assert "security package" in package.description
    # The orphans' text does not leak into the parameter whose section they sit in.
    assert f.parameter("ptsExpiry").description == "A pointer to a TimeStamp."
    assert not f.parameter("fCredentialUse").tbd
    tbd = diags(f, "read.tbd-parameter")
    assert sorted(d.line for d in tbd) == [
        line_of(text, "-param pPrincipal"),
        line_of(text, "-param pPackage"),
    ]
    orphan = diags(f, "read.orphan-heading")
    assert sorted(d.line for d in orphan) == [
        line_of(text, "#### - pszPackage"),
        line_of(text, "#### - pszPrincipal"),
    ]
    assert all(d.severity is Severity.WARNING for d in tbd + orphan)
    assert not f.unparsed


def test_tbd_matching_by_name_similarity_target_name() -> None:
    # InitializeSecurityContextA: pszTargetName = TBD, text under "#### - pTargetName".
    f = read(
        """
        ## -parameters

        ### -param phCredential [in, optional]

        A handle.

        ### -param pszTargetName

        TBD

        ### -param fContextReq [in]

        Flags.

        #### - pTargetName [in, optional]

        A pointer to a null-terminated string that indicates the target of the context.

        | SSP in use | Meaning |
        |---|---|
        | **Digest** | The URI of the resource. |
        | **NTLM** | Service principal name (SPN). |
        """
    )
    p = f.parameter("pszTargetName")
    assert p.tbd and p.documented_as == "pTargetName"
    assert (p.direction, p.optional) == (Direction.IN, True)
    # rule.value-table: "SSP in use | Meaning" says how each package reads the name; no values.
    assert p.values() == ()
    assert "SSP in use | Meaning" in p.description and "Digest" in p.description
    assert f.parameter("fContextReq").description == "Flags."


def test_unmatched_tbd_and_orphan_are_both_reported() -> None:
    f = read(
        """
        ## -parameters

        ### -param Handle

        TBD

        #### - Something [in]

        Text of something else.
        """
    )
    p = f.parameter("Handle")
    assert p.tbd and p.documented_as is None and p.description == "TBD"
    assert diags(f, "read.tbd-parameter") and diags(f, "read.orphan-heading")
    assert [u.section for u in f.unparsed] == ["parameters: Something"]
    assert "Text of something else." in f.unparsed[0].text


@pytest.mark.parametrize(
    "body",
    [
        "*optional* A pointer to a TimeStamp structure.",
        "*Optional*. A pointer to a TimeStamp structure.",
        "The **optional** time limit, in milliseconds.",
        "A pointer to a LUID. This parameter can be **NULL**.",
    ],
)
def test_optional_in_prose(body: str) -> None:
    f = read(f"## -parameters\n\n### -param pArg\n\n{body}\n")
    p = f.parameter("pArg")
    assert p.optional and p.optional_source == "prose"
    (d,) = diags(f, "read.optional-in-prose")
    assert d.severity is Severity.INFO


def test_optional_in_prose_against_annotation_is_a_warning() -> None:
    f = read("## -parameters\n\n### -param pArg [in]\n\n*optional* A pointer.\n")
    p = f.parameter("pArg")
    assert p.optional and p.optional_source == "prose" and p.direction is Direction.IN
    assert diags(f, "read.optional-in-prose")[0].severity is Severity.WARNING


def test_not_optional_when_prose_only_mentions_null_elsewhere() -> None:
    f = read("## -parameters\n\n### -param phContext [in]\n\nOn the first call, this pointer is **NULL**.\n")
    p = f.parameter("phContext")
    assert not p.optional and p.optional_source is None
    assert not diags(f, "read.optional-in-prose")


@pytest.mark.parametrize(
    ("annotation", "direction", "optional"),
    [
        ("[in]", Direction.IN, False),
        ("[out]", Direction.OUT, False),
        ("[in, optional]", Direction.IN, True),
        ("[out, optional]", Direction.OUT, True),
        ("[in, out]", Direction.INOUT, False),
        ("[in, out, optional]", Direction.INOUT, True),
        ("", Direction.UNKNOWN, False),
    ],
)
def test_direction_annotations(annotation: str, direction: Direction, optional: bool) -> None:
    f = read(f"## -parameters\n\n### -param pArg {annotation}\n\nText.\n")
    p = f.parameter("pArg")
    assert (p.direction, p.optional) == (direction, optional)
    assert p.optional_source == ("annotation" if optional else None)
    assert bool(diags(f, "read.no-direction")) == (direction is Direction.UNKNOWN)


VALUES_PAGE = """
## -parameters

### -param fFlags [in]

This parameter can be a bitwise-<b>OR</b> combination of the following values.

<table>
<tr>
<th>Value</th>
<th>Meaning</th>
</tr>
<tr>
<td width="40%"><a id="A_ONE"></a><a id="a_one"></a><dl>
<dt><b>A_ONE</b></dt>
<dt>1 (0x1)</dt>
</dl>
</td>
<td width="60%">
One.

</td>
</tr>
<tr>
<td width="40%"><dl><dt><b>A_MASK</b></dt><dt>4026531840 (0xF0000000)</dt></dl></td>
<td width="60%">Mask.</td>
</tr>
<tr>
<td width="40%"><dl><dt><b>A_HEX</b></dt><dt>0x1</dt></dl></td>
<td width="60%">Hex.</td>
</tr>
<tr>
<td width="40%"><dl><dt><b>A_UPPER</b></dt><dt>0X800</dt></dl></td>
<td width="60%">Upper-case X.</td>
</tr>
<tr>
<td width="40%"><dl><dt><b>A_DEC</b></dt><dt>10</dt></dl></td>
<td width="60%">Decimal.</td>
</tr>
<tr>
<td width="40%"><dl><dt><b>A_EMPTY</b></dt><dt></dt></dl></td>
<td width="60%">Empty second dt.</td>
</tr>
<tr>
<td width="40%"><dl><dt><b>A_NONE</b></dt></dl></td>
<td width="60%">
This value is not supported.

<b>Windows XP:\u00a0\u00a0</b>The value means something.

</td>
</tr>
<tr>
<td width="40%"><dl><dt>A_PLAIN</dt></dl></td>
<td width="60%">A name without bold.</td>
</tr>
</table>
\u00a0

The values may be combined. The function may return SEC_E_UNSUPPORTED_FUNCTION.

### -param Topics [in]

See the topics.

| Topic | Description |
|---|---|
| [Context Requirements](/windows/win32/secauthn/context-requirements) | Flags. |
"""


def test_value_tables_number_forms() -> None:
    text = page(VALUES_PAGE)
    f = read_source(text, "t.md")
    p = f.parameter("fFlags")
    got = [(v.name, v.number, v.number_text) for v in p.values()]
    assert got == [
        ("A_ONE", 1, "1 (0x1)"),
        ("A_MASK", 4026531840, "4026531840 (0xF0000000)"),
        ("A_HEX", 1, "0x1"),
        ("A_UPPER", 0x800, "0X800"),
        ("A_DEC", 10, "10"),
        ("A_EMPTY", None, None),
        ("A_NONE", None, None),
        ("A_PLAIN", None, None),
    ]
    none = p.values()[6]
    assert "Windows XP: The value means something." in none.description
    assert p.values()[0].span.start == line_of(text, '<a id="A_ONE">') - 1
    assert p.value_tables[0].header == ("Value", "Meaning")
    # Text around the table stays in the description; the table rows do not.
    assert p.description.startswith("This parameter can be a bitwise-OR combination")
    assert "The values may be combined." in p.description and "Upper-case X" not in p.description
    (m,) = f.mentioned_codes
    assert (m.code, m.section, m.context) == ("SEC_E_UNSUPPORTED_FUNCTION", "parameters: fFlags", "")
    topics = f.parameter("Topics")
    assert topics.value_tables == ()
    assert "Context Requirements | Flags." in topics.description


def test_mentions_carry_the_value_row_they_sit_in() -> None:
    text = page(
        """
        ## -description

        The description names SEC_E_OK.

        ## -parameters

        ### -param fCredentialUse [in]

        <table>
        <tr><th>Value</th><th>Meaning</th></tr>
        <tr><td><dl><dt><b>SECPKG_CRED_INBOUND</b></dt></dl></td>
        <td>If no authority is available the function returns <b>SEC_E_NO_AUTHENTICATING_AUTHORITY</b>.</td></tr>
        </table>

        ## -returns

        If the function succeeds, the function returns SEC_E_OK.

        ## -remarks

        SEC_E_OK again, and SEC_I_COMPLETE_NEEDED.
        """
    )
    f = read_source(text, "t.md")
    got = [(m.code, m.section, m.context) for m in f.mentioned_codes]
    assert got == [
        ("SEC_E_OK", "description", ""),
        ("SEC_E_NO_AUTHENTICATING_AUTHORITY", "parameters: fCredentialUse", "SECPKG_CRED_INBOUND"),
        ("SEC_E_OK", "remarks", ""),
        ("SEC_I_COMPLETE_NEEDED", "remarks", ""),
    ]
    assert f.mentioned_codes[1].line == line_of(text, "<b>SEC_E_NO_AUTHENTICATING_AUTHORITY</b>")


def test_duplicate_parameter_is_reported_and_kept() -> None:
    f = read("## -parameters\n\n### -param a [in]\n\nA.\n\n### -param a [in]\n\nAgain.\n")
    assert [p.description for p in f.parameters] == ["A.", "Again."]
    assert len(diags(f, "read.duplicate-parameter")) == 1


# --------------------------------------------------------------------------------------------
# Text quirks, front matter, names
# --------------------------------------------------------------------------------------------


def test_tabs_nbsp_and_legacy_html_paragraphs() -> None:
    # The 2018 pages indent HTML paragraphs with tabs (CommonMark reads them as code) and put
    # NBSP lines after </table>.
    f = read(
        "## -description\n\n\t\t\tThe <b>DeleteSecurityContext</b> function\tdeletes things.\n\n"
        "## -returns\n\n\t\t\t\t\t\tIf the function succeeds, the return value is <b>SEC_E_OK</b>.\n"
        "If the function fails, the return value can be the following error code.\n\n"
        '<table>\n<tr>\n<th>Return code</th>\n<th>Description</th>\n</tr>\n<tr>\n<td width="40%">\n<dl>\n'
        '<dt><b>SEC_E_INVALID_HANDLE</b></dt>\n</dl>\n</td>\n<td width="60%">\nNot valid.\n</td>\n</tr>\n</table>\n'
        f'{NBSP}\n\n## -remarks\n\n<div class="alert"><b>Note</b>{NBSP}{NBSP}Be careful.</div>\n<div>{NBSP}</div>\n'
    )
    assert f.description == "The DeleteSecurityContext function deletes things."
    assert ret(f, "SEC_E_OK").kind is ReturnKind.SUCCESS
    assert ret(f, "SEC_E_INVALID_HANDLE").kind is ReturnKind.ERROR
    assert f.remarks == "Note: Be careful."


def test_note_blocks_and_lists_become_text() -> None:
    f = read(
        """
        ## -remarks

        >[!WARNING]
        > Do not use the same handle twice.

        - The two string parameters must be Unicode strings.
        - The buffers must be allocated in process virtual memory.
        """
    )
    assert "Warning: Do not use the same handle twice." in f.remarks
    assert "- The two string parameters must be Unicode strings." in f.remarks


def test_requirements_and_variant_from_unicode_ansi() -> None:
    front = fm(
        "NF:sspi.ImportSecurityContextW",
        **{
            "req__unicode-ansi": "ImportSecurityContextW (Unicode) and ImportSecurityContextA (ANSI)",
            "req__lib": "Secur32.lib",
            "req__dll": "Secur32.dll",
            "req__include-header": "Security.h",
            "req__target-type": "Windows",
            "req__target-min-winverclnt": "Windows XP [desktop apps only]",
            "req__typenames": "SEC_X, *PSEC_X",
            "req__irql": "",
            "upstream": "sdk-api-src/content/sspi/nf-sspi-importsecuritycontextw.md",
        },
    )
    f = read("## -description\n\nImports.\n", front)
    assert f.name == "ImportSecurityContextW"
    assert (f.variant, f.neutral_name) == (Variant.W, "ImportSecurityContext")
    r = f.requirements
    assert (r.library, r.dll, r.include_header, r.target_platform, r.header) == (
        "Secur32.lib",
        "Secur32.dll",
        "Security.h",
        "Windows",
        "sspi.h",
    )
    assert r.min_client == "Windows XP [desktop apps only]" and r.min_server is None
    assert r.other == (("req.typenames", "SEC_X, *PSEC_X"),)
    assert f.upstream == "sdk-api-src/content/sspi/nf-sspi-importsecuritycontextw.md"


def test_trailing_a_without_evidence_is_not_a_variant() -> None:
    f = read("## -description\n\nX.\n", fm("NF:sspi.TestFunctionA"))
    assert (f.variant, f.neutral_name) == (Variant.NEUTRAL, "TestFunctionA")


def test_yaml_error_is_a_diagnostic_and_the_page_is_still_read() -> None:
    text = (
        '---\nUID: NF:sspi.BrokenA\ntitle: BrokenA function\nhelpviewer_keywords: ["a", "b"\n'
        "req.header: sspi.h\n---\n\n## -parameters\n\n### -param x [in]\n\nAn x.\n"
    )
    f = read_source(text, "broken.md")
    (d,) = diags(f, "read.front-matter")
    assert d.severity is Severity.ERROR and d.file == "broken.md"
    # The unclosed flow list opens on line 4; YAML notices it on line 5 and reports that line.
    assert d.line == 5 and "did not find expected" in d.message
    assert f.name == "BrokenA"  # salvaged from the UID line
    assert f.requirements.header == "sspi.h"
    assert [p.name for p in f.parameters] == ["x"]


def test_unclosed_front_matter() -> None:
    f = read_source("---\nUID: NF:sspi.Open\ntitle: Open function\n\n## -description\n\nOpen.\n", "o.md")
    assert f.name == "Open"
    assert diags(f, "read.front-matter")[0].severity is Severity.ERROR
    assert f.description == "Open."


def test_name_fallbacks() -> None:
    f = read_source("# SomeFunction function\n\n## -description\n\nText.\n", "x.md")
    assert f.name == "SomeFunction"
    assert diags(f, "read.front-matter") and diags(f, "read.no-name")
    g = read_source("## -description\n\nText.\n", "pages/nf-sspi-freecontextbuffer.2018.md")
    assert g.name == "freecontextbuffer"
    assert "file name" in diags(g, "read.no-name")[0].message


def test_struct_page() -> None:
    front = "---\nUID: NS:sspi._SecThing\ntitle: SecThing (sspi.h)\n---\n"
    f = read(
        """
        # SecThing structure

        ## -description

        A structure.

        ## -struct-fields

        ### -field cbBuffer

        The size.

        ### -field BufferType

        The type.
        """,
        front,
    )
    assert f.name == "SecThing" and f.parameters == () and f.returns == ()
    assert f.upstream == "sdk-api-src/content/sspi/ns-sspi-secthing.md"
    assert f.unparsed == ()
    assert f.kind is PageKind.STRUCT
    assert [(x.name, x.description, x.span.start) for x in f.fields] == [
        ("cbBuffer", "The size.", f.fields[0].span.start),
        ("BufferType", "The type.", f.fields[1].span.start),
    ]
    assert f.fields[0].span.start < f.fields[1].span.start
    assert f.as_struct().fields == f.fields
    assert not diags(f, "read.missing-section")


def test_unknown_section_and_preamble_are_kept_unparsed() -> None:
    f = read(
        """
        Stray text before any section.

        ## -description

        Text.

        ## -examples

        Example text.
        """
    )
    assert [u.section for u in f.unparsed] == ["preamble", "examples"]
    assert len(diags(f, "read.unparsed")) == 2


def test_see_also_link_resolution() -> None:
    f = read(
        """
        ## -see-also

        <a href="/windows/desktop/api/sspi/nf-sspi-initializesecuritycontexta">InitializeSecurityContext (CredSSP)</a>

        [SecBuffer](./ns-sspi-secbuffer.md)

        <a href="/windows/desktop/api/rrascfg/nn-rrascfg-ieapproviderconfig">QueryContextAttributes (Digest)</a>

        <a href="https://msdn.microsoft.com/eaa15fed-4438-4e43-9be3-aa100ca453c7">AcceptSecurityContext (General)</a>

        [SSPI Functions](/windows/desktop/SecAuthN/authentication-functions)

        [CredHandle](/windows/desktop/SecAuthN/sspi-handles)
        """
    )
    got = [(s.title, s.function) for s in f.see_also]
    assert got == [
        ("InitializeSecurityContext (CredSSP)", "InitializeSecurityContextA"),
        ("SecBuffer", None),
        ("QueryContextAttributes (Digest)", "QueryContextAttributes"),
        ("AcceptSecurityContext (General)", "AcceptSecurityContext"),
        ("SSPI Functions", None),
        ("CredHandle", None),
    ]
    (d,) = diags(f, "read.link-mismatch")
    assert "ieapproviderconfig" in d.message


# --------------------------------------------------------------------------------------------
# Never raising
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "---",
        "---\n---\n",
        "\x00\x01\ufffd",
        "## -parameters\n\n### -param",
        "<table><tr><td>",
        "|a|\n|-|\n|",
    ],
)
def test_degenerate_pages_do_not_raise(text: str) -> None:
    f = read_source(text, "odd.md")
    assert isinstance(f, FunctionSpec) and f.name
    assert "read.internal" not in rules(f)


def test_internal_error_in_one_phase_keeps_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: object, section: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(source_mod._Reader, "returns", boom)
    f = read(TBD_PAGE)
    (d,) = diags(f, "read.internal")
    assert d.severity is Severity.ERROR and "simulated bug" in d.message and "returns" in d.message
    assert [p.name for p in f.parameters] == ["pPrincipal", "pPackage", "fCredentialUse", "ptsExpiry"]
    assert f.returns == ()


def test_internal_error_anywhere_returns_a_page(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: object) -> None:
        raise ValueError("simulated bug")

    monkeypatch.setattr(source_mod._Reader, "read", boom)
    f = read("## -description\n\nX.\n", fm("NF:sspi.SalvagedName"))
    assert f.name == "SalvagedName"
    (d,) = f.diagnostics
    assert d.rule == "read.internal" and "ValueError: simulated bug" in d.message


def test_struct_tag_uid_and_quoted_title() -> None:
    f = read_source(
        '---\nUID: NS:sspi._SecPkgContext_CredInfo\ntitle: "_SecPkgContext_CredInfo"\n---\n\n'
        "## -description\n\nCredential information.\n\n## Requirements\n\nMinimum supported client\n",
        "s.md",
    )
    assert f.name == "SecPkgContext_CredInfo"
    assert not diags(f, "read.name-mismatch")
    # A heading without the "-" marker is not a known section: kept, named as printed.
    assert [k for k, _ in f.sections] == ["description", "Requirements"]
    assert [u.section for u in f.unparsed] == ["Requirements"]


def test_uid_and_title_disagree() -> None:
    f = read_source(
        "---\nUID: NF:sspi.AcquireCredentialsHandleA\ntitle: AcquireCredentialsHandle (CredSSP)\n---\n",
        "x.md",
    )
    assert f.name == "AcquireCredentialsHandleA"
    assert not diags(f, "read.name-mismatch")  # the title's neutral name differs only by the suffix
    g = read_source("---\nUID: NF:sspi.Foo\ntitle: Bar function\n---\n", "x.md")
    assert g.name == "Foo" and diags(g, "read.name-mismatch")
