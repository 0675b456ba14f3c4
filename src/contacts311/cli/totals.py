"""``contacts311 totals``: contacts per fiscal (or calendar) year and channel."""

from __future__ import annotations

import argparse

from contacts311.cli._common import add_data_arguments, emit, load_dataset

HELP = "print contacts per period and channel (fiscal years by default)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``totals``."""
    add_data_arguments(parser)
    parser.add_argument("--basis", choices=["fiscal", "calendar"], default="fiscal")
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")
    parser.add_argument(
        "--labels",
        choices=["fy", "ending-year"],
        default="fy",
        help="FY 2023-24 (default) or 2024 as Clear Impact shows it",
    )


def run(args: argparse.Namespace) -> int:
    """Print the totals table."""
    data = load_dataset(args)  # first: it may start work on the inputs before pandas loads
    from contacts311.measures import period_totals

    table = period_totals(
        data.contacts, args.basis, data.profile.fiscal_year_start_month, style=args.labels
    )
    emit(table, args.format)
    return 0
