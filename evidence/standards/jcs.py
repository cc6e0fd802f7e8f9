"""RFC 8785 JSON Canonicalization Scheme (JCS) and strict I-JSON parsing.

Every byte the toolkit hashes comes from :func:`canonicalize`, so that the same record gives
the same bytes whatever key order, whitespace or number spelling the export used.

* :func:`canonicalize` writes RFC 8785 output: no whitespace, object members sorted by the
  UTF-16 code units of their names (§3.2.3), strings escaped as ECMAScript ``JSON.stringify``
  does (§3.2.2.2), numbers written as ECMAScript ``Number.prototype.toString`` does
  (§3.2.2.3), UTF-8 (§3.2.4).
* :func:`loads_strict` reads JSON under the I-JSON rules RFC 8785 §3.1 relies on (RFC 7493):
  no duplicate member names, no NaN or Infinity, no lone surrogates, only numbers that are
  exact in IEEE-754 binary64 (rule below), bounded nesting, valid UTF-8, no byte order mark,
  nothing after the value.
* :func:`iter_array_strict` applies the same rules to a top-level JSON array read
  incrementally from a text stream, one element at a time, so that a large export is never
  held in memory whole.

Number rule (what "exact" means here)
    RFC 8785 numbers are IEEE-754 binary64 values (§3.2.2.3), so a number is accepted only
    when reading it as binary64 loses nothing the exporter wrote.

    An integer literal (no fraction, no exponent) with ``|n| <= 2**53``
    (:data:`MAX_EXACT_INTEGER`) is returned as ``int``: every such integer is exact.

    Any other number is returned as the ``float`` ``x`` nearest to its decimal value (what
    ``float(text)`` gives) and is accepted when ``x`` is finite and **every significant digit
    written is a correct digit of x**: the number, written with its ``d`` significant digits
    (trailing zeros dropped), equals ``x`` correctly rounded to ``d`` significant digits
    (on an exact tie, either way). In other words, the text is what a correct binary64
    printer writes for ``x`` at that precision: the shortest form (ECMAScript, Python, Java,
    Go), 17 digits (C ``%.17g``), or the full binary expansion. The canonical form is then
    ``x``'s shortest form: possibly fewer digits, never a different binary64 value.

    Accepted: ``45.00`` (becomes ``45``), ``0.1``, ``0.10000000000000001`` (``%.17g`` of 0.1),
    ``0.1000000000000000055511151231257827`` (its exact value), ``1E30``, ``5e-324``,
    ``333333333333333300000`` (a canonical double beyond 2**53, as a float).
    Rejected: ``12345678901234567890`` and ``9007199254740993`` (their doubles are
    ...7168 and ...0992: digits lost; RFC 7493 §2.2 asks exporters to quote such integers),
    ``1.00000000000000000001`` (rounds to 1), ``1e400`` (overflow), ``1e-400`` (underflow
    to 0), and ``333333333.33333329`` (its double is 333333333.333333313...; the RFC 8785
    ``values.json`` vector uses that number to show rounding, so this parser rejects that
    one vector file; the tests canonicalize it after a plain ``json.loads``).

Byte order mark
    Rejected, with a message asking for UTF-8 without BOM: RFC 8259 §8.1 forbids adding one
    and I-JSON (RFC 7493 §2.1) requires plain UTF-8. (CSV readers strip it; see
    :mod:`evidence.capturing.records`.)

Errors are :class:`~evidence.errors.FormatError` carrying the file path (when given) and
``where="line L, column C"`` (1-based; the column counts code points). Values that are not
JSON types at all (``set``, ``bytes``, non-string keys) raise :class:`TypeError`: that is a
programming error, not bad input.
"""

from __future__ import annotations

import codecs
import json
import math
import operator
import re
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol, TypeAlias

from evidence.errors import FormatError

__all__ = [
    "MAX_DEPTH",
    "MAX_EXACT_INTEGER",
    "JSONLike",
    "JSONValue",
    "ObjectTemplate",
    "StringRecordEncoder",
    "TextReader",
    "canonical_string",
    "canonicalize",
    "dumps_canonical",
    "iter_array_strict",
    "loads_strict",
]

#: What the strict parser returns (and what records hold).
JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"

#: What :func:`canonicalize` accepts. Checked statically one level deep only (a
#: ``dict[str, object]`` built by a caller is fine, since Mapping is covariant); nested values
#: are checked at run time, and anything that is not JSON raises :class:`TypeError`.
JSONLike: TypeAlias = "bool | int | float | str | Sequence[object] | Mapping[str, object] | None"

#: Deepest nesting of arrays and objects accepted (top-level container = depth 1). Evidence
#: records are flat or nearly so; 64 leaves ample room while keeping the recursive parser and
#: serializer far below Python's recursion limit, and stops "[[[[..." bombs early.
MAX_DEPTH = 64

