#!/usr/bin/env python3
"""``make wheel-check``: the wheel is what users get, so check the wheel, not the checkout.

1. Build the sdist from a clean copy of the source (the files git tracks or would track),
   then the wheel from that sdist (``python -m build``), and fail on any warning the build
   prints.
2. The wheel holds every file of ``evidence/`` and ``cli/`` (as evidence_cli/: code, data, fonts,
   examples, the re-check script), the licences and the version of ``evidence/version.py``;
   the sdist holds the tests with their vectors and the docs; neither holds caches.
3. Install the wheel (not editable, ``--no-deps``) into a fresh virtual environment whose
   dependencies come from the running environment's site-packages through a ``.pth`` file
   (no download), then, from a temporary folder outside the repository, as a user would:
   ``evidence --version``, ``evidence demo``, ``evidence recheck-script`` and that script on
   the demo's bundle.
4. The verifier alone: with eth-tester and py-evm made unimportable (the install without the
   ``embedded`` extra), ``evidence verify`` of the demo's bundle still works, and
   ``evidence demo`` and ``evidence init`` fail with one line naming
   ``pip install 'evidence-anchor[embedded]'`` and write nothing.
5. The sdist's own tests run from the unpacked sdist (a few fast ones).

Run it with the development environment's Python: ``.venv/bin/python tools/wheel_check.py``.
It takes about half a minute; ``--keep DIR`` keeps the work folder for a look.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Folders whose every file the wheel must hold.
PACKAGE_DIRS = ("evidence", "cli")
#: A source folder's name in the wheel (cli/ installs as evidence_cli/).
INSTALLED = {"evidence": "evidence", "cli": "evidence_cli"}
#: Files and folders the sdist must hold besides the packages.
SDIST_PATHS = ("tests", "docs", "contracts", "setup.py", "LICENSE", "NOTICE", "README.md",
               "pyproject.toml", "MANIFEST.in", "Makefile", "package.json", "package-lock.json")
#: Licence files the wheel's metadata must hold.
LICENSE_FILES = ("LICENSE", "NOTICE")
#: Never shipped.
JUNK = re.compile(r"(^|/)(__pycache__|\.pytest_cache|\.mypy_cache|\.hypothesis)(/|$)|\.py[cod]$")
#: What a checkout without git holds besides its source: environments, installed tools,
#: build output, the demo's and benchmarks' output, hidden folders.
LOCAL_ONLY = re.compile(
    r"^(\.[^/]*|node_modules|build|dist|demo-out|bench-out|[^/]*\.egg-info)(/|$)")
#: A build line that is a warning: distutils' "warning: ...", pip's "WARNING: ...", Python's
#: "...Warning: ..." (setuptools' deprecations among them). File names are not matched.
WARNING = re.compile(r"^\s*warning\b|^\s*WARNING\b|Warning\b")
#: The one line a missing embedded chain gives.
EMBEDDED_HINT = "pip install 'evidence-anchor[embedded]'"
#: Fast tests run from the unpacked sdist: the vendored vectors are there and check out
#: (block headers, the RFC 6962 reference tree).
SDIST_TESTS = ("tests/test_vectors.py", "tests/chain/test_header.py", "tests/test_merkle.py")
SDIST_TESTS_SELECTED = "vector or header or rfc6962 or reference"
#: Budget the check should stay under (reported, not enforced: a loaded machine is slower).
BUDGET_SECONDS = 90

#: Makes eth-tester and py-evm unimportable, as in an install without the `embedded` extra.
BLOCK_EMBEDDED = """\
import sys
for _name in ("eth_tester", "eth"):
    sys.modules[_name] = None  # `import eth` raises ModuleNotFoundError
