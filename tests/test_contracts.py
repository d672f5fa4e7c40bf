"""The generated contracts, for every function in spec/: they say what the page says, and they
are enforced both by the attrs validators and by FunctionContract.validate (validators off)."""

from __future__ import annotations

import enum
import functools
import operator
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sspimodel._generated import CONTRACTS
from sspimodel.codegen import apply_supplements, read_supplements
from sspimodel.contract import (
    ContractError,
    ContractTypeError,
    FunctionContract,
    ParamContract,
    Placeholder,
    checker,
    example_value,
    get_ansi_codepage,
    out_of_table_value,
    set_ansi_codepage,
)
from sspimodel.read import read_spec
from sspimodel.spec import FunctionSpec, ReturnKind, Via

SPECS: dict[str, FunctionSpec] = {}
for _f in read_spec().functions:
    SPECS.setdefault(_f.name, _f)
FUNCTIONS = sorted(SPECS)
SUPPLEMENTS = read_supplements()
# Not encodable in cp1252 (the default ANSI code page).
NOT_ANSI = "\u4e2d\u6587"
_MACRO = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


@contextmanager
def validators_disabled() -> Iterator[None]:
    with attrs.validators.disabled():
        yield


def valid_value(p: ParamContract) -> object:
    """A value the page allows for p, derived from the contract alone."""
    try:
        return example_value(p)
    except ValueError as e:
        pytest.fail(str(e))


def valid_kwargs(contract: FunctionContract) -> dict[str, object]:
    return {p.name: valid_value(p) for p in contract.in_params()}


out_of_table = out_of_table_value


def contract_of(name: str) -> FunctionContract:
    assert name in CONTRACTS, f"{name} is in spec/ but not in the checked-in generated code: run sspimodel generate"
    return CONTRACTS[name]


def test_every_page_has_a_contract() -> None:
    assert FUNCTIONS, "read_spec() found no functions in spec/"
    assert sorted(CONTRACTS) == FUNCTIONS


@pytest.mark.parametrize("name", FUNCTIONS)
def test_contract_mirrors_the_page(name: str) -> None:
    # The page as generate sees it: plus the value rows of a supplement page of the same neutral
    # name (spec/supplements).
    spec, contract = apply_supplements(SPECS[name], SUPPLEMENTS), contract_of(name)
    assert contract.variant == spec.variant.value
    assert contract.kernel_mode_only == spec.kernel_mode_only
    assert contract.page.endswith("/" + spec.source.file)
    assert [p.name for p in contract.params] == [p.name for p in spec.parameters]
    for page_param in spec.parameters:
        p = contract.param(page_param.name)
        optional = page_param.optional
        assert (p.direction, p.optional) == (page_param.direction.value, optional), p.name
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


# -- the compiled checks (checker / validate) against the full check (ParamContract.check) ----------

INPUTS = [(name, p.name) for name in FUNCTIONS for p in contract_of(name).in_params()]


class _OtherFlag(enum.IntFlag):
    """An int flag class of no contract: its members are not values of any table."""

    ONE = 1
    TWO = 2


class _Text(str):
    """A str subclass: not the exact type the compiled check answers for itself."""


def _outcome(check: Callable[..., None], *args: object) -> tuple[str, ...] | None:
    """None when ``check(*args)`` accepts; else the error's type, message and fields."""
    try:
        check(*args)
    except ContractError as e:
        return (type(e).__name__, str(e), e.function, e.parameter, e.problem, e.clause, e.given)
    return None


