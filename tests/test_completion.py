"""Shell completion (cli/completion.py): through the completion machinery in-process, as
the scripts call it, then through real bash, zsh and fish loading the scripts."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from catalog_cli.cli import completion
from catalog_cli.cli.root import app

from .conftest import BUILTIN, ROOT, TEKTON_CATALOG, run_cli


def complete(line: str, shell: str = "bash", env: dict[str, str] | None = None) -> list[str]:
    """What ``catalog`` offers for the last word of ``line`` (a trailing space: a new word),
    asked as the bash script asks it: COMP_WORDS, COMP_CWORD and _CATALOG_COMPLETE."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    r = CliRunner().invoke(app, [], prog_name="catalog", env={
        **(env or {}), completion.COMPLETE_VAR: f"complete_{shell}",
        "COMP_WORDS": line, "COMP_CWORD": str(cword)})
    assert r.exit_code == 0, (r.output, r.exception)
    assert r.stderr == ""  # never noisy
    return [x for x in r.stdout.split("\n") if x]


def test_commands_groups_and_their_commands() -> None:
    assert set(complete("catalog in")) == {"info", "index", "install"}
    assert complete("catalog ins") == ["install"]
    assert complete("catalog repo ") == ["add", "list", "remove", "update"]
    assert complete("catalog mirror e") == ["export"]
    assert complete("catalog compl") == ["completion"]


def test_options_and_their_values() -> None:
    assert complete("catalog search --ou") == ["--output"]
    assert complete("catalog search -o ") == ["table", "json", "yaml", "name"]
    assert complete("catalog search --output=j") == ["json"]  # bash splits at '='
    assert complete("catalog completion ") == ["bash", "zsh", "fish"]
    # Global options after the command, as before it.
    assert "--offline" in complete("catalog install --of") and "--offline" in complete("catalog --of")
    assert complete("catalog lint --cat") == []  # lint reads no catalog: not offered there


def test_names_from_the_catalog() -> None:
    assert complete("catalog install git-c") == ["git-clone"]
    assert complete("catalog info kubectl-") == ["kubectl-deploy"]
    assert set(complete("catalog lock ")) >= {"git-clone", "kaniko", "kubectl-deploy"}
    for command in ("versions", "why", "diff", "render", "publish", "mirror export"):
        assert complete(f"catalog {command} kani") == ["kaniko"], command
    assert complete("catalog install git-clone@") == ["git-clone@0.2", "git-clone@0.1"]
    assert complete("catalog install kaniko git-c") == ["git-clone"]  # each of several names
    assert complete("catalog scaffold ") == ["dockerfile-kaniko", "java-maven-jib"]


def test_names_from_the_catalog_the_line_names() -> None:
    # --catalog before or after the command, or CATALOG_SOURCE: the names come from there.
    corpus = str(TEKTON_CATALOG)
    assert "git-batch-merge" in complete(f"catalog install --catalog {corpus} git-b")
    assert "git-batch-merge" in complete(f"catalog -c {corpus} install git-b")
    assert "git-batch-merge" in complete("catalog install git-b", env={"CATALOG_SOURCE": corpus})
    assert complete("catalog install git-b") == []


def test_repos_for_catalog_from_and_repo_commands(tmp_path: Path) -> None:
    assert run_cli("repo", "add", "team", str(BUILTIN)).code == 0
    assert complete("catalog search --catalog ") == ["team", "builtin"]
    assert complete("catalog -c t") == ["team"]
    assert complete("catalog upgrade --from b") == ["builtin"]
    assert complete("catalog repo remove ") == ["team"]
    assert complete("catalog search --catalog ./") == []  # a path: the shell completes files


def test_a_remote_repo_is_never_fetched_to_complete(tmp_path: Path) -> None:
    from .faultserve import serve

    with serve(BUILTIN) as srv:
        assert run_cli("repo", "add", "team", srv.url, "--no-fetch").code == 0
        assert complete("catalog install --catalog team kan") == []  # nothing cached yet
        assert srv.state.requests == []
        assert run_cli("repo", "update").code == 0
        assert complete("catalog install --catalog team kan") == ["kaniko"]  # from the cache


def test_installed_names_without_a_cluster_complete_nothing_at_once(tmp_path: Path) -> None:
    start = time.monotonic()
    assert complete("catalog upgrade ", env={"KUBECONFIG": str(tmp_path / "none")}) == []
    assert complete("catalog uninstall --kubeconfig /nonexistent ") == []
    assert time.monotonic() - start < 2


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers (an API server that hangs)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield s.getsockname()[1]


def test_installed_names_give_up_in_time(tmp_path: Path, silent_server: int) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: c, cluster: {{server: 'https://127.0.0.1:{silent_server}', "
        "insecure-skip-tls-verify: true}}]\n"
        "users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n")
    start = time.monotonic()
    assert complete(f"catalog rollback --kubeconfig {kubeconfig} ") == []
    assert time.monotonic() - start < completion.CLUSTER_PATIENCE + 1.5


def test_zsh_and_fish_get_the_help_beside_each_value() -> None:
    assert complete("catalog sear", shell="zsh") == ["search:Search the catalog."]
    assert complete("catalog sear", shell="fish") == ["search\tSearch the catalog."]
    assert complete("catalog search --out", shell="zsh") == ["--output:Output format."]


def test_unsafe_names_are_not_offered() -> None:
    from catalog_cli.cli.completion import _items

    assert [i.value for i in _items(["ok", "a;rm -rf ~", "$(x)", "b`c`", "tab\there"], "")] == ["ok"]


def test_every_command_in_the_table_exists() -> None:
    root = typer.main.get_command(app)
    paths = set()

    def visit(cmd: Any, path: str) -> None:
        paths.add(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            visit(sub, f"{path} {name}".strip())

    visit(root, "")
    # history is another change's command: completed as soon as it exists.
    assert set(completion.ARGUMENTS) - paths <= {"history"}


# -- the scripts, in real shells ------------------------------------------------------------

def _shell_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "none")}


