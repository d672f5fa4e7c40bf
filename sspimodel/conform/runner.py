"""Run a scenario on a backend and record, for every step, what the backend returned.

In process (the model) :func:`run_scenario` walks the steps: it resolves each argument (variables,
constants, transforms), asks the adapter to make the call, records an :class:`Outcome`, and binds
the ``keep`` variables (only when the status is a success: a failed call defines no outputs). A step whose ``when`` does not hold is recorded as ``not-called``; a step
that needs a variable an earlier step did not produce (because that call failed) is ``skipped``.

Native backends run each scenario in a child process (:func:`run_in_child`): a library that
crashes (a forged handle dereferenced) or hangs takes down only that child. The child
(:mod:`sspimodel.conform._child`) prints one line per event on stdout — ``CALL n`` before step n, ``RECORD {json}`` after it, ``END {json}`` at
the end — so the parent knows which step was running when the child died or ran out of time,
and keeps every record made before that.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any

from attrs import asdict, frozen

from ..paths import REPO_ROOT
from .backends import Adapter, BackendSpec, Buffer, NotAvailable, NotRepresentable
from .scenario import (
    WAIT,
    BufferSpec,
    Cell,
    Const,
    CredUiInfoSpec,
    ForgedHandle,
    Hex,
    Identity,
    Keep,
    Routine,
    Scenario,
    Step,
    Tamper,
    Truncate,
    Value,
    Var,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "OUTCOME_KINDS",
    "CallRecord",
    "Outcome",
    "ScenarioRun",
    "record_json",
    "run_in_child",
    "run_scenario",
]

DEFAULT_TIMEOUT = 60.0  # seconds per scenario in a child process

# status: the call returned a status. value: the function returns no SECURITY_STATUS and returned
# the value named in the detail (SspiCreateAsyncContext's pointer, ...). not-available: the backend lacks the function.
# not-called: the step's `when` did not hold. skipped: the call could not be made (a needed value
# is missing, or the adapter cannot express an argument). error: the call raised (the model's
# ContractError, an adapter's marshalling error) or a value did not resolve. crash / timeout: the
# child process died or ran out of time during this step.
OUTCOME_KINDS = ("status", "value", "not-available", "not-called", "skipped", "error", "crash", "timeout")


@frozen
class Outcome:
    kind: str
    status: int | None = None
    detail: str = ""


@frozen
class CallRecord:
    step: int
    step_id: str
    function: str
    outcome: Outcome


@frozen
class ScenarioRun:
    """The records of one scenario on one backend. ``end``: completed | crashed | timed-out | failed."""

    scenario: str
    backend: str
    records: tuple[CallRecord, ...]
    end: str = "completed"
    detail: str = ""


class _Missing(Exception):
    """A variable the step needs was not produced by an earlier step."""


class _BadValue(Exception):
    """A value does not have the type its use needs (e.g. a handle used as bytes)."""


# -- values -----------------------------------------------------------------------------------


def _bytes_of(value: object, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise _BadValue(f"{what} must be bytes or text, got {type(value).__name__}")


def _apply(value: object, buffer: tuple[str, int] | None, what: str, op: Callable[[bytes], bytes]) -> object:
    """``op`` on bytes, or on the contents of the first buffer of the given type in a buffer list."""
    if buffer is None and isinstance(value, Buffer):  # a lone SecBuffer (a packed context)
        data = op(value.data or b"")
        return Buffer(value.type, data, len(data))
    if buffer is None:
        return op(_bytes_of(value, what))
    if not (isinstance(value, tuple) and all(isinstance(b, Buffer) for b in value)):
        raise _BadValue(f"{what}: buffer {buffer[0]} given, but the value is not a buffer list")
    out = list(value)
    for i, b in enumerate(out):
        if b.base_type == buffer[1]:
            data = op(b.data or b"")
            out[i] = Buffer(b.type, data, len(data))
            return tuple(out)
    raise _BadValue(f"{what}: the buffer list has no {buffer[0]} buffer")


def _tamper(t: Tamper) -> Callable[[bytes], bytes]:
    def op(data: bytes) -> bytes:
        if not -len(data) <= t.offset < len(data):
            raise _BadValue(f"tamper offset {t.offset} is outside the {len(data)} bytes")
        i = t.offset % len(data)
        return data[:i] + bytes([data[i] ^ t.xor]) + data[i + 1 :]

    return op


def resolve(value: Value, env: dict[str, object], *, as_bytes: bool = False) -> object:
    """The runtime value of a scenario value (``as_bytes``: text becomes its UTF-8 bytes)."""
    if isinstance(value, Var):
        if value.name not in env:
            raise _Missing(value.name)
        got = env[value.name]
        return _bytes_of(got, str(value)) if as_bytes and isinstance(got, str) else got
    if isinstance(value, Const):
        return value.value
    if isinstance(value, Hex):
        return value.data
    if isinstance(value, str):
        return value.encode("utf-8") if as_bytes else value
    if isinstance(value, Tamper):
        source = resolve(value.source, env, as_bytes=True)
        return _apply(source, value.buffer, str(value), _tamper(value))
    if isinstance(value, Truncate):
        source = resolve(value.source, env, as_bytes=True)
        n = value.length
        return _apply(source, value.buffer, str(value), lambda d: d[:n])
    if isinstance(value, tuple):
        out = []
        for spec in value:
            assert isinstance(spec, BufferSpec)
            if spec.data is not None:
                data = _bytes_of(resolve(spec.data, env, as_bytes=True), f"buffer {spec.type_name}")
                out.append(Buffer(spec.type, data, len(data)))
            else:
                size = resolve(spec.size, env) if isinstance(spec.size, Var) else spec.size
                if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
                    raise _BadValue(f"buffer {spec.type_name} size {spec.size} is {size!r}, not a byte count")
                out.append(Buffer(spec.type, None, size or 0))
        return tuple(out)
    if isinstance(value, Identity | ForgedHandle | Cell | Routine | CredUiInfoSpec) or value is None or isinstance(value, bool | int):
        return value
    raise _BadValue(f"unsupported value {value!r}")


def _kept(outputs: Mapping[str, object], keep: Keep) -> tuple[bool, object]:
    value = outputs.get(keep.field)
    if value is None:
        return False, None
    if keep.member is not None:
        # The structure a pointer refers to: the model's ContextBuffer and native structures
        # both answer attribute access with the member.
        member = getattr(value, keep.member, None)
        return member is not None, member
    if keep.part is None:
        return True, value
    if isinstance(value, tuple) and all(isinstance(b, Buffer) for b in value):
        for b in value:
            if b.base_type == keep.part[1]:
                return True, b.data or b""
    return False, None


# -- running ----------------------------------------------------------------------------------


def _status_matches(status: int | None, names: tuple[str, ...]) -> bool:
    from .classify import status_value

    return status is not None and any(status_value(n) == status for n in names)


def run_scenario(
    scenario: Scenario, adapter: Adapter, *, on_event: Callable[[str, object], None] | None = None
) -> ScenarioRun:
    """Run every step on ``adapter`` (already constructed), in this process."""
    adapter.start(scenario)
    run = _Run(scenario, adapter)
    records: list[CallRecord] = []
    for step in scenario.steps:
        if step.call == WAIT:
            run.wait()
            continue
        if on_event is not None:
            on_event("CALL", step.index)
        outcome = run.step(step)
        record = CallRecord(step.index, step.id, step.call, outcome)
        records.append(record)
        if on_event is not None:
            on_event("RECORD", record)
    return ScenarioRun(scenario.name, adapter.name, tuple(records))


class _Run:
    """The state of one scenario run: variables, each step's status, calls awaiting a wait."""

    def __init__(self, scenario: Scenario, adapter: Adapter) -> None:
        self.adapter = adapter
        self.env: dict[str, object] = {name: ident for name, ident in scenario.identities}
        self.bound_by: dict[str, int] = {}  # variable -> the step that bound it
        self.statuses: dict[str, int | None] = {}
        self.since_wait: list[tuple[Step, Mapping[str, object]]] = []

    def wait(self) -> None:
        self.adapter.settle()
        # An asynchronous call's outputs are written when its work completes: bind its keeps
        # again, unless a later step has bound the variable since.
        for step, outputs in self.since_wait:
            for keep in step.keep:
                if self.bound_by.get(keep.var, step.index) == step.index:
                    self._bind(step, keep, outputs)
        self.since_wait = []

    def _bind(self, step: Step, keep: Keep, outputs: Mapping[str, object]) -> None:
        ok, value = _kept(outputs, keep)
        if ok:
            self.env[keep.var] = value
            self.bound_by[keep.var] = step.index
        else:  # a value from an earlier binding of this name must not linger
            self.env.pop(keep.var, None)
            self.bound_by.pop(keep.var, None)

    def step(self, step: Step) -> Outcome:
        adapter, env = self.adapter, self.env
        if step.when is not None:
            got = self.statuses.get(step.when.step)
            if not _status_matches(got, step.when.statuses):
                return Outcome("not-called", None, str(step.when))
        if not adapter.available(step.call):
            why = getattr(adapter, "missing", None)
            return Outcome("not-available", None, why(step.call) if why else f"{adapter.name} does not provide it")
        try:
            args = {name: resolve(value, env) for name, value in step.args}
        except _Missing as missing:
            return Outcome("skipped", None, f"needs ${missing.args[0]}, which no earlier call produced")
        except _BadValue as bad:
            return Outcome("error", None, f"argument: {bad}")
        try:
            result = adapter.call(step.call, args)
        except NotAvailable as exc:
            return Outcome("not-available", None, str(exc))
        except NotRepresentable as exc:
            return Outcome("skipped", None, f"adapter: {exc}")
        except Exception as exc:  # the backend refused the call: ContractError, marshalling errors, ...
            return Outcome("error", None, f"{type(exc).__name__}: {exc}")
        failed = result.status is not None and bool(result.status & 0x80000000)
        for keep in step.keep:
            if failed:
                # A failed call defines no outputs (the pages describe them for success only):
                # a value kept from it would be whatever the implementation left behind.
                self.env.pop(keep.var, None)
                self.bound_by.pop(keep.var, None)
            else:
                self._bind(step, keep, result.outputs)
        if step.keep and not failed:
            self.since_wait.append((step, result.outputs))
        if result.status is None:
            return Outcome("value", None, result.value or "")
        self.statuses[step.id] = result.status
        return Outcome("status", result.status, "")


