"""One report run: check, key, read once, execute the notebooks, convert, file, publish.

:func:`run_report` (``contacts311 report``) checks the parameters and paths, decides from the
run key whether anything changed (:mod:`~contacts311.report.freshness`), and otherwise runs
the stages below in order, under the output folder's lock:

0. :func:`~contacts311.report.publish.reconcile` - a run that stopped on the way is settled
   (finished or rolled back) before anything is decided;
1. :func:`_start` - the exports start loading in a child process
   (:mod:`~contacts311.report.shared_load`) while every notebook's kernel starts;
2. :func:`_passed_checks` - the input checks' verdict: a check set to ``fail`` stops the run
   here, before any notebook has seen the data (history and ``latest`` untouched);
3. :func:`_file_run` - the dataset is published to the notebooks; the run gets its folder
   (named after the headline's period) and its provenance;
4. :func:`_convert_as_done` - each notebook's HTML page is written as it finishes;
5. :func:`_finish` - run page, provenance, and for a good run the one commit point of
   :func:`~contacts311.report.publish.publish`: history (pending), pages staged, ``latest``
   swapped, run published, runs index.

Nothing heavy is imported at load time: the "up to date" answer comes in well under a second.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contacts311 import __version__
from contacts311 import history_store as store
from contacts311.errors import InputError, handling_stop, os_error_message
from contacts311.remote import is_remote, parse_url
from contacts311.report import outputs, publish
from contacts311.report.execute import (
    IMPORTING,
    Job,
    default_workers,
    execute,
    kernel_spec,
    longest_first,
    stop_kernels,
)
from contacts311.report.freshness import RunKey, environment, git_commit, input_files
from contacts311.report.html import notebook_page, period_slug, run_page
from contacts311.report.parameters import (
    Parameter,
    declared_parameters,
    effective_parameters,
    list_notebooks,
    notebook_title,
    notebooks_dir,
    parse_overrides,
    read_parameters,
)
from contacts311.report.shared_load import (
    DATASET_FILE,
    SharedLoad,
    publish_failure,
    write_warnings,
)
from contacts311.scratch import private_folder

__all__ = ["RunOutcome", "run_report"]

#: Runner parameters that point into the run's private temp folder: kept out of provenance.
_PRIVATE_PARAMETERS = ("dataset_path", "history_path")


@dataclass
class RunOutcome:
    """What a call of :func:`run_report` did.

    Attributes:
        status: ``up-to-date``, ``succeeded``, ``warning`` (succeeded, but the input checks
            warned: stale or re-laid-out exports) or ``failed``.
        exit_code: 0 (succeeded or up to date), 1 (a notebook failed, or an input check set
            to ``fail`` tripped), 2 (bad input), 3 (succeeded with warnings).
        run_dir: The run's folder (``None`` when nothing ran or the data did not load).
        message: One line for the operator.
        notebooks: Per notebook: ``name``, ``title``, ``status``, ``html``, ``seconds``, ``error``.
    """

    status: str
    exit_code: int
    run_dir: Path | None = None
    message: str = ""
    notebooks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Plan:
    """A checked request: what to run on what, and where the reports go."""

    notebooks: list[Path]
    user: dict[str, Any]  # the ``-p`` values, as recorded in the runs index
    effective: dict[str, Any]  # with ``as_of``: the parameters that key the run
    data_path: Path | str | None  # a local folder, or a remote folder's URL
    profile_path: Path | None
    out_dir: Path
    files: list[tuple[str, Path]]
    say: Callable[[str], None]
    t0: float
    workers: int | None

    @property
    def as_of(self) -> dt.date:
        """The date that decides which periods are partial."""
        given = self.effective.get("as_of")
        return dt.date.fromisoformat(given) if given else dt.date.today()


@dataclass
class _Run:
    """A run under way: its record (``runs.json``), jobs, folder and provenance."""

    plan: _Plan
    key: RunKey
    env: dict[str, str]
    tmp: Path
    record: dict[str, Any]
    runner_values: dict[str, str]
    jobs: list[Job]
    run_dir: Path | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    futures: list[Future] = field(default_factory=list)  # every notebook submitted
    stopping: threading.Event = field(default_factory=threading.Event)  # the run stops early
    publishing: bool = False  # handed to publish.publish, which settles a stop itself
    ended: bool = False  # recorded as failed already (the exports did not load)

    @property
    def dataset_path(self) -> Path:
        """Where the notebooks find the shared dataset."""
        return self.tmp / DATASET_FILE


def run_report(
    data_dir: str | Path | None = None,
    profile: str | Path | None = None,
    out: str | Path = "reports",
    overrides: Sequence[str] = (),
    *,
    force: bool = False,
    wait_seconds: float = 600.0,
    notebooks: Sequence[str | Path] | None = None,
    log: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> RunOutcome:
    """Run every report notebook on one folder of exports and file the HTML.

    Args:
        data_dir: Folder of exports (optional when the profile lists its sources).
        profile: YAML profile, or ``None`` for the bundled PDX 311 profile.
        out: Output folder (``reports/``); created when missing. The data folder is never written.
        overrides: ``name=value`` notebook parameters (checked against the parameters cells).
        force: Run even when the last good run had the same inputs, parameters and code.
        wait_seconds: How long to wait for another run's lock.
        notebooks: Notebooks to run (default: every report notebook).
        log: Receives one line per step (default: print to stderr).
        workers: Notebooks executed at once (default: number of CPUs, at least 2).

    Returns:
        A :class:`RunOutcome`; its ``exit_code`` is what the command line returns.

    Raises:
        InputError: Bad parameter, missing data folder or unreadable profile (nothing has run),
            or exports that do not load (the run is then recorded as failed in the index).
        LockTimeout: Another run kept the lock longer than ``wait_seconds``.
    """
    say = log or (lambda line: print(line, file=sys.stderr, flush=True))
    plan = _plan(data_dir, profile, out, overrides, notebooks, say, workers)
    with outputs.lock(plan.out_dir, wait_seconds):
        publish.reconcile(plan.out_dir, say)
        env = environment()
        key = RunKey.compute(plan.files, plan.profile_path, plan.effective, env)
        last = outputs.latest_good(plan.out_dir)
        if last and not force:
            if (
                last.get("key") == key.key
                and publish.latest_folder(plan.out_dir) == last.get("folder")
                and (plan.out_dir / outputs.LATEST / "index.html").is_file()
            ):
                msg = (
                    "up to date: inputs, parameters and code unchanged since run "
                    f"{last['id']} ({plan.out_dir / outputs.LATEST})"
                )
                say(msg)
                return RunOutcome("up-to-date", 0, plan.out_dir / outputs.LATEST, msg)
            changed = key.changed_since(last)
            say(
                f"running: {', '.join(changed) or 'the latest report'} changed since run {last['id']}"
            )
        folder = (last or {}).get("folder")
        outputs.check_room(
            plan.out_dir, outputs.folder_bytes(plan.out_dir / folder) if folder else 0
        )
        return _run(plan, key, env)


def _plan(
    data_dir: str | Path | None,
    profile: str | Path | None,
    out: str | Path,
    overrides: Sequence[str],
    notebooks: Sequence[str | Path] | None,
    say: Callable[[str], None],
    workers: int | None,
) -> _Plan:
    """Check the request before anything runs (parameters, paths); create the output folder."""
    t0 = time.perf_counter()
    nb_paths = [Path(p) for p in notebooks] if notebooks is not None else list_notebooks()
    if not nb_paths:
        raise InputError(notebooks_dir(), "no report notebooks found")
    declared: Mapping[str, Parameter] = declared_parameters(nb_paths)
    user = parse_overrides(overrides, declared)
    effective = effective_parameters(user, declared, dt.date.today())
    data_path = _data_location(data_dir)
    profile_path = Path(profile).resolve() if profile else None
    if profile_path is not None and not profile_path.is_file():
        raise InputError(profile_path, "profile file does not exist")
    files = input_files(data_path, profile_path)
    out_dir = Path(out).resolve()
    if data_path is not None and (out_dir == data_path or data_path in out_dir.parents):
        raise InputError(out_dir, "the output folder must not be inside the data folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    return _Plan(
        nb_paths, user, effective, data_path, profile_path, out_dir, files, say, t0, workers
    )


def _data_location(data_dir: str | Path | None) -> Path | str | None:
    """The data folder as runs record it: a resolved local path, or a remote folder's URL."""
    if data_dir is None:
        return None
    return parse_url(os.fspath(data_dir)).url if is_remote(data_dir) else Path(data_dir).resolve()


