"""The input files of a run: finding them, recognising their format, and their SHA-256.

Kept free of pandas, so a command can find its files and start hashing them (in background
threads) before the heavy libraries load.
"""

from __future__ import annotations

import difflib
import fnmatch
import glob
import hashlib
import os
import re
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from contacts311 import remote_cache, sources
from contacts311.errors import InputError, ProfileError
from contacts311.profile import Profile, SourceEntry
from contacts311.recognition import unrecognised
from contacts311.remote import RemoteObject, is_remote, list_source
from contacts311.sources._base import file_state, read_head

__all__ = [
    "IGNORED_REASON",
    "NOT_AN_EXPORT",
    "NOT_AN_EXPORT_FOLDERS",
    "NOT_AN_EXPORT_REASON",
    "InputFile",
    "Skipped",
    "Survey",
    "cache_dir",
    "cached_before",
    "candidate_files",
    "discover",
    "remember_cached",
    "sha256_file",
    "sha256_future",
    "skipped_notes",
    "survey",
]

#: File names (globs, matched case-insensitively) that are not exports, and what they are. Such
#: a file is skipped and listed in the ledger as ``not_an_export`` unless its first lines are a
#: known export's header: files are recognised by their header, never by their name alone.
NOT_AN_EXPORT = {
    "README*": "documentation",
    "*.md": "documentation",
    "*.rst": "documentation",
    "SOURCE*": "documentation",
    "LICENSE*": "licence",
    "LICENCE*": "licence",
    "*.yml": "settings",
    "*.yaml": "settings",
    "*.lock": "settings",
    ".DS_Store": "macOS folder settings",
    "Thumbs.db": "Windows thumbnail cache",
    "desktop.ini": "Windows folder settings",
    "~$*": "Office lock file",
}
#: Folder names never read (not opened), listed once in the ledger as ``not_an_export``.
NOT_AN_EXPORT_FOLDERS = {".ipynb_checkpoints": "notebook checkpoints"}

#: Ledger reasons of skipped files: built-in rules, and the profile's ``ignore`` globs.
NOT_AN_EXPORT_REASON = "not_an_export"
IGNORED_REASON = "ignored"
#: How many skipped names a note lists before "and N more".
_SHOWN = 20


@dataclass
class InputFile:
    """One file to read: where it is, how it is named in outputs, and its format."""

    path: Path
    name: str
    format: str
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    """A file or folder of the data folder that is not read, and why.

    Attributes:
        name: Path relative to the data folder; a folder's ends with ``/``.
        reason: The ledger reason: ``not_an_export`` or ``ignored`` (a profile ``ignore`` glob).
        why: What it is, for notes: ``documentation``, ``hidden``, ``ignore glob '*.pdf'``, ...
    """

    name: str
    reason: str
    why: str

    def ledger_row(self) -> dict[str, object]:
        """Its ledger entry: excluded, no rows, no format (no reader opened it)."""
        return {
            "source_file": self.name,
            "format": "",
            "bucket": "excluded",
            "reason": self.reason,
            "rows": 0,
            "contacts": 0,
        }


@dataclass
class Survey:
    """A data folder's files: those to read (with their format) and those skipped."""

    files: list[InputFile]
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class _Listing:
    """A folder walk: exports to sniff, not-an-export names to sniff first, entries skipped."""

    files: list[Path] = field(default_factory=list)
    named: dict[Path, str] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)


