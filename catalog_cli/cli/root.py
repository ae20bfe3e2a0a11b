"""The ``catalog`` app: the root command, the one exit point, and every command, each
made by Typer the first time a run needs it.

Typer turns a function into a command by reading its signature and type hints; for
all 35 commands that took longer than importing Typer itself, on every run. The root
therefore knows its commands by name (:data:`COMMANDS`) and has a module register
them only when one is asked for: a run makes the commands of one module, ``--help``
and shell completion make them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, ClassVar

import typer
from typer.core import TyperGroup

from ..errors import CatalogError
from . import completion
from .common import globals_of, spread_globals
from .runs import ended, report

if TYPE_CHECKING:
    # click's classes, which Typer 0.2x vendors under a private name; for the types only.
    from typer._click import Command
    from typer._click import Context as ClickContext

#: Every command of the root, in the order its help lists them (Typer's: commands in
#: the order registered, then groups), with the module of ``catalog_cli.cli`` whose
#: ``register`` makes it. tests/test_startup.py holds it to what the modules register.
COMMANDS: dict[str, str] = {
    "list": "discover", "search": "discover", "info": "discover", "versions": "discover",
    "index": "index_cmd", "lint": "lint_cmd",
    "install": "install_cmd", "upgrade": "install_cmd", "rollback": "install_cmd",
    "uninstall": "install_cmd", "status": "install_cmd", "history": "install_cmd",
    "diff": "install_cmd", "render": "install_cmd",
    "lock": "resolve_cmd", "why": "resolve_cmd", "scaffold": "scaffold_cmd",
    "publish": "share_cmd", "bump": "share_cmd", "version": "version_cmd",
    "completion": "completion", "keygen": "sign_cmd", "sign": "sign_cmd", "verify": "sign_cmd",
    "refs": "refs_cmd", "outdated": "refs_cmd", "update": "refs_cmd",
    "graph": "site_cmd", "site": "site_cmd",
    "repo": "repo_cmd", "mirror": "share_cmd", "trust": "refs_cmd",
}

#: How the app and every part of it are made (a module's commands are made apart).
TYPER_SETTINGS: dict[str, Any] = {
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,  # plain help: rich's renderer costs 0.2 s of start-up
}


def made_by(module: str) -> dict[str, Command]:
    """The commands ``catalog_cli.cli.<module>`` registers, as Typer makes them."""
    part = typer.Typer(**TYPER_SETTINGS)
    importlib.import_module(f"{__package__}.{module}").register(part)
    return dict(typer.main.get_group(part).commands)


class CatalogGroup(TyperGroup):
    """The root command, and the one place where errors leave the program.

    In ``invoke``, so the same for the ``catalog`` script and for an app called
    in-process (Typer's ``CliRunner``): a CatalogError becomes the line
    ``catalog: error: ...`` on stderr and its exit code (after its traceback, with
    ``--debug`` or ``$CATALOG_DEBUG``); missing rights follow the line as a table.
    Under ``-o json`` the error is a JSON object on stderr instead, usage errors
    included. Ctrl-C takes any progress bar off the terminal and exits 130 with
    ``catalog: interrupted``. Any other exception is a bug and keeps its traceback
    (``runs.ended`` and ``runs.report``, which the quick path shares).

    Every command gets the global options (``common.spread_globals``) and the completion
    of names (``completion.attach``) when it is made. The commands of ``lazy`` (name to
    module, in the order help lists them) are made when first asked for; ``commands``
    makes them all, for whoever walks the tree.
    """

    lazy: ClassVar[Mapping[str, str]] = {}
    _made: dict[str, Command]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        spread_globals(self, under=False)
        completion.attach(self, under=False)
        for name, sub in self._made.items():
            self._adopt(name, sub)

    @property
    def commands(self) -> MutableMapping[str, Command]:
        for name in self.lazy:
            self._make(name)
        if list(self._made) != self._order():  # in the order help lists them
            self._made = {name: self._made[name] for name in self._order()}
        return self._made

    @commands.setter
    def commands(self, value: MutableMapping[str, Command]) -> None:
        self._made = dict(value)

    def _adopt(self, name: str, cmd: Command) -> None:
        spread_globals(cmd, top=False)
        completion.attach(cmd, name)

    def _make(self, name: str) -> None:
        if name in self._made or name not in self.lazy:
            return
        for made_name, cmd in made_by(self.lazy[name]).items():
            if made_name not in self._made:
                self._made[made_name] = cmd
                self._adopt(made_name, cmd)
        if name not in self._made:
            raise RuntimeError(f"module {self.lazy[name]} registers no command {name!r}")

    def _order(self) -> list[str]:
        return [*self.lazy, *(n for n in self._made if n not in self.lazy)]

    def list_commands(self, ctx: ClickContext) -> list[str]:
        return self._order()

    def get_command(self, ctx: ClickContext, cmd_name: str) -> Command | None:
        self._make(cmd_name)
        return self._made.get(cmd_name)

    def invoke(self, ctx: ClickContext) -> object:
        from typer._click.exceptions import ClickException

        run = globals_of(ctx)
        try:
            return super().invoke(ctx)
        except (CatalogError, KeyboardInterrupt) as exc:
            raise typer.Exit(ended(exc, run)) from (exc if isinstance(exc, CatalogError) else None)
        except ClickException as exc:
            if run.output != "json":
                raise  # Typer prints its usage message
            report(exc, exc.exit_code, run)
            raise typer.Exit(exc.exit_code) from exc


class CatalogRoot(CatalogGroup):
    """The ``catalog`` command itself: every command of :data:`COMMANDS`, made when used."""

    lazy = COMMANDS


app = typer.Typer(
    name="catalog",
    cls=CatalogRoot,
    help="A package manager for Tekton: find, lint, resolve and install versioned Tasks.\n\n"
         "The options below work before or after the command (catalog search git --offline).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    **TYPER_SETTINGS,
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        print(f"catalog {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version, help="Print catalog's version and exit."),
) -> None:
    # Everything set here is undone when the run ends (ctx.call_on_close), so that a
    # run in-process (tests, CliRunner) leaves nothing behind for the next one.
    from ..progress import set_reporter
    from ..settings import Settings
    from .progress_ui import StderrReporter

    run = globals_of(ctx)
    reporter = StderrReporter(quiet=run.quiet)
    run.on_quiet = reporter.silence  # a -q after the command
    previous = set_reporter(reporter)
    ctx.call_on_close(lambda: set_reporter(previous))
    # The one place the environment is read: every command takes its Settings from
    # here (cli.common.settings_of, which adds an --offline given after the command),
    # and the library only from its arguments.
    ctx.obj = Settings.from_env()