"""


class CheckFailed(Exception):
    pass


def fail(message: str) -> None:
    raise CheckFailed(message)


def run(cmd: list[str], *, cwd: Path, env: dict[str, str] | None = None,
        expect: int | None = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if expect is not None and proc.returncode != expect:
        fail(f"{' '.join(cmd)} (in {cwd}) exited {proc.returncode}, expected {expect}:\n"
             f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc


def source_files(root: Path) -> list[str]:
    """The files of the source tree: what git tracks or would track (not ignored), else
    (an unpacked sdist) every file that is not a cache."""
    names: list[str] = []
    if (root / ".git").exists():
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], cwd=root, capture_output=True, check=True)
        names = [n for n in out.stdout.decode("utf-8").split("\0") if n]
    else:  # an unpacked sdist: its files, less what a build or `make` put there
        names = [p.relative_to(root).as_posix() for p in root.rglob("*")
                 if (p.is_file() or p.is_symlink())
                 and not LOCAL_ONLY.search(p.relative_to(root).as_posix())]
    return sorted(n for n in names if (root / n).is_file() and not JUNK.search(n))


def clean_copy(dst: Path) -> list[str]:
    names = source_files(REPO)
    for name in names:
        target = dst / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    return names


def build(src: Path, dist: Path) -> tuple[Path, Path]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # else setuptools says it skips byte-compiling
    # --no-isolation: the backend (setuptools, a dev dependency) comes from this environment,
    # which saves two throw-away environments and their downloads.
    proc = run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist),
                str(src)], cwd=src, env=env)
    warnings = [line for line in (proc.stdout + proc.stderr).splitlines()
                if WARNING.search(line)]
    if warnings:
        fail("the build printed warnings:\n  " + "\n  ".join(warnings[:40]))
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        fail(f"expected one wheel and one sdist in {dist}, found {wheels + sdists}")
    return wheels[0], sdists[0]


def version_of_source() -> str:
    text = (REPO / "evidence" / "version.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    if not found:
        fail("evidence/version.py: no __version__ line")
        raise AssertionError  # unreachable, for type checkers
    return found.group(1)


def check_wheel(wheel: Path, sources: list[str], version: str) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        info = f"evidence_anchor-{version}.dist-info"
        metadata = zf.read(f"{info}/METADATA").decode("utf-8")
    expected = {INSTALLED[top] + "/" + rest for top, _, rest in
                (n.partition("/") for n in sources) if top in PACKAGE_DIRS}
    missing = sorted(expected - names)
    if missing:
        fail(f"the wheel lacks {len(missing)} file(s) of the package: {missing[:20]}")
    for name in LICENSE_FILES:
        if f"{info}/licenses/{name}" not in names:
            fail(f"the wheel lacks {name} in {info}/licenses/")
    junk = sorted(n for n in names if JUNK.search(n))
    if junk:
        fail(f"the wheel holds caches: {junk[:10]}")
    stray = sorted(n for n in names
                   if n.split("/", 1)[0] not in (*INSTALLED.values(), info))
    if stray:
        fail(f"the wheel holds files outside its packages: {stray[:10]}")
    if f"\nVersion: {version}\n" not in metadata:
        fail(f"the wheel's METADATA does not give version {version}")
    if "\nLicense-Expression: Apache-2.0\n" not in metadata:
        fail("the wheel's METADATA has no License-Expression: Apache-2.0")
    for line in metadata.splitlines():
        if not line.startswith("Requires-Dist:") or 'extra == "dev"' in line:
            continue
        if "==" in line.partition(";")[0]:  # the requirement, not its `extra == ...` marker
            fail(f"a dependency users get is pinned exactly: {line}")
        if re.search(r"eth-tester|py-evm", line) and 'extra == "embedded"' not in line:
            fail(f"the embedded chain is a required dependency: {line}")


def check_sdist(sdist: Path, sources: list[str], version: str, unpack: Path) -> Path:
    prefix = f"evidence_anchor-{version}/"
    with tarfile.open(sdist) as tf:
        names = {m.name.removeprefix(prefix) for m in tf.getmembers() if m.isfile()}
        tf.extractall(unpack, filter="data")
    wanted = {n for n in sources
              if n.split("/", 1)[0] in (*PACKAGE_DIRS, *SDIST_PATHS)}
    missing = sorted(wanted - names)
    if missing:
        fail(f"the sdist lacks {len(missing)} file(s): {missing[:20]}")
    junk = sorted(n for n in names if JUNK.search(n))
    if junk:
        fail(f"the sdist holds caches: {junk[:10]}")
    return unpack / prefix.rstrip("/")


def make_venv(path: Path, wheel: Path) -> Path:
    """A fresh environment (returned) with the wheel installed (not editable) and this environment's
    packages visible after its own (a .pth line adds a folder; its .pth files, such as an
    editable install's, are not run)."""
    run([sys.executable, "-m", "venv", "--without-pip", str(path)], cwd=path.parent)
    python = path / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                     "['purelib'])"], cwd=path).stdout.strip())
    (site / "_evidence_check_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--no-index", str(wheel)], cwd=path.parent)
    where = run([str(python), "-c", "import evidence, evidence_cli; "
                 "print(evidence.__file__); print(evidence_cli.__file__)"], cwd=path.parent)
    for line in where.stdout.split():
        if not Path(line).resolve().is_relative_to(site.resolve()):
            fail(f"the installed package is imported from {line}, not from {site}")
    return path


