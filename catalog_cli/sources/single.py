"""What every catalog of one repo shares: an indexed one (folder, HTTP repo, OCI bundle)
and the one in memory. Sharing it keeps the in-memory fake honest: it chooses versions,
accepts ``REPO/NAME`` and reads entries exactly as the real ones do.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ..errors import NotFound
from ..model import Entry, ResourceDetail
from .base import Verified

# verify (YAML, resources) is imported by the methods that read files: a search needs none.


class OneRepo(ABC):
    """A catalog of one repo (named ``name``, or none), over its own ``versions`` and
    ``read_file`` (digest-checked): the rest of the ``Catalog`` protocol they imply."""

    location: str
    name: str | None
    #: The id of the key whose signature of the index (or bundle) was verified on opening.
    signer: str | None = None

    @abstractmethod
    def versions(self, name: str, kind: str | None = None) -> tuple[Entry, ...]: ...

    @abstractmethod
    def read_file(self, rel: str, digest: str | None) -> bytes: ...

    def _own(self, name: str) -> str:
        """``name`` without a ``REPO/`` prefix naming this catalog; another repo is an error."""
        repo, sep, bare = name.partition("/")
        if not sep:
            return name
        if repo != self.name:
            raise NotFound(f"repo {repo!r} is not part of catalog {self.location}")
        return bare

    def get(self, name: str, version: str | None = None, kind: str | None = None) -> Entry:
        """One version of ``name``: the newest stable one when ``version`` is None."""
        from .. import versions  # here: a search, which chooses no version, loads no versions module

        name = self._own(name)
        items = self.versions(name, kind)
        if version is None:
            return next((e for e in items if not versions.parse(e.version).is_prerelease), items[0])
        want = versions.parse(version, f"{name}@{version}")
        for e in items:
            if versions.parse(e.version) == want:
                return e
        have = ", ".join(e.version for e in items)
        raise NotFound(f"{name} has no version {version} (versions: {have})")

    def signed_by(self, entry: Entry) -> str | None:
        """One signature covers the whole index: the key that made it, for every entry."""
        return self.signer

    def pin(self, name: str, repo: str) -> None:
        """``REPO/NAME`` on a one-repo catalog: fine when REPO is this one."""
        self._own(f"{repo}/{name}")

    def load(self, entry: Entry) -> Verified:
        from .verify import load_entry

        return load_entry(self.read_file, entry)

    def load_resource(self, entry: Entry) -> dict[str, Any]:
        return self.load(entry).document

    def detail(self, entry: Entry) -> ResourceDetail:
        from .verify import detail_of

        return detail_of(self.read_file, entry)
