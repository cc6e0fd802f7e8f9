"""Bad input through the command line: the corpus in tests/assets/bad/ and hostile bundles.

Every committed file in ``tests/assets/bad/`` has an entry in ``EXPECTED.toml`` saying how
it is fed to ``evidence`` (``use``), the fragment expected on the one error line (or in
the verification output) and the exit code. Hostile bundles (links, FIFOs, ``..`` paths,
gigantic declared or sparse sizes) are made at test time from a fresh bundle by the
recipes in :data:`RECIPES`, one name each (links in a committed corpus are fragile).

Every run is a child process limited to :data:`ADDRESS_SPACE` bytes of memory
(``RLIMIT_AS``), with a timeout (a FIFO opened for reading would block it), and must not
print a traceback. Files outside the bundle hold :data:`SECRET`, which must never appear
in any output: links are never followed.

Decisions: evidence is never refused for its content, so a ``.png`` that is not a PNG
(or a decompression bomb) is captured as bytes, with no pixel size recorded; exports whose
records RFC 8785 would silently change are refused (exit 2); a changed or hostile bundle
gives a ``failed`` verdict (exit 1) naming the problem, and a path that is not a bundle
at all exits 2.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from evidence.standards.bagit import write_tag_manifests
from tests.conftest import PASSPHRASE

from .conftest import Bases
from .test_tamper import fix_up

BAD = Path(__file__).resolve().parents[1] / "assets" / "bad"
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads(
    (BAD / "EXPECTED.toml").read_text(encoding="utf-8"))["entry"]
#: Memory a child may map: far above what a run needs (~300 MiB), far below what reading
#: a 2 GiB sparse file whole would take.
ADDRESS_SPACE = 1536 * 1024 * 1024
#: Seconds before a child counts as hung (a FIFO opened for reading blocks for ever).
TIMEOUT_S = 120
SECRET = "DISTINCTIVE-SECRET-7f3a9c1e"
EXE = str(Path(sys.executable).with_name("evidence"))


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_limited(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``evidence ARGS`` in a child with bounded memory and time."""
    env = {**os.environ, "EVIDENCE_PASSPHRASE": PASSPHRASE}
    env.pop("EVIDENCE_WORKSPACE", None)
    try:
        return subprocess.run([EXE, *args], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT_S, preexec_fn=_limit)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"evidence {' '.join(args)} hung (> {TIMEOUT_S} s)") from exc


def check_output(proc: subprocess.CompletedProcess[str], *, exit_code: int, fragment: str,
                 stream: str) -> None:
    """Exit code, fragment on the one error line (exit 2) or in the result, no traceback,
    nothing of the secret."""
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out and "internal error" not in out, out
    assert SECRET not in out, "content from outside the bundle was read and shown"
    assert proc.returncode == exit_code, (proc.returncode, proc.stdout[-2000:], proc.stderr)
    if exit_code == 2:
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert fragment in lines[0], (fragment, lines[0])
    else:
        assert fragment in (proc.stdout if stream == "stdout" else proc.stderr), (
            fragment, proc.stdout[-3000:])


# --- the committed corpus ---------------------------------------------------------------------


def test_corpus_is_complete() -> None:
    files = sorted(p.name for p in BAD.iterdir() if p.name != "EXPECTED.toml")
    assert files == sorted(EXPECTED), (set(files) ^ set(EXPECTED))
    assert len(files) >= 40
    for name, entry in EXPECTED.items():
        assert entry["use"] in ("records", "file", "policy", "receipt", "install"), name
        assert isinstance(entry["expect"], str) and entry["expect"], name
        assert entry["exit"] in (0, 1, 2), name


@pytest.fixture(scope="module")
def capture_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evidence.workspace import init_workspace

    root = tmp_path_factory.mktemp("bad-ws") / "ws"
    init_workspace(root, PASSPHRASE)
    return root


