"""``sspilib.raw`` over the model: the sspi.h functions in snake_case, with sspilib's names,
signatures, enums, classes and errors, answered by :class:`~sspimodel.api.Sspi`.

How a call goes: the arguments are turned into the model's structures (handles, SecBufferDesc,
SEC_WINNT_AUTH_IDENTITY), the W function of the model is called through the guarded API (so the
page's contract, or Windows' where the model runs the "observed" contract, is checked), buffers
the package wrote are copied back into the caller's :class:`SecBuffer` objects, memory the
package allocated is released with FreeContextBuffer at once (sspilib frees it when the Python
object goes away; the model's leak check stays empty either way), and a status with the severity
bit set is raised as :class:`WindowsError` whose ``winerror`` is the signed status, as sspilib
does. Success statuses come back as :class:`NtStatus`.

Handles free themselves when the last reference goes, as sspilib's do: a :class:`CredHandle`
calls FreeCredentialsHandle, a :class:`CtxtHandle` DeleteSecurityContext, in the world that made
them. A call that takes a handle goes to the world and process that made the handle (an SSPI
handle means something only in its own process), so a client made as one process and a server
made as another (:func:`~sspimodel.sspilib.use_world`) can talk without switching back and
forth; calls that take none (acquire_credentials_handle, enumerate_security_packages) go to the
current runtime.

Where sspilib offers something the model does not simulate (Schannel, CredSSP, Kerberos keytabs),
:class:`~sspimodel.sspilib.NotModelledError` says so.
"""

from __future__ import annotations

import dataclasses
import enum
import typing as t
import uuid

from ._runtime import NotModelledError, Runtime, current

if t.TYPE_CHECKING:
    from ..model.buffers import SecBufferDesc as ModelDesc

__all__ = [
    "SECBUFFER_VERSION",
    "AcceptContextResult",
    "AcquireCredentialsResult",
    "AscReq",
    "AscRet",
    "AuthIdentity",
    "CredHandle",
    "CredentialUse",
    "CtxtHandle",
    "InitializeContextResult",
    "IscReq",
    "IscRet",
    "KdcProxySettingsFlags",
    "NtStatus",
    "QopFlags",
    "SecBuffer",
    "SecBufferDesc",
    "SecBufferFlags",
    "SecBufferType",
    "SecChannelBindings",
    "SecPkgContext",
    "SecPkgContextNames",
    "SecPkgContextPackageInfo",
    "SecPkgContextSessionKey",
    "SecPkgContextSizes",
    "SecPkgCred",
    "SecPkgCredKdcProxySettings",
    "SecPkgInfo",
    "SecurityPackageCapability",
    "TargetDataRep",
    "WinNTAuthCredentialType",
    "WinNTAuthFlags",
    "WinNTAuthIdentity",
    "WinNTAuthIdentityPackedCredential",
    "WindowsError",
    "accept_security_context",
    "acquire_credentials_handle",
    "complete_auth_token",
    "decrypt_message",
    "encrypt_message",
    "enumerate_security_packages",
    "initialize_security_context",
    "make_signature",
    "query_context_attributes",
    "set_credentials_attributes",
    "verify_signature",
]


# -- enums: the numbers are the sspi.h macros of spec/data/constants.tsv -----------------------------
def _constants() -> dict[str, int]:
    from ..codegen import load_constants

    return {name: c.value for name, c in load_constants().items()}


_C = _constants()


def _members(prefix: str, *, exclude: tuple[str, ...] = ()) -> dict[str, int]:
    """The 32-bit sspi.h macros starting with ``prefix`` (64-bit *_MESSAGES values are left out)."""
    return {n: v for n, v in _C.items() if n.startswith(prefix) and v <= 0xFFFFFFFF and n not in exclude}


def _flags(name: str, members: dict[str, int]) -> type[enum.IntFlag]:
    return t.cast(type[enum.IntFlag], enum.IntFlag(name, members, module=__name__))  # members come from data


def _enum(name: str, members: dict[str, int]) -> type[enum.IntEnum]:
    return t.cast(type[enum.IntEnum], enum.IntEnum(name, members, module=__name__))  # members come from data


