"""RFC 3161 timestamps against a real TSA (openssl ts -reply on 127.0.0.1): taking them,
every bad answer refused with the bundle unchanged, verification under the verifier's trust
profile (pinned, unpinned, tampered, malformed), offline statements, and the CLI."""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess
from pathlib import Path

import pytest

from evidence.bundle.custody import read_custody
from evidence.errors import TimestampAuthorityError, VerificationError
from evidence.findings import Severity
from evidence.keys import SigningKey
from evidence.timestamps import timestamp_bundle
from evidence.verification.verifier import verify

from ..conftest import REPO, run_cli
from .conftest import snapshot
from .tsa import LocalTsa, pin_toml

MINIMAL_PROFILE = REPO / "tests" / "assets" / "trust" / "good" / "minimal.toml"


def profile(tmp_path: Path, *pins: str) -> Path:
    """The minimal court profile plus ``pins`` (``[[timestamp_authorities]]`` entries)."""
    path = tmp_path / "court.toml"
    path.write_text(MINIMAL_PROFILE.read_text(encoding="utf-8") + "".join(pins),
                    encoding="utf-8")
    return path


def findings(result: object, code: str) -> list[object]:
    return [f for f in result.findings if f.code == code]  # type: ignore[attr-defined]


# -- taking timestamps ----------------------------------------------------------------------


def test_timestamp_is_stored_recorded_and_rechecks_with_openssl(
        bundle: Path, tsa: LocalTsa, signing_key: SigningKey) -> None:
    [stored] = timestamp_bundle(bundle, [tsa.url()], key=signing_key)
    token = bundle / stored.file
    assert stored.file.startswith("evidence/timestamps/1-127.0.0.1") and token.is_file()
    entry = read_custody(bundle / "evidence" / "custody.jsonl")[-1]
    assert entry.action == "timestamped"
    assert entry.details["token_sha256"] == hashlib.sha256(token.read_bytes()).hexdigest()
    assert entry.details["message"] == "evidence/root.json"
    listed = (bundle / "tagmanifest-sha256.txt").read_text()
    assert stored.file in listed and "evidence/custody.jsonl" in listed
    # Intact bundle: no finding is an error.
    result = verify(bundle, offline=True)
    assert not [f for f in result.findings if f.severity is Severity.ERROR], result.findings
    # The re-check instruction the result (and the reports) give works with OpenSSL alone,
    # run in the bundle folder with the TSA's root as the verifier's profile holds it.
    command = result.timestamps[0]["recheck"]
    assert "-attime " in command
    root_pem = tsa.signers["a"].folder / "root.pem"
    argv = [str(root_pem) if a == "tsa-root.pem" else a for a in shlex.split(command)]
    done = subprocess.run(argv, cwd=bundle, capture_output=True, text=True)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
    rogue_root = tsa.signers["rogue"].folder / "root.pem"
    argv = [str(rogue_root) if a == "tsa-root.pem" else a for a in shlex.split(command)]
    assert subprocess.run(argv, cwd=bundle, capture_output=True).returncode != 0


def test_several_tsas_each_give_a_token(bundle: Path, tsa: LocalTsa,
                                        signing_key: SigningKey) -> None:
    stored = timestamp_bundle(bundle, [tsa.url("/tsa"), tsa.url("/tsa-b")], key=signing_key,
                              algorithm="sha512")
    assert [s.file.split("/")[-1][:2] for s in stored] == ["1-", "2-"]
    assert {s.facts.signer_subject for s in stored} == {"CN=Test TSA A,O=evidence tests",
                                                         "CN=Test TSA B,O=evidence tests"}
    assert all(s.facts.hash_algorithm == "sha512" for s in stored)
    again = timestamp_bundle(bundle, [tsa.url()], key=signing_key)
    assert again[0].file.split("/")[-1].startswith("3-")