#: Largest integer magnitude accepted: every integer in [-2**53, 2**53] has an exact
#: IEEE-754 binary64 value, and RFC 8785 §3.2.2.3 serializes numbers as binary64.
MAX_EXACT_INTEGER = 2**53

#: Characters read per call when streaming an array: large enough to amortize the per-read
#: cost, small enough that memory stays bounded by the largest element.
_CHUNK_CHARS = 64 * 1024

_NOT_EXACT = "number cannot be represented exactly in RFC 8785"
_BOM_MESSAGE = (
    "starts with a byte order mark (BOM), which JSON forbids (RFC 8259 §8.1); "
    "save it as UTF-8 without BOM"
)

# RFC 8259 §4 whitespace, and §6 number grammar.
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_NUMBER_CHARS = re.compile(r"[-+.eE0-9]*")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LITERALS: tuple[tuple[str, JSONValue], ...] = (("true", True), ("false", False), ("null", None))
_NON_FINITE = ("NaN", "Infinity", "-Infinity")

# RFC 8785 §3.2.2.2: the characters JSON.stringify escapes, and how.
_ESCAPE = re.compile(r'[\x00-\x1f"\\]')
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


# ---------------------------------------------------------------------------------------------
# Serialization (RFC 8785 §3.2)
# ---------------------------------------------------------------------------------------------


