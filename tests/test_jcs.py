"""Tests for evidence.standards.jcs: RFC 8785 vectors, the number rule, strict parsing,
streaming."""

from __future__ import annotations

import io
import json
import math
import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.errors import FormatError
from evidence.standards import ijson
from evidence.standards.ijson import iter_array_strict, loads_strict
from evidence.standards.jcs import (
    MAX_DEPTH,
    MAX_EXACT_INTEGER,
    JSONValue,
    canonicalize,
    dumps_canonical,
)

from .conftest import VECTORS as ALL_VECTORS

VECTORS = ALL_VECTORS / "rfc8785"
VECTOR_NAMES = ["arrays", "french", "structures", "unicode", "values", "weird"]


# --- RFC 8785 vectors ------------------------------------------------------------------------


@pytest.mark.parametrize("name", VECTOR_NAMES)
def test_vector_bytes(name: str) -> None:
    """Parse input/NAME.json, canonicalize, compare bytes with output/ and outhex/."""
    data = (VECTORS / "input" / f"{name}.json").read_bytes()
    expected = (VECTORS / "output" / f"{name}.json").read_bytes()
    outhex = bytes.fromhex("".join((VECTORS / "outhex" / f"{name}.txt").read_text().split()))
    assert expected == outhex
    got = canonicalize(json.loads(data))
    assert got == expected
    assert dumps_canonical(json.loads(data)) == expected.decode("utf-8")


@pytest.mark.parametrize("name", [n for n in VECTOR_NAMES if n != "values"])
def test_vector_bytes_through_strict_parser(name: str) -> None:
    data = (VECTORS / "input" / f"{name}.json").read_bytes()
    expected = (VECTORS / "output" / f"{name}.json").read_bytes()
    assert canonicalize(loads_strict(data, path=name)) == expected
    # Canonical output is itself strict input and a fixed point.
    assert canonicalize(loads_strict(expected)) == expected


def test_values_vector_is_not_strict_input() -> None:
    """values.json has 333333333.33333329, whose last digits are not those of its double."""
    data = (VECTORS / "input" / "values.json").read_bytes()
    with pytest.raises(FormatError) as info:
        loads_strict(data, path="values.json")
    assert info.value.where == "line 2, column 15"
    assert "333333333.33333329" in str(info.value)
    # With that one number written as its double's 17 digits, the file is strict input and
    # still canonicalizes to the expected bytes.
    fixed = data.replace(b"333333333.33333329", b"333333333.33333331")
    expected = (VECTORS / "output" / "values.json").read_bytes()
    assert canonicalize(loads_strict(fixed)) == expected


def _es6_cases() -> list[tuple[str, float, str]]:
    cases = []
    for line in (VECTORS / "es6testfile10k.txt").read_text().splitlines():
        bits, expected = line.split(",")
        value = struct.unpack(">d", bytes.fromhex(bits.zfill(16)))[0]
        cases.append((bits, value, expected))
    return cases


def test_es6_number_file() -> None:
    cases = _es6_cases()
    assert len(cases) == 10_000
    failures = [
        (bits, expected, canonicalize(value).decode())
        for bits, value, expected in cases
        if canonicalize(value) != expected.encode()
    ]
    assert failures == []


def test_es6_numbers_parse_back_exactly() -> None:
    """Every canonical number is strict input and parses back to the same double."""
    for _, value, expected in _es6_cases()[:3000]:
        parsed = loads_strict(expected)
        assert isinstance(parsed, int | float)
        assert float(parsed) == value


# --- serializer details ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (45.0, "45"),
        (-1.5, "-1.5"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.1 + 0.2, "0.30000000000000004"),
        (2**53, "9007199254740992"),
        (-(2**53), "-9007199254740992"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
    ],
)
def test_numbers(value: float, text: str) -> None:
    assert canonicalize(value) == text.encode()


def test_strings_escaped_as_json_stringify() -> None:
    value = '"\\/\b\f\n\r\t\x00\x1f\x7f\u2028</script>€😂'
    expected = '"\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\x7f\u2028</script>€😂"'
    assert canonicalize(value) == expected.encode("utf-8")


def test_keys_sorted_by_utf16_code_units() -> None:
    """U+1F600 is D83D DE00 in UTF-16, so it sorts before U+E000 (code points say after)."""
    value = {"\ue000": 1, "\U0001f600": 2, "b": 3, "a": 4, "": 5, "é": 6}
    assert canonicalize(value) == '{"":5,"a":4,"b":3,"é":6,"😀":2,"\ue000":1}'.encode()