@pytest.mark.parametrize(("route", "error", "says"), [
    ("/reject", VerificationError, "timestamp-rejected"),
    ("/wrong-imprint", VerificationError, "timestamp-imprint-mismatch"),
    ("/wrong-nonce", VerificationError, "timestamp-nonce-mismatch"),
    ("/expired", VerificationError, "timestamp-tsa-cert-expired"),
    ("/garbage", VerificationError, "timestamp-malformed"),
    ("/truncated", VerificationError, "timestamp-malformed"),
    ("/http500", TimestampAuthorityError, "HTTP error 500"),
    ("unreachable", TimestampAuthorityError, "unreachable"),
])
def test_every_bad_answer_is_refused_and_the_bundle_is_unchanged(
        bundle: Path, tsa: LocalTsa, signing_key: SigningKey, route: str,
        error: type[Exception], says: str) -> None:
    before = snapshot(bundle)
    url = "http://127.0.0.1:9/tsr" if route == "unreachable" else tsa.url(route)
    # A good TSA first: it must not be written either when another one fails.
    with pytest.raises(error) as caught:
        timestamp_bundle(bundle, [tsa.url(), url], key=signing_key)
    message = str(caught.value)
    assert says in message and "\n" not in message and url in message
    assert snapshot(bundle) == before


# -- verification ---------------------------------------------------------------------------


