"""How many contacts the sample counts: per month (calibrated), per channel, per day.

Each month's calibrated total is split into channels by its fiscal year's mix
(:func:`channel_percents`), which shifts as residents move from the phone and e-mail to the web
forms: phone has :data:`PHONE_PERCENT_FIRST_FY` percent of the contacts in FY 2020-21 and loses
:data:`PHONE_POINTS_PER_YEAR` points a year, e-mail :data:`EMAIL_PERCENT_FIRST_FY` percent
losing :data:`EMAIL_POINTS_PER_YEAR` points a year, in person keeps
:data:`IN_PERSON_PERCENT` percent and webform has the rest (2% in FY 2020-21, 10.5% in
FY 2025-26). FY 2023-24's mix (84.4% phone, 11.6% e-mail and webform) is close to the City's
March 2024 bulletin, which the sample reproduces exactly. Totals per month, and so per fiscal
year, stay calibrated.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Sequence

from contacts311.sample.dates import START_DATE, fy_end_year, month_end, month_iter, open_days

CHANNELS = ("phone", "email", "webform", "in_person")
#: Phone's percent of the contacts in FY 2020-21.
PHONE_PERCENT_FIRST_FY = 88.0
#: Percentage points phone's share loses each fiscal year after FY 2020-21 ...
PHONE_POINTS_PER_YEAR = 1.2
#: ... down to this percent at least.
PHONE_PERCENT_MIN = 60.0
#: E-mail's percent of the contacts in FY 2020-21.
EMAIL_PERCENT_FIRST_FY = 6.0
#: Percentage points e-mail's share loses each fiscal year after FY 2020-21 ...
EMAIL_POINTS_PER_YEAR = 0.5
#: ... down to this percent at least (e-mail never quite disappears).
EMAIL_PERCENT_MIN = 1.0
#: In person's percent of the contacts, every fiscal year.
IN_PERSON_PERCENT = 4.0
# Monday..Sunday; weekends are quieter once they are open at all.
_WEEKDAY_WEIGHTS = (1.2, 1.1, 1.05, 1.0, 0.9, 0.45, 0.35)
# January is index 0. Mild seasonality: the holidays are quiet, late spring is busy.
_SEASON = (1.0, 1.0, 1.05, 1.0, 1.05, 1.05, 1.0, 1.0, 1.0, 1.0, 0.92, 0.88)
_GROWTH_PER_YEAR = 0.18
# Ice storm, news spike and the February 2021 storm: multipliers on the day weights per channel.
_SPIKES: dict[tuple[dt.date, dt.date], dict[str, float]] = {
    (dt.date(2021, 2, 16), dt.date(2021, 2, 17)): {"phone": 1.5, "webform": 1.3},
    (dt.date(2022, 10, 20), dt.date(2022, 10, 21)): {"phone": 1.5, "webform": 1.8, "email": 1.3},
    (dt.date(2024, 1, 13), dt.date(2024, 1, 17)): {
        "phone": 2.2,
        "email": 1.5,
        "webform": 1.5,
        "in_person": 0.3,
    },
}
_GAP_SHARE = 0.02  # share of open days on which email or in-person tickets were not logged
_GAP_FACTOR = 0.15  # what share of the normal volume still got logged on such a day


def allocate_largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` that add up to ``total`` exactly.

    Each part gets the floor of its quota; the units left over go to the largest fractional
    remainders (ties to the earlier position), so the result is deterministic.

    Args:
        total: A non-negative integer to split.
        weights: Non-negative weights, at least one positive when ``total`` > 0.

    Returns:
        One integer per weight, summing to ``total``.

    Raises:
        ValueError: A negative total or weight, or only zero weights for a positive total.

    Examples:
        >>> allocate_largest_remainder(10, [1, 1, 1])
        [4, 3, 3]
    """
    if total < 0:
        raise ValueError(f"total must be >= 0, got {total}")
    if any(w < 0 for w in weights):
        raise ValueError("weights must be >= 0")
    weight_sum = float(sum(weights))
    if total == 0 or not weights:
        if total and not weights:
            raise ValueError("cannot allocate a positive total to no weights")
        return [0] * len(weights)
    if weight_sum <= 0:
        raise ValueError("cannot allocate a positive total to zero weights")
    quotas = [total * w / weight_sum for w in weights]
    parts = [math.floor(q) for q in quotas]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def _calibration(last_fy_end: int) -> list[tuple[list[tuple[int, int]], int]]:
    """Groups of months and their exact counted total (published figures where they exist)."""

    def span(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[int, int]]:
        return month_iter(dt.date(a[0], a[1], 1), dt.date(b[0], b[1], 1))

    groups = [
        (span((2020, 7), (2021, 6)), 95_000),
        (span((2021, 7), (2021, 12)), 55_000),
        (span((2022, 1), (2022, 6)), 65_000),
        (span((2022, 7), (2022, 12)), 77_350),  # calendar 2022: "over 142,000"
        ([(2023, 1)], 12_004),
        ([(2023, 2)], 11_244),
        ([(2023, 3)], 13_824),
        (span((2023, 4), (2023, 6)), 45_500),  # calendar 2023: "nearly 170,000"
        (span((2023, 7), (2023, 12)), 86_938),  # 181,798 - Jan-Jun 2024 (94,860)
        ([(2024, 1)], 13_723),
        ([(2024, 2)], 13_649),
        ([(2024, 3)], 14_974),
        (span((2024, 4), (2024, 6)), 52_514),  # Jan-Jun 2024 = 113,833 / 1.2 = 94,860
        ([(2024, 7), (2024, 8), (2024, 10), (2024, 11), (2024, 12)], 90_808),
        ([(2024, 9)], 22_133),
        (span((2025, 1), (2025, 4)), 67_547),
        ([(2025, 5)], 23_815),
        ([(2025, 6)], 22_471),
        (span((2025, 7), (2026, 6)), 250_000),
    ]
    total, year = 250_000, 2026
    while year < last_fy_end:
        total = round(total * 1.2)
        groups.append((span((year, 7), (year + 1, 6)), total))
        year += 1
    return groups


