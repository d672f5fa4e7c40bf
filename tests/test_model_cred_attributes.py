"""QueryCredentialsAttributesA/W: names for every package, the certificate for Kerberos only, each
documented status, and the name being package memory."""

from __future__ import annotations

import pytest

from sspimodel.api import Sspi
from sspimodel.contract import ContractError
from sspimodel.model import AllocatedStr, CredHandle, default_world
from sspimodel.model.constants import SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND
from sspimodel.model.cred_attributes import SECPKG_CRED_ATTR_CERT, SECPKG_CRED_ATTR_NAMES
from sspimodel.model.drive import acquire


@pytest.mark.parametrize("package", ["Negotiate", "Kerberos", "NTLM", "Digest"])
@pytest.mark.parametrize("variant", ["A", "W"])
def test_names_is_the_credentials_account_in_package_memory(package, variant):
    world = default_world()
    sspi = Sspi(world, 200)
    cred = acquire(sspi, package, SECPKG_CRED_INBOUND)
    r = getattr(sspi, f"QueryCredentialsAttributes{variant}")(
        phCredential=cred, ulAttribute=SECPKG_CRED_ATTR_NAMES
    )
    assert r.status.name == "SEC_E_OK"
    name = r.pBuffer.sUserName
    assert isinstance(name, AllocatedStr) and str(name) == "CONTOSO\\websvc"
    assert world.leaks()[200]["buffers"]
    assert sspi.FreeContextBuffer(pvContextBuffer=name).status.name == "SEC_E_OK"
    sspi.FreeCredentialsHandle(phCredential=cred)
    assert world.leaks() == {}


def test_cert_only_for_kerberos():
    sspi = Sspi(default_world())
    kerberos = acquire(sspi, "Kerberos", SECPKG_CRED_OUTBOUND)
    r = sspi.QueryCredentialsAttributesW(phCredential=kerberos, ulAttribute=SECPKG_CRED_ATTR_CERT)
    assert r.status.name == "SEC_E_OK" and r.pBuffer.EncodedCertSize == 0 and r.pBuffer.EncodedCert is None
    for package in ("Negotiate", "NTLM", "Digest"):
        cred = acquire(sspi, package, SECPKG_CRED_OUTBOUND)
        r = sspi.QueryCredentialsAttributesA(phCredential=cred, ulAttribute=SECPKG_CRED_ATTR_CERT)
        assert r.status.name == "SEC_E_UNSUPPORTED_FUNCTION", package
        assert sspi.last_rule.id == "qcred.unsupported_attribute"


def test_bad_handles_are_invalid():
    world = default_world()
    sspi = Sspi(world)
    assert sspi.QueryCredentialsAttributesW(phCredential=CredHandle(0x99, 10), ulAttribute=1).status.name == (
        "SEC_E_INVALID_HANDLE"
    )
    assert sspi.QueryCredentialsAttributesW(phCredential=CredHandle(0, 0), ulAttribute=1).status.name == (
        "SEC_E_INVALID_HANDLE"
    )
    cred = acquire(sspi, "NTLM", SECPKG_CRED_OUTBOUND)
    sspi.FreeCredentialsHandle(phCredential=cred)
    assert (
        sspi.QueryCredentialsAttributesA(phCredential=cred, ulAttribute=1).status.name
        == "SEC_E_INVALID_HANDLE"
    )
    # Another process's handle is not the caller's.
    other = acquire(Sspi(world, 200), "NTLM", SECPKG_CRED_INBOUND)
    assert (
        sspi.QueryCredentialsAttributesA(phCredential=other, ulAttribute=1).status.name
        == "SEC_E_INVALID_HANDLE"
    )


def test_out_of_memory_from_the_fault_plan():
    world = default_world()
    sspi = Sspi(world)
    cred = acquire(sspi, "NTLM", SECPKG_CRED_OUTBOUND)
    world.faults.add("SEC_E_INSUFFICIENT_MEMORY", function="QueryCredentialsAttributes")
    r = sspi.QueryCredentialsAttributesW(phCredential=cred, ulAttribute=SECPKG_CRED_ATTR_NAMES)
    assert r.status.name == "SEC_E_INSUFFICIENT_MEMORY" and r.pBuffer is None
    assert "buffers" not in world.leaks().get(100, {})


def test_schannel_attributes_have_no_number_so_the_contract_refuses_them():
    sspi = Sspi(default_world())
    cred = acquire(sspi, "NTLM", SECPKG_CRED_OUTBOUND)
    with pytest.raises(ContractError, match="no known number for SECPKG_ATTR_SUPPORTED_ALGS"):
        sspi.QueryCredentialsAttributesW(phCredential=cred, ulAttribute=86)
