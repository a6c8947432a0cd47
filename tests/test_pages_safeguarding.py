"""The DA team's safeguarding page in a real browser (Debian's Chromium under Playwright), over the
synthetic extracts taken through the whole pipeline: the four lists for the account's force, due
today first, each row explained, the API's refusal shown to a role that may not see them."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")

from api.app import create_app  # noqa: E402
from worlds.browser import checked_page, chromium, serving, sign_in  # noqa: E402
from worlds.testing import PASSWORD, add_accounts, settings  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
AS_OF = "2025-06-30"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    import pipeline
    from synth.generate import generate

    root = tmp_path_factory.mktemp("pages_safeguarding")
    extracts, data_dir = root / "extracts", root / "data"
    generate(extracts, people=1500, seed=17)
    pipeline.run(data_dir, [p for p in sorted(extracts.iterdir()) if p.name != "truth"])
    s = settings(data_dir)
    add_accounts(data_dir)
    with serving(create_app(data_dir, settings=s)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base):
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    with checked_page(browser) as p:  # asserts no script on the page threw
        yield p


def test_da_team_sees_four_lists_due_today_first(base, page):
    sign_in(page, base, "da_team", PASSWORD, "tasking", "MATAC-1", f"/pages/safeguarding?as_of={AS_OF}")
    assert page.inner_text("#title").startswith("Safeguarding: Northumbria")
    rows = 0
    for name in ("bail", "notices", "gaps", "encompass"):
        table = page.locator(f"#list-{name} tbody tr:not(.none)")
        n = table.count()
        rows += n
        classes = [table.nth(i).get_attribute("class") for i in range(n)]
        # due today first, then overdue, then what falls due later
        order = {"due-today": 0, "overdue": 1, "upcoming": 2}
        assert [order[c] for c in classes] == sorted(order[c] for c in classes), (name, classes)
        for i in range(n):
            cells = table.nth(i).locator("td")
            assert cells.nth(4).locator(".rule").inner_text() and cells.nth(4).locator(".why").inner_text()
    assert rows > 0
    assert f"As of {AS_OF}" in page.inner_text("#summary")
    assert "CONFIDENTIAL" not in page.inner_text("main")


def test_the_page_is_refused_to_an_analyst(base, page):
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/safeguarding/" in r.url
            and "/pages/" not in r.url else None)
    sign_in(page, base, "analyst", PASSWORD, "intelligence", "INT-1", f"/pages/safeguarding?as_of={AS_OF}")
    assert statuses and all(s == 403 for s in statuses)
    assert "Not allowed" in page.inner_text("#message")


def test_from_the_list_to_the_person_with_their_bail_and_rui(base, page):
    sign_in(page, base, "da_team", PASSWORD, "tasking", "MATAC-2", f"/pages/safeguarding?as_of={AS_OF}")
    link = page.locator("#list-bail a.person-link").first
    person = link.get_attribute("href").split("/pages/person/")[1].split("?")[0]
    link.click()
    page.wait_for_url(lambda url: f"/pages/person/{person}" in url)
    page.wait_for_selector("body[data-ready='1']")
    kinds = [t.strip() for t in page.locator("#duties tr td:first-child").all_inner_texts()]
    assert kinds and set(kinds) & {"bail", "RUI"}


def test_each_list_saves_as_csv_and_excel(base, page):
    """The buttons beside each list save exactly the rows it shows, through the scoped, logged route."""
    import csv
    import io

    from openpyxl import load_workbook

    sign_in(page, base, "da_team", PASSWORD, "tasking", "MATAC-2", f"/pages/safeguarding?as_of={AS_OF}")
    for name in ("bail", "encompass"):
        shown = page.locator(f"#list-{name} tbody tr:not(.none)").count()
        with page.expect_download() as dl:
            page.click(f"#exports-{name} button[data-export='CSV']")
        assert dl.value.suggested_filename == f"safeguarding-{name}-E23000007-{AS_OF}.csv"
        body = open(dl.value.path(), "rb").read()  # noqa: SIM115
        assert body.startswith(b"\xef\xbb\xbf")
        assert len(list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))) == shown
        with page.expect_download() as dl:
            page.click(f"#exports-{name} button[data-export='Excel']")
        ws = load_workbook(io.BytesIO(open(dl.value.path(), "rb").read())).worksheets[0]  # noqa: SIM115
        assert ws.max_row == shown + 1
