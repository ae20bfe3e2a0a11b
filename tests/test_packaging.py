"""The wheel carries the built-in catalog, so a fresh install works with no network."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from catalog_cli import index

from .conftest import BUILTIN, ROOT


def test_wheel_ships_the_builtin_catalog_and_schemas(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("catalog_cli-*.whl"))
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    assert "catalog_cli/builtin/index.yaml" in names
    # The wheel's index is catalog/index.yaml, whose paths are relative to it (the
    # repository's top-level index.yaml names the same files as catalog/...).
    shipped = index.from_data(index.parse_text(archive.read("catalog_cli/builtin/index.yaml").decode(), "wheel"))
    assert len(shipped) > 0
    for entry in shipped:
        for f in (entry.path, *(x.path for x in entry.files)):
            assert f"catalog_cli/builtin/{f}" in names, f
    assert "index.yaml" not in names
    for f in BUILTIN.rglob("*"):
        if f.is_file():
            assert f"catalog_cli/builtin/{f.relative_to(BUILTIN).as_posix()}" in names, f
    assert "catalog_cli/data/index.schema.json" in names
    assert any(n.startswith("catalog_cli/schemas/task.v1") for n in names)
    assert "catalog_cli/scaffold/__init__.py" in names and "catalog_cli/actions/install.py" in names
