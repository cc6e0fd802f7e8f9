"""``make bench``: the figures of issue 7, as ratios against baselines run in the same process tree.

Every figure is measured here, now, on this machine, against a baseline measured in the same
run on the same data (machines are small and noisy: compare ratios, not seconds). Peak memory
is each child process's own maximum resident set size (``wait4`` rusage, taken by a small
launcher: see :data:`LAUNCHER`); for a row made of several processes it is the largest.

Baselines: ``bagit.py`` (bagit-python, the Library of Congress reference tool, default
options: one process) making a bag with sha256+sha512 in place of a copy of the same folder
and validating our bundle (any evidence bundle is a BagIt bag), compared with ``capture
--move``, which also bags in place; ``cp -r`` and ``sync`` of the same files as the floor of
the default copying capture (a durable copy); coreutils ``sha512sum`` as the hashing floor;
``python -c pass`` for start-up. ``sync`` runs (untimed) before each timed
capture, so that no run pays for flushing another's writes; our capture flushes its own
bundle to disk before renaming it into place, bagit.py never flushes.

The default (copying) capture is also compared with the naive pipeline of issue 17, ``cp
-r`` + ``sync`` + ``bagit.py --sha256 --sha512`` of the same files timed as one command
(:mod:`naive`).

Usage: python benchmarks/run.py [--scale quick|medium|full] [--out DIR] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import naive

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EVIDENCE = BIN / "evidence"
BAGIT = BIN / "bagit.py"
PASSPHRASE = "bench passphrase"


@dataclass(frozen=True)
class Scale:
    large_files: int
    large_mib: int
    small_files: int
    small_kib: int
    csv_rows: int
    anchors: int
    serve_anchors: int


SCALES = {
    # The sizes: 8 x 256 MiB, 20,000 x 50 KiB, 1,000,000 rows, 10,000 anchors.
    "full": Scale(8, 256, 20_000, 50, 1_000_000, 10_000, 1_000),
    # A smoke run of every row (a few minutes).
    "quick": Scale(2, 32, 2_000, 50, 100_000, 300, 200),
    # Issue 17's files (4 x 96 MiB, 20,000 x 50 KiB); the rest between quick and full.
    "medium": Scale(4, 96, 20_000, 50, 300_000, 1_000, 500),
}


@dataclass(frozen=True)
class Run:
    seconds: float
    max_rss_mib: float
    stdout: str = ""


@dataclass(frozen=True)
class Row:
    what: str
    ours: str
    baseline: str
    ratio: str
    target: str
    met: bool | None
    rss: str


#: Runs one command for :func:`run` and reports its wall time and peak RSS on a pipe. A
#: process's peak RSS counts the memory it had before ``exec`` (Linux keeps the high-water
#: mark across exec), so a child forked straight from this benchmark process would show
#: this process's size; forked from this small launcher it shows its own.
LAUNCHER = r"""
import os, sys, time
out, cmd = int(sys.argv[1]), sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.close(out)
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
os.write(out, f"{time.perf_counter() - start} {usage.ru_maxrss}".encode())
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run(cmd: Sequence[str], *, env: dict[str, str] | None = None, ok: Sequence[int] = (0,),
        capture: bool = False) -> Run:
    """Run a child; wall time, its own peak RSS and, if asked, its stdout."""
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(write_end), *cmd], env=env,
                            pass_fds=(write_end,), stdout=subprocess.PIPE if capture
                            else subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(write_end)
    out, err = proc.communicate()
    with os.fdopen(read_end, "rb") as fh:
        figures = fh.read().split()
    if proc.returncode not in ok or len(figures) != 2:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n"
                         f"{err.decode()[-2000:]}")
    return Run(float(figures[0]), int(figures[1]) / 1024, out.decode() if capture else "")


def shell(script: str) -> Run:
    return run(["sh", "-c", script])


def best_of(n: int, fn: Callable[[], Run], before: Callable[[], None] | None = None) -> Run:
    """The fastest of ``n`` runs (noise only ever adds time); peak RSS is the largest seen."""
    runs = []
    for _ in range(n):
        if before:
            before()
        runs.append(fn())
    fastest = min(runs, key=lambda r: r.seconds)
    return Run(fastest.seconds, max(r.max_rss_mib for r in runs), fastest.stdout)


def sync() -> None:
    subprocess.run(["sync"], check=True)