def candidate_files(
    data_dir: str | Path | None, profile: Profile
) -> list[tuple[str, Path | RemoteObject]]:
    """Every file a load may read, as ``(name, path)``, without opening any.

    The files :func:`discover` may read, so a report run can tell whether its inputs changed
    without reading an export. A file named like documentation (:data:`NOT_AN_EXPORT`) is one:
    whether it is an export is known only once its header is read. A ``sources`` entry whose
    path is a URL gives its objects as the store lists them (named by their URLs), nothing
    downloaded.

    Raises:
        InputError: No data folder and no ``sources`` in the profile, or a folder that is missing.
    """
    if profile.sources:
        base = _sources_base(data_dir, profile)
        found: dict[str, Path | RemoteObject] = {}
        for entry in profile.sources:
            if is_remote(entry.path):
                folder, objects = list_source(entry.path)
                found.update((folder.object_url(o.name), o) for o in objects)
            else:
                found.update((_name(p, base), p) for p in _matches(entry, base))
        return sorted(found.items(), key=lambda item: item[0])
    root = _data_root(data_dir)
    listing = _folder_files(root, profile.ignore)
    return [(_name(p, root), p) for p in sorted([*listing.files, *listing.named])]


def discover(data_dir: str | Path | None, profile: Profile) -> list[InputFile]:
    """List the files to read and the format of each (see :func:`survey`).

    Raises:
        InputError: A file no format recognises, or a folder or glob that matches nothing.
        ProfileError: A ``sources`` entry names an unknown format or matches no file.
    """
    return survey(data_dir, profile).files


def survey(
    data_dir: str | Path | None,
    profile: Profile,
    fetched: Mapping[str, list[tuple[str, Path]]] | None = None,
) -> Survey:
    """The files to read with the format of each, and the files and folders skipped.

    With ``sources`` in the profile, their globs are resolved against ``data_dir`` when given,
    else against the profile's folder, and choose the files exactly. An entry whose path is a
    URL reads the local copies ``fetched`` holds for it (from
    :func:`contacts311.remote.local_sources`), each named by its object's URL. Without, ``data_dir`` is
    scanned recursively and each file is recognised by its header. Skipped, each listed with
    its reason so the ledger shows it: files and folders whose names start with ``.`` or
    ``_``, :data:`NOT_AN_EXPORT_FOLDERS`, files named like :data:`NOT_AN_EXPORT` whose header
    is no export's, anything that is not a regular file (``not_an_export``), and whatever the
    profile's ``ignore`` globs match (``ignored``).

    Raises:
        InputError: A file no format recognises, or a folder or glob that matches nothing.
        ProfileError: A ``sources`` entry names an unknown format or matches no file.
    """
    if profile.sources:
        base = _sources_base(data_dir, profile)
        found: list[InputFile] = []
        for entry in profile.sources:
            _check_format(entry.format, profile)
            if is_remote(entry.path):
                found += _remote_entry(entry, fetched, profile)
                continue
            matches = _matches(entry, base)
            if not matches:
                raise ProfileError(
                    profile.path, f"sources entry {entry.path!r} matches no file under {base}"
                )
            found += [InputFile(p, _name(p, base), entry.format, entry.options) for p in matches]
        return Survey(found)
    root = _data_root(data_dir)
    listing = _folder_files(root, profile.ignore)
    out = []
    for p in sorted([*listing.files, *listing.named]):
        fmt, head = _recognise(p, p in listing.named)
        if fmt is None and p in listing.named:
            listing.skipped.append(Skipped(_name(p, root), NOT_AN_EXPORT_REASON, listing.named[p]))
        elif fmt is None:
            raise unrecognised(p, head)
        else:
            out.append(InputFile(p, _name(p, root), fmt))
    skipped = sorted(listing.skipped, key=lambda s: s.name)
    if not out:
        seen = f" (skipped: {_names(skipped, 5)})" if skipped else ""
        raise InputError(
            root,
            f"no exports in this folder{seen}; expected the channel exports, e.g. phone/ and "
            "zendesk/ (hidden files, names starting with '_', documentation and the profile's "
            "ignore globs are skipped)",
        )
    return Survey(out, skipped)


def _recognise(path: Path, named: bool) -> tuple[str | None, str]:
    """The format ``path``'s header says and the header (``""`` when a mark said it unread)."""
    known = remote_cache.known_format(path)
    if known or (known == "" and named):  # an unchanged remote object, recognised before
        return known or None, ""
    remote_cache.ensure_local(path)
    head = read_head(path)
    fmt = sources.sniff(head)
    remote_cache.note_format(path, fmt)
    return fmt, head


