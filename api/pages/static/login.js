// The login page: the OAuth2 password flow at /auth/token, then the role's own page.
"use strict";

(() => {
  const { $, say } = Dots;

  function next(role) {
    const wanted = new URLSearchParams(location.search).get("next") || "";
    // only a page of this site: a path under /pages/, never another origin
    if (/^\/pages\/[A-Za-z0-9/_?=&.%-]*$/.test(wanted) && !wanted.startsWith("/pages/login")) return wanted;
    return Dots.home(role);
  }

  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say("");
    const form = new URLSearchParams({ username: $("username").value, password: $("password").value });
    const r = await fetch("/auth/token", { method: "POST", body: form });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) {
      say(data.detail || "Sign-in failed", "error");
      return;
    }
    sessionStorage.removeItem("dots.purpose");
    sessionStorage.removeItem("dots.reference");
    Dots.saveToken(data.access_token, data.expires_in);
    const me = await Dots.api("/auth/me", { personal: false });
    location.assign(next(me.role));
  });
  $("username").focus();
  if (Dots.token()) {
    // already signed in in this tab: straight on
    Dots.api("/auth/me", { personal: false }).then((me) => location.assign(next(me.role)), () => {});
  }
})();
