import datetime as dt
import math

import pandas as pd
import pytest

from contacts311.measures import (
    average_growth,
    clearimpact_rows,
    growth_table,
    loglinear_growth,
    partial_period_comparison,
    plan_alignment,
    plan_comparison,
    population_by_period,
    population_comparison,
    population_growth_summary,
    scorecard,
    summary,
)
from contacts311.pipeline import Dataset, fill_population
from contacts311.profile import default_profile


def _totals(rows: list[tuple[int, int, bool]], phone_share: float | None = None) -> pd.DataFrame:
    """A period_totals-shaped frame: (ending year, total, is_partial) per fiscal year."""
    out = []
    for end_year, total, partial in rows:
        row = {
            "period": f"FY {end_year - 1}-{end_year % 100:02d}",
            "start": dt.date(end_year - 1, 7, 1),
            "end": dt.date(end_year, 6, 30),
            "is_partial": partial,
        }
        if phone_share is not None:
            row["phone"] = int(total * phone_share)
            row["email"] = total - row["phone"]
        row["total"] = total
        out.append(row)
    return pd.DataFrame(out)


def test_growth_table_by_channel_and_never_across_partial_periods():
    totals = _totals(
        [(2021, 100, False), (2022, 120, False), (2023, 150, True), (2024, 200, False)], 0.5
    )
    g = growth_table(totals)
    assert g["channel"].unique().tolist() == ["phone", "email", "total"]
    total = g[g["channel"] == "total"].reset_index(drop=True)
    assert total["total"].tolist() == [100, 120, 150, 200]
    # 100 -> 120: +20 = +20%. FY 2022-23 is partial; FY 2023-24 follows a partial year: no growth.
    assert total["change"].iloc[1] == 20
    assert total["yoy_growth_pct"].iloc[1] == pytest.approx(20.0)
    assert total[["change", "yoy_growth_pct"]].iloc[[0, 2, 3]].isna().all().all()
    phone = g[g["channel"] == "phone"].reset_index(drop=True)
    assert phone["yoy_growth_pct"].iloc[1] == pytest.approx((60 - 50) / 50 * 100)


def test_growth_needs_adjacent_periods():
    totals = _totals([(2021, 100, False), (2023, 150, False)])
    assert growth_table(totals)["yoy_growth_pct"].isna().all()


def test_loglinear_growth_hand_computed():
    years, values = [2021, 2022, 2023, 2024], [100, 120, 150, 180]
    # x - mean(x) = -1.5, -0.5, 0.5, 1.5 (sum of squares 5);
    # slope = sum((x - xbar) * ln y) / 5 = (1.5 ln(180/100) + 0.5 ln(150/120)) / 5.
    slope = (1.5 * math.log(1.8) + 0.5 * math.log(1.25)) / 5
    ly = [math.log(v) for v in values]
    ybar = sum(ly) / 4
    resid = [y - (ybar + slope * x) for y, x in zip(ly, [-1.5, -0.5, 0.5, 1.5], strict=True)]
    se = math.sqrt(sum(r * r for r in resid) / 2 / 5)
    t975_df2 = 4.302652729911275  # Student t, 97.5th percentile, 2 degrees of freedom
    fit = loglinear_growth(years, values)
    assert fit["slope"] == pytest.approx(slope)
    assert fit["growth_pct"] == pytest.approx((math.exp(slope) - 1) * 100)
    assert fit["ci_low_pct"] == pytest.approx((math.exp(slope - t975_df2 * se) - 1) * 100)
    assert fit["ci_high_pct"] == pytest.approx((math.exp(slope + t975_df2 * se) - 1) * 100)
    assert fit["n"] == 4


def test_loglinear_growth_two_points_has_no_interval_and_bad_input_raises():
    fit = loglinear_growth([2023, 2024], [100, 121])
    assert fit["growth_pct"] == pytest.approx(21.0)
    assert fit["ci_low_pct"] is None and fit["ci_high_pct"] is None
    with pytest.raises(ValueError):
        loglinear_growth([2024], [100])
    with pytest.raises(ValueError):
        loglinear_growth([2023, 2024], [0, 10])


