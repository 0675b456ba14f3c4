"""Erlang C: agents for one interval when callers wait as long as it takes (M/M/N queue).

Poisson arrivals, exponential handle times, callers who never hang up. Computed with the Erlang B
recursion, so no factorial or power ever overflows, whatever the traffic.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from contacts311.staffing._base import EPS, interval_inputs


@dataclass(frozen=True)
class StaffingResult:
    """Erlang C staffing for one interval.

    Attributes:
        calls: Calls arriving in the interval.
        interval_minutes: Length of the interval.
        aht_seconds: Average handle time (talk + hold + after-call work).
        target_seconds: Answer-time target of the service level.
        target_service_level: Share of calls to answer within ``target_seconds``.
        shrinkage: Share of paid time not available for calls (breaks, training, absence).
        max_occupancy: Cap on the share of time agents spend handling calls.
        traffic_erlangs: Offered load A = calls x AHT / interval length.
        agents: Raw agents N: the fewest that reach the service level and respect the cap.
        scheduled_agents: ceil(N / (1 - shrinkage)).
        service_level: Achieved share answered within the target with N agents.
        occupancy: A / N.
        waiting_probability: Erlang C: probability a call waits at all.
        average_speed_of_answer_seconds: Mean wait over all calls, C x AHT / (N - A).
    """

    calls: float
    interval_minutes: float
    aht_seconds: float
    target_seconds: float
    target_service_level: float
    shrinkage: float
    max_occupancy: float
    traffic_erlangs: float
    agents: int
    scheduled_agents: int
    service_level: float
    occupancy: float
    waiting_probability: float
    average_speed_of_answer_seconds: float

    def to_dict(self) -> dict[str, Any]:
        """The result as plain Python values (for JSON)."""
        return asdict(self)


def erlang_c_probability(traffic_erlangs: float, agents: int) -> float:
    """Erlang C: the probability that a call has to wait, for A erlangs and N agents.

    Computed from the Erlang B recursion B(0) = 1, B(n) = A B(n-1) / (n + A B(n-1)) and
    C = N B / (N - A (1 - B)), which stays in [0, 1] for any A (no factorials).

    Args:
        traffic_erlangs: Offered load A (calls x handle time / interval length).
        agents: Number of agents N.

    Returns:
        The probability of waiting; 1.0 when N <= A (the queue grows without bound).
    """
    if traffic_erlangs < 0 or agents < 0:
        raise ValueError("traffic and agents must not be negative")
    if traffic_erlangs == 0:
        return 0.0
    if agents <= traffic_erlangs:
        return 1.0
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic_erlangs * b / (n + traffic_erlangs * b)
    return agents * b / (agents - traffic_erlangs * (1 - b))


def _sl(c: float, agents: int, traffic: float, target_seconds: float, aht_seconds: float) -> float:
    """Service level: 1 - C exp(-(N - A) T / AHT)."""
    return 1.0 - c * math.exp(-(agents - traffic) * target_seconds / aht_seconds)


def service_level_for(
    agents: int, calls: float, interval_minutes: float, aht_seconds: float, target_seconds: float
) -> float:
    """Share of calls answered within ``target_seconds`` with ``agents`` agents (Erlang C).

    Returns 0.0 when the agents cannot keep up (N <= A) and 1.0 when there are no calls.
    """
    traffic = calls * aht_seconds / (interval_minutes * 60)
    if traffic == 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    c = erlang_c_probability(traffic, agents)
    return _sl(c, agents, traffic, target_seconds, aht_seconds)


def erlang_c(
    calls: float,
    interval_minutes: float,
    aht_seconds: float,
    target_seconds: float,
    service_level: float,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
) -> StaffingResult:
    """Agents needed in one interval to answer ``service_level`` of calls within the target.

    Raw agents N is the smallest N > A with service level >= target and A / N <= max occupancy;
    scheduled agents = ceil(N / (1 - shrinkage)).

    Args:
        calls: Calls arriving in the interval (> 0).
        interval_minutes: Interval length in minutes (> 0).
        aht_seconds: Average handle time in seconds (> 0).
        target_seconds: Answer-time target in seconds (> 0, not longer than the interval).
        service_level: Share to answer within the target, strictly between 0 and 1.
        shrinkage: Share of scheduled time not available for calls, 0 <= s < 1.
        max_occupancy: Occupancy cap, 0 < cap <= 1.

    Returns:
        The staffing for the interval.

    Raises:
        InputError: A value out of range (named, with what was expected).

    Examples:
        >>> r = erlang_c(100, 30, 180, 20, 0.8, shrinkage=0.3)
        >>> (r.agents, r.scheduled_agents)
        (14, 20)
    """
    args = interval_inputs(
        calls,
        interval_minutes,
        aht_seconds,
        target_seconds,
        service_level,
        shrinkage,
        max_occupancy,
    )
    return solve_interval(*args)


def _zero_result(
    interval_minutes: float,
    aht_seconds: float,
    target_seconds: float,
    service_level: float,
    shrinkage: float,
    max_occupancy: float,
) -> StaffingResult:
    return StaffingResult(
        0.0, interval_minutes, aht_seconds, target_seconds, service_level, shrinkage, max_occupancy,
        0.0, 0, 0, 1.0, 0.0, 0.0, 0.0,
    )  # fmt: skip


@lru_cache(maxsize=65_536)
def solve_interval(
    calls: float,
    interval_minutes: float,
    aht_seconds: float,
    target_seconds: float,
    service_level: float,
    shrinkage: float,
    max_occupancy: float,
) -> StaffingResult:
    """Erlang C for inputs already checked by ``interval_inputs`` (0 calls allowed), cached.

    The week grid asks the same question for many cells, so answers are kept.
    """
    if calls == 0:
        return _zero_result(
            interval_minutes, aht_seconds, target_seconds, service_level, shrinkage, max_occupancy
        )
    traffic = calls * aht_seconds / (interval_minutes * 60)
    # The occupancy cap alone already needs N >= A / cap; start the check there.
    floor_n = math.floor(traffic) + 1
    cap_n = math.ceil(traffic / max_occupancy - 1e-9)
    b = 1.0
    n = 0
    while True:
        n += 1
        b = traffic * b / (n + traffic * b)
        if n < floor_n or n < cap_n:
            continue
        c = n * b / (n - traffic * (1 - b))
        sl = _sl(c, n, traffic, target_seconds, aht_seconds)
        if sl + EPS >= service_level:
            break
    scheduled = math.ceil(n / (1 - shrinkage) - 1e-9)
    return StaffingResult(
        calls=calls,
        interval_minutes=interval_minutes,
        aht_seconds=aht_seconds,
        target_seconds=target_seconds,
        target_service_level=service_level,
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
        traffic_erlangs=traffic,
        agents=n,
        scheduled_agents=scheduled,
        service_level=sl,
        occupancy=traffic / n,
        waiting_probability=c,
        average_speed_of_answer_seconds=c * aht_seconds / (n - traffic),
    )
