"""The plan forecast and the Clear Impact scorecard (contacts311.measures.plan)."""

import pandas as pd
import pytest
from measures_helpers import FORECAST
from measures_helpers import fy_totals as _totals

from contacts311.measures import (
    clearimpact_rows,
    forecast_source,
    plan_alignment,
    plan_comparison,
    scorecard,
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


def test_forecast_source_names_the_tables_notes():
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
