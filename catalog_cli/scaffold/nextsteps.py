"""What a user does after ``catalog scaffold``: the Tasks to install, the Secrets the
generated objects read, and how to apply them; found in the generated files
themselves, so that what is said is what the files need."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from .template import PIPELINES_AS_CODE


def secrets(files: Mapping[str, str]) -> dict[str, list[str]]:
    """Secret name -> where the generated objects read it (``Kind/name``, with the key when
    one is named). Names Pipelines-as-Code fills in (``{{ git_auth_secret }}``) are its own."""
    found: dict[str, list[str]] = {}
    for path in sorted(files):
        if not path.endswith((".yaml", ".yml")):
            continue
        try:
            docs = list(yaml.safe_load_all(files[path]))
        except yaml.YAMLError:
            continue
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            meta = doc.get("metadata") or {}
            named = meta.get("name") or (f"{meta['generateName']}*" if meta.get("generateName") else "?")
            who = f"{doc.get('kind')}/{named}"
            for name, key in _secret_refs(doc):
                if "{{" in name:
                    continue
                where = f"{who} (key {key})" if key else who
                if where not in found.setdefault(name, []):
                    found[name].append(where)
    return found


def _secret_refs(node: Any) -> Iterator[tuple[str, str | None]]:
    if isinstance(node, dict):
        name = node.get("secretName")
        if isinstance(name, str) and name:
            key = node.get("secretKey")
            yield name, key if isinstance(key, str) else None
        for value in node.values():
            yield from _secret_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _secret_refs(item)


def next_steps(files: Mapping[str, str], dependencies: Mapping[str, str], variant: str,
               namespace: str, folder: str) -> list[str]:
    """The steps, one line each, in the order to take them."""
    steps: list[str] = []
    tasks = " ".join(f"{key.partition('/')[2]}@{version}" for key, version in sorted(dependencies.items()))
    if tasks:
        steps.append(f"install the Tasks it runs: catalog install {tasks} -n {namespace}")
    for name, where in sorted(secrets(files).items()):
        steps.append(f"create the Secret {name} in {namespace}, read by {', '.join(where)}")
    if "kustomization.yaml" in files:
        steps.append(f"apply it: kubectl apply -n {namespace} -k {folder}")
    if variant == PIPELINES_AS_CODE:
        steps.append("create the Pipelines-as-Code Repository for the service's git URL, with its webhook "
                     "and provider Secrets (docs/pipelines-as-code.md)")
    steps.append(f"or do the Tasks and the objects in one step: catalog scaffold --update --install -n {namespace} "
                 f"--dir {folder}")
    return steps
