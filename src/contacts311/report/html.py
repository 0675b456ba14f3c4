"""The report's HTML: notebook pages, the run page, the runs index, provenance and contents.

Every value is escaped; pages read offline (no script, stylesheet or font fetched from
anywhere). The styles live in ``contacts311/templates``: ``report.html.j2`` for the notebook
pages (nbconvert), ``pages.css`` for the index and run pages.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from contacts311.report.execute import IMPORTING

__all__ = [
    "GOOD",
    "add_toc",
    "escape",
    "notebook_page",
    "page_title",
    "period_slug",
    "provenance_html",
    "render_index",
    "run_page",
]

#: Run statuses whose reports were published (``warning``: succeeded, input checks warned).
GOOD = ("succeeded", "warning")
#: The folder of the latest good run, beside the runs in the output folder.
LATEST = "latest"
_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def escape(value: Any) -> str:
    """``value`` as text safe in HTML content and attributes (``None`` is empty)."""
    return html.escape("" if value is None else str(value), quote=True)


_e = escape


@cache
def _css() -> str:
    return (_TEMPLATES / "pages.css").read_text(encoding="utf-8")


def _head(title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_css()}</style></head><body>\n"
        '<a class="skip-link" href="#main">Skip to main content</a>\n<main id="main">\n'
    )


def _table(caption: str) -> str:
    """A table's opening: named by its caption, and reachable by the keyboard.

    A wide table scrolls in its own box, so the keyboard must reach it (WCAG 2.1.1).
    """
    return f'<table tabindex="0"><caption>{_e(caption)}</caption>'


def _params_text(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted(params.items())) or "defaults"


def _index_row(run: Mapping[str, Any]) -> str:
    links = []
    for nb in run.get("notebooks", []):
        label = _e(nb.get("title") or nb.get("name"))
        if nb.get("html") and run.get("folder"):
            href = _e(f"{run['folder']}/{nb['html']}")
            mark = "" if nb.get("status") == "succeeded" else " (failed)"
            links.append(f'<a href="{href}">{label}</a>{_e(mark)}')
        else:
            links.append(f"{label} (not run)")
    status = str(run.get("status", ""))
    message = f"<br><small>{_e(run['message'])}</small>" if run.get("message") else ""
    return (
        "<tr>"
        f'<td class="mono">{_e(run.get("started"))}</td>'
        f"<td>{_e(run.get('period'))}</td>"
        f'<td class="status-{_e(status)}">{_e(status)}{message}</td>'
        f'<td class="num">{float(run.get("duration_seconds") or 0):.1f}</td>'
        f'<td class="mono">{_e(_params_text(run.get("parameters", {})))}</td>'
        f"<td>{'<br>'.join(links)}</td>"
        "</tr>"
    )


def render_index(runs: Sequence[Mapping[str, Any]], title: str = "contacts311 reports") -> str:
    """The output folder's ``index.html``: every run, newest first.

    Args:
        runs: Run records as kept in ``runs.json`` (``id``, ``started``, ``duration_seconds``,
            ``status``, ``parameters``, ``period``, ``folder``, ``notebooks``, ``message``).
        title: Page title.

    Returns:
        A complete HTML page with every value escaped and only relative links.
    """
    newest_first = sorted(runs, key=lambda r: str(r.get("started", "")), reverse=True)
    latest = next((r for r in newest_first if r.get("status") in GOOD), None)
    latest_line = (
        f'<p>Latest good run: <a href="{LATEST}/index.html">{LATEST}/</a> '
        f"({_e(latest.get('started'))}, {_e(latest.get('period'))}).</p>"
        if latest
        else "<p>No run has succeeded yet.</p>"
    )
    body = "\n".join(_index_row(r) for r in newest_first)
    body = body or '<tr><td colspan="6">No runs yet.</td></tr>'
    return (
        _head(title)
        + f"<h1>{_e(title)}</h1>\n{latest_line}\n"
        + _table("Report runs, newest first")
        + '<thead><tr><th scope="col">started (UTC)</th><th scope="col">period</th>'
        '<th scope="col">status</th><th scope="col" class="num">duration (s)</th>'
        '<th scope="col">parameters</th><th scope="col">reports</th></tr></thead>\n'
        f"<tbody>\n{body}\n</tbody></table>\n</main></body></html>\n"
    )


def _facts(prov: Mapping[str, Any]) -> str:
    seconds = prov.get("seconds")
    facts = [
        ("run", prov.get("run_id")),
        ("run started (UTC)", prov.get("started")),
        ("notebook run time", f"{float(seconds or 0):.1f} s" if "seconds" in prov else None),
        ("contacts311 version", prov.get("version")),
        ("git commit", prov.get("git_commit") or "not a git checkout"),
        ("profile", prov.get("profile") or "bundled PDX 311 profile"),
        ("data folder", prov.get("data_dir")),
        ("run key", prov.get("key")),
    ]
    return "".join(
        f'<tr><th scope="row">{_e(k)}</th><td class="mono">{_e(v)}</td></tr>'
        for k, v in facts
        if v is not None
    )


def provenance_html(prov: Mapping[str, Any]) -> str:
    """The provenance section every report ends with (parameters, inputs, versions, times)."""
    prows = "".join(
        f'<tr><td class="mono">{_e(k)}</td><td class="mono">{_e(repr(v))}</td></tr>'
        for k, v in sorted(prov.get("parameters", {}).items())
    )
    irows = "".join(
        f'<tr><td class="mono">{_e(i.get("source_file"))}</td><td>{_e(i.get("format"))}</td>'
        f'<td class="mono">{_e(i.get("sha256"))}</td><td class="num">{int(i.get("rows_read", 0)):,}</td></tr>'
        for i in prov.get("inputs", [])
    )
    erows = "".join(
        f'<tr><td>{_e(k)}</td><td class="mono">{_e(v)}</td></tr>'
        for k, v in prov.get("environment", {}).items()
    )
    rules = "".join(f"<li>{_e(r)}</li>" for r in prov.get("rules", []))
    warned = "".join(f"<li>{_e(w)}</li>" for w in prov.get("warnings", []))
    return (
        '<section id="provenance" class="provenance">\n<h2 id="provenance-heading">Provenance</h2>\n'
        f"{_table('This run')}{_facts(prov)}</table>\n"
        + (
            f'<div class="run-warnings"><h3>Input checks: warnings</h3>\n<ul>{warned}</ul></div>\n'
            if warned
            else ""
        )
        + f"<h3>Parameters</h3>\n{_table('Notebook parameters')}"
        f"{prows or '<tr><td>defaults</td></tr>'}</table>\n"
        f"<details><summary>Input files ({len(prov.get('inputs', []))}): SHA-256 and rows read</summary>\n"
        + _table("Input files")
        + '<thead><tr><th scope="col">file</th><th scope="col">format</th>'
        '<th scope="col">SHA-256</th>'
        f'<th scope="col" class="num">rows read</th></tr></thead><tbody>{irows}</tbody></table></details>\n'
        + (f"<h3>Counting rules</h3>\n<ul>{rules}</ul>\n" if rules else "")
        + f"<h3>Software</h3>\n{_table('Software versions')}{erows}</table>\n</section>\n"
    )


def run_page(run: Mapping[str, Any], prov: Mapping[str, Any]) -> str:
    """A run folder's ``index.html``: links to its notebook pages, then its provenance."""
    items = "".join(
        f'<li><a href="{_e(n["html"])}">{_e(n["title"])}</a>'
        + ("" if n["status"] == "succeeded" else f" (failed: {_e(n.get('error'))})")
        + "</li>"
        for n in run["notebooks"]
        if n.get("html")
    )
    return (
        _head(f"Reports for {run.get('period')}: run {run['id']}")
        + f"<h1>Reports for {_e(run.get('period'))}</h1>\n"
        f"<p>Run {_e(run['id'])}: "
        f'<span class="status-{_e(run["status"])}">{_e(run["status"])}</span>.</p>\n'
        f"<ul>{items}</ul>\n{provenance_html(prov)}</main></body></html>\n"
    )


