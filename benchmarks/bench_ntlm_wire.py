"""Complete NTLMv2 handshakes per second, with sealing and signing: sspimodel.ntlm against sspi-rs.

One iteration, on each side, in one process:

1. a fresh client and server context (credentials are made once, before timing);
2. NEGOTIATE -> CHALLENGE -> AUTHENTICATE, the server checking the NTLMv2 response and the MIC
   (sspi-rs checks the response in CompleteAuthToken, which sspilib's high-level
   ``ServerSecurityContext.step`` calls itself when AcceptSecurityContext asks for it);
3. one message sealed and unsealed in each direction;
4. one message signed and verified in each direction. sspi-rs's NTLM has no
   MakeSignature/VerifySignature (SEC_E_UNSUPPORTED_FUNCTION), so its "sign" is what sspilib
   offers instead: ``wrap(encrypt=False)`` / ``unwrap`` (EncryptMessage with
   SECQOP_WRAP_NO_ENCRYPT), which sspi-rs's NTLM seals anyway (pinned in
   tests/test_ntlm_interop.py): its step 4 is a second seal, not a signature.

sspimodel.ntlm runs :class:`ClientSession` / :class:`ServerSession` with a seeded random source and
a fixed clock; sspi-rs runs through sspilib's high-level API (``sspilib.UserCredential``,
``ClientSecurityContext``, ``ServerSecurityContext``). Every step's result is checked, so only
complete, correct handshakes are counted.

Each side runs ``--runs`` times ``--iterations`` iterations after a warm-up; the median run is
reported with the spread, then the ratio sspimodel.ntlm / sspi-rs.

Usage: .venv/bin/python benchmarks/bench_ntlm_wire.py [--iterations 300] [--runs 5]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sspimodel.ntlm import AccountTable, ClientSession, ServerSession  # noqa: E402

USER, DOMAIN, PASSWORD = "alice", "CONTOSO", "Passw0rd!alice"
SPN = "HTTP/web.contoso.com"
CLOCK = 133_500_000_000_000_000


class Failed(AssertionError):
    pass


def check(condition: bool, what: str) -> None:
    if not condition:
        raise Failed(what)


def model_iteration_factory() -> Callable[[], None]:
    accounts = AccountTable({(DOMAIN, USER): PASSWORD})
    rnd = random.Random(17)

    def iteration() -> None:
        client = ClientSession(USER, DOMAIN, PASSWORD, random=rnd.randbytes, clock=lambda: CLOCK, target_name=SPN)
        server = ServerSession(accounts, random=rnd.randbytes, clock=lambda: CLOCK)
        user = server.accept(client.authenticate(server.challenge(client.negotiate())))
        check(user.user == USER, "handshake")
        c, s = client.context, server.context
        assert c is not None and s is not None
        sealed, sig = c.seal(b"client to server")
        check(s.unseal(sealed, sig) == b"client to server", "seal c->s")
        sealed, sig = s.seal(b"server to client")
        check(c.unseal(sealed, sig) == b"server to client", "seal s->c")
        s.verify(b"signed c->s", c.sign(b"signed c->s"))
        c.verify(b"signed s->c", s.sign(b"signed s->c"))

    return iteration


def sspi_rs_iteration_factory() -> Callable[[], None] | str:
    try:
        import sspilib
    except ImportError as e:
        return f"sspilib is not installed ({e})"
    initiate = sspilib.UserCredential(f"{DOMAIN}\\{USER}", PASSWORD, protocol="NTLM", usage="initiate")
    accept = sspilib.UserCredential(f"{DOMAIN}\\{USER}", PASSWORD, protocol="NTLM", usage="accept")

    def iteration() -> None:
        client = sspilib.ClientSecurityContext(initiate, SPN)
        server = sspilib.ServerSecurityContext(accept)
        negotiate = client.step()
        challenge = server.step(negotiate)
        authenticate = client.step(challenge)
        check(server.step(authenticate) == b"", "handshake")
        check(client.complete and server.complete, "handshake complete")
        check(server.unwrap(client.wrap(b"client to server")).data == b"client to server", "seal c->s")
        check(client.unwrap(server.wrap(b"server to client")).data == b"server to client", "seal s->c")
        check(server.unwrap(client.wrap(b"signed c->s", encrypt=False)).data == b"signed c->s", "sign c->s")
        check(client.unwrap(server.wrap(b"signed s->c", encrypt=False)).data == b"signed s->c", "sign s->c")

    return iteration


def measure(iteration: Callable[[], None], iterations: int, runs: int) -> list[float]:
    for _ in range(max(10, iterations // 10)):
        iteration()
    rates = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        for _ in range(iterations):
            iteration()
        rates.append(iterations / (time.perf_counter() - start))
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.runs < 1:
        parser.error("--iterations and --runs must be at least 1")

    print(f"complete NTLMv2 handshakes + seal and sign both ways; {args.runs} runs x {args.iterations} iterations")
    results: dict[str, float] = {}
    for name, factory in (("sspimodel.ntlm", model_iteration_factory), ("sspi-rs (sspilib)", sspi_rs_iteration_factory)):
        iteration = factory()
        if isinstance(iteration, str):
            print(f"{name:<20} skipped: {iteration}")
            continue
        try:
            rates = measure(iteration, args.iterations, args.runs)
        except Failed as e:
            print(f"{name:<20} FAILED: {e}")
            return 1
        median = statistics.median(rates)
        results[name] = median
        print(f"{name:<20} {median:9.1f} handshakes/s  (runs: {min(rates):.1f} .. {max(rates):.1f})")
    if len(results) == 2:
        ratio = results["sspimodel.ntlm"] / results["sspi-rs (sspilib)"]
        print(f"ratio sspimodel.ntlm / sspi-rs: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
