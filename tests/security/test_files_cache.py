"""The cache and the config: folders 0700, files 0600, and no write through a link.

Someone who can plant a symlink in the cache or config folder (a shared or
pre-created ``$XDG_CACHE_HOME``, a restored backup, a careless script) must not be
able to make catalog overwrite the file the link points at. Each attack plants
links before a real command runs against a real loopback HTTP server, then checks
that the file outside is untouched and that the command either refused with one
line or put a real file where the link was.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from catalog_cli.sources.folder import open_path

from ..conftest import BUILTIN, assert_one_line_error, run_cli
from ..faultserve import serve

PRECIOUS = b"precious: not catalog's to touch\n"


def cache_home() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "catalog"


def config_home() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "catalog"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def victim(tmp_path: Path, name: str = "victim") -> Path:
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    path = outside / name
    path.write_bytes(PRECIOUS)
    path.chmod(0o644)
    return path


def untouched(path: Path) -> bool:
    return path.read_bytes() == PRECIOUS and mode(path) == 0o644


def link(at: Path, to: Path) -> None:
    at.parent.mkdir(parents=True, exist_ok=True)
    at.symlink_to(to)


def sqlite_name(location: str) -> str:
    return hashlib.sha256(location.encode()).hexdigest()[:32] + ".sqlite"


def kaniko_digest() -> str:
    from catalog_cli.settings import Settings

    return open_path(BUILTIN, Settings.from_env()).get("kaniko").digest


def test_cache_and_config_are_private() -> None:
    with serve(BUILTIN) as srv:
        assert run_cli("repo", "add", "team", srv.url).code == 0
        assert run_cli("info", "team/kaniko").code == 0
    folders = [p for p in [cache_home(), *cache_home().rglob("*")] if p.is_dir()]
    files = [p for p in cache_home().rglob("*") if p.is_file()]
    assert {p.name for p in folders} >= {"catalog", "repos", "team", "files", "index"}
    assert {p.name for p in files} >= {"meta.json", "index.yaml", kaniko_digest().replace(":", "-")}
    assert any(p.suffix == ".sqlite" for p in files)
    assert {str(p): mode(p) for p in folders} == {str(p): 0o700 for p in folders}
    assert {str(p): mode(p) for p in files} == {str(p): 0o600 for p in files}
    assert mode(config_home()) == 0o700 and mode(config_home() / "repos.yaml") == 0o600


def test_links_to_files_in_the_cache_are_replaced_not_followed(tmp_path: Path) -> None:
    with serve(BUILTIN) as srv:
        team = cache_home() / "repos" / "team"
        planted = {
            team / "meta.json": victim(tmp_path, "meta"),
            team / "index.yaml": victim(tmp_path, "index"),
            team / "files" / kaniko_digest().replace(":", "-"): victim(tmp_path, "blob"),
            cache_home() / "index" / sqlite_name(f"repo:team:{srv.url}"): victim(tmp_path, "sqlite"),
        }
        for at, to in planted.items():
            link(at, to)
        r = run_cli("repo", "add", "team", srv.url)
        assert r.code == 0, r.err
        r = run_cli("info", "team/kaniko", "-o", "json")
        assert r.code == 0, r.err
        assert r.json()["name"] == "kaniko"
    for at, to in planted.items():
        assert untouched(to), to
        assert not at.is_symlink() and at.is_file() and mode(at) == 0o600, at


@pytest.mark.parametrize("folder", ["catalog", "catalog/repos", "catalog/repos/team", "catalog/index"])
def test_a_linked_cache_folder_is_refused(tmp_path: Path, folder: str) -> None:
    outside = tmp_path / "outside-folder"
    outside.mkdir()
    link(Path(os.environ["XDG_CACHE_HOME"]) / folder, outside)
    with serve(BUILTIN) as srv:
        r = run_cli("repo", "add", "team", srv.url)
    assert_one_line_error(r, "found a link")
    assert list(outside.iterdir()) == []


def test_a_linked_repos_yaml_is_refused(tmp_path: Path) -> None:
    target = victim(tmp_path)
    link(config_home() / "repos.yaml", target)
    for args in (["repo", "add", "team", str(BUILTIN)], ["repo", "list"], ["list"]):
        r = run_cli(*args)
        assert_one_line_error(r, "repos.yaml", "is a symbolic link")
    assert untouched(target)


def test_a_linked_config_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside-folder"
    outside.mkdir()
    link(config_home(), outside)
    r = run_cli("repo", "add", "team", str(BUILTIN))
    assert_one_line_error(r, "is a symbolic link")
    assert list(outside.iterdir()) == []


def test_a_loose_config_folder_is_made_private() -> None:
    config_home().mkdir(parents=True)
    config_home().chmod(0o755)
    assert run_cli("repo", "add", "team", str(BUILTIN)).code == 0
    assert mode(config_home()) == 0o700 and mode(config_home() / "repos.yaml") == 0o600
