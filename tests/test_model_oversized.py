"""Names and counts too large for a token: every one ends in a status of the page (or an
interpretation the model states), never in a Python exception out of the API."""

from __future__ import annotations

import pytest

from sspimodel.api import Sspi
from sspimodel.model import AuthIdentity, default_world
from sspimodel.model.buffers import SecBufferDesc
from sspimodel.model.constants import (
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_REPLAY_DETECT,
    ISC_REQ_SEQUENCE_DETECT,
    SECPKG_CRED_OUTBOUND,
)
from sspimodel.model.drive import acquire, handshake

SEQ = ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT


def _pair() -> tuple[Sspi, Sspi]:
    world = default_world()
    return Sspi(world, 100), Sspi(world, 200)


@pytest.mark.parametrize("package", ["NTLM", "Negotiate"])
def test_a_target_name_too_long_for_an_av_pair_is_an_invalid_token(package):
    # 40,000 characters are 80,000 bytes of UTF-16: more than MsvAvTargetName's AvLen can say.
    cli, srv = _pair()
    hs = handshake(cli, srv, package, target="HTTP/" + "w" * 40_000, buffer_size=400_000)
    assert not hs.established
    assert hs.statuses[-1] == "SEC_E_INVALID_TOKEN"
    assert "MsvAvTargetName would be" in str(cli.explain())


def _long_world(n: int):
    """default_world plus a client account and a service name of n characters each (websvc owns
    the name, so web.exe accepts for it)."""
    world = default_world()
    world.add_principal("websvc", "Svc!web-2024", spns=("HTTP/web.contoso.com", "HTTP/" + "w" * n))
    world.add_principal("c" * n, "Passw0rd!long")
    return world, Sspi(world, 100), Sspi(world, 200)


def _long_cred(cli: Sspi, package: str, n: int):
    identity = AuthIdentity(User="c" * n, Domain="CONTOSO", Password="Passw0rd!long")
    return acquire(cli, package, SECPKG_CRED_OUTBOUND, pAuthData=identity)


@pytest.mark.parametrize("package", ["Kerberos", "Negotiate"])
def test_a_kerberos_user_name_too_long_for_a_ticket_is_logon_denied(package):
    # A real account whose name (70,000 characters) does not fit the ticket's 2-byte field
    # lengths: the first leg fails as the KDC refusing the ticket (interpretation, packages._too_long).
    _world, cli, srv = _long_world(70_000)
    hs = handshake(cli, srv, package, client_cred=_long_cred(cli, package, 70_000), buffer_size=400_000)
    assert hs.steps == [("InitializeSecurityContextW", "SEC_E_LOGON_DENIED")]
    told = str(cli.explain())
    assert "the leg's token cannot be written" in told and "field 0 would be 70008 bytes" in told


def test_a_digest_user_name_too_long_for_its_response_is_an_invalid_token():
    _world, cli, srv = _long_world(70_000)
    hs = handshake(
        cli, srv, "Digest", target="/", client_cred=_long_cred(cli, "Digest", 70_000), buffer_size=400_000
    )
    assert hs.steps[-1] == ("InitializeSecurityContextW", "SEC_E_INVALID_TOKEN")
    told = str(cli.explain())
    assert "the leg's token cannot be written" in told and "field 0 would be 70008 bytes" in told


def test_exporting_a_context_whose_names_cannot_be_packed_is_refused_and_the_context_kept():
    # 34,000 characters each for the client and the service name: each fits a token, both
    # together do not fit the packed context.
    _world, cli, srv = _long_world(34_000)
    target = "HTTP/" + "w" * 34_000
    hs = handshake(
        cli,
        srv,
        "Kerberos",
        target=target,
        client_cred=_long_cred(cli, "Kerberos", 34_000),
        buffer_size=400_000,
    )
    assert hs.established, hs.steps
    exported = cli.ExportSecurityContext(phContext=hs.client_ctx, fFlags=0)
    assert exported.status.value == 0x80090302  # SEC_E_NOT_SUPPORTED (alias SEC_E_UNSUPPORTED_FUNCTION)
    told = str(cli.explain())
    assert "exp.too_long" in told.splitlines()[1] and "interpretation" in told
    msg = SecBufferDesc.message(b"still here")
    assert (
        cli.MakeSignature(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0).status.name
        == "SEC_E_OK"
    )
    assert (
        srv.VerifySignature(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0).status.name == "SEC_E_OK"
    )


def _record(world, pid, handle):
    (record,) = [r for r in world.processes[pid].contexts.values() if r.handle == handle]
    return record


@pytest.mark.parametrize("package", ["Kerberos", "Negotiate", "Digest", "NTLM"])
@pytest.mark.parametrize("seal", [False, True])
def test_the_sequence_count_wraps_after_the_last_32_bit_number(package, seal):
    # Interpretation (messages._LAST_SEQ): message 0xFFFFFFFF is followed by message 0, on both sides.
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    target = "/" if package == "Digest" else "HTTP/web.contoso.com"
    hs = handshake(cli, srv, package, target, client_req=SEQ | ISC_REQ_CONFIDENTIALITY)
    assert hs.established
    _record(world, 100, hs.client_ctx).send_seq = 0xFFFFFFFF
    _record(world, 200, hs.server_ctx).recv_seq = 0xFFFFFFFF
    send, receive = (
        (cli.EncryptMessage, srv.DecryptMessage) if seal else (cli.MakeSignature, srv.VerifySignature)
    )
    for _ in range(3):
        msg = SecBufferDesc.message(b"count")
        assert send(phContext=hs.client_ctx, fQOP=0, pMessage=msg, MessageSeqNo=0).status.name == "SEC_E_OK"
        assert receive(phContext=hs.server_ctx, pMessage=msg, MessageSeqNo=0).status.name == "SEC_E_OK"
    assert _record(world, 100, hs.client_ctx).send_seq == 2
    assert _record(world, 200, hs.server_ctx).recv_seq == 2
