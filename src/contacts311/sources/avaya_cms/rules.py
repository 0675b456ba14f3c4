"""The counting rules of a file: formula and skills, from the profile or the file's options."""

from __future__ import annotations

import pandas as pd

from contacts311.errors import InputError
from contacts311.inputs import InputFile
from contacts311.profile import PHONE_FORMULAS, Profile

_OPTIONS = {"formula", "skills", "exclude_skills"}

#: (formula, skills counted, skills excluded) of one file; skill sets hold ``_skill_key`` values.
Rules = tuple[str, set[str], set[str]]


def file_rules(f: InputFile, profile: Profile) -> Rules:
    """(formula, skills counted, skills excluded) for one file: the profile's, or its options."""
    options = dict(getattr(f, "options", None) or {})
    unknown = set(options) - _OPTIONS
    if unknown:
        raise InputError(
            f.name,
            f"unknown avaya_cms option(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_OPTIONS))}",
        )
    formula = str(options.get("formula", profile.phone.formula))
    if formula not in PHONE_FORMULAS:
        raise InputError(
            f.name, f"formula must be one of {', '.join(PHONE_FORMULAS)}, got {formula!r}"
        )

    def skill_set(value) -> set[str]:
        items = value if isinstance(value, list | tuple) else ([] if value is None else [value])
        return {_skill_key(str(v)) for v in items}

    skills = skill_set(options.get("skills", profile.phone.skills))
    excluded = skill_set(options.get("exclude_skills", profile.phone.exclude_skills))
    return formula, skills, excluded


def _skill_key(text: str) -> str:
    text = " ".join(text.split()).lower()
    return str(int(text)) if text.isdigit() else text


def _skill_names(data: pd.DataFrame) -> dict[str, str]:
    """Skill number -> name, from any export that shows names (the latest date's name wins)."""
    named = data[data["skill_name"].notna()].sort_values("contact_date", kind="stable")
    named = named.drop_duplicates("skill_id", keep="last")
    return dict(zip(named["skill_id"], named["skill_name"], strict=True))


def apply_skill_rules(data: pd.DataFrame, rules: dict[str, Rules]) -> pd.DataFrame:
    """Sets ``queue`` (name if known, else number) and excludes skills the rules leave out."""
    names = _skill_names(data)
    named = data["skill_id"].map(names).astype("str")
    data["queue"] = named.where(named.notna(), data["skill_id"])
    live = data["bucket"].eq("counted")
    if not any(skills or excluded for _, skills, excluded in rules.values()):
        return data
    # Match on distinct (number, name) pairs only: a skill filter is a few names, rows are many.
    pairs = data[["skill_id", "queue"]].drop_duplicates()
    id_key = pairs["skill_id"].map(_skill_key)
    name_key = pairs["queue"].map(_skill_key)
    for source_file, (_, skills, excluded) in rules.items():
        out = pd.Series(False, index=pairs.index)
        if skills:
            out |= ~(id_key.isin(skills) | name_key.isin(skills))
        if excluded:
            out |= id_key.isin(excluded) | name_key.isin(excluded)
        dropped = set(pairs.loc[out, "skill_id"])
        if dropped:
            mask = live & data["source_file"].eq(source_file) & data["skill_id"].isin(dropped)
            data.loc[mask, ["bucket", "reason"]] = ("excluded", "skill_not_counted")
    return data


def row_counts(data: pd.DataFrame, rules: dict[str, Rules]) -> pd.Series:
    """Each row's contribution under its file's formula (summed per skill-day later)."""
    formula = data["source_file"].map({k: v[0] for k, v in rules.items()})
    acd = data["acd_calls"].astype("int64")
    aban = data["abandoned_calls"].astype("int64")
    offered = data["calls_offered"]
    count = acd.where(formula.eq("acd_calls"), acd - aban)
    use_offered = formula.eq("calls_offered")
    if use_offered.any():
        count = count.where(~use_offered, offered.astype("Int64").fillna(0).astype("int64"))
    return count.astype("int64")


def rule_notes(profile: Profile, files: list[InputFile], rules: dict[str, Rules]) -> list[str]:
    """Sentences for reports: each file's own rules, where a file overrides the profile's.

    The profile's phone rule itself is stated by :meth:`Profile.rules_text`, once.
    """
    notes = []
    for f in sorted(files, key=lambda f: f.name):
        if getattr(f, "options", None):
            formula, skills_set, excluded = rules[f.name]
            notes.append(
                f"{f.name}: per-file rules: {PHONE_FORMULAS[formula]}; skills counted: "
                f"{', '.join(sorted(skills_set)) or 'all skills'}"
                + (f"; excluded: {', '.join(sorted(excluded))}" if excluded else "")
                + "."
            )
    return notes
