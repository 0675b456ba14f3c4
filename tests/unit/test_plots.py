"""The shared chart style on tiny data: findings as titles, labels, source line, safe colours."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from contacts311 import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _totals():
    return pd.DataFrame(
        {
            "period": ["FY 2022-23", "FY 2023-24", "FY 2024-25"],
            "is_partial": [False, False, True],
            "phone": [100, 150, 40],
            "email": [10, 20, 5],
            "in_person": [5, 5, 1],
        }
    )


def test_channel_style_is_fixed_per_channel_and_distinct():
    styles = plots.channel_style(["in_person", "phone", "email", "webform", "chat"])
    # Standard channels keep their colour whatever the order they are given in.
    assert styles["phone"]["color"] == "#0072B2"
    assert styles["in_person"]["color"] == "#BB5C99"
    assert styles["in_person"]["label"] == "In person"
    assert styles["chat"]["label"] == "Chat"
    # Greyscale safety: no two channels share a hatch or a colour.
    assert len({s["hatch"] for s in styles.values()}) == 5
    assert len({s["color"] for s in styles.values()}) == 5
    assert all(s["color"] in plots.PALETTE for s in styles.values())


def test_channel_bars_stacks_channels_and_marks_partial_periods():
    fig = plots.channel_bars(
        _totals(), ["phone", "email", "in_person"], title="Contacts rose 50%", source="test data"
    )
    ax = fig.axes[0]
    info = plots.describe(fig)
    assert info == {
        "title": "Contacts rose 50%",
        "xlabel": "Fiscal year",
        "ylabel": "Contacts (count)",
        "source": "Source: test data",
    }
    bars = [p for p in ax.patches if p.get_gid() != plots.PARTIAL_GID]
    assert len(bars) == 9  # 3 periods x 3 channels
    # Top of each stack = the period's total: 115, 175, 46 (worked out from _totals()).
    tops = {}
    for bar in bars:
        x = round(bar.get_x() + bar.get_width() / 2)
        tops[x] = max(tops.get(x, 0), bar.get_y() + bar.get_height())
    assert tops == {0: 115, 1: 175, 2: 46}
    # Every channel has its own hatch and Okabe-Ito colour.
    phone, email = bars[0], bars[3]
    assert to_hex(phone.get_facecolor()).upper() == "#0072B2"
    assert to_hex(email.get_facecolor()).upper() == "#B26B00"
    assert phone.get_hatch() != email.get_hatch()
    # The partial year keeps its colours (contrast), is outlined with a dashes and labelled.
    assert all(b.get_alpha() is None for b in bars)
    (outline,) = [p for p in ax.patches if p.get_gid() == plots.PARTIAL_GID]
    assert (outline.get_x() + outline.get_width() / 2, outline.get_height()) == (2, 46)
    assert outline.get_linestyle() == "--" and not outline.get_fill()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["FY 2022-23", "FY 2023-24", "FY 2024-25\n(partial)"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Phone",
        "Email",
        "In person",
        "Partial period (outlined)",
    ]


def test_line_chart_lines_differ_by_style_and_marker_and_draw_the_band():
    frame = pd.DataFrame(
        {
            "period": ["a", "b", "c"],
            "x": [1.0, 2.0, 3.0],
            "y": [3.0, 2.0, 1.0],
            "lo": [0.5, 1, 2],
            "hi": [2, 3, 4],
        }
    )
    fig = plots.line_chart(
        frame,
        "period",
        ["x", "y"],
        title="X overtook Y",
        xlabel="Period",
        ylabel="Index (a = 100)",
        source="tiny",
        labels=["X", "Y"],
        band=("lo", "hi"),
        reference=100,
    )
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_label() in ("X", "Y")]
    assert len(lines) == 2
    assert lines[0].get_linestyle() != lines[1].get_linestyle()
    assert lines[0].get_marker() != lines[1].get_marker()
    assert list(lines[0].get_ydata()) == [1.0, 2.0, 3.0]
    assert len(ax.collections) == 1  # the shaded interval
    assert any(ln.get_ydata()[0] == 100 for ln in ax.get_lines() if ln.get_label().startswith("_"))
    assert plots.describe(fig)["ylabel"] == "Index (a = 100)"


def test_finish_requires_title_labels_and_source():
    fig, ax = plots.new_figure()
    with pytest.raises(ValueError, match="title"):
        plots.finish(fig, ax, "", "x", "y", "src")
    with pytest.raises(ValueError):
        plots.finish(fig, ax, "Finding", "x", "y", "")


def test_apply_style_sets_the_palette_and_left_titles():
    plots.apply_style()
    cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()
    assert tuple(cycle["color"]) == plots.PALETTE
    assert len(set(map(str, cycle["linestyle"]))) == len(plots.PALETTE)
    assert matplotlib.rcParams["axes.titlelocation"] == "left"


def test_show_displays_a_png_with_alt_text_and_closes_the_figure(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    fig = plots.channel_bars(_totals(), ["phone"], title="Calls doubled", source="tiny")
    plots.show(fig)
    assert not plt.fignum_exists(fig.number)
    (image,) = shown
    assert image.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.metadata == {"alt": "Calls doubled. Source: tiny"}


def _agents():
    return pd.DataFrame(
        {"Monday": [2, 10], "Tuesday": [4, 6]}, index=pd.Index(["07:00", "07:30"], name="interval")
    )


def test_heatmap_writes_every_number_in_its_cell_with_contrasting_text():
    fig = plots.heatmap(
        _agents(),
        title="Mondays at 07:30 need the most",
        xlabel="Weekday",
        ylabel="Interval start",
        source="tiny",
        colorbar_label="Agents",
    )
    ax = fig.axes[0]
    assert plots.describe(fig) == {
        "title": "Mondays at 07:30 need the most",
        "xlabel": "Weekday",
        "ylabel": "Interval start",
        "source": "Source: tiny",
    }
    # imshow puts column c at x = c and row r at y = r (first row at the top).
    cells = {(round(t.get_position()[0]), round(t.get_position()[1])): t for t in ax.texts}
    assert {k: t.get_text() for k, t in cells.items()} == {
        (0, 0): "2",
        (1, 0): "4",
        (0, 1): "10",
        (1, 1): "6",
    }
    # cividis runs from dark blue (the minimum, 2) to light yellow (the maximum, 10).
    assert cells[(0, 0)].get_color() == "white"
    assert cells[(0, 1)].get_color() == "black"
    image = ax.get_images()[0]
    assert image.get_cmap().name == "cividis"
    assert (image.norm.vmin, image.norm.vmax) == (2, 10)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Monday", "Tuesday"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["07:00", "07:30"]
    colorbar_axes = fig.axes[1]
    assert colorbar_axes.get_ylabel() == "Agents"


def test_a_finished_chart_is_drawn_once_when_saved(monkeypatch):
    import io

    from matplotlib.figure import Figure

    fig = plots.heatmap(
        _agents(), title="t", xlabel="x", ylabel="y", source="s", colorbar_label="c"
    )
    # tight_layout's placeholder engine would make savefig lay every text out twice.
    assert fig.get_layout_engine() is None
    # The numbers sit inside the axes: the layout need not measure them.
    assert not any(t.get_in_layout() for t in fig.axes[0].texts)
    draws = []
    draw = Figure.draw

    def counted(self, renderer):
        draws.append(renderer)
        return draw(self, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    assert len(draws) == 1


def test_heatmap_decimals_missing_cells_and_centred_scale():
    frame = pd.DataFrame({"a": [-1.25, float("nan")], "b": [0.5, 3.0]}, index=["x", "y"])
    fig = plots.heatmap(
        frame,
        title="Differences",
        xlabel="Column",
        ylabel="Row",
        source="tiny",
        colorbar_label="Staffed - needed (agents)",
        cmap="PuOr",
        center=0,
    )
    ax = fig.axes[0]
    # The missing cell has no number; the others keep one decimal (-1.25 rounds to -1.2).
    assert sorted(t.get_text() for t in ax.texts) == ["-1.2", "0.5", "3.0"]
    image = ax.get_images()[0]
    # Centred on 0: the furthest value (3.0) sets both limits.
    assert (image.norm.vmin, image.norm.vmax) == (-3.0, 3.0)


def test_heatmap_needs_cells():
    with pytest.raises(ValueError, match="at least one row"):
        plots.heatmap(pd.DataFrame(), "t", "x", "y", "s", "c")


def test_heatmap_never_writes_minus_zero():
    frame = pd.DataFrame({"a": [-0.04, 0.5]}, index=["x", "y"])
    fig = plots.heatmap(frame, "t", "x", "y", "s", "c")
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["0.0", "0.5"]


def test_bar_chart_labels_values_and_draws_the_reference_line():
    frame = pd.DataFrame({"scenario": ["Mean", "Upper"], "fte": [26.75, 28.24]})
    fig = plots.bar_chart(
        frame,
        "scenario",
        "fte",
        title="Needs 26.8-28.2 FTE against 23",
        xlabel="Scenario",
        ylabel="FTE (40 h a week)",
        source="tiny",
        reference=23,
        reference_label="Head count (23)",
        digits=1,
    )
    ax = fig.axes[0]
    bars = ax.patches
    assert [b.get_height() for b in bars] == [26.75, 28.24]
    # Greyscale safety: the two bars differ in colour and hatch.
    assert to_hex(bars[0].get_facecolor()).upper() == "#0072B2"
    assert to_hex(bars[1].get_facecolor()).upper() == "#B26B00"
    assert bars[0].get_hatch() != bars[1].get_hatch()
    written = [t.get_text() for t in ax.texts]
    assert written == ["26.8", "28.2"]
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "Head count (23)"]
    assert list(line.get_ydata()) == [23, 23]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Mean", "Upper"]


def _relative_luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of an ``#RRGGBB`` colour."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_helper_matches_the_wcag_examples():
    assert _contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert _contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("colour", [*plots.PALETTE, plots._REFERENCE_GREY])
def test_every_series_colour_has_3_to_1_contrast_against_the_white_background(colour):
    # WCAG 2.1 1.4.11 (non-text contrast); bars are separated by white edges.
    assert _contrast(colour, "#FFFFFF") >= 3.0


# --- the numbers behind each chart ------------------------------------------------------------


def test_channel_bars_keep_the_numbers_they_stack_with_readable_headers():
    fig = plots.channel_bars(_totals(), ["phone", "email"], title="Contacts rose", source="t")
    data = plots.chart_data(fig)
    assert list(data.frame.columns) == ["Fiscal year", "Partial period", "Phone", "Email"]
    assert data.frame["Fiscal year"].tolist() == ["FY 2022-23", "FY 2023-24", "FY 2024-25"]
    assert data.frame["Partial period"].tolist() == [False, False, True]
    assert data.frame["Phone"].tolist() == [100, 150, 40]
    assert data.frame["Email"].tolist() == [10, 20, 5]


def test_line_chart_keeps_its_lines_and_band_under_their_legend_labels():
    frame = pd.DataFrame({"p": ["a", "b"], "x": [1.5, 2.5], "lo": [1.0, 2.0], "hi": [2.0, 3.0]})
    fig = plots.line_chart(
        frame, "p", ["x"], "X rose", "Period", "Index", "t", labels=["X"], band=("lo", "hi"),
        thousands=False,
    )  # fmt: skip
    data = plots.chart_data(fig)
    assert data.digits == 1
    assert data.frame.to_dict("list") == {
        "Period": ["a", "b"],
        "X": [1.5, 2.5],
        "95% interval, low": [1.0, 2.0],
        "95% interval, high": [2.0, 3.0],
    }


def test_bar_chart_and_heatmap_keep_their_numbers():
    fte = pd.DataFrame({"scenario": ["Mean", "Upper"], "fte": [26.84, 28.21]})
    fig = plots.bar_chart(
        fte, "scenario", "fte", "Short", "Scenario", "FTE", "t", reference=23,
        reference_label="Head count (23)", digits=1,
    )  # fmt: skip
    data = plots.chart_data(fig)
    assert data.frame.to_dict("list") == {
        "Scenario": ["Mean", "Upper"],
        "FTE": [26.84, 28.21],
        "Head count (23)": [23, 23],
    }
    assert data.digits == 1
    fig = plots.heatmap(_agents(), "Mondays peak", "Weekday", "Interval", "t", "Agents")
    data = plots.chart_data(fig)
    assert data.digits == 0  # whole numbers of agents
    assert data.frame.to_dict("list") == {
        "Interval": ["07:00", "07:30"],
        "Monday": [2, 10],
        "Tuesday": [4, 6],
    }


def test_a_figure_drawn_by_hand_has_no_chart_data():
    fig, _ = plots.new_figure()
    assert plots.chart_data(fig) is None


def test_contrast_ratio_matches_the_test_helper_and_the_wcag_examples():
    assert plots.contrast_ratio((0, 0, 0), (1, 1, 1)) == pytest.approx(21.0)
    grey = tuple(0x76 / 255 for _ in range(3))
    assert plots.contrast_ratio(grey, (1, 1, 1)) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("cmap", ["cividis", "PuOr"])
def test_heatmap_numbers_have_4_5_to_1_contrast_on_every_cell_colour(cmap):
    # 101 cells spanning the whole colour map: the text colour is chosen per cell.
    values = pd.DataFrame({"v": [float(v) for v in range(101)]})
    fig = plots.heatmap(values, "Spread", "x", "y", "t", "n", cmap=cmap)
    ax = fig.axes[0]
    image = ax.images[0]
    for text in ax.texts:
        cell = image.cmap(image.norm(float(text.get_text().replace(",", ""))))
        assert _contrast(to_hex(cell), to_hex(text.get_color())) >= 4.5, text.get_text()


def _chart_texts(fig):
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]


def test_every_text_of_a_chart_has_4_5_to_1_contrast_against_the_background():
    frame = pd.DataFrame({"p": ["a", "b"], "x": [1.0, 2.0], "lo": [0.5, 1.5], "hi": [1.5, 2.5]})
    figures = [
        plots.channel_bars(_totals(), ["phone", "email"], title="Rose", source="t"),
        plots.line_chart(frame, "p", ["x"], "Rose", "P", "Y", "t", band=("lo", "hi"), reference=1),
        plots.bar_chart(frame, "p", "x", "Rose", "P", "Y", "t", reference=1.5),
    ]
    for fig in figures:
        texts = _chart_texts(fig)
        assert any(t.get_text() == "Source: t" for t in texts)
        for text in texts:
            assert _contrast(to_hex(text.get_color()), "#FFFFFF") >= 4.5, text.get_text()


def test_chart_marks_keep_3_to_1_against_the_background_and_their_neighbours():
    """WCAG 1.4.11: stacked segments are opaque, split by white edges, so each needs 3:1
    against white; the interval band's edge and the reference lines need it too."""
    fig = plots.channel_bars(_totals(), ["phone", "email", "in_person"], title="R", source="t")
    for bar in fig.axes[0].patches:
        if bar.get_gid() == plots.PARTIAL_GID:
            assert to_hex(bar.get_edgecolor()) == "#000000"
            continue
        assert bar.get_alpha() is None
        assert to_hex(bar.get_edgecolor()) == "#ffffff"
        assert _contrast(to_hex(bar.get_facecolor()), "#FFFFFF") >= 3.0
    frame = pd.DataFrame({"p": ["a", "b"], "x": [1.0, 2.0], "lo": [0.5, 1.5], "hi": [1.5, 2.5]})
    fig = plots.line_chart(frame, "p", ["x"], "R", "P", "Y", "t", band=("lo", "hi"), reference=1)
    ax = fig.axes[0]
    (band,) = ax.collections
    edge = band.get_edgecolor()[0]
    assert edge[3] == 1.0 and _contrast(to_hex(edge), "#FFFFFF") >= 3.0
    for line in ax.get_lines():
        assert _contrast(to_hex(line.get_color()), "#FFFFFF") >= 3.0
