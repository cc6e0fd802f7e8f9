"""The workspace: a folder with ``evidence.toml``, the capturer key and the chain state.

A command finds its workspace from ``--workspace``, then ``EVIDENCE_WORKSPACE``, then by
walking up from the current folder to the first folder holding ``evidence.toml`` (the
way git finds ``.git``). ``evidence.toml`` is small, human-readable TOML; it is written
atomically and only by this module.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import FormatError, InputError, WorkspaceError
from .fsutil import atomic_write_bytes
from .keys import (
    SigningKey,
    create_signing_key,
    fingerprint,
    load_signing_key,
    public_key_from_file,
)
from .timestamps.settings import TimestampSettings

__all__ = [
    "CONFIG_NAME",
    "ChainSettings",
    "Workspace",
    "find_workspace",
    "init_differences",
    "init_workspace",
    "open_workspace",
    "undo_new_workspace",
]

CONFIG_NAME = "evidence.toml"
WORKSPACE_ENV = "EVIDENCE_WORKSPACE"
CONFIG_VERSION = 1
CAPTURER_KEY = "keys/capturer.key"


@dataclass(frozen=True)
class ChainSettings:
    """The ``[chain]`` table. ``kind`` is ``embedded`` or ``rpc``."""

    kind: str = "embedded"
    url: str | None = None
    state_dir: str = "chain"
    chain_id: int | None = None
    contract: str | None = None
    account_keystore: str = "keys/account.json"
    confirmations: int = 0
    is_development: bool | None = None
    timeout_seconds: float = 30.0
    max_skew_seconds: int = 300
    witness_keys: tuple[str, ...] = ()

    def to_toml_table(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "state_dir": self.state_dir,
            "account_keystore": self.account_keystore,
            "confirmations": self.confirmations,
            "timeout_seconds": self.timeout_seconds,
            "max_skew_seconds": self.max_skew_seconds,
        }
        if self.url is not None:
            out["url"] = self.url
        if self.chain_id is not None:
            out["chain_id"] = self.chain_id
        if self.contract is not None:
            out["contract"] = self.contract
        if self.is_development is not None:
            out["is_development"] = self.is_development
        if self.witness_keys:
            out["witness_keys"] = list(self.witness_keys)
        return out

    @classmethod
    def from_toml_table(cls, table: Mapping[str, Any], *, path: Path) -> ChainSettings:
        known = {f for f in cls.__dataclass_fields__}
        for key in table:
            if key not in known:
                raise FormatError(f"unknown key {key!r} in [chain]", path=str(path))
        values = dict(table)
        if "witness_keys" in values:
            values["witness_keys"] = tuple(values["witness_keys"])
        try:
            settings = cls(**values)
        except TypeError as exc:
            raise FormatError(f"bad [chain] table: {exc}", path=str(path)) from exc
        if settings.kind not in ("embedded", "rpc"):
            raise FormatError(f"[chain] kind must be 'embedded' or 'rpc', not {settings.kind!r}",
                              path=str(path))
        if settings.kind == "rpc" and not settings.url:
            raise FormatError("[chain] kind 'rpc' needs a url", path=str(path))
        return settings


@dataclass(frozen=True)
class Workspace:
    """An opened workspace. Paths in the config are relative to ``root``."""

    root: Path
    created: str
    capturer_key: str = CAPTURER_KEY
    chain: ChainSettings = field(default_factory=ChainSettings)
    #: ``[timestamps]``: the TSAs capture and anchor ask (evidence.timestamps.settings).
    timestamps: TimestampSettings = field(default_factory=TimestampSettings)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    def path(self, relative: str) -> Path:
        return self.root / relative

    @property
    def capturer_public_key(self) -> bytes:
        return public_key_from_file(self.path(self.capturer_key))

    @property
    def capturer_fingerprint(self) -> str:
        return fingerprint(self.capturer_public_key)

    def signing_key(self, passphrase: str) -> SigningKey:
        return load_signing_key(self.path(self.capturer_key), passphrase)

    def with_chain(self, chain: ChainSettings) -> Workspace:
        return replace(self, chain=chain)

    def save(self) -> None:
        """Write ``evidence.toml`` atomically."""
        doc: dict[str, Any] = {
            "workspace": {"version": CONFIG_VERSION, "created": self.created},
            "capturer": {"key": self.capturer_key},
            "chain": self.chain.to_toml_table(),
        }
        if self.timestamps != TimestampSettings():
            doc["timestamps"] = self.timestamps.to_toml_table()
        header = (
            "# evidence workspace configuration (written by `evidence`; safe to edit).\n"
            "# Keys under keys/ are encrypted with your passphrase; never share them.\n\n"
        )
        atomic_write_bytes(self.config_path, (header + dump_toml(doc)).encode("utf-8"))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        escaped = "".join(c if c >= " " else f"\\u{ord(c):04x}" for c in escaped)
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dump_toml(doc: Mapping[str, Mapping[str, Any]]) -> str:
    """Write a two-level table of scalars and lists as TOML (all this config needs)."""
    parts = []
    for table, values in doc.items():
        lines = [f"[{table}]"] + [f"{k} = {_toml_value(v)}" for k, v in values.items()]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def _load(root: Path) -> Workspace:
    path = root / CONFIG_NAME
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise WorkspaceError(f"{root}: no {CONFIG_NAME} here; run `evidence init` first") from exc
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FormatError(f"cannot read workspace configuration ({exc})", path=str(path)) from exc
    ws = doc.get("workspace", {})
    if ws.get("version") != CONFIG_VERSION:
        raise FormatError(f"unsupported workspace version {ws.get('version')!r}", path=str(path))
    for table in doc:
        if table not in ("workspace", "capturer", "chain", "timestamps"):
            raise FormatError(f"unknown table [{table}]", path=str(path))
    return Workspace(
        root=root,
        created=str(ws.get("created", "")),
        capturer_key=str(doc.get("capturer", {}).get("key", CAPTURER_KEY)),
        chain=ChainSettings.from_toml_table(doc.get("chain", {}), path=path),
        timestamps=TimestampSettings.from_toml_table(doc.get("timestamps", {}), path=path),
    )


def find_workspace(explicit: Path | None = None, *, start: Path | None = None) -> Path:
    """Locate the workspace folder (see module docstring). Raises WorkspaceError."""
    if explicit is not None:
        if not (explicit / CONFIG_NAME).is_file():
            raise WorkspaceError(
                f"{explicit}: not a workspace (no {CONFIG_NAME}); run `evidence init {explicit}`"
            )
        return explicit
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        env_path = Path(env)
        if not (env_path / CONFIG_NAME).is_file():
            raise WorkspaceError(f"{WORKSPACE_ENV}={env} is not a workspace (no {CONFIG_NAME})")
        return env_path
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise WorkspaceError(
        f"no workspace found from {here} upwards; run `evidence init` or pass --workspace"
    )


def open_workspace(explicit: Path | None = None, *, start: Path | None = None) -> Workspace:
    """Find and load a workspace."""
    return _load(find_workspace(explicit, start=start))


def init_workspace(root: Path, passphrase: str) -> tuple[Workspace, bool]:
    """Create a workspace at ``root`` (or open the existing one).

    Returns ``(workspace, created)``. Running it twice never overwrites a key: an existing
    ``evidence.toml`` is loaded and returned unchanged with ``created=False``.
    """
    root = Path(root)
    if (root / CONFIG_NAME).exists():
        return _load(root), False
    if root.exists() and not root.is_dir():
        raise InputError(f"{root}: exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    key_path = root / CAPTURER_KEY
    key_path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(key_path.parent, 0o700)
    if not key_path.exists():
        create_signing_key(key_path, passphrase)
    else:
        load_signing_key(key_path, passphrase)  # an orphaned key must still be ours
    workspace = Workspace(root=root, created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    workspace.save()
    return workspace, True


def init_differences(ws: Workspace, *, url: str | None, contract: str | None,
                     confirmations: int | None, no_chain: bool) -> list[str]:
    """What ``evidence init`` options ask that differs from the existing workspace ``ws``
    (one phrase each, naming the option and what the workspace has); empty when they
    agree or only add what is missing (a chain for a workspace made with ``--no-chain``)."""
    s = ws.chain
    out: list[str] = []
    has_chain = s.contract is not None
    if no_chain and has_chain:
        where = s.url if s.kind == "rpc" else "the embedded chain"
        out.append(f"--no-chain, but it has a chain ({where})")
    if has_chain and url is not None and (s.kind != "rpc" or s.url != url):
        where = s.url if s.kind == "rpc" else "the embedded chain"
        out.append(f"--chain {url}, but it uses {where}")
    if has_chain and contract is not None and contract.lower() != str(s.contract).lower():
        out.append(f"--contract {contract}, but it uses {s.contract}")
    if confirmations is not None and confirmations != s.confirmations:
        out.append(f"--confirmations {confirmations}, but it has {s.confirmations}")
    return out


@contextlib.contextmanager
def undo_new_workspace(root: Path) -> Iterator[None]:
    """Remove what the ``with`` block created at ``root`` if it raises (or is interrupted):
    a failed ``evidence init`` leaves no half workspace behind. The folder itself goes if
    it did not exist before; in an existing folder only the entries that were not there
    before go (nothing that was there is touched)."""
    root = Path(root)
    existed = root.exists()
    before = {p.name for p in root.iterdir()} if existed and root.is_dir() else set()
    try:
        yield
    except BaseException:
        if not existed:
            shutil.rmtree(root, ignore_errors=True)
        elif root.is_dir():
            for entry in root.iterdir():
                if entry.name in before:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        entry.unlink()
        raise
