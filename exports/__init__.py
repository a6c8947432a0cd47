"""What leaves the system as a file: spreadsheets (:mod:`exports.tables`) and a person's network
for analysts' tools (:mod:`exports.network`: i2 Analyst's Notebook ANX, GraphML, Excel).

The bottom layer: it imports nothing of the product. What it is given has already been scoped and
masked by the layer that asks (the API's routes, the command line); this package only makes every
file the same way: cells that cannot run as formulas, CSV that Excel reads as UTF-8, workbooks
marked OFFICIAL-SENSITIVE.
"""