IscReq = _flags("IscReq", _members("ISC_REQ_"))
IscRet = _flags("IscRet", _members("ISC_RET_"))
AscReq = _flags("AscReq", _members("ASC_REQ_"))
AscRet = _flags("AscRet", _members("ASC_RET_"))
# SECPKG_CRED_ATTR_* share the prefix but number credential attributes (Query/SetCredentialsAttributes),
# not uses: they are not members.
CredentialUse = _flags(
    "CredentialUse", {n: v for n, v in _members("SECPKG_CRED_").items() if not n.startswith("SECPKG_CRED_ATTR_")}
)
SecBufferType = _enum(
    "SecBufferType",
    {
        **{n: v for n, v in _members("SECBUFFER_").items() if v < 0x10000000 and n != "SECBUFFER_VERSION"},
        # Newer than the mingw-w64 10 sspi.h the constants come from; the value sspilib 0.4 gives it.
        "SECBUFFER_CERTIFICATE_REQUEST_CONTEXT": 29,
    },
)
SecBufferFlags = _flags(
    "SecBufferFlags", {"SECBUFFER_NONE": 0, **{n: v for n, v in _members("SECBUFFER_").items() if v >= 0x10000000}}
)
SecurityPackageCapability = _flags("SecurityPackageCapability", _members("SECPKG_FLAG_"))
TargetDataRep = _enum(
    "TargetDataRep",
    {"SECURITY_NATIVE_DREP": _C["SECURITY_NATIVE_DREP"], "SECURITY_NETWORK_DREP": _C["SECURITY_NETWORK_DREP"]},
)
# KERB_WRAP_NO_ENCRYPT (ntsecapi.h, not in the sspi.h constants) is Kerberos' name for the same bit
# as SECQOP_WRAP_NO_ENCRYPT; sspilib offers both and names the value by the Kerberos one, so it
# comes first (the SECQOP_ name is then an alias of the same member).
QopFlags = _flags(
    "QopFlags", {"KERB_WRAP_NO_ENCRYPT": _C["SECQOP_WRAP_NO_ENCRYPT"], **_members("SECQOP_")}
)
# The identity's Flags only: SEC_WINNT_AUTH_IDENTITY_ENCRYPT_* share the prefix but are the Options
# of SspiEncryptAuthIdentityEx (their 1, 2, 4 would alias ANSI, UNICODE, MARSHALLED).
WinNTAuthFlags = _flags(
    "WinNTAuthFlags",
    {n: v for n, v in _members("SEC_WINNT_AUTH_IDENTITY_").items() if "VERSION" not in n and "_ENCRYPT_" not in n},
)
SECBUFFER_VERSION: int = _C["SECBUFFER_VERSION"]


class KdcProxySettingsFlags(enum.IntEnum):
    """KDC_PROXY_SETTINGS_FLAGS_* of SecPkgCredentials_KdcProxySettings (:func:`set_credentials_attributes`).

    sspilib spells "no flag" ``KDX_PROXY_SETTINGS_FLAGS_NONE``; programs use that name, so it is the
    member's name, and ``KDC_PROXY_SETTINGS_FLAGS_NONE`` an alias of it.
    """

    KDX_PROXY_SETTINGS_FLAGS_NONE = 0
    KDC_PROXY_SETTINGS_FLAGS_NONE = 0
    KDC_PROXY_SETTINGS_FLAGS_FORCEPROXY = 1


def _status_enum() -> t.Any:
    from .._generated import Status

    return Status


class NtStatus(enum.IntEnum):
    """The success statuses the context functions return (the others raise WindowsError)."""

    SEC_E_OK = 0x00000000
    SEC_I_CONTINUE_NEEDED = 0x00090312
    SEC_I_COMPLETE_NEEDED = 0x00090313
    SEC_I_COMPLETE_AND_CONTINUE = 0x00090314


class WindowsError(OSError):
    """A failing SECURITY_STATUS: ``winerror`` is the signed 32-bit value, as in sspilib.

    ``function`` names the model function that failed and ``rule`` is the model's rule that
    decided it (``rule.basis`` says which page clause, interpretation or erratum it follows).
    """

    def __init__(self, winerror: int, *, function: str | None = None, rule: t.Any = None) -> None:
        unsigned = winerror & 0xFFFFFFFF
        signed = unsigned - (1 << 32) if unsigned & 0x80000000 else unsigned
        name = _status_name(unsigned)
        where = f" from {function}" if function else ""
        message = f"Received SSPI Error {name} 0x{unsigned:08X}{where}"
        if rule is not None and getattr(rule, "when", None):
            message += f": {rule.when}"
        super().__init__(signed, message)
        self.winerror = signed
        self.function = function
        self.rule = rule


def _status_name(unsigned: int) -> str:
    try:
        return str(_status_enum()(unsigned).name)
    except ValueError:
        return "UNKNOWN_ERROR_CODE"  # the word sspilib's message uses for a status it does not know


# -- handles ----------------------------------------------------------------------------------------
class _Handle:
    """A model handle plus the runtime that made it; released when the last reference goes."""

    __slots__ = ("__weakref__", "_handle", "_runtime")

    _release: t.ClassVar[str] = ""
    _param: t.ClassVar[str] = ""

    def __init__(self) -> None:
        self._handle: t.Any = None
        self._runtime: Runtime | None = None

    def _adopt(self, other: _Handle) -> None:
        """Take over ``other``'s model handle (``other`` no longer owns it)."""
        self._handle, self._runtime = other._handle, other._runtime
        other._handle = other._runtime = None

    def _model(self, runtime: Runtime, what: str) -> t.Any:
        if self._handle is None:
            return None
        mine = self._runtime
        if mine is not runtime and mine is not None:
            if mine.world is not runtime.world:
                raise ValueError(f"{what} belongs to another world than the call's other handle")
            if mine.sspi.process is not runtime.sspi.process:
                raise ValueError(
                    f"{what} belongs to process {mine.sspi.process.pid}, and the call goes to process "
                    f"{runtime.sspi.process.pid} (that of its other handle): a handle is valid only in "
                    "the process that made it"
                )
        return self._handle

    def __del__(self) -> None:
        handle, runtime = getattr(self, "_handle", None), getattr(self, "_runtime", None)
        if handle is None or runtime is None:
            return
        self._handle = None
        try:
            getattr(runtime.sspi, self._release)(**{self._param: handle})
        except Exception:
            pass

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._handle!r})"


