"""A scheduled report run stopped by a signal: one line, its exit code, nothing half-published.

Runs are stopped mid-way, at each stage of publishing (through the test-only hook
``CONTACTS311_TEST_PAUSE_AT``) and at random in a soak; afterwards the history, the runs index
and ``latest`` must agree, and the next run must settle whatever was left.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contacts311 import history_store as store
from contacts311.report import outputs, publish

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_run_stopped_mid_way_is_recorded_and_leaves_no_partial_pages(sample_copy, tmp_path, stop):
    out = tmp_path / "reports"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "contacts311", "report", str(sample_copy), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    seen = []
    for line in proc.stderr:  # stop once the first notebook has finished, mid-run
        seen.append(line)
        if "[1/" in line:
            proc.send_signal(stop)
            break
    rest = proc.stderr.read()
    code = proc.wait(timeout=120)
    assert code == 128 + stop, "".join(seen) + rest
    expected = "interrupted" if stop == signal.SIGINT else f"stopped by {stop.name}"
    assert rest.strip().splitlines()[-1] == f"contacts311: {expected}"
    (run,) = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert run["status"] == "interrupted" and run["message"].startswith(
        "interrupted" if stop == signal.SIGINT else expected
    )
    assert not list(out.glob("*/*/*.html")), "a partial run folder was left behind"
    assert not (out / "latest").exists()
    assert list(scratch.iterdir()) == [], "temporary files were left behind"


# --- a run stopped at each stage of publishing, and a soak of random stops ---------------------

#: Runs ``contacts311`` with only the headline notebook (the one that compares with the last
#: run), so each stopped run costs seconds: ``python -c DRIVER NOTEBOOK ARGS...``.
DRIVER = (
    "import sys\n"
    "from pathlib import Path\n"
    "import contacts311.report.runner as runner\n"
    "headline = Path(sys.argv[1])\n"
    "runner.list_notebooks = lambda: [headline]\n"
    "from contacts311.cli import console\n"
    "sys.argv = ['contacts311', *sys.argv[2:]]\n"
    "sys.exit(console())\n"
)
HEADLINE = Path(__file__).resolve().parents[2] / "notebooks" / "01_contacts_handled.ipynb"
COMPARED = re.compile(r"Compared with run <strong>([^<]+)</strong>")


def _start(
    data: Path, out: Path, *extra: str, pause: str | None = None, tmp: Path | None = None
) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != publish.PAUSE_ENV}
    if pause:
        env[publish.PAUSE_ENV] = pause
    if tmp:
        env["TMPDIR"] = str(tmp)
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(HEADLINE), "report", str(data), "--out", str(out),
         *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip


def _finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str]:
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err


def _stop_at_pause(proc: subprocess.Popen, stage: str, stop: signal.Signals) -> tuple[int, str]:
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.strip() == f"contacts311: test pause at {stage}":
            proc.send_signal(stop)
            break
    else:
        raise AssertionError("the run never paused at " + stage + ":\n" + "".join(seen))
    code, rest = _finish(proc)
    return code, "".join(seen) + rest


def _state(out: Path) -> tuple[dict[str, str], dict[str, dict], str | None]:
    states = store.run_states(out / store.HISTORY_FILE)
    runs = {r["id"]: r for r in json.loads((out / "runs.json").read_text(encoding="utf-8"))}
    return states, runs, publish.latest_folder(out)


def _assert_no_ghost(out: Path) -> None:
    """What a reader sees at any moment: whole pages behind latest, comparisons with runs
    the index shows, "up to date" decided from a published run only."""
    states, runs, shown = _state(out)
    published = {i for i, s in states.items() if s == store.PUBLISHED}
    if shown is None:
        assert not published or not os.path.lexists(out / "latest")
        return
    assert publish.pages_whole(out / shown), shown
    page = (out / shown / "01_contacts_handled.html").read_text(encoding="utf-8")
    for compared in COMPARED.findall(page):
        assert compared in published and runs[compared]["status"] in ("succeeded", "warning")
    good = outputs.latest_good(out)
    assert good is None or good["id"] in published


def _assert_settled(out: Path) -> set[str]:
    """After a run started (and so reconciled): history, index and latest agree.

    Returns:
        The published run ids.
    """
    _assert_no_ghost(out)
    states, runs, shown = _state(out)
    assert store.PENDING not in states.values()
    published = {i for i, s in states.items() if s == store.PUBLISHED}
    assert published <= set(runs)
    for run_id, run in runs.items():
        assert run["status"] != "running", run
        good = run["status"] in ("succeeded", "warning")
        assert good == (run_id in published), run
        if run_id in published:
            assert publish.pages_whole(out / run["folder"])
        elif run["status"] == "interrupted":
            assert run["folder"] == "" and run["message"], run
    newest = [i for i in states if i in published][-1]
    assert shown == runs[newest]["folder"]
    folders = {p.relative_to(out).as_posix() for p in out.glob("*/*") if p.is_dir()}
    folders = {f for f in folders if not f.startswith("latest")}
    assert folders == {r["folder"] for r in runs.values() if r["folder"]}, "a stray run folder"
    return published


def _processes_naming(folder: Path) -> list[str]:
    """The command lines of running processes that name a path inside ``folder``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            stat = (cmdline.parent / "stat").read_text().rsplit(")", 1)[-1].split()
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if str(folder) in args and stat[0] != "Z":
                found.append(args)
    return found


