"""Tests for loaders.standardise: the column standardisers the loaders call."""

from __future__ import annotations

import random
import re

import numpy as np
import pandas as pd
import phonenumbers
import pytest
import uk_postcodes_parsing as ukp

from loaders.standardise import (
    classify_offences,
    cro_check_letter,
    fold,
    force_codes,
    name_parts,
    parse_cro,
    parse_dates,
    parse_phones,
    parse_pnc,
    parse_postcodes,
    pnc_check_letter,
    postcode_from_text,
    relationships,
    risks,
    roles,
    sexes,
    split_names,
    yes_no,
)
from reference.forces import all_forces, lookup_force
from reference.harm import harm_days, load_harm_table
from reference.offences import GROUPS, normalise_ho_code, offence_table


def S(*values: object, index: list[int] | None = None) -> pd.Series:
    return pd.Series(list(values), index=index, dtype=object)


# --- shared behaviour ---------------------------------------------------------------------------


def test_results_keep_the_input_index_and_treat_every_blank_alike() -> None:
    s = pd.Series(
        ["Wójcik", None, np.nan, "", "   ", pd.NA, "wojcik"], index=[7, 3, 9, 1, 4, 2, 8], dtype=object
    )
    out = fold(s)
    assert list(out.index) == [7, 3, 9, 1, 4, 2, 8]
    assert out.tolist() == ["WOJCIK", None, None, None, None, None, "WOJCIK"]
    frame = parse_postcodes(s)
    assert list(frame.index) == list(s.index)


def test_string_dtype_input_is_accepted() -> None:
    s = pd.Series(["dh19by", None], dtype="string")
    assert parse_postcodes(s)["postcode"].tolist() == ["DH1 9BY", None]


def test_empty_series() -> None:
    empty = pd.Series([], dtype=object)
    assert fold(empty).empty
    assert list(parse_dates(empty, "%d/%m/%Y").columns) == ["value", "error", "open_ended"]
    assert parse_pnc(empty).empty and parse_phones(empty).empty


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([None, None], dtype=object),
        pd.Series(["", "  "]),
        pd.Series([np.nan]),
        pd.Series([1, 2.5]),
        pd.Series(["x", None], dtype="string"),
    ],
)
def test_every_standardiser_survives_degenerate_columns(column: pd.Series) -> None:
    results = [
        fold(column),
        split_names(column, "auto_court"),
        name_parts(column, column),
        parse_dates(column, "%d/%m/%Y", kind="dob", open_ended={"x"}),
        parse_dates(column, "ISO8601"),
        parse_postcodes(column, check_directory=True),
        postcode_from_text(column),
        force_codes(column),
        parse_pnc(column),
        parse_cro(column),
        parse_phones(column),
        roles(column),
        relationships(column),
        sexes(column),
        risks(column),
        yes_no(column),
        classify_offences(column, column),
    ]
    for result in results:
        assert list(result.index) == list(column.index)


