"""How much of sspi-rs's time one NTLMv2 handshake's cryptography alone takes in CPython.

The handshake-ratio target (issue 21) asks the model's complete NTLM handshake, through its
guarded API, to be at least as fast as sspi-rs through sspilib's own API. This script measures,
in one run next to sspi-rs, floors under that iteration: the cryptography alone (a floor for any
Python implementation on these libraries) and this model's cheapest guarded call (a floor for
each of its calls):

1. **sspi-rs**: bench_handshake.py's iteration (NEGOTIATE -> CHALLENGE -> AUTHENTICATE, a sealed
   message each way), through ``sspilib``'s high-level API.
2. **crypto floor**: only the MS-NLMP primitives that iteration needs, called straight on the
   libraries the model uses (``hmac.digest`` and ``hashlib.md5`` from the standard library, RC4
   from ``cryptography``), with nothing else: no message parsing (fixed zero-filled messages of
   the right sizes), no AV pairs, no contexts, no handles, no checks of arguments, the NT hash
   computed once before timing, and each RC4 keystream keyed once for both ends (as the model's
   ``keystream_prefix`` does). Per iteration: 12 HMAC-MD5 (NTOWFv2, NTProofStr and session base
   key on each side, the MIC made and checked, a MAC made and checked each way), 8 MD5 (four
   SIGNKEY/SEALKEY on each side) and 3 RC4 keyings (the key-exchange key and the two SEALKEYs,
   each keyed once for the two ends that use it). The floor checks what it computes, so a wrong
   result stops the run.
3. **NTLM layer alone**: the same iteration on the project's ``sspimodel.ntlm`` sessions (real
   MS-NLMP messages with AV pairs and MIC, the contexts' keys and streams), with no API around it:
   what the protocol work of the model costs before any contract, handle or rule.
4. **cheapest guarded call**: the model's fastest call through :class:`sspimodel.api.Sspi`
   (DeleteSecurityContext on an invalid handle: the contract checked, the handle looked up, a
   status returned), in microseconds. The iteration makes 10 guarded calls (four handshake legs,
   two EncryptMessage, two DecryptMessage, two DeleteSecurityContext); with export and import,
   as the target asks, 13.

It prints each figure in microseconds per handshake (CPU time: process_time, min of ``--runs``),
then the floor of this model (crypto floor + 10, or with export and import 13, of its cheapest
calls) as a share of sspi-rs's time, and the ratio that floor would reach if the model did no
other work: no message codec, no context state, no rule beyond the cheapest call's. A share near
100% leaves the model no room for that work within sspi-rs's time.

Usage: .venv/bin/python benchmarks/bench_handshake_floor.py [--iterations 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import hmac
import random
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import bench_handshake  # noqa: E402

from sspimodel.api import Sspi  # noqa: E402
from sspimodel.model import CtxtHandle, default_world  # noqa: E402
from sspimodel.ntlm.crypto import arc4, md4  # noqa: E402

CALLS_PER_HANDSHAKE = 10  # 4 legs, 2 EncryptMessage, 2 DecryptMessage, 2 DeleteSecurityContext
CALLS_WITH_EXPORT = 13  # + ExportSecurityContext, ImportSecurityContextW, FreeContextBuffer

_MAGIC = (  # MS-NLMP 3.4.5.2 / 3.4.5.3: client sign, server sign, client seal, server seal
    b"session key to client-to-server signing key magic constant\x00",
    b"session key to server-to-client signing key magic constant\x00",
    b"session key to client-to-server sealing key magic constant\x00",
    b"session key to server-to-client sealing key magic constant\x00",
)


def floor_iteration_factory() -> Callable[[], None]:
    user_domain = (bench_handshake.USER.upper() + bench_handshake.DOMAIN).encode("utf-16-le")
    nt_hash = md4(bench_handshake.PASSWORD.encode("utf-16-le"))  # once, before timing
    digest, md5 = hmac.digest, hashlib.md5
    zeros = bytes(64)
    # Fixed inputs in place of the random ones (their cost is not the protocol's): two challenges,
    # the exported session key, the blob's timestamp.
    server_challenge, client_challenge = bytes(range(8)), bytes(range(8, 16))
    exported = bytes(range(16, 32))
    negotiate = b"NTLMSSP\x00\x01\x00\x00\x00" + bytes(28)
    challenge = b"NTLMSSP\x00\x02\x00\x00\x00" + bytes(12) + server_challenge + bytes(40)
    temp = b"\x01\x01" + bytes(6) + struct.pack("<Q", 133_500_000_000_000_000) + client_challenge + bytes(44)
    seq0 = struct.pack("<I", 0)

    def xor(data: bytes, stream: bytes) -> bytes:
        n = len(data)
        return (int.from_bytes(data, "little") ^ int.from_bytes(stream[:n], "little")).to_bytes(n, "little")

    def iteration() -> None:
        streams: dict[bytes, bytes] = {}

        def keystream(key: bytes) -> bytes:  # one keying per key, shared by both ends
            s = streams.get(key)
            if s is None:
                s = streams[key] = arc4(key).update(zeros)
            return s

        # Client, on the CHALLENGE: NTOWFv2, NTProofStr, session base key (= key-exchange key),
        # the exported key sent under RC4, the AUTHENTICATE message and its MIC, the four keys.
        owf = digest(nt_hash, user_domain, "md5")
        proof = digest(owf, server_challenge + temp, "md5")
        base = digest(owf, proof, "md5")
        encrypted_key = xor(exported, keystream(base))
        authenticate = b"NTLMSSP\x00\x03\x00\x00\x00" + bytes(60) + proof + temp + encrypted_key
        mic = digest(exported, negotiate + challenge + authenticate, "md5")
        c_sign, s_sign, c_seal, s_seal = (md5(exported + m).digest() for m in _MAGIC)
        # Server, on the AUTHENTICATE: the same proof recomputed and compared, the exported key
        # recovered, the MIC checked, its four keys.
        owf2 = digest(nt_hash, user_domain, "md5")
        proof2 = digest(owf2, server_challenge + temp, "md5")
        if proof2 != proof:
            raise SystemExit("bench_handshake_floor: NTProofStr differs")
        key2 = xor(encrypted_key, keystream(digest(owf2, proof2, "md5")))
        if key2 != exported or digest(key2, negotiate + challenge + authenticate, "md5") != mic:
            raise SystemExit("bench_handshake_floor: session key or MIC differs")
        sc_sign, ss_sign, sc_seal, ss_seal = (md5(key2 + m).digest() for m in _MAGIC)
        # One sealed message each way: RC4 of the data, then of the first 8 bytes of its MAC,
        # on the sender's stream; the receiver undoes both and recomputes the MAC.
        for send_sign, send_seal, recv_sign, recv_seal, data in (
            (c_sign, c_seal, sc_sign, sc_seal, b"client to server"),
            (ss_sign, ss_seal, s_sign, s_seal, b"server to client"),
        ):
            n = len(data)
            out = keystream(send_seal)
            sealed = xor(data, out)
            signature = xor(digest(send_sign, seq0 + data, "md5")[:8], out[n:])
            into = keystream(recv_seal)
            plain = xor(sealed, into)
            if plain != data or xor(signature, into[n:]) != digest(recv_sign, seq0 + plain, "md5")[:8]:
                raise SystemExit("bench_handshake_floor: unsealed message differs")

    return iteration


def ntlm_layer_iteration_factory() -> Callable[[], None]:
    """The same iteration on the project's NTLM layer alone (sspimodel.ntlm's sessions: the real
    messages, AV pairs and MIC, the contexts' keys and streams), with no API around it."""
    from bench_ntlm_wire import CLOCK

    from sspimodel.ntlm import AccountTable, ClientSession, ServerSession

    user, domain, password = bench_handshake.USER, bench_handshake.DOMAIN, bench_handshake.PASSWORD
    accounts = AccountTable({(domain, user): password})
    rnd = random.Random(17)

    def clock() -> int:
        return CLOCK

    def iteration() -> None:
        client = ClientSession(user, domain, password, random=rnd.randbytes, clock=clock,
                               target_name=bench_handshake.SPN)  # fmt: skip
        server = ServerSession(accounts, random=rnd.randbytes, clock=clock)
        if server.accept(client.authenticate(server.challenge(client.negotiate()))).user != user:
            raise SystemExit("bench_handshake_floor: NTLM layer handshake failed")
        c, s = client.context, server.context
        assert c is not None and s is not None
        for sender, receiver, data in ((c, s, b"client to server"), (s, c, b"server to client")):
            if receiver.unseal(*sender.seal(data)) != data:
                raise SystemExit("bench_handshake_floor: NTLM layer unsealed message differs")

    return iteration


