"""rule.reported-via: how the caller learns each code — returned, via GetLastError, via
SspiGetAsyncCallStatus, or written to an out parameter — read the same in both page forms.

The pages are minimal pages written for these tests (no reference page text)."""

from __future__ import annotations

import pytest

from sspimodel.read import read_text
from sspimodel.read.rules import out_parameter_named, reported_in
from sspimodel.spec import Form, Reported, ReturnKind

FRONT = "---\nUID: NF:demo.DemoReport\ntitle: DemoReport function (demo.h)\nreq.header: demo.h\n---\n\n"


def source_page(returns: str, status_param: str = "") -> str:
    extra = (
        "### -param pStatus [out]\n\nReceives the status of the package.\n\n" + status_param
        if status_param or "pStatus" in returns
        else ""
    )
    return (
        FRONT
        + "## -description\n\nDoes a demo thing.\n\n## -parameters\n\n### -param hDemo [in]\n\nThe demo handle.\n\n"
        + extra
        + "## -returns\n\n"
        + returns
        + "\n"
    )


def rendered_page(returns: str, status_param: str = "") -> str:
    syntax_status = ",\n  [out] PULONG pStatus" if status_param or "pStatus" in returns else ""
    extra = (
        "[out] pStatus\n\nReceives the status of the package.\n\n" + status_param
        if status_param or "pStatus" in returns
        else ""
    )
    return (
        "DemoReport function (demo.h)\n\nDoes a demo thing.\n\nSyntax\n\nSECURITY_STATUS DemoReport(\n"
        f"  [in] HANDLE hDemo{syntax_status}\n);\n\nParameters\n\n[in] hDemo\n\nThe demo handle.\n\n"
        + extra
        + "Return value\n\n"
        + returns
        + "\n\nRequirements\n\nHeader demo.h\n"
    )


CASES = {
    "returned": (
        "If the function fails, it returns SEC_E_INVALID_HANDLE.",
        [("SEC_E_INVALID_HANDLE", ReturnKind.ERROR, Reported.RETURNED)],
    ),
    "GetLastError": (
        "If the function fails, it returns FALSE; call GetLastError to get ERROR_INVALID_PARAMETER.",
        [("ERROR_INVALID_PARAMETER", ReturnKind.ERROR, Reported.GET_LAST_ERROR)],
    ),
    "SspiGetAsyncCallStatus": (
        "If the work fails later, SspiGetAsyncCallStatus returns SEC_E_INTERNAL_ERROR.",
        [("SEC_E_INTERNAL_ERROR", ReturnKind.ERROR, Reported.ASYNC_STATUS)],
    ),
    "out-parameter": (
        "If the package fails, the error code SEC_E_LOGON_DENIED is written to the pStatus parameter.",
        [("SEC_E_LOGON_DENIED", ReturnKind.ERROR, Reported.OUT_PARAMETER)],
    ),
}


def facts(text: str) -> list[tuple[str, ReturnKind, Reported]]:
    spec = read_text(text, "demo.md")
    assert not [d for d in spec.diagnostics if d.rule == "read.internal"]
    return [(rc.name, rc.kind, rc.reported_as) for rc in spec.returns]


@pytest.mark.parametrize("how", list(CASES))
@pytest.mark.parametrize("form", [Form.SOURCE, Form.RENDERED])
def test_each_way_of_reporting_is_read(how: str, form: Form) -> None:
    prose, expected = CASES[how]
    page = source_page(prose) if form is Form.SOURCE else rendered_page(prose)
    assert read_text(page, "demo.md").form is form
    assert facts(page) == expected


STATUS_TABLE_SOURCE = (
    "| Value | Meaning |\n|---|---|\n"
    "| **SEC_E_LOGON_DENIED** | The logon was refused. |\n"
    "| **SEC_E_TIME_SKEW** | The clocks differ too much. |\n\n"
)
STATUS_TABLE_RENDERED = "Value Meaning\nSEC_E_LOGON_DENIED\nThe logon was refused.\nSEC_E_TIME_SKEW\nThe clocks differ too much.\n\n"


@pytest.mark.parametrize("form", [Form.SOURCE, Form.RENDERED])
def test_status_values_of_an_out_parameter_are_reported_through_it(form: Form) -> None:
    prose = "If the function succeeds, it returns SEC_E_OK."
    page = (
        source_page(prose, STATUS_TABLE_SOURCE)
        if form is Form.SOURCE
        else rendered_page(prose, STATUS_TABLE_RENDERED)
    )
    assert facts(page) == [
        ("SEC_E_OK", ReturnKind.SUCCESS, Reported.RETURNED),
        ("SEC_E_LOGON_DENIED", ReturnKind.ERROR, Reported.OUT_PARAMETER),
        ("SEC_E_TIME_SKEW", ReturnKind.ERROR, Reported.OUT_PARAMETER),
    ]


def test_out_parameter_rule_needs_a_parameter_of_the_page() -> None:
    text = "The status is returned in the pStatus parameter."
    assert out_parameter_named(text, ["pStatus"]) == "pStatus"
    assert out_parameter_named(text, ["pOther"]) is None
    assert reported_in(text, ["pStatus"]) is Reported.OUT_PARAMETER
    assert reported_in(text) is None
    assert out_parameter_named("The *pStatus* parameter receives the error code.", ["pStatus"]) == "pStatus"
    assert (
        reported_in("Call GetLastError; the status is returned in pStatus.", ["pStatus"])
        is Reported.GET_LAST_ERROR
    )
