"""Any source shape resolves: people only, no courts, no incidents, courts only, one force, everything.

Each shape is loaded through the loaders (built-in profiles, or a mapping file for a source of
people only), then person and entity resolution run and every output is read back through the
linkage store. An empty data directory, or one whose only extract was refused row by row, stops
with ``NothingToResolve`` (one line for the CLI), never a traceback from inside a stage.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage.entities.run import resolve_entities
from linkage.errors import LinkageError, NothingToResolve
from linkage.run import resolve
from linkage.store import LinkageStore
from loaders.ingest import ingest_paths
from synth.generate import generate

PEOPLE_MAPPING = """
name: people-list
layout: file
files:
  - name: "*.csv"
    required: [id, first, last, born, street, postcode]
    detect: [id, first, last, born]
    emit:
      person_records:
        - record_key: {template: "list/{id}"}
          source_system: {template: "list"}
          name: {surname: last, forenames: first}
          dob: {column: born, format: "%Y-%m-%d"}
          address: street
          postcode: postcode
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shapes") / "extracts"
    generate(out, people=600, seed=7)
    return out


def _people_only(folder: Path) -> list[Path]:
    """A list of people in a shape no built-in profile knows, and its mapping file."""
    rows = [
        ("1", "Siobhan", "Clarke", "1984-03-12", "14 Elm Street, Durham", "DH1 3AB"),
        ("2", "Siobhan", "Clarke", "1984-03-12", "14 Elm St, Durham", "dh1 3ab"),
        ("3", "Elizabeth Siobhan", "Clarke", "1984-03-12", "", ""),
        ("4", "Mark", "Owen", "1979-11-02", "2 Low Road, Leeds", "LS1 4AA"),
        ("5", "Mark", "Owen", "", "2 Low Road, Leeds", "LS1 4AA"),
        ("6", "Ann", "Price", "1990-01-05", "", ""),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows, columns=["id", "first", "last", "born", "street", "postcode"])
    frame.to_csv(folder / "people.csv", index=False)
    (folder / "people.yaml").write_text(PEOPLE_MAPPING)
    return [folder / "people.csv"]


SHAPES = {
    "everything": lambda w: [p for p in sorted(w.iterdir()) if p.name != "truth"],
    "one_force_flat": lambda w: [w / "northumbria-rms.csv"],
    "one_force_relational": lambda w: [w / "durham"],
    "persons_csv_alone": lambda w: [w / "durham" / "persons.csv"],
    "courts_only": lambda w: [w / "court-orders.csv", w / "court-orders-2.csv"],
    "no_courts": lambda w: [p for p in sorted(w.iterdir()) if p.name != "truth" and not p.name.startswith("court")],
    "no_incidents": lambda w: [w / f / "persons.csv" for f in ("durham", "metropolitan")] + [w / "court-orders.csv"],
}


def _resolve_shape(paths: list[Path], data_dir: Path, mapping: Path | None = None) -> LinkageStore:
    results = ingest_paths(paths, data_dir, mapping=mapping)
    assert sum(r.loaded for r in results) > 0
    summary = resolve(data_dir)
    assert summary["records"] > 0
    resolve_entities(data_dir)
    return LinkageStore(data_dir)


def _check_outputs(store: LinkageStore, data_dir: Path) -> None:
    from staging.store import StagingStore

    staged = set(StagingStore(data_dir).read("person_records", columns=["record_key"])["record_key"])
    entities = store.entities()
    assert set(entities["record_key"]) == staged  # every staged record has a person
    assert entities["person_id"].notna().all()
    assert set(store.golden()["person_id"]) == set(entities["person_id"])
    for name, frame in store.entity_tables().items():
        assert set(store.columns(name)) <= set(frame.columns), name


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_source_shape_resolves(shape: str, world: Path, tmp_path: Path) -> None:
    store = _resolve_shape(SHAPES[shape](world), tmp_path / "data")
    _check_outputs(store, tmp_path / "data")


def _extracts(world: Path) -> list[Path]:
    """Every extract the world has, a relational force's files one by one."""
    out = []
    for p in sorted(world.iterdir()):
        if p.name != "truth":
            out += sorted(p.iterdir()) if p.is_dir() else [p]
    return out


@given(data=st.data())
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_selection_of_extracts_resolves(data: st.DataObject, world: Path, tmp_path: Path) -> None:
    """Shapes nobody listed: any selection of the world's files that stages a person resolves,
    and its outputs read back (a relational force's incidents without its persons, custody alone)."""
    import tempfile

    files = _extracts(world)
    chosen = data.draw(st.lists(st.sampled_from(files), min_size=1, max_size=len(files), unique=True))
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        data_dir = Path(tmp) / "data"
        results = ingest_paths(chosen, data_dir)
        if sum(r.loaded for r in results) == 0:
            return  # nothing this selection could stage (an incidents file alone): NothingToResolve's case
        from staging.store import StagingStore

        if StagingStore(data_dir).read("person_records", columns=["record_key"]).empty:
            with pytest.raises(NothingToResolve):
                resolve(data_dir)
            return
        resolve(data_dir)
        resolve_entities(data_dir)
        _check_outputs(LinkageStore(data_dir), data_dir)


