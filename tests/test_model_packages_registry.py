"""AddSecurityPackageA/W and DeleteSecurityPackageA/W: the world's package registry changes, and
EnumerateSecurityPackages, QuerySecurityPackageInfo and AcquireCredentialsHandle see the change."""

from __future__ import annotations

import pytest

from sspimodel.api import Sspi
from sspimodel.contract import ContractError, ContractTypeError
from sspimodel.model import Ref, default_world
from sspimodel.model.constants import SECPKG_CRED_OUTBOUND
from sspimodel.model.packages_registry import (
    SECPKG_OPTIONS_PERMANENT,
    SECPKG_OPTIONS_TYPE_LSA,
    SecurityPackageOptions,
)

OPTIONS = SecurityPackageOptions()


@pytest.fixture
def world():
    return default_world()


def _names(sspi: Sspi) -> list[str]:
    count, array = Ref(), Ref()
    sspi.EnumerateSecurityPackagesW(pcPackages=count, ppPackageInfo=array)
    names = [p.Name for p in array.value]
    assert count.value == len(names)
    sspi.FreeContextBuffer(pvContextBuffer=array.value)
    return names


def _status(result) -> str:
    return result.status.name


@pytest.mark.parametrize("variant", ["A", "W"])
def test_delete_then_add_changes_what_enumerate_and_query_see(world, variant):
    sspi = Sspi(world)
    delete, add = (
        getattr(sspi, f"DeleteSecurityPackage{variant}"),
        getattr(sspi, f"AddSecurityPackage{variant}"),
    )
    assert _names(sspi) == ["Negotiate", "Kerberos", "NTLM", "Digest"]
    assert _status(delete(pszPackageName="digest")) == "SEC_E_OK"
    assert _names(sspi) == ["Negotiate", "Kerberos", "NTLM"]
    assert _status(sspi.QuerySecurityPackageInfoW(pPackageName="Digest")) == "SEC_E_SECPKG_NOT_FOUND"
    cell_count, cell_array = Ref(), Ref()
    sspi.EnumerateSecurityPackagesA(pcPackages=cell_count, ppPackageInfo=cell_array)
    assert cell_count.value == 3
    sspi.FreeContextBuffer(pvContextBuffer=cell_array.value)
    # Another process sees the same registry: it is the machine's.
    assert _names(Sspi(world, 200)) == ["Negotiate", "Kerberos", "NTLM"]
    r = sspi.AcquireCredentialsHandleW(pPackage="Digest", fCredentialUse=SECPKG_CRED_OUTBOUND)
    assert _status(r) == "SEC_E_SECPKG_NOT_FOUND"
    assert _status(add(pszPackageName="Digest", pOptions=OPTIONS)) == "SEC_E_OK"
    assert _names(sspi) == ["Negotiate", "Kerberos", "NTLM", "Digest"]
    info = sspi.QuerySecurityPackageInfoW(pPackageName="Digest")
    assert _status(info) == "SEC_E_OK" and info.ppPackageInfo.value.Name == "Digest"
    sspi.FreeContextBuffer(pvContextBuffer=info.ppPackageInfo)
    assert world.leaks() == {}


def test_add_an_installed_package_succeeds_and_changes_nothing_but_its_options(world):
    sspi = Sspi(world)
    options = SecurityPackageOptions(Type=SECPKG_OPTIONS_TYPE_LSA, Flags=SECPKG_OPTIONS_PERMANENT)
    assert _status(sspi.AddSecurityPackageW(pszPackageName="NTLM", pOptions=options)) == "SEC_E_OK"
    assert _names(sspi) == ["Negotiate", "Kerberos", "NTLM", "Digest"]
    assert world.package_options["NTLM"] == options


def test_add_an_unknown_provider_is_not_found(world):
    sspi = Sspi(world)
    r = sspi.AddSecurityPackageA(pszPackageName=b"Schannel", pOptions=OPTIONS)
    assert _status(r) == "SEC_E_SECPKG_NOT_FOUND" and sspi.last_rule.id == "asp.not_loadable"
    assert "schannel" not in world.packages


def test_delete_an_uninstalled_package_is_not_found(world):
    sspi = Sspi(world)
    assert _status(sspi.DeleteSecurityPackageW(pszPackageName="Schannel")) == "SEC_E_SECPKG_NOT_FOUND"
    sspi.DeleteSecurityPackageW(pszPackageName="Digest")
    assert _status(sspi.DeleteSecurityPackageW(pszPackageName="Digest")) == "SEC_E_SECPKG_NOT_FOUND"


def test_delete_a_package_in_use_is_refused(world):
    sspi = Sspi(world)
    cred = sspi.AcquireCredentialsHandleW(pPackage="Digest", fCredentialUse=SECPKG_CRED_OUTBOUND).phCredential
    r = sspi.DeleteSecurityPackageW(pszPackageName="Digest")
    assert _status(r) == "SEC_E_UNSUPPORTED_FUNCTION" and sspi.last_rule.id == "dsp.in_use"
    sspi.FreeCredentialsHandle(phCredential=cred)
    assert _status(sspi.DeleteSecurityPackageW(pszPackageName="Digest")) == "SEC_E_OK"


def test_negotiate_keeps_its_mechanisms_until_it_is_removed(world):
    sspi = Sspi(world)
    assert _status(sspi.DeleteSecurityPackageW(pszPackageName="NTLM")) == "SEC_E_UNSUPPORTED_FUNCTION"
    assert _status(sspi.DeleteSecurityPackageW(pszPackageName="Negotiate")) == "SEC_E_OK"
    assert _status(sspi.DeleteSecurityPackageW(pszPackageName="NTLM")) == "SEC_E_OK"
    assert _names(sspi) == ["Kerberos", "Digest"]


def test_options_must_be_a_security_package_options(world):
    sspi = Sspi(world)
    with pytest.raises(ContractError, match="pOptions"):
        sspi.AddSecurityPackageW(pszPackageName="Digest", pOptions={"Type": 2})
    with pytest.raises(ContractError, match="pOptions"):
        sspi.AddSecurityPackageW(pszPackageName="Digest")
    # The C type (argtypes): ULONG fields, a bytes Signature, 16/20/24 bytes of raw memory.
    with pytest.raises(ContractTypeError, match=r"pOptions.*SECURITY_PACKAGE_OPTIONS.Size"):
        sspi.AddSecurityPackageW(pszPackageName="Digest", pOptions=SecurityPackageOptions(Size=-1))
    with pytest.raises(ContractTypeError, match=r"pOptions.*Signature"):
        sspi.AddSecurityPackageA(pszPackageName="Digest", pOptions=SecurityPackageOptions(Signature="sig"))
    with pytest.raises(ContractTypeError, match=r"pOptions.*16, 20 or 24"):
        sspi.AddSecurityPackageW(pszPackageName="Digest", pOptions=b"\x18\x00")
    assert "digest" in world.packages and world.package_options == {}


def test_options_as_laid_out_in_memory(world):
    sspi = Sspi(world)
    sspi.DeleteSecurityPackageW(pszPackageName="Digest")
    raw = (24).to_bytes(4, "little") + (1).to_bytes(4, "little") + (1).to_bytes(4, "little") + bytes(12)
    assert _status(sspi.AddSecurityPackageW(pszPackageName="Digest", pOptions=raw)) == "SEC_E_OK"
    assert world.package_options["Digest"] == SecurityPackageOptions(24, SECPKG_OPTIONS_TYPE_LSA, 1, 0, None)
    with pytest.raises(ContractError, match="pOptions"):
        sspi.AddSecurityPackageW(pszPackageName="Digest", pOptions=b"\x00" * 7)
