// Accounts within the admin's scope: list, create (a generated password or API key is shown once),
// change role, forces or status. The API decides what an admin may do (a local admin works within
// its own forces; no one changes their own role or scope): a refusal is shown with its reason.
"use strict";

(() => {
  const { api, el, $, fill, say, sayProblem, forceName } = Dots;
  const ROLES = ["analyst", "da_team", "disclosure_officer", "data_steward", "auditor", "admin"];
  let me = null;
  let codes = [];

  const scopeText = (u) => (u.national ? "national" : (u.forces || []).map((c) => forceName(c)).join(", ") || "none");

  function refused(err, row) {
    if (err instanceof Dots.Problem && err.status === 403) {
      const note = row ? row.querySelector(".row-note") : $("secret");
      if (note) {
        note.hidden = false;
        note.className = row ? "row-note refused" : "secret refused";
        note.textContent = `Refused by the API: ${err.message}`;
      }
    }
    sayProblem(err);
  }

  function changer(u) {
    const role = el("select", { class: "c-role", "aria-label": `role of ${u.name}` }, ROLES.map((r) => el("option", { value: r, selected: r === u.role, text: r.replace("_", " ") })));
    const force = el("select", { class: "c-forces", multiple: true, size: 2, "aria-label": `forces of ${u.name}` },
      codes.map((c) => el("option", { value: c, selected: (u.forces || []).includes(c), text: forceName(c) })));
    const active = el("label", { class: "check" }, el("input", { type: "checkbox", class: "c-active", checked: u.active }), "active");
    const save = el("button", { type: "button", class: "c-save" }, "Save");
    const note = el("div", { class: "row-note", hidden: true });
    save.addEventListener("click", async () => {
      const row = save.closest("tr");
      const forces = [...force.selectedOptions].map((o) => o.value);
      const body = { role: role.value, active: row.querySelector(".c-active").checked };
      if (forces.length) body.forces = forces;
      try {
        await api(`/admin/users/${u.id}`, { method: "PATCH", body });
        say(`Saved ${u.name}: its tokens are revoked, the change applies at its next request.`);
        await list(0);
      } catch (err) {
        refused(err, row);
      }
    });
    return el("div", { class: "changer" }, role, force, active, save, note);
  }

  async function list(offset) {
    const page = await api("/admin/users", { params: { limit: 50, offset } });
    fill("users", page.items.map((u) => el("tr", { "data-user": u.name, class: u.active ? "" : "inactive" },
      el("td", { text: u.name + (u.service ? " (service)" : "") }), el("td", { text: u.role.replace("_", " ") }),
      el("td", { text: scopeText(u) }), el("td", { text: u.active ? "active" : "disabled" }),
      el("td", { text: `${String(u.created_at).slice(0, 10)}${u.created_by ? ` by ${u.created_by}` : ""}` }),
      el("td", {}, u.name === me.name ? el("span", { class: "hint", text: "your own account: another admin changes it" }) : changer(u)))));
    Dots.pager("pager", page, (o) => list(o));
  }

  Dots.start()
    .then(async (account) => {
      me = account;
      codes = me.national ? Dots.forceCodes() : me.forces || [];
      fill("scope-note", me.national
        ? "A national admin may create and change accounts for any force, and grant national scope."
        : `You administer accounts of ${scopeText(me)} only: other forces and national scope are refused by the API.`);
      fill("u-forces", codes.map((c) => el("option", { value: c, text: forceName(c) })));
      $("new-user").addEventListener("submit", async (e) => {
        e.preventDefault();
        const body = {
          name: $("u-name").value.trim(), role: $("u-role").value,
          forces: [...$("u-forces").selectedOptions].map((o) => o.value),
          national: $("u-national").checked, service: $("u-service").checked,
        };
        try {
          const made = await api("/admin/users", { method: "POST", body });
          $("secret").hidden = false;
          $("secret").className = "secret";
          $("secret").textContent = made.api_key ? `API key for ${made.name}, shown once: ${made.api_key}` : `Password for ${made.name}, shown once: ${made.password || "(as you set it)"}`;
          $("new-user").reset();
          await list(0);
        } catch (err) {
          refused(err, null);
        }
      });
      await list(0);
      document.body.dataset.ready = "1";
    })
    .catch((err) => {
      sayProblem(err);
      document.body.dataset.ready = "1";
    });
})();
