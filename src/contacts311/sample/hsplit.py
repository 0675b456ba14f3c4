"""Avaya CMS ``hsplit`` 30-minute interval dumps, one a month from July 2023."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from contacts311.sample.dates import HSPLIT_FROM, month_iter
from contacts311.sample.phone import SKILLS
from contacts311.sample.volumes import allocate_largest_remainder
from contacts311.sample.writer import SampleWriter, csv_text

_INTERVAL_STARTS = [7 * 60 + 30 * i for i in range(26)]  # 7:00 .. 19:30 local
_HEADER = [
    "row_date", "starttime", "intrvl", "acd", "split", "acdcalls", "abncalls", "callsoffered",
    "anstime", "abntime", "acdtime", "acwtime", "i_stafftime", "transferred",
]  # fmt: skip


def _intraday_shape() -> np.ndarray:
    """Each interval's share of a day's calls."""
    hours = np.array([s / 60 + 0.25 for s in _INTERVAL_STARTS])
    # Peak late morning, a smaller early-afternoon shoulder, a quiet evening.
    shape = (
        np.exp(-((hours - 10.75) ** 2) / 4.5) + 0.55 * np.exp(-((hours - 14.0) ** 2) / 6.0) + 0.08
    )
    return shape / shape.sum()


def write_hsplit(w: SampleWriter, days: dict, end_date: dt.date, rng: np.random.Generator) -> None:
    """One gzip CSV a month from July 2023: each (date, skill) day cut into 30-minute rows."""
    shape = _intraday_shape()
    for y, m in month_iter(HSPLIT_FROM, end_date):
        rel = f"phone/hsplit/hsplit_{y}-{m:02d}.csv.gz"
        rows: list[list] = [_HEADER]
        for d in sorted({k[0] for k in days if (k[0].year, k[0].month) == (y, m)}):
            for skill in SKILLS:
                rows += _interval_rows(w, rel, d, skill, days[(d, skill)], shape, rng)
        w.write(rel, csv_text(rows), compress=True)


def _interval_rows(
    w: SampleWriter,
    rel: str,
    d: dt.date,
    skill: int,
    v: dict,
    shape: np.ndarray,
    rng: np.random.Generator,
) -> list[list]:
    """The 26 interval rows of one skill's day ``v``, each recorded as counted in ``rel``."""
    acd = rng.multinomial(v["acd"], shape)
    abn = rng.multinomial(v["abn"], shape)
    # Time totals follow the calls; staffing follows the shape with a floor of one agent.
    talk = allocate_largest_remainder(v["talk"], acd.tolist()) if v["acd"] else [0] * 26
    acw = allocate_largest_remainder(v["acw"], acd.tolist()) if v["acd"] else [0] * 26
    ans = allocate_largest_remainder(v["ans"], acd.tolist()) if v["acd"] else [0] * 26
    abt = allocate_largest_remainder(v["abntime"], abn.tolist()) if v["abn"] else [0] * 26
    trn = rng.multinomial(v["transferred"], shape)
    rows: list[list] = []
    for i, start in enumerate(_INTERVAL_STARTS):
        workload = talk[i] + acw[i]
        staffed = 1800 * max(1, math.ceil(workload / 1800 / 0.75))
        rows.append([
            d.isoformat(), (start // 60) * 100 + start % 60, 30, 1, skill, int(acd[i]),
            int(abn[i]), int(acd[i] + abn[i]), ans[i], abt[i], talk[i], acw[i], staffed,
            int(trn[i]),
        ])  # fmt: skip
        w.record(rel, "counted", contacts=int(acd[i]))
    return rows
