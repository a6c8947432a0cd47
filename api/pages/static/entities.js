// The steward's desk for address, order, incident and breach matches: one pair at a time, the
// fields side by side with each one's level and weight, whether the two are already one entity and
// what a decision would join or split; decided by keyboard (POST /steward/entities/decisions).
"use strict";

(() => {
  const { api, el, $, fill, say, sayProblem } = Dots;
  const KIND = { address: "address", order: "court order", event: "incident", breach: "breach" };
  const state = { queue: [], i: 0, decided: 0, busy: false, pair: null, held: 0, elsewhere: 0 };

  // a match of a walled person's incident, order or home comes to a data steward as a stub
  // ({restricted, held_by}): counted, never opened. Professional standards get their own force's
  // walled matches in full and a count of those another force holds, or that are their own (elsewhere).
  function progress() {
    const held = state.held ? ` · ${state.held} held by professional standards` : "";
    const away = state.elsewhere ? ` · ${state.elsewhere} held by another force's professional standards, or your own` : "";
    fill("progress-text", `match ${Math.min(state.i + 1, state.queue.length)} of ${state.queue.length} · ${state.decided} decided this session${held}${away}`);
  }

  function consequence(item, ex) {
    const what = KIND[item.kind];
    const same = ex.same_entity;
    $("consequence").className = `consequence ${same ? "linked" : "apart"}`;
    $("consequence").textContent = same
      ? `Already linked: both are one ${what} now. "Not the same" would split them at the next resolution.`
      : `Not linked now: "the same" would join them into one ${what} at the next resolution` +
        (item.kind === "event" ? " (one incident recorded twice: its people, offences and forces together)." : ".");
  }

  function sideBySide(ex) {
    fill("left-key", ex.key_l || state.queue[state.i].key_l);
    fill("right-key", ex.key_r || state.queue[state.i].key_r);
    const rows = [];
    if (ex.text_l !== undefined) rows.push(el("tr", {}, el("th", { text: "as written" }), el("td", { text: ex.text_l }), el("td", { text: ex.text_r }), el("td"), el("td")));
    for (const f of ex.fields || []) {
      const cls = f.weight > 0 ? "agree" : f.weight < 0 ? "differ" : "missing";
      rows.push(el("tr", { class: cls }, el("th", { text: f.label || f.comparison }), el("td", { text: f.value_l || "—" }), el("td", { text: f.value_r || "—" }),
        el("td", { text: f.level_label || f.level }), el("td", { class: "num", text: (f.weight > 0 ? "+" : "") + Number(f.weight).toFixed(2) })));
    }
    fill("side-body", rows);
  }

  async function show() {
    const item = state.queue[state.i];
    $("pair").hidden = !item;
    $("done").hidden = !!item;
    progress();
    if (!item) return;
    const ex = await api("/steward/entities/pair", { params: { kind: item.kind, left: item.key_l, right: item.key_r } });
    state.pair = ex;
    fill("pair-kind", KIND[item.kind]);
    fill("match-key", ex.match_key || item.match_key || "");
    fill("probability", ex.probability !== undefined ? `probability ${Number(ex.probability).toFixed(3)} · weight ${Number(ex.match_weight).toFixed(2)}` : "");
    fill("rule", ex.reason ? `sent to review by the rule "${ex.reason.replace(/_/g, " ")}"` : "");
    consequence(item, ex);
    if (ex.fields) {
      sideBySide(ex);
      Dots.waterfall("waterfall", ex);
    } else {
      fill("side-body", Object.entries(ex).map(([k, v]) => el("tr", {}, el("th", { text: k }), el("td", { colspan: 4, text: typeof v === "object" ? JSON.stringify(v) : String(v) }))));
      fill("waterfall");
    }
    $("pair").dataset.kind = item.kind;
    $("pair").dataset.left = item.key_l;
    $("pair").dataset.right = item.key_r;
  }

  async function step(fn) {
    if (state.busy) return;
    state.busy = true;
    try {
      await fn();
      await show();
    } catch (err) {
      sayProblem(err);
    } finally {
      state.busy = false;
    }
  }

  const decide = (decision) =>
    step(async () => {
      const item = state.queue[state.i];
      if (!item) return;
      await api("/steward/entities/decisions", { method: "POST", body: { kind: item.kind, key_l: item.key_l, key_r: item.key_r, decision } });
      state.decided += 1;
      state.i += 1;
      say(`Recorded "${decision.replace("_", " ")}" for ${KIND[item.kind]} ${item.key_l} / ${item.key_r}: it takes effect at the next resolution.`);
    });

  const skip = () => step(async () => { if (state.queue[state.i]) state.i += 1; });

  async function load() {
    const q = await api("/steward/entities/queue", { params: { kind: $("kind").value, limit: 500 } });
    state.queue = q.items.filter((i) => !i.restricted);
    state.held = q.items.length - state.queue.length;
    state.elsewhere = q.elsewhere || 0;
    state.i = 0;
    await show();
  }

  function keys(e) {
    if (e.target.closest("input, textarea, select, dialog") || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const act = { s: () => decide("same"), n: () => decide("not_same"), u: () => decide("unsure"), k: skip, ArrowRight: skip }[k];
    if (act) {
      e.preventDefault();
      act();
    }
  }

  Dots.start()
    .then(async () => {
      $("kind").addEventListener("change", () => load().catch(sayProblem));
      document.addEventListener("keydown", keys);
      await load();
      document.body.dataset.ready = "1";
    })
    .catch((err) => {
      sayProblem(err);
      document.body.dataset.ready = "1";
    });
})();
