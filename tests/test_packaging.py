"""What the distribution promises (issue 15, Deliver 1): every imported package declared, as
ranges; one version source; the re-check script shipped and identical to docs/recheck.py;
the embedded development chain an extra whose absence gives one actionable line.

The wheel itself is built, installed and run by ``make wheel-check`` (tools/wheel_check.py),
which ``make test`` runs; these are the fast checks of the same promises.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import stat
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import evidence
from evidence.chain.extras import (
    EMBEDDED_EXTRA,
    EMBEDDED_MISSING,
    EMBEDDED_MODULES,
    is_embedded_import_error,
)
from evidence.errors import InputError
from evidence.shipped import recheck_script, write_recheck_script

from .conftest import PASSPHRASE, REPO, run_cli

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]

#: The packages whose imports are scanned.
SOURCE_DIRS = ("evidence", "cli")
#: Their names once installed (cli/ installs as evidence_cli).
INSTALLED_NAMES = ("evidence", "evidence_cli")

#: Imports that need an extra rather than a dependency, and which extra.
IMPORTS_IN_EXTRAS = {"eth_tester": "embedded", "eth": "embedded",
                     "solcx": "dev"}  # solcx: evidence/chain/build.py, `make contracts` only

#: The one module that may import the embedded chain's packages (evidence/chain/embedded.py).
EMBEDDED_MODULE_NAME = "/embedded.py"

#: Makes eth-tester and py-evm unimportable in a child process, as in an install without
#: the `embedded` extra (PYTHONPATH=<folder> runs it at start-up).
BLOCK_EMBEDDED = "import sys\nfor _n in ('eth_tester', 'eth'):\n    sys.modules[_n] = None\n"


def without_embedded_env(folder: Path) -> dict[str, str]:
    """An environment whose Python cannot import eth-tester or py-evm."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(BLOCK_EMBEDDED)
    return {"PYTHONPATH": str(folder)}


