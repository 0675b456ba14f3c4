"""Find the exports, read each with its source, and assemble the validated core table."""

from __future__ import annotations

import glob
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from contacts311 import sources
from contacts311.errors import InputError, ProfileError
from contacts311.ledger import LEDGER_COLUMNS
from contacts311.profile import Profile, default_profile, load_profile
from contacts311.schema import empty_contacts, validate_contacts
from contacts311.sources._base import SourceResult, read_head

__all__ = ["Dataset", "InputFile", "discover", "load"]

#: Files skipped when scanning a folder: documentation and anything hidden or private.
_SKIP_SUFFIXES = {".md", ".txt.md", ".rst", ".yml", ".yaml", ".gitkeep", ".lock"}


@dataclass
class InputFile:
    """One file to read: where it is, how it is named in outputs, and its format."""

    path: Path
    name: str
    format: str
    options: dict = field(default_factory=dict)


@dataclass
class Dataset:
    """Everything loaded from one folder of exports.

    Attributes:
        contacts: The validated core table.
        ledger: Long ledger: ``source_file, format, bucket, reason, rows, contacts``.
        inputs: One row per file: ``source_file, format, sha256, bytes, rows_read``.
        notes: Sentences about rules and fallbacks, for reports.
        tables: Extra tables by kind (``intervals``, ``population``, ``forecast``, ``events``).
        columns: Each file's header, by ``source_file``.
        profile: The profile in force.
    """

    contacts: pd.DataFrame
    ledger: pd.DataFrame
    inputs: pd.DataFrame
    notes: list[str]
    tables: dict[str, pd.DataFrame]
    columns: dict[str, list[str]]
    profile: Profile


def _resolve_profile(profile: Profile | str | Path | None) -> Profile:
    if profile is None:
        return default_profile()
    if isinstance(profile, Profile):
        return profile
    return load_profile(profile)


def discover(data_dir: str | Path | None, profile: Profile) -> list[InputFile]:
    """List the files to read and the format of each.

    With ``sources`` in the profile, their globs are resolved against ``data_dir`` when given,
    else against the profile's folder. Without, ``data_dir`` is scanned recursively (hidden
    files, names starting with ``_`` and documentation are skipped) and each file is
    recognised by its header.

    Raises:
        InputError: A file no format recognises, or a folder or glob that matches nothing.
    """
    if profile.sources:
        base = Path(data_dir) if data_dir is not None else (profile.base_dir or Path.cwd())
        found: list[InputFile] = []
        for entry in profile.sources:
            pattern = entry.path if Path(entry.path).is_absolute() else str(base / entry.path)
            matches = sorted(
                Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file()
            )
            if not matches:
                raise ProfileError(
                    profile.path, f"sources entry {entry.path!r} matches no file under {base}"
                )
            for p in matches:
                found.append(InputFile(p, _name(p, base), entry.format, entry.options))
        return found
    if data_dir is None:
        raise InputError(None, "no DATA_DIR given and the profile lists no sources")
    root = Path(data_dir)
    if not root.is_dir():
        raise InputError(root, "data folder does not exist")
    files = [
        p
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
        and p.suffix.lower() not in _SKIP_SUFFIXES
        and p.name.lower() != "readme"
    ]
    out = []
    for p in files:
        fmt = sources.sniff(read_head(p))
        if fmt is None:
            raise InputError(
                p,
                "not recognised as any known export (looked at the header); known formats: "
                + ", ".join(sources.FORMATS),
                line=1,
            )
        out.append(InputFile(p, _name(p, root), fmt))
    return out


def _name(path: Path, base: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.name


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load(
    data_dir: str | Path | None = None,
    profile: Profile | str | Path | None = None,
    *,
    progress: bool = False,
) -> Dataset:
    """Read every export in ``data_dir`` (or the profile's sources) into one :class:`Dataset`.

    Args:
        data_dir: Folder of exports; optional when the profile lists its sources.
        profile: A :class:`Profile`, a path to a YAML profile, or ``None`` for the PDX 311 default.
        progress: Print a progress bar on stderr while reading.

    Returns:
        The validated core table with its ledger, inputs and notes.

    Raises:
        InputError: A file cannot be read as its format (names file, line, column, expectation).
    """
    prof = _resolve_profile(profile)
    files = discover(data_dir, prof)
    by_format: dict[str, list[InputFile]] = {}
    for f in files:
        by_format.setdefault(f.format, []).append(f)

    results: list[tuple[str, SourceResult]] = []
    steps = list(by_format.items())
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(files), desc="reading exports", unit="file", leave=False)
    for fmt, group in steps:
        module = sources.get(fmt)
        results.append((fmt, module.read(group, prof)))
        if bar is not None:
            bar.update(len(group))
    if bar is not None:
        bar.close()

    contacts = [r.contacts for _, r in results if not r.contacts.empty]
    ledgers = []
    notes: list[str] = []
    tables: dict[str, list[pd.DataFrame]] = {}
    columns: dict[str, list[str]] = {}
    rows_read: dict[str, int] = {}
    for fmt, r in results:
        bad = r.ledger.unbalanced()
        if bad:
            raise RuntimeError(f"ledger does not balance for {fmt}: {'; '.join(bad)}")
        ledgers.append(r.ledger.frame())
        rows_read.update(r.ledger.rows_read)
        notes.extend(r.notes)
        columns.update(r.columns)
        for kind, table in r.tables.items():
            tables.setdefault(kind, []).append(table)
    table = (
        validate_contacts(pd.concat(contacts, ignore_index=True)) if contacts else empty_contacts()
    )
    table = table.sort_values(
        ["contact_date", "channel", "source_file"], kind="stable"
    ).reset_index(drop=True)
    ledger = (
        pd.concat(ledgers, ignore_index=True) if ledgers else pd.DataFrame(columns=LEDGER_COLUMNS)
    )
    inputs = pd.DataFrame(
        [
            {
                "source_file": f.name,
                "format": f.format,
                "sha256": _sha256(f.path),
                "bytes": f.path.stat().st_size,
                "rows_read": rows_read.get(f.name, 0),
            }
            for f in files
        ],
        columns=["source_file", "format", "sha256", "bytes", "rows_read"],
    )
    return Dataset(
        contacts=table,
        ledger=ledger,
        inputs=inputs,
        notes=notes,
        tables={k: pd.concat(v, ignore_index=True) for k, v in tables.items()},
        columns=columns,
        profile=prof,
    )
