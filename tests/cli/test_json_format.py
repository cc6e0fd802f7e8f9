"""evidence_cli.main.format_json: the JSON the CLI prints is the value, laid out one member per
line for two levels."""

from __future__ import annotations

import json
from typing import Any

from evidence_cli.common import format_json
from hypothesis import given
from hypothesis import strategies as st

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@given(_values)
def test_format_json_is_the_same_value(value: Any) -> None:
    assert json.loads(format_json(value)) == value


def test_format_json_layout() -> None:
    result = {"verdict": "ok", "items": [{"id": "F-1", "n": [1, 2]}, {"id": "F-2"}],
              "none": [], "empty": {}, "text": "中文 \u2028"}
    assert format_json(result).split("\n") == [
        "{",
        '  "verdict": "ok",',
        '  "items": [',
        '    {"id": "F-1", "n": [1, 2]},',
        '    {"id": "F-2"}',
        "  ],",
        '  "none": [],',
        '  "empty": {},',
        '  "text": "中文 \u2028"',
        "}",
    ]
