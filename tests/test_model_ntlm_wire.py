"""The model's NTLM package on the wire (sspimodel.model.ntlm_wire) below and through the API."""

from __future__ import annotations

from sspimodel.api import Sspi
from sspimodel.model import SecBuffer, SecBufferDesc, default_world, tokens
from sspimodel.model.constants import (
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_REPLAY_DETECT,
    ISC_REQ_SEQUENCE_DETECT,
    SECBUFFER_DATA,
    SECBUFFER_TOKEN,
    SECPKG_ATTR_SESSION_KEY,
    SECPKG_ATTR_SIZES,
    SECPKG_CRED_OUTBOUND,
)
from sspimodel.model.drive import handshake
from sspimodel.model.ntlm_wire import Protection, Stream
from sspimodel.ntlm import NegotiateMessage, SecurityContext, Version
from sspimodel.ntlm.messages import FLAG
from sspimodel.ntlm.session import CLIENT_FLAGS

SEQ = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY
KEY = bytes(range(16))


def test_protection_gives_the_bytes_of_the_standalone_ntlm_security_context():
    # Two implementations of MS-NLMP 3.4 in the project: the model's (keystream read ahead) and
    # sspimodel.ntlm's (held to the MS-NLMP 4.2 vectors). Their signatures and sealed bytes agree.
    for flags in (CLIENT_FLAGS, CLIENT_FLAGS & ~FLAG.NTLMSSP_NEGOTIATE_KEY_EXCH):
        ours, reference = Protection(flags, KEY, True), SecurityContext(flags, KEY, is_client=True)
        for i, message in enumerate([b"one", b"", b"three" * 40]):
            assert ours.sign(i * 2, message) == reference.sign(message)
            assert ours.seal(i * 2 + 1, message) == reference.seal(message)
        peer = SecurityContext(flags, KEY, is_client=False)
        receiver = Protection(flags, KEY, True)  # the client reads what the server sealed
        sealed, signature = peer.seal(b"to the client")
        assert receiver.check(receiver.unseal_peek(sealed), signature, len(sealed)) == ("ok", 0)


def test_a_check_uses_no_keystream_until_the_message_is_taken():
    stream = Stream(KEY)
    ahead = stream.peek(8)
    assert stream.peek(4) == ahead[:4] and stream.position == 0
    assert stream.take(8) == ahead and stream.position == 8
    assert Stream(KEY, 8).peek(5) == stream.peek(5)  # a restored stream continues where it stood


def test_the_stream_reads_the_rc4_keystream_in_order_across_its_refills():
    # The stream produces keystream a chunk at a time; what it gives must be the RC4 keystream
    # itself, whatever the sizes asked for (small, across a chunk's end, larger than a chunk).
    from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
    from cryptography.hazmat.primitives.ciphers import Cipher

    whole = Cipher(ARC4(KEY), mode=None).encryptor().update(bytes(4000))
    stream, used = Stream(KEY), 0
    for n in (8, 3, 240, 8, 17, 600, 1, 8, 1500, 8):
        assert stream.peek(8, n) == whole[used + n : used + n + 8]  # read ahead past n unused bytes
        assert stream.take(n) == whole[used : used + n]
        used += n
        assert stream.position == used
    assert Stream(KEY, used).take(100) == whole[used : used + 100]


def test_handshake_tokens_are_ntlmssp_messages_and_deterministic_per_world_seed():
    def tokens_of(seed: str) -> list[bytes]:
        world = default_world(seed)
        return handshake(Sspi(world, 100), Sspi(world, 200), "NTLM", client_req=SEQ).tokens

    first, again, other = tokens_of("contoso"), tokens_of("contoso"), tokens_of("fabrikam")
    assert [t[:12] for t in first] == [b"NTLMSSP\x00" + bytes([n, 0, 0, 0]) for n in (1, 2, 3)]
    assert first == again
    assert first[0] == other[0] and first[1] != other[1] and first[2] != other[2]  # random parts differ


