// Uploads and jobs: upload an extract, queue ingest / resolve / graph load, and watch each job's
// progress (polled while any job is queued or running).
"use strict";

(() => {
  const { api, el, $, fill, say, sayProblem } = Dots;
  let polling = null;

  const when = (t) => (t ? String(t).replace("T", " ").slice(0, 19) : "—");

  async function uploads() {
    const page = await api("/admin/uploads", { params: { limit: 100 } });
    fill("uploads", page.items.length
      ? page.items.map((u) => el("tr", { "data-upload": u.id },
          el("td", {}, el("input", { type: "checkbox", class: "pick", value: u.id, "aria-label": `choose upload ${u.filename}` })),
          el("td", { text: u.filename }), el("td", { class: "num", text: u.size }), el("td", { class: "mono", text: u.sha256.slice(0, 12) }),
          el("td", { text: u.uploaded_by }), el("td", { text: when(u.uploaded_at) })))
      : [el("tr", {}, el("td", { colspan: 6, class: "none", text: "no uploads yet" }))]);
  }

  function bar(p) {
    const track = el("div", { class: "progress-track", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(100 * p) });
    const fillBar = el("div", { class: "progress-fill" });
    fillBar.style.width = `${Math.round(100 * p)}%`;
    track.append(fillBar);
    return [track, el("span", { class: "num", text: ` ${Math.round(100 * p)}%` })];
  }

  async function jobs() {
    const page = await api("/admin/jobs", { params: { limit: 50 } });
    fill("jobs", page.items.length
      ? page.items.map((j) => el("tr", { "data-job": j.id, "data-status": j.status, class: `job ${j.status}` },
          el("td", { class: "mono", text: j.id.slice(0, 8) }), el("td", { text: j.kind.replace("_", " ") }),
          el("td", {}, el("span", { class: `status ${j.status}`, text: j.status })), el("td", {}, bar(Number(j.progress || 0))),
          el("td", { text: j.message || (j.result ? JSON.stringify(j.result).slice(0, 160) : "") }),
          el("td", { text: j.created_by }), el("td", { text: when(j.started_at) }), el("td", { text: when(j.finished_at) })))
      : [el("tr", {}, el("td", { colspan: 8, class: "none", text: "no jobs yet" }))]);
    const busy = page.items.some((j) => j.status === "queued" || j.status === "running");
    if (busy && !polling) polling = setInterval(() => jobs().catch(sayProblem), 1500);
    if (!busy && polling) {
      clearInterval(polling);
      polling = null;
    }
    document.body.dataset.jobs = page.items.map((j) => j.status).join(" ");
  }

  async function start(kind, body) {
    const job = await api(`/admin/jobs/${kind}`, { method: "POST", body });
    say(`Queued ${kind.replace("-", " ")} (job ${job.id.slice(0, 8)}).`);
    await jobs();
  }

  const picked = () => [...document.querySelectorAll("#uploads .pick:checked")].map((c) => c.value);

  Dots.start()
    .then(async () => {
      $("upload-form").addEventListener("submit", async (e) => {
        e.preventDefault();
        const form = new FormData();
        for (const f of $("files").files) form.append("files", f, f.name);
        try {
          const saved = await api("/admin/uploads", { method: "POST", form });
          say(`Uploaded ${saved.map((u) => u.filename).join(", ")}.`);
          $("upload-form").reset();
          await uploads();
          const box = document.querySelector(`#uploads [value="${saved[0].id}"]`);
          if (box) box.checked = true;
        } catch (err) {
          sayProblem(err);
        }
      });
      $("ingest").addEventListener("click", () => {
        const ids = picked();
        if (!ids.length) return say("Choose one or more uploads first.", "error");
        start("ingest", { upload_ids: ids }).catch(sayProblem);
      });
      $("pipeline").addEventListener("click", () => start("pipeline", { upload_ids: picked() }).catch(sayProblem));
      $("resolve").addEventListener("click", () => start("resolve", null).catch(sayProblem));
      $("graph-load").addEventListener("click", () => start("graph-load", null).catch(sayProblem));
      await Promise.all([uploads(), jobs()]);
      document.body.dataset.ready = "1";
    })
    .catch((err) => {
      sayProblem(err);
      document.body.dataset.ready = "1";
    });
})();
