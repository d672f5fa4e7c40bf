"""The observed contract: which breaches of a page's contract Windows does not refuse.

Read lazily from spec/data/observed.yaml (never at ``import sspimodel``). The guarded API
(:class:`sspimodel.api.Sspi` with ``contract="observed"``) asks :func:`cover` whether a breach
found by the page's contract is one Windows takes; a covered breach becomes a
:class:`Finding` carried by the result instead of a ContractError.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from attrs import frozen

from ..paths import data_file
from ..status import SpecDataError

__all__ = ["CONTRACTS", "Finding", "ObservedEntry", "ObservedError", "cover", "load_observed"]

# The two contracts a Sspi can keep (see the README, "Two contracts").
CONTRACTS = ("documented", "observed")

NULL = "NULL"
_FIELDS = ("id", "functions", "parameters", "accepts", "source")
_OPTIONAL = ("answer",)


class ObservedError(SpecDataError):
    """observed.yaml is malformed; the message names the file and the entry."""


@frozen
class ObservedEntry:
    id: str
    functions: tuple[str, ...]
    parameters: tuple[str, ...]
    accepts: tuple[str, ...]  # value names, or "NULL"
    source: str
    answer: str | None = None  # errata id (NULL entries)
    mask: int = 0  # the OR of the accepted values' numbers

    @property
    def accepts_null(self) -> bool:
        return NULL in self.accepts


@frozen
class Finding:
    """A breach of the page's contract that the observed contract let through.

    ``function``/``parameter``/``problem``/``clause``: what the documented contract says is
    wrong (the ContractError it would have raised); ``entry``: the observed.yaml entry that
    covers it; ``source``: that entry's source.
    """

    function: str
    parameter: str
    problem: str
    clause: str
    entry: str
    source: str

    def __str__(self) -> str:
        return f"{self.function}: parameter {self.parameter}: {self.problem} [{self.clause}] (observed: {self.entry})"

    def __repr__(self) -> str:
        # Short, for result displays: the full problem and source are in str() and the fields.
        return f"Finding({self.parameter}: {self.entry})"


def _names(value: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ObservedError(f"{where}: {key} must be a non-empty list of names")
    return tuple(value)


def _parse(path: Path) -> tuple[ObservedEntry, ...]:
    import yaml

    from ..constants_data import load_constants

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ObservedError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, list):
        raise ObservedError(f"{path}: expected a list of entries")
    constants = load_constants(path.parent.parent)
    out: list[ObservedEntry] = []
    seen: set[str] = set()
    for n, item in enumerate(data, 1):
        where = f"{path}: entry {n}"
        if not isinstance(item, dict):
            raise ObservedError(f"{where}: expected a mapping")
        missing = [k for k in _FIELDS if k not in item]
        if missing:
            raise ObservedError(f"{where} ({item.get('id', '?')}): missing {', '.join(missing)}")
        extra = sorted(set(item) - set(_FIELDS) - set(_OPTIONAL))
        if extra:
            raise ObservedError(f"{where} ({item['id']}): unknown keys {', '.join(extra)}")
        if item["id"] in seen:
            raise ObservedError(f"{where}: duplicate id {item['id']!r}")
        seen.add(item["id"])
        accepts = _names(item["accepts"], where, "accepts")
        mask = 0
        for name in accepts:
            if name == NULL:
                continue
            constant = constants.get(name)
            if constant is None:
                raise ObservedError(f"{where} ({item['id']}): {name} has no value in spec/data/constants.tsv")
            mask |= constant.value
        answer = item.get("answer")
        if (NULL in accepts) != (answer is not None):
            raise ObservedError(
                f"{where} ({item['id']}): an entry accepting NULL names its answer (an errata id), others none"
            )
        out.append(
            ObservedEntry(
                id=str(item["id"]),
                functions=_names(item["functions"], where, "functions"),
                parameters=_names(item["parameters"], where, "parameters"),
                accepts=accepts,
                source=" ".join(str(item["source"]).split()),
                answer=None if answer is None else str(answer),
                mask=mask,
            )
        )
    return tuple(out)


@cache
def _load(path: str) -> tuple[ObservedEntry, ...]:
    return _parse(Path(path))


def load_observed(spec_dir: Path | None = None) -> tuple[ObservedEntry, ...]:
    """Every entry of spec/data/observed.yaml (cached per file)."""
    return _load(str(data_file("observed.yaml", spec_dir)))


def entries_for(function: str, parameter: str) -> tuple[ObservedEntry, ...]:
    return tuple(e for e in load_observed() if function in e.functions and parameter in e.parameters)


def cover(function: str, parameter: str, value: Any, recheck: Any) -> ObservedEntry | None:
    """The entry that lets ``value`` of ``parameter`` through, or None.

    ``recheck(v)`` re-runs the page's check on a value (raising when it breaks the clause):
    a number is covered when, with the accepted values taken out, what is left keeps the
    page's table (or nothing is left).
    """
    for e in entries_for(function, parameter):
        if value is None:
            if e.accepts_null:
                return e
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not e.mask:
            continue
        number = int(value)
        if number < 0:
            continue
        rest = number & ~e.mask
        if rest == number:
            continue
        if rest == 0 and number in _values(e):
            return e
        try:
            recheck(rest)
        except ValueError:
            continue
        return e
    return None


def _values(e: ObservedEntry) -> frozenset[int]:
    from ..constants_data import load_constants

    constants = load_constants()
    return frozenset(constants[n].value for n in e.accepts if n != NULL)
