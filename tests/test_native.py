"""The native backend against a real SSPI: sspi-rs (bundled by the sspilib wheel) on Linux.

Skipped when no native library is found. Tests marked ``sspi_rs`` pin down what sspi-rs (as bundled
by sspilib 0.6.0) was observed to return; each says whether the page documents that status. They
are the facts the conformance scenarios build on: when a new sspi-rs changes one of them, the test
fails and the fact has to be observed again. Calls that can crash the process (forged handles, a
Rust panic inside the library) run in a child process.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from sspimodel.native import loader
from sspimodel.native import structs as S
from sspimodel.native.backend import (
    SECBUFFER_DATA,
    SECBUFFER_TOKEN,
    AuthIdentity,
    ContextSizes,
    NativeArgumentError,
    NativeHandle,
    NativeSspi,
    UnknownHandleError,
)
from sspimodel.native.handshake import (
    DEFAULT_ASC_REQ,
    DEFAULT_ISC_REQ,
    ISC_REQ_ALLOCATE_MEMORY,
    Handshake,
    Leg,
    establish_context,
    release,
)
from sspimodel.native.loader import (
    ENV_VAR,
    KERNEL_MODE_ONLY,
    USER_MODE_FUNCTIONS,
    NativeFunctionUnavailable,
    NativeLibrary,
    NativeLibraryNotFound,
    find_native,
    load_native,
)
from sspimodel.paths import REPO_ROOT
from sspimodel.status import load_catalog

try:
    LIB = load_native()
except NativeLibraryNotFound as exc:  # the `native` extra is not installed
    pytest.skip(f"no native SSPI library: {exc}", allow_module_level=True)

SSPI_RS = LIB.origin.implementation == "sspi-rs"
sspi_rs = pytest.mark.skipif(not SSPI_RS, reason=f"observed facts of sspi-rs; loaded {LIB.origin.describe()}")

_CATALOG = load_catalog()


def st(name: str) -> int:
    """The value of a status by its winerror.h name (spec/data/status.tsv)."""
    return _CATALOG[name].value


def names(value: int) -> tuple[str, ...]:
    return _CATALOG.names_for_value(int(value) & 0xFFFFFFFF)


ALICE = AuthIdentity("alice", "CONTOSO", "Passw0rd!")


def page_documents(function: str, status: int) -> bool | None:
    """Whether the function's page documents ``status`` (compared by value, so an alias such as
    SEC_E_NOT_SUPPORTED counts), from the generated contract; None when that contract is absent."""
    try:
        from sspimodel._generated import CONTRACTS
    except ImportError:
        return None
    contract = CONTRACTS.get(function)
    if contract is None:
        return None
    values = {_CATALOG[n].value for n in contract.returns.documented() if n in _CATALOG}
    return (int(status) & 0xFFFFFFFF) in values


def assert_page(function: str, status: int, *, documented: bool) -> None:
    """Check this file's claim that a page does (or does not) document an observed status."""
    verdict = page_documents(function, status)
    if verdict is not None:
        claim = "documents" if documented else "does not document"
        assert verdict is documented, f"the claim that {function}'s page {claim} {names(status)} is wrong"


@pytest.fixture
def api() -> NativeSspi:
    return NativeSspi(LIB)


@pytest.fixture
def hs(api: NativeSspi) -> Iterator[Handshake]:
    """An established NTLM context pair (client alice, server holding the same identity)."""
    h = establish_context(api, client=ALICE, server=ALICE)
    assert h.established, h.statuses
    yield h
    release(api, h)


# -- child processes --------------------------------------------------------------------------

CHILD_PRELUDE = """
import json
from sspimodel.native import AuthIdentity, NativeHandle, NativeSspi, load_native
from sspimodel.native.handshake import establish_context
api = NativeSspi(load_native(), guard_handles=False)
ALICE = AuthIdentity("alice", "CONTOSO", "Passw0rd!")
def emit(**values):
    print("RESULT " + json.dumps({k: int(v) for k, v in values.items()}), flush=True)
"""


