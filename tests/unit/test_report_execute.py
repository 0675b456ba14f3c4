"""Unit tests for contacts311.report.execute (kernels, start order and papermill)."""

from __future__ import annotations

import json
from pathlib import Path

from contacts311.report import execute, outputs
from contacts311.report.execute import Job

# --- scheduling -------------------------------------------------------------------------------


def _jobs(tmp_path: Path, sizes: dict[str, int]) -> list[Job]:
    jobs = []
    for name, size in sizes.items():
        nb = tmp_path / name
        nb.write_text("x" * size, encoding="utf-8")
        jobs.append(Job(nb, tmp_path / f"out-{name}"))
    return jobs


def test_longest_first_without_history_orders_by_size(tmp_path):
    jobs = _jobs(tmp_path, {"a.ipynb": 10, "b.ipynb": 30, "c.ipynb": 20})
    order = execute.longest_first(jobs, outputs.read_runs(tmp_path / "reports"))
    assert [job.notebook.name for job in order] == ["b.ipynb", "c.ipynb", "a.ipynb"]


def test_longest_first_uses_the_latest_seconds_and_starts_new_notebooks_first(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    runs = [
        {
            "id": "r1",
            "notebooks": [{"name": "a.ipynb", "seconds": 1.0}, {"name": "b.ipynb", "seconds": 9.0}],
        },
        # The latest run wins: b got faster, a slower; c was not in it.
        {
            "id": "r2",
            "notebooks": [{"name": "a.ipynb", "seconds": 5.0}, {"name": "b.ipynb", "seconds": 2.0}],
        },
    ]
    (out / outputs.RUNS_FILE).write_text(json.dumps(runs), encoding="utf-8")
    jobs = _jobs(tmp_path, {"a.ipynb": 10, "b.ipynb": 30, "c.ipynb": 1})
    order = execute.longest_first(jobs, outputs.read_runs(out))
    assert [job.notebook.name for job in order] == ["c.ipynb", "a.ipynb", "b.ipynb"]


# --- the kernel -------------------------------------------------------------------------------


def test_kernel_spec_is_private_to_the_run_and_starts_this_interpreter(tmp_path, monkeypatch):
    import sys

    monkeypatch.setenv("JUPYTER_PATH", "/elsewhere")
    with execute.kernel_spec(tmp_path) as name:
        spec = json.loads(
            (tmp_path / "jupyter" / "kernels" / name / "kernel.json").read_text(encoding="utf-8")
        )
        assert spec["argv"][:3] == [sys.executable, "-m", "ipykernel_launcher"]
        assert "{connection_file}" in spec["argv"]
        assert execute.os.environ["JUPYTER_PATH"].split(execute.os.pathsep) == [
            str(tmp_path / "jupyter"),
            "/elsewhere",
        ]
    assert execute.os.environ["JUPYTER_PATH"] == "/elsewhere"


# --- executing one notebook -------------------------------------------------------------------


def _fake_papermill(monkeypatch, outcomes: list[Exception | None]) -> list[str]:
    """``papermill.execute_notebook`` raising (or not) each of ``outcomes`` in turn."""
    import papermill

    calls: list[str] = []

    def execute_notebook(nb, out_nb, **kwargs):
        calls.append(nb)
        outcome = outcomes[len(calls) - 1]
        if outcome is not None:
            raise outcome

    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)
    return calls


def test_a_kernel_that_never_started_is_started_again(monkeypatch, tmp_path):
    # Its port was taken before it could bind it: no cell ran, so a fresh kernel is safe.
    died = RuntimeError("Kernel died before replying to kernel_info")
    calls = _fake_papermill(monkeypatch, [died, None])
    status, message, _ = execute.execute(Job(tmp_path / "a.ipynb", tmp_path / "o"), "k", tmp_path)
    assert (status, message, len(calls)) == ("succeeded", "", 2)


