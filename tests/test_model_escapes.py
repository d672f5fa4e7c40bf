"""Well-typed but hostile arguments that once escaped the API as Python exceptions (ValueError,
struct.error, AttributeError): each now ends in a status of the page or in a ContractError
naming the parameter, and a refused call changes nothing."""

from __future__ import annotations

import pytest

from sspimodel.api import Sspi
from sspimodel.contract import ContractError
from sspimodel.model import CallerMode, Luid, Ref, SecBufferDesc, SecWinntAuthIdentity, default_world
from sspimodel.model.drive import acquire, handshake
from sspimodel.model.identity import SecWinntAuthIdentityExW, parse_ex2
from sspimodel.model.prompts import CredUiInfo

LONG = "x" * 40_000  # 80,000 bytes in UTF-16: more than an EX2 length (a USHORT) can say


def _sspi() -> Sspi:
    return Sspi(default_world(), 100)


def _refused(sspi: Sspi, function: str, parameter: str, words: str, **kwargs: object) -> ContractError:
    process = sspi.process
    allocations = dict(process.allocations)
    with pytest.raises(ContractError) as info:
        getattr(sspi, function)(**kwargs)
    assert info.value.function == function and info.value.parameter == parameter, str(info.value)
    assert words in str(info.value)
    assert process.allocations == allocations, "a refused call allocated memory"
    return info.value


@pytest.mark.parametrize(
    "identity",
    [
        SecWinntAuthIdentity(User=LONG, Password="p", Domain="CONTOSO"),
        SecWinntAuthIdentity(User="alice", Password=LONG, Domain="CONTOSO"),
        SecWinntAuthIdentityExW(User="alice", Password="p", Domain=LONG),
        SecWinntAuthIdentityExW(User="alice", Password="p", PackageList=LONG),
    ],
    ids=["user", "password", "domain", "package-list"],
)
@pytest.mark.parametrize(
    ("function", "parameter"),
    [("SspiCopyAuthIdentity", "AuthData"), ("SspiMarshalAuthIdentity", "AuthIdentity")],
)
def test_a_caller_identity_too_long_for_ex2_is_refused_when_copied_or_marshalled(identity, function, parameter):
    # Was: ValueError from identity.pack_ex2.
    _refused(_sspi(), function, parameter, "an EX2 length field holds at most 65535", **{parameter: identity})


def test_excluding_a_package_from_an_identity_too_long_for_ex2_names_the_identity():
    identity = SecWinntAuthIdentity(User=LONG, Password="p")
    _refused(_sspi(), "SspiExcludePackage", "AuthIdentity", "the user name would be 80000 bytes",
             AuthIdentity=identity, pszPackageName="NTLM")


def test_excluding_a_package_whose_name_overflows_the_package_list_names_the_package():
    # The identity fits; its package list plus '!name' does not.
    identity = SecWinntAuthIdentityExW(User="alice", Password="p", PackageList="y" * 32_000)
    _refused(_sspi(), "SspiExcludePackage", "pszPackageName", "the package list would be",
             AuthIdentity=identity, pszPackageName="z" * 1_000)


@pytest.mark.parametrize(("function", "extra"), [("SspiEncryptAuthIdentity", {}),
                                                 ("SspiEncryptAuthIdentityEx", {"Options": 0x2})])
def test_encrypting_credentials_that_would_outgrow_ex2_is_refused_and_the_identity_kept(function, extra):
    # 32,760 characters of password fit an EX2 in clear (65,520 bytes); sealed (nonce and tag,
    # 28 bytes more) they do not. Was: ValueError from identity.pack_ex2.
    sspi = _sspi()
    identity = sspi.SspiEncodeStringsAsAuthIdentity(
        pszUserName="alice", pszDomainName="CONTOSO", pszPackedCredentialsString="p" * 32_760
    ).ppAuthIdentity
    before = bytes(identity.data)
    _refused(sspi, function, "AuthData", "the packed credentials would be 65548 bytes", AuthData=identity, **extra)
    assert bytes(identity.data) == before
    assert not parse_ex2(before).encrypted
    assert sspi.SspiIsAuthIdentityEncrypted(EncryptedAuthData=identity).value is False


