"""The fast paths of the message functions (exact types tested before any isinstance, one XOR for
a sealed message and its checksum, SecBuffer's written-out __init__) give what the code they
replaced gave, for every input.

The reference implementations below are the code as it stood at commit 390975a (before the speed
changes), kept here as oracles: each comparison fails if the current code ever answers differently
(a value, its type, or the contract violation it raises: parameter, text and the value named).
"""

from __future__ import annotations

import enum
import hmac
from types import SimpleNamespace
from typing import Any

import pytest
from attrs import define, evolve, field
from hypothesis import given, settings
from hypothesis import strategies as st

from sspimodel._generated.status import Status
from sspimodel.api import Sspi
from sspimodel.model import default_world, messages, ntlm_wire
from sspimodel.model.buffers import SecBuffer, SecBufferDesc
from sspimodel.model.common import ctx_record, is_null_handle
from sspimodel.model.constants import (
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_REPLAY_DETECT,
    ISC_REQ_SEQUENCE_DETECT,
    SECBUFFER_DATA,
    SECBUFFER_TOKEN,
    SECPKG_ATTR_SIZES,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
    SECURITY_NATIVE_DREP,
)
from sspimodel.model.drive import acquire
from sspimodel.model.errors import ContractViolation
from sspimodel.model.handles import AllocatedBytes, CredHandle, CtxtHandle, Ref
from sspimodel.model.rules import Call
from sspimodel.ntlm.messages import FLAG

# -- the code at 390975a ------------------------------------------------------------------------


def old_message(c: Any) -> SecBufferDesc:
    facts = c.facts
    desc = facts.get("message")
    if desc is None:
        desc = c.a.pMessage
        if isinstance(desc, Ref):
            desc = desc.value
        if not isinstance(desc, SecBufferDesc):
            raise c.violation("pMessage", f"expected a SecBufferDesc, got {type(desc).__name__}", desc)
        facts["message"] = desc
    return desc


def old_seq_no(c: Any) -> int:
    facts = c.facts
    value = facts.get("seq_no")
    if value is None:
        value = c.a.MessageSeqNo
        if isinstance(value, Ref):
            value = value.value
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
            raise c.violation("MessageSeqNo", "expected an unsigned 32-bit sequence number (0: none)", value)
        facts["seq_no"] = value
    return value


def old_qop(c: Any) -> int:
    facts = c.facts
    qop = facts.get("qop")
    if qop is None:
        value = c.a.fQOP
        if isinstance(value, Ref):
            value = value.value
        if isinstance(value, bool) or not isinstance(value, int):
            raise c.violation("fQOP", "expected package-defined quality-of-protection flags (an int)", value)
        qop = facts["qop"] = int(value)
    return qop


_OLD_HANDLE_TYPES = (CredHandle, CtxtHandle)


def old_is_null_handle(value: Any) -> bool:
    if isinstance(value, Ref):
        value = value.value
    return value is None or (
        isinstance(value, _OLD_HANDLE_TYPES) and value.dwLower == 0 and value.dwUpper == 0
    )


def old_ctx_record(c: Any, value: Any) -> Any:
    if isinstance(value, Ref):
        value = value.value
    if type(value) is not CtxtHandle:
        return None
    record = c.process.contexts.get(value.dwLower)
    if record is None or (record.handle is not value and record.handle != value):
        return None
    return record


@define(repr=False, eq=False, slots=True)
class OldSecBuffer:
    BufferType: int
    pvBuffer: bytes | None = None
    cbBuffer: int = field(default=-1)

    def __attrs_post_init__(self) -> None:
        cb = self.cbBuffer
        if cb < 0 if type(cb) is int else isinstance(cb, int) and not isinstance(cb, bool) and cb < 0:
            data = self.pvBuffer
            if data is None:
                self.cbBuffer = 0
            elif isinstance(data, bytes | bytearray):
                self.cbBuffer = len(data)