def canonicalize(value: JSONLike) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of ``value``.

    Raises :class:`FormatError` for what RFC 8785 cannot represent exactly: ``int`` beyond
    ±2**53, NaN or infinite ``float``, strings with lone surrogates, nesting deeper than
    :data:`MAX_DEPTH`. Raises :class:`TypeError` for values that are not JSON types.
    """
    if _fast_path_ok(value, 0):
        return _FAST_ENCODER.encode(value).encode("utf-8")
    parts: list[str] = []
    _serialize(value, parts, 0)
    return "".join(parts).encode("utf-8")


#: The standard library's C encoder writes exactly the RFC 8785 bytes for a restricted set
#: of values: strings without surrogates (it escapes the same characters the same way:
#: \b \t \n \f \r, \" \\, other controls as lowercase \u00xx), integers within ±2**53,
#: true/false/null, and objects whose keys contain no code point at or above U+D800 (so that
#: sorting by code point equals sorting by UTF-16 code unit, §3.2.3). Anything else (floats,
#: big integers, astral or surrogate characters in keys) takes the reference serializer.
#: tests/test_jcs.py checks the two agree.
_FAST_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                                 allow_nan=False, check_circular=False)
#: Fast-path objects stay shallow; deeper ones take the reference path (which checks depth).
_FAST_MAX_DEPTH = 8


def _fast_path_ok(value: object, depth: int) -> bool:
    if isinstance(value, str):
        return type(value) is str and not _SURROGATE.search(value)
    if value is None or type(value) is bool:
        return True
    if type(value) is int:
        return abs(value) <= MAX_EXACT_INTEGER
    if depth >= _FAST_MAX_DEPTH:
        return False
    if type(value) is dict:
        try:
            keys = "".join(value)  # TypeError for a non-str key
        except TypeError:
            return False
        if keys and (max(keys) >= "\ud800"):
            return False
        types = set(map(type, value.values()))
        if types <= _STR_ONLY:  # a record: all text, checked in C
            return not _SURROGATE.search("".join(value.values()))
        if types <= _SCALARS:
            members = value.values()
            if _SURROGATE.search("".join([v for v in members if type(v) is str])):
                return False
            return int not in types or all(
                abs(v) <= MAX_EXACT_INTEGER for v in members if type(v) is int)
        return all(_fast_path_ok(member, depth + 1) for member in value.values())
    if type(value) is list:
        return all(_fast_path_ok(v, depth + 1) for v in value)
    return False


_STR_ONLY = frozenset((str,))
_SCALARS = frozenset((str, int, bool, type(None)))


#: The C string encoder of :mod:`json` (``ensure_ascii=False``). It escapes exactly what
#: RFC 8785 §3.2.2.2 escapes, the same way (see :data:`_FAST_ENCODER`), and writes lone
#: surrogates unchanged, which :meth:`str.encode` then refuses.
_encode_string: Callable[[str], str] = json.encoder.encode_basestring


def canonical_string(text: str) -> str:
    """Return the RFC 8785 §3.2.2.2 form of the string ``text``, quotes included, as text.

    For speed, lone surrogates are NOT checked here: they come out unchanged, so encoding
    the result as UTF-8 raises :class:`UnicodeEncodeError`; callers that cannot rule them
    out (all callers but those holding strictly decoded UTF-8) must handle that, for
    instance by falling back to :func:`canonicalize`, which raises :class:`FormatError`.
    """
    return _encode_string(text)


class ObjectTemplate:
    """RFC 8785 encoding of many objects that share their member names.

    Exports hold millions of records with the same names, and their items the same
    constant members; sorting the names (§3.2.3) and encoding the constant members once per
    export instead of once per object is what keeps a million-record capture fast.

    ``fixed`` are members whose value is the same in every object (encoded once with
    :func:`canonicalize`); ``slots`` name the members given per object to :meth:`fill`, in
    that order, as JSON text already in canonical form (:func:`canonical_string` of a
    string, ``str(n)`` of an integer within ±2**53...). Slots named in ``raw_strings`` are
    strings given WITHOUT quotes, and the caller guarantees they hold nothing RFC 8785
    §3.2.2.2 escapes (no ``"``, ``\\``, control character or surrogate: hex digests,
    generated ids). The output then equals :func:`canonicalize` of the whole object;
    tests/test_jcs.py checks it.

    Raises :class:`ValueError` for a repeated slot, a slot also fixed, or a raw string that
    is not a slot; :class:`FormatError` for a fixed value or a name RFC 8785 cannot write.
    """

    def __init__(self, fixed: Mapping[str, JSONLike], slots: Sequence[str], *,
                 raw_strings: Collection[str] = ()):
        names = list(slots)
        if (len(set(names)) != len(names) or set(names) & set(fixed)
                or not set(raw_strings) <= set(names)):
            raise ValueError("slots must be distinct, not fixed, and hold every raw string")
        order = sorted([*fixed, *names], key=_utf16_key)
        pieces: list[str] = []
        slot_order: list[int] = []
        text = "{"
        for position, name in enumerate(order):
            text += ("," if position else "") + _serialize_string(name) + ":"
            if name in fixed:
                text += canonicalize(fixed[name]).decode("utf-8")
                continue
            quote = '"' if name in raw_strings else ""
            pieces.append(text + quote)
            slot_order.append(names.index(name))
            text = quote
        pieces.append(text + "}")
        # A "%" in a name or fixed value must survive the formatting in fill().
        self._format = "%s".join(piece.replace("%", "%%") for piece in pieces)
        self._pick: Callable[[Sequence[str]], tuple[str, ...]]
        if len(names) == 1:
            self._pick = _one_tuple
        elif names:
            self._pick = operator.itemgetter(*slot_order)
        else:
            self._pick = _no_tuple

    def fill(self, values: Sequence[str]) -> str:
        """Return the object's canonical text; ``values`` are the slots' texts, in the order
        of ``slots`` (their count is not checked, for speed: a wrong count is a bug)."""
        return self._format % self._pick(values)


#: Characters that a string needs escaped or refused in RFC 8785 (§3.2.2.2): quote,
#: backslash, C0 controls; and surrogates, which I-JSON forbids when unpaired.
_NOT_PLAIN = re.compile(r'[\x00-\x1f"\\\ud800-\udfff]')


class StringRecordEncoder:
    """RFC 8785 encoder for flat records of string values under fixed names (a CSV export).

    :meth:`encode` gives exactly ``canonicalize(dict(zip(names, values)))``: the names are
    sorted by UTF-16 code units once (§3.2.3); a record whose values need no escaping (by
    far the common case) is laid into a template in one step, any other goes through
    :func:`canonicalize` (which also reports lone surrogates as :class:`FormatError`).

    Raises :class:`ValueError` for repeated names, :class:`FormatError` for a name holding
    a lone surrogate.
    """

    def __init__(self, names: Sequence[str]):
        self._names = tuple(names)
        self._template = ObjectTemplate({}, self._names, raw_strings=self._names)

    def encode(self, values: Sequence[str]) -> bytes:
        """The canonical UTF-8 bytes of the record (``len(values) == len(names)``)."""
        if _NOT_PLAIN.search("".join(values)) is None:
            return self._template.fill(values).encode("utf-8")
        return canonicalize(dict(zip(self._names, values, strict=True)))


def _one_tuple(values: Sequence[str]) -> tuple[str, ...]:
    return (values[0],)


def _no_tuple(values: Sequence[str]) -> tuple[str, ...]:
    return ()


def dumps_canonical(value: JSONLike) -> str:
    """Return the RFC 8785 canonical form of ``value`` as text (see :func:`canonicalize`)."""
    return canonicalize(value).decode("utf-8")


def _serialize(value: object, out: list[str], depth: int) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_serialize_string(value))
    elif isinstance(value, int):
        if abs(value) > MAX_EXACT_INTEGER:
            raise FormatError(f"{_NOT_EXACT}: integer {value} is beyond ±2**53")
        out.append(str(value))  # below 1e21, ECMAScript writes integers as plain digits
    elif isinstance(value, float):
        out.append(_serialize_number(value))
    elif isinstance(value, Mapping):
        _check_depth(depth + 1)
        # §3.2.3: sort by UTF-16 code units; big-endian UTF-16 bytes compare the same way.
        # surrogatepass: a lone surrogate must reach _serialize_string to be reported.
        items = sorted(value.items(), key=lambda kv: _utf16_key(kv[0]))
        out.append("{")
        for i, (key, member) in enumerate(items):
            if i:
                out.append(",")
            out.append(_serialize_string(key))
            out.append(":")
            _serialize(member, out, depth + 1)
        out.append("}")
    elif isinstance(value, list | tuple):
        _check_depth(depth + 1)
        out.append("[")
        for i, element in enumerate(value):
            if i:
                out.append(",")
            _serialize(element, out, depth + 1)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not a JSON type")


def _utf16_key(key: object) -> bytes:
    if not isinstance(key, str):
        raise TypeError(f"object member name must be str, not {type(key).__name__}")
    return key.encode("utf-16-be", "surrogatepass")


def _check_depth(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise FormatError(f"nesting deeper than {MAX_DEPTH} levels (MAX_DEPTH)")


def _serialize_string(text: str) -> str:
    """RFC 8785 §3.2.2.2: escape ``"``, ``\\`` and C0 controls; everything else literal."""
    if _SURROGATE.search(text):
        raise FormatError(
            "string contains a lone surrogate, which RFC 8785 §3.2.2.2 (I-JSON) forbids"
        )
    return '"' + _ESCAPE.sub(_escape_char, text) + '"'


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _serialize_number(number: float) -> str:
    """RFC 8785 §3.2.2.3: ECMAScript Number.prototype.toString (ECMA-262 Number::toString).

    Python's ``repr`` gives the same shortest round-tripping digits (ties go to the digits
    closest to the value, as ECMA-262 requires); only the layout differs, so the digits ``s``
    and the decimal point position ``n`` (value = 0.s × 10**n) are taken from it and laid out
    by the ECMAScript rules.
    """
    if not math.isfinite(number):
        raise FormatError(f"{_NOT_EXACT}: {number!r} is not a finite number")
    if number == 0:
        return "0"  # also for -0.0
    sign = "-" if number < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(number))).as_tuple()
    assert isinstance(exponent, int)  # finite
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    k = len(digits)
    n = len(digit_tuple) + exponent  # position of the decimal point
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"
    return sign + text


