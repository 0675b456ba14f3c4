"""The command's own processes: pandera without hypothesis's data synthesis, a lighter exit."""

import subprocess
import sys

import pytest

HSPLIT = "row_date,split,acdcalls,abncalls\n2023-07-03,1,10,2\n2023-07-04,1,7,1\n"

# Run in a fresh interpreter: this test process imported hypothesis long ago.
PROBE = """
import atexit, gc, sys
atexit.register(lambda: print("frozen:", gc.get_freeze_count() > 0, file=sys.stderr))
{entry}
try:
    rc = {call}
except SystemExit as exc:
    rc = exc.code
print("hypothesis:", sys.modules.get("hypothesis") is not None, file=sys.stderr)
print("pandera:", "pandera" in sys.modules, file=sys.stderr)
sys.exit(rc)
"""


def _run(tmp_path, entry: str, call: str) -> subprocess.CompletedProcess:
    """Run ``totals`` on one small hsplit file through ``entry`` and ``call``."""
    (tmp_path / "calls.csv").write_text(HSPLIT)
    args = repr(["totals", str(tmp_path), "--format", "csv"])
    code = PROBE.format(entry=entry.replace("ARGS", args), call=call.replace("ARGS", args))
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_command_validates_with_pandera_without_importing_hypothesis(tmp_path):
    pytest.importorskip("hypothesis")  # without it installed there is nothing to skip
    out = _run(tmp_path, "from contacts311.cli import console\nsys.argv[1:] = ARGS", "console()")
    assert out.returncode == 0, out.stderr
    assert "FY 2023-24,2023-07-01,2024-06-30,True,17,17" in out.stdout  # 10 + 7 answered
    assert "pandera: True" in out.stderr  # the core table was validated
    assert "hypothesis: False" in out.stderr
    # The work done, the libraries' objects are kept out of the exit's collections.
    assert "frozen: True" in out.stderr


def test_the_shared_load_child_trims_its_process_too(tmp_path):
    # The report runner starts ``python -m contacts311.report.shared_load``: its process is ours too.
    pytest.importorskip("hypothesis")
    out_file = tmp_path / "dataset.pickle"
    entry = (
        "from contacts311.report.shared_load import _child\n"
        f"sys.argv = ['shared_load', {str(tmp_path)!r}, '', {str(out_file)!r}]"
    )
    out = _run(tmp_path, entry, "_child()")
    assert out.returncode == 0, out.stderr
    assert out_file.is_file()
    assert "pandera: True" in out.stderr and "hypothesis: False" in out.stderr
    assert "frozen: True" in out.stderr


def test_main_leaves_the_callers_process_alone(tmp_path):
    # A notebook or script calling main() may use hypothesis itself (or pandera's strategies).
    pytest.importorskip("hypothesis")
    out = _run(tmp_path, "from contacts311.cli import main", "main(ARGS)")
    assert out.returncode == 0, out.stderr
    assert "hypothesis: True" in out.stderr
    assert "frozen: False" in out.stderr


def test_skip_data_synthesis_leaves_an_imported_hypothesis_in_place():
    import hypothesis

    from contacts311._startup import skip_data_synthesis

    skip_data_synthesis()
    assert sys.modules["hypothesis"] is hypothesis
