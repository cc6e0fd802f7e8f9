"""evidence.trust.signing and load_trust_profile's signature rules: round trip, pinned
keys, tampering, domain separation, malformed signature files."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.errors import FormatError, InputError, KeyFileError
from evidence.keys import SigningKey, create_signing_key, verify_signature
from evidence.trust import load_trust_profile, sign_trust_profile, signature_path
from evidence.trust.signing import (
    SIGNATURE_TYPE,
    SIGNED_PREFIX,
    make_profile_signature,
    resolve_publisher_keys,
    verify_profile_signature,
)

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "trust"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
SECRET = "publisher passphrase"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SigningKey, SigningKey]:
    """The publisher's key file and key, and another party's key."""
    folder = tmp_path_factory.mktemp("keys")
    publisher = create_signing_key(folder / "publisher.key", SECRET)
    other = create_signing_key(folder / "other.key", SECRET)
    return folder / "publisher.key", publisher, other


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "profile.toml"
    shutil.copyfile(ASSETS / "good" / "every_key.toml", path)
    return path


def test_round_trip(profile: Path, keys: tuple[Path, SigningKey, SigningKey]) -> None:
    key_file, key, _ = keys
    sig = sign_trust_profile(profile, key, now=NOW)
    assert sig == signature_path(profile) == profile.with_name("profile.toml.sig")
    doc = json.loads(sig.read_text(encoding="utf-8"))
    assert doc["type"] == SIGNATURE_TYPE == "evidence-trust-profile-signature"
    assert doc["version"] == 1 and doc["algorithm"] == "ed25519"
    assert doc["fingerprint"] == key.fingerprint and doc["public_key"] == key.public_key.hex()
    assert doc["signed_at"] == "2026-06-01T00:00:00Z"

    unpinned = load_trust_profile(profile, now=NOW)
    assert unpinned.signature is not None and not unpinned.signature.pinned
    assert unpinned.signature.fingerprint == key.fingerprint
    assert unpinned.summary()["signed_by"] == key.fingerprint
    assert unpinned.summary()["publisher_key_pinned"] is False
    for pin in (key.fingerprint, key.fingerprint.upper().replace("SHA256", "sha256"),
                str(key_file)):
        pinned = load_trust_profile(profile, publisher_keys=[pin], now=NOW)
        assert pinned.signature is not None and pinned.signature.pinned
        assert pinned.summary()["publisher_key_pinned"] is True
    # a single string is one key, not a sequence of characters
    assert load_trust_profile(profile, publisher_keys=key.fingerprint,
                              now=NOW).signature is not None


def test_signature_is_over_prefix_and_exact_bytes(profile: Path,
                                                  keys: tuple[Path, SigningKey, SigningKey]
                                                  ) -> None:
    _, key, _ = keys
    raw = profile.read_bytes()
    doc = json.loads(make_profile_signature(raw, key, signed_at=NOW))
    signature = bytes.fromhex(doc["signature"])
    assert SIGNED_PREFIX == b"evidence-trust-profile-v1\n"
    assert verify_signature(key.public_key, signature, SIGNED_PREFIX + raw)
    assert not verify_signature(key.public_key, signature, raw)  # domain separated


def test_signed_by_another_key_when_one_is_pinned(profile: Path,
                                                  keys: tuple[Path, SigningKey, SigningKey]
                                                  ) -> None:
    key_file, key, other = keys
    sign_trust_profile(profile, other, now=NOW)
    with pytest.raises(InputError) as info:
        load_trust_profile(profile, publisher_keys=[key.fingerprint], now=NOW)
    message = str(info.value)
    assert message.startswith(f"{profile}: signed by {other.fingerprint}, which is not the "
                              "pinned publisher key")
    assert key.fingerprint in message
    with pytest.raises(InputError, match="not the pinned"):
        load_trust_profile(profile, publisher_keys=[str(key_file)], now=NOW)
    both = load_trust_profile(profile, publisher_keys=[key.fingerprint, other.fingerprint],
                              now=NOW)
    assert both.signature is not None and both.signature.pinned


def test_missing_signature(profile: Path, keys: tuple[Path, SigningKey, SigningKey]) -> None:
    _, key, _ = keys
    assert load_trust_profile(profile, now=NOW).signature is None
    with pytest.raises(InputError, match=r"not signed \(.*profile\.toml\.sig is missing\) but "
                       "publisher key sha256:"):
        load_trust_profile(profile, publisher_keys=[key.fingerprint], now=NOW)
    with pytest.raises(InputError, match="a signed profile is required"):
        load_trust_profile(profile, require_signature=True, now=NOW)


def test_tampered_profile_byte_is_refused(profile: Path,
                                          keys: tuple[Path, SigningKey, SigningKey]) -> None:
    _, key, _ = keys
    sign_trust_profile(profile, key, now=NOW)
    raw = bytearray(profile.read_bytes())
    raw[raw.index(b"Test Court")] = ord("B")
    profile.write_bytes(bytes(raw))
    for pins in ((), (key.fingerprint,)):
        with pytest.raises(InputError) as info:
            load_trust_profile(profile, publisher_keys=pins, now=NOW)
        assert str(info.value).startswith(f"{profile}: the profile was changed after it was "
                                          f"signed by {key.fingerprint}")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_changed_byte_fails(data: st.DataObject,
                                keys: tuple[Path, SigningKey, SigningKey]) -> None:
    """Any change to any byte of a signed profile, or of the signature's hex fields, is
    refused: the verifier never uses a profile its signature does not cover."""
    _, key, _ = keys
    raw = (ASSETS / "good" / "minimal.toml").read_bytes()
    sig = make_profile_signature(raw, key, signed_at=NOW)
    verify_profile_signature(raw, sig, shown="p.toml", sig_shown="p.toml.sig")
    where = data.draw(st.integers(0, len(raw) - 1))
    delta = data.draw(st.integers(1, 255))
    changed = bytearray(raw)
    changed[where] ^= delta
    with pytest.raises(InputError, match="changed after it was signed"):
        verify_profile_signature(bytes(changed), sig, shown="p.toml", sig_shown="p.toml.sig")
    doc = json.loads(sig)
    name = data.draw(st.sampled_from(["signature", "public_key", "profile_sha256"]))
    pos = data.draw(st.integers(0, len(doc[name]) - 1))
    digit = doc[name][pos]
    doc[name] = doc[name][:pos] + ("0" if digit != "0" else "1") + doc[name][pos + 1:]
    with pytest.raises(InputError):
        verify_profile_signature(raw, json.dumps(doc).encode(), shown="p.toml",
                                 sig_shown="p.toml.sig")


def test_swapped_key_in_signature_is_refused(profile: Path,
                                             keys: tuple[Path, SigningKey, SigningKey]
                                             ) -> None:
    """Another key's public key put into a genuine signature does not verify."""
    _, key, other = keys
    sig = sign_trust_profile(profile, key, now=NOW)
    doc = json.loads(sig.read_text(encoding="utf-8"))
    doc["public_key"], doc["fingerprint"] = other.public_key.hex(), other.fingerprint
    sig.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match=f"by {other.fingerprint} does not verify"):
        load_trust_profile(profile, now=NOW)


