"""How the library reports notes and progress without printing: through a reporter.

The library calls :func:`reporter` and tells it what happens (a note for people, a
bar that advances); the CLI installs a reporter that writes to stderr, with progress
bars only when stderr is a terminal and ``--quiet`` was not given. The default
reporter is silent, so library users see nothing unless they ask.
"""

from __future__ import annotations

from typing import Protocol


class Bar(Protocol):
    """One task's progress; ``total`` None means unknown (a counter, not a bar)."""

    def advance(self, amount: float = 1) -> None: ...

    def set_total(self, total: float | None) -> None: ...

    def close(self) -> None: ...


class Reporter(Protocol):
    def note(self, text: str) -> None:
        """A line for people (the age of a cached index, a fallback taken)."""

    def bar(self, label: str, total: float | None = None, *, unit: str = "") -> Bar:
        """Start a progress bar; ``unit`` is ``bytes`` for downloads, else a count."""


class SilentBar:
    """A bar that shows nothing: for quiet runs and non-terminals."""

    def advance(self, amount: float = 1) -> None:
        pass

    def set_total(self, total: float | None) -> None:
        pass

    def close(self) -> None:
        pass


class Silent:
    """The default: reports nothing."""

    def note(self, text: str) -> None:
        pass

    def bar(self, label: str, total: float | None = None, *, unit: str = "") -> Bar:
        return SilentBar()


class Recorder:
    """Keeps what it is told, for tests and for callers that render notes themselves."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.bars: list[str] = []

    def note(self, text: str) -> None:
        self.notes.append(text)

    def bar(self, label: str, total: float | None = None, *, unit: str = "") -> Bar:
        self.bars.append(label)
        return SilentBar()


_current: Reporter = Silent()


def reporter() -> Reporter:
    return _current


def set_reporter(new: Reporter) -> Reporter:
    """Install ``new``; returns the one it replaces."""
    global _current
    old, _current = _current, new
    return old
