"""``sspimodel conform --cross``: the model's NTLM against real NTLM implementations, on the wire.

Each pairing is a client and a server, each either the model (through its SSPI API, the world's
accounts), sspi-rs (through the sspilib wheel's ``sspilib.raw``: the SSPI calls themselves) or
pyspnego (its pure-Python NTLM, ``spnego.client`` / ``spnego.server``). For every pairing:

1. a handshake with the right password (every step's status, side by side);
2. a sealed message each way (EncryptMessage / DecryptMessage), and a signature each way when
   both peers sign (sspi-rs's NTLM has no MakeSignature/VerifySignature);
3. a sealed message with one bit flipped, each way: the receiver's status;
4. a handshake with a wrong password: the status of the side that checks it (the server).

The peers "understood each other" when the handshake completed on both sides, every message came
out as it went in, every flipped bit was rejected and the wrong password was refused. Statuses
of the real peers are their SECURITY_STATUS names (sspi-rs: the status it returns; pyspnego: the
SSPI code of the exception it raises). The report holds statuses only, never bytes, so it is the
same on every run although the real peers' randomness is not seeded.

A peer that is not installed makes its pairings "skipped" with the reason.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from attrs import define, field

from .._generated.status import Status

__all__ = ["PEERS", "PairingResult", "cross_report", "run_cross", "run_cross_cli", "run_pairing"]

SPN = "HTTP/web.contoso.com"
HOST = "web.contoso.com"
PEERS = ("model", "sspi-rs", "pyspnego")


def _name(code: int) -> str:
    code &= 0xFFFFFFFF
    try:
        return Status(code).name
    except ValueError:
        return f"0x{code:08X}"


class PeerError(Exception):
    """A peer refused: ``status`` is the SECURITY_STATUS name it reported."""

    def __init__(self, status: str, detail: str = "") -> None:
        super().__init__(f"{status}: {detail}" if detail else status)
        self.status = status


class Unavailable(Exception):
    """The peer's library is not installed or does not load."""


def _accounts() -> dict[str, tuple[str, str]]:
    from ..model.world import default_world

    world = default_world()
    return {p.account: (p.domain, p.secret) for p in world.principals.values() if not p.account.endswith("$")}


# ---------------------------------------------------------------------------------------------
# the peers: step(token) -> (status, token | None, done); seal/unseal; sign/verify


