"""``dots erase``: erasing record K leaves the state a pipeline run never given K's rows leaves.

The world is a small synthetic one (``synth``) plus a hand-written extract of one person, K0,
whose name, date of birth, phone and address are written nowhere else, with a row that loads, a
row that loads with a warning (a malformed phone: raw text kept) and a row that is quarantined
(raw text kept). The oracle that says which rows name a key is written here from extracts.md's
key templates, apart from the loaders' mappings, and removes those rows from copies of the
extract files; a fresh pipeline run on the copies is what ``erase`` must reproduce.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import pipeline
from graph.backend import LadybugBackend
from graph.queries.perpetrators import cross_force_victims, serial_perpetrators
from graph.schema import NODES, RELS, STRING
from linkage.store import LinkageStore
from staging.store import ALL_TABLES, StagingStore
from tests.extract_fixtures import flat_row, victim_row, write_flat

K0 = "Northumbria/NORZ0000001"
K0_TEXT = {  # what K0's rows say and no other row does
    "surname": "Quixotephant",
    "forenames": "Zebedee Marmaduke",
    "dob": "03/03/1971",
    "address": "17 Erasure Lane, Gateshead",
    "phone": "07700900123",
    "bad_phone": "0770-09-QX-12",
}
PROVENANCE = ["source_file", "source_line", "extract_id", "loaded_at", "row_hash"]


# -- the oracle: which rows of an extract name a key (extracts.md, not the loaders' mappings) -------

def _row_keys(kind: str, row: dict[str, str], incident_force: dict[str, str]) -> set[str]:
    def k(*parts: str) -> str | None:
        values = [row.get(p, "").strip() if not p.startswith("=") else p[1:] for p in parts]
        return None if any(v == "" for v in values) else "".join(values)

    f = "force"
    if kind == "rms-flat":
        keys = [k(f, "=/", "nominal_ref"), k(f, "=/", "occurrence_ref")]
    elif kind == "persons":
        keys = [k(f, "=/", "person_id")]
    elif kind == "incidents":
        keys = [k(f, "=/", "incident_id")]
    elif kind == "involvements":
        force = incident_force.get(row.get("incident_id", "").strip(), "")
        keys = [f"{force}/{row['incident_id'].strip()}", f"{force}/{row['person_id'].strip()}"]
    elif kind == "court":
        keys = [k("case_number"), k("case_number", "=/respondent"), k("case_number", "=/protected")]
    elif kind == "custody":
        keys = [k(f, "=/custody/", "custody_ref"), k(f, "=/", "nominal_ref"), k(f, "=/", "occurrence_ref"),
                k(f, "=/", "protected_nominal_ref")]
    elif kind == "notices":
        keys = [k(f, "=/notice/", "notice_ref"), k(f, "=/", "subject_nominal_ref"), k(f, "=/", "protected_nominal_ref")]
    elif kind == "referrals":
        keys = [k(f, "=/referral/", "referral_ref"), k(f, "=/", "occurrence_ref"), k(f, "=/notice/", "notice_ref"),
                k(f, "=/", "nominal_ref")]
        if row.get("child_surname", "").strip() or row.get("child_forenames", "").strip():
            keys.append(k(f, "=/referral/", "referral_ref", "=/child"))
    else:
        raise AssertionError(kind)
    return {x for x in keys if x}


def _kind(path: Path, header: list[str]) -> str:
    cols = set(header)
    for kind, marks in (("rms-flat", {"occurrence_ref", "nominal_ref", "relationship_to_suspect"}),
                        ("custody", {"custody_ref"}), ("notices", {"notice_ref", "notice_type"}),
                        ("referrals", {"referral_ref"}), ("court", {"case_number"}),
                        ("persons", {"person_id", "full_name"}), ("incidents", {"incident_id", "reported_at"}),
                        ("involvements", {"incident_id", "person_id", "involvement"})):
        if marks <= cols:
            return kind
    raise AssertionError(f"{path}: {header}")


def _read(path: Path) -> tuple[str, list[list[str]]]:
    text = path.read_bytes().decode("utf-8", "surrogateescape")  # any stray byte written back as it was
    return text, list(csv.reader(io.StringIO(text, newline="")))


def without(src: Path, dst: Path, key: str) -> int:
    """Copy the extracts under ``src`` to ``dst`` without the rows naming ``key``; how many went."""
    shutil.copytree(src, dst)
    incident_force: dict[str, str] = {}
    for path in sorted(dst.rglob("incidents.csv")):
        _, rows = _read(path)
        header = [h.strip().lstrip("\ufeff").lower() for h in rows[0]]
        incident_force.update({r[header.index("incident_id")].strip(): r[header.index("force")].strip()
                               for r in rows[1:] if len(r) == len(header)})
    removed = 0
    for path in sorted(dst.rglob("*.csv")):
        _, rows = _read(path)
        if not rows:
            continue
        header = [h.strip().lstrip("\ufeff").lower() for h in rows[0]]
        kind = _kind(path, header)
        kept = [rows[0]]
        for r in rows[1:]:
            named = len(r) == len(header) and key in _row_keys(kind, dict(zip(header, r, strict=True)), incident_force)
            removed += named
            if not named:
                kept.append(r)
        if len(kept) != len(rows):
            buf = io.StringIO(newline="")
            csv.writer(buf, lineterminator="\r\n").writerows(kept)
            path.write_bytes(buf.getvalue().encode("utf-8", "surrogateescape"))
    return removed


# -- worlds ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from synth.generate import generate

    root = tmp_path_factory.mktemp("erase_extracts")
    generate(root / "synth", people=200, seed=5)
    out = root / "extracts"
    out.mkdir()
    for p in (root / "synth").iterdir():
        if p.name != "truth":
            shutil.move(str(p), out / p.name)
    t = K0_TEXT
    k0 = {"nominal_ref": "NORZ0000001", "surname": t["surname"], "forenames": t["forenames"], "dob": t["dob"],
          "address": t["address"], "postcode": "NE8 1ZZ", "phone": t["phone"]}
    write_flat(out / "k0-rms.csv", [
        flat_row(occurrence_ref="NO/9000001/24", occurrence_datetime="02/02/2024 21:00", nominal_ref="NORZ0000002",
                 surname="Ampersand", forenames="Otto"),
        victim_row(occurrence_ref="NO/9000001/24", occurrence_datetime="02/02/2024 21:00", **k0),
        victim_row(occurrence_ref="NO/9000002/24", occurrence_datetime="03/03/2024 20:00",
                   **{**k0, "phone": t["bad_phone"]}),  # loads with a warning keeping the raw phone
        victim_row(occurrence_ref="NO/9000003/24", occurrence_datetime="31/02/2024 20:00", **k0),  # quarantined
        # K0 first in an occurrence others were in too: the event stays, staged from the next row
        victim_row(occurrence_ref="NO/9000004/24", occurrence_datetime="04/04/2024 20:00", **k0),
        flat_row(occurrence_ref="NO/9000004/24", occurrence_datetime="04/04/2024 20:00", nominal_ref="NORZ0000002",
                 surname="Ampersand", forenames="Otto", postcode="NE9 9ZZ"),
    ])
    return out


@pytest.fixture(scope="module")
def full(extracts: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline run on every extract, embedded graph loaded (copied by each test)."""
    data_dir = tmp_path_factory.mktemp("erase_full") / "data"
    pipeline.run(data_dir, [extracts], fork=False)
    return data_dir


