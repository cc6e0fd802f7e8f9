"""``evidence timestamp``: RFC 3161 timestamps of bundles from one or more TSAs.

Usage::

    evidence timestamp BUNDLE... --tsa URL [--tsa URL ...] [--hash sha256|sha512] [--json]

Without ``--tsa``, the workspace's ``[timestamps] tsa`` list is used. The custody entry is
signed with the workspace's capturer key (passphrase: ``EVIDENCE_PASSPHRASE``). Attach with
:func:`register`; :func:`auto_timestamp` is what ``capture`` and ``anchor`` call when the
workspace asks for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .common import Context, check_before_prompt, emit_json, signing_key

__all__ = ["auto_timestamp", "timestamp"]

pass_ctx = click.make_pass_decorator(Context)


def _line(stored: Any) -> str:
    f = stored.facts
    who = f.tsa_name or f.signer_subject or stored.url
    return (f"{stored.bundle}: timestamped by {who} at {f.to_json()['gen_time']} "
            f"(serial {f.serial:x}, policy {f.policy}) -> {stored.file}")


@click.command()
@click.argument("bundles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--tsa", "tsa", metavar="URL", multiple=True,
              help="A time-stamp authority's RFC 3161 HTTP URL; repeat for several TSAs "
                   "(default: the workspace's [timestamps] tsa).")
@click.option("--hash", "algorithm", type=click.Choice(["sha256", "sha512"]), default=None,
              help="Imprint algorithm (default: the workspace's, else sha256).")
@click.option("--json", "as_json", is_flag=True, help="Print the tokens as JSON.")
@pass_ctx
def timestamp(ctx: Context, bundles: tuple[Path, ...], tsa: tuple[str, ...],
              algorithm: str | None, as_json: bool) -> int:
    """Get RFC 3161 timestamps of each bundle's signed root and store them in the bundle.

    Every TSA is asked and every answer checked (status, imprint, nonce, signature,
    ESSCertIDv2) before anything is written; a failure leaves the bundle unchanged.
    Whether a TSA is trusted is for the verifier's trust profile to say.
    """
    from evidence.errors import InputError
    from evidence.timestamps import timestamp_bundle

    ws = ctx.workspace()
    urls = list(tsa) or list(ws.timestamps.tsa)
    if not urls:
        raise InputError("no TSA: pass --tsa URL or set [timestamps] tsa in the workspace's "
                         "evidence.toml")
    check_before_prompt(bundles=bundles)
    key = signing_key(ws)
    done = []
    for bundle in bundles:
        done.extend(timestamp_bundle(bundle, urls, key=key,
                                     algorithm=algorithm or ws.timestamps.hash_algorithm,
                                     timeout=ws.timestamps.timeout_seconds))
    if as_json:
        emit_json({"timestamps": [s.to_json() for s in done]})
    else:
        for stored in done:
            click.echo(_line(stored))
        click.echo("note: a token counts only for a verifier whose trust profile pins its TSA")
    return 0


def auto_timestamp(ws: Any, bundles: list[Path], key: Any, *, stage: str, quiet: bool) -> None:
    """Time-stamp ``bundles`` after ``stage`` ("capture" or "anchor") when the workspace's
    ``[timestamps]`` asks for it. The capture or anchoring already succeeded, so a TSA
    failure is a warning on stderr saying how to retry, not a failed command."""
    settings = ws.timestamps
    wanted = settings.on_capture if stage == "capture" else settings.on_anchor
    if not settings.tsa or not wanted:
        return
    from evidence.errors import EvidenceError
    from evidence.timestamps import timestamp_bundle

    for bundle in bundles:
        try:
            stored = timestamp_bundle(bundle, list(settings.tsa), key=key,
                                      algorithm=settings.hash_algorithm,
                                      timeout=settings.timeout_seconds)
        except EvidenceError as exc:
            click.echo(f"warning: not timestamped after {stage}: {exc}; retry with "
                       f"`evidence timestamp {bundle}`", err=True)
            continue
        if not quiet:
            for s in stored:
                click.echo(_line(s))