def test_literals_and_nesting() -> None:
    value: dict[str, object] = {"b": [None, True, False, [], {}], "a": (1, "x")}
    assert canonicalize(value) == b'{"a":[1,"x"],"b":[null,true,false,[],{}]}'


@pytest.mark.parametrize(
    "value",
    [
        2**53 + 1,
        -(2**53) - 1,
        10**30,
        math.nan,
        math.inf,
        -math.inf,
        "\ud800",
        {"\udc00": 1},
    ],
)
def test_serializer_rejects_inexact(value: object) -> None:
    with pytest.raises(FormatError, match="RFC 8785"):
        canonicalize(value)  # type: ignore[arg-type]


def test_serializer_depth_limit() -> None:
    ok: JSONValue = 0
    for _ in range(MAX_DEPTH):
        ok = [ok]
    assert canonicalize(ok) == b"[" * MAX_DEPTH + b"0" + b"]" * MAX_DEPTH
    with pytest.raises(FormatError, match="nesting deeper than 64"):
        canonicalize([ok])


@pytest.mark.parametrize("value", [{1: "x"}, {"a": {1, 2}}, b"bytes", object()])
def test_serializer_type_errors(value: object) -> None:
    with pytest.raises(TypeError):
        canonicalize(value)  # type: ignore[arg-type]


# --- strict parser: the number rule ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("45.00", 45.0),
        ("0.1", 0.1),
        ("0.10000000000000001", 0.1),  # C printf %.17g of 0.1
        ("0.1000000000000000055511151231257827", 0.1),  # its exact binary expansion
        ("1E30", 1e30),
        ("5e-324", 5e-324),
        ("-0.0", -0.0),
        ("0e999", 0.0),
        ("9007199254740992", 2**53),
        ("-9007199254740992", -(2**53)),
        ("-0", 0),
        ("18446744073709551616", 2.0**64),  # beyond 2**53 but exact: a float
        ("333333333333333300000", 3.333333333333333e20),
        ("5.960464477539063e-08", 2.0**-24),  # exact tie: shortest form rounds up
    ],
)
def test_numbers_accepted(text: str, value: float) -> None:
    parsed = loads_strict(text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    "text",
    [
        "12345678901234567890",
        "9007199254740993",
        "-9007199254740993",
        "1" * 5000,  # longer than int()'s default digit limit: still a clean FormatError
        "1.00000000000000000001",
        "0.10000000000000004",  # 17 digits, but its double is 0.10000000000000003...
        "333333333.33333329",
        "1e400",
        "-1e400",
        "1e-400",
        "4e-324",
    ],
)
def test_numbers_rejected(text: str) -> None:
    with pytest.raises(FormatError, match="number cannot be represented exactly in RFC 8785"):
        loads_strict(text, path="n.json")


def test_integer_literal_becomes_int_and_decimal_becomes_float() -> None:
    assert loads_strict('{"q": 1, "p": 45.00}') == {"q": 1, "p": 45.0}
    assert canonicalize(loads_strict('{"q": 1, "p": 45.00}')) == b'{"p":45,"q":1}'


