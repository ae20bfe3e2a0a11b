"""Shared data of the scaffold tests (it holds no tests): the answers and the cases they generate."""

from __future__ import annotations

from pathlib import Path

from .conftest import BUILTIN, ROOT

GOLDEN = ROOT / "tests" / "data" / "scaffold" / "golden"
#: Set to 1 to rewrite the golden files from what the templates generate now.
UPDATE_ENV = "CATALOG_UPDATE_GOLDEN"

ANSWERS = {
    "--name": "orders",
    "--git-url": "https://github.com/example-org/orders.git",
    "--image": "registry.example.com/team-a/orders",
    "--namespace": "team-a",
}

#: (template, version, variant): every released template version, both variants.
CASES = [
    ("java-maven-jib", "0.1", "triggers"),
    ("java-maven-jib", "0.2", "triggers"),
    ("java-maven-jib", "0.2", "pipelines-as-code"),
    ("java-maven-jib", "0.1", "pipelines-as-code"),
    ("dockerfile-kaniko", "0.1", "triggers"),
    ("dockerfile-kaniko", "0.2", "triggers"),
    ("dockerfile-kaniko", "0.2", "pipelines-as-code"),
    ("java-maven-jib", "0.3", "triggers"),
    ("java-maven-jib", "0.3", "pipelines-as-code"),
    ("dockerfile-kaniko", "0.3", "triggers"),
    ("dockerfile-kaniko", "0.3", "pipelines-as-code"),
    ("java-maven-jib", "0.4", "triggers"),
    ("java-maven-jib", "0.4", "pipelines-as-code"),
    ("dockerfile-kaniko", "0.4", "triggers"),
    ("dockerfile-kaniko", "0.4", "pipelines-as-code"),
]
#: The versions that write the service's repository (``.tekton/`` and what goes beside
#: it) rather than one folder.
REPOSITORY_LAYOUT = ("0.4",)


def case_id(case: tuple[str, str, str]) -> str:
    return f"{case[0]}@{case[1]}-{case[2]}"


def scaffold_args(template: str, version: str, variant: str, folder: Path, **overrides: str) -> list[str]:
    args = ["scaffold", f"{template}@{version}", "--dir", str(folder)]
    for flag, value in {**ANSWERS, **overrides}.items():
        args += [flag, value]
    if variant == "pipelines-as-code":
        args.append("--pipelines-as-code")
    return args


def find(folder: Path, name: str) -> Path:
    """The one file called ``name`` in ``folder`` or below (the layouts put it at different depths)."""
    found = sorted(folder.rglob(name))
    assert len(found) == 1, (name, found)
    return found[0]


def task_dirs(dependencies: dict[str, str]) -> list[Path]:
    """The catalog folders of the task versions an answers file pins."""
    return [BUILTIN / "task" / key.split("/", 1)[1] / version for key, version in dependencies.items()]
