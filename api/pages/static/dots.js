// Shared by every page: the bearer token (sessionStorage, this tab only), the purpose and
// reference the API requires on personal-data routes, calls to the JSON API, and small DOM helpers
// that only ever set text (never HTML), so nothing the API returns can run as markup.
"use strict";

const Dots = (() => {
  const S = window.sessionStorage;
  const HOME = {
    data_steward: "/pages/review",
    analyst: "/pages/person",
    disclosure_officer: "/pages/person",
    da_team: "/pages/targets",
  };
  const PURPOSE = {
    analyst: "intelligence",
    da_team: "tasking",
    disclosure_officer: "dvds",
    data_steward: "data_quality",
    auditor: "audit",
    admin: "administration",
  };

  class Problem extends Error {
    constructor(status, body) {
      super((body && (body.detail || body.title)) || `HTTP ${status}`);
      this.status = status;
      this.body = body || {};
    }
  }

  function token() {
    const t = S.getItem("dots.token");
    const until = Number(S.getItem("dots.expires") || 0);
    return t && Date.now() < until ? t : null;
  }

  function saveToken(accessToken, seconds) {
    S.setItem("dots.token", accessToken);
    S.setItem("dots.expires", String(Date.now() + seconds * 1000));
  }

  function toLogin() {
    S.removeItem("dots.token");
    location.assign("/pages/login?next=" + encodeURIComponent(location.pathname + location.search));
  }

  function logout() {
    S.clear();
    location.assign("/pages/login");
  }

  function why() {
    return { purpose: S.getItem("dots.purpose"), reference: S.getItem("dots.reference") };
  }

  async function api(path, { method = "GET", params = {}, body = null, personal = true } = {}) {
    const t = token();
    if (!t) {
      toLogin();
      throw new Problem(401, { detail: "signed out" });
    }
    const url = new URL(path, location.origin);
    if (personal) {
      const w = why();
      url.searchParams.set("purpose", w.purpose || "");
      url.searchParams.set("reference", w.reference || "");
    }
    for (const [k, v] of Object.entries(params)) {
      if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v);
    }
    const headers = { Authorization: "Bearer " + t, Accept: "application/json" };
    if (body !== null) headers["Content-Type"] = "application/json";
    const r = await fetch(url, { method, headers, body: body === null ? null : JSON.stringify(body) });
    if (r.status === 401) {
      toLogin();
      throw new Problem(401, {});
    }
    const type = r.headers.get("content-type") || "";
    const data = type.includes("json") ? await r.json() : await r.text();
    if (!r.ok) throw new Problem(r.status, typeof data === "object" ? data : { detail: String(data) });
    return data;
  }

  // -- DOM helpers: text only -------------------------------------------------------------------
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = String(v);
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function $(id) {
    return document.getElementById(id);
  }

  function fill(target, ...children) {
    const node = typeof target === "string" ? $(target) : target;
    node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
    return node;
  }

  function say(text, kind = "info") {
    const m = $("message");
    if (!m) return;
    m.textContent = text;
    m.className = "message " + kind;
    m.hidden = !text;
  }

  function sayProblem(err) {
    if (err instanceof Problem && err.status === 403) {
      say(`Not allowed: ${err.message}. The pages show what your role and forces may see through the API.`, "error");
    } else {
      say(err.message || String(err), "error");
    }
  }

  function forces(held) {
    return (held || []).map((f) => f.force || f.force_code || "court").join(", ");
  }

  // -- purpose and reference ------------------------------------------------------------------------
  function showWhy() {
    const w = why();
    const shown = $("why-shown");
    if (shown) shown.textContent = w.purpose ? `${w.purpose} · ${w.reference}` : "";
  }

  function askWhy(role) {
    const dialog = $("why-dialog");
    const w = why();
    $("why-purpose").value = w.purpose || PURPOSE[role] || "intelligence";
    $("why-reference").value = w.reference || "";
    return new Promise((resolve) => {
      const form = $("why-form");
      const done = (e) => {
        e.preventDefault();
        if (!form.reportValidity()) return;
        S.setItem("dots.purpose", $("why-purpose").value);
        S.setItem("dots.reference", $("why-reference").value.trim());
        form.removeEventListener("submit", done);
        dialog.close();
        showWhy();
        resolve(why());
      };
      form.addEventListener("submit", done);
      dialog.showModal();
      $("why-reference").focus();
    });
  }

  // Every page but the login: signed in, who is it, why are they looking. Resolves to the account.
  async function start() {
    if (!token()) {
      toLogin();
      return new Promise(() => {});
    }
    $("logout").addEventListener("click", logout);
    const me = await api("/auth/me", { personal: false });
    $("user").textContent = `${me.name} (${me.role.replace("_", " ")})`;
    $("why-change").addEventListener("click", () => askWhy(me.role).then(() => location.reload()));
    if (!why().purpose || !why().reference) await askWhy(me.role);
    showWhy();
    return me;
  }

  function isoDay(d) {
    return d.toISOString().slice(0, 10);
  }

  return { api, start, el, $, fill, say, sayProblem, forces, saveToken, logout, isoDay, Problem, HOME, token };
})();
