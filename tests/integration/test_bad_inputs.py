"""Every case of the bad-input corpus (``tests/data/bad/<NN-name>/``) through the command line.

Each case folder holds the input file(s), an optional ``profile.yml`` and ``expect.yml``:
``exit`` (0 or 2), ``stderr`` (substrings of the one error line), ``warning`` (a substring of a
warning line), ``ledger_reason`` (a ledger reason or bucket that must appear) and ``totals``
(hand-computed contacts per fiscal year and channel). ``docs/robustness.md`` documents each case.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from contacts311.cli import COMMANDS, main

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
CASES = sorted(p for p in BAD.iterdir() if (p / "expect.yml").is_file())
CHANNELS = ("phone", "email", "webform", "in_person")

#: Every recovering case also runs through ``report`` (about 10 s each on 2 cores).
REPORT_CASES = {
    p.name for p in CASES if (yaml.safe_load((p / "expect.yml").read_text()) or {}).get("exit") == 0
}


def _expect(case: Path) -> dict:
    return yaml.safe_load((case / "expect.yml").read_text(encoding="utf-8")) or {}


def _args(case: Path) -> list[str]:
    profile = case / "profile.yml"
    return [str(case)] + (["--profile", str(profile)] if profile.is_file() else [])


def _run(capsys, argv: list[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_corpus_is_big_enough():
    """The issue asks for at least 30 cases across the formats."""
    assert len(CASES) >= 30
    names = " ".join(p.name for p in CASES)
    for word in ("xlsx", "future", "profile", "nul", "bom", "cp1252", "dst"):
        assert word in names


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_totals(case: Path, capsys):
    """``totals`` exits as expected, with one clear error line or the hand-computed totals."""
    import json

    expect = _expect(case)
    code, out, err = _run(capsys, ["totals", *_args(case), "--format", "json"])
    assert code == expect["exit"], err
    assert "Traceback" not in err
    assert "internal error" not in err
    if expect["exit"] == 2:
        errors = [line for line in err.splitlines() if line.startswith("contacts311: error:")]
        assert len(errors) == 1, err
        for text in expect.get("stderr", []):
            assert text in errors[0], (text, errors[0])
        assert "expected" in errors[0] or "did you mean" in errors[0] or "matches no" in errors[0]
        return
    if "warning" in expect:
        warnings = [line for line in err.splitlines() if line.startswith("contacts311: warning:")]
        assert any(expect["warning"] in w for w in warnings), err
    got = {
        row["period"]: {c: int(row.get(c) or 0) for c in CHANNELS if int(row.get(c) or 0)}
        for row in json.loads(out)
    }
    got = {period: counts for period, counts in got.items() if counts}
    want = {period: dict(counts) for period, counts in (expect.get("totals") or {}).items()}
    assert got == want
    if "ledger_reason" in expect:
        from contacts311.pipeline import load

        profile = case / "profile.yml"
        data = load(case, profile if profile.is_file() else None)
        seen = set(data.ledger["reason"]) | set(data.ledger["bucket"])
        assert expect["ledger_reason"] in seen, seen
        read = data.ledger[data.ledger["format"] != ""]
        wide = read.groupby("source_file")["rows"].sum()
        assert (wide == data.inputs.set_index("source_file")["rows_read"]).all()
        # A scanned case lists its expect.yml (and profile.yml), with no rows, as not exports.
        skipped = data.ledger[data.ledger["format"] == ""]
        if not data.profile.sources:
            assert "expect.yml" in set(skipped["source_file"])
            assert set(skipped["reason"]) == {"not_an_export"} and skipped["rows"].sum() == 0


ERROR_CASES = [c for c in CASES if _expect(c)["exit"] == 2]


@pytest.mark.skipif("report" not in COMMANDS, reason="no report command yet")
@pytest.mark.parametrize("case", ERROR_CASES, ids=[p.name for p in ERROR_CASES])
def test_report_fails_fast_on_bad_input(case: Path, capsys, tmp_path):
    """Bad input stops ``report`` with exit 2 before any notebook runs."""
    start = time.monotonic()
    code, _, err = _run(capsys, ["report", *_args(case), "--out", str(tmp_path / "out")])
    assert code == 2, err
    assert "Traceback" not in err
    # The exports are read in a child process: its error arrives whole (file, line, column).
    errors = [line for line in err.splitlines() if line.startswith("contacts311: error:")]
    assert len(errors) == 1, err
    for text in _expect(case).get("stderr", []):
        assert text in errors[0], (text, errors[0])
    out = tmp_path / "out"
    # The runs index at the top of --out may be rewritten; no run folder or page may appear.
    assert [p for p in out.rglob("*.html") if p.parent != out] == []
    assert not list(out.rglob("*.ipynb"))
    # No notebook ran: a notebook takes seconds; loading a tiny case takes well under that.
    assert "ipynb" not in err, err
    assert time.monotonic() - start < 60


#: One recovering case per data shape (channels, days, formats, extra tables) runs every
#: notebook; the others, whose data the notebooks would see alike, run the headline only (the
#: read, its warnings and publishing are the same either way). A notebook pass costs ~20 s of
#: CPU per case; the guard below fails when a new shape has no case here.
EVERY_NOTEBOOK = {
    "02-header-only", "05-cp1252", "06-crlf", "07-no-final-newline", "17-three-date-formats",
    "19-xlsx-zendesk", "21-mixed-time-zones", "23-dst-gap", "26-future-ticket",
    "38-latin1-zendesk", "39-daily-row-equals-intervals", "43-counts-thousands",
    "46-connect-missing-zone", "48-connect-redelivered",
}  # fmt: skip
HEADLINE = Path(__file__).resolve().parents[2] / "notebooks" / "01_contacts_handled.ipynb"


def _data_shape(case: Path) -> tuple:
    """What the notebooks see of a case: channels, number of days, formats, extra tables."""
    import warnings

    from contacts311.pipeline import load

    profile = case / "profile.yml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the cases' warnings are checked by the tests above
        data = load(case, profile if profile.is_file() else None)
    contacts = data.contacts
    tables = tuple(sorted(k for k, t in data.tables.items() if t is not None and len(t)))
    return (
        tuple(sorted(contacts["channel"].unique())),
        contacts["contact_date"].nunique(),
        tuple(sorted(contacts["source"].unique())),
        tables,
    )


def test_every_data_shape_of_the_recovering_cases_runs_every_notebook(monkeypatch, tmp_path):
    monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(tmp_path / "cache"))
    assert EVERY_NOTEBOOK <= REPORT_CASES
    shapes: dict[tuple, set[str]] = {}
    for name in sorted(REPORT_CASES):
        shapes.setdefault(_data_shape(BAD / name), set()).add(name)
    uncovered = {shape: names for shape, names in shapes.items() if not names & EVERY_NOTEBOOK}
    assert not uncovered, f"add one case of each shape to EVERY_NOTEBOOK: {uncovered}"


@pytest.mark.skipif("report" not in COMMANDS, reason="no report command yet")
@pytest.mark.parametrize("name", sorted(REPORT_CASES))
def test_report_on_recovered_input(name: str, capsys, tmp_path, monkeypatch):
    """Every recovering case through ``report``: no notebook fails on a few days of data."""
    if name not in EVERY_NOTEBOOK:
        monkeypatch.setattr("contacts311.report.runner.list_notebooks", lambda: [HEADLINE])
    case = BAD / name
    code, _, err = _run(capsys, ["report", *_args(case), "--out", str(tmp_path / "out")])
    assert "Traceback" not in err
    assert "internal error" not in err
    # The loader recovered (else exit 2) and no notebook may fail on a tiny dataset (else 1):
    # charts that need more data are replaced by sentences saying what they need. Exit 3 is
    # a success whose input checks warned (e.g. stale exports).
    assert code in (0, 3), err
    assert ".ipynb: failed" not in err, err
    # The read's warnings, raised in the loader process, are shown by the runner.
    if "warning" in _expect(case):
        warnings = [line for line in err.splitlines() if line.startswith("contacts311: warning:")]
        assert any(_expect(case)["warning"] in w for w in warnings), err
    assert [p for p in (tmp_path / "out").rglob("index.html") if p.parent != tmp_path / "out"]


SAMPLE = Path(__file__).resolve().parents[2] / "data" / "raw" / "sample"


def test_files_beside_the_sample_that_are_not_exports_change_no_total(tmp_path, capsys):
    """README.md, .DS_Store, an Office lock file and notebook checkpoints are listed, not read."""
    import json

    folder = tmp_path / "data"
    folder.mkdir()
    for part in ("phone", "zendesk", "reference"):
        (folder / part).symlink_to(SAMPLE / part, target_is_directory=True)
    (folder / "README.md").write_text("# Exports for FY 2025-26\n")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1\x00\x00")
    (folder / "~$book.xlsx").write_bytes(b"\x0bMaria Lopez")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "x.ipynb").write_text('{"cells": [], "nbformat": 4}')
    code, alone, err = _run(capsys, ["totals", str(SAMPLE), "--format", "json"])
    assert code == 0, err
    code, beside, err = _run(capsys, ["totals", str(folder), "--format", "json"])
    assert code == 0, err
    assert beside == alone
    code, out, err = _run(capsys, ["ledger", str(folder), "--format", "json"])
    assert code == 0, err
    rows = {r["source_file"]: r for r in json.loads(out)}
    for name in ("README.md", ".DS_Store", "~$book.xlsx", ".ipynb_checkpoints/"):
        assert rows[name]["format"] == "" and rows[name]["rows_read"] == 0, rows.get(name)
        assert "excluded_not_an_export" in rows[name]
    assert sorted(n for n, r in rows.items() if r["format"] == "") == [
        ".DS_Store",
        ".ipynb_checkpoints/",
        "README.md",
        "~$book.xlsx",
    ]
