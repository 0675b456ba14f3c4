"""Deciding each ticket: the latest copy wins, then exclusions, then the handling rule."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from contacts311.profile import TicketRules
from contacts311.sources.zendesk.contact_types import channels_of

_REP_ROLES = ("agent", "admin")

_HANDLED_STATUSES = ("solved", "closed")


def _rep_users(users: pd.DataFrame | None, rules: TicketRules) -> set[str]:
    """Ids of users who are 311 representatives (agent/admin, in a 311 group or with a 311 tag)."""
    if users is None or users.empty:
        return set()
    staff = users[users["role"].isin(_REP_ROLES)]
    if not rules.agent_group_ids and not rules.agent_tags:
        return set(staff["user_id"])
    groups = {str(g) for g in rules.agent_group_ids}
    in_group = staff["group_id"].isin(groups)
    tagged = _has_tag(staff["tags"], {t.lower() for t in rules.agent_tags})
    return set(staff.loc[in_group | tagged, "user_id"])


def _has_tag(tags: pd.Series, wanted: set[str]) -> pd.Series:
    """Whether each space-separated tag string holds one of ``wanted``.

    Zendesk tags never contain spaces, so a whole-word match is an exact tag match.
    """
    if tags.empty or not wanted:
        return pd.Series(False, index=tags.index)
    import pyarrow as pa
    import pyarrow.compute as pc

    alternatives = "|".join(re.escape(w) for w in sorted(wanted))
    pattern = rf"(?:^|\s)(?:{alternatives})(?:\s|$)"
    text = pa.array(tags.fillna(""), type=pa.string(), from_pandas=True)
    hit = pc.match_substring_regex(text, pattern).to_numpy(zero_copy_only=False)
    return pd.Series(hit.astype(bool), index=tags.index)


def _isin(values: pd.Series, wanted: Any) -> np.ndarray:
    """Membership test in Arrow (pandas' ``isin`` on text builds one scalar per wanted value)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # Straight from the Series: zero-copy for Arrow-backed text, no Python objects per row.
    left = pa.array(values, type=pa.string(), from_pandas=True)
    if isinstance(wanted, pd.Series):
        right = pc.cast(pa.array(wanted, from_pandas=True), pa.string())
    else:
        right = pa.array([str(w) for w in wanted], type=pa.string())
    hit = pc.is_in(left, value_set=right, skip_nulls=True)
    return hit.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)


_NAT = np.datetime64("NaT", "ns").view(np.int64)


