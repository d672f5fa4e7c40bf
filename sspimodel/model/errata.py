"""Errata: statuses real implementations return (or the model had to choose) that the pages do
not document, read lazily from spec/data/errata.yaml.

Nothing here runs at ``import sspimodel`` or ``import sspimodel.model``: the file is read the
first time :func:`load_errata` (or :func:`errata_codes`) is called, then cached.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from attrs import field, frozen

from ..paths import data_file
from ..status import SpecDataError

__all__ = ["ErrataError", "Erratum", "errata_codes", "errata_for", "load_errata", "validate_errata"]

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
    line: int = field(default=0, repr=False, eq=False)  # the entry's line in errata.yaml

    @property
    def is_interpretation(self) -> bool:
        return self.kind == "interpretation"


def _parse(path: Path) -> tuple[Erratum, ...]:
    """errata.yaml, strictly: a regular UTF-8 file of bounded size, YAML without anchors or
    aliases (an alias bomb cannot expand), a list of mappings with exactly _FIELDS, each a
    string (functions: a name or a list of names). Errors name the file and the entry's line."""
    import yaml

    from ..datafiles import load_strict_yaml

    try:
        root = load_strict_yaml(path, _NodeLoader)
    except SpecDataError as e:
        raise ErrataError(str(e)) from None
    except FileNotFoundError:
        raise ErrataError(f"{path}: missing (the errata file; an empty list `[]` if there are none)") from None
    if not isinstance(root, yaml.SequenceNode):
        kind = "nothing (an empty file)" if root is None else type(_plain(root)).__name__
        line = root.start_mark.line + 1 if root is not None else 1
        raise ErrataError(f"{path}:{line}: expected a list of entries, got {kind}")
    data = []
    for node in root.value:
        item = _plain(node)
        if isinstance(item, dict):
            item = {str(k): v for k, v in item.items()}
            item["__line__"] = node.start_mark.line + 1
        data.append(item)
    out: list[Erratum] = []
    seen: set[str] = set()
    for n, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise ErrataError(f"{path}: entry {n}: expected a mapping")
        line = item.pop("__line__")
        where = f"{path}:{line}: entry {n}"
        missing = [k for k in _FIELDS if k not in item]
        if missing:
            raise ErrataError(f"{where} ({item.get('id', '?')}): missing {', '.join(missing)}")
        extra = sorted(set(item) - set(_FIELDS))
        if extra:
            raise ErrataError(f"{where} ({item['id']}): unknown keys {', '.join(extra)}")
        for key in ("id", "code", "condition", "source", "kind"):
            if not isinstance(item[key], str) or not item[key].strip():
                raise ErrataError(f"{where} ({item['id']}): {key} must be non-empty text, got {type(item[key]).__name__}")
        if len(item["id"]) > _MAX_TEXT or len(item["condition"]) > _MAX_TEXT * 10 or len(item["source"]) > _MAX_TEXT * 10:
            raise ErrataError(f"{where}: a field is longer than the errata file allows")
        if item["id"] in seen:
            raise ErrataError(f"{where}: duplicate id {item['id']!r}")
        seen.add(item["id"])
        if item["kind"] not in KINDS:
            raise ErrataError(f"{where} ({item['id']}): kind must be one of {KINDS}, not {item['kind']!r}")
        functions = item["functions"]
        if isinstance(functions, str):
            functions = [functions]
        if not isinstance(functions, list) or not functions or not all(isinstance(f, str) for f in functions):
            raise ErrataError(f"{where} ({item['id']}): functions must be a non-empty list of names")
        out.append(
            Erratum(
                id=str(item["id"]),
                functions=tuple(functions),
                code=str(item["code"]),
                condition=" ".join(str(item["condition"]).split()),
                source=" ".join(str(item["source"]).split()),
                kind=str(item["kind"]),
                line=line,
            )
        )
    return tuple(out)


_MAX_TEXT = 200


def _plain(node: Any) -> Any:
    """A composed YAML node as plain Python data (the document holds no aliases)."""
    loader = _NodeLoader("")
    return loader.construct_object(node, deep=True)


def _node_loader() -> type:
    from ..datafiles import StrictYamlLoader

    class NodeLoader(StrictYamlLoader):
        """Composes the document only (nodes keep their lines); _plain constructs entries."""

        def get_single_data(self) -> Any:
            return self.get_single_node()

    return NodeLoader


_NodeLoader: Any = _node_loader()


def validate_errata(errata: tuple[Erratum, ...], functions: set[str], statuses: set[str], path: str) -> None:
    """Every function an erratum names has a page, and every code is in the status catalog.

    ``sspimodel check`` runs this (a typo in errata.yaml would otherwise widen no function's
    allowed set, silently)."""
    for e in errata:
        unknown = [f for f in e.functions if f not in functions]
        if unknown:
            raise ErrataError(f"{path}:{e.line}: {e.id}: no page documents {', '.join(unknown)}")
        if e.code not in statuses:
            raise ErrataError(f"{path}:{e.line}: {e.id}: {e.code} is not in the status catalog (spec/data/status.tsv)")


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