def _run(plan: _Plan, key: RunKey, env: dict[str, str]) -> RunOutcome:
    """Every stage of a run that is needed, in its private temp folder."""
    with private_folder("contacts311-report-") as tmp:
        run = _new_run(plan, key, env, tmp)
        # Recorded at once: a run killed outright is found "running" and settled by the next.
        outputs.record(plan.out_dir, run.record)
        plan.say(f"loading exports from {plan.data_path or 'the profile sources'}")
        try:
            with (
                SharedLoad(plan.data_path, plan.profile_path, run.tmp, plan.out_dir) as loader,
                kernel_spec(run.tmp) as kernel,
                ThreadPoolExecutor(
                    max_workers=default_workers(len(run.jobs), plan.workers)
                ) as pool,
            ):
                try:
                    futures = _start(run, pool, kernel)
                    publish.pause_at("notebooks-started")
                    failed = _passed_checks(run, loader, futures)
                    if failed is not None:
                        return failed
                    data = _file_run(run, loader)
                    publish.pause_at("dataset-published")
                    entries = _convert_as_done(run, futures)
                except BaseException as exc:
                    handling_stop(exc)
                    # Before the pool's exit, which waits for every notebook: a kernel would
                    # otherwise wait an hour for a dataset that never comes, or run on.
                    _stop_notebooks(run, pool, exc)
                    raise
            return _finish(run, entries, data)
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM / SIGHUP (errors.Stopped)
            handling_stop(exc)
            if not run.publishing:  # publish settles its own stops
                _interrupted(run, exc)
            raise
        except OSError as exc:  # a full disk, a folder made read-only under the run
            if not run.publishing and not run.ended:
                # Best effort: with the disk still full, the next run settles it instead.
                with contextlib.suppress(OSError):
                    _discard(run, "failed", f"stopped: {os_error_message(exc)}")
            raise


