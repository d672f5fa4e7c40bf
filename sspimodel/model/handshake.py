"""The handshakes as data: one transition table, the only place a handshake's state changes.

In the spirit of h11's ``_state.py``: every handshake step a package can take is a row
``(mechanism, role, state) -> accepts, outcomes -> next state, sends``:

- ``accepts``: the token kinds the step reads (none: the step reads no input token);
- ``outcomes``: each :class:`Outcome` the step can end with, and the :class:`State` it leads to
  (a failure leaves the state as it was);
- ``sends``: the token kinds the step can emit.

The package code (:mod:`sspimodel.model.packages`) computes a step: it checks proofs, asks the
world's authority, builds tokens, and says which outcome happened. The table decides what a
state accepts and where an outcome leads; :func:`advance` is the one function that turns an
outcome into the next state. The status a caller sees for each outcome is in the rule tables of
InitializeSecurityContext (client) and AcceptSecurityContext (server), keyed on the outcome
(:mod:`sspimodel.model.contexts`), each with its page citation.

Under the Negotiate package NTLM's messages travel in SPNEGO tokens (:mod:`sspimodel.model.spnego`):
the client's AUTHENTICATE leg then continues (CONTINUE, AWAITING_MIC) and a last client leg checks
the server's mechListMIC (SPNEGO_RESP, the server's accept-completed NegTokenResp). The observed
contract reports that CONTINUE as Windows does, SEC_E_OK with the context established (rule
isc.negotiate_ntlm_ok in :mod:`sspimodel.model.contexts`); the state stays AWAITING_MIC, so the
server's last token, if the application hands it over, is still checked.

Token kinds are :class:`~sspimodel.model.tokens.Kind`. NTLM's three are real NTLMSSP messages
(MS-NLMP 2.2.1: :func:`~sspimodel.model.tokens.parse` reads their MessageType 1, 2, 3 as
NTLM_NEGOTIATE, NTLM_CHALLENGE, NTLM_AUTHENTICATE); the Kerberos and Digest kinds are frames of
the model's own token format. The states and outcomes are the same whatever the wire format.

Everything a step's input check can fail with (:data:`INPUT_FAILURES`) is an outcome of every
step that reads a token; :data:`NO_STEP` is the outcome of a state that has no step for its role.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from attrs import frozen

from .tokens import Kind

__all__ = [
    "INPUT_FAILURES",
    "NO_STEP",
    "TRANSITIONS",
    "Outcome",
    "Role",
    "State",
    "Transition",
    "advance",
    "transition",
]


class Role(enum.StrEnum):
    CLIENT = "client"  # InitializeSecurityContext
    SERVER = "server"  # AcceptSecurityContext


class State(enum.StrEnum):
    INITIAL = "initial"  # no context yet
    SENT_NEGOTIATE = "sent_negotiate"  # NTLM client: NEGOTIATE sent, waits for CHALLENGE
    SENT_CHALLENGE = "sent_challenge"  # NTLM / Digest server: CHALLENGE sent, waits for the answer
    AWAITING_MIC = "awaiting_mic"  # Negotiate's NTLM client (SPNEGO): waits for the server's mechListMIC
    AWAITING_AP_REP = "awaiting_ap_rep"  # Kerberos client with mutual auth: waits for AP-REP
    AWAITING_RSPAUTH = "awaiting_rspauth"  # Digest client with mutual auth: waits for rspauth
    ESTABLISHED = "established"  # no step left


class Outcome(enum.StrEnum):
    # progress
    CONTINUE = "continue"  # a token sent, the peer's answer expected
    DONE = "done"  # this side is finished
    COMPLETE_NEEDED = "complete_needed"  # finished, the token awaits CompleteAuthToken
    COMPLETE_AND_CONTINUE = "complete_and_continue"  # both
    # the input token
    NO_TOKEN = "no_token"
    BAD_TOKEN = "bad_token"  # malformed, altered, of another kind or package
    TRUNCATED = "truncated"  # shorter than its frame announces
    CROSS_CONTEXT = "cross_context"  # a token of another handshake
    BAD_STATE = "bad_state"  # the context has no step left
    # the package's own checks
    NO_AUTHORITY = "no_authority"
    TARGET_UNKNOWN = "target_unknown"
    LOGON_DENIED = "logon_denied"
    WRONG_PRINCIPAL = "wrong_principal"
    WRONG_SERVICE = "wrong_service"  # Kerberos server: a ticket for another service account
    REPLAY = "replay"
    BAD_BINDINGS = "bad_bindings"  # NTLM / Kerberos server: the client's channel bindings are not the server's


INPUT_FAILURES: frozenset[Outcome] = frozenset({Outcome.NO_TOKEN, Outcome.BAD_TOKEN, Outcome.TRUNCATED})
NO_STEP = Outcome.BAD_STATE


@frozen
class Transition:
    mech: str
    role: Role
    state: State
    accepts: tuple[Kind, ...]
    outcomes: Mapping[Outcome, State]
    sends: tuple[Kind, ...] = ()

    def next_state(self, outcome: Outcome) -> State:
        if outcome in self.outcomes:
            return self.outcomes[outcome]
        if self.accepts and outcome in INPUT_FAILURES:
            return self.state
        raise ValueError(
            f"{self.mech} {self.role}: outcome {outcome} is not in the transition table for state {self.state}"
        )

    def all_outcomes(self) -> frozenset[Outcome]:
        return frozenset(self.outcomes) | (INPUT_FAILURES if self.accepts else frozenset())


C, S = Role.CLIENT, Role.SERVER
Out, St, K = Outcome, State, Kind


def _stay(state: State, *outcomes: Outcome) -> dict[Outcome, State]:
    return {o: state for o in outcomes}


TRANSITIONS: tuple[Transition, ...] = (
    # NTLM: C: NEGOTIATE -> S: CHALLENGE -> C: AUTHENTICATE
    Transition("NTLM", C, St.INITIAL, (), {Out.CONTINUE: St.SENT_NEGOTIATE}, (K.NTLM_NEGOTIATE,)),
    Transition(
        "NTLM", S, St.INITIAL, (K.NTLM_NEGOTIATE,),
        {Out.CONTINUE: St.SENT_CHALLENGE, **_stay(St.INITIAL, Out.BAD_TOKEN)}, (K.NTLM_CHALLENGE,),
    ),
    Transition(
        "NTLM", C, St.SENT_NEGOTIATE, (K.NTLM_CHALLENGE,),
        {
            Out.DONE: St.ESTABLISHED,
            Out.CONTINUE: St.AWAITING_MIC,  # under SPNEGO (Negotiate): the server's mechListMIC is to come
            **_stay(St.SENT_NEGOTIATE, Out.CROSS_CONTEXT, Out.BAD_TOKEN),
        },
        (K.NTLM_AUTHENTICATE,),
    ),
    Transition(
        "NTLM", S, St.SENT_CHALLENGE, (K.NTLM_AUTHENTICATE,),
        {
            Out.DONE: St.ESTABLISHED,
            **_stay(
                St.SENT_CHALLENGE, Out.CROSS_CONTEXT, Out.BAD_TOKEN, Out.NO_AUTHORITY, Out.LOGON_DENIED, Out.BAD_BINDINGS
            ),
        },
        (K.SPNEGO_RESP,),  # under SPNEGO: accept-completed with the server's mechListMIC
    ),
    # Negotiate's NTLM under SPNEGO: the client checks the server's mechListMIC (RFC 4178 5)
    Transition(
        "NTLM", C, St.AWAITING_MIC, (K.SPNEGO_RESP,),
        {Out.DONE: St.ESTABLISHED, **_stay(St.AWAITING_MIC, Out.BAD_TOKEN)},
    ),
    # Kerberos: C: AP-REQ [-> S: AP-REP with mutual authentication]
    Transition(
        "Kerberos", C, St.INITIAL, (),
        {
            Out.CONTINUE: St.AWAITING_AP_REP,  # mutual authentication asked
            Out.DONE: St.ESTABLISHED,
            **_stay(St.INITIAL, Out.NO_AUTHORITY, Out.TARGET_UNKNOWN, Out.LOGON_DENIED),
        },
        (K.KERB_AP_REQ,),
    ),
    Transition(
        "Kerberos", S, St.INITIAL, (K.KERB_AP_REQ,),
        {Out.DONE: St.ESTABLISHED, **_stay(St.INITIAL, Out.BAD_TOKEN, Out.WRONG_SERVICE, Out.REPLAY, Out.BAD_BINDINGS)},
        (K.KERB_AP_REP, K.KERB_ERROR),
    ),
    Transition(
        "Kerberos", C, St.AWAITING_AP_REP, (K.KERB_AP_REP, K.KERB_ERROR),
        {
            Out.DONE: St.ESTABLISHED,
            **_stay(St.AWAITING_AP_REP, Out.CROSS_CONTEXT, Out.BAD_TOKEN, Out.WRONG_PRINCIPAL),
        },
    ),
    # Digest: S: CHALLENGE -> C: RESPONSE [-> S: RSPAUTH], each token sealed by CompleteAuthToken
    Transition(
        "Digest", S, St.INITIAL, (),  # the server speaks first; an input token is ignored
        {Out.COMPLETE_AND_CONTINUE: St.SENT_CHALLENGE}, (K.DIGEST_CHALLENGE,),
    ),
    Transition(
        "Digest", C, St.INITIAL, (K.DIGEST_CHALLENGE,),
        {
            Out.COMPLETE_AND_CONTINUE: St.AWAITING_RSPAUTH,  # mutual authentication asked
            Out.COMPLETE_NEEDED: St.ESTABLISHED,
            **_stay(St.INITIAL, Out.BAD_TOKEN),
        },
        (K.DIGEST_RESPONSE,),
    ),
    Transition(
        "Digest", S, St.SENT_CHALLENGE, (K.DIGEST_RESPONSE,),
        {
            Out.COMPLETE_NEEDED: St.ESTABLISHED,  # mutual authentication: rspauth to complete
            Out.DONE: St.ESTABLISHED,
            **_stay(St.SENT_CHALLENGE, Out.CROSS_CONTEXT, Out.BAD_TOKEN, Out.NO_AUTHORITY, Out.LOGON_DENIED),
        },
        (K.DIGEST_RSPAUTH,),
    ),
    Transition(
        "Digest", C, St.AWAITING_RSPAUTH, (K.DIGEST_RSPAUTH,),
        {Out.DONE: St.ESTABLISHED, **_stay(St.AWAITING_RSPAUTH, Out.CROSS_CONTEXT)},
    ),
)  # fmt: skip

# Compiled once: the table as a lookup.
_BY_KEY: dict[tuple[str, Role, State], Transition] = {}
for _t in TRANSITIONS:
    if (_t.mech, _t.role, _t.state) in _BY_KEY:
        raise ValueError(f"two transitions for {_t.mech} {_t.role} in state {_t.state}")
    _BY_KEY[(_t.mech, _t.role, _t.state)] = _t


def transition(mech: str, role: Role, state: State) -> Transition | None:
    """The step ``mech`` takes for ``role`` in ``state``, or None: no step left."""
    return _BY_KEY.get((mech, role, state))


def advance(step: Transition, outcome: Outcome) -> State:
    """The state after ``step`` ends with ``outcome`` (the table's column; refuses an outcome the
    table does not list for that step)."""
    return step.next_state(outcome)