def test_average_growth_three_ways():
    totals = _totals(
        [
            (2021, 100, False),
            (2022, 120, False),
            (2023, 150, False),
            (2024, 180, False),
            (2025, 60, True),
        ]
    )
    avg = average_growth(totals)
    # YoY: +20%, +25%, +20% -> mean 21.667%.
    assert avg["mean_yoy_pct"] == pytest.approx((20 + 25 + 20) / 3)
    # CAGR over 3 years: (180 / 100) ** (1/3) - 1.
    assert avg["cagr_pct"] == pytest.approx((1.8 ** (1 / 3) - 1) * 100)
    slope = (1.5 * math.log(1.8) + 0.5 * math.log(1.25)) / 5
    assert avg["loglinear_pct"] == pytest.approx((math.exp(slope) - 1) * 100)
    lo, hi = avg["loglinear_ci_pct"]
    assert lo < avg["loglinear_pct"] < hi
    assert avg["complete_periods"] == ["FY 2020-21", "FY 2021-22", "FY 2022-23", "FY 2023-24"]


def test_average_growth_with_one_complete_period_is_empty():
    avg = average_growth(_totals([(2024, 100, False), (2025, 10, True)]))
    assert avg["mean_yoy_pct"] is None and avg["cagr_pct"] is None and avg["loglinear_pct"] is None


def _contacts(rows):
    return pd.DataFrame(
        {
            "contact_date": pd.to_datetime([r[0] for r in rows]),
            "channel": [r[1] for r in rows],
            "count": [r[2] for r in rows],
        }
    )


def test_partial_period_to_date_against_same_span_a_year_earlier():
    rows = [(f"2023-{m:02d}-10", "phone", 10) for m in range(7, 13)]
    rows += [(f"2024-{m:02d}-10", "phone", 10) for m in range(1, 7)]
    rows += [("2023-08-20", "phone", 5), ("2023-08-25", "phone", 7), ("2023-07-15", "email", 1)]
    rows += [("2024-07-10", "phone", 12), ("2024-08-20", "phone", 9), ("2024-07-15", "email", 3)]
    cmp = partial_period_comparison(_contacts(rows), as_of=dt.date(2024, 9, 1)).set_index("channel")
    # Current span 1 Jul - 20 Aug 2024 (last date with data); previous 1 Jul - 20 Aug 2023.
    assert cmp.loc["total", "through"] == dt.date(2024, 8, 20)
    assert cmp.loc["total", "previous_through"] == dt.date(2023, 8, 20)
    # Phone: 12 + 9 = 21 now; 10 (10 Jul) + 10 (10 Aug) + 5 (20 Aug) = 25 then (25 Aug is outside).
    assert cmp.loc["phone", ["current", "previous"]].tolist() == [21, 25]
    assert cmp.loc["phone", "growth_pct"] == pytest.approx(-16.0)
    assert cmp.loc["email", "growth_pct"] == pytest.approx(200.0)
    assert cmp.loc["total", ["current", "previous", "change"]].tolist() == [24, 26, -2]
    assert cmp.loc["total", "growth_pct"] == pytest.approx(-2 / 26 * 100)
    assert cmp.loc["total", "label"].startswith("FY 2024-25 to date")
    assert "FY 2023-24" in cmp.loc["total", "label"]


def test_partial_comparison_empty_when_last_period_complete():
    rows = [(f"2023-{m:02d}-10", "phone", 10) for m in range(7, 13)]
    rows += [(f"2024-{m:02d}-10", "phone", 10) for m in range(1, 7)]
    assert partial_period_comparison(_contacts(rows), as_of=dt.date(2024, 9, 1)).empty


def test_partial_comparison_monthly_rows_run_to_month_end():
    rows = [(f"2023-{m:02d}-01", "phone", 10) for m in range(7, 13)]
    rows += [(f"2024-{m:02d}-01", "phone", 20) for m in range(1, 7)]
    rows += [("2024-07-01", "phone", 11), ("2024-08-01", "phone", 13)]
    cmp = partial_period_comparison(_contacts(rows), as_of=dt.date(2024, 9, 15))
    total = cmp[cmp["channel"] == "total"].iloc[0]
    assert total["through"] == dt.date(2024, 8, 31)
    assert (total["current"], total["previous"]) == (24, 20)  # Jul + Aug of each year


