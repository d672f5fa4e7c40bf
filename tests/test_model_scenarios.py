"""Scenarios through the guarded API: handshakes, messages, export/import, credentials, faults."""

from __future__ import annotations

import attrs
import pytest

from sspimodel.api import Sspi
from sspimodel.contract import ContractError
from sspimodel.model import (
    AllocatedBytes,
    AuthIdentity,
    CtxtHandle,
    Luid,
    Ref,
    SecBuffer,
    SecBufferDesc,
    default_world,
)
from sspimodel.model.constants import (
    ISC_REQ_ALLOCATE_MEMORY,
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_MUTUAL_AUTH,
    ISC_REQ_REPLAY_DETECT,
    ISC_REQ_SEQUENCE_DETECT,
    ISC_RET_ALLOCATED_MEMORY,
    ISC_RET_MUTUAL_AUTH,
    SECBUFFER_DATA,
    SECBUFFER_STREAM,
    SECBUFFER_TOKEN,
    SECPKG_ATTR_NAMES,
    SECPKG_ATTR_NEGOTIATION_INFO,
    SECPKG_ATTR_PACKAGE_INFO,
    SECPKG_ATTR_SESSION_KEY,
    SECPKG_ATTR_SIZES,
    SECPKG_CONTEXT_EXPORT_DELETE_OLD,
    SECPKG_CONTEXT_EXPORT_RESET_NEW,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
    SECPKG_NEGOTIATION_COMPLETE,
    SECQOP_WRAP_NO_ENCRYPT,
    SECURITY_NATIVE_DREP,
)
from sspimodel.model.drive import acquire, handshake
from sspimodel.model.world import SYSTEM_LUID

SEQ = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT | ISC_REQ_CONFIDENTIALITY


def pair(world=None):
    world = world or default_world()
    return world, Sspi(world, 100), Sspi(world, 200)


def isc(sspi, cred, ctx=None, token=None, target="HTTP/web.contoso.com", req=0, out=None):
    out = out if out is not None else SecBufferDesc.output(48256)
    return sspi.InitializeSecurityContextW(
        phCredential=cred,
        phContext=ctx,
        pTargetName=target,
        fContextReq=req,
        Reserved1=0,
        TargetDataRep=SECURITY_NATIVE_DREP,
        pInput=SecBufferDesc.token(token) if token is not None else None,
        Reserved2=0,
        pOutput=out,
    ), out


def asc(sspi, cred, ctx=None, token=None, req=0, out=None):
    out = out if out is not None else SecBufferDesc.output(48256)
    return sspi.AcceptSecurityContext(
        phCredential=cred,
        phContext=ctx,
        pInput=SecBufferDesc.token(token) if token is not None else None,
        fContextReq=req,
        TargetDataRep=SECURITY_NATIVE_DREP,
        pOutput=out,
    ), out


def package_of(sspi, ctx):
    r = sspi.QueryContextAttributesW(phContext=ctx, ulAttribute=SECPKG_ATTR_PACKAGE_INFO)
    assert r.status.name == "SEC_E_OK"
    name = r.pBuffer.PackageInfo.Name
    sspi.FreeContextBuffer(pvContextBuffer=r.pBuffer.PackageInfo)
    return name


# -- handshakes -----------------------------------------------------------------------------------


def test_ntlm_handshake_has_three_messages_and_both_sides_agree():
    _world, cli, srv = pair()
    hs = handshake(cli, srv, "NTLM", "HTTP/web.contoso.com", client_req=SEQ)
    assert hs.statuses == ["SEC_I_CONTINUE_NEEDED", "SEC_I_CONTINUE_NEEDED", "SEC_E_OK", "SEC_E_OK"]
    assert len(hs.tokens) == 3  # NEGOTIATE, CHALLENGE, AUTHENTICATE
    names = srv.QueryContextAttributesW(phContext=hs.server_ctx, ulAttribute=SECPKG_ATTR_NAMES)
    assert names.pBuffer.sUserName == "CONTOSO\\alice"
    assert not hs.client_attributes & ISC_RET_MUTUAL_AUTH  # NTLM cannot authenticate the server
    key_c = cli.QueryContextAttributesW(phContext=hs.client_ctx, ulAttribute=SECPKG_ATTR_SESSION_KEY).pBuffer
    key_s = srv.QueryContextAttributesW(phContext=hs.server_ctx, ulAttribute=SECPKG_ATTR_SESSION_KEY).pBuffer
    assert bytes(key_c.SessionKey) == bytes(key_s.SessionKey) and key_c.SessionKeyLength == 16


