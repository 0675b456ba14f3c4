"""Deterministic synthetic sample data: raw exports that look like PDX 311's, plus ground truth.

The sample spans 1 July 2020 to ``end_date`` and follows ``docs/formats.md`` exactly: Avaya CMS
Supervisor reports (FY 2020-21 to FY 2022-23, :mod:`~contacts311.sample.cms_reports`) and
``hsplit`` interval dumps (from July 2023, :mod:`~contacts311.sample.hsplit`) for phone; Zendesk
Support CSV exports (to September 2023, :mod:`~contacts311.sample.zendesk_csv`) and incremental
NDJSON exports (from August 2023, overlapping the CSV by two months,
:mod:`~contacts311.sample.zendesk_incremental`) for email, webform and in-person tickets; and the
reference tables (plan forecast, events, population; :mod:`~contacts311.sample.reference`).
Every name, e-mail address and phone number is fake (``example.org``, ``(503) 555-01xx``).

Counted totals are calibrated to the published PDX 311 figures (FY 2023-24 = 181,798,
FY 2024-25 = 226,774 and the monthly figures of the City's bulletins;
:mod:`~contacts311.sample.volumes`, where webform's share of the contacts grows each fiscal
year while phone's and e-mail's fall) and written to ``_truth/ground_truth.csv``, with
the expected ledger per file and the contacts the manual tracking "missed"
(:mod:`~contacts311.sample.truth`).
The same seed and end date always give byte-identical files (:func:`write_sample`).
"""

from __future__ import annotations

from contacts311.sample.dates import START_DATE, open_days
from contacts311.sample.generate import SampleSummary, write_sample
from contacts311.sample.people import FIRST_NAMES, LAST_NAMES, fake_pii_markers
from contacts311.sample.phone import SKILLS
from contacts311.sample.volumes import allocate_largest_remainder, daily_targets, monthly_targets

__all__ = [
    "FIRST_NAMES",
    "LAST_NAMES",
    "SKILLS",
    "START_DATE",
    "SampleSummary",
    "allocate_largest_remainder",
    "daily_targets",
    "fake_pii_markers",
    "monthly_targets",
    "open_days",
    "write_sample",
]
