"""The capture-environment record compares the machine clock with a real RFC 3161 TSA
(``openssl ts -reply`` on 127.0.0.1, tests/timestamps/tsa.py); no browser is needed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidence.webcapture.environment import tsa_comparison

from ..timestamps.tsa import LocalTsa, start_tsa


@pytest.fixture(scope="module")
def local_tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTsa]:
    server = start_tsa(tmp_path_factory.mktemp("tsa"))
    yield server
    server.stop()


def test_the_machine_clock_against_the_tsa(local_tsa: LocalTsa) -> None:
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = tsa_comparison(local_tsa.url(), started)
    assert record["status"] == "compared", record
    assert record["tsa"] == local_tsa.url() and "TSA" in str(record["tsa_signer"])
    # the same machine runs the TSA: the clocks agree within the TSA's whole seconds
    assert abs(record["machine_minus_tsa_seconds"]) < 2.0
    tsa_time = datetime.strptime(record["tsa_time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert abs(tsa_time.replace(tzinfo=UTC).timestamp() - time.time()) < 60
    assert record["round_trip_seconds"] >= 0


def test_a_tsa_that_fails_is_recorded_and_the_capture_goes_on(local_tsa: LocalTsa) -> None:
    refused = tsa_comparison(local_tsa.url("/wrong-nonce"), "2026-01-01T00:00:00Z")
    assert refused["status"] == "failed" and "nonce" in refused["reason"]
    unreachable = tsa_comparison("http://127.0.0.1:9/tsr", "2026-01-01T00:00:00Z")
    assert unreachable["status"] == "failed" and "unreachable" in unreachable["reason"]


def test_no_tsa_says_so() -> None:
    record = tsa_comparison(None, "2026-01-01T00:00:00Z")
    assert record["status"] == "not configured" and "--tsa" in record["reason"]


def test_schema_accepts_the_statuses(tmp_path: Path) -> None:
    import json

    import jsonschema

    schema = json.loads((Path(__file__).parents[2] / "evidence" / "schemas"
                         / "web-environment.schema.json").read_text(encoding="utf-8"))
    status = schema
    for key in ("properties", "clock", "properties", "tsa_comparison", "properties",
                "status"):
        status = status[key]
    for value in ("not configured", "compared", "failed"):
        jsonschema.validate(value, status)