def user_env(work: Path, venv: Path, *, block_embedded: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("EVIDENCE_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["XDG_CONFIG_HOME"] = str(work / "config")  # no trust profile of this machine
    if block_embedded:
        blocker = work / "no-embedded"
        blocker.mkdir(exist_ok=True)
        (blocker / "sitecustomize.py").write_text(BLOCK_EMBEDDED)
        env["PYTHONPATH"] = str(blocker)
    return env


def check_user_flow(venv: Path, work: Path, version: str) -> None:
    evidence = str(venv / "bin" / "evidence")
    env = user_env(work, venv)
    shown = run([evidence, "--version"], cwd=work, env=env).stdout.strip()
    if shown != f"evidence, version {version}":
        fail(f"evidence --version printed {shown!r}")
    demo = run([evidence, "demo", "--out", "demo"], cwd=work, env=env)
    for name in ("bundle/bagit.txt", "report.pdf", "report.json", "disclosure-R-1/bagit.txt"):
        if not (work / "demo" / name).is_file():
            fail(f"evidence demo wrote no demo/{name}:\n{demo.stdout[-2000:]}")
    run([evidence, "recheck-script", "-o", "recheck.py"], cwd=work, env=env)
    if (work / "recheck.py").read_bytes() != (REPO / "docs" / "recheck.py").read_bytes():
        fail("the re-check script in the wheel differs from docs/recheck.py")
    run([str(venv / "bin" / "python"), "recheck.py", "demo/bundle"], cwd=work, env=env)


def check_verifier_only(venv: Path, work: Path) -> None:
    evidence = str(venv / "bin" / "evidence")
    env = user_env(work, venv, block_embedded=True)
    probe = run([str(venv / "bin" / "python"), "-c", "import eth"], cwd=work, env=env, expect=1)
    if "ModuleNotFoundError" not in probe.stderr:
        fail(f"the stand-in for an install without eth-tester/py-evm did not work:\n"
             f"{probe.stderr}")
    verified = run([evidence, "verify", "demo/bundle", "-w", "demo/workspace", "--trust",
                    "demo/workspace/trust-demo.toml", "--json"], cwd=work, env=env)
    result = json.loads(verified.stdout)
    if not result.get("demonstration") or result.get("verdict") != "presumed-authentic":
        fail(f"verify without the embedded extra gave {result.get('verdict')!r}")
    for args, made in ((["demo", "--out", "demo2"], "demo2"), (["init", "ws2"], "ws2")):
        proc = run([evidence, *args], cwd=work, env=env, expect=2)
        lines = proc.stderr.strip().splitlines()
        if len(lines) != 1 or EMBEDDED_HINT not in lines[0]:
            fail(f"evidence {' '.join(args)} without the embedded extra said {proc.stderr!r}")
        if (work / made).exists():
            fail(f"evidence {' '.join(args)} without the embedded extra wrote {made}")


def check_sdist_tests(venv: Path, unpacked: Path, work: Path) -> None:
    env = user_env(work, venv)
    run([str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:xdist", "-p",
         "no:cacheprovider", "-k", SDIST_TESTS_SELECTED, *SDIST_TESTS], cwd=unpacked, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this new folder and keep it")
    parser.add_argument("--dist-only", type=Path, metavar="DIR",
                        help="only build and check the sdist and the wheel, into DIR (new)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.keep:
        args.keep.mkdir(parents=True)
        base = args.keep.resolve()
    else:
        tmp = tempfile.TemporaryDirectory(prefix="evidence-wheel-check-")
        base = Path(tmp.name)
    steps: list[str] = []
    mark = started

    def step(text: str) -> None:
        nonlocal mark
        now = time.monotonic()
        steps.append(f"{text} ({now - mark:.0f} s)")
        mark = now

    try:
        version = version_of_source()
        src, dist, unpack, work = (base / n for n in ("src", "dist", "sdist", "user"))
        for folder in (src, dist, unpack, work):
            folder.mkdir()
        sources = clean_copy(src)
        wheel, sdist = build(src, dist)
        step(f"built {sdist.name} and {wheel.name} without warnings")
        check_wheel(wheel, sources, version)
        unpacked = check_sdist(sdist, sources, version, unpack)
        step("wheel and sdist hold what they must")
        if args.dist_only:
            args.dist_only.mkdir(parents=True)
            for built in (sdist, wheel):
                shutil.copy2(built, args.dist_only / built.name)
                step(f"wrote {args.dist_only / built.name}")
            return report(steps, started)
        venv = make_venv(base / "venv", wheel)
        check_user_flow(venv, work, version)
        step("installed wheel: --version, demo, recheck-script from outside the repo")
        check_verifier_only(venv, work)
        step(f"without eth-tester/py-evm: verify works, demo and init say {EMBEDDED_HINT}")
        check_sdist_tests(venv, unpacked, work)
        step(f"the sdist's tests run: {', '.join(SDIST_TESTS)}")
    except CheckFailed as exc:
        print(f"wheel-check FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            tmp.cleanup()
    return report(steps, started)


def report(steps: list[str], started: float) -> int:
    for line in steps:
        print(f"wheel-check: {line}")
    elapsed = time.monotonic() - started
    note = "" if elapsed <= BUDGET_SECONDS else f" (over the {BUDGET_SECONDS} s budget)"
    print(f"wheel-check: ok in {elapsed:.0f} s{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
