"""Red-team checks of the Chinese report's policy rules: a Chinese rule never drops a
caveat the English one states (a counted State's entry-into-force date not verified)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from evidence.report.model import _rule_zh
from evidence.result import VerificationResult

#: Witnesses as the verification lists them: DE counted with a date from a secondary
#: source, FR excluded (Convention not yet in force on the day it confirmed).
WITNESSES: list[dict[str, Any]] = [
    {"address": "0x" + "11" * 20, "jurisdiction": "DE", "in_force_date": "1979-06-26",
     "in_force_date_status": "secondary", "reason_code": None},
    {"address": "0x" + "22" * 20, "jurisdiction": "FR", "in_force_date": "1974-10-07",
     "in_force_date_status": "verified", "reason_code": "not-in-force-yet"},
]

NOTE = (" Entry-into-force date unverified for DE (counted as Contracting States; this "
        "policy does not require verified dates): DE 1979-06-26 (secondary source).")


def _result() -> VerificationResult:
    return cast("VerificationResult", SimpleNamespace(witnesses=WITNESSES))


@pytest.mark.parametrize("message", [
    # the policy does not check the Convention in force at confirmation, but counts DE
    "Not checked: this policy does not require the Convention to be in force at "
    "confirmation time." + NOTE,
    # FR excluded for the date, and DE counted with an unverified date
    "1 of 2 confirmations not counted: Convention not yet in force for that State on the "
    "day of confirmation: 0x" + "22" * 20 + " (FR)." + NOTE,
], ids=["not-checked", "with-exclusion"])
def test_zh_in_force_keeps_unverified_date_caveat(message: str) -> None:
    """policy-in-force: whatever else the rule says, the Chinese names the counted States
    whose entry-into-force date is not verified, as the English does (evidence.policy.
    evaluate appends that note to every form of the message)."""
    zh = _rule_zh("policy-in-force", "info", message, {"name": "hague-3"}, _result())
    assert "DE" in zh and "未经官方来源核实" in zh, zh


def test_zh_capture_time_not_utc_is_not_called_later_than_anchor() -> None:
    """policy-capture-time, when the signed capture time is not a UTC time: the English
    says it cannot be checked; the Chinese must not say the capture followed the anchor
    (a claim the evidence does not show) nor print placeholders for the times."""
    message = ("Not held: the capture time the capturer signed, 'yesterday', is not a UTC "
               "time (YYYY-MM-DDTHH:MM:SSZ), so it cannot be checked against the anchor's "
               "block time.")
    zh = _rule_zh("policy-capture-time", "warning", message, {"name": "hague-3"}, _result())
    assert "晚于" not in zh and "—" not in zh and "无法" in zh, zh


@pytest.mark.parametrize("profile", ["演示-court", "DEMONSTRATION-court"])
def test_page_one_says_demonstration_whatever_the_profile_is_named(profile: str) -> None:
    """Under a demonstration profile, a verdict other than the demonstration's own (here
    no presumption) gets "a DEMONSTRATION" / "仅为演示" on page one in both languages, even
    when the profile's name (chosen by its publisher) contains the word."""
    from evidence.report.model import Report, _verdict
    from evidence.report.pageone import verdict_statement

    result = cast("VerificationResult", SimpleNamespace(
        verdict=SimpleNamespace(value="not-presumed"), demonstration=True,
        trust={"name": profile}, policy={"name": "hague-3"}))
    report = cast("Report", SimpleNamespace(
        lang="en+zh", policy=SimpleNamespace(name="hague-3"),
        trust=SimpleNamespace(name=profile), verdict=_verdict(result, ("en", "zh")),
        demonstration=True, development_chain=True))
    en, zh = verdict_statement(report)
    assert "a DEMONSTRATION without evidential value" in en, en
    assert "仅为演示，不具有证据价值" in zh, zh
