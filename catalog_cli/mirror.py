"""Air-gapped sites: one archive with an index, its files and the step images they use.

``export`` writes a tar.gz holding ``index.yaml``, every file the chosen entries name
(each read through the catalog, so digest-checked) and ``images.txt``, every image
reference the resources run, with its digest where it has one. ``import_archive``
unpacks such an archive as a local repo, refusing anything an archive could use to
write outside its folder or fill a disk or memory: absolute paths, ``..``, links,
devices, oversized members, too many or too large in total, a decompressed stream
larger than all that allows, and extended headers (PAX, GNU long names) claiming
more than a name needs, refused from their 512-byte header before tarfile reads
them (see :mod:`catalog_cli.archives`); then checks every file against the index.
Nothing lands in the destination until everything passed.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from . import fsutil
from . import index as index_mod
from .archives import MAX_EXTENDED_TOTAL, Inflating, open_tar_stream
from .errors import CatalogError, DigestMismatch, InputError, NotFound
from .model import Entry, FileDigest
from .refs import NAME
from .sources.base import Catalog
from .sources.layered import Layered
from .words import plural

IMAGES = "images.txt"
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_MEMBERS = 100_000


@dataclass(frozen=True)
class Archive:
    """What a mirror archive holds, once written or unpacked: where it is (the archive
    or the repo folder), how many entries and files, and the images the entries run."""

    path: Path
    entries: int
    files: int
    images: tuple[str, ...]


@dataclass(frozen=True)
class Exported(Archive):
    """An archive written; ``warnings`` name the images it could not pin or resolve."""

    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Limits:
    member: int = MAX_MEMBER_BYTES
    total: int = MAX_TOTAL_BYTES
    members: int = MAX_MEMBERS

    @property
    def stream(self) -> int:
        """The decompressed tar stream: the members' data, a header and padding per
        member, extended headers, the end blocks. Anything beyond is not an archive
        these limits allow (a directory's skipped data, say), and is refused."""
        return self.total + self.members * 1024 + MAX_EXTENDED_TOTAL + 20 * 512


def _owner(catalog: Catalog, name: str) -> tuple[Catalog, str, str]:
    """(catalog holding ``name``, bare name, path prefix inside the archive)."""
    if isinstance(catalog, Layered):
        member, bare = catalog.owner(name)
        return member, bare, f"{member.name}/"
    return catalog, name.split("/")[-1], ""


def _has(catalog: Catalog, name: str) -> bool:
    if not NAME.match(name):  # acme/x would read as the repo acme's x
        return False
    try:
        return bool(catalog.kinds(name))
    except CatalogError:
        return False


def _select(catalog: Catalog, names: list[str]) -> dict[str, tuple[Catalog, str, list[Entry]]]:
    """Every version of the named resources and, transitively, of what they depend on."""
    todo = list(names) or list(catalog.names())
    chosen: dict[str, tuple[Catalog, str, list[Entry]]] = {}
    while todo:
        name = todo.pop()
        owner, bare, prefix = _owner(catalog, name)
        if bare in chosen:
            continue
        kinds = owner.kinds(bare)
        if not kinds:
            catalog.versions(name)  # NotFound with suggestions
        entries = [e for k in kinds for e in owner.versions(bare, k)]
        chosen[bare] = (owner, prefix, entries)
        # A reference through a resolver goes along only when the catalog has its name:
        # the others are fetched from elsewhere when the run starts.
        todo += [d.name for e in entries for d in e.dependencies
                 if d.name not in chosen and (d.via is None or _has(catalog, d.name))]
    return chosen


def _param_defaults(spec: dict[str, Any]) -> dict[str, str]:
    out = {}
    for p in spec.get("params") or []:
        if isinstance(p, dict) and isinstance(p.get("default"), str):
            out[str(p.get("name"))] = p["default"]
    return out


def _substitute(image: str, defaults: dict[str, str]) -> str | None:
    """``$(params.X)`` replaced by X's default; None when some parameter has none."""
    import re

    missing = False

    def sub(m: re.Match[str]) -> str:
        nonlocal missing
        value = defaults.get(m.group(1))
        if value is None:
            missing = True
            return m.group(0)
        return value

    text = re.sub(r"\$\((?:inputs\.)?params\.([A-Za-z0-9_.-]+)\)", sub, image)
    return None if missing or "$(" in text else text


def images_of(resource: dict[str, Any], where: str) -> tuple[set[str], list[str]]:
    """Image references a resource runs, and warnings for those it cannot resolve."""
    found: set[str] = set()
    warn: list[str] = []

    def from_spec(spec: Any, defaults: dict[str, str]) -> None:
        if not isinstance(spec, dict):
            return
        defaults = {**defaults, **_param_defaults(spec)}
        items = [spec] if resource.get("kind") == "StepAction" and spec is resource.get("spec") else []
        for key in ("steps", "sidecars"):
            items += [s for s in spec.get(key) or [] if isinstance(s, dict)]
        if isinstance(spec.get("stepTemplate"), dict):
            items.append(spec["stepTemplate"])
        for item in items:
            image = item.get("image") if isinstance(item, dict) else None
            if not isinstance(image, str) or not image:
                continue
            resolved = _substitute(image, defaults)
            if resolved is None:
                warn.append(f"{where}: image {image!r} depends on a parameter without a default")
            else:
                found.add(resolved)
        for task in [*(spec.get("tasks") or []), *(spec.get("finally") or [])]:
            if isinstance(task, dict):
                from_spec(task.get("taskSpec"), defaults)

    from_spec(resource.get("spec"), {})
    return found, warn


def export(catalog: Catalog, names: list[str], out: Path) -> Exported:
    """Write the archive for ``names`` (all when empty) and their dependencies to ``out``."""
    chosen = _select(catalog, names)
    entries: dict[str, tuple[Entry, ...]] = {}
    blobs: dict[str, bytes] = {}
    images: set[str] = set()
    warnings: list[str] = []
    for name in sorted(chosen):
        owner, prefix, items = chosen[name]
        moved = []
        for e in items:
            files = e.files or (FileDigest(e.path, e.digest),)
            if e.path not in {f.path for f in files}:
                files = (*files, FileDigest(e.path, e.digest))
            for f in files:
                blobs[prefix + f.path] = owner.read_file(f.path, f.digest)
            found, warn = images_of(owner.load_resource(e), e.path)
            images |= found
            warnings += warn
            moved.append(replace(e, path=prefix + e.path,
                                 files=tuple(FileDigest(prefix + f.path, f.digest) for f in files)))
        entries[name] = index_mod.order(moved)
    undigested = sorted(i for i in images if "@sha256:" not in i)
    if undigested:
        warnings.append(f"{plural(len(undigested), 'image')} without a digest (pin them before mirroring): "
                        + ", ".join(undigested))
    index_text = index_mod.render(index_mod.Index(entries), "yaml")
    members = {index_mod.INDEX_NAME: index_text.encode(), IMAGES: "".join(f"{i}\n" for i in sorted(images)).encode()}
    members.update(blobs)
    _write_tar(out, members)
    return Exported(out, sum(len(v) for v in entries.values()), len(blobs), tuple(sorted(images)), tuple(warnings))


def _write_tar(out: Path, members: dict[str, bytes]) -> None:
    with fsutil.replacing(out) as tmp, tarfile.open(tmp, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(members):
            data = members[name]
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))


