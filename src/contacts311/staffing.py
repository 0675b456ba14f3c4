"""Staffing: from projected calls to the representatives needed, interval by interval.

The arithmetic is Erlang C (M/M/N queue: Poisson arrivals, exponential handle times, callers
who wait forever), computed with the Erlang B recursion so no factorial or power ever
overflows, whatever the traffic. The rest of the module turns a year of calls into a week
grid:

1. **Intraday profile** — the share of the year's calls in each weekday x interval cell, from
   the Avaya ``intervals`` table (calls offered, else ACD + abandoned calls). With daily data
   only, :func:`flat_profile` spreads each weekday's share evenly over the opening hours.
2. **Handle time** — (ACD time + after-call work) / ACD calls from the same table, else a
   parameter.
3. **Week grid** — each scenario's yearly calls (the projection's mean and upper bound) times
   each cell's share gives the cell's calls in the year (these sum back to the projected
   volume); divided by the number of open days of that weekday in the fiscal year, that is the
   calls in one interval of a typical day, which Erlang C turns into agents.
4. **FTE** — scheduled agent-hours in the typical week (after shrinkage) / 40 hours.
5. **Staffed vs needed** — where the export has staffed time, the past year's logged-in
   agents (staffed seconds / interval seconds) against the raw agents Erlang C needed for
   the calls actually offered, interval by interval.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from contacts311.calendar import federal_holidays, period_bounds, period_label
from contacts311.errors import InputError

if TYPE_CHECKING:
    from contacts311.pipeline import Dataset
    from contacts311.profile import ServiceRules

__all__ = [
    "DEFAULT_ASSUMPTIONS",
    "ErlangAResult",
    "WEEKDAY_NAMES",
    "StaffingAssumptions",
    "StaffingPlan",
    "StaffingResult",
    "erlang_a",
    "erlang_c",
    "erlang_c_probability",
    "flat_profile",
    "fte_summary",
    "grid_matrix",
    "handle_time_seconds",
    "intraday_profile",
    "open_days_by_weekday",
    "patience_seconds",
    "service_level_for",
    "staffed_vs_needed",
    "staffed_vs_needed_summary",
    "staffing_plan",
    "week_grid",
]

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: Columns of a profile table (``intraday_profile`` / ``flat_profile``).
PROFILE_COLUMNS = [
    "weekday",
    "weekday_name",
    "interval_start",
    "interval_minutes",
    "calls",
    "share",
]

# Service levels are compared with this slack so that a target met exactly (up to rounding in
# the last bit) counts as met.
_EPS = 1e-12


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


def _positive(name: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(None, f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise InputError(None, f"{name} must be greater than 0, got {value!r}")
    return number


def _validate(
    calls: float,
    interval_minutes: float,
    aht_seconds: float,
    target_seconds: float,
    service_level: float,
    shrinkage: float,
    max_occupancy: float,
    allow_zero_calls: bool = False,
) -> tuple[float, float, float, float, float, float, float]:
    if allow_zero_calls:
        calls = float(calls)
        if not math.isfinite(calls) or calls < 0:
            raise InputError(None, f"calls must be 0 or more, got {calls!r}")
    else:
        calls = _positive("calls", calls)
    interval_minutes = _positive("interval minutes", interval_minutes)
    aht_seconds = _positive("handle time (AHT) seconds", aht_seconds)
    target_seconds = _positive("target seconds", target_seconds)
    if target_seconds > interval_minutes * 60:
        raise InputError(
            None,
            f"target of {target_seconds:g} seconds is longer than the "
            f"{interval_minutes:g}-minute interval; expected a target within the interval",
        )
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
    return (
        calls,
        interval_minutes,
        aht_seconds,
        target_seconds,
        service_level,
        shrinkage,
        max_occupancy,
    )


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
    args = _validate(
        calls,
        interval_minutes,
        aht_seconds,
        target_seconds,
        service_level,
        shrinkage,
        max_occupancy,
    )
    return _solve(*args)


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
def _solve(
    calls: float,
    interval_minutes: float,
    aht_seconds: float,
    target_seconds: float,
    service_level: float,
    shrinkage: float,
    max_occupancy: float,
) -> StaffingResult:
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
        if sl + _EPS >= service_level:
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


# ---------------------------------------------------------------------------------------------
# Erlang A (callers who hang up)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErlangAResult:
    """Erlang A (M/M/N+M) staffing for one interval: callers abandon after an exponential patience.

    Attributes:
        calls: Calls arriving in the interval.
        patience_seconds: Mean time a caller waits before hanging up.
        agents: Raw agents N: the fewest reaching the service level within the occupancy cap.
        scheduled_agents: ceil(N / (1 - shrinkage)).
        service_level: Share of *all* calls answered within the target (abandoned calls count
            as missed).
        abandon_probability: Share of calls that hang up before an answer.
        occupancy: Answered load / N.
        waiting_probability: Probability that a call waits at all.
    """

    calls: float
    patience_seconds: float
    agents: int
    scheduled_agents: int
    service_level: float
    abandon_probability: float
    occupancy: float
    waiting_probability: float

    def to_dict(self) -> dict[str, Any]:
        """The result as plain Python values (for JSON)."""
        return asdict(self)


#: Callers queued beyond this many are left out of the Erlang A chain (a huge queue has no
#: bearing on a staffing answer: its service level is 0 either way).
_QUEUE_CAP = 200_000


def _erlang_a_metrics(
    lam: float, mu: float, theta: float, agents: int, target_seconds: float
) -> tuple[float, float, float, float]:
    """(service level, abandon probability, occupancy, waiting probability) for N agents.

    The number in system is a birth-death chain (births ``lam``; deaths ``min(n, N) mu +
    max(n - N, 0) theta``) whose stationary law is built in log space, so no power overflows.
    An arrival that finds ``k`` callers queued ahead is answered within the target when its
    ``k + 1`` queue moves (rates ``N mu + j theta``) end before its own patience does; that
    probability comes from uniformising the tagged caller's chain (stable, all terms >= 0).
    """
    states = np.arange(agents + _QUEUE_CAP + 1)
    deaths = np.minimum(states, agents) * mu + np.maximum(states - agents, 0) * theta
    log_pi = np.concatenate([[0.0], np.cumsum(np.log(lam) - np.log(deaths[1:]))])
    # Keep the states up to where the law has fallen e^-40 below its peak: the rest is noise.
    peak = int(np.argmax(log_pi))
    beyond = np.nonzero(log_pi[peak:] < log_pi[peak] - 40)[0]
    if len(beyond):
        log_pi = log_pi[: peak + int(beyond[0])]
    pi = np.exp(log_pi - log_pi[peak])
    pi /= pi.sum()
    queued = pi[agents:]  # arrivals that find k = 0, 1, ... callers queued ahead
    p_wait = float(queued.sum())
    ks = np.arange(len(queued))
    p_abandon = float(theta * (ks * queued).sum() / lam)
    # Tagged caller with j ahead: moves up at N mu + j theta, hangs up at theta.
    up = agents * mu + ks * theta
    rate = float(up[-1] + theta)
    p_up = up / rate
    p_stay = 1 - p_up - theta / rate
    mean_steps = rate * target_seconds
    steps = int(mean_steps + 12 * math.sqrt(mean_steps) + 20)
    served = np.zeros(len(ks))  # P(answered within m uniformised steps | j ahead)
    log_weight = -mean_steps  # Poisson(m; rate * T) in log space
    total = np.zeros(len(ks))
    for m in range(1, steps + 1):
        ahead = np.concatenate([[1.0], served[:-1]])
        served = p_up * ahead + p_stay * served
        log_weight += math.log(mean_steps) - math.log(m)
        total += math.exp(log_weight) * served
    sl = float(pi[:agents].sum() + (queued * total).sum())
    occupancy = lam * (1 - p_abandon) / (agents * mu)
    return sl, p_abandon, occupancy, p_wait


def erlang_a(
    calls: float,
    interval_minutes: float,
    aht_seconds: float,
    patience_seconds: float,
    target_seconds: float,
    service_level: float,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
) -> ErlangAResult:
    """Agents needed when callers hang up after a mean patience (Erlang A, M/M/N+M).

    Erlang C assumes nobody hangs up and so overstates the agents needed when callers do; with a
    very long patience Erlang A gives Erlang C's answer. The service level counts abandoned
    calls as missed (answered within the target / all calls).

    Args:
        calls: Calls arriving in the interval (> 0).
        interval_minutes: Interval length in minutes (> 0).
        aht_seconds: Average handle time in seconds (> 0).
        patience_seconds: Mean patience in seconds (> 0); see :func:`patience_seconds`.
        target_seconds: Answer-time target (> 0, not longer than the interval).
        service_level: Share to answer within the target, strictly between 0 and 1.
        shrinkage: Share of scheduled time not available for calls, 0 <= s < 1.
        max_occupancy: Occupancy cap, 0 < cap <= 1.

    Raises:
        InputError: A value out of range.
    """
    calls, minutes, aht, target, sl_target, shrink, cap = _validate(
        calls,
        interval_minutes,
        aht_seconds,
        target_seconds,
        service_level,
        shrinkage,
        max_occupancy,
    )
    patience = _positive("patience seconds", patience_seconds)
    lam, mu, theta = calls / (minutes * 60), 1 / aht, 1 / patience

    def meets(n: int) -> tuple[float, float, float, float] | None:
        metrics = _erlang_a_metrics(lam, mu, theta, n, target)
        return metrics if metrics[0] + _EPS >= sl_target and metrics[2] <= cap + 1e-12 else None

    # The service level and occupancy improve with every agent, so bisect between nothing and
    # Erlang C's answer (which callers hanging up almost always undercut; doubled if not).
    low, high = 0, _solve(calls, minutes, aht, target, sl_target, 0.0, cap).agents
    while meets(high) is None:
        low, high = high, 2 * high
        if high > 10 * (lam / mu) + 10_000:
            raise InputError(None, f"no number of agents reaches {sl_target:g} within {target:g} s")
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if meets(mid) is not None else (mid, high)
    n = high
    sl, p_ab, occ, p_wait = meets(n)
    return ErlangAResult(
        calls=calls,
        patience_seconds=patience,
        agents=n,
        scheduled_agents=math.ceil(n / (1 - shrink) - 1e-9),
        service_level=sl,
        abandon_probability=p_ab,
        occupancy=occ,
        waiting_probability=p_wait,
    )


def patience_seconds(intervals: pd.DataFrame) -> float | None:
    """Mean caller patience from abandoned calls: total time in queue / abandoned calls.

    The maximum-likelihood estimate for exponential patience, where answered callers'
    patience is censored at their wait: every second any caller spent waiting was exposed to
    hanging up. Needs ``answer_wait_seconds`` (Avaya ``anstime``) and
    ``abandon_wait_seconds`` (``abntime``); ``None`` without them or without abandoned calls.
    """
    needed = {"answer_wait_seconds", "abandon_wait_seconds", "abandoned_calls"}
    if not needed <= set(intervals.columns):
        return None
    ans = pd.to_numeric(intervals["answer_wait_seconds"], errors="coerce")
    abn = pd.to_numeric(intervals["abandon_wait_seconds"], errors="coerce")
    have = ans.notna() & abn.notna()
    abandoned = float(pd.to_numeric(intervals["abandoned_calls"], errors="coerce")[have].sum())
    exposure = float((ans + abn)[have].sum())
    if not abandoned > 0 or not exposure > 0:
        return None
    return exposure / abandoned


# ---------------------------------------------------------------------------------------------
# Profiles
# ---------------------------------------------------------------------------------------------


def _offered_calls(intervals: pd.DataFrame) -> pd.Series:
    """Calls offered per row; ACD + abandoned calls where the export has no offered count."""
    acd = (
        pd.to_numeric(intervals["acd_calls"], errors="coerce") if "acd_calls" in intervals else None
    )
    aban = (
        pd.to_numeric(intervals["abandoned_calls"], errors="coerce").fillna(0)
        if "abandoned_calls" in intervals
        else 0
    )
    fallback = acd + aban if acd is not None else pd.Series(float("nan"), index=intervals.index)
    if "calls_offered" in intervals:
        offered = pd.to_numeric(intervals["calls_offered"], errors="coerce")
        return offered.fillna(fallback).astype("float64")
    return pd.Series(fallback, index=intervals.index, dtype="float64")


def _interval_rows(intervals: pd.DataFrame, what: str = "intervals table") -> pd.DataFrame:
    """Intra-day rows with ``contact_date`` as datetime, ``calls`` and the common grid length."""
    needed = {"contact_date", "interval_start", "interval_minutes"}
    missing = sorted(needed - set(intervals.columns))
    if missing:
        raise InputError(None, f"{what} lacks column(s) {', '.join(missing)}")
    if "calls_offered" not in intervals and "acd_calls" not in intervals:
        raise InputError(None, f"{what} needs calls_offered or acd_calls")
    rows = intervals.assign(
        contact_date=pd.to_datetime(intervals["contact_date"]).dt.normalize(),
        interval_start=pd.to_numeric(intervals["interval_start"], errors="coerce"),
        interval_minutes=pd.to_numeric(intervals["interval_minutes"], errors="coerce"),
        calls=_offered_calls(intervals),
    )
    # Daily rows (1440 minutes) say nothing about the time of day.
    rows = rows[rows["interval_minutes"].between(1, 1439)]
    rows = rows.dropna(subset=["interval_start", "interval_minutes"])
    if rows.empty:
        return rows
    lengths = sorted({int(v) for v in rows["interval_minutes"]})
    grid = lengths[-1]
    # Mixed 15/30/60-minute exports are re-bucketed to the coarsest length, which works only
    # when every length divides it and it divides the day.
    if 1440 % grid or any(grid % length for length in lengths):
        raise InputError(
            None,
            f"{what} mixes interval lengths {lengths} minutes that do not nest; "
            "expected 15, 30 or 60 minutes",
        )
    rows["interval_start"] = (rows["interval_start"].astype("int64") // grid) * grid
    rows["interval_minutes"] = grid
    rows["weekday"] = rows["contact_date"].dt.day_of_week.astype("int64")
    return rows


def intraday_profile(intervals: pd.DataFrame) -> pd.DataFrame:
    """The share of calls in each weekday x interval cell, from interval rows.

    Calls are calls offered (the demand to staff for), else ACD plus abandoned calls. Rows of
    different lengths are re-bucketed to the coarsest (15 and 30 minutes into 60, say); daily
    rows are ignored.

    Args:
        intervals: The ``intervals`` table (``contact_date``, ``interval_start`` in minutes after
            midnight, ``interval_minutes``, ``calls_offered`` and/or ``acd_calls`` and
            ``abandoned_calls``).

    Returns:
        Columns ``weekday`` (0 = Monday), ``weekday_name``, ``interval_start``,
        ``interval_minutes``, ``calls`` (over the whole table) and ``share`` (sums to 1).

    Raises:
        InputError: No intra-day rows, no calls, or interval lengths that do not nest.
    """
    rows = _interval_rows(intervals)
    if rows.empty:
        raise InputError(None, "intervals table has no intra-day rows (15, 30 or 60 minutes)")
    cells = rows.groupby(["weekday", "interval_start"], as_index=False).agg(calls=("calls", "sum"))
    total = float(cells["calls"].sum())
    if not total > 0:
        raise InputError(None, "intervals table has no calls to build an intraday profile from")
    cells["interval_minutes"] = int(rows["interval_minutes"].iloc[0])
    cells["weekday_name"] = cells["weekday"].map(dict(enumerate(WEEKDAY_NAMES)))
    cells["share"] = cells["calls"] / total
    cells["interval_start"] = cells["interval_start"].astype("int64")
    return cells[PROFILE_COLUMNS].sort_values(["weekday", "interval_start"]).reset_index(drop=True)


def flat_profile(
    service: ServiceRules,
    weekday_weights: Mapping[int, float] | None = None,
    interval_minutes: int = 60,
    weekends_open: bool = True,
) -> pd.DataFrame:
    """The documented fallback when there is no interval data: flat over the opening hours.

    Each open weekday's share (from ``weekday_weights``, e.g. the year's phone calls by weekday
    from daily data, else equal) is spread evenly over the intervals from ``open_hour`` to
    ``close_hour``. Real calls peak mid-morning, so this understates peak staffing: say so
    wherever it is used.

    Args:
        service: The profile's opening hours.
        weekday_weights: Weekday (0 = Monday) -> relative volume; weekdays absent or 0 are closed.
        interval_minutes: Interval length (must divide 60 or be a multiple of 60 dividing the
            opening hours).
        weekends_open: Whether Saturday and Sunday are open (without weights).

    Returns:
        The same columns as :func:`intraday_profile` (``calls`` is the weight, not a count).
    """
    minutes = _positive("interval minutes", interval_minutes)
    open_min, close_min = service.open_hour * 60, service.close_hour * 60
    if (close_min - open_min) % minutes:
        raise InputError(
            None,
            f"opening hours {service.open_hour}-{service.close_hour} do not split into "
            f"{minutes:g}-minute intervals",
        )
    if weekday_weights is None:
        days = range(7) if weekends_open else range(5)
        weekday_weights = dict.fromkeys(days, 1.0)
    weights = {int(d): float(w) for d, w in weekday_weights.items() if w and w > 0}
    if not weights:
        raise InputError(None, "no open weekday with calls to build a profile from")
    total = sum(weights.values())
    starts = list(range(open_min, close_min, int(minutes)))
    rows = [
        {
            "weekday": d,
            "weekday_name": WEEKDAY_NAMES[d],
            "interval_start": s,
            "interval_minutes": int(minutes),
            "calls": weights[d] / len(starts),
            "share": weights[d] / total / len(starts),
        }
        for d in sorted(weights)
        for s in starts
    ]
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)


def handle_time_seconds(intervals: pd.DataFrame) -> float | None:
    """Average handle time from interval (or daily) rows: (ACD time + ACW time) / ACD calls.

    Only rows that report ACD time count (a missing after-call-work time counts as 0 on
    those rows). Returns ``None`` when no row has both ACD time and ACD calls.
    """
    if "acd_time_seconds" not in intervals or "acd_calls" not in intervals:
        return None
    acd_time = pd.to_numeric(intervals["acd_time_seconds"], errors="coerce")
    calls = pd.to_numeric(intervals["acd_calls"], errors="coerce")
    acw = (
        pd.to_numeric(intervals["acw_time_seconds"], errors="coerce").fillna(0)
        if "acw_time_seconds" in intervals
        else 0
    )
    have = acd_time.notna() & calls.notna()
    handled = float(calls[have].sum())
    if not handled > 0:
        return None
    work = float((acd_time + acw)[have].sum())
    return work / handled if work > 0 else None


def open_days_by_weekday(
    fiscal_year_end: int,
    start_month: int = 7,
    closed_on_federal_holidays: bool = True,
    closed_dates: Iterable[dt.date] = (),
) -> dict[int, int]:
    """Open days of each weekday in a fiscal year (federal holidays closed when asked).

    Args:
        fiscal_year_end: The year the fiscal year ends in (2026 for FY 2025-26).
        start_month: First month of the fiscal year.
        closed_on_federal_holidays: Drop U.S. federal holidays (observed dates).
        closed_dates: Further closed dates.

    Returns:
        Weekday (0 = Monday) -> number of open days of that weekday.
    """
    start, end = period_bounds(fiscal_year_end, "fiscal", start_month)
    closed = set(closed_dates)
    if closed_on_federal_holidays:
        closed |= federal_holidays(start, end)
    counts = dict.fromkeys(range(7), 0)
    day = start
    while day <= end:
        if day not in closed:
            counts[day.weekday()] += 1
        day += dt.timedelta(days=1)
    return counts


# ---------------------------------------------------------------------------------------------
# Week grid, FTE, staffed vs needed
# ---------------------------------------------------------------------------------------------


def _label(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def week_grid(
    profile: pd.DataFrame,
    volumes: Mapping[str, float],
    open_days: Mapping[int, int],
    aht_seconds: float,
    assumptions: StaffingAssumptions = DEFAULT_ASSUMPTIONS,
) -> pd.DataFrame:
    """Agents needed in every weekday x interval of a typical week, for each volume scenario.

    Args:
        profile: Shares by cell (:func:`intraday_profile` or :func:`flat_profile`).
        volumes: Scenario name -> calls in the year (e.g. ``{"mean": ..., "upper": ...}``).
        open_days: Weekday -> open days of that weekday in the year
            (:func:`open_days_by_weekday`).
        aht_seconds: Average handle time.
        assumptions: Service level, shrinkage, occupancy cap.

    Returns:
        One row per scenario and cell: ``scenario``, ``weekday``, ``weekday_name``,
        ``interval_start``, ``interval_label`` (``HH:MM``), ``interval_minutes``, ``share``,
        ``calls_in_year`` (sums to the scenario's volume), ``open_days``,
        ``calls_per_interval`` (one interval of a typical day), ``traffic_erlangs``, ``agents``,
        ``scheduled_agents``, ``service_level``, ``occupancy``, ``waiting_probability``.

    Raises:
        InputError: A negative volume, a cell with calls on a weekday with no open day, or
            invalid assumptions.
    """
    a = assumptions
    rows = []
    for scenario, volume in volumes.items():
        volume = float(volume)
        if not math.isfinite(volume) or volume < 0:
            raise InputError(
                None, f"projected volume for {scenario!r} must be 0 or more, got {volume!r}"
            )
        for cell in profile.itertuples(index=False):
            calls_year = volume * float(cell.share)
            days = int(open_days.get(int(cell.weekday), 0))
            if days <= 0:
                if calls_year > 0:
                    raise InputError(
                        None,
                        f"the profile has calls on {cell.weekday_name}s but the year has no open "
                        f"{cell.weekday_name}",
                    )
                per_interval = 0.0
            else:
                per_interval = calls_year / days
            minutes = float(cell.interval_minutes)
            args = _validate(
                per_interval, minutes, aht_seconds, a.target_seconds, a.service_level,
                a.shrinkage, a.max_occupancy, allow_zero_calls=True,
            )  # fmt: skip
            r = _solve(*args)
            rows.append(
                {
                    "scenario": scenario,
                    "weekday": int(cell.weekday),
                    "weekday_name": WEEKDAY_NAMES[int(cell.weekday)],
                    "interval_start": int(cell.interval_start),
                    "interval_label": _label(int(cell.interval_start)),
                    "interval_minutes": int(cell.interval_minutes),
                    "share": float(cell.share),
                    "calls_in_year": calls_year,
                    "open_days": days,
                    "calls_per_interval": per_interval,
                    "traffic_erlangs": r.traffic_erlangs,
                    "agents": r.agents,
                    "scheduled_agents": r.scheduled_agents,
                    "service_level": r.service_level,
                    "occupancy": r.occupancy,
                    "waiting_probability": r.waiting_probability,
                }
            )
    return pd.DataFrame(rows, columns=_GRID_COLUMNS)


_GRID_COLUMNS = [
    "scenario", "weekday", "weekday_name", "interval_start", "interval_label", "interval_minutes",
    "share", "calls_in_year", "open_days", "calls_per_interval", "traffic_erlangs", "agents",
    "scheduled_agents", "service_level", "occupancy", "waiting_probability",
]  # fmt: skip


def fte_summary(
    grid: pd.DataFrame, hours_per_fte: float = 40.0, head_count: float | None = None
) -> pd.DataFrame:
    """Agent-hours in the typical week and the FTE they imply, per scenario.

    FTE = scheduled agent-hours per week (after shrinkage) / ``hours_per_fte``.

    Args:
        grid: A :func:`week_grid` table.
        hours_per_fte: Paid hours per full-time equivalent per week.
        head_count: Current representatives (FTE), to show the gap; optional.

    Returns:
        Columns ``scenario``, ``calls_in_year``, ``agent_hours_per_week`` (raw),
        ``scheduled_agent_hours_per_week``, ``fte``, ``peak_scheduled_agents`` and, with a
        head count, ``head_count`` and ``fte_gap`` (needed - current; positive = short).
    """
    hours_per_fte = _positive("hours per FTE", hours_per_fte)
    hours = grid["interval_minutes"] / 60
    work = grid.assign(
        raw_hours=grid["agents"] * hours, sched_hours=grid["scheduled_agents"] * hours
    )
    out = work.groupby("scenario", sort=False).agg(
        calls_in_year=("calls_in_year", "sum"),
        agent_hours_per_week=("raw_hours", "sum"),
        scheduled_agent_hours_per_week=("sched_hours", "sum"),
        peak_scheduled_agents=("scheduled_agents", "max"),
    )
    out["fte"] = out["scheduled_agent_hours_per_week"] / hours_per_fte
    if head_count is not None:
        out["head_count"] = float(head_count)
        out["fte_gap"] = out["fte"] - out["head_count"]
    cols = [
        "calls_in_year",
        "agent_hours_per_week",
        "scheduled_agent_hours_per_week",
        "fte",
        "peak_scheduled_agents",
    ]
    cols += ["head_count", "fte_gap"] if head_count is not None else []
    return out[cols].reset_index()


def grid_matrix(
    grid: pd.DataFrame, scenario: str | None = "mean", value: str = "scheduled_agents"
) -> pd.DataFrame:
    """A heatmap-ready matrix: one row per interval (``HH:MM``), one column per weekday name.

    ``scenario`` ``None`` takes every row (for tables without scenarios, such as
    :func:`staffed_vs_needed`).
    """
    part = grid if scenario is None else grid[grid["scenario"] == scenario]
    wide = part.pivot_table(
        index="interval_label", columns="weekday", values=value, aggfunc="sum", fill_value=0
    )
    wide = wide.sort_index()
    wide.columns = [WEEKDAY_NAMES[int(d)] for d in wide.columns]
    wide.columns.name = None
    wide.index.name = "interval"
    return wide


def staffed_vs_needed(
    intervals: pd.DataFrame,
    aht_seconds: float,
    assumptions: StaffingAssumptions = DEFAULT_ASSUMPTIONS,
) -> pd.DataFrame:
    """Staffed agents against the agents needed, interval by interval, averaged by weekday.

    Each date x interval (all queues pooled) gives staffed agents = staffed seconds / interval
    seconds and the raw Erlang C agents needed for the calls offered then. Staffed time is
    logged-in time, which already excludes most shrinkage, so it is compared with raw agents.

    Args:
        intervals: The ``intervals`` table for the period to review (with ``staffed_seconds``).
        aht_seconds: Handle time for the needed agents.
        assumptions: Service level and occupancy cap.

    Returns:
        One row per weekday x interval: ``weekday``, ``weekday_name``, ``interval_start``,
        ``interval_label``, ``interval_minutes``, ``days``, ``calls_offered`` (mean per day),
        ``staffed_agents`` (mean), ``agents_needed`` (mean), ``difference`` (staffed - needed),
        ``understaffed_pct`` (share of days with fewer staffed than needed, %), ``status``
        (``under``, ``over`` or ``met`` on the means, within half an agent). Empty when no row
        has staffed time.
    """
    cols = [
        "weekday", "weekday_name", "interval_start", "interval_label", "interval_minutes", "days",
        "calls_offered", "staffed_agents", "agents_needed", "difference", "understaffed_pct", "status",
    ]  # fmt: skip
    if "staffed_seconds" not in intervals:
        return pd.DataFrame(columns=cols)
    rows = _interval_rows(intervals)
    rows = rows.assign(staffed_seconds=pd.to_numeric(rows["staffed_seconds"], errors="coerce"))
    rows = rows.dropna(subset=["staffed_seconds"])
    if rows.empty:
        return pd.DataFrame(columns=cols)
    keys = ["contact_date", "weekday", "interval_start", "interval_minutes"]
    per = rows.groupby(keys, as_index=False).agg(
        calls=("calls", "sum"), staffed_seconds=("staffed_seconds", "sum")
    )
    a = assumptions
    minutes = float(per["interval_minutes"].iloc[0])

    def needed(calls: float) -> int:
        args = _validate(
            calls, minutes, aht_seconds, a.target_seconds, a.service_level, 0.0, a.max_occupancy,
            allow_zero_calls=True,
        )  # fmt: skip
        return _solve(*args).agents

    per["staffed_agents"] = per["staffed_seconds"] / (per["interval_minutes"] * 60)
    per["agents_needed"] = per["calls"].fillna(0).map(needed)
    per["under"] = per["staffed_agents"] < per["agents_needed"]
    out = per.groupby(["weekday", "interval_start", "interval_minutes"], as_index=False).agg(
        days=("contact_date", "nunique"),
        calls_offered=("calls", "mean"),
        staffed_agents=("staffed_agents", "mean"),
        agents_needed=("agents_needed", "mean"),
        understaffed_pct=("under", "mean"),
    )
    out["understaffed_pct"] = out["understaffed_pct"] * 100
    out["difference"] = out["staffed_agents"] - out["agents_needed"]
    out["status"] = "met"
    out.loc[out["difference"] < -0.5, "status"] = "under"
    out.loc[out["difference"] > 0.5, "status"] = "over"
    out["weekday_name"] = out["weekday"].map(dict(enumerate(WEEKDAY_NAMES)))
    out["interval_label"] = out["interval_start"].astype("int64").map(_label)
    out["interval_start"] = out["interval_start"].astype("int64")
    out["interval_minutes"] = out["interval_minutes"].astype("int64")
    return out[cols].sort_values(["weekday", "interval_start"]).reset_index(drop=True)


def staffed_vs_needed_summary(comparison: pd.DataFrame) -> dict[str, Any]:
    """Under- and over-staffed hours of a typical week, from :func:`staffed_vs_needed`.

    Args:
        comparison: One row per weekday x interval with ``status`` and ``interval_minutes``.

    Returns:
        ``intervals`` (weekday x interval cells compared), ``under_intervals``,
        ``over_intervals``, ``met_intervals``, ``under_hours_per_week`` and
        ``over_hours_per_week`` (hours of the typical week whose mean staffing was more than
        half an agent short of, or above, the need), ``worst`` (the most short-staffed cell:
        ``weekday_name``, ``interval_label``, ``difference``; ``None`` when no cell is short)
        and ``sentence`` for reports.
    """
    if comparison.empty:
        return {
            "intervals": 0,
            "under_intervals": 0,
            "over_intervals": 0,
            "met_intervals": 0,
            "under_hours_per_week": 0.0,
            "over_hours_per_week": 0.0,
            "worst": None,
            "sentence": "No staffed time in the interval data, so staffing cannot be compared.",
        }
    hours = comparison["interval_minutes"].astype("float64") / 60
    under = comparison["status"] == "under"
    over = comparison["status"] == "over"
    worst = None
    if under.any():
        row = comparison.loc[comparison.loc[under, "difference"].idxmin()]
        worst = {
            "weekday_name": str(row["weekday_name"]),
            "interval_label": str(row["interval_label"]),
            "difference": float(row["difference"]),
        }
    under_hours, over_hours = float(hours[under].sum()), float(hours[over].sum())
    sentence = (
        f"Of {len(comparison)} weekday intervals, {int(under.sum())} were under-staffed on "
        f"average ({under_hours:g} hours a week) and {int(over.sum())} over-staffed "
        f"({over_hours:g} hours a week); the rest were within half an agent of the need."
    )
    if worst is not None:
        sentence += (
            f" The largest shortfall: {worst['weekday_name']} {worst['interval_label']}, "
            f"{-worst['difference']:.1f} agents short."
        )
    return {
        "intervals": len(comparison),
        "under_intervals": int(under.sum()),
        "over_intervals": int(over.sum()),
        "met_intervals": int(len(comparison) - under.sum() - over.sum()),
        "under_hours_per_week": under_hours,
        "over_hours_per_week": over_hours,
        "worst": worst,
        "sentence": sentence,
    }


# ---------------------------------------------------------------------------------------------
# From a dataset
# ---------------------------------------------------------------------------------------------


@dataclass
class StaffingPlan:
    """The week grid for the next fiscal year and everything needed to explain it.

    Attributes:
        fiscal_year: Label of the planned year (``FY 2025-26``).
        fiscal_year_end: Its ending year.
        volumes: Scenario -> projected calls in the year.
        grid: :func:`week_grid` output.
        fte: :func:`fte_summary` output.
        profile: The intraday profile used.
        profile_source: ``intervals`` or ``flat`` (fallback over the opening hours).
        profile_period: The dates the profile (and the staffed comparison) come from: the 12
            months up to the last interval row.
        aht_seconds: Handle time used.
        aht_source: ``data`` or ``parameter``.
        comparison: :func:`staffed_vs_needed` for the profile year (empty without staffed time).
        assumptions: The planning assumptions.
        notes: Sentences for reports (fallbacks, assumptions, sources).
        patience_seconds: Callers' mean patience estimated from abandoned calls (for Erlang A),
            when the interval data has queue times; the grid itself uses Erlang C.
    """

    fiscal_year: str
    fiscal_year_end: int
    volumes: dict[str, float]
    grid: pd.DataFrame
    fte: pd.DataFrame
    profile: pd.DataFrame
    profile_source: str
    profile_period: str | None
    aht_seconds: float
    aht_source: str
    comparison: pd.DataFrame
    assumptions: StaffingAssumptions
    notes: list[str] = field(default_factory=list)
    patience_seconds: float | None = None


def _project(dataset: Dataset, channels: tuple[str, ...]) -> tuple[int, dict[str, float], str]:
    """The first projected fiscal year's calls (mean and upper bound) from ``models``."""
    from contacts311 import models

    contacts = dataset.contacts
    if not contacts["channel"].astype("str").isin(channels).any():
        raise InputError(None, f"no {'/'.join(channels)} contacts to project staffing from")
    # A partial last month would drag the projection down.
    monthly = models.monthly_series(contacts, list(channels), complete_months=True)
    try:
        projection = models.project_next_period(
            monthly, start_month=dataset.profile.fiscal_year_start_month
        )
    except ValueError as exc:
        raise InputError(None, f"cannot project next year's calls: {exc}") from None
    volumes = {"mean": float(projection.mean), "upper": float(projection.upper)}
    return int(projection.period_key), volumes, projection.sentence()


def staffing_plan(
    dataset: Dataset,
    assumptions: StaffingAssumptions = DEFAULT_ASSUMPTIONS,
    *,
    volumes: Mapping[str, float] | None = None,
    fiscal_year_end: int | None = None,
    head_count: float | None = None,
    channels: tuple[str, ...] = ("phone",),
) -> StaffingPlan:
    """The week grid for the next fiscal year from a loaded dataset.

    The projection (``models.project_next_period`` on the monthly phone calls: mean and upper
    bound) is used unless ``volumes`` and ``fiscal_year_end`` are given. The profile and the
    handle time come from the last 12 months of the ``intervals`` table; without interval
    rows the flat fallback profile is used (weekday shares from daily phone counts) and said so
    in ``notes``.

    Args:
        dataset: From :func:`contacts311.pipeline.load`.
        assumptions: Service level, shrinkage, occupancy, FTE hours, fallback AHT.
        volumes: Scenario -> calls in the year, instead of the projection.
        fiscal_year_end: The planned fiscal year's ending year (with ``volumes``).
        head_count: Current representatives, for the FTE gap.
        channels: Channels whose contacts are staffed for (phone by default).

    Raises:
        InputError: No handle time in the data and none given, no phone data, bad assumptions.
    """
    prof = dataset.profile
    start_month = prof.fiscal_year_start_month
    notes: list[str] = []
    if volumes is None:
        fiscal_year_end, volumes, sentence = _project(dataset, channels)
        notes.append(
            f"Volumes: projected {'/'.join(channels)} contacts, the ETS projection's mean and "
            f"upper interval bound ({sentence.rstrip('.')})."
        )
    elif fiscal_year_end is None:
        raise InputError(None, "fiscal_year_end is required when volumes are given")
    volumes = {str(k): float(v) for k, v in volumes.items()}

    intervals = dataset.tables.get("intervals")
    rows = (
        _interval_rows(intervals)
        if intervals is not None and not intervals.empty
        else pd.DataFrame()
    )
    profile_period = None
    recent = intervals
    if not rows.empty:
        # The past year = the 12 months up to the last interval row, so a partial latest
        # fiscal year still gives a full seasonal mix.
        last = rows["contact_date"].max()
        first = last - pd.DateOffset(years=1) + pd.Timedelta(days=1)
        profile_period = f"{first.date().isoformat()} to {last.date().isoformat()}"
        dates = pd.to_datetime(intervals["contact_date"]).dt.normalize()
        recent = intervals[(dates >= first) & (dates <= last)]
        profile = intraday_profile(recent)
        profile_source = "intervals"
        minutes = int(profile["interval_minutes"].iloc[0])
        notes.append(
            f"Intraday profile: share of calls offered by weekday and {minutes}-minute interval, "
            f"{profile_period} (Avaya interval data)."
        )
    else:
        weights = _weekday_weights(dataset.contacts, channels)
        start = period_bounds(fiscal_year_end, "fiscal", start_month)[0]
        weekends = (
            bool(prof.service.weekends_from)
            and dt.date.fromisoformat(prof.service.weekends_from) <= start
        )
        if not weekends:
            weights = {d: w for d, w in weights.items() if d < 5}
        profile = flat_profile(prof.service, weights, assumptions.flat_interval_minutes, weekends)
        profile_source = "flat"
        notes.append(
            "No interval data: calls spread evenly over the opening hours "
            f"({prof.service.open_hour}:00-{prof.service.close_hour}:00), weekday shares from daily "
            "phone counts. Real calls peak mid-morning, so peak staffing is understated."
        )

    aht = handle_time_seconds(recent) if recent is not None and not recent.empty else None
    if aht is not None:
        aht_source = "data"
        notes.append(
            f"Handle time: {aht:.0f} s = (ACD time + after-call work) / ACD calls in the data."
        )
    elif assumptions.aht_seconds is not None:
        aht = _positive("handle time (AHT) seconds", assumptions.aht_seconds)
        aht_source = "parameter"
        notes.append(f"Handle time: {aht:.0f} s given as a parameter (the data has no ACD time).")
    else:
        raise InputError(
            None, "the data has no ACD time to derive handle time from; give --aht-seconds"
        )

    open_days = open_days_by_weekday(
        fiscal_year_end,
        start_month,
        closed_on_federal_holidays=prof.service.closed_on_federal_holidays,
    )
    grid = week_grid(profile, volumes, open_days, aht, assumptions)
    fte = fte_summary(grid, assumptions.hours_per_fte, head_count)
    comparison = (
        staffed_vs_needed(recent, aht, assumptions)
        if profile_source == "intervals"
        else pd.DataFrame()
    )
    if profile_source == "intervals" and comparison.empty:
        notes.append("The interval data has no staffed time: no staffed-vs-needed comparison.")
    patience = patience_seconds(recent) if recent is not None and not recent.empty else None
    if patience is not None:
        notes.append(
            f"Callers' mean patience: {patience:.0f} s (time in queue / abandoned calls); the grid "
            "uses Erlang C, which assumes nobody hangs up and so errs towards more agents."
        )
    notes.extend(assumptions.describe())
    return StaffingPlan(
        fiscal_year=period_label(fiscal_year_end, "fiscal", start_month),
        fiscal_year_end=int(fiscal_year_end),
        volumes=volumes,
        grid=grid,
        fte=fte,
        profile=profile,
        profile_source=profile_source,
        profile_period=profile_period,
        aht_seconds=float(aht),
        aht_source=aht_source,
        comparison=comparison,
        assumptions=assumptions,
        notes=notes,
        patience_seconds=patience,
    )


def _weekday_weights(contacts: pd.DataFrame, channels: tuple[str, ...]) -> dict[int, float]:
    # Only the last 12 months: older years may predate a change of opening days.
    part = contacts[contacts["channel"].isin(channels)]
    if part.empty:
        return dict.fromkeys(range(7), 1.0)
    dates = pd.to_datetime(part["contact_date"])
    recent = dates > dates.max() - pd.DateOffset(years=1)
    part, dates = part[recent], dates[recent]
    weekday = dates.dt.day_of_week
    sums = part.groupby(weekday)["count"].sum()
    return {int(d): float(v) for d, v in sums.items()}
