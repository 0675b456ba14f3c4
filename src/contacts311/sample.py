"""Deterministic synthetic sample data: raw exports that look like PDX 311's, plus ground truth.

The sample spans 1 July 2020 to ``end_date`` and follows ``docs/formats.md`` exactly: Avaya CMS
Supervisor reports (FY 2020-21 to FY 2022-23) and ``hsplit`` interval dumps (from July 2023) for
phone; Zendesk Support CSV exports (to September 2023) and incremental NDJSON exports (from August
2023, overlapping the CSV by two months) for email, webform and in-person tickets; and the
reference tables (plan forecast, events, population). Every name, e-mail address and phone number
is fake (``example.org``, ``(503) 555-01xx``).

Counted totals are calibrated to the published PDX 311 figures (FY 2023-24 = 181,798,
FY 2024-25 = 226,774 and the monthly figures of the City's bulletins) and written to
``_truth/ground_truth.csv``, with the expected ledger per file and the contacts the manual
tracking "missed". The same seed and end date always give byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

__all__ = [
    "FIRST_NAMES",
    "LAST_NAMES",
    "SKILLS",
    "START_DATE",
    "SampleSummary",
    "allocate_largest_remainder",
    "daily_targets",
    "fake_pii_markers",
    "monthly_targets",
    "open_days",
    "write_sample",
]

START_DATE = dt.date(2020, 7, 1)
WEEKENDS_FROM = dt.date(2023, 7, 1)
#: CMS Supervisor reports until June 2023, ``hsplit`` interval dumps from July 2023.
HSPLIT_FROM = dt.date(2023, 7, 1)
#: Local creation dates: the CSV export holds tickets up to this date, NDJSON from INCREMENTAL_FROM.
CSV_UNTIL = dt.date(2023, 9, 30)
INCREMENTAL_FROM = dt.date(2023, 8, 1)
TZ = ZoneInfo("America/Los_Angeles")
UTC = dt.UTC

SKILLS = {1: "PDX311 General", 2: "PDX311 Espanol", 3: "PDX311 Callback"}
_SKILL_SHARES = (0.80, 0.12, 0.08)
CHANNELS = ("phone", "email", "webform", "in_person")
_CHANNEL_SHARES = (0.85, 0.07, 0.04, 0.04)
# Monday..Sunday; weekends are quieter once they are open at all.
_WEEKDAY_WEIGHTS = (1.2, 1.1, 1.05, 1.0, 0.9, 0.45, 0.35)
# January is index 0. Mild seasonality: the holidays are quiet, late spring is busy.
_SEASON = (1.0, 1.0, 1.05, 1.0, 1.05, 1.05, 1.0, 1.0, 1.0, 1.0, 0.92, 0.88)
_GROWTH_PER_YEAR = 0.18

FIRST_NAMES = (
    "Avery", "Jordan", "Rowan", "Emerson", "Harper", "Marisol", "Tobias", "Keiko", "Dmitri",
    "Lucia", "Anselm", "Priya", "Wendell", "Isolde", "Mateo", "Ngozi", "Thaddeus", "Yesenia",
    "Corwin", "Linnea",
)  # fmt: skip
LAST_NAMES = (
    "Quinlan", "Ashgrove", "Pellworth", "Okonkwo-Reyes", "Vandermolen", "Tsukada", "Brannigan",
    "Esquivel", "Holloway", "Marchetti", "Lindqvist", "Abernathy", "Castellano", "Fairweather",
    "Nakashima", "Oyelaran", "Winterbourne", "Delacroix-Ng", "Hargreave", "Soderberg",
)  # fmt: skip
_TOPICS = (
    "Pothole on SE Foster Rd", "Abandoned vehicle", "Graffiti on retaining wall",
    "Missed garbage pickup", "Streetlight out", "Tree down blocking sidewalk", "Water bill question",
    "Noise complaint", "Illegal dumping", "Parking permit renewal", "Sewer smell",
    "Campsite cleanup request", "Sidewalk repair", "Park restroom closed", "Business license question",
)  # fmt: skip

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
_EVENTS = (
    ("2021-02-16", "2021-02-17", "February 2021 ice storm aftermath (sample: small phone spike)"),
    ("2022-08-01", "2022-08-01", "Hours extended to 7am-8pm Monday-Friday"),
    ("2022-10-20", "2022-10-21", "News story about 311 (sample: news spike)"),
    ("2023-07-01", "2023-07-01", "Start of weekend service: 7am-8pm daily"),
    ("2023-08-01", "2023-08-01", "Zendesk incremental export replaces the Support CSV export"),
    ("2024-01-13", "2024-01-17", "January 2024 ice storm"),
)
_POPULATION = (
    (2020, 816_514, "Vintage 2023"),
    (2021, 805_319, "Vintage 2023"),
    (2022, 794_563, "Vintage 2023"),
    (2023, 794_271, "Vintage 2024"),
    (2024, 795_897, "Vintage 2024"),
)
_GAP_SHARE = 0.02  # share of open days on which email or in-person tickets were not logged
_GAP_FACTOR = 0.15  # what share of the normal volume still got logged on such a day
_NOISE_SHARE = 0.035  # excluded tickets per counted ticket
_PHONE_TICKET_SHARE = 0.02  # phone/voicemail-type tickets per counted ticket
_CONTACT_TYPE_FIELD_ID = 360_004_411_911
_NEIGHBORHOOD_FIELD_ID = 360_004_411_912
_REP_GROUP_ID = 360_010_001
_OTHER_GROUP_IDS = (360_010_002, 360_010_003)
_REP_GROUP = "PDX311 Customer Service"

_CSV_COLUMNS = (
    "ID", "Requester", "Requester ID", "Requester external id", "Requester email",
    "Requester domain", "Submitter", "Assignee", "Group", "Subject", "Tags", "Status", "Priority",
    "Via", "Ticket type", "Created at", "Updated at", "Assigned at", "Organization", "Due date",
    "Initially assigned at", "Solved at", "Resolution time", "Satisfaction Score",
    "Group stations", "Assignee stations", "Reopens", "Replies",
    "First reply time in minutes", "First reply time in minutes within business hours",
    "First resolution time in minutes", "First resolution time in minutes within business hours",
    "Full resolution time in minutes", "Full resolution time in minutes within business hours",
    "Agent wait time in minutes", "Agent wait time in minutes within business hours",
    "Requester wait time in minutes", "Requester wait time in minutes within business hours",
    "On hold time in minutes", "On hold time in minutes within business hours",
    "Contact Type [list]",
)  # fmt: skip
_CSV_CONTACT_TYPE = {
    "email": "Email",
    "webform": "Webform",
    "in_person": "In-Person",
    "phone": "Phone",
}
_CSV_VIA = {
    "email": "Mail",
    "webform": "Web form",
    "in_person": "Web form",
    "phone": "Phone call (inbound)",
}
_API_VIA = {"email": "email", "webform": "web", "in_person": "web", "phone": "voice"}
_LEDGER_BASE = ["source_file", "rows_read", "counted", "duplicate", "excluded"]


@dataclass
class SampleSummary:
    """What :func:`write_sample` wrote.

    Attributes:
        out_dir: The folder written to.
        files: Every file written, relative to ``out_dir`` (POSIX paths, sorted).
        bytes: Total size of the files.
        contacts: Contacts counted under the bundled profile (the ground truth total).
        missed_contacts: Contacts left out of the exports by the manual-tracking gaps.
        by_fiscal_year: Counted contacts per fiscal year label (``FY 2023-24``).
        first_date: First day of the sample.
        end_date: Last day of the sample.
    """

    out_dir: Path
    files: list[str]
    bytes: int
    contacts: int
    missed_contacts: int
    by_fiscal_year: dict[str, int] = field(default_factory=dict)
    first_date: dt.date = START_DATE
    end_date: dt.date = dt.date(2026, 10, 31)


# ----------------------------------------------------------------------------- allocation helpers


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


def open_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Days the 311 phone lines are open between ``first`` and ``last`` (inclusive).

    Weekdays only before Saturday 1 July 2023, every day from then; closed on U.S. federal
    holidays (including observed days).
    """
    from contacts311.calendar import federal_holidays

    closed = federal_holidays(first, last)
    days = []
    day = first
    while day <= last:
        weekend = day.weekday() >= 5
        if day not in closed and (not weekend or day >= WEEKENDS_FROM):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _month_iter(first: dt.date, last: dt.date) -> list[tuple[int, int]]:
    months = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _month_end(y: int, m: int) -> dt.date:
    nxt = dt.date(y + 1, 1, 1) if m == 12 else dt.date(y, m + 1, 1)
    return nxt - dt.timedelta(days=1)


