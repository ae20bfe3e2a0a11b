"""The ``catalog`` command: global options, command registration, and the one error handler."""

from __future__ import annotations

import os
import sys

import typer

from . import discover, index_cmd, install_cmd, lint_cmd, repo_cmd, resolve_cmd, scaffold_cmd, share_cmd

app = typer.Typer(
    name="catalog",
    help="A package manager for Tekton: find, lint, resolve and install versioned Tasks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: rich's renderer costs 0.2 s of start-up
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    offline: bool = typer.Option(
        False, "--offline", help="Use cached repo indexes and files only (says how old they are)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars and no notes on stderr."),
) -> None:
    _state["debug"] = debug or bool(os.environ.get("CATALOG_DEBUG"))
    if offline:
        os.environ["CATALOG_OFFLINE"] = "1"  # read by the library (remote.offline_default)
    from ..progress import set_reporter
    from .progress_ui import StderrReporter

    set_reporter(StderrReporter(quiet=quiet))


discover.register(app)
index_cmd.register(app)
lint_cmd.register(app)
install_cmd.register(app)
resolve_cmd.register(app)
scaffold_cmd.register(app)
repo_cmd.register(app)
share_cmd.register(app)


def run() -> None:
    """Entry point: run the app, turning every CatalogError into one line and its exit code."""
    from ..errors import CatalogError

    try:
        app()
    except CatalogError as exc:
        _stop_progress()
        if _state["debug"]:
            raise
        print(f"catalog: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _stop_progress()
        print("catalog: interrupted", file=sys.stderr)
        sys.exit(130)


def _stop_progress() -> None:
    """Take a progress bar off the terminal before the error line is printed."""
    from ..progress import reporter

    stop = getattr(reporter(), "stop", None)
    if stop is not None:
        stop()
