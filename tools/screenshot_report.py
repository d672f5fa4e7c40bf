"""Render a check report in headless Chromium and save a screenshot.

    python tools/screenshot_report.py REPORT_DIR [OUT.png]

Uses Debian's chromium (/usr/bin/chromium) with --headless --no-sandbox --disable-gpu, a fresh
profile, and no background networking. Exits non-zero when the page fails to render (chromium
exits non-zero, writes no screenshot, or logs a page error to the console).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(html_file: Path, out_png: Path, width: int = 1280, height: int = 2000) -> tuple[int, str]:
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
            f"--screenshot={out_png}", html_file.resolve().as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stderr


def page_errors(stderr: str) -> list[str]:
    """Console errors the page itself raised (not chromium's own environment noise)."""
    return [line for line in stderr.splitlines() if "CONSOLE" in line and ("Uncaught" in line or "ERROR" in line)]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    report_dir = Path(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else report_dir / "report.png"
    code, stderr = screenshot(report_dir / "report.html", out)
    errors = page_errors(stderr)
    if code != 0 or not out.is_file() or errors:
        print(f"render failed (exit {code}); page errors: {errors}", file=sys.stderr)
        return 1
    print(f"{out}: {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