# ---------------------------------------------------------------------------------------------
# Strict parsing (RFC 8259 grammar, RFC 7493 I-JSON constraints)
# ---------------------------------------------------------------------------------------------


class _ParseError(Exception):
    """Internal: a violation at ``pos`` in the text being parsed."""

    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.message = message
        self.pos = pos


class _NeedMore(Exception):
    """Internal: the text ended inside a value; more input may complete it."""


class _Parser:
    """Recursive-descent parser over ``text``.

    With ``final=False`` the text is a prefix of a longer input: running off its end raises
    :class:`_NeedMore` instead of an error, so the streaming reader can read on and retry.
    """

    def __init__(self, text: str, *, final: bool = True):
        self.text = text
        self.final = final

    def skip_ws(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]  # always matches

    def end_of_input(self, pos: int, message: str) -> _ParseError:
        if not self.final:
            raise _NeedMore
        return _ParseError(message, pos)

    def value(self, pos: int, depth: int) -> tuple[JSONValue, int]:
        """Parse one value starting at ``pos`` (after whitespace); return it and its end."""
        text = self.text
        pos = self.skip_ws(pos)
        if pos >= len(text):
            raise self.end_of_input(pos, "expected a JSON value, found the end of the input")
        char = text[pos]
        if char == "{":
            return self.object(pos, depth + 1)
        if char == "[":
            return self.array(pos, depth + 1)
        if char == '"':
            return self.string(pos)
        if char == "-" or "0" <= char <= "9":
            return self.number(pos)
        for literal, result in _LITERALS:
            if text.startswith(literal, pos):
                return result, pos + len(literal)
        for word in _NON_FINITE:
            if text.startswith(word, pos):
                raise _ParseError(f"{word} is not a JSON number (RFC 8259 §6)", pos)
        rest = text[pos:]
        if not self.final and any(word.startswith(rest) for word, _ in _LITERALS):
            raise _NeedMore
        raise _ParseError(f"expected a JSON value, found {char!r}", pos)

    def object(self, start: int, depth: int) -> tuple[JSONValue, int]:
        if depth > MAX_DEPTH:
            raise _ParseError(f"nesting deeper than {MAX_DEPTH} levels (MAX_DEPTH)", start)
        text = self.text
        result: dict[str, JSONValue] = {}
        pos = self.skip_ws(start + 1)
        if text.startswith("}", pos):
            return result, pos + 1
        while True:
            if pos >= len(text):
                raise self.end_of_input(pos, "unterminated object")
            if text[pos] != '"':
                raise _ParseError(
                    f"expected a member name in double quotes, found {text[pos]!r}", pos
                )
            key, after_key = self.string(pos)
            assert isinstance(key, str)
            if key in result:
                raise _ParseError(
                    f"duplicate member name {key!r} (RFC 8785 §3.1 and RFC 7493 §2.3 forbid it)",
                    pos,
                )
            pos = self.skip_ws(after_key)
            if pos >= len(text):
                raise self.end_of_input(pos, "unterminated object")
            if text[pos] != ":":
                raise _ParseError(f"expected ':' after member name, found {text[pos]!r}", pos)
            result[key], pos = self.value(pos + 1, depth)
            pos = self.skip_ws(pos)
            if pos >= len(text):
                raise self.end_of_input(pos, "unterminated object")
            if text[pos] == "}":
                return result, pos + 1
            if text[pos] != ",":
                raise _ParseError(f"expected ',' or '}}' in object, found {text[pos]!r}", pos)
            pos = self.skip_ws(pos + 1)

    def array(self, start: int, depth: int) -> tuple[JSONValue, int]:
        if depth > MAX_DEPTH:
            raise _ParseError(f"nesting deeper than {MAX_DEPTH} levels (MAX_DEPTH)", start)
        text = self.text
        result: list[JSONValue] = []
        pos = self.skip_ws(start + 1)
        if text.startswith("]", pos):
            return result, pos + 1
        while True:
            element, pos = self.value(pos, depth)
            result.append(element)
            pos = self.skip_ws(pos)
            if pos >= len(text):
                raise self.end_of_input(pos, "unterminated array")
            if text[pos] == "]":
                return result, pos + 1
            if text[pos] != ",":
                raise _ParseError(f"expected ',' or ']' in array, found {text[pos]!r}", pos)
            pos += 1

    def string(self, start: int) -> tuple[JSONValue, int]:
        """RFC 8259 §7 string, via the stdlib's C scanner; lone surrogates rejected."""
        try:
            result, end = json.decoder.scanstring(self.text, start + 1, True)  # type: ignore[attr-defined]
        except json.JSONDecodeError as exc:
            # A prefix may end inside the string or inside an escape: read on before judging.
            if not self.final and (
                exc.msg.startswith("Unterminated") or exc.pos + 6 > len(self.text)
            ):
                raise _NeedMore from None
            raise _ParseError(exc.msg.lower(), exc.pos) from None
        assert isinstance(result, str) and isinstance(end, int)
        if _SURROGATE.search(result):
            raise _ParseError(
                "string contains a lone surrogate, which I-JSON forbids (RFC 7493 §2.1)", start
            )
        return result, end

    def number(self, start: int) -> tuple[JSONValue, int]:
        text = self.text
        if not self.final and _NUMBER_CHARS.match(text, start).end() == len(text):  # type: ignore[union-attr]
            raise _NeedMore  # the number may continue in the next chunk
        match = _NUMBER.match(text, start)
        if match is None:
            if text.startswith("-Infinity", start):
                raise _ParseError("-Infinity is not a JSON number (RFC 8259 §6)", start)
            raise _ParseError("malformed number", start)
        end = match.end()
        if end < len(text) and text[end] in ".eE0123456789":
            raise _ParseError("malformed number", start)  # 01, 1., 1e
        try:
            return _number_value(match.group()), end
        except ValueError as exc:
            raise _ParseError(str(exc), start) from None


