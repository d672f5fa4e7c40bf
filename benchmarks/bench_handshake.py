"""Complete NTLM handshakes per second: the model against sspi-rs through sspilib's own API.

One iteration, the same work on both sides, in one process, with credentials acquired once:

1. a new client and server context, NEGOTIATE -> CHALLENGE -> AUTHENTICATE (real NTLMSSP
   messages on both sides: the model's NTLM package speaks MS-NLMP);
2. one sealed message each way (EncryptMessage / DecryptMessage, checked to come out unchanged);
3. the contexts are deleted (the model: DeleteSecurityContext; sspilib frees its own).

The model runs through its guarded API (:class:`sspimodel.api.Sspi`: contracts validated, every
status checked against its page); sspi-rs through sspilib's high-level API
(``sspilib.UserCredential``, ``ClientSecurityContext``, ``ServerSecurityContext``, whose ``step``
calls CompleteAuthToken itself when sspi-rs asks for it). sspilib's high-level API has no
ExportSecurityContext / ImportSecurityContext, so neither side exports here
(``benchmarks/bench_model.py`` times the model's handshakes with export and import).

Each backend runs ``--runs`` times ``--iterations`` handshakes after a warm-up; the median run is
printed with the spread, then the ratio model / sspi-rs (the target is at least 1.0).

A third row, for scale and without a target: pyspnego's own NTLM (``spnego.client`` /
``spnego.server`` with ``NegotiateOptions.use_ntlm``: its pure-Python NTLMv2 client and server,
the server's account read from a temporary NTLM_USER_FILE), doing the same iteration.

Usage: .venv/bin/python benchmarks/bench_handshake.py [--iterations 300] [--runs 5]
"""

from __future__ import annotations

import argparse
import atexit
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sspimodel.api import Sspi
from sspimodel.model import AuthIdentity, SecBuffer, SecBufferDesc, default_world
from sspimodel.model.constants import (
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_CONNECTION,
    ISC_REQ_INTEGRITY,
    SECBUFFER_DATA,
    SECBUFFER_TOKEN,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
    SECURITY_NATIVE_DREP,
)

SPN = "HTTP/web.contoso.com"
USER, DOMAIN = "alice", "CONTOSO"
PASSWORD = "Passw0rd!alice"  # default_world()'s alice
REQ = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_CONNECTION


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"bench_handshake: {what} failed")


def model_iteration_factory() -> Callable[[], None]:
    world = default_world()
    cli, srv = Sspi(world, 100), Sspi(world, 200)
    identity = AuthIdentity(User=USER, Domain=DOMAIN, Password=PASSWORD)
    ccred = cli.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pAuthData=identity).phCredential
    scred = srv.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_INBOUND).phCredential
    isc, asc = cli.InitializeSecurityContextW, srv.AcceptSecurityContext

    def seal(sender: Sspi, sctx: object, receiver: Sspi, rctx: object, data: bytes) -> None:
        msg = SecBufferDesc([SecBuffer(SECBUFFER_TOKEN, None, 16), SecBuffer(SECBUFFER_DATA, data)])
        check(sender.EncryptMessage(phContext=sctx, fQOP=0, pMessage=msg, MessageSeqNo=0).status == 0, "seal")
        check(receiver.DecryptMessage(phContext=rctx, pMessage=msg, MessageSeqNo=0).status == 0, "unseal")
        check(msg.pBuffers[1].contents == data, "unsealed data")

    def iteration() -> None:
        out = SecBufferDesc.output(4096)
        r1 = isc(phCredential=ccred, phContext=None, pTargetName=SPN, fContextReq=REQ, Reserved1=0,
                 TargetDataRep=SECURITY_NATIVE_DREP, pInput=None, Reserved2=0, pOutput=out)  # fmt: skip
        negotiate = out.token_bytes
        out = SecBufferDesc.output(4096)
        r2 = asc(phCredential=scred, phContext=None, pInput=SecBufferDesc.token(negotiate), fContextReq=0,
                 TargetDataRep=SECURITY_NATIVE_DREP, pOutput=out)  # fmt: skip
        challenge = out.token_bytes
        out = SecBufferDesc.output(4096)
        r3 = isc(phCredential=ccred, phContext=r1.phNewContext, pTargetName=SPN, fContextReq=REQ, Reserved1=0,
                 TargetDataRep=SECURITY_NATIVE_DREP, pInput=SecBufferDesc.token(challenge), Reserved2=0,
                 pOutput=out)  # fmt: skip
        r4 = asc(phCredential=scred, phContext=r2.phNewContext, pInput=SecBufferDesc.token(out.token_bytes),
                 fContextReq=0, TargetDataRep=SECURITY_NATIVE_DREP, pOutput=SecBufferDesc.output(4096))  # fmt: skip
        check(r3.status == 0 and r4.status == 0, "handshake")
        seal(cli, r3.phNewContext, srv, r4.phNewContext, b"client to server")
        seal(srv, r4.phNewContext, cli, r3.phNewContext, b"server to client")
        check(cli.DeleteSecurityContext(phContext=r3.phNewContext).status == 0, "delete")
        check(srv.DeleteSecurityContext(phContext=r4.phNewContext).status == 0, "delete")

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
        challenge = server.step(client.step())
        check(server.step(client.step(challenge)) == b"", "handshake")
        check(client.complete and server.complete, "handshake complete")
        check(server.unwrap(client.wrap(b"client to server")).data == b"client to server", "seal c->s")
        check(client.unwrap(server.wrap(b"server to client")).data == b"server to client", "seal s->c")

    return iteration


