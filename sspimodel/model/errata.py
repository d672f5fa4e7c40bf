"""Errata: statuses real implementations return (or the model had to choose) that the pages do
not document, read lazily from spec/data/errata.yaml.

Nothing here runs at ``import sspimodel`` or ``import sspimodel.model``: the file is read the
first time :func:`load_errata` (or :func:`errata_codes`) is called, then cached.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from attrs import frozen

from ..paths import data_file
from ..status import SpecDataError

__all__ = ["ErrataError", "Erratum", "errata_codes", "errata_for", "load_errata"]

KINDS = ("implementation", "interpretation", "windows")
_FIELDS = ("id", "functions", "code", "condition", "source", "kind")


class ErrataError(SpecDataError):
    """errata.yaml is malformed; the message names the file and the entry."""


@frozen
class Erratum:
    id: str
    functions: tuple[str, ...]
    code: str
    condition: str
    source: str
    kind: str

    @property
    def is_interpretation(self) -> bool:
        return self.kind == "interpretation"


def _parse(path: Path) -> tuple[Erratum, ...]:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as e:
        raise ErrataError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, list):
        raise ErrataError(f"{path}: expected a list of entries, got {type(data).__name__}")
    out: list[Erratum] = []
    seen: set[str] = set()
    for n, item in enumerate(data, 1):
        where = f"{path}: entry {n}"
        if not isinstance(item, dict):
            raise ErrataError(f"{where}: expected a mapping")
        missing = [k for k in _FIELDS if k not in item]
        if missing:
            raise ErrataError(f"{where} ({item.get('id', '?')}): missing {', '.join(missing)}")
        extra = sorted(set(item) - set(_FIELDS))
        if extra:
            raise ErrataError(f"{where} ({item['id']}): unknown keys {', '.join(extra)}")
        if item["id"] in seen:
            raise ErrataError(f"{where}: duplicate id {item['id']!r}")
        seen.add(item["id"])
        if item["kind"] not in KINDS:
            raise ErrataError(f"{where} ({item['id']}): kind must be one of {KINDS}, not {item['kind']!r}")
        functions = item["functions"]
        if isinstance(functions, str):
            functions = [functions]
        if not functions or not all(isinstance(f, str) for f in functions):
            raise ErrataError(f"{where} ({item['id']}): functions must be a non-empty list of names")
        out.append(
            Erratum(
                id=str(item["id"]),
                functions=tuple(functions),
                code=str(item["code"]),
                condition=" ".join(str(item["condition"]).split()),
                source=" ".join(str(item["source"]).split()),
                kind=str(item["kind"]),
            )
        )
    return tuple(out)


@cache
def _load(path: str) -> tuple[Erratum, ...]:
    return _parse(Path(path))


def load_errata(spec_dir: Path | None = None) -> tuple[Erratum, ...]:
    """Every erratum of spec/data/errata.yaml (cached per file)."""
    return _load(str(data_file("errata.yaml", spec_dir)))


def errata_for(function: str, spec_dir: Path | None = None) -> tuple[Erratum, ...]:
    return tuple(e for e in load_errata(spec_dir) if function in e.functions)


def errata_codes(function: str, spec_dir: Path | None = None) -> frozenset[str]:
    """The codes the errata allow for ``function``."""
    return frozenset(e.code for e in errata_for(function, spec_dir))


def entry(entry_id: str, spec_dir: Path | None = None) -> Erratum:
    for e in load_errata(spec_dir):
        if e.id == entry_id:
            return e
    raise KeyError(f"no erratum {entry_id!r} in {data_file('errata.yaml', spec_dir)}")
