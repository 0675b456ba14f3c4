"""Unit tests for the pure parts of contacts311.reporting (no notebook is executed here)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from contacts311 import reporting
from contacts311.errors import InputError


def _notebook(path: Path, params_source: str, tagged: bool = True) -> Path:
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "p",
        "metadata": {"tags": ["parameters"] if tagged else []},
        "outputs": [],
        "source": params_source,
    }
    nb = {
        "cells": [
            {"cell_type": "markdown", "id": "t", "metadata": {}, "source": "# My title\n\ntext"},
            cell,
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


# --- parameters -------------------------------------------------------------------------------


def test_read_parameters_types_defaults_and_help(tmp_path):
    nb = _notebook(
        tmp_path / "a.ipynb",
        'data_dir = "data/raw/sample"  # folder of exports\nthreshold = 3.5\nwindow = 4\nshow = True\n',
    )
    params = reporting.read_parameters(nb)
    assert list(params) == ["data_dir", "threshold", "window", "show"]
    assert params["data_dir"].type == "str"
    assert params["data_dir"].default == "data/raw/sample"
    assert params["data_dir"].help == "folder of exports"
    assert params["threshold"].type == "float"
    assert params["window"].type == "int"
    assert params["show"].type == "bool"
    assert params["window"].notebooks == ("a.ipynb",)


def test_read_parameters_needs_a_tagged_cell(tmp_path):
    nb = _notebook(tmp_path / "a.ipynb", "x = 1\n", tagged=False)
    with pytest.raises(InputError, match="no cell tagged 'parameters'"):
        reporting.read_parameters(nb)


def test_read_parameters_rejects_non_literal_and_other_types(tmp_path):
    with pytest.raises(InputError, match="literal"):
        reporting.read_parameters(_notebook(tmp_path / "a.ipynb", "x = len('ab')\n"))
    with pytest.raises(InputError, match="str, int, float or bool"):
        reporting.read_parameters(_notebook(tmp_path / "b.ipynb", "x = [1, 2]\n"))


def test_declared_parameters_merges_and_flags_type_conflicts(tmp_path):
    a = _notebook(tmp_path / "a.ipynb", "window = 4\nas_of = ''\n")
    b = _notebook(tmp_path / "b.ipynb", "as_of = ''\nlevel = 0.95\n")
    merged = reporting.declared_parameters([a, b])
    assert set(merged) == {"window", "as_of", "level"}
    assert merged["as_of"].notebooks == ("a.ipynb", "b.ipynb")
    c = _notebook(tmp_path / "c.ipynb", "window = 'four'\n")
    with pytest.raises(InputError, match="'window' is str here but int"):
        reporting.declared_parameters([a, c])


@pytest.fixture
def declared():
    P = reporting.Parameter
    return {
        "data_dir": P("data_dir", "str", "data/raw/sample"),
        "as_of": P("as_of", "str", ""),
        "window": P("window", "int", 4),
        "level": P("level", "float", 0.95),
        "show": P("show", "bool", True),
    }


def test_parse_overrides_converts_to_the_declared_type(declared):
    got = reporting.parse_overrides(
        ["window=6", "level=0.8", "show=no", "as_of=2025-06-30", "as_of=2025-06-29"], declared
    )
    # The last of repeated options wins; "no" is false; "6" becomes the int 6.
    assert got == {"window": 6, "level": 0.8, "show": False, "as_of": "2025-06-29"}
    assert isinstance(got["window"], int)


def test_parse_overrides_value_may_contain_equals(declared):
    assert reporting.parse_overrides(["as_of=a=b"], declared) == {"as_of": "a=b"}


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("windw=5", "unknown parameter 'windw'; did you mean 'window'"),
        ("zzz=5", "unknown parameter 'zzz'"),
        ("window=five", "'window' expects int, got 'five'"),
        ("level=high", "'level' expects float"),
        ("show=maybe", "'show' expects bool"),
        ("window", "must be written name=value"),
        ("=3", "must be written name=value"),
        ("data_dir=/tmp", "set by the runner"),
    ],
)
def test_parse_overrides_errors(declared, pair, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        reporting.parse_overrides([pair], declared)


# --- up-to-date key ---------------------------------------------------------------------------


def test_run_key_ignores_order_and_tracks_every_part():
    base = reporting.run_key(
        [("a.csv", "1"), ("b.csv", "2")], "default", {"x": 1, "y": "z"}, "code"
    )
    assert base == reporting.run_key(
        [("b.csv", "2"), ("a.csv", "1")], "default", {"y": "z", "x": 1}, "code"
    )
    changed = [
        reporting.run_key([("a.csv", "1"), ("b.csv", "3")], "default", {"x": 1, "y": "z"}, "code"),
        reporting.run_key([("a.csv", "1")], "default", {"x": 1, "y": "z"}, "code"),
        reporting.run_key([("a.csv", "1"), ("b.csv", "2")], "abc", {"x": 1, "y": "z"}, "code"),
        reporting.run_key([("a.csv", "1"), ("b.csv", "2")], "default", {"x": 2, "y": "z"}, "code"),
        reporting.run_key([("a.csv", "1"), ("b.csv", "2")], "default", {"x": 1, "y": "z"}, "code2"),
        reporting.run_key(
            [("a.csv", "1"), ("b.csv", "2")], "default", {"x": 1, "y": "z"}, "code", {"pandas": "3"}
        ),
    ]
    assert all(k != base for k in changed)
    assert len(set(changed)) == len(changed)


def test_input_files_lists_what_the_loader_may_read(tmp_path):
    (tmp_path / "phone").mkdir()
    (tmp_path / "phone" / "a.csv").write_text("x")
    (tmp_path / "b.json").write_text("{}")
    (tmp_path / ".hidden").write_text("x")
    (tmp_path / "_truth").mkdir()
    (tmp_path / "_truth" / "t.csv").write_text("x")
    names = [name for name, _ in reporting.input_files(tmp_path, None)]
    assert names == ["b.json", "phone/a.csv"]


def test_input_files_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        reporting.input_files(tmp_path / "missing", None)
    with pytest.raises(InputError, match="no DATA_DIR"):
        reporting.input_files(None, None)


# --- HTML rendering ---------------------------------------------------------------------------

EVIL = '<script>alert("x")</script>'


def _runs():
    return [
        {
            "id": "20250101T000000Z",
            "started": "2025-01-01T00:00:00+00:00",
            "status": "succeeded",
            "duration_seconds": 12.345,
            "parameters": {"as_of": "2025-01-01"},
            "period": "FY2023-24",
            "folder": "FY2023-24/20250101T000000Z",
            "notebooks": [
                {"name": "01.ipynb", "title": "Headline", "status": "succeeded", "html": "01.html"}
            ],
            "message": "",
        },
        {
            "id": "20250102T000000Z",
            "started": "2025-01-02T00:00:00+00:00",
            "status": "failed",
            "duration_seconds": 3,
            "parameters": {"skill": EVIL},
            "period": "FY2023-24",
            "folder": "FY2023-24/20250102T000000Z",
            "notebooks": [
                {"name": "01.ipynb", "title": EVIL, "status": "failed", "html": "01.html"}
            ],
            "message": f"01.ipynb: ValueError: {EVIL}",
        },
    ]


def test_render_index_escapes_and_orders_newest_first():
    page = reporting.render_index(_runs())
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    table = page[page.index("<tbody>") :]
    assert table.index("2025-01-02") < table.index("2025-01-01T")
    assert 'href="FY2023-24/20250101T000000Z/01.html"' in page
    assert 'href="latest/index.html"' in page
    assert "12.3" in page  # duration with one decimal
    assert 'class="status-failed"' in page and "(failed)" in page


def test_render_index_without_a_good_run():
    page = reporting.render_index([_runs()[1]])
    assert "No run has succeeded yet" in page
    assert "latest/index.html" not in page
    assert "No runs yet" in reporting.render_index([])


def test_provenance_html_lists_inputs_parameters_and_versions():
    prov = {
        "run_id": "r1",
        "started": "2025-01-01T00:00:00+00:00",
        "version": "0.1.0",
        "git_commit": None,
        "environment": {"python": "3.11.7", "pandas": "3.1.1"},
        "inputs": [
            {
                "source_file": f"{EVIL}.csv",
                "format": "avaya_cms",
                "sha256": "ab" * 32,
                "rows_read": 1234,
            }
        ],
        "parameters": {"as_of": "2025-01-01"},
        "rules": ["Phone: ACD calls."],
        "key": "k" * 64,
    }
    page = reporting.provenance_html(prov)
    assert "<script" not in page
    assert "ab" * 32 in page
    assert "1,234" in page
    assert "not a git checkout" in page
    assert "pandas" in page and "3.1.1" in page
    assert "&#x27;2025-01-01&#x27;" in page  # parameters shown as Python literals, escaped
    assert "Phone: ACD calls." in page


def test_add_toc_links_headings_and_escapes_their_text():
    page = (
        "<body><!--contacts311-toc--><main>"
        '<h1 id="Title">Title<a class="anchor-link" href="#Title">¶</a></h1>'
        '<h2 id="x">A &lt;b&gt; B</h2><h3 id="y">Deep</h3><h4 id="z">Too deep</h4><h2>No id</h2>'
        "</main></body>"
    )
    out = reporting.add_toc(page)
    nav = out[out.index("<nav") : out.index("</nav>")]
    assert '<a href="#Title">Title</a>' in nav  # the pilcrow of the anchor link is left out
    assert '<li class="toc-2"><a href="#x">A &lt;b&gt; B</a></li>' in nav
    assert '<li class="toc-3"><a href="#y">Deep</a></li>' in nav
    assert "Too deep" not in nav and "No id" not in nav
    assert "<!--contacts311-toc-->" not in out


def test_period_slug():
    assert reporting.period_slug("FY 2025-26") == "FY2025-26"
    assert reporting.period_slug("2024") == "2024"
    assert reporting.period_slug("../x y") == "xy"
    assert reporting.period_slug("") == "unknown-period"


def test_headline_html_carries_the_exact_value():
    out = reporting.headline_html(181798, "FY 2023-24", "Contacts <handled>")
    assert '<span id="headline-value" data-value="181798">181,798</span>' in out
    assert "Contacts &lt;handled&gt;, FY 2023-24" in out


def test_table_html_escapes_and_formats():
    frame = pd.DataFrame(
        {
            "queue": [EVIL, "General"],
            "count": pd.array([1234567, None], dtype="Int64"),
            "share_pct": [12.345, float("nan")],
            "is_partial": [True, False],
        }
    )
    out = reporting.table_html(frame, caption="Per <queue>")
    assert "<script" not in out
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in out
    assert "1,234,567" in out and "12.3" in out
    assert "<td>yes</td>" in out and "<td>no</td>" in out
    assert "nan" not in out and "&lt;NA&gt;" not in out
    assert "<caption>Per &lt;queue&gt;</caption>" in out


def test_md_and_md_list_escape_values():
    text = reporting.md("Skill **{s}** has {n:,} calls", s=EVIL, n=1500).data
    assert text == "Skill **&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;** has 1,500 calls"
    assert reporting.md_list(["a <b>", "c\nd"]).data == "- a &lt;b&gt;\n- c d"


# --- the packaged notebooks -------------------------------------------------------------------


def test_packaged_notebooks_have_parameters_and_no_outputs():
    notebooks = reporting.list_notebooks()
    assert [p.name for p in notebooks] == [
        "01_contacts_handled.ipynb",
        "02_population.ipynb",
        "03_plan.ipynb",
        "04_data_quality.ipynb",
        "05_staffing.ipynb",
    ]
    for path in notebooks:
        params = reporting.read_parameters(path)
        assert params["data_dir"].default == "data/raw/sample"
        assert set(reporting.RUNNER_PARAMETERS) <= set(params)
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


def test_repository_notebooks_are_the_packaged_ones():
    repo = Path(reporting.__file__).resolve().parents[2] / "notebooks"
    if not repo.is_dir():
        pytest.skip("not a source checkout")
    for path in reporting.list_notebooks():
        assert (repo / path.name).read_bytes() == path.read_bytes()


def test_table_html_shows_dates_without_midnight():
    frame = pd.DataFrame({"contact_date": pd.to_datetime(["2024-03-11 00:00", "2024-03-12 08:30"])})
    out = reporting.table_html(frame)
    assert "<td>2024-03-11</td>" in out
    assert "<td>2024-03-12 08:30:00</td>" in out


# --- the loader process -----------------------------------------------------------------------

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"


def test_loader_process_gives_the_dataset_and_publishes_it(tmp_path):
    """The child's dataset equals an in-process load; publish() is what load_dataset reads."""
    from contacts311.pipeline import load

    case = BAD / "27-ticket-in-two-exports"
    with reporting._Loader(case, None, tmp_path) as loader:
        data = loader.result()
    direct = load(case)
    pd.testing.assert_frame_equal(data.contacts, direct.contacts)
    pd.testing.assert_frame_equal(data.ledger, direct.ledger)
    target = tmp_path / "dataset.pickle"
    loader.publish(target)
    shared = reporting.load_dataset(dataset_path=str(target))
    pd.testing.assert_frame_equal(shared.contacts, direct.contacts)


