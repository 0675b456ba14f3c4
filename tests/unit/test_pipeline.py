from contacts311.cli import main
from contacts311.pipeline import discover, load
from contacts311.profile import default_profile


def test_scan_skips_hidden_private_and_docs(tmp_path):
    (tmp_path / "_truth").mkdir()
    (tmp_path / "_truth" / "x.csv").write_text("a,b\n")
    (tmp_path / ".hidden.csv").write_text("a,b\n")
    (tmp_path / "README.md").write_text("# notes\n")
    (tmp_path / "hsplit.csv").write_text("row_date,split,acdcalls,abncalls\n2024-01-05,1,4,0\n")
    assert [f.name for f in discover(tmp_path, default_profile())] == ["hsplit.csv"]
    data = load(tmp_path)
    assert data.ledger["source_file"].tolist() == [
        "hsplit.csv",
        ".hidden.csv",
        "README.md",
        "_truth/",
    ]
    skipped = data.ledger[data.ledger["source_file"] != "hsplit.csv"]
    assert set(skipped["reason"]) == {"not_an_export"} and skipped["rows"].sum() == 0
    assert data.inputs["source_file"].tolist() == ["hsplit.csv"]  # only files read


def test_missing_folder_is_an_error(tmp_path, capsys):
    assert main(["totals", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "data folder does not exist" in err and "Traceback" not in err


def test_cli_profile_typo_is_one_line(tmp_path, capsys):
    (tmp_path / "p.yml").write_text("timezon: UTC\n")
    assert main(["totals", str(tmp_path), "--profile", str(tmp_path / "p.yml")]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'timezon'; did you mean 'timezone'?" in err and err.count("\n") == 1


def test_fill_population_keeps_an_exports_own_table_and_notes_nothing():
    import pandas as pd

    from contacts311.pipeline import Dataset, fill_population
    from contacts311.profile import default_profile

    own = pd.DataFrame({"year": [2023], "population": [1000], "vintage": ["own"]})
    data = Dataset(
        contacts=pd.DataFrame(),
        ledger=pd.DataFrame(),
        inputs=pd.DataFrame(),
        notes=[],
        tables={"population": own},
        columns={},
        profile=default_profile(),
        population_note="stale",
    )
    filled = fill_population(data)
    assert filled.tables["population"] is own
    assert filled.population_note is None


def test_a_load_that_counts_nothing_warns_with_the_reasons(tmp_path):
    import warnings

    import pytest

    from contacts311.errors import InputWarning

    # Two answered-call cells of 0: read and counted, but no contact.
    (tmp_path / "hsplit.csv").write_text(
        "row_date,split,acdcalls,abncalls\n2024-01-05,1,0,7\n2024-01-06,1,0,3\n"
    )
    with pytest.warns(InputWarning, match=r"^read 2 rows but counted none: 2 with a count of 0$"):
        load(tmp_path, cache=False)
    (tmp_path / "hsplit.csv").write_text("row_date,split,acdcalls,abncalls\n2024-01-05,1,4,0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)
        assert int(load(tmp_path, cache=False).contacts["count"].sum()) == 4
