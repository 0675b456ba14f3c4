"""One chart style for every report: findings as titles, labelled axes, a source line.

Colours are the Okabe-Ito hues (distinguishable with the common colour-vision deficiencies),
darkened where needed so each has at least 3:1 contrast against the white background (WCAG 2.1,
1.4.11: bars are separated by white edges, so that is the contrast with their neighbours too),
and every series also differs by hatch (bars) or line style and marker (lines), so a chart
still reads when printed in greyscale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from contacts311.schema import CHANNEL_ORDER

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "CHANNEL_LABELS",
    "HATCHES",
    "ChartData",
    "LINESTYLES",
    "MARKERS",
    "PALETTE",
    "apply_style",
    "bar_chart",
    "channel_bars",
    "channel_style",
    "chart_data",
    "contrast_ratio",
    "describe",
    "finish",
    "heatmap",
    "line_chart",
    "new_figure",
    "share_bars",
    "show",
]

#: Okabe & Ito (2008) colour-blind-safe hues, in the order series use them; the light ones
#: (orange, sky blue, yellow, ...) darkened to reach 3:1 against white.
PALETTE = (
    "#0072B2",  # blue
    "#B26B00",  # orange, darkened
    "#008A63",  # bluish green, darkened
    "#BB5C99",  # reddish purple, darkened
    "#3D7FA6",  # sky blue, darkened
    "#D55E00",  # vermillion
    "#8C7A00",  # yellow, darkened to olive
    "#000000",  # black
)
#: Grey for reference bands and lines: 4.5:1 against white.
_REFERENCE_GREY = "#767676"
HATCHES = ("", "//", "..", "xx", "\\\\", "oo", "--", "++")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 2)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
CHANNEL_LABELS = {
    "phone": "Phone",
    "email": "Email",
    "webform": "Webform",
    "in_person": "In person",
}
#: The standard channels, whose colour and hatch never depend on which others are present.
_KNOWN_CHANNELS = CHANNEL_ORDER
#: Where a chart keeps the numbers it draws (see :func:`chart_data`).
_DATA_ATTRIBUTE = "_contacts311_data"


class ChartData(NamedTuple):
    """The numbers a chart draws, for the table a report shows beside it.

    Attributes:
        frame: One row per bar, point or cell row; columns named as the chart labels them.
        digits: Decimals to show for the frame's float columns.
    """

    frame: pd.DataFrame
    digits: int


def chart_data(fig: Figure) -> ChartData | None:
    """The numbers behind ``fig`` if one of this module's charts drew it, else ``None``."""
    return getattr(fig, _DATA_ATTRIBUTE, None)


def _keep_data(fig: Figure, frame: pd.DataFrame, digits: int) -> Figure:
    setattr(fig, _DATA_ATTRIBUTE, ChartData(frame.reset_index(drop=True), digits))
    return fig


def apply_style() -> None:
    """Set the shared matplotlib style (call once per notebook, before plotting)."""
    import matplotlib as mpl
    from cycler import cycler

    n = len(PALETTE)
    mpl.rcParams.update(
        {
            "figure.figsize": (8.0, 4.5),
            "figure.dpi": 100,
            "savefig.dpi": 110,
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.grid.axis": "y",
            "grid.color": "#d0d0d0",
            "grid.linewidth": 0.6,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "axes.labelsize": 10,
            "xtick.labelsize": 9,
            "ytick.labelsize": 9,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "hatch.linewidth": 0.8,
            "axes.prop_cycle": cycler(color=list(PALETTE))
            + cycler(linestyle=list(LINESTYLES[:n]))
            + cycler(marker=list(MARKERS[:n])),
        }
    )


