"""Build hook: the wheel carries the repository's ``notebooks/`` as ``contacts311/notebooks/``.

The report notebooks live once, in the top-level ``notebooks/`` that JupyterLab opens; an
installed package finds its copy beside its modules (``contacts311.report.notebooks_dir``).
Everything else about the build is in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


class BuildWithNotebooks(build_py):
    """``build_py`` that also copies ``notebooks/*.ipynb`` into the built package."""

    def run(self) -> None:  # noqa: D102
        super().run()
        notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
        if not notebooks:
            raise SystemExit(f"no report notebooks in {NOTEBOOKS}: the wheel would have none")
        target = Path(self.build_lib) / "contacts311" / "notebooks"
        self.mkpath(str(target))
        for nb in notebooks:
            self.copy_file(str(nb), str(target / nb.name))


setup(cmdclass={"build_py": BuildWithNotebooks})
