"""Options shared by several commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from ..settings import Settings
    from ..sources.base import Catalog

CatalogOption = typer.Option(
    None, "--catalog", "-c", envvar="CATALOG_SOURCE", metavar="REPO|PATH|URL",
    help="Catalog to use: a configured repo's name (builtin: the built-in catalog), a folder, "
         "an index.yaml, or a URL. Default: every configured repo in order, then the built-in catalog.",
)


def settings_of(ctx: typer.Context) -> Settings:
    """The run's settings, built once by the root command (``cli/main.py``) from the
    environment and the global options; child commands inherit its ``obj``."""
    from ..settings import Settings

    obj = ctx.obj
    # Only a sub-app run on its own (never the ``catalog`` command) lacks them.
    return obj if isinstance(obj, Settings) else Settings.from_env()


def split_ref(ref: str, settings: Settings) -> tuple[str | None, str, str | None]:
    """``[REPO/][KIND/]name[@version]`` -> (kind, name, version), absent parts None.

    The first part is a kind when it names one (``task/git-clone``), otherwise a repo
    (``team/git-clone``, kept in the name as ``team/git-clone`` for the catalog to
    route); repos may not be named like kinds, so the two never clash."""
    from ..errors import InputError
    from ..model import canonical_kind
    from ..repos import is_repo_word

    head, _, version = ref.partition("@")
    parts = head.split("/")
    repo = kind = None
    if len(parts) > 3:
        raise InputError("expected [REPO/][KIND/]NAME", ref)
    if len(parts) == 3 or (len(parts) == 2 and canonical_kind(parts[0]) is None):
        repo = parts.pop(0)
        if not is_repo_word(repo, settings):
            kind_text = repo if len(parts) == 1 else parts[0]
            if len(parts) == 1:
                raise InputError(f"unknown kind {kind_text!r} (Task, Pipeline or StepAction) "
                                 "and no repo of that name", ref)
            raise InputError(f"unknown repo {repo!r} (see `catalog repo list`)", ref)
    if len(parts) == 2:
        kind_text = parts.pop(0)
        kind = canonical_kind(kind_text)
        if kind is None:
            raise InputError(f"unknown kind {kind_text!r} (Task, Pipeline or StepAction)", ref)
    name = parts[0]
    if not name:
        raise InputError("no name given", ref)
    return kind, (f"{repo}/{name}" if repo else name), (version or None)


def open_for(location: str | None, refs: list[str], settings: Settings) -> tuple[Catalog, list[str]]:
    """Open the catalog and route ``REPO/NAME`` references to their repo."""
    from ..sources import open_catalog
    from ..sources.open import select

    catalog = open_catalog(location, settings)
    return catalog, select(catalog, refs, settings)
