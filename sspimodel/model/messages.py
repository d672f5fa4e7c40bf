"""Per-message protection: MakeSignature, VerifySignature, EncryptMessage, DecryptMessage.

Signatures and seal trailers are frames of :mod:`sspimodel.model.tokens` keyed with the
context's session key; the data MAC (keyed BLAKE2s) also covers the sender's side ("c"/"s") and the sequence
number, so a message signed by the wrong side, by another context, replayed or reordered is
caught. Encryption is a keystream XOR (keyed BLAKE2s in counter mode): a simulation, not cryptography.

Sequence numbers follow the pages: "When the transport application set the context up for
sequence detection and passes a sequence number, that number goes into the signature"; with
MessageSeqNo zero the package numbers messages itself. The receiver checks the number only when
the context has sequence or replay detection (ISC_REQ_SEQUENCE_DETECT / ISC_REQ_REPLAY_DETECT).
"""

from __future__ import annotations

from typing import Any

from . import tokens
from .buffers import SecBuffer, SecBufferDesc
from .common import CONTRACT_ERROR, NULL_HANDLE_ERRATA, ctx_record, fault_rules, is_null_handle, observed
from .constants import (
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_INTEGRITY,
    ISC_REQ_REPLAY_DETECT,
    ISC_REQ_SEQUENCE_DETECT,
    SECBUFFER_DATA,
    SECBUFFER_PADDING,
    SECBUFFER_READONLY,
    SECBUFFER_STREAM,
    SECBUFFER_STREAM_TRAILER,
    SECBUFFER_TOKEN,
    SECQOP_WRAP_NO_ENCRYPT,
)
from .handles import Ref
from .ntlm_wire import SIGNATURE_SIZE as NTLM_SIGNATURE_SIZE
from .ntlm_wire import Protection
from .rules import (
    Call,
    Citation,
    Errata,
    Interpretation,
    Rule,
    always,
    guarded,
    keyed,
    on,
    pick,
    register,
    unreachable,
)
from .tokens import Kind, Problem
from .world import ContextRecord

__all__ = ["SIGNATURE_SIZE", "TRAILER_SIZE", "decrypt_rules", "encrypt_rules", "sign_rules", "verify_rules"]

SECBUFFER_READONLY_WITH_CHECKSUM = 0x10000000
_SEQUENCED = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT
SIGNATURE_SIZE = len(tokens.build(bytes(32), Kind.SIGNATURE, 0, bytes(8), [0, bytes(16)]))
TRAILER_SIZE = len(tokens.build(bytes(32), Kind.SEAL, 0, bytes(8), [0, 0, bytes(16)]))
# The last sequence number a message token can carry: the frame's sequence field is 4 bytes
# (sspimodel.model.tokens). Interpretation: no page says what follows message 0xFFFFFFFF; the
# context's own count wraps to 0, as NTLM's SeqNum does (MS-NLMP 3.4.4: a 32-bit number), instead
# of growing past what the next token can carry.
_LAST_SEQ = 0xFFFFFFFF

NOT_ESTABLISHED = Interpretation(
    "What does a message function do with a context whose handshake has not finished?",
    "SEC_E_INVALID_HANDLE, as QueryContextAttributes documents for 'a context that is not yet complete'",
)


# -- facts ----------------------------------------------------------------------------------------
#
# Computed at most once per call and kept in ``c.facts``: several rules and the effect ask for
# the same context, message, sequence number and buffers. A fact that raises a
# ContractViolation is not kept, so it raises wherever it is first asked, as before.

_UNSET: Any = object()


def _ctx(c: Call) -> ContextRecord | None:
    facts = c.facts
    ctx = facts.get("ctx", _UNSET)
    if ctx is _UNSET:
        ctx = facts["ctx"] = ctx_record(c, c.a.phContext)
    return ctx


def _live_ctx(c: Call) -> ContextRecord:
    """``_live_ctx(c)`` in one call: the context the earlier rules checked to exist."""
    ctx = c.facts.get("ctx", _UNSET)
    if ctx is _UNSET:
        ctx = _ctx(c)
    assert ctx is not None, "rule order: a validity rule must come first"
    return ctx


def _message(c: Call) -> SecBufferDesc:
    facts = c.facts
    desc = facts.get("message")
    if desc is None:
        desc = c.a.pMessage
        if type(desc) is not SecBufferDesc:  # the usual value first: no isinstance calls
            if isinstance(desc, Ref):
                desc = desc.value
            if not isinstance(desc, SecBufferDesc):
                raise c.violation("pMessage", f"expected a SecBufferDesc, got {type(desc).__name__}", desc)
        facts["message"] = desc
    return desc


def _seq_no(c: Call) -> int:
    facts = c.facts
    value = facts.get("seq_no")
    if value is None:
        value = c.a.MessageSeqNo
        if type(value) is not int or not 0 <= value <= 0xFFFFFFFF:  # the usual value first
            if isinstance(value, Ref):
                value = value.value
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
                raise c.violation("MessageSeqNo", "expected an unsigned 32-bit sequence number (0: none)", value)
        facts["seq_no"] = value
    return value


def _qop(c: Call) -> int:
    facts = c.facts
    qop = facts.get("qop")
    if qop is None:
        value = c.a.fQOP
        if type(value) is not int:  # the usual value first
            if isinstance(value, Ref):
                value = value.value
            if isinstance(value, bool) or not isinstance(value, int):
                raise c.violation("fQOP", "expected package-defined quality-of-protection flags (an int)", value)
        qop = facts["qop"] = int(value)
    return qop


