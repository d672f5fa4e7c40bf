"""Where a (function, status) pair is shown: notebook cells and tests, found by reading them.

Evidence is read from the files as they are, so removing the only cell or test that shows a code
makes that code uncovered:

- a notebook code cell shows (F, S) when its source calls ``F(`` and its stored outputs contain a
  result of F with status S (the result display prints ``F -> S``; see sspimodel.api / the generated
  result classes), or, failing a result display, when F is the only spec function the cell calls and
  S appears in its outputs;
- a test shows (F, S) when one test function's source names both F (a call ``.F(`` or the string
  ``"F"``) and S, or when a test module holds a literal table keyed by ``("F", "S")`` tuples (the
  per-code scenario tables), in which case the evidence is the test that iterates that table.
"""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from attrs import frozen

STATUS_RE = re.compile(r"\b(SEC_[EI]_[A-Z0-9_]+)\b")
# A result as displayed: "ImportSecurityContextA -> SEC_E_OK" (the HTML/text display) or the
# attrs repr "ImportSecurityContextAResult(status=<Status.SEC_E_OK: 0>, ...)".
RESULT_RE = re.compile(
    r"\b([A-Z][A-Za-z]+?)(?:Result\(status=(?:<Status\.)?|\s*(?:->|&rarr;|&#8594;|→)\s*)(SEC_[EI]_[A-Z0-9_]+)\b"
)


ASYNC_STATUS = "SspiGetAsyncCallStatus"


@frozen(order=True)
class Evidence:
    function: str
    status: str
    kind: str  # "notebook" | "test"
    where: str  # "notebooks/10-x.ipynb#cell-7" | "tests/test_x.py::test_name"


def _cell_output_text(cell: dict) -> str:
    chunks: list[str] = []
    for out in cell.get("outputs", []):
        if "text" in out:
            t = out["text"]
            chunks.append("".join(t) if isinstance(t, list) else t)
        data = out.get("data", {})
        for key in ("text/plain", "text/html", "text/markdown"):
            if key in data:
                t = data[key]
                chunks.append("".join(t) if isinstance(t, list) else t)
        if out.get("output_type") == "error":
            chunks.append(f"{out.get('ename', '')}: {out.get('evalue', '')}")
    return "\n".join(chunks)