def _fy_end_year(d: dt.date) -> int:
    # Fiscal years run July to June and are numbered by the calendar year they end in.
    return d.year + (1 if d.month >= 7 else 0)


def _fy_label(end_year: int) -> str:
    return f"FY {end_year - 1}-{end_year % 100:02d}"


def _calibration(last_fy_end: int) -> list[tuple[list[tuple[int, int]], int]]:
    """Groups of months and their exact counted total (published figures where they exist)."""

    def span(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[int, int]]:
        return _month_iter(dt.date(a[0], a[1], 1), dt.date(b[0], b[1], 1))

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
    groups = _calibration(_fy_end_year(end_date))
    # The calibration groups run to June 2026 at least, whatever the end date.
    last_month = max(ym for group, _ in groups for ym in group)
    months = _month_iter(START_DATE, dt.date(last_month[0], last_month[1], 1))
    days = open_days(START_DATE, _month_end(*last_month))
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


def _channel_split(ym: tuple[int, int], total: int) -> dict[str, int]:
    if ym == (2024, 3):
        # The City's bulletin: phone 12,698; email (+ webform) 1,634; walk-in 642.
        email, webform = allocate_largest_remainder(1_634, [7, 4])
        return {"phone": 12_698, "email": email, "webform": webform, "in_person": 642}
    return dict(zip(CHANNELS, allocate_largest_remainder(total, _CHANNEL_SHARES), strict=True))


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
        days = open_days(dt.date(y, m, 1), _month_end(y, m))
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


