"""``witness serve`` on anvil: does one witness keep up with anchors sent as fast as the node
takes them? (issue 7: keeps up with >= 50 anchors/s)

Starts anvil (automine) on a free 127.0.0.1 port, makes a workspace on it with the library
(the EvidenceAnchor contract, one registered and funded witness), starts
``evidence witness serve`` as a subprocess (short ``--poll``), waits for its first log line,
then sends N ``anchor`` transactions from a separate account: signed beforehand with
consecutive local nonces and sent one after the other without waiting for receipts (each
answer from an automining anvil already means "mined"). Every ``confirmed 0x...`` line
serve writes is stamped on arrival. At the end serve is stopped with SIGTERM (its peak RSS
comes from ``wait4``) and the chain is asked whether every root got exactly one
confirmation by the witness.

Prints one JSON line:

* ``anchors_per_s``: N / time to send them (the rate the node takes anchors);
* ``confirmations_per_s``: confirmed / (first anchor sent -> last confirmation logged);
* ``lag_s``: last anchor sent -> last confirmation logged; ``backlog_at_send_end``: anchors
  not yet confirmed when the last one was sent;
* ``serve_max_rss_mib``, ``exactly_once`` (chain check), ``keeps_up`` (>= 50 anchors/s).

Usage: python benchmarks/witness_serve.py [--anchors N] [--poll SECONDS] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ANVIL = REPO / "node_modules" / ".bin" / "anvil"
EVIDENCE = Path(sys.executable).with_name("evidence")
PASSPHRASE = "bench passphrase"

#: The issue 7 target: confirmations per second one witness must sustain.
TARGET_PER_S = 50.0
#: Gas given to each anchor transaction (it uses about 48,000; no estimate per send).
ANCHOR_GAS = 100_000
#: How long anvil and serve may take to start (seconds; a limit, not a measurement).
START_TIMEOUT_S = 60.0
#: Ether for the sender and the workspace account on anvil.
FUNDING_WEI = 10**21


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Rpc:
    """Raw JSON-RPC over one keep-alive HTTP session (no web3 overhead in the sender)."""

    def __init__(self, url: str) -> None:
        import requests

        self.url = url
        self.session = requests.Session()
        self.ids = 0

    def __call__(self, method: str, *params: object) -> Any:
        self.ids += 1
        body = {"jsonrpc": "2.0", "id": self.ids, "method": method, "params": list(params)}
        answer = self.session.post(self.url, json=body, timeout=30).json()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]


def start_anvil(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(ANVIL), "--port", str(port), "--host", "127.0.0.1", "--silent"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    rpc = Rpc(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"anvil exited with code {proc.returncode}")
        try:
            rpc("eth_chainId")
            return proc
        except Exception:
            time.sleep(0.1)
    stop_group(proc)
    raise SystemExit("anvil did not answer in time")


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)


def make_workspace(root: Path, url: str, rpc: Rpc) -> tuple[Path, Path, str]:
    """Workspace with the contract on anvil and one funded witness; (ws, key, contract)."""
    from evidence.anchoring import setup_chain
    from evidence.witness.registry import add_witness, generate_witness_key
    from evidence.workspace import init_workspace

    ws, _ = init_workspace(root / "ws", PASSPHRASE)
    account = generate_witness_key(ws.path(ws.chain.account_keystore), PASSPHRASE,
                                   light_kdf=True)
    rpc("anvil_setBalance", account, hex(FUNDING_WEI))
    ws = setup_chain(ws, PASSPHRASE, url=url)
    key = root / "witness.json"
    witness = generate_witness_key(key, PASSPHRASE, light_kdf=True)
    add_witness(ws, PASSPHRASE, witness, jurisdiction="DE", operator="bench witness", fund=True)
    assert ws.chain.contract is not None
    return ws.root, key, ws.chain.contract


def signed_anchors(rpc: Rpc, contract: str, n: int) -> tuple[list[str], list[bytes]]:
    """N signed ``anchor(root, 1)`` transactions from a fresh funded account."""
    from eth_account import Account
    from eth_utils.crypto import keccak

    sender = Account.create()
    rpc("anvil_setBalance", sender.address, hex(FUNDING_WEI))
    chain_id = int(rpc("eth_chainId"), 16)
    base_fee = int(rpc("eth_getBlockByNumber", "latest", False)["baseFeePerGas"], 16)
    tip = 10**9
    selector = keccak(text="anchor(bytes32,uint32)")[:4]
    raws: list[str] = []
    roots: list[bytes] = []
    for nonce in range(n):
        root = secrets.token_bytes(32)
        data = selector + root + (1).to_bytes(32, "big")
        tx = {"to": contract, "data": data, "value": 0, "gas": ANCHOR_GAS, "nonce": nonce,
              "chainId": chain_id, "maxFeePerGas": 4 * base_fee + tip,
              "maxPriorityFeePerGas": tip}
        raws.append("0x" + bytes(sender.sign_transaction(tx).raw_transaction).hex())
        roots.append(root)
    return raws, roots


class Serve:
    """``evidence witness serve`` as a subprocess; stderr lines stamped on arrival."""

    def __init__(self, ws: Path, key: Path, poll: float) -> None:
        env = {**os.environ, "EVIDENCE_PASSPHRASE": PASSPHRASE}
        env.pop("EVIDENCE_WORKSPACE", None)
        self.proc = subprocess.Popen(
            [str(EVIDENCE), "-w", str(ws), "witness", "serve", "--key", str(key),
             "--poll", str(poll)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
        self.started = threading.Event()
        self.confirmed: list[float] = []
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            now = time.perf_counter()
            self.lines.append(line)
            if "witness: confirmed 0x" in line:
                self.confirmed.append(now)
            elif "starting at block" in line or "resuming at block" in line:
                self.started.set()

    def stop(self) -> float:
        """SIGTERM, wait; the peak RSS in MiB."""
        self.proc.send_signal(signal.SIGTERM)
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.reader.join(timeout=10)
        if self.proc.returncode != 0:
            raise SystemExit("serve failed:\n" + "".join(self.lines[-20:]))
        return usage.ru_maxrss / 1024


def confirmed_on_chain(rpc: Rpc, contract: str, witness: str) -> list[str]:
    """Roots of every Confirmed event by ``witness`` (topic 2 is the witness)."""
    from eth_utils.crypto import keccak

    topic = "0x" + keccak(text="Confirmed(bytes32,address,bytes2,uint64,bool)").hex()
    padded = "0x" + "00" * 12 + witness[2:].lower()
    logs = rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "address": contract,
                               "topics": [topic, None, padded]})
    return [str(log["topics"][1]) for log in logs]


def measure(n: int, poll: float, root: Path) -> dict[str, object]:
    from evidence.chain.accounts import keystore_address

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    anvil = start_anvil(port)
    serve: Serve | None = None
    try:
        rpc = Rpc(url)
        ws, key, contract = make_workspace(root, url, rpc)
        raws, roots = signed_anchors(rpc, contract, n)
        serve = Serve(ws, key, poll)
        if not serve.started.wait(START_TIMEOUT_S):
            raise SystemExit("serve did not start:\n" + "".join(serve.lines))
        t0 = time.perf_counter()
        for raw in raws:
            rpc("eth_sendRawTransaction", raw)
        t_sent = time.perf_counter()
        backlog = n - len(serve.confirmed)
        # A limit on waiting (not a measurement): ten times the target's time, at least 60 s.
        deadline = t_sent + max(60.0, 10 * n / TARGET_PER_S)
        while len(serve.confirmed) < n and time.perf_counter() < deadline:
            if serve.proc.poll() is not None:
                raise SystemExit("serve exited:\n" + "".join(serve.lines[-20:]))
            time.sleep(0.02)
        stamps = list(serve.confirmed)
        rss = serve.stop()
        serve = None
        witness = keystore_address(key)
        on_chain = confirmed_on_chain(rpc, contract, witness)
        wanted = {"0x" + r.hex() for r in roots}
        exactly_once = len(on_chain) == len(set(on_chain)) and set(on_chain) == wanted
        last = stamps[-1] if stamps else t_sent
        send_s = t_sent - t0
        confirm_s = last - t0
        rate = len(stamps) / confirm_s if confirm_s > 0 else 0.0
        return {"benchmark": "witness_serve", "anchors": n, "poll_s": poll,
                "send_s": round(send_s, 3), "anchors_per_s": round(n / send_s, 1),
                "confirmed": len(stamps), "confirm_s": round(confirm_s, 3),
                "confirmations_per_s": round(rate, 1),
                "lag_s": round(max(0.0, last - t_sent), 3),
                "backlog_at_send_end": backlog,
                "serve_max_rss_mib": round(rss, 1), "exactly_once": exactly_once,
                "keeps_up": bool(exactly_once and rate >= TARGET_PER_S
                                 and len(stamps) == n)}
    finally:
        if serve is not None and serve.proc.poll() is None:
            serve.proc.kill()
            serve.proc.wait()
        stop_group(anvil)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--anchors", type=int, default=1000, help="anchors to send (default 1000)")
    ap.add_argument("--poll", type=float, default=0.05, help="serve --poll (default 0.05 s)")
    ap.add_argument("--keep", type=Path, help="keep the workspace in this new folder")
    args = ap.parse_args()
    if not ANVIL.exists():
        raise SystemExit(f"anvil not installed at {ANVIL} (run: npm ci)")
    if args.keep is not None:
        args.keep.mkdir(parents=True)
        result = measure(args.anchors, args.poll, args.keep)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="bench-witness-"))
        try:
            result = measure(args.anchors, args.poll, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
