"""A scheduled report run stopped by a signal: one line, its exit code, nothing half-published."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_run_stopped_mid_way_is_recorded_and_leaves_no_partial_pages(sample_copy, tmp_path, stop):
    out = tmp_path / "reports"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "contacts311", "report", str(sample_copy), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    seen = []
    for line in proc.stderr:  # stop once the first notebook has finished, mid-run
        seen.append(line)
        if "[1/" in line:
            proc.send_signal(stop)
            break
    rest = proc.stderr.read()
    code = proc.wait(timeout=120)
    assert code == 128 + stop, "".join(seen) + rest
    expected = "interrupted" if stop == signal.SIGINT else f"stopped by {stop.name}"
    assert rest.strip().splitlines()[-1] == f"contacts311: {expected}"
    (run,) = json.loads((out / "runs.json").read_text(encoding="utf-8"))
    assert run["status"] == "interrupted" and run["message"].startswith(
        "interrupted" if stop == signal.SIGINT else expected
    )
    assert not list(out.glob("*/*/*.html")), "a partial run folder was left behind"
    assert not (out / "latest").exists()
    assert list(scratch.iterdir()) == [], "temporary files were left behind"