# -- import ---------------------------------------------------------------------------
def _safe_name(member: tarfile.TarInfo) -> PurePosixPath | None:
    """The member's path inside the archive, checked; None for the archive's own top
    folder (``./``, which ``tar czf x.tar.gz .`` writes first)."""
    name = member.name
    path = PurePosixPath(name)
    if name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":"):
        raise InputError("archive member has an absolute path: refused", name)
    if any(part == ".." for part in path.parts):
        raise InputError("archive member leaves its folder ('..'): refused", name)
    if member.issym() or member.islnk():
        raise InputError(f"archive member is a {'symbolic' if member.issym() else 'hard'} link: refused", name)
    if not (member.isreg() or member.isdir()):
        raise InputError("archive member is a device, FIFO or other special file: refused", name)
    parts = [p for p in path.parts if p not in ("", ".")]
    if not parts:
        if member.isdir():
            return None
        raise InputError("archive member has an empty name: refused", name)
    return PurePosixPath(*parts)


def _extract(archive: Path, into: Path, limits: Limits) -> set[str]:
    """Unpack regular files under ``into`` with every check above; their names."""
    names: set[str] = set()
    total = count = 0
    try:
        with archive.open("rb") as raw, open_tar_stream(Inflating(raw, limits.stream, str(archive)),
                                                         str(archive)) as tar:
            for member in tar:
                count += 1
                if count > limits.members:
                    raise InputError(f"archive has over {limits.members:,} members: refused", str(archive))
                rel = _safe_name(member)
                if rel is None or member.isdir():
                    continue
                if member.size > limits.member:
                    raise InputError(f"archive member is {member.size:,} bytes, over the limit of "
                                     f"{limits.member:,}: refused", member.name)
                total += member.size
                if total > limits.total:
                    raise InputError(f"archive holds over {limits.total:,} bytes: refused", str(archive))
                key = rel.as_posix()
                if key in names:
                    raise InputError("archive member appears twice: refused", member.name)
                names.add(key)
                src = tar.extractfile(member)
                assert src is not None  # a regular file always has data
                target = into.joinpath(*rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "xb") as dst:
                    shutil.copyfileobj(src, dst)
    except tarfile.TarError as exc:
        raise InputError(f"not a readable tar archive: {exc}", str(archive)) from exc
    except OSError as exc:
        if isinstance(exc, FileExistsError):
            raise InputError("archive member collides with another: refused", str(exc.filename)) from exc
        raise InputError(f"cannot read the archive: {exc.strerror or exc}", str(archive)) from exc
    return names


