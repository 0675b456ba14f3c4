"""Find the exports, read each with its source, and assemble the validated core table."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import pickle
import tempfile
import warnings
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from contacts311 import remote_cache, sources, wording
from contacts311._package import code_digest
from contacts311.errors import InputWarning, warn_input
from contacts311.inputs import (
    InputFile,
    cache_dir,
    cached_before,
    discover,
    remember_cached,
    sha256_future,
    skipped_notes,
    survey,
)
from contacts311.ledger import LEDGER_COLUMNS, uncounted_reasons
from contacts311.profile import Profile, resolve_profile
from contacts311.remote import is_remote, local_copy, local_sources
from contacts311.schema import empty_contacts, validate_contacts
from contacts311.sources._base import SourceResult, file_state
from contacts311.sources.population import bundled_population as _bundled_census

__all__ = ["Dataset", "InputFile", "cache_dir", "discover", "load"]

#: Bump when the cached form of a source's result changes.
_CACHE_VERSION = 3  # 3: counts rows carry is_monthly
#: Each cache entry starts with the SHA-256 digest of its pickled payload.
_CHECKSUM_BYTES = 32


@dataclass
class Dataset:
    """Everything loaded from one folder of exports.

    Attributes:
        contacts: The validated core table.
        ledger: Long ledger: ``source_file, format, bucket, reason, rows, contacts``.
        inputs: One row per file: ``source_file, format, sha256, bytes, rows_read``
            (``sha256`` is ``None`` when loaded with ``digests=False`` and no cache).
        notes: Sentences about rules and fallbacks, for reports.
        tables: Extra tables by kind (``intervals``, ``population``, ``forecast``, ``events``).
        columns: Each file's header, by ``source_file``.
        profile: The profile in force.
        population_note: Where ``tables["population"]`` came from when no export supplied it
            (the bundled Census figures), or why there is none; ``None`` when an export did.
    """

    contacts: pd.DataFrame
    ledger: pd.DataFrame
    inputs: pd.DataFrame
    notes: list[str]
    tables: dict[str, pd.DataFrame]
    columns: dict[str, list[str]]
    profile: Profile
    population_note: str | None = None


def fill_population(data: Dataset, bundled: bool = True) -> Dataset:
    """``data`` with a population table: its own, else (with ``bundled``) the bundled Census one.

    The bundled figures are the Census Bureau's Vintage 2023 county estimates for Oregon
    (2020-2023), chosen by ``profile.population.fips``; ``population_note`` says which was used.
    """
    own = data.tables.get("population")
    if own is not None and not own.empty:
        return dataclasses.replace(data, population_note=None)
    tables = {k: v for k, v in data.tables.items() if k != "population"}
    if bundled:
        table = _bundled_census(data.profile)
        if not table.empty:
            note = (
                "No population file was read: population comes from the Census Bureau Vintage "
                "2023 county estimates bundled with contacts311 (years 2020-2023)."
            )
            return dataclasses.replace(
                data, tables={**tables, "population": table}, population_note=note
            )
    note = (
        "Population and contacts per 1,000 are null: no population file was read (a Census "
        "co-estYYYY-alldata.csv or a year,population,source table)"
        + (
            f" and the bundled Oregon figures have no FIPS {data.profile.population.fips}."
            if bundled
            else "."
        )
    )
    return dataclasses.replace(data, tables=tables, population_note=note)


def _exclude_future(result: SourceResult, today: dt.date) -> dict[str, tuple[int, int]]:
    """Drop core rows dated after ``today`` from ``result``; (rows, contacts) moved per file.

    Done once here for every source, after deduplication, so a future-dated copy of a ticket
    still wins or loses against its other copies as usual. A core row stands for
    ``ledger_rows`` rows read when the source gives that column (aggregates such as Avaya
    skill-days), else for one row read.
    """
    c = result.contacts
    if c.empty:
        return {}
    future = (pd.to_datetime(c["contact_date"]) > pd.Timestamp(today)).to_numpy()
    if not future.any():
        return {}
    rows = c["ledger_rows"] if "ledger_rows" in c else pd.Series(1, index=c.index)
    part = pd.DataFrame(
        {
            "source_file": c.loc[future, "source_file"].astype("str"),
            "rows": rows[future].astype("int64"),
            "count": c.loc[future, "count"].astype("int64"),
            "contact_date": pd.to_datetime(c.loc[future, "contact_date"]),
        }
    )
    moved: dict[str, tuple[int, int]] = {}
    for name, g in part.groupby("source_file", sort=True):
        moved[name] = (int(g["rows"].sum()), int(g["count"].sum()))
        warn_input(
            name,
            f"{moved[name][0]} row(s) dated after today ({today.isoformat()}; latest "
            f"{g['contact_date'].max().date().isoformat()}) excluded as future_date",
        )
    result.contacts = c[~future].reset_index(drop=True)
    for kind, table in result.tables.items():
        # Derived tables (e.g. Avaya intervals for staffing) follow the core rows.
        if "contact_date" in table and not table.empty:
            keep = pd.to_datetime(table["contact_date"]) <= pd.Timestamp(today)
            result.tables[kind] = table[keep.to_numpy()].reset_index(drop=True)
    return moved


def _move_to_future(ledger: pd.DataFrame, moved: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """Move rows and contacts from each file's ``counted`` cells to ``excluded/future_date``.

    The core table does not say which counted reason a row had, so rows leave the file's
    counted cells largest first; the ledger still balances exactly.
    """
    if not moved:
        return ledger
    ledger = ledger.copy()
    extra = []
    for name, (rows, contacts) in moved.items():
        counted = ledger.index[
            (ledger["source_file"] == name) & (ledger["bucket"] == "counted")
        ].tolist()
        counted.sort(key=lambda i: -int(ledger.at[i, "rows"]))
        left_rows, left_contacts = rows, contacts
        for i in counted:
            take = min(left_rows, int(ledger.at[i, "rows"]))
            share = min(left_contacts, int(ledger.at[i, "contacts"]))
            ledger.at[i, "rows"] = int(ledger.at[i, "rows"]) - take
            ledger.at[i, "contacts"] = int(ledger.at[i, "contacts"]) - share
            left_rows -= take
            left_contacts -= share
        fmt = ledger.loc[ledger["source_file"] == name, "format"].iloc[0]
        extra.append(
            {
                "source_file": name,
                "format": fmt,
                "bucket": "excluded",
                "reason": "future_date",
                "rows": rows,
                "contacts": 0,
            }
        )
    ledger = ledger[~((ledger["bucket"] == "counted") & (ledger["rows"] == 0))]
    out = pd.concat([ledger, pd.DataFrame(extra, columns=LEDGER_COLUMNS)], ignore_index=True)
    return out.astype({"rows": "int64", "contacts": "int64"})


def _cache_key(fmt: str, group: list[InputFile], prof: Profile, shas: dict[str, str]) -> str:
    rules = {k: v for k, v in vars(prof).items() if k not in ("path", "base_dir", "sources")}
    h = hashlib.sha256(f"{_CACHE_VERSION}\0{code_digest()}".encode())
    h.update(fmt.encode())
    h.update(repr(rules).encode())
    for f in group:
        h.update(f"{f.name}\0{shas[f.name]}\0{sorted(f.options.items())!r}\n".encode())
    return h.hexdigest()


def _read_group(
    fmt: str,
    group: list[InputFile],
    prof: Profile,
    digests: Mapping[str, Future[str]],
    folder: Path | None,
) -> SourceResult:
    """Read one format's files, or take the result of an identical earlier read from the cache.

    The warnings a read raised are stored with it and raised again on a cache hit, so a
    recovered problem is never silenced by caching. The files' ``digests`` are waited for
    before the read only when these files were cached before (see :func:`cached_before`);
    otherwise they finish hashing while the files are read, and key the result stored after.
    """
    entry = None  # the cache entry, once the digests that key it are known
    if folder is not None and cached_before(folder, group):
        entry = folder / f"{_cache_key(fmt, group, prof, _wait(digests, group))}.pickle"
        cached = _read_cache(entry)
        if cached is not None:
            result, caught = cached
            for message, category in caught:
                warnings.warn(message, category, stacklevel=2)
            return result
    for f in group:  # an unchanged remote object's bytes are fetched only when read
        remote_cache.ensure_local(f.path)
    before = _states(group)
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        result = sources.get(fmt).read(group, prof)
    caught = [(str(w.message), w.category) for w in records]
    for message, category in caught:
        warnings.warn(message, category, stacklevel=2)
    # A file that changed while it was read and hashed may not match its digest: not cached.
    if folder is not None and before is not None and _states(group) == before:
        if entry is None:
            entry = folder / f"{_cache_key(fmt, group, prof, _wait(digests, group))}.pickle"
        if _write_cache(entry, (result, caught)):
            remember_cached(folder, group)
    return result


def _wait(digests: Mapping[str, Future[str]], group: list[InputFile]) -> dict[str, str]:
    return {f.name: digests[f.name].result() for f in group}


def _states(group: list[InputFile]) -> list[tuple[str, int, int]] | None:
    try:
        return [file_state(f.path) for f in group]
    except OSError:
        return None


def _read_cache(entry: Path) -> tuple[SourceResult, list] | None:
    """The stored ``(result, warnings)`` at ``entry`` if it is whole, else ``None``.

    Each entry starts with the SHA-256 of the rest, checked before anything is unpickled: a
    flipped bit must never become a figure (or crash the reader). A damaged entry is removed
    with a warning, and the files are read afresh.
    """
    try:
        blob = entry.read_bytes()
    except OSError:  # absent, or unreadable: a cache miss
        return None
    checksum, payload = blob[:_CHECKSUM_BYTES], blob[_CHECKSUM_BYTES:]
    if len(checksum) == _CHECKSUM_BYTES and hashlib.sha256(payload).digest() == checksum:
        try:
            return pickle.loads(payload)
        except Exception:  # whole but unreadable here (another version's classes): a miss
            return None
    warn_input(entry, "damaged cache entry (checksum mismatch): discarded, the files read afresh")
    with contextlib.suppress(OSError):
        entry.unlink()
    return None


def _write_cache(entry: Path, value: object) -> bool:
    """Store ``value`` at ``entry`` atomically, behind its checksum; whether it was stored."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(hashlib.sha256(payload).digest())
            fh.write(payload)
        os.replace(tmp, entry)  # atomic: a concurrent reader sees the old entry or the new one
    except OSError:
        # A read-only or full cache folder only costs speed.
        return False
    return True


