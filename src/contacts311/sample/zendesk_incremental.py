"""Zendesk incremental exports (NDJSON, UTC) from August 2023: tickets, ticket events, users."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

from contacts311.sample.dates import INCREMENTAL_FROM, quarter
from contacts311.sample.people import REP_GROUP_ID, People
from contacts311.sample.tickets import EXCLUDED_REASONS, Ticket, outcome, subject, zendesk_time
from contacts311.sample.writer import SampleWriter

_CONTACT_TYPE_FIELD_ID = 360_004_411_911
_NEIGHBORHOOD_FIELD_ID = 360_004_411_912
_API_VIA = {"email": "email", "webform": "web", "in_person": "web", "phone": "voice"}
#: The API layout has events: tickets no representative acted on are excluded, as are deleted ones.
_API_EXCLUDED_REASONS = {
    **EXCLUDED_REASONS,
    "unhandled": "no_agent_event",
    "other_agent": "no_agent_event",
    "deleted": "deleted",
}
#: (time, 0 = create / 1 = reply, ticket id, updater id, child events) of one ticket event.
_Event = tuple[dt.datetime, int, int, int, list[dict]]


def _api_outcome(t: Ticket) -> tuple[str, str | None]:
    return outcome(t, _API_EXCLUDED_REASONS)


def _description(t: Ticket) -> str:
    return (
        f"Hello, my name is {t.requester.name}. {t.topic}. "
        f"Please reach me at {t.requester.email} or {t.requester.phone}."
    )


def write_zendesk_incremental(w: SampleWriter, tickets: list[Ticket], people: People) -> None:
    """Tickets and ticket events per quarter from August 2023, and every user (gzip NDJSON)."""
    by_file, events, quarter_of = _ticket_lines(w, tickets)
    ev_files = _event_lines(events, quarter_of)
    for rel in sorted(by_file):
        w.write(rel, "\n".join(by_file[rel]) + "\n", compress=True)
    for rel in sorted(ev_files):
        w.write(rel, "\n".join(ev_files[rel]) + "\n", compress=True)
        w.record(rel, "excluded", "supporting_record", rows=len(ev_files[rel]))
    _write_users(w, people)


def _ticket_lines(
    w: SampleWriter, tickets: list[Ticket]
) -> tuple[dict[str, list[str]], list[_Event], dict[int, str]]:
    """(NDJSON lines per tickets file, every ticket's events, ticket id -> quarter).

    Each ticket exported is recorded in the ledger of its file.
    """
    events: list[_Event] = []
    by_file: dict[str, list[str]] = defaultdict(list)
    quarter_of: dict[int, str] = {}
    for t in tickets:
        if t.local_date < INCREMENTAL_FROM:
            continue
        q = quarter(t.local_date)
        quarter_of[t.id] = q
        rel = f"zendesk/incremental/tickets_{q}.ndjson.gz"
        by_file[rel].append(json.dumps(_ticket_record(t), separators=(",", ":")))
        bucket, reason = _api_outcome(t)
        w.record(rel, bucket, reason, contacts=1 if bucket == "counted" else 0)
        events += _ticket_events(t)
    return by_file, events, quarter_of


def _ticket_record(t: Ticket) -> dict:
    """The ticket as the incremental export writes it (UTC times)."""
    handled = t.rep_event is not None
    return {
        "id": t.id,
        "created_at": zendesk_time(t.created, False),
        "updated_at": zendesk_time(t.api_updated, False),
        "subject": subject(t),
        "description": _description(t),
        "status": t.api_status,
        "requester_id": t.requester.id,
        "submitter_id": t.rep.id if t.channel == "in_person" and t.rep else t.requester.id,
        "assignee_id": t.rep.id if handled and t.rep else None,
        "group_id": (t.rep.group_id if handled and t.rep else REP_GROUP_ID),
        "via": {"channel": _API_VIA.get(t.channel, "web")},
        "tags": t.tags,
        "custom_fields": [
            {"id": _CONTACT_TYPE_FIELD_ID, "value": t.channel or None},
            {"id": _NEIGHBORHOOD_FIELD_ID, "value": f"district_{t.id % 4 + 1}"},
        ],
    }


def _ticket_events(t: Ticket) -> list[_Event]:
    """The ticket's creation and, when a 311 representative acted on it, their reply."""
    creator = t.rep if t.channel == "in_person" and t.rep else t.requester
    events: list[_Event] = [(t.created, 0, t.id, creator.id, [{"event_type": "Create"}])]
    handled = t.rep_event is not None
    if handled and t.rep and not (t.channel == "in_person" and t.rep is creator):
        change = {
            "event_type": "Change",
            "field_name": "status",
            "value": "solved" if t.solved else "open",
        }
        events.append(
            (t.rep_event, 1, t.id, t.rep.id, [{"event_type": "Comment", "public": True}, change])
        )
    return events


def _event_lines(events: list[_Event], quarter_of: dict[int, str]) -> dict[str, list[str]]:
    """NDJSON lines per ticket-events file: events in time order, numbered from 7,000,001."""
    events = sorted(events, key=lambda e: (e[0], e[2], e[1]))
    ev_files: dict[str, list[str]] = defaultdict(list)
    for i, (ts, _, tid, uid, children) in enumerate(events):
        eid = 7_000_001 + i
        kids = [{"id": eid * 10 + j, **c} for j, c in enumerate(children)]
        record = {
            "id": eid,
            "ticket_id": tid,
            "updater_id": uid,
            "created_at": zendesk_time(ts, False),
            "child_events": kids,
        }
        ev_files[f"zendesk/incremental/ticket_events_{quarter_of[tid]}.ndjson.gz"].append(
            json.dumps(record, separators=(",", ":"))
        )
    return ev_files


def _write_users(w: SampleWriter, people: People) -> None:
    """Every user, representatives first, into ``users.ndjson.gz``."""
    reps, others, ends = people
    lines = []
    for u in [*reps, *others, *ends]:
        record = {
            "id": u.id,
            "name": u.name,
            "email": u.email,
            "phone": u.phone,
            "role": u.role,
            "default_group_id": u.group_id,
            "tags": u.tags,
        }
        lines.append(json.dumps(record, separators=(",", ":")))
    rel = "zendesk/incremental/users.ndjson.gz"
    w.write(rel, "\n".join(lines) + "\n", compress=True)
    w.record(rel, "excluded", "supporting_record", rows=len(lines))
