"""``evidence witness``: witness keys, registration, confirmations and the serve daemon.

Usage::

    evidence witness keygen -o FILE [--light-kdf]
    evidence witness add ADDRESS --jurisdiction CC --operator NAME [--fund]   (registrar)
    evidence witness revoke ADDRESS [--at UNIX|ISO8601]                       (registrar)
    evidence witness list [--json]
    evidence witness confirm ROOT|BUNDLE --key FILE [--max-skew SECONDS]
    evidence witness sign ROOT|BUNDLE --key FILE [-o SIG.json] [--max-skew SECONDS]
    evidence witness relay SIG.json...
    evidence witness serve --key FILE [--poll SECONDS] [--state FILE] [--once]

Passphrases come from ``EVIDENCE_PASSPHRASE`` (else a hidden prompt): the witness key's
for keygen, confirm, sign and serve; the workspace account's for add, revoke and relay.
Listed in :data:`evidence_cli.main.COMMANDS`.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import click

from .common import Context, configure_service_logging, emit_json, pass_ctx, passphrase, unlock

__all__ = ["witness"]

_KEY = click.option("--key", "key", required=True,
                    type=click.Path(path_type=Path, dir_okay=False, exists=True),
                    help="The witness's encrypted keystore (passphrase: EVIDENCE_PASSPHRASE).")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def _witness_passphrase(key: Path) -> str:
    """The witness key's passphrase, checked against its keystore (three tries at a
    terminal)."""
    from evidence.chain.accounts import load_account

    return unlock(lambda secret: load_account(key, secret))[0]


_SKEW = click.option("--max-skew", "max_skew", type=click.IntRange(0, 3600), default=None,
                     metavar="SECONDS", help="Refuse an anchor whose block time is more than "
                     "this ahead of this machine's clock (default: max_skew_seconds of the "
                     "workspace, 300).")


@click.group()
def witness() -> None:
    """Witness nodes: keys, registration, confirmations, and the serve daemon.

    A witness compares each anchor's block time with its own clock and refuses an anchor
    more than the allowed skew in its future; an anchor in its past is confirmed (late
    confirmations carry their own time on chain).
    """


@witness.command()
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Keystore file to create (never overwritten).")
@click.option("--light-kdf", is_flag=True,
              help="Cheap scrypt setting (as geth --lightkdf): throwaway development keys only.")
@_JSON
def keygen(out: Path, light_kdf: bool, as_json: bool) -> int:
    """Create a witness key as an encrypted v3 keystore; print its address."""
    from evidence.witness.registry import generate_witness_key

    address = generate_witness_key(out, passphrase(confirm=True), light_kdf=light_kdf)
    if as_json:
        emit_json({"keystore": str(out), "address": address})
        return 0
    click.echo(address)
    return 0


@witness.command()
@click.argument("address")
@click.option("--jurisdiction", required=True, metavar="CC",
              help="ISO 3166-1 alpha-2 code of the witness's country, e.g. DE.")
@click.option("--operator", required=True, metavar="NAME", help="Who runs the witness node.")
@click.option("--fund", is_flag=True,
              help="Development chains only: also give the witness ether for gas.")
@_JSON
@pass_ctx
def add(ctx: Context, address: str, jurisdiction: str, operator: str, fund: bool,
        as_json: bool) -> int:
    """Register ADDRESS as a witness (sent by the workspace account, the registrar)."""
    from evidence.witness.registry import add_witness

    info = add_witness(ctx.workspace(), passphrase(), address, jurisdiction=jurisdiction,
                       operator=operator, fund=fund)
    if as_json:
        emit_json({**info.to_json(), "funded": fund})
        return 0
    party = "Hague Evidence Convention party" if info.hague_party else "not a Hague party"
    click.echo(f"witness {info.address} added: {info.jurisdiction} ({info.jurisdiction_name}, "
               f"{party}), operator {info.operator!r}"
               + (", funded for gas" if fund else ""))
    return 0


@witness.command()
@click.argument("address")
@click.option("--at", "at", metavar="UNIX|ISO8601",
              help="When the revocation takes effect (default: now, the block time).")
@_JSON
@pass_ctx
def revoke(ctx: Context, address: str, at: str | None, as_json: bool) -> int:
    """Revoke witness ADDRESS (sent by the workspace account, the registrar)."""
    from evidence.witness.registry import parse_time, revoke_witness

    effective = None if at is None else parse_time(at)
    info = revoke_witness(ctx.workspace(), passphrase(), address, effective_at=effective)
    if as_json:
        emit_json(info.to_json())
        return 0
    click.echo(f"witness {info.address} ({info.jurisdiction}) revoked from "
               f"{info.to_json()['revoked']}")
    return 0


@witness.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def list_(ctx: Context, as_json: bool) -> int:
    """Every witness ever registered, revoked ones included."""
    from evidence.witness.registry import list_witnesses

    infos = list_witnesses(ctx.workspace())
    if as_json:
        emit_json({"witnesses": [w.to_json() for w in infos]})
        return 0
    if not infos:
        click.echo("no witnesses registered")
    for w in infos:
        doc = w.to_json()
        party = "Hague party" if w.hague_party else "not a Hague party"
        status = f"revoked from {doc['revoked']}" if w.revoked_at else "active"
        click.echo(f"{w.address}  {w.jurisdiction} {w.jurisdiction_name} ({party})  "
                   f"{w.operator!r}  registered {doc['registered']}  {status}")
    return 0


@witness.command()
@click.argument("root")
@_KEY
@_SKEW
@_JSON
@pass_ctx
def confirm(ctx: Context, root: str, key: Path, max_skew: int | None, as_json: bool) -> int:
    """Confirm ROOT (a batch root 0x..., or a bundle) by the witness's own transaction."""
    from evidence.witness.confirm import confirm_root, resolve_roots

    ws = ctx.workspace()
    secret = _witness_passphrase(key)
    outcomes = []
    for r in resolve_roots(ws, root):
        out = confirm_root(ws, r, key, secret, max_skew_s=max_skew)
        outcomes.append(out.to_json())
        if as_json:
            continue
        if out.status == "already":
            click.echo(f"0x{r.hex()}: already confirmed by {out.witness}; nothing sent")
        else:
            click.echo(f"0x{r.hex()}: confirmed by {out.witness} ({out.jurisdiction}) in block "
                       f"{out.block_number}, tx {out.transaction}")
    if as_json:
        emit_json({"confirmations": outcomes})
    return 0