class CredHandle(_Handle):
    """A credentials handle (FreeCredentialsHandle runs when the last reference goes)."""

    __slots__ = ()
    _release = "FreeCredentialsHandle"
    _param = "phCredential"


class CtxtHandle(_Handle):
    """A security context handle (DeleteSecurityContext runs when the last reference goes)."""

    __slots__ = ()
    _release = "DeleteSecurityContext"
    _param = "phContext"


# -- buffers ----------------------------------------------------------------------------------------
class _NotWritableError(TypeError, BufferError):
    """Read-only memory given for a SecBuffer: sspilib raises BufferError, so this is one (and a
    TypeError, what the layer raised before)."""


class SecBuffer:
    """One buffer: caller memory (a bytearray or memoryview), or None for one the package allocates."""

    def __init__(
        self,
        data: bytearray | memoryview | None,
        buffer_type: int,
        buffer_flags: int = 0,
    ) -> None:
        if isinstance(data, bytes):
            raise _NotWritableError("SecBuffer data must be a bytearray, a memoryview or None, not bytes (read-only)")
        if data is not None and not isinstance(data, bytearray | memoryview):
            raise TypeError(f"SecBuffer data must be a bytearray, a memoryview or None, not {type(data).__name__}")
        if isinstance(data, memoryview) and data.readonly:
            raise _NotWritableError("SecBuffer data must be writable (a read-only memoryview was given)")
        self._data = data
        self._count = len(data) if data is not None else 0
        self._type = int(buffer_type)
        self._flags = int(buffer_flags)

    @property
    def count(self) -> int:
        return self._count

    @property
    def data(self) -> bytes:
        if self._data is None:
            return b""
        return bytes(self._data[: self._count])

    @property
    def buffer_type(self) -> int:
        try:
            return SecBufferType(self._type)
        except ValueError:
            return self._type

    @property
    def buffer_flags(self) -> int:
        return SecBufferFlags(self._flags)

    def dangerous_get_view(self) -> memoryview:
        return memoryview(self._data if self._data is not None else bytearray())[: self._count]

    def __repr__(self) -> str:
        return f"SecBuffer({self.buffer_type!r}, count={self._count})"

    # the model's side
    def _to_model(self, as_output: bool) -> t.Any:
        from ..model.buffers import SecBuffer as ModelBuffer

        kind = self._type | self._flags
        if as_output:
            # An output slot: capacity only; no memory means "allocate it for me".
            return ModelBuffer(kind, None, len(self._data) if self._data is not None else 0)
        contents = bytes(self._data[: self._count]) if self._data is not None else None
        return ModelBuffer(kind, contents)

    def _from_model(self, runtime: Runtime, buffer: t.Any) -> None:
        self._type = buffer.BufferType & 0x0FFFFFFF
        self._flags = buffer.BufferType & 0xF0000000
        contents = buffer.contents
        size = min(buffer.cbBuffer, len(contents)) if buffer.pvBuffer is not None else 0
        if self._data is not None and size <= len(self._data):
            self._data[:size] = contents[:size]
        else:
            self._data = bytearray(contents[:size])
        self._count = size
        if getattr(buffer.pvBuffer, "address", None) is not None:
            _free(runtime, buffer.pvBuffer)


class SecBufferDesc(t.Iterable[SecBuffer]):
    """An immutable list of :class:`SecBuffer` (the buffers themselves change in place)."""

    def __init__(self, buffers: list[SecBuffer], *, version: int = SECBUFFER_VERSION) -> None:
        if not isinstance(buffers, list):
            # sspilib takes a list and nothing else; a double that took a tuple would pass tests
            # the real library fails.
            raise TypeError(f"SecBufferDesc buffers must be a list of SecBuffer, not {type(buffers).__name__}")
        for i, b in enumerate(buffers):
            if not isinstance(b, SecBuffer):
                raise TypeError(f"SecBufferDesc buffer {i} must be a SecBuffer, not {type(b).__name__}")
        self._buffers = tuple(buffers)
        self._version = version

    def __iter__(self) -> t.Iterator[SecBuffer]:
        return iter(self._buffers)

    def __len__(self) -> int:
        return len(self._buffers)

    def __getitem__(self, key: int) -> SecBuffer:
        return self._buffers[key]

    @property
    def version(self) -> int:
        return self._version

    def __repr__(self) -> str:
        return f"SecBufferDesc({list(self._buffers)!r})"

    def _to_model(self, as_output: bool = False) -> ModelDesc:
        from ..model.buffers import SecBufferDesc as ModelDesc

        return ModelDesc([b._to_model(as_output) for b in self._buffers], self._version)

    def _from_model(self, runtime: Runtime, desc: t.Any) -> None:
        for mine, theirs in zip(self._buffers, desc.pBuffers, strict=False):
            mine._from_model(runtime, theirs)


