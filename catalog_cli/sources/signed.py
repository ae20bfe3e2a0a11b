"""Signed catalogs as a repo reads them: ``index.yaml.sig`` checked where an index's
bytes are fetched or read (:mod:`.remote` for HTTP repos, :mod:`.folder` for folders),
against the keys the repo was added with (``repo add --trust-key``).

- :func:`trust_of`: the keys a repo requires, or None (it requires no signature);
- :func:`check`: accept an index only with a valid, unexpired signature by one of
  them that is not older than the last index accepted from that repo;
- the last index accepted (:class:`~catalog_cli.signing.index_sig.Seen`: serial and
  sha256) is kept per repo in ``Settings.state_home/trust/REPO.json``, 0600, written
  whole; a cache can be wiped without losing it, ``repo remove`` forgets it;
- :class:`Untrusted`: what a repo whose index was refused is in a layered catalog. It
  answers no query: each one is the refusal, naming what was asked for, the repo and
  its keys, so that a name an earlier repo holds still resolves, and nothing of the
  refused index (nor of a repo after it, which it would shadow) is ever used.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .. import fsutil, repos
from ..errors import NotFound, SignatureError
from ..model import Entry, ResourceDetail
from ..settings import Settings
from .base import SearchHit, Verified

if TYPE_CHECKING:
    from ..repos import Repo
    from ..signing.index_sig import Seen
    from ..signing.index_sig import Verified as IndexVerified
    from ..signing.keys import PublicKey

SIG_NAME = "index.yaml.sig"  # signing.index_sig.SIG_NAME, without importing cryptography here


@dataclass(frozen=True)
class Trust:
    """The keys a repo requires its index to be signed by."""

    repo: str
    keys: tuple[PublicKey, ...]

    @property
    def ids(self) -> str:
        return " or ".join(k.keyid for k in self.keys)

    def refusal(self, error: SignatureError) -> SignatureError:
        """``error`` as the repo's: one line naming the repo and its keys."""
        return SignatureError(f"repo {self.repo} requires an index signed by {self.ids}: {error}",
                              reason=error.reason)


def trust_of(repo: Repo, settings: Settings) -> Trust | None:
    """The keys ``repo`` requires (its config's ``keys``), or None when it requires none."""
    if not repo.keys:
        return None
    from ..signing.keys import load_public

    where = f"{repos.config_path(settings)}: repo {repo.name}: keys"
    return Trust(repo.name, tuple(load_public(pem.encode("utf-8"), f"{where}[{i}]")
                                  for i, pem in enumerate(repo.keys)))


# -- what was accepted last ----------------------------------------------------------------
def seen_path(repo: str, settings: Settings) -> Path:
    return settings.state_home / "trust" / f"{repo}.json"


def _state(repo: str, settings: Settings) -> dict[str, Any]:
    """What is kept for ``repo``: empty when nothing is (or the file is not one of ours:
    a missing or damaged file starts again from the next signed index)."""
    path = seen_path(repo, settings)
    try:
        fsutil.private_dir(path.parent, base=settings.state_home)
        data = json.loads(fsutil.read_private(path))
    except (OSError, ValueError, fsutil.Unwritable):
        return {}
    return data if isinstance(data, dict) else {}


def _keep(repo: str, data: dict[str, Any], settings: Settings) -> None:
    fsutil.atomic_write(seen_path(repo, settings), json.dumps(data, indent=1) + "\n", private=True,
                        base=settings.state_home)


def last_seen(repo: str, settings: Settings) -> Seen | None:
    """The last index accepted from ``repo``; None when none was."""
    from ..signing.index_sig import Seen

    data = _state(repo, settings)
    serial, digest = data.get("serial"), data.get("sha256")
    if isinstance(serial, bool) or not isinstance(serial, int) or not isinstance(digest, str):
        return None
    return Seen(serial, digest)


def last_refusal(repo: str, settings: Settings) -> str | None:
    """Why the last index offered by ``repo`` was refused, when nothing was accepted since."""
    refused = _state(repo, settings).get("refused")
    return refused if isinstance(refused, str) else None