def _is_digest(c: Call) -> bool:
    facts = c.facts
    ctx = facts["ctx"] if "ctx" in facts else _ctx(c)  # the validity rules before it asked
    return ctx is not None and ctx.mech == "Digest"


def _side(role: str) -> bytes:
    return b"c" if role == "client" else b"s"


def _peer(role: str) -> bytes:
    return b"s" if role == "client" else b"c"


def _contents(buffer: SecBuffer) -> bytes:
    """SecBuffer.contents, without the property call (the hot paths read many buffers)."""
    data = buffer.pvBuffer
    return b"" if data is None else bytes(data)


def _layout(c: Call) -> tuple[list[SecBuffer], list[SecBuffer], list[SecBuffer], SecBuffer | None, SecBuffer | None]:
    """Sort the message's buffers in one pass (the rules and the effect ask for several kinds),
    kept as the fact ``layout``: (data, plain, tokens, trailer, stream), where

    - ``data``: the SECBUFFER_DATA buffers that are processed ("buffers carrying the
      SECBUFFER_READONLY_WITH_CHECKSUM attribute are not processed");
    - ``plain``: those of them without SECBUFFER_READONLY, which encryption changes;
    - ``tokens``: the SECBUFFER_TOKEN buffers;
    - ``trailer``: where a seal trailer goes or comes from: the first SECBUFFER_TOKEN, else the
      first SECBUFFER_PADDING, else the first SECBUFFER_STREAM_TRAILER (None: no such buffer);
    - ``stream``: the first SECBUFFER_STREAM, or None.
    """
    data: list[SecBuffer] = []
    plain: list[SecBuffer] = []
    token_buffers: list[SecBuffer] = []
    padding = stream_trailer = stream = None
    for b in _message(c).pBuffers:
        if type(b) is not SecBuffer and not isinstance(b, SecBuffer):  # the exact type first
            continue
        buffer_type = b.BufferType
        kind = buffer_type & 0x0FFFFFFF  # the base type, without the attribute bits
        if kind == SECBUFFER_DATA:
            if not buffer_type & SECBUFFER_READONLY_WITH_CHECKSUM:
                data.append(b)
                # "Buffers with the SECBUFFER_READONLY attribute are left alone."
                if not buffer_type & SECBUFFER_READONLY:
                    plain.append(b)
        elif kind == SECBUFFER_TOKEN:
            token_buffers.append(b)
        elif kind == SECBUFFER_PADDING:
            if padding is None:
                padding = b
        elif kind == SECBUFFER_STREAM_TRAILER:
            if stream_trailer is None:
                stream_trailer = b
        elif kind == SECBUFFER_STREAM and stream is None:
            stream = b
    trailer = token_buffers[0] if token_buffers else padding if padding is not None else stream_trailer
    layout = c.facts["layout"] = (data, plain, token_buffers, trailer, stream)
    return layout


def _pieces(buffers: list[SecBuffer]) -> list[bytes]:
    """The buffers' contents, one by one."""
    if len(buffers) == 1:  # the usual message: no comprehension to run
        return [_contents(buffers[0])]
    return [_contents(b) for b in buffers]


def _joined(buffers: list[SecBuffer]) -> bytes:
    """The buffers' contents, end to end."""
    if len(buffers) == 1:
        data = buffers[0].pvBuffer  # _contents, inline: the one buffer of the usual message
        return b"" if data is None else bytes(data)
    return b"".join([_contents(b) for b in buffers])


def _data(c: Call) -> list[SecBuffer]:
    """The message's SECBUFFER_DATA buffers that are processed."""
    return (c.facts.get("layout") or _layout(c))[0]


def _token_buffers(c: Call) -> list[SecBuffer]:
    """The message's SECBUFFER_TOKEN buffers."""
    return (c.facts.get("layout") or _layout(c))[2]


def _stream(c: Call) -> SecBuffer | None:
    return (c.facts.get("layout") or _layout(c))[4]


def _data_mac(key: bytes, side: bytes, seq: int, data: bytes) -> bytes:
    return tokens.mac(key, side + seq.to_bytes(4, "big") + data)


_BLOCK = 32  # bytes of keystream per BLAKE2s block


def _keystream(key: bytes, side: bytes, seq: int, n: int) -> bytes:
    """Keyed BLAKE2s-256 of (side, sequence number, block counter), block after block."""
    nonce = side + seq.to_bytes(4, "big")
    state = tokens.keyed_blake2s(key, _BLOCK)
    if n <= _BLOCK:  # most messages: block 0 alone (what the loop below computes first)
        h = state.copy()
        h.update(nonce + b"\x00\x00\x00\x00")
        return h.digest()[:n]
    out = bytearray()
    block = 0
    while len(out) < n:
        h = state.copy()
        h.update(nonce + block.to_bytes(4, "big"))
        out += h.digest()
        block += 1
    return bytes(out[:n])


def _crypt(key: bytes, side: bytes, seq: int, data: bytes) -> bytes:
    """``data`` XOR the keystream: encryption and decryption alike."""
    n = len(data)
    if n > _BLOCK:
        return _xor(data, _keystream(key, side, seq, n))
    # One block (most messages), inline: _keystream's first block, cut to the data's length.
    h = tokens.keyed_blake2s(key, _BLOCK).copy()
    h.update(side + seq.to_bytes(4, "big") + b"\x00\x00\x00\x00")
    return (int.from_bytes(data, "big") ^ int.from_bytes(h.digest()[:n], "big")).to_bytes(n, "big")


