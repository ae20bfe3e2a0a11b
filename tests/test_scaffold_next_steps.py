"""After `catalog scaffold`, the next steps: found in the generated files themselves."""

from __future__ import annotations

from pathlib import Path

from catalog_cli.scaffold.nextsteps import secrets

from .conftest import run_cli

ARGS = ("scaffold", "java-maven-jib", "--name", "orders", "--git-url", "https://git.example.com/orders.git",
        "--image", "registry.example.com/orders", "-n", "shop")


def test_triggers_scaffold_says_which_tasks_and_secrets(tmp_path: Path) -> None:
    r = run_cli(*ARGS, "--dir", str(tmp_path))
    assert r.code == 0, r.err
    lines = r.err.splitlines()
    steps = lines[lines.index("next steps:") + 1:]
    assert steps[0] == ("  1. install the Tasks it runs: catalog install git-clone@0.2 kubectl-deploy@0.2 "
                        "maven-jib-build@0.2 yq-update@0.2 -n shop")
    assert "  2. create the Secret github-webhook in shop, read by EventListener/orders (key token)" in steps
    assert any(s.startswith("  3. create the Secret registry-credentials in shop") for s in steps)
    assert f"  4. apply it: kubectl apply -n shop -k {tmp_path}" in steps
    data = run_cli(*ARGS, "--dir", str(tmp_path / "again"), "-o", "json").json()
    assert data["nextSteps"][0].startswith("install the Tasks it runs")


def test_pipelines_as_code_scaffold_names_the_repository_and_not_its_own_secret(tmp_path: Path) -> None:
    r = run_cli(*ARGS, "--pipelines-as-code", "--dir", str(tmp_path))
    assert r.code == 0, r.err
    assert "Pipelines-as-Code Repository" in r.err
    assert "git_auth_secret" not in r.err  # Pipelines-as-Code makes that one itself
    assert "create the Secret registry-credentials in shop, read by PipelineRun/orders-on-push" in r.err


def test_no_next_steps_for_a_dry_run(tmp_path: Path) -> None:
    r = run_cli(*ARGS, "--dir", str(tmp_path), "--dry-run")
    assert r.code == 0, r.err
    assert "next steps" not in r.err


def test_secrets_are_found_wherever_an_object_names_one() -> None:
    files = {
        "a.yaml": "kind: PipelineRun\nmetadata: {generateName: build-}\nspec:\n  workspaces:\n"
                  "  - name: d\n    secret: {secretName: reg}\n",
        "b.yaml": "kind: EventListener\nmetadata: {name: el}\nspec:\n  triggers:\n  - interceptors:\n"
                  "    - params:\n      - name: secretRef\n        value: {secretName: hook, secretKey: token}\n",
        "c.yaml": "kind: PipelineRun\nmetadata: {name: pac}\nspec:\n  workspaces:\n"
                  "  - name: auth\n    secret: {secretName: '{{ git_auth_secret }}'}\n",
        "notes.txt": "secretName: not-yaml-we-read\n",
    }
    assert secrets(files) == {"reg": ["PipelineRun/build-*"], "hook": ["EventListener/el (key token)"]}
