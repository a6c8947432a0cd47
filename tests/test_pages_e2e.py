"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright, against the app
served by uvicorn over the pages' small world (the API sample plus look-alike pairs for review).

Login and logout; three pairs reviewed with the keyboard (undo included) and the decisions
changing the next resolution; a network picture expanded by a mouse click; the weekly list as
printed; a role that may not see the review desk's data. Plus the shells themselves: no personal
data in the HTML, a strict content security policy, nothing of them in the OpenAPI document.
"""

from __future__ import annotations

import os
import re

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")

from api.app import create_app  # noqa: E402
from worlds.api import AS_OF, person_of  # noqa: E402
from worlds.browser import checked_page, chromium, serving, sign_in  # noqa: E402
from worlds.pages import build  # noqa: E402
from worlds.screenshots import click_node  # noqa: E402
from worlds.testing import PASSWORD, add_accounts, settings  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("pages_world")
    build(data_dir)
    s = settings(data_dir)
    add_accounts(data_dir)
    app = create_app(data_dir, settings=s)
    with serving(app) as base:
        yield base, data_dir, app


@pytest.fixture(scope="module")
def browser(world):
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    with checked_page(browser) as p:  # asserts no script on the page threw
        yield p


def _audit(app, **params) -> list[dict]:
    """The s.62 records the pages' requests left, as an auditor reads them."""
    from fastapi.testclient import TestClient

    client = TestClient(app)
    token = client.post("/auth/token", data={"username": "auditor", "password": PASSWORD}).json()["access_token"]
    r = client.get(
        "/audit/records",
        headers={"Authorization": f"Bearer {token}"},
        params={"purpose": "audit", "reference": "AUD-1", "limit": 500, **params},
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]


def _people(data_dir, keys):
    return [person_of(data_dir, k) for k in keys]


# -- login -----------------------------------------------------------------------------------------


def test_login_wrong_password_then_right_then_logout(world, page):
    base, _, _ = world
    page.goto(f"{base}/pages/review")
    page.wait_for_url(re.compile(r"/pages/login\?next="))  # no token: sent to the login page
    page.fill("#username", "steward_national")
    page.fill("#password", "not the password")
    page.click("#sign-in")
    page.wait_for_selector("#message.error")
    assert "wrong name or password" in page.inner_text("#message")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(re.compile(r"/pages/review$"))  # back where the person was going
    page.wait_for_selector("#why-dialog[open]")
    page.fill("#why-reference", "DQ-1")
    page.click("#why-ok")
    page.wait_for_selector("body[data-ready='1']")
    assert "steward_national" in page.inner_text("#user")
    assert page.evaluate("sessionStorage.getItem('dots.reference')") == "DQ-1"
    page.click("#logout")
    page.wait_for_url(re.compile(r"/pages/login$"))
    assert page.evaluate("sessionStorage.getItem('dots.token')") is None
    page.goto(f"{base}/pages/targets")
    page.wait_for_url(re.compile(r"/pages/login\?next="))


# -- review desk -----------------------------------------------------------------------------------


def _at(page, position: int, decided: int) -> None:
    page.wait_for_function(
        "t => document.getElementById('progress-text').textContent.startsWith(t)",
        arg=f"pair {position} of ",
    )
    page.wait_for_function(
        "t => document.getElementById('progress-text').textContent.includes(t)", arg=f"· {decided} decided"
    )
    page.wait_for_selector("#waterfall .wf-row")


