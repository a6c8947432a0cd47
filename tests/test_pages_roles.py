"""Every user group's pages in a real browser (Debian's Chromium under Playwright), one server and
one browser for the module: navigation by role, force names, an analyst from a name to a person
and the lists, the orders register, a DA team from the list to a person, a steward through the
entity matches, an admin's uploads, jobs and users (with the API's refusals shown), an auditor
filtering and verifying the log, and every role refused where its role may not go.
"""

from __future__ import annotations

import os
import re

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")

from api.app import create_app  # noqa: E402
from worlds.api import AS_OF, VICTIM_STRINGS, person_of  # noqa: E402
from worlds.browser import checked_page, chromium, serving, sign_in  # noqa: E402
from worlds.pages import build  # noqa: E402
from worlds.testing import PASSWORD, add_accounts, settings  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# role account -> (purpose, the navigation it must see, its landing page)
NAV = {
    "analyst": (
        "intelligence", ["People", "Serial perpetrators", "Cross-force victims", "Orders register"], "/pages/person"
    ),
    "da_team": ("tasking", ["Target list", "Safeguarding"], "/pages/targets"),
    "disclosure": ("dvds", ["Cases"], "/pages/disclosure"),
    "steward_national": ("data_quality", ["Review desk", "Entity matches"], "/pages/review"),
    "admin": ("administration", ["Uploads and jobs", "Users"], "/pages/admin"),
    "auditor": ("audit", ["Audit log"], "/pages/audit"),
    "psd": ("investigation", ["People", "Serial perpetrators", "Cross-force victims", "Orders register",
                              "Review desk", "Entity matches"], "/pages/person"),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("pages_roles")
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


def visible_nav(page) -> list[str]:
    return page.eval_on_selector_all("#nav a:not([hidden])", "links => links.map(a => a.textContent.trim())")


def forbidden_text(text: str) -> list[str]:
    return [s for s in VICTIM_STRINGS if re.search(rf"(?<![A-Za-z0-9]){re.escape(s)}(?![A-Za-z0-9])", text)]


# -- navigation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("account", list(NAV))
def test_each_role_lands_on_its_page_and_sees_only_its_links(world, page, account):
    base, _, _ = world
    purpose, links, landing = NAV[account]
    page.goto(f"{base}/pages/login")
    page.fill("#username", account)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(re.compile(re.escape(landing) + r"$"))
    page.wait_for_selector("#why-dialog[open]")
    page.select_option("#why-purpose", purpose)
    page.fill("#why-reference", "REF-1")
    page.click("#why-ok")
    page.wait_for_selector("body[data-ready='1']")
    assert visible_nav(page) == links
    assert page.locator("#nav a[aria-current='page']").inner_text() == links[0]
    assert not re.search(r"\bE2[34]0000\d\d\b", page.inner_text("main"))  # force codes never shown as text


@pytest.mark.parametrize(
    ("account", "purpose", "path"),
    [
        ("analyst", "intelligence", "/pages/audit"),
        ("analyst", "intelligence", "/pages/users"),
        ("da_team", "tasking", "/pages/serial"),
        ("steward", "data_quality", "/pages/entities"),  # a force steward: entity matches need a national one
        ("auditor", "audit", "/pages/admin"),
        ("admin", "administration", "/pages/serial"),
    ],
)
def test_a_role_is_refused_where_its_role_may_not_go(world, page, account, purpose, path):
    base, _, _ = world
    statuses: list[int] = []
    api_calls = lambda r: "/pages/" not in r.url and "/auth/" not in r.url  # noqa: E731
    page.on("response", lambda r: statuses.append(r.status) if api_calls(r) else None)
    sign_in(page, base, account, PASSWORD, purpose, "REF-2", path)
    assert 403 in statuses and all(s in (403, 400) for s in statuses)
    assert "Not allowed" in page.inner_text("#message")
    assert not forbidden_text(page.inner_text("main"))


@pytest.mark.parametrize("account", list(NAV))
def test_every_page_outside_a_roles_navigation_shows_it_nothing(world, page, account):
    """Every role on every page it has no link to: the shell loads, the API refuses every read it
    asks for (403) and the page says so; nothing of anyone is shown."""
    from api.pages.app import PAGES

    base, _, _ = world
    purpose, links, landing = NAV[account]
    sign_in(page, base, account, PASSWORD, purpose, "REF-ALL", landing)
    statuses: list[tuple[str, int]] = []
    api_calls = lambda r: "/pages/" not in r.url and "/auth/" not in r.url  # noqa: E731
    page.on("response", lambda r: statuses.append((r.url, r.status)) if api_calls(r) else None)
    quiet = []
    for other in [p for p in PAGES if p.nav and p.nav not in links]:
        statuses.clear()
        page.goto(f"{base}/pages/{other.name}?as_of={AS_OF}")
        page.wait_for_selector("body[data-ready='1']")
        assert all(status in (400, 403) for _, status in statuses), (other.name, statuses)
        if statuses:
            assert "Not allowed" in page.inner_text("#message"), other.name
        else:
            quiet.append(other.name)
        assert not forbidden_text(page.inner_text("main")), other.name
        assert not page.locator("#rows tr td a.person-link, #candidates tr[data-person]").count()
    # asked nothing: the person search before a name is given; the weekly list and the safeguarding lists
    # of an account holding no force
    by_force = {"targets", "safeguarding"}
    assert set(quiet) <= {"person", *by_force} and (not by_force & set(quiet) or account == "auditor"), quiet


# -- analyst ---------------------------------------------------------------------------------------


def test_analyst_finds_a_person_by_name_and_opens_them(world, page):
    base, data_dir, _ = world
    hall = person_of(data_dir, "Northumbria/NOR1")
    sign_in(page, base, "analyst", PASSWORD, "intelligence", "NO-1", f"/pages/person?as_of={AS_OF}")
    page.fill("#q-name", "Dave Hall")
    page.fill("#q-age", "40")
    page.fill("#q-place", "Newcastle")
    page.keyboard.press("Enter")
    page.wait_for_selector("#candidates tr[data-person]")
    first = page.locator("#candidates tr").first
    assert first.get_attribute("data-person") == hall
    assert re.search(r"\d\.\d{3}", first.inner_text()) and "surname" in first.inner_text()  # confidence and why
    first.locator("a.person-link").click()
    page.wait_for_url(re.compile(rf"/pages/person/{hall}"))
    page.wait_for_selector("body[data-ready='1']")
    assert page.inner_text("#name") == "David John HALL"
    assert page.locator("#timeline-strip .mark").count() == page.locator("#timeline tr").count() > 0
    assert [b.inner_text() for b in page.locator("#exports button").all()] == [
        "i2 chart (ANX)", "GraphML", "Excel (nodes and links)"]


def test_analyst_goes_from_a_name_to_an_i2_chart(world, page):
    """A name typed in the search, the person opened, the network exported: the i2 chart (ANX) is
    valid, the GraphML opens in networkx and the workbook in openpyxl, each naming the person."""
    import io

    import networkx as nx
    from lxml import etree
    from openpyxl import load_workbook

    from exports.network import SCHEMA

    base, data_dir, _ = world
    hall = person_of(data_dir, "Northumbria/NOR1")
    sign_in(page, base, "analyst", PASSWORD, "intelligence", "NO-I2", f"/pages/person?as_of={AS_OF}")
    page.fill("#q-name", "Dave Hall")
    page.fill("#q-place", "Newcastle")
    page.keyboard.press("Enter")
    page.wait_for_selector("#candidates tr[data-person]")
    page.locator("#candidates tr").first.locator("a.person-link").click()
    page.wait_for_url(re.compile(rf"/pages/person/{hall}"))
    page.wait_for_selector("body[data-ready='1']")
    files = {}
    for label in ("i2 chart (ANX)", "GraphML", "Excel (nodes and links)"):
        with page.expect_download() as dl:
            page.click(f"#exports button[data-export='{label}']")
        files[label] = (dl.value.suggested_filename, open(dl.value.path(), "rb").read())  # noqa: SIM115
    name, anx = files["i2 chart (ANX)"]
    assert name == f"network-{hall}-depth1.anx"
    xsd = etree.XMLSchema(etree.parse(str(SCHEMA)))
    doc = etree.fromstring(anx)
    assert xsd.validate(doc), xsd.error_log
    assert "David John HALL" in {ci.get("Label") for ci in doc.iter("ChartItem")}
    assert "GREY" not in anx.decode() and "held by Durham Constabulary" in anx.decode()  # Durham's victim
    g = nx.read_graphml(io.BytesIO(files["GraphML"][1]))
    assert g.nodes[hall]["label"] == "David John HALL"
    wb = load_workbook(io.BytesIO(files["Excel (nodes and links)"][1]))
    assert wb.sheetnames == ["nodes", "links", "about"] and wb["nodes"]["C2"].value == "David John HALL"


def test_list_pages_download_what_they_show(world, page):
    """The serial perpetrators' CSV (UTF-8 with a BOM) and Excel buttons, and the orders register's
    Excel for the tab and day chosen: the rows the table shows."""
    import csv
    import io

    from openpyxl import load_workbook

    base, _, _ = world
    sign_in(page, base, "analyst", PASSWORD, "intelligence", "NO-XL", "/pages/serial")
    shown = page.locator("#rows tr").count()
    with page.expect_download() as dl:
        page.click("#exports button[data-export='CSV']")
    body = open(dl.value.path(), "rb").read()  # noqa: SIM115
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == shown and rows[0]["name"] == "David John HALL"
    with page.expect_download() as dl:
        page.click("#exports button[data-export='Excel']")
    ws = load_workbook(io.BytesIO(open(dl.value.path(), "rb").read())).worksheets[0]  # noqa: SIM115
    assert ws.max_row == shown + 1 and ws.oddHeader.center.text == "OFFICIAL-SENSITIVE"
    page.goto(f"{base}/pages/orders?as_of={AS_OF}")
    page.wait_for_selector("body[data-ready='1']")
    with page.expect_download() as dl:
        page.click("#exports button[data-export='Excel']")
    assert dl.value.suggested_filename == f"orders-active-{AS_OF}.xlsx"
    ws = load_workbook(io.BytesIO(open(dl.value.path(), "rb").read())).worksheets[0]  # noqa: SIM115
    assert ws.max_row == page.locator("#rows tr").count() + 1
    assert "go to her address" not in str([c.value for r in ws.iter_rows() for c in r])


def test_serial_perpetrators_table_filters_and_names_forces(world, page):
    base, data_dir, _ = world
    hall = person_of(data_dir, "Northumbria/NOR1")
    sign_in(page, base, "analyst_national", PASSWORD, "intelligence", "NO-2", "/pages/serial")
    rows = page.locator("#rows tr")
    link = rows.first.locator("a.person-link").get_attribute("href")
    assert rows.count() == 1 and link.startswith(f"/pages/person/{hall}")
    text = rows.first.inner_text()
    assert "Northumbria Police" in text and "Durham Constabulary" in text
    assert "cross-force" in text and "intimate" in text
    assert "E23000007" not in page.inner_text("main")
    page.select_option("#f-force", label="Durham Constabulary")
    page.fill("#f-min", "2")
    page.click("#filters button[type=submit]")
    page.wait_for_function("() => document.querySelector('#rows td.none') !== null")  # one Durham victim: not serial
    assert "0 of 0" in page.inner_text("#pager")


def test_cross_force_victims_show_only_the_holding_force_outside_scope(world, page):
    base, data_dir, _ = world
    sign_in(page, base, "analyst", PASSWORD, "intelligence", "NO-3", "/pages/cross-force")
    row = page.locator("#rows tr").first
    text = row.inner_text()
    assert "HALL" in text and "a victim held by Durham Constabulary" in text
    assert "GREY" not in page.content() and person_of(data_dir, "Durham/DUR2") not in page.content()


def test_orders_register_tabs(world, page):
    base, _, _ = world
    sign_in(page, base, "analyst", PASSWORD, "intelligence", "NO-4", f"/pages/orders?as_of={AS_OF}")
    assert page.locator("#rows tr").count() == 1 and "non molestation" in page.inner_text("#rows").lower()
    assert "no contact" in page.inner_text("#rows") and "go to her address" not in page.content()
    for tab, expect in (("expiring", None), ("court-only", None), ("breaches", "Assault")):
        page.click(f"#tabs [data-tab='{tab}']")
        page.wait_for_function("t => location.search === '?tab=' + t", arg=tab)
        page.wait_for_function("() => document.querySelectorAll('#head th').length > 0")
        if expect:
            page.wait_for_function("t => document.getElementById('rows').textContent.includes(t)", arg=expect)


# -- DA team ---------------------------------------------------------------------------------------


def test_target_list_names_link_to_a_person_view_without_victims(world, page):
    base, data_dir, _ = world
    hall = person_of(data_dir, "Northumbria/NOR1")
    sign_in(page, base, "da_team", PASSWORD, "tasking", "MATAC-3", f"/pages/targets?as_of={AS_OF}")
    assert page.locator("#force option:checked").inner_text() == "Northumbria Police"
    assert "Northumbria Police" in page.inner_text("#title")
    assert [b.inner_text() for b in page.locator("#exports button").all()] == ["CSV", "Excel"]
    page.locator(f"#rows tr[data-person='{hall}'] a.person-link").click()
    page.wait_for_url(re.compile(rf"/pages/person/{hall}\?"))
    page.wait_for_selector("body[data-ready='1']")
    assert "HALL" in page.inner_text("#name") and page.locator("#timeline tr").count() >= 3
    assert visible_nav(page) == ["Target list", "Safeguarding"]
    assert not forbidden_text(page.content())
    kinds = page.evaluate("window.dotsCy.nodes().map(n => n.data('kind'))")
    assert kinds.count("person") == 1  # the person alone: no victims drawn


# -- steward ---------------------------------------------------------------------------------------


def test_steward_decides_an_incident_recorded_twice(world, page):
    from linkage.store import LinkageStore

    base, data_dir, _ = world
    sign_in(page, base, "steward_national", PASSWORD, "data_quality", "DQ-5", "/pages/entities")
    page.wait_for_selector("#pair:not([hidden])")
    assert page.get_attribute("#pair", "data-kind") == "event"
    assert "Not linked now" in page.inner_text("#consequence") and "incident" in page.inner_text("#consequence")
    assert page.locator("#side-body tr").count() >= 3 and page.locator("#waterfall .wf-row").count() >= 3
    left, right = page.get_attribute("#pair", "data-left"), page.get_attribute("#pair", "data-right")
    page.keyboard.press("s")
    page.wait_for_selector("#done:not([hidden])")
    log = LinkageStore(data_dir).entity_decisions()
    row = log[(log["key_l"] == min(left, right)) & (log["key_r"] == max(left, right))]
    assert list(row["decision"]) == ["same"] and list(row["kind"]) == ["event"]


def test_review_desk_says_what_a_decision_would_join(world, page):
    base, _, _ = world
    sign_in(page, base, "steward_national", PASSWORD, "data_quality", "DQ-6", "/pages/review")
    page.wait_for_selector("#waterfall .wf-row")
    text = page.inner_text("#consequence")
    assert "would join" in text and re.search(r"P[0-9A-F]+ \(\d+ records?\)", text)


# -- admin -----------------------------------------------------------------------------------------


def test_admin_uploads_an_extract_and_watches_the_ingest_job(world, page):
    base, data_dir, _ = world
    sign_in(page, base, "admin", PASSWORD, "administration", "ADM-7", "/pages/admin")
    # a delivery already loaded: the job runs to the end and changes nothing
    page.set_input_files("#files", str(data_dir / "extracts" / "durham-rms.csv"))
    page.click("#upload")
    page.wait_for_selector("#uploads tr[data-upload] input:checked")
    page.click("#ingest")
    page.wait_for_selector("#jobs tr[data-status='succeeded']", timeout=60000)
    assert "100%" in page.locator("#jobs tr[data-status='succeeded']").first.inner_text()


def test_a_local_admin_sees_the_apis_refusal_in_the_users_page(world, page):
    base, _, _ = world
    sign_in(page, base, "admin_northumbria", PASSWORD, "administration", "ADM-8", "/pages/users")
    assert "Northumbria Police only" in page.inner_text("#scope-note")
    assert page.locator("#u-forces option").all_inner_texts() == ["Northumbria Police"]
    page.fill("#u-name", "wants.national")
    page.select_option("#u-role", "analyst")
    page.check("#u-national")
    page.click("#create")
    page.wait_for_selector("#secret.refused")
    assert "Refused by the API" in page.inner_text("#secret") and "Not allowed" in page.inner_text("#message")
    page.uncheck("#u-national")
    page.fill("#u-name", "new.analyst")
    page.select_option("#u-forces", label="Northumbria Police")
    page.click("#create")
    page.wait_for_selector("#secret:not(.refused)")
    assert "shown once" in page.inner_text("#secret")
    page.wait_for_selector("#users tr[data-user='new.analyst']")  # the list reloads after the secret shows
    assert page.locator("#users tr[data-user='new.analyst']").count() == 1


# -- auditor ---------------------------------------------------------------------------------------


def test_auditor_filters_the_log_and_verifies_the_chain(world, page):
    base, _, _ = world
    sign_in(page, base, "auditor", PASSWORD, "audit", "AUD-9", "/pages/audit")
    assert page.locator("#records tr[data-seq]").count() > 0
    page.select_option("#f-outcome", "refused")
    page.click("#filters button[type=submit]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#records tr[data-seq]')].every(r => r.className.includes('refused'))"
    )
    page.click("#verify")
    page.wait_for_selector("#verdict.ok")
    assert re.search(r"Intact: \d+ records", page.inner_text("#verdict"))
