"""Where a (function, status) pair is shown: notebook cells and tests, found by reading them.

Evidence is read from the files as they are, so removing the only cell or test that shows a code
makes that code uncovered:

- a notebook code cell shows (F, S) when its source calls ``F(`` and its stored outputs contain a
  result of F with status S (the result display prints ``F -> S``; see sspimodel.display and the
  generated result classes); a status SspiGetAsyncCallStatus reports in a cell that queued an async
  call counts for that call; a status shown for one of an A/W pair counts for its twin when the
  same notebook calls the twin (labelled so); a status counts for every name of its value
  (SEC_E_NOT_SUPPORTED is SEC_E_UNSUPPORTED_FUNCTION's value);
- a test shows (F, S) when one test function's source names both F (a call ``.F(`` or the string
  ``"F"``) and S, or when a test module holds a literal table keyed by ``("F", "S")`` tuples (the
  per-code scenario tables), in which case the evidence is the test that iterates that table.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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


def evidence_key(e: Evidence) -> tuple[str, str, str, str]:
    """The order of :class:`Evidence` (its fields in order, as ``order=True`` compares them), as a
    key: ``sorted(..., key=evidence_key)`` compares tuples in C instead of calling attrs' ``__lt__``
    for every comparison (a check sorts about 40,000 times)."""
    return (e.function, e.status, e.kind, e.where)


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
    catalog: Any = None  # the status catalog, loaded when the first status is shown
    name_set = set(functions)
    names = sorted(name_set, key=len, reverse=True)
    call_re = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\s*\(") if names else None
    found: set[Evidence] = set()
    for path in sorted(notebook_dir.glob("*.ipynb")):
        rel = path.relative_to(root).as_posix() if root else path.name
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        code_index = 0
        called_in_notebook: set[str] = set()
        shown_here: list[tuple[str, str, str]] = []
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            code_index += 1
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            called = set(call_re.findall(src)) if call_re else set()
            called_in_notebook |= called
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
            for f, s in pairs:
                if catalog is None:
                    from ..status import load_catalog

                    catalog = load_catalog()
                for name in _same_value(s, catalog):
                    found.add(Evidence(f, name, "notebook", where))
                    shown_here.append((f, name, where))
        # A and W variants share one notebook: a status shown for one variant is evidence for
        # its twin too when the notebook also calls the twin (same rules, same notebook). The
        # evidence says so, so a report shows which variant was actually called.
        for f, s, where in shown_here:
            twin = _twin(f)
            if twin and twin in called_in_notebook and twin in name_set:
                found.add(Evidence(twin, s, "notebook", f"{where} (shown with {f})"))
    return sorted(found, key=evidence_key)


def _same_value(status: str, catalog: Any = None) -> tuple[str, ...]:
    """A status and its aliases: names the catalog gives the same value (SEC_E_NOT_SUPPORTED is
    SEC_E_UNSUPPORTED_FUNCTION's value, so a result cannot tell them apart). ``catalog``: the
    status catalog, when the caller has it (finding it stats the spec folder each time)."""
    if catalog is None:
        from ..status import load_catalog

        catalog = load_catalog()
    info = catalog.get(status)
    if info is None:
        return (status,)
    return catalog.names_for_value(info.value)


def _twin(name: str) -> str | None:
    if name.endswith("A"):
        return name[:-1] + "W"
    if name.endswith("W"):
        return name[:-1] + "A"
    return None


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


_Subtree = tuple[frozenset[str], frozenset[str], frozenset[str]]
_Index = tuple[list[ast.AST], dict[int, list[ast.AST]], dict[int, _Subtree]]


# Nodes that never hold a name, a call or a status: the shared singletons of expression contexts
# and operators (``Load()``, ``Add()``, ``Eq()``, ...). ``ast.walk`` visits them under every
# name and operation (a third of a test module's nodes); every scan below ignores them, so the
# walk leaves them out.
_LEAF_KINDS = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
# Fields that hold a str, an int or a constant, never a node (by the grammar of ast).
_SCALAR_FIELDS = frozenset(
    {"id", "attr", "name", "arg", "module", "level", "type_comment", "kind", "conversion", "is_async",
     "simple", "tag", "n", "s"}
)


@functools.cache
def _child_fields(node_class: Any) -> tuple[tuple[str, ...], bool]:
    """The fields of an AST node class that may hold child nodes, and whether the class is one
    of the singletons above (no children, left out of the walk)."""
    if issubclass(node_class, _LEAF_KINDS):
        return (), True
    fields = tuple(
        name for name in node_class._fields
        if name != "ctx" and name not in _SCALAR_FIELDS and not (node_class is ast.Constant and name == "value")
    )
    return fields, False


def _walk(tree: ast.AST) -> tuple[list[ast.AST], dict[int, list[ast.AST]]]:
    """The nodes of ``tree`` in ``ast.walk``'s order (breadth-first), and each node's children,
    without the context and operator singletons (:data:`_LEAF_KINDS`)."""
    order = [tree]
    kids: dict[int, list[ast.AST]] = {}
    node_type = ast.AST
    fields_of: Any = _child_fields  # (functools.cache: classes are hashable; typeshed disagrees)
    for node in order:  # the list grows while it is read: a breadth-first walk
        # ast.iter_child_nodes, without its generators, over the fields that can hold nodes
        children = []
        for name in fields_of(node.__class__)[0]:
            value = getattr(node, name, None)
            if value is None:
                continue
            if value.__class__ is list:
                for v in value:
                    if isinstance(v, node_type) and not fields_of(v.__class__)[1]:
                        children.append(v)
            elif isinstance(value, node_type) and not fields_of(value.__class__)[1]:
                children.append(value)
        kids[id(node)] = children
        order.extend(children)
    return order, kids


def _subtree_nodes(root: ast.AST, kids: dict[int, list[ast.AST]]) -> list[ast.AST]:
    """The nodes under ``root`` (itself included) in ``ast.walk``'s order, from the children table."""
    order = [root]
    for node in order:
        order.extend(kids[id(node)])
    return order


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

    def index(self, tree: ast.AST) -> _Index:
        """The nodes of ``tree`` (breadth-first, as ``ast.walk``), each node's children, and
        :meth:`subtrees`: built once per tree, shared by every scan of it."""
        order, kids = _walk(tree)
        return order, kids, self.subtrees(order, kids)

    def _called(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Call):
            name = _ident(node.func)
            if name in self.functions:
                return name
        return None

    def subtrees(self, order: list[ast.AST], kids: dict[int, list[ast.AST]]) -> dict[int, _Subtree]:
        """For each node of ``order`` (a breadth-first walk, children in ``kids``): the statuses
        named, the functions called and the variable names read in its subtree.

        One pass from the leaves up (the reverse of a breadth-first order puts children before
        their parents), instead of a new walk of each subtree for each node that asks: walking
        nested calls again and again was quadratic in their depth."""
        empty: frozenset[str] = frozenset()
        nothing: _Subtree = (empty, empty, empty)
        out: dict[int, _Subtree] = {}
        statuses_known, functions = self.statuses, self.functions
        # Classes compared by identity: ast.parse builds these classes, never subclasses of them.
        name_node, attribute_node, constant_node, call_node = ast.Name, ast.Attribute, ast.Constant, ast.Call
        # A name read (a leaf: the walk leaves its context out) has the same sets wherever it is.
        name_leaves: dict[str, _Subtree] = {}
        node: Any  # narrowed by class identity below, which mypy does not follow
        for node in reversed(order):
            own_status = own_call = own_name = None
            node_class = node.__class__
            if node_class is name_node:
                own_name = node.id
                if not kids[id(node)]:
                    leaf = name_leaves.get(own_name)
                    if leaf is None:
                        named = frozenset((own_name,))
                        leaf = name_leaves[own_name] = (named if own_name in statuses_known else empty, empty, named)
                    out[id(node)] = leaf
                    continue
                if own_name in statuses_known:
                    own_status = own_name
            elif node_class is attribute_node:
                if node.attr in statuses_known:
                    own_status = node.attr
            elif node_class is constant_node:
                value = node.value
                if isinstance(value, str) and value in statuses_known:
                    own_status = value
            elif node_class is call_node:
                name = _ident(node.func)
                if name in functions:
                    own_call = name
            children = kids[id(node)]
            if own_status is None and own_call is None and own_name is None:
                if not children:
                    out[id(node)] = nothing
                    continue
                if len(children) == 1:  # the same sets as its only child
                    out[id(node)] = out[id(children[0])]
                    continue
            statuses: set[str] = set()
            called: set[str] = set()
            names: set[str] = set()
            if own_status is not None:
                statuses.add(own_status)
            if own_call is not None:
                called.add(own_call)
            if own_name is not None:
                names.add(own_name)
            for child in children:
                s, c, n = out[id(child)]
                if s:
                    statuses |= s
                if c:
                    called |= c
                if n:
                    names |= n
            out[id(node)] = (
                frozenset(statuses) if statuses else empty,
                frozenset(called) if called else empty,
                frozenset(names) if names else empty,
            )
        return out

    def pairs(
        self, fn: ast.AST, index: _Index | None = None, nodes: list[ast.AST] | None = None
    ) -> set[tuple[str, str]]:
        """The (function, status) pairs test function ``fn`` checks. ``index``: what
        :meth:`index` gives for a tree holding ``fn``, when the caller has it already; ``nodes``:
        the nodes of ``fn`` (:func:`_subtree_nodes`), likewise."""
        _order, kids, sub = index if index is not None else self.index(fn)
        if nodes is None:
            nodes = _subtree_nodes(fn, kids)
        env: dict[str, str] = {}
        out: set[tuple[str, str]] = set()
        mentioned, called, _names = sub[id(fn)]
        # assignments in source order
        stmts = sorted(
            (n for n in nodes if isinstance(n, ast.Assign | ast.AnnAssign)),
            key=lambda n: (n.lineno, n.col_offset),
        )
        for st in stmts:
            value = st.value
            if value is None:
                continue
            fs = sub[id(value)][1]
            if len(fs) == 1:
                targets = st.targets if isinstance(st, ast.Assign) else [st.target]
                for t in targets:
                    for name in sub[id(t)][2]:
                        env[name] = next(iter(fs))
        for node in nodes:
            if isinstance(node, ast.Compare | ast.Call):
                ss, fs, names = sub[id(node)]
                if not ss:
                    continue
                bound = set(fs)
                bound.update(env[n] for n in names if n in env)
                for f in bound:
                    out.update((f, s) for s in ss)
        if len(called) == 1:
            (only,) = tuple(called)
            out.update((only, s) for s in mentioned)
        return out

    def pair_tables(self, tree: ast.AST, nodes: list[ast.AST] | None = None) -> list[tuple[str, str]]:
        """(function, status) pairs a test module keeps as data.

        Recognised: tuple keys ``("F", "S")`` of dict literals, subscripted assignments
        ``TABLE[("op", "S")] = ...`` and calls ``register("op", "S", ...)``, including calls in a
        ``for S in ("S1", "S2"): register("op", S, ...)`` loop; where the first element names an
        operation rather than a function, a literal ``{"F": "op", ...}`` table in the module maps it
        to its functions. ``nodes`` is ``ast.walk(tree)`` as a list when the caller has it already.
        """
        nodes = list(ast.walk(tree)) if nodes is None else nodes
        # One pass sorts out the kinds of node the two scans below look at (classes compared by
        # identity: ast.parse builds no subclasses of them).
        kinds: dict[type, list[Any]] = defaultdict(list)
        wanted = {ast.Dict, ast.Subscript, ast.List, ast.Set, ast.Call, ast.For}
        for sub in nodes:
            if sub.__class__ in wanted:
                kinds[sub.__class__].append(sub)
        aliases: dict[str, set[str]] = defaultdict(set)
        for sub in kinds[ast.Dict]:
            # ``**other`` entries of a dict literal (key None) are left out: the literal part still
            # maps functions to operations.
            literal_keys = [k for k in sub.keys if k is not None]
            if len(literal_keys) >= 2:
                items = [
                    (k.value, v.value)
                    for k, v in zip(sub.keys, sub.values, strict=True)
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)
                    and isinstance(k.value, str) and isinstance(v.value, str) and k.value in self.functions
                ]
                if len(items) == len(literal_keys):
                    for f, op in items:
                        aliases[op].add(f)

        raw: list[tuple[str, str]] = []

        def const_pair(a: ast.AST, b: ast.AST) -> None:
            if isinstance(a, ast.Constant) and isinstance(b, ast.Constant):
                if isinstance(a.value, str) and isinstance(b.value, str):
                    raw.append((a.value, b.value))

        # The order of ``raw`` does not matter: the pairs are collected into a set.
        for sub in kinds[ast.Dict]:
            for key in sub.keys:
                if isinstance(key, ast.Tuple) and len(key.elts) >= 2:
                    const_pair(key.elts[0], key.elts[1])
        for sub in kinds[ast.Subscript]:
            if isinstance(sub.slice, ast.Tuple) and len(sub.slice.elts) >= 2:
                const_pair(sub.slice.elts[0], sub.slice.elts[1])
        for sub in kinds[ast.List] + kinds[ast.Set]:
            for elt in sub.elts:
                if isinstance(elt, ast.Tuple) and len(elt.elts) >= 2:
                    const_pair(elt.elts[0], elt.elts[1])
        for sub in kinds[ast.Call]:
            if len(sub.args) >= 2:
                const_pair(sub.args[0], sub.args[1])
        for sub in kinds[ast.For]:
            if isinstance(sub.target, ast.Name) and isinstance(sub.iter, ast.Tuple | ast.List):
                values = [e.value for e in sub.iter.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                for call in ast.walk(sub):
                    if (
                        isinstance(call, ast.Call)
                        and len(call.args) >= 2
                        and isinstance(call.args[0], ast.Constant)
                        and isinstance(call.args[0].value, str)
                        and isinstance(call.args[1], ast.Name)
                        and call.args[1].id == sub.target.id
                    ):
                        raw.extend((call.args[0].value, v) for v in values)

        pairs: list[tuple[str, str]] = []
        for first, status in raw:
            if status not in self.statuses:
                continue
            if first in self.functions:
                pairs.append((first, status))
            for f in sorted(aliases.get(first, ())):
                pairs.append((f, status))
        return pairs


def _runs_table_entry(test: ast.AST, tables: set[str], nodes: list[ast.AST] | None = None) -> bool:
    """Whether a test calls what a table holds: ``TABLE[key](...)``, or ``f = TABLE.get(key)`` /
    ``f = TABLE[key]`` followed by ``f(...)``. ``nodes``: ``ast.walk(test)`` as a list, if at hand."""
    nodes = list(ast.walk(test)) if nodes is None else nodes
    bound: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            v = node.value
            if isinstance(v, ast.Subscript) and isinstance(v.value, ast.Name) and v.value.id in tables:
                bound.add(node.targets[0].id)
            elif (
                isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr == "get"
                and isinstance(v.func.value, ast.Name) and v.func.value.id in tables
            ):
                bound.add(node.targets[0].id)
    for node in nodes:
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Subscript) and isinstance(f.value, ast.Name) and f.value.id in tables:
                return True
            if isinstance(f, ast.Name) and f.id in bound:
                return True
    return False


