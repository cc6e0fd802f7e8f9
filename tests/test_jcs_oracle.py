"""The project's RFC 8785 encoder against an independent implementation used as a test
oracle: trailofbits' ``rfc8785`` (as bagit-python is the oracle for the BagIt reader).

Both must give the same bytes for every value both accept, and refuse the same values:
integers beyond what binary64 holds exactly, NaN and infinities, lone surrogates.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.errors import FormatError
from evidence.standards.jcs import MAX_EXACT_INTEGER, canonicalize

VECTORS = Path(__file__).parent / "vectors" / "rfc8785"

#: rfc8785 accepts integers of magnitude up to 2**53 - 1; ours up to 2**53 (both exact in
#: binary64). The generated integers stay within the range both accept.
_SAFE = MAX_EXACT_INTEGER - 1

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_scalars = (
    st.none() | st.booleans() | st.integers(-_SAFE, _SAFE)
    | st.floats(allow_nan=False, allow_infinity=False) | _text
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(_json)
def test_same_bytes_as_the_oracle(value: Any) -> None:
    assert canonicalize(value) == rfc8785.dumps(value)


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_as_the_oracle(number: float) -> None:
    """ECMAScript number serialization (RFC 8785 §3.2.2.3), the hard part of JCS."""
    assert canonicalize([number]) == rfc8785.dumps([number])


@pytest.mark.parametrize("name", sorted(p.name for p in (VECTORS / "input").glob("*.json")))
def test_the_published_vectors_as_the_oracle(name: str) -> None:
    value = json.loads((VECTORS / "input" / name).read_text(encoding="utf-8"))
    ours = canonicalize(value)
    assert ours == rfc8785.dumps(value)
    assert ours == (VECTORS / "output" / name).read_bytes()


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 2**64, -(2**64), "\ud800",
                                   {"\udfff": 1}])
def test_refused_by_both(value: Any) -> None:
    with pytest.raises(FormatError):
        canonicalize(value)
    # rfc8785 0.1.4 refuses a lone surrogate in a key with a bare UnicodeEncodeError.
    with pytest.raises((rfc8785.CanonicalizationError, UnicodeEncodeError)):
        rfc8785.dumps(value)
