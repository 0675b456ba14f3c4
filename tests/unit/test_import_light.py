"""``import contacts311`` (and the command line, and the report runner) stay light.

Every command, and the report runner's up-to-date answer, pays for what the package imports at
load time; plotting, modelling and notebook libraries must load only when work needs them. Each
check runs in a fresh interpreter: this test process has long since imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Never loaded by ``import contacts311`` or ``import contacts311.cli``.
NOT_AT_IMPORT = ("matplotlib", "statsmodels", "papermill", "nbconvert")


def _loaded_after(statement: str, candidates: tuple[str, ...]) -> list[str]:
    """Which of ``candidates`` a fresh interpreter has in ``sys.modules`` after ``statement``."""
    code = (
        f"import sys, json\n{statement}\n"
        f"print(json.dumps(sorted(m for m in {list(candidates)!r} if m in sys.modules)))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_package_and_cli_do_not_import_heavy_libraries():
    assert _loaded_after("import contacts311; import contacts311.cli", NOT_AT_IMPORT) == []


def test_probe_sees_a_heavy_import():
    # The check itself must be able to fail: a statement that does import one is reported.
    assert _loaded_after("import contacts311, statsmodels", NOT_AT_IMPORT) == ["statsmodels"]


@pytest.mark.parametrize("module", ["contacts311.report", "contacts311.cli.report"])
def test_report_runner_imports_no_data_library(module):
    # The up-to-date path answers from these modules alone; pandas would cost ~0.7 s.
    heavy = (*NOT_AT_IMPORT, "pandas", "pandera", "numpy")
    assert _loaded_after(f"import {module}", heavy) == []


def test_finding_and_hashing_inputs_loads_no_pandas():
    # A command finds its files and starts hashing them before pandas loads (the import then
    # overlaps the hashing): contacts311.inputs must not load pandas itself.
    assert _loaded_after("import contacts311.inputs", ("pandas", "numpy", "pyarrow")) == []