def _table_names(tree: ast.Module, nodes: list[ast.AST] | None = None) -> set[str]:
    """Module-level names holding (function or operation, status) tables."""
    names: set[str] = set()
    for node in ast.walk(tree) if nodes is None else nodes:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and isinstance(node.value, ast.Dict | ast.List | ast.Set | ast.Tuple):
                    names.add(t.id)
                elif isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and isinstance(t.slice, ast.Tuple):
                    names.add(t.value.id)
    return names


def test_evidence(test_dir: Path, functions: Iterable[str], statuses: Iterable[str],
                  root: Path | None = None) -> list[Evidence]:
    fset, sset = frozenset(functions), frozenset(statuses)
    found: set[Evidence] = set()
    for path in sorted(test_dir.rglob("test_*.py")):
        rel = path.relative_to(root).as_posix() if root else path.name
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        found.update(_module_evidence(rel, str(path), text, fset, sset))
    return sorted(found, key=evidence_key)


# Test module text -> its ``def test*`` functions (not async ones) in ``ast.walk`` order, noted by
# :func:`_module_evidence` while it has the module parsed, so the contract stage of check does
# not parse those modules again. The texts are the keys _module_evidence's cache holds already.
_TEST_DEFS: dict[str, tuple[str, ...]] = {}


def test_function_names(text: str, filename: str = "<test module>") -> tuple[str, ...]:
    """The names of the ``def test*`` functions of a test module (methods and nested ones too,
    not ``async def``), in ``ast.walk`` order. Raises SyntaxError as ``ast.parse`` does."""
    names = _TEST_DEFS.get(text)
    if names is None:
        tree = ast.parse(text, filename=filename)
        names = tuple(n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name.startswith("test"))
    return names