def _values_for(p: ParamContract) -> st.SearchStrategy[object]:
    """Values around p's contract: conforming ones, near misses and wrong types."""
    numbers = [n for _, n in p.values] or [0]
    ored = st.lists(st.sampled_from(numbers), max_size=4).map(lambda ns: functools.reduce(operator.or_, ns, 0))
    ints = st.one_of(
        st.sampled_from(numbers),
        ored,
        ored.map(lambda n: n | 0x40000000),
        st.integers(min_value=-(2**33), max_value=2**33),
    )
    choices = [
        st.none(),
        ints,
        st.booleans(),
        st.floats(allow_nan=False),
        st.sampled_from(list(_OtherFlag)),
        st.text(max_size=6),
        st.sampled_from(["Negotiate", "NTLM", NOT_ANSI, "caf\u00e9", "\u20ac"]),
        st.text(max_size=4).map(_Text),
        st.binary(max_size=6),
        st.binary(max_size=6).map(bytearray),
        st.just(Placeholder(p.name)),
    ]
    if p.value_type is not None:
        vt = p.value_type
        # Members of the generated class: any OR of flags is one; an enum has only its members.
        choices.append(ored.map(vt) if issubclass(vt, enum.IntFlag) else st.sampled_from(list(vt)))
    return st.one_of(choices)


_STRATEGIES: dict[tuple[str, str], st.SearchStrategy[object]] = {}


def _strategy(name: str, p: ParamContract) -> st.SearchStrategy[object]:
    """``_values_for(p)``, built once per parameter (not on every draw: building is most of the cost)."""
    key = (name, p.name)
    if key not in _STRATEGIES:
        _STRATEGIES[key] = _values_for(p)
    return _STRATEGIES[key]


@pytest.mark.parametrize(("name", "param"), INPUTS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_check_agrees_with_the_full_check(name: str, param: str, data: st.DataObject) -> None:
    p = contract_of(name).param(param)
    fast = checker(name, p)
    values = _strategy(name, p)
    for _ in range(3):
        value = data.draw(values)
        full = _outcome(p.check, name, value)
        # Twice: the first call may fill a cache of accepted values, the second may answer from it.
        assert _outcome(fast, None, None, value) == full, (name, param, value)
        assert _outcome(fast, None, None, value) == full, (name, param, value)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_generated_validators_are_the_compiled_checks(name: str) -> None:
    contract = contract_of(name)
    for a in attrs.fields(contract.call_class):
        assert a.validator is checker(name, contract.param(a.name)), a.name


@pytest.mark.parametrize("name", [n for n in FUNCTIONS if sum(p.kind != "any" for p in contract_of(n).in_params()) >= 2])
def test_validate_raises_the_first_of_the_violations(name: str) -> None:
    contract = contract_of(name)
    kwargs = valid_kwargs(contract)
    for p in contract.in_params():
        if p.kind != "any":
            kwargs[p.name] = 1.5  # a float is no string and no table value: every such check fails
    with validators_disabled():
        call = contract.call_class(**kwargs)
    found = contract.violations(call)
    assert len(found) >= 2
    with pytest.raises(ContractError) as info:
        contract.validate(call)
    assert info.value is not found[0]  # computed afresh, and yet the same error
    assert (type(info.value), str(info.value)) == (type(found[0]), str(found[0]))


def test_compiled_ansi_check_follows_the_code_page_at_once() -> None:
    ansi = [(c, p) for c in CONTRACTS.values() for p in c.in_params() if p.kind == "ansi_string"]
    contract, param = ansi[0]
    fast = checker(contract.name, param)
    fast(None, None, "caf\u00e9")  # cp1252 has é: accepted, and remembered
    old = set_ansi_codepage("cp437")  # OEM US: has é, no €
    try:
        fast(None, None, "caf\u00e9")
        fast(None, None, "\u00c7a")
        with pytest.raises(ContractError, match="not encodable in the ANSI code page cp437"):
            fast(None, None, "\u20ac")
        set_ansi_codepage("ascii")  # what cp1252 and cp437 accepted is no longer accepted
        for text in ("caf\u00e9", "\u00c7a"):
            with pytest.raises(ContractError, match="not encodable in the ANSI code page ascii"):
                fast(None, None, text)
            kwargs = valid_kwargs(contract)
            kwargs[param.name] = text
            with validators_disabled():
                call = contract.call_class(**kwargs)
            with pytest.raises(ContractError, match="not encodable in the ANSI code page ascii"):
                contract.validate(call)
    finally:
        set_ansi_codepage(old)
    fast(None, None, "\u20ac")  # cp1252 again: the euro sign is 0x80
