"""The report runner's loader process: ``pipeline.load`` into a pickle, then exit.

Run as ``python -m contacts311._loader DATA_DIR PROFILE OUT [REPORTS_DIR]`` (``""`` for no
data folder or the default profile) by :class:`contacts311.reporting._Loader`. A plain child
interpreter, not ``multiprocessing``: spawning would re-run the caller's main script, which a
script calling ``run_report`` without a ``__main__`` guard cannot survive. ``OUT`` receives two
pickles: the error that stopped the read (or ``None``), the warnings it raised and the input
checks' ``(warnings, failures)`` against ``REPORTS_DIR``'s history; then the dataset.
"""

from __future__ import annotations

import os
import pickle
import sys
import warnings
from pathlib import Path

from contacts311._startup import skip_data_synthesis, skip_final_collections


def load_to_file(data_dir: str, profile: str, out: Path, reports_dir: str = "") -> None:
    """Read the exports; write ``(error, warnings, checks)`` then the dataset to ``out``."""
    from contacts311.pipeline import load

    data, error, checks = None, None, ([], [])
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        try:
            data = load(Path(data_dir) if data_dir else None, Path(profile) if profile else None)
            if reports_dir:
                # The runner's input checks run here, beside the dataset, so the runner can let
                # the notebooks have it without first reading it itself.
                from contacts311.reporting import _input_checks

                checks = _input_checks(Path(reports_dir), data)
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


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: ``DATA_DIR PROFILE OUT [REPORTS_DIR]``."""
    data_dir, profile, out, *rest = argv if argv is not None else sys.argv[1:]
    load_to_file(data_dir, profile, Path(out), *rest)
    return 0


if __name__ == "__main__":
    skip_data_synthesis()  # the runner's child: the process is ours
    code = main()
    skip_final_collections()
    sys.exit(code)
