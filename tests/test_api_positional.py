"""Positional arguments in the guarded API, as in C: ``sspi.QueryContextAttributesW(ctx, attr)``.

They bind in the page's prototype order (sspi.h's), skipping [out] parameters; mistakes are
ContractTypeErrors naming the function, the parameter and the clause, in both contracts.
"""

from __future__ import annotations

import inspect
import json

import attrs
import pytest

from sspimodel.api import FUNCTIONS, Sspi, _entry
from sspimodel.contract import ContractError, ContractTypeError, example_value
from sspimodel.model import default_world
from sspimodel.model.constants import (
    ISC_REQ_CONFIDENTIALITY,
    SECPKG_ATTR_SIZES,
    SECPKG_CRED_OUTBOUND,
)
from sspimodel.model.drive import handshake
from sspimodel.model.world import CallerMode
from sspimodel.paths import REPO_ROOT

CONTRACTS = ("documented", "observed")

# The call classes whose fields are not in the page's order: codegen puts the required
# parameters first. Positional binding follows the page's (= the prototype's) order, not them.
FIELDS_REQUIRED_FIRST = {
    "AcceptSecurityContext",
    "AcquireCredentialsHandleA",
    "AcquireCredentialsHandleW",
    "DelegateSecurityContext",
    "InitializeSecurityContextA",
    "InitializeSecurityContextW",
    "SaslAcceptSecurityContext",
    "SspiAcquireCredentialsHandleAsyncA",
    "SspiAcquireCredentialsHandleAsyncW",
    "SspiPromptForCredentialsA",
    "SspiPromptForCredentialsW",
}


def established(contract: str = "documented"):
    world = default_world()
    cli, srv = Sspi(world, 100, contract=contract), Sspi(world, 200, contract=contract)
    hs = handshake(cli, srv, "NTLM", client_req=ISC_REQ_CONFIDENTIALITY)
    return world, cli, srv, hs


def header_prototypes() -> dict[str, list[list[str]]]:
    """{function: [parameter names of each of its sspi.h prototypes]} from spec/data/sspi_h.json."""
    data = json.loads((REPO_ROOT / "spec" / "data" / "sspi_h.json").read_text(encoding="utf-8"))
    found: dict[str, list[list[str]]] = {}
    for mode in data["modes"].values():
        for proto in mode["prototypes"]:
            found.setdefault(proto["name"], []).append([name for _type, name in proto["params"]])
    return found


def outcome(sspi: Sspi, name: str, *args: object, **kwargs: object) -> str:
    """What a call gave, as text: the result and the rule, or the error's type and message."""
    try:
        result = getattr(sspi, name)(*args, **kwargs)
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    return f"{result!r} by {sspi.last_rule.id if sspi.last_rule else None}"


# -- the order --------------------------------------------------------------------------------------


def test_positional_order_is_the_prototype_order_without_out_parameters_for_every_function() -> None:
    protos = header_prototypes()
    checked = 0
    for name in FUNCTIONS:
        entry = _entry(name)
        contract = entry.contract
        outs = {p.name for p in contract.params if p.direction == "out"}
        assert entry.positional == tuple(p.name for p in contract.params if p.name not in outs), name
        # Every field of the call class is reachable positionally, exactly once.
        assert sorted(entry.positional) == sorted(a.name for a in attrs.fields(contract.call_class)), name
        if name in protos:  # three CredUI functions are not in mingw-w64's sspi.h
            assert [n for n in [p.name for p in contract.params] if n not in outs] in [
                [n for n in proto if n not in outs] for proto in protos[name]
            ], name
            checked += 1
    assert checked == len(FUNCTIONS) - 3


def test_call_class_fields_follow_the_positional_order_except_the_required_first_classes() -> None:
    differ = {
        name
        for name in FUNCTIONS
        if _entry(name).positional != tuple(a.name for a in attrs.fields(_entry(name).contract.call_class))
    }
    assert differ == FIELDS_REQUIRED_FIRST


@pytest.mark.parametrize("contract", CONTRACTS)
def test_every_function_binds_positional_arguments_as_the_same_keywords(contract: str) -> None:
    # Each argument is a value the page allows, or a placeholder carrying its parameter's name, so
    # a wrong binding shows in the outcome. Each side runs in a fresh world.
    for name in FUNCTIONS:
        c = _entry(name).contract
        values = {p.name: example_value(p) for p in c.in_params()}
        sides = []
        for positional in (True, False):
            world = default_world()
            world.caller_mode = CallerMode.KERNEL if c.kernel_mode_only else world.caller_mode
            sspi = Sspi(world, contract=contract)
            if positional:
                sides.append(outcome(sspi, name, *values.values()))
            else:
                sides.append(outcome(sspi, name, **values))
        assert sides[0] == sides[1], name
        assert "positional argument" not in sides[0], name


# -- C-style calls that work ------------------------------------------------------------------------


@pytest.mark.parametrize("contract", CONTRACTS)
def test_query_context_attributes_called_as_in_c(contract: str) -> None:
    _world, cli, _srv, hs = established(contract)
    by_position = cli.QueryContextAttributesW(hs.client_ctx, SECPKG_ATTR_SIZES)
    by_keyword = cli.QueryContextAttributesW(phContext=hs.client_ctx, ulAttribute=SECPKG_ATTR_SIZES)
    assert by_position.status.name == "SEC_E_OK"
    assert repr(by_position) == repr(by_keyword)


