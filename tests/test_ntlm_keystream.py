"""RC4 streams that start from a kept keystream prefix (sspimodel.ntlm.crypto.keystream_prefix) give
the bytes of a cipher keyed afresh, before, across and after the end of the prefix; a signing key
with its HMAC pads hashed once gives HMAC-MD5; and a session copied before a handshake step is
independent of the original."""

from __future__ import annotations

import copy
import hmac
import random

from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
from cryptography.hazmat.primitives.ciphers import Cipher
from hypothesis import given, settings
from hypothesis import strategies as st

from sspimodel.model import ntlm_wire
from sspimodel.ntlm import AccountTable, ClientSession, LogonDenied, ServerSession, crypto

PREFIX = crypto.PREFIX_SIZE


def fresh_keystream(key: bytes, n: int) -> bytes:
    return bytes(Cipher(ARC4(key), mode=None).encryptor().update(bytes(n)))


def xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=False))


# Keys of 40, 56 and 128 bits (sizes the RC4 cipher takes; NTLM keys its streams with 16 bytes).
sizes = st.sampled_from([0, 1, 8, 16, PREFIX - 1, PREFIX, PREFIX + 1, 300])


@settings(max_examples=60, deadline=None)
@given(key=st.sampled_from([5, 7, 16]).flatmap(lambda n: st.binary(min_size=n, max_size=n)), start=sizes, steps=st.lists(st.tuples(sizes, sizes), max_size=6))
def test_streams_give_a_fresh_ciphers_keystream(key: bytes, start: int, steps: list[tuple[int, int]]) -> None:
    reference = fresh_keystream(key, start + sum(n + skip for n, skip in steps) + 2 * PREFIX)
    stream, rc4 = ntlm_wire.Stream(key, start), crypto.Rc4(key, start)
    at = start
    for n, skip in steps:
        assert stream.peek(n, skip) == reference[at + skip : at + skip + n]
        assert stream.take(n) == reference[at : at + n]
        data = random.Random(n).randbytes(n)
        assert rc4.update(data) == xor(data, reference[at : at + n])
        at += n
    assert stream.position == rc4.position == at


@settings(max_examples=60, deadline=None)
@given(key=st.binary(min_size=16, max_size=16), start=sizes, steps=st.lists(st.tuples(sizes, st.booleans()), max_size=6))
def test_skipping_uses_the_keystream_as_taking_does(key: bytes, start: int, steps: list[tuple[int, bool]]) -> None:
    # skip(n) (a verified message uses what it peeked) moves the stream as take(n) does, with or
    # without a peek before it, across the end of the kept prefix and of each produced chunk.
    reference = fresh_keystream(key, start + sum(n for n, _ in steps) + 2 * PREFIX)
    stream = ntlm_wire.Stream(key, start)
    at = start
    for n, peeked in steps:
        if peeked:
            assert stream.peek(n) == reference[at : at + n]
        stream.skip(n)
        at += n
        assert stream.position == at
        assert stream.peek(8) == reference[at : at + 8]


def test_rc4k_is_one_shot_rc4_whatever_the_cache_holds() -> None:
    key = b"\x01" * 16
    data = bytes(range(16))
    crypto.keystream_prefix.cache_clear()
    assert crypto.rc4k(key, data) == xor(data, fresh_keystream(key, 16))  # computes the prefix
    assert crypto.rc4k(key, data) == xor(data, fresh_keystream(key, 16))  # reads it
    long = bytes(PREFIX + 40)
    assert crypto.rc4k(key, long) == fresh_keystream(key, PREFIX + 40)  # past the prefix


def test_a_session_copy_is_independent_and_equal() -> None:
    rnd = random.Random(3)
    client = ClientSession("alice", "CONTOSO", "Passw0rd!alice", random=rnd.randbytes, clock=lambda: 1)
    server = ServerSession(AccountTable({"alice": "wrong"}), random=rnd.randbytes, clock=lambda: 1)
    challenge = server.challenge(client.negotiate())
    before = copy.copy(client)
    assert before == client and before is not client
    authenticate = before.authenticate(challenge)
    assert client.challenge_message is None and client.exported_session_key is None
    attempt = copy.copy(server)
    try:
        attempt.accept(authenticate)
    except LogonDenied:
        pass
    else:  # pragma: no cover - the password differs
        raise AssertionError("a wrong password was accepted")
    assert server.exported_session_key is None and server.user is None and server.context is None
    assert before.context is not None  # built on first use, from the CHALLENGE's flags
    assert before.context is before.context


@settings(max_examples=60, deadline=None)
@given(key=st.binary(max_size=100), data=st.binary(max_size=200))
def test_the_kept_hmac_md5_key_gives_hmac_md5(key: bytes, data: bytes) -> None:
    assert crypto.HmacMd5(key).digest(data) == hmac.new(key, data, "md5").digest() == crypto.hmac_md5(key, data)


@given(key=st.binary(min_size=16, max_size=16), key_128=st.booleans(), key_56=st.booleans())
def test_the_kept_session_keys_are_signkey_and_sealkey(key: bytes, key_128: bool, key_56: bool) -> None:
    keys = crypto.session_keys(key, key_128, key_56)
    assert keys.client_seal == crypto.seal_key(key, True, key_128, key_56)
    assert keys.server_seal == crypto.seal_key(key, False, key_128, key_56)
    for signer, client in ((keys.client_sign, True), (keys.server_sign, False)):
        assert signer.digest(b"message") == crypto.hmac_md5(crypto.sign_key(key, client), b"message")