class _Headings(HTMLParser):
    """Collects ``h1``-``h3`` elements that carry an ``id``, with their text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str, str]] = []
        self._open: tuple[int, str] | None = None
        self._text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h2", "h3"):
            ident = dict(attrs).get("id")
            if ident:
                self._open = (int(tag[1]), ident)
                self._text = []
        elif tag == "a" and self._open and "anchor-link" in (dict(attrs).get("class") or ""):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._skip:
            self._skip -= 1
        elif tag in ("h1", "h2", "h3") and self._open:
            level, ident = self._open
            self.found.append((level, ident, " ".join("".join(self._text).split())))
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open and not self._skip:
            self._text.append(data)


def add_toc(page: str, marker: str = "<!--contacts311-toc-->") -> str:
    """Replace ``marker`` in ``page`` with a table of contents linking to its headings.

    Headings (``h1``-``h3`` with an ``id``) are found with an HTML parser; their text is
    re-escaped, so a heading built from data cannot inject markup into the contents list.
    """
    parser = _Headings()
    parser.feed(page)
    items = [
        f'<li class="toc-{level}"><a href="#{_e(ident)}">{_e(text)}</a></li>'
        for level, ident, text in parser.found
        if text
    ]
    # The panel's name is a paragraph, not a heading: it comes before the page's h1, and the
    # headings must run h1, h2, ... in order (the landmark is named by it all the same).
    nav = (
        '<nav id="toc" aria-labelledby="toc-title"><p id="toc-title" class="toc-title">Contents</p>'
        "<ul>" + "".join(items) + "</ul></nav>"
    )
    return page.replace(marker, nav, 1)


def period_slug(label: str) -> str:
    """A folder-safe form of a period label (``FY 2025-26`` -> ``FY2025-26``)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "", label.replace(" ", ""))
    return slug or "unknown-period"


def page_title(title: str, run_id: Any = None) -> str:
    """A report page's ``<title>``: the report's title and its run, so no two pages share one."""
    return f"{title}: report run {run_id}" if run_id else title


def template_file() -> Path:
    """The nbconvert template of the notebook pages."""
    return _TEMPLATES / "report.html.j2"


def notebook_page(executed: Path, prov: Mapping[str, Any], title: str) -> str:
    """An executed notebook as a self-contained page: code hidden, images embedded, contents.

    Args:
        executed: The notebook papermill wrote.
        prov: Its provenance (see :func:`provenance_html`).
        title: The report's title; the page's ``<title>`` adds the run (:func:`page_title`).
    """
    with IMPORTING:
        import nbformat
        from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    nb.metadata["title"] = title
    exporter = HTMLExporter(template_name="lab", template_file=str(template_file()))
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    resources = {
        "contacts311": {
            "provenance": provenance_html(prov),
            "title": page_title(title, prov.get("run_id")),
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return add_toc(body)
