"""A previous victim is never named in disclosure material by any partial form of her name, and the
subject who shares her surname stays nameable.

Property tests over variants the product did not shape: names from the tables below (not the
product's nickname package), each form an officer might write (title and surname, initial and
surname, nickname, forename alone, initials, maiden name, one half of a double-barrelled name,
"SURNAME, Forename", a possessive), in any case, with any apostrophe, at any place in a sentence.
What the test knows is what it wrote: whether the form is hers or his, never the product's verdict.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.policy.leakguard import LeakGuard
from api.policy.mentions import Mentions, Person

# Women's names with nicknames as people use them (Joanne is "Jo"): written here, not taken from
# the `nicknames` package the product uses
HERS = {
    "Joanne": ["Jo", "Joanie"],
    "Elizabeth": ["Liz", "Beth", "Lizzie"],
    "Margaret": ["Maggie", "Peggy"],
    "Katherine": ["Kate", "Kathy"],
    "Rebecca": ["Becky"],
    "Susan": ["Sue", "Suzie"],
    "Deborah": ["Debbie", "Deb"],
    "Patricia": ["Trish", "Patty"],
    "Nicola": ["Nicky"],
    "Samantha": ["Sam"],
    "Victoria": ["Vicky", "Tori"],
    "Siobhan": [],
    "Aoife": [],
    "Zofia": [],
    "Chloé": [],
}
# His forenames share neither an initial nor a nickname with hers
HIS = ["Gavin", "Craig", "Wayne", "Neil", "Barry", "Ross", "Dean", "Trevor", "Owen", "Glen", "Frank", "Harold"]
SURNAMES = [
    "Hall", "Lee", "Ng", "Oakcroft", "O'Brien", "O’Brien", "McDonald", "Hall-Smith", "Wójcik", "Núñez",
    "de Souza", "Van Dyke", "Fitzgerald", "Ashworth-Jones", "D'Arcy", "Kowalczyk", "Ó Súilleabháin",
]
MAIDEN = ["Pemberton", "Thistlewood", "Garside", "Blenkinsop", "Farrow", "Quigley"]
APOSTROPHES = ["'", "’", "ʼ", "`", "‘", ""]
# Police prose: neutral carriers for a name ({} is where it goes); no capitalised word in them is a name
CARRIERS = [
    "{}",
    "{} reported the assault on 3 March 2021.",
    "The order protects {} until further order.",
    "Officers attended after {} called at 23:10; no further action.",
    "disclosure to the applicant: {} was assaulted twice",
    "({}) — see occurrence NO/1234/21.",
    "Risk assessed as high; {}, previous partner, declined to support a prosecution.",
]
FEMALE_TITLES = ["Mrs", "Ms", "Ms.", "Miss", "MRS", "mrs", "Mrs."]


def _first(name: str) -> str:
    return name[0]


def _case(rng_case: int, text: str) -> str:
    return [text, text.upper(), text.lower(), text.title()][rng_case]


def _apostrophe(name: str, mark: str) -> str:
    return re.sub(r"['’]", mark, name)


def _guard(victim: Person, subject: str, applicant: str = "Amy Newpartner") -> LeakGuard:
    return LeakGuard(Mentions([victim], allowed_names=[subject, applicant]))


@st.composite
def couples(draw):
    """A previous victim who took the subject's surname (or kept her own, or joined them), her
    maiden name, and the subject."""
    fore = draw(st.sampled_from(sorted(HERS)))
    his_fore = draw(st.sampled_from(HIS))
    surname = draw(st.sampled_from(SURNAMES))
    maiden = draw(st.sampled_from(MAIDEN))
    shares = draw(st.booleans())  # she took his name
    her_surname = surname if shares else draw(st.sampled_from([s for s in SURNAMES if s != surname]))
    return fore, her_surname, maiden, his_fore, surname


@st.composite
def her_forms(draw):
    """(couple, a form of her name as written) where the form can only be read as her, or could be
    either of them: every one must be withheld."""
    fore, sur, maiden, his_fore, his_sur = draw(couples())
    mark = draw(st.sampled_from(APOSTROPHES))
    s = _apostrophe(sur, mark)
    nick = draw(st.sampled_from(HERS[fore] or [fore]))
    title = draw(st.sampled_from(FEMALE_TITLES))
    forms = [
        f"{title} {s}",
        f"{title} {_first(fore)} {s}",
        f"{title} {_first(fore)}. {s}",
        f"{_first(fore)}. {s}",
        f"{_first(fore)} {s}",
        f"{nick} {s}",
        f"{fore} {s}",
        f"{s.upper()}, {fore}",
        f"{s.upper()} {_first(fore)}",
        f"{title} {s}{mark}s",  # possessive
        f"{fore} {maiden}",
        f"{title} {maiden}",
        f"{maiden}",
        f"{fore}",  # her forename alone, with a capital
        f"{nick}",
        f"{_first(fore)}.{s.replace(' ', '')[0].upper()}.",  # initials
        f"Dr {s}",  # a title anyone may bear: could be either of them
    ]
    if "-" in sur:  # one half of a double-barrelled name
        forms += [f"{title} {part}" for part in s.split("-")]
    form = draw(st.sampled_from(forms))
    case = draw(st.integers(0, 3))
    if form == f"{s.upper()} {_first(fore)}":
        # an initial after the surname keeps its capital: "gave Hall a warning" is English
        form = f"{_case(case, s)} {_first(fore)}"
    elif form not in (fore, nick) and not form.startswith(title):
        form = _case(case, form)  # her forename alone is caught written with a capital
    return (fore, sur, maiden, his_fore, his_sur), form


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(her_forms(), st.sampled_from(CARRIERS))
def test_any_partial_form_of_her_name_is_withheld(found, carrier):
    (fore, sur, maiden, his_fore, his_sur), form = found
    victim = Person.of([sur, maiden], [fore], [f"{fore} {sur.upper()}"], ["F"])
    guard = _guard(victim, f"{his_fore} {his_sur}")
    text = carrier.format(form)
    assert guard.mentions(text), (text, fore, sur, his_sur)
    assert guard.scrub({"t": text})["t"].startswith("[withheld: ")


@settings(max_examples=400, deadline=None)
@given(couples(), st.sampled_from(CARRIERS), st.integers(0, 3), st.sampled_from(APOSTROPHES))
def test_the_subject_stays_nameable(couple, carrier, case, mark):
    """His full name, "Mr Hall", and the bare surname (the material is about him) are shown, even
    when she shares his surname, in any case and with any apostrophe."""
    fore, sur, maiden, his_fore, his_sur = couple
    victim = Person.of([sur, maiden], [fore], [f"{fore} {sur.upper()}"], ["F"])
    guard = _guard(victim, f"{his_fore} {his_sur}")
    s = _apostrophe(his_sur, mark)
    for form in (f"{his_fore} {s}", f"Mr {s}", f"Mr {his_fore} {s}", f"{s.upper()}, {his_fore}", s):
        text = carrier.format(_case(case, form))
        assert not guard.mentions(text), (text, fore, sur, his_sur)


@settings(max_examples=200, deadline=None)
@given(couples(), st.sampled_from(CARRIERS))
def test_a_man_title_is_withheld_when_she_may_be_a_man(couple, carrier):
    """Her sex unknown (or recorded as male): "Mr Hall" could be her, so it is withheld."""
    fore, _, maiden, his_fore, his_sur = couple
    for sexes in ([], ["M", "F"]):
        victim = Person.of([his_sur, maiden], [fore], [], sexes)
        assert _guard(victim, f"{his_fore} {his_sur}").mentions(carrier.format(f"Mr {his_sur}"))


@settings(max_examples=200, deadline=None)
@given(couples(), st.sampled_from(CARRIERS))
def test_her_forename_beside_a_surname_the_case_names_is_someone_else(couple, carrier):
    """The applicant shares her forename: "Joanne Newpartner" may be written, "Joanne" alone not."""
    fore, sur, maiden, his_fore, his_sur = couple
    victim = Person.of([sur, maiden], [fore], [], ["F"])
    guard = _guard(victim, f"{his_fore} {his_sur}", applicant=f"{fore} Newpartner")
    assert not guard.mentions(carrier.format(f"{fore} Newpartner"))
    assert not guard.mentions(carrier.format(f"NEWPARTNER, {fore}"))
    assert guard.mentions(carrier.format(f"{fore} said"))


def test_words_and_dates_are_not_her_forename():
    """A victim named May: a date says May, and lower-case words are words; capitalised alone is her."""
    victim = Person.of(["Hall"], ["May"], [], ["F"])
    guard = _guard(victim, "John Hall")
    assert not guard.mentions("Convicted on 12 May 2023; he may reoffend.")
    assert not guard.mentions("Order made May 2024 by Newcastle Family Court")
    assert guard.mentions("May said he hit her") and guard.mentions("Mrs Hall said he hit her")
    assert guard.mentions("may hall said he hit her")  # a text without capitals tells no case: withheld
