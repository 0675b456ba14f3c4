"""The sample's service calendar: weekend service from July 2023, federal holidays closed."""

from __future__ import annotations

import datetime as dt

from contacts311.sample.dates import open_days

D = dt.date


def test_weekend_service_starts_saturday_1_july_2023_and_july_4_is_closed():
    # Fri 30 Jun open; Sat 1 and Sun 2 Jul open (daily from then); Mon 3 open;
    # Tue 4 Jul Independence Day closed; Wed 5 open.
    assert open_days(D(2023, 6, 30), D(2023, 7, 5)) == [
        D(2023, 6, 30),
        D(2023, 7, 1),
        D(2023, 7, 2),
        D(2023, 7, 3),
        D(2023, 7, 5),
    ]


def test_weekdays_only_before_july_2023_and_observed_holiday_closed():
    # Christmas 2022 was a Sunday, observed Monday 26 Dec; the weekend was closed anyway.
    assert open_days(D(2022, 12, 23), D(2022, 12, 27)) == [D(2022, 12, 23), D(2022, 12, 27)]