def fake_pii_markers() -> list[str]:
    """Strings that mark the sample's fake personal data (full names, e-mail domain, phone prefix).

    None of them may appear in anything a loader returns.
    """
    names = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
    return ["example.org", "555-01", *names]


# ----------------------------------------------------------------------------- writing helpers


class _Writer:
    """Writes files under ``root`` deterministically and keeps the per-file ledger."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: list[str] = []
        self.ledger: dict[str, dict[str, int]] = {}

    def write(self, rel: str, text: str, compress: bool = False) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        if compress:
            # mtime=0 and no file name in the header: same input, same bytes.
            data = gzip.compress(data, compresslevel=9, mtime=0)
        path.write_bytes(data)
        self.files.append(rel)

    def record(
        self, rel: str, bucket: str, reason: str | None = None, rows: int = 1, contacts: int = 0
    ) -> None:
        entry = self.ledger.setdefault(rel, defaultdict(int))
        entry["rows_read"] += rows
        entry[bucket] += rows
        if reason:
            entry[f"excluded_{reason}"] += rows
        entry["contacts"] += contacts


def _csv_text(rows: list[list], delimiter: str = ",", lineterminator: str = "\n") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator)
    w.writerows(rows)
    return buf.getvalue()


def _hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


# ----------------------------------------------------------------------------- phone

_INTERVAL_STARTS = [7 * 60 + 30 * i for i in range(26)]  # 7:00 .. 19:30 local


def _intraday_shape() -> np.ndarray:
    hours = np.array([s / 60 + 0.25 for s in _INTERVAL_STARTS])
    # Peak late morning, a smaller early-afternoon shoulder, a quiet evening.
    shape = (
        np.exp(-((hours - 10.75) ** 2) / 4.5) + 0.55 * np.exp(-((hours - 14.0) ** 2) / 6.0) + 0.08
    )
    return shape / shape.sum()


def _phone_skill_days(counted: dict, end_date: dt.date, rng: np.random.Generator) -> dict:
    """Per (date, skill): acd, abandoned, acd time, acw time, answer time, staffed seconds."""
    out = {}
    for d in open_days(START_DATE, end_date):
        n = counted.get((d, "phone"), 0)
        split = rng.multinomial(n, _SKILL_SHARES)
        for skill, acd in zip(SKILLS, split, strict=True):
            acd = int(acd)
            abn = int(rng.poisson(acd * 0.06))
            talk = int(round(acd * rng.normal(270, 12))) if acd else 0
            acw = int(round(acd * rng.normal(62, 5))) if acd else 0
            agents = max(1, math.ceil((talk + acw) / (13 * 3600) / 0.7))
            out[(d, skill)] = {
                "acd": acd,
                "abn": abn,
                "talk": talk,
                "acw": acw,
                "ans": int(round(acd * rng.gamma(2.0, 9.0))),
                "abntime": int(round(abn * rng.normal(55, 8))) if abn else 0,
                "staffed": agents * 13 * 3600,
                "transferred": int(rng.binomial(acd, 0.03)),
            }
    return out


def _write_cms_reports(w: _Writer, days: dict) -> None:
    header = [
        "Date", "Split/Skill", "Split/Skill Name", "ACD Calls", "Aban Calls", "Calls Offered",
        "Avg Speed Ans", "ACD Time", "ACW Time", "Staffed Time",
    ]  # fmt: skip
    seen: set[tuple[dt.date, int]] = set()
    months = _month_iter(START_DATE, HSPLIT_FROM - dt.timedelta(days=1))
    for y, m in months:
        first, last = dt.date(y, m, 1), _month_end(y, m)
        if (y, m) == (2022, 3):
            first = dt.date(2022, 2, 22)  # re-exported with a week of February: duplicates
        comma = (y, m) == (2021, 11)
        rel = f"phone/cms_reports/311_multi_day_multi_skill_{y}-{m:02d}.{'csv' if comma else 'txt'}"
        rows: list[list] = [
            ["311 Multi-Day Multi-Skill"],
            ["Skills: 1, 2, 3"],
            [f"Dates: {first:%m/%d/%Y} - {last:%m/%d/%Y}"],
            [],
            header,
        ]
        sums = [0] * 5
        for d in sorted({k[0] for k in days if first <= k[0] <= last}):
            for skill, name in SKILLS.items():
                v = days[(d, skill)]
                asa = v["ans"] // v["acd"] if v["acd"] else 0
                rows.append([
                    f"{d:%m/%d/%Y}", skill, name, v["acd"], v["abn"], v["acd"] + v["abn"], _hms(asa),
                    _hms(v["talk"]), _hms(v["acw"]), _hms(v["staffed"]),
                ])  # fmt: skip
                for i, key in enumerate(("acd", "abn", "talk", "acw", "staffed")):
                    sums[i] += v[key]
                if (d, skill) in seen:
                    w.record(rel, "duplicate")
                else:
                    seen.add((d, skill))
                    w.record(rel, "counted", contacts=v["acd"])
        rows.append(
            [
                "Totals",
                "",
                "",
                sums[0],
                sums[1],
                sums[0] + sums[1],
                "",
                _hms(sums[2]),
                _hms(sums[3]),
                _hms(sums[4]),
            ]
        )
        w.record(rel, "excluded", "summary_row")
        w.write(rel, _csv_text(rows, "," if comma else "\t", "\r\n"))


def _write_hsplit(w: _Writer, days: dict, end_date: dt.date, rng: np.random.Generator) -> None:
    shape = _intraday_shape()
    header = [
        "row_date", "starttime", "intrvl", "acd", "split", "acdcalls", "abncalls", "callsoffered",
        "anstime", "abntime", "acdtime", "acwtime", "i_stafftime", "transferred",
    ]  # fmt: skip
    for y, m in _month_iter(HSPLIT_FROM, end_date):
        rel = f"phone/hsplit/hsplit_{y}-{m:02d}.csv.gz"
        rows: list[list] = [header]
        for d in sorted({k[0] for k in days if (k[0].year, k[0].month) == (y, m)}):
            for skill in SKILLS:
                v = days[(d, skill)]
                acd = rng.multinomial(v["acd"], shape)
                abn = rng.multinomial(v["abn"], shape)
                # Time totals follow the calls; staffing follows the shape with a floor of one agent.
                talk = allocate_largest_remainder(v["talk"], acd.tolist()) if v["acd"] else [0] * 26
                acw = allocate_largest_remainder(v["acw"], acd.tolist()) if v["acd"] else [0] * 26
                ans = allocate_largest_remainder(v["ans"], acd.tolist()) if v["acd"] else [0] * 26
                abt = (
                    allocate_largest_remainder(v["abntime"], abn.tolist()) if v["abn"] else [0] * 26
                )
                trn = rng.multinomial(v["transferred"], shape)
                for i, start in enumerate(_INTERVAL_STARTS):
                    workload = talk[i] + acw[i]
                    staffed = 1800 * max(1, math.ceil(workload / 1800 / 0.75))
                    rows.append([
                        d.isoformat(), (start // 60) * 100 + start % 60, 30, 1, skill, int(acd[i]),
                        int(abn[i]), int(acd[i] + abn[i]), ans[i], abt[i], talk[i], acw[i], staffed,
                        int(trn[i]),
                    ])  # fmt: skip
                    w.record(rel, "counted", contacts=int(acd[i]))
        w.write(rel, _csv_text(rows), compress=True)


# ----------------------------------------------------------------------------- people


@dataclass
class _User:
    id: int
    name: str
    email: str
    phone: str
    role: str
    tags: list[str]
    group_id: int | None


def _people(rnd: random.Random) -> tuple[list[_User], list[_User], list[_User]]:
    """(311 reps incl. one admin, agents of other bureaus, end users), all fake."""
    used: dict[str, int] = defaultdict(int)

    def person(uid: int, role: str, tags: list[str], group: int | None) -> _User:
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        handle = f"{first}.{last}".lower().replace("-", "")
        used[handle] += 1
        suffix = str(used[handle]) if used[handle] > 1 else ""
        phone = f"(503) 555-01{rnd.randrange(100):02d}"
        return _User(
            uid, f"{first} {last}", f"{handle}{suffix}@example.org", phone, role, tags, group
        )

    reps = [person(1001 + i, "agent", ["pdx311_rep"], _REP_GROUP_ID) for i in range(24)]
    reps.append(person(1100, "admin", ["pdx311_rep", "supervisor"], _REP_GROUP_ID))
    others = [
        person(
            2001 + i, "agent", ["pbot_agent" if i % 2 else "water_agent"], _OTHER_GROUP_IDS[i % 2]
        )
        for i in range(8)
    ]
    ends = [person(500_001 + i, "end-user", [], None) for i in range(3000)]
    return reps, others, ends


# ----------------------------------------------------------------------------- tickets


@dataclass
class _Ticket:
    created: dt.datetime  # aware, UTC
    local_date: dt.date
    channel: str  # contact type channel, or "other"/"" for not counted
    kind: str  # counted, deleted, merged, spam, test, phone_type, no_type, unhandled, other_agent
    requester: _User
    rep: _User | None
    topic: str
    id: int = 0
    csv_status: str = ""
    api_status: str = ""
    replies: int = 0
    csv_updated: dt.datetime | None = None
    api_updated: dt.datetime | None = None
    solved: dt.datetime | None = None
    rep_event: dt.datetime | None = None
    tags: list[str] = field(default_factory=list)


def _local_time(day: dt.date, seconds: int) -> dt.datetime:
    """A local time on ``day``; times skipped by the spring-forward change move one hour on."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    aware = naive.replace(tzinfo=TZ)
    if aware.astimezone(UTC).astimezone(TZ).replace(tzinfo=None) != naive:
        aware = (naive + dt.timedelta(hours=1)).replace(tzinfo=TZ)
    return aware


