"""Reports: run the notebooks with papermill and turn them into self-contained HTML.

One call (:func:`run_report`, or ``contacts311 report``) loads the exports once, executes every
notebook in ``contacts311/notebooks/`` in parallel with the data shared through a pickle in a
private temporary folder, converts each to HTML that reads offline (code hidden, images
embedded, no script, stylesheet or font fetched from anywhere, a table of contents, the run's
provenance), and files the result as ``<out>/<period>/<timestamp>/``. ``<out>/index.html``
lists every run and ``<out>/latest/`` holds the last good one, swapped in only after a run
succeeded.

The module imports only the standard library at load time: the "up to date" path must answer
in well under a second, so pandas, papermill and nbconvert load only when work is to be done.
The helpers at the end (:func:`load_dataset`, :func:`headline_html`, :func:`table_html`,
:func:`md`) are for the notebooks: they escape every text that comes from the data.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import difflib
import hashlib
import html
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from contacts311 import __version__
from contacts311._package import code_digest
from contacts311.errors import InputError
from contacts311.inputs import sha256_file

__all__ = [
    "LockTimeout",
    "Parameter",
    "RunOutcome",
    "add_toc",
    "declared_parameters",
    "headline_html",
    "input_files",
    "list_notebooks",
    "load_dataset",
    "md",
    "md_list",
    "notebooks_dir",
    "parse_overrides",
    "period_slug",
    "provenance_html",
    "read_parameters",
    "render_index",
    "run_key",
    "run_report",
    "run_warnings",
    "table_html",
]

#: Parameters the runner sets itself (absolute paths) and every notebook declares.
RUNNER_PARAMETERS = ("data_dir", "profile", "dataset_path")
#: Parameters the runner also sets, for the notebooks that declare them (the report history).
RUNNER_OPTIONAL_PARAMETERS = ("history_path",)
#: Neither kind may be overridden with ``-p``.
_RUNNER_SET = RUNNER_PARAMETERS + RUNNER_OPTIONAL_PARAMETERS
#: Files kept beside the runs inside the output folder.
RUNS_FILE = "runs.json"
INDEX_FILE = "index.html"
LOCK_FILE = ".report.lock"
LATEST = "latest"
#: Libraries whose versions go into provenance (and into the up-to-date key).
LIBRARIES = (
    "pandas",
    "numpy",
    "matplotlib",
    "statsmodels",
    "pandera",
    "pyarrow",
    "papermill",
    "nbconvert",
    "ipykernel",
)
#: How long a notebook waits for the runner's shared dataset.
_DATASET_WAIT_SECONDS = 3600
_TYPES = ("str", "int", "float", "bool")
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
#: Run statuses whose reports were published (``warning``: succeeded, input checks warned).
_GOOD = ("succeeded", "warning")
#: Suffix of the file beside the shared dataset that carries the input-check warnings.
_WARNINGS_SUFFIX = ".warnings.json"
#: Runner parameters that point into the run's private temp folder: kept out of provenance.
_PRIVATE_PARAMETERS = ("dataset_path", "history_path")


class LockTimeout(RuntimeError):
    """Another report run holds the output folder's lock for longer than we wait."""


@dataclass(frozen=True)
class Parameter:
    """One entry of a notebook's ``parameters`` cell.

    Attributes:
        name: Variable name.
        type: ``str``, ``int``, ``float`` or ``bool`` (from the default's literal).
        default: The default value.
        help: The comment after the assignment, if any.
        notebooks: Names of the notebooks that declare it.
    """

    name: str
    type: str
    default: Any
    help: str = ""
    notebooks: tuple[str, ...] = ()


@dataclass
class RunOutcome:
    """What a call of :func:`run_report` did.

    Attributes:
        status: ``up-to-date``, ``succeeded``, ``warning`` (succeeded, but the input checks
            warned: stale or re-laid-out exports) or ``failed``.
        exit_code: 0 (succeeded or up to date), 1 (a notebook failed, or an input check set
            to ``fail`` tripped), 2 (bad input), 3 (succeeded with warnings).
        run_dir: The run's folder (``None`` when nothing ran or the data did not load).
        message: One line for the operator.
        notebooks: Per notebook: ``name``, ``title``, ``status``, ``html``, ``seconds``, ``error``.
    """

    status: str
    exit_code: int
    run_dir: Path | None = None
    message: str = ""
    notebooks: list[dict[str, Any]] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# Notebooks and their parameters


def notebooks_dir() -> Path:
    """The folder of report notebooks shipped with the package (``contacts311/notebooks``).

    The repository's top-level ``notebooks/`` holds links to these files for JupyterLab; the
    packaged copies are the single source of truth, so an installed package finds them too.
    """
    return Path(__file__).resolve().parent / "notebooks"


def list_notebooks(directory: str | Path | None = None) -> list[Path]:
    """The report notebooks in run order (sorted by file name)."""
    folder = Path(directory) if directory is not None else notebooks_dir()
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith((".", "_")))


def _cell_source(cell: Mapping[str, Any]) -> str:
    # nbformat allows a cell's source as one string or as a list of lines.
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def read_parameters(notebook: str | Path) -> dict[str, Parameter]:
    """The parameters a notebook declares in its ``parameters``-tagged cell.

    Each parameter is a ``name = literal  # help`` line; its type is the literal's type. Parsing
    with :mod:`ast` (not by importing papermill) keeps this fast enough for the up-to-date path.

    Raises:
        InputError: No ``parameters`` cell, or an entry whose default is not a str, int, float
            or bool literal.
    """
    path = Path(notebook)
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [
        c for c in nb.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    if not cells:
        raise InputError(path, "notebook has no cell tagged 'parameters'")
    source = _cell_source(cells[0])
    lines = source.splitlines()
    out: dict[str, Parameter] = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign | ast.AnnAssign)):
            continue
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        if not isinstance(target, ast.Name) or node.value is None:
            continue
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            raise InputError(
                path, f"parameter {target.id!r} must default to a literal", line=node.lineno
            ) from None
        kind = type(value).__name__
        if kind not in _TYPES:
            raise InputError(
                path, f"parameter {target.id!r} must be str, int, float or bool, got {kind}"
            )
        comment = (
            lines[node.lineno - 1].partition("#")[2].strip() if node.lineno <= len(lines) else ""
        )
        out[target.id] = Parameter(target.id, kind, value, comment, (path.name,))
    return out


