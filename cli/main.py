"""The ``evidence`` command line: parse options, call the library, render the result.

Thin on purpose: every command calls one library function. Errors map to exit codes in
one place (:func:`main`): 0 success / presumed authentic, 1 not presumed or failed,
2 usage or input error, 3 could not complete (chain unreachable, revert), 4 bug.
Heavy modules (web3, report libraries) are imported inside the commands that need them,
so ``evidence --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import NoReturn

import click

from evidence.errors import EXIT_BUG, EXIT_INPUT, EvidenceError
from evidence.version import __version__

from .common import Context

#: Every command of ``evidence``: its name -> "module:attribute", relative to this package.
#: A command's module is imported only when the command runs (or help lists it), so the
#: library loads lazily and no command module imports this one.
COMMANDS: dict[str, str] = {
    "anchor": ".commands:anchor",
    "batcher": ".batcher_cmd:batcher",
    "capture": ".commands:capture",
    "capture-web": ".web_cmd:capture_web",
    "capture-recover": ".commands:capture_recover",
    "demo": ".commands:demo",
    "disclose": ".commands:disclose",
    "init": ".commands:init",
    "inspect": ".commands:inspect",
    "jurisdictions": ".commands:jurisdictions",
    "recheck-script": ".recheck_cmd:recheck_script",
    "report": ".report_cmd:report",
    "report-check": ".report_cmd:report_check",
    "timestamp": ".timestamp_cmd:timestamp",
    "trust": ".trust_cmd:trust",
    "verify": ".commands:verify",
    "witness": ".witness_cmd:witness",
}


class LazyGroup(click.Group):
    """A click group whose commands are named in :data:`COMMANDS` and imported on use
    (the pattern of click's documentation, "Lazily Loading Subcommands")."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = spec.split(":")
        command = getattr(importlib.import_module(module_name, __package__), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{spec} is not a click command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: run the command, map errors to exit codes, never show a traceback
    unless --debug."""
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