def test_kerberos_mutual_authentication_takes_two_legs_and_reports_mutual():
    _world, cli, srv = pair()
    hs = handshake(cli, srv, "Kerberos", client_req=ISC_REQ_MUTUAL_AUTH)
    assert hs.statuses == ["SEC_I_CONTINUE_NEEDED", "SEC_E_OK", "SEC_E_OK"]
    assert hs.client_attributes & ISC_RET_MUTUAL_AUTH
    plain = handshake(*pair()[1:], "Kerberos")
    assert plain.statuses == ["SEC_E_OK", "SEC_E_OK"]  # one leg without mutual authentication
    assert not plain.client_attributes & ISC_RET_MUTUAL_AUTH


def test_negotiate_picks_kerberos_for_a_known_spn_with_the_authority_online():
    _world, cli, srv = pair()
    hs = handshake(cli, srv, "Negotiate", "HTTP/web.contoso.com")
    assert hs.established and len(hs.steps) == 2
    assert package_of(cli, hs.client_ctx) == "Kerberos"
    info = cli.QueryContextAttributesW(
        phContext=hs.client_ctx, ulAttribute=SECPKG_ATTR_NEGOTIATION_INFO
    ).pBuffer
    assert info.PackageInfo.Name == "Kerberos" and info.NegotiationState == SECPKG_NEGOTIATION_COMPLETE


@pytest.mark.parametrize("why", ["unknown target", "authority offline"])
def test_negotiate_falls_back_to_ntlm(why):
    world, cli, srv = pair()
    target = "HTTP/nowhere.contoso.com" if why == "unknown target" else "HTTP/web.contoso.com"
    cc = acquire(cli, "Negotiate", SECPKG_CRED_OUTBOUND)
    sc = acquire(srv, "Negotiate", SECPKG_CRED_INBOUND)
    if why == "authority offline":
        # NTLM's server checks the client with the authority too: bring it back before that leg.
        world.authority.online = False
        r1, out1 = isc(cli, cc, target=target)
        assert r1.status.name == "SEC_I_CONTINUE_NEEDED"
        world.authority.online = True
        r2, out2 = asc(srv, sc, token=out1.token_bytes)
        r3, out3 = isc(cli, cc, r1.phNewContext, out2.token_bytes, target=target)
        r4, out4 = asc(srv, sc, r2.phNewContext, out3.token_bytes)
        # SPNEGO: the client's AUTHENTICATE leg continues; the server's mechListMIC ends it.
        r5, _ = isc(cli, cc, r1.phNewContext, out4.token_bytes, target=target)
        assert [r.status.name for r in (r2, r3, r4, r5)] == [
            "SEC_I_CONTINUE_NEEDED", "SEC_I_CONTINUE_NEEDED", "SEC_E_OK", "SEC_E_OK"
        ]  # fmt: skip
        ctx = r1.phNewContext
    else:
        hs = handshake(cli, srv, "Negotiate", target, client_cred=cc, server_cred=sc)
        assert len(hs.tokens) == 4 and hs.established  # SPNEGO: the server's mechListMIC is the 4th
        ctx = hs.client_ctx
    assert package_of(cli, ctx) == "NTLM"


def test_digest_needs_complete_auth_token_on_both_sides():
    _world, cli, srv = pair()
    hs = handshake(cli, srv, "Digest", "/index.html", client_req=ISC_REQ_MUTUAL_AUTH)
    assert hs.statuses == [
        "SEC_I_COMPLETE_AND_CONTINUE",  # server challenge
        "SEC_E_OK",
        "SEC_I_COMPLETE_AND_CONTINUE",  # client response, waits for rspauth
        "SEC_E_OK",
        "SEC_I_COMPLETE_NEEDED",  # server rspauth
        "SEC_E_OK",
        "SEC_E_OK",
    ]
    assert hs.established


def test_skipping_complete_auth_token_makes_the_peer_reject_the_token():
    _world, cli, srv = pair()
    cc, sc = acquire(cli, "Digest", SECPKG_CRED_OUTBOUND), acquire(srv, "Digest", SECPKG_CRED_INBOUND)
    r, out = asc(srv, sc)
    assert r.status.name == "SEC_I_COMPLETE_AND_CONTINUE"
    r2, _ = isc(cli, cc, token=out.token_bytes, target="/")  # the challenge was never sealed
    assert r2.status.name == "SEC_E_INVALID_TOKEN"
    again, _ = asc(srv, sc, r.phNewContext, token=b"x")
    assert again.status.name == "SEC_E_INVALID_TOKEN"  # the server also waits for its own completion
    # CompleteAuthToken on a changed token, then twice
    out.pBuffers[0].pvBuffer = out.token_bytes[:-1] + b"!"
    assert srv.CompleteAuthToken(phContext=r.phNewContext, pToken=out).status.name == "SEC_E_MESSAGE_ALTERED"


