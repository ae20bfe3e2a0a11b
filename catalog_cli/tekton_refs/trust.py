"""``catalog trust export --format conforma``: the trusted-task data Conforma (Enterprise
Contract) reads, from the catalogs the user trusts.

Conforma's policy (``policy/lib/tekton/trusted.rego``) reads ``trusted_task_rules``:
``allow`` and ``deny``, each mapping a group name to rules of ``pattern`` (``oci://...``
or ``git+...``, ``*`` matching anything; a pattern without ``*`` also matches any
``:TAG`` after it), optional ``effective_on`` (RFC 3339; a rule is in force from then)
and ``versions`` (constraints with ``>=``, ``>``, ``<=``, ``<``, all of which an allowed
version must meet). A bundle's version is its manifest's
``org.opencontainers.image.version`` annotation (``catalog publish`` writes it); a git
reference's is the version folder of its ``pathInRepo`` (``task/NAME/VERSION/...``).

For each trusted repo: one allow rule per Task and StepAction it holds, for its bundles
(``oci://BASE/NAME``) and its git URL (``git+URL.git//task/NAME/*``), allowing the
versions from the oldest one after every deprecated version (or the range catalog.yaml
gives the name, when a .tekton/ folder is named).
"""

from __future__ import annotations

import datetime
import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from .. import ranges, versions
from ..errors import InputError
from ..model import Entry
from ..sources.base import Catalog

FORMATS = ("conforma",)
KINDS = ("Task", "StepAction")


def effective(text: str | None, now: datetime.datetime | None = None) -> str:
    """An RFC 3339 time: ``text`` (a date or a date-time), or now."""
    if text is None:
        moment = now or datetime.datetime.now(datetime.timezone.utc)
        return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        if len(text) == 10:
            return datetime.date.fromisoformat(text).strftime("%Y-%m-%dT00:00:00Z")
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError("expected a date (2026-01-31) or an RFC 3339 time", f"--effective-on {text}") from None
    if parsed.tzinfo is None:
        raise InputError("an RFC 3339 time needs a time zone (Z or +HH:MM)", f"--effective-on {text}")
    return parsed.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def constraints(range_text: str) -> list[str]:
    """A range as Conforma's constraints (one AND-set of >=, >, <=, <)."""
    rng = ranges.parse(range_text)
    if rng.is_any:
        return []
    if len(rng.alternatives) != 1:
        raise InputError("Conforma's versions are one set of constraints: no '||'", range_text)
    out = []
    for c in rng.alternatives[0]:
        text = str(c)
        if text.startswith("="):
            out += [">=" + text[1:], "<=" + text[1:]]
            continue
        if not text.startswith((">=", ">", "<=", "<")):
            raise InputError(f"cannot say {text!r} to Conforma", range_text)
        out.append(text.removesuffix("-0"))
    return out


def _floor(entries: Sequence[Entry]) -> list[str] | None:
    """``>=`` the oldest version newer than every deprecated one; None when none is."""
    good = [e for e in entries if versions.is_version(e.version) and not versions.parse(e.version).is_prerelease]
    worst = max((versions.parse(e.version) for e in good if e.deprecated), default=None)
    keep = sorted((versions.parse(e.version) for e in good if worst is None or versions.parse(e.version) > worst))
    return [f">={keep[0].sem}"] if keep else None


def _git_pattern(url: str, entry: Entry) -> str:
    base = url if url.startswith("git+") else f"git+{url}"
    base = base if base.endswith(".git") else f"{base}.git"
    folder = posixpath.dirname(entry.path)
    if versions.is_version(posixpath.basename(folder)):
        folder = posixpath.dirname(folder)
    return f"{base}//{folder}/*"


def conforma(trusted: Sequence[tuple[str, Catalog, str | None, str | None]], when: str,
             wanted: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``trusted_task_rules`` data for ``trusted``: (repo name, its catalog, its bundle
    base, its git URL) each; ``wanted`` gives names a range."""
    allow: dict[str, list[dict[str, Any]]] = {}
    for repo, catalog, bundles, git in trusted:
        rules = allow.setdefault(repo, [])
        for name in catalog.names():
            for kind in catalog.kinds(name):
                if kind not in KINDS:
                    continue
                entries = catalog.versions(name, kind)
                limits = constraints(wanted[name]) if wanted and name in wanted else _floor(entries)
                if limits is None:
                    continue
                patterns = []
                if bundles:
                    patterns.append(f"oci://{bundles.rstrip('/')}/{name}")
                if git:
                    patterns.append(_git_pattern(git, entries[0]))
                for pattern in patterns:
                    rule: dict[str, Any] = {"pattern": pattern, "effective_on": when}
                    if limits:
                        rule["versions"] = limits
                    rules.append(rule)
        if not rules:
            del allow[repo]
    return {"trusted_task_rules": {"allow": allow, "deny": {}}}
