"""Audit every page a report run writes with axe-core's WCAG 2.0/2.1 A and AA rules in Chromium.

Two runs are audited: the session's run on the sample, and a second run in a copy of its output
folder after the last month of phone exports was taken away, so the reports carry the input-check
warning (phone data ends 31 days earlier) and the revisions tables (the partial fiscal year's
phone figure fell). Besides axe's rules, every page is checked for headings in order, a title of
its own, its landmarks, and a data table after every chart.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module", autouse=True)
def _axe_installed():
    if not AXE.exists():
        pytest.skip("axe-core is not installed (node_modules/); run `make node`")


#: What the page tells about its structure: title, headings, landmarks, charts and their data.
_FACTS = """() => ({
    title: document.title.trim(),
    headings: Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6'))
        .map(h => [Number(h.tagName[1]), h.textContent.trim()]),
    mains: document.querySelectorAll('main').length,
    navs: Array.from(document.querySelectorAll('nav'))
        .map(n => n.getAttribute('aria-label') || (document.getElementById(
            n.getAttribute('aria-labelledby') || '') || {}).textContent || ''),
    charts: Array.from(document.images).map(img => {
        const next = img.closest('.jp-OutputArea-child')?.nextElementSibling;
        const details = next?.querySelector('details');
        const table = details?.querySelector('table');
        return {
            summary: details?.querySelector('summary')?.textContent || null,
            caption: table?.caption?.textContent || null,
            focusable: table ? table.tabIndex >= 0 : false,
            rows: table ? table.tBodies[0].rows.length : 0,
            rowHeaders: table ? table.querySelectorAll('tbody th[scope=row]').length : 0,
            colHeaders: table ? table.querySelectorAll('thead th[scope=col]').length : 0,
        };
    }),
})"""


@dataclass
class Audit:
    """One page's axe violations and structure facts (see ``_FACTS``)."""

    violations: list[str]
    facts: dict


def audit(browser, path: Path) -> Audit:
    """axe's WCAG A/AA violations on ``path`` (one line per rule and element), and its facts.

    Every ``<details>`` is opened first, so the tables folded under the charts are audited too.
    """
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    facts = page.evaluate(_FACTS)
    context.close()
    violations = [
        f"{v['id']} ({v['impact']}): {json.dumps(node['target'])} - {v['help']}"
        for v in result["violations"]
        for node in v["nodes"]
    ]
    return Audit(violations, facts)


def _written_pages(out: Path) -> list[Path]:
    run_dirs = [p for p in out.glob("*/*") if p.is_dir() and p.parent.name != "latest"]
    return [out / "index.html", *sorted(p for d in run_dirs for p in d.glob("*.html"))]


def _structure_problems(name: str, facts: dict) -> list[str]:
    """Headings h1 first and never a level skipped, one main, a named nav on notebook pages."""
    problems = []
    levels = [level for level, _ in facts["headings"]]
    if not levels or levels[0] != 1 or levels.count(1) != 1:
        problems.append(f"{name}: headings must start with the page's only h1: {levels}")
    for (before, _), (level, text) in zip(facts["headings"], facts["headings"][1:], strict=False):
        if level > before + 1:
            problems.append(f"{name}: h{level} {text!r} follows an h{before}")
    if any(not text for _, text in facts["headings"]):
        problems.append(f"{name}: an empty heading")
    if facts["mains"] != 1:
        problems.append(f"{name}: {facts['mains']} main landmarks")
    notebook = name.rsplit("/", 1)[-1].startswith("0")
    if notebook and facts["navs"] != ["Contents"]:
        problems.append(f"{name}: navigation landmarks {facts['navs']}")
    return problems


def _chart_problems(name: str, facts: dict) -> list[str]:
    """Every chart is followed by its numbers: a focusable table with caption and headers."""
    return [
        f"{name}: chart {i + 1} is not followed by its data: {chart}"
        for i, chart in enumerate(facts["charts"])
        if chart["summary"] != "Data behind this chart"
        or not chart["caption"]
        or not chart["focusable"]
        or chart["rows"] == 0
        or chart["rowHeaders"] != chart["rows"]
        or chart["colHeaders"] == 0
    ]


def check_run(browser, out: Path, pages: list[Path]) -> dict[str, Audit]:
    """Audit ``pages`` (in ``out``); fails on any violation or structure fault."""
    audits = {p.relative_to(out).as_posix(): audit(browser, p) for p in pages}
    problems = [f"{name}: {line}" for name, a in audits.items() for line in a.violations]
    for name, a in audits.items():
        problems += _structure_problems(name, a.facts) + _chart_problems(name, a.facts)
    titles = [a.facts["title"] for a in audits.values()]
    if len(set(titles)) != len(titles) or not all(titles):
        problems.append(f"page titles are not distinct and non-empty: {titles}")
    assert not problems, "\n".join(problems)
    return audits