def test_allocate_memory_output_is_package_memory_to_free():
    _world, cli, _srv = pair()
    cc = acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND)
    out = SecBufferDesc([SecBuffer(SECBUFFER_TOKEN)])
    r, out = isc(cli, cc, req=ISC_REQ_ALLOCATE_MEMORY, out=out)
    assert r.status.name == "SEC_I_CONTINUE_NEEDED" and r.pfContextAttr & ISC_RET_ALLOCATED_MEMORY
    token = out.pBuffers[0].pvBuffer
    assert isinstance(token, AllocatedBytes)
    assert cli.FreeContextBuffer(pvContextBuffer=token).status.name == "SEC_E_OK"
    with pytest.raises(ContractError, match="released already"):
        cli.FreeContextBuffer(pvContextBuffer=token)
    with pytest.raises(ContractError, match="not memory a security package allocated"):
        cli.FreeContextBuffer(pvContextBuffer=b"caller's own bytes")


def test_truncated_input_gives_incomplete_message_and_marks_the_missing_bytes():
    _world, cli, srv = pair()
    cc, sc = acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND), acquire(srv, "NTLM", SECPKG_CRED_INBOUND)
    _r1, out1 = isc(cli, cc)
    whole = out1.token_bytes
    given = SecBufferDesc([SecBuffer(SECBUFFER_TOKEN, whole[:-5]), SecBuffer(0)])
    r = srv.AcceptSecurityContext(
        phCredential=sc,
        pInput=given,
        fContextReq=0,
        TargetDataRep=SECURITY_NATIVE_DREP,
        pOutput=SecBufferDesc.output(4096),
    )
    assert r.status.name == "SEC_E_INCOMPLETE_MESSAGE"
    assert given.pBuffers[1].BufferType == 4 and given.pBuffers[1].cbBuffer == 5  # SECBUFFER_MISSING
    r2, _ = asc(srv, sc, token=whole)
    assert r2.status.name == "SEC_I_CONTINUE_NEEDED"


def test_wrong_password_is_refused_on_the_server_leg():
    _world, cli, srv = pair()
    bad = AuthIdentity(User="alice", Domain="CONTOSO", Password="guess")
    cc = acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND, pAuthData=bad)
    hs = handshake(cli, srv, "NTLM", client_cred=cc)
    assert hs.statuses[-1] == "SEC_E_LOGON_DENIED" and hs.steps[-1][0] == "AcceptSecurityContext"
    kerb = acquire(cli, "Kerberos", SECPKG_CRED_OUTBOUND, pAuthData=bad)
    assert handshake(cli, srv, "Kerberos", client_cred=kerb).statuses == ["SEC_E_LOGON_DENIED"]


def test_ticket_for_another_service_fails_both_sides():
    _world, cli, srv = pair()
    cc = acquire(cli, "Kerberos", SECPKG_CRED_OUTBOUND)
    sc = acquire(srv, "Kerberos", SECPKG_CRED_INBOUND)  # web.exe runs as websvc
    r1, out1 = isc(cli, cc, target="host/files.contoso.com", req=ISC_REQ_MUTUAL_AUTH)
    r2, out2 = asc(srv, sc, token=out1.token_bytes)
    assert r2.status.name == "SEC_E_INVALID_TOKEN" and out2.token_bytes  # a KRB-ERROR for the client
    r3, _ = isc(cli, cc, r1.phNewContext, out2.token_bytes, target="host/files.contoso.com")
    assert r3.status.name == "SEC_E_WRONG_PRINCIPAL"


def test_replayed_ap_req_is_rejected():
    _world, cli, srv = pair()
    cc, sc = acquire(cli, "Kerberos", SECPKG_CRED_OUTBOUND), acquire(srv, "Kerberos", SECPKG_CRED_INBOUND)
    _r1, out1 = isc(cli, cc)
    assert asc(srv, sc, token=out1.token_bytes)[0].status.name == "SEC_E_OK"
    assert asc(srv, sc, token=out1.token_bytes)[0].status.name == "SEC_E_INVALID_TOKEN"


