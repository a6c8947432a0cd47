"""Entity resolution beyond people: addresses, orders and incidents, breaches and co-residence.

``run.resolve_entities(data_dir)`` runs after person resolution (``dots resolve``) and writes
under data_dir/linkage: addresses, orders, events, breaches, residence, coresidence and the
steward review table entity_pairs. Each kind is a model written as data (``<kind>.yaml``) and
scored, explained, clustered and named with the person engine's machinery (engine.py); the kind
modules (addresses.py, orders.py, events.py) only say how two records compare and which hard
rules hold. Outputs (and stewards' decisions) are read and written through ``linkage.store``; CSV
exports are in export.py, explanations in explain.py, one printable example of each in demo.py.
"""