def pyspnego_iteration_factory() -> Callable[[], None] | str:
    try:
        import spnego
    except ImportError as e:
        return f"pyspnego is not installed ({e})"
    # pyspnego's NTLM server looks accounts up in the file NTLM_USER_FILE names (DOMAIN:user:password).
    fd, users = tempfile.mkstemp(prefix="bench_handshake-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"{DOMAIN}:{USER}:{PASSWORD}\n")
    atexit.register(os.unlink, users)
    os.environ["NTLM_USER_FILE"] = users
    python_ntlm = spnego.NegotiateOptions.use_ntlm  # the pure-Python NTLM, never a system library
    host, service = SPN.split("/")[1], SPN.split("/")[0]

    def iteration() -> None:
        client = spnego.client(f"{DOMAIN}\\{USER}", PASSWORD, hostname=host, service=service, protocol="ntlm",
                               options=python_ntlm)  # fmt: skip
        server = spnego.server(protocol="ntlm", options=python_ntlm)
        challenge = server.step(client.step())
        check(server.step(client.step(challenge)) is None, "handshake")
        check(client.complete and server.complete, "handshake complete")
        check(server.unwrap(client.wrap(b"client to server").data).data == b"client to server", "seal c->s")
        check(client.unwrap(server.wrap(b"server to client").data).data == b"server to client", "seal s->c")

    return iteration


def measure(iteration: Callable[[], None], iterations: int, runs: int) -> list[float]:
    for _ in range(max(1, iterations // 10)):  # warm-up
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
    print("complete NTLM handshakes (3 messages, a sealed message each way, contexts deleted)")
    results: dict[str, float] = {}
    for name, factory in (("model (sspimodel.api)", model_iteration_factory), ("sspi-rs (sspilib API)", sspi_rs_iteration_factory)):
        iteration = factory()
        if isinstance(iteration, str):
            print(f"  {name:24} skipped: {iteration}")
            continue
        rates = measure(iteration, args.iterations, args.runs)
        results[name] = statistics.median(rates)
        print(f"  {name:24} {results[name]:>9,.0f} handshakes/s  (runs: {min(rates):,.0f} .. {max(rates):,.0f})")
    if len(results) == 2:
        ratio = results["model (sspimodel.api)"] / results["sspi-rs (sspilib API)"]
        print(f"  ratio model / sspi-rs   {ratio:9.2f}  (target >= 1.0: {'met' if ratio >= 1.0 else 'NOT met'})")
    # For scale, after the target's figures (run_all reads the first ratio line): pure-Python NTLM.
    name = "pyspnego (pure Python)"
    iteration = pyspnego_iteration_factory()
    if isinstance(iteration, str):
        print(f"  {name:24} skipped: {iteration}")
    else:
        rates = measure(iteration, max(1, args.iterations // 4), args.runs)
        results[name] = statistics.median(rates)
        print(f"  {name:24} {results[name]:>9,.0f} handshakes/s  (runs: {min(rates):,.0f} .. {max(rates):,.0f})")
        if "model (sspimodel.api)" in results:
            ratio = results["model (sspimodel.api)"] / results[name]
            print(f"  ratio model / pyspnego  {ratio:9.2f}  (for scale: no target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
