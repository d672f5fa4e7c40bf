"""Credential prompts (sspimodel.model.prompts): the scripted user, the Save check box, the
credential store, SspiIsPromptingNeeded's table, SspiPrepareForCredRead/Write, and the credential
UI context functions (unmarshal, get, update)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from conftest import MINGW_INCLUDE

from sspimodel import Sspi, default_world
from sspimodel._generated import Status
from sspimodel._generated.values import SecWinntAuthDataType, Sspipfc
from sspimodel.codegen import guid_number
from sspimodel.contract import ContractError
from sspimodel.model import prompts
from sspimodel.model.constants import SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND
from sspimodel.model.drive import acquire, handshake
from sspimodel.model.handles import Luid
from sspimodel.model.identity import pack_ex2, parse_ex2
from sspimodel.model.prompts import CredUiInfo
from sspimodel.paths import REPO_ROOT

FACTS = json.loads((Path(__file__).parent / "data" / "prompt_facts.json").read_text(encoding="utf-8"))
PASSWORD = SecWinntAuthDataType.SEC_WINNT_AUTH_DATA_TYPE_PASSWORD
CERT = SecWinntAuthDataType.SEC_WINNT_AUTH_DATA_TYPE_CERT
TARGET = "host/files.contoso.com"


@pytest.fixture
def world():
    return default_world()


def _prompt(sspi: Sspi, **over):
    args = dict(
        pszTargetName=TARGET, pUiInfo=CredUiInfo(), dwAuthError=0, pszPackage="NTLM", dwFlags=0
    )
    args.update(over)
    return sspi.SspiPromptForCredentialsW(**args)


def _free_all(sspi: Sspi, *values):
    for v in values:
        if isinstance(v, prompts.AuthIdentityBuffer):
            sspi.SspiFreeAuthIdentity(AuthData=v)
        else:
            sspi.SspiLocalFree(DataBuffer=v)


# -- facts ------------------------------------------------------------------------------------------


def test_module_constants_are_the_recorded_header_facts():
    for name, fact in FACTS["constants"].items():
        if hasattr(prompts, name):
            assert getattr(prompts, name) == int(fact["value"], 0), name
    for name, fact in FACTS["guids"].items():
        assert getattr(prompts, name) == uuid.UUID(fact["value"]).int, name
    assert Sspipfc.SSPIPFC_CREDPROV_DO_NOT_SAVE == prompts.SSPIPFC_CREDPROV_DO_NOT_SAVE
    assert Sspipfc.SSPIPFC_NO_CHECKBOX == prompts.SSPIPFC_NO_CHECKBOX
    assert prompts.MARSHALED_HEADER.size == FACTS["layouts"]["CREDUIWIN_MARSHALED_CONTEXT"]["size_natural_alignment"]


def test_generated_guid_values_are_the_header_guids():
    """The generator reads the pages' printed GUIDs; the header agrees."""
    for member in SecWinntAuthDataType:
        assert member.value == uuid.UUID(FACTS["guids"][member.name]["value"]).int


def test_recorded_facts_stand_in_the_mingw_headers():
    if not (MINGW_INCLUDE / "sspi.h").is_file():
        pytest.skip("mingw-w64 headers absent (apt-get install mingw-w64-common)")
    files = {"mingw_sspi_h": "sspi.h", "mingw_wincred_h": "wincred.h"}
    for group in ("constants", "guids", "layouts", "return_types"):
        for name, fact in FACTS[group].items():
            lines = (MINGW_INCLUDE / files[fact["source"]]).read_text(encoding="utf-8", errors="replace").splitlines()
            text = " ".join(lines[fact["line"] - 1 : fact["line"] + 1])
            assert name in text or name.removesuffix("W") in text, (name, text)
            if group == "constants":
                number = re.search(rf"{name}\s+(0x[0-9A-Fa-f]+|\d+)", text)
                assert number and int(number.group(1), 0) == int(fact["value"], 0), (name, text)
            if group == "guids":
                parts = [int(p, 16) for p in re.findall(r"0x([0-9a-fA-F]+)", text)]
                assert guid_number(", ".join(hex(p) for p in parts)) == uuid.UUID(fact["value"]).int, name


