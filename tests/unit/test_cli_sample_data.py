"""``contacts311 sample-data``: the guards before anything is written."""

from __future__ import annotations

from contacts311.cli import main


def test_cli_refuses_a_non_empty_folder_without_force(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    assert main(["sample-data", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_cli_refuses_an_end_date_before_the_zendesk_overlap(tmp_path, capsys):
    assert main(["sample-data", str(tmp_path / "out"), "--end-date", "2022-12-31"]) == 2
    assert "end-date" in capsys.readouterr().err