def _script(shell: str) -> str:
    r = run_cli("completion", shell)
    assert r.code == 0 and r.err == ""
    return r.out


def test_the_scripts_name_the_program_and_the_variable() -> None:
    for shell in ("bash", "zsh", "fish"):
        text = _script(shell)
        assert f"_CATALOG_COMPLETE=complete_{shell}" in text
        assert "catalog" in text.splitlines()[-1] or shell == "zsh"
    assert run_cli("completion", "tcsh").code == 2


def _need(shell: str) -> None:
    """A missing shell fails the test (scripts/test.sh installs them), never skips it."""
    if shutil.which(shell) is None:
        pytest.fail(f"{shell} is not installed: apt-get install {shell} (scripts/test.sh does)", pytrace=False)


def test_bash_loads_the_script_and_completes(tmp_path: Path) -> None:
    _need("bash")
    (tmp_path / "c.bash").write_text(_script("bash"))
    program = r'''
source "$1"
show() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _catalog_completion catalog
         printf '%s|' "${COMPREPLY[@]}"; echo; }
show catalog ins
show catalog install git-c
show catalog search -o ''
show catalog index /tm
complete -p catalog
'''
    r = subprocess.run(["bash", "--norc", "-c", program, "bash", str(tmp_path / "c.bash")],
                       capture_output=True, text=True, env=_shell_env(tmp_path), cwd=ROOT, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "install|"
    assert lines[1] == "git-clone|"
    assert lines[2] == "table|json|yaml|name|"
    assert lines[3] == "|"  # nothing: bash then completes file names (-o default)
    assert lines[4] == "complete -o default -F _catalog_completion catalog"


def test_zsh_loads_the_script_and_completes(tmp_path: Path) -> None:
    _need("zsh")
    functions = tmp_path / "functions"
    functions.mkdir()
    (functions / "_catalog").write_text(_script("zsh"))
    # _describe and _files stand for zsh's own (they need a live line editor).
    stubs = '''
_describe() { print -r -- "values: ${(j:|:)${(@P)4}}"; }
_files() { print -r -- "files"; }
'''
    sourced = stubs + '''
autoload -U compinit && compinit -u -d "$HOME/.zcompdump"
source "$1"
words=(catalog ins); CURRENT=2; _catalog_completion
words=(catalog install git-c); CURRENT=3; _catalog_completion
words=(catalog index /tm); CURRENT=3; _catalog_completion
print -r -- "${_comps[catalog]}"
'''
    # As the help says: saved as _catalog in a folder of $fpath, found by compinit, and
    # completing from the very first Tab.
    autoloaded = stubs + '''
fpath=("$1" $fpath)
autoload -U compinit && compinit -u -d "$HOME/.zcompdump"
print -r -- "${_comps[catalog]}"
words=(catalog ins); CURRENT=2; _catalog
words=(catalog install git-c); CURRENT=3; _catalog
eval "$(<"$1/_catalog")"
print -r -- "${_comps[catalog]}"
'''
    env = _shell_env(tmp_path)
    r = subprocess.run(["zsh", "-f", "-c", sourced, "zsh", str(functions / "_catalog")],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "values: install:Install Tasks (and what they depend on)...",
        "values: git-clone", "files", "_catalog_completion"]
    r = subprocess.run(["zsh", "-f", "-c", autoloaded, "zsh", str(functions)],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "_catalog", "values: install:Install Tasks (and what they depend on)...", "values: git-clone",
        "_catalog_completion"]  # eval'd, it registers itself as a sourced script does


def test_fish_loads_the_script_and_completes(tmp_path: Path) -> None:
    _need("fish")
    (tmp_path / "c.fish").write_text(_script("fish"))
    program = f'''source {tmp_path / "c.fish"}
complete -C"catalog ins"
complete -C"catalog install git-c"
complete -C"catalog search -o "
complete -C"catalog index {tmp_path}/c."
'''
    r = subprocess.run(["fish", "--no-config", "-c", program], capture_output=True, text=True,
                       env=_shell_env(tmp_path), cwd=ROOT, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("install\tInstall Tasks")
    assert lines[1] == "git-clone"
    assert sorted(lines[2:6]) == ["json", "name", "table", "yaml"]
    assert lines[6] == f"{tmp_path}/c.fish"
    # As the help says: saved among fish's completions, it is loaded at the first Tab.
    saved = Path(os.environ["XDG_CONFIG_HOME"]) / "fish" / "completions" / "catalog.fish"
    saved.parent.mkdir(parents=True)
    saved.write_text(_script("fish"))
    r = subprocess.run(["fish", "-c", 'complete -C"catalog install git-c"'], capture_output=True, text=True,
                       env=_shell_env(tmp_path), cwd=ROOT, timeout=120, check=False)
    assert r.stdout.splitlines() == ["git-clone"], r.stderr
