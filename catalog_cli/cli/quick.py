"""The quick path: ``catalog --help``, ``--version`` and ``catalog search`` without Typer.

Importing Typer (and the Click it vendors) takes about as long as ``kubectl --help``
does altogether (benchmarks/README.md, "Start-up and search"), so the lines people run
most start without it:

- ``--help`` or ``-h`` alone: the root's help as Typer rendered it the last time for
  the same terminal width, program name and program files (kept in the cache folder,
  ``help/``); the first time, Typer renders it here and it is kept;
- ``--version``;
- ``search`` with its own options and the global ones (before or after the command),
  written ``--name VALUE``, ``--name=VALUE`` or ``-o VALUE``, ``-c VALUE``, ``-q``.

Any other line gives None, and the Typer app parses it with its own messages and exit
codes: another command, ``search --help``, an option it does not take or spelt any other
way, a missing value or one starting with ``-``, a second argument, ``--``. After parsing
both run the same code (``listing.search``, ``runs.ended``); tests/test_quick.py runs
lines through both and compares what they print and their exit codes.
"""

from __future__ import annotations

import errno
import os
import sys

# What ``--help`` needs is imported here; the rest where ``search`` needs it. Not even
# typing: ``TYPE_CHECKING = False`` is the idiom type checkers know.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .runs import Globals

    #: (the global options, the catalog to open, the term, the other options by name)
    Search = tuple[Globals, str | None, str, dict[str, str]]

#: The global flags (every command takes them, before or after its name).
_FLAGS = {"--offline": "offline", "--debug": "debug", "--verbose": "verbose", "--quiet": "quiet", "-q": "quiet"}
#: Options with a value that ``search`` takes; the root takes only ``--catalog``.
_VALUED = {"--catalog": "catalog", "-c": "catalog", "--category": "category", "--tag": "tag",
           "--platform": "platform", "--kind": "kind", "--output": "output", "-o": "output"}
_ROOT_VALUED = {"--catalog", "-c"}
#: ``-o``'s values (``output.Format``; Typer takes them in any case).
_FORMATS = ("table", "json", "yaml", "name")
#: Where the command's own ``--catalog`` comes from when it is not on the line.
SOURCE_ENV = "CATALOG_SOURCE"


def main(argv: list[str]) -> int | None:
    """Run ``argv`` (the words after ``catalog``) when it is a line the quick path knows,
    and give the exit code; None for any other line."""
    try:
        if argv in (["--help"], ["-h"]):
            return _help()
        if argv == ["--version"]:
            from .. import __version__

            print(f"catalog {__version__}")
            return 0
        parsed = parse_search(argv)
        return None if parsed is None else _search(*parsed)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        # As Click does: whoever read stdout went away (``catalog search | head -1``).
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        from .runs import INTERRUPTED

        return INTERRUPTED  # outside the command (which reports its own): as Typer does


def parse_search(argv: list[str]) -> Search | None:
    """``search`` and its options as the Typer app would read them: (the global options,
    the catalog to open, the term, the other options by name); None for any line the
    quick path leaves to Typer."""
    from .runs import Globals

    run = Globals()
    own: dict[str, str] = {}
    before: str | None = None  # a --catalog before the command
    term: str | None = None
    command = False
    words = iter(argv)
    for word in words:
        if not command and word == "search":
            command = True
            continue
        if word in _FLAGS:
            setattr(run, _FLAGS[word], True)
            continue
        name, eq, value = word.partition("=") if word.startswith("--") else (word, "", "")
        if name in _VALUED and (command or name in _ROOT_VALUED):
            if not eq:
                value = next(words, "-")
                if value.startswith("-"):
                    return None  # missing, or a value Click might read otherwise
            if command:
                own[_VALUED[name]] = value
            else:
                before = value
            continue
        if word.startswith("-") or not command or term is not None:
            return None  # an option search does not take, another command, a second argument
        term = word
    if not command:
        return None
    output = own.pop("output", "table").casefold()
    if output not in _FORMATS:
        return None
    run.output = output
    # The command's own --catalog, else one before it, else $CATALOG_SOURCE (common._record).
    catalog = own.pop("catalog", None)
    if catalog is None:
        catalog = before if before is not None else (os.environ.get(SOURCE_ENV) or None)
    run.catalog = catalog
    return run, catalog, term or "", own


