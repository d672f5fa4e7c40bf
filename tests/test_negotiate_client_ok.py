"""Negotiate's NTLM client under SPNEGO ends its AUTHENTICATE leg as Windows does, in the observed contract.

Facts (spec/data/errata.yaml, windows-negotiate-ntlm-client-ok): Wine's negotiate.c
test_authentication, run on Windows, goes on to query the client only when its AUTHENTICATE leg
returned SEC_E_OK, and never hands the client the server's last token; pyspnego's
test_negotiate_through_python_ntlm shows the SSPI server's last AcceptSecurityContext completing
with an output token (its mechListMIC). The documented contract keeps sspi-rs's and pyspnego's
shape: the client continues and a last call checks the server's mechListMIC.

The Negotiate client selects NTLM (and so SPNEGO) here because the target names no service
principal of the world's domain.
"""

from __future__ import annotations

import gc

import pytest

import sspimodel.sspilib as layer
from sspimodel.api import Sspi
from sspimodel.model import SecBufferDesc, default_world
from sspimodel.model.constants import (
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_REPLAY_DETECT,
    ISC_REQ_SEQUENCE_DETECT,
    SECPKG_ATTR_NEGOTIATION_INFO,
    SECPKG_ATTR_SIZES,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
    SECPKG_NEGOTIATION_COMPLETE,
    SECPKG_NEGOTIATION_IN_PROGRESS,
    SECURITY_NATIVE_DREP,
)
from sspimodel.model.drive import acquire

TARGET = "HTTP/nowhere.contoso.com"  # no service principal: Negotiate falls back to NTLM in SPNEGO
# sspilib's default request, less mutual authentication: sequence numbers are checked both ways
CLIENT_REQ = ISC_REQ_CONFIDENTIALITY | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT
CONTRACTS = ("documented", "observed")


class Pair:
    """A Negotiate client (process 100, alice) and server (process 200) stepped by hand."""

    def __init__(self, contract: str) -> None:
        self.world = default_world()
        self.cli = Sspi(self.world, 100, contract=contract)
        self.srv = Sspi(self.world, 200, contract=contract)
        self.ccred = acquire(self.cli, "Negotiate", SECPKG_CRED_OUTBOUND)
        self.scred = acquire(self.srv, "Negotiate", SECPKG_CRED_INBOUND)
        self.cctx = self.sctx = None
        self.legs: list[tuple[str, str, str, int]] = []  # (side, status, rule, output bytes)

    def client(self, token: bytes | None) -> bytes:
        out = SecBufferDesc.output(48256)
        r = self.cli.InitializeSecurityContextW(
            phCredential=self.ccred, phContext=self.cctx, pTargetName=TARGET,
            fContextReq=CLIENT_REQ, Reserved1=0, TargetDataRep=SECURITY_NATIVE_DREP,
            pInput=SecBufferDesc.token(token) if token else None, Reserved2=0, pOutput=out,
        )  # fmt: skip
        self.cctx = r.phNewContext or self.cctx
        self.legs.append(("client", r.status.name, self.cli.last_trace.rule.id, len(out.token_bytes or b"")))
        return out.token_bytes or b""

    def server(self, token: bytes) -> bytes:
        out = SecBufferDesc.output(48256)
        r = self.srv.AcceptSecurityContext(
            phCredential=self.scred, phContext=self.sctx, pInput=SecBufferDesc.token(token),
            fContextReq=0, TargetDataRep=SECURITY_NATIVE_DREP, pOutput=out,
        )  # fmt: skip
        self.sctx = r.phNewContext or self.sctx
        self.legs.append(("server", r.status.name, self.srv.last_trace.rule.id, len(out.token_bytes or b"")))
        return out.token_bytes or b""

    def to_authenticate(self) -> bytes:
        """NegTokenInit, the server's CHALLENGE, then the client's AUTHENTICATE leg: its token."""
        return self.client(self.server(self.client(None)))

    def query(self, attribute: int) -> object:
        r = self.cli.QueryContextAttributesW(phContext=self.cctx, ulAttribute=attribute)
        assert r.status.name == "SEC_E_OK", r
        return r.pBuffer


def seal(sender: Sspi, ctx: object, receiver: Sspi, peer: object, data: bytes) -> tuple[str, str, bytes]:
    msg = SecBufferDesc.message(data)
    sealed = sender.EncryptMessage(phContext=ctx, fQOP=0, pMessage=msg, MessageSeqNo=0)
    opened = receiver.DecryptMessage(phContext=peer, pMessage=msg, MessageSeqNo=0)
    return sealed.status.name, opened.status.name, msg.pBuffers[1].contents


def flip_last_byte(token: bytes) -> bytes:
    """The mechListMIC is the last field of a NegTokenResp that carries one: flip its last byte."""
    return token[:-1] + bytes([token[-1] ^ 0x01])


# -- statuses per leg --------------------------------------------------------------------------