def _xor(data: bytes, stream: bytes) -> bytes:
    if len(data) != len(stream):
        raise ValueError("keystream length differs from the data's")
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big")


def _expired_ctx(c: Call, ctx: ContextRecord) -> bool:
    """Whether the (live) context has expired: the world clock is past its expiry."""
    return ctx.expiry <= c.world.clock.now


def _next_send_seq(c: Call) -> int:
    number = _seq_no(c)
    return number if number else _live_ctx(c).send_seq


# -- common rules ---------------------------------------------------------------------------------


def _handle_rules(function: str, prefix: str, not_established: Rule | None) -> list[Rule]:
    rules = [
        Rule(
            pick(prefix, "dec.null_handle", "enc.null_handle", "sig.null_handle", "ver.null_handle"),
            "phContext is NULL or the zero handle",
            "SEC_E_INVALID_HANDLE",
            NULL_HANDLE_ERRATA,
            lambda c: is_null_handle(c.a.phContext),
        ),
        Rule(
            pick(prefix, "dec.invalid_handle", "enc.invalid_handle", "sig.invalid_handle", "ver.invalid_handle"),
            "phContext is not a live context of the calling process",
            "SEC_E_INVALID_HANDLE",
            Citation(function, "returns", "SEC_E_INVALID_HANDLE"),
            lambda c: _ctx(c) is None,
        ),
    ]
    if not_established is not None:
        rules.append(not_established)
    else:
        rules.append(
            Rule(
                pick(prefix, "dec.not_established", "enc.not_established", "ver.not_established"),
                "the context's handshake has not finished (or waits for CompleteAuthToken)",
                "SEC_E_INVALID_HANDLE",
                NOT_ESTABLISHED,
                on(_live_ctx, lambda c, ctx: not ctx.established),
                also=(
                    Citation(
                        "QueryContextAttributesA",
                        "returns",
                        "is the handle of a context that is not yet complete",
                    ),
                ),
            )
        )
    return rules


def _digest_zero_rules(function: str, prefix: str, with_qop: bool) -> list[Rule]:
    def raise_seq(c: Call) -> None:
        raise c.violation(
            "MessageSeqNo",
            "The Digest SSP requires zero here, because it numbers the messages itself.",
            c.a.MessageSeqNo,
        )

    def raise_qop(c: Call) -> None:
        raise c.violation("fQOP", "The Digest SSP requires zero here.", c.a.fQOP)

    rules = [
        Rule(
            pick(prefix, "dec.digest_seq", "enc.digest_seq", "sig.digest_seq"),
            "a Digest context and MessageSeqNo is not zero",
            CONTRACT_ERROR,
            Citation(
                function,
                "parameters: MessageSeqNo",
                "The Digest SSP requires zero here, because it numbers the messages itself.",
            ),
            # Both Digest rules are skipped at once for other contexts.
            guarded(_is_digest, lambda c: _seq_no(c) != 0),
            raise_seq,
        )
    ]
    if with_qop:
        rules.append(
            Rule(
                pick(prefix, "enc.digest_qop", "sig.digest_qop"),
                "a Digest context and fQOP is not zero",
                CONTRACT_ERROR,
                Citation(function, "parameters: fQOP", "The Digest SSP requires zero here."),
                guarded(_is_digest, lambda c: _qop(c) != 0),
                raise_qop,
            )
        )
    return rules


def _qop_unsupported(function: str, prefix: str) -> Rule:
    return Rule(
        pick(prefix, "enc.qop_unknown", "sig.qop_unknown"),
        "fQOP asks for a quality of protection the context's package does not offer",
        "SEC_E_QOP_NOT_SUPPORTED",
        Interpretation(
            "fQOP flags are package-defined; what does a flag the package does not define give?",
            "SEC_E_QOP_NOT_SUPPORTED (only Kerberos and Negotiate define one, SECQOP_WRAP_NO_ENCRYPT, for EncryptMessage)",
        ),
        on(_live_ctx, lambda c, ctx: _qop(c) != 0 and _qop(c) not in c.world.package(ctx.mech).qops),
        also=(Citation(function, "returns", "SEC_E_QOP_NOT_SUPPORTED"),),
    )


# -- MakeSignature --------------------------------------------------------------------------------


def _sign_token_problem(c: Call, ctx: ContextRecord) -> str | None:
    slots = _token_buffers(c)
    if not slots:
        return "no SECBUFFER_TOKEN buffer"
    if len(slots) > 1:
        return "more than one SECBUFFER_TOKEN buffer"
    size = signature_size(ctx)
    if slots[0].cbBuffer < size:
        return f"the SECBUFFER_TOKEN buffer holds {slots[0].cbBuffer} bytes, a signature needs {size}"
    return None


def signature_size(ctx: ContextRecord) -> int:
    """SecPkgContext_Sizes.cbMaxSignature of a context: 16 for NTLM (NTLMSSP_MESSAGE_SIGNATURE,
    MS-NLMP 2.2.2.9), the model frame's size for the simulated packages."""
    return NTLM_SIGNATURE_SIZE if ctx.mech == "NTLM" else SIGNATURE_SIZE


def trailer_size(ctx: ContextRecord) -> int:
    """SecPkgContext_Sizes.cbSecurityTrailer: NTLM's seal trailer is its 16-byte signature."""
    return NTLM_SIGNATURE_SIZE if ctx.mech == "NTLM" else TRAILER_SIZE


