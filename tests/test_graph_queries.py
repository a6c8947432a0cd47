"""Conformance suite: every query on every backend equals an independent pandas computation.

The oracle below reads the staged tables directly (never the graph, never graph.build) and
answers each question again; the backend fixture runs the suite on LadybugDB always and on
Neo4j when NEO4J_URI is set.
"""

from __future__ import annotations

import datetime as dt
from itertools import combinations

import pandas as pd
import pytest

from graph import queries as Q

AS_OF = dt.date(2024, 6, 30)
KINDS = {"intimate", "family"}


# -- the oracle ------------------------------------------------------------------------------------


class Oracle:
    """The same questions answered from staging with pandas."""

    def __init__(self, st: dict[str, pd.DataFrame], entities: pd.DataFrame):
        person = entities.set_index("record_key")["person_id"]
        recs = st["person_records"].drop_duplicates("record_key", keep="last")
        self.person_of = recs["record_key"].map(person).fillna(recs["record_key"])
        self.person_of.index = recs["record_key"]
        ev = st["events"].drop_duplicates("event_key", keep="last").copy()
        inv = st["involvements"].drop_duplicates(["event_key", "record_key", "role"], keep="last").copy()
        inv["person"] = inv["record_key"].map(self.person_of)
        named = set(inv.loc[inv["relationship"].isin(KINDS), "event_key"])
        ev["day"] = pd.to_datetime(ev["occurred_at"]).dt.date
        ev["da"] = (
            ev["da_relevant"].fillna(False) | ev["da_marker"].fillna(False) | ev["event_key"].isin(named)
        )
        self.ev = ev.set_index("event_key")
        self.inv = inv
        sus = inv[inv["role"] == "suspect"][["event_key", "person", "record_key"]]
        vic = inv[inv["role"] == "victim"][["event_key", "person", "relationship", "record_key"]]
        pairs = sus.merge(vic, on="event_key", suffixes=("_s", "_v"))
        pairs = pairs[pairs["person_s"] != pairs["person_v"]]
        pairs = pairs.assign(
            day=pairs["event_key"].map(self.ev["day"]),
            force=pairs["event_key"].map(self.ev["force_code"]),
            da=pairs["event_key"].map(self.ev["da"]),
        )
        self.pairs = pairs
        rel = pairs[pairs["relationship"].isin(KINDS)]
        ties = set(zip(rel["person_s"], rel["person_v"], strict=True))
        for _, grp in vic.groupby("event_key"):
            ties |= set(combinations(sorted(set(grp["person"])), 2))
        self.ties = ties | {(b, a) for a, b in ties}
        self.orders = st["orders"].drop_duplicates("order_key", keep="last").copy()
        self.orders["respondent"] = self.orders["respondent_key"].map(self.person_of)
        self.orders["protected"] = self.orders["protected_key"].map(self.person_of)
        for c in ("made_on", "expires_on"):
            self.orders[c] = pd.to_datetime(self.orders[c]).dt.date.where(self.orders[c].notna(), None)
        self.records = recs.assign(person=recs["record_key"].map(self.person_of))

    def links(self, kinds: set[str], any_da: bool = False, since=None, force=None) -> pd.DataFrame:
        p = self.pairs[self.pairs["relationship"].isin(kinds) | (any_da & self.pairs["da"])]
        if since is not None:
            p = p[p["day"] >= since]
        if force is not None:
            p = p[p["force"] == force]
        return p

    def serial(self, min_victims=2, kinds=("intimate",), any_da=False, since=None, force=None) -> dict:
        out = {}
        for perp, grp in self.links(set(kinds), any_da, since, force).groupby("person_s"):
            victims = sorted(set(grp["person_v"]))
            groups = {v: v for v in victims}
            for a, b in combinations(victims, 2):
                if (a, b) in self.ties:
                    groups[_root(groups, a)] = _root(groups, b)
            n = len({_root(groups, v) for v in victims})
            if n >= min_victims:
                out[perp] = (n, ";".join(sorted(set(grp["force"]))))
        return out

    def cross_force(self) -> set:
        p = self.links(KINDS, any_da=True)
        forces, victims = p.groupby("person_s")["force"].nunique(), p.groupby("person_s")["person_v"].nunique()
        p = p[p["person_s"].isin(forces[(forces > 1) & (victims > 1)].index)]
        return set(zip(p["person_s"], p["person_v"], p["force"], strict=True))

    def victims_multi_force(self) -> dict:
        p = self.links(KINDS, any_da=True)
        f = p.groupby("person_v")["force"].agg(lambda s: ";".join(sorted(set(s))))
        return {v: fs for v, fs in f.items() if ";" in fs}

    def repeat_victims(self, window_days=365, same_perpetrator=False) -> dict:
        v = self.inv[self.inv["role"] == "victim"].copy()
        v = v[v["event_key"].map(self.ev["da"]) | v["relationship"].isin(KINDS)]
        v["day"] = v["event_key"].map(self.ev["day"])
        sus = self.inv[self.inv["role"] == "suspect"].groupby("event_key")["person"].agg(set)
        out = {}
        for person, grp in v.drop_duplicates(["person", "event_key"]).groupby("person"):
            evs = grp.sort_values(["day", "event_key"])[["event_key", "day"]].values.tolist()
            rep = set()
            for j, (e, d) in enumerate(evs):
                for pe, pd_ in evs[:j]:
                    if (d - pd_).days <= window_days and (
                        not same_perpetrator or sus.get(e, set()) & sus.get(pe, set())
                    ):
                        rep.add(e)
            if rep:
                out[person] = ";".join(sorted(rep))
        return out

    def targets(self, force: str, as_of: dt.date) -> pd.DataFrame:
        since = as_of - dt.timedelta(days=730)
        s = self.inv[self.inv["role"] == "suspect"].drop_duplicates(["person", "event_key"])
        s = s.assign(
            day=s["event_key"].map(self.ev["day"]),
            force=s["event_key"].map(self.ev["force_code"]),
            da=s["event_key"].map(self.ev["da"]),
            grp=s["event_key"].map(self.ev["offence_group"]),
        )
        s = s[(s["force"] == force) & s["da"] & (s["day"] >= since) & (s["day"] <= as_of)]
        harm = {
            "violence_with_injury": 365,
            "violence_without_injury": 10,
            "stalking_harassment": 10,
            "criminal_damage": 2,
            "public_order": 7.5,
            "rape": 2555,
            "other_sexual": 182,
            "non_crime": 0,
        }
        vic = self.inv[self.inv["role"] == "victim"].groupby("event_key")["person"].agg(set)
        rows = []
        for person, grp in s.groupby("person"):
            days = (as_of - grp["day"].max()).days
            victims = set().union(*[vic.get(e, set()) for e in grp["event_key"]]) - {person}
            rows.append(
                {
                    "person_id": person,
                    "recency_days": days,
                    "recency": 4 if days <= 90 else 3 if days <= 180 else 2 if days <= 365 else 1,
                    "frequency": min(grp["event_key"].nunique(), 10),
                    "gravity": float(grp["grp"].map(harm).fillna(0).sum()),
                    "victims": len(victims),
                }
            )
        out = pd.DataFrame(rows)
        out["score"] = sum(out[c].rank(pct=True) for c in ("recency", "frequency", "gravity", "victims"))
        out = out.sort_values(["score", "gravity", "person_id"], ascending=[False, False, True])
        return out.reset_index(drop=True)

    def active_orders(self, day: dt.date) -> set:
        o = self.orders
        ok = (o["made_on"] <= day) & (
            o["until_further_order"].fillna(False)
            | o["expires_on"].isna()
            | o["expires_on"].map(lambda d: d is not None and d >= day)
        )
        return set(o.loc[ok, "order_key"])

    def breaches(self) -> set:
        inv = self.inv.drop_duplicates(["event_key", "person"])
        people = inv.groupby("event_key")["person"].agg(set)
        out = set()
        for o in self.orders.itertuples():
            for e, ps in people.items():
                day = self.ev.at[e, "day"]
                if (
                    o.respondent in ps
                    and o.protected in ps
                    and o.respondent != o.protected
                    and day >= o.made_on
                    and (o.until_further_order or o.expires_on is None or day <= o.expires_on)
                ):
                    out.add((o.order_key, e))
        return out


