"""Checks over the specification: lint (inside and across pages) and, beside it, coverage and reports.

``sspimodel.check.lint`` holds the lint rules (:data:`~sspimodel.check.lint.RULES`), the
:func:`~sspimodel.check.lint.lint` entry point and the CLI runner; ``sspimodel.check.header``
reads the prototypes of mingw-w64's sspi.h, per ISSP_MODE, for the header comparison.
"""

from __future__ import annotations

from .lint import RULES, Rule, lint, run_lint

__all__ = ["RULES", "Rule", "lint", "run_lint"]
