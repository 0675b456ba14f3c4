"""Remote data folders against real emulators on loopback: moto's S3 server and Azurite.

Each emulator is started once for the module on a free port and holds the bundled sample,
and a copy of it with its Zendesk tables as Parquet; the command line must print from
``s3://`` and ``abfs://`` exactly what it prints for the local folder. The credentials are planted canaries: no output, page, ledger, history,
provenance or message may ever contain them.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import http.client
import http.server
import io
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "raw" / "sample"
AZURITE = ROOT / "node_modules" / ".bin" / "azurite-blob"
#: Azurite's account for the tests; its key is the Azure canary (valid base64, 30 bytes).
AZURE_ACCOUNT = "canaryacct"
AZURE_CANARY = "CANARYazuriteKey0123456789abcdefCANARYxx"
BUCKET = "landing"
PREFIX = "sample"
#: Where each store holds the sample with its Zendesk incremental export as Parquet tables.
PARQUET_PREFIX = "sample-parquet"

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("remote")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


@contextlib.contextmanager
def _server(command: list[str], port: int, env: dict[str, str], log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=out, stdin=subprocess.DEVNULL, env=env
        )
    try:
        _wait_for_port(port, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _sample_files(folder: Path = SAMPLE) -> list[tuple[str, Path]]:
    return [(p.relative_to(folder).as_posix(), p) for p in sorted(folder.rglob("*")) if p.is_file()]


@pytest.fixture(scope="module")
def sample_parquet(tmp_path_factory) -> Path:
    """The sample as a data lake holds it: the Zendesk incremental export as Parquet tables.

    Each quarter's tickets and ticket events, and the users, become one Parquet table with
    the records' own nesting (``via`` a struct, ``custom_fields`` and ``child_events`` lists
    of structs), as a lake's copy job writes them; the phone reports, the Support CSV exports
    and the reference tables are the sample's own files.
    """
    import gzip
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path_factory.mktemp("lake") / "sample-parquet"
    incremental = SAMPLE / "zendesk" / "incremental"
    for name, path in _sample_files():
        if not name.startswith("zendesk/incremental/"):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, folder / name)
    (folder / "zendesk" / "lake").mkdir()
    for path in sorted(incremental.glob("*.ndjson.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            records = [json.loads(line) for line in lines if line.strip()]
        table = folder / "zendesk" / "lake" / path.name.replace(".ndjson.gz", ".parquet")
        pq.write_table(pa.Table.from_pylist(records), table)
    return folder


def _uploads(sample_parquet: Path) -> Iterator[tuple[str, Path]]:
    """Every object a store holds at the start: the sample, and its Parquet copy."""
    for name, path in _sample_files():
        yield f"{PREFIX}/{name}", path
    for name, path in _sample_files(sample_parquet):
        yield f"{PARQUET_PREFIX}/{name}", path


@dataclass
class Store:
    """One emulator holding the sample: its URL, the environment to reach it, its canary."""

    url: str
    env: dict[str, str]
    canary: str
    port: int
    write: Callable[[str, bytes], None] = field(repr=False)  # key in the bucket, body


# --------------------------------------------------------------------------- S3 (moto)


@pytest.fixture(scope="module")
def s3(tmp_path_factory, sample_parquet) -> Iterator[Store]:
    """moto's S3 server with IAM checks on; an access key made for the tests is the canary."""
    boto3 = pytest.importorskip("boto3")
    pytest.importorskip("moto")
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # The first three requests (a user, its policy, its key) are let through unsigned; every
    # later one must be signed by a key that IAM knows and has not revoked.
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3", "MOTO_PORT": str(port)}
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with _server(command, port, env, log):
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="setup",
            aws_secret_access_key="setup",
        )
        iam.create_user(UserName="reports")
        iam.put_user_policy(
            UserName="reports",
            PolicyName="all",
            PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
            '"Action":"*","Resource":"*"}]}',
        )
        key = iam.create_access_key(UserName="reports")["AccessKey"]
        client_env = {
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
        s3c = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        s3c.create_bucket(Bucket=BUCKET)
        for name, path in _uploads(sample_parquet):
            s3c.upload_file(str(path), BUCKET, name)

        def write(name: str, body: bytes) -> None:
            s3c.put_object(Bucket=BUCKET, Key=name, Body=body)

        store = Store(f"s3://{BUCKET}/{PREFIX}", client_env, key["SecretAccessKey"], port, write)
        store.iam = iam  # type: ignore[attr-defined]
        store.key_id = key["AccessKeyId"]  # type: ignore[attr-defined]
        yield store


# --------------------------------------------------------------------------- Azure (Azurite)


def _connection_string(port: int, key: str = AZURE_CANARY) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURE_ACCOUNT};AccountKey={key};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{AZURE_ACCOUNT};"
    )


