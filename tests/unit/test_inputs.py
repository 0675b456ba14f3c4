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


def test_profile_source_naming_a_folder_reads_every_file_under_it(tmp_path):
    # As a folder URL names every object under it: nested files too, hidden ones not.
    for rel in ("phone/a.csv", "phone/2024/b.csv", "phone/[x]/c.csv"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(HSPLIT)
    (tmp_path / "phone" / ".partial.csv").write_text(HSPLIT)
    (tmp_path / "p.yml").write_text("sources:\n  - format: avaya_cms\n    path: phone\n")
    found = discover(None, load_profile(tmp_path / "p.yml"))
    assert [f.name for f in found] == ["phone/2024/b.csv", "phone/[x]/c.csv", "phone/a.csv"]
    assert {f.format for f in found} == {"avaya_cms"}


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


# --------------------------------------------------------------------------- files that are not exports


def _skipped(root, profile=None):
    found = inputs.survey(root, profile or default_profile())
    return [f.name for f in found.files], {s.name: s.reason for s in found.skipped}


@pytest.mark.parametrize(
    "name",
    [
        "README",
        "README.txt",
        "readme.md",
        "notes.md",
        "guide.rst",
        "SOURCE",
        "SOURCES.txt",
        "LICENSE",
        "LICENSE.txt",
        "profile.yml",
        ".DS_Store",
        "Thumbs.db",
        "desktop.ini",
        "Desktop.INI",
        "~$book.xlsx",
        ".gitkeep",
        ".hidden.csv",
        "_old.csv",
    ],
)
def test_each_not_an_export_name_is_skipped_and_listed(tmp_path, name):
    (tmp_path / "hsplit.csv").write_text(HSPLIT_ROW)
    (tmp_path / name).write_bytes(b"\x00\x01 not an export\n")
    assert _skipped(tmp_path) == (["hsplit.csv"], {name: "not_an_export"})


@pytest.mark.parametrize("folder", [".ipynb_checkpoints", ".git", "_truth"])
def test_a_not_an_export_folder_is_listed_once_and_never_opened(tmp_path, folder):
    (tmp_path / "hsplit.csv").write_text(HSPLIT_ROW)
    (tmp_path / "phone" / folder).mkdir(parents=True)
    (tmp_path / "phone" / folder / "x.ipynb").write_text("{}")
    (tmp_path / "phone" / folder / "y.csv").write_text("alpha,beta\n")
    assert _skipped(tmp_path) == (["hsplit.csv"], {f"phone/{folder}/": "not_an_export"})


def test_a_file_named_like_documentation_is_read_when_its_header_is_an_export(tmp_path):
    # Files are recognised by their header: a name only decides for files that are no export.
    (tmp_path / "SOURCE_phone.csv").write_text(HSPLIT_ROW)
    assert _skipped(tmp_path) == (["SOURCE_phone.csv"], {})


def test_an_unknown_file_stays_an_error(tmp_path):
    (tmp_path / "hsplit.csv").write_text(HSPLIT_ROW)
    (tmp_path / "notes.txt").write_text("call volumes went up\n")
    with pytest.raises(InputError, match="notes.txt, line 1: not recognised"):
        inputs.survey(tmp_path, default_profile())


def _ignoring(tmp_path, *globs):
    (tmp_path / "p.yml").write_text("ignore:\n" + "".join(f"  - '{g}'\n" for g in globs))
    return load_profile(tmp_path / "p.yml")


def test_ignore_globs_skip_files_and_folders_as_ignored(tmp_path):
    data = tmp_path / "data"
    (data / "phone" / "archive").mkdir(parents=True)
    (data / "phone" / "hsplit.csv").write_text(HSPLIT_ROW)
    (data / "phone" / "archive" / "old.csv").write_text("alpha\n")
    (data / "phone" / "scan.PDF").write_bytes(b"%PDF-1.4")
    (data / "phone" / "draft.csv").write_text(HSPLIT_ROW)  # not at the top: read
    (data / "draft.csv").write_text("alpha\n")
    profile = _ignoring(tmp_path, "*.pdf", "archive/", "/draft.csv")
    assert _skipped(data, profile) == (
        ["phone/draft.csv", "phone/hsplit.csv"],
        {"draft.csv": "ignored", "phone/archive/": "ignored", "phone/scan.PDF": "ignored"},
    )


def test_an_anchored_ignore_glob_matches_from_the_top_and_star_stays_in_its_folder(tmp_path):
    data = tmp_path / "data"
    (data / "phone" / "x").mkdir(parents=True)
    (data / "phone" / "hsplit.csv").write_text(HSPLIT_ROW)
    (data / "phone" / "a.bak").write_text("alpha\n")
    (data / "phone" / "x" / "b.bak").write_text("alpha\n")
    (data / "c.bak").write_text("alpha\n")
    assert _skipped(data, _ignoring(tmp_path, "phone/*.bak", "**/x/*.bak", "c.bak")) == (
        ["phone/hsplit.csv"],
        {"phone/a.bak": "ignored", "phone/x/b.bak": "ignored", "c.bak": "ignored"},
    )
    with pytest.raises(InputError, match="not recognised"):  # * does not cross a folder
        inputs.survey(data, _ignoring(tmp_path, "phone/*.bak", "c.bak"))


def test_an_ignore_glob_with_sources_or_empty_is_a_profile_error(tmp_path):
    (tmp_path / "p.yml").write_text(
        "ignore: ['*.pdf']\nsources:\n  - format: avaya_cms\n    path: x.csv\n"
    )
    with pytest.raises(ProfileError, match="'ignore' applies to a scanned data folder"):
        load_profile(tmp_path / "p.yml")
    (tmp_path / "p.yml").write_text("ignore: ['']\n")
    with pytest.raises(ProfileError, match="must not be empty"):
        load_profile(tmp_path / "p.yml")


def test_skipped_files_are_ledger_rows_and_notes_and_the_totals_do_not_change(tmp_path, capsys):
    import json

    (tmp_path / "phone" / ".ipynb_checkpoints").mkdir(parents=True)
    (tmp_path / "phone" / "hsplit.csv").write_text(HSPLIT_ROW)
    assert main(["totals", str(tmp_path), "--format", "json"]) == 0
    alone = capsys.readouterr().out
    (tmp_path / "README.md").write_text("# exports\n")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (tmp_path / "~$book.xlsx").write_bytes(b"\x05owner")
    (tmp_path / "phone" / ".ipynb_checkpoints" / "x.ipynb").write_text('{"cells": []}')
    assert main(["totals", str(tmp_path), "--format", "json"]) == 0
    assert capsys.readouterr().out == alone
    assert main(["ledger", str(tmp_path), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    rows = {r["source_file"]: r for r in json.loads(out)}
    assert sorted(rows) == [
        ".DS_Store",
        "README.md",
        "phone/.ipynb_checkpoints/",
        "phone/hsplit.csv",
        "~$book.xlsx",
    ]
    assert rows["phone/hsplit.csv"]["contacts"] == 4
    for name in (".DS_Store", "README.md", "phone/.ipynb_checkpoints/", "~$book.xlsx"):
        assert rows[name]["rows_read"] == 0 and "excluded_not_an_export" in rows[name]
    assert main(["ledger", str(tmp_path)]) == 0
    assert "note: Skipped as not exports (ledger reason not_an_export, no rows read): " in (
        capsys.readouterr().err
    )


def test_a_folder_of_only_skipped_files_says_what_was_skipped(tmp_path):
    (tmp_path / "README.md").write_text("# nothing yet\n")
    with pytest.raises(InputError, match=r"no exports in this folder \(skipped: README.md"):
        inputs.survey(tmp_path, default_profile())


def test_a_gzip_compressed_parquet_in_a_folder_is_recognised_by_its_columns(tmp_path):
    connect = Path(__file__).resolve().parents[1] / "data" / "amazon_connect"
    shutil.copy(connect / "ctr_nested.parquet.gz", tmp_path / "records.parquet.gz")
    found = discover(tmp_path, default_profile())
    assert [(f.name, f.format) for f in found] == [("records.parquet.gz", "amazon_connect")]


def test_a_remote_tables_column_copy_is_known_again_by_its_listed_size(tmp_path):
    """A Parquet copy holds only the columns read (10 of the object's 100 bytes); the next
    load's placeholder has the listed size and time, and is known as read before."""
    from contacts311 import remote_cache

    copy = tmp_path / "copy" / "tickets.parquet"
    copy.parent.mkdir()
    copy.write_bytes(b"x" * 10)
    os.utime(copy, ns=(1_700_000_000_000_000_000,) * 2)
    files = [inputs.InputFile(copy, "tickets.parquet", "zendesk")]
    cache = tmp_path / "cache"
    try:
        remote_cache.register(copy, "key", remote_cache.Mark(), None, size=100)
        inputs.remember_cached(cache, files)
        remote_cache.placeholder(copy, 100, 1_700_000_000)  # the next load, not yet fetched
        assert inputs.cached_before(cache, files)
        remote_cache.placeholder(copy, 101, 1_700_000_000)  # the object rewritten: not known
        remote_cache.register(copy, "key", remote_cache.Mark(), None, size=101)
        assert not inputs.cached_before(cache, files)
    finally:
        remote_cache.forget(tmp_path)
    copy.write_bytes(b"x" * 10)  # a local file: its own size, as before
    inputs.remember_cached(cache, files)
    assert inputs.cached_before(cache, files)
