"""Backends: thin adapters that map the scenarios' neutral values to one SSPI implementation.

A scenario speaks in neutral values (:mod:`sspimodel.conform.scenario`); at run time they become
:class:`Buffer` tuples, bytes, ints, strings, :class:`~sspimodel.conform.scenario.Identity` and
:class:`~sspimodel.conform.scenario.ForgedHandle`, plus whatever handle objects the backend itself
returned earlier. An adapter turns those into its own objects, makes the call, and hands back the
status and the result fields in neutral form (buffers as :class:`Buffer` tuples; handles as the
backend's own objects, only ever passed back to the same backend).

Backends, by the ``--backend`` string:

- ``model``: the model's guarded API (:class:`sspimodel.api.Sspi` over ``default_world()``), in
  process; a fresh world per scenario, in kernel mode for ``mode: kernel`` scenarios;
- ``native`` / ``native:PATH``: :class:`sspimodel.native.NativeSspi` over the library
  :func:`sspimodel.native.load_native` finds (sspi-rs from the sspilib wheel, secur32.dll on
  Windows), run in a child process per scenario (see :mod:`sspimodel.conform.runner`);
- ``python:MODULE:FACTORY``: ``FACTORY()`` of an importable module returns an adapter; it runs in a
  child process like a native backend (used by the tests for crashing and hanging backends).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import attrs
from attrs import frozen

from .scenario import Cell, CredUiInfoSpec, ForgedHandle, Identity, Routine, Scenario

__all__ = [
    "Adapter",
    "BackendSpec",
    "Buffer",
    "CallResult",
    "ModelAdapter",
    "NativeAdapter",
    "NotRepresentable",
    "parse_backend",
]


@frozen
class Buffer:
    """A SecBuffer in neutral form: type (with attribute bits), contents (None: none), capacity."""

    type: int
    data: bytes | None
    size: int

    @property
    def base_type(self) -> int:
        return self.type & 0x0FFFFFFF


@frozen
class CallResult:
    """What one call returned: the status (unsigned) and the result fields in neutral form.

    For the few functions whose C return value is not a SECURITY_STATUS, ``status`` is None,
    ``value`` names the value returned and ``outputs["return"]`` holds it.
    """

    status: int | None
    outputs: Mapping[str, object]
    value: str | None = None


class NotAvailable(Exception):
    """The backend does not have the function (not exported, kernel mode only, ...)."""


class NotRepresentable(Exception):
    """The adapter cannot express the neutral value for this backend; the call is not made."""


class Adapter(Protocol):
    """What the runner needs from a backend."""

    name: str  # short: "model", "native"
    description: str  # which implementation, where from

    def start(self, scenario: Scenario) -> None:
        """Fresh state for a scenario (a new world, a new handle guard, ...)."""

    def available(self, function: str) -> bool:
        """False when the backend does not provide the function at all."""

    def call(self, function: str, args: dict[str, object]) -> CallResult:
        """Make the call; raises NotAvailable / NotRepresentable, or the backend's own exception."""

    def settle(self) -> None:
        """Let queued asynchronous work finish (a ``wait`` step); nothing to do for most backends."""


def neutral(value: object) -> object:
    """Backend result values in neutral form: buffer descriptors and ``(type, bytes)`` sequences
    become Buffer tuples, a lone SecBuffer a Buffer; everything else is kept as it is (handles and
    Ref cells stay backend objects). Contents are kept as the very bytes object the backend gave,
    so memory the model's package allocated (AllocatedBytes) keeps its address for FreeContextBuffer."""
    pbuffers = getattr(value, "pBuffers", None)
    if pbuffers is not None:  # the model's SecBufferDesc
        return tuple(_buffer(b) for b in pbuffers)
    if hasattr(value, "BufferType") and hasattr(value, "cbBuffer"):  # the model's SecBuffer
        return _buffer(value)
    if isinstance(value, tuple) and value and all(
        isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], int) and isinstance(item[1], bytes | None)
        for item in value
    ):
        return tuple(Buffer(t, d, len(d or b"")) for t, d in value)
    return value


def _buffer(b: Any) -> Buffer:
    data = b.pvBuffer
    return Buffer(int(b.BufferType), data if isinstance(data, bytes) or data is None else bytes(data), int(b.cbBuffer))


# -- native -----------------------------------------------------------------------------------


@frozen
class NativeAllocation:
    """Memory a native package allocated for the caller, still allocated: FreeContextBuffer's input."""

    address: int
    what: str

    def __repr__(self) -> str:
        return f"NativeAllocation({self.what})"