def test_prompting_needed_values_are_the_catalog_values():
    rows = {}
    for path in ("spec/data/status.tsv", "spec/data/status_namespaces.tsv"):
        for line in (REPO_ROOT / path).read_text(encoding="utf-8").splitlines():
            cells = line.split("\t")
            if line.startswith("#") or len(cells) < 3:
                continue
            name, value = (cells[0], cells[1]) if path.endswith("status.tsv") else (cells[1], cells[2])
            if value.startswith("0x"):
                rows[name] = int(value, 16)
    for name, value in prompts.PROMPTING_NEEDED.items():
        assert rows[name] == value, name


def test_the_generator_reads_a_printed_guid_and_nothing_else():
    assert guid_number("0x28bfc32f, 0x10f6, 0x4738,  0x98, 0xd1, 0x1a, 0xc0, 0x61, 0xdf, 0x71, 0x6a") == PASSWORD
    assert guid_number("0x68fd9879, 0x79c, 0x4dfe,  0x82, 0x81, 0x57, 0x8a, 0xad, 0xc1, 0xc1, 0x0") == (
        SecWinntAuthDataType.SEC_WINNT_AUTH_DATA_TYPE_CSP_DATA
    )
    for text in ("0x1", "0x28bfc32f, 0x10f6, 0x4738", "", None, "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11"):
        assert guid_number(text) is None


# -- SspiPromptForCredentials ------------------------------------------------------------------------


def test_submitted_credentials_authenticate_and_are_freed(world):
    alice, server = Sspi(world, 100), Sspi(world, 4)
    world.prompts.user.submit("Passw0rd!alice", user="alice", domain="CONTOSO")
    r = _prompt(alice)
    assert r.status.name == "SEC_E_OK"
    fields = r.ppAuthIdentity.fields()
    assert (fields.user, fields.domain, fields.password) == ("alice", "CONTOSO", "Passw0rd!alice")
    cred = alice.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pAuthData=r.ppAuthIdentity)
    assert cred.status.name == "SEC_E_OK"
    hs = handshake(alice, server, "NTLM", TARGET, client_cred=cred.phCredential,
                   server_cred=acquire(server, "NTLM", SECPKG_CRED_INBOUND))
    assert hs.established, hs.steps
    for s, ctx in ((alice, hs.client_ctx), (server, hs.server_ctx)):
        s.DeleteSecurityContext(phContext=ctx)
    alice.FreeCredentialsHandle(phCredential=cred.phCredential)
    server.FreeCredentialsHandle(phCredential=hs.server_cred)
    assert 100 in world.leaks()  # the identity is still allocated
    alice.SspiFreeAuthIdentity(AuthData=r.ppAuthIdentity)
    assert world.leaks() == {}


def test_the_input_identity_fills_the_fields_and_the_user_types_only_the_password(world):
    alice = Sspi(world, 100)
    given = alice.SspiEncodeStringsAsAuthIdentity(pszUserName="bob", pszDomainName="CONTOSO", pszPackedCredentialsString="old")
    world.prompts.user.submit("Passw0rd!bob")
    r = _prompt(alice, pInputAuthIdentity=given.ppAuthIdentity, dwAuthError=0x8009030C)
    shown = world.prompts.user.shown[-1]
    assert (shown.filled_user, shown.filled_domain, shown.auth_error) == ("bob", "CONTOSO", 0x8009030C)
    assert r.ppAuthIdentity.fields().password == "Passw0rd!bob"
    assert r.ppAuthIdentity.fields().user == "bob"
    _free_all(alice, given.ppAuthIdentity, r.ppAuthIdentity)
    assert world.leaks() == {}


@pytest.mark.parametrize("script", ["cancel", "nothing queued"])
def test_a_cancelled_prompt_returns_no_identity(world, script):
    alice = Sspi(world, 100)
    if script == "cancel":
        world.prompts.user.cancel()
    r = _prompt(alice)
    assert r.status.name == "SEC_E_NO_CREDENTIALS"
    assert r.ppAuthIdentity is None
    assert alice.last_rule.is_errata and alice.last_rule.basis.entry == "doc-prompt-cancelled"
    assert isinstance(world.prompts.user.shown[-1].answer, prompts.Cancel)
    assert world.leaks() == {}


