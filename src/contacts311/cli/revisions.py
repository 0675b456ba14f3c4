"""``contacts311 revisions``: figures that changed between the latest report run and an earlier one."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "list figures revised between the latest report run and the previous (or a given) run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``revisions``."""
    parser.add_argument(
        "--out", type=Path, default=Path("reports"), help="reports folder (default: reports/)"
    )
    parser.add_argument(
        "--since", metavar="RUN_ID", help="compare with this run instead of the previous one"
    )
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")


def run(args: argparse.Namespace) -> int:
    """Print the revised figures and the input files that are new, changed or gone."""
    from contacts311.cli._common import emit
    from contacts311.errors import InputError
    from contacts311.history import HISTORY_FILE, revisions

    path = args.out / HISTORY_FILE
    if not path.is_file():
        raise InputError(path, "no report history yet; run `contacts311 report` first")
    _settle(args.out)
    try:
        rev = revisions(path, since=args.since)
    except KeyError as exc:
        raise InputError(path, str(exc.args[0]), column="--since") from None
    if args.format == "json":
        doc = {
            "previous_run": rev.previous_run,
            "current_run": rev.current_run,
            "revisions": json.loads(rev.figures.to_json(orient="records")),
            "inputs": json.loads(rev.inputs.to_json(orient="records")),
        }
        print(json.dumps(doc, indent=2))
        return 0
    if rev.previous_run is None:
        print(f"only one report run in the history ({rev.current_run}); nothing to compare")
        return 0
    if args.format == "csv":
        emit(rev.figures, "csv")
        return 0
    print(f"comparing run {rev.current_run} with {rev.previous_run}")
    if rev.figures.empty:
        print("no figures revised")
    else:
        emit(rev.figures, "table")
    if not rev.inputs.empty:
        print("input files:")
        emit(rev.inputs, "table")
    return 0


def _settle(out: Path) -> None:
    """Settle a report run that stopped while publishing, unless a run is under way.

    The history's readers see published runs only, so this only tidies: when another run holds
    the lock (its pending run is no leftover) or the folder cannot be written, it is skipped.
    """
    import contextlib

    from contacts311.report import outputs, publish

    with contextlib.suppress(outputs.LockTimeout, OSError), outputs.lock(out, 0):
        publish.reconcile(out)