def _time_of_day(rnd: random.Random, channel: str) -> int:
    if channel == "in_person":
        return rnd.randrange(8 * 3600, 17 * 3600)
    # Email and webforms arrive around the clock, mostly in the daytime; evening arrivals land
    # after midnight UTC and so exercise the local-date conversion.
    if rnd.random() < 0.8:
        return rnd.randrange(7 * 3600, 20 * 3600)
    return rnd.randrange(0, 24 * 3600)


def _make_tickets(
    counted: dict,
    end_date: dt.date,
    people: tuple[list[_User], list[_User], list[_User]],
    seed: int,
) -> list[_Ticket]:
    rnd = random.Random(f"{seed}-tickets")
    reps, others, ends = people
    export_at = dt.datetime.combine(end_date + dt.timedelta(days=1), dt.time(6)).replace(tzinfo=TZ)
    quiet_end = end_date - dt.timedelta(days=2)
    tickets: list[_Ticket] = []
    dst_days = {d for d in _dst_change_days(START_DATE, end_date)}
    for d in sorted({k[0] for k in counted}):
        era_csv = d < INCREMENTAL_FROM
        overlap = INCREMENTAL_FROM <= d <= CSV_UNTIL
        for channel in ("email", "webform", "in_person"):
            n = counted.get((d, channel), 0)
            specs = [("counted", channel)] * n
            for _ in range(n):
                if overlap or d > quiet_end:
                    break  # no noise where the two exports overlap or at the very end
                if rnd.random() < _NOISE_SHARE:
                    specs.append(_noise_kind(rnd, era_csv, channel))
                if rnd.random() < _PHONE_TICKET_SHARE:
                    specs.append(("phone_type", "phone"))
            for j, (kind, ch) in enumerate(specs):
                secs = _time_of_day(rnd, channel)
                if d in dst_days and channel == "email" and j < 2:
                    secs = (1 * 3600 + 1800) if j == 0 else (3 * 3600 + 900)  # around the change
                created = _local_time(d, secs)
                requester = rnd.choice(ends)
                rep = rnd.choice(reps)
                t = _Ticket(
                    created.astimezone(UTC), d, ch, kind, requester, rep, rnd.choice(_TOPICS)
                )
                _fill_lifecycle(t, rnd, era_csv, overlap, export_at, others)
                tickets.append(t)
    tickets.sort(
        key=lambda t: (t.created, t.local_date, t.channel, t.kind, t.requester.id, t.topic)
    )
    for i, t in enumerate(tickets):
        t.id = 100_001 + i
    return tickets