# --- text ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Wójcik", "WOJCIK"),
        ("Zoë", "ZOE"),
        ("O'Neil", "ONEIL"),
        ("O’Brien", "OBRIEN"),
        ("  mary-jane   smith ", "MARY-JANE SMITH"),
        ("Smith - Jones", "SMITH-JONES"),
        ("Łukasz Müller", "LUKASZ MULLER"),
        ("St. John", "ST JOHN"),
        ("123", None),
        ("-", None),
    ],
)
def test_fold(raw: str, folded: str | None) -> None:
    assert fold(S(raw)).iloc[0] == folded


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "raw", "surname", "forenames"),
    [
        ("surname_comma_forenames", "WOOD, Iawn Paul", "WOOD", "Iawn Paul"),
        ("surname_comma_forenames", "  O'NEIL ,  Mary ", "O'NEIL", "Mary"),
        ("surname_comma_forenames", "SMITH, Mrs Jane", "SMITH", "Jane"),
        ("surname_comma_forenames", "WOOD Iawn", "WOOD", "Iawn"),
        ("forenames_surname", "David John SMITH", "SMITH", "David John"),
        ("forenames_surname", "Mr David John Smith", "Smith", "David John"),
        ("forenames_surname", "MARY VAN DER BERG", "VAN DER BERG", "MARY"),
        ("auto_court", "Callum MCDONALD", "MCDONALD", "Callum"),
        ("auto_court", "Callum McDONALD", "McDONALD", "Callum"),
        ("auto_court", "Sean MacLEOD", "MacLEOD", "Sean"),
        ("auto_court", "MCDONALD Callum", "MCDONALD", "Callum"),
        ("auto_court", "SMITH John Paul", "SMITH", "John Paul"),
        ("auto_court", "Linda WILSON", "WILSON", "Linda"),
        ("auto_court", "Mary VAN DER BERG", "VAN DER BERG", "Mary"),
        ("auto_court", "Mary van der BERG", "van der BERG", "Mary"),
        ("auto_court", "Ann SMITH-JONES", "SMITH-JONES", "Ann"),
        ("auto_court", "Siobhan O'NEIL", "O'NEIL", "Siobhan"),
        ("auto_court", "John A SMITH", "SMITH", "John A"),
        ("auto_court", "Dr Ann Marie JONES", "JONES", "Ann Marie"),
        ("auto_court", "WILSON, Linda", "WILSON", "Linda"),
        ("auto_court", "callum mcdonald", "mcdonald", "callum"),
        ("auto_court", "CALLUM MCDONALD", "MCDONALD", "CALLUM"),
        ("auto_court", "SMITH J", "SMITH", "J"),
        ("auto_court", "Cher", "Cher", None),
        ("auto_court", "Miss", None, None),
    ],
)
def test_split_names(style: str, raw: str, surname: str | None, forenames: str | None) -> None:
    out = split_names(S(raw), style).iloc[0]
    assert (out["surname"], out["forenames"]) == (surname, forenames)


def test_split_names_keeps_generational_suffix_apart() -> None:
    out = split_names(S("John SMITH Jnr", "SMITH, John Snr", "John Smith"), "auto_court")
    assert out["surname"].tolist() == ["SMITH", "SMITH", "Smith"]
    assert out["suffix"].tolist() == ["Jnr", "Snr", None]


def test_split_names_blank_and_bad_style() -> None:
    out = split_names(S(None, ""), "auto_court")
    assert out.isna().all().all()
    with pytest.raises(ValueError, match="unknown name style"):
        split_names(S("A B"), "surname_first")


def test_name_parts() -> None:
    out = name_parts(S("Wójcik", "O'Neil", None, "SMITH-JONES"), S("Zoë Anna Maria", "Mr Sean", "Ann", None))
    assert out.to_dict("list") == {
        "surname_norm": ["WOJCIK", "ONEIL", None, "SMITH-JONES"],
        "forename_norm": ["ZOE", "SEAN", "ANN", None],
        "middle_norm": ["ANNA MARIA", None, None, None],
    }


# --- dates --------------------------------------------------------------------------------------


def test_impossible_date_has_a_clear_error() -> None:
    out = parse_dates(S("31/02/2019", "16/02/1988", "", None, "abc"), "%d/%m/%Y")
    assert str(out["value"].dtype) == "datetime64[ns]"
    assert out["error"].iloc[0] == "impossible date '31/02/2019' (expected dd/mm/yyyy)"
    assert out["value"].iloc[1] == pd.Timestamp("1988-02-16")
    assert out["error"].iloc[1] is None
    assert out["value"].iloc[2:4].isna().all() and out["error"].iloc[2:4].isna().all()
    assert out["error"].iloc[4] == "unreadable date 'abc' (expected dd/mm/yyyy)"
    assert not out["open_ended"].any()


def test_dates_accept_unpadded_and_spreadsheet_midnight() -> None:
    out = parse_dates(S("5/4/2019", "16/02/1988 00:00", " 01/12/2000 "), "%d/%m/%Y")
    assert out["value"].tolist() == [
        pd.Timestamp("2019-04-05"),
        pd.Timestamp("1988-02-16"),
        pd.Timestamp("2000-12-01"),
    ]


