"""Four defects: displays of large buffers, wide-string sizes of the KDC proxy settings, identities
holding an unpaired surrogate, and a notification callback that raises inside World.run_pending."""

from __future__ import annotations

import pytest

from sspimodel.api import Sspi
from sspimodel.contract import ContractError
from sspimodel.display import hexdump, result_html
from sspimodel.model import (
    AllocatedBytes,
    CallerMode,
    Ref,
    SecBuffer,
    SecBufferDesc,
    SecWinntAuthIdentity,
    default_world,
    rules_for,
)
from sspimodel.model.bytes_text import SHOWN_EDGE, SHOWN_IN_FULL
from sspimodel.model.common import CONTRACT_ERROR
from sspimodel.model.constants import (
    ISC_REQ_CONFIDENTIALITY,
    SECBUFFER_DATA,
    SECBUFFER_TOKEN,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
)
from sspimodel.model.cred_attributes import (
    SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS,
    SecPkgCredentials_KdcProxySettings,
)
from sspimodel.model.drive import acquire, handshake
from sspimodel.model.identity import SecWinntAuthIdentityExW
from sspimodel.model.prompts import CredUiInfo

# -- 1. a large buffer is shown as its head and tail ------------------------------------------------

MB4 = 4 * 1024 * 1024
HEAD, TAIL = b"HEAD-OF-BUFFER", b"TAIL-OF-BUFFER"
BIG = HEAD + bytes(range(256)) * ((MB4 - 2 * len(HEAD)) // 256) + b"\x00" * ((MB4 - 2 * len(HEAD)) % 256) + TAIL
# Bytes left out of BIG: all but the first SHOWN_EDGE and the last SHOWN_EDGE (4 MB is a multiple of
# the hexdump's 16-byte lines, so the hexdump and the repr cut at the same places).
BIG_LEFT_OUT = MB4 - 2 * SHOWN_EDGE
BOUND = 16_000  # characters: what a display of any buffer stays under


class _Printer:
    """The part of IPython's pretty printer that _repr_pretty_ uses."""

    def __init__(self) -> None:
        self.out = ""

    def text(self, s: str) -> None:
        self.out += s


def _pretty(value: object) -> str:
    printer = _Printer()
    value._repr_pretty_(printer, False)  # type: ignore[attr-defined]
    return printer.out


def _shows_head_and_tail(text: str, form: str) -> None:
    assert len(text) < BOUND, f"{form}: {len(text)} characters"
    assert HEAD.decode() in text and TAIL.decode() in text, form
    assert f"{BIG_LEFT_OUT} bytes left out" in text, form


def test_a_4_mb_buffer_is_shown_bounded_with_its_head_and_tail_in_every_form():
    buffer = SecBuffer(SECBUFFER_DATA, BIG)
    desc = SecBufferDesc([SecBuffer(SECBUFFER_TOKEN, b"sig"), buffer])
    for form, text in [
        ("repr(SecBuffer)", repr(buffer)),
        ("SecBuffer pretty", _pretty(buffer)),
        ("SecBuffer html", buffer._repr_html_()),
        ("repr(SecBufferDesc)", repr(desc)),
        ("SecBufferDesc pretty", _pretty(desc)),
        ("SecBufferDesc html", desc._repr_html_()),
        ("repr(bytearray buffer)", repr(SecBuffer(SECBUFFER_DATA, bytearray(BIG)))),
        ("repr(AllocatedBytes)", repr(AllocatedBytes(BIG, 0x10000))),
        ("repr(package memory buffer)", repr(SecBuffer(SECBUFFER_TOKEN, AllocatedBytes(BIG, 0x10000)))),
        ("repr(Ref)", repr(Ref(BIG))),
        ("hexdump", hexdump(BIG)),
    ]:
        _shows_head_and_tail(text, form)
    # The same bytes always show the same text.
    assert repr(buffer) == repr(SecBuffer(SECBUFFER_DATA, bytes(BIG)))


def test_a_result_holding_a_4_mb_message_is_shown_bounded():
    world = default_world()
    client, server = Sspi(world), Sspi(world, 200)
    hs = handshake(client, server, "NTLM", client_req=ISC_REQ_CONFIDENTIALITY)
    assert hs.established, hs.steps
    message = SecBufferDesc([SecBuffer(SECBUFFER_TOKEN, None, 128), SecBuffer(SECBUFFER_DATA, BIG)])
    r = client.EncryptMessage(phContext=hs.client_ctx, fQOP=0, pMessage=message, MessageSeqNo=0)
    assert r.status.name == "SEC_E_OK" and len(message[1].contents) == MB4
    for form, text in [("repr", repr(r)), ("pretty", _pretty(r)), ("html", r._repr_html_())]:
        assert len(text) < BOUND, f"{form}: {len(text)} characters"
        assert f"{BIG_LEFT_OUT} bytes left out" in text, form
    # A result field holding plain bytes is bounded too.
    r2 = type(r)(status=r.status, pMessage=BIG)
    _shows_head_and_tail(repr(r2), "bytes field repr")
    _shows_head_and_tail(result_html("EncryptMessage", r2), "bytes field html")


def test_a_large_marshalled_identity_is_shown_bounded_in_its_result():
    sspi = Sspi(default_world())
    r = sspi.SspiMarshalAuthIdentity(AuthIdentity=SecWinntAuthIdentity(User="alice", Password="p" * 30_000))
    assert r.status.name == "SEC_E_OK" and r.AuthIdentityLength > SHOWN_IN_FULL
    text = repr(r)
    assert len(text) < BOUND and f"{r.AuthIdentityLength - 2 * SHOWN_EDGE} bytes left out" in text


def test_a_buffer_up_to_the_threshold_is_shown_whole_and_one_byte_more_is_cut():
    whole = bytes(range(256)) * (SHOWN_IN_FULL // 256)
    assert len(whole) == SHOWN_IN_FULL
    dump = hexdump(whole)
    assert "left out" not in dump and len(dump.splitlines()) == SHOWN_IN_FULL // 16
    assert repr(SecBuffer(SECBUFFER_DATA, whole)).endswith(f"pvBuffer={whole!r})")
    over = whole + b"!"
    lines = hexdump(over).splitlines()
    assert len(lines) == 2 * SHOWN_EDGE // 16 + 1 + 1  # head, the gap, the tail (the odd byte's line too)
    assert lines[SHOWN_EDGE // 16] == f"....  {SHOWN_IN_FULL - 2 * SHOWN_EDGE} bytes left out (0200 to 0dff)"
    assert lines[-1].startswith("1000  21 ")
    assert f"... {len(over) - 2 * SHOWN_EDGE} bytes left out ..." in repr(SecBuffer(SECBUFFER_DATA, over))


# -- 2. wide strings are measured in UTF-16 code units -----------------------------------------------

ASTRAL = "kdc\U0001f600.contoso.com"  # one character outside the BMP: a surrogate pair, 4 bytes


def test_kdc_proxy_settings_size_counts_a_character_outside_the_bmp_as_four_bytes():
    settings = SecPkgCredentials_KdcProxySettings(1, 0, ASTRAL, "cert\U00010348")
    units = len(ASTRAL.encode("utf-16-le")) + len("cert\U00010348".encode("utf-16-le"))
    assert settings.size == 16 + units == 16 + 2 * (len(ASTRAL) + 1) + 2 * (len("cert\U00010348") + 1)
    assert len(settings.to_bytes()) == settings.size
    assert SecPkgCredentials_KdcProxySettings.from_bytes(settings.to_bytes()) == settings


def test_set_and_query_ex_need_room_for_both_units_of_a_surrogate_pair():
    sspi = Sspi(default_world())
    kerberos = acquire(sspi, "Kerberos", SECPKG_CRED_OUTBOUND)
    settings = SecPkgCredentials_KdcProxySettings(1, 0, ASTRAL)
    one_unit_short = 16 + 2 * len(ASTRAL)
    with pytest.raises(ContractError, match=r"parameter cbBuffer") as info:
        sspi.SetCredentialsAttributesW(
            phCredential=kerberos, ulAttribute=SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, pBuffer=settings,
            cbBuffer=one_unit_short,
        )
    assert info.value.parameter == "cbBuffer"
    r = sspi.SetCredentialsAttributesW(
        phCredential=kerberos, ulAttribute=SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, pBuffer=settings, cbBuffer=one_unit_short + 2
    )
    assert r.status.name == "SEC_E_OK"
    r = sspi.QueryCredentialsAttributesExW(
        phCredential=kerberos, ulAttribute=SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, pBuffer=Ref(), cbBuffer=one_unit_short
    )
    assert r.status.name == "SEC_E_BUFFER_TOO_SMALL"
    r = sspi.QueryCredentialsAttributesExW(
        phCredential=kerberos, ulAttribute=SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, pBuffer=Ref(), cbBuffer=one_unit_short + 2
    )
    assert r.status.name == "SEC_E_OK" and r.pBuffer == settings


def test_kdc_proxy_settings_with_an_unpaired_surrogate_are_laid_out_as_the_one_unit_it_is():
    settings = SecPkgCredentials_KdcProxySettings(1, 0, "kdc\ud800")
    data = settings.to_bytes()
    assert settings.size == len(data) == 16 + 8
    assert SecPkgCredentials_KdcProxySettings.from_bytes(data) == settings


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        (SecPkgCredentials_KdcProxySettings(1, 0, 5), "ProxyServer must be a string or None"),  # type: ignore[arg-type]
        (SecPkgCredentials_KdcProxySettings(1, 0, "kdc", b"cert"), "ClientTlsCred must be a string or None"),  # type: ignore[arg-type]
        (SecPkgCredentials_KdcProxySettings("1", 0, "kdc"), "Version must be a ULONG"),  # type: ignore[arg-type]
        (SecPkgCredentials_KdcProxySettings(1, 0, "k" * 40_000), "holds at most 65535"),
        # each string fits, but the second would start past a USHORT offset
        (SecPkgCredentials_KdcProxySettings(1, 0, "p" * 32_767, "t" * 10), "ClientTlsCredOffset (a USHORT)"),
    ],
    ids=["int-string", "bytes-string", "str-version", "too-long", "offset-too-far"],
)
def test_malformed_kdc_proxy_settings_are_refused_naming_pbuffer(settings, words):
    # Was: TypeError from len() in SecPkgCredentials_KdcProxySettings.size, or accepted as given.
    sspi = Sspi(default_world())
    kerberos = acquire(sspi, "Kerberos", SECPKG_CRED_OUTBOUND)
    with pytest.raises(ContractError, match="parameter pBuffer") as info:
        sspi.SetCredentialsAttributesW(
            phCredential=kerberos, ulAttribute=SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, pBuffer=settings, cbBuffer=0x20000
        )
    assert words in str(info.value)


# -- 3. no identity the family builds holds an unpaired surrogate ------------------------------------

UNPAIRED = ["a\ud800", "a\ud800b", "\udc00a", "a\ude00\ud83d"]


def _refused(sspi: Sspi, function: str, parameter: str, **kwargs: object) -> ContractError:
    allocations = dict(sspi.process.allocations)
    with pytest.raises(ContractError) as info:
        getattr(sspi, function)(**kwargs)
    error = info.value
    assert error.function == function and error.parameter == parameter, str(error)
    assert "unpaired surrogate" in str(error) and "interpretation" in str(error)
    assert sspi.process.allocations == allocations, "a refused call allocated memory"
    return error


@pytest.mark.parametrize("text", UNPAIRED)
@pytest.mark.parametrize("parameter", ["pszUserName", "pszDomainName", "pszPackedCredentialsString"])
def test_encode_strings_refuses_an_unpaired_surrogate_its_readers_would_refuse(parameter, text):
    # Was: SEC_E_OK, then SspiEncodeAuthIdentityAsStrings / SspiMarshalAuthIdentity refused the identity.
    sspi = Sspi(default_world())
    strings = {"pszUserName": "alice", "pszDomainName": "CONTOSO", "pszPackedCredentialsString": "Passw0rd!alice"}
    strings[parameter] = text
    error = _refused(sspi, "SspiEncodeStringsAsAuthIdentity", parameter, **strings)
    assert "U+D" in error.problem


def test_encode_strings_accepts_a_surrogate_pair_and_reads_it_back():
    sspi = Sspi(default_world())
    user = "al\U0001f600ce"
    r = sspi.SspiEncodeStringsAsAuthIdentity(pszUserName=user, pszDomainName="CONTOSO", pszPackedCredentialsString="p\U00010348")
    assert r.status.name == "SEC_E_OK"
    back = sspi.SspiEncodeAuthIdentityAsStrings(pAuthIdentity=r.ppAuthIdentity)
    assert back.ppszUserName == user and back.ppszPackedCredentialsString == "p\U00010348"
    marshalled = sspi.SspiMarshalAuthIdentity(AuthIdentity=r.ppAuthIdentity)
    assert marshalled.status.name == "SEC_E_OK"
    assert sspi.SspiUnmarshalAuthIdentity(
        AuthIdentityLength=marshalled.AuthIdentityLength, AuthIdentityByteArray=marshalled.AuthIdentityByteArray
    ).status.name == "SEC_E_OK"


def test_the_refusal_is_a_rule_whose_reason_is_an_interpretation():
    for function, rule_id in [
        ("SspiEncodeStringsAsAuthIdentity", "esai.unpaired_surrogate"),
        ("SspiCopyAuthIdentity", "cai.unpaired_surrogate"),
        ("SspiMarshalAuthIdentity", "mai.unpaired_surrogate"),
        ("SspiExcludePackage", "xp.unpaired_surrogate"),
        ("SspiPromptForCredentialsW", "pfcw.unpaired_surrogate"),
    ]:
        rule = next(r for r in rules_for(function) if r.id == rule_id)
        assert rule.status == CONTRACT_ERROR, rule.status
        assert any(getattr(b, "kind", "") == "interpretation" for b in rule.bases()), rule_id


CALLER_IDENTITIES = [
    SecWinntAuthIdentity(User="al\ud800ice", Password="p", Domain="CONTOSO"),
    SecWinntAuthIdentity(User="alice", Password="p\udc00", Domain="CONTOSO"),
    SecWinntAuthIdentity(User="alice", Password="p", Domain="CON\ud800TOSO"),
    SecWinntAuthIdentityExW(User="alice", Password="p", PackageList="NTLM,\ud800"),
]
IDS = ["user", "password", "domain", "package-list"]


@pytest.mark.parametrize("identity", CALLER_IDENTITIES, ids=IDS)
@pytest.mark.parametrize(
    ("function", "parameter", "extra"),
    [
        ("SspiCopyAuthIdentity", "AuthData", {}),
        ("SspiMarshalAuthIdentity", "AuthIdentity", {}),
        ("SspiExcludePackage", "AuthIdentity", {"pszPackageName": "Kerberos"}),
    ],
)
def test_an_identity_built_from_a_caller_structure_holding_an_unpaired_surrogate_is_refused(
    identity, function, parameter, extra
):
    # Was: SEC_E_OK and an identity (or marshalled bytes) that SspiEncodeAuthIdentityAsStrings,
    # SspiMarshalAuthIdentity and SspiUnmarshalAuthIdentity then refused as not UTF-16LE text.
    _refused(Sspi(default_world()), function, parameter, **{parameter: identity, **extra})


def test_excluding_a_package_whose_name_holds_an_unpaired_surrogate_names_the_package():
    identity = SecWinntAuthIdentity(User="alice", Password="p")
    _refused(Sspi(default_world()), "SspiExcludePackage", "pszPackageName", AuthIdentity=identity, pszPackageName="NT\udc00LM")


def test_a_caller_structure_holding_an_unpaired_surrogate_is_still_read_where_nothing_is_built():
    # Reading is not building: the strings come back as given, and AcquireCredentialsHandle takes them.
    sspi = Sspi(default_world())
    identity = SecWinntAuthIdentity(User="alice", Password="p\ud800", Domain="CONTOSO")
    r = sspi.SspiEncodeAuthIdentityAsStrings(pAuthIdentity=identity)
    assert r.status.name == "SEC_E_OK" and r.ppszPackedCredentialsString == "p\ud800"
    assert sspi.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pAuthData=identity).status.name == "SEC_E_OK"


