"""``NativeSspi``: the sspi.h functions of a native library, called through ctypes.

One method per exported function, named exactly as the API and taking the page's parameter names as
keyword arguments, so that a scenario written for the model's ``Sspi`` can be replayed here. Results
are plain attrs objects: ``status`` first (the unsigned SECURITY_STATUS, as the generated ``Status``
enum when that layer is importable, else a plain int), then the out parameters by name.

Python-side values, never pointers:

- handles are the model's ``CredHandle`` / ``CtxtHandle`` values ``(dwLower, dwUpper)`` from
  ``sspimodel/model/handles.py`` (:class:`NativeHandle` stands in when the model layer is absent);
  any object with integer ``dwLower`` / ``dwUpper`` attributes is accepted as input;
- buffers are ``bytes`` (one ``SECBUFFER_TOKEN``), sequences of ``(BufferType, bytes)`` or the
  model's ``SecBufferDesc``; for a buffer the caller provides for output, the length of the bytes
  (or the model buffer's ``cbBuffer``) is its capacity, as in C. A model ``SecBufferDesc`` passed as an
  [in, out] parameter is updated in place after the call;
- an identity is an :class:`AuthIdentity`, marshalled into ``SEC_WINNT_AUTH_IDENTITY_A`` / ``_W``.

Memory: everything the native side allocates (``ISC_REQ_ALLOCATE_MEMORY`` / ``ASC_REQ_ALLOCATE_MEMORY``
output tokens, the packed context of ExportSecurityContext, package-info arrays, attribute strings) is
copied into Python bytes/str and released with FreeContextBuffer before the method returns.

Handle guard: sspi-rs stores heap pointers in ``dwLower`` / ``dwUpper``, so a forged or already freed
handle makes it dereference a dangling pointer (the process may crash). By default (except on Windows,
whose secur32 validates handles) the backend refuses, with :class:`UnknownHandleError`, a handle it did
not issue or has already released; pass ``guard_handles=False`` to send such handles to the library,
and do that in a child process (see ``tests/test_native.py``).
"""

from __future__ import annotations

import ctypes
import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from ctypes import POINTER, byref, c_uint32, c_void_p
from typing import TYPE_CHECKING, Any, Literal

import attrs
from attrs import define, field, frozen

from . import structs as S
from .loader import NativeLibrary

__all__ = [
    "ALLOCATE_MEMORY",
    "DEFAULT_TOKEN_CAPACITY",
    "SECBUFFER_DATA",
    "SECBUFFER_TOKEN",
    "SECURITY_NATIVE_DREP",
    "AttributesResult",
    "AuthIdentity",
    "ContextLifespan",
    "ContextResult",
    "ContextSizes",
    "CredentialsResult",
    "ExportResult",
    "ImportResult",
    "MessageResult",
    "NativeArgumentError",
    "NativeHandle",
    "NativeSspi",
    "NegotiationInfo",
    "PackageInfo",
    "PackageInfoResult",
    "PackagesResult",
    "StatusResult",
    "StreamSizes",
    "TokenResult",
    "UnknownHandleError",
    "as_status",
]

# sspi.h values used by the marshalling code (spec/data/constants.tsv gives the same numbers).
ALLOCATE_MEMORY = 0x00000100  # ISC_REQ_ALLOCATE_MEMORY == ASC_REQ_ALLOCATE_MEMORY (sspi.h:344, 401)
SECBUFFER_EMPTY = 0
SECBUFFER_DATA = 1
SECBUFFER_TOKEN = 2
SECBUFFER_ATTRMASK = 0xF0000000
SECURITY_NATIVE_DREP = 0x00000010
SECPKG_ATTR_SIZES = 0
SECPKG_ATTR_NAMES = 1
SECPKG_ATTR_LIFESPAN = 2
SECPKG_ATTR_STREAM_SIZES = 4
SECPKG_ATTR_SESSION_KEY = 9
SECPKG_ATTR_PACKAGE_INFO = 10
SECPKG_ATTR_NEGOTIATION_INFO = 12
SECPKG_ATTR_FLAGS = 14
SECPKG_CRED_ATTR_NAMES = 1
SEC_E_OK = 0

# Capacity of the token buffer supplied when the caller gives no pOutput and does not ask for
# ALLOCATE_MEMORY: larger than the cbMaxToken of every package sspi-rs and Windows list (48000).
DEFAULT_TOKEN_CAPACITY = 65536
# Scratch size for QueryContextAttributes / QueryCredentialsAttributes attributes this backend does
# not decode: the bytes come back raw; pointers inside them (if any) are not followed or freed.
_SCRATCH_SIZE = 256

BufferList = Sequence[tuple[int, bytes | bytearray | None]]


_STATUS_BY_VALUE: dict[int, int] | None = None


def _status_table() -> dict[int, int]:
    """Value -> generated ``Status`` member (canonical names; aliases share a member), built once."""
    global _STATUS_BY_VALUE
    if _STATUS_BY_VALUE is None:
        try:
            from sspimodel._generated.status import Status  # the generated layer may be absent
        except ImportError:
            _STATUS_BY_VALUE = {}
        else:
            _STATUS_BY_VALUE = {int(member): member for member in Status}
    return _STATUS_BY_VALUE


def as_status(value: int) -> int:
    """The unsigned status, as ``sspimodel._generated.status.Status`` when that layer is importable
    and knows the value, else a plain int."""
    value &= 0xFFFFFFFF
    return _status_table().get(value, value)


class NativeArgumentError(ValueError):
    """A Python value cannot be marshalled for the native call; names the function and parameter."""

    def __init__(self, function: str, parameter: str, message: str) -> None:
        super().__init__(f"{function}: parameter {parameter}: {message}")
        self.function = function
        self.parameter = parameter


class UnknownHandleError(NativeArgumentError):
    """The handle was not issued by this backend or was already released (see the module docstring)."""


@frozen(repr=False)
class NativeHandle:
    """A SecHandle value (CredHandle or CtxtHandle): ``dwLower`` / ``dwUpper`` as the library set them."""

    dwLower: int
    dwUpper: int

    def __repr__(self) -> str:
        # Values are native addresses under sspi-rs: shown in hex, they change from run to run.
        return f"NativeHandle(dwLower={self.dwLower:#x}, dwUpper={self.dwUpper:#x})"

    @property
    def is_null(self) -> bool:
        return self.dwLower == 0 and self.dwUpper == 0


# Handles in results: the model's handle classes (sspimodel/model/handles.py) when that layer is
# present, so that native and model results hold the same types; else NativeHandle for both kinds.
if TYPE_CHECKING:
    from sspimodel.model.handles import CredHandle, CtxtHandle
