"""The pages' sub-application: Jinja2 page shells and their static scripts and styles, plus the
browser libraries npm installed into ``web/`` (served as files, no build step).

Mounted rather than routed so that it stays out of the OpenAPI document and the API's route ×
role matrix: nothing here reads personal data, and everything the pages show comes from the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from reference.forces import all_forces

HERE = Path(__file__).parent
WEB = HERE.parents[1] / "web" / "node_modules"
# Browser libraries the pages load, by the name the pages use -> file npm installed.
LIBRARIES = {"cytoscape.min.js": WEB / "cytoscape" / "dist" / "cytoscape.min.js"}
PREFIX = "/pages"
# Scripts and styles from this server only; no framing; nothing of the page leaks in a Referer.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Page:
    """One page: its path under ``/pages``, shell, title, and the roles whose navigation links to it
    (the first page listed for a role is where that role lands after signing in). Anyone may load a
    shell; the API decides who sees the data it asks for, so a role not listed is refused there."""

    name: str
    template: str
    title: str
    roles: tuple[str, ...] = ()
    nav: str | None = None  # link text in the navigation (None: no link)


PAGES = [
    Page("login", "login.html", "Sign in"),
    Page("person", "person.html", "Person", ("analyst", "professional_standards"), "People"),
    Page("serial", "serial.html", "Serial perpetrators", ("analyst", "professional_standards"), "Serial perpetrators"),
    Page("cross-force", "crossforce.html", "Cross-force victims", ("analyst", "professional_standards"),
         "Cross-force victims"),
    Page("orders", "orders.html", "Orders register", ("analyst", "professional_standards"), "Orders register"),
    Page("targets", "targets.html", "Weekly target list", ("da_team",), "Target list"),
    Page("safeguarding", "safeguarding.html", "Safeguarding", ("da_team",), "Safeguarding"),
    Page("disclosure", "disclosure.html", "Clare's Law cases", ("disclosure_officer",), "Cases"),
    Page("review", "review.html", "Review desk", ("data_steward", "professional_standards"), "Review desk"),
    Page("entities", "entities.html", "Address, order and incident matches", ("data_steward", "professional_standards"),
         "Entity matches"),
    Page("admin", "admin.html", "Uploads and jobs", ("admin",), "Uploads and jobs"),
    Page("users", "users.html", "Users", ("admin",), "Users"),
    Page("audit", "audit.html", "Audit log", ("auditor",), "Audit log"),
]
# Pages with an id after their name: /pages/person/{id}, /pages/disclosure/{case}.
WITH_ID = ("person", "disclosure")

templates = Jinja2Templates(directory=str(HERE / "templates"))


def _page(page: Page):
    async def endpoint(request: Request) -> Response:
        nav = [p for p in PAGES if p.nav]
        context = {"page": page.name, "title": page.title, "nav": nav}
        return templates.TemplateResponse(request, page.template, context, headers=HEADERS)

    return endpoint


async def _library(request: Request) -> Response:
    path = LIBRARIES.get(request.path_params["name"])
    if path is None or not path.exists():
        return Response("library not installed: run `make web`", status_code=404, media_type="text/plain")
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})


async def _forces(request: Request) -> Response:
    """The 43 forces' codes and names (reference data, no personal data): the pages show names,
    the API's answers carry codes."""
    body = [{"force_code": f.code, "force": f.name} for f in all_forces()]
    return JSONResponse(body, headers={"Cache-Control": "max-age=3600", "X-Content-Type-Options": "nosniff"})


async def _home(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/login", status_code=303)


def pages_app() -> Starlette:
    """The sub-application serving ``/pages``: page shells, static files and the npm libraries."""
    routes = [Route("/", _home), Route("/forces.json", _forces)]
    for page in PAGES:
        routes.append(Route(f"/{page.name}", _page(page), name=page.name))
        if page.name in WITH_ID:
            routes.append(Route(f"/{page.name}/{{item_id:str}}", _page(page)))
    routes.append(Route("/lib/{name:str}", _library))
    routes.append(Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"))
    return Starlette(routes=routes)


def mount(app: FastAPI) -> None:
    """Serve the pages under ``/pages`` of the API app."""
    app.mount(PREFIX, pages_app(), name="pages")