def _root(groups: dict, x: str) -> str:
    while groups[x] != x:
        x = groups[x]
    return x


@pytest.fixture(scope="module")
def oracle(graph_staging, graph_world) -> Oracle:
    return Oracle(graph_staging, graph_world[2])


# -- serial perpetrators and cross-force victims ---------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"min_victims": 3},
        {"relationships": "any"},
        {"relationships": "family", "min_victims": 1},
        {"since": dt.date(2022, 1, 1)},
        {"force": "E23000013"},
    ],
)
def test_serial_perpetrators_equal_oracle(graph_backend, oracle, kw):
    got = Q.serial_perpetrators(graph_backend, **kw)
    kinds = {"intimate": ("intimate",), "family": ("family",), "any": ("intimate", "family")}[
        kw.get("relationships", "intimate")
    ]
    want = oracle.serial(
        kw.get("min_victims", 2), kinds, kw.get("relationships") == "any", kw.get("since"), kw.get("force")
    )
    assert dict(zip(got["person_id"], zip(got["victims"], got["forces"], strict=True), strict=True)) == want
    assert (got["cross_force"] == (got["n_forces"] > 1)).all()
    assert got["event_ids"].str.len().gt(0).all() and got["record_keys"].str.len().gt(0).all()


def test_serial_counts_connected_victims_once(graph_backend, oracle):
    """Victims tied to each other (a relationship, or victims together in one event) count once."""
    loose = Q.serial_perpetrators(graph_backend, relationships="any", min_victims=1)
    assert (loose["victims"] <= loose["distinct_victims"]).all()