def _noise_kind(rnd: random.Random, era_csv: bool, channel: str) -> tuple[str, str]:
    kinds = ["merged", "spam", "test", "no_type"]
    if channel != "in_person":
        kinds.append("unhandled")  # a walk-in ticket is opened by the rep, so always handled
    if not era_csv:
        kinds += ["deleted", "other_agent"]
    kind = rnd.choice(kinds)
    if kind == "no_type":
        return kind, rnd.choice(["", "other"])
    return kind, channel


def _dst_change_days(first: dt.date, last: dt.date) -> list[dt.date]:
    days = []
    d = first
    while d <= last:
        a = dt.datetime.combine(d, dt.time(0), tzinfo=TZ).utcoffset()
        b = dt.datetime.combine(d, dt.time(23), tzinfo=TZ).utcoffset()
        if a != b:
            days.append(d)
        d += dt.timedelta(days=1)
    return days


def _fill_lifecycle(
    t: _Ticket,
    rnd: random.Random,
    era_csv: bool,
    overlap: bool,
    export_at: dt.datetime,
    others: list[_User],
) -> None:
    """Status, replies, timestamps and tags: each noise ticket has exactly one exclusion reason."""
    first_reply = dt.timedelta(minutes=rnd.randrange(5, 600))
    solve = first_reply + dt.timedelta(minutes=rnd.randrange(0, 4 * 24 * 60))
    t.rep_event = t.created + (
        dt.timedelta(minutes=rnd.randrange(1, 20)) if t.channel == "in_person" else first_reply
    )
    t.solved = t.created + solve
    closed = t.solved + dt.timedelta(days=4)  # Zendesk closes solved tickets after four days
    t.replies = 0 if t.channel == "in_person" else rnd.choice([1, 1, 1, 2, 2, 3])
    final = "closed"
    if t.kind == "unhandled":
        t.rep_event, t.solved, t.replies = None, None, 0
        final = rnd.choice(["new", "open"])
        closed = t.created + dt.timedelta(minutes=rnd.randrange(1, 90))
    elif t.kind == "other_agent":
        t.rep = rnd.choice(others)
    elif t.kind == "merged":
        t.tags.append("closed_by_merge")
    elif t.kind in ("spam", "test"):
        t.tags.append(t.kind)
    elif t.kind == "deleted":
        final = "deleted"
    if closed > export_at:
        # Still in progress when the export was taken: handled (a reply) but not closed.
        closed = max(
            t.created + dt.timedelta(seconds=1), min(closed, export_at - dt.timedelta(hours=1))
        )
        if t.solved and t.solved > closed:
            t.solved = None
        if t.rep_event and t.rep_event > closed:
            t.rep_event = closed
        if final == "closed":
            final = "solved" if t.solved else rnd.choice(["open", "pending"])
    t.tags += [t.channel] if t.channel not in ("", "other") else []
    t.tags.sort()
    t.api_status = final
    t.api_updated = closed
    if era_csv or overlap:
        csv_updated = closed
        status = final.capitalize()
        if overlap:
            # The CSV copy is older: the later incremental export saw one more update.
            if rnd.random() < 0.35 and t.replies:
                status = "Pending"
                csv_updated = t.rep_event or t.created
                t.api_status = "solved"
            else:
                status = "Solved"
                csv_updated = t.solved or closed
                t.api_status = "closed"
            t.api_updated = max(closed, csv_updated) + dt.timedelta(seconds=rnd.randrange(30, 7200))
        elif t.kind == "counted" and rnd.random() < 0.07 and t.replies:
            status = rnd.choice(["Pending", "Open"])  # handled (replied to), not yet solved
            t.solved = None
        t.csv_status = status
        t.csv_updated = csv_updated


