"""Finding the input files, recognising them, and their SHA-256 (started ahead of a load)."""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from contacts311 import inputs
from contacts311.cli import main
from contacts311.errors import InputError, ProfileError
from contacts311.inputs import discover, sha256_file
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
    # README.md may be read: only its header says whether it is an export.
    assert names == ["README.md", "b.json", "phone/a.csv"]


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


def test_command_line_hashes_each_source_once_for_the_cache_key(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CONTACTS311_CACHE_DIR", str(tmp_path / "cache"))
    hashed = _counting(monkeypatch)
    (tmp_path / "calls.csv").write_text(HSPLIT)
    profile = tmp_path / "p.yml"
    profile.write_text("sources:\n  - format: avaya_cms\n    path: calls.csv\n")
    assert main(["totals", str(tmp_path), "--profile", str(profile), "--format", "csv"]) == 0
    assert "17" in capsys.readouterr().out
    assert hashed == ["calls.csv"]  # once, for the cache key


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


HSPLIT_ROW = "row_date,split,acdcalls,abncalls\n2024-01-05,1,4,0\n"


def test_a_folder_symlink_is_followed_and_a_loop_ends(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "hsplit.csv").write_text(HSPLIT_ROW)
    root = tmp_path / "data"
    root.mkdir()
    (root / "phone").symlink_to(elsewhere, target_is_directory=True)
    (root / "again").symlink_to(root, target_is_directory=True)  # a loop back to the top
    assert [f.name for f in discover(root, default_profile())] == ["phone/hsplit.csv"]


def test_a_broken_link_is_an_error_naming_it(tmp_path):
    (tmp_path / "hsplit.csv").write_text(HSPLIT_ROW)
    (tmp_path / "gone.csv").symlink_to(tmp_path / "nowhere.csv")
    with pytest.raises(InputError, match="gone.csv: broken link"):
        discover(tmp_path, default_profile())


def test_an_empty_data_folder_is_refused(tmp_path, capsys):
    (tmp_path / "README.md").write_text("# nothing here yet\n")
    assert main(["totals", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path}: no exports in this folder" in err


def test_an_unreadable_folder_is_an_error_naming_it_not_a_lower_total(unprivileged):
    base = Path(tempfile.mkdtemp(prefix="contacts311-perm-"))
    try:
        base.chmod(0o755)
        (base / "phone").mkdir()
        (base / "phone" / "hsplit.csv").write_text(HSPLIT_ROW)
        locked = base / "zendesk"
        locked.mkdir()
        (locked / "hsplit.csv").write_text(HSPLIT_ROW)
        for p in (base / "phone", base / "phone" / "hsplit.csv"):
            p.chmod(0o755)
        locked.chmod(0o000)
        env = {**os.environ, "CONTACTS311_CACHE_DIR": "off", "HOME": str(base)}
        done = subprocess.run(
            unprivileged([sys.executable, "-m", "contacts311", "totals", str(base)]),
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
    finally:
        locked.chmod(0o755)
        shutil.rmtree(base)
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"contacts311: error: {locked}: cannot read this folder (Permission denied); "
        "fix its permissions\n"
    )
