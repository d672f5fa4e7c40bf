"""Derive spec/data/status_namespaces.tsv from the mingw-w64 SDK headers (run once, by hand).

The file it writes is committed; nothing in the project needs the headers afterwards.

    apt-get install mingw-w64-common      # Debian/Ubuntu: /usr/share/mingw-w64/include
    python tools/derive_status_namespaces.py [--include DIR] [-o spec/data/status_namespaces.tsv]

Namespaces (how a status is spelled and where its value is defined):
- win32:    ERROR_* of winerror.h (values < 0x10000), ERROR_WINHTTP_* of winhttp.h;
- hresult:  S_*, E_*, NTE_*, CRYPT_E_*, TRUST_E_*, CERT_E_* ... of winerror.h (_HRESULT_TYPEDEF_);
- ntstatus: STATUS_* of ntstatus.h ((NTSTATUS)0x...);
- netapi:   NERR_* of lmerr.h (NET_API_STATUS).
SECURITY_STATUS codes (SEC_E_*, SEC_I_*) stay in spec/data/status.tsv.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

DEFINE_RE = re.compile(r"^#define\s+([A-Z][A-Za-z0-9_]*)\s+(.+?)\s*(?://.*|/\*.*)?$")
NUM = r"(0[xX][0-9A-Fa-f]+|\d+)[uUlL]*"
FORMS = [
    re.compile(rf"^__MSABI_LONG\(\s*{NUM}\s*\)$"),
    re.compile(rf"^_HRESULT_TYPEDEF_\(\s*{NUM}\s*\)$"),
    re.compile(rf"^_NDIS_ERROR_TYPEDEF_\(\s*{NUM}\s*\)$"),
    re.compile(rf"^\(\(\s*(?:NTSTATUS|HRESULT|DWORD|LONG)\s*\)\s*{NUM}\s*\)$"),
    re.compile(rf"^\(?\s*{NUM}\s*\)?$"),
]
BASE_RE = re.compile(r"^\(\s*([A-Z_][A-Z0-9_]*)\s*\+\s*(\d+)\s*\)$")


def values(path: Path) -> tuple[dict[str, int], dict[str, int]]:
    """(name -> value, name -> line) of the numeric #defines of one header."""
    out: dict[str, int] = {}
    lines: dict[str, int] = {}
    for no, line in enumerate(path.read_text(encoding="latin-1").splitlines(), 1):
        m = DEFINE_RE.match(line.strip())
        if not m:
            continue
        name, expr = m.group(1), m.group(2).strip()
        for rx in FORMS:
            v = rx.match(expr)
            if v:
                out.setdefault(name, int(v.group(1), 0) & 0xFFFFFFFF)
                lines.setdefault(name, no)
                break
        else:
            b = BASE_RE.match(expr)
            if b and b.group(1) in out:
                out.setdefault(name, (out[b.group(1)] + int(b.group(2))) & 0xFFFFFFFF)
                lines.setdefault(name, no)
    return out, lines


HRESULT_PREFIXES = ("S_", "E_", "NTE_", "CRYPT_E_", "CRYPT_I_", "TRUST_E_", "CERT_E_", "CO_E_", "RPC_E_", "SCARD_E_", "SCARD_W_", "OSS_", "CERTSRV_E_", "DIGSIG_E_")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--include", type=Path, default=Path("/usr/share/mingw-w64/include"))
    ap.add_argument("-o", "--output", type=Path, default=Path(__file__).resolve().parent.parent / "spec/data/status_namespaces.tsv")
    args = ap.parse_args()
    inc = args.include
    try:
        version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "mingw-w64-common"], capture_output=True, text=True).stdout.strip()
    except OSError:
        version = ""
    rows: list[tuple[str, str, int, str, int]] = []
    win, win_lines = values(inc / "winerror.h")
    for name, v in win.items():
        if name.startswith("ERROR_") and v < 0x10000:
            rows.append(("win32", name, v, "winerror.h", win_lines[name]))
        elif name.startswith(HRESULT_PREFIXES) and (v & 0x80000000 or name.startswith(("S_", "CRYPT_I_"))):
            rows.append(("hresult", name, v, "winerror.h", win_lines[name]))
    http, http_lines = values(inc / "winhttp.h")
    for name, v in http.items():
        if name.startswith("ERROR_WINHTTP_"):
            rows.append(("win32", name, v, "winhttp.h", http_lines[name]))
    nt, nt_lines = values(inc / "ntstatus.h")
    for name, v in nt.items():
        if name.startswith("STATUS_") and not name.startswith("STATUS_SEVERITY_"):
            rows.append(("ntstatus", name, v, "ntstatus.h", nt_lines[name]))
    net, net_lines = values(inc / "lmerr.h")
    for name, v in net.items():
        if name.startswith("NERR_") and name != "NERR_BASE":
            rows.append(("netapi", name, v, "lmerr.h", net_lines[name]))
    rows.sort(key=lambda r: (r[0], r[1]))
    seen: set[str] = set()
    with args.output.open("w", encoding="utf-8", newline="\n") as out:
        out.write("# Status codes outside SECURITY_STATUS, by namespace, with their values from the SDK headers.\n")
        out.write(f"# Source: mingw-w64 {version or '(version unknown)'} include/ (Debian mingw-w64-common); derived by\n")
        out.write("# tools/derive_status_namespaces.py. line = line of the #define in that header.\n")
        out.write("namespace\tname\tvalue\theader\tline\n")
        for ns, name, v, header, line in rows:
            if name in seen:
                continue
            seen.add(name)
            out.write(f"{ns}\t{name}\t0x{v:08X}\t{header}\t{line}\n")
    print(f"{args.output}: {len(seen)} codes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