def _install_receipt(bundle: Path, source: Path, *, rename: bool) -> None:
    """Put a corpus receipt in place of the bundle's (an overlay is merged into it); with
    ``rename`` the file name is made to match the edited receipt."""
    from evidence.bundle.receipts import receipt_filename

    target = next((bundle / "evidence" / "receipts").glob("*.json"))
    if not source.name.endswith(".overlay.json"):
        target.write_bytes(source.read_bytes())
        return
    doc = json.loads(target.read_bytes())
    for key, value in json.loads(source.read_bytes()).items():
        if value == "@DELETE@":
            doc.pop(key, None)
        else:
            doc[key] = value
    if rename:
        target.unlink()
        target = target.with_name(receipt_filename(doc["chain_id"],
                                                   bytes.fromhex(doc["batch_root"][2:])))
    target.write_text(json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_entry(name: str, capture_ws: Path, bases: Bases, tmp_path: Path) -> None:
    entry = EXPECTED[name]
    source = BAD / name
    use, code, fragment = entry["use"], entry["exit"], entry["expect"]
    stream = entry.get("stream", "stderr" if code == 2 else "stdout")
    out = tmp_path / "out"
    if use in ("records", "file"):
        args = ["capture", "--case", "BAD-1", "-o", str(out)]
        args += ["--records", str(source)] if use == "records" else [str(source)]
        proc = run_limited(*args, cwd=capture_ws)
        check_output(proc, exit_code=code, fragment=fragment, stream=stream)
        if code != 0:
            assert not out.exists()
            assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]
            assert name in proc.stderr, "the error names the file"
            return
        check = run_limited("verify", str(out), "--offline", "--json")
        assert check.returncode == 1, check.stderr  # intact, not presumed offline
        result = json.loads(check.stdout)
        assert not [f for f in result["findings"] if f["severity"] == "error"]
        if use == "file":
            (item,) = [i for i in result["items"] if i["kind"] == "file"]
            assert "image" not in item["details"], "no pixel size for a broken image"
            assert item["size"] == source.stat().st_size
        return
    bundle = tmp_path / "bundle"
    shutil.copytree(bases["example"], bundle)
    if use == "policy":
        proc = run_limited("verify", str(bundle), "--offline", "--policy", str(source))
    else:
        if use == "receipt":
            _install_receipt(bundle, source, rename=bool(entry.get("rename")))
        else:
            (bundle / entry["at"]).write_bytes(source.read_bytes())
        fix_up(bundle)
        proc = run_limited("verify", str(bundle), "--offline")
    check_output(proc, exit_code=code, fragment=fragment, stream=stream)


# --- hostile bundles made at test time --------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    """A hostile change to a fresh bundle, and what ``evidence verify`` must say."""

    make: Callable[[Path, Path], object]  # (bundle, a folder outside it)
    exit: int
    expect: str


def _secret_file(outside: Path) -> Path:
    path = outside / "secret.txt"
    path.write_text(json.dumps({"secret": SECRET}) + "\n")
    return path


def _fifo(outside: Path) -> Path:
    path = outside / "fifo"
    os.mkfifo(path)
    return path


