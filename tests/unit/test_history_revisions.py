"""Figure history for the headline notebook: revisions against the last run, shares, headline."""

import datetime as dt
from types import SimpleNamespace

import pandas as pd
import pytest
from history_helpers import AS_OF
from history_helpers import contacts_frame as _contacts
from history_helpers import inputs_frame as _inputs
from history_helpers import record as _record

from contacts311 import measures, plots
from contacts311.errors import InputError
from contacts311.history import (
    data_as_of,
    dropped_figures,
    figure_revisions,
    figures_for_run,
    record_run,
)
from contacts311.report import html, parameters, shared_load

FIRST = [
    ("2022-07-05", "phone", 100, "p.txt"),
    ("2023-07-05", "phone", 40, "p.txt"),
    ("2023-07-06", "email", 5, "z.csv"),
]
INPUTS = [("p.txt", "avaya_cms", "aaa"), ("z.csv", "zendesk", "zzz")]


def test_figure_revisions_flags_only_changed_figures(tmp_path):
    path = tmp_path / "history.sqlite"
    _record(path, "run1", _contacts(FIRST), _inputs(INPUTS))
    # This run: 3 late emails land in FY 2023-24; FY 2022-23 is untouched.
    now = _contacts([*FIRST, ("2023-08-01", "email", 3, "z2.csv")])
    figures = figures_for_run(now, _inputs([*INPUTS, ("z2.csv", "zendesk", "yyy")]), as_of=AS_OF)
    rev = figure_revisions(path, figures).set_index(["period", "channel"])
    # FY 2023-24 email: 5 -> 8 (+3); its total 45 -> 48 (+3).
    assert rev.loc[("FY 2023-24", "email"), "previous_value"] == 5
    assert rev.loc[("FY 2023-24", "email"), "value"] == 8
    assert rev.loc[("FY 2023-24", "email"), "change"] == 3
    assert rev.loc[("FY 2023-24", "total"), "note"] == "revised +3 (was 45)"
    assert bool(rev.loc[("FY 2023-24", "total"), "revised"])
    # FY 2022-23 (100 phone, 0 email) and FY 2023-24 phone (40) did not move: not flagged.
    for key in [("FY 2022-23", "total"), ("FY 2022-23", "phone"), ("FY 2023-24", "phone")]:
        assert not bool(rev.loc[key, "revised"]), key
        assert rev.loc[key, "change"] == 0
        assert rev.loc[key, "note"] == "unchanged"
    assert set(rev["previous_run"]) == {"run1"}
    assert dropped_figures(path, figures).empty


def test_figure_revisions_first_run_and_new_figures(tmp_path):
    path = tmp_path / "history.sqlite"
    figures = figures_for_run(_contacts(FIRST), _inputs(INPUTS), as_of=AS_OF)
    first = figure_revisions(path, figures)  # no history file yet
    assert set(first["note"]) == {"first run"}
    assert first["previous_value"].isna().all() and not first["revised"].any()
    assert not path.exists()  # reading never creates the history
    _record(path, "run1", _contacts(FIRST), _inputs(INPUTS))
    # A webform export adds a channel: its figures are new, not revisions.
    now = _contacts([*FIRST, ("2023-09-01", "webform", 2, "w.csv")])
    rev = figure_revisions(path, figures_for_run(now, _inputs(INPUTS), as_of=AS_OF))
    web = rev[rev["channel"] == "webform"]
    assert list(web["note"]) == ["new since the last run"] * 2
    assert not web["revised"].any()
    total = rev.set_index(["period", "channel"]).loc[("FY 2023-24", "total")]
    assert total["note"] == "revised +2 (was 45)"


def test_dropped_figures_lists_what_the_last_run_had(tmp_path):
    path = tmp_path / "history.sqlite"
    _record(path, "run1", _contacts(FIRST), _inputs(INPUTS))
    # The email export is gone this run: the email figures of both years are no longer published.
    now = _contacts(FIRST[:2])
    gone = dropped_figures(path, figures_for_run(now, _inputs(INPUTS[:1]), as_of=AS_OF))
    assert sorted(zip(gone["period"], gone["channel"], gone["previous_value"], strict=True)) == [
        ("FY 2022-23", "email", 0),
        ("FY 2023-24", "email", 5),
    ]
    assert set(gone["previous_run"]) == {"run1"}


def _totals(rows):
    """period_totals-shaped: (period, is_partial, phone, email)."""
    frame = pd.DataFrame(rows, columns=["period", "is_partial", "phone", "email"])
    frame["start"] = [dt.date(2020 + i, 7, 1) for i in range(len(frame))]
    frame["end"] = [dt.date(2021 + i, 6, 30) for i in range(len(frame))]
    frame["total"] = frame["phone"] + frame["email"]
    return frame[["period", "start", "end", "is_partial", "phone", "email", "total"]]