def _prompt(sspi: Sspi, **over: object):
    args: dict[str, object] = dict(
        pszTargetName="host/files.contoso.com", pUiInfo=CredUiInfo(), dwAuthError=0, pszPackage="NTLM", dwFlags=0
    )
    args.update(over)
    return sspi.SspiPromptForCredentialsW(**args)


@pytest.mark.parametrize(
    ("over", "parameter"),
    [
        ({"pszTargetName": "host/" + "t" * 32_763}, "pszTargetName"),
        ({"pUiInfo": CredUiInfo(pszCaptionText="c" * 20_000, pszMessageText="m" * 20_000)}, "pUiInfo"),
        ({"pInputAuthIdentity": SecWinntAuthIdentity(User=LONG, Password="p")}, "pInputAuthIdentity"),
    ],
    ids=["target", "ui-texts", "input-identity"],
)
def test_a_prompt_whose_context_cannot_be_marshalled_is_refused_before_the_dialog(over, parameter):
    # Was: struct.error (MarshaledDataLength, a USHORT) or ValueError (pack_ex2).
    world = default_world()
    world.prompts.user.submit("Passw0rd!alice", "alice", "CONTOSO")
    sspi = Sspi(world, 100)
    with pytest.raises(ContractError) as info:
        _prompt(sspi, **over)
    assert info.value.parameter == parameter
    assert world.prompts.user.shown == [] and len(world.prompts.user.answers) == 1
    assert sspi.process.allocations == {}


def test_a_prompt_just_under_the_marshalled_limit_still_runs():
    world = default_world()
    world.prompts.user.submit("Passw0rd!alice", "alice", "CONTOSO")
    # 24 bytes of fields + 2 * 32,755 bytes of target name = 65,534
    r = _prompt(Sspi(world, 100), pszTargetName="h" * 32_755)
    assert r.status.name == "SEC_E_OK"


@pytest.mark.parametrize("credential", ["other process", "freed", "never issued"])
def test_accept_queued_with_an_unusable_credential_completes_with_the_synchronous_status(credential):
    # Was: AttributeError while the queuing call checked the output buffer of a leg it could not
    # compute (no credential). Now the handle is the queued work's to judge, as the table does.
    world = default_world()
    world.caller_mode = CallerMode.KERNEL
    srv, other = Sspi(world, 200), Sspi(world, 101)
    if credential == "other process":
        cred = acquire(other, "NTLM", 1)
    elif credential == "freed":
        cred = acquire(srv, "NTLM", 1)
        srv.FreeCredentialsHandle(phCredential=cred)
    else:
        from sspimodel.model import CredHandle

        cred = CredHandle(7, 7)
    sync = srv.AcceptSecurityContext(
        phCredential=cred, phContext=None, pInput=SecBufferDesc.token(b"x"), fContextReq=0, TargetDataRep=0x10,
        pOutput=SecBufferDesc.output(4096),
    )
    ctx = srv.SspiCreateAsyncContext().value
    queued = srv.SspiAcceptSecurityContextAsync(
        AsyncContext=ctx, phCredential=cred, phContext=Ref(), pInput=SecBufferDesc.token(b"x"), fContextReq=0,
        TargetDataRep=0x10, phNewContext=Ref(), pOutput=SecBufferDesc.output(4096), pfContextAttr=Ref(),
        ptsExpiry=Ref(),
    )
    assert queued.status.name == "SEC_E_OK"
    world.run_pending()
    assert srv.SspiGetAsyncCallStatus(Handle=ctx).status.name == sync.status.name
    assert sync.status.is_error


def test_accept_queued_with_a_live_credential_still_checks_the_output_buffer_when_queued():
    # The queuing call's check of the output buffer is unchanged when the leg can be computed.
    world = default_world()
    world.caller_mode = CallerMode.KERNEL
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    first = handshake(cli, srv, "NTLM", max_calls=1).tokens[0]
    ctx = srv.SspiCreateAsyncContext().value
    with pytest.raises(ContractError) as info:
        srv.SspiAcceptSecurityContextAsync(
            AsyncContext=ctx, phCredential=acquire(srv, "NTLM", 1), phContext=Ref(),
            pInput=SecBufferDesc.token(first), fContextReq=0, TargetDataRep=0x10, phNewContext=Ref(),
            pOutput=SecBufferDesc.output(4), pfContextAttr=Ref(), ptsExpiry=Ref(),
        )
    assert info.value.parameter == "pOutput"


