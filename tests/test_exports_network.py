"""A person's network as files (exports.network): the i2 chart (ANX) is valid against our reading
of its schema (exports/anx.xsd) for any chart, however its names are spelt; GraphML reads back
into networkx with every node, link and attribute; the workbook opens with a nodes and a links
sheet. The API's and the command line's exports of the sample world are tested with their routes
(tests/test_api_routes.py) and commands (tests/test_export_network_cli.py)."""

from __future__ import annotations

import datetime as dt
import io

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from openpyxl import load_workbook

from exports.network import KINDS, SCHEMA, Chart, Edge, Node, render, to_anx, to_graphml, to_xlsx

XSD = etree.XMLSchema(etree.parse(str(SCHEMA)))


def valid_anx(body: bytes) -> etree._Element:
    """The chart parsed, after checking it against exports/anx.xsd (AssertionError naming why not)."""
    doc = etree.fromstring(body)
    assert XSD.validate(doc), XSD.error_log
    return doc


def small_chart() -> Chart:
    day = dt.date(2024, 5, 1)
    nodes = [
        Node("P1", "Person", "David HALL", dt.date(1984, 3, 12), "Northumbria/NOR1", "Northumbria Police",
             attributes={"record keys": ["Northumbria/NOR1", "Durham/DUR1"], "hop": 0, "betweenness": 0.5}),
        Node("P2", "Person", "Karen BLACK", attributes={"dots person id": "P2"}),
        Node("E1", "Event", "Assault (2024-05-01)", day, "Northumbria/NO/1/24", attributes={"domestic abuse": True}),
        Node("O1", "Order", "non molestation", dt.date(2023, 10, 1), attributes={"conditions": ["no_contact"]}),
        Node("A1", "Location", "1 High Street", attributes={"postcode": "NE1 1AA"}),
    ]
    edges = [
        Edge("P1", "E1", "suspect", day),
        Edge("P2", "E1", "victim", day),
        Edge("P1", "O1", "respondent", dt.date(2023, 10, 1), dt.date(2025, 9, 30)),
        Edge("P2", "O1", "protected", dt.date(2023, 10, 1), dt.date(2025, 9, 30)),
        Edge("P1", "A1", "lived at", dt.date(2019, 4, 5), dt.date(2024, 6, 12)),
        Edge("P2", "P1", "intimate", confirmed=False, attributes={"event ids": ["E1"]}),
    ]
    return Chart("P1", "Network of David HALL (P1)", nodes, edges, author="analyst", notes=["1 withheld."])


def test_the_chart_is_typed_dated_and_attributed_as_i2_reads_it():
    doc = valid_anx(to_anx(small_chart()))
    types = {t.get("Name"): t.get("IconFile") for t in doc.iter("EntityType")}
    assert types == {"Person": "person", "Event": "event", "Order": "document", "Location": "house"}
    items = {ci.get("Label"): ci for ci in doc.iter("ChartItem")}
    hall = items["David HALL"]
    assert hall.find("End/Entity/Icon/IconStyle").get("Type") == "Person"
    assert hall.get("DateTime") == "1984-03-12T00:00:00" and hall.get("SourceReference") == "Northumbria/NOR1"
    attrs = {a.get("AttributeClass"): a.get("Value") for a in hall.iter("Attribute")}
    assert attrs["record keys"] == "Northumbria/NOR1; Durham/DUR1" and attrs["hop"] == "0"
    classes = {c.get("Name"): c.get("Type") for c in doc.iter("AttributeClass")}
    assert classes["record keys"] == "AttText" and classes["hop"] == "AttNumber"
    assert classes["domestic abuse"] == "AttFlag"
    links = {ci.get("Label"): ci for ci in doc.iter("ChartItem") if ci.find("Link") is not None}
    assert set(links) == {"suspect", "victim", "respondent", "protected", "lived at", "intimate"}
    assert links["respondent"].get("DateTime") == "2023-10-01T00:00:00"
    assert links["respondent"].get("Description") == "2023-10-01 to 2025-09-30"
    assert links["intimate"].find("Link/LinkStyle").get("Strength") == "Unconfirmed"
    summary = {f.get("Type"): f.get("Field") for f in doc.iter("Field")}
    assert summary["SummaryFieldCategory"] == "OFFICIAL-SENSITIVE" and "1 withheld." in summary["SummaryFieldComments"]


def test_the_schema_refuses_what_i2_would_not_open():
    """The schema can fail: a link to an entity not on the chart, an undeclared type, a date with a zone."""
    good = to_anx(small_chart())
    for broken in (
        good.replace(b'End2Id="3"', b'End2Id="99"', 1),
        good.replace(b'<IconStyle Type="Event"', b'<IconStyle Type="Vehicle"', 1),
        good.replace(b'T00:00:00"', b'T00:00:00Z"', 1),
        good.replace(b'Type="AttText"', b'Type="AttDateTime"', 1),
    ):
        assert broken != good
        assert not XSD.validate(etree.fromstring(broken))


names = st.text(min_size=1, max_size=30)


@st.composite
def charts(draw) -> Chart:
    ids = draw(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8, unique=True))
    nodes = [
        Node(i, draw(st.sampled_from(KINDS)), draw(names), draw(st.none() | st.dates()), draw(st.none() | names),
             attributes={draw(names): draw(st.none() | names | st.integers(-9, 9) | st.booleans())})
        for i in ids
    ]
    edges = [
        Edge(draw(st.sampled_from(ids)), draw(st.sampled_from(ids)), draw(names), draw(st.none() | st.dates()),
             confirmed=draw(st.booleans()))
        for _ in range(draw(st.integers(0, 10)))
    ]
    return Chart(ids[0], draw(names), nodes, edges, author=draw(st.text(max_size=10)))


@given(charts())
def test_any_chart_is_valid_anx_and_reads_back_as_graphml_and_xlsx(chart):
    doc = valid_anx(to_anx(chart))
    assert len([c for c in doc.iter("ChartItem") if c.find("End") is not None]) == len(chart.nodes)
    assert len([c for c in doc.iter("ChartItem") if c.find("Link") is not None]) == len(chart.edges)
    g = nx.read_graphml(io.BytesIO(to_graphml(chart)), force_multigraph=True)
    assert g.number_of_nodes() == len(chart.nodes) and g.number_of_edges() == len(chart.edges)
    assert {d["kind"] for _, d in g.nodes(data=True)} == {n.kind for n in chart.nodes}
    wb = load_workbook(io.BytesIO(to_xlsx(chart)))
    assert wb.sheetnames == ["nodes", "links", "about"]
    assert wb["nodes"].max_row == len(chart.nodes) + 1 and wb["links"].max_row == len(chart.edges) + 1


def test_a_chart_with_a_link_to_nowhere_is_refused_not_written():
    chart = small_chart()
    chart.edges.append(Edge("P1", "nowhere", "suspect"))
    for fmt in ("anx", "graphml", "xlsx"):
        with pytest.raises(ValueError, match="not on the chart"):
            render(chart, fmt)
