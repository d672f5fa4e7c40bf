"""sspimodel: an executable specification of the Windows SSPI, generated from its reference pages.

    from sspimodel import Sspi, default_world
    world = default_world()
    client = Sspi(world)                 # process 100, client.exe (alice)
    client.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=2)

Importing the package is cheap: it does not read spec/ and does not import the model; the names
below are loaded on first use.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["ContractError", "Sspi", "Status", "UndocumentedStatus", "World", "default_world", "rules_for"]

_LAZY = {
    "Sspi": ("sspimodel.api", "Sspi"),
    "UndocumentedStatus": ("sspimodel.api", "UndocumentedStatus"),
    "ContractError": ("sspimodel.contract", "ContractError"),
    "Status": ("sspimodel._generated.status", "Status"),
    "World": ("sspimodel.model.world", "World"),
    "default_world": ("sspimodel.model.world", "default_world"),
    "rules_for": ("sspimodel.model.rules", "rules_for"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import gc
        import importlib

        module, attr = _LAZY[name]
        # The first name loads the model: some sixty classes and their tables, all long-lived.
        # The cyclic collector would traverse that growing heap again and again for nothing
        # (a few ms of start-up); it is paused for the import and restored as it was.
        collecting = gc.isenabled()
        gc.disable()
        try:
            value = getattr(importlib.import_module(module), attr)
        finally:
            if collecting:
                gc.enable()
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sspimodel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