def test_review_three_pairs_by_keyboard_and_the_next_resolution_follows(world, page):
    import pipeline
    from linkage.store import LinkageStore

    base, data_dir, _ = world
    sign_in(page, base, "steward_national", PASSWORD, "data_quality", "DQ-2024-7", "/pages/review")
    text = page.inner_text("#progress-text")
    total = int(re.search(r"of (\d+)", text).group(1))
    assert total >= 4, text  # the look-alikes are in the queue
    pairs = []

    def current() -> tuple[str, str]:
        return page.get_attribute("#pair", "data-left"), page.get_attribute("#pair", "data-right")

    _at(page, 1, 0)
    # the evidence: one waterfall row per compared field between the prior and the total
    fields = page.eval_on_selector_all("#waterfall .wf-row", "rows => rows.map(r => r.dataset.field)")
    assert fields[0].startswith("prior") and fields[-1] == "match weight" and "surname" in fields
    assert page.inner_text("#match-key").startswith(("+", "-"))
    for pair in range(3):
        pairs.append(current())
        assert pairs[-1][0] != pairs[-1][1] and pairs[-1] not in pairs[:-1]
        before = _people(data_dir, pairs[-1])
        assert before[0] != before[1]  # not linked before the decision
        if pair == 0:  # a note, then Enter goes back to the keys
            page.click("#note")
            page.keyboard.type("same nickname; DOB only on one side")
            page.keyboard.press("Enter")
        page.keyboard.press({0: "s", 1: "n", 2: "s"}[pair])
        _at(page, pair + 2, pair + 1)
    page.keyboard.press("z")  # undo the third: the pair comes back, superseded by "unsure"
    _at(page, 3, 2)
    assert current() == pairs[2]
    page.keyboard.press("k")  # skip it for now
    _at(page, 4, 2)

    log = LinkageStore(data_dir).person_decisions()
    latest = {(r.record_key_l, r.record_key_r): (r.decision, r.note) for r in log.itertuples()}
    decisions = [latest[tuple(sorted(p))] for p in pairs]
    assert [d for d, _ in decisions] == ["same", "not_same", "unsure"]
    assert decisions[0][1] == "same nickname; DOB only on one side" and decisions[2][1] == "undo of same"

    decided = [
        r for r in _audit(world[2], user="steward_national", operation="combination") if r["reference"] == "DQ-2024-7"
    ]
    assert len(decided) == 4 and {r["route"] for r in decided} == {"/steward/decisions"}  # 3 keys and the undo
    assert {r["purpose"] for r in decided} == {"data_quality"} and all(r["outcome"] == "ok" for r in decided)

    pipeline.resolve(data_dir)  # the next resolution honours the decisions
    same, different, undone = (_people(data_dir, p) for p in pairs)
    assert same[0] == same[1]
    assert different[0] != different[1] and undone[0] != undone[1]

    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    text = page.inner_text("#progress-text")
    assert f"of {total - 2} " in text, text  # the decided pairs left the queue; the undone one stays


def test_a_da_team_account_cannot_see_the_review_desk(world, page):
    base, _, _ = world
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/steward/" in r.url else None)
    sign_in(page, base, "da_team", PASSWORD, "tasking", "MATAC-1", "/pages/review")
    assert statuses == [403]  # the API refused; the page shows why and nothing else
    assert "Not allowed" in page.inner_text("#message")
    assert page.locator("#pair").is_hidden()
    assert "Durham/" not in page.content() and "Northumbria/" not in page.content()
    refused = [r for r in _audit(world[2], user="da_team", outcome="refused") if r["route"] == "/steward/queue"]
    assert len(refused) == 1 and refused[0]["status"] == 403 and refused[0]["role"] == "da_team"  # logged too


# -- person page -----------------------------------------------------------------------------------


def test_person_page_and_network_expand_one_hop_on_click(world, page):
    base, data_dir, _ = world
    hall, black = person_of(data_dir, "Northumbria/NOR1"), person_of(data_dir, "Northumbria/NOR3")
    sign_in(page, base, "analyst", PASSWORD, "intelligence", "NO/0000003/24", f"/pages/person/{hall}?as_of={AS_OF}")
    assert page.inner_text("#name") == "David John HALL"
    assert page.locator("#orders tr.active").count() == 1  # the non-molestation order, active on the day
    assert "2025-09-30" in page.inner_text("#orders")
    roles = page.eval_on_selector_all("#timeline .role", "r => r.map(x => x.textContent)")
    assert roles and set(roles) == {"suspect"}
    # Durham's victim is outside a Northumbria analyst's forces: only the holding force is drawn
    labels = page.evaluate("window.dotsCy.nodes().map(n => n.data('label'))")
    assert any(label == "held by Durham Constabulary" for label in labels)
    assert "GREY" not in page.content() and not any("GREY" in (label or "") for label in labels)
    before = int(page.get_attribute("#network", "data-nodes"))
    assert page.evaluate("id => window.dotsCy.getElementById(id).hasClass('expanded')", black) is False
    after = click_node(page, black)
    assert after > before
    assert page.evaluate("id => window.dotsCy.getElementById(id).hasClass('expanded')", black) is True
    assert "Karen BLACK" in page.inner_text("#detail")