def notebook_evidence(notebook_dir: Path, functions: Iterable[str], root: Path | None = None) -> list[Evidence]:
    names = sorted(set(functions), key=len, reverse=True)
    call_re = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\s*\(") if names else None
    found: set[Evidence] = set()
    for path in sorted(notebook_dir.glob("*.ipynb")):
        rel = path.relative_to(root).as_posix() if root else path.name
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        code_index = 0
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            code_index += 1
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            called = set(call_re.findall(src)) if call_re else set()
            if not called:
                continue
            out = _cell_output_text(cell)
            where = f"{rel}#cell-{code_index}"
            results = RESULT_RE.findall(out)
            pairs = {(f, s) for f, s in results if f in called}
            # A status an async call reports later, through SspiGetAsyncCallStatus, is evidence
            # for the async call queued in the same cell.
            if ASYNC_STATUS in called:
                later = {s for f, s in results if f == ASYNC_STATUS}
                pairs |= {(f, s) for f in called if f != ASYNC_STATUS for s in later}
            if not pairs and len(called) == 1:
                (only,) = tuple(called)
                pairs = {(only, s) for s in STATUS_RE.findall(out)}
            for f, s in pairs:
                found.add(Evidence(f, s, "notebook", where))
    return sorted(found)


def notebook_calls(notebook_dir: Path, functions: Iterable[str]) -> dict[str, list[str]]:
    """function -> notebook cells whose source calls it (for 'every function is demonstrated')."""
    names = sorted(set(functions), key=len, reverse=True)
    call_re = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\s*\(")
    calls: dict[str, list[str]] = defaultdict(list)
    for path in sorted(notebook_dir.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        code_index = 0
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            code_index += 1
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            for f in set(call_re.findall(src)):
                calls[f].append(f"{path.name}#cell-{code_index}")
    return dict(calls)


def _ident(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class _TestScanner:
    """Pairs a function with the statuses a test checks on ITS result.

    Within one test function: ``r = sspi.F(...)`` binds r to F; a comparison or a call whose
    operands include ``r`` or ``r.status`` and a status name S pairs (F, S); so does
    ``sspi.F(...).status == Status.S``. A test that calls exactly one spec function pairs it with
    every status it names.
    """

    def __init__(self, functions: set[str], statuses: set[str]) -> None:
        self.functions = functions
        self.statuses = statuses

    def _called(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Call):
            name = _ident(node.func)
            if name in self.functions:
                return name
        return None

    def _bound(self, node: ast.AST, env: dict[str, str]) -> set[str]:
        fs: set[str] = set()
        for sub in ast.walk(node):
            f = self._called(sub)
            if f:
                fs.add(f)
            elif isinstance(sub, ast.Name) and sub.id in env:
                fs.add(env[sub.id])
        return fs

    def _statuses(self, node: ast.AST) -> set[str]:
        return {i for sub in ast.walk(node) if (i := _ident(sub)) in self.statuses}

    def pairs(self, fn: ast.AST) -> set[tuple[str, str]]:
        env: dict[str, str] = {}
        out: set[tuple[str, str]] = set()
        called: set[str] = set()
        mentioned: set[str] = set()
        for node in ast.walk(fn):
            f = self._called(node)
            if f:
                called.add(f)
            i = _ident(node)
            if i in self.statuses:
                mentioned.add(i)
        # assignments in source order
        stmts = sorted(
            (n for n in ast.walk(fn) if isinstance(n, ast.Assign | ast.AnnAssign)),
            key=lambda n: (n.lineno, n.col_offset),
        )
        for st in stmts:
            value = st.value
            if value is None:
                continue
            fs = {f for sub in ast.walk(value) if (f := self._called(sub))}
            if len(fs) == 1:
                targets = st.targets if isinstance(st, ast.Assign) else [st.target]
                for t in targets:
                    for sub in ast.walk(t):
                        if isinstance(sub, ast.Name):
                            env[sub.id] = next(iter(fs))
        for node in ast.walk(fn):
            if isinstance(node, ast.Compare | ast.Call):
                ss = self._statuses(node)
                if not ss:
                    continue
                for f in self._bound(node, env):
                    out.update((f, s) for s in ss)
        if len(called) == 1:
            (only,) = tuple(called)
            out.update((only, s) for s in mentioned)
        return out

    def pair_tables(self, tree: ast.AST) -> list[tuple[str, str]]:
        pairs: list[tuple[str, str]] = []
        for sub in ast.walk(tree):
            if isinstance(sub, ast.Dict):
                keys: list[ast.expr | None] = list(sub.keys)
            elif isinstance(sub, ast.List | ast.Tuple | ast.Set):
                keys = list(sub.elts)
            else:
                continue
            for key in keys:
                if (
                    isinstance(key, ast.Tuple)
                    and len(key.elts) >= 2
                    and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in key.elts[:2])
                ):
                    f, s = key.elts[0].value, key.elts[1].value  # type: ignore[attr-defined]
                    if f in self.functions and s in self.statuses:
                        pairs.append((f, s))
        return pairs


def test_evidence(test_dir: Path, functions: Iterable[str], statuses: Iterable[str],
                  root: Path | None = None) -> list[Evidence]:
    fset, sset = set(functions), set(statuses)
    found: set[Evidence] = set()
    scanner = _TestScanner(fset, sset)
    for path in sorted(test_dir.rglob("test_*.py")):
        rel = path.relative_to(root).as_posix() if root else path.name
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (OSError, SyntaxError):
            continue
        tests = [
            n for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test")
        ]
        for node in tests:
            for f, s in scanner.pairs(node):
                found.add(Evidence(f, s, "test", f"{rel}::{node.name}"))
        table_pairs = scanner.pair_tables(tree)
        if table_pairs:
            users = [t.name for t in tests if "code" in t.name or "status" in t.name] or [t.name for t in tests[:1]]
            where = f"{rel}::{users[0]}" if users else rel
            for f, s in table_pairs:
                found.add(Evidence(f, s, "test", where))
    return sorted(found)