def test_tampered_and_cross_context_handshake_tokens_are_invalid():
    _world, cli, srv = pair()
    cc, sc = acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND), acquire(srv, "NTLM", SECPKG_CRED_INBOUND)
    a1, t1 = isc(cli, cc)
    b1, _u1 = isc(cli, cc)  # a second, unrelated handshake
    tampered = bytearray(t1.token_bytes)
    tampered[8] ^= 1  # the NEGOTIATE_MESSAGE's MessageType (1) becomes 0: no NTLMSSP message
    assert asc(srv, sc, token=bytes(tampered))[0].status.name == "SEC_E_INVALID_TOKEN"
    _a2, t2 = asc(srv, sc, token=t1.token_bytes)
    # NTLMSSP messages carry no handshake id (MS-NLMP 2.2.1): the CHALLENGE of handshake A fed to
    # the client context of handshake B is answered; the AUTHENTICATE it gives proves nothing to
    # a server context that sent another challenge (its NTProofStr covers A's server challenge).
    _b2, u3 = isc(cli, cc, b1.phNewContext, t2.token_bytes)
    _c1, _v1 = asc(srv, sc, token=t1.token_bytes)  # server context C: another server challenge
    assert asc(srv, sc, _c1.phNewContext, token=u3.token_bytes)[0].status.name == "SEC_E_LOGON_DENIED"
    assert isc(cli, cc, a1.phNewContext, b"random bytes")[0].status.name == "SEC_E_INVALID_TOKEN"


# -- messages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("package", ["NTLM", "Kerberos", "Negotiate", "Digest"])
def test_sign_verify_and_encrypt_decrypt_round_trips(package):
    _world, cli, srv = pair()
    hs = handshake(cli, srv, package, "HTTP/web.contoso.com" if package != "Digest" else "/", client_req=SEQ)
    assert hs.established
    for sender, receiver, s_ctx, r_ctx in (
        (cli, srv, hs.client_ctx, hs.server_ctx),
        (srv, cli, hs.server_ctx, hs.client_ctx),
    ):
        msg = SecBufferDesc.message(b"pay 100 to bob")
        assert (
            sender.MakeSignature(phContext=s_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0).status.name
            == "SEC_E_OK"
        )
        verified = receiver.VerifySignature(phContext=r_ctx, pMessage=msg, MessageSeqNo=0)
        assert verified.status.name == "SEC_E_OK" and verified.pfQOP == 0
        sealed = SecBufferDesc.message(b"the secret")
        assert (
            sender.EncryptMessage(phContext=s_ctx, fQOP=0, pMessage=sealed, MessageSeqNo=0).status.name
            == "SEC_E_OK"
        )
        assert sealed.pBuffers[1].contents != b"the secret"
        opened = receiver.DecryptMessage(phContext=r_ctx, pMessage=sealed, MessageSeqNo=0)
        assert opened.status.name == "SEC_E_OK" and sealed.pBuffers[1].contents == b"the secret"


def test_tampered_replayed_and_reflected_messages_are_caught():
    _world, cli, srv = pair()
    hs = handshake(cli, srv, "Kerberos", client_req=SEQ)
    msg = SecBufferDesc.message(b"transfer 10")
    cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0)
    original = msg.pBuffers[1].pvBuffer
    msg.pBuffers[1].pvBuffer = b"transfer 99"
    assert (
        srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0).status.name
        == "SEC_E_MESSAGE_ALTERED"
    )
    msg.pBuffers[1].pvBuffer = original
    assert (
        srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0).status.name == "SEC_E_OK"
    )
    assert (
        srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0).status.name
        == "SEC_E_OUT_OF_SEQUENCE"
    )
    # the client's own signature fed back to the client (reflection)
    assert (
        cli.VerifySignature(phContext=hs.client_ctx, pMessage=msg, MessageSeqNo=0).status.name
        == "SEC_E_MESSAGE_ALTERED"
    )
    sealed = SecBufferDesc.message(b"abc")
    cli.EncryptMessage(phContext=hs.client_ctx, fQOP=0, pMessage=sealed, MessageSeqNo=0)
    copy = SecBufferDesc([SecBuffer(b.BufferType, b.pvBuffer, b.cbBuffer) for b in sealed])
    assert (
        srv.DecryptMessage(phContext=hs.server_ctx, pMessage=sealed, MessageSeqNo=0).status.name == "SEC_E_OK"
    )
    assert (
        srv.DecryptMessage(phContext=hs.server_ctx, pMessage=copy, MessageSeqNo=0).status.name
        == "SEC_E_OUT_OF_SEQUENCE"
    )


