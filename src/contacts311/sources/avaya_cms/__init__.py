"""Avaya CMS split/skill data (phone): CMS Supervisor report exports and ``hsplit`` dumps.

Two layouts are recognised by their header (see ``docs/formats.md``, section ``avaya_cms``):

* a CMS Supervisor report export ("311 Multi-Day Multi-Skill"): title lines, then a tab- or
  comma-delimited header with a date, a split/skill and an ``ACD Calls`` column, one row per
  skill per day or per interval, and a ``Totals``/``Total``/``Summary`` row;
* an ``hsplit`` table dump: comma-delimited, CMS database column names (``row_date``, ``split``,
  ``acdcalls``, ...).

Rules decided here (each is tested):

* A single-day Supervisor interval report may have no date column: its date is then read from
  a ``Date: 3/5/2024`` (or one-day ``Dates:``) title line above the header, and the notes say so.
  A range of several days there, title lines that disagree, or no such line is an
  ``InputError``: which day a row belongs to would be a guess.
* Every non-blank line below the header is a row read; cells to the right of the last header
  column are ignored (CMS Supervisor writes a trailing delimiter on some rows). Rows whose first
  cell (or date, skill or interval cell) is ``Totals``, ``Total`` or ``Summary`` are excluded as
  ``summary_row`` wherever they stand (bottom of daily reports, top of some interval ones).
* Call counts (``ACD Calls``, abandoned calls, calls offered) must be whole numbers of 0 or more;
  thousands separators are allowed. An empty cell, ``N/A`` or a negative number is an
  :class:`~contacts311.errors.InputError` naming the file, line, column and expectation: a gap in
  a count column means the export is not the one the measure is defined on, so it is not guessed.
  A dash (``-`` or ``--``) is what CMS prints where it had no calls: it is read as 0, and the
  notes (printed by the ``ledger`` command) say per file how many cells were dashes.
  Durations (``ACD Time``, ``ACW Time``, ``Staffed Time``) are seconds, ``mm:ss`` (any number of
  minutes: ``75:12``) or ``h:mm:ss``; a dash is 0 and an empty duration cell is missing.
* The key of a row is (ACD, skill, date, interval start); the ACD only takes part when the data
  holds more than one ACD. Files are read in sorted order: a later row with the same key and the
  same call counts is a ``duplicate``; different call counts are an ``InputError`` naming both
  files and lines, the key and both values. A daily row for a skill-day that also has interval
  rows is a ``duplicate`` when its counts equal the intervals' sums, else an ``InputError``.
* Skills outside ``skills`` (when set) or inside ``exclude_skills`` are excluded as
  ``skill_not_counted``; a skill matches by number or by name, case-insensitively.
* ``formula: acd_minus_abandoned`` is applied to the sums of a skill-day, as the published
  formula SUM(ACD Calls) - SUM(Abandoned Calls) is: a single interval may have more abandoned than
  answered calls. A skill-day whose abandoned calls exceed its ACD calls is an ``InputError``
  (it cannot be a count of contacts; use ``formula: acd_calls``), never clipped to 0, because
  clipping would silently change the published total.
* ``formula: calls_offered`` needs a calls-offered column in every file it reads.
* Ledger reasons: ``summary_row`` and ``skill_not_counted`` (excluded);
  ``same_key_same_values`` and ``daily_row_equals_intervals`` (duplicate).
* The ``intervals`` table holds the counted interval rows (no duplicates, no excluded skills).

Per-file options (profile ``sources`` entries) may override ``formula``, ``skills`` and
``exclude_skills``.

Modules: :mod:`.layouts` (recognising the header), :mod:`.file_cells` (one file's cells),
:mod:`.titles` (the report date on a title line),
:mod:`.cells`, :mod:`.columns` and :mod:`.intervals` (typing the cells of all files),
:mod:`.duplicates` and :mod:`.rules` (what counts), :mod:`.reader` (all files together).
"""

from contacts311.schema import INTERVAL_COLUMNS
from contacts311.sources.avaya_cms.layouts import sniff
from contacts311.sources.avaya_cms.reader import DESCRIPTION, FORMAT, KIND, read

__all__ = ["DESCRIPTION", "FORMAT", "INTERVAL_COLUMNS", "KIND", "read", "sniff"]