POP = pd.DataFrame(
    {
        "year": [2021, 2022, 2023, 2024],
        "population": [1000, 1010, 1030, 1040],
        "vintage": ["V2024"] * 4,
        "source": ["test"] * 4,
        "source_file": ["p.csv"] * 4,
    }
)


def test_population_by_period_start_or_end_year():
    totals = _totals([(2022, 100, False), (2023, 120, False)])
    start = population_by_period(totals, POP, "start")
    assert start["population_year"].tolist() == [2021, 2022]
    assert start["population"].tolist() == [1000, 1010]
    end = population_by_period(totals, POP, "end")
    assert end["population"].tolist() == [1010, 1030]
    later = population_by_period(_totals([(2026, 1, False)]), POP, "start")
    assert later["population"].isna().all()


def test_population_comparison_hand_computed():
    totals = _totals([(2022, 100, False), (2023, 120, False), (2024, 150, False), (2025, 40, True)])
    comp = population_comparison(totals, POP, "start")
    assert comp["contacts_per_1000"].iloc[:3].tolist() == pytest.approx(
        [100.0, 120 / 1010 * 1000, 150 / 1030 * 1000]
    )
    assert pd.isna(comp["contacts_per_1000"].iloc[3])  # partial year
    # Population growth: 1000 -> 1010 = 1%; 1010 -> 1030 = 1.980198%.
    assert comp["population_growth_pct"].iloc[1:3].tolist() == pytest.approx([1.0, 20 / 1010 * 100])
    # Gap = contact growth (20%, 25%) - population growth, in points.
    assert comp["growth_gap_pp"].iloc[1:3].tolist() == pytest.approx([19.0, 25 - 20 / 1010 * 100])
    assert comp["contacts_index"].iloc[:3].tolist() == pytest.approx([100, 120, 150])
    assert comp["population_index"].iloc[:3].tolist() == pytest.approx([100, 101, 103])
    s = population_growth_summary(comp)
    assert s["base_period"] == "FY 2021-22"
    assert s["last_period"] == "FY 2023-24"
    assert s["mean_gap_pp"] == pytest.approx((19.0 + 25 - 20 / 1010 * 100) / 2)
    assert s["mean_population_growth_pct"] == pytest.approx((1.0 + 20 / 1010 * 100) / 2)
    assert s["contacts_index_last"] == pytest.approx(150)
    assert s["population_index_last"] == pytest.approx(103)
    assert s["vintages"] == ["V2024"]


def test_population_comparison_other_base_period():
    totals = _totals([(2022, 100, False), (2023, 120, False), (2024, 150, False)])
    comp = population_comparison(totals, POP, "start", base_period="FY 2022-23")
    assert comp["contacts_index"].tolist() == pytest.approx([100 / 1.2, 100, 125])
    with pytest.raises(ValueError):
        population_comparison(totals, POP, "start", base_period="FY 1999-00")


FORECAST = pd.DataFrame(
    {
        "period_key": [2022, 2023, 2024, 2025, 2024],
        "fiscal_year": ["FY 2021-22", "FY 2022-23", "FY 2023-24", "FY 2024-25", "FY 2023-24"],
        "channel": ["total", "total", "total", "total", "phone"],
        "forecast_contacts": [110, 120, 140, 170, 100],
        "note": ["illustrative"] * 5,
        "source_file": ["plan.csv"] * 5,
    }
)


def test_plan_comparison_and_alignment():
    totals = _totals(
        [
            (2021, 90, False),
            (2022, 100, False),
            (2023, 120, False),
            (2024, 150, False),
            (2025, 40, True),
        ]
    )
    plan = plan_comparison(totals, FORECAST)
    assert pd.isna(plan["forecast"].iloc[0])  # no forecast for FY 2020-21
    # (100-110)/110, (120-120)/120, (150-140)/140; the partial year is not compared.
    expected = [-10 / 110 * 100, 0.0, 10 / 140 * 100]
    assert plan["variance_pct"].iloc[1:4].tolist() == pytest.approx(expected)
    assert plan["percent_of_target"].iloc[1:4].tolist() == pytest.approx(
        [100 / 110 * 100, 100.0, 150 / 140 * 100]
    )
    assert plan["variance_pct"].iloc[[0, 4]].isna().all()
    a = plan_alignment(plan, 10)
    assert a["periods_compared"] == 3
    assert a["mape_pct"] == pytest.approx((10 / 110 * 100 + 0 + 10 / 140 * 100) / 3)
    assert a["max_abs_pct_error"] == pytest.approx(10 / 110 * 100)
    assert a["aligns_closely"] is True
    assert plan_alignment(plan, 5)["aligns_closely"] is False
    assert plan_alignment(plan.iloc[:1], 5)["aligns_closely"] is None


