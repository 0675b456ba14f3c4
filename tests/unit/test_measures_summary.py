"""The headline figures as plain data (contacts311.measures.summary)."""

import dataclasses
import datetime as dt

import pandas as pd
from measures_helpers import FORECAST, POP
from measures_helpers import contacts_frame as _contacts

from contacts311.measures import summary
from contacts311.pipeline import Dataset, fill_population
from contacts311.profile import default_profile


def _dataset(contacts, tables):
    return Dataset(
        contacts=contacts.assign(source="counts", source_file="x.csv"),
        ledger=pd.DataFrame(),
        inputs=pd.DataFrame(),
        notes=[],
        tables=tables,
        columns={},
        profile=default_profile(),
    )


def _monthly(values_by_fy: dict[int, tuple[int, int]]) -> pd.DataFrame:
    """Monthly phone and email rows; each fiscal year gets the same count every month."""
    rows = []
    for end_year, (phone, email) in values_by_fy.items():
        for m in pd.period_range(f"{end_year - 1}-07", f"{end_year}-06", freq="M"):
            rows += [
                (str(m.start_time.date()), "phone", phone),
                (str(m.start_time.date()), "email", email),
            ]
    return _contacts(rows)


def test_summary_keys_and_values():
    contacts = _monthly({2022: (8, 2), 2023: (9, 3), 2024: (12, 3)})
    data = _dataset(contacts, {"population": POP, "forecast": FORECAST})
    s = summary(data, as_of=dt.date(2025, 1, 1))
    assert set(s) == {"periods", "average_growth", "population_growth", "notes"}
    p = s["periods"]
    assert [x["period"] for x in p] == ["FY 2021-22", "FY 2022-23", "FY 2023-24"]
    assert list(p[0]) == [
        "period", "start", "end", "is_partial", "total", "phone", "email", "yoy_growth_pct",
        "population", "contacts_per_1000", "forecast", "variance_from_forecast_pct",
    ]  # fmt: skip
    # Totals: 12 x 10 = 120, 12 x 12 = 144, 12 x 15 = 180.
    assert [x["total"] for x in p] == [120, 144, 180]
    assert [x["phone"] for x in p] == [96, 108, 144]
    assert [x["yoy_growth_pct"] for x in p] == [None, 20.0, 25.0]
    assert [x["population"] for x in p] == [1000, 1010, 1030]
    assert p[1]["contacts_per_1000"] == round(144 / 1010 * 1000, 3)
    assert [x["forecast"] for x in p] == [110, 120, 140]
    assert p[2]["variance_from_forecast_pct"] == round(40 / 140 * 100, 2)
    avg = s["average_growth"]
    assert set(avg) == {"mean_yoy_pct", "cagr_pct", "loglinear_pct", "loglinear_ci_pct"}
    assert avg["mean_yoy_pct"] == 22.5
    assert avg["cagr_pct"] == round((1.5**0.5 - 1) * 100, 2)
    assert s["population_growth"]["mean_gap_pp"] == round((19.0 + 25 - 20 / 1010 * 100) / 2, 2)


def test_summary_without_population_or_forecast_gives_nulls_and_notes():
    data = _dataset(_monthly({2023: (9, 1), 2024: (11, 1)}), {})
    s = summary(fill_population(data, bundled=False), as_of=dt.date(2025, 1, 1))
    assert all(x["population"] is None and x["contacts_per_1000"] is None for x in s["periods"])
    assert all(
        x["forecast"] is None and x["variance_from_forecast_pct"] is None for x in s["periods"]
    )
    assert s["population_growth"] is None
    text = " ".join(s["notes"])
    assert "no population file" in text and "no plan forecast" in text
    assert s["average_growth"]["loglinear_ci_pct"] == [None, None]  # two points: no interval


def test_summary_falls_back_to_bundled_census_figures():
    data = fill_population(_dataset(_monthly({2022: (8, 2), 2023: (9, 3), 2024: (12, 3)}), {}))
    s = summary(data, as_of=dt.date(2025, 1, 1))
    # Multnomah County, Census Vintage 2023, 1 July 2021 / 2022 / 2023 (pdx311-facts.md).
    assert [p["population"] for p in s["periods"]] == [805319, 794563, 789698]
    assert s["periods"][0]["contacts_per_1000"] == round(120 / 805319 * 1000, 3)
    assert any("bundled" in n for n in s["notes"])
    other = _dataset(_monthly({2024: (1, 1)}), {})
    other.profile.population.fips = "06075"  # San Francisco: not in the bundled Oregon rows
    s2 = summary(fill_population(other), as_of=dt.date(2025, 1, 1))
    assert s2["periods"][0]["population"] is None
    assert any("06075" in n for n in s2["notes"])


def test_summary_without_contacts_says_whether_rows_were_read():
    empty = _contacts([])
    nothing = summary(_dataset(empty, {}))
    assert nothing["periods"] == []
    assert nothing["notes"] == ["No contacts were read, so there are no periods."]
    ledger = pd.DataFrame(
        {
            "source_file": ["ctr.json", "ctr.json"],
            "format": ["amazon_connect"] * 2,
            "bucket": ["excluded", "excluded"],
            "reason": ["outbound", "not_answered"],
            "rows": [104, 1100],
            "contacts": [0, 0],
        }
    )
    read = summary(dataclasses.replace(_dataset(empty, {}), ledger=ledger))
    assert read["periods"] == []
    assert read["notes"] == [
        "Read 1,204 rows but counted none: 1,100 not_answered, 104 outbound, so there are no "
        "periods (see the ledger)."
    ]
