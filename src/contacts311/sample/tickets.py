"""Zendesk tickets: one per counted contact plus the noise the loader must exclude."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from contacts311.sample.dates import (
    CSV_UNTIL,
    INCREMENTAL_FROM,
    START_DATE,
    TZ,
    UTC,
    dst_change_days,
    local_time,
)
from contacts311.sample.people import People, User

_TOPICS = (
    "Pothole on SE Foster Rd", "Abandoned vehicle", "Graffiti on retaining wall",
    "Missed garbage pickup", "Streetlight out", "Tree down blocking sidewalk", "Water bill question",
    "Noise complaint", "Illegal dumping", "Parking permit renewal", "Sewer smell",
    "Campsite cleanup request", "Sidewalk repair", "Park restroom closed", "Business license question",
)  # fmt: skip
_NOISE_SHARE = 0.035  # excluded tickets per counted ticket
_PHONE_TICKET_SHARE = 0.02  # phone/voicemail-type tickets per counted ticket


@dataclass
class Ticket:
    """One Zendesk ticket and what each export says about it."""

    created: dt.datetime  # aware, UTC
    local_date: dt.date
    channel: str  # contact type channel, or "other"/"" for not counted
    kind: str  # counted, deleted, merged, spam, test, phone_type, no_type, unhandled, other_agent
    requester: User
    rep: User | None
    topic: str
    id: int = 0
    csv_status: str = ""
    api_status: str = ""
    replies: int = 0
    csv_updated: dt.datetime | None = None
    api_updated: dt.datetime | None = None
    solved: dt.datetime | None = None
    rep_event: dt.datetime | None = None
    tags: list[str] = field(default_factory=list)


def _time_of_day(rnd: random.Random, channel: str) -> int:
    if channel == "in_person":
        return rnd.randrange(8 * 3600, 17 * 3600)
    # Email and webforms arrive around the clock, mostly in the daytime; evening arrivals land
    # after midnight UTC and so exercise the local-date conversion.
    if rnd.random() < 0.8:
        return rnd.randrange(7 * 3600, 20 * 3600)
    return rnd.randrange(0, 24 * 3600)


def make_tickets(counted: dict, end_date: dt.date, people: People, seed: int) -> list[Ticket]:
    """Every Zendesk ticket of the sample, numbered in order of creation.

    One counted ticket per email, webform and in-person contact in ``counted``, plus noise
    tickets (merged, spam, test, phone-type, untyped, unhandled and, once the incremental
    export exists, deleted and handled by another bureau), except where the two exports
    overlap and in the last two days.
    """
    rnd = random.Random(f"{seed}-tickets")
    reps, others, ends = people
    export_at = dt.datetime.combine(end_date + dt.timedelta(days=1), dt.time(6)).replace(tzinfo=TZ)
    quiet_end = end_date - dt.timedelta(days=2)
    tickets: list[Ticket] = []
    dst_days = {d for d in dst_change_days(START_DATE, end_date)}
    for d in sorted({k[0] for k in counted}):
        era_csv = d < INCREMENTAL_FROM
        overlap = INCREMENTAL_FROM <= d <= CSV_UNTIL
        for channel in ("email", "webform", "in_person"):
            n = counted.get((d, channel), 0)
            # No noise where the two exports overlap or at the very end.
            specs = _specs(rnd, n, channel, era_csv, noisy=not (overlap or d > quiet_end))
            for j, (kind, ch) in enumerate(specs):
                secs = _time_of_day(rnd, channel)
                if d in dst_days and channel == "email" and j < 2:
                    secs = (1 * 3600 + 1800) if j == 0 else (3 * 3600 + 900)  # around the change
                created = local_time(d, secs)
                requester = rnd.choice(ends)
                rep = rnd.choice(reps)
                t = Ticket(
                    created.astimezone(UTC), d, ch, kind, requester, rep, rnd.choice(_TOPICS)
                )
                _fill_lifecycle(t, rnd, era_csv, overlap, export_at, others)
                tickets.append(t)
    tickets.sort(
        key=lambda t: (t.created, t.local_date, t.channel, t.kind, t.requester.id, t.topic)
    )
    for i, t in enumerate(tickets):
        t.id = 100_001 + i
    return tickets


def _specs(
    rnd: random.Random, n: int, channel: str, era_csv: bool, noisy: bool
) -> list[tuple[str, str]]:
    """(kind, channel) of one day's tickets of ``channel``: ``n`` counted, then any noise."""
    specs = [("counted", channel)] * n
    if not noisy:
        return specs
    for _ in range(n):
        if rnd.random() < _NOISE_SHARE:
            specs.append(_noise_kind(rnd, era_csv, channel))
        if rnd.random() < _PHONE_TICKET_SHARE:
            specs.append(("phone_type", "phone"))
    return specs


def _noise_kind(rnd: random.Random, era_csv: bool, channel: str) -> tuple[str, str]:
    kinds = ["merged", "spam", "test", "no_type"]
    if channel != "in_person":
        kinds.append("unhandled")  # a walk-in ticket is opened by the rep, so always handled
    if not era_csv:
        kinds += ["deleted", "other_agent"]
    kind = rnd.choice(kinds)
    if kind == "no_type":
        return kind, rnd.choice(["", "other"])
    return kind, channel


