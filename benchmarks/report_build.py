"""Benchmark: the full report build against its floor (kernels + imports + papermill + nbconvert).

Measures, each in its own process:

1. ``contacts311 report DATA --out TMP --force`` with a **cold** read cache (an empty
   ``CONTACTS311_CACHE_DIR``) and then with the **warm** cache the cold run filled;
2. the **floor**: as many notebooks as :func:`contacts311.report.list_notebooks` returns,
   each doing nothing but import the third-party modules its real counterpart ended up loading
   (found by a probe run, see :func:`probe_modules`), executed with papermill and converted with
   nbconvert through the runner's own helpers (same kernel, same worker count, same exporter);
3. the up-to-date re-run (``contacts311 report DATA --out TMP``, nothing changed);
4. ``python -c "import contacts311"`` and which heavy libraries ``import contacts311`` and
   ``import contacts311.cli`` load.

It prints a Markdown table of seconds and the ratio to the floor. Usage::

    python benchmarks/report_build.py                    # sample data, one round
    python benchmarks/report_build.py --repeat 3         # three interleaved rounds, medians
    python benchmarks/report_build.py --quick            # floor plumbing only: a smoke run
    python benchmarks/report_build.py --json out.json    # also write the figures as JSON

Exit code 0 when every run succeeded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from ingest import host  # the sibling benchmark script (this folder is on sys.path)

from contacts311.report.execute import (
    Job,
    default_workers,
    execute,
    kernel_spec,
    longest_first,
)
from contacts311.report.html import notebook_page
from contacts311.report.parameters import list_notebooks, notebook_title, read_parameters
from contacts311.report.shared_load import SharedLoad

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT / "data" / "raw" / "sample"
#: Libraries whose presence after ``import contacts311`` would make every command slow.
HEAVY = ("pandas", "numpy", "matplotlib", "statsmodels", "papermill", "nbconvert", "pandera")
#: Targets from the issue.
TARGET_RATIO = 1.5
TARGET_UP_TO_DATE_SECONDS = 1.0
#: What a --quick floor notebook imports: enough to exercise the plumbing in a few seconds.
QUICK_MODULES = ("IPython.display",)

_PROBE_CELL = """
import json as _json, sys as _sys
print("CONTACTS311-MODULES " + _json.dumps([m for m, v in list(_sys.modules.items()) if v is not None]))
"""

_FLOOR_CELL = """
import importlib
import warnings

# The third-party modules the real notebook loaded, in the order it loaded them.
MODULES = {modules!r}
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    for _name in MODULES:
        try:
            importlib.import_module(_name)
        except Exception:  # a module that only imports in its package's own order: skip it
            pass
"""


# --------------------------------------------------------------------------- notebooks


def _cell(kind: str, source: str, tags: list[str] | None = None) -> dict:
    cell: dict = {"cell_type": kind, "metadata": {"tags": tags or []}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _notebook(cells: list[dict], kernelspec: dict) -> dict:
    for i, cell in enumerate(cells):
        cell.setdefault("id", f"floor-{i}")
    return {
        "cells": cells,
        "metadata": {"kernelspec": kernelspec, "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _parameters_source(notebook: Path) -> tuple[str, dict]:
    """The notebook's ``parameters`` cell source and its kernelspec."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            src = cell["source"]
            return ("".join(src) if isinstance(src, list) else src), nb["metadata"]["kernelspec"]
    raise ValueError(f"{notebook} has no parameters cell")


def write_floor_notebooks(
    notebooks: list[Path], modules: dict[str, list[str]], folder: Path
) -> list[Path]:
    """Write one floor notebook per real notebook: its title, its parameters cell, the imports.

    Args:
        notebooks: The real report notebooks.
        modules: Notebook name -> modules to import (from :func:`probe_modules`, or a fixed list).
        folder: Where the floor notebooks go (created).

    Returns:
        The floor notebooks, with the real ones' file names.
    """
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for nb in notebooks:
        params, kernelspec = _parameters_source(nb)
        cells = [
            _cell("markdown", f"# {notebook_title(nb)} (floor)"),
            _cell("code", params, ["parameters"]),
            _cell("code", _FLOOR_CELL.format(modules=list(modules.get(nb.name, ())))),
        ]
        path = folder / nb.name
        path.write_text(json.dumps(_notebook(cells, kernelspec), indent=1), encoding="utf-8")
        out.append(path)
    return out


