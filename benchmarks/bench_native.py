"""Complete NTLM handshakes per second through the native backend (ctypes over the sspi.h ABI).

The native half of the handshake benchmark (the model half is added beside it later). Each
iteration of a scenario is one complete handshake between a client and a server in the same
process: both AcquireCredentialsHandleW calls, InitializeSecurityContextW / AcceptSecurityContext
legs until both sides are done (CompleteAuthToken where the library asks for it), then
DeleteSecurityContext on both contexts and FreeCredentialsHandle on both credentials. Scenarios add
message protection on the established pair:

- ``handshake``: the handshake alone;
- ``handshake + seal``: plus one EncryptMessage / DecryptMessage round trip each way;
- ``handshake + sign``: plus MakeSignature / VerifySignature each way (only when supported);
- ``handshake + export``: plus ExportSecurityContext / ImportSecurityContext (only when supported);
- ``sspilib (reference)``: the same handshake through sspilib's own Cython binding of the same
  library, when sspilib is importable: the gap is this backend's ctypes marshalling.

Unsupported operations are probed once and reported with the status the library returned instead
of being timed. Each scenario runs ``--runs`` times ``--iterations`` handshakes; the median run is
reported with the spread. Resident memory is sampled before and after, and the Python-side memory
the backend keeps is measured apart with tracemalloc: native buffers are copied and freed by the
backend, so growth that tracemalloc does not see is the library's own (with sspi-rs from sspilib
0.6.0 about 200 bytes per handshake, the same through sspilib's own wrapper).

Usage: .venv/bin/python benchmarks/bench_native.py [--iterations 300] [--runs 5]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from attrs import frozen

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sspimodel.native import AuthIdentity, NativeLibraryNotFound, NativeSspi, load_native  # noqa: E402
from sspimodel.native.backend import SECBUFFER_DATA, SECBUFFER_TOKEN  # noqa: E402
from sspimodel.native.handshake import Handshake, establish_context, release  # noqa: E402
from sspimodel.status import load_catalog  # noqa: E402

ALICE = AuthIdentity("alice", "CONTOSO", "Passw0rd!")
SEC_E_OK = 0
PAYLOAD = b"benchmark payload " * 8


@frozen
class Row:
    scenario: str
    iterations: int
    rates: tuple[float, ...]  # handshakes per second, one per run

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    def line(self) -> str:
        lo, hi = min(self.rates), max(self.rates)
        per = 1e6 / self.median
        return f"{self.scenario:<22} {self.median:>10.0f} /s   ({lo:.0f}..{hi:.0f})   {per:>8.1f} us each"


def _status_name(value: int) -> str:
    found = load_catalog().names_for_value(int(value) & 0xFFFFFFFF)
    return "/".join(found) if found else f"0x{int(value) & 0xFFFFFFFF:08X}"


def _rss_kib() -> int | None:
    """Current resident set size (Linux /proc), None elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except OSError:
        return None
    import resource

    return pages * resource.getpagesize() // 1024


def _established(api: NativeSspi) -> Handshake:
    h = establish_context(api, client=ALICE, server=ALICE)
    if not h.established:
        raise SystemExit(f"the handshake did not complete: {h.statuses}")
    return h


def _seal(api: NativeSspi, h: Handshake) -> None:
    for sender, receiver in ((h.client_context, h.server_context), (h.server_context, h.client_context)):
        sealed = api.EncryptMessage(
            phContext=sender, fQOP=0, pMessage=[(SECBUFFER_TOKEN, bytes(16)), (SECBUFFER_DATA, PAYLOAD)]
        )
        opened = api.DecryptMessage(phContext=receiver, pMessage=sealed.pMessage)
        if sealed.status != SEC_E_OK or opened.buffer(SECBUFFER_DATA) != PAYLOAD:
            raise SystemExit(f"seal round trip failed: {_status_name(sealed.status)} / {_status_name(opened.status)}")


def _sign(api: NativeSspi, h: Handshake) -> int:
    """Status of a MakeSignature/VerifySignature round trip each way (the first failure, else OK)."""
    for sender, receiver in ((h.client_context, h.server_context), (h.server_context, h.client_context)):
        signed = api.MakeSignature(
            phContext=sender, fQOP=0, pMessage=[(SECBUFFER_DATA, PAYLOAD), (SECBUFFER_TOKEN, bytes(16))]
        )
        if signed.status != SEC_E_OK:
            return int(signed.status)
        verified = api.VerifySignature(phContext=receiver, pMessage=signed.pMessage)
        if verified.status != SEC_E_OK:
            return int(verified.status)
    return SEC_E_OK


def _export(api: NativeSspi, h: Handshake) -> int:
    """Status of exporting the server context and importing it back (the imported copy is deleted)."""
    exported = api.ExportSecurityContext(phContext=h.server_context, fFlags=0)
    if exported.status != SEC_E_OK or exported.pPackedContext is None:
        return int(exported.status)
    imported = api.ImportSecurityContextW(pszPackage="NTLM", pPackedContext=exported.pPackedContext)
    if imported.status == SEC_E_OK and imported.phContext is not None:
        api.DeleteSecurityContext(phContext=imported.phContext)
    return int(imported.status)