def monthly_targets(end_date: dt.date) -> dict[tuple[int, int], int]:
    """Counted contacts per (year, month) for whole months from July 2020 to ``end_date``'s month.

    Months inside a calibration group share its exact total by largest remainder, weighted by
    the month's weighted open days, a growth trend of about 20% a year and mild seasonality.
    """
    groups = _calibration(fy_end_year(end_date))
    # The calibration groups run to June 2026 at least, whatever the end date.
    last_month = max(ym for group, _ in groups for ym in group)
    months = month_iter(START_DATE, dt.date(last_month[0], last_month[1], 1))
    days = open_days(START_DATE, month_end(*last_month))
    day_weight: dict[tuple[int, int], float] = defaultdict(float)
    for d in days:
        day_weight[(d.year, d.month)] += _WEEKDAY_WEIGHTS[d.weekday()]
    targets: dict[tuple[int, int], int] = {}
    for group, total in groups:
        weights = []
        for y, m in group:
            years = (y - 2020) + (m - 7) / 12
            weights.append(day_weight[(y, m)] * math.exp(_GROWTH_PER_YEAR * years) * _SEASON[m - 1])
        for ym, n in zip(group, allocate_largest_remainder(total, weights), strict=True):
            targets[ym] = n
    last = (end_date.year, end_date.month)
    return {ym: targets[ym] for ym in months if ym <= last}


