"""``contacts311 export clearimpact``: the Clear Impact data-import CSV for the measure."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from contacts311.cli._common import add_data_arguments, load_dataset

HELP = "write the Clear Impact data-import CSV (id,actual_value_date,target_value,actual_value,comment)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``export``."""
    parser.add_argument("target", choices=["clearimpact"], help="what to export")
    add_data_arguments(parser)
    parser.add_argument(
        "--measure-id",
        required=True,
        help="the number at the end of the measure's Clear Impact URL (PDX 311: 100816783)",
    )
    parser.add_argument("--out", type=Path, help="file to write (default: standard output)")
    parser.add_argument("--comment", help="one comment for every row (default: counts per channel)")
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        help="periods ending after this date (YYYY-MM-DD) are partial and left out (default: today)",
    )


def run(args: argparse.Namespace) -> int:
    """Write one row per complete fiscal year."""
    from contacts311.errors import InputError

    measure_id = str(args.measure_id).strip()
    if not measure_id.isdigit():
        raise InputError(
            None,
            f"--measure-id must be a number (the end of the measure's URL), got {measure_id!r}",
        )
    data = load_dataset(args)  # first: it may start work on the inputs before pandas loads
    from contacts311.measures import clearimpact_rows, period_totals

    totals = period_totals(
        data.contacts, "fiscal", data.profile.fiscal_year_start_month, args.as_of
    )
    rows = clearimpact_rows(totals, measure_id, data.tables.get("forecast"), comment=args.comment)
    text = rows.to_csv(index=False, lineterminator="\r\n")
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8", newline="")
    left_out = int(totals["is_partial"].astype(bool).sum()) if not totals.empty else 0
    where = args.out or "standard output"
    print(
        f"contacts311: wrote {len(rows)} period(s) to {where}"
        + (
            f"; {left_out} partial period(s) left out (an import overwrites existing values)"
            if left_out
            else ""
        ),
        file=sys.stderr,
    )
    return 0
