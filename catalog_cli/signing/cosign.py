"""cosign's key-based signatures of OCI artifacts ("simple signing"), as bytes.

What cosign writes for ``cosign sign --key`` (sigstore/cosign ``specs/SIGNATURE_SPEC.md``
and its ``pkg/oci``; the payload type from sigstore/sigstore
``pkg/signature/payload``), re-stated:

- the payload is Go's ``json.Marshal`` of ``{"critical": {"identity":
  {"docker-reference": REPO}, "image": {"docker-manifest-digest": DIGEST}, "type":
  "cosign container image signature"}, "optional": ANNOTATIONS or null}`` (REPO as
  go-containerregistry names a repository: ``registry/path``, Docker Hub as
  ``index.docker.io/library/x``);
- the signature is ECDSA P-256 over SHA-256 of the payload bytes, DER, base64;
- it is stored in the artifact's repository under the tag ``sha256-<hex>.sig``: an
  OCI image manifest whose one layer per signature is the payload blob, media type
  ``application/vnd.dev.cosign.simplesigning.v1+json``, carrying the signature in the
  annotation ``dev.cosignproject.cosign/signature``.

A verifier reads the layers and their annotations only; the config blob here has the
shape go-containerregistry gives an empty image with layers appended, but is not
claimed byte-identical to cosign's. Keyless signing (Fulcio certificates, Rekor
bundles: the ``dev.sigstore.cosign/certificate`` and ``.../bundle`` annotations)
needs services out of reach offline; :func:`verify_signatures` checks keys only, and
a certificate path would be another verifier beside :func:`_verify_layer`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import SignatureError
from . import gojson
from .keys import PrivateKey, PublicKey

PAYLOAD_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
SIGNATURE_TYPE = "cosign container image signature"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
#: A simple-signing payload is a few hundred bytes; larger blobs are not read.
MAX_PAYLOAD_BYTES = 64 * 1024
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class SignatureImage:
    """What to push for one signature: the blobs by digest, then the manifest under ``tag``."""

    tag: str
    manifest: bytes
    blobs: dict[str, bytes] = field(default_factory=dict)
    media_type: str = MANIFEST_MEDIA_TYPE


@dataclass(frozen=True)
class Verified:
    """A digest whose signature verified: by which key, claiming which repository."""

    digest: str
    keyid: str
    reference: str


def _check_digest(digest: str) -> str:
    if not _DIGEST.fullmatch(digest):
        raise ValueError(f"{digest!r} is not a sha256 digest (sha256: and 64 lower-case hex digits)")
    return digest


def signature_tag(digest: str) -> str:
    """The tag cosign stores ``digest``'s signatures under: ``sha256-<hex>.sig``."""
    return _check_digest(digest).replace(":", "-", 1) + ".sig"


def docker_reference(registry: str, repository: str) -> str:
    """A repository as go-containerregistry's ``Repository.Name()`` writes it, which is
    what cosign puts in ``docker-reference``: Docker Hub is ``index.docker.io`` and
    its one-part names are under ``library/``."""
    if registry in ("docker.io", "index.docker.io", ""):
        registry = "index.docker.io"
        if "/" not in repository:
            repository = f"library/{repository}"
    return f"{registry}/{repository}"


def payload(reference: str, digest: str, annotations: Mapping[str, Any] | None = None) -> bytes:
    """The simple-signing payload cosign signs for ``reference`` at ``digest``."""
    critical = (f'{{"identity":{{"docker-reference":{gojson.string(reference)}}},'
                f'"image":{{"docker-manifest-digest":{gojson.string(_check_digest(digest))}}},'
                f'"type":{gojson.string(SIGNATURE_TYPE)}}}')
    optional = "null" if annotations is None else gojson.value(dict(annotations))
    return f'{{"critical":{critical},"optional":{optional}}}'.encode()


def _descriptor(media_type: str, data: bytes, annotations: Mapping[str, str] | None = None) -> str:
    out = (f'{{"mediaType":{gojson.string(media_type)},"size":{len(data)},'
           f'"digest":"sha256:{hashlib.sha256(data).hexdigest()}"')
    if annotations:
        out += f',"annotations":{gojson.value(dict(annotations))}'
    return out + "}"


