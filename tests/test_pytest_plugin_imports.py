"""The pytest plugin (entry point ``sspimodel``) keeps pytest's assertion rewriter away from the
model's own modules: they hold no test asserts, and rewriting parses each into AST objects on its
first import, which CPython 3.11.7 can refuse deep in a call stack (a lazily built generated
module first reached inside a test)."""

from __future__ import annotations

import importlib
import sys

import pytest


def test_the_model_is_imported_by_python_s_loader_and_the_tests_by_pytest_s(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("assertmode") != "rewrite":
        pytest.skip("pytest runs without assertion rewriting (--assert=plain)")
    assert type(sys.modules[__name__].__loader__).__name__ == "AssertionRewritingHook"  # rewriting is on
    for name in ("sspimodel.api", "sspimodel.model.world", "sspimodel._generated.enumerate_security_packages"):
        module = importlib.import_module(name)
        assert type(module.__loader__).__name__ != "AssertionRewritingHook", name
