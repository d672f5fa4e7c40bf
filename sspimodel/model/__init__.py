"""The executable model: a deterministic simulated world and the semantics of each function.

- :mod:`.world`: :class:`World` and :func:`default_world` (the CONTOSO domain);
- :mod:`.handles`, :mod:`.buffers`, :mod:`.structs`: the values that cross the API;
- :mod:`.packages`, :mod:`.tokens`: the packages and their token format (NTLM: real NTLMSSP
  messages through :mod:`.ntlm_wire`; Kerberos and Digest: the model's own frames);
- :mod:`.rules`: Rule/Citation/Interpretation/Errata and :func:`rules_for`;
- one module per family of functions with its rule tables: :mod:`.creds`, :mod:`.contexts`,
  :mod:`.attributes`, :mod:`.memory`, :mod:`.messages`, :mod:`.export`,
  :mod:`.packages_query`, :mod:`.async_`, :mod:`.impersonation` (with :mod:`.access_token`);
  :mod:`.errata` reads spec/data/errata.yaml lazily.

The guarded API over all this is :class:`sspimodel.api.Sspi`.
"""

from __future__ import annotations

from typing import Any

# Each name is imported from its module on first use (PEP 562), so importing one module of the
# model (sspimodel.model.errors, .world) does not import all of them: start-up stays cheap.
_LAZY = {
    "ANONYMOUS_LUID": "world",
    "AccessToken": "handles",
    "AllocatedBytes": "handles",
    "AllocatedStr": "handles",
    "AsyncContext": "handles",
    "AuthIdentity": "structs",
    "CallerMode": "world",
    "Citation": "rules",
    "ContextBuffer": "handles",
    "CredHandle": "handles",
    "CtxtHandle": "handles",
    "Errata": "rules",
    "Fault": "world",
    "FaultPlan": "world",
    "Interpretation": "rules",
    "Luid": "handles",
    "NEVER": "handles",
    "Ref": "handles",
    "Rule": "rules",
    "SYSTEM_LUID": "world",
    "SecBuffer": "buffers",
    "SecBufferDesc": "buffers",
    "SecWinntAuthIdentity": "structs",
    "TimeStamp": "handles",
    "World": "world",
    "default_world": "world",
    "rules_for": "rules",
}

__all__ = [
    "ANONYMOUS_LUID",
    "NEVER",
    "SYSTEM_LUID",
    "AccessToken",
    "AllocatedBytes",
    "AllocatedStr",
    "AsyncContext",
    "AuthIdentity",
    "CallerMode",
    "Citation",
    "ContextBuffer",
    "CredHandle",
    "CtxtHandle",
    "Errata",
    "Fault",
    "FaultPlan",
    "Interpretation",
    "Luid",
    "Ref",
    "Rule",
    "SecBuffer",
    "SecBufferDesc",
    "SecWinntAuthIdentity",
    "TimeStamp",
    "World",
    "default_world",
    "rules_for",
]


def __getattr__(name: str) -> Any:
    import importlib
    import importlib.util

    module = _LAZY.get(name)
    if module is None:
        # A submodule not imported yet (``sspimodel.model.packages`` after ``import
        # sspimodel.model``), as when this package imported them all.
        if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module 'sspimodel.model' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
