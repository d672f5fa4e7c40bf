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

from .buffers import SecBuffer, SecBufferDesc
from .handles import (
    NEVER,
    AccessToken,
    AllocatedBytes,
    AllocatedStr,
    AsyncContext,
    ContextBuffer,
    CredHandle,
    CtxtHandle,
    Luid,
    Ref,
    TimeStamp,
)
from .rules import Citation, Errata, Interpretation, Rule, rules_for
from .structs import AuthIdentity, SecWinntAuthIdentity
from .world import ANONYMOUS_LUID, SYSTEM_LUID, CallerMode, Fault, FaultPlan, World, default_world

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