def old_unseal_check(p: ntlm_wire.Protection, sealed: bytes, signature: bytes) -> tuple[bytes, str, int]:
    n = len(sealed)
    if len(signature) != ntlm_wire.SIGNATURE_SIZE or signature[:4] != ntlm_wire._VERSION:
        return p.unseal_peek(sealed), "bad_token", 0
    if p.key_exchange:
        stream = p.recv.peek(n + 8)
        plain = ntlm_wire._xor(sealed, stream[:n]) if n else b""
        return (plain, *p._check(plain, signature, stream[n:]))
    plain = p.unseal_peek(sealed)
    return (plain, *p._check(plain, signature, b""))


# -- odd values ---------------------------------------------------------------------------------


class Small(enum.IntEnum):
    ZERO = 0
    FIVE = 5
    TOP = 0xFFFFFFFF
    OVER = 0x1_0000_0000
    MINUS = -1


class Bits(enum.IntFlag):
    NONE = 0
    A = 1
    B = 0x8000_0000


class MyInt(int):
    pass


class SubDesc(SecBufferDesc):
    pass


class SubHandle(CtxtHandle):
    pass


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 0xFFFFFFFF, 0x1_0000_0000, -1, -(2**63), 2**64]),
    st.sampled_from([*Small, *Bits, Bits.A | Bits.B, Status.SEC_E_OK, Status.SEC_I_CONTINUE_NEEDED]),
    st.sampled_from([SECPKG_ATTR_SIZES, MyInt(7), MyInt(-3), MyInt(2**40)]),
    st.floats(allow_nan=False),
    st.text(max_size=2),
    st.binary(max_size=2),
)


