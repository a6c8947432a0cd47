"""The wall hides a walled incident or order by its source reference as well as by its id.

An answer may name a walled incident by its occurrence reference or record key, or a walled order
by its case number, rather than by its event or order id; or quote one inside other text: a court
record of a walled order is keyed ``FC2024090/protected``, which tells anyone its case number.
:meth:`api.policy.wall.Hidden.names` finds a reference however it is punctuated or cased, as whole
runs of letters and digits only, so a neighbouring reference is never hidden for it; :func:`scrub`
(the API's JSON, a list's rows) and the network charts all judge by it: one mechanism.
"""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from api.policy import wall
from api.policy.wall import Hidden, references

FORCE = "E23000007"
REFS = references(["Northumbria/NO/0000090/24", "FC2024090"])
HIDDEN = Hidden(events=frozenset({"E1"}), orders=frozenset({"O1"}), refs=REFS,
                holders={i: frozenset({FORCE}) for i in {"E1", "O1", *REFS}})


def test_a_record_key_gives_its_reference_as_written_without_the_force():
    assert REFS == {"Northumbria/NO/0000090/24", "NO/0000090/24", "FC2024090"}


def _spelt(ref: str, upper: list[bool], seps: list[str]) -> str:
    """``ref`` with each character's case chosen and its punctuation replaced by other separators."""
    chars = [c for c in ref if c.isalnum()]
    return "".join((c.upper() if u else c.lower()) + s for c, u, s in zip(chars, upper, seps, strict=False))


SEPARATORS = st.sampled_from(["", "", "", "/", " ", "-", "."])
WORDS = st.text(alphabet=string.ascii_letters + " ", max_size=12)


@given(ref=st.sampled_from(["NO/0000090/24", "FC2024090"]), upper=st.lists(st.booleans(), min_size=16, max_size=16),
       seps=st.lists(SEPARATORS, min_size=16, max_size=16), before=WORDS, after=WORDS,
       joint=st.sampled_from([" ", "/", ": ", "(", ";"]))
def test_a_walled_reference_is_found_in_any_spelling_inside_any_text(ref, upper, seps, before, after, joint):
    seps[len([c for c in ref if c.isalnum()]) - 1] = ""  # nothing glued after its last character
    text = f"{before}{joint}{_spelt(ref, upper, seps)}{joint}{after}"
    assert ref in HIDDEN.names(text), text


@given(other=st.sampled_from(["FC20240901", "FC2024091", "XFC2024090", "NO/0000090/245", "NO/00000090/24",
                              "DU/0000090/24", "NO/0000091/24", "FC 2024 09"]),
       before=WORDS, joint=st.sampled_from([" ", "/", ": ", ";"]))
def test_a_neighbouring_reference_is_not_hidden_for_it(other, before, joint):
    assert HIDDEN.names(f"{before}{joint}{other}") == set()


def test_an_answer_naming_a_walled_incident_or_order_by_reference_is_a_stub():
    answer = {"items": [
        {"incident": "NO/0000090/24", "offence": "ABH"},  # by its occurrence reference, no event id
        {"event_record_key": "Northumbria/NO/0000090/24", "order_record_key": "FC2024090"},
        {"record_key": "FC2024090/protected", "name": "Leanne MARSH"},  # a court record of the order
        {"incident": "NO/0000092/24", "offence": "Common assault"},
    ]}
    body, count = wall.scrub(answer, HIDDEN)
    assert count == 3, body
    assert all(i == wall.stub(HIDDEN, ["FC2024090"]) for i in body["items"][:3])
    assert body["items"][3] == {"incident": "NO/0000092/24", "offence": "Common assault"}
    # a bare reference in a list reads "[restricted]"; an object holding such a list is judged by it
    assert wall.scrub(["Northumbria/NOR91", "fc 2024 090"], HIDDEN) == (["Northumbria/NOR91", wall.RESTRICTED], 1)
    assert wall.scrub({"keys": ["FC2024090/protected"]}, HIDDEN)[0]["restricted"]


def test_a_list_row_naming_a_walled_reference_is_a_stub_and_the_rest_stay():
    rows, count = wall.scrub_rows(["record_key", "group"], [("FC2024090/protected", "B"), ("FC2023001", "B"),
                                                           ("Northumbria/NO/0000092/24", "C")], HIDDEN)
    assert count == 1 and rows[0][0].startswith("restricted: held by") and rows[1:] == [
        ("FC2023001", "B"), ("Northumbria/NO/0000092/24", "C")]


def test_professional_standards_see_the_references_they_hold():
    mine = HIDDEN.without(HIDDEN.ids)
    assert not mine and mine.names("FC2024090/protected") == set()


def test_a_short_reference_is_hidden_only_as_itself():
    short = Hidden(events=frozenset({"E9"}), refs=references(["Durham/123"]), holders={"E9": frozenset({FORCE})})
    assert short.names("123") == {"123"} and short.names("Durham/123") == {"Durham/123"}
    assert short.names("flat 123, 1234 Long Road") == set()
