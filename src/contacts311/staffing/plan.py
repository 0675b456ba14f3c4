"""The staffing plan: from a loaded dataset to next fiscal year's week grid, with its reasons.

The steps, each a function below: the year's volumes (the projection's mean and upper bound,
unless given), the intraday profile (the last 12 months of interval data, else the flat
fallback), the handle time (from the data, else the assumption), the week grid and FTE, the
staffed-vs-needed comparison and the callers' patience. Each step returns, with its result,
the sentence that explains it for the plan's notes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from contacts311 import models, wording
from contacts311.calendar import period_bounds, period_label
from contacts311.errors import InputError
from contacts311.schema import daily_rows
from contacts311.staffing._base import positive
from contacts311.staffing.assumptions import DEFAULT_ASSUMPTIONS, StaffingAssumptions
from contacts311.staffing.durations import handle_time_seconds, patience_seconds
from contacts311.staffing.grid import fte_summary, open_days_by_weekday, week_grid
from contacts311.staffing.profiles import flat_profile, interval_rows, intraday_profile
from contacts311.staffing.staffed import staffed_vs_needed

if TYPE_CHECKING:
    from contacts311.pipeline import Dataset


@dataclass
class StaffingPlan:
    """The week grid for the next fiscal year and everything needed to explain it.

    Attributes:
        fiscal_year: Label of the planned year (``FY 2025-26``).
        fiscal_year_end: Its ending year.
        volumes: Scenario -> projected calls in the year.
        grid: :func:`week_grid` output.
        fte: :func:`fte_summary` output.
        profile: The intraday profile used.
        profile_source: ``intervals`` or ``flat`` (fallback over the opening hours).
        profile_period: The dates the profile (and the staffed comparison) come from: the 12
            months up to the last interval row.
        aht_seconds: Handle time used.
        aht_source: ``data`` or ``parameter``.
        comparison: :func:`staffed_vs_needed` for the profile year (empty without staffed time).
        assumptions: The planning assumptions.
        notes: Sentences for reports (fallbacks, assumptions, sources).
        patience_seconds: Callers' mean patience estimated from abandoned calls (for Erlang A),
            when the interval data has queue times; the grid itself uses Erlang C.
        profile_note: The sentence saying where the profile comes from (also in ``notes``):
            for the flat fallback, where its weekday shares come from (equal when the calls
            are monthly totals only).
    """

    fiscal_year: str
    fiscal_year_end: int
    volumes: dict[str, float]
    grid: pd.DataFrame
    fte: pd.DataFrame
    profile: pd.DataFrame
    profile_source: str
    profile_period: str | None
    aht_seconds: float
    aht_source: str
    comparison: pd.DataFrame
    assumptions: StaffingAssumptions
    notes: list[str] = field(default_factory=list)
    patience_seconds: float | None = None
    profile_note: str = ""


@dataclass(frozen=True)
class _ProfileYear:
    """The intraday profile and the rows of the year it comes from.

    Attributes:
        profile: :func:`intraday_profile` or :func:`flat_profile` output.
        source: ``intervals`` or ``flat``.
        period: The profile's dates (``None`` for the flat fallback).
        recent: The ``intervals`` rows of that year, which also give the handle time, the
            patience and the staffed comparison: the whole table when it has no intra-day rows,
            ``None`` without one.
        note: The sentence that says where the profile comes from.
    """

    profile: pd.DataFrame
    source: str
    period: str | None
    recent: pd.DataFrame | None
    note: str


def staffing_plan(
    dataset: Dataset,
    assumptions: StaffingAssumptions = DEFAULT_ASSUMPTIONS,
    *,
    volumes: Mapping[str, float] | None = None,
    fiscal_year_end: int | None = None,
    head_count: float | None = None,
    channels: tuple[str, ...] = ("phone",),
) -> StaffingPlan:
    """The week grid for the next fiscal year from a loaded dataset.

    The projection (``models.project_next_period`` on the monthly phone calls: mean and upper
    bound) is used unless ``volumes`` and ``fiscal_year_end`` are given. The profile and the
    handle time come from the last 12 months of the ``intervals`` table; without interval
    rows the flat fallback profile is used (weekday shares from daily phone counts) and said so
    in ``notes``.

    Args:
        dataset: From :func:`contacts311.pipeline.load`.
        assumptions: Service level, shrinkage, occupancy, FTE hours, fallback AHT.
        volumes: Scenario -> calls in the year, instead of the projection.
        fiscal_year_end: The planned fiscal year's ending year (with ``volumes``).
        head_count: Current representatives, for the FTE gap.
        channels: Channels whose contacts are staffed for (phone by default).

    Raises:
        InputError: No handle time in the data and none given, no phone data, bad assumptions.
    """
    prof = dataset.profile
    start_month = prof.fiscal_year_start_month
    fiscal_year_end, volumes, volume_note = _volumes(dataset, channels, volumes, fiscal_year_end)
    year = _profile_year(dataset, channels, fiscal_year_end, assumptions)
    aht, aht_source, aht_note = _handle_time(year.recent, assumptions)
    open_days = open_days_by_weekday(
        fiscal_year_end,
        start_month,
        closed_on_federal_holidays=prof.service.closed_on_federal_holidays,
    )
    grid = week_grid(year.profile, volumes, open_days, aht, assumptions)
    fte = fte_summary(grid, assumptions.hours_per_fte, head_count)
    comparison, comparison_note = _comparison(year, aht, assumptions)
    patience, patience_note = _patience(year.recent)
    notes = [volume_note, year.note, aht_note, comparison_note, patience_note]
    return StaffingPlan(
        fiscal_year=period_label(fiscal_year_end, "fiscal", start_month),
        fiscal_year_end=int(fiscal_year_end),
        volumes=volumes,
        grid=grid,
        fte=fte,
        profile=year.profile,
        profile_source=year.source,
        profile_period=year.period,
        aht_seconds=float(aht),
        aht_source=aht_source,
        comparison=comparison,
        assumptions=assumptions,
        notes=[note for note in notes if note is not None] + assumptions.describe(),
        patience_seconds=patience,
        profile_note=year.note,
    )


def _volumes(
    dataset: Dataset,
    channels: tuple[str, ...],
    volumes: Mapping[str, float] | None,
    fiscal_year_end: int | None,
) -> tuple[int, dict[str, float], str | None]:
    """The planned year and its calls per scenario: the projection's unless given (no note)."""
    note = None
    if volumes is None:
        fiscal_year_end, volumes, sentence = _project(dataset, channels)
        note = (
            f"Volumes: projected {'/'.join(channels)} contacts, the ETS projection's mean and "
            f"upper interval bound ({sentence.rstrip('.')})."
        )
    elif fiscal_year_end is None:
        raise InputError(None, "fiscal_year_end is required when volumes are given")
    return fiscal_year_end, {str(k): float(v) for k, v in volumes.items()}, note


