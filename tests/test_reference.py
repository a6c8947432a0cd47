"""The reference package: every spelling an extract or a user may write resolves to one force, and
the one force-name helper names what the graph and the API show."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from loaders.standardise import force_codes
from reference.forces import all_forces, force_name, lookup_force

FORCES = all_forces(include_non_territorial=True)


@st.composite
def spelling(draw: st.DrawFn) -> tuple[str, str]:
    """(a force's code, one of its names as someone might type it)."""
    force = draw(st.sampled_from(FORCES))
    text = draw(st.sampled_from([force.name, *force.aliases]))
    if draw(st.booleans()):
        text = text.replace(" and ", " & ") if " and " in text else text.replace(" & ", " and ")
    if draw(st.booleans()):
        text = text.replace(" ", "-")
    if draw(st.booleans()) and not text.upper().endswith(("POLICE", "CONSTABULARY", "SERVICE")):
        text += draw(st.sampled_from([" Police", " Constabulary", " police force"]))
    text = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in text)
    pad = draw(st.sampled_from(["", " ", "  ", "\t"]))
    return force.code, f"{pad}{text}{pad}"


@given(spelling())
def test_any_spelling_of_a_force_resolves_to_it(case: tuple[str, str]) -> None:
    code, text = case
    found = lookup_force(text)
    assert found is not None and found.code == code, text
    assert force_codes(pd.Series([text]))["force_code"].iloc[0] == code
    assert force_name(text) == found.name


def test_force_name_of_codes_courts_and_unknown_forces() -> None:
    for force in FORCES:
        assert force_name(force.code) == force.name
        assert force_name(force.code.lower()) == force.name
    assert force_name(None) is None and force_name("") is None  # a court's record has no force
    assert force_name("Narnia Constabulary") == "Narnia Constabulary"
    assert lookup_force("Narnia") is None and lookup_force(None) is None and lookup_force("   ") is None