@pytest.fixture(scope="module")
def sample_audits(browser, report_run) -> dict[str, Audit]:
    assert report_run.exit_code == 0, report_run.stderr
    pages = _written_pages(report_run.out)
    assert len(pages) == 7
    return check_run(browser, report_run.out, pages)


def test_every_page_of_the_sample_report_has_no_wcag_violation(sample_audits):
    charts = {name: len(a.facts["charts"]) for name, a in sample_audits.items()}
    # The charts each notebook draws on the sample, each with its table (checked in check_run).
    assert sorted(charts.values()) == [0, 0, 1, 1, 2, 2, 3]


@dataclass
class WarningRun:
    """The second run: its output folder (both runs), exit code and log lines."""

    out: Path
    exit_code: int
    lines: list[str]


@pytest.fixture(scope="module")
def warning_run(report_run, sample_copy, tmp_path_factory) -> WarningRun:
    """A second report run after the sample's last phone export is gone (stale: a warning)."""
    from contacts311 import report

    base = tmp_path_factory.mktemp("warned")
    data, out = base / "data", base / "reports"
    shutil.copytree(sample_copy, data)
    shutil.copytree(report_run.out, out)
    last = sorted((data / "phone" / "hsplit").glob("hsplit_*.csv.gz"))[-1]
    last.unlink()
    lines: list[str] = []
    with contextlib.redirect_stderr(io.StringIO()):
        outcome = report.run_report(data, None, out, [], log=lines.append, workers=1)
    return WarningRun(out, outcome.exit_code, lines)


def test_a_report_with_an_input_warning_and_revisions_has_no_wcag_violation(browser, warning_run):
    assert warning_run.exit_code == 3, warning_run.lines  # succeeded, the input checks warned
    newest = json.loads((warning_run.out / "runs.json").read_text("utf-8"))[-1]["folder"]
    pages = [warning_run.out / "index.html", *sorted((warning_run.out / newest).glob("*.html"))]
    assert len(pages) == 7
    check_run(browser, warning_run.out, pages)
    headline = (warning_run.out / "latest" / "01_contacts_handled.html").read_text("utf-8")
    # What this run is here for: the warning, and both revisions tables, are on the page.
    assert "Input checks warned." in headline
    assert "a month of exports may be missing" in headline
    assert "<caption>Fiscal-year totals and their revision since the last run</caption>" in headline
    assert "<caption>Revised figures by channel</caption>" in headline
    index = (warning_run.out / "index.html").read_text("utf-8")
    assert 'class="status-warning"' in index


def test_keyboard_users_can_skip_to_main_and_reach_every_table(browser, report_run):
    page_path = next(report_run.out.glob("latest/01_*.html"))
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    page.keyboard.press("Tab")
    first = page.evaluate("() => [document.activeElement.className, document.activeElement.hash]")
    assert first == ["skip-link", "#main"]
    facts = page.evaluate(
        """() => ({mains: document.querySelectorAll('main#main').length,
                   navs: document.querySelectorAll('nav').length,
                   unreachable: Array.from(document.querySelectorAll('table.data'))
                       .filter(t => t.tabIndex < 0).length})"""
    )
    context.close()
    assert facts == {"mains": 1, "navs": 1, "unreachable": 0}


def test_a_charts_numbers_open_with_one_key(browser, report_run):
    page_path = next(report_run.out.glob("latest/02_*.html"))
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    summary = page.locator("details > summary").first
    assert not summary.locator("xpath=..").locator("table").is_visible()
    summary.focus()
    page.keyboard.press("Enter")
    table = summary.locator("xpath=..").locator("table")
    assert table.is_visible()
    header = table.locator("thead th").first.text_content()
    context.close()
    assert header == "Fiscal year"


def test_a_printed_page_keeps_its_tables_whole_and_hides_the_contents(browser, report_run):
    """Chromium's print-to-PDF of the headline page, kept as a test artefact with a PNG of it."""
    page_path = next(report_run.out.glob("latest/01_*.html"))
    context = browser.new_context(offline=True)
    page = context.new_page()
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    page.emulate_media(media="print")
    printed = page.evaluate(
        """() => ({toc: getComputedStyle(document.getElementById('toc')).display,
                   tables: Array.from(document.querySelectorAll('table'))
                       .map(t => getComputedStyle(t).display)})"""
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "print__01_contacts_handled.pdf"
    page.pdf(path=str(pdf), format="Letter", print_background=True)
    page.screenshot(path=str(ARTIFACTS / "print__01_contacts_handled.png"), full_page=True)
    context.close()
    assert printed["toc"] == "none"
    assert printed["tables"] and set(printed["tables"]) == {"table"}
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm"):  # Debian's poppler-utils: the PDF's first page as a PNG
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                str(pdf),
                str(pdf.with_suffix("")),
            ],
            check=True,
            timeout=60,
        )
