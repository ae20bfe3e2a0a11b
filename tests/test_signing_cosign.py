"""cosign simple signing: the payload's bytes, the signature image, and every refusal."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from catalog_cli.errors import SignatureError
from catalog_cli.signing import cosign, keys

DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32
REPO = "127.0.0.1:5000/catalog/git-clone"


@pytest.fixture(scope="module")
def key() -> keys.PrivateKey:
    return keys.generate()


def test_the_payload_is_the_json_cosign_writes() -> None:
    assert cosign.payload(REPO, DIGEST) == (
        b'{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/catalog/git-clone"},'
        b'"image":{"docker-manifest-digest":"sha256:' + b"ab" * 32 + b'"},'
        b'"type":"cosign container image signature"},"optional":null}')


def test_annotations_go_in_optional_with_keys_sorted_as_go_sorts_a_map() -> None:
    body = cosign.payload(REPO, DIGEST, {"b": "x&y", "a": 1, "c": True})
    assert body.endswith(b'"optional":{"a":1,"b":"x\\u0026y","c":true}}')


def test_the_signature_tag_is_the_digest_with_a_dash_and_sig() -> None:
    assert cosign.signature_tag(DIGEST) == "sha256-" + "ab" * 32 + ".sig"
    with pytest.raises(ValueError):
        cosign.signature_tag("sha256:ABC")


@pytest.mark.parametrize(("registry", "repository", "name"), [
    ("docker.io", "ubuntu", "index.docker.io/library/ubuntu"),
    ("index.docker.io", "tekton/catalog", "index.docker.io/tekton/catalog"),
    ("ghcr.io", "tektoncd/catalog/git-clone", "ghcr.io/tektoncd/catalog/git-clone"),
    ("127.0.0.1:5000", "x", "127.0.0.1:5000/x"),
])
def test_docker_reference_names_repositories_as_go_containerregistry_does(registry: str, repository: str, name: str) -> None:
    assert cosign.docker_reference(registry, repository) == name


def test_the_signature_image_has_the_layer_cosign_verifiers_read(key: keys.PrivateKey) -> None:
    image = cosign.sign(key, REPO, DIGEST)
    assert image.tag == cosign.signature_tag(DIGEST)
    manifest = json.loads(image.manifest)
    assert manifest["schemaVersion"] == 2 and manifest["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert list(manifest) == ["schemaVersion", "mediaType", "config", "layers"]
    (layer,) = manifest["layers"]
    assert layer["mediaType"] == "application/vnd.dev.cosign.simplesigning.v1+json"
    payload = image.blobs[layer["digest"]]
    assert payload == cosign.payload(REPO, DIGEST) and layer["size"] == len(payload)
    assert layer["digest"] == "sha256:" + hashlib.sha256(payload).hexdigest()
    sig = base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"], validate=True)
    assert key.public.verify(sig, payload)  # ECDSA over SHA-256 of the payload bytes
    config = image.blobs[manifest["config"]["digest"]]
    assert manifest["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json"
    assert json.loads(config)["rootfs"] == {"type": "layers", "diff_ids": [layer["digest"]]}


def _verify(image: cosign.SignatureImage, trusted: list[keys.PublicKey], digest: str = DIGEST,
            reference: str | None = None, blobs: dict[str, bytes] | None = None) -> cosign.Verified:
    store = blobs if blobs is not None else image.blobs
    return cosign.verify_signatures(image.manifest, store.__getitem__, trusted, digest, reference)


def _refused(reason: str, *args: object, **kwargs: object) -> SignatureError:
    with pytest.raises(SignatureError) as err:
        _verify(*args, **kwargs)  # type: ignore[arg-type]
    assert err.value.reason == reason, str(err.value)
    assert err.value.exit_code == 9
    return err.value


def test_a_signature_verifies_for_its_digest(key: keys.PrivateKey) -> None:
    v = _verify(cosign.sign(key, REPO, DIGEST), [key.public], reference=REPO)
    assert (v.digest, v.keyid, v.reference) == (DIGEST, key.keyid, REPO)


def test_a_signature_for_another_digest_is_refused(key: keys.PrivateKey) -> None:
    """A re-tagged artifact: its digest is OTHER, the signature found is DIGEST's."""
    err = _refused("wrong-subject", cosign.sign(key, REPO, DIGEST), [key.public], digest=OTHER)
    assert f"digest {DIGEST}" in str(err) and "another artifact" in str(err)


