"""write_demo_profile and draft_profile_toml: what they write loads (the demonstration at
once; the draft only after a person has reviewed it)."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.chain.light import EMBEDDED_CHAIN_ID, WitnessRecord
from evidence.errors import FormatError, InputError
from evidence.trust import (
    draft_profile_toml,
    load_trust_profile,
    parse_trust_profile,
    write_demo_profile,
)
from evidence.trust.profile import _toml_str

NOW = datetime(2026, 6, 1, 12, 30, 15, 999, tzinfo=UTC)
GENESIS = bytes.fromhex("b870b009caf31f7b8690a30ed3d3253468531483d675dde10bd669c75246a3c2")
CONTRACT = "0x5fFCad82a43d97f7866AE1a9e5C668633B6f6e1d"
REGISTRAR = "0xB8C0182d48B00E435489b1f4125DDd5b56165d3E"
W1 = "0xcb532F02936c11337710a46b5B04f64D79e154ab"
W2 = "0x18cFFC25BA7D399cDB789faf591Ce5cCcDab766A"
W3 = "0xd73Ff279d65CC5E3e73D31d69e7DB0cD053892D6"
T_REG = 1_767_225_600  # 2026-01-01T00:00:00Z
T_REV = 1_772_323_200  # 2026-03-01T00:00:00Z


# --------------------------------------------------------------------------- demonstration


def test_demo_profile_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "trust-demo.toml"
    operators = [("demo-op-1", 'Acme "Evidence" \\ Ltd', "DE", W1.lower()),
                 ("demo-op-1", 'Acme "Evidence" \\ Ltd', "DE", W2),
                 ("demo-op-2", "上海示例公证处", "CN", W3)]
    assert write_demo_profile(path, chain_id=EMBEDDED_CHAIN_ID, genesis_hash=GENESIS,
                              contract=CONTRACT, registrar=REGISTRAR, operators=operators,
                              now=NOW) == path
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# A DEMONSTRATION trust profile")
    assert "NO evidential value" in text.split("version = 1")[0]
    profile = load_trust_profile(path, now=NOW)
    assert profile.name == "workspace-demonstration" and profile.demonstration
    assert profile.expires == datetime(2026, 6, 1, 12, 30, 15, tzinfo=UTC) + timedelta(days=3653)
    (chain,) = profile.chains
    assert chain.chain_id == EMBEDDED_CHAIN_ID and chain.development
    assert chain.min_blocks_on_top == 0 and chain.genesis_hash == GENESIS
    (reg,) = profile.registries
    assert reg.operators_from_registry and reg.contract == CONTRACT and reg.registrar == REGISTRAR
    first, second = profile.operators
    assert first.name == 'Acme "Evidence" \\ Ltd' and first.jurisdiction == "DE"
    assert [w.address for w in first.witnesses] == [W1, W2]
    assert second.name == "上海示例公证处"
    start = datetime(2026, 5, 31, 12, 30, 15, tzinfo=UTC)
    assert all(w.valid_from == start and w.valid_until is None
               for o in profile.operators for w in o.witnesses)
    assert profile.operator_of(W3) is not None


def test_demo_profile_without_operators(tmp_path: Path) -> None:
    path = write_demo_profile(tmp_path / "d.toml", chain_id=31337, genesis_hash=GENESIS,
                              contract=CONTRACT, registrar=REGISTRAR, name="anvil-demo", now=NOW)
    profile = load_trust_profile(path, now=NOW)
    assert profile.operators == () and profile.name == "anvil-demo"
    assert profile.chains[0].name == "Development chain 31337"


def test_demo_profile_is_never_overwritten_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "d.toml"
    path.write_text("mine", encoding="utf-8")
    kwargs = {"chain_id": EMBEDDED_CHAIN_ID, "genesis_hash": GENESIS, "contract": CONTRACT,
              "registrar": REGISTRAR, "now": NOW}
    with pytest.raises(InputError, match="exists already"):
        write_demo_profile(path, **kwargs)  # type: ignore[arg-type]
    assert path.read_text(encoding="utf-8") == "mine"
    write_demo_profile(path, replace=True, **kwargs)  # type: ignore[arg-type]
    assert load_trust_profile(path, now=NOW).demonstration


def test_demo_profile_refuses_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="two names or jurisdictions"):
        write_demo_profile(tmp_path / "d.toml", chain_id=31337, genesis_hash=GENESIS,
                           contract=CONTRACT, registrar=REGISTRAR,
                           operators=[("a", "A", "DE", W1), ("a", "A", "FR", W2)], now=NOW)
    with pytest.raises(FormatError, match=r"operators\[0\]\.name: contains the invisible"):
        write_demo_profile(tmp_path / "d.toml", chain_id=31337, genesis_hash=GENESIS,
                           contract=CONTRACT, registrar=REGISTRAR,
                           operators=[("a", "A\u200bB", "DE", W1)], now=NOW)
    assert not (tmp_path / "d.toml").exists()


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_toml_strings_round_trip(text: str) -> None:
    assert tomllib.loads(f"v = {_toml_str(text)}")["v"] == text


# --------------------------------------------------------------------------- draft


def _records() -> list[WitnessRecord]:
    return [
        WitnessRecord(W1, "DE", "Acme Evidence Ltd", T_REG, None),
        WitnessRecord(W2, "FR", "ACME  evidence ltd", T_REG, T_REV),  # the same operator
        WitnessRecord(W3, "CN", "上海示例公证处", T_REG + 60, None),
    ]


def _draft() -> str:
    return draft_profile_toml(chain_id=7140, genesis_hash=GENESIS, contract=CONTRACT,
                              registrar=REGISTRAR, witnesses=_records(),
                              chain_name="Example consortium chain", now=NOW)


def _review(text: str) -> str:
    """What a reviewer does: delete the draft line, give ids and sources."""
    text = text.replace("draft = true\n", "")
    text = re.sub(r'id = "REVIEW-(\d+)"', r'id = "LEI:CHECKED\1"', text)
    return text.replace('source = ""', 'source = "https://register.example.org/checked"')


def test_draft_groups_by_operator_and_marks_labels() -> None:
    text = _draft()
    assert text.count("[[operators]]") == 2
    assert 'id = "REVIEW-1"' in text and 'id = "REVIEW-2"' in text
    assert text.count("the registry's own label") >= 4
    assert "(the registry labels its witnesses DE, FR; an operator has one jurisdiction)" in text
    assert "until = 2026-03-01T00:00:00Z" in text
    assert '# the registry also spells this operator "ACME  evidence ltd"' in text
    assert "demonstration" not in text.split("[[chains]]")[0]


def test_draft_refuses_to_load_until_reviewed() -> None:
    text = _draft()
    with pytest.raises(FormatError) as info:
        parse_trust_profile(text.encode(), shown="draft.toml", now=NOW)
    assert str(info.value) == ("draft.toml: draft: a drafted profile: review every operator "
                               "(id, name, jurisdiction, source), then delete `draft = true`")
    undrafted = text.replace("draft = true\n", "")
    with pytest.raises(FormatError, match=r"operators\[0\]\.id: a draft's placeholder"):
        parse_trust_profile(undrafted.encode(), shown="draft.toml", now=NOW)
    ids_only = re.sub(r'id = "REVIEW-(\d+)"', r'id = "LEI:CHECKED\1"', undrafted)
    with pytest.raises(FormatError, match=r"operators\[0\]\.source: must not be empty"):
        parse_trust_profile(ids_only.encode(), shown="draft.toml", now=NOW)

    profile = parse_trust_profile(_review(text).encode(), shown="draft.toml", now=NOW)
    acme, shanghai = profile.operators
    assert acme.name == "Acme Evidence Ltd" and acme.jurisdiction == "DE"
    assert [w.address for w in acme.witnesses] == [W1, W2]
    assert acme.witnesses[0].valid_until is None
    assert acme.witnesses[1].valid_until == datetime(2026, 3, 1, tzinfo=UTC)
    assert shanghai.jurisdiction == "CN"
    assert shanghai.witnesses[0].valid_from == datetime(2026, 1, 1, 0, 1, tzinfo=UTC)
    assert profile.expires == datetime(2027, 6, 1, 12, 30, 15, tzinfo=UTC)
    assert not profile.demonstration and not profile.chains[0].development


def test_draft_for_a_development_chain_is_a_demonstration() -> None:
    text = draft_profile_toml(chain_id=31337, genesis_hash=GENESIS, contract=CONTRACT,
                              registrar=REGISTRAR, witnesses=_records()[:1],
                              chain_name="anvil", now=NOW)
    profile = parse_trust_profile(_review(text).encode(), shown="d.toml", now=NOW)
    assert profile.demonstration and profile.chains[0].development


def test_draft_of_an_empty_registry_still_parses_as_toml() -> None:
    text = draft_profile_toml(chain_id=7140, genesis_hash=GENESIS, contract=CONTRACT,
                              registrar=REGISTRAR, witnesses=[], chain_name="c", now=NOW)
    assert tomllib.loads(text)["operators"] == []
    with pytest.raises(FormatError, match="names no operator"):
        parse_trust_profile(_review(text).encode(), shown="d.toml", now=NOW)


def test_draft_escapes_hostile_registry_labels() -> None:
    """Whatever the registrar wrote as a label, the draft is valid TOML that says so, and
    the label never passes review unchanged."""
    label = 'Evil"\n[[chains]]\nchain_id = 1 \u200b# x'
    records = [WitnessRecord(W1, "D\nE", label, T_REG, None)]
    text = draft_profile_toml(chain_id=7140, genesis_hash=GENESIS, contract=CONTRACT,
                              registrar=REGISTRAR, witnesses=records, chain_name="c", now=NOW)
    doc = tomllib.loads(text)
    assert len(doc["chains"]) == 1 and doc["operators"][0]["name"] == label
    assert "# the registry's label contains the control character U+000A" in text
    with pytest.raises(FormatError, match=r"operators\[0\]\.name"):
        parse_trust_profile(_review(text).encode(), shown="d.toml", now=NOW)
