"""Issue 19 on a real JSON-RPC node: trust belongs to the verifier.

Each attack of the issue's table is reproduced as the capturing party would try it, and the
court verifies as a court does: from a folder holding only the bundle, with its own trust
profile and its own node (``evidence verify BUNDLE --chain URL --trust FILE``). None may end
presumed-authentic; honest evidence must not end ``failed`` for a node's shortcoming. The
positive path: the same bundle, honestly witnessed by three operators the court's profile
names in three Hague states, is presumed authentic; without ``--trust`` it is not.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..chain.conftest import AnvilNode, free_port
from ..chain.rpc_proxy import RpcProxy as LyingProxy
from ..conftest import run_cli
from .court import (
    COURT_CHAIN_ID,
    GAS_WEI,
    Deployment,
    Operator,
    court_profile,
    deploy,
    genesis_hash,
    ok_cli,
    operators_of,
    rpc,
)

pytestmark = pytest.mark.anvil

Doc = dict[str, Any]

#: 400 days, the shift the issue's lying proxy applied to every time.
SHIFT_SECONDS = 400 * 86_400


@pytest.fixture(scope="module")
def node() -> Iterator[AnvilNode]:
    n = AnvilNode(free_port(), "--chain-id", str(COURT_CHAIN_ID))
    n.start()
    try:
        yield n
    finally:
        n.stop()


@pytest.fixture(scope="module")
def world(node: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    return deploy(node, tmp_path_factory.mktemp("trust-world"))


@pytest.fixture(scope="module")
def witnessed(world: Deployment) -> Path:
    """A bundle honestly confirmed by the three pinned operators' witnesses."""
    bundle = world.bundle("honest")
    world.sign_and_relay(bundle, "cn", "sg", "de")
    return bundle