def _sign(c: Call) -> None:
    ctx = _live_ctx(c)
    data_buffers, _plain, token_buffers, _trailer, _stream = c.facts.get("layout") or _layout(c)
    seq = _seq_no(c) or ctx.send_seq  # _next_send_seq
    data = _joined(data_buffers)
    ntlm = ctx.ntlm
    if type(ntlm) is Protection:
        # MS-NLMP 3.4.4: the NTLMSSP_MESSAGE_SIGNATURE with the client's or server's signing key.
        token = ntlm.sign(seq, data)
    else:
        key = ctx.session_key or b""
        token = tokens.build_signature(
            key,
            c.world.package(ctx.mech).rpc_id,
            ctx.conversation,
            _data_mac(key, _side(ctx.role), seq, data),
            seq,
        )
    slot = token_buffers[0]
    slot.pvBuffer = token
    slot.cbBuffer = len(token)
    ctx.send_seq = seq + 1 if seq != _LAST_SEQ else 0  # wraps (_LAST_SEQ)
    c.out["pMessage"] = _message(c)


def sign_rules(function: str = "MakeSignature", prefix: str = "sig") -> list[Rule]:
    return [
        *_handle_rules(
            function,
            prefix,
            Rule(
                "sig.not_established",
                "the context's handshake has not finished (or waits for CompleteAuthToken)",
                "SEC_E_NO_AUTHENTICATING_AUTHORITY",
                Citation(function, "returns", "The security context (phContext) has to be validated again."),
                on(_live_ctx, lambda c, ctx: not ctx.established),
                also=(
                    Interpretation(
                        "When must a context 'be validated again'?",
                        "when its handshake is not complete: it has not been validated yet",
                    ),
                ),
            ),
        ),
        Rule(
            "sig.expired",
            "the context has expired (the world clock is past its expiry)",
            "SEC_I_RENEGOTIATE",
            Citation(function, "returns", "The remote party wants a new handshake"),
            on(_live_ctx, _expired_ctx),
            also=(
                Interpretation(
                    "Which code tells the caller of MakeSignature that the context expired?",
                    "SEC_I_RENEGOTIATE: a new handshake is needed (the page's only code that says so)",
                ),
            ),
        ),
        *_digest_zero_rules(function, prefix, with_qop=True),
        _qop_unsupported(function, prefix),
        Rule(
            "sig.no_integrity",
            "the context was set up without integrity (ISC_REQ_NO_INTEGRITY)",
            "SEC_E_QOP_NOT_SUPPORTED",
            Citation(
                function,
                "returns",
                "The quality of protection agreed between client and server does not include integrity checking.",
            ),
            on(_live_ctx, lambda c, ctx: not ctx.attributes & ISC_REQ_INTEGRITY),
        ),
        Rule(
            "sig.token_buffer",
            "pMessage has no SECBUFFER_TOKEN buffer, more than one, or one too small for a signature",
            "SEC_E_INVALID_TOKEN",
            Citation(
                function,
                "returns",
                "pMessage has no valid SECBUFFER_TOKEN buffer, or holds too many buffers.",
            ),
            on(_live_ctx, lambda c, ctx: _sign_token_problem(c, ctx) is not None),
        ),
        Rule(
            "sig.out_of_sequence",
            "the context detects sequence or replay and MessageSeqNo goes backwards (below the next number)",
            "SEC_E_OUT_OF_SEQUENCE",
            Citation(function, "returns", "The nonce count is not in sequence."),
            on(_live_ctx, lambda c, ctx: bool(ctx.attributes & _SEQUENCED) and 0 < _seq_no(c) < ctx.send_seq),
        ),
        unreachable(
            "sig.status_invalid_parameter",
            "STATUS_INVALID_PARAMETER",
            Citation(function, "returns", "STATUS_INVALID_PARAMETER"),
            "an NTSTATUS (0xC000000D), not a SECURITY_STATUS of the status catalog (spec/data/status.tsv), so "
            "the generated Status enum has no member for it; a non-numeric MessageSeqNo is a ContractError",
        ),
        Rule(
            "sig.ok",
            "the signature (over the SECBUFFER_DATA buffers, the side and the sequence number) goes into "
            "the SECBUFFER_TOKEN buffer",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            always,
            _sign,
        ),
    ]


# -- VerifySignature ------------------------------------------------------------------------------


def _verify(c: Call) -> tuple[str, int]:
    """(outcome, sequence number) of checking the signature; outcome "ok" or a problem key."""
    facts = c.facts
    verdict: tuple[str, Any] | None = facts.get("verdict")
    if verdict is not None:
        return verdict
    ctx = _live_ctx(c)
    data_buffers, _plain, slots, _trailer, _stream = facts.get("layout") or _layout(c)
    raw = _contents(slots[0]) if len(slots) == 1 else b""
    if not raw:
        verdict = ("no_token", 0)
    elif type(ctx.ntlm) is Protection:
        signature = raw[: slots[0].cbBuffer]
        verdict = _ntlm_verdict(c, ctx, ctx.ntlm, _joined(data_buffers), signature, 0)
    else:
        key = ctx.session_key or b""
        frame = tokens.parse(raw[: slots[0].cbBuffer], key)
        if isinstance(frame, tokens.Bad):
            verdict = ("altered", 0) if frame.problem is Problem.ALTERED else ("bad_token", 0)
        elif frame.kind is not Kind.SIGNATURE:
            verdict = ("bad_token", 0)
        else:
            fields = frame.fields()
            data = _joined(data_buffers)
            if (
                fields is None
                or len(fields) != 2
                or fields[1] != _data_mac(key, _peer(ctx.role), frame.sequence, data)
                or frame.conversation != ctx.conversation
            ):
                verdict = ("altered", frame.sequence)
            else:
                expected = _seq_no(c) or ctx.recv_seq
                if ctx.attributes & _SEQUENCED and frame.sequence != expected:
                    verdict = ("out_of_sequence", frame.sequence)
                else:
                    verdict = ("ok", frame.sequence)
    facts["verdict"] = verdict
    return verdict


