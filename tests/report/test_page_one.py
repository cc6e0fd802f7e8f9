"""Page one answers the judge (issue 14, Deliver 1), in English and in Chinese, in the PDF
(``pdftotext`` of page 1 only) and in the HTML (parsed, everything before the page break):
who captured (declared name and organisation, key fingerprint), when (capture, anchor,
confirmations, in UTC and the chosen time zone), what was preserved (counts by kind, each
export by name), what is shown and what is not, one verdict statement naming the policy,
the trust profile and whether it is a demonstration, and the capturer's statements labelled
as such."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from evidence.errors import InputError
from evidence.report import ReportSigner, build_report, write_report
from evidence.result import VerificationResult

from .fixtures import CAPTURER_FP, make_result, make_trusted_result

TZ = "Asia/Shanghai"
NAME = "Li Wei"
ORG = "Aurora Audio GmbH IP Department"
NOTE = "counterfeit headphones, chat and orders"
URL = "https://example.invalid/shop/aurora"


def _declared(result: VerificationResult) -> VerificationResult:
    prov = dict(result.provenance)
    prov["capturer"] = {**prov["capturer"], "name": NAME, "organisation": ORG}
    return replace(result, provenance=prov)


class _BeforeBreak(HTMLParser):
    """Text of the HTML up to the page-one break, the classes of its paragraphs, and the
    text under each h3 heading."""

    def __init__(self) -> None:
        super().__init__()
        self.done = False
        self.text: list[str] = []
        self.classes: list[str] = []
        self.sections: dict[str, list[str]] = {}
        self._heading: str | None = None
        self._in_h3 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag == "div" and cls == "pagebreak":
            self.done = True
        if self.done:
            return
        if tag == "p":
            self.classes.append(cls)
        if tag == "h3":
            self._in_h3 = True
            self._heading = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self._in_h3 = False

    def handle_data(self, data: str) -> None:
        if self.done:
            return
        self.text.append(data)
        if self._in_h3 and self._heading is not None:
            self._heading += data
            self.sections.setdefault(self._heading, [])
        elif self._heading is not None:
            self.sections.setdefault(self._heading, []).append(data)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory,
          signer: ReportSigner) -> dict[str, dict[str, str]]:
    """Page one of the demonstration report (declared name) and of the trusted one, in en
    and zh: {"demo-en": {"pdf": text, "html": text}, ...}; HTML sections kept too."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = tmp_path_factory.mktemp("page-one")
    texts: dict[str, dict[str, str]] = {}
    for name, result in (("demo", _declared(make_result())),
                         ("trusted", make_trusted_result())):
        for lang in ("en", "zh"):
            report = build_report(result, bundle=out, lang=lang, report_id="RPT-P1",
                                  now="2025-11-28T09:05:00Z", timezone=TZ)
            pdf = write_report(report, out / f"{name}-{lang}.pdf", signer=signer)
            html = write_report(report, out / f"{name}-{lang}.html", signer=None)
            first = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
                                   capture_output=True, text=True, check=True).stdout
            parser = _BeforeBreak()
            parser.feed(html.read_text(encoding="utf-8"))
            texts[f"{name}-{lang}"] = {
                "pdf": first, "html": "".join(parser.text),
                "classes": " ".join(parser.classes),
                "statements": "".join(
                    t for h, body in parser.sections.items()
                    if h.startswith(("Statements of the capturer", "采集方的陈述"))
                    for t in body),
            }
    return texts


def _both(pages: dict[str, dict[str, str]], key: str) -> list[tuple[str, str]]:
    return [(fmt, _squash(pages[key][fmt])) for fmt in ("pdf", "html")]


@pytest.mark.parametrize("key", ["demo-en", "demo-zh"])
def test_who_captured(pages: dict[str, dict[str, str]], key: str) -> None:
    label = "Name (declared)" if key.endswith("en") else "姓名（自行声明）"
    for fmt, text in _both(pages, key):
        for token in (NAME, ORG, CAPTURER_FP, label):
            assert _squash(token) in text, (fmt, token)


@pytest.mark.parametrize("key", ["demo-en", "demo-zh"])
def test_when_in_utc_and_the_chosen_zone(pages: dict[str, dict[str, str]], key: str) -> None:
    for fmt, text in _both(pages, key):
        for token in ("2025-11-27T21:55:00Z", "2025-11-28 05:55 Asia/Shanghai",  # capture
                      "2025-11-27T22:00:00Z", "2025-11-28 06:00 Asia/Shanghai",  # anchor
                      "2025-11-27T22:01:00Z", "2025-11-27T22:04:00Z",  # confirmations
                      "2025-11-28T09:00:00Z"):  # verification
            assert _squash(token) in text, (fmt, token)
        counted = "3 of 4 counted" if key.endswith("en") else "共4项，策略计入3项"
        assert _squash(counted) in text, fmt


@pytest.mark.parametrize("key", ["demo-en", "demo-zh"])
def test_what_was_preserved(pages: dict[str, dict[str, str]], key: str) -> None:
    en = key.endswith("en")
    counts = ("4 items: 2 files (1 images), 2 records" if en
              else "共 4 个条目：2 个文件（其中图片 1 个），2 条记录")
    export = ("Export transactions.csv: 2 records" if en
              else "导出文件 transactions.csv：2 条记录")
    for fmt, text in _both(pages, key):
        assert _squash(counts) in text, fmt
        assert _squash(export) in text, fmt


