// The steward's review desk: the queue of uncertain pairs, one pair at a time, decided by keyboard.
// Decisions go to POST /steward/decisions (the linkage decision log every later resolution honours).
// A pair the professional-standards wall keeps from this account comes as a stub ({restricted,
// held_by}): it is counted, never opened. Professional standards get their own pairs here in full.
"use strict";

(() => {
  const { api, el, $, fill, say, sayProblem } = Dots;
  const state = { queue: [], total: 0, elsewhere: 0, held: [], i: 0, steps: [], busy: false, decided: 0 };
  const FIELDS = [
    ["name", (r) => [r.surname, r.forenames].filter(Boolean).join(", ")],
    ["born", (r) => r.dob],
    ["sex", (r) => r.sex],
    ["force", (r) => r.force],
    ["postcodes", (r) => (r.confidential ? "confidential" : r.postcodes)],
    ["address", (r) => (r.confidential ? "confidential" : r.address)],
    ["PNC", (r) => r.pnc],
    ["seen", (r) => [r.first_seen, r.last_seen].filter(Boolean).join(" to ")],
  ];
  const LABELS = { same: "same person", not_same: "not the same", unsure: "unsure" };

  function progress() {
    const seen = Math.min(state.i, state.queue.length);
    const total = state.queue.length;
    $("progress-fill").style.width = total ? `${(100 * seen) / total}%` : "0%";
    const held = [...new Set(state.held)].join("; ");
    const extra =
      (state.elsewhere ? ` · ${state.elsewhere} more involve other forces` : "") +
      (state.held.length ? ` · ${state.held.length} held by ${held}, who alone review them` : "");
    $("progress-text").textContent =
      `pair ${Math.min(seen + 1, total)} of ${total} · ${state.decided} decided this session${extra}`;
  }

  function sideBySide(pair) {
    fill("left-key", pair.record_key_l);
    fill("right-key", pair.record_key_r);
    const rows = FIELDS.map(([label, get]) => {
      const a = get(pair.left) ?? "";
      const b = get(pair.right) ?? "";
      const cls = !a || !b ? "missing" : String(a).toUpperCase() === String(b).toUpperCase() ? "agree" : "differ";
      return el("tr", { class: cls }, el("th", { text: label }), el("td", { text: a || "—" }), el("td", { text: b || "—" }));
    });
    fill("side-body", rows);
  }

  function others(id, list) {
    fill(
      id,
      list.length
        ? list.map((r) =>
            r.restricted
              ? el("li", { class: "restricted", text: `a record held by ${r.held_by}` })
              : el("li", { text: `${r.record_key}: ${[r.surname, r.forenames].filter(Boolean).join(", ")} ${r.dob || ""} (${r.force})` }),
          )
        : [el("li", { class: "none", text: "no other records" })],
    );
  }

  // What a decision would do at the next resolution: join two people, split one, or change nothing.
  function consequence(pair) {
    const nl = (pair.entity_l || []).length + 1;
    const nr = (pair.entity_r || []).length + 1;
    const box = $("consequence");
    box.className = `consequence ${pair.linked ? "linked" : "apart"}`;
    box.textContent = pair.linked
      ? `Already linked: both records are in one person, ${pair.person_id_l}, with ${nl + 1} records in all. "Not the same" would split them apart at the next resolution; "same" changes nothing.`
      : `Not linked now: "same person" would join ${pair.person_id_l} (${nl} record${nl === 1 ? "" : "s"}) and ${pair.person_id_r} (${nr} record${nr === 1 ? "" : "s"}) into one person at the next resolution; "not the same" keeps them apart for good.`;
  }

  // progress is updated last, once the pair on screen is the one it counts
  async function show() {
    const item = state.queue[state.i];
    $("pair").hidden = !item;
    $("done").hidden = !!item;
    if (!item) return progress();
    const pair = await api("/steward/pair", { params: { left: item.record_key_l, right: item.record_key_r } });
    const ex = pair.explanation;
    fill("match-key", ex.match_key || item.match_key || "");
    fill("probability", `probability ${Number(ex.probability ?? item.probability).toFixed(3)} · weight ${Number(ex.match_weight).toFixed(2)}`);
    const before = (pair.history || [])[0];
    fill("previous", before ? `previously: ${LABELS[before.decision] || before.decision} by ${before.decided_by}` : "");
    sideBySide(pair);
    Dots.waterfall("waterfall", ex);
    others("entity-l", pair.entity_l || []);
    others("entity-r", pair.entity_r || []);
    consequence(pair);
    $("note").value = "";
    $("pair").dataset.left = item.record_key_l;
    $("pair").dataset.right = item.record_key_r;
    progress();
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

  function record(item, decision, note) {
    return api("/steward/decisions", {
      method: "POST",
      body: { record_key_l: item.record_key_l, record_key_r: item.record_key_r, decision, note: note || null },
    });
  }

  const decide = (decision) =>
    step(async () => {
      const item = state.queue[state.i];
      if (!item) return;
      await record(item, decision, $("note").value.trim());
      state.steps.push({ i: state.i, decision });
      state.decided += 1;
      state.i += 1;
      say(`Recorded "${LABELS[decision]}" for ${item.record_key_l} / ${item.record_key_r}: it takes effect at the next resolution.`);
    });

  const skip = () =>
    step(async () => {
      if (!state.queue[state.i]) return;
      state.steps.push({ i: state.i, decision: null });
      state.i += 1;
      say("Skipped.");
    });

  const undo = () =>
    step(async () => {
      const last = state.steps.pop();
      if (!last) return say("Nothing to undo.");
      const item = state.queue[last.i];
      if (last.decision && last.decision !== "unsure") {
        // the decision log is append-only: a later "unsure" supersedes the decision
        await record(item, "unsure", `undo of ${last.decision}`);
      }
      if (last.decision) state.decided -= 1;
      state.i = last.i;
      say(last.decision ? `Undone: "${LABELS[last.decision]}" is superseded by "unsure".` : "Back to the skipped pair.");
    });

  function keys(e) {
    if (e.target.id === "note" && (e.key === "Enter" || e.key === "Escape")) return e.target.blur(); // back to the keys
    if (e.target.closest("input, textarea, select, dialog") || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    const act = { s: () => decide("same"), n: () => decide("not_same"), u: () => decide("unsure"), k: skip, ArrowRight: skip, z: undo, Backspace: undo }[
      k.length === 1 ? k.toLowerCase() : k
    ];
    if (act) {
      e.preventDefault();
      act();
    }
  }

  async function apply() {
    try {
      const job = await api("/steward/apply", { method: "POST" });
      say(`Resolution queued (job ${job.id}): the decisions show everywhere once it finishes.`);
    } catch (err) {
      sayProblem(err);
    }
  }

  Dots.start()
    .then(async () => {
      const q = await api("/steward/queue", { params: { limit: 500 } });
      state.queue = q.items.filter((i) => !i.restricted);
      state.held = q.items.filter((i) => i.restricted).map((i) => (i.held_by || []).map((h) => h.force).join(", "));
      state.total = q.total;
      state.elsewhere = q.elsewhere || 0;
      document.addEventListener("keydown", keys);
      $("apply").addEventListener("click", apply);
      await show();
      document.body.dataset.ready = "1";
    })
    .catch((err) => {
      sayProblem(err);
      document.body.dataset.ready = "1";
    });
})();
