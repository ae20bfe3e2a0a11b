"""cosign signatures of Tekton bundles in the registry: pushed beside a bundle by
``publish --sign``, fetched and checked by ``install oci://`` before anything is applied.

The bytes are :mod:`catalog_cli.signing.cosign`'s (what ``cosign sign --key`` stores);
this module only moves them: the signature image goes under the tag
``sha256-<hex>.sig`` in the bundle's own repository, where cosign, Kyverno and
``cosign verify --key`` look for it.

Verification accepts a bundle's digest only if a payload signed by a trusted key names
that very digest: a bundle re-tagged (another digest under the tag) has no signature
of its own, and one copied from another digest names that other digest. As ``cosign
verify`` does, the repository named in the payload is not required to be the one the
bundle is read from, so that a bundle copied to a mirror with its signature (``cosign
copy``) still verifies: its digest is still the content that was signed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import NotFound, SignatureError
from ..settings import Settings
from .registry import ImageRef, Registry, client, fetch_blob, fetch_manifest, push_manifest

if TYPE_CHECKING:
    from ..signing.cosign import Verified
    from ..signing.keys import PrivateKey, PublicKey


def sign_bundle(key: PrivateKey, ref: ImageRef, digest: str, *, insecure: bool = False,
                settings: Settings | None = None) -> str:
    """Sign the bundle at ``ref``'s repository and ``digest`` with ``key``, as ``cosign sign
    --key`` does; returns where the signature went (``REGISTRY/REPO:sha256-<hex>.sig``)."""
    from ..signing import cosign

    image = cosign.sign(key, cosign.docker_reference(ref.registry, ref.repository), digest)
    target = ImageRef(ref.registry, ref.repository, image.tag)
    push_manifest(client(target, insecure, settings), target, image.manifest, image.media_type, image.blobs)
    return str(target)


def verify_bundle(reg: Registry, ref: ImageRef, trusted: Sequence[PublicKey]) -> Verified:
    """Accept the bundle at ``ref`` (pinned by digest) only with a cosign signature by one
    of ``trusted`` naming that digest; a :class:`SignatureError` otherwise (``unsigned``
    when there is no signature image at all)."""
    from ..signing import cosign

    if ref.digest is None:
        raise ValueError("a bundle is verified by its digest")
    target = ImageRef(ref.registry, ref.repository, cosign.signature_tag(ref.digest))
    try:
        body, _ = fetch_manifest(reg, target)
    except NotFound:
        raise SignatureError(f"no cosign signature ({target.tag} is not in the registry)", str(ref),
                             reason="unsigned") from None

    def blob(digest: str) -> bytes:
        return fetch_blob(reg, target, digest, cosign.MAX_PAYLOAD_BYTES, f"{target} {digest}")

    return cosign.verify_signatures(body, blob, trusted, ref.digest, where=str(target))