# The package queries whose output array the scenarios release with FreeContextBuffer: the adapter
# calls them itself so that the pointer survives (NativeSspi copies and frees it at once).
_ALLOCATING_QUERIES = frozenset(
    {"EnumerateSecurityPackagesA", "EnumerateSecurityPackagesW", "QuerySecurityPackageInfoA", "QuerySecurityPackageInfoW"}
)


class NativeAdapter:
    """:class:`sspimodel.native.NativeSspi` over a loaded native library.

    The handle guard is off (``guard_handles=False``): a forged or released handle is sent to the
    library as it is, which is what a conformance probe must do. That can crash a library that
    dereferences handle words (sspi-rs does), which is why native scenarios run in a child process.
    """

    name = "native"

    def __init__(self, path: str | None = None) -> None:
        from ..native import load_native

        self.lib = load_native(path)
        self.description = self.lib.origin.describe()
        self.implementation = self.lib.origin.implementation
        self.api: Any = None

    def start(self, scenario: Scenario) -> None:
        from ..native import NativeSspi

        self.api = NativeSspi(self.lib, guard_handles=False)

    def available(self, function: str) -> bool:
        return self.lib.available(function) and callable(getattr(self.api, function, None))

    def missing(self, function: str) -> str:
        """Why ``function`` is not available (short: reports repeat it per call)."""
        from ..native import KERNEL_MODE_ONLY

        name = Path(self.lib.origin.path).name
        if function in KERNEL_MODE_ONLY:
            return f"{name} does not export it (sspi.h declares it for kernel mode only)"
        return f"{name} does not export it"

    def settle(self) -> None:
        """Native calls here are synchronous: nothing is queued."""

    def _convert(self, function: str, param: str, value: object) -> object:
        from ..native import AuthIdentity, NativeHandle

        if isinstance(value, Identity):
            return AuthIdentity(value.user, value.domain, value.password)
        if isinstance(value, ForgedHandle):
            return NativeHandle(value.dwLower, value.dwUpper)
        if isinstance(value, Buffer):
            return value.data or b""
        if isinstance(value, tuple) and all(isinstance(b, Buffer) for b in value):
            # An output slot of capacity n is n zero bytes (the library writes into them); an empty
            # slot (no data, no size) is a NULL pvBuffer, for the package to allocate.
            return [(b.type, b.data if b.data is not None else (bytes(b.size) if b.size else None)) for b in value]
        if function == "FreeContextBuffer" and param == "pvContextBuffer" and not isinstance(value, NativeAllocation | None):
            # NativeSspi copies every other buffer the package allocates (tokens, attributes) and
            # frees it at once (see its docstring): no native pointer is left that a scenario could name.
            raise NotRepresentable(
                "the ctypes backend copies this package-allocated memory and frees it itself; "
                "there is no native pointer left to pass to FreeContextBuffer"
            )
        return value

    def _package_query(self, function: str, args: dict[str, object]) -> CallResult:
        """EnumerateSecurityPackages / QuerySecurityPackageInfo, keeping the array the package
        allocated, so that the scenario's FreeContextBuffer releases real package memory."""
        import ctypes

        from ..native import structs as S

        fn = self.lib.function(function)
        holder = ctypes.c_void_p()
        outputs: dict[str, object] = {}
        if function.startswith("Enumerate"):
            count = ctypes.c_uint32()
            status = fn(ctypes.byref(count), ctypes.byref(holder))
            outputs["pcPackages"] = int(count.value)
        else:
            name = args.get("pszPackageName", args.get("pPackageName"))
            buf: Any = None
            if isinstance(name, str):
                buf = S.wide_buffer(name) if function.endswith("W") else ctypes.create_string_buffer(name.encode(self.lib.ansi_encoding))
            status = fn(ctypes.addressof(buf) if buf is not None else None, ctypes.byref(holder))
        if holder.value:
            outputs["ppPackageInfo"] = NativeAllocation(int(holder.value), f"{function} ppPackageInfo")
        return CallResult(int(status) & 0xFFFFFFFF, outputs)

    def _free_context_buffer(self, value: object) -> CallResult:
        address = value.address if isinstance(value, NativeAllocation) else None
        return CallResult(int(self.lib.function("FreeContextBuffer")(address)) & 0xFFFFFFFF, {})

    def call(self, function: str, args: dict[str, object]) -> CallResult:
        method = getattr(self.api, function, None)
        if method is None or not self.lib.available(function):
            raise NotAvailable(self.missing(function))
        from ..native import NativeFunctionUnavailable

        # A Ref cell is the model's way to receive through a parameter the page marks [in] (or
        # leaves without a direction); the C ABI's out pointers are the backend's business.
        kwargs = {name: self._convert(function, name, v) for name, v in args.items() if not isinstance(v, Cell | Routine)}
        if function in _ALLOCATING_QUERIES:
            return self._package_query(function, kwargs)
        if function == "FreeContextBuffer":
            return self._free_context_buffer(kwargs.get("pvContextBuffer"))
        try:
            raw = method(**kwargs)
        except NativeFunctionUnavailable as exc:
            raise NotAvailable(str(exc)) from exc
        outputs: dict[str, object] = {}
        for a in attrs.fields(type(raw)):
            if a.name in ("status", "function", "output_buffers"):
                continue
            outputs[a.name] = neutral(getattr(raw, a.name))
        if hasattr(raw, "output_buffers"):
            # ContextResult.pOutput is the first token's bytes; the neutral pOutput is the buffer list.
            outputs["pOutput"] = neutral(raw.output_buffers) if raw.output_buffers else ()
        return CallResult(int(raw.status) & 0xFFFFFFFF, outputs)


