"""Contact fixtures shared by the model tests and the wording tests."""

import pandas as pd


def front_desk_weeks() -> pd.DataFrame:
    """In-person contacts Mon 4 Mar - Fri 26 Apr 2024 (8 weeks, no federal holiday)."""
    rows = []
    wednesdays = [36, 38, 0, 40, 42, 44, 46, 48]  # the 3rd Wednesday (20 Mar) was not logged
    for week, monday in enumerate(pd.date_range("2024-03-04", periods=8, freq="7D")):
        per_day = [20, 30, wednesdays[week], 50, 60]
        for offset, n in enumerate(per_day):
            rows.append((monday + pd.Timedelta(days=offset), "in_person", n))
    frame = pd.DataFrame(rows, columns=["contact_date", "channel", "count"])
    frame.loc[frame["contact_date"] == "2024-03-07", "count"] = 30  # quiet, not missed (>= 25)
    frame.loc[frame["contact_date"] == "2024-04-11", "count"] = 20  # half-logged Thursday
    phone = pd.DataFrame(
        {"contact_date": [pd.Timestamp("2024-03-04")], "channel": ["phone"], "count": [10000]}
    )
    return pd.concat([frame, phone], ignore_index=True)