@pytest.mark.parametrize(("change", "fragment"), [
    (lambda d: d.update(extra=1), "extra: unknown key"),
    (lambda d: d.pop("signed_at"), "signed_at: missing key"),
    (lambda d: d.update(version=2), "version: unsupported signature version 2"),
    (lambda d: d.update(version=True), "version: unsupported signature version True"),
    (lambda d: d.update(algorithm="ecdsa"), "algorithm: unsupported algorithm"),
    (lambda d: d.update(type="evidence-report-signature"), "not a trust profile signature"),
    (lambda d: d.update(signature="zz"), "signature: must be 128 lowercase hex digits"),
    (lambda d: d.update(signed_at="yesterday"), "signed_at: must be a UTC time"),
    (lambda d: d.update(fingerprint="sha256:" + "0" * 32),
     "fingerprint: the fingerprint does not match the public key"),
])
def test_malformed_signature_document(profile: Path,
                                      keys: tuple[Path, SigningKey, SigningKey],
                                      change: object, fragment: str) -> None:
    _, key, _ = keys
    sig = sign_trust_profile(profile, key, now=NOW)
    doc = json.loads(sig.read_text(encoding="utf-8"))
    change(doc)  # type: ignore[operator]
    sig.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(FormatError) as info:
        load_trust_profile(profile, now=NOW)
    assert str(info.value).startswith(f"{sig}: ")
    assert fragment in str(info.value)