def fresh(tmp: Path, extracts: Path, key: str) -> tuple[Path, int]:
    """A pipeline run on the extracts without the rows naming ``key``."""
    cut = tmp / "cut"
    removed = without(extracts, cut, key)
    data_dir = tmp / "fresh"
    pipeline.run(data_dir, [cut], fork=False)
    return data_dir, removed


def erased(tmp: Path, full: Path, key: str, **options) -> tuple[Path, dict]:
    data_dir = tmp / "erased"
    shutil.copytree(full, data_dir)
    return data_dir, pipeline.erase(data_dir, key, fork=False, **options)


# -- what is compared -------------------------------------------------------------------------------

def partition(data_dir: Path) -> set[frozenset[str]]:
    entities = LinkageStore(data_dir).entities()
    return {frozenset(g["record_key"]) for _, g in entities.groupby("person_id")}


def answers(g, data_dir: Path) -> dict:
    """The graph's answers, with person ids as the record keys they hold (ids are names, not facts)."""
    entities = LinkageStore(data_dir).entities()
    people = {p: "|".join(sorted(g_["record_key"])) for p, g_ in entities.groupby("person_id")}

    def named(frame: pd.DataFrame) -> list[tuple]:
        out = frame.copy()
        for c in [c for c in frame.columns if c.endswith(("_id", "_ids"))]:
            out[c] = out[c].map(lambda v: ";".join(sorted(people.get(p, p) for p in str(v).split(";"))))
        return sorted(tuple(str(v) for v in row) for row in out.itertuples(index=False))

    return {
        "counts": {name: g.count(name) for name in [*NODES, *RELS]},
        "serial": named(serial_perpetrators(g, min_victims=1, relationships="any")),
        "cross": named(cross_force_victims(g)),
    }


