"""What each finding code means, in Chinese, for reports in Chinese (issue 14: a ``zh``
report was partly English).

A finding's message is the verification's own English sentence, kept verbatim in the JSON
and in English reports. A Chinese report shows instead the meaning of the finding's code
from :data:`FINDINGS_ZH` (its subject, e.g. the file concerned, is shown beside it). Every
code the verifier can emit is in the table (tests/report/test_zh_complete.py gathers them
from the code base); a policy rule is stated in Chinese by the report model instead.
"""

from __future__ import annotations

__all__ = ["FINDINGS_ZH", "FINDING_VARIANTS_ZH", "UNKNOWN_FINDING_ZH", "finding_zh"]

#: Finding code -> its meaning in Chinese.
FINDINGS_ZH: dict[str, str] = {
    "bag-ok": "BagIt 清单（sha256、sha512）及标签清单均与文件一致。",
    "bag-invalid": "BagIt 包无效：清单与文件不一致（见对象一栏）。",
    "bag-unexpected-tag-file": "包内有证据包写入程序不会生成的标签文件（采集后被添加）。",
    "bag-unlisted-tag-file": "有标签文件未列入标签清单（采集后被添加，或标签清单被更改）。",
    "bag-no-manifest": "缺少必需的清单文件。",
    "signature-ok": "采集者对根哈希的签名验证通过。",
    "signature-invalid": "采集者对根哈希的签名验证未通过。",
    "signer-not-capturer": "根哈希由采集来源信息所载采集者以外的密钥签名。",
    "root-ok": "全部叶子计算所得的默克尔根与签名的根哈希一致。",
    "root-mismatch": "叶子计算所得的默克尔根与签名的根哈希不一致。",
    "items-ok": "每个条目的大小及摘要均与签名的条目清单一致。",
    "items-invalid": "条目清单无法读取或格式错误。",
    "digest-mismatch": "文件摘要与签名的条目清单不一致：文件已被更改。",
    "missing-file": "签名的条目清单所列文件缺失。",
    "index-ok": "索引文件与条目清单一致。",
    "proof-ok": "披露条目的包含证明与签名的根哈希一致。",
    "custody-ok": "保管链记录的哈希链和签名均验证通过。",
    "custody-chain-broken": "保管链记录的哈希链断裂。",
    "provenance-changed": "采集来源信息与签名的声明不一致。",
    "anchor-ok": "链上锚定与收据一致。",
    "anchor-missing": "链上找不到该锚定。",
    "anchor-differs": "链上锚定与收据不一致。",
    "not-anchored": "证据包尚未锚定。",
    "contract-ok": ("该地址的合约代码即 EvidenceAnchor 合约构件的代码，且使用本链及本地址的 "
                    "EIP-712 域。"),
    "receipt-path-ok": "收据中的包含路径计算结果与批次根一致。",
    "offline": "离线核验：未查询区块链，因此无法作出推定。",
    "chain-unreachable": "无法连接区块链节点，部分核验无法完成。",
    "chain-id-mismatch": "节点所提供的链 ID 与收据不一致。",
    "development-chain": "锚定位于开发链上：由单一方控制，不具有证据价值。",
    "trust-none": ("未提供信任配置：核验方未指定其信任的区块链、登记合约或见证节点运营者，"
                   "因此无法作出推定。"),
    "trust-chain-ok": "所读取的区块链由信任配置固定，创世区块哈希一致。",
    "trust-chain-not-pinned": "信任配置未固定该区块链。",
    "trust-genesis-mismatch": "节点所提供之链的创世区块哈希与信任配置所固定的不同。",
    "trust-registry-ok": "登记合约由信任配置固定，其锚定区块时的登记方与所固定的一致。",
    "trust-registry-not-pinned": "信任配置未固定该登记合约。",
    "trust-registrar-mismatch": "登记合约的登记方与信任配置所固定的不同。",
    "trust-label-differs": "登记合约中的运营者标签与信任配置的名称不同（以信任配置为准）。",
    "trust-node-software": ("节点显示开发链特征，但信任配置声明该固定链为生产链，由配置发布者"
                            "为其担保。"),
    "trust-too-few-nodes": "一致的节点数量少于信任配置的要求。",
    "nodes-disagree": "所查询的节点之间数据不一致。",
    "confirmation-unproven": ("有见证确认没有链上记录为据：未被计入，核验结论待能提供该事件的"
                              "节点。"),
    "revocation-time-unknown": "无法读取撤销的发出时间；该撤销发出于其确认之后。",
    # --- BagIt (RFC 8493) problems, reported as bag-<problem code> ----------------------------
    "bag-not-a-bag": "该路径不是目录，不是 BagIt 包。",
    "bag-bad-bagit-txt": "bagit.txt 缺失，或并非恰好为规定的两行。",
    "bag-bad-tag-file": "有标签文件无法按所声明的编码解码，或带有字节顺序标记（BOM）。",
    "bag-bad-bag-info": "bag-info.txt 不符合元数据格式，或 Payload-Oxum 有误。",
    "bag-manifest-syntax": "清单中有一行不是“摘要 文件路径”格式，或摘要不是有效的十六进制值。",
    "bag-fetch-syntax": "fetch.txt 中有一行不是“网址 长度 文件路径”格式。",
    "bag-limit-exceeded": "有标签文件或其中一行超过本程序可接受的大小。",
    "bag-unsupported-algorithm": "清单使用了本程序无法计算的摘要算法。",
    "bag-missing-manifest": "包内没有载荷清单。",
    "bag-missing-payload-dir": "包内没有 data/ 目录。",
    "bag-bad-path": "所列路径为绝对路径、指向包外，或位置不符合规定。",
    "bag-symlink": "包内含有符号链接。",
    "bag-special-file": "包内含有设备文件、命名管道或套接字。",
    "bag-unreadable": "有文件无法读取。",
    "bag-missing-file": "清单所列文件不在包内。",
    "bag-incomplete": "fetch.txt 所列载荷文件尚未取回。",
    "bag-unlisted-file": "有载荷文件（或载荷清单）未在应列出之处列出。",
    "bag-duplicate-entry": "清单中同一路径出现两次。",
    "bag-digest-mismatch": "文件摘要与清单不一致：文件已被更改。",
    "bag-oxum-mismatch": "Payload-Oxum 与载荷的字节数及文件数不一致。",
    "bag-leading-dot-slash": "清单路径以“./”开头（提示）。",
    "bag-md5sum-binary-marker": "清单行带有 md5sum 的二进制模式标记“*”（提示）。",
    "bag-name-collision": "有两个所列名称仅大小写或 Unicode 规范化形式不同（提示）。",
    "bag-weak-algorithm": "载荷仅由 MD5 或 SHA-1 覆盖（提示）。",
    "bag-info-invalid": "bag-info.txt 无法读取或格式错误。",
    "bag-info-changed": "bag-info.txt 与签名的内容不一致（采集后被更改）。",
    "bag-manifest-form": "清单的格式与证据包写入程序生成的不同（采集后被添加、重排或改写行？）。",
    # --- the signed root, items and index ---------------------------------------------------
    "root-invalid": "签名的根哈希文件无法读取或格式错误。",
    "item-changed": "条目与签名的条目清单不一致：已被更改。",
    "item-missing": "签名的条目清单所列条目缺失。",
    "item-invalid": "条目无法核验（格式错误或无法读取）。",
    "records-extra": "记录文件中有签名的条目清单未列出的记录（采集后被添加？）。",
    "payload-unsigned": "载荷中有文件未列入签名的条目清单（采集后被添加？）。",
    "index-mismatch": "索引文件与条目清单不一致，或不应存在。",
    "proof-invalid": "包含证明无法使用，或其树大小与签名的叶子数不同。",
    "provenance-invalid": "采集来源信息无法读取，或不是规范化 JSON。",
    # --- custody log -------------------------------------------------------------------------
    "custody-empty": "保管链记录没有任何条目。",
    "custody-sequence": "保管链记录的序号不连续。",
    "custody-signature": "保管链记录中有条目的签名验证未通过。",
    "custody-first-entry": "保管链记录的第一条不是应有的操作，或不是由证据包签名者签名。",
    "custody-invalid": "保管链记录无法读取或格式错误。",
    # --- receipts and the anchor -------------------------------------------------------------
    "receipt-invalid": "锚定收据无法读取或格式错误。",
    "receipt-missing": "签名的保管链记录载有一次锚定，但其收据不在包内（被删除或替换？）。",
    "receipt-unrecorded": "收据与签名的保管链记录所载的锚定不一致（锚定后被编辑？）。",
    "receipt-replaced": ("保管链记录所载的一次锚定已被后一次锚定取代（链重组使其丢失或移动后重新锚"
                         "定）。"),
    "receipt-mismatch": "收据所对应的证据包根哈希不是签名的根哈希。",
    "receipt-path-invalid": "收据中的包含路径不能由证据包根哈希计算出其批次根。",
    "receipt-differs": "收据所载的提交者与链上记录不一致。",
    "receipt-development-flag": ("收据对该链是否为开发链的记载与本次核验的判断不同；以本次核验的"
                                 "判断为准。"),
    "receipt-also-anchored": "该根哈希另有一处锚定；核验结论依据其他收据作出。",
    "receipt-stale": ("该收据没有链上记录为据，其区块和时间未经证明，不予采用；核验结论依据其他收据"
                      "作出。"),
    "receipt-unchecked": "该收据无法核验；核验结论依据其他收据作出。",
    "anchor-block-not-canonical": ("规范链上该高度的区块不是收据所载的区块（链已重组，或收据系伪造"
                                   "）。"),
    "contract-missing": "收据所载地址在该链上没有合约。",
    "contract-mismatch": "该地址的合约不是 EvidenceAnchor 合约，或其 EIP-712 域不符。",
    "registrar-read-at-head": "登记方系在最新区块而非锚定区块读取；两者之间没有所有权转移。",
    # --- the chain and its nodes -------------------------------------------------------------
    "chain-behind": "所查询的节点尚未同步到收据所载的区块；请稍后或通过其他节点重新核验。",
    "chain-error": "无法向区块链查询，部分核验无法完成。",
    "node-proof-invalid": "节点的回答不能证明其所述内容（节点有误或不可信）；请通过其他节点核验。",
    "node-cannot-serve": "节点无法提供核验所需的数据。",
    # --- RFC 3161 timestamps -----------------------------------------------------------------
    "timestamp-ok": "信任配置所固定的时间戳服务机构证明签名的证据包根不晚于其所载时间即已存在。",
    "timestamp-required": ("所适用的策略要求有信任配置所固定的时间戳服务机构出具、且能印证锚定时间"
                           "的 RFC 3161 时间戳，但证据包中没有。"),
    "timestamp-missing": "签名的保管链记录所载的时间戳令牌不在包内（被删除？）。",
    "timestamp-unexpected-file": "时间戳目录中有本工具不会写入的文件名。",
    "timestamp-too-many": "时间戳令牌数量超过本程序可接受的上限。",
    "timestamp-unreadable": "时间戳令牌或签名的根哈希文件无法读取。",
    "timestamp-unrecorded": "该时间戳令牌不是签名的保管链记录所载的令牌（取得后被添加或更改？）。",
    "timestamp-malformed": "时间戳令牌不是有效的 DER 编码 RFC 3161 应答，或其内容无法读取。",
    "timestamp-rejected": "时间戳服务机构拒绝了请求，未出具令牌。",
    "timestamp-imprint-mismatch": "时间戳令牌的消息摘要与签名的证据包根不一致。",
    "timestamp-nonce-mismatch": "时间戳应答的随机数与请求不一致（应答被重放或替换）。",
    "timestamp-no-certificate": "时间戳令牌未嵌入签名者证书，且没有固定的证书与其签名者信息相符。",
    "timestamp-ess-missing": "时间戳令牌缺少 ESS 签名证书属性（RFC 3161 第 2.4.1 节）。",
    "timestamp-ess-mismatch": "时间戳令牌的 ESS 签名证书属性所指的证书不是签名者的证书。",
    "timestamp-signature-invalid": "时间戳令牌的 CMS 签名验证未通过（出具后被更改？）。",
    "timestamp-not-tsa-cert": "签名者证书缺少关键的时间戳扩展密钥用途（RFC 3161 第 2.3 节）。",
    "timestamp-tsa-cert-expired": "时间戳服务机构的证书在令牌时间（genTime）不在有效期内。",
    "timestamp-untrusted": "时间戳服务机构的证书无法验证至信任配置所固定的证书。",
    "timestamp-tsa-not-pinned": ("令牌完好，但其时间戳服务机构未被信任配置固定（任何人都可以架设时"
                                 "间戳服务）：仅列示，不予计入。"),
    "timestamp-outside-pin-period": "令牌时间不在信任配置信任该时间戳服务机构的期间内：不予计入。",
    "timestamp-clock-disagreement": ("时间戳服务机构所载时间早于采集者签名的采集时间，且超出允许范"
                                     "围：采集者的时钟或时间戳服务机构有误。"),
    "timestamp-beside-block-time": "时间戳时间与收据所载区块时间并列显示（未查询区块链）。",
    "timestamp-after-anchor": ("时间戳取得于锚定之后：它证明根哈希不晚于其时间即已存在，但不能印证"
                               "区块时间。"),
    "timestamp-clocks-agree": ("时间戳时间与锚定区块时间一致（时间戳时间不晚于区块时间加允许的时间"
                               "差）。"),
}


