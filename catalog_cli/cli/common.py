"""Options shared by several commands."""

from __future__ import annotations

import typer

CatalogOption = typer.Option(
    None, "--catalog", "-c", envvar="CATALOG_SOURCE", metavar="PATH|URL",
    help="Catalog to use: a folder, an index.yaml, or a URL. Default: the built-in catalog.",
)


def split_ref(ref: str) -> tuple[str | None, str, str | None]:
    """``[kind/]name[@version]`` -> (kind, name, version), absent parts None."""
    from ..errors import InputError
    from ..model import canonical_kind

    head, _, version = ref.partition("@")
    kind = None
    if "/" in head:
        kind_text, _, head = head.partition("/")
        kind = canonical_kind(kind_text)
        if kind is None:
            raise InputError(f"unknown kind {kind_text!r} (Task, Pipeline or StepAction)", ref)
    if not head:
        raise InputError("no name given", ref)
    return kind, head, (version or None)
