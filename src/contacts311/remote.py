"""Data folders in object stores: ``abfs://`` / ``az://`` (Azure) and ``s3://`` (S3), via fsspec.

A remote folder is read by copying its objects, read-only, into a private local folder for
the length of one load (:func:`local_copy`): every source then reads them as it reads any
local file (DuckDB, pyarrow, openpyxl and gzip all want a local path), and every message
names the object's URL, never the copy. Nothing is ever written, moved or deleted in the
store. A profile ``sources`` entry may be a URL too (:func:`local_sources`). An object the
read cache knows unchanged is not downloaded unless its bytes are needed
(:mod:`contacts311.remote_cache`).

Credentials come only from where each ecosystem keeps them: for Azure
``AZURE_STORAGE_CONNECTION_STRING``, or ``AZURE_STORAGE_ACCOUNT_NAME`` with
``AZURE_STORAGE_ACCOUNT_KEY`` (or the ``AZURE_*`` variables of DefaultAzureCredential); for
S3 the standard AWS variables, profiles and roles, with ``AWS_ENDPOINT_URL`` for an
S3-compatible store. No secret is ever printed: :func:`redact` scrubs every message.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import stat
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from filelock import FileLock

from contacts311 import remote_cache, remote_parquet
from contacts311.errors import InputError

__all__ = [
    "RemoteFolder",
    "RemoteObject",
    "filesystem",
    "is_remote",
    "list_objects",
    "list_source",
    "local_copy",
    "local_sources",
    "location",
    "parse_url",
    "redact",
]

#: URL scheme -> fsspec protocol.
SCHEMES = {"abfs": "abfs", "abfss": "abfs", "az": "abfs", "s3": "s3"}
#: Attempts at one request the store throttles (503, SlowDown) before giving up.
ATTEMPTS = 4
#: Seconds before the first retry; doubled at each further one.
BACKOFF_SECONDS = 0.25

_GLOB = re.compile(r"[*\[]")
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$", re.DOTALL)
#: Environment variables whose values are secrets, in whatever message they might turn up.
_SECRET_VARIABLES = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_CLIENT_SECRET",
    "AZURE_STORAGE_CLIENT_SECRET",
)
#: Secrets that arrive inside longer texts: a connection string's key or signature, a SAS, a
#: presigned URL's signature, an Authorization header.
_SECRET_PATTERNS = (
    re.compile(r"(?i)(AccountKey|SharedAccessSignature|SharedAccessKey)=[^;\s'\"]+"),
    re.compile(r"(?i)\b(sig|X-Amz-Signature|X-Amz-Security-Token|X-Amz-Credential)=[^&\s'\"]+"),
    re.compile(r"(?i)(Authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\n]+"),
    re.compile(r"(?i)(Signature=)[0-9a-f]+"),
)

_T = TypeVar("_T")
#: Whether a source reads a Parquet column, by its (dotted) name.
ColumnFilter = Callable[[str], bool]


@dataclass(frozen=True)
class RemoteFolder:
    """A folder in an object store.

    Attributes:
        scheme: The URL's scheme as written (``abfs``, ``az``, ``s3``).
        protocol: The fsspec protocol (``abfs`` or ``s3``).
        bucket: The container (Azure) or bucket (S3).
        prefix: The folder inside it, without leading or trailing ``/`` (``""``: all of it).
    """

    scheme: str
    protocol: str
    bucket: str
    prefix: str

    @property
    def url(self) -> str:
        """The folder as a URL, as every message and output names it."""
        return f"{self.scheme}://{self.root}"

    @property
    def root(self) -> str:
        """``bucket/prefix``, the folder's path for the filesystem."""
        return f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket

    def object_url(self, name: str) -> str:
        """The URL of the object ``name`` (relative to the folder)."""
        return f"{self.url}/{name}"


@dataclass(frozen=True)
class RemoteObject:
    """One object of a remote folder, as the store listed it.

    Attributes:
        name: Its path relative to the folder (``zendesk/tickets.csv``).
        key: Its full path for the filesystem (``bucket/prefix/zendesk/tickets.csv``).
        size: Its length in bytes.
        etag: The store's entity tag (changes whenever the object is rewritten).
        modified: Its modification time (seconds since the epoch; 0 when the store gives none).
    """

    name: str
    key: str
    size: int
    etag: str
    modified: float


