// Clare's Law for disclosure officers: open a right-to-ask or right-to-know case, search for the
// named partner (ranked candidates with confidence and why), choose the subject, read the
// disclosable history (typed facts: no one else's identity, no address), record checks, watch the
// three clocks, record the decision (a text naming a previous victim or an address is refused by the
// API, which does not repeat it) and close the case. Every control is a form field or a button, so
// the whole flow works from the keyboard.
"use strict";

(() => {
  const { api, el, $, fill, say, sayProblem, forceName } = Dots;
  const words = (v) => (v === null || v === undefined || v === "" ? "—" : String(v).replace(/_/g, " "));
  const when = (t) => (t ? String(t).replace("T", " ").slice(0, 16) : "—");
  let caseId = null;

  function clockBadges(clocks) {
    return (clocks || []).map((c) => el("span", { class: `clock ${c.state}`, title: `due ${when(c.due_at)}`, text: `${words(c.clock)}: ${words(c.state)}` }));
  }

  function caseRow(c, withStatus) {
    return el("tr", { "data-case": c.id, class: (c.clocks || []).some((k) => k.state === "overdue") ? "overdue" : "" },
      el("td", {}, el("a", { href: `/pages/disclosure/${c.id}`, text: c.case_ref })), el("td", { text: c.route === "ask" ? "right to ask" : "right to know" }),
      el("td", { text: (c.subject || {}).name || "—" }), withStatus ? el("td", { text: c.status }) : null,
      el("td", { text: when(c.opened_at) }), el("td", {}, clockBadges(c.clocks)));
  }

  // -- the list ----------------------------------------------------------------------------------
  async function listCases(offset = 0) {
    const page = await api("/disclosure/cases", { params: { limit: 25, offset } });
    fill("cases", page.items.length ? page.items.map((c) => caseRow(c, true)) : [el("tr", {}, el("td", { colspan: 6, class: "none", text: "no cases yet" }))]);
    Dots.pager("pager", page, (o) => listCases(o));
  }

  async function listOverdue() {
    const page = await api("/disclosure/overdue", { params: { limit: 100 } });
    fill("overdue", page.items.length ? page.items.map((c) => caseRow(c, false)) : [el("tr", {}, el("td", { colspan: 5, class: "none", text: "nothing overdue" }))]);
  }

  function openForm(me) {
    const codes = me.national ? Dots.forceCodes() : me.forces || [];
    fill("c-force", codes.map((c) => el("option", { value: c, text: forceName(c) })));
    const route = () => document.querySelector("#open-case [name=route]:checked").value;
    for (const r of document.querySelectorAll("#open-case [name=route]")) r.addEventListener("change", () => { $("applicant-set").hidden = route() !== "ask"; });
    $("open-case").addEventListener("submit", async (e) => {
      e.preventDefault();
      const self = $("c-self").checked;
      const body = {
        route: route(), force: $("c-force").value, reference: $("c-reference").value.trim() || null,
        person_at_risk: { name: $("c-risk").value.trim(), dob: $("c-risk-dob").value || null },
        subject: { name: $("c-subject").value.trim(), dob: $("c-subject-dob").value || null, age: $("c-subject-age").value ? Number($("c-subject-age").value) : null, place: $("c-subject-place").value.trim() || null },
        relationship: $("c-relationship").value,
      };
      if (body.route === "ask") body.applicant = { name: $("c-applicant").value.trim() || body.person_at_risk.name, contact: $("c-contact").value.trim() || null, is_person_at_risk: self };
      try {
        const made = await api("/disclosure/cases", { method: "POST", body });
        location.assign(`/pages/disclosure/${made.id}`);
      } catch (err) {
        sayProblem(err);
      }
    });
  }

  // -- one case ----------------------------------------------------------------------------------
  async function loadCase() {
    const c = await api(`/disclosure/cases/${caseId}`);
    fill("case-title", `${c.case_ref}: ${c.route === "ask" ? "right to ask" : "right to know"} (${c.status})`);
    fill("case-facts", `Handled by ${forceName(c.force_code, c.force)} · opened ${when(c.opened_at)} by ${c.opened_by} · partner named as "${(c.subject || {}).name || ""}"` +
      ((c.subject || {}).place ? ` of ${c.subject.place}` : "") + ` · ${words(c.relationship)}`);
    fill("clocks", (c.clocks || []).map((k) => el("div", { class: `clock-card ${k.state}`, "data-clock": k.clock },
      el("strong", { text: words(k.clock) }), el("span", { class: "state", text: words(k.state) }),
      el("span", { text: `due ${when(k.due_at)}` }),
      el("span", { text: k.done_at ? `done ${when(k.done_at)}` : k.hours_left !== null ? `${Number(k.hours_left).toFixed(0)} h left` : "" }))));
    fill("checks", (c.checks || []).length
      ? c.checks.map((k) => el("tr", {}, el("td", { text: when(k.checked_at) }), el("td", { text: words(k.system) }), el("td", { text: k.searched_for }),
          el("td", { text: words(k.result) }), el("td", { text: k.details || "" }), el("td", { text: k.checked_by })))
      : [el("tr", {}, el("td", { colspan: 6, class: "none", text: "no checks yet" }))]);
    fill("decisions", (c.decisions || []).map((d) => el("div", { class: "decision-made" },
      el("strong", { text: `${words(d.decision)} — decided by ${d.decided_by} ${when(d.decided_at)}` }),
      el("p", { text: `Rationale: ${d.rationale}` }), d.disclosed_info ? el("p", { text: `Disclosed to ${d.disclosed_to}: ${d.disclosed_info}` }) : null)));
    const closed = c.status === "closed";
    for (const id of ["contact-now", "meeting-now", "exceptional-save", "d-record", "close-case", "k-add", "s-go"]) $(id).disabled = closed;
    if (!$("s-name").value) {
      const s = c.subject || {};
      $("s-name").value = s.name || "";
      $("s-dob").value = s.dob || "";
      $("s-age").value = s.age || "";
      $("s-place").value = s.place || "";
    }
    if (c.subject_person_id) await history();
    document.body.dataset.status = c.status;
    return c;
  }

  const why = (fields) => (fields || []).map((f) => `${f.comparison}: ${f.level} ${f.weight > 0 ? "+" : ""}${Number(f.weight).toFixed(1)}`).join("; ");

  async function search() {
    const params = { name: $("s-name").value.trim(), dob: $("s-dob").value, age: $("s-dob").value ? "" : $("s-age").value, place: $("s-place").value.trim(), limit: 10 };
    const found = await api(`/disclosure/cases/${caseId}/candidates`, { params });
    fill("candidates", found.items.length
      ? found.items.map((c) => el("tr", { "data-person": c.person_id || "", class: c.restricted ? "restricted" : "" },
          el("td", { class: "num", text: c.rank }), el("td", { text: c.restricted ? `a person held by ${Dots.forces(c.held_by)}` : c.name || c.person_id }),
          el("td", { text: c.dob || "" }), el("td", { class: "num", text: Number(c.probability).toFixed(3) }),
          el("td", {}, el("span", { class: "match-key", text: c.match_key || "" })), el("td", { class: "why", text: c.restricted ? "ask the holding force" : why(c.fields) }),
          el("td", {}, c.restricted ? "" : el("button", { type: "button", class: "choose", onclick: () => choose(c) }, "This is the subject"))))
      : [el("tr", {}, el("td", { colspan: 7, class: "none", text: "no candidates (recorded as a no-trace check)" }))]);
    await loadCase(); // the search is now a check on the case
  }

  async function choose(c) {
    try {
      await api(`/disclosure/cases/${caseId}/subject`, { method: "POST", body: { person_id: c.person_id } });
    } catch (err) {
      return sayProblem(err);
    }
    say(`Recorded: you judged the subject to be ${c.name || c.person_id}.`);
    await loadCase();
    $("history-box").scrollIntoView();
  }

  async function history() {
    const h = await api(`/disclosure/cases/${caseId}/history`);
    $("history-box").hidden = false;
    if (h.restricted) {
      fill("subject-name", `a person held by ${Dots.forces(h.held_by)}`);
      fill("history-note", "The subject is held only by other forces: ask them.");
      return;
    }
    fill("subject-name", (h.subject || {}).name || "");
    fill("history-note", h.note);
    fill("history", h.history.length
      ? h.history.map((e) => el("tr", {}, el("td", { text: e.occurred_on || "—" }), el("td", { text: `${e.offence}${e.ho_code ? ` (${e.ho_code})` : ""}` }),
          el("td", { text: words(e.outcome) }), el("td", { text: forceName(e.force_code, e.force) }), el("td", { class: "mono", text: (e.event_record_keys || []).join(", ") })))
      : [el("tr", {}, el("td", { colspan: 5, class: "none", text: "nothing disclosable on record" }))]);
    fill("orders", h.orders.length
      ? h.orders.map((o) => el("tr", { class: o.active ? "active" : "" }, el("td", { text: words(o.order_type) }), el("td", { text: o.court || "—" }),
          el("td", { text: o.made_on || "—" }), el("td", { text: o.until_further_order ? "until further order" : o.expires_on || "—" }),
          el("td", { text: o.active ? "yes" : "no" }), el("td", { text: words((o.condition_categories || []).join(", ")) }), el("td", { class: "num", text: o.breaches })))
      : [el("tr", {}, el("td", { colspan: 7, class: "none", text: "no orders" }))]);
    fill("counts", `Previous partners on record: ${h.previous_partners ?? "—"}; victims: ${h.victims ?? "—"} (counted, never named).` +
      (h.elsewhere && h.elsewhere.length ? ` Also held by ${h.elsewhere.map((x) => `${forceName(x.force_code, x.force)} (${x.count})`).join(", ")}: ask them.` : ""));
  }

  async function change(body, done) {
    try {
      await api(`/disclosure/cases/${caseId}`, { method: "PATCH", body });
      say(done);
      await loadCase();
    } catch (err) {
      sayProblem(err);
    }
  }

  function caseControls() {
    $("search").addEventListener("submit", (e) => {
      e.preventDefault();
      search().catch(sayProblem);
    });
    $("contact-now").addEventListener("click", () => change({ initial_contact_at: new Date().toISOString() }, "Initial contact recorded."));
    $("meeting-now").addEventListener("click", () => change({ meeting_at: new Date().toISOString() }, "Meeting recorded."));
    $("exceptional-save").addEventListener("click", () => change({ exceptional_circumstances: $("exceptional").value.trim() }, "Exceptional circumstances recorded."));
    $("close-case").addEventListener("click", () => change({ close: true }, "Case closed."));
    $("check").addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { system: $("k-system").value, searched_for: $("k-searched").value.trim(), result: $("k-result").value, details: $("k-details").value.trim() || null };
      try {
        await api(`/disclosure/cases/${caseId}/checks`, { method: "POST", body });
        $("check").reset();
        say(`Check recorded: ${body.system}, ${body.result.replace("_", " ")}.`);
        await loadCase();
      } catch (err) {
        sayProblem(err);
      }
    });
    $("decide").addEventListener("submit", async (e) => {
      e.preventDefault();
      const decision = document.querySelector("#decide [name=decision]:checked").value;
      const body = { decision, rationale: $("d-rationale").value.trim(), forum: $("d-forum").value.trim() || null };
      if (decision === "disclose") Object.assign(body, { disclosed_info: $("d-info").value.trim() || null, disclosed_to: $("d-to").value.trim() || null });
      try {
        await api(`/disclosure/cases/${caseId}/decision`, { method: "POST", body });
        $("decide").reset();
        say("Decision recorded.");
        await loadCase();
      } catch (err) {
        // a refusal explains itself without repeating the text: the officer rewrites it
        if (err instanceof Dots.Problem && err.status === 400) say(`Refused: ${err.message}. The text you wrote is kept in the form; nothing was recorded.`, "error");
        else sayProblem(err);
      }
    });
  }

  Dots.start()
    .then(async (me) => {
      const fromPath = location.pathname.replace(/^\/pages\/disclosure\/?/, "");
      if (/^\d+$/.test(fromPath)) {
        caseId = Number(fromPath);
        $("case-view").hidden = false;
        caseControls();
        await loadCase();
        $("s-name").focus();
      } else {
        $("cases-view").hidden = false;
        openForm(me);
        await Promise.all([listCases(0), listOverdue()]);
      }
      document.body.dataset.ready = "1";
    })
    .catch((err) => {
      sayProblem(err);
      document.body.dataset.ready = "1";
    });
})();
