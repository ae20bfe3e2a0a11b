"""Scaffolding a service's delivery pipeline from a catalog template, and keeping it current.

    outcome = create(catalog, "java-maven-jib", folder=Path(".tekton"),
                     given={"name": "orders", "git-url": url, "image": repo, "namespace": None})
    outcome = update(catalog, Path(".tekton"), dry_run=True)   # outcome.diff, outcome.conflicts

Modules, one concern each:

- :mod:`.template`: a template version as a catalog entry (manifest, JSON Schema, files);
- :mod:`.answers`: command-line values -> checked answers; the answers file;
- :mod:`.render`: placeholders substituted in parsed YAML trees (never in text);
- :mod:`.generate`: a template version + answers -> the text of every file;
- :mod:`.merge`: the three-way merge of one file;
- :mod:`.layout`: where a scaffold lives (one folder, or the repository around ``.tekton/``);
- :mod:`.project`: ``create`` and ``update`` on a folder;
- :mod:`.deploy`: which generated objects ``--install`` may apply, checked (the install
  itself, through the install path, is :mod:`catalog_cli.actions.scaffold`).
"""

from __future__ import annotations

from . import layout
from .project import FileChange, Outcome, create, update
from .template import ANSWERS_FILE, PIPELINES_AS_CODE, TRIGGERS, VARIANTS, Parameter, Template, load

__all__ = [
    "ANSWERS_FILE", "PIPELINES_AS_CODE", "TRIGGERS", "VARIANTS", "FileChange", "Outcome", "Parameter",
    "Template", "create", "layout", "load", "update",
]
