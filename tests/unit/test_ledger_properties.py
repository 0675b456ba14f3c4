"""Nothing lost: random valid exports split across overlapping files, totals and ledger exact.

Hypothesis draws Avaya ``hsplit`` daily rows and Zendesk CSV tickets with known values, copies
each row into one or more files (in any order), and checks that ``pipeline.load`` gives the
totals worked out here from the drawn values and that every file's ledger balances:
rows read = counted + excluded by reason + duplicates.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts311.pipeline import load
from contacts311.profile import default_profile

TODAY = dt.date(2025, 6, 30)
FIRST = dt.date(2023, 6, 25)  # a few days before FY 2023-24, so two or three years appear
DAYS = (TODAY - FIRST).days + 10  # a few days after TODAY: future_date


def _fiscal_year(day: dt.date) -> int:
    """Ending year of the July fiscal year."""
    return day.year + (1 if day.month >= 7 else 0)


# One hsplit daily row per (skill, day): skill 3 is excluded by the profile.
avaya_rows = st.dictionaries(
    keys=st.tuples(st.integers(1, 3), st.integers(0, DAYS)),
    values=st.tuples(st.integers(0, 400), st.integers(0, 30)),
    max_size=25,
)
# Tickets: (day, hour, contact type, status, replies); each copy gets its own update time.
tickets = st.lists(
    st.tuples(
        st.integers(0, DAYS),
        st.integers(0, 23),
        st.sampled_from(["Email", "Webform", "In-Person", "Phone"]),
        st.sampled_from(["Solved", "Closed", "Open", "Pending"]),
        st.integers(0, 2),
    ),
    max_size=20,
)


def _placements(n_items: int, n_files: int, rnd: random.Random) -> list[list[int]]:
    """For each item, the files holding a copy (at least one)."""
    out = []
    for _ in range(n_items):
        files = [f for f in range(n_files) if rnd.random() < 0.4] or [rnd.randrange(n_files)]
        out.append(files)
    return out


@pytest.mark.filterwarnings("ignore::contacts311.errors.InputWarning")
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    rows=avaya_rows,
    tix=tickets,
    n_files=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_totals_and_ledger_exact(rows, tix, n_files, seed):
    rnd = random.Random(seed)
    profile = default_profile()
    profile.phone.exclude_skills = ["3"]
    # --- Avaya: expected values from the drawn rows -------------------------------------------
    hs_files: list[list[str]] = [[] for _ in range(n_files)]
    keys = sorted(rows)
    expected_totals: Counter = Counter()
    expected = Counter()  # bucket/reason -> rows
    copies_total = 0
    for key, files in zip(keys, _placements(len(keys), n_files, rnd), strict=True):
        skill, offset = key
        day = FIRST + dt.timedelta(days=offset)
        acd, aban = rows[key]
        for f in files:
            hs_files[f].append(f"{day.isoformat()},0,1440,1,{skill},{acd},{aban}")
        copies_total += len(files)
        expected["duplicate"] += len(files) - 1
        if skill == 3:
            expected["excluded/skill_not_counted"] += 1
        elif day > TODAY:
            expected["excluded/future_date"] += 1
        else:
            expected["counted"] += 1
            expected_totals[(_fiscal_year(day), "phone")] += acd
    # --- Zendesk: the copy with the latest update wins ----------------------------------------
    zd_files: list[list[str]] = [[] for _ in range(n_files)]
    channel = {"Email": "email", "Webform": "webform", "In-Person": "in_person"}
    for tid, ((offset, hour, ctype, status, replies), files) in enumerate(
        zip(tix, _placements(len(tix), n_files, rnd), strict=True), start=1000
    ):
        day = FIRST + dt.timedelta(days=offset)
        created = dt.datetime.combine(day, dt.time(hour))
        # Distinct update times per copy; only the last one's status and replies matter.
        order = list(range(len(files)))
        rnd.shuffle(order)
        for f, k in zip(files, order, strict=True):
            is_last = k == len(files) - 1
            st_copy = status if is_last else rnd.choice(["Open", "Solved", "New"])
            rep_copy = replies if is_last else rnd.randrange(3)
            updated = created + dt.timedelta(hours=k + 1)
            zd_files[f].append(
                f"{tid},Canary Person,S,{st_copy},{created:%Y-%m-%d %H:%M:%S},"
                f"{updated:%Y-%m-%d %H:%M:%S},{rep_copy},{ctype}"
            )
        copies_total += len(files)
        expected["duplicate"] += len(files) - 1
        if ctype == "Phone":
            expected["excluded/phone_type"] += 1
        elif status not in ("Solved", "Closed") and replies == 0:
            expected["excluded/not_handled"] += 1
        elif day > TODAY:
            expected["excluded/future_date"] += 1
        else:
            expected["counted"] += 1
            expected_totals[(_fiscal_year(day), channel[ctype])] += 1

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        names = list(range(n_files))
        rnd.shuffle(names)  # file names do not follow the order rows were drawn in
        for i, (hs, zd) in enumerate(zip(hs_files, zd_files, strict=True)):
            rnd.shuffle(hs)
            rnd.shuffle(zd)
            (root / f"hsplit_{names[i]}.csv").write_text(
                "row_date,starttime,intrvl,acd,split,acdcalls,abncalls\n" + "\n".join(hs) + "\n"
            )
            (root / f"tickets_{names[i]}.csv").write_text(
                "ID,Requester,Subject,Status,Created at,Updated at,Replies,Contact Type [list]\n"
                + "\n".join(zd)
                + "\n"
            )
        data = load(root, profile, today=TODAY)

    ledger = data.ledger
    assert int(ledger["rows"].sum()) == copies_total
    assert int(data.inputs["rows_read"].sum()) == copies_total
    per_file = ledger.groupby("source_file")["rows"].sum()
    assert per_file.to_dict() == data.inputs.set_index("source_file")["rows_read"].to_dict()
    got = Counter()
    for r in ledger.itertuples():
        if r.reason == "no_data_rows":
            continue
        label = r.bucket if r.bucket in ("counted", "duplicate") else f"excluded/{r.reason}"
        got[label] += int(r.rows)
    assert +got == +expected

    c = data.contacts
    fy = c["contact_date"].dt.year + (c["contact_date"].dt.month >= 7).astype(int)
    got_totals = Counter()
    for (year, ch), n in c.groupby([fy, c["channel"]])["count"].sum().items():
        if n:
            got_totals[(int(year), ch)] = int(n)
    assert got_totals == +expected_totals
    assert int(ledger.loc[ledger["bucket"] == "counted", "contacts"].sum()) == int(c["count"].sum())