def declared_parameters(notebooks: Iterable[str | Path]) -> dict[str, Parameter]:
    """Every parameter any of ``notebooks`` declares (one entry per name, with its notebooks).

    Raises:
        InputError: Two notebooks declare the same name with different types.
    """
    merged: dict[str, Parameter] = {}
    for nb in notebooks:
        for name, p in read_parameters(nb).items():
            if name not in merged:
                merged[name] = p
                continue
            seen = merged[name]
            if seen.type != p.type:
                raise InputError(
                    nb,
                    f"parameter {name!r} is {p.type} here but {seen.type} in {seen.notebooks[0]}",
                )
            merged[name] = Parameter(
                name, seen.type, seen.default, seen.help or p.help, seen.notebooks + p.notebooks
            )
    return merged


def _convert(text: str, kind: str) -> Any:
    if kind == "int":
        return int(text.replace("_", ""))
    if kind == "float":
        return float(text)
    if kind == "bool":
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(text)
    return text


def parse_overrides(pairs: Sequence[str], declared: Mapping[str, Parameter]) -> dict[str, Any]:
    """Turn ``-p name=value`` options into typed values, checked against the notebooks.

    Args:
        pairs: ``name=value`` strings as given on the command line.
        declared: From :func:`declared_parameters`.

    Returns:
        Name -> value converted to the declared type.

    Raises:
        InputError: Malformed pair, unknown name (with a suggestion), a name the runner sets
            itself, or a value that is not of the declared type.
    """
    out: dict[str, Any] = {}
    settable = sorted(n for n in declared if n not in _RUNNER_SET)
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(None, f"parameter {pair!r} must be written name=value")
        if name in _RUNNER_SET:
            raise InputError(
                None, f"parameter {name!r} is set by the runner; give DATA_DIR or --profile instead"
            )
        if name not in declared:
            close = difflib.get_close_matches(name, settable, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                None, f"unknown parameter {name!r}{hint} (known: {', '.join(settable) or 'none'})"
            )
        kind = declared[name].type
        try:
            out[name] = _convert(text, kind)
        except ValueError:
            raise InputError(None, f"parameter {name!r} expects {kind}, got {text!r}") from None
    return out


# ----------------------------------------------------------------------------------------------
# Up-to-date key


def input_files(data_dir: str | Path | None, profile: str | Path | None) -> list[tuple[str, Path]]:
    """Every file that can feed a run, as ``(name, path)``, without reading any export.

    Raises:
        InputError: No data folder and no ``sources`` in the profile, or a folder that is missing.
    """
    from contacts311.inputs import candidate_files
    from contacts311.profile import resolve_profile

    return candidate_files(data_dir, resolve_profile(profile))