def test_loader_process_runs_the_input_checks_against_the_reports_history(tmp_path):
    """The runner gets the checks' verdict from the loader, without reading the dataset."""
    from history_helpers import record

    from contacts311.history import HISTORY_FILE
    from contacts311.pipeline import load

    case = BAD / "27-ticket-in-two-exports"
    reports = tmp_path / "reports"
    reports.mkdir()
    direct = load(case)
    # The previous run saw one more column in every file: a layout change this time.
    wider = {name: [*cols, "Extra Column"] for name, cols in direct.columns.items()}
    record(reports / HISTORY_FILE, "run1", direct.contacts, direct.inputs, wider)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with reporting._Loader(case, None, tmp_path / "a", reports) as loader:
        warned, failed = loader.checks()
        data = loader.result()
    assert failed == []
    assert warned and all("Extra Column" in w for w in warned)
    pd.testing.assert_frame_equal(data.contacts, direct.contacts)
    # Without a reports folder there is no history to check against.
    with reporting._Loader(case, None, tmp_path / "b") as loader:
        assert loader.checks() == ([], [])


def test_loader_process_raises_the_childs_warnings_here(tmp_path):
    from contacts311.errors import InputWarning

    with (
        reporting._Loader(BAD / "05-cp1252", None, tmp_path) as loader,
        pytest.warns(InputWarning, match="Windows-1252"),
    ):
        loader.result()


