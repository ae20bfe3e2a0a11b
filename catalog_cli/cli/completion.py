"""Shell completion: ``catalog completion bash|zsh|fish`` and what it completes.

The script a shell loads calls ``catalog`` back with the words typed so far in
``COMP_WORDS`` and ``COMP_CWORD`` (bash's names, used by all three scripts) and
``_CATALOG_COMPLETE=complete_SHELL``; Typer's entry point hands that to the class
registered here for SHELL, which walks the command tree as a real run would parse it
and prints one candidate a line. Candidates are subcommands, options, choices, and
names: resources of the catalog the line names (cached indexes only, never the
network), installed entries from the namespace's install record (only within
``CLUSTER_PATIENCE`` seconds; none without a cluster), repos. A completion never
prompts and never prints an error: whatever fails completes nothing, and the shell
falls back to file names.

The shell classes build on the ``shell_completion`` module of the Click that Typer
0.26+ vendors (``typer._click``), the one place the CLI uses it.
"""

from __future__ import annotations

import enum
import os
import re
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import typer
from typer._click.shell_completion import CompletionItem, ShellComplete, add_completion_class, split_arg_string

from .main import COMPLETE_VAR  # the variable Typer's entry point looks for

if TYPE_CHECKING:
    from typer._click import Command, Context, Parameter

    from ..settings import Settings

PROG = "catalog"
#: Seconds a completion may wait for the API server to list installed entries.
CLUSTER_PATIENCE = 2.0
#: What a completed name may look like: it goes onto the user's command line.
_SAFE = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9._/@+~^<>=*]*$")

Completer = Callable[["Context", "Parameter", str], list[CompletionItem]]


# -- the shells -------------------------------------------------------------------------

class _Shell(ShellComplete):
    """The words come as bash gives them, whatever the shell (each script sets them so)."""

    script: ClassVar[str]

    def source_vars(self) -> dict[str, Any]:
        return {"func": self.func_name, "var": self.complete_var, "prog": self.prog_name}

    def source(self) -> str:
        return self.script % self.source_vars()

    def get_completion_args(self) -> tuple[list[str], str]:
        words = split_arg_string(os.environ.get("COMP_WORDS", ""))
        try:
            cword = int(os.environ.get("COMP_CWORD", ""))
        except ValueError:
            cword = len(words)
        incomplete = words[cword] if cword < len(words) else ""
        args: list[str] = []
        for word in words[1:cword]:
            # bash splits --output=json at '=': join the option and its value again.
            if word == "=" and args and args[-1].startswith("-"):
                continue
            args.append(word)
        return args, ("" if incomplete == "=" else incomplete)

    def complete(self) -> str:
        args, incomplete = self.get_completion_args()
        items = self.get_completions(args, incomplete)
        # A "file" or "dir" item means: let the shell complete paths (it does when given nothing).
        return "\n".join(self.format_completion(i) for i in items if i.type == "plain")


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


class Bash(_Shell):
    name = "bash"
    script = """\
# catalog completion for bash. Load it with: source <(catalog completion bash)
# or save it as ~/.local/share/bash-completion/completions/catalog
%(func)s() {
    local line
    COMPREPLY=()
    while IFS= read -r line; do
        [[ -n $line ]] && COMPREPLY+=("$line")
    done < <(COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD="$COMP_CWORD" \\
        %(var)s=complete_bash "$1" 2>/dev/null)
    return 0
}
complete -o default -F %(func)s %(prog)s
"""

    def format_completion(self, item: CompletionItem) -> str:
        return str(item.value)


