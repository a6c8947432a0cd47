"""What the commands print and write: JSON, a plain table, or a CSV file.

Every file the command line writes is written by :func:`exports.tables.write`, through the
product's one defuser: a name or address from an extract that begins with ``=``, ``+``, ``-`` or
``@`` must not run as a formula on the analyst's machine. ``--out FILE.csv`` is UTF-8 with a BOM;
``--out FILE.xlsx`` a styled workbook. Machine-readable output carries no progress bars or colour;
the "wrote N rows" note goes to stderr so stdout stays the data.
Text from an extract is printed through :func:`dots.terminal.shown`: data, never a command to the
terminal. JSON escapes control characters itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from dots.terminal import shown
from exports.tables import Table, write


def print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2, default=str))


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts, missing values as None (JSON null, not NaN)."""
    plain = frame.astype(object)
    return plain.where(frame.notna(), None).to_dict("records")


def write_table(frame: pd.DataFrame, out: Path | str, name: str) -> None:
    """A table as CSV (or XLSX for a ``.xlsx`` name), every cell defused."""
    plain = frame.astype(object).where(frame.notna(), None)
    rows = write(Path(out), [Table(name, [str(c) for c in frame.columns], plain.itertuples(index=False, name=None))],
                 title=name)
    print(f"wrote {rows} rows to {out}", file=sys.stderr)


def walled(frame: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """The rows with each one naming a walled record (api.policy.wall) replaced by one that says
    only that it exists and who holds it; the command line is no professional-standards account.
    Not ``dots export`` (resolution, entities): the linkage's outputs for evaluation against an
    outside truth, which must include the workforce records they link."""
    from api.policy import wall
    from dots.settings import data_dir

    if frame.empty or not hasattr(args, "data_dir") or getattr(args, "command", None) == "export":
        return frame
    found = wall.current_wall(data_dir(args.data_dir, create=False), None)
    hidden = wall.hidden_for(found, None, wall.Hidden())
    if not hidden:
        return frame
    columns = [str(c) for c in frame.columns]
    kept, count = wall.scrub_rows(columns, [tuple(r.values()) for r in records(frame)], hidden)
    if not count:
        return frame
    print(f"{count} row(s) restricted: held by {wall.UNIT}, who alone see them", file=sys.stderr)
    return pd.DataFrame(kept, columns=frame.columns)


def emit(frame: pd.DataFrame, args: argparse.Namespace, key: str = "rows") -> int:
    """A list command's answer: a file for ``--out``, else JSON with ``--json``, else a plain table.
    Walled rows are replaced first (:func:`walled`)."""
    frame = walled(frame, args)
    if getattr(args, "out", None):
        write_table(frame, args.out, args.command if args.command != "export" else args.table)
        if getattr(args, "json", False):
            print_json({"out": str(args.out), "rows": len(frame)})
    elif getattr(args, "json", False):
        print_json({key: records(frame)})
    else:
        plain = frame.map(lambda v: shown(v) if isinstance(v, str) else v)
        print(plain.to_string(index=False) if len(frame) else "(no rows)")
    return 0


def one_line(summary: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in summary.items() if isinstance(v, int | float | str))
