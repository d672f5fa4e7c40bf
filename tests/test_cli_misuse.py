"""The command line misused: every failure is one line and a documented exit status.

Exit statuses (sspimodel.cli, README "Command line"): 0 ok, 1 failed, 2 usage, 3 I/O,
130 interrupted, 141 broken pipe, 143 terminated. Subprocess runs carry a timeout (the harness's bound on a
hang); in-process runs use main() with capsys.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sspimodel.cli import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_IO, EXIT_TERMINATED, EXIT_USAGE, main
from sspimodel.paths import REPO_ROOT

DOCUMENTED = {0, 1, 2, 3, 130, 141, 143}
TIMEOUT = 120  # seconds: the harness's bound on a hung child, not a measured time


def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "sspimodel", *args],
        capture_output=True, text=True, timeout=TIMEOUT, cwd=REPO_ROOT, **kwargs,
    )


def one_line_no_traceback(err: str) -> None:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("sspimodel: ")


def test_report_that_is_a_file_is_an_io_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "afile"
    target.write_text("x")
    assert main(["check", "--report", str(target)]) == EXIT_IO
    err = capsys.readouterr().err
    one_line_no_traceback(err)
    assert f"--report {target}: not a directory" in err


def test_report_under_a_file_cannot_be_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "afile"
    target.write_text("x")
    assert main(["conform", "--report", str(target / "sub")]) == EXIT_IO
    err = capsys.readouterr().err
    one_line_no_traceback(err)
    assert "cannot create the directory" in err


def test_output_into_a_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "spec.json"
    assert main(["spec", "export", "-o", str(target)]) == EXIT_IO
    err = capsys.readouterr().err
    one_line_no_traceback(err)
    assert "does not exist" in err and not target.exists()


def test_output_to_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "export", "-o", str(tmp_path)]) == EXIT_IO
    one_line_no_traceback(capsys.readouterr().err)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_output_to_a_full_disk() -> None:
    r = run(["spec", "export", "-o", "/dev/full"])
    assert r.returncode == EXIT_IO
    one_line_no_traceback(r.stderr)
    assert "/dev/full" in r.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_stdout_on_a_full_disk() -> None:
    with open("/dev/full", "w") as full:
        r = subprocess.run([sys.executable, "-m", "sspimodel", "spec", "list"], stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=TIMEOUT, cwd=REPO_ROOT)
    assert r.returncode == EXIT_IO
    one_line_no_traceback(r.stderr)


@pytest.mark.skipif(os.name != "posix", reason="closing fd 1 is a POSIX shell idiom")
def test_stdout_closed() -> None:
    r = subprocess.run([sys.executable, "-m", "sspimodel", "spec", "list"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=TIMEOUT, cwd=REPO_ROOT,
                       preexec_fn=lambda: os.close(1))
    assert r.returncode == EXIT_IO
    one_line_no_traceback(r.stderr)
    assert "standard output is closed" in r.stderr


@pytest.mark.skipif(os.name != "posix", reason="SIGPIPE semantics")
@pytest.mark.parametrize("args", [["spec", "list"], ["spec", "export"]])
def test_reader_that_goes_away_is_a_quiet_exit(args: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte is written
    try:
        r = subprocess.run([sys.executable, "-m", "sspimodel", *args], stdout=write_end,
                           stderr=subprocess.PIPE, text=True, timeout=TIMEOUT, cwd=REPO_ROOT)
    finally:
        os.close(write_end)
    assert r.returncode == EXIT_BROKEN_PIPE
    assert r.stderr == ""


@pytest.mark.skipif(os.name != "posix", reason="SIGINT")
def test_ctrl_c_exits_130_with_one_line() -> None:
    # The check is interrupted in the middle of its work, at a fixed point: a real SIGINT the
    # process sends itself as the coverage stage begins (a signal sent after a fixed delay raced
    # the check, which can finish within a second).
    child = (
        "import os, signal, sys\n"
        "import sspimodel.check.report as report\n"
        "real = report.stage_coverage\n"
        "def interrupted(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    return real(*args, **kwargs)\n"
        "report.stage_coverage = interrupted\n"
        "from sspimodel.cli import main\n"
        "sys.exit(main(['check']))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, cwd=REPO_ROOT)
    _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == EXIT_INTERRUPTED
    one_line_no_traceback(err)
    assert "interrupted" in err


HANGING_BACKEND = """
import time
from sspimodel.conform.backends import CallResult


class Hanging:
    name = "hanging"
    description = "a library whose every call blocks"

    def start(self, scenario):
        pass

    def settle(self):
        pass

    def available(self, function):
        return True

    def call(self, function, args):
        time.sleep(3600)
        return CallResult(0, {})


def make():
    return Hanging()