def test_ntlm_rejects_a_replayed_signature_even_without_sequence_detection():
    # NTLM's signature checksum is encrypted with the connection's RC4 stream (MS-NLMP 3.4.4.2,
    # key exchange negotiated): without sequence detection a replay meets another part of the
    # stream and fails its check; with it (NTLMSSP_NEGOTIATE_SIGN negotiated) it is out of sequence.
    _world, cli, srv = pair()
    hs = handshake(cli, srv, "NTLM")
    msg = SecBufferDesc.message(b"hello")
    cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0)
    statuses = [srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0).status.name for _ in range(2)]
    assert statuses == ["SEC_E_OK", "SEC_E_MESSAGE_ALTERED"]
    hs = handshake(cli, srv, "NTLM", client_req=SEQ)
    cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0)
    statuses = [srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0).status.name for _ in range(2)]
    assert statuses == ["SEC_E_OK", "SEC_E_OUT_OF_SEQUENCE"]
    # a changed checksum and a changed sequence number (1 becomes 0) are both caught
    cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0)
    good = msg.pBuffers[0].contents
    for index in (5, 12):
        msg.pBuffers[0].pvBuffer = good[:index] + bytes([good[index] ^ 1]) + good[index + 1 :]
        status = srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0).status.name
        assert status == "SEC_E_MESSAGE_ALTERED"
    msg.pBuffers[0].pvBuffer = good  # the genuine one still verifies: a rejected one used nothing
    assert srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0).status.name == "SEC_E_OK"


def test_without_sequence_detection_a_replay_is_accepted():
    _world, cli, srv = pair()
    hs = handshake(cli, srv, "Kerberos")
    msg = SecBufferDesc.message(b"hello")
    cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0)
    for _ in range(2):
        assert (
            srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0).status.name
            == "SEC_E_OK"
        )


def test_transport_sequence_numbers_go_into_the_signature():
    _world, cli, srv = pair()
    hs = handshake(cli, srv, "NTLM", client_req=SEQ)
    msg = SecBufferDesc.message(b"m")
    cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=7)
    assert (
        srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=6).status.name
        == "SEC_E_OUT_OF_SEQUENCE"
    )
    assert (
        srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=7).status.name == "SEC_E_OK"
    )
    late = SecBufferDesc.message(b"n")
    assert (
        cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=late, MessageSeqNo=3).status.name
        == "SEC_E_OUT_OF_SEQUENCE"
    )


def test_stream_buffer_decrypts_and_a_short_stream_is_incomplete():
    _world, cli, srv = pair()
    hs = handshake(cli, srv, "Kerberos", client_req=ISC_REQ_CONFIDENTIALITY)
    sealed = SecBufferDesc.message(b"streamed data")
    cli.EncryptMessage(phContext=hs.client_ctx, fQOP=0, pMessage=sealed, MessageSeqNo=0)
    wire = sealed.pBuffers[0].contents + sealed.pBuffers[1].contents
    short = SecBufferDesc([SecBuffer(SECBUFFER_STREAM, wire[:-3])])
    assert (
        srv.DecryptMessage(phContext=hs.server_ctx, pMessage=short, MessageSeqNo=0).status.name
        == "SEC_E_INCOMPLETE_MESSAGE"
    )
    whole = SecBufferDesc([SecBuffer(SECBUFFER_STREAM, wire)])
    assert (
        srv.DecryptMessage(phContext=hs.server_ctx, pMessage=whole, MessageSeqNo=0).status.name == "SEC_E_OK"
    )
    assert whole.pBuffers[0].BufferType == SECBUFFER_DATA and whole.pBuffers[0].contents == b"streamed data"


def test_wrap_no_encrypt_is_integrity_only_and_reported_in_pfqop():
    _world, cli, srv = pair()
    hs = handshake(cli, srv, "Kerberos")  # no confidentiality asked
    msg = SecBufferDesc.message(b"visible")
    assert (
        cli.EncryptMessage(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0).status.name
        == "SEC_E_CRYPTO_SYSTEM_INVALID"
    )
    r = cli.EncryptMessage(phContext=hs.client_ctx, fQOP=SECQOP_WRAP_NO_ENCRYPT, pMessage=msg, MessageSeqNo=0)
    assert r.status.name == "SEC_E_OK" and msg.pBuffers[1].contents == b"visible"
    opened = srv.DecryptMessage(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0)
    assert opened.status.name == "SEC_E_OK" and opened.pfQOP == SECQOP_WRAP_NO_ENCRYPT


def test_sizes_match_what_the_message_functions_write():
    _world, cli, srv = pair()
    hs = handshake(cli, srv, "NTLM", client_req=SEQ)
    sizes = cli.QueryContextAttributesW(phContext=hs.client_ctx, ulAttribute=SECPKG_ATTR_SIZES).pBuffer
    msg = SecBufferDesc.message(b"x", token_size=sizes.cbMaxSignature)
    assert (
        cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0).status.name
        == "SEC_E_OK"
    )
    assert msg.pBuffers[0].cbBuffer == sizes.cbMaxSignature
    small = SecBufferDesc.message(b"x", token_size=sizes.cbSecurityTrailer - 1)
    assert (
        cli.EncryptMessage(phContext=hs.client_ctx, fQOP=0, pMessage=small, MessageSeqNo=0).status.name
        == "SEC_E_BUFFER_TOO_SMALL"
    )


