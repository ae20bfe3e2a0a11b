"""A Tekton bundle seen as a catalog: what ``install oci://...`` installs from, its cosign
signature verified first when a key is trusted for it (``install --trust-key``, or the
keys of the repo it is published under)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .. import resources, versions, yamlio
from ..errors import InputError, NotFound, SignatureError
from ..model import Entry, FileDigest, PolicyRule
from ..oci.bundle import RBAC_ANNOTATION, pull, resource_of
from ..oci.registry import ImageRef, Registry, parse_ref
from ..settings import Settings

if TYPE_CHECKING:
    from ..signing.keys import PublicKey
    from .folder import IndexCatalog


class _MemoryFiles:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read(self, rel: str, digest: str | None = None) -> bytes:
        if rel not in self.files:
            raise NotFound("not in the bundle", rel)
        return self.files[rel]


def _signature_check(text: str, settings: Settings, trusted: Sequence[PublicKey], trusted_as: str,
                     found: list[str]) -> Callable[[Registry, ImageRef], None] | None:
    """The check ``pull`` runs once it knows the bundle's digest, when any key is trusted
    for it: ``trusted`` (named ``trusted_as`` in errors), and the keys of the repo whose
    ``bundles`` base holds it (``repos.bundle_trust``). The key that verified goes to ``found``."""
    from .. import repos
    from .signed import trust_of

    ref = parse_ref(text)
    repo = repos.bundle_trust(ref.registry, ref.repository, settings)
    trust = trust_of(repo, settings) if repo else None
    keys = [*trusted, *(trust.keys if trust else ())]
    if not keys:
        return None
    who = " and ".join(([f"repo {repo.name} (bundles under {repo.bundles})"] if repo else [])
                       + ([trusted_as] if trusted else []))

    def check(reg: Registry, pinned: ImageRef) -> None:
        from ..oci.signatures import verify_bundle

        try:
            found.append(verify_bundle(reg, pinned, keys).keyid)
        except SignatureError as exc:
            ids = " or ".join(dict.fromkeys(k.keyid for k in keys))
            raise SignatureError(f"{who} requires a cosign signature by {ids}: {exc.message}", f"oci://{pinned}",
                                 reason=exc.reason) from None

    return check


def open_bundle(text: str, settings: Settings, *, insecure: bool = False, trusted: Sequence[PublicKey] = (),
                trusted_as: str = "the keys given") -> tuple[IndexCatalog, list[str]]:
    """A catalog holding a bundle's resources, and the requirement for each of them.

    Its location is the bundle reference pinned by digest, which ``install`` records
    as the source; each entry's digest is the sha256 of its resource file. When keys
    are trusted for it (``trusted``, or those of a repo whose ``bundles`` base holds it),
    its cosign signature is verified before any layer is read: SignatureError naming
    the bundle, who requires the signature and the keys, otherwise."""
    from .cache import open_cache
    from .folder import IndexCatalog

    signer: list[str] = []
    check = _signature_check(text, settings, trusted, trusted_as, signer)
    bundle = pull(text, insecure=insecure, settings=settings, check=check)
    rules: tuple[PolicyRule, ...] = ()
    if bundle.annotations.get(RBAC_ANNOTATION):
        try:
            rules = resources.parse_rbac(json.loads(bundle.annotations[RBAC_ANNOTATION]), RBAC_ANNOTATION)
        except ValueError as exc:
            raise InputError(f"bad {RBAC_ANNOTATION} annotation: {exc}", str(bundle.ref)) from exc
    files: dict[str, bytes] = {}
    entries: dict[str, tuple[Entry, ...]] = {}
    for layer in bundle.layers:
        res = resource_of(layer.data, f"{bundle.ref} {layer.kind}/{layer.name}")
        if res.kind == "Template":
            raise InputError(f"this bundle holds the Template {res.name}: templates are scaffolded into a "
                             "service's repository, never installed; `catalog scaffold` reads them from a "
                             "catalog (repo add, --catalog), not from bundles", str(bundle.ref))
        doc = yamlio.loads_all(layer.data.decode("utf-8"), layer.name)[0]
        fields = resources.entry_fields(doc)
        label = fields.pop("version_label")
        version = str(label) if label and versions.is_version(str(label)) else (
            bundle.annotations.get("org.opencontainers.image.version") or "0.0.0")
        rel = f"{res.kind.lower()}/{res.name}/{version}/{res.name}.yaml"
        files[rel] = layer.data
        named = [FileDigest(rel, "sha256:" + hashlib.sha256(layer.data).hexdigest())]
        if rules and len(bundle.layers) == 1:
            # The manifest's rules (covered by its digest) are served as the rbac.yaml
            # beside the document, so they take the same verified path as a folder's.
            rbac_rel = rel.rsplit("/", 1)[0] + "/rbac.yaml"
            raw = bundle.annotations[RBAC_ANNOTATION].encode()
            files[rbac_rel] = raw
            named.append(FileDigest(rbac_rel, "sha256:" + hashlib.sha256(raw).hexdigest()))
        entry = Entry(name=res.name, kind=res.kind, version=version, path=rel,
                      digest=named[0].digest, files=tuple(named),
                      dependencies=resources.dependencies(doc, rel),
                      rbac=rules if len(bundle.layers) == 1 else (), **fields)
        entries[res.name] = (*entries.get(res.name, ()), entry)
    location = f"oci://{bundle.ref}"
    db = open_cache(location, str(bundle.ref.digest), lambda: (entries, []), settings, where=location)
    reqs = [f"{e.kind.lower()}/{e.name}@{e.version}" for items in entries.values() for e in items]
    return IndexCatalog(location, _MemoryFiles(files), db, None, signer=signer[0] if signer else None), reqs
