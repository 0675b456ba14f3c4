"""The fake people of the sample: 311 representatives, other bureaus' agents, residents."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

FIRST_NAMES = (
    "Avery", "Jordan", "Rowan", "Emerson", "Harper", "Marisol", "Tobias", "Keiko", "Dmitri",
    "Lucia", "Anselm", "Priya", "Wendell", "Isolde", "Mateo", "Ngozi", "Thaddeus", "Yesenia",
    "Corwin", "Linnea",
)  # fmt: skip
LAST_NAMES = (
    "Quinlan", "Ashgrove", "Pellworth", "Okonkwo-Reyes", "Vandermolen", "Tsukada", "Brannigan",
    "Esquivel", "Holloway", "Marchetti", "Lindqvist", "Abernathy", "Castellano", "Fairweather",
    "Nakashima", "Oyelaran", "Winterbourne", "Delacroix-Ng", "Hargreave", "Soderberg",
)  # fmt: skip
REP_GROUP_ID = 360_010_001
_OTHER_GROUP_IDS = (360_010_002, 360_010_003)


@dataclass
class User:
    """A Zendesk user: a 311 representative, another bureau's agent, or a resident (end user)."""

    id: int
    name: str
    email: str
    phone: str
    role: str
    tags: list[str]
    group_id: int | None


#: (311 reps incl. one admin, agents of other bureaus, end users).
People = tuple[list[User], list[User], list[User]]


def make_people(rnd: random.Random) -> People:
    """(311 reps incl. one admin, agents of other bureaus, end users), all fake."""
    used: dict[str, int] = defaultdict(int)

    def person(uid: int, role: str, tags: list[str], group: int | None) -> User:
        first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
        handle = f"{first}.{last}".lower().replace("-", "")
        used[handle] += 1
        suffix = str(used[handle]) if used[handle] > 1 else ""
        phone = f"(503) 555-01{rnd.randrange(100):02d}"
        return User(
            uid, f"{first} {last}", f"{handle}{suffix}@example.org", phone, role, tags, group
        )

    reps = [person(1001 + i, "agent", ["pdx311_rep"], REP_GROUP_ID) for i in range(24)]
    reps.append(person(1100, "admin", ["pdx311_rep", "supervisor"], REP_GROUP_ID))
    others = [
        person(
            2001 + i, "agent", ["pbot_agent" if i % 2 else "water_agent"], _OTHER_GROUP_IDS[i % 2]
        )
        for i in range(8)
    ]
    ends = [person(500_001 + i, "end-user", [], None) for i in range(3000)]
    return reps, others, ends


def fake_pii_markers() -> list[str]:
    """Strings that mark the sample's fake personal data (full names, e-mail domain, phone prefix).

    None of them may appear in anything a loader returns.
    """
    names = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
    return ["example.org", "555-01", *names]
