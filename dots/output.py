"""What the commands print and write: JSON, a plain table, or a CSV file.

Every file the command line writes passes its cells through the product's one defuser
(:func:`api.policy.cells.defuse`): a name or address from an extract that begins with ``=``, ``+``,
``-`` or ``@`` must not run as a formula on the analyst's machine. Machine-readable output carries
no progress bars or colour; the "wrote N rows" note goes to stderr so stdout stays the data.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from api.policy.cells import defuse


def print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2, default=str))


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts, missing values as None (JSON null, not NaN)."""
    plain = frame.astype(object)
    return plain.where(frame.notna(), None).to_dict("records")


def write_csv(frame: pd.DataFrame, out: Path | str) -> None:
    """A table as CSV, every cell defused."""
    frame.map(defuse).to_csv(out, index=False)
    print(f"wrote {len(frame)} rows to {out}", file=sys.stderr)


def emit(frame: pd.DataFrame, args: argparse.Namespace, key: str = "rows") -> int:
    """A list command's answer: CSV to ``--out``, else JSON with ``--json``, else a plain table."""
    if getattr(args, "out", None):
        write_csv(frame, args.out)
        if getattr(args, "json", False):
            print_json({"out": str(args.out), "rows": len(frame)})
    elif getattr(args, "json", False):
        print_json({key: records(frame)})
    else:
        print(frame.to_string(index=False) if len(frame) else "(no rows)")
    return 0


def one_line(summary: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in summary.items() if isinstance(v, int | float | str))
