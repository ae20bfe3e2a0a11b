"""history: the revisions of one installed entry, from the install record of each namespace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

from ..cluster.base import Cluster
from ..cluster.records import HISTORY_LIMIT, Record
from ..errors import InputError, NotFound
from ..requirements import parse_requirement
from ..words import plural
from .common import Options, per_namespace, start
from .plan import observers


class HistoryRow(TypedDict):
    """One revision that changed the entry (a row of ``history -o json``)."""

    namespace: str
    revision: int
    updated: str  # ISO 8601, UTC
    action: str  # install, upgrade, rollback, uninstall, scaffold
    version: str | None  # after the revision; None when it removed the entry
    user: str  # the kubeconfig user that ran it; empty in revisions from before it was kept


@dataclass
class History:
    rows: list[HistoryRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _key(record: Record, text: str) -> str:
    """The record key ``text`` (``[KIND/]NAME``) names, among entries and past revisions."""
    req = parse_requirement(text)
    if req.range not in ("*", ""):
        raise InputError("history takes a name, not NAME@RANGE", text)
    keys = set(record.packages) | {k for r in record.history for k in [*r.versions, *r.changed]}
    found = sorted(k for k in keys if k.partition("/")[2] == req.name and (req.kind is None or k.startswith(
        f"{req.kind}/")))
    if len(found) > 1:
        kinds = " and a ".join(k.partition("/")[0] for k in found)
        raise InputError(f"{req.name} is a {kinds} in the history of namespace {record.namespace}: say which, "
                         f"e.g. {found[-1].partition('/')[0].lower()}/{req.name}", text)
    if not found:
        raise NotFound(f"no history of {req.name} in namespace {record.namespace}: catalog keeps it in the "
                       "install record, which names no such entry (or is gone with the last one)", text)
    return found[0]


def history(cluster: Cluster, name: str, opts: Options) -> History:
    """Every revision (of those the record keeps) that changed ``name``, oldest first."""
    notes = start(cluster, opts)

    observe = observers(cluster, opts.namespaces)

    def one(ns: str) -> tuple[list[HistoryRow], list[str]]:
        record = observe(ns).record().record
        key = _key(record, name)
        rows: list[HistoryRow] = []
        before: str | None = None
        for rev in record.history:
            version = rev.versions.get(key)
            # Revisions written before they named what they changed: a change of version.
            if key in rev.changed or (not rev.changed and version != before):
                rows.append({"namespace": ns, "revision": rev.number, "updated": rev.time, "action": rev.action,
                             "version": version, "user": rev.user})
            before = version
        more = []
        if record.history and record.history[0].number > 1:
            kept = len(record.history)
            why = "" if kept >= HISTORY_LIMIT else (
                f" (not {HISTORY_LIMIT}: more would not fit in the install record's ConfigMap)")
            more.append(f"namespace {ns} keeps its last {plural(kept, 'revision')}{why}: revisions before "
                        f"{record.history[0].number} are gone")
        return rows, more

    found = per_namespace(opts.namespaces, one)
    return History([r for rows, _ in found for r in rows], notes + [n for _, more in found for n in more])
