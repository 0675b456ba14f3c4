import json
from pathlib import Path

import pandas as pd
import pytest

from contacts311.cli import main

HSPLIT_HEADER = "row_date,split,acdcalls,abncalls\n"


def _hsplit(folder: Path, per_fy: dict[int, int]) -> None:
    """One daily hsplit row on the 5th of every month; ``acdcalls`` constant within a year."""
    lines = [HSPLIT_HEADER]
    for end_year, calls in per_fy.items():
        for m in pd.period_range(f"{end_year - 1}-07", f"{end_year}-06", freq="M"):
            lines.append(f"{m.year}-{m.month:02d}-05,1,{calls},7\n")
    (folder / "hsplit.csv").write_text("".join(lines), encoding="utf-8")


@pytest.fixture
def tiny(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    _hsplit(folder, {2023: 100, 2024: 120})
    (folder / "population.csv").write_text(
        "year,population,source\n2022,800000,test\n2023,808000,test\n", encoding="utf-8"
    )
    (folder / "plan_forecast.csv").write_text(
        "fiscal_year,forecast_contacts,note\nFY 2022-23,1000,illustrative\nFY 2023-24,1600,illustrative\n",
        encoding="utf-8",
    )
    (folder / "events.csv").write_text(
        "date,end_date,label\n2024-01-13,2024-01-17,Winter storm\n", encoding="utf-8"
    )
    return folder


def test_summary_json_on_a_tiny_folder(tiny, capsys):
    assert main(["summary", str(tiny), "--format", "json", "--as-of", "2024-12-31"]) == 0
    out = json.loads(capsys.readouterr().out)
    periods = out["periods"]
    # ACD calls (the default phone formula): 12 x 100 and 12 x 120.
    assert [(p["period"], p["total"], p["phone"], p["is_partial"]) for p in periods] == [
        ("FY 2022-23", 1200, 1200, False),
        ("FY 2023-24", 1440, 1440, False),
    ]
    assert periods[1]["yoy_growth_pct"] == 20.0
    # FY 2022-23 uses the 1 July 2022 estimate; FY 2023-24 the 1 July 2023 one.
    assert [p["population"] for p in periods] == [800000, 808000]
    assert periods[0]["contacts_per_1000"] == 1.5
    assert periods[1]["contacts_per_1000"] == round(1440 / 808, 3)
    assert [p["forecast"] for p in periods] == [1000, 1600]
    assert [p["variance_from_forecast_pct"] for p in periods] == [20.0, -10.0]
    assert out["average_growth"]["mean_yoy_pct"] == 20.0
    assert out["average_growth"]["cagr_pct"] == 20.0
    assert out["average_growth"]["loglinear_pct"] == 20.0
    pop = out["population_growth"]
    assert pop["mean_population_growth_pct"] == 1.0
    assert pop["mean_gap_pp"] == 19.0
    assert any("illustrative" in n for n in out["notes"])


def test_summary_table_on_a_tiny_folder(tiny, capsys):
    assert main(["summary", str(tiny), "--as-of", "2024-12-31", "--labels", "ending-year"]) == 0
    out = capsys.readouterr().out
    assert "2023" in out and "1,440" in out and "20.00%" in out
    assert "note: Population of a fiscal year" in out


def test_summary_on_phone_only_folder(tmp_path, capsys):
    folder = tmp_path / "phone"
    folder.mkdir()
    (folder / "hsplit.csv").write_text(
        HSPLIT_HEADER + "2023-07-03,1,10,2\n2023-07-04,1,12,1\n2024-07-01,1,15,0\n",
        encoding="utf-8",
    )
    assert main(["summary", str(folder), "--format", "json", "--as-of", "2024-08-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(p["period"], p["total"], p["is_partial"]) for p in out["periods"]] == [
        ("FY 2023-24", 22, True),
        ("FY 2024-25", 15, True),
    ]
    for p in out["periods"]:
        assert p["forecast"] is None and p["yoy_growth_pct"] is None
    # No population file: the bundled Census Vintage 2023 figure for Multnomah, 1 July 2023,
    # serves FY 2023-24; there is no 2024 estimate in it for FY 2024-25.
    assert [p["population"] for p in out["periods"]] == [789698, None]
    assert out["average_growth"] == {
        "mean_yoy_pct": None,
        "cagr_pct": None,
        "loglinear_pct": None,
        "loglinear_ci_pct": [None, None],
    }
    notes = " ".join(out["notes"])
    assert "bundled" in notes and "No population estimate for 2024" in notes
    assert "no plan forecast" in notes

    argv = ["summary", str(folder), "--format", "json", "--no-bundled-population"]
    assert main([*argv, "--as-of", "2024-08-01"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert all(p["population"] is None and p["contacts_per_1000"] is None for p in out["periods"])
    assert out["population_growth"] is None
    assert "no population file" in " ".join(out["notes"])


def test_export_clearimpact(tiny, tmp_path, capsys):
    target = tmp_path / "ci.csv"
    args = [
        "export",
        "clearimpact",
        str(tiny),
        "--measure-id",
        "100816783",
        "--out",
        str(target),
        "--as-of",
        "2024-12-31",
    ]
    assert main(args) == 0
    assert target.read_bytes().decode("utf-8").split("\r\n") == [
        "id,actual_value_date,target_value,actual_value,comment",
        '100816783,06/30/2023,1000,1200,"FY 2022-23 (07/01/2022-06/30/2023): phone 1,200. Counted with contacts311."',
        '100816783,06/30/2024,1600,1440,"FY 2023-24 (07/01/2023-06/30/2024): phone 1,440. Counted with contacts311."',
        "",
    ]
    assert "wrote 2 period(s)" in capsys.readouterr().err


def test_export_leaves_out_partial_periods(tiny, capsys):
    assert (
        main(["export", "clearimpact", str(tiny), "--measure-id", "1", "--as-of", "2024-06-29"])
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out.count("\r\n") == 2  # header + FY 2022-23
    assert "1 partial period(s) left out" in captured.err


def test_bad_measure_id_and_missing_folder_exit_2(tiny, tmp_path, capsys):
    assert main(["export", "clearimpact", str(tiny), "--measure-id", "abc"]) == 2
    assert "measure-id" in capsys.readouterr().err
    assert main(["summary", str(tmp_path / "nope")]) == 2


SAMPLE = Path(__file__).resolve().parents[2] / "data" / "raw" / "sample"


@pytest.mark.integration
@pytest.mark.skipif(
    not (SAMPLE / "_truth" / "ground_truth.csv").is_file(), reason="sample data not generated"
)
def test_sample_summary_matches_ground_truth(capsys):
    assert main(["summary", str(SAMPLE), "--format", "json", "--as-of", "2026-11-26"]) == 0
    out = json.loads(capsys.readouterr().out)
    truth = pd.read_csv(SAMPLE / "_truth" / "ground_truth.csv", parse_dates=["contact_date"])
    d = truth["contact_date"]
    truth["fy"] = d.dt.year + (d.dt.month >= 7)  # fiscal years from July, by ending year
    expected = truth.pivot_table(
        index="fy", columns="channel", values="count", aggfunc="sum", fill_value=0
    )
    population = pd.read_csv(SAMPLE / "reference" / "population.csv").set_index("year")[
        "population"
    ]
    plan = pd.read_csv(SAMPLE / "reference" / "plan_forecast.csv")
    plan_by_fy = {
        int(label[3:7]) + 1: v
        for label, v in zip(plan["fiscal_year"], plan["forecast_contacts"], strict=True)
    }
    assert [int(p["end"][:4]) for p in out["periods"]] == expected.index.tolist()
    for p in out["periods"]:
        fy = int(p["end"][:4])
        for channel in expected.columns:
            assert p[channel] == expected.loc[fy, channel], (p["period"], channel)
        assert p["total"] == expected.loc[fy].sum()
        start_year = fy - 1  # 1 July estimate of the year the fiscal year starts in
        assert p["population"] == (
            int(population[start_year]) if start_year in population.index else None
        )
        assert p["forecast"] == plan_by_fy.get(fy)
    by_fy = {int(p["end"][:4]): p for p in out["periods"]}
    assert (
        by_fy[2024]["total"] == 181798 and by_fy[2025]["total"] == 226774
    )  # the published figures
    assert by_fy[2025]["yoy_growth_pct"] == round((226774 - 181798) / 181798 * 100, 2)
    assert out["periods"][-1]["is_partial"] is True


def test_rows_read_but_none_counted_warn_and_summary_says_why(tmp_path, capsys):
    folder = tmp_path / "reference_only"
    folder.mkdir()
    (folder / "population.csv").write_text(
        "year,population,source\n2022,800000,test\n2023,808000,test\n", encoding="utf-8"
    )
    (folder / "events.csv").write_text(
        "date,end_date,label\n2024-01-13,2024-01-17,Winter storm\n", encoding="utf-8"
    )
    assert main(["summary", str(folder), "--format", "json"]) == 0
    captured = capsys.readouterr()
    warning = "contacts311: warning: read 3 rows but counted none: 3 supporting_record"
    assert warning in captured.err.splitlines()
    notes = json.loads(captured.out)["notes"]
    assert "Read 3 rows but counted none: 3 supporting_record, so there are no periods" in (
        " ".join(notes)
    )
    assert not any("No contacts were read" in n for n in notes)
    assert main(["totals", str(folder)]) == 0
    assert warning in capsys.readouterr().err.splitlines()