def _zendesk_time(ts: dt.datetime | None, local: bool) -> str:
    if ts is None:
        return ""
    if local:
        return ts.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes(later: dt.datetime | None, earlier: dt.datetime) -> str:
    return str(int((later - earlier).total_seconds() // 60)) if later else ""


def _subject(t: _Ticket) -> str:
    if t.kind == "test":
        return "TEST ticket please ignore"
    if t.id % 3 == 0:
        return f"{t.topic} - call back {t.requester.phone}"
    if t.id % 3 == 1:
        return f"{t.topic} ({t.requester.name})"
    return t.topic


def _description(t: _Ticket) -> str:
    return (
        f"Hello, my name is {t.requester.name}. {t.topic}. "
        f"Please reach me at {t.requester.email} or {t.requester.phone}."
    )


def _quarter(d: dt.date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


#: Ticket kind -> the reason the loader excludes it, in either Zendesk layout.
_EXCLUDED_REASONS = {
    "merged": "merged",
    "spam": "spam_or_test",
    "test": "spam_or_test",
    "phone_type": "phone_type",
    "no_type": "contact_type_not_counted",
}
#: The CSV layout has no events: the loader's fallback excludes an unanswered ticket.
_CSV_EXCLUDED_REASONS = {**_EXCLUDED_REASONS, "unhandled": "not_handled"}
#: The API layout has events: tickets no representative acted on are excluded, as are deleted ones.
_API_EXCLUDED_REASONS = {
    **_EXCLUDED_REASONS,
    "unhandled": "no_agent_event",
    "other_agent": "no_agent_event",
    "deleted": "deleted",
}


def _outcome(t: _Ticket, reasons: dict[str, str]) -> tuple[str, str | None]:
    reason = reasons.get(t.kind)
    return ("counted", None) if reason is None else ("excluded", reason)


def _csv_outcome(t: _Ticket) -> tuple[str, str | None]:
    return _outcome(t, _CSV_EXCLUDED_REASONS)


def _api_outcome(t: _Ticket) -> tuple[str, str | None]:
    return _outcome(t, _API_EXCLUDED_REASONS)


def _write_zendesk_csv(w: _Writer, tickets: list[_Ticket]) -> None:
    by_file: dict[str, list[_Ticket]] = defaultdict(list)
    for t in tickets:
        if t.local_date <= CSV_UNTIL and t.kind != "deleted":  # deleted tickets are not exported
            by_file[f"zendesk/support_csv/zendesk_tickets_{_quarter(t.local_date)}.csv.gz"].append(
                t
            )
    for rel in sorted(by_file):
        rows: list[list] = [list(_CSV_COLUMNS)]
        for t in by_file[rel]:
            handled = t.rep_event is not None
            minutes = _minutes
            rows.append([
                t.id, t.requester.name, t.requester.id, "", t.requester.email, "example.org",
                t.rep.name if t.channel == "in_person" and t.rep else t.requester.name,
                t.rep.name if handled and t.rep else "", _REP_GROUP,
                _subject(t), " ".join(t.tags), t.csv_status, "Normal", _CSV_VIA.get(t.channel, "Web form"),
                "Question" if t.id % 4 else "Incident", _zendesk_time(t.created, True),
                _zendesk_time(t.csv_updated, True), _zendesk_time(t.rep_event, True), "", "",
                _zendesk_time(t.rep_event, True), _zendesk_time(t.solved, True), "", "Not Offered",
                1, 1 if handled else 0, 0, t.replies, minutes(t.rep_event, t.created), "",
                minutes(t.solved, t.created), "", minutes(t.solved, t.created), "", "", "", "", "", 0, 0,
                _CSV_CONTACT_TYPE.get(t.channel, "Other" if t.channel == "other" else ""),
            ])  # fmt: skip
            if t.local_date >= INCREMENTAL_FROM:
                w.record(rel, "duplicate")  # the incremental export has a later updated_at
            else:
                bucket, reason = _csv_outcome(t)
                w.record(rel, bucket, reason, contacts=1 if bucket == "counted" else 0)
        w.write(rel, _csv_text(rows, ",", "\r\n"), compress=True)


def _write_zendesk_incremental(
    w: _Writer, tickets: list[_Ticket], people: tuple[list[_User], list[_User], list[_User]]
) -> None:
    reps, others, ends = people
    events: list[tuple[dt.datetime, int, int, int, list[dict]]] = []
    by_file: dict[str, list[str]] = defaultdict(list)
    quarter_of: dict[int, str] = {}
    for t in tickets:
        if t.local_date < INCREMENTAL_FROM:
            continue
        q = _quarter(t.local_date)
        quarter_of[t.id] = q
        rel = f"zendesk/incremental/tickets_{q}.ndjson.gz"
        handled = t.rep_event is not None
        record = {
            "id": t.id,
            "created_at": _zendesk_time(t.created, False),
            "updated_at": _zendesk_time(t.api_updated, False),
            "subject": _subject(t),
            "description": _description(t),
            "status": t.api_status,
            "requester_id": t.requester.id,
            "submitter_id": t.rep.id if t.channel == "in_person" and t.rep else t.requester.id,
            "assignee_id": t.rep.id if handled and t.rep else None,
            "group_id": (t.rep.group_id if handled and t.rep else _REP_GROUP_ID),
            "via": {"channel": _API_VIA.get(t.channel, "web")},
            "tags": t.tags,
            "custom_fields": [
                {"id": _CONTACT_TYPE_FIELD_ID, "value": t.channel or None},
                {"id": _NEIGHBORHOOD_FIELD_ID, "value": f"district_{t.id % 4 + 1}"},
            ],
        }
        by_file[rel].append(json.dumps(record, separators=(",", ":")))
        bucket, reason = _api_outcome(t)
        w.record(rel, bucket, reason, contacts=1 if bucket == "counted" else 0)
        creator = t.rep if t.channel == "in_person" and t.rep else t.requester
        events.append(
            (
                t.created,
                0,
                t.id,
                creator.id,
                [{"event_type": "Create"}],
            )
        )
        if handled and t.rep and not (t.channel == "in_person" and t.rep is creator):
            change = {
                "event_type": "Change",
                "field_name": "status",
                "value": "solved" if t.solved else "open",
            }
            events.append(
                (
                    t.rep_event,
                    1,
                    t.id,
                    t.rep.id,
                    [{"event_type": "Comment", "public": True}, change],
                )
            )
    events.sort(key=lambda e: (e[0], e[2], e[1]))
    ev_files: dict[str, list[str]] = defaultdict(list)
    for i, (ts, _, tid, uid, children) in enumerate(events):
        eid = 7_000_001 + i
        kids = [{"id": eid * 10 + j, **c} for j, c in enumerate(children)]
        record = {
            "id": eid,
            "ticket_id": tid,
            "updater_id": uid,
            "created_at": _zendesk_time(ts, False),
            "child_events": kids,
        }
        ev_files[f"zendesk/incremental/ticket_events_{quarter_of[tid]}.ndjson.gz"].append(
            json.dumps(record, separators=(",", ":"))
        )
    for rel in sorted(by_file):
        w.write(rel, "\n".join(by_file[rel]) + "\n", compress=True)
    for rel in sorted(ev_files):
        w.write(rel, "\n".join(ev_files[rel]) + "\n", compress=True)
        w.record(rel, "excluded", "supporting_record", rows=len(ev_files[rel]))
    lines = []
    for u in [*reps, *others, *ends]:
        record = {
            "id": u.id,
            "name": u.name,
            "email": u.email,
            "phone": u.phone,
            "role": u.role,
            "default_group_id": u.group_id,
            "tags": u.tags,
        }
        lines.append(json.dumps(record, separators=(",", ":")))
    rel = "zendesk/incremental/users.ndjson.gz"
    w.write(rel, "\n".join(lines) + "\n", compress=True)
    w.record(rel, "excluded", "supporting_record", rows=len(lines))


# ----------------------------------------------------------------------------- reference & truth


def _write_reference(w: _Writer, end_date: dt.date) -> None:
    rows: list[list] = [["fiscal_year", "forecast_contacts", "note"]]
    value = 95_000.0
    for end in range(2021, _fy_end_year(end_date) + 1):
        rows.append(
            [
                _fy_label(end),
                int(round(value, -2)),
                "illustrative: not the City's plan figures",
            ]
        )
        value *= 1.2
    w.write("reference/plan_forecast.csv", _csv_text(rows))
    w.record("reference/plan_forecast.csv", "excluded", "supporting_record", rows=len(rows) - 1)
    events = [
        ["date", "end_date", "label"],
        *[list(e) for e in _EVENTS if e[0] <= end_date.isoformat()],
    ]
    w.write("reference/events.csv", _csv_text(events))
    w.record("reference/events.csv", "excluded", "supporting_record", rows=len(events) - 1)
    pop: list[list] = [["year", "population", "source"]]
    for year, n, vintage in _POPULATION:
        pop.append(
            [
                year,
                n,
                f"U.S. Census Bureau population estimates, {vintage}",
            ]
        )
    w.write("reference/population.csv", _csv_text(pop))
    w.record("reference/population.csv", "excluded", "supporting_record", rows=len(pop) - 1)


def _write_truth(w: _Writer, counted: dict, missed: dict) -> None:
    order = {c: i for i, c in enumerate(CHANNELS)}
    rows: list[list] = [["contact_date", "channel", "count"]]
    for (d, ch), n in sorted(counted.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])):
        rows.append([d.isoformat(), ch, n])
    w.write("_truth/ground_truth.csv", _csv_text(rows))
    rows = [["contact_date", "channel", "missed"]]
    for (d, ch), n in sorted(missed.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])):
        rows.append([d.isoformat(), ch, n])
    w.write("_truth/missed_contacts.csv", _csv_text(rows))
    reasons = sorted({k for e in w.ledger.values() for k in e if k.startswith("excluded_")})
    columns = [*_LEDGER_BASE, *reasons, "contacts"]
    rows = [columns]
    for rel in sorted(w.ledger):
        entry = w.ledger[rel]
        rows.append([rel, *[entry.get(c, 0) for c in columns[1:]]])
    w.write("_truth/expected_ledger.csv", _csv_text(rows))