def sign(key: PrivateKey, reference: str, digest: str, annotations: Mapping[str, Any] | None = None) -> SignatureImage:
    """The signature image cosign would push for ``reference@digest`` signed by ``key``."""
    body = payload(reference, digest, annotations)
    b64 = base64.b64encode(key.sign(body)).decode("ascii")
    layer_digest = "sha256:" + hashlib.sha256(body).hexdigest()
    config = ('{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],'
              f'"os":"","rootfs":{{"type":"layers","diff_ids":["{layer_digest}"]}},"config":{{}}}}').encode()
    manifest = (f'{{"schemaVersion":2,"mediaType":"{MANIFEST_MEDIA_TYPE}",'
                f'"config":{_descriptor(CONFIG_MEDIA_TYPE, config)},'
                f'"layers":[{_descriptor(PAYLOAD_MEDIA_TYPE, body, {SIGNATURE_ANNOTATION: b64})}]}}').encode()
    blobs = {"sha256:" + hashlib.sha256(config).hexdigest(): config, layer_digest: body}
    return SignatureImage(signature_tag(digest), manifest, blobs)


def _layers(manifest: bytes, where: str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(manifest)
    except (UnicodeDecodeError, ValueError):
        raise SignatureError("the signature manifest is not JSON", where, reason="malformed") from None
    layers = doc.get("layers") if isinstance(doc, dict) else None
    if not isinstance(layers, list):
        raise SignatureError("the signature manifest has no layers", where, reason="malformed")
    found = [layer for layer in layers if isinstance(layer, dict) and layer.get("mediaType") == PAYLOAD_MEDIA_TYPE
             and isinstance(layer.get("annotations"), dict) and SIGNATURE_ANNOTATION in layer["annotations"]]
    if not found:
        raise SignatureError("the signature manifest holds no cosign signature", where, reason="unsigned")
    return found


def _verify_layer(layer: dict[str, Any], fetch_blob: Callable[[str], bytes], trusted: Sequence[PublicKey],
                  ) -> tuple[PublicKey, dict[str, Any]] | None:
    """The key that signed this layer's payload and the parsed payload, or None."""
    digest, size = layer.get("digest"), layer.get("size")
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest) or not isinstance(size, int):
        return None
    if size > MAX_PAYLOAD_BYTES:
        return None
    try:
        sig = base64.b64decode(str(layer["annotations"][SIGNATURE_ANNOTATION]), validate=True)
    except (binascii.Error, ValueError):
        return None
    body = fetch_blob(digest)
    if len(body) != size or "sha256:" + hashlib.sha256(body).hexdigest() != digest:
        return None  # the blob is not the one the manifest names
    key = next((k for k in trusted if k.verify(sig, body)), None)
    if key is None:
        return None
    try:
        claims = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    return (key, claims) if isinstance(claims, dict) else None


def _part(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def verify_signatures(manifest: bytes, fetch_blob: Callable[[str], bytes], trusted: Sequence[PublicKey],
                      digest: str, reference: str | None = None, where: str = "") -> Verified:
    """Accept ``digest`` only if the signature manifest (what the ``sha256-<hex>.sig``
    tag holds) has a layer signed by one of ``trusted`` whose payload names that very
    digest, and ``reference`` too when given. ``fetch_blob(digest)`` returns a blob's
    bytes; each is checked against its digest. A :class:`SignatureError` otherwise:
    ``malformed``, ``unsigned``, ``bad-signature`` (nothing verifies with the keys) or
    ``wrong-subject`` (a valid signature, for another digest or repository)."""
    where = where or signature_tag(digest)
    others: list[str] = []
    for layer in _layers(manifest, where):
        found = _verify_layer(layer, fetch_blob, trusted)
        if found is None:
            continue
        key, claims = found
        critical = _part(claims, "critical")
        image, identity = _part(critical, "image"), _part(critical, "identity")
        signed_digest, signed_ref = image.get("docker-manifest-digest"), identity.get("docker-reference")
        if critical.get("type") != SIGNATURE_TYPE:
            others.append(f"a payload of type {critical.get('type')!r}")
        elif signed_digest != digest:
            others.append(f"digest {signed_digest}")
        elif reference is not None and signed_ref != reference:
            others.append(f"repository {signed_ref}")
        else:
            return Verified(digest, key.keyid, str(signed_ref))
    if others:
        raise SignatureError(f"signed by a trusted key, but for {others[0]}, not {reference or digest}: "
                             "a signature moved from another artifact", where, reason="wrong-subject")
    keyids = ", ".join(k.keyid for k in trusted) or "no trusted key"
    raise SignatureError(f"no signature of {digest} verifies with {keyids}", where, reason="bad-signature")
