import warnings

import pandas as pd
import pytest

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
