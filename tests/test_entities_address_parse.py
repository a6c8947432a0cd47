"""The UK address parser: every rule in linkage/entities/address_parse.py's docstring has a case here."""

from __future__ import annotations

import pandas as pd
import pytest

from linkage.entities.address_parse import normalise_postcode, normalise_street, parse_address, parse_many


def parts(text: str, postcode: str | None = None) -> dict:
    return {k: v for k, v in parse_address(text, postcode).as_dict().items() if v}


@pytest.mark.parametrize(
    "text",
    [
        "Flat 23, 144 Park Avenue, Newcastle upon Tyne",
        "144 PARK AVE F23, Newcastle upon Tyne",
        "23/144 Park Ave, Newcastle upon Tyne",
        "Flat 23 144 Park Avenue, Newcastle upon Tyne",
        "Apartment 23, 144 Park Avenue, Newcastle upon Tyne",
        "apt 23, 144, park avenue, NEWCASTLE UPON TYNE",
    ],
)
def test_one_flat_written_six_ways_parses_the_same(text: str) -> None:
    p = parse_address(text)
    assert (p.sub_building, p.building_number, p.street, p.town) == (
        "23",
        "144",
        "PARK AVENUE",
        "NEWCASTLE UPON TYNE",
    )


def test_postcode_from_field_or_text() -> None:
    assert parse_address("1 High St", "ne65ab").postcode == "NE6 5AB"
    p = parse_address("12A Church Lane, Little Hadham, Ware SG11 2AA")
    assert p.postcode == "SG11 2AA"
    assert (p.building_number, p.street, p.locality, p.town) == ("12A", "CHURCH LANE", "LITTLE HADHAM", "WARE")
    assert normalise_postcode("sw1a1aa") == "SW1A 1AA"
    assert normalise_postcode("not a postcode") == ""


def test_building_names_numbers_and_floors() -> None:
    assert parts("Apartment 5, Alder House, 3 Canal Street, Manchester") == {
        "sub_building": "5",
        "building_number": "3",
        "building_name": "ALDER HOUSE",
        "street": "CANAL STREET",
        "town": "MANCHESTER",
    }
    assert parts("Flat 27, Balaclava Court, 30, Balaclava Avenue, Chester-le-Street")["building_name"] == (
        "BALACLAVA COURT"
    )
    assert parts("Ground Floor Flat, 12 Acacia Road, Leeds LS1 1AA")["sub_building"] == "GF"
    assert parts("144-146 Park Rd")["building_number"] == "144-146"
    assert parts("The Old Rectory, Church Road, Oxford OX1 1AA") == {
        "building_name": "THE OLD RECTORY",
        "street": "CHURCH ROAD",
        "town": "OXFORD",
        "postcode": "OX1 1AA",
    }
    # a quoted house name after the street (as the flat extracts carry them) is a name, not a place
    quoted = parts('10 Hampton Place,\n"The Old Forge", Maryport')
    assert quoted["building_name"] == "THE OLD FORGE" and quoted["town"] == "MARYPORT"


def test_street_without_commas_and_abbreviations() -> None:
    p = parse_address("12 High Street London SW1A 1AA")
    assert (p.street, p.town) == ("HIGH STREET", "LONDON")
    assert normalise_street("PARK AVE") == "PARK AVENUE"
    assert normalise_street("ST JOHNS RD") == "ST JOHNS ROAD"  # a leading St is a saint
    assert parse_address("Flat A, 3 St Johns Road").sub_building == "A"


def test_withheld_and_no_fixed_abode() -> None:
    for text in ("CONFIDENTIAL", "Refuge address", "ADDRESS WITHHELD"):
        p = parse_address(text, "NE1 1AA")
        assert p.confidential and not p.street and not p.postcode
    assert parse_address("No fixed abode").no_fixed_abode
    assert parse_address("NFA").no_fixed_abode
    assert parse_address(None) == parse_address("")


def test_parse_many_once_per_distinct_value() -> None:
    frame = parse_many(pd.Series(["1 A Road, X", None, "1 A Road, X"]), pd.Series([None, "NE1 1AA", None]))
    assert list(frame["street"]) == ["A ROAD", "", "A ROAD"]
    assert list(frame["postcode"]) == ["", "NE1 1AA", ""]


