"""Operator names and other display text: one spelling per name, no invisible characters.

Why: witnesses run by one operator count once (``count_distinct_operators``). Where no
trust profile gives operators a stable identifier, the registry's operator names are the
only handle, and "Acme Evidence Ltd", the same with a zero-width space, and the same with
a Cyrillic "А" must not pass for three operators. So:

* text with control characters (Unicode category Cc) or format characters (Cf: zero-width
  space and joiners, bidirectional overrides, soft hyphen...) is refused: a reader cannot
  see them, and they make equal-looking names differ;
* a name whose letters come from more than one script (Latin with Cyrillic or Greek, the
  classic homoglyph attack; Unicode TR #39, "Mixed-Script Detection") is refused;
  the rule kept here is that Latin may not mix with Cyrillic or Greek, the scripts whose
  letters copy Latin ones (Han with Kana or Hangul, or Latin with Han, is accepted);
* accepted names are compared after NFKC normalisation (Unicode UAX #15), case folding
  and collapsing of white space, so "ACME  Evidence Ltd" and "Acme Evidence Ltd" are one.

How it fails: :func:`check_display_text` and :func:`operator_key` return the reason (a
string) instead of raising, so that a verification can report it as a finding.
"""

from __future__ import annotations

import unicodedata

__all__ = ["check_display_text", "normalize_name", "operator_key"]

#: Scripts whose letters are look-alikes of Latin ones: a name mixing Latin with one of
#: them is refused (UTS #39 treats such mixes as "highly restrictive" violations).
_LOOKALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK"})


def check_display_text(text: str) -> str | None:
    """Why ``text`` is unacceptable as a name shown to people, or None when it is fine."""
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc" and ch not in "\t":
            return f"contains the control character U+{ord(ch):04X}"
        if category == "Cf":
            name = unicodedata.name(ch, "unnamed")
            return f"contains the invisible format character U+{ord(ch):04X} ({name})"
    scripts = _scripts(text)
    if "LATIN" in scripts and scripts & _LOOKALIKE_SCRIPTS:
        mixed = ", ".join(sorted(scripts))
        return f"mixes look-alike scripts ({mixed}) in one name"
    return None


def normalize_name(text: str) -> str:
    """NFKC, case-folded, white space collapsed: the form names are compared in."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def operator_key(name: str) -> tuple[str | None, str | None]:
    """``(key, None)`` for an acceptable operator name, ``(None, reason)`` otherwise.

    An empty name (after normalisation) is unacceptable too: it names nobody.
    """
    reason = check_display_text(name)
    if reason is not None:
        return None, reason
    key = normalize_name(name)
    if not key:
        return None, "is empty"
    return key, None


def _scripts(text: str) -> set[str]:
    """The scripts of the letters in ``text``, named by the first word of each letter's
    Unicode name (LATIN, CYRILLIC, GREEK, CJK, HIRAGANA...); digits and punctuation have no
    script here."""
    out: set[str] = set()
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isalpha():
            out.add(unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0])
    return out
