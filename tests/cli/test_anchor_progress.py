"""``evidence anchor``: standard output carries the result only; the progress (the batch
sent) is logged to stderr, at a terminal or with ``evidence --progress`` (issue 13,
Deliver 3). The library's :func:`evidence.anchor` logs the same progress and prints
nothing."""

from __future__ import annotations

import logging
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ..conftest import PASSPHRASE, run_cli

#: The progress line of a direct anchoring (evidence/anchoring.py).
PROGRESS = re.compile(r"^anchoring 1 bundle root\(s\) as batch [0-9a-f]{64} \.\.\.$")
#: The result line of each bundle anchored (cli/commands.py).
RESULT = re.compile(r"^(?P<bundle>\S+): anchored in block \d+ \(tx 0x[0-9a-f]{64}\); "
                    r"receipt written$")
DEV_NOTE = "note: this is a development chain; the anchor has no evidential value"


@pytest.fixture(scope="module")
def chain_base(tmp_path_factory: pytest.TempPathFactory, session_workspace: Path) -> Path:
    """A workspace on the embedded chain (account with the light scrypt setting)."""
    from evidence.anchoring import setup_chain
    from evidence.witness.registry import generate_witness_key
    from evidence.workspace import open_workspace

    root = tmp_path_factory.mktemp("anchor-progress") / "ws"
    shutil.copytree(session_workspace, root)
    ws = open_workspace(root)
    generate_witness_key(ws.path(ws.chain.account_keystore), PASSPHRASE, light_kdf=True)
    setup_chain(ws, PASSPHRASE)
    return root


@pytest.fixture
def ws(chain_base: Path, tmp_path: Path) -> Path:
    """A private copy of the chain workspace (chain included)."""
    shutil.copytree(chain_base, tmp_path / "ws")
    return tmp_path / "ws"


def _bundle(ws: Path, name: str) -> Path:
    from evidence.capturing.pipeline import capture
    from evidence.workspace import open_workspace

    source = ws.parent / f"{name}.txt"
    source.write_text(f"evidence {name}\n")
    bundle = ws.parent / name
    capture([source], out=bundle, case=f"C-{name}",
            key=open_workspace(ws).signing_key(PASSPHRASE))
    return bundle


def test_anchor_prints_its_result_on_stdout_and_its_progress_on_stderr(ws: Path) -> None:
    bundle = _bundle(ws, "b1")
    proc = run_cli("--progress", "anchor", str(bundle), cwd=ws)
    assert proc.returncode == 0, proc.stderr
    result, note = proc.stdout.splitlines()  # the result, and nothing else
    match = RESULT.match(result)
    assert match and match["bundle"] == str(bundle) and note == DEV_NOTE
    assert [line for line in proc.stderr.splitlines() if PROGRESS.match(line)], proc.stderr


@pytest.mark.parametrize(("options", "tty", "level"), [
    ({}, False, logging.WARNING),  # a script's stderr: errors only
    ({}, True, logging.INFO),  # a person at a terminal sees the progress
    ({"progress": True}, False, logging.INFO),
    ({"quiet": True}, True, logging.WARNING),
    ({"debug": True}, False, logging.DEBUG),
])
def test_progress_reaches_stderr_at_a_terminal_or_when_asked(
        monkeypatch: pytest.MonkeyPatch, options: dict[str, bool], tty: bool,
        level: int) -> None:
    from evidence_cli.common import configure_logging

    library = logging.getLogger("evidence")
    saved = library.level, list(library.handlers)
    monkeypatch.setattr("sys.stderr.isatty", lambda: tty)
    try:
        configure_logging(**{"quiet": False, "debug": False, **options})
        assert library.level == level
    finally:
        library.setLevel(saved[0])
        library.handlers[:] = saved[1]


def test_quiet_and_progress_together_are_a_usage_error(tmp_path: Path) -> None:
    proc = run_cli("--quiet", "--progress", "jurisdictions", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "choose one of --quiet and --progress" in proc.stderr


@pytest.fixture
def library_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The library's records, without the stderr handler a CLI run in this process may
    have left on the ``evidence`` logger."""
    library = logging.getLogger("evidence")
    saved = list(library.handlers)
    library.handlers.clear()
    caplog.set_level(logging.INFO, logger="evidence")
    yield caplog
    library.handlers[:] = saved


def test_the_library_logs_anchor_progress_and_prints_nothing(
        ws: Path, library_logs: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    import evidence

    bundle = _bundle(ws, "lib")
    capsys.readouterr()
    outcome = evidence.anchor(bundle, passphrase=PASSPHRASE, workspace=ws)
    assert [b for b, _ in outcome.anchored] == [bundle]
    progress = [r for r in library_logs.records if r.name == "evidence.anchoring"
                and PROGRESS.match(r.getMessage())]
    assert len(progress) == 1 and progress[0].levelno == logging.INFO
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize(("quiet", "shown"), [(False, True), (True, False)])
def test_a_service_logs_its_activity_without_a_terminal(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], quiet: bool,
        shown: bool) -> None:
    from evidence_cli.common import Context, configure_service_logging

    library = logging.getLogger("evidence")
    saved = library.level, list(library.handlers)
    monkeypatch.setattr("sys.stderr.isatty", lambda: False)
    monkeypatch.setenv("TZ", "Asia/Shanghai")  # UTC+8: the stamp must still be UTC
    time.tzset()
    try:
        configure_service_logging(Context(None, debug=False, quiet=quiet), "witness")
        logging.getLogger("evidence.witness.daemon").info("confirmed 0x%s", "ab" * 32)
        logging.getLogger("evidence.witness.daemon").warning("chain problem: gone")
    finally:
        library.setLevel(saved[0])
        library.handlers[:] = saved[1]
        monkeypatch.undo()
        time.tzset()
    out, err = capsys.readouterr()
    stamp = r"(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) witness: "
    assert out == ""
    assert bool(re.search(rf"^{stamp}confirmed 0x(ab){{32}}$", err, re.M)) is shown, err
    warned = re.search(rf"^{stamp}chain problem: gone$", err, re.M)
    assert warned, err
    at = datetime.strptime(warned["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - at).total_seconds()) < 60
