"""catalog_cli.refs: every reference a Tekton document makes, parsed into typed values
(the cases are tests/data/refs/parse.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog_cli.refs import Image, LocalRef, ResolverRef, find_refs, hub_range, parse_ref, shown, split_image

CASES = yaml.safe_load((Path(__file__).parent / "data" / "refs" / "parse.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_every_reference_of_a_document(case: dict[str, Any]) -> None:
    sites = find_refs(case["doc"])
    assert [s.where for s in sites] == [r["where"] for r in case["refs"]]
    for site, want in zip(sites, case["refs"], strict=True):
        if "local" in want:
            assert site.ref == LocalRef(**want["local"])
            continue
        ref = site.ref
        assert isinstance(ref, ResolverRef)
        got = {"resolver": ref.resolver, "kind": ref.kind, "name": ref.name, "version": ref.version,
               "range": ref.range, "pin": ref.pin, "describe": ref.describe(), "legacy": ref.legacy,
               "parameterised": ref.parameterised, "identity": dict(ref.identity().params)}
        assert {k: got[k] for k in want if k != "where"} == {k: v for k, v in want.items() if k != "where"}


def test_the_index_form_reads_back_as_the_same_reference() -> None:
    for site in find_refs(CASES[0]["doc"]):
        if isinstance(site.ref, ResolverRef):
            ref = site.ref.identity()
            assert ResolverRef.from_dict(ref.to_dict(), ref.kind) == ref


def test_identity_keeps_what_names_the_resource_not_how_to_fetch_it() -> None:
    ref = parse_ref({"resolver": "bundles", "params": [
        {"name": "bundle", "value": "r.io/x/kaniko:0.2"}, {"name": "name", "value": "kaniko"},
        {"name": "secret", "value": "creds"}, {"name": "cache", "value": "always"}]}, "Task")
    assert isinstance(ref, ResolverRef)
    assert ref.identity().params == (("bundle", "r.io/x/kaniko:0.2"), ("name", "kaniko"))


@pytest.mark.parametrize(("params", "pin", "want"), [
    ([("bundle", "r.io/x/kaniko:0.2"), ("name", "kaniko")], "sha256:" + "a" * 64,
     [("bundle", "r.io/x/kaniko:0.2@sha256:" + "a" * 64), ("name", "kaniko")]),
    ([("bundle", "r.io/x/kaniko:0.2@sha256:" + "b" * 64)], "sha256:" + "a" * 64,
     [("bundle", "r.io/x/kaniko:0.2@sha256:" + "a" * 64)]),
])
def test_a_bundle_is_pinned_beside_its_tag(params: list[tuple[str, str]], pin: str,
                                          want: list[tuple[str, str]]) -> None:
    assert ResolverRef("bundles", "Task", "kaniko", tuple(params)).pinned(pin).params == tuple(want)


def test_a_git_revision_is_pinned_to_the_commit() -> None:
    ref = ResolverRef("git", "Task", "x", (("url", "https://h/r"), ("pathInRepo", "x.yaml")))
    commit = "c" * 40
    assert ref.pinned(commit).params == (("url", "https://h/r"), ("pathInRepo", "x.yaml"), ("revision", commit))
    assert ref.pinned(commit).pin == commit
    hub = ResolverRef("hub", "Task", "x", (("name", "x"),))
    assert hub.pinned(commit) == hub  # nothing to pin a hub reference to


@pytest.mark.parametrize(("text", "want"), [
    ("0.9", "=0.9.0"),
    ("v1.2.3", "=1.2.3"),
    (">= 0.7.0", ">=0.7.0"),
    (">=0.1, <0.3", ">=0.1.0 <0.3.0"),
    ("~> 1.2", ">=1.2.0 <2.0.0-0"),  # go-version: only the last segment given may grow
    ("~> 1.2.3", ">=1.2.3 <1.3.0-0"),
    ("!= 0.2", None),
    ("0.1 || 0.2", None),
    ("latest", None),
])
def test_hub_version_constraints_as_ranges(text: str, want: str | None) -> None:
    assert hub_range(text) == want


@pytest.mark.parametrize(("text", "want"), [
    ("gcr.io/tekton-releases/catalog/upstream/kaniko:0.6",
     Image("gcr.io", "tekton-releases/catalog/upstream/kaniko", "0.6")),
    ("127.0.0.1:5000/cat/x@sha256:" + "a" * 64, Image("127.0.0.1:5000", "cat/x", None, "sha256:" + "a" * 64)),
    ("127.0.0.1:5000/cat/x:1.0@sha256:" + "a" * 64, Image("127.0.0.1:5000", "cat/x", "1.0", "sha256:" + "a" * 64)),
    ("no-registry", None),
])
def test_split_image(text: str, want: Image | None) -> None:
    assert split_image(text) == want
    if want is not None:
        assert str(want) == text


def test_unquoted_numbers_are_read_as_written_and_other_values_ignored() -> None:
    ref = parse_ref({"resolver": "hub", "params": [
        {"name": "name", "value": "x"}, {"name": "version", "value": 0.2},
        {"name": "extra", "value": ["a", "b"]}, {"value": "no name"}]}, "Task")
    assert isinstance(ref, ResolverRef)
    assert ref.params == (("name", "x"), ("version", "0.2"))


# -- credentials a reference may carry ----------------------------------------------------------
@pytest.mark.parametrize(("text", "want"), [
    ("https://alice:tok@git.example.com/a/b.git", "https://git.example.com/a/b.git"),
    ("https://git.example.com/a/b.git?private_token=tok#x", "https://git.example.com/a/b.git"),
    ("https://alice@git.example.com:8443/a", "https://git.example.com:8443/a"),
    ("https://GIT.example.com/a/b.git", "https://GIT.example.com/a/b.git"),  # nothing to hide: as written
    ("alice:tok@git.example.com:a/b.git", "git.example.com:a/b.git"),
    ("git@github.com:a/b.git", "github.com:a/b.git"),
    ("dave:tok@registry.example.com/cat/x:0.2", "registry.example.com/cat/x:0.2"),
    ("registry.example.com/cat/x:0.2@sha256:" + "a" * 64, "registry.example.com/cat/x:0.2@sha256:" + "a" * 64),
    ("https://[::1/x?token=tok", "(a URL that does not parse)"),
])
def test_a_location_is_shown_without_credentials(text: str, want: str) -> None:
    assert shown(text) == want


def test_identity_and_describe_never_carry_a_credential() -> None:
    git = ResolverRef("git", "Task", "x", (("url", "https://a:tok@h/r.git"), ("revision", "main"),
                                           ("pathInRepo", "task/x/0.1/x.yaml"), ("token", "tok")))
    assert git.identity().params == (("url", "https://h/r.git"), ("revision", "main"),
                                     ("pathInRepo", "task/x/0.1/x.yaml"))
    assert git.describe() == "git https://h/r.git@main:task/x/0.1/x.yaml"
    custom = ResolverRef("vault", "Task", "x", (("name", "x"), ("apiToken", "tok"), ("url", "https://u:tok@v/x")))
    assert custom.identity().params == (("name", "x"), ("url", "https://v/x"))
    assert custom.describe() == "vault name=x url=https://v/x"
    bundle = ResolverRef("bundles", "Task", "x", (("bundle", "u:tok@r.io/c/x:1"),))
    assert "tok" not in bundle.describe() + repr(bundle.identity())


@pytest.mark.parametrize("digest", ["sha256:abc", "sha256:" + "A" * 64, "sha512:" + "a" * 128])
def test_a_bundle_pins_itself_only_with_a_sha256_digest(digest: str) -> None:
    ref = ResolverRef("bundles", "Task", "x", (("bundle", f"r.io/c/x:1@{digest}"),))
    assert ref.pin is None
    good = ResolverRef("bundles", "Task", "x", (("bundle", "r.io/c/x:1@sha256:" + "a" * 64),))
    assert good.pin == "sha256:" + "a" * 64
