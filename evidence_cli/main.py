"""The ``evidence`` command line: parse options, call the library, render the result.

Thin on purpose: every command calls one library function. Errors map to exit codes in
one place (:func:`main`): 0 success / presumed authentic, 1 not presumed or failed,
2 usage or input error, 3 could not complete (chain unreachable, revert), 4 bug.
Heavy modules (web3, report libraries) are imported inside the commands that need them,
so ``evidence --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from evidence.errors import EXIT_BUG, EXIT_INPUT, EvidenceError
from evidence.version import __version__

PASSPHRASE_ENV = "EVIDENCE_PASSPHRASE"


class Context:
    def __init__(self, workspace: Path | None, debug: bool):
        self.workspace_path = workspace
        self.debug = debug

    def workspace(self) -> Any:
        from evidence.workspace import open_workspace

        return open_workspace(self.workspace_path)


def passphrase(*, confirm: bool = False) -> str:
    """The key passphrase from EVIDENCE_PASSPHRASE, else a hidden prompt."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    if not sys.stdin.isatty():
        raise EvidenceError(f"no passphrase: set {PASSPHRASE_ENV} or run in a terminal")
    return str(click.prompt("Key passphrase", hide_input=True, confirmation_prompt=confirm))


def emit_json(obj: Any) -> None:
    click.echo(format_json(obj))


#: Writes one JSON value on one line, in C (json's encoder runs in Python once indenting).
_ONE_LINE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def format_json(value: Any, *, levels: int = 2, pad: str = "") -> str:
    """``value`` as JSON for people and programs: objects and arrays of the first
    ``levels`` levels one member per line, indented by two spaces; deeper values on one
    line each. A verification result lists every item (tens of thousands), one per line:
    fully indented, json's pure-Python encoder took seconds over it."""
    if levels <= 0 or not isinstance(value, dict | list) or not value:
        return _ONE_LINE(value)
    inner = pad + "  "
    if isinstance(value, dict):
        members = [f"{inner}{_ONE_LINE(str(name))}: "
                   f"{format_json(member, levels=levels - 1, pad=inner)}"
                   for name, member in value.items()]
        return "{\n" + ",\n".join(members) + f"\n{pad}}}"
    elements = [inner + format_json(element, levels=levels - 1, pad=inner) for element in value]
    return "[\n" + ",\n".join(elements) + f"\n{pad}]"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="evidence")
@click.option("--workspace", "-w", type=click.Path(path_type=Path, file_okay=False),
              envvar="EVIDENCE_WORKSPACE", help="Workspace folder (else EVIDENCE_WORKSPACE, "
              "else the nearest folder upwards holding evidence.toml).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def cli(ctx: click.Context, workspace: Path | None, debug: bool) -> None:
    """Capture, anchor, witness and verify evidence for cross-border e-commerce disputes.

    \b
    Typical flow:
      evidence init case-ws
      evidence capture shots/ --records orders.csv --case C-1 -o bundle
      evidence anchor bundle
      evidence verify bundle
      evidence report bundle -o report.pdf
    """
    ctx.obj = Context(workspace, debug)


def _load_commands() -> None:
    from . import commands  # noqa: F401  (registers the commands on `cli`)


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: run the command, map errors to exit codes, never show a traceback
    unless --debug."""
    _load_commands()
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        rc = cli.main(args=args, prog_name="evidence", standalone_mode=False)
    except click.exceptions.Exit as exc:
        rc = exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        rc = EXIT_INPUT
    except click.ClickException as exc:
        exc.show()
        rc = EXIT_INPUT
    except EvidenceError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        rc = exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        rc = 130
    except BrokenPipeError:
        rc = 0
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        if debug:
            raise
        click.echo(f"internal error (a bug; rerun with --debug and report it): "
                   f"{type(exc).__name__}: {exc}", err=True)
        rc = EXIT_BUG
    sys.exit(rc if isinstance(rc, int) else 0)
