"""The report notebooks and their parameters: where they are, what each declares, ``-p`` values.

Only the standard library: the "up to date" path reads the parameters cells without importing
papermill, pandas or nbformat.
"""

from __future__ import annotations

import ast
import datetime as dt
import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contacts311.errors import InputError

__all__ = [
    "RUNNER_OPTIONAL_PARAMETERS",
    "RUNNER_PARAMETERS",
    "Parameter",
    "cell_source",
    "declared_parameters",
    "effective_parameters",
    "list_notebooks",
    "notebook_title",
    "notebooks_dir",
    "parse_overrides",
    "read_parameters",
]

#: Parameters the runner sets itself (absolute paths) and every notebook declares.
RUNNER_PARAMETERS = ("data_dir", "profile", "dataset_path")
#: Parameters the runner also sets, for the notebooks that declare them (the report history).
RUNNER_OPTIONAL_PARAMETERS = ("history_path",)
#: Neither kind may be overridden with ``-p``.
RUNNER_SET = RUNNER_PARAMETERS + RUNNER_OPTIONAL_PARAMETERS
_TYPES = ("str", "int", "float", "bool")
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
#: Where an installed package's notebooks are: the build copies ``notebooks/`` there.
_PACKAGED = Path(__file__).resolve().parents[1] / "notebooks"
#: Where a source checkout's notebooks are (``src/contacts311/report/`` -> the repository root).
_CHECKOUT = Path(__file__).resolve().parents[3] / "notebooks"


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


def notebooks_dir() -> Path:
    """The folder of report notebooks: the repository's ``notebooks/``.

    A wheel carries the same files as ``contacts311/notebooks/`` (copied there by the build,
    see ``setup.py``), so an installed package finds them too; a source checkout has no such
    folder and reads the repository's own.
    """
    return _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT


def list_notebooks(directory: str | Path | None = None) -> list[Path]:
    """The report notebooks in run order (sorted by file name)."""
    folder = Path(directory) if directory is not None else notebooks_dir()
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith((".", "_")))


def cell_source(cell: Mapping[str, Any]) -> str:
    """A cell's source as one string (nbformat allows one string or a list of lines)."""
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def notebook_title(nb_path: Path) -> str:
    """The notebook's first heading, for links and the page title (else its file name)."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in cell_source(cell).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return nb_path.stem


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
    source = cell_source(cells[0])
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
    settable = sorted(n for n in declared if n not in RUNNER_SET)
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InputError(None, f"parameter {pair!r} must be written name=value")
        if name in RUNNER_SET:
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


def effective_parameters(
    user: Mapping[str, Any], declared: Mapping[str, Parameter], today: dt.date
) -> dict[str, Any]:
    """The parameters in force for a run: the user's, plus ``as_of`` when notebooks declare it.

    Partial-period flags depend on the date, so "today" is part of what makes a run fresh: an
    ``as_of`` left empty becomes ``today``.

    Raises:
        InputError: A given ``as_of`` that is not a date.
    """
    if user.get("as_of"):
        try:
            dt.date.fromisoformat(str(user["as_of"]))
        except ValueError:
            raise InputError(
                None, f"parameter 'as_of' expects a date YYYY-MM-DD, got {user['as_of']!r}"
            ) from None
    effective = dict(user)
    if "as_of" in declared:
        as_of = user.get("as_of") or declared["as_of"].default
        effective["as_of"] = as_of or today.isoformat()
    return effective
