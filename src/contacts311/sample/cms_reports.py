"""Avaya CMS Supervisor "311 Multi-Day Multi-Skill" reports, one a month to June 2023.

Tab-delimited with a title block and a totals row; November 2021 is comma-delimited and March
2022 was re-exported from 22 February, so a week of it repeats February's rows.
"""

from __future__ import annotations

import datetime as dt

from contacts311.sample.dates import HSPLIT_FROM, START_DATE, month_end, month_iter
from contacts311.sample.phone import SKILLS
from contacts311.sample.writer import SampleWriter, csv_text

_HEADER = [
    "Date", "Split/Skill", "Split/Skill Name", "ACD Calls", "Aban Calls", "Calls Offered",
    "Avg Speed Ans", "ACD Time", "ACW Time", "Staffed Time",
]  # fmt: skip


def _hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def write_cms_reports(w: SampleWriter, days: dict) -> None:
    """One report a month from July 2020 to June 2023, from the per (date, skill) phone days."""
    seen: set[tuple[dt.date, int]] = set()
    months = month_iter(START_DATE, HSPLIT_FROM - dt.timedelta(days=1))
    for y, m in months:
        first, last = dt.date(y, m, 1), month_end(y, m)
        if (y, m) == (2022, 3):
            first = dt.date(2022, 2, 22)  # re-exported with a week of February: duplicates
        comma = (y, m) == (2021, 11)
        rel = f"phone/cms_reports/311_multi_day_multi_skill_{y}-{m:02d}.{'csv' if comma else 'txt'}"
        rows: list[list] = [
            ["311 Multi-Day Multi-Skill"],
            ["Skills: 1, 2, 3"],
            [f"Dates: {first:%m/%d/%Y} - {last:%m/%d/%Y}"],
            [],
            _HEADER,
        ]
        sums = _skill_rows(w, rel, days, first, last, seen, rows)
        rows.append(_totals_row(sums))
        w.record(rel, "excluded", "summary_row")
        w.write(rel, csv_text(rows, "," if comma else "\t", "\r\n"))


def _skill_rows(
    w: SampleWriter,
    rel: str,
    days: dict,
    first: dt.date,
    last: dt.date,
    seen: set[tuple[dt.date, int]],
    rows: list[list],
) -> list[int]:
    """Append a row per date and skill to ``rows``; the sums of calls and times for the totals.

    A (date, skill) already in ``seen`` (an earlier report) is recorded as a duplicate.
    """
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
    return sums


def _totals_row(sums: list[int]) -> list:
    """The report's closing "Totals" row (ACD, abandoned, offered and the three times)."""
    acd, abn, talk, acw, staffed = sums
    return ["Totals", "", "", acd, abn, acd + abn, "", _hms(talk), _hms(acw), _hms(staffed)]
