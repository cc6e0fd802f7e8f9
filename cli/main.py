"""The ``evidence`` command line: parse options, call the library, render the result.

Thin on purpose: every command calls one library function. Errors map to exit codes in
one place (:func:`main`): 0 success / presumed authentic, 1 not presumed or failed,
2 usage or input error, 3 could not complete (chain unreachable, revert), 4 bug,
130 interrupted (Ctrl-C). ``-w/--workspace`` is accepted before or after a command's name
(:func:`_add_workspace_option`); the library's ``logging`` records go to stderr
(:func:`evidence_cli.common.configure_logging`).
Heavy modules (web3, report libraries) are imported inside the commands that need them,
so ``evidence --help`` stays fast.
"""

from __future__ import annotations

import gc
import importlib
import sys
from pathlib import Path
from typing import NoReturn

import click

from evidence.errors import EXIT_BUG, EXIT_INPUT, EXIT_INTERRUPTED, EvidenceError
from evidence.version import __version__

from .common import Context, configure_logging

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


#: Commands that use no workspace: ``-w`` after their name would be a mistake, so they do
#: not accept it (before the command it is accepted, and unused, as before).
NO_WORKSPACE: frozenset[str] = frozenset({
    "capture-recover", "demo", "init", "inspect", "jurisdictions", "recheck-script", "report-check",
    "report check", "trust keygen", "trust sign", "trust check", "trust show",
    "witness keygen",
})

#: What ``-w`` after a command says in its help.
_WORKSPACE_HELP = ("Workspace folder (else EVIDENCE_WORKSPACE, else the nearest folder upwards "
                   "holding evidence.toml); also accepted before the command.")


def _set_workspace(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        obj = ctx.find_object(Context)
        if obj is not None:
            obj.workspace_path = value


def _add_workspace_option(command: click.Command, name: str) -> None:
    """Let ``-w/--workspace`` follow the command's name too (``evidence capture ... -w WS``):
    it sets the same :class:`Context` value as before the name. A command with its own
    ``workspace`` option (verify, report) keeps it; groups get it on each subcommand."""
    if isinstance(command, click.Group):
        for sub_name, sub in command.commands.items():
            _add_workspace_option(sub, f"{name} {sub_name}")
        return
    if name in NO_WORKSPACE or any(p.name == "workspace" for p in command.params):
        return
    command.params.append(click.Option(
        ["-w", "--workspace", "workspace"], type=click.Path(path_type=Path, file_okay=False),
        expose_value=False, is_eager=True, callback=_set_workspace, help=_WORKSPACE_HELP))


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
        _add_workspace_option(command, cmd_name)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="evidence")
@click.option("--workspace", "-w", type=click.Path(path_type=Path, file_okay=False),
              envvar="EVIDENCE_WORKSPACE", help="Workspace folder (else EVIDENCE_WORKSPACE, "
              "else the nearest folder upwards holding evidence.toml); also accepted after "
              "the command.")
@click.option("--debug", is_flag=True,
              help="Show tracebacks, and the library's debug messages on stderr.")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress on stderr (warnings and errors only).")
@click.option("--progress", is_flag=True,
              help="Progress on stderr even when it is not a terminal (a CI log, a pipe).")
@click.pass_context
def cli(ctx: click.Context, workspace: Path | None, debug: bool, quiet: bool,
        progress: bool) -> None:
    """Capture, anchor, witness and verify evidence for cross-border e-commerce disputes.

    \b
    Typical flow:
      evidence init case-ws
      evidence capture shots/ --records orders.csv --case C-1 -o bundle
      evidence anchor bundle
      evidence verify bundle
      evidence report bundle -o report.pdf

    \b
    Shell completion (bash; zsh and fish alike):
      eval "$(_EVIDENCE_COMPLETE=bash_source evidence)"
    """
    if quiet and progress:
        raise click.UsageError("choose one of --quiet and --progress")
    ctx.obj = Context(workspace, debug, quiet)
    configure_logging(quiet=quiet, debug=debug, progress=progress)


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point: run the command, map errors to exit codes, never show a traceback
    unless --debug."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        rc = cli.main(args=args, prog_name="evidence", standalone_mode=False)
    except click.exceptions.Exit as exc:
        rc = exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        # Ctrl-C (at a prompt click turns it into Abort). Everything the library writes is
        # written through temporary files and folders removed on any exception, so this
        # line is true: an interrupted command leaves no output behind.
        click.echo("\naborted; nothing was written", err=True)
        rc = EXIT_INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        rc = EXIT_INPUT
    except EvidenceError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        rc = exc.exit_code
    except BrokenPipeError:
        rc = 0
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        if debug:
            raise
        click.echo(f"internal error (a bug; rerun with --debug and report it): "
                   f"{type(exc).__name__}: {exc}", err=True)
        rc = EXIT_BUG
    sys.exit(rc if isinstance(rc, int) else 0)


def run() -> NoReturn:
    """The ``evidence`` console script: :func:`main`, after which the process ends.

    Before it ends, every object the command made is frozen (:func:`gc.freeze`), so that
    the interpreter's shutdown frees them without first walking them all for reference
    cycles: after the PDF libraries are loaded that walk took 0.1 to 0.15 s of each
    ``report`` (issue 17). Nothing is skipped that the commands rely on: they close and
    flush their own files, and atexit handlers still run. In-process callers of
    :func:`main` (the tests) keep their collector as it was.
    """
    try:
        main()
    finally:
        gc.freeze()
