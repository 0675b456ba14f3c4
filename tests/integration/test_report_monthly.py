"""A report on monthly counts tables: the day-level sections say they need daily data."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from contacts311 import report

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _months(first_year: int, n: int, base: int) -> str:
    rows = ["Month,Total"]
    for i in range(n):
        year, month = first_year + (6 + i) // 12, (6 + i) % 12 + 1  # from July
        rows.append(f"{year}-{month:02d}-01,{base + 10 * (i % 12)}")
    return "\n".join(rows) + "\n"


@pytest.fixture
def monthly_folder(tmp_path) -> tuple[Path, Path]:
    """Phone and email as monthly totals, July 2021 to June 2024, and a profile naming them."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "phone.csv").write_text(_months(2021, 36, 9000), encoding="utf-8")
    (data / "email.csv").write_text(_months(2021, 36, 700), encoding="utf-8")
    entries = "".join(
        f"  - {{format: counts, path: {data / name}.csv, channel: {name}, "
        "date_column: Month, count_column: Total}\n"
        for name in ("phone", "email")
    )
    profile = tmp_path / "city.yml"
    profile.write_text(f"sources:\n{entries}", encoding="utf-8")
    return data, profile


def test_data_quality_and_staffing_on_monthly_totals(monthly_folder, tmp_path):
    data, profile = monthly_folder
    notebooks = [NOTEBOOKS / "04_data_quality.ipynb", NOTEBOOKS / "05_staffing.ipynb"]
    lines: list[str] = []
    outcome = report.run_report(
        None,
        profile,
        tmp_path / "reports",
        ["as_of=2024-12-31", "aht_seconds=240"],
        notebooks=notebooks,
        log=lines.append,
        workers=1,
    )
    assert (outcome.status, outcome.exit_code) == ("succeeded", 0), lines
    quality = html.unescape((outcome.run_dir / "04_data_quality.html").read_text("utf-8"))
    assert "Spikes need daily data; phone is monthly (36 months, 2021-07 to 2024-06)." in quality
    assert "email is monthly (36 months, 2021-07 to 2024-06)." in quality
    assert "The undercount needs daily data; email is monthly (36 months" in quality
    assert "Spike days and matching events" not in quality
    staffing = html.unescape((outcome.run_dir / "05_staffing.html").read_text("utf-8"))
    assert (
        "equal weekday shares (Weekday shares need daily data; phone is monthly (36 months, "
        "2021-07 to 2024-06))" in staffing
    )
