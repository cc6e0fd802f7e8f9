"""The token checks one at a time on real tokens from the test TSA, changed with asn1crypto:
the ESS signing-certificate attribute (RFC 3161 §2.4.1, RFC 5816) and the clock consistency
rule (capture time ≤ TSA time ≤ block time + window for a token taken before anchoring)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from evidence.timestamps.check import TimestampCheck, TimestampReport, _consistency
from evidence.timestamps.client import request_timestamp
from evidence.timestamps.token import TokenFacts, TokenProblem, check_integrity, parse_token

from .tsa import LocalTsa

MESSAGE = b'{"root.json":"bytes"}\n'


@pytest.fixture(scope="module")
def token(tsa: LocalTsa) -> TokenFacts:
    return request_timestamp(MESSAGE, tsa.url())


def _changed_ess(raw: bytes, change: str) -> bytes:
    from asn1crypto import tsp

    resp = tsp.TimeStampResp.load(raw)
    signer = resp["time_stamp_token"]["content"]["signer_infos"][0]
    attrs = list(signer["signed_attrs"])
    names = [a["type"].native for a in attrs]
    at = next(i for i, n in enumerate(names) if n.startswith("signing_certificate"))
    if change == "drop":
        del attrs[at]
    else:
        certid = attrs[at]["values"][0]["certs"][0]
        certid["cert_hash"] = bytes(b ^ 0xFF for b in certid["cert_hash"].native)
    signer["signed_attrs"] = attrs
    return bytes(resp.dump(force=True))


@pytest.mark.parametrize(("change", "code"), [("drop", "timestamp-ess-missing"),
                                              ("other-cert", "timestamp-ess-mismatch")])
def test_the_ess_signing_certificate_attribute_is_required_and_must_name_the_signer(
        token: TokenFacts, change: str, code: str) -> None:
    check_integrity(token, MESSAGE)  # the genuine token passes
    changed = parse_token(_changed_ess(token.raw, change))
    with pytest.raises(TokenProblem) as caught:
        check_integrity(changed, MESSAGE)
    assert caught.value.code == code


def _report(facts: TokenFacts, *, before: bool) -> TimestampReport:
    report = TimestampReport()
    report.checks.append(TimestampCheck("evidence/timestamps/1-x.tsr", facts, "trusted",
                                        tsa="T", before_anchor=before))
    return report


def _unix(facts: TokenFacts, shift: timedelta) -> int:
    return int((facts.gen_time + shift).timestamp())


@pytest.mark.parametrize(("captured", "block", "before", "agree"), [
    (timedelta(seconds=-5), timedelta(seconds=30), True, True),      # the usual order
    (timedelta(seconds=-5), timedelta(seconds=-500), True, True),    # within the window
    (timedelta(seconds=-5), timedelta(days=-400), True, False),      # the chain says earlier
    (timedelta(hours=2), timedelta(hours=3), True, False),           # captured after the TSA
    (timedelta(days=-401), timedelta(days=-400), False, True),       # token after anchoring
    (timedelta(seconds=-5), timedelta(hours=2), False, False),       # block after a later token
])
def test_clock_consistency(token: TokenFacts, captured: timedelta, block: timedelta,
                           before: bool, agree: bool) -> None:
    report = _report(token, before=before)
    _consistency(report, _unix(token, captured), _unix(token, block), True, 600)
    codes = {f.code for f in report.findings}
    assert report.consistent is agree
    assert ("timestamp-clock-disagreement" in codes) is not agree


def test_offline_block_time_is_shown_not_judged(token: TokenFacts) -> None:
    report = _report(token, before=True)
    _consistency(report, None, _unix(token, timedelta(days=-400)), False, 600)
    assert report.consistent and [f.code for f in report.findings] == [
        "timestamp-beside-block-time"]
