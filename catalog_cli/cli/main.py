"""The ``catalog`` script's entry point.

It imports neither Typer nor any command: a line the quick path knows (``--help``,
``search``: see ``quick``) runs without them, and every other goes to the Typer app
in ``root``, which holds the commands and the one exit point (``runs``).
"""

from __future__ import annotations

import os
import sys
from types import FrameType

# Not typing's TYPE_CHECKING: `catalog --help` would import typing for nothing.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: The variable a shell's completion script sets: ``_`` + the program's name + ``_COMPLETE``.
COMPLETE_VAR = "_CATALOG_COMPLETE"


class Terminated(KeyboardInterrupt):
    """SIGTERM (a CI job cancelled, a pod stopped): undone like Ctrl-C, then exit 143."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def run() -> None:
    """Entry point of the ``catalog`` script; errors are handled inside the app. SIGTERM
    is turned into an interrupt, so a change under way is undone before the exit."""
    import signal

    signal.signal(signal.SIGTERM, _on_sigterm)
    if os.environ.get(COMPLETE_VAR):
        from .completion import detach_terminal

        detach_terminal()
    else:
        from .quick import main

        code = main(sys.argv[1:])
        if code is not None:
            sys.exit(code)
    from .root import app

    app()


def __getattr__(name: str) -> Any:
    # ``app`` and ``CatalogGroup`` lived here before the entry point had to start without
    # Typer; code that imports them from here still finds them.
    if name in ("app", "CatalogGroup"):
        from . import root

        return getattr(root, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
