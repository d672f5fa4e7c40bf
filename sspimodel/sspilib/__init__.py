"""sspilib's public API, answered by the model: run code written for sspilib on any OS.

    import sspimodel.sspilib as sspilib           # or: sspimodel.sspilib.install(); import sspilib
    cred = sspilib.UserCredential("alice", "Passw0rd!alice", domain="CONTOSO", protocol="NTLM")
    ctx = sspilib.ClientSecurityContext(cred, "HTTP/web.contoso.com")
    token = ctx.step()

Same names, signatures, enums, classes and exceptions as sspilib 0.4 to 0.6 (the high-level classes here,
the sspi.h functions in :mod:`sspimodel.sspilib.raw`). Calls go to a simulated world
(:func:`use_world` chooses it; by default the model's default world, process 100 "client.exe"
logged on as CONTOSO\\alice), under the model's "observed" contract where it has one, so the
layer behaves as Windows does rather than refusing what the pages' tables omit.

Where sspilib can do something the model does not simulate (Schannel, CredSSP, Kerberos
keytabs, a real KDC), :class:`NotModelledError` says so; the layer never answers differently
without saying it. Channel bindings are passed on, and the model's NTLM and Kerberos (also
under Negotiate) check them: a server given other bindings than the client's refuses with
SEC_E_BAD_BINDINGS; a client that sent none is let through, as by a server that does not
require them (README, "channel bindings").

:func:`install` puts this module in ``sys.modules`` as ``sspilib`` (and ``sspilib.raw``), so
unmodified programs and libraries that ``import sspilib`` run on the model; :func:`uninstall`
puts back what was there.
"""

from __future__ import annotations

import abc
import datetime
import sys
import typing as t

from . import raw
from ._runtime import NotModelledError, Runtime, current, reset, use_world
from .raw import AscReq, AscRet, IscReq, IscRet, SecChannelBindings, WindowsError

__all__ = [
    "AscReq",
    "AscRet",
    "ClientSecurityContext",
    "IscReq",
    "IscRet",
    "KeytabCredential",
    "NotModelledError",
    "Runtime",
    "SecChannelBindings",
    "SecurityContext",
    "ServerSecurityContext",
    "UnwrapResult",
    "UserCredential",
    "WindowsError",
    "current",
    "install",
    "installed",
    "raw",
    "reset",
    "uninstall",
    "use_world",
]

_USAGE = {
    "initiate": raw.CredentialUse["SECPKG_CRED_OUTBOUND"],
    "accept": raw.CredentialUse["SECPKG_CRED_INBOUND"],
    "both": raw.CredentialUse["SECPKG_CRED_BOTH"],
}


_UNIX_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_UNIX_EPOCH_TICKS = 116444736000000000  # 1970-01-01 as a FILETIME (100 ns ticks since 1601)