def _replace_with_link(path: Path, target: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
    path.symlink_to(target)


def _append_manifest_line(bundle: Path, line: str) -> None:
    for alg, length in (("sha256", 64), ("sha512", 128)):
        mf = bundle / f"manifest-{alg}.txt"
        mf.write_bytes(mf.read_bytes() + f"{'0' * length}  {line}\n".encode())
    _tag_fix(bundle)


def _tag_fix(bundle: Path) -> None:
    for p in bundle.glob("tagmanifest-*.txt"):
        p.unlink()
    write_tag_manifests(bundle)


def _set_oxum(bundle: Path, value: str) -> None:
    info = bundle / "bag-info.txt"
    lines = [f"Payload-Oxum: {value}" if line.startswith("Payload-Oxum:") else line
             for line in info.read_text().splitlines()]
    info.write_text("\n".join(lines) + "\n")
    _tag_fix(bundle)


def _big_item(bundle: Path, size: int) -> None:
    items = bundle / "evidence" / "items.jsonl"
    lines = items.read_bytes().splitlines(keepends=True)
    doc = json.loads(lines[0])
    doc["size"] = size
    lines[0] = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    items.write_bytes(b"".join(lines))
    fix_up(bundle)


def _sparse(path: Path, size: int) -> None:
    with path.open("r+b") as fh:
        fh.truncate(size)


def _move_out_and_link(bundle: Path, rel: str, outside: Path) -> None:
    """Move ``rel`` outside the bundle and leave a link to it (its content plus a secret)."""
    moved = outside / "moved"
    shutil.move(str(bundle / rel), str(moved))
    for p in ([moved] if moved.is_file() else moved.rglob("*")):
        if p.is_file() and p.suffix in (".json", ".jsonl"):
            p.write_bytes(p.read_bytes() + json.dumps({"secret": SECRET}).encode() + b"\n")
    (bundle / rel).symlink_to(moved)


def _many_receipts(bundle: Path, _outside: Path) -> None:
    folder = bundle / "evidence" / "receipts"
    original = next(folder.glob("*.json"))
    for i in range(100):
        shutil.copyfile(original, folder / f"anchor-1-{i:016x}.json")
    _tag_fix(bundle)


def _extra_file_fixed_up(bundle: Path, _outside: Path) -> None:
    (bundle / "data" / "files" / "extra.bin").write_bytes(b"x")
    fix_up(bundle)


def _fifo_instead(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def _proof_added(bundle: Path, _outside: Path) -> None:
    (bundle / "evidence/proof.json").write_text("{}\n")
    _tag_fix(bundle)


def _file_instead(bundle: Path, _outside: Path) -> None:
    shutil.rmtree(bundle)
    bundle.write_text("x")


GIB = 1 << 30

RECIPES: dict[str, Recipe] = {
    "manifest-dotdot-path": Recipe(
        lambda b, o: _append_manifest_line(b, "data/../../secret.txt"), 1, "'..' component"),
    "manifest-absolute-path": Recipe(
        lambda b, o: _append_manifest_line(b, "/etc/passwd"), 1, "absolute path"),
    "manifest-entry-for-missing-file": Recipe(
        lambda b, o: _append_manifest_line(b, "data/files/ghost.png"), 1, "ghost.png"),
    "extra-unlisted-file": Recipe(
        lambda b, o: (b / "data" / "files" / "extra.bin").write_bytes(b"x"), 1, "extra.bin"),
    "extra-file-manifests-recomputed": Recipe(_extra_file_fixed_up, 1,
                                              "not in the signed item list"),
    "extra-unlisted-tag-file": Recipe(
        lambda b, o: (b / "evidence" / "note.txt").write_text("x"), 1, "evidence/note.txt"),
    "gigantic-payload-oxum": Recipe(
        lambda b, o: _set_oxum(b, "9" * 40 + ".1"), 1, "Payload-Oxum"),
    "gigantic-item-size": Recipe(lambda b, o: _big_item(b, 2**53), 1, "F-1"),
    "item-size-beyond-binary64": Recipe(lambda b, o: _big_item(b, 10**30), 1,
                                        "canonical form"),
    "symlink-payload-to-secret": Recipe(
        lambda b, o: _replace_with_link(b / "data/files/screenshots/chat-1.png",
                                        _secret_file(o)), 1, "symlink"),
    "symlink-records-to-fifo": Recipe(
        lambda b, o: _replace_with_link(b / "data/records/transactions.csv.jsonl", _fifo(o)),
        1, "symlink"),
    "symlink-root-json-to-secret": Recipe(
        lambda b, o: _replace_with_link(b / "evidence/root.json", _secret_file(o)), 1,
        "symbolic link"),
    "symlink-evidence-folder": Recipe(
        lambda b, o: _move_out_and_link(b, "evidence", o), 1, "symlink"),
    "symlink-custody-to-fifo": Recipe(
        lambda b, o: _replace_with_link(b / "evidence/custody.jsonl", _fifo(o)), 1,
        "symbolic link"),
    "symlink-receipts-folder": Recipe(
        lambda b, o: _move_out_and_link(b, "evidence/receipts", o), 1, "symlink"),
    "fifo-as-items": Recipe(lambda b, o: _fifo_instead(b / "evidence/items.jsonl"), 1,
                            "special file"),
    "fifo-as-custody": Recipe(lambda b, o: _fifo_instead(b / "evidence/custody.jsonl"), 1,
                              "special file"),
    "sparse-2gib-custody": Recipe(
        lambda b, o: _sparse(b / "evidence/custody.jsonl", 2 * GIB), 1, "longer than"),
    "sparse-2gib-items": Recipe(
        lambda b, o: _sparse(b / "evidence/items.jsonl", 2 * GIB), 1, "item line too long"),
    "sparse-2gib-receipt": Recipe(
        lambda b, o: _sparse(next((b / "evidence/receipts").glob("*.json")), 2 * GIB), 1,
        "larger than"),
    "too-many-receipts": Recipe(_many_receipts, 1, "more than 64 receipts"),
    "proof-json-added-to-bundle": Recipe(_proof_added, 1, "proof"),
    "no-bagit-txt": Recipe(lambda b, o: (b / "bagit.txt").unlink(), 2, "not an evidence bundle"),
    "no-root-json": Recipe(
        lambda b, o: (b / "evidence/root.json").unlink(), 2, "not an evidence bundle"),
    "bundle-is-a-file": Recipe(_file_instead, 2, "not an evidence bundle"),
}


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_hostile_bundle(name: str, bases: Bases, tmp_path: Path) -> None:
    recipe = RECIPES[name]
    bundle, outside = tmp_path / "bundle", tmp_path / "outside"
    outside.mkdir()
    shutil.copytree(bases["example"], bundle)
    recipe.make(bundle, outside)
    proc = run_limited("verify", str(bundle), "--offline")
    check_output(proc, exit_code=recipe.exit, fragment=recipe.expect,
                 stream="stderr" if recipe.exit == 2 else "stdout")
    fifo = outside / "fifo"
    if fifo.exists():
        assert fifo.is_fifo()