# --- strict parser: other rules and error locations ------------------------------------------


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        ('{"a": 1,\n "a": 2}', "line 2, column 2", "duplicate member name 'a'"),
        ('{"a": NaN}', "line 1, column 7", "NaN is not a JSON number"),
        ("[Infinity]", "line 1, column 2", "Infinity is not a JSON number"),
        ("[-Infinity]", "line 1, column 2", "-Infinity is not a JSON number"),
        ("[1,\n  12345678901234567890]", "line 2, column 3", "beyond ±2**53"),
        ('["ok",\n "\\ud800"]', "line 2, column 2", "lone surrogate"),
        ('["\\udc00\\ud800"]', "line 1, column 2", "lone surrogate"),
        ('"\ud800"', "line 1, column 1", "lone surrogate"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "line 1, column 65", "nesting deeper"),
        ("[" * 100_000, "line 1, column 65", "nesting deeper"),
        ('{"a": 1}\n  {"b": 2}', "line 2, column 3", "trailing data"),
        ("[1, 2] x", "line 1, column 8", "trailing data"),
        ("\ufeff{}", "line 1, column 1", "byte order mark"),
        (b"\xef\xbb\xbf{}", "line 1, column 1", "byte order mark"),
        (b'{"a":\n "caf\xe9"}', "line 2, column 6", "invalid UTF-8"),
        (b'["\xed\xa0\x80"]', "line 1, column 3", "invalid UTF-8"),  # CESU surrogate bytes
        ("", "line 1, column 1", "expected a JSON value"),
        ("  \n ", "line 2, column 2", "expected a JSON value"),
        ("[1,]", "line 1, column 4", "expected a JSON value"),
        ('{"a" 1}', "line 1, column 6", "expected ':'"),
        ("{'a': 1}", "line 1, column 2", "member name in double quotes"),
        ("[01]", "line 1, column 2", "malformed number"),
        ("[1.]", "line 1, column 2", "malformed number"),
        ("[.5]", "line 1, column 2", "expected a JSON value"),
        ("[+1]", "line 1, column 2", "expected a JSON value"),
        ('["a\tb"]', "line 1, column 4", "invalid control character"),
        ('["\\x"]', "line 1, column 3", "invalid \\escape"),
        ("[tru]", "line 1, column 2", "expected a JSON value"),
        ("[1 2]", "line 1, column 4", "expected ',' or ']'"),
        ('{"a":1 "b":2}', "line 1, column 8", "expected ',' or '}'"),
        ("[1", "line 1, column 3", "unterminated array"),
        ('{"a":1', "line 1, column 7", "unterminated object"),
        ('"abc', "line 1, column 1", "unterminated string"),
    ],
)
def test_strict_errors(data: str | bytes, where: str, message: str) -> None:
    with pytest.raises(FormatError) as info:
        loads_strict(data, path="case.json")
    assert info.value.path == "case.json"
    assert info.value.where == where
    assert message in str(info.value)
    assert str(info.value).startswith(f"case.json: {where}: ")


def test_first_line_offsets_locations() -> None:
    with pytest.raises(FormatError) as info:
        loads_strict('{"a": 1, "a": 2}', path="x.jsonl", first_line=12)
    assert info.value.where == "line 12, column 10"


def test_depth_limit_is_inclusive() -> None:
    deepest = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert canonicalize(loads_strict(deepest)) == deepest.encode()
    objects = '{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH
    assert canonicalize(loads_strict(objects)) == objects.encode()
    with pytest.raises(FormatError, match="nesting"):
        loads_strict('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1))


def test_surrogate_pairs_are_accepted() -> None:
    assert loads_strict('["\\ud83d\\ude02", "😂"]') == ["😂", "😂"]


def test_whitespace_is_json_whitespace_only() -> None:
    assert loads_strict(" \t\r\n[ 1 ,\r\n 2 ] \n") == [1, 2]
    with pytest.raises(FormatError):
        loads_strict("\u00a0[1]")  # no-break space is not JSON whitespace


# --- Hypothesis properties -------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_EXACT_INTEGER, max_value=MAX_EXACT_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
)
_keys = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
json_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_keys, children, max_size=5),
    max_leaves=25,
)


def _reserialize(value: object, rng: random.Random) -> str:
    """Write ``value`` as JSON with shuffled keys, random whitespace and escaping."""
    ws = rng.choice(["", " ", "\n  ", "\t", "\r\n"])
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        body = f",{ws}".join(
            f"{json.dumps(k, ensure_ascii=rng.random() < 0.5)}{ws}:{ws}{_reserialize(v, rng)}"
            for k, v in items
        )
        return "{" + ws + body + ws + "}"
    if isinstance(value, list):
        return "[" + ws + f"{ws},".join(_reserialize(v, rng) for v in value) + ws + "]"
    if isinstance(value, float) and value.is_integer() and rng.random() < 0.5:
        return f"{value:.1f}" if abs(value) < 1e16 else repr(value)  # e.g. 45.0, 45.00 forms
    return json.dumps(value, ensure_ascii=rng.random() < 0.5)


def _int_or_double(text: str) -> float:
    return int(text) if abs(int(text)) <= MAX_EXACT_INTEGER else float(text)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_canonical_round_trip(value: JSONValue) -> None:
    canonical = canonicalize(value)
    parsed = loads_strict(canonical)
    assert canonicalize(parsed) == canonical
    # The canonical form is ordinary JSON of the same value (integers beyond 2**53 in it are
    # doubles written as digits, as ECMAScript does).
    assert json.loads(canonical, parse_int=_int_or_double) == value