@pytest.mark.parametrize("content", [b"", b"not json", b'{"type": "a", "type": "b"}',
                                     b"[1, 2]", b'{"version": NaN}', b"\xff\xfe",
                                     b" " * 5000])
def test_signature_file_that_is_not_one(profile: Path, content: bytes) -> None:
    signature_path(profile).write_bytes(content)
    with pytest.raises(FormatError):
        load_trust_profile(profile, now=NOW)


def test_signature_that_is_a_folder_is_refused(profile: Path) -> None:
    signature_path(profile).mkdir()
    with pytest.raises(InputError, match="cannot read signature file"):
        load_trust_profile(profile, now=NOW)


def test_sign_refuses_to_overwrite_unless_asked(profile: Path,
                                                keys: tuple[Path, SigningKey, SigningKey]
                                                ) -> None:
    _, key, other = keys
    sig = sign_trust_profile(profile, key, now=NOW)
    before = sig.read_bytes()
    with pytest.raises(InputError, match="exists already"):
        sign_trust_profile(profile, other, now=NOW)
    assert sig.read_bytes() == before
    sign_trust_profile(profile, other, replace=True, now=NOW)
    assert load_trust_profile(profile, publisher_keys=[other.fingerprint], now=NOW).signature


def test_sign_to_another_file(profile: Path, keys: tuple[Path, SigningKey, SigningKey]) -> None:
    _, key, _ = keys
    out = profile.with_name("elsewhere.sig")
    assert sign_trust_profile(profile, key, out=out, now=NOW) == out
    assert not signature_path(profile).exists()
    verify_profile_signature(profile.read_bytes(), out.read_bytes(), shown=str(profile),
                             sig_shown=str(out))


@pytest.mark.parametrize("asset", ["bad/draft.toml", "bad/expired.toml", "bad/version_2.toml",
                                   "bad/witness_two_operators.toml"])
def test_sign_never_signs_a_bad_profile(tmp_path: Path, asset: str,
                                        keys: tuple[Path, SigningKey, SigningKey]) -> None:
    _, key, _ = keys
    path = tmp_path / "p.toml"
    shutil.copyfile(ASSETS / asset, path)
    with pytest.raises(InputError):
        sign_trust_profile(path, key, now=NOW)
    assert not signature_path(path).exists()


def test_publisher_key_forms(tmp_path: Path, keys: tuple[Path, SigningKey, SigningKey]) -> None:
    key_file, key, _ = keys
    assert resolve_publisher_keys([key.fingerprint, str(key_file)]) == {key.fingerprint}
    for bad in ("sha256:abc", "", "no-such-file.key", str(tmp_path)):
        with pytest.raises(InputError, match="neither a key fingerprint"):
            resolve_publisher_keys([bad])
    not_a_key = tmp_path / "x.key"
    not_a_key.write_text("{}", encoding="utf-8")
    not_a_key.chmod(0o600)
    with pytest.raises(KeyFileError):
        resolve_publisher_keys([str(not_a_key)])
