"""``evidence batcher serve``: one anchor for many capture clients (evidence/batcher/).

Usage::

    evidence -w BATCHER_WS batcher serve [--host 127.0.0.1] [--port 8470]
        [--interval SECONDS] [--max-roots N] [--allow FINGERPRINT ...]

The workspace's account pays for the anchors (passphrase: EVIDENCE_PASSPHRASE, else a
prompt). Attach with :func:`register`.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import UTC, datetime
from types import FrameType

import click

from .common import Context, configure_service_logging, pass_ctx, passphrase

__all__ = ["batcher"]




def _log(line: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    click.echo(f"{stamp} batcher: {line}", err=True)


@click.group()
def batcher() -> None:
    """Aggregate bundle roots from many capture clients into one anchor per batch."""


@batcher.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; put a TLS proxy in front "
              "to serve other machines).")
@click.option("--port", type=click.IntRange(0, 65535), default=8470, show_default=True,
              help="TCP port (0: any free port, printed at start).")
@click.option("--interval", type=click.FloatRange(0.1, 86400), default=10.0,
              show_default=True, metavar="SECONDS",
              help="Anchor the pending roots at most this long after the oldest arrived.")
@click.option("--max-roots", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Anchor at once when this many roots are pending.")
@click.option("--allow", "allowed", multiple=True, metavar="FINGERPRINT",
              help="Accept submissions only from this capturer key (sha256:...; repeat). "
              "Default: any key whose signature verifies.")
@pass_ctx
def serve(ctx: Context, host: str, port: int, interval: float, max_roots: int,
          allowed: tuple[str, ...]) -> int:
    """Accept signed bundle roots over HTTP and anchor them together.

    Logs one line per batch to stderr, terminal or not (-q: warnings only). Pending roots
    are journaled in <workspace>/batcher/ and survive a restart. SIGTERM or SIGINT: stop,
    exit 0.
    """
    from evidence.batcher.service import BatcherSettings
    from evidence.batcher.service import serve as run_serve

    configure_service_logging(ctx, "batcher")  # its activity log is its output
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if not stop.is_set():
            _log(f"{signal.Signals(signum).name}: stopping")
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    settings = BatcherSettings(interval_s=interval, max_roots=max_roots,
                               allowed=frozenset(allowed))
    summary = run_serve(ctx.workspace(), passphrase(), host=host, port=port,
                        settings=settings, stop=stop)
    _log(f"stopped; {summary.batches} batch(es) journaled, {summary.pending} root(s) pending")
    sys.stderr.flush()
    return 0
