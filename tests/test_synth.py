"""The synthetic generator: reproducible, in the spec's formats, and its truth matches its files."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pandas as pd
import pytest

from synth.generate import generate, main

N = 4000

# Column lists copied from shared/spec/extracts.md (not imported from synth, on purpose).
FLAT = (
    "force,occurrence_ref,occurrence_datetime,ho_offence_code,offence,da_marker,role,nominal_ref,surname,"
    "forenames,dob,sex,address,postcode,relationship_to_suspect,dash_risk,pnc_id,phone"
).split(",")
PERSONS = (
    "person_id,force,full_name,aliases,date_of_birth,gender,address_line_1,address_line_2,town,postcode,"
    "pnc_number,phone"
).split(",")
INCIDENTS = (
    "incident_id,force,reported_at,offence_code,offence_description,domestic,risk_grade,location_postcode"
)
INVOLVEMENTS = "incident_id,person_id,involvement,relationship"
COURT = (
    "case_number,court_name,court_type,order_type,made_on,expires_on,respondent_name,respondent_dob,"
    "respondent_address,protected_name,protected_dob,protected_address,conditions,power_of_arrest"
).split(",")
INTIMATE = {
    "partner",
    "ex-partner",
    "spouse",
    "ex-spouse",
    "girlfriend",
    "boyfriend",
    "ex-girlfriend",
    "ex-boyfriend",
    "civil partner",
    "ex-civil partner",
}
PNC_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("synth")
    generate(d, people=N, seed=7)
    return d


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(start line, row) pairs, counting physical lines like the loaders do (header is line 1)."""
    reader = csv.reader(io.StringIO(_text(path), newline=""))
    header = next(reader)
    out, prev = [], reader.line_num
    for rec in reader:
        out.append((prev + 1, dict(zip(header, rec, strict=True))))
        prev = reader.line_num
    return out


def _extract_files(out: Path) -> list[Path]:
    return sorted(p for p in list(out.glob("*.csv")) + list(out.glob("*/*.csv")) if p.parent.name != "truth")


def _digests(d: Path) -> dict[str, str]:
    return {
        str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(d.rglob("*"))
        if p.is_file()
    }


def _pnc_ok(text: str) -> bool:
    year, rest = text.split("/", 1)
    return PNC_ALPHABET[(int(year[-2:]) * 10_000_000 + int(rest[:-1])) % 23] == rest[-1]


def test_same_seed_gives_identical_bytes(out: Path, tmp_path: Path) -> None:
    generate(tmp_path / "again", people=N, seed=7)
    assert _digests(out) == _digests(tmp_path / "again")
    generate(tmp_path / "other", people=N, seed=8)
    assert _digests(out)["court-orders.csv"] != _digests(tmp_path / "other")["court-orders.csv"]


def test_headers_match_the_spec(out: Path) -> None:
    flat = sorted(out.glob("*-rms.csv"))
    assert len(flat) >= 3
    extra_seen = False
    for p in flat:
        header = next(csv.reader(io.StringIO(_text(p))))
        if header != FLAT:  # an unknown extra column is allowed, spec columns stay in order
            assert [h for h in header if h in FLAT] == FLAT and len(header) == len(FLAT) + 1
            extra_seen = True
    assert extra_seen
    folders = [p for p in out.iterdir() if p.is_dir() and (p / "incidents.csv").exists()]
    assert folders
    for d in folders:
        assert next(csv.reader(io.StringIO(_text(d / "persons.csv")))) == PERSONS
        assert _text(d / "incidents.csv").splitlines()[0] == INCIDENTS
        assert _text(d / "involvements.csv").splitlines()[0] == INVOLVEMENTS
    for name in ("court-orders.csv", "court-orders-2.csv", "court-orders-3.csv"):
        assert next(csv.reader(io.StringIO(_text(out / name)))) == COURT


def test_value_formats(out: Path) -> None:
    rows = [r for _, r in _rows(out / "northumbria-rms.csv")]
    df = pd.DataFrame(rows)
    assert df["occurrence_datetime"].str.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d").mean() > 0.98
    assert set(df["da_marker"]) == {"Y", "N"}
    assert set(df["sex"]) <= {"M", "F", "U"}
    assert set(df["dash_risk"]) <= {"", "STANDARD", "MEDIUM", "HIGH"}
    assert (df["ho_offence_code"] == "").any() and df["ho_offence_code"].str.fullmatch(
        r"(\d{1,3}/\d{1,2})?"
    ).all()
    rel = pd.read_csv(out / "metropolitan" / "persons.csv", dtype=str, keep_default_na=False)
    named = rel[rel["full_name"] != ""]
    assert named["full_name"].str.contains(", ").all()
    assert set(rel["gender"]) <= {"Male", "Female", "Unknown"}
    inc = pd.read_csv(out / "metropolitan" / "incidents.csv", dtype=str, keep_default_na=False)
    assert set(inc["domestic"]) == {"true", "false"}
    court = pd.read_csv(out / "court-orders.csv", dtype=str, keep_default_na=False)
    assert court["made_on"].str.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}").all()
    assert (court["expires_on"] == "Until further order").any()


