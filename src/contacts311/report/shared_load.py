"""The exports are read once per report run, and every notebook gets that one dataset.

How it travels, all inside the run's private temp folder:

1. The runner starts a child interpreter (:class:`SharedLoad`) that calls
   :func:`contacts311.pipeline.load` and runs the input checks against the output folder's
   history; it writes ``(error, warnings, checks)`` and then the dataset to a pickle. A plain
   child, not ``multiprocessing``: spawning would re-run the caller's main script, which a
   script calling ``run_report`` without a ``__main__`` guard cannot survive. In the runner's
   own process the read would compete for the GIL with the threads that drive the kernels
   (measured: a cold run on 2 cores took ~4 s longer that way).
2. Meanwhile the kernels start and import their libraries. Once the checks passed, the runner
   publishes the dataset as ``dataset.pickle`` (:meth:`SharedLoad.publish`), with the checks'
   warnings beside it (:func:`write_warnings`); a read that failed leaves ``.failed`` instead.
3. Each notebook's :func:`contacts311.report.notebook.setup` calls :func:`read_shared` with its
   ``dataset_path`` parameter, which waits for one of those files. Run by hand, a notebook has
   no ``dataset_path`` and loads the exports itself.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from contacts311.remote import location
from contacts311.scratch import exit_with_parent

__all__ = [
    "DATASET_FILE",
    "SharedLoad",
    "input_checks",
    "publish_failure",
    "read_shared",
    "run_warnings",
    "write_warnings",
]

#: The file name of the published dataset in the run's temp folder.
DATASET_FILE = "dataset.pickle"
#: How long a notebook waits for the runner's shared dataset.
WAIT_SECONDS = 3600
#: Suffix of the file beside the shared dataset that carries the input-check warnings.
_WARNINGS_SUFFIX = ".warnings.json"
_FAILED_SUFFIX = ".failed"
#: The child's command: import this module and run :func:`_child` on the arguments.
_CHILD = "import sys; from contacts311.report.shared_load import _child; sys.exit(_child())"


# --- the runner's side ------------------------------------------------------------------------


class SharedLoad:
    """``pipeline.load`` run in a child interpreter; :meth:`result` waits for the dataset.

    The child writes the dataset (or the exception that stopped it) with the warnings it
    raised and, given ``reports_dir``, the input checks against that folder's history, to a
    pickle in the run's temp folder; :meth:`checks` raises those warnings again here, so the
    command line shows them as if the read had run in this process. The child gets this
    process's ``sys.path``, so it imports the same package.
    """

    def __init__(
        self,
        data_path: Path | None,
        profile_path: Path | None,
        tmp: Path,
        reports_dir: Path | None = None,
    ) -> None:
        self._file = tmp / "loaded.pickle"
        self._log = tmp / "loader.log"
        self._checks: tuple[list[str], list[str]] | None = None
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        args = [str(data_path or ""), str(profile_path or ""), str(self._file)]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-c", _CHILD, *args, str(reports_dir or "")],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
            )

    def __enter__(self) -> SharedLoad:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process.poll() is None:  # the run stopped early (a kernel failed, Ctrl-C)
            self._process.terminate()
        self._process.wait()

    def checks(self) -> tuple[list[str], list[str]]:
        """Wait for the read: raise its warnings and what stopped it; the input checks' result.

        Returns:
            ``(warnings, failures)`` of the input checks (both empty without ``reports_dir``),
            read without loading the dataset itself.
        """
        if self._checks is None:
            code = self._process.wait()
            if not self._file.is_file():
                log = self._log.read_text(encoding="utf-8", errors="replace").strip()
                last = f": {log.splitlines()[-1].strip()}" if log else ""
                raise RuntimeError(
                    f"the process reading the exports stopped (exit code {code}){last}"
                )
            with self._file.open("rb") as fh:
                error, caught, checks = pickle.load(fh)  # noqa: S301 - written by this run's child
            for message, category in caught:
                warnings.warn(message, category, stacklevel=2)
            if error is not None:
                raise error
            self._checks = checks
        return self._checks

    def result(self) -> Any:
        """The :class:`~contacts311.pipeline.Dataset`; raises what stopped the read."""
        self.checks()
        with self._file.open("rb") as fh:
            pickle.load(fh)  # noqa: S301 - skip the header
            return pickle.load(fh)  # noqa: S301 - written by this run's child

    def publish(self, dataset_path: Path) -> None:
        """Make the read dataset the one the notebooks load (a byte copy, not a re-pickling)."""
        part = dataset_path.with_name(dataset_path.name + ".part")
        with self._file.open("rb") as src, part.open("wb") as dst:
            pickle.load(src)  # noqa: S301 - skip the header (error, warnings, checks)
            dst.write(src.read())
        os.replace(part, dataset_path)


def publish_failure(dataset_path: Path, exc: BaseException) -> None:
    """Tell the waiting notebooks that there will be no dataset (they stop at once)."""
    marker = dataset_path.with_name(dataset_path.name + _FAILED_SUFFIX)
    marker.write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")


def write_warnings(dataset_path: Path, found: list[str]) -> None:
    """Leave the input checks' warnings beside the dataset, for :func:`run_warnings`."""
    path = dataset_path.with_name(dataset_path.name + _WARNINGS_SUFFIX)
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(found), encoding="utf-8")
    os.replace(part, path)


