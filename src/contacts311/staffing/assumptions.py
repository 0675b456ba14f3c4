"""The planning assumptions a week grid is computed with, and their defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StaffingAssumptions:
    """The planning assumptions a week grid is computed with (printed in every report).

    Attributes:
        target_seconds: Answer-time target (PDX 311 publishes 85% within 25 seconds).
        service_level: Share of calls to answer within the target.
        shrinkage: Share of paid hours not on the phones; 0.30 is a common planning figure,
            not a PDX 311 number.
        max_occupancy: Cap on agent occupancy (0.85 keeps time between calls).
        hours_per_fte: Paid hours of one full-time equivalent per week.
        aht_seconds: Handle time used when the data has none (ACD time is missing).
        flat_interval_minutes: Interval length of the flat fallback profile.
    """

    target_seconds: float = 25.0
    service_level: float = 0.85
    shrinkage: float = 0.30
    max_occupancy: float = 0.85
    hours_per_fte: float = 40.0
    aht_seconds: float | None = None
    flat_interval_minutes: int = 60

    def describe(self) -> list[str]:
        """The assumptions as sentences for reports."""
        return [
            f"Service level target: {self.service_level:.0%} of calls answered within "
            f"{self.target_seconds:g} seconds (Erlang C; callers assumed to wait).",
            f"Shrinkage {self.shrinkage:.0%}: scheduled agents = ceil(agents / (1 - shrinkage)).",
            f"Occupancy capped at {self.max_occupancy:.0%}.",
            f"FTE = scheduled agent-hours in a typical week / {self.hours_per_fte:g} hours.",
        ]


DEFAULT_ASSUMPTIONS = StaffingAssumptions()
