"""Tests for evidence.jurisdictions: the shipped party list, ISO names, strict user lists."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import tomllib
from datetime import UTC, date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import pytest

from evidence.errors import FormatError, InputError
from evidence.jurisdictions import (
    ART39_CAVEAT,
    DATE_STATUSES,
    PARTIES_HEADER,
    Party,
    PartyList,
    country_name,
    date_status_text,
    load_default_parties,
    load_parties,
)

from .conftest import run_cli

ASSETS = Path(__file__).resolve().parent / "assets" / "policies"
DATA = resources.files("evidence").joinpath("data")

#: Codes the reports must be able to name, whether parties or not (brief).
REQUIRED_CODES = (
    "JP", "US", "CA", "AU", "BE", "AT", "IE", "PH", "HK", "MO", "TW", "KR", "SG", "VN", "IN",
    "CN", "DE", "FR", "GB", "NL",
)


def _utc(y: int, m: int, d: int, hh: int = 12) -> datetime:
    return datetime(y, m, d, hh, tzinfo=UTC)


# --------------------------------------------------------------------------- shipped data


def _meta() -> dict[str, object]:
    return tomllib.loads(
        DATA.joinpath("hcch-evidence-convention-parties.meta.toml").read_text("utf-8")
    )


def _status_from_note(note: str) -> str:
    """The derivation of column status from source_note (meta.toml, notes.status_column):
    the research marks every row it changed; the rows carried over cite official sources."""
    if "EIF LEFT EMPTY" in note:
        return "unknown"
    if "SECONDARY/COMPUTED" in note:  # "SECONDARY/COMPUTED:" or "EIF SECONDARY/COMPUTED:"
        return "computed"
    if note.startswith("SECONDARY:"):
        return "secondary"
    assert "SECONDARY" not in note.replace("Type SECONDARY", ""), note  # only the type's
    return "verified"


def test_every_row_has_a_source_and_a_status() -> None:
    parties = load_default_parties()
    assert len(parties.parties) == 66
    for party in parties.parties:
        assert party.source.strip(), party.iso2
        assert party.status in DATE_STATUSES, party.iso2
        assert (party.status == "unknown") is (party.entry_into_force is None), party.iso2
        assert party.type is not None, party.iso2


def test_each_status_follows_from_the_rows_source_note() -> None:
    for party in load_default_parties().parties:
        assert party.status == _status_from_note(party.source), (party.iso2, party.source)


def test_the_shipped_csv_is_the_research_file_plus_the_status_column() -> None:
    """The data's own text is intact: without the status column the shipped CSV is the
    research file byte for byte (its SHA-256 is recorded in the metadata)."""
    shipped = DATA.joinpath("hcch-evidence-convention-parties.csv").read_bytes()
    lines = shipped.split(b"\r\n")
    assert lines[-1] == b""
    assert lines[0] == ",".join(PARTIES_HEADER).encode()
    statuses = "|".join(DATE_STATUSES).encode()
    stripped = [re.sub(rb",(" + statuses + rb")$", b"", line) for line in lines[1:-1]]
    assert all(a != b for a, b in zip(stripped, lines[1:-1], strict=True))
    research = b"\r\n".join([lines[0].removesuffix(b",status"), *stripped, b""])
    meta = _meta()
    assert hashlib.sha256(research).hexdigest() == meta["research_sha256"]


def test_default_list_counts_and_meta_agree() -> None:
    parties = load_default_parties()
    meta = _meta()
    dated = [p for p in parties.parties if p.entry_into_force is not None]
    assert len(parties.parties) == meta["rows"] == 66
    assert len(dated) == meta["rows_with_entry_into_force"] == 65
    by_status = {s: sum(1 for p in parties.parties if p.status == s) for s in DATE_STATUSES}
    assert by_status == meta["rows_by_status"] == {
        "verified": 53, "secondary": 2, "computed": 10, "unknown": 1,
    }
    assert parties.as_of == meta["as_of"]
    assert parties.as_of is not None
    assert parties.as_of.isoformat() in parties.source


def test_default_list_carries_the_art39_completeness_and_status_caveats() -> None:
    parties = load_default_parties()
    assert parties.caveats[0] == ART39_CAVEAT
    assert "Art. 39" in ART39_CAVEAT
    text = " ".join(parties.caveats)
    assert "may be incomplete" in text
    assert "up to two recent accessions" in text
    assert "parties_file" in text
    assert ("53 verified in an official source, 2 from a secondary source, 10 computed from a "
            "secondary source, 1 unknown") in text


def test_meta_notes_cover_statuses_gap_replacement_and_art39() -> None:
    meta = _meta()
    notes = meta["notes"]
    assert isinstance(notes, dict)
    for key in ("status_column", "verified_dates", "secondary_dates", "computed_dates",
                "unknown_dates", "added_rows", "completeness", "art39_acceptance", "japan",
                "territories"):
        assert notes[key].strip(), key
    assert "Art. 39" in notes["art39_acceptance"]
    assert "up to two recent accessions" in notes["completeness"]
    assert "Ukraine" in notes["unknown_dates"]
    replace = meta["replace"]
    assert isinstance(replace, dict)
    assert replace["policy_key"] == "parties_file"
    assert replace["live_status_table"].startswith("https://")
    sources = meta["sources"]
    assert isinstance(sources, list)
    assert all(url.startswith("https://") for url in sources)
    assert "up to two recent accessions" in str(meta["known_gap"])


@pytest.mark.parametrize(
    ("iso2", "eif", "kind", "status"),
    [
        pytest.param("SG", date(1978, 12, 26), "accession", "computed", id="singapore"),
        pytest.param("MK", date(2009, 5, 18), "accession", "verified", id="north_macedonia"),
        pytest.param("UA", None, "accession", "unknown", id="ukraine"),
        pytest.param("MA", date(2011, 5, 23), "accession", "computed", id="morocco"),
        pytest.param("KR", date(2010, 2, 12), "accession", "secondary", id="korea"),
        pytest.param("SE", date(1975, 7, 1), "ratification", "verified",
                     id="sweden_date_verified_type_secondary"),
        pytest.param("PH", date(2025, 7, 5), "accession", "verified", id="philippines"),
        pytest.param("CN", date(1998, 2, 6), "accession", "verified", id="china"),
    ],
)
def test_row_statuses(iso2: str, eif: date | None, kind: str, status: str) -> None:
    party = load_default_parties().lookup(iso2)
    assert party is not None
    assert (party.entry_into_force, party.type, party.status) == (eif, kind, status)


@pytest.mark.parametrize(
    ("iso2", "words"),
    [
        pytest.param("SG", "SG (Singapore) is a Contracting State, in force since 1978-12-26 "
                     "(date computed from a secondary source)", id="singapore_computed"),
        pytest.param("KR", "KR (Korea, Republic of) is a Contracting State, in force since "
                     "2010-02-12 (date from a secondary source)", id="korea_secondary"),
        pytest.param("MK", "MK (North Macedonia) is a Contracting State, in force since "
                     "2009-05-18 (date verified in an official source)", id="north_macedonia"),
        pytest.param("MA", "MA (Morocco) is a Contracting State, in force since 2011-05-23 "
                     "(date computed from a secondary source)", id="morocco"),
        pytest.param("UA", "UA (Ukraine) is listed as a Contracting State; entry-into-force "
                     "date unknown (blank in the list)", id="ukraine_unknown"),
    ],
)
def test_every_date_is_said_with_its_status(iso2: str, words: str) -> None:
    status = load_default_parties().party_status(iso2, _utc(2026, 1, 1))
    assert status.is_party
    assert status.reason == words
    party = load_default_parties().lookup(iso2)
    assert party is not None
    assert status.date_status == party.status


def test_a_secondary_date_is_never_said_verified() -> None:
    parties = load_default_parties()
    for party in parties.parties:
        reason = parties.party_status(party.iso2, _utc(2026, 1, 1)).reason
        assert ("verified" in reason) is (party.status == "verified"), reason


def test_date_status_text_in_both_languages() -> None:
    assert date_status_text("computed") == "date computed from a secondary source"
    assert date_status_text("computed", "zh") == "生效日期根据非官方来源推算"
    assert date_status_text(None).endswith("its source status not stated")
    assert {date_status_text(s, "zh") for s in DATE_STATUSES} != {""}
    with pytest.raises(InputError, match="unknown language"):
        date_status_text("verified", "fr")


def test_japan_is_not_a_party() -> None:
    parties = load_default_parties()
    assert parties.lookup("JP") is None
    status = parties.party_status("JP", _utc(2026, 1, 1))
    assert status.is_party is False
    assert status.in_force_at_time is False
    assert "JP (Japan) is not listed" in status.reason


@pytest.mark.parametrize(
    ("iso2", "eif", "kind"),
    [
        pytest.param("CN", date(1998, 2, 6), "accession", id="china"),
        pytest.param("DE", date(1979, 6, 26), "ratification", id="germany"),
        pytest.param("SK", date(1993, 1, 1), "succession", id="slovakia"),
        pytest.param("SG", date(1978, 12, 26), "accession", id="singapore"),
        pytest.param("VN", date(2020, 5, 3), "accession", id="viet_nam"),
        pytest.param("UA", None, "accession", id="ukraine_blank_date"),
    ],
)
def test_lookup_known_rows(iso2: str, eif: date | None, kind: str | None) -> None:
    party = load_default_parties().lookup(iso2)
    assert party is not None
    assert party.entry_into_force == eif
    assert party.type == kind
    assert party.source


@pytest.mark.parametrize(
    ("iso2", "at", "is_party", "in_force", "words"),
    [
        pytest.param("CN", _utc(2026, 1, 1), True, True, "in force since 1998-02-06",
                     id="in_force"),
        pytest.param("SV", _utc(2023, 3, 20, 0), True, True, "in force since", id="eif_day"),
        pytest.param("SV", _utc(2023, 3, 19, 23), True, False, "only on 2023-03-20",
                     id="day_before_eif"),
        pytest.param("SV", datetime(2023, 3, 20, 1, tzinfo=timezone(timedelta(hours=8))),
                     True, False, "after 2023-03-19", id="eif_day_in_utc8_is_day_before_in_utc"),
        pytest.param("UA", _utc(2026, 1, 1), True, None, "date unknown", id="blank_eif"),
        pytest.param("SG", _utc(1978, 12, 25, 23), True, False,
                     "only on 1978-12-26 (date computed from a secondary source)",
                     id="computed_date_not_yet"),
        pytest.param("MA", _utc(2026, 1, 1), True, True, "in force since 2011-05-23",
                     id="morocco_now_listed"),
        pytest.param("PH", _utc(2025, 7, 4, 23), True, False, "only on 2025-07-05",
                     id="philippines_day_before_eif"),
        pytest.param("CA", _utc(2026, 1, 1), False, False, "not listed", id="non_party"),
    ],
)
def test_party_status(
    iso2: str, at: datetime, is_party: bool, in_force: bool | None, words: str
) -> None:
    status = load_default_parties().party_status(iso2, at)
    assert status.is_party is is_party
    assert status.in_force_at_time is in_force
    assert words in status.reason


def test_party_status_rejects_naive_datetime_and_bad_code() -> None:
    parties = load_default_parties()
    with pytest.raises(InputError, match="timezone-aware"):
        parties.party_status("CN", datetime(2026, 1, 1))
    with pytest.raises(InputError, match="alpha-2"):
        parties.party_status("cn", _utc(2026, 1, 1))


def test_party_list_rejects_duplicate_codes() -> None:
    row = Party("CN", "China", None, None, "x")
    with pytest.raises(InputError, match="duplicate code CN"):
        PartyList(as_of=None, source="test", parties=(row, row))


# --------------------------------------------------------------------------- ISO names


def test_iso3166_csv_has_all_249_codes_once_with_both_names() -> None:
    text = DATA.joinpath("iso3166.csv").read_text("utf-8")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["iso2", "name_en", "name_zh"]
    codes = [r[0] for r in rows[1:]]
    assert len(codes) == len(set(codes)) == 249
    assert all(r[1].strip() and r[2].strip() for r in rows[1:])


def test_every_party_and_required_code_has_english_and_chinese_names() -> None:
    codes = {p.iso2 for p in load_default_parties().parties} | set(REQUIRED_CODES)
    for code in sorted(codes):
        assert country_name(code) != code, code
        assert country_name(code, "zh") != code, code


@pytest.mark.parametrize(
    ("iso2", "en", "zh"),
    [
        pytest.param("JP", "Japan", "日本", id="japan"),
        pytest.param("CN", "China", "中国", id="china"),
        pytest.param("HK", "Hong Kong", "中国香港", id="hong_kong"),
        pytest.param("DE", "Germany", "德国", id="germany"),
        pytest.param("US", "United States", "美国", id="united_states"),
        pytest.param("KR", "Korea, Republic of", "韩国", id="korea"),
    ],
)
def test_country_name(iso2: str, en: str, zh: str) -> None:
    assert country_name(iso2) == en
    assert country_name(iso2, lang="zh") == zh


def test_country_name_unassigned_code_is_returned_as_is() -> None:
    assert country_name("XK") == "XK"


@pytest.mark.parametrize(
    ("iso2", "lang"),
    [
        pytest.param("jp", "en", id="lowercase"),
        pytest.param("JPN", "en", id="alpha3"),
        pytest.param("", "en", id="empty"),
        pytest.param("JP", "fr", id="unknown_language"),
    ],
)
def test_country_name_rejects(iso2: str, lang: str) -> None:
    with pytest.raises(InputError):
        country_name(iso2, lang)


# --------------------------------------------------------------------------- user lists


def test_user_list_replaces_the_default() -> None:
    parties = load_parties(ASSETS / "parties_test_with_jp.csv")
    assert parties.as_of is None
    assert "parties_test_with_jp.csv" in parties.source
    assert [p.iso2 for p in parties.parties] == ["CN", "DE", "JP"]
    assert parties.party_status("JP", _utc(2026, 1, 1)).is_party
    assert not parties.party_status("SG", _utc(2026, 1, 1)).is_party
    assert parties.caveats == (ART39_CAVEAT,)


def test_user_list_with_bom_and_crlf_is_read() -> None:
    parties = load_parties(ASSETS / "parties_good_bom_crlf.csv")
    assert [p.iso2 for p in parties.parties] == ["CN", "SG"]
    sg = parties.lookup("SG")
    assert sg is not None
    assert sg.entry_into_force is None
    assert sg.status == "unknown"  # a blank date is unknown, with or without the column


def test_user_list_with_a_status_column() -> None:
    parties = load_parties(ASSETS / "parties_good_with_status.csv")
    assert [(p.iso2, p.status) for p in parties.parties] == [
        ("CN", "verified"), ("DE", "secondary"), ("SG", "computed"), ("UA", "unknown"),
    ]
    at = _utc(2026, 1, 1)
    assert parties.party_status("DE", at).reason.endswith(
        "in force since 1979-06-26 (date from a secondary source)")
    assert parties.party_status("UA", at).date_status == "unknown"


def test_user_list_without_a_status_column_states_no_status_for_dates() -> None:
    parties = load_parties(ASSETS / "parties_test_with_jp.csv")
    cn = parties.lookup("CN")
    assert cn is not None and cn.status is None
    status = parties.party_status("CN", _utc(2026, 1, 1))
    assert status.date_status is None
    assert status.reason.endswith(
        "in force since 1998-02-06 (date as given in the list, its source status not stated)")
    assert "verified" not in status.reason


@pytest.mark.parametrize(
    ("asset", "where", "words"),
    [
        pytest.param("parties_bad_header.csv", "line 1", "header must be exactly", id="header"),
        pytest.param("parties_bad_iso2_lowercase.csv", "line 2", "iso2 'cn'", id="lowercase"),
        pytest.param("parties_bad_iso2_alpha3.csv", "line 2", "iso2 'CHN'", id="alpha3"),
        pytest.param("parties_bad_date_format.csv", "line 3", "06-26-1979", id="date_format"),
        pytest.param("parties_bad_date_basic.csv", "line 2", "19980206", id="date_basic"),
        pytest.param("parties_bad_date_unreal.csv", "line 2", "not a real date",
                     id="date_unreal"),
        pytest.param("parties_bad_duplicate.csv", "line 4", "duplicate iso2 CN (first on line 2)",
                     id="duplicate"),
        pytest.param("parties_bad_field_count.csv", "line 2", "expected 5 fields", id="fields"),
        pytest.param("parties_bad_status_missing.csv", "line 2", "expected 6 fields",
                     id="status_missing"),
        pytest.param("parties_bad_status_value.csv", "line 2", "status 'official' must be one of",
                     id="status_value"),
        pytest.param("parties_bad_status_empty.csv", "line 2", "status '' must be one of",
                     id="status_empty"),
        pytest.param("parties_bad_status_unknown_with_date.csv", "line 2",
                     "status 'unknown' with entry_into_force 1998-02-06", id="unknown_with_date"),
        pytest.param("parties_bad_status_blank_date.csv", "line 3",
                     "status 'verified' with entry_into_force blank", id="verified_blank_date"),
        pytest.param("parties_bad_type.csv", "line 2", "type 'signature'", id="type"),
        pytest.param("parties_bad_empty_source.csv", "line 2", "source_note is empty",
                     id="empty_source"),
        pytest.param("parties_bad_empty_name.csv", "line 2", "name is empty", id="empty_name"),
        pytest.param("parties_bad_empty_file.csv", None, "empty file", id="empty_file"),
        pytest.param("parties_bad_blank_line.csv", "line 3", "found 0", id="blank_line"),
    ],
)
def test_bad_user_lists_are_rejected_with_file_and_line(
    asset: str, where: str | None, words: str
) -> None:
    with pytest.raises(FormatError) as info:
        load_parties(ASSETS / asset)
    assert info.value.path is not None
    assert info.value.path.endswith(asset)
    assert info.value.where == where
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_user_list_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read party list"):
        load_parties(tmp_path / "missing.csv")


def test_not_utf8_user_list_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"iso2,name,entry_into_force,type,source_note\nTR,T\xfcrkiye,,,x\n")
    with pytest.raises(FormatError, match="not UTF-8"):
        load_parties(path)


# --------------------------------------------------------------------------- the command


def test_jurisdictions_command_shows_each_dates_status() -> None:
    done = run_cli("jurisdictions")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Hague Evidence Convention (1970) contracting parties: 66 ")
    rows = {line.split()[0]: line for line in lines if line.startswith("  ")}
    assert rows["SG"].endswith("1978-12-26  date computed from a secondary source")
    assert rows["MK"].endswith("2009-05-18  date verified in an official source")
    assert rows["KR"].endswith("2010-02-12  date from a secondary source")
    assert rows["UA"].endswith("-           date unknown")
    assert ("entry-into-force dates: 53 verified in an official source, 2 from a secondary "
            "source, 10 computed from a secondary source, 1 unknown") in lines
    assert any("up to two recent accessions" in line for line in lines)


def test_jurisdictions_command_json_has_status_and_words() -> None:
    done = run_cli("jurisdictions", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["as_of"] == "2026-12-02"
    by_code = {row["iso2"]: row for row in doc["parties"]}
    assert len(by_code) == 66
    assert (by_code["SG"]["entry_into_force"], by_code["SG"]["status"],
            by_code["SG"]["status_text"]) == (
        "1978-12-26", "computed", "date computed from a secondary source")
    assert (by_code["UA"]["entry_into_force"], by_code["UA"]["status"]) == (None, "unknown")
    assert by_code["MK"]["status"] == "verified"
    assert all(row["source"] and row["status"] in DATE_STATUSES for row in doc["parties"])


def test_jurisdictions_command_reads_a_user_list_without_status() -> None:
    done = run_cli("jurisdictions", "--json", "--parties",
                   str(ASSETS / "parties_test_with_jp.csv"))
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["parties"]
    assert [(r["iso2"], r["status"]) for r in rows] == [("CN", None), ("DE", None), ("JP", None)]
    assert rows[0]["status_text"].endswith("its source status not stated")
