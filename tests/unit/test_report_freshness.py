"""Unit tests for contacts311.report.freshness (the run key)."""

from __future__ import annotations

import pytest

from contacts311.errors import InputError
from contacts311.report import freshness


def test_run_key_ignores_order_and_tracks_every_part():
    base = freshness.run_key(
        [("a.csv", "1"), ("b.csv", "2")], "default", {"x": 1, "y": "z"}, "code"
    )
    assert base == freshness.run_key(
        [("b.csv", "2"), ("a.csv", "1")], "default", {"y": "z", "x": 1}, "code"
    )
    changed = [
        freshness.run_key([("a.csv", "1"), ("b.csv", "3")], "default", {"x": 1, "y": "z"}, "code"),
        freshness.run_key([("a.csv", "1")], "default", {"x": 1, "y": "z"}, "code"),
        freshness.run_key([("a.csv", "1"), ("b.csv", "2")], "abc", {"x": 1, "y": "z"}, "code"),
        freshness.run_key([("a.csv", "1"), ("b.csv", "2")], "default", {"x": 2, "y": "z"}, "code"),
        freshness.run_key([("a.csv", "1"), ("b.csv", "2")], "default", {"x": 1, "y": "z"}, "code2"),
        freshness.run_key(
            [("a.csv", "1"), ("b.csv", "2")], "default", {"x": 1, "y": "z"}, "code", {"pandas": "3"}
        ),
    ]
    assert all(k != base for k in changed)
    assert len(set(changed)) == len(changed)


def test_input_files_lists_what_the_loader_may_read(tmp_path):
    (tmp_path / "phone").mkdir()
    (tmp_path / "phone" / "a.csv").write_text("x")
    (tmp_path / "b.json").write_text("{}")
    (tmp_path / ".hidden").write_text("x")
    (tmp_path / "_truth").mkdir()
    (tmp_path / "_truth" / "t.csv").write_text("x")
    names = [name for name, _ in freshness.input_files(tmp_path, None)]
    assert names == ["b.json", "phone/a.csv"]


def test_input_files_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        freshness.input_files(tmp_path / "missing", None)
