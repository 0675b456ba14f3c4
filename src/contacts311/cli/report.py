"""``contacts311 report``: run the report notebooks into self-contained HTML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from contacts311.cli._common import add_data_arguments

HELP = "run the report notebooks on a folder of exports into offline HTML (reports/<period>/<run>/)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``report``."""
    add_data_arguments(parser)
    parser.add_argument(
        "--out", type=Path, default=Path("reports"), help="output folder (default: reports/)"
    )
    parser.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="notebook parameter (repeatable); see --list-parameters",
    )
    parser.add_argument("--force", action="store_true", help="run even when nothing changed")
    parser.add_argument(
        "--wait",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="how long to wait for another run's lock (600)",
    )
    parser.add_argument(
        "--list-parameters", action="store_true", help="print the notebook parameters and exit"
    )


def run(args: argparse.Namespace) -> int:
    """Run the reports; exit 0 when done or up to date, 1 when a run failed, 3 with warnings."""
    from contacts311 import report

    if args.list_parameters:
        declared = report.declared_parameters(report.list_notebooks())
        for p in declared.values():
            if p.name in report.RUNNER_PARAMETERS + report.RUNNER_OPTIONAL_PARAMETERS:
                continue
            print(
                f"{p.name} ({p.type}, default {p.default!r}): {p.help} [{', '.join(p.notebooks)}]"
            )
        return 0
    try:
        outcome = report.run_report(
            args.data_dir,
            args.profile,
            args.out,
            args.parameter,
            force=args.force,
            wait_seconds=args.wait,
            log=lambda line: print(f"contacts311: {line}", file=sys.stderr, flush=True),
        )
    except report.LockTimeout as exc:
        print(f"contacts311: error: {exc}", file=sys.stderr)
        return 1
    if outcome.status != "up-to-date" and outcome.run_dir is not None:
        print(outcome.run_dir)
    return outcome.exit_code
