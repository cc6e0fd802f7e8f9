"""``evidence trust``: trust profiles (docs/trust.md): publisher keys, signing, checking.

Usage::

    evidence trust keygen -o PUBLISHER.key
    evidence trust sign PROFILE --key PUBLISHER.key [--replace]
    evidence trust check PROFILE [--publisher-key FINGERPRINT|KEYFILE ...] [--require-signature]
    evidence trust show PROFILE [--publisher-key ...] [--json]
    evidence trust draft --chain URL [--chain URL ...] --contract ADDRESS -o DRAFT.toml

The publisher key's passphrase comes from ``EVIDENCE_PASSPHRASE`` (else a hidden prompt).
Bad input gives one line and exit 2. Listed in :data:`evidence_cli.main.COMMANDS`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import Context, emit_json, passphrase, unlock

if TYPE_CHECKING:
    from evidence.trust import TrustProfile

__all__ = ["trust"]

_PUBLISHER_KEY = click.option(
    "--publisher-key", "publisher_keys", multiple=True, metavar="FINGERPRINT|KEYFILE",
    help="Pin the publisher's key (sha256:... fingerprint, or its key file): the profile "
         "must carry a valid signature by it. Repeat to accept several.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
_REQUIRE = click.option("--require-signature", is_flag=True,
                        help="Refuse an unsigned profile even when no key is pinned.")


@click.group()
def trust() -> None:
    """Trust profiles: whom the verifier trusts (chains, registries, witness operators).

    A court, a bar association or a consortium publishes and signs a profile; the verifier
    brings it (never the bundle). See docs/trust.md.
    """


@trust.command()
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path),
              help="Key file to create (never overwritten).")
@_JSON
def keygen(out: Path, as_json: bool) -> int:
    """Create a publisher's Ed25519 signing key; print its fingerprint."""
    from evidence.keys import create_signing_key

    key = create_signing_key(out, passphrase(confirm=True))
    if as_json:
        emit_json({"key": str(out), "fingerprint": key.fingerprint})
        return 0
    click.echo(key.fingerprint)
    return 0


@trust.command()
@click.argument("profile", type=click.Path(path_type=Path))
@click.option("--key", "key_file", required=True, type=click.Path(path_type=Path),
              help="The publisher's key file (passphrase: EVIDENCE_PASSPHRASE).")
@click.option("--replace", is_flag=True, help="Replace an existing PROFILE.sig.")
@_JSON
def sign(profile: Path, key_file: Path, replace: bool, as_json: bool) -> int:
    """Check PROFILE, then sign it: writes PROFILE.sig."""
    from evidence.errors import InputError
    from evidence.keys import load_signing_key
    from evidence.trust import load_trust_profile, sign_trust_profile, signature_path

    existing = signature_path(profile)
    if existing.exists() and not replace:
        raise InputError(f"{existing} exists already; pass --replace to sign again")
    if not existing.exists():  # check before asking for the passphrase
        load_trust_profile(profile)
    key = unlock(lambda secret: load_signing_key(key_file, secret))[1]
    out = sign_trust_profile(profile, key, replace=replace)
    checked = load_trust_profile(profile, publisher_keys=[key.fingerprint])
    if as_json:
        emit_json({"profile": str(profile), "name": checked.name, "sha256": checked.sha256,
                   "signature": str(out), "signer": key.fingerprint})
        return 0
    click.echo(f"signed {profile} ({checked.name}, sha256 {checked.sha256}) by "
               f"{key.fingerprint}: {out}")
    return 0


def _signed_by(profile: TrustProfile) -> str:
    sig = profile.signature
    if sig is None:
        return "not signed"
    return f"signed by {sig.fingerprint}" + (" (pinned)" if sig.pinned else " (key not pinned)")


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


@trust.command()
@click.argument("profile", type=click.Path(path_type=Path))
@_PUBLISHER_KEY
@_REQUIRE
@_JSON
def check(profile: Path, publisher_keys: tuple[str, ...], require_signature: bool,
          as_json: bool) -> int:
    """Check PROFILE (format, expiry, signature); one line, exit 0 when it can be used."""
    from evidence.trust import load_trust_profile

    p = load_trust_profile(profile, publisher_keys=publisher_keys,
                           require_signature=require_signature)
    if as_json:
        emit_json({"ok": True, "profile": str(profile), "name": p.name, "sha256": p.sha256,
                   "demonstration": p.demonstration,
                   "signed_by": None if p.signature is None else p.signature.fingerprint,
                   "signer_pinned": p.signature is not None and p.signature.pinned,
                   "expires": _stamp(p.expires)})
        return 0
    demo = "demonstration profile, no evidential value; " if p.demonstration else ""
    click.echo(f"ok: {p.name} ({demo}sha256 {p.sha256}, {_signed_by(p)}, expires "
               f"{_stamp(p.expires)})")
    return 0