@settings(max_examples=300, deadline=None)
@given(json_values, st.randoms(use_true_random=False))
def test_key_order_and_whitespace_do_not_matter(value: JSONValue, rng: random.Random) -> None:
    text = _reserialize(value, rng)
    assert canonicalize(loads_strict(text)) == canonicalize(value)
    assert canonicalize(loads_strict(text.encode("utf-8"))) == canonicalize(value)


_token_soup = st.lists(
    st.sampled_from(
        [
            "[",
            "]",
            "{",
            "}",
            ",",
            ":",
            " ",
            "\n",
            '"a"',
            '"b"',
            "1",
            "-0",
            "1.50",
            "1e400",
            "12345678901234567890",
            "true",
            "nul",
            "NaN",
            '"\\ud83d\\ude02"',
            '"\\ud800"',
            "0.1",
        ]
    ),
    max_size=14,
).map("".join)


def _outcome(parse: object, text: str) -> tuple[str, str]:
    try:
        value = parse(text)  # type: ignore[operator]
    except FormatError as exc:
        return "error", str(exc)
    return "ok", repr(value)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_token_soup, json_values.map(json.dumps)))
def test_fast_path_agrees_with_reference_parser(text: str) -> None:
    """loads_strict's C fast path never accepts more, or differently, than _Parser alone."""

    def reference(data: str) -> JSONValue:
        parser = ijson._Parser(data)
        try:
            value, end = parser.value(0, 0)
            if parser.skip_ws(end) != len(data):
                raise ijson._ParseError("trailing data after the JSON value", end)
        except ijson._ParseError as exc:
            raise FormatError(exc.message, where=ijson._where(data, exc.pos)) from None
        return value

    assert _outcome(loads_strict, text) == _outcome(reference, text)


# --- streaming arrays ------------------------------------------------------------------------


class Trickle:
    """A reader that returns at most ``step`` characters per read, to split every token."""

    def __init__(self, text: str, step: int):
        self.stream = io.StringIO(text)
        self.step = step

    def read(self, size: int = -1, /) -> str:
        return self.stream.read(min(self.step, size) if size >= 0 else self.step)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(json_values, max_size=6),
    st.randoms(use_true_random=False),
    st.integers(min_value=1, max_value=9),
)
def test_streamed_array_equals_whole_parse(
    elements: list[JSONValue], rng: random.Random, step: int
) -> None:
    text = _reserialize(elements, rng)
    streamed = list(iter_array_strict(Trickle(text, step)))
    assert canonicalize(streamed) == canonicalize(loads_strict(text))


@pytest.mark.parametrize("step", [1, 2, 3, 5, 8, 64 * 1024])
@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('[{"a": 1},\n {"a": 1, "a": 2}]', "element 2, line 2, column 11", "duplicate"),
        ("[1.5,\n  2.00000000000000000001]", "element 2, line 2, column 3", "RFC 8785"),
        ("[123,\n 45", "line 2, column 4", "expected ',' or ']' after element 2"),
        ('[{"a": "x\n"}]', "element 1, line 1, column 10", "invalid control character"),
        ('[{"a": tru}]', "element 1, line 1, column 8", "expected a JSON value"),
        ("[1, 2,]", "line 1, column 7", "trailing comma"),
        ("[1] [2]", "line 1, column 5", "trailing data after the JSON array"),
        ("\ufeff[1]", "line 1, column 1", "byte order mark"),
        ("{}", "line 1, column 1", "expected a JSON array"),
        ("", "line 1, column 1", "expected a JSON array ('['), found the end of the input"),
        ("[" + '{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH + "]", "element 1", "nesting"),
    ],
)
def test_streamed_array_errors(text: str, where: str, message: str, step: int) -> None:
    with pytest.raises(FormatError) as info:
        list(iter_array_strict(Trickle(text, step), path="a.json"))
    assert info.value.where is not None and info.value.where.startswith(where)
    assert message in str(info.value)


def test_streamed_array_locations_after_many_chunks() -> None:
    """Line and column stay right after the buffer has been compacted many times."""
    line = '{"order": "' + "x" * 100 + '"},\n'
    text = "[\n" + line * 5000 + '  {"bad": 1, "bad": 2}\n]'
    with pytest.raises(FormatError) as info:
        list(iter_array_strict(io.StringIO(text)))
    assert info.value.where == "element 5001, line 5002, column 14"


