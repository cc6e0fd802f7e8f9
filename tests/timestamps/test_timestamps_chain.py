"""Two clocks on a real chain: a pinned TSA's time beside the anchor's block time.

The chain here lies about time the way a chain one party runs can: anvil started with its
genesis 400 days in the past, so every block it mines claims to be 400 days old. The
capturer colludes (its signed capture time is the chain's), so the chain and the capture
agree and, without a timestamp, the evidence is presumed authentic, an anchor shown 400 days
older than it is. A token from a TSA the court pins, taken before the anchoring, says
otherwise: the disagreement is reported and the evidence is not presumed authentic.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evidence.keys import SigningKey
from evidence.timestamps import timestamp_bundle

from ..chain.conftest import AnvilNode, free_port
from ..verification.conftest import Lab, rpc_lab
from ..verification.court import COURT_CHAIN_ID
from .tsa import LocalTsa, pin_toml

pytestmark = pytest.mark.anvil

#: How far in the past the lying chain's clock runs (the issue's 400 days).
SHIFT_SECONDS = 400 * 86400


@pytest.fixture(scope="module")
def past_node() -> Iterator[AnvilNode]:
    node = AnvilNode(free_port(), "--chain-id", str(COURT_CHAIN_ID), "--timestamp",
                     str(int(time.time()) - SHIFT_SECONDS))
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, past_node: AnvilNode) -> Lab:
    return rpc_lab(tmp_path_factory.mktemp("tsa-chain"), past_node)


def chain_now(node: AnvilNode) -> str:
    block = node.rpc("eth_getBlockByNumber", "latest", False)
    assert isinstance(block, dict)
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(str(block["timestamp"]), 16)))


def colluding_capture(lab: Lab, node: AnvilNode, name: str,
                      monkeypatch: pytest.MonkeyPatch) -> Path:
    """A capture whose signed capture time is the lying chain's clock."""
    import evidence.capturing.pipeline

    monkeypatch.setattr(evidence.capturing.pipeline, "utc_now", lambda: chain_now(node))
    try:
        return lab.bundle(name)
    finally:
        monkeypatch.undo()


def court_profile(lab: Lab, tsa: LocalTsa, tmp_path: Path) -> Path:
    assert lab.trust_path is not None
    path = tmp_path / "court-with-tsa.toml"
    path.write_text(lab.trust_path.read_text(encoding="utf-8")
                    + pin_toml("Court TSA", tsa.signers["a"], qualified=True), encoding="utf-8")
    return path


def court_verify(lab: Lab, bundle: Path, profile: Path, policy: str = "hague-3") -> Any:
    from evidence.verification.verifier import verify

    return verify(bundle, trust=profile, policy=policy, chain_url=[str(lab.url)])


def codes(result: Any) -> set[str]:
    return {f.code for f in result.findings}


def anchored_and_confirmed(lab: Lab, bundle: Path) -> None:
    witnesses = [lab.witness(cc) for cc in ("CN", "SG", "DE")]
    lab.confirm(lab.anchor(bundle), *witnesses)


def test_lying_chain_clock_is_caught_by_a_pinned_tsa_token_taken_before_anchoring(
        lab: Lab, past_node: AnvilNode, tsa: LocalTsa, signing_key: SigningKey,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    control = colluding_capture(lab, past_node, "no-token", monkeypatch)
    anchored_and_confirmed(lab, control)
    stamped = colluding_capture(lab, past_node, "token-first", monkeypatch)
    timestamp_bundle(stamped, [tsa.url()], key=lab.key)
    anchored_and_confirmed(lab, stamped)
    profile = court_profile(lab, tsa, tmp_path)

    # One clock: the chain and the capturer agree, and the lie passes.
    alone = court_verify(lab, control, profile)
    assert alone.verdict.value == "presumed-authentic", alone.findings
    # Two clocks: the TSA says the root existed only now, 400 days after the block time.
    caught = court_verify(lab, stamped, profile)
    assert "timestamp-ok" in codes(caught)
    [disagreement] = [f for f in caught.findings if f.code == "timestamp-clock-disagreement"]
    assert "before TSA Court TSA's time" in disagreement.message
    assert caught.verdict.value == "not-presumed"
    [shown] = caught.timestamps
    assert shown["taken_before_anchor"] is True and caught.anchor is not None
    assert int(time.time()) - caught.anchor.block_time > SHIFT_SECONDS - 3600

    # hague-3-tsa asks for the second clock: the control bundle has none.
    required = court_verify(lab, control, profile, policy="hague-3-tsa")
    assert "timestamp-required" in codes(required)
    assert required.verdict.value == "not-presumed"


def test_hague_3_tsa_does_not_count_a_token_long_after_the_block(
        lab: Lab, past_node: AnvilNode, tsa: LocalTsa, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A token taken after the anchoring shows the root existed no later than now; the
    # block time 400 days before it does not contradict it, but nor does the token
    # corroborate it: the second clock hague-3-tsa asks for is not there (the presuming
    # control, on a chain with an honest clock, is in tests/hardening/test_attacks_today.py).
    bundle = colluding_capture(lab, past_node, "token-after", monkeypatch)
    anchored_and_confirmed(lab, bundle)
    timestamp_bundle(bundle, [tsa.url()], key=lab.key)
    profile = court_profile(lab, tsa, tmp_path)
    result = court_verify(lab, bundle, profile, policy="hague-3-tsa")
    assert "timestamp-after-anchor" in codes(result) and "timestamp-ok" in codes(result)
    assert "timestamp-clocks-agree" not in codes(result)
    assert result.verdict.value == "not-presumed", result.findings
    # The same token from a TSA the court does not pin does not count.
    unpinned = tmp_path / "court-without-tsa.toml"
    assert lab.trust_path is not None
    unpinned.write_text(lab.trust_path.read_text(encoding="utf-8"), encoding="utf-8")
    bare = court_verify(lab, bundle, unpinned, policy="hague-3-tsa")
    assert {"timestamp-tsa-not-pinned", "timestamp-required"} <= codes(bare)
    assert bare.verdict.value == "not-presumed"
