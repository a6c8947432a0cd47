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
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from dots.terminal import shown
from exports.tables import Table, write

if TYPE_CHECKING:
    from api.policy.wall import Hidden


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


def operator_hidden(args: argparse.Namespace, home: Path | None = None, g: Any = None) -> Hidden:
    """What this command must not show (:func:`api.policy.wall.operator_hidden`): the command line
    is an operator with national scope, not professional standards. Read over the graph when one
    has been loaded (a walled person's incidents, orders and homes), else from the linkage and
    staging tables alone (an export before ``dots graph load``). ``home``: the data directory the
    command read (default: ``--data-dir`` as given); ``g``: the graph it has open (else opened
    here once more)."""
    from api.policy import wall
    from dots.graphs import graph_uri
    from dots.settings import data_dir
    from graph.backend import open_graph

    home = data_dir(args.data_dir, create=False) if home is None else Path(home)
    if not wall.staged(home):
        return wall.Hidden()  # no workforce extract staged: nothing is walled
    if g is not None:
        return wall.operator_hidden(home, g)
    uri = graph_uri(args, home, must_exist=False)
    if uri is None and not (home / "graph" / "pole.lbdb").exists():
        return wall.operator_hidden(home, None)
    with open_graph(home, uri, read_only=True) as g:
        return wall.operator_hidden(home, g)


def unwalled(args: argparse.Namespace) -> bool:
    """Whether this command's rows leave as they are: ``dots export resolution``, the linkage's
    own output for scoring against an outside truth, which must include every person record it
    links (README "Workforce records in exports")."""
    return getattr(args, "command", None) == "export" and getattr(args, "table", None) == "resolution"


def walled(frame: pd.DataFrame, args: argparse.Namespace, hidden: Hidden | None = None) -> tuple[pd.DataFrame, int]:
    """The rows with each one naming a walled record (api.policy.wall: a walled person, one of
    their records, incidents, orders or homes, by id, record key or, for a home, as written)
    replaced by one that says only that it exists and who holds it, as the API stubs it for a
    national account that is not professional standards; and how many were (for the s.62 record:
    dots.access). ``hidden``: what to wall, when the command worked it out already
    (:func:`operator_hidden`)."""
    from api.policy import wall

    if frame.empty or not hasattr(args, "data_dir") or unwalled(args):
        return frame, 0
    hidden = operator_hidden(args) if hidden is None else hidden
    if not hidden:
        return frame, 0
    columns = [str(c) for c in frame.columns]
    kept, count = wall.scrub_rows(columns, [tuple(r.values()) for r in records(frame)], hidden)
    if not count:
        return frame, 0
    print(f"{count} row(s) restricted: held by {wall.UNIT}, who alone see them", file=sys.stderr)
    return pd.DataFrame(kept, columns=frame.columns), count


def emit(frame: pd.DataFrame, args: argparse.Namespace, key: str = "rows", hidden: Hidden | None = None,
         people: Iterable[str] = ()) -> int:
    """A list command's answer: a file for ``--out``, else JSON with ``--json``, else a plain table.
    Walled rows are replaced first (:func:`walled`), then the answer is logged (dots.access),
    before anything is printed: the s.62 record names whom the answer as shown names (``people``:
    its columns naming people) and says how many rows the wall withheld."""
    from api.policy.wall import STUBBED

    frame, count = walled(frame, args, hidden)
    named = [v for c in people if c in frame for v in frame[c] if not (isinstance(v, str) and v.startswith(STUBBED))]
    args.access.release(named, len(frame), withheld=count)
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