def load(
    data_dir: str | Path | None = None,
    profile: Profile | str | Path | None = None,
    *,
    progress: bool = False,
    today: dt.date | None = None,
    cache: bool = True,
    digests: bool = True,
    bundled_population: bool = True,
) -> Dataset:
    """Read every export in ``data_dir`` (or the profile's sources) into one :class:`Dataset`.

    Args:
        data_dir: Folder of exports (a path, or an ``abfs://``, ``az://`` or ``s3://`` URL,
            see :mod:`contacts311.remote`); optional when the profile lists its sources.
        profile: A :class:`Profile`, a path to a YAML profile, or ``None`` for the PDX 311 default.
        progress: Print a progress bar on stderr while reading.
        today: Rows dated after this date are excluded as ``future_date`` (default: today in
            the profile's time zone).
        cache: Reuse what an earlier run read from byte-identical files under the same rules
            (see :func:`cache_dir`); the result is the same either way, only faster.
        digests: Hash every input (the ``sha256`` column of ``inputs``, which run history and
            reports record). ``False`` skips the hashing when no cache needs it as a key: the
            column is then empty (``None``) and no file is read twice.
        bundled_population: Without a population export, use the bundled Census figures for
            the profile's FIPS code (see :func:`fill_population`).

    Returns:
        The validated core table with its ledger, inputs and notes.

    Raises:
        InputError: A file cannot be read as its format (names file, line, column, expectation).
    """
    prof = resolve_profile(profile)
    folder = cache_dir() if cache else None
    # A remote folder, and each sources entry that is a URL, is read from a private local
    # copy made for this load (see remote).
    urls = [e.path for e in prof.sources if is_remote(e.path)]
    reads = sources.reads_parquet_column  # a remote Parquet table: only these columns
    with local_copy(data_dir, reads) as local_dir, local_sources(urls, reads) as fetched:
        found = survey(local_dir, prof, fetched)
        files = found.files
        results, shas = _read_formats(files, prof, folder, digests=digests, progress=progress)
        inputs = _inputs_table(files, shas, {})
        if folder is not None:  # the next load knows these remote objects without reading
            remote_cache.remember((f.path, shas.get(f.name)) for f in files)
    if today is None:
        today = dt.datetime.now(prof.tz).date()
    parts = _combine(results, today)
    inputs["rows_read"] = [parts.rows_read.get(name, 0) for name in inputs["source_file"]]
    # Files and folders not read are in the ledger too (0 rows), so none is dropped silently.
    if found.skipped:
        parts.ledgers.append(
            pd.DataFrame([s.ledger_row() for s in found.skipped], columns=LEDGER_COLUMNS)
        )
        parts.notes.extend(skipped_notes(found.skipped))
    data = Dataset(
        contacts=_core_table(parts.contacts),
        ledger=(
            pd.concat(parts.ledgers, ignore_index=True)
            if parts.ledgers
            else pd.DataFrame(columns=LEDGER_COLUMNS)
        ),
        inputs=inputs,
        notes=parts.notes,
        tables={k: pd.concat(v, ignore_index=True) for k, v in parts.tables.items()},
        columns=parts.columns,
        profile=prof,
    )
    _warn_if_nothing_counted(data.ledger)
    return fill_population(data, bundled_population)


