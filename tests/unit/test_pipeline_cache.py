import shutil
import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacts311.errors import InputWarning
from contacts311.pipeline import cache_dir, load

HSPLIT = "row_date,split,acdcalls,abncalls\n2023-07-03,1,10,2\n2023-07-04,1,7,1\n"


def test_cache_hit_gives_the_same_dataset_and_replays_warnings(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "calls.csv").write_text(HSPLIT)
    (data / "empty.csv").write_text("row_date,split,acdcalls,abncalls\n")  # warns: no data rows
    monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(tmp_path / "cache"))
    with warnings.catch_warnings(record=True) as first_warnings:
        warnings.simplefilter("always")
        first = load(data)
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 1
    with warnings.catch_warnings(record=True) as second_warnings:
        warnings.simplefilter("always")
        second = load(data)
    pd.testing.assert_frame_equal(first.contacts, second.contacts)
    pd.testing.assert_frame_equal(first.ledger, second.ledger)
    assert int(second.contacts["count"].sum()) == 17  # default formula acd_calls: 10 + 7
    assert [str(w.message) for w in second_warnings if w.category is InputWarning] == [
        str(w.message) for w in first_warnings if w.category is InputWarning
    ]
    assert any("no data rows" in str(w.message) for w in second_warnings)


def test_changed_file_is_read_afresh(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "calls.csv").write_text(HSPLIT)
    monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(tmp_path / "cache"))
    assert int(load(data).contacts["count"].sum()) == 17  # 10 + 7 ACD calls
    (data / "calls.csv").write_text(HSPLIT.replace(",10,", ",20,"))
    assert int(load(data).contacts["count"].sum()) == 27  # 20 + 7
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 2


def test_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTACTS311_CACHE_DIR", "off")
    assert cache_dir() is None
    data = tmp_path / "data"
    data.mkdir()
    (data / "calls.csv").write_text(HSPLIT)
    assert int(load(data).contacts["count"].sum()) == 17
    monkeypatch.delenv("CONTACTS311_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "contacts311"


def test_damaged_cache_entry_is_ignored(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "calls.csv").write_text(HSPLIT)
    monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(tmp_path / "cache"))
    load(data)
    for entry in (tmp_path / "cache").glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    with pytest.warns(InputWarning, match="damaged cache entry"):
        assert int(load(data).contacts["count"].sum()) == 17


@pytest.mark.parametrize("cache", ["off", "on"])
def test_inputs_carry_each_files_sha256_with_or_without_the_cache(tmp_path, monkeypatch, cache):
    """Provenance: the digests are hashed beside the read (no cache) or before it (cache)."""
    import hashlib

    if cache == "off":
        monkeypatch.setenv("CONTACTS311_CACHE_DIR", "off")
    else:
        monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    data.mkdir()
    (data / "calls.csv").write_text(HSPLIT)
    (data / "more.csv").write_text(HSPLIT.replace("2023", "2024"))
    for _ in range(2):  # with the cache on, the second load is a cache hit
        inputs = load(data).inputs.set_index("source_file")["sha256"].to_dict()
        assert inputs == {
            name: hashlib.sha256((data / name).read_bytes()).hexdigest()
            for name in ("calls.csv", "more.csv")
        }


@pytest.mark.parametrize("cache", ["off", "on"])
def test_a_load_without_digests_hashes_only_what_the_cache_needs(tmp_path, monkeypatch, cache):
    import hashlib

    from contacts311 import inputs

    hashed = []

    def counted(path):
        hashed.append(path.name)
        return hashlib.sha256(path.read_bytes()).hexdigest()

    monkeypatch.setattr(inputs, "sha256_file", counted)
    monkeypatch.setenv(
        "CONTACTS311_CACHE_DIR", "off" if cache == "off" else str(tmp_path / "cache")
    )
    data = tmp_path / "data"
    data.mkdir()
    (data / "calls.csv").write_text(HSPLIT)
    loaded = load(data, digests=False)
    assert int(loaded.contacts["count"].sum()) == 17
    sha = loaded.inputs.set_index("source_file")["sha256"].to_dict()
    if cache == "off":
        assert hashed == [] and sha == {"calls.csv": None}
    else:  # the cache key needs the digest, so it is there anyway
        assert hashed == ["calls.csv"]
        assert sha == {"calls.csv": hashlib.sha256(HSPLIT.encode()).hexdigest()}


