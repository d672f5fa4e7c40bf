"""The generated contracts, for every function in spec/: they say what the page says, and they
are enforced both by the attrs validators and by FunctionContract.validate (validators off)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import attrs
import pytest

from sspimodel._generated import CONTRACTS
from sspimodel.contract import (
    ContractError,
    ContractTypeError,
    FunctionContract,
    ParamContract,
    get_ansi_codepage,
    set_ansi_codepage,
)
from sspimodel.read import read_spec
from sspimodel.spec import FunctionSpec, ReturnKind, Via

SPECS: dict[str, FunctionSpec] = {}
for _f in read_spec().functions:
    SPECS.setdefault(_f.name, _f)
FUNCTIONS = sorted(SPECS)
# Not encodable in cp1252 (the default ANSI code page).
NOT_ANSI = "\u4e2d\u6587"
_MACRO = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


class Placeholder:
    """Stands for a pointer or handle argument whose contract is "any non-NULL value"."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Placeholder({self.name})"


@contextmanager
def validators_disabled() -> Iterator[None]:
    with attrs.validators.disabled():
        yield


def valid_value(p: ParamContract) -> object:
    """A value the page allows for p, derived from the contract alone."""
    if p.kind in ("ansi_string", "wide_string"):
        return "Negotiate"
    if p.kind == "enum":
        if not p.values:
            pytest.fail(f"{p.name}: enum parameter without any numbered value; cannot build a valid call")
        number = p.values[0][1]
        return p.value_type(number) if p.value_type is not None else number
    if p.kind == "flags":
        number = 0
        for _, n in p.values[:2]:
            number |= n
        return p.value_type(number) if p.value_type is not None else number
    return Placeholder(p.name)


def valid_kwargs(contract: FunctionContract) -> dict[str, object]:
    return {p.name: valid_value(p) for p in contract.in_params()}


def out_of_table(p: ParamContract) -> int:
    numbers = {n for _, n in p.values}
    if p.kind == "enum":
        bad = max(numbers) + 1
        while bad in numbers:
            bad += 1
        return bad
    mask = 0
    for n in numbers:
        mask |= n
    bit = 1
    while mask & bit:
        bit <<= 1
    return bit  # a flag no table value contains


def contract_of(name: str) -> FunctionContract:
    assert name in CONTRACTS, f"{name} is in spec/ but not in the checked-in generated code: run sspimodel generate"
    return CONTRACTS[name]


def test_every_page_has_a_contract() -> None:
    assert FUNCTIONS, "read_spec() found no functions in spec/"
    assert sorted(CONTRACTS) == FUNCTIONS


@pytest.mark.parametrize("name", FUNCTIONS)
def test_contract_mirrors_the_page(name: str) -> None:
    spec, contract = SPECS[name], contract_of(name)
    assert contract.variant == spec.variant.value
    assert contract.kernel_mode_only == spec.kernel_mode_only
    assert contract.page.endswith("/" + spec.source.file)
    assert [p.name for p in contract.params] == [p.name for p in spec.parameters]
    for page_param in spec.parameters:
        p = contract.param(page_param.name)
        assert (p.direction, p.optional) == (page_param.direction.value, page_param.optional), p.name
        assert p.clause == f"{contract.page}:{page_param.span.start}"
        macro_rows = list(dict.fromkeys(v.name for v in page_param.values() if _MACRO.match(v.name)))
        # Page order; values with no known number are listed apart (never given a made-up one).
        assert [n for n, _ in p.values] == [n for n in macro_rows if n not in p.unnumbered], p.name
        assert set(p.value_names()) == set(macro_rows), p.name
        if macro_rows:
            assert p.kind in ("enum", "flags")
    returns = contract.returns
    for r in spec.returns:
        bucket = {
            (Via.CALL, ReturnKind.SUCCESS): returns.call_success,
            (Via.CALL, ReturnKind.ERROR): returns.call_error,
            (Via.CALL, ReturnKind.PENDING): returns.call_pending,
            (Via.ASYNC_STATUS, ReturnKind.SUCCESS): returns.async_success,
            (Via.ASYNC_STATUS, ReturnKind.ERROR): returns.async_error,
            (Via.ASYNC_STATUS, ReturnKind.PENDING): returns.async_pending,
        }[(r.via, r.kind)]
        assert r.name in bucket, r
    assert returns.documented() == set(spec.return_names())
    assert returns.mentioned == set(spec.mentioned_names()) - set(spec.return_names())