def _wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
    return condition()


def test_a_killed_run_leaves_no_process_and_the_next_run_sweeps_its_temp_folder(
    sample_copy, tmp_path
):
    out, scratch = tmp_path / "reports", tmp_path / "tmp"
    scratch.mkdir()
    proc = _start(sample_copy, out, tmp=scratch)

    def kernel_started() -> bool:  # its connection file is in the run's temp folder
        return proc.poll() is not None or any(
            "ipykernel" in args for args in _processes_naming(scratch)
        )

    assert _wait_until(kernel_started, 240) and proc.poll() is None, proc.communicate()
    proc.kill()
    proc.communicate(timeout=30)
    assert _wait_until(lambda: not _processes_naming(scratch), 30), _processes_naming(scratch)
    (left,) = scratch.iterdir()  # SIGKILL gives a process no chance to tidy up
    assert left.name.startswith("contacts311-report-")
    code, err = _finish(_start(sample_copy, out, tmp=scratch))
    assert code == 0, err
    assert list(scratch.iterdir()) == [], "the killed run's temp folder was not swept"
    _assert_settled(out)


def _assert_stopped_and_tidy(code: int, err: str, out: Path, scratch: Path) -> None:
    assert code == 128 + signal.SIGTERM, err
    assert err.strip().splitlines()[-1] == "contacts311: stopped by SIGTERM", err
    assert _wait_until(lambda: not _processes_naming(scratch), 30), _processes_naming(scratch)
    assert list(scratch.iterdir()) == [], "temporary files were left behind"
    (run,) = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert (run["status"], run["message"]) == ("interrupted", "stopped by SIGTERM")


def test_a_run_stopped_while_its_kernels_wait_for_the_data_ends_them(sample_copy, tmp_path):
    out, scratch = tmp_path / "reports", tmp_path / "tmp"
    scratch.mkdir()
    proc = _start(sample_copy, out, pause="notebooks-started", tmp=scratch)
    for line in proc.stderr:
        if line.strip() == "contacts311: test pause at notebooks-started":
            break
    assert _wait_until(lambda: any("ipykernel" in a for a in _processes_naming(scratch)), 120)
    proc.send_signal(signal.SIGTERM)
    # A kernel waiting for the dataset used to keep the stopped run for an hour.
    code, err = _finish(proc, timeout=120)
    _assert_stopped_and_tidy(code, err, out, scratch)


#: A report notebook whose second cell runs for ten minutes, once it has said so.
_SLOW_NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# A slow notebook"},
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "dataset_path = ''",
         "execution_count": None, "outputs": []},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": "import pathlib, time\npathlib.Path('running').touch()\ntime.sleep(600)"},
    ],
    "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}  # fmt: skip


def test_a_run_stopped_while_a_notebook_computes_ends_its_kernel(sample_copy, tmp_path):
    out, scratch = tmp_path / "reports", tmp_path / "tmp"
    scratch.mkdir()
    slow = tmp_path / "slow.ipynb"
    slow.write_text(json.dumps(_SLOW_NOTEBOOK), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(slow), "report", str(sample_copy), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    assert _wait_until(lambda: any(scratch.glob("*/running")) or proc.poll() is not None, 240)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGTERM)
    code, err = _finish(proc, timeout=120)  # not ten minutes: the kernel is ended
    _assert_stopped_and_tidy(code, err, out, scratch)


@pytest.fixture(scope="module")
def one_good_run(tmp_path_factory, sample_copy) -> Path:
    """An output folder holding one good run of the headline on the sample."""
    out = tmp_path_factory.mktemp("faults") / "reports"
    code, err = _finish(_start(sample_copy, out))
    assert code == 0, err
    return out


