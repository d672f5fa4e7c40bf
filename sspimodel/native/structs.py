"""ctypes mirrors of the sspi.h structures and the function prototypes of the SSPI C ABI.

Field types follow mingw-w64's sspi.h, not ctypes' platform names: ``ULONG`` / ``unsigned __LONG32``
is 32 bits on every platform (``ctypes.c_ulong`` is 64 bits on Linux, so it is never used here),
``ULONG_PTR`` is pointer-sized, and ``SEC_WCHAR`` is a 16-bit UTF-16 code unit (``ctypes.c_wchar`` is
32 bits on Linux, so wide strings are marshalled by hand as UTF-16LE, see :func:`wide_buffer`).

``SECURITY_STATUS`` is a signed 32-bit ``LONG``; the prototypes below declare it so, and the backend
converts it to the unsigned value the status catalog uses (:func:`unsigned_status`).
"""

from __future__ import annotations

import ctypes
from ctypes import POINTER, Structure, c_char_p, c_int32, c_size_t, c_uint16, c_uint32, c_void_p
from typing import Any

__all__ = [
    "PROTOTYPES",
    "SECBUFFER_VERSION",
    "SECURITY_INTEGER",
    "SECURITY_STATUS",
    "SEC_WINNT_AUTH_IDENTITY_A",
    "SEC_WINNT_AUTH_IDENTITY_ANSI",
    "SEC_WINNT_AUTH_IDENTITY_UNICODE",
    "SEC_WINNT_AUTH_IDENTITY_W",
    "CredHandle",
    "CtxtHandle",
    "SecBuffer",
    "SecBufferDesc",
    "SecHandle",
    "SecPkgContext_NamesA",
    "SecPkgContext_NamesW",
    "SecPkgContext_Sizes",
    "SecPkgCredentials_NamesA",
    "SecPkgCredentials_NamesW",
    "SecPkgInfoA",
    "SecPkgInfoW",
    "TimeStamp",
    "read_ansi",
    "read_wide",
    "unsigned_status",
    "wide_buffer",
]

ULONG = c_uint32
USHORT = c_uint16
ULONG_PTR = c_size_t
SECURITY_STATUS = c_int32  # winerror.h: typedef LONG SECURITY_STATUS (signed 32 bits)

# sspi.h:1303-1304 (SEC_WINNT_AUTH_IDENTITY.Flags) and sspi.h:196 (SecBufferDesc.ulVersion).
SEC_WINNT_AUTH_IDENTITY_ANSI = 0x1
SEC_WINNT_AUTH_IDENTITY_UNICODE = 0x2
SECBUFFER_VERSION = 0


def unsigned_status(value: int) -> int:
    """The unsigned 32-bit form of a SECURITY_STATUS (``-2146893054`` -> ``0x80090302``)."""
    return value & 0xFFFFFFFF


class SecHandle(Structure):
    """sspi.h ``SecHandle``: two ``ULONG_PTR`` words whose meaning belongs to the provider."""

    _fields_ = (("dwLower", ULONG_PTR), ("dwUpper", ULONG_PTR))

    def __repr__(self) -> str:
        return f"SecHandle(dwLower={self.dwLower:#x}, dwUpper={self.dwUpper:#x})"


# sspi.h: typedef SecHandle CredHandle, CtxtHandle.
CredHandle = SecHandle
CtxtHandle = SecHandle


class SECURITY_INTEGER(Structure):
    """sspi.h ``SECURITY_INTEGER`` (``TimeStamp``): a 64-bit FILETIME-like count split in two halves."""

    _fields_ = (("LowPart", ULONG), ("HighPart", c_int32))

    @property
    def value(self) -> int:
        return (self.HighPart << 32) | self.LowPart


TimeStamp = SECURITY_INTEGER


class SecBuffer(Structure):
    _fields_ = (("cbBuffer", ULONG), ("BufferType", ULONG), ("pvBuffer", c_void_p))


