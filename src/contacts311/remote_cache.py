"""What the read cache knows of remote objects, so an unchanged object is not downloaded again.

A mark maps an object as the store lists it - the store (Azure account and blob endpoint, or
S3 endpoint), its URL, ETag, size and modification time - and the package's code to its
content's SHA-256 and, once its header was read, its format. The read cache is keyed by
content digests (see :mod:`contacts311.pipeline`); with a mark, a load knows an object's
digest without its bytes. Such an object gets a placeholder in the load's private copy (a
sparse file of its size and time) and is downloaded only if its bytes are needed after all:
its format is unknown, or the cache holds no result for it. A rewritten object has a new
ETag, so no mark, and is downloaded afresh.

Marks hold digests and format names only, under a file named by the SHA-256 of their key:
no credential is ever part of a key or written (the store is named by its account and
endpoint, never by a key, token or signature).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Mark",
    "digest",
    "ensure_local",
    "forget",
    "known_format",
    "listed_size",
    "lookup",
    "note_format",
    "placeholder",
    "register",
    "remember",
]

#: Bump when a mark's meaning changes.
_VERSION = 1


@dataclass
class Mark:
    """What is known of one object's content.

    Attributes:
        sha256: Its content's SHA-256 (``None``: never hashed, e.g. skipped by name).
        format: The format its header was recognised as, ``""`` for not an export, ``None``
            when its header was never read.
    """

    sha256: str | None = None
    format: str | None = None


@dataclass
class _Entry:
    key: str
    mark: Mark
    fetch: Callable[[], None] | None  # downloads a placeholder's object; None once local
    size: int | None = None  # the object's size as listed (a Parquet copy may be smaller)
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOCK = threading.Lock()
#: Every object copied (or held by a placeholder) in a load now running, by its local path.
_ENTRIES: dict[Path, _Entry] = {}


def _folder() -> Path | None:
    from contacts311.inputs import cache_dir  # inputs imports remote, which imports this

    base = cache_dir()
    return None if base is None else base / "remote"


def _store_name(protocol: str) -> str:
    """The store as its non-secret settings name it: endpoint and account, never a key."""
    if protocol == "s3":
        return "s3 " + (
            os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or "aws"
        )
    parts = dict(
        part.split("=", 1)
        for part in os.environ.get("AZURE_STORAGE_CONNECTION_STRING", "").split(";")
        if "=" in part
    )
    account = parts.get("AccountName") or os.environ.get("AZURE_STORAGE_ACCOUNT_NAME", "")
    endpoint = parts.get("BlobEndpoint") or parts.get("EndpointSuffix", "")
    return f"abfs {account} {endpoint}"


def lookup(
    protocol: str, url: str, etag: str, size: int, modified: float
) -> tuple[str, Mark | None]:
    """The mark key of an object as listed, and its :class:`Mark` (``None`` when none is kept).

    An object without an ETag or a time is never known: its key changes every run.
    """
    from contacts311._package import code_digest

    text = "\0".join(
        [str(_VERSION), _store_name(protocol), url, etag, str(size), repr(modified), code_digest()]
    )
    key = hashlib.sha256(text.encode()).hexdigest()
    folder = _folder()
    if folder is None or not etag or not modified:
        return key, None
    try:
        doc = json.loads((folder / f"{key}.json").read_text())
        return key, Mark(doc.get("sha256"), doc.get("format"))
    except (OSError, ValueError, AttributeError):  # absent or damaged: not known
        return key, None


def placeholder(path: Path, size: int, modified: float) -> None:
    """A sparse file of ``size`` bytes and time ``modified`` standing for an object not read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        fh.truncate(size)
    os.utime(path, (modified, modified))


def register(
    path: Path, key: str, mark: Mark, fetch: Callable[[], None] | None, size: int | None = None
) -> None:
    """Note an object of the running load: copied (``fetch`` is ``None``) or a placeholder.

    ``size`` is the object's as the store lists it, which :func:`listed_size` gives back.
    """
    with _LOCK:
        _ENTRIES[path] = _Entry(key, mark, fetch, size)


def listed_size(path: Path) -> int:
    """The size of the object ``path`` is the copy of, as listed; a local file's own size.

    A remote Parquet table's copy holds only the columns read, so its own size is not the
    object's: the inputs record the object's.
    """
    entry = _ENTRIES.get(path)
    return entry.size if entry is not None and entry.size is not None else path.stat().st_size


def forget(root: Path) -> None:
    """Drop the entries of the copy under ``root`` (the load is over)."""
    with _LOCK:
        for path in [p for p in _ENTRIES if root in p.parents]:
            del _ENTRIES[path]


def ensure_local(path: Path) -> None:
    """Download the object a placeholder at ``path`` stands for (nothing for any other file)."""
    entry = _ENTRIES.get(path)
    if entry is None:
        return
    # Held through the download: a second caller (a hashing thread) waits for the bytes.
    with entry.lock:
        if entry.fetch is not None:
            entry.fetch()
            entry.fetch = None


def known_format(path: Path) -> str | None:
    """The format a placeholder's object was recognised as (``""``: not an export), or ``None``.

    ``None`` also for a file that is local: its header is read as usual.
    """
    entry = _ENTRIES.get(path)
    return entry.mark.format if entry and entry.fetch is not None else None


def note_format(path: Path, fmt: str | None) -> None:
    """Keep the format ``path``'s header was recognised as (``None``: no export's)."""
    entry = _ENTRIES.get(path)
    if entry is not None:
        entry.mark.format = fmt or ""


def digest(path: Path) -> str | None:
    """The SHA-256 a placeholder's mark holds, or ``None`` when it must be hashed."""
    entry = _ENTRIES.get(path)
    return entry.mark.sha256 if entry and entry.fetch is not None else None


def remember(digests: Iterable[tuple[Path, str | None]]) -> None:
    """Keep the marks of the running load's objects, with the digests found for them.

    Called once a load has succeeded, with the read cache on; a mark that cannot be written
    only costs a download next time.
    """
    folder = _folder()
    if folder is None:
        return
    with _LOCK:
        for path, sha in digests:
            if path in _ENTRIES and sha:
                _ENTRIES[path].mark.sha256 = sha
        entries = list(_ENTRIES.values())
    if not entries:  # a local load: no folder of marks
        return
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        for entry in entries:
            _write(folder / f"{entry.key}.json", entry.mark)


def _write(target: Path, mark: Mark) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump({"sha256": mark.sha256, "format": mark.format}, fh)
    os.replace(tmp, target)
