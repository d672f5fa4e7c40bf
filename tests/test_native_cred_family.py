"""The credential family's scenario (spec/scenarios/cred_family.yaml) against sspi-rs: what it
implements and where it departs from the pages and the model, as observed facts of sspi-rs (each
test skips when the loaded library is not sspi-rs, or when there is none)."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from sspimodel.conform import conform, exit_status
from sspimodel.conform.scenario import default_scenarios_dir

SCENARIOS = default_scenarios_dir()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from sspimodel.native import NativeLibraryNotFound, load_native

    try:
        library = load_native()
    except NativeLibraryNotFound as exc:
        pytest.skip(f"no native SSPI library: {exc}")
    if library.origin.implementation != "sspi-rs":
        pytest.skip(f"observed facts of sspi-rs; loaded {library.origin.describe()}")
    target = tmp_path_factory.mktemp("native") / "scenarios"
    target.mkdir()
    for fragment in SCENARIOS.glob("_*.yaml"):
        shutil.copy(fragment, target)
    shutil.copy(SCENARIOS / "cred_family.yaml", target)
    return conform("native", target)


def _rows(report: Any) -> dict[str, dict[str, Any]]:
    return {c["step_id"]: c for c in report.data["calls"] if c["scenario"] == "cred-family"}


def test_sspi_rs_sets_kdc_proxy_settings_on_ntlm_credentials(report: Any) -> None:
    # The page: "Kerberos is the only package that supports this attribute"; sspi-rs returns SEC_E_OK.
    row = _rows(report)["set-kdc-proxy-ntlm"]
    assert row["subject"]["status"] == "SEC_E_OK" and row["model"]["status"] == "SEC_E_UNSUPPORTED_FUNCTION"
    assert row["verdict"] == "disagree"


def test_sspi_rs_query_ex_answers_names_with_unsupported_function(report: Any) -> None:
    rows = _rows(report)
    assert rows["query-ex-names"]["subject"]["status"] == "SEC_E_UNSUPPORTED_FUNCTION"
    assert rows["query-ex-names"]["model"]["status"] == "SEC_E_OK"
    assert rows["query-ex-cert"]["verdict"] == "agree"


def test_functions_the_native_backend_does_not_call_are_reported_not_available(report: Any) -> None:
    rows = _rows(report)
    for step in ("add-bob", "add-unknown-package", "change-password", "change-password-again"):
        assert rows[step]["verdict"] == "not-available", step


def test_a_forged_handle_crashes_sspi_rs_and_the_run_reports_it(report: Any) -> None:
    # sspi-rs reads dwLower as a pointer; the step runs last so that nothing else is lost.
    assert _rows(report)["set-forged"]["verdict"] == "crash"
    end = {s["name"]: (s["end"], s["detail"]) for s in report.data["scenarios"]}["cred-family"]
    assert end[0] == "crashed" and "SIGSEGV" in end[1]
    assert exit_status(report) == 0  # the departures are findings; the model stayed within its pages
