"""Fixtures for planning over the fake cluster: the built-in catalog, a FakeCluster with
namespaces team-a and team-b, and Options for it (no undo wait, a private state folder).
conftest.py makes them every test's (a module's own fixture of the same name wins)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from catalog_cli.actions.common import Options
from catalog_cli.cluster.fake import FakeCluster
from catalog_cli.settings import Settings
from catalog_cli.sources import open_catalog


@pytest.fixture(scope="module")
def builtin() -> Any:
    return open_catalog("builtin")


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster(namespaces={"team-a", "team-b"})


@pytest.fixture
def opts(tmp_path: Path) -> Any:
    settings = Settings.from_env().but(state_home=tmp_path / "state", undo_patience=0.0)

    def make(*namespaces: str, **kw: Any) -> Options:
        return Options(namespaces or ("team-a",), settings=settings, **kw)
    return make