#: Findings whose English message has variants that differ in meaning: (code, words the
#: English message contains) -> the Chinese of that variant.
FINDING_VARIANTS_ZH: dict[tuple[str, str], str] = {
    ("timestamp-ok", "demonstration profile"): (
        "时间戳服务机构证明签名的证据包根不晚于其所载时间即已存在；该机构仅由演示配置固定，"
        "无人核查：仅为演示，不具有证据价值。"),
    ("timestamp-clock-disagreement", "the chain says"): (
        "时间戳时间与链上锚定区块时间之差超出允许范围：区块链、其节点或时间戳服务机构给出的"
        "时间有误。"),
    ("timestamp-tsa-not-pinned", "there is no trust profile"): (
        "令牌完好，但未提供信任配置，无从判断是否信任该时间戳服务机构：仅列示，不予计入。"),
    ("development-chain", "demonstration profile"): (
        "锚定位于开发链上：由单一方控制；该链由演示配置固定，因此此处任何结论都只是演示，"
        "不具有证据价值。"),
}

#: What a Chinese report says for a code this table does not know (a newer verifier's
#: finding read by an older report): the code itself is shown beside it.
UNKNOWN_FINDING_ZH = "本版本报告没有此核验结果代码的中文说明；其含义以代码及 JSON 报告为准。"


def finding_zh(code: str, message: str) -> str:
    """The Chinese text a Chinese report shows for a finding: the meaning of its code (of
    the variant its English ``message`` names, when the code has variants); never English."""
    for (variant_code, words), text in FINDING_VARIANTS_ZH.items():
        if variant_code == code and words in message:
            return text
    return FINDINGS_ZH.get(code, UNKNOWN_FINDING_ZH)
