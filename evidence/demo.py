"""``evidence demo``: the whole flow, from nothing, on the embedded development chain.

Workspace with simulated witnesses -> capture of the shipped examples -> anchor and
confirmations -> verification -> a disclosure of one record -> reports. Each step says
what it proved: the steps are logged at INFO on the ``evidence.demo`` logger (and those of
set-up and anchoring on ``evidence.anchoring``); :class:`DemoResult` is the outcome. The
passphrase is a fixed, printed demo value unless EVIDENCE_PASSPHRASE is set: demo keys
guard nothing of value.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import InputError

__all__ = ["DEMO_PASSPHRASE", "DemoResult", "find_examples", "run_demo"]

DEMO_PASSPHRASE = "demo passphrase - not a secret"

#: Where the demo's examples live inside the package (package data, shipped in the wheel).
EXAMPLES_PACKAGE_PATH = ("data", "examples")

#: The demo's steps (INFO); the library never prints.
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoResult:
    out: Path
    bundle: Path
    disclosure: Path
    verdict: str
    reports: tuple[Path, ...]
    #: The verification's verdict statement ("DEMONSTRATION ONLY, ...").
    statement: str
    #: The disclosure's own verdict, verified alone ("presumed-authentic (a demonstration)").
    disclosure_verdict: str

    def to_json(self) -> dict[str, object]:
        return {"out": str(self.out), "bundle": str(self.bundle),
                "disclosure": str(self.disclosure), "verdict": self.verdict,
                "statement": self.statement, "disclosure_verdict": self.disclosure_verdict,
                "demonstration": True, "reports": [str(p) for p in self.reports]}


def find_examples() -> Path:
    """The shipped examples: package data in ``evidence/data/examples`` (in the wheel too)."""
    folder = Path(str(resources.files("evidence").joinpath(*EXAMPLES_PACKAGE_PATH)))
    if not (folder / "transactions.csv").is_file():
        raise InputError(f"{folder}: the examples shipped with the package are missing; "
                         "reinstall evidence-anchor")
    return folder


def run_demo(out: Path, *, passphrase: str = DEMO_PASSPHRASE) -> DemoResult:
    """Run the demo into ``out`` (which must not exist or be empty); each step is logged
    at INFO (see the module docstring)."""
    from .anchoring import anchor_bundles, setup_chain
    from .capturing.pipeline import capture
    from .chain.extras import require_embedded
    from .disclosure import disclose
    from .trust.sources import DEMO_PROFILE_NAME
    from .verification.verifier import verify
    from .workspace import init_workspace

    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out}: exists and is not empty; choose another --out")
    require_embedded()  # the demo runs on the embedded development chain
    examples = find_examples()
    out.mkdir(parents=True, exist_ok=True)
    ws_path, bundle, disclosure = out / "workspace", out / "bundle", out / "disclosure-R-1"

    _log.info(f"1. workspace {ws_path}: capturer key, account, EvidenceAnchor contract on the "
              "embedded development chain, simulated witnesses CN, SG, DE (Hague Convention "
              "parties) and JP (not a party)")
    ws, _ = init_workspace(ws_path, passphrase)
    ws = setup_chain(ws, passphrase, demo_witnesses=True)
    key = ws.signing_key(passphrase)

    _log.info(f"2. capture {examples}/screenshots and {examples}/transactions.csv into {bundle}")
    cap = capture([examples / "screenshots"], records=[examples / "transactions.csv"],
                  out=bundle, case="DEMO-2026-AURORA-001", key=key, platform="ExampleMart",
                  source_url="https://shop.example.invalid/store/aurora-outlet",
                  note="Demo: suspected counterfeit AURORA headphones, orders split below "
                       "customs thresholds")
    _log.info(f"   {cap.file_count} files and {cap.record_count} records, each a salted RFC 6962 "
              f"leaf; root {cap.root.hex()} signed by {key.fingerprint}")

    _log.info("3. anchor the bundle root on chain; the simulated witnesses confirm it")
    outcome = anchor_bundles(ws, [bundle], passphrase=passphrase, key=key)
    receipt = outcome.anchored[0][1]
    _log.info(f"   proved: the root existed no later than block {receipt.block_number} "
              f"(tx {receipt.transaction})")

    demo_profile = ws_path / DEMO_PROFILE_NAME
    _log.info("4. verify under policy hague-3 (>= 3 Hague Evidence Convention jurisdictions) and "
              f"the workspace's demonstration trust profile {demo_profile}")
    result = verify(bundle, workspace=ws_path, trust=demo_profile)
    counted = [w for w in result.witnesses if w.get("counted")]
    _log.info(f"   verdict: {result.statement()}")
    _log.info(f"   ({len(counted)} counted witnesses: "
              f"{', '.join(str(w['jurisdiction']) for w in counted)}; JP not counted: not a party)")
    _log.info("   a real case needs a chain that no party to the dispute controls "
              "(`evidence init --chain URL`) and a court that verifies with its own trust profile "
              "(`evidence verify --trust FILE`)")

    _log.info(f"5. disclose one record (R-1) alone into {disclosure}, with its inclusion proof")
    disclose(bundle, "R-1", out=disclosure, key=key)
    alone = verify(disclosure, workspace=ws_path, trust=demo_profile)
    shown = f"{alone.verdict.value} (a demonstration)" if alone.demonstration else (
        alone.verdict.value)
    _log.info(f"   disclosure verifies alone: {shown}; it holds nothing of the other "
              f"{cap.item_count - 1} items")

    reports = _reports(result, bundle, out, ws, passphrase)
    _log.info(f"done: everything is in {out}")
    return DemoResult(out, bundle, disclosure, result.verdict.value, tuple(reports),
                      result.statement(), shown)


def _reports(result: object, bundle: Path, out: Path, ws: object, passphrase: str
             ) -> list[Path]:
    """Reports, once the report module is there (JSON, HTML, PDF)."""
    try:
        from . import report as report_module
    except ImportError:  # pragma: no cover
        return []
    make = getattr(report_module, "demo_reports", None)
    if make is None:
        return []
    _log.info("6. reports for the court: JSON, HTML and PDF (English and Chinese), signed")
    paths: list[Path] = make(result, bundle=bundle, out=out, workspace=ws, passphrase=passphrase)
    for p in paths:
        _log.info(f"   {p}")
    return paths