EXPECTED_LEGS = {
    "documented": [
        ("client", "SEC_I_CONTINUE_NEEDED", "isc.continue", True),
        ("server", "SEC_I_CONTINUE_NEEDED", "asc.continue", True),
        ("client", "SEC_I_CONTINUE_NEEDED", "isc.continue", True),  # AUTHENTICATE + mechListMIC
        ("server", "SEC_E_OK", "asc.ok", True),  # accept-completed + the server's mechListMIC
        ("client", "SEC_E_OK", "isc.ok", False),  # the server's mechListMIC checked
    ],
    "observed": [
        ("client", "SEC_I_CONTINUE_NEEDED", "isc.continue", True),
        ("server", "SEC_I_CONTINUE_NEEDED", "asc.continue", True),
        ("client", "SEC_E_OK", "isc.negotiate_ntlm_ok", True),  # AUTHENTICATE + mechListMIC, established
        ("server", "SEC_E_OK", "asc.ok", True),  # accept-completed + the server's mechListMIC
        ("client", "SEC_E_OK", "isc.negotiate_mic_after_ok", False),  # if handed anyway: checked, no output
    ],
}


def test_each_leg_has_its_contracts_status_and_rule():
    for contract in CONTRACTS:
        pair = Pair(contract)
        last = pair.server(pair.to_authenticate())
        pair.client(last)
        legs = [(side, status, rule, size > 0) for side, status, rule, size in pair.legs]
        assert legs == EXPECTED_LEGS[contract], contract
        # the server's last token in both: NegTokenResp accept-completed with a 16-byte mechListMIC
        assert last[:1] == b"\xa1" and len(last) == 29, contract


def test_after_the_authenticate_leg_only_the_observed_client_is_established_with_ntlm_sizes():
    states = {}
    for contract in CONTRACTS:
        pair = Pair(contract)
        pair.to_authenticate()
        info = pair.query(SECPKG_ATTR_NEGOTIATION_INFO)
        assert info.PackageInfo.Name == "NTLM"  # the mechanism chosen, in progress or complete
        states[contract] = info.NegotiationState
        if contract == "observed":  # negotiate.c test_authentication's checks of the client at this point
            sizes = pair.query(SECPKG_ATTR_SIZES)
            assert (sizes.cbMaxToken, sizes.cbMaxSignature, sizes.cbSecurityTrailer, sizes.cbBlockSize) == (
                2888, 16, 16, 0,
            )  # fmt: skip
    assert states == {"documented": SECPKG_NEGOTIATION_IN_PROGRESS, "observed": SECPKG_NEGOTIATION_COMPLETE}


# -- message protection after the observed handshake ---------------------------------------------


@pytest.mark.parametrize("client_gets_last_token", [False, True], ids=["as-wine-never", "handed-anyway"])
def test_sealing_works_both_ways_after_the_observed_handshake(client_gets_last_token):
    pair = Pair("observed")
    last = pair.server(pair.to_authenticate())
    assert pair.legs[2][1] == "SEC_E_OK"  # the client completed with its AUTHENTICATE leg
    if client_gets_last_token:
        assert pair.client(last) == b"" and pair.legs[-1][1] == "SEC_E_OK"
    cli, srv, c, s = pair.cli, pair.srv, pair.cctx, pair.sctx
    for n in range(2):
        assert seal(cli, c, srv, s, b"to the server %d" % n) == ("SEC_E_OK", "SEC_E_OK", b"to the server %d" % n)
        assert seal(srv, s, cli, c, b"to the client %d" % n) == ("SEC_E_OK", "SEC_E_OK", b"to the client %d" % n)


def test_the_servers_last_token_handed_after_messages_still_verifies_and_keeps_the_streams():
    pair = Pair("observed")
    last = pair.server(pair.to_authenticate())
    cli, srv, c, s = pair.cli, pair.srv, pair.cctx, pair.sctx
    assert seal(srv, s, cli, c, b"first") == ("SEC_E_OK", "SEC_E_OK", b"first")
    assert pair.client(last) == b"" and pair.legs[-1][1:3] == ("SEC_E_OK", "isc.negotiate_mic_after_ok")
    assert seal(srv, s, cli, c, b"second") == ("SEC_E_OK", "SEC_E_OK", b"second")
    assert seal(cli, c, srv, s, b"back") == ("SEC_E_OK", "SEC_E_OK", b"back")


# -- tampering ---------------------------------------------------------------------------------


def test_an_altered_client_mechlistmic_is_still_refused_by_the_observed_server():
    pair = Pair("observed")
    authenticate = pair.to_authenticate()
    assert pair.legs[-1][1] == "SEC_E_OK"
    pair.server(flip_last_byte(authenticate))
    assert pair.legs[-1][:3] == ("server", "SEC_E_INVALID_TOKEN", "asc.invalid_token")


def test_an_altered_server_mechlistmic_handed_to_the_completed_client_is_refused_and_changes_nothing():
    pair = Pair("observed")
    last = pair.server(pair.to_authenticate())
    assert pair.legs[2][1] == "SEC_E_OK"
    pair.client(flip_last_byte(last))
    assert pair.legs[-1][:3] == ("client", "SEC_E_INVALID_TOKEN", "isc.invalid_token")
    cli, srv, c, s = pair.cli, pair.srv, pair.cctx, pair.sctx
    assert seal(srv, s, cli, c, b"still") == ("SEC_E_OK", "SEC_E_OK", b"still")
    assert pair.client(last) == b"" and pair.legs[-1][1] == "SEC_E_OK"  # the genuine token still verifies
    assert pair.client(last) == b"" and pair.legs[-1][:2] == ("client", "SEC_E_INVALID_TOKEN")  # once only


