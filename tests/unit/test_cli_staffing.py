import datetime as dt
import io
import json

import pandas as pd
import pytest

from contacts311.cli import main

TEXTBOOK = [
    "staffing",
    "--calls",
    "100",
    "--interval-minutes",
    "30",
    "--aht-seconds",
    "180",
    "--target-seconds",
    "20",
    "--service-level",
    "0.8",
    "--shrinkage",
    "0.3",
]


def test_one_interval_json(capsys):
    assert main([*TEXTBOOK, "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["agents"] == 14
    assert out["scheduled_agents"] == 20
    assert out["occupancy"] == pytest.approx(10 / 14)
    assert 0.8 <= out["service_level"] < 0.9
    assert 0 < out["waiting_probability"] < 1


def test_one_interval_table(capsys):
    assert main(TEXTBOOK) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "agents                           14" in lines
    assert any(line.startswith("scheduled_agents") and line.endswith(" 20") for line in lines)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (("--calls", "0"), "calls must be greater than 0"),
        (("--calls", "-3"), "calls must be greater than 0"),
        (("--aht-seconds", "0"), "handle time"),
        (("--service-level", "1.5"), "between 0 and 1"),
        (("--target-seconds", "1900"), "longer than the 30-minute interval"),
        (("--shrinkage", "1"), "shrinkage"),
        (("--max-occupancy", "0"), "occupancy"),
    ],
)
def test_one_interval_bad_values_exit_2_one_line(capsys, change, fragment):
    argv = list(TEXTBOOK)
    option, value = change
    if option in argv:
        argv[argv.index(option) + 1] = value
    else:
        argv += [option, value]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("contacts311: error:")
    assert fragment in err


def test_one_interval_missing_options(capsys):
    assert main(["staffing", "--calls", "100", "--interval-minutes", "30"]) == 2
    err = capsys.readouterr().err
    assert "--aht-seconds" in err and "--target-seconds" in err and "--service-level" in err


def test_not_a_number_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main([*TEXTBOOK[:2], "lots", *TEXTBOOK[3:]])
    assert exc.value.code == 2
    assert "invalid float value" in capsys.readouterr().err


def _hsplit(folder, start, end, *, staffed=True, daily=False):
    """A small hsplit dump: two 30-minute intervals a day, calls varying by weekday."""
    folder.mkdir()
    header = "row_date,starttime,intrvl,split,acdcalls,abncalls,callsoffered,acdtime,acwtime"
    lines = [header + (",i_stafftime" if staffed else "")]
    day = start
    while day <= end:
        acd = 8 + day.weekday()
        if daily:
            lines.append(f"{day.isoformat()},0,1440,1,{2 * acd},0,{2 * acd},,")
        else:
            for start_time, extra in ((700, 0), (730, 2)):
                calls = acd + extra
                row = f"{day.isoformat()},{start_time},30,1,{calls},1,{calls + 1},{calls * 150},{calls * 30}"
                lines.append(row + (",5400" if staffed else ""))
        day += dt.timedelta(days=1)
    (folder / "hsplit.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_week_grid_csv_sums_back_to_projection(tmp_path, capsys):
    from contacts311.models import monthly_series, project_next_period
    from contacts311.pipeline import load

    folder = _hsplit(tmp_path / "data", dt.date(2023, 7, 1), dt.date(2024, 2, 29))
    assert main(["staffing", str(folder), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    grid = pd.read_csv(io.StringIO(captured.out))
    projection = project_next_period(
        monthly_series(load(folder).contacts, ["phone"], complete_months=True)
    )
    sums = grid.groupby("scenario")["calls_in_year"].sum()
    assert sums["mean"] == pytest.approx(projection.mean)
    assert sums["upper"] == pytest.approx(projection.upper)
    # Two intervals on each of seven weekdays, for two scenarios.
    assert len(grid) == 2 * 7 * 2
    assert set(grid["interval_label"]) == {"07:00", "07:30"}
    # AHT from the data: (150 + 30) s of ACD and after-call work per ACD call.
    assert "Handle time: 180 s" in captured.err
    # Agents never fall short of the occupancy cap of 85%.
    assert (grid["traffic_erlangs"] <= 0.85 * grid["agents"] + 1e-9).all()


def test_week_grid_table_and_staffed(tmp_path, capsys):
    folder = _hsplit(tmp_path / "data", dt.date(2023, 7, 1), dt.date(2024, 2, 29))
    assert main(["staffing", str(folder), "--head-count", "3"]) == 0
    out = capsys.readouterr().out
    assert "Scheduled agents, FY 2023-24, mean" in out
    assert "Monday" in out and "fte_gap" in out
    assert "Staffed vs needed" in out
    assert main(["staffing", str(folder), "--show", "staffed", "--format", "csv"]) == 0
    staffed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    # 5400 staffed seconds in a 30-minute interval = 3 agents, every day.
    assert staffed["staffed_agents"].tolist() == pytest.approx([3.0] * 14)


def test_week_grid_without_staffed_time(tmp_path, capsys):
    folder = _hsplit(tmp_path / "data", dt.date(2023, 7, 1), dt.date(2024, 1, 31), staffed=False)
    assert main(["staffing", str(folder), "--show", "staffed"]) == 2
    assert "no staffed time" in capsys.readouterr().err


def test_daily_only_data_needs_aht_then_uses_flat_profile(tmp_path, capsys):
    folder = _hsplit(
        tmp_path / "data", dt.date(2023, 7, 1), dt.date(2024, 1, 31), daily=True, staffed=False
    )
    assert main(["staffing", str(folder)]) == 2
    assert "--aht-seconds" in capsys.readouterr().err
    assert main(["staffing", str(folder), "--aht-seconds", "240", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    grid = pd.read_csv(io.StringIO(captured.out))
    # Flat over 07:00-20:00 in hours: 13 intervals on each of 7 days, 2 scenarios.
    assert len(grid) == 13 * 7 * 2
    assert "No interval data" in captured.err


def test_data_dir_and_calls_together_is_an_error(tmp_path, capsys):
    assert main([*TEXTBOOK, str(tmp_path)]) == 2
    assert "not both" in capsys.readouterr().err


def test_one_interval_erlang_a(capsys):
    assert main([*TEXTBOOK, "--patience-seconds", "1e9", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # With endless patience Erlang A is Erlang C: the textbook 14 and 20.
    assert out["model"] == "erlang_a"
    assert (out["agents"], out["scheduled_agents"]) == (14, 20)
    assert out["abandon_probability"] < 1e-6
    assert main([*TEXTBOOK, "--patience-seconds", "0"]) == 2
    assert "patience seconds must be greater than 0" in capsys.readouterr().err
