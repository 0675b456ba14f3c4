"""Unit tests for contacts311.report.parameters (the notebooks and their parameters)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contacts311.errors import InputError
from contacts311.report import parameters


def _notebook(path: Path, params_source: str, tagged: bool = True) -> Path:
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "p",
        "metadata": {"tags": ["parameters"] if tagged else []},
        "outputs": [],
        "source": params_source,
    }
    nb = {
        "cells": [
            {"cell_type": "markdown", "id": "t", "metadata": {}, "source": "# My title\n\ntext"},
            cell,
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


# --- parameters -------------------------------------------------------------------------------


def test_read_parameters_types_defaults_and_help(tmp_path):
    nb = _notebook(
        tmp_path / "a.ipynb",
        'data_dir = "data/raw/sample"  # folder of exports\nthreshold = 3.5\nwindow = 4\nshow = True\n',
    )
    params = parameters.read_parameters(nb)
    assert list(params) == ["data_dir", "threshold", "window", "show"]
    assert params["data_dir"].type == "str"
    assert params["data_dir"].default == "data/raw/sample"
    assert params["data_dir"].help == "folder of exports"
    assert params["threshold"].type == "float"
    assert params["window"].type == "int"
    assert params["show"].type == "bool"
    assert params["window"].notebooks == ("a.ipynb",)


def test_read_parameters_needs_a_tagged_cell(tmp_path):
    nb = _notebook(tmp_path / "a.ipynb", "x = 1\n", tagged=False)
    with pytest.raises(InputError, match="no cell tagged 'parameters'"):
        parameters.read_parameters(nb)


def test_read_parameters_rejects_non_literal_and_other_types(tmp_path):
    with pytest.raises(InputError, match="literal"):
        parameters.read_parameters(_notebook(tmp_path / "a.ipynb", "x = len('ab')\n"))
    with pytest.raises(InputError, match="str, int, float or bool"):
        parameters.read_parameters(_notebook(tmp_path / "b.ipynb", "x = [1, 2]\n"))


def test_declared_parameters_merges_and_flags_type_conflicts(tmp_path):
    a = _notebook(tmp_path / "a.ipynb", "window = 4\nas_of = ''\n")
    b = _notebook(tmp_path / "b.ipynb", "as_of = ''\nlevel = 0.95\n")
    merged = parameters.declared_parameters([a, b])
    assert set(merged) == {"window", "as_of", "level"}
    assert merged["as_of"].notebooks == ("a.ipynb", "b.ipynb")
    c = _notebook(tmp_path / "c.ipynb", "window = 'four'\n")
    with pytest.raises(InputError, match="'window' is str here but int"):
        parameters.declared_parameters([a, c])


@pytest.fixture
def declared():
    P = parameters.Parameter
    return {
        "data_dir": P("data_dir", "str", "data/raw/sample"),
        "as_of": P("as_of", "str", ""),
        "window": P("window", "int", 4),
        "level": P("level", "float", 0.95),
        "show": P("show", "bool", True),
    }


def test_parse_overrides_converts_to_the_declared_type(declared):
    got = parameters.parse_overrides(
        ["window=6", "level=0.8", "show=no", "as_of=2025-06-30", "as_of=2025-06-29"], declared
    )
    # The last of repeated options wins; "no" is false; "6" becomes the int 6.
    assert got == {"window": 6, "level": 0.8, "show": False, "as_of": "2025-06-29"}
    assert isinstance(got["window"], int)


def test_parse_overrides_value_may_contain_equals(declared):
    assert parameters.parse_overrides(["as_of=a=b"], declared) == {"as_of": "a=b"}


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("windw=5", "unknown parameter 'windw'; did you mean 'window'"),
        ("zzz=5", "unknown parameter 'zzz'"),
        ("window=five", "'window' expects int, got 'five'"),
        ("level=high", "'level' expects float"),
        ("show=maybe", "'show' expects bool"),
        ("window", "must be written name=value"),
        ("=3", "must be written name=value"),
        ("data_dir=/tmp", "set by the runner"),
    ],
)
def test_parse_overrides_errors(declared, pair, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        parameters.parse_overrides([pair], declared)


# --- up-to-date key ---------------------------------------------------------------------------


# --- the packaged notebooks -------------------------------------------------------------------


def test_packaged_notebooks_have_parameters_and_no_outputs():
    notebooks = parameters.list_notebooks()
    assert [p.name for p in notebooks] == [
        "01_contacts_handled.ipynb",
        "02_population.ipynb",
        "03_plan.ipynb",
        "04_data_quality.ipynb",
        "05_staffing.ipynb",
    ]
    for path in notebooks:
        params = parameters.read_parameters(path)
        assert params["data_dir"].default == "data/raw/sample"
        assert set(parameters.RUNNER_PARAMETERS) <= set(params)
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name
