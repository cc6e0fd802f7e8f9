"""``make bench`` rows of issue 17: the time a user waits for one command.

Each command runs as a whole process (``evidence ...``), against a baseline run in the same
benchmark on the same machine, best of :data:`RUNS` runs per side, the two sides taking
turns (the machine is small and shared: a burst of load then hits both):

- ``evidence init --demo-witnesses`` against ``bare_init.py``, ``evidence anchor`` of the
  demo's bundle (the shipped screenshots and transactions.csv, as ``evidence demo``
  captures them) with the four demo witnesses against ``bare_anchor.py``, and
  ``evidence report BUNDLE -o r.pdf`` against ``bare_report.py``: scripts that do the same
  essential work with the same libraries and none of the tool's structure (each says in
  its docstring what it does and what it omits). Target: <= 1.3x each.
- ``evidence anchor`` on anvil (the workspace account's keystore at the standard scrypt
  cost, as ``evidence init --chain URL`` writes it) against ``python -c "import web3"``.
  Target: <= 1.5x.

Run alone: ``python benchmarks/run.py --scale quick --only commands``.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from run import Bench, Run

HERE = Path(__file__).resolve().parent
#: Runs per side (the fastest is kept: noise only ever adds time).
RUNS = 3

#: The bundle ``evidence demo`` captures, from the examples shipped in the package.
CAPTURE_SCRIPT = r"""
import sys
from pathlib import Path
from evidence.capturing.pipeline import capture
from evidence.demo import find_examples
from evidence.workspace import open_workspace
ws = open_workspace(Path(sys.argv[1]))
key = ws.signing_key(sys.argv[2])
examples = find_examples()
for out in sys.argv[3:]:
    capture([examples / "screenshots"], records=[examples / "transactions.csv"], out=Path(out),
            case="BENCH-DEMO", key=key, platform="ExampleMart")
"""

#: The report's content as neutral JSON for bare_report.py (the blocks the PDF is drawn from).
DUMP_SCRIPT = r"""
import base64, json, sys
from pathlib import Path
from evidence.report.blocks import (Bullets, Code, Columns, FullImage, Heading, Images,
                                    KeyValue, PageBreak, Para, Table)
from evidence.report.layout import document
from evidence.report.model import build_report
from evidence.verification.verifier import verify
ws, bundle, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
result = verify(bundle, workspace=ws, trust=ws / "trust-demo.toml")
report = build_report(result, bundle=bundle, lang="en+zh")
blocks = []
def image(png, width, height, caption, blocks):
    blocks.append({"kind": "image", "png": base64.b64encode(png).decode(), "width": width,
                   "height": height, "caption": caption})
def dump(b, blocks):
    if isinstance(b, Heading):
        blocks.append({"kind": "heading", "level": b.level, "text": b.text})
    elif isinstance(b, Para):
        blocks.append({"kind": "para", "text": b.text})
    elif isinstance(b, KeyValue):
        blocks.append({"kind": "keyvalue", "rows": [list(r) for r in b.rows]})
    elif isinstance(b, Table):
        blocks.append({"kind": "table", "header": list(b.header),
                       "rows": [list(r) for r in b.rows], "widths": list(b.widths),
                       "mono": sorted(b.mono)})
    elif isinstance(b, Code):
        blocks.append({"kind": "code", "text": b.text})
    elif isinstance(b, Bullets):
        blocks.append({"kind": "bullets", "items": list(b.items)})
    elif isinstance(b, Images):  # bare_report.py makes these thumbnails itself
        for t, caption in b.images:
            blocks.append({"kind": "thumbnail", "name": t.name, "caption": caption})
    elif isinstance(b, FullImage):
        image(b.image.full, b.image.full_width, b.image.full_height, b.caption, blocks)
    elif isinstance(b, Columns):
        columns = []
        for column in b.columns:
            inner = []
            for c in column:
                dump(c, inner)
            columns.append(inner)
        blocks.append({"kind": "columns", "widths": list(b.widths), "columns": columns})
    elif isinstance(b, PageBreak):
        blocks.append({"kind": "pagebreak"})
    else:
        raise SystemExit(f"a report block the dump does not know: {type(b).__name__}")
for b in document(report):
    dump(b, blocks)
a = report.anchor.info if report.anchor is not None else None
qr = ";".join([f"evidence-report:{report.report_id}", f"digest={report.digest}"] + (
    [f"chain={a.chain_id}", f"contract={a.contract}", f"tx={a.transaction}"] if a else []))
out.write_text(json.dumps({"report": json.loads(report.canonical_bytes()), "qr": qr,
                           "blocks": blocks}))
