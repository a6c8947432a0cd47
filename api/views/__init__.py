"""Scoped, masked views of graph facts that several routers and the command line build answers from."""