# -- export / import ------------------------------------------------------------------------------


def test_export_from_one_process_and_import_in_another():
    world, cli, srv = pair()
    hs = handshake(cli, srv, "NTLM", client_req=SEQ)
    msg = SecBufferDesc.message(b"first")
    cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0)
    assert (
        srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0).status.name == "SEC_E_OK"
    )
    exported = srv.ExportSecurityContext(phContext=hs.server_ctx, fFlags=SECPKG_CONTEXT_EXPORT_DELETE_OLD)
    assert exported.status.name == "SEC_E_OK" and exported.pToken.user == "CONTOSO\\alice"
    blob = exported.pPackedContext.contents
    assert (
        srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0).status.name
        == "SEC_E_INVALID_HANDLE"
    )
    worker = Sspi(world, 201)
    imported = worker.ImportSecurityContextW(pszPackage="NTLM", pPackedContext=SecBuffer(0, blob))
    assert imported.status.name == "SEC_E_OK"
    second = SecBufferDesc.message(b"second")
    cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=second, MessageSeqNo=0)
    # the imported copy continues the sequence where the exporter stopped
    assert (
        worker.VerifySignature(phContext=imported.phContext, pMessage=second, MessageSeqNo=0).status.name
        == "SEC_E_OK"
    )
    assert srv.FreeContextBuffer(pvContextBuffer=exported.pPackedContext.pvBuffer).status.name == "SEC_E_OK"


def test_reset_new_restarts_the_sequence_numbers():
    world, cli, srv = pair()
    hs = handshake(cli, srv, "Kerberos", client_req=SEQ)
    msg = SecBufferDesc.message(b"one")
    cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0)
    srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0)
    exported = srv.ExportSecurityContext(phContext=hs.server_ctx, fFlags=SECPKG_CONTEXT_EXPORT_RESET_NEW)
    worker = Sspi(world, 201)
    ctx = worker.ImportSecurityContextW(
        pszPackage="Kerberos", pPackedContext=exported.pPackedContext
    ).phContext
    # the reset copy expects sequence number 0 again, so the first message is accepted again
    assert worker.VerifySignature(phContext=ctx, pMessage=msg, MessageSeqNo=0).status.name == "SEC_E_OK"
    assert (
        srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0).status.name
        == "SEC_E_OUT_OF_SEQUENCE"
    )


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("tampered", "SEC_E_UNKNOWN_CREDENTIALS"),
        ("truncated", "SEC_E_UNKNOWN_CREDENTIALS"),
        ("wrong package", "SEC_E_NO_CREDENTIALS"),
        ("unknown package", "SEC_E_SECPKG_NOT_FOUND"),
        ("package without import", "SEC_E_UNSUPPORTED_FUNCTION"),
        ("other process", "SEC_E_NOT_OWNER"),
    ],
)
def test_import_failures(case, status):
    world, cli, srv = pair()
    hs = handshake(cli, srv, "NTLM")
    blob = srv.ExportSecurityContext(phContext=hs.server_ctx, fFlags=0).pPackedContext.contents
    package, pid = "NTLM", 201
    if case == "tampered":
        blob = blob[:30] + bytes([blob[30] ^ 0xFF]) + blob[31:]
    elif case == "truncated":
        blob = blob[:-10]
    elif case == "wrong package":
        package = "Kerberos"
    elif case == "unknown package":
        package = "Schannel"
    elif case == "package without import":
        package = "Digest"
    elif case == "other process":
        pid = 101  # bob.exe: the blob was exported to worker.exe
    result = Sspi(world, pid).ImportSecurityContextA(pszPackage=package, pPackedContext=SecBuffer(0, blob))
    assert result.status.name == status and result.phContext is None


# -- credentials ----------------------------------------------------------------------------------


