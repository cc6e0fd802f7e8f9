"""A policy in words, in English and Chinese, for verification results and reports.

The rules are worded as a *rebuttable* presumption under the named policy, never as a rule
of the 1970 Hague Evidence Convention itself (docs/architecture.md, "Legal stance").
"""

from __future__ import annotations

from evidence.errors import InputError

from .load import Policy

__all__ = ["describe", "duration"]


def duration(seconds: int, lang: str = "en") -> str:
    if lang == "zh":
        if seconds and seconds % 3600 == 0:
            return f"{seconds} 秒（{seconds // 3600} 小时）"
        if seconds and seconds % 60 == 0:
            return f"{seconds} 秒（{seconds // 60} 分钟）"
        return f"{seconds} 秒"
    if seconds and seconds % 3600 == 0:
        return f"{seconds} s ({seconds // 3600} h)"
    if seconds and seconds % 60 == 0:
        return f"{seconds} s ({seconds // 60} min)"
    return f"{seconds} s"


_CONVENTION_EN = (
    "the HCCH Convention of 18 March 1970 on the Taking of Evidence Abroad in Civil or "
    "Commercial Matters"
)


_CONVENTION_ZH = "1970年3月18日《关于从国外调取民事或商事证据的公约》（海牙取证公约）"


def describe(policy: Policy, lang: str = "en") -> list[str]:
    """The policy's rules as plain sentences, in English (``"en"``) or Chinese (``"zh"``).

    Raises :class:`InputError` for another language.
    """
    if lang == "en":
        return _describe_en(policy)
    if lang == "zh":
        return _describe_zh(policy)
    raise InputError(f"unknown language {lang!r}: use 'en' or 'zh'")


def _describe_en(p: Policy) -> list[str]:
    lines = [
        f"Policy {p.name} (version {p.version}, {p.source}): {p.description}",
        f"At least {p.min_jurisdictions} distinct jurisdictions (ISO 3166-1 alpha-2) must have "
        "a counted witness confirmation.",
    ]
    if p.require_hague_party:
        lines.append(
            f"Each counted jurisdiction must be a Contracting State of {_CONVENTION_EN}, "
            "according to the party list used. Membership is counted; whether the Convention "
            "applies between two given States (Art. 39 acceptances of accessions) is not "
            "checked."
        )
        if p.require_in_force_at_confirmation:
            lines.append(
                "The Convention must have entered into force for that State by the UTC day of "
                "the confirmation" + (
                    "." if p.require_verified_in_force_date
                    else "; a State whose entry-into-force date is blank in the list counts as "
                    "a Contracting State with its date marked unknown.")
            )
        if p.require_verified_in_force_date:
            lines.append(
                "Only a State whose entry-into-force date the party list marks as verified in an "
                "official source counts; a date from a secondary source, computed from one, or "
                "unknown does not."
            )
        else:
            lines.append(
                "Each State's entry-into-force date is shown with its status in the party list "
                "(verified in an official source, from a secondary source, computed from a "
                "secondary source, or unknown); this policy counts the State whatever that "
                "status."
            )
    else:
        lines.append("Jurisdictions count whether or not they are Contracting States of "
                     f"{_CONVENTION_EN}.")
    if p.count_distinct_operators:
        lines.append("Witnesses run by one operator count once, whatever their jurisdictions.")
    if p.exclude_submitter:
        lines.append("A witness with the submitter's address, or run by the same operator, "
                     "does not count.")
    lines.append("A witness counts only if it was registered and not revoked when it confirmed; "
                 "a revocation dated back before a confirmation is shown as disputed, with the "
                 "time it was issued and the time it takes effect.")
    if not p.count_witnesses_registered_after_anchor:
        lines.append("A witness registered after the anchor's block time does not count.")
    lines.append(
        "The capture time the capturer signed must not be later than the anchor's block time "
        f"plus {p.max_clock_skew_seconds} s."
    )
    lines.append(
        f"Confirmations count only within {duration(p.confirmation_window_seconds)} after the "
        "anchor's block time."
    )
    lines.append(
        "A signed confirmation's observation time must lie between the anchor time minus "
        f"{p.max_clock_skew_seconds} s and the confirmation time plus "
        f"{p.max_clock_skew_seconds} s; a direct confirmation's must equal its block time."
    )
    blocks = f"The anchor must have at least {p.min_blocks_on_top} blocks on top of its block"
    if p.min_blocks_on_top == 0:
        blocks += " (0: the embedded development chain mines only on demand)"
    lines.append(blocks + ".")
    if p.require_timestamp:
        lines.append("The bundle must carry an RFC 3161 timestamp of its signed root from a "
                     "timestamp authority the verifier's trust profile pins, valid at its time, "
                     "no later than the anchor's block time plus "
                     f"{p.timestamp_window_seconds} s (a later one says nothing of the block "
                     "time).")
    lines.append(
        "A pinned RFC 3161 timestamp's time must not be earlier than the signed capture time, "
        "nor later than the anchor's block time (for a timestamp taken before the anchoring), "
        f"each within {p.timestamp_window_seconds} s; clocks that disagree beyond that rebut "
        "the presumption.")
    if p.parties_file is not None:
        lines.append(f"Party list: {p.parties_file} (supplied by the user).")
    else:
        lines.append("Party list: the built-in list, which may be incomplete and carries its "
                     "as-of date, its sources and the status of each entry-into-force date.")
    lines.append(
        "Meeting these rules gives only a rebuttable presumption, under this policy, that the "
        "data was not altered after anchoring: a standard proposed by the paper this project "
        "comes from, not a rule of the Convention (what rebuts it: see the report's legal "
        "notes). Admissibility and weight are for the law of the court hearing the case."
    )
    return lines


