"""Text rendering of results for people (``--json`` gives the objects themselves)."""

from __future__ import annotations

from typing import Any

import click

from evidence.findings import Severity, Verdict
from evidence.result import VerificationResult

_VERDICT_TEXT = {
    Verdict.PRESUMED_AUTHENTIC: "PRESUMED AUTHENTIC (rebuttable, under the policy shown)",
    Verdict.NOT_PRESUMED: "NOT PRESUMED AUTHENTIC",
    Verdict.FAILED: "FAILED",
    Verdict.INCONCLUSIVE: "INCONCLUSIVE (could not complete the checks)",
}
_MARK = {Severity.OK: "ok  ", Severity.INFO: "info", Severity.WARNING: "warn",
         Severity.ERROR: "FAIL", Severity.UNKNOWN: "????"}
#: Beyond this many items, text output summarises instead of listing every item.
MAX_ITEMS_LISTED = 50


def render_verification(result: VerificationResult) -> None:
    click.echo(f"{result.package}: {result.bundle}")
    if result.root:
        click.echo(f"root: {result.root} ({result.leaf_count} items, signer {result.signer})")
    if result.development_chain:
        click.echo("WARNING: anchored on a development chain: no evidential value "
                   "(one party controls it)")
    for finding in result.findings:
        if finding.severity is Severity.OK and len(result.findings) > 40:
            continue
        click.echo(f"  [{_MARK[finding.severity]}] {finding.message}")
    bad = [i for i in result.items if i.status != "ok"]
    if bad:
        click.echo(f"changed or missing items: {len(bad)}")
    click.echo(f"verdict: {_VERDICT_TEXT[result.verdict]}")


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