def test_cross_logon_credentials_need_se_tcb_name():
    world = default_world()
    alice = Sspi(world, 100)
    system = Sspi(world, 4)  # holds SE_TCB_NAME
    bob_session = Luid(0x1002)
    denied = alice.AcquireCredentialsHandleW(
        pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pvLogonId=bob_session
    )
    assert denied.status.name == "SEC_E_NOT_OWNER"
    granted = system.AcquireCredentialsHandleW(
        pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pvLogonId=bob_session
    )
    assert granted.status.name == "SEC_E_OK"
    hs = handshake(system, Sspi(world, 200), "NTLM", client_cred=granted.phCredential)
    names = Sspi(world, 200).QueryContextAttributesW(phContext=hs.server_ctx, ulAttribute=SECPKG_ATTR_NAMES)
    assert names.pBuffer.sUserName == "CONTOSO\\bob"
    own = alice.AcquireCredentialsHandleW(
        pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pvLogonId=Luid(0x1001)
    )
    assert own.status.name == "SEC_E_OK"
    assert (
        system.AcquireCredentialsHandleW(
            pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pvLogonId=Luid(0x9999)
        ).status.name
        == "SEC_E_NO_CREDENTIALS"
    )
    assert (
        system.AcquireCredentialsHandleW(
            pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pvLogonId=SYSTEM_LUID
        ).status.name
        == "SEC_E_OK"
    )


def test_inbound_credentials_need_the_authority():
    world = default_world()
    web = Sspi(world, 200)
    world.authority.online = False
    r = web.AcquireCredentialsHandleA(pszPackage="Kerberos", fCredentialUse=SECPKG_CRED_INBOUND)
    assert r.status.name == "SEC_E_NO_AUTHENTICATING_AUTHORITY" and r.phCredential is None
    assert (
        web.AcquireCredentialsHandleA(pszPackage="Kerberos", fCredentialUse=SECPKG_CRED_OUTBOUND).status.name
        == "SEC_E_OK"
    )
    world.authority.online = True
    assert (
        web.AcquireCredentialsHandleA(pszPackage="Kerberos", fCredentialUse=SECPKG_CRED_INBOUND).status.name
        == "SEC_E_OK"
    )


def test_authority_going_offline_mid_handshake():
    world, cli, srv = pair()
    cc, sc = acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND), acquire(srv, "NTLM", SECPKG_CRED_INBOUND)
    r1, o1 = isc(cli, cc)
    r2, o2 = asc(srv, sc, token=o1.token_bytes)
    _r3, o3 = isc(cli, cc, r1.phNewContext, o2.token_bytes)
    world.authority.online = False
    assert asc(srv, sc, r2.phNewContext, o3.token_bytes)[0].status.name == "SEC_E_NO_AUTHENTICATING_AUTHORITY"
    kerb = acquire(cli, "Kerberos", SECPKG_CRED_OUTBOUND)
    assert isc(cli, kerb)[0].status.name == "SEC_E_NO_AUTHENTICATING_AUTHORITY"


def test_credentials_and_contexts_are_per_process():
    _world, cli, srv = pair()
    cc = acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND)
    assert srv.FreeCredentialsHandle(phCredential=cc).status.name == "SEC_E_INVALID_HANDLE"
    assert cli.FreeCredentialsHandle(phCredential=cc).status.name == "SEC_E_OK"
    assert cli.FreeCredentialsHandle(phCredential=cc).status.name == "SEC_E_INVALID_HANDLE"


def test_deleting_twice_is_ok_but_the_handle_is_dead():
    _world, cli, srv = pair()
    hs = handshake(cli, srv, "NTLM")
    assert cli.DeleteSecurityContext(phContext=hs.client_ctx).status.name == "SEC_E_OK"
    assert cli.DeleteSecurityContext(phContext=hs.client_ctx).status.name == "SEC_E_OK"
    msg = SecBufferDesc.message(b"x")
    assert (
        cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0).status.name
        == "SEC_E_INVALID_HANDLE"
    )
    assert cli.DeleteSecurityContext(phContext=CtxtHandle(999, 10)).status.name == "SEC_E_INVALID_HANDLE"


# -- faults ---------------------------------------------------------------------------------------


def test_injected_memory_and_internal_faults():
    world, cli, _srv = pair()
    world.faults.add("SEC_E_INSUFFICIENT_MEMORY", function="AcquireCredentialsHandle")
    world.faults.add("SEC_E_INTERNAL_ERROR", nth=3)
    r1 = cli.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND)
    assert r1.status.name == "SEC_E_INSUFFICIENT_MEMORY" and r1.phCredential is None
    cred = acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND)  # the fault fired once
    assert isc(cli, cred)[0].status.name == "SEC_E_INTERNAL_ERROR"  # call number 3
    assert isc(cli, cred)[0].status.name == "SEC_I_CONTINUE_NEEDED"
    assert world.faults.log == [
        (1, "AcquireCredentialsHandleW", "SEC_E_INSUFFICIENT_MEMORY"),
        (3, "InitializeSecurityContextW", "SEC_E_INTERNAL_ERROR"),
    ]