def test_streamed_element_size_limit() -> None:
    text = '[{"a": "' + "x" * 1000 + '"}, {"a": "' + "y" * 3000 + '"}]'
    elements = iter_array_strict(Trickle(text, 100), max_element_bytes=2000)
    assert next(elements) == {"a": "x" * 1000}
    with pytest.raises(FormatError, match="element larger than 2000 bytes") as info:
        next(elements)
    assert info.value.where == "element 2, line 1, column 1013"
    # Complete in one read, but still over the limit (UTF-8 bytes, not characters).
    wide = '[{"a": "' + "é" * 1500 + '"}]'
    with pytest.raises(FormatError, match="element of 3009 bytes is larger than the limit of 2000"):
        list(iter_array_strict(io.StringIO(wide), max_element_bytes=2000))
    assert list(iter_array_strict(io.StringIO(wide), max_element_bytes=4000))


def test_stream_number_split_across_reads() -> None:
    """A number cut by a read boundary must not be taken as complete ("12" of "12.5")."""
    for step in range(1, 8):
        assert list(iter_array_strict(Trickle("[12.5e1, -0.25, 7]", step))) == [125.0, -0.25, 7]


# --- the C-encoder fast path must agree with the reference serializer --------------------

from hypothesis import given as _given  # noqa: E402
from hypothesis import strategies as _st  # noqa: E402

from evidence.standards import jcs as _jcs  # noqa: E402

_fast_values = _st.recursive(
    _st.none() | _st.booleans() | _st.integers(-(2**53), 2**53)
    | _st.text(alphabet=_st.characters(blacklist_categories=("Cs",))),
    lambda inner: _st.lists(inner, max_size=4)
    | _st.dictionaries(_st.text(alphabet=_st.characters(blacklist_categories=("Cs",))),
                       inner, max_size=4),
    max_leaves=20,
)


@_given(_fast_values)
def test_fast_path_equals_reference_serializer(value: object) -> None:
    parts: list[str] = []
    _jcs._serialize(value, parts, 0)
    reference = "".join(parts).encode("utf-8")
    assert _jcs.canonicalize(value) == reference  # type: ignore[arg-type]


def test_fast_path_declines_astral_keys_and_floats() -> None:
    assert not _jcs._fast_path_ok({"\U0001f600": 1}, 0)
    assert not _jcs._fast_path_ok({"a": 1.5}, 0)
    assert _jcs.canonicalize({"\U0001f600": 1, "\ufb33": 2}) == \
        '{"\U0001f600":1,"\ufb33":2}'.encode()