def _number_value(literal: str) -> int | float:
    """Convert a JSON number literal under the number rule (module docstring).

    Raises :class:`ValueError` with the reason when the literal is not exact in binary64.
    """
    digits = literal.lstrip("-")
    if digits.isascii() and digits.isdigit():  # integer literal: no fraction, no exponent
        # 2**53 has 16 digits: a longer literal is beyond it (and int() stays cheap).
        if len(digits) <= 16 and abs(int(literal)) <= MAX_EXACT_INTEGER:
            return int(literal)
        # Beyond 2**53: a float like any other number, if binary64 holds every digit written
        # (RFC 8785 itself writes doubles up to 1e21 as plain digits: 333333333333333300000).
        number = float(literal)
        if math.isfinite(number) and _digits_are_exact(literal, number):
            return number
        raise ValueError(
            f"{_NOT_EXACT}: integer {literal} is beyond ±2**53 and binary64 cannot hold "
            "its digits (RFC 7493 §2.2); the export should write it as a string"
        )
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError(f"{_NOT_EXACT}: {literal} is beyond the binary64 range")
    if not _digits_are_exact(literal, number):
        raise ValueError(f"{_NOT_EXACT}: {literal} has digits that IEEE-754 binary64 cannot hold")
    return number


# --- Fast path ---------------------------------------------------------------------------------
# The stdlib's C scanner, with hooks enforcing the same rules, parses valid input several times
# faster than _Parser. It only ever *accepts*: whenever it fails or meets something it cannot
# judge (an escaped or raw surrogate, deep nesting), _Parser parses the text again and decides,
# with a precise error location. So behaviour is _Parser's; the tests compare the two.


