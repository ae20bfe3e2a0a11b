"""The CLI's reporter: notes on stderr; rich progress bars only on a terminal, never with --quiet."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ..progress import Bar, SilentBar
from .output import safe

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


class _Bar:
    def __init__(self, owner: StderrReporter, task: TaskID) -> None:
        self.owner = owner
        self.task = task

    def advance(self, amount: float = 1) -> None:
        self.owner.progress.update(self.task, advance=amount)

    def set_total(self, total: float | None) -> None:
        self.owner.progress.update(self.task, total=total)

    def close(self) -> None:
        self.owner.finished(self.task)


class StderrReporter:
    """Notes unless quiet; bars when ``bars`` (stderr is a terminal and not quiet)."""

    def __init__(self, *, quiet: bool = False, bars: bool | None = None) -> None:
        self.quiet = quiet
        self.bars = (not quiet and sys.stderr.isatty()) if bars is None else bars
        self._progress: Progress | None = None
        self._open = 0

    def silence(self) -> None:
        """From now on, no notes and no new bars (``-q`` given after the command)."""
        self.quiet = True
        self.bars = False

    @property
    def progress(self) -> Progress:
        if self._progress is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=Console(stderr=True), transient=True,
            )
            self._progress.start()
        return self._progress

    def note(self, text: str) -> None:
        if self.quiet:
            return
        text = safe(text)
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=sys.stderr)

    def bar(self, label: str, total: float | None = None, *, unit: str = "") -> Bar:
        if not self.bars:
            return SilentBar()
        from rich.markup import escape

        task = self.progress.add_task(escape(safe(label)), total=total)  # labels name files of catalogs
        self._open += 1
        self.progress.refresh()  # shown at once, even for a task shorter than a refresh
        return _Bar(self, task)

    def finished(self, task: TaskID) -> None:
        self.progress.remove_task(task)
        self._open -= 1
        if self._open == 0:
            self.stop()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