def test_parse_in_a_second_process_gives_the_same_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Half the texts go to a fresh interpreter: same rows, same order, and the
    second process really ran (the threshold is lowered so a small list takes that path)."""
    import linkage.entities.address_parse as ap

    streets = (("Park Ave", "Leeds"), ("Flat 2 High St", ""))
    texts = [f"{i} {street}, {town}" for i in range(60) for street, town in streets]
    texts += ["", "REFUGE", "No fixed abode", "Ünïcödé Strasse 5", "1\tA  ROAD\n"]
    monkeypatch.setattr(ap, "OTHER_PROCESS_MIN", 10)
    started: list = []
    real = ap._OtherHalf.__init__

    def spy(self: ap._OtherHalf, half: list[str]) -> None:
        started.append(len(half))
        real(self, half)

    monkeypatch.setattr(ap._OtherHalf, "__init__", spy)
    alone = ap.parse_rows(texts)
    assert started == []
    assert ap.parse_rows(texts, other_process=True) == alone
    assert started == [len(texts) - len(texts) // 2]
    frame = ap.parse_many(pd.Series(texts), other_process=True)
    assert frame.equals(ap.parse_many(pd.Series(texts)))


def test_a_second_process_that_fails_costs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the second interpreter dies or answers nonsense, its half is parsed here."""
    import subprocess
    import sys

    import linkage.entities.address_parse as ap

    texts = [f"{i} Park Ave, Leeds" for i in range(40)]
    monkeypatch.setattr(ap, "OTHER_PROCESS_MIN", 10)
    real_popen = subprocess.Popen

    def broken(cmd: list[str], **kw: object) -> subprocess.Popen:
        return real_popen([sys.executable, "-c", "import sys; sys.stdin.buffer.read(); sys.exit(3)"], **kw)

    monkeypatch.setattr(ap.subprocess, "Popen", broken)
    assert ap.parse_rows(texts, other_process=True) == ap.parse_rows(texts)


def test_a_second_process_that_hangs_is_stopped_and_costs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A second interpreter that takes its texts and never answers is stopped once it is late
    (here at once), and its half is parsed here: the stage is never held by it."""
    import subprocess
    import sys

    import linkage.entities.address_parse as ap

    texts = [f"{i} Park Ave, Leeds" for i in range(40)]
    monkeypatch.setattr(ap, "OTHER_PROCESS_MIN", 10)
    monkeypatch.setattr(ap, "OTHER_PROCESS_GRACE", 0.0)
    real_popen = subprocess.Popen
    started: list[subprocess.Popen] = []

    def hung(cmd: list[str], **kw: object) -> subprocess.Popen:
        proc = real_popen([sys.executable, "-c", "import sys, time; sys.stdin.buffer.read(); time.sleep(3600)"], **kw)
        started.append(proc)
        return proc

    monkeypatch.setattr(ap.subprocess, "Popen", hung)
    assert ap.parse_rows(texts, other_process=True) == ap.parse_rows(texts)
    assert started and started[0].poll() is not None  # stopped, not left running


def test_a_reader_that_fails_while_the_second_process_writes_costs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """If taking the second interpreter's rows fails part-way (a garbled chunk), it is stopped and
    its half parsed here. Before, the stage waited for it to exit while it waited, for ever, for
    someone to read the rest of its rows (seen at 1M under a profiler: ``dots resolve`` hung)."""
    import pickle
    import subprocess
    import threading

    import linkage.entities.address_parse as ap

    class Garbled:  # the first chunk of rows arrives, the second is unreadable
        HIGHEST_PROTOCOL, dumps, loads = pickle.HIGHEST_PROTOCOL, staticmethod(pickle.dumps), None
        calls = 0

        def load(self, stream: object) -> object:
            self.calls += 1
            if self.calls > 1:
                raise pickle.UnpicklingError("garbled")
            return pickle.load(stream)

    # the second half must span two of its chunks, the second larger than a pipe's buffer
    texts = [f"{i} Park Avenue, Leeds LS{i % 28} {i % 9}AB" for i in range(2 * (ap._CHUNK + 2_000))]
    real_popen = subprocess.Popen
    started: list[subprocess.Popen] = []

    def spy(cmd: list[str], **kw: object) -> subprocess.Popen:
        started.append(real_popen(cmd, **kw))
        return started[-1]

    monkeypatch.setattr(ap.subprocess, "Popen", spy)
    monkeypatch.setattr(ap, "pickle", Garbled())
    answer: list = []
    worker = threading.Thread(target=lambda: answer.append(ap.parse_rows(texts, other_process=True)), daemon=True)
    worker.start()
    worker.join(120)
    hung = worker.is_alive()
    for proc in started:  # on the old code: free the stage so the suite goes on
        proc.kill()
    worker.join(30)
    assert not hung, "the stage waited for ever on the second process"
    assert answer == [ap._parse_rows(texts)]
    assert started and started[0].poll() is not None
