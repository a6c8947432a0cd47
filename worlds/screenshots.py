"""``python -m worlds.screenshots --out docs/screenshots`` (``make screenshots``): build the pages'
small sample world in a temporary directory, serve it, sign in as each role in headless Chromium
and write a PNG of every page (login, review desk, person with the network expanded one hop,
weekly list on screen and as printed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

AS_OF = "2024-06-30"  # the sample world's "today"


def shoot(out: Path, data_dir: Path) -> list[Path]:
    """Write the PNGs into ``out``; returns their paths."""
    os.environ.setdefault("DOTS_ARGON2_PROFILE", "CHEAPEST")
    from api.app import create_app
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

    with serving(create_app(data_dir, settings=s)) as base, chromium() as browser:
        page = browser.new_page(viewport=size)
        page.goto(f"{base}/pages/login")
        save(page, "login", full=False)

        page = browser.new_page(viewport=size)
        sign_in(page, base, "steward_national", PASSWORD, "data_quality", "DQ-2024-26", "/pages/review")
        page.wait_for_selector("#waterfall .wf-row")
        save(page, "review-desk")

        page = browser.new_page(viewport=size)
        hall = person_of(data_dir, "Northumbria/NOR1")
        sign_in(page, base, "analyst", PASSWORD, "intelligence", "NO-0000003-24", f"/pages/person/{hall}?as_of={AS_OF}")
        black = person_of(data_dir, "Northumbria/NOR3")
        click_node(page, black)
        save(page, "person")

        page = browser.new_page(viewport=size)
        sign_in(page, base, "da_team", PASSWORD, "tasking", "MATAC-2024-26", f"/pages/targets?as_of={AS_OF}")
        save(page, "weekly-list")
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
        save(page, "weekly-list-print")
    return written


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
