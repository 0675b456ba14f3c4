"""Reports: run the notebooks with papermill and turn them into self-contained HTML.

One call (:func:`run_report`, or ``contacts311 report``) reads the exports once, executes every
notebook in ``notebooks/`` in parallel on that one dataset, converts each to HTML that reads
offline, and files the result as ``<out>/<period>/<timestamp>/``; ``<out>/index.html`` lists
every run and ``<out>/latest`` links to the last published one.

Modules: :mod:`.parameters` (the notebooks and their parameters), :mod:`.freshness` (the run
key), :mod:`.runner` (the stages of a run), :mod:`.shared_load` (the one read shared by the
notebooks), :mod:`.execute` (kernels and papermill), :mod:`.html` (pages), :mod:`.outputs`
(the output folder), and :mod:`.notebook`, which the notebooks themselves import (it loads
pandas, so it is not imported here).
"""

from contacts311.report.freshness import input_files, run_key
from contacts311.report.html import add_toc, period_slug, provenance_html, render_index
from contacts311.report.outputs import LockTimeout
from contacts311.report.parameters import (
    RUNNER_OPTIONAL_PARAMETERS,
    RUNNER_PARAMETERS,
    Parameter,
    declared_parameters,
    list_notebooks,
    notebooks_dir,
    parse_overrides,
    read_parameters,
)
from contacts311.report.runner import RunOutcome, run_report

__all__ = [
    "RUNNER_OPTIONAL_PARAMETERS",
    "RUNNER_PARAMETERS",
    "LockTimeout",
    "Parameter",
    "RunOutcome",
    "add_toc",
    "declared_parameters",
    "input_files",
    "list_notebooks",
    "notebooks_dir",
    "parse_overrides",
    "period_slug",
    "provenance_html",
    "read_parameters",
    "render_index",
    "run_key",
    "run_report",
]