def _verdict(c: Call) -> str:
    return _verify(c)[0]


def _seals_anyway(c: Call) -> bool:
    """Under the observed contract NTLM seals and opens on a context that asked for no
    confidentiality, as Windows' does (errata windows-seal-without-confidentiality); no
    Windows-run test shows it for the other packages, which keep the documented reading."""
    return observed(c) and _live_ctx(c).mech == "NTLM"


def _writes_qop(c: Call, ctx: Any) -> bool:
    """Whether pfQOP is written: as the pages describe, except under the observed contract for
    a package whose packages.yaml says Windows leaves it untouched (NTLM, ntlm.c testSignSeal)."""
    return not observed(c) or c.world.package(ctx.mech).writes_qop


def _accept_signature(c: Call) -> None:
    ctx = _live_ctx(c)
    seq = _verify(c)[1]
    ctx.recv_seq = seq + 1 if seq != _LAST_SEQ else 0  # wraps (_LAST_SEQ)
    if type(ctx.ntlm) is Protection:
        ctx.ntlm.accept(_contents(_token_buffers(c)[0]))
    if _writes_qop(c, ctx):
        c.out["pfQOP"] = 0


def verify_rules(function: str = "VerifySignature", prefix: str = "ver") -> list[Rule]:
    return [
        *_handle_rules(function, prefix, None),
        Rule(
            "ver.no_integrity",
            "the context was set up without integrity (ISC_REQ_NO_INTEGRITY)",
            "SEC_E_QOP_NOT_SUPPORTED",
            Citation(
                function,
                "returns",
                "The quality of protection agreed between client and server does not include integrity checking.",
            ),
            on(_live_ctx, lambda c, ctx: not ctx.attributes & ISC_REQ_INTEGRITY),
        ),
        Rule(
            "ver.token_buffer",
            "pMessage has no SECBUFFER_TOKEN buffer, more than one, or an empty one",
            "SEC_E_INVALID_TOKEN",
            Citation(function, "returns", "SEC_E_INVALID_TOKEN"),
            keyed(_verdict, "no_token"),
        ),
        Rule(
            "ver.bad_signature",
            "the SECBUFFER_TOKEN does not hold a signature of the model's format (cut short, other kind)",
            "SEC_E_INVALID_TOKEN",
            Interpretation(
                "What does a token buffer that holds no signature at all give?",
                "SEC_E_INVALID_TOKEN, as for a missing token buffer; a signature that fails its check is "
                "SEC_E_MESSAGE_ALTERED",
            ),
            keyed(_verdict, "bad_token"),
        ),
        Rule(
            "ver.altered",
            "the signature does not match the data, the side, the sequence number or the context "
            "(message or signature changed, or signed by another context or by this side)",
            "SEC_E_MESSAGE_ALTERED",
            Citation(function, "returns", "SEC_E_MESSAGE_ALTERED"),
            keyed(_verdict, "altered"),
        ),
        Rule(
            "ver.out_of_sequence",
            "the context detects sequence or replay and the signed number is not the expected one "
            "(MessageSeqNo, or the context's own count when it is zero): lost, replayed or inserted",
            "SEC_E_OUT_OF_SEQUENCE",
            Citation(function, "returns", "SEC_E_OUT_OF_SEQUENCE"),
            keyed(_verdict, "out_of_sequence"),
        ),
        Rule(
            "ver.ok",
            "the message arrived unchanged and in order",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            always,
            _accept_signature,
        ),
    ]


# -- EncryptMessage -------------------------------------------------------------------------------


def _plain_buffers(c: Call) -> list[SecBuffer]:
    """The data buffers EncryptMessage encrypts and DecryptMessage decrypts (see _layout)."""
    return (c.facts.get("layout") or _layout(c))[1]


def _trailer(c: Call) -> SecBuffer | None:
    """The buffer the trailer goes in (or comes from): see _layout."""
    return (c.facts.get("layout") or _layout(c))[3]


def _write_in_place(buffers: list[SecBuffer], pieces: list[bytes], data: bytes) -> None:
    """Cut ``data`` back into the buffers, each as long as its piece was."""
    if len(buffers) == 1 and len(pieces[0]) == len(data):  # the usual message: one data buffer
        buffers[0].pvBuffer = data
        buffers[0].cbBuffer = len(data)
        return
    offset = 0
    for b, piece in zip(buffers, pieces, strict=True):
        n = len(piece)
        b.pvBuffer = data[offset : offset + n]
        b.cbBuffer = n
        offset += n


