"""Open every report page in headless Chromium with the network blocked, as a reviewer would."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _pages(report_run) -> list[Path]:
    out = report_run.out
    run_dir = next(p for p in (out).glob("*/*") if p.parent.name != "latest" and p.is_dir())
    return [
        out / "index.html",
        *sorted(run_dir.glob("*.html")),
        *sorted((out / "latest").glob("*.html")),
    ]


def _open(browser, path: Path, shot: str | None = None) -> dict:
    """Load ``path`` offline; returns console errors, requests, dialogs and page facts."""
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    url = path.resolve().as_uri()
    requests: list[str] = []
    blocked: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []

    def route(r):
        requests.append(r.request.url)
        if r.request.url == url:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def on_dialog(d):
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url, wait_until="load")
    facts = page.evaluate(
        """() => ({
            images: Array.from(document.images).map(i => ({w: i.naturalWidth, complete: i.complete,
                                                          alt: i.getAttribute('alt') || ''})),
            scripts: document.scripts.length,
            headline: (() => { const e = document.getElementById('headline-value');
                               return e ? {text: e.textContent, value: e.dataset.value} : null; })(),
            links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
            title: document.title,
        })"""
    )
    if shot:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    context.close()
    return {"errors": errors, "requests": requests, "blocked": blocked, "dialogs": dialogs, **facts}


def test_every_page_reads_offline(browser, report_run):
    assert report_run.exit_code == 0, report_run.stderr
    pages = _pages(report_run)
    # The runs index, then five notebooks and the run page, in the run folder and in latest/.
    assert len(pages) == 1 + 6 + 6
    for path in pages:
        rel = path.relative_to(report_run.out).as_posix()
        # Stable names (run folder -> "run") so re-runs overwrite their screenshots.
        parts = rel.split("/")
        name = "__".join(["run", parts[-1]] if len(parts) == 3 else parts)
        got = _open(browser, path, shot=name.replace(".html", ".png"))
        assert got["errors"] == [], rel
        assert got["dialogs"] == [], rel
        assert got["blocked"] == [], f"{rel} tried to fetch {got['blocked']}"
        assert set(got["requests"]) <= {path.resolve().as_uri()}, rel
        assert got["scripts"] == 0, rel
        assert got["title"], rel
        for img in got["images"]:
            assert img["complete"] and img["w"] > 0, rel
            assert img["alt"], rel
        if path.name.startswith("0"):
            assert got["images"], f"{rel} has no chart"
            assert "#provenance-heading" in got["links"], (
                f"{rel} has no table of contents entry for provenance"
            )


def test_headline_equals_the_library_figure(browser, report_run, library_totals):
    complete = library_totals[~library_totals["is_partial"]]
    expected = int(complete["total"].iloc[-1])
    got = _open(browser, report_run.out / "latest" / "01_contacts_handled.html")
    assert got["headline"] is not None
    assert int(got["headline"]["value"]) == expected
    assert got["headline"]["text"] == f"{expected:,}"


def test_planted_script_in_a_skill_name_shows_as_text(browser, tmp_path):
    """A ``<script>`` in data (a skill name) is rendered as text, never run."""
    from contacts311.report import html
    from contacts311.report.notebook import table_html

    evil = "<script>alert('planted')</script>"
    import pandas as pd

    table = table_html(pd.DataFrame({"queue": [evil], "count": [3]}), caption=evil)
    page = html.render_index(
        [
            {
                "id": "r",
                "started": "2025-01-01",
                "status": "failed",
                "parameters": {"skill": evil},
                "period": evil,
                "folder": "x",
                "notebooks": [{"name": "n", "title": evil, "status": "failed", "html": "n.html"}],
                "message": evil,
            }
        ]
    ).replace(
        "</body>",
        table + html.provenance_html({"inputs": [{"source_file": evil}]}) + "</body>",
    )
    path = tmp_path / "planted.html"
    path.write_text(page, encoding="utf-8")
    got = _open(browser, path)
    assert got["dialogs"] == [] and got["scripts"] == 0 and got["errors"] == []