@pytest.mark.parametrize("contract", CONTRACTS)
def test_an_out_parameter_in_the_middle_of_the_prototype_is_skipped(contract: str) -> None:
    # QueryContextAttributesExW(phContext, ulAttribute, pBuffer [out], cbBuffer): cbBuffer is third.
    _world, cli, _srv, hs = established(contract)
    r = cli.QueryContextAttributesExW(hs.client_ctx, SECPKG_ATTR_SIZES, 4096)
    assert repr(r) == repr(cli.QueryContextAttributesExW(phContext=hs.client_ctx, ulAttribute=SECPKG_ATTR_SIZES, cbBuffer=4096))
    assert r.status.name == "SEC_E_OK"


@pytest.mark.parametrize("contract", CONTRACTS)
def test_positional_and_keyword_arguments_mix(contract: str) -> None:
    sspi = Sspi(default_world(), contract=contract)
    r = sspi.AcquireCredentialsHandleW(None, "NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND)
    assert r.status.name == "SEC_E_OK"
    assert sspi.FreeCredentialsHandle(r.phCredential).status.name == "SEC_E_OK"


def test_the_observed_contract_lets_a_positional_null_through_with_its_finding() -> None:
    sspi = Sspi(default_world(), contract="observed")
    r = sspi.AcquireCredentialsHandleA(None, None, SECPKG_CRED_OUTBOUND)
    assert [f.parameter for f in r.findings] == ["pszPackage"]
    with pytest.raises(ContractError, match="pszPackage"):
        Sspi(default_world()).AcquireCredentialsHandleA(None, None, SECPKG_CRED_OUTBOUND)


# -- mistakes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("contract", CONTRACTS)
def test_too_many_positional_arguments_names_what_the_function_takes(contract: str) -> None:
    world = default_world()
    sspi = Sspi(world, contract=contract)
    with pytest.raises(ContractTypeError) as caught:
        sspi.FreeCredentialsHandle(None, 7)
    e = caught.value
    assert (e.function, e.parameter, e.clause, e.given) == (
        "FreeCredentialsHandle", "(arguments)", "spec/pages/FreeCredentialsHandle.txt", "(None, 7)"
    )
    assert str(e) == (
        "FreeCredentialsHandle: parameter (arguments): too many positional arguments: FreeCredentialsHandle "
        "takes 1 positional argument (phCredential), 2 given [spec/pages/FreeCredentialsHandle.txt]"
    )
    assert world.calls == 0 and sspi.last_rule is None


def test_more_arguments_than_the_whole_prototype_lists_the_out_parameters() -> None:
    with pytest.raises(ContractTypeError) as caught:
        Sspi(default_world()).AcquireCredentialsHandleW(*[None] * 10)
    assert caught.value.parameter == "(arguments)"
    assert caught.value.problem == (
        "too many positional arguments: AcquireCredentialsHandleW takes 7 positional arguments "
        "(pPrincipal, pPackage, fCredentialUse, pvLogonId, pAuthData, pGetKeyFn, pvGetKeyArgument), 10 given; "
        "[out] parameters (phCredential, ptsExpiry) are not passed: read them from the result"
    )


@pytest.mark.parametrize("contract", CONTRACTS)
@pytest.mark.parametrize(
    ("function", "args", "parameter", "position"),
    [
        ("QueryContextAttributesW", (None, SECPKG_ATTR_SIZES, "buffer"), "pBuffer", 3),
        ("QueryContextAttributesExW", (None, SECPKG_ATTR_SIZES, "buffer", 16), "pBuffer", 3),
        ("AcquireCredentialsHandleW", (None, "NTLM", 2, None, None, None, None, "buffer"), "phCredential", 8),
    ],
)
def test_an_out_parameter_given_in_its_c_position_is_named(
    contract: str, function: str, args: tuple[object, ...], parameter: str, position: int
) -> None:
    world = default_world()
    sspi = Sspi(world, contract=contract)
    c = _entry(function).contract
    with pytest.raises(ContractTypeError) as caught:
        getattr(sspi, function)(*args)
    e = caught.value
    assert (e.function, e.parameter, e.clause, e.given) == (function, parameter, c.param(parameter).clause, "'buffer'")
    assert e.problem.startswith(
        f"an [out] parameter given positionally (argument {position} in the page's prototype): "
        "the function fills it; read it from the result. Positional arguments skip [out] parameters: "
        f"{function} takes {len(args) - 1} positional arguments ("
    )
    assert world.calls == 0


@pytest.mark.parametrize("contract", CONTRACTS)
def test_a_parameter_given_positionally_and_by_keyword_is_refused(contract: str) -> None:
    world = default_world()
    sspi = Sspi(world, contract=contract)
    with pytest.raises(ContractTypeError) as caught:
        sspi.AcquireCredentialsHandleW(None, "NTLM", pPackage="Kerberos", fCredentialUse=2)
    e = caught.value
    assert (e.function, e.parameter, e.clause) == (
        "AcquireCredentialsHandleW", "pPackage", _entry("AcquireCredentialsHandleW").contract.param("pPackage").clause
    )
    assert e.problem == "given both positionally (argument 2) and by keyword"
    assert e.given == "'NTLM' and pPackage='Kerberos'"
    assert world.calls == 0


def test_an_out_parameter_by_keyword_beside_positional_arguments_is_refused_as_before() -> None:
    with pytest.raises(ContractTypeError, match="pBuffer is an \\[out\\] parameter"):
        Sspi(default_world()).QueryContextAttributesW(None, SECPKG_ATTR_SIZES, pBuffer=None)


def test_kernel_only_functions_refuse_user_mode_before_binding() -> None:
    from sspimodel.api import CallerModeError

    with pytest.raises(CallerModeError):
        Sspi(default_world()).SspiCreateAsyncContext(1, 2, 3)


def test_every_method_signature_takes_positional_arguments() -> None:
    for name in FUNCTIONS:
        params = list(inspect.signature(getattr(Sspi, name)).parameters.values())
        assert params[1].kind is inspect.Parameter.VAR_POSITIONAL, name
