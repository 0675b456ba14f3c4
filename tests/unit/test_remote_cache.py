"""Marks of remote objects: keyed by the store, URL, ETag, size and time, never a credential."""

import threading

import pytest

from contacts311 import remote_cache

URL = "abfs://landing/sample/phone/a.txt"
CANARY = "CANARYkey0123456789abcdefCANARY"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(
        "AZURE_STORAGE_CONNECTION_STRING",
        f"AccountName=acct;AccountKey={CANARY};BlobEndpoint=http://127.0.0.1:1/acct;",
    )
    yield tmp_path / "cache"
    remote_cache.forget(tmp_path)


def _remembered(tmp_path, sha="ab" * 32, fmt="avaya_cms"):
    key, mark = remote_cache.lookup("abfs", URL, "0x1", 10, 1700000000.0)
    assert mark is None  # never seen
    path = tmp_path / "copy" / "a.txt"
    remote_cache.register(path, key, remote_cache.Mark(), None)
    remote_cache.note_format(path, fmt)
    remote_cache.remember([(path, sha)])
    return key


def test_a_remembered_object_is_known_by_its_etag_size_and_time(cache, tmp_path):
    key = _remembered(tmp_path)
    again = remote_cache.lookup("abfs", URL, "0x1", 10, 1700000000.0)
    assert again == (key, remote_cache.Mark("ab" * 32, "avaya_cms"))
    for changed in [("0x2", 10, 1700000000.0), ("0x1", 11, 1700000000.0), ("0x1", 10, 1.0)]:
        assert remote_cache.lookup("abfs", URL, *changed)[1] is None
    assert remote_cache.lookup("abfs", URL + "x", "0x1", 10, 1700000000.0)[1] is None


def test_no_etag_or_time_is_never_known(cache, tmp_path):
    _remembered(tmp_path)
    assert remote_cache.lookup("abfs", URL, "", 10, 1700000000.0)[1] is None
    assert remote_cache.lookup("abfs", URL, "0x1", 10, 0)[1] is None


def test_a_rotated_key_keeps_the_marks_and_none_holds_a_credential(cache, tmp_path, monkeypatch):
    key = _remembered(tmp_path)
    monkeypatch.setenv(
        "AZURE_STORAGE_CONNECTION_STRING",
        "AccountName=acct;AccountKey=OTHERkey;BlobEndpoint=http://127.0.0.1:1/acct;",
    )
    assert remote_cache.lookup("abfs", URL, "0x1", 10, 1700000000.0)[0] == key
    files = list(cache.rglob("*"))
    assert files and all(CANARY.encode() not in p.read_bytes() for p in files if p.is_file())
    # Another account or endpoint is another store.
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", "AccountName=b;AccountKey=OTHERkey;")
    assert remote_cache.lookup("abfs", URL, "0x1", 10, 1700000000.0)[1] is None


def test_without_the_cache_nothing_is_known_or_written(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTACTS311_CACHE_DIR", "off")
    key, mark = remote_cache.lookup("s3", "s3://b/x", "e", 1, 1.0)
    assert mark is None
    remote_cache.register(tmp_path / "x", key, remote_cache.Mark(), None)
    remote_cache.remember([(tmp_path / "x", "ab" * 32)])
    remote_cache.forget(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_placeholder_has_the_size_and_time_and_is_fetched_once(tmp_path):
    path = tmp_path / "copy" / "x.csv"
    remote_cache.placeholder(path, 1000, 1700000000.0)
    assert path.stat().st_size == 1000 and path.stat().st_mtime == 1700000000.0
    fetched = []

    def fetch():
        fetched.append(1)
        path.write_bytes(b"real")

    remote_cache.register(path, "k", remote_cache.Mark("cd" * 32, "zendesk"), fetch)
    assert remote_cache.digest(path) == "cd" * 32
    assert remote_cache.known_format(path) == "zendesk"
    threads = [threading.Thread(target=remote_cache.ensure_local, args=(path,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fetched == [1] and path.read_bytes() == b"real"
    remote_cache.forget(tmp_path)
    remote_cache.ensure_local(path)  # no longer a placeholder: nothing to do
    assert fetched == [1]
