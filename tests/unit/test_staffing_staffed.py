"""Staffed against needed agents, interval by interval."""

import pytest
from staffing_helpers import SMALL as _SMALL
from staffing_helpers import intervals_frame as _intervals

from contacts311.staffing.staffed import staffed_vs_needed


def test_staffed_vs_needed():
    nan = float("nan")
    table = _intervals(
        [
            # Monday 07:00 twice: 20 calls each (A = 2 at 180 s -> 3 needed at 60% in 20 s).
            ("2024-01-01", 420, 30, "A", 10, 10, 0, nan, nan, 1800),  # queues pooled:
            ("2024-01-01", 420, 30, "B", 10, 10, 0, nan, nan, 1800),  # 2 agents staffed
            ("2024-01-08", 420, 30, "A", 20, 20, 0, nan, nan, 7200),  # 4 agents staffed
            # Monday 07:30: no calls, one agent logged in -> over.
            ("2024-01-01", 450, 30, "A", 0, 0, 0, nan, nan, 1800),
            # Tuesday 07:00: 20 calls, one agent -> under by 2.
            ("2024-01-02", 420, 30, "A", 20, 20, 0, nan, nan, 1800),
        ]
    )
    out = staffed_vs_needed(table, 180, _SMALL)
    assert list(zip(out["weekday_name"], out["interval_label"], strict=True)) == [
        ("Monday", "07:00"),
        ("Monday", "07:30"),
        ("Tuesday", "07:00"),
    ]
    assert list(out["days"]) == [2, 1, 1]
    assert list(out["calls_offered"]) == pytest.approx([20, 0, 20])
    assert list(out["staffed_agents"]) == pytest.approx([3, 1, 1])  # (2 + 4) / 2 on Mondays
    assert list(out["agents_needed"]) == pytest.approx([3, 0, 3])
    assert list(out["difference"]) == pytest.approx([0, 1, -2])
    assert list(out["understaffed_pct"]) == pytest.approx([50, 0, 100])
    assert list(out["status"]) == ["met", "over", "under"]
    assert staffed_vs_needed(table.drop(columns=["staffed_seconds"]), 180, _SMALL).empty