@dataclass(frozen=True)
class Imported(Archive):
    """An archive unpacked into a repo folder, every file checked against its index."""


def import_archive(archive: Path, dest: Path, limits: Limits = Limits()) -> Imported:
    """Unpack ``archive`` into ``dest`` (absent or empty) as a checked local catalog."""
    if not archive.is_file():
        raise NotFound("no such file", str(archive))
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise InputError("destination exists and is not an empty folder", str(dest))
    dest.parent.mkdir(parents=True, exist_ok=True)
    # A fresh, unguessable folder beside the destination (nothing planted there can be
    # followed), given the usual mode once it becomes the repo.
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.import-", dir=dest.parent))
    try:
        names = _extract(archive, tmp, limits)
        if index_mod.INDEX_NAME not in names:
            raise InputError("archive has no index.yaml", str(archive))
        idx = index_mod.load(tmp / index_mod.INDEX_NAME)
        named: dict[str, str] = {}
        for e in idx:
            for f in (*e.files, FileDigest(e.path, e.digest)):
                named[f.path] = f.digest
        for rel, digest in sorted(named.items()):
            if rel not in names:
                raise InputError("file named by the index is missing from the archive", rel)
            got = index_mod.sha256_file(tmp / rel)
            if got != digest:
                raise DigestMismatch(f"digest {got} does not match the index ({digest})", rel)
        extra = sorted(names - set(named) - {index_mod.INDEX_NAME, IMAGES})
        if extra:
            raise InputError("archive member not named by its index: refused", extra[0])
        images = tuple((tmp / IMAGES).read_text(encoding="utf-8").split()) if IMAGES in names else ()
        if dest.exists():
            dest.rmdir()
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        os.rename(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Imported(dest, len(idx), len(named), images)
