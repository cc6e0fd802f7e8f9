"""The library reports progress through standard ``logging`` (logger ``evidence`` and one
child per module), never by printing (issue 13 item 3)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence.anchorlock import anchor_lock
from evidence.errors import ChainError


@pytest.fixture(autouse=True)
def _no_cli_handler() -> Iterator[None]:
    """The command line, run in this process by another test, attaches its stderr handler
    to the library's logger; these tests look at the library alone."""
    library = logging.getLogger("evidence")
    saved = list(library.handlers)
    library.handlers.clear()
    yield
    library.handlers[:] = saved


def test_a_waiting_anchor_lock_logs_when_no_callback_is_given(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.INFO, logger="evidence")
    with anchor_lock(tmp_path), pytest.raises(ChainError), anchor_lock(tmp_path, timeout_s=0.2):
        pass  # pragma: no cover - the inner lock is never taken
    [record] = [r for r in caplog.records if r.name == "evidence.anchorlock"]
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith("another `evidence anchor` is running in")
    assert capsys.readouterr() == ("", "")  # logged, never printed


def test_verify_logs_its_steps(example_bundle: Path, caplog: pytest.LogCaptureFixture,
                              capsys: pytest.CaptureFixture[str]) -> None:
    from evidence.verification.verifier import verify

    caplog.set_level(logging.INFO, logger="evidence")
    verify(example_bundle, offline=True)
    messages = [r.getMessage() for r in caplog.records
                if r.name == "evidence.verification.verifier"]
    assert messages and messages[0].startswith(f"checking {example_bundle} offline")
    assert capsys.readouterr() == ("", "")
