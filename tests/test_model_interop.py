"""The model's NTLM package (through its SSPI API) against real NTLM implementations, on the wire.

sspi-rs (through sspilib) and pyspnego as client and as server, with the model world's accounts
and passwords: the handshake completes, sealed messages open on the other side both ways (and
signatures verify, where the peer signs), a flipped bit in a sealed message or in the
AUTHENTICATE_MESSAGE is rejected by the receiving side, and a wrong password is refused by the
server. A pairing whose peer is not installed skips with the reason.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from sspimodel.conform.cross import PairingResult, pairings, run_pairing

PAIRINGS = pairings("NTLM")


def _run(client: str, server: str, user: str = "alice") -> PairingResult:
    result = run_pairing("NTLM", client, server, user)
    if result.skipped:
        pytest.skip(result.skipped)
    return result


def _statuses(result: PairingResult, prefix: str) -> list[str]:
    return [status for what, status in result.steps if what.startswith(prefix)]


def _server_refusal(server: str, what: str) -> str:
    """The status the checking side reports: the model's AcceptSecurityContext documents
    SEC_E_LOGON_DENIED for a response that proves no password and SEC_E_INVALID_TOKEN for a
    token it refuses (a MIC that does not match); both real servers report SEC_E_LOGON_DENIED."""
    if server == "model" and what == "flipped AUTHENTICATE bit":
        return "SEC_E_INVALID_TOKEN"
    return "SEC_E_LOGON_DENIED"


@pytest.mark.parametrize(("client", "server"), PAIRINGS, ids=[f"{c}-client-{s}-server" for c, s in PAIRINGS])
def test_model_and_real_peer_understand_each_other(client: str, server: str) -> None:
    result = _run(client, server)
    assert result.understood, result.problems
    assert _statuses(result, "handshake") == [
        "SEC_I_CONTINUE_NEEDED", "SEC_I_CONTINUE_NEEDED", "SEC_E_OK", "SEC_E_OK"
    ]  # fmt: skip
    assert _statuses(result, "seal") == ["SEC_E_OK", "SEC_E_OK"]
    if "sspi-rs" not in (client, server):  # sspi-rs's NTLM does not sign
        assert _statuses(result, "sign") == ["SEC_E_OK", "SEC_E_OK"]
    assert _statuses(result, "flipped bit") == ["SEC_E_MESSAGE_ALTERED", "SEC_E_MESSAGE_ALTERED"]


@pytest.mark.parametrize(("client", "server"), PAIRINGS, ids=[f"{c}-client-{s}-server" for c, s in PAIRINGS])
def test_the_checking_side_refuses_a_wrong_password_and_a_flipped_authenticate_bit(client: str, server: str) -> None:
    result = _run(client, server)
    for what in ("wrong password", "flipped AUTHENTICATE bit"):
        statuses = _statuses(result, what)
        # client NEGOTIATE, server CHALLENGE, client AUTHENTICATE (it cannot tell), server refuses
        assert statuses[:3] == ["SEC_I_CONTINUE_NEEDED", "SEC_I_CONTINUE_NEEDED", "SEC_E_OK"], (what, statuses)
        assert statuses[3:] == [_server_refusal(server, what)], (what, statuses)


@pytest.mark.parametrize("peer", ["pyspnego", "sspi-rs"])
def test_bob_is_known_to_both_sides_too(peer: str) -> None:
    for client, server in (("model", peer), (peer, "model")):
        assert _run(client, server, "bob").understood


def test_conform_cross_prints_the_same_report_twice() -> None:
    runs = [
        subprocess.run(
            [sys.executable, "-m", "sspimodel", "conform", "--cross"], capture_output=True, text=True, timeout=300
        )
        for _ in range(2)
    ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    assert "understood each other: yes" in runs[0].stdout and "Traceback" not in runs[0].stderr
