"""What every command of ``evidence`` shares: the context object, the passphrase, JSON output.

The bottom of the CLI: the command modules and :mod:`evidence_cli.main` import it; it
imports no command module.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from evidence.errors import EvidenceError, WrongPassphraseError

PASSPHRASE_ENV = "EVIDENCE_PASSPHRASE"

#: How many passphrases a person at a terminal may type before the command gives up.
PASSPHRASE_TRIES = 3

_T = TypeVar("_T")


class Context:
    def __init__(self, workspace: Path | None, debug: bool, quiet: bool = False):
        self.workspace_path = workspace
        self.debug = debug
        self.quiet = quiet

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


def unlock(open_key: Callable[[str], _T], *,
           meanwhile: Callable[[], object] | None = None) -> tuple[str, _T]:
    """The passphrase and what ``open_key(passphrase)`` opens with it (a signing key).

    At a terminal a wrong passphrase asks again, :data:`PASSPHRASE_TRIES` times in all; a
    passphrase from EVIDENCE_PASSPHRASE (or no terminal) is tried once, as a script expects.
    Only :class:`WrongPassphraseError` asks again; a damaged key file fails at once.

    ``meanwhile`` (once, after the first passphrase is read) runs on this thread while
    ``open_key`` runs on another: the key's scrypt releases the GIL, so work such as
    importing the libraries the command needs next costs no extra time.
    """
    from_env = bool(os.environ.get(PASSPHRASE_ENV))
    for attempt in range(1, PASSPHRASE_TRIES + 1):
        secret = passphrase()
        try:
            if meanwhile is None:
                return secret, open_key(secret)
            work, meanwhile = meanwhile, None
            return secret, _alongside(open_key, secret, work)
        except WrongPassphraseError:
            if from_env or attempt == PASSPHRASE_TRIES:
                raise
            click.echo(f"wrong passphrase; try again ({PASSPHRASE_TRIES - attempt} left)",
                       err=True)
    raise AssertionError("unreachable")  # pragma: no cover


def _alongside(open_key: Callable[[str], _T], secret: str, work: Callable[[], object]) -> _T:
    """``open_key(secret)`` on a worker thread while ``work()`` runs here; the key's outcome
    (its value or its error) is returned or raised after both have finished."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="unlock") as pool:
        opened = pool.submit(open_key, secret)
        work()
        return opened.result()


def check_before_prompt(*, bundles: Any = (), inputs: Any = (), new: Path | None = None,
                        what: str = "output") -> None:
    """Check what a command was given before it asks for a passphrase, with the library's
    own messages: ``bundles`` must be bundles (or disclosure packages), ``inputs`` must
    exist, ``new`` must not exist and its folder must."""
    from evidence.bundle.integrity import require_package
    from evidence.errors import BundleExistsError, InputError

    for bundle in bundles:
        require_package(Path(bundle))
    for given in inputs:
        if not (Path(given).exists() or Path(given).is_symlink()):
            raise InputError(f"{given}: no such file or folder")
    if new is not None:
        if new.exists() or new.is_symlink():
            raise BundleExistsError(f"{new}: exists already; a {what} is never overwritten")
        if not new.parent.is_dir():
            raise InputError(f"{new.parent}: output folder does not exist")


def signing_key(ws: Any) -> Any:
    """The workspace's capturer key, unlocked with :func:`unlock` (three tries at a
    terminal)."""
    return unlock(ws.signing_key)[1]


#: The library's loggers are children of this one (``evidence.capturing.pipeline``...).
LIBRARY_LOGGER = "evidence"


def configure_logging(*, quiet: bool, debug: bool, progress: bool = False) -> None:
    """Send the library's log records to stderr, one plain line each: progress at INFO
    when stderr is a terminal or with ``--progress`` (a script's stderr keeps errors to
    their one line unless it asks), debug messages with the logger's name with ``--debug``,
    warnings and errors only with ``--quiet``. Standard output stays for results (and
    --json)."""
    if debug:
        level = logging.DEBUG
    elif quiet:
        level = logging.WARNING
    elif progress or sys.stderr.isatty():
        level = logging.INFO
    else:
        level = logging.WARNING
    _install_handler(level, "%(levelname)s %(name)s: %(message)s" if debug else "%(message)s")


#: A service's log lines: ``2026-12-02T15:41:17Z witness: confirmed 0x...`` (UTC).
SERVICE_LOG_FORMAT = "%(asctime)s {service}: %(message)s"
SERVICE_LOG_TIME = "%Y-%m-%dT%H:%M:%SZ"


def configure_service_logging(obj: Context, service: str) -> None:
    """For a long-running service (``witness serve``, ``batcher serve``): its activity
    log is its output, so the library's INFO lines reach stderr whether or not it is a
    terminal (a daemon's stderr is a journal or a file), each stamped with the UTC time
    and ``service``; ``--quiet`` keeps warnings and errors, ``--debug`` adds debug lines."""
    level = (logging.DEBUG if obj.debug else logging.WARNING if obj.quiet else logging.INFO)
    shown = "%(levelname)s %(name)s: %(message)s" if obj.debug else "%(message)s"
    _install_handler(level, SERVICE_LOG_FORMAT.format(service=service).replace(
        "%(message)s", shown), SERVICE_LOG_TIME, utc=True)


def _install_handler(level: int, fmt: str, datefmt: str | None = None, *,
                     utc: bool = False) -> None:
    """One :class:`_StderrHandler` on the library's logger (replacing an earlier one)."""
    logger = logging.getLogger(LIBRARY_LOGGER)
    for old in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
        logger.removeHandler(old)
    handler = _StderrHandler()
    formatter = logging.Formatter(fmt, datefmt)
    if utc:
        formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    logger.setLevel(level)


class _StderrHandler(logging.Handler):
    """Writes each record to the ``sys.stderr`` of the moment (not the stream of when it
    was made: click's test runner and pytest swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


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