class SecChannelBindings:
    """SEC_CHANNEL_BINDINGS: addresses and application data, packed as the header lays them out."""

    def __init__(
        self,
        *,
        initiator_addr_type: int = 0,
        initiator_addr: bytes | bytearray | memoryview | None = None,
        acceptor_addr_type: int = 0,
        acceptor_addr: bytes | bytearray | memoryview | None = None,
        application_data: bytes | bytearray | memoryview | None = None,
    ) -> None:
        self._initiator_addr_type = initiator_addr_type
        self._initiator_addr = bytes(initiator_addr) if initiator_addr is not None else None
        self._acceptor_addr_type = acceptor_addr_type
        self._acceptor_addr = bytes(acceptor_addr) if acceptor_addr is not None else None
        self._application_data = bytes(application_data) if application_data is not None else None

    initiator_addr_type = property(lambda self: self._initiator_addr_type)
    initiator_addr = property(lambda self: self._initiator_addr)
    acceptor_addr_type = property(lambda self: self._acceptor_addr_type)
    acceptor_addr = property(lambda self: self._acceptor_addr)
    application_data = property(lambda self: self._application_data)

    def _packed(self) -> bytearray:
        """The structure (8 ULONGs: type, length, offset for each address, then the data's) + payload."""
        import struct

        header_size = 32
        payload = b""
        fields: list[int] = []
        for kind, value in (
            (self._initiator_addr_type, self._initiator_addr),
            (self._acceptor_addr_type, self._acceptor_addr),
        ):
            fields += [kind, len(value or b""), header_size + len(payload) if value else 0]
            payload += value or b""
        data = self._application_data or b""
        fields += [len(data), header_size + len(payload) if data else 0]
        return bytearray(struct.pack("<8I", *fields) + payload + data)

    def get_sec_buffer_copy(self) -> SecBuffer:
        return SecBuffer(self._packed(), SecBufferType["SECBUFFER_CHANNEL_BINDINGS"])

    def dangerous_get_sec_buffer(self) -> SecBuffer:
        return self.get_sec_buffer_copy()


# -- credentials ------------------------------------------------------------------------------------
class WinNTAuthCredentialType:
    """The SEC_WINNT_AUTH_DATA_TYPE_* GUIDs (sspi.h)."""

    SEC_WINNT_AUTH_DATA_TYPE_PASSWORD = uuid.UUID("28bfc32f-10f6-4738-98d1-1ac061df716a")
    SEC_WINNT_AUTH_DATA_TYPE_CERT = uuid.UUID("235f69ad-73fb-4dbc-8203-0629e739339b")
    SEC_WINNT_AUTH_DATA_TYPE_CREDMAN_CERT = uuid.UUID("7cb72412-1016-491a-8c87-4d2aa1b7dd3a")
    SEC_WINNT_AUTH_DATA_TYPE_NGC = uuid.UUID("10a47879-5ebf-4b85-bd8d-c21bb4f49c8a")
    SEC_WINNT_AUTH_DATA_TYPE_FIDO = uuid.UUID("32e8f8d7-7871-4bcc-83c5-460f66c6135c")
    SEC_WINNT_AUTH_DATA_TYPE_KEYTAB = uuid.UUID("d587aae8-f78f-4455-a112-c934beee7ce1")
    SEC_WINNT_AUTH_DATA_TYPE_DELEGATION_TOKEN = uuid.UUID("12e52e0f-6f9b-4f83-9020-9de42b226267")
    SEC_WINNT_AUTH_DATA_TYPE_CSP_DATA = uuid.UUID("68fd9879-079c-4dfe-8281-578aadc1c100")
    SEC_WINNT_AUTH_DATA_TYPE_SMARTCARD_CONTEXTS = uuid.UUID("b86c4ff3-49d7-4dc4-b560-b8f2cb5a5e5c")


class AuthIdentity:
    """Base of the identities acquire_credentials_handle takes as ``auth_data``."""

    def _to_model(self) -> t.Any:
        raise NotImplementedError