# -- model ------------------------------------------------------------------------------------


KERNEL_PROCESS = 4  # default_world's System process (SYSTEM logon session, SE_TCB_NAME)


class ModelAdapter:
    """The model's guarded API over a fresh ``default_world()`` per scenario.

    The API runs non-strict: a status its page does not allow is returned (and classified as
    undocumented by the report) instead of raising UndocumentedStatus, so that one model defect
    does not hide the rest of the scenario.
    """

    name = "model"
    description = "sspimodel model (default_world; process 100 client.exe, 4 System in kernel mode)"

    def __init__(self) -> None:
        self.api: Any = None
        self.world: Any = None
        self.routine_calls: list[tuple[object, ...]] = []

    def _routine(self, *args: object) -> None:
        """The routine passed for ``{routine: null}``: it only records that it was called."""
        self.routine_calls.append(args)

    def start(self, scenario: Scenario) -> None:
        from ..api import Sspi
        from ..model.world import CallerMode, default_world

        self.world = default_world()
        self.routine_calls = []
        process = None
        if scenario.mode == "kernel":
            # The async family is for kernel-mode drivers: the caller is the System process.
            self.world.caller_mode = CallerMode.KERNEL
            process = KERNEL_PROCESS
        self.api = Sspi(self.world, process, strict=False)
        for answer in scenario.answers:  # the scripted user of the credential prompts
            if answer.kind == "cancel":
                self.world.prompts.user.cancel()
            else:
                self.world.prompts.user.submit(answer.password, answer.user, answer.domain, answer.save)

    def available(self, function: str) -> bool:
        return callable(getattr(self.api, function, None))

    def settle(self) -> None:
        """Let queued asynchronous work finish: the world's scheduler runs it."""
        self.world.run_pending()

    def _convert(self, function: str, param: str, value: object) -> object:
        from ..model.buffers import SecBuffer, SecBufferDesc
        from ..model.constants import SEC_WINNT_AUTH_IDENTITY_ANSI, SEC_WINNT_AUTH_IDENTITY_UNICODE
        from ..model.handles import CredHandle, CtxtHandle, Ref
        from ..model.structs import SecWinntAuthIdentity

        if isinstance(value, Identity):
            # An A function's identity holds ANSI strings, a W function's Unicode ones.
            ansi = function.endswith("A") and not function.endswith("Async")
            flags = SEC_WINNT_AUTH_IDENTITY_ANSI if ansi else SEC_WINNT_AUTH_IDENTITY_UNICODE
            return SecWinntAuthIdentity(value.user, value.password, value.domain, flags)
        if isinstance(value, ForgedHandle):
            cls = CredHandle if param == "phCredential" else CtxtHandle
            return cls(value.dwLower, value.dwUpper)
        if isinstance(value, Cell):
            return Ref()
        if isinstance(value, Routine):
            return self._routine
        if isinstance(value, CredUiInfoSpec):
            from ..model.prompts import CredUiInfo

            return CredUiInfo(value.parent, value.message, value.caption)
        if isinstance(value, tuple) and all(isinstance(b, Buffer) for b in value):
            return SecBufferDesc([SecBuffer(b.type, b.data, b.size) for b in value])
        if isinstance(value, Buffer):
            if function == "FreeContextBuffer":
                return value.data  # the package's memory is the buffer's contents (AllocatedBytes)
            return SecBuffer(value.type, value.data, value.size)
        if param == "pPackedContext" and isinstance(value, bytes):
            return SecBuffer(0, value)  # SECBUFFER_EMPTY, as ExportSecurityContext fills it
        return value

    def call(self, function: str, args: dict[str, object]) -> CallResult:
        from ..model.errors import UndocumentedStatusWarning

        method = getattr(self.api, function, None)
        if method is None:
            raise NotAvailable(f"the model's API has no {function}")
        kwargs = {name: self._convert(function, name, value) for name, value in args.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndocumentedStatusWarning)
            raw = method(**kwargs)
        outputs = _LiveOutputs(raw, kwargs)
        if raw.status is None:
            # A function whose C return value is not a SECURITY_STATUS (SspiCreateAsyncContext's
            # pointer, SspiAsyncContextRequiresNotify's BOOLEAN, ...): its rule's status column
            # names the value; the page's value table is the model's VALUE_RETURNS.
            from ..model.async_ import VALUE_RETURNS
            from ..model.identity import VALUE_RETURNS as IDENTITY_VALUE_RETURNS
            from ..model.prompts import VALUE_RETURNS as PROMPT_VALUE_RETURNS

            label = str(self.api.last_rule.status)
            documented = (
                VALUE_RETURNS.get(function)
                or IDENTITY_VALUE_RETURNS.get(function)
                or PROMPT_VALUE_RETURNS.get(function, frozenset())
            )
            if label not in documented:
                raise ValueError(f"{function} returned {label}, not one of its documented return values")
            return CallResult(None, outputs, label)
        return CallResult(int(raw.status) & 0xFFFFFFFF, outputs)