@witness.command()
@click.argument("root")
@_KEY
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the signed confirmation here (default: print it).")
@_SKEW
@_JSON
@pass_ctx
def sign(ctx: Context, root: str, key: Path, out: Path | None, max_skew: int | None,
         as_json: bool) -> int:
    """Sign an EIP-712 confirmation of ROOT, for anyone to relay; sends nothing."""
    from evidence.errors import InputError
    from evidence.fsutil import atomic_write_bytes
    from evidence.witness.confirm import resolve_roots, sign_root

    if out is not None and out.exists():
        raise InputError(f"{out} exists already; choose another file name")
    ws = ctx.workspace()
    roots = resolve_roots(ws, root)
    if len(roots) != 1:
        raise InputError(f"{root} has receipts for {len(roots)} batch roots; give the root")
    signed = sign_root(ws, roots[0], key, _witness_passphrase(key), max_skew_s=max_skew)
    if out is None:  # the signed confirmation is JSON already, with or without --json
        click.echo(signed.to_bytes().decode(), nl=False)
        return 0
    try:
        atomic_write_bytes(out, signed.to_bytes(), overwrite=False)
    except FileExistsError as exc:
        raise InputError(f"{out} exists already; choose another file name") from exc
    if as_json:
        emit_json({"file": str(out), **signed.to_json()})
        return 0
    click.echo(f"signed confirmation of 0x{roots[0].hex()} by {signed.witness} written to "
               f"{out}; relay it with: evidence witness relay {out}")
    return 0


@witness.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(path_type=Path, dir_okay=False, exists=True))
@_JSON
@pass_ctx
def relay(ctx: Context, files: tuple[Path, ...], as_json: bool) -> int:
    """Relay signed confirmations (from `witness sign`) with the workspace account."""
    from evidence.witness.confirm import SignedConfirmation, relay_signatures

    signed = [SignedConfirmation.read(f) for f in files]
    outcomes = relay_signatures(ctx.workspace(), passphrase(), signed)
    if as_json:
        emit_json({"relayed": [o.to_json() for o in outcomes]})
        return 0
    for o in outcomes:
        if o.status == "already":
            click.echo(f"0x{o.root.hex()}: already confirmed by {o.witness}; nothing sent")
        else:
            click.echo(f"0x{o.root.hex()}: confirmation by {o.witness} relayed in tx "
                       f"{o.transaction}")
    return 0


def _log(line: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    click.echo(f"{stamp} witness: {line}", err=True)


@witness.command()
@_KEY
@click.option("--poll", type=click.FloatRange(0.05, 3600), default=5.0, show_default=True,
              metavar="SECONDS", help="Seconds between two looks at the chain.")
@click.option("--state", "state", type=click.Path(path_type=Path, dir_okay=False),
              help="State file (default: <workspace>/witness-state/<address>.json).")
@click.option("--from-block", type=click.IntRange(0), default=0, show_default=True,
              help="First block to read when there is no state file yet.")
@click.option("--once", is_flag=True, help="Handle the anchors there are, then exit.")
@_SKEW
@pass_ctx
def serve(ctx: Context, key: Path, poll: float, state: Path | None, from_block: int,
          once: bool, max_skew: int | None) -> int:
    """Follow new anchors and confirm each one; resume from the state file after a restart.

    Logs one line per action to stderr, terminal or not (-q: warnings only). SIGTERM or
    SIGINT: finish the current batch, save the state, exit 0. A node that goes away is
    retried with a growing delay.
    """
    from evidence.witness.daemon import serve as run_serve

    configure_service_logging(ctx, "witness")  # its activity log is its output
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            _log(f"{signal.Signals(signum).name}: stopping after the current step")
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    summary = run_serve(ctx.workspace(), key, _witness_passphrase(key), poll_s=poll,
                        state_path=state,
                        from_block=from_block, once=once, max_skew_s=max_skew, stop=stop)
    _log(f"stopped; next block {summary.next_block}: {summary.confirmed} confirmed in total, "
         f"{summary.refused} refused (state {summary.state_path})")
    sys.stderr.flush()
    return 0