def _third_party(names: list[str]) -> list[str]:
    """Modules that belong to neither the standard library nor contacts311, in load order."""
    stdlib = sys.stdlib_module_names
    keep = []
    for name in names:
        top = name.split(".", 1)[0]
        if top in stdlib or top in ("contacts311", "__main__", "builtins") or top.startswith("_"):
            continue
        keep.append(name)
    return keep


def _probe_output(executed: Path) -> list[str]:
    nb = json.loads(executed.read_text(encoding="utf-8"))
    for output in nb["cells"][-1].get("outputs", []):
        text = output.get("text", "")
        text = "".join(text) if isinstance(text, list) else text
        for line in text.splitlines():
            if line.startswith("CONTACTS311-MODULES "):
                return json.loads(line.split(" ", 1)[1])
    raise RuntimeError(f"probe cell printed nothing in {executed}")


def probe_modules(notebooks: list[Path], data_dir: Path, folder: Path) -> dict[str, list[str]]:
    """Which third-party modules each real notebook loads beyond a bare kernel.

    Each notebook is copied with one extra last cell that prints ``sys.modules`` and executed
    the way the runner executes it: on a shared dataset pickle written here with the runner's
    own helper (so a notebook unpickles the data rather than loading and validating the
    exports, which would import pandera). The result is compared with a notebook holding only
    its parameters cell.

    Returns:
        Notebook name -> module names in the order the kernel loaded them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    dataset_path = folder / "dataset.pickle"
    # Written the way a run writes it: the runner's loader process, then its publish step.
    with SharedLoad(Path(data_dir).resolve(), None, folder) as loader:
        loader.result()
        loader.publish(dataset_path)
    jobs = []
    for nb in notebooks:
        doc = json.loads(nb.read_text(encoding="utf-8"))
        doc["cells"].append({**_cell("code", _PROBE_CELL), "id": "contacts311-probe"})
        probe = folder / nb.name
        probe.write_text(json.dumps(doc), encoding="utf-8")
        jobs.append(probe)
    params_src, kernelspec = _parameters_source(notebooks[0])
    bare = folder / "_bare.ipynb"
    bare.write_text(
        json.dumps(
            _notebook(
                [_cell("code", params_src, ["parameters"]), _cell("code", _PROBE_CELL)], kernelspec
            )
        ),
        encoding="utf-8",
    )
    values = {
        "data_dir": str(data_dir),
        "profile": "",
        "dataset_path": str(dataset_path),
        "history_path": str(folder / "history.sqlite"),
    }
    executed: dict[str, Path] = {}
    with kernel_spec(folder) as kernel, ThreadPoolExecutor(max_workers=2) as pool:
        futures = {}
        for path in [*jobs, bare]:
            own = read_parameters(path) if path != bare else {}
            params = {k: v for k, v in values.items() if k in own}
            job = Job(path, folder / f"out-{path.name}", params)
            futures[pool.submit(execute, job, kernel, folder)] = (path, job.executed)
        for fut in as_completed(futures):
            path, out_nb = futures[fut]
            status, error, _ = fut.result()
            if status != "succeeded":
                raise RuntimeError(f"probe of {path.name} failed: {error}")
            executed[path.name] = out_nb
    baseline = set(_probe_output(executed[bare.name]))
    return {
        nb.name: _third_party([m for m in _probe_output(executed[nb.name]) if m not in baseline])
        for nb in notebooks
    }


# --------------------------------------------------------------------------- the floor run


def runner_workers(jobs: int) -> int:
    """Notebooks the runner executes at once for ``jobs`` notebooks (its default)."""
    return default_workers(jobs)


def run_floor(folder: Path) -> dict[str, float]:
    """Execute and convert every notebook in ``folder`` the way the report runner does.

    Same kernel (:func:`contacts311.report.execute.kernel_spec`), same worker count and start
    order (``longest_first``), same papermill call (``execute``) and the same exporter and
    template (:func:`contacts311.report.html.notebook_page`); nbconvert is imported
    while the kernels run and each page is converted as soon as its notebook finishes, as the
    runner does. Only the data loading, the input checks, the history and the publishing of
    the run are absent: they are the runner's own work, not the floor's.

    Returns:
        ``total``: seconds from the start of the executions to the last page written, and
        the execution seconds of each notebook by name.

    Raises:
        RuntimeError: A floor notebook failed.
    """
    notebooks = list_notebooks(folder)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="contacts311-floor-") as tmp_name:
        tmp = Path(tmp_name)
        values = {"data_dir": "", "profile": "", "dataset_path": "", "history_path": ""}
        with (
            kernel_spec(tmp) as kernel,
            ThreadPoolExecutor(max_workers=runner_workers(len(notebooks))) as pool,
        ):
            jobs = []
            for nb in notebooks:
                own = read_parameters(nb)
                jobs.append(Job(nb, tmp / nb.name, {k: v for k, v in values.items() if k in own}))
            futures = {}
            # The runner's start order (longest first; with no earlier run, by file size).
            for job in longest_first(jobs, []):
                futures[pool.submit(execute, job, kernel, tmp)] = (job.notebook, job.executed)
            import nbconvert  # noqa: F401 - imported while the kernels work, as the runner does

            seconds: dict[str, float] = {}
            for fut in as_completed(futures):
                nb, out_nb = futures[fut]
                status, error, seconds[nb.name] = fut.result()
                if status != "succeeded":
                    raise RuntimeError(f"floor notebook {nb.name} failed: {error}")
                page = notebook_page(out_nb, {"notebook": nb.name}, notebook_title(nb))
                (tmp / nb.with_suffix(".html").name).write_text(page, encoding="utf-8")
    return {"total": time.perf_counter() - start, **seconds}


# --------------------------------------------------------------------------- measurements


def _timed(
    cmd: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT
) -> tuple[float, subprocess.CompletedProcess]:
    """Wall seconds of ``cmd``, which must succeed, and the finished process (its output)."""
    started = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, env=dict(os.environ, **(env or {})), capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 3):  # 3: reports written, input checks warned
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return seconds, proc


def notebook_seconds(log: str) -> dict[str, float]:
    """Per-notebook execution seconds from the runner's log (``[1/5] name: succeeded in 7.7 s``)."""
    found = re.findall(r"\] (\S+\.ipynb): \w+ in ([0-9.]+) s", log)
    return {name: float(sec) for name, sec in found}


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("contacts311")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "contacts311"]


