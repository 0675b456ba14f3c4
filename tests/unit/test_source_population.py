from pathlib import Path

import pytest

from contacts311.errors import InputError
from contacts311.pipeline import InputFile
from contacts311.profile import default_profile
from contacts311.sources import population

REFERENCE = Path("/work/shared/reference")
# A Bureau-form (Latin-1, zero-padded) alldata excerpt: the nation-level lines are left out.
BUREAU = (
    "SUMLEV,REGION,DIVISION,STATE,COUNTY,STNAME,CTYNAME,ESTIMATESBASE2020,POPESTIMATE2020,"
    "POPESTIMATE2021,POPESTIMATE2022\r\n"
    "040,4,9,41,000,Oregon,Oregon,4237291,4245044,4256465,4239379\r\n"
    "050,4,9,41,051,Oregon,Multnomah County,815429,816467,805593,795083\r\n"
    "050,4,8,35,013,New Mexico,Do\xf1a Ana County,219561,219883,221508,222651\r\n"
)


def _file(path: Path) -> InputFile:
    return InputFile(path, path.name, "population", {})


def _buckets(result) -> dict[tuple[str, str, str], int]:
    return {(r.source_file, r.bucket, r.reason): r.rows for r in result.ledger.frame().itertuples()}


def test_sniff_census_and_simple_table_but_not_others():
    assert population.sniff("SUMLEV,REGION,DIVISION,STATE,COUNTY,STNAME,CTYNAME,POPESTIMATE2023\n")
    assert population.sniff("\ufeffyear,population,source\n2023,1,x\n")
    assert not population.sniff("fiscal_year,forecast_contacts\n")
    assert not population.sniff("row_date,split,acdcalls,abncalls\n")
    assert not population.sniff("date,end_date,label\n")


def test_bureau_form_latin1_zero_padded(tmp_path):
    p = tmp_path / "co-est2022-alldata.csv"
    p.write_bytes(BUREAU.encode("latin-1"))
    result = population.read([_file(p)], default_profile())
    table = result.tables["population"]
    assert table["year"].tolist() == [2020, 2021, 2022]
    assert table["population"].tolist() == [816467, 805593, 795083]  # not ESTIMATESBASE2020
    assert set(table["vintage"]) == {"Census Bureau Vintage 2022"}
    assert list(table.columns) == ["year", "population", "vintage", "source", "source_file"]
    # 3 rows read: the Multnomah row supports the figures, Oregon and Dona Ana are other areas.
    assert _buckets(result) == {
        (p.name, "excluded", "other_area"): 2,
        (p.name, "excluded", "supporting_record"): 1,
    }
    assert result.contacts.empty


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared reference folder not present")
def test_both_resaved_reference_files_newer_vintage_wins(tmp_path):
    files = [_file(REFERENCE / f"census-co-est{v}-alldata.csv") for v in (2022, 2023)]
    result = population.read(files, default_profile())
    table = result.tables["population"].set_index("year")
    # Multnomah, Vintage 2023 (from pdx311-facts.md): it revises Vintage 2022's 795,083 for 2022.
    assert table["population"].to_dict() == {2020: 816514, 2021: 805319, 2022: 794563, 2023: 789698}
    assert set(table["vintage"]) == {"Census Bureau Vintage 2023"}
    b = _buckets(result)
    # Vintage 2022's Multnomah row is wholly superseded; every other county row is another area.
    assert b[("census-co-est2022-alldata.csv", "duplicate", "superseded")] == 1
    assert b[("census-co-est2023-alldata.csv", "excluded", "supporting_record")] == 1
    total_rows = (
        sum(1 for _ in (REFERENCE / "census-co-est2023-alldata.csv").open(encoding="utf-8")) - 1
    )
    assert b[("census-co-est2023-alldata.csv", "excluded", "other_area")] == total_rows - 1
    assert result.ledger.unbalanced() == []


def test_fips_from_profile_selects_the_county(tmp_path):
    p = tmp_path / "alldata.csv"
    p.write_bytes(BUREAU.encode("latin-1"))
    prof = default_profile()
    prof.population.fips = "35013"
    table = population.read([_file(p)], prof).tables["population"]
    assert table["population"].tolist() == [219883, 221508, 222651]


def test_simple_table_beats_census_for_the_same_year(tmp_path):
    census = tmp_path / "alldata.csv"
    census.write_bytes(BUREAU.encode("latin-1"))
    psu = tmp_path / "psu.csv"
    psu.write_text(
        'year,population,source\n2022,"800,000",PSU certified 2022\n2023,801000,PSU\n',
        encoding="utf-8",
    )
    result = population.read([_file(census), _file(psu)], default_profile())
    table = result.tables["population"].set_index("year")
    assert table["population"].to_dict() == {2020: 816467, 2021: 805593, 2022: 800000, 2023: 801000}
    assert table.loc[2022, "vintage"] == "PSU certified 2022"  # no vintage column: source text
    assert table.loc[2021, "source_file"] == "alldata.csv"


def test_simple_table_conflict_and_bad_values(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("year,population,source\n2022,10,a\n2022,11,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="2022"):
        population.read([_file(p)], default_profile())
    q = tmp_path / "q.csv"
    q.write_text("year,population\n22,10\n", encoding="utf-8")
    with pytest.raises(InputError, match="four-digit year"):
        population.read([_file(q)], default_profile())
    w = tmp_path / "w.csv"  # an unquoted 812,000 would be read as 812
    w.write_text("year,population\n2022,812,000\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 2: this row has 3 cells but the header has 2"):
        population.read([_file(w)], default_profile())
