"""The command line imports the library one way, lazily: cli/main.py names its commands
(``COMMANDS``) and imports a command's module only when that command is used."""

from __future__ import annotations

import subprocess
import sys

import click
from evidence_cli.main import COMMANDS, cli


def test_every_named_command_is_that_command() -> None:
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command)
        assert command.name == name, (name, command.name)


def test_unknown_commands_are_unknown() -> None:
    assert cli.get_command(click.Context(cli), "no-such-command") is None


def test_the_help_lists_every_command_once() -> None:
    assert cli.list_commands(click.Context(cli)) == sorted(COMMANDS)


def test_the_group_imports_no_command_until_one_is_used() -> None:
    code = ("import sys\nimport evidence_cli.main as m\n"
            "before = sorted(n for n in sys.modules if n.startswith('evidence_cli.')"
            " and n not in ('evidence_cli.main', 'evidence_cli.common'))\n"
            "import click\nm.cli.get_command(click.Context(m.cli), 'witness')\n"
            "print(before, 'evidence_cli.witness_cmd' in sys.modules,"
            " 'evidence_cli.commands' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["[]", "True", "False"]
