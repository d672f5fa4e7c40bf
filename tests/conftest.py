"""Shared fixtures. ../shared (corpus, facts) is optional: tests that need it skip cleanly."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sspimodel.paths import REPO_ROOT

SHARED = REPO_ROOT.parent / "shared"
CORPUS_DIR = SHARED / "corpus" / "sdk-api"
FACTS_FILE = SHARED / "facts" / "facts.json"
SPEC_DIR = REPO_ROOT / "spec"


class Hang(BaseException):
    """Raised by :func:`deadline`; not an Exception, so that no reader's own guard (which turns an
    exception met on a page into a diagnostic) can take it for a problem of the page."""


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (instead of hanging the run) when the block takes longer than ``seconds`` (SIGALRM):
    the harness's guard against a hang, never a timed assertion."""

    def boom(signum: int, frame: object) -> None:
        raise Hang(f"no answer within {seconds} s: the reader hangs")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
MINGW_INCLUDE = Path("/usr/share/mingw-w64/include")


def sdk_api_checkout(tmp_path: Path, pages: dict[str, str]) -> tuple[Path, Path]:
    """A checkout of the reference's repository (MicrosoftDocs/sdk-api) under ``tmp_path``: the
    given sspi.h pages (file name -> text), another header's page and the repository's README.
    Returns (the checkout's root, its folder of sspi.h pages)."""
    root = tmp_path / "sdk-api"
    sspi = root / "sdk-api-src" / "content" / "sspi"
    sspi.mkdir(parents=True)
    for name, text in pages.items():
        (sspi / name).write_text(text, encoding="utf-8")
    other = root / "sdk-api-src" / "content" / "winbase"
    other.mkdir()
    (other / "nf-winbase-somethingelse.md").write_text(
        "---\nUID: NF:winbase.SomethingElse\ntitle: SomethingElse function (winbase.h)\n---\n\n"
        "# SomethingElse function\n\n## -description\n\nNot an SSPI function.\n",
        encoding="utf-8",
    )
    (root / "README.md").write_text("# sdk-api\n", encoding="utf-8")
    return root, sspi


@pytest.fixture(scope="session")
def spec_dir() -> Path:
    return SPEC_DIR


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS_DIR.is_dir():
        pytest.skip(f"corpus folder {CORPUS_DIR} is absent")
    return CORPUS_DIR


def load_facts() -> dict[str, dict] | None:
    if not FACTS_FILE.is_file():
        return None
    return {f["name"]: f for f in json.loads(FACTS_FILE.read_text(encoding="utf-8"))}


@pytest.fixture(scope="session")
def facts() -> dict[str, dict]:
    data = load_facts()
    if data is None:
        pytest.skip(f"facts file {FACTS_FILE} is absent")
    return data


@pytest.fixture(scope="session")
def mingw_include() -> Path:
    if not (MINGW_INCLUDE / "winerror.h").is_file():
        pytest.skip("mingw-w64 headers absent (apt-get install mingw-w64-common)")
    return MINGW_INCLUDE