def channel_style(channels: Sequence[str]) -> dict[str, dict[str, str]]:
    """Colour, hatch and label per channel; the four standard channels always look the same."""
    styles: dict[str, dict[str, str]] = {}
    extra = [c for c in channels if c not in _KNOWN_CHANNELS]
    for ch in channels:
        i = (
            _KNOWN_CHANNELS.index(ch)
            if ch in _KNOWN_CHANNELS
            else len(_KNOWN_CHANNELS) + extra.index(ch)
        )
        i %= len(PALETTE)
        styles[ch] = {
            "color": PALETTE[i],
            "hatch": HATCHES[i],
            "label": CHANNEL_LABELS.get(ch, ch.replace("_", " ").capitalize()),
        }
    return styles


def new_figure(width: float = 8.0, height: float = 4.5) -> tuple[Figure, Axes]:
    """A figure and axes in the shared style."""
    import matplotlib.pyplot as plt

    apply_style()
    fig, ax = plt.subplots(figsize=(width, height))
    return fig, ax


def finish(fig: Figure, ax: Axes, title: str, xlabel: str, ylabel: str, source: str) -> Figure:
    """Title (the finding), axis labels with units, a source line, and a tidy layout.

    Args:
        fig: The figure.
        ax: Its main axes.
        title: One sentence stating what the chart shows (e.g. "Contacts rose 25% in FY 2024-25").
        xlabel: X axis label, with units.
        ylabel: Y axis label, with units.
        source: Where the numbers come from (printed as "Source: ...").
    """
    if not title or not xlabel or not ylabel or not source:
        raise ValueError("every chart needs a title, both axis labels and a source")
    import textwrap

    # Long findings wrap instead of running off the figure.
    ax.set_title("\n".join(textwrap.wrap(title, 78)))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.text(0.01, 0.01, f"Source: {source}", fontsize=8, color="#444444", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    # tight_layout leaves a placeholder layout engine, which makes savefig draw the whole
    # figure twice (a dry run for a layout that does nothing): the layout is final, drop it.
    fig.set_layout_engine(None)
    return fig


def _thousands(ax: Axes) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))


#: Group id of the dashed outlines that mark partial periods' bars.
PARTIAL_GID = "partial-period"


def _outline_partial(ax: Axes, xs: Any, heights: Any) -> None:
    """A dashed black outline around each partial period's bar (a year in progress).

    The bar keeps its colours: fading it would take its segments below 3:1 against the white
    background and their white separators (WCAG 1.4.11). The outline and the "(partial)"
    tick label carry the meaning, so it does not rest on colour.
    """
    for i, (x, height) in enumerate(zip(xs, heights, strict=True)):
        ax.bar(
            x,
            height,
            fill=False,
            edgecolor="#000000",
            linestyle="--",
            linewidth=1.2,
            gid=PARTIAL_GID,
            label="Partial period (outlined)" if i == 0 else "_nolegend_",
        )


def channel_bars(
    totals: pd.DataFrame,
    channels: Sequence[str],
    title: str,
    source: str,
    ylabel: str = "Contacts (count)",
    xlabel: str = "Fiscal year",
    period_column: str = "period",
    partial_column: str | None = "is_partial",
) -> Figure:
    """Stacked bars of contacts per period, one segment per channel.

    Partial periods (``partial_column`` true) are outlined with a dashed line and labelled
    "(partial)" so a year in progress is never read as a drop.

    Args:
        totals: One row per period with a column per channel (as from ``period_totals``).
        channels: Channel columns to stack, bottom first.
        title: The finding.
        source: The data's origin, for the source line.
        ylabel: Y axis label with units.
        xlabel: X axis label.
        period_column: Column with the period labels.
        partial_column: Boolean column marking partial periods, or ``None``.
    """
    import numpy as np
    import pandas as pd

    fig, ax = new_figure()
    labels = [str(p) for p in totals[period_column]]
    partial = (
        totals[partial_column].astype(bool).to_numpy()
        if partial_column and partial_column in totals
        else np.zeros(len(totals), dtype=bool)
    )
    labels = [f"{lab}\n(partial)" if p else lab for lab, p in zip(labels, partial, strict=True)]
    x = np.arange(len(totals))
    bottom = np.zeros(len(totals))
    styles = channel_style(list(channels))
    for ch in channels:
        values = totals[ch].to_numpy(dtype=float)
        ax.bar(
            x,
            values,
            bottom=bottom,
            color=styles[ch]["color"],
            hatch=styles[ch]["hatch"],
            edgecolor="white",
            linewidth=0.6,
            label=styles[ch]["label"],
        )
        bottom += values
    _outline_partial(ax, x[partial], bottom[partial])
    ax.set_xticks(x, labels)
    _thousands(ax)
    ax.legend(loc="upper left", ncols=min(len(channels) + int(partial.any()), 4))
    ax.margins(y=0.12)
    data = {xlabel: [str(p) for p in totals[period_column]], "Partial period": partial}
    data.update({styles[ch]["label"]: totals[ch].to_numpy() for ch in channels})
    _keep_data(fig, pd.DataFrame(data), digits=1)
    return finish(fig, ax, title, xlabel, ylabel, source)


