// A DA team's safeguarding view: the four lists of duties on clocks (bail and RUI, notices,
// protection gaps, Operation Encompass) for one force as of a day, due today first, each row with
// the rule, the dates and what authority was missing. Every datum comes from the API.
"use strict";

(() => {
  const { api, el, $, fill, sayProblem, forceName, personLink } = Dots;
  const LISTS = ["bail", "notices", "gaps", "encompass"];
  const STATES = {
    lapsed_no_decision: "lapsed, no decision", due_no_decision: "due, no decision", beyond_limit: "beyond limit",
    rui_without_authority: "RUI without authority", rui_review_overdue: "RUI review overdue",
    hearing_due: "hearing due", hearing_late: "hearing late", hearing_missing: "no hearing",
    referral_late: "referral late", referral_missing: "no referral", referral_after_expiry: "referral after expiry",
    ended_nothing_follows: "ended, nothing follows", ends_nothing_follows: "ends, nothing follows",
    due: "school to be told", late: "school told late", missing: "school not told",
  };

  function dueClass(due, asOf) {
    const day = (due || "").slice(0, 10);
    if (day === asOf) return "due-today";
    return day && day < asOf ? "overdue" : "upcoming";
  }

  function row(r, asOf, query) {
    const subject = r.subject_id ? personLink(r.subject_id, r.subject_name || r.subject_id, query) : el("span", { text: "" });
    return el("tr", { class: dueClass(r.due, asOf), "data-state": r.state, "data-due": r.due || "" },
      el("td", { class: "num", text: (r.due || "").replace("T", " ") }),
      el("td", { class: "state", text: STATES[r.state] || r.state }),
      el("td", {}, subject),
      el("td", { text: r.record_key || "" }),
      el("td", {}, el("div", { class: "rule", text: r.rule }), el("div", { class: "why", text: r.explanation })),
      el("td", { class: "source", text: r.source || "" }));
  }

  async function load() {
    const force = $("force").value.trim();
    if (!force) {
      // an account holding no force has no lists to ask for (and /targets/ alone is no route)
      Dots.say("Your account holds no force: there are no safeguarding lists to show.", "info");
      document.body.dataset.ready = "1";
      return;
    }
    const asOf = $("as-of").value;
    const params = { as_of: asOf, limit: 500 };
    const answers = await Promise.all(LISTS.map((name) =>
      api(`/targets/${encodeURIComponent(force)}/safeguarding/${name}`, { params })));
    const query = `?${new URLSearchParams({ force, as_of: asOf })}`;
    let today = 0;
    answers.forEach((list, i) => {
      const name = LISTS[i];
      today += list.items.filter((r) => dueClass(r.due, asOf) === "due-today").length;
      fill(`count-${name}`, `(${list.total})`);
      fill(`rows-${name}`, list.items.length ? list.items.map((r) => row(r, asOf, query))
        : [el("tr", { class: "none" }, el("td", { colspan: "6", text: "nothing due or overdue" }))]);
    });
    fill("title", `Safeguarding: ${forceName(answers[0].force_code)}`);
    fill("summary", `As of ${asOf}: ${today} due today; ` + LISTS.map((n, i) => `${answers[i].total} ${n}`).join(", ") + ".");
    document.body.dataset.ready = "1";
  }

  Dots.start()
    .then(async (me) => {
      const params = new URLSearchParams(location.search);
      const codes = me.national ? Dots.forceCodes() : me.forces || [];
      fill("force", codes.map((c) => el("option", { value: c, text: forceName(c) })));
      $("force").value = params.get("force") || codes[0] || "";
      $("as-of").value = params.get("as_of") || Dots.isoDay(new Date());
      $("controls").addEventListener("submit", (e) => {
        e.preventDefault();
        history.replaceState(null, "", `?${new URLSearchParams({ force: $("force").value, as_of: $("as-of").value })}`);
        load().catch(sayProblem);
      });
      $("print").addEventListener("click", () => window.print());
      // each list as a file: the same scoped route, logged as an export
      const listPath = (name, fmt) => `/targets/${encodeURIComponent($("force").value)}/safeguarding/${name}/export.${fmt}`;
      LISTS.forEach((name) => Dots.exportButtons(`exports-${name}`, [
        ["CSV", () => listPath(name, "csv"), () => ({ as_of: $("as-of").value })],
        ["Excel", () => listPath(name, "xlsx"), () => ({ as_of: $("as-of").value })],
      ]));
      await load();
    })
    .catch((err) => {
      sayProblem(err);
      document.body.dataset.ready = "1";
    });
})();