def test_plan_comparison_per_channel():
    totals = _totals([(2024, 200, False)], phone_share=0.6)  # phone 120, email 80
    plan = plan_comparison(totals, FORECAST, channel="phone")
    assert plan["forecast"].tolist() == [100]
    assert plan["variance_pct"].tolist() == pytest.approx([20.0])


def test_scorecard_rows_trend_and_baseline():
    totals = _totals(
        [
            (2022, 100, False),
            (2023, 120, False),
            (2024, 150, False),
            (2025, 140, False),
            (2026, 10, True),
        ]
    )
    card = scorecard(totals, FORECAST)
    assert card["Time Period"].tolist() == ["FY 2021-22", "FY 2022-23", "FY 2023-24", "FY 2024-25"]
    assert card["Prior Actual"].tolist()[1:] == [100, 120, 150]
    assert pd.isna(card["Prior Actual"].iloc[0])
    assert card["Current Target"].tolist() == [110, 120, 140, 170]
    assert card["Variance from Target"].tolist() == pytest.approx(
        [-10 / 110 * 100, 0, 10 / 140 * 100, -30 / 170 * 100]
    )
    assert card["Baseline % Change"].tolist() == pytest.approx([0, 20, 50, 40])
    assert card["Current Trend"].tolist()[1:] == ["up", "up", "down"]
    assert card["Trend Periods"].tolist()[1:] == [1, 2, 1]
    # A partial year in the middle (a month of exports missing) breaks the prior and the trend.
    gap = _totals([(2022, 100, False), (2023, 90, True), (2024, 150, False), (2025, 160, False)])
    gap_card = scorecard(gap)
    assert gap_card["Time Period"].tolist() == ["FY 2021-22", "FY 2023-24", "FY 2024-25"]
    assert gap_card["Prior Actual"].isna().tolist() == [True, True, False]
    assert (
        gap_card["Current Trend"].tolist()[2] == "up" and gap_card["Trend Periods"].tolist()[2] == 1
    )
    with_partial = scorecard(totals, None, include_partial=True)
    assert with_partial["Time Period"].iloc[-1] == "FY 2025-26 (to date)"
    assert pd.isna(with_partial["Current Trend"].iloc[-1])
    assert with_partial["Current Target"].isna().all()


def test_clearimpact_rows():
    totals = _totals([(2024, 181798, False), (2025, 1000, True)], phone_share=0.5)
    rows = clearimpact_rows(totals, 100816783, FORECAST)
    assert list(rows.columns) == [
        "id",
        "actual_value_date",
        "target_value",
        "actual_value",
        "comment",
    ]
    assert rows.values.tolist()[0][:4] == ["100816783", "06/30/2024", "140", "181798"]
    assert len(rows) == 1  # the partial year is never exported
    assert "phone 90,899; email 90,899" in rows["comment"].iloc[0]
    long = clearimpact_rows(totals, "100816783", comment="=HYPERLINK(x) " + "a" * 400)
    assert long["comment"].iloc[0].startswith("'=")
    assert len(long["comment"].iloc[0]) == 255
    assert long["target_value"].iloc[0] == ""
    with pytest.raises(ValueError):
        clearimpact_rows(totals, "abc")


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


def test_forecast_source_names_the_tables_notes():
    from contacts311.measures import forecast_source

    table = pd.DataFrame(
        {
            "period_key": [2024, 2025, 2026],
            "forecast_contacts": [1, 2, 3],
            "note": [
                "illustrative: not the City's plan figures",
                None,
                "illustrative: not the City's plan figures",
            ],
        }
    )
    assert forecast_source(table) == "illustrative: not the City's plan figures"
    assert (
        forecast_source(table.drop(columns="note"))
        == "implementation plan table supplied by the analyst"
    )
    assert forecast_source(None) == "implementation plan table supplied by the analyst"
