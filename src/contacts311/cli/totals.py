"""``contacts311 totals``: contacts per period (fiscal year by default) and channel."""

from __future__ import annotations

import argparse
import datetime as dt

from contacts311.cli._common import add_data_arguments, emit, load_dataset

HELP = "print contacts per period and channel (fiscal years by default)"

#: ``--basis`` values: years (``contacts311.calendar``), then the short periods.
BASES = ("fiscal", "calendar", "month", "quarter", "week")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``totals``."""
    add_data_arguments(parser)
    parser.add_argument(
        "--basis",
        choices=BASES,
        default="fiscal",
        help="fiscal (default) or calendar years; months (2024-03), calendar quarters "
        "(2024-Q1) or ISO weeks from Monday (2024-W05)",
    )
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.add_argument(
        "--labels",
        choices=["fy", "ending-year"],
        default="fy",
        help="year labels: FY 2023-24 (default) or 2024 as Clear Impact shows it",
    )
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        help="periods ending after this date (YYYY-MM-DD) are partial (default: today)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the totals table: the same columns for every basis."""
    data = load_dataset(args)  # first: it may start work on the inputs before pandas loads
    from contacts311.errors import InputError
    from contacts311.measures import period_totals
    from contacts311.schema import NeedsDailyData

    try:
        table = period_totals(
            data.contacts,
            args.basis,
            data.profile.fiscal_year_start_month,
            as_of=args.as_of,
            style=args.labels,
        )
    except NeedsDailyData as exc:  # weeks of monthly totals: one line, exit 2
        raise InputError(None, f"{exc} Use --basis month, quarter, fiscal or calendar.") from None
    emit(table, args.format)
    return 0
