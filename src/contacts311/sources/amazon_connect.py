"""Amazon Connect contact records (CSV with dotted column names, or JSON lines): answered calls.

Amazon Connect writes one contact record per contact and delivers it *at least once*: a record
may arrive again, later, with a newer ``LastUpdateTimestamp``. This source counts answered voice
calls per local day:

* records are deduplicated by ``ContactId`` across every file read, keeping the latest
  ``LastUpdateTimestamp`` (on a tie, the first one read); every other copy is a ``duplicate``
  in the ledger of the file it came from;
* the surviving record counts when ``Channel`` is ``VOICE`` (else ``not_voice``) and
  ``Agent.ConnectedToAgentTimestamp`` is present (else ``not_answered``);
* it counts on the local date (profile time zone) of its ``InitiationTimestamp``.

The core rows are aggregates per file, local date and ``Queue.Name`` (``contact_id`` empty,
``channel`` ``phone``); per-contact ids are needed only for deduplication and never leave.

Built for big centres (tens of millions of records): files are read in batches with
``pyarrow.csv`` / ``pyarrow.json`` (a big file in ~16 MiB byte ranges, one thread per core
taking them in turn), reading only the six columns counting needs (caller numbers, attributes
and every other column are never converted). Each record is reduced to 37 bytes of
fixed-width numbers (a 128-bit id key, the update time, the UTC quarter hour the call started
in, file, queue, class) and the records seen so far are compacted to one per ``ContactId``
whenever the pending ones outnumber them, so memory follows the number of distinct contacts,
not the size of the files.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from contacts311.errors import InputError
from contacts311.profile import Profile
from contacts311.schema import INTERVAL_COLUMNS as SCHEMA_INTERVAL_COLUMNS
from contacts311.sources._base import SourceResult, file_state, is_gzip, open_binary, read_head

if TYPE_CHECKING:  # pandas loads in the counting step: the read can start before it does
    import pandas as pd

    from contacts311.ledger import LedgerBuilder

__all__ = ["DESCRIPTION", "FORMAT", "KIND", "prefetch", "read", "sniff"]

FORMAT = "amazon_connect"
KIND = "contacts"
DESCRIPTION = (
    "Amazon Connect contact records (CSV with dotted columns such as Queue.Name, or JSON lines): "
    "answered VOICE calls per local day, deduplicated by ContactId (latest LastUpdateTimestamp)"
)

#: Meaning -> dotted column name (CSV header; JSON path split on the dot).
ID, CHANNEL, INITIATED, QUEUE, CONNECTED, UPDATED = (
    "ContactId",
    "Channel",
    "InitiationTimestamp",
    "Queue.Name",
    "Agent.ConnectedToAgentTimestamp",
    "LastUpdateTimestamp",
)
_NEEDED = (ID, CHANNEL, INITIATED, QUEUE, CONNECTED, UPDATED)
_REQUIRED = (ID, CHANNEL, INITIATED, CONNECTED, UPDATED)
_TIMESTAMPS = (INITIATED, UPDATED)

#: Record classes (the surviving copy of each contact lands in exactly one).
_COUNTED, _NOT_VOICE, _NOT_ANSWERED = 0, 1, 2
_REASONS = {_NOT_VOICE: "not_voice", _NOT_ANSWERED: "not_answered"}

#: Columns of the ``intervals`` table; call records carry no CMS wait totals.
INTERVAL_COLUMNS = {
    k: v for k, v in SCHEMA_INTERVAL_COLUMNS.items() if not k.endswith("_wait_seconds")
}

_BLOCK_BYTES = 4 << 20
#: Uncompressed files (CSV or JSON lines) at least this big are parsed in several ranges at once.
_SPLIT_BYTES = 64 << 20
#: Size of those ranges: many more ranges than cores, taken in turn by one thread per core, so
#: every core stays busy to the end of the file (two halves rarely finish together).
_RANGE_BYTES = 16 << 20
#: Reduced batches waiting for deduplication: enough for the parsing threads to go on while a
#: compaction runs (~0.6 MB each; the bound keeps memory flat).
_QUEUED_BATCHES = 64
#: Pending records a partition holds before its first compaction (~220 MB of them). Duplicates
#: are rare, so an earlier compaction would sort records that are nearly all distinct only for
#: the last one to sort them again; the bound keeps memory flat when contacts repeat a lot.
_MIN_COMPACT_ROWS = 6_000_000
#: After a compaction that kept at least this share of its rows (few duplicates), wait until
#: pending rows reach ``_SPARSE_GROWTH`` times the state: another compaction would barely
#: shrink it, and every compaction re-sorts the whole state.
_SPARSE_KEPT = 0.875
_SPARSE_GROWTH = 4
_MS_PER_DAY = 86_400_000
_QUARTER_HOUR_MS = 900_000
_INTERVAL_MINUTES = 30
_MISSING_MS = np.iinfo(np.int64).min  # a missing LastUpdateTimestamp loses to any present one

#: Runs of hex digits in a canonical UUID ``8-4-4-4-12``.
_UUID_RUNS = ((0, 8), (9, 13), (14, 18), (19, 23), (24, 36))
_ALL_ONES = np.uint64(0x0101010101010101)
_DASH = ord("-")


def sniff(head: str) -> bool:
    """True for a contact-record CSV header or a JSON-lines contact record.

    Args:
        head: The first lines of a file.
    """
    text = head.lstrip("\ufeff").lstrip()
    if not text:
        return False
    first = text.splitlines()[0]
    if first.startswith("{"):
        try:
            record = json.loads(first)
        except ValueError:
            return '"ContactId"' in first and '"InitiationTimestamp"' in first
        return isinstance(record, dict) and ID in record and INITIATED in record
    names = {_norm(c) for c in _split_header(first)}
    return _norm(ID) in names and _norm(INITIATED) in names


def read(files: list[Any], profile: Profile) -> SourceResult:
    """Count answered voice calls per local day, file and queue.

    Args:
        files: ``InputFile``-like objects (``path``, ``name``) of this format.
        profile: Supplies the time zone of the local dates.

    Returns:
        Aggregated core rows, the ledger and an ``intervals`` table (calls offered, answered
        and abandoned per local half hour and queue).

    Raises:
        InputError: A required column is missing, a ``ContactId`` or ``InitiationTimestamp`` is
            empty, or a timestamp cannot be read (the message names the file and line).
    """
    from contacts311.ledger import LedgerBuilder

    prefetched = _take_prefetched(files)
    scan = prefetched.result() if prefetched is not None else _scan(files)
    ledger = LedgerBuilder(FORMAT)
    names = [f.name for f in files]
    for name, rows, duplicates in zip(names, scan.rows, scan.duplicates, strict=True):
        ledger.read(name, rows)
        ledger.add(name, "duplicate", "duplicate", int(duplicates))
    contacts, intervals = _tally(scan.winners, names, scan.queues, profile.timezone, ledger)
    notes = [
        "Amazon Connect: answered VOICE calls (Agent.ConnectedToAgentTimestamp present), "
        f"deduplicated by ContactId keeping the latest LastUpdateTimestamp, counted on the "
        f"local date ({profile.timezone}) of InitiationTimestamp."
    ]
    return SourceResult(
        contacts=contacts,
        ledger=ledger,
        notes=notes,
        tables={"intervals": intervals},
        columns=scan.columns,
    )


def prefetch(files: list[Any]) -> Callable[[], None]:
    """Start reading ``files`` in a background thread, for the next :func:`read` of them to take.

    For a command that knows its files before it imports pandas: the parse then runs while
    pandas and pandera load. Only the same files, unchanged (path, name, size, modification
    time), are taken over; anything else is read afresh. An error is raised by that
    :func:`read`, in the same words.

    Returns:
        A function that stops the background read if no :func:`read` has taken it (call it
        when the command ends, so an unused read never holds up the exit).
    """
    try:
        key = _files_key(files)
    except OSError:  # gone or unreadable: the read reports it, in the reader's words
        return lambda: None
    cancel = threading.Event()
    future: Future[_Scan] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(_scan(files, cancel))
        except BaseException as exc:  # handed to the read that takes it over
            future.set_exception(exc)

    with _PREFETCH_LOCK:
        if key in _PREFETCHED:
            return lambda: None
        _PREFETCHED[key] = future
    threading.Thread(target=run, name="contacts311-connect-prefetch", daemon=True).start()

    def stop() -> None:
        cancel.set()
        with _PREFETCH_LOCK:
            if _PREFETCHED.get(key) is future:
                del _PREFETCHED[key]

    return stop


_PREFETCHED: dict[tuple, Future] = {}
_PREFETCH_LOCK = threading.Lock()


def _files_key(files: list[Any]) -> tuple:
    return tuple((f.name, *file_state(Path(f.path))) for f in files)


def _take_prefetched(files: list[Any]) -> Future | None:
    try:
        key = _files_key(files)
    except OSError:
        return None
    with _PREFETCH_LOCK:
        return _PREFETCHED.pop(key, None)


class _Cancelled(Exception):
    """A prefetched read was stopped before any read took it."""


@dataclass
class _Scan:
    """The files read and deduplicated, before counting (no pandas needed up to here)."""

    winners: list[dict[str, np.ndarray]]  # the surviving copy of each contact, per partition
    rows: list[int]  # rows read, per file
    duplicates: list[int]  # copies that lost, per file
    queues: list[str]  # queue names by code
    columns: dict[str, list[str]]  # each file's header


def _scan(files: list[Any], cancel: threading.Event | None = None) -> _Scan:
    """Read and deduplicate every record of ``files`` (stopping early once ``cancel`` is set)."""
    # Contacts are split by key into one partition per core, deduplicated and counted apart:
    # the last compaction and the counting then run on every core, not on one.
    states = [_Dedupe() for _ in range(_workers())]
    queues = _Codes()
    columns: dict[str, list[str]] = {}
    # Each file is read as one or more segments (consecutive byte ranges; big uncompressed files
    # are split so that every core parses). A record's "file" field holds its segment, whose
    # global number follows reading order: ties between equal LastUpdateTimestamps go to the
    # lower segment, i.e. the copy read first.
    segment_file: list[int] = []
    rows_per_file: list[int] = []
    for file_index, f in enumerate(files):
        path = Path(f.path)
        head = read_head(path)
        json_lines = head.lstrip("\ufeff").lstrip().startswith("{")
        if json_lines:
            batches = partial(_json_batches, path, _json_schema(head, columns, f.name))
        else:
            batches = partial(_csv_batches, path, _csv_plan(path, head, columns, f.name))
        ranges = _byte_ranges(path, _range_count(path), header=not json_lines)
        first = len(segment_file)
        segment_file.extend([file_index] * len(ranges))
        rows_per_file.append(_read_segments(path, batches, ranges, first, queues, states, cancel))
    _check(cancel)
    winners = _on_threads(_Dedupe.finish, states)
    to_file = np.asarray(segment_file, dtype=np.int32)
    duplicates = np.zeros(len(files), dtype=np.int64)
    for state, part in zip(states, winners, strict=True):
        part["file"] = to_file[part["file"]]
        np.add.at(duplicates, to_file[: len(state.duplicates)], state.duplicates[: len(to_file)])
    return _Scan(
        winners=winners,
        rows=rows_per_file,
        duplicates=[int(d) for d in duplicates],
        queues=queues.values,
        columns=columns,
    )


def _check(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise _Cancelled


# --------------------------------------------------------------------------- reading


def _norm(name: str) -> str:
    return name.strip().strip('"').strip().lower()


def _split_header(line: str) -> list[str]:
    return next(csv.reader(io.StringIO(line)), [])


def _input_stream(path: Path):
    """An arrow input stream, un-gzipping by magic bytes (never by file name)."""
    import pyarrow as pa

    raw = pa.OSFile(str(path))
    return pa.CompressedInputStream(raw, "gzip") if is_gzip(path) else raw


def _zoned(head: str, names: list[str] | None) -> bool:
    """Whether the timestamps in the file's first lines all carry a zone (``Z`` or an offset).

    Amazon Connect always writes UTC with ``Z``; exports re-saved by other tools may drop it,
    and those files take the slower tolerant path (no zone means UTC).
    """
    lines = head.lstrip("\ufeff").splitlines()[1:-1] if names else head.splitlines()[:-1]
    for line in lines[:50]:
        if not line.strip():
            continue
        if names is None:
            try:
                record = json.loads(line)
            except ValueError:
                return False
            values = [record.get(k) for k in _TIMESTAMPS]
        else:
            cells = _split_header(line)
            values = [
                cells[names.index(k)] if names.index(k) < len(cells) else "" for k in _TIMESTAMPS
            ]
        for v in values:
            if isinstance(v, str) and v.strip() and not _has_zone(v.strip()):
                return False
    return True


def _has_zone(value: str) -> bool:
    if value.endswith(("Z", "z")):
        return True
    tail = value[-6:]
    return len(tail) == 6 and tail[0] in "+-" and tail[3] == ":"


@dataclass
class _CsvPlan:
    """How to read a contact-record CSV: its header, the needed columns and their types."""

    header: list[str]
    actual: dict[str, str]  # meaning -> the header's spelling
    convert: Any  # pyarrow.csv.ConvertOptions


def _csv_plan(path: Path, head: str, columns: dict[str, list[str]], name: str) -> _CsvPlan:
    """Check the header and choose the columns (and their Arrow types) to convert."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = _split_header(head.lstrip("\ufeff").splitlines()[0]) if head.strip() else []
    columns[name] = [h.strip() for h in header]
    by_norm = {}
    for h in header:
        by_norm.setdefault(_norm(h), h)
    missing = [c for c in _REQUIRED if _norm(c) not in by_norm]
    if missing:
        raise InputError(
            path,
            f"missing column(s) {', '.join(missing)}; expected Amazon Connect contact records with "
            f"{', '.join(_NEEDED)}",
            line=1,
        )
    actual = {c: by_norm[_norm(c)] for c in _NEEDED if _norm(c) in by_norm}
    zoned = _zoned(head, [_canonical(h, actual) for h in header])
    ts_type = pa.timestamp("ms", tz="UTC") if zoned else pa.string()
    types = {
        actual[ID]: pa.binary(),
        actual[CHANNEL]: pa.dictionary(pa.int32(), pa.binary()),
        actual[INITIATED]: ts_type,
        actual[CONNECTED]: pa.binary(),
        actual[UPDATED]: ts_type,
    }
    if QUEUE in actual:
        types[actual[QUEUE]] = pa.dictionary(pa.int32(), pa.binary())
    convert = pacsv.ConvertOptions(
        column_types=types,
        include_columns=list(types),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    return _CsvPlan(header=header, actual=actual, convert=convert)


def _csv_batches(
    path: Path,
    plan: _CsvPlan,
    byte_range: tuple[int, int] | None,
    buffer: _ReadBuffer | None = None,
):
    """Yield record batches of the needed columns: the whole file, or the data rows in a range.

    A range is read into ``buffer`` and parsed in one call, not streamed: Arrow's streaming
    reader reads up to 32 blocks ahead in a thread of its own, ~128 MiB per reader held in
    memory and copied in a burst while the command is still importing pandas.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rename = {v: k for k, v in plan.actual.items()}
    if byte_range is not None:
        table = _range_table(path, plan, byte_range, buffer or _ReadBuffer())
        for batch in table.to_batches():
            yield {rename[n]: batch.column(i) for i, n in enumerate(batch.schema.names)}
        return
    stream = _input_stream(path)
    read_options = pacsv.ReadOptions(block_size=_BLOCK_BYTES)
    reader = None
    try:
        while True:
            try:
                # Opening already converts the first block, so it can fail like any later batch.
                if reader is None:
                    reader = pacsv.open_csv(
                        stream, read_options=read_options, convert_options=plan.convert
                    )
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except pa.ArrowInvalid as exc:
                raise _locate(path, exc, plan.actual) from None
            yield {rename[n]: batch.column(i) for i, n in enumerate(batch.schema.names)}
    finally:
        stream.close()


class _ReadBuffer:
    """One thread's buffer for the ranges it reads in turn, grown as needed.

    Plain reads, not a memory map: mapped pages would count as this process's memory.
    """

    def __init__(self) -> None:
        self._data = bytearray()

    def read(self, path: Path, start: int, end: int) -> memoryview:
        """Bytes ``start`` to ``end`` of ``path`` (fewer if the file has shrunk since)."""
        if len(self._data) < end - start:
            self._data = bytearray(end - start)
        view = memoryview(self._data)[: end - start]
        filled = 0
        with path.open("rb", buffering=0) as fh:
            fh.seek(start)
            while filled < len(view):
                n = fh.readinto(view[filled:])
                if not n:
                    break
                filled += n
        return view[:filled]


def _range_table(path: Path, plan: _CsvPlan, byte_range: tuple[int, int], buffer: _ReadBuffer):
    """The needed columns of the data rows in one byte range of a CSV, as an Arrow table.

    Arrow copies every value it converts, so ``buffer`` may be reused once this returns.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    data = buffer.read(path, *byte_range)
    # A range holds data rows only: the column names come from the header read earlier.
    read_options = pacsv.ReadOptions(
        block_size=_BLOCK_BYTES, column_names=plan.header, use_threads=False
    )
    try:
        return pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(data)),
            read_options=read_options,
            convert_options=plan.convert,
        )
    except pa.ArrowInvalid as exc:
        raise _locate(path, exc, plan.actual) from None


