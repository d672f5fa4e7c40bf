"""The notebooks as documentation of the spec: every function is called in a notebook, every
documented status appears in a stored output (or is unreachable in the model, with a reason), and
stored notebooks are executed, deterministic and free of memory addresses and timings.

(pytest also runs the notebooks themselves under full nbval: see pyproject.toml.)"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest

from sspimodel.check.evidence import notebook_calls, notebook_evidence
from sspimodel.paths import REPO_ROOT
from sspimodel.read import read_spec

NOTEBOOKS = REPO_ROOT / "notebooks"
SPECSET = read_spec()
FUNCTIONS = sorted({f.name for f in SPECSET.functions})
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))


def documented_pairs() -> list[tuple[str, str]]:
    pairs = set()
    for f in SPECSET.functions:
        for r in f.returns:
            pairs.add((f.name, r.name))
    return sorted(pairs)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_is_called_in_a_notebook(function):
    calls = notebook_calls(NOTEBOOKS, FUNCTIONS)
    assert calls.get(function), f"no notebook code cell calls {function}(...): add it to its family's notebook"


def test_every_documented_status_is_shown_or_unreachable():
    from sspimodel.model.rules import rules_for

    shown = {(e.function, e.status) for e in notebook_evidence(NOTEBOOKS, FUNCTIONS)}
    missing = []
    for function, code in documented_pairs():
        if (function, code) in shown:
            continue
        rules = [r for r in rules_for(function) if r.status == code]
        if rules and all(r.unreachable for r in rules):
            continue
        missing.append(f"{function}: {code}")
    assert not missing, "documented statuses neither shown in a stored notebook output nor unreachable:\n" + "\n".join(missing)


def test_tour_exists_and_links_every_function_notebook():
    tour = NOTEBOOKS / "00-tour.ipynb"
    assert tour.is_file()
    text = tour.read_text(encoding="utf-8")
    for nb in NOTEBOOK_FILES:
        if nb.name != tour.name:
            assert nb.name in text, f"the tour does not link {nb.name}"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.name)
def test_notebook_is_executed_and_deterministic(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "a notebook without code"
    for i, cell in enumerate(code, 1):
        assert cell.get("execution_count") == i, f"cell {i} not executed in order: run python -m sspimodel.notebooks"
        assert "execution" not in cell.get("metadata", {}), f"cell {i} records timings"
        text = json.dumps(cell.get("outputs", []))
        assert not re.search(r" at 0x[0-9a-f]{6,}", text), f"cell {i} output shows a memory address"
        streams = [(o.get("output_type"), o.get("name")) for o in cell.get("outputs", [])]
        assert not any(
            a == b and a[0] == "stream" for a, b in itertools.pairwise(streams)
        ), f"cell {i} stores one stream split in two outputs (timing-dependent): run python -m sspimodel.notebooks"
    assert (nb["nbformat"], nb["nbformat_minor"]) == (4, 4), "nbformat 4.5 gives cells random ids"
    assert not any("id" in c for c in nb["cells"]), "a cell has a random id: run python -m sspimodel.notebooks"
    raising = [c for c in code if "raises-exception" in c.get("metadata", {}).get("tags", [])]
    if path.name != "00-tour.ipynb":
        assert raising, "every function notebook shows a contract violation in a cell tagged raises-exception"
        assert any(
            (o.get("output_type") == "error" and "ContractError" in o.get("ename", "") + o.get("evalue", ""))
            or o.get("ename", "").startswith("Contract")
            for c in raising for o in c.get("outputs", [])
        ), "the raises-exception cell must raise ContractError"


def test_runner_joins_a_stream_split_across_messages():
    from sspimodel.notebooks import coalesce_streams

    out = coalesce_streams([
        {"output_type": "stream", "name": "stdout", "text": ["a\n"]},
        {"output_type": "stream", "name": "stdout", "text": "b\n"},
        {"output_type": "stream", "name": "stderr", "text": "c\n"},
        {"output_type": "execute_result", "data": {}},
        {"output_type": "stream", "name": "stdout", "text": "d\n"},
    ])  # fmt: skip
    assert [(o["output_type"], o.get("name"), o.get("text")) for o in out] == [
        ("stream", "stdout", "a\nb\n"),
        ("stream", "stderr", "c\n"),
        ("execute_result", None, None),
        ("stream", "stdout", "d\n"),
    ]
