"""FreeContextBuffer: releasing memory a security package allocated for the caller.

Every buffer the model hands out (output tokens with ISC_REQ_ALLOCATE_MEMORY, SecPkgInfo
structures and arrays, exported contexts, variable-sized attribute members) is recorded in the
calling process's allocation table under its address. The page documents one status only,
SEC_E_OK; its remarks forbid the two mistakes a caller can make ("Memory that the caller
allocated itself must not be passed to this function, and a buffer must not be released
twice."). *Interpretation*: breaking that sentence is a contract violation, so the model raises
ContractError (naming the address and what it was) instead of inventing a status.
"""

from __future__ import annotations

from .common import CONTRACT_ERROR
from .handles import address_of
from .rules import Call, Citation, Interpretation, Rule, register

__all__ = ["free_buffer_rules"]

_REMARK = "FreeContextBuffer releases any memory that a security package allocated."
_CHOICE = Interpretation(
    "FreeContextBuffer documents only SEC_E_OK, and its page says only that it releases memory a "
    "security package allocated: what of a pointer to other memory, or to a buffer already released?",
    "a ContractError: neither is memory a package allocated and still holds; no status is invented",
)


def _address(c: Call) -> int | None:
    return address_of(c.a.pvContextBuffer)


def _double_free(c: Call) -> bool:
    address = _address(c)
    return address is not None and address in c.process.freed and address not in c.process.allocations


def _foreign(c: Call) -> bool:
    address = _address(c)
    return address is None or address not in c.process.allocations


def _raise_double(c: Call) -> None:
    raise c.violation(
        "pvContextBuffer",
        f"the buffer at {_address(c):#x} was released already, so it is no longer package memory: '{_REMARK}'",
        c.a.pvContextBuffer,
        "remarks",
    )


def _raise_foreign(c: Call) -> None:
    value = c.a.pvContextBuffer
    address = _address(c)
    where = (
        f"{address:#x} is not memory a package allocated for this process"
        if address is not None
        else f"a {type(value).__name__} is not memory a security package allocated"
    )
    raise c.violation("pvContextBuffer", f"{where}: '{_REMARK}'", value, "remarks")


def _free(c: Call) -> None:
    address = _address(c)
    assert address is not None
    del c.process.allocations[address]
    c.process.freed.add(address)


def free_buffer_rules(function: str = "FreeContextBuffer", prefix: str = "fcb") -> list[Rule]:
    return [
        Rule(
            f"{prefix}.double_free",
            "pvContextBuffer was released before",
            CONTRACT_ERROR,
            Citation(function, "remarks", _REMARK),
            _double_free,
            _raise_double,
            also=(_CHOICE,),
        ),
        Rule(
            f"{prefix}.foreign",
            "pvContextBuffer is not memory a package allocated for the calling process",
            CONTRACT_ERROR,
            Citation(function, "remarks", _REMARK),
            _foreign,
            _raise_foreign,
            also=(_CHOICE,),
        ),
        Rule(
            f"{prefix}.ok",
            "the buffer is released",
            "SEC_E_OK",
            Citation(function, "returns", "On success the function returns SEC_E_OK."),
            lambda c: True,
            _free,
        ),
    ]


FCB = register("FreeContextBuffer", free_buffer_rules())