"""

ONE_STEP = """\
name: one-step
steps:
  - id: only
    call: FreeCredentialsHandle
    args: {phCredential: {forged_handle: [0, 0]}}
"""


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"),
                    reason="needs Linux's /proc/<pid>/task/<pid>/children to find the conform child")
def test_sigterm_ends_conform_and_its_child(tmp_path: Path) -> None:
    """kill(1) on `sspimodel conform` ends it with 143 and one line, and its child goes too."""
    (tmp_path / "hanging_backend.py").write_text(HANGING_BACKEND)
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "one.yaml").write_text(ONE_STEP)
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{REPO_ROOT}")
    proc = subprocess.Popen([sys.executable, "-m", "sspimodel", "conform", "--backend",
                             "python:hanging_backend:make", "--scenarios", str(scenarios)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            cwd=REPO_ROOT, env=env)
    try:
        children: list[int] = []
        deadline = time.monotonic() + TIMEOUT
        while not children and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            children = _children(proc.pid)
        assert children, "conform never started its child"
        time.sleep(0.5)  # the child is now inside its hanging call (any moment would do)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == EXIT_TERMINATED
    one_line_no_traceback(err)
    assert "terminated" in err
    for child in children:
        assert not Path(f"/proc/{child}").exists() or "zombie" in Path(f"/proc/{child}/status").read_text(), \
            f"the conform child {child} outlived its terminated parent"


def test_conform_child_is_killed_when_the_parent_is_interrupted(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_in_child ends its child on any exception of the parent (Ctrl-C included)."""
    from sspimodel.conform import runner

    started: list[subprocess.Popen[str]] = []
    real_popen = subprocess.Popen

    class Recording(real_popen):  # type: ignore[misc, valid-type]
        def __init__(self, *a: object, **k: object) -> None:
            super().__init__(*a, **k)
            started.append(self)

        def communicate(self, *a: object, **k: object) -> tuple[str, str]:
            raise KeyboardInterrupt

    monkeypatch.setattr(runner.subprocess, "Popen", Recording)
    from sspimodel.conform import load_scenarios
    from sspimodel.conform.backends import parse_backend

    scenario = load_scenarios(None)[0][0]
    with pytest.raises(KeyboardInterrupt):
        runner.run_in_child(scenario, parse_backend("model"))
    assert started and started[0].poll() is not None, "the child outlived the interrupted parent"


TOKENS = ["spec", "list", "show", "export", "-o", "--spec", "--report", "--format", "json", "text", "nope",
          "/nonexistent", "/dev/null", "", "-", "--help", "InitializeSecurityContextW", "X" * 300, "\x00",
          "lint", "--fail-on", "never"]


@settings(derandomize=True, max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(argv=st.lists(st.sampled_from(TOKENS), max_size=5))
def test_random_argument_lists_end_with_a_documented_status(
    argv: list[str], capsys: pytest.CaptureFixture[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    out_dir = tmp_path_factory.mktemp("out")
    argv = [str(out_dir / "o.json") if a == "-" and i and argv[i - 1] == "-o" else a for i, a in enumerate(argv)]
    if "\x00" in "".join(argv):
        argv = [a.replace("\x00", "") for a in argv]
    code = main(argv)
    captured = capsys.readouterr()
    assert code in DOCUMENTED, (argv, code)
    assert "Traceback" not in captured.err
    if code == EXIT_USAGE:
        assert captured.err.strip(), argv


# The notebook runner (python -m sspimodel.notebooks) is a maintainer's command: misused, it
# prints usage or names the notebook and what is wrong with it, and never a traceback.


def test_notebook_runner_help_and_unknown_option(capsys: pytest.CaptureFixture[str]) -> None:
    from sspimodel import notebooks

    with pytest.raises(SystemExit) as done:
        notebooks.main(["--help"])
    assert done.value.code == 0
    assert "NOTEBOOK" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        notebooks.main(["--bogus"])
    assert done.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "unrecognized arguments: --bogus" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (None, "no such notebook"),
        ("{", "does not appear to be JSON"),
        ('{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code"}]}', "invalid"),
    ],
    ids=["missing", "not-json", "not-a-notebook"],
)
def test_notebook_runner_names_a_bad_notebook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | None, reason: str
) -> None:
    from sspimodel import notebooks

    path = tmp_path / "bad.ipynb"
    if text is not None:
        path.write_text(text)
    try:
        status = notebooks.main([str(path)])
    except SystemExit as e:  # argparse's usage error
        status = e.code
    err = capsys.readouterr().err
    assert status in (1, EXIT_USAGE)
    assert str(path) in err and reason in err and "Traceback" not in err
    assert (text is None) or path.read_text() == text  # a notebook that cannot run is left as it was
