"""The reference tables: an illustrative plan forecast, events, and population."""

from __future__ import annotations

import datetime as dt

from contacts311.sample.dates import fy_end_year, fy_label
from contacts311.sample.writer import SampleWriter, csv_text

_EVENTS = (
    ("2021-02-16", "2021-02-17", "February 2021 ice storm aftermath (sample: small phone spike)"),
    ("2022-08-01", "2022-08-01", "Hours extended to 7am-8pm Monday-Friday"),
    ("2022-10-20", "2022-10-21", "News story about 311 (sample: news spike)"),
    ("2023-07-01", "2023-07-01", "Start of weekend service: 7am-8pm daily"),
    ("2023-08-01", "2023-08-01", "Zendesk incremental export replaces the Support CSV export"),
    ("2024-01-13", "2024-01-17", "January 2024 ice storm"),
)
_POPULATION = (
    (2020, 816_514, "Vintage 2023"),
    (2021, 805_319, "Vintage 2023"),
    (2022, 794_563, "Vintage 2023"),
    (2023, 794_271, "Vintage 2024"),
    (2024, 795_897, "Vintage 2024"),
)


def write_reference(w: SampleWriter, end_date: dt.date) -> None:
    """The plan forecast to ``end_date``'s fiscal year, the events so far, and the population."""
    rows: list[list] = [["fiscal_year", "forecast_contacts", "note"]]
    value = 95_000.0
    for end in range(2021, fy_end_year(end_date) + 1):
        rows.append(
            [
                fy_label(end),
                int(round(value, -2)),
                "illustrative: not the City's plan figures",
            ]
        )
        value *= 1.2
    w.write("reference/plan_forecast.csv", csv_text(rows))
    w.record("reference/plan_forecast.csv", "excluded", "supporting_record", rows=len(rows) - 1)
    events = [
        ["date", "end_date", "label"],
        *[list(e) for e in _EVENTS if e[0] <= end_date.isoformat()],
    ]
    w.write("reference/events.csv", csv_text(events))
    w.record("reference/events.csv", "excluded", "supporting_record", rows=len(events) - 1)
    pop: list[list] = [["year", "population", "source"]]
    for year, n, vintage in _POPULATION:
        pop.append(
            [
                year,
                n,
                f"U.S. Census Bureau population estimates, {vintage}",
            ]
        )
    w.write("reference/population.csv", csv_text(pop))
    w.record("reference/population.csv", "excluded", "supporting_record", rows=len(pop) - 1)
