"""The built wheel: it carries the report notebooks, profiles and templates, and an installed
copy finds its own notebooks (not a checkout's)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Build isolation installs setuptools and wheel from the registry, pinned by PIP_CONSTRAINT
    # when the Makefile runs the tests.
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("contacts311-*.whl")
    return built


def test_the_wheel_carries_the_notebooks_byte_for_byte(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
            assert zf.read(f"contacts311/notebooks/{nb.name}") == nb.read_bytes()
    assert "contacts311/profiles/pdx311.yml" in names
    assert any(n.startswith("contacts311/templates/") for n in names)
    assert not any(n.startswith(("tests/", "notebooks/", "data/")) for n in names)


def test_an_installed_wheel_finds_its_own_notebooks(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "-t", str(target), wheel],
        check=True,
        capture_output=True,
        timeout=300,
    )
    code = (
        "from contacts311.report.parameters import list_notebooks, notebooks_dir\n"
        "print(notebooks_dir())\n"
        "print(len(list_notebooks()))\n"
    )
    # Only the installed copy on the path: the checkout's sources must not be what answers.
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONNOUSERSITE": "1"}
    done = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r})\n" + code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    folder, count = done.stdout.split()
    assert Path(folder) == target / "contacts311" / "notebooks"
    assert int(count) == len(list((ROOT / "notebooks").glob("*.ipynb")))
