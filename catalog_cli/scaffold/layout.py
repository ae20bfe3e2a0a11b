"""Where a scaffold lives: the folder its paths are relative to, and where its answers are.

A template version of the ``folder`` layout writes every file, and the answers file,
into one folder (``.tekton`` unless told otherwise). A version of the ``repository``
layout writes into the service's repository: ``.tekton/`` holds only what is applied
as it is or what Pipelines-as-Code reads, the answers file and the rest sit beside
it. So:

- ``--dir .tekton`` given to a ``repository`` version means the repository the
  ``.tekton`` folder is in (the habit of earlier versions keeps working);
- updating a ``folder`` scaffold to a ``repository`` version moves it up one level,
  from ``.tekton/`` to the repository: the paths it had become ``.tekton/PATH``, so
  its files merge with the new version's ones of the same place.

Nothing here reads a file beyond checking whether the answers file exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import fsutil
from ..errors import InputError
from .template import ANSWERS_FILE, FOLDER, REPOSITORY, TEKTON_DIR, Template


def default_folder(template: Template) -> Path:
    """Where ``scaffold`` writes when not told: the repository (the current folder) for a
    ``repository`` version, ``.tekton`` for a ``folder`` one."""
    return Path(".") if template.layout == REPOSITORY else Path(TEKTON_DIR)


def root_for(template: Template, folder: Path | None) -> tuple[Path, str]:
    """The folder ``template``'s paths are relative to when the user named ``folder``
    (None: not named), and a note when it is not ``folder`` itself."""
    if folder is None:
        return default_folder(template), ""
    if template.layout == REPOSITORY and _name(folder) == TEKTON_DIR:
        root = _parent(folder)
        return root, (f"{template.name} {template.version} writes {TEKTON_DIR}/ and what goes beside it: "
                      f"writing into {root}, the folder {folder} is in")
    return folder, ""


def _name(folder: Path) -> str:
    return folder.name or folder.resolve().name


def _parent(folder: Path) -> Path:
    return folder.parent if folder.name else folder.resolve().parent


def has_record(folder: Path) -> bool:
    return fsutil.inside(folder, ANSWERS_FILE).is_file()


def locate(folder: Path | None) -> Path:
    """The folder holding the answers file of the scaffold at ``folder``: the current
    folder or ``.tekton`` below it when not named; ``folder`` or, when it is a
    ``.tekton`` folder without one, the repository around it."""
    if folder is None:
        here = Path(".")
        return here if has_record(here) or not has_record(Path(TEKTON_DIR)) else Path(TEKTON_DIR)
    if not has_record(folder) and _name(folder) == TEKTON_DIR and has_record(_parent(folder)):
        return _parent(folder)
    return folder


@dataclass(frozen=True)
class Move:
    """How an update reaches its new version's layout: the new folder, and what the paths
    of the answers file (relative to the old folder) start with there."""

    root: Path
    prefix: str


def move(folder: Path, old_layout: str, new: Template) -> Move:
    """The move from a scaffold of ``old_layout`` at ``folder`` to ``new``'s layout."""
    if old_layout == new.layout:
        return Move(folder, "")
    if old_layout == REPOSITORY:
        raise InputError(f"{new.name} {new.version} writes one folder, and this scaffold is the "
                         "repository's: it cannot go back to it", str(folder))
    if _name(folder) != TEKTON_DIR:
        raise InputError(f"{new.name} {new.version} writes the repository's {TEKTON_DIR}/ folder and "
                         f"what goes beside it, and this scaffold is not in a folder named {TEKTON_DIR}: "
                         f"rename the folder to {TEKTON_DIR} first", str(folder))
    return Move(_parent(folder), TEKTON_DIR + "/")


def layout_of(paths: list[str]) -> str:
    """A guess at the layout of a version that is gone from the catalog, from the paths
    it generated."""
    return REPOSITORY if any(p.startswith(TEKTON_DIR + "/") for p in paths) else FOLDER
