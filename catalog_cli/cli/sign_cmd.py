"""``catalog keygen``, ``catalog sign`` and ``catalog verify``: keys and Tekton signatures.

A private key is named as a file, or as ``env://NAME`` for a variable holding its PEM
(cosign's spelling); its passphrase, if any, is read from ``$CATALOG_SIGNING_PASSWORD``
(for a cosign.key: the passphrase ``COSIGN_PASSWORD`` held when it was made). Neither
the key nor the passphrase is ever printed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer


from ..errors import CatalogError, InputError, SignatureError
from ..words import plural
from .common import settings_of
from .output import acts_on_terminal, note, out

if TYPE_CHECKING:
    from ..signing.keys import PrivateKey, PublicKey

PASSWORD_ENV = "CATALOG_SIGNING_PASSWORD"
_ENV_KEY = "env://"


def _passphrase(ctx: typer.Context) -> bytes | None:
    value = settings_of(ctx).env.get(PASSWORD_ENV)
    return None if value is None else value.encode("utf-8")


def private_key(ctx: typer.Context, spec: str) -> PrivateKey:
    """The private key ``spec`` names: a PEM file, or ``env://VAR``; its passphrase from
    ``$CATALOG_SIGNING_PASSWORD``. For every command that signs (sign, index, publish)."""
    from ..signing import keys

    if spec.startswith(_ENV_KEY):
        name = spec[len(_ENV_KEY):]
        value = settings_of(ctx).env.get(name)
        if not name or value is None:
            raise InputError(f"environment variable {name!r} is not set", spec)
        return keys.load_private(value.encode("utf-8"), f"${name}", _passphrase(ctx))
    return keys.load_private_file(Path(spec), _passphrase(ctx))


def public_keys(paths: list[Path], option: str = "--key") -> list[PublicKey]:
    """The public keys in ``paths`` (PEM files), at least one."""
    from ..signing import keys

    if not paths:
        raise InputError(f"give at least one public key with {option} PUB", option)
    return [keys.load_public_file(p) for p in paths]


def keygen(
    ctx: typer.Context,
    out_prefix: Path = typer.Option(Path("catalog"), "--out", metavar="PREFIX",
                                    help="Write PREFIX.key (private, 0600) and PREFIX.pub; never replaces either."),
) -> None:
    """Make an ECDSA P-256 key pair: PREFIX.key (PKCS#8) and PREFIX.pub (PEM, as cosign.pub).

    The private key is encrypted with $CATALOG_SIGNING_PASSWORD when it is set. The key
    id (sha256 of the public key) goes to stdout."""
    from ..signing import keys

    pair = keys.write_pair(out_prefix, _passphrase(ctx))
    state = (f"encrypted with ${PASSWORD_ENV}" if pair.encrypted
             else f"NOT encrypted: set {PASSWORD_ENV} to encrypt it")
    note(f"wrote {pair.private} (private, 0600, {state}) and {pair.public}")
    out(pair.keyid)


def sign(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(None, help="Tekton v1 Task and Pipeline files, signed in place."),
    tekton_key: str | None = typer.Option(
        None, "--tekton", metavar="KEY",
        help="Add tekton.dev/signature (Tekton Trusted Resources) to each resource, signed with KEY: "
             "a private key file, or env://VAR for a variable holding one."),
    tekton_version: str = typer.Option(
        "1.10", "--tekton-version", metavar="VERSION",
        help="The Tekton Pipelines release that verifies: releases before 1.10 hash a different metadata form."),
    policy: bool = typer.Option(
        False, "--verification-policy",
        help="Instead of signing: print a Tekton VerificationPolicy trusting the --key public keys "
             "for resources whose source matches a --pattern."),
    key: list[Path] = typer.Option([], "--key", metavar="PUB", help="A public key for the policy (repeatable)."),
    pattern: list[str] = typer.Option([], "--pattern", metavar="REGEX",
                                      help="Which resource sources the policy covers (repeatable; RE2 syntax)."),
    name: str = typer.Option("catalog", "--name", help="The policy's name."),
    namespace: str | None = typer.Option(None, "--namespace", "-n", help="The policy's namespace."),
    mode: str = typer.Option("enforce", "--mode", help="enforce (fail unverified runs) or warn."),
) -> None:
    """Sign Tekton resources in place (--tekton KEY FILE...), or write a VerificationPolicy."""
    if policy:
        if tekton_key or files:
            raise InputError("--verification-policy takes --key and --pattern, not --tekton or files")
        from ..signing.policy import authority_name, verification_policy

        named = [(authority_name(p.name.removesuffix(".pub")), k) for p, k in zip(key, public_keys(key), strict=True)]
        from ..yamlio import dump

        document = verification_policy(name, named, pattern, namespace=namespace, mode=mode)
        text = dump(document, literal_blocks=True)  # the PEM keys as a person reads them
        sys.stdout.write(dump(document, literal_blocks=True, ascii_only=True) if acts_on_terminal(text) else text)
        return
    if not tekton_key:
        raise InputError("give --tekton KEY to sign Tekton resources, or --verification-policy")
    if not files:
        raise InputError("give the Task and Pipeline files to sign")
    if key or pattern:
        raise InputError("--key and --pattern belong to --verification-policy")
    from ..signing.tekton import Serialisation
    from ..signing.tekton_file import sign_file

    serialisation = Serialisation.for_version(tekton_version)
    private = private_key(ctx, tekton_key)
    for path in files:
        for item in sign_file(path, private, serialisation):
            out(f"{path}: {item.kind}/{item.name}: signed by {item.keyid}")


def verify(
    files: list[Path] = typer.Argument(..., help="Tekton v1 Task and Pipeline files."),
    key: list[Path] = typer.Option([], "--key", metavar="PUB", help="A trusted public key (repeatable)."),
) -> None:
    """Check each resource's tekton.dev/signature against the --key public keys.

    Exits 9 naming the file and resource when one is unsigned, altered, or signed by
    another key."""
    from ..signing.tekton_file import verify_file

    trusted = public_keys(key)
    failures: list[CatalogError] = []
    for path in files:
        try:
            results = verify_file(path, trusted)
        except CatalogError as exc:
            failures.append(exc)
            continue
        for r in results:
            out(f"{path}: {r.kind}/{r.name}: verified by {r.keyid} (Tekton {r.serialisation.value})")
    if len(failures) == 1:
        raise failures[0]
    if failures:
        for failure in failures:
            note(f"catalog: {failure}")
        first = next((f for f in failures if isinstance(f, SignatureError)), None)
        summary = f"{len(failures)} of {plural(len(files), 'file')} failed verification"
        raise SignatureError(summary, reason=first.reason) if first else InputError(summary)


def register(app: typer.Typer) -> None:
    app.command()(keygen)
    app.command()(sign)
    app.command()(verify)
