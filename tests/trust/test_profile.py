"""evidence.trust.profile: every rule of the trust profile format, on named assets
(tests/assets/trust/good/, tests/assets/trust/bad/ with bad/EXPECTED.toml), and the JSON
Schema agreeing with the loader."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from evidence.chain.light import EMBEDDED_CHAIN_ID
from evidence.errors import FormatError, InputError
from evidence.trust import (
    DEVELOPMENT_CHAIN_IDS,
    MAX_PROFILE_BYTES,
    TRUST_ENV,
    default_profile_path,
    load_trust_profile,
    parse_trust_profile,
)

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "trust"
GOOD = sorted((ASSETS / "good").glob("*.toml"))
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads(
    (ASSETS / "bad" / "EXPECTED.toml").read_text(encoding="utf-8"))["entry"]
EXAMPLES = sorted(Path(str(resources.files("evidence").joinpath("data", "trust"))).glob("*.toml"))
SCHEMA = json.loads(resources.files("evidence").joinpath(
    "schemas", "trust-profile.schema.json").read_text(encoding="utf-8"))

#: The tests' "now": within every good asset's validity.
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _load(path: Path) -> Any:
    return load_trust_profile(path, now=NOW)


# --------------------------------------------------------------------------- assets


def test_every_bad_asset_is_listed() -> None:
    files = {p.stem for p in (ASSETS / "bad").glob("*.toml") if p.name != "EXPECTED.toml"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("path", GOOD, ids=[p.stem for p in GOOD])
def test_good_assets_load(path: Path) -> None:
    profile = _load(path)
    assert profile.version == 1 and profile.source == str(path)
    assert profile.signature is None
    assert len(profile.sha256) == 64


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_assets_are_refused_naming_file_and_key(name: str) -> None:
    entry = EXPECTED[name]
    path = ASSETS / "bad" / f"{name}.toml"
    with pytest.raises(InputError) as info:
        _load(path)
    exc = info.value
    if entry["error"] == "format":
        assert isinstance(exc, FormatError)
        assert exc.where == entry.get("where")
        assert exc.path == str(path)
    else:
        assert type(exc) is InputError
    message = str(exc)
    assert message.startswith(f"{path}: ")
    if "where" in entry:
        assert message.startswith(f"{path}: {entry['where']}: ")
    assert entry["expect"] in message
    assert "\n" not in message


def test_minimal_profile_values() -> None:
    p = _load(ASSETS / "good" / "minimal.toml")
    assert p.name == "tests-minimal" and p.publisher is None and p.description is None
    assert p.expires == datetime(2099, 12, 31, tzinfo=UTC) and not p.demonstration
    (chain,) = p.chains
    assert chain.chain_id == 7140 and chain.min_blocks_on_top is None
    assert chain.min_nodes == 1 and chain.nodes == () and not chain.development
    assert chain.genesis_hash.hex().startswith("b870b009")
    (reg,) = p.registries
    assert not reg.operators_from_registry
    assert p.registry(7140, reg.contract.lower()) is reg
    (op,) = p.operators
    assert op.id == "LEI:TEST00000000000001" and op.jurisdiction == "CN"
    (w,) = op.witnesses
    assert w.valid_from == datetime(2026, 1, 1, tzinfo=UTC) and w.valid_until is None
    assert p.operator_of(w.address.upper().replace("0X", "0x")) == (op, w)


def test_addresses_are_stored_checksummed_and_times_in_utc() -> None:
    p = _load(ASSETS / "good" / "offsets_and_case.toml")
    first, second = p.operators[0].witnesses
    assert first.address == "0xcb532F02936c11337710a46b5B04f64D79e154ab"
    assert second.address == "0x18cFFC25BA7D399cDB789faf591Ce5cCcDab766A"
    assert first.valid_from == datetime(2026, 1, 1, tzinfo=UTC)
    assert first.valid_until == datetime(2026, 7, 1, tzinfo=UTC)
    assert first.valid_from.tzinfo is UTC and second.valid_from.tzinfo is UTC
    assert first.to_json()["until"] == "2026-07-01T00:00:00Z"


def test_every_key_profile() -> None:
    p = _load(ASSETS / "good" / "every_key.toml")
    assert p.publisher == "Test Court Technology Office"
    assert p.description is not None and "\n" in p.description
    (chain,) = p.chains
    assert chain.min_blocks_on_top == 12 and chain.min_nodes == 2
    assert chain.nodes == ("https://node-1.example.org:8545", "http://127.0.0.1:8545/rpc")
    assert [o.jurisdiction for o in p.operators] == ["CN", "DE"]
    doc = p.to_json()
    assert doc["chains"][0]["nodes"] == list(chain.nodes)
    assert json.loads(json.dumps(doc)) == doc


def test_witness_tables_equal_inline_tables() -> None:
    p = _load(ASSETS / "good" / "witness_tables.toml")
    assert len(p.operators[0].witnesses) == 2
    assert p.operators[0].witnesses[1].valid_until == datetime(2027, 2, 1, tzinfo=UTC)


def test_demonstration_profile_may_pin_a_development_chain() -> None:
    p = _load(ASSETS / "good" / "demonstration.toml")
    assert p.demonstration and p.operators == ()
    assert p.chains[0].development and p.registries[0].operators_from_registry
    assert p.summary()["demonstration"] is True


def test_known_development_id_is_marked_development() -> None:
    text = (ASSETS / "good" / "demonstration.toml").read_text(encoding="utf-8")
    text = text.replace("development = true\n", "")
    p = parse_trust_profile(text.encode(), shown="t.toml", now=NOW)
    assert p.chains[0].development  # chain 31337 is development whatever the file says
    assert {1337, 31337, EMBEDDED_CHAIN_ID} == DEVELOPMENT_CHAIN_IDS


def test_example_profiles_load() -> None:
    assert [p.name for p in EXAMPLES] == ["example-consortium.toml"]
    for path in EXAMPLES:
        p = _load(path)
        assert "EXAMPLE" in (p.description or "") and "made-up" in (p.description or "")
        assert not p.demonstration and len(p.operators) >= 3


# --------------------------------------------------------------------------- rules in code


def _minimal() -> str:
    return (ASSETS / "good" / "minimal.toml").read_text(encoding="utf-8")


def test_expired_is_an_input_error_naming_file_and_expiry() -> None:
    raw = _minimal().encode()
    just_before = datetime(2099, 12, 30, 23, 59, 59, tzinfo=UTC)
    assert parse_trust_profile(raw, shown="p.toml", now=just_before).name == "tests-minimal"
    for now in (datetime(2099, 12, 31, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)):
        with pytest.raises(InputError) as info:
            parse_trust_profile(raw, shown="p.toml", now=now)
        assert not isinstance(info.value, FormatError)
        assert str(info.value).startswith("p.toml: the trust profile expired on "
                                          "2099-12-31T00:00:00Z")


def test_now_must_carry_a_time_zone() -> None:
    with pytest.raises(ValueError):
        parse_trust_profile(_minimal().encode(), shown="p.toml", now=datetime(2026, 1, 1))


def test_too_large_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(_minimal().encode() + b"#" * MAX_PROFILE_BYTES)
    with pytest.raises(FormatError, match="larger than 1048576 bytes"):
        _load(path)


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"cannot read trust profile .*missing\.toml"):
        _load(tmp_path / "missing.toml")
    with pytest.raises(InputError, match="cannot read trust profile"):
        _load(tmp_path)


def test_operator_ids_that_look_like_drafts_are_refused_in_any_case() -> None:
    raw = _minimal().replace("LEI:TEST00000000000001", "review-7").encode()
    with pytest.raises(FormatError, match="placeholder"):
        parse_trust_profile(raw, shown="p.toml", now=NOW)


def test_many_operators_fit_in_the_size_limit() -> None:
    """Thousands of operators stay under MAX_PROFILE_BYTES."""
    from evidence.chain.light import to_checksum_address

    head = _minimal().split("[[operators]]")[0]
    parts = [head]
    for i in range(3000):
        address = to_checksum_address((i + 1).to_bytes(20, "big"))
        parts.append(f'[[operators]]\nid = "LEI:OP{i:016d}"\nname = "Operator number {i}"\n'
                     f'jurisdiction = "DE"\nsource = "https://register.example.org/{i}"\n'
                     f'witnesses = [{{ address = "{address}", from = 2026-01-01T00:00:00Z }}]\n')
    raw = "\n".join(parts).encode()
    assert len(raw) < MAX_PROFILE_BYTES
    assert len(parse_trust_profile(raw, shown="p.toml", now=NOW).operators) == 3000


def test_default_profile_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert TRUST_ENV == "EVIDENCE_TRUST"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_profile_path() == tmp_path / "evidence" / "trust.toml"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_profile_path() == tmp_path / "home" / ".config" / "evidence" / "trust.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert default_profile_path() == tmp_path / "home" / ".config" / "evidence" / "trust.toml"


# --------------------------------------------------------------------------- the schema


def _as_json(value: object) -> object:
    """A parsed TOML document as the schema describes it: date-times as their RFC 3339
    text (datetime.isoformat()), local dates and times as theirs."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def _schema_errors(path: Path) -> list[str]:
    doc = _as_json(tomllib.loads(path.read_text(encoding="utf-8")))
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [e.message for e in validator.iter_errors(doc)]


