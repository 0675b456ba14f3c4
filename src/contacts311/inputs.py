"""The input files of a run: finding them, recognising their format, and their SHA-256.

Kept free of pandas, so a command can find its files and start hashing them (in background
threads) before the heavy libraries load.
"""

from __future__ import annotations

import difflib
import glob
import hashlib
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from contacts311 import sources
from contacts311.errors import InputError, ProfileError
from contacts311.profile import Profile, SourceEntry
from contacts311.sources._base import file_state, is_parquet, read_head, xlsx_rows

__all__ = [
    "InputFile",
    "cache_dir",
    "cached_before",
    "candidate_files",
    "discover",
    "remember_cached",
    "sha256_file",
    "sha256_future",
]

#: Files skipped when scanning a folder: documentation and anything hidden or private.
_SKIP_SUFFIXES = {".md", ".txt.md", ".rst", ".yml", ".yaml", ".gitkeep", ".lock"}


@dataclass
class InputFile:
    """One file to read: where it is, how it is named in outputs, and its format."""

    path: Path
    name: str
    format: str
    options: dict = field(default_factory=dict)


def candidate_files(data_dir: str | Path | None, profile: Profile) -> list[tuple[str, Path]]:
    """Every file a load may read, as ``(name, path)``, without opening any.

    The same files :func:`discover` recognises, so a report run can tell whether its inputs
    changed without reading an export.

    Raises:
        InputError: No data folder and no ``sources`` in the profile, or a folder that is missing.
    """
    if profile.sources:
        base = _sources_base(data_dir, profile)
        found = {_name(p, base): p for entry in profile.sources for p in _matches(entry, base)}
        return sorted(found.items())
    root = _data_root(data_dir)
    return [(_name(p, root), p) for p in _folder_files(root)]


def discover(data_dir: str | Path | None, profile: Profile) -> list[InputFile]:
    """List the files to read and the format of each.

    With ``sources`` in the profile, their globs are resolved against ``data_dir`` when given,
    else against the profile's folder. Without, ``data_dir`` is scanned recursively (hidden
    files, names starting with ``_`` and documentation are skipped) and each file is
    recognised by its header.

    Raises:
        InputError: A file no format recognises, or a folder or glob that matches nothing.
        ProfileError: A ``sources`` entry names an unknown format or matches no file.
    """
    if profile.sources:
        base = _sources_base(data_dir, profile)
        found: list[InputFile] = []
        for entry in profile.sources:
            _check_format(entry.format, profile)
            matches = _matches(entry, base)
            if not matches:
                raise ProfileError(
                    profile.path, f"sources entry {entry.path!r} matches no file under {base}"
                )
            found += [InputFile(p, _name(p, base), entry.format, entry.options) for p in matches]
        return found
    root = _data_root(data_dir)
    files = _folder_files(root)
    if not files:
        raise InputError(
            root,
            "no exports in this folder (hidden files, names starting with '_' and documentation "
            "are skipped); expected the channel exports, e.g. phone/ and zendesk/",
        )
    out = []
    for p in files:
        head = read_head(p)
        fmt = sources.sniff(head)
        if fmt is None:
            raise _unrecognised(p, head)
        out.append(InputFile(p, _name(p, root), fmt))
    return out


def _check_format(fmt: str, profile: Profile) -> None:
    if fmt not in sources.FORMATS:
        known = sorted(sources.FORMATS)
        close = difflib.get_close_matches(fmt, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ProfileError(
            profile.path, f"unknown source format {fmt!r}{hint} (known: {', '.join(known)})"
        )


def _sources_base(data_dir: str | Path | None, profile: Profile) -> Path:
    return Path(data_dir) if data_dir is not None else (profile.base_dir or Path.cwd())


def _matches(entry: SourceEntry, base: Path) -> list[Path]:
    pattern = entry.path if Path(entry.path).is_absolute() else str(base / entry.path)
    return sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())


def _data_root(data_dir: str | Path | None) -> Path:
    if data_dir is None:
        raise InputError(None, "no DATA_DIR given and the profile lists no sources")
    root = Path(data_dir)
    if not root.is_dir():
        raise InputError(root, "data folder does not exist")
    return root


