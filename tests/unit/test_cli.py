"""The command line's outer layer: one line per error, exit codes, signals, output encoding."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contacts311 import pipeline
from contacts311.cli import EXIT_SYSTEM, main
from contacts311.report.outputs import LOCK_FILE

HSPLIT = "row_date,split,acdcalls,abncalls\n2024-01-05,1,100,7\n2024-02-05,1,120,3\n"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "hsplit.csv").write_text(HSPLIT, encoding="utf-8")
    return folder


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_a_newline_in_a_file_name_cannot_split_the_error_line(tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "bad\nname.csv").write_text("row_date,split,acdcalls\n2024-01-05,1,many\n")
    assert main(["totals", str(folder)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "bad\\nname.csv" in line
    assert line.startswith("contacts311: error: ")


def test_export_to_a_folder_is_one_line_naming_it_with_the_system_exit_code(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    code = main(["export", "clearimpact", str(tiny), "--measure-id", "1", "--out", str(out)])
    assert code == EXIT_SYSTEM == 4
    line = _one_line(capsys.readouterr().err)
    assert line == f"contacts311: error: {out}: Is a directory"


def test_output_under_a_file_is_a_system_error(tiny, tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    target = blocker / "totals.csv"
    code = main(["export", "clearimpact", str(tiny), "--measure-id", "1", "--out", str(target)])
    assert code == 4
    assert _one_line(capsys.readouterr().err) == f"contacts311: error: {target}: Not a directory"


def test_sigterm_stops_a_command_as_ctrl_c_does_and_restores_the_handler(tiny, monkeypatch, capsys):
    from contacts311.cli import totals

    def slow_run(args):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the signal arrives first
        return 0

    monkeypatch.setattr(totals, "run", slow_run)
    before = signal.getsignal(signal.SIGTERM)
    started = time.monotonic()
    assert main(["totals", str(tiny)]) == 128 + signal.SIGTERM
    assert time.monotonic() - started < 4
    assert _one_line(capsys.readouterr().err) == "contacts311: stopped by SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_true_c_locale_never_crashes_on_a_non_ascii_file_name(tiny):
    (tiny / "hsplit.csv").rename(tiny / "hsplit_été.csv")
    env = {
        **os.environ,
        "LC_ALL": "C",
        "LANG": "C",
        "PYTHONCOERCECLOCALE": "0",
        "PYTHONUTF8": "0",
        "PYTHONIOENCODING": "",
        "CONTACTS311_CACHE_DIR": "off",
    }
    done = subprocess.run(
        [sys.executable, "-m", "contacts311", "ledger", str(tiny)],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode("ascii", "replace")
    assert b"hsplit_\\xe9t\\xe9.csv" in done.stdout


def test_a_closed_standard_output_is_like_dev_null(tiny):
    done = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m contacts311 totals "{tiny}" >&-'],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_ledger_states_each_rule_and_note_once(tiny, capsys):
    # The phone rule is the profile's; the Avaya CMS source no longer repeats it in its words.
    assert main(["ledger", str(tiny)]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note: ")]
    assert sum("SUM(ACD Calls)" in line for line in notes) == 1
    assert len(notes) == len(set(notes))


def test_a_lock_path_that_is_a_folder_is_one_line_naming_it(tiny, tmp_path, capsys):
    out = tmp_path / "reports"
    (out / LOCK_FILE).mkdir(parents=True)
    assert main(["report", str(tiny), "--out", str(out)]) == EXIT_SYSTEM
    assert _one_line(capsys.readouterr().err) == (
        f"contacts311: error: {out / LOCK_FILE}: Is a directory"
    )
    assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE]  # no run was recorded


def test_an_export_deleted_after_the_folder_was_listed_is_one_line_with_exit_2(
    tiny, monkeypatch, capsys
):
    listed = pipeline.survey

    def list_then_lose_the_file(*args, **kwargs):  # another process removes it in between
        found = listed(*args, **kwargs)
        (tiny / "hsplit.csv").unlink()
        return found

    monkeypatch.setattr(pipeline, "survey", list_then_lose_the_file)
    assert main(["totals", str(tiny)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith(f"contacts311: error: {tiny / 'hsplit.csv'}"), line
    assert "No such file or directory" in line, line


_LOST_STOP = """
import os, signal, sys, time
from contacts311 import cli, errors

if sys.argv[1:] == ["after-a-handled-stop"]:  # an earlier command in this process had one
    errors.handling_stop()

class Finaliser:
    def __del__(self):  # the signal's exception is raised in here, and lost
        os.kill(os.getpid(), signal.SIGTERM)
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            pass

try:
    with cli._stop_signals_as_interrupts():
        Finaliser()
        time.sleep(20)
except KeyboardInterrupt as exc:
    print("stopped by", exc.signal_number, flush=True)
    sys.exit(0)
sys.exit(1)
"""


@pytest.mark.parametrize("before", ["", "after-a-handled-stop"])
def test_a_stop_lost_in_a_finaliser_is_raised_again(before):
    import signal
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _LOST_STOP, *filter(None, [before])],
        capture_output=True,
        text=True,
        timeout=50,
    )
    assert "Exception ignored" in done.stderr  # the first one was lost
    assert (done.returncode, done.stdout) == (0, f"stopped by {int(signal.SIGTERM)}\n"), done