class SecBufferDesc(Structure):
    _fields_ = (("ulVersion", ULONG), ("cBuffers", ULONG), ("pBuffers", POINTER(SecBuffer)))


class SEC_WINNT_AUTH_IDENTITY_W(Structure):
    """Lengths are in characters, not counting the terminating NUL (sspi.h / rpcdce.h)."""

    _fields_ = (
        ("User", POINTER(c_uint16)),
        ("UserLength", ULONG),
        ("Domain", POINTER(c_uint16)),
        ("DomainLength", ULONG),
        ("Password", POINTER(c_uint16)),
        ("PasswordLength", ULONG),
        ("Flags", ULONG),
    )


class SEC_WINNT_AUTH_IDENTITY_A(Structure):
    _fields_ = (
        ("User", c_char_p),
        ("UserLength", ULONG),
        ("Domain", c_char_p),
        ("DomainLength", ULONG),
        ("Password", c_char_p),
        ("PasswordLength", ULONG),
        ("Flags", ULONG),
    )


class SecPkgInfoW(Structure):
    _fields_ = (
        ("fCapabilities", ULONG),
        ("wVersion", USHORT),
        ("wRPCID", USHORT),
        ("cbMaxToken", ULONG),
        ("Name", POINTER(c_uint16)),
        ("Comment", POINTER(c_uint16)),
    )


class SecPkgInfoA(Structure):
    _fields_ = (
        ("fCapabilities", ULONG),
        ("wVersion", USHORT),
        ("wRPCID", USHORT),
        ("cbMaxToken", ULONG),
        ("Name", c_void_p),  # c_void_p, not c_char_p: ctypes would copy c_char_p and hide the pointer
        ("Comment", c_void_p),
    )


class SecPkgContext_Sizes(Structure):
    _fields_ = (
        ("cbMaxToken", ULONG),
        ("cbMaxSignature", ULONG),
        ("cbBlockSize", ULONG),
        ("cbSecurityTrailer", ULONG),
    )


class SecPkgContext_NamesW(Structure):
    _fields_ = (("sUserName", POINTER(c_uint16)),)


class SecPkgContext_NamesA(Structure):
    _fields_ = (("sUserName", c_void_p),)


# SecPkgCredentials_Names{A,W} have the same layout as SecPkgContext_Names{A,W}.
class SecPkgCredentials_NamesW(Structure):
    _fields_ = (("sUserName", POINTER(c_uint16)),)


class SecPkgCredentials_NamesA(Structure):
    _fields_ = (("sUserName", c_void_p),)


def wide_buffer(text: str) -> ctypes.Array[c_uint16]:
    """A NUL-terminated UTF-16LE copy of ``text`` that stays alive as long as the returned array."""
    units = text.encode("utf-16-le")
    count = len(units) // 2
    buf = (c_uint16 * (count + 1))()
    ctypes.memmove(buf, units, len(units))
    return buf


def read_wide(ptr: Any) -> str | None:
    """Copy a NUL-terminated UTF-16 string out of native memory (``None`` for a NULL pointer)."""
    address = ctypes.cast(ptr, c_void_p).value
    if not address:
        return None
    units = ctypes.cast(address, POINTER(c_uint16))
    n = 0
    while units[n]:
        n += 1
    return ctypes.string_at(address, 2 * n).decode("utf-16-le", errors="surrogatepass")


def read_ansi(ptr: Any, encoding: str) -> str | None:
    """Copy a NUL-terminated narrow string out of native memory (``None`` for a NULL pointer)."""
    address = ctypes.cast(ptr, c_void_p).value
    if not address:
        return None
    return ctypes.string_at(address).decode(encoding, errors="replace")


PHandle = POINTER(SecHandle)
PTimeStamp = POINTER(TimeStamp)
PSecBuffer = POINTER(SecBuffer)
PSecBufferDesc = POINTER(SecBufferDesc)
PULONG = POINTER(ULONG)

