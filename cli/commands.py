"""The commands of ``evidence``; each parses, calls one library function, renders."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click

from evidence.errors import InputError

from .common import (
    Context,
    check_before_prompt,
    configure_logging,
    emit_json,
    pass_ctx,
    passphrase,
    signing_key,
    unlock,
)
from .render import render_inspect, render_verification
from .timestamp_cmd import auto_timestamp


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path), default=Path("."))
@click.option("--chain", "chain_url", metavar="URL",
              help="An EVM JSON-RPC node (default: the embedded development chain).")
@click.option("--contract", metavar="ADDRESS",
              help="Use an EvidenceAnchor already deployed at ADDRESS (its code is checked).")
@click.option("--confirmations", type=click.IntRange(0, 1024), default=None,
              help="Blocks to wait on top of a transaction (JSON-RPC chains).")
@click.option("--demo-witnesses", is_flag=True,
              help="Register simulated witnesses (CN, SG, DE, JP) on the embedded chain.")
@click.option("--no-chain", is_flag=True, help="Only the capturer key; set up no chain.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the workspace as JSON on stdout (progress goes to stderr).")
def init(path: Path, chain_url: str | None, contract: str | None, confirmations: int | None,
         demo_witnesses: bool, no_chain: bool, as_json: bool) -> int:
    """Create a workspace in PATH (default: here): evidence.toml, a capturer key, an
    account, and the EvidenceAnchor contract on its chain.

    With --contract it joins that contract: nothing is sent and the account needs no funds.
    A failed init leaves nothing behind. Over an existing workspace: the same options
    change nothing ("already initialised"); different ones are an error naming them.
    """
    from evidence.workspace import (
        CONFIG_NAME,
        init_differences,
        init_workspace,
        open_workspace,
        undo_new_workspace,
    )

    def say(message: str) -> None:
        click.echo(message, err=as_json)

    def done(ws: Any, created: bool) -> int:
        if as_json:
            chain = ws.chain
            emit_json({"workspace": str(ws.root), "created": created,
                       "capturer_fingerprint": ws.capturer_fingerprint,
                       "chain": None if no_chain or chain.contract is None else {
                           "kind": chain.kind, "chain_id": chain.chain_id,
                           "contract": chain.contract,
                           "development_chain": chain.kind == "embedded"}})
        return 0

    existing = (path / CONFIG_NAME).exists()
    if existing:  # before any prompt: the options against what the workspace has
        have = open_workspace(path)
        differences = init_differences(have, url=chain_url, contract=contract,
                                       confirmations=confirmations, no_chain=no_chain)
        if differences:
            raise InputError(f"{have.root} is initialised already with other options: "
                             + "; ".join(differences)
                             + " (make a new workspace, or edit its evidence.toml)")
        if (have.chain.contract is not None or no_chain) and not demo_witnesses:
            say(f"workspace exists already: {have.root} (already initialised; nothing "
                "changed)")
            return done(have, False)
    if not (existing or chain_url or no_chain):  # before any prompt or file: one clear line
        from evidence.chain.extras import require_embedded

        require_embedded()
    secret = passphrase(confirm=not existing)
    with undo_new_workspace(path) if not existing else contextlib.nullcontext():
        ws, created = init_workspace(path, secret)
        if created:
            say(f"workspace created: {ws.root}")
            say(f"capturer key: {ws.path(ws.capturer_key)} (Ed25519, encrypted, mode 0600)")
            say(f"capturer fingerprint: {ws.capturer_fingerprint}")
        if no_chain:
            return done(ws, created)
        from evidence.anchoring import setup_chain

        ws = setup_chain(ws, secret, url=chain_url, contract=contract,
                         confirmations=confirmations, demo_witnesses=demo_witnesses)
    if ws.chain.kind == "embedded":
        say("chain: embedded development chain (eth-tester/py-evm) - NO EVIDENTIAL "
            "VALUE: one party controls it; use --chain URL for real evidence")
    say(f"chain id {ws.chain.chain_id}, contract {ws.chain.contract}")
    return done(ws, created)


def _progress_printer(label: str) -> Any:
    """A progress callback drawing a bar on stderr when it is a terminal (not with -q)."""
    obj = click.get_current_context().find_object(Context)
    if not sys.stderr.isatty() or (obj is not None and obj.quiet):
        return None
    state: dict[str, Any] = {"bar": None}

    def update(done: int, total: int, _name: str = "") -> None:
        bar = state["bar"]
        if bar is None:
            bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr,
                                    show_pos=False, show_percent=True)
            bar.__enter__()
            state["bar"] = bar
            state["last"] = 0
        bar.update(done - state["last"])
        state["last"] = done
        if done >= total:
            bar.__exit__(None, None, None)

    return update


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--records", "records", multiple=True, type=click.Path(path_type=Path),
              help="A transaction export (CSV, JSON array, JSON Lines); one item per record.")
@click.option("--case", required=True, help="Case identifier, e.g. 2026-CN-0042.")
@click.option("--platform", help="Platform the evidence comes from.")
@click.option("--source-url", help="Where the evidence was found (listing, chat, export URL).")
@click.option("--note", help="A free note recorded in the provenance.")
@click.option("--capturer-name", help="Your name, as you declare it (shown in reports as "
              "declared, beside the key that signs).")
@click.option("--organisation", help="Your organisation, as you declare it.")
@click.option("--encoding", default="utf-8", show_default=True,
              help="Encoding of the --records exports (recorded in the provenance).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl"],
                                                   case_sensitive=False),
              metavar="FORMAT",
              help="csv, json or jsonl: the format of the --records exports whatever their "
                   "names (default: from the extension: .csv, .json, .jsonl, .ndjson).")
@click.option("--delimiter", metavar="CHAR",
              help="CSV separator: ';' (European Excel), tab, '|' ... (default ',').")
@click.option("--quotechar", metavar="CHAR", help="CSV quote character (default '\"').")
@click.option("--include-hidden", is_flag=True,
              help="Keep operating-system files (.DS_Store, Thumbs.db, desktop.ini, ._*) "
                   "found in folders; they are left out by default.")
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path),
              help="The bundle folder to create (never overwritten).")
@click.option("--move", is_flag=True,
              help="Move the files (not the --records exports) into the bundle instead of "
                   "copying them, like bagit.py bagging in place: much faster, but their "
                   "original paths are gone afterwards. They must be on the filesystem of "
                   "-o's folder. A failed capture puts them back; after a crash, run "
                   "`evidence capture-recover .OUT.partial-XXXXXXXX` (the hidden folder "
                   "beside -o).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def capture(ctx: Context, paths: tuple[Path, ...], records: tuple[Path, ...], case: str,
            platform: str | None, source_url: str | None, note: str | None,
            capturer_name: str | None, organisation: str | None, encoding: str,
            fmt: str | None, delimiter: str | None, quotechar: str | None,
            include_hidden: bool, out: Path, move: bool, as_json: bool) -> int:
    """Capture files, folders (recursive; symlinks are not followed) and transaction
    exports into a new signed BagIt evidence bundle."""
    from evidence.capturing.pipeline import capture as do_capture
    from evidence.capturing.pipeline import check_inputs

    ws = ctx.workspace()
    check_inputs(list(paths), list(records), encoding=encoding, fmt=fmt, delimiter=delimiter,
                 quotechar=quotechar, include_hidden=include_hidden)  # before the prompt
    check_before_prompt(inputs=(*paths, *records), new=out, what="bundle")
    key = signing_key(ws)
    result = do_capture(list(paths), records=list(records), out=out, case=case, key=key,
                        platform=platform, source_url=source_url, note=note, encoding=encoding,
                        progress=_progress_printer("capturing"), move=move,
                        capturer_name=capturer_name, organisation=organisation, fmt=fmt,
                        delimiter=delimiter, quotechar=quotechar,
                        include_hidden=include_hidden)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    auto_timestamp(ws, [result.path], key, stage="capture", quiet=as_json)
    if as_json:
        emit_json(result.to_json())
    else:
        click.echo(f"captured {result.file_count} files and {result.record_count} records "
                   f"({result.total_bytes} bytes) into {result.path}")
        if move:
            click.echo(f"moved {result.moved_count} files into the bundle (no longer at "
                       "their original paths)")
        click.echo(f"bundle root: {result.root.hex()} (signed by {key.fingerprint})")
        click.echo(f"next: evidence anchor {result.path}")
    return 0


@click.command("capture-recover")
@click.argument("partial", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def capture_recover(partial: Path, as_json: bool) -> int:
    """Move the files of an interrupted `capture --move` back to where they were.

    PARTIAL is the hidden .OUT.partial-XXXXXXXX folder the capture left beside its output.
    A source path that exists again is never overwritten (nothing is moved: move it away
    first). The folder is removed once every file is back.
    """
    from evidence.capturing.move import recover_moved

    count = recover_moved(partial)
    if as_json:
        emit_json({"moved_back": count, "removed": str(partial)})
        return 0
    click.echo(f"moved {count} files back to their original paths; removed {partial}")
    return 0


@click.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def inspect(bundle: Path, as_json: bool) -> int:
    """Show a bundle's items, root, signer and custody log (no checks: see verify)."""
    from evidence.bundle.inspection import inspect_bundle

    info = inspect_bundle(bundle)
    if as_json:
        emit_json(info)
    else:
        render_inspect(info)
    return 0


