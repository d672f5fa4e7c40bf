"""Complete NTLM handshakes (with export and import) per second: the model against sspi-rs.

One iteration is the same call sequence on both backends, in one process:

1. AcquireCredentialsHandleW twice (client outbound, server inbound, explicit identities);
2. InitializeSecurityContextW / AcceptSecurityContext until both sides are done, with
   CompleteAuthToken when the server's last leg asks for it (sspi-rs does), caller-supplied
   4096-byte output buffers (no ISC_REQ_ALLOCATE_MEMORY);
3. ExportSecurityContext of the server context, ImportSecurityContextW of what was exported, and
   FreeContextBuffer of the packed context (the native backend frees package memory itself);
4. DeleteSecurityContext of every context, FreeCredentialsHandle of both credentials.

Every status is checked, so only complete handshakes are counted. sspi-rs (sspilib 0.6.0) does not
implement export/import: ExportSecurityContext returns SEC_E_NOT_SUPPORTED and
ImportSecurityContextW SEC_E_UNSUPPORTED_FUNCTION; both calls are still made and timed (with a
one-byte blob for the import), and the report says so. The model runs through the guarded API
(:class:`sspimodel.api.Sspi`, strict mode: contracts validated, every status checked against its
page), sspi-rs through the ctypes backend (:class:`sspimodel.native.NativeSspi`).

Each backend runs ``--runs`` times ``--iterations`` handshakes after a warm-up; the median run is
reported with the spread, then the ratio model / sspi-rs (the target is at least 2).

Usage: .venv/bin/python benchmarks/bench_handshake.py [--iterations 300] [--runs 5]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sspimodel.api import Sspi  # noqa: E402
from sspimodel.model.buffers import SecBufferDesc  # noqa: E402
from sspimodel.model.constants import (  # noqa: E402
    ISC_REQ_CONFIDENTIALITY,
    ISC_REQ_CONNECTION,
    ISC_REQ_INTEGRITY,
    SECPKG_CRED_INBOUND,
    SECPKG_CRED_OUTBOUND,
    SECURITY_NATIVE_DREP,
)
from sspimodel.model.structs import SecWinntAuthIdentity  # noqa: E402
from sspimodel.model.world import default_world  # noqa: E402

TARGET = "HTTP/web.contoso.com"
ISC_REQ = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_CONNECTION
ASC_REQ_CONNECTION = 0x800  # sspi.h: ASC_REQ_CONNECTION (the same bit as ISC_REQ_CONNECTION)
TOKEN_CAPACITY = 4096  # above cbMaxToken of NTLM in both (2888)
SECBUFFER_TOKEN = 2
OK, CONTINUE, COMPLETE = 0x00000000, 0x00090312, 0x00090313


class Failed(AssertionError):
    pass


def expect(function: str, status: object, *allowed: int) -> int:
    value = int(status) & 0xFFFFFFFF  # type: ignore[call-overload]
    if value not in allowed:
        raise Failed(f"{function} returned {value:#010x}, expected one of {[hex(a) for a in allowed]}")
    return value


# -- the model --------------------------------------------------------------------------------


def model_handshake(api: Sspi, identity: SecWinntAuthIdentity) -> dict[str, int]:
    """One iteration on the model; returns the statuses of export and import."""
    c = api.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pAuthData=identity)
    s = api.AcquireCredentialsHandleW(pPackage="NTLM", fCredentialUse=SECPKG_CRED_INBOUND, pAuthData=identity)
    expect("AcquireCredentialsHandleW", c.status, OK)
    expect("AcquireCredentialsHandleW", s.status, OK)
    out = SecBufferDesc.output(TOKEN_CAPACITY)
    i1 = api.InitializeSecurityContextW(
        phCredential=c.phCredential, pTargetName=TARGET, fContextReq=ISC_REQ, Reserved1=0,
        TargetDataRep=SECURITY_NATIVE_DREP, Reserved2=0, pOutput=out,
    )  # fmt: skip
    expect("InitializeSecurityContextW", i1.status, CONTINUE)
    reply = SecBufferDesc.output(TOKEN_CAPACITY)
    a1 = api.AcceptSecurityContext(
        phCredential=s.phCredential, pInput=SecBufferDesc.token(out.token_bytes), fContextReq=ASC_REQ_CONNECTION,
        TargetDataRep=SECURITY_NATIVE_DREP, pOutput=reply,
    )  # fmt: skip
    expect("AcceptSecurityContext", a1.status, CONTINUE)
    out2 = SecBufferDesc.output(TOKEN_CAPACITY)
    i2 = api.InitializeSecurityContextW(
        phCredential=c.phCredential, phContext=i1.phNewContext, pTargetName=TARGET, fContextReq=ISC_REQ,
        Reserved1=0, TargetDataRep=SECURITY_NATIVE_DREP, pInput=SecBufferDesc.token(reply.token_bytes),
        Reserved2=0, pOutput=out2,
    )  # fmt: skip
    expect("InitializeSecurityContextW", i2.status, OK)
    a2 = api.AcceptSecurityContext(
        phCredential=s.phCredential, phContext=a1.phNewContext, pInput=SecBufferDesc.token(out2.token_bytes),
        fContextReq=ASC_REQ_CONNECTION, TargetDataRep=SECURITY_NATIVE_DREP, pOutput=SecBufferDesc.output(TOKEN_CAPACITY),
    )  # fmt: skip
    server_ctx = a2.phNewContext or a1.phNewContext
    if expect("AcceptSecurityContext", a2.status, OK, COMPLETE) == COMPLETE:
        done = api.CompleteAuthToken(phContext=server_ctx, pToken=SecBufferDesc.token(out2.token_bytes))
        expect("CompleteAuthToken", done.status, OK)
    exported = api.ExportSecurityContext(phContext=server_ctx, fFlags=0)
    export_status = expect("ExportSecurityContext", exported.status, OK)
    imported = api.ImportSecurityContextW(pszPackage="NTLM", pPackedContext=exported.pPackedContext)
    import_status = expect("ImportSecurityContextW", imported.status, OK)
    expect("FreeContextBuffer", api.FreeContextBuffer(pvContextBuffer=exported.pPackedContext.pvBuffer).status, OK)
    for ctx in (i2.phNewContext or i1.phNewContext, server_ctx, imported.phContext):
        expect("DeleteSecurityContext", api.DeleteSecurityContext(phContext=ctx).status, OK)
    for cred in (c.phCredential, s.phCredential):
        expect("FreeCredentialsHandle", api.FreeCredentialsHandle(phCredential=cred).status, OK)
    return {"ExportSecurityContext": export_status, "ImportSecurityContextW": import_status}


# -- sspi-rs ----------------------------------------------------------------------------------


def native_handshake(api: Any, identity: Any) -> dict[str, int]:
    """The same iteration through NativeSspi; returns the statuses of export and import."""
    c = api.AcquireCredentialsHandleW(pszPackage="NTLM", fCredentialUse=SECPKG_CRED_OUTBOUND, pAuthData=identity)
    s = api.AcquireCredentialsHandleW(pszPackage="NTLM", fCredentialUse=SECPKG_CRED_INBOUND, pAuthData=identity)
    expect("AcquireCredentialsHandleW", c.status, OK)
    expect("AcquireCredentialsHandleW", s.status, OK)

    def slot() -> list[tuple[int, bytes]]:
        return [(SECBUFFER_TOKEN, bytes(TOKEN_CAPACITY))]

    i1 = api.InitializeSecurityContextW(
        phCredential=c.phCredential, pszTargetName=TARGET, fContextReq=ISC_REQ, pOutput=slot()
    )
    expect("InitializeSecurityContextW", i1.status, CONTINUE)
    a1 = api.AcceptSecurityContext(
        phCredential=s.phCredential, pInput=i1.pOutput, fContextReq=ASC_REQ_CONNECTION, pOutput=slot()
    )
    expect("AcceptSecurityContext", a1.status, CONTINUE)
    i2 = api.InitializeSecurityContextW(
        phCredential=c.phCredential, phContext=i1.phNewContext, pszTargetName=TARGET, fContextReq=ISC_REQ,
        pInput=a1.pOutput, pOutput=slot(),
    )  # fmt: skip
    expect("InitializeSecurityContextW", i2.status, OK)
    a2 = api.AcceptSecurityContext(
        phCredential=s.phCredential, phContext=a1.phNewContext, pInput=i2.pOutput, fContextReq=ASC_REQ_CONNECTION,
        pOutput=slot(),
    )  # fmt: skip
    server_ctx = a2.phNewContext or a1.phNewContext
    if expect("AcceptSecurityContext", a2.status, OK, COMPLETE) == COMPLETE:
        expect("CompleteAuthToken", api.CompleteAuthToken(phContext=server_ctx, pToken=i2.pOutput).status, OK)
    exported = api.ExportSecurityContext(phContext=server_ctx, fFlags=0)
    export_status = int(exported.status) & 0xFFFFFFFF
    imported = api.ImportSecurityContextW(pszPackage="NTLM", pPackedContext=exported.pPackedContext or b"\0")
    import_status = int(imported.status) & 0xFFFFFFFF
    contexts = [i2.phNewContext or i1.phNewContext, server_ctx]
    if import_status == OK:
        contexts.append(imported.phContext)
    for ctx in contexts:
        expect("DeleteSecurityContext", api.DeleteSecurityContext(phContext=ctx).status, OK)
    for cred in (c.phCredential, s.phCredential):
        expect("FreeCredentialsHandle", api.FreeCredentialsHandle(phCredential=cred).status, OK)
    return {"ExportSecurityContext": export_status, "ImportSecurityContextW": import_status}


# -- timing -----------------------------------------------------------------------------------


def measure(one: Callable[[], dict[str, int]], iterations: int, runs: int, warmup: int) -> tuple[list[float], dict[str, int]]:
    statuses: dict[str, int] = {}
    for _ in range(warmup):
        statuses = one()
    rates = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        for _ in range(iterations):
            one()
        rates.append(iterations / (time.perf_counter() - start))
    return rates, statuses


def status_names(statuses: dict[str, int]) -> str:
    from sspimodel.conform.classify import status_name

    return ", ".join(f"{fn} {status_name(v)}" for fn, v in statuses.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=300, help="handshakes per run (default 300)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per backend (default 5)")
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args(argv)

    print(f"{args.runs} runs of {args.iterations} complete NTLM handshakes (with export and import) per backend")
    results: dict[str, tuple[list[float], dict[str, int]]] = {}

    world = default_world()
    model = Sspi(world)
    alice = SecWinntAuthIdentity("alice", "Passw0rd!alice", "CONTOSO")
    results["model"] = measure(lambda: model_handshake(model, alice), args.iterations, args.runs, args.warmup)
    leaks = world.leaks()
    if leaks:
        print(f"model world leaks after the run: {leaks}")

    try:
        from sspimodel.native import AuthIdentity, NativeSspi, load_native

        lib = load_native()
    except Exception as exc:  # no native library: the model row alone
        print(f"sspi-rs: not measured ({exc})")
        lib = None
    if lib is not None:
        native = NativeSspi(lib)
        ident = AuthIdentity("alice", "CONTOSO", "Passw0rd!alice")
        results["sspi-rs"] = measure(lambda: native_handshake(native, ident), args.iterations, args.runs, args.warmup)
        print(f"native library: {lib.origin.describe()}")

    print(f"{'backend':<10} {'handshakes/s':>13} {'us/handshake':>13} {'spread (min-max /s)':>22}  export / import")
    for name, (rates, statuses) in results.items():
        median = statistics.median(rates)
        spread = f"{min(rates):,.0f}-{max(rates):,.0f}"
        print(f"{name:<10} {median:>13,.0f} {1e6 / median:>13,.1f} {spread:>22}  {status_names(statuses)}")
    if "sspi-rs" in results:
        ratio = statistics.median(results["model"][0]) / statistics.median(results["sspi-rs"][0])
        verdict = "met" if ratio >= 2 else "NOT met"
        print(f"ratio model / sspi-rs: {ratio:.2f}x (target >= 2x: {verdict})")
        if results["sspi-rs"][1].get("ExportSecurityContext") != OK:
            print("note: sspi-rs does not implement export/import; its two calls return at once and are timed as made")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