@functools.lru_cache(maxsize=512)
def _module_evidence(
    rel: str, filename: str, text: str, functions: frozenset[str], statuses: frozenset[str]
) -> tuple[Evidence, ...]:
    """The evidence one test module holds: a function of its text (and the names looked for), so
    a process that checks the same tests again (the test suite does) scans each text once."""
    # Evidence names a function (a call, a variable bound to one, a table key): a module whose
    # text names none holds none, and is not parsed.
    if not any(name in text for name in functions):
        return ()
    try:
        tree = ast.parse(text, filename=filename)
    except SyntaxError:
        return ()
    scanner = _TestScanner(set(functions), set(statuses))
    found: set[Evidence] = set()
    # Each tree is walked once; the walk is shared by the scans below, and the subtree sets
    # are built for the nodes of test functions only (about half of a test module).
    module_nodes, kids = _walk(tree)
    _TEST_DEFS[text] = tuple(n.name for n in module_nodes if n.__class__ is ast.FunctionDef and n.name.startswith("test"))
    tests = [
        n for n in module_nodes
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name.startswith("test")
    ]
    test_nodes = {id(t): _subtree_nodes(t, kids) for t in tests}
    in_tests: list[ast.AST] = []
    seen: set[int] = set()
    for t in tests:  # an outer test comes before the tests nested in it, which it holds
        if id(t) not in seen:
            in_tests += test_nodes[id(t)]
            seen.update(id(n) for n in test_nodes[id(t)])
    index = (module_nodes, kids, scanner.subtrees(in_tests, kids))
    for node in tests:
        for f, s in scanner.pairs(node, index, test_nodes[id(node)]):
            found.add(Evidence(f, s, "test", f"{rel}::{node.name}"))
    table_pairs = scanner.pair_tables(tree, module_nodes)
    if table_pairs:
        # The tests that use the module's tables: they reference a table by name and compare a
        # result with a status. Each of them is evidence for every pair the tables hold.
        names = _table_names(tree, module_nodes)
        users = [t.name for t in tests if _runs_table_entry(t, names, test_nodes[id(t)])]
        for user in users:
            for f, s in table_pairs:
                found.add(Evidence(f, s, "test", f"{rel}::{user}"))
    return tuple(sorted(found, key=evidence_key))
