"""``contacts311 ledger``: where every row of every file went."""

from __future__ import annotations

import argparse

from contacts311.cli._common import add_data_arguments, emit, load_dataset

HELP = "print the per-file ledger: rows read, counted, duplicates, excluded by reason"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``ledger``."""
    add_data_arguments(parser)
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table")


def run(args: argparse.Namespace) -> int:
    """Print the wide ledger, then the notes on rules used."""
    import sys

    data = load_dataset(args)  # first: it may start work on the inputs before pandas loads
    from contacts311.ledger import ledger_wide

    emit(ledger_wide(data.ledger), args.format)
    if args.format == "table":
        for line in data.profile.rules_text() + data.notes:
            print(f"note: {line}", file=sys.stderr)
    return 0
