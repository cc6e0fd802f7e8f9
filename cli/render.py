"""Text rendering of results for people (``--json`` gives the objects themselves)."""

from __future__ import annotations

from typing import Any

import click

from evidence.findings import Severity
from evidence.result import VerificationResult

_MARK = {Severity.OK: "ok  ", Severity.INFO: "info", Severity.WARNING: "warn",
         Severity.ERROR: "FAIL", Severity.UNKNOWN: "????"}
#: Beyond this many items, text output summarises instead of listing every item.
MAX_ITEMS_LISTED = 50


def _utc(ts: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_verification(result: VerificationResult, *, verbose: bool = False) -> None:
    """A few lines for people: what was checked, the anchor, the witnesses, the verdict.

    Every finding is in ``--json``; ``verbose`` lists them all here too.
    """
    click.echo(f"{result.package}: {result.bundle}")
    if result.root:
        click.echo(f"  root {result.root} ({result.leaf_count} items), signed by {result.signer}")
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    integrity = [f for f in errors if not f.code.startswith(("anchor", "contract", "receipt"))]
    if integrity:
        click.echo("integrity: CHANGED OR INVALID")
    else:
        click.echo("integrity: intact (BagIt manifests, every item, leaves, root, signature, "
                   "custody log)")
    anchor = result.anchor
    if anchor is not None:
        where = "checked on chain" if anchor.checked_on_chain else "from the receipt, not checked"
        click.echo(f"anchor: chain {anchor.chain_id}, block {anchor.block_number} at "
                   f"{_utc(anchor.block_time)}, tx {anchor.transaction} ({where})")
        click.echo(f"  contract {anchor.contract}, registrar {anchor.registrar or 'not read'}, "
                   f"submitted by {anchor.submitter}")
    chain = result.chain
    if chain:
        pinned = (f"pinned as {chain.get('pinned_name')}" if chain.get("pinned")
                  else "not pinned by the trust profile")
        click.echo(f"  chain read through {', '.join(chain.get('nodes') or [])} ({pinned})")
    click.echo(f"trust: {result.trust_label()}")
    if result.witnesses:
        click.echo(f"witnesses ({result.policy_label()}):")
        for w in result.witnesses:
            state = "counted" if w.get("counted") else f"not counted ({w.get('reason_code')})"
            who = str(w.get("operator"))[:40]
            if w.get("operator_id"):
                who += f" [{w.get('operator_id')}]"
            click.echo(f"  {w.get('jurisdiction')}  {who:<52} {state}")
    shown = result.findings if verbose else [
        f for f in result.findings
        if f.severity in (Severity.ERROR, Severity.WARNING, Severity.UNKNOWN)
        or f.code in ("policy-outcome",)]
    for finding in shown:
        click.echo(f"  [{_MARK[finding.severity]}] {finding.message}")
    click.echo(f"verdict: {result.statement()}")


def render_inspect(info: dict[str, Any]) -> None:
    click.echo(f"{info['package']}: {info['bundle']}")
    click.echo(f"case: {info['case']}  captured: {info['captured_at']}")
    click.echo(f"root: {info['root']} ({info['leaf_count']} items)")
    click.echo(f"signer: {info['signer']}")
    items = info["items"]
    click.echo(f"items ({len(items)}{' shown' if len(items) < info['item_count'] else ''}):")
    for item in items:
        click.echo(f"  {item['id']:>8}  {item['kind']:<6} {item['size']:>10}  {item['name']}")
    if len(items) < info["item_count"]:
        click.echo(f"  ... {info['item_count'] - len(items)} more (use --json)")
    click.echo("custody log:")
    for entry in info["custody"]:
        click.echo(f"  {entry['seq']:>3}  {entry['at']}  {entry['action']:<10} "
                   f"{entry['actor']['fingerprint']}")
    receipts = info.get("receipts", [])
    if receipts:
        for r in receipts:
            click.echo(f"anchor: chain {r.get('chain_id')} block {r.get('block_number')} "
                       f"tx {r.get('transaction')}")
    else:
        click.echo("anchor: none yet")