@pytest.fixture(scope="module")
def profile(world: Deployment, node: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("court-office")
    return court_profile(folder / "court.toml", chain_id=COURT_CHAIN_ID,
                         genesis=genesis_hash(node.url), contract=world.contract,
                         registrar=world.registrar,
                         operators=operators_of(world, "cn", "sg", "de"))


def court_verify(bundle: Path, *args: str, cwd: Path | None = None) -> tuple[Doc, int, str]:
    """``evidence verify --json`` as the court runs it; (result, exit code, stderr)."""
    proc = run_cli("verify", str(bundle), "--json", *args, cwd=cwd or bundle.parent)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert proc.stdout.strip(), (proc.returncode, proc.stderr)
    return json.loads(proc.stdout), proc.returncode, proc.stderr


def court_text(bundle: Path, *args: str,
               cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("verify", str(bundle), *args, cwd=cwd or bundle.parent)


def codes(doc: Doc, severity: str | None = None) -> list[str]:
    return [f["code"] for f in doc["findings"] if severity is None or f["severity"] == severity]


def finding(doc: Doc, code: str) -> Doc:
    hits = [f for f in doc["findings"] if f["code"] == code]
    assert len(hits) == 1, (code, codes(doc))
    return hits[0]


# -- the positive path ------------------------------------------------------------------------


def test_presumed_authentic_under_the_courts_profile_and_not_without_it(
        world: Deployment, witnessed: Path, profile: Path, node: AnvilNode) -> None:
    folder = world.court_folder(witnessed, "positive")
    bundle = folder / witnessed.name
    doc, code, _ = court_verify(bundle, "--chain", node.url, "--trust", str(profile))
    assert (doc["verdict"], code) == ("presumed-authentic", 0), codes(doc, "warning")
    assert doc["demonstration"] is False and doc["development_chain"] is False
    assert sorted(w["jurisdiction"] for w in doc["witnesses"] if w["counted"]) == [
        "CN", "DE", "SG"]
    assert {w["operator_id"] for w in doc["witnesses"]} == {
        "LEI:TEST0000000000000CN1", "UEN:TEST00000SG1", "HRB:TEST-DE-1"}
    # Every output names the chain, the contract, the registrar and the profile used.
    assert doc["anchor"]["registrar"].lower() == world.registrar.lower()
    assert doc["anchor"]["contract"].lower() == world.contract.lower()
    assert doc["trust"]["name"] == "court-of-example"
    assert doc["trust"]["sha256"] and doc["trust"]["source"] == str(profile)
    assert doc["chain"]["pinned"] is True and doc["chain"]["nodes"]
    # anvil says what it is; the court's profile vouches for this chain regardless.
    assert finding(doc, "trust-node-software")["severity"] == "info"
    text = court_text(bundle, "--chain", node.url, "--trust", str(profile))
    assert text.returncode == 0
    verdict = [line for line in text.stdout.splitlines() if line.startswith("verdict:")]
    assert verdict == [verdict[0]] and "PRESUMED AUTHENTIC" in verdict[0]
    assert "trust profile court-of-example" in verdict[0] and "hague-3" in verdict[0]
    assert world.registrar.lower() in text.stdout.lower()

    doc, code, _ = court_verify(bundle, "--chain", node.url)
    assert (doc["verdict"], code) == ("not-presumed", 1)
    assert finding(doc, "trust-none")["severity"] == "warning"
    assert "--trust" in finding(doc, "trust-none")["message"]
    assert doc["trust"] is None


def test_the_profile_may_name_the_nodes(world: Deployment, witnessed: Path, node: AnvilNode,
                                        tmp_path: Path) -> None:
    """A court that keeps its node in its profile needs no --chain."""
    p = court_profile(tmp_path / "with-nodes.toml", chain_id=COURT_CHAIN_ID,
                      genesis=genesis_hash(node.url), contract=world.contract,
                      registrar=world.registrar, operators=operators_of(world, "cn", "sg", "de"),
                      nodes=[node.url])
    doc, code, _ = court_verify(world.court_folder(witnessed, "nodes") / witnessed.name,
                                "--trust", str(p))
    assert (doc["verdict"], code) == ("presumed-authentic", 0)


def test_trust_from_the_environment_and_the_verifiers_own_configuration(
        world: Deployment, witnessed: Path, profile: Path, node: AnvilNode,
        tmp_path: Path) -> None:
    bundle = world.court_folder(witnessed, "env") / witnessed.name
    proc = run_cli("verify", str(bundle), "--json", "--chain", node.url,
                   env={"EVIDENCE_TRUST": str(profile)})
    assert json.loads(proc.stdout)["verdict"] == "presumed-authentic"
    config = tmp_path / "config"
    (config / "evidence").mkdir(parents=True)
    (config / "evidence" / "trust.toml").write_bytes(profile.read_bytes())
    proc = run_cli("verify", str(bundle), "--json", "--chain", node.url,
                   env={"XDG_CONFIG_HOME": str(config)})
    assert json.loads(proc.stdout)["verdict"] == "presumed-authentic"


# -- the attacks of the table -----------------------------------------------------------


def test_own_registry_with_self_registered_witnesses_is_not_presumed(
        node: AnvilNode, profile: Path, tmp_path: Path) -> None:
    """The capturer deploys its own EvidenceAnchor (so it is the registrar), registers three
    witnesses "in" CN, SG and DE whose keys it holds, and confirms its own anchor."""
    own = deploy(node, tmp_path / "own")  # the adversary plays every role here
    bundle = own.bundle("own-registry")
    own.sign_and_relay(bundle, "cn", "sg", "de")
    folder = own.court_folder(bundle, "own")
    doc, code, _ = court_verify(folder / bundle.name, "--chain", node.url, "--trust",
                                str(profile))
    assert (doc["verdict"], code) == ("not-presumed", 1)
    assert finding(doc, "trust-registry-not-pinned")["severity"] == "warning"
    assert doc["anchor"]["registrar"].lower() == own.registrar.lower()
    # Without a profile it is not presumed either, and the registrar is named.
    doc, code, _ = court_verify(folder / bundle.name, "--chain", node.url)
    assert (doc["verdict"], code) == ("not-presumed", 1)
    assert doc["anchor"]["registrar"].lower() == own.registrar.lower()
    text = court_text(folder / bundle.name, "--chain", node.url)
    assert own.registrar.lower() in text.stdout.lower()


def test_own_chain_with_a_borrowed_chain_id_and_old_blocks_is_not_presumed(
        profile: Path, tmp_path: Path) -> None:
    """The capturer runs its own anvil with chain id 137 and blocks dated 13 months back."""
    import time

    thirteen_months_ago = int(time.time()) - 396 * 86_400
    fake = AnvilNode(free_port(), "--chain-id", "137", "--timestamp", str(thirteen_months_ago))
    fake.start()
    try:
        own = deploy(fake, tmp_path / "fake-chain")
        bundle = own.bundle("borrowed-id")
        # Its blocks are dated a year back, so its witnesses confirm by transaction (a
        # signed observation time would be in the future of such a chain).
        own.confirm_directly(bundle, "cn", "sg", "de")
        # The court pins chain 137 as it really is (here: another genesis hash).
        court = court_profile(tmp_path / "court-137.toml", chain_id=137,
                              genesis="0x" + "a9" * 32, contract=own.contract,
                              registrar=own.registrar,
                              operators=operators_of(own, "cn", "sg", "de"))
        doc, code, _ = court_verify(own.court_folder(bundle, "fake") / bundle.name,
                                    "--chain", fake.url, "--trust", str(court))
        assert (doc["verdict"], code) == ("not-presumed", 1), [
            (f["code"], f["message"]) for f in doc["findings"] if f["severity"] != "ok"]
        assert finding(doc, "trust-genesis-mismatch")["severity"] == "warning"
        assert doc["development_chain"] is True  # anvil says so, and nothing pins it
        assert "anvil" in finding(doc, "development-chain")["message"]
    finally:
        fake.stop()


def test_development_chain_is_never_evidence_and_a_demonstration_says_so(
        tmp_path: Path, profile: Path) -> None:
    """anvil with its default chain id 31337: a court profile cannot pin it; the
    workspace's demonstration profile can, and the verdict then says DEMONSTRATION."""
    dev = AnvilNode(free_port())
    dev.start()
    try:
        own = deploy(dev, tmp_path / "dev")
        bundle = own.bundle("dev")
        own.sign_and_relay(bundle, "cn", "sg", "de")
        folder = own.court_folder(bundle, "dev")
        doc, code, _ = court_verify(folder / bundle.name, "--chain", dev.url, "--trust",
                                    str(profile))
        assert (doc["verdict"], code) == ("not-presumed", 1)
        assert finding(doc, "development-chain")["severity"] == "warning"
        # A court profile pinning a development chain is refused outright.
        bad = court_profile(tmp_path / "pins-dev.toml", chain_id=31337,
                            genesis=genesis_hash(dev.url), contract=own.contract,
                            registrar=own.registrar, operators=operators_of(own, "cn"))
        refused = court_text(folder / bundle.name, "--chain", dev.url, "--trust", str(bad))
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
        # The registrar's workspace got a demonstration profile; with it, one statement.
        demo = own.registrar_ws / "trust-demo.toml"
        assert demo.is_file()
        text = court_text(folder / bundle.name, "--chain", dev.url, "--trust", str(demo))
        verdict = [line for line in text.stdout.splitlines() if line.startswith("verdict:")]
        assert len(verdict) == 1 and "DEMONSTRATION ONLY" in verdict[0], text.stdout
        assert "NO EVIDENTIAL VALUE" in verdict[0]
        assert "WARNING" not in text.stdout
        doc, code, _ = court_verify(folder / bundle.name, "--chain", dev.url, "--trust",
                                    str(demo))
        assert doc["demonstration"] is True and doc["verdict"] == "presumed-authentic"
    finally:
        dev.stop()


def _confirmation_lies(world: Deployment) -> Any:
    """Rewrite every eth_call answer (confirmationsOf and the other views) and every
    storage value a proof carries into something else: the answers an adversary wants."""

    def rewrite(method: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        result = response.get("result")
        if method == "eth_getProof" and isinstance(result, dict):
            for entry in result.get("storageProof", []):
                entry["value"] = "0x" + "11" * 32
        return response

    return rewrite


def test_lying_node_in_front_of_an_honest_one(world: Deployment, profile: Path,
                                              node: AnvilNode) -> None:
    """Only the CN witness really confirmed; a proxy makes storage say more. Proofs are
    checked against the block header, so the lie is caught: inconclusive, never presumed."""
    bundle = world.bundle("one-real-confirmation")
    world.sign_and_relay(bundle, "cn")
    folder = world.court_folder(bundle, "liar")
    with LyingProxy(node.url, _confirmation_lies(world)) as liar:
        doc, code, _ = court_verify(folder / bundle.name, "--chain", liar.url, "--trust",
                                    str(profile))
    assert (doc["verdict"], code) == ("inconclusive", 3), codes(doc)
    assert "node-proof-invalid" in codes(doc, "unknown")
    # Through the honest node the truth: one confirmation, not presumed.
    doc, code, _ = court_verify(folder / bundle.name, "--chain", node.url, "--trust",
                                str(profile))
    assert (doc["verdict"], code) == ("not-presumed", 1)
    assert [w["jurisdiction"] for w in doc["witnesses"]] == ["CN"]


def _shift_times(method: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
    result = response.get("result")
    if method.startswith("eth_getBlock") and isinstance(result, dict) and "timestamp" in result:
        result["timestamp"] = hex(int(result["timestamp"], 16) - SHIFT_SECONDS)
    return response


def test_node_shifting_every_time_is_caught_alone_and_outvoted_beside_an_honest_one(
        world: Deployment, witnessed: Path, profile: Path, node: AnvilNode) -> None:
    folder = world.court_folder(witnessed, "shifted")
    with LyingProxy(node.url, _shift_times) as liar:
        doc, code, _ = court_verify(folder / witnessed.name, "--chain", liar.url, "--trust",
                                    str(profile))
        assert (doc["verdict"], code) == ("inconclusive", 3), codes(doc)
        assert not codes(doc, "error")
        with LyingProxy(node.url) as honest_proxy:
            doc, code, _ = court_verify(folder / witnessed.name, "--chain", node.url,
                                        "--chain", liar.url, "--trust", str(profile))
            assert (doc["verdict"], code) == ("inconclusive", 3)
            unknown = [f for f in doc["findings"] if f["severity"] == "unknown"]
            assert any(liar.url.split("//")[1] in f["message"] for f in unknown), unknown
            # Two honest nodes agree: presumed.
            doc, code, _ = court_verify(folder / witnessed.name, "--chain", node.url,
                                        "--chain", honest_proxy.url, "--trust", str(profile))
            assert (doc["verdict"], code) == ("presumed-authentic", 0)
            assert len(doc["chain"]["nodes"]) == 2


def test_look_alike_operator_names_count_once(node: AnvilNode, tmp_path: Path) -> None:
    """Without a profile, names are the only handle: "Acme Evidence Ltd", the same with a
    zero-width space and with a Cyrillic "А" are refused as names, not counted thrice."""
    own = deploy(node, tmp_path / "lookalike")
    own.witness("acme1", "FR", "Acme Evidence Ltd")
    own.witness("acme2", "IT", "Acme\u200b Evidence Ltd")
    own.witness("acme3", "ES", "\u0410cme Evidence Ltd")
    bundle = own.bundle("lookalike")
    own.sign_and_relay(bundle, "acme1", "acme2", "acme3")
    doc, code, _ = court_verify(own.court_folder(bundle, "lookalike") / bundle.name,
                                "--chain", node.url)
    assert code == 1 and doc["verdict"] == "not-presumed"
    by_address = {w["address"].lower(): w for w in doc["witnesses"]}
    assert by_address[own.witness_addresses["acme2"].lower()]["reason_code"] == (
        "bad-operator-name")
    assert by_address[own.witness_addresses["acme3"].lower()]["reason_code"] == (
        "bad-operator-name")
    assert [w["jurisdiction"] for w in doc["witnesses"] if w["counted"]] == ["FR"]


def test_a_policy_file_named_like_the_builtin_one_is_refused(
        world: Deployment, witnessed: Path, profile: Path, node: AnvilNode,
        tmp_path: Path) -> None:
    relabelled = tmp_path / "hague-3.toml"
    relabelled.write_text(
        'version = 1\nname = "hague-3"\ndescription = "looks like the real one"\n'
        "min_jurisdictions = 2\nrequire_hague_party = true\n"
        "require_in_force_at_confirmation = true\ncount_distinct_operators = true\n"
        "exclude_submitter = true\nconfirmation_window_seconds = 86400\n"
        "max_clock_skew_seconds = 300\nmin_blocks_on_top = 0\n", encoding="utf-8")
    proc = court_text(witnessed, "--chain", node.url, "--trust", str(profile), "--policy",
                      str(relabelled))
    assert proc.returncode == 2
    assert "reserved for the built-in policy" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    # A file policy with its own name is shown with its path and digest beside the verdict.
    own = tmp_path / "two.toml"
    own.write_text(relabelled.read_text().replace('"hague-3"', '"two-states"'), "utf-8")
    proc = court_text(witnessed, "--chain", node.url, "--trust", str(profile), "--policy",
                      str(own))
    verdict = next(line for line in proc.stdout.splitlines() if line.startswith("verdict:"))
    assert str(own) in verdict and "SHA-256" in verdict


def test_a_workspace_shipped_with_the_bundle_is_not_used(
        world: Deployment, witnessed: Path, profile: Path, node: AnvilNode,
        tmp_path: Path) -> None:
    """The capturer ships the bundle inside its workspace folder, whose configuration names
    its own (lying) node and which holds a demonstration profile; the court runs verify
    there. Neither is used."""
    import shutil

    shipped = tmp_path / "shipped-workspace"
    shutil.copytree(world.capturer_ws, shipped)
    shutil.copytree(witnessed, shipped / witnessed.name)
    with LyingProxy(node.url, _shift_times) as liar:
        config = (shipped / "evidence.toml").read_text()
        (shipped / "evidence.toml").write_text(config.replace(node.url, liar.url))
        (shipped / "trust-demo.toml").write_text("this file must never be read", "utf-8")
        doc, code, _ = court_verify(shipped / witnessed.name, "--trust", str(profile),
                                    cwd=shipped)
        assert (doc["verdict"], code) == ("inconclusive", 3)  # no node named: none asked
        assert "--chain URL" in finding(doc, "chain-error")["message"]
        doc, code, _ = court_verify(shipped / witnessed.name, "--chain", node.url,
                                    "--trust", str(profile), cwd=shipped)
        assert (doc["verdict"], code) == ("presumed-authentic", 0)
        assert liar.methods == []  # the shipped workspace's node was never asked


def test_genuine_runtime_with_another_deployments_domain_separator_is_refused(
        world: Deployment, profile: Path, node: AnvilNode) -> None:
    """The code at the registry is swapped for the genuine runtime whose cached EIP-712
    domain separator is another deployment's: it would accept a confirmation signed for
    another contract. The code check refuses it (failed), whatever the profile."""
    from evidence.chain.light import IMMUTABLE_OFFSETS

    bundle = world.bundle("domain")
    world.sign_and_relay(bundle, "cn", "sg", "de")
    code = bytearray(bytes.fromhex(str(rpc(node.url, "eth_getCode", world.contract,
                                           "latest"))[2:]))
    snapshot = rpc(node.url, "evm_snapshot")
    try:
        for start in IMMUTABLE_OFFSETS["_cachedDomainSeparator"]:
            code[start:start + 32] = bytes(range(32))
        node.rpc("anvil_setCode", world.contract, "0x" + code.hex())
        node.rpc("evm_mine")  # a block whose state root holds the swapped code
        doc, code_, _ = court_verify(world.court_folder(bundle, "domain") / bundle.name,
                                     "--chain", node.url, "--trust", str(profile))
        assert (doc["verdict"], code_) == ("failed", 1)
        assert "_cachedDomainSeparator" in finding(doc, "contract-mismatch")["message"]
    finally:
        node.rpc("evm_revert", snapshot)


@pytest.mark.parametrize("failure", ["empty", "error"])
def test_a_node_that_cannot_serve_logs_gives_inconclusive_not_failed(
        failure: str, world: Deployment, witnessed: Path, profile: Path,
        node: AnvilNode) -> None:
    def rewrite(method: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if method != "eth_getLogs":
            return response
        if failure == "empty":
            return {**response, "result": []}
        return {"jsonrpc": "2.0", "id": response.get("id"),
                "error": {"code": -32005, "message": "query returned more than 10000 results"}}

    folder = world.court_folder(witnessed, f"logs-{failure}")
    with LyingProxy(node.url, rewrite) as limited:
        doc, code, stderr = court_verify(folder / witnessed.name, "--chain", limited.url,
                                         "--trust", str(profile))
    assert (doc["verdict"], code) == ("inconclusive", 3), codes(doc)
    assert not codes(doc, "error")
    assert "bug" not in stderr


def test_back_dated_revocation_is_shown_as_disputed_with_both_times(
        world: Deployment, node: AnvilNode, tmp_path: Path) -> None:
    fr = world.witness("fr-revoked", "FR", "Paris Example Huissier")
    bundle = world.bundle("disputed")
    world.sign_and_relay(bundle, "cn", "sg", "de", "fr-revoked")
    _a_second_later(node)
    registered = _registered_at(world, fr)
    ok_cli("-w", str(world.registrar_ws), "witness", "revoke", fr, "--at", str(registered))
    ops = [*operators_of(world, "cn", "sg", "de"),
           Operator("SIREN:TEST-FR", "Paris Example Huissier", "FR", (fr,))]
    p = court_profile(tmp_path / "with-fr.toml", chain_id=COURT_CHAIN_ID,
                      genesis=genesis_hash(node.url), contract=world.contract,
                      registrar=world.registrar, operators=ops)
    doc, code, _ = court_verify(world.court_folder(bundle, "disputed") / bundle.name,
                                "--chain", node.url, "--trust", str(p))
    assert (doc["verdict"], code) == ("presumed-authentic", 0)  # CN, SG, DE still count
    w = next(w for w in doc["witnesses"] if w["address"].lower() == fr.lower())
    assert w["reason_code"] == "disputed-revocation" and not w["counted"]
    assert w["revoked_at"] == registered
    assert w["revocation_issued_at"] is not None and w["revocation_issued_at"] > w["confirmed_at"]
    message = finding(doc, "policy-disputed-revocation")["message"]
    assert "issued at" in message and "take effect from" in message


def _a_second_later(node: AnvilNode) -> None:
    """The registrar acts at least one block-second after the confirmations (anvil stamps
    blocks with the wall clock: set-up steps run in-process can land in the same second)."""
    node.rpc("evm_increaseTime", 1)
    node.rpc("evm_mine")


def _registered_at(world: Deployment, address: str) -> int:
    listing = json.loads(ok_cli("-w", str(world.registrar_ws), "witness", "list", "--json"))
    entry = next(w for w in listing["witnesses"] if w["address"].lower() == address.lower())
    return int(entry["registered_at"])


def test_witness_operator_and_capturer_need_no_funds_to_join(world: Deployment,
                                                             node: AnvilNode) -> None:
    """Checked in :func:`deploy` for the capturer; here the witness keys: they signed every
    confirmation above and never held ether."""
    for address in world.witness_addresses.values():
        assert rpc(node.url, "eth_getBalance", address, "latest") == "0x0"
    assert GAS_WEI > 0


# -- what the adversarial review found (issue 19) ----------------------------------------------


def _lower_head(by: int) -> Any:
    def rewrite(method: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if method == "eth_blockNumber" and isinstance(response.get("result"), str):
            response["result"] = hex(max(0, int(response["result"], 16) - by))
        return response

    return rewrite


def test_a_node_hiding_a_recent_revocation_behind_a_low_head_is_outvoted(
        world: Deployment, node: AnvilNode, tmp_path: Path) -> None:
    """A revocation dated back before a confirmation withdraws it; a second node that
    reports a head from before the revocation must not make it vanish."""
    it = world.witness("it-revoked", "IT", "Rome Example Notaio")
    bundle = world.bundle("hidden-revocation")
    world.sign_and_relay(bundle, "cn", "sg", "it-revoked")
    _a_second_later(node)
    ok_cli("-w", str(world.registrar_ws), "witness", "revoke", it, "--at",
           str(_registered_at(world, it)))
    ops = [*operators_of(world, "cn", "sg"),
           Operator("REA:TEST-IT", "Rome Example Notaio", "IT", (it,))]
    p = court_profile(tmp_path / "with-it.toml", chain_id=COURT_CHAIN_ID,
                      genesis=genesis_hash(node.url), contract=world.contract,
                      registrar=world.registrar, operators=ops, min_nodes=2)
    folder = world.court_folder(bundle, "hidden-revocation")
    with LyingProxy(node.url, _lower_head(1)) as stale:
        doc, code, _ = court_verify(folder / bundle.name, "--chain", node.url, "--chain",
                                    stale.url, "--trust", str(p))
    assert (doc["verdict"], code) == ("inconclusive", 3), codes(doc)
    assert "nodes-disagree" in codes(doc, "unknown")
    doc, code, _ = court_verify(folder / bundle.name, "--chain", node.url, "--trust", str(p))
    assert (doc["verdict"], code) == ("not-presumed", 1)  # CN, SG: the IT one is withdrawn
    assert [w["reason_code"] for w in doc["witnesses"]
            if w["address"].lower() == it.lower()] == ["disputed-revocation"]


def test_a_node_behind_the_anchor_gives_inconclusive_not_failed(
        world: Deployment, witnessed: Path, profile: Path, node: AnvilNode) -> None:
    folder = world.court_folder(witnessed, "behind")
    head = int(str(rpc(node.url, "eth_blockNumber")), 16)
    anchor_block = json.loads(next((witnessed / "evidence" / "receipts").glob("*.json"))
                              .read_bytes())["block_number"]
    with LyingProxy(node.url, _lower_head(head - anchor_block + 1)) as lagging:
        doc, code, _ = court_verify(folder / witnessed.name, "--chain", lagging.url,
                                    "--trust", str(profile))
    assert (doc["verdict"], code) == ("inconclusive", 3), codes(doc)
    assert "chain-behind" in codes(doc, "unknown") and not codes(doc, "error")


def _no_old_state(method: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
    if method == "eth_getProof" and params and params[-1] != "latest":
        head = rpc_head.get("n")
        if head is not None and int(str(params[-1]), 16) < head:
            return {"jsonrpc": "2.0", "id": response.get("id"),
                    "error": {"code": -32000, "message": "missing trie node"}}
    return response


rpc_head: dict[str, int] = {}


def test_a_node_without_old_state_cannot_dodge_a_registrar_change(
        node: AnvilNode, tmp_path: Path) -> None:
    """The registry changes hands after the anchor; the court pins the new registrar. Read
    at the anchor's block the registrar is the old one (not presumed). A node that keeps no
    old state must not turn that into the new one: the transfer is found in the events."""
    own = deploy(node, tmp_path / "handover")
    bundle = own.bundle("handover")
    own.sign_and_relay(bundle, "cn", "sg", "de")
    successor = ok_cli("witness", "keygen", "--light-kdf", "-o",
                       str(tmp_path / "successor.json")).strip()
    _transfer_registry(own, successor, tmp_path / "successor.json")
    court = court_profile(tmp_path / "pins-successor.toml", chain_id=COURT_CHAIN_ID,
                          genesis=genesis_hash(node.url), contract=own.contract,
                          registrar=successor, operators=operators_of(own, "cn", "sg", "de"))
    folder = own.court_folder(bundle, "handover")
    doc, code, _ = court_verify(folder / bundle.name, "--chain", node.url, "--trust",
                                str(court))
    assert (doc["verdict"], code) == ("not-presumed", 1)
    assert "trust-registrar-mismatch" in codes(doc, "warning")
    rpc_head["n"] = int(str(rpc(node.url, "eth_blockNumber")), 16)
    with LyingProxy(node.url, _no_old_state) as forgetful:
        doc, code, _ = court_verify(folder / bundle.name, "--chain", forgetful.url,
                                    "--trust", str(court))
    assert (doc["verdict"], code) == ("inconclusive", 3), codes(doc)
    assert any("registrar changed after the anchor" in f["message"]
               for f in doc["findings"] if f["severity"] == "unknown")


def _transfer_registry(d: Deployment, successor: str, key: Path) -> None:
    """Ownable2Step: the registrar offers the registry, the successor accepts it."""
    from evidence.chain.accounts import load_account
    from evidence.chain.backend import ChainConfig
    from evidence.chain.connect import open_chain
    from evidence.chain.contract import AnchorContract

    from ..conftest import PASSPHRASE
    from .court import fund

    fund(d.node, successor)
    registrar = load_account(d.registrar_ws / "keys" / "account.json", PASSPHRASE)
    heir = load_account(key, PASSPHRASE)
    with open_chain(ChainConfig(kind="rpc", url=d.node.url)) as chain:
        c = AnchorContract(chain, d.contract)
        chain.transact(c._c.functions.transferOwnership(successor), registrar)
        chain.transact(c._c.functions.acceptOwnership(), heir)
        assert c.registrar().lower() == successor.lower()


def test_json_nested_too_deep_from_a_node_is_inconclusive(
        world: Deployment, witnessed: Path, profile: Path, node: AnvilNode) -> None:
    def deep(method: str, params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
        if method == "eth_getProof":
            nested: Any = []
            for _ in range(3000):
                nested = [nested]
            return {**response, "result": nested}
        return response

    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(20_000)  # for the proxy's own encoder; the verifier keeps its own
    try:
        with LyingProxy(node.url, deep) as liar:
            doc, code, stderr = court_verify(world.court_folder(witnessed, "deep") / witnessed.name,
                                             "--chain", liar.url, "--trust", str(profile))
    finally:
        sys.setrecursionlimit(limit)
    assert (doc["verdict"], code) == ("inconclusive", 3) and "bug" not in stderr
