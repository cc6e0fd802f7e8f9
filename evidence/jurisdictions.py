"""Jurisdiction data: ISO 3166-1 names and the Contracting Parties of the Hague Evidence Convention.

What: the list of Contracting Parties to the HCCH Convention of 18 March 1970 on the Taking of
Evidence Abroad in Civil or Commercial Matters, with each State's entry-into-force (EIF) date,
the source of that fact and the date's standing (``status``: verified, secondary, computed or
unknown); and English and Chinese names for ISO 3166-1 alpha-2 codes (for reports).

Why: the default verification policy (``evidence.policy.evaluate``, policy ``hague-3``) counts
witness
confirmations from Contracting States. That rule is this project's policy, not a rule of the
Convention, which only organises how a court obtains evidence abroad (Letters of Request,
Chapter I; Art. 9 on procedure and special methods). Treaty data therefore carries its
source and date, and users can replace it (:func:`load_parties`).

Caveats that every report built on this data must carry:

* **Membership is not pairwise application (Art. 39).** For a State that *acceded*, the
  Convention operates only with the Contracting States that *accepted* that accession, from the
  60th day after the acceptance. This module (and the default policy) answers "is this State a
  Contracting Party, in force for it on that day?", never "does the Convention apply between
  State A and State B?". Example: Germany, Italy, Greece, Portugal, India and Brazil are not
  among the States that accepted Malta's accession.
* **Not every date is verified.** Each row's ``status`` says where its EIF date stands
  (:data:`DATE_STATUSES`): *verified* (an official source states it, or states the deposit
  date it follows from under Art. 38(2)/39(3)), *secondary* (only a non-official source states
  it), *computed* (deposit + 60 days, the deposit date itself only from a secondary source) or
  *unknown* (blank: Ukraine, whose sources conflict). Of the 66 built-in rows 53 are verified,
  2 secondary, 10 computed, 1 unknown. Every statement of a date carries its status
  (:func:`date_status_text`), e.g. "in force since 1978-12-26 (date computed from a secondary
  source)"; a secondary date is never shown as verified. A blank date counts as a party with
  ``in_force_at_time=None``.
* **The built-in list may be incomplete** (it may lack up to two recent accessions). A State
  missing from the list counts as a non-party; a policy can name another list
  (``parties_file``).
* **Territories** (Hong Kong SAR, Macao SAR, Crown dependencies, Aruba) have no rows of their
  own, so a witness registered under such a code is not counted as a party.

The notes behind each statement are in ``data/hcch-evidence-convention-parties.meta.toml``.

How a row's status is derived: the built-in CSV has a sixth column ``status``, filled by hand
from each row's ``source_note`` following the research notes' definitions (the note itself is
left as researched: it says VERIFIED, SECONDARY or SECONDARY/COMPUTED for every row the research
changed; the rows carried over from the previous list cite official sources only). A user list
may carry the same column; without it, a dated row's status is None ("not stated") and a blank
date's is "unknown".

ISO names: ``data/iso3166.csv`` holds all 249 ISO 3166-1 alpha-2 codes with the English short
name as published in Debian's iso-codes 4.15.0 and the Chinese name from its zh_CN translation,
corrected to the names in common use in the PRC (e.g. 柬埔寨, 危地马拉, 梵蒂冈; 中国香港,
中国澳门, 中国台湾).

Failures: a malformed user list raises :class:`~evidence.errors.FormatError` naming the file and
line; a malformed code or language raises :class:`~evidence.errors.InputError`.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Literal, get_args

from evidence.errors import FormatError, InputError

__all__ = [
    "ART39_CAVEAT",
    "DATE_STATUSES",
    "PARTIES_HEADER",
    "PARTIES_HEADER_WITHOUT_STATUS",
    "PARTY_TYPES",
    "DateStatus",
    "Party",
    "PartyList",
    "PartyStatus",
    "country_name",
    "date_status_text",
    "is_iso2",
    "load_default_parties",
    "load_parties",
]

#: The standing of a row's entry-into-force date (column ``status``):
#: ``verified``: an official source read states the date, or states the deposit date from
#: which the Convention fixes it (the 60th day after deposit, Art. 38(2), 39(3));
#: ``secondary``: only a non-official source states it;
#: ``computed``: deposit date + 60 days, the deposit date itself only from a secondary source;
#: ``unknown``: no date (blank), e.g. because the sources conflict.
DateStatus = Literal["verified", "secondary", "computed", "unknown"]
DATE_STATUSES: tuple[DateStatus, ...] = get_args(DateStatus)

#: Exact header of a party list CSV: the built-in one, and the one to use for a replacement.
PARTIES_HEADER = ("iso2", "name", "entry_into_force", "type", "source_note", "status")

#: A replacement list may leave out the status column: a dated row's status is then None
#: (not stated) and a blank date's "unknown".
PARTIES_HEADER_WITHOUT_STATUS = PARTIES_HEADER[:5]

#: How each status is said, in English and Chinese, after a date ("in force since
#: 1978-12-26 (date computed from a secondary source)"); None: the list does not say.
_DATE_STATUS_TEXT: dict[DateStatus | None, tuple[str, str]] = {
    "verified": ("date verified in an official source", "生效日期经官方来源核实"),
    "secondary": ("date from a secondary source", "生效日期仅见于非官方来源"),
    "computed": ("date computed from a secondary source", "生效日期根据非官方来源推算"),
    "unknown": ("date unknown", "生效日期不明"),
    None: ("date as given in the list, its source status not stated",
           "生效日期依名单所载，名单未说明其来源状态"),
}

#: Values of the ``type`` column: how the State became a party (HCCH table: R, A*, Su).
#: Blank means "not verified".
PARTY_TYPES = frozenset({"ratification", "accession", "succession"})

#: The Art. 39 caveat in one line, for reports and policy descriptions.
ART39_CAVEAT = (
    "Counts membership in the Contracting Party list only: for acceding States the Convention "
    "applies only with States that accepted the accession (Art. 39), which is not checked."
)

#: A party list has far fewer rows than there are ISO 3166-1 codes (249); anything larger is
#: not a party list, and reading it whole would be wasteful.
MAX_PARTY_ROWS = 1000

#: Largest party list file read (bytes): the built-in list is about 20 KiB with long source
#: notes; 1 MiB leaves room for any honest list and refuses accidents (a wrong file).
MAX_PARTY_FILE_BYTES = 1 << 20

_ISO2_RE = re.compile(r"[A-Z]{2}")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DEFAULT_CSV = "hcch-evidence-convention-parties.csv"
_DEFAULT_META = "hcch-evidence-convention-parties.meta.toml"
_ISO_CSV = "iso3166.csv"
_LANGS = ("en", "zh")


def _data_dir() -> resources.abc.Traversable:
    """The package's ``data/`` folder (``evidence/data`` is not a package of its own)."""
    return resources.files("evidence").joinpath("data")