def share_bars(
    shares: pd.DataFrame,
    title: str,
    source: str,
    xlabel: str = "Fiscal year",
    ylabel: str = "Share of contacts (%)",
) -> Figure:
    """Stacked 100% bars: each channel's share of the contacts of each period.

    Partial periods are drawn lighter and labelled "(partial)", as in :func:`channel_bars`;
    a period with no contacts has an empty bar.

    Args:
        shares: Long table from ``measures.channel_shares`` (``period``, ``is_partial``,
            ``channel``, ``share_pct``).
        title: The finding.
        source: The data's origin, for the source line.
        xlabel: X axis label.
        ylabel: Y axis label with units.
    """
    wide = shares.pivot_table(
        index="period", columns="channel", values="share_pct", aggfunc="sum", sort=False
    )
    flags = shares.drop_duplicates("period").set_index("period")["is_partial"]
    channels = list(dict.fromkeys(shares["channel"]))
    frame = wide.reindex(columns=channels).fillna(0.0).reset_index()
    frame["is_partial"] = frame["period"].map(flags).astype(bool)
    fig = channel_bars(frame, channels, title, source, ylabel=ylabel, xlabel=xlabel)
    ax = fig.axes[0]
    from matplotlib.ticker import FuncFormatter

    ax.set_ylim(0, 112)  # room above 100% for the legend
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}%" if v <= 100 else ""))
    return fig


def line_chart(
    frame: pd.DataFrame,
    x: str,
    columns: Sequence[str],
    title: str,
    xlabel: str,
    ylabel: str,
    source: str,
    labels: Sequence[str] | None = None,
    band: tuple[str, str] | None = None,
    reference: float | None = None,
    thousands: bool = True,
) -> Figure:
    """Lines (each with its own colour, line style and marker) against a shared x axis.

    Args:
        frame: The data.
        x: Column for the x axis (labels or numbers).
        columns: Columns drawn as lines.
        title: The finding.
        xlabel: X axis label with units.
        ylabel: Y axis label with units.
        source: The data's origin.
        labels: Legend labels (default: the column names).
        band: ``(low, high)`` columns shaded as an interval (e.g. a projection's 95% interval).
        reference: A horizontal reference line (e.g. 100 for an index).
        thousands: Format the y axis with thousands separators (and show the numbers behind
            the chart without decimals).
    """
    import pandas as pd
    from matplotlib.colors import to_rgb

    fig, ax = new_figure()
    xs = [str(v) for v in frame[x]]
    for i, col in enumerate(columns):
        ax.plot(
            xs,
            frame[col].to_numpy(dtype=float),
            color=PALETTE[i % len(PALETTE)],
            linestyle=LINESTYLES[i % len(LINESTYLES)],
            marker=MARKERS[i % len(MARKERS)],
            linewidth=2,
            label=(labels[i] if labels else col),
        )
    if band is not None:
        lo, hi = band
        ax.fill_between(
            xs,
            frame[lo].to_numpy(dtype=float),
            frame[hi].to_numpy(dtype=float),
            # A light fill, but a full-strength edge and hatch: the band's outline keeps 3:1
            # against the background (WCAG 1.4.11).
            facecolor=(*to_rgb(_REFERENCE_GREY), 0.25),
            edgecolor=_REFERENCE_GREY,
            linewidth=1,
            hatch="..",
            label="95% interval",
        )
    if reference is not None:
        ax.axhline(reference, color="#444444", linewidth=1, linestyle=":")
    if thousands:
        _thousands(ax)
    ax.legend(loc="best")
    data = {xlabel: xs}
    data.update(
        {(labels[i] if labels else col): frame[col].to_numpy() for i, col in enumerate(columns)}
    )
    if band is not None:
        data["95% interval, low"] = frame[band[0]].to_numpy()
        data["95% interval, high"] = frame[band[1]].to_numpy()
    _keep_data(fig, pd.DataFrame(data), digits=0 if thousands else 1)
    return finish(fig, ax, title, xlabel, ylabel, source)