class WinNTAuthIdentity(AuthIdentity):
    """SEC_WINNT_AUTH_IDENTITY_W: user, domain and password (SEC_WINNT_AUTH_IDENTITY_EXW with a package list)."""

    def __init__(
        self,
        username: str | None = None,
        domain: str | None = None,
        password: str | None = None,
        *,
        flags: int = 0,
        package_list: str | None = None,
    ) -> None:
        _check_texts("WinNTAuthIdentity", username=username, domain=domain, password=password,
                     package_list=package_list)
        self._username, self._domain, self._password = username, domain, password
        self._flags = WinNTAuthFlags(int(flags) | _C["SEC_WINNT_AUTH_IDENTITY_UNICODE"])
        self._package_list = package_list

    username = property(lambda self: self._username)
    domain = property(lambda self: self._domain)
    password = property(lambda self: self._password)
    flags = property(lambda self: self._flags)
    package_list = property(lambda self: self._package_list)

    def __repr__(self) -> str:
        return f"WinNTAuthIdentity(username={self._username!r}, domain={self._domain!r}, password='***')"

    def _to_model(self) -> t.Any:
        if self._package_list is not None:
            from ..model.identity import SecWinntAuthIdentityExW

            own_logon = self._username is None and self._password is None and self._domain is None
            if not own_logon and (self._username is None or self._password is None):
                raise NotModelledError(
                    "WinNTAuthIdentity.package_list with half an identity (a user name without a password, or a "
                    "password or domain without a user name): the model reads a package list from a "
                    "SEC_WINNT_AUTH_IDENTITY_EXW that names a user and password, or names none of them (the "
                    "caller's own logon)"
                )

            # A package list makes the identity a SEC_WINNT_AUTH_IDENTITY_EXW, whose PackageList
            # the model's Negotiate honours (sspimodel.model.package_list); other packages ignore it.
            # User, Domain and Password all NULL: the caller's own logon (observed contract, errata
            # windows-null-identity-is-own-logon).
            return SecWinntAuthIdentityExW(
                User=self._username,  # type: ignore[arg-type]  # NULL is passed on as None
                Password=self._password,  # type: ignore[arg-type]
                Domain=self._domain,
                Flags=int(self._flags),
                PackageList=self._package_list,
            )
        from ..model.structs import SecWinntAuthIdentity

        # A NULL user or password is passed on as None; the model's contract judges it.
        return SecWinntAuthIdentity(
            User=self._username,  # type: ignore[arg-type]
            Password=self._password,  # type: ignore[arg-type]
            Domain=self._domain,
            Flags=int(self._flags),
        )


class WinNTAuthIdentityPackedCredential(AuthIdentity):
    """SEC_WINNT_AUTH_IDENTITY_EX2 with a packed credential (keytabs, certificates...): not modelled."""

    def __init__(
        self,
        credential_type: uuid.UUID,
        credential: bytes | bytearray | memoryview,
        *,
        username: str | None = None,
        domain: str | None = None,
        flags: int = 0,
        package_list: str | None = None,
    ) -> None:
        _check_texts("WinNTAuthIdentityPackedCredential", username=username, domain=domain,
                     package_list=package_list)
        self._credential_type = credential_type
        self._credential = bytes(credential)
        self._username, self._domain = username, domain
        self._flags = WinNTAuthFlags(int(flags))
        self._package_list = package_list

    credential_type = property(lambda self: self._credential_type)
    credential = property(lambda self: self._credential)
    username = property(lambda self: self._username)
    domain = property(lambda self: self._domain)
    flags = property(lambda self: self._flags)
    package_list = property(lambda self: self._package_list)

    def _to_model(self) -> t.Any:
        raise NotModelledError(
            f"packed credentials ({self._credential_type}): the model's packages take passwords only "
            "(keytabs, certificates and other SEC_WINNT_AUTH_PACKED_CREDENTIALS are not simulated)"
        )


class AcquireCredentialsResult(t.NamedTuple):
    credential: CredHandle
    expiry: int


# Packages sspilib programs ask for that the model does not simulate.
_NOT_MODELLED_PACKAGES = {
    "schannel": "Schannel (TLS)",
    "microsoft unified security protocol provider": "Schannel (TLS)",
    "credssp": "CredSSP",
    "tssspi": "CredSSP",
    "pku2u": "PKU2U",
}


def acquire_credentials_handle(
    principal: str | None,
    package: str,
    credential_use: int,
    *,
    auth_data: AuthIdentity | None = None,
) -> AcquireCredentialsResult:
    _check_texts("acquire_credentials_handle", principal=principal)
    if not isinstance(package, str):
        raise TypeError(f"acquire_credentials_handle package must be a str, not {type(package).__name__}")
    runtime = current()
    not_modelled = _NOT_MODELLED_PACKAGES.get(package.lower())
    if not_modelled:
        raise NotModelledError(f"security package {package!r}: {not_modelled} is not simulated by the model")
    if auth_data is not None and not isinstance(auth_data, AuthIdentity):
        raise TypeError(f"auth_data must be an AuthIdentity (e.g. a WinNTAuthIdentity) or None, "
                        f"not {type(auth_data).__name__}")
    identity = auth_data._to_model() if auth_data is not None else None
    result = runtime.sspi.AcquireCredentialsHandleW(
        pPrincipal=principal, pPackage=package, fCredentialUse=_int(credential_use, "credential_use"), pvLogonId=None,
        pAuthData=identity, pGetKeyFn=None, pvGetKeyArgument=None,
    )
    _raise_for(runtime, "AcquireCredentialsHandleW", result.status)
    handle = CredHandle()
    handle._handle, handle._runtime = result.phCredential, runtime
    return AcquireCredentialsResult(handle, _ticks(result.ptsExpiry))


class SecPkgCred:
    """Base of the credential attributes set_credentials_attributes takes."""

    def _to_model(self) -> tuple[int, t.Any]:
        """(ulAttribute, the structure pBuffer points to) for SetCredentialsAttributesW."""
        raise NotImplementedError


