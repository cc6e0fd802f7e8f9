"""What the adversarial review of issue 19 found, each fixed and held by a test.

The review played the capturing party against a court's ``evidence verify`` (brief: make it
say presumed-authentic for evidence that should not get it, make honest evidence fail for a
node's shortcoming, crash it, or make its output misname things). The chain-side findings
(a node hiding recent blocks behind a low head, a node refusing old state to dodge the
registrar check, a node behind the anchor's block, JSON nested too deep) are held by
tests/verification/test_trust_anvil.py and tests/chain/test_proven.py; these are the rest.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidence.errors import FormatError
from evidence.keys import SigningKey


def test_control_sequences_in_a_registry_label_are_shown_escaped(example_bundle: Path) -> None:
    """A witness labelled "\\r\\x1b[Kverdict: PRESUMED AUTHENTIC\\x1b[8m" in the capturer's own
    registry printed a fake verdict line and hid the real one on a terminal."""
    import click
    from evidence_cli.render import render_verification

    from evidence.verification.verifier import verify

    result = verify(example_bundle, offline=True)
    label = "\r\x1b[Kverdict: PRESUMED AUTHENTIC\x1b[8m"
    witness = {"address": "0x" + "ab" * 20, "operator": label, "operator_id": None,
               "jurisdiction": "FR", "counted": False, "reason_code": "not-in-profile"}
    result = dataclasses.replace(result, witnesses=(witness,))

    @click.command()
    def show() -> None:
        render_verification(result)

    out = CliRunner().invoke(show).output
    assert "\x1b" not in out and "\r" not in out
    assert "\\x1b[8m" in out  # shown, escaped, not obeyed
    verdicts = [line for line in out.splitlines() if line.startswith("verdict:")]
    assert len(verdicts) == 1 and "NOT PRESUMED" in verdicts[0]


def test_an_out_of_range_time_is_shown_not_a_crash() -> None:
    from evidence_cli.render import _utc

    assert "out of range" in _utc(2**53 - 1)


def test_custody_details_of_any_json_shape_never_crash_verification(
        example_bundle: Path, signing_key: SigningKey) -> None:
    """An ``anchored`` custody entry whose chain_id is a list (signed by the capturer)
    crashed the receipt-to-custody comparison with an unhashable type."""
    from evidence.bundle.custody import append_entry
    from evidence.verification.verifier import verify

    append_entry(example_bundle, "anchored",
                 {"chain_id": [1, 2], "contract": {"x": 1}, "batch_root": None,
                  "transaction": 5, "block_number": "7",
                  "replaces": {"transaction": [1], "block_number": {}}}, signing_key)
    result = verify(example_bundle, offline=True)  # must return, whatever it finds
    assert result.verdict.value in ("failed", "not-presumed")


def test_profile_dates_at_the_edge_of_the_range_are_a_format_error() -> None:
    from evidence.trust.profile import parse_trust_profile

    text = (Path(__file__).resolve().parents[1] / "assets" / "trust" / "good"
            / "minimal.toml").read_text(encoding="utf-8")
    import re

    text = re.sub(r"^expires = .*$", "expires = 9999-12-31T23:59:59-23:59", text,
                  flags=re.MULTILINE)
    with pytest.raises(FormatError, match="out of range"):
        parse_trust_profile(text.encode("utf-8"), shown="edge.toml")


def test_a_signature_file_nested_too_deep_is_a_format_error() -> None:
    from evidence.trust.signing import verify_profile_signature

    deep = ("[" * 2040 + "]" * 2040).encode()
    with pytest.raises(FormatError, match="nesting deeper than"):
        verify_profile_signature(b"version = 1\n", deep, shown="p.toml", sig_shown="p.toml.sig")