def _fill_lifecycle(
    t: Ticket,
    rnd: random.Random,
    era_csv: bool,
    overlap: bool,
    export_at: dt.datetime,
    others: list[User],
) -> None:
    """Status, replies, timestamps and tags: each noise ticket has exactly one exclusion reason."""
    first_reply = dt.timedelta(minutes=rnd.randrange(5, 600))
    solve = first_reply + dt.timedelta(minutes=rnd.randrange(0, 4 * 24 * 60))
    t.rep_event = t.created + (
        dt.timedelta(minutes=rnd.randrange(1, 20)) if t.channel == "in_person" else first_reply
    )
    t.solved = t.created + solve
    closed = t.solved + dt.timedelta(days=4)  # Zendesk closes solved tickets after four days
    t.replies = 0 if t.channel == "in_person" else rnd.choice([1, 1, 1, 2, 2, 3])
    final, closed = _apply_kind(t, rnd, others, closed)
    if closed > export_at:
        final, closed = _in_progress_at_export(t, rnd, final, closed, export_at)
    t.tags += [t.channel] if t.channel not in ("", "other") else []
    t.tags.sort()
    t.api_status = final
    t.api_updated = closed
    if era_csv or overlap:
        _fill_csv_copy(t, rnd, final, closed, overlap)


def _apply_kind(
    t: Ticket, rnd: random.Random, others: list[User], closed: dt.datetime
) -> tuple[str, dt.datetime]:
    """What makes a noise ticket excluded; (final API status, when it was closed)."""
    final = "closed"
    if t.kind == "unhandled":
        t.rep_event, t.solved, t.replies = None, None, 0
        final = rnd.choice(["new", "open"])
        closed = t.created + dt.timedelta(minutes=rnd.randrange(1, 90))
    elif t.kind == "other_agent":
        t.rep = rnd.choice(others)
    elif t.kind == "merged":
        t.tags.append("closed_by_merge")
    elif t.kind in ("spam", "test"):
        t.tags.append(t.kind)
    elif t.kind == "deleted":
        final = "deleted"
    return final, closed


def _in_progress_at_export(
    t: Ticket, rnd: random.Random, final: str, closed: dt.datetime, export_at: dt.datetime
) -> tuple[str, dt.datetime]:
    """A ticket still in progress when the export was taken: handled (a reply), not closed."""
    closed = max(
        t.created + dt.timedelta(seconds=1), min(closed, export_at - dt.timedelta(hours=1))
    )
    if t.solved and t.solved > closed:
        t.solved = None
    if t.rep_event and t.rep_event > closed:
        t.rep_event = closed
    if final == "closed":
        final = "solved" if t.solved else rnd.choice(["open", "pending"])
    return final, closed


def _fill_csv_copy(
    t: Ticket, rnd: random.Random, final: str, closed: dt.datetime, overlap: bool
) -> None:
    """Status and update time of the ticket's copy in the Support CSV export."""
    csv_updated = closed
    status = final.capitalize()
    if overlap:
        # The CSV copy is older: the later incremental export saw one more update.
        if rnd.random() < 0.35 and t.replies:
            status = "Pending"
            csv_updated = t.rep_event or t.created
            t.api_status = "solved"
        else:
            status = "Solved"
            csv_updated = t.solved or closed
            t.api_status = "closed"
        t.api_updated = max(closed, csv_updated) + dt.timedelta(seconds=rnd.randrange(30, 7200))
    elif t.kind == "counted" and rnd.random() < 0.07 and t.replies:
        status = rnd.choice(["Pending", "Open"])  # handled (replied to), not yet solved
        t.solved = None
    t.csv_status = status
    t.csv_updated = csv_updated


def zendesk_time(ts: dt.datetime | None, local: bool) -> str:
    """A timestamp as Zendesk writes it: local in the CSV export, UTC (``Z``) in the API's."""
    if ts is None:
        return ""
    if local:
        return ts.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def subject(t: Ticket) -> str:
    """The ticket's subject; some carry the requester's (fake) name or phone number."""
    if t.kind == "test":
        return "TEST ticket please ignore"
    if t.id % 3 == 0:
        return f"{t.topic} - call back {t.requester.phone}"
    if t.id % 3 == 1:
        return f"{t.topic} ({t.requester.name})"
    return t.topic


#: Ticket kind -> the reason the loader excludes it, in either Zendesk layout.
EXCLUDED_REASONS = {
    "merged": "merged",
    "spam": "spam_or_test",
    "test": "spam_or_test",
    "phone_type": "phone_type",
    "no_type": "contact_type_not_counted",
}


def outcome(t: Ticket, reasons: dict[str, str]) -> tuple[str, str | None]:
    """(ledger bucket, exclusion reason) of the ticket under one layout's ``reasons``."""
    reason = reasons.get(t.kind)
    return ("counted", None) if reason is None else ("excluded", reason)
