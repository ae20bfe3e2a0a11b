import pytest

from catalog_cli.errors import InputError
from catalog_cli.versions import is_version, newest_first, parse


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("0.9", "0.10"),  # the bug that broke tkn hub: never compare as strings
        ("0.1", "0.2"),
        ("1.9.9", "1.10.0"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.0.0-alpha", "1.0.0-alpha.1"),
        ("1.0.0-alpha.2", "1.0.0-alpha.10"),
        ("0.10", "1"),
        ("v1.2.3", "1.2.4"),
    ],
)
def test_ordering(older: str, newer: str) -> None:
    assert parse(older) < parse(newer)


def test_short_forms_equal_their_full_form() -> None:
    assert parse("0.10") == parse("0.10.0")
    assert parse("1") == parse("1.0.0")
    assert parse("0.10").text == "0.10"  # keeps what was written, for paths and labels


def test_newest_first_sorts_semantically() -> None:
    assert newest_first(["0.1", "0.10", "0.9", "0.2"]) == ["0.10", "0.9", "0.2", "0.1"]


@pytest.mark.parametrize("bad", ["", "latest", "1.2.3.4", "01.2", "1..2", "one"])
def test_invalid_versions_are_input_errors(bad: str) -> None:
    assert not is_version(bad)
    with pytest.raises(InputError, match="is not a version"):
        parse(bad)