def test_share_bars_stack_to_100_percent():
    totals = _totals([("FY 2020-21", False, 75, 25), ("FY 2021-22", True, 60, 40)])
    fig = plots.share_bars(measures.channel_shares(totals), title="Phone fell", source="test")
    ax = fig.axes[0]
    tops = {}
    for bar in ax.patches:
        x = round(bar.get_x() + bar.get_width() / 2)
        tops[x] = max(tops.get(x, 0), bar.get_y() + bar.get_height())
    assert tops == pytest.approx({0: 100.0, 1: 100.0})
    # The phone segment of the first year is 75 high; the partial year is labelled.
    assert ax.patches[0].get_height() == pytest.approx(75.0)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["FY 2020-21", "FY 2021-22\n(partial)"]
    assert plots.describe(fig)["ylabel"] == "Share of contacts (%)"


def _data(checks):
    return SimpleNamespace(
        profile=SimpleNamespace(checks=SimpleNamespace(**checks)),
        contacts=_contacts([("2024-01-10", "phone", 5, "p.txt")]),
        inputs=_inputs([("p.txt", "avaya_cms", "aaa")]),
        columns={"p.txt": ["row_date", "split", "acdcalls", "abncalls"]},
    )


def test_input_checks_split_by_profile_rules(tmp_path):
    # The previous run had phone data to 2024-03-31 with an extra column; this run ends
    # 2024-01-10 (81 days earlier) and lacks 'callsoffered'.
    prev = _contacts([("2024-03-31", "phone", 5, "p.txt")])
    inputs = _inputs([("p.txt", "avaya_cms", "aaa")])
    record_run(
        tmp_path / "history.sqlite",
        "run1",
        dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        figures_for_run(prev, inputs, as_of=AS_OF),
        inputs,
        {"p.txt": ["row_date", "split", "acdcalls", "abncalls", "callsoffered"]},
        data_as_of(prev),
        ["rule A"],
    )
    rules = {"stale_inputs": "warn", "stale_days": 7, "layout_change": "warn"}
    warned, failed = shared_load.input_checks(tmp_path, _data(rules))
    assert failed == []
    assert len(warned) == 2
    assert "phone: data ends 2024-01-10, 81 days earlier" in warned[0]
    assert "columns gone: 'callsoffered'" in warned[1]
    warned, failed = shared_load.input_checks(tmp_path, _data({**rules, "stale_inputs": "fail"}))
    assert len(warned) == 1 and "layout" in warned[0]
    assert len(failed) == 1 and "81 days earlier" in failed[0]
    # A tolerance wider than the gap silences the stale check.
    warned, failed = shared_load.input_checks(tmp_path, _data({**rules, "stale_days": 90}))
    assert failed == [] and len(warned) == 1 and "layout" in warned[0]


def test_run_warnings_reads_the_runner_file(tmp_path):
    dataset = tmp_path / "dataset.pickle"
    assert shared_load.run_warnings("") == []
    assert shared_load.run_warnings(str(dataset)) == []
    (tmp_path / "dataset.pickle.warnings.json").write_text('["phone: data ends early"]')
    assert shared_load.run_warnings(str(dataset)) == ["phone: data ends early"]


def test_index_and_provenance_show_warning_runs():
    run = {
        "id": "r1",
        "started": "2025-01-01T00:00:00+00:00",
        "status": "warning",
        "duration_seconds": 1,
        "parameters": {},
        "period": "FY2023-24",
        "folder": "FY2023-24/r1",
        "notebooks": [],
        "message": "input checks warned: phone: <b>stale</b>",
    }
    page = html.render_index([run])
    assert 'class="status-warning"' in page
    assert 'href="latest/index.html"' in page  # a warning run was published
    assert "&lt;b&gt;stale&lt;/b&gt;" in page
    prov = html.provenance_html({"warnings": ["phone: <i>ends early</i>"]})
    assert "Input checks: warnings" in prov and "&lt;i&gt;ends early&lt;/i&gt;" in prov
    assert "Input checks" not in html.provenance_html({"warnings": []})


def test_history_path_is_set_by_the_runner_only():
    declared = parameters.declared_parameters(
        [parameters.notebooks_dir() / "01_contacts_handled.ipynb"]
    )
    assert declared["history_path"].default == ""
    with pytest.raises(InputError, match="set by the runner"):
        parameters.parse_overrides(["history_path=/tmp/other.sqlite"], declared)
