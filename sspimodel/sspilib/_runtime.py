"""Which world and which process the sspilib-compatible layer calls into.

sspilib has no notion of a world: a program calls ``sspilib.raw.acquire_credentials_handle(...)``
and the operating system answers. Here one :class:`Runtime` stands for "the operating system":
a :class:`~sspimodel.model.world.World` and the :class:`~sspimodel.api.Sspi` of one of its
processes. Every handle remembers the runtime that made it, and a call on a handle goes to that
runtime, so a handle of one world or process is never used in another; calls that take no
handle go to the current runtime.

The runtime is created on first use (the default world, its default process, the "observed"
contract when the model offers it) or chosen with :func:`use_world`.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any

__all__ = ["NotModelledError", "Runtime", "current", "reset", "use_world"]


class NotModelledError(NotImplementedError):
    """The program asked for something the model does not simulate (Schannel, CredSSP, a keytab...).

    Raised instead of answering differently from Windows without saying so.
    """


class Runtime:
    """A world, the process the layer's calls are made from, and its guarded API."""

    def __init__(self, world: Any = None, process: int | None = None, *, contract: str | None = None) -> None:
        from ..api import Sspi
        from ..model.world import default_world

        self.world = world if world is not None else default_world()
        self.contract = contract if contract is not None else _best_contract(Sspi)
        kwargs: dict[str, Any] = {}
        if self.contract is not None:
            kwargs["contract"] = self.contract
        self.sspi = Sspi(self.world, process, **kwargs)

    def __repr__(self) -> str:
        return f"Runtime({self.sspi!r}, contract={self.contract!r})"


def _best_contract(sspi_class: type) -> str | None:
    """"observed" (what Windows does) when the model offers a choice of contract, else its only one."""
    if "contract" in inspect.signature(sspi_class).parameters:
        return "observed"
    return None


_current: Runtime | None = None


def current() -> Runtime:
    """The runtime calls go to (made on first use: the default world and process)."""
    global _current
    if _current is None:
        _current = Runtime()
    return _current


def reset(runtime: Runtime | None = None) -> Runtime | None:
    """Make ``runtime`` the current one (None: a fresh default runtime on next use); return the old."""
    global _current
    old, _current = _current, runtime
    return old


@contextlib.contextmanager
def use_world(world: Any = None, process: int | None = None, *, contract: str | None = None) -> Iterator[Runtime]:
    """Within the block, calls that take no handle (acquiring credentials, listing packages) go to
    ``world`` as ``process`` (default: a fresh default world); the handles they give keep that
    world and process for every later call, inside the block or after it."""
    runtime = Runtime(world, process, contract=contract)
    old = reset(runtime)
    try:
        yield runtime
    finally:
        reset(old)
