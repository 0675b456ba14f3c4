"""Figure history end to end: report twice on a tiny folder of exports, check what is flagged.

The data folder is built in tmp (a phone hsplit dump per month, July 2023 - September 2024,
100 ACD calls each, and a Zendesk CSV), and only the headline notebook runs, so each run takes
seconds. Expected figures are worked out by hand from those rows:
FY 2023-24: phone 12 x 100 = 1,200, email 2, webform 0, total 1,202;
FY 2024-25 (partial on 2024-10-15): phone 3 x 100 = 300, email 0, webform 1, total 301.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
import sqlite3
from pathlib import Path

import pytest

import contacts311
from contacts311 import report
from contacts311.cli import main
from contacts311.errors import InputError

MONTHS = [f"2023-{m:02d}" for m in range(7, 13)] + [f"2024-{m:02d}" for m in range(1, 10)]
HSPLIT = "row_date,split,intrvl,acdcalls,abncalls,{offered}\n{month}-15,1,1440,100,5,105\n"
TICKETS = (
    "ID,Status,Tags,Created at,Updated at,Replies,Contact Type [list]\n"
    "1,Solved,,2023-08-01 09:00:00,2023-08-02 09:00:00,1,Email\n"
    "2,Closed,,2023-08-03 10:00:00,2023-08-04 10:00:00,1,Email\n"
    "3,Solved,,2024-07-10 11:00:00,2024-07-10 12:00:00,1,Webform\n"
)
HEADLINE = report.notebooks_dir() / "01_contacts_handled.ipynb"
FAILING_NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "# Failing report"},
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "b",
            "metadata": {"tags": ["parameters"]},
            "outputs": [],
            "source": 'dataset_path = ""\n',
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "c",
            "metadata": {},
            "outputs": [],
            "source": "raise RuntimeError('planted failure for the history test')\n",
        },
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def _write_phone(data: Path, months=MONTHS, offered: str = "callsoffered") -> None:
    for month in months:
        path = data / "phone" / f"hsplit_{month}.csv"
        path.write_text(HSPLIT.format(offered=offered, month=month), encoding="utf-8")


@pytest.fixture
def folders(tmp_path):
    data = tmp_path / "data"
    (data / "phone").mkdir(parents=True)
    (data / "tickets").mkdir()
    _write_phone(data)
    (data / "tickets" / "tickets_2024.csv").write_text(TICKETS, encoding="utf-8")
    return data, tmp_path / "reports"


def _report(data: Path, out: Path, profile: Path | None = None, notebooks=None):
    lines: list[str] = []
    outcome = report.run_report(
        data,
        profile,
        out,
        ["as_of=2024-10-15"],
        force=True,
        notebooks=notebooks or [HEADLINE],
        log=lines.append,
        workers=1,
    )
    return outcome, lines


def _cli(*args: str) -> tuple[int, str]:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(args))
    return code, stdout.getvalue()


def _revisions(out: Path) -> dict:
    code, text = _cli("revisions", "--out", str(out), "--format", "json")
    assert code == 0
    return json.loads(text)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _table(page: str, caption: str) -> list[list[str]]:
    """The body rows of the table with ``caption``, as cell texts."""
    start = page.index(f"<caption>{caption}</caption>")
    body = page[start : page.index("</table>", start)]
    rows = re.findall(r"<tr>(.*?)</tr>", body[body.index("<tbody>") :], flags=re.S)
    return [[_text(c) for c in re.findall(r"<td>(.*?)</td>", r, flags=re.S)] for r in rows]


def _headline_page(run_dir: Path) -> str:
    return (run_dir / "01_contacts_handled.html").read_text(encoding="utf-8")


def _history_rows(out: Path) -> dict[str, list[tuple]]:
    with contextlib.closing(sqlite3.connect(out / "history.sqlite")) as conn:
        return {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall()  # noqa: S608
            for t in ("runs", "figures", "inputs", "as_of")
        }


def _snapshot(out: Path) -> tuple[bytes, dict, dict[str, bytes]]:
    latest = {
        p.relative_to(out / "latest").as_posix(): p.read_bytes()
        for p in (out / "latest").rglob("*")
        if p.is_file()
    }
    return (out / "history.sqlite").read_bytes(), _history_rows(out), latest


def _runs(out: Path) -> list[dict]:
    return json.loads((out / "runs.json").read_text(encoding="utf-8"))


FY_CAPTION = "Fiscal-year totals and their revision since the last run"


def test_revisions_listed_and_flagged_after_an_added_and_a_changed_export(folders):
    data, out = folders
    first, lines = _report(data, out)
    assert (first.status, first.exit_code) == ("succeeded", 0), lines
    code, text = _cli("revisions", "--out", str(out))
    assert code == 0 and "only one report run" in text
    page = _headline_page(first.run_dir)
    assert "first report run in this folder's history" in page
    # period, partial, total, previous, change, note
    assert _table(page, FY_CAPTION) == [
        ["FY 2023-24", "no", "1,202", "", "", "first run"],
        ["FY 2024-25", "yes", "301", "", "", "first run"],
    ]

    # A late Zendesk export (3 e-mails in March 2024) and a re-export of the first CSV that
    # now also holds ticket 4 (an e-mail of 2023-09-01): FY 2023-24 e-mail 2 -> 6.
    (data / "tickets" / "late_2024.csv").write_text(
        TICKETS.splitlines(keepends=True)[0]
        + "10,Solved,,2024-03-18 09:00:00,2024-03-18 10:00:00,1,Email\n"
        + "11,Solved,,2024-03-19 09:00:00,2024-03-19 10:00:00,1,Email\n"
        + "12,Closed,,2024-03-20 09:00:00,2024-03-20 10:00:00,0,Email\n",
        encoding="utf-8",
    )
    (data / "tickets" / "tickets_2024.csv").write_text(
        TICKETS + "4,Solved,,2023-09-01 09:00:00,2023-09-01 10:00:00,1,Email\n", encoding="utf-8"
    )
    second, lines = _report(data, out)
    assert (second.status, second.exit_code) == ("succeeded", 0), lines

    rev = _revisions(out)
    assert (rev["previous_run"], rev["current_run"]) == (first.run_dir.name, second.run_dir.name)
    runs = {"previous_run": first.run_dir.name, "current_run": second.run_dir.name}
    assert rev["revisions"] == [
        {"period": "FY 2023-24", "channel": "email", "previous_value": 2, "current_value": 6,
         "change": 4, **runs},
        {"period": "FY 2023-24", "channel": "total", "previous_value": 1202, "current_value": 1206,
         "change": 4, **runs},
    ]  # fmt: skip
    assert rev["inputs"] == [
        {"source_file": "tickets/late_2024.csv", "change": "new"},
        {"source_file": "tickets/tickets_2024.csv", "change": "changed"},
    ]
    code, text = _cli("revisions", "--out", str(out))
    assert code == 0 and "tickets/late_2024.csv" in text and "new" in text

    page = _headline_page(second.run_dir)
    assert f"Compared with run <strong>{first.run_dir.name}</strong>" in page
    assert "<strong>2</strong> figure(s) revised" in page
    # The revised year carries its change; the unchanged year is not flagged.
    assert _table(page, FY_CAPTION) == [
        ["FY 2023-24", "no", "1,206", "1,202", "4", "revised +4 (was 1,202)"],
        ["FY 2024-25", "yes", "301", "301", "0", "unchanged"],
    ]
    assert _table(page, "Revised figures by channel") == [
        ["FY 2023-24", "email", "2", "6", "4", "revised +4 (was 2)"]
    ]
    assert page.count("revised +") == 2  # the FY total and the e-mail figure, nothing else
    assert "Data as of: Phone 2024-09-15; Email 2024-03-20; Webform 2024-07-10" in _text(page)
    # The figures recorded for the run are the ones the report showed.
    rows = _history_rows(out)["figures"]
    assert (second.run_dir.name, "FY 2023-24", "total", 1206) in [r[:4] for r in rows]


def test_stale_inputs_warn_then_fail_and_a_renamed_column_warns(folders, tmp_path):
    data, out = folders
    first, lines = _report(data, out)
    assert first.exit_code == 0, lines

    # The September phone export is missing: phone data now ends 31 days earlier -> warning.
    (data / "phone" / "hsplit_2024-09.csv").unlink()
    warned, lines = _report(data, out)
    assert (warned.status, warned.exit_code) == ("warning", 3), lines
    stale = (
        "phone: data ends 2024-08-15, 31 days earlier than the previous run (2024-09-15); "
        "a month of exports may be missing"
    )
    assert f"warning: {stale}" in lines
    assert _runs(out)[-1]["status"] == "warning"
    assert 'class="status-warning"' in (out / "index.html").read_text(encoding="utf-8")
    assert (out / "latest" / "01_contacts_handled.html").is_file()
    assert _runs(out)[-1]["id"] == warned.run_dir.name
    prov = json.loads((warned.run_dir / "provenance.json").read_text(encoding="utf-8"))
    assert prov["warnings"] == [stale]
    page = _text(_headline_page(warned.run_dir))
    assert "Input checks warned." in page and stale in page
    assert "Input checks: warnings" in page  # the provenance section lists them too
    rev = _revisions(out)
    assert [(r["period"], r["channel"], r["change"]) for r in rev["revisions"]] == [
        ("FY 2024-25", "phone", -100),
        ("FY 2024-25", "total", -100),
    ]
    assert rev["inputs"] == [{"source_file": "phone/hsplit_2024-09.csv", "change": "gone"}]

    # Same again with stale_inputs: fail -> the run fails, history and latest/ untouched.
    profile = tmp_path / "strict.yml"
    bundled = Path(contacts311.__file__).parent / "profiles" / "pdx311.yml"
    text = bundled.read_text(encoding="utf-8")
    assert "stale_inputs: warn" in text
    profile.write_text(text.replace("stale_inputs: warn", "stale_inputs: fail"), encoding="utf-8")
    before = _snapshot(out)
    (data / "phone" / "hsplit_2024-08.csv").unlink()
    code, _ = _cli(
        "report", str(data), "--out", str(out), "--profile", str(profile), "-p", "as_of=2024-10-15"
    )
    assert code == 1
    assert _snapshot(out) == before
    assert _runs(out)[-1]["status"] == "failed"
    assert "input checks failed: phone: data ends 2024-07-15" in _runs(out)[-1]["message"]
    assert _revisions(out)["current_run"] == warned.run_dir.name

    # Both exports back, but with 'callsoffered' renamed in every file -> layout warning.
    _write_phone(data, offered="calls_offered")
    renamed, lines = _report(data, out)
    assert (renamed.status, renamed.exit_code) == ("warning", 3), lines
    layout = [line for line in lines if "export layout changed" in line]
    assert layout == [
        "warning: avaya_cms export layout changed since the previous run "
        "(columns gone: 'callsoffered'; columns new: 'calls_offered')"
    ]
    assert "export layout changed" in _text(_headline_page(renamed.run_dir))


def test_history_survives_failed_runs_untouched(folders, tmp_path):
    data, out = folders
    good, lines = _report(data, out)
    assert good.exit_code == 0, lines
    before = _snapshot(out)
    assert len(before[1]["runs"]) == 1

    # A notebook that raises: the run fails after the data loaded and the checks passed.
    failing = tmp_path / "nb" / "zz_failing.ipynb"
    failing.parent.mkdir()
    failing.write_text(json.dumps(FAILING_NOTEBOOK), encoding="utf-8")
    bad, lines = _report(data, out, notebooks=[HEADLINE, failing])
    assert (bad.status, bad.exit_code) == ("failed", 1), lines
    assert _snapshot(out) == before

    # A corrupted export: the data does not load at all.
    (data / "phone" / "hsplit_2024-09.csv").write_bytes(
        b"row_date,split,acdcalls,abncalls\nx,1,-3,1\n"
    )
    with pytest.raises(InputError):
        _report(data, out)
    assert _snapshot(out) == before
    assert [r["status"] for r in _runs(out)] == ["succeeded", "failed", "failed"]