def _stop_notebooks(run: _Run, pool: ThreadPoolExecutor, exc: BaseException) -> None:
    """End every notebook of a run that stops early: none waits for data, none runs on.

    Notebooks not started are cancelled; the waiting ones are told there is no dataset; the
    kernels still running are ended (their cells' results would be discarded anyway).
    """
    run.stopping.set()  # no kernel is started again
    pool.shutdown(wait=False, cancel_futures=True)
    if not run.dataset_path.exists():
        with contextlib.suppress(OSError):  # a full disk: ending the kernels still frees them
            publish_failure(run.dataset_path, exc)
    while not all(fut.done() for fut in run.futures):
        stop_kernels(run.tmp)
        wait(run.futures, timeout=0.5)


def _interrupted(run: _Run, exc: KeyboardInterrupt) -> None:
    """Record a stopped run with its reason and remove its unpublished, partial pages.

    Nothing of it was published yet (history and ``latest`` come in :func:`_finish`), so the
    partial run folder would only be a page set no index lists.
    """
    number = getattr(exc, "signal_number", None)
    reason = f"stopped by {signal.Signals(number).name}" if number else "interrupted (Ctrl-C)"
    _discard(run, "interrupted", reason)


def _discard(run: _Run, status: str, reason: str) -> None:
    """Remove a run's unpublished pages and record how it ended."""
    if run.run_dir is not None:
        shutil.rmtree(run.run_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            run.run_dir.parent.rmdir()  # the period folder, when this run was its only one
    run.record.update(status=status, message=reason, folder="")
    run.record["duration_seconds"] = round(time.perf_counter() - run.plan.t0, 2)
    outputs.record(run.plan.out_dir, run.record)


def _new_run(plan: _Plan, key: RunKey, env: dict[str, str], tmp: Path) -> _Run:
    """The run's record and one job per notebook, with the parameters each declares."""
    started = outputs.utcnow()
    record: dict[str, Any] = {
        "id": started.strftime("%Y%m%dT%H%M%SZ"),
        "started": started.isoformat(),
        "status": "running",
        "parameters": plan.user,
        "key": key.key,
        "key_parts": key.parts,
        "period": "",
        "folder": "",
        "notebooks": [],
        "message": "",
    }
    runner_values = {
        "data_dir": str(plan.data_path) if plan.data_path else "",
        "profile": str(plan.profile_path) if plan.profile_path else "",
        "dataset_path": str(tmp / DATASET_FILE),
        "history_path": str(plan.out_dir / store.HISTORY_FILE),
    }
    jobs = []
    for nb in plan.notebooks:
        own = read_parameters(nb)
        values = {**runner_values, **plan.effective}
        jobs.append(Job(nb, tmp / nb.name, {k: v for k, v in values.items() if k in own}))
    return _Run(plan, key, env, tmp, record, runner_values, jobs)


def _start(run: _Run, pool: ThreadPoolExecutor, kernel: str) -> dict[Future, Job]:
    """Start every notebook, the longest first; each waits in its setup for the dataset."""
    runs = outputs.read_runs(run.plan.out_dir)
    futures = {}
    for job in longest_first(run.jobs, runs):
        fut = pool.submit(execute, job, kernel, run.tmp, run.stopping)
        run.futures.append(fut)  # first: a stop in this loop still finds every notebook
        futures[fut] = job
    return futures


def _passed_checks(
    run: _Run, loader: SharedLoad, futures: Mapping[Future, Job]
) -> RunOutcome | None:
    """Wait for the read and its input checks; ``None`` when the run goes on, else its outcome.

    Raises:
        InputError: The exports did not load (the run is recorded as failed first).
    """
    try:
        found, failures = loader.checks()
    except BaseException as exc:
        _abandon(run, futures, exc, f"exports did not load: {exc}")
        raise
    for line in found:
        run.plan.say(f"warning: {line}")
    if failures:
        reason = "input checks failed: " + "; ".join(failures)
        _abandon(run, futures, RuntimeError(reason), reason)
        run.plan.say(f"run failed: {reason}")
        return RunOutcome("failed", 1, None, f"run failed: {reason}")
    run.warnings = found
    write_warnings(run.dataset_path, found)
    return None


def _abandon(run: _Run, futures: Mapping[Future, Job], exc: BaseException, message: str) -> None:
    """Stop a run before any notebook saw the data: release the kernels, record it as failed."""
    publish_failure(run.dataset_path, exc)
    for fut in futures:
        fut.cancel()
    run.record.update(status="failed", message=message)
    run.record["duration_seconds"] = round(time.perf_counter() - run.plan.t0, 2)
    outputs.record(run.plan.out_dir, run.record)
    run.ended = True


def _file_run(run: _Run, loader: SharedLoad) -> Any:
    """Give the notebooks the dataset, create the run's folder and its provenance.

    Returns:
        The dataset (this process's own copy, for the period, provenance and history).
    """
    # Published before this process reads its own copy, so the notebooks start sooner.
    loader.publish(run.dataset_path)
    data = loader.result()
    plan = run.plan
    run.run_dir = outputs.new_run_dir(
        plan.out_dir, _headline_period(data, plan.as_of), run.record["id"]
    )
    first_id = run.record["id"]
    run.record.update(
        period=run.run_dir.parent.name,
        folder=run.run_dir.relative_to(plan.out_dir).as_posix(),
        id=run.run_dir.name,
    )
    # The index knows the folder before a page is in it, so a killed run's pages are found.
    outputs.record(plan.out_dir, run.record, replaces=first_id)
    run.provenance = {
        "run_id": run.record["id"],
        "started": run.record["started"],
        "version": __version__,
        "git_commit": git_commit(),
        "environment": run.env,
        "inputs": [
            {k: (int(v) if k in ("rows_read", "bytes") else str(v)) for k, v in r.items()}
            for r in data.inputs.to_dict("records")
        ],
        "rules": list(data.profile.rules_text()),
        "profile": str(plan.profile_path) if plan.profile_path else None,
        "data_dir": str(plan.data_path) if plan.data_path else None,
        "key": run.key.key,
        "warnings": run.warnings,
    }
    return data


def _headline_period(data: Any, as_of: dt.date) -> str:
    """The folder name of a run: the period its headline reports (see ``headline_figure``)."""
    from contacts311.measures import headline_figure, period_totals  # pandas: only to run

    totals = period_totals(data.contacts, "fiscal", data.profile.fiscal_year_start_month, as_of)
    period = headline_figure(totals)["period"]
    return period_slug(period) if period is not None else "no-data"


def _convert_as_done(run: _Run, futures: Mapping[Future, Job]) -> dict[str, dict[str, Any]]:
    """Each notebook's page, written as soon as it finishes: notebook name -> its entry."""
    # Load nbconvert while the kernels work: its import is slow and the threads are idle.
    with IMPORTING:
        import nbconvert  # noqa: F401

    entries: dict[str, dict[str, Any]] = {}
    for done, fut in enumerate(as_completed(futures), start=1):
        job = futures[fut]
        status, error, seconds = fut.result()
        run.plan.say(
            f"[{done}/{len(run.jobs)}] {job.notebook.name}: {status} in {seconds:.1f} s"
            + (f" ({error})" if error else "")
        )
        entries[job.notebook.name] = _convert_one(run, job, status, error, seconds)
    return entries


def _convert_one(run: _Run, job: Job, status: str, error: str, seconds: float) -> dict[str, Any]:
    """Write one executed notebook's HTML page; returns its entry for the run record."""
    title = notebook_title(job.notebook)
    entry = {
        "name": job.notebook.name,
        "title": title,
        "status": status,
        "error": error,
        "seconds": round(seconds, 2),
        "html": "",
    }
    if not job.executed.is_file() or run.run_dir is None:
        return entry
    prov = {
        **run.provenance,
        "parameters": {k: v for k, v in job.parameters.items() if k not in _PRIVATE_PARAMETERS},
        "seconds": seconds,
        "notebook": job.notebook.name,
    }
    try:
        page = notebook_page(job.executed, prov, title)
    except Exception as exc:  # a broken conversion fails this notebook, not the run
        entry.update(status="failed", error=f"HTML conversion: {type(exc).__name__}: {exc}")
        return entry
    html_name = job.notebook.with_suffix(".html").name
    (run.run_dir / html_name).write_text(page, encoding="utf-8")
    entry["html"] = html_name
    return entry


def _finish(run: _Run, entries: Mapping[str, dict[str, Any]], data: Any) -> RunOutcome:
    """File the run: its page and provenance; when it succeeded, publish it (one commit point)."""
    plan, record, run_dir = run.plan, run.record, run.run_dir
    assert run_dir is not None  # set by _file_run
    record["notebooks"] = [entries[job.notebook.name] for job in run.jobs]
    failed = [n for n in record["notebooks"] if n["status"] != "succeeded"]
    record["status"] = "failed" if failed else "warning" if run.warnings else "succeeded"
    if failed:
        record["message"] = "; ".join(f"{n['name']}: {n['error']}" for n in failed)
    elif run.warnings:
        record["message"] = "input checks warned: " + "; ".join(run.warnings)
    values = {**run.runner_values, **plan.effective}
    run_prov = {
        **run.provenance,
        "parameters": {k: v for k, v in values.items() if k not in _PRIVATE_PARAMETERS},
    }
    record["duration_seconds"] = round(time.perf_counter() - plan.t0, 2)

    def stage_pages() -> None:
        manifest = {
            **run_prov,
            "notebooks": record["notebooks"],
            "status": record["status"],
            "record": record,
        }
        publish.stage(run_dir, run_page(record, run_prov), manifest)

    if failed:
        stage_pages()
        outputs.record(plan.out_dir, record)
    else:
        run.publishing = True
        publish.publish(
            plan.out_dir,
            run_dir,
            record,
            lambda: _record_history(
                plan.out_dir, record["id"], record["started"], data, plan.as_of
            ),
            stage_pages,
        )
    return _outcome(run, failed)


def _outcome(run: _Run, failed: list[dict[str, Any]]) -> RunOutcome:
    """The run's outcome and its one line for the operator."""
    record, run_dir, out_dir = run.record, run.run_dir, run.plan.out_dir
    if failed:
        msg = (
            f"run failed ({len(failed)} of {len(run.jobs)} notebooks): {record['message']}; "
            f"reports in {run_dir}"
        )
        status, code = "failed", 1
    else:
        msg = (
            f"reports written to {run_dir} and {out_dir / outputs.LATEST} "
            f"in {record['duration_seconds']:.1f} s"
        )
        status, code = "succeeded", 0
        if run.warnings:
            msg += f", with {len(run.warnings)} input warning(s)"
            status, code = "warning", 3
    run.plan.say(msg)
    return RunOutcome(status, code, run_dir, msg, record["notebooks"])


def _record_history(out_dir: Path, run_id: str, started: str, data: Any, as_of: dt.date) -> None:
    """Append the run's figures to the report history (``history.sqlite``), pending."""
    from contacts311 import history  # pandas: only to run

    path = out_dir / history.HISTORY_FILE
    stamp = history.data_as_of(data.contacts)
    figures = history.figures_for_run(
        data.contacts, data.inputs, data.profile.fiscal_year_start_month, as_of=as_of
    )
    history.record_run(
        path,
        run_id,
        dt.datetime.fromisoformat(started),
        figures,
        data.inputs,
        data.columns,
        stamp,
        data.profile.rules_text(),
        status=store.PENDING,
    )
