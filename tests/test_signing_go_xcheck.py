"""catalog's bytes against Go's own: tests/data/signing/go-xcheck.json was written by a
Go program (scripts/signing-xcheck.sh) built on Kubernetes 1.20's vendored
k8s.io/api, k8s.io/apimachinery and sigs.k8s.io/yaml: Go's encoding/json, YAML
decoding, ObjectMeta, Quantity, Duration and IntOrString, real core/v1 types, and Go's
crypto (ECDSA, x509, scrypt, NaCl secretbox) for cosign's formats.

Its ObjectMeta is apimachinery 1.20's, which writes "creationTimestamp":null: the
serialisation of Tekton releases before v1.10 (Serialisation.BEFORE_1_10). Tekton's
own structs there come from catalog's table, so what this proves is the encoding of
that table and of the Kubernetes types, not the table's transcription of Tekton."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
from typing import Any

import pytest
import yaml

from catalog_cli.signing import cosign, gojson, keys, tekton
from catalog_cli.signing.tekton import Serialisation
from tests.conftest import ROOT

GO = json.loads((ROOT / "tests" / "data" / "signing" / "go-xcheck.json").read_text())


def _inputs() -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("xcheck_inputs", ROOT / "scripts" / "signing-xcheck" / "inputs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.inputs()  # type: ignore[no-any-return]


INPUTS = _inputs()


def _unchanged() -> list[tuple[str, str]]:
    """The documents whose text is what Go read (the built-in catalog may have moved on)."""
    return [(name, text) for name, text in INPUTS["tekton"].items()
            if name in GO["tekton"] and GO["tekton"][name]["input"] == hashlib.sha256(text.encode()).hexdigest()]


def test_the_test_documents_are_serialised_byte_for_byte_as_go_writes_them() -> None:
    compared = [n for n, _ in _unchanged() if n.startswith("data/")]
    assert compared == ["data/pipeline-everything.yaml", "data/task-everything.yaml"]
    for name, text in _unchanged():
        if name.startswith("data/"):
            mine = tekton.canonical_json(yaml.safe_load(text), name, Serialisation.BEFORE_1_10).decode()
            assert mine == GO["tekton"][name]["canonical"], name


def test_every_corpus_and_builtin_document_hashes_as_go_hashes_it() -> None:
    unchanged = _unchanged()
    assert sum(n.startswith("corpus/") for n, _ in unchanged) >= 80
    for name, text in unchanged:
        mine = hashlib.sha256(tekton.canonical_json(yaml.safe_load(text), name, Serialisation.BEFORE_1_10)).hexdigest()
        assert mine == GO["tekton"][name]["sha256"], name


def test_signatures_go_made_over_the_checksum_verify_here() -> None:
    public = keys.load_public(GO["publicKey"].encode(), "go.pub")
    for name, text in _unchanged():
        doc = yaml.safe_load(text)
        meta = doc.setdefault("metadata", {})
        meta["annotations"] = {**(meta.get("annotations") or {}),
                               tekton.SIGNATURE_ANNOTATION: GO["tekton"][name]["signature"]}
        assert tekton.verify(doc, [public], name).serialisation is Serialisation.BEFORE_1_10


def test_the_current_serialisation_differs_only_by_the_creation_timestamp() -> None:
    text = INPUTS["tekton"]["data/task-everything.yaml"]
    old = tekton.canonical_json(yaml.safe_load(text), "t", Serialisation.BEFORE_1_10)
    assert tekton.canonical_json(yaml.safe_load(text), "t") == old.replace(b'"creationTimestamp":null,', b"", 1)


def test_durations_are_parsed_and_written_as_go_does() -> None:
    for text, written in GO["durations"].items():
        try:
            mine = gojson.format_duration(gojson.parse_duration(text))
        except ValueError:
            mine = "error"
        assert mine == written, text


#: Forms Go's Quantity handles with arbitrary precision, which catalog refuses rather than guesses.
REFUSED_QUANTITIES = {"1.5Gi", "100Ti", "1e3", "8Ei"}


def test_quantities_are_written_as_go_does_or_refused() -> None:
    for text, written in GO["quantities"].items():
        if text in REFUSED_QUANTITIES:
            with pytest.raises(ValueError):
                gojson.quantity(text)
        else:
            assert gojson.quantity(text) == written, text


def test_strings_are_escaped_as_go_does() -> None:
    for text, written in GO["strings"].items():
        assert gojson.string(text) == written, repr(text)


def test_the_cosign_payload_is_the_bytes_go_marshals() -> None:
    ref, digest = INPUTS["reference"], INPUTS["digest"]
    assert cosign.payload(ref, digest).decode() == GO["cosign"]["payload"]
    assert cosign.payload(ref, digest, INPUTS["optional"]).decode() == GO["cosign"]["annotatedPayload"]


def test_a_signature_go_made_verifies_in_a_cosign_signature_image() -> None:
    public = keys.load_public(GO["publicKey"].encode(), "go.pub")
    body = GO["cosign"]["payload"].encode()
    layer = {"mediaType": cosign.PAYLOAD_MEDIA_TYPE, "size": len(body),
             "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
             "annotations": {cosign.SIGNATURE_ANNOTATION: GO["cosign"]["signature"]}}
    manifest = json.dumps({"schemaVersion": 2, "layers": [layer]}).encode()
    verified = cosign.verify_signatures(manifest, {layer["digest"]: body}.__getitem__, [public], INPUTS["digest"])
    assert verified.keyid == public.keyid
    assert public.verify(base64.b64decode(GO["cosign"]["signature"]), body)


def test_a_cosign_encrypted_key_written_by_go_is_read() -> None:
    pem = GO["cosign"]["privateKey"].encode()
    assert pem.startswith(b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
    key = keys.load_private(pem, "cosign.key", INPUTS["passphrase"].encode())
    assert key.keyid == keys.load_public(GO["publicKey"].encode(), "go.pub").keyid
    with pytest.raises(Exception, match="wrong passphrase"):
        keys.load_private(pem, "cosign.key", b"not it")

