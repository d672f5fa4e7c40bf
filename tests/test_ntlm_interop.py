"""The NTLM module against two independent real NTLM implementations, both directions.

- pyspnego's pure-Python NTLM (``spnego.client`` / ``spnego.server(protocol="ntlm")``; the server
  reads its accounts from the file named by NTLM_USER_FILE, one ``DOMAIN:USER:PASSWORD`` a line);
- sspi-rs through the sspilib wheel's ``sspilib.raw`` (the SSPI calls themselves). On Linux the
  sspi-rs NTLM server takes its one account from the identity given to
  AcquireCredentialsHandle(SECPKG_CRED_INBOUND) and checks the client's response against that
  identity's password in CompleteAuthToken (SEC_I_COMPLETE_NEEDED from the last
  AcceptSecurityContext). sspi-rs's NTLM has no MakeSignature/VerifySignature (both return
  SEC_E_UNSUPPORTED_FUNCTION) and seals even when asked for SECQOP_WRAP_NO_ENCRYPT, so with
  sspi-rs only EncryptMessage/DecryptMessage are exchanged.

The accounts are the model world's own (alice, bob with their passwords from default_world()).
Each test skips with its reason when its peer is not installed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sspimodel.model.world import default_world
from sspimodel.ntlm import (
    AccountTable,
    ClientSession,
    LogonDenied,
    MessageAltered,
    MicMismatch,
    ServerSession,
)

CLOCK = 133_500_000_000_000_000
SPN = "HTTP/web.contoso.com"
WORLD = default_world()
ACCOUNTS = {p.account: (p.domain, p.secret) for p in WORLD.principals.values() if not p.account.endswith("$")}
ALICE_DOMAIN, ALICE_PASSWORD = ACCOUNTS["alice"]
ACCOUNT_TABLE = AccountTable({(d, u): pw for u, (d, pw) in ACCOUNTS.items()} | {u: pw for u, (_, pw) in ACCOUNTS.items()})


def our_client(user: str = "alice", password: str | None = None, seed: int = 1) -> ClientSession:
    rnd = random.Random(seed)
    domain, secret = ACCOUNTS[user]
    return ClientSession(
        user, domain, secret if password is None else password, random=rnd.randbytes, clock=lambda: CLOCK, target_name=SPN
    )


def our_server(seed: int = 2) -> ServerSession:
    return ServerSession(ACCOUNT_TABLE, random=random.Random(seed).randbytes, clock=lambda: CLOCK)


def flip(data: bytes, index: int, mask: int = 0x01) -> bytes:
    out = bytearray(data)
    out[index] ^= mask
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# pyspnego


@pytest.fixture
def spnego(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    module = pytest.importorskip("spnego", reason="pyspnego is not installed (pip install pyspnego)")
    users = tmp_path / "ntlm_users"
    users.write_text("".join(f"{d}:{u}:{pw}\n" for u, (d, pw) in ACCOUNTS.items()))
    monkeypatch.setenv("NTLM_USER_FILE", str(users))
    return module


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_our_client_with_pyspnego_server(spnego: Any, user: str) -> None:
    client = our_client(user)
    server = spnego.server(protocol="ntlm")
    challenge = server.step(client.negotiate())
    assert server.step(client.authenticate(challenge)) is None
    assert server.complete
    assert client.context is not None
    # pyspnego's wrap() is signature + sealed data; sealing both ways, then signatures both ways.
    for i in range(3):
        wrapped = server.wrap(f"server {i}".encode()).data
        assert client.context.unseal(wrapped[16:], wrapped[:16]) == f"server {i}".encode()
        sealed, signature = client.context.seal(f"client {i}".encode())
        assert server.unwrap(signature + sealed).data == f"client {i}".encode()
    client.context.verify(b"signed by pyspnego", server.sign(b"signed by pyspnego"))
    server.verify(b"signed by us", client.context.sign(b"signed by us"))


@pytest.mark.parametrize("user", ["alice", "bob"])
def test_pyspnego_client_with_our_server(spnego: Any, user: str) -> None:
    domain, secret = ACCOUNTS[user]
    client = spnego.client(f"{domain}\\{user}", secret, hostname="web.contoso.com", protocol="ntlm")
    server = our_server()
    challenge = server.challenge(client.step())
    authenticated = server.accept(client.step(challenge))
    assert (authenticated.user, authenticated.domain) == (user, domain)
    assert client.complete and server.context is not None
    for i in range(3):
        wrapped = client.wrap(f"client {i}".encode()).data
        assert server.context.unseal(wrapped[16:], wrapped[:16]) == f"client {i}".encode()
        sealed, signature = server.context.seal(f"server {i}".encode())
        assert client.unwrap(signature + sealed).data == f"server {i}".encode()
    server.context.verify(b"signed by pyspnego", client.sign(b"signed by pyspnego"))
    client.verify(b"signed by us", server.context.sign(b"signed by us"))


def test_wrong_password_fails_on_the_checking_side_pyspnego(spnego: Any) -> None:
    # Our client, wrong password: pyspnego's server refuses the AUTHENTICATE.
    client = our_client(password="not the password")
    server = spnego.server(protocol="ntlm")
    challenge = server.step(client.negotiate())
    with pytest.raises(spnego.exceptions.InvalidTokenError):
        server.step(client.authenticate(challenge))
    # pyspnego's client, wrong password: our server says LogonDenied.
    pclient = spnego.client(f"{ALICE_DOMAIN}\\alice", "not the password", hostname="web.contoso.com", protocol="ntlm")
    ours = our_server()
    challenge = ours.challenge(pclient.step())
    with pytest.raises(LogonDenied):
        ours.accept(pclient.step(challenge))


def test_tampering_is_detected_by_pyspnego_and_by_us(spnego: Any) -> None:
    # A flipped flag bit in our AUTHENTICATE: pyspnego's MIC check refuses it.
    client = our_client()
    server = spnego.server(protocol="ntlm")
    challenge = server.step(client.negotiate())
    with pytest.raises(spnego.exceptions.InvalidTokenError):
        server.step(flip(client.authenticate(challenge), 60, 0x10))
    # A flipped bit in pyspnego's AUTHENTICATE (its flags): our MIC check refuses it.
    pclient = spnego.client(f"{ALICE_DOMAIN}\\alice", ALICE_PASSWORD, hostname="web.contoso.com", protocol="ntlm")
    ours = our_server()
    challenge = ours.challenge(pclient.step())
    with pytest.raises(MicMismatch):
        ours.accept(flip(pclient.step(challenge), 60, 0x10))
    # Sealed messages: each side rejects a flipped bit of the other's.
    client = our_client()
    server = spnego.server(protocol="ntlm")
    server.step(client.authenticate(server.step(client.negotiate())))
    assert client.context is not None
    sealed, signature = client.context.seal(b"pay 10")
    with pytest.raises(spnego.exceptions.BadMICError):
        server.unwrap(signature + flip(sealed, 0))
    wrapped = server.wrap(b"pay 20").data
    with pytest.raises(MessageAltered):
        client.context.unseal(flip(wrapped[16:], 0), wrapped[:16])


# ---------------------------------------------------------------------------------------------
# sspi-rs through sspilib.raw


def _sspilib() -> Any:
    raw = pytest.importorskip("sspilib.raw", reason="sspilib (the native extra, bundling sspi-rs) is not installed")
    try:
        raw.enumerate_security_packages()
    except Exception as e:  # pragma: no cover - a broken native library
        pytest.skip(f"sspilib is installed but its SSPI library does not load: {e}")
    return raw


@pytest.fixture
def raw() -> Any:
    return _sspilib()


SEC_I_CONTINUE_NEEDED = 0x00090312
SEC_I_COMPLETE_NEEDED = 0x00090313
SEC_E_LOGON_DENIED = 0x8009030C
SEC_E_MESSAGE_ALTERED = 0x8009030F
SEC_E_UNSUPPORTED_FUNCTION = 0x80090302


def _credential(raw: Any, user: str, password: str | None, inbound: bool) -> Any:
    domain, secret = ACCOUNTS[user]
    identity = raw.WinNTAuthIdentity(username=user, domain=domain, password=secret if password is None else password)
    use = raw.CredentialUse.SECPKG_CRED_INBOUND if inbound else raw.CredentialUse.SECPKG_CRED_OUTBOUND
    return raw.acquire_credentials_handle(None, "NTLM", use, auth_data=identity).credential


def _token_out(raw: Any) -> Any:
    return raw.SecBufferDesc([raw.SecBuffer(None, raw.SecBufferType.SECBUFFER_TOKEN)])


def _token_in(raw: Any, token: bytes) -> Any:
    return raw.SecBufferDesc([raw.SecBuffer(bytearray(token), raw.SecBufferType.SECBUFFER_TOKEN)])


def _status(e: BaseException) -> int:
    return int(e.winerror) & 0xFFFFFFFF  # type: ignore[attr-defined]


class RsClient:
    """sspi-rs as the client: InitializeSecurityContext."""

    def __init__(self, raw: Any, user: str = "alice", password: str | None = None) -> None:
        self.raw = raw
        self.credential = _credential(raw, user, password, inbound=False)
        self.context: Any = None
        self.req = (
            raw.IscReq.ISC_REQ_CONFIDENTIALITY
            | raw.IscReq.ISC_REQ_INTEGRITY
            | raw.IscReq.ISC_REQ_CONNECTION
            | raw.IscReq.ISC_REQ_ALLOCATE_MEMORY
        )

    def step(self, token: bytes | None) -> tuple[int, bytes]:
        out = _token_out(self.raw)
        r = self.raw.initialize_security_context(
            self.credential, self.context, SPN, self.req, self.raw.TargetDataRep.SECURITY_NATIVE_DREP,
            _token_in(self.raw, token) if token else None, out,
        )
        self.context = r.context
        return int(r.status), out[0].data


class RsServer:
    """sspi-rs as the server: AcceptSecurityContext, then CompleteAuthToken when asked."""

    def __init__(self, raw: Any, user: str = "alice") -> None:
        self.raw = raw
        self.credential = _credential(raw, user, None, inbound=True)
        self.context: Any = None
        self.req = (
            raw.AscReq.ASC_REQ_CONFIDENTIALITY
            | raw.AscReq.ASC_REQ_INTEGRITY
            | raw.AscReq.ASC_REQ_CONNECTION
            | raw.AscReq.ASC_REQ_ALLOCATE_MEMORY
        )

    def step(self, token: bytes) -> tuple[int, bytes]:
        out = _token_out(self.raw)
        r = self.raw.accept_security_context(
            self.credential, self.context, _token_in(self.raw, token), self.req,
            self.raw.TargetDataRep.SECURITY_NATIVE_DREP, out,
        )
        self.context = r.context
        status = int(r.status)
        if status == SEC_I_COMPLETE_NEEDED:
            self.raw.complete_auth_token(self.context, _token_out(self.raw))
            status = 0
        return status, out[0].data


def _rs_seal(raw: Any, context: Any, data: bytes, qop: int = 0) -> tuple[bytes, bytes]:
    buffers = raw.SecBufferDesc(
        [raw.SecBuffer(bytearray(16), raw.SecBufferType.SECBUFFER_TOKEN), raw.SecBuffer(bytearray(data), raw.SecBufferType.SECBUFFER_DATA)]
    )
    raw.encrypt_message(context, qop, buffers, 0)
    return buffers[1].data, buffers[0].data


def _rs_unseal(raw: Any, context: Any, sealed: bytes, signature: bytes) -> bytes:
    buffers = raw.SecBufferDesc(
        [raw.SecBuffer(bytearray(signature), raw.SecBufferType.SECBUFFER_TOKEN), raw.SecBuffer(bytearray(sealed), raw.SecBufferType.SECBUFFER_DATA)]
    )
    raw.decrypt_message(context, buffers, 0)
    return buffers[1].data


@pytest.fixture
def rs_with_our_server(raw: Any) -> Iterator[tuple[RsClient, ServerSession]]:
    client, server = RsClient(raw), our_server()
    status, negotiate = client.step(None)
    assert status == SEC_I_CONTINUE_NEEDED
    status, authenticate = client.step(server.challenge(negotiate))
    assert status == 0
    assert server.accept(authenticate).user == "alice"
    yield client, server


@pytest.fixture
def our_client_with_rs(raw: Any) -> Iterator[tuple[ClientSession, RsServer]]:
    client, server = our_client(), RsServer(raw)
    status, challenge = server.step(client.negotiate())
    assert status == SEC_I_CONTINUE_NEEDED
    status, final = server.step(client.authenticate(challenge))
    assert (status, final) == (0, b"")
    yield client, server


def test_sspi_rs_client_with_our_server_seals_both_ways(raw: Any, rs_with_our_server: Any) -> None:
    client, server = rs_with_our_server
    assert server.context is not None
    for i in range(3):
        sealed, signature = _rs_seal(raw, client.context, f"sspi-rs {i}".encode())
        assert server.context.unseal(sealed, signature) == f"sspi-rs {i}".encode()
        sealed, signature = server.context.seal(f"model {i}".encode())
        assert _rs_unseal(raw, client.context, sealed, signature) == f"model {i}".encode()


def test_our_client_with_sspi_rs_server_seals_both_ways(raw: Any, our_client_with_rs: Any) -> None:
    client, server = our_client_with_rs
    assert client.context is not None
    for i in range(3):
        sealed, signature = _rs_seal(raw, server.context, f"sspi-rs {i}".encode())
        assert client.context.unseal(sealed, signature) == f"sspi-rs {i}".encode()
        sealed, signature = client.context.seal(f"model {i}".encode())
        assert _rs_unseal(raw, server.context, sealed, signature) == f"model {i}".encode()


def test_sspi_rs_ntlm_has_no_make_signature(raw: Any, our_client_with_rs: Any) -> None:
    # A fact of the peer, pinned so the day sspi-rs gains it the sign tests get written.
    _, server = our_client_with_rs
    buffers = raw.SecBufferDesc(
        [raw.SecBuffer(bytearray(b"m"), raw.SecBufferType.SECBUFFER_DATA), raw.SecBuffer(bytearray(16), raw.SecBufferType.SECBUFFER_TOKEN)]
    )
    with pytest.raises(OSError) as info:
        raw.make_signature(server.context, 0, buffers, 0)
    assert _status(info.value) == SEC_E_UNSUPPORTED_FUNCTION
    # Nor does it sign without sealing: EncryptMessage with SECQOP_WRAP_NO_ENCRYPT seals anyway.
    plain = b"plain text"
    sealed, signature = _rs_seal(raw, server.context, plain, qop=raw.QopFlags.SECQOP_WRAP_NO_ENCRYPT)
    assert sealed != plain
    client, _ = our_client_with_rs
    assert client.context is not None
    assert client.context.unseal(sealed, signature) == plain


def test_wrong_password_fails_on_the_checking_side_sspi_rs(raw: Any) -> None:
    # Our client with a wrong password: sspi-rs's server refuses in CompleteAuthToken.
    client, server = our_client(password="not the password"), RsServer(raw)
    _, challenge = server.step(client.negotiate())
    with pytest.raises(OSError) as info:
        server.step(client.authenticate(challenge))
    assert _status(info.value) == SEC_E_LOGON_DENIED
    # sspi-rs's client with a wrong password: our server says LogonDenied.
    rs, ours = RsClient(raw, password="not the password"), our_server()
    _, negotiate = rs.step(None)
    _, authenticate = rs.step(ours.challenge(negotiate))
    with pytest.raises(LogonDenied):
        ours.accept(authenticate)


def test_tampering_is_detected_by_sspi_rs_and_by_us(raw: Any) -> None:
    # sspi-rs's AUTHENTICATE with a flipped flag bit: our MIC check.
    rs, ours = RsClient(raw), our_server()
    _, negotiate = rs.step(None)
    _, authenticate = rs.step(ours.challenge(negotiate))
    with pytest.raises(MicMismatch):
        ours.accept(flip(authenticate, 60, 0x10))
    # Our AUTHENTICATE with a flipped NTProofStr bit: sspi-rs's check.
    client, server = our_client(), RsServer(raw)
    _, challenge = server.step(client.negotiate())
    authenticate = client.authenticate(challenge)
    nt_offset = int.from_bytes(authenticate[24:28], "little")
    with pytest.raises(OSError) as info:
        server.step(flip(authenticate, nt_offset))
    assert _status(info.value) == SEC_E_LOGON_DENIED  # in CompleteAuthToken, where sspi-rs checks the proof


def test_sealed_messages_with_a_flipped_bit_are_rejected_both_ways(raw: Any, our_client_with_rs: Any) -> None:
    client, server = our_client_with_rs
    assert client.context is not None
    sealed, signature = client.context.seal(b"pay 10")
    with pytest.raises(OSError) as info:
        _rs_unseal(raw, server.context, flip(sealed, 0), signature)
    assert _status(info.value) == SEC_E_MESSAGE_ALTERED
    sealed, signature = _rs_seal(raw, server.context, b"pay 20")
    with pytest.raises(MessageAltered):
        client.context.unseal(sealed, flip(signature, 5))
