"""The capturer key's scrypt runs once per process and passphrase (evidence/keys.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import evidence.keys as keys
from evidence.errors import WrongPassphraseError
from evidence.keys import create_signing_key, load_signing_key


def test_derived_once_and_never_for_another_passphrase(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "capturer.key"
    created = create_signing_key(path, "first passphrase")
    runs: list[int] = []
    real = keys.Scrypt

    def counting(**kwargs: Any) -> Any:
        runs.append(kwargs["n"])
        return real(**kwargs)

    monkeypatch.setattr(keys, "Scrypt", counting)
    keys._DERIVED.clear()
    first = load_signing_key(path, "first passphrase")
    second = load_signing_key(path, "first passphrase")
    assert first.public_key == second.public_key == created.public_key
    assert len(runs) == 1
    with pytest.raises(WrongPassphraseError):
        load_signing_key(path, "second passphrase")
    assert len(runs) == 2
