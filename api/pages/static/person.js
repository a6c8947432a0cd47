// A person's page: a search by name, then the golden record, name variants, timeline, orders,
// addresses and a network picture (cytoscape.js from npm) that grows one hop per click, with export
// buttons for i2 (ANX), GraphML and Excel. Analysts read /analyst/persons/{id} and its network; a DA
// team reads a person on its force's list (/targets/{force}/persons/{id}), which names no victims.
// Whatever the API masks stays masked: restricted people arrive as "held by <force>" and are drawn so.
"use strict";

(() => {
  const { api, el, $, fill, say, sayProblem, forces, forceName, personLink } = Dots;
  const FORCE_COLOURS = ["#1f5fa8", "#7b3fa0", "#0f7c6c", "#b5651d", "#8c2d4f", "#5b6b1f"];
  const ROLE_COLOURS = {
    suspect: "#c0392b",
    victim: "#e08e0b",
    witness: "#7f8c8d",
    respondent: "#c0392b",
    protected: "#27ae60",
    lived_at: "#8d6e63",
    involved: "#95a5a6",
    relationship: "#8e44ad",
  };
  const forceColour = {}; // force code -> colour
  const forceNames = {}; // force code -> name shown in the legend
  let cy = null;
  let readOnly = false; // a DA team's look at a target: the picture does not grow
  let asOf = Dots.isoDay(new Date());

  function colourOf(force, name) {
    if (!force) return "#6d6d6d"; // courts, or not yet known
    forceNames[force] = forceName(force, name);
    if (!forceColour[force]) forceColour[force] = FORCE_COLOURS[Object.keys(forceColour).length % FORCE_COLOURS.length];
    return forceColour[force];
  }

  function activeOn(order, day) {
    const made = order.made_on || "";
    const ends = order.expires_on || "";
    return made <= day && (order.until_further_order || !ends || ends >= day);
  }

  function expiry(order, day) {
    if (order.until_further_order) return "until further order";
    if (!order.expires_on) return "no expiry recorded";
    const days = Math.round((Date.parse(order.expires_on) - Date.parse(day)) / 86400000);
    return days >= 0 ? `${order.expires_on} (in ${days} days)` : `${order.expires_on} (ended ${-days} days before)`;
  }

  // -- the network picture ------------------------------------------------------------------------
  function initGraph() {
    if (typeof cytoscape !== "function") {
      fill("network", el("p", { class: "error", text: "The network library is not installed (make web)." }));
      return null;
    }
    const graph = cytoscape({
      container: $("network"),
      wheelSensitivity: 0.3,
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 10, "text-wrap": "wrap", "text-max-width": 110, "text-valign": "bottom", "text-margin-y": 3, color: "#222", "background-color": "data(colour)", width: 26, height: 26, "border-width": 2, "border-color": "#fff" } },
        { selector: "node.person", style: { shape: "ellipse", width: 34, height: 34 } },
        { selector: "node.person.expanded", style: { "border-color": "#111", "border-width": 3 } },
        { selector: "node.person.focus", style: { width: 46, height: 46, "font-weight": "bold" } },
        { selector: "node.event", style: { shape: "diamond" } },
        { selector: "node.order", style: { shape: "rectangle", "background-color": "#444" } },
        { selector: "node.order.active", style: { "background-color": "#c0392b", "border-color": "#f1c40f", "border-width": 3 } },
        { selector: "node.address", style: { shape: "round-triangle", "background-color": "#8d6e63" } },
        { selector: "node.restricted", style: { "background-color": "#bbb", "border-style": "dashed", "border-color": "#555", color: "#555" } },
        { selector: "node.bridge", style: { "border-color": "#111", "border-width": 4, "border-style": "double" } },
        { selector: "edge", style: { width: 2, "line-color": "data(colour)", "curve-style": "bezier", label: "data(label)", "font-size": 8, color: "#555", "text-rotation": "autorotate" } },
        { selector: "edge.relationship", style: { "line-style": "dashed" } },
      ],
      layout: { name: "preset" },
    });
    graph.on("tap", "node", (e) => tapped(e.target));
    window.dotsCy = graph; // for the browser tests and the curious
    return graph;
  }

  function addNode(id, classes, label, data = {}) {
    const found = cy.getElementById(id);
    if (found.nonempty()) {
      if (label && !found.data("named") && data.named) found.data({ label, named: true });
      return found;
    }
    return cy.add({ group: "nodes", data: { id, label, colour: data.colour || "#888", ...data }, classes });
  }

  function addEdge(src, dst, kind, label = "") {
    const id = `${src}|${dst}|${kind}`;
    if (cy.getElementById(id).nonempty() || cy.getElementById(`${dst}|${src}|${kind}`).nonempty()) return;
    cy.add({ group: "edges", data: { id, source: src, target: dst, label, colour: ROLE_COLOURS[kind] || ROLE_COLOURS.involved }, classes: kind === "relationship" ? "relationship" : "" });
  }

  function personNode(id, name, force, forceLabel, extra = {}) {
    return addNode(id, "person", name || id, { colour: colourOf(force, forceLabel), kind: "person", named: !!name, ...extra });
  }

  function addProfile(prof) {
    const held = (prof.records || []).find((r) => r.force_code) || {};
    const me = personNode(prof.person_id, prof.golden && prof.golden.preferred_name, held.force_code, held.force);
    me.data("colour", colourOf(held.force_code, held.force));
    for (const e of prof.timeline || []) {
      addNode(e.event_id, "event", `${e.occurred_on || ""}\n${e.offence || "event"}`, { colour: colourOf(e.force_code, e.force), kind: "event", info: e });
      addEdge(prof.person_id, e.event_id, e.role, e.role);
    }
    for (const o of prof.orders || []) {
      const active = activeOn(o, asOf);
      addNode(o.order_id, "order" + (active ? " active" : ""), `${(o.order_type || "order").replace(/_/g, " ").toLowerCase()}\n${active ? "active" : "not active"}`, { kind: "order", info: o });
      for (const [role, key] of [["respondent", "respondent_id"], ["protected", "protected_id"]]) {
        if (o[key]) {
          if (o[key] !== prof.person_id) personNode(o[key], null, null);
          addEdge(o[key], o.order_id, role, role);
        }
      }
    }
    for (const a of prof.addresses || []) {
      // a confidential address is in no network picture: the node says only that one exists
      const info = a.confidential ? { address_id: a.address_id, confidential: true } : a;
      addNode(a.address_id, "address", a.confidential ? "confidential address" : a.postcode || "address", { kind: "address", info });
      addEdge(prof.person_id, a.address_id, "lived_at", "lived at");
    }
    me.addClass("expanded");
  }

  function addNetwork(net) {
    const names = {};
    for (const n of net.nodes) {
      const analytics = n.group ? { group: n.group, betweenness: n.betweenness || 0 } : {};
      const node = n.restricted
        ? addNode(`${net.person_id}:${n.id}`, "person restricted", `held by ${forces(n.held_by)}`, { kind: "restricted", info: n })
        : personNode(n.id, n.name, null);
      if (!n.restricted) names[n.id] = n.name;
      node.data(analytics);
      if (analytics.betweenness > 0) node.addClass("bridge");
    }
    const idOf = (id) => (id.startsWith("restricted-") ? `${net.person_id}:${id}` : id);
    for (const e of net.edges) {
      const [a, b] = [idOf(e.src), idOf(e.dst)];
      const shared = (e.event_ids || []).filter((id) => cy.getElementById(id).nonempty());
      if (e.kind === "co_involved" && shared.length) {
        for (const ev of shared) {
          const other = a === net.person_id ? b : a;
          addEdge(other, ev, "involved");
        }
      } else if (e.kind !== "co_involved" || !(e.event_ids || []).length) {
        addEdge(a, b, "relationship", e.kind.replace(/_/g, " "));
      }
    }
  }

  function relayout() {
    cy.layout({ name: "cose", animate: false, randomize: false, nodeRepulsion: 9000, idealEdgeLength: 70, padding: 20 }).run();
    $("network").dataset.nodes = String(cy.nodes().length);
    $("network").dataset.edges = String(cy.edges().length);
  }

  async function expandPerson(id) {
    const [prof, net] = await Promise.all([api(`/analyst/persons/${encodeURIComponent(id)}`), api(`/analyst/persons/${encodeURIComponent(id)}/network`, { params: { depth: 1 } })]);
    if (prof.restricted) {
      cy.getElementById(id).addClass("restricted expanded").data("label", `held by ${forces(prof.held_by)}`);
    } else {
      addProfile(prof);
      addNetwork(net);
    }
    relayout();
  }

  async function expandAddress(node) {
    const found = await api(`/analyst/addresses/${encodeURIComponent(node.id())}/orders`, { params: { on: asOf, limit: 100 } });
    for (const o of found.items) {
      addNode(o.order_id, "order active", `${(o.order_type || "order").replace(/_/g, " ").toLowerCase()}\nactive`, { kind: "order", info: o });
      addEdge(node.id(), o.order_id, "involved", "order at address");
    }
    node.addClass("expanded");
    relayout();
  }

  function describe(node) {
    const d = node.data();
    const info = d.info || {};
    const lines = [];
    if (d.kind === "person") lines.push(["person", d.label], ["id", d.id]);
    if (d.group) lines.push(["connected group", `group ${d.group}`], ["bridges", d.betweenness > 0 ? `yes (betweenness ${Number(d.betweenness).toFixed(2)})` : "no"]);
    if (d.kind === "restricted") lines.push(["person", `held by ${forces(info.held_by)}`], ["note", "outside your forces: only the holding force is shown"]);
    if (d.kind === "event") lines.push(["event", info.offence], ["date", info.occurred_on], ["force", forceName(info.force_code, info.force)], ["role", info.role]);
    if (d.kind === "order") lines.push(["order", info.order_type], ["court", info.court], ["made", info.made_on], ["expires", expiry(info, asOf)]);
    if (d.kind === "address") lines.push(["address", info.confidential ? "confidential (never shown)" : `${info.address || ""} ${info.postcode || ""}`], ["seen", `${info.first_seen || ""} to ${info.last_seen || ""}`]);
    const body = lines.map(([k, v]) => [el("dt", { text: k }), el("dd", { text: v ?? "—" })]).flat();
    const link = d.kind === "person" && !readOnly ? el("a", { href: `/pages/person/${encodeURIComponent(d.id)}${location.search}`, text: "open this person's page" }) : null;
    fill("detail", el("dl", {}, body), link);
  }

  async function tapped(node) {
    describe(node);
    if (readOnly || node.hasClass("expanded") || node.hasClass("restricted")) return;
    try {
      if (node.data("kind") === "person") await expandPerson(node.id());
      else if (node.data("kind") === "address") await expandAddress(node);
    } catch (err) {
      sayProblem(err);
    }
  }

  function legend() {
    const forceItems = [...Object.entries(forceColour), ["", "#6d6d6d"]].map(([code, colour]) => {
      const sw = el("span", { class: "swatch" });
      sw.style.background = colour;
      return el("li", {}, sw, code ? forceNames[code] : "court, or not yet opened");
    });
    const roleItems = Object.entries(ROLE_COLOURS).map(([role, colour]) => {
      const sw = el("span", { class: "swatch line" });
      sw.style.background = colour;
      return el("li", {}, sw, role.replace("_", " "));
    });
    fill("legend", el("h3", { text: "Forces" }), el("ul", {}, forceItems), el("h3", { text: "Roles" }), el("ul", {}, roleItems),
      el("p", { class: "hint", text: "● person  ◆ event  ■ order (red: active)  ▲ address" }));
  }

  // -- tables ----------------------------------------------------------------------------------------
  function dl(id, pairs) {
    fill(id, pairs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v ?? "—" })]));
  }

  function ordersTable(orders, personId) {
    fill(
      "orders",
      orders.length
        ? orders.map((o) => {
            const active = o.active ?? activeOn(o, asOf);
            const role = personId ? (o.respondent_id === personId ? "respondent" : o.protected_id === personId ? "protected" : "") : "respondent";
            return el("tr", { class: active ? "active" : "" },
              el("td", { text: (o.order_type || "").replace(/_/g, " ") }), el("td", { text: o.court }),
              el("td", { text: o.made_on }), el("td", { text: expiry(o, asOf) }),
              el("td", { text: active ? `active on ${asOf}` : "not active" }), el("td", { text: role }));
          })
        : [el("tr", {}, el("td", { colspan: 6, text: "no orders" }))],
    );
  }

  // bail periods, RUIs and notices, as subject or protected person (the API names no one else here)
  function dutiesTable(duties) {
    fill(
      "duties",
      duties.length
        ? duties.map((d) => el("tr", { class: d.state === "running" || d.state === "open" ? "active" : "" },
            el("td", { text: d.kind === "rui" ? "RUI" : d.kind === "bail" ? "bail" : d.kind }), el("td", { text: d.role }),
            el("td", { text: d.ref }), el("td", { text: (d.starts_on || "").replace("T", " ") }), el("td", { text: d.ends_on || "" }),
            el("td", { text: d.state }), el("td", { text: (d.authorised_by_rank || "").toLowerCase().replace(/_/g, " ") }),
            el("td", { text: d.detail || "" })))
        : [el("tr", {}, el("td", { colspan: 8, text: "no bail, RUI or notices" }))],
    );
  }

  function timelineTable(events) {
    fill(
      "timeline",
      events.length
        ? events.map((e) => el("tr", { class: `role-${e.role || "suspect"}` },
            el("td", { text: e.occurred_on }), el("td", {}, el("span", { class: `role ${e.role || "suspect"}`, text: e.role || "suspect" })),
            el("td", { text: e.offence || "—" }), el("td", { text: forceName(e.force_code, e.force) }),
            el("td", { text: e.relationship || "" }), el("td", { text: e.record_key || (e.event_record_keys || []).join(", ") })))
        : [el("tr", {}, el("td", { colspan: 6, text: "no events in your forces" }))],
    );
  }

  function elsewhereList(items) {
    fill("elsewhere", items && items.length ? items.map((x) => el("li", { text: `${x.count} held by ${forceName(x.force_code, x.force)}` })) : [el("li", { class: "none", text: "nothing" })]);
  }

  // A strip of the person's events over time, coloured by role (the table below lists them).
  function timelineStrip(events) {
    const dated = events.filter((e) => e.occurred_on);
    if (!dated.length) return fill("timeline-strip");
    const times = dated.map((e) => Date.parse(e.occurred_on));
    const lo = Math.min(...times);
    const span = Math.max(...times) - lo || 1;
    const marks = dated.map((e, i) => {
      const mark = el("span", { class: `mark role-${e.role || "suspect"}`, title: `${e.occurred_on}: ${e.offence || "event"} (${e.role || "suspect"}, ${forceName(e.force_code, e.force)})` });
      mark.style.left = `${(100 * (times[i] - lo)) / span}%`;
      return mark;
    });
    fill("timeline-strip", el("span", { class: "axis" }), marks,
      el("span", { class: "end start", text: dated[0].occurred_on }), el("span", { class: "end stop", text: dated[dated.length - 1].occurred_on }));
  }

  function groupsBox(net) {
    const groups = net.groups || [];
    $("groups").hidden = !groups.length;
    if (!groups.length) return;
    const bridges = (net.nodes || []).filter((n) => (n.betweenness || 0) > 0);
    fill("groups", el("h3", { text: "Connected groups of perpetrators and victims" }),
      el("ul", {}, groups.map((g) => el("li", { text: `group ${g.group}: ${g.size} people (${g.perpetrators} perpetrators, ${g.victims} victims)` }))),
      el("p", { class: "hint", text: bridges.length ? `${bridges.length} bridge(s), drawn with a double border: people through whom otherwise separate parts connect.` : "No one bridges separate parts of this network." }));
  }

  function exportsBar(id) {
    const base = `/analyst/persons/${encodeURIComponent(id)}/network`;
    Dots.exportButtons("exports", [
      ["i2 chart (ANX)", `${base}/export.anx`, { depth: 1 }],
      ["GraphML", `${base}/export.graphml`, { depth: 1 }],
      ["Excel (nodes and links)", `${base}/export.xlsx`, { depth: 1 }],
    ]);
  }

  function showProfile(prof) {
    $("results").hidden = true;
    $("profile").hidden = false;
    const g = prof.golden || {};
    fill("name", g.preferred_name || prof.person_id);
    dl("golden", [["person id", prof.person_id], ["surname", g.surname], ["forenames", g.forenames], ["born", g.dob], ["sex", g.sex]]);
    fill("variants", prof.name_variants.map((n) => el("li", { text: n })));
    elsewhereList(prof.elsewhere);
    ordersTable(prof.orders, prof.person_id);
    dutiesTable(prof.duties || []);
    timelineTable(prof.timeline);
    timelineStrip(prof.timeline);
    const seen = new Set();
    const addresses = prof.addresses.filter((a) => !seen.has(a.address_id) && seen.add(a.address_id));
    fill("addresses", addresses.map((a) => el("li", { class: a.warning ? "warning" : "", text: a.confidential && !a.address ? "confidential address (never shown)" : `${a.address || ""} ${a.postcode || ""}` + (a.first_seen ? ` · ${a.first_seen} to ${a.last_seen || "?"}` : "") + (a.warning ? ` · ${a.warning}` : "") })));
    fill("records", prof.records.map((r) => el("tr", {}, el("td", { text: r.record_key }), el("td", { text: forceName(r.force_code, r.force) }), el("td", { text: r.name_raw }), el("td", { text: r.dob }), el("td", { text: Number(r.confidence).toFixed(3) }), el("td", { text: `${r.source_file || ""}:${r.source_line || ""}` }))));
  }

  function restrictedProfile(prof) {
    $("profile").hidden = false;
    fill("name", `A person held by ${forces(prof.held_by)}`);
    say("This person is held only by forces outside your account: nothing more is shown.", "info");
    $("profile").classList.add("is-restricted");
  }

  async function analystPage(id) {
    const prof = await api(`/analyst/persons/${encodeURIComponent(id)}`);
    if (prof.person_id && prof.person_id !== id) {
      // linkage retired the id (its records were found to be this person's too): the API answered for its successor
      say(`Person ${id} is now ${prof.person_id}: their records were found to be one person's.`, "info");
      history.replaceState(null, "", `/pages/person/${encodeURIComponent(prof.person_id)}${location.search}`);
      id = prof.person_id;
    }
    if (prof.restricted) return restrictedProfile(prof);
    showProfile(prof);
    exportsBar(prof.person_id);
    cy = initGraph();
    if (!cy) return;
    const net = await api(`/analyst/persons/${encodeURIComponent(id)}/network`, { params: { depth: 1 } });
    addProfile(prof);
    addNetwork(net);
    cy.getElementById(prof.person_id).addClass("focus");
    relayout();
    legend();
    groupsBox(net);
  }

  // A DA team looks at someone on its force's list: their own events, orders and addresses; the
  // people around them are counts, so the picture holds the person, events, orders and addresses only.
  async function targetPage(id, force) {
    readOnly = true;
    $("find").hidden = true;
    $("network-hint").textContent = "The person's events, orders and addresses. Victims and partners are counted on the list, never named.";
    const prof = await api(`/targets/${encodeURIComponent(force)}/persons/${encodeURIComponent(id)}`);
    if (prof.restricted) return restrictedProfile(prof);
    showProfile(prof);
    cy = initGraph();
    if (!cy) return;
    addProfile(prof);
    cy.getElementById(prof.person_id).addClass("focus");
    relayout();
    legend();
  }

  function why(fields) {
    return (fields || []).map((f) => `${f.comparison}: ${f.level} ${f.weight > 0 ? "+" : ""}${Number(f.weight).toFixed(1)}`).join("; ");
  }

  async function search(query) {
    const found = await api("/analyst/search", { params: { ...query, limit: 20 } });
    $("results").hidden = false;
    $("profile").hidden = true;
    fill("searched", Object.values(found.searched_for).join(", "));
    fill("candidates", found.items.length
      ? found.items.map((c) => el("tr", { class: c.restricted ? "restricted" : "", "data-person": c.person_id || "" },
          el("td", { class: "num", text: c.rank }),
          el("td", {}, c.restricted ? `a person held by ${forces(c.held_by)}` : personLink(c.person_id, c.name, `?as_of=${asOf}`)),
          el("td", { text: c.dob || "" }), el("td", { class: "num", text: Number(c.probability).toFixed(3) }),
          el("td", {}, el("span", { class: "match-key", text: c.match_key || "" })), el("td", { class: "why", text: c.restricted ? "ask the holding force" : why(c.fields) })))
      : [el("tr", {}, el("td", { colspan: 6, text: "no candidates: try another spelling, an age instead of a date of birth, or no place" }))]);
  }

  function queryFromForm() {
    return { name: $("q-name").value.trim(), dob: $("q-dob").value, age: $("q-dob").value ? "" : $("q-age").value, place: $("q-place").value.trim() };
  }

  Dots.start()
    .then(async (me) => {
      const params = new URLSearchParams(location.search);
      asOf = params.get("as_of") || asOf;
      $("as-of").value = asOf;
      const fromPath = decodeURIComponent(location.pathname.replace(/^\/pages\/person\/?/, ""));
      const id = fromPath || params.get("id") || "";
      $("person-id").value = id;
      for (const k of ["name", "dob", "age", "place"]) if (params.get(k)) $(`q-${k}`).value = params.get(k);
      $("find").addEventListener("submit", (e) => {
        e.preventDefault();
        const q = queryFromForm();
        if (q.name.length < 2) return say("Give at least two letters of a name.", "error");
        history.replaceState(null, "", `/pages/person?${new URLSearchParams({ ...q, as_of: $("as-of").value })}`);
        search(q).catch(sayProblem);
      });
      $("open").addEventListener("click", () => {
        const pid = $("person-id").value.trim();
        if (pid) location.assign(`/pages/person/${encodeURIComponent(pid)}?as_of=${$("as-of").value}`);
      });
      if (me.role === "da_team" && id) await targetPage(id, params.get("force") || (me.forces || [])[0] || "");
      else if (id) await analystPage(id);
      else if (params.get("name")) await search(queryFromForm());
      else $("q-name").focus();
      document.body.dataset.ready = "1";
    })
    .catch((err) => {
      sayProblem(err);
      document.body.dataset.ready = "1";
    });
})();
