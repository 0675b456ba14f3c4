from pathlib import Path

import pytest

from contacts311.errors import ProfileError
from contacts311.profile import default_profile, load_profile


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "profile.yml"
    p.write_text(text, encoding="utf-8")
    return p


def test_default_profile_is_pdx311():
    prof = default_profile()
    assert prof.program == "PDX 311"
    assert prof.timezone == "America/Los_Angeles"
    assert prof.fiscal_year_start_month == 7
    assert prof.phone.formula == "acd_calls"
    assert prof.population.fips == "41051"
    assert prof.tickets.not_counted_channels == ["phone"]


def test_empty_profile_takes_defaults(tmp_path):
    prof = load_profile(_write(tmp_path, ""))
    assert prof.fiscal_year_start_month == 7
    assert prof.timezone == "America/Los_Angeles"
    assert prof.base_dir == tmp_path.resolve()


def test_nested_values_are_read(tmp_path):
    prof = load_profile(
        _write(
            tmp_path,
            "fiscal_year_start_month: 10\nphone:\n  formula: acd_minus_abandoned\n  skills: [1, 2]\n",
        )
    )
    assert prof.fiscal_year_start_month == 10
    assert prof.phone.formula == "acd_minus_abandoned"
    assert prof.phone.skills == ["1", "2"]  # numbers become text so 1 and "1" match
    assert "ACD Calls) - SUM(Abandoned" in prof.rules_text()[0]


def test_typo_in_key_names_it_and_suggests(tmp_path):
    with pytest.raises(ProfileError) as err:
        load_profile(_write(tmp_path, "fiscal_year_start_mnth: 7\n"))
    msg = str(err.value)
    assert "unknown key 'fiscal_year_start_mnth'" in msg
    assert "did you mean 'fiscal_year_start_month'" in msg
    assert "\n" not in msg


def test_typo_in_nested_key(tmp_path):
    with pytest.raises(ProfileError, match=r"unknown key 'phone.formla'.*'formula'"):
        load_profile(_write(tmp_path, "phone:\n  formla: acd_calls\n"))


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("fiscal_year_start_month: 13\n", "1-12"),
        ("timezone: Mars/Olympus\n", "IANA"),
        ("phone:\n  formula: calls\n", "phone.formula"),
        ("fiscal_year_start_month: seven\n", "must be a number"),
        ("sources: [1]\n", "needs 'format' and 'path'"),
        ("- a\n- b\n", "mapping"),
        ("phone: [1]\n", "must be a mapping"),
    ],
)
def test_bad_values_are_errors(tmp_path, text, fragment):
    with pytest.raises(ProfileError, match=fragment):
        load_profile(_write(tmp_path, text))


def test_missing_profile_file(tmp_path):
    with pytest.raises(ProfileError, match="does not exist"):
        load_profile(tmp_path / "nope.yml")


def test_invalid_yaml_names_line(tmp_path):
    with pytest.raises(ProfileError) as err:
        load_profile(_write(tmp_path, "program: PDX\nphone: [unclosed\n"))
    assert err.value.line is not None


def test_sources_keep_options(tmp_path):
    prof = load_profile(
        _write(
            tmp_path,
            "sources:\n  - format: avaya_cms\n    path: phone/*.txt\n    formula: calls_offered\n",
        )
    )
    assert prof.sources[0].format == "avaya_cms"
    assert prof.sources[0].path == "phone/*.txt"
    assert prof.sources[0].options == {"formula": "calls_offered"}


def test_resolve_profile_takes_a_profile_a_path_or_nothing(tmp_path):
    from contacts311.profile import resolve_profile

    (tmp_path / "p.yml").write_text("timezone: UTC\n")
    given = resolve_profile(tmp_path / "p.yml")
    assert given.timezone == "UTC"
    assert resolve_profile(given) is given
    assert resolve_profile(None).timezone == "America/Los_Angeles"  # the bundled PDX 311 one
