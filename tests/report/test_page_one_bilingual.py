"""Page one of a report in English and Chinese fits one A4 page (issue 14, Deliver 1 and 6):
in the PDF and in the HTML printed on A4 by headless Chromium, page 1 holds every item of
Deliver 1 in both languages (who captured, when in UTC and the chosen zone, what was
preserved, what is shown and what is not, the verdict naming policy, trust profile and
demonstration, the capturer's statements labelled), and page 2 starts with the summary: no
page-one material runs over."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from evidence.report import build_report, write_report
from evidence.result import VerificationResult

from .fixtures import CAPTURER_FP, make_result, make_trusted_result
from .test_page_one import NAME, NOTE, ORG, TZ, URL, _declared

CHROMIUM = "/usr/bin/chromium"

#: Deliver 1, item by item, in both languages (whitespace is ignored when matching).
COMMON = (
    # who captured
    "Who captured / 采集者", "Name (declared) / 姓名（自行声明）", NAME, ORG, CAPTURER_FP,
    # when: capture, anchor, confirmations, verification, in UTC and the chosen zone
    "When / 时间", "2025-11-27T21:55:00Z", "2025-11-28 05:55 Asia/Shanghai",
    "2025-11-27T22:00:00Z", "2025-11-28 06:00 Asia/Shanghai", "2025-11-27T22:01:00Z",
    "2025-11-28T09:00:00Z", "2025-11-28 17:00 Asia/Shanghai",
    # what was preserved: counts by kind, each export by name
    "What was preserved / 保全的内容", "4 items: 2 files (1 images), 2 records",
    "共 4 个条目：2 个文件（其中图片 1 个），2 条记录",
    "Export / 导出文件 transactions.csv: 2 records / 条记录 (data/exports/transactions.csv)",
    # the capturer's statements, labelled
    "Statements of the capturer (recorded at capture, not verified)",
    "采集方的陈述（采集时记录，未经核实）", NOTE, URL, "2026-CN-0042", "ExampleMart",
    # what is shown and what is not
    "What this verification shows / 本次核验所能证明的", "The bytes of all 4 items match",
    "全部 4 个条目的字节", "What it does not show / 本次核验不能证明的",
    "That the content is true", "内容是否真实", "That the material was authentic before capture",
    "材料在采集之前是否真实", "The exact capture time", "确切的采集时间",
    "Who the capturer is", "采集者的身份", "for the law of the court hearing the case",
    "该证据能否采纳及其证明力", "Prepared by the verifying party", "本报告由核验方",
)
VERDICT = {
    "demo": ("read as / 读取方式: csv, utf-8, delimiter ','",
             "DEMONSTRATION ONLY — no evidential value", "仅为演示，无证据价值", "hague-3",
             "workspace-demonstration", "3 of 4 counted", "共 4 项，策略计入 3 项",
             "a development chain or demonstration one party controls", "2025-11-27T22:04:00Z"),
    "trusted": ("Presumed not altered since anchoring (rebuttable)", "推定锚定后未经篡改（可反驳）",
                "hague-3", "example-consortium", "not a demonstration", "非演示",
                "3 of 6 counted", "共 6 项，策略计入 3 项", "the bytes existed no later than then",
                "上述字节不晚于该时间即已存在", "2025-11-27T22:06:00Z"),
}
#: Page one's own headings: none may open page 2.
PAGE_ONE_ONLY = ("Who captured", "What it does not show", "本次核验不能证明的",
                 "该证据能否采纳及其证明力", "Prepared by the verifying party")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _page(pdf: Path, n: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def _with_dialect(result: VerificationResult) -> VerificationResult:
    """The result with the export's dialect recorded, as a capture records it (the demo's
    page one then also says how the export was read)."""
    prov = dict(result.provenance)
    prov["exports"] = [{"path": "data/exports/transactions.csv", "format": "csv",
                        "encoding": "utf-8", "delimiter": ",", "quotechar": '"'}]
    return replace(result, provenance=prov)


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The en+zh PDF, and the en+zh HTML printed on A4 by Chromium, of each result."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = tmp_path_factory.mktemp("page-one-enzh")
    pdfs: dict[str, Path] = {}
    for name, result in (("demo", _with_dialect(_declared(make_result()))),
                         ("trusted", _declared(make_trusted_result()))):
        report = build_report(result, bundle=out, lang="en+zh", report_id="RPT-P1",
                              now="2025-11-28T09:05:00Z", timezone=TZ,
                              prepared_by="verifying-party")
        pdfs[f"{name}-pdf"] = write_report(report, out / f"{name}.pdf", signer=None)
        html = write_report(report, out / f"{name}.html", signer=None)
        if Path(CHROMIUM).exists():
            printed = out / f"{name}-printed.pdf"
            proc = subprocess.run(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                 "--no-pdf-header-footer", f"--print-to-pdf={printed}", html.as_uri()],
                capture_output=True, text=True, timeout=180)
            assert proc.returncode == 0 and printed.is_file(), proc.stderr[-2000:]
            pdfs[f"{name}-html"] = printed
    return pdfs


@pytest.mark.parametrize("key", ["demo-pdf", "trusted-pdf", "demo-html", "trusted-html"])
def test_page_one_holds_every_item_in_both_languages(printed: dict[str, Path],
                                                     key: str) -> None:
    if key not in printed:
        pytest.skip("chromium missing")
    first = _squash(_page(printed[key], 1))
    for token in (*COMMON, *VERDICT[key.split("-")[0]]):
        assert _squash(token) in first, (key, token)


@pytest.mark.parametrize("key", ["demo-pdf", "trusted-pdf", "demo-html", "trusted-html"])
def test_page_two_starts_after_page_one(printed: dict[str, Path], key: str) -> None:
    if key not in printed:
        pytest.skip("chromium missing")
    second = _page(printed[key], 2)
    assert second.lstrip().startswith("Summary / 概要"), second[:200]
    squashed = _squash(second)
    for token in PAGE_ONE_ONLY:
        assert _squash(token) not in squashed, (key, token)
