"""Finding the input files, recognising them, and their SHA-256 (started ahead of a load)."""

import hashlib

import pytest

from contacts311 import inputs
from contacts311.cli import main
from contacts311.errors import InputError, ProfileError
from contacts311.inputs import discover, prefetch_digests, sha256_file, sha256_future
from contacts311.profile import default_profile, load_profile

HSPLIT = "row_date,split,acdcalls,abncalls\n2023-07-03,1,10,2\n2023-07-04,1,7,1\n"


def test_unrecognised_file_names_it_and_lists_formats(tmp_path):
    (tmp_path / "mystery.csv").write_text("alpha,beta\n1,2\n")
    with pytest.raises(InputError) as err:
        discover(tmp_path, default_profile())
    msg = str(err.value)
    assert "mystery.csv" in msg and "avaya_cms" in msg and "zendesk" in msg


def test_profile_glob_matching_nothing(tmp_path):
    (tmp_path / "p.yml").write_text("sources:\n  - format: avaya_cms\n    path: phone/*.txt\n")
    with pytest.raises(ProfileError, match="matches no file"):
        discover(None, load_profile(tmp_path / "p.yml"))


def test_profile_source_of_an_unknown_format_suggests_the_nearest(tmp_path):
    (tmp_path / "x.txt").write_text(HSPLIT)
    (tmp_path / "p.yml").write_text("sources:\n  - format: avaya\n    path: x.txt\n")
    with pytest.raises(ProfileError, match="did you mean 'avaya_cms'"):
        discover(None, load_profile(tmp_path / "p.yml"))


def test_candidate_files_are_what_discover_may_read_without_opening_them(tmp_path):
    (tmp_path / "phone").mkdir()
    (tmp_path / "phone" / "a.csv").write_text("x")
    (tmp_path / "b.json").write_text("{}")
    (tmp_path / "README.md").write_text("notes")
    (tmp_path / ".hidden").write_text("x")
    (tmp_path / "_truth").mkdir()
    (tmp_path / "_truth" / "t.csv").write_text("x")
    names = [name for name, _ in inputs.candidate_files(tmp_path, default_profile())]
    assert names == ["b.json", "phone/a.csv"]


def _counting(monkeypatch) -> list:
    """Record every file :mod:`contacts311.inputs` hashes."""
    hashed = []

    def counted(path):
        hashed.append(path.name)
        return sha256_file(path)

    monkeypatch.setattr(inputs, "sha256_file", counted)
    return hashed


def test_sha256_file_is_the_files_sha256(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(HSPLIT)
    assert sha256_file(path) == hashlib.sha256(HSPLIT.encode()).hexdigest()


def test_a_prefetched_digest_is_handed_over_not_computed_again(tmp_path, monkeypatch):
    hashed = _counting(monkeypatch)
    path = tmp_path / "calls.csv"
    path.write_text(HSPLIT)
    files = discover(tmp_path, default_profile())
    prefetch_digests(files)
    prefetch_digests(files)  # asking twice starts nothing more
    assert sha256_future(path).result() == hashlib.sha256(HSPLIT.encode()).hexdigest()
    assert hashed == ["calls.csv"]
    # Taken once: the next request hashes afresh.
    assert sha256_future(path).result() == hashlib.sha256(HSPLIT.encode()).hexdigest()
    assert hashed == ["calls.csv", "calls.csv"]


def test_a_file_changed_after_the_prefetch_is_hashed_again(tmp_path, monkeypatch):
    hashed = _counting(monkeypatch)
    path = tmp_path / "calls.csv"
    path.write_text(HSPLIT)
    prefetch_digests(discover(tmp_path, default_profile()))
    changed = HSPLIT + "2023-07-05,1,4,0\n"
    path.write_text(changed)
    assert sha256_future(path).result() == hashlib.sha256(changed.encode()).hexdigest()
    assert len(hashed) == 2
    inputs._PREFETCHED.clear()  # the stale prefetch is never taken; do not leak it to others


def test_command_line_hashes_each_source_once_for_the_cache_key(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(tmp_path / "cache"))
    hashed = _counting(monkeypatch)
    taken = []

    class Prefetched(dict):
        def pop(self, key, default=None):
            found = super().pop(key, default)
            taken.append(found is not None)
            return found

    monkeypatch.setattr(inputs, "_PREFETCHED", Prefetched())
    (tmp_path / "calls.csv").write_text(HSPLIT)
    profile = tmp_path / "p.yml"
    profile.write_text("sources:\n  - format: avaya_cms\n    path: calls.csv\n")
    assert main(["totals", str(tmp_path), "--profile", str(profile), "--format", "csv"]) == 0
    assert "17" in capsys.readouterr().out
    # Hashed once, before pandas loaded; the load took that digest instead of hashing again.
    assert hashed == ["calls.csv"]
    assert taken == [True]


def test_command_line_without_the_cache_hashes_nothing(tmp_path, monkeypatch, capsys):
    # No command prints the digests: with no cache to key, hashing would only cost time.
    monkeypatch.setenv("CONTACTS311_CACHE_DIR", "off")
    hashed = _counting(monkeypatch)
    (tmp_path / "calls.csv").write_text(HSPLIT)
    profile = tmp_path / "p.yml"
    profile.write_text("sources:\n  - format: avaya_cms\n    path: calls.csv\n")
    for command in ("totals", "summary", "ledger"):
        assert main([command, str(tmp_path), "--profile", str(profile), "--format", "json"]) == 0
    assert "17" in capsys.readouterr().out
    assert hashed == []
    assert not inputs._PREFETCHED


@pytest.mark.parametrize("command", ["totals", "summary", "ledger"])
def test_command_line_starts_hashing_before_pandas_loads(tmp_path, command, fresh_python):
    # With the read cache on: its key needs the digests, so hashing starts early.
    (tmp_path / "calls.csv").write_text(HSPLIT)
    profile = tmp_path / "p.yml"
    profile.write_text("sources:\n  - format: avaya_cms\n    path: calls.csv\n")
    code = (
        "import sys\n"
        "from contacts311 import inputs\n"
        "started = inputs.prefetch_digests\n"
        "def spy(files):\n"
        "    print('pandas loaded:', 'pandas' in sys.modules, file=sys.stderr)\n"
        "    started(files)\n"
        "inputs.prefetch_digests = spy\n"
        "from contacts311.cli import main\n"
        f"sys.exit(main([{command!r}, {str(tmp_path)!r}, '--profile', {str(profile)!r}]))\n"
    )
    out = fresh_python(code, CONTACTS311_CACHE_DIR=str(tmp_path / "cache"))  # the key needs them
    assert out.returncode == 0, out.stderr
    assert "pandas loaded: False" in out.stderr
