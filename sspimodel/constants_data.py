"""spec/data/constants.tsv: the sspi.h macros the pages name, read strictly.

A leaf module (the paths, the strict TSV reader and the status errors only): the model reads the
constants when it loads its package facts, and must not import the generator (``sspimodel.codegen``
and the page reader behind it) to do so. ``sspimodel.codegen`` re-exports these names.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from attrs import frozen

from .paths import data_file, default_spec_dir
from .status import SpecDataError

__all__ = ["CONSTANT_COLUMNS", "Constant", "load_constants"]


@frozen
class Constant:
    name: str
    value: int
    where: str  # "spec/data/constants.tsv:LINE"


CONSTANT_COLUMNS = ("name", "value", "source", "group")
_CONSTANT_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_CONSTANT_VALUE = re.compile(r"(0[xX][0-9A-Fa-f]{1,16}|[0-9]{1,20})\Z")


def load_constants(spec_dir: Path | None = None) -> dict[str, Constant]:
    """spec/data/constants.tsv: ``name value source group``, '#' comment lines, one header row.

    Strict: a name is an upper-case C macro name, listed once; a value is a hex (``0x...``) or
    decimal number in 0..2**64-1 (sspi.h's macros are unsigned). SpecDataError names file:line.
    """
    from .datafiles import read_tsv

    path = data_file("constants.tsv", spec_dir if spec_dir is not None else default_spec_dir())
    out: dict[str, Constant] = {}
    if not path.exists():  # optional: pages may print every number themselves
        return out
    for lineno, row in read_tsv(path, CONSTANT_COLUMNS):
        name, value = row["name"], row["value"]
        if not _CONSTANT_NAME.match(name) or keyword.iskeyword(name):
            raise SpecDataError(
                f"{path}:{lineno}: name {name!r} is not a macro name (A-Z, 0-9 and _, starting with a letter)"
            )
        if not _CONSTANT_VALUE.match(value) or int(value, 0 if value[:2].lower() == "0x" else 10) >= 2**64:
            raise SpecDataError(
                f"{path}:{lineno}: value {value!r} of {name} is not an unsigned number (hex 0x... or decimal)"
            )
        if name in out:
            raise SpecDataError(f"{path}:{lineno}: {name} is listed twice (first at {out[name].where})")
        number = int(value, 16) if value[:2].lower() == "0x" else int(value, 10)
        out[name] = Constant(name, number, f"spec/data/constants.tsv:{lineno}")
    return out