def test_answers_are_taken_in_order(world):
    alice = Sspi(world, 100)
    world.prompts.user.cancel().submit("second", user="carol")
    assert _prompt(alice).status.name == "SEC_E_NO_CREDENTIALS"
    r = _prompt(alice)
    assert r.ppAuthIdentity.fields().user == "carol"
    assert not world.prompts.user.answers
    alice.SspiFreeAuthIdentity(AuthData=r.ppAuthIdentity)


@pytest.mark.parametrize(
    ("pf_save", "flags", "answer", "box", "out", "stored"),
    [
        (True, 0, None, True, True, True),  # shown ticked, left ticked: saved
        (False, 0, True, True, True, True),  # the user ticks it
        (True, 0, False, False, False, False),  # the user clears it
        (None, 0, True, None, None, False),  # NULL pfSave: no box
        (True, Sspipfc.SSPIPFC_NO_CHECKBOX, True, None, True, False),  # hidden: pfSave untouched
        (True, Sspipfc.SSPIPFC_CREDPROV_DO_NOT_SAVE, None, False, False, False),  # input ignored
        (False, Sspipfc.SSPIPFC_CREDPROV_DO_NOT_SAVE, True, True, True, False),  # reported, not saved
    ],
)
def test_the_save_check_box(world, pf_save, flags, answer, box, out, stored):
    alice = Sspi(world, 100)
    world.prompts.user.submit("Passw0rd!alice", user="alice", domain="CONTOSO", save=answer)
    r = _prompt(alice, pfSave=pf_save, dwFlags=flags)
    assert r.pfSave == out
    assert world.prompts.user.shown[-1].checkbox == box
    assert ((prompts.CRED_TYPE_DOMAIN_PASSWORD, TARGET) in world.prompts.credman) is stored
    assert world.prompts.user.shown[-1].saved is stored
    alice.SspiFreeAuthIdentity(AuthData=r.ppAuthIdentity)


def test_the_ansi_form_takes_ascii_bytes_and_refuses_others(world):
    alice = Sspi(world, 100)
    world.prompts.user.submit("pw", user="alice")
    r = alice.SspiPromptForCredentialsA(
        pszTargetName=b"host/files", pUiInfo=CredUiInfo(hwndParent=0x1234), dwAuthError=0, pszPackage=b"Negotiate", dwFlags=0
    )
    assert r.status.name == "SEC_E_OK"
    assert world.prompts.user.shown[-1].centered_on == "parent window 0x1234"
    alice.SspiFreeAuthIdentity(AuthData=r.ppAuthIdentity)
    with pytest.raises(ContractError, match="pszTargetName"):
        alice.SspiPromptForCredentialsA(
            pszTargetName=b"h\xe9", pUiInfo=CredUiInfo(), dwAuthError=0, pszPackage=b"NTLM", dwFlags=0
        )


@pytest.mark.parametrize(
    ("over", "param"),
    [
        ({"pszPackage": "NoSuchPackage"}, "pszPackage"),
        ({"pUiInfo": "not a CREDUI_INFO"}, "pUiInfo"),
        ({"pUiInfo": None}, "pUiInfo"),
        ({"pfSave": "yes"}, "pfSave"),
        ({"dwFlags": 0x4}, "dwFlags"),
        ({"pInputAuthIdentity": "not an identity"}, "pInputAuthIdentity"),
    ],
)
def test_refused_prompts_name_the_parameter_and_take_no_answer(world, over, param):
    alice = Sspi(world, 100)
    world.prompts.user.submit("pw")
    with pytest.raises(ContractError) as e:
        _prompt(alice, **over)
    assert e.value.parameter == param
    assert len(world.prompts.user.answers) == 1 and world.prompts.user.shown == []


