"""What importing sspimodel and building a world load, and what they leave for later.

Speed is measured by benchmarks/bench_startup.py; these tests hold the structure that makes start-up
cheap: heavy libraries and modules that only some calls need are imported when those calls
come, not at ``import sspimodel`` or ``default_world()``. Each check runs a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sspimodel.paths import REPO_ROOT

# Imported only by what needs them: the NTLM crypto (first MD4 / RC4 keying), the NTLM message
# classes, the auth-identity structures and the credential-prompt rules (their functions' first
# call), importlib.resources (only for a spec that is not a plain folder).
LATER = (
    "Cryptodome",
    "cffi",
    "cryptography",
    "importlib.resources",
    "sspimodel.model.prompts",
    "sspimodel.model.structs",
    "sspimodel.model.identity",
)


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _later_loaded(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == name or m.startswith(name + ".") for name in LATER))


def test_import_loads_neither_the_model_nor_crypto():
    loaded = _loaded_after("from sspimodel import Sspi\nSspi.__name__")
    assert _later_loaded(loaded) == []
    assert "sspimodel.ntlm" not in loaded
    assert "yaml" not in loaded


def test_default_world_leaves_crypto_and_prompt_rules_for_later():
    loaded = _loaded_after("from sspimodel import default_world\ndefault_world()")
    assert _later_loaded(loaded) == []
    assert "sspimodel.model.prompt_state" in loaded  # the world's prompt state, without the rules


def test_one_model_module_does_not_import_the_whole_model():
    loaded = _loaded_after("import sspimodel.model.errors")
    assert not {"sspimodel.model.world", "sspimodel.model.packages", "sspimodel.model.structs"} & loaded


def test_the_model_package_still_offers_every_name():
    import sspimodel.model as model

    for name in model.__all__:
        assert getattr(model, name) is not None, name
    assert set(model.__all__) <= set(dir(model))
    from sspimodel.model import AuthIdentity, default_world, tokens  # a name, a function, a submodule
    from sspimodel.model.structs import AuthIdentity as defined
    from sspimodel.model.world import default_world as builder

    assert AuthIdentity is defined and default_world is builder and tokens.__name__ == "sspimodel.model.tokens"
    assert model.packages.__name__ == "sspimodel.model.packages"  # a submodule, imported on access
    with pytest.raises(AttributeError, match="no attribute 'Nonexistent'"):
        model.Nonexistent  # noqa: B018


def test_prompts_reexports_the_prompt_state_classes():
    from sspimodel.model import prompt_state, prompts

    for name in prompt_state.__all__:
        assert getattr(prompts, name) is getattr(prompt_state, name), name
        assert name in prompts.__all__


def test_crypto_imported_on_first_use_still_gives_the_known_digests():
    from sspimodel.ntlm import crypto

    # MD4("abc") (RFC 1320, A.5) and the first 16 keystream bytes of RC4 with the 40-bit key
    # 0x0102030405 (RFC 6229, section 2).
    assert crypto.md4(b"abc").hex() == "a448017aaf21d8525fc10ae87aa6729d"
    assert crypto.rc4k(bytes.fromhex("0102030405"), bytes(16)).hex() == "b2396305f03dc027ccc3524a0a1118a8"


def test_packaged_spec_dir_agrees_with_importlib_resources():
    import importlib.resources
    from pathlib import Path

    from sspimodel.paths import packaged_spec_dir

    assert packaged_spec_dir().resolve() == Path(str(importlib.resources.files("sspimodel._spec"))).resolve()
