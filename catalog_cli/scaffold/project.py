"""The two verbs on a service's folder: ``create`` (first scaffold) and ``update``.

Both compute every file's new content first and write only at the end, each file
atomically and the answers file last, so bad input writes nothing; with
``dry_run`` they compute the same result and write nothing at all.

The folder is usually committed to git, so whoever can push to the service's
repository decides what is in it, links included. Every path is read, written
and deleted through :func:`catalog_cli.fsutil.inside`: a link anywhere from the
folder down (the folder itself, a subfolder, a file, the answers file) is
refused with one line before anything is read, so nothing outside is touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import fsutil, versions, yamlio
from ..errors import InputError, NotFound
from ..words import plural
from . import answers as answers_mod
from . import layout
from .answers import Answer, Asker, Record, read_record, render_record, sha256
from .generate import Generated, generate, resolve_dependencies
from .merge import END_MARKER, LOCAL_MARKER, Conflict, three_way, unified
from .template import ANSWERS_FILE, TEKTON_DIR, VARIANTS, Template, TemplateSource, load


@dataclass(frozen=True)
class FileChange:
    """What happens to one file: create, update, merge, conflict, move (from where the
    note says), delete, keep, unchanged."""

    path: str
    action: str
    note: str = ""
    diff: str = ""


@dataclass
class Outcome:
    """What ``create`` or ``update`` did (or, with ``dry_run``, would do)."""

    template: str
    version: str
    variant: str
    folder: Path
    dry_run: bool
    from_version: str | None = None
    changes: list[FileChange] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    #: The content of every generated file after this run (install applies these).
    files: dict[str, str] = field(default_factory=dict)
    dependencies: dict[str, str] = field(default_factory=dict)
    answers: dict[str, Answer] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def diff(self) -> str:
        return "".join(c.diff for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "version": self.version,
            "fromVersion": self.from_version,
            "variant": self.variant,
            "folder": str(self.folder),
            "dryRun": self.dry_run,
            "answers": self.answers,
            "dependencies": self.dependencies,
            "files": [{"path": c.path, "action": c.action, "note": c.note} for c in self.changes],
            "conflicts": [{"path": c.path, "line": c.line, "local": "".join(c.local),
                           "template": "".join(c.template)} for c in self.conflicts],
            "notes": self.notes,
        }


def _read(folder: Path, rel: str) -> str | None:
    path = fsutil.inside(folder, rel)
    return yamlio.read_text(path) if path.is_file() else None


def create(catalog: TemplateSource, name: str, *, folder: Path | None = None, version: str | None = None,
           variant: str = VARIANTS[0], given: Mapping[str, str | None] | None = None,
           sets: Iterable[str] = (), ask: Asker | None = None, dry_run: bool = False,
           force: bool = False, catalog_location: str | None = None) -> Outcome:
    """Generate ``folder`` from template ``name`` (None: where the template version writes
    by default, see :mod:`.layout`). Refuses a folder already scaffolded (use update)
    and, without ``force``, files that exist with other content."""
    if variant not in VARIANTS:
        raise InputError(f"unknown variant {variant!r} ({', '.join(VARIANTS)})")
    template = load(catalog, name, version)
    folder, where = layout.root_for(template, folder)
    for at in (folder, folder / TEKTON_DIR):
        if layout.has_record(at):
            rec = read_record(at)
            raise InputError(f"already scaffolded from {rec.template} {rec.version}: "
                             "use `catalog scaffold --update`", str(at))
    pairs = answers_mod.parse_sets(sets)
    answers = answers_mod.complete(template, answers_mod.collect(template, given or {}, pairs), ask)
    gen = generate(catalog, template, answers, variant, resolve_dependencies(catalog, template))
    out = _outcome(gen, folder, dry_run)
    out.notes += [where] if where else []
    clashes = []
    for path, text in gen.files.items():
        local = _read(folder, path)
        if local is None:
            out.changes.append(FileChange(path, "create", diff=unified(path, None, text)))
        elif local == text:
            out.changes.append(FileChange(path, "unchanged"))
        elif force:
            out.changes.append(FileChange(path, "update", "overwritten (--force)", unified(path, local, text)))
        else:
            clashes.append(path)
    if clashes:
        raise InputError(f"would overwrite {', '.join(clashes)} (different content); "
                         "move them away or use --force", str(folder))
    out.files = dict(gen.files)
    record = _record(gen, catalog_location)
    _finish(out, record)
    return out


def update(catalog: TemplateSource, folder: Path | None = None, *, version: str | None = None,
           given: Mapping[str, str | None] | None = None, sets: Iterable[str] = (),
           ask: Asker | None = None, dry_run: bool = False) -> Outcome:
    """Regenerate the scaffold at ``folder`` (None: the one here, see :func:`.layout.locate`)
    from the newest template version (or ``version``) and merge three-way with local
    edits: the base is what the recorded version generated. A file the new version
    writes elsewhere (its ``previously``) is merged and moved; a move to a version of
    the ``repository`` layout takes the scaffold from ``.tekton/`` to the repository."""
    folder = layout.locate(folder)
    fsutil.inside(folder, ANSWERS_FILE)  # refuse a linked folder or answers file before reading it
    record = read_record(folder)
    _refuse_unresolved(folder, record.files)
    notes = []
    old: Template | None = None
    try:
        old = load(catalog, record.template, record.version)
        base_files = generate(catalog, old, record.answers, record.variant,
                              resolve_dependencies(catalog, old, record.dependencies)).files
    except NotFound as exc:
        # Without the old version the base cannot be rebuilt: untouched files (by their
        # recorded hash) still update; edited ones become whole-file conflicts.
        notes.append(f"cannot rebuild what {record.template} {record.version} generated ({exc.message}): "
                     "files you edited are merged as whole-file conflicts")
        base_files = {}
    template = load(catalog, record.template, version)
    if version is None and versions.parse(template.version) < versions.parse(record.version):
        template = load(catalog, record.template, record.version)  # newer than the newest stable: stay
    moving = layout.move(folder, old.layout if old else layout.layout_of(list(record.files)), template)
    base_files = {moving.prefix + p: text for p, text in base_files.items()}
    recorded = {moving.prefix + p: digest for p, digest in record.files.items()}
    pairs = answers_mod.parse_sets(sets)
    collected = answers_mod.collect(template, given or {}, pairs, base=record.answers)
    dropped = sorted(k for k in collected if template.parameter(k) is None)
    answers = answers_mod.complete(template, collected, ask)
    new = generate(catalog, template, answers, record.variant, resolve_dependencies(catalog, template))
    out = _outcome(new, moving.root, dry_run)
    out.from_version = record.version
    out.notes += notes
    if dropped:
        out.notes.append(f"{template.name} {template.version} no longer has the parameters "
                         f"{', '.join(dropped)}: their answers were dropped")
    moved = _moves(out, template, record.variant, new.files, recorded)
    for path in sorted((set(base_files) | set(recorded) | set(new.files)) - set(moved.values())):
        source = moved.get(path, path)
        _update_one(out, path, base_files.get(source), recorded.get(source), new.files.get(path), source)
    if moving.prefix:
        old_answers = moving.prefix + ANSWERS_FILE
        out.notes.append(f"moved from {folder} to {moving.root}: {template.name} {template.version} writes "
                         f"the repository's {TEKTON_DIR}/ and what goes beside it")
        out.changes.append(FileChange(old_answers, "delete", f"moved to {ANSWERS_FILE}",
                                      unified(old_answers, _read(moving.root, old_answers), None)))
    _finish(out, _record(new, record.catalog))
    return out


def _refuse_unresolved(folder: Path, files: Iterable[str]) -> None:
    """An update on top of the last one's conflict markers would merge the markers as
    if they were edits: refuse, naming the first file and line that still has one."""
    for rel in sorted(files):
        text = _read(folder, rel)
        for number, line in enumerate((text or "").splitlines(), 1):
            if line.startswith((LOCAL_MARKER, END_MARKER)):
                raise InputError(f"line {number} still has a conflict marker from the last update: resolve "
                                 f"every conflict (keep what you want between {LOCAL_MARKER} and "
                                 f"{END_MARKER}, delete the markers), then update again", str(folder / rel))


def _moves(out: Outcome, template: Template, variant: str, new: Mapping[str, str],
           recorded: Mapping[str, str]) -> dict[str, str]:
    """new path -> the earlier path of each file the new version writes elsewhere: a path
    it lists as ``previously``, generated before and no longer written, while nothing
    is at the new path yet."""
    moved: dict[str, str] = {}
    for f in template.files_for(variant):
        if f.path in recorded or _read(out.folder, f.path) is not None:
            continue
        source = next((p for p in f.previously if p in recorded and p not in new and p not in moved.values()),
                      None)
        if source is not None:
            moved[f.path] = source
    return moved


def _update_one(out: Outcome, path: str, base: str | None, recorded: str | None, new: str | None,
                source: str | None = None) -> None:
    """Merge one file; ``source`` is where it is now, when the new version moves it."""
    source = source or path
    local = _read(out.folder, source)
    if source == path or local is None:
        _merge_one(out, path, local, base, recorded, new)
        return
    before = len(out.changes)
    _merge_one(out, path, local, base, recorded, new)  # merged as if it were at its new place ...
    change = (out.changes[before:] or [FileChange(path, "unchanged")])[0]
    del out.changes[before:]
    # ... then written there whatever it holds, and removed from where it was.
    out.files.setdefault(path, local)
    action = "move" if change.action == "unchanged" else change.action
    out.changes.append(FileChange(path, action, "; ".join(filter(None, [f"moved from {source}", change.note])),
                                  unified(path, None, out.files[path])))
    out.changes.append(FileChange(source, "delete", f"moved to {path}", unified(source, local, None)))


def _merge_one(out: Outcome, path: str, local: str | None, base: str | None, recorded: str | None,
               new: str | None) -> None:
    # The user never touched the file when it still has the hash it was generated with.
    untouched = local is not None and recorded is not None and sha256(local) == recorded
    trusted_base = base if base is not None and recorded is not None and sha256(base) == recorded else None
    label = f"{out.template} {out.version}"
    if new is None:  # the new version no longer generates it
        if local is None:
            return
        if untouched:
            out.changes.append(FileChange(path, "delete", f"no longer part of {label}", unified(path, local, None)))
        else:
            out.changes.append(FileChange(path, "keep", f"no longer part of {label}; kept for your edits"))
            out.files[path] = local
        return
    if local is None:
        if recorded is not None:  # generated before, deleted since: respect that
            out.changes.append(FileChange(path, "keep", "deleted locally; not recreated"))
            del out.files[path]
        else:
            out.changes.append(FileChange(path, "create", diff=unified(path, None, new)))
        return
    if local == new:
        out.changes.append(FileChange(path, "unchanged"))
        return
    if untouched:
        out.changes.append(FileChange(path, "update", diff=unified(path, local, new)))
        return
    if trusted_base is not None and trusted_base == new:
        out.changes.append(FileChange(path, "unchanged", "edited locally; the template did not change it"))
        out.files[path] = local
        return
    if trusted_base is None:
        note = ("not generated before; it exists already" if recorded is None else
                "the earlier version could not be regenerated exactly")
        trusted_base = ""
        out.notes.append(f"{path}: {note}: merged as a whole-file conflict")
    merged = three_way(path, trusted_base, local, new, label)
    out.files[path] = merged.text
    if merged.conflicts:
        out.conflicts.extend(merged.conflicts)
        out.changes.append(FileChange(path, "conflict", plural(len(merged.conflicts), "conflict"),
                                      unified(path, local, merged.text)))
    elif merged.text == local:
        out.changes.append(FileChange(path, "unchanged", "your edits already hold the template's changes"))
    else:
        out.changes.append(FileChange(path, "merge", "your edits kept", unified(path, local, merged.text)))


def _outcome(gen: Generated, folder: Path, dry_run: bool) -> Outcome:
    return Outcome(gen.template.name, gen.template.version, gen.variant, folder, dry_run,
                   files=dict(gen.files), dependencies=gen.pinned, answers=dict(gen.answers))


def _record(gen: Generated, catalog_location: str | None) -> Record:
    if catalog_location and catalog_location.startswith(("http://", "https://")):
        from ..urls import redact

        # The answers file is committed: a signed URL's query must not go with it. The
        # redacted URL still finds the configured repo (and its query) on --update.
        catalog_location = redact(catalog_location)
    return Record(gen.template.name, gen.template.version, gen.variant, dict(gen.answers), gen.pinned,
                  {p: sha256(t) for p, t in sorted(gen.files.items())}, catalog_location)


def _finish(out: Outcome, record: Record) -> None:
    """Add the answers file to the plan, then write everything unless this is a dry run."""
    before = _read(out.folder, ANSWERS_FILE)
    text = render_record(record)
    if before != text:
        out.changes.append(FileChange(ANSWERS_FILE, "create" if before is None else "update",
                                      diff=unified(ANSWERS_FILE, before, text)))
    if out.dry_run:
        return
    # Writes, then the answers file, then deletions: a file that moves is written at its
    # new place before it goes from the old one.
    for change in out.changes:
        if change.path != ANSWERS_FILE and change.action not in ("unchanged", "keep", "delete"):
            fsutil.atomic_write(fsutil.inside(out.folder, change.path), out.files[change.path])
    if before != text:
        fsutil.atomic_write(fsutil.inside(out.folder, ANSWERS_FILE), text)
    for change in out.changes:
        if change.action == "delete":
            fsutil.inside(out.folder, change.path).unlink()  # again: the tree may have changed