"""

#: A workspace on the node at URL: the account's keystore at the standard scrypt cost (what
#: `evidence init --chain URL` writes), funded with anvil_setBalance, the contract deployed.
RPC_WORKSPACE_SCRIPT = r"""
import sys
from pathlib import Path
from evidence.anchoring import setup_chain
from evidence.chain.accounts import create_keystore
from evidence.workspace import init_workspace
root, url, passphrase = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
ws, _ = init_workspace(root, passphrase)
address = create_keystore(ws.path(ws.chain.account_keystore), passphrase)
print(address, flush=True)
input()  # the benchmark funds the account
setup_chain(ws, passphrase, url=url, confirmations=0)
"""


def _turns(ours: Callable[[int], Run], base: Callable[[int], Run]) -> tuple[Run, Run]:
    """Best of :data:`RUNS` for each side, the sides taking turns."""
    from run import Run

    mine: list[Run] = []
    theirs: list[Run] = []
    for i in range(RUNS):
        mine.append(ours(i))
        theirs.append(base(i))

    def best(runs: list[Run]) -> Run:
        fastest = min(runs, key=lambda r: r.seconds)
        return Run(fastest.seconds, max(r.max_rss_mib for r in runs), fastest.stdout)

    return best(mine), best(theirs)


def measure(bench: Bench) -> None:
    from run import EVIDENCE, PASSPHRASE, ratio_row, run

    out = bench.out / "commands"
    out.mkdir()
    env = bench.env
    py = sys.executable

    # -- init --demo-witnesses --
    bench.log(f"init --demo-witnesses against bare_init.py, {RUNS} runs each")
    ours, base = _turns(
        lambda i: run([str(EVIDENCE), "init", "--demo-witnesses", str(out / f"ws-{i}")],
                      env=env),
        lambda i: run([py, str(HERE / "bare_init.py"), str(out / f"bare-{i}")], env=env))
    bench.rows.append(ratio_row("`evidence init --demo-witnesses` (embedded chain, whole "
                                "process)", ours, base, "bare_init.py", 1.3))
    ws, bare_ws = out / "ws-0", out / "bare-0"

    # -- anchor, demo witnesses --
    bench.log(f"anchor the demo bundle against bare_anchor.py, {RUNS} runs each")
    mine = [out / f"bundle-{i}" for i in range(RUNS)]
    theirs = [out / f"bare-bundle-{i}" for i in range(RUNS)]
    run([py, "-c", CAPTURE_SCRIPT, str(ws), PASSPHRASE, *map(str, mine + theirs)], env=env)
    ours, base = _turns(
        lambda i: run([str(EVIDENCE), "-w", str(ws), "anchor", str(mine[i])], env=env),
        lambda i: run([py, str(HERE / "bare_anchor.py"), str(bare_ws), str(theirs[i])],
                      env=env))
    bench.rows.append(ratio_row("`evidence anchor` of the demo bundle, 4 demo witnesses "
                                "confirm (whole process)", ours, base, "bare_anchor.py", 1.3))

    # -- report -o .pdf --
    bench.log(f"report -o .pdf of the demo bundle against bare_report.py, {RUNS} runs each")
    bundle = mine[0]
    # The first signed report makes the workspace's self-issued certificate: not timed.
    run([str(EVIDENCE), "-w", str(ws), "report", str(bundle), "-o", str(out / "first.pdf")],
        env=env)
    content = out / "report-content.json"
    run([py, "-c", DUMP_SCRIPT, str(ws), str(bundle), str(content)], env=env)
    p12 = ws / "keys" / "report-signing.p12"
    ours, base = _turns(
        lambda i: run([str(EVIDENCE), "-w", str(ws), "report", str(bundle), "-o",
                       str(out / f"r-{i}.pdf")], env=env),
        lambda i: run([py, str(HERE / "bare_report.py"), str(content), str(bundle), str(p12),
                       str(out / f"bare-r-{i}.pdf")], env=env))
    bench.rows.append(ratio_row("`evidence report -o r.pdf` of the demo bundle (en+zh, "
                                "signed; whole process)", ours, base, "bare_report.py", 1.3))

    # -- anchor on anvil --
    bench.log(f"anchor on anvil against python -c 'import web3', {RUNS} runs each")
    _anvil_row(bench, out)
    shutil.rmtree(out, ignore_errors=True)


def _anvil_row(bench: Bench, out: Path) -> None:
    import subprocess

    from run import EVIDENCE, PASSPHRASE, ratio_row, run

    sys.path.insert(0, str(HERE))
    from witness_serve import ANVIL, FUNDING_WEI, Rpc, free_port, start_anvil, stop_group

    if not ANVIL.exists():
        raise SystemExit(f"anvil not installed at {ANVIL} (run: npm ci)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    anvil = start_anvil(port)
    try:
        ws = out / "ws-rpc"
        setup = subprocess.Popen([sys.executable, "-c", RPC_WORKSPACE_SCRIPT, str(ws), url,
                                  PASSPHRASE], env=bench.env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        assert setup.stdin is not None and setup.stdout is not None
        Rpc(url)("anvil_setBalance", setup.stdout.readline().strip(), hex(FUNDING_WEI))
        setup.stdin.write("\n")
        setup.stdin.close()
        if setup.wait() != 0:
            raise SystemExit("could not make the workspace on anvil")
        bundles = [out / f"rpc-bundle-{i}" for i in range(RUNS)]
        run([sys.executable, "-c", CAPTURE_SCRIPT, str(ws), PASSPHRASE, *map(str, bundles)],
            env=bench.env)
        ours, base = _turns(
            lambda i: run([str(EVIDENCE), "-w", str(ws), "anchor", str(bundles[i])],
                          env=bench.env),
            lambda i: run([sys.executable, "-c", "import web3"]))
    finally:
        stop_group(anvil)
    bench.rows.append(ratio_row("`evidence anchor` on anvil (JSON-RPC; key at scrypt "
                                "N=2**18; whole process)", ours, base,
                                "python -c 'import web3'", 1.5))