def test_date_of_birth_plausibility() -> None:
    out = parse_dates(
        S("01/01/2030", "31/12/1899", "01/01/1900", "24/11/2026"), "%d/%m/%Y", kind="dob", today="2026-11-25"
    )
    assert out["error"].tolist() == [
        "implausible date of birth '01/01/2030' (in the future)",
        "implausible date of birth '31/12/1899' (before 1900)",
        None,
        None,
    ]
    assert out["value"].iloc[:2].isna().all()


def test_datetime_and_iso_formats() -> None:
    out = parse_dates(S("05/04/2019 22:47", "05/04/2019 25:47", "05/04/2019"), "%d/%m/%Y %H:%M")
    assert out["value"].iloc[0] == pd.Timestamp("2019-04-05 22:47")
    assert out["error"].iloc[1] == "impossible date '05/04/2019 25:47' (expected dd/mm/yyyy hh:mm)"
    assert out["error"].iloc[2].startswith("unreadable date")
    iso = parse_dates(
        S(
            "2019-04-05T22:47:00",
            "2019-07-05T21:47:00Z",
            "2019-07-05T22:47:00+01:00",
            "2019-02-30T10:00",
            "2019-04-05",
        ),
        "ISO8601",
    )
    assert (
        iso["value"].tolist()[:3]
        == [pd.Timestamp("2019-04-05 22:47")] + [pd.Timestamp("2019-07-05 22:47")] * 2
    )
    assert iso["error"].iloc[3].startswith("impossible date '2019-02-30T10:00'")
    assert iso["value"].iloc[4] == pd.Timestamp("2019-04-05")
    ymd = parse_dates(S("1980-04-27", "1980-13-01"), "%Y-%m-%d")
    assert ymd["value"].iloc[0] == pd.Timestamp("1980-04-27")
    assert ymd["error"].iloc[1] == "impossible date '1980-13-01' (expected yyyy-mm-dd)"


def test_court_dates_and_until_further_order() -> None:
    out = parse_dates(
        S(
            "27 August 2019",
            "27 aug 2019",
            "Until further order",
            "UNTIL  FURTHER ORDER",
            "31 February 2019",
            None,
        ),
        "%d %B %Y",
        open_ended={"Until further order"},
    )
    assert out["value"].iloc[:2].tolist() == [pd.Timestamp("2019-08-27")] * 2
    assert out["open_ended"].tolist() == [False, False, True, True, False, False]
    assert out["error"].iloc[2:4].isna().all()
    assert out["error"].iloc[4] == "impossible date '31 February 2019' (expected dd Month yyyy)"


# --- postcodes ----------------------------------------------------------------------------------


def test_postcode_normalisation_and_parts() -> None:
    out = parse_postcodes(S("dh19by", " DH1  9BY ", "ec1r 1ub", "SW1A0AA", "GIR 0AA", None, ""))
    assert out["postcode"].tolist() == ["DH1 9BY", "DH1 9BY", "EC1R 1UB", "SW1A 0AA", "GIR 0AA", None, None]
    first = out.iloc[0]
    assert (first["area"], first["district"], first["sector"]) == ("DH", "DH1", "DH1 9")
    assert (out.iloc[2]["district"], out.iloc[2]["sector"]) == ("EC1R", "EC1R 1")
    assert out["valid"].tolist()[:5] == [True] * 5
    assert out["valid"].iloc[5:].isna().all()


@pytest.mark.parametrize("bad", ["DH1 9CY", "QA1 1AA", "DH1", "12345", "DH1 9BYX", "V1 1AA", "GIR 1AA"])
def test_invalid_postcodes(bad: str) -> None:
    out = parse_postcodes(S(bad)).iloc[0]
    assert not out["valid"]
    assert out["postcode"] is None and out["sector"] is None