def remember(repo: str, verified: IndexVerified, settings: Settings) -> None:
    """Keep ``verified`` as the last index accepted from ``repo`` (and forget a refusal).
    Never a lower serial than the one kept: another process may have accepted a newer
    index meanwhile, and going back would let an older one be replayed."""
    data = _state(repo, settings)
    kept = data.get("serial")
    if isinstance(kept, int) and not isinstance(kept, bool) and kept > verified.serial:
        return
    fresh = {"serial": verified.serial, "sha256": verified.sha256, "keyid": verified.keyid,
             "expires": verified.expires.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if data != fresh:
        _keep(repo, fresh, settings)


def _remember_refusal(repo: str, error: SignatureError, settings: Settings) -> None:
    """Keep why an index was refused, for ``repo list``; never in the way of the refusal."""
    data = _state(repo, settings)
    if data.get("refused") == str(error):
        return
    data["refused"] = str(error)
    with contextlib.suppress(OSError, fsutil.UnsafePath):
        _keep(repo, data, settings)


def forget(repo: str, settings: Settings) -> None:
    """``repo remove``: the next repo of that name starts from its first signed index."""
    with contextlib.suppress(OSError):
        seen_path(repo, settings).unlink()


def check(trust: Trust, index: bytes, sig: bytes | None, settings: Settings, where: str, *,
          record: bool = True) -> IndexVerified:
    """Accept ``index`` only with ``sig`` (the bytes of its index.yaml.sig, None when there
    is none at ``where``) valid by one of ``trust``'s keys now, and not older than the last
    index accepted from the repo, which it then becomes (unless not ``record``; a refusal
    is then kept too, for ``repo list``)."""
    from ..signing.index_sig import verify_index

    try:
        if sig is None:
            raise SignatureError(f"there is no {SIG_NAME}: the index is not signed", where, reason="unsigned")
        verified = verify_index(index, sig, trust.keys, datetime.now(timezone.utc),
                                last_seen(trust.repo, settings), where)
    except SignatureError as exc:
        refusal = trust.refusal(exc)
        if record:
            _remember_refusal(trust.repo, refusal, settings)
        raise refusal from None
    if record:
        remember(trust.repo, verified, settings)
    return verified


# -- a refused repo -------------------------------------------------------------------------
class Untrusted:
    """A repo whose index was refused, as a member of a catalog: every query is the refusal."""

    def __init__(self, name: str, location: str, error: SignatureError) -> None:
        self.name = name
        self.location = location
        self.error = error

    @property
    def warnings(self) -> list[str]:
        return []

    def _refuse(self, what: str | None = None) -> NoReturn:
        raise SignatureError(self.error.message, what, reason=self.error.reason)

    def names(self) -> list[str]:
        self._refuse()

    def kinds(self, name: str) -> list[str]:
        self._refuse(name.rpartition("/")[2])

    def versions(self, name: str, kind: str | None = None) -> tuple[Entry, ...]:
        self._refuse(name.rpartition("/")[2])

    def get(self, name: str, version: str | None = None, kind: str | None = None) -> Entry:
        self._refuse(name.rpartition("/")[2])

    def search(self, term: str = "", *, category: str | None = None, tag: str | None = None,
               platform: str | None = None, kind: str | None = None) -> list[SearchHit]:
        self._refuse()

    def pin(self, name: str, repo: str) -> None:
        if repo != self.name:
            raise NotFound(f"repo {repo!r} is not part of catalog {self.location}")

    def origin(self, entry: Entry) -> str:
        self._refuse(entry.name)

    def signed_by(self, entry: Entry) -> str | None:
        return None

    def has_file(self, rel: str, digest: str) -> bool:
        return False  # it serves nothing

    def read_file(self, rel: str, digest: str | None) -> bytes:
        self._refuse(rel)

    def load(self, entry: Entry) -> Verified:
        self._refuse(entry.name)

    def load_resource(self, entry: Entry) -> dict[str, Any]:
        self._refuse(entry.name)

    def detail(self, entry: Entry) -> ResourceDetail:
        self._refuse(entry.name)
