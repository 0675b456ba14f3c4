"""The counting rule, as three DuckDB queries over one table of deduplicated legs.

Every contact record read is, in this order:

1. a ``duplicate`` when another copy of its ``ContactId`` has a later ``LastUpdateTimestamp``
   (on a tie, the copy read first wins), across every file read; the survivors are *legs*;
2. a ``transfer_leg`` when it is not the first leg of its chain: a transferred call gets a
   new ``ContactId`` whose ``InitialContactId`` names the chain. Without one, its
   ``PreviousContactId`` names only the leg before it, and the chain is that leg's chain,
   followed back leg by leg (:func:`follow_previous`) to a leg that names none or is not in
   the files read; links that go round in a loop are an error. The first leg is the one whose
   ``ContactId`` *is* the chain's id, else the earliest ``InitiationTimestamp`` (then file,
   then line). Profile ``phone.count: leg`` makes every leg a chain of its own, so nothing is
   folded;
3. on its chain's first leg: ``not_voice`` when ``Channel`` is not ``VOICE``, ``outbound``
   when ``InitiationMethod`` is ``OUTBOUND``, ``counted`` when any leg of the chain has an
   ``Agent.ConnectedToAgentTimestamp``, else ``not_answered``.

A counted chain counts on the local date (profile time zone) of its first leg's
``InitiationTimestamp``, in that leg's file and queue. The intervals table (queue workload, for
staffing) counts every voice leg that reached a queue, inbound or transferred.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

#: ``{records}`` is one ``SELECT`` per file (see ``_scan.selects``), joined by ``UNION ALL``.
#: A window, not ``arg_max`` of a struct per ``ContactId``: past the memory limit it spills
#: as a sort does, and took half the time at 5M records (docs/performance.md). Records are
#: first read without line numbers (``row`` NULL), which takes a third less time; ``tied``
#: marks a latest copy that only a line number could choose (see :func:`unordered`).
LEGS = """
CREATE OR REPLACE TEMP TABLE legs AS  -- one row per ContactId: its latest copy
SELECT file, row, id, kind, answered, queue, initiated,
       CASE WHEN $per_leg THEN id ELSE root END AS chain,
       -- chain holds only the previous leg's id yet: follow_previous takes it back to the root
       NOT $per_leg AND follows AND root <> id AS follow,
       CASE WHEN count(*) OVER copies > 1 THEN list(file) OVER copies END AS copies_in,
       bool_or(problem) OVER copies AS problems,
       coalesce(row IS NULL AND lead(file) OVER latest = file
                AND lead(coalesce(updated, '-infinity')) OVER latest
                    = coalesce(updated, '-infinity'), false) AS tied
FROM ({records})
WINDOW copies AS (PARTITION BY id),
       latest AS (PARTITION BY id ORDER BY coalesce(updated, '-infinity') DESC, file, row)