def test_cross_force_victims_equal_oracle(graph_backend, oracle):
    got = Q.cross_force_victims(graph_backend)
    rows = set(zip(got["perpetrator_id"], got["victim_id"], got["force"], strict=True))
    assert rows == oracle.cross_force()
    ev_force = oracle.ev["force_code"]
    for row in got.itertuples():  # each row's evidence is that force's events
        assert row.event_ids and all(ev_force[e] == row.force for e in row.event_ids.split(";"))


def test_victims_in_multiple_forces_equal_oracle(graph_backend, oracle):
    got = Q.victims_in_multiple_forces(graph_backend)
    assert dict(zip(got["victim_id"], got["forces"], strict=True)) == oracle.victims_multi_force()


# -- repeat victims ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kw", [{}, {"window_days": 90}, {"same_perpetrator": True}])
def test_repeat_victims_equal_oracle(graph_backend, oracle, kw):
    got = Q.repeat_victims(graph_backend, **kw)
    want = oracle.repeat_victims(kw.get("window_days", 365), kw.get("same_perpetrator", False))
    assert dict(zip(got["person_id"], got["repeat_event_ids"], strict=True)) == want


# -- targets -----------------------------------------------------------------------------------------


def test_targets_equal_oracle(graph_backend, oracle):
    got = Q.targets(graph_backend, "E23000013", AS_OF)
    want = oracle.targets("E23000013", AS_OF)
    assert list(got["person_id"]) == list(want["person_id"])
    for col in ("recency", "frequency", "victims", "recency_days"):
        assert list(got[col]) == list(want[col]), col
    assert got["gravity"].round(3).tolist() == want["gravity"].round(3).tolist()
    assert got["score"].round(6).tolist() == want["score"].round(6).tolist()
    assert list(got["rank"]) == list(range(1, len(got) + 1))
    assert got["event_ids"].str.len().gt(0).all()


def test_targets_accepts_force_name_weights_and_harm_table(graph_backend, tmp_path):
    by_code = Q.targets(graph_backend, "E23000013", AS_OF)
    by_name = Q.targets(graph_backend, "Cleveland Police", AS_OF)
    assert by_code["person_id"].tolist() == by_name["person_id"].tolist()
    only_g = Q.targets(
        graph_backend, "E23000013", AS_OF, weights={"recency": 0, "frequency": 0, "victims": 0}
    )
    assert only_g["gravity_part"].is_monotonic_decreasing
    reweighed = Q.targets(graph_backend, "E23000013", AS_OF, harm_table=_only_injury_counts(tmp_path))
    assert reweighed["gravity"].max() <= reweighed["frequency"].max()
    with pytest.raises(ValueError):
        Q.targets(graph_backend, "Atlantis Constabulary", AS_OF)


def _only_injury_counts(tmp_path) -> pd.DataFrame:
    """A force's own harm table: one day for violence with injury, nothing for anything else."""
    from reference.harm import load_harm_table
    from reference.offences import GROUPS

    path = tmp_path / "harm.csv"
    pd.DataFrame(
        {"offence_group": GROUPS, "harm_days": [1.0 if g == "violence_with_injury" else 0.0 for g in GROUPS]}
    ).to_csv(path, index=False)
    return load_harm_table(path)


def test_target_movement(graph_backend):
    mv = Q.target_movement(graph_backend, "E23000013", AS_OF, previous_as_of=AS_OF - dt.timedelta(days=90))
    now = Q.targets(graph_backend, "E23000013", AS_OF)
    before = Q.targets(graph_backend, "E23000013", AS_OF - dt.timedelta(days=90))
    now_ids, before_ids = set(now["person_id"]), set(before["person_id"])
    assert set(mv.loc[mv["movement"] == "new", "person_id"]) == now_ids - before_ids
    assert set(mv.loc[mv["movement"] == "left", "person_id"]) == before_ids - now_ids
    up = mv[mv["movement"] == "up"]
    assert (up["rank_now"] < up["rank_before"]).all()


