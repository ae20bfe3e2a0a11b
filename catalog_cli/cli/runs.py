"""One run of the command line: its global options, and how it ends.

Shared by the two ways in (``root``: the Typer app; ``quick``: the commands that start
without Typer), so that an error ends a run the same way whichever parsed it. Nothing
here imports Typer or rich.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import CatalogError
from .main import Terminated

DEBUG_ENV = "CATALOG_DEBUG"
#: The exit code of a run stopped by Ctrl-C, as shells report a process killed by SIGINT.
INTERRUPTED = 130
TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process SIGTERM ended
#: Up to this many missing rights are said in the error's one line; more make a table.
ONE_LINE_RIGHTS = 3


@dataclass
class Globals:
    """The global options of one run, wherever on the line they were given.

    kubectl and Helm take their global flags before or after the subcommand; so does
    catalog. Each command (the root, groups, leaves) declares the global options, all
    with one callback (``common._record``) that writes here; the object lives in the
    context's ``meta``, which every context of a run shares. A flag set anywhere stays
    set; ``--catalog`` given after the command wins over one given before it.
    """

    debug: bool = False
    #: Explanations in full (a resolution failure's every step).
    verbose: bool = False
    quiet: bool = False
    offline: bool = False
    catalog: str | None = None
    #: The ``-o`` of the command being run (``json`` makes errors JSON too).
    output: str | None = None
    #: Called when ``-q`` comes after the reporter was installed (``root._main``).
    on_quiet: Callable[[], None] | None = None


def ended(exc: CatalogError | KeyboardInterrupt, run: Globals) -> int:
    """Report how the run ended and give its exit code: a CatalogError's line (after its
    traceback with ``--debug`` or ``$CATALOG_DEBUG``) and code; Ctrl-C 130, SIGTERM 143.
    Any progress bar is taken off the terminal first."""
    stop_progress()
    if isinstance(exc, KeyboardInterrupt):
        code = TERMINATED if isinstance(exc, Terminated) else INTERRUPTED
    else:
        if run.debug or os.environ.get(DEBUG_ENV):
            import traceback

            traceback.print_exc(file=sys.stderr)
        code = exc.exit_code
    report(exc, code, run)
    return code


def report(exc: BaseException, code: int, run: Globals) -> None:
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


def stop_progress() -> None:
    """Take a progress bar off the terminal before the error line is printed."""
    from ..progress import reporter

    stop = getattr(reporter(), "stop", None)
    if stop is not None:
        stop()