def _fast_pairs(pairs: list[tuple[str, JSONValue]]) -> dict[str, JSONValue]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member name")
    return result


def _fast_constant(word: str) -> JSONValue:
    raise ValueError(f"{word} is not a JSON number")


_FAST_SCAN: Callable[[str, int], tuple[JSONValue, int]] = json.JSONDecoder(
    object_pairs_hook=_fast_pairs,
    parse_float=_number_value,
    parse_int=_number_value,
    parse_constant=_fast_constant,
).scan_once  # type: ignore[attr-defined]

#: A surrogate, raw or as a \uD800-\uDFFF escape: left to _Parser, which tells pairs from lone.
_SURROGATE_SUSPECT = re.compile(r"[\ud800-\udfff]|\\u[dD][89a-fA-F]")


#: The C scanner recurses on the C stack once per nesting level, bounded only by the
#: interpreter's recursion limit. Some libraries raise that limit (py-evm sets it above
#: 10,000), and then "[" * 100_000 overflows the C stack and kills the process. Above this
#: limit the scanner runs under a temporarily lowered one (our MAX_DEPTH is 64 anyway).
_SAFE_RECURSION_LIMIT = 2000
_SCAN_HEADROOM = 4 * MAX_DEPTH + 64


def _stack_depth() -> int:
    frame: Any = sys._getframe(1)
    depth = 1
    while frame is not None:
        depth += 1
        frame = frame.f_back
    return depth


def _scan_guarded(text: str, start: int) -> tuple[JSONValue, int]:
    limit = sys.getrecursionlimit()
    if limit <= _SAFE_RECURSION_LIMIT:
        return _FAST_SCAN(text, start)
    sys.setrecursionlimit(min(limit, _stack_depth() + _SCAN_HEADROOM))
    try:
        return _FAST_SCAN(text, start)
    finally:
        sys.setrecursionlimit(limit)


def _fast_value(text: str, start: int, *, levels: int) -> tuple[JSONValue, int] | None:
    """Parse the value at ``start`` with the C scanner; None means "ask _Parser"."""
    try:
        value, end = _scan_guarded(text, start)
    except (ValueError, StopIteration, RecursionError):
        return None
    if _SURROGATE_SUSPECT.search(text, start, end) or not _within_depth(value, levels):
        return None
    return value, end


def _within_depth(value: JSONValue, levels: int) -> bool:
    """True when ``value`` nests at most ``levels`` containers deep."""
    if isinstance(value, dict):
        children: Iterable[JSONValue] = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return True
    if levels <= 0:
        return False
    return all(
        _within_depth(child, levels - 1) for child in children if isinstance(child, dict | list)
    )


def _digits_are_exact(literal: str, number: float) -> bool:
    """True when every significant digit of ``literal`` is a correct digit of ``number``.

    ``number`` is the binary64 nearest to ``literal``. With the literal's last significant
    digit in the place 10**p, it is accepted when ``|literal - number| <= 10**p / 2``: that
    is, ``number`` rounded to the literal's significant digits gives the literal back (on an
    exact tie either neighbour is accepted, as shortest-form printers may pick either).
    Computed with exact rationals. See the module docstring for the reasoning and examples.
    """
    written = Decimal(literal)
    if written.is_zero():
        return True  # 0.0, -0.0, 0e5: exactly zero
    if number == 0:
        return False  # underflow
    _, digits, exponent = written.as_tuple()
    assert isinstance(exponent, int)  # finite
    last_place = exponent + _trailing_zeros(digits)
    error = abs(Fraction(written) - Fraction(number))
    return 2 * error <= Fraction(10) ** last_place


def _trailing_zeros(digits: tuple[int, ...]) -> int:
    count = 0
    for digit in reversed(digits):
        if digit:
            break
        count += 1
    return count


def _is_number(value: JSONValue) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _where(text: str, pos: int, *, first_line: int = 1, first_column: int = 1) -> str:
    """Return ``"line L, column C"`` (1-based, columns in code points) for ``text[pos]``."""
    newlines = text.count("\n", 0, pos)
    column = first_column + pos if newlines == 0 else pos - text.rfind("\n", 0, pos)
    return f"line {first_line + newlines}, column {column}"


class _NotFast(Exception):
    """Internal: loads_canonical cannot decide this line quickly."""


