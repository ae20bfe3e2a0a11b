"""Options shared by several commands, and the global options every command takes."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

from .output import Format
from .runs import Globals

if TYPE_CHECKING:
    from typer._click import Command, Context, Parameter

    from ..settings import Settings
    from ..sources.base import Catalog

CatalogOption = typer.Option(
    None, "--catalog", "-c", envvar="CATALOG_SOURCE", metavar="REPO|PATH|URL",
    help="Catalog to use: a configured repo's name (builtin: the built-in catalog), a folder, "
         "an index.yaml, or a URL. Default: every configured repo in order, then the built-in catalog.",
)

OutputOption = typer.Option(
    Format.table, "--output", "-o", help="Output format.", case_sensitive=False
)

__all__ = ["CatalogOption", "Globals", "OutputOption", "globals_of", "settings_of", "spread_globals"]


_GLOBALS = "catalog.globals"
#: The global options by parameter name; ``catalog`` is also the name of CatalogOption.
GLOBAL_NAMES = ("offline", "debug", "verbose", "quiet", "catalog")


def globals_of(ctx: Context) -> Globals:
    found = ctx.meta.get(_GLOBALS)
    if not isinstance(found, Globals):
        found = ctx.meta[_GLOBALS] = Globals()
    return found


def _given(ctx: Context, param: Parameter) -> bool:
    source = ctx.get_parameter_source(param.name or "")
    return source is not None and source.name == "COMMANDLINE"


def _record(ctx: Context, param: Parameter, value: Any) -> Any:
    """The one callback of every global option (and of every ``-o``), at every level."""
    run = globals_of(ctx)
    name = param.name
    if name == "catalog":
        # A command's own --catalog (or CATALOG_SOURCE) unless one was typed before it.
        if _given(ctx, param):
            run.catalog = value
            return value
        return run.catalog if run.catalog is not None else value
    if name == "output":
        run.output = str(getattr(value, "value", value)) if value is not None else None
        return value
    if value and name in ("offline", "debug", "verbose", "quiet"):
        setattr(run, name, True)
        if name == "quiet" and run.on_quiet is not None:
            run.on_quiet()
    return value


def _chain(first: Callable[..., Any] | None) -> Callable[[Context, Parameter, Any], Any]:
    def both(ctx: Context, param: Parameter, value: Any) -> Any:
        if first is not None:
            value = first(ctx, param, value)
        return _record(ctx, param, value)

    return both


@functools.cache
def _declared() -> list[Parameter]:
    """The global options as Typer makes them (so that help, parsing and completion treat
    them as every other option); each command gets copies."""
    probe = typer.Typer(add_completion=False)

    @probe.command()
    def _globals(
        offline: bool = typer.Option(
            False, "--offline", help="Use cached repo indexes and files only (says how old they are)."),
        debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
        verbose: bool = typer.Option(
            False, "--verbose", help="Explain in full: every step of why no versions fit, where it is shortened."),
        quiet: bool = typer.Option(
            False, "--quiet", "-q", help="No progress bars, notes or warnings on stderr; errors still."),
        catalog: str | None = typer.Option(
            None, "--catalog", "-c", metavar="REPO|PATH|URL",
            help="Catalog to use (a repo's name, a folder, an index.yaml or a URL), for every command "
                 "that reads one."),
    ) -> None:
        pass

    return list(typer.main.get_command(probe).params)


def spread_globals(cmd: Command, *, top: bool = True, under: bool = True) -> None:
    """Give ``cmd`` (the root when ``top``) and, with ``under``, every command under it the
    global options, all recording into :class:`Globals`: as in Helm, each command's help
    lists them. A command's own ``--catalog`` and ``-o`` keep their meaning and help but
    record too; a command that reads no catalog takes ``--catalog`` without listing it.
    The root makes its commands when they are first used, and spreads them to each then."""
    declared = _declared()

    def visit(cmd: Command, top: bool) -> None:
        own = {p.name for p in cmd.params}
        for proto in declared:
            if proto.name in own:
                continue
            param = copy.copy(proto)
            param.expose_value = False  # the command's function never sees it
            if proto.name == "catalog" and not top:
                param.hidden = True  # type: ignore[attr-defined]  # an option: it has one
            cmd.params.append(param)
        for param in cmd.params:
            if param.name in GLOBAL_NAMES or param.name == "output":
                param.callback = _chain(param.callback) if param.name in own else _record
        if under or not top:
            for sub in getattr(cmd, "commands", {}).values():
                visit(sub, False)

    visit(cmd, top)


def settings_of(ctx: typer.Context) -> Settings:
    """The run's settings, built once by the root command (``cli/root.py``) from the
    environment and the global options; child commands inherit its ``obj``."""
    from ..settings import Settings

    obj = ctx.obj
    # Only a sub-app run on its own (never the ``catalog`` command) lacks them.
    settings = obj if isinstance(obj, Settings) else Settings.from_env()
    # --offline may come after the command, once the root built the settings.
    return settings.but(offline=True) if globals_of(ctx).offline and not settings.offline else settings


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