class _LiveOutputs(Mapping[str, object]):
    """A model result's fields in neutral form, read when asked: an asynchronous call writes its
    Ref cells and SecBufferDesc only when the world's scheduler runs its work, so a value read
    after a ``wait`` step sees what the work wrote."""

    def __init__(self, raw: Any, kwargs: Mapping[str, object]) -> None:
        from ..model.handles import Ref

        self._fields: dict[str, object] = {}
        for a in attrs.fields(type(raw)):
            if a.name not in ("status", "value"):
                self._fields[a.name] = getattr(raw, a.name)
        if getattr(raw, "status", 0) is None:
            self._fields["return"] = raw.value
        # What the callee writes through a cell is that parameter's output, also where the result
        # class has no field for it (EnumerateSecurityPackagesA marks its receiving pointers [in]).
        for name, value in kwargs.items():
            if isinstance(value, Ref) and self._fields.get(name) is None:
                self._fields[name] = value
        self._ref = Ref

    def __getitem__(self, name: str) -> object:
        value = self._fields[name]
        # A filled cell stands for its value; an empty one (work not yet run) stays a cell, which
        # the model dereferences when a later call receives it.
        if isinstance(value, self._ref) and value.value is not None:
            value = value.value
        return neutral(value)

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


# -- choosing a backend -----------------------------------------------------------------------


@frozen
class BackendSpec:
    """A parsed ``--backend`` string."""

    kind: str  # "model" | "native" | "python"
    path: str | None = None  # native: the library path; python: "module:factory"

    def __str__(self) -> str:
        return self.kind if self.path is None else f"{self.kind}:{self.path}"

    @property
    def in_child(self) -> bool:
        """Native and plug-in backends run each scenario in a child process (crash isolation)."""
        return self.kind != "model"

    def make(self) -> Adapter:
        if self.kind == "model":
            return ModelAdapter()
        if self.kind == "native":
            return NativeAdapter(self.path)
        module, _, attr = (self.path or "").partition(":")
        factory = getattr(importlib.import_module(module), attr)
        adapter: Adapter = factory()
        return adapter


def parse_backend(text: str) -> BackendSpec:
    """``model``, ``native``, ``native:PATH`` or ``python:MODULE:FACTORY``; ValueError otherwise."""
    kind, sep, rest = text.partition(":")
    if kind == "model" and not sep:
        return BackendSpec("model")
    if kind == "native":
        if sep and not rest:
            raise ValueError("--backend native:PATH needs a path after the colon")
        return BackendSpec("native", rest or None)
    if kind == "python":
        module, colon, attr = rest.partition(":")
        if not (module and colon and attr):
            raise ValueError(f"--backend {text}: expected python:MODULE:FACTORY")
        return BackendSpec("python", rest)
    raise ValueError(f"--backend {text}: expected model, native, native:PATH (or python:MODULE:FACTORY)")