def _refuse(_text: str) -> Any:
    raise _NotFast


def _exact_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_EXACT_INTEGER:
        raise _NotFast
    return value


def _low_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    names = "".join([name for name, _ in pairs])
    if names and max(names) >= "\ud800":
        raise _NotFast
    return dict(pairs)


_CANONICAL_DECODER = json.JSONDecoder(parse_float=_refuse, parse_int=_exact_int,
                                      parse_constant=_refuse, object_pairs_hook=_low_names)
#: The same without the check of names, for lines without a character at or above U+D800
#: (no UTF-8 byte 0xED or above: a name escaped as \uXXXX is written back unescaped, so
#: the bytes differ anyway).
_CANONICAL_DECODER_LOW = json.JSONDecoder(parse_float=_refuse, parse_int=_exact_int,
                                          parse_constant=_refuse)
#: loads_canonical leaves lines with more brackets than this to the strict parser (the C
#: scanner of json recurses once per level; see loads_strict).
_CANONICAL_MAX_BRACKETS = 16


def loads_canonical(line: bytes) -> dict[str, Any] | None:
    """The JSON object ``line`` holds, if ``line`` is exactly its RFC 8785 form and the
    quick check below can tell; None otherwise, and the caller then parses the line with
    :func:`loads_strict` and compares it with :func:`canonicalize`, which says what is
    wrong, if anything.

    Quick: json's C scanner parses and its C encoder writes the value back, and the bytes
    are compared. That equals the strict check only where the C encoder writes RFC 8785
    (see :func:`_fast_path_ok`), so the line is declined when it holds a fraction or
    exponent, NaN or Infinity, an integer beyond ±2**53, a name at or above U+D800, a lone
    surrogate (the text written back does not encode), or more than
    :data:`_CANONICAL_MAX_BRACKETS` brackets. Duplicate names, escapes, whitespace and
    unsorted names all make the bytes differ. Measured on 20,000 file items: 0.69 s,
    against 1.15 s for the strict parse plus the comparison.
    """
    if line.count(b"{") + line.count(b"[") > _CANONICAL_MAX_BRACKETS:
        return None
    try:
        low = line.isascii() or max(line) < 0xED  # isascii: a quick answer for most lines
        decoder = _CANONICAL_DECODER_LOW if low else _CANONICAL_DECODER
        value = decoder.decode(line.decode("utf-8"))
        if type(value) is not dict or _FAST_ENCODER.encode(value).encode("utf-8") != line:
            return None
    except (ValueError, _NotFast):  # JSONDecodeError, UnicodeDecodeError/EncodeError
        return None
    return value


def loads_strict(data: bytes | str, *, path: str | None = None, first_line: int = 1) -> JSONValue:
    """Parse one JSON text under the strict rules of this module (see the module docstring).

    ``data`` as bytes must be UTF-8 (RFC 8259 §8.1) without a BOM. ``first_line`` is the line
    number of the first line of ``data`` in its file, for error locations (JSON Lines).

    Raises :class:`FormatError` naming ``path`` and, where known, ``line L, column C``: invalid
    UTF-8, BOM, syntax, duplicate names, NaN or Infinity, inexact numbers, lone surrogates,
    nesting deeper than :data:`MAX_DEPTH`, or data after the value.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        text = _decode_utf8(bytes(data), path=path, first_line=first_line)
    else:
        text = data
    if text.startswith("\ufeff"):
        raise FormatError(_BOM_MESSAGE, path=path, where=f"line {first_line}, column 1")
    parser = _Parser(text)
    start = parser.skip_ws(0)
    fast = _fast_value(text, start, levels=MAX_DEPTH)
    if fast is not None and parser.skip_ws(fast[1]) == len(text):
        return fast[0]
    try:
        value, end = parser.value(start, 0)
        end = parser.skip_ws(end)
        if end != len(text):
            raise _ParseError("trailing data after the JSON value", end)
    except _ParseError as exc:
        where = _where(text, exc.pos, first_line=first_line)
        raise FormatError(exc.message, path=path, where=where) from None
    return value


def _decode_utf8(data: bytes, *, path: str | None, first_line: int) -> str:
    if data.startswith(codecs.BOM_UTF8):
        raise FormatError(_BOM_MESSAGE, path=path, where=f"line {first_line}, column 1")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8")
        where = _where(prefix, len(prefix), first_line=first_line)
        raise FormatError(
            f"invalid UTF-8 (byte 0x{data[exc.start]:02x}); JSON must be UTF-8 (RFC 8259 §8.1)",
            path=path,
            where=where,
        ) from exc


# ---------------------------------------------------------------------------------------------
# Streaming a top-level array
# ---------------------------------------------------------------------------------------------


class TextReader(Protocol):
    """Anything with ``read(size) -> str`` (an open text file, ``io.StringIO``)."""

    def read(self, size: int = -1, /) -> str: ...


class _ArrayStream:
    """Sliding window over a text stream, with the line/column of its first character."""

    def __init__(self, reader: TextReader, path: str | None):
        self.reader = reader
        self.path = path
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line = 1  # line and column of buf[0] in the whole input
        self.column = 1

    def fill(self) -> None:
        chunk = self.reader.read(_CHUNK_CHARS)
        if chunk:
            self.buf += chunk
        else:
            self.eof = True

    def compact(self, *, force: bool = False) -> None:
        """Drop consumed text, keeping the line/column bookkeeping right."""
        consumed = self.pos
        if not consumed or (consumed <= _CHUNK_CHARS and not force):
            return  # amortize: slice only once a chunk's worth has been consumed
        newlines = self.buf.count("\n", 0, consumed)
        if newlines:
            self.line += newlines
            self.column = consumed - self.buf.rfind("\n", 0, consumed)
        else:
            self.column += consumed
        self.buf = self.buf[consumed:]
        self.pos = 0

    def where(self, pos: int) -> str:
        return _where(self.buf, pos, first_line=self.line, first_column=self.column)

    def error(self, message: str, pos: int, *, element: int | None = None) -> FormatError:
        where = self.where(pos)
        if element is not None:
            where = f"element {element}, {where}"
        return FormatError(message, path=self.path, where=where)

    def next_char(self) -> str:
        """Skip whitespace, reading on as needed; return the next character or "" at the end."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos : self.pos + 1]
            self.compact(force=True)  # all consumed: do not let whitespace pile up
            self.fill()


