"""What the `dots` graph commands call: open the graph, run one question, hand back a table.

The CLI stays a thin shell (parse, call, print); these functions own the graph's side:
choosing the backend, opening it read only (a question never alters or locks the graph), closing
it, and shaping the CSV columns the CLI contract names first.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from graph import queries as Q
from graph.backend import open_graph
from reference.harm import load_harm_table


def serial_perpetrators_table(data_dir: Path, uri: str | None = None, min_victims: int = 2,
                              relationships: str = "intimate", since: dt.date | None = None,
                              force: str | None = None) -> pd.DataFrame:
    """`dots serial-perpetrators`: person_id, victims, forces first, then the evidence."""
    with open_graph(data_dir, uri, read_only=True) as g:
        return Q.serial_perpetrators(g, min_victims=min_victims, relationships=relationships, since=since,
                                     force=force)


def cross_force_victims_table(data_dir: Path, uri: str | None = None) -> pd.DataFrame:
    """`dots cross-force-victims`: perpetrator_id, victim_id, force, then the evidence."""
    with open_graph(data_dir, uri, read_only=True) as g:
        return Q.cross_force_victims(g)


def court_only_orders_table(data_dir: Path, uri: str | None = None, known_people_only: bool = False) -> pd.DataFrame:
    """`dots court-only-orders`: the API's court-only list, each order once."""
    with open_graph(data_dir, uri, read_only=True) as g:
        return Q.court_only_orders(g, known_people_only=known_people_only)


def targets_table(data_dir: Path, force: str, as_of: dt.date | None = None, uri: str | None = None,
                  weights: dict[str, float] | None = None, harm_table: Path | None = None,
                  limit: int | None = None) -> pd.DataFrame:
    """`dots targets`: rank, person_id, score, recency, frequency, gravity, victims, then parts."""
    harm = load_harm_table(harm_table) if harm_table else None
    with open_graph(data_dir, uri, read_only=True) as g:
        return Q.targets(g, force, as_of or dt.date.today(), weights=weights, harm_table=harm, limit=limit)


def parse_weights(text: str | None) -> dict[str, float] | None:
    """``recency=1,frequency=1,gravity=2,victims=1`` (or r/f/g/v) as a weights dict."""
    if not text:
        return None
    names = {"r": "recency", "f": "frequency", "g": "gravity", "v": "victims"}
    out = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        key = names.get(key.strip().lower(), key.strip().lower())
        if key not in names.values():
            raise ValueError(f"unknown weight: {key}")
        out[key] = float(value)
    return out


def safeguarding_table(data_dir: Path, name: str, as_of: dt.date | None = None, force: str | None = None,
                       uri: str | None = None, rules: Path | None = None) -> pd.DataFrame:
    """`dots safeguarding bail|notices|gaps|encompass`: the contract columns first, each row explained."""
    from reference.safeguarding import load_rules

    with open_graph(data_dir, uri, read_only=True) as g:
        return Q.safeguarding_list(g, name, as_of or dt.date.today(), force=force,
                                   rules=load_rules(rules) if rules else None)
