"""status compares versions as versions (the text comparison that broke tkn hub's upgrades)."""

from __future__ import annotations

import pytest

from catalog_cli.actions.status import newer


@pytest.mark.parametrize(("candidate", "installed", "upgrade"), [
    ("0.10", "0.9", True),
    ("0.2", "0.10", False),   # as text "0.2" > "0.10"
    ("0.2", "0.2.0", False),  # the same version, written two ways
    ("0.2.1", "0.2", True),
    ("1.0.0", "1.0.0-rc.1", True),
    ("1.0.0-rc.1", "1.0.0", False),
    ("v0.3", "0.2", True),
    ("", "0.2", False),       # no newest known
    ("0.3", "main", False),   # installed from a branch, not a version
])
def test_newer_compares_versions(candidate: str, installed: str, upgrade: bool) -> None:
    assert newer(candidate, installed) is upgrade