def test_a_fault_never_gives_a_status_the_page_does_not_document():
    world, cli, srv = pair()
    hs = handshake(cli, srv, "NTLM")
    fault = world.faults.add("SEC_E_INSUFFICIENT_MEMORY", function="DeleteSecurityContext")
    assert cli.DeleteSecurityContext(phContext=hs.client_ctx).status.name == "SEC_E_OK"
    assert fault.fired == 0 and world.faults.unfired() == [fault]


def test_fault_predicate_sees_the_arguments():
    world, cli, _srv = pair()
    world.faults.add(
        "SEC_E_INSUFFICIENT_MEMORY", when=lambda f, args: args.get("pPackage") == "Kerberos", times=0
    )
    assert acquire(cli, "NTLM", SECPKG_CRED_OUTBOUND)
    for _ in range(2):
        r = cli.AcquireCredentialsHandleW(pPackage="Kerberos", fCredentialUse=SECPKG_CRED_OUTBOUND)
        assert r.status.name == "SEC_E_INSUFFICIENT_MEMORY"


# -- the package queries --------------------------------------------------------------------------


def test_enumerate_and_query_package_info():
    world = default_world()
    sspi = Sspi(world)
    count, array = Ref(), Ref()
    r = sspi.EnumerateSecurityPackagesA(pcPackages=count, ppPackageInfo=array)
    assert r.status.name == "SEC_E_OK" and count.value == 4
    assert [p.Name for p in array.value] == ["Negotiate", "Kerberos", "NTLM", "Digest"]
    # The W page tags both pointers [in] as well (as upstream): the same Ref cells.
    w_count, w_array = Ref(), Ref()
    w = sspi.EnumerateSecurityPackagesW(pcPackages=w_count, ppPackageInfo=w_array)
    assert w.status.name == "SEC_E_OK" and w_count.value == 4 and w_array.value[2].cbMaxToken == 2888
    # The W page heads the name pPackageName (TBD; its text sits under `#### - pszPackageName`).
    info = sspi.QuerySecurityPackageInfoW(pPackageName="kerberos")  # names ignore case
    assert info.ppPackageInfo.Name == "Kerberos" and info.ppPackageInfo.wRPCID == 16
    with pytest.raises(ContractError, match="not a parameter of QuerySecurityPackageInfoW"):
        sspi.QuerySecurityPackageInfoW(pszPackageName="NTLM")
    for pointer in (array.value, w_array.value, info.ppPackageInfo):
        assert sspi.FreeContextBuffer(pvContextBuffer=pointer).status.name == "SEC_E_OK"
    assert world.leaks() == {}
    with pytest.raises(ContractError, match="pass a Ref"):
        sspi.EnumerateSecurityPackagesA(pcPackages=0, ppPackageInfo=Ref())


# -- the guard ------------------------------------------------------------------------------------


def test_contract_is_checked_even_with_attrs_validators_disabled():
    sspi = Sspi(default_world())
    attrs.validators.set_disabled(True)
    try:
        with pytest.raises(ContractError, match="fCredentialUse"):
            sspi.AcquireCredentialsHandleA(pszPackage="NTLM", fCredentialUse=7)
        with pytest.raises(ContractError, match="pszPackage: required parameter missing"):
            sspi.AcquireCredentialsHandleA(fCredentialUse=SECPKG_CRED_OUTBOUND)
    finally:
        attrs.validators.set_disabled(False)


def test_unknown_and_out_keywords_are_contract_errors():
    sspi = Sspi(default_world())
    with pytest.raises(ContractError, match="phCredential is an \\[out\\] parameter"):
        sspi.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=2, phCredential=None)
    with pytest.raises(ContractError, match="not a parameter of AcquireCredentialsHandleW"):
        sspi.AcquireCredentialsHandleW(pszPackage="NTLM", fCredentialUse=2)
    with pytest.raises(ContractError, match="Reserved; must be NULL"):
        sspi.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=2, pvGetKeyArgument=1)
    with pytest.raises(ContractError, match="Reserved1"):
        cred = acquire(sspi, "NTLM", SECPKG_CRED_OUTBOUND)
        sspi.InitializeSecurityContextW(
            phCredential=cred,
            fContextReq=0,
            Reserved1=5,
            TargetDataRep=0,
            Reserved2=0,
            pOutput=SecBufferDesc.output(99),
        )


def test_results_and_handles_show_no_memory_address():
    _world, cli, srv = pair()
    hs = handshake(cli, srv, "NTLM")
    text = repr(cli.QueryContextAttributesW(phContext=hs.client_ctx, ulAttribute=SECPKG_ATTR_SIZES)) + repr(
        hs
    )
    assert " at 0x" not in text and "object at" not in text
