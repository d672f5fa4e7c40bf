"""The model under the observed contract against what Windows does.

Each case of tests/data/windows_behaviour.yaml (facts from conformance tests that run on real
Windows, with the test function each comes from) runs against ``Sspi(world,
contract="observed")``. A case the model cannot run names why in the data and is reported as
a skip with that reason; every other case must agree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sspimodel.api import Sspi
from sspimodel.codegen import load_constants
from sspimodel.model import AuthIdentity, Ref, SecBuffer, SecBufferDesc, default_world
from sspimodel.model.constants import (
    SECBUFFER_DATA,
    SECBUFFER_TOKEN,
    SECPKG_ATTR_NEGOTIATION_INFO,
    SECPKG_ATTR_SESSION_KEY,
    SECPKG_ATTR_SIZES,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
    SECPKG_NEGOTIATION_COMPLETE,
    SECURITY_NATIVE_DREP,
)
from sspimodel.model.drive import handshake

DATA = Path(__file__).parent / "data" / "windows_behaviour.yaml"
SPEC = yaml.safe_load(DATA.read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = SPEC["cases"]
CONSTANTS = {name: c.value for name, c in load_constants().items()}
CONSTANTS["SECPKG_NEGOTIATION_COMPLETE"] = SECPKG_NEGOTIATION_COMPLETE
SECPKG_ATTR_KEY_INFO = CONSTANTS["SECPKG_ATTR_KEY_INFO"]
SECPKG_ATTR_STREAM_SIZES = CONSTANTS["SECPKG_ATTR_STREAM_SIZES"]
MESSAGE = b"Hello, world!"
HEADER = b"Header Test"
UNTOUCHED = object()  # what an out-parameter holds when the call did not write it


def number(expr: Any) -> int:
    """A value of the data: an int, a constant name, a capability set, or an OR of those."""
    if isinstance(expr, int):
        return expr
    total = 0
    for part in str(expr).split("|"):
        part = part.strip()
        if part in SPEC["capability_sets"]:
            for flag in SPEC["capability_sets"][part]:
                total |= CONSTANTS[flag]
        else:
            total |= CONSTANTS[part]
    return total


def identity(name: str | None) -> AuthIdentity | None:
    if name is None:
        return None
    fields = SPEC["identities"][name]
    return AuthIdentity(User=fields["User"], Domain=fields["Domain"], Password=fields["Password"])


def observed_pair() -> tuple[Any, Sspi, Sspi]:
    world = default_world()
    return world, Sspi(world, 100, contract="observed"), Sspi(world, 200, contract="observed")


def status(result: Any) -> str:
    return result.status.name


def check_package_info(info: Any, expect: dict[str, Any]) -> None:
    caps = info.fCapabilities
    for flag in expect.get("fCapabilities_without", ()):
        caps &= ~CONSTANTS[flag]
    if "fCapabilities_one_of" in expect:
        allowed = [number(e) for e in expect["fCapabilities_one_of"]]
        assert caps in allowed, f"fCapabilities 0x{caps:08x} not one of {[hex(a) for a in allowed]}"
    for key in ("wVersion", "wRPCID", "Name", "Comment"):
        if key in expect:
            assert getattr(info, key) == expect[key], key
    if "cbMaxToken_at_least" in expect:
        assert info.cbMaxToken >= expect["cbMaxToken_at_least"]


# -- runners: one per kind of case -------------------------------------------------------------


def run_enumerate(given: dict[str, Any], expect: dict[str, Any]) -> None:
    _world, cli, _srv = observed_pair()
    count, info = Ref(), Ref()  # &num_packages, &pkg_info (the A page tags both [in])
    r = cli.EnumerateSecurityPackagesA(pcPackages=count, ppPackageInfo=info)
    assert status(r) in expect["status"]
    assert count.value >= expect["count_at_least"]
    assert (info.value is not None) == expect["info_written"]


def run_query_package(given: dict[str, Any], expect: dict[str, Any]) -> None:
    _world, cli, _srv = observed_pair()
    r = cli.QuerySecurityPackageInfoA(pszPackageName=given["package"])
    assert status(r) in expect["status"]
    if "info_written" in expect:
        assert (r.ppPackageInfo is not None) == expect["info_written"]
    if status(r) == "SEC_E_OK":
        check_package_info(r.ppPackageInfo, expect)
        if "free_status" in expect:
            assert status(cli.FreeContextBuffer(pvContextBuffer=r.ppPackageInfo)) == expect["free_status"]


def run_acquire(given: dict[str, Any], expect: dict[str, Any]) -> None:
    _world, cli, _srv = observed_pair()
    function = given["function"]
    package = "pszPackage" if function.endswith("A") else "pPackage"
    auth = None
    if "identity" in given:
        f = given["identity"]
        auth = AuthIdentity(User=f["User"], Domain=f["Domain"], Password=f["Password"])
    r = getattr(cli, function)(
        **{package: given["package"]}, fCredentialUse=CONSTANTS[given["use"]], pAuthData=auth
    )
    assert status(r) in expect["status"]
    if "free_status" in expect:
        assert status(cli.FreeCredentialsHandle(phCredential=r.phCredential)) == expect["free_status"]


def _acquire_pair(cli: Sspi, srv: Sspi, given: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    client = cli.AcquireCredentialsHandleA(
        pszPackage=given["package"],
        fCredentialUse=SECPKG_CRED_OUTBOUND,
        pAuthData=identity(given.get("client_identity")),
    )
    server = srv.AcquireCredentialsHandleA(pszPackage=given["package"], fCredentialUse=SECPKG_CRED_INBOUND)
    return client, server, client.phCredential, server.phCredential


def run_handshake(given: dict[str, Any], expect: dict[str, Any]) -> None:
    _world, cli, srv = observed_pair()
    client, server, ccred, scred = _acquire_pair(cli, srv, given)
    assert status(client) in expect["acquire_status"] and status(server) in expect["acquire_status"]
    hs = handshake(
        cli,
        srv,
        given["package"],
        target=None,
        client_req=number(given["client_req"]),
        server_req=number(given["server_req"]),
        client_cred=ccred,
        server_cred=scred,
    )
    client_steps = [s for f, s in hs.steps if f.startswith("InitializeSecurityContext")]
    server_steps = [s for f, s in hs.steps if f == "AcceptSecurityContext"]
    assert client_steps and server_steps, hs.steps
    assert set(client_steps) <= set(expect["client_status"]), hs.steps
    assert set(server_steps) <= set(expect["server_status"]), hs.steps
    if "client_final" in expect:
        assert client_steps[-1] == expect["client_final"], hs.steps
    for sspi, ctx in ((cli, hs.client_ctx), (srv, hs.server_ctx)):
        if ctx is not None:
            assert status(sspi.DeleteSecurityContext(phContext=ctx)) == expect["delete_status"]
    assert status(cli.FreeCredentialsHandle(phCredential=ccred)) == expect["free_status"]
    assert status(srv.FreeCredentialsHandle(phCredential=scred)) == expect["free_status"]


def run_context_after_handshake(given: dict[str, Any], expect: dict[str, Any]) -> None:
    _world, cli, srv = observed_pair()
    _client, _server, ccred, scred = _acquire_pair(cli, srv, given)
    hs = handshake(cli, srv, given["package"], target=None, client_cred=ccred, server_cred=scred)
    client_steps = [s for f, s in hs.steps if f.startswith("InitializeSecurityContext")]
    assert client_steps[-1] == "SEC_E_OK", hs.steps  # the test queries only an established client
    ctx = hs.client_ctx

    def query(attribute: int) -> Any:
        return cli.QueryContextAttributesA(phContext=ctx, ulAttribute=attribute)

    if "sizes" in expect:
        r = query(SECPKG_ATTR_SIZES)
        assert status(r) == "SEC_E_OK"
        for field, allowed in expect["sizes"].items():
            assert getattr(r.pBuffer, field) in allowed, f"{field} = {getattr(r.pBuffer, field)}"
    if "stream_sizes_status" in expect:
        assert status(query(SECPKG_ATTR_STREAM_SIZES)) == expect["stream_sizes_status"]
    if "key_info" in expect:
        r = query(SECPKG_ATTR_KEY_INFO)
        assert status(r) == "SEC_E_OK"
        for field, value in expect["key_info"].items():
            assert getattr(r.pBuffer, field) == value, f"{field} = {getattr(r.pBuffer, field)!r}"
    if "session_key_status" in expect:
        r = query(SECPKG_ATTR_SESSION_KEY)
        assert status(r) == expect["session_key_status"]
        assert (r.pBuffer.SessionKeyLength > 0) == expect["session_key_nonempty"]
    if "negotiation_info" in expect:
        want = expect["negotiation_info"]
        r = query(SECPKG_ATTR_NEGOTIATION_INFO)
        assert status(r) == "SEC_E_OK"
        assert r.pBuffer.NegotiationState == number(want["NegotiationState"])
        check_package_info(r.pBuffer.PackageInfo, want)
        if "free_status" in want:
            assert status(cli.FreeContextBuffer(pvContextBuffer=r.pBuffer.PackageInfo)) == want["free_status"]


def run_isc_first(given: dict[str, Any], expect: dict[str, Any]) -> None:
    _world, cli, _srv = observed_pair()
    acquired = cli.AcquireCredentialsHandleA(
        pszPackage=given["package"],
        fCredentialUse=SECPKG_CRED_OUTBOUND,
        pAuthData=identity(given.get("client_identity")),
    )
    if "acquire_status" in expect:
        assert status(acquired) in expect["acquire_status"]
    max_token = cli.QuerySecurityPackageInfoA(pszPackageName=given["package"]).ppPackageInfo.cbMaxToken
    output = {
        "NULL": None,
        "zero_size": SecBufferDesc([SecBuffer.empty(SECBUFFER_TOKEN, 0)]),
        "data_type": SecBufferDesc([SecBuffer.empty(SECBUFFER_DATA, max_token)]),
        "max_token": SecBufferDesc([SecBuffer.empty(SECBUFFER_TOKEN, max_token)]),
    }[given["output"]]
    target = given.get("target")
    if target == "OWN_SAM_NAME":  # GetUserNameExA(NameSamCompatible) of the calling process
        target = cli.world.sessions[cli.process.luid].account
    r = cli.InitializeSecurityContextA(
        phCredential=acquired.phCredential,
        pszTargetName=target,
        fContextReq=number(given["req"]),
        Reserved1=0,
        TargetDataRep=SECURITY_NATIVE_DREP,
        Reserved2=0,
        pOutput=output,
    )
    assert status(r) in expect["status"], r
    if output is not None and "cbBuffer_after" in expect:
        assert output.pBuffers[0].cbBuffer == expect["cbBuffer_after"]
    if "buffer_type_after" in expect:
        assert output is not None and output.pBuffers[0].BufferType == CONSTANTS[expect["buffer_type_after"]]
    if expect.get("cbBuffer_below_max_token"):
        assert output is not None and 0 < output.pBuffers[0].cbBuffer < max_token
    if "delete_status" in expect:
        assert status(cli.DeleteSecurityContext(phContext=r.phNewContext)) == expect["delete_status"]


def run_negotiate_flags(given: dict[str, Any], expect: dict[str, Any]) -> None:
    """The SIGN (0x10) and SEAL (0x20) bits of byte 12 of the NTLM NEGOTIATE message per request."""
    _world, cli, _srv = observed_pair()
    cred = cli.AcquireCredentialsHandleA(
        pszPackage=given["package"], fCredentialUse=SECPKG_CRED_OUTBOUND, pAuthData=identity(given["client_identity"])
    ).phCredential
    for group, bits in (("sign", 0x10), ("seal", 0x20), ("neither", 0)):
        for req in expect[group]:
            out = SecBufferDesc([SecBuffer.empty(SECBUFFER_TOKEN, 4096)])
            r = cli.InitializeSecurityContextA(
                phCredential=cred, pszTargetName=None, fContextReq=number(req), Reserved1=0,
                TargetDataRep=SECURITY_NATIVE_DREP, Reserved2=0, pOutput=out,
            )
            assert status(r) == "SEC_I_CONTINUE_NEEDED", (req, r)
            token = out.pBuffers[0].contents
            assert token[:8] == b"NTLMSSP\x00" and token[12] & 0x30 == bits, (req, hex(token[12]))


def run_two_contexts(given: dict[str, Any], expect: dict[str, Any]) -> None:
    _world, cli, _srv = observed_pair()
    cred = cli.AcquireCredentialsHandleA(
        pszPackage=given["package"],
        fCredentialUse=SECPKG_CRED_OUTBOUND,
        pAuthData=identity(given["client_identity"]),
    ).phCredential
    contexts = []
    for _ in range(2):
        r = cli.InitializeSecurityContextA(
            phCredential=cred,
            fContextReq=number(given["req"]),
            Reserved1=0,
            TargetDataRep=SECURITY_NATIVE_DREP,
            Reserved2=0,
            pOutput=SecBufferDesc.output(2888),
        )
        assert status(r) in expect["status"]
        contexts.append(r.phNewContext)
    for ctx in contexts:
        assert status(cli.DeleteSecurityContext(phContext=ctx)) == expect["delete_status"]
    assert status(cli.FreeCredentialsHandle(phCredential=cred)) == expect["free_status"]


def _message(*parts: tuple[int, bytes | None, int]) -> SecBufferDesc:
    return SecBufferDesc([SecBuffer(kind, data, size) for kind, data, size in parts])


def run_messages(given: dict[str, Any], expect: dict[str, Any]) -> None:
    _world, cli, srv = observed_pair()
    hs = handshake(cli, srv, given["package"], target=None, client_req=number(given["client_req"]))
    assert hs.established, hs.steps
    c, s = hs.client_ctx, hs.server_ctx
    step = given["step"]
    readonly = SECBUFFER_DATA | CONSTANTS["SECBUFFER_READONLY_WITH_CHECKSUM"]

    def signed(altered: bool = False) -> SecBufferDesc:
        msg = SecBufferDesc.message(MESSAGE)
        assert status(cli.MakeSignature(phContext=c, fQOP=0, pMessage=msg, MessageSeqNo=0)) == "SEC_E_OK"
        if altered:  # the test hands back a signature that is not the one made for the data
            signature = bytearray(msg.pBuffers[0].contents)
            signature[-1] ^= 0xFF
            msg.pBuffers[0].pvBuffer = bytes(signature)
        return msg

    if step == "sign_two_data_buffers":
        msg = _message((SECBUFFER_DATA, bytes(16), 16), (SECBUFFER_DATA, MESSAGE, len(MESSAGE)))
        results = [cli.MakeSignature(phContext=c, fQOP=0, pMessage=msg, MessageSeqNo=0)]
    elif step == "sign":
        results = [
            cli.MakeSignature(phContext=c, fQOP=0, pMessage=SecBufferDesc.message(MESSAGE), MessageSeqNo=0)
        ]
    elif step in ("verify", "verify_altered"):
        results = [
            srv.VerifySignature(phContext=s, pMessage=signed(step == "verify_altered"), MessageSeqNo=0)
        ]
    elif step == "encrypt":
        results = [
            cli.EncryptMessage(phContext=c, fQOP=0, pMessage=SecBufferDesc.message(MESSAGE), MessageSeqNo=0)
        ]
    elif step == "decrypt":
        msg = SecBufferDesc.message(MESSAGE)
        assert status(cli.EncryptMessage(phContext=c, fQOP=0, pMessage=msg, MessageSeqNo=0)) == "SEC_E_OK"
        results = [srv.DecryptMessage(phContext=s, pMessage=msg, MessageSeqNo=0)]
        assert msg.pBuffers[1].contents == MESSAGE
    elif step == "readonly_with_checksum":

        def four() -> SecBufferDesc:
            return _message(
                (readonly, HEADER, len(HEADER)),
                (SECBUFFER_DATA, MESSAGE, len(MESSAGE)),
                (readonly, HEADER, len(HEADER)),
                (SECBUFFER_TOKEN, None, 128),
            )

        msg = four()
        results = [cli.MakeSignature(phContext=c, fQOP=0, pMessage=msg, MessageSeqNo=0)]
        results.append(srv.VerifySignature(phContext=s, pMessage=msg, MessageSeqNo=0))
        sealed = four()
        results.append(cli.EncryptMessage(phContext=c, fQOP=0, pMessage=sealed, MessageSeqNo=0))
        results.append(srv.DecryptMessage(phContext=s, pMessage=sealed, MessageSeqNo=0))
    else:  # pragma: no cover - a step the data names and this runner does not know
        raise AssertionError(f"unknown step {step!r}")
    for r in results:
        assert status(r) in expect["status"], r
    if "qop_written" in expect:
        assert (results[-1].pfQOP is not None) == expect["qop_written"], results[-1]


RUNNERS = {
    "enumerate": run_enumerate,
    "query_package": run_query_package,
    "acquire": run_acquire,
    "handshake": run_handshake,
    "context_after_handshake": run_context_after_handshake,
    "isc_first": run_isc_first,
    "two_contexts": run_two_contexts,
    "negotiate_flags": run_negotiate_flags,
    "messages": run_messages,
}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_model_agrees_with_windows(case: dict[str, Any]) -> None:
    if "cannot" in case:
        pytest.skip(f"{case['source']}: the model cannot run this case: {' '.join(case['cannot'].split())}")
    RUNNERS[case["run"]](case.get("given", {}), case["expect"])


def test_every_case_names_its_windows_run_test_and_runs_or_says_why_not():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    files = ("main.c", "negotiate.c", "secur32.c", "ntlm.c")
    for case in CASES:
        assert case["source"].split()[0] in files, case["id"]
        assert len(case["source"].split()) >= 2, f"{case['id']}: name the test function"
        assert case["run"] in RUNNERS or "cannot" in case, case["id"]
        assert "expect" in case, case["id"]
