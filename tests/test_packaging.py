"""Installs and runs anywhere: the spec as package data, the built wheel outside the checkout,
`check --spec` on a folder of pages, --version and help texts, the README's commands = CI's."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import sspimodel
from sspimodel.check.report import CheckInputError, build_report, summary_lines
from sspimodel.cli import build_parser, main
from sspimodel.paths import REPO_ROOT, data_file, default_spec_dir, packaged_spec_dir, pages_dir

# --- where the spec is found -------------------------------------------------------------------


def test_the_packaged_spec_is_the_working_trees_spec_folder_in_an_editable_install():
    """importlib.resources resolves sspimodel._spec to the checkout's spec/, so page edits show at once."""
    import importlib.resources

    assert Path(str(importlib.resources.files("sspimodel._spec"))).resolve() == (REPO_ROOT / "spec").resolve()
    assert packaged_spec_dir().resolve() == (REPO_ROOT / "spec").resolve()
    assert (pages_dir() / "AcceptSecurityContext.md").is_file()


def test_a_page_edit_shows_at_once_through_the_package(tmp_path):
    """A fresh interpreter reads the page text the working tree has now (no copy anywhere)."""
    page = REPO_ROOT / "spec" / "pages" / "FreeContextBuffer.md"
    code = ("from sspimodel.paths import pages_dir; import sys; "
            "sys.stdout.write((pages_dir() / 'FreeContextBuffer.md').read_text(encoding='utf-8'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={k: v for k, v in os.environ.items() if k != "SSPIMODEL_SPEC"}, check=True)
    assert out.stdout == page.read_text(encoding="utf-8")


def test_sspimodel_spec_environment_variable_overrides_the_packaged_spec(monkeypatch, tmp_path):
    monkeypatch.setenv("SSPIMODEL_SPEC", str(tmp_path))
    assert default_spec_dir() == tmp_path
    # no data/ there: the packaged data is used
    assert data_file("status.tsv") == packaged_spec_dir() / "data" / "status.tsv"
    (tmp_path / "data").mkdir()
    assert data_file("status.tsv") == tmp_path / "data" / "status.tsv"


def test_nothing_outside_paths_py_locates_the_spec_folder_by_hand():
    """Every module finds spec/ through sspimodel.paths (importlib.resources), never REPO_ROOT/'spec'."""
    offenders = []
    for path in sorted((REPO_ROOT / "sspimodel").rglob("*.py")):
        if path.name == "paths.py" or "_generated" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"REPO_ROOT\s*/\s*[\"']spec[\"']", text) or "mingw-w64/include" in text:
            offenders.append(path.relative_to(REPO_ROOT).as_posix())
    assert offenders == []


# --- check --spec on other folders --------------------------------------------------------------


def test_check_on_the_projects_own_pages_folder_uses_the_packaged_data_and_says_so(capsys):
    code = main(["check", "--spec", str(REPO_ROOT / "spec" / "pages")])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    assert lines[1] == "data      no data/ in the spec folder: the data shipped with sspimodel is used"
    # the rest of the summary is what the whole spec folder gives
    full = summary_lines(build_report(REPO_ROOT / "spec"))
    assert lines[2 : 2 + len(full)] == full


def test_check_on_the_spec_folder_does_not_mention_the_packaged_data(capsys):
    lines = summary_lines(build_report(REPO_ROOT / "spec"))
    assert not any(line.startswith(("data ", "evidence ")) for line in lines)


