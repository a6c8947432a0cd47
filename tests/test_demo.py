"""``make demo`` shows what it says: each section's lines come from running the product, so a
section that stops working (a refusal no longer refused, an erasure that leaves a file behind, a
wall that opens) fails here rather than printing a walkthrough that is no longer true."""

from __future__ import annotations

import re

import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> str:
    import contextlib
    import io

    from worlds.demo import main

    mp = pytest.MonkeyPatch()
    mp.setenv("DOTS_DEMO", "1")
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            rc = main(["--dir", str(tmp_path_factory.mktemp("demo") / "d")])  # what make demo runs
    finally:
        mp.undo()
    text = out.getvalue()
    assert rc == 0, text[-3000:]
    assert "Traceback" not in text
    return text


def section(text: str, number: int) -> str:
    """The lines of section ``number`` (up to the next ``== N.`` heading)."""
    match = re.search(rf"^== {number}\. .*?(?=^== {number + 1}\. |\Z)", text, re.M | re.S)
    assert match, f"no section {number}"
    return match.group(0)


def test_the_disclosure_search_explains_each_spelling_field_by_field(demo):
    part = section(demo, 8)
    asked = re.findall(r"\$ dots disclose search --name '(.+?)' --dob \S+   \(rc 0\)\n\s+(P\w+) (.*)", part)
    assert len(asked) == 4, part
    levels = []
    for _name, _person, explained in asked:
        fields = dict(re.findall(r"(forename|surname|dob) (\w+) [+-]\d", explained))
        assert set(fields) == {"forename", "surname", "dob"}, explained
        assert fields["surname"] == "exact" and fields["dob"] == "exact", explained
        levels.append(fields["forename"])
    # a slip of the pen, a short form, a nickname, another common name one letter away
    assert levels == ["fuzzy", "short_form", "nickname", "variant"], (levels, part)


def test_the_immigration_firewall_refuses_each_ask_in_one_line_and_the_auditor_sees_it(demo):
    part = section(demo, 9)
    refusals = re.findall(r"^    rc ([12]): (.*)$", part, re.M)
    assert len(refusals) == 3 and all("immigration" in line for _, line in refusals), part
    audit = section(demo, 10)
    refused = audit.split("Auditor: the refusals")[1]
    assert '"total": 4' in refused and refused.count("immigration") >= 4, refused  # the mapping's too
    assert "403" in audit.split("Immigration enforcement as the purpose")[1].split("\n--")[0]


def test_professional_standards_work_their_desks_and_others_meet_a_stub(demo):
    part = section(demo, 10)
    job = part.split("Admin: the job, finished")[1].split("\n--")[0]
    assert '"status": "succeeded"' in job, job
    desk = part.split("Professional standards: the workforce's matches")[1].split("\n--")[0]
    assert "→ 200" in desk and "/workforce/4721" in desk, desk
    entity = part.split("Professional standards: walled incidents")[1].split("\n--")[0]
    assert "→ 200" in entity, entity
    full = part.split("Professional standards: the officer's profile")[1].split("\n--")[0]
    stub = part.split("Analyst: the walled officer's profile is a stub")[1].split("\n--")[0]
    assert '"golden"' in full and '"timeline"' in full, full
    assert '"restricted": true' in stub and "professional standards" in stub and '"golden"' not in stub, stub
    steward = part.split("Data steward: pairs to review")[1].split("\n--")[0]
    assert '"stubs": [{"restricted": true' in steward.replace("\n   ", " ") and "workforce" not in steward, steward


def test_erasure_reaches_every_file_and_the_graph_file_holds_no_text(demo):
    part = section(demo, 12)
    assert "(rc 0)" in part and "1 row(s) cut from the uploaded file" in part, part
    before, after = map(int, re.search(r"date of birth: (\d+) before .*?, (\d+) after", part).groups())
    assert before > 0 and after == 0, part
    assert "state/uploads/" in part
    assert "erasing it again: rc 1" in part
    graph = section(demo, 13)
    assert "0 run(s) of six or more printable characters" in graph, graph
