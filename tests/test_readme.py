"""README.md's findings block is lint's Markdown output on the embedded spec, not hand-written."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sspimodel.paths import REPO_ROOT

_spec = importlib.util.spec_from_file_location("readme_findings", REPO_ROOT / "tools" / "readme_findings.py")
assert _spec is not None and _spec.loader is not None
readme_findings = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme_findings)

README = REPO_ROOT / "README.md"


def test_readme_findings_block_is_lints_markdown_output() -> None:
    block = readme_findings.readme_block(README.read_text(encoding="utf-8"))
    assert block == readme_findings.generated_block(), "run: python tools/readme_findings.py"


def test_readme_findings_block_goes_stale_when_a_page_changes(tmp_path: Path) -> None:
    # The block is generated from the pages: a page with one more defect gives another block.
    import shutil

    spec = tmp_path / "spec"
    shutil.copytree(REPO_ROOT / "spec", spec)
    page = spec / "pages" / "FreeContextBuffer.md"
    page.write_text(page.read_text(encoding="utf-8").replace("SEC_E_OK", "SEC_E_OK\n\nIt may return SEC_E_BOGUS.", 1),
                    encoding="utf-8")
    assert readme_findings.generated_block(spec) != readme_findings.generated_block()

