"""Erlang A: agents for one interval when callers hang up after an exponential patience (M/M/N+M).

Erlang C assumes nobody hangs up and so overstates the agents needed when callers do; with a very
long patience Erlang A gives Erlang C's answer.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from contacts311.errors import InputError
from contacts311.staffing._base import EPS, interval_inputs, positive
from contacts311.staffing.erlang_c import solve_interval


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
    pi = _stationary_law(lam, mu, theta, agents)
    queued = pi[agents:]  # arrivals that find k = 0, 1, ... callers queued ahead
    p_wait = float(queued.sum())
    ks = np.arange(len(queued))
    p_abandon = float(theta * (ks * queued).sum() / lam)
    total = _answered_within(ks, agents * mu, theta, target_seconds)
    sl = float(pi[:agents].sum() + (queued * total).sum())
    occupancy = lam * (1 - p_abandon) / (agents * mu)
    return sl, p_abandon, occupancy, p_wait


def _stationary_law(lam: float, mu: float, theta: float, agents: int) -> np.ndarray:
    """P(n callers in system), n = 0, 1, ..., cut where it has fallen e^-40 below its peak."""
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
    return pi


def _answered_within(
    ks: np.ndarray, service_rate: float, theta: float, target_seconds: float
) -> np.ndarray:
    """P(answered within the target | j callers ahead), for each j in ``ks``.

    The tagged caller with j ahead moves up at ``service_rate + j theta`` (``service_rate`` =
    N mu) and hangs up at ``theta``; the chain is uniformised and summed over Poisson steps.
    """
    up = service_rate + ks * theta
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
    return total


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
    calls, minutes, aht, target, sl_target, shrink, cap = interval_inputs(
        calls,
        interval_minutes,
        aht_seconds,
        target_seconds,
        service_level,
        shrinkage,
        max_occupancy,
    )
    patience = positive("patience seconds", patience_seconds)
    lam, mu, theta = calls / (minutes * 60), 1 / aht, 1 / patience

    def meets(n: int) -> tuple[float, float, float, float] | None:
        metrics = _erlang_a_metrics(lam, mu, theta, n, target)
        return metrics if metrics[0] + EPS >= sl_target and metrics[2] <= cap + 1e-12 else None

    # The service level and occupancy improve with every agent, so bisect between nothing and
    # Erlang C's answer (which callers hanging up almost always undercut; doubled if not).
    low, high = 0, solve_interval(calls, minutes, aht, target, sl_target, 0.0, cap).agents
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
