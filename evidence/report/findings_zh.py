"""What each finding code means, in Chinese, for reports in Chinese (issue 14: a ``zh``
report was partly English).

A finding's message is the verification's own English sentence, kept verbatim in the JSON
and in English reports. A Chinese report shows instead the meaning of the finding's code
from :data:`FINDINGS_ZH` (its subject, e.g. the file concerned, is shown beside it); a code
not in the table is shown with its English message marked as such.
"""

from __future__ import annotations

__all__ = ["FINDINGS_ZH", "finding_zh"]

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
}


def finding_zh(code: str, message: str) -> str:
    """The Chinese text a Chinese report shows for a finding."""
    known = FINDINGS_ZH.get(code)
    if known is not None:
        return known
    if code.startswith("policy-"):
        return message  # policy rules are stated in Chinese in the rules table
    return f"（仅有英文说明）{message}"