@click.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result object as JSON.")
@click.option("--offline", is_flag=True, help="Do not ask the chain (never presumed authentic).")
@click.option("--policy", default="hague-3", show_default=True, metavar="NAME|FILE",
              help="The presumption policy: a built-in name or a TOML file.")
@click.option("--chain", "chain_urls", metavar="URL", multiple=True,
              help="A JSON-RPC node to ask; give it once per node: all must agree (default: "
                   "the nodes your trust profile lists, or the chain of the workspace named "
                   "with --workspace).")
@click.option("--trust", "trust", metavar="FILE", type=click.Path(path_type=Path),
              help="Your trust profile: the chains, registries and witness operators you "
                   "trust (else EVIDENCE_TRUST, else ~/.config/evidence/trust.toml). Without "
                   "one the evidence is never presumed authentic. Never taken from the bundle.")
@click.option("--trust-key", "trust_keys", metavar="FINGERPRINT|FILE", multiple=True,
              help="A publisher key the trust profile must be signed with (repeatable).")
@click.option("-w", "--workspace", "workspace", type=click.Path(path_type=Path, file_okay=False),
              help="Read the chain of this workspace (an embedded chain, or its node); also "
                   "accepted before the command. Never found by walking up the folders.")
@click.option("-v", "--verbose", is_flag=True, help="List every check, not only problems.")
@pass_ctx
def verify(ctx: Context, bundle: Path, as_json: bool, offline: bool, policy: str,
           chain_urls: tuple[str, ...], trust: Path | None, trust_keys: tuple[str, ...],
           workspace: Path | None, verbose: bool) -> int:
    """Verify a bundle or disclosure package and give a verdict.

    Exit 0 presumed authentic (a demonstration says so in its verdict and in --json), 1 not
    presumed or failed, 3 inconclusive, 2 bad input.
    """
    from evidence.verification.verifier import verify as do_verify

    result = do_verify(bundle, offline=offline, policy=policy, chain_url=chain_urls or None,
                       workspace=workspace or ctx.workspace_path, trust=trust,
                       publisher_keys=trust_keys)
    if as_json:
        emit_json(result.to_json())
    else:
        render_verification(result, verbose=verbose)
    return result.exit_code


