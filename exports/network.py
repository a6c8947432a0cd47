"""A person's network as files for analysts' tools: i2 Analyst's Notebook (ANX), GraphML (Gephi,
yEd, networkx) and Excel (nodes and links).

The network arrives as a :class:`Chart` that the asking layer has already scoped and masked
(``api.views.network``): people held only by forces outside the account are nodes that say which
force holds them and nothing else; a confidential address is not in it at all. This module only
writes it, the same chart in each format, so the three files always agree.

**ANX** is the XML that Analyst's Notebook imports (File > Open, ``.anx``). What we write is our
reading of its schema, kept as ``exports/anx.xsd`` and checked against every file the tests make:
a ``Chart`` holding strength, attribute class, entity type and link type collections, a summary
(title, subject, the OFFICIAL-SENSITIVE marking as its category, the author) and the chart items.
Each entity is a ``ChartItem`` with an ``End``/``Entity`` drawn as an icon of its type (Person,
Event, Order, Location), the date of the thing it stands for, the record it came from as the item's
source reference, and its provenance as attributes (record keys, forces, ids). Each link is a
``ChartItem`` with a ``Link`` between two entity ids, labelled by role (suspect, victim, respondent,
protected, lived at, intimate partner ...) with its date and, for an unconfirmed link (an order's
party held elsewhere, people only co-involved), a dashed strength. Items are laid out with a seeded
spring layout so a chart opens readable and the same network always gives the same file.

**GraphML** comes from networkx (``write_graphml``): every node and edge attribute as a string,
integer or float, since GraphML holds no lists or missing values.
"""

from __future__ import annotations

import datetime as dt
import io
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from exports.tables import MARKING, Table, xlsx_bytes