@pytest.mark.parametrize(
    "stop", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name
)
@pytest.mark.parametrize("stage", publish.STAGES)
def test_a_run_stopped_at_each_publishing_stage_is_settled(
    one_good_run, sample_copy, tmp_path, stage, stop
):
    out = tmp_path / "reports"
    shutil.copytree(one_good_run, out, symlinks=True)
    (base,) = _state(out)[0]
    code, err = _stop_at_pause(_start(sample_copy, out, "--force", pause=stage), stage, stop)
    assert code == (-stop if stop == signal.SIGKILL else 128 + stop), err
    _assert_no_ghost(out)
    if stop != signal.SIGKILL:  # the run settled itself: already consistent
        assert store.PENDING not in _state(out)[0].values()
    # The next run settles what is left, then finds the reports up to date.
    code, err = _finish(_start(sample_copy, out))
    assert code == 0 and "up to date" in err, err
    published = _assert_settled(out)
    stopped = next(i for i in _state(out)[1] if i != base)
    finished = stage in ("swapped", "published")  # after the commit point: published
    assert published == ({base, stopped} if finished else {base}), err
    if finished:
        page = (out / "latest" / "01_contacts_handled.html").read_text(encoding="utf-8")
        assert COMPARED.findall(page) == [base]


def _reference_figures(data: Path) -> set[tuple]:
    """The figures a clean run records, computed by the library itself."""
    import datetime as dt

    from contacts311 import history
    from contacts311.pipeline import load

    loaded = load(data)
    figures = history.figures_for_run(
        loaded.contacts,
        loaded.inputs,
        loaded.profile.fiscal_year_start_month,
        as_of=dt.date.today(),
    )
    return {(r.period, r.channel, int(r.value), bool(r.is_partial)) for r in figures.itertuples()}


def _recorded_figures(out: Path) -> dict[str, set[tuple]]:
    with contextlib.closing(sqlite3.connect(out / store.HISTORY_FILE)) as conn:
        rows = conn.execute(
            "SELECT run_id, period, channel, value, is_partial FROM figures"
        ).fetchall()
    by_run: dict[str, set[tuple]] = {}
    for run_id, *figure in rows:
        by_run.setdefault(run_id, set()).add((*figure[:3], bool(figure[3])))
    return by_run


def test_soak_twenty_runs_with_random_stops_then_a_clean_run(sample_copy, tmp_path):
    rng = random.Random(18)
    out = tmp_path / "reports"
    actions = []
    for _ in range(20):
        action = rng.choice(["clean", "stage", "stage", "timed", "timed"])
        stop = rng.choice([signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
        if action == "clean":
            code, err = _finish(_start(sample_copy, out, "--force"))
            assert code == 0, err
        elif action == "stage":
            stage = rng.choice(publish.STAGES)
            proc = _start(sample_copy, out, "--force", pause=stage)
            code, err = _stop_at_pause(proc, stage, stop)
            action += f" {stage}"
        else:  # anywhere: settling the last run, loading, notebooks, publishing, or after
            delay = rng.uniform(0.0, 6.0)
            proc = _start(sample_copy, out, "--force")
            time.sleep(delay)
            proc.send_signal(stop)
            code, err = _finish(proc)
            action += f" {delay:.1f}s"
        actions.append(f"{action} {stop.name}: exit {code}")
        assert code in (0, -signal.SIGKILL, 128 + stop), (actions, err)
        if out.joinpath("runs.json").exists():
            _assert_no_ghost(out)
    code, err = _finish(_start(sample_copy, out, "--force"))
    assert code == 0, (actions, err)
    published = _assert_settled(out)
    reference = _reference_figures(sample_copy)
    recorded = _recorded_figures(out)
    assert set(recorded) == published, actions  # no rows of a run that was not published
    for run_id in published:
        assert recorded[run_id] == reference, (run_id, actions)
    print("\n".join(actions))


def test_a_disk_that_fills_while_pages_are_written_leaves_no_partial_run(
    one_good_run, sample_copy, tmp_path, monkeypatch
):
    import errno

    from contacts311.report import runner

    out = tmp_path / "reports"
    shutil.copytree(one_good_run, out, symlinks=True)
    before = _state(out)

    real_write = Path.write_text
    refused = []

    def full(self, *args, **kwargs):
        if self.suffix == ".html" and self.parent.parent.parent == out:  # a run's page
            refused.append(self)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(OSError, match="No space left"):
        runner.run_report(sample_copy, out=out, force=True, notebooks=[HEADLINE], log=print)
    states, runs, shown = _state(out)
    assert (states, shown) == (before[0], before[2])  # nothing published, nothing rolled back
    (failed,) = [r for i, r in runs.items() if i not in before[1]]
    assert failed["status"] == "failed" and failed["folder"] == ""
    assert failed["message"] == f"stopped: {refused[0]}: No space left on device"
    _assert_settled(out)
