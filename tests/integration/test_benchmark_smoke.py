"""The ingest benchmark at a tiny size: it still runs and the three contenders still agree.

No timing assertions: the figures belong in docs/performance.md, not in a pass/fail test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "ingest.py"


def test_benchmark_quick_run_agrees(tmp_path):
    out = tmp_path / "figures.json"
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
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures = json.loads(out.read_text())
    (run,) = figures["runs"]
    assert run["records"] == 20_000
    assert run["agree"] is True
    totals = {name: r["totals"] for name, r in run["results"].items()}
    assert set(totals) == {"contacts311", "pandas", "duckdb"}
    assert totals["contacts311"] == totals["pandas"] == totals["duckdb"]
    # The generator puts 2% second deliveries and 10% unanswered voice calls in the file, so
    # the answered total must be well below the record count (and above zero).
    answered = sum(totals["contacts311"].values())
    assert 0.6 * 20_000 < answered < 0.9 * 20_000
    for r in run["results"].values():
        assert r["seconds"] > 0 and r["peak_mib"] > 0
    assert "| contacts311 |" in proc.stdout
    # The generated file is removed after the run; only the small outputs remain.
    assert not list(tmp_path.rglob("contact_records.csv"))


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
