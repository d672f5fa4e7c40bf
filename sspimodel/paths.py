"""Where the project's data lives.

The embedded spec (reference pages, data files, scenarios) is the repository's top-level
``spec/`` folder, and it is package data: setup.py maps the package ``sspimodel._spec`` to that
folder, so a built wheel holds it as ``sspimodel/_spec/`` and an editable install resolves it to
the working tree (a page edit shows at once). It is found here and nowhere else: the folder of
the imported package, as :mod:`importlib.resources` answers for a package on disk (which is asked
only for anything else, a zip archive or a namespace package). ``$SSPIMODEL_SPEC`` (and each command's ``--spec DIR``) replace it; a spec
folder without ``data/`` uses the packaged data. Both name a folder the same way, through
:func:`reference_folder`: a checkout of the reference's repository stands for its sspi.h pages.
"""

from __future__ import annotations

import os
from importlib import import_module
from pathlib import Path

__all__ = [
    "REPO_ROOT",
    "SPEC_PACKAGE",
    "data_dir",
    "data_file",
    "default_spec_dir",
    "given_spec_dir",
    "packaged_data_dir",
    "packaged_spec_dir",
    "pages_dir",
    "reference_folder",
    "uses_packaged_data",
]

SPEC_PACKAGE = "sspimodel._spec"

# The checkout's top level (notebooks/, tests/) when running from one; in an installed wheel this
# is site-packages, which has neither (check then says it cannot look for evidence).
REPO_ROOT = Path(__file__).resolve().parent.parent


def packaged_spec_dir() -> Path:
    """The spec shipped with the package (importlib.resources), as a folder on disk."""
    try:
        package = import_module(SPEC_PACKAGE)
    except ModuleNotFoundError:
        # The source tree imported without being installed (PYTHONPATH=checkout): spec/ beside it.
        return REPO_ROOT / "spec"
    # A regular package in a folder (a wheel installed unpacked, an editable install): the folder
    # of its __init__.py, which is what importlib.resources.files() answers for it. Anything else
    # (a namespace package, a zip archive) goes through importlib.resources itself, imported only
    # then: it brings tempfile, shutil and zipfile, which start-up does not otherwise need.
    origin = getattr(package, "__file__", None)
    if origin and getattr(package.__spec__, "has_location", False):
        folder = Path(origin).parent
        if folder.is_dir():
            return folder
    import importlib.resources

    root = importlib.resources.files(SPEC_PACKAGE)
    if not isinstance(root, Path):
        raise RuntimeError(
            f"sspimodel's spec ({SPEC_PACKAGE}) is not a folder on disk ({root!r}): install the package "
            "unpacked (pip install), not inside a zip archive, or set SSPIMODEL_SPEC to a spec folder"
        )
    return root


def packaged_data_dir() -> Path:
    return packaged_spec_dir() / "data"


# Where the reference's repository (MicrosoftDocs/sdk-api) keeps the pages of sspi.h, from its top
# folder, from sdk-api-src/ and from content/: a maintainer may name any of them as the spec.
_SDK_API_SSPI = {"": ("sdk-api-src", "content", "sspi"), "sdk-api-src": ("content", "sspi"), "content": ("sspi",)}


def reference_folder(spec: Path) -> Path:
    """A spec folder as named (``--spec DIR`` or ``$SSPIMODEL_SPEC``), or, when it is a checkout
    of the reference's repository (or its sdk-api-src/ or content/ folder) rather than a folder of
    pages, its folder of sspi.h pages: the checkout's other headers' pages (thousands) are not
    sspimodel's, and read as one spec they would be checked as the project's own pages."""
    if (spec / "pages").is_dir() or (spec / "data").is_dir():
        return spec
    for above, below in _SDK_API_SSPI.items():
        if above and spec.resolve().name != above:
            continue
        folder = spec.joinpath(*below)
        if folder.is_dir():
            return folder
    return spec


def given_spec_dir(option: Path | None = None) -> tuple[Path, str] | None:
    """The spec folder a command was given, as named (not yet through :func:`reference_folder`),
    and how it was given, for messages: ``--spec DIR`` when ``option`` is set, else
    ``$SSPIMODEL_SPEC`` when set; None for the packaged spec."""
    if option is not None:
        return Path(option), f"--spec {option}"
    env = os.environ.get("SSPIMODEL_SPEC")
    if env:
        return Path(env), f"SSPIMODEL_SPEC={env}"
    return None


def default_spec_dir() -> Path:
    """The spec directory: $SSPIMODEL_SPEC if set (a checkout of the reference's repository
    standing for its sspi.h pages, as ``--spec`` does), else the packaged one."""
    given = given_spec_dir()
    return reference_folder(given[0]) if given is not None else packaged_spec_dir()


def uses_packaged_data(spec_dir: Path | None = None) -> bool:
    """True when ``spec_dir`` has no data/ folder of its own (a folder of pages)."""
    return not ((spec_dir or default_spec_dir()) / "data").is_dir()


def data_dir(spec_dir: Path | None = None) -> Path:
    """The data/ folder of a spec directory, or the packaged one when it has none."""
    base = spec_dir or default_spec_dir()
    return packaged_data_dir() if uses_packaged_data(base) else base / "data"


def data_file(name: str, spec_dir: Path | None = None) -> Path:
    """A data file of the spec directory (status.tsv, constants.tsv, errata.yaml, ...)."""
    return data_dir(spec_dir) / name


def pages_dir(spec_dir: Path | None = None) -> Path:
    """Reference pages live in spec/pages/ (or directly in a spec directory without one)."""
    base = spec_dir or default_spec_dir()
    pages = base / "pages"
    return pages if pages.is_dir() else base
