"""``python -m worlds.screenshots --out docs/screenshots`` (``make screenshots``): build the pages'
small sample world in a temporary directory, serve it, sign in as each role in headless Chromium
and write a PNG of every page: sign in; the analyst's person search, person with the network
expanded one hop, serial perpetrators, cross-force victims and orders register; the DA team's
weekly list on screen and as printed; a Clare's Law case from the search to the disclosable
history, and the cases list; the steward's review desk and entity matches; the admin's uploads
and jobs and users; the auditor's log; and every other page a role's navigation links to (the
safeguarding lists when present), so a new page is never left out of the README.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

AS_OF = "2024-06-30"  # the sample world's "today"


def shoot(out: Path, data_dir: Path) -> list[Path]:
    """Write the PNGs into ``out``; returns their paths."""
    os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")
    from api.app import create_app
    from api.pages.app import PAGES
    from worlds.api import person_of
    from worlds.browser import chromium, serving, sign_in
    from worlds.pages import build
    from worlds.testing import PASSWORD, add_accounts, settings

    build(data_dir)
    s = settings(data_dir)
    add_accounts(data_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    size = {"width": 1360, "height": 900}

    def save(page, name: str, full: bool = True) -> None:
        path = out / f"{name}.png"
        page.screenshot(path=str(path), full_page=full)
        written.append(path)

    shot: set[str] = set()

    def page_as(browser, who: str, purpose: str, reference: str, path: str):  # noqa: ANN001, ANN202
        page = browser.new_page(viewport=size, locale="en-GB")  # dates read dd/mm/yyyy, as our users write them
        sign_in(page, base, who, PASSWORD, purpose, reference, path)
        shot.add(path.split("?")[0].split("/")[2])
        return page

    with serving(create_app(data_dir, settings=s)) as base, chromium() as browser:
        page = browser.new_page(viewport=size, locale="en-GB")  # dates read dd/mm/yyyy, as our users write them
        page.goto(f"{base}/pages/login")
        save(page, "login", full=False)

        hall = person_of(data_dir, "Northumbria/NOR1")
        page = page_as(browser, "analyst", "intelligence", "NO-0000003-24", f"/pages/person?as_of={AS_OF}")
        page.fill("#q-name", "Dave Hall")
        page.fill("#q-age", "40")
        page.fill("#q-place", "Newcastle")
        page.keyboard.press("Enter")
        page.wait_for_selector("#candidates tr[data-person]")
        save(page, "person-search")
        page = page_as(browser, "analyst", "intelligence", "NO-0000003-24", f"/pages/person/{hall}?as_of={AS_OF}")
        click_node(page, person_of(data_dir, "Northumbria/NOR3"))
        save(page, "person")
        for name in ("serial", "cross-force"):
            save(page_as(browser, "analyst_national", "intelligence", "NO-0000003-24", f"/pages/{name}"), name)
        page = page_as(browser, "analyst", "intelligence", "NO-0000003-24", f"/pages/orders?as_of={AS_OF}")
        save(page, "orders")
        page.click("#tabs [data-tab='breaches']")
        page.wait_for_function("() => document.getElementById('rows').textContent.includes('Assault')")
        save(page, "orders-breaches")

        page = page_as(browser, "da_team", "tasking", "MATAC-2024-26", f"/pages/targets?as_of={AS_OF}")
        save(page, "weekly-list")
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
        save(page, "weekly-list-print")

        page = page_as(browser, "disclosure", "dvds", "DVDS-2024-117", "/pages/disclosure")
        page.fill("#c-risk", "Ann Applicant")
        page.fill("#c-subject", "Dave Hall")
        page.fill("#c-subject-age", "40")
        page.fill("#c-subject-place", "Newcastle")
        page.fill("#c-reference", "DVDS-2024-117")
        page.click("#c-open")
        page.wait_for_url(re.compile(r"/pages/disclosure/\d+$"))
        page.wait_for_selector("body[data-ready='1']")
        page.keyboard.press("Enter")  # search as the applicant named him
        page.wait_for_selector("#candidates tr[data-person]")
        save(page, "disclosure-search")
        page.locator("#candidates tr").first.locator("button.choose").click()
        page.wait_for_selector("#history-box:not([hidden]) #history tr")
        save(page, "disclosure-case")
        page = page_as(browser, "disclosure", "dvds", "DVDS-2024-117", "/pages/disclosure")
        save(page, "disclosure-cases")

        page = page_as(browser, "steward_national", "data_quality", "DQ-2024-26", "/pages/review")
        page.wait_for_selector("#waterfall .wf-row")
        save(page, "review-desk")
        page = page_as(browser, "steward_national", "data_quality", "DQ-2024-26", "/pages/entities")
        page.wait_for_selector("#pair:not([hidden])")
        save(page, "entity-matches")

        page = page_as(browser, "admin", "administration", "ADM-2024-26", "/pages/admin")
        page.set_input_files("#files", str(data_dir / "extracts" / "durham-rms.csv"))
        page.click("#upload")
        page.wait_for_selector("#uploads tr[data-upload] input:checked")
        page.click("#ingest")
        page.wait_for_selector("#jobs tr[data-status='succeeded']", timeout=60000)
        save(page, "uploads-and-jobs")
        save(page_as(browser, "admin", "administration", "ADM-2024-26", "/pages/users"), "users")

        page = page_as(browser, "auditor", "audit", "AUD-2024-26", "/pages/audit")
        page.click("#verify")
        page.wait_for_selector("#verdict.ok")
        save(page, "audit-log")

        # any page a role's navigation links to that is not shot above (the safeguarding lists ...)
        for p in PAGES:
            if p.nav and p.roles and p.name not in shot:
                role = p.roles[0]
                who, purpose = ROLE_SIGN_IN.get(role, (role, "intelligence"))
                save(page_as(browser, who, purpose, "SHOT-2024-26", f"/pages/{p.name}?as_of={AS_OF}"), p.name)
    return written


# a role's account in the sample world and the purpose it signs in with
ROLE_SIGN_IN = {
    "analyst": ("analyst", "intelligence"),
    "da_team": ("da_team", "safeguarding"),
    "disclosure_officer": ("disclosure", "dvds"),
    "data_steward": ("steward_national", "data_quality"),
    "admin": ("admin", "administration"),
    "auditor": ("auditor", "audit"),
}


def click_node(page, node_id: str) -> int:
    """Click a node of the network picture with the mouse; returns the node count once it grew."""
    before = int(page.get_attribute("#network", "data-nodes") or 0)
    pos = page.evaluate("id => window.dotsCy.getElementById(id).renderedPosition()", node_id)
    box = page.locator("#network").bounding_box()
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    page.wait_for_function(
        "n => Number(document.getElementById('network').dataset.nodes) > n", arg=before, timeout=15000
    )
    return int(page.get_attribute("#network", "data-nodes") or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dots-pages-") as tmp:
        for path in shoot(args.out, Path(tmp)):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