def _project(dataset: Dataset, channels: tuple[str, ...]) -> tuple[int, dict[str, float], str]:
    """The first projected fiscal year's calls (mean and upper bound) from ``models``."""
    contacts = dataset.contacts
    if not contacts["channel"].astype("str").isin(channels).any():
        raise InputError(None, f"no {'/'.join(channels)} contacts to project staffing from")
    # A partial last month would drag the projection down.
    monthly = models.monthly_series(contacts, list(channels), complete_months=True)
    try:
        projection = models.project_next_period(
            monthly, start_month=dataset.profile.fiscal_year_start_month
        )
    except ValueError as exc:
        raise InputError(None, f"cannot project next year's calls: {exc}") from None
    volumes = {"mean": float(projection.mean), "upper": float(projection.upper)}
    return int(projection.period_key), volumes, projection.sentence()


def _profile_year(
    dataset: Dataset,
    channels: tuple[str, ...],
    fiscal_year_end: int,
    assumptions: StaffingAssumptions,
) -> _ProfileYear:
    """The profile from the interval data's last 12 months, else the flat fallback."""
    intervals = dataset.tables.get("intervals")
    rows = (
        interval_rows(intervals)
        if intervals is not None and not intervals.empty
        else pd.DataFrame()
    )
    if not rows.empty:
        return _interval_profile(intervals, rows)
    profile, note = _flat_fallback(dataset, channels, fiscal_year_end, assumptions)
    return _ProfileYear(profile, "flat", None, intervals, note)