def is_remote(path: str | os.PathLike[str] | None) -> bool:
    """Whether ``path`` names a folder in an object store (``abfs://``, ``az://``, ``s3://``)."""
    if path is None or isinstance(path, Path):
        return False
    match = _URL.match(os.fspath(path))
    return bool(match) and match.group("scheme").lower() in SCHEMES


def location(text: str | os.PathLike[str]) -> str | Path:
    """A data folder as given: a URL stays text, anything else becomes a :class:`Path`.

    ``Path("s3://bucket/x")`` would fold the ``//``: a URL must never pass through it.
    """
    return os.fspath(text) if is_remote(os.fspath(text)) else Path(text)


def parse_url(url: str) -> RemoteFolder:
    """The :class:`RemoteFolder` a URL names.

    Raises:
        InputError: An unknown scheme, no container or bucket, or credentials written into
            the URL (they belong in the environment, never on a command line).
    """
    match = _URL.match(url.strip())
    if not match or match.group("scheme").lower() not in SCHEMES:
        raise InputError(
            redact(url), "not a remote folder; expected abfs://CONTAINER/PATH or s3://BUCKET/PREFIX"
        )
    scheme = match.group("scheme").lower()
    rest = match.group("rest")
    if "?" in rest or "#" in rest or "@" in rest.split("/", 1)[0]:
        raise InputError(
            f"{scheme}://{redact(rest.split('?', 1)[0].split('@')[-1])}",
            "credentials or query strings do not belong in the URL; set them in the "
            "environment (AZURE_STORAGE_CONNECTION_STRING, AWS_* variables or profiles)",
        )
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise InputError(url, f"no container or bucket; expected {scheme}://NAME/PATH")
    parts = [p for p in prefix.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise InputError(url, "'.' and '..' are not folders in an object store")
    return RemoteFolder(scheme, SCHEMES[scheme], bucket, "/".join(parts))


# --------------------------------------------------------------------------- secrets


def redact(text: object) -> str:
    """``text`` with every credential this process knows of replaced by ``***``.

    The values of the secret environment variables (AWS secret key and session token, Azure
    account key, SAS token, client secret) and the secret parts of a connection string, a
    SAS or a presigned URL are all scrubbed, wherever they appear.
    """
    out = str(text)
    for secret in _secret_values():
        out = out.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        out = pattern.sub(lambda m: (m.group(1) + "=***") if "=" not in m.group(1) else "***", out)
    return out


def _secret_values() -> list[str]:
    values = [os.environ.get(name, "") for name in _SECRET_VARIABLES]
    conn = os.environ.get("AZURE_STORAGE_CONNECTION_STRING", "")
    for part in conn.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() in ("accountkey", "sharedaccesssignature", "sharedaccesskey"):
            values.append(value.strip())
    # Longest first, so a secret that contains another is scrubbed whole; short values (an
    # empty or one-letter variable) would scrub ordinary words.
    return sorted((v for v in values if len(v) >= 8), key=len, reverse=True)


# --------------------------------------------------------------------------- the store


def filesystem(folder: RemoteFolder) -> Any:
    """An fsspec filesystem for ``folder``, with credentials from the environment only.

    The instance is never shared with another caller (fsspec caches them by arguments), so
    a changed key in the environment is always the one in use.
    """
    if folder.protocol == "s3":
        import s3fs

        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        fs = s3fs.S3FileSystem(
            endpoint_url=endpoint or None,
            skip_instance_cache=True,
            config_kwargs={"retries": {"max_attempts": 1, "mode": "standard"}},
        )
        # The bounded retry of _retrying handles throttling; s3fs's and botocore's own are
        # turned off so that the waits do not multiply.
        fs.retries = 1
        return fs
    import adlfs

    fs = adlfs.AzureBlobFileSystem(skip_instance_cache=True)
    _one_attempt(fs)
    return fs


def _one_attempt(fs: Any) -> None:
    """Turn the Azure SDK's own retries off: :func:`_retrying` is the one bounded loop.

    Left alone, the SDK waits 15 s, then 18 s and more before each of its 3 retries, and each
    of ours would repeat them. Every client adlfs makes shares these pipeline policies.
    """
    with contextlib.suppress(AttributeError):
        for policy in fs.service_client._pipeline._impl_policies:
            if hasattr(policy, "total_retries"):
                policy.total_retries = 0


def list_objects(folder: RemoteFolder, fs: Any | None = None) -> list[RemoteObject]:
    """Every object under ``folder``, sorted by name.

    Hidden, ``_``-prefixed and documentation objects are copied too: the survey of the local
    copy skips them into the ledger (``not_an_export``), exactly as for a local folder.

    Raises:
        InputError: The folder is missing or empty, or the store refused or failed.
    """
    fs = fs or filesystem(folder)
    found = _retrying(folder.url, lambda: fs.find(folder.root, detail=True))
    objects = []
    for key, info in sorted(found.items()):
        if info.get("type") == "directory":
            continue
        name = (
            key[len(folder.root) :].lstrip("/") if folder.root != key else PurePosixPath(key).name
        )
        if not name:
            continue
        objects.append(_object(name, key, info))
    if not objects and not _retrying(folder.url, lambda: fs.exists(folder.bucket)):
        raise InputError(folder.url, _fault_message("missing", FileNotFoundError(), 1))
    if not objects:
        raise InputError(
            folder.url,
            "no exports in this remote folder (or it does not exist); expected the channel "
            "exports, e.g. phone/ and zendesk/",
        )
    return objects


def _object(name: str, key: str, info: dict[str, Any]) -> RemoteObject:
    etag = str(info.get("ETag") or info.get("etag") or "").strip('"')
    modified = info.get("LastModified") or info.get("last_modified") or info.get("mtime")
    stamp = modified.timestamp() if hasattr(modified, "timestamp") else float(modified or 0)
    return RemoteObject(name, key, int(info.get("size") or 0), etag, stamp)


def local_copy(
    data_dir: str | os.PathLike[str] | None, reads: ColumnFilter | None = None
) -> contextlib.AbstractContextManager:
    """A context giving the local folder to read for ``data_dir``.

    A local folder (or ``None``) is given back as it is. A remote folder's objects are
    copied into a private folder (mode 0700) that is removed on leaving; within the
    context, an error or warning that names a copied file names its URL instead, with
    credentials scrubbed.

    Args:
        data_dir: A local folder, or a remote folder's URL.
        reads: Whether a source reads a Parquet column, by name: a Parquet object is then
            copied with those columns only (:mod:`contacts311.remote_parquet`).
    """
    if not is_remote(data_dir):
        return contextlib.nullcontext(data_dir)
    return _remote_copy(parse_url(os.fspath(data_dir)), reads)


@contextlib.contextmanager
def _remote_copy(folder: RemoteFolder, reads: ColumnFilter | None) -> Iterator[Path]:
    fs = filesystem(folder)
    objects = list_objects(folder, fs)
    with contextlib.ExitStack() as stack:
        yield _copied(stack, fs, folder, objects, folder.url, reads)


def list_source(url: str, fs: Any | None = None) -> tuple[RemoteFolder, list[RemoteObject]]:
    """The objects a profile ``sources`` URL chooses, and the folder their names are under.

    A URL whose last segments hold ``*`` or ``[...]`` is a glob over the objects of the folder
    before them (``**`` crosses folders; ``*`` does not, nor does it match a leading ``.``,
    as for a local glob). A URL without is one object, or else every object under that
    folder at any depth but the hidden ones (as the local ``FOLDER/**/*``).

    Raises:
        InputError: The URL is no remote folder, or the store refused, failed or holds nothing.
    """
    whole = parse_url(url)
    parts = whole.prefix.split("/") if whole.prefix else []
    first = next((i for i, p in enumerate(parts) if _GLOB.search(p)), len(parts))
    folder = RemoteFolder(whole.scheme, whole.protocol, whole.bucket, "/".join(parts[:first]))
    pattern = "/".join(parts[first:])
    fs = fs or filesystem(folder)
    objects = list_objects(folder, fs)
    if not pattern and len(objects) == 1 and objects[0].key == folder.root:
        # The URL names one object: its folder is the one above it.
        above = "/".join(parts[: first - 1])
        folder = RemoteFolder(whole.scheme, whole.protocol, whole.bucket, above)
        return folder, objects
    chosen = _glob_regex(pattern or "**/*")
    return folder, [o for o in objects if chosen.fullmatch(o.name)]


@contextlib.contextmanager
def local_sources(
    urls: list[str], reads: ColumnFilter | None = None
) -> Iterator[dict[str, list[tuple[str, Path]]]]:
    """A context copying the objects each profile ``sources`` URL chooses (see :func:`list_source`).

    ``reads`` is as for :func:`local_copy`.

    Yields:
        Each URL -> ``(object URL, local copy)`` of every object it chose, in name order.
        Within the context, errors and warnings name the objects' URLs, as in
        :func:`local_copy`; the copies are removed on leaving.
    """
    found: dict[str, list[tuple[str, Path]]] = {}
    with contextlib.ExitStack() as stack:
        for url in dict.fromkeys(urls):
            fs = filesystem(parse_url(url))
            folder, objects = list_source(url, fs)
            # Keyed by the entry's URL, not its folder's: two globs over one folder (or the
            # data folder itself) must not share, and lock, one copy.
            root = _copied(stack, fs, folder, objects, f"source {url}", reads)
            found[url] = [
                (folder.object_url(o.name), root.joinpath(*o.name.split("/"))) for o in objects
            ]
        yield found


def _copied(
    stack: contextlib.ExitStack,
    fs: Any,
    folder: RemoteFolder,
    objects: list[RemoteObject],
    key: str,
    reads: ColumnFilter | None = None,
) -> Path:
    """Copy ``objects`` into the private folder for ``key``, removed when ``stack`` closes."""
    root = _copy_root(key)
    # One load of a folder at a time: the copy's path is stable (the read cache knows an
    # unchanged object by its copy's path, size and time), so two loads must not share it.
    stack.enter_context(FileLock(f"{root}.lock"))
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(mode=stat.S_IRWXU)
    stack.callback(shutil.rmtree, root, ignore_errors=True)
    stack.callback(remote_cache.forget, root)
    stack.enter_context(_as_urls(root, folder))
    for obj in objects:
        url = folder.object_url(obj.name)
        key, mark = remote_cache.lookup(folder.protocol, url, obj.etag, obj.size, obj.modified)
        target = root.joinpath(*obj.name.split("/"))
        if mark is not None:
            # Seen before as it is now: downloaded only if its bytes are needed after all.
            remote_cache.placeholder(target, obj.size, obj.modified)
            fetch = functools.partial(_download, fs, folder, obj, root, reads)
            remote_cache.register(target, key, mark, fetch, obj.size)
        else:
            _download(fs, folder, obj, root, reads)
            remote_cache.register(target, key, remote_cache.Mark(), None, obj.size)
    return root


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob over object names: ``**`` any folders, ``*`` and ``[...]`` within one name."""
    out = []
    parts = pattern.split("/")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:[^/.][^/]*/)*")
            continue
        body = "" if part.startswith((".", "[.")) else "(?!\\.)"
        for piece in re.split(r"(\*|\[[^]]+\])", part):
            if piece == "*":
                body += "[^/]*"
            elif piece.startswith("[") and piece.endswith("]") and len(piece) > 2:
                inner = piece[1:-1]
                body += "[" + ("^" + inner[1:] if inner.startswith("!") else inner) + "]"
            else:
                body += re.escape(piece)
        out.append(body if last else body + "/")
    return re.compile("".join(out))


def _copy_root(key: str) -> Path:
    """Where ``folder`` is copied: a folder of this user's, that no one else can read."""
    base = Path(tempfile.gettempdir()) / f"contacts311-remote-{os.getuid()}"
    base.mkdir(mode=stat.S_IRWXU, exist_ok=True)
    state = base.lstat()
    if not stat.S_ISDIR(state.st_mode) or state.st_uid != os.getuid():
        raise InputError(base, "not a folder of this user's; remove it and run again")
    if stat.S_IMODE(state.st_mode) & (stat.S_IRWXG | stat.S_IRWXO):
        base.chmod(stat.S_IRWXU)
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return base / digest


def _download(
    fs: Any, folder: RemoteFolder, obj: RemoteObject, root: Path, reads: ColumnFilter | None
) -> None:
    """Copy one object to ``root``; an object rewritten while it was read is an error.

    A Parquet table is copied with only the columns ``reads`` accepts, when given.
    """
    url = folder.object_url(obj.name)
    target = root.joinpath(*obj.name.split("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    projected = False

    def fetch() -> None:
        nonlocal projected
        if reads is not None and remote_parquet.may_be_parquet(obj.name):
            projected = remote_parquet.copy_columns(fs, obj.key, target, reads)
            if projected:
                return
        with fs.open(obj.key, "rb", block_size=8 * 2**20) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 2**20)

    _retrying(url, fetch)
    after = _retrying(url, lambda: _object(obj.name, obj.key, fs.info(obj.key, refresh=True)))
    copied = after.size if projected else target.stat().st_size
    if copied != obj.size or after.size != obj.size or (obj.etag and after.etag != obj.etag):
        raise InputError(
            url,
            _fault_message("changed", RuntimeError(), 1),
        )
    if obj.modified:
        # The copy keeps the object's time, so the read cache knows an unchanged object.
        os.utime(target, (obj.modified, obj.modified))


@contextlib.contextmanager
def _as_urls(root: Path, folder: RemoteFolder) -> Iterator[None]:
    """Errors and warnings naming a file under ``root`` name its URL instead (and no secret)."""

    def to_url(text: object) -> str:
        return redact(str(text).replace(str(root), folder.url))

    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            try:
                yield
            finally:
                caught = list(records)
    except InputError as exc:
        raise type(exc)(to_url(exc.file), to_url(exc.message), exc.line, exc.column) from None
    except OSError as exc:
        raise InputError(to_url(exc.filename), _os_reason(exc)) from None
    finally:
        # Raised again once recording has stopped, so each warning is shown exactly once.
        for w in caught:
            warnings.warn(to_url(w.message), w.category, stacklevel=3)


def _os_reason(exc: OSError) -> str:
    return redact(exc.strerror or type(exc).__name__)


# --------------------------------------------------------------------------- faults


def _retrying(url: str, call: Callable[[], _T]) -> _T:
    """``call()``, retried with backoff while the store throttles; any failure as one line.

    Raises:
        InputError: Not found, access denied, throttled past :data:`ATTEMPTS`, unreachable.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return call()
        except InputError:
            raise
        except Exception as exc:
            kind = _fault(exc)
            if kind == "throttled" and attempt < ATTEMPTS:
                time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
                continue
            raise InputError(url, _fault_message(kind, exc, attempt)) from None
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _fault(exc: BaseException) -> str:
    """``missing``, ``denied``, ``throttled``, ``unreachable`` or ``other``, from the error."""
    text = f"{type(exc).__name__} {exc}"
    status = _status(exc)
    if type(exc).__name__ == "FileExpired" or "changed during the read" in text:
        return "changed"  # s3fs's own check: the ETag changed between two parts of a read
    if isinstance(exc, FileNotFoundError) or status == 404 or "NoSuchBucket" in text:
        return "missing"
    if isinstance(exc, PermissionError) or status in (401, 403) or "AccessDenied" in text:
        return "denied"
    throttle_words = ("SlowDown", "Throttl", "ServerBusy", "503", "Please reduce your request")
    if status in (429, 503) or any(w in text for w in throttle_words):
        return "throttled"
    unreachable = (
        "Connect",
        "connect",
        "Timeout",
        "timed out",
        "ServiceRequestError",
        "Server disconnected",
        "ServerDisconnected",
        "ClientPayloadError",
        "IncompleteRead",
        "ResponseStreamingError",
        "ServiceResponseError",
    )
    if any(w in text for w in unreachable):
        return "unreachable"
    return "other"


def _status(exc: BaseException) -> int | None:
    for candidate in (exc, exc.__cause__, exc.__context__):
        if candidate is None:
            continue
        code = getattr(candidate, "status_code", None)
        if isinstance(code, int):
            return code
        response = getattr(candidate, "response", None)
        if isinstance(response, dict):
            code = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if isinstance(code, int):
                return code
    return None


def _fault_message(kind: str, exc: BaseException, attempts: int) -> str:
    what = {
        "missing": "not found in the store (404); check the container or bucket and the path",
        "denied": "access denied (403); check the credentials in the environment "
        "(AZURE_STORAGE_CONNECTION_STRING or the AWS_* variables and profiles)",
        "throttled": f"the store is throttling requests (503 / SlowDown) and still was after "
        f"{attempts} attempts; try again later",
        "unreachable": "the store is unreachable or stopped answering during the read; "
        "check the network and the endpoint",
        "changed": "the object changed while it was read (its ETag differs from the "
        "listing's); run again once the upload is complete",
    }.get(kind)
    if what is None:
        reason = " ".join(redact(exc).split())[:200] or "no details"
        what = f"cannot read from the store ({type(exc).__name__}: {reason})"
    return what + "; nothing was published"
