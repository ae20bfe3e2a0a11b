"""Install records: round trip and bounded history."""

from __future__ import annotations

import pytest

from catalog_cli.errors import InputError
from catalog_cli.cluster.records import HISTORY_LIMIT, Installed, ObjectRecord, Record, record_from_object, record_object


def installed(version: str) -> Installed:
    return Installed("git-clone", "Task", version, "sha256:" + "b" * 64, "builtin", "^0.1",
                     (ObjectRecord("Task", "git-clone", "sha256:" + "c" * 64, "uid-1"),), ("Pipeline/ship",))


def test_round_trip_through_the_configmap() -> None:
    record = Record("team-a").with_packages({"Task/git-clone": installed("0.1")}, "install")
    again = record_from_object("team-a", record_object(record))
    assert again == record
    assert again.find("git-clone").required_by == ("Pipeline/ship",)


def test_history_is_bounded_and_numbered() -> None:
    record = Record("ns")
    for i in range(HISTORY_LIMIT + 5):
        record = record.with_packages({"Task/git-clone": installed(f"0.{i % 3 + 1}")}, "upgrade")
    assert len(record.history) == HISTORY_LIMIT
    assert record.revision == HISTORY_LIMIT + 5
    assert [r.number for r in record.history] == list(range(6, HISTORY_LIMIT + 6))


def test_damaged_record_is_one_error_naming_it() -> None:
    obj = {"data": {"record.json": "{not json"}}
    with pytest.raises(InputError, match="install record is damaged"):
        record_from_object("ns", obj)
