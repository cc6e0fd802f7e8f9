"""The report's "Timestamps (RFC 3161)" section: each token as verified, and how to re-check it.

What: one row per token in ``evidence/timestamps/`` (TSA, genTime, serial, policy OID,
qualified or not, whether the verifier's trust profile pins the TSA), the anchor's block time
beside it, and the ``openssl ts -verify`` command that re-checks the token with OpenSSL alone
(the TSA's root certificate comes from the verifier's trust profile, never from the bundle).

Why: a TSA timestamp is the clock courts already know (eIDAS Art. 41(2) presumes the accuracy
of *qualified* electronic time stamps); a judge must see which TSA said what, and whether the
verifier trusts it (issue 16).

Failures: none; values come from a verified result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .text import Pair, pick

__all__ = ["DEMONSTRATION_STATUS", "STATUS", "TEXT", "TimestampRow", "rows"]

#: Token status as verified (evidence.timestamps.check.TimestampCheck.status).
STATUS: dict[str, Pair] = {
    "trusted": ("trusted: a TSA the trust profile pins", "可信：信任配置所列的时间戳服务机构"),
    "not-pinned": ("not counted: a TSA the trust profile does not pin",
                   "不计入：信任配置未列明的时间戳服务机构"),
    "outside-period": ("not counted: outside the period the trust profile trusts this TSA for",
                       "不计入：超出信任配置对该机构的信任期间"),
    "invalid": ("INVALID: changed, malformed or not over this bundle's root",
                "无效：已被更改、格式错误或并非针对本证据包根"),
}

#: A "trusted" token under a demonstration profile (which anyone, the capturer too, writes).
DEMONSTRATION_STATUS: Pair = (
    "demonstration: a TSA a demonstration profile pins, no evidential value",
    "演示：演示信任配置所列的时间戳服务机构，不具有证据价值")

#: Labels of the section (merged into the report's fixed texts).
TEXT: dict[str, Pair] = {
    "sec_timestamps": ("Timestamps (RFC 3161)", "时间戳（RFC 3161）"),
    "timestamps_intro": (
        "Each timestamp is a token from a time-stamp authority (TSA) over the exact bytes of "
        "evidence/root.json, the capturer's signed bundle root: it shows that the root existed "
        "no later than the TSA's time. Only a TSA the verifier's trust profile pins counts; "
        "anyone can run a TSA. What the law gives a qualified electronic time stamp: see the "
        "legal notes.",
        "每个时间戳是时间戳服务机构（TSA）对 evidence/root.json（取证人签名的证据包根）确切字节"
        "出具的令牌，证明该根不晚于 TSA 时间即已存在。只有验证方信任配置所列的 TSA 才予计入；"
        "任何人都可以自行架设 TSA。合格电子时间戳在法律上的效力，见法律说明。"),
    "no_timestamps": ("The bundle carries no RFC 3161 timestamp.",
                      "本证据包未附 RFC 3161 时间戳。"),
    "ts_time": ("TSA time (genTime, UTC)", "TSA 时间（genTime，UTC）"),
    "ts_tsa": ("TSA", "时间戳服务机构"),
    "ts_serial": ("Serial", "序列号"),
    "ts_policy": ("Policy OID", "策略 OID"),
    "ts_qualified": ("Qualified", "合格"),
    "ts_status": ("Status", "状态"),
    "ts_file": ("Token file", "令牌文件"),
    "ts_block_time": ("Anchor block time (UTC), for comparison", "锚定区块时间（UTC），供比对"),
    "recheck_timestamps": ("Timestamps (OpenSSL)", "时间戳（OpenSSL）"),
    "recheck_timestamps_intro": (
        "Save the TSA's root certificate from your trust profile as tsa-root.pem (and its "
        "intermediate certificates as tsa-chain.pem, if any), then run, in the bundle folder:",
        "将信任配置中该 TSA 的根证书保存为 tsa-root.pem（如有中间证书，保存为 tsa-chain.pem），"
        "然后在证据包目录中运行："),
}


@dataclass(frozen=True)
class TimestampRow:
    """One token as the report shows it."""

    file: str
    tsa: str
    gen_time: str | None
    serial: str | None
    policy: str | None
    qualified: bool
    status: str
    status_text: dict[str, str]
    recheck: str

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "tsa": self.tsa, "gen_time": self.gen_time,
                "serial": self.serial, "policy": self.policy, "qualified": self.qualified,
                "status": self.status, "status_text": self.status_text,
                "recheck": self.recheck}


def _recheck(file: str, gen_time: str | None) -> str:
    from datetime import datetime

    from evidence.timestamps.check import openssl_recheck

    try:
        moment = None if not gen_time else datetime.fromisoformat(gen_time)
    except ValueError:
        moment = None
    return openssl_recheck(file, moment)


def rows(timestamps: Sequence[Mapping[str, Any]], langs: tuple[str, ...],
         demonstration: bool = False) -> tuple[TimestampRow, ...]:
    """One row per token; under a demonstration profile a pinned token is shown as a
    demonstration, never trusted or qualified."""
    out = []
    for t in timestamps:
        status = str(t.get("status", "invalid"))
        file = str(t.get("file", ""))
        gen = t.get("gen_time")
        out.append(TimestampRow(
            file=file,
            tsa=str(t.get("tsa") or t.get("tsa_name") or t.get("signer_subject") or "?"),
            gen_time=None if gen is None else str(gen),
            serial=None if t.get("serial") is None else str(t.get("serial")),
            policy=None if t.get("policy") is None else str(t.get("policy")),
            qualified=bool(t.get("qualified")) and status == "trusted" and not demonstration,
            status=status,
            status_text=pick(DEMONSTRATION_STATUS if demonstration and status == "trusted"
                             else STATUS.get(status, (status, status)), langs),
            recheck=_recheck(file, None if gen is None else str(gen)),
        ))
    return tuple(out)