@click.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--item", "item_id", required=True, help="Item id (F-1, R-12) or data/ path.")
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path),
              help="The disclosure package folder to create.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@pass_ctx
def disclose(ctx: Context, bundle: Path, item_id: str, out: Path, as_json: bool) -> int:
    """Write a package holding one item, its salt and its proof, and nothing else."""
    from evidence.disclosure import disclose as do_disclose

    ws = ctx.workspace()
    check_before_prompt(bundles=[bundle], new=out, what="disclosure package")
    key = signing_key(ws)
    path = do_disclose(bundle, item_id, out=out, key=key)
    if as_json:
        emit_json({"item": item_id, "package": str(path), "signer": key.fingerprint})
        return 0
    click.echo(f"disclosed {item_id} into {path}; check it with: evidence verify {path}")
    return 0


@click.command()
@click.argument("bundles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--reanchor", is_flag=True,
              help="Anchor again even if a receipt exists (e.g. after a reorganisation).")
@click.option("--json", "as_json", is_flag=True, help="Print the receipts as JSON.")
@click.option("--batcher", "batcher_url", metavar="URL",
              help="Anchor through the batcher at URL (`evidence batcher serve`); its proof "
              "is checked against this workspace's chain before a receipt is written.")
@click.option("--timeout", type=click.FloatRange(1, 86400), default=600.0, show_default=True,
              metavar="SECONDS", help="How long to wait for the confirmations (or, with "
              "--batcher, for the batch); then exit 3 with no receipt written.")
