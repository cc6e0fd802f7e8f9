"""The report's legal statements, from one sourced table (``evidence/data/legal/statements.toml``).

What: :func:`statements` loads the table once: each :class:`Statement` has an id, its kind
(``law``, ``project`` or ``technical``), the English and Chinese text, its source and whether
it was verified there (``verified``, ``secondary`` or ``unverified``). :func:`notes` gives
the texts a report prints, in its languages, with unverified statements marked as such.

Why one table (issue 14): a report must state no legal proposition that has no source,
and its Chinese must say no more than its English. The table follows
``../shared/reference/legal-notes.md``: SPC Online Litigation Rules (2021) Arts. 16-19 with
their real scope (Art. 16: not altered *after* going on chain, rebuttable), SPC Evidence
Provisions (2019) Arts. 93-94, the Hague Evidence Convention (Arts. 9, 39), FRE 902(13)/(14)
and eIDAS Art. 41; the rebuttal ground of the project's policy is attributed to the paper
that proposes it. A test checks every rendered report against the table.

Failures: a malformed table raises :class:`~evidence.errors.FormatError` (a packaging bug).
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources

from evidence.errors import FormatError

__all__ = ["KINDS", "STATEMENTS_FILE", "UNVERIFIED_MARK", "VERIFIED", "Statement", "notes",
           "statement", "statements"]

#: The table, inside the ``evidence`` package.
STATEMENTS_FILE = "data/legal/statements.toml"

#: Kinds of statement.
KINDS = ("law", "project", "technical")

#: How far each statement was checked in its source.
VERIFIED = ("verified", "secondary", "unverified")

#: Appended to a statement that was not checked against its official text.
UNVERIFIED_MARK = ("(Unverified summary: check the official text before relying on it.)",
                   "（未经核实的概述：援引前请核对官方文本。）")

#: Appended to a statement checked only in a secondary source.
SECONDARY_MARK = ("(Checked in a secondary source only.)", "（仅经非官方来源核对。）")


@dataclass(frozen=True)
class Statement:
    """One legal (or project, or technical) statement with its source."""

    id: str
    kind: str
    when: str
    en: str
    zh: str
    source: str
    verified: str

    def text(self, lang: str) -> str:
        """The statement in ``lang``, marked when it is not verified in its source."""
        base = self.en if lang == "en" else self.zh
        n = 0 if lang == "en" else 1
        if self.verified == "unverified":
            return f"{base} {UNVERIFIED_MARK[n]}" if n == 0 else base + UNVERIFIED_MARK[n]
        if self.verified == "secondary":
            return f"{base} {SECONDARY_MARK[n]}" if n == 0 else base + SECONDARY_MARK[n]
        return base


@functools.cache
def statements() -> tuple[Statement, ...]:
    """All statements of the table, in its order."""
    raw = resources.files("evidence").joinpath(STATEMENTS_FILE).read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{STATEMENTS_FILE}: not valid TOML ({exc})") from exc
    out: list[Statement] = []
    seen: set[str] = set()
    for n, entry in enumerate(data.get("statement", [])):
        try:
            st = Statement(**{k: str(entry[k]) for k in
                              ("id", "kind", "when", "en", "zh", "source", "verified")})
        except KeyError as exc:
            raise FormatError(f"{STATEMENTS_FILE}: statement {n + 1} lacks {exc}") from exc
        if st.kind not in KINDS or st.verified not in VERIFIED or st.id in seen:
            raise FormatError(f"{STATEMENTS_FILE}: statement {st.id!r} has a bad kind, "
                              "verified flag or a duplicate id")
        seen.add(st.id)
        out.append(st)
    return tuple(out)


def statement(sid: str) -> Statement:
    """The statement with id ``sid`` (KeyError if there is none: a programming error)."""
    for st in statements():
        if st.id == sid:
            return st
    raise KeyError(sid)


def notes(langs: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Every statement's text per report language, in table order."""
    return {lang: tuple(st.text(lang) for st in statements()) for lang in langs}
