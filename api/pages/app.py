"""The pages' sub-application: Jinja2 page shells and their static scripts and styles, plus the
browser libraries npm installed into ``web/`` (served as files, no build step).

Mounted rather than routed so that it stays out of the OpenAPI document and the API's route ×
role matrix: nothing here reads personal data, and everything the pages show comes from the API.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

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
# name, template, title. Anyone may load a shell; the API decides who sees the data it asks for.
PAGES = [
    ("login", "login.html", "Sign in"),
    ("review", "review.html", "Review desk"),
    ("person", "person.html", "Person"),
    ("targets", "targets.html", "Weekly target list"),
]

templates = Jinja2Templates(directory=str(HERE / "templates"))


def _page(name: str, template: str, title: str):
    async def endpoint(request: Request) -> Response:
        return templates.TemplateResponse(request, template, {"page": name, "title": title}, headers=HEADERS)

    return endpoint


async def _library(request: Request) -> Response:
    path = LIBRARIES.get(request.path_params["name"])
    if path is None or not path.exists():
        return Response("library not installed: run `make web`", status_code=404, media_type="text/plain")
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "max-age=3600"})


async def _home(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/login", status_code=303)


def pages_app() -> Starlette:
    """The sub-application serving ``/pages``: page shells, static files and the npm libraries."""
    routes = [Route("/", _home)]
    for name, template, title in PAGES:
        routes.append(Route(f"/{name}", _page(name, template, title), name=name))
    routes.append(Route("/person/{person_id:str}", _page("person", "person.html", "Person")))
    routes.append(Route("/lib/{name:str}", _library))
    routes.append(Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"))
    return Starlette(routes=routes)


def mount(app: FastAPI) -> None:
    """Serve the pages under ``/pages`` of the API app."""
    app.mount(PREFIX, pages_app(), name="pages")