@click.option("--confirmations", type=click.IntRange(0, 1024), default=None, metavar="N",
              help="Blocks on top of the anchor before receipts are written (default: the "
              "workspace's [chain] confirmations).")
@pass_ctx
def anchor(ctx: Context, bundles: tuple[Path, ...], reanchor: bool, as_json: bool,
           batcher_url: str | None, timeout: float, confirmations: int | None) -> int:
    """Anchor the roots of BUNDLES on the workspace's chain in one transaction.

    Concurrent runs in one workspace wait for each other (a lock; the waiting one says so
    on stderr). Receipts are written once the anchor has its confirmations; while it
    waits, a progress line goes to stderr. At --timeout nothing is written and a rerun
    waits for the blocks it has not seen yet. Standard output carries the result only;
    the steps (the batch sent, witness confirmations) go to stderr at a terminal or with
    `evidence --progress`.
    """
    from evidence.keys import SigningKey
    from evidence.workspace_chain import prefetch_anchoring_keys

    if batcher_url is not None and (reanchor or confirmations is not None):
        raise InputError("--reanchor and --confirmations are for direct anchoring; "
                         "drop --batcher")
    ws = ctx.workspace()
    check_before_prompt(bundles=bundles)

    def open_key(secret: str) -> SigningKey:
        if batcher_url is None:
            # The account's scrypt starts now, in the background: it overlaps the capturer
            # key's unlock and the import of web3 or py-evm (evidence/chain/accounts.py).
            prefetch_anchoring_keys(ws, secret)
        opened: SigningKey = ws.signing_key(secret)
        return opened

    secret, key = unlock(open_key)
    from evidence.anchoring import anchor_bundles

    def to_stderr(message: str) -> None:
        click.echo(message, err=True)

    if batcher_url is not None:
        from evidence.batcher.client import anchor_via_batcher

        outcome = anchor_via_batcher(ws, list(bundles), url=batcher_url, key=key,
                                     timeout_s=timeout, progress=to_stderr, on_wait=to_stderr)
    else:
        outcome = anchor_bundles(ws, list(bundles), passphrase=secret, key=key,
                                 reanchor=reanchor, on_wait=to_stderr, confirmations=confirmations,
                                 timeout_s=timeout, progress=to_stderr)
    auto_timestamp(ws, [b for b, _ in outcome.anchored], key, stage="anchor", quiet=as_json)
    if as_json:
        emit_json(outcome.to_json())
        return 0
    for b, r in outcome.already:
        click.echo(f"{b}: already anchored (chain {r.chain_id}, block {r.block_number}, "
                   f"tx {r.transaction}); nothing sent")
    for b, r in outcome.anchored:
        click.echo(f"{b}: anchored in block {r.block_number} (tx {r.transaction}); "
                   f"receipt written")
    if outcome.anchored and outcome.anchored[0][1].development_chain:
        click.echo("note: this is a development chain; the anchor has no evidential value")
    return 0


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--parties", type=click.Path(path_type=Path, dir_okay=False),
              help="A CSV of contracting parties to use instead of the shipped list.")
