"""The chain-dependent rows of the verification table again, on a real JSON-RPC node (anvil).

The workspace is made with ``evidence init WS --chain URL`` after its account is funded
with ``anvil_setBalance``; the window row moves anvil's clock with ``evm_increaseTime``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import Lab
from .rows import CHAIN_ROWS, Row, run_row

pytestmark = pytest.mark.anvil


@pytest.mark.parametrize("row", CHAIN_ROWS, ids=[r.id for r in CHAIN_ROWS])
def test_row(row: Row, anvil_lab: Lab, schema_validator: Any, tmp_path: Path) -> None:
    run_row(row, anvil_lab, schema_validator, tmp_path)