def bar_chart(
    frame: pd.DataFrame,
    x: str,
    column: str,
    title: str,
    xlabel: str,
    ylabel: str,
    source: str,
    *,
    reference: float | None = None,
    reference_label: str | None = None,
    digits: int = 0,
) -> Figure:
    """One bar per row, each with its own colour and hatch and its value written above it.

    Args:
        frame: The data, one row per bar.
        x: Column with the bar labels (e.g. scenarios).
        column: Column with the bar heights.
        title: The finding.
        xlabel: X axis label.
        ylabel: Y axis label with units.
        source: The data's origin.
        reference: A horizontal line to compare the bars with (e.g. the current head count).
        reference_label: Legend label of the reference line.
        digits: Decimals of the values written above the bars.
    """
    import pandas as pd

    fig, ax = new_figure()
    labels = [str(v) for v in frame[x]]
    values = frame[column].to_numpy(dtype=float)
    positions = range(len(values))
    bars = ax.bar(
        positions,
        values,
        color=[PALETTE[i % len(PALETTE)] for i in positions],
        hatch=None,
        edgecolor="white",
        linewidth=0.6,
    )
    for i, bar in enumerate(bars):
        bar.set_hatch(HATCHES[i % len(HATCHES)])
    ax.bar_label(bars, labels=[f"{v:,.{digits}f}" for v in values], padding=2, fontsize=9)
    ax.set_xticks(list(positions), labels)
    if reference is not None:
        ax.axhline(
            reference,
            color="#000000",
            linewidth=1.5,
            linestyle="--",
            label=reference_label or f"{reference:,g}",
        )
        ax.legend(loc="upper left")
    ax.margins(y=0.15)
    data = {xlabel: labels, ylabel: frame[column].to_numpy()}
    if reference is not None:
        data[reference_label or "Reference"] = [reference] * len(labels)
    _keep_data(fig, pd.DataFrame(data), digits=digits)
    return finish(fig, ax, title, xlabel, ylabel, source)


def _cell_text(value: float, integers: bool, digits: int) -> str:
    text = f"{value:,.0f}" if integers else f"{value:,.{digits}f}"
    # -0.04 rounds to "-0.0", which reads as a shortfall that is not there.
    return text.lstrip("-") if float(text.replace(",", "")) == 0 else text