def test_loose_postcode_format_matches_uk_postcodes_parsing() -> None:
    samples = [
        "dh19by",
        "DH1 9CY",
        "QQ1 1QQ",
        "EC1R 1UB",
        "W1A 0AX",
        "M1 1AE",
        "B33 8TH",
        "CR2 6XH",
        "DN55 1PT",
    ]
    out = parse_postcodes(S(*samples), strict=False)
    for raw, (_, row) in zip(samples, out.iterrows(), strict=True):
        lib = ukp.parse(raw, attempt_fix=False)
        assert row["valid"] == (lib is not None)
        assert (row["postcode"], row["area"], row["district"], row["sector"]) == (
            lib.postcode,
            lib.area,
            lib.outcode,
            lib.sector,
        )


def test_postcode_directory_check() -> None:
    out = parse_postcodes(S("EC1R 1UB", "QQ1 1QQ"), strict=False, check_directory=True)
    assert out["in_directory"].tolist() == [True, False]


def test_postcode_from_text_takes_the_last_postcode() -> None:
    out = postcode_from_text(
        S(
            "Flat 23, 144 Park Avenue, Newcastle upon Tyne NE1 4ST",
            "12 High St, Durham, dh1 9by",
            "c/o NE1 4ST, now 3 Road, London SW1A2AA",
            "CONFIDENTIAL",
            None,
        )
    )
    assert out.tolist() == ["NE1 4ST", "DH1 9BY", "SW1A 2AA", None, None]


# --- forces -------------------------------------------------------------------------------------


def test_all_43_forces_with_unique_ons_codes() -> None:
    forces = all_forces()
    codes = [f.code for f in forces]
    assert len(forces) == 43 and len(set(codes)) == 43
    expected = {f"E23{n:06d}" for n in range(1, 40)} | {f"W15{n:06d}" for n in range(1, 5)}
    assert set(codes) == expected
    assert lookup_force("E23000001").name == "Metropolitan Police Service"
    assert lookup_force("W15000004").name == "Dyfed-Powys Police"
    btp = [f for f in all_forces(include_non_territorial=True) if not f.territorial]
    assert [f.name for f in btp] == ["British Transport Police"]


@pytest.mark.parametrize(
    ("alias", "code"),
    [
        ("Devon & Cornwall", "E23000035"),
        ("Devon and Cornwall", "E23000035"),
        ("devon-and-cornwall", "E23000035"),
        ("Metropolitan", "E23000001"),
        ("Met", "E23000001"),
        ("MPS", "E23000001"),
        ("Metropolitan Police Service", "E23000001"),
        ("Northumbria", "E23000007"),
        ("Northumbria Police", "E23000007"),
        ("NORTHUMBRIA POLICE", "E23000007"),
        ("Greater Manchester", "E23000005"),
        ("GMP", "E23000005"),
        ("Thames Valley", "E23000029"),
        ("TVP", "E23000029"),
        ("Dyfed Powys", "W15000004"),
        ("Dyfed-Powys Police", "W15000004"),
        ("Avon & Somerset", "E23000036"),
        ("Avon and Somerset", "E23000036"),
        ("Avon and Somerset Constabulary", "E23000036"),
        ("Durham Constabulary", "E23000008"),
        ("City of London Police", "E23000034"),
        ("London, City of", "E23000034"),
        ("Hampshire", "E23000030"),
        ("Heddlu De Cymru", "W15000003"),
        ("e23000007", "E23000007"),
    ],
)
def test_force_aliases(alias: str, code: str) -> None:
    assert force_codes(S(alias))["force_code"].iloc[0] == code
    assert lookup_force(alias).code == code


def test_every_listed_alias_resolves_to_its_force() -> None:
    for force in all_forces(include_non_territorial=True):
        names = [force.name, *force.aliases, force.code]
        out = force_codes(S(*names))
        assert (out["force_code"] == force.code).all(), (force.name, out)
        assert (out["force_name"] == force.name).all()


def test_unknown_force() -> None:
    out = force_codes(S("Gotham City Police", None, ""))
    assert out.isna().all().all()
    assert lookup_force("Gotham") is None and lookup_force("") is None