def _timed(api: NativeSspi, extra: Callable[[NativeSspi, Handshake], object] | None, iterations: int, runs: int) -> tuple[float, ...]:
    rates = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(iterations):
            h = _established(api)
            if extra is not None:
                extra(api, h)
            release(api, h)
        rates.append(iterations / (time.perf_counter() - t0))
    return tuple(rates)


def _sspilib_reference(iterations: int, runs: int) -> Row | None:
    """The same handshake through sspilib's own (Cython) binding of the same library, for scale:
    the difference is the cost of this backend's ctypes marshalling."""
    try:
        import sspilib
    except ImportError:
        return None

    def handshake() -> None:
        client = sspilib.ClientSecurityContext(
            sspilib.UserCredential("CONTOSO\\alice", "Passw0rd!", protocol="NTLM", usage="initiate"), "HOST/server"
        )
        server = sspilib.ServerSecurityContext(
            sspilib.UserCredential("CONTOSO\\alice", "Passw0rd!", protocol="NTLM", usage="accept")
        )
        token = client.step()
        while not (client.complete and server.complete):
            token = server.step(token)
            if client.complete and server.complete:
                break
            token = client.step(token)
        # contexts and credentials are released when the objects are collected

    rates = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(iterations):
            handshake()
        rates.append(iterations / (time.perf_counter() - t0))
    return Row("sspilib (reference)", iterations, tuple(rates))


def bench_native(iterations: int, runs: int) -> tuple[list[Row], list[str]]:
    """The timed rows and the notes (origin, skipped scenarios, memory)."""
    lib = load_native()
    api = NativeSspi(lib)
    notes = [f"library: {lib.origin.describe()}"]

    probe = _established(api)
    sign_status = _sign(api, probe)
    export_status = _export(api, probe)
    release(api, probe)

    scenarios: list[tuple[str, Callable[[NativeSspi, Handshake], object] | None]] = [
        ("handshake", None),
        ("handshake + seal", _seal),
    ]
    if sign_status == SEC_E_OK:
        scenarios.append(("handshake + sign", _sign))
    else:
        notes.append(f"handshake + sign: not timed, MakeSignature/VerifySignature return {_status_name(sign_status)}")
    if export_status == SEC_E_OK:
        scenarios.append(("handshake + export", _export))
    else:
        notes.append(
            f"handshake + export: not timed, ExportSecurityContext/ImportSecurityContext return {_status_name(export_status)}"
        )

    _timed(api, _seal, max(iterations // 10, 10), 1)  # warm-up: caches, lazy prototypes, allocator
    rss_before = _rss_kib()
    rows = [Row(name, iterations, _timed(api, extra, iterations, runs)) for name, extra in scenarios]
    rss_after = _rss_kib()
    total = iterations * runs * len(scenarios)
    if rss_before is not None and rss_after is not None:
        growth = rss_after - rss_before
        notes.append(
            f"resident memory: {rss_before} KiB before, {rss_after} KiB after {total} handshakes "
            f"({growth:+d} KiB, {growth * 1024 / total:.0f} B per handshake)"
        )
    # Python-side growth, measured apart (tracemalloc slows every allocation): what the backend
    # itself keeps. Native growth that does not show here is the library's own.
    tracemalloc.start()
    _timed(api, _seal, 200, 1)
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    _timed(api, _seal, 1000, 1)
    gc.collect()
    python_growth = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    notes.append(f"Python-side memory kept by the backend over 1000 handshakes: {python_growth:+d} B")

    reference = _sspilib_reference(iterations, runs)
    if reference is not None:
        rows.append(reference)
    else:
        notes.append("reference: sspilib is not importable (same library through its Cython binding)")

    # the cost of one ctypes round trip with a trivial call, for scale
    h = _established(api)
    n = iterations * 20
    t0 = time.perf_counter()
    for _ in range(n):
        api.QueryContextAttributesW(phContext=h.client_context, ulAttribute=0)  # SECPKG_ATTR_SIZES
    per_call = (time.perf_counter() - t0) / n * 1e6
    release(api, h)
    notes.append(f"QueryContextAttributesW(SECPKG_ATTR_SIZES) through the backend: {per_call:.1f} us per call")
    return rows, notes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=300, help="handshakes per timed run")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per scenario; the median is reported")
    args = ap.parse_args()
    try:
        rows, notes = bench_native(args.iterations, args.runs)
    except NativeLibraryNotFound as exc:
        print(f"native backend unavailable: {exc}", file=sys.stderr)
        return 1
    print(f"native NTLM handshakes, {args.iterations} per run, median of {args.runs} runs")
    for row in rows:
        print("  " + row.line())
    for note in notes:
        print("  " + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
