"""QueryContextAttributesExA/W: the caller's buffer and its size, the same answers as
QueryContextAttributes, and the failure codes the model chose where the page names none."""

from __future__ import annotations

import re

import pytest

from sspimodel.api import Sspi
from sspimodel.contract import ContractError
from sspimodel.model import CtxtHandle, SecBufferDesc, default_world, rules_for
from sspimodel.model.attributes_ex import STRUCT_SIZES
from sspimodel.model.constants import SECPKG_CRED_OUTBOUND, SECURITY_NATIVE_DREP
from sspimodel.model.drive import acquire, handshake
from sspimodel.model.errata import errata_codes

SIZES, NAMES, LIFESPAN, KEY_INFO, SESSION_KEY, FLAGS = 0, 1, 2, 5, 9, 14
CONNECTION_INFO = 0x5A  # Schannel only (the page's row)
STREAM_SIZES = 4  # Schannel only (the page's row)


def _pair(package: str = "NTLM") -> tuple:
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    hs = handshake(cli, srv, package)
    assert hs.established
    return world, cli, srv, hs


def _strip(value: object) -> object:
    """A structure with its package-memory addresses taken away (values only)."""
    text = repr(value)
    return re.sub(r"0x[0-9a-f]+", "ADDR", text)


@pytest.mark.parametrize("package", ["Negotiate", "Kerberos", "NTLM"])
@pytest.mark.parametrize("variant", ["A", "W"])
def test_ex_answers_what_query_context_attributes_answers(package, variant):
    _world, cli, _srv, hs = _pair(package)
    ex = getattr(cli, f"QueryContextAttributesEx{variant}")
    plain = getattr(cli, f"QueryContextAttributes{variant}")
    for attribute in (SIZES, NAMES, LIFESPAN, KEY_INFO, SESSION_KEY, FLAGS):
        size = STRUCT_SIZES[attribute][1]
        r = ex(phContext=hs.client_ctx, ulAttribute=attribute, cbBuffer=size)
        assert r.status.name == "SEC_E_OK", (package, attribute)
        assert cli.last_rule.id == "qcax.ok"
        q = plain(phContext=hs.client_ctx, ulAttribute=attribute)
        assert _strip(r.pBuffer) == _strip(q.pBuffer), attribute


def test_a_buffer_one_byte_short_is_too_small_and_nothing_is_written():
    _world, cli, _srv, hs = _pair()
    for attribute in (SIZES, NAMES, LIFESPAN, KEY_INFO, SESSION_KEY, FLAGS):
        size = STRUCT_SIZES[attribute][1]
        memory = dict(cli.process.allocations)
        r = cli.QueryContextAttributesExW(phContext=hs.client_ctx, ulAttribute=attribute, cbBuffer=size - 1)
        assert r.status.name == "SEC_E_BUFFER_TOO_SMALL", attribute
        assert cli.last_rule.id == "qcax.buffer_too_small"
        assert r.pBuffer is None
        assert cli.process.allocations == memory
    # A larger buffer is fine.
    r = cli.QueryContextAttributesExW(phContext=hs.client_ctx, ulAttribute=SIZES, cbBuffer=4096)
    assert r.status.name == "SEC_E_OK"


def test_sizes_are_the_64_bit_layouts_of_sspi_h():
    # SecPkgContext_Sizes: four ULONGs; _Names: one pointer; _Lifespan: two TimeStamps;
    # _KeyInfo: two pointers and three ULONGs, padded to 8; _Flags: one ULONG.
    assert STRUCT_SIZES[SIZES] == ("SecPkgContext_Sizes", 16)
    assert STRUCT_SIZES[NAMES] == ("SecPkgContext_Names", 8)
    assert STRUCT_SIZES[LIFESPAN] == ("SecPkgContext_Lifespan", 16)
    assert STRUCT_SIZES[KEY_INFO] == ("SecPkgContext_KeyInfo", 32)
    assert STRUCT_SIZES[FLAGS] == ("SecPkgContext_Flags", 4)


def test_schannel_rows_are_unsupported_whatever_the_buffer():
    _world, cli, _srv, hs = _pair("Kerberos")
    for attribute in (CONNECTION_INFO, STREAM_SIZES):
        r = cli.QueryContextAttributesExA(phContext=hs.client_ctx, ulAttribute=attribute, cbBuffer=0)
        assert r.status.name == "SEC_E_UNSUPPORTED_FUNCTION"
        assert cli.last_rule.id == "qcax.unsupported_attribute"