else:
    try:
        from sspimodel.model.handles import CredHandle, CtxtHandle
    except ImportError:  # the model layer is absent: the native backend stands alone
        CredHandle = CtxtHandle = NativeHandle


@frozen
class AuthIdentity:
    """SEC_WINNT_AUTH_IDENTITY: ``flags`` None means ANSI for an A function and UNICODE for a W one."""

    user: str
    domain: str
    password: str = field(repr=False)
    flags: int | None = None


@frozen
class PackageInfo:
    """SecPkgInfo, copied out of native memory."""

    fCapabilities: int
    wVersion: int
    wRPCID: int
    cbMaxToken: int
    Name: str | None
    Comment: str | None


@frozen
class ContextSizes:
    cbMaxToken: int
    cbMaxSignature: int
    cbBlockSize: int
    cbSecurityTrailer: int


@frozen
class StreamSizes:
    cbHeader: int
    cbTrailer: int
    cbMaximumMessage: int
    cBuffers: int
    cbBlockSize: int


@frozen
class NegotiationInfo:
    PackageInfo: PackageInfo
    NegotiationState: int


@frozen
class ContextLifespan:
    tsStart: int
    tsExpiry: int


@define
class StatusResult:
    status: int
    function: str = field(kw_only=True)


@define
class CredentialsResult:
    status: int
    phCredential: CredHandle | None = None
    ptsExpiry: int | None = None
    function: str = field(kw_only=True)


@define
class ContextResult:
    """InitializeSecurityContext / AcceptSecurityContext: ``pOutput`` is the output token's bytes."""

    status: int
    phNewContext: CtxtHandle | None = None
    pOutput: bytes | None = None
    pfContextAttr: int | None = None
    ptsExpiry: int | None = None
    output_buffers: tuple[tuple[int, bytes], ...] = ()
    function: str = field(kw_only=True)


@define
class MessageResult:
    status: int
    pMessage: tuple[tuple[int, bytes], ...] = ()
    pfQOP: int | None = None
    function: str = field(kw_only=True)

    def buffer(self, buffer_type: int) -> bytes | None:
        """The first buffer of that type (attribute bits ignored), or None."""
        for btype, data in self.pMessage:
            if btype & ~SECBUFFER_ATTRMASK == buffer_type:
                return data
        return None


@define
class ExportResult:
    status: int
    pPackedContext: bytes | None = None
    pToken: int | None = None
    function: str = field(kw_only=True)


@define
class ImportResult:
    status: int
    phContext: CtxtHandle | None = None
    function: str = field(kw_only=True)


@define
class PackagesResult:
    status: int
    pcPackages: int | None = None
    ppPackageInfo: tuple[PackageInfo, ...] = ()
    function: str = field(kw_only=True)


@define
class PackageInfoResult:
    status: int
    ppPackageInfo: PackageInfo | None = None
    function: str = field(kw_only=True)


@define
class AttributesResult:
    """QueryContextAttributes / QueryCredentialsAttributes: ``pBuffer`` decoded (see the method)."""

    status: int
    pBuffer: object = None
    function: str = field(kw_only=True)


@define
class TokenResult:
    status: int
    Token: int | None = None
    function: str = field(kw_only=True)


class _Desc:
    """A SecBufferDesc whose memory lives as long as this object (i.e. for one call).

    ``source`` is the caller's buffer descriptor object when one was given (the model's
    ``SecBufferDesc``): :meth:`write_back` updates its buffers as the library updated ours, as an
    ``[in, out]`` SecBufferDesc is updated in C.
    """

    def __init__(self, buffers: BufferList, source: object = None) -> None:
        n = len(buffers)
        self.source = source
        self.array = (S.SecBuffer * max(n, 1))()
        self._storage: list[ctypes.Array[ctypes.c_char]] = []
        self.ours: list[int | None] = []
        for i, (btype, data) in enumerate(buffers):
            if data:
                raw = ctypes.create_string_buffer(bytes(data), len(data))
                self._storage.append(raw)
                self.array[i] = S.SecBuffer(len(data), btype, ctypes.addressof(raw))
                self.ours.append(ctypes.addressof(raw))
            else:
                self.array[i] = S.SecBuffer(0, btype, None)
                self.ours.append(None)
        self.desc = S.SecBufferDesc(S.SECBUFFER_VERSION, n, self.array)

    def read(self) -> tuple[tuple[int, bytes], ...]:
        out = []
        for i in range(self.desc.cBuffers):
            b = self.array[i]
            data = ctypes.string_at(b.pvBuffer, b.cbBuffer) if b.pvBuffer and b.cbBuffer else b""
            out.append((int(b.BufferType), data))
        return tuple(out)

    def write_back(self, buffers: tuple[tuple[int, bytes], ...]) -> None:
        if self.source is None:
            return
        for target, (btype, data) in zip(getattr(self.source, "pBuffers", ()), buffers, strict=False):
            target.BufferType = btype
            target.pvBuffer = data if data or target.pvBuffer is not None else None
            target.cbBuffer = len(data)

    def native_allocated(self) -> Iterator[int]:
        """Pointers the library stored in buffers we passed empty (ALLOCATE_MEMORY outputs)."""
        for i, ours in enumerate(self.ours):
            ptr = self.array[i].pvBuffer
            if ours is None and ptr:
                yield ptr


def _desc(function: str, parameter: str, value: object) -> _Desc:
    """Marshal ``value``: bytes (one SECBUFFER_TOKEN), a sequence of ``(BufferType, bytes)``, or a
    buffer-descriptor object with ``pBuffers`` of objects with ``BufferType`` / ``pvBuffer`` /
    ``cbBuffer`` (the model's ``SecBufferDesc``; a buffer with no contents and ``cbBuffer`` n is an
    output slot of capacity n)."""
    pbuffers = getattr(value, "pBuffers", None)
    if pbuffers is not None:
        items: list[tuple[int, bytes | bytearray | None]] = []
        for i, b in enumerate(pbuffers):
            btype, data, size = getattr(b, "BufferType", None), getattr(b, "pvBuffer", None), getattr(b, "cbBuffer", 0)
            if not isinstance(btype, int) or not (data is None or isinstance(data, bytes | bytearray)):
                raise NativeArgumentError(function, parameter, f"buffer {i} is not a SecBuffer: {b!r}")
            items.append((btype, bytes(data) if data is not None else (bytes(size) if size else None)))
        return _Desc(items, source=value)
    return _Desc(_buffers(function, parameter, value))


