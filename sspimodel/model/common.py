"""What the family modules share: handle lookups, fault rules, package memory, pointer cells."""

from __future__ import annotations

from typing import Any, TypeVar

from .handles import AllocatedBytes, AllocatedStr, ContextBuffer, CredHandle, CtxtHandle, Ref
from .rules import Call, Citation, Errata, Rule, guarded
from .world import ContextRecord, CredRecord

__all__ = [
    "CONTRACT_ERROR",
    "NULL_HANDLE_ERRATA",
    "alloc_bytes",
    "alloc_str",
    "alloc_struct",
    "cred_record",
    "ctx_record",
    "deref",
    "fault_rules",
    "faults_planned",
    "is_null_handle",
    "live",
    "observed",
]

T = TypeVar("T")

# The pseudo-status of rules that raise ContractError instead of returning a status.
CONTRACT_ERROR = "ContractError"

NULL_HANDLE_ERRATA = Errata(
    "wine-null-handle",
    "Wine's secur32 dispatcher returns SEC_E_INVALID_HANDLE for a NULL or zero handle from every handle-taking function",
)


def fault_rules(function: str, ids: dict[str, str]) -> list[Rule]:
    """Rules that let the world's fault plan fail a call with a code the page documents.

    ``ids`` maps each code to the id of its rule (a literal at the caller, so grep finds it).
    """
    words = {
        "SEC_E_INSUFFICIENT_MEMORY": "the fault plan makes this call run out of memory",
        "SEC_E_INTERNAL_ERROR": "the fault plan makes this call fail internally",
    }
    rules = []
    for code, rule_id in ids.items():

        def fires(c: Call, code: str = code) -> bool:
            return c.fault(code)

        rules.append(
            Rule(
                rule_id,
                words[code],
                code,
                Citation(function, "returns", code),
                # Most worlds plan no fault: the table skips all its fault rules at once.
                guarded(faults_planned, fires),
            )
        )
    return rules


def observed(c: Call) -> bool:
    """Whether the call is held to the observed contract (``Sspi(world, contract="observed")``):
    rules that follow Windows where it departs from a page's clause ask this. The API marks the
    call in its facts (queued async work keeps its caller's); calls built outside the API are
    documented."""
    return c.facts.get("contract") == "observed"


def faults_planned(c: Call) -> bool:
    """Whether the world's fault plan holds any fault at all."""
    return bool(c.world.faults.faults)


def live(record: T | None) -> T:
    """A record the earlier rules of the table have already checked to exist."""
    assert record is not None, "rule order: a validity rule must come first"
    return record


def deref(value: Any) -> Any:
    """The value a Ref holds, or the value itself."""
    return value.value if isinstance(value, Ref) else value


_HANDLE_TYPES = (CredHandle, CtxtHandle)


def is_null_handle(value: Any) -> bool:
    """NULL (None, an empty Ref) or the zero handle {0, 0}."""
    t = type(value)
    if t is CtxtHandle or t is CredHandle:  # the usual value first: no isinstance calls
        return value.dwLower == 0 and value.dwUpper == 0
    if isinstance(value, Ref):
        value = value.value
    return value is None or (isinstance(value, _HANDLE_TYPES) and value.dwLower == 0 and value.dwUpper == 0)


def cred_record(c: Call, value: Any) -> CredRecord | None:
    """The live credentials the handle refers to in the calling process, or None."""
    if isinstance(value, Ref):
        value = value.value
    if type(value) is not CredHandle:
        return None
    record = c.process.creds.get(value.dwLower)
    # Callers usually pass back the very handle object they were given: no field comparison.
    if record is None or (record.handle is not value and record.handle != value):
        return None
    return record


def ctx_record(c: Call, value: Any) -> ContextRecord | None:
    """The live context the handle refers to in the calling process, or None."""
    if type(value) is not CtxtHandle:
        if not isinstance(value, Ref) or type(value.value) is not CtxtHandle:
            return None
        value = value.value
    record = c.process.contexts.get(value.dwLower)
    if record is None or (record.handle is not value and record.handle != value):
        return None
    return record


def alloc_bytes(c: Call, data: bytes, what: str) -> AllocatedBytes:
    return AllocatedBytes(data, c.world.new_address(c.process, f"{c.function}: {what}"))


def alloc_str(c: Call, text: str, what: str) -> AllocatedStr:
    return AllocatedStr(text, c.world.new_address(c.process, f"{c.function}: {what}"))


def alloc_struct(c: Call, value: T, what: str) -> ContextBuffer[T]:
    return ContextBuffer(value, c.world.new_address(c.process, f"{c.function}: {what}"))