def cheapest_call_factory() -> Callable[[], None]:
    """One guarded call that does the least: DeleteSecurityContext on a handle never issued."""
    sspi = Sspi(default_world(), 100)
    delete, forged = sspi.DeleteSecurityContext, CtxtHandle(0x999, 10)

    def iteration() -> None:
        delete(phContext=forged)

    return iteration


def best_time(iteration: Callable[[], None], iterations: int) -> float:
    """CPU seconds of one ``iteration()`` in a run of ``iterations`` of them."""
    gc.collect()
    start = time.process_time()
    for _ in range(iterations):
        iteration()
    return (time.process_time() - start) / iterations


def measure(iterations: int, runs: int) -> dict[str, float] | str:
    """Microseconds (CPU) per iteration of each row, the best of ``runs``; a string saying why
    when sspi-rs is not installed."""
    sspi_rs = bench_handshake.sspi_rs_iteration_factory()
    if isinstance(sspi_rs, str):
        return sspi_rs
    rows: dict[str, Callable[[], None]] = {
        "sspi-rs handshake": sspi_rs,
        "model handshake": bench_handshake.model_iteration_factory(),
        "NTLM layer alone": ntlm_layer_iteration_factory(),
        "crypto floor": floor_iteration_factory(),
        "cheapest guarded call": cheapest_call_factory(),
    }
    counts = {
        "sspi-rs handshake": iterations // 4 or 1,
        "model handshake": iterations // 8 or 1,
        "NTLM layer alone": iterations // 4 or 1,
    }
    for name, iteration in rows.items():  # warm-up
        for _ in range(max(1, counts.get(name, iterations) // 10)):
            iteration()
    best = dict.fromkeys(rows, float("inf"))
    for _ in range(runs):  # the rows take turns, so a busy moment of the machine hits all
        for name, iteration in rows.items():
            best[name] = min(best[name], best_time(iteration, counts.get(name, iterations)))
    return {name: t * 1e6 for name, t in best.items()}


def reachable_ratio(us: dict[str, float], calls: int = CALLS_WITH_EXPORT) -> float:
    """sspi-rs's time over the floor of a guarded implementation making ``calls`` calls."""
    return us["sspi-rs handshake"] / (us["crypto floor"] + calls * us["cheapest guarded call"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.runs < 1:
        parser.error("--iterations and --runs must be at least 1")
    us = measure(args.iterations, args.runs)
    if isinstance(us, str):
        print(f"bench_handshake_floor: not measured: {us}")
        return 0
    print("one NTLMv2 handshake with a sealed message each way (CPU microseconds, best of runs)")
    for name, value in us.items():
        print(f"  {name:28} {value:8.1f} us")
    rs, crypto, layer = us["sspi-rs handshake"], us["crypto floor"], us["NTLM layer alone"]
    print(f"  crypto floor / sspi-rs       {crypto / rs:8.0%}")
    print(
        f"  NTLM layer / sspi-rs         {layer / rs:8.0%}  (beyond the crypto floor: {layer - crypto:.1f} us)"
    )
    for calls in (CALLS_PER_HANDSHAKE, CALLS_WITH_EXPORT):
        floor = crypto + calls * us["cheapest guarded call"]
        print(
            f"  floor with {calls} guarded calls  {floor:8.1f} us = {floor / rs:.0%} of sspi-rs: "
            f"best reachable ratio {reachable_ratio(us, calls):.2f} (target >= 1.0)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
