"""Optional levels the FEBRL settings use and settings.yaml does not: a personal identifier typed
one keystroke off (FEBRL's soc_sec_id in the phone slot), with its `phone_deletions` blocking key,
and the same street and locality with another house number (FEBRL's postcodes cover a suburb)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from linkage.blocking import block
from linkage.compare import compare
from linkage.features import build_features
from linkage.records import build_records
from linkage.settings import DEFAULT_PATH, Settings, load_settings
from worlds.linkage import mention

PRODUCTION = load_settings()


@pytest.fixture(scope="module")
def identifier_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """settings.yaml with a one-keystroke level on the phone slot and a blocking rule on its typos,
    and a same-street level on the address."""
    raw = yaml.safe_load(DEFAULT_PATH.read_text())
    phone = next(c for c in raw["comparisons"] if c["name"] == "phone")
    phone["levels"].insert(1, {"name": "one_off", "kind": "partial", "m": 0.05, "u": 0.00001})
    postcode = next(c for c in raw["comparisons"] if c["name"] == "postcode")
    postcode["levels"].insert(4, {"name": "street", "kind": "partial", "m": 0.05, "u": 0.0001})
    raw["blocking"].append({"name": "identifier_typo", "keys": ["phone_deletions"], "max_block": 50})
    path = Path(tmp_path_factory.mktemp("settings")) / "settings.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_settings(path)


def phone_level(settings: Settings, left: str | None, right: str | None) -> str:
    rows = [mention("F/1", "Anna", "Hall", phone=left), mention("F/2", "Anna", "Hall", phone=right)]
    records = build_records(pd.DataFrame(rows))
    ft = build_features(records)
    pos = {k: i for i, k in enumerate(records["record_key"])}
    lv = compare(ft, settings, np.array([pos["F/1"]]), np.array([pos["F/2"]]))
    return settings.comparison("phone").levels[int(lv["phone"][0])].name


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("9100106", "9100106", "exact"),
        ("9100106", "9109106", "one_off"),  # one digit substituted
        ("4086030", "4086300", "one_off"),  # two adjacent digits swapped
        ("2519978", "251978", "one_off"),  # a digit dropped
        ("3116798", "3116897", "else"),  # two digits changed
        ("3465730", "4385775", "else"),
        ("12345", "12346", "else"),  # too short for a typo to say much
        ("9100106", None, "null"),
    ],
)
def test_identifier_one_keystroke_off(identifier_settings: Settings, left: str, right: str | None, level: str) -> None:
    assert phone_level(identifier_settings, left, right) == level


def test_production_phones_have_no_one_off_level() -> None:
    """A household's phones one digit apart (a family contract) are not one person's typo."""
    assert phone_level(PRODUCTION, "+447700900001", "+447700900002") == "else"


def test_identifier_typo_rule_compares_records_one_keystroke_apart(identifier_settings: Settings) -> None:
    rows = [
        mention("A/1", "Riley", "Grubb", dob="1904-03-27", phone="2728675", postcode="6330"),
        mention("B/1", "Rile", "Grubvb", dob="1904-03-29", phone="2728665", postcode="6338"),
        mention("B/2", "Vanessa", "Geogre", dob="1942-02-20", phone="2782667", postcode="4122"),
    ]
    records = build_records(pd.DataFrame(rows))
    cand = block(build_features(records), identifier_settings)
    keys = records["record_key"].to_numpy()
    rule = cand.rule_names.index("identifier_typo")
    pairs = {
        tuple(sorted((keys[a], keys[b]))): bool(int(bits) >> rule & 1)
        for a, b, bits in zip(cand.left, cand.right, cand.rules, strict=True)
    }
    assert pairs.get(("A/1", "B/1")) is True  # one digit apart: nothing else would have placed them
    assert ("A/1", "B/2") not in pairs and ("B/1", "B/2") not in pairs  # two or more apart
    assert not block(build_features(records), PRODUCTION).left.size  # production has no such rule


def address_level(settings: Settings, left: tuple[str, str], right: tuple[str, str]) -> str:
    rows = [
        mention("F/1", "Julia", "Clarke", address=left[0], postcode=left[1]),
        mention("F/2", "Julia", "Clarke", address=right[0], postcode=right[1]),
    ]
    records = build_records(pd.DataFrame(rows))
    ft = build_features(records)
    pos = {k: i for i, k in enumerate(records["record_key"])}
    lv = compare(ft, settings, np.array([pos["F/1"]]), np.array([pos["F/2"]]))
    return settings.comparison("postcode").levels[int(lv["postcode"][0])].name


MARCONI = "180 marconi crescent hamilton park whitfield wa"
TEMPERLEY = "10 temperley street tieve tara toowong qld"


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ((MARCONI, "2642"), ("84 marconi crescent hamilton park whitfield wa", "2642"), "street"),
        # a typo'd postcode and a space lost in the street: still the street
        ((TEMPERLEY, "3175"), ("20 temperley s treet tieve tara toowong qld", "3715"), "street"),
        ((MARCONI, "2642"), (MARCONI, "2642"), "same_address"),
        # only the suburb in common is not the street
        (("95 grylls crescent barrack heights nsw", "4221"), ("95 barrack heights nsw", "4221"), "full"),
        (("12 high street", "2642"), ("14 high street", "2642"), "neighbour"),  # no locality: too little to say
        ((MARCONI, "2642"), ("84 tunney crescent toorak vic", "5031"), "moved"),
    ],
)
def test_same_street_another_number(
    identifier_settings: Settings, left: tuple[str, str], right: tuple[str, str], level: str
) -> None:
    assert address_level(identifier_settings, left, right) == level


def test_production_has_no_street_level() -> None:
    """In the UK a postcode unit is one street's homes: another number there is a neighbour."""
    right = ("84 marconi crescent hamilton park whitfield wa", "2642")
    assert address_level(PRODUCTION, (MARCONI, "2642"), right) == "neighbour"