def skipped_notes(skipped: list[Skipped]) -> list[str]:
    """One sentence per ledger reason naming the files and folders skipped, for notes."""
    notes = []
    for reason, label in (
        (NOT_AN_EXPORT_REASON, "Skipped as not exports"),
        (IGNORED_REASON, "Skipped by the profile's ignore globs"),
    ):
        part = [s for s in skipped if s.reason == reason]
        if part:
            notes.append(f"{label} (ledger reason {reason}, no rows read): {_names(part)}.")
    return notes


def _names(skipped: list[Skipped], shown: int = _SHOWN) -> str:
    text = ", ".join(f"{s.name} ({s.why})" for s in skipped[:shown])
    return text + (f" and {len(skipped) - shown} more" if len(skipped) > shown else "")


def _check_format(fmt: str, profile: Profile) -> None:
    if fmt not in sources.FORMATS:
        known = sorted(sources.FORMATS)
        close = difflib.get_close_matches(fmt, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ProfileError(
            profile.path, f"unknown source format {fmt!r}{hint} (known: {', '.join(known)})"
        )


def _remote_entry(
    entry: SourceEntry, fetched: Mapping[str, list[tuple[str, Path]]] | None, profile: Profile
) -> list[InputFile]:
    """The files of a ``sources`` entry whose path is a URL, from their local copies."""
    if fetched is None or entry.path not in fetched:
        raise ProfileError(
            profile.path,
            f"sources entry {entry.path!r} is in an object store: it is read by a load "
            "(contacts311.pipeline.load), which copies its objects first",
        )
    if not fetched[entry.path]:
        raise ProfileError(profile.path, f"sources entry {entry.path!r} matches no object")
    return [InputFile(p, url, entry.format, entry.options) for url, p in fetched[entry.path]]


def _sources_base(data_dir: str | Path | None, profile: Profile) -> Path:
    return Path(data_dir) if data_dir is not None else (profile.base_dir or Path.cwd())


def _matches(entry: SourceEntry, base: Path) -> list[Path]:
    pattern = entry.path if Path(entry.path).is_absolute() else str(base / entry.path)
    if Path(pattern).is_dir():  # a folder: every file under it, as a folder URL's objects
        pattern = os.path.join(glob.escape(pattern), "**", "*")
    return sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())


def _data_root(data_dir: str | Path | None) -> Path:
    if data_dir is None:
        raise InputError(None, "no DATA_DIR given and the profile lists no sources")
    root = Path(data_dir)
    if not root.is_dir():
        raise InputError(root, "data folder does not exist")
    return root


def _folder_files(root: Path, ignore: list[str]) -> _Listing:
    """The files of a data folder to sniff, and the entries skipped (see :func:`survey`).

    Folder symlinks are followed (each real folder read once, so a loop ends); a folder or
    entry that cannot be read is an error, never a silent gap in the totals.
    """
    listing = _Listing()
    seen: set[tuple[int, int]] = set()
    globs = [(g, _glob_regex(g)) for g in ignore]

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
        kept = []
        for d in sorted(dirs):
            rel = _name(Path(folder, d), root)
            skip = _skip_folder(d, rel, globs)
            if skip is None:
                kept.append(d)
            else:
                listing.skipped.append(Skipped(f"{rel}/", *skip))
        dirs[:] = kept
        for n in names:
            _place(Path(folder, n), _name(Path(folder, n), root), globs, listing)
    return listing


def _skip_folder(name: str, rel: str, globs: list) -> tuple[str, str] | None:
    """``(reason, why)`` when a folder is not read, else ``None``."""
    known = {k.lower(): why for k, why in NOT_AN_EXPORT_FOLDERS.items()}.get(name.lower())
    if known:
        return NOT_AN_EXPORT_REASON, known
    if name.startswith((".", "_")):
        return NOT_AN_EXPORT_REASON, _private(name)
    for text, pattern in globs:
        if _ignored(pattern, text, name, rel, folder=True):
            return IGNORED_REASON, f"ignore glob {text!r}"
    return None


