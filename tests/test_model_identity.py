"""The auth-identity family (SspiEncodeStringsAsAuthIdentity and friends): layout, round trips,
binding of encrypted identities to a process or logon session, hostile bytes, memory.

World used: default_world(); web.exe (200) and worker.exe (201) share websvc's logon session
0x2001, client.exe (100) runs in alice's session 0x1001.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sspimodel.api import Sspi
from sspimodel.contract import ContractError
from sspimodel.model import AuthIdentity, default_world
from sspimodel.model.constants import SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND
from sspimodel.model.drive import acquire, handshake
from sspimodel.model.identity import (
    EX2_HEADER,
    AuthIdentityBuffer,
    SecWinntAuthIdentityExW,
    pack_ex2,
    parse_ex2,
)

SAME_LOGON = 0x1
SAME_PROCESS = 0x2
FOR_SYSTEM = 0x4
PASSWORD = "Passw0rd!alice"


@pytest.fixture
def world():
    return default_world()


def _sspi(world, pid):
    return Sspi(world, pid)


def _encode(sspi, user="alice", domain="CONTOSO", secret=PASSWORD):
    r = sspi.SspiEncodeStringsAsAuthIdentity(
        pszUserName=user, pszDomainName=domain, pszPackedCredentialsString=secret
    )
    assert r.status.name == "SEC_E_OK"
    return r.ppAuthIdentity


def _marshal(sspi, ident) -> bytes:
    r = sspi.SspiMarshalAuthIdentity(AuthIdentity=ident)
    assert r.status.name == "SEC_E_OK"
    data = bytes(r.AuthIdentityByteArray)
    assert r.AuthIdentityLength == len(data)
    assert sspi.SspiLocalFree(DataBuffer=r.AuthIdentityByteArray).value is None
    return data


def _unmarshal(sspi, data: bytes):
    r = sspi.SspiUnmarshalAuthIdentity(AuthIdentityLength=len(data), AuthIdentityByteArray=data)
    assert r.status.name == "SEC_E_OK"
    return r.ppAuthIdentity


# -- layout -----------------------------------------------------------------------------------------


def test_ex2_header_is_laid_out_as_sspi_h_declares_it():
    # ULONG Version; USHORT cbHeaderLength; ULONG cbStructureLength; ULONG UserOffset; USHORT UserLength;
    # ULONG DomainOffset; USHORT DomainLength; ULONG PackedCredentialsOffset; USHORT PackedCredentialsLength;
    # ULONG Flags; ULONG PackageListOffset; USHORT PackageListLength -- natural alignment, 48 bytes.
    assert EX2_HEADER.size == 48
    data = pack_ex2("alice", "CONTOSO", "pw".encode("utf-16-le"), 0x2, "!NTLM")
    le = struct.unpack_from
    assert le("<I", data, 0)[0] == 0x201  # SEC_WINNT_AUTH_IDENTITY_VERSION_2
    assert le("<H", data, 4)[0] == 48
    assert le("<I", data, 8)[0] == len(data)
    assert le("<IH", data, 12) == (48, 10)  # "alice" in UTF-16LE, no NUL
    assert le("<IH", data, 20) == (58, 14)
    assert le("<IH", data, 28) == (72, 4)
    assert le("<I", data, 36)[0] == 0x2
    assert le("<IH", data, 40) == (76, 10)
    assert data[48:58] == "alice".encode("utf-16-le")
    assert data[76:] == "!NTLM".encode("utf-16-le")


def test_marshalled_bytes_are_the_identity_memory_and_round_trip_byte_for_byte(world):
    web, worker = _sspi(world, 200), _sspi(world, 201)
    ident = _encode(web)
    data = _marshal(web, ident)
    assert data == bytes(ident.data)
    assert parse_ex2(data).user == "alice"
    copy = _unmarshal(worker, data)
    assert _marshal(worker, copy) == data
    for who, i in ((web, ident), (worker, copy)):
        assert who.SspiFreeAuthIdentity(AuthData=i).status.name == "SEC_E_OK"
    assert world.leaks() == {}


def test_a_caller_built_identity_marshals_to_the_same_ex2(world):
    cli = _sspi(world, 100)
    from_strings = _marshal(cli, _encode(cli))
    from_struct = _marshal(cli, AuthIdentity(User="alice", Domain="CONTOSO", Password=PASSWORD))
    from_ex = _marshal(cli, SecWinntAuthIdentityExW(User="alice", Domain="CONTOSO", Password=PASSWORD))
    assert from_strings == from_struct == from_ex


# -- encode / decode, copy / compare ------------------------------------------------------------------


def test_encode_then_decode_gives_back_the_three_strings(world):
    cli = _sspi(world, 100)
    ident = _encode(cli, "bob", "CONTOSO", "Passw0rd!bob")
    r = cli.SspiEncodeAuthIdentityAsStrings(pAuthIdentity=ident)
    assert r.status.name == "SEC_E_OK"
    assert (r.ppszUserName, r.ppszDomainName, r.ppszPackedCredentialsString) == (
        "bob",
        "CONTOSO",
        "Passw0rd!bob",
    )
    # The page: release each string with SspiFreeAuthIdentity.
    for s in (r.ppszUserName, r.ppszDomainName, r.ppszPackedCredentialsString, ident):
        assert cli.SspiFreeAuthIdentity(AuthData=s).status.name == "SEC_E_OK"
    assert world.leaks() == {}


def test_encode_as_strings_refuses_an_encrypted_identity_quoting_status_invalid_parameter(world):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    assert cli.SspiEncryptAuthIdentity(AuthData=ident).status.name == "SEC_E_OK"
    before = dict(cli.process.allocations)
    with pytest.raises(ContractError, match="STATUS_INVALID_PARAMETER") as e:
        cli.SspiEncodeAuthIdentityAsStrings(pAuthIdentity=ident)
    assert "pAuthIdentity" in str(e.value)
    assert cli.process.allocations == before  # a refused call changes no state


def test_copy_compares_as_the_same_identity(world):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    r = cli.SspiCopyAuthIdentity(AuthData=ident)
    assert r.status.name == "SEC_E_OK"
    copy = r.AuthDataCopy
    assert copy.address != ident.address and bytes(copy.data) == bytes(ident.data)
    same = cli.SspiCompareAuthIdentities(AuthIdentity1=ident, AuthIdentity2=copy)
    assert same.status.name == "SEC_E_OK"
    assert (same.SameSuppliedUser, same.SameSuppliedIdentity) == (True, True)
    cli.SspiFreeAuthIdentity(AuthData=copy)
    cli.SspiFreeAuthIdentity(AuthData=ident)
    assert world.leaks() == {}


@pytest.mark.parametrize(
    ("other", "user", "identity"),
    [
        (AuthIdentity(User="ALICE", Domain="contoso", Password=PASSWORD), True, True),
        (AuthIdentity(User="alice", Domain="CONTOSO", Password="other"), True, False),
        (
            SecWinntAuthIdentityExW(User="alice", Domain="CONTOSO", Password=PASSWORD, PackageList="!NTLM"),
            True,
            False,
        ),
        (AuthIdentity(User="bob", Domain="CONTOSO", Password=PASSWORD), False, False),
    ],
)
def test_compare_tells_same_user_from_same_identity(world, other, user, identity):
    cli = _sspi(world, 100)
    r = cli.SspiCompareAuthIdentities(AuthIdentity1=_encode(cli), AuthIdentity2=other)
    assert r.status.name == "SEC_E_OK"
    assert (r.SameSuppliedUser, r.SameSuppliedIdentity) == (user, identity)


def test_compare_sees_through_encryption_for_the_process_that_encrypted(world):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    cli.SspiEncryptAuthIdentityEx(Options=SAME_LOGON, AuthData=ident)
    r = cli.SspiCompareAuthIdentities(AuthIdentity1=ident, AuthIdentity2=_encode(cli))
    assert (r.status.name, r.SameSuppliedIdentity) == ("SEC_E_OK", True)


# -- encrypt / decrypt and their binding ---------------------------------------------------------------


@pytest.mark.parametrize(("options", "flag"), [(SAME_PROCESS, 0x10), (SAME_LOGON, 0x40)])
def test_encrypt_then_decrypt_restores_the_identity_byte_for_byte(world, options, flag):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    clear = bytes(ident.data)
    assert cli.SspiIsAuthIdentityEncrypted(EncryptedAuthData=ident).value is False
    assert cli.SspiEncryptAuthIdentityEx(Options=options, AuthData=ident).status.name == "SEC_E_OK"
    assert parse_ex2(bytes(ident.data)).flags & flag
    assert PASSWORD.encode("utf-16-le") not in bytes(ident.data)
    assert cli.SspiIsAuthIdentityEncrypted(EncryptedAuthData=ident).value is True
    r = cli.SspiDecryptAuthIdentityEx(Options=options, EncryptedAuthData=ident)
    assert r.status.name == "SEC_E_OK" and r.EncryptedAuthData is ident
    assert bytes(ident.data) == clear


def test_encrypt_is_the_same_process_option(world):
    cli = _sspi(world, 100)
    a, b = _encode(cli), _encode(cli)
    cli.SspiEncryptAuthIdentity(AuthData=a)
    cli.SspiEncryptAuthIdentityEx(Options=SAME_PROCESS, AuthData=b)
    assert parse_ex2(bytes(a.data)).flags == parse_ex2(bytes(b.data)).flags == 0x12
    assert cli.SspiDecryptAuthIdentity(EncryptedAuthData=b).status.name == "SEC_E_OK"
    assert cli.SspiDecryptAuthIdentityEx(Options=SAME_PROCESS, EncryptedAuthData=a).status.name == "SEC_E_OK"


def test_encrypting_twice_or_decrypting_clear_changes_nothing(world):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    assert cli.SspiDecryptAuthIdentity(EncryptedAuthData=ident).status.name == "SEC_E_OK"
    cli.SspiEncryptAuthIdentity(AuthData=ident)
    sealed = bytes(ident.data)
    assert cli.SspiEncryptAuthIdentityEx(Options=SAME_LOGON, AuthData=ident).status.name == "SEC_E_OK"
    assert bytes(ident.data) == sealed


def test_same_logon_identity_decrypts_in_another_process_of_the_session_only(world):
    web, worker, alice = _sspi(world, 200), _sspi(world, 201), _sspi(world, 100)
    ident = _encode(web)
    web.SspiEncryptAuthIdentityEx(Options=SAME_LOGON, AuthData=ident)
    data = _marshal(web, ident)
    # worker.exe runs in web.exe's logon session (0x2001): it may decrypt.
    there = _unmarshal(worker, data)
    assert (
        worker.SspiDecryptAuthIdentityEx(Options=SAME_LOGON, EncryptedAuthData=there).status.name
        == "SEC_E_OK"
    )
    assert parse_ex2(bytes(there.data)).password == PASSWORD
    # client.exe runs in alice's session: refused, naming the binding.
    elsewhere = _unmarshal(alice, data)
    before = bytes(elsewhere.data)
    with pytest.raises(ContractError, match="logon session"):
        alice.SspiDecryptAuthIdentity(EncryptedAuthData=elsewhere)
    assert bytes(elsewhere.data) == before


def test_same_process_identity_does_not_decrypt_in_another_process_of_the_session(world):
    web, worker = _sspi(world, 200), _sspi(world, 201)
    ident = _encode(web)
    web.SspiEncryptAuthIdentityEx(Options=SAME_PROCESS, AuthData=ident)
    there = _unmarshal(worker, _marshal(web, ident))
    with pytest.raises(ContractError, match="process that encrypted it"):
        worker.SspiDecryptAuthIdentityEx(Options=SAME_PROCESS, EncryptedAuthData=there)
    with pytest.raises(ContractError, match="cannot decrypt"):
        worker.SspiCompareAuthIdentities(AuthIdentity1=there, AuthIdentity2=_encode(worker))


def test_decrypt_ex_refuses_an_option_other_than_the_one_used(world):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    cli.SspiEncryptAuthIdentityEx(Options=SAME_LOGON, AuthData=ident)
    with pytest.raises(ContractError, match="Options"):
        cli.SspiDecryptAuthIdentityEx(Options=SAME_PROCESS, EncryptedAuthData=ident)


@pytest.mark.parametrize("options", [0, SAME_LOGON | SAME_PROCESS, FOR_SYSTEM])
def test_encrypt_ex_refuses_options_outside_one_documented_value(world, options):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    before = bytes(ident.data)
    with pytest.raises(ContractError, match="Options"):
        cli.SspiEncryptAuthIdentityEx(Options=options, AuthData=ident)
    assert bytes(ident.data) == before


def test_tampered_sealed_credentials_do_not_decrypt(world):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    cli.SspiEncryptAuthIdentity(AuthData=ident)
    ident.data[-1] ^= 0x01
    with pytest.raises(ContractError, match="cannot decrypt"):
        cli.SspiDecryptAuthIdentity(EncryptedAuthData=ident)


def test_a_callers_own_structure_cannot_be_encrypted_in_place(world):
    cli = _sspi(world, 100)
    with pytest.raises(ContractError, match="SspiEncodeStringsAsAuthIdentity"):
        cli.SspiEncryptAuthIdentity(AuthData=AuthIdentity(User="alice", Domain="CONTOSO", Password=PASSWORD))


def test_encryption_is_deterministic_across_fresh_worlds():
    def run() -> bytes:
        cli = Sspi(default_world(), 100)
        ident = _encode(cli)
        cli.SspiEncryptAuthIdentityEx(Options=SAME_LOGON, AuthData=ident)
        return bytes(ident.data)

    assert run() == run()


# -- AcquireCredentialsHandle takes what the family produced ------------------------------------------


def test_acquire_credentials_accepts_an_unmarshalled_same_logon_identity_and_authenticates(world):
    web, worker = _sspi(world, 200), _sspi(world, 201)
    ident = _encode(web)  # alice's credentials, handed from web.exe to worker.exe
    web.SspiEncryptAuthIdentityEx(Options=SAME_LOGON, AuthData=ident)
    there = _unmarshal(worker, _marshal(web, ident))
    assert worker.SspiIsAuthIdentityEncrypted(EncryptedAuthData=there).value is True
    r = worker.AcquireCredentialsHandleW(
        pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pAuthData=there
    )
    assert r.status.name == "SEC_E_OK"
    server = _sspi(world, 4)
    hs = handshake(
        worker,
        server,
        "NTLM",
        "host/files.contoso.com",
        client_cred=r.phCredential,
        server_cred=acquire(server, "NTLM", SECPKG_CRED_INBOUND),
    )
    assert hs.established, hs.steps
    names = server.QueryContextAttributesW(phContext=hs.server_ctx, ulAttribute=1)
    assert "alice" in str(names.pBuffer.sUserName).lower()


def test_acquire_credentials_does_not_recognize_an_identity_it_cannot_decrypt(world):
    web, alice = _sspi(world, 200), _sspi(world, 100)
    ident = _encode(web)
    web.SspiEncryptAuthIdentityEx(Options=SAME_LOGON, AuthData=ident)
    elsewhere = _unmarshal(alice, _marshal(web, ident))
    r = alice.AcquireCredentialsHandleW(
        pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pAuthData=elsewhere
    )
    assert r.status.name == "SEC_E_UNKNOWN_CREDENTIALS"


# -- validate, zero, exclude, free ----------------------------------------------------------------


def test_validate_accepts_an_identity_and_refuses_it_once_zeroed(world):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    assert cli.SspiValidateAuthIdentity(AuthData=ident).status.name == "SEC_E_OK"
    assert cli.SspiZeroAuthIdentity(AuthData=ident).status.name == "SEC_E_OK"
    assert bytes(ident.data) == bytes(len(ident.data))
    with pytest.raises(ContractError, match="Version is 0x0"):
        cli.SspiValidateAuthIdentity(AuthData=ident)
    assert cli.SspiFreeAuthIdentity(AuthData=ident).status.name == "SEC_E_OK"
    assert world.leaks() == {}


def test_exclude_package_adds_it_to_a_new_identitys_package_list(world):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    r = cli.SspiExcludePackage(AuthIdentity=ident, pszPackageName="NTLM")
    assert r.status.name == "SEC_E_OK"
    assert parse_ex2(bytes(r.ppNewAuthIdentity.data)).package_list == "!NTLM"
    assert parse_ex2(bytes(ident.data)).package_list == ""  # the original is unchanged
    again = cli.SspiExcludePackage(AuthIdentity=r.ppNewAuthIdentity, pszPackageName="ntlm").ppNewAuthIdentity
    assert parse_ex2(bytes(again.data)).package_list == "!NTLM"
    with pytest.raises(ContractError, match="pszPackageName"):
        cli.SspiExcludePackage(AuthIdentity=ident, pszPackageName="")


def test_memory_is_tracked_until_released_and_a_second_release_is_refused(world):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    marshalled = cli.SspiMarshalAuthIdentity(AuthIdentity=ident).AuthIdentityByteArray
    leaks = world.leaks()[100]["buffers"]
    assert len(leaks) == 2 and any("SspiMarshalAuthIdentity" in x for x in leaks)
    assert cli.SspiLocalFree(DataBuffer=marshalled).value is None
    assert cli.SspiLocalFree(DataBuffer=ident).value is None
    assert world.leaks() == {}
    with pytest.raises(ContractError, match="released already"):
        cli.SspiFreeAuthIdentity(AuthData=ident)
    with pytest.raises(ContractError, match="released already"):
        cli.SspiMarshalAuthIdentity(AuthIdentity=ident)
    with pytest.raises(ContractError, match="not memory"):
        cli.SspiFreeAuthIdentity(AuthData=AuthIdentity(User="alice", Domain="CONTOSO", Password=PASSWORD))


def test_another_processs_identity_is_refused(world):
    web, cli = _sspi(world, 200), _sspi(world, 100)
    ident = _encode(web)
    with pytest.raises(ContractError, match="not memory allocated for this process"):
        cli.SspiCopyAuthIdentity(AuthData=ident)
    with pytest.raises(ContractError, match="not memory"):
        cli.SspiFreeAuthIdentity(AuthData=ident)


# -- hostile bytes ---------------------------------------------------------------------------------


def _unmarshal_outcome(sspi, length, data):
    """'ok' or 'contract': nothing else may escape."""
    try:
        r = sspi.SspiUnmarshalAuthIdentity(AuthIdentityLength=length, AuthIdentityByteArray=data)
    except ContractError:
        return "contract"
    assert r.status.name == "SEC_E_OK"
    sspi.SspiFreeAuthIdentity(AuthData=r.ppAuthIdentity)
    return "ok"


def test_every_truncation_of_marshalled_bytes_is_a_contract_error(world):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    data = _marshal(cli, ident)
    cli.SspiFreeAuthIdentity(AuthData=ident)
    for n in range(len(data)):
        assert _unmarshal_outcome(cli, n, data[:n]) == "contract", n
    assert _unmarshal_outcome(cli, len(data), data) == "ok"
    with pytest.raises(ContractError, match="AuthIdentityLength"):
        cli.SspiUnmarshalAuthIdentity(AuthIdentityLength=len(data) + 1, AuthIdentityByteArray=data)
    assert world.leaks() == {}


def test_every_single_byte_tamper_gives_ok_or_a_contract_error(world):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    cli.SspiEncryptAuthIdentity(AuthData=ident)
    data = _marshal(cli, ident)
    outcomes = set()
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0xFF
        outcome = _unmarshal_outcome(cli, len(bad), bytes(bad))
        outcomes.add(outcome)
    assert outcomes == {"ok", "contract"}
    cli.SspiFreeAuthIdentity(AuthData=ident)
    assert world.leaks() == {}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=160), length=st.integers(min_value=-2, max_value=200))
def test_arbitrary_bytes_never_raise_anything_but_a_contract_error(data, length):
    world = default_world()
    cli = Sspi(world, 100)
    header = pack_ex2("alice", "CONTOSO", b"p\x00w\x00", 0x2)
    for blob in (data, header[:48] + data):
        outcome = _unmarshal_outcome(cli, min(max(length, 0), len(blob)) if length >= 0 else length, blob)
        assert outcome in ("ok", "contract")
    assert world.leaks() == {}


@pytest.mark.parametrize("value", [None, 7, "alice", b"\x01\x02", object()])
def test_non_identities_are_contract_errors_in_every_reading_function(world, value):
    cli = _sspi(world, 100)
    calls = [
        lambda: cli.SspiEncodeAuthIdentityAsStrings(pAuthIdentity=value),
        lambda: cli.SspiCopyAuthIdentity(AuthData=value),
        lambda: cli.SspiCompareAuthIdentities(AuthIdentity1=value, AuthIdentity2=value),
        lambda: cli.SspiValidateAuthIdentity(AuthData=value),
        lambda: cli.SspiMarshalAuthIdentity(AuthIdentity=value),
        lambda: cli.SspiIsAuthIdentityEncrypted(EncryptedAuthData=value),
        lambda: cli.SspiEncryptAuthIdentity(AuthData=value),
        lambda: cli.SspiDecryptAuthIdentity(EncryptedAuthData=value),
        lambda: cli.SspiExcludePackage(AuthIdentity=value, pszPackageName="NTLM"),
        lambda: cli.SspiFreeAuthIdentity(AuthData=value),
        lambda: cli.SspiZeroAuthIdentity(AuthData=value),
        lambda: cli.SspiLocalFree(DataBuffer=value),
    ]
    for call in calls:
        with pytest.raises(ContractError):
            call()
    assert world.leaks() == {}


def test_encode_strings_refuses_a_non_string_naming_the_parameter(world):
    cli = _sspi(world, 100)
    with pytest.raises(ContractError, match="pszDomainName"):
        cli.SspiEncodeStringsAsAuthIdentity(
            pszUserName="alice", pszDomainName=5, pszPackedCredentialsString="x"
        )
    with pytest.raises(ContractError, match="65535"):
        cli.SspiEncodeStringsAsAuthIdentity(
            pszUserName="a" * 40000, pszDomainName="", pszPackedCredentialsString="x"
        )
    assert world.leaks() == {}


def test_identity_repr_never_shows_the_password(world):
    cli = _sspi(world, 100)
    ident = _encode(cli)
    assert PASSWORD not in repr(ident) and "alice" in repr(ident)
    assert isinstance(ident, AuthIdentityBuffer)


def test_identity_constants_match_spec_data_and_the_recorded_header_facts():
    import json
    from pathlib import Path

    from sspimodel.codegen import load_constants
    from sspimodel.model import identity

    facts = json.loads(
        (Path(__file__).parent / "data" / "auth_identity_facts.json").read_text(encoding="utf-8")
    )
    table = load_constants()
    for name, entry in facts["constants"].items():
        assert getattr(identity, name) == int(entry["value"], 16), name
        assert table[name].value == int(entry["value"], 16), name
    offsets = [offset for _, _, offset in facts["ex2_layout"]["members"]]
    packed = EX2_HEADER.pack(*range(1, 13))
    assert [
        struct.unpack_from("<H" if t == "unsigned short" else "<I", packed, o)[0]
        for (_, t, o) in facts["ex2_layout"]["members"]
    ] == list(range(1, 13))
    assert offsets[-1] + 2 + 2 == EX2_HEADER.size == facts["ex2_layout"]["sizeof"]


# -- SspiGetTargetHostName ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "host"),
    [
        ("HTTP/web.contoso.com", "web.contoso.com"),
        ("host/files.contoso.com:445", "files.contoso.com"),
        ("ldap/dc01.contoso.com/contoso.com", "dc01.contoso.com"),
        ("web.contoso.com", "web.contoso.com"),
        ("web:8080", "web"),
    ],
)
def test_get_target_host_name_returns_the_host_part(world, target, host):
    cli = _sspi(world, 100)
    r = cli.SspiGetTargetHostName(pszTargetName=target)
    assert r.status.name == "SEC_E_OK" and r.pszHostName == host
    assert cli.SspiLocalFree(DataBuffer=r.pszHostName).value is None
    assert world.leaks() == {}


@pytest.mark.parametrize("target", ["", "HTTP/", ":80", 7, b"HTTP/web"])
def test_get_target_host_name_refuses_a_target_without_a_host(world, target):
    cli = _sspi(world, 100)
    with pytest.raises(ContractError, match="pszTargetName"):
        cli.SspiGetTargetHostName(pszTargetName=target)
    assert world.leaks() == {}


# -- the pages state the real pages' facts ---------------------------------------------------------

IDENTITY_PAGES = [
    "SspiEncodeStringsAsAuthIdentity",
    "SspiEncodeAuthIdentityAsStrings",
    "SspiCopyAuthIdentity",
    "SspiCompareAuthIdentities",
    "SspiValidateAuthIdentity",
    "SspiFreeAuthIdentity",
    "SspiZeroAuthIdentity",
    "SspiLocalFree",
    "SspiMarshalAuthIdentity",
    "SspiUnmarshalAuthIdentity",
    "SspiIsAuthIdentityEncrypted",
    "SspiEncryptAuthIdentity",
    "SspiEncryptAuthIdentityEx",
    "SspiDecryptAuthIdentity",
    "SspiDecryptAuthIdentityEx",
    "SspiExcludePackage",
    "SspiGetTargetHostName",
]


@pytest.mark.parametrize("name", IDENTITY_PAGES)
def test_page_states_the_facts_of_its_upstream_page(name, spec_dir, corpus_dir):
    """Parameters (name, direction as printed, optional), return codes with their hex, value tables
    and requirements equal those of the real page the front matter's upstream key names; every status
    named anywhere on the page is named on the real page."""
    import re

    from sspimodel.read import read_page

    ours_path = spec_dir / "pages" / f"{name}.md"
    text = ours_path.read_text(encoding="utf-8")
    upstream = re.search(r"^upstream: (\S+)$", text, re.M)
    assert upstream, "no upstream: key"
    real_path = corpus_dir / "sspi" / upstream.group(1).rsplit("/", 1)[-1]
    ours, real = read_page(ours_path, ours_path.name), read_page(real_path, real_path.name)

    def params(s):
        return [(p.name, p.direction, p.optional, [v.name for v in p.values()]) for p in s.parameters]

    def codes(s):
        return sorted((r.name, r.kind, r.hex_in_doc) for r in s.returns)

    assert params(ours) == params(real)
    assert codes(ours) == codes(real)
    assert ours.requirements == real.requirements
    named = set(re.findall(r"\b(?:SEC_[EI]|STATUS)_[A-Z_]+\b", text))
    assert named <= set(re.findall(r"\b(?:SEC_[EI]|STATUS)_[A-Z_]+\b", real_path.read_text(encoding="utf-8")))
