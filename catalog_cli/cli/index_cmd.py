"""``catalog index``: write or check index.yaml, and sign it (index.yaml.sig)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import typer

from ..words import plural
from .output import note

#: ``--valid-for``: a number and a unit (hours, days, weeks, years of 365 days).
_DURATION = re.compile(r"(\d+)\s*(h|d|w|y)")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1), "y": timedelta(days=365)}
DEFAULT_VALIDITY = "30d"


def valid_for(text: str) -> timedelta:
    """``30d``, ``12h``, ``2w``, ``1y``: how long a signature stays valid."""
    from ..errors import InputError

    found = _DURATION.fullmatch(text.strip().lower())
    if not found or int(found.group(1)) < 1:
        raise InputError(f"{text!r} is not a duration such as 30d, 12h, 2w or 1y", "--valid-for")
    return int(found.group(1)) * _UNITS[found.group(2)]


def index(
    ctx: typer.Context,
    path: Path = typer.Argument(Path("."), help="Catalog folder: it holds task/, pipeline/ ... (or tasks/, pipelines/ ...), or catalog/ with those inside. index.yaml is written here, its paths relative to here."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 4 if index.yaml is stale (lacks or differs from what the tree has), 9 if an index.yaml.sig beside it does not sign it (or has expired)."),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 2, nothing written) when the tree gives warnings: files skipped, labels that differ from folders..."),
    fmt: str = typer.Option("yaml", "--format", help="yaml (readable) or json (fast for huge catalogs; still valid YAML)."),
    sign: list[str] = typer.Option(
        [], "--sign", metavar="KEY",
        help="Then write index.yaml.sig, signed with KEY (a private key file, or env://VAR for a variable holding "
             "one; its passphrase from $CATALOG_SIGNING_PASSWORD). Repeat it to sign with two keys during a key "
             "rotation. Repos added with --trust-key read only a signed index."),
    validity: str = typer.Option(DEFAULT_VALIDITY, "--valid-for", metavar="DURATION",
                                 help="How long the signature stays valid: 30d, 12h, 2w, 1y. Sign again before then."),
    serial: int | None = typer.Option(
        None, "--serial", metavar="N",
        help="The index serial (default: the previous index.yaml.sig's plus one, 1 for the first). Clients refuse "
             "a serial below one they accepted."),
    key: list[Path] = typer.Option([], "--key", metavar="PUB",
                                   help="With --check: the signature must also verify with one of these public keys."),
) -> None:
    """Write index.yaml for a catalog folder: same tree, same bytes."""
    from .. import index as index_mod
    from ..errors import InputError

    if fmt not in ("yaml", "json"):
        raise InputError(f"--format must be yaml or json, not {fmt!r}")
    if check and sign:
        raise InputError("--check writes nothing: it does not --sign")
    if key and not check:
        raise InputError("--key PUB checks a signature with --check; --sign takes the private key")
    if serial is not None and serial < 1:
        raise InputError(f"must be a positive integer, not {serial}", "--serial")
    signers = []
    if sign:
        from ..signing.index_sig import next_serial
        from .sign_cmd import private_key

        # Every option checked, and the keys read, before anything is written.
        duration = valid_for(validity)
        serial = next_serial(path / index_mod.INDEX_NAME, serial)
        signers = [private_key(ctx, spec) for spec in sign]
    try:
        if check:
            idx = index_mod.check(path, strict=strict)
        else:
            target, idx = index_mod.write(path, fmt, strict=strict)
    except index_mod.StrictWarnings as exc:
        for w in exc.warnings:
            note(f"warning: {w}")
        raise
    if check:
        signed = _check_signature(path / index_mod.INDEX_NAME, key)
    for w in idx.warnings:
        note(f"warning: {w}")
    if check:
        note(f"index.yaml is up to date ({plural(len(idx), 'version')} of {plural(len(idx.entries), 'resource')})")
        for line in signed:
            note(line)
        return
    note(f"wrote {target} ({plural(len(idx), 'version')} of {plural(len(idx.entries), 'resource')}, "
         f"{plural(len(idx.warnings), 'warning')})")
    if signers:
        from ..signing.index_sig import sign_file

        assert serial is not None
        done = sign_file(target, signers, duration, serial)
        note(f"wrote {done.path}: serial {done.serial}, signed by {', '.join(done.keyids)}, valid until "
             f"{done.expires:%Y-%m-%d %H:%M} UTC")
    elif target.with_name(target.name + ".sig").exists():
        from ..errors import CatalogError
        from ..signing.index_sig import check_file

        try:
            check_file(target, [], datetime.now(timezone.utc))
        except CatalogError as exc:
            note(f"warning: {exc}")


def _check_signature(index_path: Path, keys: list[Path]) -> list[str]:
    """The index.yaml.sig beside ``index_path``, if any, still signs it (see ``check_file``);
    the notes to show when it does."""
    if not keys and not index_path.with_name(index_path.name + ".sig").exists():
        return []  # nothing signed: nothing to load the cryptography library for
    from ..signing.index_sig import Verified, check_file
    from .sign_cmd import public_keys

    trusted = public_keys(keys) if keys else []
    now = datetime.now(timezone.utc)
    signed = check_file(index_path, trusted, now)
    if signed is None:
        return []
    by = f", signed by {signed.keyid}" if isinstance(signed, Verified) else ""
    left = signed.expires - now
    lines = [f"index.yaml.sig signs it: serial {signed.serial}{by}, valid until {signed.expires:%Y-%m-%d} UTC"]
    if left < timedelta(days=30):
        lines.append(f"warning: the signature expires in {left.days} days: sign it again (catalog index --sign KEY)")
    return lines


def register(app: typer.Typer) -> None:
    app.command()(index)
