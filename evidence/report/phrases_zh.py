"""Chinese for the short English phrases the tool itself writes into a verification result
(issue 14, Deliver 6: a ``zh`` report must hold no English prose of ours).

What: a verification result carries, besides findings, a few values in English that this
project's own code wrote: the chain's description (``embedded development chain
(eth-tester/py-evm, …)``, ``JSON-RPC … (chain id N)``), the development signs, the party
list's source (``built-in list …``), the capture tool's clock source, and the subjects of
policy rules (``witness identity``). :func:`phrase_zh` gives their Chinese, keeping the
identifiers in them (paths, URLs, numbers, versions) as they are; :func:`shown` picks what a
report in given languages prints.

Why here and not in the result: the JSON report keeps the verifier's own words verbatim
(tools match on them); only the people-facing renderings translate. Text a party supplied
(a trust profile's chain name, a party list's per-row source note, the capturer's case note)
is not ours and is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["phrase_zh", "shown"]

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

#: Our English phrases (whole value) -> their Chinese, identifiers kept.
_RULES: tuple[_Rule, ...] = (
    # evidence.chain.embedded / light: EmbeddedChain.description
    (re.compile(r"embedded development chain \(eth-tester[/, ]+py-evm(?:, (.+))?\)"),
     lambda m: "内置开发链（eth-tester/py-evm" + (f"，{m.group(1)}" if m.group(1) else "")
     + "）"),
    # evidence.chain.rpc / proven: one node, or several
    (re.compile(r"JSON-RPC (\S+) \(chain id (\d+)\)"),
     lambda m: f"JSON-RPC {m.group(1)}（链 ID {m.group(2)}）"),
    (re.compile(r"JSON-RPC (\d+) nodes \((.+)\) \(chain id (\d+)\)"),
     lambda m: f"JSON-RPC {m.group(1)} 个节点（{m.group(2)}）（链 ID {m.group(3)}）"),
    # evidence.verification.chain_checks.development_signs
    (re.compile(r"the embedded chain of a workspace"), lambda m: "工作区的内置链"),
    (re.compile(r"chain id (\d+) is a development chain id"),
     lambda m: f"链 ID {m.group(1)} 是开发链所用的链 ID"),
    (re.compile(r"the node at (\S+) runs (.+)"),
     lambda m: f"位于 {m.group(1)} 的节点运行 {m.group(2)}"),
    (re.compile(r"the trust profile marks it a development chain"),
     lambda m: "信任配置将其标为开发链"),
    # evidence.jurisdictions: the built-in party list
    (re.compile(r"built-in list(?: (\S+) \(as of ([\d-]+)\))?"),
     lambda m: "内置名单" + (f" {m.group(1)}（截至 {m.group(2)}）" if m.group(1) else "")),
    # evidence.capturing.pipeline / evidence.webcapture.environment: the clock source
    (re.compile(r"local system clock \(UTC\), not independently attested"),
     lambda m: "本地系统时钟（UTC），未经独立证明"),
    # evidence.policy.evaluate: subjects of policy rules that are not setting names
    (re.compile(r"witness identity"), lambda m: "见证节点身份"),
    (re.compile(r"witness active period"), lambda m: "见证节点有效期"),
    (re.compile(r"jurisdiction"), lambda m: "法域"),
)


def phrase_zh(text: str) -> str | None:
    """The Chinese of ``text`` when it is one of our own phrases, else None (shown as is)."""
    for pattern, words in _RULES:
        hit = pattern.fullmatch(text)
        if hit:
            return words(hit)
    return None


def shown(text: str, langs: tuple[str, ...]) -> str:
    """``text`` as a report in ``langs`` prints it: English, its Chinese, or both
    ("English / 中文"); a phrase that is not ours is printed as it is."""
    zh = phrase_zh(text)
    if zh is None:
        return text
    if "en" not in langs:
        return zh
    return f"{text} / {zh}" if "zh" in langs else text
