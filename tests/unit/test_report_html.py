"""Unit tests for contacts311.report.html (pages, provenance and contents)."""

from __future__ import annotations

from contacts311.report import html

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
    page = html.render_index(_runs())
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    table = page[page.index("<tbody>") :]
    assert table.index("2025-01-02") < table.index("2025-01-01T")
    assert 'href="FY2023-24/20250101T000000Z/01.html"' in page
    assert 'href="latest/index.html"' in page
    assert "12.3" in page  # duration with one decimal
    assert 'class="status-failed"' in page and "(failed)" in page


def test_render_index_without_a_good_run():
    page = html.render_index([_runs()[1]])
    assert "No run has succeeded yet" in page
    assert "latest/index.html" not in page
    assert "No runs yet" in html.render_index([])


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
    page = html.provenance_html(prov)
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
    out = html.add_toc(page)
    nav = out[out.index("<nav") : out.index("</nav>")]
    assert '<a href="#Title">Title</a>' in nav  # the pilcrow of the anchor link is left out
    assert '<li class="toc-2"><a href="#x">A &lt;b&gt; B</a></li>' in nav
    assert '<li class="toc-3"><a href="#y">Deep</a></li>' in nav
    assert "Too deep" not in nav and "No id" not in nav
    assert "<!--contacts311-toc-->" not in out


def test_period_slug():
    assert html.period_slug("FY 2025-26") == "FY2025-26"
    assert html.period_slug("2024") == "2024"
    assert html.period_slug("../x y") == "xy"
    assert html.period_slug("") == "unknown-period"


def test_the_contents_panel_is_a_named_landmark_without_a_heading_before_the_h1():
    out = html.add_toc('<body><!--contacts311-toc--><main><h1 id="t">T</h1></main></body>')
    nav = out[out.index("<nav") : out.index("</nav>") + len("</nav>")]
    assert nav.startswith('<nav id="toc" aria-labelledby="toc-title">')
    assert '<p id="toc-title" class="toc-title">Contents</p>' in nav
    assert "<h2" not in nav and "<h1" not in nav


def test_page_titles_name_the_report_and_its_run():
    assert html.page_title("Data quality", "20250101T000000Z") == (
        "Data quality: report run 20250101T000000Z"
    )
    assert html.page_title("Data quality") == "Data quality"
    run = {"id": "20250101T000000Z", "period": "FY 2023-24", "status": "succeeded", "notebooks": []}
    page = html.run_page(run, {"inputs": []})
    assert "<title>Reports for FY 2023-24: run 20250101T000000Z</title>" in page
