"""Sharing a catalog: ``publish --oci`` (Tekton bundles) and ``mirror export|import``
(one archive for an air-gapped site)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import mirror, repos
from ..errors import InputError
from ..oci.bundle import Published
from ..oci.bundle import publish as push_all
from ..progress import reporter
from ..settings import Settings
from ..sources import open_catalog

if TYPE_CHECKING:
    from ..signing.keys import PrivateKey


def publish(target: str, names: Sequence[str], settings: Settings, *, catalog: str | None = None,
            all_versions: bool = False, insecure: bool = False, sign: PrivateKey | None = None) -> Published:
    """Push the named entries of ``catalog`` (default: every Task, Pipeline and StepAction,
    newest versions unless ``all_versions``) to the registry repository ``target``, one
    bundle each; templates are left out (``Published.note`` says so) or, named, refused.
    With ``sign``, each bundle gets a cosign signature by that key."""
    cat = open_catalog(catalog, settings)
    bar = reporter().bar("pushing bundles", None)
    try:
        return push_all(cat, target, list(names), all_versions=all_versions, insecure=insecure,
                        on_push=lambda p: bar.advance(), settings=settings, sign=sign)
    finally:
        bar.close()


def export(names: Sequence[str], out: Path, settings: Settings, *,
           catalog: str | None = None) -> mirror.Exported:
    """Write the archive ``out`` of the named entries of ``catalog`` and what they depend
    on (default: everything)."""
    return mirror.export(open_catalog(catalog, settings), list(names), out)


@dataclass(frozen=True)
class Imported:
    unpacked: mirror.Imported
    #: The repo it was added as; None when only unpacked.
    repo: str | None


def import_(archive: Path, dest: Path, settings: Settings, *, name: str | None = None,
            add: bool = True) -> Imported:
    """Unpack ``archive`` into ``dest`` (every file checked against the index) and, when
    ``add``, add it as a local repo named ``name`` (default: the folder's name). The
    name is checked before anything is unpacked."""
    repo_name = name or dest.resolve().name.lower()
    if add:
        repos.check_name(repo_name)
        if repos.find(repo_name, settings):
            raise InputError("a repo of that name exists; choose another with --name", repo_name)
    result = mirror.import_archive(archive, dest)
    if not add:
        return Imported(result, None)
    repos.add(repos.make(repo_name, str(result.path)), settings)
    return Imported(result, repo_name)