class SecPkgCredKdcProxySettings(SecPkgCred):
    """SecPkgCredentials_KdcProxySettingsW (version 1): the KDC proxy a Kerberos credential uses."""

    def __init__(self, *, flags: int = 0, proxy_server: str | None = None) -> None:
        if not isinstance(flags, int):
            raise TypeError(f"SecPkgCredKdcProxySettings flags must be an int, not {type(flags).__name__}")
        _check_texts("SecPkgCredKdcProxySettings", proxy_server=proxy_server)
        self._flags, self._proxy_server = flags, proxy_server

    version = property(lambda self: 1)
    flags = property(lambda self: KdcProxySettingsFlags(self._flags))
    proxy_server = property(lambda self: self._proxy_server)

    def _to_model(self) -> tuple[int, t.Any]:
        from ..model.cred_attributes import (
            KDC_PROXY_SETTINGS_V1,
            SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS,
            SecPkgCredentials_KdcProxySettings,
        )

        return SECPKG_CRED_ATTR_KDC_PROXY_SETTINGS, SecPkgCredentials_KdcProxySettings(
            Version=KDC_PROXY_SETTINGS_V1, Flags=int(self._flags), ProxyServer=self._proxy_server
        )


def set_credentials_attributes(credential: CredHandle, attribute: SecPkgCred) -> None:
    """SetCredentialsAttributesW: the model's Kerberos takes KDC proxy settings; other packages
    answer SEC_E_UNSUPPORTED_FUNCTION (sspimodel.model.cred_attributes)."""
    if not isinstance(attribute, SecPkgCred) or type(attribute) is SecPkgCred:
        raise TypeError("attribute must be a SecPkgCred such as SecPkgCredKdcProxySettings, not "
                        f"{type(attribute).__name__}")
    runtime = _runtime_of(credential)
    ul_attribute, struct = attribute._to_model()
    result = runtime.sspi.SetCredentialsAttributesW(
        phCredential=_handle(runtime, credential, "credential", required=True), ulAttribute=ul_attribute,
        pBuffer=struct, cbBuffer=struct.size,
    )
    _raise_for(runtime, "SetCredentialsAttributesW", result.status)


# -- contexts ---------------------------------------------------------------------------------------
class InitializeContextResult(t.NamedTuple):
    context: CtxtHandle
    attributes: int
    expiry: int
    status: NtStatus


class AcceptContextResult(t.NamedTuple):
    context: CtxtHandle
    attributes: int
    expiry: int
    status: NtStatus


def _context_call(
    function: str,
    credential: CredHandle | None,
    context: CtxtHandle | None,
    input_buffers: SecBufferDesc | None,
    output_buffers: SecBufferDesc | None,
    **arguments: t.Any,
) -> tuple[CtxtHandle, int, int, t.Any]:
    """One InitializeSecurityContextW / AcceptSecurityContext call: (context, attributes, expiry, status)."""
    runtime = _runtime_of(context, credential)
    result = getattr(runtime.sspi, function)(
        phCredential=_handle(runtime, credential, "credential"),
        phContext=_handle(runtime, context, "context"),
        pInput=_desc(input_buffers, "input_buffers"),
        pOutput=_desc(output_buffers, "output_buffers", as_output=True),
        **arguments,
    )
    # The rule that decided this call, read before FreeContextBuffer (of the output) decides another.
    rule = runtime.sspi.last_rule
    if output_buffers is not None and result.pOutput is not None:
        output_buffers._from_model(runtime, result.pOutput)
    _raise_for(runtime, function, result.status, rule)
    out = _context_for(runtime, context, result.phNewContext)
    return out, int(result.pfContextAttr or 0), _ticks(result.ptsExpiry), _success(result.status)


def initialize_security_context(
    credential: CredHandle | None,
    context: CtxtHandle | None,
    target_name: str,
    context_req: int,
    target_data_rep: int,
    input_buffers: SecBufferDesc | None,
    output_buffers: SecBufferDesc | None,
) -> InitializeContextResult:
    if not isinstance(target_name, str):
        # sspilib takes a str and nothing else (no None for a NULL pszTargetName).
        raise TypeError(f"target_name must be a str, not {type(target_name).__name__}")
    out, attributes, expiry, status = _context_call(
        "InitializeSecurityContextW", credential, context, input_buffers, output_buffers,
        pTargetName=target_name, fContextReq=_int(context_req, "context_req"), Reserved1=0,
        TargetDataRep=_int(target_data_rep, "target_data_rep"), Reserved2=0,
    )
    return InitializeContextResult(out, IscRet(attributes), expiry, status)


def accept_security_context(
    credential: CredHandle | None,
    context: CtxtHandle | None,
    input_buffers: SecBufferDesc | None,
    context_req: int,
    target_data_rep: int,
    output_buffers: SecBufferDesc | None,
) -> AcceptContextResult:
    out, attributes, expiry, status = _context_call(
        "AcceptSecurityContext", credential, context, input_buffers, output_buffers,
        fContextReq=_int(context_req, "context_req"), TargetDataRep=_int(target_data_rep, "target_data_rep"),
    )
    return AcceptContextResult(out, AscRet(attributes), expiry, status)


