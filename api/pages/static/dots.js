// Shared by every page: the bearer token (sessionStorage, this tab only), the purpose and
// reference the API requires on personal-data routes, calls to the JSON API, and small DOM helpers
// that only ever set text (never HTML), so nothing the API returns can run as markup.
"use strict";

const Dots = (() => {
  const S = window.sessionStorage;
  const PURPOSE = {
    analyst: "intelligence",
    da_team: "tasking",
    disclosure_officer: "dvds",
    data_steward: "data_quality",
    auditor: "audit",
    admin: "administration",
    professional_standards: "investigation",
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

  async function api(path, { method = "GET", params = {}, body = null, form = null, personal = true } = {}) {
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
    // a FormData (file uploads) sets its own multipart content type
    const r = await fetch(url, { method, headers, body: form !== null ? form : body === null ? null : JSON.stringify(body) });
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

  // -- forces: the API answers with ONS codes (and usually the name beside them); pages show names --
  let forceNames = {};
  async function loadForces() {
    try {
      const r = await fetch("/pages/forces.json");
      if (r.ok) forceNames = Object.fromEntries((await r.json()).map((f) => [f.force_code, f.force]));
    } catch (err) {
      forceNames = {};
    }
    return forceNames;
  }

  function forceName(code, name) {
    if (name) return name;
    if (!code) return "court";
    return forceNames[code] || code;
  }

  function forceCodes() {
    return Object.keys(forceNames);
  }

  function forces(held) {
    return (held || []).map((f) => forceName(f.force_code, f.force)).join(", ");
  }

  // -- navigation by role: the shell lists every page; a role sees only its own links --------------
  function navLinks(role) {
    return [...document.querySelectorAll("#nav a[data-roles]")].filter((a) => a.dataset.roles.split(" ").includes(role));
  }

  function showNav(role) {
    for (const a of document.querySelectorAll("#nav a[data-roles]")) a.hidden = !a.dataset.roles.split(" ").includes(role);
  }

  // Where a role lands after signing in: the first page its navigation lists.
  function home(role) {
    const first = navLinks(role)[0];
    return first ? first.getAttribute("href") : "/pages/login";
  }

  function personLink(id, name, search = "") {
    if (!id) return document.createTextNode(name || "");
    return el("a", { href: `/pages/person/${encodeURIComponent(id)}${search}`, class: "person-link", text: name || id });
  }

  // -- downloads: export routes need the bearer token, so they are fetched and saved from a blob ----
  async function download(path, params = {}) {
    const t = token();
    if (!t) {
      toLogin();
      throw new Problem(401, { detail: "signed out" });
    }
    const url = new URL(path, location.origin);
    const w = why();
    url.searchParams.set("purpose", w.purpose || "");
    url.searchParams.set("reference", w.reference || "");
    for (const [k, v] of Object.entries(params)) {
      if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v);
    }
    const r = await fetch(url, { headers: { Authorization: "Bearer " + t } });
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      throw new Problem(r.status, body);
    }
    const disposition = r.headers.get("content-disposition") || "";
    const found = /filename="?([^";]+)"?/.exec(disposition);
    const name = found ? found[1] : path.split("/").pop();
    const blob = await r.blob();
    const href = URL.createObjectURL(blob);
    const a = el("a", { href, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60000);
    say(`Saved ${name} (${blob.size} bytes). Exports are logged like the page they come from.`);
    return { name, size: blob.size };
  }

  // Buttons that save what a list shows in another format: [[label, path, params], ...].
  function exportButtons(target, items) {
    fill(target, items.map(([label, path, params]) =>
      el("button", { type: "button", class: "export", "data-export": label, onclick: () => download(typeof path === "function" ? path() : path, typeof params === "function" ? params() : params).catch(sayProblem) }, label)));
  }

  // -- paged tables -------------------------------------------------------------------------------
  // A pager under a table: shows "a–b of n", Previous/Next; calls load(offset) to fetch a page.
  function pager(target, page, load) {
    const from = page.total ? page.offset + 1 : 0;
    const to = page.offset + page.items.length;
    const prev = el("button", { type: "button", class: "prev", disabled: page.offset <= 0, onclick: () => load(Math.max(0, page.offset - page.limit)).catch(sayProblem) }, "Previous");
    const next = el("button", { type: "button", class: "next", disabled: to >= page.total, onclick: () => load(page.offset + page.limit).catch(sayProblem) }, "Next");
    fill(target, el("span", { class: "range", text: `${from}–${to} of ${page.total}` }), prev, next);
  }

  function elsewhereNote(target, items) {
    fill(target, items && items.length ? `Also held elsewhere (ask the holding force): ${items.map((x) => `${x.count} by ${forceName(x.force_code, x.force)}`).join(", ")}.` : "");
  }

  // The evidence of a pair as a waterfall: the prior, each field's weight (green for, red against),
  // and the match weight they add up to. Shared by the review desk and the entity matches page.
  function waterfall(target, ex) {
    const steps = [{ label: "prior (before any evidence)", from: 0, to: ex.prior_weight, kind: "prior" }];
    let at = ex.prior_weight;
    for (const f of ex.fields || []) {
      const to = f.cumulative_weight ?? at + f.weight;
      steps.push({ label: f.comparison, level: f.level_label || f.level, values: [f.value_l, f.value_r], from: at, to, w: f.weight });
      at = to;
    }
    steps.push({ label: "match weight", from: 0, to: ex.match_weight, kind: "total" });
    const ends = steps.flatMap((s) => [s.from, s.to]);
    const lo = Math.min(0, ...ends);
    const hi = Math.max(0, ...ends);
    const span = hi - lo || 1;
    const pct = (v) => `${(100 * (v - lo)) / span}%`;
    const rows = steps.map((s) => {
      const left = Math.min(s.from, s.to);
      const width = Math.abs(s.to - s.from);
      const sign = s.kind ? s.kind : s.w > 0 ? "for" : s.w < 0 ? "against" : "none";
      const bar = el("div", { class: `wf-bar ${sign}` });
      bar.style.left = pct(left);
      bar.style.width = width ? `${(100 * width) / span}%` : "2px";
      const zero = el("div", { class: "wf-zero" });
      zero.style.left = pct(0);
      const weight = s.kind ? s.to : s.w;
      return el(
        "div",
        { class: "wf-row", "data-field": s.label },
        el("div", { class: "wf-label" }, el("strong", { text: s.label }), s.level ? el("span", { class: "wf-level", text: s.level }) : null),
        el("div", { class: "wf-track" }, zero, bar),
        el("div", { class: "wf-weight", text: (weight > 0 ? "+" : "") + Number(weight).toFixed(2) }),
        el("div", { class: "wf-values", text: s.values ? s.values.map((v) => v || "—").join("  |  ") : "" }),
      );
    });
    fill(target, rows);
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
    const [me] = await Promise.all([api("/auth/me", { personal: false }), loadForces()]);
    showNav(me.role);
    $("user").textContent = `${me.name} (${me.role.replace("_", " ")})`;
    $("why-change").addEventListener("click", () => askWhy(me.role).then(() => location.reload()));
    if (!why().purpose || !why().reference) await askWhy(me.role);
    showWhy();
    return me;
  }

  function isoDay(d) {
    return d.toISOString().slice(0, 10);
  }

  return {
    api, start, el, $, fill, say, sayProblem, forces, forceName, forceCodes, saveToken, logout, isoDay, Problem, home, token,
    personLink, download, exportButtons, pager, elsewhereNote, why, waterfall,
  };
})();
