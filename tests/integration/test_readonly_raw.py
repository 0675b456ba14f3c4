"""Raw exports are never written: a read-only copy survives every command unchanged.

CI runs as root, and root ignores permission bits, so besides ``chmod -R a-w`` the test
compares a hash, size and mtime listing of the data folder before and after, and, for the
commands run in this process, makes any attempt to open, create, rename or delete a path
under the data folder for writing fail at once.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import os
import shutil
import stat
from pathlib import Path

import pytest

from contacts311.cli import COMMANDS, main

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "raw" / "sample"
#: Three whole fiscal years of phone reports and Zendesk CSV exports, plus the reference tables.
SUBSET = ("phone/cms_reports", "zendesk/support_csv", "reference")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _listing(root: Path) -> dict[str, tuple[str, int, int, int]]:
    """Every path under ``root``: content hash, size, mtime (ns) and mode."""
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.stat()
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        out[p.relative_to(root).as_posix()] = (digest, st.st_size, st.st_mtime_ns, st.st_mode)
    return out


@pytest.fixture
def readonly_data(tmp_path: Path):
    if not SAMPLE.is_dir():
        pytest.skip("the bundled sample data/raw/sample is missing")
    data = tmp_path / "raw"
    for part in SUBSET:
        shutil.copytree(SAMPLE / part, data / part)
    paths = [data, *data.rglob("*")]
    for p in paths:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    yield data
    for p in paths:  # let pytest clean up its temporary folder
        p.chmod(p.stat().st_mode | stat.S_IWUSR)


@pytest.fixture
def guard(readonly_data: Path, monkeypatch):
    """Fail any write-mode open, create, rename or delete under the data folder."""
    root = str(readonly_data.resolve())
    attempts: list[str] = []

    def inside(path) -> bool:  # noqa: ANN001
        if isinstance(path, int):
            return False
        try:
            full = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return full == root or full.startswith(root + os.sep)

    def refuse(what: str, path) -> None:  # noqa: ANN001
        attempts.append(f"{what} {path}")
        raise PermissionError(f"test guard: {what} under the raw data folder: {path}")

    real_open, real_os_open = builtins.open, os.open

    def guarded_open(file, mode="r", *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        if inside(file) and any(c in mode for c in "wax+"):
            refuse(f"open({mode!r})", file)
        return real_open(file, mode, *args, **kwargs)

    def guarded_os_open(path, flags, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        if inside(path) and flags & _WRITE_FLAGS:
            refuse("os.open(write)", path)
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)
    for name in ("mkdir", "makedirs", "remove", "unlink", "rmdir", "utime", "chmod", "truncate"):
        real = getattr(os, name)

        def wrapper(path, *args, _real=real, _name=name, **kwargs):  # noqa: ANN001, ANN002, ANN003
            if inside(path):
                refuse(f"os.{_name}", path)
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(os, name, wrapper)
    for name in ("rename", "replace"):
        real = getattr(os, name)

        def wrapper2(src, dst, *args, _real=real, _name=name, **kwargs):  # noqa: ANN001, ANN002, ANN003
            if inside(src) or inside(dst):
                refuse(f"os.{_name}", f"{src} -> {dst}")
            return _real(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, name, wrapper2)
    return attempts


def test_guard_catches_writes(readonly_data: Path, guard):
    """The guard itself works (else the test below would prove nothing as root)."""
    target = readonly_data / "reference" / "new.csv"
    with pytest.raises(PermissionError):
        target.write_text("x")
    with pytest.raises(PermissionError):
        (readonly_data / "phone" / "x").mkdir()
    assert len(guard) == 2
    guard.clear()


def test_commands_leave_raw_data_untouched(
    readonly_data: Path, guard, tmp_path: Path, capsys, monkeypatch
):
    before = _listing(readonly_data)
    out = tmp_path / "out"
    out.mkdir()
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    commands = [
        ["totals", str(readonly_data)],
        ["totals", str(readonly_data), "--format", "csv"],
        ["ledger", str(readonly_data)],
        ["summary", str(readonly_data), "--format", "json"],
        [
            "export",
            "clearimpact",
            str(readonly_data),
            "--measure-id",
            "100816783",
            "--out",
            str(out / "clearimpact.csv"),
        ],
    ]
    if "report" in COMMANDS:
        commands.append(["report", str(readonly_data), "--out", str(out / "reports")])
    for argv in commands:
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 0, (argv, err)
    assert guard == []
    assert _listing(readonly_data) == before
    assert (out / "clearimpact.csv").stat().st_size > 0
