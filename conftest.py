"""The test session's set-up of the notebook kernels (`pytest` and `pytest notebooks` alike).

The notebook kernels get an IPython directory of their own (``IPYTHONDIR``, set in the
controlling pytest process before any worker or kernel starts, so all of them inherit it) holding
one kernel setting: ``InteractiveShell.xmode = "Plain"``. nbval compares an error's name and
message, never its traceback (and ``python -m sspimodel.notebooks`` stores only that line), so the
kernel's default traceback, which parses the source of every frame, is work nobody reads; the
plain one still lists the frames when a cell fails. A private directory also keeps the tester's
own IPython profile (start-up files, extensions) out of the notebooks' outputs. The directory goes
when the session ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

KERNEL_CONFIG = """\
# Written by the test session (conftest.py): tracebacks without source context, which nbval
# never compares.
c.InteractiveShell.xmode = "Plain"
"""


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker: the controller's environment came along
        return
    scratch = Path(tempfile.mkdtemp(prefix="sspimodel-tests-"))
    config.add_cleanup(lambda: shutil.rmtree(scratch, ignore_errors=True))

    profile = scratch / "ipython" / "profile_default"
    for sub in ("startup", "log", "pid", "security"):
        (profile / sub).mkdir(parents=True)
    (profile / "ipython_kernel_config.py").write_text(KERNEL_CONFIG, encoding="utf-8")
    os.environ["IPYTHONDIR"] = str(scratch / "ipython")
