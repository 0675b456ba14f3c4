"""The test suite's own layout: what pytest needs to collect every module."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def test_test_modules_have_unique_basenames():
    # pytest imports test modules by basename (rootdir-relative, no packages): two files with
    # one name in tests/unit and tests/integration stop collection with "import file mismatch".
    tests = Path(__file__).resolve().parents[1]
    names = Counter(p.name for p in tests.rglob("test_*.py"))
    assert [name for name, n in names.items() if n > 1] == []
