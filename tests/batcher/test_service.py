"""The batcher's HTTP service and journal, offline (no chain): what it accepts, what it
refuses (4xx with a one-line JSON error), and what survives a restart."""

from __future__ import annotations

import http.client
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evidence.batcher.protocol import MAX_REQUEST_BYTES, BatchProof, sign_submission
from evidence.batcher.service import BatcherSettings, BatcherState, _Handler, _Server
from evidence.bundle.receipts import batch_leaf
from evidence.keys import SigningKey
from evidence.standards.merkle import root_from_inclusion_proof

ROOTS = [bytes([i]) * 32 for i in range(1, 4)]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[_Server, BatcherState]]:
    state = BatcherState(tmp_path / "batcher", BatcherSettings(interval_s=3600, max_roots=100))
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state, server.info = state, {"type": "info"}
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server, state
    server.shutdown()
    server.server_close()


def _call(server: _Server, method: str, path: str, body: bytes | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw), raw
    finally:
        conn.close()


def _submit(server: _Server, key: SigningKey, roots: list[bytes]) -> tuple[int, Any, bytes]:
    body = sign_submission(roots, key, "2026-12-02T00:00:00Z").to_bytes()
    return _call(server, "POST", "/v1/submit", body)


def _refused(result: tuple[int, Any, bytes], status: int, words: str) -> None:
    code, doc, raw = result
    assert code == status, doc
    assert set(doc) == {"error"} and words in doc["error"], doc
    assert raw.count(b"\n") == 1 and "\n" not in doc["error"]  # one line


def test_a_signed_submission_is_accepted_and_pending(
        service: tuple[_Server, BatcherState], signing_key: SigningKey) -> None:
    server, state = service
    code, doc, _ = _submit(server, signing_key, ROOTS)
    assert code == 202 and [r["status"] for r in doc["roots"]] == ["pending"] * 3
    code, doc, _ = _call(server, "GET", f"/v1/proof/{ROOTS[0].hex()}")
    assert code == 200 and BatchProof.from_json(doc).status == "pending"
    assert set(state.pending) == set(ROOTS)


def test_a_submission_whose_signature_fails_is_refused(
        service: tuple[_Server, BatcherState], signing_key: SigningKey) -> None:
    server, state = service
    doc = sign_submission(ROOTS, signing_key, "2026-12-02T00:00:00Z").to_json()
    doc["statement"]["roots"][0] = "ff" * 32  # a root the capturer did not sign
    _refused(_call(server, "POST", "/v1/submit", json.dumps(doc).encode()), 400,
             "signature over the submission does not verify")
    assert not state.pending


@pytest.mark.parametrize(("body", "words"), [
    (b"{not json", "request"),
    (b"[]", "not a JSON object"),
    (b'{"version": 1}', "fields differ"),
])
def test_malformed_submissions_are_refused(service: tuple[_Server, BatcherState],
                                           body: bytes, words: str) -> None:
    server, state = service
    _refused(_call(server, "POST", "/v1/submit", body), 400, words)
    assert not state.pending


def test_too_large_and_unknown_requests_are_refused(
        service: tuple[_Server, BatcherState]) -> None:
    server, _ = service
    _refused(_call(server, "POST", "/v1/submit", b"x",
                   {"Content-Length": str(MAX_REQUEST_BYTES + 1)}), 413, "larger than")
    _refused(_call(server, "GET", "/v1/nothing"), 404, "no such endpoint")
    _refused(_call(server, "GET", "/v1/proof/xyz"), 400, "64 lowercase hex")
    _refused(_call(server, "GET", f"/v1/proof/{'ab' * 32}"), 404, "never submitted")


def test_a_key_not_allowed_is_refused(tmp_path: Path, signing_key: SigningKey) -> None:
    state = BatcherState(tmp_path / "b", BatcherSettings(allowed=frozenset({"sha256:00"})))
    server = _Server(("127.0.0.1", 0), _Handler)
    server.state, server.info = state, {}
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        _refused(_submit(server, signing_key, ROOTS), 403, "is not accepted")
    finally:
        server.shutdown()
        server.server_close()
    assert not state.pending


def test_pending_roots_and_batches_survive_a_restart(tmp_path: Path,
                                                     signing_key: SigningKey) -> None:
    folder = tmp_path / "batcher"
    settings = BatcherSettings(interval_s=3600, max_roots=3)
    state = BatcherState(folder, settings)
    state.accept(sign_submission(ROOTS[:2], signing_key, "t"))
    assert set(BatcherState(folder, settings).pending) == set(ROOTS[:2])  # a restart
    state.accept(sign_submission(ROOTS, signing_key, "t"))  # the third root fills a batch
    journaled = {p: p.read_bytes() for p in (folder / "pending").iterdir()}
    doc = state.next_batch(threading.Event())
    assert doc is not None and doc["status"] == "built"
    # A kill after the batch was written but before the pending files went: put them back.
    for path, data in journaled.items():
        path.write_bytes(data)
    again = BatcherState(folder, settings)  # a restart before the transaction
    assert not again.pending and not list((folder / "pending").iterdir())
    assert again.next_batch(threading.Event()) == doc  # sent first, never cut again
    again.mark_anchored(doc, chain_id=31337, contract="0x" + "ab" * 20,
                        transaction="0x" + "cd" * 32, block_number=7)
    proof = BatcherState(folder, settings).proof(ROOTS[2])
    assert proof.status == "anchored" and proof.block_number == 7
    assert root_from_inclusion_proof(batch_leaf(ROOTS[2]), proof.index, proof.batch_size,
                                     list(proof.path)) == proof.batch_root


def test_a_stalled_sender_is_dropped_and_the_service_goes_on(
        service: tuple[_Server, BatcherState], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    import socket

    server, _ = service
    caplog.set_level(logging.INFO, logger="evidence")
    # The service's own timeout, shortened (a service without one would wait forever).
    monkeypatch.setattr(_Handler, "timeout", _Handler.timeout and 0.3)
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=10) as s:
        s.sendall(b"POST /v1/submit HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        assert s.recv(1024) == b""  # closed by the server, nothing answered
    logged = [r.getMessage() for r in caplog.records if r.name == "evidence.batcher.service"]
    assert logged and logged[0].startswith("dropped a request from 127.0.0.1: Request timed out")
    _refused(_call(server, "GET", "/v1/nothing"), 404, "no such endpoint")


def test_the_wire_formats_match_their_schema(service: tuple[_Server, BatcherState],
                                             signing_key: SigningKey) -> None:
    import jsonschema

    from evidence.batcher.protocol import Submission

    schema = json.loads((Path(__file__).resolve().parents[2] / "evidence" / "schemas" /
                         "batcher.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    server, state = service
    submission = sign_submission(ROOTS, signing_key, "2026-12-02T00:00:00Z")
    validator.validate(submission.to_json())
    _submit(server, signing_key, ROOTS)
    validator.validate(_call(server, "GET", f"/v1/proof/{ROOTS[0].hex()}")[1])  # pending
    state.settings = BatcherSettings(interval_s=0, max_roots=1)
    doc = state.next_batch(threading.Event())
    assert doc is not None
    state.mark_anchored(doc, chain_id=31337, contract="0x" + "ab" * 20,
                        transaction="0x" + "cd" * 32, block_number=7)
    anchored = _call(server, "GET", f"/v1/proof/{ROOTS[0].hex()}")[1]
    validator.validate(anchored)
    assert anchored["status"] == "anchored"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**anchored, "extra": 1})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({k: v for k, v in anchored.items() if k != "path"})
    assert Submission.from_json(submission.to_json()) == submission
