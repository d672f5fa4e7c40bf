"""The call path checks the contract once per call, whether attrs validators run or not."""

from __future__ import annotations

import attrs
import pytest

from sspimodel import api
from sspimodel.api import Sspi
from sspimodel.contract import ContractError, FunctionContract
from sspimodel.model import Ref, default_world


def _counting(monkeypatch):
    calls = []
    real = FunctionContract.validate

    def validate(self, call_obj):
        calls.append(self.name)
        return real(self, call_obj)

    monkeypatch.setattr(FunctionContract, "validate", validate)
    monkeypatch.setattr(api, "_ENTRIES", {})  # entries hold the bound method: build them anew
    return calls


def test_with_validators_on_the_call_class_checks_and_validate_does_not_run_again(monkeypatch):
    calls = _counting(monkeypatch)
    sspi = Sspi(default_world())
    assert sspi.EnumerateSecurityPackagesW(pcPackages=Ref(), ppPackageInfo=Ref()).status.name == "SEC_E_OK"
    assert calls == []
    with pytest.raises(ContractError):
        sspi.DeleteSecurityContext(phContext=None)
    assert calls == []


def test_with_validators_off_validate_checks_once(monkeypatch):
    calls = _counting(monkeypatch)
    sspi = Sspi(default_world())
    with attrs.validators.disabled():
        assert sspi.EnumerateSecurityPackagesW(pcPackages=Ref(), ppPackageInfo=Ref()).status.name == "SEC_E_OK"
        with pytest.raises(ContractError):
            sspi.DeleteSecurityContext(phContext=None)
    assert calls == ["EnumerateSecurityPackagesW", "DeleteSecurityContext"]


def test_the_flag_the_call_path_reads_is_the_one_attrs_switches():
    # api._call reads attrs' own flag (what attrs' generated __init__ reads) instead of calling
    # attrs.validators.get_disabled(); both must agree whichever way validators are switched.
    assert api._attrs_config._run_validators is True
    assert attrs.validators.get_disabled() is False
    with attrs.validators.disabled():
        assert api._attrs_config._run_validators is not True
        assert attrs.validators.get_disabled() is True
    assert api._attrs_config._run_validators is True