# -- orders ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [dt.date(2020, 6, 1), dt.date(2023, 1, 15)])
def test_orders_active_equal_oracle(graph_backend, oracle, day):
    got = Q.orders_active(graph_backend, day)
    assert set(got["order_id"]) == oracle.active_orders(day)
    person = got["respondent_id"].iloc[0]
    mine = Q.orders_active(graph_backend, day, person_id=person)
    assert set(mine["order_id"]) == set(
        got.loc[(got["respondent_id"] == person) | (got["protected_id"] == person), "order_id"]
    )
    lived = graph_backend.run(
        "MATCH (p:Person {person_id: $person})-[:LIVED_AT]->(a:Address) RETURN a.address_id AS a",
        {"person": person},
    )
    for row in lived:
        at = Q.orders_active(graph_backend, day, address_id=row["a"])
        residents = {
            r["p"]
            for r in graph_backend.run(
                "MATCH (p:Person)-[:LIVED_AT]->(a:Address {address_id: $a}) RETURN p.person_id AS p", row
            )
        }
        assert set(at["order_id"]) == set(
            got.loc[got["respondent_id"].isin(residents) | got["protected_id"].isin(residents), "order_id"]
        )


def test_orders_expiring_equal_oracle(graph_backend, oracle):
    day = dt.date(2022, 3, 1)
    got = Q.orders_expiring(graph_backend, day, days=90)
    o = oracle.orders
    want = {
        r.order_key
        for r in o.itertuples()
        if r.expires_on is not None
        and r.made_on <= day
        and day <= r.expires_on <= day + dt.timedelta(days=90)
    }
    assert set(got["order_id"]) == want


def test_court_only_orders(graph_backend, oracle):
    got = Q.court_only_orders(graph_backend)
    assert set(got["order_id"]) == set(oracle.orders["order_key"])  # all sample orders are court-made
    police = set(oracle.records.loc[oracle.records["source_system"] != "court", "person"])
    assert got["respondent_known_to_police"].tolist() == [p in police for p in got["respondent_id"]]


def test_possible_breaches_equal_oracle(graph_backend, oracle):
    got = Q.possible_breaches(graph_backend)
    assert set(zip(got["order_id"], got["event_id"], strict=True)) == oracle.breaches()


# -- profile and network -------------------------------------------------------------------------------


def test_person_profile_and_network(graph_backend, oracle):
    perp = oracle.serial()
    pid = sorted(perp)[0]
    prof = Q.person_profile(graph_backend, pid)
    recs = oracle.records[oracle.records["person"] == pid]
    assert set(prof["records"]["record_key"]) == set(recs["record_key"])
    inv = oracle.inv[oracle.inv["person"] == pid]
    assert set(zip(prof["events"]["event_id"], prof["events"]["role"], strict=True)) == set(
        zip(inv["event_key"], inv["role"], strict=True)
    )
    assert prof["records"]["decided_by"].eq("truth").all()
    net = Q.network(graph_backend, pid, depth=1)
    inv_all = oracle.inv
    events = set(inv["event_key"])
    co = set(inv_all.loc[inv_all["event_key"].isin(events), "person"]) - {pid}
    neighbours = set(net["src"]) | set(net["dst"])
    assert neighbours - {pid} == co
    deeper = Q.network(graph_backend, pid, depth=2)
    assert len(deeper) >= len(net) and deeper["depth"].max() <= 2


def test_profile_masks_confidential_addresses(graph_backend, oracle):
    st = oracle.records
    conf = oracle.pairs["person_v"].unique()
    for pid in conf[:50]:
        prof = Q.person_profile(graph_backend, pid)
        a = prof["addresses"]
        if a["confidential"].any():
            assert (a.loc[a["confidential"], "address"] == "CONFIDENTIAL").all()
            assert a.loc[a["confidential"], "postcode"].isna().all()
            return
    assert not st.empty


# -- disclosure -------------------------------------------------------------------------------------------


def _subjects(oracle: Oracle) -> list[str]:
    with_orders = set(oracle.orders["respondent"])
    return sorted(set(oracle.serial()) & with_orders)[:8] + sorted(set(oracle.serial()) - with_orders)[:4]


