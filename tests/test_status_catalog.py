"""The status catalog: 95 codes with winerror.h values, cross-checked against the real header."""

from __future__ import annotations

import re

from sspimodel.status import load_catalog, severity_of


def test_catalog_has_every_sec_code_once():
    cat = load_catalog()
    names = [e.name for e in cat.entries]
    assert len(names) == 95
    assert len(set(names)) == 95
    assert all(re.fullmatch(r"SEC_[EI]_[A-Z0-9_]+", n) for n in names)


def test_values_and_derived_fields():
    cat = load_catalog()
    h = cat["SEC_E_INVALID_HANDLE"]
    assert h.value == 0x80090301
    assert h.signed == -2146893055
    assert h.severity == "error"
    assert h.facility == 9
    assert cat["SEC_I_CONTINUE_NEEDED"].severity == "success"
    assert cat["SEC_E_OK"].value == 0
    # aliases share the value of the code they alias
    assert cat["SEC_E_NOT_SUPPORTED"].alias_of == "SEC_E_UNSUPPORTED_FUNCTION"
    assert cat["SEC_E_NOT_SUPPORTED"].value == cat["SEC_E_UNSUPPORTED_FUNCTION"].value
    assert cat.names_for_value(0x80090304) == ("SEC_E_INTERNAL_ERROR", "SEC_E_NO_SPM")


def test_severity_follows_bit_31():
    assert severity_of(0x80000000) == "error"
    assert severity_of(0x7FFFFFFF) == "success"


def test_catalog_matches_mingw_winerror_h(mingw_include):
    text = (mingw_include / "winerror.h").read_text(encoding="latin-1")
    lines = text.splitlines()
    defines: dict[str, tuple[str, int]] = {}
    for i, line in enumerate(lines, 1):
        m = re.match(r"#define\s+(SEC_[EI]_\w+)\s+(.*?)\s*$", line)
        if m:
            defines[m.group(1)] = (m.group(2), i)
    cat = load_catalog()
    assert set(defines) == {e.name for e in cat.entries}
    for e in cat.entries:
        expr, line = defines[e.name]
        assert line == e.line, e.name
        hexm = re.search(r"0x([0-9A-Fa-f]{8})", expr)
        if hexm:
            assert int(hexm.group(1), 16) == e.value, e.name
        else:
            assert expr == e.alias_of, e.name
            assert cat[expr].value == e.value