@pytest.mark.parametrize("name", FUNCTIONS)
def test_valid_call_builds_and_validates(name: str) -> None:
    contract = contract_of(name)
    call = contract.call_class(**valid_kwargs(contract))
    contract.validate(call)
    assert contract.violations(call) == []
    assert attrs.fields(contract.result_class)[0].name == "status"
    assert {a.name for a in attrs.fields(contract.result_class)} == {"status"} | {p.name for p in contract.out_params()}
    assert {a.name for a in attrs.fields(contract.call_class)} == {p.name for p in contract.in_params()}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_missing_required_parameter_is_named(name: str) -> None:
    contract = contract_of(name)
    required = [p for p in contract.in_params() if not p.optional]
    if not required:
        # Listed as having none: the page marks every input optional (or has no input at all).
        assert all(p.optional for p in SPECS[name].parameters if p.direction.value in ("in", "inout", "unknown"))
        return
    for p in required:
        kwargs = valid_kwargs(contract)
        del kwargs[p.name]
        pattern = rf"^{name}: parameter {p.name}: required parameter missing \(.*\) \[{re.escape(p.clause)}\]$"
        with pytest.raises(ContractError, match=pattern):
            contract.call_class(**kwargs)
        kwargs[p.name] = None  # C NULL for a required input: the same breach
        with pytest.raises(ContractError, match=pattern):
            contract.call_class(**kwargs)
        with validators_disabled():
            call = contract.call_class(**kwargs)
        with pytest.raises(ContractError, match=pattern):
            contract.validate(call)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_out_of_table_value_is_named(name: str) -> None:
    contract = contract_of(name)
    tabled = [p for p in contract.in_params() if p.values]
    if not tabled:
        # Listed as having none: no input parameter of the page has a table of macro values.
        for page_param in SPECS[name].parameters:
            if page_param.direction.value in ("in", "inout", "unknown"):
                assert not any(_MACRO.match(v.name) for v in page_param.values()), page_param.name
        return
    for p in tabled:
        bad = out_of_table(p)
        kwargs = valid_kwargs(contract)
        kwargs[p.name] = bad
        what = "is not in the documented value table" if p.kind == "enum" else "is not an OR of the documented flags"
        pattern = rf"^{name}: parameter {p.name}: .* {what} \(.*\) \[{re.escape(p.clause)}\]$"
        with pytest.raises(ContractError, match=pattern) as info:
            contract.call_class(**kwargs)
        assert info.value.parameter == p.name and info.value.function == name
        with validators_disabled():
            call = contract.call_class(**kwargs)
        with pytest.raises(ContractError, match=pattern):
            contract.validate(call)
        kwargs[p.name] = "1"  # a string is not a value of the table
        with pytest.raises(ContractTypeError, match=rf"parameter {p.name}: expected "):
            contract.call_class(**kwargs)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_string_parameters_follow_the_variant(name: str) -> None:
    contract = contract_of(name)
    kinds = {p.kind for p in contract.params}
    if contract.variant == "A":
        assert "wide_string" not in kinds
    if contract.variant == "W":
        assert "ansi_string" not in kinds
    for p in contract.in_params():
        kwargs = valid_kwargs(contract)
        if p.kind == "ansi_string":
            kwargs[p.name] = NOT_ANSI
            pattern = rf"^{name}: parameter {p.name}: '{NOT_ANSI}' is not encodable in the ANSI code page cp1252"
            with pytest.raises(ContractError, match=pattern):
                contract.call_class(**kwargs)
            with validators_disabled():
                call = contract.call_class(**kwargs)
            with pytest.raises(ContractError, match=pattern):
                contract.validate(call)
            kwargs[p.name] = NOT_ANSI.encode("utf-8")  # bytes are passed through as they are
            contract.validate(contract.call_class(**kwargs))
        elif p.kind == "wide_string":
            kwargs[p.name] = NOT_ANSI
            contract.validate(contract.call_class(**kwargs))
            kwargs[p.name] = b"Negotiate"
            with pytest.raises(ContractTypeError, match=rf"^{name}: parameter {p.name}: expected str"):
                contract.call_class(**kwargs)
            with validators_disabled():
                call = contract.call_class(**kwargs)
            with pytest.raises(ContractTypeError):
                contract.validate(call)


def test_ansi_code_page_is_settable() -> None:
    ansi = [(c, p) for c in CONTRACTS.values() for p in c.in_params() if p.kind == "ansi_string"]
    assert ansi, "no A function with a string parameter in spec/"
    contract, param = ansi[0]
    kwargs = valid_kwargs(contract)
    kwargs[param.name] = NOT_ANSI
    with pytest.raises(ContractError):
        contract.call_class(**kwargs)
    old = set_ansi_codepage("cp936")  # Simplified Chinese ANSI code page
    try:
        assert get_ansi_codepage() == "gbk"
        contract.validate(contract.call_class(**kwargs))
    finally:
        set_ansi_codepage(old)
    assert get_ansi_codepage() == "cp1252"


def test_validate_rejects_another_functions_call_object() -> None:
    first, second = (CONTRACTS[n] for n in FUNCTIONS[:2])
    call = first.call_class(**valid_kwargs(first))
    with pytest.raises(TypeError, match=f"{second.name}: expected a {second.call_class.__name__}"):
        second.validate(call)
