"""A Tekton VerificationPolicy for a set of public keys and resource patterns.

Tekton Pipelines' Trusted Resources (``tekton.dev/v1alpha1`` VerificationPolicy, read
from tektoncd/pipeline ``pkg/apis/pipeline/v1alpha1/verificationpolicy_types.go``):
``spec.resources[].pattern`` are regular expressions (Go's RE2) matched against where
a resolved resource came from (a bundle reference, a git URL; recent releases anchor
them to the whole string); ``spec.authorities[]`` each hold one public key, here as
``key.data`` (PEM) with ``hashAlgorithm: sha256``; ``spec.mode`` is ``enforce`` (fail
the run) or ``warn`` (log only). A resource passes when one authority's key verifies
its ``tekton.dev/signature`` (:mod:`.tekton`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..errors import InputError
from .keys import PublicKey

API_VERSION = "tekton.dev/v1alpha1"
MODES = ("enforce", "warn")
_DNS_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")


def authority_name(text: str) -> str:
    """A Kubernetes-style name made of ``text`` (a key file's stem, usually)."""
    name = re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-.")
    return name[:63].rstrip("-.") or "key"


def verification_policy(name: str, keys: Sequence[tuple[str, PublicKey]], patterns: Sequence[str], *,
                        namespace: str | None = None, mode: str = "enforce") -> dict[str, Any]:
    """The VerificationPolicy object: ``keys`` as (authority name, public key)."""
    if not _DNS_NAME.fullmatch(name):
        raise InputError(f"{name!r} is not a valid object name (lower-case letters, digits, '-' and '.')", "--name")
    if namespace is not None and not _DNS_NAME.fullmatch(namespace):
        raise InputError(f"{namespace!r} is not a valid namespace name", "--namespace")
    if mode not in MODES:
        raise InputError(f"mode must be enforce or warn, not {mode!r}", "--mode")
    if not keys:
        raise InputError("a verification policy needs at least one public key", "--key")
    if not patterns:
        raise InputError("a verification policy needs at least one resource pattern", "--pattern")
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise InputError(f"{pattern!r} is not a regular expression: {exc}", "--pattern") from None
    names = [n for n, _ in keys]
    if len(set(names)) != len(names):
        raise InputError(f"two keys would share the authority name {sorted(n for n in names if names.count(n) > 1)[0]!r}",
                         "--key")
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": API_VERSION,
        "kind": "VerificationPolicy",
        "metadata": metadata,
        "spec": {
            "resources": [{"pattern": p} for p in patterns],
            "authorities": [{"name": n, "key": {"data": k.pem().decode("ascii"), "hashAlgorithm": "sha256"}}
                            for n, k in keys],
            "mode": mode,
        },
    }