def test_a_freed_input_identity_is_refused(world):
    alice = Sspi(world, 100)
    given = alice.SspiEncodeStringsAsAuthIdentity(pszUserName="a", pszDomainName="", pszPackedCredentialsString="b").ppAuthIdentity
    alice.SspiFreeAuthIdentity(AuthData=given)
    with pytest.raises(ContractError, match="released already"):
        _prompt(alice, pInputAuthIdentity=given)


def test_the_same_script_gives_the_same_bytes():
    def run():
        w = default_world()
        w.prompts.user.submit("Passw0rd!alice", user="alice", domain="CONTOSO", save=True)
        r = _prompt(Sspi(w, 100), pfSave=False, pUiInfo=CredUiInfo(pszCaptionText="Files", pszMessageText="Sign in"))
        return bytes(r.ppAuthIdentity.data), w.prompts.user.shown[-1].serialization, repr(w.prompts.user.shown)

    assert run() == run()


# -- SspiIsPromptingNeeded ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(prompts.PROMPTING_NEEDED))
def test_credential_errors_need_prompting(world, name):
    assert Sspi(world).SspiIsPromptingNeeded(ErrorOrNtStatus=prompts.PROMPTING_NEEDED[name]).value is True


@pytest.mark.parametrize("code", [0, 0x00090312, 0x80090308, 0x80090311, 0xC0000022, 0xFFFFFFFF])
def test_other_codes_do_not(world, code):
    assert Sspi(world).SspiIsPromptingNeeded(ErrorOrNtStatus=code).value is False


def test_a_status_member_is_accepted_and_a_negative_number_refused(world):
    s = Sspi(world)
    assert s.SspiIsPromptingNeeded(ErrorOrNtStatus=Status.SEC_E_LOGON_DENIED).value is True
    with pytest.raises(ContractError, match="ErrorOrNtStatus"):
        s.SspiIsPromptingNeeded(ErrorOrNtStatus=-1)


def test_a_refused_logon_leads_to_a_prompt_whose_credentials_succeed(world):
    """InitializeSecurityContext with a wrong password, SspiIsPromptingNeeded, a prompt showing the
    error, then the credentials the user typed authenticate."""
    alice, server = Sspi(world, 100), Sspi(world, 4)
    wrong = alice.SspiEncodeStringsAsAuthIdentity(pszUserName="alice", pszDomainName="CONTOSO", pszPackedCredentialsString="wrong").ppAuthIdentity
    cred = alice.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pAuthData=wrong)
    srv_cred = acquire(server, "NTLM", SECPKG_CRED_INBOUND)
    hs = handshake(alice, server, "NTLM", TARGET, client_cred=cred.phCredential, server_cred=srv_cred)
    failure = Status[hs.steps[-1][1]]
    assert not hs.established and failure.name == "SEC_E_LOGON_DENIED"
    assert alice.SspiIsPromptingNeeded(ErrorOrNtStatus=failure).value is True
    world.prompts.user.submit("Passw0rd!alice")
    r = _prompt(alice, pInputAuthIdentity=wrong, dwAuthError=int(failure))
    assert world.prompts.user.shown[-1].auth_error == int(failure)
    cred2 = alice.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pAuthData=r.ppAuthIdentity)
    hs2 = handshake(alice, server, "NTLM", TARGET, client_cred=cred2.phCredential, server_cred=srv_cred)
    assert hs2.established


# -- SspiPrepareForCredRead / SspiPrepareForCredWrite ------------------------------------------------------------


def _ident(sspi: Sspi, user: str = "alice", domain: str = "CONTOSO", password: str = "Passw0rd!alice"):
    return sspi.SspiEncodeStringsAsAuthIdentity(
        pszUserName=user, pszDomainName=domain, pszPackedCredentialsString=password
    ).ppAuthIdentity


def test_prepare_for_cred_read(world):
    s = Sspi(world, 100)
    ident = _ident(s)
    r = s.SspiPrepareForCredRead(AuthIdentity=ident, pszTargetName="files.contoso.com")
    assert (r.pCredmanCredentialType, r.ppszCredmanTargetName) == (prompts.CRED_TYPE_DOMAIN_PASSWORD, "files.contoso.com")
    _free_all(s, ident, r.ppszCredmanTargetName)
    assert world.leaks() == {}
    with pytest.raises(ContractError, match="pszTargetName"):
        s.SspiPrepareForCredRead(AuthIdentity=_ident(s), pszTargetName="")