def make_files(folder: Path, count: int, size: int, seed: int) -> int:
    """``count`` files of ``size`` bytes of distinct pseudo-random content."""
    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    block = rnd.randbytes(1 << 20)
    for i in range(count):
        with (folder / f"f{i:06d}.bin").open("wb") as fh:
            left = size
            salt = i.to_bytes(8, "big")
            while left > 0:
                chunk = (salt + block)[: min(left, len(block))]
                fh.write(chunk)
                left -= len(chunk)
    return count * size


def make_csv(path: Path, rows: int) -> None:
    """A platform export: 11 columns, like a marketplace's order report."""
    rnd = random.Random(7)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["order_id", "platform", "seller", "sku", "title", "quantity", "price",
                    "currency", "buyer_country", "order_time", "tracking_number"])
        for i in range(rows):
            w.writerow([f"ORD-{i:08d}", "ExampleMart", f"seller-{rnd.randrange(500)}",
                        f"AUR-{rnd.randrange(100):03d}", "AURORA wireless headphones",
                        str(rnd.randrange(1, 5)), f"{rnd.randrange(1000, 99999) / 100:.2f}",
                        "USD", rnd.choice(["DE", "FR", "US", "CN", "SG"]),
                        f"2026-0{rnd.randrange(1, 10)}-1{rnd.randrange(10)}T10:00:00Z",
                        f"TRK{rnd.randrange(10**12):012d}"])


def mib(r: Run | float) -> str:
    return f"{r.max_rss_mib if isinstance(r, Run) else r:.0f} MiB"


def secs(r: Run | float) -> str:
    s = r.seconds if isinstance(r, Run) else r
    return f"{s * 1000:.1f} ms" if s < 0.1 else f"{s:.2f} s"


def ratio_row(what: str, ours: Run, base: Run, base_name: str, limit: float,
              *, extra: str = "") -> Row:
    r = ours.seconds / base.seconds
    return Row(what, secs(ours) + extra, f"{base_name} {secs(base)}", f"{r:.2f}x",
               f"<= {limit}x", r <= limit, f"{mib(ours)} (baseline {mib(base)})")