def staged(data_dir: Path, table: str) -> list[tuple]:
    frame = StagingStore(data_dir).read(table)
    frame = frame.drop(columns=[c for c in PROVENANCE if c in frame.columns])
    return sorted(tuple(str(v) for v in row) for row in frame.itertuples(index=False))


def embedded(data_dir: Path) -> Iterator[LadybugBackend]:
    g = LadybugBackend(data_dir / "graph" / "pole.lbdb")
    g.ensure_schema()
    return g


def pick_keys(full: Path) -> dict[str, str]:
    """Record keys of each kind drawn from the world: a person of several RMS rows, a person of a
    relational extract, a court respondent, an order, an event of several people, a custody record."""
    store = StagingStore(full)
    people = store.read("person_records")
    flat = people[people["profile"] == "rms-flat"]
    many = flat["record_key"].value_counts()
    inv = store.read("involvements")
    per_event = inv.groupby("event_key")["record_key"].nunique()
    return {
        "rms person": sorted(many[many >= 2].index)[0],
        "relational person": sorted(people.loc[people["profile"] == "rms-relational", "record_key"])[0],
        "court respondent": sorted(store.read("orders")["respondent_key"])[0],
        "order": sorted(store.read("orders")["order_key"])[-1],
        "event": sorted(per_event[per_event >= 3].index)[0],
        "custody": sorted(store.read("custody_records")["custody_key"])[0],
        "hand-written person": K0,
    }


KINDS = ["rms person", "relational person", "court respondent", "order", "event", "custody", "hand-written person"]


@pytest.mark.parametrize("which", KINDS)
def test_erasing_a_record_leaves_the_state_of_a_run_never_given_it(which, full, extracts, tmp_path) -> None:
    key = pick_keys(full)[which]
    after, answer = erased(tmp_path, full, key)
    before, removed = fresh(tmp_path, extracts, key)
    assert removed >= 1 and answer["staging"]["rows"] + answer["staging"]["quarantined"] == removed
    assert partition(after) == partition(before)
    for table in ("person_records", "involvements", "orders", "addresses", "custody_records", "notices",
                  "referrals", "warnings"):
        assert staged(after, table) == staged(before, table), table
    assert len(StagingStore(after).read("quarantine")) == len(StagingStore(before).read("quarantine"))
    events = ["event_key", "occurred_at", "ho_code", "offence_group", "da_marker", "da_relevant", "risk",
              "location_postcode"]  # an event staged from the erased row: its postcode from the next row
    assert (StagingStore(after).read("events")[events].sort_values("event_key").to_numpy().tolist()
            == StagingStore(before).read("events")[events].sort_values("event_key").to_numpy().tolist())
    with embedded(after) as ga, embedded(before) as gb:
        assert answers(ga, after) == answers(gb, before)
    assert key not in set(LinkageStore(after).entities()["record_key"])