# -- unpaired surrogates: a WCHAR string may hold one -----------------------------------------------


def _allowed(function: str) -> frozenset[str]:
    from sspimodel.api import allowed_statuses

    return allowed_statuses(function)


@pytest.mark.parametrize("package", ["NTLM", "Negotiate", "Kerberos", "Digest"])
@pytest.mark.parametrize("field", ["target", "User", "Password"])
def test_a_name_or_password_holding_an_unpaired_surrogate_ends_the_handshake_with_a_status(package, field):
    # Was: UnicodeEncodeError from the NT hash, the NTLM messages, or the world's key derivation.
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    target = "/" if package == "Digest" else "HTTP/web.contoso.com"
    identity = {"User": "alice", "Password": "Passw0rd!alice", "Domain": "CONTOSO"}
    if field == "target":
        target += "\udcff"
    else:
        identity[field] += "\udcff"
    cred = acquire(cli, package, 2, pAuthData=SecWinntAuthIdentity(**identity))
    hs = handshake(cli, srv, package, target, client_cred=cred)
    function, status = hs.steps[-1]
    assert status in _allowed(function)
    if field == "Password":
        assert not hs.established  # not alice's password


def test_an_ntlm_server_refuses_a_target_name_that_is_not_utf16_text_as_an_invalid_token():
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    hs = handshake(cli, srv, "NTLM", "HTTP/web.contoso.com\udcff")
    assert hs.steps[-1] == ("AcceptSecurityContext", "SEC_E_INVALID_TOKEN")
    assert "MsvAvTargetName" in str(srv.explain()) and "not UTF-16LE" in str(srv.explain())


def test_a_principal_whose_name_and_password_hold_a_surrogate_authenticates_with_kerberos():
    # The model's own frames carry any string (UTF-8 with surrogates passed), and its keys derive
    # from any password.
    world = default_world()
    world.add_principal("svc\udcff", "Svc!\udcff", spns=("HTTP/odd\udcff",))
    world.add_principal("u\ud800", "Passw0rd!\ud800")
    world.add_process(300, "odd.exe", Luid(0x1001))
    cli, srv = Sspi(world, 100), Sspi(world, 300)
    cred = acquire(cli, "Kerberos", 2, pAuthData=SecWinntAuthIdentity(User="u\ud800", Password="Passw0rd!\ud800"))
    server = acquire(
        srv, "Kerberos", 1, pAuthData=SecWinntAuthIdentity(User="svc\udcff", Password="Svc!\udcff", Domain="CONTOSO")
    )
    hs = handshake(cli, srv, "Kerberos", "HTTP/odd\udcff", client_cred=cred, server_cred=server)
    assert hs.established, hs.steps


def test_an_identity_whose_password_holds_a_surrogate_is_given_back_as_strings():
    # Was: UnicodeDecodeError from Ex2.password.
    sspi = _sspi()
    r = sspi.SspiEncodeAuthIdentityAsStrings(pAuthIdentity=SecWinntAuthIdentity(User="alice", Password="p\ud800"))
    assert r.status.name == "SEC_E_OK" and r.ppszPackedCredentialsString == "p\ud800"


@pytest.mark.parametrize("kind", ["password", "cert"])
def test_a_credential_ui_datum_too_long_for_its_byte_vector_is_refused_by_update(kind):
    # Was: struct.error from SspiGetCredUIContext (SEC_WINNT_AUTH_BYTE_VECTOR.ByteArrayLength, a USHORT)
    # after SspiUpdateCredentials stored more than 65,535 bytes.
    from sspimodel.model.identity import pack_ex2
    from sspimodel.model.prompts import SEC_WINNT_AUTH_DATA_TYPE_CERT, SEC_WINNT_AUTH_DATA_TYPE_PASSWORD

    world = default_world()
    world.prompts.user.submit("Passw0rd!alice", "alice", "CONTOSO")
    sspi = Sspi(world, 100)
    assert _prompt(sspi).status.name == "SEC_E_OK"
    blob = world.prompts.user.shown[-1].serialization
    ctx = sspi.SspiUnmarshalCredUIContext(MarshaledCredUIContext=blob, MarshaledCredUIContextLength=len(blob)).CredUIContext
    if kind == "password":
        cred_type = SEC_WINNT_AUTH_DATA_TYPE_PASSWORD
        data = pack_ex2("u" * 32_000, "d" * 32_000, "p".encode("utf-16-le"), 0x2)
    else:
        cred_type, data = SEC_WINNT_AUTH_DATA_TYPE_CERT, b"\x00" * 70_000
    before = sspi.SspiGetCredUIContext(ContextHandle=ctx, CredType=cred_type, LogonId=Luid(0x1001)).CredUIContexts
    with pytest.raises(ContractError) as info:
        sspi.SspiUpdateCredentials(
            ContextHandle=ctx, CredType=cred_type, FlatCredUIContextLength=len(data), FlatCredUIContext=data
        )
    assert info.value.parameter == "FlatCredUIContextLength" and "65535" in str(info.value)
    after = sspi.SspiGetCredUIContext(ContextHandle=ctx, CredType=cred_type, LogonId=Luid(0x1001))
    assert after.status.name == "SEC_E_OK" and after.CredUIContexts.entries == before.entries