def _no_core_dump() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_child(body: str) -> tuple[int, dict[str, int], str]:
    """Run ``body`` after CHILD_PRELUDE in a fresh interpreter on the same library:
    ``(returncode, values emitted, stderr)``; a negative return code is the signal that killed it."""
    env = dict(os.environ, **{ENV_VAR: LIB.origin.path, "RUST_BACKTRACE": "0"})
    proc = subprocess.run(
        [sys.executable, "-c", CHILD_PRELUDE + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env=env,
        preexec_fn=_no_core_dump,
    )
    values: dict[str, int] = {}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            values.update(json.loads(line[len("RESULT ") :]))
    return proc.returncode, values, proc.stderr


# -- loading ----------------------------------------------------------------------------------


def test_load_native_reports_where_the_library_came_from(record_property: Any) -> None:
    origin = LIB.origin
    record_property("native_origin", origin.describe())
    print(origin.describe())
    assert os.path.isfile(origin.path) or origin.path == "secur32.dll"
    if os.environ.get(ENV_VAR):
        assert origin.found_by == f"environment variable {ENV_VAR}"
    elif sys.platform != "win32":
        assert origin.found_by == "sspilib wheel"
        assert origin.distribution is not None and origin.distribution.startswith("sspilib ")
    assert origin.path in origin.describe() and origin.found_by in origin.describe()


@pytest.mark.skipif(sys.platform == "win32", reason="Linux/macOS calling convention")
def test_the_library_is_called_with_the_c_convention_off_windows() -> None:
    # sspi-rs declares its exports extern "system", the C convention on non-Windows targets.
    assert LIB.origin.convention == "cdecl (CDLL)"
    assert type(LIB.dll) is ctypes.CDLL


def test_explicit_path_and_environment_variable_are_reported_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = load_native(LIB.origin.path)
    assert explicit.origin.found_by == "explicit path"
    assert explicit.origin.implementation == LIB.origin.implementation
    monkeypatch.setenv(ENV_VAR, LIB.origin.path)
    from_env = load_native()
    assert from_env.origin.found_by == f"environment variable {ENV_VAR}"


def test_a_missing_explicit_path_is_named_in_the_error(tmp_path: Any) -> None:
    missing = tmp_path / "libsspi-absent.so"
    with pytest.raises(NativeLibraryNotFound, match=r"explicit path .*libsspi-absent\.so does not exist"):
        load_native(missing)


def test_an_environment_variable_naming_nothing_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nothing.so"))
    with pytest.raises(NativeLibraryNotFound, match=rf"{ENV_VAR}=.*nothing\.so.* does not name an existing file"):
        find_native()


def test_a_file_that_is_not_a_library_fails_to_load_with_its_path(tmp_path: Any) -> None:
    bogus = tmp_path / "not-a-library.so"
    bogus.write_bytes(b"not an ELF file")
    with pytest.raises(NativeLibraryNotFound, match=r"cannot load .*not-a-library\.so \(explicit path\)"):
        load_native(bogus)


def test_when_nothing_is_found_the_error_lists_every_place_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(loader, "_wheel_candidates", lambda: iter(()))
    monkeypatch.setattr(loader, "_is_windows", lambda: False)
    with pytest.raises(NativeLibraryNotFound) as info:
        find_native()
    message = str(info.value)
    assert f"{ENV_VAR} (unset)" in message
    assert "sspilib wheel" in message and "pip install 'sspimodel[native]'" in message
    assert "secur32.dll (Windows only)" in message


def test_the_kernel_mode_async_family_is_reported_missing_not_faked(api: NativeSspi) -> None:
    # sspi.h declares the Sspi*Async family only under `#if ISSP_MODE == 0` (kernel mode).
    assert set(KERNEL_MODE_ONLY) <= set(LIB.missing())
    for name in KERNEL_MODE_ONLY:
        assert not LIB.available(name)
    with pytest.raises(NativeFunctionUnavailable, match=r"SspiGetAsyncCallStatus .*kernel mode only"):
        LIB.function("SspiGetAsyncCallStatus")
    with pytest.raises(AttributeError, match="NativeSspi has no SSPI function 'SspiGetAsyncCallStatus'"):
        api.invoke("SspiGetAsyncCallStatus")


@sspi_rs
def test_sspi_rs_exports_every_user_mode_function() -> None:
    assert LIB.missing() == KERNEL_MODE_ONLY
    assert all(LIB.available(name) for name in USER_MODE_FUNCTIONS)


def test_every_prototype_returns_a_signed_security_status() -> None:
    for name in USER_MODE_FUNCTIONS:
        if LIB.available(name):
            assert LIB.function(name).restype is ctypes.c_int32, name
    assert S.unsigned_status(-2146893054) == st("SEC_E_UNSUPPORTED_FUNCTION") == 0x80090302


# -- structures -------------------------------------------------------------------------------


@pytest.mark.skipif(ctypes.sizeof(ctypes.c_void_p) != 8, reason="offsets computed for 64-bit pointers")
def test_structure_layouts_follow_sspi_h_on_64_bit() -> None:
    assert ctypes.sizeof(S.SecHandle) == 16
    assert ctypes.sizeof(S.TimeStamp) == 8
    assert ctypes.sizeof(S.SecBuffer) == 16 and S.SecBuffer.pvBuffer.offset == 8
    assert ctypes.sizeof(S.SecBufferDesc) == 16 and S.SecBufferDesc.pBuffers.offset == 8
    # ULONG is 32 bits everywhere (never ctypes.c_ulong, which is 64 bits on Linux)
    assert S.SEC_WINNT_AUTH_IDENTITY_W.Domain.offset == 16
    assert S.SEC_WINNT_AUTH_IDENTITY_W.Flags.offset == 44
    assert ctypes.sizeof(S.SEC_WINNT_AUTH_IDENTITY_W) == ctypes.sizeof(S.SEC_WINNT_AUTH_IDENTITY_A) == 48
    assert S.SecPkgInfoW.Name.offset == 16 and ctypes.sizeof(S.SecPkgInfoW) == 32
    assert ctypes.sizeof(S.SecPkgContext_Sizes) == 16


def test_wide_strings_are_utf16_and_round_trip() -> None:
    text = "héllo ☃ 𝄞"  # includes a character outside the BMP (a surrogate pair in UTF-16)
    buf = S.wide_buffer(text)
    assert ctypes.sizeof(buf) == 2 * (len(text.encode("utf-16-le")) // 2 + 1)
    assert S.read_wide(buf) == text
    assert S.read_wide(None) is None


# -- packages ---------------------------------------------------------------------------------


def test_enumerate_security_packages_lists_ntlm(api: NativeSspi) -> None:
    for fn in (api.EnumerateSecurityPackagesW, api.EnumerateSecurityPackagesA):
        r = fn()
        assert r.status == st("SEC_E_OK")
        listed = [p.Name for p in r.ppPackageInfo]
        print(fn.__name__, listed)
        assert r.pcPackages == len(listed)
        assert "NTLM" in listed
        if SSPI_RS:
            assert listed == ["Negotiate", "Kerberos", "Pku2u", "NTLM"]


@sspi_rs
def test_sspi_rs_package_info_for_ntlm(api: NativeSspi) -> None:
    info = api.QuerySecurityPackageInfoW(pszPackageName="NTLM")
    assert info.status == st("SEC_E_OK")
    assert info.ppPackageInfo is not None
    # Observed: no capability bits and wRPCID 0xFFFF (SECPKG_ID_NONE); Windows' NTLM reports
    # SECPKG_FLAG_* capabilities and RPC id 10. The pages do not fix these values.
    assert attrs.astuple(info.ppPackageInfo) == (0, 5, 0xFFFF, 2888, "NTLM", "NTLM Security Package")
    assert api.QuerySecurityPackageInfoA(pszPackageName="NTLM").ppPackageInfo == info.ppPackageInfo


@sspi_rs
def test_sspi_rs_panics_on_an_unknown_package_in_query_security_package_info() -> None:
    # Observed: a Rust panic (an unwrap on None, caught at the FFI boundary) reported as
    # SEC_E_INTERNAL_ERROR. The page only says "an error code other than zero"; Windows returns
    # SEC_E_SECPKG_NOT_FOUND. Run in a child: a panic across FFI may abort in other builds.
    code, values, stderr = run_child(
        'emit(status=api.QuerySecurityPackageInfoW(pszPackageName="NoSuchPackage").status)'
    )
    assert code == 0, stderr
    assert values["status"] == st("SEC_E_INTERNAL_ERROR")
    assert "panicked" in stderr
    assert_page("QuerySecurityPackageInfoW", values["status"], documented=False)  # no code is named


# -- the handshake ----------------------------------------------------------------------------


def test_ntlm_handshake_completes_on_both_sides(api: NativeSspi) -> None:
    h = establish_context(api, client=ALICE, server=ALICE)
    try:
        assert h.established, h.statuses
        tokens = [leg.token for leg in h.legs if leg.token]
        # NTLMSSP messages 1 (negotiate), 2 (challenge) and 3 (authenticate), in order
        assert [t[:8] for t in tokens] == [b"NTLMSSP\0"] * 3
        assert [t[8] for t in tokens] == [1, 2, 3]
        if SSPI_RS:
            # Observed: the server's last leg is SEC_I_COMPLETE_NEEDED (documented for
            # AcceptSecurityContext) and CompleteAuthToken validates the response; Windows' NTLM
            # returns SEC_E_OK directly (https://github.com/Devolutions/sspi-rs/issues/167).
            assert h.statuses == [
                ("AcquireCredentialsHandleW", st("SEC_E_OK")),
                ("AcquireCredentialsHandleW", st("SEC_E_OK")),
                ("InitializeSecurityContextW", st("SEC_I_CONTINUE_NEEDED")),
                ("AcceptSecurityContext", st("SEC_I_CONTINUE_NEEDED")),
                ("InitializeSecurityContextW", st("SEC_E_OK")),
                ("AcceptSecurityContext", st("SEC_I_COMPLETE_NEEDED")),
                ("CompleteAuthToken", st("SEC_E_OK")),
            ]
    finally:
        assert {s for _, s in release(api, h)} == {st("SEC_E_OK")}


def test_ntlm_handshake_through_the_ansi_functions(api: NativeSspi) -> None:
    c = api.AcquireCredentialsHandleA(pszPackage="NTLM", fCredentialUse=2, pAuthData=ALICE)
    s = api.AcquireCredentialsHandleA(pszPackage=b"NTLM", fCredentialUse=1, pAuthData=ALICE)
    assert (c.status, s.status) == (st("SEC_E_OK"), st("SEC_E_OK"))
    r1 = api.InitializeSecurityContextA(
        phCredential=c.phCredential, pszTargetName="HOST/server", fContextReq=DEFAULT_ISC_REQ
    )
    a1 = api.AcceptSecurityContext(phCredential=s.phCredential, pInput=r1.pOutput, fContextReq=DEFAULT_ASC_REQ)
    r2 = api.InitializeSecurityContextA(
        phCredential=c.phCredential,
        phContext=r1.phNewContext,
        pszTargetName=b"HOST/server",
        fContextReq=DEFAULT_ISC_REQ,
        pInput=a1.pOutput,
    )
    assert (r1.status, a1.status, r2.status) == (
        st("SEC_I_CONTINUE_NEEDED"),
        st("SEC_I_CONTINUE_NEEDED"),
        st("SEC_E_OK"),
    )
    a2 = api.AcceptSecurityContext(
        phCredential=s.phCredential, phContext=a1.phNewContext, pInput=r2.pOutput, fContextReq=DEFAULT_ASC_REQ
    )
    if a2.status == st("SEC_I_COMPLETE_NEEDED"):
        assert api.CompleteAuthToken(phContext=a2.phNewContext, pToken=r2.pOutput).status == st("SEC_E_OK")
    else:
        assert a2.status == st("SEC_E_OK")
    names_attr = api.QueryContextAttributesA(phContext=a2.phNewContext, ulAttribute=1)  # SECPKG_ATTR_NAMES
    assert (names_attr.status, names_attr.pBuffer) == (st("SEC_E_OK"), "CONTOSO\\alice")
    for ctx in (r2.phNewContext, a2.phNewContext):
        assert api.DeleteSecurityContext(phContext=ctx).status == st("SEC_E_OK")
    for cred in (c.phCredential, s.phCredential):
        assert api.FreeCredentialsHandle(phCredential=cred).status == st("SEC_E_OK")


def test_handshake_with_caller_supplied_output_buffers(api: NativeSspi) -> None:
    h = establish_context(
        api,
        client=ALICE,
        server=ALICE,
        isc_req=DEFAULT_ISC_REQ & ~ISC_REQ_ALLOCATE_MEMORY,
        asc_req=DEFAULT_ASC_REQ & ~ISC_REQ_ALLOCATE_MEMORY,
    )
    try:
        assert h.established, h.statuses
        assert [leg.token[8] for leg in h.legs if leg.token] == [1, 2, 3]
    finally:
        release(api, h)


def test_the_server_context_names_the_client(api: NativeSspi, hs: Handshake) -> None:
    server = api.QueryContextAttributesW(phContext=hs.server_context, ulAttribute=1)  # SECPKG_ATTR_NAMES
    assert (server.status, server.pBuffer) == (st("SEC_E_OK"), "CONTOSO\\alice")
    package = api.QueryContextAttributesW(phContext=hs.server_context, ulAttribute=10)  # PACKAGE_INFO
    assert package.status == st("SEC_E_OK") and package.pBuffer.Name == "NTLM"
    if SSPI_RS:
        # Observed: the client side has no names. QueryContextAttributes documents only
        # SEC_E_INVALID_HANDLE and SEC_E_UNSUPPORTED_FUNCTION: SEC_E_NO_CREDENTIALS departs.
        client = api.QueryContextAttributesW(phContext=hs.client_context, ulAttribute=1)
        assert client.status == st("SEC_E_NO_CREDENTIALS")
        assert_page("QueryContextAttributesW", client.status, documented=False)


@sspi_rs
def test_sspi_rs_context_sizes_and_unsupported_attributes(api: NativeSspi, hs: Handshake) -> None:
    sizes = api.QueryContextAttributesW(phContext=hs.client_context, ulAttribute=0)  # SECPKG_ATTR_SIZES
    assert sizes.status == st("SEC_E_OK")
    assert sizes.pBuffer == ContextSizes(cbMaxToken=2010, cbMaxSignature=16, cbBlockSize=0, cbSecurityTrailer=16)
    for attribute in (2, 4, 14):  # LIFESPAN, STREAM_SIZES, FLAGS: documented SEC_E_UNSUPPORTED_FUNCTION
        r = api.QueryContextAttributesW(phContext=hs.client_context, ulAttribute=attribute)
        assert r.status == st("SEC_E_UNSUPPORTED_FUNCTION"), attribute
        assert_page("QueryContextAttributesW", r.status, documented=True)
    key = api.QueryContextAttributesW(phContext=hs.server_context, ulAttribute=9)  # SESSION_KEY
    assert key.status == st("SEC_E_OK") and isinstance(key.pBuffer, bytes) and len(key.pBuffer) == 16
    cred_names = api.QueryCredentialsAttributesW(phCredential=hs.client_credential, ulAttribute=1)
    assert cred_names.status == st("SEC_E_UNSUPPORTED_FUNCTION")  # documented for QueryCredentialsAttributes


@sspi_rs
def test_sspi_rs_query_context_attributes_ex_and_apply_control_token(api: NativeSspi, hs: Handshake) -> None:
    # Observed: sspi-rs exports QueryContextAttributesExA/W and answers SEC_E_UNSUPPORTED_FUNCTION for
    # SIZES (which QueryContextAttributesW answers) whatever the buffer size; the model answers
    # SEC_E_OK (conform reports the departure). ApplyControlToken: SEC_E_UNSUPPORTED_FUNCTION, as the model.
    for function in ("QueryContextAttributesExA", "QueryContextAttributesExW"):
        for size in (15, 16, 64):
            r = getattr(api, function)(phContext=hs.client_context, ulAttribute=0, cbBuffer=size)
            assert r.status == st("SEC_E_UNSUPPORTED_FUNCTION"), (function, size)
    r = api.ApplyControlToken(phContext=hs.client_context, pInput=[(2, (1).to_bytes(4, "little"))])
    assert r.status == st("SEC_E_UNSUPPORTED_FUNCTION")


# -- messages ---------------------------------------------------------------------------------


@sspi_rs
def test_sspi_rs_does_not_implement_make_signature_or_verify_signature(api: NativeSspi, hs: Handshake) -> None:
    # Observed with ISC_REQ_INTEGRITY granted: both return SEC_E_UNSUPPORTED_FUNCTION, which
    # neither MakeSignature's nor VerifySignature's return table lists: a departure from the pages.
    signed = api.MakeSignature(
        phContext=hs.client_context, fQOP=0, pMessage=[(SECBUFFER_DATA, b"hello"), (SECBUFFER_TOKEN, bytes(16))]
    )
    assert signed.status == st("SEC_E_UNSUPPORTED_FUNCTION")
    assert signed.buffer(SECBUFFER_TOKEN) == bytes(16)  # nothing written
    verified = api.VerifySignature(phContext=hs.server_context, pMessage=signed.pMessage, MessageSeqNo=0)
    assert verified.status == st("SEC_E_UNSUPPORTED_FUNCTION")
    assert_page("MakeSignature", signed.status, documented=False)
    assert_page("VerifySignature", verified.status, documented=False)


def _seal(api: NativeSspi, ctx: Any, data: bytes, trailer: int = 16, seq: int = 0) -> tuple[tuple[int, bytes], ...]:
    r = api.EncryptMessage(
        phContext=ctx, fQOP=0, pMessage=[(SECBUFFER_TOKEN, bytes(trailer)), (SECBUFFER_DATA, data)], MessageSeqNo=seq
    )
    assert r.status == st("SEC_E_OK")
    return r.pMessage


def test_encrypt_decrypt_round_trip_both_ways(api: NativeSspi, hs: Handshake) -> None:
    for sender, receiver in ((hs.client_context, hs.server_context), (hs.server_context, hs.client_context)):
        for payload in (b"secret data", b"x", bytes(range(256)) * 4):
            sealed = _seal(api, sender, payload)
            assert len(sealed[1][1]) == len(payload)
            if len(payload) >= 8:  # one RC4 byte equals its plaintext byte once in 256 handshakes
                assert sealed[1][1] != payload
            opened = api.DecryptMessage(phContext=receiver, pMessage=sealed, MessageSeqNo=0)
            assert opened.status == st("SEC_E_OK")
            assert opened.buffer(SECBUFFER_DATA) == payload
            assert opened.pfQOP == 0


def test_a_model_secbufferdesc_is_updated_in_place(api: NativeSspi, hs: Handshake) -> None:
    import sspimodel.model.buffers as buffers
    desc = buffers.SecBufferDesc.message(b"in place", token_size=16)
    assert api.EncryptMessage(phContext=hs.client_context, fQOP=0, pMessage=desc).status == st("SEC_E_OK")
    assert desc.first(SECBUFFER_DATA).pvBuffer != b"in place"
    assert desc.first(SECBUFFER_TOKEN).cbBuffer == 16
    assert api.DecryptMessage(phContext=hs.server_context, pMessage=desc).status == st("SEC_E_OK")
    assert desc.first(SECBUFFER_DATA).pvBuffer == b"in place"


@sspi_rs
def test_sspi_rs_message_failures(api: NativeSspi, hs: Handshake) -> None:
    c, s = hs.client_context, hs.server_context
    # altered ciphertext / altered trailer: SEC_E_MESSAGE_ALTERED (documented for DecryptMessage)
    (tok, sealed) = (b for _, b in _seal(api, c, b"payload"))
    altered = bytes([sealed[0] ^ 1]) + sealed[1:]
    r = api.DecryptMessage(phContext=s, pMessage=[(SECBUFFER_TOKEN, tok), (SECBUFFER_DATA, altered)])
    assert r.status == st("SEC_E_MESSAGE_ALTERED")
    (tok, sealed) = (b for _, b in _seal(api, c, b"payload"))
    bad_trailer = tok[:5] + bytes([tok[5] ^ 1]) + tok[6:]
    r = api.DecryptMessage(phContext=s, pMessage=[(SECBUFFER_TOKEN, bad_trailer), (SECBUFFER_DATA, sealed)])
    assert r.status == st("SEC_E_MESSAGE_ALTERED")
    assert_page("DecryptMessage", r.status, documented=True)
    # a trailer buffer smaller than cbSecurityTrailer: SEC_E_BUFFER_TOO_SMALL (documented)
    small = api.EncryptMessage(phContext=c, fQOP=0, pMessage=[(SECBUFFER_TOKEN, bytes(4)), (SECBUFFER_DATA, b"x")])
    assert small.status == st("SEC_E_BUFFER_TOO_SMALL")
    assert_page("EncryptMessage", small.status, documented=True)
    # no token buffer at all: SEC_E_INVALID_TOKEN (documented for EncryptMessage)
    none = api.EncryptMessage(phContext=c, fQOP=0, pMessage=[(SECBUFFER_DATA, b"x")])
    assert none.status == st("SEC_E_INVALID_TOKEN")
    assert_page("EncryptMessage", none.status, documented=True)


@sspi_rs
def test_sspi_rs_out_of_sequence_probes(api: NativeSspi) -> None:
    h = establish_context(api, client=ALICE, server=ALICE)
    try:
        c, s = h.client_context, h.server_context
        first = _seal(api, c, b"one", seq=0)
        assert api.DecryptMessage(phContext=s, pMessage=first).status == st("SEC_E_OK")
        # A replayed message: DecryptMessage documents SEC_E_OUT_OF_SEQUENCE for "The message was
        # not received in the correct sequence"; sspi-rs reports SEC_E_MESSAGE_ALTERED instead
        # (its NTLM sequence number is inside the checksum): a documented code, but not the one the
        # page gives for this case.
        assert api.DecryptMessage(phContext=s, pMessage=first).status == st("SEC_E_MESSAGE_ALTERED")
    finally:
        release(api, h)
    h = establish_context(api, client=ALICE, server=ALICE)
    try:
        c, s = h.client_context, h.server_context
        second, third = _seal(api, c, b"two"), _seal(api, c, b"three")
        assert api.DecryptMessage(phContext=s, pMessage=third).status == st("SEC_E_MESSAGE_ALTERED")
        assert api.DecryptMessage(phContext=s, pMessage=second).status == st("SEC_E_MESSAGE_ALTERED")
    finally:
        release(api, h)
    h = establish_context(api, client=ALICE, server=ALICE)
    try:
        # MessageSeqNo is ignored: NTLM keeps its own counters (the page: "the transport
        # application" supplies it "if the transport application SSP supports sequence numbers")
        sealed = _seal(api, h.client_context, b"numbered", seq=5)
        assert api.DecryptMessage(phContext=h.server_context, pMessage=sealed, MessageSeqNo=9).status == st("SEC_E_OK")
    finally:
        release(api, h)


@sspi_rs
def test_sspi_rs_calls_on_an_unfinished_context(api: NativeSspi) -> None:
    c = api.AcquireCredentialsHandleW(pszPackage="NTLM", fCredentialUse=2, pAuthData=ALICE)
    first = api.InitializeSecurityContextW(phCredential=c.phCredential, pszTargetName="x", fContextReq=DEFAULT_ISC_REQ)
    ctx = first.phNewContext
    try:
        assert first.status == st("SEC_I_CONTINUE_NEEDED")
        # EncryptMessage before the handshake ends: SEC_E_OUT_OF_SEQUENCE, which EncryptMessage's
        # page does not list (departure).
        r = api.EncryptMessage(phContext=ctx, fQOP=0, pMessage=[(SECBUFFER_TOKEN, bytes(16)), (SECBUFFER_DATA, b"x")])
        assert r.status == st("SEC_E_OUT_OF_SEQUENCE")
        assert_page("EncryptMessage", r.status, documented=False)
        # the second client leg without the server's challenge: SEC_E_INVALID_TOKEN (documented)
        again = api.InitializeSecurityContextW(
            phCredential=c.phCredential, phContext=ctx, pszTargetName="x", fContextReq=DEFAULT_ISC_REQ
        )
        assert again.status == st("SEC_E_INVALID_TOKEN")
        assert_page("InitializeSecurityContextW", again.status, documented=True)
        # a challenge that is not an NTLM message: SEC_E_INTERNAL_ERROR (documented)
        garbage = api.InitializeSecurityContextW(
            phCredential=c.phCredential, phContext=ctx, pszTargetName="x", fContextReq=DEFAULT_ISC_REQ, pInput=b"garbage"
        )
        assert garbage.status == st("SEC_E_INTERNAL_ERROR")
        assert_page("InitializeSecurityContextW", garbage.status, documented=True)
    finally:
        api.DeleteSecurityContext(phContext=ctx)
        api.FreeCredentialsHandle(phCredential=c.phCredential)


# -- export / import --------------------------------------------------------------------------


@sspi_rs
def test_sspi_rs_does_not_support_export_or_import(api: NativeSspi, hs: Handshake) -> None:
    exported = api.ExportSecurityContext(phContext=hs.client_context, fFlags=0)
    # 0x80090302 is SEC_E_UNSUPPORTED_FUNCTION and its alias SEC_E_NOT_SUPPORTED, which
    # ExportSecurityContext's page documents: conformant.
    assert exported.status == st("SEC_E_NOT_SUPPORTED") == st("SEC_E_UNSUPPORTED_FUNCTION")
    assert {"SEC_E_NOT_SUPPORTED", "SEC_E_UNSUPPORTED_FUNCTION"} <= set(names(exported.status))
    assert exported.pPackedContext is None
    assert_page("ExportSecurityContext", exported.status, documented=True)
    # ImportSecurityContext returns the same code for any input; its page documents neither name
    # (SEC_E_UNKNOWN_CREDENTIALS, SEC_E_NO_CREDENTIALS, SEC_E_NOT_OWNER, SEC_E_INSUFFICIENT_MEMORY,
    # SEC_E_INTERNAL_ERROR): a departure.
    for fn in (api.ImportSecurityContextW, api.ImportSecurityContextA):
        for package in ("NTLM", "NoSuchPackage"):
            r = fn(pszPackage=package, pPackedContext=b"not a packed context")
            assert r.status == st("SEC_E_UNSUPPORTED_FUNCTION"), (fn.__name__, package)
            assert r.phContext is None
            assert_page(fn.__name__, r.status, documented=False)
    # the other context calls sspi-rs leaves out, all SEC_E_UNSUPPORTED_FUNCTION
    assert api.QuerySecurityContextToken(phContext=hs.server_context).status == st("SEC_E_UNSUPPORTED_FUNCTION")
    assert api.ImpersonateSecurityContext(phContext=hs.server_context).status == st("SEC_E_UNSUPPORTED_FUNCTION")
    assert api.RevertSecurityContext(phContext=hs.server_context).status == st("SEC_E_UNSUPPORTED_FUNCTION")
    assert api.ApplyControlToken(phContext=hs.server_context, pInput=b"x").status == st("SEC_E_UNSUPPORTED_FUNCTION")


# -- credential probes ------------------------------------------------------------------------


@sspi_rs
def test_sspi_rs_unknown_package_in_acquire_credentials_handle(api: NativeSspi) -> None:
    with_identity = api.AcquireCredentialsHandleW(pszPackage="NoSuchPackage", fCredentialUse=2, pAuthData=ALICE)
    assert with_identity.status == st("SEC_E_SECPKG_NOT_FOUND")
    assert_page("AcquireCredentialsHandleW", with_identity.status, documented=True)
    assert with_identity.phCredential is None
    ansi = api.AcquireCredentialsHandleA(pszPackage="NoSuchPackage", fCredentialUse=2, pAuthData=ALICE)
    assert ansi.status == st("SEC_E_SECPKG_NOT_FOUND")
    # Without pAuthData sspi-rs rejects the call before it looks at the package name:
    # SEC_E_INVALID_PARAMETER, where the page documents SEC_E_SECPKG_NOT_FOUND (departure).
    bare = api.AcquireCredentialsHandleW(pszPackage="NoSuchPackage", fCredentialUse=2)
    assert bare.status == st("SEC_E_INVALID_PARAMETER") == 0x8009035D
    assert_page("AcquireCredentialsHandleW", bare.status, documented=False)


@sspi_rs
def test_sspi_rs_matches_package_names_case_sensitively(api: NativeSspi) -> None:
    # The pages do not say whether pszPackage is case-sensitive; sspi-rs only knows the names
    # exactly as EnumerateSecurityPackages lists them (not compared with Windows here).
    for spelling in ("ntlm", "Ntlm", "negotiate"):
        r = api.AcquireCredentialsHandleW(pszPackage=spelling, fCredentialUse=2, pAuthData=ALICE)
        assert r.status == st("SEC_E_SECPKG_NOT_FOUND"), spelling


@sspi_rs
def test_sspi_rs_needs_an_explicit_identity_on_both_sides(api: NativeSspi) -> None:
    # Windows would use the caller's logon session; sspi-rs has none and returns
    # SEC_E_INVALID_PARAMETER, which AcquireCredentialsHandle's page does not list (it documents
    # SEC_E_NO_CREDENTIALS for "No credentials are available in the security package").
    for use in (1, 2):  # INBOUND (the NTLM server needs the identity to check the response), OUTBOUND
        for package in ("NTLM", "Negotiate", "Kerberos"):
            r = api.AcquireCredentialsHandleW(pszPackage=package, fCredentialUse=use)
            assert r.status == st("SEC_E_INVALID_PARAMETER"), (package, use)
    assert_page("AcquireCredentialsHandleW", st("SEC_E_INVALID_PARAMETER"), documented=False)


@sspi_rs
def test_sspi_rs_accepts_credential_use_outside_the_value_table(api: NativeSspi) -> None:
    # The page's table has SECPKG_CRED_INBOUND (1) and SECPKG_CRED_OUTBOUND (2) (and BOTH in the
    # header); sspi-rs does not check: 0 and 7 both succeed. The model raises ContractError.
    for use in (0, 7):
        r = api.AcquireCredentialsHandleW(pszPackage="NTLM", fCredentialUse=use, pAuthData=ALICE)
        assert r.status == st("SEC_E_OK"), use
        assert api.FreeCredentialsHandle(phCredential=r.phCredential).status == st("SEC_E_OK")


@sspi_rs
def test_sspi_rs_wrong_password_fails_in_complete_auth_token(api: NativeSspi) -> None:
    wrong = AuthIdentity("alice", "CONTOSO", "not the password")
    h = establish_context(api, client=wrong, server=ALICE)
    try:
        # The response is checked in CompleteAuthToken: SEC_E_LOGON_DENIED, which CompleteAuthToken's
        # page does not list (SEC_E_INVALID_HANDLE, SEC_E_INVALID_TOKEN, SEC_E_OUT_OF_SEQUENCE,
        # SEC_E_MESSAGE_ALTERED, SEC_E_INTERNAL_ERROR): a departure. AcceptSecurityContext documents
        # SEC_E_LOGON_DENIED, where Windows reports it.
        assert h.statuses[-2:] == [
            ("AcceptSecurityContext", st("SEC_I_COMPLETE_NEEDED")),
            ("CompleteAuthToken", st("SEC_E_LOGON_DENIED")),
        ]
        assert not h.established
        assert_page("CompleteAuthToken", st("SEC_E_LOGON_DENIED"), documented=False)
        assert_page("AcceptSecurityContext", st("SEC_E_LOGON_DENIED"), documented=True)
    finally:
        release(api, h)


@sspi_rs
def test_sspi_rs_server_checks_the_password_but_not_the_user_name(api: NativeSspi) -> None:
    # The server identity acts as a one-entry password store keyed by nothing: another user or
    # domain with the same password is accepted, another password is not.
    for server in (AuthIdentity("bob", "CONTOSO", "Passw0rd!"), AuthIdentity("alice", "FABRIKAM", "Passw0rd!")):
        h = establish_context(api, client=ALICE, server=server)
        assert h.established, (server, h.statuses)
        release(api, h)
    h = establish_context(api, client=ALICE, server=AuthIdentity("alice", "CONTOSO", "other"))
    assert h.last == Leg("CompleteAuthToken", st("SEC_E_LOGON_DENIED"))
    release(api, h)


def _ntlm_response_offset(type3: bytes) -> int:
    """Offset of the NtChallengeResponse in an NTLM AUTHENTICATE message ([MS-NLMP] 2.2.1.3):
    its fields (Len, MaxLen, BufferOffset) sit at byte 20."""
    return int.from_bytes(type3[24:28], "little")


def _flip(offset_of: Any) -> Any:
    def tamper(leg: Leg, token: bytes) -> bytes:
        if token[8] != 3:  # only the AUTHENTICATE message
            return token
        i = offset_of(token)
        return token[:i] + bytes([token[i] ^ 0xFF]) + token[i + 1 :]

    return tamper


@sspi_rs
def test_sspi_rs_tampered_authenticate_message(api: NativeSspi) -> None:
    cases = [
        # the NTLMSSP signature: SEC_E_INVALID_TOKEN from AcceptSecurityContext
        (_flip(lambda t: 0), [("AcceptSecurityContext", st("SEC_E_INVALID_TOKEN"))]),
        # the NT response (NTProofStr): accepted, then SEC_E_LOGON_DENIED from CompleteAuthToken
        (
            _flip(_ntlm_response_offset),
            [
                ("AcceptSecurityContext", st("SEC_I_COMPLETE_NEEDED")),
                ("CompleteAuthToken", st("SEC_E_LOGON_DENIED")),
            ],
        ),
        # a message that does not parse: SEC_E_INTERNAL_ERROR
        (
            lambda leg, t: b"garbage" if t[8] == 3 else t,
            [("AcceptSecurityContext", st("SEC_E_INTERNAL_ERROR"))],
        ),
    ]
    for tamper, tail in cases:
        h = establish_context(api, client=ALICE, server=ALICE, tamper=tamper)
        assert h.statuses[-len(tail) :] == tail
        assert not h.established
        release(api, h)
    for name in ("SEC_E_INVALID_TOKEN", "SEC_E_INTERNAL_ERROR", "SEC_I_COMPLETE_NEEDED"):
        assert_page("AcceptSecurityContext", st(name), documented=True)


# -- handles ----------------------------------------------------------------------------------


def test_the_handle_guard_refuses_handles_it_did_not_issue(api: NativeSspi) -> None:
    forged = NativeHandle(0x1234, 0x5678)
    with pytest.raises(UnknownHandleError, match=r"^DeleteSecurityContext: parameter phContext: .* not a live context"):
        api.DeleteSecurityContext(phContext=forged)
    with pytest.raises(UnknownHandleError, match=r"^FreeCredentialsHandle: parameter phCredential: .* credential"):
        api.FreeCredentialsHandle(phCredential=forged)


def test_the_handle_guard_refuses_released_and_stale_handles(api: NativeSspi) -> None:
    h = establish_context(api, client=ALICE, server=ALICE)
    server_ctx, client_cred = h.server_context, h.client_credential
    release(api, h)
    with pytest.raises(UnknownHandleError, match="EncryptMessage: parameter phContext"):
        api.EncryptMessage(phContext=server_ctx, fQOP=0, pMessage=[(SECBUFFER_TOKEN, bytes(16))])
    with pytest.raises(UnknownHandleError, match="FreeCredentialsHandle: parameter phCredential"):
        api.FreeCredentialsHandle(phCredential=client_cred)


@sspi_rs
def test_sspi_rs_replaces_dw_upper_of_the_server_context_and_the_guard_follows(api: NativeSspi) -> None:
    c = api.AcquireCredentialsHandleW(pszPackage="NTLM", fCredentialUse=2, pAuthData=ALICE)
    s = api.AcquireCredentialsHandleW(pszPackage="NTLM", fCredentialUse=1, pAuthData=ALICE)
    i1 = api.InitializeSecurityContextW(phCredential=c.phCredential, pszTargetName="x", fContextReq=DEFAULT_ISC_REQ)
    a1 = api.AcceptSecurityContext(phCredential=s.phCredential, pInput=i1.pOutput, fContextReq=DEFAULT_ASC_REQ)
    i2 = api.InitializeSecurityContextW(
        phCredential=c.phCredential, phContext=i1.phNewContext, pszTargetName="x", fContextReq=DEFAULT_ISC_REQ, pInput=a1.pOutput
    )
    a2 = api.AcceptSecurityContext(
        phCredential=s.phCredential, phContext=a1.phNewContext, pInput=i2.pOutput, fContextReq=DEFAULT_ASC_REQ
    )
    assert a2.phNewContext.dwLower == a1.phNewContext.dwLower
    assert a2.phNewContext.dwUpper != a1.phNewContext.dwUpper  # observed: a new dwUpper on the last leg
    with pytest.raises(UnknownHandleError, match=r"is stale: the library has since set dwUpper="):
        api.CompleteAuthToken(phContext=a1.phNewContext, pToken=i2.pOutput)
    assert api.CompleteAuthToken(phContext=a2.phNewContext, pToken=i2.pOutput).status == st("SEC_E_OK")
    for ctx in (i2.phNewContext, a2.phNewContext):
        assert api.DeleteSecurityContext(phContext=ctx).status == st("SEC_E_OK")
    for cred in (c.phCredential, s.phCredential):
        assert api.FreeCredentialsHandle(phCredential=cred).status == st("SEC_E_OK")


@sspi_rs
def test_sspi_rs_null_and_zero_handles() -> None:
    # Unguarded, in a child process. Observed: a NULL pointer or a zeroed handle is reported as
    # SEC_E_INVALID_PARAMETER where DeleteSecurityContext, FreeCredentialsHandle, EncryptMessage,
    # QueryContextAttributes and CompleteAuthToken document SEC_E_INVALID_HANDLE (departures);
    # InitializeSecurityContext with a zeroed credential says SEC_E_INVALID_HANDLE (documented).
    code, values, stderr = run_child(
        """
        zero = NativeHandle(0, 0)
        msg = [(2, bytes(16)), (1, b"x")]
        emit(
            delete_null=api.DeleteSecurityContext(phContext=None).status,
            delete_zero=api.DeleteSecurityContext(phContext=zero).status,
            free_null=api.FreeCredentialsHandle(phCredential=None).status,
            free_zero=api.FreeCredentialsHandle(phCredential=zero).status,
            encrypt_zero=api.EncryptMessage(phContext=zero, fQOP=0, pMessage=msg).status,
            query_zero=api.QueryContextAttributesW(phContext=zero, ulAttribute=0).status,
            complete_zero=api.CompleteAuthToken(phContext=zero, pToken=b"x").status,
            isc_zero_credential=api.InitializeSecurityContextW(
                phCredential=zero, pszTargetName="x", fContextReq=0x100).status,
            isc_null_credential=api.InitializeSecurityContextW(
                phCredential=None, pszTargetName="x", fContextReq=0x100).status,
            free_buffer_null=api.FreeContextBuffer(pvContextBuffer=None).status,
        )
        """
    )
    assert code == 0, stderr
    invalid_parameter = st("SEC_E_INVALID_PARAMETER")
    assert values == {
        "delete_null": invalid_parameter,
        "delete_zero": invalid_parameter,
        "free_null": invalid_parameter,
        "free_zero": invalid_parameter,
        "encrypt_zero": invalid_parameter,
        "query_zero": invalid_parameter,
        "complete_zero": invalid_parameter,
        "isc_zero_credential": st("SEC_E_INVALID_HANDLE"),
        "isc_null_credential": invalid_parameter,
        "free_buffer_null": st("SEC_E_OK"),
    }
    for function in ("DeleteSecurityContext", "FreeCredentialsHandle", "EncryptMessage", "CompleteAuthToken"):
        assert_page(function, invalid_parameter, documented=False)
        assert_page(function, st("SEC_E_INVALID_HANDLE"), documented=True)
    assert_page("QueryContextAttributesW", invalid_parameter, documented=False)
    assert_page("InitializeSecurityContextW", st("SEC_E_INVALID_HANDLE"), documented=True)


@sspi_rs
def test_sspi_rs_dereferences_a_forged_handle() -> None:
    # Why the guard exists: sspi-rs treats dwLower as a pointer, so a forged handle crashes the
    # process (SEC_E_INVALID_HANDLE on Windows). The child must die from a signal, not report.
    code, values, _ = run_child(
        """
        emit(started=1)
        emit(status=api.DeleteSecurityContext(phContext=NativeHandle(0x1234, 0x5678)).status)
        """
    )
    assert values == {"started": 1}
    assert code < 0, f"expected the child to be killed by a signal, got return code {code}"


# -- memory -----------------------------------------------------------------------------------


def test_native_allocations_are_copied_then_freed(api: NativeSspi, monkeypatch: pytest.MonkeyPatch) -> None:
    real = LIB.function("FreeContextBuffer")
    freed: list[int] = []

    def counting(ptr: int | None) -> int:
        freed.append(ptr or 0)
        return int(real(ptr))

    monkeypatch.setitem(LIB._functions, "FreeContextBuffer", counting)
    packages = api.EnumerateSecurityPackagesW()
    assert len(freed) == 1 and packages.pcPackages >= 1
    api.QuerySecurityPackageInfoW(pszPackageName="NTLM")
    assert len(freed) == 2
    h = establish_context(api, client=ALICE, server=ALICE)  # ALLOCATE_MEMORY on both sides
    allocated_tokens = [leg for leg in h.legs if leg.token]
    context_legs = [leg for leg in h.legs if leg.function in ("InitializeSecurityContextW", "AcceptSecurityContext")]
    # one allocation per leg: the library allocates even the empty output of the last server leg
    assert len(freed) == 2 + len(context_legs) == 6
    name = api.QueryContextAttributesW(phContext=h.server_context, ulAttribute=1)
    assert name.pBuffer == "CONTOSO\\alice" and len(freed) == 7
    release(api, h)
    assert all(freed), "FreeContextBuffer was called with NULL"
    # the tokens are copies: still readable after the native buffers were freed
    assert [t.token[:8] for t in allocated_tokens] == [b"NTLMSSP\0"] * 3


# -- Python-side argument handling ------------------------------------------------------------


def test_marshalling_errors_name_the_function_and_parameter(api: NativeSspi) -> None:
    with pytest.raises(NativeArgumentError, match=r"^AcquireCredentialsHandleW: parameter pszPackage: expected str, got bytes"):
        api.AcquireCredentialsHandleW(pszPackage=b"NTLM", fCredentialUse=2, pAuthData=ALICE)  # type: ignore[arg-type]
    with pytest.raises(NativeArgumentError, match=r"^AcquireCredentialsHandleA: parameter pszPackage: .* not encodable"):
        api.AcquireCredentialsHandleA(pszPackage="\ud800", fCredentialUse=2)
    with pytest.raises(NativeArgumentError, match=r"^AcquireCredentialsHandleW: parameter pAuthData: expected AuthIdentity"):
        api.AcquireCredentialsHandleW(pszPackage="NTLM", fCredentialUse=2, pAuthData=("alice", "x"))  # type: ignore[arg-type]
    with pytest.raises(NativeArgumentError, match=r"^EncryptMessage: parameter pMessage: buffer 0 must be a"):
        api.EncryptMessage(phContext=None, fQOP=0, pMessage=[b"x"])  # type: ignore[list-item]
    with pytest.raises(NativeArgumentError, match=r"^AcquireCredentialsHandleW: parameter pGetKeyFn: .*only passes NULL"):
        api.AcquireCredentialsHandleW(pszPackage="NTLM", fCredentialUse=2, pGetKeyFn=print)  # type: ignore[arg-type]


def test_the_w_pages_parameter_names_are_accepted_as_aliases(api: NativeSspi) -> None:
    # AcquireCredentialsHandleW's page names its first two parameters pPrincipal / pPackage (the
    # kernel-mode header names); the user-mode prototype says pszPrincipal / pszPackage.
    r = api.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=2, pAuthData=ALICE)
    assert r.status == st("SEC_E_OK")
    api.FreeCredentialsHandle(phCredential=r.phCredential)
    with pytest.raises(NativeArgumentError, match="given twice, as pszPackage and as its alias pPackage"):
        api.AcquireCredentialsHandleW(pszPackage="NTLM", pPackage="NTLM", fCredentialUse=2)


def test_invoke_call_replays_a_call_object_by_its_class_name(api: NativeSspi) -> None:
    @attrs.frozen
    class AcquireCredentialsHandleWCall:
        pszPackage: str
        fCredentialUse: int
        pAuthData: AuthIdentity | None = None
        phCredential: object = None  # an out parameter a call class might carry: dropped when None

    r = api.invoke_call(AcquireCredentialsHandleWCall("NTLM", 2, ALICE))
    assert r.status == st("SEC_E_OK") and r.function == "AcquireCredentialsHandleW"
    api.FreeCredentialsHandle(phCredential=r.phCredential)
    with pytest.raises(NativeArgumentError, match="parameter phCredential: the native backend has no input"):
        api.invoke_call(AcquireCredentialsHandleWCall("NTLM", 2, ALICE, phCredential=NativeHandle(1, 2)))
    with pytest.raises(TypeError, match="expected a generated NameCall attrs object"):
        api.invoke_call(object())


def test_generated_call_objects_replay_a_handshake_on_the_native_backend(api: NativeSspi) -> None:
    import sspimodel._generated as generated
    needed = (
        "AcquireCredentialsHandleW",
        "InitializeSecurityContextW",
        "AcceptSecurityContext",
        "CompleteAuthToken",
        "EncryptMessage",
        "DecryptMessage",
        "DeleteSecurityContext",
        "FreeCredentialsHandle",
    )
    missing = [n for n in needed if n not in generated.CONTRACTS]
    assert not missing, f"generated contracts absent for {missing} (run sspimodel generate)"

    def call(name: str, **kwargs: Any) -> Any:
        # the call class carries the page's parameter names (pPackage, pTargetName on the W pages)
        return api.invoke_call(generated.CONTRACTS[name].call_class(**kwargs))

    # AcceptSecurityContext's page lists only ALLOCATE_MEMORY, CONNECTION, DELEGATE, EXTENDED_ERROR,
    # REPLAY_DETECT, SEQUENCE_DETECT and STREAM in its fContextReq table, so the call class rejects
    # the CONFIDENTIALITY / INTEGRITY / MUTUAL_AUTH bits servers usually pass (DEFAULT_ASC_REQ).
    asc_req = 0x100 | 0x800 | 0x4 | 0x8
    with pytest.raises(ValueError, match=r"AcceptSecurityContext: parameter fContextReq: .* not an OR of the documented"):
        generated.CONTRACTS["AcceptSecurityContext"].call_class(fContextReq=DEFAULT_ASC_REQ, TargetDataRep=0x10)
    ach = "AcquireCredentialsHandleW"
    c = call(ach, pPackage="NTLM", fCredentialUse=2, pAuthData=ALICE)
    s = call(ach, pPackage="NTLM", fCredentialUse=1, pAuthData=ALICE)
    common = {"Reserved1": 0, "TargetDataRep": 0x10, "Reserved2": 0}
    isc = "InitializeSecurityContextW"
    i1 = call(isc, phCredential=c.phCredential, pTargetName="HOST/server", fContextReq=DEFAULT_ISC_REQ, **common)
    a1 = call("AcceptSecurityContext", phCredential=s.phCredential, pInput=i1.pOutput, fContextReq=asc_req, TargetDataRep=0x10)
    i2 = call(
        isc, phCredential=c.phCredential, phContext=i1.phNewContext, pTargetName="HOST/server",
        fContextReq=DEFAULT_ISC_REQ, pInput=a1.pOutput, **common,
    )
    a2 = call(
        "AcceptSecurityContext", phCredential=s.phCredential, phContext=a1.phNewContext, pInput=i2.pOutput,
        fContextReq=asc_req, TargetDataRep=0x10,
    )
    if a2.status == st("SEC_I_COMPLETE_NEEDED"):
        assert call("CompleteAuthToken", phContext=a2.phNewContext, pToken=i2.pOutput).status == st("SEC_E_OK")
    assert i2.status == st("SEC_E_OK")
    sealed = call(
        "EncryptMessage", phContext=i2.phNewContext, fQOP=0, MessageSeqNo=0,
        pMessage=[(SECBUFFER_TOKEN, bytes(16)), (SECBUFFER_DATA, b"via call objects")],
    )
    opened = call("DecryptMessage", phContext=a2.phNewContext, pMessage=sealed.pMessage, MessageSeqNo=0)
    assert opened.buffer(SECBUFFER_DATA) == b"via call objects"
    for ctx in (i2.phNewContext, a2.phNewContext):
        assert call("DeleteSecurityContext", phContext=ctx).status == st("SEC_E_OK")
    for cred in (c.phCredential, s.phCredential):
        assert call("FreeCredentialsHandle", phCredential=cred).status == st("SEC_E_OK")


def test_status_is_the_generated_enum_when_available(api: NativeSspi) -> None:
    r = api.EnumerateSecurityPackagesW()
    try:
        from sspimodel._generated.status import Status
    except ImportError:
        assert type(r.status) is int
    else:
        assert isinstance(r.status, Status) and r.status.name == "SEC_E_OK"


def test_loaded_functions_are_cached_and_the_repr_names_the_library() -> None:
    fresh: NativeLibrary = load_native(LIB.origin.path)
    assert fresh.function("FreeContextBuffer") is fresh.function("FreeContextBuffer")
    assert repr(fresh) == f"NativeLibrary({fresh.origin.describe()})"