def test_check_on_an_empty_folder_is_one_error_line(tmp_path, capsys):
    assert main(["check", "--spec", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"sspimodel check: no reference page (*.md, *.txt) in {tmp_path}\n"


def test_check_on_a_folder_of_unreadable_pages_is_one_error_line_naming_one(tmp_path, capsys):
    (tmp_path / "Broken.md").write_bytes(b"\xff\xfe not a page")
    assert main(["check", "--spec", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"sspimodel check: no readable reference page in {tmp_path}: 1 unreadable (first: Broken.md")
    with pytest.raises(CheckInputError):
        build_report(tmp_path)


# --- the command line ----------------------------------------------------------------------------


def test_version_prints_the_package_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"sspimodel {sspimodel.__version__}\n"


def _parsers(parser: argparse.ArgumentParser, path: str = "sspimodel"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{path} {name}")


def test_every_option_of_every_subcommand_has_help():
    missing = []
    seen = 0
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            seen += 1
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert seen > 20
    assert missing == []


# --- the README's commands are what CI runs -------------------------------------------------------


def _readme_commands() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_the_readme_has_two_commands_and_ci_runs_the_test_command_exactly():
    commands = _readme_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    venv_prefix = "python3 -m venv .venv && . .venv/bin/activate && "
    assert all(c.startswith(venv_prefix) for c in commands)
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_command = ci.split("# The README's test command, exactly:\n", 1)[1].strip().splitlines()[0]
    assert ci_command == commands[1].removeprefix(venv_prefix)


# --- the built wheel, installed elsewhere ---------------------------------------------------------

# Modules of the extras (notebooks, native, dev): the core must work without any of them.
_NOT_CORE = ("nbformat", "nbclient", "ipykernel", "jupyterlab", "jupyter_client", "nbval", "sspilib", "pytest",
             "hypothesis", "jsonschema", "IPython")

_BLOCK_EXTRAS = r"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in NOT_CORE:
            raise ImportError(f"{name} is not a core dependency")
sys.meta_path.insert(0, Block())
"""
_CORE_ONLY_CLI = _BLOCK_EXTRAS + "from sspimodel.cli import main\nsys.exit(main(sys.argv[1:]))\n"

_HANDSHAKE_SCRIPT = _BLOCK_EXTRAS + r"""
import sspimodel
from sspimodel import Sspi, default_world
from sspimodel.model.constants import SECPKG_ATTR_NAMES
from sspimodel.model.drive import handshake
print(sspimodel.__file__)
world = default_world()
client, server = Sspi(world, 100), Sspi(world, 200)
hs = handshake(client, server, "NTLM", "HTTP/web.contoso.com")
print(" ".join(hs.statuses))
print(len(hs.tokens), hs.established)
print(server.QueryContextAttributesW(phContext=hs.server_ctx, ulAttribute=SECPKG_ATTR_NAMES).pBuffer.sUserName)
"""


def _site_packages(python: Path) -> str:
    return subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory) -> Path:
    """A venv outside the checkout holding the wheel built from it; returns the venv's python.

    Speed: the venv is created without pip, and the wheel is installed by this environment's pip
    (`pip --python`) with --no-deps; the core dependencies come from this environment's
    site-packages through a .pth file (a .pth only adds a path: this environment's own .pth files,
    such as the editable install's finder, are not run, so `import sspimodel` finds the wheel).
    The build itself is `pip wheel . --no-deps`, which needs no more network than `pip install -e .`.
    """
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    # Built from a copy of what the wheel is made of: setuptools leaves build/ in the source folder,
    # and a stale build/lib there could put removed files into the wheel (and the test would write
    # into the checkout).
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(REPO_ROOT / name, src / name)
    for name in ("sspimodel", "spec"):
        shutil.copytree(REPO_ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(dist)],
                           capture_output=True, text=True, timeout=600, check=False)
    assert build.returncode == 0, build.stderr[-3000:]
    [wheel] = sorted(dist.glob("sspimodel-*.whl"))
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    inst = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                           "-q", str(wheel)], capture_output=True, text=True, timeout=600, check=False)
    assert inst.returncode == 0, inst.stderr[-3000:]
    here = _site_packages(Path(sys.executable))
    Path(_site_packages(python), "_sspimodel_test_deps.pth").write_text(here + "\n", encoding="utf-8")
    return python


def _run_installed(python: Path, argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SSPIMODEL_SPEC", "PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=env, timeout=600, check=False)


def test_the_wheel_holds_the_spec_and_check_passes_from_a_temporary_directory(installed_wheel, tmp_path):
    python = installed_wheel
    where = _run_installed(python, [str(python), "-c", "import sspimodel.paths as p; print(p.packaged_spec_dir())"],
                           tmp_path)
    assert where.returncode == 0, where.stderr
    spec = Path(where.stdout.strip())
    assert spec.parts[-2:] == ("sspimodel", "_spec") and REPO_ROOT not in spec.parents
    assert sorted(p.name for p in (spec / "pages").iterdir()) == sorted(p.name for p in (REPO_ROOT / "spec" / "pages").iterdir())
    for name in ("status.tsv", "constants.tsv", "errata.yaml", "sspi_h.json", "ntstatus_h.json"):
        assert (spec / "data" / name).read_bytes() == (REPO_ROOT / "spec" / "data" / name).read_bytes(), name
    assert len(list((spec / "scenarios").glob("*.yaml"))) == len(list((REPO_ROOT / "spec" / "scenarios").glob("*.yaml")))

    out = _run_installed(python, [str(python.parent / "sspimodel"), "check"], tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert "evidence  not looked for: no notebooks/ or tests/ here (an installed package)" in lines
    assert lines[-1] == "result    OK"
    # the core alone (no module of an extra importable) gives the same output
    core = _run_installed(python, [str(python), "-c", _CORE_ONLY_CLI.replace("NOT_CORE", repr(_NOT_CORE)), "check"],
                          tmp_path)
    assert core.returncode == 0, core.stderr[-3000:]
    assert core.stdout == out.stdout
    # the same lint and read stages as in the checkout
    here = summary_lines(build_report(REPO_ROOT / "spec"))
    assert [line for line in lines if line.startswith(("read ", "lint ", "generate "))] == \
        [line for line in here if line.startswith(("read ", "lint ", "generate "))]


def test_an_ntlm_handshake_runs_through_the_api_of_the_installed_wheel_with_core_dependencies_only(
        installed_wheel, tmp_path):
    code = _HANDSHAKE_SCRIPT.replace("NOT_CORE", repr(_NOT_CORE))
    out = _run_installed(installed_wheel, [str(installed_wheel), "-c", code], tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    first, *rest = out.stdout.splitlines()
    assert REPO_ROOT.as_posix() not in first and "site-packages/sspimodel" in first
    assert rest == ["SEC_I_CONTINUE_NEEDED SEC_I_CONTINUE_NEEDED SEC_E_OK SEC_E_OK", "3 True", "CONTOSO\\alice"]


def test_the_installed_wheel_runs_its_packaged_scenarios(installed_wheel, tmp_path):
    out = _run_installed(installed_wheel, [str(installed_wheel.parent / "sspimodel"), "conform", "--backend", "model",
                                           "--report", str(tmp_path / "out")], tmp_path)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "model: 0 undocumented, 0 errors; 0 invalid scenario files" in out.stdout
    data = json.loads((tmp_path / "out" / "conform.json").read_text(encoding="utf-8"))
    shipped = [p for p in (REPO_ROOT / "spec" / "scenarios").glob("*.yaml") if not p.name.startswith("_")]
    assert data["summary"]["scenarios"] >= len(shipped) > 0
