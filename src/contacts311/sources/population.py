"""``population`` — resident population by year, for contacts per 1,000 and population growth.

Two layouts, recognised by header:

* The Census Bureau county "alldata" file (``co-estYYYY-alldata.csv``): columns ``SUMLEV``,
  ``STATE``, ``COUNTY``, ``STNAME``, ``CTYNAME`` and one ``POPESTIMATEYYYY`` per year (1 July
  estimates). Both the Bureau's own form (Latin-1, zero-padded codes ``050``/``41``/``051``) and a
  spreadsheet re-save (UTF-8, unpadded ``50``/``51``, CRLF, no final newline) are read. The county
  is chosen by ``profile.population.fips`` (state + county, ``41051`` = Multnomah). The vintage is
  the latest ``POPESTIMATE`` year in the header (Vintage 2023 holds 2020-2023).
* A simple ``year,population,source`` table (e.g. Portland State University's certified
  estimates), optionally with a ``vintage`` column; without one, the ``source`` text is the vintage.

Output ``tables["population"]``: ``year, population, vintage, source, source_file``, one row per
year. When several files give the same year, an analyst's table beats the Census file and a newer
Census vintage beats an older one.

Ledger (population rows are evidence, never contacts, so nothing is ``counted``):
``excluded``/``supporting_record`` for the rows that supply the selected area's figures,
``excluded``/``other_area`` for other counties, states and the nation in an alldata file, and
``duplicate``/``superseded`` for rows of the selected area that another file overrides (or that
repeat the same year and value).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from contacts311.errors import InputError, InputWarning
from contacts311.inputs import InputFile
from contacts311.ledger import LedgerBuilder
from contacts311.sources._base import (
    SourceResult,
    cell,
    header_index,
    parse_count,
    read_table,
    refuse_wide_rows,
)

FORMAT = "population"
KIND = "population"
DESCRIPTION = "population by year: Census county alldata (co-estYYYY) or year,population,source"

__all__ = ["BUNDLED_FILE", "DESCRIPTION", "FORMAT", "KIND", "bundled_population", "read", "sniff"]

#: Oregon's rows of the Census Bureau's Vintage 2023 county file (public domain), shipped so the
#: PDX 311 profile (Multnomah County, FIPS 41051) has population figures without any input file.
BUNDLED_FILE = "profiles/census-co-est2023-alldata-oregon.csv"

POPULATION_COLUMNS = ["year", "population", "vintage", "source", "source_file"]
_CENSUS_REQUIRED = {"sumlev", "state", "county"}
_POPEST = re.compile(r"^popestimate(\d{4})$")


def _header_names(head: str) -> set[str]:
    first = next((ln for ln in head.lstrip("\ufeff").splitlines() if ln.strip()), "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    return {c.strip().strip('"').strip().lower() for c in first.split(delimiter)}


def _is_census(names: set[str]) -> bool:
    return names >= _CENSUS_REQUIRED and any(_POPEST.match(n) for n in names)


def sniff(head: str) -> bool:
    """A Census alldata header, or a table with ``year`` and ``population`` columns."""
    names = _header_names(head)
    return _is_census(names) or ({"year", "population"} <= names and "fiscal_year" not in names)


def read(files: list[InputFile], profile: Any) -> SourceResult:
    """Read population files and keep one figure per year for the profile's area.

    Args:
        files: :class:`contacts311.inputs.InputFile` items.
        profile: The profile; ``profile.population.fips`` selects the county in alldata files.

    Returns:
        No contacts; ``tables["population"]`` and the ledger.

    Raises:
        InputError: A missing column, a number that is not a whole number, or the same year
            given two different values at the same precedence.
    """
    ledger = LedgerBuilder(FORMAT)
    columns: dict[str, list[str]] = {}
    notes: list[str] = []
    fips = str(profile.population.fips).strip().zfill(5)
    candidates: list[dict[str, Any]] = []
    for file in files:
        path = Path(file.path)
        # The Bureau publishes Latin-1; reading it as Windows-1252 is exact for its letters,
        # so the generic "not UTF-8" warning would only be noise here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InputWarning)
            header, rows = read_table(path)
        columns[file.name] = header
        refuse_wide_rows(file.name, path, header, rows)
        ledger.read(file.name, len(rows))
        names = set(header_index(header))
        if _is_census(names):
            found = _read_census(file.name, header, rows, fips, ledger)
            if not found:
                notes.append(
                    f"{file.name}: no county with FIPS {fips} (population.fips in the profile)."
                )
        else:
            found = _read_simple(file.name, header, rows)
        candidates.extend(found)
    table = _resolve(candidates, ledger)
    if not table.empty:
        for (vintage, source), part in table.groupby(["vintage", "source"], sort=False):
            years = part["year"]
            # The Census files' source already names their vintage: say it once.
            label = source if str(vintage) in str(source) else f"{source} ({vintage})"
            notes.append(
                f"Population {int(years.min())}-{int(years.max())}: {label}, "
                f"{profile.population.area} (FIPS {fips}), 1 July estimates."
            )
    return SourceResult(
        contacts=pd.DataFrame(),
        ledger=ledger,
        notes=notes,
        tables={"population": table},
        columns=columns,
    )


def bundled_population(profile: Any) -> pd.DataFrame:
    """The bundled Census figures for ``profile.population.fips`` (empty outside Oregon).

    Args:
        profile: The profile; its ``population.fips`` selects the county.

    Returns:
        A ``tables["population"]``-shaped frame (Vintage 2023, years 2020-2023).
    """
    from importlib import resources
    from types import SimpleNamespace

    ref = resources.files("contacts311").joinpath(BUNDLED_FILE)
    with resources.as_file(ref) as path:
        file = SimpleNamespace(path=path, name=f"contacts311/{BUNDLED_FILE}", options={})
        return read([file], profile).tables["population"]


def _read_census(
    name: str, header: list[str], rows: list, fips: str, ledger: LedgerBuilder
) -> list[dict]:
    index = header_index(header)
    years = {int(m.group(1)): i for n, i in index.items() if (m := _POPEST.match(n))}
    vintage_year = max(years)
    vintage = f"Census Bureau Vintage {vintage_year}"
    source = f"U.S. Census Bureau, Population Estimates Program, co-est{vintage_year}-alldata"
    out = []
    for line, cells in rows:
        sumlev, state, county = (cell(cells, index[k]) for k in ("sumlev", "state", "county"))
        if not (sumlev.isdigit() and state.isdigit() and county.isdigit()):
            raise InputError(
                name, "SUMLEV, STATE and COUNTY must be numeric codes (e.g. 50, 41, 51)", line=line
            )
        # Padded (050/41/051) and unpadded (50/41/51) forms compare equal as integers.
        row_fips = f"{int(state):02d}{int(county):03d}"
        if int(sumlev) != 50 or row_fips != fips:
            ledger.add(name, "excluded", "other_area", 1)
            continue
        for year, i in sorted(years.items()):
            value = parse_count(cell(cells, i))
            if value is None:
                raise InputError(
                    name,
                    f"POPESTIMATE{year} {cell(cells, i)!r} is not a whole number",
                    line=line,
                    column=header[i],
                )
            out.append(
                {
                    "year": year,
                    "population": value,
                    "vintage": vintage,
                    "source": source,
                    "source_file": name,
                    "line": line,
                    "rank": (0, vintage_year),
                    "ledger_rows": 0,
                }
            )
        # One alldata row carries every year: it is the ledger row, attached to its first year.
        out[-len(years)]["ledger_rows"] = 1
    return out


def _read_simple(name: str, header: list[str], rows: list) -> list[dict]:
    index = header_index(header)
    for col in ("year", "population"):
        if col not in index:
            raise InputError(name, f"no {col!r} column; expected year,population,source", line=1)
    out = []
    for line, cells in rows:
        year_text = cell(cells, index["year"])
        if not re.fullmatch(r"\d{4}", year_text):
            raise InputError(
                name, f"year {year_text!r} is not a four-digit year", line=line, column="year"
            )
        value = parse_count(cell(cells, index["population"]))
        if value is None:
            raise InputError(
                name,
                f"population {cell(cells, index['population'])!r} is not a whole number",
                line=line,
                column="population",
            )
        source = cell(cells, index["source"]) if "source" in index else ""
        vintage = cell(cells, index["vintage"]) if "vintage" in index else ""
        source = source or name
        out.append(
            {
                "year": int(year_text),
                "population": value,
                "vintage": vintage or source,
                "source": source,
                "source_file": name,
                "line": line,
                "rank": (1, 0),
                "ledger_rows": 1,
            }
        )
    return out


def _resolve(candidates: list[dict], ledger: LedgerBuilder) -> pd.DataFrame:
    """One figure per year: the highest-precedence candidate; the rest go to ``duplicate``."""
    best: dict[int, dict] = {}
    for c in candidates:
        cur = best.get(c["year"])
        if cur is None or c["rank"] > cur["rank"]:
            best[c["year"]] = c
        elif c["rank"] == cur["rank"] and c["population"] != cur["population"]:
            raise InputError(
                c["source_file"],
                f"population for {c['year']} is {c['population']} here but {cur['population']} in "
                f"{cur['source_file']} line {cur['line']}; give each year once per source",
                line=c["line"],
            )
    kept = {id(c) for c in best.values()}
    # A Census row is one ledger row for all its years: it is supporting when any year is used.
    used_lines = {(c["source_file"], c["line"]) for c in best.values()}
    for c in candidates:
        if not c["ledger_rows"]:
            continue
        if id(c) in kept or (c["rank"][0] == 0 and (c["source_file"], c["line"]) in used_lines):
            ledger.add(c["source_file"], "excluded", "supporting_record", 1)
        else:
            ledger.add(c["source_file"], "duplicate", "superseded", 1)
    rows = sorted(best.values(), key=lambda c: c["year"])
    table = pd.DataFrame(rows, columns=POPULATION_COLUMNS)
    return table.astype(
        {
            "year": "int64",
            "population": "int64",
            "vintage": "string",
            "source": "string",
            "source_file": "string",
        }
    )