def _prompt(world, **over: object):
    world.prompts.user.submit("Passw0rd!alice", "alice", "CONTOSO")
    sspi = Sspi(world, 100)
    args: dict[str, object] = dict(
        pszTargetName="host/files.contoso.com", pUiInfo=CredUiInfo(), dwAuthError=0, pszPackage="NTLM", dwFlags=0
    )
    args.update(over)
    return sspi, args


@pytest.mark.parametrize(
    ("over", "parameter"),
    [
        ({"pInputAuthIdentity": SecWinntAuthIdentity(User="a\ud800", Password="p")}, "pInputAuthIdentity"),
        ({"pszTargetName": "host/files\udc00"}, "pszTargetName"),
        ({"pUiInfo": CredUiInfo(pszCaptionText="Sign in\ud800")}, "pUiInfo"),
        ({"pUiInfo": CredUiInfo(pszMessageText="\udc00")}, "pUiInfo"),
    ],
    ids=["input-identity", "target", "caption", "message"],
)
def test_a_prompt_keeps_no_context_its_unmarshal_would_refuse(over, parameter):
    # Was: SEC_E_OK, then SspiUnmarshalCredUIContext refused the prompt's context ("not UTF-16LE text").
    world = default_world()
    sspi, args = _prompt(world, **over)
    _refused(sspi, "SspiPromptForCredentialsW", parameter, **args)
    assert world.prompts.user.shown == []  # no dialog


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        ({"password": "p\ud800"}, ValueError, "password holds an unpaired surrogate (U+D800 at UTF-16 unit 1)"),
        ({"password": "p", "user": "\udc00alice"}, ValueError, "user holds an unpaired surrogate"),
        ({"password": "p", "domain": "CON\ud800"}, ValueError, "domain holds an unpaired surrogate"),
        ({"password": "x" * 32_768}, ValueError, "password is 65536 bytes in UTF-16"),
        ({"password": 5}, TypeError, "password must be a string, got int"),
    ],
    ids=["password", "user", "domain", "too-long", "not-a-string"],
)
def test_the_scripted_user_cannot_type_what_the_prompt_could_not_hand_back(answer, error, words):
    # Was: accepted, then the prompt returned an identity its readers refused (or raised ValueError or
    # AttributeError from packing it).
    world = default_world()
    with pytest.raises(error) as info:
        world.prompts.user.submit(**answer)
    assert words in str(info.value)
    assert not world.prompts.user.answers


