"""Pages people look at: the steward's review desk, a person's page with a network picture, the
printable weekly target list and a login page, mounted under ``/pages`` by :func:`mount`.

The HTML shells carry no personal data. Their scripts sign in at ``/auth/token``, keep the bearer
token in the tab's ``sessionStorage`` and call the same JSON routes as any client, sending the
purpose code and reference the page asks for, so login, roles, force scoping, masking and the
s.62 audit are exactly the API's.
"""

from api.pages.app import mount, pages_app

__all__ = ["mount", "pages_app"]
