"""Handle time and callers' patience measured in the intervals table."""

import pandas as pd
import pytest
from staffing_helpers import intervals_frame as _intervals

from contacts311.staffing.durations import handle_time_seconds, patience_seconds


def test_handle_time_from_acd_and_acw():
    nan = float("nan")
    table = _intervals(
        [
            ("2024-01-01", 420, 30, "A", 4, 4, 0, 600, 120, nan),
            ("2024-01-01", 450, 30, "A", 2, 2, 0, 300, nan, nan),  # no ACW: counts as 0
            ("2024-01-01", 480, 30, "A", 100, 100, 0, nan, nan, nan),  # no ACD time: skipped
        ]
    )
    # (600 + 120 + 300) / (4 + 2) = 170 s.
    assert handle_time_seconds(table) == pytest.approx(170.0)
    assert handle_time_seconds(table.drop(columns=["acd_time_seconds"])) is None


def test_patience_from_abandoned_calls():
    table = pd.DataFrame(
        {
            "abandoned_calls": [3, 1, 50],
            "answer_wait_seconds": [200, 50, None],  # the last row has no wait times: skipped
            "abandon_wait_seconds": [90, 60, None],
        }
    )
    # Every second of waiting was exposed to hanging up: (200 + 50 + 90 + 60) / (3 + 1) = 100 s.
    assert patience_seconds(table) == pytest.approx(100.0)
    assert patience_seconds(table.drop(columns=["abandon_wait_seconds"])) is None