# -- weekly list -----------------------------------------------------------------------------------


def test_weekly_list_with_parts_and_movement_prints_cleanly(world, page):
    base, _, _ = world
    sign_in(page, base, "da_team", PASSWORD, "tasking", "MATAC-2024-26", f"/pages/targets?as_of={AS_OF}")
    rows = page.locator("#rows tr")
    n = rows.count()
    assert n >= 5 and f"{n} people scored" in page.inner_text("#summary")
    assert rows.first.locator(".parts .part").count() == 4
    new = page.eval_on_selector_all("#rows tr.mv-new td:nth-child(3)", "r => r.map(x => x.textContent)")
    assert sorted(new) == ["Jonathan BROWN", "Philip JONES"]  # first recorded in the week before the list
    assert page.locator("#controls").is_visible() and page.locator("#printed").is_hidden()
    page.emulate_media(media="print")
    assert page.locator("#controls").is_hidden() and page.locator("header.top").is_hidden()
    assert page.locator("#printed").is_visible() and "Printed by da_team" in page.inner_text("#printed")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf.startswith(b"%PDF")
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box and float(box.group(1)) > float(box.group(2))  # A4 landscape, from the print stylesheet


# -- the shells ------------------------------------------------------------------------------------


def test_page_shells_hold_no_personal_data_and_stay_out_of_the_api_document(world):
    from fastapi.testclient import TestClient

    _, data_dir, app = world
    hall = person_of(data_dir, "Northumbria/NOR1")
    client = TestClient(app)
    for path in ("/pages/login", "/pages/review", f"/pages/person/{hall}", "/pages/targets"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"] == "no-store"
        assert "HALL" not in r.text and "<script>" not in r.text
    assert client.get("/pages/lib/cytoscape.min.js").status_code == 200
    assert client.get("/pages/lib/other.js").status_code == 404
    assert not [p for p in client.get("/openapi.json").json()["paths"] if p.startswith("/pages")]


def test_pair_shows_the_other_records_of_each_person_scoped(world):
    """The review desk's "already in each person": shown in scope, only the holding force outside."""
    from fastapi.testclient import TestClient

    _, _, app = world
    client = TestClient(app)

    def pair(who: str, left: str, right: str) -> dict:
        token = client.post("/auth/token", data={"username": who, "password": PASSWORD}).json()["access_token"]
        r = client.get(
            "/steward/pair",
            headers={"Authorization": f"Bearer {token}"},
            params={"purpose": "data_quality", "reference": "DQ-9", "left": left, "right": right},
        )
        assert r.status_code == 200, r.text
        return r.json()

    national = pair("steward_national", "Durham/DUR1", "Northumbria/NOR1")
    assert [r["record_key"] for r in national["entity_l"]] == ["FC2023001/respondent"]
    assert national["entity_r"] == national["entity_l"]
    scoped = pair("steward", "Northumbria/NOR1", "FC2023001/respondent")
    assert scoped["entity_l"] == [{"restricted": True, "held_by": "Durham Constabulary"}]
    assert "DUR1" not in str(scoped["entity_l"])


def test_a_disclosure_case_from_opening_to_decision_by_keyboard(world, page):
    """Open a right-to-ask case, find the named partner, choose him, read what may be disclosed, record
    a check, see a decision naming a previous victim refused without being repeated, record the
    decision and close the case: the whole of Clare's Law in the browser."""
    from worlds.api import VICTIM_STRINGS

    base, data_dir, app = world
    hall = person_of(data_dir, "Northumbria/NOR1")
    sign_in(page, base, "disclosure", PASSWORD, "dvds", "DVDS-7", "/pages/disclosure")
    page.click("#c-risk")
    page.keyboard.type("Ann Applicant")
    page.fill("#c-subject", "Dave Hall")
    page.fill("#c-subject-age", "40")
    page.fill("#c-subject-place", "Newcastle")
    page.fill("#c-reference", "DVDS-7")
    page.focus("#c-subject-place")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_url(re.compile(r"/pages/disclosure/\d+$"))
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#clocks .clock-card").count() == 3
    assert page.evaluate("document.activeElement.id") == "s-name"  # straight to the search
    page.keyboard.press("Enter")  # search as the applicant named him
    page.wait_for_selector("#candidates tr[data-person]")
    first = page.locator("#candidates tr").first
    assert first.get_attribute("data-person") == hall and "surname" in first.inner_text()
    first.locator("button.choose").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#history-box:not([hidden]) #history tr")
    assert "HALL" in page.inner_text("#subject-name")
    assert page.locator("#history tr").count() >= 2 and page.locator("#orders tr").count() == 1
    assert "no contact" in page.inner_text("#orders")  # conditions as categories, never their words
    assert "DOTS" in page.inner_text("#checks")  # the search was recorded as a check
    leaked = [s for s in VICTIM_STRINGS if re.search(rf"(?<![A-Za-z0-9]){re.escape(s)}(?![A-Za-z0-9])", page.content())]
    assert not leaked
    page.select_option("#k-system", "PNC")
    page.fill("#k-searched", "David HALL b. 1984")
    page.select_option("#k-result", "trace")
    page.click("#k-add")
    page.wait_for_function("() => document.getElementById('checks').textContent.includes('PNC')")
    # a decision naming a previous victim is refused, and the refusal does not repeat it
    page.check("#decide [value=disclose]")
    page.fill("#d-rationale", "Pressing need: violence against previous partners")
    page.fill("#d-info", "He assaulted K. Black in 2023")
    page.fill("#d-to", "Ann Applicant, in person")
    page.click("#d-record")
    page.wait_for_selector("#message.error")
    assert "Refused" in page.inner_text("#message") and "Black" not in page.inner_text("#message")
    assert page.locator(".decision-made").count() == 0
    page.fill("#d-info", "He has convictions for violence against previous partners (2019, 2024).")
    page.click("#d-record")
    page.wait_for_selector(".decision-made")
    assert "disclose" in page.inner_text("#decisions")
    page.click("#close-case")
    page.wait_for_selector("body[data-status='closed']")
    assert page.locator("#d-record").is_disabled()


def test_the_overdue_list_names_the_late_clock(world, page):
    from fastapi.testclient import TestClient
    from sqlalchemy import update

    from api.store.db import Case

    base, _, app = world
    client = TestClient(app)
    token = client.post("/auth/token", data={"username": "disclosure", "password": PASSWORD}).json()["access_token"]
    made = client.post(
        "/disclosure/cases",
        headers={"Authorization": f"Bearer {token}"},
        params={"purpose": "dvds", "reference": "DVDS-8"},
        json={"route": "know", "person_at_risk": {"name": "Bea At-Risk"}, "subject": {"name": "Mark Stone"},
              "relationship": "current_partner", "force": "Northumbria"},
    ).json()
    import datetime as dt

    with app.state.dots.sessions.begin() as session:  # opened three days ago, no contact since
        session.execute(update(Case).where(Case.id == made["id"]).values(
            opened_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3)))
    sign_in(page, base, "disclosure", PASSWORD, "dvds", "DVDS-8", "/pages/disclosure")
    row = page.locator(f"#overdue tr[data-case='{made['id']}']")
    assert row.count() == 1 and "initial contact 24h: overdue" in row.inner_text()