def _workers() -> int:
    """Threads that parse one big file at once: one per core (at most 4)."""
    import os

    return max(1, min(4, os.cpu_count() or 1))


def _range_count(path: Path) -> int:
    """How many byte ranges to split a file into: ~``_RANGE_BYTES`` each, one per core at least."""
    return max(_workers(), -(-path.stat().st_size // _RANGE_BYTES))


def _byte_ranges(path: Path, parts: int, header: bool = True) -> list[tuple[int, int] | None]:
    """Split an uncompressed file's data rows into ``parts`` ranges that end at line ends.

    The rows start after the first line when the file has a ``header`` line (a CSV), else at
    the top (JSON lines). ``[None]`` (read the whole file as one stream) for a gzip file, a
    small file or one part. Splitting at any line end is safe because the readers, like Amazon
    Connect's exports, take line ends as record ends (a quoted line end inside a CSV value is
    read as an error either way; a JSON string cannot hold one).
    """
    size = path.stat().st_size
    if parts < 2 or size < _SPLIT_BYTES or is_gzip(path):
        return [None]
    with path.open("rb") as fh:
        starts = [len(fh.readline()) if header else 0]
        for i in range(1, parts):
            fh.seek(max(size * i // parts, starts[-1]))
            fh.readline()  # the rest of the line this offset falls in
            starts.append(fh.tell())
    bounds = sorted(set(starts)) + [size]
    ranges = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]
    # Too few line ends to split (e.g. a file ending lines with a bare CR): one stream.
    return ranges if len(ranges) > 1 else [None]


def _read_segments(
    path: Path,
    batches: Callable[..., Any],
    ranges: list[tuple[int, int] | None],
    first: int,
    queues: _Codes,
    states: list[_Dedupe],
    cancel: threading.Event | None = None,
) -> int:
    """Read a file's ranges (segments ``first``, ``first + 1``, ...) into ``states``; rows read.

    ``batches(byte_range, buffer)`` yields the record batches of one range (``None``: the whole
    file, as one stream).

    One thread per core takes the ranges in turn, parsing and reducing their records (Arrow
    and numpy release the GIL); this thread deduplicates the reduced batches as they arrive.
    A bad record stops the other ranges early and is found again by a plain sequential read
    from the top, which names its line (line numbers inside a range are relative).
    """
    if len(ranges) == 1:
        rows = 0
        for batch in batches(ranges[0]):
            _check(cancel)
            part = _reduce(batch, first, queues, path, rows)
            rows += len(part["hi"])
            _add(states, _partition(part, len(states)))
        return rows

    import queue
    import threading
    from concurrent.futures import ThreadPoolExecutor

    parts: queue.Queue = queue.Queue(maxsize=_QUEUED_BATCHES)
    stop = threading.Event()  # this thread has stopped taking batches
    failing = threading.Event()  # a range failed: the others need not be read
    done = object()
    local = threading.local()  # each thread's read buffer

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                parts.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def halted() -> bool:
        return stop.is_set() or failing.is_set() or (cancel is not None and cancel.is_set())

    def work(offset: int) -> None:
        rows = 0
        try:
            if halted():
                return
            if not hasattr(local, "buffer"):
                local.buffer = _ReadBuffer()
            for batch in batches(ranges[offset], local.buffer):
                if halted():
                    return
                part = _reduce(batch, first + offset, queues, path, rows)
                put(_partition(part, len(states)))
                rows += len(batch[ID])
        except BaseException:
            failing.set()
            raise
        finally:
            put(done)

    rows = 0
    threads = min(len(ranges), _workers())
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="connect-csv") as pool:
        futures = [pool.submit(work, i) for i in range(len(ranges))]
        try:
            finished = 0
            while finished < len(ranges):
                item = parts.get()
                if item is done:
                    finished += 1
                    continue
                rows += sum(len(part["hi"]) for part in item)
                _add(states, item)
        finally:
            stop.set()
        failed = [f.exception() for f in futures if f.exception() is not None]
    if failed and isinstance(failed[0], InputError):
        before = 0
        for batch in batches(None):
            _reduce(batch, first, queues, path, before)
            before += len(batch[ID])
    if failed:
        raise failed[0]
    _check(cancel)
    return rows


def _canonical(header_name: str, actual: dict[str, str]) -> str:
    for meaning, name in actual.items():
        if name == header_name:
            return meaning
    return header_name


def _locate(path: Path, exc: Exception, actual: dict[str, str]) -> InputError:
    """Turn an arrow conversion error into an InputError naming the line (a slow re-scan)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    text = " ".join(str(exc).split())
    for meaning in _TIMESTAMPS:
        col = actual[meaning]
        reader = pacsv.open_csv(
            _input_stream(path),
            convert_options=pacsv.ConvertOptions(
                include_columns=[col], column_types={col: pa.string()}, strings_can_be_null=True
            ),
        )
        offset = 0
        for batch in reader:
            values = pd.Series(batch.column(0).to_pandas(), dtype="string").str.strip()
            parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
            # The fast path needs a zone on every value (a file may mix zoned and unzoned ones).
            zoned = values.str.contains(r"(?:[Zz]|[+-]\d\d:?\d\d)$", regex=True)
            bad_mask = values.notna() & (parsed.isna() | ~zoned.fillna(False).astype(bool))
            bad = np.flatnonzero(bad_mask.to_numpy(dtype=bool))
            if len(bad):
                row = offset + int(bad[0])
                return InputError(
                    path,
                    f"expected an ISO-8601 UTC timestamp such as 2024-03-11T16:15:02Z, got "
                    f"{values.iloc[int(bad[0])]!r}",
                    line=row + 2,
                    column=col,
                )
            offset += batch.num_rows
    return InputError(path, f"cannot read as Amazon Connect contact records ({text})")


def _json_schema(head: str, columns: dict[str, list[str]], name: str):
    """The Arrow schema of the fields counting needs in a JSON-lines contact-record export."""
    import pyarrow as pa

    ts_type = pa.timestamp("ms", tz="UTC") if _zoned(head, None) else pa.string()
    columns[name] = [ID, CHANNEL, INITIATED, QUEUE, CONNECTED, UPDATED]
    return pa.schema(
        [
            (ID, pa.string()),
            (CHANNEL, pa.string()),
            (INITIATED, ts_type),
            ("Queue", pa.struct([("Name", pa.string())])),
            ("Agent", pa.struct([("ConnectedToAgentTimestamp", pa.string())])),
            (UPDATED, ts_type),
        ]
    )


def _json_batches(
    path: Path,
    schema: Any,
    byte_range: tuple[int, int] | None,
    buffer: _ReadBuffer | None = None,
):
    """Yield record batches of the needed fields: the whole file, or the records in a range.

    A range is read into ``buffer`` and parsed in one call, as for a CSV.
    """
    import pyarrow as pa
    import pyarrow.json as pajson

    parse_options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    if byte_range is not None:
        data = (buffer or _ReadBuffer()).read(path, *byte_range)
        read_options = pajson.ReadOptions(use_threads=False, block_size=_BLOCK_BYTES)
        try:
            table = pajson.read_json(
                pa.BufferReader(pa.py_buffer(data)),
                read_options=read_options,
                parse_options=parse_options,
            )
        except pa.ArrowInvalid as exc:
            # Not located here: the caller reads the file again from the top, which names
            # the line of the first bad record.
            raise _json_error(path, exc) from None
        for batch in table.to_batches():
            yield _json_fields(batch)
        return
    # Opening already converts the first block, so it can fail like any later batch.
    reader = None
    while True:
        try:
            if reader is None:
                reader = pajson.open_json(
                    _input_stream(path),
                    read_options=pajson.ReadOptions(block_size=_BLOCK_BYTES),
                    parse_options=parse_options,
                )
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid as exc:
            raise _locate_json(path, parse_options, exc) from None
        yield _json_fields(batch)


def _json_error(path: Path, exc: Exception, line: int | None = None) -> InputError:
    msg = " ".join(str(exc).split())
    return InputError(
        path,
        f"expected one JSON contact record per line with ISO-8601 timestamps ({msg})",
        line=line,
    )


def _locate_json(path: Path, parse_options: Any, exc: Exception) -> InputError:
    """Turn an Arrow JSON error into an InputError naming the line (a re-scan).

    Arrow's message names a row within a block only. The file is read again in chunks of whole
    lines: a chunk Arrow reads is skipped, and in the first one it refuses, each line is read
    alone, so the line named is one Arrow itself refuses. The message says what is wrong in it
    when a check of the record can tell, else it is Arrow's.
    """
    found = _first_refused_line(path, parse_options)
    if found is None:
        return _json_error(path, exc)
    number, line, arrow_error = found
    try:
        problem = _json_record_problem(json.loads(line))
    except ValueError:
        problem = ("expected one JSON contact record per line, found text that is not JSON", None)
    if problem is None:
        return _json_error(path, arrow_error, line=number)
    message, column = problem
    return InputError(path, message, line=number, column=column)


def _first_refused_line(path: Path, parse_options: Any) -> tuple[int, str, Exception] | None:
    """The first line Arrow's JSON reader refuses: (line number, text, Arrow's error)."""
    import pyarrow as pa
    import pyarrow.json as pajson

    def refusal(data: bytes) -> Exception | None:
        try:
            pajson.read_json(pa.py_buffer(data), parse_options=parse_options)
        except pa.ArrowInvalid as exc:
            return exc
        return None

    before = 0  # lines in the chunks already read
    with open_binary(path) as fh:
        while chunk := fh.read(1 << 20):
            chunk += fh.readline()  # whole lines only
            if refusal(chunk) is None:
                before += chunk.count(b"\n")
                continue
            for offset, raw in enumerate(chunk.split(b"\n"), start=1):
                if raw.strip() and (error := refusal(raw)) is not None:
                    return before + offset, raw.decode("utf-8", "replace"), error
            before += chunk.count(b"\n")
    return None


def _json_record_problem(record: object) -> tuple[str, str | None] | None:
    """What is wrong in one record the JSON reader refused (message, field), if a check can tell."""
    import pandas as pd

    if not isinstance(record, dict):
        return "expected a JSON object (one contact record) on every line", None
    for key in (ID, CHANNEL):
        if record.get(key) is not None and not isinstance(record[key], str):
            return f"expected text in {key}, got {record[key]!r}", key
    for key, inner in (("Queue", "Name"), ("Agent", "ConnectedToAgentTimestamp")):
        value = record.get(key)
        if value is not None and not isinstance(value, dict):
            return f"expected an object (or null) in {key}, got {value!r}", key
        if value and value.get(inner) is not None and not isinstance(value[inner], str):
            return f"expected text in {key}.{inner}, got {value[inner]!r}", f"{key}.{inner}"
    for key in _TIMESTAMPS:
        value = record.get(key)
        if value is None:
            continue
        readable = isinstance(value, str) and not pd.isna(
            pd.to_datetime(value.strip(), errors="coerce", format="ISO8601", utc=True)
        )
        if not readable:
            return (
                f"expected an ISO-8601 UTC timestamp such as 2024-03-11T16:15:02Z, got {value!r}",
                key,
            )
    return None


def _json_fields(batch) -> dict:
    return {
        ID: batch.column(0),
        CHANNEL: batch.column(1),
        INITIATED: batch.column(2),
        QUEUE: batch.column(3).field("Name"),
        CONNECTED: batch.column(4).field("ConnectedToAgentTimestamp"),
        UPDATED: batch.column(5),
    }


# --------------------------------------------------------------------------- per-batch reduction


@dataclass
class _Codes:
    """Global integer codes for queue names seen in any batch (code 0 is "no queue")."""

    values: list[str] = field(default_factory=lambda: [""])
    index: dict[str, int] = field(default_factory=lambda: {"": 0})
    # Reader threads of one file share the codes.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def code(self, name: str) -> int:
        with self._lock:
            if name not in self.index:
                self.index[name] = len(self.values)
                self.values.append(name)
            return self.index[name]


def _text(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw.strip()
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:  # a Windows-1252 re-save; queue names are plain words
        return raw.decode("cp1252", errors="replace").strip()


def _codes_of(arr, mapping) -> np.ndarray:
    """Per-row codes of a (dictionary) column: ``mapping(text)`` of each distinct value, -1 for null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    lookup = np.array(
        [mapping(_text(v)) for v in arr.dictionary.to_pylist()] + [-1], dtype=np.int64
    )
    indices = _filled(arr.indices, np.int32, -1)
    return lookup[indices]  # -1 picks the trailing null code


def _filled(arr, dtype: type, missing: int) -> np.ndarray:
    """An integer Arrow array's values as a new int64 numpy array, ``missing`` for nulls.

    Read from the values buffer: Arrow's ``fill_null`` builds a scalar, and building a scalar
    imports pandas, which a read started before pandas loads must not wait for.
    """
    n = len(arr)
    buffer = arr.buffers()[1]
    if buffer is None:
        return np.full(n, missing, dtype=np.int64)
    values = np.frombuffer(buffer, dtype=dtype)[arr.offset : arr.offset + n].astype(np.int64)
    if arr.null_count:
        values[~_valid(arr)] = missing
    return values


def _valid(arr) -> np.ndarray:
    """Which values of an Arrow array are present, from its validity bitmap.

    Arrow's boolean ``to_numpy`` imports pandas; unpacking the bitmap does not.
    """
    n = len(arr)
    bitmap = arr.buffers()[0]
    if bitmap is None or not arr.null_count:
        return np.ones(n, dtype=bool)
    first, skip = divmod(arr.offset, 8)
    packed = np.frombuffer(bitmap, dtype=np.uint8)[first : first + (skip + n + 7) // 8]
    return np.unpackbits(packed, bitorder="little")[skip : skip + n].astype(bool)


def _reduce(batch: dict, file_index: int, queues: _Codes, path: Path, rows_before: int) -> dict:
    """One batch of records as fixed-width numpy arrays; no text survives this function."""
    ids = batch[ID]
    n = len(ids)
    if ids.null_count:
        row = rows_before + int(np.flatnonzero(~_valid(ids))[0])
        raise InputError(
            path, "expected a ContactId on every record, found an empty one", line=_line(path, row)
        )
    hi, lo = _id_keys(ids)
    initiated = _millis(batch[INITIATED], path, rows_before, INITIATED)
    if (initiated == _MISSING_MS).any():
        row = rows_before + int(np.flatnonzero(initiated == _MISSING_MS)[0])
        raise InputError(
            path,
            "expected an InitiationTimestamp on every record, found an empty one",
            line=_line(path, row),
        )
    updated = _millis(batch[UPDATED], path, rows_before, UPDATED)
    voice = _codes_of(batch[CHANNEL], lambda t: int(t.upper() == "VOICE")) == 1
    answered = _valid(batch[CONNECTED])
    klass = np.where(voice, np.where(answered, _COUNTED, _NOT_ANSWERED), _NOT_VOICE).astype(np.int8)
    if batch.get(QUEUE) is not None:
        queue = _codes_of(batch[QUEUE], queues.code)
        queue[queue < 0] = 0
    else:
        queue = np.zeros(n, dtype=np.int64)
    return {
        "hi": hi,
        "lo": lo,
        "updated": updated,
        "quarter": (initiated // _QUARTER_HOUR_MS).astype(np.int32),
        "file": np.full(n, file_index, dtype=np.int32),
        "queue": queue.astype(np.int32),
        "klass": klass,
    }


def _line(path: Path, row: int) -> int | None:
    """1-based line of data row ``row`` (CSV: after the header; JSON lines: no header)."""
    return row + (1 if read_head(path, 64).lstrip("\ufeff").lstrip().startswith("{") else 2)


def _millis(arr, path: Path, rows_before: int, column: str) -> np.ndarray:
    """Timestamps as int64 milliseconds since the epoch (UTC); missing -> ``_MISSING_MS``."""
    import pyarrow as pa

    if pa.types.is_timestamp(arr.type):
        return _filled(arr, np.int64, _MISSING_MS)
    # Tolerant path: strings with or without a zone (no zone means UTC, as Amazon writes it).
    import pandas as pd

    text = pd.Series(arr.to_pandas(), dtype="string").str.strip().replace("", pd.NA)
    parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
    bad = np.flatnonzero(parsed.isna().to_numpy() & text.notna().to_numpy())
    if len(bad):
        row = rows_before + int(bad[0])
        raise InputError(
            path,
            f"expected an ISO-8601 timestamp such as 2024-03-11T16:15:02Z, got {text.iloc[int(bad[0])]!r}",
            line=_line(path, row),
            column=column,
        )
    # NaT is stored as the smallest int64, which is exactly _MISSING_MS.
    naive = parsed.dt.tz_localize(None).dt.as_unit("ms").to_numpy(dtype="datetime64[ms]")
    return naive.view(np.int64).copy()


def _uuid_words(ids) -> tuple[np.ndarray, np.ndarray]:
    """Which ids (all 36 bytes long) are canonical UUIDs, and their 128 bits as two words."""
    n = len(ids)
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int32)[ids.offset : ids.offset + n + 1]
    data = np.frombuffer(ids.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[0] + 36 * n]
    chars = data.reshape(n, 36)
    digits = np.concatenate([chars[:, a:b] for a, b in _UUID_RUNS], axis=1)
    # Arithmetic hex decoding on uint8 (far cheaper than a lookup table or np.where here):
    # '0'-'9' -> low nibble; 'a'-'f' and 'A'-'F' -> low nibble + 9 (bit 6 marks letters).
    # In place on one scratch array: at this size every fresh temporary costs page faults.
    scratch = digits - 48  # wraps below '0'
    valid = scratch < 10
    np.bitwise_or(digits, 0x20, out=scratch)
    scratch -= 97
    valid |= scratch < 6
    nibbles = digits & 0x0F
    np.right_shift(digits, 6, out=scratch)
    scratch *= 9
    nibbles += scratch
    # All 32 flags true <=> every 8-byte word of them equals 0x0101010101010101.
    words = valid.view(np.uint64)
    all_valid = (words[:, 0] & words[:, 1] & words[:, 2] & words[:, 3]) == _ALL_ONES
    all_valid &= chars[:, 8] == _DASH
    for column in (13, 18, 23):
        all_valid &= chars[:, column] == _DASH
    packed = nibbles[:, 0::2] << 4
    packed |= nibbles[:, 1::2]
    return all_valid, packed.view(np.uint64)


def _id_keys(ids) -> tuple[np.ndarray, np.ndarray]:
    """A 128-bit key per ContactId: the UUID's own bits, or two 64-bit hashes for other ids.

    Canonical UUIDs (what Amazon Connect writes) are decoded exactly and case-insensitively,
    vectorised over the arrow buffer. Any other id is hashed twice with independent keys; two
    different ids then collide with probability about 2**-128 per pair.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(ids)
    hi = np.empty(n, dtype=np.uint64)
    lo = np.empty(n, dtype=np.uint64)
    is_uuid = np.zeros(n, dtype=bool)
    if n and (pa.types.is_string(ids.type) or pa.types.is_binary(ids.type)):
        offsets = np.frombuffer(ids.buffers()[1], dtype=np.int32)[ids.offset : ids.offset + n + 1]
        is_36 = np.diff(offsets) == 36
        # The decision is per id, never per batch, so one id always gets the same key.
        if is_36.all():  # the usual case: every id is UUID-sized
            is_uuid, words = _uuid_words(ids)
            hi, lo = words[:, 0].copy(), words[:, 1].copy()
            subset = ids[:0]
        else:
            subset = pc.filter(ids, pa.array(is_36))
        if len(subset):
            ok, words = _uuid_words(subset)
            where = np.flatnonzero(is_36)
            is_uuid[where] = ok
            hi[where] = words[:, 0]
            lo[where] = words[:, 1]
    other = np.flatnonzero(~is_uuid)
    if len(other):
        import pandas as pd

        values = pc.take(ids, pa.array(other)).to_pandas().to_numpy(dtype=object)
        values = np.array(
            [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in values],
            dtype=object,
        )
        hi[other] = pd.util.hash_array(values, hash_key="contacts311conn1", categorize=False)
        lo[other] = pd.util.hash_array(values, hash_key="contacts311conn2", categorize=False)
    return hi, lo


# --------------------------------------------------------------------------- deduplication


class _Dedupe:
    """The latest copy of each ContactId seen so far, in memory proportional to distinct ids."""

    _FIELDS = ("hi", "lo", "updated", "quarter", "file", "queue", "klass")

    def __init__(self) -> None:
        self.state: dict[str, np.ndarray] | None = None
        self.pending: list[dict[str, np.ndarray]] = []
        self.pending_rows = 0
        #: Pending rows, as a multiple of the state, that trigger the next compaction.
        self.growth = 1
        #: Copies that lost, per segment (the ``file`` field).
        self.duplicates = np.zeros(0, dtype=np.int64)

    def add(self, part: dict[str, np.ndarray]) -> None:
        if not len(part["hi"]):
            return
        self.pending.append(part)
        self.pending_rows += len(part["hi"])
        state_rows = 0 if self.state is None else len(self.state["hi"])
        # Compacting when pending rows outnumber the state keeps memory within about twice the
        # distinct contacts and the total work within a small multiple of one pass. When the
        # last compaction found few duplicates, pending rows are nearly all distinct contacts
        # themselves, so letting them grow further costs little memory beyond what
        # deduplication needs and saves re-sorting the state.
        if self.pending_rows >= max(self.growth * state_rows, _MIN_COMPACT_ROWS):
            self._compact()

    def finish(self) -> dict[str, np.ndarray]:
        self._compact()
        if self.state is None:
            return {k: np.empty(0, dtype=np.int64) for k in self._FIELDS}
        return self.state

    def _compact(self) -> None:
        if not self.pending:
            return
        # State first, then pending in arrival order: within a segment, array position is
        # reading order; between segments the lower segment was read first.
        parts = ([self.state] if self.state is not None else []) + self.pending
        self.state, self.pending, self.pending_rows = None, [], 0
        contest = {}
        for k in ("hi", "lo", "updated", "file"):
            contest[k] = _concat(parts, k)
            for part in parts:
                part[k] = None
        keep = _winners(contest["hi"], contest["lo"], contest["updated"], contest["file"])
        kept = int(np.count_nonzero(keep))
        self.growth = _SPARSE_GROWTH if kept >= _SPARSE_KEPT * len(keep) else 1
        everyone = kept == len(keep)
        if not everyone:
            lost = np.bincount(contest["file"][~keep])
            if len(lost) > len(self.duplicates):
                self.duplicates = np.pad(self.duplicates, (0, len(lost) - len(self.duplicates)))
            self.duplicates[: len(lost)] += lost
        # One field at a time, releasing the parts as we go, so the peak stays near one copy.
        rows = None if everyone else np.flatnonzero(keep)
        state = {}
        for k in self._FIELDS:
            merged = contest.pop(k) if k in contest else _concat(parts, k)
            for part in parts:
                part[k] = None
            state[k] = merged if rows is None else merged[rows]
        self.state = state


def _partition(part: dict[str, np.ndarray], n: int) -> list[dict[str, np.ndarray]]:
    """``part`` split into ``n`` by key: a contact's copies always land in the same partition."""
    if n == 1:
        return [part]
    hi = part["hi"]
    which = hi & np.uint64(n - 1) if n & (n - 1) == 0 else hi % np.uint64(n)
    out = []
    for k in range(n):
        # Row numbers, then a take per field: ~10x cheaper than a boolean mask per field.
        rows = np.flatnonzero(which == k)
        out.append({name: values[rows] for name, values in part.items()})
    return out


def _add(states: list[_Dedupe], parts: list[dict[str, np.ndarray]]) -> None:
    for state, part in zip(states, parts, strict=True):
        state.add(part)


def _on_threads(fn: Any, items: list) -> list:
    """``[fn(item) for item in items]``, one thread per item (numpy's heavy steps release the GIL)."""
    if len(items) < 2:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(items), thread_name_prefix="connect-part") as pool:
        return list(pool.map(fn, items))


def _concat(parts: list[dict[str, np.ndarray]], key: str) -> np.ndarray:
    arrays = [p[key] for p in parts]
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


def _winners(
    hi: np.ndarray, lo: np.ndarray, updated: np.ndarray, segment: np.ndarray
) -> np.ndarray:
    """Mask of the rows that survive deduplication by (hi, lo): latest ``updated``, first read.

    "First read" is the lowest ``segment``, then the lowest position.

    Sorting uint64 values is far cheaper than hashing or arg-sorting them, so rows whose ``hi``
    is unique (almost all) are found with one sort and a table lookup, and only the few rows
    that share a ``hi`` are resolved exactly with a lexicographic sort.
    """
    n = len(hi)
    keep = np.ones(n, dtype=bool)
    if n < 2:
        return keep
    ordered = np.sort(hi)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if not len(repeated):
        return keep
    # A direct-address bitmap on the low bits flags candidates in O(n); the exact check then
    # runs on the candidates only.
    bits = min(26, max(16, int(len(repeated)).bit_length() + 6))
    mask = np.uint64((1 << bits) - 1)
    table = np.zeros(1 << bits, dtype=bool)
    table[(repeated & mask).astype(np.int64)] = True
    cand = np.flatnonzero(table[(hi & mask).view(np.int64)])  # values < 2**26: a free view
    pos = np.searchsorted(repeated, hi[cand])
    pos[pos == len(repeated)] = 0
    rows = cand[repeated[pos] == hi[cand]]
    # Newest first within each id; reading order (segment, then position) breaks ties.
    order = np.lexsort((rows, segment[rows], -updated[rows], lo[rows], hi[rows]))
    sh, sl = hi[rows][order], lo[rows][order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (sh[1:] != sh[:-1]) | (sl[1:] != sl[:-1])
    keep[rows[order][~first]] = False
    return keep


# --------------------------------------------------------------------------- counting


def _local_millis(ms: np.ndarray, timezone: str) -> np.ndarray:
    """Local wall-clock milliseconds for UTC milliseconds, vectorised.

    UTC offsets are looked up on a quarter-hour grid (every modern time-zone transition falls on
    a quarter hour of UTC), so the time-zone database is consulted once per quarter hour of the
    span covered, not once per record.
    """
    import pandas as pd

    if not len(ms):
        return ms.copy()
    quarter = ms // _QUARTER_HOUR_MS
    first, last = int(quarter.min()), int(quarter.max())
    if last - first > 4_000_000:  # a span of over a century: convert record by record
        stamps = pd.to_datetime(ms, unit="ms", utc=True).tz_convert(timezone)
        return (stamps.tz_localize(None).as_unit("ms").asi8).astype(np.int64)
    grid = pd.to_datetime(
        np.arange(first, last + 1, dtype=np.int64) * _QUARTER_HOUR_MS, unit="ms", utc=True
    )
    local = grid.tz_convert(timezone).tz_localize(None)
    offsets = local.as_unit("ms").asi8 - grid.tz_localize(None).as_unit("ms").asi8
    return ms + offsets[quarter - first]


def _tally(
    winners: list[dict[str, np.ndarray]],
    names: list[str],
    queue_names: list[str],
    timezone: str,
    ledger: LedgerBuilder,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ledger buckets of the surviving records (in partitions), core rows and the intervals table."""
    import pandas as pd

    # Every modern UTC offset is a whole number of quarter hours, so a record's local date and
    # local half hour depend only on its UTC quarter hour: count the records per file, quarter
    # hour, queue and class first, then convert the groups, not each record. The groups are
    # then summed with numpy: pandas' groupby over them took longer than the counting.
    groups = _group(
        [{k: part[k] for k in ("file", "quarter", "queue", "klass")} for part in winners]
    )
    n_files = max(len(names), 1)
    per_class = np.bincount(
        groups["file"] * 3 + groups["klass"], weights=groups["count"], minlength=n_files * 3
    )
    per_class = per_class.astype(np.int64).reshape(n_files, 3)
    for i, name in enumerate(names):
        ledger.add(name, "counted", "", int(per_class[i, _COUNTED]), int(per_class[i, _COUNTED]))
        for value, reason in _REASONS.items():
            ledger.add(name, "excluded", reason, int(per_class[i, value]))

    voice = np.flatnonzero(groups["klass"] != _NOT_VOICE)
    groups = {k: v[voice] for k, v in groups.items()}
    answered = groups["klass"] == _COUNTED
    local = _local_millis(groups["quarter"].astype(np.int64) * _QUARTER_HOUR_MS, timezone)
    day = local // _MS_PER_DAY
    slot = (local - day * _MS_PER_DAY) // (_INTERVAL_MINUTES * 60_000)
    count = groups["count"]
    queue = groups["queue"]

    days = _group(
        [
            {
                "file": groups["file"][answered],
                "day": day[answered],
                "queue": queue[answered],
                "count": count[answered],
            }
        ],
        sums=("count",),
    )
    queue_text = np.array(queue_names, dtype=object)
    queue_text[0] = None  # code 0: no queue
    rows = range(len(days["day"]))
    core = pd.DataFrame(
        {
            "contact_date": pd.to_datetime(days["day"], unit="D"),
            "channel": pd.Series("phone", index=rows, dtype="string"),
            "count": days["count"],
            "source": pd.Series(FORMAT, index=rows, dtype="string"),
            "source_file": pd.array(np.array(names, dtype=object)[days["file"]], dtype="string"),
            "contact_id": pd.Series(pd.NA, index=rows, dtype="string"),
            "queue": pd.array(queue_text[days["queue"]], dtype="string"),
            # One counted record per answered call: the pipeline moves this many ledger rows
            # when a day turns out to be in the future.
            "ledger_rows": days["count"].copy(),
        }
    )

    # Intervals (for staffing): voice calls that reached a queue, per local half hour.
    queued = queue > 0
    slots = _group(
        [
            {
                "day": day[queued],
                "slot": slot[queued],
                "queue": queue[queued],
                "count": count[queued],
                "acd": (count * answered)[queued],
            }
        ],
        sums=("count", "acd"),
    )
    unknown = pd.array(np.zeros(len(slots["day"]), dtype=np.int64), dtype="Int64")
    unknown[:] = pd.NA
    intervals = pd.DataFrame(
        {
            "contact_date": pd.to_datetime(slots["day"], unit="D"),
            "interval_start": slots["slot"] * _INTERVAL_MINUTES,
            "interval_minutes": _INTERVAL_MINUTES,
            "queue": pd.array(queue_text[slots["queue"]], dtype="string"),
            "calls_offered": slots["count"],
            "acd_calls": slots["acd"],
            "abandoned_calls": slots["count"] - slots["acd"],
            # Handle and staffed times are not in contact records in a comparable form.
            "acd_time_seconds": unknown,
            "acw_time_seconds": unknown.copy(),
            "staffed_seconds": unknown.copy(),
        },
        columns=list(INTERVAL_COLUMNS),
    ).astype(INTERVAL_COLUMNS)
    return core, intervals


#: Largest key space counted with one dense ``bincount`` per partition (else sort-based).
_DENSE_GROUPS = 20_000_000


def _group(parts: list[dict[str, np.ndarray]], sums: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    """One row per distinct combination of integer keys, over partitions with the same fields.

    Every field not named in ``sums`` is a key. The result holds the keys, in ascending order
    (first field first), and per combination either ``count`` (its rows, when ``sums`` is
    empty) or the int64 sum of each field in ``sums``. The keys are combined into one integer
    per row (in place, a partition per thread), then counted with a dense ``bincount`` when
    the key space is small (the usual case: files x quarter hours x queues x classes), else
    with a sort-based ``np.unique``.
    """
    names = [k for k in parts[0] if k not in sums]
    outputs = list(sums) or ["count"]
    parts = [p for p in parts if len(p[names[0]])]
    if not parts:
        return {k: np.empty(0, np.int64) for k in [*names, *outputs]}
    lows = {k: min(int(p[k].min()) for p in parts) for k in names}
    spans = {k: max(int(p[k].max()) for p in parts) - lows[k] + 1 for k in names}
    size = float(np.prod([float(spans[k]) for k in names]))

    def per_key(key: np.ndarray, part: dict[str, np.ndarray], n: int) -> list[np.ndarray]:
        """The rows per key value (first), then the sum of each ``sums`` field."""
        # bincount sums weights in float64: exact for integer sums below 2**53.
        sums_of = [np.bincount(key, weights=part[k], minlength=n).astype(np.int64) for k in sums]
        return [np.bincount(key, minlength=n), *sums_of]

    def combine(part: dict[str, np.ndarray]) -> np.ndarray:
        key = part[names[0]].astype(np.int64)
        key -= lows[names[0]]
        for k in names[1:]:
            key *= spans[k]
            key += part[k]
            key -= lows[k]
        return key

    if size >= 2.0**62:  # a combined key would overflow int64: find the distinct rows instead
        stacked = np.concatenate(
            [np.column_stack([p[k].astype(np.int64) for k in names]) for p in parts]
        )
        rows, inverse = np.unique(stacked, axis=0, return_inverse=True)
        joined = {k: _concat(parts, k) for k in sums}
        out = {k: rows[:, i] for i, k in enumerate(names)}
        values = per_key(inverse.ravel(), joined, len(rows))
    else:
        if size <= _DENSE_GROUPS:
            per_part = _on_threads(lambda p: per_key(combine(p), p, int(size)), parts)
            totals = per_part[0]
            for more in per_part[1:]:
                for total, values in zip(totals, more, strict=True):
                    total += values
            idx = np.flatnonzero(totals[0])
            values = [t[idx] for t in totals]
        else:
            keys = np.concatenate([combine(p) for p in parts])
            idx, inverse = np.unique(keys, return_inverse=True)
            joined = {k: _concat(parts, k) for k in sums}
            values = per_key(inverse, joined, len(idx))
        out = {}
        rest = idx
        for k in reversed(names):
            rest, digit = np.divmod(rest, spans[k])
            out[k] = digit + lows[k]
        out = {k: out[k] for k in names}
    out.update(zip(outputs, values[1:] or values, strict=True))
    return out