def is_iso2(code: str) -> bool:
    """True when ``code`` has the form of an ISO 3166-1 alpha-2 code (two letters A-Z)."""
    return _ISO2_RE.fullmatch(code) is not None


def date_status_text(status: DateStatus | None, lang: str = "en") -> str:
    """How a date's status is said after the date, e.g. "date computed from a secondary
    source" (``lang`` "en") or "生效日期根据非官方来源推算" ("zh"); None means the list does not
    state it. Raises :class:`InputError` for another language."""
    if lang not in _LANGS:
        raise InputError(f"unknown language {lang!r}: use 'en' or 'zh'")
    en, zh = _DATE_STATUS_TEXT[status]
    return en if lang == "en" else zh


@dataclass(frozen=True)
class Party:
    """One Contracting Party row: ``entry_into_force`` and ``type`` are None when blank.

    ``status`` is the standing of ``entry_into_force`` (:data:`DATE_STATUSES`); None when the
    list has no status column and the row has a date (not stated).
    """

    iso2: str
    name: str
    entry_into_force: date | None
    type: str | None
    source: str
    status: DateStatus | None = None


@dataclass(frozen=True)
class PartyStatus:
    """Whether a State is a listed party and whether the Convention was in force for it.

    ``in_force_at_time`` is None when the State is listed but its EIF date is blank: it counts
    as a party, its date unknown. For a State not in the list it is False. ``date_status`` is
    the list's status of the date (None for a non-party or when the list does not state it);
    ``reason`` says it in words after the date.
    """

    is_party: bool
    in_force_at_time: bool | None
    entry_into_force: date | None
    source: str
    reason: str
    date_status: DateStatus | None = None