def _folder_files(root: Path) -> list[Path]:
    """The files of a data folder, less hidden and ``_``-prefixed entries and documentation.

    Folder symlinks are followed (each real folder read once, so a loop ends); a folder or
    entry that cannot be read is an error, never a silent gap in the totals.
    """
    files: list[Path] = []
    seen: set[tuple[int, int]] = set()

    def refuse(exc: OSError) -> None:
        raise InputError(
            exc.filename, f"cannot read this folder ({exc.strerror}); fix its permissions"
        )

    for folder, dirs, names in os.walk(root, onerror=refuse, followlinks=True):
        state = os.stat(folder)
        if (state.st_dev, state.st_ino) in seen:
            dirs[:] = []
            continue
        seen.add((state.st_dev, state.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        files += [Path(folder, n) for n in names if _is_export_name(Path(folder, n))]
    return sorted(files)


def _is_export_name(path: Path) -> bool:
    if path.name.startswith((".", "_")) or path.suffix.lower() in _SKIP_SUFFIXES:
        return False
    if path.name.lower() == "readme":
        return False
    if not path.is_file():  # a socket, a fifo or a broken link is no export; say so
        if not path.exists():
            raise InputError(path, "broken link: it points to nothing; remove it or fix its target")
        return False
    return True


def _unrecognised(path: Path, head: str) -> InputError:
    """The clearest error for a file no format accepts: empty, binary, wrong delimiter, other."""
    known = "known formats: " + ", ".join(sources.FORMATS)
    if path.stat().st_size == 0:
        return InputError(
            path,
            "empty file (0 bytes); expected an export with a header row (re-export it)",
            line=1,
        )
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            xlsx_rows(path, limit=1)
        except Exception:  # openpyxl raises many types for a damaged zip; all mean the same here
            return InputError(
                path, "not a readable .xlsx workbook; expected an Excel workbook (first worksheet)"
            )
    elif is_parquet(path) and not head:
        return InputError(
            path, "not a readable Parquet table (its schema cannot be read); re-export it"
        )
    elif not head:
        return InputError(
            path, "not a text export (binary content); expected CSV, TSV, JSON or .xlsx", line=1
        )
    first = next((line for line in head.splitlines() if line.strip()), "")
    hint = ""
    for delimiter, label in ((";", "semicolon"), ("|", "pipe")):
        if delimiter in first and "," not in first and "\t" not in first:
            hint = f"; the header looks {label}-delimited, expected comma- or tab-delimited"
    return InputError(
        path,
        f"not recognised as any known export (looked at the header){hint}; {known}",
        line=1,
    )


def _name(path: Path, base: Path) -> str:
    # Lexically first: a file reached through a folder symlink keeps the name it has under
    # the data folder, not its target's.
    try:
        name = path.relative_to(base).as_posix()
        if ".." in Path(name).parts:
            raise ValueError(name)
    except ValueError:
        try:
            name = path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            name = path.name
    # Under an ASCII locale, a non-ASCII name arrives with surrogate escapes that no output or
    # table can encode; names are bytes on disk, almost always UTF-8.
    return os.fsencode(name).decode("utf-8", "backslashreplace")


# --------------------------------------------------------------------------- SHA-256

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            # hashlib releases the GIL: files hash on other cores while this thread works.
            _POOL = ThreadPoolExecutor(
                max_workers=min(4, os.cpu_count() or 1), thread_name_prefix="contacts311-sha256"
            )
        return _POOL


def cache_dir() -> Path | None:
    """Where parsed exports are cached, or ``None`` when caching is off.

    ``CONTACTS311_CACHE_DIR`` names the folder (``off`` disables the cache); the default is
    ``$XDG_CACHE_HOME/contacts311`` (``~/.cache/contacts311``). The cache holds only what the
    loaders keep - counts, dates, ids, queue names, the ledger - never personal data, and is
    keyed by the files' SHA-256, the rules in force and the package's code, so a changed
    input, rule or release is always read afresh.
    """
    env = os.environ.get("CONTACTS311_CACHE_DIR", "")
    if env.lower() in ("off", "0", "false", "no"):
        return None
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "contacts311"


def cached_before(folder: Path, files: list[InputFile]) -> bool:
    """Whether every one of ``files``, as it is now, was read into the cache ``folder`` before.

    "As it is now" is its path, size and modification time. This is only a hint for when to
    wait for the digests, which key the cache: files seen before are hashed first, to look
    their result up; a file never seen is read at once and hashed alongside, and its result is
    stored under its digest all the same. A copy of a cached file under another path or time
    is read again, never wrongly reused.
    """
    try:
        return all(_seen_marker(folder, f.path).is_file() for f in files)
    except OSError:
        return False


def remember_cached(folder: Path, files: list[InputFile]) -> None:
    """Note that ``files``, as they are now, have their result in the cache ``folder``."""
    try:
        for f in files:
            marker = _seen_marker(folder, f.path)
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
    except OSError:  # a read-only or full cache folder only costs speed
        pass


def _seen_marker(folder: Path, path: Path) -> Path:
    key = "\0".join(str(part) for part in file_state(path))
    return folder / "seen" / hashlib.sha256(key.encode()).hexdigest()


def sha256_future(path: Path) -> Future[str]:
    """The SHA-256 (hex) of ``path``, computed in a background thread."""
    return _pool().submit(sha256_file, path)
