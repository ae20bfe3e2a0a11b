"""Real parts for the .tekton/ reference tests: the acme catalog (a copy of the built-in
Tasks, both versions, with git-clone 0.2's migrations) as a local git repository with a
release tag and as bundles pushed by `catalog publish` to the loopback registry; and the
sample service repository (tests/data/tekton_refs/sample) filled in for them."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from catalog_cli import index

from .conftest import BUILTIN, run_cli
from .test_oci import manifest

SAMPLE = Path(__file__).parent / "data" / "tekton_refs" / "sample"
PLACEHOLDERS = {"registry.placeholder": "host", "file:///placeholder/acme.git": "git_url",
                "placeholder-commit": "commit"}
#: Fixed dates make the commits the same on every run (the golden diff still names them symbolically).
GIT_ENV = {"GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env={**os.environ, **GIT_ENV})
    return done.stdout.strip()


@dataclass
class Acme:
    root: Path       # the catalog folder (configured as repo acme)
    git_dir: Path    # the same files in a git repository (the repo's --git URL)
    host: str        # the loopback registry
    commit: str      # main's commit (tag v1.0 names it too)
    digests: dict[str, str] = field(default_factory=dict)  # "name:version" -> manifest digest

    @property
    def git_url(self) -> str:
        return f"file://{self.git_dir}"

    def configure(self) -> None:
        r = run_cli("repo", "add", "acme", str(self.root), "--git", self.git_url, "--bundles", f"{self.host}/acme")
        assert r.code == 0, r.err

    def service(self, dest: Path) -> Path:
        """The sample service repository, its placeholders filled in; returns its .tekton/."""
        shutil.copytree(SAMPLE, dest)
        values = {"host": self.host, "git_url": self.git_url, "commit": self.commit}
        for path in dest.rglob("*.yaml"):
            text = path.read_text()
            for placeholder, key in PLACEHOLDERS.items():
                text = text.replace(placeholder, values[key])
            path.write_text(text)
        return dest / ".tekton"

    def symbolic(self, text: str) -> str:
        """``text`` with this run's registry, repository, commit and digests named as the
        golden files name them."""
        for key, digest in self.digests.items():
            text = text.replace(digest, f"sha256:<{key}>")
        return (text.replace(self.commit, "<main's commit>").replace(self.git_url, "file:///acme.git")
                .replace(self.host, "registry.test"))


def make_acme(tmp: Path, host: str) -> Acme:
    root = tmp / "acme"
    shutil.copytree(BUILTIN / "task", root / "task")
    index.write(root)
    git_dir = tmp / "acme.git"
    shutil.copytree(root, git_dir)
    git(git_dir, "init", "-q", "-b", "main")
    git(git_dir, "add", "-A")
    git(git_dir, "commit", "-q", "-m", "acme catalog")
    git(git_dir, "tag", "-a", "v1.0", "-m", "release 1.0")
    acme = Acme(root, git_dir, host, git(git_dir, "rev-parse", "HEAD"))
    r = run_cli("publish", "--oci", f"{host}/acme", "--all-versions", "--catalog", str(root))
    assert r.code == 0, r.err
    for name in ("git-clone", "kaniko", "kubectl-deploy", "maven-jib-build", "yq-update"):
        for version in ("0.1", "0.2"):
            acme.digests[f"{name}:{version}"] = manifest(host, f"acme/{name}", version)[1]
    return acme
