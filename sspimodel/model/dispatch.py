"""InitSecurityInterfaceA/W: the SSPI dispatch table.

The table is a :class:`SecurityFunctionTable` whose members are named and ordered as sspi.h
declares ``SecurityFunctionTableW`` / ``SecurityFunctionTableA`` (the layout is a header fact,
kept in :data:`SLOTS_W` / :data:`SLOTS_A`; tests/data/security_function_table.json records it with
its source and a test compares the two). Each member is:

- for a function the model has: the bound method of an :class:`~sspimodel.api.Sspi` over the
  same world and process, so calling through the table *is* calling the function (same checks,
  same rules, same state);
- for a reserved slot (``Reserved2``, ``Reserved3``, ...): None, as Windows leaves them;
- for a function the model does not have yet: None, with the reason in ``notes``.

Windows hands back a pointer to a static table that the caller never frees, so the table is no
package memory (nothing to release with FreeContextBuffer, nothing in ``world.leaks()``).
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from .rules import Call, Citation, Interpretation, Rule, pick, register, unreachable

__all__ = ["SLOTS_A", "SLOTS_W", "SPI_VERSION", "SecurityFunctionTable", "init_interface_rules"]

# SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_4 (sspi.h, spec/data/constants.tsv).
SPI_VERSION = 4

# The members after dwVersion, in order (sspi.h, _SECURITY_FUNCTION_TABLE_W, user mode).
SLOTS_W: tuple[str, ...] = (
    "EnumerateSecurityPackagesW",
    "QueryCredentialsAttributesW",
    "AcquireCredentialsHandleW",
    "FreeCredentialsHandle",
    "Reserved2",
    "InitializeSecurityContextW",
    "AcceptSecurityContext",
    "CompleteAuthToken",
    "DeleteSecurityContext",
    "ApplyControlToken",
    "QueryContextAttributesW",
    "ImpersonateSecurityContext",
    "RevertSecurityContext",
    "MakeSignature",
    "VerifySignature",
    "FreeContextBuffer",
    "QuerySecurityPackageInfoW",
    "Reserved3",
    "Reserved4",
    "ExportSecurityContext",
    "ImportSecurityContextW",
    "AddCredentialsW",
    "Reserved8",
    "QuerySecurityContextToken",
    "EncryptMessage",
    "DecryptMessage",
    "SetContextAttributesW",
    "SetCredentialsAttributesW",
    "ChangeAccountPasswordW",
    "QueryContextAttributesExW",
    "QueryCredentialsAttributesExW",
)

# The A table: the A variants, and one header quirk kept as it is: its FreeCredentialsHandle
# member is spelled "FreeCredentialHandle" (sspi.h, _SECURITY_FUNCTION_TABLE_A).
SLOTS_A: tuple[str, ...] = tuple(
    "FreeCredentialHandle" if s == "FreeCredentialsHandle" else (s[:-1] + "A" if s.endswith("W") else s)
    for s in SLOTS_W
)

# The function each member points to (the member name, but for the A table's quirk).
_FUNCTION = {"FreeCredentialHandle": "FreeCredentialsHandle"}

_NOT_INITIALIZED_A = frozenset({"QueryContextAttributesExA", "QueryCredentialsAttributesExA"})


@frozen(repr=False)
class SecurityFunctionTable:
    """SecurityFunctionTableA or SecurityFunctionTableW: ``dwVersion``, then one entry per member.

    ``entries`` maps each member name (header order) to a callable or None; ``notes`` says why a
    non-reserved member is None. Members are also attributes: ``table.AcquireCredentialsHandleW``.
    """

    variant: str  # "A" or "W"
    dwVersion: int
    entries: tuple[tuple[str, Any], ...]
    notes: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        return f"SecurityFunctionTable{self.variant}"

    def __getattr__(self, member: str) -> Any:
        for name, entry in object.__getattribute__(self, "entries"):
            if name == member:
                return entry
        raise AttributeError(f"{self.name} has no member {member!r}")

    def members(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.entries)

    def note(self, member: str) -> str | None:
        return dict(self.notes).get(member)

    def __repr__(self) -> str:
        filled = sum(1 for _, e in self.entries if e is not None)
        return f"{self.name}(dwVersion={self.dwVersion}, {filled} of {len(self.entries)} members set)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.describe())

    def describe(self) -> str:
        """One line per member: the function it calls, or None and why."""
        lines = [repr(self)]
        for name, entry in self.entries:
            if entry is not None:
                lines.append(f"  {name:<32} -> Sspi.{entry.__name__}")
            else:
                lines.append(f"  {name:<32} -> None ({self.note(name) or 'reserved'})")
        return "\n".join(lines)


def _build(c: Call, variant: str) -> SecurityFunctionTable:
    from ..api import FUNCTIONS, Sspi  # the API sits above the model: imported when the table is built

    sspi = Sspi(c.world, c.process.pid)
    entries: list[tuple[str, Any]] = []
    notes: list[tuple[str, str]] = []
    for member in SLOTS_A if variant == "A" else SLOTS_W:
        function = _FUNCTION.get(member, member)
        if member.startswith("Reserved"):
            entries.append((member, None))
        elif variant == "A" and member in _NOT_INITIALIZED_A:
            entries.append((member, None))
            notes.append((member, "the A page: left uninitialized in the table"))
        elif function in FUNCTIONS:
            entries.append((member, getattr(sspi, function)))
        else:
            entries.append((member, None))
            notes.append((member, "not modelled yet"))
    return SecurityFunctionTable(variant, SPI_VERSION, tuple(entries), tuple(notes))


def init_interface_rules(function: str) -> list[Rule]:
    variant = function[-1]
    pointer = f"PSecurityFunctionTable{variant}"

    def build(c: Call) -> None:
        c.out["value"] = _build(c, variant)

    also: tuple[Citation | Interpretation, ...] = (
        Interpretation(
            "What do the table's members point to, and what version does it carry?",
            "the model's own functions, bound to the caller's world and process (calling through the "
            "table is calling the function); None for reserved members and for functions not modelled "
            "yet; dwVersion SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_4",
        ),
    )
    if variant == "A":
        also = (
            Citation(
                function,
                "remarks",
                "QueryContextAttributesExA and QueryCredentialsAttributesExA are left uninitialized in the table.",
            ),
            *also,
        )
    return [
        unreachable(
            pick(f"isi{variant.lower()}", "isia.null", "isiw.null"),
            "NULL",
            Citation(function, "returns", "On failure it returns NULL."),
            "the model's table is built from the model's own functions and cannot fail; the page names no "
            "cause of failure",
        ),
        Rule(
            pick(f"isi{variant.lower()}", "isia.ok", "isiw.ok"),
            f"a {pointer[1:]} whose members are the model's functions",
            pointer,
            Citation(
                function,
                "returns",
                "On success the function returns a pointer to a SecurityFunctionTable structure.",
            ),
            lambda c: True,
            build,
            also=also,
        ),
    ]


ISI_A = register("InitSecurityInterfaceA", init_interface_rules("InitSecurityInterfaceA"))
ISI_W = register("InitSecurityInterfaceW", init_interface_rules("InitSecurityInterfaceW"))
