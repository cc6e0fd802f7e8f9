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

    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError, OSError):
        return f"unix time {ts} (out of range)"


def _safe(text: str) -> str:
    """``text`` with every control, format or unassigned character written as an escape:
    names and labels come from registries and bundles others wrote, and a terminal would
    obey control sequences in them (move the cursor, hide lines, print a fake verdict)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else
                   (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
                   for ch in text)


def _echo(text: str) -> None:
    click.echo(_safe(text))


def render_verification(result: VerificationResult, *, verbose: bool = False) -> None:
    """A few lines for people: what was checked, the anchor, the witnesses, the verdict.

    Every finding is in ``--json``; ``verbose`` lists them all here too.
    """
    _echo(f"{result.package}: {result.bundle}")
    if result.root:
        _echo(f"  root {result.root} ({result.leaf_count} items), signed by {result.signer}")
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    integrity = [f for f in errors if not f.code.startswith(("anchor", "contract", "receipt"))]
    if integrity:
        _echo("integrity: CHANGED OR INVALID")
    else:
        _echo("integrity: intact (BagIt manifests, every item, leaves, root, signature, "
                   "custody log)")
    anchor = result.anchor
    if anchor is not None:
        where = "checked on chain" if anchor.checked_on_chain else "from the receipt, not checked"
        _echo(f"anchor: chain {anchor.chain_id}, block {anchor.block_number} at "
                   f"{_utc(anchor.block_time)}, tx {anchor.transaction} ({where})")
        _echo(f"  contract {anchor.contract}, registrar {anchor.registrar or 'not read'}, "
                   f"submitted by {anchor.submitter}")
    chain = result.chain
    if chain:
        pinned = (f"pinned as {chain.get('pinned_name')}" if chain.get("pinned")
                  else "not pinned by the trust profile")
        _echo(f"  chain read through {', '.join(chain.get('nodes') or [])} ({pinned})")
    _echo(f"trust: {result.trust_label()}")
    if result.timestamps:
        _echo("timestamps (RFC 3161; counted only from a TSA the trust profile pins):")
        for t in result.timestamps:
            who = t.get("tsa") or t.get("tsa_name") or t.get("signer_subject") or "?"
            kind = " (qualified)" if t.get("qualified") else ""
            status = t.get("status")
            if status == "trusted" and result.demonstration:
                status = "demonstration (no evidential value)"
            _echo(f"  {t.get('gen_time') or '?'}  {who}{kind}  serial {t.get('serial')}  "
                  f"policy {t.get('policy')}  {status}  {t.get('file')}")
    if result.witnesses:
        _echo(f"witnesses ({result.policy_label()}):")
        for w in result.witnesses:
            state = "counted" if w.get("counted") else f"not counted ({w.get('reason_code')})"
            who = str(w.get("operator"))[:40]
            if w.get("operator_id"):
                who += f" [{w.get('operator_id')}]"
            _echo(f"  {w.get('jurisdiction')}  {who:<52} {state}")
    shown = result.findings if verbose else [
        f for f in result.findings
        if f.severity in (Severity.ERROR, Severity.WARNING, Severity.UNKNOWN)
        or f.code in ("policy-outcome",)]
    for finding in shown:
        _echo(f"  [{_MARK[finding.severity]}] {finding.message}")
    _echo(f"verdict: {result.statement()}")


def render_inspect(info: dict[str, Any]) -> None:
    _echo(f"{info['package']}: {info['bundle']}")
    _echo(f"case: {info['case']}  captured: {info['captured_at']}")
    _echo(f"root: {info['root']} ({info['leaf_count']} items)")
    _echo(f"signer: {info['signer']}")
    items = info["items"]
    _echo(f"items ({len(items)}{' shown' if len(items) < info['item_count'] else ''}):")
    for item in items:
        where = ""
        if "file_line" in item:
            where = f"  (file line {item['file_line']}"
            if "sheet_row" in item:
                where += f", spreadsheet row {item['sheet_row']}"
            where += ")"
        elif item.get("locator"):
            where = f"  ({item['locator']})"
        _echo(f"  {item['id']:>8}  {item['kind']:<6} {item['size']:>10}  {item['name']}{where}")
    if len(items) < info["item_count"]:
        _echo(f"  ... {info['item_count'] - len(items)} more (use --json)")
    for export in info.get("exports", []):
        dialect = f"{export.get('format')}, {export.get('encoding')}"
        if "delimiter" in export:
            dialect += (f", delimiter {export['delimiter']!r}, "
                        f"quote {export.get('quotechar', '')!r}")
        _echo(f"export: {export['path']} ({dialect})")
    for warning in info.get("provenance", {}).get("capture_warnings", []):
        _echo(f"capture warning: {warning}")
    _echo("custody log:")
    for entry in info["custody"]:
        _echo(f"  {entry['seq']:>3}  {entry['at']}  {entry['action']:<10} "
                   f"{entry['actor']['fingerprint']}")
    receipts = info.get("receipts", [])
    if receipts:
        for r in receipts:
            _echo(f"anchor: chain {r.get('chain_id')} block {r.get('block_number')} "
                       f"tx {r.get('transaction')}")
    else:
        _echo("anchor: none yet")