# Prototypes (argtypes) from mingw-w64 sspi.h (user mode, ISSP_MODE == 1). Strings are passed as
# c_void_p so that the caller controls the encoding and the lifetime of the bytes; every function
# returns SECURITY_STATUS. Functions whose first parameter is a string keep that order here.
PROTOTYPES: dict[str, tuple[Any, ...]] = {
    "AcquireCredentialsHandleA": (
        c_void_p, c_void_p, ULONG, c_void_p, c_void_p, c_void_p, c_void_p, PHandle, PTimeStamp,
    ),
    "AcquireCredentialsHandleW": (
        c_void_p, c_void_p, ULONG, c_void_p, c_void_p, c_void_p, c_void_p, PHandle, PTimeStamp,
    ),
    "FreeCredentialsHandle": (PHandle,),
    "QueryCredentialsAttributesA": (PHandle, ULONG, c_void_p),
    "QueryCredentialsAttributesW": (PHandle, ULONG, c_void_p),
    "QueryCredentialsAttributesExA": (PHandle, ULONG, c_void_p, ULONG),
    "QueryCredentialsAttributesExW": (PHandle, ULONG, c_void_p, ULONG),
    "SetCredentialsAttributesA": (PHandle, ULONG, c_void_p, ULONG),
    "SetCredentialsAttributesW": (PHandle, ULONG, c_void_p, ULONG),
    "InitializeSecurityContextA": (
        PHandle, PHandle, c_void_p, ULONG, ULONG, ULONG, PSecBufferDesc, ULONG, PHandle,
        PSecBufferDesc, PULONG, PTimeStamp,
    ),
    "InitializeSecurityContextW": (
        PHandle, PHandle, c_void_p, ULONG, ULONG, ULONG, PSecBufferDesc, ULONG, PHandle,
        PSecBufferDesc, PULONG, PTimeStamp,
    ),
    "AcceptSecurityContext": (
        PHandle, PHandle, PSecBufferDesc, ULONG, ULONG, PHandle, PSecBufferDesc, PULONG, PTimeStamp,
    ),
    "CompleteAuthToken": (PHandle, PSecBufferDesc),
    "DeleteSecurityContext": (PHandle,),
    "FreeContextBuffer": (c_void_p,),
    "ApplyControlToken": (PHandle, PSecBufferDesc),
    "ImpersonateSecurityContext": (PHandle,),
    "RevertSecurityContext": (PHandle,),
    "QuerySecurityContextToken": (PHandle, POINTER(c_void_p)),
    "ExportSecurityContext": (PHandle, ULONG, PSecBuffer, POINTER(c_void_p)),
    "ImportSecurityContextA": (c_void_p, PSecBuffer, c_void_p, PHandle),
    "ImportSecurityContextW": (c_void_p, PSecBuffer, c_void_p, PHandle),
    "QueryContextAttributesA": (PHandle, ULONG, c_void_p),
    "QueryContextAttributesW": (PHandle, ULONG, c_void_p),
    "QueryContextAttributesExA": (PHandle, ULONG, c_void_p, ULONG),
    "QueryContextAttributesExW": (PHandle, ULONG, c_void_p, ULONG),
    "QuerySecurityPackageInfoA": (c_void_p, POINTER(c_void_p)),
    "QuerySecurityPackageInfoW": (c_void_p, POINTER(c_void_p)),
    "EnumerateSecurityPackagesA": (PULONG, POINTER(c_void_p)),
    "EnumerateSecurityPackagesW": (PULONG, POINTER(c_void_p)),
    "MakeSignature": (PHandle, ULONG, PSecBufferDesc, ULONG),
    "VerifySignature": (PHandle, PSecBufferDesc, ULONG, PULONG),
    "EncryptMessage": (PHandle, ULONG, PSecBufferDesc, ULONG),
    "DecryptMessage": (PHandle, PSecBufferDesc, ULONG, PULONG),
}