class Zsh(_Shell):
    name = "zsh"
    script = """\
#compdef %(prog)s
# catalog completion for zsh. Save it as _catalog in a folder of $fpath
# (catalog completion zsh > "${fpath[1]}/_catalog"), or: source <(catalog completion zsh)
%(func)s() {
    local -a reply
    reply=("${(@f)$(COMP_WORDS="${words[*]}" COMP_CWORD=$((CURRENT - 1)) \\
        %(var)s=complete_zsh "${words[1]}" 2>/dev/null)}")
    reply=(${reply:#})
    if (( ${#reply} )); then
        _describe -t values %(prog)s reply
    else
        _files
    fi
}
if [[ "${zsh_eval_context[-1]}" == (loadautofunc|shfunc) ]]; then
    %(func)s "$@"  # this file is the completion function (autoloaded from $fpath)
else
    compdef %(func)s %(prog)s  # sourced or eval'd
fi
"""

    def format_completion(self, item: CompletionItem) -> str:
        value = str(item.value).replace("\\", "\\\\").replace(":", "\\:")
        return f"{value}:{_one_line(item.help)}" if item.help else value


class Fish(_Shell):
    name = "fish"
    script = """\
# catalog completion for fish. Save it as ~/.config/fish/completions/catalog.fish,
# or: catalog completion fish | source
function %(func)s
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l reply (env COMP_WORDS="$words $current" COMP_CWORD=(count $words) \\
        %(var)s=complete_fish $words[1] 2>/dev/null | string match -v -r '^$')
    if test (count $reply) -eq 0
        __fish_complete_path $current
    else
        printf '%%s\\n' $reply
    end
end
complete -c %(prog)s -f -a '(%(func)s)'
"""

    def format_completion(self, item: CompletionItem) -> str:
        return f"{item.value}\t{_one_line(item.help)}" if item.help else str(item.value)


SHELLS: dict[str, type[_Shell]] = {cls.name: cls for cls in (Bash, Zsh, Fish)}
for _name, _cls in SHELLS.items():
    add_completion_class(_cls, _name)