# -- 4. a callback that raises inside run_pending ----------------------------------------------------


class CallerBug(Exception):
    pass


def _queue_three(callback):
    world = default_world()
    world.caller_mode = CallerMode.KERNEL
    sspi = Sspi(world, 4)
    contexts, creds = [], []
    for data in ("a", "b", "c"):
        ctx = sspi.SspiCreateAsyncContext().value
        sspi.SspiSetAsyncNotifyCallback(Context=ctx, Callback=callback, CallbackData=data)
        cred = Ref()
        r = sspi.SspiAcquireCredentialsHandleAsyncW(
            AsyncContext=ctx, pszPrincipal="", pszPackage="NTLM", fCredentialUse=SECPKG_CRED_INBOUND, pvLogonId=None,
            pAuthData=SecWinntAuthIdentity(User="websvc", Password="Svc!web-2024", Domain="CONTOSO"), pGetKeyFn=lambda *_: None, pvGetKeyArgument=0, phCredential=cred, ptsExpiry=Ref(),
        )
        assert r.status.name == "SEC_E_OK"
        contexts.append(ctx)
        creds.append(cred)
    return world, sspi, contexts, creds


def _states(sspi, contexts):
    return [sspi.SspiGetAsyncCallStatus(Handle=ctx).status.name for ctx in contexts]