def _encrypt(c: Call) -> None:
    ctx = _live_ctx(c)
    _data_buffers, buffers, _tokens, slot, _stream = c.facts.get("layout") or _layout(c)
    qop = _qop(c)
    seq = _seq_no(c) or ctx.send_seq  # MessageSeqNo, or the context's own count when it is zero
    pieces = _pieces(buffers)
    plain = pieces[0] if len(pieces) == 1 else b"".join(pieces)
    if type(ctx.ntlm) is Protection:
        # MS-NLMP 3.4.3: sealed with the sending direction's RC4 stream, then signed.
        cipher, trailer = ctx.ntlm.seal(seq, plain)
    else:
        key = ctx.session_key or b""
        side = b"c" if ctx.role == "client" else b"s"  # _side
        cipher = plain if qop == SECQOP_WRAP_NO_ENCRYPT else _crypt(key, side, seq, plain)
        trailer = tokens.build_seal(
            key,
            c.world.package(ctx.mech).rpc_id,
            ctx.conversation,
            qop,
            len(plain),
            _data_mac(key, side, seq, plain),
            seq,
        )
    _write_in_place(buffers, pieces, cipher)
    assert slot is not None  # the trailer (see _layout)
    slot.pvBuffer = trailer
    slot.cbBuffer = len(trailer)
    ctx.send_seq = seq + 1 if seq != _LAST_SEQ else 0  # wraps (_LAST_SEQ)
    c.out["pMessage"] = _message(c)


def encrypt_rules(function: str = "EncryptMessage", prefix: str = "enc") -> list[Rule]:
    def trailer_problem(c: Call, ctx: ContextRecord) -> bool:
        slot = _trailer(c)
        return slot is None or slot.cbBuffer < trailer_size(ctx)

    return [
        *_handle_rules(function, prefix, None),
        *fault_rules(function, {"SEC_E_INSUFFICIENT_MEMORY": "enc.fault.memory"}),
        Rule(
            "enc.expired",
            "the context has expired (the world clock is past its expiry)",
            "SEC_E_CONTEXT_EXPIRED",
            Citation(function, "returns", "SEC_E_CONTEXT_EXPIRED"),
            on(_live_ctx, _expired_ctx),
            also=(
                Interpretation(
                    "The page says the context 'has already been closed': does an expired one count?",
                    "yes: an expired context is closed for protecting messages",
                ),
            ),
        ),
        *_digest_zero_rules(function, prefix, with_qop=True),
        _qop_unsupported(function, prefix),
        Rule(
            "enc.no_protection",
            "the context has neither confidentiality nor integrity",
            "SEC_E_QOP_NOT_SUPPORTED",
            Citation(
                function, "returns", "The security context supports neither confidentiality nor integrity."
            ),
            on(_live_ctx, lambda c, ctx: not ctx.attributes & (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY)),
        ),
        Rule(
            "enc.no_cipher",
            "the context was set up without confidentiality and fQOP does not ask for SECQOP_WRAP_NO_ENCRYPT "
            "(documented contract; observed, NTLM encrypts anyway as on Windows)",
            "SEC_E_CRYPTO_SYSTEM_INVALID",
            Citation(function, "returns", "The security context uses a cipher that is not supported."),
            on(
                _live_ctx,
                lambda c, ctx: (
                    not ctx.attributes & ISC_REQ_CONFIDENTIALITY
                    and _qop(c) != SECQOP_WRAP_NO_ENCRYPT
                    and not _seals_anyway(c)
                ),
            ),
            also=(
                Interpretation(
                    "When does a context 'use a cipher that is not supported'?",
                    "when it negotiated no confidentiality (ISC_REQ_CONFIDENTIALITY) and the caller asks to encrypt",
                ),
                Errata(
                    "windows-seal-without-confidentiality",
                    "observed contract: Windows' NTLM encrypts and decrypts on a context that asked for no confidentiality",
                ),
            ),
        ),
        Rule(
            "enc.no_data",
            "pMessage has no SECBUFFER_DATA buffer",
            "SEC_E_INVALID_TOKEN",
            Citation(function, "returns", "There is no buffer of type SECBUFFER_DATA."),
            on(_live_ctx, lambda c, ctx: not _data(c)),
        ),
        Rule(
            "enc.trailer_buffer",
            f"no SECBUFFER_TOKEN, SECBUFFER_PADDING or SECBUFFER_STREAM_TRAILER buffer of at least "
            f"{TRAILER_SIZE} bytes (cbSecurityTrailer) for the trailer",
            "SEC_E_BUFFER_TOO_SMALL",
            Citation(function, "returns", "The buffer for the output is not large enough; see Remarks."),
            on(_live_ctx, trailer_problem),
        ),
        Rule(
            "enc.ok",
            "the SECBUFFER_DATA buffers are encrypted in place and the trailer written",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            always,
            _encrypt,
        ),
    ]


# -- DecryptMessage -------------------------------------------------------------------------------


def _unseal(c: Call) -> tuple[str, Any]:
    """(outcome, (plaintext, qop, sequence, buffers)) of checking a sealed message."""
    facts = c.facts
    cached: tuple[str, Any] | None = facts.get("verdict")
    if cached is not None:
        return cached
    verdict = _unseal_uncached(c)
    facts["verdict"] = verdict
    return verdict


def _unsealed(c: Call) -> str:
    return _unseal(c)[0]