QUALIFY row_number() OVER latest = 1
"""

#: Legs of one chain alike in everything the first leg is chosen by but the line number.
HEAD_TIES = """
SELECT 1 FROM legs GROUP BY chain, id <> chain, initiated, file HAVING count(*) > 1 LIMIT 1
"""

#: One step back along ``PreviousContactId``: a leg takes the chain of the leg its chain names
#: (and whether that one still has further to go). An UPDATE reads the table as it was before
#: it, so each step doubles how far a link has come: a chain of n legs takes about log2(n).
FOLLOW = """
UPDATE legs SET chain = up.chain, follow = up.follow
FROM legs AS up WHERE legs.follow AND legs.chain = up.id
"""
#: A leg still following after the steps any chain could take: its links go round in a loop.
LOOPED = """
SELECT file, row FROM legs WHERE follow AND chain IN (SELECT id FROM legs) ORDER BY file, row
LIMIT 1
"""

_LOCAL = "timezone($tz, to_timestamp(quarter * 900))"  # per UTC quarter hour: every zone
# offset is a whole number of them, so converting quarters (not records) is exact and cheap.

_FOLD = """  -- a resident's call: the legs of one chain, on its first leg
    SELECT arg_min({'file': file, 'queue': queue, 'kind': kind,
                    'quarter': epoch_ms(initiated) // 900000},
                   {'later': id <> chain, 'initiated': initiated, 'file': file, 'row': row})
               AS head,
           bool_or(answered) AS answered
    FROM legs GROUP BY chain"""
# When no leg names another chain, every chain is one leg (ids are unique): the same heads
# without the second grouping.
_ALONE = """
    SELECT {'file': file, 'queue': queue, 'kind': kind,
            'quarter': epoch_ms(initiated) // 900000} AS head, answered FROM legs"""

CHAINS = f"""
WITH chains AS ({{chains}}
), quarters AS (
    SELECT head.file, head.queue, head.quarter,
           CASE WHEN head.kind <> 'voice' THEN head.kind
                WHEN answered THEN 'counted' ELSE 'not_answered' END AS class,
           count(*) AS calls
    FROM chains GROUP BY ALL
)
SELECT file, class, queue, local::DATE AS day, sum(calls)::BIGINT AS calls
FROM (SELECT *, {_LOCAL} AS local FROM quarters) GROUP BY ALL
"""

INTERVALS = f"""
WITH quarters AS (
    SELECT epoch_ms(initiated) // 900000 AS quarter, queue, count(*) AS calls,
           count(*) FILTER (WHERE answered) AS acd
    FROM legs WHERE kind = 'voice' AND queue IS NOT NULL GROUP BY ALL
)
SELECT local::DATE AS day, (hour(local) * 60 + minute(local)) // $minutes * $minutes
           AS interval_start, queue, sum(calls)::BIGINT AS calls, sum(acd)::BIGINT AS acd
FROM (SELECT *, {_LOCAL} AS local FROM quarters) GROUP BY ALL
"""

#: Per file: records read (every copy, in the file it came from) and legs (winning copies).
FILES = """
SELECT file, sum(read)::BIGINT AS read, sum(legs)::BIGINT AS legs FROM (
    SELECT unnest(copies_in) AS file, 1 AS read, 0 AS legs FROM legs WHERE copies_in IS NOT NULL
    UNION ALL
    SELECT file, count(*) FILTER (WHERE copies_in IS NULL), count(*) FROM legs GROUP BY file
) GROUP BY file
"""


@dataclass
class Tally:
    """What the queries give: chains per file, class, queue and day; files; intervals."""

    chains: pd.DataFrame  # file, class, queue, day, calls
    files: pd.DataFrame  # file, read, legs
    intervals: pd.DataFrame  # day, interval_start, queue, calls, acd


def follow_previous(con: duckdb.DuckDBPyConnection) -> tuple[int, int] | None:
    """Point every leg linked only by ``PreviousContactId`` at its chain's first leg.

    Returns:
        ``None``, or the file and row of the first leg whose links go round in a loop (they
        would never reach a first leg).
    """
    followers = con.execute("SELECT count(*) FILTER (WHERE follow) FROM legs").fetchone()[0]
    if not followers:
        return None
    # A chain has at most as many links as there are followers: after ceil(log2) + 1 steps
    # that change something, one more changes nothing, unless links form a loop.
    for _ in range(followers.bit_length() + 2):
        if con.execute(FOLLOW).fetchone()[0] == 0:
            return None
    return con.execute(LOOPED).fetchone()


def unordered(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether legs read without line numbers were chosen, or would be folded, by chance.

    Two copies of a ``ContactId`` in one file with the same ``LastUpdateTimestamp``, or two
    legs of one chain alike in ``InitiationTimestamp`` and file, are put in order only by
    their lines: the records must then be read again, numbered.
    """
    tied, linked = con.execute("SELECT bool_or(tied), bool_or(chain <> id) FROM legs").fetchone()
    return bool(tied) or (bool(linked) and con.execute(HEAD_TIES).fetchone() is not None)


def tally(con: duckdb.DuckDBPyConnection, timezone: str, minutes: int) -> Tally:
    """Run the chain, file and interval queries over the ``legs`` table."""
    linked = con.execute("SELECT bool_or(chain <> id) FROM legs").fetchone()[0]
    chains = CHAINS.format(chains=_FOLD if linked else _ALONE)
    return Tally(
        chains=con.execute(chains, {"tz": timezone}).df(),
        files=con.execute(FILES).df(),
        intervals=con.execute(INTERVALS, {"tz": timezone, "minutes": minutes}).df(),
    )