def test_disclosure_view_equal_oracle(graph_backend, oracle):
    for pid in _subjects(oracle):
        view = Q.disclosure_view(graph_backend, pid, AS_OF)
        s = oracle.inv[(oracle.inv["person"] == pid) & (oracle.inv["role"] == "suspect")]
        s_ev = {e for e in s["event_key"] if oracle.ev.at[e, "da"] and oracle.ev.at[e, "day"] <= AS_OF}
        assert set(view["history"]["event_id"]) == s_ev
        p = oracle.pairs[(oracle.pairs["day"] <= AS_OF)]
        mine = p[(p["person_s"] == pid) & (p["da"] | p["relationship"].isin(KINDS))]
        assert view["victims"] == mine["person_v"].nunique()
        intimate = oracle.pairs[oracle.pairs["relationship"] == "intimate"]
        first = pd.concat(
            [
                intimate.assign(a=intimate["person_s"], b=intimate["person_v"]),
                intimate.assign(a=intimate["person_v"], b=intimate["person_s"]),
            ]
        )
        first = first[first["a"] == pid].groupby("b")["day"].min()
        assert view["previous_partners"] == int((first <= AS_OF).sum())
        orders = oracle.orders[(oracle.orders["respondent"] == pid) & (oracle.orders["made_on"] <= AS_OF)]
        assert set(view["orders"].get("order_id", [])) == set(orders["order_key"])


def test_disclosure_view_leaks_no_victim_identity_or_confidential_address(graph_backend, oracle):
    from graph.queries.profile import Q_ADDRESSES

    for pid in _subjects(oracle):
        view = Q.disclosure_view(graph_backend, pid, AS_OF)
        text = repr(view["subject"]) + "".join(
            v.to_csv() for v in view.values() if isinstance(v, pd.DataFrame)
        )
        others = (
            set(oracle.pairs.loc[oracle.pairs["person_s"] == pid, "person_v"])
            | set(oracle.pairs.loc[oracle.pairs["person_v"] == pid, "person_s"])
            | set(oracle.orders.loc[oracle.orders["respondent"] == pid, "protected"])
        )
        others.discard(pid)
        for other in others:
            assert other not in text
            for key in oracle.records.loc[oracle.records["person"] == other, "record_key"]:
                assert key not in text
            for r in oracle.records[oracle.records["person"] == other].itertuples():
                assert f"{r.forenames} {r.surname}" not in text or _same_name(oracle, pid, r)
            for a in graph_backend.run(Q_ADDRESSES, {"person": other}):
                assert a["address_id"] not in text
        assert "CONFIDENTIAL" not in text


def _same_name(oracle: Oracle, pid: str, r) -> bool:
    mine = oracle.records[oracle.records["person"] == pid]
    return bool(((mine["forenames"] == r.forenames) & (mine["surname"] == r.surname)).any())


def test_right_to_know_candidates(graph_backend, oracle):
    got = Q.right_to_know_candidates(graph_backend, AS_OF)
    assert not got.empty
    assert (got["serial"] | got["high_harm"]).all()
    serial = oracle.serial()
    for row in got[got["basis"].str.contains("recent_event_as_partner")].itertuples():
        p = oracle.pairs
        hit = p[
            (p["person_s"] == row.perpetrator_id)
            & (p["person_v"] == row.candidate_id)
            & (p["relationship"] == "intimate")
            & (p["day"] > AS_OF - dt.timedelta(days=366))
            & (p["day"] <= AS_OF)
        ]
        assert not hit.empty
    for row in got[got["basis"].str.contains("protected_by_new_order")].itertuples():
        o = oracle.orders
        assert ((o["respondent"] == row.perpetrator_id) & (o["protected"] == row.candidate_id)).any()
    assert set(got.loc[got["serial"], "perpetrator_id"]) <= {
        p
        for p, grp in oracle.pairs[oracle.pairs["relationship"] == "intimate"].groupby("person_s")
        if grp["person_v"].nunique() >= 2
    }
    assert serial


def test_whole_graph_profile_rows_equal_one_person_rows(graph_backend, oracle):
    """The API's cache is filled from whole-graph statements; they must answer as the one-person
    ones do, in the same order, on each engine."""
    import json

    from graph.queries.profile import all_profile_rows, person_profile_rows

    everyone = all_profile_rows(graph_backend)
    assert set(everyone) == set(oracle.records["person"])
    for pid in sorted(everyone)[::7]:
        assert json.dumps(everyone[pid], default=str) == json.dumps(person_profile_rows(graph_backend, pid),
                                                                     default=str), pid