def test_pinned_tsa_counts_and_offline_says_existed_no_later_than(
        bundle: Path, tsa: LocalTsa, signing_key: SigningKey, tmp_path: Path) -> None:
    [stored] = timestamp_bundle(bundle, [tsa.url()], key=signing_key)
    court = profile(tmp_path, pin_toml("Test TSA", tsa.signers["a"], qualified=True))
    result = verify(bundle, offline=True, trust=court)
    [ok] = findings(result, "timestamp-ok")
    when = stored.facts.to_json()["gen_time"]
    assert f"existed no later than {when} (qualified TSA Test TSA" in ok.message  # type: ignore[attr-defined]
    [shown] = result.timestamps
    assert shown["status"] == "trusted" and shown["qualified"] is True
    assert shown["serial"] == f"{stored.facts.serial:x}" and shown["policy"]
    assert shown["recheck"].startswith("openssl ts -verify -data evidence/root.json -in ")
    assert json.loads(json.dumps(result.to_json()))["timestamps"][0]["tsa"] == "Test TSA"
    import jsonschema

    schema = json.loads((REPO / "evidence" / "schemas" /
                         "verification-result.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(result.to_json())


def test_token_from_an_unpinned_tsa_is_a_finding_never_trust(
        bundle: Path, tsa: LocalTsa, signing_key: SigningKey, tmp_path: Path) -> None:
    # The capturer runs its own TSA: a genuine, intact token that no verifier pinned.
    timestamp_bundle(bundle, [tsa.url("/rogue")], key=signing_key)
    court = profile(tmp_path, pin_toml("Test TSA", tsa.signers["a"]))
    result = verify(bundle, offline=True, trust=court)
    assert findings(result, "timestamp-tsa-not-pinned") and not findings(result, "timestamp-ok")
    assert result.timestamps[0]["status"] == "not-pinned"
    # Without any profile: shown, not counted either.
    bare = verify(bundle, offline=True)
    assert findings(bare, "timestamp-tsa-not-pinned") and not findings(bare, "timestamp-ok")


def test_pinned_certificate_and_period_restrict_the_pin(
        bundle: Path, tsa: LocalTsa, signing_key: SigningKey, tmp_path: Path) -> None:
    timestamp_bundle(bundle, [tsa.url("/tsa-b")], key=signing_key)
    # Same root, but the pin names TSA A's certificate: TSA B's token does not count.
    only_a = profile(tmp_path, pin_toml("TSA A only", tsa.signers["a"], certificate=True))
    assert verify(bundle, offline=True, trust=only_a).timestamps[0]["status"] == "not-pinned"
    # A pin whose period ended before the token's genTime.
    old = profile(tmp_path, pin_toml("Old", tsa.signers["b"], until="2021-01-01T00:00:00Z"))
    result = verify(bundle, offline=True, trust=old)
    assert result.timestamps[0]["status"] == "outside-period"
    assert findings(result, "timestamp-outside-pin-period")


def test_one_changed_byte_of_a_token_fails_naming_it(
        bundle: Path, tsa: LocalTsa, signing_key: SigningKey, tmp_path: Path) -> None:
    from evidence.standards.bagit import write_tag_manifests

    [stored] = timestamp_bundle(bundle, [tsa.url()], key=signing_key)
    token = bundle / stored.file
    data = bytearray(token.read_bytes())
    data[-20] ^= 0x01  # inside the signature value
    token.write_bytes(bytes(data))
    write_tag_manifests(bundle)  # the tag manifests are unsigned: an attacker redoes them
    court = profile(tmp_path, pin_toml("Test TSA", tsa.signers["a"]))
    result = verify(bundle, offline=True, trust=court)
    assert result.verdict.value == "failed"
    named = {f.code for f in result.findings if f.subject == stored.file
             and f.severity is Severity.ERROR}
    assert "timestamp-unrecorded" in named and "timestamp-signature-invalid" in named


@pytest.mark.parametrize(("change", "code"), [
    (lambda raw: raw[:-7], "timestamp-malformed"),
    (lambda raw: raw + b"\x00", "timestamp-malformed"),
])
def test_truncated_or_trailing_garbage_token_in_a_bundle_is_named(
        bundle: Path, tsa: LocalTsa, signing_key: SigningKey, change: object,
        code: str) -> None:
    from evidence.standards.bagit import write_tag_manifests

    [stored] = timestamp_bundle(bundle, [tsa.url()], key=signing_key)
    token = bundle / stored.file
    token.write_bytes(change(token.read_bytes()))  # type: ignore[operator]
    write_tag_manifests(bundle)
    result = verify(bundle, offline=True)
    assert result.verdict.value == "failed"
    assert any(f.code == code and f.subject == stored.file for f in result.findings)


def test_a_token_slipped_in_or_removed_after_timestamping_is_caught(
        bundle: Path, tsa: LocalTsa, signing_key: SigningKey, tmp_path: Path) -> None:
    from evidence.standards.bagit import write_tag_manifests

    [stored] = timestamp_bundle(bundle, [tsa.url()], key=signing_key)
    token = bundle / stored.file
    extra = token.with_name("2-127.0.0.1.tsr")
    extra.write_bytes(token.read_bytes())
    write_tag_manifests(bundle)
    assert any(f.code == "timestamp-unrecorded" for f in verify(bundle, offline=True).findings)
    extra.unlink()
    token.unlink()
    write_tag_manifests(bundle)
    assert any(f.code == "timestamp-missing" for f in verify(bundle, offline=True).findings)


# -- command line ---------------------------------------------------------------------------


def test_cli_timestamp_and_one_line_errors(tsa: LocalTsa, workspace: Path, bundle: Path) -> None:
    done = run_cli("-w", str(workspace), "timestamp", str(bundle), "--tsa", tsa.url(), "--json")
    assert done.returncode == 0, done.stderr
    [token] = json.loads(done.stdout)["timestamps"]
    assert (bundle / token["file"]).is_file() and token["tsa_name"]
    before = snapshot(bundle)
    for url, code in (("http://127.0.0.1:9/", 3), (tsa.url("/wrong-nonce"), 1),
                      ("ftp://example.org/", 2)):
        bad = run_cli("-w", str(workspace), "timestamp", str(bundle), "--tsa", url)
        assert bad.returncode == code, bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
    assert snapshot(bundle) == before


def test_a_disclosure_package_carries_the_bundles_timestamps(
        bundle: Path, tsa: LocalTsa, signing_key: SigningKey, tmp_path: Path) -> None:
    from evidence.disclosure import disclose
    from evidence.standards.bagit import write_tag_manifests

    [stored] = timestamp_bundle(bundle, [tsa.url()], key=signing_key)
    package = disclose(bundle, "F-1", out=tmp_path / "package", key=signing_key)
    assert (package / stored.file).read_bytes() == (bundle / stored.file).read_bytes()
    court = profile(tmp_path, pin_toml("Test TSA", tsa.signers["a"]))
    result = verify(package, offline=True, trust=court)
    assert result.package == "disclosure"
    assert findings(result, "timestamp-ok")
    assert not [f for f in result.findings if f.severity is Severity.ERROR], result.findings
    # The signed disclosure entry lists the token: another one slipped in is caught.
    (package / stored.file).with_name("2-127.0.0.1.tsr").write_bytes(
        (package / stored.file).read_bytes())
    write_tag_manifests(package)
    assert findings(verify(package, offline=True, trust=court), "timestamp-unrecorded")


def test_disclosure_refuses_a_changed_token(bundle: Path, tsa: LocalTsa,
                                            signing_key: SigningKey, tmp_path: Path) -> None:
    from evidence.disclosure import disclose

    [stored] = timestamp_bundle(bundle, [tsa.url()], key=signing_key)
    token = bundle / stored.file
    token.write_bytes(token.read_bytes()[:-1] + bytes([token.read_bytes()[-1] ^ 1]))
    with pytest.raises(VerificationError) as caught:
        disclose(bundle, "F-1", out=tmp_path / "package", key=signing_key)
    assert stored.file in str(caught.value) and not (tmp_path / "package").exists()


def test_cli_verify_and_trust_show_list_the_timestamps(
        tsa: LocalTsa, bundle: Path, signing_key: SigningKey, tmp_path: Path) -> None:
    [stored] = timestamp_bundle(bundle, [tsa.url()], key=signing_key)
    court = profile(tmp_path, pin_toml("Court TSA", tsa.signers["a"], qualified=True))
    done = run_cli("verify", str(bundle), "--offline", "--trust", str(court))
    assert done.returncode == 1, done.stderr  # offline: never presumed
    when = stored.facts.to_json()["gen_time"]
    assert f"{when}  Court TSA (qualified)" in done.stdout and "trusted" in done.stdout
    shown = run_cli("trust", "show", str(court))
    assert "Timestamp authorities (1):" in shown.stdout and "Court TSA  (qualified)" in shown.stdout


def test_a_rogue_token_carrying_roots_in_its_certificate_bag_is_not_trusted(
        tsa: LocalTsa) -> None:
    """The certificate bag is outside the signature: a capturer can put any root in it, the
    court's own included. Only the verifier's pinned root anchors the chain."""
    from asn1crypto import tsp
    from asn1crypto import x509 as a_x509
    from cryptography.hazmat.primitives.serialization import Encoding

    from evidence.timestamps.client import request_timestamp
    from evidence.timestamps.token import TokenProblem, check_against_pin, parse_token

    rogue = request_timestamp(b"root.json bytes", tsa.url("/rogue"))
    resp = tsp.TimeStampResp.load(rogue.raw)
    signed = resp["time_stamp_token"]["content"]
    court_root = tsa.signers["a"].root
    signed["certificates"] = [*signed["certificates"],
                              *(a_x509.Certificate.load(c.public_bytes(Encoding.DER))
                                for c in (tsa.signers["rogue"].root, court_root))]
    facts = parse_token(resp.dump(force=True))
    with pytest.raises(TokenProblem) as caught:
        check_against_pin(facts, b"root.json bytes", root=court_root)
    assert caught.value.code == "timestamp-untrusted"
    check_against_pin(facts, b"root.json bytes", root=tsa.signers["rogue"].root)


@pytest.mark.parametrize("name", ["1-tsa.example.org.tsr", "64-127.0.0.1.tsr", "0-x.tsr",
                                  "1-X.tsr", "1-tsa.tsr.bak", "1-.tsr", "12345-a.tsr"])
def test_the_integrity_check_and_the_writer_agree_on_token_names(name: str) -> None:
    from evidence.bundle.integrity import _TIMESTAMP_FILE
    from evidence.timestamps.stamping import TIMESTAMP_NAME, TIMESTAMPS_DIR

    written = TIMESTAMP_NAME.fullmatch(name) is not None
    assert (_TIMESTAMP_FILE.fullmatch(f"{TIMESTAMPS_DIR}/{name}") is not None) == written
