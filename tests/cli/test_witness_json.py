"""``evidence witness ... --json``: one JSON document on stdout for each reporting witness
command (issue 15, Deliver 5), on the embedded chain of tests/test_witness.py's fixture."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import run_cli
from ..test_witness import (  # noqa: F401 - base and env are fixtures
    address_of,
    base,
    batch_root,
    capture_and_anchor,
    env,
    new_key,
    ok,
)


def test_witness_commands_print_json(env: Path, tmp_path: Path) -> None:  # noqa: F811
    ws = env / "ws"
    key = tmp_path / "w.json"
    made = json.loads(ok(run_cli("witness", "keygen", "-o", str(key), "--light-kdf",
                                 "--json")).stdout)
    assert made == {"keystore": str(key), "address": made["address"]}
    added = json.loads(ok(run_cli("witness", "add", made["address"], "--jurisdiction", "JP",
                                  "--operator", "Tokyo node", "--fund", "--json",
                                  cwd=ws)).stdout)
    assert added["address"] == made["address"] and added["jurisdiction"] == "JP"
    assert added["funded"] is True

    bundle = capture_and_anchor(env, "b1")
    root = "0x" + batch_root(bundle).hex()
    confirmed = json.loads(ok(run_cli("witness", "confirm", str(bundle), "--key", str(key),
                                      "--json", cwd=ws)).stdout)
    [one] = confirmed["confirmations"]
    assert one["root"] == root and one["status"] == "confirmed" and one["transaction"]

    sig = tmp_path / "sg.json"
    signed = json.loads(ok(run_cli("witness", "sign", root, "--key",
                                   str(env / "keys" / "SG.json"), "-o", str(sig), "--json",
                                   cwd=ws)).stdout)
    assert signed["file"] == str(sig) and signed["witness"] == address_of(env, "SG")
    relayed = json.loads(ok(run_cli("witness", "relay", str(sig), "--json", cwd=ws)).stdout)
    assert relayed["relayed"][0]["status"] == "confirmed"

    revoked = json.loads(ok(run_cli("witness", "revoke", made["address"], "--json",
                                    cwd=ws)).stdout)
    assert revoked["address"] == made["address"] and revoked["revoked"]


def test_anchor_json(env: Path) -> None:  # noqa: F811
    from evidence.capturing.pipeline import capture
    from evidence.workspace import open_workspace

    from ..conftest import PASSPHRASE

    source = env / "one.txt"
    source.write_text("one\n")
    bundle = env / "one"
    capture([source], out=bundle, case="C-1",
            key=open_workspace(env / "ws").signing_key(PASSPHRASE))
    doc = json.loads(ok(run_cli("anchor", str(bundle), "--json", cwd=env / "ws")).stdout)
    [anchored] = doc["anchored"]
    assert anchored["bundle"] == str(bundle) and anchored["block_number"] > 0
    assert doc["already"] == [] and doc["confirmations"] == []
    again = json.loads(ok(run_cli("anchor", str(bundle), "--json", cwd=env / "ws")).stdout)
    assert again["anchored"] == [] and again["already"][0]["bundle"] == str(bundle)