@trust.command()
@click.argument("profile", type=click.Path(path_type=Path))
@_PUBLISHER_KEY
@_REQUIRE
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(profile: Path, publisher_keys: tuple[str, ...], require_signature: bool,
         as_json: bool) -> int:
    """Show PROFILE for people: chains, registries, operators and their witnesses."""
    from evidence.jurisdictions import country_name
    from evidence.trust import load_trust_profile

    p = load_trust_profile(profile, publisher_keys=publisher_keys,
                           require_signature=require_signature)
    if as_json:
        emit_json(p.to_json())
        return 0
    echo = click.echo
    echo(f"Trust profile {p.name} (version {p.version}) from {p.source}")
    if p.demonstration:
        echo("  DEMONSTRATION profile: no evidential value")
    echo(f"  publisher:  {p.publisher or '(not named)'}")
    echo(f"  sha256:     {p.sha256}")
    echo(f"  signature:  {_signed_by(p)}"
         + (f", signed at {p.signature.signed_at} (the signer's claim)"
            if p.signature and p.signature.signed_at else ""))
    echo(f"  expires:    {_stamp(p.expires)}")
    if p.description:
        echo(f"  description: {' '.join(p.description.split())}")
    echo(f"Chains ({len(p.chains)}):")
    for c in p.chains:
        dev = ", DEVELOPMENT chain" if c.development else ""
        blocks = "policy's" if c.min_blocks_on_top is None else str(c.min_blocks_on_top)
        echo(f"  {c.chain_id}  {c.name}{dev}")
        echo(f"      genesis 0x{c.genesis_hash.hex()}; blocks on top: {blocks}; "
             f"nodes that must agree: {c.min_nodes}")
        for url in c.nodes:
            echo(f"      node {url}")
    echo(f"Registries ({len(p.registries)}):")
    for g in p.registries:
        labels = "; trusts the registry's own operator labels" if g.operators_from_registry \
            else ""
        echo(f"  chain {g.chain_id}: contract {g.contract}, registrar {g.registrar}{labels}")
    echo(f"Operators ({len(p.operators)}):")
    for o in p.operators:
        echo(f"  {o.id}  {o.name}  {o.jurisdiction} ({country_name(o.jurisdiction)})")
        echo(f"      source: {o.source}")
        for w in o.witnesses:
            until = "open-ended" if w.valid_until is None else f"until {_stamp(w.valid_until)}"
            echo(f"      witness {w.address}  from {_stamp(w.valid_from)}  {until}")
    if p.timestamp_authorities:
        echo(f"Timestamp authorities ({len(p.timestamp_authorities)}):")
        for t in p.timestamp_authorities:
            doc = t.to_json()
            until = "open-ended" if t.valid_until is None else f"until {doc['until']}"
            kind = "qualified" if t.qualified else "not qualified"
            echo(f"  {t.name}  ({kind})  from {doc['from']}  {until}")
            echo(f"      root {doc['root_subject']}  sha256 {doc['root_sha256']}")
            if doc["certificate_sha256"]:
                echo(f"      certificate sha256 {doc['certificate_sha256']}")
            echo(f"      source: {t.source}")
    return 0


@trust.command()
@click.option("--chain", "chain_urls", metavar="URL", multiple=True,
              help="A JSON-RPC node of the registry's chain (repeat for several; all must "
                   "agree). Default: the chain of the workspace named with --workspace.")
@click.option("--contract", metavar="ADDRESS",
              help="The registry (EvidenceAnchor) to read (default: the workspace's).")
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path),
              help="The draft profile to write (never overwritten).")
@_JSON
@click.pass_context
def draft(ctx: click.Context, chain_urls: tuple[str, ...], contract: str | None,
          out: Path, as_json: bool) -> int:
    """Draft a profile from an on-chain registry, for a person to review.

    The draft names the chain (genesis hash), the registry and its registrar, and every
    registered witness with the registry's own labels. It refuses to load (draft = true,
    REVIEW-n ids) until you have checked each operator and set its id and source.
    """
    from evidence.errors import InputError
    from evidence.fsutil import atomic_write_bytes
    from evidence.trust.draft import draft_from_chain

    obj = ctx.find_object(Context)
    workspace = obj.workspace_path if obj is not None else None
    if out.exists():
        raise InputError(f"{out}: exists already; a draft is never written over a file")
    text = draft_from_chain(urls=chain_urls, workspace=workspace, contract=contract)
    try:
        atomic_write_bytes(out, text.encode("utf-8"), overwrite=False)
    except FileExistsError as exc:
        raise InputError(f"{out}: exists already; a draft is never written over a file") from exc
    if as_json:
        emit_json({"draft": str(out)})
        return 0
    click.echo(f"draft written: {out}; review every operator (id, name, jurisdiction, source), "
               "then delete `draft = true`; check it with: evidence trust check " + str(out))
    return 0
