"""The simulated security packages and the computation of their handshake steps.

Four packages, declared as data (:class:`Package`). Their handshakes are the transition table of
:mod:`sspimodel.model.handshake` (mechanism, role, state -> accepted token kinds, outcome -> next
state, sent token kinds); this module holds the package code of each row (a step function that
checks proofs, asks the authority and builds tokens) and returns a :class:`Move` (an
:class:`~sspimodel.model.handshake.Outcome`, the output token, the context fields to update, the
reason). :func:`_run` looks the row up, checks the input token against it, runs the step, and
takes the next state from the table: a :class:`Leg`. A leg never changes the world; the rule
tables of InitializeSecurityContext/AcceptSecurityContext (:mod:`sspimodel.model.contexts`) map
the outcome to a documented status, with the page's citation, and commit the update.

Handshakes (C = client/InitializeSecurityContext, S = server/AcceptSecurityContext)::

    NTLM       C: NEGOTIATE -> S: CHALLENGE -> C: AUTHENTICATE            (three messages)
               the server checks the proof with the authority (domain accounts)
    Kerberos   C: AP-REQ                                                  (one leg)
               C: AP-REQ -> S: AP-REP                                     (two, mutual auth)
               the client needs the KDC (the authority) and a known service principal name;
               the AP-REQ carries the MD5 of the caller's channel bindings (RFC 4121 4.1.1 Bnd,
               zeros without), which a server given its own bindings checks
    Negotiate  Kerberos when the authority is reachable and the target is a known SPN,
               else NTLM, among the packages the credentials' PackageList allows
               (:mod:`sspimodel.model.package_list`); tokens carry Negotiate's id. NTLM travels in SPNEGO (RFC 4178,
               :mod:`sspimodel.model.spnego`): C: NegTokenInit(NEGOTIATE) -> S: NegTokenResp
               (accept-incomplete, CHALLENGE) -> C: NegTokenResp(AUTHENTICATE, mechListMIC)
               -> S: NegTokenResp(accept-completed, mechListMIC), the client checking the last
               (under the observed contract the client is established before it, as on Windows).
               Kerberos stays the simulated frames, not wrapped.
    Digest     S: CHALLENGE -> C: RESPONSE [-> S: RSPAUTH with mutual auth]

Digest is the model's package that needs CompleteAuthToken. *Interpretation*: the pages say a
package may return SEC_I_COMPLETE_NEEDED / SEC_I_COMPLETE_AND_CONTINUE and that the caller then
calls CompleteAuthToken, but name no package; the model's Digest (like the real Digest SSP,
which must hash the message into its response) leaves every token it emits unsealed until
CompleteAuthToken seals it. A leg that emits a token and expects more input returns
``complete_and_continue``; one that emits the last token returns ``complete_needed``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from ..ntlm import ChannelBindingsMismatch, ClientSession, LogonDenied, NtlmError, ServerSession
from ..ntlm.errors import FieldTooLong
from ..paths import data_file
from . import ntlm_wire, package_list, spnego, tokens
from .constants import (
    ISC_REQ_ALLOCATE_MEMORY,
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_CONNECTION,
    ISC_REQ_DELEGATE,
    ISC_REQ_EXTENDED_ERROR,
    ISC_REQ_INTEGRITY,
    ISC_REQ_MUTUAL_AUTH,
    ISC_REQ_NO_INTEGRITY,
    ISC_REQ_REPLAY_DETECT,
    ISC_REQ_SEQUENCE_DETECT,
    ISC_REQ_STREAM,
    SECQOP_WRAP_NO_ENCRYPT,
)
from .handshake import NO_STEP, TRANSITIONS, Outcome, Role, State, Transition, transition
from .tokens import Bad, Frame, Kind, Problem

if TYPE_CHECKING:
    from .world import ContextRecord, CredRecord, World

__all__ = [
    "DIGEST",
    "KERBEROS",
    "NEGOTIATE",
    "NTLM",
    "Leg",
    "Package",
    "SecPkgInfo",
    "accept_leg",
    "asc_to_internal",
    "initialize_leg",
    "internal_to_asc",
    "standard_packages",
]

HOUR = 3600

# Internal attribute bits use the ISC_REQ/ISC_RET numbering; AcceptSecurityContext's ASC_*
# flags differ for four of them and are translated at the boundary.
_ASC_TO_INTERNAL = {
    0x8000: ISC_REQ_EXTENDED_ERROR,
    0x10000: ISC_REQ_STREAM,
    0x20000: ISC_REQ_INTEGRITY,
    # ASC_REQ_IDENTIFY / ASC_RET_IDENTIFY <-> ISC_REQ_IDENTIFY (0x20000): an identify-level context
    # (issue 19; the pages document neither flag, so no handshake of the model grants it).
    0x80000: 0x20000,
}
_INTERNAL_TO_ASC = {v: k for k, v in _ASC_TO_INTERNAL.items()}
_SHARED_BITS = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x100 | 0x800


def asc_to_internal(flags: int) -> int:
    out = flags & _SHARED_BITS
    translated = flags & _ASC_TRANSLATED
    # The bits that differ are rare: no lookup without them.
    return out | _ASC_COMBINATIONS[translated] if translated else out


def internal_to_asc(flags: int) -> int:
    out = flags & _SHARED_BITS
    translated = flags & _INTERNAL_TRANSLATED
    return out | _INTERNAL_COMBINATIONS[translated] if translated else out


_ASC_TRANSLATED = sum(_ASC_TO_INTERNAL)  # distinct single bits: their sum is their OR
_INTERNAL_TRANSLATED = sum(_INTERNAL_TO_ASC)


def _combinations(table: dict[int, int]) -> dict[int, int]:
    """Every combination of the translated bits of ``table`` (its keys, distinct single bits)
    -> the OR of their translations: the translation of any flags as one lookup."""
    out = {0: 0}
    for bit, translation in table.items():
        out.update({combo | bit: value | translation for combo, value in out.items()})
    return out


# Compiled once from the two tables above (16 entries each).
_ASC_COMBINATIONS = _combinations(_ASC_TO_INTERNAL)
_INTERNAL_COMBINATIONS = _combinations(_INTERNAL_TO_ASC)


@frozen
class SecPkgInfo:
    """SecPkgInfo as sspi.h defines it."""

    fCapabilities: int
    wVersion: int
    wRPCID: int
    cbMaxToken: int
    Name: str
    Comment: str


@frozen
class Leg:
    """One handshake step as computed by a package (pure: nothing is changed yet)."""

    outcome: Outcome
    state: State
    token: bytes | None = None
    updates: tuple[tuple[str, object], ...] = ()
    detail: str = ""

    def update_dict(self) -> dict[str, object]:
        return dict(self.updates)


@frozen
class KeyInfo:
    """What SECPKG_ATTR_KEY_INFO reports for a package (spec/data/packages.yaml)."""

    signature_name: str
    encrypt_name: str
    signature_alg: int
    encrypt_alg: int


@frozen
class Package:
    """A simulated security package: its facts (spec/data/packages.yaml) and its behaviour."""

    name: str
    comment: str
    rpc_id: int
    version: int
    capabilities: int
    max_token: int
    # ISC_REQ bits (internal numbering) the package honours; requested bits outside are not
    # granted (they do not appear in pfContextAttr).
    honoured: int
    mutual_auth: bool
    exportable: bool
    needs_completion: bool
    qops: frozenset[int]  # fQOP values other than 0 the package accepts
    cred_lifetime: int | None  # seconds; None: credentials never expire
    context_lifetime: int | None  # seconds; None: contexts never expire
    caller_sequence: bool  # MakeSignature's MessageSeqNo is the package's nonce count
    legs: str  # a one-line description of the handshake, for reports
    block_size: int = 0  # SecPkgContext_Sizes.cbBlockSize
    key_info: KeyInfo = KeyInfo("", "", 0, 0)
    writes_qop: bool = True  # whether VerifySignature/DecryptMessage write pfQOP (observed contract)
    sources: tuple[tuple[str, str], ...] = ()  # (fact, its source) from packages.yaml

    def info(self) -> SecPkgInfo:
        return SecPkgInfo(
            self.capabilities, self.version, self.rpc_id, self.max_token, self.name, self.comment
        )

    def source(self, fact: str) -> str:
        """Where ``fact`` (capabilities, version, rpc_id, ...) comes from."""
        return dict(self.sources)[fact]


_FACTS = ("capabilities", "version", "rpc_id", "max_token", "comment", "block_size", "key_info", "writes_qop")


class PackageDataError(ValueError):
    """spec/data/packages.yaml is malformed; the message names the file, package and fact."""


def _load_facts(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """spec/data/packages.yaml as keyword arguments of :class:`Package`, per package name."""
    import yaml

    from ..constants_data import load_constants

    path = path or data_file("packages.yaml")
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(data, dict):
        raise PackageDataError(f"{path}: expected a mapping of package names")
    constants = load_constants()
    out: dict[str, dict[str, Any]] = {}
    for name, facts in data.items():
        where = f"{path}: {name}"
        if not isinstance(facts, dict) or sorted(facts) != sorted(_FACTS):
            raise PackageDataError(f"{where}: expected the facts {', '.join(_FACTS)}")
        kwargs: dict[str, Any] = {}
        sources = []
        for fact in _FACTS:
            entry = facts[fact]
            if not isinstance(entry, dict) or sorted(entry) != ["source", "value"] or not entry["source"]:
                raise PackageDataError(f"{where}: {fact} must be {{value, source}} with a source")
            value = entry["value"]
            if fact == "capabilities":
                unknown = [f for f in value if f not in constants]
                if unknown:
                    raise PackageDataError(f"{where}: capabilities: no value for {', '.join(unknown)}")
                total = 0
                for flag in value:
                    total |= constants[flag].value
                value = total
            elif fact == "key_info":
                value = KeyInfo(**value)
            kwargs[fact] = value
            sources.append((fact, " ".join(str(entry["source"]).split())))
        kwargs["sources"] = tuple(sources)
        out[name] = kwargs
    return out


_DATA = _load_facts()

_COMMON = (
    ISC_REQ_DELEGATE
    | ISC_REQ_REPLAY_DETECT
    | ISC_REQ_SEQUENCE_DETECT
    | ISC_REQ_CONFIDENTIALITY
    | ISC_REQ_ALLOCATE_MEMORY
    | ISC_REQ_CONNECTION
    | ISC_REQ_STREAM
    | ISC_REQ_INTEGRITY
)

NTLM = Package(
    name="NTLM",
    # NTLM cannot authenticate the server nor delegate.
    honoured=(_COMMON & ~ISC_REQ_DELEGATE) | ISC_REQ_EXTENDED_ERROR,
    mutual_auth=False,
    exportable=True,
    needs_completion=False,
    qops=frozenset(),
    cred_lifetime=None,
    context_lifetime=10 * HOUR,
    caller_sequence=False,
    legs="NEGOTIATE -> CHALLENGE -> AUTHENTICATE",
    **_DATA["NTLM"],
)

KERBEROS = Package(
    name="Kerberos",
    honoured=_COMMON | ISC_REQ_MUTUAL_AUTH | ISC_REQ_EXTENDED_ERROR,
    mutual_auth=True,
    exportable=True,
    needs_completion=False,
    qops=frozenset({SECQOP_WRAP_NO_ENCRYPT}),
    cred_lifetime=10 * HOUR,
    context_lifetime=10 * HOUR,
    caller_sequence=False,
    legs="AP-REQ (one leg); AP-REQ -> AP-REP with mutual authentication",
    **_DATA["Kerberos"],
)

NEGOTIATE = Package(
    name="Negotiate",
    honoured=KERBEROS.honoured,  # narrowed to the selected package's when it is chosen
    mutual_auth=True,
    exportable=True,
    needs_completion=False,
    qops=frozenset({SECQOP_WRAP_NO_ENCRYPT}),
    cred_lifetime=10 * HOUR,
    context_lifetime=10 * HOUR,
    caller_sequence=False,
    legs="Kerberos if the authority is reachable and the target is a known SPN, else NTLM",
    **_DATA["Negotiate"],
)

DIGEST = Package(
    name="Digest",
    honoured=(_COMMON & ~ISC_REQ_DELEGATE) | ISC_REQ_MUTUAL_AUTH,
    mutual_auth=True,
    exportable=False,
    needs_completion=True,
    qops=frozenset(),
    # "Contexts and credentials of the Microsoft Digest SSP do not expire." (ISC, ptsExpiry)
    cred_lifetime=None,
    context_lifetime=None,
    caller_sequence=True,
    legs="server CHALLENGE -> client RESPONSE [-> server RSPAUTH]; each token sealed by CompleteAuthToken",
    **_DATA["Digest"],
)


def standard_packages() -> tuple[Package, ...]:
    """The packages default_world installs, in EnumerateSecurityPackages order."""
    return (NEGOTIATE, KERBEROS, NTLM, DIGEST)


# -- helpers ------------------------------------------------------------------------------------


def granted(package: Package, requested: int) -> int:
    """The attributes a context gets: what was asked and the package honours.

    ISC_REQ_NO_INTEGRITY asks for no integrity; without it integrity is granted whenever the
    package signs (all four do), as Windows packages sign whether or not ISC_REQ_INTEGRITY was
    passed.
    """
    out = requested & package.honoured
    # "It only works together with ISC_REQ_MUTUAL_AUTH, and only Kerberos honours it."
    # (InitializeSecurityContext, fContextReq, ISC_REQ_DELEGATE)
    if not requested & ISC_REQ_MUTUAL_AUTH:
        out &= ~ISC_REQ_DELEGATE
    if not requested & ISC_REQ_NO_INTEGRITY:
        out |= ISC_REQ_INTEGRITY
    else:
        out &= ~ISC_REQ_INTEGRITY
    return out & ~ISC_REQ_ALLOCATE_MEMORY


# What the server's own request adds to the attributes the client negotiated: properties of
# its end of the connection, not of the protection both ends agreed on.
_SERVER_SIDE = ISC_REQ_CONNECTION | ISC_REQ_EXTENDED_ERROR | ISC_REQ_STREAM


def server_attributes(package: Package, client_attrs: int, requested: int) -> int:
    """The server context's attributes: those the client's token carries, plus server-side ones."""
    return (client_attrs & (package.honoured | ISC_REQ_INTEGRITY)) | (
        requested & _SERVER_SIDE & package.honoured
    )


def _proof(world: World, account: str, secret: str, challenge: bytes) -> bytes:
    return world.derive("proof", account.lower(), secret, challenge)[:16]


def _service_proof(world: World, service: str, secret: str, conversation: bytes) -> bytes:
    return world.derive("ticket", service.lower(), secret, conversation)[:16]


def session_key(world: World, mech: str, conversation: bytes, challenge: bytes | None) -> bytes:
    return world.derive("session", mech, conversation, challenge or b"")[:16]


def _check_input(
    frame: Frame | Bad | None,
    kinds: tuple[Kind, ...],
    package_ids: tuple[int, ...],
    state: State,
) -> Leg | Frame:
    """The input frame when it is what this state expects, else the failing Leg (the state stays)."""
    if frame is None:
        return Leg(Outcome.NO_TOKEN, state, detail=f"no input token; expected {' or '.join(k.name for k in kinds)}")
    if isinstance(frame, Bad):
        outcome = Outcome.TRUNCATED if frame.problem is Problem.TRUNCATED else Outcome.BAD_TOKEN
        return Leg(outcome, state, detail=frame.detail)
    if frame.kind not in kinds:
        return Leg(
            Outcome.BAD_TOKEN, state, detail=f"got {frame.kind.name}, expected {' or '.join(k.name for k in kinds)}"
        )
    if frame.package not in package_ids:
        return Leg(Outcome.BAD_TOKEN, state, detail=f"token of package id {frame.package}, expected {package_ids}")
    return frame


def _fields(frame: Frame, count: int) -> list[str | int | bytes] | None:
    fields = frame.fields()
    if fields is None or len(fields) != count:
        return None
    return fields


@frozen
class Move:
    """What a package's step computed: the outcome, the token it emits, the context fields to
    update, and its reason. :func:`_run` turns it into a :class:`Leg` with the next state, which
    only the transition table (:mod:`sspimodel.model.handshake`) gives."""

    outcome: Outcome
    token: bytes | None = None
    updates: tuple[tuple[str, object], ...] = ()
    detail: str = ""


StepFn = Callable[..., Move]


def _run(
    world: World,
    package: Package,
    cred: CredRecord,
    ctx: ContextRecord | None,
    frame: Frame | Bad | None,
    requested: int,
    target: str | None,
    mech: str,
    role: Role,
    wire_ids: tuple[int, ...],
    bindings: bytes | None,
) -> Leg:
    """One handshake step: the table says whether the state has a step and what it accepts; the
    package's step function computes it; the table gives the next state. ``bindings``: the MD5 of
    the SEC_CHANNEL_BINDINGS the caller passed beside the token (sspimodel.model.bindings), or
    None; the steps that bind the channel read it."""
    state = State.INITIAL if ctx is None else ctx.state if type(ctx.state) is State else State(ctx.state)
    row = _ROWS.get((mech, role, state)) if (ctx is None) == (state is State.INITIAL) else None
    if row is None:  # transition(mech, role, state) is None: no step left
        return Leg(NO_STEP, state, detail=f"{mech} {role} context is {state}; no leg is left")
    step, step_fn = row
    checked: Frame | Bad | None = frame
    if step.accepts:
        verdict = _check_input(frame, step.accepts, wire_ids, state)
        if isinstance(verdict, Leg):
            return verdict
        checked = verdict
    try:
        move = step_fn(world, package, cred, ctx, checked, requested, target, bindings)
    except tokens.FrameTooLong as e:
        move = _too_long(step, e)
    outcome = move.outcome
    return Leg(outcome, step.next_state(outcome), move.token, move.updates, move.detail)  # advance(step, outcome)


def _too_long(step: Transition, error: tokens.FrameTooLong) -> Move:
    """The leg's token cannot be written: a name in it (the client's or the service's account, a
    Digest user name from the caller's SEC_WINNT_AUTH_IDENTITY) is longer than the model's frame
    can carry (tokens.FrameTooLong).

    Interpretation: no page says what a package returns for a name too long for its token. As
    for NTLM's FieldTooLong (ntlm.errors), a leg that answers an input token refuses it as a
    token it cannot answer (BAD_TOKEN: SEC_E_INVALID_TOKEN); the Kerberos client's first leg,
    which answers none, fails as the KDC refusing to issue a ticket for that name (LOGON_DENIED:
    SEC_E_LOGON_DENIED). The context stays where it was (the table's "stay" column)."""
    outcome = Outcome.BAD_TOKEN if step.accepts else Outcome.LOGON_DENIED
    return Move(outcome, detail=f"the leg's token cannot be written: {error}")


# -- client steps (InitializeSecurityContext) ---------------------------------------------------


def initialize_leg(
    world: World,
    package: Package,
    cred: CredRecord,
    ctx: ContextRecord | None,
    frame: Frame | Bad | None,
    requested: int,
    target: str | None,
    bindings: bytes | None = None,
) -> Leg:
    """The client's next leg. ``ctx`` is None on the first call. ``bindings``: the MD5 of the
    caller's SEC_CHANNEL_BINDINGS in pInput, or None."""
    mech = ctx.mech if ctx is not None else _client_mech(world, package, cred, target)
    # Negotiate's client also reads the NTLM messages of the NTLM mechanism it selected.
    ids = (package.rpc_id, NTLM.rpc_id) if mech == "NTLM" and package.name != "NTLM" else (package.rpc_id,)
    return _run(world, package, cred, ctx, frame, requested, target, mech, Role.CLIENT, ids, bindings)


def _client_mech(world: World, package: Package, cred: CredRecord, target: str | None) -> str:
    if package.name != "Negotiate":
        return package.name  # NTLM, Kerberos and Digest credentials keep no package list
    # Negotiate: Kerberos when the authority is reachable and the target is a known service
    # principal, else NTLM; among the packages the credentials' PackageList leaves it
    # (sspimodel.model.package_list; AcquireCredentialsHandle refuses a list that leaves none).
    # Interpretation: NTLM is the fallback; a list without NTLM leaves none, so Negotiate uses
    # Kerberos even when Kerberos cannot succeed, and the call fails as Kerberos does (no KDC:
    # SEC_E_NO_AUTHENTICATING_AUTHORITY; no such service principal: SEC_E_TARGET_UNKNOWN).
    allowed = package_list.allowed(cred)
    kerberos_works = world.authority.online and world.spn_owner(target) is not None
    if "Kerberos" in allowed and (kerberos_works or "NTLM" not in allowed):
        return "Kerberos"
    return "NTLM"


def _ntlm_client_negotiate(
    world: World, package: Package, cred: CredRecord, ctx: None, frame: object, requested: int,
    target: object, bindings: bytes | None,
) -> Move:
    # The NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1) asks for the flags the request maps to.
    conversation = world.peek_conversation()
    user, domain = ntlm_wire.split_account(cred.account, world.domain)
    session = ClientSession(
        user=user,
        domain=domain,
        password=cred.secret or "",
        random=ntlm_wire.random_source(world, conversation, "client"),
        clock=lambda: world.clock.now,
        target_name=target if isinstance(target, str) else None,
        flags=ntlm_wire.client_flags(requested),
    )
    token = session.negotiate()
    updates: tuple[tuple[str, object], ...] = (
        ("mech", "NTLM"), ("conversation", conversation), ("requested", requested), ("ntlm", session),
    )  # fmt: skip
    if package.name == "Negotiate":
        # SPNEGO (RFC 4178 4.2.1): mechTypes lists what the client may use. Interpretation: the
        # Negotiate client chose NTLM because Kerberos is not possible in the world (no KDC, or
        # no service principal for the target), so NTLM is the one mechanism it offers (as
        # sspi-rs's and pyspnego's Negotiate clients do); its NEGOTIATE_MESSAGE is the
        # optimistic mechToken.
        mechs = (spnego.NTLM_OID,)
        token = spnego.encode_init(mechs, token)
        return Move(
            Outcome.CONTINUE,
            token,
            (*updates, ("spnego", spnego.mech_type_list(mechs))),
            "SPNEGO NegTokenInit (mechTypes NTLM) with the NTLM NEGOTIATE_MESSAGE sent",
        )
    return Move(Outcome.CONTINUE, token, updates, "NTLM NEGOTIATE_MESSAGE sent")


def _ntlm_client_authenticate(
    world: World, package: Package, cred: CredRecord, ctx: ContextRecord, checked: Frame, requested: int,
    target: object, bindings: bytes | None,
) -> Move:
    session = copy.copy(ctx.ntlm)
    if not isinstance(session, ClientSession):
        return Move(Outcome.BAD_TOKEN, detail="the context holds no NTLM client handshake")
    if bindings is not None:
        # The caller's SEC_CHANNEL_BINDINGS, beside the CHALLENGE in pInput: their MD5 goes in
        # the AUTHENTICATE_MESSAGE's MsvAvChannelBindings (MS-NLMP 3.1.5.1.2); without them, zeros.
        session.channel_bindings_digest = bindings
    answer: spnego.NegTokenResp | None = None
    if ctx.spnego is not None:
        answer_or_why = _spnego_resp(checked, "the server's first NegTokenResp")
        if isinstance(answer_or_why, str):
            return Move(Outcome.BAD_TOKEN, detail=answer_or_why)
        answer = answer_or_why
        # RFC 4178 4.2.2: the server's first answer says accept-incomplete (or request-mic) and
        # names the mechanism it took, which must be the one offered.
        if answer.neg_state not in (spnego.ACCEPT_INCOMPLETE, spnego.REQUEST_MIC):
            return Move(Outcome.BAD_TOKEN, detail=f"SPNEGO negState {_neg_state(answer)}, expected accept-incomplete")
        if answer.supported_mech not in (None, spnego.NTLM_OID):
            return Move(Outcome.BAD_TOKEN, detail=f"SPNEGO supportedMech {answer.supported_mech}, NTLM was offered")
    try:
        token = session.authenticate(checked.payload)
    except FieldTooLong as e:
        # Interpretation (ntlm.errors.FieldTooLong): the answer cannot be written (a user name, or
        # the server's TargetInfo copied into the NTLMv2 response, too long for its field).
        return Move(Outcome.BAD_TOKEN, detail=f"no AUTHENTICATE_MESSAGE can answer the CHALLENGE_MESSAGE: {e}")
    except NtlmError as e:
        # A CHALLENGE_MESSAGE that does not decode, or that offers no NTLMv2 with extended
        # session security: not a token this context can use.
        return Move(Outcome.BAD_TOKEN, detail=f"CHALLENGE_MESSAGE refused: {e}")
    assert session.challenge_message is not None and session.exported_session_key is not None
    attrs = granted(NTLM, ctx.requested)
    flags = session.challenge_message.flags
    protection = ntlm_wire.Protection(flags, session.exported_session_key, is_client=True)
    updates: tuple[tuple[str, object], ...] = (
        ("challenge", session.challenge_message.server_challenge),
        ("attributes", attrs),
        ("client", cred.account or ""),
        ("session_key", session.exported_session_key),
        ("ntlm", protection),
    )
    if ctx.spnego is not None:
        # RFC 4178 5 / MS-SPNG 3.1.5.1: the mechListMIC, NTLM's signature (SeqNum 0) of the
        # mechTypes sent; the sending stream then starts over, the sequence numbers go on.
        mic = protection.sign(0, ctx.spnego)
        _restart(protection, outgoing=True)
        return Move(
            Outcome.CONTINUE,
            spnego.encode_resp(spnego.ACCEPT_INCOMPLETE, response_token=token, mech_list_mic=mic),
            (*updates, ("send_seq", 1)),
            "SPNEGO NegTokenResp with the NTLM AUTHENTICATE_MESSAGE and the mechListMIC sent",
        )
    return Move(Outcome.DONE, token, updates, "NTLM AUTHENTICATE_MESSAGE sent")


def _ntlm_client_mech_list_mic(
    world: World, package: Package, cred: CredRecord, ctx: ContextRecord, checked: Frame, requested: int,
    target: object, bindings: bytes | None,
) -> Move:
    """Negotiate's last client leg (RFC 4178 5): the server's accept-completed NegTokenResp and its
    mechListMIC, checked with the receiving key (SeqNum 0). Interpretation: a missing or wrong
    mechListMIC is an invalid token (SEC_E_INVALID_TOKEN, which InitializeSecurityContext
    documents); the context stays where it was."""
    answer = _spnego_resp(checked, "the server's last NegTokenResp")
    if isinstance(answer, str):
        return Move(Outcome.BAD_TOKEN, detail=answer)
    if answer.neg_state != spnego.ACCEPT_COMPLETED:
        return Move(Outcome.BAD_TOKEN, detail=f"SPNEGO negState {_neg_state(answer)}, expected accept-completed")
    protection = ctx.ntlm.copy() if isinstance(ctx.ntlm, ntlm_wire.Protection) else None
    if protection is None or ctx.spnego is None:
        return Move(Outcome.BAD_TOKEN, detail="the context holds no NTLM keys to check a mechListMIC with")
    if ctx.established:
        # Observed contract (contexts.py, isc.negotiate_ntlm_ok): the client completed with its
        # AUTHENTICATE leg and may have used its keys since. The server made its mechListMIC with
        # its sending stream fresh, so it is checked with a fresh receiving stream (a copy); the
        # context's own streams and sequence numbers stay as they are.
        fresh = ntlm_wire.Protection(
            protection.flags, protection.exported_session_key, protection.is_client, (protection.send.position, 0)
        )
        why = _check_mech_list_mic(fresh, ctx.spnego, answer.mech_list_mic)
        if why:
            return Move(Outcome.BAD_TOKEN, detail=f"the server's {why}")
        return Move(
            Outcome.DONE,
            None,
            (("spnego", None),),
            "SPNEGO accept-completed after the client completed: the server's mechListMIC verified",
        )
    why = _check_mech_list_mic(protection, ctx.spnego, answer.mech_list_mic)
    if why:
        return Move(Outcome.BAD_TOKEN, detail=f"the server's {why}")
    return Move(
        Outcome.DONE,
        None,
        (("ntlm", protection), ("recv_seq", 1), ("spnego", None)),
        "SPNEGO accept-completed: the server's mechListMIC verified",
    )


def _neg_state(token: spnego.NegTokenResp) -> str:
    return "absent" if token.neg_state is None else spnego.NEG_STATES[token.neg_state]


def _spnego_resp(frame: Frame, what: str) -> spnego.NegTokenResp | str:
    """The NegTokenResp a frame of a SPNEGO context came in, or why it is not one."""
    if frame.package != NEGOTIATE.rpc_id:
        return f"a bare NTLM message where {what} (SPNEGO) was expected"
    token = frame.spnego  # tokens.parse decoded it
    if token is None:  # a Frame that tokens.parse did not make
        try:
            token = spnego.decode(frame.raw)
        except spnego.SpnegoError as e:
            return f"{what}: {e}"
    if not isinstance(token, spnego.NegTokenResp):
        return f"a NegTokenInit where {what} was expected"
    if token.neg_state == spnego.REJECT:
        return f"{what} says reject"
    return token


def _restart(protection: ntlm_wire.Protection, outgoing: bool) -> None:
    """After a mechListMIC, the direction's RC4 stream starts over from its key (MS-SPNG 3.1.5.1)."""
    if outgoing:
        protection.send = ntlm_wire.Stream(protection.send.key)
    else:
        protection.recv = ntlm_wire.Stream(protection.recv.key)


def _check_mech_list_mic(protection: ntlm_wire.Protection, mech_types: bytes, mic: bytes | None) -> str:
    """'' when ``mic`` is NTLM's signature (SeqNum 0) of ``mech_types``; the receiving stream then
    starts over. Else why not."""
    if mic is None:
        return "NegTokenResp has no mechListMIC (NTLM with a MIC requires one, MS-SPNG 3.1.5.1)"
    outcome, seq = protection.check(mech_types, mic)
    if outcome != "ok" or seq != 0:
        return f"mechListMIC does not verify ({outcome}, SeqNum {seq})"
    _restart(protection, outgoing=False)
    return ""


_NO_BINDINGS = bytes(16)  # the Bnd of a Kerberos client without channel bindings (RFC 4121 4.1.1)


def _kerberos_client_ap_req(
    world: World, package: Package, cred: CredRecord, ctx: None, frame: object, requested: int,
    target: str | None, bindings: bytes | None,
) -> Move:
    if not world.authority.online:
        return Move(Outcome.NO_AUTHORITY, detail=f"the KDC {world.authority.name} is unreachable")
    service = world.spn_owner(target)
    if service is None:
        return Move(Outcome.TARGET_UNKNOWN, detail=f"no service principal {target!r} in the domain")
    client = world.principal(cred.account)
    if client is None or client.secret != cred.secret:
        return Move(Outcome.LOGON_DENIED, detail="the KDC rejected the client's pre-authentication")
    conversation = world.peek_conversation()
    attrs = granted(KERBEROS, requested)
    mutual = 1 if requested & ISC_REQ_MUTUAL_AUTH else 0
    token = tokens.build(
        world.key,
        Kind.KERB_AP_REQ,
        package.rpc_id,
        conversation,
        [
            client.qualified,
            service.qualified,
            _service_proof(world, service.qualified, service.secret, conversation),
            attrs,
            mutual,
            # RFC 4121 4.1.1: the authenticator checksum's Bnd is the MD5 of the channel
            # bindings (the caller's SEC_CHANNEL_BINDINGS in pInput); zeros without them. It
            # travels inside the frame's MAC, as the real one inside the encrypted authenticator.
            _NO_BINDINGS if bindings is None else bindings,
        ],
    )
    updates = (
        ("mech", "Kerberos"),
        ("conversation", conversation),
        ("requested", requested),
        ("attributes", attrs),
        ("client", client.qualified),
        ("server", service.qualified),
        ("session_key", session_key(world, "Kerberos", conversation, None)),
    )
    if mutual:
        return Move(Outcome.CONTINUE, token, updates, "AP-REQ sent, waiting for AP-REP")
    return Move(Outcome.DONE, token, updates, "AP-REQ sent")


def _kerberos_client_ap_rep(
    world: World, package: Package, cred: CredRecord, ctx: ContextRecord, checked: Frame, requested: int,
    target: object, bindings: bytes | None,
) -> Move:
    if checked.conversation != ctx.conversation:
        return Move(Outcome.CROSS_CONTEXT, detail="AP-REP belongs to another handshake")
    fields = _fields(checked, 1)
    if fields is None or not isinstance(fields[0], str):
        return Move(Outcome.BAD_TOKEN, detail="AP-REP payload malformed")
    if checked.kind is Kind.KERB_ERROR:
        return Move(Outcome.WRONG_PRINCIPAL, detail=f"KRB-ERROR from the server: {fields[0]}")
    if fields[0].lower() != (ctx.server or "").lower():
        return Move(Outcome.WRONG_PRINCIPAL, detail=f"AP-REP from {fields[0]}, expected {ctx.server}")
    return Move(Outcome.DONE, None, (("attributes", ctx.attributes | ISC_REQ_MUTUAL_AUTH),), "AP-REP verified")


def _digest_client_response(
    world: World, package: Package, cred: CredRecord, ctx: None, checked: Frame, requested: int,
    target: object, bindings: bytes | None,
) -> Move:
    fields = _fields(checked, 1)
    if fields is None or not isinstance(fields[0], bytes):
        return Move(Outcome.BAD_TOKEN, detail="Digest challenge payload malformed")
    nonce = fields[0]
    account = cred.account or ""
    mutual = 1 if requested & ISC_REQ_MUTUAL_AUTH else 0
    attrs = granted(DIGEST, requested)
    token = tokens.build(
        world.key,
        Kind.DIGEST_RESPONSE,
        DIGEST.rpc_id,
        checked.conversation,
        [account, _proof(world, account, cred.secret or "", nonce), attrs, mutual],
        unsealed=True,
    )
    updates = (
        ("mech", "Digest"),
        ("conversation", checked.conversation),
        ("requested", requested),
        ("challenge", nonce),
        ("attributes", attrs),
        ("client", account),
        ("session_key", session_key(world, "Digest", checked.conversation, nonce)),
    )
    if mutual:
        return Move(Outcome.COMPLETE_AND_CONTINUE, token, updates, "response sent, unsealed")
    return Move(Outcome.COMPLETE_NEEDED, token, updates, "response sent, unsealed")


def _digest_client_rspauth(
    world: World, package: Package, cred: CredRecord, ctx: ContextRecord, checked: Frame, requested: int,
    target: object, bindings: bytes | None,
) -> Move:
    if checked.conversation != ctx.conversation:
        return Move(Outcome.CROSS_CONTEXT, detail="rspauth belongs to another handshake")
    return Move(Outcome.DONE, None, (("attributes", ctx.attributes | ISC_REQ_MUTUAL_AUTH),), "rspauth ok")


# -- server steps (AcceptSecurityContext) -------------------------------------------------------


def accept_leg(
    world: World,
    package: Package,
    cred: CredRecord,
    ctx: ContextRecord | None,
    frame: Frame | Bad | None,
    requested: int,
    bindings: bytes | None = None,
) -> Leg:
    """The server's next leg. ``requested`` is in the internal (ISC) numbering; ``bindings``: the
    MD5 of the caller's SEC_CHANNEL_BINDINGS in pInput, or None."""
    wire_ids = _wire_ids(package)
    if ctx is not None:
        mech = ctx.mech
    elif package.name == "Digest":
        mech = "Digest"
    else:
        selected = _server_mech(package, frame, wire_ids)
        if selected is None:
            checked = _check_input(frame, _FIRST_KINDS[package.name], wire_ids, State.INITIAL)
            return (
                checked
                if isinstance(checked, Leg)
                else Leg(Outcome.BAD_TOKEN, State.INITIAL, detail="unexpected token")
            )
        if package.name == "Negotiate" and selected not in package_list.allowed(cred):
            # Interpretation: the server's PackageList restricts its Negotiate as the client's
            # does; a first token of a package the list keeps out is one this server does not
            # take (SEC_E_INVALID_TOKEN, as a token of another package).
            return Leg(
                Outcome.BAD_TOKEN,
                State.INITIAL,
                detail=f"a {selected} token; the credentials' PackageList keeps {selected} out",
            )
        mech = selected
    return _run(world, package, cred, ctx, frame, requested, None, mech, Role.SERVER, wire_ids, bindings)


_FIRST_KINDS = {
    "NTLM": (Kind.NTLM_NEGOTIATE,),
    "Kerberos": (Kind.KERB_AP_REQ,),
    "Negotiate": (Kind.KERB_AP_REQ, Kind.NTLM_NEGOTIATE),
    "Digest": (),
}


def _wire_ids(package: Package) -> tuple[int, ...]:
    # A Negotiate server also takes the bare tokens of the packages it negotiates.
    if package.name == "Negotiate":
        return (NEGOTIATE.rpc_id, KERBEROS.rpc_id, NTLM.rpc_id)
    return (package.rpc_id,)


def _server_mech(package: Package, frame: Frame | Bad | None, wire_ids: tuple[int, ...]) -> str | None:
    """The mechanism a first server leg takes ``frame`` for (``wire_ids``: _wire_ids(package))."""
    if not isinstance(frame, Frame) or frame.package not in wire_ids:
        return None
    if frame.kind is Kind.NTLM_NEGOTIATE and package.name in ("NTLM", "Negotiate"):
        return "NTLM"
    if frame.kind is Kind.KERB_AP_REQ and package.name in ("Kerberos", "Negotiate"):
        return "Kerberos"
    return None


def _authority_check(world: World, account: str) -> Move | None:
    if not world.authority.online:
        return Move(
            Outcome.NO_AUTHORITY,
            detail=f"{account}: the authority {world.authority.name} that validates it is unreachable",
        )
    return None


def _ntlm_server_challenge(
    world: World, package: Package, cred: CredRecord, ctx: None, checked: Frame, requested: int,
    target: object, bindings: bytes | None,
) -> Move:
    conversation = world.peek_conversation()
    me = world.principal(cred.account)
    session = ServerSession(
        accounts=lambda user, domain: _ntlm_password(world, user, domain),
        random=ntlm_wire.random_source(world, conversation, "server"),
        clock=lambda: world.clock.now,
        nb_domain=world.domain,
        nb_computer=(me.account if me is not None else "SERVER").rstrip("$").upper(),
        dns_domain=world.dns_domain,
        dns_computer=f"{(me.account if me is not None else 'server').rstrip('$').lower()}.{world.dns_domain}",
    )
    mech_types: bytes | None = None
    if checked.package == NEGOTIATE.rpc_id:
        # SPNEGO (RFC 4178 4.2.1): the optimistic mechToken is for the first mechanism listed.
        # Interpretation: the model's Negotiate server takes NTLM only, and only as the first
        # mechanism (a client preferring another would need a round without a token).
        init = checked.spnego if checked.spnego is not None else spnego.decode(checked.raw)
        if not isinstance(init, spnego.NegTokenInit):
            return Move(Outcome.BAD_TOKEN, detail="a NegTokenResp where the client's NegTokenInit was expected")
        if init.mech_types[0] != spnego.NTLM_OID:
            return Move(
                Outcome.BAD_TOKEN,
                detail=f"SPNEGO mechTypes {', '.join(init.mech_types)}: the model's Negotiate server takes NTLM first",
            )
        mech_types = init.mech_types_der
    try:
        token = session.challenge(checked.payload)
    except NtlmError as e:
        return Move(Outcome.BAD_TOKEN, detail=f"NEGOTIATE_MESSAGE refused: {e}")
    challenge = session.challenge_message
    updates: tuple[tuple[str, object], ...] = (
        ("mech", "NTLM"),
        ("conversation", conversation),
        ("challenge", challenge[24:32] if challenge else None),
        ("requested", requested),
        ("ntlm", session),
    )
    if mech_types is not None:
        return Move(
            Outcome.CONTINUE,
            spnego.encode_resp(spnego.ACCEPT_INCOMPLETE, spnego.NTLM_OID, token),
            (*updates, ("spnego", mech_types)),
            "SPNEGO NegTokenResp (accept-incomplete, NTLM) with the NTLM CHALLENGE_MESSAGE sent",
        )
    return Move(Outcome.CONTINUE, token, updates, "NTLM CHALLENGE_MESSAGE sent")


def _ntlm_password(world: World, user: str, domain: str) -> str | None:
    """The password of the account an AUTHENTICATE_MESSAGE names (the authority's lookup)."""
    principal = world.principal(user, domain or world.domain)
    if principal is None and domain and domain.lower() == world.dns_domain.lower():
        principal = world.principal(user)
    return principal.secret if principal is not None else None


def _ntlm_server_verify(
    world: World, package: Package, cred: CredRecord, ctx: ContextRecord, checked: Frame, requested: int,
    target: object, bindings: bytes | None,
) -> Move:
    session = copy.copy(ctx.ntlm)
    if not isinstance(session, ServerSession):
        return Move(Outcome.BAD_TOKEN, detail="the context holds no NTLM server handshake")
    answer: spnego.NegTokenResp | None = None
    if ctx.spnego is not None:
        answer_or_why = _spnego_resp(checked, "the client's NegTokenResp")
        if isinstance(answer_or_why, str):
            return Move(Outcome.BAD_TOKEN, detail=answer_or_why)
        answer = answer_or_why
    # Domain accounts are validated by the domain controller (pass-through authentication).
    unreachable = _authority_check(world, "the client")
    if unreachable is not None:
        return unreachable
    # The server's SEC_CHANNEL_BINDINGS, beside the AUTHENTICATE in pInput: the client's
    # MsvAvChannelBindings must match them. Interpretation: a client that sent none (no AV pair, or
    # zeros) is let through, as Windows' SEC_CHANNEL_BINDINGS_RESULT_ABSENT is not a failure unless
    # the application requires bindings (MS-NLMP 3.2.1.2 ApplicationRequiresCBT, not modelled).
    session.channel_bindings_digest = bindings
    session.allow_missing_bindings = True
    try:
        user = session.accept(checked.payload)
    except LogonDenied as e:
        return Move(Outcome.LOGON_DENIED, detail=str(e))
    except ChannelBindingsMismatch as e:
        return Move(Outcome.BAD_BINDINGS, detail=f"AUTHENTICATE_MESSAGE refused: {e}")
    except NtlmError as e:
        # Malformed, a MIC that does not cover the three messages (a message altered in
        # transit), or flags that drop extended session security.
        return Move(Outcome.BAD_TOKEN, detail=f"AUTHENTICATE_MESSAGE refused: {e}")
    assert session.exported_session_key is not None
    principal = world.principal(user.user, user.domain) or world.principal(user.user)
    qualified = principal.qualified if principal is not None else f"{user.domain}\\{user.user}"
    attrs = server_attributes(NTLM, ntlm_wire.attributes_of(session.flags), requested)
    protection = ntlm_wire.Protection(session.flags, session.exported_session_key, is_client=False)
    updates: tuple[tuple[str, object], ...] = (
        ("client", qualified),
        ("server", cred.account),
        ("attributes", attrs),
        ("session_key", session.exported_session_key),
        ("ntlm", protection),
        # The SPN the client put in its AUTHENTICATE_MESSAGE (MsvAvTargetName, MS-NLMP 2.2.2.1):
        # what SECPKG_ATTR_CLIENT_SPECIFIED_TARGET answers on this server context.
        ("target", user.target_name),
    )
    if answer is not None and ctx.spnego is not None:
        # RFC 4178 5 / MS-SPNG 3.1.5.1: the client's mechListMIC must verify (Interpretation: a
        # missing or wrong one is an invalid token, SEC_E_INVALID_TOKEN, which
        # AcceptSecurityContext documents; the context stays where it was), then the server
        # sends its own, and accept-completed.
        why = _check_mech_list_mic(protection, ctx.spnego, answer.mech_list_mic)
        if why:
            return Move(Outcome.BAD_TOKEN, detail=f"the client's {why}")
        mic = protection.sign(0, ctx.spnego)
        _restart(protection, outgoing=True)
        return Move(
            Outcome.DONE,
            spnego.encode_resp(spnego.ACCEPT_COMPLETED, mech_list_mic=mic),
            (*updates, ("send_seq", 1), ("recv_seq", 1), ("spnego", None)),
            f"NTLM AUTHENTICATE_MESSAGE of {qualified} and the mechListMIC verified; SPNEGO accept-completed sent",
        )
    return Move(Outcome.DONE, None, updates, f"NTLM AUTHENTICATE_MESSAGE of {qualified} verified")


def _kerberos_server_ap_req(
    world: World, package: Package, cred: CredRecord, ctx: None, checked: Frame, requested: int,
    target: object, bindings: bytes | None,
) -> Move:
    fields = _fields(checked, 6)
    if (
        fields is None
        or not isinstance(fields[0], str)
        or not isinstance(fields[1], str)
        or not isinstance(fields[2], bytes)
        or not isinstance(fields[3], int)
        or not isinstance(fields[4], int)
        or not isinstance(fields[5], bytes)
        or len(fields[5]) != len(_NO_BINDINGS)
    ):
        return Move(Outcome.BAD_TOKEN, detail="AP-REQ payload malformed")
    client, service, proof, client_attrs, mutual, sent_bindings = (
        str(fields[0]),
        str(fields[1]),
        fields[2],
        fields[3],
        fields[4],
        fields[5],
    )
    me = world.principal(cred.account)
    if me is None or proof != _service_proof(world, me.qualified, me.secret, checked.conversation):
        # The ticket is encrypted for another service account: the server cannot read it and
        # answers with a KRB-ERROR (KRB_AP_ERR_MODIFIED) that the client turns into
        # SEC_E_WRONG_PRINCIPAL.
        error = tokens.build(
            world.key, Kind.KERB_ERROR, checked.package, checked.conversation, ["KRB_AP_ERR_MODIFIED"]
        )
        return Move(Outcome.WRONG_SERVICE, error, detail=f"ticket for {service}, this server is {cred.account}")
    if checked.raw in world.replay_cache:
        return Move(Outcome.REPLAY, detail="authenticator already seen (replay)")
    # The server's SEC_CHANNEL_BINDINGS, beside the AP-REQ in pInput: the Bnd of the client's
    # authenticator checksum must be their MD5. Interpretation, as for NTLM: a client that sent
    # none (Bnd all zeros) is let through, as MIT krb5's acceptor does unless the client asserts
    # KERB_AP_OPTIONS_CBT (not modelled); Bnd of other bindings is refused.
    if bindings is not None and sent_bindings not in (bindings, _NO_BINDINGS):
        return Move(
            Outcome.BAD_BINDINGS,
            detail="AP-REQ refused: the Bnd of its authenticator checksum is not the MD5 of the server's "
            "channel bindings",
        )
    attrs = server_attributes(KERBEROS, int(client_attrs), requested)
    updates: tuple[tuple[str, object], ...] = (
        ("mech", "Kerberos"),
        ("conversation", checked.conversation),
        ("requested", requested),
        ("client", client),
        ("server", me.qualified),
        ("session_key", session_key(world, "Kerberos", checked.conversation, None)),
        ("replay", checked.raw),
    )
    if mutual:
        reply = tokens.build(world.key, Kind.KERB_AP_REP, checked.package, checked.conversation, [me.qualified])
        return Move(
            Outcome.DONE, reply, (*updates, ("attributes", attrs | ISC_REQ_MUTUAL_AUTH)), "AP-REQ accepted, AP-REP sent"
        )
    return Move(Outcome.DONE, None, (*updates, ("attributes", attrs)), "AP-REQ accepted")


def _digest_server_challenge(
    world: World, package: Package, cred: CredRecord, ctx: None, frame: object, requested: int,
    target: object, bindings: bytes | None,
) -> Move:
    # The server speaks first: its challenge needs no input. An input token on the first
    # call is ignored, as HTTP Digest servers ignore an unsolicited Authorization header.
    conversation = world.peek_conversation()
    nonce = world.derive("nonce", conversation)[:16]
    token = tokens.build(world.key, Kind.DIGEST_CHALLENGE, DIGEST.rpc_id, conversation, [nonce], unsealed=True)
    return Move(
        Outcome.COMPLETE_AND_CONTINUE,
        token,
        (
            ("mech", "Digest"),
            ("conversation", conversation),
            ("challenge", nonce),
            ("requested", requested),
        ),
        "challenge sent, unsealed",
    )


def _digest_server_verify(
    world: World, package: Package, cred: CredRecord, ctx: ContextRecord, checked: Frame, requested: int,
    target: object, bindings: bytes | None,
) -> Move:
    if checked.conversation != ctx.conversation:
        return Move(Outcome.CROSS_CONTEXT, detail="response belongs to another handshake")
    fields = _fields(checked, 4)
    if fields is None or not isinstance(fields[0], str) or not isinstance(fields[1], bytes):
        return Move(Outcome.BAD_TOKEN, detail="Digest response payload malformed")
    account, proof, client_attrs, mutual = str(fields[0]), fields[1], fields[2], fields[3]
    unreachable = _authority_check(world, account)
    if unreachable is not None:
        return unreachable
    principal = world.principal(account)
    if principal is None or proof != _proof(world, account, principal.secret, ctx.challenge or b""):
        return Move(Outcome.LOGON_DENIED, detail=f"{account}: unknown user or bad password")
    attrs = server_attributes(DIGEST, int(client_attrs), requested)
    updates = (
        ("client", principal.qualified),
        ("server", cred.account),
        ("attributes", attrs | (ISC_REQ_MUTUAL_AUTH if mutual else 0)),
        ("session_key", session_key(world, "Digest", ctx.conversation, ctx.challenge)),
    )
    if mutual:
        reply = tokens.build(
            world.key,
            Kind.DIGEST_RSPAUTH,
            DIGEST.rpc_id,
            ctx.conversation,
            [principal.qualified],
            unsealed=True,
        )
        return Move(Outcome.COMPLETE_NEEDED, reply, updates, "rspauth sent, unsealed")
    return Move(Outcome.DONE, None, updates, "response verified")


# The package code of each row of the transition table (checked: one function per row).
_STEPS: dict[tuple[str, Role, State], StepFn] = {
    ("NTLM", Role.CLIENT, State.INITIAL): _ntlm_client_negotiate,
    ("NTLM", Role.SERVER, State.INITIAL): _ntlm_server_challenge,
    ("NTLM", Role.CLIENT, State.SENT_NEGOTIATE): _ntlm_client_authenticate,
    ("NTLM", Role.SERVER, State.SENT_CHALLENGE): _ntlm_server_verify,
    ("NTLM", Role.CLIENT, State.AWAITING_MIC): _ntlm_client_mech_list_mic,
    ("Kerberos", Role.CLIENT, State.INITIAL): _kerberos_client_ap_req,
    ("Kerberos", Role.SERVER, State.INITIAL): _kerberos_server_ap_req,
    ("Kerberos", Role.CLIENT, State.AWAITING_AP_REP): _kerberos_client_ap_rep,
    ("Digest", Role.SERVER, State.INITIAL): _digest_server_challenge,
    ("Digest", Role.CLIENT, State.INITIAL): _digest_client_response,
    ("Digest", Role.SERVER, State.SENT_CHALLENGE): _digest_server_verify,
    ("Digest", Role.CLIENT, State.AWAITING_RSPAUTH): _digest_client_rspauth,
}
if set(_STEPS) != {(t.mech, t.role, t.state) for t in TRANSITIONS}:
    raise ValueError("packages: the step functions do not match the rows of the transition table")
# Compiled once: each row of the transition table (handshake.transition) with its step function,
# for _run's one lookup.
_ROWS: dict[tuple[str, Role, State], tuple[Transition, StepFn]] = {
    key: (row, _STEPS[key]) for key, row in ((key, transition(*key)) for key in _STEPS) if row is not None
}