@pytest.mark.parametrize("key", ["demo-en", "demo-zh", "trusted-en", "trusted-zh"])
def test_what_is_shown_and_what_is_not(pages: dict[str, dict[str, str]], key: str) -> None:
    en = key.endswith("en")
    demo = key.startswith("demo")
    # A demonstration's block time is never said to show when the bytes existed.
    anchor = (("a development chain or demonstration one party controls",
               "该链为由单一方控制的开发链或演示") if demo
              else ("the bytes existed no later than then", "上述字节不晚于该时间即已存在"))
    tokens = (("What this verification shows", "What it does not show",
               "That the content is true", "That the material was authentic before capture",
               anchor[0])
              if en else ("本次核验所能证明的", "本次核验不能证明的", "内容是否真实",
                          "材料在采集之前是否真实", anchor[1]))
    for fmt, text in _both(pages, key):
        for token in tokens:
            assert _squash(token) in text, (fmt, token)


def test_one_verdict_statement_naming_policy_profile_and_demonstration(
        pages: dict[str, dict[str, str]]) -> None:
    expected = {
        "demo-en": ("DEMONSTRATION ONLY — no evidential value", "hague-3",
                    "workspace-demonstration"),
        "demo-zh": ("仅为演示，无证据价值", "hague-3", "workspace-demonstration"),
        "trusted-en": ("Presumed not altered since anchoring (rebuttable)", "hague-3",
                       "example-consortium", "not a demonstration"),
        "trusted-zh": ("推定锚定后未经篡改（可反驳）", "hague-3", "example-consortium",
                       "非演示"),
    }
    for key, tokens in expected.items():
        verdict_boxes = [c for c in pages[key]["classes"].split(" ") if c in
                         ("good", "bad", "caution")]
        assert len(verdict_boxes) == 1, key  # one statement, one box
        for fmt, text in _both(pages, key):
            for token in tokens:
                assert _squash(token) in text, (key, fmt, token)
    # a demonstration is never green; nothing on page one says "presumed authentic"
    assert "good" not in pages["demo-en"]["classes"].split(" ")
    assert "good" in pages["trusted-en"]["classes"].split(" ")
    for key in expected:
        for fmt, text in _both(pages, key):
            assert "Presumedauthentic" not in text and "推定真实" not in text, (key, fmt)


@pytest.mark.parametrize("key", ["demo-en", "demo-zh"])
def test_capturer_statements_are_labelled(pages: dict[str, dict[str, str]], key: str) -> None:
    label = ("Statements of the capturer (recorded at capture, not verified)"
             if key.endswith("en") else "采集方的陈述（采集时记录，未经核实）")
    under = _squash(pages[key]["statements"])
    for token in (NOTE, URL, "ExampleMart", "2026-CN-0042"):
        assert _squash(token) in under, token
    pdf = _squash(pages[key]["pdf"])
    assert _squash(label) in pdf
    # in the PDF the note and the URL come only after that label
    assert pdf.index(_squash(label)) < pdf.index(_squash(NOTE))
    assert pdf.index(_squash(label)) < pdf.index(_squash(URL))


def test_unknown_time_zone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="time zone"):
        build_report(make_result(), bundle=tmp_path, timezone="Mars/Olympus")


def test_declared_identity_from_a_real_capture(tmp_path: Path, signing_key: object) -> None:
    """`evidence capture --capturer-name --organisation` records them in the signed
    provenance; the report shows them as declared, beside the key."""
    from evidence.capturing.pipeline import capture
    from evidence.report.html import render_html
    from evidence.verification.verifier import verify

    from ..conftest import EXAMPLES

    out = tmp_path / "bundle"
    capture([EXAMPLES / "screenshots"], records=[EXAMPLES / "transactions.csv"], out=out,
            case="2026-TEST-9", key=signing_key,  # type: ignore[arg-type]
            capturer_name=NAME, organisation=ORG)
    result = verify(out, offline=True)
    assert result.provenance["capturer"]["name"] == NAME
    report = build_report(result, bundle=out, lang="en")
    parser = _BeforeBreak()
    parser.feed(render_html(report).decode("utf-8"))
    first = _squash("".join(parser.text))
    assert _squash(f"Name (declared){NAME}") in first
    assert _squash(f"Organisation (declared){ORG}") in first
    assert not [f.code for f in result.findings if f.severity.value == "error"]
    # the capture environment, recorded at capture, has a section of its own
    import platform

    env = dict(report.provenance.environment)
    assert env["machine"] == platform.machine() and env["python"] == platform.python_version()
    page = render_html(report).decode("utf-8")
    assert '<h2 id="environment">Capture environment</h2>' in page
    assert platform.machine() in page.split('id="environment"')[1].split("<h2")[0]


def test_summary_labels_the_capturers_statements(tmp_path: Path) -> None:
    """The capturer's note and source URL are not findings: the summary says whose they are."""
    from html import unescape

    from evidence.report.html import render_html

    page = unescape(render_html(build_report(make_result(), bundle=tmp_path, lang="en"))
                    .decode("utf-8"))
    summary = page.split('id="summary"')[1].split("<h2")[0]
    mono = ' class="mono"'
    for label, value in (("Note", NOTE), ("Source URL", URL), ("Platform", "ExampleMart")):
        cell = mono if label == "Source URL" else ""
        assert (f"<th>{label} (the capturer's statement, not verified)</th>"
                f"<td{cell}>{value}</td>" in summary), label
