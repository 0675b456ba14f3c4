from pathlib import Path

import pytest

from contacts311.errors import InputError
from contacts311.pipeline import InputFile
from contacts311.profile import default_profile
from contacts311.sources import forecast


def _file(tmp_path: Path, text: str, name: str = "plan.csv") -> InputFile:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return InputFile(p, name, "forecast", {})


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("FY 2023-24", 2024),
        ("2023-24", 2024),
        ("2023-2024", 2024),
        ("2024", 2024),
        ("FY2024", 2024),
        ("FY 1999-00", 2000),
    ],
)
def test_fiscal_year_labels(label, key):
    assert forecast.parse_fiscal_year(label) == key


@pytest.mark.parametrize("label", ["FY 2023-25", "24", "next year", ""])
def test_bad_fiscal_year_labels(label):
    assert forecast.parse_fiscal_year(label) is None


def test_sniff():
    assert forecast.sniff("fiscal_year,forecast_contacts,note\n")
    assert forecast.sniff("Fiscal_Year , Forecast_Contacts,channel\n")
    assert not forecast.sniff("year,population,source\n")
    assert not forecast.sniff("date,end_date,label\n")


def test_read_total_and_channel_rows(tmp_path):
    f = _file(
        tmp_path,
        "fiscal_year,forecast_contacts,channel,note\n"
        "FY 2022-23,150000,,illustrative\n"
        '2023-24,"180,000",,illustrative\n'
        "2024,160000,phone,\n"
        "2024,180000,,illustrative\n",  # the same year and value again: a duplicate
    )
    result = forecast.read([f], default_profile())
    table = result.tables["forecast"]
    assert table["period_key"].tolist() == [2023, 2024, 2024]
    assert table["channel"].tolist() == ["total", "phone", "total"]
    assert table["forecast_contacts"].tolist() == [150000, 160000, 180000]
    assert table["fiscal_year"].tolist() == ["FY 2022-23", "FY 2023-24", "FY 2023-24"]
    buckets = {(r.bucket, r.reason): r.rows for r in result.ledger.frame().itertuples()}
    assert buckets == {
        ("excluded", "supporting_record"): 3,
        ("duplicate", "same_year_and_value"): 1,
    }


def test_conflicting_forecasts_are_an_error(tmp_path):
    f = _file(tmp_path, "fiscal_year,forecast_contacts\nFY 2023-24,100\n2024,120\n")
    with pytest.raises(InputError, match="line 3.*100"):
        forecast.read([f], default_profile())


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("fiscal_year,forecast\n2024,1\n", "forecast_contacts"),
        ("fiscal_year,forecast_contacts\nsoon,1\n", "not understood"),
        ("fiscal_year,forecast_contacts\n2024,12.5\n", "whole number"),
    ],
)
def test_bad_input(tmp_path, text, match):
    with pytest.raises(InputError, match=match):
        forecast.read([_file(tmp_path, text)], default_profile())
