"""Page one of a report: what a judge asks first, on one screen (issue 14, Deliver 1).

What: :func:`page_one` lays out, from a :class:`~evidence.report.model.Report`, the blocks
of the first page, in the report's languages:

1. the verdict as ONE statement naming the policy, the trust profile and whether it is a
   demonstration (a development chain or demonstration profile is said in that statement,
   never beside a green presumption);
2. who captured: name and organisation *as declared* by the capturer, and the key
   fingerprint that signed the bundle;
3. when: capture (the capturer's clock), anchor (block time), witness confirmations and the
   verification, in UTC and, with ``--timezone``, in that zone too;
4. what was preserved: counts by kind and every export by name;
5. what the verification shows and what it does not show;
6. the capturer's own statements (case note, source URL, platform), labelled as such.

Why a module of its own: page one is a view of facts the model already holds; nothing on it
is computed anew, so it cannot say more than the rest of the report.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .blocks import Block, Bullets, Columns, Heading, KeyValue, PageBreak, Para
from .legal import statement
from .model import Report, zone
from .phrases_zh import phrase_zh
from .text import languages

__all__ = ["PAGE_ONE", "local_time", "page_one"]

Pair = tuple[str, str]

#: An export on page one in two languages: labels in both, values once.
EXPORT_BOTH = "Export / 导出文件 {name}: {records} records / 条记录 ({path})"
READ_AS_BOTH = "read as / 读取方式:"

#: Page one's wording, English and Chinese.
PAGE_ONE: dict[str, Pair] = {
    "who": ("Who captured", "采集者"),
    "by_verifier": ("Prepared by the verifying party, from the bundle and the chain, under its "
                    "own trust profile; not by the capturer.",
                    "本报告由核验方依据证据包和区块链、按其自己的信任配置制作，并非由采集方制作。"),
    "by_verifier_no_profile": (
        "Prepared by the verifying party, from the bundle and the chain, without a trust "
        "profile (so nothing here is presumed); not by the capturer.",
        "本报告由核验方依据证据包和区块链制作，未使用信任配置（因此不作任何推定），并非由采集方制作。"),
    "by_capturer": ("Prepared by the capturer (workspace key {key}): the party that offers the "
                    "evidence.", "本报告由采集方（工作区密钥 {key}）制作，即提交证据的一方。"),
    "by_workspace": ("Prepared with workspace key {key}, which is not the capturer's key.",
                     "本报告使用工作区密钥 {key} 制作，该密钥不是采集方的密钥。"),
    "when": ("When", "时间"),
    "what": ("What was preserved", "保全的内容"),
    "shows": ("What this verification shows", "本次核验所能证明的"),
    "not_shows": ("What it does not show", "本次核验不能证明的"),
    "statements": ("Statements of the capturer (recorded at capture, not verified)",
                   "采集方的陈述（采集时记录，未经核实）"),
    "declared_name": ("Name (declared)", "姓名（自行声明）"),
    "declared_org": ("Organisation (declared)", "机构（自行声明）"),
    "not_declared": ("not declared", "未声明"),
    "key": ("Signing key (Ed25519 fingerprint)", "签名密钥（Ed25519 指纹）"),
    "key_short": ("Signing key fingerprint", "签名密钥指纹"),
    "captured": ("Captured (capturer's clock)", "采集（采集方时钟）"),
    "anchored": ("Anchored (block time)", "锚定时间（区块时间）"),
    "anchored_value": ("{time}; block {block} on chain {chain_id} ({chain})",
                       "{time}；链 {chain_id}（{chain}）第 {block} 号区块"),
    "anchored_again": ("block {block} on chain {chain_id}", "链 {chain_id} 第 {block} 号区块"),
    "confirmations": ("Witness confirmations", "见证节点确认"),
    "confirmations_value": ("{counted} of {total} counted by the policy; {first} to {last}",
                            "共 {total} 项，策略计入 {counted} 项；{first} 至 {last}"),
    "confirmations_no_profile": ("{total} on chain, none counted: no trust profile; {first} "
                                 "to {last}",
                                 "链上共 {total} 项，均不计入：未提供信任配置；{first} 至 {last}"),
    "confirmations_value_again": ("{counted} of {total} counted by the policy",
                                  "共 {total} 项，策略计入 {counted} 项"),
    "confirmations_no_profile_again": ("{total} on chain, none counted: no trust profile",
                                       "链上共 {total} 项，均不计入：未提供信任配置"),
    "verified": ("Verified (this report)", "核验时间（本报告）"),
    "not_anchored": ("not anchored, or the chain was not asked", "未锚定，或未查询区块链"),
    "items": ("{total} items: {files} files ({images} images), {records} records",
              "共 {total} 个条目：{files} 个文件（其中图片 {images} 个），{records} 条记录"),
    "export": ("Export {name}: {records} records ({path})",
               "导出文件 {name}：{records} 条记录（{path}）"),
    "export_read_as": ("Export {name} was read as: {read_as}",
                       "导出文件 {name} 的读取方式：{read_as}"),
    "no_exports": ("No export (records file) was captured.", "未采集导出文件（记录文件）。"),
    "case": ("Case", "案件"),
    "note": ("Case note", "案件备注"),
    "platform": ("Platform", "平台"),
    "source_url": ("Source URL", "来源网址"),
    "policy_is": ("policy {policy}", "策略 {policy}"),
    "profile_is": ("trust profile {profile}", "信任配置 {profile}"),
    "no_profile": ("no trust profile given", "未提供信任配置"),
    "is_demo": ("a DEMONSTRATION without evidential value",
                "仅为演示，不具有证据价值"),
    "not_demo": ("not a demonstration", "非演示"),
    "dev_chain": ("The anchor is on a development chain one party controls: no evidential "
                  "value.", "锚定位于由单一方控制的开发链上：不具有证据价值。"),
    # What the verification shows.
    "shows_failed": ("At least one check failed: the evidence must not be relied on as "
                     "captured (see all findings).",
                     "至少一项核验未通过：不得将该证据视为采集时的原样（见全部核验结果）。"),
    "shows_integrity": ("The bytes of all {n} items match the digests committed in the "
                        "bundle root {root}, which the key above signed.",
                        "全部 {n} 个条目的字节与证据包根哈希 {root} 所涵盖的摘要一致，"
                        "该根哈希由上述密钥签署。"),
    "shows_integrity_beside": ("The bytes of all {n} items match the digests committed in "
                               "the bundle root beside, which the key above signed.",
                               "全部 {n} 个条目的字节与左栏所列证据包根哈希所涵盖的摘要一致，"
                               "该根哈希由上述密钥签署。"),
    "shows_anchor": ("That root was anchored on chain {chain_id} in block {block} at {time}: "
                     "the bytes existed no later than then and were not changed since.",
                     "该根哈希已于 {time} 锚定在链 {chain_id} 的第 {block} 号区块：上述字节"
                     "不晚于该时间即已存在，且此后未被更改。"),
    "shows_anchor_unpinned": (
        "That root is in block {block} of chain {chain_id} at {time}, as that chain says; the "
        "verifier's trust profile does not pin this chain (or no profile was given), and "
        "whoever runs it sets its clock: this block time is not evidence of when the bytes "
        "existed.",
        "该根哈希位于链 {chain_id} 的第 {block} 号区块，时间 {time}，此为该链自身所述；核验方的"
        "信任配置未列明该链（或未提供信任配置），而运行该链者可自行设定其时钟：该区块时间不能证明"
        "上述字节存在的时间。"),
    "shows_anchor_demo": (
        "That root is in block {block} of chain {chain_id} at {time}, a development chain or "
        "demonstration one party controls: this block time is not evidence of when the bytes "
        "existed.",
        "该根哈希位于链 {chain_id} 的第 {block} 号区块，时间 {time}；该链为由单一方控制的开发链"
        "或演示：该区块时间不能证明上述字节存在的时间。"),
    "shows_witnesses_no_profile": (
        "{total} witness confirmation(s) found on chain, not counted: no trust profile names "
        "whom to trust, so who the witnesses are and where is only the registry's word.",
        "链上有 {total} 项见证节点确认，均不计入：未提供信任配置说明应信任谁，见证节点的身份和"
        "所在地仅为登记合约所述。"),
    "shows_witnesses": ("{counted} witness confirmation(s) counted under policy {policy} "
                        "({jurisdictions}).",
                        "依据策略 {policy} 计入 {counted} 项见证节点确认（{jurisdictions}）。"),
    "shows_offline": ("The chain was not asked: the anchor is not checked by this report.",
                      "未查询区块链：本报告未核验锚定。"),
    # What it does not show.
    "not_truth": ("That the content is true (for example, that goods are counterfeit): it "
                  "shows what was captured, not whether it is right.",
                  "内容是否真实（例如商品是否为假冒）：本报告只说明采集了什么，而不说明其是否属实。"),
    "not_before": ("That the material was authentic before capture, or came from the source "
                   "URL and platform stated: those are the capturer's statements.",
                   "材料在采集之前是否真实，或是否来自所述的来源网址和平台：这些是采集方的陈述。"),
    "not_time": ("The exact capture time: it is the capturer's clock; only the block time "
                 "bounds it.", "确切的采集时间：它来自采集方的时钟，只有区块时间为其设定了上限。"),
    "not_who": ("Who the capturer is: the key is proven; a name or organisation is only "
                "declared.", "采集者的身份：密钥已得到证明，姓名或机构仅为声明。"),
}


def _t(key: str, langs: tuple[str, ...]) -> str:
    pair = PAGE_ONE[key]
    return " / ".join(dict.fromkeys(pair[0] if lang == "en" else pair[1] for lang in langs))


def _each(text_id: str, langs: tuple[str, ...], **values: object) -> list[str]:
    pair = PAGE_ONE[text_id]
    return [(pair[0] if lang == "en" else pair[1]).format(**values) for lang in langs]


def local_time(utc_text: str | None, tz: str | None) -> str:
    """``utc_text`` (``YYYY-MM-DDTHH:MM:SSZ``) followed by the same instant in ``tz``:
    ``2025-11-27T22:00:00Z (2025-11-28 06:00 Asia/Shanghai, UTC+08:00)``."""
    if not utc_text:
        return "—"
    if tz is None:
        return utc_text
    try:
        instant = datetime.strptime(utc_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return utc_text
    local = instant.astimezone(zone(tz))
    offset = local.strftime("%z")
    return f"{utc_text} ({local.strftime('%Y-%m-%d %H:%M')} {tz}, UTC{offset[:3]}:{offset[3:]})"


def verdict_statement(r: Report) -> list[str]:
    """The verdict as one statement per language: its title, then the policy, the trust
    profile and whether it is a demonstration where the title does not already say them,
    and the development chain if the anchor is on one."""
    policy = r.policy.name if r.policy is not None else None
    out = []
    for lang in languages(r.lang):
        k = 0 if lang == "en" else 1
        title = r.verdict.title[lang]
        profile = r.trust.name if r.trust is not None else None
        parts: list[str] = []
        if policy is not None and policy not in title:
            parts.append(PAGE_ONE["policy_is"][k].format(policy=policy))
        if profile is None:
            if PAGE_ONE["no_profile"][k] not in title.replace("was given", "given"):
                parts.append(PAGE_ONE["no_profile"][k])
        elif profile not in title:
            parts.append(PAGE_ONE["profile_is"][k].format(profile=profile))
        # Only the demonstration's own title (a presumption reached under a demonstration
        # profile) says it; the word in a profile's name, chosen by its publisher, does not.
        demo_said = r.verdict.code == "presumed-authentic"
        if r.demonstration and not demo_said:
            parts.append(PAGE_ONE["is_demo"][k])
        elif not r.demonstration:
            parts.append(PAGE_ONE["not_demo"][k])
        sep = "; " if k == 0 else "；"
        end = "." if k == 0 else "。"
        text = title + (f" ({sep.join(parts)})" if k == 0 else f"（{sep.join(parts)}）"
                        ) if parts else title
        text += end
        if r.development_chain and not r.demonstration:
            text += (" " if k == 0 else "") + PAGE_ONE["dev_chain"][k]
        out.append(text)
    return out


def page_one(r: Report) -> list[Block]:
    """The blocks of page one (see the module docstring), ending with a page break."""
    langs = languages(r.lang)
    tz = r.timezone
    p = r.provenance
    blocks: list[Block] = []
    style = {"presumed-authentic": "good", "failed": "bad"}.get(r.verdict.code, "caution")
    if r.demonstration or r.development_chain:
        style = "bad" if r.verdict.code == "failed" else "caution"
    blocks.append(Para("\n".join(verdict_statement(r)), style))
    if r.prepared_by == "verifying-party":
        blocks.append(Para("\n".join(_each(
            "by_verifier" if r.trust is not None else "by_verifier_no_profile", langs)),
            "note"))
    elif r.preparer_key:
        same = r.preparer_key == p.capturer_fingerprint
        blocks.append(Para("\n".join(_each("by_capturer" if same else "by_workspace", langs,
                                            key=r.preparer_key)), "note"))

    # two languages: labels get a wider column, each on one line, and the headings are
    # compact (level 4), so page one fits one page
    share = 40 if len(langs) > 1 else 32
    level = 4 if len(langs) > 1 else 3
    blocks.append(Heading(level, _t("who", langs), "who"))
    blocks.append(KeyValue((
        (_t("declared_name", langs), p.capturer_name or _t("not_declared", langs), False),
        (_t("declared_org", langs), p.capturer_organisation or _t("not_declared", langs),
         False),
        (_t("key" if len(langs) == 1 else "key_short", langs), p.capturer_fingerprint or "—",
         True),
    ), share, len(langs) > 1))

    blocks.append(Heading(level, _t("when", langs), "when"))
    rows: list[tuple[str, str, bool]] = [
        (_t("captured", langs), local_time(p.captured_at, tz), False)]
    if r.anchor is not None:
        a = r.anchor.info
        chain_zh = phrase_zh(a.chain_description) or a.chain_description
        anchored = "\n".join(
            line for lang in langs for line in _each(
                "anchored_value" if lang == langs[0] else "anchored_again", (lang,),
                time=local_time(r.anchor.block_time_utc, tz), block=a.block_number,
                chain_id=a.chain_id, chain=a.chain_description if lang == "en" else chain_zh))
        rows.append((_t("anchored", langs), anchored, False))
    else:
        rows.append((_t("anchored", langs), _t("not_anchored", langs), False))
    if r.witnesses:
        times = sorted(w.confirmed_at_utc for w in r.witnesses if w.confirmed_at_utc)
        counted = sum(1 for w in r.witnesses if w.counted)
        first, last = (times[0], times[-1]) if times else ("—", "—")
        key = "confirmations_value" if r.trust is not None else "confirmations_no_profile"
        rows.append((_t("confirmations", langs), "\n".join(
            line for lang in langs for line in _each(
                key if lang == langs[0] else f"{key}_again", (lang,), counted=counted,
                total=len(r.witnesses), first=local_time(first, tz),
                last=local_time(last, tz))), False))
    rows.append((_t("verified", langs), local_time(r.verified_at, tz), False))
    blocks.append(KeyValue(tuple(rows), share, len(langs) > 1))

    preserved: list[Block] = [Heading(level, _t("what", langs), "what")]
    what = _each("items", langs, total=r.items_total, files=r.files_total,
                 images=r.images_total, records=r.records_total)
    if r.exports and len(langs) > 1:
        # two languages: one line per export, its values said once
        what += [EXPORT_BOTH.format(name=e.name, records=e.records, path=e.path)
                 + (f"; {READ_AS_BOTH} {e.read_as}" if e.dialect else "") for e in r.exports]
    elif r.exports:
        what += [line for e in r.exports for line in _each(
            "export", langs, name=e.name, records=e.records, path=e.path)]
        what += [line for e in r.exports if e.dialect for line in _each(
            "export_read_as", langs, name=e.name, read_as=e.read_as)]
    else:
        what += _each("no_exports", langs)
    preserved.append(Bullets(tuple(dict.fromkeys(what)),
                             "compact" if len(langs) > 1 else "body"))

    said = [(key, value) for key, value in (("case", r.case), ("platform", p.platform),
                                            ("source_url", p.source_url), ("note", p.note))
            if value]
    statements: list[Block] = []
    if said:
        statements.append(Heading(level, _t("statements", langs), "statements"))
        colon = "：" if langs == ("zh",) else ": "
        statements.append(Bullets(
            tuple(f"{_t(key, langs)}{colon}{value}" for key, value in said),
            "compact" if len(langs) > 1 else "body"))
    if len(langs) > 1 and statements:
        # two languages: what was preserved beside the capturer's statements (one page)
        blocks.append(Columns((tuple(preserved), tuple(statements)), (40, 60)))
    else:
        blocks += preserved + statements

    blocks.append(Heading(level, _t("shows", langs), "shows"))
    blocks.append(_bullets(_shows(r, langs), langs))
    blocks.append(Heading(level, _t("not_shows", langs), "not-shows"))
    not_shows: list[str] = []
    for key in ("not_truth", "not_before", "not_time", "not_who"):
        not_shows += _each(key, langs)
    not_shows += [statement("forum-decides").text(lang) for lang in langs]
    blocks.append(_bullets(not_shows, langs))

    blocks.append(PageBreak())
    return blocks


#: Relative widths of the language columns: the same point takes about twice the room in
#: English, so the English column is the wider.
_COLUMN_WEIGHTS = {"en": 60, "zh": 40}


def _bullets(lines: list[str], langs: tuple[str, ...]) -> Block:
    """A list of lines made by :func:`_each` (each point in every language, in turn): in two
    languages, two columns side by side (English left, Chinese right), so page one fits
    one page; else one list."""
    if len(langs) == 1:
        return Bullets(tuple(dict.fromkeys(lines)))
    n = len(langs)
    return Columns(tuple((Bullets(tuple(lines[i::n]), "compact"),) for i in range(n)),
                   tuple(_COLUMN_WEIGHTS[lang] for lang in langs))


def _shows(r: Report, langs: tuple[str, ...]) -> list[str]:
    if r.verdict.code == "failed":
        return _each("shows_failed", langs)
    out = _each("shows_integrity", langs, n=r.items_total, root=r.root or "—")
    if len(langs) > 1:  # side by side: the root is printed once, in the first column
        out[1:] = _each("shows_integrity_beside", langs[1:], n=r.items_total)
    if r.anchor is not None and r.anchor.info.checked_on_chain and not r.offline:
        a = r.anchor.info
        # A block time is evidence of time only on a chain the verifier's profile pins and
        # that is no development chain: any other chain's clock is set by whoever runs it.
        key = ("shows_anchor_demo" if r.demonstration or r.development_chain
               else "shows_anchor" if r.chain is not None and r.chain.pinned
               else "shows_anchor_unpinned")
        out += _each(key, langs, chain_id=a.chain_id, block=a.block_number,
                     time=r.anchor.block_time_utc)
    else:
        out += _each("shows_offline", langs)
    if r.trust is None and r.witnesses:
        out += _each("shows_witnesses_no_profile", langs, total=len(r.witnesses))
    elif r.policy is not None and r.witnesses:
        counted = sum(1 for w in r.witnesses if w.counted)
        out += _each("shows_witnesses", langs, counted=counted, policy=r.policy.name,
                     jurisdictions=", ".join(r.policy.counted_jurisdictions) or "—")
    return out