# --- identifiers --------------------------------------------------------------------------------


def test_pnc_check_letter_rule() -> None:
    # two-digit year then the serial padded to 7, as one integer, mod 23 into the alphabet
    assert pnc_check_letter(6, 8348013) == "ZABCDEFGHJKLMNPQRTUVWXY"[68348013 % 23]
    assert pnc_check_letter(2006, 8348013) == pnc_check_letter(6, 8348013)


def test_parse_pnc() -> None:
    ok = pnc_check_letter(6, 8348013)
    wrong = "A" if ok != "A" else "B"
    out = parse_pnc(
        S(
            f"2006/8348013{ok}",
            f"06/8348013{ok}",
            f" 06 / 8348013{ok.lower()} ",
            f"068348013{ok}",
            f"2006/8348013{wrong}",
            "85/123" + pnc_check_letter(85, 123),
            "rubbish",
            "2006/12345678Z",
            None,
            "",
        )
    )
    assert (
        out["pnc"].tolist()
        == ["2006/8348013" + ok] * 4 + [None, "1985/0000123" + pnc_check_letter(85, 123)] + [None] * 4
    )
    assert out["valid"].tolist()[:8] == [True, True, True, True, False, True, False, False]
    assert out["valid"].iloc[8:].isna().all()
    assert out["error"].iloc[4] == f"bad PNC ID check letter '2006/8348013{wrong}' (expected {ok})"
    assert out["error"].iloc[6] == "bad PNC ID format 'rubbish'"


def test_pnc_short_year_pivot() -> None:
    values = S("29/1" + pnc_check_letter(29, 1), "30/1" + pnc_check_letter(30, 1))
    assert parse_pnc(values)["pnc"].str[:4].tolist() == ["2029", "1930"]
    assert parse_pnc(values, pivot=20)["pnc"].str[:4].tolist() == ["1929", "1930"]


def test_pnc_many_generated_ids_validate() -> None:
    rng = random.Random(7)
    ids = []
    for _ in range(500):
        year, serial = rng.randint(1975, 2024), rng.randint(0, 9_999_999)
        ids.append(f"{year}/{serial:07d}{pnc_check_letter(year % 100, serial)}")
    assert parse_pnc(pd.Series(ids))["valid"].all()
    flipped = [i[:-1] + ("Z" if i[-1] != "Z" else "A") for i in ids]
    assert not parse_pnc(pd.Series(flipped))["valid"].any()


def test_parse_cro() -> None:
    c = cro_check_letter(95, 1234)
    wrong = "Z" if c != "Z" else "A"
    out = parse_cro(
        S(f"1234/95{c}", f"001234/95{c}", f"SF95/1234{c}", f"sf 95/001234{c}", f"1234/95{wrong}", "x", None)
    )
    assert out["cro"].tolist() == [f"001234/95{c}"] * 2 + [f"SF95/001234{c}"] * 2 + [None] * 3
    assert out["valid"].tolist()[:6] == [True, True, True, True, False, False]
    assert pd.isna(out["valid"].iloc[6])
    assert cro_check_letter(95, 1234) == "ZABCDEFGHJKLMNPQRTUVWXY"[95_001234 % 23]  # "95" + "001234"


# --- phones -------------------------------------------------------------------------------------


def test_parse_phones() -> None:
    out = parse_phones(
        S(
            "07252201223",
            "07911 123456",
            "+44 7911 123456",
            "0044 7911 123456",
            "+44 (0)7911 123456",
            "(0191) 123 4567",
            "07624 123456",
            "+1 202 555 0143",
            "12345",
            "07700 900123",
            None,
            "",
        )
    )
    assert out.tolist() == [
        "+447252201223",
        "+447911123456",
        "+447911123456",
        "+447911123456",
        "+447911123456",
        "+441911234567",
        "+447624123456",
        "+12025550143",
        None,
        None,
        None,
        None,
    ]


