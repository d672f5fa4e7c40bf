"""One versioned schema marker for every JSON document the project writes.

``sspimodel check --format json`` / report.json, ``sspimodel lint --format json`` and
``sspimodel conform``'s conform.json each start with the same two keys::

    {"schema": "sspimodel/check", "version": 2, ...}

``schema`` names the document (check, lint or conform) and ``version`` is the one version of all
three: a change to any of their shapes raises it for all.
"""

from __future__ import annotations

__all__ = ["SCHEMA_VERSION", "header"]

SCHEMA_VERSION = 2
DOCUMENTS = ("check", "lint", "conform")


def header(document: str) -> dict[str, object]:
    """The leading keys of a JSON document of kind ``document`` (check, lint, conform)."""
    if document not in DOCUMENTS:
        raise ValueError(f"unknown JSON document {document!r} (known: {', '.join(DOCUMENTS)})")
    return {"schema": f"sspimodel/{document}", "version": SCHEMA_VERSION}
