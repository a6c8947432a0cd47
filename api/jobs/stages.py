"""The admin pipeline stages a job can run, each a thin call into the package that owns it:
``loaders.ingest.ingest_paths``, ``linkage.run.resolve`` and ``graph.load.load_graph``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from api.jobs.runner import Progress
from api.store.db import Upload


def stages(state: Any) -> dict[str, Callable[[dict, Progress], dict]]:
    data_dir: Path = state.settings.data_dir

    def ingest(params: dict, progress: Progress) -> dict:
        from loaders.ingest import ingest_paths

        with state.sessions() as session:
            uploads = session.execute(select(Upload).where(Upload.id.in_(params.get("upload_ids") or []))).scalars()
            folders = {u.id: Path(u.path).parent for u in uploads}
        missing = sorted(set(params.get("upload_ids") or []) - set(folders))
        if missing:
            raise ValueError(f"unknown upload(s): {', '.join(missing)}")
        files: list[dict] = []
        for i, (upload_id, folder) in enumerate(sorted(folders.items())):
            progress(i / max(1, len(folders)), f"ingesting upload {upload_id}")
            for r in ingest_paths([folder], data_dir, profile=params.get("profile")):
                files.append({**r.to_dict(), "path": Path(r.path).name, "upload_id": upload_id})
        return {"files": files}

    def resolve(params: dict, progress: Progress) -> dict:
        from linkage.run import resolve as run_resolve

        progress(0.0, "resolving person records")
        return {"summary": run_resolve(data_dir, fork=False)}  # never fork a threaded server

    def graph_load(params: dict, progress: Progress) -> dict:
        from graph.load import load_graph

        progress(0.0, "loading the graph")
        graph = state.graph_owner()
        with state.cache.loading():  # cached graph facts are dropped when the load starts and ends
            summary = load_graph(data_dir, graph)
        state.prefill.start()
        return summary

    def pipeline(params: dict, progress: Progress) -> dict:
        out: dict[str, Any] = {}
        steps: list[tuple[str, Callable[[dict, Progress], dict]]] = [
            ("resolve", resolve),
            ("graph_load", graph_load),
        ]
        if params.get("upload_ids"):
            steps.insert(0, ("ingest", ingest))
        for i, (name, step) in enumerate(steps):

            def sub(fraction: float, message: str, i: int = i, name: str = name) -> None:
                progress((i + fraction) / len(steps), f"{name}: {message}")

            sub(0.0, "started")
            out[name] = step(params, sub)
        return out

    return {"ingest": ingest, "resolve": resolve, "graph_load": graph_load, "pipeline": pipeline}
