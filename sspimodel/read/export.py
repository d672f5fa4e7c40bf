"""JSON export of a SpecSet through cattrs.

Top level: ``{"functions": [...], "diagnostics": [...]}``. Each function carries at least
``name``, ``variant``, ``parameters`` (each ``name``, ``direction``, ``optional``), ``returns``
(each ``name``, ``kind``, ``via``), ``mentioned_codes`` and ``source``. Other tools read these
keys: keep them stable.
"""

from __future__ import annotations

import enum
import json
from typing import Any

import cattrs

from . import SpecSet

_converter = cattrs.Converter()
_converter.register_unstructure_hook(enum.Enum, lambda e: e.value)


def to_dict(specset: SpecSet) -> dict[str, Any]:
    return {
        "functions": [_converter.unstructure(f) for f in specset.functions],
        "diagnostics": [_converter.unstructure(d) for d in specset.diagnostics],
    }


def to_json(specset: SpecSet) -> str:
    return json.dumps(to_dict(specset), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