def test_phone_fast_path_agrees_with_phonenumbers() -> None:
    rng = random.Random(3)
    digits = "0123456789"
    prefixes = ["07", "01", "02", "03", "08", "09", "07624", "01481", "01534", "+44", "0044 ", "+44 7"]
    values = [
        rng.choice(prefixes) + "".join(rng.choice(digits) for _ in range(rng.randint(7, 10)))
        for _ in range(1500)
    ]

    def reference(v: str) -> str | None:
        try:
            number = phonenumbers.parse(v, "GB")
        except phonenumbers.NumberParseException:
            return None
        ok = phonenumbers.is_valid_number(number)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if ok else None

    assert parse_phones(pd.Series(values)).tolist() == [reference(v) for v in values]


# --- vocabularies -------------------------------------------------------------------------------


def test_roles() -> None:
    out = roles(S("SUSPECT", "Suspect", "suspect", "VICTIM", "Witness", "OTHER", "SUSP", "SUSPCT", None, ""))
    assert out["value"].tolist() == ["suspect"] * 3 + ["victim", "witness", "other", None, None, None, None]
    assert out["error"].tolist() == [None] * 6 + ["unknown role 'SUSP'", "unknown role 'SUSPCT'", None, None]


@pytest.mark.parametrize(
    "raw",
    [
        "Partner",
        "Ex-partner",
        "EX_PARTNER",
        "ex partner",
        "Spouse",
        "Ex-spouse",
        "Wife",
        "Husband",
        "Girlfriend",
        "Boyfriend",
        "Civil partner",
        "Fiancé",
        "Fiancée",
        "Fiancé(e)",
        "Ex-girlfriend",
        "Ex-boyfriend",
        "Husband (father of her child)",
    ],
)
def test_intimate_relationships(raw: str) -> None:
    assert relationships(S(raw))["value"].iloc[0] == "intimate"


@pytest.mark.parametrize(
    "raw",
    [
        "Father",
        "Mother",
        "Son",
        "Daughter",
        "Brother",
        "Sister",
        "Stepfather",
        "Step-father",
        "Grandparent",
        "Other family",
        "Sibling",
        "Parent",
        "Child",
        "Uncle",
        "Aunt",
        "Cousin",
        "Brother-in-law",
        "Ex-partner's son",
    ],
)
def test_family_relationships(raw: str) -> None:
    assert relationships(S(raw))["value"].iloc[0] == "family"


def test_other_and_blank_relationships() -> None:
    assert relationships(S("Neighbour", "Friend", "Stranger", None, " "))["value"].tolist() == [
        "other",
        "other",
        "other",
        None,
        None,
    ]


def test_sexes_risks_yes_no() -> None:
    assert sexes(S("M", "F", "U", "Male", "female", "Unknown", "X", None)).tolist() == [
        "M",
        "F",
        "U",
        "M",
        "F",
        "U",
        "U",
        None,
    ]
    assert risks(S("STANDARD", "Medium", "high", "", None, "extreme")).tolist() == [
        "standard",
        "medium",
        "high",
        None,
        None,
        None,
    ]
    flags = yes_no(S("Y", "N", "Yes", "No", "true", "FALSE", None, "", "maybe"))
    assert str(flags.dtype) == "boolean"
    assert flags.tolist() == [True, False, True, False, True, False, pd.NA, pd.NA, pd.NA]


# --- offences -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("8/1", "8/1"),
        ("008/01", "8/1"),
        (" 105 / 1 ", "105/1"),
        ("08/67", "8/67"),
        ("08805", "88/5"),
        ("125/09", "125/9"),
        ("8A", None),
        ("0/0", None),
        ("abc", None),
    ],
)
def test_normalise_ho_code(raw: str, code: str | None) -> None:
    assert normalise_ho_code(raw) == code