class Shell(str, enum.Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def completion(
    ctx: typer.Context,
    shell: Shell = typer.Argument(..., metavar="bash|zsh|fish", help="The shell.", case_sensitive=False),
) -> None:
    """Print the shell completion script for bash, zsh or fish: commands, options, names from
    the catalog, installed entries and repos.

    \b
    bash: source <(catalog completion bash)
          or save it as ~/.local/share/bash-completion/completions/catalog
    zsh:  catalog completion zsh > "${fpath[1]}/_catalog"
    fish: catalog completion fish > ~/.config/fish/completions/catalog.fish
    """
    root = ctx.find_root().command
    sys.stdout.write(SHELLS[shell.value](root, {}, PROG, COMPLETE_VAR).source())


def register(app: typer.Typer) -> None:
    app.command()(completion)


def detach_terminal() -> None:
    """When the process is a completion: stdin from /dev/null, so that nothing it runs
    (a kubeconfig's credential plugin) can stop to ask the user anything."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)


# -- what completes what ------------------------------------------------------------------

def _settings() -> Settings:
    from ..settings import Settings

    # Cached indexes only: a completion never waits for a catalog server.
    return Settings.from_env().but(offline=True)


def _items(values: list[str], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(v) for v in dict.fromkeys(values) if v.startswith(incomplete) and _SAFE.match(v)]


def _quietly(fn: Completer) -> Completer:
    """A completer that completes nothing rather than fail or print."""

    def guarded(ctx: Context, param: Parameter, incomplete: str) -> list[CompletionItem]:
        from ..progress import Silent, set_reporter

        previous = set_reporter(Silent())
        try:
            return fn(ctx, param, incomplete)
        except Exception:  # a completion must never show a traceback
            return []
        finally:
            set_reporter(previous)

    return guarded


def _catalog_of(ctx: Context) -> str | None:
    from .common import globals_of

    value = ctx.params.get("catalog")
    return value if isinstance(value, str) else globals_of(ctx).catalog


@_quietly
def catalog_names(ctx: Context, param: Parameter, incomplete: str) -> list[CompletionItem]:
    """Names in the catalog the line names (default: repos, then the built-in catalog);
    ``NAME@`` completes its versions."""
    from ..sources import open_catalog

    catalog = open_catalog(_catalog_of(ctx), _settings())
    name, at, _ = incomplete.partition("@")
    if at:
        return _items([f"{name}@{e.version}" for e in catalog.versions(name)], incomplete)
    return _items(catalog.names(), incomplete)


@_quietly
def template_names(ctx: Context, param: Parameter, incomplete: str) -> list[CompletionItem]:
    """Templates in the catalog the line names, for ``scaffold``."""
    from ..sources import open_catalog

    catalog = open_catalog(_catalog_of(ctx), _settings())
    return _items([h.name for h in catalog.search("", kind="Template")], incomplete)


@_quietly
def repo_names(ctx: Context, param: Parameter, incomplete: str) -> list[CompletionItem]:
    """Configured repos and ``builtin``; a path is left to the shell."""
    from ..repos import BUILTIN, load

    if incomplete.startswith((".", "/", "~")):
        return []
    return _items([r.name for r in load(_settings())] + [BUILTIN], incomplete)


@_quietly
def configured_repos(ctx: Context, param: Parameter, incomplete: str) -> list[CompletionItem]:
    """Repos in repos.yaml (those ``repo remove`` and ``repo update`` take)."""
    from ..repos import load

    return _items([r.name for r in load(_settings())], incomplete)


@_quietly
def installed_names(ctx: Context, param: Parameter, incomplete: str) -> list[CompletionItem]:
    """Entries in the install record of the namespace the line names (or the context's),
    if the API server answers within CLUSTER_PATIENCE seconds."""
    from ..cluster.records import RecordStore
    from .cluster_opts import connect

    kubeconfig, context = ctx.params.get("kubeconfig"), ctx.params.get("context")
    namespaces = ctx.params.get("namespace") or []
    if isinstance(namespaces, str):
        namespaces = [namespaces]
    found: list[str] = []

    def ask() -> None:
        try:
            cluster = connect(kubeconfig, context, timeout=CLUSTER_PATIENCE)
            namespace = namespaces[0] if namespaces else cluster.default_namespace
            record = RecordStore(cluster).read(namespace).record
            found.extend(sorted({p.name for p in record.packages.values()}))
        except Exception:  # no cluster, no answer, no right: nothing to offer
            pass

    # A daemon thread: a server that does not answer is left behind when the process exits.
    worker = threading.Thread(target=ask, daemon=True)
    worker.start()
    worker.join(CLUSTER_PATIENCE)
    return _items(list(found) if not worker.is_alive() else [], incomplete)


#: The command (by its path) whose first argument each completer completes. ``history``
#: is completed once a command of that name exists.
ARGUMENTS: dict[str, Completer] = {
    "install": catalog_names, "info": catalog_names, "versions": catalog_names,
    "lock": catalog_names, "why": catalog_names, "diff": catalog_names, "render": catalog_names,
    "publish": catalog_names, "mirror export": catalog_names, "scaffold": template_names,
    "upgrade": installed_names, "rollback": installed_names, "uninstall": installed_names,
    "history": installed_names, "repo remove": configured_repos, "repo update": configured_repos,
}
#: Options completed wherever they appear, by parameter name.
OPTIONS: dict[str, Completer] = {"catalog": repo_names, "from_": repo_names}


def attach(cmd: Command, path: str = "", *, under: bool = True) -> None:
    """Give ``cmd`` (whose words are ``path``: ``""`` for the root) and, with ``under``,
    the commands under it the completers of ARGUMENTS and OPTIONS."""

    def visit(cmd: Command, path: str, under: bool) -> None:
        arguments = [p for p in cmd.params if p.param_type_name == "argument"]
        if path in ARGUMENTS and arguments:
            _complete_with(arguments[0], ARGUMENTS[path])
        for param in cmd.params:
            if param.param_type_name == "option" and param.name in OPTIONS:
                _complete_with(param, OPTIONS[param.name])
        if under:
            for name, sub in getattr(cmd, "commands", {}).items():
                visit(sub, f"{path} {name}".strip(), True)

    visit(cmd, path, under)


def _complete_with(param: Parameter, completer: Completer) -> None:
    # Click's own slot for a parameter's completion function (its ``shell_complete=``).
    param._custom_shell_complete = completer