_README = """\
# Sample exports (synthetic)

Everything in this folder is **synthetic**: generated by `contacts311 sample-data` (seed {seed},
end date {end}). No real resident appears in it; names, e-mail addresses (`example.org`) and
phone numbers (`(503) 555-01xx`) are fake. Counted totals are calibrated to the figures PDX 311
published (FY 2023-24 = 181,798; FY 2024-25 = 226,774; the monthly bulletins).

| folder | what |
| --- | --- |
| `phone/cms_reports/` | Avaya CMS Supervisor "311 Multi-Day Multi-Skill" reports, monthly, FY 2020-21 to FY 2022-23 (tab-delimited; Nov 2021 comma-delimited; Mar 2022 re-exported from 22 Feb, so a week is duplicated) |
| `phone/hsplit/` | Avaya CMS `hsplit` 30-minute interval dumps, monthly, from July 2023 (gzip) |
| `zendesk/support_csv/` | Zendesk Support "Export as CSV", quarterly, tickets created July 2020 to September 2023 (local times, gzip) |
| `zendesk/incremental/` | Zendesk incremental export (NDJSON, UTC): tickets and ticket events per quarter from August 2023, and users (gzip) |
| `reference/` | illustrative plan forecast, events, Multnomah County population |
| `_truth/` | what the pipeline must count: `ground_truth.csv` (per day and channel), `expected_ledger.csv` (per file), `missed_contacts.csv` (contacts the manual tracking did not log) |

Noise on purpose: abandoned calls, totals rows, duplicated report rows, tickets that are deleted,
merged, spam/test, phone-type, without a counted contact type, never handled or only handled by
another bureau, tickets in both the CSV and the incremental export (the later copy wins), tickets
created around midnight UTC and around the daylight-saving changes.

Regenerate (byte-identical for the same seed and end date):

    contacts311 sample-data data/raw/sample --seed {seed} --end-date {end} --force
"""