@pytest.fixture(scope="module")
def azure(tmp_path_factory, sample_parquet) -> Iterator[Store]:
    """Azurite's Blob service with one account whose key is the canary."""
    if not AZURITE.exists() or shutil.which("node") is None:
        pytest.skip("Azurite is not installed (run `make node`)")
    blob = pytest.importorskip("azure.storage.blob")
    port = _free_port()
    work = tmp_path_factory.mktemp("azurite")
    env = {**os.environ, "AZURITE_ACCOUNTS": f"{AZURE_ACCOUNT}:{AZURE_CANARY}"}
    command = [
        str(AZURITE),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(port),
        "--location",
        str(work),
        "--disableTelemetry",
        "--skipApiVersionCheck",
        "--silent",
    ]
    with _server(command, port, env, work / "azurite.log"):
        service = blob.BlobServiceClient.from_connection_string(_connection_string(port))
        container = service.create_container(BUCKET)
        for name, path in _uploads(sample_parquet):
            with path.open("rb") as fh:
                container.upload_blob(name, fh)

        def write(name: str, body: bytes) -> None:
            container.upload_blob(name, body, overwrite=True)

        client_env = {"AZURE_STORAGE_CONNECTION_STRING": _connection_string(port)}
        yield Store(f"abfs://{BUCKET}/{PREFIX}", client_env, AZURE_CANARY, port, write)


# --------------------------------------------------------------------------- running the CLI


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


_CLEAN = (
    "AWS_",
    "AZURE_",
)


def _clean_environment(env: dict[str, str], cache: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(_CLEAN)}
    # The read cache is the module's own, so the canary checks grep it too.
    return {**base, **env, "CONTACTS311_CACHE_DIR": str(cache)}


