"""The sentences the reports print (contacts311.wording)."""

import datetime as dt
import math

import pandas as pd
import pytest
from measures_helpers import channel_totals as _channel_totals
from models_helpers import front_desk_weeks as _front_desk_weeks

from contacts311 import wording
from contacts311.measures import channel_shares
from contacts311.models import undercount
from contacts311.wording import share_title, to_date_note, trend_title, undercount_sentence


def test_trend_title_and_to_date_note_on_tiny_data():
    none_complete = _channel_totals([("FY 2020-21", True, 60, 0)])
    assert trend_title(none_complete) == (
        "60 contacts so far in FY 2020-21; no complete period yet"
    )
    assert "no earlier period" in to_date_note(none_complete)

    one = _channel_totals([("FY 2020-21", False, 10, 5), ("FY 2021-22", True, 1, 1)])
    assert trend_title(one) == "15 contacts in FY 2020-21, the only complete period"

    two = _channel_totals([("FY 2020-21", False, 10, 5), ("FY 2021-22", False, 20, 0)])
    assert trend_title(two) == "Contacts rose from 15 in FY 2020-21 to 20 in FY 2021-22"
    assert to_date_note(two) == "The latest period in the data, FY 2021-22, is complete."
    down = _channel_totals([("FY 2020-21", False, 10, 5), ("FY 2021-22", False, 7, 0)])
    assert trend_title(down).startswith("Contacts fell from 15")


def test_share_title_states_the_main_channels_move():
    moved = _channel_totals(
        [("FY 2020-21", False, 75, 25), ("FY 2021-22", False, 60, 40), ("FY 2022-23", True, 1, 9)]
    )
    # Phone 75% -> 60% across the complete years; the partial year (10%) is ignored.
    assert share_title(channel_shares(moved)) == (
        "Phone's share of contacts went from 75% in FY 2020-21 to 60% in FY 2021-22"
    )
    held = _channel_totals([("FY 2020-21", False, 85, 15), ("FY 2021-22", False, 170, 30)])
    assert share_title(channel_shares(held)) == (
        "Phone's share of contacts held at 85% from FY 2020-21 to FY 2021-22"
    )
    one = _channel_totals([("FY 2020-21", False, 85, 15)])
    assert share_title(channel_shares(one)) == ("Each channel's share of contacts per fiscal year")


def test_headline_statement_says_what_the_figure_is():
    assert wording.headline_statement("FY 2021-22", False) == (
        "FY 2021-22 is the latest complete period in the data."
    )
    assert "no complete period: FY 2020-21 is partial" in wording.headline_statement(
        "FY 2020-21", True
    )
    assert "no headline figure" in wording.headline_statement(None, False)


def test_to_date_label_and_sentence():
    label = wording.to_date_label(
        "FY 2024-25",
        dt.date(2024, 7, 1),
        dt.date(2024, 8, 20),
        "FY 2023-24",
        dt.date(2023, 7, 1),
        dt.date(2023, 8, 20),
    )
    assert label == (
        "FY 2024-25 to date (01 Jul 2024 - 20 Aug 2024) vs the same span "
        "of FY 2023-24 (01 Jul 2023 - 20 Aug 2023)"
    )
    # 24 against 26: -7.7%.
    assert wording.to_date_sentence(label, 24, 26, -2 / 26 * 100, True) == (
        f"{label}: 24 vs 26 contacts, -7.7%."
    )
    assert "a month of the earlier span has no data" in wording.to_date_sentence(
        label, 24, 26, math.nan, False
    )
    assert "no contacts in the earlier span" in wording.to_date_sentence(
        label, 24, 0, math.nan, True
    )


def test_plan_alignment_statement_and_title():
    assert wording.plan_alignment_statement(3, 5.55, 9.09, True, 10) == (
        "Over 3 complete period(s) the actuals were on average 5.5% from the plan (worst 9.1%); "
        "they align closely under a tolerance of 10%."
    )
    assert "do not align" in wording.plan_alignment_statement(3, 5.55, 9.09, False, 5)
    assert wording.plan_alignment_statement(0, None, None, None, 5) == (
        "No complete period has a plan forecast to compare with."
    )
    assert wording.plan_title(5.55, 9.09) == (
        "Actuals were 5.5% from the plan on average (worst 9.1%)"
    )