# ----------------------------------------------------------------------------- entry point


def write_sample(
    out_dir: Path, seed: int = 311, end_date: dt.date = dt.date(2026, 10, 31)
) -> SampleSummary:
    """Write the synthetic sample exports and their ground truth into ``out_dir``.

    Args:
        out_dir: Folder to write into (created if needed; existing files of the same name are
            overwritten).
        seed: Random seed; the same seed and end date give byte-identical files.
        end_date: Last day of data (the current fiscal year is partial up to it).

    Returns:
        What was written and the counted totals.

    Raises:
        ValueError: ``end_date`` before 30 September 2023, the last day of the Zendesk CSV
            export (the sample needs both Zendesk exports and their overlap).
    """
    if end_date < CSV_UNTIL:
        raise ValueError(
            f"end_date must be on or after {CSV_UNTIL.isoformat()}, got {end_date.isoformat()}"
        )
    out_dir = Path(out_dir)
    w = _Writer(out_dir)
    counted, missed = daily_targets(end_date, seed)
    rng = np.random.default_rng(seed)
    skill_days = _phone_skill_days(counted, end_date, rng)
    _write_cms_reports(w, skill_days)
    _write_hsplit(w, skill_days, end_date, rng)
    people = _people(random.Random(f"{seed}-people"))
    tickets = _make_tickets(counted, end_date, people, seed)
    _write_zendesk_csv(w, tickets)
    _write_zendesk_incremental(w, tickets, people)
    _write_reference(w, end_date)
    _write_truth(w, counted, missed)
    w.write("README.md", _README.format(seed=seed, end=end_date.isoformat()))
    by_fy: dict[str, int] = defaultdict(int)
    for (d, _), n in counted.items():
        by_fy[_fy_label(_fy_end_year(d))] += n
    files = sorted(w.files)
    return SampleSummary(
        out_dir=out_dir,
        files=files,
        bytes=sum((out_dir / f).stat().st_size for f in files),
        contacts=sum(counted.values()),
        missed_contacts=sum(missed.values()),
        by_fiscal_year=dict(sorted(by_fy.items())),
        first_date=START_DATE,
        end_date=end_date,
    )
