// The weekly target list of a force: each score's parts (recency, frequency, gravity, victims) and
// the movement since the previous list, laid out to print cleanly for the tasking meeting.
"use strict";

(() => {
  const { api, el, $, fill, sayProblem, forceName, personLink } = Dots;
  const PARTS = [["recency_part", "r", "R"], ["frequency_part", "f", "F"], ["gravity_part", "g", "G"], ["victims_part", "v", "V"]];

  function move(m) {
    if (!m) return el("span", { class: "move", text: "" });
    if (m.movement === "new") return el("span", { class: "move new", text: "new" });
    if (m.movement === "up") return el("span", { class: "move up", text: `▲ ${m.rank_change}` });
    if (m.movement === "down") return el("span", { class: "move down", text: `▼ ${-m.rank_change}` });
    return el("span", { class: "move same", text: "=" });
  }

  function parts(t) {
    const bar = el("div", { class: "parts", title: "each part is out of 1; the score is their sum" });
    for (const [key, cls] of PARTS) {
      const seg = el("span", { class: `part ${cls}` });
      seg.style.width = `${25 * Number(t[key] || 0)}%`;
      bar.append(seg);
    }
    const nums = el("div", { class: "part-values", text: PARTS.map(([key, , letter]) => `${letter} ${Number(t[key] || 0).toFixed(2)}`).join("  ") });
    return [bar, nums];
  }

  async function load(me) {
    const force = $("force").value.trim();
    if (!force) {
      // an account holding no force has no list to ask for (and /targets/ alone is no route)
      Dots.say("Your account holds no force: there is no weekly list to show.", "info");
      document.body.dataset.ready = "1";
      return;
    }
    const asOf = $("as-of").value;
    const previous = $("previous").value;
    const params = { as_of: asOf, limit: 500 };
    const [list, moved] = await Promise.all([
      api(`/targets/${encodeURIComponent(force)}`, { params }),
      api(`/targets/${encodeURIComponent(force)}/movement`, { params: { ...params, previous_as_of: previous } }),
    ]);
    const byPerson = Object.fromEntries(moved.items.map((m) => [m.person_id, m]));
    fill("title", `Weekly target list: ${forceName(list.force_code, list.force)}`);
    fill("printed", `As of ${list.as_of}, compared with ${moved.previous_as_of}. Printed by ${me.name} on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.`);
    const counts = moved.items.reduce((acc, m) => ({ ...acc, [m.movement]: (acc[m.movement] || 0) + 1 }), {});
    fill("summary", `${list.total} people scored as of ${list.as_of}; since ${moved.previous_as_of}: ` +
      ["new", "up", "down", "same", "left"].map((k) => `${counts[k] || 0} ${k}`).join(", ") + ".");
    fill("left-since", moved.previous_as_of);
    fill("rows", list.items.map((t) => el("tr", { "data-person": t.person_id, class: byPerson[t.person_id] ? `mv-${byPerson[t.person_id].movement}` : "" },
      el("td", { class: "num", text: t.rank }), el("td", {}, move(byPerson[t.person_id])),
      el("td", {}, personLink(t.person_id, t.name, `?${new URLSearchParams({ force: list.force_code, as_of: list.as_of })}`)), el("td", { text: t.dob || "" }),
      el("td", { class: "num score", text: Number(t.score).toFixed(2) }), el("td", {}, parts(t)),
      el("td", { class: "num", text: t.recency_days }), el("td", { class: "num", text: t.events }),
      el("td", { class: "num", text: Number(t.gravity).toFixed(0) }), el("td", { class: "num", text: t.victims }),
      el("td", { text: [t.serial ? "serial" : "", t.active_orders ? `${t.active_orders} active order(s)` : "", t.recent_breaches ? `${t.recent_breaches} breach(es)` : ""].filter(Boolean).join(", ") }),
    )));
    const leavers = moved.items.filter((m) => m.movement === "left");
    fill("leavers", leavers.length ? leavers.map((m) => el("li", { text: `${m.name || m.person_id} (was ${m.rank_before})` })) : [el("li", { class: "none", text: "nobody" })]);
    document.body.dataset.ready = "1";
  }

  Dots.start()
    .then(async (me) => {
      const params = new URLSearchParams(location.search);
      const day = params.get("as_of") || Dots.isoDay(new Date());
      // the account's forces by name (a national account: all of them); the API answers with codes
      const codes = me.national ? Dots.forceCodes() : me.forces || [];
      fill("force", codes.map((c) => el("option", { value: c, text: forceName(c) })));
      $("force").value = params.get("force") || codes[0] || "";
      const force = () => $("force").value;
      Dots.exportButtons("exports", [
        ["CSV", () => `/targets/${encodeURIComponent(force())}/export.csv`, () => ({ as_of: $("as-of").value })],
        ["Excel", () => `/targets/${encodeURIComponent(force())}/export.xlsx`, () => ({ as_of: $("as-of").value })],
      ]);
      $("as-of").value = day;
      $("previous").value = params.get("previous") || Dots.isoDay(new Date(Date.parse(day) - 7 * 86400000));
      $("controls").addEventListener("submit", (e) => {
        e.preventDefault();
        const q = new URLSearchParams({ force: $("force").value, as_of: $("as-of").value, previous: $("previous").value });
        history.replaceState(null, "", `?${q}`);
        load(me).catch(sayProblem);
      });
      $("print").addEventListener("click", () => window.print());
      await load(me);
    })
    .catch((err) => {
      sayProblem(err);
      document.body.dataset.ready = "1";
    });
})();
