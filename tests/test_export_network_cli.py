"""``dots export network PERSON_ID --format anx|graphml|xlsx --out FILE`` over the API's sample world:
each file opens in its reader (the ANX valid against exports/anx.xsd), holds what the API's export
holds for a national account, carries no confidential address, and the read is logged (s.62)
with every person the file names before it is written; bad requests are one line."""

from __future__ import annotations

import io
from functools import partial
from pathlib import Path

import networkx as nx
import pytest
from lxml import etree
from openpyxl import load_workbook

from exports.network import SCHEMA
from worlds.api import person_of
from worlds.testing import copy_world, last_record
from worlds.testing import dots as run_dots

# the commands read the sample world's graph where this process loaded it (Neo4j when NEO4J_URI is set)
dots = partial(run_dots, same_graph=True)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return copy_world(tmp_path_factory.getbasetemp() / "api_sample_world", tmp_path_factory.mktemp("cli_network"))


def test_each_format_opens_in_its_reader_and_the_read_is_logged(home, tmp_path):
    hall = person_of(home, "Northumbria/NOR1")
    why = ("--purpose", "intelligence", "--reference", "NO-I2-1")
    files = {}
    for fmt in ("anx", "graphml", "xlsx"):
        out = tmp_path / f"hall.{fmt}"
        proc = dots("export", "network", hall, "--format", fmt, "--out", str(out), "--depth", "2", *why, home=home)
        assert proc.returncode == 0, proc.stderr
        files[fmt] = out.read_bytes()
        record = last_record(home)
        assert record["route"] == "dots export network" and record["reference"] == "NO-I2-1"
        assert hall in record["person_ids"] and person_of(home, "Durham/DUR2") in record["person_ids"]
    xsd = etree.XMLSchema(etree.parse(str(SCHEMA)))
    doc = etree.fromstring(files["anx"])
    assert xsd.validate(doc), xsd.error_log
    named = {a.get("Value") for a in doc.iter("Attribute") if a.get("AttributeClass") == "dots person id"}
    assert named == record["person_ids"]  # the log names exactly the people the file names
    g = nx.read_graphml(io.BytesIO(files["graphml"]))
    assert {n for n, d in g.nodes(data=True) if d.get("dots person id")} == named
    wb = load_workbook(io.BytesIO(files["xlsx"]))
    assert wb.sheetnames == ["nodes", "links", "about"]
    black = person_of(home, "Northumbria/NOR3")
    out = tmp_path / "black.anx"
    assert dots("export", "network", black, "--format", "anx", "--out", str(out), *why, home=home).returncode == 0
    assert b"Elm Grove" not in out.read_bytes() and b"SR1 2BB" not in out.read_bytes()  # confidential
    assert dots("audit", "verify", home=home).returncode == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["P-none", "--format", "anx"], "no such person: P-none"),
        (["HALL", "--format", "pdf"], "invalid choice: 'pdf'"),
        (["HALL", "--format", "anx", "--depth", "4"], "must be from 1 to 3"),
    ],
)
def test_bad_requests_are_one_line(home, tmp_path, args, says):
    hall = person_of(home, "Northumbria/NOR1")
    args = [hall if a == "HALL" else a for a in args]
    proc = dots("export", "network", *args, "--out", str(tmp_path / "x"), "--purpose", "intelligence",
                "--reference", "NO-1", home=home)
    assert proc.returncode != 0 and says in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_without_purpose_and_reference_nothing_is_written(home, tmp_path):
    hall = person_of(home, "Northumbria/NOR1")
    proc = dots("export", "network", hall, "--format", "anx", "--out", str(tmp_path / "x.anx"), home=home)
    assert proc.returncode == 1 and "purpose" in proc.stderr and not (tmp_path / "x.anx").exists()
    assert last_record(home)["outcome"] == "refused"