@pytest.mark.parametrize(("target", "expected"), [(None, "CONTOSO\\alice"), ("files", "files")])
def test_prepare_for_cred_write(world, target, expected):
    s = Sspi(world, 100)
    ident = _ident(s)
    r = s.SspiPrepareForCredWrite(AuthIdentity=ident, pszTargetName=target)
    assert r.ppszCredmanTargetName == expected
    assert r.ppszCredmanUserName == "CONTOSO\\alice"
    assert bytes(r.ppCredentialBlob) == "Passw0rd!alice".encode("utf-16-le")
    assert r.pCredentialBlobSize == 28
    _free_all(s, ident, r.ppszCredmanTargetName, r.ppszCredmanUserName, r.ppCredentialBlob)
    assert world.leaks() == {}


def test_prepare_for_cred_write_decrypts_what_it_may_and_refuses_the_rest(world):
    web, alice = Sspi(world, 200), Sspi(world, 100)
    ident = _ident(web)
    web.SspiEncryptAuthIdentityEx(Options=2, AuthData=ident)  # SAME_PROCESS
    r = web.SspiPrepareForCredWrite(AuthIdentity=ident, pszTargetName=None)
    assert bytes(r.ppCredentialBlob) == "Passw0rd!alice".encode("utf-16-le")
    blob = web.SspiMarshalAuthIdentity(AuthIdentity=ident)
    elsewhere = alice.SspiUnmarshalAuthIdentity(
        AuthIdentityLength=blob.AuthIdentityLength, AuthIdentityByteArray=bytes(blob.AuthIdentityByteArray)
    ).ppAuthIdentity
    with pytest.raises(ContractError, match="cannot decrypt"):
        alice.SspiPrepareForCredWrite(AuthIdentity=elsewhere, pszTargetName=None)
    with pytest.raises(ContractError, match="user name"):
        alice.SspiPrepareForCredWrite(AuthIdentity=_ident(alice, user=""), pszTargetName=None)


# -- the credential UI context ------------------------------------------------------------------------------


def _context(world, sspi: Sspi, **prompt_args):
    world.prompts.user.submit("Passw0rd!alice", user="alice", domain="CONTOSO")
    r = _prompt(sspi, **prompt_args)
    blob = world.prompts.user.shown[-1].serialization
    u = sspi.SspiUnmarshalCredUIContext(MarshaledCredUIContext=blob, MarshaledCredUIContextLength=len(blob))
    return r.ppAuthIdentity, u.CredUIContext


def test_unmarshal_gives_back_the_prompt_s_context(world):
    s = Sspi(world, 100)
    given = _ident(s, user="bob", password="old")
    ident, ctx = _context(
        world, s, dwAuthError=0x8009030C, pInputAuthIdentity=given, pUiInfo=CredUiInfo(pszCaptionText="Files")
    )
    assert ctx.TargetName == TARGET
    assert ctx.dwAuthError == 0x8009030C
    assert ctx.UIInfo.pszCaptionText == "Files"
    assert ctx.CredUIContextHandle == world.prompts.user.shown[-1].context
    assert ctx.pInputAuthIdentity.fields().user == "bob"
    _free_all(s, given, ident, ctx)
    assert world.leaks() == {}


@pytest.mark.parametrize(
    ("mutate", "param"),
    [
        (lambda b: b[:40], "MarshaledCredUIContext"),  # shorter than the header
        (lambda b: b"\x00" + b[1:], "MarshaledCredUIContext"),  # StructureType
        (lambda b: b[:-1], "MarshaledCredUIContext"),  # lengths no longer add up
        (lambda b: b[:36] + b"\x00" + b[37:], "MarshaledCredUIContext"),  # MarshaledDataType
    ],
)
def test_unmarshal_refuses_damaged_bytes(world, mutate, param):
    s = Sspi(world, 100)
    world.prompts.user.submit("pw")
    _prompt(s)
    blob = mutate(world.prompts.user.shown[-1].serialization)
    with pytest.raises(ContractError) as e:
        s.SspiUnmarshalCredUIContext(MarshaledCredUIContext=blob, MarshaledCredUIContextLength=len(blob))
    assert e.value.parameter == param


