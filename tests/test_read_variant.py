"""The variant of an A/W page reads the same in both forms (rule.variant-from-prototype).

A rendered page has no front matter: when its requirements give no Unicode/ANSI names and its
remarks carry no alias note (AddCredentialsW), the evidence left is the prototype, whose string
parameters are wide for a W function and narrow for an A function. The rendered page below is
written for this test (same facts as the reference page: name, parameter names, header; no page
text)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sspimodel.read import read_text
from sspimodel.read.common import split_variant
from sspimodel.spec import Form, Variant

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "sdk-api" / "sspi"


def rendered_add_credentials(suffix: str, char_type: str) -> str:
    return f"""AddCredentials{suffix} function (sspi.h)

Puts one more credential on the list the calling thread holds.

Syntax

SECURITY_STATUS SEC_ENTRY AddCredentials{suffix}(
  PCredHandle    hCredentials,
  {char_type}      *pPrincipal,
  {char_type}      *pPackage,
  unsigned long  fCredentialUse,
  void           *pAuthData,
  SEC_GET_KEY_FN pGetKeyFn,
  void           *pvGetKeyArgument,
  PTimeStamp     ptsExpiry
);

Parameters

hCredentials

Handle of the credentials that get the new one.

pPrincipal

Principal the credential is for.

pPackage

Package the credential is for.

fCredentialUse

How the credential will be used.

pAuthData

Package-specific data for the credential.

pGetKeyFn

Reserved; pass NULL.

pvGetKeyArgument

Reserved; pass NULL.

ptsExpiry

Receives when the credential stops being valid.

Return value

A status code.

Requirements

Requirement Value
Header sspi.h
"""


def test_rendered_w_page_without_alias_note_reads_as_w() -> None:
    spec = read_text(rendered_add_credentials("W", "SEC_WCHAR"), "AddCredentialsW.txt")
    assert spec.form is Form.RENDERED
    assert (spec.variant, spec.neutral_name) == (Variant.W, "AddCredentials")


def test_rendered_a_page_without_alias_note_reads_as_a() -> None:
    spec = read_text(rendered_add_credentials("A", "SEC_CHAR"), "AddCredentialsA.txt")
    assert (spec.variant, spec.neutral_name) == (Variant.A, "AddCredentials")


def test_prototype_types_that_contradict_the_suffix_are_no_evidence() -> None:
    assert split_variant("AddCredentialsW", c_types=("SEC_CHAR *",)) == (Variant.NEUTRAL, "AddCredentialsW")
    assert split_variant("AddCredentialsW", c_types=("SEC_WCHAR *", "LPSTR")) == (
        Variant.NEUTRAL,
        "AddCredentialsW",
    )
    assert split_variant("AddCredentialsW", c_types=("LPCWSTR",)) == (Variant.W, "AddCredentials")
    # A name without the suffix is never a variant, whatever its types.
    assert split_variant("FreeCredentialsHandle", c_types=("LPWSTR",)) == (
        Variant.NEUTRAL,
        "FreeCredentialsHandle",
    )


def test_rendered_and_source_forms_of_add_credentials_w_agree() -> None:
    page = CORPUS / "nf-sspi-addcredentialsw.md"
    if not page.is_file():
        pytest.skip("../shared corpus not present")
    source = read_text(page.read_text(encoding="utf-8"), page.name)
    rendered = read_text(rendered_add_credentials("W", "SEC_WCHAR"), "AddCredentialsW.txt")
    assert source.form is Form.SOURCE
    assert (
        (rendered.variant, rendered.neutral_name)
        == (source.variant, source.neutral_name)
        == (
            Variant.W,
            "AddCredentials",
        )
    )
    assert [p.name for p in rendered.parameters] == [p.name for p in source.parameters]