def test_loader_process_raises_the_childs_input_error_whole(tmp_path):
    with (
        reporting._Loader(BAD / "16-negative-counts", None, tmp_path) as loader,
        pytest.raises(InputError) as caught,
    ):
        loader.result()
    err = caught.value
    assert Path(str(err.file)).name == "hsplit.csv"
    assert (err.line, err.column) == (3, "abncalls")


def test_loader_process_that_dies_is_an_error_not_a_hang(tmp_path):
    loader = reporting._Loader(BAD / "04-utf8-bom", None, tmp_path)
    loader._process.kill()
    loader._process.wait()
    loader._file.unlink(missing_ok=True)
    with pytest.raises(RuntimeError, match="stopped"):
        loader.result()


def test_loader_process_does_not_rerun_the_callers_script(tmp_path):
    """A script calling run_report without a __main__ guard must not be run again by the read."""
    import subprocess
    import sys

    script = tmp_path / "nightly.py"
    script.write_text(
        "from pathlib import Path\n"
        "from contacts311 import reporting\n"
        "marker = Path(__file__).with_name('ran.txt')\n"
        "marker.write_text(marker.read_text() + 'x' if marker.exists() else 'x')\n"
        f"with reporting._Loader(Path({str(BAD / '04-utf8-bom')!r}), None, Path(__file__).parent) as loader:\n"
        "    print(len(loader.result().contacts))\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) > 0
    assert (tmp_path / "ran.txt").read_text() == "x"


# --- scheduling -------------------------------------------------------------------------------


def _jobs(tmp_path: Path, sizes: dict[str, int]) -> list[tuple[Path, Path, dict]]:
    jobs = []
    for name, size in sizes.items():
        nb = tmp_path / name
        nb.write_text("x" * size, encoding="utf-8")
        jobs.append((nb, tmp_path / f"out-{name}", {}))
    return jobs


def test_longest_first_without_history_orders_by_size(tmp_path):
    jobs = _jobs(tmp_path, {"a.ipynb": 10, "b.ipynb": 30, "c.ipynb": 20})
    order = reporting._longest_first(jobs, tmp_path / "reports")
    assert [nb.name for nb, _, _ in order] == ["b.ipynb", "c.ipynb", "a.ipynb"]


def test_longest_first_uses_the_latest_seconds_and_starts_new_notebooks_first(tmp_path):
    out = tmp_path / "reports"
    out.mkdir()
    runs = [
        {"notebooks": [{"name": "a.ipynb", "seconds": 1.0}, {"name": "b.ipynb", "seconds": 9.0}]},
        # The latest run wins: b got faster, a slower; c was not in it.
        {"notebooks": [{"name": "a.ipynb", "seconds": 5.0}, {"name": "b.ipynb", "seconds": 2.0}]},
    ]
    (out / reporting.RUNS_FILE).write_text(json.dumps(runs), encoding="utf-8")
    jobs = _jobs(tmp_path, {"a.ipynb": 10, "b.ipynb": 30, "c.ipynb": 1})
    order = reporting._longest_first(jobs, out)
    assert [nb.name for nb, _, _ in order] == ["c.ipynb", "a.ipynb", "b.ipynb"]


# --- the kernel -------------------------------------------------------------------------------


def test_kernel_spec_is_private_to_the_run_and_starts_the_nicer_launcher(tmp_path, monkeypatch):
    import sys

    monkeypatch.setenv("JUPYTER_PATH", "/elsewhere")
    with reporting._kernel(tmp_path) as name:
        spec = json.loads(
            (tmp_path / "jupyter" / "kernels" / name / "kernel.json").read_text(encoding="utf-8")
        )
        assert spec["argv"][:3] == [sys.executable, "-m", "contacts311._kernel"]
        assert "{connection_file}" in spec["argv"]
        assert reporting.os.environ["JUPYTER_PATH"].split(reporting.os.pathsep) == [
            str(tmp_path / "jupyter"),
            "/elsewhere",
        ]
    assert reporting.os.environ["JUPYTER_PATH"] == "/elsewhere"


@pytest.mark.skipif(not hasattr(__import__("os"), "nice"), reason="POSIX niceness")
def test_kernel_launcher_lowers_its_priority_before_starting_ipykernel():
    import os
    import subprocess
    import sys

    # The kernel application is replaced by a stub that prints the niceness it started at.
    code = (
        "import os, ipykernel.kernelapp as app\n"
        "app.launch_new_instance = lambda: print(os.nice(0))\n"
        "import contacts311._kernel as k\n"
        "k.main()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    from contacts311 import _kernel

    assert int(out.stdout.strip()) == min(os.nice(0) + _kernel.NICENESS, 19)


# --- executing one notebook -------------------------------------------------------------------


def _fake_papermill(monkeypatch, outcomes: list[Exception | None]) -> list[str]:
    """``papermill.execute_notebook`` raising (or not) each of ``outcomes`` in turn."""
    import papermill

    calls: list[str] = []

    def execute_notebook(nb, out_nb, **kwargs):
        calls.append(nb)
        outcome = outcomes[len(calls) - 1]
        if outcome is not None:
            raise outcome

    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)
    return calls


def test_a_kernel_that_never_started_is_started_again(monkeypatch, tmp_path):
    # Its port was taken before it could bind it: no cell ran, so a fresh kernel is safe.
    died = RuntimeError("Kernel died before replying to kernel_info")
    calls = _fake_papermill(monkeypatch, [died, None])
    status, message, _ = reporting._execute(tmp_path / "a.ipynb", tmp_path / "o", {}, "k", tmp_path)
    assert (status, message, len(calls)) == ("succeeded", "", 2)


def test_a_kernel_that_never_starts_fails_after_the_last_try(monkeypatch, tmp_path):
    died = RuntimeError("Kernel died before replying to kernel_info")
    calls = _fake_papermill(monkeypatch, [died] * reporting._KERNEL_STARTS)
    status, message, _ = reporting._execute(tmp_path / "a.ipynb", tmp_path / "o", {}, "k", tmp_path)
    assert status == "failed" and "Kernel died" in message
    assert len(calls) == reporting._KERNEL_STARTS == 3


def test_a_failing_cell_or_a_kernel_dying_later_is_not_run_again(monkeypatch, tmp_path):
    import papermill

    error = papermill.PapermillExecutionError(0, 1, "x = f()", "ValueError", "bad value", [])
    calls = _fake_papermill(monkeypatch, [error])
    status, message, _ = reporting._execute(tmp_path / "a.ipynb", tmp_path / "o", {}, "k", tmp_path)
    assert (status, message, len(calls)) == ("failed", "ValueError: bad value", 1)

    calls = _fake_papermill(monkeypatch, [RuntimeError("Kernel died"), None])
    status, message, _ = reporting._execute(tmp_path / "a.ipynb", tmp_path / "o", {}, "k", tmp_path)
    assert (status, message, len(calls)) == ("failed", "RuntimeError: Kernel died", 1)


def test_papermill_is_imported_one_thread_at_a_time(monkeypatch, tmp_path):
    # papermill and nbconvert reach jupyter_client in different orders: imported by two
    # threads at once they can meet a half-initialised module. _execute waits for the lock.
    import threading

    calls = _fake_papermill(monkeypatch, [None])
    result: list = []
    with reporting._IMPORTING:
        worker = threading.Thread(
            target=lambda: result.append(
                reporting._execute(tmp_path / "a.ipynb", tmp_path / "o", {}, "k", tmp_path)
            )
        )
        worker.start()
        worker.join(timeout=0.5)
        assert worker.is_alive() and not calls  # held at the import
    worker.join(timeout=10)
    assert result[0][0] == "succeeded" and len(calls) == 1
