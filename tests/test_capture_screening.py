"""Capture warnings and refusals (issue 15, Deliver 4): content that does not match its
extension, empty files, identical contents, OS junk left out unless asked; a workspace, key
files and the chain store refused, named directly or found in a folder, nothing written."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from evidence.capturing.pipeline import capture
from evidence.capturing.screening import CHAIN_STORE_FILE, WORKSPACE_CONFIG
from evidence.errors import InputError
from evidence.keys import SigningKey

from .conftest import run_cli


def _png(colour: int = 0) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (2, 2), colour).save(buf, format="PNG")
    return buf.getvalue()


def _provenance(bundle: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(
        (bundle / "evidence/provenance.json").read_text("utf-8"))
    return loaded


def _capture(tmp_path: Path, key: SigningKey, paths: list[Path], **options: object
             ) -> tuple[Path, tuple[str, ...]]:
    out = tmp_path / "bundle"
    result = capture(paths, out=out, case="S-1", key=key, **options)  # type: ignore[arg-type]
    return out, result.warnings


def test_clean_capture_has_no_warnings(tmp_path: Path, signing_key: SigningKey) -> None:
    folder = tmp_path / "shots"
    folder.mkdir()
    (folder / "a.png").write_bytes(_png(0))
    (folder / "b.png").write_bytes(_png(255))
    (folder / "c.pdf").write_bytes(b"%PDF-1.7\n...")
    out, warnings = _capture(tmp_path, signing_key, [folder])
    assert warnings == ()
    assert "capture_warnings" not in _provenance(out)


def test_content_not_matching_extension(tmp_path: Path, signing_key: SigningKey) -> None:
    text_png = tmp_path / "chat.png"
    text_png.write_text("this is not a picture", encoding="utf-8")
    jpeg_png = tmp_path / "photo.jpg"
    jpeg_png.write_bytes(_png())
    fake_pdf = tmp_path / "contract.pdf"
    fake_pdf.write_text("<html>", encoding="utf-8")
    out, warnings = _capture(tmp_path, signing_key, [text_png, jpeg_png, fake_pdf])
    assert "chat.png: named .png but the content is not an image Pillow can read" in "\n".join(
        warnings)
    assert any("photo.jpg: named .jpg but the content is a PNG image" in w for w in warnings)
    assert any("contract.pdf: named .pdf but the content does not start" in w for w in warnings)
    assert len(warnings) == 3
    assert list(warnings) == _provenance(out)["capture_warnings"]  # signed with the bundle


def test_empty_files(tmp_path: Path, signing_key: SigningKey) -> None:
    (tmp_path / "in").mkdir()
    for name in ("a.txt", "b.txt"):
        (tmp_path / "in" / name).write_bytes(b"")
    (tmp_path / "in" / "c.txt").write_bytes(b"x")
    out, warnings = _capture(tmp_path, signing_key, [tmp_path / "in"])
    assert len(warnings) == 1 and warnings[0].startswith("2 empty files (0 bytes): ")
    assert _provenance(out)["capture_warnings"] == list(warnings)


def test_identical_screenshots_one_warning(tmp_path: Path, signing_key: SigningKey) -> None:
    folder = tmp_path / "shots"
    folder.mkdir()
    shot = _png()
    for n in range(300):
        (folder / f"shot-{n:03d}.png").write_bytes(shot)
    (folder / "other.png").write_bytes(_png(255))
    _, warnings = _capture(tmp_path, signing_key, [folder])
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("300 files have identical contents (SHA-256 ")
    assert warnings[0].endswith("and 297 more")


def test_os_junk_left_out_unless_include_hidden(tmp_path: Path,
                                                signing_key: SigningKey) -> None:
    folder = tmp_path / "shots"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("a", encoding="utf-8")
    junk = [folder / ".DS_Store", folder / "sub" / "Thumbs.db", folder / "desktop.ini",
            folder / "._a.txt"]
    for n, path in enumerate(junk):
        path.write_bytes(bytes([n + 1]))
    out, warnings = _capture(tmp_path, signing_key, [folder])
    names = [i["original_name"] for i in _items(out)]
    assert names == ["a.txt"]
    assert len(warnings) == 1 and warnings[0].startswith("left out 4 operating-system files")
    out2 = tmp_path / "kept"
    result = capture([folder], out=out2, case="S-1", key=signing_key, include_hidden=True)
    assert result.file_count == 5 and result.warnings == ()


def _items(bundle: Path) -> list[dict[str, str]]:
    lines = (bundle / "evidence/items.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("name", ["capturer.key", "report-signing.p12", "account.json",
                                  CHAIN_STORE_FILE, WORKSPACE_CONFIG])
def test_key_files_refused_directly_and_in_folders(tmp_path: Path, signing_key: SigningKey,
                                                   name: str) -> None:
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / "shot.txt").write_text("x", encoding="utf-8")
    secret = folder / name
    secret.write_bytes(b"secret")
    for given in ([secret], [folder]):
        with pytest.raises(InputError, match="refusing to capture"):
            capture(given, out=tmp_path / "b", case="S", key=signing_key)
        assert list(tmp_path.iterdir()) == [folder]  # nothing written, no partial folder


def test_keys_folder_and_record_export_refused(tmp_path: Path, signing_key: SigningKey) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "witness-1.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match=r"keys/ folder"):
        capture([keys], out=tmp_path / "b", case="S", key=signing_key)
    with pytest.raises(InputError, match="account keystore"):
        capture([], records=[tmp_path / "account.json"], out=tmp_path / "b", case="S",
                key=signing_key)
    assert not (tmp_path / "b").exists()


WORKSPACE_REFUSED = r"refusing to capture a workspace \(it holds evidence.toml"


def test_workspace_refused(workspace: Path, tmp_path: Path, signing_key: SigningKey) -> None:
    with pytest.raises(InputError, match=WORKSPACE_REFUSED):
        capture([workspace], out=tmp_path / "b", case="S", key=signing_key)
    parent = tmp_path / "all"
    parent.mkdir()
    (parent / "shot.txt").write_text("x", encoding="utf-8")
    workspace.rename(parent / "ws")  # a workspace inside the folder given
    with pytest.raises(InputError, match=WORKSPACE_REFUSED):
        capture([parent], out=tmp_path / "b", case="S", key=signing_key)
    assert not (tmp_path / "b").exists()


def test_names_agree_with_the_workspace() -> None:
    from evidence.chain.light import DB_FILE_NAME
    from evidence.workspace import CONFIG_NAME

    assert (WORKSPACE_CONFIG, CHAIN_STORE_FILE) == (CONFIG_NAME, DB_FILE_NAME)


def test_cli_capture_dot_in_workspace_refused(workspace: Path) -> None:
    # refused before the passphrase is asked for: a wrong one is never reached
    proc = run_cli("capture", ".", "--case", "C", "-o", "bundle", cwd=workspace,
                   env={"EVIDENCE_PASSPHRASE": "not the passphrase"})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "refusing to capture a workspace (it holds" in lines[0], lines
    assert not (workspace / "bundle").exists()
    assert not list(workspace.glob(".bundle.partial-*"))


def test_cli_warnings_on_stderr(workspace: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "chat.png").write_text("text", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00")
    proc = run_cli("capture", str(folder), "--case", "C", "-o", str(tmp_path / "b"),
                   cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    assert "warning: left out 1 operating-system file" in proc.stderr
    assert "warning: " in proc.stderr and "chat.png: named .png" in proc.stderr
    shown = run_cli("inspect", str(tmp_path / "b"))
    assert "capture warning: " in shown.stdout and "chat.png" in shown.stdout
