"""The one error tree. Library code raises these; the CLI turns each into one line,
``catalog: error: <where>: <message>`` on stderr, and exits with its code::

    CatalogError              1  base; anything a user must hear about
    |-- InputError            2  a file, argument or option that is not what it must be
    |-- UnsafePath            2  a file or folder reached through a link, or someone else's
    |   `-- Unwritable        2  a folder of the tool's own state that cannot be made
    |-- NotFound              3  a name, version, path or URL that does not exist
    |-- IndexStale            4  ``index --check``: the committed index is out of date
    |-- RemoteError           5  a catalog server or registry down, slow or answering wrongly
    |   `-- Refused           5  HTTP 401/403: a cached copy is no answer to that
    |-- DigestMismatch        6  a fetched file whose sha256 is not the index's
    |   `-- EntryMismatch     6  a file that is not what its entry says: a forged or broken catalog
    |-- ClusterError          7  the Kubernetes API refused or failed a request
    |   `-- Forbidden         7  the caller lacks rights the change needs; nothing was written
    |-- ResolutionError       8  no versions fit, a dependency cycle, or the search gave up
    |   `-- NoSolution        8  no versions fit; the message explains why, one reason a line
    `-- SignatureError        9  a signature missing, malformed, by an untrusted key, not
                                 matching, expired, or older than one already accepted

Other exits: 0 success; 1 when a command reports what it found (``lint`` findings,
``search`` with no match, ``diff`` with differences, scaffold conflicts); 2 for
usage errors (Typer's own message); 130 when interrupted (Ctrl-C).

Exceptions of yaml, jsonschema, httpx and kubernetes are translated into these where
they enter (``raise ... from exc``), so nothing else reaches the user. This module
imports nothing of the package: every layer, the generic resolver included, may
import it.
"""

from __future__ import annotations


class CatalogError(Exception):
    """Base of every error the tool reports to a user.

    ``where`` names the file, field, object or URL at fault; the message says what is
    wrong with it. ``str(err)`` is the one line the CLI prints.
    """

    exit_code = 1

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class InputError(CatalogError):
    """A file, argument or option that is not what it must be."""

    exit_code = 2


class UnsafePath(CatalogError):
    """A file or folder the tool would read or write through a link, or that someone
    else controls (its own state, or a folder it was asked to fill)."""

    exit_code = 2


class Unwritable(UnsafePath):
    """A folder of the tool's own state that cannot be made (permissions, read-only
    file system): a cache may fall back to memory; everything else refuses."""


class NotFound(CatalogError):
    """A name, version, path or URL that does not exist."""

    exit_code = 3


class IndexStale(CatalogError):
    """``index --check`` found the committed index out of date."""

    exit_code = 4


class RemoteError(CatalogError):
    """A catalog server that is down, slow, or answers wrongly."""

    exit_code = 5


class Refused(RemoteError):
    """The server would not serve us (HTTP 401 or 403): a cached copy is no answer to that."""


class DigestMismatch(CatalogError):
    """A fetched file whose sha256 is not the one the index names."""

    exit_code = 6


class EntryMismatch(DigestMismatch):
    """A catalog whose files are not what its index says, digests matching or not: an
    entry named otherwise than its key, a document of another kind, apiVersion or name
    than its entry, RBAC or dependencies that differ from the index's. The catalog is
    forged or broken; nothing of it is installed. Exit code 6, as a digest mismatch."""


class ClusterError(CatalogError):
    """The Kubernetes API refused or failed a request; ``status`` is its HTTP status
    (None when the server could not be reached). A server-side apply refused for
    conflicts names the field managers that own the fields in ``conflicts``."""

    exit_code = 7

    def __init__(self, message: str, where: str | None = None, status: int | None = None,
                 conflicts: tuple[str, ...] = ()) -> None:
        super().__init__(message, where)
        self.status = status
        self.conflicts = conflicts


class Forbidden(ClusterError):
    """The caller lacks rights the change needs; nothing was written.

    ``missing`` lists them as (verb, resource, namespace, why) rows (``why`` may be
    empty), and ``summary`` is the line that goes above them when they are shown as a
    table; ``str()`` stays the whole story on one line."""

    def __init__(self, message: str, where: str | None = None, status: int | None = 403,
                 missing: tuple[tuple[str, str, str, str], ...] = (), summary: str | None = None) -> None:
        super().__init__(message, where, status)
        self.missing = missing
        self._summary = summary

    @property
    def summary(self) -> str:
        short = self._summary or self.message
        return f"{self.where}: {short}" if self.where else short


class ResolutionError(CatalogError):
    """No set of versions satisfies the requirements."""

    exit_code = 8


class NoSolution(ResolutionError):
    """No set of candidates satisfies the requirements; ``str()`` explains why, one
    reason a line, in the manner of PubGrub. ``incompatibility`` is the failure the
    resolver derived (a ``resolver.Incompatibility``; only ``object`` here so that the
    error tree imports nothing). ``full`` is the whole derivation when the message is a
    shortened one (``--verbose`` shows it)."""

    def __init__(self, message: str, incompatibility: object, full: str | None = None) -> None:
        super().__init__(message)
        self.incompatibility = incompatibility
        self.full = full


class SignatureError(CatalogError):
    """A signature that cannot be trusted: missing, malformed, made by a key nobody
    trusts, not matching what it signs, expired, or older than one already accepted
    (a rollback or a replay). ``reason`` names which, as one of the ``REASONS`` (tests
    and callers branch on it, never on the message); nothing signed by it is used."""

    exit_code = 9

    REASONS = (
        "malformed",      # the signature (or its file) cannot be read as what it must be
        "unsigned",       # there is no signature where one is required
        "unknown-key",    # no signature by a trusted key
        "bad-signature",  # a trusted key's signature that does not verify
        "tampered",       # a valid signature over other bytes than those at hand
        "expired",        # past the expiry the signer set
        "rollback",       # older than the last one accepted
        "replay",         # the serial of the last one accepted, over other bytes
        "wrong-subject",  # a valid signature for another digest, image or object
    )

    def __init__(self, message: str, where: str | None = None, reason: str = "bad-signature") -> None:
        if reason not in self.REASONS:
            raise ValueError(f"unknown signature failure reason {reason!r}")
        super().__init__(message, where)
        self.reason = reason
