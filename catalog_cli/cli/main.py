"""The ``catalog`` command: global options, command registration, and the one exit point."""

from __future__ import annotations

import os
import sys
import traceback
from types import FrameType
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from ..errors import CatalogError
from . import (
    completion,
    discover,
    index_cmd,
    install_cmd,
    lint_cmd,
    repo_cmd,
    refs_cmd,
    resolve_cmd,
    scaffold_cmd,
    share_cmd,
    sign_cmd,
    site_cmd,
    version_cmd,
)
from .common import Globals, globals_of, spread_globals

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
    ``--debug`` or ``$CATALOG_DEBUG``); missing rights follow the line as a table.
    Under ``-o json`` the error is a JSON object on stderr instead, usage errors
    included. Ctrl-C takes any progress bar off the terminal and exits 130 with
    ``catalog: interrupted``. Any other exception is a bug and keeps its traceback.

    Built anew for every run, it gives every command the global options
    (``common.spread_globals``) and the completion of names (``completion.attach``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        spread_globals(self)
        completion.attach(self)

    def invoke(self, ctx: ClickContext) -> object:
        from typer._click.exceptions import ClickException

        run = globals_of(ctx)
        try:
            return super().invoke(ctx)
        except CatalogError as exc:
            _stop_progress()
            if run.debug or os.environ.get(DEBUG_ENV):
                traceback.print_exc(file=sys.stderr)
            _report(exc, exc.exit_code, run)
            raise typer.Exit(exc.exit_code) from exc
        except ClickException as exc:
            if run.output != "json":
                raise  # Typer prints its usage message
            _report(exc, exc.exit_code, run)
            raise typer.Exit(exc.exit_code) from exc
        except KeyboardInterrupt as exc:
            _stop_progress()
            terminated = isinstance(exc, Terminated)
            code = TERMINATED if terminated else INTERRUPTED
            _report(exc, code, run)
            raise typer.Exit(code) from None


#: Up to this many missing rights are said in the error's one line; more make a table.
ONE_LINE_RIGHTS = 3


def _report(exc: BaseException, code: int, run: Globals) -> None:
    """The error on stderr: one line (``catalog: error: ...``), or with ``-o json`` one JSON
    object (``{"error": ..., "exit_code": ...}``) for scripts. More than ONE_LINE_RIGHTS
    missing rights come as a table under a short line (as a list in JSON)."""
    from ..errors import Forbidden, NoSolution
    from .output import print_table, safe, to_json

    if isinstance(exc, KeyboardInterrupt):
        text = "terminated" if isinstance(exc, Terminated) else "interrupted"
    elif isinstance(exc, NoSolution) and exc.full is not None and run.verbose:
        text = exc.full  # every step of the derivation, not the shortened explanation
    else:
        text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    missing = exc.missing if isinstance(exc, Forbidden) else ()
    table = len(missing) > ONE_LINE_RIGHTS
    if run.output == "json":
        data: dict[str, object] = {"error": text, "exit_code": code}
        if missing:
            data["missing"] = [dict(zip(("verb", "resource", "namespace", "why"), m, strict=True))
                               for m in missing]
        print(to_json(data), file=sys.stderr)
    elif isinstance(exc, KeyboardInterrupt):
        print(f"catalog: {text}", file=sys.stderr)
    elif table:
        print(f"catalog: error: {safe(exc.summary if isinstance(exc, Forbidden) else text)}", file=sys.stderr)
        print_table(["verb", "resource", "namespace", "why"], [list(m) for m in missing], file=sys.stderr,
                    drop_empty=True)
    else:
        print(f"catalog: error: {safe(text)}", file=sys.stderr)


app = typer.Typer(
    name="catalog",
    cls=CatalogGroup,
    help="A package manager for Tekton: find, lint, resolve and install versioned Tasks.\n\n"
         "The options below work before or after the command (catalog search git --offline).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's renderer costs 0.2 s of start-up
    context_settings={"help_option_names": ["-h", "--help"]},
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


discover.register(app)
index_cmd.register(app)
lint_cmd.register(app)
install_cmd.register(app)
resolve_cmd.register(app)
scaffold_cmd.register(app)
repo_cmd.register(app)
share_cmd.register(app)
version_cmd.register(app)
completion.register(app)
sign_cmd.register(app)
refs_cmd.register(app)
site_cmd.register(app)


def run() -> None:
    """Entry point of the ``catalog`` script; errors are handled inside the app. SIGTERM
    is turned into an interrupt, so a change under way is undone before the exit."""
    import signal

    signal.signal(signal.SIGTERM, _on_sigterm)
    if os.environ.get(completion.COMPLETE_VAR):
        completion.detach_terminal()
    app()


def _stop_progress() -> None:
    """Take a progress bar off the terminal before the error line is printed."""
    from ..progress import reporter

    stop = getattr(reporter(), "stop", None)
    if stop is not None:
        stop()