def refs(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The value, a Ref holding it, or a Ref holding a Ref holding it."""
    return st.one_of(inner, inner.map(Ref), inner.map(lambda v: Ref(Ref(v))), st.just(Ref()))


class FakeCall:
    """What the message fact functions read of a Call: the arguments, the facts, violation()."""

    violation = Call.violation

    def __init__(self, **arguments: Any) -> None:
        self.a = SimpleNamespace(**arguments)
        self.facts: dict[str, Any] = {}
        self.process = SimpleNamespace(contexts={})


def outcome(function: Any, *args: Any) -> tuple[Any, ...]:
    """What a call gives: ("value", the value, its exact type) or ("violation", its fields)."""
    try:
        value = function(*args)
    except ContractViolation as e:
        return ("violation", e.parameter, e.problem, e.given if e.given is None else id(e.given))
    return ("value", value, type(value))


def same_for_both(old: Any, new: Any, make_call: Any) -> None:
    c_old, c_new = make_call(), make_call()
    assert outcome(new, c_new) == outcome(old, c_old)
    assert c_new.facts.keys() == c_old.facts.keys()
    for key in c_old.facts:
        assert c_new.facts[key] is c_old.facts[key] or (
            c_new.facts[key] == c_old.facts[key] and type(c_new.facts[key]) is type(c_old.facts[key])
        )


# -- EncryptMessage / DecryptMessage: the argument facts ------------------------------------------


@settings(max_examples=400, deadline=None)
@given(refs(SCALARS))
def test_seq_no_and_qop_answer_as_before_for_any_value(value: Any) -> None:
    same_for_both(old_seq_no, messages._seq_no, lambda: FakeCall(MessageSeqNo=value))
    same_for_both(old_qop, messages._qop, lambda: FakeCall(fQOP=value))


DESCS = st.one_of(
    SCALARS,
    st.builds(lambda: SecBufferDesc.message(b"data")),
    st.builds(lambda: SubDesc([SecBuffer(SECBUFFER_DATA, b"x")])),
    st.builds(lambda: SecBuffer(SECBUFFER_DATA, b"x")),
    st.builds(list),
)


@settings(max_examples=300, deadline=None)
@given(refs(DESCS))
def test_message_answers_as_before_for_any_value(value: Any) -> None:
    same_for_both(old_message, messages._message, lambda: FakeCall(pMessage=value))


def test_layout_keeps_secbuffer_subclasses_and_skips_other_objects() -> None:
    class Mine(SecBuffer):
        __slots__ = ()

    token, data = Mine(SECBUFFER_TOKEN, None, 64), Mine(SECBUFFER_DATA, b"abc")
    c = FakeCall(pMessage=SubDesc([token, "not a buffer", None, data]))
    data_buffers, plain, tokens, trailer, stream = messages._layout(c)
    assert data_buffers == plain == [data] and data_buffers[0] is data
    assert tokens == [token] and trailer is token and stream is None


# -- handles ----------------------------------------------------------------------------------------

HANDLES = st.one_of(
    SCALARS,
    st.builds(CtxtHandle, SCALARS, SCALARS),
    st.builds(CredHandle, SCALARS, SCALARS),
    st.builds(SubHandle, SCALARS, SCALARS),
    st.sampled_from([CtxtHandle(0, 0), CredHandle(0, 0), SubHandle(0, 0), CtxtHandle(Small.ZERO, False)]),
)


@settings(max_examples=400, deadline=None)
@given(refs(HANDLES))
def test_is_null_handle_answers_as_before(value: Any) -> None:
    assert is_null_handle(value) == old_is_null_handle(value)


@settings(max_examples=300, deadline=None)
@given(refs(HANDLES), st.booleans())
def test_ctx_record_answers_as_before(value: Any, registered: bool) -> None:
    c = FakeCall()
    inner = value.value if isinstance(value, Ref) else value
    if registered and isinstance(inner, CtxtHandle):
        try:
            c.process.contexts[inner.dwLower] = SimpleNamespace(handle=inner)
        except TypeError:  # an unhashable dwLower cannot be a key
            pass
    assert ctx_record(c, value) is old_ctx_record(c, value)


# -- SecBuffer.__init__ -------------------------------------------------------------------------

PAYLOADS = st.one_of(
    st.none(),
    st.binary(max_size=5),
    st.binary(max_size=5).map(bytearray),
    st.binary(max_size=5).map(memoryview),
    st.binary(max_size=5).map(lambda b: AllocatedBytes(b, 0x1000)),
    st.text(max_size=3),
    st.integers(),
)


def fields_of(buffer: Any) -> tuple[Any, ...]:
    return (buffer.BufferType, buffer.pvBuffer, buffer.cbBuffer, type(buffer.cbBuffer))


@settings(max_examples=400, deadline=None)
@given(SCALARS, PAYLOADS, st.one_of(st.just("default"), SCALARS))
def test_secbuffer_fields_are_as_before(buffer_type: Any, payload: Any, cb: Any) -> None:
    if cb == "default":
        new, old = SecBuffer(buffer_type, payload), OldSecBuffer(buffer_type, payload)
        assert fields_of(SecBuffer(BufferType=buffer_type, pvBuffer=payload)) == fields_of(old)
    else:
        new, old = SecBuffer(buffer_type, payload, cb), OldSecBuffer(buffer_type, payload, cb)
        assert fields_of(SecBuffer(cbBuffer=cb, pvBuffer=payload, BufferType=buffer_type)) == fields_of(old)
    assert fields_of(new) == fields_of(old)


@define(repr=False, eq=False, slots=True)
class TaggedBuffer(SecBuffer):
    """A SecBuffer subclass built with attrs, as an attrs class is subclassed."""

    tag: str = ""


@define(repr=False, eq=False, slots=True)
class OldTaggedBuffer(OldSecBuffer):
    tag: str = ""


def test_an_attrs_subclass_of_secbuffer_still_takes_its_length_from_its_bytes() -> None:
    assert fields_of(TaggedBuffer(SECBUFFER_TOKEN, b"abc")) == fields_of(
        OldTaggedBuffer(SECBUFFER_TOKEN, b"abc")
    )
    assert TaggedBuffer(SECBUFFER_TOKEN, b"abc", tag="t").cbBuffer == 3
    assert TaggedBuffer(SECBUFFER_TOKEN).cbBuffer == 0


def test_a_subclass_hook_is_still_run_by_the_constructor() -> None:
    class Hooked(SecBuffer):
        __slots__ = ()

        def __attrs_post_init__(self) -> None:
            super().__attrs_post_init__()
            self.cbBuffer += 100

    class OldHooked(OldSecBuffer):
        __slots__ = ()

        def __attrs_post_init__(self) -> None:
            super().__attrs_post_init__()
            self.cbBuffer += 100

    assert fields_of(Hooked(SECBUFFER_DATA, b"ab")) == fields_of(OldHooked(SECBUFFER_DATA, b"ab"))


def test_evolve_of_a_secbuffer_recomputes_nothing_it_was_given() -> None:
    buffer = SecBuffer(SECBUFFER_TOKEN, None, 64)
    assert fields_of(evolve(buffer, pvBuffer=b"xy", cbBuffer=2)) == (SECBUFFER_TOKEN, b"xy", 2, int)
    assert fields_of(evolve(buffer, pvBuffer=b"xyz", cbBuffer=-1)) == (SECBUFFER_TOKEN, b"xyz", 3, int)


# -- NTLM's DecryptMessage check --------------------------------------------------------------------

_BASE_FLAGS = int(FLAG.NTLMSSP_NEGOTIATE_128 | FLAG.NTLMSSP_NEGOTIATE_SEAL | FLAG.NTLMSSP_NEGOTIATE_SIGN)


def pair(key_exchange: bool) -> tuple[ntlm_wire.Protection, ntlm_wire.Protection]:
    flags = _BASE_FLAGS | (int(FLAG.NTLMSSP_NEGOTIATE_KEY_EXCH) if key_exchange else 0)
    key = bytes(range(16))
    return ntlm_wire.Protection(flags, key, True), ntlm_wire.Protection(flags, key, False)


SIGNATURE_EDITS = st.one_of(
    st.just(None),  # as sealed
    st.tuples(st.integers(0, 15), st.integers(1, 255)),  # one byte flipped
    st.integers(0, 15),  # cut short to this many bytes
    st.binary(min_size=16, max_size=16),  # anything else of the right size
    st.just("long"),  # a byte too many
)


def edited(signature: bytes, edit: Any) -> bytes:
    if edit is None:
        return signature
    if edit == "long":
        return signature + b"\0"
    if isinstance(edit, tuple):
        at, mask = edit
        return signature[:at] + bytes([signature[at] ^ mask]) + signature[at + 1 :]
    if isinstance(edit, int):
        return signature[:edit]
    return edit


@settings(max_examples=300, deadline=None)
@given(
    st.booleans(),
    st.lists(
        st.tuples(st.binary(max_size=40), SIGNATURE_EDITS, st.integers(0, 0xFFFFFFFF)), min_size=1, max_size=5
    ),
    st.sampled_from([bytes, bytearray]),
)
def test_unseal_check_answers_as_before_and_uses_the_stream_alike(
    key_exchange: bool, messages_sent: list[tuple[bytes, Any, int]], kind: type
) -> None:
    client, new_side = pair(key_exchange)
    _client, old_side = pair(key_exchange)
    for data, edit, seq in messages_sent:
        sealed, signature = client.seal(seq, data)
        signature = edited(signature, edit)
        sealed_in = kind(sealed)
        new = new_side.unseal_check(sealed_in, signature)
        old = old_unseal_check(old_side, sealed_in, signature)
        assert new == old and type(new[0]) is type(old[0])
        if new[1] == "ok":
            # accept() (Stream.skip) uses the keystream as take() did
            new_side.accept(signature, len(sealed))
            old_side.recv.take(len(sealed) + (8 if old_side.key_exchange else 0))
            old_side.accepted[bytes(signature)] = None
        assert new_side.recv.position == old_side.recv.position
        assert new_side.recv.peek(600) == old_side.recv.peek(600)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 700)), max_size=12), st.integers(0, 300))
def test_stream_skip_moves_as_take_does(steps: list[tuple[bool, int]], start: int) -> None:
    key = bytes(range(16, 32))
    skipping, taking = ntlm_wire.Stream(key, start), ntlm_wire.Stream(key, start)
    for peek_first, n in steps:
        if peek_first:
            assert skipping.peek(n) == taking.peek(n)
        skipping.skip(n)
        taking.take(n)
        assert skipping.position == taking.position
        assert skipping.peek(40) == taking.peek(40)


def test_unseal_check_is_the_same_test_as_checking_the_decrypted_checksum() -> None:
    # The one-XOR form compares HMAC(plaintext) with the decrypted checksum; check it on a
    # message whose checksum bytes are all altered but its data is not.
    client, server = pair(True)
    sealed, signature = client.seal(0, b"payload")
    forged = signature[:4] + bytes(8) + signature[12:]
    assert server.unseal_check(sealed, forged)[1] == "altered"
    plain, result, seq = server.unseal_check(sealed, signature)
    assert (plain, result, seq) == (b"payload", "ok", 0)
    assert not hmac.compare_digest(forged, signature)


@pytest.mark.parametrize("key_exchange", [True, False])
def test_unseal_check_takes_a_memoryview_as_before(key_exchange: bool) -> None:
    client, new_side = pair(key_exchange)
    _client, old_side = pair(key_exchange)
    sealed, signature = client.seal(3, b"some data")
    assert new_side.unseal_check(memoryview(sealed), signature) == old_unseal_check(
        old_side, memoryview(sealed), signature
    )


# -- Negotiate's NTLM client under the observed contract: the same bytes, other statuses -----------

NOWHERE = "HTTP/nowhere.contoso.com"  # no service principal: Negotiate selects NTLM (SPNEGO)
SEALING = ISC_REQ_CONFIDENTIALITY | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT


class Peers:
    """A Negotiate client (process 100) and server (process 200) of one world, stepped by hand."""

    def __init__(self, contract: str, request: int = SEALING) -> None:
        self.world = default_world()
        self.cli, self.srv = (
            Sspi(self.world, 100, contract=contract),
            Sspi(self.world, 200, contract=contract),
        )
        self.ccred = acquire(self.cli, "Negotiate", SECPKG_CRED_OUTBOUND)
        self.scred = acquire(self.srv, "Negotiate", SECPKG_CRED_INBOUND)
        self.request = request
        self.cctx: Any = None
        self.sctx: Any = None

    def client(self, token: bytes | None) -> tuple[str, bytes]:
        out = SecBufferDesc.output(48256)
        r = self.cli.InitializeSecurityContextW(
            phCredential=self.ccred, phContext=self.cctx, pTargetName=NOWHERE, fContextReq=self.request,
            Reserved1=0, TargetDataRep=SECURITY_NATIVE_DREP, pInput=SecBufferDesc.token(token) if token else None,
            Reserved2=0, pOutput=out,
        )  # fmt: skip
        self.cctx = r.phNewContext or self.cctx
        return r.status.name, out.token_bytes or b""

    def server(self, token: bytes) -> tuple[str, bytes]:
        out = SecBufferDesc.output(48256)
        r = self.srv.AcceptSecurityContext(
            phCredential=self.scred, phContext=self.sctx, pInput=SecBufferDesc.token(token), fContextReq=0,
            TargetDataRep=SECURITY_NATIVE_DREP, pOutput=out,
        )  # fmt: skip
        self.sctx = r.phNewContext or self.sctx
        return r.status.name, out.token_bytes or b""

    def handshake(self) -> list[tuple[str, bytes]]:
        legs = [self.client(None)]
        legs.append(self.server(legs[-1][1]))
        legs.append(self.client(legs[-1][1]))
        legs.append(self.server(legs[-1][1]))
        legs.append(self.client(legs[-1][1]))
        return legs


def exchange(sender: Sspi, ctx: Any, receiver: Sspi, peer: Any, data: bytes) -> tuple[Any, ...]:
    """EncryptMessage then DecryptMessage, MakeSignature then VerifySignature: statuses and bytes."""
    msg = SecBufferDesc.message(data)
    sealed = sender.EncryptMessage(phContext=ctx, fQOP=0, pMessage=msg, MessageSeqNo=0).status.name
    wire = tuple(b.contents for b in msg.pBuffers)
    opened = receiver.DecryptMessage(phContext=peer, pMessage=msg, MessageSeqNo=0).status.name
    signed_msg = SecBufferDesc.message(data)
    signed = sender.MakeSignature(phContext=ctx, fQOP=0, pMessage=signed_msg, MessageSeqNo=0).status.name
    verified = receiver.VerifySignature(phContext=peer, pMessage=signed_msg, MessageSeqNo=0).status.name
    return sealed, wire, opened, msg.pBuffers[1].contents, signed, signed_msg.pBuffers[0].contents, verified


@pytest.mark.parametrize("request_flags", [SEALING, ISC_REQ_CONFIDENTIALITY], ids=["sequenced", "plain"])
def test_both_contracts_exchange_the_same_bytes_and_differ_only_in_the_authenticate_status(
    request_flags: int,
):
    runs = {}
    for contract in ("documented", "observed"):
        peers = Peers(contract, request_flags)
        legs = peers.handshake()
        messages_ = [
            exchange(peers.srv, peers.sctx, peers.cli, peers.cctx, b"to the client"),
            exchange(peers.cli, peers.cctx, peers.srv, peers.sctx, b"to the server"),
            exchange(peers.srv, peers.sctx, peers.cli, peers.cctx, b"again"),
        ]
        runs[contract] = (legs, messages_)
    (doc_legs, doc_msgs), (obs_legs, obs_msgs) = runs["documented"], runs["observed"]
    assert [token for _, token in doc_legs] == [token for _, token in obs_legs]
    assert [s for s, _ in doc_legs] == ["SEC_I_CONTINUE_NEEDED"] * 3 + ["SEC_E_OK"] * 2
    assert [s for s, _ in obs_legs] == ["SEC_I_CONTINUE_NEEDED"] * 2 + ["SEC_E_OK"] * 3
    assert doc_msgs == obs_msgs
    assert all(m[0] == m[2] == m[4] == m[6] == "SEC_E_OK" for m in obs_msgs)


def test_an_early_established_client_exported_and_imported_reads_the_servers_messages_from_seqnum_1():
    peers = Peers("observed")
    status, token = peers.client(peers.server(peers.client(None)[1])[1])
    assert status == "SEC_E_OK"
    assert peers.server(token)[0] == "SEC_E_OK"  # the server's last token is never handed to the client
    exported = peers.cli.ExportSecurityContext(phContext=peers.cctx, fFlags=0)
    assert exported.status.name == "SEC_E_OK"
    imported = peers.cli.ImportSecurityContextW(
        pszPackage="Negotiate", pPackedContext=exported.pPackedContext
    )
    assert imported.status.name == "SEC_E_OK"
    copy = imported.phContext
    msg = SecBufferDesc.message(b"first")
    assert (
        peers.srv.EncryptMessage(phContext=peers.sctx, fQOP=0, pMessage=msg, MessageSeqNo=0).status.name
        == "SEC_E_OK"
    )
    trailer = msg.pBuffers[0].contents
    assert int.from_bytes(trailer[12:16], "little") == 1  # the server's mechListMIC took SeqNum 0
    replay = SecBufferDesc.of(
        SecBuffer(SECBUFFER_TOKEN, trailer), SecBuffer(SECBUFFER_DATA, msg.pBuffers[1].contents)
    )
    assert peers.cli.DecryptMessage(phContext=copy, pMessage=msg, MessageSeqNo=0).status.name == "SEC_E_OK"
    assert msg.pBuffers[1].contents == b"first"
    assert peers.cli.DecryptMessage(phContext=copy, pMessage=replay, MessageSeqNo=0).status.name != "SEC_E_OK"
    back = exchange(peers.cli, copy, peers.srv, peers.sctx, b"reply")
    assert (back[0], back[2], back[3]) == ("SEC_E_OK", "SEC_E_OK", b"reply")
