"""Tests for evidence.jurisdictions: the shipped party list, ISO names, strict user lists."""

from __future__ import annotations

import csv
import tomllib
from datetime import UTC, date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import pytest

from evidence.errors import FormatError, InputError
from evidence.jurisdictions import (
    ART39_CAVEAT,
    Party,
    PartyList,
    country_name,
    load_default_parties,
    load_parties,
)

ASSETS = Path(__file__).resolve().parent / "assets" / "policies"
SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
DATA = resources.files("evidence").joinpath("data")

#: Codes the reports must be able to name, whether parties or not (brief).
REQUIRED_CODES = (
    "JP", "US", "CA", "AU", "BE", "AT", "IE", "PH", "HK", "MO", "TW", "KR", "SG", "VN", "IN",
    "CN", "DE", "FR", "GB", "NL",
)


def _utc(y: int, m: int, d: int, hh: int = 12) -> datetime:
    return datetime(y, m, d, hh, tzinfo=UTC)


# --------------------------------------------------------------------------- shipped data


def test_parties_csv_is_a_byte_for_byte_copy_of_the_shared_research_file() -> None:
    shipped = DATA.joinpath("hcch-evidence-convention-parties.csv").read_bytes()
    assert shipped == (SHARED_DATA / "hcch-evidence-convention-parties.csv").read_bytes()


def test_default_list_has_62_rows_39_verified_dates_and_meta_agrees() -> None:
    parties = load_default_parties()
    meta = tomllib.loads(
        DATA.joinpath("hcch-evidence-convention-parties.meta.toml").read_text("utf-8")
    )
    dated = [p for p in parties.parties if p.entry_into_force is not None]
    assert len(parties.parties) == meta["rows"] == 62
    assert len(dated) == meta["rows_with_verified_entry_into_force"] == 39
    assert len(parties.parties) - len(dated) == meta["rows_status_only"] == 23
    assert parties.as_of == meta["as_of"]
    assert parties.as_of is not None
    assert parties.as_of.isoformat() in parties.source


def test_default_list_carries_the_art39_and_completeness_caveats() -> None:
    parties = load_default_parties()
    assert parties.caveats[0] == ART39_CAVEAT
    assert "Art. 39" in ART39_CAVEAT
    text = " ".join(parties.caveats)
    assert "incomplete" in text
    assert "unverified" in text


def test_meta_notes_cover_dates_gap_and_art39() -> None:
    meta = tomllib.loads(
        DATA.joinpath("hcch-evidence-convention-parties.meta.toml").read_text("utf-8")
    )
    notes = meta["notes"]
    for key in ("verified_dates", "blank_dates", "completeness", "art39_acceptance", "japan"):
        assert notes[key].strip(), key
    assert "Art. 39" in notes["art39_acceptance"]
    assert all(url.startswith("https://") for url in meta["sources"])


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
        pytest.param("SG", None, None, id="singapore_blank"),
        pytest.param("VN", date(2020, 5, 3), None, id="viet_nam_type_blank"),
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
        pytest.param("SG", _utc(2026, 1, 1), True, None, "date unverified", id="blank_eif"),
        pytest.param("PH", _utc(2026, 1, 1), False, False, "not listed", id="non_party"),
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
