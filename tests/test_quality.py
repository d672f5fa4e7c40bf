"""The project's own code passes the linters it configures (pyproject.toml: ruff, mypy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sspimodel.paths import REPO_ROOT

BIN = Path(sys.executable).parent


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    tool = BIN / argv[0]
    if not tool.is_file():
        pytest.fail(f"{tool} is missing: the dev extra installs it")
    return subprocess.run([str(tool), *argv[1:]], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_passes_on_the_package_tests_tools_and_benchmarks():
    proc = _run("ruff", "check", "--no-cache", "sspimodel", "tests", "tools", "benchmarks")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_passes_on_the_package():
    proc = _run("mypy", "--no-incremental")
    assert proc.returncode == 0, proc.stdout + proc.stderr
