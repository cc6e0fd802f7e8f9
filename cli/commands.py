"""The commands of ``evidence``; each parses, calls one library function, renders."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .main import Context, cli, emit_json, passphrase
from .render import render_inspect, render_verification

pass_ctx = click.make_pass_decorator(Context)


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path), default=Path("."))
@pass_ctx
def init(ctx: Context, path: Path) -> int:
    """Create a workspace in PATH (default: here): evidence.toml and a capturer key.

    Running it again on an existing workspace changes nothing and never touches a key.
    """
    from evidence.workspace import CONFIG_NAME, init_workspace

    existing = (path / CONFIG_NAME).exists()
    ws, created = init_workspace(path, "" if existing else passphrase(confirm=True))
    if created:
        click.echo(f"workspace created: {ws.root}")
        click.echo(f"capturer key: {ws.path(ws.capturer_key)} (Ed25519, encrypted, mode 0600)")
        click.echo(f"capturer fingerprint: {ws.capturer_fingerprint}")
    else:
        click.echo(f"workspace exists already: {ws.root} (nothing changed)")
    return 0


def _progress_printer(label: str) -> Any:
    """A progress callback drawing a bar on stderr when it is a terminal."""
    if not sys.stderr.isatty():
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


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--records", "records", multiple=True, type=click.Path(path_type=Path),
              help="A transaction export (CSV, JSON array, JSON Lines); one item per record.")
@click.option("--case", required=True, help="Case identifier, e.g. 2026-CN-0042.")
@click.option("--platform", help="Platform the evidence comes from.")
@click.option("--source-url", help="Where the evidence was found (listing, chat, export URL).")
@click.option("--note", help="A free note recorded in the provenance.")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of CSV exports.")
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path),
              help="The bundle folder to create (never overwritten).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_ctx
def capture(ctx: Context, paths: tuple[Path, ...], records: tuple[Path, ...], case: str,
            platform: str | None, source_url: str | None, note: str | None, encoding: str,
            out: Path, as_json: bool) -> int:
    """Capture files, folders (recursive; symlinks are not followed) and transaction
    exports into a new signed BagIt evidence bundle."""
    from evidence.capturing import capture as do_capture

    ws = ctx.workspace()
    key = ws.signing_key(passphrase())
    result = do_capture(list(paths), records=list(records), out=out, case=case, key=key,
                        platform=platform, source_url=source_url, note=note, encoding=encoding,
                        progress=_progress_printer("capturing"))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        emit_json({"bundle": str(result.path), "root": result.root.hex(),
                   "items": result.item_count, "files": result.file_count,
                   "records": result.record_count, "bytes": result.total_bytes,
                   "warnings": list(result.warnings)})
    else:
        click.echo(f"captured {result.file_count} files and {result.record_count} records "
                   f"({result.total_bytes} bytes) into {result.path}")
        click.echo(f"bundle root: {result.root.hex()} (signed by {key.fingerprint})")
        click.echo(f"next: evidence anchor {result.path}")
    return 0


@cli.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def inspect(bundle: Path, as_json: bool) -> int:
    """Show a bundle's items, root, signer and custody log (no checks: see verify)."""
    from evidence.inspection import inspect_bundle

    info = inspect_bundle(bundle)
    if as_json:
        emit_json(info)
    else:
        render_inspect(info)
    return 0


@cli.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result object as JSON.")
@click.option("--offline", is_flag=True, help="Do not ask the chain (never presumed authentic).")
def verify(bundle: Path, as_json: bool, offline: bool) -> int:
    """Verify a bundle or disclosure package and give a verdict.

    Exit 0 presumed authentic, 1 not presumed or failed, 3 inconclusive, 2 bad input.
    """
    from evidence.verification import verify as do_verify

    result = do_verify(bundle, offline=offline)
    if as_json:
        emit_json(result.to_json())
    else:
        render_verification(result)
    return result.exit_code


@cli.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--item", "item_id", required=True, help="Item id (F-1, R-12) or data/ path.")
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path),
              help="The disclosure package folder to create.")
@pass_ctx
def disclose(ctx: Context, bundle: Path, item_id: str, out: Path) -> int:
    """Write a package holding one item, its salt and its proof, and nothing else."""
    from evidence.disclosure import disclose as do_disclose

    ws = ctx.workspace()
    key = ws.signing_key(passphrase())
    path = do_disclose(bundle, item_id, out=out, key=key)
    click.echo(f"disclosed {item_id} into {path}; check it with: evidence verify {path}")
    return 0
