"""Contacts against residents (contacts311.measures.population)."""

import pandas as pd
import pytest
from measures_helpers import POP
from measures_helpers import fy_totals as _totals

from contacts311.measures import (
    population_by_period,
    population_comparison,
    population_growth_summary,
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