def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement string (PEP 503)."""
    found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert found, requirement
    return re.sub(r"[-_.]+", "-", found.group(0)).lower()


@functools.cache
def _imports() -> dict[str, set[str]]:
    """Top-level third-party modules imported anywhere in the packages (lazy imports too)."""
    found: dict[str, set[str]] = {}
    for folder in SOURCE_DIRS:
        for path in sorted((REPO / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    top = name.partition(".")[0]
                    if top not in sys.stdlib_module_names and top not in INSTALLED_NAMES:
                        found.setdefault(top, set()).add(path.relative_to(REPO).as_posix())
    return found


def test_every_imported_package_is_declared() -> None:
    declared = {_name(r) for r in PROJECT["dependencies"]}
    extras = {extra: {_name(r) for r in reqs}
              for extra, reqs in PROJECT["optional-dependencies"].items()}
    distributions = metadata.packages_distributions()
    undeclared = []
    for module, files in sorted(_imports().items()):
        dists = {_name(d) for d in distributions.get(module, [])}
        assert dists, f"{module} (imported by {sorted(files)}) is not installed"
        wanted = extras[IMPORTS_IN_EXTRAS[module]] if module in IMPORTS_IN_EXTRAS else declared
        if not dists & wanted:
            undeclared.append(f"{module} -> {sorted(dists)} ({sorted(files)[0]})")
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_the_embedded_chain_is_imported_in_one_module() -> None:
    """Only the embedded chain's module imports eth-tester or py-evm, and every module that
    imports it does so behind the one-line error, so nothing else needs the extra."""
    imports = _imports()
    importers = set().union(*(imports.get(m, set()) for m in EMBEDDED_MODULES))
    assert len(importers) == 1 and next(iter(importers)).endswith(EMBEDDED_MODULE_NAME), (
        importers)
    module = next(iter(importers)).removesuffix(".py").replace("/", ".")
    users = {p.relative_to(REPO).as_posix(): p.read_text(encoding="utf-8")
             for folder in SOURCE_DIRS for p in (REPO / folder).rglob("*.py")
             if f"{module} import" in p.read_text(encoding="utf-8")}
    assert users, f"nothing imports {module}"
    for name, text in users.items():
        assert "EMBEDDED_MISSING" in text and "is_embedded_import_error" in text, (
            f"{name} imports {module} without the one-line error")


def test_dependencies_are_ranges_not_pins() -> None:
    shipped = [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["embedded"]]
    pinned = [r for r in shipped if "==" in r]
    assert not pinned, pinned
    assert f"{PROJECT['name']}[embedded]" == EMBEDDED_EXTRA


def test_the_embedded_chain_is_an_extra() -> None:
    required = {_name(r) for r in PROJECT["dependencies"]}
    assert not required & {"eth-tester", "py-evm"}
    assert {_name(r) for r in PROJECT["optional-dependencies"]["embedded"]} == {
        "eth-tester", "py-evm"}
    assert f"{PROJECT['name']}[embedded]" in PROJECT["optional-dependencies"]["dev"]


def test_the_version_has_one_source() -> None:
    assert "version" not in PROJECT and "version" in PROJECT["dynamic"]
    dynamic = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "evidence.version.__version__"}
    # The built wheel's METADATA gives that version: make wheel-check (tools/wheel_check.py).
    assert re.fullmatch(r"\d+\.\d+\.\d+([ab]\d+)?", evidence.__version__)


def test_licence_files_are_there() -> None:
    licence = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence
    assert PROJECT["license"] == "Apache-2.0"
    for pattern in PROJECT["license-files"]:
        assert list(REPO.glob(pattern)), pattern


def test_docs_recheck_is_the_shipped_script() -> None:
    docs = (REPO / "docs" / "recheck.py").read_bytes()
    assert docs == (REPO / "evidence" / "data" / "recheck.py").read_bytes(), (
        "docs/recheck.py and evidence/data/recheck.py differ: copy one onto the other")
    assert recheck_script() == docs


def test_write_recheck_script(tmp_path: Path) -> None:
    written = write_recheck_script(tmp_path)
    assert written == tmp_path / "recheck.py"
    assert written.read_bytes() == recheck_script()
    assert written.stat().st_mode & stat.S_IXUSR
    with pytest.raises(InputError, match="exists"):
        write_recheck_script(written)
    with pytest.raises(InputError, match="no such folder"):
        write_recheck_script(tmp_path / "missing" / "r.py")


def test_cli_writes_the_recheck_script_that_runs(tmp_path: Path) -> None:
    proc = run_cli("recheck-script", "-o", "mine.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    usage = subprocess.run([sys.executable, "mine.py"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=60)
    assert usage.returncode == 2 and "BUNDLE" in usage.stdout + usage.stderr
    again = run_cli("recheck-script", "-o", "mine.py", cwd=tmp_path)
    assert again.returncode == 2 and again.stderr.count("\n") == 1, again.stderr


def test_other_import_errors_are_not_taken_for_the_extra() -> None:
    assert is_embedded_import_error(ModuleNotFoundError("x", name="eth.vm.forks"))
    assert is_embedded_import_error(ModuleNotFoundError("x", name="eth_tester"))
    assert not is_embedded_import_error(ModuleNotFoundError("x", name="eth_account"))
    assert not is_embedded_import_error(ModuleNotFoundError("x", name="web3"))


@pytest.mark.parametrize("args, made", [
    (("init", "ws"), "ws"),
    (("demo", "--out", "out"), "out"),
    (("init", "ws", "--demo-witnesses"), "ws"),
], ids=["init", "demo", "init-demo-witnesses"])
def test_without_the_extra_the_embedded_chain_says_how_to_install_it(
        tmp_path: Path, args: tuple[str, ...], made: str) -> None:
    proc = run_cli(*args, cwd=tmp_path, env=without_embedded_env(tmp_path / "block"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"error: {EMBEDDED_MISSING}\n"
    assert f"pip install '{EMBEDDED_EXTRA}'" in proc.stderr
    assert not (tmp_path / made).exists()


def test_without_the_extra_open_chain_raises_the_one_error(tmp_path: Path) -> None:
    """The library path (a workspace made elsewhere, opened here): ConfigurationError."""
    code = ("from evidence.chain.backend import ChainConfig\n"
            "from evidence.chain.connect import open_chain\n"
            "from evidence.errors import ConfigurationError\n"
            "try:\n"
            "    open_chain(ChainConfig(kind='embedded', state_dir=None))\n"
            "except ConfigurationError as exc:\n"
            "    print(exc)\n")
    env = {**os.environ, **without_embedded_env(tmp_path / "block"),
           "EVIDENCE_PASSPHRASE": PASSPHRASE}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{EMBEDDED_MISSING}\n"
