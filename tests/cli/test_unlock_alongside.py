"""``unlock(open_key, meanwhile=...)``: the key opens on another thread while the command
loads what it needs next (issue 17: ``report -o .pdf`` hides the key's scrypt behind the
PDF libraries' import). The outcome, the retries and the errors are those of ``unlock``
without it."""

from __future__ import annotations

import threading

import pytest
from evidence_cli import common

from evidence.errors import KeyFileError, WrongPassphraseError


def test_the_key_opens_while_the_other_work_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVIDENCE_PASSPHRASE", "right")
    started = threading.Event()
    threads: dict[str, int] = {}

    def open_key(secret: str) -> str:
        threads["key"] = threading.get_ident()
        started.set()
        return f"key for {secret}"

    def meanwhile() -> None:
        threads["work"] = threading.get_ident()
        # Run one after the other, this wait would time out: the key has not started.
        assert started.wait(timeout=30), "the key did not open alongside"

    assert common.unlock(open_key, meanwhile=meanwhile) == ("right", "key for right")
    assert threads["key"] != threads["work"] == threading.get_ident()


def test_errors_come_after_the_other_work_and_are_the_keys_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVIDENCE_PASSPHRASE", "wrong")
    done: list[str] = []

    def open_key(secret: str) -> str:
        raise WrongPassphraseError("k.json: wrong passphrase")

    with pytest.raises(WrongPassphraseError, match="wrong passphrase"):
        common.unlock(open_key, meanwhile=lambda: done.append("work"))
    assert done == ["work"]  # tried once (from the environment), the work finished

    def damaged(secret: str) -> str:
        raise KeyFileError("k.json: damaged key file")

    with pytest.raises(KeyFileError, match="damaged"):
        common.unlock(damaged, meanwhile=lambda: None)


def test_retries_at_a_terminal_run_the_other_work_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["one", "two", "right"])
    monkeypatch.setattr(common, "passphrase", lambda: next(answers))
    tried: list[str] = []
    work: list[int] = []

    def open_key(secret: str) -> str:
        tried.append(secret)
        if secret != "right":
            raise WrongPassphraseError("wrong passphrase")
        return "key"

    assert common.unlock(open_key, meanwhile=lambda: work.append(1)) == ("right", "key")
    assert tried == ["one", "two", "right"] and work == [1]