def _search(run: Globals, catalog: str | None, term: str, options: dict[str, str]) -> int:
    """``search`` as the root's callback and the command run it (root._main, discover.search)."""
    from ..errors import CatalogError
    from ..progress import set_reporter
    from ..settings import Settings
    from .listing import search
    from .output import Format
    from .progress_ui import StderrReporter
    from .runs import ended

    previous = set_reporter(StderrReporter(quiet=run.quiet))
    try:
        settings = Settings.from_env()
        if run.offline and not settings.offline:
            settings = settings.but(offline=True)
        return search(settings, catalog, term, category=options.get("category"), tag=options.get("tag"),
                      platform=options.get("platform"), kind=options.get("kind"), output=Format(run.output))
    except (CatalogError, KeyboardInterrupt) as exc:
        return ended(exc, run)
    finally:
        set_reporter(previous)


# -- the root's help ---------------------------------------------------------------------

def _help() -> int:
    key, path = help_key()
    text = kept_help(path, key)
    if text is None:
        text = render_help()
        _keep(path, key, text)
    sys.stdout.write(text + "\n")  # as Click's echo prints it
    sys.stdout.flush()
    return 0


def help_width() -> int:
    """The width Click formats help to: the terminal's columns as ``shutil`` finds them
    (``$COLUMNS``, else the terminal on stdout, else 80), at most 78 and at least 50."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        stdout = sys.__stdout__
        try:
            columns = os.get_terminal_size(stdout.fileno()).columns if stdout is not None else 0
        except (AttributeError, ValueError, OSError):  # closed, detached, not a terminal
            columns = 0
        columns = columns or 80
    return max(min(columns, 80) - 2, 50)


def help_key() -> tuple[str, str]:
    """What the root's help depends on, as one line, and the file it is kept in: the
    width; the program's name as Click finds it (``sys.argv[0]``, and the package of
    ``__main__`` for ``python -m``); and the files that make the help (this package's
    modules, Typer's version, Python's)."""
    from importlib.machinery import PathFinder  # as ``import typer`` finds it, without importing it

    from .. import __version__

    here = os.path.dirname(os.path.abspath(__file__))
    stamp = [f"catalog {__version__}", f"python {sys.version_info[0]}.{sys.version_info[1]}"]
    with os.scandir(here) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.endswith(".py"):
                st = entry.stat()
                stamp.append(f"{entry.name}:{st.st_size}:{st.st_mtime_ns}")
    spec = PathFinder.find_spec("typer")
    if spec is not None and spec.origin:
        st = os.stat(spec.origin)
        stamp.append(f"typer:{spec.origin}:{st.st_size}:{st.st_mtime_ns}")
    program = repr((sys.argv[0], getattr(sys.modules.get("__main__"), "__package__", None)))
    width = help_width()
    key = repr((width, program, stamp))
    # One file per width and program (two installs do not evict each other's); the key
    # inside decides, so a clash of names only costs a render.
    return key, os.path.join(cache_home(), "help", f"root-{width}-{_fnv(program):08x}.txt")


def _fnv(text: str) -> int:
    """FNV-1a, 32 bits: a file name for ``text`` without importing hashlib (OpenSSL)."""
    h = 0x811C9DC5
    for byte in text.encode("utf-8", "surrogateescape"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def cache_home() -> str:
    """``Settings.from_env().cache_home``, without the settings module (its dataclass
    costs ``--help`` a tenth of its time); tests/test_quick.py holds the two equal."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "catalog")


def kept_help(path: str, key: str) -> str | None:
    """The help kept in ``path`` for ``key``; None when there is none for it. Read as
    ``fsutil.read_private`` reads (never through a link, a regular file only), without
    importing it (pathlib); and only the user's own file, of printable lines: it goes
    to a terminal as it is."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
                return None
            first, _, text = f.read().decode("utf-8").partition("\n")
    except (OSError, UnicodeDecodeError):
        return None
    if first != key or not all(line.isprintable() for line in text.split("\n")):
        return None
    return text


def render_help() -> str:
    """The root's help as ``catalog --help`` prints it through Typer (without the last newline)."""
    import typer
    from typer._click.utils import _detect_program_name

    from .root import app

    root = typer.main.get_command(app)
    with root.make_context(_detect_program_name(), [], resilient_parsing=True) as ctx:
        return ctx.get_help()


def _keep(path: str, key: str, text: str) -> None:
    import contextlib
    from pathlib import Path

    from .. import fsutil
    from ..errors import UnsafePath

    # Kept next time, or never: the help was printed all the same.
    with contextlib.suppress(OSError, UnsafePath, fsutil.Unwritable):
        fsutil.atomic_write(Path(path), f"{key}\n{text}", private=True, base=Path(path).parent.parent)
