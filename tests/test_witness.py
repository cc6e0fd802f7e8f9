"""``evidence witness`` on the embedded chain, run as a user runs it (subprocesses).

keygen, add, list, revoke, confirm, sign + relay (EIP-712), the clock-skew refusal, a
non-registrar's add, and ``serve --once``; plus the library's small parsers and formats.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .conftest import PASSPHRASE, run_cli

ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
#: The registered witnesses of the base workspace: three Hague Convention parties.
WITNESSES = (("CN", "Witness node Shanghai"), ("SG", "Witness node Singapore"),
             ("DE", "Witness node Frankfurt"))
#: Bounded wait for the daemon's first log line (a limit, not a timed assertion).
SERVE_START_TIMEOUT_S = 120


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, session_workspace: Path) -> Path:
    """A workspace on the embedded chain with three registered, funded witnesses.

    Set up in-process (the commands under test run as subprocesses in the tests): the
    workspace account and the witness keys use the light scrypt setting, so that each
    command unlocks them fast.
    """
    from evidence.anchoring import setup_chain
    from evidence.witness.registry import add_witness, generate_witness_key
    from evidence.workspace import open_workspace

    root = tmp_path_factory.mktemp("witness-base")
    shutil.copytree(session_workspace, root / "ws")
    ws = open_workspace(root / "ws")
    generate_witness_key(ws.path(ws.chain.account_keystore), PASSPHRASE, light_kdf=True)
    ws = setup_chain(ws, PASSPHRASE)
    (root / "keys").mkdir()
    for cc, operator in WITNESSES:
        address = generate_witness_key(root / "keys" / f"{cc}.json", PASSPHRASE, light_kdf=True)
        add_witness(ws, PASSPHRASE, address, jurisdiction=cc, operator=operator, fund=True)
    return root


@pytest.fixture
def env(base: Path, tmp_path: Path) -> Path:
    """A private copy of the base workspace (chain included) and its witness keys."""
    shutil.copytree(base, tmp_path / "env")
    return tmp_path / "env"


def new_key(path: Path) -> str:
    from evidence.witness.registry import generate_witness_key

    return generate_witness_key(path, PASSPHRASE, light_kdf=True)


def capture_and_anchor(env: Path, name: str) -> Path:
    """Capture one small file and anchor it (in-process: setup, not under test)."""
    from evidence.anchoring import anchor_bundles
    from evidence.capturing.pipeline import capture
    from evidence.workspace import open_workspace

    ws = open_workspace(env / "ws")
    key = ws.signing_key(PASSPHRASE)
    source = env / f"{name}.txt"
    source.write_text(f"evidence {name}\n")
    bundle = env / name
    capture([source], out=bundle, case=f"C-{name}", key=key)
    anchor_bundles(ws, [bundle], passphrase=PASSPHRASE, key=key)
    return bundle


def batch_root(bundle: Path) -> bytes:
    from evidence.bundle.receipts import read_receipts

    (receipt,) = read_receipts(bundle)
    return receipt.batch_root


@contextmanager
def contract_of(env: Path) -> Iterator[Any]:
    from evidence.workspace import open_workspace
    from evidence.workspace_chain import open_workspace_chain, open_workspace_contract

    ws = open_workspace(env / "ws")
    with open_workspace_chain(ws) as chain:
        yield open_workspace_contract(ws, chain)


def address_of(env: Path, cc: str) -> str:
    from evidence.chain.accounts import keystore_address

    return keystore_address(env / "keys" / f"{cc}.json")


# -- keys and the registry ----------------------------------------------------------------


def test_keygen_prints_only_the_address_and_never_overwrites(tmp_path: Path) -> None:
    from evidence.chain.accounts import keystore_address, load_account

    path = tmp_path / "w.json"
    proc = ok(run_cli("witness", "keygen", "--light-kdf", "-o", str(path)))
    assert proc.stdout.splitlines() == [keystore_address(path)]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert json.loads(text)["crypto"]["kdf"] == "scrypt" and PASSPHRASE not in text
    account = load_account(path, PASSPHRASE)
    assert account.key.hex() not in proc.stdout + proc.stderr + text
    again = run_cli("witness", "keygen", "-o", str(path))
    assert again.returncode == 2 and "exists already" in one_error_line(again)
    assert path.read_text() == text


def test_list_json_names_jurisdictions_and_hague_status(env: Path) -> None:
    jp = new_key(env / "keys" / "JP.json")
    added = ok(run_cli("witness", "add", jp, "--jurisdiction", "jp", "--operator",
                       "Witness Tokyo", cwd=env / "ws"))
    assert f"witness {jp} added: JP (Japan, not a Hague party)" in added.stdout
    doc = json.loads(ok(run_cli("witness", "list", "--json", cwd=env / "ws")).stdout)
    rows = {w["jurisdiction"]: w for w in doc["witnesses"]}
    assert list(rows) == ["CN", "SG", "DE", "JP"]
    assert rows["DE"]["jurisdiction_name"] == "Germany" and rows["DE"]["hague_party"] is True
    assert rows["CN"]["address"] == address_of(env, "CN")
    assert rows["JP"]["hague_party"] is False and rows["JP"]["operator"] == "Witness Tokyo"
    assert all(w["registered_at"] > 0 and w["revoked_at"] is None for w in rows.values())
    text = ok(run_cli("witness", "list", cwd=env / "ws")).stdout
    assert "JP Japan (not a Hague party)" in text and "DE Germany (Hague party)" in text


def test_revoke_at_a_given_time_then_again(env: Path) -> None:
    sg = address_of(env, "SG")
    before = run_cli("witness", "revoke", sg, "--at", "2001-01-01T00:00:00Z", cwd=env / "ws")
    assert before.returncode == 3 and "before" in one_error_line(before)
    naive = run_cli("witness", "revoke", sg, "--at", "2099-01-01T00:00:00", cwd=env / "ws")
    assert naive.returncode == 2 and "time zone" in one_error_line(naive)
    done = ok(run_cli("witness", "revoke", sg, "--at", "4070908800", cwd=env / "ws"))
    assert f"witness {sg} (SG) revoked from 2099-01-01T00:00:00Z" in done.stdout
    with contract_of(env) as contract:
        assert contract.witness_of(sg).revoked_at == 4070908800
    again = run_cli("witness", "revoke", sg, cwd=env / "ws")
    assert again.returncode == 3 and "revoked already" in one_error_line(again)


def test_add_refuses_bad_input_and_existing_witness(env: Path) -> None:
    ws = env / "ws"
    cn = address_of(env, "CN")
    bad_code = run_cli("witness", "add", cn, "--jurisdiction", "XX", "--operator", "x", cwd=ws)
    assert bad_code.returncode == 2 and "ISO 3166-1" in one_error_line(bad_code)
    bad_address = run_cli("witness", "add", "0x1234", "--jurisdiction", "DE", "--operator", "x",
                          cwd=ws)
    assert bad_address.returncode == 2 and "not an Ethereum address" in one_error_line(bad_address)
    existing = run_cli("witness", "add", cn, "--jurisdiction", "CN", "--operator", "x", cwd=ws)
    assert existing.returncode == 3
    assert f"{cn} is registered already" in one_error_line(existing)


def test_non_registrar_cannot_add(env: Path) -> None:
    """Another account on the same contract: the decoded OwnableUnauthorizedAccount."""
    ws = env / "ws"
    with contract_of(env) as contract:
        registrar = contract.registrar()
    (ws / "keys" / "account.json").unlink()
    other = new_key(ws / "keys" / "account.json")
    newcomer = new_key(env / "keys" / "new.json")
    with contract_of(env) as contract:
        contract.chain.fund(other, 10**18)  # it can pay for gas: only the role is missing
    proc = run_cli("witness", "add", newcomer, "--jurisdiction", "FR", "--operator", "x", cwd=ws)
    assert proc.returncode == 3
    line = one_error_line(proc)
    assert f"only the registrar {registrar} can add witnesses" in line and other in line
    with contract_of(env) as contract:
        assert contract.witness_of(newcomer) is None


# -- confirmations ------------------------------------------------------------------------


def test_confirm_directly_then_again_sends_nothing(env: Path) -> None:
    bundle = capture_and_anchor(env, "b1")
    root = batch_root(bundle)
    key = env / "keys" / "DE.json"
    out = ok(run_cli("witness", "confirm", str(bundle), "--key", str(key), cwd=env / "ws"))
    assert f"0x{root.hex()}: confirmed by {address_of(env, 'DE')} (DE)" in out.stdout
    with contract_of(env) as contract:
        (c,) = contract.confirmations_of(root)
        assert contract.confirmation_of(root, address_of(env, "DE")) == c
        assert contract.confirmation_of(root, address_of(env, "CN")) is None
        height = contract.chain.latest_block_number()
    assert (c.witness, c.jurisdiction, c.by_signature) == (address_of(env, "DE"), "DE", False)
    again = ok(run_cli("witness", "confirm", "0x" + root.hex(), "--key", str(key),
                       cwd=env / "ws"))
    assert "already confirmed" in again.stdout and "nothing sent" in again.stdout
    with contract_of(env) as contract:
        assert contract.chain.latest_block_number() == height
    unknown = run_cli("witness", "confirm", "0x" + "ab" * 32, "--key", str(key), cwd=env / "ws")
    assert unknown.returncode == 3 and "is not anchored" in one_error_line(unknown)
    garbage = run_cli("witness", "confirm", "nonsense", "--key", str(key), cwd=env / "ws")
    assert garbage.returncode == 2 and "neither a batch root" in one_error_line(garbage)


def test_confirm_by_an_unregistered_key_fails(env: Path) -> None:
    bundle = capture_and_anchor(env, "b1")
    stranger = env / "keys" / "stranger.json"
    address = new_key(stranger)
    proc = run_cli("witness", "confirm", str(bundle), "--key", str(stranger), cwd=env / "ws")
    assert proc.returncode == 3 and f"{address} is not a registered witness" in one_error_line(
        proc)


def test_sign_and_relay_eip712(env: Path) -> None:
    bundle = capture_and_anchor(env, "b1")
    root = batch_root(bundle)
    sig = env / "sg.json"
    ok(run_cli("witness", "sign", "0x" + root.hex(), "--key", str(env / "keys" / "SG.json"),
               "-o", str(sig), cwd=env / "ws"))
    doc = json.loads(sig.read_text())
    assert set(doc) == {"version", "chain_id", "contract", "root", "witness", "observed_at",
                        "signature"}
    assert doc["root"] == "0x" + root.hex() and doc["witness"] == address_of(env, "SG")
    with contract_of(env) as contract:
        assert doc["chain_id"] == contract.chain.chain_id and doc["contract"] == contract.address
        assert contract.confirmations_of(root) == []  # signing sends nothing

    forged = env / "forged.json"
    forged.write_text(json.dumps({**doc, "witness": address_of(env, "CN")}))
    bad = run_cli("witness", "relay", str(forged), cwd=env / "ws")
    assert bad.returncode == 2 and "not by witness" in one_error_line(bad)

    out = ok(run_cli("witness", "relay", str(sig), cwd=env / "ws"))
    assert f"confirmation by {address_of(env, 'SG')} relayed" in out.stdout
    with contract_of(env) as contract:
        (c,) = contract.confirmations_of(root)
    assert c.by_signature and c.observed_at == doc["observed_at"] and c.jurisdiction == "SG"
    again = ok(run_cli("witness", "relay", str(sig), cwd=env / "ws"))
    assert "already confirmed" in again.stdout
    exists = run_cli("witness", "sign", str(bundle), "--key", str(env / "keys" / "SG.json"),
                     "-o", str(sig), cwd=env / "ws")
    assert exists.returncode == 2 and "exists already" in one_error_line(exists)


def test_anchor_in_the_witness_future_is_refused(env: Path) -> None:
    """The chain's clock moved an hour ahead: the anchor is ~3600 s in the witness's future."""
    from evidence.workspace import open_workspace
    from evidence.workspace_chain import open_workspace_chain

    with open_workspace_chain(open_workspace(env / "ws")) as chain:
        chain.advance_time(3600)
    bundle = capture_and_anchor(env, "future")
    root = batch_root(bundle)
    key = str(env / "keys" / "CN.json")
    for args in (("confirm",), ("sign", "--max-skew", "60")):
        proc = run_cli("witness", *args, str(bundle), "--key", key, cwd=env / "ws")
        assert proc.returncode == 2
        skew = 300 if args == ("confirm",) else 60  # the workspace's max_skew_seconds, or set
        line = one_error_line(proc)
        assert f"ahead of this witness's clock (allowed skew {skew} s); refused" in line
    serve = ok(run_cli("witness", "serve", "--key", key, "--once", "--max-skew", "60",
                       cwd=env / "ws"))
    assert "refused (block" in serve.stderr and root.hex() in serve.stderr
    with contract_of(env) as contract:
        assert contract.confirmations_of(root) == []
    state = json.loads(next((env / "ws" / "witness-state").glob("*.json")).read_text())
    assert state["refused"] == 1 and state["confirmed"] == 0
    # A skew wide enough to cover the hour lets the same witness confirm.
    ok(run_cli("witness", "confirm", str(bundle), "--key", key, "--max-skew", "3600",
               cwd=env / "ws"))


def test_serve_once_confirms_pending_then_sends_nothing(env: Path) -> None:
    ws = env / "ws"
    first = capture_and_anchor(env, "b1")
    second = capture_and_anchor(env, "b2")
    for cc, _ in WITNESSES:
        proc = ok(run_cli("witness", "serve", "--key", str(env / "keys" / f"{cc}.json"),
                          "--once", cwd=ws))
        assert proc.stderr.count("witness: confirmed 0x") == 2, proc.stderr
        assert "PRIVATE" not in proc.stderr.upper() and PASSPHRASE not in proc.stderr
    with contract_of(env) as contract:
        height = contract.chain.latest_block_number()
        for bundle in (first, second):
            got = {c.jurisdiction for c in contract.confirmations_of(batch_root(bundle))}
            assert got == {"CN", "SG", "DE"}
    from evidence.verification.verifier import verify

    assert verify(first, workspace=ws).verdict.value == "presumed-authentic"

    key = str(env / "keys" / "DE.json")
    again = ok(run_cli("witness", "serve", "--key", key, "--once", cwd=ws))
    assert "resuming at block" in again.stderr and "confirmed 0x" not in again.stderr
    with contract_of(env) as contract:
        assert contract.chain.latest_block_number() == height  # nothing was sent

    # A lost state file: the daemon reads from block 0 again and skips what it confirmed.
    for state in (ws / "witness-state").glob("*.json"):
        state.unlink()
    third = capture_and_anchor(env, "b3")
    fresh = ok(run_cli("witness", "serve", "--key", key, "--once", cwd=ws))
    assert fresh.stderr.count("already confirmed 0x") == 2
    assert fresh.stderr.count("witness: confirmed 0x") == 1
    assert f"confirmed 0x{batch_root(third).hex()}" in fresh.stderr


def test_serve_stops_cleanly_on_sigterm(env: Path) -> None:
    ws = env / "ws"
    key = env / "keys" / "SG.json"
    exe = Path(sys.executable).with_name("evidence")
    proc = subprocess.Popen(
        [str(exe), "witness", "serve", "--key", str(key), "--poll", "0.2"], cwd=ws,
        env={**os.environ, "EVIDENCE_PASSPHRASE": PASSPHRASE}, stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL, text=True)
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:  # bounded by the daemon's own start; no timing asserted
            seen.append(line)
            if "starting at block" in line or "resuming at block" in line:
                break
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=SERVE_START_TIMEOUT_S)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, "".join(seen) + rest
    assert "SIGTERM: stopping after the current step" in rest and "stopped; next block" in rest
    from evidence.chain.accounts import keystore_address

    state = json.loads((ws / "witness-state" / f"{keystore_address(key)}.json").read_text())
    assert state["witness"] == keystore_address(key) and state["next_block"] > 0


# -- library pieces -------------------------------------------------------------------------


def test_parse_time_and_root() -> None:
    from evidence.errors import InputError
    from evidence.witness.registry import parse_root, parse_time

    assert parse_time("1700000000") == 1700000000
    assert parse_time("2023-11-14T22:13:20Z") == 1700000000
    assert parse_time("2023-11-15T06:13:20+08:00") == 1700000000
    for bad in ("yesterday", "2023-11-14T22:13:20", "-5"):
        with pytest.raises(InputError):
            parse_time(bad)
    assert parse_root("0x" + "0f" * 32) == bytes([15]) * 32
    assert parse_root("0x" + "0f" * 31) is None and parse_root("0x" + "zz" * 32) is None


def test_check_skew_refuses_only_the_future_beyond_the_limit() -> None:
    from evidence.witness.confirm import ClockSkewError, check_skew

    root = b"\x01" * 32
    assert check_skew(1000, 1000.0, 300, root=root) == 0
    assert check_skew(1300, 1000.0, 300, root=root) == 300  # at the limit: accepted
    assert check_skew(1000, 90_000.0, 300, root=root) == -89_000  # late: accepted
    with pytest.raises(ClockSkewError, match="301 s ahead"):
        check_skew(1301, 1000.0, 300, root=root)


def test_signed_confirmation_and_state_parse_strictly() -> None:
    from evidence.errors import FormatError
    from evidence.witness.confirm import SignedConfirmation
    from evidence.witness.daemon import ServeState

    signed = SignedConfirmation(31337, "0x" + "11" * 20, b"\x02" * 32, "0x" + "22" * 20, 5,
                                b"\x03" * 65)
    doc = signed.to_json()
    parsed = SignedConfirmation.from_json(json.loads(signed.to_bytes()), where="s.json")
    assert parsed.to_json() == {**doc, "contract": parsed.contract, "witness": parsed.witness}
    for broken in ({**doc, "version": 2}, {**doc, "extra": 1}, {**doc, "signature": "0x00"},
                   {**doc, "observed_at": -1}, {k: v for k, v in doc.items() if k != "root"}):
        with pytest.raises(FormatError):
            SignedConfirmation.from_json(broken, where="s.json")
    state = ServeState(1, "0x" + "11" * 20, "0x" + "22" * 20, 7, 2, 1, "now")
    assert ServeState.from_json(state.to_json(), where="st.json") == state
    with pytest.raises(FormatError):
        ServeState.from_json({**state.to_json(), "next_block": -1}, where="st.json")
