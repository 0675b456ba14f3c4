"""Small staffing fixtures shared by the test_staffing_*.py modules."""

import math
from fractions import Fraction

import pandas as pd

from contacts311.staffing import StaffingAssumptions

#: Assumptions small enough to work out by hand: 60% within 20 s, 25% shrinkage, no cap.
SMALL = StaffingAssumptions(target_seconds=20, service_level=0.6, shrinkage=0.25, max_occupancy=1.0)


def erlang_c_by_factorials(a: Fraction, n: int) -> Fraction:
    """The textbook formula, exactly: (A^N/N! * N/(N-A)) / (sum_{k<N} A^k/k! + that)."""
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def intervals_frame(rows):
    """An ``intervals`` table from ``(contact_date, interval_start, interval_minutes, queue,
    calls_offered, acd_calls, abandoned_calls, acd_time_seconds, acw_time_seconds,
    staffed_seconds)`` tuples."""
    cols = [
        "contact_date",
        "interval_start",
        "interval_minutes",
        "queue",
        "calls_offered",
        "acd_calls",
        "abandoned_calls",
        "acd_time_seconds",
        "acw_time_seconds",
        "staffed_seconds",
    ]
    frame = pd.DataFrame(rows, columns=cols)
    frame["contact_date"] = pd.to_datetime(frame["contact_date"])
    return frame
