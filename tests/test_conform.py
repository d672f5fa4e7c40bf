"""`sspimodel conform`: scenario files, the runner, the classification and the report.

The scenario files of spec/scenarios run against the model with no undocumented status; against
sspi-rs (skipped when no native library is found) the NTLM handshake completes and a known
departure is recorded, not failed on. Crashing and hanging backends are fakes loaded in the
child process (``python:MODULE:FACTORY``), so those tests need no native library.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sspimodel.check.schema import SCHEMA_VERSION
from sspimodel.cli import main
from sspimodel.conform import conform, exit_status, load_scenarios, parse_backend, run_conform
from sspimodel.conform.backends import Buffer, CallResult
from sspimodel.conform.classify import Judge, compare, status_value
from sspimodel.conform.report import FORMAT, render_markdown
from sspimodel.conform.runner import resolve, run_scenario
from sspimodel.conform.scenario import (
    BufferSpec,
    Hex,
    ScenarioError,
    Tamper,
    Truncate,
    Var,
    default_scenarios_dir,
    load_scenario,
)
from sspimodel.paths import REPO_ROOT

SCENARIOS = default_scenarios_dir()


@pytest.fixture(scope="module")
def model_report() -> Any:
    return conform("model")


def scenario_dir(tmp_path: Path, *names: str) -> Path:
    """A scenario directory holding the named files of spec/scenarios and every fragment."""
    target = tmp_path / "scenarios"
    target.mkdir()
    for fragment in SCENARIOS.glob("_*.yaml"):
        shutil.copy(fragment, target)
    for name in names:
        shutil.copy(SCENARIOS / name, target)
    return target


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- the scenario files -----------------------------------------------------------------------


def test_every_scenario_file_of_spec_is_valid() -> None:
    scenarios, problems = load_scenarios()
    assert problems == []
    assert len(scenarios) >= 15
    assert len({s.name for s in scenarios}) == len(scenarios)


def test_the_scenarios_call_every_function_that_has_a_page() -> None:
    from sspimodel._generated import CONTRACTS

    scenarios, _ = load_scenarios()
    called = {f for s in scenarios for f in s.functions}
    assert called == set(CONTRACTS), sorted(set(CONTRACTS) - called)


def test_the_async_family_runs_in_kernel_mode_scenarios_only() -> None:
    from sspimodel._generated import CONTRACTS

    scenarios, _ = load_scenarios()
    for s in scenarios:
        kernel_calls = [f for f in s.functions if CONTRACTS[f].kernel_mode_only]
        assert not kernel_calls or s.mode == "kernel", (s.name, kernel_calls)


# -- the model run ----------------------------------------------------------------------------


def test_the_model_returns_no_undocumented_status_in_any_scenario(model_report: Any) -> None:
    s = model_report.summary
    assert (s["model_undocumented"], s["model_errors"], s["invalid_scenarios"]) == (0, 0, 0)
    verdicts = {c["verdict"] for c in model_report.data["calls"]}
    assert verdicts <= {"agree", "disagree"}, verdicts
    assert all(sc["end"] == "completed" for sc in model_report.data["scenarios"])
    assert exit_status(model_report) == 0


# Where the model departs from what a scenario expects, and why it is kept (each is an
# interpretation recorded in the model's rule tables). A new disagreement fails this test.
KNOWN_MODEL_DISAGREEMENTS = {
    # The model's packages frame their tokens, so a token cut short is SEC_E_INCOMPLETE_MESSAGE (the
    # ISC page says "Schannel only"; the model reads it for every package: rule isc.incomplete_message).
    ("token-truncated", "InitializeSecurityContextW", "SEC_E_INCOMPLETE_MESSAGE"),
}


def test_model_disagreements_with_the_scenarios_are_the_known_ones(model_report: Any) -> None:
    found = {
        (c["scenario"], c["function"], c["subject"]["status"])
        for c in model_report.data["calls"] if c["verdict"] == "disagree"
    }
    assert found == KNOWN_MODEL_DISAGREEMENTS


def test_every_model_disagreement_is_a_documented_status_against_an_expectation(model_report: Any) -> None:
    for c in model_report.data["calls"]:
        if c["verdict"] == "disagree":
            assert c["reference_from"] == "expect"
            assert c["subject"]["page_class"] in ("documented", "mentioned", "erratum")
            assert c["departure"].startswith(f"{c['function']} returned {c['subject']['status']}")


def test_the_report_is_the_same_on_every_run(model_report: Any) -> None:
    again = conform("model")
    assert json.dumps(again.data) == json.dumps(model_report.data)


# -- the report -------------------------------------------------------------------------------


def test_report_json_layout(model_report: Any) -> None:
    from sspimodel._generated import CONTRACTS

    d = model_report.data
    assert list(d) == ["schema", "version", "subject", "reference", "summary", "scenarios", "invalid_scenarios", "functions", "calls"]
    assert d["schema"] == FORMAT and d["version"] == SCHEMA_VERSION
    assert d["subject"]["backend"] == "model" and d["reference"] is None
    assert set(d["summary"]) == {
        "scenarios", "calls", "agree", "disagree", "undocumented", "not-available", "crash", "timeout",
        "skipped", "error", "model_undocumented", "model_errors", "invalid_scenarios",
    }  # fmt: skip
    assert d["summary"]["calls"] == len(d["calls"]) == sum(f["calls"] for f in d["functions"])
    # one row per function that has a page, sorted, with the page's sets beside what was returned
    assert [f["function"] for f in d["functions"]] == sorted(CONTRACTS)
    for f in d["functions"]:
        assert set(f) == {
            "function", "page", "kernel_mode_only", "documented", "mentioned", "errata", "calls",
            "returned", "verdicts", "departures",
        }  # fmt: skip
        assert f["page"] == CONTRACTS[f["function"]].page
        assert list(f["returned"]) == ["model"]
        assert sum(f["verdicts"].values()) == f["calls"]
    row = next(f for f in d["functions"] if f["function"] == "AcquireCredentialsHandleW")
    assert "SEC_E_SECPKG_NOT_FOUND" in row["documented"] and row["returned"]["model"]["SEC_E_OK"] >= 2
    call = d["calls"][0]
    assert set(call) == {
        "scenario", "step", "step_id", "function", "args", "expect", "model", "subject", "subject_backend",
        "reference", "reference_from", "verdict", "departure",
    }  # fmt: skip
    assert set(call["subject"]) == {"kind", "status", "value", "page_class", "detail"}


def test_markdown_has_a_row_per_function_and_names_each_departure(model_report: Any) -> None:
    text = render_markdown(model_report)
    for f in model_report.data["functions"]:
        assert re.search(rf"^\| `{f['function']}` \| ", text, re.M), f["function"]
    for c in model_report.data["calls"]:
        if c["verdict"] != "agree":
            assert c["departure"] in text and f"`{c['scenario']}#{c['step_id']}`" in text


def test_cli_conform_writes_json_and_markdown_and_fits_100_columns(tmp_path: Path, capsys: Any) -> None:
    assert main(["conform", "--report", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100
    assert re.search(r"^AcceptSecurityContext +\d+ +\d+", out, re.M)
    data = json.loads((tmp_path / "out" / "conform.json").read_text())
    assert data["schema"] == FORMAT
    assert (tmp_path / "out" / "conform.md").read_text().startswith("# SSPI conformance report")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["conform", "--backend", "bogus"], "expected model, native, native:PATH"),
        (["conform", "--backend", "native:"], "needs a path"),
        (["conform", "--scenarios", "/nonexistent/scenarios"], "not a directory"),
        (["conform", "--backend", "native:/nonexistent/libsspi.so"], "does not exist"),
    ],
)
def test_usage_errors_exit_2_with_a_message(argv: list[str], message: str, capsys: Any) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


# -- validation -------------------------------------------------------------------------------

BAD_FILES = [
    ("call: NoSuchFunction", r"bad\.yaml:4: step 1 \(s1\) NoSuchFunction: field call: NoSuchFunction has no page in spec/pages"),
    (
        "call: DeleteSecurityContext\n    args: {hContext: 1}",
        r"bad\.yaml:5: step 1 \(s1\) DeleteSecurityContext: field args\.hContext: DeleteSecurityContext's page has no parameter hContext",
    ),
    (
        "call: DeleteSecurityContext\n    args: {phContext: $nothing}",
        r"field args\.phContext: \$nothing is not defined by an identity or an earlier step's keep",
    ),
    (
        "call: AcquireCredentialsHandleW\n    args: {pPackage: NTLM, fCredentialUse: SECPKG_CRED_SIDEWAYS}",
        r"field args\.fCredentialUse: unknown constant SECPKG_CRED_SIDEWAYS",
    ),
    ("call: DeleteSecurityContext\n    expect: SEC_E_SOMETHING", r"field expect: 'SEC_E_SOMETHING' is not a status"),
    (
        "call: EncryptMessage\n    args: {pMessage: [{type: BANANA, size: 4}]}",
        r"field args\.pMessage\[0\]\.type: unknown buffer type BANANA",
    ),
    (
        "call: AcquireCredentialsHandleW\n    args: {phCredential: 1}",
        r"field args\.phCredential: phCredential is an \[out\] parameter",
    ),
    ("call: DeleteSecurityContext\n    colour: red", r"field colour: unknown key"),
    (
        "call: DeleteSecurityContext\n    when: {step: later, status: SEC_E_OK}",
        r"field when\.step: 'later' is not the id of an earlier step",
    ),
    ("include: _no_such_fragment.yaml", r"_no_such_fragment\.yaml:1: scenario: cannot read"),
    ("call: [unclosed", r"bad\.yaml:\d+: scenario: not valid YAML"),
]


@pytest.mark.parametrize(("step", "pattern"), BAD_FILES)
def test_invalid_scenarios_name_file_line_step_and_field(tmp_path: Path, step: str, pattern: str) -> None:
    path = write(tmp_path, "bad.yaml", f"name: bad\nsteps:\n  - id: s1\n    {step}\n".replace("  - id: s1\n    include", "  - include"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert re.search(pattern, str(info.value)), str(info.value)


def test_all_problems_of_a_file_are_reported_together(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        """\
        name: two-problems
        steps:
          - call: DeleteSecurityContext
            args: {phContext: $missing}
          - call: FreeCredentialsHandle
            expect: SEC_E_NOPE
        """,
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = [str(p) for p in info.value.problems]
    assert len(lines) == 2
    assert ":4: step 1 DeleteSecurityContext: field args.phContext: $missing is not defined" in lines[0]
    assert ":6: step 2 FreeCredentialsHandle: field expect" in lines[1]


def test_an_invalid_file_makes_the_run_exit_1_and_is_reported(tmp_path: Path, capsys: Any) -> None:
    directory = scenario_dir(tmp_path, "unknown_package.yaml")
    write(directory, "broken.yaml", "name: broken\nsteps:\n  - call: Nope\n")
    assert run_conform("model", directory, tmp_path / "out") == 1
    data = json.loads((tmp_path / "out" / "conform.json").read_text())
    assert data["summary"]["invalid_scenarios"] == 1
    assert any("broken.yaml:3: step 1 Nope: field call" in p for p in data["invalid_scenarios"])
    assert [s["name"] for s in data["scenarios"]] == ["unknown-package"]  # the valid file still ran
    assert "invalid scenario: " in capsys.readouterr().out


def test_a_model_status_outside_the_pages_and_errata_makes_the_run_exit_1(tmp_path: Path) -> None:
    # QuerySecurityPackageInfo's page names no failure code; SEC_E_SECPKG_NOT_FOUND for an unknown
    # package is allowed only by spec/data/errata.yaml. Without the errata, the model's status is
    # undocumented and the run fails.
    empty = write(tmp_path, "errata.yaml", "[]\n")
    report = conform("model", scenario_dir(tmp_path, "unknown_package.yaml"), errata=empty)
    undocumented = [c for c in report.data["calls"] if c["verdict"] == "undocumented"]
    assert {c["function"] for c in undocumented} == {"QuerySecurityPackageInfoA", "QuerySecurityPackageInfoW"}
    assert report.summary["model_undocumented"] == 2 and exit_status(report) == 1


# -- values and the runner --------------------------------------------------------------------


def test_transforms_flip_and_cut_bytes_and_buffers() -> None:
    env: dict[str, object] = {"tok": b"\x00\x01\x02\x03", "msg": (Buffer(2, b"\xaa\xbb", 2), Buffer(1, b"data", 4))}
    assert resolve(Tamper(Var("tok"), 0), env) == b"\xff\x01\x02\x03"
    assert resolve(Tamper(Var("tok"), -1, xor=1), env) == b"\x00\x01\x02\x02"
    assert resolve(Truncate(Var("tok"), 2), env) == b"\x00\x01"
    assert resolve(Truncate(Var("tok"), -1), env) == b"\x00\x01\x02"
    altered = resolve(Tamper(Var("msg"), 0, 1, ("DATA", 1)), env)
    assert altered == (Buffer(2, b"\xaa\xbb", 2), Buffer(1, b"eata", 4))
    buffers = resolve((BufferSpec("TOKEN", 2, size=16), BufferSpec("DATA", 1, data="hi"), BufferSpec("DATA", 1, Hex(b"\x01"))), env)
    assert buffers == (Buffer(2, None, 16), Buffer(1, b"hi", 2), Buffer(1, b"\x01", 1))


class ScriptedAdapter:
    """An in-process backend whose answers are scripted per function."""

    name = "scripted"
    description = "scripted test backend"

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, object]]] = []

    def start(self, scenario: Any) -> None:
        self.calls = []

    def available(self, function: str) -> bool:
        return function in self.answers

    def settle(self) -> None:
        pass

    def call(self, function: str, args: dict[str, object]) -> CallResult:
        self.calls.append((function, args))
        answer = self.answers[function]
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_runner_binds_keeps_on_success_only_and_skips_what_depends_on_a_failure(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """\
        name: scripted
        steps:
          - id: acquire
            call: AcquireCredentialsHandleW
            args: {pPackage: NTLM, fCredentialUse: SECPKG_CRED_OUTBOUND}
            keep: {cred: phCredential}
          - id: free
            call: FreeCredentialsHandle
            args: {phCredential: $cred}
          - id: delete
            call: DeleteSecurityContext
            when: {step: acquire, status: SEC_E_OK}
            args: {phContext: {forged_handle: [0, 0]}}
          - id: query
            call: QuerySecurityPackageInfoW
            args: {pPackageName: NTLM}
          - id: export
            call: ExportSecurityContext
            args: {phContext: {forged_handle: [1, 2]}, fFlags: 0}
        """,
    )
    scenario = load_scenario(path)
    failed = ScriptedAdapter(
        {
            "AcquireCredentialsHandleW": CallResult(status_value("SEC_E_SECPKG_NOT_FOUND"), {"phCredential": "h"}),
            "FreeCredentialsHandle": CallResult(0, {}),
            "DeleteSecurityContext": CallResult(0, {}),
            "ExportSecurityContext": ValueError("refused"),
        }
    )
    run = run_scenario(scenario, failed)
    kinds = [(r.step_id, r.outcome.kind) for r in run.records]
    assert kinds == [
        ("acquire", "status"),
        ("free", "skipped"),  # $cred was not bound: the call failed
        ("delete", "not-called"),
        ("query", "not-available"),
        ("export", "error"),
    ]
    assert run.records[1].outcome.detail == "needs $cred, which no earlier call produced"
    assert run.records[4].outcome.detail == "ValueError: refused"
    ok = ScriptedAdapter({**failed.answers, "AcquireCredentialsHandleW": CallResult(0, {"phCredential": "h"})})
    run = run_scenario(scenario, ok)
    assert [r.outcome.kind for r in run.records][:3] == ["status", "status", "status"]
    assert ok.calls[1] == ("FreeCredentialsHandle", {"phCredential": "h"})
    # against the step's expectations (none here), allowed statuses agree; the condition that did
    # not hold on the first run is a step nobody made, so it has no row
    rows = compare(Judge(), scenario, run_scenario(scenario, failed))
    assert [r.step_id for r in rows] == ["acquire", "free", "query", "export"]
    assert [r.verdict for r in rows] == ["agree", "skipped", "not-available", "error"]


# -- crashing and hanging backends in child processes -----------------------------------------

FAKE_BACKEND = '''
import os, signal, time
from sspimodel.conform.backends import CallResult


class Fake:
    name = "fake"
    description = "a fake library that misbehaves on cue"

    def __init__(self, behaviour):
        self.behaviour = behaviour

    def start(self, scenario):
        pass

    def settle(self):
        pass

    def available(self, function):
        return True

    def call(self, function, args):
        if function == "DeleteSecurityContext":
            if self.behaviour == "crash":
                os.kill(os.getpid(), signal.SIGSEGV)
            if self.behaviour == "hang":
                time.sleep(3600)
            if self.behaviour == "exit":
                os._exit(3)
        return CallResult(0x80090301, {})  # SEC_E_INVALID_HANDLE, as the pages say for a zeroed handle


def crashing():
    return Fake("crash")


def hanging():
    return Fake("hang")


def exiting():
    return Fake("exit")
'''

MISBEHAVING = """\
name: misbehaving
steps:
  - id: before
    call: FreeCredentialsHandle
    args: {phCredential: {forged_handle: [0, 0]}}
  - id: boom
    call: DeleteSecurityContext
    args: {phContext: {forged_handle: [0, 0]}}
  - id: after
    call: FreeCredentialsHandle
    args: {phCredential: {forged_handle: [0, 0]}}
