"""``contacts311 formats``: the export layouts the package recognises."""

from __future__ import annotations

import argparse

HELP = "list the export formats the package recognises"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No arguments."""


def run(args: argparse.Namespace) -> int:
    """Print one line per format."""
    from contacts311 import sources

    for name in sources.FORMATS:
        module = sources.get(name)
        print(f"{name:16} {module.KIND:11} {module.DESCRIPTION}")
    return 0
