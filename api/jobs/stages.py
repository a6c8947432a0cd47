"""What an admin job runs: the pipeline's stages (:mod:`pipeline`, the one definition), with
what only a server adds around them: uploads named by id, progress on the job's row, the graph it
serves from, and its caches of graph facts dropped around a load and filled again after it.

A resolve job resolves people and then addresses, orders and incidents (their ids follow the
person ids), so the steward's decisions on either apply at the next job."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sqlalchemy import select

import pipeline
from api.jobs.runner import Progress
from api.store.db import Upload
from api.store.erasure import forget_uploads, withhold_uploads


def stages(state: Any) -> dict[str, Callable[[dict, Progress], dict]]:
    data_dir: Path = state.settings.data_dir

    def folders(params: dict) -> dict[Path, str]:
        """The folder of each upload named in ``params``, with its id."""
        wanted = params.get("upload_ids") or []
        with state.sessions() as session:
            uploads = session.execute(select(Upload).where(Upload.id.in_(wanted))).scalars()
            found = {Path(u.path).parent: u.id for u in uploads}
        missing = sorted(set(wanted) - set(found.values()))
        if missing:
            raise ValueError(f"unknown upload(s): {', '.join(missing)}")
        return dict(sorted(found.items(), key=lambda item: item[1]))

    def files(results: list[pipeline.FileResult], uploads: dict[Path, str]) -> list[dict]:
        """Ingest results as the job reports them: file name and the upload it came in. An upload
        holding rows of an erased record (skipped, counted as erased) is written again without them;
        one carrying immigration values, with them emptied (held apart in staging)."""
        out = []
        for r in results:
            upload_id = next((u for folder, u in uploads.items() if Path(r.path).is_relative_to(folder)), None)
            out.append({**r.to_dict(), "path": Path(r.path).name, "upload_id": upload_id})
        erased = {f["upload_id"] for f in out if f["erased"] and f["upload_id"]}
        if erased:
            forget_uploads(data_dir, state.settings.database_url, only=erased)
        loaded = {f["upload_id"] for f in out if f["upload_id"] and f["status"] != "refused"}
        if loaded:
            withhold_uploads(data_dir, state.settings.database_url, only=loaded)
        return out

    def ingest(params: dict, progress: Progress) -> dict:
        uploads = folders(params)
        progress(0.0, f"ingesting {len(uploads)} upload(s)")
        return {"files": files(pipeline.ingest(data_dir, list(uploads), profile=params.get("profile")), uploads)}

    def resolve(params: dict, progress: Progress) -> dict:
        progress(0.0, "resolving people, then addresses, orders and incidents")
        return pipeline.resolve(data_dir, fork=False)  # never fork a threaded server

    def graph_load(params: dict, progress: Progress) -> dict:
        progress(0.0, "loading the graph")
        with state.cache.loading():  # cached graph facts are dropped when the load starts and ends
            summary = pipeline.load_graph(data_dir, state.graph_owner())
        state.prefill.start()
        return summary

    def run(params: dict, progress: Progress) -> dict:
        uploads = folders(params) if params.get("upload_ids") else {}
        plan = pipeline.planned(list(uploads))
        out: dict[str, Any] = {}
        progress(0.0, f"{plan[0]}: started")
        steps = pipeline.steps(
            data_dir, list(uploads), graph=state.graph_owner(), profile=params.get("profile"), fork=False
        )
        with ExitStack() as around:
            for i, (stage, result) in enumerate(steps):
                out[stage] = {"files": files(result, uploads)} if stage == "ingest" else result
                following = plan[i + 1] if i + 1 < len(plan) else None
                progress((i + 1) / len(plan), f"{stage}: done" + (f"; {following}: started" if following else ""))
                if following == "load_graph":  # cached graph facts are dropped when the load starts and ends
                    around.enter_context(state.cache.loading())
        state.prefill.start()
        return out

    return {"ingest": ingest, "resolve": resolve, "graph_load": graph_load, "pipeline": run}