def _place(path: Path, rel: str, globs: list, listing: _Listing) -> None:
    """Put one file of the walk among the files to sniff, those named so, or those skipped."""
    why = _named_not_export(path.name)
    if path.name.startswith((".", "_")):
        listing.skipped.append(Skipped(rel, NOT_AN_EXPORT_REASON, why or _private(path.name)))
        return
    for text, pattern in globs:
        if _ignored(pattern, text, path.name, rel, folder=False):
            listing.skipped.append(Skipped(rel, IGNORED_REASON, f"ignore glob {text!r}"))
            return
    if not path.is_file():  # a socket, a fifo or a broken link is no export; say so
        if not path.exists():
            raise InputError(path, "broken link: it points to nothing; remove it or fix its target")
        listing.skipped.append(Skipped(rel, NOT_AN_EXPORT_REASON, "not a regular file"))
        return
    if why:
        listing.named[path] = why
    else:
        listing.files.append(path)


def _named_not_export(name: str) -> str | None:
    """What a file named ``name`` is when :data:`NOT_AN_EXPORT` names it, else ``None``."""
    lower = name.lower()
    for pattern, why in NOT_AN_EXPORT.items():
        if fnmatch.fnmatchcase(lower, pattern.lower()):
            return why
    return None


def _private(name: str) -> str:
    return "hidden" if name.startswith(".") else "set aside: its name starts with '_'"


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A profile ``ignore`` glob as a regular expression on a relative POSIX path.

    ``**`` crosses folders; ``*``, ``?`` and ``[...]`` do not. Matched case-insensitively.
    """
    body = pattern.strip().strip("/")
    out, i = [], 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        elif body[i] == "[" and "]" in body[i + 2 :]:
            close = body.index("]", i + 2)
            inner = body[i + 1 : close]
            out.append("[" + ("^" + inner[1:] if inner.startswith("!") else inner) + "]")
            i = close + 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    return re.compile("".join(out), re.IGNORECASE)


def _ignored(pattern: re.Pattern[str], text: str, name: str, rel: str, *, folder: bool) -> bool:
    """Whether an ``ignore`` glob matches: without ``/`` it matches a name at any depth.

    A glob ending in ``/`` matches folders only; a folder matched is skipped whole.
    """
    if text.strip().endswith("/") and not folder:
        return False
    anchored = "/" in text.strip().rstrip("/")  # a leading "/" anchors at the data folder
    return pattern.fullmatch(rel if anchored else name) is not None


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

    "As it is now" is its path, size and modification time; for a remote object's copy, the
    size is the object's as listed (:func:`contacts311.remote_cache.listed_size`). This is
    only a hint for when to wait for the digests, which key the cache: files seen before are
    hashed first, to look their result up; a file never seen is read at once and hashed
    alongside, and its result is stored under its digest all the same. A copy of a cached
    file under another path or time is read again, never wrongly reused.
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
    resolved, _, modified = file_state(path)
    # By the object's listed size, which its placeholder has too: a remote Parquet table's
    # copy holds only the columns read, so its own size is smaller.
    size = remote_cache.listed_size(path)
    key = "\0".join(str(part) for part in (resolved, size, modified))
    return folder / "seen" / hashlib.sha256(key.encode()).hexdigest()


def sha256_future(path: Path) -> Future[str]:
    """The SHA-256 (hex) of ``path``, computed in a background thread.

    An unchanged remote object's comes from its mark (:mod:`contacts311.remote_cache`).
    """
    known = remote_cache.digest(path)
    if known:
        done: Future[str] = Future()
        done.set_result(known)
        return done
    return _pool().submit(_local_sha256, path)


def _local_sha256(path: Path) -> str:
    remote_cache.ensure_local(path)  # a placeholder without a digest is downloaded first
    return sha256_file(path)
