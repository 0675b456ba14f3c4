import pytest

from contacts311.ledger import LedgerBuilder, ledger_wide, uncounted_reasons


def test_buckets_balance_and_wide_view():
    led = LedgerBuilder("avaya_cms")
    led.read("a.txt", 10)
    led.add("a.txt", "counted", "", 6, contacts=600)
    led.add("a.txt", "excluded", "summary_row", 1)
    led.add("a.txt", "excluded", "skill_not_counted", 2)
    led.add("a.txt", "duplicate", "", 1)
    assert led.unbalanced() == []
    wide = ledger_wide(led.frame())
    row = wide.iloc[0]
    assert row["rows_read"] == 10
    assert row["counted"] == 6
    assert row["duplicate"] == 1
    assert row["excluded"] == 3
    assert row["excluded_summary_row"] == 1
    assert row["excluded_skill_not_counted"] == 2
    assert row["contacts"] == 600
    assert row["counted"] + row["duplicate"] + row["excluded"] == row["rows_read"]


def test_unbalanced_file_is_reported():
    led = LedgerBuilder("zendesk")
    led.read("t.csv", 3)
    led.add("t.csv", "counted", "", 2, 2)
    assert led.unbalanced() == ["t.csv: read 3, placed 2"]


def test_empty_file_still_listed():
    led = LedgerBuilder("zendesk")
    led.read("empty.csv", 0)
    frame = led.frame()
    assert list(frame["source_file"]) == ["empty.csv"]
    assert list(frame["reason"]) == ["no_data_rows"]
    assert int(frame["rows"].sum()) == 0


def test_unknown_bucket_rejected():
    with pytest.raises(ValueError):
        LedgerBuilder("x").add("f", "lost", "", 1)


def test_uncounted_reasons_most_rows_first_with_zero_count_rows():
    led = LedgerBuilder("amazon_connect")
    led.read("a.json", 10)
    led.add("a.json", "excluded", "not_answered", 6)
    led.add("a.json", "excluded", "outbound", 2)
    led.add("a.json", "duplicate", "same_contact_id", 1)
    led.add("a.json", "counted", "", 1, contacts=0)  # counted, but it gave 0 contacts
    led.read("b.json", 3)
    led.add("b.json", "excluded", "outbound", 1)
    led.add("b.json", "counted", "", 2, contacts=2)  # counted contacts are not reasons
    assert uncounted_reasons(led.frame()) == [
        ("not_answered", 6),
        ("outbound", 3),
        ("count_zero", 1),
        ("same_contact_id", 1),
    ]
    assert uncounted_reasons(LedgerBuilder("x").frame()) == []
