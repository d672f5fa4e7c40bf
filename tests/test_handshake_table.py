"""The handshake transition table: every state reachable, every outcome has a status rule, and
the table is the only place a handshake state is decided."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sspimodel.model.handshake import (
    NO_STEP,
    TRANSITIONS,
    Outcome,
    Role,
    State,
    Transition,
    advance,
    transition,
)
from sspimodel.model.rules import table_for
from sspimodel.model.tokens import Kind

MODEL = Path(__file__).resolve().parent.parent / "sspimodel" / "model"
MECHS = sorted({t.mech for t in TRANSITIONS})
RULE_TABLE = {Role.CLIENT: "InitializeSecurityContextW", Role.SERVER: "AcceptSecurityContext"}


def _rows(mech: str, role: Role) -> list[Transition]:
    return [t for t in TRANSITIONS if t.mech == mech and t.role == role]


@pytest.mark.parametrize("mech", MECHS)
@pytest.mark.parametrize("role", list(Role))
def test_every_state_of_the_table_is_reachable_from_initial(mech, role):
    rows = _rows(mech, role)
    assert rows, f"{mech} has no {role} steps"
    seen, todo = {State.INITIAL}, [State.INITIAL]
    while todo:
        step = transition(mech, role, todo.pop())
        if step is None:
            continue
        for outcome in step.all_outcomes():
            nxt = advance(step, outcome)
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert {t.state for t in rows} <= seen
    assert State.ESTABLISHED in seen  # every handshake can finish


def _keyed_outcomes(function: str) -> set[str]:
    """The leg outcomes the rules of ``function`` map to a status (rules keyed on the outcome)."""
    accepted: set[str] = set()
    for rule in table_for(function).live:
        key = getattr(rule.test, "key", None)
        if key is not None and key.__name__ == "outcome":
            accepted |= set(rule.test.accepted)
    return accepted


@pytest.mark.parametrize("role", list(Role))
def test_every_outcome_has_a_status_rule(role):
    outcomes = {o for t in TRANSITIONS if t.role == role for o in t.all_outcomes()} | {NO_STEP}
    ruled = _keyed_outcomes(RULE_TABLE[role])
    assert sorted(outcomes - ruled) == []
    # and the same on the other variants and the async completion
    assert _keyed_outcomes("InitializeSecurityContextA") == _keyed_outcomes("InitializeSecurityContextW")


def test_an_outcome_the_table_does_not_list_is_refused():
    step = transition("NTLM", Role.CLIENT, State.INITIAL)
    assert advance(step, Outcome.CONTINUE) is State.SENT_NEGOTIATE
    with pytest.raises(ValueError, match="outcome logon_denied is not in the transition table"):
        advance(step, Outcome.LOGON_DENIED)
    # a step that reads a token keeps its state when the token is missing or bad
    reading = transition("NTLM", Role.SERVER, State.SENT_CHALLENGE)
    assert advance(reading, Outcome.NO_TOKEN) is State.SENT_CHALLENGE
    assert transition("NTLM", Role.CLIENT, State.ESTABLISHED) is None


def test_token_kinds_are_named_in_the_table():
    assert transition("NTLM", Role.SERVER, State.INITIAL).accepts == (Kind.NTLM_NEGOTIATE,)
    assert transition("NTLM", Role.SERVER, State.INITIAL).sends == (Kind.NTLM_CHALLENGE,)


def _string_states() -> set[str]:
    return {s.value for s in State}


def test_no_model_module_but_the_table_names_a_state_by_its_string():
    offenders = []
    for path in sorted(MODEL.glob("*.py")):
        if path.name == "handshake.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in _string_states() - {"initial", "established"}:
                offenders.append(f"{path.name}:{node.lineno}: {node.value!r}")
            if isinstance(node, ast.Compare) and any(
                isinstance(c, ast.Constant) and c.value in _string_states() for c in node.comparators
            ):
                offenders.append(f"{path.name}:{node.lineno}: compares a state with a string")
    assert offenders == []


def test_a_context_state_is_only_ever_set_from_a_leg_the_table_advanced():
    writes = []
    for path in sorted(MODEL.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Attribute) and target.attr == "state":
                        writes.append((path.name, ast.unparse(node.value)))
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ContextRecord":
                for kw in node.keywords:
                    if kw.arg == "state":
                        writes.append((path.name, ast.unparse(kw.value)))
    # The handshake commits the state the table gave its leg; an imported context is established,
    # or (a Negotiate client the observed contract established ahead of the server's mechListMIC)
    # still awaits that mechListMIC, the state the table gave the exported context.
    assert sorted(set(writes)) == [
        ("contexts.py", "leg.state"),
        ("export.py", "State.AWAITING_MIC if awaited_mic else State.ESTABLISHED"),
    ]


def test_the_table_is_drawn_for_the_docs_by_the_cli(capsys):
    from sspimodel.cli import main

    assert main(["explain", "--handshake", "NTLM"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("NTLM client in initial: reads no token, may send NTLM_NEGOTIATE")
    assert "continue               -> sent_challenge" in out
    assert main(["explain", "--handshake", "Foo"]) == 2
    assert "no handshake for 'Foo'; mechanisms: Digest, Kerberos, NTLM" in capsys.readouterr().err