def test_every_written_record_key_is_in_truth(out: Path) -> None:
    truth = pd.read_csv(out / "truth" / "persons.csv", dtype=str)
    keys = set(truth["record_key"])
    events = set(pd.read_csv(out / "truth" / "events.csv", dtype=str)["record_key"])
    bad = pd.read_csv(out / "truth" / "bad_rows.csv", dtype=str, keep_default_na=False)
    bad_lines = {(f, int(line)) for f, line in zip(bad["file"], bad["line"], strict=True)}
    written_people, written_events = set(), set()
    for p in _extract_files(out):
        rel = str(p.relative_to(out))
        for line, r in _rows(p):
            if (rel, line) in bad_lines:
                continue
            if "custody_ref" in r:  # the arrested person; the occurrence is the RMS extract's
                written_people.add(f"{r['force']}/{r['nominal_ref']}")
            elif "notice_ref" in r and "notice_type" in r:
                for side in ("subject", "protected"):
                    written_people.add(f"{r['force']}/{r[side + '_nominal_ref']}")
            elif "referral_ref" in r:
                written_people.add(f"{r['force']}/{r['nominal_ref']}")
                if r["child_surname"] or r["child_forenames"]:
                    written_people.add(f"{r['force']}/referral/{r['referral_ref']}/child")
            elif "nominal_ref" in r:
                written_people.add(f"{r['force']}/{r['nominal_ref']}")
                written_events.add(f"{r['force']}/{r['occurrence_ref']}")
            elif "full_name" in r:
                written_people.add(f"{r['force']}/{r['person_id']}")
            elif "reported_at" in r:
                written_events.add(f"{r['force']}/{r['incident_id']}")
            elif "case_number" in r:
                written_people |= {f"{r['case_number']}/respondent", f"{r['case_number']}/protected"}
    assert written_people == keys
    assert written_events == events
    assert not set(bad["record_key"]) & keys
    n_rows = sum(
        len(_rows(p)) for p in _extract_files(out) if p.name != "persons.csv" and p.name != "incidents.csv"
    )
    assert 0.002 < len(bad) / n_rows < 0.01


def _written_pairs(out: Path) -> pd.DataFrame:
    """(suspect, victim, relationship, force) per written event, in true ids, read back from the files."""
    who = dict(pd.read_csv(out / "truth" / "persons.csv", dtype=str).itertuples(index=False, name=None))
    bad = pd.read_csv(out / "truth" / "bad_rows.csv", dtype=str, keep_default_na=False)
    bad_lines = {(f, int(line)) for f, line in zip(bad["file"], bad["line"], strict=True)}
    rows = []
    for p in sorted(out.glob("*-rms.csv")):
        for line, r in _rows(p):
            if (p.name, line) not in bad_lines:
                rows.append(
                    (
                        f"{r['force']}/{r['occurrence_ref']}",
                        who[f"{r['force']}/{r['nominal_ref']}"],
                        r["role"].upper(),
                        r["relationship_to_suspect"].lower(),
                        r["force"],
                    )
                )
    for d in sorted(p.parent for p in out.glob("*/involvements.csv")):
        force = pd.read_csv(d / "incidents.csv", dtype=str)["force"].iloc[0]
        for line, r in _rows(d / "involvements.csv"):
            if (f"{d.name}/involvements.csv", line) not in bad_lines:
                rows.append(
                    (
                        f"{force}/{r['incident_id']}",
                        who[f"{force}/{r['person_id']}"],
                        r["involvement"].upper(),
                        r["relationship"].lower(),
                        force,
                    )
                )
    df = pd.DataFrame(rows, columns=["event", "person", "role", "relationship", "force"])
    s = df[df["role"] == "SUSPECT"][["event", "person"]].rename(columns={"person": "suspect"})
    v = df[df["role"] == "VICTIM"][["event", "person", "relationship", "force"]].rename(
        columns={"person": "victim"}
    )
    return s.merge(v, on="event")


