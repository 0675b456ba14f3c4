"""Write the corpus's ``.xlsx`` cases (run once; the workbooks are committed).

Usage: ``.venv/bin/python tests/data/bad/make_xlsx.py``. The workbooks are tiny and written with
fixed document properties so that a re-run gives the same cells (openpyxl stamps times into the
zip, so the bytes themselves may differ; the cases compare counts, not bytes).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent


def _save(rows: list[list[object]], path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.properties.created = dt.datetime(2024, 1, 1)
    wb.properties.modified = dt.datetime(2024, 1, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def zendesk_xlsx(path: Path) -> None:
    """A Support export saved as a workbook: real date cells and an unread personal column."""
    _save(
        [
            [
                "ID",
                "Requester",
                "Subject",
                "Status",
                "Created at",
                "Updated at",
                "Replies",
                "Contact Type [list]",
            ],
            [
                1001,
                "Xl Canary",
                "Pothole",
                "Solved",
                dt.datetime(2023, 9, 1, 8, 0),
                dt.datetime(2023, 9, 2, 8, 0),
                1,
                "Email",
            ],
            [
                1002,
                "Xl Canary",
                "Tree",
                "Closed",
                dt.datetime(2023, 9, 1, 9, 0),
                dt.datetime(2023, 9, 3, 9, 0),
                0,
                "In-Person",
            ],
            [
                1003,
                "Xl Canary",
                "Noise",
                "Open",
                dt.datetime(2023, 9, 1, 9, 30),
                dt.datetime(2023, 9, 1, 9, 30),
                0,
                "Webform",
            ],
        ],
        path,
    )


def avaya_xlsx(path: Path) -> None:
    """A CMS Supervisor report saved as a workbook: title rows, date cells, a totals row."""
    _save(
        [
            ["311 Multi-Day Multi-Skill"],
            ["Skills: 1, 2"],
            [],
            ["Date", "Split/Skill", "Split/Skill Name", "ACD Calls", "Aban Calls"],
            [dt.datetime(2023, 7, 5), 1, "PDX311 General", 40, 2],
            [dt.datetime(2023, 7, 5), 2, "PDX311 Espanol", 5, 0],
            [dt.datetime(2023, 7, 6), 1, "PDX311 General", 35, 1],
            ["Totals", None, None, 80, 3],
        ],
        path,
    )


if __name__ == "__main__":
    zendesk_xlsx(HERE / "19-xlsx-zendesk" / "tickets.xlsx")
    avaya_xlsx(HERE / "20-xlsx-avaya" / "cms_report.xlsx")