def _cli(args: list[str], env: dict[str, str], tmp: Path, cache: Path) -> Ran:
    """``contacts311 ARGS`` as a command, in a fresh process with only ``env``'s credentials."""
    full = _clean_environment(env, cache)
    full["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    done = subprocess.run(
        [sys.executable, "-m", "contacts311", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=tmp,
        timeout=120,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def _in_process(args: list[str], env: dict[str, str], cache: Path) -> Ran:
    """``contacts311 ARGS`` through :func:`contacts311.cli.main` in this process (faster)."""
    from contacts311.cli import main

    saved = dict(os.environ)
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.clear()
        os.environ.update(_clean_environment(env, cache))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Ran(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def run(cache) -> Callable[[list[str], dict[str, str]], Ran]:
    return lambda args, env: _in_process(args, env, cache)


@pytest.fixture(scope="module")
def local_totals(run) -> Ran:
    ran = run(["totals", str(SAMPLE)], {})
    assert ran.code == 0, ran.stderr
    return ran


@pytest.fixture(scope="module")
def local_ledger(run) -> Ran:
    ran = run(["ledger", str(SAMPLE), "--format", "csv"], {})
    assert ran.code == 0, ran.stderr
    return ran


def _store(request, name: str) -> Store:
    return request.getfixturevalue(name)


# --------------------------------------------------------------------------- equal to local


@pytest.mark.parametrize("name", ["s3", "azure"])
def test_totals_equal_local(request, name, local_totals, tmp_path, cache, run):
    store = _store(request, name)
    # S3 through the installed command itself, Azure through the same code in this process.
    if name == "s3":
        ran = _cli(["totals", store.url], store.env, tmp_path, cache)
    else:
        ran = run(["totals", store.url], store.env)
    assert ran.code == 0, ran.stderr
    assert ran.stdout == local_totals.stdout
    assert store.canary not in ran.stdout + ran.stderr


def _written(*folders: Path) -> Iterator[Path]:
    for folder in folders:
        if folder.exists():
            yield from (p for p in folder.rglob("*") if p.is_file())


def _assert_no_canary(canary: str, texts: list[str], *folders: Path) -> int:
    """No text and no file under ``folders`` holds ``canary``; the number of files looked at."""
    for text in texts:
        assert canary not in text
    looked = 0
    for path in _written(*folders):
        assert canary.encode() not in path.read_bytes(), f"canary found in {path}"
        looked += 1
    return looked


@pytest.mark.parametrize(
    ("name", "url"), [("s3", f"s3://{BUCKET}/{PREFIX}"), ("azure", f"az://{BUCKET}/{PREFIX}/")]
)
def test_ledger_equal_local(request, name, url, local_ledger, run, cache):
    """The ledger from the store equals the local folder's (``az://`` is ``abfs://``)."""
    store = _store(request, name)
    ran = run(["ledger", url, "--format", "csv"], store.env)
    assert ran.code == 0, ran.stderr
    assert ran.stdout == local_ledger.stdout
    assert ran.stderr == local_ledger.stderr  # the notes on the rules, and no other line
    assert _assert_no_canary(store.canary, [ran.stdout, ran.stderr], cache) > 0


def _private_copies() -> Path:
    import tempfile

    return Path(tempfile.gettempdir()) / f"contacts311-remote-{os.getuid()}"


def test_report_from_the_lake(azure, local_ledger, tmp_path, cache):
    """A full report straight from abfs://: the same inputs as the local folder, URL recorded."""
    import json
    import sqlite3

    out = tmp_path / "reports"
    ran = _cli(["report", azure.url, "--out", str(out)], azure.env, tmp_path, cache)
    assert ran.code == 0, ran.stderr
    assert f"loading exports from {azure.url}" in ran.stderr
    prov = json.loads((out / "latest" / "provenance.json").read_text())
    assert prov["data_dir"] == azure.url
    assert prov["parameters"]["data_dir"] == azure.url
    # The inputs the local folder would record: each file's digest, size and rows read.
    local = csv.DictReader(io.StringIO(local_ledger.stdout))
    expected = [
        {
            "source_file": row["source_file"],
            "format": row["format"],
            "sha256": hashlib.sha256((SAMPLE / row["source_file"]).read_bytes()).hexdigest(),
            "bytes": (SAMPLE / row["source_file"]).stat().st_size,
            "rows_read": int(row["rows_read"]),
        }
        for row in local
        if row["format"]  # files skipped as not exports are in the ledger, not the inputs
    ]
    assert sorted(prov["inputs"], key=lambda r: r["source_file"]) == sorted(
        expected, key=lambda r: r["source_file"]
    )
    pages = sorted(p.name for p in (out / "latest").glob("*.html"))
    assert len(pages) >= 5 and "index.html" in pages
    with contextlib.closing(sqlite3.connect(out / "history.sqlite")) as db:
        assert db.execute("select count(distinct run_id) from figures").fetchone() == (1,)
    # Unchanged objects (same ETag, size and time): the next run is up to date, nothing read.
    again = _cli(["report", azure.url, "--out", str(out)], azure.env, tmp_path, cache)
    assert again.code == 0 and "up to date" in again.stderr
    looked = _assert_no_canary(
        azure.canary,
        [ran.stdout, ran.stderr, again.stdout, again.stderr],
        tmp_path,
        cache,
        _private_copies(),
    )
    assert looked > 10  # pages, provenance, history, runs index, cache entries
    assert any((cache / "remote").glob("*.json"))  # the objects' marks were grepped too
    # The private copy of the objects is gone once the load is over.
    assert not any(_private_copies().glob("*/*"))


def _parquet_url(store: Store) -> str:
    return store.url.rsplit("/", 1)[0] + f"/{PARQUET_PREFIX}"


@pytest.mark.parametrize("name", ["s3", "azure"])
def test_parquet_copy_of_the_sample_equals_local(request, name, sample_parquet, local_totals, run):
    """The sample's Zendesk tables as Parquet in the store: the sample's own totals, and the
    ledger of the same Parquet copy read from a local folder."""
    store = _store(request, name)
    totals = run(["totals", _parquet_url(store)], store.env)
    assert totals.code == 0, totals.stderr
    assert totals.stdout == local_totals.stdout
    local = run(["ledger", str(sample_parquet), "--format", "csv"], {})
    remote = run(["ledger", _parquet_url(store), "--format", "csv"], store.env)
    assert remote.code == 0, remote.stderr
    assert remote.stdout == local.stdout
    tables = [
        r for r in csv.DictReader(io.StringIO(remote.stdout)) if ".parquet" in r["source_file"]
    ]
    assert len(tables) == len(list((sample_parquet / "zendesk" / "lake").iterdir()))
    assert all(r["format"] == "zendesk" and int(r["rows_read"]) > 0 for r in tables)
    _assert_no_canary(store.canary, [totals.stderr, remote.stdout, remote.stderr])


def test_report_from_parquet_tables_in_the_lake(s3, sample_parquet, run, tmp_path, cache):
    """A full report from the Parquet copy: the sample's figures, every table an input."""
    import json
    import sqlite3

    out = tmp_path / "reports"
    url = _parquet_url(s3)
    ran = _cli(["report", url, "--out", str(out)], s3.env, tmp_path, cache)
    assert ran.code == 0, ran.stderr
    local = run(["totals", str(SAMPLE), "--format", "csv"], {})
    expected = {
        (row["period"], channel, int(row[channel]), row["is_partial"] == "True")
        for row in csv.DictReader(io.StringIO(local.stdout))
        for channel in ("phone", "email", "webform", "in_person", "total")
    }
    with contextlib.closing(sqlite3.connect(out / "history.sqlite")) as db:
        rows = db.execute("select period, channel, value, is_partial from figures").fetchall()
    assert {(p, c, v, bool(partial)) for p, c, v, partial in rows} == expected
    prov = json.loads((out / "latest" / "provenance.json").read_text())
    assert prov["data_dir"] == url
    read = {r["source_file"]: r["rows_read"] for r in prov["inputs"] if r["format"] == "zendesk"}
    tables = sorted(p.relative_to(sample_parquet).as_posix()
                    for p in (sample_parquet / "zendesk" / "lake").iterdir())  # fmt: skip
    assert sorted(n for n in read if n.endswith(".parquet")) == tables
    assert all(read[n] > 0 for n in tables)
    page = (out / "latest" / "01_contacts_handled.html").read_text(encoding="utf-8")
    assert "181,798" in page  # FY 2023-24, the figure PDX 311 published
    _assert_no_canary(s3.canary, [ran.stdout, ran.stderr], out, cache)


# --------------------------------------------------------------------------- faults


class _FaultProxy(http.server.ThreadingHTTPServer):
    """A loopback HTTP proxy in front of an emulator that injects one kind of fault.

    ``forward``: none, every request is passed on (and counted, as are the objects' reads).
    ``throttle``: the first ``times`` requests get 503 SlowDown / ServerBusy. ``cut``: the
    first object read gets half its body, then the proxy stops listening (the store "stops"
    mid-read). ``change``: before the first object read is forwarded, the object is rewritten
    in the store.
    """

    daemon_threads = True

    def __init__(self, upstream: int, mode: str, times: int = 0, change=None) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.upstream, self.mode, self.times, self.change = upstream, mode, times, change
        self.seen = 0
        self.reads = 0  # GETs of an object's bytes (not listings or lookups)
        self.read_bytes = 0  # the bytes those GETs carried
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def stop(self) -> None:
        threading.Thread(target=self._stop, daemon=True).start()

    def _stop(self) -> None:
        self.shutdown()
        self.server_close()


def _is_object_read(method: str, path: str) -> bool:
    base, _, query = path.partition("?")
    return (
        method == "GET" and "list" not in query and "restype" not in query and base.count("/") >= 3
    )


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _handle(self) -> None:
        server: _FaultProxy = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with server.lock:
            server.seen += 1
            server.reads += _is_object_read(self.command, self.path)
            throttled = server.mode == "throttle" and (
                server.times < 0 or server.seen <= server.times
            )
            first_read = _is_object_read(self.command, self.path) and server.mode in (
                "cut",
                "change",
            )
            if first_read:
                mode, server.mode = server.mode, "forward"
        if throttled:
            self._throttle()
            return
        if first_read and mode == "change":
            server.change()
        status, headers, payload = self._forward(body)
        if _is_object_read(self.command, self.path):
            with server.lock:
                server.read_bytes += len(payload)
        if first_read and mode == "cut":
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            server.stop()
            return
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        server: _FaultProxy = self.server  # type: ignore[assignment]
        conn = http.client.HTTPConnection("127.0.0.1", server.upstream, timeout=30)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            conn.putheader(k, v)
        conn.endheaders(body or None)
        resp = conn.getresponse()
        payload = b"" if self.command == "HEAD" else resp.read()
        skip = {"transfer-encoding", "connection", "content-length"}
        headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in skip]
        length = resp.getheader("Content-Length") if self.command == "HEAD" else len(payload)
        headers.append(("Content-Length", str(length or 0)))
        conn.close()
        return resp.status, headers, payload

    def _throttle(self) -> None:
        body = (
            b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
            b"<Message>Please reduce your request rate.</Message></Error>"
        )
        self.send_response(503)
        self.send_header("Content-Type", "application/xml")
        self.send_header("x-ms-error-code", "ServerBusy")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _handle


@contextlib.contextmanager
def _proxy(upstream: int, mode: str, **options) -> Iterator[_FaultProxy]:
    proxy = _FaultProxy(upstream, mode, **options)
    try:
        yield proxy
    finally:
        with contextlib.suppress(OSError):
            proxy._stop()


def _via(store: Store, port: int) -> dict[str, str]:
    """The store's environment, with the endpoint moved to ``port``."""
    if "AWS_ENDPOINT_URL" in store.env:
        return {**store.env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    return {"AZURE_STORAGE_CONNECTION_STRING": _connection_string(port)}


def _one_line_error(ran: Ran, store: Store, *words: str) -> str:
    assert ran.code == 2, ran.stderr
    assert ran.stdout == ""
    lines = ran.stderr.splitlines()
    assert len(lines) == 1, ran.stderr
    assert lines[0].startswith("contacts311: error: "), lines[0]
    assert "Traceback" not in ran.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert store.canary not in ran.stderr
    return lines[0]


@pytest.mark.parametrize("name", ["s3", "azure"])
def test_unreachable_store(request, name, run):
    store = _store(request, name)
    # A port held bound but not listening refuses every connection; a port only found free
    # could be taken meanwhile by another server (a fault proxy answered 503 once).
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        ran = run(["totals", store.url], _via(store, held.getsockname()[1]))
    _one_line_error(ran, store, store.url, "unreachable", "nothing was published")


@pytest.mark.parametrize(
    ("name", "url"), [("s3", "s3://no-such-bucket/x"), ("azure", "abfs://no-such-container/x")]
)
def test_missing_bucket_or_container(request, name, url, run):
    store = _store(request, name)
    ran = run(["totals", url], store.env)
    _one_line_error(ran, store, url, "not found in the store (404)")


def test_missing_prefix(s3, run):
    ran = run(["totals", f"s3://{BUCKET}/no-such-folder"], s3.env)
    _one_line_error(ran, s3, "no exports in this remote folder")


def test_revoked_key_s3(s3, run):
    boto3 = pytest.importorskip("boto3")
    iam = boto3.client(
        "iam",
        endpoint_url=s3.env["AWS_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id=s3.env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=s3.env["AWS_SECRET_ACCESS_KEY"],
    )
    old = iam.create_access_key(UserName="reports")["AccessKey"]
    iam.delete_access_key(UserName="reports", AccessKeyId=old["AccessKeyId"])
    env = {
        **s3.env,
        "AWS_ACCESS_KEY_ID": old["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": old["SecretAccessKey"],
    }
    ran = run(["totals", s3.url], env)
    line = _one_line_error(ran, s3, s3.url, "access denied (403)")
    assert old["SecretAccessKey"] not in line and old["AccessKeyId"] not in line


def test_revoked_key_azure(azure, run):
    rotated = "B" * 38 + "=="  # the account's key was rotated: the old one no longer signs
    env = {"AZURE_STORAGE_CONNECTION_STRING": _connection_string(azure.port, rotated)}
    ran = run(["totals", azure.url], env)
    line = _one_line_error(ran, azure, azure.url, "access denied (403)")
    assert rotated not in line


@pytest.mark.parametrize("name", ["s3", "azure"])
def test_throttling_is_retried_then_served(request, name, local_totals, run):
    """503 SlowDown / ServerBusy twice, then served: the retries make the run succeed."""
    store = _store(request, name)
    with _proxy(store.port, "throttle", times=2) as proxy:
        ran = run(["totals", store.url], _via(store, proxy.port))
    assert ran.code == 0, ran.stderr
    assert ran.stdout == local_totals.stdout
    assert proxy.seen > 2


@pytest.mark.parametrize("name", ["s3", "azure"])
def test_throttling_past_the_retries_is_an_error(request, name, run):
    from contacts311 import remote

    store = _store(request, name)
    with _proxy(store.port, "throttle", times=-1) as proxy:
        start = time.monotonic()
        ran = run(["totals", store.url], _via(store, proxy.port))
        seconds = time.monotonic() - start
    _one_line_error(ran, store, "throttling", f"after {remote.ATTEMPTS} attempts")
    # Bounded: each of our attempts is at most two requests (a listing falls back to a
    # lookup), and no retries are hidden below ours.
    assert remote.ATTEMPTS <= proxy.seen <= 2 * remote.ATTEMPTS
    assert seconds < 10


@pytest.mark.parametrize("name", ["s3", "azure"])
def test_object_changed_during_read(request, name, tmp_path, run):
    """An object rewritten between the listing and its read: refused, nothing published."""
    store = _store(request, name)
    file, path = _sample_files()[0]  # the first object read
    key = f"{PREFIX}/{file}"
    out = tmp_path / "reports"
    with _proxy(store.port, "change", change=lambda: store.write(key, b"rewritten\n")) as proxy:
        try:
            ran = run(["report", store.url, "--out", str(out)], _via(store, proxy.port))
        finally:
            store.write(key, path.read_bytes())
    assert ran.code == 2, ran.stderr
    errors = [line for line in ran.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, ran.stderr
    assert f"{store.url}/{file}: the object changed while it was read" in errors[0]
    assert errors[0].endswith("nothing was published")
    assert not (out / "latest").exists()
    assert not (out / "history.sqlite").exists()
    assert store.canary not in ran.stderr


@pytest.mark.parametrize("name", ["s3", "azure"])
def test_store_stopped_mid_read_publishes_nothing(request, name, tmp_path, run):
    store = _store(request, name)
    out = tmp_path / "reports"
    with _proxy(store.port, "cut") as proxy:
        ran = run(["report", store.url, "--out", str(out)], _via(store, proxy.port))
    assert ran.code == 2, ran.stderr
    errors = [line for line in ran.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "unreachable or stopped answering" in errors[0], ran.stderr
    assert not (out / "latest").exists()
    assert not (out / "history.sqlite").exists()
    assert _assert_no_canary(store.canary, [ran.stdout, ran.stderr], out) >= 1  # runs.json


@pytest.mark.parametrize("name", ["s3", "azure"])
def test_unrecognised_export_is_named_by_its_url(request, name, run):
    """Bad input in the store reads as it would locally, naming the object's URL."""
    store = _store(request, name)
    store.write("bad/zendesk/tickets.csv", b"what;is;this\n1;2;3\n")
    scheme = store.url.split("://")[0]
    ran = run(["totals", f"{scheme}://{BUCKET}/bad"], store.env)
    line = _one_line_error(ran, store, f"{scheme}://{BUCKET}/bad/zendesk/tickets.csv, line 1:")
    assert "semicolon-delimited" in line
    assert "contacts311-remote-" not in line  # never the private copy's path


# --------------------------------------------------------------------------- profile sources


def _profile(folder: Path, phone: str, zendesk: str) -> Path:
    path = folder / "profile.yml"
    path.write_text(
        f"sources:\n  - format: avaya_cms\n    path: {phone}\n"
        f"  - format: zendesk\n    path: {zendesk}\n"
    )
    return path


def test_profile_sources_in_two_stores_equal_local(s3, azure, tmp_path, cache, run):
    """Phone on s3://, Zendesk on abfs://: the totals the same entries give locally."""
    local = _profile(tmp_path, f"{SAMPLE}/phone/**/*", f"{SAMPLE}/zendesk/**/*")
    expected = run(["totals", "--profile", str(local)], {})
    assert expected.code == 0, expected.stderr
    (tmp_path / "remote").mkdir()
    remote = _profile(tmp_path / "remote", f"{s3.url}/phone", f"{azure.url}/zendesk/**/*.gz")
    env = {**s3.env, **azure.env}
    ran = run(["totals", "--profile", str(remote)], env)
    assert ran.code == 0, ran.stderr
    assert ran.stdout == expected.stdout
    ledger = run(["ledger", "--profile", str(remote), "--format", "csv"], env)
    assert ledger.code == 0, ledger.stderr
    names = {row["source_file"] for row in csv.DictReader(io.StringIO(ledger.stdout))}
    phone = {
        f"{s3.url}/phone/{n[len('phone/') :]}" for n, _ in _sample_files() if n[:6] == "phone/"
    }
    zendesk = {f"{azure.url}/{n}" for n, _ in _sample_files() if n.startswith("zendesk/")}
    assert names == phone | zendesk
    _assert_no_canary(s3.canary, [ran.stderr, ledger.stdout, ledger.stderr], cache)
    _assert_no_canary(azure.canary, [ran.stderr, ledger.stdout, ledger.stderr], cache)


def test_profile_source_url_in_the_report_key(s3, tmp_path, cache):
    """A report from a profile URL records object URLs; a rewritten object makes it stale."""
    import json

    profile = _profile(tmp_path, f"{s3.url}/phone", f"{SAMPLE}/zendesk/**/*")
    out = tmp_path / "reports"
    args = ["report", "--profile", str(profile), "--out", str(out)]
    ran = _cli(args, s3.env, tmp_path, cache)
    assert ran.code == 0, ran.stderr
    prov = json.loads((out / "latest" / "provenance.json").read_text())
    names = {row["source_file"] for row in prov["inputs"]}
    phone = sorted(n for n in names if n.startswith("s3://"))
    assert phone and all(n.startswith(f"{s3.url}/phone/") for n in phone)
    assert _cli(args, s3.env, tmp_path, cache).stderr.count("up to date") == 1
    # The same bytes uploaded again: a new modification time, so the run is not up to date.
    key = f"{PREFIX}/{phone[0][len(s3.url) + 1 :]}"
    s3.write(key, (SAMPLE / phone[0][len(s3.url) + 1 :]).read_bytes())
    again = _cli(args, s3.env, tmp_path, cache)
    assert again.code == 0, again.stderr
    assert "up to date" not in again.stderr
    _assert_no_canary(s3.canary, [ran.stderr, again.stderr], out, cache)


# --------------------------------------------------------------------------- the read cache


@pytest.mark.parametrize("name", ["s3", "azure"])
def test_unchanged_objects_are_not_downloaded_again(request, name, local_totals, tmp_path):
    """Counted at the wire: a second run reads no object; a rewritten one is read afresh."""
    store = _store(request, name)
    cache = tmp_path / "cache"
    objects = len(_sample_files())
    with _proxy(store.port, "forward") as proxy:
        env = _via(store, proxy.port)
        runs = []
        for rewrite in (False, False, True):
            if rewrite:  # the same bytes uploaded again: a new time (and, on Azure, ETag)
                file, path = _sample_files()[-1]
                store.write(f"{PREFIX}/{file}", path.read_bytes())
            before = proxy.reads
            ran = _in_process(["totals", store.url], env, cache)
            assert ran.code == 0, ran.stderr
            assert ran.stdout == local_totals.stdout
            runs.append(proxy.reads - before)
    first, second, third = runs
    assert first >= objects
    assert second == 0
    assert 1 <= third < objects
    marks = list((cache / "remote").glob("*.json"))
    assert len(marks) >= objects
    assert _assert_no_canary(store.canary, [ran.stderr], cache) >= objects


# --------------------------------------------------------------------------- Parquet tables

ZENDESK_DATA = ROOT / "tests" / "data" / "zendesk"
CONNECT_DATA = ROOT / "tests" / "data" / "amazon_connect"
#: A resident's words in a column no source reads; ~8 MB of them in the tickets table.
RESIDENT_TEXT = "RESIDENTtext my neighbour at 12 Elm St keeps calling about the pothole. "


def _lake_tables(folder: Path) -> dict[str, Path]:
    """The Zendesk fixtures as data-lake tables, and Amazon Connect records as Parquet.

    The tickets carry a large free-text column, stored uncompressed and without statistics,
    so that its bytes would show at the wire and in any file they reached.
    """
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir()
    for name, (fixture, key) in {
        "tickets.parquet": ("incremental_tickets.json", "tickets"),
        "ticket_events.parquet": ("incremental_ticket_events.json", "ticket_events"),
        "users.parquet": ("incremental_users.json", "users"),
    }.items():
        records = json.loads((ZENDESK_DATA / fixture).read_text(encoding="utf-8"))[key]
        table = pa.Table.from_pylist(records)
        if name == "tickets.parquet":
            note = RESIDENT_TEXT * (8_000_000 // len(RESIDENT_TEXT) // len(records))
            notes = [f"{note} ({i})" for i in range(len(records))]
            table = table.append_column("resident_note", pa.array(notes))
        pq.write_table(
            table, folder / name, compression="none", write_statistics=False, use_dictionary=False
        )
    shutil.copyfile(CONNECT_DATA / "ctr_nested.parquet", folder / "ctr_nested.parquet")
    return {p.name: p for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("name", ["s3", "azure"])
def test_parquet_tables_read_column_by_column_equal_local(request, name, tmp_path):
    """Totals and ledger equal the local folder's; the unread column never reaches the disk."""
    store = _store(request, name)
    tables = _lake_tables(tmp_path / "lake")
    for file, path in tables.items():
        store.write(f"lake-{name}/{file}", path.read_bytes())
    url = store.url.rsplit("/", 1)[0] + f"/lake-{name}"
    cache = tmp_path / "cache"
    local = [_in_process([cmd, str(tmp_path / "lake"), "--format", "csv"], {}, cache)
             for cmd in ("totals", "ledger")]  # fmt: skip
    assert all(r.code == 0 for r in local), [r.stderr for r in local]
    with _proxy(store.port, "forward") as proxy:
        remote = [_in_process([cmd, url, "--format", "csv"], _via(store, proxy.port), cache)
                  for cmd in ("totals", "ledger")]  # fmt: skip
    assert [r.code for r in remote] == [0, 0], [r.stderr for r in remote]
    assert [r.stdout for r in remote] == [r.stdout for r in local]
    assert "phone" in remote[0].stdout  # the Connect records counted
    # Footers and the columns read, in both runs: 175 kB of the tables' 8 MB when measured.
    total = sum(p.stat().st_size for p in tables.values())
    assert total > 8_000_000 and proxy.read_bytes < total / 10, (proxy.read_bytes, total)
    # Neither the read cache nor the private copies ever held the resident's words.
    for path in _written(cache, _private_copies()):
        assert RESIDENT_TEXT[:20].encode() not in path.read_bytes(), path


def test_profile_source_urls_read_only_the_columns_needed(s3, tmp_path):
    """Profile ``sources:`` entries naming Parquet tables by URL: the columns read, and once."""
    tables = _lake_tables(tmp_path / "lake")
    for file, path in tables.items():
        folder = "connect" if file.startswith("ctr_") else "zendesk"
        s3.write(f"lake-profile/{folder}/{file}", path.read_bytes())
        (tmp_path / "local" / folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, tmp_path / "local" / folder / file)

    def profile(root: str) -> str:
        text = (
            f"sources:\n  - format: zendesk\n    path: {root}/zendesk/*.parquet\n"
            f"  - format: amazon_connect\n    path: {root}/connect/*.parquet\n"
        )
        path = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}.yml"
        path.write_text(text)
        return str(path)

    cache = tmp_path / "cache"
    local = _in_process(["totals", "--profile", profile(str(tmp_path / "local"))], {}, cache)
    assert local.code == 0, local.stderr
    remote = profile(f"s3://{BUCKET}/lake-profile")
    with _proxy(s3.port, "forward") as proxy:
        ran = _in_process(["totals", "--profile", remote], _via(s3, proxy.port), cache)
        assert ran.code == 0, ran.stderr
        assert ran.stdout == local.stdout
        total = sum(p.stat().st_size for p in tables.values())
        assert proxy.reads > 0 and proxy.read_bytes < total / 10, (proxy.read_bytes, total)
        first = proxy.reads
        again = _in_process(["totals", "--profile", remote], _via(s3, proxy.port), cache)
        assert again.code == 0, again.stderr
        assert again.stdout == local.stdout
        assert proxy.reads == first  # unchanged objects: nothing read the second time
    for path in _written(cache, _private_copies()):
        assert RESIDENT_TEXT[:20].encode() not in path.read_bytes(), path


def test_profile_source_url_naming_one_object(s3, azure, cache, tmp_path, run):
    """A URL naming one object reads it alone; a glob choosing nothing is a profile error."""
    file = next(n for n, _ in _sample_files() if n.startswith("phone/"))
    profile = _profile(tmp_path, f"{s3.url}/{file}", f"{azure.url}/zendesk/support_csv/*.gz")
    env = {**s3.env, **azure.env}
    ran = run(["ledger", "--profile", str(profile), "--format", "csv"], env)
    assert ran.code == 0, ran.stderr
    names = {row["source_file"] for row in csv.DictReader(io.StringIO(ran.stdout))}
    support = {f"{azure.url}/{n}" for n, _ in _sample_files() if n.startswith("zendesk/support")}
    assert names == {f"{s3.url}/{file}"} | support
    nothing = _profile(tmp_path, f"{s3.url}/phone/*.none", f"{azure.url}/zendesk/**/*")
    ran = run(["totals", "--profile", str(nothing)], env)
    line = _one_line_error(ran, s3, f"sources entry '{s3.url}/phone/*.none' matches no object")
    assert azure.canary not in line