@dataclass(frozen=True)
class PartyList:
    """A versioned list of Contracting Parties with its source and as-of date.

    ``as_of`` is None for user-supplied lists (the file carries no date). ``caveats`` are plain
    sentences a report should print next to any result built on this list.
    """

    as_of: date | None
    source: str
    parties: tuple[Party, ...]
    caveats: tuple[str, ...] = (ART39_CAVEAT,)
    _index: dict[str, Party] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Party] = {}
        for party in self.parties:
            if party.iso2 in index:
                raise InputError(f"party list {self.source}: duplicate code {party.iso2}")
            index[party.iso2] = party
        object.__setattr__(self, "_index", index)

    def lookup(self, iso2: str) -> Party | None:
        """The row for ``iso2``, or None when the State is not in the list."""
        return self._index.get(iso2)

    def party_status(self, iso2: str, at: datetime) -> PartyStatus:
        """Status of ``iso2`` at instant ``at`` (timezone-aware; compared as a UTC date).

        The Convention enters into force on a whole day (Art. 38, 39: the 60th day after
        deposit), so ``at`` is reduced to its UTC calendar date and compared with the EIF date.
        Raises :class:`InputError` for a naive ``at`` or a malformed code.
        """
        _check_code(iso2)
        if at.tzinfo is None or at.utcoffset() is None:
            raise InputError("party_status needs a timezone-aware datetime (use UTC)")
        day = at.astimezone(UTC).date()
        label = f"{iso2} ({country_name(iso2)})"
        party = self.lookup(iso2)
        if party is None:
            return PartyStatus(
                is_party=False,
                in_force_at_time=False,
                entry_into_force=None,
                source=self.source,
                reason=f"{label} is not listed as a Contracting State in {self.source}",
            )
        if party.entry_into_force is None:
            return PartyStatus(
                is_party=True,
                in_force_at_time=None,
                entry_into_force=None,
                source=party.source,
                reason=(
                    f"{label} is listed as a Contracting State; entry-into-force date unknown "
                    "(blank in the list)"
                ),
                date_status="unknown",
            )
        eif = party.entry_into_force
        said = date_status_text(party.status)
        if eif <= day:
            return PartyStatus(
                is_party=True,
                in_force_at_time=True,
                entry_into_force=eif,
                source=party.source,
                reason=f"{label} is a Contracting State, in force since {eif.isoformat()} ({said})",
                date_status=party.status,
            )
        return PartyStatus(
            is_party=True,
            in_force_at_time=False,
            entry_into_force=eif,
            source=party.source,
            reason=(
                f"{label} is a Contracting State but the Convention entered into force for it "
                f"only on {eif.isoformat()} ({said}), after {day.isoformat()}"
            ),
            date_status=party.status,
        )


def _check_code(iso2: str) -> None:
    if not is_iso2(iso2):
        raise InputError(f"{iso2!r} is not an ISO 3166-1 alpha-2 code (two capital letters)")


@functools.cache
def _iso_names() -> dict[str, tuple[str, str]]:
    text = _data_dir().joinpath(_ISO_CSV).read_text(encoding="utf-8")
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = next(rows)
    if tuple(header) != ("iso2", "name_en", "name_zh"):  # pragma: no cover - shipped data
        raise FormatError("unexpected header", path=_ISO_CSV)
    return {row[0]: (row[1], row[2]) for row in rows}