class ModelPeer:
    name = "model"
    signs = True

    def __init__(self, role: str, user: str, password: str, package: str = "NTLM") -> None:
        from ..api import Sspi
        from ..model import AuthIdentity
        from ..model.constants import (
            ISC_REQ_CONFIDENTIALITY,
            ISC_REQ_CONNECTION,
            ISC_REQ_INTEGRITY,
            ISC_REQ_REPLAY_DETECT,
            ISC_REQ_SEQUENCE_DETECT,
            SECPKG_CRED_INBOUND,
            SECPKG_CRED_OUTBOUND,
        )
        from ..model.world import default_world

        self.role = role
        world = default_world()
        if package == "Negotiate" and role == "client":
            # The real peers have no KDC: in a world whose KDC is unreachable the model's
            # Negotiate client takes NTLM, in SPNEGO (it would take simulated Kerberos otherwise).
            world.authority.online = False
        self.sspi = Sspi(world, 100 if role == "client" else 200)
        domain = world.domain
        identity = AuthIdentity(User=user, Domain=domain, Password=password) if role == "client" else None
        acquired = self.sspi.AcquireCredentialsHandleW(
            pPackage=package,
            fCredentialUse=SECPKG_CRED_OUTBOUND if role == "client" else SECPKG_CRED_INBOUND,
            pAuthData=identity,
        )
        if acquired.status.name != "SEC_E_OK":
            raise PeerError(acquired.status.name, "AcquireCredentialsHandleW")
        self.cred = acquired.phCredential
        self.ctx: Any = None
        self.req = (
            ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT
            | ISC_REQ_CONNECTION
        )  # fmt: skip

    def step(self, token: bytes | None) -> tuple[str, bytes | None, bool]:
        from ..model import SecBufferDesc
        from ..model.constants import SECURITY_NATIVE_DREP

        out = SecBufferDesc.output(48256)
        given = SecBufferDesc.token(token) if token else None
        if self.role == "client":
            r = self.sspi.InitializeSecurityContextW(
                phCredential=self.cred, phContext=self.ctx, pTargetName=SPN, fContextReq=self.req, Reserved1=0,
                TargetDataRep=SECURITY_NATIVE_DREP, pInput=given, Reserved2=0, pOutput=out,
            )  # fmt: skip
        else:
            r = self.sspi.AcceptSecurityContext(
                phCredential=self.cred, phContext=self.ctx, pInput=given, fContextReq=0,
                TargetDataRep=SECURITY_NATIVE_DREP, pOutput=out,
            )  # fmt: skip
        status = r.status.name
        if status not in ("SEC_E_OK", "SEC_I_CONTINUE_NEEDED"):
            raise PeerError(status)
        self.ctx = r.phNewContext
        produced = out.token_bytes or None
        return status, produced, status == "SEC_E_OK"

    def seal(self, data: bytes) -> tuple[bytes, bytes]:
        from ..model import SecBufferDesc

        desc = SecBufferDesc.message(data, 16)
        r = self.sspi.EncryptMessage(phContext=self.ctx, fQOP=0, pMessage=desc, MessageSeqNo=0)
        if r.status.name != "SEC_E_OK":
            raise PeerError(r.status.name, "EncryptMessage")
        return desc.pBuffers[1].contents, desc.pBuffers[0].contents

    def unseal(self, sealed: bytes, signature: bytes) -> bytes:
        from ..model import SecBuffer, SecBufferDesc
        from ..model.constants import SECBUFFER_DATA, SECBUFFER_TOKEN

        desc = SecBufferDesc([SecBuffer(SECBUFFER_TOKEN, signature), SecBuffer(SECBUFFER_DATA, sealed)])
        r = self.sspi.DecryptMessage(phContext=self.ctx, pMessage=desc, MessageSeqNo=0)
        if r.status.name != "SEC_E_OK":
            raise PeerError(r.status.name, "DecryptMessage")
        return desc.pBuffers[1].contents

    def sign(self, data: bytes) -> bytes:
        from ..model import SecBuffer, SecBufferDesc
        from ..model.constants import SECBUFFER_DATA, SECBUFFER_TOKEN

        desc = SecBufferDesc([SecBuffer(SECBUFFER_DATA, data), SecBuffer(SECBUFFER_TOKEN, None, 16)])
        r = self.sspi.MakeSignature(phContext=self.ctx, fQOP=0, pMessage=desc, MessageSeqNo=0)
        if r.status.name != "SEC_E_OK":
            raise PeerError(r.status.name, "MakeSignature")
        return desc.pBuffers[1].contents

    def verify(self, data: bytes, signature: bytes) -> None:
        from ..model import SecBuffer, SecBufferDesc
        from ..model.constants import SECBUFFER_DATA, SECBUFFER_TOKEN

        desc = SecBufferDesc([SecBuffer(SECBUFFER_DATA, data), SecBuffer(SECBUFFER_TOKEN, signature)])
        r = self.sspi.VerifySignature(phContext=self.ctx, pMessage=desc, MessageSeqNo=0)
        if r.status.name != "SEC_E_OK":
            raise PeerError(r.status.name, "VerifySignature")