def test_schema_is_valid() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", GOOD + EXAMPLES, ids=[p.stem for p in GOOD + EXAMPLES])
def test_schema_accepts_good_profiles_and_examples(path: Path) -> None:
    assert _schema_errors(path) == []


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if "schema" in e))
def test_schema_and_loader_agree_on_bad_documents(name: str) -> None:
    """Where the schema can say a rule it refuses what the loader refuses; where it
    cannot (``schema = false``: uniqueness, cross-references, checksums, invisible
    characters...) it accepts the document, as its description says."""
    errors = _schema_errors(ASSETS / "bad" / f"{name}.toml")
    if EXPECTED[name]["schema"]:
        assert errors, f"the schema accepts {name}"
    else:
        assert errors == [], errors


def test_schema_development_ids_match_the_loader() -> None:
    chain = SCHEMA["$defs"]["chain"]["if"]["properties"]["chain_id"]["enum"]
    assert set(chain) == DEVELOPMENT_CHAIN_IDS


def test_expiry_is_checked_after_the_format() -> None:
    """An expired and malformed profile is reported for its format (the file is wrong
    whatever the date)."""
    raw = _minimal().replace('jurisdiction = "CN"', 'jurisdiction = "cn"').encode()
    with pytest.raises(FormatError):
        parse_trust_profile(raw, shown="p.toml", now=NOW + timedelta(days=365 * 100))
