"""The typed vocabulary a Clare's Law disclosure is written in: categories, never source text.

Order conditions and outcomes arrive as free text, and free text names people and places ("must
not go to 12 Elm St, Gateshead or contact Suzanne Oakcroft"). A disclosure answer carries only
the categories below, found by keyword in that text; the text itself never leaves. Several
categories may apply to one order; a condition that fits none is ``other``: the officer reads the
order itself when the detail matters.
"""

from __future__ import annotations

import re

# (category, pattern) over the upper-cased text; every category that matches applies
CONDITION_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("no_contact", r"CONTACT|COMMUNICAT|TELEPHON|\bPHONE|\bTEXT|E-?MAIL|MESSAG|\bWRITE\b|LETTER"),
    ("no_violence_or_threats", r"VIOLEN|THREAT|MOLEST|HARASS|INTIMIDAT|PESTER|ABUSE|ASSAULT|HARM\b"),
    ("not_to_attend_address", r"ADDRESS|\bHOME\b|PREMISES|PROPERTY\b|DWELLING|RESIDENCE|\bHOUSE\b|\bFLAT\b"
                              r"|\bENTER\b|GO TO"),
    ("exclusion_zone", r"WITHIN \d+|METRES|\bMILES?\b|YARDS|EXCLUSION|\bZONE\b|\bAREA\b|VICINITY|STREET|ROAD|\bNEAR\b"),
    ("leave_or_not_return", r"\bLEAVE\b|VACATE|OCCUP|NOT RETURN|RETURN TO"),
    ("no_third_party", r"THIRD PART|INSTRUCT|ENCOURAGE|ANY OTHER PERSON|INDIRECT"),
    ("online", r"SOCIAL MEDIA|ONLINE|INTERNET|\bPOST\b"),
    ("follow_or_watch", r"FOLLOW|WATCH|LOITER|SURVEIL|TRACK"),
    ("notification_requirement", r"NOTIFY|NOTIFICATION|REPORT TO"),
    ("positive_requirement", r"PROGRAMME|PROGRAM\b|COURSE|TREATMENT|COUNSELL|MUST ATTEND|UNDERTAKE|ATTEND (?:A|AN)\b"),
    ("electronic_monitoring", r"ELECTRONIC|\bTAG"),
    ("children", r"CHILD|SCHOOL|NURSERY"),
    ("property_damage", r"DAMAGE"),
    ("weapons", r"WEAPON|FIREARM|KNIFE|KNIVES"),
    ("alcohol_or_drugs", r"ALCOHOL|DRUG|INTOXIC"),
)
CONDITIONS = tuple(c for c, _ in CONDITION_CATEGORIES) + ("other",)
_CONDITIONS = [(c, re.compile(p)) for c, p in CONDITION_CATEGORIES]

# (category, pattern): the first that matches is the outcome
OUTCOME_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("acquitted", r"ACQUIT|NOT GUILTY|DISMISS"),
    ("convicted", r"CONVICT|GUILTY|SENTENC|IMPRISON|CUSTOD|COMMUNITY ORDER|SUSPENDED"),
    ("charged", r"CHARGE|SUMMONS|POSTAL REQUISITION|REMAND"),
    ("cautioned", r"CAUTION|CONDITIONAL DISCHARGE"),
    ("community_resolution", r"COMMUNITY RESOLUTION|RESTORATIVE"),
    ("released_under_investigation", r"RELEASED UNDER INVESTIGATION|\bRUI\b"),
    ("bailed", r"\bBAIL"),
    ("no_further_action", r"NO FURTHER ACTION|\bNFA\b|EVIDENTIAL DIFFICULT|VICTIM DOES NOT SUPPORT|NOT IN PUBLIC"),
    ("under_investigation", r"INVESTIGAT|ONGOING|PENDING|OPEN"),
)
OUTCOMES = tuple(c for c, _ in OUTCOME_CATEGORIES) + ("other",)
_OUTCOMES = [(c, re.compile(p)) for c, p in OUTCOME_CATEGORIES]


def condition_categories(text: str | None) -> list[str]:
    """The categories of an order's conditions (sorted; ``[]`` when there is no text)."""
    if not text or not str(text).strip():
        return []
    upper = str(text).upper()
    found = sorted(c for c, pattern in _CONDITIONS if pattern.search(upper))
    return found or ["other"]


def outcome_category(text: str | None) -> str | None:
    """The category of an outcome as recorded (None when none is recorded)."""
    if not text or not str(text).strip():
        return None
    upper = str(text).upper()
    return next((c for c, pattern in _OUTCOMES if pattern.search(upper)), "other")
