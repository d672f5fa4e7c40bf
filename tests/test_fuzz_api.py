"""Hostile arguments for every function of the guarded API (hypothesis, derandomized).

For each function, calls whose arguments mix usable values (live handles, well-formed buffer
descriptors, Ref cells, async contexts) with values of the wrong type or shape (handles with
string fields, SecBuffers whose pvBuffer is a str or whose cbBuffer is a float, objects whose
``__repr__`` raises, NaN, huge ints, nested Refs). Each call must either return a status the
page allows or raise ContractError; a refused call must leave the world exactly as it was; after
running the queued async work and freeing everything through the API, the world holds nothing.

Hangs are bounded by the harness (faulthandler aborts the run), not by timing a test.
"""

from __future__ import annotations

import faulthandler
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sspimodel._generated import CONTRACTS
from sspimodel.api import FUNCTIONS, Sspi, allowed_statuses
from sspimodel.argtypes import PARAM_TYPES
from sspimodel.contract import ContractError
from sspimodel.model import (
    AllocatedBytes,
    AllocatedStr,
    AsyncContext,
    CallerMode,
    ContextBuffer,
    CredHandle,
    CtxtHandle,
    Luid,
    Ref,
    SecBuffer,
    SecBufferDesc,
    SecWinntAuthIdentity,
    default_world,
)
from sspimodel.model.async_ import COUNTERPART, VALUE_RETURNS
from sspimodel.model.constants import SECURITY_NATIVE_DREP
from sspimodel.model.drive import acquire, handshake
from sspimodel.model.identity import VALUE_RETURNS as IDENTITY_VALUE_RETURNS
from sspimodel.model.prompts import VALUE_RETURNS as PROMPT_VALUE_RETURNS