def test_the_session_key_is_the_exported_session_key_both_sides_share():
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    hs = handshake(cli, srv, "NTLM", client_req=SEQ)
    keys = [
        s.QueryContextAttributesW(phContext=ctx, ulAttribute=SECPKG_ATTR_SESSION_KEY).pBuffer.SessionKey
        for s, ctx in ((cli, hs.client_ctx), (srv, hs.server_ctx))
    ]
    assert keys[0] == keys[1] and len(keys[0]) == 16
    sizes = cli.QueryContextAttributesW(phContext=hs.client_ctx, ulAttribute=SECPKG_ATTR_SIZES).pBuffer
    assert (sizes.cbMaxToken, sizes.cbMaxSignature, sizes.cbSecurityTrailer) == (2888, 16, 16)


def test_an_imported_context_continues_the_sealing_stream():
    world = default_world()
    cli, srv, worker = Sspi(world, 100), Sspi(world, 200), Sspi(world, 201)
    hs = handshake(cli, srv, "NTLM", client_req=SEQ)

    def seal(text: bytes) -> SecBufferDesc:
        msg = SecBufferDesc([SecBuffer(SECBUFFER_TOKEN, None, 16), SecBuffer(SECBUFFER_DATA, text)])
        assert cli.EncryptMessage(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0).status.name == "SEC_E_OK"
        return msg

    for text in (b"first", b"second message"):
        assert srv.DecryptMessage(phContext=hs.server_ctx, pMessage=seal(text), MessageSeqNo=0).status.name == "SEC_E_OK"
    packed = srv.ExportSecurityContext(phContext=hs.server_ctx, fFlags=0).pPackedContext
    imported = worker.ImportSecurityContextW(pszPackage="NTLM", pPackedContext=packed).phContext
    third = seal(b"third, read by the worker")
    assert worker.DecryptMessage(phContext=imported, pMessage=third, MessageSeqNo=0).status.name == "SEC_E_OK"
    assert third.pBuffers[1].contents == b"third, read by the worker"


def test_an_ntlm_message_cut_short_is_truncated_and_a_bad_length_is_not():
    negotiate = NegotiateMessage(CLIENT_FLAGS, version=Version()).encode()
    whole = tokens.parse(negotiate, b"")
    assert isinstance(whole, tokens.Frame) and whole.kind is tokens.Kind.NTLM_NEGOTIATE and whole.package == 10
    short = tokens.parse(negotiate[:-3], b"")
    assert isinstance(short, tokens.Bad) and short.problem is tokens.Problem.TRUNCATED and short.missing == 3
    odd = bytearray(negotiate)
    odd[25] ^= 1  # WorkstationFields.Len no longer equals its MaxLen: not a length to wait for
    assert isinstance(tokens.parse(bytes(odd), b""), tokens.Frame)
    odd[8] = 7  # MessageType 7
    bad = tokens.parse(bytes(odd), b"")
    assert isinstance(bad, tokens.Bad) and bad.problem is tokens.Problem.MALFORMED and "MessageType is 7" in bad.detail


def test_an_authenticate_message_too_long_for_its_fields_is_refused_with_a_status():
    # A user name of 40,000 characters is 80,000 bytes of UTF-16: more than the 16-bit Len of
    # AUTHENTICATE_MESSAGE.UserNameFields can say. The client refuses the leg with a status of
    # the page and says why; it never writes a truncated length (nor raises struct.error).
    from sspimodel.model import AuthIdentity
    from sspimodel.model.drive import acquire

    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    identity = AuthIdentity(User="a" * 40_000, Domain="CONTOSO", Password="x")
    cred = acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND, pAuthData=identity)
    hs = handshake(cli, srv, package="NTLM", client_cred=cred, buffer_size=200_000)
    assert hs.steps == [
        ("InitializeSecurityContextW", "SEC_I_CONTINUE_NEEDED"),
        ("AcceptSecurityContext", "SEC_I_CONTINUE_NEEDED"),
        ("InitializeSecurityContextW", "SEC_E_INVALID_TOKEN"),
    ]
    leg = str(cli.explain())
    assert "AUTHENTICATE_MESSAGE.UserName would be 80000 bytes" in leg