def _buffers(function: str, parameter: str, value: object) -> BufferList:
    if isinstance(value, bytes | bytearray):
        return [(SECBUFFER_TOKEN, bytes(value))]
    if isinstance(value, Sequence) and not isinstance(value, str):
        checked: list[tuple[int, bytes | bytearray | None]] = []
        for i, item in enumerate(value):
            if (
                not isinstance(item, tuple)
                or len(item) != 2
                or not isinstance(item[0], int)
                or not (item[1] is None or isinstance(item[1], bytes | bytearray))
            ):
                raise NativeArgumentError(
                    function, parameter, f"buffer {i} must be a (BufferType: int, bytes) pair, got {item!r}"
                )
            checked.append((item[0], item[1]))
        return checked
    raise NativeArgumentError(
        function,
        parameter,
        f"expected bytes, a sequence of (BufferType, bytes) or a SecBufferDesc, got {type(value).__name__}",
    )


def _first_token(buffers: tuple[tuple[int, bytes], ...]) -> bytes | None:
    for btype, data in buffers:
        if btype & ~SECBUFFER_ATTRMASK == SECBUFFER_TOKEN:
            return data
    return None


class NativeSspi:
    """The SSPI functions of a :class:`NativeLibrary`. Not thread-safe (the handle guard is shared)."""

    def __init__(self, lib: NativeLibrary, *, guard_handles: bool | None = None) -> None:
        self.lib = lib
        self.guard_handles = (
            guard_handles if guard_handles is not None else lib.origin.implementation != "Windows secur32"
        )
        self._credentials: set[tuple[int, int]] = set()
        self._contexts: dict[int, int] = {}  # dwLower -> latest dwUpper (sspi-rs replaces dwUpper per call)

    def __repr__(self) -> str:
        return f"NativeSspi({self.lib.origin.describe()})"

    # -- generic dispatch --------------------------------------------------------------------------

    def invoke(self, name: str, **kwargs: Any) -> Any:
        """Call the method ``name`` with keyword arguments (for scenario runners)."""
        method = getattr(self, name, None)
        if method is None or name.startswith("_") or not callable(method):
            raise AttributeError(f"NativeSspi has no SSPI function {name!r}")
        return method(**kwargs)

    def invoke_call(self, call: object) -> Any:
        """Replay a generated ``NameCall`` object: its class name minus ``Call`` names the function.

        Fields the native method does not take (out parameters that a page marks [in], such as
        EnumerateSecurityPackages' pcPackages) are dropped when None and rejected otherwise.
        """
        cls_name = type(call).__name__
        if not cls_name.endswith("Call") or not attrs.has(type(call)):
            raise TypeError(f"invoke_call: expected a generated NameCall attrs object, got {cls_name}")
        name = cls_name[: -len("Call")]
        method = getattr(self, name, None)
        if method is None:
            raise AttributeError(f"NativeSspi has no SSPI function {name!r}")
        accepted = set(inspect.signature(method).parameters)
        kwargs: dict[str, Any] = {}
        for a in attrs.fields(type(call)):  # type: ignore[arg-type]  # checked by attrs.has above
            value = getattr(call, a.name)
            if a.name in accepted:
                kwargs[a.name] = value
            elif value is not None:
                raise NativeArgumentError(name, a.name, "the native backend has no input for this parameter")
        return method(**kwargs)

    # -- marshalling helpers -----------------------------------------------------------------------

    def _fn(self, name: str) -> Callable[..., int]:
        fn: Callable[..., int] = self.lib.function(name)
        return fn

    def _ansi(self, function: str, parameter: str, value: str | bytes | None) -> ctypes.Array[ctypes.c_char] | None:
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = value.encode(self.lib.ansi_encoding)
            except UnicodeEncodeError as exc:
                raise NativeArgumentError(
                    function, parameter, f"{value!r} is not encodable in {self.lib.ansi_encoding}: {exc}"
                ) from exc
        if not isinstance(value, bytes):
            raise NativeArgumentError(function, parameter, f"expected str or bytes, got {type(value).__name__}")
        return ctypes.create_string_buffer(value)

    @staticmethod
    def _wide(function: str, parameter: str, value: str | None) -> ctypes.Array[ctypes.c_uint16] | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise NativeArgumentError(function, parameter, f"expected str, got {type(value).__name__}")
        return S.wide_buffer(value)

    def _handle_in(self, function: str, parameter: str, value: object, kind: Literal["cred", "ctxt"]) -> Any:
        """A SecHandle struct for ``value`` (None -> NULL pointer), checked by the handle guard."""
        if value is None:
            return None
        lower, upper = getattr(value, "dwLower", None), getattr(value, "dwUpper", None)
        if not isinstance(lower, int) or not isinstance(upper, int):
            raise NativeArgumentError(
                function, parameter, f"expected a handle with integer dwLower/dwUpper, got {value!r}"
            )
        if self.guard_handles:
            problem: str | None = None
            if kind == "cred":
                if (lower, upper) not in self._credentials:
                    problem = "is not a live credential handle issued by this backend"
            else:
                latest = self._contexts.get(lower)
                if latest is None:
                    problem = "is not a live context handle issued by this backend"
                elif latest != upper:
                    problem = f"is stale: the library has since set dwUpper={latest:#x} (pass the latest phNewContext)"
            if problem is not None:
                raise UnknownHandleError(
                    function,
                    parameter,
                    f"{value!r} {problem}; sspi-rs dereferences handle words as pointers "
                    "(use guard_handles=False, in a child process, to probe it)",
                )
        return S.SecHandle(lower, upper)

    @staticmethod
    def _cred_out(h: S.SecHandle) -> CredHandle | None:
        return None if h.dwLower == 0 and h.dwUpper == 0 else CredHandle(int(h.dwLower), int(h.dwUpper))

    @staticmethod
    def _ctxt_out(h: S.SecHandle) -> CtxtHandle | None:
        return None if h.dwLower == 0 and h.dwUpper == 0 else CtxtHandle(int(h.dwLower), int(h.dwUpper))

    def _track_context(self, after: CtxtHandle | None) -> None:
        # sspi-rs keeps dwLower for the life of a context and may replace dwUpper on every call, so
        # the guard remembers the latest dwUpper per dwLower; only DeleteSecurityContext forgets one.
        if after is not None:
            self._contexts[after.dwLower] = after.dwUpper

    @staticmethod
    def _new_context(phNewContext: object, phContext: Any) -> S.SecHandle:
        """The structure passed as phNewContext ([in, out]).

        A given phNewContext seeds it; otherwise the input context does (C callers usually pass the
        same handle as phContext and phNewContext), else it starts zeroed. A C caller must always
        supply this storage, so None here only means "let the backend provide it".
        """
        seed = phNewContext if phNewContext is not None else phContext
        if seed is None:
            return S.SecHandle()
        return S.SecHandle(getattr(seed, "dwLower", 0), getattr(seed, "dwUpper", 0))

    def _free(self, ptr: int | None) -> None:
        if ptr:
            self._fn("FreeContextBuffer")(ptr)

    @contextmanager
    def _freeing(self, holder: c_void_p) -> Iterator[None]:
        try:
            yield
        finally:
            self._free(holder.value)

    def _identity(self, function: str, value: object, wide: bool) -> tuple[Any, list[Any]]:
        """A SEC_WINNT_AUTH_IDENTITY_A/_W for ``value`` and the buffers that must outlive the call."""
        if value is None:
            return None, []
        if not isinstance(value, AuthIdentity):
            raise NativeArgumentError(
                function, "pAuthData", f"expected AuthIdentity or None, got {type(value).__name__}"
            )
        flags = value.flags if value.flags is not None else (
            S.SEC_WINNT_AUTH_IDENTITY_UNICODE if wide else S.SEC_WINNT_AUTH_IDENTITY_ANSI
        )
        keep: list[Any] = []
        if flags & S.SEC_WINNT_AUTH_IDENTITY_UNICODE:
            parts = []
            for name in ("user", "domain", "password"):
                text: str = getattr(value, name)
                buf = S.wide_buffer(text)
                keep.append(buf)
                parts += [ctypes.cast(buf, POINTER(ctypes.c_uint16)), len(text.encode("utf-16-le")) // 2]
            ident: Any = S.SEC_WINNT_AUTH_IDENTITY_W(*parts, flags)
        else:
            encoded = []
            for name in ("user", "domain", "password"):
                raw = self._ansi(function, f"pAuthData.{name}", getattr(value, name))
                assert raw is not None
                keep.append(raw)
                encoded += [ctypes.cast(raw, ctypes.c_char_p), len(raw.value)]
            ident = S.SEC_WINNT_AUTH_IDENTITY_A(*encoded, flags)
        keep.append(ident)
        return ident, keep

    @staticmethod
    def _luid(function: str, value: object) -> Any:
        if value is None:
            return None
        low, high = getattr(value, "LowPart", None), getattr(value, "HighPart", 0)
        if isinstance(low, int) and isinstance(high, int):  # the model's Luid(LowPart, HighPart)
            value = (high << 32) | (low & 0xFFFFFFFF)
        if not isinstance(value, int) or not 0 <= value < 1 << 64:
            raise NativeArgumentError(function, "pvLogonId", f"expected a LUID (int or Luid), got {value!r}")
        return ctypes.c_uint64(value)  # LUID { DWORD LowPart; LONG HighPart; } in little-endian order

    # -- credentials -------------------------------------------------------------------------------

    def _acquire(
        self,
        name: str,
        principal: Any,
        package: Any,
        fCredentialUse: int,
        pvLogonId: object,
        pAuthData: object,
        pGetKeyFn: object,
        pvGetKeyArgument: object,
        wide: bool,
    ) -> CredentialsResult:
        if pGetKeyFn is not None or pvGetKeyArgument is not None:
            # The page: "This parameter is not used and should be set to NULL."
            raise NativeArgumentError(name, "pGetKeyFn", "the native backend only passes NULL")
        ident, keep = self._identity(name, pAuthData, wide)
        luid = self._luid(name, pvLogonId)
        cred = S.SecHandle()
        expiry = S.TimeStamp()
        status = self._fn(name)(
            ctypes.addressof(principal) if principal is not None else None,
            ctypes.addressof(package) if package is not None else None,
            fCredentialUse,
            byref(luid) if luid is not None else None,
            ctypes.addressof(ident) if ident is not None else None,
            None,
            None,
            byref(cred),
            byref(expiry),
        )
        del keep
        handle = self._cred_out(cred)
        if S.unsigned_status(status) == SEC_E_OK and handle is not None:
            self._credentials.add((handle.dwLower, handle.dwUpper))
        return CredentialsResult(as_status(status), handle, expiry.value, function=name)

    def AcquireCredentialsHandleA(
        self,
        *,
        pszPackage: str | bytes | None,
        fCredentialUse: int,
        pszPrincipal: str | bytes | None = None,
        pvLogonId: int | None = None,
        pAuthData: AuthIdentity | None = None,
        pGetKeyFn: None = None,
        pvGetKeyArgument: None = None,
    ) -> CredentialsResult:
        n = "AcquireCredentialsHandleA"
        return self._acquire(
            n,
            self._ansi(n, "pszPrincipal", pszPrincipal),
            self._ansi(n, "pszPackage", pszPackage),
            fCredentialUse,
            pvLogonId,
            pAuthData,
            pGetKeyFn,
            pvGetKeyArgument,
            wide=False,
        )

    def AcquireCredentialsHandleW(
        self,
        *,
        pszPackage: str | None = None,
        fCredentialUse: int,
        pszPrincipal: str | None = None,
        pvLogonId: int | None = None,
        pAuthData: AuthIdentity | None = None,
        pGetKeyFn: None = None,
        pvGetKeyArgument: None = None,
        pPackage: str | None = None,
        pPrincipal: str | None = None,
    ) -> CredentialsResult:
        """``pPackage`` / ``pPrincipal`` are accepted as aliases: the W page names the parameters so
        (the kernel-mode header names) while sspi.h's user-mode prototype says pszPackage / pszPrincipal."""
        n = "AcquireCredentialsHandleW"
        package = _alias(n, "pszPackage", pszPackage, "pPackage", pPackage)
        principal = _alias(n, "pszPrincipal", pszPrincipal, "pPrincipal", pPrincipal)
        return self._acquire(
            n,
            self._wide(n, "pszPrincipal", principal),
            self._wide(n, "pszPackage", package),
            fCredentialUse,
            pvLogonId,
            pAuthData,
            pGetKeyFn,
            pvGetKeyArgument,
            wide=True,
        )

    def FreeCredentialsHandle(self, *, phCredential: object) -> StatusResult:
        n = "FreeCredentialsHandle"
        h = self._handle_in(n, "phCredential", phCredential, "cred")
        status = self._fn(n)(byref(h) if h is not None else None)
        if S.unsigned_status(status) == SEC_E_OK and h is not None:
            self._credentials.discard((int(h.dwLower), int(h.dwUpper)))
        return StatusResult(as_status(status), function=n)

    def _query_credentials(self, n: str, phCredential: object, ulAttribute: int, wide: bool) -> AttributesResult:
        h = self._handle_in(n, "phCredential", phCredential, "cred")
        href = byref(h) if h is not None else None
        if ulAttribute == SECPKG_CRED_ATTR_NAMES:
            names: Any = S.SecPkgCredentials_NamesW() if wide else S.SecPkgCredentials_NamesA()
            status = self._fn(n)(href, ulAttribute, byref(names))
            ptr = ctypes.cast(names.sUserName, c_void_p).value
            try:
                value = self._read_string(ptr, wide) if S.unsigned_status(status) == SEC_E_OK else None
            finally:
                self._free(ptr)
            return AttributesResult(as_status(status), value, function=n)
        scratch = ctypes.create_string_buffer(_SCRATCH_SIZE)
        status = self._fn(n)(href, ulAttribute, scratch)
        return AttributesResult(as_status(status), scratch.raw, function=n)

    def QueryCredentialsAttributesA(self, *, phCredential: object, ulAttribute: int) -> AttributesResult:
        """SECPKG_CRED_ATTR_NAMES is decoded to the user name (str); other attributes return raw bytes."""
        return self._query_credentials("QueryCredentialsAttributesA", phCredential, ulAttribute, wide=False)

    def QueryCredentialsAttributesW(self, *, phCredential: object, ulAttribute: int) -> AttributesResult:
        """SECPKG_CRED_ATTR_NAMES is decoded to the user name (str); other attributes return raw bytes."""
        return self._query_credentials("QueryCredentialsAttributesW", phCredential, ulAttribute, wide=True)

    # issue 19 (19a): SetCredentialsAttributes and QueryCredentialsAttributesEx. pBuffer is given
    # as the bytes of the attribute's structure (a self-contained one such as
    # SecPkgCredentials_KdcProxySettingsW, whose strings follow it by offset); the Ex query fills
    # the caller's buffer of cbBuffer bytes.
    def _set_credentials(self, n: str, phCredential: object, ulAttribute: int, pBuffer: object, cbBuffer: int) -> StatusResult:
        h = self._handle_in(n, "phCredential", phCredential, "cred")
        if not isinstance(pBuffer, bytes | bytearray):
            raise TypeError(f"{n}: pBuffer must be the bytes of the attribute's structure, got {type(pBuffer).__name__}")
        data = ctypes.create_string_buffer(bytes(pBuffer), max(len(pBuffer), 1))
        status = self._fn(n)(byref(h) if h is not None else None, ulAttribute, data, cbBuffer)
        return StatusResult(as_status(status), function=n)

    def SetCredentialsAttributesA(
        self, *, phCredential: object, ulAttribute: int, pBuffer: object, cbBuffer: int
    ) -> StatusResult:
        return self._set_credentials("SetCredentialsAttributesA", phCredential, ulAttribute, pBuffer, cbBuffer)

    def SetCredentialsAttributesW(
        self, *, phCredential: object, ulAttribute: int, pBuffer: object, cbBuffer: int
    ) -> StatusResult:
        return self._set_credentials("SetCredentialsAttributesW", phCredential, ulAttribute, pBuffer, cbBuffer)

    def _query_credentials_ex(self, n: str, phCredential: object, ulAttribute: int, cbBuffer: int, wide: bool) -> AttributesResult:
        h = self._handle_in(n, "phCredential", phCredential, "cred")
        href = byref(h) if h is not None else None
        if ulAttribute == SECPKG_CRED_ATTR_NAMES:
            names: Any = S.SecPkgCredentials_NamesW() if wide else S.SecPkgCredentials_NamesA()
            status = self._fn(n)(href, ulAttribute, byref(names), cbBuffer)
            ptr = ctypes.cast(names.sUserName, c_void_p).value
            try:
                value = self._read_string(ptr, wide) if S.unsigned_status(status) == SEC_E_OK else None
            finally:
                self._free(ptr)
            return AttributesResult(as_status(status), value, function=n)
        scratch = ctypes.create_string_buffer(max(cbBuffer, _SCRATCH_SIZE))
        status = self._fn(n)(href, ulAttribute, scratch, cbBuffer)
        return AttributesResult(as_status(status), scratch.raw[:cbBuffer], function=n)

    def QueryCredentialsAttributesExA(
        self, *, phCredential: object, ulAttribute: int, cbBuffer: int, pBuffer: object = None
    ) -> AttributesResult:
        """SECPKG_CRED_ATTR_NAMES is decoded to the user name (str); other attributes return raw bytes.
        ``pBuffer`` (a cell in the model) is this backend's own buffer of ``cbBuffer`` bytes."""
        return self._query_credentials_ex("QueryCredentialsAttributesExA", phCredential, ulAttribute, cbBuffer, wide=False)

    def QueryCredentialsAttributesExW(
        self, *, phCredential: object, ulAttribute: int, cbBuffer: int, pBuffer: object = None
    ) -> AttributesResult:
        """As QueryCredentialsAttributesExA, with a wide name."""
        return self._query_credentials_ex("QueryCredentialsAttributesExW", phCredential, ulAttribute, cbBuffer, wide=True)

    # -- context establishment ---------------------------------------------------------------------

    def _output_desc(self, n: str, pOutput: object, fContextReq: int) -> _Desc:
        if pOutput is None:
            # The caller gave no buffers: supply one token buffer, empty when the library is asked
            # to allocate ("ISC_REQ_ALLOCATE_MEMORY: The security package allocates output buffers").
            capacity = b"" if fContextReq & ALLOCATE_MEMORY else bytes(DEFAULT_TOKEN_CAPACITY)
            return _Desc([(SECBUFFER_TOKEN, capacity)])
        return _desc(n, "pOutput", pOutput)

    def _finish_context(
        self, n: str, status: int, new_ctx: S.SecHandle, out: _Desc, attr: c_uint32, expiry: Any
    ) -> ContextResult:
        try:
            buffers = out.read()
        finally:
            for ptr in out.native_allocated():
                self._free(ptr)
        out.write_back(buffers)
        handle = self._ctxt_out(new_ctx)
        self._track_context(handle)
        return ContextResult(
            as_status(status),
            handle,
            _first_token(buffers),
            int(attr.value),
            expiry.value,
            buffers,
            function=n,
        )

    def _initialize(
        self,
        n: str,
        target: Any,
        phCredential: object,
        phContext: object,
        fContextReq: int,
        Reserved1: int,
        TargetDataRep: int,
        pInput: object,
        Reserved2: int,
        phNewContext: object,
        pOutput: object,
    ) -> ContextResult:
        cred = self._handle_in(n, "phCredential", phCredential, "cred")
        ctx = self._handle_in(n, "phContext", phContext, "ctxt")
        new_ctx = self._new_context(phNewContext, ctx)
        inp = _desc(n, "pInput", pInput) if pInput is not None else None
        out = self._output_desc(n, pOutput, fContextReq)
        attr = c_uint32()
        expiry = S.TimeStamp()
        status = self._fn(n)(
            byref(cred) if cred is not None else None,
            byref(ctx) if ctx is not None else None,
            ctypes.addressof(target) if target is not None else None,
            fContextReq,
            Reserved1,
            TargetDataRep,
            byref(inp.desc) if inp is not None else None,
            Reserved2,
            byref(new_ctx),
            byref(out.desc),
            byref(attr),
            byref(expiry),
        )
        return self._finish_context(n, status, new_ctx, out, attr, expiry)

    def InitializeSecurityContextA(
        self,
        *,
        fContextReq: int,
        phCredential: object = None,
        phContext: object = None,
        pszTargetName: str | bytes | None = None,
        Reserved1: int = 0,
        TargetDataRep: int = SECURITY_NATIVE_DREP,
        pInput: bytes | BufferList | None = None,
        Reserved2: int = 0,
        phNewContext: object = None,
        pOutput: BufferList | None = None,
    ) -> ContextResult:
        n = "InitializeSecurityContextA"
        return self._initialize(
            n, self._ansi(n, "pszTargetName", pszTargetName), phCredential, phContext, fContextReq,
            Reserved1, TargetDataRep, pInput, Reserved2, phNewContext, pOutput,
        )

    def InitializeSecurityContextW(
        self,
        *,
        fContextReq: int,
        phCredential: object = None,
        phContext: object = None,
        pszTargetName: str | None = None,
        Reserved1: int = 0,
        TargetDataRep: int = SECURITY_NATIVE_DREP,
        pInput: bytes | BufferList | None = None,
        Reserved2: int = 0,
        phNewContext: object = None,
        pOutput: BufferList | None = None,
        pTargetName: str | None = None,
    ) -> ContextResult:
        """``pTargetName`` is accepted as an alias: the W page uses the kernel-mode header's name."""
        n = "InitializeSecurityContextW"
        target = _alias(n, "pszTargetName", pszTargetName, "pTargetName", pTargetName)
        return self._initialize(
            n, self._wide(n, "pszTargetName", target), phCredential, phContext, fContextReq,
            Reserved1, TargetDataRep, pInput, Reserved2, phNewContext, pOutput,
        )

    def AcceptSecurityContext(
        self,
        *,
        fContextReq: int,
        phCredential: object = None,
        phContext: object = None,
        pInput: bytes | BufferList | None = None,
        TargetDataRep: int = SECURITY_NATIVE_DREP,
        phNewContext: object = None,
        pOutput: BufferList | None = None,
    ) -> ContextResult:
        n = "AcceptSecurityContext"
        cred = self._handle_in(n, "phCredential", phCredential, "cred")
        ctx = self._handle_in(n, "phContext", phContext, "ctxt")
        new_ctx = self._new_context(phNewContext, ctx)
        inp = _desc(n, "pInput", pInput) if pInput is not None else None
        out = self._output_desc(n, pOutput, fContextReq)
        attr = c_uint32()
        expiry = S.TimeStamp()
        status = self._fn(n)(
            byref(cred) if cred is not None else None,
            byref(ctx) if ctx is not None else None,
            byref(inp.desc) if inp is not None else None,
            fContextReq,
            TargetDataRep,
            byref(new_ctx),
            byref(out.desc),
            byref(attr),
            byref(expiry),
        )
        return self._finish_context(n, status, new_ctx, out, attr, expiry)

    def CompleteAuthToken(self, *, phContext: object, pToken: bytes | BufferList) -> StatusResult:
        n = "CompleteAuthToken"
        ctx = self._handle_in(n, "phContext", phContext, "ctxt")
        desc = _desc(n, "pToken", pToken)
        status = self._fn(n)(byref(ctx) if ctx is not None else None, byref(desc.desc))
        return StatusResult(as_status(status), function=n)

    def DeleteSecurityContext(self, *, phContext: object) -> StatusResult:
        n = "DeleteSecurityContext"
        ctx = self._handle_in(n, "phContext", phContext, "ctxt")
        status = self._fn(n)(byref(ctx) if ctx is not None else None)
        if S.unsigned_status(status) == SEC_E_OK and ctx is not None:
            self._contexts.pop(int(ctx.dwLower), None)
        return StatusResult(as_status(status), function=n)

    def ApplyControlToken(self, *, phContext: object, pInput: bytes | BufferList) -> StatusResult:
        n = "ApplyControlToken"
        ctx = self._handle_in(n, "phContext", phContext, "ctxt")
        desc = _desc(n, "pInput", pInput)
        status = self._fn(n)(byref(ctx) if ctx is not None else None, byref(desc.desc))
        return StatusResult(as_status(status), function=n)

    def ImpersonateSecurityContext(self, *, phContext: object) -> StatusResult:
        n = "ImpersonateSecurityContext"
        ctx = self._handle_in(n, "phContext", phContext, "ctxt")
        return StatusResult(as_status(self._fn(n)(byref(ctx) if ctx is not None else None)), function=n)

    def RevertSecurityContext(self, *, phContext: object) -> StatusResult:
        n = "RevertSecurityContext"
        ctx = self._handle_in(n, "phContext", phContext, "ctxt")
        return StatusResult(as_status(self._fn(n)(byref(ctx) if ctx is not None else None)), function=n)

    def QuerySecurityContextToken(self, *, phContext: object) -> TokenResult:
        """``Token`` is the access-token HANDLE value as an int (the caller would CloseHandle it)."""
        n = "QuerySecurityContextToken"
        ctx = self._handle_in(n, "phContext", phContext, "ctxt")
        token = c_void_p()
        status = self._fn(n)(byref(ctx) if ctx is not None else None, byref(token))
        return TokenResult(as_status(status), token.value, function=n)

    def FreeContextBuffer(self, *, pvContextBuffer: int | None) -> StatusResult:
        """Every buffer the library allocates is already copied and freed by this backend, so with the
        handle guard on only NULL (None) is accepted: freeing any other address from Python could only
        be a double free or a forged pointer."""
        n = "FreeContextBuffer"
        if pvContextBuffer is not None and self.guard_handles:
            raise NativeArgumentError(
                n, "pvContextBuffer", "the backend frees native buffers itself; only None (NULL) is accepted"
            )
        return StatusResult(as_status(self._fn(n)(pvContextBuffer)), function=n)

    # -- export / import ---------------------------------------------------------------------------

    def ExportSecurityContext(self, *, phContext: object, fFlags: int) -> ExportResult:
        n = "ExportSecurityContext"
        ctx = self._handle_in(n, "phContext", phContext, "ctxt")
        packed = S.SecBuffer(0, SECBUFFER_EMPTY, None)
        token = c_void_p()
        status = self._fn(n)(byref(ctx) if ctx is not None else None, fFlags, byref(packed), byref(token))
        try:
            data = ctypes.string_at(packed.pvBuffer, packed.cbBuffer) if packed.pvBuffer else None
        finally:
            # "pPackedContext ... The pvBuffer member of this structure points to a buffer allocated by
            # the security package; free it by calling FreeContextBuffer."
            self._free(packed.pvBuffer)
        if S.unsigned_status(status) == SEC_E_OK and ctx is not None and fFlags & 0x2:
            # SECPKG_CONTEXT_EXPORT_DELETE_OLD: "The old security context is deleted."
            self._contexts.pop(int(ctx.dwLower), None)
        return ExportResult(as_status(status), data, token.value, function=n)

    def _import(self, n: str, package: Any, pPackedContext: object, Token: int | None) -> ImportResult:
        contents = getattr(pPackedContext, "pvBuffer", None)  # the model's SecBuffer
        if isinstance(contents, bytes | bytearray):
            pPackedContext = bytes(contents)
        if not isinstance(pPackedContext, bytes | bytearray):
            raise NativeArgumentError(n, "pPackedContext", f"expected bytes, got {type(pPackedContext).__name__}")
        raw = ctypes.create_string_buffer(bytes(pPackedContext), max(len(pPackedContext), 1))
        packed = S.SecBuffer(len(pPackedContext), SECBUFFER_EMPTY, ctypes.addressof(raw))
        ctx = S.SecHandle()
        status = self._fn(n)(
            ctypes.addressof(package) if package is not None else None, byref(packed), Token, byref(ctx)
        )
        handle = self._ctxt_out(ctx)
        if S.unsigned_status(status) == SEC_E_OK and handle is not None:
            self._contexts[handle.dwLower] = handle.dwUpper
        return ImportResult(as_status(status), handle, function=n)

    def ImportSecurityContextA(
        self, *, pszPackage: str | bytes, pPackedContext: object, Token: int | None = None
    ) -> ImportResult:
        n = "ImportSecurityContextA"
        return self._import(n, self._ansi(n, "pszPackage", pszPackage), pPackedContext, Token)

    def ImportSecurityContextW(
        self, *, pszPackage: str, pPackedContext: object, Token: int | None = None
    ) -> ImportResult:
        n = "ImportSecurityContextW"
        return self._import(n, self._wide(n, "pszPackage", pszPackage), pPackedContext, Token)

    # -- packages ----------------------------------------------------------------------------------

    def _read_string(self, ptr: Any, wide: bool) -> str | None:
        return S.read_wide(ptr) if wide else S.read_ansi(ptr, self.lib.ansi_encoding)

    def _package_info(self, info: Any, wide: bool) -> PackageInfo:
        return PackageInfo(
            int(info.fCapabilities),
            int(info.wVersion),
            int(info.wRPCID),
            int(info.cbMaxToken),
            self._read_string(info.Name, wide),
            self._read_string(info.Comment, wide),
        )

    def _enumerate(self, n: str, wide: bool) -> PackagesResult:
        count = c_uint32()
        array = c_void_p()
        with self._freeing(array):
            status = self._fn(n)(byref(count), byref(array))
            infos: tuple[PackageInfo, ...] = ()
            if S.unsigned_status(status) == SEC_E_OK and array.value:
                struct = S.SecPkgInfoW if wide else S.SecPkgInfoA
                items = ctypes.cast(array.value, POINTER(struct))
                infos = tuple(self._package_info(items[i], wide) for i in range(count.value))
        return PackagesResult(as_status(status), int(count.value), infos, function=n)

    def EnumerateSecurityPackagesA(self) -> PackagesResult:
        return self._enumerate("EnumerateSecurityPackagesA", wide=False)

    def EnumerateSecurityPackagesW(self) -> PackagesResult:
        return self._enumerate("EnumerateSecurityPackagesW", wide=True)

    def _query_package(self, n: str, name: Any) -> PackageInfoResult:
        info_ptr = c_void_p()
        with self._freeing(info_ptr):
            status = self._fn(n)(ctypes.addressof(name) if name is not None else None, byref(info_ptr))
            wide = n.endswith("W")
            info = None
            if S.unsigned_status(status) == SEC_E_OK and info_ptr.value:
                struct = S.SecPkgInfoW if wide else S.SecPkgInfoA
                info = self._package_info(ctypes.cast(info_ptr.value, POINTER(struct)).contents, wide)
        return PackageInfoResult(as_status(status), info, function=n)

    def QuerySecurityPackageInfoA(self, *, pszPackageName: str | bytes) -> PackageInfoResult:
        n = "QuerySecurityPackageInfoA"
        return self._query_package(n, self._ansi(n, "pszPackageName", pszPackageName))

    def QuerySecurityPackageInfoW(self, *, pszPackageName: str) -> PackageInfoResult:
        n = "QuerySecurityPackageInfoW"
        return self._query_package(n, self._wide(n, "pszPackageName", pszPackageName))

    # -- context attributes ------------------------------------------------------------------------

    def _query_context(self, n: str, phContext: object, ulAttribute: int, wide: bool) -> AttributesResult:
        ctx = self._handle_in(n, "phContext", phContext, "ctxt")
        cref = byref(ctx) if ctx is not None else None
        fn = self._fn(n)
        ok = SEC_E_OK
        value: object = None
        if ulAttribute == SECPKG_ATTR_SIZES:
            sizes = S.SecPkgContext_Sizes()
            status = fn(cref, ulAttribute, byref(sizes))
            if S.unsigned_status(status) == ok:
                value = ContextSizes(sizes.cbMaxToken, sizes.cbMaxSignature, sizes.cbBlockSize, sizes.cbSecurityTrailer)
        elif ulAttribute == SECPKG_ATTR_STREAM_SIZES:
            stream = (c_uint32 * 5)()
            status = fn(cref, ulAttribute, stream)
            if S.unsigned_status(status) == ok:
                value = StreamSizes(*(int(x) for x in stream))
        elif ulAttribute == SECPKG_ATTR_LIFESPAN:
            span = (S.TimeStamp * 2)()
            status = fn(cref, ulAttribute, span)
            if S.unsigned_status(status) == ok:
                value = ContextLifespan(span[0].value, span[1].value)
        elif ulAttribute == SECPKG_ATTR_FLAGS:
            flags = c_uint32()
            status = fn(cref, ulAttribute, byref(flags))
            if S.unsigned_status(status) == ok:
                value = int(flags.value)
        elif ulAttribute == SECPKG_ATTR_NEGOTIATION_INFO:
            # SecPkgContext_NegotiationInfo { PSecPkgInfo PackageInfo; ULONG NegotiationState; }
            class _NegotiationInfo(ctypes.Structure):
                _fields_ = (("PackageInfo", c_void_p), ("NegotiationState", c_uint32))

            nego = _NegotiationInfo()
            try:
                status = fn(cref, ulAttribute, byref(nego))
                if S.unsigned_status(status) == ok and nego.PackageInfo:
                    struct = S.SecPkgInfoW if wide else S.SecPkgInfoA
                    info = self._package_info(ctypes.cast(nego.PackageInfo, POINTER(struct)).contents, wide)
                    value = NegotiationInfo(info, int(nego.NegotiationState))
            finally:
                self._free(nego.PackageInfo)
        elif ulAttribute in (SECPKG_ATTR_NAMES, SECPKG_ATTR_PACKAGE_INFO):
            # SecPkgContext_Names { SEC_xCHAR *sUserName } and SecPkgContext_PackageInfo
            # { PSecPkgInfo PackageInfo }: one pointer the package allocates, freed by FreeContextBuffer.
            holder = c_void_p()
            with self._freeing(holder):
                status = fn(cref, ulAttribute, byref(holder))
                if S.unsigned_status(status) == ok and holder.value:
                    if ulAttribute == SECPKG_ATTR_NAMES:
                        value = self._read_string(holder.value, wide)
                    else:
                        struct = S.SecPkgInfoW if wide else S.SecPkgInfoA
                        value = self._package_info(ctypes.cast(holder.value, POINTER(struct)).contents, wide)
        elif ulAttribute == SECPKG_ATTR_SESSION_KEY:
            # SecPkgContext_SessionKey { ULONG SessionKeyLength; unsigned char *SessionKey; }
            class _SessionKey(ctypes.Structure):
                _fields_ = (("SessionKeyLength", c_uint32), ("SessionKey", c_void_p))

            key = _SessionKey()
            try:
                status = fn(cref, ulAttribute, byref(key))
                if S.unsigned_status(status) == ok and key.SessionKey:
                    value = ctypes.string_at(key.SessionKey, key.SessionKeyLength)
            finally:
                self._free(key.SessionKey)
        else:
            scratch = ctypes.create_string_buffer(_SCRATCH_SIZE)
            status = fn(cref, ulAttribute, scratch)
            value = scratch.raw
        return AttributesResult(as_status(status), value, function=n)

    def QueryContextAttributesA(self, *, phContext: object, ulAttribute: int) -> AttributesResult:
        """Decoded: SIZES, STREAM_SIZES, LIFESPAN, FLAGS, NAMES (str), PACKAGE_INFO, NEGOTIATION_INFO,
        SESSION_KEY (bytes). Any other attribute returns the raw bytes of a 256-byte scratch buffer;
        if the package stores pointers there, they are neither followed nor freed (a leak this
        backend cannot avoid without knowing the layout)."""
        return self._query_context("QueryContextAttributesA", phContext, ulAttribute, wide=False)

    def QueryContextAttributesW(self, *, phContext: object, ulAttribute: int) -> AttributesResult:
        """As QueryContextAttributesA, with wide strings."""
        return self._query_context("QueryContextAttributesW", phContext, ulAttribute, wide=True)

    def _query_context_ex(self, n: str, phContext: object, ulAttribute: int, cbBuffer: int) -> AttributesResult:
        ctx = self._handle_in(n, "phContext", phContext, "ctxt")
        cref = byref(ctx) if ctx is not None else None
        # The caller's buffer is exactly cbBuffer bytes, so a too-small size reaches the library.
        scratch = ctypes.create_string_buffer(max(int(cbBuffer), 1))
        status = self._fn(n)(cref, ulAttribute, scratch, cbBuffer)
        value: object = scratch.raw[:cbBuffer]
        if S.unsigned_status(status) == SEC_E_OK and ulAttribute == SECPKG_ATTR_SIZES and cbBuffer >= 16:
            value = ContextSizes(*(int.from_bytes(scratch.raw[i : i + 4], "little") for i in range(0, 16, 4)))
        return AttributesResult(as_status(status), value, function=n)

    def QueryContextAttributesExA(self, *, phContext: object, ulAttribute: int, cbBuffer: int) -> AttributesResult:
        """pBuffer: SIZES decoded; any other attribute, the raw bytes of the caller's cbBuffer-byte
        buffer (pointers the package stores there are neither followed nor freed, as for
        QueryContextAttributes' undecoded attributes)."""
        return self._query_context_ex("QueryContextAttributesExA", phContext, ulAttribute, cbBuffer)

    def QueryContextAttributesExW(self, *, phContext: object, ulAttribute: int, cbBuffer: int) -> AttributesResult:
        """As QueryContextAttributesExA, with wide strings."""
        return self._query_context_ex("QueryContextAttributesExW", phContext, ulAttribute, cbBuffer)

    # -- messages ----------------------------------------------------------------------------------

    def _message(self, n: str, phContext: object, pMessage: object, args: tuple[Any, ...], qop_out: bool) -> MessageResult:
        ctx = self._handle_in(n, "phContext", phContext, "ctxt")
        desc = _desc(n, "pMessage", pMessage)
        cref = byref(ctx) if ctx is not None else None
        qop = c_uint32()
        if qop_out:
            status = self._fn(n)(cref, byref(desc.desc), *args, byref(qop))
        else:
            status = self._fn(n)(cref, args[0], byref(desc.desc), args[1])
        buffers = desc.read()
        if n != "VerifySignature":  # VerifySignature's pMessage is [in] only
            desc.write_back(buffers)
        return MessageResult(as_status(status), buffers, int(qop.value) if qop_out else None, function=n)

    def MakeSignature(
        self, *, phContext: object, pMessage: BufferList, MessageSeqNo: int = 0, fQOP: int = 0
    ) -> MessageResult:
        """pMessage: the DATA buffer(s) and a TOKEN buffer whose length is the signature capacity
        (cbMaxSignature from QueryContextAttributes(SECPKG_ATTR_SIZES))."""
        return self._message("MakeSignature", phContext, pMessage, (fQOP, MessageSeqNo), qop_out=False)

    def VerifySignature(self, *, phContext: object, pMessage: BufferList, MessageSeqNo: int = 0) -> MessageResult:
        return self._message("VerifySignature", phContext, pMessage, (MessageSeqNo,), qop_out=True)

    def EncryptMessage(
        self, *, phContext: object, pMessage: BufferList, MessageSeqNo: int = 0, fQOP: int = 0
    ) -> MessageResult:
        """pMessage: a TOKEN buffer of cbSecurityTrailer bytes and the DATA buffer, encrypted in place."""
        return self._message("EncryptMessage", phContext, pMessage, (fQOP, MessageSeqNo), qop_out=False)

    def DecryptMessage(self, *, phContext: object, pMessage: BufferList, MessageSeqNo: int = 0) -> MessageResult:
        return self._message("DecryptMessage", phContext, pMessage, (MessageSeqNo,), qop_out=True)


def _alias(function: str, name: str, value: Any, alias: str, alias_value: Any) -> Any:
    if alias_value is None:
        return value
    if value is not None:
        raise NativeArgumentError(function, name, f"given twice, as {name} and as its alias {alias}")
    return alias_value
