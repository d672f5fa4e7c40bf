"""InitSecurityInterfaceA/W: the dispatch table's layout is sspi.h's, its members are the model's
functions (calling through the table is calling the function), and the slots it leaves empty are
the reserved ones, the A page's uninitialized Ex members, and the functions not modelled yet."""

from __future__ import annotations

import json

import pytest

from sspimodel.api import FUNCTIONS, Sspi
from sspimodel.model import default_world, rules_for
from sspimodel.model.constants import SECPKG_CRED_OUTBOUND
from sspimodel.model.dispatch import SLOTS_A, SLOTS_W, SecurityFunctionTable
from sspimodel.model.drive import handshake
from sspimodel.paths import REPO_ROOT

LAYOUT = json.loads(
    (REPO_ROOT / "tests" / "data" / "security_function_table.json").read_text(encoding="utf-8")
)


def test_layout_is_the_headers():
    assert list(SLOTS_W) == LAYOUT["W"]
    assert list(SLOTS_A) == LAYOUT["A"]
    assert "FreeCredentialHandle" in SLOTS_A  # the header's spelling in the A table


@pytest.mark.parametrize("variant", ["A", "W"])
def test_init_security_interface_returns_the_table(variant):
    world = default_world()
    r = getattr(Sspi(world), f"InitSecurityInterface{variant}")()
    assert r.status is None
    table = r.value
    assert isinstance(table, SecurityFunctionTable) and table.name == f"SecurityFunctionTable{variant}"
    assert table.dwVersion == 4
    assert table.members() == (SLOTS_A if variant == "A" else SLOTS_W)
    assert repr(r).startswith(f"InitSecurityInterface{variant} -> SecurityFunctionTable{variant}")
    for member in table.members():
        entry = getattr(table, member)
        function = "FreeCredentialsHandle" if member == "FreeCredentialHandle" else member
        if member.startswith("Reserved"):
            assert entry is None and table.note(member) is None
        elif function in FUNCTIONS and member not in (
            "QueryContextAttributesExA",
            "QueryCredentialsAttributesExA",
        ):
            assert entry is not None and entry.__name__ == function
        else:
            assert entry is None and table.note(member), member
    assert world.leaks() == {}  # a static table: nothing to free


def test_the_a_table_leaves_the_ex_members_uninitialized_as_its_page_says():
    table = Sspi(default_world()).InitSecurityInterfaceA().value
    assert table.QueryContextAttributesExA is None
    assert "uninitialized" in table.note("QueryCredentialsAttributesExA")


def test_calling_through_the_table_is_calling_the_function():
    """The same calls, once through the methods and once through the table, in two fresh worlds,
    give equal results and leave equal worlds."""
    direct_world, table_world = default_world(), default_world()
    direct, through = Sspi(direct_world), Sspi(table_world)
    table = through.InitSecurityInterfaceW().value
    a = direct.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND)
    b = table.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND)
    assert repr(a) == repr(b)
    assert repr(direct.QuerySecurityPackageInfoW(pPackageName="Kerberos")) == repr(
        table.QuerySecurityPackageInfoW(pPackageName="Kerberos")
    )
    assert repr(direct.FreeCredentialsHandle(phCredential=a.phCredential)) == repr(
        table.FreeCredentialsHandle(phCredential=b.phCredential)
    )
    # Same state afterwards (the call counter counts InitSecurityInterfaceW once more).
    assert direct_world.leaks() == table_world.leaks()
    assert direct_world.next_handle == table_world.next_handle


def test_the_table_acts_on_the_callers_process_and_world():
    world = default_world()
    srv = Sspi(world, 200)
    table = srv.InitSecurityInterfaceA().value
    hs = handshake(Sspi(world, 100), srv, "NTLM")
    # The handshake's server context belongs to process 200: the table reaches it.
    assert table.ImpersonateSecurityContext(phContext=hs.server_ctx).status.name == "SEC_E_OK"
    assert table.RevertSecurityContext(phContext=hs.server_ctx).status.name == "SEC_E_OK"
    # A table of process 100 does not see process 200's context.
    other = Sspi(world, 100).InitSecurityInterfaceA().value
    assert other.ImpersonateSecurityContext(phContext=hs.server_ctx).status.name == "SEC_E_INVALID_HANDLE"


def test_the_null_return_is_marked_unreachable_with_a_reason():
    for function in ("InitSecurityInterfaceA", "InitSecurityInterfaceW"):
        null = [r for r in rules_for(function) if r.status == "NULL"]
        assert len(null) == 1 and not null[0].reachable and "cannot fail" in null[0].unreachable
