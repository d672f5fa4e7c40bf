"""Library displays: statuses by name, flags by name, tokens as hexdumps, parameters by direction."""

from __future__ import annotations

from sspimodel import Status
from sspimodel.api import Sspi
from sspimodel.display import AsyncOutcome, Flags, flag_names, hexdump, result_text
from sspimodel.model import AuthIdentity, CallerMode, Ref, SecBuffer, SecBufferDesc, default_world
from sspimodel.model.constants import (
    ISC_RET_CONFIDENTIALITY,
    ISC_RET_INTEGRITY,
    SECBUFFER_TOKEN,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
)
from sspimodel.model.drive import Routine, acquire


def test_a_status_prints_by_name_with_its_value():
    s = Status.SEC_E_MESSAGE_ALTERED
    assert str(s) == "SEC_E_MESSAGE_ALTERED (0x8009030F)"
    assert repr(s) == "<Status.SEC_E_MESSAGE_ALTERED: 0x8009030F>"
    assert f"{s}" == str(s) and f"{s:08X}" == "8009030F"
    assert s == 0x8009030F and int(s) == 2148074255  # still the number C compares against


def test_flags_decode_by_name_and_keep_unnamed_bits():
    value = ISC_RET_CONFIDENTIALITY | ISC_RET_INTEGRITY | 0x40000000
    names = flag_names(value, "ISC_RET_")
    assert names[:2] == ["ISC_RET_CONFIDENTIALITY", "ISC_RET_INTEGRITY"] and names[-1] == "0x40000000"
    flags = Flags(ISC_RET_CONFIDENTIALITY, "ISC_RET_")
    assert flags == ISC_RET_CONFIDENTIALITY and repr(flags) == "ISC_RET_CONFIDENTIALITY (0x00000010)"
    assert repr(Flags(0, "ASC_RET_")) == "no ASC_RET_* flag (0x00000000)"
    assert "SECPKG_FLAG_INTEGRITY" in flag_names(0x1, "SECPKG_FLAG_")


def test_hexdump_wraps_sixteen_bytes_a_line():
    dump = hexdump(bytes(range(40)))
    lines = dump.splitlines()
    assert len(lines) == 3 and lines[0].startswith("0000  00 01 02") and lines[2].startswith("0020  20 21")
    assert max(len(line) for line in lines) <= 6 + 16 * 3 + 1 + 16
    assert hexdump(b"") == "(empty)"


def test_a_result_decodes_its_context_attributes_and_dumps_its_token():
    world = default_world()
    cli = Sspi(world)
    out = SecBufferDesc.output(4096)
    r = cli.InitializeSecurityContextW(
        phCredential=acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND), phContext=None, pTargetName="HTTP/web.contoso.com",
        fContextReq=0, Reserved1=0, TargetDataRep=0x10, pInput=None, Reserved2=0, pOutput=out,
    )
    text = result_text("InitializeSecurityContextW", r)
    assert "pfContextAttr = no ISC_RET_* flag (0x00000000)" in text
    assert "SecBuffer(SECBUFFER_TOKEN" in text and "0000  4e 54 4c 4d 53 53 50 00 01" in text  # "NTLMSSP\0", NEGOTIATE
    assert "b'" not in text  # no raw bytes literal running off the page
    assert all(len(line) < 100 for line in text.splitlines())


def test_async_results_list_inputs_as_inputs():
    world = default_world()
    world.caller_mode = CallerMode.KERNEL
    sspi = Sspi(world, 4)
    ctx = sspi.SspiCreateAsyncContext().value
    done = Routine("done")
    sspi.SspiSetAsyncNotifyCallback(Context=ctx, Callback=done, CallbackData=None)
    queued = sspi.SspiAcquireCredentialsHandleAsyncW(
        AsyncContext=ctx, pszPrincipal="", pszPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pvLogonId=None,
        pAuthData=AuthIdentity(User="alice", Domain="CONTOSO", Password="Passw0rd!alice"),
        pGetKeyFn=Routine("get_key"), pvGetKeyArgument=0, phCredential=Ref(), ptsExpiry=Ref(),
    )
    text = repr(queued)
    ins, _, outs = text.partition("out parameters:")
    assert "in parameters:" in ins and "pszPackage = 'NTLM'" in ins and "pGetKeyFn = get_key" in ins
    assert "pszPackage" not in outs and "pGetKeyFn" not in outs and "phCredential" in outs
    world.run_pending()
    final = sspi.SspiGetAsyncCallStatus(Handle=ctx)
    outcome = repr(AsyncOutcome(sspi, queued, final))
    assert outcome.startswith("SspiAcquireCredentialsHandleAsyncW -> SEC_E_OK (0x00000000), as SspiGetAsyncCallStatus")
    assert "rule the queued work applied" in outcome and "ach.ok" in outcome
    assert len(done.calls) == 1 and repr(done) == "done"


def test_buffers_show_a_hexdump_in_notebooks():
    class Printer:
        def __init__(self):
            self.out = ""

        def text(self, s):
            self.out += s

    p = Printer()
    SecBuffer(SECBUFFER_TOKEN, b"NTLMSSP\x00" * 3)._repr_pretty_(p, False)
    assert p.out.splitlines()[1].strip().startswith("0000  4e 54 4c 4d")
    assert "<pre>" in SecBufferDesc.token(b"abc")._repr_html_()
    _ = SECPKG_CRED_INBOUND


def test_package_info_shows_its_capabilities_by_name():
    sspi = Sspi(default_world())
    text = repr(sspi.QuerySecurityPackageInfoW(pPackageName="NTLM"))
    assert "SecPkgInfo(Name='NTLM', wVersion=1, wRPCID=10, cbMaxToken=2888)" in text
    assert "SECPKG_FLAG_INTEGRITY" in text and "fCapabilities = 0x" in text
    assert "fCapabilities=11063" not in text
