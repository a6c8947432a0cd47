"""Errors linkage raises for a caller to report in one line (the CLI, the API's jobs).

Anything else linkage raises is a fault in the code, and should show as one.
"""

from __future__ import annotations


class LinkageError(ValueError):
    """A resolution that cannot run on the data as given; the message is one line for a person."""


class NothingToResolve(LinkageError):
    """No person records are staged: there is nothing to link yet."""

    def __init__(self, data_dir: object = None):
        where = f" in {data_dir}" if data_dir is not None else ""
        super().__init__(f"nothing to resolve{where}: no person records are staged (run dots ingest first)")
