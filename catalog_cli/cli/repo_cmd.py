"""``catalog repo add|list|remove|update``: the repos the default catalog is made of."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .common import OutputOption, settings_of
from ..words import plural
from .output import Format, emit, note, print_table

if TYPE_CHECKING:
    from ..actions.repos import SignatureState

repo_app = typer.Typer(
    help="Catalog repositories: web servers or folders holding a catalog. The default catalog "
         "is every repo in order (first repo with a name wins), then the built-in one; "
         "REPO/NAME picks a repo.",
    no_args_is_help=True,
)


@repo_app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="A short name, used in REPO/NAME references."),
    url: str = typer.Argument(..., metavar="URL|PATH", help="http(s) URL of the catalog (or its index.yaml), or a folder."),
    priority: int | None = typer.Option(None, "--priority", min=1, help="Position in the order of precedence (1: first). Default: last."),
    token_env: str | None = typer.Option(None, "--token-env", metavar="VAR", help="Send 'Authorization: Bearer $VAR'."),
    username_env: str | None = typer.Option(None, "--username-env", metavar="VAR", help="Basic auth: user name from $VAR."),
    password_env: str | None = typer.Option(None, "--password-env", metavar="VAR", help="Basic auth: password from $VAR."),
    token_stdin: bool = typer.Option(False, "--token-stdin", help="Read a bearer token from stdin and store it in repos.yaml (mode 0600)."),
    force: bool = typer.Option(False, "--force", help="Replace a repo of the same name."),
    no_fetch: bool = typer.Option(False, "--no-fetch", help="Do not fetch the index now (check nothing)."),
    trust_sensitive_rbac: bool = typer.Option(
        False, "--trust-sensitive-rbac",
        help="Let this repo's rbac.yaml grant rights that amount to escalation (reading Secrets, running pods, "
             "exec) without --allow-sensitive-rbac on each install: only for a repo your own platform team writes."),
    bundles: str | None = typer.Option(
        None, "--bundles", metavar="REGISTRY/REPO",
        help="Where its entries are published as Tekton bundles NAME:VERSION (`catalog publish --oci`): "
             "Pipelines' bundles-resolver references there are dependencies on this repo's entries."),
    git: str | None = typer.Option(
        None, "--git", metavar="URL",
        help="The git URL it is cloned from: git-resolver references to it are dependencies on this repo's entries."),
    trust_key: list[Path] = typer.Option(
        [], "--trust-key", metavar="FILE",
        help="A public key (PEM, as `catalog keygen` or cosign writes it) one of which must have signed the "
             "repo's index (catalog index --sign) and its bundles (catalog publish --sign): an unsigned, altered, "
             "expired or older index is refused. Repeat it for a key rotation. The key itself is kept in the config."),
) -> None:
    """Add a repo; its index is fetched (and checked) first, so a bad URL adds nothing."""
    import sys

    from ..actions import repos as run
    from ..errors import InputError
    from ..repos import Auth
    from .sign_cmd import public_keys

    token = None
    if token_stdin:
        if token_env:
            raise InputError("--token-stdin or --token-env, not both")
        token = sys.stdin.readline().strip()
        if not token:
            raise InputError("--token-stdin: no token on standard input")
    auth = Auth(token_env, username_env, password_env, token)
    if auth.kind == "basic" and not (username_env and password_env):
        raise InputError("basic auth needs both --username-env and --password-env")
    if "://" not in url:
        url = os.path.expanduser(url)  # the library takes paths as they are
    keys = [k.pem().decode("ascii") for k in public_keys(trust_key, "--trust-key")] if trust_key else []
    added = run.add(name, url, settings_of(ctx), auth=auth, priority=priority, replace=force,
                    fetch=not no_fetch, trust_sensitive_rbac=trust_sensitive_rbac, bundles=bundles, git=git,
                    keys=keys)
    found = "" if added.resources is None else f", {plural(added.resources, 'resource')}"
    signed = f", index signed by {added.signed_by}" if added.signed_by else ""
    note(f"added repo {name} ({run.shown_url(added.repo)}{found}{signed}), position {added.position} of "
         f"{added.total}")


@repo_app.command("list")
def list_(ctx: typer.Context, output: Format = OutputOption) -> None:
    """The repos in order of precedence, with where their credentials come from."""
    from ..actions.repos import listing

    rows = listing(settings_of(ctx))
    emit(rows, output, names=lambda: [str(r["name"]) for r in rows], table=lambda: print_table(
        ["priority", "name", "url", "auth", "trust", "fetched", "signed"],
        [[r["priority"], r["name"], r["url"], r["auth"], ",".join(r["trust"]) or "-", r["cached"],
          _signed(r["signature"])] for r in rows]))


def _signed(state: SignatureState | None) -> str:
    """``sha256:0123456789ab… (serial 7, until 2026-04-01)``: who signed the index held here;
    or why the last one offered was refused."""
    if state is None:
        return "-"
    if state["refused"]:
        return f"REFUSED: {state['refused']}"
    if state["verifiedBy"]:
        return f"{state['verifiedBy'][:19]}… (serial {state['serial']}, until {str(state['expires'])[:10]})"
    return f"REFUSED: {state['error']}" if state["error"] and "not fetched" not in state["error"] else "not fetched"


@repo_app.command("remove")
def remove(ctx: typer.Context, name: str = typer.Argument(..., help="The repo to forget (its cache goes too).")) -> None:
    """Remove a repo from the configuration and delete its cache."""
    from ..actions import repos as run

    repo = run.remove(name, settings_of(ctx))
    note(f"removed repo {repo.name} ({run.shown_url(repo)})")


@repo_app.command("update")
def update(
    ctx: typer.Context,
    names: list[str] = typer.Argument(None, metavar="[NAME]...", help="Repos to update. Default: all."),
    output: Format = OutputOption,
) -> None:
    """Fetch the index of each repo (an unchanged index costs one 304). Exit 5 if any failed."""
    from ..actions.repos import update as run
    from ..errors import RemoteError, SignatureError

    result = run(names or [], settings_of(ctx))
    rows = result.rows
    if result.none_configured:
        note("no repos configured: `catalog repo add NAME URL` adds one")
    emit(rows, output, names=lambda: [str(r["name"]) for r in rows], table=lambda: print_table(
        ["name", "status", "detail", "bytes downloaded"],
        [[r["name"], r["status"], r["detail"], "" if r["bytes"] is None else f"{r['bytes']:,}"]
         for r in rows]))
    if result.failed:
        # "1 of 1 repos": one of the repos, plural whatever their number.
        summary = f"{len(result.failed)} of {result.fetched} repos could not be updated"
        refused = next((e for e in result.failed if isinstance(e, SignatureError)), None)
        raise SignatureError(summary, reason=refused.reason) if refused else RemoteError(summary)


def register(app: typer.Typer) -> None:
    app.add_typer(repo_app, name="repo")