def complete_auth_token(context: CtxtHandle, token: SecBufferDesc) -> None:
    runtime = _runtime_of(context)
    desc = _desc(token, "token", required=True)
    result = runtime.sspi.CompleteAuthToken(phContext=_handle(runtime, context, "context", required=True),
                                            pToken=desc)
    rule = runtime.sspi.last_rule
    token._from_model(runtime, desc)
    _raise_for(runtime, "CompleteAuthToken", result.status, rule)


# -- messages ---------------------------------------------------------------------------------------
def _message_call(function: str, context: CtxtHandle, message: SecBufferDesc, **kwargs: t.Any) -> t.Any:
    runtime = _runtime_of(context)
    desc = _desc(message, "message", required=True)
    result = getattr(runtime.sspi, function)(phContext=_handle(runtime, context, "context", required=True),
                                             pMessage=desc, **kwargs)
    rule = runtime.sspi.last_rule
    # The model writes into the descriptor it was given (and returns it as pMessage when it is an
    # [in, out] parameter); copy what it wrote back into the caller's buffers.
    message._from_model(runtime, getattr(result, "pMessage", None) or desc)
    _raise_for(runtime, function, result.status, rule)
    return result


def make_signature(context: CtxtHandle, qop: int, message: SecBufferDesc, seq_no: int) -> None:
    _message_call("MakeSignature", context, message, fQOP=_int(qop, "qop"), MessageSeqNo=_int(seq_no, "seq_no"))


def verify_signature(context: CtxtHandle, message: SecBufferDesc, seq_no: int) -> int:
    result = _message_call("VerifySignature", context, message, MessageSeqNo=_int(seq_no, "seq_no"))
    return int(result.pfQOP or 0)


def encrypt_message(context: CtxtHandle, qop: int, message: SecBufferDesc, seq_no: int) -> None:
    _message_call("EncryptMessage", context, message, fQOP=_int(qop, "qop"), MessageSeqNo=_int(seq_no, "seq_no"))


def decrypt_message(context: CtxtHandle, message: SecBufferDesc, seq_no: int) -> int:
    result = _message_call("DecryptMessage", context, message, MessageSeqNo=_int(seq_no, "seq_no"))
    return int(result.pfQOP or 0)


# -- attributes and packages ------------------------------------------------------------------------
class SecPkgContext:
    """Base of the context attributes query_context_attributes returns."""

    _attribute: t.ClassVar[str] = ""

    def _load(self, runtime: Runtime, struct: t.Any) -> None:
        raise NotImplementedError


class SecPkgContextSizes(SecPkgContext):
    _attribute = "SECPKG_ATTR_SIZES"

    def __init__(self) -> None:
        self._sizes = (0, 0, 0, 0)

    def _load(self, runtime: Runtime, struct: t.Any) -> None:
        self._sizes = (struct.cbMaxToken, struct.cbMaxSignature, struct.cbBlockSize, struct.cbSecurityTrailer)

    max_token = property(lambda self: self._sizes[0])
    max_signature = property(lambda self: self._sizes[1])
    block_size = property(lambda self: self._sizes[2])
    security_trailer = property(lambda self: self._sizes[3])


class SecPkgContextNames(SecPkgContext):
    _attribute = "SECPKG_ATTR_NAMES"

    def __init__(self) -> None:
        self._username = ""

    def _load(self, runtime: Runtime, struct: t.Any) -> None:
        self._username = str(struct.sUserName)
        _free(runtime, struct.sUserName)

    username = property(lambda self: self._username)


class SecPkgContextSessionKey(SecPkgContext):
    _attribute = "SECPKG_ATTR_SESSION_KEY"

    def __init__(self) -> None:
        self._key = b""

    def _load(self, runtime: Runtime, struct: t.Any) -> None:
        self._key = bytes(struct.SessionKey)[: struct.SessionKeyLength]
        _free(runtime, struct.SessionKey)

    session_key = property(lambda self: self._key)


@dataclasses.dataclass
class SecPkgInfo:
    capabilities: int
    version: int
    rpcid: int
    max_token: int
    name: str
    comment: str

    @classmethod
    def _of(cls, info: t.Any) -> SecPkgInfo:
        return cls(SecurityPackageCapability(info.fCapabilities), info.wVersion, info.wRPCID, info.cbMaxToken,
                   str(info.Name), str(info.Comment))


class SecPkgContextPackageInfo(SecPkgContext):
    _attribute = "SECPKG_ATTR_PACKAGE_INFO"

    def __init__(self) -> None:
        self._info: SecPkgInfo | None = None

    def _load(self, runtime: Runtime, struct: t.Any) -> None:
        self._info = SecPkgInfo._of(struct.PackageInfo.value)
        _free(runtime, struct.PackageInfo)

    capabilities = property(lambda self: self._info.capabilities)
    version = property(lambda self: self._info.version)
    rpcid = property(lambda self: self._info.rpcid)
    max_token = property(lambda self: self._info.max_token)
    name = property(lambda self: self._info.name)
    comment = property(lambda self: self._info.comment)


