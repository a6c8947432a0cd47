"""Address blocking at national scale: a street and number pair forms only where they can be one place.

'1 High Street' exists in thousands of towns: blocking every form of it with every other made 33
million pairs (and a 5.8 GB peak) at a million outside records, none of them one place. The
street-and-number rule now pairs a form that names no place with the rest; forms that both name
a place meet through the town (first word) or locality rules.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from linkage.entities.addresses import build_forms, candidates
from linkage.entities.engine import block_pairs

TOWNS = ["Sunderland", "Durham", "Morpeth", "Hexham", "Blyth", "Consett", "Washington", "Jarrow"]


def _pairs(texts: list[str], postcodes: list[str | None] | None = None) -> set[tuple[str, str]]:
    rows = pd.DataFrame({"address_raw": texts, "postcode": postcodes or [None] * len(texts)})
    forms, _ = build_forms(rows)
    li, ri, _ = candidates(forms)
    raw = forms["address_raw"].to_numpy(dtype=object)
    return {tuple(sorted((raw[a], raw[b]))) for a, b in zip(li, ri, strict=True)}


@settings(max_examples=25)
@given(
    towns=st.lists(st.sampled_from(TOWNS), min_size=2, max_size=6, unique=True),
    number=st.integers(1, 300),
    street=st.sampled_from(["High Street", "Acacia Avenue", "Station Road", "Church Lane"]),
)
def test_one_street_and_number_in_different_towns_is_never_a_pair(towns, number, street):
    texts = [f"{number} {street}, {town}" for town in towns]
    assert _pairs(texts) == set()


@settings(max_examples=25)
@given(
    towns=st.lists(st.sampled_from(TOWNS), min_size=1, max_size=5, unique=True),
    number=st.integers(1, 300),
)
def test_a_form_without_a_place_meets_every_form_of_its_street_and_number(towns, number):
    bare = f"{number} Acacia Avenue"
    texts = [f"{number} Acacia Avenue, {town}" for town in towns] + [bare]
    pairs = _pairs(texts, [None] * len(towns) + ["SR6 5JZ"])
    assert pairs == {tuple(sorted((t, bare))) for t in texts[:-1]}


def test_a_town_and_its_longer_name_meet():
    pairs = _pairs(["4 High Street, Newcastle", "4 High Street, Newcastle upon Tyne", "4 High Street, Morpeth"])
    assert pairs == {("4 High Street, Newcastle", "4 High Street, Newcastle upon Tyne")}


def test_side_pairs_need_a_side_row():
    frame = pd.DataFrame({"k": ["a", "a", "a", "b", "b"]})
    side = pd.Series([False, False, True, False, False]).to_numpy()
    li, ri, _ = block_pairs(frame, ["k"], 10, side)
    assert sorted(zip(li.tolist(), ri.tolist(), strict=True)) == [(0, 2), (1, 2)]
    li, ri, _ = block_pairs(frame, ["k"], 10)
    assert len(li) == 4