def heatmap(
    matrix: pd.DataFrame,
    title: str,
    xlabel: str,
    ylabel: str,
    source: str,
    colorbar_label: str,
    *,
    cmap: str = "cividis",
    center: float | None = None,
    digits: int = 1,
) -> Figure:
    """A grid of coloured cells with each cell's number written in it.

    Rows are drawn top to bottom in the frame's order (e.g. intervals of the day), columns left
    to right (e.g. weekdays). The default ``cividis`` map is sequential and readable with the
    common colour-vision deficiencies; the numbers in the cells (dark text on light cells,
    white on dark) keep the chart readable in greyscale. Missing cells stay blank.

    Args:
        matrix: Numbers to draw; the index labels the rows, the columns label the columns.
        title: The finding.
        xlabel: X axis label (what the columns are).
        ylabel: Y axis label (what the rows are).
        source: The data's origin.
        colorbar_label: What the colour means, with units.
        cmap: A matplotlib colour map; for differences from a reference use a diverging
            colour-blind-safe map such as ``PuOr`` with ``center``.
        center: Value placed at the middle of the colour map (limits symmetric around it).
        digits: Decimals written in the cells when the values are not all whole numbers.

    Raises:
        ValueError: ``matrix`` has no rows or no columns, or values that are not numbers.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import Normalize

    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ValueError("a heatmap needs at least one row and one column")
    values = matrix.to_numpy(dtype="float64")
    finite = values[np.isfinite(values)]
    n_rows, n_cols = values.shape
    # Tall enough for a legible number in every cell (a day of half hours is 26 rows).
    fig, ax = new_figure(width=max(6.0, 0.9 * n_cols + 2.5), height=max(3.5, 0.3 * n_rows + 1.6))
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
    else:
        lo, hi = 0.0, 1.0
    if center is not None:
        half = max(abs(lo - center), abs(hi - center)) or 1.0
        lo, hi = center - half, center + half
    elif lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    norm = Normalize(vmin=lo, vmax=hi)
    colours = plt.get_cmap(cmap)
    image = ax.imshow(
        np.ma.masked_invalid(values), cmap=colours, norm=norm, aspect="auto", interpolation="none"
    )
    integers = bool(finite.size) and bool(np.all(finite == np.round(finite)))
    for r in range(n_rows):
        for c in range(n_cols):
            v = values[r, c]
            if not np.isfinite(v):
                continue
            cell = colours(norm(v))
            light = contrast_ratio(cell, (0.0, 0.0, 0.0)) >= contrast_ratio(cell, (1.0, 1.0, 1.0))
            ax.text(
                c,
                r,
                _cell_text(v, integers, digits),
                ha="center",
                va="center",
                fontsize=8,
                color="black" if light else "white",
                # Inside the axes by construction: measuring hundreds of them for the layout
                # would change nothing but the time it takes.
                in_layout=False,
            )
    ax.set_xticks(range(n_cols), [str(c) for c in matrix.columns])
    ax.set_yticks(range(n_rows), [str(i) for i in matrix.index])
    ax.tick_params(length=0)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(colorbar_label)
    table = matrix.copy()
    table.columns = [str(c) for c in table.columns]
    table.insert(0, ylabel, [str(i) for i in matrix.index])
    _keep_data(fig, table, digits=0 if integers else digits)
    return finish(fig, ax, title, xlabel, ylabel, source)


def _relative_luminance(rgb: Sequence[float]) -> float:
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """WCAG 2.1 contrast ratio of two RGB colours (components 0-1; alpha is ignored).

    Cell numbers take black or white, whichever contrasts more: the better of the two is
    always at least 4.5:1 (WCAG 1.4.3), which a fixed lightness threshold does not guarantee.
    """
    high, low = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def describe(fig: Figure) -> dict[str, Any]:
    """Title, axis labels and source line of a figure (for tests and alt text)."""
    ax = fig.axes[0]
    texts = [t.get_text() for t in fig.texts]
    return {
        "title": ax.get_title(loc="left") or ax.get_title(),
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "source": next((t for t in texts if t.startswith("Source:")), ""),
    }


def show(fig: Figure, alt: str | None = None) -> None:
    """Display ``fig`` in a notebook as a PNG with alternative text, then close it.

    The alt text (default: the chart's title and source line) travels in the output's
    metadata, so the HTML report's ``<img>`` describes the chart to screen readers.
    """
    import io

    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    info = describe(fig)
    text = alt or ". ".join(t for t in (info["title"], info["source"]) if t)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    display(Image(data=buf.getvalue(), format="png", metadata={"alt": text}))
