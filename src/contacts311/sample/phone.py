"""Phone calls per open day and skill: the totals both Avaya exports are cut from."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from contacts311.sample.dates import START_DATE, open_days

SKILLS = {1: "PDX311 General", 2: "PDX311 Espanol", 3: "PDX311 Callback"}
_SKILL_SHARES = (0.80, 0.12, 0.08)


def phone_skill_days(counted: dict, end_date: dt.date, rng: np.random.Generator) -> dict:
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
