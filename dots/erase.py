"""``dots erase RECORD_KEY --reason TEXT``: erase one source record everywhere it reached.

A record recorded in error, or disposed of at review (MoPI), is erased through
:func:`pipeline.erase`: every row of a delivered extract that names the key, in any key field,
leaves staging (its tables, quarantine and warnings, which keep raw text) and the extract files
the API keeps as uploaded (``state/uploads``: written again without those rows, every other byte
kept, :func:`api.store.erasure.forget_uploads`), steward decisions and search indexes naming
what is gone are dropped, and resolution and the graph are run again on what remains (the
embedded graph written anew, so its file keeps no deleted page), so links, golden records,
entities, scores and the graph (embedded or Neo4j) are as if the record had never been
delivered. The API's caches key what they keep by the graph's load stamp and the linkage
outputs' file stamps, so a server on Neo4j forgets what it cached at the erasure's graph load
(an embedded graph is held by its server: the command refuses in one line before erasing
anything, and is run with the server stopped); the API keeps no file waiting to be read (a
download is made when it is asked for), so no export holds the record afterwards. A tombstone
(the kind and the key, no content) makes every later ingest skip rows naming the key, counted as
``erased`` per file.

The s.62 log gets one ``erasure`` record: who (the operating-system user), when, the reason, the
record key and the person id it was linked to, never the erased content. An erasure that was
interrupted is finished by running the same command again; one that finished is refused in one
line, as are an unknown key and a key naming several kinds of record (``--kind`` says which).
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from typing import Any

from dots.failures import CommandError
from dots.options import add_json, progress
from dots.output import print_json
from dots.settings import data_dir

KINDS = ("person", "event", "order", "custody", "notice", "referral")


def cmd_erase(args: argparse.Namespace) -> int:
    import pipeline
    from api.store.erasure import forget_decisions, forget_uploads
    from dots.graphs import graph_uri
    from graph.backend import open_graph
    from linkage.store import LinkageStore

    reason = " ".join((args.reason or "").split())
    if not reason:
        raise CommandError("--reason must say why the record is erased (it goes into the s.62 log)")
    home = data_dir(args.data_dir, create=False)
    staging = home / "staging"
    if not (staging / "parts").is_dir() and not (staging / "tombstones.json").exists():
        raise CommandError(f"nothing is staged in {home}: there is no record to erase (run dots ingest first)")
    uri = graph_uri(args, home, must_exist=False)
    load = uri is not None or (home / "graph" / "pole.lbdb").exists()  # never create a graph to erase from
    entities = LinkageStore(home).entities()
    person_ids = entities.loc[entities["record_key"] == args.record_key, "person_id"].tolist()

    def record(answer: dict[str, Any]) -> None:
        args.access.returned(person_ids, answer["staging"]["rows"] + answer["staging"]["quarantined"])
        args.access.record("ok", 0, f"erased {answer['kind']} record {args.record_key!r}; reason: {reason}")

    with ExitStack() as stack:  # the graph opened first: one a server holds refuses before anything is erased
        graph = stack.enter_context(open_graph(home, uri)) if load else None
        answer = pipeline.erase(
            home, args.record_key, kind=args.kind, graph=graph, load=load, progress=progress(args), before_done=record,
            forget=lambda gone: {"steward_decisions": forget_decisions(home, gone), **forget_uploads(home)},
        )
    if args.json:
        print_json(answer)
    else:
        staged = answer["staging"]
        then = ", ".join(s for s, done in (("resolution", "resolve" in answer), ("graph", "graph" in answer)) if done)
        print(
            f"erased {answer['kind']} record {args.record_key!r}: {staged['rows']} source row(s) in {staged['parts']} "
            f"extract(s), {staged['quarantined']} quarantined row(s); recomputed: {then or 'nothing (not resolved)'}"
        )
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "erase",
        parents=[common],
        help="erase one source record everywhere it reached, logged, and kept out of later deliveries",
        description=(
            "Erase every delivered row that names RECORD_KEY (staging, quarantine and warnings, uploaded extract "
            "files, links, golden records, steward decisions, the graph, search indexes, caches), then resolve "
            "and load the graph "
            "again on what remains. A tombstone keeps the key out of any later delivery (counted as 'erased' "
            "by dots ingest). Logged in the s.62 log with the reason. Run again to finish an interrupted erasure."
        ),
    )
    p.add_argument(
        "record_key",
        metavar="RECORD_KEY",
        help="a record key as the exports give it: {force}/{nominal_ref}, {case_number}/respondent, a case "
        "number, {force}/{occurrence_ref}, {force}/custody/{ref}, {force}/notice/{ref}, {force}/referral/{ref}",
    )
    p.add_argument("--reason", required=True, help="why the record is erased (recorded in the s.62 log)")
    p.add_argument("--kind", choices=KINDS, help="which kind of record, when the key names more than one")
    add_json(p)
    p.set_defaults(func=cmd_erase, access="erasure", justified=False)
