"""Deciding each ticket: the latest copy wins, then exclusions, then the handling rule."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from contacts311.profile import TicketRules
from contacts311.sources.zendesk.contact_types import channels_of, via_lookup

_REP_ROLES = ("agent", "admin")

_HANDLED_STATUSES = ("solved", "closed")


def _rep_users(users: pd.DataFrame | None, rules: TicketRules) -> set[str]:
    """Ids of the users who are 311 representatives.

    A user marked by ``tickets.agent_user_field`` (any role: the published definition takes the
    Users custom field alone), or an agent/admin in a 311 group or with a 311 tag; with none of
    these configured, every agent and admin.
    """
    if users is None or users.empty:
        return set()
    reps: set[str] = set()
    if rules.agent_user_field:
        wanted = rules.agent_user_value.strip().lower()
        marked = users["user_field"].map(lambda v: _marks(v, wanted)).astype(bool)
        reps |= set(users.loc[marked, "user_id"])
    staff = users[users["role"].isin(_REP_ROLES)]
    if not rules.agent_group_ids and not rules.agent_tags:
        return reps if rules.agent_user_field else set(staff["user_id"])
    groups = {str(g) for g in rules.agent_group_ids}
    in_group = staff["group_id"].isin(groups)
    tagged = _has_tag(staff["tags"], {t.lower() for t in rules.agent_tags})
    return reps | set(staff.loc[in_group | tagged, "user_id"])


# A custom field holding one of these does not mark a user (an unticked checkbox, "no").
_NOT_SET = frozenset({"", "false", "0", "no", "n", "none", "null"})


def _marks(value: object, wanted: str) -> bool:
    """Whether a user's custom field value (text or a multi-select tuple) marks a 311 rep."""
    items = value if isinstance(value, tuple) else (value,)
    texts = [v for v in items if isinstance(v, str)]
    if wanted:
        return wanted in texts
    return any(v not in _NOT_SET for v in texts)


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
    if rules.via_channels:
        # No contact type: the channel the ticket came in by, as the profile maps it; the
        # via value then stands for the contact type (the queue of the core row).
        by_via = channels_of(t["via"], via_lookup(rules)).where(channel.isna(), None)
        t["contact_type"] = t["contact_type"].where(by_via.isna(), t["via"])
        channel = channel.where(by_via.isna(), by_via)
        t["by_via"] = by_via.notna().to_numpy()
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
        f"Zendesk: {counted:,} of {len(winners):,} distinct tickets counted; {dups:,} older copies of "
        "tickets found in more than one export were set aside as duplicates "
        "(the latest updated_at wins).",
        f"{n_agent:,} tickets decided by the published rule (agent event), {n_fallback:,} by the CSV "
        "fallback rule (solved/closed or a reply).",
    ]
    if "by_via" in decided:
        n_via = int((decided["by_via"] & decided["is_winner"]).sum())
        notes.append(
            f"{n_via:,} tickets had no contact type and took their channel from via.channel "
            "(tickets.via_channels)."
        )
    if events is not None and not events.empty:
        lo, hi = events["created_utc"].min(), events["created_utc"].max()
        who = _who(rules)
        notes.append(
            f"Ticket events cover {lo:%Y-%m-%d %H:%M} to {hi:%Y-%m-%d %H:%M} UTC; tickets created "
            f"in that span count only with an event by a 311 representative ({who}; "
            f"{len(_rep_users(users, rules))} such users found)."
        )
    else:
        notes.append("No Zendesk ticket events were loaded: every ticket used the fallback rule.")
    return notes


def _who(rules: TicketRules) -> str:
    """Who the profile takes for a 311 representative, in words."""
    parts = []
    if rules.agent_user_field:
        value = repr(rules.agent_user_value) if rules.agent_user_value else "set"
        parts.append(f"users whose custom field {rules.agent_user_field!r} is {value}")
    if rules.agent_group_ids or rules.agent_tags:
        who = "agents/admins in groups " + (", ".join(map(str, rules.agent_group_ids)) or "(none)")
        parts.append(who + " or tagged " + (", ".join(rules.agent_tags) or "(none)"))
    return " or ".join(parts) or "any agent or admin"
