"""What every staffing step shares: weekday names, interval labels and the input checks."""

from __future__ import annotations

import math

from contacts311.errors import InputError

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Service levels are compared with this slack so that a target met exactly (up to rounding in
# the last bit) counts as met.
EPS = 1e-12


def interval_label(minutes: int) -> str:
    """``HH:MM`` for an interval starting ``minutes`` after midnight."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def positive(name: str, value: float) -> float:
    """``value`` as a float, refused unless it is a finite number greater than 0.

    Raises:
        InputError: Not a number, not finite, or not greater than 0 (``name`` says which).
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(None, f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise InputError(None, f"{name} must be greater than 0, got {value!r}")
    return number


def interval_inputs(
    calls: float,
    interval_minutes: float,
    aht_seconds: float,
    target_seconds: float,
    service_level: float,
    shrinkage: float,
    max_occupancy: float,
    allow_zero_calls: bool = False,
) -> tuple[float, float, float, float, float, float, float]:
    """The inputs of one interval's staffing, checked and as floats, in the order given.

    Raises:
        InputError: A value out of range, named, with what was expected.
    """
    if allow_zero_calls:
        calls = float(calls)
        if not math.isfinite(calls) or calls < 0:
            raise InputError(None, f"calls must be 0 or more, got {calls!r}")
    else:
        calls = positive("calls", calls)
    interval_minutes = positive("interval minutes", interval_minutes)
    aht_seconds = positive("handle time (AHT) seconds", aht_seconds)
    target_seconds = positive("target seconds", target_seconds)
    if target_seconds > interval_minutes * 60:
        raise InputError(
            None,
            f"target of {target_seconds:g} seconds is longer than the "
            f"{interval_minutes:g}-minute interval; expected a target within the interval",
        )
    return (
        calls,
        interval_minutes,
        aht_seconds,
        target_seconds,
        *_shares(service_level, shrinkage, max_occupancy),
    )


def _shares(
    service_level: float, shrinkage: float, max_occupancy: float
) -> tuple[float, float, float]:
    service_level = float(service_level)
    if not 0 < service_level < 1:
        raise InputError(
            None, f"service level must be a share between 0 and 1 (e.g. 0.8), got {service_level:g}"
        )
    shrinkage = float(shrinkage)
    if not 0 <= shrinkage < 1:
        raise InputError(
            None, f"shrinkage must be a share from 0 up to (not incl.) 1, got {shrinkage:g}"
        )
    max_occupancy = float(max_occupancy)
    if not 0 < max_occupancy <= 1:
        raise InputError(
            None, f"maximum occupancy must be a share in (0, 1], got {max_occupancy:g}"
        )
    return service_level, shrinkage, max_occupancy
