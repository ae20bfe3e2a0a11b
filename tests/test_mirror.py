"""mirror export/import: a round trip, the image list, and archives built to do harm."""

from __future__ import annotations

import io
import json
import re
import shutil
import tarfile
from pathlib import Path

import pytest

from catalog_cli import mirror, repos
from catalog_cli.sources import open_catalog
from catalog_cli.errors import DigestMismatch, InputError
from catalog_cli.settings import Settings

from .conftest import BUILTIN, assert_one_line_error, run_cli


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mirror") / "site.tar.gz"
    result = mirror.export(open_catalog(str(BUILTIN)), [], out)
    assert result.entries > 0
    return out


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isreg()}  # type: ignore[union-attr]


def craft(path: Path, entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def reg(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def test_round_trip_through_the_cli(tmp_path: Path, settings: Settings) -> None:
    out = tmp_path / "m.tar.gz"
    r = run_cli("mirror", "export", "kubectl-deploy", "--file", str(out))
    assert r.code == 0, r.err
    names = set(members(out))
    assert {"index.yaml", "images.txt"} <= names
    assert any(n.startswith("task/kubectl-deploy/") for n in names)
    assert not any(n.startswith("task/kaniko/") for n in names)
    r = run_cli("mirror", "import", str(out), str(tmp_path / "site"), "--name", "site")
    assert r.code == 0, r.err
    assert [x.name for x in repos.load(settings)] == ["site"]
    r = run_cli("--offline", "info", "site/kubectl-deploy", "-o", "json")
    assert r.code == 0, r.err


def test_export_writes_the_archive_named_by_file_and_o_is_the_format(tmp_path: Path) -> None:
    out = tmp_path / "m.tar.gz"
    r = run_cli("mirror", "export", "git-clone", "-f", str(out), "-o", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["archive"] == str(out) and data["versions"] == 2 and data["files"] == len(members(out)) - 2
    assert data["images"] and isinstance(data["warnings"], list)
    r = run_cli("mirror", "export", "git-clone", "-f", str(out), "-o", "name")
    assert r.out == f"{out}\n"
    r = run_cli("mirror", "export", "git-clone", "--file", str(out))
    assert r.out == "" and "wrote" in r.err and "2 versions" in r.err
    r = run_cli("mirror", "export", "kubectl-deploy", "--file", str(out))
    assert "1 image)" in r.err  # one small word for one
    assert not re.search(r"\b1 (versions|files|images)\b", r.err)


def test_export_with_o_naming_a_file_points_at_file(tmp_path: Path) -> None:
    # -o named the archive before --file did: the message says where the archive goes now.
    r = run_cli("mirror", "export", "git-clone", "-o", str(tmp_path / "m.tar.gz"))
    assert_one_line_error(r, "-o/--output", "not an output format", "--file/-f")
    assert r.code == 2
    assert list(tmp_path.iterdir()) == []


def test_export_follows_dependencies_and_lists_images(tmp_path: Path) -> None:
    root = tmp_path / "cat"
    shutil.copytree(BUILTIN, root)
    folder = root / "pipeline/p/0.1"
    folder.mkdir(parents=True)
    (folder / "p.yaml").write_text(
        "apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata:\n  name: p\n  labels:\n"
        "    app.kubernetes.io/version: '0.1'\nspec:\n  tasks:\n  - name: a\n    taskRef:\n      name: kaniko\n"
        "  - name: b\n    taskSpec:\n      params:\n      - name: IMG\n        default: alpine@sha256:" + "a" * 64 +
        "\n      steps:\n      - name: s\n        image: $(params.IMG)\n")
    assert run_cli("index", str(root)).code == 0
    result = mirror.export(open_catalog(str(root)), ["p"], tmp_path / "p.tar.gz")
    got = members(tmp_path / "p.tar.gz")
    assert any(n.startswith("task/kaniko/") for n in got)  # the dependency came along
    images = got["images.txt"].decode().split()
    assert "alpine@sha256:" + "a" * 64 in images
    kaniko = open_catalog(str(BUILTIN)).load_resource(open_catalog(str(BUILTIN)).get("kaniko"))
    for step in kaniko["spec"]["steps"]:
        if "$(" not in step["image"]:
            assert step["image"] in images
    undigested = [i for i in images if "@sha256:" not in i]
    assert bool(undigested) == any("without a digest" in w for w in result.warnings)


def test_images_of_resolves_parameter_defaults() -> None:
    task = {"kind": "Task", "spec": {"params": [{"name": "v", "default": "3.19"}],
                                     "steps": [{"image": "alpine:$(params.v)"}, {"image": "$(params.none)"}],
                                     "sidecars": [{"image": "redis@sha256:" + "b" * 64}]}}
    found, warn = mirror.images_of(task, "t.yaml")
    assert found == {"alpine:3.19", "redis@sha256:" + "b" * 64}
    assert warn == ["t.yaml: image '$(params.none)' depends on a parameter without a default"]
    found, _ = mirror.images_of({"kind": "StepAction", "spec": {"image": "busybox"}}, "s.yaml")
    assert found == {"busybox"}


def test_import_verifies_every_digest(tmp_path: Path, archive: Path) -> None:
    files = members(archive)
    victim = next(n for n in files if n.endswith("kaniko.yaml"))
    files[victim] = files[victim].replace(b"Kaniko", b"Kan1ko", 1)
    bad = craft(tmp_path / "bad.tar.gz", [reg(n, d) for n, d in files.items()])
    with pytest.raises(DigestMismatch) as info:
        mirror.import_archive(bad, tmp_path / "site")
    assert victim in str(info.value)
    assert not (tmp_path / "site").exists()
    assert not list(tmp_path.glob(".site*"))  # the half-unpacked folder is gone too


def evil_cases() -> list[tuple[str, list[tuple[tarfile.TarInfo, bytes | None]], str]]:
    sym = tarfile.TarInfo("link")
    sym.type, sym.linkname = tarfile.SYMTYPE, "/etc/passwd"
    hard = tarfile.TarInfo("hard")
    hard.type, hard.linkname = tarfile.LNKTYPE, "index.yaml"
    dev = tarfile.TarInfo("dev")
    dev.type = tarfile.CHRTYPE
    fifo = tarfile.TarInfo("fifo")
    fifo.type = tarfile.FIFOTYPE
    return [
        ("absolute", [reg("/tmp/evil", b"x")], "absolute path"),
        ("dotdot", [reg("task/../../evil", b"x")], "leaves its folder"),
        ("symlink", [(sym, None)], "symbolic link"),
        ("hardlink", [(hard, None)], "hard link"),
        ("device", [(dev, None)], "device"),
        ("fifo", [(fifo, None)], "device, FIFO"),
        ("twice", [reg("index.yaml", b"a"), reg("./index.yaml", b"b")], "appears twice"),
        ("no-index", [reg("images.txt", b"")], "no index.yaml"),
    ]


@pytest.mark.parametrize("case, entries, message", evil_cases(), ids=[c[0] for c in evil_cases()])
def test_malicious_archives_are_refused(tmp_path: Path, case: str, entries: list, message: str) -> None:
    bad = craft(tmp_path / f"{case}.tar.gz", entries)
    with pytest.raises(InputError, match=message):
        mirror.import_archive(bad, tmp_path / "site")
    assert not (tmp_path / "site").exists()
    assert not Path("/tmp/evil").exists()


def test_size_limits(tmp_path: Path, archive: Path) -> None:
    with pytest.raises(InputError, match="over the limit of 1,000"):
        mirror.import_archive(archive, tmp_path / "a", mirror.Limits(member=1000))
    with pytest.raises(InputError, match="archive holds over 20,000 bytes"):
        mirror.import_archive(archive, tmp_path / "b", mirror.Limits(total=20_000))
    with pytest.raises(InputError, match="over 3 members"):
        mirror.import_archive(archive, tmp_path / "c", mirror.Limits(members=3))
    # A gzip bomb declares its size in the tar header, so it is refused before it is inflated.
    bomb = tmp_path / "bomb.tar.gz"
    info = tarfile.TarInfo("index.yaml")
    info.size = 65 * 1024 * 1024
    with tarfile.open(bomb, "w:gz") as tar:
        tar.addfile(info, io.BytesIO(b"\0" * info.size))
    with pytest.raises(InputError, match="over the limit"):
        mirror.import_archive(bomb, tmp_path / "d")


def test_extra_members_and_a_busy_destination_are_refused(tmp_path: Path, archive: Path) -> None:
    files = members(archive)
    extra = craft(tmp_path / "extra.tar.gz", [reg(n, d) for n, d in files.items()] + [reg("run.sh", b"#!")])
    with pytest.raises(InputError, match="not named by its index"):
        mirror.import_archive(extra, tmp_path / "site")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy/x").write_text("mine")
    r = run_cli("mirror", "import", str(archive), str(tmp_path / "busy"), "--no-add")
    assert_one_line_error(r, "destination exists")
    assert (tmp_path / "busy/x").read_text() == "mine"


def test_an_archive_repacked_with_tar_imports_and_indexes(tmp_path: Path, archive: Path) -> None:
    """`tar czf x.tar.gz .` in an unpacked mirror writes a './' folder first and './'
    before every name: still the same archive. The imported folder is a catalog tree
    that `index --check --strict` accepts as it is."""
    import subprocess

    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    subprocess.run(["tar", "xzf", str(archive), "-C", str(unpacked)], check=True)
    repacked = tmp_path / "x.tar.gz"
    subprocess.run(["tar", "czf", str(repacked), "."], cwd=unpacked, check=True)
    with tarfile.open(repacked) as tar:
        assert tar.getnames()[0] in (".", "./")
    r = run_cli("mirror", "import", str(repacked), str(tmp_path / "site"), "--no-add")
    assert r.code == 0, r.err
    assert (tmp_path / "site" / "index.yaml").read_bytes() == members(archive)["index.yaml"]
    r = run_cli("index", str(tmp_path / "site"), "--check", "--strict")
    assert r.code == 0, r.out + r.err
    r = run_cli("--offline", "info", "kubectl-deploy", "--catalog", str(tmp_path / "site"), "-o", "json")
    assert r.code == 0 and r.json()["name"] == "kubectl-deploy"