"""

HARMLESS = """\
name: harmless
steps:
  - id: only
    call: FreeCredentialsHandle
    args: {phCredential: {forged_handle: [0, 0]}}
"""


@pytest.fixture
def fake_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    modules = tmp_path / "modules"
    write(modules, "fake_sspi_backend.py", FAKE_BACKEND)
    monkeypatch.syspath_prepend(str(modules))  # the parent builds the adapter to name it
    monkeypatch.setenv("PYTHONPATH", f"{modules}:{REPO_ROOT}")  # the child process imports it too
    directory = tmp_path / "scenarios"
    write(directory, "a_misbehaving.yaml", MISBEHAVING)
    write(directory, "b_harmless.yaml", HARMLESS)
    return directory


def _rows(report: Any, scenario: str) -> dict[str, dict[str, Any]]:
    return {c["step_id"]: c for c in report.data["calls"] if c["scenario"] == scenario}


def test_a_crash_in_one_scenario_is_reported_and_the_run_goes_on(fake_backend: Path) -> None:
    report = conform("python:fake_sspi_backend:crashing", fake_backend, timeout=60)
    ends = {s["name"]: (s["end"], s["detail"]) for s in report.data["scenarios"]}
    assert ends["misbehaving"][0] == "crashed" and "SIGSEGV" in ends["misbehaving"][1]
    assert ends["harmless"] == ("completed", "")
    rows = _rows(report, "misbehaving")
    assert rows["before"]["verdict"] == "agree"  # recorded before the crash
    assert rows["boom"]["verdict"] == "crash" and "SIGSEGV" in rows["boom"]["departure"]
    assert rows["after"]["verdict"] == "skipped" and "not reached" in rows["after"]["departure"]
    assert _rows(report, "harmless")["only"]["verdict"] == "agree"
    assert report.summary["crash"] == 1 and exit_status(report) == 0  # a finding, not a failure


def test_a_hang_is_cut_by_the_time_limit_and_reported(fake_backend: Path) -> None:
    report = conform("python:fake_sspi_backend:hanging", fake_backend, timeout=3)
    misbehaving = next(s for s in report.data["scenarios"] if s["name"] == "misbehaving")
    assert misbehaving["end"] == "timed-out" and "no answer within 3 s" in misbehaving["detail"]
    rows = _rows(report, "misbehaving")
    assert rows["boom"]["verdict"] == "timeout"
    assert rows["after"]["verdict"] == "skipped"
    assert _rows(report, "harmless")["only"]["verdict"] == "agree"


def test_a_child_that_exits_early_is_reported_as_failed(fake_backend: Path) -> None:
    report = conform("python:fake_sspi_backend:exiting", fake_backend, timeout=60)
    misbehaving = next(s for s in report.data["scenarios"] if s["name"] == "misbehaving")
    assert misbehaving["end"] == "failed" and "exited with code 3" in misbehaving["detail"]


# -- sspi-rs ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def native_library() -> Any:
    from sspimodel.native import NativeLibraryNotFound, load_native

    try:
        return load_native()
    except NativeLibraryNotFound as exc:
        pytest.skip(f"no native SSPI library: {exc}")


@pytest.fixture(scope="module")
def native_report(native_library: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    directory = scenario_dir(tmp_path_factory.mktemp("native"), "ntlm_handshake.yaml", "unknown_package.yaml")
    return conform("native", directory)


def test_native_ntlm_handshake_ends_with_sec_e_ok_on_both_sides(native_report: Any) -> None:
    rows = _rows(native_report, "ntlm-handshake")
    assert native_report.data["subject"]["backend"] == "native"
    assert native_report.data["reference"]["backend"] == "model"
    for side in ("subject", "model"):
        assert rows["isc2"][side]["status"] == "SEC_E_OK", side  # the client is done
        # the server is done: its last leg says SEC_E_OK, or asks for CompleteAuthToken, which does
        server = rows["asc2"][side]["status"]
        if server == "SEC_I_COMPLETE_NEEDED":
            server = rows["complete"][side]["status"]
        assert server == "SEC_E_OK", side
    for step in ("delete-client", "delete-server", "free-client-cred", "free-server-cred"):
        assert rows[step]["verdict"] == "agree"


def test_native_departure_unknown_package_is_recorded_not_failed(native_report: Any, native_library: Any) -> None:
    if native_library.origin.implementation != "sspi-rs":
        pytest.skip(f"an observed fact of sspi-rs; loaded {native_library.origin.describe()}")
    row = _rows(native_report, "unknown-package")["acquire-w-no-identity"]
    # The page: "SEC_E_SECPKG_NOT_FOUND - The requested security package does not exist."
    assert row["model"]["status"] == "SEC_E_SECPKG_NOT_FOUND"
    assert row["subject"]["status"] == "SEC_E_INVALID_PARAMETER" and row["subject"]["page_class"] == "undocumented"
    assert row["verdict"] == "undocumented"
    assert "SEC_E_INVALID_PARAMETER" in row["departure"] and "SEC_E_SECPKG_NOT_FOUND" in row["departure"]
    function = next(f for f in native_report.data["functions"] if f["function"] == "AcquireCredentialsHandleW")
    assert "SEC_E_SECPKG_NOT_FOUND" in function["documented"]
    assert function["returned"]["native"]["SEC_E_INVALID_PARAMETER"] == 1
    assert any(d["step_id"] == "acquire-w-no-identity" for d in function["departures"])
    assert exit_status(native_report) == 0


def test_the_backend_string_is_parsed_as_the_cli_documents() -> None:
    assert str(parse_backend("model")) == "model"
    assert parse_backend("native").path is None and parse_backend("native").in_child
    assert parse_backend("native:/x/libsspi.so").path == "/x/libsspi.so"
    assert parse_backend("python:pkg.mod:factory").path == "pkg.mod:factory"
    with pytest.raises(ValueError, match="python:MODULE:FACTORY"):
        parse_backend("python:nofactory")
