"""RFC 8785 JSON Canonicalization Scheme (JCS): the encoder.

Every byte the toolkit hashes comes from :func:`canonicalize`, so that the same record gives
the same bytes whatever key order, whitespace or number spelling the export used.

* :func:`canonicalize` writes RFC 8785 output: no whitespace, object members sorted by the
  UTF-16 code units of their names (§3.2.3), strings escaped as ECMAScript ``JSON.stringify``
  does (§3.2.2.2), numbers written as ECMAScript ``Number.prototype.toString`` does
  (§3.2.2.3), UTF-8 (§3.2.4).
* Reading JSON under the I-JSON rules RFC 8785 §3.1 relies on (RFC 7493) is
  :mod:`evidence.standards.ijson`; it accepts numbers by the rule below.

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

Errors are :class:`~evidence.errors.FormatError` carrying the file path (when given) and
``where="line L, column C"`` (1-based; the column counts code points). Values that are not
JSON types at all (``set``, ``bytes``, non-string keys) raise :class:`TypeError`: that is a
programming error, not bad input.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal
from typing import TypeAlias

from evidence.errors import FormatError

__all__ = [
    "FAST_ENCODER",
    "MAX_DEPTH",
    "MAX_EXACT_INTEGER",
    "NOT_EXACT",
    "SURROGATE",
    "JSONLike",
    "JSONValue",
    "ObjectTemplate",
    "StringRecordEncoder",
    "canonical_string",
    "canonicalize",
    "dumps_canonical",
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


NOT_EXACT = "number cannot be represented exactly in RFC 8785"

SURROGATE = re.compile("[\ud800-\udfff]")

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
        return FAST_ENCODER.encode(value).encode("utf-8")
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
FAST_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                                 allow_nan=False, check_circular=False)
#: Fast-path objects stay shallow; deeper ones take the reference path (which checks depth).
_FAST_MAX_DEPTH = 8


def _fast_path_ok(value: object, depth: int) -> bool:
    if isinstance(value, str):
        return type(value) is str and not SURROGATE.search(value)
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
            return not SURROGATE.search("".join(value.values()))
        if types <= _SCALARS:
            members = value.values()
            if SURROGATE.search("".join([v for v in members if type(v) is str])):
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
#: RFC 8785 §3.2.2.2 escapes, the same way (see :data:`FAST_ENCODER`), and writes lone
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
            raise FormatError(f"{NOT_EXACT}: integer {value} is beyond ±2**53")
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
    if SURROGATE.search(text):
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
        raise FormatError(f"{NOT_EXACT}: {number!r} is not a finite number")
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
