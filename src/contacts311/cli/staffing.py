"""``contacts311 staffing``: agents for one interval (Erlang C), or the week grid for next year.

Two modes:

- ``--calls N --interval-minutes M --aht-seconds S --target-seconds T --service-level P``: one
  interval, printed as ``json`` (keys ``agents``, ``scheduled_agents``, ``service_level``,
  ``occupancy``, ``waiting_probability`` and the inputs) or a ``table``.
- ``[DATA_DIR] [--profile FILE]``: the next fiscal year's week grid (projection mean and upper
  bound) as ``csv`` (one row per scenario x weekday x interval) or a ``table`` (a weekday x
  interval matrix of scheduled agents per scenario, then the FTE summary).
"""

from __future__ import annotations

import argparse
import json
import sys

from contacts311.cli._common import add_data_arguments, emit
from contacts311.errors import InputError

HELP = "representatives needed: one interval (Erlang C) or next fiscal year's week grid"

#: Keys of the one-interval result that echo the inputs.
_INPUT_KEYS = (
    "calls",
    "interval_minutes",
    "aht_seconds",
    "target_seconds",
    "target_service_level",
    "shrinkage",
    "max_occupancy",
)

#: Options of the one-interval mode that have no default there.
_REQUIRED_SINGLE = ("interval_minutes", "aht_seconds", "target_seconds", "service_level")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``staffing``."""
    add_data_arguments(parser)
    one = parser.add_argument_group("one interval")
    one.add_argument("--calls", type=float, help="calls arriving in the interval")
    one.add_argument(
        "--interval-minutes",
        type=float,
        help="interval length (week grid: the flat fallback's interval, default 60)",
    )
    one.add_argument(
        "--aht-seconds",
        type=float,
        help="average handle time (week grid: used only when the data has no ACD time)",
    )
    one.add_argument(
        "--target-seconds", type=float, help="answer-time target (week grid default 25)"
    )
    one.add_argument(
        "--service-level",
        type=float,
        help="share answered within the target, 0-1 (week grid default 0.85)",
    )
    one.add_argument(
        "--shrinkage",
        type=float,
        help="share of paid time off the phones, 0-1 (default 0; week grid 0.30)",
    )
    one.add_argument(
        "--max-occupancy",
        type=float,
        help="occupancy cap, 0-1 (default 1; week grid 0.85)",
    )
    one.add_argument(
        "--patience-seconds",
        type=float,
        help="callers' mean patience: use Erlang A (callers hang up) instead of Erlang C",
    )
    grid = parser.add_argument_group("week grid")
    grid.add_argument(
        "--head-count", type=float, help="current representatives (FTE), to show the gap"
    )
    grid.add_argument(
        "--hours-per-fte", type=float, default=40.0, help="paid hours per FTE per week (40)"
    )
    grid.add_argument(
        "--show",
        choices=["grid", "fte", "staffed", "profile"],
        default="grid",
        help="week grid (default), FTE summary, past year's staffed vs needed agents, "
        "or the intraday profile",
    )
    parser.add_argument(
        "--format",
        choices=["table", "json", "csv"],
        default="table",
        help="table (default); json for one interval; csv for the week grid",
    )


def run(args: argparse.Namespace) -> int:
    """Print one interval's staffing or the week grid."""
    if args.calls is not None:
        return _run_single(args)
    return _run_grid(args)


def _run_single(args: argparse.Namespace) -> int:
    from contacts311.staffing import erlang_a, erlang_c

    if args.data_dir is not None:
        raise InputError(
            None, "give either DATA_DIR (week grid) or --calls (one interval), not both"
        )
    missing = [
        f"--{name.replace('_', '-')}" for name in _REQUIRED_SINGLE if getattr(args, name) is None
    ]
    if missing:
        raise InputError(None, f"--calls also needs {', '.join(missing)}")
    shrinkage = 0.0 if args.shrinkage is None else args.shrinkage
    max_occupancy = 1.0 if args.max_occupancy is None else args.max_occupancy
    values = erlang_c(
        args.calls,
        args.interval_minutes,
        args.aht_seconds,
        args.target_seconds,
        args.service_level,
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
    ).to_dict()
    if args.patience_seconds is not None:
        # Erlang A replaces the Erlang C answer; the inputs stay as they were given.
        values = {k: v for k, v in values.items() if k in _INPUT_KEYS} | erlang_a(
            args.calls,
            args.interval_minutes,
            args.aht_seconds,
            args.patience_seconds,
            args.target_seconds,
            args.service_level,
            shrinkage=shrinkage,
            max_occupancy=max_occupancy,
        ).to_dict()
        values["model"] = "erlang_a"
    else:
        values["model"] = "erlang_c"
    if args.format == "json":
        sys.stdout.write(json.dumps(values, indent=2) + "\n")
    elif args.format == "csv":
        import pandas as pd

        emit(pd.DataFrame([values]), "csv")
    else:
        width = max(len(k) for k in values)
        for key, value in values.items():
            # Four decimals are plenty for shares and seconds; :g drops trailing zeros.
            shown = f"{round(value, 4):g}" if isinstance(value, float) else value
            print(f"{key:<{width}}  {shown}")
    return 0


def _run_grid(args: argparse.Namespace) -> int:
    from contacts311.cli._common import load_dataset
    from contacts311.staffing import (
        DEFAULT_ASSUMPTIONS,
        StaffingAssumptions,
        grid_matrix,
        staffing_plan,
    )

    if args.patience_seconds is not None:
        raise InputError(None, "--patience-seconds applies to one interval (with --calls) only")
    d = DEFAULT_ASSUMPTIONS
    assumptions = StaffingAssumptions(
        target_seconds=d.target_seconds if args.target_seconds is None else args.target_seconds,
        service_level=d.service_level if args.service_level is None else args.service_level,
        shrinkage=d.shrinkage if args.shrinkage is None else args.shrinkage,
        max_occupancy=d.max_occupancy if args.max_occupancy is None else args.max_occupancy,
        hours_per_fte=args.hours_per_fte,
        aht_seconds=args.aht_seconds,
        flat_interval_minutes=(
            d.flat_interval_minutes if args.interval_minutes is None else int(args.interval_minutes)
        ),
    )
    data = load_dataset(args)
    plan = staffing_plan(data, assumptions, head_count=args.head_count)
    if args.show != "grid":
        table = {"fte": plan.fte, "staffed": plan.comparison, "profile": plan.profile}[args.show]
        if args.show == "staffed" and table.empty:
            raise InputError(None, "the data has no staffed time (i_stafftime / Staffed Time)")
        emit(table.round(4) if args.format == "table" else table, args.format)
    elif args.format in ("csv", "json"):
        emit(plan.grid, args.format)
    else:
        for scenario, volume in plan.volumes.items():
            print(f"Scheduled agents, {plan.fiscal_year}, {scenario} ({volume:,.0f} calls):")
            print(grid_matrix(plan.grid, scenario).to_string())
            print()
        print(f"FTE (scheduled agent-hours per week / {assumptions.hours_per_fte:g} h):")
        emit(plan.fte.round(1), "table")
        if not plan.comparison.empty:
            status = plan.comparison["status"].value_counts()
            print(
                f"Staffed vs needed ({plan.profile_period}), weekday x interval cells: "
                f"{status.get('under', 0)} under, {status.get('met', 0)} met, "
                f"{status.get('over', 0)} over (--show staffed for the detail)."
            )
    for line in plan.notes:
        print(f"note: {line}", file=sys.stderr)
    return 0
