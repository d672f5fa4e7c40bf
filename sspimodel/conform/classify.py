"""Classify what each call returned against the page, the errata and the reference.

For each call the *subject* backend (the one given with ``--backend``) is judged:

- **agree**: it returned the reference status: the model's, when the subject is native (the model
  always runs too, as the reference), else the step's ``expect``; with neither, any status the
  page allows agrees;
- **disagree**: it returned another status that the page allows (documented, mentioned in the
  page's text, or listed for the function in spec/data/errata.yaml);
- **undocumented**: the status is outside the page's documented and mentioned codes and the errata;
- **not-available**: the backend does not have the function (the kernel-mode async family in a
  user-mode library);
- **crash** / **timeout**: the backend's process died or hung during this call;
- **skipped**: the call was not made on the subject (a value it needed was not produced, its
  ``when`` did not hold while the reference did make it, or the adapter cannot express it);
- for the few functions that return no SECURITY_STATUS (SspiCreateAsyncContext's pointer, ...), the
  value returned stands for the status (the model's adapter checks it against the value table);
- **error**: the call raised instead of returning a status (e.g. the model's ContractError): a
  defect of the scenario or of the adapter, never of the library.

Statuses are compared by value, so an alias (SEC_E_NOT_SUPPORTED is SEC_E_UNSUPPORTED_FUNCTION)
is the same status; reports show the canonical name of the catalog.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from attrs import frozen

from ..paths import data_file
from .runner import CallRecord, Outcome, ScenarioRun
from .scenario import WAIT, Scenario, Step, Var

__all__ = [
    "VERDICTS",
    "ErrataEntry",
    "Judge",
    "Row",
    "Side",
    "async_reference",
    "compare",
    "load_errata",
    "status_name",
    "status_value",
]

VERDICTS = ("agree", "disagree", "undocumented", "not-available", "crash", "timeout", "skipped", "error")


@cache
def _catalog() -> Any:
    from ..status import load_catalog

    return load_catalog()


@cache
def _canonical() -> dict[int, str]:
    """value -> the canonical name (the first catalog entry that is not an alias)."""
    out: dict[int, str] = {}
    for e in _catalog().entries:
        if e.alias_of is None:
            out.setdefault(e.value, e.name)
    for e in _catalog().entries:
        out.setdefault(e.value, e.name)
    return out


def status_value(name: str) -> int | None:
    info = _catalog().get(name)
    return info.value if info is not None else None


def status_name(value: int | None) -> str:
    """The catalog name of a status value, or its hex when the catalog does not know it."""
    if value is None:
        return "-"
    return _canonical().get(value & 0xFFFFFFFF, f"0x{value & 0xFFFFFFFF:08X}")


# -- errata -----------------------------------------------------------------------------------


@frozen
class ErrataEntry:
    id: str
    functions: tuple[str, ...]
    code: str
    line: int


def load_errata(path: Path | None = None) -> tuple[ErrataEntry, ...]:
    """spec/data/errata.yaml: a list of entries (or ``errata:`` holding one), each naming its
    function(s) (``function`` or ``functions``) and its status (``code`` or ``status``; ``codes``
    for several). A missing file is no errata. A malformed entry raises ValueError naming its line."""
    path = path if path is not None else data_file("errata.yaml")
    if not path.is_file():
        return ()
    root = yaml.compose(path.read_text(encoding="utf-8"))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    nodes: list[Any] = []
    if isinstance(data, Mapping) and "errata" in data:
        data = data["errata"]
        if root is not None:
            root = next((v for k, v in root.value if k.value == "errata"), None)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of errata entries (or `errata:` holding one)")
    if isinstance(root, yaml.SequenceNode):
        nodes = list(root.value)
    out = []
    for i, entry in enumerate(data):
        line = nodes[i].start_mark.line + 1 if i < len(nodes) else 1
        if not isinstance(entry, Mapping):
            raise ValueError(f"{path}:{line}: an errata entry is a mapping")
        functions = entry.get("functions", entry.get("function"))
        if isinstance(functions, str):
            functions = [functions]
        codes = entry.get("codes", entry.get("code", entry.get("status")))
        if isinstance(codes, str):
            codes = [codes]
        if not functions or not codes or not all(isinstance(x, str) for x in [*functions, *codes]):
            raise ValueError(f"{path}:{line}: an errata entry names function(s) and status code(s)")
        for code in codes:
            out.append(ErrataEntry(str(entry.get("id", f"entry {i + 1}")), tuple(functions), code, line))
    return tuple(out)


# -- judging ----------------------------------------------------------------------------------


class Judge:
    """Knows each function's documented, mentioned and errata statuses (by value)."""

    def __init__(self, errata: Iterable[ErrataEntry] = ()) -> None:
        from .._generated import CONTRACTS

        self.contracts = CONTRACTS
        self.errata: dict[str, set[str]] = {}
        for e in errata:
            for f in e.functions:
                self.errata.setdefault(f, set()).add(e.code)

    @staticmethod
    def _values(names: Iterable[str]) -> set[int]:
        return {v for v in (status_value(n) for n in names) if v is not None}

    def sets(self, function: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """(documented, mentioned, errata) names, each sorted."""
        c = self.contracts.get(function)
        documented = sorted(c.returns.documented()) if c is not None else []
        mentioned = sorted(c.returns.mentioned - c.returns.documented()) if c is not None else []
        # Errata already documented or mentioned by the page add nothing for this function.
        errata = sorted(self.errata.get(function, set()) - set(documented) - set(mentioned))
        return tuple(documented), tuple(mentioned), tuple(errata)

    def display_name(self, function: str, value: int) -> str:
        """The status's name as the function's page (or errata) writes it when the page uses an
        alias (ExportSecurityContext documents SEC_E_NOT_SUPPORTED, the alias of
        SEC_E_UNSUPPORTED_FUNCTION); else the catalog's canonical name."""
        for names in self.sets(function):
            for n in names:
                if status_value(n) == value & 0xFFFFFFFF:
                    return n
        return status_name(value)

    def classify(self, function: str, value: int, via: tuple[str, ...] = ()) -> str:
        """documented | mentioned | erratum | undocumented.

        ``via``: for SspiGetAsyncCallStatus, the queuing function whose work it reports and that
        function's synchronous counterpart (see :func:`async_reference`): the queuing page's codes
        count as documented, the counterpart's as mentioned (named through a reference)."""
        documented, mentioned, errata = self.sets(function)
        if via:
            documented = documented + self.sets(via[0])[0]
            mentioned = mentioned + tuple(n for f in via[1:] for n in self.sets(f)[0])
        if value in self._values(documented):
            return "documented"
        if value in self._values(mentioned):
            return "mentioned"
        if value in self._values(errata):
            return "erratum"
        return "undocumented"


def _is_queuing(function: str) -> bool:
    """The Sspi*Async functions that queue work on an async context (not its bookkeeping calls)."""
    return function.startswith("Sspi") and function.removesuffix("A").removesuffix("W").endswith("Async")


def async_reference(scenario: Scenario, step: Step) -> tuple[str, ...]:
    """For an SspiGetAsyncCallStatus step: the queuing function last called on the same async
    context before it, and that function's synchronous counterpart; else ().

    SspiGetAsyncCallStatus's page: "Once the work is done, the function returns its final status:
    SEC_E_OK when the operation succeeded; otherwise one of the status codes documented on the
    page of the asynchronous function that queued it". The counterpart is the function the
    queuing page names ("It is the asynchronous counterpart of FreeCredentialsHandle"); in sspi.h
    its name is the queuing function's without ``Sspi`` and ``Async``.
    """
    from ..model.sasl import WRAPPED

    if step.call in WRAPPED:  # the SASL layer passes on the statuses of the function it wraps
        return (step.call, WRAPPED[step.call])
    if step.call != "SspiGetAsyncCallStatus":
        return ()
    handle = dict(step.args).get("Handle")
    if not isinstance(handle, Var):
        return ()
    queued = None
    for earlier in scenario.steps:
        if earlier.index >= step.index:
            break
        if _is_queuing(earlier.call) and dict(earlier.args).get("AsyncContext") == handle:
            queued = earlier.call
    if queued is None:
        return ()
    counterpart = queued.removeprefix("Sspi").replace("Async", "")
    from .._generated import CONTRACTS

    return (queued, counterpart) if counterpart in CONTRACTS else (queued,)


@frozen
class Side:
    """One backend's outcome of one call, classified."""

    kind: str  # an OUTCOME_KINDS value
    status: str | None = None  # canonical name; for a "value" outcome, the name of the value returned
    value: int | None = None
    page_class: str | None = None  # documented | mentioned | erratum | undocumented; "value" for values
    detail: str = ""

    def show(self) -> str:
        if self.kind in ("status", "value"):
            return self.status or "-"
        return self.kind


@frozen
class Row:
    scenario: str
    step: int
    step_id: str
    function: str
    args: str
    expect: str | None
    model: Side | None  # None when the model did not run (it always runs when the subject is native)
    subject: Side
    subject_backend: str
    reference: str | None  # the status the subject is compared with
    reference_from: str | None  # "model" | "expect" | None
    verdict: str
    departure: str  # empty when the verdict is agree


def _side(judge: Judge, function: str, outcome: Outcome, via: tuple[str, ...] = ()) -> Side:
    if outcome.kind == "status" and outcome.status is not None:
        page_class = judge.classify(function, outcome.status, via)
        name = judge.display_name(function, outcome.status)
        return Side("status", name, outcome.status, page_class, outcome.detail)
    if outcome.kind == "value":
        # No SECURITY_STATUS: the C return value, named as the page names it (the adapter checked it).
        return Side("value", outcome.detail, None, "value", "")
    return Side(outcome.kind, None, None, None, outcome.detail)


def _by_step(run: ScenarioRun | None) -> dict[int, CallRecord]:
    return {r.step: r for r in run.records} if run is not None else {}


def compare(
    judge: Judge,
    scenario: Scenario,
    subject: ScenarioRun,
    model: ScenarioRun | None = None,
) -> list[Row]:
    """One row per step that some backend called (or tried to call), with its verdict.

    ``subject`` is the run being judged; ``model`` is the model's run of the same scenario when the
    subject is another backend (the reference). Steps after a crash or timeout have no record on
    the subject: they are ``skipped`` with the reason.
    """
    subject_records, model_records = _by_step(subject), _by_step(model)
    rows = []
    stopped = subject.end in ("crashed", "timed-out", "failed")
    for step in scenario.steps:
        if step.call == WAIT:
            continue  # not a call
        rec = subject_records.get(step.index)
        via = async_reference(scenario, step)
        if rec is None:
            why = f"not reached: the {subject.backend} run {subject.end} earlier ({subject.detail})" if stopped else "no record"
            subj = Side("skipped", detail=why)
        else:
            subj = _side(judge, step.call, rec.outcome, via)
        mrec = model_records.get(step.index)
        mside = _side(judge, step.call, mrec.outcome, via) if mrec is not None else None
        if subj.kind == "not-called" and (mside is None or mside.kind == "not-called"):
            continue  # nobody made this call
        if subj.kind == "not-called":
            subj = Side("skipped", detail=f"not called on {subject.backend}: {subj.detail} did not hold")
        reference, source = None, None
        if mside is not None and mside.kind in ("status", "value"):
            reference, source = mside.status, "model"
        elif step.expect is not None:
            value = status_value(step.expect)
            reference, source = (judge.display_name(step.call, value) if value is not None else step.expect), "expect"
        verdict, departure = _verdict(judge, step.call, subj, subject.backend, reference, source, via)
        rows.append(
            Row(
                scenario.name,
                step.index,
                step.id,
                step.call,
                step.describe_args(),
                step.expect,
                mside,
                subj,
                subject.backend,
                reference,
                source,
                verdict,
                departure,
            )
        )
    return rows


def _verdict(
    judge: Judge,
    function: str,
    subj: Side,
    backend: str,
    reference: str | None,
    source: str | None,
    via: tuple[str, ...] = (),
) -> tuple[str, str]:
    if subj.kind == "crash":
        return "crash", f"{backend} crashed in {function}: {subj.detail}"
    if subj.kind == "timeout":
        return "timeout", f"{backend} hung in {function}: {subj.detail}"
    if subj.kind == "not-available":
        return "not-available", f"{function}: {subj.detail}"
    if subj.kind == "skipped":
        return "skipped", f"{function} not called: {subj.detail}"
    if subj.kind == "error":
        return "error", f"{function} raised on {backend}: {subj.detail}"
    assert subj.kind in ("status", "value")
    ref = f" (the {source} says {reference})" if reference is not None else ""
    if subj.page_class == "undocumented":
        pages = "its page" + (f" and the pages of {' and '.join(via)}" if via else "")
        return "undocumented", f"{function} returned {subj.status}, which {pages} and the errata do not list{ref}"
    if reference is None or subj.status == reference:
        return "agree", ""
    return "disagree", f"{function} returned {subj.status} ({subj.page_class}) where the {source} says {reference}"
