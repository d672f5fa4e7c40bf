"""The package layout; the rest of the metadata is in pyproject.toml.

The embedded spec stays at the repository's top level (spec/: pages, supplements, data, scenarios), and ships
as the package ``sspimodel._spec``: a built wheel holds it as sspimodel/_spec/, and an editable
install maps that package to the working tree's spec/ (edits show at once). pyproject.toml cannot
say "every sspimodel.* package found on disk, plus one mapped from another folder" (its
``packages`` is either a find or a list), hence this file. sspimodel/paths.py finds the spec with
importlib.resources.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["sspimodel", "sspimodel.*"]), "sspimodel._spec"],
    package_dir={"sspimodel._spec": "spec"},
    package_data={
        "sspimodel.check": ["report.schema.json"],
        "sspimodel._spec": ["pages/**/*", "supplements/**/*", "data/**/*", "scenarios/**/*"],
    },
)