def test_unmarshal_refuses_a_length_beyond_the_bytes(world):
    s = Sspi(world, 100)
    world.prompts.user.submit("pw")
    _prompt(s)
    blob = world.prompts.user.shown[-1].serialization
    with pytest.raises(ContractError, match="MarshaledCredUIContextLength"):
        s.SspiUnmarshalCredUIContext(MarshaledCredUIContext=blob, MarshaledCredUIContextLength=len(blob) + 1)


def test_get_cred_ui_context_returns_the_submitted_password_and_a_token(world):
    s = Sspi(world, 100)
    ident, ctx = _context(world, s)
    r = s.SspiGetCredUIContext(ContextHandle=ctx, CredType=PASSWORD, LogonId=Luid(0x1001))
    assert r.CredUIContexts.CredUIContextCount == 1
    fields = parse_ex2(r.CredUIContexts.entries[0])
    assert (fields.user, fields.password) == ("alice", "Passw0rd!alice")
    assert r.TokenHandle.user == "CONTOSO\\alice"
    none = s.SspiGetCredUIContext(ContextHandle=ctx, CredType=CERT, LogonId=Luid(0x1001))
    assert none.CredUIContexts.CredUIContextCount == 0 and none.CredUIContexts.entries == []
    assert world.close_handle(r.TokenHandle, 100) and world.close_handle(none.TokenHandle, 100)
    _free_all(s, ident, ctx, r.CredUIContexts, none.CredUIContexts)
    assert world.leaks() == {}


def test_another_logon_session_takes_local_system(world):
    s = Sspi(world, 100)
    _ident, ctx = _context(world, s)
    with pytest.raises(ContractError, match="LocalSystem"):
        s.SspiGetCredUIContext(ContextHandle=ctx, CredType=PASSWORD, LogonId=Luid(0x1002))
    system = Sspi(world, 4)
    _, sys_ctx = _context(world, system)
    r = system.SspiGetCredUIContext(ContextHandle=sys_ctx, CredType=PASSWORD, LogonId=Luid(0x1002))
    assert r.TokenHandle.user == "CONTOSO\\bob"


def test_a_released_or_foreign_context_is_refused(world):
    s, bob = Sspi(world, 100), Sspi(world, 101)
    _, ctx = _context(world, s)
    with pytest.raises(ContractError, match="not memory allocated for this process"):
        bob.SspiGetCredUIContext(ContextHandle=ctx, CredType=PASSWORD, LogonId=Luid(0x1002))
    s.SspiLocalFree(DataBuffer=ctx)
    with pytest.raises(ContractError, match="released already"):
        s.SspiUpdateCredentials(ContextHandle=ctx, CredType=PASSWORD, FlatCredUIContextLength=0, FlatCredUIContext=b"")
    with pytest.raises(ContractError, match="CredType"):
        s.SspiGetCredUIContext(ContextHandle=ctx, CredType=1, LogonId=Luid(0x1001))


def test_update_credentials_changes_the_context_and_the_saved_credential(world):
    s = Sspi(world, 100)
    _ident, ctx = _context(world, s, pfSave=True)
    key = (prompts.CRED_TYPE_DOMAIN_PASSWORD, TARGET)
    assert world.prompts.credman[key].blob == "Passw0rd!alice".encode("utf-16-le")
    flat = pack_ex2("alice", "CONTOSO", "N3w!alice".encode("utf-16-le"), 2)
    r = s.SspiUpdateCredentials(ContextHandle=ctx, CredType=PASSWORD, FlatCredUIContextLength=len(flat), FlatCredUIContext=flat)
    assert r.status.name == "SEC_E_OK"
    assert world.prompts.credman[key].blob == "N3w!alice".encode("utf-16-le")
    got = s.SspiGetCredUIContext(ContextHandle=ctx, CredType=PASSWORD, LogonId=Luid(0x1001))
    assert got.CredUIContexts.entries == [flat]
    s.SspiUpdateCredentials(ContextHandle=ctx, CredType=CERT, FlatCredUIContextLength=3, FlatCredUIContext=b"abcdef")
    cert = s.SspiGetCredUIContext(ContextHandle=ctx, CredType=CERT, LogonId=Luid(0x1001))
    assert cert.CredUIContexts.entries == [b"abc"]


