"""Arguments and output helpers shared by the commands."""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contacts311.remote import location

if TYPE_CHECKING:  # pandas loads only when a command needs it: `--help` stays fast
    import pandas as pd

__all__ = ["add_data_arguments", "emit", "load_dataset", "neutralise_formulas"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """``[DATA_DIR] [--profile FILE]``, shared by every command that reads exports."""
    parser.add_argument(
        "data_dir",
        nargs="?",
        type=location,
        help="folder of exports, or abfs://CONTAINER/PATH, az://... or s3://BUCKET/PREFIX "
        "(default: the profile's sources)",
    )
    parser.add_argument(
        "--profile", type=Path, help="YAML profile (default: the bundled PDX 311 profile)"
    )


def load_dataset(args: argparse.Namespace, **options: Any):
    """Load the dataset the arguments name, with a progress bar when stderr is a terminal.

    No command prints the inputs' SHA-256, so the files are hashed only when the read cache is
    on and needs the digests as its key (a 10M-record export is 2.5 GB to hash).
    """
    from contacts311.pipeline import load

    return load(args.data_dir, args.profile, progress=sys.stderr.isatty(), digests=False, **options)


def _neutral_cell(value: object) -> object:
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    # A plain number written as text ("-5", "+1.5", "-1,234") is a number to a spreadsheet,
    # not a formula: prefixing it would turn it into text.
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with a single quote.

    Cells starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are prefixed
    (CSV injection); numbers, including negative numbers written as text, are left alone.

    Args:
        frame: The table about to be written as CSV.

    Returns:
        A copy with every risky text cell prefixed by ``'``.
    """
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_neutral_cell)
    return out


def _jsonable(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def emit(frame: pd.DataFrame, fmt: str, stream=None) -> None:
    """Write ``frame`` as an aligned ``table``, formula-safe ``csv`` or ``json`` records."""
    stream = stream or sys.stdout
    if fmt == "csv":
        buf = io.StringIO()
        neutralise_formulas(frame).to_csv(buf, index=False, lineterminator="\n")
        stream.write(buf.getvalue())
    elif fmt == "json":
        records = [{k: _jsonable(v) for k, v in row.items()} for row in frame.to_dict("records")]
        stream.write(json.dumps(records, indent=2) + "\n")
    else:
        stream.write(frame.to_string(index=False) + "\n")
