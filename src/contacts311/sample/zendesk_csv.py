"""Zendesk Support "Export as CSV" files, one a quarter, tickets created to September 2023."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from contacts311.sample.dates import CSV_UNTIL, INCREMENTAL_FROM, quarter
from contacts311.sample.tickets import EXCLUDED_REASONS, Ticket, outcome, subject, zendesk_time
from contacts311.sample.writer import SampleWriter, csv_text

_CSV_COLUMNS = (
    "ID", "Requester", "Requester ID", "Requester external id", "Requester email",
    "Requester domain", "Submitter", "Assignee", "Group", "Subject", "Tags", "Status", "Priority",
    "Via", "Ticket type", "Created at", "Updated at", "Assigned at", "Organization", "Due date",
    "Initially assigned at", "Solved at", "Resolution time", "Satisfaction Score",
    "Group stations", "Assignee stations", "Reopens", "Replies",
    "First reply time in minutes", "First reply time in minutes within business hours",
    "First resolution time in minutes", "First resolution time in minutes within business hours",
    "Full resolution time in minutes", "Full resolution time in minutes within business hours",
    "Agent wait time in minutes", "Agent wait time in minutes within business hours",
    "Requester wait time in minutes", "Requester wait time in minutes within business hours",
    "On hold time in minutes", "On hold time in minutes within business hours",
    "Contact Type [list]",
)  # fmt: skip
_CSV_CONTACT_TYPE = {
    "email": "Email",
    "webform": "Webform",
    "in_person": "In-Person",
    "phone": "Phone",
}
_CSV_VIA = {
    "email": "Mail",
    "webform": "Web form",
    "in_person": "Web form",
    "phone": "Phone call (inbound)",
}
_REP_GROUP = "PDX311 Customer Service"
#: The CSV layout has no events: the loader's fallback excludes an unanswered ticket.
_CSV_EXCLUDED_REASONS = {**EXCLUDED_REASONS, "unhandled": "not_handled"}


def _csv_outcome(t: Ticket) -> tuple[str, str | None]:
    return outcome(t, _CSV_EXCLUDED_REASONS)


def _minutes(later: dt.datetime | None, earlier: dt.datetime) -> str:
    return str(int((later - earlier).total_seconds() // 60)) if later else ""


def write_zendesk_csv(w: SampleWriter, tickets: list[Ticket]) -> None:
    """One gzip CSV a quarter of the tickets created to September 2023 (deleted ones excluded).

    Tickets from August 2023 are also in the incremental export, whose later copy counts: here
    they are recorded as duplicates.
    """
    by_file: dict[str, list[Ticket]] = defaultdict(list)
    for t in tickets:
        if t.local_date <= CSV_UNTIL and t.kind != "deleted":  # deleted tickets are not exported
            by_file[f"zendesk/support_csv/zendesk_tickets_{quarter(t.local_date)}.csv.gz"].append(t)
    for rel in sorted(by_file):
        rows: list[list] = [list(_CSV_COLUMNS)]
        for t in by_file[rel]:
            rows.append(_csv_row(t))
            if t.local_date >= INCREMENTAL_FROM:
                w.record(rel, "duplicate")  # the incremental export has a later updated_at
            else:
                bucket, reason = _csv_outcome(t)
                w.record(rel, bucket, reason, contacts=1 if bucket == "counted" else 0)
        w.write(rel, csv_text(rows, ",", "\r\n"), compress=True)


def _csv_row(t: Ticket) -> list:
    """The ticket as a row of the CSV export (local times, one value per ``_CSV_COLUMNS``)."""
    handled = t.rep_event is not None
    minutes = _minutes
    return [
        t.id, t.requester.name, t.requester.id, "", t.requester.email, "example.org",
        t.rep.name if t.channel == "in_person" and t.rep else t.requester.name,
        t.rep.name if handled and t.rep else "", _REP_GROUP,
        subject(t), " ".join(t.tags), t.csv_status, "Normal", _CSV_VIA.get(t.channel, "Web form"),
        "Question" if t.id % 4 else "Incident", zendesk_time(t.created, True),
        zendesk_time(t.csv_updated, True), zendesk_time(t.rep_event, True), "", "",
        zendesk_time(t.rep_event, True), zendesk_time(t.solved, True), "", "Not Offered",
        1, 1 if handled else 0, 0, t.replies, minutes(t.rep_event, t.created), "",
        minutes(t.solved, t.created), "", minutes(t.solved, t.created), "", "", "", "", "", 0, 0,
        _CSV_CONTACT_TYPE.get(t.channel, "Other" if t.channel == "other" else ""),
    ]  # fmt: skip