def test_the_erased_record_s_text_is_nowhere(full, extracts, tmp_path) -> None:
    from linkage.search import search

    after = tmp_path / "after"
    shutil.copytree(full, after)
    name = f"{K0_TEXT['forenames']} {K0_TEXT['surname']}"
    assert K0_TEXT["surname"] in json.dumps(search(after, name, age=53), default=str)  # a saved index holds K0
    answer = pipeline.erase(after, K0, fork=False)
    assert answer["staging"] == {"parts": 1, "rows": 3, "quarantined": 1}
    found = text_everywhere(after)  # the saved search index included (read before a search saves another)
    for what, value in K0_TEXT.items():
        hits = [where for where, text in found if value.lower() in text.lower()]
        assert not hits, f"{what} of the erased record still in {hits[:3]}"
    assert K0_TEXT["surname"] not in json.dumps(search(after, name, age=53), default=str)
    # and each was there before: the test can fail
    found = text_everywhere(full)

    def held(value: str) -> set[str]:
        return {where.split(":")[0] for where, text in found if value.lower() in text.lower()}

    assert {"staging/person_records", "staging/quarantine", "linkage/golden.parquet", "linkage/records.parquet",
            "graph/Person", "graph/PersonRecord"} <= held(K0_TEXT["surname"])
    assert "staging/warnings" in held(K0_TEXT["bad_phone"])
    assert {"staging/person_records", "staging/addresses", "linkage/addresses.parquet"} <= held(K0_TEXT["address"])
    assert all(held(v) for v in K0_TEXT.values())


def text_everywhere(data_dir: Path) -> list[tuple[str, str]]:
    """(where, text) of every string held by staging, linkage outputs, the graph and the exports,
    each read through its own store (Parquet compresses: a byte search would find nothing)."""
    out: list[tuple[str, str]] = []

    def frame_text(where: str, frame: pd.DataFrame | None) -> None:
        if frame is None:
            return
        for col in frame.columns:
            if frame[col].dtype == object:
                out.extend((f"{where}:{col}", str(v)) for v in frame[col].dropna())

    store = StagingStore(data_dir)
    for table in ALL_TABLES:
        frame_text(f"staging/{table}", store.read(table))
    linkage = LinkageStore(data_dir)
    for path in sorted(linkage.root.rglob("*")):
        name = str(path.relative_to(linkage.root))
        if path.suffix == ".parquet":
            frame_text(f"linkage/{name}", linkage.frame(name))
        elif path.is_file():
            out.append((f"linkage/{name}", path.read_bytes().decode("utf-8", "replace")))
    from linkage.entities.export import export_table

    for table in ("orders", "events", "breaches", "addresses"):
        frame_text(f"export/{table}", export_table(data_dir, table))
    with embedded(data_dir) as g:
        for label, node in NODES.items():
            cols = [node.key, *(p for p, t in node.props.items() if t == STRING)]
            q = f"MATCH (n:`{label}`) RETURN " + ", ".join(f"n.{c} AS {c}" for c in cols)
            frame_text(f"graph/{label}", g.frame(q))
        for name, rel in RELS.items():
            cols = [p for p, t in rel.props.items() if t == STRING]
            if cols:
                q = f"MATCH ()-[r:`{rel.type}`]->() RETURN " + ", ".join(f"r.{c} AS {c}" for c in cols)
                frame_text(f"graph/{name}", g.frame(q))
    return out
