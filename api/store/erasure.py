"""What the API's state store holds of an erased source record, and forgets with it.

A steward's decision names two record keys and may carry a note about the person ("Joan REED is
his wife, 12 Bank Top"): once one of its records is erased (``dots erase``), the decision rests
on nothing and its note is the erased person's data, so it goes, as linkage's own decision logs
do. An uploaded extract (``state/uploads/<id>``) holds the erased rows as delivered: each file is
written again without them by the loaders (:func:`loaders.delivered.erase_rows`, every other
byte kept), and the upload's recorded size and SHA-256 are those of the files as now held. What
stays is a record of what was done, each under its own retention: the audit log (its erasure
record names the key, never the content), Clare's Law cases with their checks and disclosure
decisions, and issued target lists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from pathlib import Path

from sqlalchemy import select

from api.config import database_url, uploads_dir
from api.store.db import StewardDecision, Upload, session_factory, upload_sha256
from loaders.delivered import Rewritten, erase_rows, withhold_held


def forget_decisions(data_dir: Path, gone: Callable[[str], bool]) -> int:
    """Delete the steward decisions naming a record key that is ``gone``; how many went. A data
    directory whose state store was never made holds none."""
    url = database_url(Path(data_dir))
    if not _store_made(url):
        return 0
    with session_factory(url).begin() as session:
        named = [
            d for d in session.execute(select(StewardDecision)).scalars()
            if gone(d.record_key_l) or (d.record_key_r is not None and gone(d.record_key_r))
        ]
        for decision in named:
            session.delete(decision)
    return len(named)


def _store_made(url: str) -> bool:
    return not url.startswith("sqlite:///") or Path(url.removeprefix("sqlite:///")).exists()


def forget_uploads(data_dir: Path, url: str | None = None, only: Collection[str] | None = None) -> dict[str, int]:
    """Write every uploaded extract (or the uploads ``only`` names) again without the rows naming
    an erased (tombstoned) key, and record each rewritten upload's new size and SHA-256 in the
    state store at ``url`` (the data directory's by default): ``{"upload_rows": rows taken out,
    "uploads_unread": files no loader reads}`` (nothing was ever staged from those, so no row of
    them is known to name the key; they are left as they are). Every folder under the uploads
    directory is looked at, one the state store lost track of too. ``dots erase`` calls it for an
    erasure, an ingest job for an upload sent after one (the loaders skipped its rows)."""
    out = _rewritten(data_dir, url, only, erase_rows)
    return {"upload_rows": sum(r.rows for r in out), "uploads_unread": sum(r.refused is not None for r in out)}


def withhold_uploads(data_dir: Path, url: str | None = None, only: Collection[str] | None = None) -> int:
    """Write every staged upload (or those ``only`` names) carrying an immigration column again
    with its cells emptied (the values are held apart in staging: the immigration firewall,
    :func:`loaders.delivered.withhold_held`), recording each one's new size and SHA-256; how many
    rows were changed. An ingest job calls it for the uploads it loaded."""
    return sum(r.withheld for r in _rewritten(data_dir, url, only, withhold_held))


def _rewritten(
    data_dir: Path, url: str | None, only: Collection[str] | None, rewrite: Callable[[Path, Path], list[Rewritten]]
) -> list[Rewritten]:
    """``rewrite`` run on each upload folder (every one, or those ``only`` names), then the state
    store told the size and SHA-256 of each upload whose files it changed."""
    folder = uploads_dir(Path(data_dir))
    if not folder.is_dir():
        return []
    out, changed = [], set()
    for upload in sorted(p for p in folder.iterdir() if p.is_dir() and (only is None or p.name in only)):
        for result in rewrite(upload, data_dir):
            out.append(result)
            if result.rows or result.withheld:
                changed.add(upload.name)
    url = url or database_url(Path(data_dir))
    if changed and _store_made(url):
        with session_factory(url).begin() as session:
            for upload in session.execute(select(Upload).where(Upload.id.in_(changed))).scalars():
                files = _files(folder / upload.id, upload.filename)
                upload.size = sum(f.stat().st_size for f in files)
                upload.sha256 = upload_sha256([hashlib.sha256(f.read_bytes()).hexdigest() for f in files])
    return out


def _files(folder: Path, names: str) -> list[Path]:
    """An upload's files in the order they were sent (its ``filename`` lists them, unless cut
    short at 255 characters: then by name)."""
    listed = [folder / n for n in names.split(", ")]
    if all(p.is_file() for p in listed):
        return listed
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