def _watch_reads(monkeypatch, started=None) -> list:
    """Record each Avaya CMS read (the format of HSPLIT) as it starts; set ``started`` then."""
    from contacts311 import sources

    module = sources.get("avaya_cms")
    real = module.read
    reads = []

    def watched(files, profile):
        reads.append([f.name for f in files])
        if started is not None:
            started.set()
        return real(files, profile)

    monkeypatch.setattr(module, "read", watched)
    return reads


def test_files_never_cached_are_read_without_waiting_for_their_digests(tmp_path, monkeypatch):
    import hashlib
    import os
    import threading

    from contacts311 import inputs

    monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    data.mkdir()
    (data / "calls.csv").write_text(HSPLIT)
    read_started = threading.Event()
    reads = _watch_reads(monkeypatch, read_started)
    real_hash = inputs.sha256_file

    def hash_after_the_read_starts(path):
        # Deadlock-free only when the read does not wait for this digest.
        if not read_started.wait(10):
            raise AssertionError("the read waited for the digest")
        return real_hash(path)

    monkeypatch.setattr(inputs, "sha256_file", hash_after_the_read_starts)
    first = load(data)
    assert reads == [["calls.csv"]]
    # Stored under the digest computed beside the read; the next load hashes first and hits.
    monkeypatch.setattr(inputs, "sha256_file", real_hash)
    second = load(data)
    assert reads == [["calls.csv"]]
    pd.testing.assert_frame_equal(first.contacts, second.contacts)
    assert second.inputs["sha256"].tolist() == [hashlib.sha256(HSPLIT.encode()).hexdigest()]
    # Touched (same bytes, new time): not known as cached, so read again, and stored again.
    st = (data / "calls.csv").stat()
    os.utime(data / "calls.csv", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert int(load(data).contacts["count"].sum()) == 17
    assert reads == [["calls.csv"], ["calls.csv"]]
    assert len(list((tmp_path / "cache").glob("*.pickle"))) == 1  # the same key both times


def test_a_file_that_changes_while_it_is_read_is_not_cached(tmp_path, monkeypatch):
    import os

    from contacts311 import sources

    monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    data.mkdir()
    path = data / "calls.csv"
    path.write_text(HSPLIT)
    module = sources.get("avaya_cms")
    real = module.read

    def changing(files, profile):
        result = real(files, profile)
        st = path.stat()  # another program saves the file while it is read
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        return result

    monkeypatch.setattr(module, "read", changing)
    assert int(load(data).contacts["count"].sum()) == 17
    assert list((tmp_path / "cache").rglob("*")) == []  # no entry, no marker


def test_a_damaged_entry_warns_is_discarded_and_the_files_are_read_afresh(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "calls.csv").write_text(HSPLIT)
    monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(tmp_path / "cache"))
    load(data)
    (entry,) = (tmp_path / "cache").glob("*.pickle")
    blob = bytearray(entry.read_bytes())
    blob[-10] ^= 0x01  # one flipped bit in the payload
    entry.write_bytes(bytes(blob))
    with pytest.warns(InputWarning, match="damaged cache entry"):
        assert int(load(data).contacts["count"].sum()) == 17
    # The bad entry was replaced by a good one: the next load is a quiet hit.
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        assert int(load(data).contacts["count"].sum()) == 17


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_no_flipped_bit_in_a_cache_entry_ever_changes_a_figure(
    tmp_path, monkeypatch, position, bit
):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "calls.csv").write_text(HSPLIT)
    cache = tmp_path / "cache"
    monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(cache))
    shutil.rmtree(cache, ignore_errors=True)
    cold = load(data)
    (entry,) = cache.glob("*.pickle")
    blob = bytearray(entry.read_bytes())
    blob[position % len(blob)] ^= 1 << bit
    entry.write_bytes(bytes(blob))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        warm = load(data)
    pd.testing.assert_frame_equal(cold.contacts, warm.contacts)
    pd.testing.assert_frame_equal(cold.ledger, warm.ledger)