SETTINGS = settings(
    derandomize=True,
    max_examples=20,
    # No shrinking: a failure is reported as found (each example builds a world and a handshake,
    # and shrinking one can take minutes).
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(autouse=True)
def hang_guard() -> Iterator[None]:
    """The harness's time bound: a test of this module that hangs aborts the run with stacks."""
    faulthandler.dump_traceback_later(600, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


class BrokenRepr:
    """A caller's object whose repr, equality and hash all raise."""

    def __repr__(self) -> str:
        raise RuntimeError("repr")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")

    def __hash__(self) -> int:
        raise RuntimeError("hash")

    def __bool__(self) -> bool:
        raise RuntimeError("bool")


class HostileInt(int):
    def __hash__(self) -> int:
        raise RuntimeError("hash")

    def __int__(self) -> int:
        raise RuntimeError("int")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("eq")


class HostileStr(str):
    def encode(self, *a: Any, **k: Any) -> bytes:  # type: ignore[override]
        raise RuntimeError("encode")

    def __hash__(self) -> int:
        raise RuntimeError("hash")

    def lower(self) -> str:
        raise RuntimeError("lower")


class HostileBuffer(SecBuffer):
    __slots__ = ()

    def __getattribute__(self, name: str) -> Any:
        if name == "BufferType":
            raise RuntimeError("BufferType")
        return super().__getattribute__(name)


def _self_list() -> list[Any]:
    items: list[Any] = []
    items.append(items)
    return items


HOSTILE: list[Any] = [
    0, -1, 1, 2**32, 2**64, -(2**70), 1.5, math.nan, math.inf, True, "", "x", "\udcff", "\u4e2d" * 3,
    b"", b"\x00" * 3, bytearray(b"a"), [], [1, "a"], {}, (), object(), BrokenRepr(), _self_list(),
    CredHandle("a", None), CtxtHandle(1.5, "x"), CredHandle(-1, 2**70), CtxtHandle(True, False),
    CredHandle(BrokenRepr(), 1), Luid("a", None), Luid(1, 2**40), AsyncContext("x"), AsyncContext(-5),
    SecBuffer("x", "y", 1.5), SecBuffer(None, b"ab"), SecBuffer(2, "str"), SecBuffer(2, b"abc", 2.5),
    SecBuffer(2, None, -5), SecBuffer(2, b"x", 2**40), SecBuffer(2, memoryview(b"ab")),
    SecBufferDesc([1, "x"]), SecBufferDesc([SecBuffer(2, "str")]), SecBufferDesc([SecBuffer(2**33, b"a")]),
    SecBufferDesc([BrokenRepr()]), SecBufferDesc([], ulVersion="0"), SecBufferDesc([], ulVersion=-1),
    SecWinntAuthIdentity(User=1, Password=None),  # type: ignore[arg-type]
    SecWinntAuthIdentity(User="alice", Password="p", Domain=5),  # type: ignore[arg-type]
    SecWinntAuthIdentity(User="alice", Password="p", Flags="x"),  # type: ignore[arg-type]
    Ref(Ref(1)), Ref("x"), Ref(CtxtHandle("q", 1)), Ref(SecBufferDesc([None])), Ref(BrokenRepr()),
    print, lambda *a: None, 10**100, Ref(),
    AllocatedBytes(b"x", "addr"), AllocatedBytes(b"", []), AllocatedStr("s", 1.5),  # type: ignore[arg-type]
    ContextBuffer(None, BrokenRepr()),  # type: ignore[arg-type]
    HostileInt(2), HostileStr("NTLM"), CredHandle(HostileInt(1), 10), SecBufferDesc([HostileBuffer(2)]),
]


def _well_typed() -> list[Any]:
    """Values of the right C type that are hostile by size or content: names and identities too long
    for a 16-bit length, unpaired surrogates, the largest ULONGs, a thousand buffers, a cbBuffer
    larger than its pvBuffer."""
    from sspimodel.model.identity import SecWinntAuthIdentityExW
    from sspimodel.model.prompts import CredUiInfo

    return [
        "x" * 40_000, "HTTP/" + "h" * 33_000, "a\udcffb", "\U0001f600" * 3, "\x00", b"\xff\xfe", 0xFFFF_FFFF,
        0x8000_0000, 0x7FFF_FFFF, Luid(0xFFFF_FFFF, -1),
        SecWinntAuthIdentity(User="x" * 40_000, Password="p"),
        SecWinntAuthIdentity(User="alice", Password="Passw0rd!\udcff", Domain="CONTOSO"),
        SecWinntAuthIdentityExW(User="alice", Password="p" * 32_760, PackageList="y" * 40_000),
        CredUiInfo(pszCaptionText="c" * 40_000), CredUiInfo(),
        SecBufferDesc([SecBuffer(2, b"abc") for _ in range(1000)]), SecBufferDesc([SecBuffer(2, b"ab", 0xFFFF_FFFF)]),
        SecBufferDesc.token(b"\xff" * 65_536), SecBufferDesc.output(0), SecBuffer(2, b"\x00" * 64),
    ]


class Fixture:
    """A kernel-mode world with live credentials, an established NTLM context pair, an async
    context, and the values that fit each parameter."""

    def __init__(self) -> None:
        self.world = world = default_world()
        world.caller_mode = CallerMode.KERNEL
        self.sspi = sspi = Sspi(world)
        client = acquire(sspi, "NTLM", 2)
        server = acquire(sspi, "NTLM", 1)
        hs = handshake(sspi, sspi, "NTLM", client_cred=client, server_cred=server)
        assert hs.established
        self.client_ctx = hs.client_ctx
        self.server_ctx = hs.server_ctx
        self.client_cred, self.server_cred = client, server
        self.async_ctx = sspi.SspiCreateAsyncContext().value
        sspi.SspiSetAsyncNotifyCallback(Context=self.async_ctx, Callback=lambda h, d: None)

    def usable(self) -> list[Any]:
        return [
            None, Ref(), self.client_cred, self.server_cred, self.client_ctx, self.server_ctx, self.async_ctx,
            SecBufferDesc.output(4096), SecBufferDesc.message(b"hello"), SecBufferDesc.token(b"NTLMSSP\x00junk"),
            SecBuffer.token(b"\x00" * 8), Luid(0x1001), 0, 2, 0x10, SECURITY_NATIVE_DREP, "NTLM", "Negotiate",
            "HTTP/web.contoso.com", b"NTLM", SecWinntAuthIdentity(User="bob", Password="Passw0rd!bob"),
            lambda *a: None,
        ]


def snapshot(world: Any) -> tuple[Any, ...]:
    """Everything a call can change, as comparable values."""
    procs = []
    for pid, p in sorted(world.processes.items()):
        procs.append((
            pid,
            repr(sorted((k, repr(v)) for k, v in p.creds.items())),
            repr(sorted((k, repr(v)) for k, v in p.contexts.items())),
            repr(sorted(map(repr, p.deleted))),
            repr(sorted(p.allocations.items())),
            repr(sorted(p.freed)),
            repr(sorted((k, repr(v)) for k, v in p.async_contexts.items())),
            repr(sorted(p.released_async)),
        ))
    return (
        world.calls, world.next_handle, world.next_address, world.next_conversation, world.next_token_handle,
        len(world.replay_cache), len(world.pending), world.clock.now, tuple(procs),
    )


def cleanup(world: Any, sspi: Sspi) -> None:
    """Run the queued work, then free everything the world still holds, through the API."""
    world.run_pending()
    for p in list(world.processes.values()):
        for record in list(p.async_contexts.values()):
            sspi.SspiReinitAsyncContext(Handle=record.pointer)
            assert sspi.SspiFreeAsyncContext(Handle=record.pointer).value is None
    for p in list(world.processes.values()):
        for record in list(p.contexts.values()):
            sspi.DeleteSecurityContext(phContext=record.handle)
        for cred in list(p.creds.values()):
            sspi.FreeCredentialsHandle(phCredential=cred.handle)
        for address in list(p.allocations):
            sspi.FreeContextBuffer(pvContextBuffer=AllocatedBytes(b"", address))


def check_result(name: str, result: Any) -> None:
    if name in VALUE_RETURNS or name in IDENTITY_VALUE_RETURNS or name in PROMPT_VALUE_RETURNS:
        return
    status = result.status.name
    allowed = allowed_statuses(name)
    if name == "SspiGetAsyncCallStatus":
        allowed = allowed | {s for f in COUNTERPART for s in allowed_statuses(f)} | {
            s for f in COUNTERPART for s in allowed_statuses(COUNTERPART[f][0])
        }
    assert status in allowed or any(s in allowed for s in (result.status.name,)), (name, status)


def test_every_untyped_input_parameter_has_a_c_type() -> None:
    """A page that brings a parameter name the type table does not know fails here."""
    missing = sorted(
        f"{name}.{p.name}"
        for name, contract in CONTRACTS.items()
        for p in contract.in_params()
        if p.kind not in ("ansi_string", "wide_string") and p.name not in PARAM_TYPES
    )
    assert missing == []


def _call_with_drawn_arguments(fx: Fixture, name: str, values: list[Any], data: st.DataObject) -> None:
    """Call ``name`` with a drawn subset of its [in] parameters, each a drawn value: a ContractError
    (the world unchanged) or a result of the page; then free what it made."""
    contract = CONTRACTS[name]
    kwargs: dict[str, Any] = {}
    for p in contract.in_params():
        if data.draw(st.booleans(), label=f"give {p.name}"):
            kwargs[p.name] = values[data.draw(st.integers(0, len(values) - 1), label=p.name)]
    before = snapshot(fx.world)
    try:
        result = getattr(fx.sspi, name)(**kwargs)
    except ContractError as e:
        assert str(e).startswith(f"{name}: ")
        assert snapshot(fx.world) == before, "a refused call changed the world"
    else:
        check_result(name, result)
    cleanup(fx.world, fx.sspi)


@pytest.mark.parametrize("name", FUNCTIONS)
@SETTINGS
@given(data=st.data())
def test_hostile_arguments_give_contract_error_or_a_documented_status(name: str, data: st.DataObject) -> None:
    fx = Fixture()
    _call_with_drawn_arguments(fx, name, fx.usable() + HOSTILE, data)
    assert fx.world.leaks() == {}


@pytest.mark.parametrize("name", FUNCTIONS)
@settings(SETTINGS, max_examples=10)
@given(data=st.data())
def test_well_typed_hostile_arguments_give_contract_error_or_a_documented_status(name: str, data: st.DataObject) -> None:
    """As above with values every type check accepts: what is wrong is their size or content.
    Handles of another process are among them."""
    fx = Fixture()
    bob = Sspi(fx.world, 101)
    other = acquire(bob, "NTLM", 2)
    _call_with_drawn_arguments(fx, name, fx.usable() + _well_typed() + [other], data)
    bob.FreeCredentialsHandle(phCredential=other)
    assert fx.world.leaks() == {}


@pytest.mark.parametrize("name", sorted(COUNTERPART))
@SETTINGS
@given(data=st.data())
def test_queued_work_whose_arguments_change_still_completes(name: str, data: st.DataObject) -> None:
    """The caller may change a Ref or a SecBufferDesc after queuing; the work then completes
    with a documented status (never raises out of run_pending, never stays pending)."""
    fx = Fixture()
    s = fx.sspi
    fx.sspi.SspiReinitAsyncContext(Handle=fx.async_ctx)
    out = SecBufferDesc.output(4096)
    inp = SecBufferDesc.token(b"")
    new, attrs_ref, expiry, cred_cell = Ref(), Ref(), Ref(), Ref()
    identity = SecWinntAuthIdentity(User="bob", Password="Passw0rd!bob")
    acquire_args = dict(pszPrincipal="", pszPackage="NTLM", fCredentialUse=2, pAuthData=identity,
                        pGetKeyFn=lambda *a: None, pvGetKeyArgument=0, ptsExpiry=expiry)
    kwargs: dict[str, Any] = {
        "SspiAcquireCredentialsHandleAsyncA": dict(acquire_args, phCredential=cred_cell),
        "SspiAcquireCredentialsHandleAsyncW": dict(acquire_args, phCredential=cred_cell),
        "SspiFreeCredentialsHandleAsync": dict(phCredential=acquire(s, "NTLM", 2)),
        "SspiInitializeSecurityContextAsyncA": dict(
            phCredential=fx.client_cred, phContext=Ref(), pszTargetName="HTTP/web.contoso.com", fContextReq=0,
            Reserved1=0, TargetDataRep=SECURITY_NATIVE_DREP, pInput=inp, Reserved2=0, phNewContext=new,
            pOutput=out, pfContextAttr=attrs_ref, ptsExpiry=expiry,
        ),
        "SspiAcceptSecurityContextAsync": dict(
            phCredential=fx.server_cred, phContext=Ref(), pInput=inp, fContextReq=0,
            TargetDataRep=SECURITY_NATIVE_DREP, phNewContext=new, pOutput=out, pfContextAttr=attrs_ref,
            ptsExpiry=expiry,
        ),
        "SspiDeleteSecurityContextAsync": dict(phContext=fx.client_ctx),
    }.get(name) or {}
    if name == "SspiInitializeSecurityContextAsyncW":
        kwargs = {
            "phCredential": fx.client_cred, "phContext": Ref(), "pszTargetName": "HTTP/web.contoso.com",
            "fContextReq": 0, "Reserved1": 0, "TargetDataRep": SECURITY_NATIVE_DREP, "pInput": inp,
            "Reserved2": 0, "phNewContext": new, "pOutput": out, "pfContextAttr": attrs_ref, "ptsExpiry": expiry,
        }
    r = s._call(name, {"AsyncContext": fx.async_ctx, **kwargs})
    assert r.status.name == "SEC_E_OK"
    # Change what the queued work will read.
    target = data.draw(st.sampled_from(["out", "in", "new", "cred", "identity"]))
    bad = HOSTILE[data.draw(st.integers(0, len(HOSTILE) - 1))]
    if target == "out":
        out.pBuffers = [bad]
    elif target == "in":
        inp.pBuffers = [bad]
    elif target == "new":
        new.value = bad
    elif target == "cred":
        cred_cell.value = bad
    else:
        object.__setattr__(identity, "Domain", bad)  # a frozen struct changed behind the API's back
    fx.world.run_pending()
    status = s.SspiGetAsyncCallStatus(Handle=fx.async_ctx).status.name
    assert status != "SEC_I_ASYNC_CALL_PENDING"
    cleanup(fx.world, fx.sspi)
    assert fx.world.leaks() == {}


def test_bad_flags_are_refused_when_queued_not_when_run() -> None:
    fx = Fixture()
    before = snapshot(fx.world)
    s = fx.sspi
    s.SspiReinitAsyncContext(Handle=fx.async_ctx)
    before = snapshot(fx.world)
    with pytest.raises(ContractError, match=r"^SspiInitializeSecurityContextAsyncW: parameter fContextReq: .*"
                       r"InitializeSecurityContextW.*\[spec/pages/InitializeSecurityContextW\.md:\d+\]$"):
        s.SspiInitializeSecurityContextAsyncW(
            AsyncContext=fx.async_ctx, phCredential=fx.client_cred, phContext=Ref(),
            pszTargetName="HTTP/web.contoso.com", fContextReq=0x40000000, Reserved1=0,
            TargetDataRep=SECURITY_NATIVE_DREP, pInput=SecBufferDesc(), Reserved2=0, phNewContext=Ref(),
            pOutput=SecBufferDesc.output(4096), pfContextAttr=Ref(), ptsExpiry=Ref(),
        )
    assert snapshot(fx.world) == before
    assert not fx.world.pending
    cleanup(fx.world, s)
    assert fx.world.leaks() == {}


@pytest.mark.parametrize(
    ("name", "kwargs", "parameter", "words"),
    [
        ("SspiAcceptSecurityContextAsync", {"phCredential": 0}, "phCredential", "expected a CredHandle or CtxtHandle"),
        ("FreeCredentialsHandle", {"phCredential": CredHandle("a", 1)}, "phCredential", "dwLower (ULONG_PTR) must be an int"),
        ("DeleteSecurityContext", {"phContext": CtxtHandle(1, 2**64)}, "phContext", "unsigned 64-bit"),
        ("MakeSignature", {"pMessage": SecBufferDesc([SecBuffer(2, "str")])}, "pMessage", "pBuffers[0].pvBuffer"),
        ("MakeSignature", {"pMessage": SecBufferDesc([SecBuffer(None, b"a")])}, "pMessage", "BufferType"),
        ("MakeSignature", {"pMessage": SecBufferDesc([SecBuffer(2, b"a", 1.5)])}, "pMessage", "cbBuffer"),
        ("ImportSecurityContextW", {"pPackedContext": "blob"}, "pPackedContext", "expected a SecBuffer"),
        ("SspiFreeAsyncContext", {"Handle": AsyncContext("x")}, "Handle", "address must be an int"),
        ("SspiSetAsyncNotifyCallback", {"Callback": 5}, "Callback", "expected a routine"),
        ("AcquireCredentialsHandleW", {"pGetKeyFn": 5}, "pGetKeyFn", "expected a function"),
        ("AcquireCredentialsHandleW", {"pvLogonId": Luid("a")}, "pvLogonId", "LowPart"),
        ("FreeContextBuffer", {"pvContextBuffer": AllocatedBytes(b"", [])}, "pvContextBuffer", "address must be an int"),
    ],
)
def test_malformed_argument_is_named(name: str, kwargs: dict[str, Any], parameter: str, words: str) -> None:
    fx = Fixture()
    base: dict[str, Any] = {
        "SspiAcceptSecurityContextAsync": dict(AsyncContext=fx.async_ctx, phContext=Ref(), pInput=SecBufferDesc(),
                                               fContextReq=0, TargetDataRep=0x10, phNewContext=Ref(),
                                               pOutput=SecBufferDesc.output(10), pfContextAttr=Ref(), ptsExpiry=Ref()),
        "MakeSignature": dict(phContext=fx.client_ctx, fQOP=0, MessageSeqNo=0),
        "ImportSecurityContextW": dict(pszPackage="NTLM"),
        "SspiSetAsyncNotifyCallback": dict(Context=fx.async_ctx),
        "AcquireCredentialsHandleW": dict(pPackage="NTLM", fCredentialUse=2),
    }.get(name, {})
    before = snapshot(fx.world)
    with pytest.raises(ContractError) as info:
        getattr(fx.sspi, name)(**base, **kwargs)
    assert info.value.parameter == parameter and info.value.function == name
    assert words in str(info.value)
    assert str(info.value).endswith("]") and "spec/pages/" in info.value.clause
    assert snapshot(fx.world) == before


@SETTINGS
@given(data=st.data())
def test_random_call_sequences_with_hostile_arguments(data: st.DataObject) -> None:
    """Up to 12 calls on one world, any function, arguments from the usable and hostile pools
    plus the handles earlier calls returned; each call is a documented outcome or a refusal that
    changes nothing, and everything can be freed at the end."""
    fx = Fixture()
    found: list[Any] = []
    for _ in range(data.draw(st.integers(1, 12), label="calls")):
        name = data.draw(st.sampled_from(FUNCTIONS), label="function")
        values = fx.usable() + HOSTILE + found
        kwargs: dict[str, Any] = {}
        for p in CONTRACTS[name].in_params():
            if data.draw(st.booleans()):
                kwargs[p.name] = values[data.draw(st.integers(0, len(values) - 1), label=p.name)]
        before = snapshot(fx.world)
        try:
            result = getattr(fx.sspi, name)(**kwargs)
        except ContractError:
            assert snapshot(fx.world) == before, f"a refused {name} changed the world"
            continue
        check_result(name, result)
        for value in vars(result).values() if hasattr(result, "__dict__") else ():
            found.append(value)
        for a in getattr(type(result), "__attrs_attrs__", ()):
            value = getattr(result, a.name)
            if isinstance(value, CredHandle | CtxtHandle | AsyncContext):
                found.append(value)
        if data.draw(st.booleans(), label="run queued work"):
            fx.world.run_pending()
    cleanup(fx.world, fx.sspi)
    assert fx.world.leaks() == {}


@pytest.mark.parametrize(
    ("name", "param", "status"),
    [
        ("SspiDeleteSecurityContextAsync", "phContext", "SEC_E_INVALID_HANDLE"),
        ("SspiFreeCredentialsHandleAsync", "phCredential", "SEC_E_INVALID_HANDLE"),
    ],
)
def test_queued_work_refused_when_it_runs_completes_with_a_documented_status(name: str, param: str, status: str) -> None:
    fx = Fixture()
    s = fx.sspi
    s.SspiReinitAsyncContext(Handle=fx.async_ctx)
    cell = Ref(fx.client_ctx if param == "phContext" else fx.client_cred)
    assert s._call(name, {"AsyncContext": fx.async_ctx, param: cell}).status.name == "SEC_E_OK"
    cell.value = CtxtHandle("changed", None)  # type: ignore[arg-type]  # after queuing, behind the API's back
    fx.world.run_pending()
    record = fx.world.process(None).async_contexts[fx.async_ctx.address]
    assert s.SspiGetAsyncCallStatus(Handle=fx.async_ctx).status.name == status
    assert record.last_rule == "work.refused" and param in (record.failure or "")
    cleanup(fx.world, s)
    assert fx.world.leaks() == {}


def test_compiled_type_checks_agree_with_the_full_checks() -> None:
    """The fast paths of sspimodel.argtypes accept exactly what the full checks accept."""
    from sspimodel.argtypes import _Bad, _compile, _full_check

    fx = Fixture()
    values = fx.usable() + HOSTILE + [Ref(v) for v in fx.usable() + HOSTILE]
    for c_type, check in {id(v): v for v in PARAM_TYPES.values()}.values():
        fast = _compile(c_type, check)
        for value in values:
            outcomes = []
            for run in (fast, lambda v, c=c_type, k=check: _full_check(c, k, v)):
                try:
                    run(value)
                    outcomes.append("ok")
                except _Bad as e:
                    outcomes.append(str(e))
            assert outcomes[0] == outcomes[1], (c_type, outcomes)


class _BytesSubclass(bytes):
    """A bytes subclass: a subclass may override what the model reads, so the full check refuses it."""


def test_compiled_argument_checks_agree_with_the_parameter_by_parameter_check() -> None:
    """sspimodel.argtypes.compiled_check (one generated function per contract, run on every
    guarded call) accepts and refuses exactly what checking the parameters one by one does, with
    the same error, for every function, parameter and value (usable and hostile)."""
    import attrs

    from sspimodel.argtypes import _check_each, _plan, compiled_check

    fx = Fixture()
    odd = [
        SecBufferDesc([SecBuffer(2, _BytesSubclass(b"x"))]),
        SecBufferDesc([SecBuffer(1, AllocatedBytes(b"x", 0x1000))]),
        SecBufferDesc((SecBuffer(1, b"x"),)),
        CtxtHandle(2**64, 0),
        CtxtHandle(0, 2**64 - 1),
        2**32 - 1,
        # Package memory and lone buffers, which the compiled checks take from their exact types.
        AllocatedBytes(b"x", 0x1000),
        AllocatedBytes(b"x", 2**64),
        AllocatedBytes(b"x", -1),
        AllocatedStr("s", 2**64 - 1),
        ContextBuffer(None, 0x2000),
        ContextBuffer(None, True),  # type: ignore[arg-type]
        bytearray(b"packed"),
        SecBuffer(1, AllocatedBytes(b"x", 0x1000)),
        SecBuffer(1, bytearray(b"x")),
        SecBuffer(1, b"x", 2**32),
        SecBuffer(2**32, b"x"),
        SecBuffer(True, b"x"),  # type: ignore[arg-type]
        SecBuffer(1, _BytesSubclass(b"x")),
    ]
    values = fx.usable() + HOSTILE + odd + [Ref(v) for v in fx.usable() + HOSTILE + odd]
    checked = refused = 0
    for name in FUNCTIONS:
        contract = CONTRACTS[name]
        compiled = compiled_check(contract)
        for p, _c_type, _fast, _check in _plan(contract)[1]:
            for value in values:
                with attrs.validators.disabled():
                    call = contract.call_class(**{p.name: value})
                outcomes = []
                for run in (compiled, lambda c, k=contract: _check_each(k, c)):
                    try:
                        run(call)
                        outcomes.append("ok")
                    except ContractError as e:
                        outcomes.append(f"{type(e).__name__}: {e}")
                assert outcomes[0] == outcomes[1], (name, p.name, outcomes)
                checked += 1
                refused += outcomes[0] != "ok"
    assert checked > 10_000 and 0 < refused < checked, (checked, refused)
    # The per-parameter fast paths agree with the full checks on these values too.
    from sspimodel.argtypes import _Bad, _compile, _full_check

    for c_type, check in {id(v): v for v in PARAM_TYPES.values()}.values():
        for value in odd + [Ref(v) for v in odd]:
            outcomes = []
            for run in (_compile(c_type, check), lambda v, c=c_type, k=check: _full_check(c, k, v)):
                try:
                    run(value)
                    outcomes.append("ok")
                except _Bad as e:
                    outcomes.append(str(e))
            assert outcomes[0] == outcomes[1], (c_type, value, outcomes)
    # A SecBuffer whose pvBuffer is a bytes subclass is refused (the fast path once let it by).
    bad = SecBufferDesc([SecBuffer(2, _BytesSubclass(b"x"))])
    with pytest.raises(ContractError, match="pvBuffer must be bytes"):
        Sspi(fx.world).MakeSignature(phContext=fx.client_ctx, fQOP=0, pMessage=bad, MessageSeqNo=0)
