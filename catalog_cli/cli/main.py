"""The ``catalog`` command: global options, command registration, and the one exit point."""

from __future__ import annotations

import os
import sys
import traceback
from types import FrameType
from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

from ..errors import CatalogError
from . import discover, index_cmd, install_cmd, lint_cmd, repo_cmd, resolve_cmd, scaffold_cmd, share_cmd
from . import refs_cmd

if TYPE_CHECKING:
    # click's Context, which Typer 0.2x vendors under a private name; for the type only.
    from typer._click import Context as ClickContext

DEBUG_ENV = "CATALOG_DEBUG"
#: The exit code of a run stopped by Ctrl-C, as shells report a process killed by SIGINT.
INTERRUPTED = 130
TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process SIGTERM ended


class Terminated(KeyboardInterrupt):
    """SIGTERM (a CI job cancelled, a pod stopped): undone like Ctrl-C, then exit 143."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


class CatalogGroup(TyperGroup):
    """The root command, and the one place where errors leave the program.

    In ``invoke``, so the same for the ``catalog`` script and for an app called
    in-process (Typer's ``CliRunner``): a CatalogError becomes the line
    ``catalog: error: ...`` on stderr and its exit code (after its traceback, with
    ``--debug`` or ``$CATALOG_DEBUG``); Ctrl-C takes any progress bar off the terminal
    and exits 130 with ``catalog: interrupted``. Any other exception is a bug and
    keeps its traceback.
    """

    def invoke(self, ctx: ClickContext) -> object:
        try:
            return super().invoke(ctx)
        except CatalogError as exc:
            _stop_progress()
            if ctx.params.get("debug") or os.environ.get(DEBUG_ENV):
                traceback.print_exc(file=sys.stderr)
            from .output import safe

            print(f"catalog: error: {safe(str(exc))}", file=sys.stderr)
            raise typer.Exit(exc.exit_code) from exc
        except KeyboardInterrupt as exc:
            _stop_progress()
            terminated = isinstance(exc, Terminated)
            print(f"catalog: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
            raise typer.Exit(TERMINATED if terminated else INTERRUPTED) from None


app = typer.Typer(
    name="catalog",
    cls=CatalogGroup,
    help="A package manager for Tekton: find, lint, resolve and install versioned Tasks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's renderer costs 0.2 s of start-up
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _main(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    offline: bool = typer.Option(
        False, "--offline", help="Use cached repo indexes and files only (says how old they are)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars and no notes on stderr."),
) -> None:
    # Everything set here is undone when the run ends (ctx.call_on_close), so that a
    # run in-process (tests, CliRunner) leaves nothing behind for the next one.
    from ..progress import set_reporter
    from ..settings import Settings
    from .progress_ui import StderrReporter

    previous = set_reporter(StderrReporter(quiet=quiet))
    ctx.call_on_close(lambda: set_reporter(previous))
    # The one place the environment is read: every command takes its Settings from
    # here (cli.common.settings_of), and the library only from its arguments.
    settings = Settings.from_env()
    ctx.obj = settings.but(offline=True) if offline else settings


discover.register(app)
index_cmd.register(app)
lint_cmd.register(app)
install_cmd.register(app)
resolve_cmd.register(app)
scaffold_cmd.register(app)
repo_cmd.register(app)
share_cmd.register(app)
refs_cmd.register(app)


def run() -> None:
    """Entry point of the ``catalog`` script; errors are handled inside the app. SIGTERM
    is turned into an interrupt, so a change under way is undone before the exit."""
    import signal

    signal.signal(signal.SIGTERM, _on_sigterm)
    app()


def _stop_progress() -> None:
    """Take a progress bar off the terminal before the error line is printed."""
    from ..progress import reporter

    stop = getattr(reporter(), "stop", None)
    if stop is not None:
        stop()
