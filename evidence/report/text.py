"""The report's fixed wording, in English and Chinese.

What: every label, verdict phrase, legal note and explanation a report prints, keyed by a
short name, each as an ``(English, Chinese)`` pair; :func:`pick` returns the languages a
report asked for.

Why one table: the HTML, PDF and JSON reports say the same things, and the Chinese must
say exactly what the English says. Legal statements are not here: they come from the one
sourced table ``evidence/data/legal/statements.toml`` (:mod:`evidence.report.legal`). The
verdict wording follows SPC Online Litigation Rules Art. 16: a met policy gives a rebuttable
presumption that the data was not altered after anchoring (上链后未经篡改), never that it is
authentic (推定真实); the rebuttal ground of the policy is attributed to the paper that
proposes it, in the legal statements.

Failures: :func:`pick` raises :class:`~evidence.errors.InputError` for an unknown language.
"""

from __future__ import annotations

from evidence.errors import InputError

__all__ = [
    "CUSTODY_ACTIONS",
    "DEMONSTRATION_NOTE",
    "LANGS",
    "REASONS",
    "RULES",
    "RULE_STATUS",
    "SEVERITIES",
    "TEXT",
    "VERDICTS",
    "languages",
    "pick",
]

#: The language choices a report accepts: English, Chinese, or both (English first).
LANGS = ("en", "zh", "en+zh")

Pair = tuple[str, str]