def jurisdictions(as_json: bool, parties: Path | None) -> int:
    """List the contracting states of the 1970 Hague Evidence Convention as shipped,
    with their entry-into-force dates, each date's status (verified, secondary, computed,
    unknown) and sources."""
    from evidence.jurisdictions import (
        DATE_STATUSES,
        country_name,
        date_status_text,
        load_default_parties,
        load_parties,
    )

    plist = load_parties(parties) if parties else load_default_parties()
    rows = [{"iso2": p.iso2, "name": p.name, "name_zh": country_name(p.iso2, "zh"),
             "entry_into_force": None if p.entry_into_force is None else
             p.entry_into_force.isoformat(), "status": p.status,
             "status_text": date_status_text(p.status), "type": p.type, "source": p.source}
            for p in plist.parties]
    if as_json:
        emit_json({"as_of": None if plist.as_of is None else plist.as_of.isoformat(),
                   "source": plist.source, "caveats": list(plist.caveats), "parties": rows})
        return 0
    click.echo(f"Hague Evidence Convention (1970) contracting parties: {len(rows)} "
               f"(as of {plist.as_of}; source: {plist.source})")
    for r in rows:
        eif = r["entry_into_force"] or "-"
        click.echo(f"  {r['iso2']}  {r['name']:<32} {eif:<10}  {r['status_text']}")
    counts = [(sum(1 for r in rows if r["status"] == s), s) for s in (*DATE_STATUSES, None)]
    click.echo("entry-into-force dates: " + ", ".join(
        f"{n} {date_status_text(s).removeprefix('date ')}" for n, s in counts if n))
    for caveat in plist.caveats:
        click.echo(f"note: {caveat}")
    return 0


@click.command()
@click.option("--out", type=click.Path(path_type=Path), default=Path("demo-out"),
              show_default=True, help="Folder for everything the demo makes (new or empty).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the outcome as JSON (the steps go to stderr).")
@pass_ctx
def demo(ctx: Context, out: Path, as_json: bool) -> int:
    """Run the whole flow on the embedded development chain, from nothing.

    Each step and what it proved goes to stderr, shown even when stderr is not a terminal
    (the walk-through is the point; -q hides it); standard output gets the outcome: the
    verdict, the disclosure's own verdict and where everything is (or --json).
    """
    import os

    from evidence.demo import DEMO_PASSPHRASE, run_demo

    configure_logging(quiet=ctx.quiet, debug=ctx.debug, progress=True)
    secret = os.environ.get("EVIDENCE_PASSPHRASE") or DEMO_PASSPHRASE
    if secret == DEMO_PASSPHRASE:
        click.echo(f"demo passphrase (not a secret): {DEMO_PASSPHRASE!r}", err=as_json)
    result = run_demo(out, passphrase=secret)
    if as_json:
        emit_json(result.to_json())
    else:
        click.echo(f"verdict: {result.statement}")
        click.echo(f"disclosure verifies alone: {result.disclosure_verdict}")
        click.echo(f"bundle: {result.bundle}")
        click.echo(f"disclosure: {result.disclosure}")
        for path in result.reports:
            click.echo(f"report: {path}")
        click.echo(f"everything is in {result.out}")
    return 0 if result.verdict == "presumed-authentic" else 1
