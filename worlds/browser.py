"""What the browser tests and the screenshot command share: the app served by uvicorn on a free
loopback port in a thread, Debian's Chromium driven by Playwright, and signing in through the
login page and the purpose form like a person would.

The browser is the system one (``apt-get install chromium``, the Makefile's ``chromium`` target),
never a download by a test tool.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

CHROMIUM = os.environ.get("DOTS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a daemon thread; yields the base URL, stops it on exit."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="dots-pages-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless system Chromium under Playwright."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"no Chromium at {CHROMIUM}: run `make chromium` (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def checked_page(browser: Any, **context: Any) -> Iterator[Any]:
    """A page in a fresh browser context (1360x900, downloads accepted); on leaving, asserts that no
    script on it threw, so every page test also checks the pages' JavaScript."""
    ctx = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True, **context)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    ctx.close()
    assert not errors, errors


def sign_in(page: Any, base: str, name: str, password: str, purpose: str, reference: str, next_path: str = "") -> None:
    """Through the login page, then the purpose form the first personal-data page asks for."""
    url = f"{base}/pages/login" + (f"?next={quote(next_path, safe='/')}" if next_path else "")
    page.goto(url)
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_selector("#why-dialog[open]")
    page.select_option("#why-purpose", purpose)
    page.fill("#why-reference", reference)
    page.click("#why-ok")
    page.wait_for_selector("body[data-ready='1']")