def _warn_if_nothing_counted(ledger: pd.DataFrame) -> None:
    """Warn when rows were read but none gave a contact, naming the main exclusion reasons."""
    rows = int(ledger["rows"].sum())
    if rows and not int(ledger.loc[ledger["bucket"] == "counted", "contacts"].sum()):
        sentence = wording.nothing_counted_sentence(rows, uncounted_reasons(ledger))
        warnings.warn(sentence, InputWarning, stacklevel=3)


def _read_formats(
    files: list[InputFile], prof: Profile, folder: Path | None, *, digests: bool, progress: bool
) -> tuple[list[tuple[str, SourceResult]], dict[str, str]]:
    """Read each format's files (or take them from the cache); the results and the digests.

    Returns:
        ``(format, result)`` in the order the formats first appear in ``files``, and each
        file's SHA-256 by name (empty when neither ``digests`` nor the cache asks for them).
    """
    by_format: dict[str, list[InputFile]] = {}
    for f in files:
        by_format.setdefault(f.format, []).append(f)
    results: list[tuple[str, SourceResult]] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(files), desc="reading exports", unit="file", leave=False)
    # The files are hashed in background threads while they are read (or were already, when
    # the caller prefetched the digests). A format's hashes are awaited before its read only
    # when they key a cache lookup.
    hashing = (
        {f.name: sha256_future(f.path) for f in files} if digests or folder is not None else {}
    )
    try:
        for fmt, group in by_format.items():
            results.append((fmt, _read_group(fmt, group, prof, hashing, folder)))
            if bar is not None:
                bar.update(len(group))
    except BaseException:
        for future in hashing.values():  # a failed read need not wait for every hash
            future.cancel()
        raise
    shas = {name: future.result() for name, future in hashing.items()}
    if bar is not None:
        bar.close()
    return results, shas