def test_a_people_only_source_through_a_mapping_file_resolves(tmp_path: Path) -> None:
    paths = _people_only(tmp_path / "list")
    store = _resolve_shape(paths, tmp_path / "data", mapping=tmp_path / "list" / "people.yaml")
    _check_outputs(store, tmp_path / "data")
    person = store.entities().set_index("record_key")["person_id"]
    assert person["list/1"] == person["list/2"]  # same name, date of birth and home
    assert person["list/4"] != person["list/6"]
    assert store.orders().empty and store.events().empty


OPTIONAL = {  # a column a list of people may or may not have, and the mapping line that reads it
    "born": '          dob: {column: born, format: "%Y-%m-%d"}',
    "street": "          address: street",
    "postcode": "          postcode: postcode",
}
PEOPLE = [
    ("Siobhan Clarke", "1984-03-12", "14 Elm Street, Durham", "DH1 3AB"),
    ("Mark Owen", "1979-11-02", "2 Low Road, Leeds", "LS1 4AA"),
    ("Ann Price", "1990-01-05", "9 Mill Lane, York", "YO1 7HH"),
]


@given(
    columns=st.sets(st.sampled_from(sorted(OPTIONAL))),
    blank=st.sets(st.sampled_from(sorted(OPTIONAL))),  # present, but never filled in
    rows=st.lists(st.tuples(st.integers(0, len(PEOPLE) - 1), st.booleans()), min_size=1, max_size=8),
)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_people_only_source_of_any_columns_resolves(
    columns: set[str], blank: set[str], rows: list[tuple[int, bool]], tmp_path: Path
) -> None:
    """A list of people with any of date of birth, address and postcode, or none, or the column there
    and empty throughout (a people-only source with no address once ended in a type error)."""
    import tempfile

    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        folder, data_dir = Path(tmp) / "list", Path(tmp) / "data"
        folder.mkdir()
        values = {"born": 1, "street": 2, "postcode": 3}
        frame = pd.DataFrame(
            [
                {"id": str(i), "full_name": PEOPLE[who][0]}
                | {c: ("" if c in blank or not filled else PEOPLE[who][values[c]]) for c in sorted(columns)}
                for i, (who, filled) in enumerate(rows)
            ]
        )
        frame.to_csv(folder / "people.csv", index=False)
        mapping = "\n".join(
            [
                "name: people-any",
                "files:",
                '  - name: "*"',
                "    required: [id, full_name]",
                "    detect: [id, full_name]",
                "    emit:",
                "      person_records:",
                '        - record_key: {template: "PPL/{id}"}',
                '          source_system: {const: "people"}',
                "          name: {full: full_name}",
                *[OPTIONAL[c] for c in sorted(columns)],
            ]
        )
        (folder / "people.yaml").write_text(mapping + "\n")
        store = _resolve_shape([folder / "people.csv"], data_dir, mapping=folder / "people.yaml")
        _check_outputs(store, data_dir)


def test_an_empty_data_directory_stops_with_one_line(tmp_path: Path) -> None:
    for stage in (resolve, resolve_entities):
        with pytest.raises(NothingToResolve) as caught:
            stage(tmp_path / "nothing")
        assert isinstance(caught.value, LinkageError)
        assert "\n" not in str(caught.value) and "run dots ingest" in str(caught.value)


def test_an_extract_refused_row_by_row_leaves_nothing_to_resolve(world: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    flat = pd.read_csv(world / "northumbria-rms.csv", dtype=str, keep_default_na=False)
    flat["surname"], flat["forenames"] = "", ""  # no name at all: every row quarantined
    flat.to_csv(bad / "northumbria-rms.csv", index=False)
    results = ingest_paths([bad / "northumbria-rms.csv"], tmp_path / "data")
    assert sum(r.loaded for r in results) == 0 and sum(r.quarantined for r in results) == len(flat)
    with pytest.raises(NothingToResolve):
        resolve(tmp_path / "data")


def test_a_shape_resolved_twice_and_grown_keeps_its_outputs(world: Path, tmp_path: Path) -> None:
    """People only first, then the force's incidents and the courts arrive: the entity stage runs each time."""
    data_dir = tmp_path / "data"
    _resolve_shape([world / "durham" / "persons.csv"], data_dir)
    shutil.copytree(world / "durham", tmp_path / "durham")
    store = _resolve_shape([tmp_path / "durham", world / "court-orders.csv"], data_dir)
    _check_outputs(store, data_dir)
    assert not store.orders().empty