def test_an_altered_sealed_message_is_refused_after_the_observed_handshake():
    pair = Pair("observed")
    pair.server(pair.to_authenticate())
    assert pair.legs[2][1] == "SEC_E_OK"
    msg = SecBufferDesc.message(b"payload")
    assert pair.srv.EncryptMessage(phContext=pair.sctx, fQOP=0, pMessage=msg, MessageSeqNo=0).status.name == "SEC_E_OK"
    data = bytearray(msg.pBuffers[1].contents)
    data[0] ^= 0x01
    msg.pBuffers[1].pvBuffer = bytes(data)
    r = pair.cli.DecryptMessage(phContext=pair.cctx, pMessage=msg, MessageSeqNo=0)
    assert r.status.name == "SEC_E_MESSAGE_ALTERED"


# -- the sspilib layer -------------------------------------------------------------------------


@pytest.fixture
def world():
    w = default_world()
    with layer.use_world(w):
        yield w
    gc.collect()


def _layer_pair(world):
    cred = layer.UserCredential("alice", "Passw0rd!alice", domain="CONTOSO", protocol="Negotiate")
    client = layer.ClientSecurityContext(cred, TARGET)
    with layer.use_world(world, 200):
        server = layer.ServerSecurityContext(layer.UserCredential(protocol="Negotiate", usage="accept"))
    return client, server


def test_an_sspilib_client_loop_completes_with_the_authenticate_step(world):
    client, server = _layer_pair(world)
    server_token = None
    client_steps = 0
    while not client.complete:
        token = client.step(server_token)
        client_steps += 1
        server_token = server.step(token) if token else None
    assert client_steps == 2  # NegTokenInit, then AUTHENTICATE: complete, as sspilib's on Windows
    assert server.complete and server_token  # the server's mechListMIC, which this loop never hands over
    assert server.unwrap(client.wrap(b"up")).data == b"up"
    assert client.unwrap(server.wrap(b"down")).data == b"down"


def test_sspilibs_own_loop_hands_the_last_token_to_the_completed_client_and_finishes(world):
    # sspilib's tests/conftest.py (the high-level fixture): step the client while it is not
    # complete or the server still has a token for it.
    client, server = _layer_pair(world)
    s_token = None
    client_steps = []  # (a token for the server?, complete after the step?)
    for _ in range(5):
        if client.complete and not s_token:
            break
        c_token = client.step(s_token)
        client_steps.append((bool(c_token), client.complete))
        s_token = server.step(c_token) if c_token else None
    else:
        pytest.fail("the loop did not finish")
    assert client_steps == [(True, False), (True, True), (False, True)]
    assert client.complete and server.complete
    assert server.unwrap(client.wrap(b"up")).data == b"up"
    assert client.unwrap(server.wrap(b"down")).data == b"down"


# -- export and import of a client that completed ahead of the server's mechListMIC ------------


def test_an_imported_copy_of_an_early_established_client_takes_the_servers_last_token():
    """Under the observed contract the exported client still waits for the server's mechListMIC:
    its imported copy takes the server's last token as the original does (SEC_E_OK, no output),
    refuses it altered, and seals to the server afterwards."""
    outcomes = []
    for alter in (False, True):
        pair = Pair("observed")
        last = pair.server(pair.to_authenticate())
        packed = pair.cli.ExportSecurityContext(phContext=pair.cctx, fFlags=0).pPackedContext
        imported = pair.cli.ImportSecurityContextW(pszPackage="Negotiate", pPackedContext=packed)
        assert imported.status.name == "SEC_E_OK"
        pair.cctx = imported.phContext
        pair.client(flip_last_byte(last) if alter else last)
        outcomes.append(pair.legs[-1][1:])
        assert seal(pair.cli, pair.cctx, pair.srv, pair.sctx, b"after import") == ("SEC_E_OK", "SEC_E_OK", b"after import")
    assert outcomes == [
        ("SEC_E_OK", "isc.negotiate_mic_after_ok", 0),
        ("SEC_E_INVALID_TOKEN", "isc.invalid_token", 0),
    ]


def test_a_context_established_the_documented_way_exports_no_awaited_mechlistmic():
    # The documented client is established only by the server's last token: its copy is done.
    pair = Pair("documented")
    pair.client(pair.server(pair.to_authenticate()))
    packed = pair.cli.ExportSecurityContext(phContext=pair.cctx, fFlags=0).pPackedContext
    copy = pair.cli.ImportSecurityContextW(pszPackage="Negotiate", pPackedContext=packed).phContext
    record = pair.cli.process.contexts[copy.dwLower]
    assert record.state.name == "ESTABLISHED" and record.spnego is None