def test_is_prompting_needed_reads_a_status_held_in_a_ref_and_refuses_an_empty_one():
    # The argument check lets a Ref through for any parameter; ErrorOrNtStatus held in one is read
    # from it, and an empty one is a contract breach naming the parameter (was a TypeError).
    sspi = Sspi(default_world(), 100)
    assert sspi.SspiIsPromptingNeeded(ErrorOrNtStatus=Ref(0x8009030E)).value is True  # SEC_E_NO_CREDENTIALS
    with pytest.raises(ContractError, match=r"parameter ErrorOrNtStatus: .*SspiIsPromptingNeeded\.md:61"):
        sspi.SspiIsPromptingNeeded(ErrorOrNtStatus=Ref())


def test_a_prompt_answer_too_long_to_give_back_is_refused_before_the_dialog():
    # Was: struct.error from SspiGetCredUIContext (its SEC_WINNT_AUTH_BYTE_VECTOR.ByteArrayLength,
    # a USHORT) after a prompt returned an identity of more than 65,535 bytes.
    from sspimodel.model.identity import EX2_HEADER
    from sspimodel.model.prompt_state import EX2_HEADER_SIZE
    from sspimodel.model.prompts import SEC_WINNT_AUTH_DATA_TYPE_PASSWORD

    assert EX2_HEADER_SIZE == EX2_HEADER.size
    world = default_world()
    with pytest.raises(ValueError, match=r"would be 128062 bytes; .*at most 65535"):
        world.prompts.user.submit("p" * 32_000, "u" * 32_000, "CONTOSO")
    assert not world.prompts.user.answers
    # The largest answer that fits: 48 bytes of header leave 65,487 bytes, and UTF-16 text comes
    # in 2-byte units, so 65,486 bytes: a user of 32,743 characters, no domain, an empty password.
    world.prompts.user.submit("", "u" * 32_743, "")
    sspi = Sspi(world, 100)
    assert _prompt(sspi).status.name == "SEC_E_OK"
    blob = world.prompts.user.shown[-1].serialization
    ctx = sspi.SspiUnmarshalCredUIContext(MarshaledCredUIContext=blob, MarshaledCredUIContextLength=len(blob)).CredUIContext
    got = sspi.SspiGetCredUIContext(ContextHandle=ctx, CredType=SEC_WINNT_AUTH_DATA_TYPE_PASSWORD, LogonId=Luid(0x1001))
    assert got.status.name == "SEC_E_OK" and [len(e) for e in got.CredUIContexts.entries] == [48 + 2 * 32_743]


def test_a_prompt_whose_input_identity_makes_the_answer_too_long_names_it_and_keeps_the_answer():
    world = default_world()
    world.prompts.user.submit("p" * 20_000)  # user and domain come from the input identity
    sspi = Sspi(world, 100)
    identity = SecWinntAuthIdentity(User="u" * 30_000, Domain="CONTOSO", Password="x")
    with pytest.raises(ContractError) as info:
        _prompt(sspi, pInputAuthIdentity=identity)
    assert info.value.parameter == "pInputAuthIdentity" and "ByteArrayLength" in str(info.value)
    assert world.prompts.user.shown == [] and len(world.prompts.user.answers) == 1