def _interval_profile(intervals: pd.DataFrame, rows: pd.DataFrame) -> _ProfileYear:
    """The intraday profile of the 12 months up to the last interval row."""
    # The past year = the 12 months up to the last interval row, so a partial latest
    # fiscal year still gives a full seasonal mix.
    last = rows["contact_date"].max()
    first = last - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    period = f"{first.date().isoformat()} to {last.date().isoformat()}"
    dates = pd.to_datetime(intervals["contact_date"]).dt.normalize()
    recent = intervals[(dates >= first) & (dates <= last)]
    profile = intraday_profile(recent)
    minutes = int(profile["interval_minutes"].iloc[0])
    note = (
        f"Intraday profile: share of calls offered by weekday and {minutes}-minute interval, "
        f"{period} (Avaya interval data)."
    )
    return _ProfileYear(profile, "intervals", period, recent, note)


def _flat_fallback(
    dataset: Dataset,
    channels: tuple[str, ...],
    fiscal_year_end: int,
    assumptions: StaffingAssumptions,
) -> tuple[pd.DataFrame, str]:
    """The flat profile over the opening hours, weekends only once the year has them."""
    prof = dataset.profile
    weights, left_out = _weekday_weights(dataset.contacts, channels)
    start = period_bounds(fiscal_year_end, "fiscal", prof.fiscal_year_start_month)[0]
    weekends = (
        bool(prof.service.weekends_from)
        and dt.date.fromisoformat(prof.service.weekends_from) <= start
    )
    equal = weights is None
    if weights is not None and not weekends:
        weights = {d: w for d, w in weights.items() if d < 5}
    profile = flat_profile(prof.service, weights, assumptions.flat_interval_minutes, weekends)
    shares = wording.weekday_shares_clause(channels, left_out, equal=equal)
    note = (
        "No interval data: calls spread evenly over the opening hours "
        f"({prof.service.open_hour}:00-{prof.service.close_hour}:00), {shares}. Real calls peak "
        "mid-morning, so peak staffing is understated."
    )
    return profile, note


def _weekday_weights(
    contacts: pd.DataFrame, channels: tuple[str, ...]
) -> tuple[dict[int, float] | None, list[str]]:
    """Calls per weekday over the last 12 months of daily counts, and the monthly totals left out.

    ``None`` (equal shares of the open weekdays) when there is no daily count: a month's total
    dated the first of its month would give all its calls to one weekday.
    """
    part = contacts[contacts["channel"].isin(channels)]
    if part.empty:
        return dict.fromkeys(range(7), 1.0), []
    part, left_out = daily_rows(part, "Weekday shares need")
    if part.empty:
        return None, left_out
    # Only the last 12 months: older years may predate a change of opening days.
    dates = pd.to_datetime(part["contact_date"])
    recent = dates > dates.max() - pd.DateOffset(years=1)
    part, dates = part[recent], dates[recent]
    weekday = dates.dt.day_of_week
    sums = part.groupby(weekday)["count"].sum()
    return {int(d): float(v) for d, v in sums.items()}, left_out


def _handle_time(
    recent: pd.DataFrame | None, assumptions: StaffingAssumptions
) -> tuple[float, str, str]:
    """(handle time, ``data`` or ``parameter``, the note): the data's, else the assumption's."""
    aht = handle_time_seconds(recent) if recent is not None and not recent.empty else None
    if aht is not None:
        return (
            aht,
            "data",
            f"Handle time: {aht:.0f} s = (ACD time + after-call work) / ACD calls in the data.",
        )
    if assumptions.aht_seconds is not None:
        aht = positive("handle time (AHT) seconds", assumptions.aht_seconds)
        return (
            aht,
            "parameter",
            f"Handle time: {aht:.0f} s given as a parameter (the data has no ACD time).",
        )
    raise InputError(
        None, "the data has no ACD time to derive handle time from; give --aht-seconds"
    )


def _comparison(
    year: _ProfileYear, aht: float, assumptions: StaffingAssumptions
) -> tuple[pd.DataFrame, str | None]:
    """Staffed vs needed over the profile's year; only interval data has staffed time."""
    if year.source != "intervals":
        return pd.DataFrame(), None
    comparison = staffed_vs_needed(year.recent, aht, assumptions)
    if comparison.empty:
        return comparison, "The interval data has no staffed time: no staffed-vs-needed comparison."
    return comparison, None


def _patience(recent: pd.DataFrame | None) -> tuple[float | None, str | None]:
    """Callers' mean patience and its note, when the interval data has queue times."""
    patience = patience_seconds(recent) if recent is not None and not recent.empty else None
    if patience is None:
        return None, None
    note = (
        f"Callers' mean patience: {patience:.0f} s (time in queue / abandoned calls); the grid "
        "uses Erlang C, which assumes nobody hangs up and so errs towards more agents."
    )
    return patience, note