T = t.TypeVar("T", bound=SecPkgContext)


def query_context_attributes(context: CtxtHandle, attribute: type[T]) -> T:
    if not (isinstance(attribute, type) and issubclass(attribute, SecPkgContext) and attribute._attribute):
        given = attribute.__name__ if isinstance(attribute, type) else f"a {type(attribute).__name__}"
        raise TypeError(f"attribute must be a SecPkgContext class such as SecPkgContextSizes, not {given}")
    runtime = _runtime_of(context)
    result = runtime.sspi.QueryContextAttributesW(
        phContext=_handle(runtime, context, "context", required=True), ulAttribute=_C[attribute._attribute]
    )
    _raise_for(runtime, "QueryContextAttributesW", result.status)
    value = attribute()
    value._load(runtime, result.pBuffer)
    return value


def enumerate_security_packages() -> list[SecPkgInfo]:
    from ..model.handles import Ref

    runtime = current()
    # The page tags both pointers [in] (a defect it keeps), so the model takes them as cells it fills.
    count: Ref[int] = Ref()
    infos: Ref[t.Any] = Ref()
    result = runtime.sspi.EnumerateSecurityPackagesW(pcPackages=count, ppPackageInfo=infos)
    _raise_for(runtime, "EnumerateSecurityPackagesW", result.status)
    assert infos.value is not None and count.value is not None  # written on SEC_E_OK
    packages = [SecPkgInfo._of(i) for i in infos.value.value[: count.value]]
    _free(runtime, infos.value)
    return packages


# -- helpers ----------------------------------------------------------------------------------------
def _runtime_of(*handles: _Handle | None) -> Runtime:
    """The runtime a call goes to: that of the first handle given that holds one (a handle is its
    process's), else the current one."""
    for handle in handles:
        if isinstance(handle, _Handle) and handle._handle is not None and handle._runtime is not None:
            return handle._runtime
    return current()


def _handle(runtime: Runtime, handle: _Handle | None, what: str, *, required: bool = False) -> t.Any:
    """The model's handle of a caller's one. ``required``: sspilib takes no None here (only the
    context functions' first call passes None), so None is a TypeError, not a NULL handle."""
    # A credential where a context is expected (or the reverse) is a TypeError, as in sspilib, not a
    # handle of the wrong table passed on to the model.
    kind = CredHandle if what == "credential" else CtxtHandle
    if handle is None and not required:
        return None
    if not isinstance(handle, kind):
        allowed = kind.__name__ if required else f"{kind.__name__} or None"
        raise TypeError(f"{what} must be a {allowed}, not {type(handle).__name__}")
    return handle._model(runtime, what)


def _int(value: t.Any, what: str) -> int:
    """An integer argument (a flag enum member is one); sspilib refuses a str or None with a
    TypeError where int() would turn "0" into 0."""
    if not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return int(value)


def _desc(
    desc: SecBufferDesc | None, what: str, *, as_output: bool = False, required: bool = False
) -> ModelDesc | None:
    """The model's descriptor for a caller's SecBufferDesc (None stays None unless ``required``:
    a message or a token to complete, where sspilib takes no None)."""
    if desc is None and not required:
        return None
    if not isinstance(desc, SecBufferDesc):
        allowed = "SecBufferDesc" if required else "SecBufferDesc or None"
        raise TypeError(f"{what} must be a {allowed}, not {type(desc).__name__}")
    return desc._to_model(as_output)


def _check_texts(owner: str, **values: t.Any) -> None:
    """sspilib's structures take str (or None) for their strings and refuse anything else."""
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{owner} {name} must be a str or None, not {type(value).__name__}")


def _context_for(runtime: Runtime, given: CtxtHandle | None, model_handle: t.Any) -> CtxtHandle:
    """The caller's handle when it gave one (now holding the context), else a new one."""
    handle = given if given is not None else CtxtHandle()
    if model_handle is not None and handle._handle is None:
        handle._handle, handle._runtime = model_handle, runtime
    return handle


def _raise_for(runtime: Runtime, function: str, status: t.Any, rule: t.Any = None) -> None:
    """Raise WindowsError for a failing status; ``rule`` is the one that decided the call (default:
    the runtime's last, right for a caller that made no other call since)."""
    value = int(status)
    if value & 0x80000000:
        raise WindowsError(value, function=function, rule=rule if rule is not None else runtime.sspi.last_rule)


def _success(status: t.Any) -> NtStatus:
    try:
        return NtStatus(int(status))
    except ValueError:
        return int(status)  # type: ignore[return-value]  # another informational status, as a number


def _free(runtime: Runtime, allocated: t.Any) -> None:
    if getattr(allocated, "address", None) is not None:
        runtime.sspi.FreeContextBuffer(pvContextBuffer=allocated)


def _ticks(stamp: t.Any) -> int:
    return int(stamp.QuadPart) if stamp is not None else 0
