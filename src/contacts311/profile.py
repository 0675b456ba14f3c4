"""Profiles: how an analyst tells the package about their 311 program.

A profile is a YAML file. Every key is optional; what is left out takes the PDX 311 defaults
(fiscal year from July, America/Los_Angeles). Paths in ``sources`` are relative to the
profile file, or URLs of objects in a store. Unknown keys are an error with a suggestion, so a typo never silently falls back
to a default.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contacts311.errors import ProfileError

__all__ = [
    "CheckRules",
    "PhoneRules",
    "PopulationRules",
    "Profile",
    "ServiceRules",
    "SourceEntry",
    "TicketRules",
    "default_profile",
    "load_profile",
    "resolve_profile",
]

PHONE_FORMULAS = {
    "acd_calls": "SUM(ACD Calls): calls answered by an agent (Avaya CMS's own meaning of ACD calls)",
    "acd_minus_abandoned": "SUM(ACD Calls) - SUM(Abandoned Calls): the formula published by PDX 311",
    "calls_offered": "SUM(Calls Offered): every call that reached the split/skill",
}

#: How contact records count a transferred call: once per resident's call, or once per leg.
PHONE_COUNTS = ("contact", "leg")


@dataclass
class PhoneRules:
    """Which phone calls count.

    Attributes:
        formula: One of ``acd_calls`` (default), ``acd_minus_abandoned`` (the published PDX 311
            formula) or ``calls_offered``.
        skills: Skill/split names or numbers that count; empty means every skill in the export.
        exclude_skills: Skills never counted (e.g. a dispatch or test skill).
        count: Contact-record sources (Amazon Connect): ``contact`` (default) counts a transferred
            call once, on its first leg; ``leg`` counts every answered leg.
    """

    formula: str = "acd_calls"
    skills: list[str] = field(default_factory=list)
    exclude_skills: list[str] = field(default_factory=list)
    count: str = "contact"

    def describe(self) -> str:
        """One sentence naming the rule in force."""
        return PHONE_FORMULAS[self.formula]


@dataclass
class TicketRules:
    """How Zendesk tickets become counted contacts.

    Attributes:
        channels: Channel name -> Contact Type values (matched case- and punctuation-insensitively).
            Tickets whose channel is in ``not_counted_channels`` are excluded.
        not_counted_channels: Channels read but not counted here (phone tickets are counted by
            the phone system).
        contact_type_field: Name of the custom field in the CSV export (``Contact Type [list]``).
        contact_type_field_id: Custom field id in the incremental export (``custom_fields``);
            when unset, a field whose value matches a configured contact type is used.
        agent_group_ids: Groups whose members are 311 representatives (incremental export).
        agent_tags: User tags that mark 311 representatives.
        agent_user_field: A Users custom field (key of ``user_fields``) that marks 311
            representatives, as the published definition identifies them; empty for none.
        agent_user_value: The value of ``agent_user_field`` that marks a representative
            (case-insensitive); empty: any value but empty, ``false``, ``0`` or ``no``.
        via_channels: Channel name -> ``via.channel`` values (``email``, ``web``, ``api``,
            ``mobile``, ...), for tickets with no contact type (accounts without that field).
        exclude_tags: Ticket tags that mark spam or test tickets.
    """

    channels: dict[str, list[str]] = field(
        default_factory=lambda: {
            "email": ["Email", "E-mail"],
            "webform": ["Webform", "Web form"],
            "in_person": ["In-Person", "In Person", "Walk-in"],
            "phone": ["Phone", "Voicemail"],
        }
    )
    not_counted_channels: list[str] = field(default_factory=lambda: ["phone"])
    contact_type_field: str = "Contact Type"
    contact_type_field_id: int | None = None
    agent_group_ids: list[int] = field(default_factory=list)
    agent_tags: list[str] = field(default_factory=list)
    agent_user_field: str = ""
    agent_user_value: str = ""
    via_channels: dict[str, list[str]] = field(default_factory=dict)
    exclude_tags: list[str] = field(default_factory=lambda: ["spam", "test", "test_ticket"])


@dataclass
class PopulationRules:
    """Which population series to compare with.

    Attributes:
        fips: Five-digit state+county FIPS code (Multnomah County, Oregon = 41051).
        area: Name shown in reports.
        year_of_period: ``start`` uses the 1 July estimate of the year a fiscal year starts in,
            ``end`` the year it ends in.
    """

    fips: str = "41051"
    area: str = "Multnomah County, Oregon"
    year_of_period: str = "start"


@dataclass
class ServiceRules:
    """When the program is open (for contacts per open day/hour and the undercount).

    Attributes:
        open_hour: Opening hour, local time.
        close_hour: Closing hour, local time.
        weekends_from: First date of weekend service (ISO); empty for weekdays only.
        front_desk_weekdays_only: The in-person desk is closed on weekends.
        closed_on_federal_holidays: Closed on U.S. federal holidays.
    """

    open_hour: int = 7
    close_hour: int = 20
    weekends_from: str = "2023-07-01"
    front_desk_weekdays_only: bool = True
    closed_on_federal_holidays: bool = True


@dataclass
class CheckRules:
    """What a report run does when its inputs look stale or their layout changed.

    Attributes:
        stale_inputs: ``warn`` or ``fail`` when a channel's data ends more than ``stale_days``
            earlier than in the previous successful run (e.g. a missing month of exports).
        stale_days: Tolerance in days for ``stale_inputs``.
        layout_change: ``warn`` or ``fail`` when a format's columns differ from the previous run's
            (e.g. a renamed column).
    """

    stale_inputs: str = "warn"
    stale_days: int = 7
    layout_change: str = "warn"


@dataclass
class SourceEntry:
    """One ``sources:`` entry: a glob and the format to read it as.

    Attributes:
        format: A registered format name (see ``contacts311 formats``).
        path: File or glob, relative to the profile file (or to DATA_DIR when one is given);
            or an ``abfs://``, ``az://`` or ``s3://`` URL (see
            :func:`contacts311.remote.list_source`).
        options: Format-specific settings (every other key of the entry).
    """

    format: str
    path: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Profile:
    """Everything the package needs to know about one 311 program.

    Attributes:
        program: Program name shown in reports.
        measure: Name of the headline measure.
        timezone: IANA time zone of the program.
        fiscal_year_start_month: First month of the fiscal year (7 = July).
        phone: Phone counting rules.
        tickets: Ticket counting rules.
        population: Population comparison settings.
        service: Opening hours.
        checks: Stale-input and layout-change checks of report runs.
        plan_tolerance_pct: Actuals "align closely" with the plan when every period is within
            this many percent of its forecast.
        sources: Files to read; empty means scan the data directory and recognise by header.
        ignore: Globs of files and folders a scanned data folder holds but that are not to be
            read (``*.pdf``, ``archive/``); listed in the ledger as ``ignored``.
        base_dir: Folder the ``sources`` paths are relative to (the profile's own folder).
        path: The profile file, or ``None`` for the built-in defaults.
    """

    program: str = "PDX 311"
    measure: str = "Contacts handled by 311"
    timezone: str = "America/Los_Angeles"
    fiscal_year_start_month: int = 7
    phone: PhoneRules = field(default_factory=PhoneRules)
    tickets: TicketRules = field(default_factory=TicketRules)
    population: PopulationRules = field(default_factory=PopulationRules)
    service: ServiceRules = field(default_factory=ServiceRules)
    checks: CheckRules = field(default_factory=CheckRules)
    plan_tolerance_pct: float = 10.0
    sources: list[SourceEntry] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    base_dir: Path | None = None
    path: Path | None = None

    @property
    def tz(self) -> ZoneInfo:
        """The program's time zone."""
        return ZoneInfo(self.timezone)

    def rules_text(self) -> list[str]:
        """The counting rules in force, one sentence each, for reports and ``ledger``."""
        skills = ", ".join(self.phone.skills) if self.phone.skills else "all skills"
        lines = [
            f"Phone: {self.phone.describe()}; skills counted: {skills}"
            + (
                f"; excluded: {', '.join(self.phone.exclude_skills)}"
                if self.phone.exclude_skills
                else ""
            )
            + ".",
            "Tickets: distinct ticket ids whose Contact Type maps to "
            + ", ".join(
                c for c in self.tickets.channels if c not in self.tickets.not_counted_channels
            )
            + "; deleted, merged (closed_by_merge), spam/test ("
            + ", ".join(self.tickets.exclude_tags)
            + ") and phone-type tickets excluded; the latest updated_at wins across exports.",
            f"Dates: local dates in {self.timezone}; fiscal year starts in month "
            f"{self.fiscal_year_start_month}.",
        ]
        return lines


_SECTIONS = {
    "phone": PhoneRules,
    "tickets": TicketRules,
    "population": PopulationRules,
    "service": ServiceRules,
    "checks": CheckRules,
}
_INTERNAL = {"base_dir", "path"}


def default_profile() -> Profile:
    """The bundled PDX 311 profile (``contacts311/profiles/pdx311.yml``)."""
    ref = resources.files("contacts311").joinpath("profiles/pdx311.yml")
    with resources.as_file(ref) as p:
        profile = load_profile(p)
    profile.path = None
    return profile


def resolve_profile(profile: Profile | str | Path | None) -> Profile:
    """``profile`` itself, the profile at that path, or the bundled one for ``None``."""
    if profile is None:
        return default_profile()
    if isinstance(profile, Profile):
        return profile
    return load_profile(profile)


def load_profile(path: str | Path) -> Profile:
    """Read and validate a YAML profile.

    Args:
        path: The profile file.

    Returns:
        The profile, with ``base_dir`` set to the file's folder.

    Raises:
        ProfileError: The file is missing, is not YAML, or has an unknown key or a bad value.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ProfileError(path, "profile file does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ProfileError(
            path,
            f"not valid YAML ({getattr(exc, 'problem', exc)})",
            line=mark.line + 1 if mark else None,
        ) from None
    except UnicodeDecodeError:
        raise ProfileError(path, "profile must be UTF-8 text") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ProfileError(path, "expected a mapping of settings at the top level")
    profile = _build(Profile, raw, path, "")
    profile.base_dir = path.resolve().parent
    profile.path = path
    _check(profile, path)
    return profile


def _build(cls: type, raw: dict[str, Any], path: Path, prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    allowed = {f.name for f in dataclasses.fields(cls)} - _INTERNAL
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = (
                f"; did you mean {close[0]!r}?"
                if close
                else f"; known keys: {', '.join(sorted(allowed))}"
            )
            raise ProfileError(path, f"unknown key {name!r}{hint}")
        if key == "sources":
            kwargs[key] = _sources(value, path)
        elif key in _SECTIONS and cls is Profile:
            if not isinstance(value, dict):
                raise ProfileError(path, f"{name!r} must be a mapping")
            kwargs[key] = _build(_SECTIONS[key], value, path, f"{name}.")
        else:
            kwargs[key] = _coerce(value, hints[key], path, name)
    return cls(**kwargs)


def _coerce(value: Any, hint: Any, path: Path, name: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
        return _coerce(value, hint, path, name)
    if origin is list:
        if value is None:
            return []
        if not isinstance(value, list):
            value = [value]
        return [_coerce(v, args[0], path, name) for v in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise ProfileError(path, f"{name!r} must be a mapping")
        return {str(k): _coerce(v, args[1], path, f"{name}.{k}") for k, v in value.items()}
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ProfileError(path, f"{name!r} must be true or false, got {value!r}")
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProfileError(path, f"{name!r} must be a number, got {value!r}")
        return hint(value)
    if hint is str:
        if isinstance(value, dict | list) or value is None:
            raise ProfileError(path, f"{name!r} must be text, got {value!r}")
        return str(value)
    return value


def _sources(value: Any, path: Path) -> list[SourceEntry]:
    if not isinstance(value, list):
        raise ProfileError(path, "'sources' must be a list of {format, path, ...} entries")
    entries = []
    for i, item in enumerate(value, start=1):
        if not isinstance(item, dict) or "format" not in item or "path" not in item:
            raise ProfileError(path, f"sources entry {i} needs 'format' and 'path'")
        options = {k: v for k, v in item.items() if k not in ("format", "path")}
        entries.append(
            SourceEntry(format=str(item["format"]), path=str(item["path"]), options=options)
        )
    return entries


def _check(profile: Profile, path: Path) -> None:
    if not 1 <= profile.fiscal_year_start_month <= 12:
        raise ProfileError(path, "'fiscal_year_start_month' must be 1-12")
    try:
        ZoneInfo(profile.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProfileError(
            path, f"'timezone' {profile.timezone!r} is not an IANA time zone"
        ) from None
    if profile.phone.formula not in PHONE_FORMULAS:
        raise ProfileError(
            path,
            f"'phone.formula' must be one of {', '.join(PHONE_FORMULAS)}, got {profile.phone.formula!r}",
        )
    if profile.phone.count not in PHONE_COUNTS:
        raise ProfileError(
            path,
            f"'phone.count' must be one of {', '.join(PHONE_COUNTS)}, got {profile.phone.count!r}",
        )
    if profile.population.year_of_period not in ("start", "end"):
        raise ProfileError(path, "'population.year_of_period' must be 'start' or 'end'")
    if not 0 <= profile.service.open_hour < profile.service.close_hour <= 24:
        raise ProfileError(path, "'service' hours must satisfy 0 <= open_hour < close_hour <= 24")
    for key in ("stale_inputs", "layout_change"):
        if getattr(profile.checks, key) not in ("warn", "fail"):
            raise ProfileError(path, f"'checks.{key}' must be 'warn' or 'fail'")
    if profile.checks.stale_days < 0:
        raise ProfileError(path, "'checks.stale_days' must not be negative")
    if profile.plan_tolerance_pct < 0:
        raise ProfileError(path, "'plan_tolerance_pct' must not be negative")
    if profile.ignore and profile.sources:
        # With sources the globs choose the files; an ignore list there would do nothing.
        raise ProfileError(
            path, "'ignore' applies to a scanned data folder; with 'sources', narrow their globs"
        )
    if any(not g.strip() for g in profile.ignore):
        raise ProfileError(path, "'ignore' globs must not be empty")
