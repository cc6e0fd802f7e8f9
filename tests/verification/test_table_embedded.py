"""Issue 4's verification table on the embedded development chain.

Each row gets its own bundle and its own witnesses on one chain shared by the module, and
is verified by ``evidence.verify`` and by ``evidence verify --json`` in a subprocess: same
verdict, same exit code, same JSON (which must match the shipped JSON Schema), and an
``--offline`` verification of the same package that is never presumed authentic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Lab
from .rows import ROWS, Row, run_row


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_row(row: Row, embedded_lab: Lab, schema_validator: Any, tmp_path: Path) -> None:
    run_row(row, embedded_lab, schema_validator, tmp_path)
