"""The JSON Schema of the verification result agrees with the code that writes the result.

The table tests validate every real output against the schema; these tests pin the schema
itself: its enums are the Python enums, its closed objects have exactly the keys the
``to_json`` methods write, results without an anchor or without a root validate, and
documents that break the format are refused.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from evidence.findings import Finding, Severity, Verdict
from evidence.policy.evaluate import WitnessAssessment
from evidence.policy.load import load_policy
from evidence.result import AnchorInfo, ItemStatus, VerificationResult

HEX64 = "ab" * 32
ADDRESS = "0x" + "12" * 20


def _defs(schema: dict[str, Any]) -> dict[str, Any]:
    defs: dict[str, Any] = schema["$defs"]
    return defs


def _sample_result() -> VerificationResult:
    anchor = AnchorInfo(chain_id=31337, contract=ADDRESS, transaction="0x" + HEX64,
                        block_number=7, block_hash="0x" + HEX64, block_time=1_700_000_000,
                        batch_root="0x" + HEX64, batch_index=0, batch_size=1,
                        submitter=ADDRESS, development_chain=True,
                        chain_description="JSON-RPC http://127.0.0.1:8545 (chain id 31337)",
                        checked_on_chain=True)
    item = ItemStatus("F-1", "file", "chat-1.png", "data/files/chat-1.png", 10, HEX64,
                      "cd" * 64, "image/png", "ok")
    policy = load_policy("hague-3")
    return VerificationResult(
        bundle="bundle", package="bundle", verdict=Verdict.NOT_PRESUMED,
        verified_at="2026-01-02T03:04:05Z", offline=False, root=HEX64, leaf_count=1,
        signer="sha256:" + "0" * 32, provenance={"version": 1, "case": "C-1"},
        items=(item,), findings=(Finding("root-ok", Severity.OK, "fine", "evidence/root.json"),),
        anchor=anchor,
        policy={**policy.to_json(), "rules": ["r"], "rules_zh": ["r"], "satisfied": False,
                "counted_jurisdictions": ["CN"]},
        witnesses=(_witness(counted=True),), development_chain=True)


def _witness(*, counted: bool) -> dict[str, Any]:
    code = "counted" if counted else "not-hague-party"
    return WitnessAssessment(
        address=ADDRESS, operator="op", jurisdiction="CN", jurisdiction_name="China",
        hague_party=True, in_force_date=None, party_source="list", confirmed_at=1,
        observed_at=1, counted=counted, reason_code=code, reason=f"{code}: words").to_json()


def test_the_schema_is_a_valid_draft_2020_12_schema(result_schema: dict[str, Any]) -> None:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(result_schema)
    assert result_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_enums_are_the_python_enums(result_schema: dict[str, Any]) -> None:
    from evidence.policy.evaluate import _REASON_RULE

    defs = _defs(result_schema)
    assert set(defs["verdict"]["enum"]) == {v.value for v in Verdict}
    assert set(defs["severity"]["enum"]) == {s.value for s in Severity}
    reasons = defs["witness"]["properties"]["reason_code"]["enum"]
    assert set(reasons) == {*_REASON_RULE, "counted"}
    assert result_schema["properties"]["package"]["enum"] == ["bundle", "disclosure"]


def test_closed_objects_have_exactly_the_keys_written(result_schema: dict[str, Any]) -> None:
    defs = _defs(result_schema)
    doc = _sample_result().to_json()
    shapes = [
        (result_schema, doc),
        (defs["anchor"], doc["anchor"]),
        (defs["item"], doc["items"][0]),
        (defs["witness"], doc["witnesses"][0]),
        (defs["custody_entry"], None),
    ]
    for shape, written in shapes:
        assert shape["additionalProperties"] is False
        if written is not None:
            assert set(shape["properties"]) == set(written)
            assert set(shape["required"]) == set(written)
    policy_keys = set(load_policy("hague-3").to_json()) | {"rules", "rules_zh"}
    assert set(defs["policy"]["required"]) == policy_keys
    assert set(defs["policy"]["properties"]) == policy_keys | {"satisfied",
                                                               "counted_jurisdictions"}
    finding = Finding("x", Severity.INFO, "m", "s").to_json()
    assert set(defs["finding"]["properties"]) == set(finding)


def test_a_constructed_result_validates(schema_validator: Any) -> None:
    schema_validator.validate(_sample_result().to_json())


@pytest.mark.parametrize(("where", "change"), [
    ("extra top-level key", lambda d: d.update(extra=1)),
    ("unknown verdict", lambda d: d.update(verdict="authentic")),
    ("unknown severity", lambda d: d["findings"][0].update(severity="fatal")),
    ("finding without message", lambda d: d["findings"][0].pop("message")),
    ("unknown item status", lambda d: d["items"][0].update(status="tampered")),
    ("ok item with a message", lambda d: d["items"][0].update(message="changed")),
    ("extra anchor key", lambda d: d["anchor"].update(note="x")),
    ("counted witness with an exclusion reason",
     lambda d: d["witnesses"][0].update(reason_code="disputed-revocation")),
    ("uncounted witness with reason counted",
     lambda d: d["witnesses"].append({**_witness(counted=True), "counted": False})),
    ("satisfied without the counted jurisdictions",
     lambda d: d["policy"].pop("counted_jurisdictions")),
    ("root not hex", lambda d: d.update(root="XYZ")),
    ("missing custody", lambda d: d.pop("custody")),
])
def test_broken_documents_are_refused(schema_validator: Any, where: str, change: Any) -> None:
    doc = copy.deepcopy(_sample_result().to_json())
    change(doc)
    assert list(schema_validator.iter_errors(doc)), where


def test_an_unanchored_bundle_validates(schema_validator: Any, example_bundle: Path) -> None:
    from evidence.verification.verifier import verify

    doc = verify(example_bundle).to_json()
    schema_validator.validate(doc)
    assert (doc["anchor"], doc["policy"], doc["witnesses"]) == (None, None, [])
    assert doc["verdict"] == "not-presumed"
    assert "not-anchored" in [f["code"] for f in doc["findings"]]
    assert not [f for f in doc["findings"] if f["severity"] in ("error", "unknown")]


def test_a_bundle_with_an_unreadable_root_validates(schema_validator: Any,
                                                    example_bundle: Path) -> None:
    from evidence.verification.verifier import verify

    (example_bundle / "evidence" / "root.json").write_text("{not json", encoding="utf-8")
    doc = verify(example_bundle).to_json()
    schema_validator.validate(doc)
    assert doc["verdict"] == "failed"
    assert (doc["root"], doc["leaf_count"], doc["signer"]) == (None, None, None)


def test_the_schema_ships_inside_the_package() -> None:
    from importlib import resources

    text = resources.files("evidence").joinpath(
        "schemas", "verification-result.schema.json").read_text("utf-8")
    assert json.loads(text)["properties"]["schema"]["const"] == "evidence-verification-result"