def test_a_kernel_that_never_starts_fails_after_the_last_try(monkeypatch, tmp_path):
    died = RuntimeError("Kernel died before replying to kernel_info")
    calls = _fake_papermill(monkeypatch, [died] * execute.KERNEL_STARTS)
    status, message, _ = execute.execute(Job(tmp_path / "a.ipynb", tmp_path / "o"), "k", tmp_path)
    assert status == "failed" and "Kernel died" in message
    assert len(calls) == execute.KERNEL_STARTS == 3


def test_a_kernel_the_run_ended_is_not_started_again(monkeypatch, tmp_path):
    import threading

    stopping = threading.Event()
    stopping.set()  # the run is stopping: the kernel died because it was ended
    died = RuntimeError("Kernel died before replying to kernel_info")
    calls = _fake_papermill(monkeypatch, [died, None])
    job = Job(tmp_path / "a.ipynb", tmp_path / "o")
    status, message, _ = execute.execute(job, "k", tmp_path, stopping)
    assert (status, len(calls)) == ("failed", 1) and "Kernel died" in message


# --- ending a stopped run's kernels -----------------------------------------------------------


def _fake_kernel(folder: Path, *, deaf: bool = False):
    """A child whose command line looks like a kernel's with its connection file in ``folder``."""
    import subprocess
    import sys

    code = "import signal, time\n"
    if deaf:  # ignores SIGTERM, as a kernel busy in C code may seem to
        code += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    code += "print('up', flush=True)\ntime.sleep(60)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "ipykernel_launcher", "-f", str(folder / "kernel-a.json")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline() == "up\n"  # its handler is set before it is stopped
    return proc


def test_stop_kernels_ends_the_runs_kernels_only(tmp_path):
    ours, other = tmp_path / "run", tmp_path / "other-run"
    ours.mkdir(), other.mkdir()
    mine, deaf, theirs = _fake_kernel(ours), _fake_kernel(ours, deaf=True), _fake_kernel(other)
    try:
        assert execute.stop_kernels(ours, grace_seconds=0.5) == 2
        # stop_kernels reaps them itself, so their exit status is not this test's to read.
        mine.wait(timeout=10)  # asked to stop
        deaf.wait(timeout=10)  # killed after the grace period
        assert theirs.poll() is None  # another run's kernel is not touched
        assert execute.stop_kernels(ours) == 0
    finally:
        for proc in (mine, deaf, theirs):
            proc.kill()
            proc.wait()


def test_a_failing_cell_or_a_kernel_dying_later_is_not_run_again(monkeypatch, tmp_path):
    import papermill

    error = papermill.PapermillExecutionError(0, 1, "x = f()", "ValueError", "bad value", [])
    calls = _fake_papermill(monkeypatch, [error])
    status, message, _ = execute.execute(Job(tmp_path / "a.ipynb", tmp_path / "o"), "k", tmp_path)
    assert (status, message, len(calls)) == ("failed", "ValueError: bad value", 1)

    calls = _fake_papermill(monkeypatch, [RuntimeError("Kernel died"), None])
    status, message, _ = execute.execute(Job(tmp_path / "a.ipynb", tmp_path / "o"), "k", tmp_path)
    assert (status, message, len(calls)) == ("failed", "RuntimeError: Kernel died", 1)


def test_papermill_is_imported_one_thread_at_a_time(monkeypatch, tmp_path):
    # papermill and nbconvert reach jupyter_client in different orders: imported by two
    # threads at once they can meet a half-initialised module. _execute waits for the lock.
    import threading

    calls = _fake_papermill(monkeypatch, [None])
    result: list = []
    with execute.IMPORTING:
        worker = threading.Thread(
            target=lambda: result.append(
                execute.execute(Job(tmp_path / "a.ipynb", tmp_path / "o"), "k", tmp_path)
            )
        )
        worker.start()
        worker.join(timeout=0.5)
        assert worker.is_alive() and not calls  # held at the import
    worker.join(timeout=10)
    assert result[0][0] == "succeeded" and len(calls) == 1
