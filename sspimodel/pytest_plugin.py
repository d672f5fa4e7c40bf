"""pytest plugin (entry point ``sspimodel``): the model as a deterministic test double for SSPI.

Fixtures:

- ``sspi_world``: a fresh :func:`~sspimodel.model.world.default_world` per test (CONTOSO with
  alice, bob, websvc..., a domain controller, a clock at 2024-01-01); change it freely.
- ``sspi``: an :class:`~sspimodel.api.Sspi` over ``sspi_world`` for its default process.
- ``sspilib_model``: for the duration of the test, ``import sspilib`` gives
  :mod:`sspimodel.sspilib` calling into ``sspi_world``; yields that module. What ``sspilib``
  was before (the real binding, or nothing) is put back afterwards, and the test fails if the
  code under test left credentials, contexts or package-allocated buffers behind.

Marker ``@pytest.mark.sspilib_model``: the same substitution for a test that does not ask for
the fixture by name.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from typing import Any

import pytest


def _import_the_model_without_assertion_rewriting() -> None:
    """Take back the mark pytest puts on the whole ``sspimodel`` package.

    pytest rewrites the asserts of every module of a distribution that declares a ``pytest11``
    entry point (this plugin), so each module of the model would be parsed into Python AST
    objects when first imported under pytest. The model holds no test asserts to rewrite, and on
    CPython 3.11.7 (and earlier) building those objects deep in a call stack (a lazily imported
    generated module first reached inside a test) raises ``SystemError: AST constructor
    recursion depth mismatch``. pytest has no public call to undo a mark; if its hook does not
    look as expected, nothing is changed."""
    for finder in sys.meta_path:
        marked = getattr(finder, "_must_rewrite", None)
        cache = getattr(finder, "_marked_for_rewrite_cache", None)
        if type(finder).__name__ != "AssertionRewritingHook" or not isinstance(marked, set):
            continue
        marked.discard(__package__ or "sspimodel")
        if isinstance(cache, dict):
            for name in [n for n in cache if n == "sspimodel" or n.startswith("sspimodel.")]:
                del cache[name]


_import_the_model_without_assertion_rewriting()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sspilib_model: run the test with `import sspilib` answered by sspimodel's simulated Windows",
    )


@pytest.fixture
def sspi_world() -> Any:
    """A fresh, deterministic simulated world (the model's default world)."""
    from sspimodel.model.world import default_world

    return default_world()


@pytest.fixture
def sspi(sspi_world: Any) -> Any:
    """The guarded SSPI functions over ``sspi_world``, as its default process."""
    from sspimodel.api import Sspi

    return Sspi(sspi_world)


@pytest.fixture
def sspilib_model(sspi_world: Any) -> Iterator[Any]:
    """``import sspilib`` gives the model's sspilib layer (over ``sspi_world``) during the test."""
    import sspimodel.sspilib as layer

    # Modules that already imported the real sspilib keep their reference; drop cached
    # submodules of it so a fresh import inside the test sees the layer.
    stale = {name: mod for name, mod in sys.modules.items() if name.startswith("sspilib.") and name != "sspilib.raw"}
    for name in stale:
        del sys.modules[name]
    with layer.use_world(sspi_world):
        layer.install()
        try:
            yield layer
        finally:
            layer.uninstall()
            sys.modules.update(stale)
            gc.collect()  # handles the test dropped release their model objects now
    leaks = sspi_world.leaks()
    if leaks:
        pytest.fail(f"the code under test left SSPI objects behind in the simulated world: {leaks}")


@pytest.fixture(autouse=True)
def _sspilib_model_marker(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("sspilib_model") is not None and "sspilib_model" not in request.fixturenames:
        request.getfixturevalue("sspilib_model")
