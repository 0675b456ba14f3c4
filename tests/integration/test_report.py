"""``contacts311 report`` end to end: run folders, index, latest/, provenance, skip, failures."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from contacts311 import __version__, report
from contacts311.cli import main
from contacts311.report.outputs import LOCK_FILE

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "raw" / "sample"


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _runs(out: Path) -> list[dict]:
    return json.loads((out / "runs.json").read_text(encoding="utf-8"))


def _latest_run_id(out: Path) -> str:
    return json.loads((out / "latest" / "provenance.json").read_text(encoding="utf-8"))["run_id"]


# --- the full report on the bundled sample (one run per session) -------------------------------


def test_report_run_succeeds_and_files_a_run_folder(report_run, library_totals):
    assert report_run.exit_code == 0, report_run.stderr
    complete = library_totals[~library_totals["is_partial"]]
    period = report.period_slug(str(complete["period"].iloc[-1]))
    folders = sorted((report_run.out / period).iterdir())
    assert len(folders) == 1
    run_dir = folders[0]
    assert re.fullmatch(r"\d{8}T\d{6}Z", run_dir.name)
    assert report_run.stdout.strip() == str(run_dir)
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == [
        "01_contacts_handled.html",
        "02_population.html",
        "03_plan.html",
        "04_data_quality.html",
        "05_staffing.html",
        "index.html",
        "provenance.json",
    ]
    # One progress line per notebook, then the summary.
    assert len(re.findall(r"\[\d/5\] \S+\.ipynb: succeeded", report_run.stderr)) == 5
    print(f"report run on the sample: {report_run.seconds:.1f} s")


def test_latest_is_a_copy_of_the_run(report_run):
    run = _runs(report_run.out)[-1]
    run_dir = report_run.out / run["folder"]
    latest = report_run.out / "latest"
    assert sorted(p.name for p in latest.iterdir()) == sorted(p.name for p in run_dir.iterdir())
    for p in run_dir.iterdir():
        assert (latest / p.name).read_bytes() == p.read_bytes()


def test_index_lists_the_run_with_working_links(report_run):
    runs = _runs(report_run.out)
    assert len(runs) == 1 and runs[0]["status"] == "succeeded"
    page = (report_run.out / "index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert "latest/index.html" in hrefs
    assert len([h for h in hrefs if h.endswith(".html") and not h.startswith("latest")]) == 5
    for href in hrefs:
        if href.startswith("#"):  # the skip link: an anchor on this page
            assert f'id="{href[1:]}"' in page, href
        else:
            assert (report_run.out / href).is_file(), href
    assert "succeeded" in page and runs[0]["period"] in page


def test_provenance_names_every_input_with_its_hash(report_run, sample_copy):
    prov = json.loads((report_run.out / "latest" / "provenance.json").read_text(encoding="utf-8"))
    assert prov["version"] == __version__
    assert prov["parameters"]["data_dir"] == str(sample_copy.resolve())
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", prov["parameters"]["as_of"])
    assert "dataset_path" not in prov["parameters"]
    assert prov["environment"]["python"].count(".") == 2
    assert {"pandas", "matplotlib", "papermill", "nbconvert"} <= set(prov["environment"])
    assert "git_commit" in prov
    names = {i["source_file"] for i in prov["inputs"]}
    assert "reference/events.csv" in names
    entry = next(i for i in prov["inputs"] if i["source_file"] == "reference/events.csv")
    expected = hashlib.sha256((sample_copy / "reference" / "events.csv").read_bytes()).hexdigest()
    assert entry["sha256"] == expected
    assert all(i["rows_read"] >= 0 for i in prov["inputs"])
    assert sum(i["rows_read"] for i in prov["inputs"]) > 0
    # Every report carries the same provenance section, inputs included.
    for page in (report_run.out / "latest").glob("0*.html"):
        text = page.read_text(encoding="utf-8")
        assert 'id="provenance"' in text and expected in text, page.name


def test_reports_are_self_contained(report_run):
    for page in (report_run.out / "latest").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), page.name
        assert not re.search(r'(src|href)="(https?:)?//', text), page.name
        assert "<link" not in text.lower(), page.name
        assert "@import" not in text and "@font-face" not in text, page.name
    head = (report_run.out / "latest" / "01_contacts_handled.html").read_text(encoding="utf-8")
    assert head.count('src="data:image/png;base64,') >= 1
    assert '<nav id="toc"' in head and 'href="#Methodology"' in head
    assert "def " not in head and "import pandas" not in head  # code cells are hidden


def test_second_run_is_up_to_date(report_run):
    before = (report_run.out / "runs.json").read_text(encoding="utf-8")
    code, out, err = _cli("report", str(report_run.data_dir), "--out", str(report_run.out))
    assert code == 0
    assert "up to date" in err
    assert out == ""
    assert (report_run.out / "runs.json").read_text(encoding="utf-8") == before


def test_data_folder_is_never_written(report_run, sample_copy):
    # The copy the report ran on still matches the bundled sample file for file.
    for p in SAMPLE.rglob("*"):
        if p.is_file():
            assert (sample_copy / p.relative_to(SAMPLE)).read_bytes() == p.read_bytes()
    extra = {q.relative_to(sample_copy) for q in sample_copy.rglob("*")} - {
        q.relative_to(SAMPLE) for q in SAMPLE.rglob("*")
    }
    assert extra == set()


# --- runner behaviour on a tiny data set and tiny notebooks ------------------------------------

TINY_NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "id": "a", "metadata": {}, "source": "# Tiny report\n\nA test."},
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "b",
            "metadata": {"tags": ["parameters"]},
            "outputs": [],
            "source": 'data_dir = ""\nprofile = ""\ndataset_path = ""\nas_of = ""\nfail = False\n',
        },
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "c",
            "metadata": {},
            "outputs": [],
            "source": (
                "from IPython.display import HTML, display\n"
                "from contacts311.report import notebook as nb\n"
                "data = nb.load_dataset(data_dir, profile, dataset_path)\n"
                "if fail:\n"
                "    raise RuntimeError('planted failure for the test')\n"
                "display(HTML(nb.headline_html(int(data.contacts['count'].sum()), 'all')))\n"
            ),
        },
    ],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


@pytest.fixture
def tiny(tmp_path):
    """A two-file data folder, a tiny notebook and an output folder."""
    data = tmp_path / "data"
    (data / "phone").mkdir(parents=True)
    cms = sorted((SAMPLE / "phone" / "cms_reports").glob("*2020-07*"))[0]
    shutil.copy(cms, data / "phone" / cms.name)
    shutil.copy(SAMPLE / "reference" / "events.csv", data / "events.csv")
    nb = tmp_path / "nb" / "tiny.ipynb"
    nb.parent.mkdir()
    nb.write_text(json.dumps(TINY_NOTEBOOK), encoding="utf-8")
    return data, nb, tmp_path / "reports"


def _run(data: Path, nb: Path, out: Path, *overrides: str, force: bool = False, notebooks=None):
    lines: list[str] = []
    outcome = report.run_report(
        data, None, out, list(overrides), force=force, notebooks=notebooks or [nb], log=lines.append
    )
    return outcome, lines


def test_skip_force_and_changed_input(tiny):
    data, nb, out = tiny
    cwd = Path.cwd()
    first, _ = _run(data, nb, out)
    assert Path.cwd() == cwd  # parallel notebooks never move the runner's working directory
    assert (first.status, first.exit_code) == ("succeeded", 0), first.message
    page = (first.run_dir / "tiny.html").read_text(encoding="utf-8")
    assert 'id="headline-value"' in page

    again, lines = _run(data, nb, out)
    assert (again.status, again.exit_code) == ("up-to-date", 0), lines
    assert any("up to date" in line for line in lines)
    assert len(_runs(out)) == 1

    forced, _ = _run(data, nb, out, force=True)
    assert forced.status == "succeeded" and forced.run_dir != first.run_dir
    assert _latest_run_id(out) == forced.run_dir.name

    # Add one event: an input changed, so the next run must not be skipped.
    with (data / "events.csv").open("a", encoding="utf-8") as fh:
        fh.write("2021-01-05,,test event\n")
    changed, _ = _run(data, nb, out)
    assert changed.status == "succeeded"
    assert _latest_run_id(out) == changed.run_dir.name
    assert [r["status"] for r in _runs(out)] == ["succeeded"] * 3

    # A different parameter value is a different run too.
    other, _ = _run(data, nb, out, "as_of=2021-06-30")
    assert other.status == "succeeded"
    assert _runs(out)[-1]["parameters"] == {"as_of": "2021-06-30"}


def test_notebook_failure_keeps_latest_and_shows_the_error(tiny):
    data, nb, out = tiny
    good, _ = _run(data, nb, out)
    latest_before = {p.name: p.read_bytes() for p in (out / "latest").iterdir()}
    failing = nb.with_name("zz_failing.ipynb")
    failing.write_bytes(nb.read_bytes())
    bad, lines = _run(data, nb, out, "fail=true", notebooks=[failing])
    assert (bad.status, bad.exit_code) == ("failed", 1)
    html = (bad.run_dir / "zz_failing.html").read_text(encoding="utf-8")
    assert "planted failure for the test" in html and "RuntimeError" in html
    assert {p.name: p.read_bytes() for p in (out / "latest").iterdir()} == latest_before
    assert _latest_run_id(out) == good.run_dir.name
    runs = _runs(out)
    assert [r["status"] for r in runs] == ["succeeded", "failed"]
    assert "planted failure" in runs[-1]["message"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'class="status-failed"' in index
    assert any("failed" in line for line in lines)
    # A failed run is never "up to date": the same command runs (and fails) again.
    again, _ = _run(data, nb, out, "fail=true", notebooks=[failing])
    assert again.status == "failed"


def test_corrupted_data_keeps_latest_and_is_recorded(tiny):
    data, nb, out = tiny
    good, _ = _run(data, nb, out)
    (data / "phone" / "garbage.csv").write_bytes(b"\x00\x01\x02 not an export \xff" * 10)
    code, stdout, err = _cli("report", str(data), "--out", str(out), "--force")
    assert code == 2
    # Progress lines, then the error on exactly one line.
    errors = [line for line in err.splitlines() if "error" in line]
    assert (
        len(errors) == 1
        and errors[0].startswith("contacts311: error:")
        and "garbage.csv" in errors[0]
    )
    assert _latest_run_id(out) == good.run_dir.name
    runs = _runs(out)
    assert runs[-1]["status"] == "failed" and "garbage.csv" in runs[-1]["message"]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("nope=1", "unknown parameter 'nope'"),
        ("as_of=yesterday", "'as_of' expects a date"),
        ("as_of", "name=value"),
        ("dataset_path=/x", "set by the runner"),
    ],
)
def test_bad_parameters_exit_2_before_anything_runs(tmp_path, option, message):
    out = tmp_path / "reports"
    code, _, err = _cli("report", str(SAMPLE), "--out", str(out), "-p", option)
    assert code == 2
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_a_held_lock_stops_a_second_run(tiny):
    from filelock import FileLock

    data, nb, out = tiny
    out.mkdir()
    with FileLock(str(out / LOCK_FILE)):
        with pytest.raises(report.LockTimeout):
            report.run_report(
                data, None, out, [], notebooks=[nb], wait_seconds=0.2, log=lambda _: None
            )
        code, _, err = _cli("report", str(data), "--out", str(out), "--wait", "0.2")
    assert code == 1 and "another report run" in err
    assert not (out / "runs.json").exists()


def test_list_parameters():
    code, out, _ = _cli("report", "--list-parameters")
    assert code == 0
    assert out.startswith("as_of (str, default '')")
    assert "data_dir" not in out


def test_a_parameter_of_one_notebook_reaches_only_that_notebook(tiny):
    """``-p`` accepts a name one notebook declares and passes it to that notebook alone."""
    data, nb, out = tiny
    own = json.loads(json.dumps(TINY_NOTEBOOK))
    own["cells"][1]["source"] += "head_count = 23\n"
    own["cells"][2]["source"] += "display(HTML(f'<p id=\"head\">{head_count}</p>'))\n"
    staffing_nb = nb.with_name("zz_staffing.ipynb")
    staffing_nb.write_text(json.dumps(own), encoding="utf-8")
    outcome, _ = _run(data, nb, out, "head_count=30", notebooks=[nb, staffing_nb])
    assert (outcome.status, outcome.exit_code) == ("succeeded", 0), outcome.message
    assert '<p id="head">30</p>' in (outcome.run_dir / "zz_staffing.html").read_text("utf-8")
    # The other notebook's provenance lists only the parameters it declares.
    assert "head_count" not in (outcome.run_dir / "tiny.html").read_text("utf-8")


def test_plan_report_says_the_sample_forecast_is_illustrative(report_run):
    page = (report_run.out / "latest" / "03_plan.html").read_text(encoding="utf-8")
    # The sample's plan_forecast.csv notes every row as illustrative; the page must say so.
    assert "illustrative: not the City&#x27;s plan figures" in page or (
        "illustrative: not the City's plan figures" in page
    )
