// The analyst's lists: serial perpetrators, victims of one perpetrator in different forces and the
// orders register (active, expiring, court-only, possible breaches), each a paged, filterable table
// with CSV and Excel exports. Names link to the person page; people and rows held by forces outside
// the account are counted by holding force, as the API answers them.
"use strict";

(() => {
  const { api, el, $, fill, sayProblem, forces, forceName, personLink } = Dots;
  const PAGE = 50;
  const page = document.body.dataset.page;
  let asOf = Dots.isoDay(new Date());

  const dash = (v) => (v === null || v === undefined || v === "" ? "—" : String(v));
  const words = (v) => dash(v).replace(/_/g, " ");
  const person = (id, name) => (id ? personLink(id, name || id, `?as_of=${asOf}`) : "—");
  const party = (o, role) => (o[`${role}_id`] ? person(o[`${role}_id`], o[`${role}_name`]) : o[`${role}_held_by`] ? `held by ${forces(o[`${role}_held_by`])}` : "—");
  const cross = (yes) => (yes ? el("span", { class: "marker cross", title: "victims recorded by more than one force", text: "cross-force" }) : "");

  function values(form) {
    const out = {};
    for (const input of form.querySelectorAll("input, select")) {
      if (input.closest("label") && input.closest("label").hidden) continue;
      if (input.type === "checkbox") out[input.name] = input.checked ? "true" : "";
      else out[input.name] = input.value;
    }
    return out;
  }

  // -- the lists ----------------------------------------------------------------------------------
  const LISTS = {
    serial: {
      route: "/analyst/serial-perpetrators",
      columns: ["Name", "Victims", "Forces", "Cross-force", "Relationships", "First seen", "Last event"],
      row: (p) => [person(p.person_id, p.name), `${p.victims}${p.victims_elsewhere ? ` (${p.victims_elsewhere} held elsewhere)` : ""}`,
        p.forces.map((f) => forceName(f.force_code, f.force)).join(", "), cross(p.cross_force), words((p.relationships || []).join(", ")),
        dash(p.first_seen), dash(p.last_seen)],
    },
    "cross-force": {
      route: "/analyst/cross-force-victims",
      columns: ["Perpetrator", "Forces", "Victims", "Victims by force"],
      row: (p) => [person(p.perpetrator_id, p.name), forces(p.forces), String(p.victims.length),
        el("ul", { class: "inline" }, p.victims.map((v) => el("li", {}, v.restricted ? `a victim held by ${forces(v.held_by)}` : [person(v.victim_id, v.name), ` (${forceName(v.force_code, v.force)})`])))],
    },
  };
  const ORDER_COLUMNS = ["Order", "Court", "Made", "Ends", "Respondent", "Protected", "Conditions"];
  const orderRow = (o) => [words(o.order_type), dash(o.court), dash(o.made_on),
    o.until_further_order ? "until further order" : dash(o.expires_on), party(o, "respondent"), party(o, "protected"),
    words((o.condition_categories || []).join(", "))];
  const TABS = {
    active: { route: "/analyst/orders/active", hint: "Orders in force on the day: made on or before it, not ended.", columns: ORDER_COLUMNS, row: orderRow },
    expiring: { route: "/analyst/orders/expiring", hint: "Orders in force on the day that end within the chosen days: check what follows them.", columns: ORDER_COLUMNS, row: orderRow },
    "court-only": { route: "/analyst/orders/court-only", hint: "Orders a court made that no police extract records: the police may not know of them.", columns: ORDER_COLUMNS, row: orderRow },
    breaches: {
      route: "/analyst/breaches",
      hint: "Events involving an order's respondent and protected person while it was in force: possible, not proven; an officer decides.",
      columns: ["Event date", "Offence", "Force", "Order", "Respondent", "Protected"],
      row: (b) => [dash(b.occurred_on), dash(b.offence), forceName(b.force_code, b.force), words(b.order_type), party(b, "respondent"), party(b, "protected")],
    },
  };

  function paramsOf(list) {
    const p = values($("filters"));
    if (p.on !== undefined) {
      p.as_of = p.on;
      delete p.on;
    }
    return p;
  }

  async function show(list, offset = 0) {
    const params = paramsOf(list);
    const found = await api(list.route, { params: { ...params, limit: PAGE, offset } });
    fill("head", el("tr", {}, list.columns.map((c) => el("th", { text: c }))));
    fill("rows", found.items.length
      ? found.items.map((item) => el("tr", {}, list.row(item).map((cell) => el("td", {}, cell))))
      : [el("tr", {}, el("td", { colspan: list.columns.length, class: "none", text: "nothing in your forces" }))]);
    Dots.pager("pager", found, (o) => show(list, o));
    Dots.elsewhereNote("elsewhere", found.elsewhere);
    Dots.exportButtons("exports", [
      ["CSV", `${list.route}/export.csv`, () => paramsOf(list)],
      ["Excel", `${list.route}/export.xlsx`, () => paramsOf(list)],
    ]);
    document.body.dataset.rows = String(found.items.length);
  }

  function chooseTab(name) {
    for (const b of document.querySelectorAll("#tabs [data-tab]")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    for (const l of document.querySelectorAll("#filters [data-for]")) l.hidden = !l.dataset.for.split(" ").includes(name);
    fill("tab-hint", TABS[name].hint);
    history.replaceState(null, "", `?tab=${name}`);
    return TABS[name];
  }

  Dots.start()
    .then(async (me) => {
      const params = new URLSearchParams(location.search);
      asOf = params.get("as_of") || asOf;
      if (!document.getElementById("head")) {
        const thead = document.querySelector("#list thead");
        thead.id = "head";
      }
      let list = LISTS[page];
      if (page === "serial") {
        const codes = me.national ? Dots.forceCodes() : me.forces || [];
        $("f-force").append(...codes.map((c) => el("option", { value: c, text: forceName(c) })));
      }
      if (page === "orders") {
        $("f-on").value = asOf;
        list = chooseTab(params.get("tab") || "active");
        for (const b of document.querySelectorAll("#tabs [data-tab]")) {
          b.addEventListener("click", () => {
            list = chooseTab(b.dataset.tab);
            show(list).catch(sayProblem);
          });
        }
      }
      $("filters").addEventListener("submit", (e) => {
        e.preventDefault();
        show(list).catch(sayProblem);
      });
      await show(list);
      document.body.dataset.ready = "1";
    })
    .catch((err) => {
      sayProblem(err);
      document.body.dataset.ready = "1";
    });
})();
