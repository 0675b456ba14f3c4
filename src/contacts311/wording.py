"""The sentences the reports print: chart titles, notes, projection and undercount sentences.

Measures and models compute the numbers; this module turns numbers into words, so that every
sentence a reader sees can be found (and reworded) in one place. Nothing here computes a figure
a report states: at most it picks which of the given rows a sentence is about.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_FORECAST_SOURCE",
    "GROWTH_METHODS",
    "ILLUSTRATIVE_FORECAST_NOTE",
    "MIXED_VINTAGES_NOTE",
    "NO_CONTACTS_NOTE",
    "NO_FORECAST_NOTE",
    "PARTIAL_PERIODS_NOTE",
    "average_growth_note",
    "headline_statement",
    "missing_population_note",
    "needs_daily_note",
    "nothing_counted_note",
    "nothing_counted_sentence",
    "plan_alignment_statement",
    "plan_title",
    "population_index_title",
    "population_rule_note",
    "projection_interval_text",
    "projection_model_text",
    "projection_sentence",
    "projection_title",
    "seasonal_title",
    "share_title",
    "to_date_label",
    "to_date_note",
    "to_date_sentence",
    "trend_title",
    "undercount_method",
    "undercount_sentence",
    "weekday_shares_clause",
]


# --------------------------------------------------------------------------------------------
# Totals and growth
# --------------------------------------------------------------------------------------------


def headline_statement(period: str | None, is_partial: bool) -> str:
    """What the headline figure is, in one sentence.

    Args:
        period: The headline's period label, ``None`` when the data holds no contacts.
        is_partial: Whether the period is partial (the data holds no complete period).
    """
    if period is None:
        return "The exports hold no counted contacts, so there is no headline figure."
    if not is_partial:
        return f"{period} is the latest complete period in the data."
    return (
        f"The data holds no complete period: {period} is partial (it has not ended, "
        "or months of its exports are missing), so its figure is a count to date, not a "
        "full-period total."
    )


def trend_title(totals: pd.DataFrame, column: str = "total") -> str:
    """A chart title stating the finding across the complete periods, in words.

    Args:
        totals: Output of :func:`~contacts311.measures.period_totals`.
        column: ``total`` or a channel.

    Returns:
        ``Contacts rose from A in P1 to B in P2`` (or ``fell`` / ``held at``) with two or more
        complete periods; with one or none, a sentence saying so instead of a comparison.
    """
    if totals.empty:
        return "No contacts counted in the exports"
    complete = totals[~totals["is_partial"].astype(bool)]
    if complete.empty:
        row = totals.iloc[-1]
        return f"{int(row[column]):,} contacts so far in {row['period']}; no complete period yet"
    last = complete.iloc[-1]
    if len(complete) == 1:
        return f"{int(last[column]):,} contacts in {last['period']}, the only complete period"
    first = complete.iloc[0]
    a, b = int(first[column]), int(last[column])
    if a == b:
        return f"Contacts held at {b:,} from {first['period']} to {last['period']}"
    verb = "rose" if b > a else "fell"
    return f"Contacts {verb} from {a:,} in {first['period']} to {b:,} in {last['period']}"


def to_date_note(totals: pd.DataFrame) -> str:
    """Why there is no "to date" comparison, when :func:`~contacts311.measures.partial_period_comparison` is empty.

    Args:
        totals: Output of :func:`~contacts311.measures.period_totals`.

    Returns:
        One sentence: the latest period is complete, or it is partial with no earlier period
        in the data to compare it with, or the data holds no contacts.
    """
    if totals.empty:
        return "The exports hold no counted contacts."
    last = totals.iloc[-1]
    if not bool(last["is_partial"]):
        return f"The latest period in the data, {last['period']}, is complete."
    return (
        f"{last['period']} is partial and the data holds no earlier period, so there is no "
        "same-span comparison with a year before."
    )


def share_title(shares: pd.DataFrame) -> str:
    """A chart title stating how the main channel's share moved across the complete periods.

    Args:
        shares: Output of :func:`~contacts311.measures.channel_shares`.

    Returns:
        ``Phone's share of contacts went from 85% in P1 to 80% in P2`` (``held at 85%`` when the
        rounded shares are equal); a neutral title with fewer than two complete periods.
    """
    complete = shares[~shares["is_partial"].astype(bool) & shares["share_pct"].notna()]
    periods = list(dict.fromkeys(complete["period"]))
    if complete.empty or len(periods) < 2:
        return "Each channel's share of contacts per fiscal year"
    main = str(complete["channel"].iloc[0])
    name = main.replace("_", " ").capitalize()
    first, last = periods[0], periods[-1]
    pick = complete.set_index(["period", "channel"])["share_pct"]
    a, b = round(float(pick[(first, main)])), round(float(pick[(last, main)]))
    if a == b:
        return f"{name}'s share of contacts held at {b}% from {first} to {last}"
    return f"{name}'s share of contacts went from {a}% in {first} to {b}% in {last}"


def to_date_label(
    period: str,
    start: dt.date,
    through: dt.date,
    previous_period: str,
    previous_start: dt.date,
    previous_through: dt.date,
) -> str:
    """The label of a to-date comparison: which span of which period against which."""
    return (
        f"{period} to date ({start:%d %b %Y} - {through:%d %b %Y}) vs the same span "
        f"of {previous_period} ({previous_start:%d %b %Y} - {previous_through:%d %b %Y})"
    )


def to_date_sentence(
    label: str, current: int, previous: int, growth_pct: float, previous_complete: bool
) -> str:
    """The to-date comparison in one sentence, or why its growth cannot be given.

    Args:
        label: :func:`to_date_label` of the comparison.
        current: Contacts in the current span.
        previous: Contacts in the same span a year earlier.
        growth_pct: Growth in percent (NaN when not comparable).
        previous_complete: Whether every month of the earlier span has data.
    """
    if not pd.isna(growth_pct):
        pct = f"{growth_pct:+.1f}%"
    elif not previous_complete:
        pct = "not comparable (a month of the earlier span has no data)"
    else:
        pct = "not comparable (no contacts in the earlier span)"
    return f"{label}: {current:,} vs {previous:,} contacts, {pct}."


#: What each of :func:`~contacts311.measures.average_growth`'s figures is.
GROWTH_METHODS = {
    "mean_yoy_pct": "mean of the year-over-year growth rates between adjacent complete periods",
    "cagr_pct": "compound annual growth rate from the first to the last complete period",
    "loglinear_pct": "OLS of log(contacts) on year over the complete periods: growth = exp(slope) - 1, 95% CI",
}

NO_CONTACTS_NOTE = "No contacts were read, so there are no periods."


# Ledger reasons are named as the ledger names them, except the counted rows that gave no contact.
_REASON_WORDS = {"count_zero": "with a count of 0"}


def nothing_counted_sentence(
    rows_read: int, reasons: Sequence[tuple[str, int]], shown: int = 3
) -> str:
    """Rows were read but none counted: how many, and the main reasons they were left out.

    Args:
        rows_read: Rows read from the exports.
        reasons: ``(ledger reason, rows)``, most rows first
            (:func:`~contacts311.ledger.uncounted_reasons`).
        shown: How many reasons to name; the others are summed.

    Examples:
        >>> nothing_counted_sentence(1204, [("not_answered", 1100), ("outbound", 104)])
        'read 1,204 rows but counted none: 1,100 not_answered, 104 outbound'
    """
    parts = [f"{n:,} {_REASON_WORDS.get(reason, reason)}" for reason, n in reasons[:shown]]
    rest = reasons[shown:]
    if rest:
        others = "reason" if len(rest) == 1 else "reasons"
        parts.append(f"{sum(n for _, n in rest):,} for {len(rest)} other {others}")
    noun = "row" if rows_read == 1 else "rows"
    said = f"read {rows_read:,} {noun} but counted none"
    return f"{said}: {', '.join(parts)}" if parts else said


def nothing_counted_note(rows_read: int, reasons: Sequence[tuple[str, int]]) -> str:
    """:func:`nothing_counted_sentence` as a report note, for the summary that has no periods."""
    sentence = nothing_counted_sentence(rows_read, reasons)
    return f"{sentence[0].upper()}{sentence[1:]}, so there are no periods (see the ledger)."


PARTIAL_PERIODS_NOTE = (
    "Partial periods (not ended or with a month missing) are not compared with complete ones."
)


def average_growth_note(complete_periods: Sequence[str]) -> str:
    """How the average growth figures were computed, over which complete periods."""
    return (
        "Average growth over the complete periods ("
        + (", ".join(complete_periods) or "none")
        + "): mean of year-over-year rates; compound annual growth rate first to last; "
        "log-linear OLS trend with 95% CI."
    )


# --------------------------------------------------------------------------------------------
# Population
# --------------------------------------------------------------------------------------------


MIXED_VINTAGES_NOTE = (
    "The population figures mix vintages; growth between years of different vintages "
    "includes the Census Bureau's revision."
)


def population_rule_note(year_of_period: str, area: str, vintages: Sequence[str]) -> str:
    """Which population estimate a fiscal year uses, for which area, from which vintages."""
    when = "starts" if year_of_period == "start" else "ends"
    return (
        f"Population of a fiscal year = the 1 July estimate of the year it {when} in "
        f"(population.year_of_period: {year_of_period}); {area}; "
        f"{', '.join(vintages)}."
    )


def missing_population_note(years: Iterable[int]) -> str:
    """The years with no population estimate (their periods' population fields are null)."""
    return (
        "No population estimate for "
        + ", ".join(str(y) for y in sorted(set(years)))
        + ": those periods' population fields are null."
    )


def population_index_title(
    contacts_index_last: float, population_index_last: float, base_period: str
) -> str:
    """A chart title: how much contacts and population grew since the base period."""
    return (
        f"Contacts grew {contacts_index_last - 100:+.0f}% since {base_period}; "
        f"population {population_index_last - 100:+.1f}%"
    )


# --------------------------------------------------------------------------------------------
# Plan
# --------------------------------------------------------------------------------------------


NO_FORECAST_NOTE = "Forecast and variance are null: no plan forecast file (fiscal_year,forecast_contacts) was read."
ILLUSTRATIVE_FORECAST_NOTE = "The plan forecast is labelled illustrative in its source file."
#: How a chart credits a plan forecast whose table carries no note of its own.
DEFAULT_FORECAST_SOURCE = "implementation plan table supplied by the analyst"


def plan_alignment_statement(
    periods_compared: int,
    mape_pct: float | None,
    max_abs_pct_error: float | None,
    aligns_closely: bool | None,
    tolerance_pct: float,
) -> str:
    """Whether the actuals align closely with the plan, in one sentence.

    Args:
        periods_compared: Complete periods with a forecast (0: no comparison).
        mape_pct: Mean absolute percentage error.
        max_abs_pct_error: The worst period's absolute percentage error.
        aligns_closely: Whether every period is within the tolerance.
        tolerance_pct: ``profile.plan_tolerance_pct``.
    """
    if not periods_compared:
        return "No complete period has a plan forecast to compare with."
    return (
        f"Over {periods_compared} complete period(s) the actuals were on average {mape_pct:.1f}% "
        f"from the plan (worst {max_abs_pct_error:.1f}%); they "
        f"{'align' if aligns_closely else 'do not align'} closely under a "
        f"tolerance of {tolerance_pct:g}%."
    )


def plan_title(mape_pct: float, max_abs_pct_error: float) -> str:
    """A chart title: how far the actuals were from the plan."""
    return f"Actuals were {mape_pct:.1f}% from the plan on average (worst {max_abs_pct_error:.1f}%)"


# --------------------------------------------------------------------------------------------
# Projection and seasonality
# --------------------------------------------------------------------------------------------


def projection_sentence(period: str, mean: float, lower: float, upper: float, level: float) -> str:
    """A projected total with its prediction interval, in one sentence."""
    return (
        f"{period}: projected {mean:,.0f} contacts "
        f"({level:.0%} interval {lower:,.0f}–{upper:,.0f})."
    )


def projection_title(period: str, mean: float) -> str:
    """A chart title: the projected total of a period."""
    return f"{period} is projected at {mean:,.0f} contacts"


def projection_model_text(
    model: str,
    months: int,
    first_month: pd.Timestamp,
    last_month: pd.Timestamp,
    candidates: int,
    params: str,
) -> str:
    """The selected model and how it was chosen, in one sentence.

    Args:
        model: The model's name (``ETS(A,Ad,N)``).
        months: Monthly totals it was fitted on.
        first_month: The first of them.
        last_month: The last of them.
        candidates: How many candidate models were compared.
        params: Its smoothing parameters as text (``α=0.50, β=0.10``), may be empty.
    """
    return (
        f"{model} fitted to {months} monthly totals "
        f"({first_month:%b %Y}–{last_month:%b %Y}), lowest AICc of {candidates} candidates"
        + (f"; {params}" if params else "")
        + "."
    )


def projection_interval_text(level: float, simulations: int) -> str:
    """How a projection's interval was computed, in one sentence."""
    return (
        f"{level:.0%} interval from {simulations:,} simulated paths of the fitted model, each "
        "summed over the period's months (observed months added as known); parameter "
        "uncertainty is not included."
    )


def seasonal_title(peak: str, low: str) -> str:
    """A chart title: the months with the highest and lowest seasonal effect."""
    return f"Contacts peak in {peak} and are lowest in {low}"


# --------------------------------------------------------------------------------------------
# Undercount
# --------------------------------------------------------------------------------------------


def undercount_method(
    channels: Iterable[str],
    window: int,
    flag_ratio: float,
    low_quantile: float,
    min_expected: float,
    low_rule: str,
    with_events: bool,
) -> str:
    """How the undercount was estimated, in a few sentences (see ``models.undercount_days``)."""
    names = ", ".join(c.replace("_", "-") for c in channels)
    if low_rule == "zero_days":
        low = (
            "only days with no contacts at all, each missing the "
            f"{low_quantile:.0%} quantile of its neighbours"
        )
    else:
        low = (
            f"every flagged day, missing the {low_quantile:.0%} quantile of its neighbours "
            "minus its count"
        )
    events = (
        "Low days during a listed event (storm, closure) are excused, not counted as missed. "
        if with_events
        else ""
    )
    return (
        f"Hand-logged channels ({names}): each open day on the service calendar is compared with "
        f"the median of the same weekday on the {2 * window} nearest open weeks. Days below "
        f"{flag_ratio:.0%} of that median (when it is at least {min_expected:g}) are flagged. "
        f"Low estimate: {low}; high estimate: every flagged day, missing the median minus its "
        f"count. {events}Closures the calendar does not know (e.g. snow days) would be read as "
        "missed logging."
    )


def undercount_sentence(table: pd.DataFrame, period: str | int | None = None) -> str:
    """The undercount of one period in words: "likely undercounted by X–Y contacts (a–b%)".

    Args:
        table: The output of :func:`~contacts311.models.undercount`.
        period: A period label (``FY 2023-24``) or key (2024); default the latest period.

    Returns:
        One sentence. Percentages are of all contacts counted in the period (``period_total``).

    Raises:
        ValueError: ``table`` is empty or has no such period.
    """
    if table.empty:
        raise ValueError("the undercount table is empty")
    if period is None:
        key = int(table["period_key"].max())
        rows = table[table["period_key"] == key]
    elif isinstance(period, int | np.integer):
        rows = table[table["period_key"] == int(period)]
    else:
        rows = table[table["period"].astype("str") == str(period)]
    if rows.empty:
        raise ValueError(f"no period {period!r} in the undercount table")
    label = str(rows["period"].iloc[0])
    total = int(rows["period_total"].iloc[0])
    low, high = int(rows["missed_low"].sum()), int(rows["missed_high"].sum())
    flagged = int(rows["flagged_days"].sum())
    words = [c.replace("_", "-") for c in rows["channel"].astype("str").unique()]
    names = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    if high == 0:
        return (
            f"{label}: no sign of missed hand-logged contacts ({names}): no open day had zero or "
            "unusually few contacts."
        )
    low_pct = 100 * low / total if total else math.nan
    high_pct = 100 * high / total if total else math.nan
    day_word = "day" if flagged == 1 else "days"
    return (
        f"{label}: likely undercounted by {low:,}–{high:,} contacts "
        f"({low_pct:.1f}–{high_pct:.1f}% of the {total:,} counted); {flagged} open {day_word} "
        f"had zero or unusually few hand-logged {names} contacts."
    )


# --------------------------------------------------------------------------------------------
# Measures that need days, and monthly totals
# --------------------------------------------------------------------------------------------


def needs_daily_note(
    needs: str,
    channel: str,
    months: int,
    first: str,
    last: str,
    *,
    has_days: bool,
    left_out: bool = True,
) -> str:
    """Why a measure that needs days does not use a channel's monthly totals, in one sentence.

    Args:
        needs: The measure and its verb, such as ``"Spikes need"``.
        channel: The channel with monthly totals.
        months: How many months it has as totals.
        first: The first of those months (``2019-07``).
        last: The last of them.
        has_days: Whether the channel also has days' counts (in other months).
        left_out: The measure goes on without the totals (else it stops: weekly totals).

    Returns:
        "Spikes need daily data; email is monthly (12 months, 2019-07 to 2020-06).", or with
        days as well "...; email's 12 monthly rows (2019-07 to 2020-06) are left out.".
    """
    span = first if first == last else f"{first} to {last}"
    name = channel.replace("_", "-")
    word = "month" if months == 1 else "months"
    if not has_days:
        return f"{needs} daily data; {name} is monthly ({months} {word}, {span})."
    if not left_out:
        return f"{needs} daily data; {name} has monthly totals for {months} {word} ({span})."
    rows = "row" if months == 1 else "rows"
    verb = "is" if months == 1 else "are"
    return f"{needs} daily data; {name}'s {months} monthly {rows} ({span}) {verb} left out."


def weekday_shares_clause(channels: Sequence[str], notes: Sequence[str], *, equal: bool) -> str:
    """Where the flat staffing profile's weekday shares come from, as a clause.

    Args:
        channels: The staffed channels.
        notes: :func:`needs_daily_note` sentences for monthly totals left out of the shares.
        equal: No daily count was left, so every open weekday has the same share.

    Returns:
        "weekday shares from daily phone counts", with the notes in brackets when monthly
        totals were left out, or "equal weekday shares (Weekday shares need daily data; phone
        is monthly (12 months, 2023-07 to 2024-06))".
    """
    said = "; ".join(n.rstrip(".") for n in notes)
    base = (
        "equal weekday shares"
        if equal
        else f"weekday shares from daily {'/'.join(channels)} counts"
    )
    return f"{base} ({said})" if said else base
