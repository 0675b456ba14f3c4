"""Executing the notebooks: a private kernel, the start order, one papermill call per notebook."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "IMPORTING",
    "Job",
    "default_workers",
    "execute",
    "kernel_spec",
    "longest_first",
    "stop_kernels",
]

#: The runner's threads import papermill (each notebook's) and nbconvert (the conversions),
#: which share jupyter_client and nbclient but reach them in different orders: two threads
#: importing them at once can meet a half-initialised module (an ImportError seen on 2 cores).
#: One of these imports at a time.
IMPORTING = threading.Lock()

#: Tries to start a notebook's kernel. A kernel can die before it answers when the port the
#: client picked for it was taken in between by another program (a kernel of another run).
KERNEL_STARTS = 3
_KERNEL_NEVER_STARTED = "Kernel died before replying to kernel_info"
KERNEL_NAME = "contacts311-python"


@dataclass(frozen=True)
class Job:
    """One notebook of a run.

    Attributes:
        notebook: The report notebook.
        executed: Where papermill writes the executed copy.
        parameters: The values injected into its parameters cell (only those it declares).
    """

    notebook: Path
    executed: Path
    parameters: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def kernel_spec(tmp: Path) -> Iterator[str]:
    """The name of a kernel that runs this interpreter, registering nothing globally.

    A kernelspec written into the run's temp folder (``JUPYTER_PATH`` points there for the run
    only) starts ipykernel with this interpreter, whatever kernels the machine has registered.
    """
    spec_dir = tmp / "jupyter" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "contacts311 (this environment)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    before = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(tmp / "jupyter"), before]))
    try:
        yield KERNEL_NAME
    finally:
        if before is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = before


def longest_first(jobs: Sequence[Job], runs: Sequence[Mapping[str, Any]]) -> list[Job]:
    """The notebooks in the order to start them: the longest first (LPT scheduling).

    With fewer workers than notebooks, starting the longest ones first keeps a core from idling
    while the last long notebook runs alone. "Longest" is the time a notebook took in the
    latest of ``runs`` (the output folder's records, oldest first) that ran it; a notebook
    never run there goes first, and file size (a rough measure of how much a notebook computes
    and draws) breaks ties.
    """
    seconds: dict[str, float] = {}
    for run in runs:  # oldest first: later runs overwrite
        for entry in run.get("notebooks") or []:
            if isinstance(entry, dict) and isinstance(entry.get("seconds"), int | float):
                seconds[str(entry.get("name"))] = float(entry["seconds"])
    return sorted(
        jobs,
        key=lambda job: (
            -seconds.get(job.notebook.name, math.inf),
            -job.notebook.stat().st_size,
            job.notebook.name,
        ),
    )


def default_workers(jobs: int, workers: int | None = None) -> int:
    """Notebooks executed at once: ``workers`` when given, else the number of CPUs (at least 2).

    One kernel per core: starting every kernel at once (5 on 2 cores) measured no faster
    (docs/performance.md, "Report builds") and costs ~0.3 GB of memory per extra kernel.
    The report benchmark calls this too, so its floor runs with the runner's parallelism.
    """
    return max(1, min(workers or max(2, os.cpu_count() or 2), jobs))


def _kernel_files_in(folder: Path, job: Job) -> Any:
    from traitlets.config import Config

    name = f"kernel-{job.notebook.stem}.json"
    return Config({"KernelManager": {"connection_file": str(folder / name)}})


def _one_line(text: str) -> str:
    return " ".join(text.split())


def execute(
    job: Job, kernel: str, cwd: Path, stopping: threading.Event | None = None
) -> tuple[str, str, float]:
    """Run one notebook with papermill in a kernel started in ``cwd``.

    A kernel that dies before it answers is started again (no cell ran, so that is safe), up
    to :data:`KERNEL_STARTS` times, unless ``stopping`` is set (the run ended it: see
    :func:`stop_kernels`); any other failure fails the notebook, not the run.

    Returns:
        ``(status, error, seconds)``: ``succeeded`` or ``failed``, one line of error, wall time.
    """
    import logging

    with IMPORTING:
        import papermill as pm

    # papermill logs every injected parameter and kernel detail; the runner reports per notebook.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    start = time.perf_counter()
    for attempt in range(1, KERNEL_STARTS + 1):
        try:
            pm.execute_notebook(
                str(job.notebook),
                str(job.executed),
                parameters=job.parameters,
                kernel_name=kernel,
                # Not papermill's cwd=: it os.chdir()s the whole process, which races between
                # the threads and can leave the runner in a deleted temp folder. The kernel
                # alone starts in ``cwd`` (nbclient's resources path).
                resources={"metadata": {"path": str(cwd)}},
                progress_bar=False,
                log_output=False,
                # The kernel's connection file goes in the run's temp folder, so a run killed
                # outright leaves nothing in the system temp folder that the next run cannot
                # sweep (contacts311.scratch).
                config=_kernel_files_in(cwd, job),
                request_save_on_cell_execute=False,
                execution_timeout=1800,
                # Keep the kernels' own start-up and shutdown chatter out of the operator's log.
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
        except pm.PapermillExecutionError as exc:
            error = f"{exc.ename}: {_one_line(str(exc.evalue))}"
            return "failed", error, time.perf_counter() - start
        except Exception as exc:  # kernel died, timeout: still a failed notebook, not a crash
            stopped = stopping is not None and stopping.is_set()
            if _KERNEL_NEVER_STARTED in str(exc) and attempt < KERNEL_STARTS and not stopped:
                continue  # no cell ran: starting a fresh kernel is safe
            error = f"{type(exc).__name__}: {_one_line(str(exc))}"
            return "failed", error, time.perf_counter() - start
        break
    return "succeeded", "", time.perf_counter() - start


def stop_kernels(cwd: Path, grace_seconds: float = 2.0) -> int:
    """End this process's kernels that :func:`execute` started in ``cwd``.

    A kernel is known by its connection file, which :func:`execute` puts in ``cwd``. Each is
    asked to stop (SIGTERM), and killed when it has not within ``grace_seconds``; papermill
    then reports the notebook's kernel as dead.

    Returns:
        How many kernels were found.
    """
    import psutil

    folder = os.path.join(os.path.abspath(cwd), "")
    kernels = []
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):  # ended meanwhile, or not ours to read
            argv = child.cmdline()
            if "ipykernel_launcher" in argv and any(a.startswith(folder) for a in argv):
                kernels.append(child)
    for kernel in kernels:
        with contextlib.suppress(psutil.Error):
            kernel.terminate()
    _, alive = psutil.wait_procs(kernels, timeout=grace_seconds)
    for kernel in alive:
        with contextlib.suppress(psutil.Error):
            kernel.kill()
    return len(kernels)
