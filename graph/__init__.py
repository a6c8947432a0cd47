"""The POLE graph: embedded LadybugDB by default, Neo4j on request, one Cypher text for both.

``graph.backend.open_graph`` opens it, ``graph.load.load_graph`` fills it from staging and
linkage, ``graph.queries`` answers each user's questions (see graph/README.md).
"""
