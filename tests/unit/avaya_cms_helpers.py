"""Shared inline exports and helpers of the Avaya CMS source tests."""

from __future__ import annotations

from pathlib import Path

from contacts311.pipeline import InputFile
from contacts311.profile import Profile
from contacts311.sources import avaya_cms
from contacts311.sources._base import SourceResult

TAB_REPORT = (
    "311 Multi-Day Multi-Skill\n"
    "Skills: 101; 102\n"
    "Dates: 07/01/2023 - 07/02/2023\n"
    "\n"
    "Date\tSplit/Skill\tSplit/Skill Name\tACD Calls\tAban Calls\tCalls Offered\n"
    "07/01/2023\t101\tGeneral\t120\t10\t130\n"
    "07/01/2023\t102\tSpanish\t15\t3\t18\n"
    "\n"
    "07/02/2023\t101\tGeneral\t90\t5\t95\n"
    "Totals\t\t\t225\t18\t243\n"
)

HSPLIT = (
    "row_date,starttime,intrvl,acd,split,acdcalls,abncalls,callsoffered,acdtime,acwtime,i_stafftime\n"
    "2023-07-03,700,30,1,101,4,1,5,600,120,1800\n"
    "2023-07-03,730,30,1,101,6,0,6,900,180,1800\n"
    "2023-07-03,700,30,1,102,2,3,5,200,40,1800\n"
    "2023-07-04,0,1440,1,101,50,7,57,,,\n"
)


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``folder/name``."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def read(
    folder: Path, names: list[str], profile: Profile | None = None, options: dict | None = None
) -> SourceResult:
    """Read the named files of ``folder`` as Avaya CMS exports."""
    files = [InputFile(folder / n, n, "avaya_cms", dict(options or {})) for n in names]
    return avaya_cms.read(files, profile or Profile())


def profile(**phone) -> Profile:
    """A default profile with the given ``phone`` rules."""
    prof = Profile()
    for key, value in phone.items():
        setattr(prof.phone, key, value)
    return prof


def counts(result: SourceResult) -> dict[tuple[str, str], int]:
    """(ISO date, queue) -> count of the result's core rows."""
    c = result.contacts
    return {
        (d.date().isoformat(), q): int(n)
        for d, q, n in zip(c["contact_date"], c["queue"], c["count"], strict=True)
    }


def bucket_rows(result: SourceResult, source_file: str) -> dict[tuple[str, str], int]:
    """(bucket, reason) -> rows of one file in the result's ledger."""
    led = result.ledger.frame()
    led = led[led["source_file"] == source_file]
    return {
        (b, r): int(n) for b, r, n in zip(led["bucket"], led["reason"], led["rows"], strict=True)
    }
