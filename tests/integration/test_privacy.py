"""No resident personal data leaves a loader: canaries planted in every personal field.

Every format gets canary values in each field that can hold personal data (Zendesk requester,
e-mail, subject, description and comments in CSV and JSON, ``via.source.from``, users' name,
e-mail and phone; an Avaya caller-number column; Amazon Connect ``CustomerEndpoint.Address``
and ``Attributes.*``). Each command runs into a temporary folder; every file written there,
plus stdout and stderr, is searched for every canary.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contacts311.cli import COMMANDS, main

CANARIES = {
    "name": "Zyxwcanary Quillfeather",
    "email": "zq.canary81@leak.example",
    "phone": "5035550987",
    "ani": "9715550142",
    "subject": "CANARYSUBJECT41",
    "description": "CANARYDESCRIPTION42",
    "comment": "CANARYCOMMENT43",
    "address": "1120 Canarywood Lane",
    "attribute": "CANARYATTRIBUTE44",
    "via_from": "viafrom.canary@leak.example",
}
C = CANARIES


def _zendesk_csv() -> str:
    header = (
        "ID,Requester,Requester ID,Requester external id,Requester email,Requester domain,"
        "Submitter,Assignee,Group,Subject,Description,Tags,Status,Priority,Via,Ticket type,"
        "Created at,Updated at,Replies,Latest comment,Resident phone [text],Contact Type [list]"
    )
    rows = [
        f"101,{C['name']},9001,ext-1,{C['email']},leak.example,{C['name']},Agent A,PDX311,"
        f'{C["subject"]},"{C["description"]} call {C["phone"]}",email,Solved,Normal,Mail,Question,'
        f'2023-08-01 10:00:00,2023-08-02 10:00:00,1,"{C["comment"]}",{C["phone"]},Email',
        f"102,{C['name']},9002,,{C['email']},leak.example,{C['name']},Agent A,PDX311,"
        f"{C['subject']},{C['description']},,Closed,Normal,Web form,Question,"
        f"2023-08-03 10:00:00,2023-08-04 10:00:00,1,{C['comment']},{C['phone']},Webform",
    ]
    return "\n".join([header, *rows]) + "\n"


def _zendesk_json() -> dict[str, str]:
    person = {"name": C["name"], "email": C["email"], "phone": C["phone"]}
    tickets = [
        {
            "id": 201,
            "created_at": "2023-09-05T17:00:00Z",
            "updated_at": "2023-09-06T17:00:00Z",
            "subject": C["subject"],
            "description": C["description"],
            "raw_subject": C["subject"],
            "requester": person,
            "via": {
                "channel": "email",
                "source": {"from": {"name": C["name"], "address": C["via_from"]}},
            },
            "status": "solved",
            "tags": [],
            "custom_fields": [{"id": 5, "value": "email"}, {"id": 6, "value": C["address"]}],
        },
        {
            "id": 202,
            "created_at": "2023-09-07T17:00:00Z",
            "updated_at": "2023-09-08T17:00:00Z",
            "subject": C["subject"],
            "description": C["description"],
            "via": {"channel": "web", "source": {"from": {"address": C["via_from"]}}},
            "status": "open",
            "tags": [],
            "custom_fields": [{"id": 5, "value": "webform"}],
        },
    ]
    events = [
        {
            "id": 1,
            "ticket_id": 201,
            "updater_id": 7,
            "created_at": "2023-09-05T18:00:00Z",
            "child_events": [{"body": C["comment"], "author": person}],
        },
        {
            "id": 2,
            "ticket_id": 202,
            "updater_id": 7,
            "created_at": "2023-09-07T18:00:00Z",
            "child_events": [{"body": C["comment"]}],
        },
    ]
    users = [
        {
            "id": 7,
            "role": "agent",
            "default_group_id": 1,
            "tags": ["pdx311_rep"],
            "name": "Agent A",
            "email": "agent@city.example",
        },
        {
            "id": 8,
            "role": "end-user",
            "name": C["name"],
            "email": C["email"],
            "phone": C["phone"],
            "notes": C["address"],
            "tags": [],
        },
    ]
    return {
        "zendesk/tickets.ndjson": "\n".join(json.dumps(t) for t in tickets) + "\n",
        "zendesk/ticket_events.ndjson": "\n".join(json.dumps(e) for e in events) + "\n",
        "zendesk/users.ndjson": "\n".join(json.dumps(u) for u in users) + "\n",
    }


def _avaya() -> str:
    return (
        "row_date,starttime,intrvl,acd,split,acdcalls,abncalls,ani,caller_name\n"
        f"2023-07-05,700,30,1,1,6,1,+1{C['ani']},{C['name']}\n"
        f"2023-07-05,730,30,1,1,4,0,+1{C['ani']},{C['name']}\n"
    )


def _amazon_connect() -> str:
    header = (
        "ContactId,Channel,InitiationMethod,InitiationTimestamp,DisconnectTimestamp,Queue.Name,"
        "Agent.ConnectedToAgentTimestamp,LastUpdateTimestamp,CustomerEndpoint.Address,"
        "Attributes.callerName,Attributes.notes"
    )
    rows = [
        "1b4e28ba-2fa1-11d2-883f-0016d3cca427,VOICE,INBOUND,2023-10-02T16:00:00Z,"
        "2023-10-02T16:05:00Z,General,2023-10-02T16:00:30Z,2023-10-02T16:06:00Z,"
        f"+1{C['ani']},{C['name']},{C['attribute']}",
        "2c4e28ba-2fa1-11d2-883f-0016d3cca427,VOICE,INBOUND,2023-10-02T17:00:00Z,"
        "2023-10-02T17:05:00Z,General,,2023-10-02T17:06:00Z,"
        f"+1{C['phone']},{C['name']},{C['attribute']}",
    ]
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    files = {
        "zendesk/tickets_export.csv": _zendesk_csv(),
        **_zendesk_json(),
        "phone/hsplit.csv": _avaya(),
        "connect/ctr.csv": _amazon_connect(),
    }
    for name, text in files.items():
        path = data / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return data


def _leaks(text: str | bytes) -> list[str]:
    blob = text.encode("utf-8") if isinstance(text, str) else text
    low = blob.lower()
    return [k for k, v in CANARIES.items() if v.lower().encode() in low]


def test_canaries_are_planted(planted: Path):
    """The test data really holds every canary (else the search below proves nothing)."""
    found = set()
    for p in planted.rglob("*"):
        if p.is_file():
            found |= set(_leaks(p.read_bytes()))
    assert found == set(CANARIES)


def test_no_personal_data_in_any_output(planted: Path, tmp_path: Path, capsys, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    work = tmp_path / "cwd"
    work.mkdir()
    # Anything written relative to the working folder or to caches lands where it is searched.
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CONTACTS311_CACHE_DIR", raising=False)  # the read cache goes there too
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    commands = [
        ["totals", str(planted)],
        ["totals", str(planted), "--format", "csv"],
        ["totals", str(planted), "--format", "json"],
        ["ledger", str(planted)],
        ["ledger", str(planted), "--format", "csv"],
        ["ledger", str(planted), "--format", "json"],
        ["summary", str(planted)],
        ["summary", str(planted), "--format", "json"],
        [
            "export",
            "clearimpact",
            str(planted),
            "--measure-id",
            "100816783",
            "--out",
            str(out / "clearimpact.csv"),
        ],
    ]
    if "report" in COMMANDS:
        commands.append(["report", str(planted), "--out", str(out / "reports")])
    streams = []
    for argv in commands:
        code = main(argv)
        captured = capsys.readouterr()
        streams.append((argv, captured.out, captured.err))
        assert code in (0, 1), (argv, captured.err)
        if argv[0] != "report":
            assert code == 0, (argv, captured.err)
    # The planted files were really read: every file has rows, and contacts were counted.
    ledger = json.loads(next(o for a, o, _ in streams if a[0] == "ledger" and "json" in a))
    assert len(ledger) == 6
    assert all(row["rows_read"] > 0 for row in ledger)
    assert {row["format"] for row in ledger} == {"zendesk", "avaya_cms", "amazon_connect"}
    totals = json.loads(next(o for a, o, _ in streams if a[0] == "totals" and "json" in a))
    assert sum(int(r["total"]) for r in totals) > 0
    for argv, stdout, stderr in streams:
        assert _leaks(stdout + stderr) == [], (argv, _leaks(stdout + stderr))
    written = [
        p for root in (out, work, tmp_path / "cache") for p in root.rglob("*") if p.is_file()
    ]
    assert written, "nothing was written"
    if "report" in COMMANDS:
        assert any(p.suffix == ".html" for p in written)
    assert any(p.suffix == ".pickle" for p in written), "the read cache was not searched"
    for p in written:
        assert _leaks(p.read_bytes()) == [], (p, _leaks(p.read_bytes()))
