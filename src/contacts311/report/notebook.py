"""What the report notebooks call: :func:`setup` for their data, and safe Markdown and HTML.

A notebook starts with ``data, as_of_date, start_month, SOURCE = nb.setup(...)`` (with
``from contacts311.report import notebook as nb``) and shows each chart with ``nb.show(fig)``:
the picture, then the numbers behind it in a table folded under "Data behind this chart".
Everything these helpers display that comes from the data is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from IPython.display import HTML, Markdown, display

from contacts311 import plots
from contacts311.pipeline import Dataset, load
from contacts311.report.html import escape
from contacts311.report.shared_load import read_shared, run_warnings

__all__ = [
    "Setup",
    "headline_html",
    "load_dataset",
    "md",
    "md_list",
    "methodology",
    "run_warnings",
    "setup",
    "show",
    "table_html",
]


class Setup(NamedTuple):
    """What every report notebook starts from (unpack it: ``data, as_of_date, ... = setup()``).

    Attributes:
        data: The dataset (core table, ledger, inputs, notes, tables, profile).
        as_of: The date that decides which periods are partial.
        start_month: The month the fiscal year starts in (from the profile).
        source: The line charts print as their source.
    """

    data: Dataset
    as_of: dt.date
    start_month: int
    source: str


def setup(
    data_dir: str = "",
    profile: str = "",
    dataset_path: str = "",
    as_of: str = "",
    action: str = "counted",
) -> Setup:
    """The data a report notebook tells about, with its date, fiscal start and source line.

    Also applies the shared chart style and quiets the libraries' future and deprecation
    warnings, which are for developers, not for a report's readers.

    Args:
        data_dir: Folder of exports (see :func:`load_dataset`).
        profile: YAML profile path, or ``""`` for the bundled PDX 311 profile.
        dataset_path: The runner's shared dataset (``""`` when the notebook runs by hand).
        as_of: ISO date deciding which periods are partial; ``""`` for today.
        action: What the source line says was done with the exports (``counted``).

    Returns:
        A :class:`Setup`.
    """
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    plots.apply_style()
    data = load_dataset(data_dir, profile, dataset_path)
    as_of_date = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    source = f"{data.profile.program} exports ({len(data.inputs)} files), {action} with contacts311"
    return Setup(data, as_of_date, data.profile.fiscal_year_start_month, source)


def load_dataset(data_dir: str = "", profile: str = "", dataset_path: str = "") -> Dataset:
    """The dataset a notebook reports on: the runner's shared copy, else loaded from the exports.

    Args:
        data_dir: Folder of exports; a relative path is looked up from the current folder and
            then from each parent (so ``data/raw/sample`` works from ``notebooks/``).
        profile: YAML profile path, or ``""`` for the bundled PDX 311 profile.
        dataset_path: The dataset the runner read once for all notebooks of a run
            (:mod:`contacts311.report.shared_load`); ``""`` when run by hand.

    Returns:
        A :class:`contacts311.pipeline.Dataset`.
    """
    if dataset_path:
        return read_shared(dataset_path)
    return load(_find_up(data_dir) if data_dir else None, _find_up(profile) if profile else None)


def _find_up(relative: str) -> Path:
    path = Path(relative)
    if path.is_absolute() or path.exists():
        return path
    for parent in Path.cwd().resolve().parents:
        if (parent / path).exists():
            return parent / path
    return path


def methodology(data: Dataset) -> list[str]:
    """The counting rules in force, then the notes of the read."""
    return list(data.profile.rules_text()) + list(data.notes)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other containers are values, not missing
        return False


def md(template: str, **values: Any) -> Markdown:
    """Markdown for display with every ``{name}`` value HTML-escaped (values come from data).

    Numbers are formatted with thousands separators unless the template gives a format spec.
    """
    safe = {
        k: v if isinstance(v, int | float) and not isinstance(v, bool) else escape(v)
        for k, v in values.items()
    }
    return Markdown(template.format(**safe))


def md_list(items: Iterable[Any]) -> Markdown:
    """A Markdown bullet list of ``items``, each HTML-escaped (rules, notes, file names)."""
    return Markdown("\n".join(f"- {escape(' '.join(str(item).split()))}" for item in items))


def headline_html(value: int, period: str, measure: str = "Contacts handled by 311") -> str:
    """The headline figure in an element tests and readers can find (``#headline-value``)."""
    return (
        '<p class="headline"><span class="headline-label">'
        f"{escape(measure)}, {escape(period)}: </span>"
        f'<span id="headline-value" data-value="{int(value)}">{int(value):,}</span></p>'
    )


def _formatter(s: pd.Series, col: Any, digits: int) -> Callable[[Any], str]:
    if pd.api.types.is_bool_dtype(s):
        return lambda v: "yes" if v else "no"
    if pd.api.types.is_integer_dtype(s) and not str(col).endswith(("_key", "year")):
        return lambda v: f"{int(v):,}"
    if pd.api.types.is_datetime64_any_dtype(s):
        # Dates, not midnights: contact dates carry no time of day.
        return lambda v: v.strftime("%Y-%m-%d") if v == v.normalize() else str(v)
    if pd.api.types.is_float_dtype(s):
        return lambda v: f"{float(v):,.{digits}f}"
    return str


def table_html(
    frame: pd.DataFrame,
    caption: str | None = None,
    index: bool = False,
    digits: int = 1,
    details: bool = False,
    summary: str | None = None,
    row_headers: bool = False,
) -> str:
    """A DataFrame as an escaped HTML table: integers with separators, floats rounded.

    Column headers carry ``scope="col"``; the table can take the keyboard focus, so a table
    wider than the page can be scrolled without a mouse.

    Args:
        frame: The table.
        caption: Optional caption (escaped).
        index: Include the index.
        digits: Decimals for float columns.
        details: Fold the table away under its caption (``<details>``) for long listings.
        summary: Fold the table away under this summary line instead (escaped).
        row_headers: Mark each row's first cell as its header (``<th scope="row">``).
    """
    shown = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        fmt = _formatter(s, col, digits)
        # Missing values show as blank cells, never as "nan" or "<NA>".
        shown[str(col)] = [("" if _missing(v) else fmt(v)) for v in s]
    body = shown.to_html(index=index, escape=True, border=0, classes="data")
    # A wide table scrolls in its own box (the template's CSS); tabindex lets the keyboard
    # reach and scroll it (WCAG 2.1.1), and the caption names it for a screen reader.
    opening = '<table class="dataframe data" tabindex="0">'
    if caption:
        opening += f"<caption>{escape(caption)}</caption>"
    body = body.replace('<table class="dataframe data">', opening, 1)
    body = _scoped(body, row_headers and not index)
    if summary:
        body = f"<details><summary>{escape(summary)}</summary>\n{body}\n</details>"
    elif details:
        label = escape(caption or "Table")
        body = f"<details><summary>{label} ({len(frame):,} rows)</summary>\n{body}\n</details>"
    return body


def _scoped(body: str, row_headers: bool) -> str:
    """Give pandas' header cells their scope, and make first body cells row headers if asked."""
    head_end = body.find("</thead>")
    head = body[:head_end].replace("<th>", '<th scope="col">')
    head = head.replace('<th style="', '<th scope="col" style="')
    rest = body[head_end:]
    # pandas writes the index cells of the body as bare <th>: those head their rows.
    rest = rest.replace("<th>", '<th scope="row">')
    if row_headers:
        rest = re.sub(r"(<tr>\s*)<td>(.*?)</td>", r'\1<th scope="row">\2</th>', rest, flags=re.S)
    return head + rest


#: The summary line of the folded table under every chart.
DATA_SUMMARY = "Data behind this chart"


def show(fig: Any, alt: str | None = None, caption: str | None = None) -> None:
    """Display a chart, then the numbers it draws one keyboard step away (WCAG 1.1.1).

    The picture carries its alt text (:func:`contacts311.plots.show`); right after it comes a
    ``<details>`` element whose summary reads "Data behind this chart" and whose table holds
    the chart's numbers (:func:`contacts311.plots.chart_data`), so a reader who cannot see the
    chart, or wants the exact figures, opens it with one key.

    Args:
        fig: A figure made by one of :mod:`contacts311.plots`' charts.
        alt: Alternative text (default: the chart's title and source line).
        caption: The table's caption (default: the chart's title, then its y axis label).
    """
    data = plots.chart_data(fig)
    info = plots.describe(fig)
    plots.show(fig, alt=alt)
    if data is None:
        return
    caption = caption or f"{' '.join(info['title'].split())} ({info['ylabel']})"
    display(HTML(chart_table_html(data.frame, caption, data.digits)))


def chart_table_html(frame: pd.DataFrame, caption: str, digits: int = 1) -> str:
    """The table under a chart: folded under :data:`DATA_SUMMARY`, first column as row headers."""
    return table_html(frame, caption=caption, digits=digits, summary=DATA_SUMMARY, row_headers=True)
