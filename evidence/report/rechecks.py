r"""The "re-check it yourself" section: exact commands with a report's own values.

What: shell lines that recompute each listed digest with ``sha256sum``/``sha512sum`` (files)
or from the record's line (records), the RFC 6962 leaf and Merkle algorithm written out,
the standalone script ``recheck.py`` (in every bundle as a tag file; its SHA-256 printed and
its text embedded in the JSON and HTML reports), and raw JSON-RPC requests (curl) and
``cast call`` lines that read the anchor (``anchorOf(bytes32)``) and its confirmations
(``confirmationsOf(bytes32)``) from the chain, with the ABI-encoded calldata computed here
(function selector = first 4 bytes of Keccak-256 of the signature, Solidity ABI spec).

Why: a court or the other side must be able to check the evidence without trusting this
software or the party that ran it (docs/architecture.md step 7).

As printed: every command is correct from the folder the report names (the folder that
holds the bundle folder; the first command enters it), and no printed line is longer than
:data:`MAX_LINE`: long commands are broken with `` \`` continuations between arguments,
never inside one, and JSON-RPC bodies are given to curl on standard input (a here-document
split between JSON tokens), so a command copied from the PDF runs as it is.

Failures: none; values come from a verified result.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evidence.bundle.recheck_script import script_bytes, script_sha256
from evidence.result import AnchorInfo

if TYPE_CHECKING:
    from .items import ReportItem

__all__ = ["ChainRecheck", "Recheck", "build", "calldata", "selector"]

#: Function signatures read by the re-check requests (evidence/chain/EvidenceAnchor.json).
ANCHOR_OF = "anchorOf(bytes32)"
CONFIRMATIONS_OF = "confirmationsOf(bytes32)"
#: ``cast call`` signatures with return types, so cast decodes the answer.
CAST_ANCHOR_OF = "anchorOf(bytes32)(address,uint64,uint64)"
CAST_CONFIRMATIONS_OF = "confirmationsOf(bytes32)((address,bytes2,uint64,uint64,bool)[])"


def selector(signature: str) -> str:
    """``0x`` + the 4-byte function selector: Keccak-256 of the signature (Solidity ABI)."""
    from evidence.chain.primitives import keccak256

    return "0x" + keccak256(signature.encode("ascii"))[:4].hex()


def calldata(signature: str, root_hex: str) -> str:
    """Calldata for a function taking one ``bytes32``: selector followed by the 32 bytes."""
    root = root_hex.removeprefix("0x").lower()
    return selector(signature) + root


#: Longest printed command line (characters): fits the PDF's code block on A4 (about 120
#: monospaced characters at 6.8 pt) with room to spare.
MAX_LINE = 88


def wrap(args: Sequence[str], width: int = MAX_LINE) -> str:
    r"""Shell words joined by spaces, broken with `` \`` + newline between words so that no
    line is longer than ``width`` (a single longer word stays whole on its own line)."""
    lines: list[str] = []
    line = ""
    for word in args:
        candidate = f"{line} {word}" if line else word
        if line and len(candidate) + 2 > width:
            lines.append(line + " \\")
            line = word
        else:
            line = candidate
    lines.append(line)
    return "\n".join(lines)


def _rpc_body(method: str, params: list[Any]) -> str:
    """The JSON-RPC request, one JSON value per line where a line would be too long (JSON
    allows white space between tokens, RFC 8259 §2)."""
    head = f'{{"jsonrpc":"2.0","id":1,"method":{json.dumps(method)},"params":['
    parts = [json.dumps(p, separators=(",", ":")) for p in params]
    one = head + ",".join(parts) + "]}"
    if len(one) <= MAX_LINE:
        return one
    lines = [head]
    for n, part in enumerate(parts):
        tail = "," if n < len(parts) - 1 else "]}"
        if isinstance(params[n], dict) and len(part) > MAX_LINE:
            items = [f"{json.dumps(k)}:{json.dumps(v)}" for k, v in params[n].items()]
            lines.append("{" + items[0] + ",")
            lines += [i + "," for i in items[1:-1]]
            lines.append(items[-1] + "}" + tail)
        else:
            lines.append(part + tail)
    return "\n".join(lines)


def _curl(body: str) -> str:
    """curl POSTing ``body`` (read from a here-document) to ``$RPC_URL``."""
    return (wrap(["curl", "-s", "-X", "POST", "-H", "'Content-Type: application/json'",
                  "--data-binary", "@-", '"$RPC_URL"', "<<'JSON'"]) + "\n" + body + "\nJSON")


@dataclass(frozen=True)
class ChainRecheck:
    """Requests that read the anchor and confirmations of ``root`` from the chain."""

    chain_id: int
    contract: str
    root: str
    selectors: dict[str, str]
    anchor_calldata: str
    confirmations_calldata: str
    expected_anchor_result: str | None
    requests: tuple[tuple[str, str], ...]  # (what, command)

    def to_json(self) -> dict[str, Any]:
        return {"chain_id": self.chain_id, "contract": self.contract, "root": self.root,
                "selectors": self.selectors, "anchor_calldata": self.anchor_calldata,
                "confirmations_calldata": self.confirmations_calldata,
                "expected_anchor_result": self.expected_anchor_result,
                "requests": [{"what": w, "command": c} for w, c in self.requests]}


@dataclass(frozen=True)
class Recheck:
    """All re-check commands of one report."""

    bundle_name: str
    cd: str
    file_commands: tuple[tuple[str, str, str], ...]  # (command, expected digest, item id)
    manifest_commands: tuple[str, ...]
    record_commands: tuple[tuple[str, str, str], ...]
    merkle_steps: dict[str, tuple[str, ...]]
    script: str
    chain: ChainRecheck | None
    #: The re-check script's SHA-256 and text (it travels in the bundle as recheck.py).
    script_sha256: str = ""
    script_source: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "cd": self.cd,
            "files": [{"item": i, "command": c, "expected": e}
                      for c, e, i in self.file_commands],
            "manifests": list(self.manifest_commands),
            "records": [{"item": i, "command": c, "expected": e}
                        for c, e, i in self.record_commands],
            "merkle": {k: list(v) for k, v in self.merkle_steps.items()},
            "script": self.script,
            "script_sha256": self.script_sha256,
            "script_source": self.script_source,
            "chain": None if self.chain is None else self.chain.to_json(),
        }


def _merkle_steps(root: str | None, leaf_count: int | None, anchor: AnchorInfo | None,
                  lang: str) -> tuple[str, ...]:
    shown_root = root or "?"
    n = leaf_count if leaf_count is not None else "?"
    if lang == "zh":
        steps = [
            "叶子输入 = evidence/items.jsonl 的第 i 行（不含换行符），即该条目说明及其"
            "32字节随机盐的 RFC 8785 规范化 JSON。",
            "叶子哈希 = SHA-256(0x00 ‖ 叶子输入)；内部节点 = SHA-256(0x01 ‖ 左 ‖ 右)"
            "（RFC 6962 §2.1）。",
            "n > 1 个叶子时，在 k（小于 n 的最大2的幂）处分割："
            "MTH(D[0:n]) = 节点(MTH(D[0:k]), MTH(D[k:n]))。",
            f"{n} 个叶子的根须等于 {shown_root}；该根由采集者在 evidence/root.json 中签名。",
        ]
        if anchor is not None:
            steps.append(
                f"批次叶子 = SHA-256(0x00 ‖ 证据包根的32个字节)，是锚定批次树（共 "
                f"{anchor.batch_size} 个叶子，根为 {anchor.batch_root}）中的第 "
                f"{anchor.batch_index} 个叶子（从0起算）；evidence/receipts/ 中的收据载有其包含"
                "路径（path），据此逐级计算须得到该批次根（RFC 9162 §2.1.3.2）。")
    else:
        steps = [
            "Leaf input = line i of evidence/items.jsonl without its line break: the RFC 8785 "
            "canonical JSON of the item's description with its 32-byte random salt.",
            "Leaf hash = SHA-256(0x00 ‖ leaf input); interior node = SHA-256(0x01 ‖ left ‖ "
            "right) (RFC 6962 §2.1).",
            "For n > 1 leaves, split at k, the largest power of two smaller than n: "
            "MTH(D[0:n]) = node(MTH(D[0:k]), MTH(D[k:n])).",
            f"The root of the {n} leaves must equal {shown_root}; the capturer signed it in "
            "evidence/root.json.",
        ]
        if anchor is not None:
            steps.append(
                "Batch leaf = SHA-256(0x00 ‖ the 32 bytes of the bundle root); it is leaf "
                f"{anchor.batch_index} (counting from 0) of the anchored batch tree of "
                f"{anchor.batch_size} leaves whose root is {anchor.batch_root}. The receipt in "
                "evidence/receipts/ holds its inclusion path (\"path\"); hashing up along it "
                "must give that batch root (RFC 9162 §2.1.3.2).")
    return tuple(steps)


def _chain(anchor: AnchorInfo) -> ChainRecheck:
    root = "0x" + anchor.batch_root.removeprefix("0x").lower()
    anchor_data = calldata(ANCHOR_OF, root)
    conf_data = calldata(CONFIRMATIONS_OF, root)
    expected = None
    if anchor.submitter:
        from evidence.chain.primitives import address_bytes

        # ABI encoding of (address, uint64, uint64): three static values, one 32-byte word
        # each, left-padded (Solidity ABI specification, "Formal Specification").
        expected = "0x" + (bytes(12) + address_bytes(anchor.submitter)
                           + anchor.block_time.to_bytes(32, "big")
                           + anchor.block_number.to_bytes(32, "big")).hex()
    to = anchor.contract
    requests = (
        ("eth_chainId", _curl(_rpc_body("eth_chainId", []))),
        (f"eth_call {ANCHOR_OF}",
         _curl(_rpc_body("eth_call", [{"to": to, "data": anchor_data}, "latest"]))),
        (f"eth_call {CONFIRMATIONS_OF}",
         _curl(_rpc_body("eth_call", [{"to": to, "data": conf_data}, "latest"]))),
        ("eth_getTransactionReceipt",
         _curl(_rpc_body("eth_getTransactionReceipt", [anchor.transaction]))),
        ("eth_getBlockByNumber",
         _curl(_rpc_body("eth_getBlockByNumber", [hex(anchor.block_number), False]))),
        ("cast anchorOf",
         wrap(["cast", "call", to, shlex.quote(CAST_ANCHOR_OF), root,
               '--rpc-url "$RPC_URL"'])),
        ("cast confirmationsOf",
         wrap(["cast", "call", to, shlex.quote(CAST_CONFIRMATIONS_OF), root,
               '--rpc-url "$RPC_URL"'])),
    )
    return ChainRecheck(
        chain_id=anchor.chain_id, contract=to, root=root,
        selectors={ANCHOR_OF: selector(ANCHOR_OF), CONFIRMATIONS_OF: selector(CONFIRMATIONS_OF)},
        anchor_calldata=anchor_data, confirmations_calldata=conf_data,
        expected_anchor_result=expected, requests=requests,
    )


def build(*, bundle_name: str, items: Sequence[ReportItem], root: str | None,
          leaf_count: int | None, anchor: AnchorInfo | None, langs: Sequence[str],
          items_total: int) -> Recheck:
    """The re-check commands for the listed ``items`` and the anchor."""
    files: list[tuple[str, str, str]] = []
    records: list[tuple[str, str, str]] = []
    for item in items:
        path = shlex.quote(item.path)
        if item.kind == "file":
            files.append((wrap(["sha256sum", path]), item.sha256, item.id))
            files.append((wrap(["sha512sum", path]), item.sha512, item.id))
        elif item.record_line is not None:
            records.append((wrap(["sed", "-n", f"'{item.record_line}p'", path, "|", "tr", "-d",
                                  "'\\n'", "|", "sha256sum"]), item.sha256, item.id))
    return Recheck(
        bundle_name=bundle_name,
        cd=f"cd {shlex.quote(bundle_name)}",
        file_commands=tuple(files),
        manifest_commands=("sha256sum -c manifest-sha256.txt",
                           "sha512sum -c manifest-sha512.txt"),
        record_commands=tuple(records),
        merkle_steps={lang: _merkle_steps(root, leaf_count, anchor, lang) for lang in langs},
        script="sha256sum recheck.py\npython3 recheck.py .",
        chain=None if anchor is None else _chain(anchor),
        script_sha256=script_sha256(),
        script_source=script_bytes().decode("utf-8"),
    )