def test_classify_offences() -> None:
    codes = S(
        "8/1",
        "008/01",
        "105/1",
        "8/67",
        None,
        "19/3",
        "999/9",
        "ABC",
        "58/1",
        "8/99",
        "195/12",
        "125/9",
        "1/1",
        "2/1",
        "3/2",
        "88/5",
        "12/1",
    )
    descriptions = S(
        "Assault occasioning actual bodily harm",
        "ABH",
        "Common assault",
        "Controlling or coercive behaviour",
        "Domestic incident - verbal argument",
        "Rape of a female aged 16 or over",
        "Breach of non-molestation order",
        "Assault by beating",
        "Criminal damage to dwelling",
        "Harassment",
        "Stalking",
        None,
        "Murder",
        None,
        "Threats to kill",
        None,
        "Something else",
    )
    out = classify_offences(codes, descriptions)
    assert out["ho_code"].tolist() == [
        "8/1",
        "8/1",
        "105/1",
        "8/67",
        None,
        "19/3",
        "999/9",
        None,
        "58/1",
        "8/99",
        "195/12",
        "125/9",
        "1/1",
        "2/1",
        "3/2",
        "88/5",
        "12/1",
    ]
    assert out["offence_group"].tolist() == [
        "violence_with_injury",
        "violence_with_injury",
        "violence_without_injury",
        "stalking_harassment",
        "non_crime",
        "rape",
        "breach_of_order",
        "violence_without_injury",
        "criminal_damage",
        "stalking_harassment",
        "stalking_harassment",
        "public_order",
        "homicide",
        "violence_with_injury",
        "violence_without_injury",
        "other_sexual",
        "other",
    ]
    assert out["da_relevant_offence"].tolist() == [False] * 3 + [True, False, False, True] + [False] * 10
    assert out["error"].tolist() == [None] * 7 + ["unrecognised Home Office offence code 'ABC'"] + [None] * 9
    assert set(out["offence_group"]) <= set(GROUPS)


def test_classify_offences_without_codes_uses_descriptions() -> None:
    out = classify_offences(
        S(None, ""), S("Attempted murder", "Breach of restraining order"), blank_code_is_non_crime=False
    )
    assert out["offence_group"].tolist() == ["violence_with_injury", "breach_of_order"]


def test_offence_table_is_consistent() -> None:
    table = offence_table()
    assert table["ho_code"].is_unique
    assert set(table["offence_group"]) <= set(GROUPS)
    for code in table["ho_code"]:
        assert re.fullmatch(r"\d{1,3}/(\d{1,2}|\*)", code)


def test_default_harm_table() -> None:
    table = load_harm_table().set_index("offence_group")["harm_days"]
    assert set(table.index) == set(GROUPS)
    assert table["homicide"] == 5475 and table["rape"] == 2555 and table["violence_with_injury"] == 365
    assert table["public_order"] == 7.5 and table["other_sexual"] == 182 and table["non_crime"] == 0
    days = harm_days(S("8/1", None), S("violence_with_injury", "non_crime"))
    assert days.tolist() == [365.0, 0.0]


def test_force_harm_table_by_code_and_group(tmp_path) -> None:
    path = tmp_path / "harm.csv"
    path.write_text("ho_code,offence_group,harm_days\n008/67,,200\n,violence_with_injury,400\n")
    table = load_harm_table(path)
    assert table["ho_code"].tolist() == ["8/67", None]
    days = harm_days(
        S("8/67", "8/1", "105/1"),
        S("stalking_harassment", "violence_with_injury", "violence_without_injury"),
        table,
    )
    assert days.tolist() == [200.0, 400.0, 10.0]  # code, then group, then the default group value


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("offence_group,days\nrape,1\n", "needs a harm_days column"),
        ("offence_group,harm_days\nrape,-1\n", "non-negative"),
        ("offence_group,harm_days\nburglary,5\n", "unknown offence groups"),
        ("ho_code,harm_days\n8A,5\n", "not Home Office codes"),
        ("ho_code,harm_days\n8/1,5\n008/01,6\n", "duplicate keys"),
    ],
)
def test_bad_harm_tables_are_rejected(tmp_path, content: str, message: str) -> None:
    path = tmp_path / "harm.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_harm_table(path)