def _filetime(ticks: int) -> datetime.datetime:
    """A FILETIME as an aware UTC datetime, the way sspilib's ``expiry`` properties give it.

    A time datetime cannot hold (the "never expires" 0x7FFFFFFFFFFFFFFF credentials and contexts
    commonly report) comes out as the Unix epoch, 1970-01-01, as sspilib gives it, not as
    datetime.max: a program's check of ``expiry`` then sees what it sees on Windows.
    """
    try:
        return _UNIX_EPOCH + datetime.timedelta(microseconds=(ticks - _UNIX_EPOCH_TICKS) // 10)
    except OverflowError:
        return _UNIX_EPOCH


def _bytes_like(value: t.Any, what: str) -> bytearray:
    """A copy of a bytes-like argument; anything else (an int, which bytearray() would turn into
    that many zero bytes, a str) is the TypeError sspilib raises."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"{what} must be bytes, bytearray or memoryview, not {type(value).__name__}")
    return bytearray(value)


class _Credential(raw.CredHandle):
    __slots__ = ("_expiry", "_protocol", "_username")

    _expiry: int
    _protocol: str
    _username: str

    def _acquire(self, protocol: str, usage: str, identity: raw.AuthIdentity | None) -> None:
        if usage not in _USAGE:
            raise ValueError(f"usage must be 'initiate', 'accept' or 'both', not {usage!r}")
        result = raw.acquire_credentials_handle(None, protocol, _USAGE[usage], auth_data=identity)
        self._adopt(result.credential)
        self._expiry = result.expiry
        self._protocol = protocol

    @property
    def expiry(self) -> datetime.datetime:
        return _filetime(self._expiry)

    @property
    def protocol(self) -> str:
        return self._protocol

    @property
    def username(self) -> str:
        return self._username

    def __str__(self) -> str:
        return f"{self._username} - {self._protocol}"  # sspilib's form: "CONTOSO\\alice - NTLM"


class UserCredential(_Credential):
    """Credentials for ``protocol`` from a user name and password (or the process's own logon)."""

    __slots__ = ()

    def __init__(
        self,
        username: str | None = None,
        password: str | None = None,
        domain: str | None = None,
        protocol: str = "Negotiate",
        usage: t.Literal["initiate", "accept", "both"] = "initiate",
        *,
        protocol_list: list[str] | None = None,
    ) -> None:
        super().__init__()
        # The protocol list becomes the identity's PackageList, comma-separated as the
        # SEC_WINNT_AUTH_IDENTITY_EX page writes it (sspimodel.model.package_list).
        packages = ",".join(protocol_list) if protocol_list else None
        own_logon = username is None and password is None and domain is None
        if packages and not own_logon and not (username and password):
            raise NotModelledError(
                "UserCredential(protocol_list=...) with half an identity (a user name without a password, or a "
                "password or domain without a user name): the model reads a package list from a "
                "SEC_WINNT_AUTH_IDENTITY_EXW that names a user and password, or names none of them (the "
                "process's own logon)"
            )
        identity = None
        if packages or username or password or domain:
            # With a package list and nothing else, the identity of NULLs that sspilib passes: the
            # process's own logon, restricted to the listed packages (the model's observed contract,
            # errata windows-null-identity-is-own-logon).
            identity = raw.WinNTAuthIdentity(username=username, domain=domain, password=password, package_list=packages)
        self._acquire(protocol, usage, identity)
        # sspilib does not ask whose logon a credential without a user name stands for: it reports
        # "CurrentUser" (after the domain when one is given), and so does the layer.
        name = username or "CurrentUser"
        self._username = f"{domain}\\{name}" if domain else name


class KeytabCredential(_Credential):
    """Kerberos keytab credentials: not simulated (the model's Kerberos has no keytabs or KDC)."""

    __slots__ = ()

    def __init__(
        self,
        username: str,
        keytab: t.Any,
        domain: str | None = None,
        protocol: str = "Negotiate",
        usage: t.Literal["initiate", "accept", "both"] = "initiate",
        *,
        protocol_list: list[str] | None = None,
    ) -> None:
        super().__init__()
        raise NotModelledError("KeytabCredential: the model's Kerberos is simulated; it reads no keytab")


def _flags_int(flags: t.Any, kind: str) -> int:
    if not isinstance(flags, int):
        raise TypeError(f"flags must be an {kind} or int, not {type(flags).__name__}")
    return flags


class UnwrapResult(t.NamedTuple):
    data: bytes
    qop: int


class SecurityContext(raw.CtxtHandle, metaclass=abc.ABCMeta):
    """What client and server contexts share: stepping, wrapping and signing (abstract, as in sspilib)."""

    __slots__ = ("_attributes", "_bindings", "_complete", "_credential", "_expiry", "_flags", "_seq",
                 "_sizes")

    def __init__(self, credential: raw.CredHandle, channel_bindings: raw.SecChannelBindings | None = None) -> None:
        super().__init__()
        if not isinstance(credential, raw.CredHandle):
            raise TypeError(f"credential must be a CredHandle (e.g. a UserCredential), not {type(credential).__name__}")
        self._credential = credential
        self._bindings = channel_bindings
        self._complete = False
        self._attributes = 0
        self._expiry = _UNIX_EPOCH_TICKS  # sspilib's expiry before the first step: the Unix epoch
        self._seq = 0
        self._sizes: raw.SecPkgContextSizes | None = None

    @property
    def expiry(self) -> datetime.datetime:
        return _filetime(self._expiry)

    @property
    def complete(self) -> bool:
        return self._complete

    def _next_seq(self) -> int:
        seq, self._seq = self._seq, self._seq + 1
        return seq

    @abc.abstractmethod
    def _call(self, input_buffers: raw.SecBufferDesc | None,
              output_buffers: raw.SecBufferDesc) -> tuple[int, int, int]:
        """One InitializeSecurityContext / AcceptSecurityContext call: (status, attributes, expiry)."""

    def step(self, in_token: bytes | bytearray | memoryview | None = None) -> bytes:
        """One leg of the handshake: ``in_token`` from the peer in, the token for the peer out."""
        inputs = []
        if in_token:
            inputs.append(raw.SecBuffer(_bytes_like(in_token, "in_token"), raw.SecBufferType["SECBUFFER_TOKEN"]))
        if self._bindings is not None:
            inputs.append(self._bindings.get_sec_buffer_copy())
        out = raw.SecBufferDesc([raw.SecBuffer(None, raw.SecBufferType["SECBUFFER_TOKEN"])])
        status, self._attributes, self._expiry = self._call(raw.SecBufferDesc(inputs) if inputs else None, out)
        if status in (raw.NtStatus.SEC_I_COMPLETE_NEEDED, raw.NtStatus.SEC_I_COMPLETE_AND_CONTINUE):
            raw.complete_auth_token(self, out)
        if status in (raw.NtStatus.SEC_E_OK, raw.NtStatus.SEC_I_COMPLETE_NEEDED):
            self._complete = True
            self._sizes = raw.query_context_attributes(self, raw.SecPkgContextSizes)
        return out[0].data

    def _sizes_now(self) -> raw.SecPkgContextSizes:
        if self._sizes is None:
            self._sizes = raw.query_context_attributes(self, raw.SecPkgContextSizes)
        return self._sizes

    def wrap(self, data: bytes | bytearray | memoryview, encrypt: bool = True) -> bytes:
        """Seal (or, with ``encrypt=False``, only sign) ``data``: trailer + data + padding, joined."""
        payload = _bytes_like(data, "data")
        sizes = self._sizes_now()
        message = raw.SecBufferDesc([
            raw.SecBuffer(bytearray(sizes.security_trailer), raw.SecBufferType["SECBUFFER_TOKEN"]),
            raw.SecBuffer(payload, raw.SecBufferType["SECBUFFER_DATA"]),
            raw.SecBuffer(bytearray(sizes.block_size), raw.SecBufferType["SECBUFFER_PADDING"]),
        ])
        qop = 0 if encrypt else raw.QopFlags["SECQOP_WRAP_NO_ENCRYPT"]
        raw.encrypt_message(self, qop, message, self._next_seq())
        return b"".join(b.data for b in message)

    def unwrap(self, data: bytes | bytearray | memoryview) -> UnwrapResult:
        """Undo :meth:`wrap` of the peer: the whole message in, the data and the QOP out."""
        message = raw.SecBufferDesc([
            raw.SecBuffer(_bytes_like(data, "data"), raw.SecBufferType["SECBUFFER_STREAM"]),
            raw.SecBuffer(None, raw.SecBufferType["SECBUFFER_DATA"]),
        ])
        qop = raw.decrypt_message(self, message, self._next_seq())
        return UnwrapResult(message[1].data, qop)

    def sign(self, data: bytes | bytearray | memoryview) -> bytes:
        """The signature of ``data``."""
        payload = _bytes_like(data, "data")
        sizes = self._sizes_now()
        message = raw.SecBufferDesc([
            raw.SecBuffer(payload, raw.SecBufferType["SECBUFFER_DATA"]),
            raw.SecBuffer(bytearray(sizes.max_signature), raw.SecBufferType["SECBUFFER_TOKEN"]),
        ])
        raw.make_signature(self, 0, message, self._next_seq())
        return message[1].data

    def verify(self, data: bytes | bytearray | memoryview, mic: bytes | bytearray | memoryview) -> int:
        """Check the peer's signature ``mic`` of ``data``; the QOP it was made with."""
        message = raw.SecBufferDesc([
            raw.SecBuffer(_bytes_like(data, "data"), raw.SecBufferType["SECBUFFER_DATA"]),
            raw.SecBuffer(_bytes_like(mic, "mic"), raw.SecBufferType["SECBUFFER_TOKEN"]),
        ])
        return raw.verify_signature(self, message, self._next_seq())


class ClientSecurityContext(SecurityContext):
    """The initiator's side: InitializeSecurityContext for ``target_name`` at each step."""

    __slots__ = ("_target",)

    DEFAULT_FLAGS = (
        raw.IscReq["ISC_REQ_MUTUAL_AUTH"]
        | raw.IscReq["ISC_REQ_REPLAY_DETECT"]
        | raw.IscReq["ISC_REQ_SEQUENCE_DETECT"]
        | raw.IscReq["ISC_REQ_CONFIDENTIALITY"]
        | raw.IscReq["ISC_REQ_INTEGRITY"]
    )

    def __init__(
        self,
        credential: raw.CredHandle,
        target_name: str,
        flags: int | None = None,
        *,
        channel_bindings: raw.SecChannelBindings | None = None,
    ) -> None:
        super().__init__(credential, channel_bindings)
        if not isinstance(target_name, str):
            raise TypeError(f"target_name must be a str, not {type(target_name).__name__}")
        self._target = target_name
        self._flags = raw.IscReq(self.DEFAULT_FLAGS if flags is None else _flags_int(flags, "IscReq"))

    @property
    def attributes(self) -> int:
        return raw.IscRet(self._attributes)

    def _call(self, input_buffers: raw.SecBufferDesc | None,
              output_buffers: raw.SecBufferDesc) -> tuple[int, int, int]:
        result = raw.initialize_security_context(
            self._credential, self if self._handle is not None else None, self._target,
            self._flags | raw.IscReq["ISC_REQ_ALLOCATE_MEMORY"], raw.TargetDataRep["SECURITY_NATIVE_DREP"],
            input_buffers, output_buffers,
        )
        if result.context is not self:
            self._adopt(result.context)
        return result.status, int(result.attributes), result.expiry


class ServerSecurityContext(SecurityContext):
    """The acceptor's side: AcceptSecurityContext at each step."""

    __slots__ = ()

    DEFAULT_FLAGS = (
        raw.AscReq["ASC_REQ_MUTUAL_AUTH"]
        | raw.AscReq["ASC_REQ_REPLAY_DETECT"]
        | raw.AscReq["ASC_REQ_SEQUENCE_DETECT"]
        | raw.AscReq["ASC_REQ_CONFIDENTIALITY"]
        | raw.AscReq["ASC_REQ_INTEGRITY"]
    )

    def __init__(
        self,
        credential: raw.CredHandle,
        flags: int | None = None,
        *,
        channel_bindings: raw.SecChannelBindings | None = None,
    ) -> None:
        super().__init__(credential, channel_bindings)
        self._flags = raw.AscReq(self.DEFAULT_FLAGS if flags is None else _flags_int(flags, "AscReq"))

    @property
    def attributes(self) -> int:
        return raw.AscRet(self._attributes)

    def _call(self, input_buffers: raw.SecBufferDesc | None,
              output_buffers: raw.SecBufferDesc) -> tuple[int, int, int]:
        result = raw.accept_security_context(
            self._credential, self if self._handle is not None else None, input_buffers,
            self._flags | raw.AscReq["ASC_REQ_ALLOCATE_MEMORY"], raw.TargetDataRep["SECURITY_NATIVE_DREP"],
            output_buffers,
        )
        if result.context is not self:
            self._adopt(result.context)
        return result.status, int(result.attributes), result.expiry


# -- running unmodified code on the layer -----------------------------------------------------------
_saved: list[dict[str, t.Any]] = []


def install() -> None:
    """Make ``import sspilib`` (and ``import sspilib.raw``) give this layer, until :func:`uninstall`."""
    _saved.append({name: sys.modules.get(name) for name in ("sspilib", "sspilib.raw")})
    sys.modules["sspilib"] = sys.modules[__name__]
    sys.modules["sspilib.raw"] = raw


def uninstall() -> None:
    """Put back what ``sspilib`` and ``sspilib.raw`` were before the matching :func:`install`."""
    if not _saved:
        return
    for name, module in _saved.pop().items():
        if module is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = module


def installed() -> bool:
    """Whether ``import sspilib`` currently gives this layer."""
    return sys.modules.get("sspilib") is sys.modules[__name__]