Kind = Literal["Person", "Event", "Order", "Location"]
KINDS: tuple[Kind, ...] = ("Person", "Event", "Order", "Location")
# i2's standard icon keys for each entity type (ANB falls back to the type's default when a
# library lacks one)
ICONS: dict[str, str] = {"Person": "person", "Event": "event", "Order": "document", "Location": "house"}
# link colours as Windows COLORREF numbers (0x00BBGGRR), by the role a link stands for
COLOURS: dict[str, int] = {
    "suspect": 0x2B39C0,
    "victim": 0x0B8EE0,
    "witness": 0x8D8C7F,
    "respondent": 0x2B39C0,
    "protected": 0x60AE27,
    "lived at": 0x6E8D8D,
}
FORMATS = {
    "anx": ("application/xml", "anx"),
    "graphml": ("application/graphml+xml", "graphml"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
Format = Literal["anx", "graphml", "xlsx"]
SCHEMA = Path(__file__).with_name("anx.xsd")
SPREAD = 900.0  # half the chart's width in ANB's units


@dataclass
class Node:
    """One thing on the chart. ``attributes`` are provenance and facts (text, numbers, dates)."""

    id: str
    kind: Kind
    label: str
    date: dt.date | None = None
    source: str | None = None  # the record it came from (a record key)
    source_type: str | None = None  # the system that holds it (a force's RMS, a court)
    description: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Edge:
    """A link between two nodes, labelled by the role it stands for."""

    src: str
    dst: str
    label: str
    date: dt.date | None = None
    until: dt.date | None = None
    confirmed: bool = True
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Chart:
    """A person's network, scoped and masked, with what the file says about itself."""

    subject_id: str
    title: str
    nodes: list[Node]
    edges: list[Edge]
    author: str = ""
    notes: list[str] = field(default_factory=list)  # e.g. "1 confidential address withheld"
    created: dt.datetime | None = None
    marking: str = MARKING

    def check(self) -> None:
        """Every link joins two nodes of the chart and every node id is unique (ValueError)."""
        ids = [n.id for n in self.nodes]
        if len(set(ids)) != len(ids):
            raise ValueError("a chart node id appears twice")
        missing = {e.src for e in self.edges} | {e.dst for e in self.edges}
        missing -= set(ids)
        if missing:
            raise ValueError(f"links to nodes not on the chart: {sorted(missing)[:3]}")


def as_day(value: Any) -> dt.date | None:
    """A day from what the graph answers (a date, a datetime, ISO text; None, NaN or junk: None)."""
    if value is None or value == "" or value != value:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _flat(value: Any) -> Any:
    """A value GraphML, ANX and a cell can hold: lists joined, dates as ISO text, None dropped."""
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return "; ".join(str(v) for v in items if v is not None) or None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    return value


def _attributes(obj: Node | Edge) -> dict[str, Any]:
    out = {k: _flat(v) for k, v in obj.attributes.items()}
    return {k: v for k, v in out.items() if v is not None and v != ""}


# -- layout ----------------------------------------------------------------------------------------


def layout(chart: Chart) -> dict[str, tuple[int, int]]:
    """Seeded spring layout (networkx) in ANB's coordinates, the subject at the centre."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(n.id for n in chart.nodes)
    g.add_edges_from((e.src, e.dst) for e in chart.edges)
    if not g:
        return {}
    fixed = {chart.subject_id: (0.0, 0.0)} if chart.subject_id in g and len(g) > 1 else None
    pos = nx.spring_layout(g, seed=7, pos=fixed, fixed=list(fixed) if fixed else None, k=None, iterations=80)
    span = max((max(abs(x), abs(y)) for x, y in pos.values()), default=1.0) or 1.0
    return {n: (round(x / span * SPREAD), round(y / span * SPREAD)) for n, (x, y) in pos.items()}


# -- ANX -------------------------------------------------------------------------------------------


def _att_type(value: Any) -> str:
    if isinstance(value, bool):
        return "AttFlag"
    if isinstance(value, int | float):
        return "AttNumber"
    return "AttText"


def _anx_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _when(day: dt.date | None) -> dict[str, str]:
    if day is None:
        return {}
    return {"DateSet": "true", "TimeSet": "false", "DateTime": f"{day.isoformat()}T00:00:00"}


def _clean(text: Any) -> str:
    """Text XML 1.0 can hold (control characters from a bad extract dropped)."""
    return "".join(ch for ch in str(text) if ch in "\t\n\r" or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff"))


def _name(text: Any, default: str) -> str:
    """A name ANB can key on: cleaned, trimmed, not empty, at most 250 characters."""
    return _clean(text).strip()[:250] or default


def to_anx(chart: Chart) -> bytes:
    """The chart as i2 Analyst's Notebook Exchange XML (see the module's docstring)."""
    chart.check()
    created = (chart.created or dt.datetime.now(dt.UTC)).replace(microsecond=0, tzinfo=None)
    root = ET.Element(
        "Chart", {"IdReferenceLinking": "false", "Rigorous": "true", "UseLocalTimeZone": "false", "ShowPages": "false"}
    )
    ET.SubElement(root, "ApplicationVersion", {"Major": "9", "Minor": "0", "Point": "0", "Build": "0"})
    strengths = ET.SubElement(root, "StrengthCollection")
    ET.SubElement(strengths, "Strength", {"Id": "ST1", "Name": "Confirmed", "DotStyle": "DotStyleSolid"})
    ET.SubElement(strengths, "Strength", {"Id": "ST2", "Name": "Unconfirmed", "DotStyle": "DotStyleDashed"})

    # attribute classes: one per attribute name, typed by its values (a name whose values differ in
    # type is text throughout, so every value of a class has the class's type)
    classes: dict[str, str] = {}
    for obj in [*chart.nodes, *chart.edges]:
        for name, value in _attributes(obj).items():
            t = _att_type(value)
            key = _name(name, "attribute")
            classes[key] = t if classes.get(key, t) == t else "AttText"
    class_ids = {name: f"AC{i}" for i, name in enumerate(sorted(classes), start=1)}
    if classes:
        acc = ET.SubElement(root, "AttributeClassCollection")
        for name in sorted(classes):
            ET.SubElement(
                acc,
                "AttributeClass",
                {
                    "Id": class_ids[name],
                    "Name": name,
                    "Type": classes[name],
                    "IsUser": "true",
                    "UserCanAdd": "true",
                    "UserCanRemove": "true",
                    "ShowValue": "true",
                    "ShowClassName": "true",
                    "Visible": "false",
                },
            )
    kinds = [k for k in KINDS if any(n.kind == k for n in chart.nodes)]
    type_ids = {k: f"ET{i}" for i, k in enumerate(kinds, start=1)}
    if kinds:
        etc = ET.SubElement(root, "EntityTypeCollection")
        for k in kinds:
            ET.SubElement(
                etc,
                "EntityType",
                {"Id": type_ids[k], "Name": k, "IconFile": ICONS[k], "PreferredRepresentation": "RepresentAsIcon"},
            )
    roles = sorted({_name(e.label, "link") for e in chart.edges})
    link_ids = {r: f"LT{i}" for i, r in enumerate(roles, start=1)}
    if roles:
        ltc = ET.SubElement(root, "LinkTypeCollection")
        for r in roles:
            ET.SubElement(ltc, "LinkType", {"Id": link_ids[r], "Name": r, "Colour": str(COLOURS.get(r, 0))})

    summary = ET.SubElement(root, "Summary")
    fields = ET.SubElement(summary, "FieldCollection")
    for kind, text in (
        ("SummaryFieldTitle", chart.title),
        ("SummaryFieldSubject", f"Network of {chart.subject_id}"),
        ("SummaryFieldCategory", chart.marking),
        ("SummaryFieldAuthor", chart.author),
        ("SummaryFieldComments", " ".join([chart.marking + ".", *chart.notes])),
    ):
        if text:
            ET.SubElement(fields, "Field", {"Type": kind, "Field": _clean(text)})
    ET.SubElement(summary, "Origin", {"CreatedDate": created.isoformat(), "EditTime": "0", "RevisionNumber": "1"})

    items = ET.SubElement(root, "ChartItemCollection")
    positions = layout(chart)
    entity_ids = {n.id: i for i, n in enumerate(chart.nodes, start=1)}
    item = 0

    def add_attributes(ci: ET.Element, obj: Node | Edge) -> None:
        found: dict[str, Any] = {}
        for name, value in _attributes(obj).items():
            found.setdefault(_name(name, "attribute"), value)  # two names alike once cleaned: the first
        if found:
            coll = ET.SubElement(ci, "AttributeCollection")
            for name, value in found.items():
                text = _anx_value(value) if classes[name] != "AttText" else str(value)
                ET.SubElement(
                    coll,
                    "Attribute",
                    {"AttributeClass": name, "AttributeClassReference": class_ids[name], "Value": _clean(text)},
                )

    identities: dict[str, str] = {}  # node id -> its Identity, unique once cleaned
    for n in chart.nodes:
        base = _name(n.id, "entity")
        identity, k = base, 1
        while identity in identities.values():
            k += 1
            identity = f"{base}~{k}"
        identities[n.id] = identity

    for n in chart.nodes:
        item += 1
        x, y = positions.get(n.id, (0, 0))
        attrs = {"Id": f"CI{item}", "Label": _clean(n.label), "XPosition": str(x), **_when(n.date)}
        if n.description:
            attrs["Description"] = _clean(n.description)
        if n.source:
            attrs["SourceReference"] = _clean(n.source)
        if n.source_type:
            attrs["SourceType"] = _clean(n.source_type)
        ci = ET.SubElement(items, "ChartItem", attrs)
        end = ET.SubElement(ci, "End", {"X": str(x), "Y": str(y), "Z": "0"})
        entity = ET.SubElement(
            end, "Entity", {"EntityId": str(entity_ids[n.id]), "Identity": identities[n.id], "LabelIsIdentity": "false"}
        )
        icon = ET.SubElement(entity, "Icon")
        ET.SubElement(icon, "IconStyle", {"Type": n.kind, "EntityTypeReference": type_ids[n.kind]})
        add_attributes(ci, n)
    for e in chart.edges:
        item += 1
        role = _name(e.label, "link")
        attrs = {"Id": f"CI{item}", "Label": _clean(e.label), **_when(e.date)}
        if e.until is not None:
            attrs["Description"] = f"{e.date.isoformat() if e.date else '?'} to {e.until.isoformat()}"
        ci = ET.SubElement(items, "ChartItem", attrs)
        link = ET.SubElement(ci, "Link", {"End1Id": str(entity_ids[e.src]), "End2Id": str(entity_ids[e.dst])})
        ET.SubElement(
            link,
            "LinkStyle",
            {
                "Strength": "Confirmed" if e.confirmed else "Unconfirmed",
                "Type": role,
                "LinkTypeReference": link_ids[role],
                "ArrowStyle": "ArrowOnHead",
                "LineColour": str(COLOURS.get(role, 0)),
            },
        )
        add_attributes(ci, e)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# -- GraphML and XLSX ------------------------------------------------------------------------------


def to_networkx(chart: Chart) -> Any:
    """The chart as a networkx MultiDiGraph (attributes flattened to what GraphML holds)."""
    import networkx as nx

    chart.check()
    g = nx.MultiDiGraph(title=_clean(chart.title), subject=_clean(chart.subject_id), marking=chart.marking)
    if chart.notes:
        g.graph["notes"] = _clean(" ".join(chart.notes))
    nodes = [({"kind": n.kind, "label": n.label, "date": _flat(n.date), "source": n.source,
               "source_type": n.source_type, **_attributes(n)}) for n in chart.nodes]
    edges = [({"label": e.label, "date": _flat(e.date), "until": _flat(e.until), "confirmed": e.confirmed,
               **_attributes(e)}) for e in chart.edges]
    ids = {n.id: _name(n.id, "node") for n in chart.nodes}
    if len(set(ids.values())) != len(ids):  # ids alike once cleaned: numbered
        ids = {n.id: f"{_name(n.id, 'node')}~{i}" for i, n in enumerate(chart.nodes, start=1)}
    for n, data in zip(chart.nodes, _graphml_values(nodes), strict=True):
        g.add_node(ids[n.id], **data)
    for e, data in zip(chart.edges, _graphml_values(edges), strict=True):
        g.add_edge(ids[e.src], ids[e.dst], **data)
    return g


def _graphml_values(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attributes GraphML can declare: clean keys and text, and one type per key (text when a
    key's values differ in type, as one GraphML key has one type)."""
    cleaned = [{_name(k, "attribute"): v for k, v in r.items() if v is not None} for r in rows]
    types: dict[str, type] = {}
    for r in cleaned:
        for k, v in r.items():
            t = bool if isinstance(v, bool) else int if isinstance(v, int) else float if isinstance(v, float) else str
            types[k] = t if types.get(k, t) is t else str
    return [{k: (_clean(v) if types[k] is str else v) for k, v in r.items()} for r in cleaned]


def to_graphml(chart: Chart) -> bytes:
    import networkx as nx

    buf = io.BytesIO()
    nx.write_graphml(to_networkx(chart), buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue()


NODE_COLUMNS = ["id", "kind", "label", "date", "source", "source_type", "description"]
LINK_COLUMNS = ["from", "from_label", "to", "to_label", "role", "date", "until", "confirmed"]


def tables(chart: Chart) -> list[Table]:
    """The chart as two lists: its nodes and its links (with each node's attributes as columns)."""
    chart.check()
    label = {n.id: n.label for n in chart.nodes}
    node_extra = sorted({k for n in chart.nodes for k in _attributes(n)})
    link_extra = sorted({k for e in chart.edges for k in _attributes(e)})
    nodes = [
        [n.id, n.kind, n.label, n.date, n.source, n.source_type, n.description]
        + [_attributes(n).get(k) for k in node_extra]
        for n in chart.nodes
    ]
    links = [
        [e.src, label[e.src], e.dst, label[e.dst], e.label, e.date, e.until, "yes" if e.confirmed else "no"]
        + [_attributes(e).get(k) for k in link_extra]
        for e in chart.edges
    ]
    return [Table("nodes", NODE_COLUMNS + node_extra, nodes), Table("links", LINK_COLUMNS + link_extra, links)]


def to_xlsx(chart: Chart, about: Sequence[tuple[str, Any]] = ()) -> bytes:
    lines = [("network of", chart.subject_id), *about, *(("note", n) for n in chart.notes)]
    return xlsx_bytes(tables(chart), lines, title=chart.title, marking=chart.marking)


def render(chart: Chart, fmt: Format, about: Sequence[tuple[str, Any]] = ()) -> bytes:
    """The chart in ``fmt`` (anx, graphml or xlsx)."""
    if fmt == "anx":
        return to_anx(chart)
    if fmt == "graphml":
        return to_graphml(chart)
    if fmt == "xlsx":
        return to_xlsx(chart, about)
    raise ValueError(f"unknown format {fmt!r}: anx, graphml or xlsx")