#: Labels and short sentences.
TEXT: dict[str, Pair] = {
    "title": ("Evidence verification report", "证据核验报告"),
    "report_id": ("Report ID", "报告编号"),
    "generated_at": ("Report date (UTC)", "报告日期（UTC）"),
    "tool": ("Tool and version", "工具及版本"),
    "report_digest": ("Report digest (SHA-256 of the canonical JSON report)",
                      "报告摘要（规范化 JSON 报告的 SHA-256）"),
    "case": ("Case", "案件"),
    "platform": ("Platform", "平台"),
    "source_url": ("Source URL", "来源网址"),
    "note": ("Note", "备注"),
    "as_captured": ("As recorded at capture", "采集时记录的信息"),
    "capturer_statement": ("the capturer's statement, not verified", "采集方陈述，未经核实"),
    "package": ("Package", "证据包类型"),
    "package_bundle": ("evidence bundle", "证据包"),
    "package_disclosure": ("disclosure package (one item)", "披露包（单个条目）"),
    "bundle_name": ("Bundle", "证据包名称"),
    "root": ("Bundle root (RFC 6962 Merkle root, SHA-256)",
             "证据包根哈希（RFC 6962 默克尔根，SHA-256）"),
    "leaf_count": ("Items committed in the root", "根哈希所涵盖的条目数"),
    "verified_at": ("Verified at (UTC)", "核验时间（UTC）"),
    "offline": ("Offline verification (chain not asked)", "离线核验（未查询区块链）"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "none": ("none", "无"),
    "sec_summary": ("Summary", "概要"),
    "sec_verdict": ("Verdict", "核验结论"),
    "sec_rules": ("Policy rules: held or not, and why", "策略规则：是否满足及理由"),
    "sec_policy": ("Policy applied", "所适用的策略"),
    "sec_items": ("Items", "证据条目"),
    "sec_records": ("Transaction records", "交易记录"),
    "sec_thumbs": ("Screenshots (thumbnails; each in full at the end of the items)",
                   "截图（缩略图；每张截图的原尺寸见后文）"),
    "sec_full_images": ("Screenshots in full", "截图原图"),
    "sec_provenance": ("Capture provenance", "采集来源信息"),
    "sec_anchor": ("Anchor on chain", "链上锚定"),
    "sec_witnesses": ("Witness confirmations", "见证节点确认"),
    "sec_findings": ("All findings", "全部核验结果"),
    "sec_custody": ("Custody log", "保管链记录"),
    "sec_legal": ("Legal notes", "法律说明"),
    "sec_recheck": ("Re-check it yourself", "自行复核"),
    "policy_name": ("Policy", "策略"),
    "policy_sha256": ("Policy file SHA-256", "策略文件 SHA-256"),
    "policy_satisfied": ("Policy met", "是否满足策略"),
    "counted_jurisdictions": ("Counted jurisdictions", "计入的法域"),
    "no_policy": ("No policy was applied (the chain was not asked or the bundle is not "
                  "anchored).", "未适用任何策略（未查询区块链，或证据包尚未锚定）。"),
    "rule": ("Rule", "规则"),
    "status": ("Status", "状态"),
    "why": ("Why", "理由"),
    "item_id": ("ID", "编号"),
    "name": ("Name", "名称"),
    "kind": ("Kind", "类型"),
    "kind_file": ("file", "文件"),
    "kind_record": ("record", "记录"),
    "size": ("Size (bytes)", "大小（字节）"),
    "media_type": ("Media type", "媒体类型"),
    "captured_at": ("Capture time (UTC)", "采集时间（UTC）"),
    "item_status": ("Check", "核验"),
    "path": ("Path in bundle", "包内路径"),
    "sha256": ("SHA-256", "SHA-256"),
    "sha512": ("SHA-512", "SHA-512"),
    "fields": ("Fields", "字段"),
    "file_line": ("file line", "文件行"),
    "sheet_row": ("spreadsheet row", "电子表格行"),
    "where_in_file": ("Where in the export", "在导出文件中的位置"),
    "items_total": ("Items in the bundle", "证据包内条目总数"),
    "items_files": ("files", "个文件"),
    "items_records": ("records", "条记录"),
    "items_not_listed": (
        "{n} items are not listed here (this report lists the first {limit} in full). "
        "All their digests are covered by the bundle root above and re-checked by "
        "recheck.py; list them with: evidence inspect --json {bundle}",
        "另有 {n} 个条目未在此列出（本报告完整列出前 {limit} 个）。其全部摘要均包含在上述"
        "根哈希中，并可由 recheck.py 复核；可用以下命令列出："
        "evidence inspect --json {bundle}"),
    "record_more_fields": ("(further fields in the JSON report)", "（其余字段见 JSON 报告）"),
    "capturer": ("Capturer key (Ed25519) fingerprint", "采集者密钥（Ed25519）指纹"),
    "capturer_key": ("Capturer public key", "采集者公钥"),
    "clock_source": ("Clock source", "时钟来源"),
    "capture_tool": ("Capture tool and version", "采集工具及版本"),
    "capture_time": ("Captured at (UTC)", "采集时间（UTC）"),
    "provenance_caveat": (
        "Capture provenance is what the capturing party recorded; the chain anchor does not "
        "attest it. It is the material for judging whether the evidence was authentic before "
        "capture.",
        "采集来源信息由采集方自行记录，链上锚定并不证明其内容；判断证据在采集前是否真实，"
        "应以此类信息为依据。"),
    "sec_environment": ("Capture environment", "采集环境"),
    "env_os": ("Operating system", "操作系统"),
    "env_machine": ("Machine architecture", "机器架构"),
    "env_python": ("Python", "Python"),
    "env_caveat": ("Recorded by the capture tool on the capturing machine; not attested by "
                   "the anchor or any third party.",
                   "由采集工具在采集计算机上记录；未经锚定或任何第三方证明。"),
    "env_not_recorded": ("not recorded (bundle captured before this was recorded)",
                         "未记录（该证据包采集时尚未记录此项）"),
    "chain": ("Chain", "区块链"),
    "chain_id": ("Chain ID", "链 ID"),
    "contract": ("Contract address", "合约地址"),
    "transaction": ("Transaction hash", "交易哈希"),
    "block_number": ("Block number", "区块高度"),
    "block_hash": ("Block hash", "区块哈希"),
    "block_time": ("Block time (UTC)", "区块时间（UTC）"),
    "batch_root": ("Anchored (batch) root", "锚定的（批次）根哈希"),
    "batch_position": ("Bundle position in the batch", "证据包在批次中的位置"),
    "submitter": ("Submitter address", "提交者地址"),
    "checked_on_chain": ("Read from the chain during verification", "核验时已从链上读取"),
    "no_anchor": ("No anchor was found or checked.", "未发现或未核验任何锚定。"),
    "dev_note_demo": (
        "Development chain, controlled by one party: the trust profile used is a demonstration "
        "profile (see the trust section), so the verdict above is a demonstration without "
        "evidential value.",
        "开发链，由单一方控制：所用信任配置为演示配置（见“信任”部分），因此上述核验结论仅为演示，"
        "不具有证据价值。"),
    "registrar": ("Registrar (the contract's owner at the anchor's block)",
                  "登记方（锚定区块时合约的所有者）"),
    "dev_warning": (
        "DEVELOPMENT CHAIN: this anchor is on a development chain that one party controls. "
        "It has NO evidential value; anchor on a consortium or public chain for use in court.",
        "开发链警告：本锚定位于由单一方控制的开发链上，不具有任何证据价值；"
        "如需在法院使用，请锚定至联盟链或公有链。"),
    "sec_trust": ("Trust", "信任"),
    "trust_name": ("Trust profile", "信任配置"),
    "trust_source": ("Profile file", "配置文件"),
    "trust_sha256": ("Profile file SHA-256", "配置文件 SHA-256"),
    "trust_publisher": ("Publisher", "发布者"),
    "trust_signed_by": ("Signed by (publisher key fingerprint)", "签名者（发布者密钥指纹）"),
    "trust_unsigned": ("unsigned", "未签名"),
    "trust_key_pinned": ("Publisher key pinned by the verifier", "发布者密钥已由核验方预先固定"),
    "trust_expires": ("Expires (UTC)", "有效期至（UTC）"),
    "trust_demonstration": ("Demonstration profile", "演示配置"),
    "trust_demo_note": (
        "A demonstration profile pins a development chain that one party controls: whatever "
        "the checks show, a verification under it has no evidential value.",
        "演示配置所固定的是由单一方控制的开发链：无论核验结果如何，在该配置下的核验均不具有"
        "证据价值。"),
    "no_trust": (
        "No trust profile was given, so no presumption was possible. Only the verifier can "
        "name the chains, registries and witness operators it trusts (evidence verify --trust "
        "FILE; docs/trust.md); the registry's own labels, which whoever deployed the contract "
        "can write, are not evidence.",
        "未提供信任配置，因此无法作出任何推定。只有核验方才能指定其信任的区块链、登记合约和"
        "见证节点运营者（evidence verify --trust FILE；见 docs/trust.md）；登记合约自身的标签"
        "可由合约部署者任意填写，不能作为证据。"),
    "sec_chain_read": ("Chain as read", "读取到的区块链"),
    "genesis_hash": ("Genesis block hash (computed from block 0)",
                     "创世区块哈希（由第 0 号区块计算）"),
    "chain_nodes": ("Nodes asked and their software", "所查询的节点及其软件"),
    "chain_pinned": ("Pinned by the trust profile", "是否由信任配置固定"),
    "development_signs": ("Signs of a development chain", "开发链特征"),
    "chain_not_read": ("The chain was not read (offline verification, or no anchor).",
                       "未读取区块链（离线核验，或无锚定）。"),
    "witness_operator": ("Operator", "运营者"),
    "operator_id": ("operator id (trust profile)", "运营者编号（信任配置）"),
    "registry_label": ("registry's label", "登记合约中的标签"),
    "witness_address": ("Witness address", "见证节点地址"),
    "jurisdiction": ("Jurisdiction", "法域"),
    "hague_party": ("Hague Evidence Convention party", "海牙取证公约缔约国"),
    "in_force": ("in force from", "生效日期"),
    "date_unverified": ("date unverified", "生效日期未经核实"),
    "party_source": ("Source", "来源"),
    "confirmed_at": ("Confirmed at (UTC)", "确认时间（UTC）"),
    "counted": ("Counted", "是否计入"),
    "no_witnesses": ("No witness confirmations were read.", "未读取到见证节点确认。"),
    "severity": ("Severity", "级别"),
    "code": ("Code", "代码"),
    "message": ("Message", "说明"),
    "subject": ("Subject", "对象"),
    "seq": ("#", "序号"),
    "action": ("Action", "操作"),
    "at": ("Time (UTC)", "时间（UTC）"),
    "actor": ("Actor key", "操作者密钥"),
    "details": ("Details", "详情"),
    "no_custody": ("The custody log could not be read.", "无法读取保管链记录。"),
    "recheck_intro": (
        "Everything below uses standard tools and this report's own values; none of it needs "
        "this software. Run the commands in a shell (bash) opened in the folder that holds the "
        "bundle folder {bundle}: the first command enters it, and every later command runs "
        "inside it. A line ending in \\ continues on the next line.",
        "以下步骤只使用通用工具和本报告中的数值，无需本软件。请在包含证据包文件夹 {bundle} 的"
        "文件夹中打开命令行（bash）运行：第一条命令进入该文件夹，其后各条命令均在其中运行。"
        "以 \\ 结尾的行在下一行继续。"),
    "recheck_script": ("The re-check script (standard library only)",
                       "复核脚本（仅使用 Python 标准库）"),
    "recheck_script_text": (
        "Every bundle holds recheck.py, which recomputes all digests, the Merkle root and the "
        "receipt path. It is not signed: first check that its SHA-256 is the one shown (else "
        "do not run it, and save the copy embedded in the JSON or HTML report as recheck.py "
        "instead), then run it.",
        "每个证据包都包含 recheck.py，可重新计算全部摘要、默克尔根及收据路径。该脚本未经签名："
        "请先核对其 SHA-256 与所示值一致（否则不要运行，并改用 JSON 或 HTML 报告中内嵌的副本，"
        "保存为 recheck.py），然后运行。"),
    "recheck_script_embedded": ("recheck.py (embedded copy)", "recheck.py（内嵌副本）"),
    "recheck_files": ("1. File digests (sha256sum, sha512sum)",
                      "文件摘要（sha256sum、sha512sum）"),
    "recheck_files_text": (
        "Each line must print the digest shown. The BagIt manifests cover every file at once.",
        "每行命令输出的摘要须与所示一致。BagIt 清单可一次性核对全部文件。"),
    "recheck_records": ("2. Record digests", "记录摘要"),
    "recheck_records_text": (
        "Each record is one line of its records file (RFC 8785 canonical JSON, without the "
        "line break).",
        "每条记录是其记录文件中的一行（RFC 8785 规范化 JSON，不含换行符）。"),
    "recheck_merkle": ("3. Leaves and the Merkle root", "叶子与默克尔根"),
    "recheck_chain": ("4. The anchor and confirmations on the chain",
                      "链上的锚定与确认"),
    "recheck_chain_text": (
        "Send these requests to any JSON-RPC endpoint of chain {chain_id}: set RPC_URL to its "
        "address first (export RPC_URL=...). "
        "anchorOf must return the submitter, the block time and the block number shown above; "
        "confirmationsOf returns each confirmation (witness, jurisdiction, confirmedAt, "
        "observedAt, bySignature).",
        "将以下请求发送至链 ID 为 {chain_id} 的任一 JSON-RPC 节点：先将 RPC_URL 设为其地址"
        "（export RPC_URL=...）。"
        "anchorOf 应返回上文所示的提交者地址、区块时间和区块高度；confirmationsOf "
        "返回每一项确认（见证节点、法域、确认时间、观察时间、是否签名确认）。"),
    "recheck_no_anchor": ("No anchor to check on a chain.", "无可在链上复核的锚定。"),
    "expected_result": ("Expected anchorOf result", "anchorOf 的预期返回值"),
    "selector": ("Function selectors (first 4 bytes of Keccak-256)",
                 "函数选择器（Keccak-256 的前 4 个字节）"),
    "signed_by": ("Electronic signature (PAdES) of this report: open the signature panel of "
                  "your PDF reader to check it, or run: evidence report check FILE",
                  "本报告的电子签名（PAdES）：可在 PDF 阅读器的签名面板中查看，或运行："
                  "evidence report check FILE"),
    "digitally_signed": ("Digitally signed (PAdES)", "数字签名（PAdES）"),
    "not_signed": ("Not signed", "未签名"),
    "self_issued_note": (
        "What your PDF reader will show: this report is signed with a certificate that the "
        "signing workspace issued to itself. Readers such as Adobe Acrobat show the signature "
        "as intact but the signer's identity as unknown or not trusted, because no "
        "certificate authority the reader trusts vouches for it. That warning does not mean "
        "the file was changed (a changed file shows the signature as invalid). To learn who "
        "signed, compare the certificate SHA-256 below with the one the signing party gives "
        "you, or run: evidence report check FILE. A signer readers recognise needs a "
        "certificate from an authority they trust (evidence report --cert FILE.p12).",
        "PDF 阅读器将显示的内容：本报告所用的签名证书由签名工作区自行签发。Adobe Acrobat 等阅读器"
        "会显示签名完整，但签名者身份未知或不受信任，因为没有阅读器所信任的证书颁发机构为其担保。"
        "该提示并不表示文件已被更改（文件被更改时，签名会显示为无效）。如需确认签名者，请将下方"
        "证书的 SHA-256 与签名方提供的值核对，或运行：evidence report check FILE。如需阅读器可识别"
        "的签名者，须使用受信任机构签发的证书（evidence report --cert FILE.p12）。"),
    "user_cert_note": (
        "Signed with a certificate the signer supplied: whether your PDF reader shows the "
        "signer as trusted depends on the certificate authorities your reader trusts.",
        "使用签名者提供的证书签名：PDF 阅读器是否显示签名者受信任，取决于阅读器所信任的证书颁发"
        "机构。"),
    "unsigned_by": ("This report is not signed: it was prepared by the verifying party for its "
                    "own use. Its digest (above and in every page footer) identifies the "
                    "attached canonical JSON report.",
                    "本报告未签名：由核验方为自身使用而制作。其摘要（见上文及每页页脚）标识所附的"
                    "规范化 JSON 报告。"),
    "page_of": ("page {x} of {y}", "第 {x} 页，共 {y} 页"),
    "qr_caption": ("QR: report digest, chain id, contract, transaction",
                   "二维码：报告摘要、链 ID、合约、交易"),
}

#: Verdict titles (short) and explanations, by verdict code and how it was reached:
#: ``presumed-authentic`` under a trust profile, ``demonstration`` (the checks pass under a
#: demonstration profile: one statement, no evidential value, never worded as a
#: presumption), ``not-presumed`` under a profile or ``not-presumed-no-trust`` without one,
#: and ``presumed-authentic-no-trust`` for a result from before trust profiles.
#: ``{policy}`` is the policy name, ``{profile}`` the trust profile's name.
VERDICTS: dict[str, tuple[Pair, Pair]] = {
    "presumed-authentic": (
        ("Presumed not altered since anchoring (rebuttable) under policy {policy} and trust "
         "profile {profile}",
         "依据策略 {policy} 及信任配置 {profile}：推定锚定后未经篡改（可反驳）"),
        ("The evidence is intact and the policy's rules are met under the verifier's trust "
         "profile {profile}. This is a rebuttable presumption under policy {policy} only, and "
         "only that the data was not altered after it was anchored; it says nothing of the "
         "truth of the content or of its authenticity before capture (see the legal notes).",
         "证据完整，且在核验方的信任配置 {profile} 下满足该策略的各项规则。这仅是依据策略 "
         "{policy} 作出的可反驳的推定，且仅限于数据在锚定后未被篡改；不涉及内容是否真实，"
         "也不涉及其在采集之前是否真实（见法律说明）。"),
    ),
    "demonstration": (
        ("DEMONSTRATION ONLY — no evidential value: the checks pass under policy {policy} "
         "and demonstration profile {profile}",
         "仅为演示，无证据价值：在策略 {policy} 及演示配置 {profile} 下各项核验均通过"),
        ("The verification ran under the demonstration trust profile {profile}, which pins a "
         "development chain that one party controls. That the checks pass shows only that "
         "the evidence and the software work together: it gives no presumption of any kind "
         "and supports nothing before a court. For a real case, anchor on a chain the parties "
         "do not control and have the court verify under its own trust profile.",
         "本次核验在演示信任配置 {profile} 下进行，该配置所固定的是由单一方控制的开发链。"
         "各项核验均通过，仅表明证据与软件能够配合运行，不产生任何推定，在法院不具有任何"
         "证明作用。实际案件中，应锚定至不受当事方控制的区块链，并由法院依其自己的信任配置"
         "进行核验。"),
    ),
    "presumed-authentic-no-trust": (
        ("Presumed not altered since anchoring (rebuttable) under policy {policy}",
         "依据策略 {policy}：推定锚定后未经篡改（可反驳）"),
        ("The evidence is intact and the policy's rules are met. This is a rebuttable "
         "presumption under policy {policy} only, and only that the data was not altered "
         "after it was anchored (see the legal notes).",
         "证据完整，且满足该策略的各项规则。这仅是依据策略 {policy} 作出的可反驳的推定，"
         "且仅限于数据在锚定后未被篡改（见法律说明）。"),
    ),
    "not-presumed": (
        ("No presumption under policy {policy} and trust profile {profile}",
         "依据策略 {policy} 及信任配置 {profile}：不作推定"),
        ("No check found the evidence changed, but the policy's rules are not met (see the "
         "rules below). The evidence may still be intact; the policy gives no presumption.",
         "核验未发现证据被更改，但不满足该策略的规则（见下文各项规则）。证据本身仍可能完整，"
         "但该策略不产生真实性推定。"),
    ),
    "not-presumed-no-trust": (
        ("No presumption under policy {policy}: no trust profile was given",
         "依据策略 {policy}：不作推定（未提供信任配置）"),
        ("No check found the evidence changed, but no trust profile was given, so no "
         "presumption was possible: only the verifier can name the chains, registries and "
         "witness operators it trusts (see the trust section). The evidence may still be "
         "intact.",
         "核验未发现证据被更改，但未提供信任配置，因此无法作出任何推定：只有核验方才能指定其"
         "信任的区块链、登记合约和见证节点运营者（见“信任”部分）。证据本身仍可能完整。"),
    ),
    "failed": (
        ("Failed: evidence changed, invalid or missing",
         "核验未通过：证据已被更改、无效或缺失"),
        ("At least one check failed (see the findings marked error). The evidence must not "
         "be relied on as captured.",
         "至少一项核验未通过（见标为“错误”的核验结果）。不得将该证据视为采集时的原样。"),
    ),
    "inconclusive": (
        ("Inconclusive: a check could not be made",
         "无法得出结论：部分核验无法完成"),
        ("No check found the evidence changed, but a check could not be made (for example "
         "the chain could not be reached). Verify again later.",
         "核验未发现证据被更改，但部分核验无法完成（例如无法连接区块链）。请稍后重新核验。"),
    ),
}

#: Added to the explanation of any other verdict reached under a demonstration profile.
DEMONSTRATION_NOTE: Pair = (
    "The verification ran under the demonstration trust profile {profile}: whatever it "
    "finds, it has no evidential value.",
    "本次核验在演示信任配置 {profile} 下进行：无论其结果如何，均不具有证据价值。")

#: Severity words for findings.
SEVERITIES: dict[str, Pair] = {
    "ok": ("ok", "通过"),
    "info": ("note", "提示"),
    "warning": ("warning", "警告"),
    "error": ("error", "错误"),
    "unknown": ("not checked", "未能核验"),
}

#: Policy rule titles, by finding code (evidence.policy.evaluate emits them in this order).
RULES: dict[str, Pair] = {
    "policy-party-list": ("Contracting Party list", "缔约方名单"),
    "policy-blocks-on-top": ("Blocks on top of the anchor", "锚定区块之上的区块数"),
    "policy-capture-time": ("Signed capture time not later than the anchor",
                            "签名的采集时间不晚于锚定时间"),
    "policy-jurisdiction-codes": ("Jurisdiction codes well-formed", "法域代码格式"),
    "policy-witness-identity": ("Witness identified and backed by the chain",
                                "见证节点身份已识别且有链上记录为据"),
    "policy-submitter": ("Submitter's own witnesses excluded", "排除提交者自身的见证节点"),
    "policy-active": ("Witness active when confirming", "确认时见证节点处于有效期"),
    "policy-disputed-revocation": ("Revocations dated back before a confirmation (disputed)",
                                   "撤销倒签至确认之前（有争议）"),
    "policy-window": ("Confirmation within the time window", "在时间窗口内确认"),
    "policy-skew": ("Witness clock consistent with the chain", "见证节点时钟与链上时间一致"),
    "policy-hague-party": ("Hague Evidence Convention Contracting State",
                           "海牙取证公约缔约国"),
    "policy-in-force": ("Convention in force for that State", "公约对该国已生效"),
    "policy-operators": ("Distinct operators", "运营者互不相同"),
    "policy-jurisdictions": ("Enough distinct jurisdictions", "不同法域的数量"),
    "policy-outcome": ("Outcome of the policy", "策略结论"),
}

#: Rule status words by finding severity: OK held, INFO held with exclusions noted,
#: WARNING not held.
RULE_STATUS: dict[str, Pair] = {
    "ok": ("held", "满足"),
    "info": ("held; note", "满足；附说明"),
    "warning": ("not held", "不满足"),
    "error": ("failed", "未通过"),
    "unknown": ("not checked", "未能核验"),
}

#: Why a witness confirmation was or was not counted (evidence.policy.evaluate reason codes).
REASONS: dict[str, Pair] = {
    "date-not-verified": (
        "not counted: its entry-into-force date is not verified in an official source, as "
        "the policy requires",
        "未计入：其生效日期未经官方来源核实，而本策略要求经核实的日期"),
    "counted": ("counted", "已计入"),
    "bad-jurisdiction": ("not counted: the jurisdiction code is not ISO 3166-1 alpha-2",
                         "未计入：法域代码不是 ISO 3166-1 二位字母代码"),
    "bad-operator-name": ("not counted: its operator name is unusable (invisible characters "
                          "or look-alike scripts)",
                          "未计入：其运营者名称不可用（含不可见字符或易混淆的混合文字）"),
    "not-in-profile": ("not counted: no operator the trust profile names runs this witness",
                       "未计入：信任配置所列的运营者均未运营该见证节点"),
    "outside-profile-period": ("not counted: it confirmed outside the period the trust "
                               "profile pins it for",
                               "未计入：其确认时间不在信任配置为其固定的期间内"),
    "unproven": ("not counted: the chain does not back its confirmation",
                 "未计入：其确认没有链上记录为据"),
    "submitter": ("not counted: it is the submitter or run by the submitter's operator",
                  "未计入：为提交者本人或由提交者的运营者运营"),
    "no-operator": ("not counted: no operator name is registered",
                    "未计入：未登记运营者名称"),
    "not-registered-yet": ("not counted: not yet registered when it confirmed",
                           "未计入：确认时尚未登记"),
    "registered-after-anchor": ("not counted: registered after the anchor, so it could have "
                                "been registered for it",
                                "未计入：在锚定之后才登记，可能是专为此锚定而登记"),
    "disputed-revocation": ("not counted: withdrawn by a revocation dated back before its "
                            "confirmation (disputed)",
                            "未计入：撤销生效时间被倒签至其确认之前，该确认被撤回（有争议）"),
    "before-anchor": ("not counted: confirmed before the anchor (inconsistent chain data)",
                      "未计入：确认时间早于锚定（链上数据不一致）"),
    "outside-window": ("not counted: confirmed after the policy's time window",
                       "未计入：确认时间超出策略规定的时间窗口"),
    "clock-skew": ("not counted: its observation time disagrees with the chain",
                   "未计入：其观察时间与链上时间不符"),
    "not-hague-party": ("not counted: not listed as a Contracting State of the Hague "
                        "Evidence Convention",
                        "未计入：不在海牙取证公约缔约国名单之列"),
    "not-in-force-yet": ("not counted: the Convention was not yet in force for that State",
                         "未计入：确认之日公约尚未对该国生效"),
    "same-operator": ("not counted: its operator is already counted",
                      "未计入：其运营者已被计入"),
    "same-jurisdiction": ("not counted: its jurisdiction is already counted",
                          "未计入：其法域已被计入"),
}

#: Custody log actions.
CUSTODY_ACTIONS: dict[str, Pair] = {
    "captured": ("captured", "采集固定"),
    "anchored": ("anchored", "上链锚定"),
    "confirmed": ("confirmed", "见证确认"),
    "verified": ("verified", "核验"),
    "disclosed": ("disclosed", "披露"),
    "exported": ("exported", "导出"),
    "timestamped": ("timestamped (RFC 3161)", "加盖时间戳（RFC 3161）"),
}

def languages(lang: str) -> tuple[str, ...]:
    """``"en"`` -> ("en",), ``"zh"`` -> ("zh",), ``"en+zh"`` -> ("en", "zh").

    Raises InputError for anything else.
    """
    if lang not in LANGS:
        raise InputError(f"unknown report language {lang!r}: use en, zh or en+zh")
    return ("en", "zh") if lang == "en+zh" else (lang,)


def pick(pair: Pair, langs: tuple[str, ...]) -> dict[str, str]:
    """The texts of ``pair`` for ``langs``, as ``{"en": ..., "zh": ...}``."""
    return {lang: pair[0] if lang == "en" else pair[1] for lang in langs}
