"""Shared fixtures: one report run on (a copy of) the bundled sample for the whole session."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "raw" / "sample"


@dataclass
class ReportRun:
    """The session's report run: where the data and reports are and what the command said."""

    data_dir: Path
    out: Path
    exit_code: int
    stdout: str
    stderr: str
    seconds: float


@pytest.fixture(scope="session")
def sample_copy(tmp_path_factory) -> Path:
    """A private copy of the bundled sample (tests may change it; data/raw never is)."""
    if not any(SAMPLE.glob("*/*")):
        pytest.skip("the bundled sample data/raw/sample is missing")
    dest = tmp_path_factory.mktemp("data") / "sample"
    shutil.copytree(SAMPLE, dest)
    return dest


@pytest.fixture(scope="session")
def report_run(sample_copy, tmp_path_factory) -> ReportRun:
    """``contacts311 report`` on the sample copy, run once per session through the CLI."""
    import contextlib
    import io

    from contacts311.cli import main

    out = tmp_path_factory.mktemp("reports") / "reports"
    stdout, stderr = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["report", str(sample_copy), "--out", str(out)])
    return ReportRun(
        sample_copy, out, code, stdout.getvalue(), stderr.getvalue(), time.perf_counter() - start
    )


@pytest.fixture(scope="session")
def library_totals(sample_copy):
    """The library's fiscal-year totals for the sample (what the headline must equal)."""
    from contacts311.measures import period_totals
    from contacts311.pipeline import load

    data = load(sample_copy)
    return period_totals(data.contacts, "fiscal", data.profile.fiscal_year_start_month)


CHROMIUM = Path("/usr/bin/chromium")
#: Headless Chromium on a closed network: no background connections, no first-run work.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (the browser is never downloaded)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); run `make browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
