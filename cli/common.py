"""What every command of ``evidence`` shares: the context object, the passphrase, JSON output.

The bottom of the CLI: the command modules and :mod:`evidence_cli.main` import it; it
imports no command module.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from evidence.errors import EvidenceError

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


#: Passes the :class:`Context` made by the main group to a command.
pass_ctx = click.make_pass_decorator(Context)
