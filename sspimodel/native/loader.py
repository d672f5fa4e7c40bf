"""Find and load a native SSPI library that exports the sspi.h C ABI.

Where a library comes from, in the order tried:

1. an explicit path given to :func:`load_native`;
2. the environment variable ``SSPIMODEL_NATIVE_LIB`` (a path);
3. the ``sspilib`` wheel (the ``native`` extra), which bundles Devolutions' sspi-rs as
   ``sspilib.libs/libsspi-*.so`` on Linux (``sspilib/.dylibs/libsspi*.dylib`` on macOS);
4. on Windows, the system's ``secur32.dll``.

Nothing is faked: a function the library does not export is reported by
:meth:`NativeLibrary.available` / :meth:`NativeLibrary.missing` and calling it raises
:class:`NativeFunctionUnavailable`. The ``Sspi*`` asynchronous family is declared by sspi.h only
under ``ISSP_MODE == 0`` (kernel mode, "kernel-mode drivers only" on its pages), so no user-mode
library is expected to export it.

Calling convention: sspi.h declares every function ``WINAPI`` (``__stdcall``), which only differs from
the C convention on 32-bit Windows; there the library is loaded with :class:`ctypes.WinDLL`. On Linux,
sspi-rs declares its exports ``extern "system"``, which Rust maps to the C convention on every
non-Windows target, so :class:`ctypes.CDLL` is right (checked by the handshake tests).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from attrs import frozen

from .structs import PROTOTYPES, SECURITY_STATUS

__all__ = [
    "ENV_VAR",
    "KERNEL_MODE_ONLY",
    "SSPI_FUNCTIONS",
    "LibraryOrigin",
    "NativeFunctionUnavailable",
    "NativeLibrary",
    "NativeLibraryNotFound",
    "find_native",
    "load_native",
]

ENV_VAR = "SSPIMODEL_NATIVE_LIB"

# The user-mode functions of sspi.h this project models, with the A/W variants the ABI exports.
USER_MODE_FUNCTIONS: tuple[str, ...] = (
    "AcceptSecurityContext",
    "AcquireCredentialsHandleA",
    "AcquireCredentialsHandleW",
    "ApplyControlToken",
    "CompleteAuthToken",
    "DecryptMessage",
    "DeleteSecurityContext",
    "EncryptMessage",
    "EnumerateSecurityPackagesA",
    "EnumerateSecurityPackagesW",
    "ExportSecurityContext",
    "FreeContextBuffer",
    "FreeCredentialsHandle",
    "ImpersonateSecurityContext",
    "ImportSecurityContextA",
    "ImportSecurityContextW",
    "InitializeSecurityContextA",
    "InitializeSecurityContextW",
    "MakeSignature",
    "QueryContextAttributesA",
    "QueryContextAttributesW",
    "QueryContextAttributesExA",
    "QueryContextAttributesExW",
    "QueryCredentialsAttributesA",
    "QueryCredentialsAttributesW",
    "QueryCredentialsAttributesExA",
    "QueryCredentialsAttributesExW",
    "QuerySecurityContextToken",
    "QuerySecurityPackageInfoA",
    "QuerySecurityPackageInfoW",
    "RevertSecurityContext",
    "SetCredentialsAttributesA",
    "SetCredentialsAttributesW",
    "VerifySignature",
)

# sspi.h declares these only inside `#if ISSP_MODE == 0` (kernel mode).
KERNEL_MODE_ONLY: tuple[str, ...] = (
    "SspiAcceptSecurityContextAsync",
    "SspiAcquireCredentialsHandleAsyncA",
    "SspiAcquireCredentialsHandleAsyncW",
    "SspiAsyncContextRequiresNotify",
    "SspiCreateAsyncContext",
    "SspiDeleteSecurityContextAsync",
    "SspiFreeAsyncContext",
    "SspiFreeCredentialsHandleAsync",
    "SspiGetAsyncCallStatus",
    "SspiInitializeSecurityContextAsyncA",
    "SspiInitializeSecurityContextAsyncW",
    "SspiReinitAsyncContext",
    "SspiSetAsyncNotifyCallback",
)

SSPI_FUNCTIONS: tuple[str, ...] = tuple(sorted(USER_MODE_FUNCTIONS + KERNEL_MODE_ONLY))

# An export only sspi-rs has: used to name the implementation in reports.
_SSPI_RS_MARKER = "RustSspiSetupLogger"


class NativeLibraryNotFound(OSError):
    """No native SSPI library could be found or loaded; the message lists every place tried."""


class NativeFunctionUnavailable(LookupError):
    """The loaded library does not export the function that was called."""

    def __init__(self, name: str, origin: LibraryOrigin) -> None:
        reason = (
            "sspi.h declares it for kernel mode only (ISSP_MODE == 0)"
            if name in KERNEL_MODE_ONLY
            else "the library does not export it"
        )
        super().__init__(f"{name} is not available in {origin.path} ({reason})")
        self.name = name
        self.origin = origin


@frozen
class LibraryOrigin:
    """Which library was loaded and how it was found."""

    path: str
    found_by: str  # "explicit path" | "environment variable SSPIMODEL_NATIVE_LIB" | "sspilib wheel" | "Windows system library"
    convention: str  # "stdcall (WinDLL)" | "cdecl (CDLL)"
    implementation: str = "unknown"  # "sspi-rs" | "Windows secur32" | "unknown"
    distribution: str | None = None  # e.g. "sspilib 0.6.0" when found in a wheel

    def describe(self) -> str:
        dist = f" from {self.distribution}" if self.distribution else ""
        return f"{self.implementation} at {self.path} (found by {self.found_by}{dist}; {self.convention})"


class NativeLibrary:
    """A loaded SSPI library with prototypes set on every function it exports.

    ``function(name)`` returns the ctypes function; the library object stays referenced by this
    wrapper, so functions stay valid as long as it lives.
    """

    def __init__(self, dll: ctypes.CDLL, origin: LibraryOrigin) -> None:
        self.dll = dll
        self.origin = origin
        # The code page of SEC_CHAR strings. Windows converts A strings with the process ANSI code
        # page ("mbcs" in Python); sspi-rs reads them as UTF-8 (Rust CStr::to_str).
        self.ansi_encoding = "mbcs" if origin.implementation == "Windows secur32" else "utf-8"
        self._functions: dict[str, Any] = {}
        self._exported: dict[str, bool] = {}

    def __repr__(self) -> str:
        return f"NativeLibrary({self.origin.describe()})"

    def available(self, name: str) -> bool:
        """True when the library exports ``name`` (looked up once, then cached)."""
        known = self._exported.get(name)
        if known is None:
            try:
                getattr(self.dll, name)
                known = True
            except AttributeError:
                known = False
            self._exported[name] = known
        return known

    def missing(self) -> tuple[str, ...]:
        """The functions of :data:`SSPI_FUNCTIONS` this library does not export, sorted."""
        return tuple(name for name in SSPI_FUNCTIONS if not self.available(name))

    def function(self, name: str) -> Any:
        """The ctypes function ``name`` with its sspi.h prototype; raises NativeFunctionUnavailable."""
        fn = self._functions.get(name)
        if fn is not None:
            return fn
        if not self.available(name):
            raise NativeFunctionUnavailable(name, self.origin)
        argtypes = PROTOTYPES.get(name)
        if argtypes is None:
            raise NativeFunctionUnavailable(name, self.origin) from KeyError(
                f"sspimodel.native.structs.PROTOTYPES has no prototype for {name}"
            )
        fn = getattr(self.dll, name)
        fn.argtypes = argtypes
        fn.restype = SECURITY_STATUS
        self._functions[name] = fn
        return fn


def _is_windows() -> bool:
    return sys.platform == "win32"


def _convention() -> str:
    return "stdcall (WinDLL)" if _is_windows() else "cdecl (CDLL)"


def _wheel_candidates() -> Iterator[tuple[Path, str]]:
    """Bundled libsspi files of the installed sspilib distribution, without importing sspilib."""
    try:
        dist = metadata.distribution("sspilib")
    except metadata.PackageNotFoundError:
        return
    label = f"sspilib {dist.version}"
    roots = [Path(str(dist.locate_file("sspilib.libs"))), Path(str(dist.locate_file("sspilib/.dylibs")))]
    for root in roots:
        if root.is_dir():
            for pattern in ("libsspi*.so*", "libsspi*.dylib"):
                for candidate in sorted(root.glob(pattern)):
                    yield candidate, label


def find_native(path: str | os.PathLike[str] | None = None) -> tuple[LibraryOrigin, list[str]]:
    """Locate a library without loading it: ``(origin, places tried)``.

    Raises NativeLibraryNotFound listing each place tried when nothing is found.
    """
    tried: list[str] = []
    convention = _convention()
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise NativeLibraryNotFound(f"load_native: explicit path {p} does not exist or is not a file")
        return LibraryOrigin(str(p), "explicit path", convention), tried
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env)
        if not p.is_file():
            raise NativeLibraryNotFound(
                f"load_native: {ENV_VAR}={env!r} does not name an existing file (unset it to search elsewhere)"
            )
        return LibraryOrigin(str(p), f"environment variable {ENV_VAR}", convention), tried
    tried.append(f"{ENV_VAR} (unset)")
    for candidate, label in _wheel_candidates():
        return LibraryOrigin(str(candidate), "sspilib wheel", convention, distribution=label), tried
    tried.append("sspilib wheel (not installed, or no bundled libsspi: pip install 'sspimodel[native]')")
    if _is_windows():
        return LibraryOrigin("secur32.dll", "Windows system library", convention, "Windows secur32"), tried
    tried.append("secur32.dll (Windows only)")
    raise NativeLibraryNotFound("load_native: no native SSPI library found; tried: " + "; ".join(tried))


def load_native(path: str | os.PathLike[str] | None = None) -> NativeLibrary:
    """Load the native SSPI library (see the module docstring for the search order)."""
    origin, _ = find_native(path)
    try:
        dll: ctypes.CDLL = ctypes.WinDLL(origin.path) if _is_windows() else ctypes.CDLL(origin.path)  # type: ignore[attr-defined]
    except OSError as exc:
        raise NativeLibraryNotFound(f"load_native: cannot load {origin.path} ({origin.found_by}): {exc}") from exc
    implementation = origin.implementation
    if implementation == "unknown":
        if hasattr(dll, _SSPI_RS_MARKER):
            implementation = "sspi-rs"
        elif Path(origin.path).name.lower() == "secur32.dll":
            implementation = "Windows secur32"
    origin = LibraryOrigin(origin.path, origin.found_by, origin.convention, implementation, origin.distribution)
    return NativeLibrary(dll, origin)