def input_checks(out_dir: Path, data) -> tuple[list[str], list[str]]:
    """Stale-input and layout checks against the previous good run, split by the profile's rules.

    Returns:
        ``(warnings, failures)``: the messages of checks set to ``warn`` and to ``fail``.
    """
    from contacts311 import history  # loads pandas: the child's work, not the runner's

    rules = data.profile.checks
    stale, layout = history.input_checks(
        out_dir / history.HISTORY_FILE,
        history.data_as_of(data.contacts),
        data.inputs,
        data.columns,
        stale_days=rules.stale_days,
    )
    warned: list[str] = []
    failed: list[str] = []
    (failed if rules.stale_inputs == "fail" else warned).extend(stale)
    (failed if rules.layout_change == "fail" else warned).extend(layout)
    return warned, failed


# --- the notebooks' side ----------------------------------------------------------------------


def read_shared(dataset_path: str | Path) -> Any:
    """The dataset the runner published at ``dataset_path``, waiting for it to arrive.

    Raises:
        RuntimeError: The runner could not load the exports.
        TimeoutError: Nothing arrived within :data:`WAIT_SECONDS`.
    """
    path = Path(dataset_path)
    failed = path.with_name(path.name + _FAILED_SUFFIX)
    # The runner starts the kernels while it is still reading the exports: wait for it.
    deadline = time.monotonic() + WAIT_SECONDS
    while not path.exists():
        if failed.exists():
            raise RuntimeError(f"the runner could not load the exports: {failed.read_text()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no dataset at {path} after {WAIT_SECONDS} s")
        time.sleep(0.05)
    with path.open("rb") as fh:
        return pickle.load(fh)  # noqa: S301 - written by this run, in its private temp folder


def run_warnings(dataset_path: str = "") -> list[str]:
    """The input-check warnings the runner found for this run (for the notebooks to show).

    Args:
        dataset_path: The notebook's ``dataset_path`` parameter (``""`` when run by hand, which
            has no runner checks and so no warnings).

    Returns:
        One sentence per warning (stale inputs, changed export layout); empty when none.
    """
    if not dataset_path:
        return []
    path = Path(dataset_path)
    marker = path.with_name(path.name + _WARNINGS_SUFFIX)
    if not marker.is_file():
        return []
    return [str(w) for w in json.loads(marker.read_text(encoding="utf-8"))]


# --- the child --------------------------------------------------------------------------------


def load_to_file(data_dir: str, profile: str, out: Path, reports_dir: str = "") -> None:
    """Read the exports; write ``(error, warnings, checks)`` then the dataset to ``out``."""
    from contacts311.pipeline import load  # the child's whole work: pandas loads here

    data, error, checks = None, None, ([], [])
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        try:
            data = load(
                location(data_dir) if data_dir else None, Path(profile) if profile else None
            )
            if reports_dir:
                # The input checks run here, beside the dataset, so the runner can let the
                # notebooks have it without first reading it itself.
                checks = input_checks(Path(reports_dir), data)
        except Exception as exc:  # carried to the runner, which raises it there
            error = exc
    if error is not None:
        try:
            pickle.dumps(error)
        except Exception:  # an exception that cannot travel still arrives as one line
            error = RuntimeError(f"{type(error).__name__}: {error}")
    caught = [(str(w.message), w.category) for w in records]
    part = out.with_name(out.name + ".part")
    with part.open("wb") as fh:
        pickle.dump((error, caught, checks), fh, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(part, out)


def _child(argv: list[str] | None = None) -> int:
    """The child's entry: ``DATA_DIR PROFILE OUT [REPORTS_DIR]`` (``""`` for none/default)."""
    data_dir, profile, out, *rest = argv if argv is not None else sys.argv[1:]
    exit_with_parent()  # a killed run's read must not go on without it
    load_to_file(data_dir, profile, Path(out), *rest)
    return 0
