"""Erlang A for one interval: callers who hang up."""

import math

import pytest

from contacts311.errors import InputError
from contacts311.staffing.erlang_a import erlang_a
from contacts311.staffing.erlang_c import erlang_c


def test_erlang_a_single_agent_hand_worked():
    # 30 calls in 30 min = 1/60 per s; AHT 60 s; patience 60 s: lambda = mu = theta. With one
    # agent the death rate in state n is n mu, so the number in system is Poisson(1).
    # P(wait) = P(n >= 1) = 1 - 1/e; P(abandon) = theta E[queue] / lambda = E[(n - 1)+] = 1/e.
    # A caller with k ahead is answered within T when k + 1 moves (rates 2mu, ..., (k+2)mu, each
    # an answer-or-hang-up race won with probability (j+1)/(j+2)) end by T: probability
    # 1/(k+2) x P(2nd largest of k+2 iid Exp(mu) <= T) = 1/(k+2) (p^(k+2) + (k+2) p^(k+1) (1-p)),
    # p = 1 - exp(-mu T). With T = 60 s, mu T = 1.
    p = 1 - math.exp(-1)
    series = sum(
        (p ** (k + 2) / (k + 2) + p ** (k + 1) * (1 - p)) / math.factorial(k + 1) for k in range(60)
    )
    expected_sl = math.exp(-1) * (1 + series)
    r = erlang_a(30, 30, 60, 60, 60, 0.5)
    assert r.agents == 1
    assert r.waiting_probability == pytest.approx(1 - math.exp(-1), rel=1e-9)
    assert r.abandon_probability == pytest.approx(math.exp(-1), rel=1e-9)
    assert r.service_level == pytest.approx(expected_sl, rel=1e-9)
    # Occupancy = answered load / N = (1 - 1/e) x 1 erlang.
    assert r.occupancy == pytest.approx(1 - math.exp(-1), rel=1e-9)
    # Over the whole interval nearly every caller who does not hang up is answered.
    assert erlang_a(30, 30, 60, 60, 1800, 0.5).service_level == pytest.approx(1 - math.exp(-1))


def test_erlang_a_with_endless_patience_is_erlang_c():
    r = erlang_a(100, 30, 180, 1e9, 20, 0.8, shrinkage=0.3)
    assert (r.agents, r.scheduled_agents) == (14, 20)
    c = erlang_c(100, 30, 180, 20, 0.8)
    assert r.service_level == pytest.approx(c.service_level, abs=1e-6)
    assert r.waiting_probability == pytest.approx(c.waiting_probability, abs=1e-6)
    assert r.abandon_probability < 1e-6


def test_erlang_a_callers_hanging_up_need_fewer_agents():
    r = erlang_a(100, 30, 180, 120, 20, 0.8)
    assert r.agents < 14
    assert r.service_level >= 0.8
    assert 0 < r.abandon_probability < 0.2
    with pytest.raises(InputError, match="patience"):
        erlang_a(100, 30, 180, 0, 20, 0.8)