def test_deep_input_cannot_overflow_the_c_stack_when_the_recursion_limit_is_raised() -> None:
    """py-evm raises the recursion limit above 10,000; the C scanner must not follow it."""
    import subprocess
    import sys

    code = ("import sys; sys.setrecursionlimit(200000)\n"
            "from evidence.standards.ijson import loads_strict\n"
            "from evidence.errors import FormatError\n"
            "for text in ('[' * 150000, '[1,' * 150000, '{\"a\":' * 150000):\n"
            "    try:\n        loads_strict(text)\n    except FormatError as e:\n"
            "        assert 'nesting' in str(e), e\n"
            "    else:\n        raise SystemExit('accepted')\n"
            "assert sys.getrecursionlimit() == 200000\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-500:])


# --- per-export encoders (capture's million-record path) must equal canonicalize -----------

_any_text = _st.text(alphabet=_st.characters(blacklist_categories=("Cs",)))
#: What CSV cells hold, weighted towards what RFC 8785 escapes or sorts specially.
_cell = _st.text(alphabet=_st.sampled_from(
    ['"', "\\", "\x00", "\x08", "\x1f", "\x7f", "\n", "\u2028", "\u2029", "é", "\ufb33",
     "\uffff", "\U0001f600", "%", "s", "a", " "])) | _any_text


@_given(_st.lists(_any_text | _cell, min_size=1, max_size=8, unique=True).flatmap(
    lambda names: _st.tuples(_st.just(names),
                             _st.lists(_cell, min_size=len(names), max_size=len(names)))))
def test_string_record_encoder_equals_canonicalize(case: tuple[list[str], list[str]]) -> None:
    names, values = case
    encoder = _jcs.StringRecordEncoder(names)
    assert encoder.encode(values) == _jcs.canonicalize(dict(zip(names, values, strict=True)))


@pytest.mark.parametrize("values", [["\ud800", "x"], ["x", "a\udfffb"]])
def test_string_record_encoder_refuses_lone_surrogates(values: list[str]) -> None:
    with pytest.raises(FormatError, match="surrogate"):
        _jcs.StringRecordEncoder(["a", "b"]).encode(values)


def test_string_record_encoder_sorts_by_utf16_code_units() -> None:
    encoder = _jcs.StringRecordEncoder(["\uffff", "\U0001f600", "b", "a"])
    assert encoder.encode(["1", "2", "3", "4"]) == \
        '{"a":"4","b":"3","\U0001f600":"2","\uffff":"1"}'.encode()


@_given(_any_text | _cell)
def test_canonical_string_equals_canonicalize(text: str) -> None:
    assert _jcs.canonical_string(text).encode("utf-8") == _jcs.canonicalize(text)


@_given(_st.dictionaries(_any_text, _fast_values | _st.floats(allow_nan=False,
                                                               allow_infinity=False),
                         max_size=6),
        _st.lists(_st.tuples(_any_text, _any_text | _cell, _st.booleans()), max_size=6,
                  unique_by=lambda t: t[0]))
def test_object_template_equals_canonicalize(fixed: dict[str, object],
                                             slots: list[tuple[str, str, bool]]) -> None:
    slots = [s for s in slots if s[0] not in fixed]
    raw = [name for name, value, as_raw in slots
           if as_raw and not _jcs._NOT_PLAIN.search(value)]
    template = _jcs.ObjectTemplate(fixed, [name for name, _, _ in slots],  # type: ignore[arg-type]
                                   raw_strings=raw)
    texts = [value if name in raw else _jcs.canonical_string(value) for name, value, _ in slots]
    whole = {**fixed, **{name: value for name, value, _ in slots}}
    assert template.fill(texts).encode("utf-8") == _jcs.canonicalize(whole)  # type: ignore[arg-type]


def test_object_template_rejects_inconsistent_slots() -> None:
    for fixed, slots, raw in [({}, ["a", "a"], []), ({"a": 1}, ["a"], []), ({}, ["a"], ["b"])]:
        with pytest.raises(ValueError):
            _jcs.ObjectTemplate(fixed, slots, raw_strings=raw)


# --- loads_canonical: the quick check of an item line -----------------------------------------


def _strictly_canonical(data: bytes) -> bool:
    try:
        value = loads_strict(data)
        return isinstance(value, dict) and canonicalize(value) == data
    except FormatError:
        return False


@settings(max_examples=400, deadline=None)
@_given(_st.one_of(
    json_values.map(lambda v: {"v": v}).map(canonicalize),  # canonical objects
    _st.dictionaries(_keys, json_values, max_size=6).map(canonicalize),
    _st.tuples(json_values, _st.randoms(use_true_random=False)).map(  # the same, re-laid
        lambda vr: _reserialize({"v": vr[0]}, vr[1]).encode("utf-8")),
    _token_soup.map(lambda t: ("{" + t).encode("utf-8")),
))
def test_loads_canonical_never_accepts_what_the_strict_check_refuses(data: bytes) -> None:
    value = ijson.loads_canonical(data)
    if value is not None:
        assert _strictly_canonical(data)
        assert value == loads_strict(data)


@pytest.mark.parametrize("line", [
    b'{"a":1}', b'{"a":"\xe4\xb8\xad\\u001f\xe2\x80\xa8","b":[true,null,{"c":-9007199254740992}]}',
    b'{"z":{},"\xc3\xa9":"x"}',
])
def test_loads_canonical_takes_plain_canonical_objects(line: bytes) -> None:
    assert ijson.loads_canonical(line) == loads_strict(line)


@pytest.mark.parametrize("line", [
    b'{"a":1.5}', b'{"a":1e-7}', b'{"a":1e-07}',  # numbers: RFC 8785's, not Python's, form
    b'{"a":9007199254740993}', b'{"a":NaN}', b'{"a":-0}',
    b'{"\xf0\x9f\x98\x80":1,"\xef\xbf\xbf":2}',  # astral name: UTF-16 order differs
    b'{"a":1,"a":1}', b'{"a": 1}', b'{"b":1,"a":2}', b'{"a":"\\u0041"}',
    b'{"a":"\\ud800"}', b'\xef\xbb\xbf{"a":1}', b'{"a":1}x', b'[1]', b'"a"', b'{"a":"\xff"}',
    b'{"a":' + b"[" * 20 + b"]" * 20 + b"}",
])
def test_loads_canonical_declines(line: bytes) -> None:
    assert ijson.loads_canonical(line) is None
