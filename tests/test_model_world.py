"""The world, the packages and the token format, below the API."""

from __future__ import annotations

import attrs
import pytest

from sspimodel.model import constants, tokens
from sspimodel.model.buffers import SecBuffer, SecBufferDesc
from sspimodel.model.constants import SECPKG_FLAG_MUTUAL_AUTH
from sspimodel.model.handles import (
    EPOCH_2024,
    NEVER,
    TICKS_PER_SECOND,
    AllocatedBytes,
    ContextBuffer,
    CredHandle,
    CtxtHandle,
    Luid,
    Ref,
    TimeStamp,
    timestamp,
)
from sspimodel.model.packages import (
    DIGEST,
    KERBEROS,
    NEGOTIATE,
    NTLM,
    asc_to_internal,
    internal_to_asc,
    standard_packages,
)
from sspimodel.model.structs import AuthIdentity
from sspimodel.model.tokens import Bad, Frame, Kind, Problem
from sspimodel.model.world import ANONYMOUS_LUID, SYSTEM_LUID, CallerMode, Fault, default_world
from sspimodel.paths import data_file


def _constants_tsv() -> dict[str, int]:
    table = {}
    header = None
    for line in data_file("constants.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            continue
        table[cells[0]] = int(cells[1], 16)
    return table


def test_the_model_constants_match_spec_data_constants_tsv():
    known = _constants_tsv()
    ours = {k: v for k, v in vars(constants).items() if k.isupper() and isinstance(v, int)}
    assert ours, "no constants found"
    mismatched = {k: (v, known.get(k)) for k, v in ours.items() if k in known and known[k] != v}
    assert mismatched == {}
    # the few not in the file are named here on purpose
    assert sorted(set(ours) - set(known)) == []


def test_default_world_is_the_documented_domain():
    world = default_world()
    assert {p.qualified for p in world.principals.values()} == {
        "CONTOSO\\alice",
        "CONTOSO\\bob",
        "CONTOSO\\carol",
        "CONTOSO\\websvc",
        "CONTOSO\\FILES$",
    }
    assert world.spn_owner("http/WEB.contoso.com").account == "websvc"  # SPNs ignore case
    assert world.spn_owner("host/files").account == "FILES$"
    assert world.spn_owner("HTTP/nowhere") is None
    assert world.principal("alice@contoso.com").account == "alice"
    assert world.principal("alice@fabrikam.com") is None
    assert constants.SE_TCB_NAME in world.sessions[SYSTEM_LUID].privileges
    assert world.sessions[ANONYMOUS_LUID].account is None
    assert world.process().pid == 100 and world.process(200).export_to == 201
    assert [p.name for p in world.packages.values()] == ["Negotiate", "Kerberos", "NTLM", "Digest"]
    assert world.authority.online and world.caller_mode is CallerMode.USER
    with pytest.raises(KeyError, match="no process 7"):
        world.process(7)
    with pytest.raises(ValueError, match="no logon session"):
        world.add_process(9, "x.exe", Luid(0x5555))


def test_worlds_of_a_seed_are_identical_and_seeds_differ():
    a, b, c = default_world(), default_world(), default_world("fabrikam")
    assert a.key == b.key != c.key
    assert a.derive("x", b"y") == b.derive("x", b"y")
    assert a.peek_conversation() == bytes(7) + b"\x01"


def test_clock_and_timestamps():
    world = default_world()
    assert repr(TimeStamp(world.clock.now)) == "TimeStamp(2024-01-01T00:00:00Z)"
    world.clock.advance(3600 * 25)
    assert TimeStamp(world.clock.now).isoformat() == "2024-01-02T01:00:00Z"
    assert repr(NEVER) == "TimeStamp(never)"


def test_fault_plan_validates_codes_and_counts():
    with pytest.raises(ValueError, match="Fault code must be one of"):
        Fault("SEC_E_LOGON_DENIED")
    world = default_world()
    fault = world.faults.add("SEC_E_INTERNAL_ERROR", function="InitializeSecurityContext", times=2)
    assert fault.matches(1, "InitializeSecurityContextW", {})
    assert not fault.matches(1, "AcceptSecurityContext", {})
    assert world.faults.fires("SEC_E_INTERNAL_ERROR", 1, "InitializeSecurityContextA", {})
    assert world.faults.fires("SEC_E_INTERNAL_ERROR", 2, "InitializeSecurityContextA", {})
    assert not world.faults.fires("SEC_E_INTERNAL_ERROR", 3, "InitializeSecurityContextA", {})


def test_handles_and_pointers_show_counters_not_addresses():
    assert repr(CredHandle(3, 10)) == "CredHandle(0x3, 0xa)"
    assert repr(CtxtHandle(0, 0)) == "CtxtHandle(0x0, 0x0)" and CtxtHandle(0, 0).is_null
    assert repr(Luid(0x3E7)) == "Luid(0x3e7)"
    assert repr(Ref()) == "Ref(None)" and Ref() != Ref()  # two cells are two pointers
    token = AllocatedBytes(b"abc", 0x10010)
    assert token == b"abc" and repr(token) == "AllocatedBytes(0x10010, b'abc')"
    array = ContextBuffer((1, 2), 0x10020)
    assert len(array) == 2 and array[1] == 2 and list(array) == [1, 2]
    info = ContextBuffer(NTLM.info(), 0x10030)
    assert info.Name == "NTLM"  # p->Name
    with pytest.raises(AttributeError, match="read-only"):
        info.address = 5
    assert "Password='***'" in repr(AuthIdentity(User="u", Password="secret")) and "secret" not in repr(
        AuthIdentity(User="u", Password="secret")
    )


def test_buffers():
    out = SecBufferDesc.output(64)
    assert out.cBuffers == 1 and out[0].cbBuffer == 64 and out.token_bytes == b""
    msg = SecBufferDesc.message(b"hi")
    assert msg.first(constants.SECBUFFER_DATA).contents == b"hi"
    ro = SecBuffer(constants.SECBUFFER_DATA | constants.SECBUFFER_READONLY, b"x")
    assert ro.base_type == constants.SECBUFFER_DATA and "SECBUFFER_DATA|0x80000000" in repr(ro)
    assert SecBufferDesc.token(b"t") == SecBufferDesc([SecBuffer(constants.SECBUFFER_TOKEN, b"t")])


# -- packages -----------------------------------------------------------------------------------------


def test_packages_declare_consistent_capabilities():
    for package in standard_packages():
        info = package.info()
        assert info.Name == package.name and info.cbMaxToken == package.max_token
        # Negotiate reports Windows' capabilities (spec/data/packages.yaml, negotiate.c): no
        # SECPKG_FLAG_MUTUAL_AUTH, although the package it picks (Kerberos) may authenticate the server.
        if package is not NEGOTIATE:
            assert bool(package.capabilities & SECPKG_FLAG_MUTUAL_AUTH) == package.mutual_auth, package.name
        assert bool(package.honoured & constants.ISC_REQ_MUTUAL_AUTH) == package.mutual_auth, package.name
    assert [p.rpc_id for p in (NEGOTIATE, NTLM, KERBEROS, DIGEST)] == [9, 10, 16, 21]
    assert DIGEST.needs_completion and not DIGEST.exportable and DIGEST.context_lifetime is None
    assert NTLM.cred_lifetime is None and KERBEROS.cred_lifetime == 10 * 3600


@pytest.mark.parametrize(
    ("asc", "internal"),
    [
        (constants.ASC_REQ_EXTENDED_ERROR, constants.ISC_REQ_EXTENDED_ERROR),
        (constants.ASC_REQ_STREAM, constants.ISC_REQ_STREAM),
        (constants.ASC_REQ_INTEGRITY, constants.ISC_REQ_INTEGRITY),
        (constants.ASC_REQ_SEQUENCE_DETECT | constants.ASC_REQ_ALLOCATE_MEMORY, 0x108),
    ],
)
def test_asc_flags_translate_to_and_from_the_internal_numbering(asc, internal):
    assert asc_to_internal(asc) == internal
    assert internal_to_asc(internal) == asc


# -- tokens -------------------------------------------------------------------------------------------

KEY = bytes(range(32))


def test_token_round_trip_and_fields():
    raw = tokens.build(KEY, Kind.NTLM_CHALLENGE, 10, b"conv0001", ["name", 42, b"\x00\x01"], sequence=7)
    frame = tokens.parse(raw, KEY)
    assert isinstance(frame, Frame)
    assert (frame.kind, frame.package, frame.conversation, frame.sequence) == (
        Kind.NTLM_CHALLENGE,
        10,
        b"conv0001",
        7,
    )
    assert frame.fields() == ["name", 42, b"\x00\x01"]
    assert len(raw) == tokens.HEADER_SIZE + len(frame.payload) + tokens.MAC_SIZE


@pytest.mark.parametrize(
    ("mangle", "problem"),
    [
        (lambda raw: raw[:-1], Problem.TRUNCATED),
        (lambda raw: raw[:10], Problem.TRUNCATED),
        (lambda raw: raw[:1], Problem.TRUNCATED),
        (lambda raw: raw + b"x", Problem.MALFORMED),
        (lambda raw: b"XX" + raw[2:], Problem.MALFORMED),
        (lambda raw: raw[:3] + b"\x63" + raw[4:], Problem.MALFORMED),  # unknown kind
        (lambda raw: raw[:-3] + bytes([raw[-3] ^ 1]) + raw[-2:], Problem.ALTERED),
        (lambda raw: raw[:22] + bytes([raw[22] ^ 1]) + raw[23:], Problem.ALTERED),
        (lambda raw: b"", Problem.MALFORMED),
    ],
)
def test_damaged_tokens_are_told_apart(mangle, problem):
    raw = tokens.build(KEY, Kind.KERB_AP_REQ, 16, b"conv0002", ["x"])
    bad = tokens.parse(mangle(raw), KEY)
    assert isinstance(bad, Bad) and bad.problem is problem, bad


def test_a_token_of_another_key_is_altered_and_truncation_estimates_what_is_missing():
    raw = tokens.build(KEY, Kind.SEAL, 9, bytes(8), [1, 2, b"m"])
    assert tokens.parse(raw, bytes(32)).problem is Problem.ALTERED
    assert tokens.parse(raw[:-7], KEY).missing == 7


def test_unsealed_tokens_need_complete_auth_token():
    raw = tokens.build(KEY, Kind.DIGEST_RESPONSE, 21, bytes(8), ["alice"], unsealed=True)
    assert tokens.parse(raw, KEY).problem is Problem.ALTERED
    assert isinstance(tokens.parse(raw, KEY, allow_unsealed=True), Frame)
    sealed = tokens.seal_mac(KEY, raw)
    frame = tokens.parse(sealed, KEY)
    assert isinstance(frame, Frame) and not frame.unsealed


def test_field_decoding_never_raises_on_garbage():
    assert tokens.decode_fields(b"s\x00\x05ab") is None
    assert tokens.decode_fields(b"q\x00\x00") is None
    assert tokens.decode_fields(b"i\x00\x02ab") is None
    assert tokens.decode_fields(b"s\x00\x01\xff") is None
    assert tokens.decode_fields(b"") == []


# The message path packs signatures and seal trailers in one struct, reads packed contexts
# without a Frame and shares TimeStamp values (speed-ups): each must give what the plain path gives.

_MAC = bytes(range(100, 116))


def _outcome(f):
    try:
        return f()
    except Exception as e:  # the same exception type as the plain path, for values it refuses
        return type(e)


@pytest.mark.parametrize(
    ("package", "conversation", "qop", "length", "sequence"),
    [
        (10, b"conv0003", 0, 17, 0),
        (9, b"conv0004", 0x80000001, 0, 0xFFFFFFFF),
        (16, b"", 1, 2, 3),  # a short conversation id is padded, as build() pads it
        (10, b"conv0005", 1 << 64, 1, 1),  # out of range: build()'s OverflowError
        (10, b"conv0006", -1, 1, 1),
        (10, b"conv0007", 0, 1, 1 << 32),  # build()'s struct.error
        (256, b"conv0008", 0, 1, 1),
    ],
)
def test_message_tokens_packed_in_one_go_are_what_build_gives(package, conversation, qop, length, sequence):
    assert _outcome(
        lambda: tokens.build_seal(KEY, package, conversation, qop, length, _MAC, sequence)
    ) == _outcome(lambda: tokens.build(KEY, Kind.SEAL, package, conversation, [qop, length, _MAC], sequence))
    assert _outcome(lambda: tokens.build_signature(KEY, package, conversation, _MAC, sequence)) == _outcome(
        lambda: tokens.build(KEY, Kind.SIGNATURE, package, conversation, [0, _MAC], sequence)
    )
    assert tokens.build_seal(KEY, 10, b"conv0009", 1, 2, b"short", 3) == tokens.build(
        KEY, Kind.SEAL, 10, b"conv0009", [1, 2, b"short"], 3
    )


def test_seal_fields_and_open_frame_read_what_decode_fields_and_parse_read():
    for raw in (
        tokens.build_seal(KEY, 10, b"conv0010", 7, 99, _MAC, 5),
        tokens.build(KEY, Kind.SEAL, 10, b"conv0011", [1, 2, b"m"]),
        tokens.build(KEY, Kind.SEAL, 10, b"conv0012", ["s", 2, _MAC]),
        tokens.build(KEY, Kind.EXPORT, 10, b"conv0013", ["NTLM", 201, 200, "server", b"", 0]),
    ):
        frame = tokens.parse(raw, KEY)
        assert isinstance(frame, Frame)
        assert tokens.seal_fields(frame.payload) == tokens.decode_fields(frame.payload) == frame.fields()
        # (Frame.spnego, the decoded SPNEGO token parse keeps for SPNEGO frames, is not one of
        # the fields open_frame reads.)
        opened = attrs.astuple(frame, recurse=False, filter=lambda a, _v: a.name != "spnego")
        assert frame.spnego is None and tokens.open_frame(raw, KEY) == opened
        for damaged in (raw[:-1], raw + b"x", raw[:5], b""):
            assert tokens.open_frame(damaged, KEY) == tokens.parse(damaged, KEY)


def test_shared_timestamps_equal_new_ones():
    for ticks in (0, EPOCH_2024, EPOCH_2024 + 36_000 * TICKS_PER_SECOND, NEVER.QuadPart):
        assert timestamp(ticks) == TimeStamp(ticks) and repr(timestamp(ticks)) == repr(TimeStamp(ticks))
    assert timestamp(NEVER.QuadPart) is NEVER


def test_every_token_read_checks_its_mac_even_one_built_here(monkeypatch):
    """No memo of tokens built in this process: reading one checks its MAC like any other bytes."""
    built = [
        tokens.build(KEY, Kind.NTLM_AUTHENTICATE, 10, b"conv0014", ["CONTOSO\\alice", _MAC, 0x10810]),
        tokens.build(KEY, Kind.EXPORT, 9, b"conv15", ["NTLM", 201, b"", "", 1 << 63]),
        tokens.build_seal(KEY, 10, b"conv0016", 0, 5, _MAC, 1),
        tokens.build_signature(KEY, 10, b"conv0017", _MAC, 2),
    ]
    calls = []
    real = tokens.mac
    monkeypatch.setattr(tokens, "mac", lambda key, body: calls.append(body) or real(key, body))
    for raw in built:
        assert not isinstance(tokens.parse(raw, KEY), tokens.Bad)
    assert len(calls) == len(built)
    assert tokens.parse(built[0], bytes(32)).problem is Problem.ALTERED  # another key
    unsealed = tokens.build(KEY, Kind.DIGEST_RESPONSE, 21, b"conv0018", ["alice"], unsealed=True)
    assert tokens.parse(unsealed, KEY).problem is Problem.ALTERED  # never sealed


def test_a_frame_too_long_for_its_two_byte_lengths_is_a_typed_failure():
    # A field, or the whole payload, longer than its 2-byte length can say: FrameTooLong naming
    # it, never OverflowError / struct.error nor a truncated length.
    with pytest.raises(tokens.FrameTooLong) as field:
        tokens.build(KEY, Kind.KERB_AP_REQ, 16, b"conv0003", ["CONTOSO\\bob", "u" * 70_000])
    assert (field.value.kind, field.value.field, field.value.length) == (Kind.KERB_AP_REQ, 1, 70_000)
    assert "KERB_AP_REQ frame: field 1 would be 70000 bytes" in str(field.value)
    with pytest.raises(tokens.FrameTooLong) as payload:
        tokens.build(KEY, Kind.EXPORT, 16, b"conv0003", ["u" * 40_000, "\u4e2d" * 10_000])
    assert payload.value.field is None and payload.value.length == 3 + 40_000 + 3 + 30_000
    # At the limit exactly, the frame is built and reads back.
    whole = tokens.build(KEY, Kind.EXPORT, 16, b"conv0003", [b"x" * (0xFFFF - 3)])
    assert tokens.parse(whole, KEY).fields() == [b"x" * (0xFFFF - 3)]
    # A number out of the unsigned 64-bit range is the caller's defect, not an oversized value.
    with pytest.raises(OverflowError):
        tokens.build(KEY, Kind.EXPORT, 16, b"conv0003", [-1])
