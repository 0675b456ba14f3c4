import pytest

from contacts311.cli import main
from contacts311.errors import InputError, ProfileError
from contacts311.pipeline import discover, load
from contacts311.profile import default_profile, load_profile


def test_unrecognised_file_names_it_and_lists_formats(tmp_path):
    (tmp_path / "mystery.csv").write_text("alpha,beta\n1,2\n")
    with pytest.raises(InputError) as err:
        discover(tmp_path, default_profile())
    msg = str(err.value)
    assert "mystery.csv" in msg and "avaya_cms" in msg and "zendesk" in msg


def test_scan_skips_hidden_private_and_docs(tmp_path):
    (tmp_path / "_truth").mkdir()
    (tmp_path / "_truth" / "x.csv").write_text("a,b\n")
    (tmp_path / ".hidden.csv").write_text("a,b\n")
    (tmp_path / "README.md").write_text("# notes\n")
    assert discover(tmp_path, default_profile()) == []
    data = load(tmp_path)
    assert data.contacts.empty and data.ledger.empty


def test_missing_folder_is_an_error(tmp_path, capsys):
    assert main(["totals", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "data folder does not exist" in err and "Traceback" not in err


def test_profile_glob_matching_nothing(tmp_path):
    (tmp_path / "p.yml").write_text("sources:\n  - format: avaya_cms\n    path: phone/*.txt\n")
    with pytest.raises(ProfileError, match="matches no file"):
        discover(None, load_profile(tmp_path / "p.yml"))


def test_cli_profile_typo_is_one_line(tmp_path, capsys):
    (tmp_path / "p.yml").write_text("timezon: UTC\n")
    assert main(["totals", str(tmp_path), "--profile", str(tmp_path / "p.yml")]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'timezon'; did you mean 'timezone'?" in err and err.count("\n") == 1