class Bench:
    def __init__(self, scale: Scale, out: Path):
        self.s = scale
        self.out = out
        self.rows: list[Row] = []
        self.env = {**os.environ, "EVIDENCE_PASSPHRASE": PASSPHRASE,
                    "EVIDENCE_WORKSPACE": str(out / "ws")}

    def log(self, message: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    def evidence(self, *args: str, ok: Sequence[int] = (0,), capture: bool = False) -> Run:
        return run([str(EVIDENCE), *args], env=self.env, ok=ok, capture=capture)

    # -- capture and integrity against bagit.py --

    def files(self) -> None:
        s, out = self.s, self.out
        large, small = out / "large", out / "small"
        self.log(f"making {s.large_files} x {s.large_mib} MiB and {s.small_files} x "
                 f"{s.small_kib} KiB files")
        make_files(large, s.large_files, s.large_mib << 20, 1)
        make_files(small, s.small_files, s.small_kib << 10, 2)
        for label, folder in ((f"{s.large_files} files x {s.large_mib} MiB", large),
                              (f"{s.small_files:,} files x {s.small_kib} KiB", small)):
            self.log(f"capture {label}: ours and bagit.py")
            bundle, bag = out / "bundle", out / "bag"

            def fresh_bag(folder: Path = folder, bag: Path = bag) -> None:
                self.discard(bag)
                shutil.copytree(folder, bag)
                sync()

            def fresh_bundle(bundle: Path = bundle) -> None:
                self.discard(bundle)
                sync()

            base = best_of(2, lambda bag=bag: run(
                [str(BAGIT), "--quiet", "--sha256", "--sha512", str(bag)]), fresh_bag)
            # bagit.py makes its bag in place: it renames the files into data/ and never
            # writes them. --move does the same, so that is the row the target is for.
            moved = best_of(2, lambda b=bundle, bag=bag: self.evidence(
                "capture", "--move", str(bag), "--case", "BENCH", "-o", str(b)),
                lambda: (fresh_bundle(), fresh_bag()))
            self.rows.append(ratio_row(f"capture {label} (--move: in place, as bagit.py "
                                       "makes its bag)", moved, base, "bagit.py", 0.8))
            # The default capture copies: it writes every byte again and flushes it to disk
            # before the bundle is in place. What that costs alone on this disk is measured
            # by cp -r and sync of the same files: the floor of any durable copy.
            ours = best_of(2, lambda f=folder, b=bundle: self.evidence(
                "capture", str(f), "--case", "BENCH", "-o", str(b)), fresh_bundle)
            self.discard(bag)
            copy_floor = best_of(2, lambda f=folder, bag=bag: shell(
                f"cp -r {f} {bag} && sync"), lambda bag=bag: (self.discard(bag), sync()))
            r = ours.seconds / base.seconds
            self.rows.append(Row(f"capture {label} (copy, the default: originals untouched)",
                                 secs(ours), f"bagit.py {secs(base)}", f"{r:.2f}x",
                                 "- (bagit.py copies nothing)", None, mib(ours)))
            r = ours.seconds / copy_floor.seconds
            floor_vs_bagit = copy_floor.seconds / base.seconds
            self.rows.append(Row(f"capture {label} (copy): durable-copy floor", secs(ours),
                                 f"cp -r + sync {secs(copy_floor)} "
                                 f"({floor_vs_bagit:.2f}x bagit.py)",
                                 f"{r:.2f}x", "report the ratio", None, mib(ours)))
            self.naive_pipeline(label, folder, ours)
            if folder is large:
                floor = best_of(2, lambda: shell(
                    f"find {large} -type f -print0 | xargs -0 sha512sum > /dev/null"))
                r = ours.seconds / floor.seconds
                self.rows.append(Row(f"capture {label}: hashing floor (copy)", secs(ours),
                                     f"sha512sum {secs(floor)}", f"{r:.2f}x", "<= 1.3x",
                                     r <= 1.3, mib(ours)))
                r = moved.seconds / floor.seconds
                self.rows.append(Row(f"capture {label}: hashing floor (--move)", secs(moved),
                                     f"sha512sum {secs(floor)}", f"{r:.2f}x", "<= 1.3x",
                                     r <= 1.3, mib(moved)))
            else:
                self.log("verify the small-file bundle: ours and bagit.py --validate")
                base = best_of(2, lambda b=bundle: run(
                    [str(BAGIT), "--quiet", "--validate", str(b)]))
                mine = best_of(2, lambda b=bundle: self.verify_offline(b))
                self.rows.append(ratio_row(
                    f"verify the {s.small_files:,}-file bundle (integrity, --offline)", mine,
                    base, "bagit.py --validate", 0.8))
            self.discard(bag)
            self.discard(bundle)
            self.empty_trash()
        shutil.rmtree(large)
        shutil.rmtree(small)

    def naive_pipeline(self, label: str, folder: Path, ours: Run) -> None:
        """Issue 17: the copying capture ``ours`` against ``cp -r`` + ``sync`` +
        ``bagit.py`` of the same files as one timed pipeline (see :mod:`naive`)."""
        dst = self.out / "naive"
        base = best_of(naive.RUNS, lambda: shell(naive.naive_pipeline_script(
            folder, dst, BAGIT)), lambda: (self.discard(dst), sync()))
        self.discard(dst)
        self.rows.append(ratio_row(f"capture {label} (copy, the default) against the naive "
                                   "pipeline", ours, base, "cp -r + sync + bagit.py "
                                   "sha256+sha512", naive.TARGET))

    def discard(self, path: Path) -> None:
        """Put an earlier run's output aside, deleted at the end of the section.

        Deleting 20,000 files just before a timed run makes the run slow at creating files:
        ext4 without a journal (this VM's disk) skips recently freed inodes one by one
        (``recently_deleted`` in the kernel), so a capture that copies 20,000 files took
        15 s instead of 4 s right after the previous run's bundle was deleted. Neither tool
        does that to itself, so the benchmark does not do it to them.
        """
        if path.exists():
            trash = self.out / "trash"
            trash.mkdir(exist_ok=True)
            path.rename(trash / f"{path.name}-{len(list(trash.iterdir()))}")

    def empty_trash(self) -> None:
        shutil.rmtree(self.out / "trash", ignore_errors=True)

    def verify_offline(self, bundle: Path) -> Run:
        """``evidence verify --offline``; the bundle must come out intact (not ``failed``)."""
        r = self.evidence("verify", "--offline", "--json", str(bundle), ok=(0, 1, 3),
                          capture=True)
        verdict = json.loads(r.stdout)["verdict"]
        if verdict == "failed":
            raise SystemExit(f"{bundle}: verify says failed; the benchmark is void")
        return r

    # -- a million records --

    def records(self) -> None:
        s, out = self.s, self.out
        csv_path, bundle = out / "orders.csv", out / "records-bundle"
        self.log(f"making a {s.csv_rows:,}-row CSV export")
        make_csv(csv_path, s.csv_rows)
        sync()
        self.log("capture the export")
        rec = self.evidence("capture", "--records", str(csv_path), "--case", "BENCH", "-o",
                            str(bundle))
        self.rows.append(Row(f"{s.csv_rows:,}-row CSV export -> bundle", secs(rec), "-",
                             f"{s.csv_rows / rec.seconds:,.0f} records/s", "<= 30 s, <= 1 GiB",
                             rec.seconds <= 30 and rec.max_rss_mib <= 1024, mib(rec)))
        item = f"R-{s.csv_rows // 2 + 1}"
        self.log(f"proof of {item}")
        proof = run([sys.executable, "-c", PROOF_SCRIPT, str(bundle), item], capture=True)
        imported, first, median = (float(x) for x in proof.stdout.split())
        self.rows.append(Row(f"one record's proof from that bundle ({item}), in-process",
                             f"{secs(first)} first call, {secs(median)} median of 20 "
                             f"(importing the module before: {secs(imported)})", "-",
                             "O(log n) reads of evidence/index.bin", "<= 50 ms",
                             first <= 0.05, mib(proof)))
        self.log(f"disclose {item} and verify the package")
        disclosed = out / "disclosed"
        d = self.evidence("disclose", str(bundle), "--item", item, "-o", str(disclosed))
        v = self.verify_offline(disclosed)
        total = d.seconds + v.seconds
        self.rows.append(Row("disclose + verify that one record (two whole processes)",
                             f"{secs(total)} ({secs(d)} + {secs(v)})", "-", "-", "<= 1 s",
                             total <= 1.0, mib(max(d.max_rss_mib, v.max_rss_mib))))
        shutil.rmtree(bundle)
        shutil.rmtree(disclosed)
        csv_path.unlink()

    # -- start-up --

    def startup(self) -> None:
        base = best_of(5, lambda: run([sys.executable, "-c", "pass"]))
        ours = best_of(5, lambda: self.evidence("--help"))
        extra = ours.seconds - base.seconds
        self.rows.append(Row("`evidence --help`", secs(ours), f"python -c pass {secs(base)}",
                             f"+{secs(extra)}", "<= +0.3 s", extra <= 0.3, mib(ours)))

    # -- the embedded chain --

    def embedded(self) -> None:
        s, out = self.s, self.out
        ws, bundle = out / "ws-chain", out / "one-screenshot"
        self.log("workspace on the embedded chain, one screenshot anchored and confirmed")
        run([sys.executable, "-c", SCREENSHOT_SCRIPT, str(ws), str(bundle)], env=self.env)
        ours = best_of(3, lambda: run([str(EVIDENCE), "-w", str(ws), "verify", str(bundle)],
                                      env=self.env))
        self.rows.append(Row("verify a one-screenshot bundle on the embedded chain "
                             "(whole process, 3 witnesses)", secs(ours), "-", "-", "<= 2 s",
                             ours.seconds <= 2.0, mib(ours)))
        state = out / "chain"
        self.log(f"embedded chain with {s.anchors:,} anchors (making them takes a while)")
        made = run([sys.executable, "-c", GAS_SCRIPT, str(state), str(s.anchors)],
                   capture=True)
        gas = json.loads(made.stdout.strip().splitlines()[-1])
        for name, used in gas.items():
            limit = GAS_TARGETS.get(name)
            self.rows.append(Row(
                f"gas: {name}", f"{used:,}", "21,000 base + 22,100 per fresh slot",
                f"{(used - 21_000) / 22_100:.2f} fresh slots above the base",
                f"<= {limit:,}" if limit else "-", used <= limit if limit else None, "-"))
        opened = best_of(3, lambda: run([sys.executable, "-c", OPEN_LIGHT_SCRIPT, str(state)],
                                        capture=True))
        head, found = opened.stdout.split()
        if found != "True":
            raise SystemExit("the light reader did not find the first anchor")
        self.rows.append(Row(f"embedded chain with {s.anchors:,} anchors: open it, read the "
                             f"head (block {head}) and an anchor (verifier's reader)",
                             secs(opened), "-", "-", "<= 2 s", opened.seconds <= 2.0,
                             mib(opened)))
        full = best_of(3, lambda: run([sys.executable, "-c", OPEN_FULL_SCRIPT, str(state)]))
        self.rows.append(Row("the same chain opened for writing (py-evm + web3)", secs(full),
                             "-", "most of it importing py-evm, web3 and py_ecc", "-", None,
                             mib(full)))

    def commands(self) -> None:
        """Issue 17: one command's wait, against bare scripts (benchmarks/commands.py)."""
        from commands import measure

        measure(self)

    def serve(self) -> None:
        self.log(f"witness serve on anvil: {self.s.serve_anchors} anchors")
        r = run([sys.executable, str(REPO / "benchmarks" / "witness_serve.py"), "--anchors",
                 str(self.s.serve_anchors)], capture=True)
        fig = json.loads(r.stdout.strip().splitlines()[-1])
        rate = float(fig["confirmations_per_s"])
        self.rows.append(Row(
            f"`witness serve` on anvil ({fig['anchors']} anchors)",
            f"{rate:.0f} confirmations/s, lag at the end {fig['lag_s']:.2f} s",
            f"anchors sent at {float(fig['anchors_per_s']):.0f}/s",
            "each root confirmed once" if fig["exactly_once"] else "**a root not confirmed "
            "exactly once**", ">= 50 anchors/s",
            rate >= 50 and bool(fig["exactly_once"]), f"{fig['serve_max_rss_mib']:.0f} MiB"))

    def table(self, scale: str) -> str:
        lines = [f"### evidence benchmarks (scale: {scale}, {os.cpu_count()} cores, "
                 f"{time.strftime('%Y-%m-%d')})", "",
                 "| what | ours | baseline (same run) | ratio / rate | target | met | peak RSS |",
                 "|---|---|---|---|---|---|---|"]
        for r in self.rows:
            met = "-" if r.met is None else ("yes" if r.met else "**no**")
            lines.append(f"| {r.what} | {r.ours} | {r.baseline} | {r.ratio} | {r.target} | "
                         f"{met} | {r.rss} |")
        return "\n".join(lines)


PROOF_SCRIPT = r"""
import statistics, sys, time
from pathlib import Path
t = time.perf_counter()
from evidence.bundle.index import prove
imported = time.perf_counter() - t
bundle, item = Path(sys.argv[1]), sys.argv[2]
t = time.perf_counter(); p = prove(bundle, item); first = time.perf_counter() - t
assert p.item.id == item and p.indexed, p
times = []
for _ in range(20):
    t = time.perf_counter(); prove(bundle, item); times.append(time.perf_counter() - t)
print(imported, first, statistics.median(times))
"""

SCREENSHOT_SCRIPT = r"""
import sys
from pathlib import Path
from evidence.anchoring import anchor_bundles, setup_chain
from evidence.capturing.pipeline import capture
from evidence.demo import find_examples
from evidence.workspace import init_workspace
ws_path, bundle, pw = Path(sys.argv[1]), Path(sys.argv[2]), "bench passphrase"
ws, _ = init_workspace(ws_path, pw)
ws = setup_chain(ws, pw, demo_witnesses=True)
key = ws.signing_key(pw)
capture([find_examples() / "screenshots" / "chat-1.png"], out=bundle, case="BENCH", key=key)
anchor_bundles(ws, [bundle], passphrase=pw, key=key)
"""

GAS_SCRIPT = r"""
import json, sys
from pathlib import Path
from eth_account import Account
from evidence.chain.backend import ChainConfig
from evidence.chain.connect import open_chain
from evidence.chain.contract import AnchorContract, deploy_anchor_contract
from evidence.chain.eip712 import sign_confirmation

state, n = Path(sys.argv[1]), int(sys.argv[2])
gas = {}
with open_chain(ChainConfig(kind="embedded", state_dir=state)) as chain:
    owner, w1, w2 = Account.create(), Account.create(), Account.create()
    for a in (owner, w1, w2):
        chain.fund(a.address, 10**20)
    address = deploy_anchor_contract(chain, owner)
    (state / "contract").write_text(address)
    c = AnchorContract(chain, address)
    gas["addWitness"] = c.add_witness(w1.address, "DE", "op 1", owner)["gasUsed"]
    c.add_witness(w2.address, "SG", "op 2", owner)
    root = (1).to_bytes(32, "big")
    gas["anchor (batch of 1)"] = c.anchor(root, 1, owner)["gasUsed"]
    gas["anchor (batch of 1,000,000)"] = c.anchor((2).to_bytes(32, "big"), 10**6, owner)["gasUsed"]
    gas["confirm"] = c.confirm(root, w1)["gasUsed"]
    block = chain.block("latest")
    sig = sign_confirmation(bytes(w2.key), chain.chain_id, address, root, w2.address,
                            int(block["timestamp"]))
    gas["confirmBySignature"] = c.confirm_by_signature(root, w2.address, int(block["timestamp"]),
                                                        sig, owner)["gasUsed"]
    # The rest as fast as the chain takes them: one gas figure for all (anchor costs the same
    # whatever the root), consecutive nonces, no estimate per transaction.
    fn = c._c.functions
    gas_limit = gas["anchor (batch of 1)"] * 2
    for start in range(3, n + 1, 500):
        roots = [i.to_bytes(32, "big") for i in range(start, min(n, start + 499) + 1)]
        hashes = chain.send_many(address, [bytes.fromhex(
            fn.anchor(r, 1)._encode_transaction_data()[2:]) for r in roots], owner, gas=gas_limit)
        chain.wait_for_transaction(hashes[-1])
        print(f"{start + len(roots) - 1} anchors", file=sys.stderr, flush=True)
    if n >= 3 and c.anchor_of(n.to_bytes(32, "big")) is None:
        raise SystemExit("the last anchor is not on chain")
print(json.dumps({k: int(v) for k, v in gas.items()}))
"""

OPEN_LIGHT_SCRIPT = r"""
import sys
from pathlib import Path
from evidence.chain.light import LightChain
state = Path(sys.argv[1])
address = (state / "contract").read_text()
with LightChain.open(state) as chain:
    head = chain.latest_block_number()
    found = chain.anchor_view(address).anchor_of((1).to_bytes(32, "big")) is not None
print(head, found)
"""

OPEN_FULL_SCRIPT = r"""
import sys
from pathlib import Path
from evidence.chain.backend import ChainConfig
from evidence.chain.connect import open_chain
with open_chain(ChainConfig(kind="embedded", state_dir=Path(sys.argv[1]), create=False)) as c:
    c.latest_block_number()
"""

#: Gas targets of issue 3 / issue 7, next to the EVM constants they are built on
#: (21,000 per transaction, 22,100 for a fresh storage slot).
GAS_TARGETS = {"anchor (batch of 1)": 50_000, "anchor (batch of 1,000,000)": 50_000,
               "confirm": 60_000, "confirmBySignature": 70_000}

PARTS = ("files", "records", "startup", "embedded", "serve", "commands")


def compile_bytecode() -> None:
    """Compile the tool's modules to bytecode, as installing it from a wheel does.

    This checkout is installed in editable mode, which compiles nothing; Python then
    writes each module's bytecode on first import, unless PYTHONDONTWRITEBYTECODE is set
    (it is on some machines, this one included), in which case every run compiles the
    whole tool again: 0.1 to 0.2 s per process, which would be measured in every
    start-up row below though no installed copy pays it.
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "evidence"),
                    str(REPO / "cli")], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", choices=sorted(SCALES),
                    default=os.environ.get("BENCH_SCALE", "full"))
    ap.add_argument("--out", type=Path, default=REPO / "bench-out")
    ap.add_argument("--only", nargs="*", choices=PARTS, default=list(PARTS))
    ap.add_argument("--keep", action="store_true", help="keep --out afterwards")
    args = ap.parse_args()
    out: Path = args.out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    compile_bytecode()
    bench = Bench(SCALES[args.scale], out)
    started = time.perf_counter()
    bench.evidence("init", str(out / "ws"))
    try:
        for part in PARTS:
            if part in args.only:
                getattr(bench, part)()
    finally:
        if bench.rows:
            print("\n" + bench.table(args.scale) + "\n")
            print(f"(whole benchmark run: {time.perf_counter() - started:.0f} s)")
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
