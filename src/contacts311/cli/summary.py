"""``contacts311 summary``: periods, growth, population, plan forecast and average growth."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from contacts311.cli._common import add_data_arguments, load_dataset

HELP = "print the headline figures: totals, growth, population, per 1,000, forecast, average growth"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``summary``."""
    add_data_arguments(parser)
    parser.add_argument("--format", choices=["json", "table"], default="table")
    parser.add_argument(
        "--labels",
        choices=["fy", "ending-year"],
        default="fy",
        help="FY 2023-24 (default) or 2024 as Clear Impact shows it",
    )
    parser.add_argument(
        "--no-bundled-population",
        action="store_true",
        help="without a population file, leave population empty instead of using the bundled "
        "Census figures for the profile's FIPS code",
    )
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        help="periods ending after this date (YYYY-MM-DD) are partial (default: today)",
    )


def _fmt(value: Any, suffix: str = "") -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}{suffix}"
    return str(value)


def render_table(result: dict[str, Any]) -> str:
    """The summary as aligned text: a periods table, then the averages and the notes."""
    import pandas as pd

    lines = []
    periods = pd.DataFrame(result["periods"], dtype=object)  # keep ints as ints beside None
    if not periods.empty:
        shown = periods.drop(columns=["start", "end"]).rename(
            columns={
                "is_partial": "partial",
                "yoy_growth_pct": "yoy_%",
                "contacts_per_1000": "per_1000",
                "variance_from_forecast_pct": "vs_forecast_%",
            }
        )
        shown = shown.astype(object).map(_fmt)
        lines.append(shown.to_string(index=False))
    avg = result["average_growth"]
    lo, hi = avg["loglinear_ci_pct"]
    lines += [
        "",
        "Average growth per fiscal year (complete periods):",
        f"  mean of year-over-year rates: {_fmt(avg['mean_yoy_pct'], '%')}",
        f"  compound annual growth rate:  {_fmt(avg['cagr_pct'], '%')}",
        f"  log-linear trend:             {_fmt(avg['loglinear_pct'], '%')}"
        f" (95% CI {_fmt(lo, '%')} to {_fmt(hi, '%')})",
    ]
    pop = result["population_growth"]
    if pop:
        lines += [
            "",
            f"Population ({pop['area']}; {', '.join(pop['vintages'])}):",
            f"  mean population growth: {_fmt(pop['mean_population_growth_pct'], '%')}",
            f"  mean contact growth:    {_fmt(pop['mean_contact_growth_pct'], '%')}",
            f"  mean gap:               {_fmt(pop['mean_gap_pp'], ' pp')}",
            f"  index {pop['last_period']} (base {pop['base_period']} = 100): contacts "
            f"{_fmt(pop['contacts_index_last'])}, population {_fmt(pop['population_index_last'])}",
        ]
    lines.append("")
    lines += [f"note: {n}" for n in result["notes"]]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Load the data and print the summary as JSON or a table."""
    data = load_dataset(args, bundled_population=not args.no_bundled_population)
    from contacts311.measures import summary

    result = summary(data, as_of=args.as_of, style=args.labels)
    if args.format == "json":
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        sys.stdout.write(render_table(result))
    return 0
