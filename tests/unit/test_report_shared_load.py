"""Unit tests for contacts311.report.shared_load (the one read shared by the notebooks)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from contacts311.errors import InputError
from contacts311.report import shared_load

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"


def test_loader_process_gives_the_dataset_and_publishes_it(tmp_path):
    """The child's dataset equals an in-process load; publish() is what the notebooks read."""
    from contacts311.pipeline import load

    case = BAD / "27-ticket-in-two-exports"
    with shared_load.SharedLoad(case, None, tmp_path) as loader:
        data = loader.result()
    direct = load(case)
    pd.testing.assert_frame_equal(data.contacts, direct.contacts)
    pd.testing.assert_frame_equal(data.ledger, direct.ledger)
    target = tmp_path / "dataset.pickle"
    loader.publish(target)
    shared = shared_load.read_shared(target)
    pd.testing.assert_frame_equal(shared.contacts, direct.contacts)


def test_loader_process_runs_the_input_checks_against_the_reports_history(tmp_path):
    """The runner gets the checks' verdict from the loader, without reading the dataset."""
    from history_helpers import record

    from contacts311.history import HISTORY_FILE
    from contacts311.pipeline import load

    case = BAD / "27-ticket-in-two-exports"
    reports = tmp_path / "reports"
    reports.mkdir()
    direct = load(case)
    # The previous run saw one more column in every file: a layout change this time.
    wider = {name: [*cols, "Extra Column"] for name, cols in direct.columns.items()}
    record(reports / HISTORY_FILE, "run1", direct.contacts, direct.inputs, wider)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with shared_load.SharedLoad(case, None, tmp_path / "a", reports) as loader:
        warned, failed = loader.checks()
        data = loader.result()
    assert failed == []
    assert warned and all("Extra Column" in w for w in warned)
    pd.testing.assert_frame_equal(data.contacts, direct.contacts)
    # Without a reports folder there is no history to check against.
    with shared_load.SharedLoad(case, None, tmp_path / "b") as loader:
        assert loader.checks() == ([], [])


def test_loader_process_raises_the_childs_warnings_here(tmp_path):
    from contacts311.errors import InputWarning

    with (
        shared_load.SharedLoad(BAD / "05-cp1252", None, tmp_path) as loader,
        pytest.warns(InputWarning, match="Windows-1252"),
    ):
        loader.result()


def test_loader_process_raises_the_childs_input_error_whole(tmp_path):
    with (
        shared_load.SharedLoad(BAD / "16-negative-counts", None, tmp_path) as loader,
        pytest.raises(InputError) as caught,
    ):
        loader.result()
    err = caught.value
    assert Path(str(err.file)).name == "hsplit.csv"
    assert (err.line, err.column) == (3, "abncalls")


def test_loader_process_that_dies_is_an_error_not_a_hang(tmp_path):
    loader = shared_load.SharedLoad(BAD / "04-utf8-bom", None, tmp_path)
    loader._process.kill()
    loader._process.wait()
    loader._file.unlink(missing_ok=True)
    with pytest.raises(RuntimeError, match="stopped"):
        loader.result()


def test_loader_process_does_not_rerun_the_callers_script(tmp_path):
    """A script calling run_report without a __main__ guard must not be run again by the read."""
    import subprocess
    import sys

    script = tmp_path / "nightly.py"
    script.write_text(
        "from pathlib import Path\n"
        "from contacts311.report.shared_load import SharedLoad\n"
        "marker = Path(__file__).with_name('ran.txt')\n"
        "marker.write_text(marker.read_text() + 'x' if marker.exists() else 'x')\n"
        f"with SharedLoad(Path({str(BAD / '04-utf8-bom')!r}), None, Path(__file__).parent) as loader:\n"
        "    print(len(loader.result().contacts))\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) > 0
    assert (tmp_path / "ran.txt").read_text() == "x"