# -- child processes --------------------------------------------------------------------------


def record_json(record: CallRecord) -> str:
    return json.dumps(asdict(record), sort_keys=True)


def _record_from(data: dict[str, Any]) -> CallRecord:
    o = data["outcome"]
    return CallRecord(data["step"], data["step_id"], data["function"], Outcome(o["kind"], o["status"], o["detail"]))


def _no_core_dump() -> None:  # pragma: no cover - runs in the child before exec
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def run_in_child(
    scenario: Scenario, backend: BackendSpec, *, timeout: float = DEFAULT_TIMEOUT, label: str | None = None
) -> ScenarioRun:
    """Run ``scenario`` on ``backend`` in a fresh interpreter, within ``timeout`` seconds.

    ``label`` names the backend in the records (default: the adapter's name as the child reports it).
    A child killed by a signal gives ``end="crashed"`` and a ``crash`` record for the step that
    was running; one that runs out of time is killed and gives ``timed-out`` / ``timeout``; one
    that exits with an error before finishing gives ``failed`` with its stderr's last line.
    """
    cmd = [sys.executable, "-m", "sspimodel.conform._child", "--backend", str(backend), str(scenario.path)]
    env = dict(os.environ, RUST_BACKTRACE="0", PYTHONUNBUFFERED="1")
    popen_kwargs: dict[str, Any] = {}
    if os.name == "posix":
        popen_kwargs["preexec_fn"] = _no_core_dump
    proc = subprocess.Popen(  # our own interpreter and module
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        **popen_kwargs,
    )
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        out, err = proc.communicate()
    except BaseException:
        # Ctrl-C (or any other error) in the parent: the child must not outlive it.
        proc.kill()
        proc.wait()
        raise
    records: list[CallRecord] = []
    running: int | None = None
    end: dict[str, Any] | None = None
    for line in out.splitlines():
        tag, _, payload = line.partition(" ")
        if tag == "CALL":
            running = int(payload)
        elif tag == "RECORD":
            records.append(_record_from(json.loads(payload)))
            running = None
        elif tag == "END":
            end = json.loads(payload)
    by_index = {s.index: s for s in scenario.steps}
    name = scenario.name
    label = label or (end or {}).get("backend") or backend.kind
    last_err = next((ln for ln in reversed(err.splitlines()) if ln.strip()), "")
    if timed_out:
        detail = f"no answer within {timeout:g} s; the child was killed"
        if running is not None:
            s = by_index[running]
            records.append(CallRecord(s.index, s.id, s.call, Outcome("timeout", None, detail)))
        return ScenarioRun(name, label, tuple(records), "timed-out", detail)
    if proc.returncode < 0:
        detail = f"the child process was killed by {_signal_name(proc.returncode)}"
        if last_err:
            detail += f" (stderr: {last_err.strip()[:200]})"
        if running is not None:
            s = by_index[running]
            records.append(CallRecord(s.index, s.id, s.call, Outcome("crash", None, detail)))
        return ScenarioRun(name, label, tuple(records), "crashed", detail)
    if end is None or proc.returncode != 0:
        detail = f"the child exited with code {proc.returncode} before the end"
        if last_err:
            detail += f": {last_err.strip()[:300]}"
        if running is not None:
            s = by_index[running]
            records.append(CallRecord(s.index, s.id, s.call, Outcome("crash", None, detail)))
        return ScenarioRun(name, label, tuple(records), "failed", detail)
    return ScenarioRun(name, label, tuple(records))