def _unseal_uncached(c: Call) -> tuple[str, Any]:
    ctx = _live_ctx(c)
    if type(ctx.ntlm) is Protection:
        return _unseal_ntlm(c, ctx, ctx.ntlm)
    desc = _message(c)
    key = ctx.session_key or b""
    stream = _stream(c)
    if stream is not None:
        raw = _contents(stream)[: stream.cbBuffer]
        # A stream is the trailer followed by the ciphertext; the trailer has a fixed size.
        opened = tokens.open_frame(raw[:TRAILER_SIZE], key)
        if isinstance(opened, tokens.Bad):
            return ("incomplete" if opened.problem is Problem.TRUNCATED else "altered", None)
        kind, _package, _flags, conversation, sequence, payload, frame_raw = opened
        cipher = raw[len(frame_raw) :]
        targets = [stream]
    else:
        buffers = _plain_buffers(c)
        if not buffers:
            raise c.violation(
                "pMessage",
                "at least one of them of type SECBUFFER_DATA holding the encrypted message (none given)",
                desc,
            )
        slot = _trailer(c)
        if slot is None:
            return ("no_trailer_buffer", None)
        trailer = _contents(slot)
        if not trailer:
            return ("incomplete", None)
        opened = tokens.open_frame(trailer[: slot.cbBuffer], key)
        if isinstance(opened, tokens.Bad):
            return ("incomplete" if opened.problem is Problem.TRUNCATED else "altered", None)
        kind, _package, _flags, conversation, sequence, payload, frame_raw = opened
        cipher = _joined(buffers)
        targets = buffers
    fields = tokens.seal_fields(payload)
    if kind is not Kind.SEAL or fields is None or len(fields) != 3:
        return ("altered", None)
    qop, length, mac = fields
    if not isinstance(qop, int) or not isinstance(length, int):
        return ("altered", None)
    if len(cipher) < length:
        return ("incomplete", None)
    if len(cipher) > length or conversation != ctx.conversation:
        return ("altered", None)
    if (
        qop != SECQOP_WRAP_NO_ENCRYPT
        and not ctx.attributes & ISC_REQ_CONFIDENTIALITY
        and not _seals_anyway(c)
    ):
        return ("no_cipher", None)
    side = b"s" if ctx.role == "client" else b"c"  # the peer's side (_peer)
    plain = cipher if qop == SECQOP_WRAP_NO_ENCRYPT else _crypt(key, side, sequence, cipher)
    if mac != _data_mac(key, side, sequence, plain):
        return ("altered", None)
    expected = _seq_no(c) or ctx.recv_seq
    if ctx.attributes & _SEQUENCED and sequence != expected:
        return ("out_of_sequence", None)
    return ("ok", (plain, qop, sequence, targets))


_AHEAD = 1 << 16


def _ntlm_verdict(
    c: Call, ctx: ContextRecord, ntlm: Protection, data: bytes, signature: bytes, offset: int
) -> tuple[str, int]:
    """("ok" | "altered" | "out_of_sequence" | "bad_token", SeqNum) of an NTLM signature.

    The checksum is checked first (MS-NLMP 3.4.4.2, with the SeqNum the signature carries and
    the receiving RC4 stream where it stands). Interpretation: the pages give SEC_E_OUT_OF_SEQUENCE
    for a message "not received in the correct sequence" and SEC_E_MESSAGE_ALTERED for an altered
    one; a context that detects sequence reports out-of-sequence for an authentic message whose
    SeqNum is not the expected one, for a signature it already accepted (a replay), and for a
    SeqNum a little ahead of the expected one (fewer than _AHEAD: messages lost or overtaken;
    a number far ahead is a corrupted one); any other failing checksum is an altered message.
    """
    return _ntlm_sequenced(c, ctx, ntlm, signature, *ntlm.check(data, signature, offset))


def _ntlm_sequenced(
    c: Call, ctx: ContextRecord, ntlm: Protection, signature: bytes, outcome: str, sequence: int
) -> tuple[str, int]:
    """_ntlm_verdict from the outcome of the signature's check (see there)."""
    if outcome == "bad_token" or not ctx.attributes & _SEQUENCED:
        return outcome, sequence
    expected = _seq_no(c) or ctx.recv_seq
    if outcome == "ok":
        return ("ok" if sequence == expected else "out_of_sequence"), sequence
    if 0 < sequence - expected < _AHEAD or ntlm.seen(signature):
        return "out_of_sequence", sequence
    return outcome, sequence


def _unseal_ntlm(c: Call, ctx: ContextRecord, ntlm: Protection) -> tuple[str, Any]:
    """DecryptMessage of an NTLM context (MS-NLMP 3.4.3): the trailer is the 16-byte signature of
    the plaintext; the receiving stream is read ahead, and used only when the message is taken."""
    _data_buffers, buffers, _tokens, slot, stream = c.facts.get("layout") or _layout(c)
    if stream is not None:
        raw = _contents(stream)[: stream.cbBuffer]
        # A stream is the signature followed by the ciphertext.
        if len(raw) < NTLM_SIGNATURE_SIZE:
            return ("incomplete", None)
        trailer, cipher = raw[:NTLM_SIGNATURE_SIZE], raw[NTLM_SIGNATURE_SIZE:]
        targets = [stream]
    else:
        if not buffers:
            raise c.violation(
                "pMessage",
                "at least one of them of type SECBUFFER_DATA holding the encrypted message (none given)",
                _message(c),
            )
        if slot is None:
            return ("no_trailer_buffer", None)
        trailer = _contents(slot)[: slot.cbBuffer]
        if len(trailer) < NTLM_SIGNATURE_SIZE:
            return ("incomplete", None)
        cipher = _joined(buffers)
        targets = buffers
    if not ctx.attributes & ISC_REQ_CONFIDENTIALITY and not _seals_anyway(c):
        return ("no_cipher", None)
    c.facts["ntlm_trailer"] = trailer  # what _ntlm_trailer gives
    plain, outcome, sequence = ntlm.unseal_check(cipher, trailer)
    outcome, sequence = _ntlm_sequenced(c, ctx, ntlm, trailer, outcome, sequence)
    if outcome != "ok":
        return ("altered" if outcome == "bad_token" else outcome, None)
    return ("ok", (plain, 0, sequence, targets))