def _describe_zh(p: Policy) -> list[str]:
    description = p.description_zh or p.description
    lines = [
        f"策略 {p.name}（第 {p.version} 版，{p.source}）：{description}",
        f"至少须有 {p.min_jurisdictions} 个不同法域（ISO 3166-1 二位字母代码）"
        "的见证节点确认被计入。",
    ]
    if p.require_hague_party:
        lines.append(
            f"每个被计入的法域须为{_CONVENTION_ZH}的缔约国（以所用缔约方名单为准）。"
            "只计算缔约身份，不核查公约在两个特定国家之间是否适用（第39条对加入的接受）。"
        )
        if p.require_in_force_at_confirmation:
            lines.append(
                "确认之日（UTC）公约须已对该国生效" + (
                    "。" if p.require_verified_in_force_date
                    else "；名单中生效日期空白的国家按缔约国计入，并注明其生效日期不明。")
            )
        if p.require_verified_in_force_date:
            lines.append(
                "只有缔约方名单标明生效日期经官方来源核实的国家方可计入；生效日期仅见于非官方来源、"
                "根据非官方来源推算或不明的国家不予计入。"
            )
        else:
            lines.append(
                "每个国家的生效日期均注明其在缔约方名单中的来源状态（经官方来源核实、仅见于非官方"
                "来源、根据非官方来源推算或不明）；本策略不论该状态均计入该国。"
            )
    else:
        lines.append(f"法域无论是否为{_CONVENTION_ZH}的缔约国均予计入。")
    if p.count_distinct_operators:
        lines.append("同一运营者的多个见证节点只计算一次，无论其位于哪些法域。")
    if p.exclude_submitter:
        lines.append("地址与提交者相同、或与提交者属同一运营者的见证节点不予计入。")
    lines.append("见证节点须在确认时已登记且未被撤销，方可计入；撤销生效时间倒签至确认之前的，"
                 "作为有争议的撤销列明，并写明撤销的发出时间与生效时间。")
    if not p.count_witnesses_registered_after_anchor:
        lines.append("在锚定区块时间之后登记的见证节点不予计入。")
    lines.append(f"取证人签名的取证时间不得晚于锚定区块时间加 {p.max_clock_skew_seconds} 秒。")
    lines.append(
        f"只计入锚定区块时间之后 {duration(p.confirmation_window_seconds, 'zh')}内的确认。"
    )
    if p.require_timestamp:
        lines.append("证据包须带有验证方信任配置所列时间戳服务机构（TSA）对其签名根出具的、"
                     "在其时间有效的 RFC 3161 时间戳，且其时间不晚于锚定区块时间加 "
                     f"{p.timestamp_window_seconds} 秒（更晚的时间戳不能印证区块时间）。")
    lines.append(
        f"经信任配置所列 TSA 出具的 RFC 3161 时间戳，其时间不得早于取证人签名的取证时间，"
        f"也不得晚于锚定区块时间（锚定前取得的时间戳），允许误差各为 "
        f"{p.timestamp_window_seconds} 秒；超出此误差的时钟不一致将推翻推定。")
    skew = p.max_clock_skew_seconds
    lines.append(
        f"签名确认的观察时间须在锚定时间前 {skew} 秒至确认时间后 {skew} 秒之间；"
        "直接确认的观察时间须等于其区块时间。"
    )
    blocks = f"锚定所在区块之上至少须有 {p.min_blocks_on_top} 个区块"
    if p.min_blocks_on_top == 0:
        blocks += "（0：内置开发链仅在有交易时出块）"
    lines.append(blocks + "。")
    if p.parties_file is not None:
        lines.append(f"缔约方名单：{p.parties_file}（由用户提供）。")
    else:
        lines.append("缔约方名单：内置名单，该名单可能不完整，并注明其截至日期、来源及各生效日期的"
                     "来源状态。")
    lines.append(
        "满足上述规则仅产生本策略下可推翻的推定，且仅限于数据在锚定后未被篡改：这是本项目所依据的"
        "论文提出的标准，并非公约本身的规则（何者可推翻该推定，见报告的法律说明）。"
        "证据能否采纳及其证明力由受理案件法院所适用的法律决定。"
    )
    return lines