def country_name(iso2: str, lang: str = "en") -> str:
    """English (ISO 3166-1 short name) or Chinese name of ``iso2``.

    A well-formed code that ISO 3166-1 does not assign (e.g. the user-assigned ``XK``) returns
    the code itself, so that a report can still name a witness's declared jurisdiction.
    Raises :class:`InputError` for a malformed code or a language other than "en" and "zh".
    """
    _check_code(iso2)
    if lang not in _LANGS:
        raise InputError(f"unknown language {lang!r}: use 'en' or 'zh'")
    names = _iso_names().get(iso2)
    if names is None:
        return iso2
    return names[0] if lang == "en" else names[1]


def _parse_date(text: str, *, path: str, where: str) -> date | None:
    if text == "":
        return None
    if _DATE_RE.fullmatch(text) is None:
        raise FormatError(
            f"entry_into_force {text!r} is not an ISO date YYYY-MM-DD (or blank)",
            path=path,
            where=where,
        )
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise FormatError(
            f"entry_into_force {text!r} is not a real date", path=path, where=where
        ) from exc


def _parse_status(
    text: str | None, eif: date | None, *, path: str, where: str
) -> DateStatus | None:
    """A row's ``status``: one of :data:`DATE_STATUSES`, "unknown" exactly when the date is
    blank. ``text`` None (no status column): "unknown" for a blank date, else None."""
    if text is None:
        return "unknown" if eif is None else None
    for status in DATE_STATUSES:
        if text == status:
            break
    else:
        raise FormatError(
            f"status {text!r} must be one of {', '.join(DATE_STATUSES)}", path=path, where=where
        )
    if (status == "unknown") != (eif is None):
        raise FormatError(
            "status 'unknown' goes with a blank entry_into_force and only with it, found "
            f"status {status!r} with entry_into_force {eif.isoformat() if eif else 'blank'}",
            path=path,
            where=where,
        )
    return status