def import_check() -> dict:
    """Time ``python -c "import contacts311"`` and list the heavy libraries it loads."""
    seconds, _ = _timed([sys.executable, "-c", "import contacts311"])
    code = (
        "import sys, json, contacts311, contacts311.cli; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return {"import_seconds": seconds, "heavy_loaded": json.loads(proc.stdout)}


def measure_round(data_dir: Path, floor_dir: Path, work: Path, index: int) -> dict:
    """One round: floor, cold report, warm report, up-to-date re-run (each its own process).

    Returns:
        Wall seconds per run (``floor``, ``cold``, ``warm``, ``up_to_date``) and, under
        ``notebooks``, each run's per-notebook execution seconds.
    """
    cache = work / f"cache-{index}"
    out = work / f"reports-{index}"
    env = {"CONTACTS311_CACHE_DIR": str(cache)}
    report = [*_cli(), "report", str(data_dir), "--out", str(out)]
    floor = [sys.executable, str(Path(__file__).resolve()), "--run-floor", str(floor_dir)]
    figures: dict = {"notebooks": {}}
    figures["floor"], proc = _timed(floor)
    figures["notebooks"]["floor"] = json.loads(proc.stdout)
    for name, extra in (("cold", ["--force"]), ("warm", ["--force"]), ("up_to_date", [])):
        figures[name], proc = _timed([*report, *extra], env)
        figures["notebooks"][name] = notebook_seconds(proc.stderr)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    return figures


def machine() -> dict[str, str]:
    """What the figures were measured on, and how busy it was."""
    from importlib import metadata

    info = {
        **host(),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    for lib in ("pandas", "numpy", "matplotlib", "statsmodels", "papermill", "nbconvert"):
        try:
            info[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            info[lib] = "not installed"
    return info


def table(figures: dict[str, float], imports: dict) -> str:
    """The figures as a Markdown table (seconds and ratio to the floor)."""
    floor = figures["floor"]
    rows = [
        ("floor: same notebooks, imports only", floor, ""),
        ("report, cold read cache", figures["cold"], f"{figures['cold'] / floor:.2f}"),
        ("report, warm read cache", figures["warm"], f"{figures['warm'] / floor:.2f}"),
        ("report, up to date (nothing changed)", figures["up_to_date"], ""),
        ('python -c "import contacts311"', imports["import_seconds"], ""),
    ]
    lines = ["| run | seconds | ratio to floor |", "| --- | ---: | ---: |"]
    lines += [f"| {name} | {sec:.2f} | {ratio} |" for name, sec, ratio in rows]
    return "\n".join(lines)


def notebook_table(rounds: list[dict]) -> str:
    """Per-notebook execution seconds (medians over the rounds): floor, cold run, warm run."""
    runs = ("floor", "cold", "warm")
    names = sorted(rounds[0]["notebooks"]["floor"].keys() - {"total"})
    lines = ["| notebook | floor s | cold s | warm s |", "| --- | ---: | ---: | ---: |"]
    for name in names:
        cells = []
        for run in runs:
            values = [r["notebooks"][run][name] for r in rounds if name in r["notebooks"][run]]
            cells.append(f"{statistics.median(values):.1f}" if values else "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _verdict(figures: dict[str, float], imports: dict) -> list[str]:
    floor = figures["floor"]
    heavy = [m for m in imports["heavy_loaded"] if m in ("matplotlib", "statsmodels")]
    return [
        f"cold/floor {figures['cold'] / floor:.2f} (target <= {TARGET_RATIO}): "
        + ("met" if figures["cold"] / floor <= TARGET_RATIO else "missed"),
        f"warm/floor {figures['warm'] / floor:.2f} (target <= {TARGET_RATIO}): "
        + ("met" if figures["warm"] / floor <= TARGET_RATIO else "missed"),
        f"up to date {figures['up_to_date']:.2f} s (target < {TARGET_UP_TO_DATE_SECONDS} s): "
        + ("met" if figures["up_to_date"] < TARGET_UP_TO_DATE_SECONDS else "missed"),
        "import contacts311 + contacts311.cli loads: "
        + (", ".join(imports["heavy_loaded"]) or "none of " + ", ".join(HEAVY))
        + (" (target: no matplotlib/statsmodels): " + ("missed" if heavy else "met")),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--run-floor``, only the floor run of a folder)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of exports")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds (medians)")
    parser.add_argument("--quick", action="store_true", help="floor plumbing only (no reports)")
    parser.add_argument("--workdir", type=Path, help="folder for scratch files (default: temp)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--run-floor", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_floor:
        print(json.dumps(run_floor(args.run_floor)))
        return 0

    notebooks = list_notebooks()
    own_tmp = args.workdir is None
    work = Path(tempfile.mkdtemp(prefix="contacts311-bench-report-")) if own_tmp else args.workdir
    work.mkdir(parents=True, exist_ok=True)
    result: dict = {"notebooks": [nb.name for nb in notebooks]}
    try:
        if args.quick:
            modules = {nb.name: list(QUICK_MODULES) for nb in notebooks}
        else:
            print(f"probing the modules {len(notebooks)} notebooks load ...", file=sys.stderr)
            modules = probe_modules(notebooks, args.data.resolve(), work / "probe")
        result["floor_modules"] = {k: len(v) for k, v in modules.items()}
        floor_dir = write_floor_notebooks(notebooks, modules, work / "floor")[0].parent
        result["workers"] = runner_workers(len(notebooks))
        if args.quick:
            started = time.perf_counter()
            inner = run_floor(floor_dir)
            result["floor_seconds"] = inner
            print(
                f"floor: {len(notebooks)} notebooks, {result['workers']} workers, "
                f"{inner['total']:.2f} s ({time.perf_counter() - started:.2f} s with set-up)"
            )
            result["imports"] = import_check()
            print(
                "import contacts311 + contacts311.cli loads: "
                + (", ".join(result["imports"]["heavy_loaded"]) or "no heavy library")
            )
        else:
            rounds = []
            for i in range(max(1, args.repeat)):
                print(f"round {i + 1} ...", file=sys.stderr, flush=True)
                rounds.append(measure_round(args.data.resolve(), floor_dir, work, i))
                print(
                    "  "
                    + ", ".join(f"{k} {v:.1f}s" for k, v in rounds[-1].items() if k != "notebooks"),
                    file=sys.stderr,
                    flush=True,
                )
            figures = {
                k: statistics.median(r[k] for r in rounds) for k in rounds[0] if k != "notebooks"
            }
            imports = import_check()
            result.update(rounds=rounds, median=figures, imports=imports)
            print(table(figures, imports))
            print()
            print(notebook_table(rounds))
            print()
            for line in _verdict(figures, imports):
                print(line)
        result["machine"] = machine()
        print()
        print(f"Notebooks: {len(notebooks)}; workers: {result['workers']}")
        print("Machine: " + "; ".join(f"{k} {v}" for k, v in result["machine"].items()))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    finally:
        if own_tmp:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