def _latest_copies(t: pd.DataFrame) -> np.ndarray:
    """Whether each row is its ticket's winning copy: the last by (updated_utc, file, row)."""
    # One sort of integer keys (the ticket ids as codes; a missing update time sorts last).
    ticket = pd.factorize(t["ticket_id"])[0]
    updated = t["updated_utc"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    updated = np.where(updated == _NAT, np.iinfo(np.int64).max, updated)
    order = np.lexsort((t["row"].to_numpy(), t["file_order"].to_numpy(), updated, ticket))
    ends = np.append(ticket[order][1:] != ticket[order][:-1], True)
    winner = np.zeros(len(t), dtype=bool)
    winner[order[ends]] = True
    return winner


def _agent_rule(
    t: pd.DataFrame, events: pd.DataFrame | None, rep_ids: set[str]
) -> tuple[pd.Series, pd.Series]:
    """Which tickets the published rule decides (created while events cover), and which pass.

    A ticket created within the span of the loaded ticket events counts only with an event by
    a 311 representative; the others are left to the fallback rule.
    """
    if events is None or events.empty:
        return pd.Series(False, index=t.index), pd.Series(False, index=t.index)
    lo, hi = events["created_utc"].min(), events["created_utc"].max()
    in_span = t["created_utc"].between(lo, hi)
    by_rep = events.loc[_isin(events["updater_id"], rep_ids), "ticket_id"]
    return in_span, pd.Series(_isin(t["ticket_id"], by_rep), index=t.index)


def apply_rules(
    tickets: pd.DataFrame,
    events: pd.DataFrame | None,
    users: pd.DataFrame | None,
    rules: TicketRules,
    lookup: dict[str, str],
) -> pd.DataFrame:
    """Dedupe ticket copies and put each in one bucket with a reason (vectorised)."""
    t = tickets.reset_index(drop=True)
    t["is_winner"] = _latest_copies(t)
    channel = channels_of(t["contact_type"], lookup)
    t["channel"] = channel
    deleted = t["status"] == "deleted"
    merged = _has_tag(t["tags"], {"closed_by_merge"})
    spam = _has_tag(t["tags"], {x.lower() for x in rules.exclude_tags})
    phone_type = channel.isin(rules.not_counted_channels)
    no_type = channel.isna()
    in_span, agent_ok = _agent_rule(t, events, _rep_users(users, rules))
    fallback_ok = t["status"].isin(_HANDLED_STATUSES) | (t["replies"].fillna(0) >= 1)
    conditions = [
        ~t["is_winner"],
        deleted,
        merged,
        spam,
        phone_type,
        no_type,
        in_span & ~agent_ok,
        in_span & agent_ok,
        ~fallback_ok,
    ]
    reasons = [
        "duplicate",
        "deleted",
        "merged",
        "spam_or_test",
        "phone_type",
        "contact_type_not_counted",
        "no_agent_event",
        "agent_event",
        "not_handled",
    ]
    labels = [*reasons, "handled_fallback"]  # the last one: no condition held
    # Categories from integer codes: a text column per row would cost more than the rules.
    reason = np.select(conditions, list(range(len(reasons))), default=len(reasons))
    t["reason"] = pd.Categorical.from_codes(reason, labels)
    counted = np.isin(reason, [labels.index("agent_event"), labels.index("handled_fallback")])
    bucket = np.select([reason == labels.index("duplicate"), counted], [0, 1], default=2)
    t["bucket"] = pd.Categorical.from_codes(bucket, ["duplicate", "counted", "excluded"])
    # Which handling rule decided a ticket that reached it (for the notes).
    reached = t["is_winner"] & ~(deleted | merged | spam | phone_type | no_type)
    decided_by = np.where(reached, np.where(in_span, 1, 2), 0)
    t["decided_by"] = pd.Categorical.from_codes(decided_by, ["", "agent_event", "fallback"])
    return t


def rule_notes(
    decided: pd.DataFrame,
    events: pd.DataFrame | None,
    users: pd.DataFrame | None,
    rules: TicketRules,
) -> list[str]:
    """Sentences for reports: tickets counted, duplicates, and which rule decided how many."""
    winners = decided[decided["is_winner"]]
    n_agent = int((decided["decided_by"] == "agent_event").sum())
    n_fallback = int((decided["decided_by"] == "fallback").sum())
    counted = int((decided["bucket"] == "counted").sum())
    dups = int((decided["bucket"] == "duplicate").sum())
    notes = [
        f"Zendesk: {counted} of {len(winners)} distinct tickets counted; {dups} older copies of "
        "tickets found in more than one export were set aside as duplicates "
        "(the latest updated_at wins).",
        f"{n_agent} tickets decided by the published rule (agent event), {n_fallback} by the CSV "
        "fallback rule (solved/closed or a reply).",
    ]
    if events is not None and not events.empty:
        lo, hi = events["created_utc"].min(), events["created_utc"].max()
        if rules.agent_group_ids or rules.agent_tags:
            who = "agents/admins in groups " + (
                ", ".join(map(str, rules.agent_group_ids)) or "(none)"
            )
            who += " or tagged " + (", ".join(rules.agent_tags) or "(none)")
        else:
            who = "any agent or admin"
        notes.append(
            f"Ticket events cover {lo:%Y-%m-%d %H:%M} to {hi:%Y-%m-%d %H:%M} UTC; tickets created "
            f"in that span count only with an event by a 311 representative ({who}; "
            f"{len(_rep_users(users, rules))} such users found)."
        )
    else:
        notes.append("No Zendesk ticket events were loaded: every ticket used the fallback rule.")
    return notes