def _parse_parties(text: str, *, path: str) -> tuple[Party, ...]:
    """Strict reader shared by the built-in and user lists; ``path`` names the file in errors."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise FormatError("empty file: expected header " + ",".join(PARTIES_HEADER), path=path)
        if tuple(header) not in (PARTIES_HEADER, PARTIES_HEADER_WITHOUT_STATUS):
            raise FormatError(
                f"header must be exactly {','.join(PARTIES_HEADER)} (status may be left out), "
                f"found {','.join(header)}",
                path=path,
                where="line 1",
            )
        width = len(header)
        parties: list[Party] = []
        first_line: dict[str, int] = {}
        for row in reader:
            where = f"line {reader.line_num}"
            if len(parties) >= MAX_PARTY_ROWS:
                raise FormatError(f"more than {MAX_PARTY_ROWS} rows", path=path, where=where)
            if len(row) != width:
                raise FormatError(
                    f"expected {width} fields, found {len(row)}",
                    path=path,
                    where=where,
                )
            iso2, name, eif, kind, source = row[:5]
            if not is_iso2(iso2):
                raise FormatError(
                    f"iso2 {iso2!r} is not two capital letters (ISO 3166-1 alpha-2)",
                    path=path,
                    where=where,
                )
            if iso2 in first_line:
                raise FormatError(
                    f"duplicate iso2 {iso2} (first on line {first_line[iso2]})",
                    path=path,
                    where=where,
                )
            first_line[iso2] = reader.line_num
            if name.strip() == "":
                raise FormatError("name is empty", path=path, where=where)
            if kind != "" and kind not in PARTY_TYPES:
                allowed = ", ".join(sorted(PARTY_TYPES))
                raise FormatError(
                    f"type {kind!r} must be one of {allowed} or blank", path=path, where=where
                )
            if source.strip() == "":
                raise FormatError(
                    "source_note is empty: every row must say where its facts come from",
                    path=path,
                    where=where,
                )
            entry_into_force = _parse_date(eif, path=path, where=where)
            parties.append(
                Party(
                    iso2=iso2,
                    name=name,
                    entry_into_force=entry_into_force,
                    type=kind or None,
                    source=source,
                    status=_parse_status(row[5] if width > 5 else None, entry_into_force,
                                         path=path, where=where),
                )
            )
    except csv.Error as exc:
        where = f"line {reader.line_num}"
        raise FormatError(f"not valid CSV: {exc}", path=path, where=where) from exc
    return tuple(parties)


def load_parties(path: Path) -> PartyList:
    """Load a user-supplied party list (same columns as the built-in one, UTF-8 CSV).

    Strict: the header must be exactly ``iso2,name,entry_into_force,type,source_note,status``
    or the same without ``status``; iso2 two capital letters; dates ``YYYY-MM-DD`` or blank;
    type one of :data:`PARTY_TYPES` or blank; every row names its source; status one of
    :data:`DATE_STATUSES`, "unknown" exactly for a blank date (without the column a dated
    row's status is None: not stated); no duplicate codes. Raises :class:`FormatError`
    naming the file and line, or :class:`InputError` when the file cannot be read.
    """
    shown = str(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_PARTY_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read party list {shown}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_PARTY_FILE_BYTES:
        raise FormatError(f"larger than {MAX_PARTY_FILE_BYTES} bytes: not a party list", path=shown)
    try:
        # utf-8-sig: spreadsheet programs often write a byte-order mark; it is not data.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text ({exc.reason})", path=shown) from exc
    parties = _parse_parties(text, path=shown)
    return PartyList(as_of=None, source=f"user list {path.name}", parties=parties)


def _status_counts(parties: tuple[Party, ...]) -> str:
    """E.g. "53 verified in an official source, 2 from a secondary source, ..."."""
    counts = [
        (sum(1 for p in parties if p.status == status), status) for status in DATE_STATUSES
    ]
    words = {
        "verified": "verified in an official source",
        "secondary": "from a secondary source",
        "computed": "computed from a secondary source",
        "unknown": "unknown",
    }
    said = [f"{n} {words[status]}" for n, status in counts if n]
    unstated = sum(1 for p in parties if p.status is None)
    if unstated:
        said.append(f"{unstated} with no status stated")
    return ", ".join(said)


@functools.cache
def load_default_parties() -> PartyList:
    """The built-in party list with its as-of date and caveats (from the ``.meta.toml`` file).

    Cached: the data ships with the package and never changes at run time.
    """
    data = _data_dir()
    text = data.joinpath(_DEFAULT_CSV).read_text(encoding="utf-8")
    meta = tomllib.loads(data.joinpath(_DEFAULT_META).read_text(encoding="utf-8"))
    parties = _parse_parties(text, path=_DEFAULT_CSV)
    as_of = meta["as_of"]
    if not isinstance(as_of, date):  # pragma: no cover - shipped data
        raise FormatError("as_of must be a TOML date", path=_DEFAULT_META)
    notes = meta["notes"]
    replace = meta["replace"]
    caveats = (
        ART39_CAVEAT,
        (
            f"Built-in list as of {as_of.isoformat()} ({meta['as_of_basis']}); "
            f"{len(parties)} Contracting Parties; entry-into-force dates: "
            f"{_status_counts(parties)}; each date is shown with its status."
        ),
        f"The list may be incomplete: {meta['known_gap']}. A State missing from it is "
        f"treated as a non-party. Re-check against {replace['live_status_table']} before "
        f"operational use, or replace the list (policy key {replace['policy_key']}).",
        " ".join(str(notes["territories"]).split()),
    )
    return PartyList(
        as_of=as_of,
        source=f"built-in list {_DEFAULT_CSV} (as of {as_of.isoformat()})",
        parties=parties,
        caveats=caveats,
    )