@pytest.mark.parametrize(
    ("flat", "length", "param"),
    [
        (b"not an identity", 15, "FlatCredUIContext"),
        (b"", 4, "FlatCredUIContextLength"),
    ],
)
def test_update_credentials_refuses_bad_data(world, flat, length, param):
    s = Sspi(world, 100)
    _, ctx = _context(world, s)
    with pytest.raises(ContractError) as e:
        s.SspiUpdateCredentials(ContextHandle=ctx, CredType=PASSWORD, FlatCredUIContextLength=length, FlatCredUIContext=flat)
    assert e.value.parameter == param


# -- the scenario syntax for prompts (answers, credui_info) ---------------------------------------


def test_scenario_answers_and_credui_info_are_read_and_bad_ones_named(tmp_path):
    from sspimodel.conform.scenario import Answer, CredUiInfoSpec, load_scenarios

    good = tmp_path / "good.yaml"
    good.write_text(
        "name: p\nanswers:\n  - submit: {password: pw, user: u, save: true}\n  - cancel: null\n"
        "steps:\n  - call: SspiPromptForCredentialsW\n    args: {pszTargetName: t, pUiInfo: {credui_info: {caption: C, parent: 7}},"
        " dwAuthError: 0, pszPackage: NTLM, dwFlags: 0}\n",
        encoding="utf-8",
    )
    scenarios, problems = load_scenarios(tmp_path)
    assert problems == []
    (s,) = scenarios
    assert s.answers == (Answer("submit", "pw", "u", None, True), Answer("cancel"))
    assert dict(s.steps[0].args)["pUiInfo"] == CredUiInfoSpec("C", None, 7)
    good.unlink()
    (tmp_path / "bad.yaml").write_text(
        "name: q\nanswers:\n  - submit: {user: u}\n  - maybe: null\n"
        "steps:\n  - call: SspiPromptForCredentialsW\n    args: {pUiInfo: {credui_info: {colour: red}}}\n",
        encoding="utf-8",
    )
    _, problems = load_scenarios(tmp_path)
    text = "\n".join(str(p) for p in problems)
    assert "answers[0]" in text and "answers[1]" in text and "credui_info" in text
    assert all(p.line > 1 for p in problems)


def test_the_prompts_scenario_agrees_on_the_model(tmp_path):
    import shutil

    from sspimodel.conform import conform

    shutil.copy(REPO_ROOT / "spec" / "scenarios" / "prompts.yaml", tmp_path / "prompts.yaml")
    report = conform("model", tmp_path)
    summary = report.data["summary"]
    assert (summary["calls"], summary["agree"], summary["model_errors"]) == (18, 18, 0)


def test_an_encrypted_input_identity_fills_the_dialog_and_stays_encrypted_in_the_context(world):
    s = Sspi(world, 100)
    given = _ident(s, user="bob", password="secret-of-bob")
    s.SspiEncryptAuthIdentityEx(Options=2, AuthData=given)  # SAME_PROCESS
    world.prompts.user.submit("Passw0rd!bob")
    r = _prompt(s, pInputAuthIdentity=given)
    assert world.prompts.user.shown[-1].filled_user == "bob"
    assert r.ppAuthIdentity.fields().user == "bob"
    blob = world.prompts.user.shown[-1].serialization
    assert "secret-of-bob".encode("utf-16-le") not in blob
    ctx = s.SspiUnmarshalCredUIContext(MarshaledCredUIContext=blob, MarshaledCredUIContextLength=len(blob)).CredUIContext
    assert ctx.pInputAuthIdentity.fields().encrypted
