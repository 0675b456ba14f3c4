"""``contacts311 sample-data``: write the synthetic sample exports and their ground truth."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
from pathlib import Path

from contacts311.errors import InputError

HELP = "write synthetic sample exports (phone, Zendesk, reference tables) with their ground truth"

#: What the generator owns inside OUT_DIR: removed before regenerating with --force, so files
#: of an earlier run (another end date) never linger next to the new ground truth.
_GENERATED = ("phone", "zendesk", "reference", "_truth", "README.md")


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``sample-data``."""
    parser.add_argument(
        "out_dir", type=Path, metavar="OUT_DIR", help="folder to write the sample into"
    )
    parser.add_argument("--seed", type=int, default=311, help="random seed (default: 311)")
    parser.add_argument(
        "--end-date",
        type=_iso_date,
        default=dt.date(2026, 10, 31),
        help="last day of data, YYYY-MM-DD (default: 2026-10-31)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a folder that is not empty (replaces earlier samples)",
    )


def run(args: argparse.Namespace) -> int:
    """Generate the sample and print what was written."""
    from contacts311.sample import write_sample

    out: Path = args.out_dir
    if out.exists() and not out.is_dir():
        raise InputError(out, "OUT_DIR exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not args.force:
            raise InputError(out, "folder is not empty; pass --force to replace the sample in it")
        for name in _GENERATED:
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.is_file():
                target.unlink()
    try:
        summary = write_sample(out, seed=args.seed, end_date=args.end_date)
    except ValueError as exc:
        raise InputError(None, f"--end-date: {exc}") from None
    print(
        f"wrote {len(summary.files)} files ({summary.bytes / 1e6:.1f} MB) to {out}: "
        f"{summary.contacts:,} contacts counted, {summary.missed_contacts:,} missed by manual tracking",
        file=sys.stdout,
    )
    for label, n in summary.by_fiscal_year.items():
        print(f"  {label}: {n:,}")
    return 0
