"""Audit every page a report run writes with axe-core's WCAG 2.0/2.1 A and AA rules in Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(autouse=True)
def _axe_installed():
    if not AXE.exists():
        pytest.skip("axe-core is not installed (node_modules/); run `make node`")


def audit(browser, path: Path) -> list[str]:
    """Violations of the WCAG A/AA rules on ``path``, one line per rule and element."""
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    context.close()
    return [
        f"{v['id']} ({v['impact']}): {json.dumps(node['target'])} - {v['help']}"
        for v in result["violations"]
        for node in v["nodes"]
    ]


def _written_pages(out: Path) -> list[Path]:
    run_dirs = [p for p in out.glob("*/*") if p.is_dir() and p.parent.name != "latest"]
    return [out / "index.html", *sorted(p for d in run_dirs for p in d.glob("*.html"))]


def test_every_page_of_the_sample_report_has_no_wcag_violation(browser, report_run):
    assert report_run.exit_code == 0, report_run.stderr
    pages = _written_pages(report_run.out)
    assert len(pages) == 7
    problems = [
        f"{p.relative_to(report_run.out).as_posix()}: {line}"
        for p in pages
        for line in audit(browser, p)
    ]
    assert not problems, "\n".join(problems)


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