@dataclass
class _Combined:
    """The formats' results gathered for one :class:`Dataset`, before the tables are joined."""

    contacts: list[pd.DataFrame] = dataclasses.field(default_factory=list)
    ledgers: list[pd.DataFrame] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    tables: dict[str, list[pd.DataFrame]] = dataclasses.field(default_factory=dict)
    columns: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    rows_read: dict[str, int] = dataclasses.field(default_factory=dict)


def _combine(results: list[tuple[str, SourceResult]], today: dt.date) -> _Combined:
    """Take rows dated after ``today`` out of every result, check each ledger and gather them.

    Raises:
        RuntimeError: A source's ledger does not balance (a bug in the source, not the input).
    """
    future = [_exclude_future(r, today) for _, r in results]
    out = _Combined(contacts=[r.contacts for _, r in results if not r.contacts.empty])
    for (fmt, r), moved in zip(results, future, strict=True):
        bad = r.ledger.unbalanced()
        if bad:
            raise RuntimeError(f"ledger does not balance for {fmt}: {'; '.join(bad)}")
        out.ledgers.append(_move_to_future(r.ledger.frame(), moved))
        out.rows_read.update(r.ledger.rows_read)
        for name, n in r.ledger.rows_read.items():
            if n == 0:
                warn_input(
                    name, "no data rows (a header only); listed in the ledger as no_data_rows"
                )
        out.notes.extend(r.notes)
        out.notes.extend(
            f"{name}: {n_rows:,} row(s) ({n_contacts:,} contacts) dated after {today.isoformat()} "
            "excluded as future_date: not in the totals."
            for name, (n_rows, n_contacts) in moved.items()
        )
        out.columns.update(r.columns)
        for kind, table in r.tables.items():
            out.tables.setdefault(kind, []).append(table)
    return out


def _core_table(contacts: list[pd.DataFrame]) -> pd.DataFrame:
    """The sources' core rows as one validated table, by date, channel and file."""
    table = (
        validate_contacts(pd.concat(contacts, ignore_index=True)) if contacts else empty_contacts()
    )
    return table.sort_values(["contact_date", "channel", "source_file"], kind="stable").reset_index(
        drop=True
    )


def _inputs_table(
    files: list[InputFile], shas: dict[str, str], rows_read: dict[str, int]
) -> pd.DataFrame:
    """One row per input file: its format, SHA-256 (when hashed), size and rows read."""
    return pd.DataFrame(
        [
            {
                "source_file": f.name,
                "format": f.format,
                "sha256": shas.get(f.name),
                "bytes": remote_cache.listed_size(f.path),
                "rows_read": rows_read.get(f.name, 0),
            }
            for f in files
        ],
        columns=["source_file", "format", "sha256", "bytes", "rows_read"],
    )