def channel_percents(fy_end: int) -> dict[str, float]:
    """Each channel's percent of a fiscal year's contacts (one decimal; they add up to 100).

    Args:
        fy_end: The fiscal year, by the calendar year it ends in (2021 is FY 2020-21).

    Returns:
        ``{"phone", "email", "webform", "in_person"}``: phone and e-mail lose their points a
        year from FY 2020-21 (down to their minimum), in person keeps its percent, webform
        has the rest.

    Examples:
        >>> channel_percents(2021)
        {'phone': 88.0, 'email': 6.0, 'webform': 2.0, 'in_person': 4.0}
        >>> channel_percents(2024)
        {'phone': 84.4, 'email': 4.5, 'webform': 7.1, 'in_person': 4.0}
    """
    years = fy_end - fy_end_year(START_DATE)
    phone = max(PHONE_PERCENT_FIRST_FY - PHONE_POINTS_PER_YEAR * years, PHONE_PERCENT_MIN)
    email = max(EMAIL_PERCENT_FIRST_FY - EMAIL_POINTS_PER_YEAR * years, EMAIL_PERCENT_MIN)
    # Rounded to one decimal: 88 - 1.2 * 3 is 84.39999... in floating point.
    phone, email = round(phone, 1), round(email, 1)
    webform = round(100 - phone - email - IN_PERSON_PERCENT, 1)
    return {"phone": phone, "email": email, "webform": webform, "in_person": IN_PERSON_PERCENT}


def _channel_split(ym: tuple[int, int], total: int) -> dict[str, int]:
    percents = channel_percents(fy_end_year(dt.date(ym[0], ym[1], 1)))
    if ym == (2024, 3):
        # The City's bulletin: phone 12,698; email (+ webform) 1,634; walk-in 642. The e-mail
        # and webform contacts are split as the fiscal year's mix splits them.
        email, webform = allocate_largest_remainder(1_634, [percents["email"], percents["webform"]])
        return {"phone": 12_698, "email": email, "webform": webform, "in_person": 642}
    parts = allocate_largest_remainder(total, [percents[c] for c in CHANNELS])
    return dict(zip(CHANNELS, parts, strict=True))


def _day_weight(day: dt.date, channel: str) -> float:
    if channel == "in_person" and day.weekday() >= 5:
        return 0.0  # the front desk is open on weekdays only
    w = _WEEKDAY_WEIGHTS[day.weekday()]
    for (a, b), factors in _SPIKES.items():
        if a <= day <= b:
            w *= factors.get(channel, 1.0)
    return w


def daily_targets(end_date: dt.date, seed: int = 311) -> tuple[dict, dict]:
    """Counted and missed contacts per (local date, channel), from July 2020 to ``end_date``.

    Each month's target is split into channels, then each channel into open days by weekday
    weights and spikes (largest remainder). On about 2% of open days email or in-person tickets
    were "not logged": those days keep 15% of their weight and the rest is recorded as missed.

    Returns:
        ``(counted, missed)``: dicts keyed by ``(date, channel)``; zero entries are left out.
    """
    rnd = random.Random(f"{seed}-gaps")
    counted: dict[tuple[dt.date, str], int] = {}
    missed: dict[tuple[dt.date, str], int] = {}
    targets = monthly_targets(end_date)
    for (y, m), total in targets.items():
        days = open_days(dt.date(y, m, 1), month_end(y, m))
        gaps: dict[dt.date, str] = {}
        for d in days:
            if rnd.random() < _GAP_SHARE:
                gaps[d] = "in_person" if d.weekday() < 5 and rnd.random() < 0.5 else "email"
        for channel, n in _channel_split((y, m), total).items():
            normal = [_day_weight(d, channel) for d in days]
            weights = [
                w * (_GAP_FACTOR if gaps.get(d) == channel else 1.0)
                for d, w in zip(days, normal, strict=True)
            ]
            parts = allocate_largest_remainder(n, weights)
            normal_sum = sum(normal)
            for d, part, w in zip(days, parts, normal, strict=True):
                if d > end_date:
                    continue
                if part:
                    counted[(d, channel)] = part
                if gaps.get(d) == channel:
                    expected = round(n * w / normal_sum)
                    missed[(d, channel)] = max(1, expected - part)
    return counted, missed
