"""A Chinese report states its findings in Chinese (issue 14, Deliver 6: the zh report was
partly English): each finding's English message is replaced by the meaning of its code,
or, for a policy rule, by the rule's Chinese statement; English reports keep the verbatim
message."""

from __future__ import annotations

from html import unescape
from pathlib import Path

from evidence.report import build_report
from evidence.report.findings_zh import FINDINGS_ZH, finding_zh
from evidence.report.html import render_html

from .fixtures import make_result, make_trusted_result


def test_findings_in_chinese(tmp_path: Path) -> None:
    for result in (make_result(), make_trusted_result()):
        zh = build_report(result, bundle=tmp_path, lang="zh")
        page = unescape(render_html(zh).decode("utf-8"))
        findings = page.split('id="findings"')[1].split("<h2")[0]
        rules = {rule.code: rule.explanation["zh"] for rule in zh.policy.rules}  # type: ignore[union-attr]
        for f in zh.findings:
            if f.code in FINDINGS_ZH or f.code in rules:
                assert f.message not in findings, f.code
                assert (rules.get(f.code) or finding_zh(f.code, f.message)) in findings, f.code
        en = unescape(render_html(build_report(result, bundle=tmp_path, lang="en"))
                      .decode("utf-8"))
        for f in zh.findings:
            assert f.message in en  # English reports keep the verification's own words
