"""CSV outputs cannot run as spreadsheet formulas; report HTML escapes text from the data."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest

from contacts311.cli import COMMANDS, main
from contacts311.cli._common import emit, neutralise_formulas

HYPERLINK = '=HYPERLINK("http://evil.example","click")'
RISKY = (HYPERLINK, "-cmd", "+SUM(1,2)", "@SUM(A1)", "\t=1", "\r=1")


def test_neutralise_prefixes_formula_text():
    frame = pd.DataFrame({"text": [*RISKY, "plain", "a=b"]})
    out = neutralise_formulas(frame)["text"].tolist()
    assert out == [
        "'" + HYPERLINK,
        "'-cmd",
        "'+SUM(1,2)",
        "'@SUM(A1)",
        "'\t=1",
        "'\r=1",
        "plain",
        "a=b",
    ]


def test_neutralise_leaves_numbers_alone():
    """-5 is a number, not a formula, whether stored as a number or written as text."""
    frame = pd.DataFrame(
        {
            "n": [-5, 3, 0],
            "x": [-0.5, 1.25, float("nan")],
            "t": ["-5", "+1.5", "-1,234"],
        }
    )
    out = neutralise_formulas(frame)
    assert out["n"].tolist() == [-5, 3, 0]
    assert out["x"].tolist()[:2] == [-0.5, 1.25]
    assert out["t"].tolist() == ["-5", "+1.5", "-1,234"]


def test_neutralise_does_not_change_its_input():
    frame = pd.DataFrame({"t": ["=1"]})
    neutralise_formulas(frame)
    assert frame["t"].tolist() == ["=1"]


def test_emit_csv_is_formula_safe():
    stream = io.StringIO()
    emit(pd.DataFrame({"queue": [HYPERLINK, "-cmd"], "growth_pct": [-5.0, 2.0]}), "csv", stream)
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert rows == [
        ["queue", "growth_pct"],
        ["'" + HYPERLINK, "-5.0"],
        ["'-cmd", "2.0"],
    ]


def _risky_cells(text: str) -> list[str]:
    """Cells of a CSV text that a spreadsheet would evaluate (numbers are fine)."""
    bad = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                try:
                    float(cell.replace(",", ""))
                except ValueError:
                    bad.append(cell)
    return bad


@pytest.fixture
def risky_data(tmp_path: Path) -> Path:
    """Exports whose file names, skill names and tags start like formulas; FY 2022-23 whole."""
    data = tmp_path / "data"
    data.mkdir()
    lines = [
        "311 Multi-Day Multi-Skill",
        "",
        "Date\tSplit/Skill\tSplit/Skill Name\tACD Calls\tAban Calls",
    ]
    day = dt.date(2022, 7, 1)
    while day <= dt.date(2023, 6, 30):
        lines.append(f"{day:%m/%d/%Y}\t1\t{HYPERLINK}\t10\t1")
        day += dt.timedelta(days=1)
    (data / "=HYPERLINK(1).txt").write_text("\n".join(lines) + "\n")
    tickets = io.StringIO()
    writer = csv.writer(tickets, lineterminator="\n")
    writer.writerow(
        [
            "ID",
            "Subject",
            "Tags",
            "Status",
            "Created at",
            "Updated at",
            "Replies",
            "Contact Type [list]",
        ]
    )
    writer.writerow(
        [
            1,
            HYPERLINK,
            "-cmd =x",
            "Solved",
            "2022-08-01 10:00:00",
            "2022-08-02 10:00:00",
            1,
            "Email",
        ]
    )
    (data / "-cmd.csv").write_text(tickets.getvalue())
    (data / "@hsplit.csv").write_text(
        "row_date,starttime,intrvl,acd,split,acdcalls,abncalls\n2022-08-01,700,30,1,7,4,0\n"
    )
    return data


def test_cli_csv_outputs_are_formula_safe(risky_data: Path, tmp_path: Path, capsys):
    capsys.readouterr()
    assert main(["ledger", str(risky_data), "--format", "csv"]) == 0
    ledger = capsys.readouterr().out
    assert _risky_cells(ledger) == []
    names = {row["source_file"] for row in csv.DictReader(io.StringIO(ledger))}
    assert names == {"'=HYPERLINK(1).txt", "'-cmd.csv", "'@hsplit.csv"}

    assert main(["totals", str(risky_data), "--format", "csv"]) == 0
    totals = capsys.readouterr().out
    assert _risky_cells(totals) == []
    # 365 days x 10 calls + 4 interval calls (phone) and one email ticket, FY 2022-23.
    row = next(r for r in csv.DictReader(io.StringIO(totals)) if r["period"] == "FY 2022-23")
    assert (int(row["phone"]), int(row["email"])) == (3654, 1)

    out = tmp_path / "ci.csv"
    code = main(
        [
            "export",
            "clearimpact",
            str(risky_data),
            "--measure-id",
            "100816783",
            "--out",
            str(out),
            "--comment",
            HYPERLINK,
            "--as-of",
            "2024-01-01",
        ]
    )
    assert code == 0
    text = out.read_text()
    assert _risky_cells(text) == []
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["actual_value"] for r in rows] == ["3655"]
    assert rows[0]["comment"].startswith("'=HYPERLINK")


@pytest.mark.integration
@pytest.mark.skipif("report" not in COMMANDS, reason="no report command yet")
def test_report_html_escapes_text_from_data(tmp_path: Path, capsys):
    """A skill named ``<script>alert(1)</script>`` is shown as text, never as markup."""
    data = tmp_path / "data"
    data.mkdir()
    lines = [
        "311 Multi-Day Multi-Skill",
        "",
        "Date\tSplit/Skill\tSplit/Skill Name\tACD Calls\tAban Calls",
    ]
    day = dt.date(2022, 7, 1)
    while day <= dt.date(2024, 6, 30):  # two whole fiscal years: enough for every notebook
        lines.append(f"{day:%m/%d/%Y}\t1\t<script>alert(1)</script>\t{100 + day.day}\t3")
        day += dt.timedelta(days=1)
    (data / "cms.txt").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    code = main(["report", str(data), "--out", str(out)])
    err = capsys.readouterr().err
    assert code in (0, 1), err  # 1: a notebook failed; its HTML is still written and checked
    pages = [p.read_text(encoding="utf-8") for p in out.rglob("*.html")]
    assert pages
    assert all("<script>alert" not in page for page in pages)
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in page for page in pages)
