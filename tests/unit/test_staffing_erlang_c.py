"""Erlang C for one interval: the formulas worked by hand, edges and input checks."""

import math
from fractions import Fraction

import pytest
from staffing_helpers import erlang_c_by_factorials as _erlang_c_by_factorials

from contacts311.errors import InputError
from contacts311.staffing.erlang_c import erlang_c, erlang_c_probability, service_level_for


def test_textbook_case_14_agents_20_scheduled():
    # 100 calls in 30 minutes at 180 s: A = 100 * 180 / 1800 = 10 erlangs.
    r = erlang_c(100, 30, 180, 20, 0.8, shrinkage=0.3)
    assert r.traffic_erlangs == pytest.approx(10.0)
    assert r.agents == 14
    # ceil(14 / 0.7) = 20 (14 / 0.7 is 20.000000000000004 in floating point).
    assert r.scheduled_agents == 20
    assert r.occupancy == pytest.approx(10 / 14)
    # 13 agents miss 80% in 20 s, 14 reach it.
    assert service_level_for(13, 100, 30, 180, 20) < 0.8 <= service_level_for(14, 100, 30, 180, 20)
    c = float(_erlang_c_by_factorials(Fraction(10), 14))
    assert r.waiting_probability == pytest.approx(c)
    assert r.service_level == pytest.approx(1 - c * math.exp(-(14 - 10) * 20 / 180))


def test_erlang_c_a2_n3_is_four_ninths():
    # B(1) = 2/3, B(2) = 2/5, B(3) = 4/19; C = 3 B / (3 - 2 (1 - B)) = (12/19) / (27/19) = 4/9.
    assert erlang_c_probability(2, 3) == pytest.approx(4 / 9, rel=1e-12)
    # Same from the factorial formula: (8/6 * 3) / (1 + 2 + 2 + 4) = 4 / 9.
    assert _erlang_c_by_factorials(Fraction(2), 3) == Fraction(4, 9)


def test_service_level_formula_small_case():
    # 20 calls in 30 min at 180 s -> A = 2; with N = 3, SL = 1 - 4/9 exp(-(3 - 2) * 20 / 180).
    expected = 1 - 4 / 9 * math.exp(-20 / 180)
    assert expected == pytest.approx(0.60229, abs=1e-5)
    assert service_level_for(3, 20, 30, 180, 20) == pytest.approx(expected)
    r = erlang_c(20, 30, 180, 20, 0.6)
    assert r.agents == 3
    assert r.waiting_probability == pytest.approx(4 / 9)
    # ASA = C * AHT / (N - A) = 4/9 * 180 / 1 = 80 s.
    assert r.average_speed_of_answer_seconds == pytest.approx(80.0)


def test_higher_target_needs_a_fourth_agent():
    # A = 2, N = 4: B(4) = 2 * (4/19) / (4 + 8/19) = 2/21; C = (8/21) / (4 - 38/21) = 4/23.
    assert erlang_c_probability(2, 4) == pytest.approx(4 / 23)
    sl4 = 1 - 4 / 23 * math.exp(-2 * 20 / 180)  # about 0.861
    r = erlang_c(20, 30, 180, 20, 0.7)
    assert r.agents == 4
    assert r.service_level == pytest.approx(sl4)


def test_occupancy_cap_and_shrinkage():
    # A = 10 with a 70% cap needs N >= 10 / 0.7 = 14.3, so 15, though 14 meet the service level.
    r = erlang_c(100, 30, 180, 20, 0.8, shrinkage=0.25, max_occupancy=0.7)
    assert r.agents == 15
    assert r.occupancy == pytest.approx(10 / 15)
    assert r.scheduled_agents == 20  # ceil(15 / 0.75) = 20
    assert erlang_c(100, 30, 180, 20, 0.8, shrinkage=0.25).scheduled_agents == 19  # ceil(18.67)


def test_no_overflow_for_huge_traffic():
    # 200,000 calls an hour at 300 s: A = 16,666.7 erlangs; A^N / N! would overflow a float.
    r = erlang_c(200_000, 60, 300, 20, 0.8)
    assert r.agents > r.traffic_erlangs
    assert math.isfinite(r.service_level) and r.service_level >= 0.8
    assert service_level_for(r.agents - 1, 200_000, 60, 300, 20) < 0.8
    assert 0 < r.waiting_probability < 1
    # The square-root staffing rule puts N within a few sqrt(A) of A.
    assert r.agents - r.traffic_erlangs < 3 * math.sqrt(r.traffic_erlangs)


def test_probability_edges():
    assert erlang_c_probability(0, 3) == 0.0
    assert erlang_c_probability(3, 3) == 1.0  # N <= A: every call waits
    assert service_level_for(2, 20, 30, 180, 20) == 0.0  # N = A cannot keep up


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"calls": 0}, "calls must be greater than 0"),
        ({"calls": -5}, "calls must be greater than 0"),
        ({"interval_minutes": 0}, "interval minutes"),
        ({"aht_seconds": -1}, "handle time"),
        ({"target_seconds": 0}, "target seconds"),
        ({"target_seconds": 1801}, "longer than the 30-minute interval"),
        ({"service_level": 1.0}, "between 0 and 1"),
        ({"service_level": 0}, "between 0 and 1"),
        ({"service_level": 85}, "between 0 and 1"),
        ({"shrinkage": 1.0}, "shrinkage"),
        ({"shrinkage": -0.1}, "shrinkage"),
        ({"max_occupancy": 0}, "occupancy"),
        ({"max_occupancy": 1.2}, "occupancy"),
        ({"calls": float("nan")}, "calls must be greater than 0"),
    ],
)
def test_invalid_inputs_are_input_errors(kwargs, fragment):
    args = {
        "calls": 100,
        "interval_minutes": 30,
        "aht_seconds": 180,
        "target_seconds": 20,
        "service_level": 0.8,
    }
    args.update(kwargs)
    with pytest.raises(InputError, match=fragment):
        erlang_c(**args)
