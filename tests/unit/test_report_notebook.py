"""Unit tests for contacts311.report.notebook (the helpers the notebooks call)."""

from __future__ import annotations

import pandas as pd

from contacts311.report import notebook

EVIL = '<script>alert("x")</script>'


def test_headline_html_carries_the_exact_value():
    out = notebook.headline_html(181798, "FY 2023-24", "Contacts <handled>")
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
    out = notebook.table_html(frame, caption="Per <queue>")
    assert "<script" not in out
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in out
    assert "1,234,567" in out and "12.3" in out
    assert "<td>yes</td>" in out and "<td>no</td>" in out
    assert "nan" not in out and "&lt;NA&gt;" not in out
    assert "<caption>Per &lt;queue&gt;</caption>" in out


def test_md_and_md_list_escape_values():
    text = notebook.md("Skill **{s}** has {n:,} calls", s=EVIL, n=1500).data
    assert text == "Skill **&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;** has 1,500 calls"
    assert notebook.md_list(["a <b>", "c\nd"]).data == "- a &lt;b&gt;\n- c d"


def test_table_html_shows_dates_without_midnight():
    frame = pd.DataFrame({"contact_date": pd.to_datetime(["2024-03-11 00:00", "2024-03-12 08:30"])})
    out = notebook.table_html(frame)
    assert "<td>2024-03-11</td>" in out
    assert "<td>2024-03-12 08:30:00</td>" in out


def test_methodology_lists_the_rules_then_the_notes_each_once():
    from types import SimpleNamespace

    from contacts311.profile import default_profile
    from contacts311.report.notebook import methodology

    profile = default_profile()
    notes = ["Avaya CMS: 2 skill-days counted from 1 file(s), 220 calls."]
    lines = methodology(SimpleNamespace(profile=profile, notes=notes))
    assert lines == [*profile.rules_text(), notes[0]]
    assert sum("SUM(ACD Calls)" in line for line in lines) == 1


def test_table_html_scopes_headers_and_can_fold_under_a_summary():
    frame = pd.DataFrame({"Fiscal year": ["FY 2023-24", EVIL], "Phone": [1200, 3]})
    out = notebook.table_html(frame, caption="Calls", summary="Data <behind>", row_headers=True)
    assert out.startswith("<details><summary>Data &lt;behind&gt;</summary>")
    assert out.rstrip().endswith("</details>")
    assert out.count('<th scope="col">') == 2
    assert '<th scope="row">FY 2023-24</th>' in out
    assert '<th scope="row">&lt;script&gt;alert("x")&lt;/script&gt;</th>' in out
    assert "<td>1,200</td>" in out and "<td>FY 2023-24</td>" not in out
    assert '<table class="dataframe data" tabindex="0"><caption>Calls</caption>' in out
    plain = notebook.table_html(frame)
    assert "<details>" not in plain and 'scope="row"' not in plain
    assert "<td>FY 2023-24</td>" in plain


def test_show_displays_the_chart_then_its_numbers_folded_away(monkeypatch):
    import IPython.display
    import matplotlib

    matplotlib.use("Agg")
    from contacts311 import plots

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    monkeypatch.setattr(notebook, "display", lambda obj: shown.append(obj))
    totals = pd.DataFrame(
        {"period": ["FY 2023-24", "FY 2024-25"], "is_partial": [False, True], "phone": [150, 40]}
    )
    notebook.show(plots.channel_bars(totals, ["phone"], title="Calls fell", source="tiny"))
    image, table = shown
    assert image.metadata == {"alt": "Calls fell. Source: tiny"}
    assert table.data.startswith(f"<details><summary>{notebook.DATA_SUMMARY}</summary>")
    assert "<caption>Calls fell (Contacts (count))</caption>" in table.data
    assert '<th scope="row">FY 2024-25</th>' in table.data
    assert "<td>yes</td>" in table.data and "<td>150</td>" in table.data
