"""The command line: spec list / show / export, exit statuses, stable JSON keys."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sspimodel.cli import main

SEEDS = ("SspiAcquireCredentialsHandleAsyncA", "ImportSecurityContextA")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_spec_list_shows_every_page(capsys, spec_dir):
    code, out, _ = run(capsys, "spec", "list")
    assert code == 0
    pages = sorted(p for p in (spec_dir / "pages").iterdir() if p.suffix in (".md", ".txt"))
    assert f"{len(pages)} functions" in out
    for p in pages:
        assert p.stem in out, p.stem
    assert max(len(line) for line in out.splitlines()) <= 100


def test_spec_show_prints_parameter_and_return_tables(capsys):
    code, out, _ = run(capsys, "spec", "show", "ImportSecurityContextA")
    assert code == 0
    for text in ("pszPackage", "[in]", "phContext", "[out]", "Token", "optional", "SEC_E_NOT_OWNER", "Secur32.dll"):
        assert text in out, text


def test_spec_show_unknown_function_is_a_usage_error(capsys):
    code, _, err = run(capsys, "spec", "show", "NoSuchFunction")
    assert code == 2
    assert "NoSuchFunction" in err


def test_usage_errors_exit_2(capsys, tmp_path):
    assert run(capsys, "spec", "frobnicate")[0] == 2
    assert run(capsys, "spec", "list", "--spec", str(tmp_path / "absent"))[0] == 2
    assert run(capsys)[0] == 2


def test_export_has_the_stable_keys(capsys, tmp_path):
    out_file = tmp_path / "spec.json"
    code, _, _ = run(capsys, "spec", "export", "-o", str(out_file))
    assert code == 0
    data = json.loads(out_file.read_text(encoding="utf-8"))
    assert set(data) == {"functions", "diagnostics"}
    names = [f["name"] for f in data["functions"]]
    assert set(SEEDS) <= set(names)
    for f in data["functions"]:
        assert {"name", "variant", "parameters", "returns", "mentioned_codes", "source"} <= set(f)
        for p in f["parameters"]:
            assert {"name", "direction", "optional"} <= set(p)
            assert p["direction"] in ("in", "out", "inout", "unknown")
        for r in f["returns"]:
            assert {"name", "kind", "via"} <= set(r)
            assert r["kind"] in ("success", "error", "pending")
            assert r["via"] in ("call", "async_status")
    seed = next(f for f in data["functions"] if f["name"] == "SspiAcquireCredentialsHandleAsyncA")
    assert seed["variant"] == "A"
    assert "SEC_E_NO_AUTHENTICATING_AUTHORITY" in {m["code"] for m in seed["mentioned_codes"]}
    for d in data["diagnostics"]:
        assert {"rule", "severity", "file", "line", "message"} <= set(d)


def test_export_is_deterministic(capsys):
    first = run(capsys, "spec", "export")[1]
    second = run(capsys, "spec", "export")[1]
    assert first == second


def test_unreadable_page_exits_1_and_other_pages_are_kept(capsys, tmp_path, spec_dir):
    pages = tmp_path / "spec" / "pages"
    pages.mkdir(parents=True)
    for seed in ("SspiAcquireCredentialsHandleAsyncA.md", "ImportSecurityContextA.txt"):
        shutil.copy(spec_dir / "pages" / seed, pages / seed)
    (pages / "Broken.md").write_bytes(b"---\ntitle: \xff\xfe broken\n---\n")
    code, out, _ = run(capsys, "spec", "list", "--spec", str(tmp_path / "spec"))
    assert code == 1
    assert "Broken.md" in out and "not UTF-8" in out
    assert "ImportSecurityContextA" in out and "SspiAcquireCredentialsHandleAsyncA" in out
    code, _, _ = run(capsys, "spec", "export", "--spec", str(tmp_path / "spec"), "-o", str(tmp_path / "x.json"))
    assert code == 1
    data = json.loads(Path(tmp_path / "x.json").read_text(encoding="utf-8"))
    assert len(data["functions"]) == 2
    assert any(d["rule"] == "read.unreadable" and d["file"] == "Broken.md" for d in data["diagnostics"])


def test_seed_pages_are_byte_identical_to_the_seeds(spec_dir):
    seeds = spec_dir.parent.parent / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("../shared/seeds is absent")
    assert (spec_dir / "pages" / "SspiAcquireCredentialsHandleAsyncA.md").read_bytes() == (
        seeds / "000_aafc58efa182587b.txt"
    ).read_bytes()
    assert (spec_dir / "pages" / "ImportSecurityContextA.txt").read_bytes() == (seeds / "001_fd1a9e07363116ee.txt").read_bytes()
