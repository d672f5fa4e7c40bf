"""SASL profiles (SaslEnumerateProfiles, SaslGetProfilePackage, SaslIdentifyPackage, A and W):
the world's profiles, the packages they map to, the list layout, memory, refusals.

World used: default_world() (profiles GSSAPI -> Kerberos, GSS-SPNEGO -> Negotiate); client.exe (100).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sspimodel.api import Sspi
from sspimodel.contract import ContractError
from sspimodel.model import SecBufferDesc, default_world
from sspimodel.model.handles import AllocatedBytes, AllocatedStr
from sspimodel.model.sasl import profile_list
from sspimodel.model.world import SASL_PROFILES


@pytest.fixture
def world():
    return default_world()


@pytest.fixture
def cli(world):
    return Sspi(world, 100)


def _name(variant: str, text: str) -> object:
    return text.encode("ascii") if variant == "A" else text


def test_every_world_starts_with_the_default_profiles(world):
    assert world.sasl_profiles == SASL_PROFILES == {"GSSAPI": "Kerberos", "GSS-SPNEGO": "Negotiate"}
    world.sasl_profiles["PLAIN"] = "NTLM"
    assert "PLAIN" not in default_world().sasl_profiles  # each world has its own table


def test_profile_list_layout():
    assert profile_list(["A", "BC"]) == "A\0BC\0\0"
    assert profile_list([]) == "\0"


@pytest.mark.parametrize("variant", ["A", "W"])
def test_enumerate_lists_the_profiles_nul_separated_and_terminated(world, cli, variant):
    r = getattr(cli, f"SaslEnumerateProfiles{variant}")()
    assert r.status.name == "SEC_E_OK"
    assert r.ProfileCount == 2
    if variant == "A":
        assert isinstance(r.ProfileList, AllocatedBytes)
        assert bytes(r.ProfileList) == b"GSSAPI\0GSS-SPNEGO\0\0"
    else:
        assert isinstance(r.ProfileList, AllocatedStr)
        assert str(r.ProfileList) == "GSSAPI\0GSS-SPNEGO\0\0"
    assert world.leaks() == {
        100: {"buffers": [f"0x{r.ProfileList.address:x} (SaslEnumerateProfiles{variant}: SASL profile list)"]}
    }
    assert cli.FreeContextBuffer(pvContextBuffer=r.ProfileList).status.name == "SEC_E_OK"
    assert world.leaks() == {}


def test_enumerate_follows_the_world(world, cli):
    world.sasl_profiles["PLAIN"] = "NTLM"
    r = cli.SaslEnumerateProfilesW()
    assert (r.ProfileCount, str(r.ProfileList)) == (3, "GSSAPI\0GSS-SPNEGO\0PLAIN\0\0")
    cli.FreeContextBuffer(pvContextBuffer=r.ProfileList)
    world.sasl_profiles.clear()
    r = cli.SaslEnumerateProfilesW()
    assert (r.status.name, r.ProfileCount, str(r.ProfileList)) == ("SEC_E_OK", 0, "\0")


@pytest.mark.parametrize("variant", ["A", "W"])
@pytest.mark.parametrize(("profile", "package"), [("GSSAPI", "Kerberos"), ("gss-spnego", "Negotiate")])
def test_get_profile_package_gives_the_mapped_package(world, cli, variant, profile, package):
    r = getattr(cli, f"SaslGetProfilePackage{variant}")(ProfileName=_name(variant, profile))
    assert r.status.name == "SEC_E_OK"
    assert r.PackageInfo.Name == package
    assert r.PackageInfo.value == world.package(package).info()
    assert cli.FreeContextBuffer(pvContextBuffer=r.PackageInfo).status.name == "SEC_E_OK"
    assert world.leaks() == {}


@pytest.mark.parametrize("variant", ["A", "W"])
@pytest.mark.parametrize("profile", ["PLAIN", "", "Kerberos", "GSSAPI "])
def test_unknown_profile_is_not_found_and_allocates_nothing(world, cli, variant, profile):
    r = getattr(cli, f"SaslGetProfilePackage{variant}")(ProfileName=_name(variant, profile))
    assert r.status.name == "SEC_E_SECPKG_NOT_FOUND"
    assert r.PackageInfo is None
    assert world.leaks() == {}


def test_profile_whose_package_is_gone_is_not_found(world, cli):
    del world.packages["kerberos"]
    assert cli.SaslGetProfilePackageW(ProfileName="GSSAPI").status.name == "SEC_E_SECPKG_NOT_FOUND"
    assert cli.SaslGetProfilePackageW(ProfileName="GSS-SPNEGO").status.name == "SEC_E_OK"


def test_get_profile_package_out_of_memory(world, cli):
    world.faults.add("SEC_E_INSUFFICIENT_MEMORY", function="SaslGetProfilePackageW")
    r = cli.SaslGetProfilePackageW(ProfileName="GSSAPI")
    assert r.status.name == "SEC_E_INSUFFICIENT_MEMORY"
    assert world.leaks() == {}


@pytest.mark.parametrize("variant", ["A", "W"])
@pytest.mark.parametrize(
    ("data", "package"),
    [
        (b"GSSAPI", "Kerberos"),
        (b"GSS-SPNEGO\0more", "Negotiate"),
        (b"gss-spnego", "Negotiate"),
        (b"GSSAPI\x60\x82", "Kerberos"),
    ],
)
def test_identify_package_by_the_profile_prefix(world, cli, variant, data, package):
    r = getattr(cli, f"SaslIdentifyPackage{variant}")(pInput=SecBufferDesc.token(data))
    assert r.status.name == "SEC_E_OK"
    assert r.PackageInfo.Name == package
    cli.FreeContextBuffer(pvContextBuffer=r.PackageInfo)
    assert world.leaks() == {}


def test_identify_prefers_the_longest_profile(world, cli):
    world.sasl_profiles["GSS"] = "NTLM"
    assert cli.SaslIdentifyPackageW(pInput=SecBufferDesc.token(b"GSSAPI")).PackageInfo.Name == "Kerberos"
    assert cli.SaslIdentifyPackageW(pInput=SecBufferDesc.token(b"GSS-X")).PackageInfo.Name == "NTLM"


@pytest.mark.parametrize("variant", ["A", "W"])
@pytest.mark.parametrize(
    ("desc", "words"),
    [
        (lambda: SecBufferDesc.token(b"PLAIN\0alice"), "begins with no SASL profile name"),
        (lambda: SecBufferDesc.token(b"GSS"), "begins with no SASL profile name"),
        (lambda: SecBufferDesc(), "holds no SECBUFFER_TOKEN"),
        (lambda: SecBufferDesc.token(None), "holds no SECBUFFER_TOKEN"),
    ],
)
def test_identify_refuses_a_buffer_it_cannot_match(world, cli, variant, desc, words):
    with pytest.raises(ContractError, match=words) as info:
        getattr(cli, f"SaslIdentifyPackage{variant}")(pInput=desc())
    assert "pInput" in str(info.value)
    assert world.leaks() == {}


@pytest.mark.parametrize(
    ("function", "args", "parameter"),
    [
        ("SaslGetProfilePackageW", {"ProfileName": 5}, "ProfileName"),
        ("SaslGetProfilePackageA", {}, "ProfileName"),
        ("SaslIdentifyPackageW", {"pInput": b"GSSAPI"}, "pInput"),
        ("SaslIdentifyPackageA", {}, "pInput"),
    ],
)
def test_contract_violations_name_the_parameter(world, cli, function, args, parameter):
    with pytest.raises(ContractError, match=parameter):
        getattr(cli, function)(**args)
    assert world.leaks() == {}


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=24), name=st.text(max_size=12))
def test_hostile_inputs_never_leak_or_crash(data, name):
    world = default_world()
    cli = Sspi(world, 100)
    try:
        r = cli.SaslIdentifyPackageW(pInput=SecBufferDesc.token(data))
        cli.FreeContextBuffer(pvContextBuffer=r.PackageInfo)
        assert data.upper().startswith((b"GSSAPI", b"GSS-SPNEGO"))
    except ContractError:
        assert not data.upper().startswith((b"GSSAPI", b"GSS-SPNEGO"))
    r = cli.SaslGetProfilePackageW(ProfileName=name)
    assert (r.status.name == "SEC_E_OK") == (name.lower() in ("gssapi", "gss-spnego"))
    if r.PackageInfo is not None:
        cli.FreeContextBuffer(pvContextBuffer=r.PackageInfo)
    assert world.leaks() == {}


def test_same_calls_same_results():
    def run() -> list[str]:
        cli = Sspi(default_world(), 100)
        return [
            repr(cli.SaslEnumerateProfilesA()),
            repr(cli.SaslGetProfilePackageW(ProfileName="GSSAPI")),
            repr(cli.SaslIdentifyPackageA(pInput=SecBufferDesc.token(b"GSS-SPNEGO"))),
        ]

    assert run() == run()
