"""``catalog scaffold``: a service's delivery pipeline from a template, and ``--update``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .cluster_opts import AllowSensitiveOption, ContextOption, KubeconfigOption, TektonVersionOption
from .common import CatalogOption
from ..words import plural
from .output import Format, emit, note, print_table, safe

if TYPE_CHECKING:
    from ..actions.common import Report
    from ..scaffold import Outcome, Parameter
    from ..scaffold.answers import Asker

_PAST = {"create": "created", "update": "updated", "merge": "merged", "conflict": "conflict",
         "move": "moved", "delete": "deleted", "keep": "kept", "unchanged": "unchanged"}


def scaffold(
    ctx: typer.Context,
    template: str | None = typer.Argument(
        None, metavar="TEMPLATE[@VERSION]",
        help="Template to generate from (newest version by default). With --update: the version to go to."),
    name: str | None = typer.Option(None, "--name", help="The service's name (a DNS-1123 label)."),
    git_url: str | None = typer.Option(None, "--git-url", metavar="URL", help="The service's Git repository."),
    image: str | None = typer.Option(None, "--image", metavar="REF", help="Image repository to push to, no tag."),
    namespace: str | None = typer.Option(
        None, "--namespace", "-n", help="Namespace the pipeline runs and deploys in (and --install targets)."),
    sets: list[str] = typer.Option(
        [], "--set", metavar="KEY=VALUE", help="Any other template parameter; repeat for array items."),
    folder: Path | None = typer.Option(
        None, "--dir",
        help="Where to write: the service's repository for templates that write its .tekton/ and what "
             "goes beside it (default: the current folder; a .tekton folder given here means the one it "
             "is in), or the one folder earlier template versions write (default: .tekton). With "
             "--update: where the scaffold is (default: here, else .tekton)."),
    pipelines_as_code: bool = typer.Option(
        False, "--pipelines-as-code", help="A Pipelines-as-Code PipelineRun instead of Tekton Triggers."),
    update: bool = typer.Option(
        False, "--update", help="Regenerate from the newest template version, merging with local edits."),
    dry_run: bool = typer.Option(
        False, "--dry-run",
        help="Show the diff and write nothing; with --install, the API server checks the objects "
             "(server-side dry run) and nothing is applied."),
    force: bool = typer.Option(
        False, "--force",
        help="Overwrite files that exist with other content; with --install, objects edited since installed."),
    install: bool = typer.Option(
        False, "--install",
        help="Also install the template's tasks and the generated objects (-n NS), as one install: "
             "recorded, shown in status, removed by `catalog uninstall service/NAME`."),
    adopt: bool = typer.Option(
        False, "--adopt", help="With --install: take over objects of the same names that catalog did not make."),
    allow_sensitive_rbac: bool = AllowSensitiveOption,
    tekton_version: str | None = TektonVersionOption,
    catalog: str | None = CatalogOption,
    context: str | None = ContextOption,
    kubeconfig: str | None = KubeconfigOption,
    output: Format = typer.Option(Format.table, "--output", "-o", help="table (a diff with --dry-run), json or yaml.",
                                  case_sensitive=False),
) -> None:
    """Generate a service's .tekton/ folder from a template: Pipeline, PipelineRun, Triggers
    (or a Pipelines-as-Code PipelineRun), ServiceAccounts and RBAC, kustomization.yaml, and an
    answers file. Missing required values are asked for on a terminal. --update merges the newest
    template version with your edits; conflicts are left between <<<<<<< and >>>>>>> markers,
    reported with both sides, and exit with status 1.
    """
    from .. import scaffold as lib
    from ..sources import open_catalog
    from ..errors import InputError
    from .common import settings_of, split_ref

    settings = settings_of(ctx)
    version = None
    if template is not None:
        kind, template, version = split_ref(template, settings)
        if kind not in (None, "Template"):
            raise InputError(f"{kind} is not a template", "TEMPLATE")
    given = {"name": name, "git-url": git_url, "image": image, "namespace": namespace}
    ask = _Replay(_prompt) if sys.stdin.isatty() else None
    if update:
        if pipelines_as_code:
            raise InputError("--pipelines-as-code chooses the variant of a new scaffold; --update keeps the recorded one")
        at = lib.layout.locate(folder)
        rec = lib.answers.read_record(at)
        if template is not None and template != rec.template:
            raise InputError(f"{at} was generated from {rec.template}, not {template}", "TEMPLATE")
        cat = open_catalog(catalog or rec.catalog, settings)  # the catalog it was scaffolded from

        def generate(dry: bool) -> Outcome:
            return lib.update(cat, folder, version=version, given=given, sets=sets, ask=ask, dry_run=dry)
    else:
        if template is None:
            raise InputError("name the template to scaffold from (catalog search --kind template), or use --update")
        variant = lib.PIPELINES_AS_CODE if pipelines_as_code else lib.TRIGGERS
        cat = open_catalog(catalog, settings)

        def generate(dry: bool) -> Outcome:
            return lib.create(cat, template, folder=folder, version=version, variant=variant, given=given,
                              sets=sets, ask=ask, dry_run=dry, force=force, catalog_location=catalog)
    # With --install, the files are written only once the install succeeded: a refused
    # install leaves the folder as it was.
    outcome = generate(dry_run or install)
    report = None
    if install and not outcome.conflicts:
        from ..actions.scaffold import install as deploy
        from .cluster_opts import connect, options

        cluster = connect(kubeconfig, context)
        # Every template asks for a namespace, checked as a DNS label: text.
        ns = namespace or str(outcome.answers.get("namespace") or "") or cluster.default_namespace
        opts = options(cluster, [ns], settings, dry_run="server" if dry_run else None, force=force, adopt=adopt,
                       tekton_version=tekton_version, allow_sensitive_rbac=allow_sensitive_rbac)
        report = deploy(cat, cluster, outcome, opts)
    if install and not dry_run:
        if ask is not None:
            ask.replay()
        outcome = generate(False)
    steps: list[str] = []
    if not (update or install or dry_run or outcome.conflicts):
        from ..scaffold.nextsteps import next_steps

        ns = namespace or str(outcome.answers.get("namespace") or "default")
        steps = next_steps(outcome.files, outcome.dependencies, outcome.variant, ns, str(outcome.folder))
    _render(outcome, report, output, steps)
    if outcome.conflicts:
        if install:
            note("not installed: resolve the conflicts first")
        raise typer.Exit(1)


class _Replay:
    """The terminal's answers, asked once: generating twice (to check, then to write)
    gets the same answers the second time without asking again."""

    def __init__(self, ask: Asker) -> None:
        self.ask = ask
        self.said: list[str] = []
        self.replaying = False

    def replay(self) -> None:
        self.replaying = True

    def __call__(self, param: Parameter, error: str | None) -> str:
        if self.replaying and self.said:
            return str(self.said.pop(0))
        answer = self.ask(param, error)
        if not self.replaying:
            self.said.append(answer)
        return str(answer)


def _prompt(param: Parameter, error: str | None) -> str:
    if error:
        note(f"  {error}")
    label = param.name + (f" ({param.description})" if param.description else "")
    return str(typer.prompt(label, err=True))  # stderr: stdout stays parseable


def _render(outcome: Outcome, report: Report | None, output: Format, steps: list[str] | None = None) -> None:
    data = outcome.to_dict()
    if report is not None:
        data["install"] = report.to_dict()
    if steps:
        data["nextSteps"] = steps

    def table() -> None:
        if outcome.dry_run:
            sys.stdout.write(safe(outcome.diff))
        else:
            print_table(["file", "action", "note"],
                        [[c.path, _PAST.get(c.action, c.action), c.note] for c in outcome.changes])
        head = f"{outcome.template} {outcome.from_version} -> {outcome.version}" if outcome.from_version \
            else f"{outcome.template} {outcome.version}"
        changed = [c for c in outcome.changes if c.action not in ("unchanged", "keep")]
        would = "would change" if outcome.dry_run else "changed"
        note(f"{head} ({outcome.variant}) in {outcome.folder}: {plural(len(changed), 'file')} {would}"
             + ("; dry run, nothing written" if outcome.dry_run else ""))
        for n in outcome.notes:
            note(n)
        for c in outcome.conflicts:
            note(f"conflict in {c.path} at line {c.line}:")
            note("  yours:\n" + "".join(f"    {line}" for line in c.local).rstrip("\n"))
            note("  template:\n" + "".join(f"    {line}" for line in c.template).rstrip("\n"))
        if outcome.conflicts:
            note(f"{plural(len(outcome.conflicts), 'conflict')}: edit the files between the <<<<<<< and >>>>>>> "
                 "markers" + ("" if outcome.dry_run else "; the answers file already records the new version"))
        if report is not None:
            _render_install(report)
        if steps:
            note("next steps:")
            for i, step in enumerate(steps, 1):
                note(f"  {i}. {step}")
    emit(data, output, table=table)


def _render_install(report: Report) -> None:
    from .install_cmd import _render_grants

    for p in report.packages:
        note(f"{p['kind'].lower()} {p['name']} {p['version']} in {p['namespace']}: {p['status']}")
    would = "would " if report.dry_run else ""
    for c in report.changes:
        if c.package.startswith("Service/") and c.action != "unchanged":
            note(f"{would}{c.action if would else _PAST.get(c.action, c.action + 'ed')}: {c.kind} {c.name}")
    _render_grants(report)
    for n in report.notes:
        note(n)


def register(app: typer.Typer) -> None:
    app.command()(scaffold)
