"""Benchmark: Amazon Connect call-record ingest — contacts311 vs a pandas script vs DuckDB.

Generates Amazon Connect contact-record CSVs (deterministic, with ~2% of records delivered twice
and ~10% of voice calls unanswered) in a temporary folder, then runs three contenders on each,
every one in its own process so its wall time and peak resident memory are its own:

1. ``contacts311 totals DIR --profile P`` (the profile reads the file as ``amazon_connect``),
   with ``CONTACTS311_CACHE_DIR=off`` so the read cache never replaces the parse (the file is
   then hashed for provenance while it is read);
2. the same command with the read cache on in a fresh cache folder (``contacts311-cache``): a
   first run, which hashes the file *before* reading it, to look the cache up;
3. a plain pandas script: ``read_csv`` + sort/``drop_duplicates`` + ``groupby`` per local day,
   OUTBOUND contacts excluded; with ``--transfers SHARE`` (transfer legs naming their first
   leg in ``InitialContactId``), each chain counted once, on its first leg;
4. DuckDB running the same count as one SQL query over the same file;
5. ``module``: ``contacts311.sources.amazon_connect.read`` alone (this tree), and
   ``module@REV``: the same call on the module as it was at commit REV (``--baseline``,
   default ``4b66e45``: the hand-written threaded reader), extracted with ``git archive`` into
   a temporary folder and imported through ``PYTHONPATH``.

It prints a table (wall seconds, records per second, peak RSS, ratios) and checks that all
give the same fiscal-year totals of answered calls. Usage::

    python benchmarks/ingest.py                   # 1M, 5M and 10M records
    python benchmarks/ingest.py --sizes 1M,5M     # chosen sizes
    python benchmarks/ingest.py --quick           # 20k records: a smoke run
    python benchmarks/ingest.py --json out.json   # also write the figures as JSON
    python benchmarks/ingest.py --transfers 0.05  # 5% of contacts are transfer legs

Exit code 0 when the totals agree, 1 when they do not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

TIMEZONE = "America/Los_Angeles"
FY_START = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)
FY_END = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
DUPLICATE_SHARE = 0.02
UNANSWERED_SHARE = 0.10
CHUNK = 1_000_000
QUICK_SIZE = 20_000

QUEUES = [
    "311 General",
    "311 Spanish",
    "Noise",
    "Parking",
    "Graffiti",
    "Water",
    "Streets",
    "Callback",
]
QUEUE_WEIGHTS = [0.45, 0.08, 0.1, 0.12, 0.05, 0.07, 0.1, 0.03]
CHANNELS = ["VOICE", "CHAT", "TASK"]
CHANNEL_WEIGHTS = [0.88, 0.08, 0.04]
METHODS = ["INBOUND", "TRANSFER", "CALLBACK", "OUTBOUND"]
METHOD_WEIGHTS = [0.9, 0.05, 0.03, 0.02]
REASONS = ["CUSTOMER_DISCONNECT", "AGENT_DISCONNECT", "CONTACT_FLOW_DISCONNECT", "TELECOM_PROBLEM"]
CALLER_NAMES = ["Ana Lopez", "Bo Chen", "Cy Okafor", "Di Novak", "Ed Smith", "Fay Kim"]

# Column order as the Contact Lens / Athena export writes it; PII columns included on purpose.
COLUMNS = [
    "ContactId",
    "Channel",
    "InitiationMethod",
    "InitiationTimestamp",
    "DisconnectTimestamp",
    "DisconnectReason",
    "Queue.Name",
    "Queue.EnqueueTimestamp",
    "Agent.Username",
    "Agent.ConnectedToAgentTimestamp",
    "CustomerEndpoint.Address",
    "SystemEndpoint.Address",
    "Attributes.CallerName",
    "LastUpdateTimestamp",
]
#: Written after ContactId when the file has transfers (``--transfers``).
LINK_COLUMNS = ["InitialContactId", "PreviousContactId"]

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


# --------------------------------------------------------------------------- data generation


def _fixed_width(chars: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """An arrow string array from an (n, width) uint8 matrix, without Python objects."""
    n, width = chars.shape
    offsets = np.arange(n + 1, dtype=np.int64) * width
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars))]
    if mask is not None:
        buffers[0] = pa.array(~mask).buffers()[1]
    return pa.LargeStringArray.from_buffers(n, buffers[1], buffers[2], buffers[0])


def _uuids(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    nibbles = np.empty((n, 32), dtype=np.uint8)
    nibbles[:, 0::2] = raw >> 4
    nibbles[:, 1::2] = raw & 15
    chars = _HEX[nibbles]
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for dst, src in ((0, 0), (9, 8), (14, 12), (19, 16), (24, 20)):
        width = 8 if dst == 0 else (12 if dst == 24 else 4)
        out[:, dst : dst + width] = chars[:, src : src + width]
    return out


def _iso(seconds: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DDTHH:MM:SSZ`` as an (n, 20) uint8 matrix."""
    day = seconds // 86400
    tod = seconds - day * 86400
    first = int(day.min())
    days = np.arange(first, int(day.max()) + 1).astype("datetime64[D]").astype(str)
    prefix = np.frombuffer("".join(f"{d}T" for d in days).encode(), dtype=np.uint8).reshape(-1, 11)
    out = np.empty((len(seconds), 20), dtype=np.uint8)
    out[:, :11] = prefix[day - first]
    hours, rest = np.divmod(tod, 3600)
    minutes, secs = np.divmod(rest, 60)
    for col, value in ((11, hours), (14, minutes), (17, secs)):
        out[:, col] = _DIGITS[value // 10]
        out[:, col + 1] = _DIGITS[value % 10]
    out[:, 13] = out[:, 16] = ord(":")
    out[:, 19] = ord("Z")
    return out


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    out = np.empty((n, 12), dtype=np.uint8)
    out[:, :5] = np.frombuffer(b"+1503", dtype=np.uint8)
    out[:, 5:] = _DIGITS[rng.integers(0, 10, size=(n, 7))]
    return out


def _pick(rng: np.random.Generator, values: list[str], weights: list[float], n: int) -> pa.Array:
    codes = rng.choice(len(values), size=n, p=weights)
    return pa.array(values).take(pa.array(codes))


def generate(path: Path, n: int, seed: int = 311, transfers: float = 0.0) -> dict[str, int]:
    """Write ``n`` Amazon Connect records to ``path`` (CSV) and return what was generated.

    ``2%`` of the records are a second delivery of a contact (half of them the older version,
    written after the newer one); ``10%`` of voice calls have no ``ConnectedToAgentTimestamp``.
    With ``transfers`` > 0 that share of the contacts are transfer legs (a VOICE ``TRANSFER``
    contact started 1-10 minutes after its first leg, whose id both ``InitialContactId`` and
    ``PreviousContactId`` name) and the file has those two columns; with 0 it has neither.
    """
    rng = np.random.default_rng(seed)
    dups = int(round(n * DUPLICATE_SHARE))
    distinct = n - dups
    start, end = int(FY_START.timestamp()), int(FY_END.timestamp())
    init = rng.integers(start - 86400, end + 86400, size=distinct)
    # Transfers draw from their own generator, so the rest of the file is the same with or
    # without them.
    legs, parents = _transfers(np.random.default_rng(seed + 1), distinct, transfers)
    init[legs] = init[parents] + np.random.default_rng(seed + 2).integers(60, 600, len(legs))
    enqueue = init + rng.integers(5, 60, size=distinct)
    answered = rng.random(distinct) >= UNANSWERED_SHARE
    connected = enqueue + rng.integers(0, 300, size=distinct)
    disconnect = np.where(answered, connected, enqueue) + rng.integers(30, 900, size=distinct)
    last_update = disconnect + rng.integers(1, 120, size=distinct)
    ids = _uuids(rng, distinct)
    # Records delivered twice: the earlier version has an older LastUpdateTimestamp and, half the
    # time, no agent yet (it was written while the call was queued).
    dup_of = np.sort(rng.choice(distinct, size=dups, replace=False))
    old_update = last_update[dup_of] - rng.integers(60, 3600, size=dups)
    old_answered = answered[dup_of] & (rng.random(dups) < 0.5)
    old_first = rng.random(dups) < 0.5  # which version sits in the body of the file

    # Row order: the distinct contacts, then the second deliveries.
    body_update = last_update.copy()
    body_answered = answered.copy()
    body_update[dup_of[old_first]] = old_update[old_first]
    body_answered[dup_of[old_first]] = old_answered[old_first]
    tail_update = np.where(old_first, last_update[dup_of], old_update)
    tail_answered = np.where(old_first, answered[dup_of], old_answered)
    row_of = np.concatenate([np.arange(distinct), dup_of])
    row_update = np.concatenate([body_update, tail_update])
    row_answered = np.concatenate([body_answered, tail_answered])

    channel_codes = rng.choice(3, size=distinct, p=CHANNEL_WEIGHTS)
    channel_codes[legs] = 0  # VOICE
    channel_codes = channel_codes[row_of]
    is_leg = np.zeros(distinct, dtype=bool)
    is_leg[legs] = True
    parent_of = np.zeros(distinct, dtype=np.int64)
    parent_of[legs] = parents
    columns = COLUMNS if transfers <= 0 else [COLUMNS[0], *LINK_COLUMNS, *COLUMNS[1:]]
    queue_codes = rng.choice(len(QUEUES), size=distinct, p=QUEUE_WEIGHTS)[row_of]
    fields = {
        "channel": pa.array(CHANNELS).take(pa.array(channel_codes)),
        "queue": pa.array(QUEUES).take(pa.array(queue_codes)),
    }
    with pacsv.CSVWriter(path, _schema(columns)) as writer:
        for lo in range(0, n, CHUNK):
            hi = min(n, lo + CHUNK)
            rows = row_of[lo:hi]
            m = hi - lo
            no_agent = ~row_answered[lo:hi]
            method = _pick(rng, METHODS, METHOD_WEIGHTS, m).cast(pa.large_string())
            method = pc.if_else(is_leg[rows], "TRANSFER", method)
            link = [_fixed_width(ids[parent_of[rows]], mask=~is_leg[rows])] * 2
            table = pa.table(
                [
                    _fixed_width(ids[rows]),
                    *(link if transfers > 0 else []),
                    fields["channel"][lo:hi].cast(pa.large_string()),
                    method,
                    _fixed_width(_iso(init[rows])),
                    _fixed_width(_iso(disconnect[rows])),
                    _pick(rng, REASONS, [0.6, 0.3, 0.08, 0.02], m).cast(pa.large_string()),
                    fields["queue"][lo:hi].cast(pa.large_string()),
                    _fixed_width(_iso(enqueue[rows])),
                    pa.array(np.char.add("agent", rng.integers(1, 40, size=m).astype(str))).cast(
                        pa.large_string()
                    ),
                    _fixed_width(_iso(connected[rows]), mask=no_agent),
                    _fixed_width(_phones(rng, m)),
                    pa.array(["+18007793311"] * m, type=pa.large_string()),
                    _pick(rng, CALLER_NAMES, [1 / 6] * 6, m).cast(pa.large_string()),
                    _fixed_width(_iso(row_update[lo:hi])),
                ],
                schema=_schema(columns),
            )
            writer.write_table(table)
    info = {"records": n, "distinct": distinct, "duplicates": dups}
    return info | ({"transfer_legs": len(legs)} if transfers > 0 else {})


def _transfers(
    rng: np.random.Generator, distinct: int, share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Which contacts are transfer legs, and the first leg of each (never a leg itself)."""
    count = int(round(distinct * share))
    if count == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    chosen = rng.permutation(distinct)
    legs, firsts = chosen[:count], chosen[count:]
    return legs, firsts[rng.integers(0, len(firsts), size=count)]


def _schema(columns: list[str]) -> pa.Schema:
    return pa.schema([(c, pa.large_string()) for c in columns])


# --------------------------------------------------------------------------- contenders

# Both references take a third argument, "chains", for files with transfers: a leg's chain is
# its InitialContactId, else PreviousContactId, else its own id; a chain counts on its first leg
# (the generator always writes it) when that leg is inbound VOICE and any leg was answered.
PANDAS_SCRIPT = """
import sys
import pandas as pd

path, tz, chains = sys.argv[1], sys.argv[2], sys.argv[3:] == ["chains"]
links = ["InitialContactId", "PreviousContactId"] if chains else []
df = pd.read_csv(path, usecols=["ContactId", "Channel", "InitiationMethod", "InitiationTimestamp",
                               "Agent.ConnectedToAgentTimestamp", "LastUpdateTimestamp", *links])
df["LastUpdateTimestamp"] = pd.to_datetime(df["LastUpdateTimestamp"], utc=True)
df = df.sort_values("LastUpdateTimestamp").drop_duplicates("ContactId", keep="last")
answered = df["Agent.ConnectedToAgentTimestamp"].notna()
if chains:
    chain = df["InitialContactId"].fillna(df["PreviousContactId"]).fillna(df["ContactId"])
    answered = answered.groupby(chain).transform("any") & (chain == df["ContactId"])
df = df[(df["Channel"] == "VOICE") & (df["InitiationMethod"] != "OUTBOUND") & answered]
day = pd.to_datetime(df["InitiationTimestamp"], utc=True).dt.tz_convert(tz).dt.strftime("%Y-%m-%d")
for d, n in day.value_counts().sort_index().items():
    print(f"{d},{n}")
"""

DUCKDB_SCRIPT = """
import sys
import duckdb

path, tz, chains = sys.argv[1], sys.argv[2], sys.argv[3:] == ["chains"]
latest = "arg_max({}, LastUpdateTimestamp)"
inbound = "Channel = 'VOICE' AND InitiationMethod <> 'OUTBOUND'"
answered = '"Agent.ConnectedToAgentTimestamp" IS NOT NULL'
if chains:  # the latest copy of every leg, then each chain on the leg whose id is the chain's
    contacts = f'''
        SELECT arg_max(init, id = chain) AS init,
               bool_or(answered) AND arg_max(inbound, id = chain) AS answered
        FROM (SELECT ContactId AS id, {latest.format("InitiationTimestamp")} AS init,
                     {latest.format("coalesce(InitialContactId, PreviousContactId, ContactId)")}
                         AS chain,
                     {latest.format(inbound)} AS inbound, {latest.format(answered)} AS answered
              FROM read_csv('{path}') GROUP BY ContactId)
        GROUP BY chain'''
else:
    contacts = f'''
        SELECT ContactId, {latest.format("InitiationTimestamp")} AS init,
               {latest.format(f"{inbound} AND {answered}")} AS answered
        FROM read_csv('{path}') GROUP BY ContactId'''
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
rows = con.sql(f'''
    SELECT strftime(timezone('{tz}', init), '%Y-%m-%d') AS day, count(*) AS calls
    FROM ({contacts}) WHERE answered GROUP BY day ORDER BY day
''').fetchall()
for d, n in rows:
    print(f"{d},{n}")
"""


MODULE_SCRIPT = """
import sys
from pathlib import Path
from types import SimpleNamespace
from contacts311.profile import Profile
from contacts311.sources import amazon_connect

path, tz = Path(sys.argv[1]), sys.argv[2]
result = amazon_connect.read([SimpleNamespace(path=path, name=path.name)], Profile(timezone=tz))
days = result.contacts.groupby("contact_date")["count"].sum()
for d, n in days.items():
    print(f"{d:%Y-%m-%d},{n}")
"""


def baseline_tree(rev: str, workdir: Path) -> Path | None:
    """The package's sources at commit ``rev``, extracted under ``workdir`` (None: no such commit)."""
    root = Path(__file__).resolve().parents[1]
    dest = workdir / f"baseline-{rev}"
    dest.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", rev, "src"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        print(f"baseline {rev}: not in this checkout, skipped", file=sys.stderr)
        return None
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    return dest / "src"


# contacts311's read cache (pipeline.load, keyed by the inputs' SHA-256) would turn a repeated
# run into a pickle load: a false figure. Every contender must parse the CSV each time.
CONTENDER_ENV: dict[str, dict[str, str]] = {"contacts311": {"CONTACTS311_CACHE_DIR": "off"}}


# A tiny forking wrapper: a child forked from a small process reports its own peak RSS. (A child
# spawned straight from this harness would inherit the harness's high-water mark on Linux.)
_WRAPPER = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(f"{time.perf_counter() - started} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def _measure(cmd: list[str], cwd: Path, extra_env: dict[str, str] | None = None) -> dict:
    """Run ``cmd``; its wall time, peak RSS (MiB, from ``wait4``) and standard output."""
    out_path, err_path, stats_path = cwd / "stdout.txt", cwd / "stderr.txt", cwd / "stats.txt"
    env = dict(os.environ, PYTHONWARNINGS="ignore", **(extra_env or {}))
    with out_path.open("wb") as out, err_path.open("wb") as err:
        subprocess.run(
            [sys.executable, "-S", "-c", _WRAPPER, str(stats_path), *cmd],
            stdout=out,
            stderr=err,
            cwd=cwd,
            env=env,
            check=False,
        )
    seconds, maxrss_kib, code = stats_path.read_text().split()
    if int(code) != 0:
        raise RuntimeError(f"{cmd[:4]} failed ({code}): {err_path.read_text()[-2000:]}")
    return {
        "seconds": float(seconds),
        "peak_mib": int(maxrss_kib) / 1024,
        "stdout": out_path.read_text(),
    }


def _fiscal_totals_from_days(text: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in text.strip().splitlines():
        day, n = line.split(",")
        year, month = int(day[:4]), int(day[5:7])
        end_year = year + (month >= 7)
        label = f"FY {end_year - 1}-{end_year % 100:02d}"
        totals[label] = totals.get(label, 0) + int(n)
    return totals


def _fiscal_totals_from_cli(text: str) -> dict[str, int]:
    records = json.loads(text)
    return {r["period"]: int(r.get("phone", 0)) for r in records}


def _contacts311() -> list[str]:
    """The installed ``contacts311`` command next to this interpreter, else the module."""
    script = Path(sys.executable).with_name("contacts311")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from contacts311.cli import main; sys.exit(main())"]


def run_size(
    n: int, workdir: Path, repeat: int = 1, baseline: Path | None = None, transfers: float = 0.0
) -> dict:
    """Generate ``n`` records and run the contenders on them, ``repeat`` interleaved rounds.

    Each contender's figure is its median time over the rounds (and its highest peak memory);
    every round's time is kept under ``rounds``. The cache-on row starts each round with an
    empty cache, so every one of its rounds is a first run.
    """
    folder = workdir / f"n{n}"
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / "contact_records.csv"
    started = time.perf_counter()
    info = generate(csv_path, n, transfers=transfers)
    info["generate_seconds"] = time.perf_counter() - started
    info["bytes"] = csv_path.stat().st_size
    profile = folder / "profile.yml"
    profile.write_text(
        f"timezone: {TIMEZONE}\nsources:\n  - format: amazon_connect\n    path: {csv_path.name}\n",
        encoding="utf-8",
    )
    py = sys.executable
    chains = ["chains"] if transfers > 0 else []
    totals = [*_contacts311(), "totals", str(folder), "--profile", str(profile), "--format", "json"]
    contenders = {
        "contacts311": totals,
        # The same command with the read cache on (the default), first run: the inputs are
        # hashed before they are read, to look the cache up.
        "contacts311-cache": totals,
        "pandas": [py, "-c", PANDAS_SCRIPT, str(csv_path), TIMEZONE, *chains],
        "duckdb": [py, "-c", DUCKDB_SCRIPT, str(csv_path), TIMEZONE, *chains],
        "module": [py, "-c", MODULE_SCRIPT, str(csv_path), TIMEZONE],
    }
    cache = folder / "cache"
    env = {**CONTENDER_ENV, "contacts311-cache": {"CONTACTS311_CACHE_DIR": str(cache)}}
    if baseline is not None:
        name = f"module@{baseline.parent.name.removeprefix('baseline-')}"
        contenders[name] = contenders["module"]
        env[name] = {"PYTHONPATH": str(baseline)}
    samples: dict[str, list[dict]] = {name: [] for name in contenders}
    for _ in range(repeat):
        shutil.rmtree(cache, ignore_errors=True)
        for name, cmd in contenders.items():
            res = _measure(cmd, folder, env.get(name))
            parse = (
                _fiscal_totals_from_cli
                if name.startswith("contacts311")
                else _fiscal_totals_from_days
            )
            res["totals"] = parse(res.pop("stdout"))
            samples[name].append(res)
    info["results"] = {
        name: {
            "seconds": statistics.median(r["seconds"] for r in runs),
            "peak_mib": max(r["peak_mib"] for r in runs),
            "totals": runs[0]["totals"],
            "rounds": [r["seconds"] for r in runs],
        }
        for name, runs in samples.items()
    }
    # A baseline module (``module@REV``) is timed only: it counts by the rules of its commit.
    every = [r["totals"] for n, runs in samples.items() if "@" not in n for r in runs]
    info["agree"] = len({json.dumps(t, sort_keys=True) for t in every}) == 1
    csv_path.unlink()
    shutil.rmtree(cache, ignore_errors=True)
    return info


# --------------------------------------------------------------------------- reporting


def _size(text: str) -> int:
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def _label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    return f"{n / 1000:g}k"


def host() -> dict[str, str]:
    """The machine: CPU model, cores, memory, OS and Python (shared with report_build.py)."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    import duckdb
    import pandas

    return {
        **host(),
        "pyarrow": pa.__version__,
        "numpy": np.__version__,
        "pandas": pandas.__version__,
        "duckdb": duckdb.__version__,
    }


def table(runs: list[dict]) -> str:
    """The results as a Markdown table."""
    head = (
        "| records | file MB | contender | seconds | records/s | peak MiB | ours/DuckDB | pandas/ours |\n"
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"
    )
    lines = [head]
    for run in runs:
        res = run["results"]
        for name, r in res.items():
            ours = name.startswith(("contacts311", "module"))
            secs = r["seconds"]
            ratio_duck = f"{secs / res['duckdb']['seconds']:.2f}" if ours else ""
            ratio_pd = f"{res['pandas']['seconds'] / secs:.2f}" if ours else ""
            lines.append(
                f"| {_label(run['records'])} | {run['bytes'] / 1e6:,.0f} | {name} | {r['seconds']:.2f} "
                f"| {run['records'] / r['seconds']:,.0f} | {r['peak_mib']:,.0f} | {ratio_duck} | {ratio_pd} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every contender gives the same totals."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1M,5M,10M", help="record counts, e.g. 1M,5M,10M or 200k"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"one tiny size ({QUICK_SIZE:,} records)"
    )
    parser.add_argument(
        "--workdir", type=Path, help="folder for generated files (default: a temp dir)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument(
        "--baseline",
        default="4b66e45",
        help="commit whose Connect module is also timed ('none': skip)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="interleaved rounds per size; medians are reported"
    )
    parser.add_argument(
        "--transfers",
        type=float,
        default=0.0,
        help="share of contacts that are transfer legs of another (e.g. 0.05; default: none)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    sizes = [QUICK_SIZE] if args.quick else [_size(s) for s in args.sizes.split(",") if s.strip()]
    own_tmp = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="contacts311-bench-")) if own_tmp else args.workdir
    runs = []
    try:
        baseline = None if args.baseline == "none" else baseline_tree(args.baseline, workdir)
        for n in sizes:
            print(f"{_label(n)} records ...", file=sys.stderr, flush=True)
            runs.append(run_size(n, workdir, args.repeat, baseline, args.transfers))
            done = ", ".join(
                f"{name} {'/'.join(f'{t:.1f}' for t in r['rounds'])}s {r['peak_mib']:,.0f}MiB"
                for name, r in runs[-1]["results"].items()
            )
            print(f"  {done}", file=sys.stderr, flush=True)
    finally:
        if own_tmp:
            shutil.rmtree(workdir, ignore_errors=True)
    print(table(runs))
    if args.repeat > 1:
        print(f"\nSeconds are medians of {args.repeat} interleaved rounds; peak MiB the highest.")
    print()
    print("Machine: " + "; ".join(f"{k} {v}" for k, v in machine().items()))
    agree = all(r["agree"] for r in runs)
    for r in runs:
        line = ", ".join(f"{k}: {v['totals']}" for k, v in r["results"].items())
        print(f"{_label(r['records'])}: totals {'agree' if r['agree'] else 'DIFFER'} ({line})")
    if args.json:
        args.json.write_text(
            json.dumps({"machine": machine(), "runs": runs}, indent=2), encoding="utf-8"
        )
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