def test_server_only_access_token_is_unsupported_on_the_client():
    _world, cli, srv, hs = _pair()
    r = cli.QueryContextAttributesExW(phContext=hs.client_ctx, ulAttribute=18, cbBuffer=8)
    assert r.status.name == "SEC_E_UNSUPPORTED_FUNCTION"
    r = srv.QueryContextAttributesExW(phContext=hs.server_ctx, ulAttribute=18, cbBuffer=8)
    assert r.status.name == "SEC_E_OK"


def test_handles_that_name_no_context_are_invalid():
    _world, cli, _srv, hs = _pair()
    deleted = hs.client_ctx
    cli.DeleteSecurityContext(phContext=deleted)
    for handle in (CtxtHandle(0, 0), CtxtHandle(0x999, 10), deleted, hs.server_ctx):
        r = cli.QueryContextAttributesExW(phContext=handle, ulAttribute=SIZES, cbBuffer=16)
        assert r.status.name == "SEC_E_INVALID_HANDLE"
    with pytest.raises(ContractError) as info:
        cli.QueryContextAttributesExW(phContext=None, ulAttribute=SIZES, cbBuffer=16)
    assert info.value.parameter == "phContext"


def test_an_incomplete_context_answers_sizes_but_not_names():
    world = default_world()
    cli = Sspi(world, 100)
    cred = acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND)
    r = cli.InitializeSecurityContextW(
        phCredential=cred,
        phContext=None,
        pTargetName="HTTP/web.contoso.com",
        fContextReq=0,
        Reserved1=0,
        TargetDataRep=SECURITY_NATIVE_DREP,
        pInput=None,
        Reserved2=0,
        pOutput=SecBufferDesc.output(48256),
    )
    assert r.status.name == "SEC_I_CONTINUE_NEEDED"
    ctx = r.phNewContext
    assert cli.QueryContextAttributesExW(phContext=ctx, ulAttribute=SIZES, cbBuffer=16).status.name == "SEC_E_OK"
    r = cli.QueryContextAttributesExW(phContext=ctx, ulAttribute=NAMES, cbBuffer=8)
    assert r.status.name == "SEC_E_INVALID_HANDLE"
    assert cli.last_rule.id == "qcax.incomplete"


def test_an_attribute_outside_the_pages_table_and_bad_sizes_break_the_contract():
    _world, cli, _srv, hs = _pair()
    with pytest.raises(ContractError) as info:
        cli.QueryContextAttributesExW(phContext=hs.client_ctx, ulAttribute=0x80000081, cbBuffer=8)
    assert info.value.parameter == "ulAttribute"  # NEGOTIATION_PACKAGE: not a row of the Ex page
    with pytest.raises(ContractError) as info:
        cli.QueryContextAttributesExW(phContext=hs.client_ctx, ulAttribute=SIZES, cbBuffer=-1)
    assert info.value.parameter == "cbBuffer"


@pytest.mark.parametrize("function", ["QueryContextAttributesExA", "QueryContextAttributesExW"])
def test_every_failure_code_is_an_errata_entry_of_kind_interpretation(function):
    codes = {r.status for r in rules_for(function)} - {"SEC_E_OK"}
    assert codes == {"SEC_E_INVALID_HANDLE", "SEC_E_UNSUPPORTED_FUNCTION", "SEC_E_BUFFER_TOO_SMALL"}
    assert codes <= errata_codes(function)
    ids = [r.id for r in rules_for(function)]
    assert ids == [
        "qcax.null_handle",
        "qcax.invalid_handle",
        "qcax.unsupported_attribute",
        "qcax.buffer_too_small",
        "qcax.incomplete",
        "qcax.ok",
    ]


def test_returned_members_are_package_memory_freed_with_free_context_buffer():
    _world, cli, _srv, hs = _pair()
    before = dict(cli.process.allocations)
    r = cli.QueryContextAttributesExW(phContext=hs.client_ctx, ulAttribute=NAMES, cbBuffer=8)
    assert r.status.name == "SEC_E_OK"
    assert len(cli.process.allocations) == len(before) + 1
    assert cli.FreeContextBuffer(pvContextBuffer=r.pBuffer.sUserName).status.name == "SEC_E_OK"
    assert cli.process.allocations == before
