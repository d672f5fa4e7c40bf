"""The native backend: the sspi.h C ABI of a real SSPI library, called through ctypes.

On Linux the library is sspi-rs (Devolutions), bundled by the ``sspilib`` wheel (the ``native``
extra); on Windows it is ``secur32.dll``. ``load_native()`` finds it, ``NativeSspi(lib)`` calls it with
the same keyword arguments as the model's API. Importing this package loads nothing.
"""

from __future__ import annotations

from .backend import (
    AuthIdentity,
    ContextResult,
    NativeArgumentError,
    NativeHandle,
    NativeSspi,
    PackageInfo,
    UnknownHandleError,
    as_status,
)
from .loader import (
    ENV_VAR,
    KERNEL_MODE_ONLY,
    SSPI_FUNCTIONS,
    LibraryOrigin,
    NativeFunctionUnavailable,
    NativeLibrary,
    NativeLibraryNotFound,
    find_native,
    load_native,
)

__all__ = [
    "ENV_VAR",
    "KERNEL_MODE_ONLY",
    "SSPI_FUNCTIONS",
    "AuthIdentity",
    "ContextResult",
    "LibraryOrigin",
    "NativeArgumentError",
    "NativeFunctionUnavailable",
    "NativeHandle",
    "NativeLibrary",
    "NativeLibraryNotFound",
    "NativeSspi",
    "PackageInfo",
    "UnknownHandleError",
    "as_status",
    "find_native",
    "load_native",
]