def run_key(
    inputs: Iterable[tuple[str, str]],
    profile_sha256: str,
    parameters: Mapping[str, Any],
    code_sha256: str,
    environment: Mapping[str, str] | None = None,
) -> str:
    """The key that decides whether a run is needed: same key, same reports.

    Args:
        inputs: ``(name, sha256)`` of every input file.
        profile_sha256: SHA-256 of the profile file (``"default"`` for the bundled one).
        parameters: The notebook parameters in force (user overrides and ``as_of``).
        code_sha256: From :func:`contacts311._package.code_digest`.
        environment: Python and library versions.

    Returns:
        A hex SHA-256 digest; it does not depend on the order of ``inputs`` or ``parameters``.
    """
    doc = {
        "inputs": sorted([str(n), str(s)] for n, s in inputs),
        "profile": profile_sha256,
        "parameters": {k: parameters[k] for k in sorted(parameters)},
        "code": code_sha256,
        "environment": dict(sorted((environment or {}).items())),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def _environment() -> dict[str, str]:
    from importlib import metadata

    env = {"python": sys.version.split()[0], "contacts311": __version__}
    for lib in LIBRARIES:
        try:
            env[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            env[lib] = "not installed"
    return env


def _git_commit() -> str | None:
    """The commit of the source checkout the package runs from, with ``-dirty`` when edited."""
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


# ----------------------------------------------------------------------------------------------
# Index, run page, provenance and table of contents (pure HTML rendering, everything escaped)

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 margin:0 auto;max-width:62rem;padding:1rem 1.5rem 3rem;color:#1a1a1a;background:#fff;line-height:1.5}
h1,h2,h3{line-height:1.25}a{color:#0b57a4}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.92rem}
th,td{border-bottom:1px solid #ccc;padding:.25rem .6rem;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.status-succeeded{color:#1b5e20;font-weight:600}.status-failed{color:#b00020;font-weight:600}
.status-warning{color:#8a4b00;font-weight:600}.run-warnings{border-left:4px solid #8a4b00;padding:.2rem .8rem}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _params_text(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted(params.items())) or "defaults"


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
    rows = []
    for run in newest_first:
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
        rows.append(
            "<tr>"
            f'<td class="mono">{_e(run.get("started"))}</td>'
            f"<td>{_e(run.get('period'))}</td>"
            f'<td class="status-{_e(status)}">{_e(status)}{message}</td>'
            f'<td class="num">{float(run.get("duration_seconds") or 0):.1f}</td>'
            f'<td class="mono">{_e(_params_text(run.get("parameters", {})))}</td>'
            f"<td>{'<br>'.join(links)}</td>"
            "</tr>"
        )
    latest = next((r for r in newest_first if r.get("status") in _GOOD), None)
    latest_line = (
        f'<p>Latest good run: <a href="{LATEST}/index.html">{LATEST}/</a> '
        f"({_e(latest.get('started'))}, {_e(latest.get('period'))}).</p>"
        if latest
        else "<p>No run has succeeded yet.</p>"
    )
    body = "\n".join(rows) or '<tr><td colspan="6">No runs yet.</td></tr>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_e(title)}</title>'
        f"<style>{_CSS}</style></head><body>\n<h1>{_e(title)}</h1>\n{latest_line}\n"
        "<table><thead><tr><th>started (UTC)</th><th>period</th><th>status</th>"
        '<th class="num">duration (s)</th><th>parameters</th><th>reports</th></tr></thead>\n'
        f"<tbody>\n{body}\n</tbody></table>\n</body></html>\n"
    )


def provenance_html(prov: Mapping[str, Any]) -> str:
    """The provenance section every report ends with (parameters, inputs, versions, times)."""
    params = prov.get("parameters", {})
    prows = "".join(
        f'<tr><td class="mono">{_e(k)}</td><td class="mono">{_e(repr(v))}</td></tr>'
        for k, v in sorted(params.items())
    )
    irows = "".join(
        f'<tr><td class="mono">{_e(i.get("source_file"))}</td><td>{_e(i.get("format"))}</td>'
        f'<td class="mono">{_e(i.get("sha256"))}</td><td class="num">{int(i.get("rows_read", 0)):,}</td></tr>'
        for i in prov.get("inputs", [])
    )
    env = prov.get("environment", {})
    erows = "".join(
        f'<tr><td>{_e(k)}</td><td class="mono">{_e(v)}</td></tr>' for k, v in env.items()
    )
    rules = "".join(f"<li>{_e(r)}</li>" for r in prov.get("rules", []))
    warned = "".join(f"<li>{_e(w)}</li>" for w in prov.get("warnings", []))
    facts = [
        ("run", prov.get("run_id")),
        ("run started (UTC)", prov.get("started")),
        (
            "notebook run time",
            f"{float(prov.get('seconds') or 0):.1f} s" if "seconds" in prov else None,
        ),
        ("contacts311 version", prov.get("version")),
        ("git commit", prov.get("git_commit") or "not a git checkout"),
        ("profile", prov.get("profile") or "bundled PDX 311 profile"),
        ("data folder", prov.get("data_dir")),
        ("run key", prov.get("key")),
    ]
    frows = "".join(
        f'<tr><th>{_e(k)}</th><td class="mono">{_e(v)}</td></tr>' for k, v in facts if v is not None
    )
    return (
        '<section id="provenance" class="provenance">\n<h2 id="provenance-heading">Provenance</h2>\n'
        f"<table>{frows}</table>\n"
        + (
            f'<div class="run-warnings"><h3>Input checks: warnings</h3>\n<ul>{warned}</ul></div>\n'
            if warned
            else ""
        )
        + f"<h3>Parameters</h3>\n<table>{prows or '<tr><td>defaults</td></tr>'}</table>\n"
        f"<details><summary>Input files ({len(prov.get('inputs', []))}): SHA-256 and rows read</summary>\n"
        "<table><thead><tr><th>file</th><th>format</th><th>SHA-256</th>"
        f'<th class="num">rows read</th></tr></thead><tbody>{irows}</tbody></table></details>\n'
        + (f"<h3>Counting rules</h3>\n<ul>{rules}</ul>\n" if rules else "")
        + f"<h3>Software</h3>\n<table>{erows}</table>\n</section>\n"
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
    nav = (
        '<nav id="toc" aria-label="Contents"><h2>Contents</h2><ul>' + "".join(items) + "</ul></nav>"
    )
    return page.replace(marker, nav, 1)


def period_slug(label: str) -> str:
    """A folder-safe form of a period label (``FY 2025-26`` -> ``FY2025-26``)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "", label.replace(" ", ""))
    return slug or "unknown-period"


# ----------------------------------------------------------------------------------------------
# Helpers for the notebooks (escaping everything that comes from the data)


def load_dataset(data_dir: str = "", profile: str = "", dataset_path: str = ""):
    """The dataset a notebook reports on: the runner's shared copy, else loaded from the exports.

    Args:
        data_dir: Folder of exports; a relative path is looked up from the current folder and
            then from each parent (so ``data/raw/sample`` works from ``notebooks/``).
        profile: YAML profile path, or ``""`` for the bundled PDX 311 profile.
        dataset_path: Pickle written by the runner for this run (``""`` when run by hand).

    Returns:
        A :class:`contacts311.pipeline.Dataset`.
    """
    if dataset_path:
        import pickle

        path = Path(dataset_path)
        failed = path.with_name(path.name + ".failed")
        # The runner starts the kernels while it is still reading the exports: wait for it.
        deadline = time.monotonic() + _DATASET_WAIT_SECONDS
        while not path.exists():
            if failed.exists():
                raise RuntimeError(f"the runner could not load the exports: {failed.read_text()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no dataset at {path} after {_DATASET_WAIT_SECONDS} s")
            time.sleep(0.05)
        with path.open("rb") as fh:
            return pickle.load(fh)  # noqa: S301 - written by this run, in its private temp folder
    from contacts311.pipeline import load

    return load(_find_up(data_dir) if data_dir else None, _find_up(profile) if profile else None)


def _missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other containers are values, not missing
        return False


def _find_up(relative: str) -> Path:
    path = Path(relative)
    if path.is_absolute() or path.exists():
        return path
    for parent in Path.cwd().resolve().parents:
        if (parent / path).exists():
            return parent / path
    return path


def md(template: str, **values: Any):
    """Markdown for display with every ``{name}`` value HTML-escaped (values come from data).

    Numbers are formatted with thousands separators unless the template gives a format spec.
    """
    from IPython.display import Markdown

    safe = {
        k: v if isinstance(v, int | float) and not isinstance(v, bool) else _e(v)
        for k, v in values.items()
    }
    return Markdown(template.format(**safe))


def md_list(items: Iterable[Any]):
    """A Markdown bullet list of ``items``, each HTML-escaped (rules, notes, file names)."""
    from IPython.display import Markdown

    return Markdown("\n".join(f"- {_e(' '.join(str(item).split()))}" for item in items))


def headline_html(value: int, period: str, measure: str = "Contacts handled by 311") -> str:
    """The headline figure in an element tests and readers can find (``#headline-value``)."""
    return (
        '<p class="headline"><span class="headline-label">'
        f"{_e(measure)}, {_e(period)}: </span>"
        f'<span id="headline-value" data-value="{int(value)}">{int(value):,}</span></p>'
    )


def table_html(
    frame, caption: str | None = None, index: bool = False, digits: int = 1, details: bool = False
) -> str:
    """A DataFrame as an escaped HTML table: integers with separators, floats rounded.

    Args:
        frame: The table.
        caption: Optional caption (escaped).
        index: Include the index.
        digits: Decimals for float columns.
        details: Fold the table away under its caption (``<details>``) for long listings.
    """
    import pandas as pd

    shown = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s):
            fmt: Callable[[Any], str] = lambda v: "yes" if v else "no"  # noqa: E731
        elif pd.api.types.is_integer_dtype(s) and not str(col).endswith(("_key", "year")):
            fmt = lambda v: f"{int(v):,}"  # noqa: E731
        elif pd.api.types.is_datetime64_any_dtype(s):
            # Dates, not midnights: contact dates carry no time of day.
            fmt = lambda v: v.strftime("%Y-%m-%d") if v == v.normalize() else str(v)  # noqa: E731
        elif pd.api.types.is_float_dtype(s):
            fmt = lambda v, d=digits: f"{float(v):,.{d}f}"  # noqa: E731
        else:
            fmt = str
        # Missing values show as blank cells, never as "nan" or "<NA>".
        shown[str(col)] = [("" if _missing(v) else fmt(v)) for v in s]
    body = shown.to_html(index=index, escape=True, border=0, classes="data")
    if caption:
        body = body.replace(
            '<table class="dataframe data">',
            f'<table class="dataframe data"><caption>{_e(caption)}</caption>',
            1,
        )
    if details:
        label = _e(caption or "Table")
        body = f"<details><summary>{label} ({len(frame):,} rows)</summary>\n{body}\n</details>"
    return body


# ----------------------------------------------------------------------------------------------
# The runner


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _read_runs(out: Path) -> list[dict[str, Any]]:
    path = out / RUNS_FILE
    if not path.is_file():
        return []
    try:
        runs = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return []
    return runs if isinstance(runs, list) else []


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _record(out: Path, run: dict[str, Any]) -> None:
    runs = [r for r in _read_runs(out) if r.get("id") != run["id"]] + [run]
    _write_atomic(out / RUNS_FILE, json.dumps(runs, indent=1, default=str))
    _write_atomic(out / INDEX_FILE, render_index(runs))


def _latest_good(out: Path) -> dict[str, Any] | None:
    good = [r for r in _read_runs(out) if r.get("status") in _GOOD]
    return good[-1] if good else None


@contextlib.contextmanager
def _lock(out: Path, wait_seconds: float) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(str(out / LOCK_FILE))
    try:
        lock.acquire(timeout=wait_seconds)
    except Timeout:
        raise LockTimeout(
            f"another report run holds {out / LOCK_FILE} (waited {wait_seconds:.0f} s)"
        ) from None
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def _kernel(tmp: Path) -> Iterator[str]:
    """The name of a kernel that runs this interpreter, registering nothing globally.

    A kernelspec written into the run's temp folder (``JUPYTER_PATH`` points there for the run
    only) starts :mod:`contacts311._kernel`: ipykernel with this interpreter, at a lower CPU
    priority than the runner and its loader process.
    """
    spec_dir = tmp / "jupyter" / "kernels" / "contacts311-python"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "contacts311._kernel", "-f", "{connection_file}"],
        "display_name": "contacts311 (this environment)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    before = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(tmp / "jupyter"), before]))
    try:
        yield "contacts311-python"
    finally:
        if before is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = before


def _longest_first(
    jobs: Sequence[tuple[Path, Path, dict[str, Any]]], out: Path
) -> list[tuple[Path, Path, dict[str, Any]]]:
    """The notebooks in the order to start them: the longest first (LPT scheduling).

    With fewer workers than notebooks, starting the longest ones first keeps a core from idling
    while the last long notebook runs alone. "Longest" is the time a notebook took in the
    latest run that ran it; a notebook never run here goes first, and file size (a rough
    measure of how much a notebook computes and draws) breaks ties.
    """
    seconds: dict[str, float] = {}
    for run in _read_runs(out):  # oldest first: later runs overwrite
        for entry in run.get("notebooks") or []:
            if isinstance(entry, dict) and isinstance(entry.get("seconds"), int | float):
                seconds[str(entry.get("name"))] = float(entry["seconds"])
    return sorted(
        jobs,
        key=lambda job: (
            -seconds.get(job[0].name, math.inf),
            -job[0].stat().st_size,
            job[0].name,
        ),
    )


def _headline_period(data, as_of: dt.date) -> str:
    """The folder name of a run: the period its headline reports (see ``headline_figure``)."""
    from contacts311.measures import headline_figure, period_totals

    totals = period_totals(data.contacts, "fiscal", data.profile.fiscal_year_start_month, as_of)
    period = headline_figure(totals)["period"]
    return period_slug(period) if period is not None else "no-data"


def _default_workers(jobs: int, workers: int | None = None) -> int:
    """Notebooks executed at once: ``workers`` when given, else the number of CPUs (at least 2).

    One kernel per core: starting every kernel at once (5 on 2 cores) measured no faster
    (docs/performance.md, "Report builds") and costs ~0.3 GB of memory per extra kernel.
    The report benchmark calls this too, so its floor runs with the runner's parallelism.
    """
    return max(1, min(workers or max(2, os.cpu_count() or 2), jobs))


#: The runner's threads import papermill (each notebook's) and nbconvert (the conversions),
#: which share jupyter_client and nbclient but reach them in different orders: two threads
#: importing them at once can meet a half-initialised module (an ImportError seen on 2 cores).
#: One of these imports at a time.
_IMPORTING = threading.Lock()

#: Tries to start a notebook's kernel. A kernel can die before it answers when the port the
#: client picked for it was taken in between by another program (a kernel of another run).
_KERNEL_STARTS = 3
_KERNEL_NEVER_STARTED = "Kernel died before replying to kernel_info"


def _execute(
    nb: Path, out_nb: Path, params: dict[str, Any], kernel: str, cwd: Path
) -> tuple[str, str, float]:
    import logging

    with _IMPORTING:
        import papermill as pm

    # papermill logs every injected parameter and kernel detail; the runner reports per notebook.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    start = time.perf_counter()
    attempt = 0
    while True:
        attempt += 1
        try:
            pm.execute_notebook(
                str(nb),
                str(out_nb),
                parameters=params,
                kernel_name=kernel,
                # Not papermill's cwd=: it os.chdir()s the whole process, which races between
                # the threads and can leave the runner in a deleted temp folder. The kernel
                # alone starts in ``cwd`` (nbclient's resources path).
                resources={"metadata": {"path": str(cwd)}},
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                execution_timeout=1800,
                # Keep the kernels' own start-up and shutdown chatter out of the operator's log.
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )
        except pm.PapermillExecutionError as exc:
            return (
                "failed",
                f"{exc.ename}: {' '.join(str(exc.evalue).split())}",
                time.perf_counter() - start,
            )
        except Exception as exc:  # kernel died, timeout: still a failed notebook, not a crash
            if _KERNEL_NEVER_STARTED in str(exc) and attempt < _KERNEL_STARTS:
                continue  # no cell ran: starting a fresh kernel is safe
            return (
                "failed",
                f"{type(exc).__name__}: {' '.join(str(exc).split())}",
                time.perf_counter() - start,
            )
        return "succeeded", "", time.perf_counter() - start


def _template_file() -> Path:
    return Path(__file__).resolve().parent / "templates" / "report.html.j2"


def _to_html(executed: Path, prov: Mapping[str, Any], title: str) -> str:
    with _IMPORTING:
        import nbformat
        from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)
    nb.metadata["title"] = title
    exporter = HTMLExporter(template_name="lab", template_file=str(_template_file()))
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    resources = {"contacts311": {"provenance": provenance_html(prov), "title": title}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return add_toc(body)


def _title(nb_path: Path) -> str:
    """The notebook's first heading, for links and the page title."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            text = _cell_source(cell)
            for line in text.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return nb_path.stem


def _run_page(run: Mapping[str, Any], prov: Mapping[str, Any]) -> str:
    items = "".join(
        f'<li><a href="{_e(n["html"])}">{_e(n["title"])}</a>'
        + ("" if n["status"] == "succeeded" else f" (failed: {_e(n.get('error'))})")
        + "</li>"
        for n in run["notebooks"]
        if n.get("html")
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Run {_e(run['id'])}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>Reports for {_e(run.get('period'))}</h1>\n<p>Run {_e(run['id'])}: "
        f'<span class="status-{_e(run["status"])}">{_e(run["status"])}</span>.</p>\n'
        f"<ul>{items}</ul>\n{provenance_html(prov)}</body></html>\n"
    )


def _swap_latest(out: Path, run_dir: Path) -> None:
    """Copy ``run_dir`` to a temp folder, then rename it over ``latest/``."""
    staging = Path(tempfile.mkdtemp(prefix=".latest-", dir=out))
    shutil.copytree(run_dir, staging, dirs_exist_ok=True)
    latest = out / LATEST
    old = out / f".latest-old-{os.getpid()}"
    if latest.exists():
        os.replace(latest, old)
    os.replace(staging, latest)
    shutil.rmtree(old, ignore_errors=True)


def run_report(
    data_dir: str | Path | None = None,
    profile: str | Path | None = None,
    out: str | Path = "reports",
    overrides: Sequence[str] = (),
    *,
    force: bool = False,
    wait_seconds: float = 600.0,
    notebooks: Sequence[str | Path] | None = None,
    log: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> RunOutcome:
    """Run every report notebook on one folder of exports and file the HTML.

    Args:
        data_dir: Folder of exports (optional when the profile lists its sources).
        profile: YAML profile, or ``None`` for the bundled PDX 311 profile.
        out: Output folder (``reports/``); created when missing. The data folder is never written.
        overrides: ``name=value`` notebook parameters (checked against the parameters cells).
        force: Run even when the last good run had the same inputs, parameters and code.
        wait_seconds: How long to wait for another run's lock.
        notebooks: Notebooks to run (default: every packaged notebook).
        log: Receives one line per step (default: print to stderr).
        workers: Notebooks executed at once (default: number of CPUs, at least 2).

    Returns:
        A :class:`RunOutcome`; its ``exit_code`` is what the command line returns.

    Raises:
        InputError: Bad parameter, missing data folder or unreadable profile (nothing has run),
            or exports that do not load (the run is then recorded as failed in the index).
        LockTimeout: Another run kept the lock longer than ``wait_seconds``.
    """
    say = log or (lambda line: print(line, file=sys.stderr, flush=True))
    t0 = time.perf_counter()
    nb_paths = [Path(p) for p in notebooks] if notebooks is not None else list_notebooks()
    if not nb_paths:
        raise InputError(notebooks_dir(), "no report notebooks found")
    declared = declared_parameters(nb_paths)
    user = parse_overrides(overrides, declared)
    if user.get("as_of"):
        try:
            dt.date.fromisoformat(str(user["as_of"]))
        except ValueError:
            raise InputError(
                None, f"parameter 'as_of' expects a date YYYY-MM-DD, got {user['as_of']!r}"
            ) from None
    data_path = Path(data_dir).resolve() if data_dir is not None else None
    profile_path = Path(profile).resolve() if profile else None
    if profile_path is not None and not profile_path.is_file():
        raise InputError(profile_path, "profile file does not exist")
    files = input_files(data_path, profile_path)
    as_of = user.get("as_of") or declared.get("as_of", Parameter("as_of", "str", "")).default
    effective = dict(user)
    if "as_of" in declared:
        # Partial-period flags depend on the date, so "today" is part of what makes a run fresh.
        effective["as_of"] = as_of or dt.date.today().isoformat()
    out_dir = Path(out).resolve()
    if data_path is not None and (out_dir == data_path or data_path in out_dir.parents):
        raise InputError(out_dir, "the output folder must not be inside the data folder")
    out_dir.mkdir(parents=True, exist_ok=True)

    with _lock(out_dir, wait_seconds):
        env = _environment()
        hashed = [(name, sha256_file(p)) for name, p in files]
        profile_sha = sha256_file(profile_path) if profile_path else "default"
        code_sha = code_digest()
        key = run_key(hashed, profile_sha, effective, code_sha, env)
        # Per-part digests, kept with the run, say *why* a later run was not skipped.
        parts = {
            "inputs": run_key(hashed, "", {}, ""),
            "profile": profile_sha,
            "parameters": run_key([], "", effective, ""),
            "code": code_sha,
            "environment": run_key([], "", {}, "", env),
        }
        last = _latest_good(out_dir)
        if (
            not force
            and last
            and last.get("key") == key
            and (out_dir / LATEST / INDEX_FILE).is_file()
        ):
            msg = f"up to date: inputs, parameters and code unchanged since run {last['id']} ({out_dir / LATEST})"
            say(msg)
            return RunOutcome("up-to-date", 0, out_dir / LATEST, msg)
        if last and not force:
            changed = [k for k, v in parts.items() if last.get("key_parts", {}).get(k) != v]
            say(
                f"running: {', '.join(changed) or 'the latest report'} changed since run {last['id']}"
            )
        return _run_locked(
            nb_paths,
            declared,
            user,
            effective,
            data_path,
            profile_path,
            out_dir,
            key,
            parts,
            env,
            say,
            t0,
            workers,
        )


def _run_locked(
    nb_paths: list[Path],
    declared: Mapping[str, Parameter],
    user: dict[str, Any],
    effective: dict[str, Any],
    data_path: Path | None,
    profile_path: Path | None,
    out_dir: Path,
    key: str,
    parts: dict[str, str],
    env: dict[str, str],
    say: Callable[[str], None],
    t0: float,
    workers: int | None,
) -> RunOutcome:
    from concurrent.futures import ThreadPoolExecutor, as_completed

    started = _utcnow()
    run_id = started.strftime("%Y%m%dT%H%M%SZ")
    run: dict[str, Any] = {
        "id": run_id,
        "started": started.isoformat(),
        "status": "running",
        "parameters": user,
        "key": key,
        "key_parts": parts,
        "period": "",
        "folder": "",
        "notebooks": [],
        "message": "",
    }
    with tempfile.TemporaryDirectory(prefix="contacts311-report-") as tmp_name:
        tmp = Path(tmp_name)
        dataset_path = tmp / "dataset.pickle"
        runner_values = {
            "data_dir": str(data_path) if data_path else "",
            "profile": str(profile_path) if profile_path else "",
            "dataset_path": str(dataset_path),
            "history_path": str(out_dir / _history_file()),
        }
        jobs = []
        for nb in nb_paths:
            own = read_parameters(nb)
            params = {k: v for k, v in {**runner_values, **effective}.items() if k in own}
            jobs.append((nb, tmp / nb.name, params))
        say(f"loading exports from {data_path or 'the profile sources'}")
        with (
            # The exports are read in a process of their own, started before any kernel: in
            # this process the read would compete for the GIL with the threads that drive the
            # kernels (measured: a cold run on 2 cores took ~4 s longer that way).
            _Loader(data_path, profile_path, tmp, out_dir) as loader,
            _kernel(tmp) as kernel,
            ThreadPoolExecutor(max_workers=_default_workers(len(jobs), workers)) as pool,
        ):
            # Kernels start and import their libraries while the loader reads the exports;
            # each notebook's load_dataset() waits for the pickle (or the failure marker).
            futures = {
                pool.submit(_execute, nb, out_nb, params, kernel, tmp): (nb, out_nb, params)
                for nb, out_nb, params in _longest_first(jobs, out_dir)
            }
            try:
                # The input checks ran in the loader, before any notebook can see the data: a
                # check set to "fail" stops the run here (history and latest/ untouched);
                # "warn" reaches the reports.
                warnings_found, failures = loader.checks()
            except BaseException as exc:
                _abandon(
                    out_dir, run, dataset_path, futures, exc, f"exports did not load: {exc}", t0
                )
                raise
            for line in warnings_found:
                say(f"warning: {line}")
            if failures:
                reason = "input checks failed: " + "; ".join(failures)
                _abandon(out_dir, run, dataset_path, futures, RuntimeError(reason), reason, t0)
                say(f"run failed: {reason}")
                return RunOutcome("failed", 1, None, f"run failed: {reason}")
            _write_atomic(
                dataset_path.with_name(dataset_path.name + _WARNINGS_SUFFIX),
                json.dumps(warnings_found),
            )
            # The loader's pickle is the dataset the notebooks read: published before this
            # process reads its own copy (for the period and provenance), so they start sooner.
            loader.publish(dataset_path)
            data = loader.result()
            as_of = (
                dt.date.fromisoformat(effective["as_of"])
                if effective.get("as_of")
                else dt.date.today()
            )
            period = _headline_period(data, as_of)
            run_dir = out_dir / period / run_id
            suffix = 1
            while run_dir.exists():
                suffix += 1
                run_dir = out_dir / period / f"{run_id}-{suffix}"
            run_dir.mkdir(parents=True)
            run.update(
                period=period, folder=run_dir.relative_to(out_dir).as_posix(), id=run_dir.name
            )
            base_prov = {
                "run_id": run["id"],
                "started": run["started"],
                "version": __version__,
                "git_commit": _git_commit(),
                "environment": env,
                "inputs": [
                    {k: (int(v) if k in ("rows_read", "bytes") else str(v)) for k, v in r.items()}
                    for r in data.inputs.to_dict("records")
                ],
                "rules": list(data.profile.rules_text()),
                "profile": str(profile_path) if profile_path else None,
                "data_dir": str(data_path) if data_path else None,
                "key": key,
                "warnings": warnings_found,
            }
            # Load nbconvert while the kernels work: its import is slow and the threads are idle.
            with _IMPORTING:
                import nbconvert  # noqa: F401

            entries: dict[str, dict[str, Any]] = {}
            for done, fut in enumerate(as_completed(futures), start=1):
                nb, out_nb, params = futures[fut]
                status, error, seconds = fut.result()
                say(
                    f"[{done}/{len(jobs)}] {nb.name}: {status} in {seconds:.1f} s"
                    + (f" ({error})" if error else "")
                )
                # Convert now, while the other notebooks are still running.
                entries[nb.name] = _convert_one(
                    nb, out_nb, params, status, error, seconds, base_prov, run_dir
                )
        run["notebooks"] = [entries[nb.name] for nb, _, _ in jobs]
        failed = [n for n in run["notebooks"] if n["status"] != "succeeded"]
        run["status"] = "failed" if failed else "warning" if warnings_found else "succeeded"
        if failed:
            run["message"] = "; ".join(f"{n['name']}: {n['error']}" for n in failed)
        elif warnings_found:
            run["message"] = "input checks warned: " + "; ".join(warnings_found)
        run_prov = {
            **base_prov,
            "parameters": {
                k: v
                for k, v in {**runner_values, **effective}.items()
                if k not in _PRIVATE_PARAMETERS
            },
        }
        (run_dir / "provenance.json").write_text(
            json.dumps(
                {**run_prov, "notebooks": run["notebooks"], "status": run["status"]},
                indent=1,
                default=str,
            ),
            encoding="utf-8",
        )
        (run_dir / INDEX_FILE).write_text(_run_page(run, run_prov), encoding="utf-8")
        if not failed:
            _record_history(out_dir, run["id"], started, data, as_of)
            _swap_latest(out_dir, run_dir)
        run["duration_seconds"] = round(time.perf_counter() - t0, 2)
        _record(out_dir, run)
    if failed:
        msg = f"run failed ({len(failed)} of {len(jobs)} notebooks): {run['message']}; reports in {run_dir}"
        say(msg)
        return RunOutcome("failed", 1, run_dir, msg, run["notebooks"])
    msg = f"reports written to {run_dir} and {out_dir / LATEST} in {run['duration_seconds']:.1f} s"
    if warnings_found:
        msg += f", with {len(warnings_found)} input warning(s)"
        say(msg)
        return RunOutcome("warning", 3, run_dir, msg, run["notebooks"])
    say(msg)
    return RunOutcome("succeeded", 0, run_dir, msg, run["notebooks"])


def _convert_one(
    nb: Path,
    out_nb: Path,
    params: Mapping[str, Any],
    status: str,
    error: str,
    seconds: float,
    base_prov: Mapping[str, Any],
    run_dir: Path,
) -> dict[str, Any]:
    """Write one executed notebook's HTML page; returns its entry for the run record."""
    title = _title(nb)
    entry = {
        "name": nb.name,
        "title": title,
        "status": status,
        "error": error,
        "seconds": round(seconds, 2),
        "html": "",
    }
    if not out_nb.is_file():
        return entry
    prov = {
        **base_prov,
        "parameters": {k: v for k, v in params.items() if k not in _PRIVATE_PARAMETERS},
        "seconds": seconds,
        "notebook": nb.name,
    }
    try:
        page = _to_html(out_nb, prov, title)
    except Exception as exc:  # a broken conversion fails this notebook, not the run
        entry.update(status="failed", error=f"HTML conversion: {type(exc).__name__}: {exc}")
        return entry
    html_name = nb.with_suffix(".html").name
    (run_dir / html_name).write_text(page, encoding="utf-8")
    entry["html"] = html_name
    return entry


class _Loader:
    """``pipeline.load`` run in a child interpreter; :meth:`result` waits for the dataset.

    The child (:mod:`contacts311._loader`) writes the dataset (or the exception that stopped
    it) with the warnings it raised and, given ``reports_dir``, the input checks against that
    folder's history, to a pickle in the run's temp folder; :meth:`checks` raises those
    warnings again here, so the command line shows them as if the read had run in this
    process. The child gets this process's ``sys.path``, so it imports the same package.
    """

    def __init__(
        self,
        data_path: Path | None,
        profile_path: Path | None,
        tmp: Path,
        reports_dir: Path | None = None,
    ) -> None:
        self._file = tmp / "loaded.pickle"
        self._log = tmp / "loader.log"
        self._checks: tuple[list[str], list[str]] | None = None
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "contacts311._loader",
                    str(data_path or ""),
                    str(profile_path or ""),
                    str(self._file),
                    str(reports_dir or ""),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=env,
            )

    def __enter__(self) -> _Loader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process.poll() is None:  # the run stopped early (a kernel failed, Ctrl-C)
            self._process.terminate()
        self._process.wait()

    def checks(self) -> tuple[list[str], list[str]]:
        """Wait for the read: raise its warnings and what stopped it; the input checks' result.

        Returns:
            ``(warnings, failures)`` of the input checks (both empty without ``reports_dir``),
            read without loading the dataset itself.
        """
        import pickle
        import warnings

        if self._checks is None:
            code = self._process.wait()
            if not self._file.is_file():
                log = self._log.read_text(encoding="utf-8", errors="replace").strip()
                last = f": {log.splitlines()[-1].strip()}" if log else ""
                raise RuntimeError(
                    f"the process reading the exports stopped (exit code {code}){last}"
                )
            with self._file.open("rb") as fh:
                error, caught, checks = pickle.load(fh)  # noqa: S301 - written by this run's child
            for message, category in caught:
                warnings.warn(message, category, stacklevel=2)
            if error is not None:
                raise error
            self._checks = checks
        return self._checks

    def result(self) -> Any:
        """The :class:`~contacts311.pipeline.Dataset`; raises what stopped the read."""
        import pickle

        self.checks()
        with self._file.open("rb") as fh:
            pickle.load(fh)  # noqa: S301 - skip the header
            return pickle.load(fh)  # noqa: S301 - written by this run's child

    def publish(self, dataset_path: Path) -> None:
        """Make the read dataset the one the notebooks load (a byte copy, not a re-pickling)."""
        import pickle

        part = dataset_path.with_name(dataset_path.name + ".part")
        with self._file.open("rb") as src, part.open("wb") as dst:
            pickle.load(src)  # noqa: S301 - skip the header (error, warnings, checks)
            dst.write(src.read())
        os.replace(part, dataset_path)


def _abandon(
    out_dir: Path,
    run: dict[str, Any],
    dataset_path: Path,
    futures: Iterable[Any],
    exc: BaseException,
    message: str,
    t0: float,
) -> None:
    """Stop a run before any notebook saw the data: release the kernels, record it as failed."""
    _publish_failure(dataset_path, exc)
    for fut in futures:
        fut.cancel()
    run.update(status="failed", message=message)
    run["duration_seconds"] = round(time.perf_counter() - t0, 2)
    _record(out_dir, run)


def _publish_failure(dataset_path: Path, exc: BaseException) -> None:
    """Tell the waiting notebooks that there will be no dataset (they stop at once)."""
    marker = dataset_path.with_name(dataset_path.name + ".failed")
    marker.write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")


def _record_history(out_dir: Path, run_id: str, started: dt.datetime, data, as_of: dt.date) -> None:
    """Append the run's figures to the output folder's report history (``history.sqlite``)."""
    from contacts311 import history

    path = out_dir / history.HISTORY_FILE
    stamp = history.data_as_of(data.contacts)
    figures = history.figures_for_run(
        data.contacts, data.inputs, data.profile.fiscal_year_start_month, as_of=as_of
    )
    history.record_run(
        path, run_id, started, figures, data.inputs, data.columns, stamp, data.profile.rules_text()
    )


def _history_file() -> str:
    """The history's file name (the module loads pandas, so it is imported only to run)."""
    from contacts311 import history

    return history.HISTORY_FILE


def _input_checks(out_dir: Path, data) -> tuple[list[str], list[str]]:
    """Stale-input and layout checks against the previous good run, split by the profile's rules.

    Returns:
        ``(warnings, failures)``: the messages of checks set to ``warn`` and to ``fail``.
    """
    from contacts311 import history

    rules = data.profile.checks
    stale, layout = history.input_checks(
        out_dir / history.HISTORY_FILE,
        history.data_as_of(data.contacts),
        data.inputs,
        data.columns,
        stale_days=rules.stale_days,
    )
    warned: list[str] = []
    failed: list[str] = []
    (failed if rules.stale_inputs == "fail" else warned).extend(stale)
    (failed if rules.layout_change == "fail" else warned).extend(layout)
    return warned, failed


def run_warnings(dataset_path: str = "") -> list[str]:
    """The input-check warnings the runner found for this run (for the notebooks to show).

    Args:
        dataset_path: The notebook's ``dataset_path`` parameter (``""`` when run by hand, which
            has no runner checks and so no warnings).

    Returns:
        One sentence per warning (stale inputs, changed export layout); empty when none.
    """
    if not dataset_path:
        return []
    path = Path(dataset_path)
    marker = path.with_name(path.name + _WARNINGS_SUFFIX)
    if not marker.is_file():
        return []
    return [str(w) for w in json.loads(marker.read_text(encoding="utf-8"))]
