// The s.62 audit log for auditors: filter by user, person, operation, outcome and days; verify the
// hash chain (the same check as `dots audit verify`).
"use strict";

(() => {
  const { api, el, $, fill, sayProblem } = Dots;

  // a record's detail may name forces by code (the log keeps data as written): shown by name
  const named = (text) => String(text || "").replace(/\b[EW]\d{8}\b/g, (code) => Dots.forceName(code));

  function filters() {
    const out = {};
    for (const input of $("filters").querySelectorAll("input, select")) out[input.name] = input.value.trim();
    return out;
  }

  async function records(offset = 0) {
    const page = await api("/audit/records", { params: { ...filters(), limit: 50, offset } });
    fill("records", page.items.length
      ? page.items.map((r) => el("tr", { class: `outcome-${r.outcome}`, "data-seq": r.seq },
          el("td", { class: "num", text: r.seq }), el("td", { class: "mono", text: r.at.slice(0, 19).replace("T", " ") }),
          el("td", { text: r.user_name || "—" }), el("td", { text: (r.role || "").replace("_", " ") }), el("td", { text: r.operation }),
          el("td", { text: [r.purpose, r.reference].filter(Boolean).join(" · ") }), el("td", { class: "mono", text: `${r.method} ${r.route}` }),
          el("td", { class: "mono", text: (r.person_ids || []).slice(0, 4).join(", ") + ((r.person_ids || []).length > 4 ? ` +${r.person_ids.length - 4}` : "") }),
          el("td", {}, el("span", { class: `outcome ${r.outcome}`, text: `${r.outcome} ${r.status}` })), el("td", { text: named(r.detail || r.recipients) })))
      : [el("tr", {}, el("td", { colspan: 10, class: "none", text: "no records match" }))]);
    Dots.pager("pager", page, (o) => records(o));
  }

  async function verify() {
    const v = await api("/audit/verify");
    $("verdict").className = `verdict ${v.ok ? "ok" : "broken"}`;
    $("verdict").textContent = v.ok
      ? `Intact: ${v.records} records, every link and signature checks.`
      : `BROKEN at record ${v.first_bad && v.first_bad.seq}: ${v.first_bad && (v.first_bad.reason || JSON.stringify(v.first_bad))}`;
    return v;
  }

  Dots.start()
    .then(async () => {
      $("filters").addEventListener("submit", (e) => {
        e.preventDefault();
        records(0).catch(sayProblem);
      });
      $("verify").addEventListener("click", () => verify().then(() => records(0)).catch(sayProblem));
      await records(0);
      document.body.dataset.ready = "1";
    })
    .catch((err) => {
      sayProblem(err);
      document.body.dataset.ready = "1";
    });
})();