def test_population_notes_and_title():
    assert wording.population_rule_note("start", "Multnomah County, OR", ["V2023"]) == (
        "Population of a fiscal year = the 1 July estimate of the year it starts in "
        "(population.year_of_period: start); Multnomah County, OR; V2023."
    )
    assert wording.missing_population_note([2026, 2025, 2026]) == (
        "No population estimate for 2025, 2026: those periods' population fields are null."
    )
    assert wording.population_index_title(150.0, 103.0, "FY 2021-22") == (
        "Contacts grew +50% since FY 2021-22; population +3.0%"
    )


def test_projection_sentences():
    assert wording.projection_sentence("FY 2025-26", 27720.4, 27001.2, 28499.6, 0.95) == (
        "FY 2025-26: projected 27,720 contacts (95% interval 27,001–28,500)."
    )
    assert wording.projection_title("FY 2025-26", 27720.4) == (
        "FY 2025-26 is projected at 27,720 contacts"
    )
    model = wording.projection_model_text(
        "ETS(A,A,N)", 60, pd.Timestamp("2020-07-01"), pd.Timestamp("2025-06-01"), 6, "α=0.50"
    )
    assert model == (
        "ETS(A,A,N) fitted to 60 monthly totals (Jul 2020–Jun 2025), lowest AICc of 6 "
        "candidates; α=0.50."
    )
    assert "2,000 simulated paths" in wording.projection_interval_text(0.95, 2000)
    assert wording.seasonal_title("Mar", "Dec") == "Contacts peak in Mar and are lowest in Dec"


def test_undercount_sentence_states_the_range_and_finds_the_period():
    table = undercount(_front_desk_weeks(), channels=("in_person",), low_rule="zero_days")
    sentence = undercount_sentence(table)
    # 39 / 11524 = 0.34%, 72 / 11524 = 0.62%.
    assert sentence.startswith(
        "FY 2023-24: likely undercounted by 39–72 contacts (0.3–0.6% of the 11,524 counted)"
    )
    assert undercount_sentence(table, 2024) == sentence
    assert undercount_sentence(table, "FY 2023-24") == sentence
    with pytest.raises(ValueError, match="no period"):
        undercount_sentence(table, 2030)


def test_undercount_sentence_when_nothing_was_missed():
    days = pd.date_range("2024-03-04", periods=28, freq="D")
    counts = [0 if d == pd.Timestamp("2024-03-13") else 3 for d in days]
    contacts = pd.DataFrame({"contact_date": days, "channel": "email", "count": counts})
    table = undercount(contacts, channels=("email", "in_person"))
    assert "no sign of missed" in undercount_sentence(table)


def test_nothing_counted_sentence_names_the_main_reasons_and_sums_the_rest():
    reasons = [("not_answered", 1100), ("outbound", 100), ("merged", 3), ("spam_or_test", 1)]
    assert wording.nothing_counted_sentence(1204, reasons[:2]) == (
        "read 1,204 rows but counted none: 1,100 not_answered, 100 outbound"
    )
    assert wording.nothing_counted_sentence(1204, reasons, shown=2) == (
        "read 1,204 rows but counted none: 1,100 not_answered, 100 outbound, 4 for 2 other reasons"
    )
    assert wording.nothing_counted_sentence(1, [("count_zero", 1)]) == (
        "read 1 row but counted none: 1 with a count of 0"
    )
    assert wording.nothing_counted_note(3, [("supporting_record", 3)]) == (
        "Read 3 rows but counted none: 3 supporting_record, so there are no periods "
        "(see the ledger)."
    )


def test_needs_daily_note_for_a_monthly_channel_days_and_months_and_a_stop():
    assert wording.needs_daily_note(
        "Spikes need", "in_person", 12, "2023-07", "2024-06", has_days=False
    ) == ("Spikes need daily data; in-person is monthly (12 months, 2023-07 to 2024-06).")
    assert wording.needs_daily_note(
        "The undercount needs", "email", 2, "2023-07", "2023-08", has_days=True
    ) == (
        "The undercount needs daily data; email's 2 monthly rows (2023-07 to 2023-08) are left out."
    )
    assert wording.needs_daily_note(
        "Weekly totals need", "email", 1, "2023-07", "2023-07", has_days=True, left_out=False
    ) == ("Weekly totals need daily data; email has monthly totals for 1 month (2023-07).")


def test_weekday_shares_clause():
    assert wording.weekday_shares_clause(["phone"], [], equal=False) == (
        "weekday shares from daily phone counts"
    )
    note = "Weekday shares need daily data; phone is monthly (1 month, 2024-01)."
    assert wording.weekday_shares_clause(["phone"], [note], equal=True) == (
        "equal weekday shares (Weekday shares need daily data; phone is monthly (1 month, 2024-01))"
    )
