"""The benchmarks at a tiny size: they still run (and the ingest contenders still agree).

No timing assertions: the figures belong in docs/performance.md, not in a pass/fail test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "ingest.py"
REPORT_SCRIPT = ROOT / "benchmarks" / "report_build.py"


def _bench_module(name: str):
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(SCRIPT.parent))


def test_benchmark_quick_run_agrees(tmp_path):
    out = tmp_path / "figures.json"
    # With the read cache on by default, contacts311 would file its parse under XDG_CACHE_HOME;
    # the benchmark switches it off, or (for its cache-on row) points it at a fresh folder of
    # its own, so no figure is a cached re-read.
    env = {k: v for k, v in os.environ.items() if k != "CONTACTS311_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--sizes",
            "20k",
            "--workdir",
            str(tmp_path),
            "--json",
            str(out),
            "--repeat",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (tmp_path / "xdg" / "contacts311").exists()
    figures = json.loads(out.read_text())
    (run,) = figures["runs"]
    assert run["records"] == 20_000
    assert run["agree"] is True
    totals = {name: r["totals"] for name, r in run["results"].items()}
    assert {"contacts311", "contacts311-cache", "pandas", "duckdb", "module"} <= set(totals)
    # A baseline module (module@REV) counts by the rules of its own commit: timed, not compared.
    assert all(t == totals["contacts311"] for n, t in totals.items() if "@" not in n)
    # The generator puts 2% second deliveries and 10% unanswered voice calls in the file, so
    # the answered total must be well below the record count (and above zero).
    answered = sum(totals["contacts311"].values())
    assert 0.6 * 20_000 < answered < 0.9 * 20_000
    for r in run["results"].values():
        assert r["seconds"] > 0 and r["peak_mib"] > 0
        # Two rounds each; the figure is their median.
        assert len(r["rounds"]) == 2 and r["seconds"] == sum(r["rounds"]) / 2
    assert "| contacts311 |" in proc.stdout
    # The generated file and the cached run's private cache are removed after the run.
    assert not list(tmp_path.rglob("contact_records.csv"))
    assert not list(tmp_path.rglob("*.pickle"))


def test_generator_is_deterministic_and_has_duplicates(tmp_path):
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import ingest
    finally:
        sys.path.remove(str(SCRIPT.parent))
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    info = ingest.generate(a, 5_000)
    ingest.generate(b, 5_000)
    assert a.read_bytes() == b.read_bytes()
    assert info == {"records": 5_000, "distinct": 4_900, "duplicates": 100}
    lines = a.read_text().splitlines()
    assert len(lines) == 5_001
    ids = [line.split(",", 1)[0] for line in lines[1:]]
    assert len(set(ids)) == 4_900


def test_generator_transfers_link_each_leg_to_a_first_leg(tmp_path):
    import csv

    ingest = _bench_module("ingest")
    path = tmp_path / "t.csv"
    info = ingest.generate(path, 5_000, transfers=0.05)
    assert info["transfer_legs"] == 245  # 5% of the 4,900 distinct contacts
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    first = {r["ContactId"]: r for r in rows if not r["InitialContactId"]}
    legs = {r["ContactId"]: r for r in rows if r["InitialContactId"]}
    assert len(legs) == 245
    for leg in legs.values():
        head = first[leg["InitialContactId"]]  # the first leg is in the file, and not a leg
        assert leg["PreviousContactId"] == leg["InitialContactId"]
        assert (leg["Channel"], leg["InitiationMethod"]) == ("VOICE", "TRANSFER")
        assert leg["InitiationTimestamp"] > head["InitiationTimestamp"]


def test_references_fold_transfers_into_their_first_leg(tmp_path):
    ingest = _bench_module("ingest")
    path = tmp_path / "t.csv"
    ingest.generate(path, 5_000, transfers=0.05)

    def answered(script, *extra):
        cmd = [sys.executable, "-c", script, str(path), ingest.TIMEZONE, *extra]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        return sum(ingest._fiscal_totals_from_days(out).values())

    chains = answered(ingest.PANDAS_SCRIPT, "chains")
    assert chains == answered(ingest.DUCKDB_SCRIPT, "chains")
    # Counting every leg would count most transferred calls twice.
    assert answered(ingest.PANDAS_SCRIPT) - chains > 150


# --------------------------------------------------------------------------- report builds


def test_report_build_quick_runs_the_floor(tmp_path):
    from contacts311 import report
    from contacts311.report.execute import default_workers

    out = tmp_path / "figures.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(REPORT_SCRIPT),
            "--quick",
            "--workdir",
            str(tmp_path),
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures = json.loads(out.read_text())
    names = [nb.name for nb in report.list_notebooks()]
    assert figures["notebooks"] == names
    # Same parallelism as the runner: the runner's own default for that many notebooks.
    assert figures["workers"] == default_workers(len(names))
    floor = figures["floor_seconds"]
    assert set(floor) == {"total", *names}
    assert all(v > 0 for v in floor.values())
    assert not {"matplotlib", "statsmodels"} & set(figures["imports"]["heavy_loaded"])
    assert sorted(p.name for p in (tmp_path / "floor").glob("*.ipynb")) == names
    assert f"floor: {len(names)} notebooks" in proc.stdout


def test_floor_notebooks_keep_the_parameters_and_import_the_given_modules(tmp_path):
    from contacts311 import report

    bench = _bench_module("report_build")
    real = report.list_notebooks()
    floors = bench.write_floor_notebooks(real, {real[0].name: ["json", "csv"]}, tmp_path)
    assert [p.name for p in floors] == [p.name for p in real]
    for nb, floor in zip(real, floors, strict=True):
        # papermill injects the same parameters into the floor as into the real notebook.
        assert report.read_parameters(floor) == report.read_parameters(nb)
    doc = json.loads(floors[0].read_text())
    assert "MODULES = ['json', 'csv']" in doc["cells"][-1]["source"]
    other = json.loads(floors[1].read_text())
    assert "MODULES = []" in other["cells"][-1]["source"]


def test_third_party_keeps_only_library_modules_in_order():
    bench = _bench_module("report_build")
    names = [
        "json",
        "pandas",
        "contacts311.measures",
        "_io",
        "matplotlib.pyplot",
        "os.path",
        "pandas.core",
    ]
    assert bench._third_party(names) == ["pandas", "matplotlib.pyplot", "pandas.core"]


def test_notebook_seconds_are_read_from_the_runner_log():
    bench = _bench_module("report_build")
    log = (
        "contacts311: loading exports from /data\n"
        "contacts311: [1/2] 02_population.ipynb: succeeded in 7.7 s\n"
        "contacts311: [2/2] 01_contacts_handled.ipynb: failed in 12.0 s (KeyError: 'x')\n"
    )
    assert bench.notebook_seconds(log) == {
        "02_population.ipynb": 7.7,
        "01_contacts_handled.ipynb": 12.0,
    }