def test_serial_perpetrators_really_have_two_intimate_victims(out: Path) -> None:
    pairs = _written_pairs(out)
    intimate = pairs[pairs["relationship"].isin(INTIMATE)]
    counts = intimate.groupby("suspect")["victim"].nunique()
    serial = pd.read_csv(out / "truth" / "serial_perpetrators.csv", dtype={"victims": int})
    assert len(serial) > 10
    assert serial["victims"].min() >= 2
    assert (
        dict(zip(serial["true_person_id"], serial["victims"], strict=True)) == counts[counts >= 2].to_dict()
    )
    assert serial["forces"].str.contains(";").any()  # some serial perpetrators cross forces
    cross = pd.read_csv(out / "truth" / "cross_force_victims.csv")
    assert len(cross) and (cross.groupby("perpetrator_id")["force"].nunique() >= 2).all()


def test_counter_allegations_exist(out: Path) -> None:
    pairs = _written_pairs(out)
    forward = set(zip(pairs["suspect"], pairs["victim"], strict=True))
    assert any((v, s) in forward for s, v in forward)


def test_pnc_check_letters_valid_except_deliberate_typos(out: Path) -> None:
    typos = pd.read_csv(out / "truth" / "pnc_typos.csv", dtype=str)
    typo_values = set(typos["pnc_as_written"])
    seen = bad = 0
    for p in _extract_files(out):
        for _, r in _rows(p):
            value = r.get("pnc_id") or r.get("pnc_number") or ""
            if value:
                seen += 1
                if not _pnc_ok(value):
                    bad += 1
                    assert value in typo_values, value
    assert seen > 500
    assert 0 < bad <= len(typos)


def test_encodings_line_endings_and_awkward_fields(out: Path) -> None:
    cp = (out / "cleveland-rms.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        cp.decode("utf-8")
    text = cp.decode("cp1252")
    assert "Domestic incident \u2013 " in text  # en dash, byte 0x96: not UTF-8, not Latin-1 printable
    assert b"\r\n" in cp
    assert (out / "northumbria-rms.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    embedded = [r for p in sorted(out.glob("*-rms.csv")) for _, r in _rows(p) if "\n" in r["address"]]
    assert embedded and any('"' in r["address"] and "," in r["address"] for r in embedded)


def test_court_extracts(out: Path) -> None:
    c1 = pd.read_csv(out / "court-orders.csv", dtype=str, keep_default_na=False)
    c2 = pd.read_csv(out / "court-orders-2.csv", dtype=str, keep_default_na=False)
    c3 = pd.read_csv(out / "court-orders-3.csv", dtype=str, keep_default_na=False)
    both = pd.concat([c1, c2])
    assert 0.3 < (both["respondent_dob"] == "").mean() < 0.7
    assert (both["protected_address"] == "CONFIDENTIAL").any()
    assert both["conditions"].str.contains("\n").any()
    orders = pd.read_csv(out / "truth" / "orders.csv", dtype=str)
    assert set(orders["record_key"]) == set(both["case_number"]) | set(c3["case_number"])
    # some orders are in both files, some under a differently keyed case number
    assert set(c1["case_number"]) & set(c2["case_number"])
    assert orders["true_order_id"].duplicated().any()
    breaches = pd.read_csv(out / "truth" / "breaches.csv", dtype=str)
    assert len(breaches) and set(breaches["order_record_key"]) <= set(orders["record_key"])


def test_hard_cases_for_linkage_exist(out: Path) -> None:
    people = pd.read_csv(out / "truth" / "people.csv", dtype=str, keep_default_na=False)
    seen = people[people["records"].astype(int) > 0]
    assert (seen["twin_of"] != "").sum() >= 2
    assert (seen["junior_of"] != "").sum() >= 2
    top = seen["surname"].value_counts()
    assert top.index[0] in {"Smith", "Jones", "Williams", "Brown", "Patel", "Khan"}
    truth = pd.read_csv(out / "truth" / "persons.csv", dtype=str)
    truth["force"] = truth["record_key"].str.split("/").str[0]
    force_recs = truth[~truth["record_key"].str.endswith(("/respondent", "/protected"))]
    per = force_recs.groupby(["true_person_id", "force"]).size()
    assert (per >= 2).any()  # duplicate nominals for one person in one force
    assert (force_recs.groupby("true_person_id")["force"].nunique() >= 2).any()
    aliases = pd.read_csv(out / "metropolitan" / "persons.csv", dtype=str, keep_default_na=False)["aliases"]
    assert (aliases != "").any()


def test_scale_and_cli(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path / "cli"), "--people", "1500", "--seed", "3"]) == 0
    s = generate(tmp_path / "g", people=1500, seed=3)
    assert 0.7 * 1500 < s["person_rows"] < 1.3 * 1500
    assert (tmp_path / "cli" / "truth" / "persons.csv").exists()
