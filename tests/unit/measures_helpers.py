"""Small tables shared by the measures tests and the wording tests."""

import datetime as dt

import pandas as pd


def fy_totals(rows: list[tuple[int, int, bool]], phone_share: float | None = None) -> pd.DataFrame:
    """A period_totals-shaped frame: (ending year, total, is_partial) per fiscal year."""
    out = []
    for end_year, total, partial in rows:
        row = {
            "period": f"FY {end_year - 1}-{end_year % 100:02d}",
            "start": dt.date(end_year - 1, 7, 1),
            "end": dt.date(end_year, 6, 30),
            "is_partial": partial,
        }
        if phone_share is not None:
            row["phone"] = int(total * phone_share)
            row["email"] = total - row["phone"]
        row["total"] = total
        out.append(row)
    return pd.DataFrame(out)


def contacts_frame(rows):
    return pd.DataFrame(
        {
            "contact_date": pd.to_datetime([r[0] for r in rows]),
            "channel": [r[1] for r in rows],
            "count": [r[2] for r in rows],
        }
    )


def channel_totals(rows):
    """period_totals-shaped: (period, is_partial, phone, email)."""
    frame = pd.DataFrame(rows, columns=["period", "is_partial", "phone", "email"])
    frame["start"] = [dt.date(2020 + i, 7, 1) for i in range(len(frame))]
    frame["end"] = [dt.date(2021 + i, 6, 30) for i in range(len(frame))]
    frame["total"] = frame["phone"] + frame["email"]
    return frame[["period", "start", "end", "is_partial", "phone", "email", "total"]]


#: ``tables["population"]``: 1 July estimates 2021-2024.
POP = pd.DataFrame(
    {
        "year": [2021, 2022, 2023, 2024],
        "population": [1000, 1010, 1030, 1040],
        "vintage": ["V2024"] * 4,
        "source": ["test"] * 4,
        "source_file": ["p.csv"] * 4,
    }
)


#: ``tables["forecast"]``: totals for FY 2021-22 .. FY 2024-25 and a phone row for FY 2023-24.
FORECAST = pd.DataFrame(
    {
        "period_key": [2022, 2023, 2024, 2025, 2024],
        "fiscal_year": ["FY 2021-22", "FY 2022-23", "FY 2023-24", "FY 2024-25", "FY 2023-24"],
        "channel": ["total", "total", "total", "total", "phone"],
        "forecast_contacts": [110, 120, 140, 170, 100],
        "note": ["illustrative"] * 5,
        "source_file": ["plan.csv"] * 5,
    }
)