def _ntlm_trailer(c: Call) -> bytes:
    stream = _stream(c)
    if stream is not None:
        return _contents(stream)[:NTLM_SIGNATURE_SIZE]
    slot = _trailer(c)
    assert slot is not None
    return _contents(slot)[: slot.cbBuffer]


def _decrypt(c: Call) -> None:
    ctx = _live_ctx(c)
    plain, qop, seq, targets = _unseal(c)[1]
    if type(ctx.ntlm) is Protection:
        ctx.ntlm.accept(c.facts.get("ntlm_trailer") or _ntlm_trailer(c), len(plain))
    if len(targets) == 1 and targets[0].BufferType & 0x0FFFFFFF == SECBUFFER_STREAM:
        # Interpretation (the pages say only that one buffer is SECBUFFER_DATA or
        # SECBUFFER_STREAM and holds the encrypted message): when the caller also passes a
        # SECBUFFER_DATA buffer beside the stream, the decrypted message is given in that buffer
        # and the stream is left as it came, which is where Windows' Kerberos and NTLM put it
        # (sspilib's and pyspnego's unwrap pass [STREAM, DATA] and read the DATA buffer); with no
        # such buffer, the stream buffer itself comes back as the SECBUFFER_DATA.
        beside = _data(c)
        receiver = beside[0] if beside else targets[0]
        if not beside:
            receiver.BufferType = SECBUFFER_DATA
        receiver.pvBuffer = plain
        receiver.cbBuffer = len(plain)
    elif len(targets) == 1:  # the usual message: the one data buffer takes the whole plaintext
        targets[0].pvBuffer = plain
        targets[0].cbBuffer = len(plain)
    else:
        _write_in_place(targets, _pieces(targets), plain)
    ctx.recv_seq = seq + 1 if seq != _LAST_SEQ else 0  # wraps (_LAST_SEQ)
    c.out["pMessage"] = _message(c)
    if _writes_qop(c, ctx):
        c.out["pfQOP"] = qop


def decrypt_rules(function: str = "DecryptMessage", prefix: str = "dec") -> list[Rule]:
    def outcome(*keys: str) -> Any:
        return keyed(_unsealed, *keys)

    return [
        *_handle_rules(function, prefix, None),
        *_digest_zero_rules(function, prefix, with_qop=False),
        Rule(
            "dec.no_protection",
            "the context has neither confidentiality nor integrity",
            "SEC_E_QOP_NOT_SUPPORTED",
            Citation(
                function, "returns", "The security context supports neither confidentiality nor integrity."
            ),
            on(_live_ctx, lambda c, ctx: not ctx.attributes & (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY)),
        ),
        Rule(
            "dec.no_trailer_buffer",
            "pMessage has SECBUFFER_DATA but no buffer holding the trailer (SECBUFFER_TOKEN, "
            "SECBUFFER_PADDING or SECBUFFER_STREAM_TRAILER)",
            "SEC_E_BUFFER_TOO_SMALL",
            Citation(function, "returns", "The message buffer is too small."),
            outcome("no_trailer_buffer"),
            also=(
                Interpretation(
                    "When is 'the message buffer too small'?",
                    "when the buffers have no room for the trailer at all; a trailer or data cut short is "
                    "SEC_E_INCOMPLETE_MESSAGE",
                ),
            ),
        ),
        Rule(
            "dec.incomplete",
            "the trailer or the data is shorter than the sealed message announces",
            "SEC_E_INCOMPLETE_MESSAGE",
            Citation(function, "returns", "Not all of the message is in the input buffer."),
            outcome("incomplete"),
        ),
        Rule(
            "dec.no_cipher",
            "the message is encrypted but the context negotiated no confidentiality (documented contract; "
            "observed, NTLM decrypts anyway as on Windows)",
            "SEC_E_CRYPTO_SYSTEM_INVALID",
            Citation(function, "returns", "The security context uses a cipher that is not supported."),
            outcome("no_cipher"),
            also=(
                Errata(
                    "windows-seal-without-confidentiality",
                    "observed contract: Windows' NTLM encrypts and decrypts on a context that asked for no confidentiality",
                ),
            ),
        ),
        Rule(
            "dec.altered",
            "the trailer or the data was changed, or the message belongs to another context or side",
            "SEC_E_MESSAGE_ALTERED",
            Citation(function, "returns", "SEC_E_MESSAGE_ALTERED"),
            outcome("altered"),
        ),
        Rule(
            "dec.out_of_sequence",
            "the context detects sequence or replay and the message's number is not the expected one",
            "SEC_E_OUT_OF_SEQUENCE",
            Citation(function, "returns", "SEC_E_OUT_OF_SEQUENCE"),
            outcome("out_of_sequence"),
        ),
        Rule(
            "dec.ok",
            "the data is decrypted in place (a SECBUFFER_STREAM becomes SECBUFFER_DATA); pfQOP tells "
            "whether it was encrypted",
            "SEC_E_OK",
            Citation(function, "returns", "SEC_E_OK"),
            outcome("ok"),
            _decrypt,
        ),
    ]


SIGN = register("MakeSignature", sign_rules())
VERIFY = register("VerifySignature", verify_rules())
ENCRYPT = register("EncryptMessage", encrypt_rules())
DECRYPT = register("DecryptMessage", decrypt_rules())