@pytest.mark.parametrize("limit", [None, 2])
def test_a_callback_that_raises_propagates_and_nothing_is_lost(limit):
    seen: list[str] = []
    raised: list[CallerBug] = []

    def callback(handle, data):
        seen.append(data)
        if data == "b":
            raised.append(CallerBug("the caller's own bug"))
            raise raised[-1]

    world, sspi, contexts, creds = _queue_three(callback)
    with pytest.raises(CallerBug) as info:
        world.run_pending(limit)
    # The caller's exception, not a wrapper, with a note saying where the queue stands.
    assert info.value is raised[0]
    assert info.value.__notes__ == [
        "world.run_pending(): raised by queued item 2 of this call, which counts as delivered; "
        "1 item still queued, for the next run_pending()"
    ]
    # The completion whose callback raised was delivered: its state stays, its callback ran once.
    assert seen == ["a", "b"]
    assert _states(sspi, contexts) == ["SEC_E_OK", "SEC_E_OK", "SEC_I_ASYNC_CALL_PENDING"]
    assert creds[0].value is not None and creds[1].value is not None and creds[2].value is None
    # What was not delivered stays queued, and the next run delivers it (and nothing twice).
    assert len(world.pending) == 1
    assert world.run_pending() == 1
    assert seen == ["a", "b", "c"] and creds[2].value is not None
    assert _states(sspi, contexts) == ["SEC_E_OK", "SEC_E_OK", "SEC_E_OK"]
    assert world.run_pending() == 0 and seen == ["a", "b", "c"]



def test_hexdump_lines_wider_than_the_kept_edges_show_the_buffer_whole():
    # Was: the whole buffer on one line, then a "0 bytes left out" line with its offsets reversed.
    from sspimodel.model.bytes_text import hexdump as dump

    text = dump(bytes(range(256)) * 17, width=5000)  # 4,352 bytes, more than SHOWN_IN_FULL
    assert "left out" not in text and text.count("\n") == 0
    assert len(text.rsplit("  ", 1)[1]) == 17 * 256  # the text column: every byte, once
