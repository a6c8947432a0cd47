"""Read and write linkage outputs under DATA_DIR/linkage (Parquet and JSON, written atomically)."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linkage.golden import GOLDEN_COLUMNS

ENTITIES = "entities.parquet"
GOLDEN = "golden.parquet"
PAIRS = "pairs.parquet"
MODEL = "model.json"
TF = "tf.parquet"
RECORDS = "records.parquet"
CANDIDATES = "candidates.parquet"
SUMMARY = "summary.json"
BLOCKING = "blocking_report.json"


_WRITES = [0]  # outputs this process has written: readers that cache derived data check it


def linkage_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / "linkage"


def writes() -> int:
    """How many outputs this process has written so far (any data directory)."""
    return _WRITES[0]


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    write(tmp)
    os.replace(tmp, path)
    _WRITES[0] += 1


def write_frame(data_dir: Path | str, name: str, frame: pd.DataFrame) -> None:
    """Write a Parquet output in one step (readers never see half a file)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    _atomic(linkage_dir(data_dir) / name, lambda p: pq.write_table(table, p))


def read_frame(data_dir: Path | str, name: str, columns: list[str] | None = None) -> pd.DataFrame | None:
    path = linkage_dir(data_dir) / name
    if not path.exists():
        return None
    return pq.read_table(path, columns=columns).to_pandas()


def write_json(data_dir: Path | str, name: str, data: object) -> None:
    text = json.dumps(data, indent=2, default=_json_default)
    _atomic(linkage_dir(data_dir) / name, lambda p: p.write_text(text))


def read_json(data_dir: Path | str, name: str) -> dict | None:
    path = linkage_dir(data_dir) / name
    if not path.exists():
        return None
    return json.loads(path.read_text())


def _json_default(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def read_entities(data_dir: Path | str) -> pd.DataFrame:
    """record_key, person_id, confidence, decided_by, model_version (empty before the first resolve)."""
    frame = read_frame(data_dir, ENTITIES)
    if frame is None:
        return pd.DataFrame(columns=["record_key", "person_id", "confidence", "decided_by", "model_version"])
    return frame


def read_golden(data_dir: Path | str) -> pd.DataFrame:
    """One golden record per person_id (empty before the first resolve)."""
    frame = read_frame(data_dir, GOLDEN)
    if frame is None:
        return pd.DataFrame(columns=GOLDEN_COLUMNS)
    return frame


def read_pairs(data_dir: Path | str) -> pd.DataFrame | None:
    return read_frame(data_dir, PAIRS)
