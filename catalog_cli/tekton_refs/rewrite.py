"""A reference moved to another version (or another task), pinned, and written back.

How each resolver names a version, and what pins it:

    hub      the version param (full X.Y.Z unless type is tekton)   no pin: the hubs give none
    bundles  REGISTRY/REPO/NAME:VERSION@sha256:...                   the manifest digest (registry)
    git      a version folder in pathInRepo, revision a commit:      the commit
             the branch's (or HEAD's, when it was a tag or commit);
             without a version folder, the release tag's commit
    http     a version folder in the URL's path, digest the file's   the catalog's sha256 of the file
"""

from __future__ import annotations

from .. import versions
from ..errors import CatalogError, InputError, RemoteError
from ..model import Entry
from ..refs import Image, ResolverRef
from . import pac
from .edit import Editor
from .lookup import Remote
from .scan import Reference


def version_folder(entry: Entry) -> str:
    """The folder name a catalog keeps ``entry`` in (``0.2``, ``v0.2.0``)."""
    parts = entry.path.split("/")
    return parts[-2] if len(parts) >= 2 and versions.is_version(parts[-2]) else entry.version


def _swap_path(path: str, name: str | None, folder: str | None) -> str | None:
    """``.../<name>/<version>/<name>.yaml`` with another version folder (and name)."""
    parts = path.split("/")
    if len(parts) < 3 or not versions.is_version(parts[-2]):
        return None
    old = parts[-3]
    if name:
        parts[-3] = name
        parts[-1] = parts[-1].replace(old, name, 1)
    if folder:
        parts[-2] = folder
    return "/".join(parts)


def _with(ref: ResolverRef, **values: str) -> ResolverRef:
    params = [(k, values.pop(k) if k in values else v) for k, v in ref.params]
    params += list(values.items())
    name = dict(params).get("name", ref.name) if ref.resolver in ("hub", "bundles", "cluster") else ref.name
    return ResolverRef(ref.resolver, ref.kind, name, tuple(params), ref.legacy)


def hub_version(ref: ResolverRef, version: str) -> str:
    """A version as the hub resolver is given it: full X.Y.Z, which Artifact Hub (the
    default type) needs and every resolver takes; as written for type tekton."""
    if (ref.param("type") or "artifact") == "tekton":
        return version
    return str(versions.parse(version).sem) if versions.is_version(version) else version


def moved(ref: ResolverRef, entry: Entry, remote: Remote | None, name: str | None = None,
          annotation: bool = False) -> ResolverRef:
    """``ref`` fetching ``entry`` (of another name when ``name``), pinned (but for an
    ``annotation`` item, which is a URL alone). RemoteError when offline or the registry
    or git cannot say what to pin to."""
    target = name or ref.name
    if ref.resolver == "hub":
        values = {"version": entry.version if annotation else hub_version(ref, entry.version)}
        if name:
            values["name"] = name
        return _with(ref, **values)
    if ref.resolver == "bundles":
        image = ref.image
        if image is None:
            raise InputError("the bundle is not REGISTRY/REPOSITORY[:TAG]", ref.bundle)
        repo = image.repository
        if name:
            repo = repo.rsplit("/", 1)[0] + "/" + name if "/" in repo else name
        tagged = Image(image.registry, repo, entry.version)
        if remote is None:
            raise RemoteError("offline: the registry was not asked for the digest to pin to", str(tagged))
        digest = remote.bundle_digest(str(tagged))
        values = {"bundle": str(Image(image.registry, repo, entry.version, digest))}
        if name:
            values["name"] = name
        return _with(ref, **values)
    if ref.resolver == "git":
        return _git(ref, entry, remote, target if name else None)
    if ref.resolver == "http":
        url = ref.url or ""
        head, sep, query = url.partition("?")
        scheme, _, rest = head.partition("://")
        host, _, path = rest.partition("/")
        swapped = _swap_path(path, name, version_folder(entry))
        if swapped is None:
            raise InputError("the URL has no version folder to move", ref.describe())
        new_url = f"{scheme}://{host}/{swapped}{sep}{query}"
        return _with(ref, url=new_url) if annotation else _with(ref, url=new_url, digest=entry.digest)
    raise InputError(f"a {ref.resolver} reference names no version to move", ref.describe())


def _git(ref: ResolverRef, entry: Entry, remote: Remote | None, name: str | None) -> ResolverRef:
    url, revision = ref.url, ref.revision or ""
    if not url:
        raise InputError("git through the SCM API (org/repo): no URL to ask for a commit", ref.describe())
    if remote is None:
        raise RemoteError("offline: git was not asked for the commit to pin to", url)
    path = ref.path_in_repo or ""
    swapped = _swap_path(path, name, version_folder(entry))
    if swapped is not None:  # a version folder: the same branch (or the default one), pinned
        tags = remote.git_tags(url)
        fixed = not revision or revision in tags or ref.pin is not None
        commit = remote.git_commit(url, "HEAD" if fixed else revision)
        return _with(ref, pathInRepo=swapped, revision=commit)
    if name:
        raise InputError("a release-tag layout holds one name per repository: cannot replace it", ref.describe())
    tags = remote.git_tags(url)
    want = versions.parse(entry.version)
    named = [t for t in tags if versions.is_version(t) and versions.parse(t) == want]
    if not named:
        raise RemoteError(f"no release tag for version {entry.version}", url)
    return _with(ref, revision=tags[sorted(named)[0]])


def write(editor: Editor, found: Reference, new: ResolverRef) -> None:
    """Write ``new`` where ``found`` is: its params (those it lacks appended), or its
    Pipelines-as-Code annotation item."""
    if found.item is not None:
        value = pac.replace_item(str(editor.read(found.doc, found.path)), found.item.index,
                                 pac.item_text(found.item, new))
        editor.set(found.doc, found.path, value)
        return
    at = editor.read(found.doc, found.path)
    if new.legacy or not isinstance(at, dict) or not isinstance(at.get("params"), list):
        raise InputError("a taskRef.bundle reference: rewrite it to the bundles resolver first", found.where)
    for key, value in new.params:
        params = editor.read(found.doc, (*found.path, "params"))
        index = next((i for i, p in enumerate(params) if isinstance(p, dict) and p.get("name") == key), None)
        if index is None:
            editor.append(found.doc, (*found.path, "params"), {"name": key, "value": value})
        else:
            editor.set(found.doc, (*found.path, "params", index, "value"), value)


def pin_error(exc: CatalogError, found: Reference) -> CatalogError:
    """``exc`` naming the file and reference it was met at."""
    message, where = f"{found.where} ({found.describe()}): {exc.message}", f"{found.file}:{found.line}"
    try:
        return type(exc)(message, where)
    except TypeError:  # a subclass with fields of its own
        return CatalogError(message, where)
