"""DecryptMessage with a SECBUFFER_STREAM: where the decrypted message is given."""

from __future__ import annotations

from sspimodel import Sspi, default_world
from sspimodel.model import SecBuffer, SecBufferDesc
from sspimodel.model.constants import (
    ISC_REQ_CONFIDENTIALITY,
    SECBUFFER_DATA,
    SECBUFFER_STREAM,
    SECBUFFER_TOKEN,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
    SECURITY_NATIVE_DREP,
)


def _contexts():
    world = default_world()
    client, server = Sspi(world), Sspi(world, 200)
    c = client.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND).phCredential
    s = server.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_INBOUND).phCredential
    cctx = sctx = None
    token = None
    for _ in range(2):
        r = client.InitializeSecurityContextW(
            phCredential=c, phContext=cctx, pTargetName="HTTP/web.contoso.com", fContextReq=ISC_REQ_CONFIDENTIALITY,
            Reserved1=0, TargetDataRep=SECURITY_NATIVE_DREP, pInput=SecBufferDesc.token(token) if token else None,
            Reserved2=0, pOutput=SecBufferDesc.output(4096),
        )
        cctx, token = r.phNewContext, r.pOutput.token_bytes
        a = server.AcceptSecurityContext(
            phCredential=s, phContext=sctx, pInput=SecBufferDesc.token(token), fContextReq=0,
            TargetDataRep=SECURITY_NATIVE_DREP, pOutput=SecBufferDesc.output(4096),
        )
        sctx, token = a.phNewContext, a.pOutput.token_bytes
    return client, server, cctx, sctx


def _sealed(client, cctx, text):
    msg = SecBufferDesc([SecBuffer(SECBUFFER_TOKEN, None, 128), SecBuffer(SECBUFFER_DATA, text)])
    assert client.EncryptMessage(phContext=cctx, fQOP=0, pMessage=msg, MessageSeqNo=0).status == 0
    return msg[0].contents + msg[1].contents


def test_a_data_buffer_beside_the_stream_receives_the_message() -> None:
    client, server, cctx, sctx = _contexts()
    stream = _sealed(client, cctx, b"GET /payroll")
    msg = SecBufferDesc([SecBuffer(SECBUFFER_STREAM, stream), SecBuffer(SECBUFFER_DATA, None)])
    result = server.DecryptMessage(phContext=sctx, pMessage=msg, MessageSeqNo=0)
    assert result.status == 0
    assert msg[1].contents == b"GET /payroll"
    assert msg[0].BufferType == SECBUFFER_STREAM and msg[0].contents == stream


def test_a_lone_stream_buffer_becomes_the_data_buffer() -> None:
    client, server, cctx, sctx = _contexts()
    stream = _sealed(client, cctx, b"POST /raise")
    msg = SecBufferDesc([SecBuffer(SECBUFFER_STREAM, stream)])
    assert server.DecryptMessage(phContext=sctx, pMessage=msg, MessageSeqNo=0).status == 0
    assert msg[0].BufferType == SECBUFFER_DATA and msg[0].contents == b"POST /raise"