def iter_array_strict(
    reader: TextReader, *, path: str | None = None, max_element_bytes: int | None = None
) -> Iterator[JSONValue]:
    """Yield the elements of the top-level JSON array in ``reader``, one at a time.

    Each element obeys the rules of :func:`loads_strict` (the array itself counts as one
    nesting level). Memory stays bounded by the largest element plus one read chunk.

    Raises :class:`FormatError` with ``where="element N, line L, column C"`` (N counts from
    1) or ``"line L, column C"`` for errors outside elements: not an array, BOM, syntax,
    an element whose UTF-8 text exceeds ``max_element_bytes``, data after the array.
    Decoding errors of ``reader`` (:class:`UnicodeDecodeError`) propagate unchanged: the
    caller knows the file and its encoding.
    """
    stream = _ArrayStream(reader, path)
    first = stream.next_char()
    if first == "\ufeff":
        raise stream.error(_BOM_MESSAGE, stream.pos)
    if first != "[":
        found = "the end of the input" if not first else repr(first)
        raise stream.error(f"expected a JSON array ('['), found {found}", stream.pos)
    stream.pos += 1
    if stream.next_char() == "]":
        stream.pos += 1
    else:
        number = 0
        while True:
            number += 1
            yield _read_element(stream, number, max_element_bytes)
            char = stream.next_char()
            if char == "]":
                stream.pos += 1
                break
            if char != ",":
                found = "the end of the input" if not char else repr(char)
                raise stream.error(
                    f"expected ',' or ']' after element {number}, found {found}", stream.pos
                )
            stream.pos += 1
            if stream.next_char() == "]":
                raise stream.error("trailing comma before ']'", stream.pos)
    if stream.next_char():
        raise stream.error("trailing data after the JSON array", stream.pos)


def _read_element(stream: _ArrayStream, number: int, limit: int | None) -> JSONValue:
    stream.compact()
    start = stream.pos = _WS.match(stream.buf, stream.pos).end()  # type: ignore[union-attr]
    while True:
        fast = _fast_value(stream.buf, start, levels=MAX_DEPTH - 1)
        # A number may continue in the next chunk; any other value ends with its own delimiter.
        if fast is not None and (stream.eof or not _is_number(fast[0])):
            value, end = fast
            break
        try:
            value, end = _Parser(stream.buf, final=stream.eof).value(start, 1)
            break
        except _NeedMore:
            if limit is not None and len(stream.buf) - start > limit:
                # more characters than bytes allowed: too large whatever the encoding
                raise stream.error(
                    f"element larger than {limit} bytes", start, element=number
                ) from None
            stream.fill()
        except _ParseError as exc:
            raise stream.error(exc.message, exc.pos, element=number) from None
    if limit is not None and end - start > limit // 4:  # cheap pre-check: UTF-8 is <= 4 bytes/char
        size = len(stream.buf[start:end].encode("utf-8", "surrogatepass"))
        if size > limit:
            raise stream.error(
                f"element of {size} bytes is larger than the limit of {limit} bytes",
                start,
                element=number,
            )
    stream.pos = end
    return value
