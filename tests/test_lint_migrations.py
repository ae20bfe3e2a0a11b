"""lint's migration checks (lint/checks_migrations.py): migrations.yaml against the
interfaces of the version it ships with and the one before."""

from __future__ import annotations

from pathlib import Path

import yaml

from catalog_cli.lint import lint_paths

from .conftest import BUILTIN, run_cli
from .test_tekton_refs_migrations import task


def _catalog(tmp: Path, ops: object) -> Path:
    for version, text in (("0.1", task("greet", "0.1", ["url", "verbose"], ["output"], ["commit"])),
                          ("0.2", task("greet", "0.2", ["repo-url", "verbose"], ["source"], ["sha"]))):
        folder = tmp / "task/greet" / version
        folder.mkdir(parents=True)
        (folder / "greet.yaml").write_text(text)
    (tmp / "task/greet/0.2/migrations.yaml").write_text(yaml.safe_dump(
        {"apiVersion": "catalog.dev/v1", "kind": "Migrations", "operations": ops}))
    return tmp


def _findings(root: Path) -> set[tuple[str, str]]:
    return {(f.rule, f.message) for f in lint_paths([root]).findings if f.rule.startswith("migration-")}


def test_operations_that_match_both_interfaces_pass(tmp_path: Path) -> None:
    root = _catalog(tmp_path, [{"op": "renameParam", "from": "url", "to": "repo-url"},
                               {"op": "renameWorkspace", "from": "output", "to": "source"},
                               {"op": "renameResult", "from": "commit", "to": "sha"}])
    assert _findings(root) == set()


def test_operations_naming_what_a_version_lacks_are_errors(tmp_path: Path) -> None:
    root = _catalog(tmp_path, [{"op": "renameParam", "from": "uri", "to": "repo-url"},
                               {"op": "addParam", "name": "depth", "value": "1"},
                               {"op": "renameWorkspace", "from": "output", "to": "src"},
                               {"op": "renameResult", "from": "commit", "to": "sha"}])
    assert _findings(root) == {
        ("migration-invalid", "0.2/migrations.yaml operations[0] renameParam: greet 0.1 has no param 'uri'"),
        ("migration-invalid", "0.2/migrations.yaml operations[1] addParam: greet 0.2 has no param 'depth'"),
        ("migration-invalid", "0.2/migrations.yaml operations[2] renameWorkspace: greet 0.2 has no workspace 'src'"),
        ("migration-missing", "0.2/migrations.yaml: param url is gone, and no operation renames or removes it"),
        ("migration-missing", "0.2/migrations.yaml: workspace source is new and required, and no operation binds it"),
    }


def test_a_malformed_file_and_a_first_version_are_reported(tmp_path: Path) -> None:
    root = _catalog(tmp_path, [{"op": "exec", "command": "true"}])
    (rule, message), = _findings(root)
    assert rule == "migration-invalid" and "unknown op 'exec'" in message
    (root / "task/greet/0.1/migrations.yaml").write_text("apiVersion: catalog.dev/v1\nkind: Migrations\noperations: []\n")
    assert ("migration-invalid", "0.1/migrations.yaml: no earlier version of greet to migrate from") in _findings(root)


def test_the_built_in_catalog_migration_lints_clean() -> None:
    r = run_cli("lint", str(BUILTIN / "task/git-clone"), "-o", "json")
    assert r.code == 0, r.out
    assert (BUILTIN / "task/git-clone/0.2/migrations.yaml").is_file()
