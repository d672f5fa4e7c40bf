"""Where the project's data lives."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_spec_dir() -> Path:
    """The spec/ directory: $SSPIMODEL_SPEC if set, else the one beside the package."""
    env = os.environ.get("SSPIMODEL_SPEC")
    return Path(env) if env else REPO_ROOT / "spec"


def data_file(name: str, spec_dir: Path | None = None) -> Path:
    """A data file of the spec directory (status.tsv, constants.tsv, errata.yaml)."""
    return (spec_dir or default_spec_dir()) / "data" / name


def pages_dir(spec_dir: Path | None = None) -> Path:
    """Reference pages live in spec/pages/ (or directly in a spec directory without one)."""
    base = spec_dir or default_spec_dir()
    pages = base / "pages"
    return pages if pages.is_dir() else base
