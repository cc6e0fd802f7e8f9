"""Tests for evidence.policy.evaluate: loading policy files and evaluating confirmations."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.errors import FormatError, InputError
from evidence.findings import Severity
from evidence.jurisdictions import PartyList, load_default_parties
from evidence.policy.describe import describe
from evidence.policy.evaluate import (
    AnchorFacts,
    ConfirmationFacts,
    PolicyOutcome,
    WitnessFacts,
    evaluate,
)
from evidence.policy.load import Policy, load_policy, load_policy_parties

ASSETS = Path(__file__).resolve().parent / "assets" / "policies"

#: 2026-01-01T00:00:00Z: anchor time of most cases (every listed State is in force by then).
T0 = 1_767_225_600
#: 2023-03-10T00:00:00Z: El Salvador's entry into force is 2023-03-20.
T_2023 = 1_678_406_400
#: 1978-12-25T00:00:00Z: the day before Singapore's entry into force (computed: 1978-12-26).
T_1978 = 283_392_000
SUBMITTER = "0x5ub0000000000000000000000000000000000000"
DAY = 86_400


@dataclass(frozen=True)
class W:
    """A compact confirmation row for the tables below."""

    addr: str
    op: str
    jur: str
    at: int = 100  # seconds after the anchor
    observed: int | None = None  # seconds after the anchor; None = same as ``at``
    signed: bool = False
    registered: int = -DAY  # seconds after the anchor
    revoked: int | None = None  # seconds after the anchor
    revocation_issued: int | None = None  # seconds after the anchor


@dataclass(frozen=True)
class Case:
    witnesses: tuple[W, ...]
    satisfied: bool
    counted: tuple[str, ...]
    reasons: dict[str, str] = field(default_factory=dict)  # address -> expected reason prefix
    words: dict[str, str] = field(default_factory=dict)  # address -> text in the reason
    policy: str = "hague-3"
    anchored_at: int = T0
    blocks_on_top: int = 0
    captured: int | None = None  # seconds after the anchor
    verified_dates: bool = False  # the policy with require_verified_in_force_date = true


def _facts(case: Case) -> tuple[AnchorFacts, list[ConfirmationFacts]]:
    anchor = AnchorFacts(
        root=b"\x11" * 32,
        submitter=SUBMITTER,
        anchored_at=case.anchored_at,
        block_number=7,
        blocks_on_top=case.blocks_on_top,
        captured_at=None if case.captured is None else case.anchored_at + case.captured,
    )
    confs = []
    for w in case.witnesses:
        at = case.anchored_at + w.at
        observed = at if w.observed is None else case.anchored_at + w.observed
        confs.append(
            ConfirmationFacts(
                witness=WitnessFacts(
                    address=w.addr,
                    operator=w.op,
                    jurisdiction=w.jur,
                    registered_at=case.anchored_at + w.registered,
                    revoked_at=None if w.revoked is None else case.anchored_at + w.revoked,
                    revocation_issued_at=None if w.revocation_issued is None
                    else case.anchored_at + w.revocation_issued,
                ),
                confirmed_at=at,
                observed_at=observed,
                by_signature=w.signed,
            )
        )
    return anchor, confs


def _policy(name: str) -> Policy:
    return load_policy(name if name == "hague-3" else ASSETS / name)


def _run(case: Case) -> PolicyOutcome:
    policy = _policy(case.policy)
    if case.verified_dates:
        policy = replace(policy, require_verified_in_force_date=True)
    anchor, confs = _facts(case)
    return evaluate(policy, anchor, confs, parties=load_policy_parties(policy))


CN = W("0xC1", "Beijing Notary", "CN")
DE = W("0xD1", "Berlin Notar", "DE")
SG = W("0x51", "Singapore Law Office", "SG")
FR = W("0xF1", "Paris Huissier", "FR")
JP = W("0x71", "Tokyo Kosho", "JP")
MA = W("0x4A", "Rabat Notaire", "MA")
MK = W("0x4B", "Skopje Notar", "MK")
UA = W("0x4C", "Kyiv Notary", "UA")
KR = W("0x4D", "Seoul Notary", "KR")

CASES = {
    "three_hague_states": Case((CN, DE, SG), True, ("CN", "DE", "SG"),
                               {"0xC1": "counted", "0xD1": "counted", "0x51": "counted"}),
    "two_hague_states": Case((CN, DE), False, ("CN", "DE")),
    "three_with_one_japan": Case(
        (CN, DE, JP), False, ("CN", "DE"), {"0x71": "not-hague-party"},
        {"0x71": "JP (Japan) is not listed as a Contracting State"},
    ),
    "one_operator_two_jurisdictions_counts_once": Case(
        (CN, W("0xD2", "Beijing Notary", "DE"), SG), False, ("CN", "SG"),
        {"0xD2": "same-operator"}, {"0xD2": "'Beijing Notary' already counted"},
    ),
    "operator_names_compare_case_and_space_insensitively": Case(
        (CN, W("0xD2", "  beijing   NOTARY ", "DE"), SG), False, ("CN", "SG"),
        {"0xD2": "same-operator"},
    ),
    "two_operators_one_jurisdiction_counts_once": Case(
        (CN, W("0xC2", "Shanghai Notary", "CN"), DE), False, ("CN", "DE"),
        {"0xC2": "same-jurisdiction"},
    ),
    "arrival_order_cannot_lower_the_count": Case(
        # Greedy in time order would count X in CN, then skip Y (CN taken) and X in DE
        # (X taken): 2. The matching gives X->DE, Y->CN, Z->FR: 3.
        (W("0xA1", "X", "CN", at=10), W("0xA2", "Y", "CN", at=20),
         W("0xA3", "X", "DE", at=30), W("0xA4", "Z", "FR", at=40)),
        True, ("CN", "DE", "FR"),
        {"0xA1": "same-operator", "0xA2": "counted", "0xA3": "counted", "0xA4": "counted"},
    ),
    # The contract refuses confirmations from a revoked witness, so a revocation effective
    # at or before a recorded confirmation was issued after it, dated back: disputed.
    "revoked_before_confirming_not_counted_disputed": Case(
        (CN, DE, W("0x52", "SG Office", "SG", at=100, revoked=50)), False, ("CN", "DE"),
        {"0x52": "disputed-revocation"},
        {"0x52": "dated back to take effect from 2026-01-01T00:00:50Z"},
    ),
    "revoked_at_the_confirming_second_not_counted": Case(
        (CN, DE, W("0x52", "SG Office", "SG", at=100, revoked=100)), False, ("CN", "DE"),
        {"0x52": "disputed-revocation"},
    ),
    "disputed_revocation_names_when_it_was_issued": Case(
        (CN, DE, W("0x52", "SG Office", "SG", at=100, revoked=50, revocation_issued=5000)),
        False, ("CN", "DE"), {"0x52": "disputed-revocation"},
        {"0x52": "issued at 2026-01-01T01:23:20Z"},
    ),
    "registered_after_anchor_not_counted": Case(
        (CN, DE, W("0x52", "SG Office", "SG", at=100, registered=50)), False, ("CN", "DE"),
        {"0x52": "registered-after-anchor"},
    ),
    "registered_after_anchor_counted_when_the_policy_allows": Case(
        (CN, DE, W("0x52", "SG Office", "SG", at=100, registered=50)), True,
        ("CN", "DE", "SG"), {"0x52": "counted"}, policy="good_late_witnesses.toml",
    ),
    "zero_width_space_in_operator_name_not_counted": Case(
        (CN, W("0xD2", "Beijing\u200b Notary", "DE"), SG), False, ("CN", "SG"),
        {"0xD2": "bad-operator-name"}, {"0xD2": "ZERO WIDTH SPACE"},
    ),
    "cyrillic_lookalike_in_operator_name_not_counted": Case(
        (CN, W("0xD2", "Beijing N\u043etary", "DE"), SG), False, ("CN", "SG"),
        {"0xD2": "bad-operator-name"}, {"0xD2": "mixes look-alike scripts"},
    ),
    "fullwidth_operator_name_is_the_same_operator_after_nfkc": Case(
        (CN, W("0xD2", "\uff22eijing Notary", "DE"), SG), False, ("CN", "SG"),
        {"0xD2": "same-operator"},
    ),
    "capture_signed_after_the_anchor_is_not_presumed": Case(
        (CN, DE, SG), False, ("CN", "DE", "SG"), captured=301,
    ),
    "capture_within_the_skew_after_the_anchor_is_fine": Case(
        (CN, DE, SG), True, ("CN", "DE", "SG"), captured=300,
    ),
    "revoked_after_confirming_counted": Case(
        (CN, DE, W("0x52", "SG Office", "SG", at=100, revoked=200)), True, ("CN", "DE", "SG"),
        {"0x52": "counted"},
    ),
    "registered_after_confirming_not_counted": Case(
        (CN, DE, W("0x52", "SG Office", "SG", at=100, registered=150)), False, ("CN", "DE"),
        {"0x52": "not-registered-yet"},
    ),
    "confirmation_after_window_not_counted": Case(
        (CN, DE, W("0x52", "SG Office", "SG", at=DAY + 1)), False, ("CN", "DE"),
        {"0x52": "outside-window"},
    ),
    "confirmation_at_window_end_counted": Case(
        (CN, DE, W("0x52", "SG Office", "SG", at=DAY)), True, ("CN", "DE", "SG"),
    ),
    "confirmation_before_anchor_not_counted": Case(
        (CN, DE, W("0x52", "SG Office", "SG", at=-1)), False, ("CN", "DE"),
        {"0x52": "before-anchor"},
    ),
    "submitter_as_witness_not_counted": Case(
        (CN, DE, W(SUBMITTER, "Seller Co", "SG")), False, ("CN", "DE"),
        {SUBMITTER: "submitter"},
    ),
    "submitter_address_compared_case_insensitively": Case(
        (CN, DE, W(SUBMITTER.upper().replace("0X", "0x"), "Seller Co", "SG")), False,
        ("CN", "DE"), {SUBMITTER.upper().replace("0X", "0x"): "submitter"},
        {SUBMITTER.upper().replace("0X", "0x"): "is the address that submitted the anchor"},
    ),
    "witness_of_the_submitters_operator_not_counted": Case(
        (CN, DE, W(SUBMITTER, "Seller Co", "SG"), W("0xF9", "seller co", "FR")), False,
        ("CN", "DE"), {"0xF9": "submitter"}, {"0xF9": "also runs the submitting address"},
    ),
    "state_not_yet_in_force_at_confirmation_not_counted": Case(
        (CN, DE, W("0x5V", "San Salvador Notario", "SV")), False, ("CN", "DE"),
        {"0x5V": "not-in-force-yet"}, {"0x5V": "only on 2023-03-20"}, anchored_at=T_2023,
    ),
    "computed_entry_into_force_counted_and_said": Case(
        (CN, DE, SG), True, ("CN", "DE", "SG"), {"0x51": "counted", "0xC1": "counted"},
        {"0x51": "SG (Singapore) is a Contracting State, in force since 1978-12-26 (date "
                 "computed from a secondary source)",
         "0xC1": "in force since 1998-02-06 (date verified in an official source)"},
    ),
    "morocco_now_counts": Case(
        (CN, DE, MA), True, ("CN", "DE", "MA"), {"0x4A": "counted"},
        {"0x4A": "MA (Morocco) is a Contracting State, in force since 2011-05-23 (date "
                 "computed from a secondary source)"},
    ),
    "north_macedonia_counts_date_verified": Case(
        (CN, DE, MK), True, ("CN", "DE", "MK"), {"0x4B": "counted"},
        {"0x4B": "in force since 2009-05-18 (date verified in an official source)"},
    ),
    "blank_entry_into_force_counted_date_unknown": Case(
        (CN, DE, UA), True, ("CN", "DE", "UA"), {"0x4C": "counted"},
        {"0x4C": "UA (Ukraine) is listed as a Contracting State; entry-into-force date unknown "
                 "(blank in the list)"},
    ),
    "computed_date_after_confirmation_not_in_force_yet": Case(
        (W("0x52", "SG Office", "SG"),), False, (), {"0x52": "not-in-force-yet"},
        {"0x52": "only on 1978-12-26 (date computed from a secondary source), after 1978-12-25"},
        anchored_at=T_1978,
    ),
    "verified_dates_required_computed_singapore_not_counted": Case(
        (CN, DE, SG), False, ("CN", "DE"), {"0x51": "date-not-verified", "0xD1": "counted"},
        {"0x51": "in force since 1978-12-26 (date computed from a secondary source); this "
                 "policy counts only States whose entry-into-force date is verified"},
        verified_dates=True,
    ),
    "verified_dates_required_secondary_and_unknown_not_counted": Case(
        (CN, DE, KR, UA), False, ("CN", "DE"),
        {"0x4D": "date-not-verified", "0x4C": "date-not-verified"},
        {"0x4D": "(date from a secondary source)", "0x4C": "entry-into-force date unknown"},
        verified_dates=True,
    ),
    "verified_dates_required_verified_states_count": Case(
        (CN, DE, MK, SG), True, ("CN", "DE", "MK"), {"0x4B": "counted"}, verified_dates=True,
    ),
    "verified_dates_required_user_list_without_status_counts_none": Case(
        (CN, DE, JP), False, (), {"0xC1": "date-not-verified"},
        {"0xC1": "its source status not stated"},
        policy="good_user_parties.toml", verified_dates=True,
    ),
    "signed_observation_too_early_is_clock_skew": Case(
        (CN, DE, W("0x52", "SG Office", "SG", at=100, observed=-301, signed=True)), False,
        ("CN", "DE"), {"0x52": "clock-skew"},
    ),
    "signed_observation_too_late_is_clock_skew": Case(
        (CN, DE, W("0x52", "SG Office", "SG", at=100, observed=401, signed=True)), False,
        ("CN", "DE"), {"0x52": "clock-skew"},
    ),
    "signed_observation_at_skew_bounds_counted": Case(
        (CN, W("0xD2", "DE Office", "DE", at=100, observed=-300, signed=True),
         W("0x52", "SG Office", "SG", at=100, observed=400, signed=True)),
        True, ("CN", "DE", "SG"),
    ),
    "direct_observation_must_equal_block_time": Case(
        (CN, DE, W("0x52", "SG Office", "SG", at=100, observed=99)), False, ("CN", "DE"),
        {"0x52": "clock-skew"},
    ),
    "malformed_jurisdiction_not_counted": Case(
        (CN, DE, W("0x52", "SG Office", "sg")), False, ("CN", "DE"),
        {"0x52": "bad-jurisdiction"},
    ),
    "witness_without_operator_not_counted": Case(
        (CN, DE, W("0x52", "  ", "SG")), False, ("CN", "DE"), {"0x52": "no-operator"},
    ),
    "no_confirmations": Case((), False, ()),
    "custom_policy_min_2_satisfied_with_2": Case(
        (CN, DE), True, ("CN", "DE"), policy="good_min_jurisdictions_2.toml",
    ),
    "custom_policy_min_blocks_not_deep_enough": Case(
        (CN, DE), False, ("CN", "DE"), policy="good_min_blocks_6.toml", blocks_on_top=5,
    ),
    "custom_policy_min_blocks_deep_enough": Case(
        (CN, DE), True, ("CN", "DE"), policy="good_min_blocks_6.toml", blocks_on_top=6,
    ),
    "policy_without_hague_or_operator_rules_counts_japan_and_one_operator_twice": Case(
        (W(SUBMITTER, "Seller Co", "JP"), W("0xD2", "Seller Co", "DE")), True, ("DE", "JP"),
        policy="good_no_hague_no_operators.toml",
    ),
    "user_parties_file_replaces_default": Case(
        # The test list has CN, DE and (fictitiously) JP but not SG.
        (CN, DE, JP, SG), True, ("CN", "DE", "JP"), {"0x71": "counted", "0x51": "not-hague-party"},
        policy="good_user_parties.toml",
    ),
}


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_evaluate(case: Case) -> None:
    outcome = _run(case)
    assert outcome.satisfied is case.satisfied
    assert outcome.counted_jurisdictions == case.counted
    by_addr = {w.address: w for w in outcome.witnesses}
    for addr, prefix in case.reasons.items():
        assert by_addr[addr].reason.startswith(prefix + ": "), by_addr[addr].reason
        assert by_addr[addr].counted is (prefix == "counted")
    for addr, words in case.words.items():
        assert words in by_addr[addr].reason, by_addr[addr].reason
    # Invariants of every outcome.
    assert sum(w.counted for w in outcome.witnesses) == len(outcome.counted_jurisdictions)
    assert sorted(w.jurisdiction for w in outcome.witnesses if w.counted) == list(
        outcome.counted_jurisdictions
    )
    for w in outcome.witnesses:
        assert w.reason.startswith(w.reason_code + ": ")
    warnings = [f for f in outcome.findings if f.severity is Severity.WARNING]
    assert (not warnings) is outcome.satisfied


def test_witness_assessment_fields() -> None:
    outcome = _run(CASES["three_with_one_japan"])
    by_addr = {w.address: w for w in outcome.witnesses}
    jp, cn, sg_case = by_addr["0x71"], by_addr["0xC1"], _run(CASES["three_hague_states"])
    assert (jp.jurisdiction_name, jp.hague_party, jp.in_force_date) == ("Japan", False, None)
    assert (cn.jurisdiction_name, cn.hague_party, str(cn.in_force_date)) == (
        "China", True, "1998-02-06"
    )
    assert "Trb 2010,238" in cn.party_source
    sg = next(w for w in sg_case.witnesses if w.jurisdiction == "SG")
    assert sg.hague_party and str(sg.in_force_date) == "1978-12-26"
    assert sg.in_force_date_status == "computed"
    assert (sg.to_json()["in_force_date"], sg.to_json()["in_force_date_status"]) == (
        "1978-12-26", "computed")
    assert (cn.in_force_date_status, jp.in_force_date_status) == ("verified", None)
    ua_case = _run(CASES["blank_entry_into_force_counted_date_unknown"])
    ua = next(w for w in ua_case.witnesses if w.jurisdiction == "UA")
    assert (ua.in_force_date, ua.in_force_date_status, ua.counted) == (None, "unknown", True)


def test_findings_order_codes_and_messages() -> None:
    outcome = _run(CASES["three_hague_states"])
    assert [f.code for f in outcome.findings] == [
        "policy-party-list",
        "policy-blocks-on-top",
        "policy-jurisdiction-codes",
        "policy-witness-identity",
        "policy-submitter",
        "policy-active",
        "policy-window",
        "policy-skew",
        "policy-hague-party",
        "policy-in-force",
        "policy-operators",
        "policy-jurisdictions",
        "policy-outcome",
    ]
    found = {f.code: f for f in outcome.findings}
    assert found["policy-jurisdictions"].severity is Severity.OK
    assert found["policy-jurisdictions"].message == (
        "Held: 3 of 3 required Hague Convention jurisdictions confirmed: CN, DE, SG."
    )
    assert "Art. 39" in found["policy-party-list"].message
    assert found["policy-in-force"].message == (
        "The Convention was in force for every checked Contracting State on the day it "
        "confirmed. Entry-into-force date unverified for SG (counted as Contracting States; "
        "this policy does not require verified dates): SG entry into force 1978-12-26 (date "
        "computed from a secondary source)."
    )
    assert found["policy-in-force"].severity is Severity.INFO
    outcome_msg = found["policy-outcome"].message
    assert ("rebuttable presumption under policy hague-3 that the data was not altered after "
            "anchoring") in outcome_msg
    assert "not a rule of the Hague Evidence Convention" in outcome_msg


def test_failed_rule_findings_say_why() -> None:
    found = {f.code: f for f in _run(CASES["confirmation_after_window_not_counted"]).findings}
    assert found["policy-window"].severity is Severity.INFO
    assert "1 of 3 confirmations not counted" in found["policy-window"].message
    assert "0x52 (SG)" in found["policy-window"].message
    assert found["policy-jurisdictions"].severity is Severity.WARNING
    assert found["policy-jurisdictions"].message == (
        "Not held: 2 of 3 required Hague Convention jurisdictions confirmed: CN, DE; "
        "1 more needed."
    )
    assert found["policy-outcome"].severity is Severity.WARNING
    deep = {f.code: f for f in _run(CASES["custom_policy_min_blocks_not_deep_enough"]).findings}
    assert deep["policy-blocks-on-top"].severity is Severity.WARNING
    assert "5 blocks on top, 6 required" in deep["policy-blocks-on-top"].message


_SAMPLE = (
    *CASES["arrival_order_cannot_lower_the_count"].witnesses,
    CN,
    DE,
    JP,
    W("0x52", "SG Office", "SG", at=DAY + 5), W("0xF2", "X", "FR", at=5),
)


@settings(max_examples=50, deadline=None)
@given(st.permutations(_SAMPLE))
def test_outcome_does_not_depend_on_input_order(order: list[W]) -> None:
    reference = _run(Case(_SAMPLE, True, ()))
    outcome = _run(Case(tuple(order), True, ()))
    assert outcome == reference


# --------------------------------------------------------------------------- loading


def test_builtin_default_policy_values() -> None:
    p = load_policy("hague-3")
    assert (p.version, p.name, p.source) == (1, "hague-3", "built-in hague-3")
    assert p.min_jurisdictions == 3
    assert p.require_hague_party and p.require_in_force_at_confirmation
    assert p.count_distinct_operators and p.exclude_submitter
    assert (p.confirmation_window_seconds, p.max_clock_skew_seconds) == (86_400, 300)
    assert p.min_blocks_on_top == 0
    assert p.parties_file is None
    assert len(p.sha256) == 64
    assert load_policy_parties(p) is load_default_parties()
    assert p.to_json()["name"] == "hague-3"


def test_builtin_policy_names_are_case_insensitive() -> None:
    assert load_policy("Hague-3").source == "built-in hague-3"
    assert load_policy("HAGUE-3").builtin


def test_file_policies_are_not_builtin_and_say_so() -> None:
    p = load_policy(ASSETS / "good_min_jurisdictions_2.toml")
    assert not p.builtin
    assert p.to_json()["builtin"] is False
    assert p.count_witnesses_registered_after_anchor is False  # the optional key's default


def test_untrusted_confirmations_never_meet_the_policy() -> None:
    policy = load_policy("hague-3")
    anchor, confs = _facts(CASES["three_hague_states"])
    outcome = evaluate(policy, anchor, confs, parties=load_policy_parties(policy),
                       untrusted="no trust profile was given")
    assert outcome.satisfied is False
    assert outcome.counted_jurisdictions == ("CN", "DE", "SG")  # shown, not relied on
    final = [f for f in outcome.findings if f.code == "policy-outcome"]
    assert final[0].severity is Severity.WARNING
    assert "no trust profile was given" in final[0].message
    assert "would meet" in final[0].message


def test_demonstration_outcome_says_so_in_the_same_sentence() -> None:
    policy = load_policy("hague-3")
    anchor, confs = _facts(CASES["three_hague_states"])
    outcome = evaluate(policy, anchor, confs, parties=load_policy_parties(policy),
                       demonstration="workspace-demonstration")
    final = next(f for f in outcome.findings if f.code == "policy-outcome")
    assert outcome.satisfied
    assert "DEMONSTRATION" in final.message and "without evidential value" in final.message
    assert "presumption under policy" not in final.message  # never worded as one


def test_profile_finality_overrides_the_policy_minimum() -> None:
    policy = load_policy("hague-3")  # min_blocks_on_top = 0
    anchor, confs = _facts(CASES["three_hague_states"])
    outcome = evaluate(policy, anchor, confs, parties=load_policy_parties(policy),
                       min_blocks_on_top=12, blocks_source="the trust profile's finality")
    assert not outcome.satisfied
    blocks = next(f for f in outcome.findings if f.code == "policy-blocks-on-top")
    assert blocks.severity is Severity.WARNING
    assert "12 required (the trust profile's finality)" in blocks.message


def test_custom_policy_from_path_string_and_parties_resolved_next_to_it() -> None:
    p = load_policy(str(ASSETS / "good_user_parties.toml"))
    assert p.parties_file == ASSETS / "parties_test_with_jp.csv"
    parties: PartyList = load_policy_parties(p)
    assert parties.lookup("JP") is not None


@pytest.mark.parametrize(
    ("asset", "key", "words"),
    [
        pytest.param("bad_unknown_key.toml", "min_jurisdiction", "unknown key", id="unknown_key"),
        pytest.param("bad_wrong_type_min_jurisdictions.toml", "min_jurisdictions",
                     "must be an integer, found a string", id="wrong_type"),
        pytest.param("bad_bool_as_int.toml", "min_jurisdictions",
                     "must be an integer, found a boolean", id="bool_as_int"),
        pytest.param("bad_int_as_bool.toml", "exclude_submitter",
                     "must be true or false, found an integer", id="int_as_bool"),
        pytest.param("bad_version_99.toml", "version", "unsupported policy version 99",
                     id="version_99"),
        pytest.param("bad_version_string.toml", "version", "must be an integer", id="version_str"),
        pytest.param("bad_missing_exclude_submitter.toml", "exclude_submitter", "missing key",
                     id="missing_key"),
        pytest.param("bad_negative_window.toml", "confirmation_window_seconds",
                     "must be between 0 and", id="negative_window"),
        pytest.param("bad_zero_jurisdictions.toml", "min_jurisdictions", "must be between 1 and",
                     id="zero_jurisdictions"),
        pytest.param("bad_name.toml", "name", "lowercase letters", id="bad_name"),
        pytest.param("bad_parties_file_type.toml", "parties_file", "non-empty path string",
                     id="parties_file_type"),
        pytest.param("bad_trailing_garbage.toml", None, "invalid TOML", id="trailing_garbage"),
        pytest.param("bad_invalid_toml.toml", None, "invalid TOML", id="invalid_toml"),
        pytest.param("bad_not_utf8.toml", None, "not UTF-8", id="not_utf8"),
        pytest.param("bad_reserved_name_hague_3.toml", "name", "reserved for the built-in",
                     id="reserved_builtin_name"),
        pytest.param("bad_late_witnesses_not_bool.toml",
                     "count_witnesses_registered_after_anchor",
                     "must be true or false, found an integer", id="optional_key_type"),
    ],
)
def test_bad_policy_files_name_file_and_key(asset: str, key: str | None, words: str) -> None:
    with pytest.raises(FormatError) as info:
        load_policy(ASSETS / asset)
    err = info.value
    assert err.path is not None and err.path.endswith(asset)
    assert err.where == key
    assert words in str(err)
    assert asset in str(err)
    assert "\n" not in str(err)


@pytest.mark.parametrize(
    ("arg", "words"),
    [
        pytest.param("hague-5", "unknown policy 'hague-5'", id="unknown_name"),
        pytest.param("no-such-dir/p.toml", "cannot read policy file", id="missing_file"),
    ],
)
def test_unknown_policy_name_or_missing_file_is_an_input_error(arg: str, words: str) -> None:
    with pytest.raises(InputError, match=words) as info:
        load_policy(arg)
    assert not isinstance(info.value, FormatError)


# --------------------------------------------------------------------------- describe


def test_describe_english_and_chinese() -> None:
    p = load_policy("hague-3")
    en = describe(p)
    zh = describe(p, lang="zh")
    assert len(en) == len(zh) >= 10
    assert any("At least 3 distinct jurisdictions" in line for line in en)
    assert any("Art. 39" in line for line in en)
    assert any("86400 s (24 h)" in line for line in en)
    assert "rebuttable" in en[-1] and "not a rule of the Convention" in en[-1]
    assert any("至少须有 3 个不同法域" in line for line in zh)
    assert any("第39条" in line for line in zh)
    assert "可推翻" in zh[-1]
    assert p.description_zh is not None and p.description_zh in zh[0]


def test_describe_follows_the_policy_values() -> None:
    lines = describe(load_policy(ASSETS / "good_no_hague_no_operators.toml"))
    text = " ".join(lines)
    assert "At least 2 distinct jurisdictions" in text
    assert "whether or not they are Contracting States" in text
    assert "count once" not in text


def test_describe_rejects_unknown_language() -> None:
    with pytest.raises(InputError, match="unknown language"):
        describe(load_policy("hague-3"), lang="de")


# --------------------------------------------------------------------------- party-list status


def test_in_force_finding_names_the_states_a_verified_date_rule_left_out() -> None:
    found = {f.code: f for f in
             _run(CASES["verified_dates_required_secondary_and_unknown_not_counted"]).findings}
    assert found["policy-in-force"].severity is Severity.INFO
    assert found["policy-in-force"].message == (
        "2 of 4 confirmations not counted: entry-into-force date not verified in an official "
        "source, which this policy requires: 0x4C (UA, date unknown), 0x4D (KR, date from a "
        "secondary source)."
    )
    assert found["policy-jurisdictions"].severity is Severity.WARNING


def test_verified_dates_rule_held_says_so() -> None:
    found = {f.code: f for f in
             _run(CASES["verified_dates_required_verified_states_count"]).findings}
    # SG was left out, so the finding lists it; with CN, DE and MK only, it holds.
    assert "0x51 (SG, date computed from a secondary source)" in found["policy-in-force"].message
    held = _run(Case((CN, DE, MK), True, ("CN", "DE", "MK"), verified_dates=True))
    message = {f.code: f for f in held.findings}["policy-in-force"]
    assert message.severity is Severity.OK
    assert message.message.endswith(
        "Only States whose entry-into-force date is verified in an official source count, as "
        "this policy requires.")


#: The tables above use short addresses; the schema wants 20-byte ones.
FULL_ADDRESS = "0x" + "12" * 20


def _witness_schema() -> Any:
    import jsonschema

    text = resources.files("evidence").joinpath(
        "schemas", "verification-result.schema.json").read_text("utf-8")
    schema = json.loads(text)
    return jsonschema.Draft202012Validator(
        {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/witness"})


def test_the_json_result_says_each_dates_status() -> None:
    """The wording reaches the JSON result: witnesses carry the status and the reason says it,
    the in-force finding names the counted States whose date is not verified."""
    outcome = _run(Case((CN, SG, MA, UA), True, ("CN", "MA", "SG", "UA")))
    witnesses = [w.to_json() for w in outcome.witnesses]
    validator = _witness_schema()
    for w in witnesses:
        validator.validate({**w, "address": FULL_ADDRESS})
    doc = json.loads(json.dumps({"witnesses": witnesses,
                                 "findings": [f.to_json() for f in outcome.findings]}))
    by_jur = {w["jurisdiction"]: w for w in doc["witnesses"]}
    assert by_jur["SG"]["in_force_date_status"] == "computed"
    assert by_jur["SG"]["reason"] == (
        "counted: SG (Singapore) is a Contracting State, in force since 1978-12-26 (date "
        "computed from a secondary source)")
    assert by_jur["CN"]["in_force_date_status"] == "verified"
    assert by_jur["CN"]["reason"].endswith("(date verified in an official source)")
    assert by_jur["MA"]["counted"] is True
    assert by_jur["UA"]["in_force_date"] is None
    assert by_jur["UA"]["in_force_date_status"] == "unknown"
    assert by_jur["UA"]["reason"].endswith("entry-into-force date unknown (blank in the list)")
    in_force = next(f for f in doc["findings"] if f["code"] == "policy-in-force")
    assert in_force["severity"] == "info"
    assert ("Entry-into-force date unverified for MA, SG, UA (counted as Contracting States; "
            "this policy does not require verified dates): MA entry into force 2011-05-23 (date "
            "computed from a secondary source); SG entry into force 1978-12-26 (date computed "
            "from a secondary source); UA date unknown (blank in the party list).") in (
        in_force["message"])
    # A secondary or computed date is never presented as verified.
    for w in doc["witnesses"]:
        if w["in_force_date_status"] != "verified":
            assert "verified" not in w["reason"], w["reason"]


def test_excluded_witness_json_validates_with_the_new_reason_code() -> None:
    outcome = _run(CASES["verified_dates_required_computed_singapore_not_counted"])
    sg = next(w.to_json() for w in outcome.witnesses if w.jurisdiction == "SG")
    _witness_schema().validate({**sg, "address": FULL_ADDRESS})
    assert (sg["reason_code"], sg["counted"], sg["in_force_date_status"]) == (
        "date-not-verified", False, "computed")


def _policy_file(tmp_path: Path, extra: str) -> Path:
    text = resources.files("evidence").joinpath("data", "policies", "hague-3.toml").read_text(
        "utf-8")
    text = text.replace('name = "hague-3"', 'name = "hague-3-verified"')
    text = text.replace("require_verified_in_force_date = false\n", extra)
    path = tmp_path / "verified.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_require_verified_in_force_date_is_off_in_hague_3_and_read_from_files(
    tmp_path: Path,
) -> None:
    hague = load_policy("hague-3")
    assert hague.require_verified_in_force_date is False
    assert hague.to_json()["require_verified_in_force_date"] is False
    on = load_policy(_policy_file(tmp_path, "require_verified_in_force_date = true\n"))
    assert on.require_verified_in_force_date is True
    assert on.to_json()["require_verified_in_force_date"] is True
    absent = load_policy(_policy_file(tmp_path, ""))
    assert absent.require_verified_in_force_date is False  # optional, default false


def test_require_verified_in_force_date_must_be_a_boolean(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="must be true or false") as info:
        load_policy(_policy_file(tmp_path, 'require_verified_in_force_date = "yes"\n'))
    assert info.value.where == "require_verified_in_force_date"


def test_describe_says_how_date_statuses_count(tmp_path: Path) -> None:
    hague = load_policy("hague-3")
    en, zh = " ".join(describe(hague)), " ".join(describe(hague, "zh"))
    assert "with its date marked unknown" in en
    assert "this policy counts the State whatever that status" in en
    assert "computed from a secondary source" in en
    assert "本策略不论该状态均计入该国" in zh
    on = load_policy(_policy_file(tmp_path, "require_verified_in_force_date = true\n"))
    en_lines, zh_lines = describe(on), describe(on, "zh")
    assert len(en_lines) == len(zh_lines)
    assert any(line.startswith("Only a State whose entry-into-force date the party list marks "
                               "as verified in an official source counts") for line in en_lines)
    assert not any("marked unknown" in line for line in en_lines)
    only_verified = "只有缔约方名单标明生效日期经官方来源核实的国家方可计入"
    assert any(only_verified in line for line in zh_lines)


def test_an_unreadable_signed_capture_time_is_never_in_time() -> None:
    """Issue 19's attack review: a capture time signed as "2099-06-01T09:00:00Z (UTC)" was
    not parsed and so skipped the capture-time rule altogether."""
    policy = load_policy("hague-3")
    anchor, confs = _facts(CASES["three_hague_states"])
    odd = replace(anchor, captured_at="2099-06-01T09:00:00Z (UTC)")
    outcome = evaluate(policy, odd, confs, parties=load_policy_parties(policy))
    assert not outcome.satisfied
    rule = next(f for f in outcome.findings if f.code == "policy-capture-time")
    assert rule.severity is Severity.WARNING and "not a UTC time" in rule.message


def test_verification_reads_only_the_capture_time_format_it_writes() -> None:
    from evidence.verification.verifier import _captured_at

    assert _captured_at({"captured_at": "2026-01-01T00:00:00Z"}) == T0
    for odd in ("2099-06-01T09:00:00Z (UTC)", "0001-01-01T00:00:00+14:00", "2026-13-01T00:00:00Z",
                "1969-12-31T23:59:59Z", 5):
        assert _captured_at({"captured_at": odd}) == str(odd)
    assert _captured_at({}) is None