@contextlib.contextmanager
def _spnego_users(accounts: dict[str, tuple[str, str]]) -> Iterator[None]:
    """pyspnego's NTLM server reads its accounts from the file NTLM_USER_FILE names."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ntlm_users"
        path.write_text("".join(f"{d}:{u}:{pw}\n" for u, (d, pw) in sorted(accounts.items())), encoding="utf-8")
        before = os.environ.get("NTLM_USER_FILE")
        os.environ["NTLM_USER_FILE"] = str(path)
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("NTLM_USER_FILE", None)
            else:
                os.environ["NTLM_USER_FILE"] = before


def _spnego() -> Any:
    try:
        import spnego
        import spnego.exceptions
    except ImportError as e:
        raise Unavailable(f"pyspnego is not installed ({e}); pip install pyspnego") from None
    return spnego


class PyspnegoPeer:
    name = "pyspnego"
    signs = True

    def __init__(self, role: str, user: str, password: str, package: str = "NTLM") -> None:
        spnego = _spnego()
        self.errors = spnego.exceptions.SpnegoError
        protocol = "ntlm" if package == "NTLM" else "negotiate"
        domain = _accounts().get(user, ("CONTOSO", ""))[0]
        if role == "client":
            self.ctx = spnego.client(f"{domain}\\{user}", password, hostname=HOST, service="HTTP", protocol=protocol)
        else:
            self.ctx = spnego.server(protocol=protocol)

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except self.errors as e:
            raise PeerError(_name(e.nt_status), f"pyspnego {what}") from None
        except Exception as e:  # pyspnego refuses some tokens with plain Python errors
            raise PeerError(f"raised {type(e).__name__}", f"pyspnego {what}: {e}") from None

    def step(self, token: bytes | None) -> tuple[str, bytes | None, bool]:
        out = self._call("step", lambda: self.ctx.step(token))
        done = bool(self.ctx.complete)
        return ("SEC_E_OK" if done else "SEC_I_CONTINUE_NEEDED"), out, done

    def seal(self, data: bytes) -> tuple[bytes, bytes]:
        wrapped = self._call("wrap", lambda: self.ctx.wrap(data).data)
        return wrapped[16:], wrapped[:16]

    def unseal(self, sealed: bytes, signature: bytes) -> bytes:
        return bytes(self._call("unwrap", lambda: self.ctx.unwrap(signature + sealed).data))

    def sign(self, data: bytes) -> bytes:
        return bytes(self._call("sign", lambda: self.ctx.sign(data)))

    def verify(self, data: bytes, signature: bytes) -> None:
        self._call("verify", lambda: self.ctx.verify(data, signature))


def _sspilib() -> Any:
    try:
        import sspilib.raw as raw
    except ImportError as e:
        raise Unavailable(f"sspilib (the native extra, bundling sspi-rs) is not installed ({e})") from None
    try:
        raw.enumerate_security_packages()
    except Exception as e:  # a broken native library: reported, not raised
        raise Unavailable(f"sspilib is installed but its SSPI library does not load: {e}") from None
    return raw


SEC_I_COMPLETE_NEEDED = 0x00090313


class SspiRsPeer:
    """sspi-rs through ``sspilib.raw``. On Linux its NTLM server's one account is the identity
    given to AcquireCredentialsHandle(SECPKG_CRED_INBOUND); it checks the client's response in
    CompleteAuthToken. Its NTLM has no MakeSignature/VerifySignature."""

    name = "sspi-rs"
    signs = False

    def __init__(self, role: str, user: str, password: str, package: str = "NTLM") -> None:
        raw = self.raw = _sspilib()
        domain = _accounts().get(user, ("CONTOSO", ""))[0]
        identity = raw.WinNTAuthIdentity(username=user, domain=domain, password=password)
        use = raw.CredentialUse.SECPKG_CRED_OUTBOUND if role == "client" else raw.CredentialUse.SECPKG_CRED_INBOUND
        self.role = role
        self.cred = self._call("AcquireCredentialsHandle", lambda: raw.acquire_credentials_handle(None, package, use, auth_data=identity)).credential
        self.ctx: Any = None

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except OSError as e:
            raise PeerError(_name(int(getattr(e, "winerror", 0) or 0)), f"sspi-rs {what}") from None

    def _desc(self, *buffers: tuple[bytes | None, Any]) -> Any:
        raw = self.raw
        return raw.SecBufferDesc([raw.SecBuffer(bytearray(b) if b is not None else None, t) for b, t in buffers])

    def step(self, token: bytes | None) -> tuple[str, bytes | None, bool]:
        raw = self.raw
        out = self._desc((None, raw.SecBufferType.SECBUFFER_TOKEN))
        given = self._desc((token, raw.SecBufferType.SECBUFFER_TOKEN)) if token else None
        if self.role == "client":
            req = (
                raw.IscReq.ISC_REQ_CONFIDENTIALITY | raw.IscReq.ISC_REQ_INTEGRITY | raw.IscReq.ISC_REQ_CONNECTION
                | raw.IscReq.ISC_REQ_ALLOCATE_MEMORY
            )  # fmt: skip
            r = self._call("InitializeSecurityContext", lambda: raw.initialize_security_context(
                self.cred, self.ctx, SPN, req, raw.TargetDataRep.SECURITY_NATIVE_DREP, given, out))  # fmt: skip
        else:
            req = (
                raw.AscReq.ASC_REQ_CONFIDENTIALITY | raw.AscReq.ASC_REQ_INTEGRITY | raw.AscReq.ASC_REQ_CONNECTION
                | raw.AscReq.ASC_REQ_ALLOCATE_MEMORY
            )  # fmt: skip
            r = self._call("AcceptSecurityContext", lambda: raw.accept_security_context(
                self.cred, self.ctx, given, req, raw.TargetDataRep.SECURITY_NATIVE_DREP, out))  # fmt: skip
        self.ctx = r.context
        status = int(r.status)
        if status == SEC_I_COMPLETE_NEEDED:
            self._call("CompleteAuthToken", lambda: raw.complete_auth_token(self.ctx, self._desc((None, raw.SecBufferType.SECBUFFER_TOKEN))))
            status = 0
        produced = bytes(out[0].data) or None
        return _name(status), produced, status == 0

    def seal(self, data: bytes) -> tuple[bytes, bytes]:
        raw = self.raw
        desc = self._desc((bytes(16), raw.SecBufferType.SECBUFFER_TOKEN), (data, raw.SecBufferType.SECBUFFER_DATA))
        self._call("EncryptMessage", lambda: raw.encrypt_message(self.ctx, 0, desc, 0))
        return bytes(desc[1].data), bytes(desc[0].data)

    def unseal(self, sealed: bytes, signature: bytes) -> bytes:
        raw = self.raw
        desc = self._desc((signature, raw.SecBufferType.SECBUFFER_TOKEN), (sealed, raw.SecBufferType.SECBUFFER_DATA))
        self._call("DecryptMessage", lambda: raw.decrypt_message(self.ctx, desc, 0))
        return bytes(desc[1].data)

    def sign(self, data: bytes) -> bytes:  # pragma: no cover - signs is False
        raise PeerError("SEC_E_UNSUPPORTED_FUNCTION", "sspi-rs MakeSignature")

    def verify(self, data: bytes, signature: bytes) -> None:  # pragma: no cover - signs is False
        raise PeerError("SEC_E_UNSUPPORTED_FUNCTION", "sspi-rs VerifySignature")


_PEER_CLASSES: dict[str, Any] = {"model": ModelPeer, "sspi-rs": SspiRsPeer, "pyspnego": PyspnegoPeer}


# ---------------------------------------------------------------------------------------------
# a pairing


@define
class PairingResult:
    package: str
    client: str
    server: str
    skipped: str = ""
    steps: list[tuple[str, str]] = field(factory=list)  # (what, status)
    understood: bool = False
    problems: list[str] = field(factory=list)

    @property
    def name(self) -> str:
        return f"{self.package}: {self.client} client -> {self.server} server"

    def as_dict(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "client": self.client,
            "server": self.server,
            "skipped": self.skipped,
            "steps": [list(s) for s in self.steps],
            "understood": self.understood,
            "problems": list(self.problems),
        }


def _handshake(
    client: Any, server: Any, steps: list[tuple[str, str]], label: str, tamper: Callable[[int, bytes], bytes] | None = None
) -> tuple[bool, str]:
    """Runs the handshake, client first; returns (completed on both sides, the last status).
    ``tamper(n, token)`` may change the n-th token (0: the client's first) on its way."""
    token: bytes | None = None
    sent = 0
    done = {"client": False, "server": False}
    side, status = "client", ""
    for _ in range(6):
        peer = client if side == "client" else server
        try:
            status, token, finished = peer.step(token)
        except PeerError as e:
            steps.append((f"{label} {side}", e.status))
            return False, e.status
        steps.append((f"{label} {side}", status))
        done[side] = finished
        if done["client"] and done["server"]:
            return True, status
        if token is None:
            break
        if tamper is not None:
            token = tamper(sent, token)
        sent += 1
        side = "server" if side == "client" else "client"
    return False, status


def _flip_at(data: bytes, at: int, bit: int) -> bytes:
    return data[:at] + bytes([data[at] ^ bit]) + data[at + 1 :] if 0 <= at < len(data) else data


def _flip_mic(which: int) -> Callable[[int, bytes], bytes]:
    """Flips one bit of the mechListMIC's checksum in the ``which``-th token (its last 16 bytes
    are the NTLMSSP_MESSAGE_SIGNATURE; the checksum is bytes 4 to 12 of it)."""

    def tamper(n: int, token: bytes) -> bytes:
        return _flip_at(token, len(token) - 8, 0x01) if n == which and len(token) > 16 else token

    return tamper


def _flip(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:] if data else data


def run_pairing(package: str, client_name: str, server_name: str, user: str = "alice") -> PairingResult:
    result = PairingResult(package, client_name, server_name)
    accounts = _accounts()
    _domain, password = accounts[user]
    steps = result.steps
    problems = result.problems
    with _spnego_users(accounts) if "pyspnego" in (client_name, server_name) else contextlib.nullcontext():
        try:
            client = _PEER_CLASSES[client_name]("client", user, password, package)
            # sspi-rs's server checks against the one account it was given: the client's.
            server = _PEER_CLASSES[server_name]("server", user if server_name == "sspi-rs" else "websvc", password, package)
        except Unavailable as e:
            result.skipped = str(e)
            return result
        done, _ = _handshake(client, server, steps, "handshake")
        if not done and client_name == "model" and server_name != "model":
            broken = _self_check(package, server_name, user, password)
            if broken:
                result.skipped = broken
                return result
        if not done:
            problems.append("the handshake did not complete")
        else:
            for label, sender, receiver in (("client->server", client, server), ("server->client", server, client)):
                text = f"sealed {label}".encode()
                try:
                    sealed, signature = sender.seal(text)
                    opened = receiver.unseal(sealed, signature)
                    steps.append((f"seal {label}", "SEC_E_OK"))
                    if opened != text:
                        problems.append(f"seal {label}: the message came out changed")
                except PeerError as e:
                    steps.append((f"seal {label}", e.status))
                    problems.append(f"seal {label}: {e.status}")
                if sender.signs and receiver.signs:
                    text = f"signed {label}".encode()
                    try:
                        receiver.verify(text, sender.sign(text))
                        steps.append((f"sign {label}", "SEC_E_OK"))
                    except PeerError as e:
                        steps.append((f"sign {label}", e.status))
                        problems.append(f"sign {label}: {e.status}")
                try:
                    sealed, signature = sender.seal(b"one bit of this will flip")
                except PeerError as e:
                    steps.append((f"flipped bit {label}", e.status))
                    problems.append(f"flipped bit {label}: sealing failed with {e.status}")
                    continue
                try:
                    receiver.unseal(_flip(sealed), signature)
                    steps.append((f"flipped bit {label}", "SEC_E_OK"))
                    problems.append(f"flipped bit {label}: accepted")
                except PeerError as e:
                    steps.append((f"flipped bit {label}", e.status))
        # One bit flipped in the AUTHENTICATE_MESSAGE (NegotiateFlags' NTLMSSP_NEGOTIATE_SIGN, byte
        # 60, covered by the MIC only): the server refuses it.
        tampered_client = _PEER_CLASSES[client_name]("client", user, password, package)
        tampered_server = _PEER_CLASSES[server_name]("server", user if server_name == "sspi-rs" else "websvc", password, package)
        done, _status = _handshake(
            tampered_client, tampered_server, steps, "flipped AUTHENTICATE bit",
            lambda n, t: _flip_at(t, t.find(b"NTLMSSP\x00") + 60, 0x10) if n == 2 and b"NTLMSSP\x00" in t else t,
        )  # fmt: skip
        if done:
            problems.append("an AUTHENTICATE_MESSAGE with a flipped bit was accepted")
        if package == "Negotiate":
            # One bit flipped in a mechListMIC's checksum (the last 16 bytes of the NegTokenResp
            # are the NTLMSSP_MESSAGE_SIGNATURE: version, checksum, SeqNum): the client's (third
            # token), which the server checks, and the server's (fourth), which the client checks.
            for n_flipped, label in ((2, "flipped client mechListMIC bit"), (3, "flipped server mechListMIC bit")):
                mic_client = _PEER_CLASSES[client_name]("client", user, password, package)
                mic_server = _PEER_CLASSES[server_name](
                    "server", user if server_name == "sspi-rs" else "websvc", password, package
                )
                done, _status = _handshake(
                    mic_client, mic_server, steps, label,
                    _flip_mic(n_flipped),
                )  # fmt: skip
                if done:
                    problems.append(f"{label}: the handshake completed")
        # A wrong password: the server checks it.
        wrong_client = _PEER_CLASSES[client_name]("client", user, password + "-wrong", package)
        wrong_server = _PEER_CLASSES[server_name]("server", user if server_name == "sspi-rs" else "websvc", password, package)
        done, _status = _handshake(wrong_client, wrong_server, steps, "wrong password")
        if done:
            problems.append("a wrong password was accepted")
    result.understood = not problems
    return result


def _self_check(package: str, peer: str, user: str, password: str) -> str:
    """'' when ``peer``'s own client completes a handshake with its server, else why not: then a
    model client that fails against that server says nothing of the model (sspilib 0.6's
    sspi-rs Negotiate server fails its own client's AUTHENTICATE leg)."""
    steps: list[tuple[str, str]] = []
    try:
        done, _ = _handshake(
            _PEER_CLASSES[peer]("client", user, password, package),
            _PEER_CLASSES[peer]("server", user if peer == "sspi-rs" else "websvc", password, package),
            steps, "self-check",
        )  # fmt: skip
    except PeerError as e:
        return f"{peer}'s {package} client and server fail each other too ({e})"
    if done:
        return ""
    return (
        f"{peer}'s {package} server does not complete a handshake with {peer}'s own {package} client either "
        f"(statuses {', '.join(status for _what, status in steps)})"
    )


def pairings(package: str = "NTLM") -> list[tuple[str, str]]:
    """The mixed pairings (client, server): the model against each real peer, both ways."""
    out = []
    for peer in PEERS[1:]:
        out += [("model", peer), (peer, "model")]
    return out


def _run_guarded(package: str, client: str, server: str) -> PairingResult:
    """run_pairing; a peer that fails in a way it does not report as a status (a crash of its
    library) ends its pairing with the error named, not a traceback."""
    try:
        return run_pairing(package, client, server)
    except PeerError as e:
        result = PairingResult(package, client, server)
        result.problems.append(f"{e}")
        return result
    except Exception as e:
        result = PairingResult(package, client, server)
        result.problems.append(f"crashed: {type(e).__name__}: {e}")
        return result


def run_cross(packages: tuple[str, ...] = ("NTLM", "Negotiate")) -> list[PairingResult]:
    return [_run_guarded(p, c, s) for p in packages for c, s in pairings(p)]


def cross_report(results: list[PairingResult]) -> str:
    """The report: one block per pairing, its statuses, and whether the peers understood each other."""
    lines = ["# sspimodel conform --cross", ""]
    for r in results:
        lines.append(f"## {r.name}")
        if r.skipped:
            lines += [f"skipped: {r.skipped}", ""]
            continue
        for what, status in r.steps:
            lines.append(f"- {what}: {status}")
        lines.append(f"understood each other: {'yes' if r.understood else 'no'}")
        for p in r.problems:
            lines.append(f"  problem: {p}")
        lines.append("")
    ran = [r for r in results if not r.skipped]
    lines.append(
        f"{len(ran)} pairings ran, {sum(r.understood for r in ran)} understood each other, "
        f"{len(results) - len(ran)} skipped"
    )
    return "\n".join(lines) + "\n"


def run_cross_cli(report_dir: Path | None = None) -> int:
    """Prints the report (and writes conform-cross.json / .md to ``report_dir``); exit status 1
    when a pairing that ran did not understand each other, else 0 (skipped pairings say why)."""
    import json

    results = run_cross()
    text = cross_report(results)
    print(text, end="")
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "conform-cross.md").write_text(text, encoding="utf-8")
        data = {"pairings": [r.as_dict() for r in results]}
        (report_dir / "conform-cross.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0 if all(r.understood for r in results if not r.skipped) else 1
