"""docs/verification.md documents every finding code a verification can give."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "verification.md"

#: The modules whose findings make up a verification result (the BagIt reader's problem
#: codes come through integrity as ``bag-CODE`` and are checked separately); a folder
#: stands for every module in it.
SOURCES = ("bundle/integrity.py", "bundle/recorded.py", "verification", "bundle/custody.py",
           "policy", "timestamps/check.py")

_CODE = re.compile(r'(?:\.add|Finding)\(\s*"([a-z0-9-]+)"|_RULE_[A-Z_]+ = "([a-z0-9-]+)"')


def _emitted_codes() -> set[str]:
    codes: set[str] = set()
    for name in SOURCES:
        source = REPO / "evidence" / name
        for module in sorted(source.glob("*.py")) if source.is_dir() else [source]:
            text = module.read_text(encoding="utf-8")
            codes |= {a or b for a, b in _CODE.findall(text)}
    return codes


def test_the_scan_finds_the_codes_it_should() -> None:
    codes = _emitted_codes()
    assert {"items-ok", "anchor-missing", "chain-unreachable", "policy-outcome",
            "custody-ok", "offline"} <= codes


def test_every_finding_code_is_in_the_table() -> None:
    doc = DOC.read_text(encoding="utf-8")
    missing = sorted(c for c in _emitted_codes() if f"`{c}`" not in doc)
    assert not missing, f"add these finding codes to {DOC.name}: {missing}"


def test_every_bag_error_code_is_listed() -> None:
    from evidence.standards.bagit import PROBLEM_CODES

    doc = DOC.read_text(encoding="utf-8")
    errors = [c for c, meaning in PROBLEM_CODES.items() if not meaning.startswith("warning")]
    missing = sorted(c for c in errors if f"`{c}`" not in doc)
    assert not missing, f"add these BagIt problem codes to {DOC.name}: {missing}"


def test_every_reason_code_is_explained() -> None:
    from evidence.policy.evaluate import _REASON_RULE

    doc = DOC.read_text(encoding="utf-8")
    assert not sorted(c for c in _REASON_RULE if f"`{c}`" not in doc)


def test_the_table_lists_no_code_that_is_gone() -> None:
    doc = DOC.read_text(encoding="utf-8")
    table = doc[doc.index("## Finding codes"):]
    table = table[:table.index("\n## ")] if "\n## " in table else table
    listed: set[str] = set()
    for line in table.splitlines():
        if line.startswith("| `"):
            listed |= set(re.findall(r"`([a-z0-9-]+)`", line.split("|")[1]))
    # item-* codes are built from the item's status in bundle/integrity.py.
    dynamic = {"item-changed", "item-missing", "item-invalid"}
    # timestamp-* codes of a token's problems (evidence/timestamps/token.py) become findings.
    token = (REPO / "evidence" / "timestamps" / "token.py").read_text(encoding="utf-8")
    dynamic |= set(re.findall(r'TokenProblem\(\s*"([a-z0-9-]+)"', token))
    assert not sorted(listed - _emitted_codes() - dynamic)