def test_a_signature_claiming_another_repository_is_refused_when_the_repository_is_checked(key: keys.PrivateKey) -> None:
    image = cosign.sign(key, "127.0.0.1:5000/elsewhere", DIGEST)
    assert _verify(image, [key.public]).reference == "127.0.0.1:5000/elsewhere"  # cosign's default: not checked
    _refused("wrong-subject", image, [key.public], reference=REPO)


def test_a_signature_by_an_untrusted_key_is_refused(key: keys.PrivateKey) -> None:
    _refused("bad-signature", cosign.sign(keys.generate(), REPO, DIGEST), [key.public])


def test_a_payload_swapped_in_the_registry_is_refused(key: keys.PrivateKey) -> None:
    image = cosign.sign(key, REPO, DIGEST)
    layer_digest = json.loads(image.manifest)["layers"][0]["digest"]
    forged = cosign.payload(REPO, OTHER)
    _refused("bad-signature", image, [key.public], digest=OTHER, blobs={**image.blobs, layer_digest: forged})


def test_a_payload_and_manifest_rewritten_without_the_key_are_refused(key: keys.PrivateKey) -> None:
    """The attacker rewrites the payload for another digest and the manifest to match,
    keeping the old signature annotation."""
    image = cosign.sign(key, REPO, DIGEST)
    manifest = json.loads(image.manifest)
    forged = cosign.payload(REPO, OTHER)
    manifest["layers"][0].update(digest="sha256:" + hashlib.sha256(forged).hexdigest(), size=len(forged))
    rewritten = cosign.SignatureImage(image.tag, json.dumps(manifest).encode(),
                                      {manifest["layers"][0]["digest"]: forged})
    _refused("bad-signature", rewritten, [key.public], digest=OTHER)


@pytest.mark.parametrize("manifest", [b"", b"not json", b"[]", b'{"layers": {}}'])
def test_a_malformed_signature_manifest_is_refused(key: keys.PrivateKey, manifest: bytes) -> None:
    _refused("malformed", cosign.SignatureImage("t", manifest), [key.public])


def test_a_manifest_without_cosign_layers_is_unsigned(key: keys.PrivateKey) -> None:
    image = cosign.sign(key, REPO, DIGEST)
    manifest = json.loads(image.manifest)
    manifest["layers"][0]["annotations"] = {}
    _refused("unsigned", cosign.SignatureImage("t", json.dumps(manifest).encode(), image.blobs), [key.public])


def test_one_good_signature_among_others_is_enough(key: keys.PrivateKey) -> None:
    good, bad = cosign.sign(key, REPO, DIGEST), cosign.sign(keys.generate(), REPO, DIGEST)
    manifest = json.loads(bad.manifest)
    manifest["layers"] += json.loads(good.manifest)["layers"]
    both = cosign.SignatureImage("t", json.dumps(manifest).encode(), {**bad.blobs, **good.blobs})
    assert _verify(both, [key.public]).keyid == key.keyid


def test_an_oversized_payload_is_not_read(key: keys.PrivateKey) -> None:
    image = cosign.sign(key, REPO, DIGEST)
    manifest = json.loads(image.manifest)
    manifest["layers"][0]["size"] = cosign.MAX_PAYLOAD_BYTES + 1
    fetched: list[str] = []

    def fetch(digest: str) -> bytes:
        fetched.append(digest)
        return image.blobs[digest]

    with pytest.raises(SignatureError):
        cosign.verify_signatures(json.dumps(manifest).encode(), fetch, [key.public], DIGEST)
    assert fetched == []
