"""Many clients, one anchor: ``evidence batcher serve`` with several capture clients on anvil.

Starts anvil on a free 127.0.0.1 port; a batcher workspace deploys the contract and runs
``evidence batcher serve``; C client workspaces join it (no funds); each captures K small
bundles (in-process, not timed) and runs ``evidence anchor --batcher URL`` on all of them,
the C clients at once. Measured: the wall time from the clients' start to the last one's
exit (submission, waiting for the batch, each client's own chain check of every proof,
K receipts and custody entries written), the number of anchor transactions on chain and
their gas, against what direct anchoring would cost (one transaction per client run, or
one per bundle when bundles are anchored one by one), and as a baseline the time of one
direct ``evidence anchor`` run over K bundles. Also the service alone: R roots in
signed submissions of 1,000 (signature check and journal write), roots accepted per second.

Prints one JSON line. Usage: python benchmarks/batcher.py [--clients C] [--bundles K]
[--interval SECONDS] [--roots R] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from witness_serve import (  # the sibling benchmark's helpers
    EVIDENCE,
    FUNDING_WEI,
    PASSPHRASE,
    Rpc,
    free_port,
    start_anvil,
    stop_group,
)

#: How long serve may take to start, and the clients to finish (a limit, not a measurement).
WAIT_S = 600.0


def _env() -> dict[str, str]:
    env = {**os.environ, "EVIDENCE_PASSPHRASE": PASSPHRASE}
    env.pop("EVIDENCE_WORKSPACE", None)
    return env


def _workspace(root: Path, url: str, rpc: Rpc, contract: str | None) -> Path:
    from evidence.anchoring import setup_chain
    from evidence.witness.registry import generate_witness_key
    from evidence.workspace import init_workspace

    ws, _ = init_workspace(root, PASSPHRASE)
    account = generate_witness_key(ws.path(ws.chain.account_keystore), PASSPHRASE,
                                   light_kdf=True)
    if contract is None:
        rpc("anvil_setBalance", account, hex(FUNDING_WEI))
    setup_chain(ws, PASSPHRASE, url=url, contract=contract)
    return root


def _bundles(ws: Path, out: Path, count: int) -> list[Path]:
    from evidence.capturing.pipeline import capture
    from evidence.workspace import open_workspace

    key = open_workspace(ws).signing_key(PASSPHRASE)
    out.mkdir(parents=True)
    made = []
    for i in range(count):
        source = out / f"{i}.txt"
        source.write_text(f"screenshot stand-in {out.name} {i}\n")
        capture([source], out=out / f"b{i}", case=f"BENCH-{i}", key=key)
        made.append(out / f"b{i}")
    return made


def _anchor_gas(rpc: Rpc, contract: str) -> list[int]:
    from evidence.chain.primitives import keccak256

    topic = "0x" + keccak256(b"Anchored(bytes32,address,uint32,uint64)").hex()
    logs = rpc("eth_getLogs", {"address": contract, "fromBlock": "0x0", "toBlock": "latest",
                               "topics": [topic]})
    return [int(rpc("eth_getTransactionReceipt", log["transactionHash"])["gasUsed"], 16)
            for log in logs]


def _service_rate(url: str, ws: Path, roots: int) -> float:
    from evidence.batcher.protocol import MAX_ROOTS_PER_SUBMISSION, sign_submission
    from evidence.workspace import open_workspace

    key = open_workspace(ws).signing_key(PASSPHRASE)
    bodies = []
    for start in range(0, roots, MAX_ROOTS_PER_SUBMISSION):
        chunk = [os.urandom(32) for _ in range(min(MAX_ROOTS_PER_SUBMISSION, roots - start))]
        bodies.append(sign_submission(chunk, key, "2026-12-02T00:00:00Z").to_bytes())
    began = time.perf_counter()
    for body in bodies:
        request = urllib.request.Request(f"{url}/v1/submit", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 202
    return roots / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--bundles", type=int, default=100, help="bundles per client")
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--roots", type=int, default=10_000)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-batcher-"))
    port = free_port()
    anvil = start_anvil(port)
    serve: subprocess.Popen[bytes] | None = None
    try:
        url = f"http://127.0.0.1:{port}"
        rpc = Rpc(url)
        batcher_ws = _workspace(tmp / "batcher", url, rpc, None)
        from evidence.workspace import open_workspace

        contract = str(open_workspace(batcher_ws).chain.contract)
        clients = [_workspace(tmp / f"client-{c}", url, rpc, contract)
                   for c in range(args.clients)]
        bundles = [_bundles(ws, tmp / f"bundles-{c}", args.bundles)
                   for c, ws in enumerate(clients)]
        log = tmp / "serve.log"
        batcher_port = free_port()
        with log.open("wb") as fh:
            serve = subprocess.Popen(
                [str(EVIDENCE), "-w", str(batcher_ws), "batcher", "serve", "--port",
                 str(batcher_port), "--interval", str(args.interval)],
                stdout=subprocess.DEVNULL, stderr=fh, env=_env(), start_new_session=True)
        deadline = time.monotonic() + WAIT_S
        while "listening on" not in log.read_text():
            if serve.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(log.read_text())
            time.sleep(0.1)
        batcher_url = f"http://127.0.0.1:{batcher_port}"
        began = time.perf_counter()
        runs = [subprocess.Popen([str(EVIDENCE), "-w", str(ws), "anchor", "--batcher",
                                  batcher_url, "--timeout", str(WAIT_S), *map(str, mine)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env())
                for ws, mine in zip(clients, bundles, strict=True)]
        for run in runs:
            _, err = run.communicate(timeout=WAIT_S)
            if run.returncode != 0:
                raise SystemExit(err.decode(errors="replace"))
        wall = time.perf_counter() - began
        # Baseline: the same number of bundles as one client, anchored directly in one run
        # (integrity check, one transaction, receipts and custody entries written).
        direct = _bundles(batcher_ws, tmp / "bundles-direct", args.bundles)
        began = time.perf_counter()
        subprocess.run([str(EVIDENCE), "-w", str(batcher_ws), "anchor", *map(str, direct)],
                       check=True, stdout=subprocess.DEVNULL, env=_env(), timeout=WAIT_S)
        direct_s = time.perf_counter() - began
        gas = _anchor_gas(rpc, contract)[:-1]  # the batcher's transactions only
        total = args.clients * args.bundles
        rate = _service_rate(batcher_url, clients[0], args.roots)
        result: dict[str, Any] = {
            "clients": args.clients, "bundles": total, "interval_s": args.interval,
            "wall_s": round(wall, 2), "bundles_per_s": round(total / wall, 1),
            "anchor_transactions": len(gas), "gas_total": sum(gas),
            "gas_per_bundle": round(sum(gas) / total),
            "gas_one_tx_per_bundle": round(sum(gas) / len(gas)) * total,
            "service_roots_per_s": round(rate),
            "direct_anchor_one_client_s": round(direct_s, 2),
        }
        print(json.dumps(result))
    finally:
        if serve is not None:
            stop_group(serve)  # type: ignore[arg-type]
        stop_group(anvil)
        if args.keep:
            shutil.copytree(tmp, args.keep, dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
