"""Banca d'Italia adapter: the recorded dailyRates CSV bodies (three days), read independently with the csv module."""

import csv
import datetime as dt
import io

import pytest
from conftest import FIXTURES, REPO, UTC

from dagster_project.adapters import bdi
from dagster_project.rows import ParseError

CAPTURED = dt.datetime(2026, 4, 9, 17, 24, 31, tzinfo=UTC)
FOLDER = FIXTURES / "providers" / "bdi"
BODIES = sorted(FOLDER.glob("*.csv"))
FIRST = BODIES[0]  # referenceDate=2026-02-09


def parse(data, file="rates.csv"):
    return bdi.parse(data, captured_at=CAPTURED, file=file)


def independent(path):
    """{(date, code): (rate text, first line)} of every quoted row, by the csv module; lines are physical lines."""
    found = {}
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            if not row["ISO Code"] or row["Country"].startswith("#") or row["Rate"] in ("N.A.", None):
                continue
            assert row["Rate convention"] == "Foreign currency amount for 1 Euro."
            found.setdefault((dt.date.fromisoformat(row["Reference date (CET)"]), row["ISO Code"]), (row["Rate"], reader.line_num))
    return found


def got(snap):
    return {(d, c): (t, ln) for d, c, t, ln in snap.rates.select("date", "currency", "rate_text", "line").iter_rows()}


@pytest.mark.parametrize("path", BODIES, ids=lambda p: p.name)
def test_every_recorded_body_matches_an_independent_reading(path):
    expected = independent(path)
    snap = parse(path.read_bytes(), file=path.name)
    assert snap.rates.height == len(expected) >= 140
    assert got(snap) == expected
    assert set(snap.rates["base"]) == {"EUR"} and not snap.rejects
    assert len(snap.dates) == 1
    rates = dict(zip(snap.rates["currency"], snap.rates["rate"], strict=True))
    for code in ("USD", "JPY", "XOF", "KRW", "VES"):
        assert rates[code] == float(expected[(snap.dates[0], code)][0])


def test_spot_values_and_published_text():
    snap = parse(FIRST.read_bytes())
    row = {c: r for c, *r in snap.rates.select("currency", "rate", "rate_text", "line").iter_rows()}
    lines = FIRST.read_text(encoding="utf-8").split("\n")
    assert row["USD"][:2] == [1.1886, "1.1886"]
    assert row["JPY"][:2] == [185.65, "185.6500"]   # the trailing zeros as published
    assert row["BBD"][1] == "2.377200"
    assert lines[row["JPY"][2] - 1].startswith("JAPAN,Japanese Yen,JPY,")
    # XOF is listed once per WAEMU country with the same rate: one quote, from the first of those lines
    xof = [n for n, ln in enumerate(lines, start=1) if ",XOF," in ln]
    assert len(xof) > 1 and row["XOF"][2] == xof[0] and row["XOF"][1] == "655.957"
    assert "RUB" not in row and "BYN" not in row  # N.A. on that day


def test_a_withdrawn_code_is_a_reject():
    text = FIRST.read_text(encoding="utf-8").replace("ALBANIA,Lek,ALL,047,96.74,", "CROATIA,Kuna,HRK,047,96.74,")
    snap = parse(text.encode())
    (reject,) = snap.rejects
    assert reject.line == 3 and reject.date == dt.date(2026, 2, 9)
    assert "HRK quoted on 2026-02-09, but it was withdrawn from 2023-01-01" in reject.reason
    assert "HRK" not in set(snap.rates["currency"])


def test_bad_numbers_and_codes_are_rejects_with_their_line():
    text = (FIRST.read_text(encoding="utf-8").replace(",96.74,", ",96,74,", 1)  # an extra cell: structural
            .replace("ALGERIA,Algerian Dinar,DZD,106,154.1592,", "ALGERIA,Algerian Dinar,DZD,106,-154.1592,")
            .replace("ARMENIA,Armenian Dram,AMD,", "ARMENIA,Armenian Dram,amd,"))
    with pytest.raises(ParseError, match=r"rates\.csv:3: row has 8 cells, header has 7"):
        parse(text.encode())
    snap = parse(text.replace(",96,74,", ",96.74,").encode())
    assert sorted((r.line, r.reason) for r in snap.rejects) == [
        (4, "DZD: rate must be > 0, got -154.1592"), (8, "bad currency code 'amd'")]


def test_the_same_code_with_two_rates_is_dropped():
    lines = FIRST.read_text(encoding="utf-8").split("\n")
    k = next(n for n, ln in enumerate(lines) if ",XOF," in ln)
    lines[k] = lines[k].replace("655.957", "655.958")
    snap = parse("\n".join(lines).encode())
    assert "XOF" not in set(snap.rates["currency"])
    assert any("XOF quoted" in r.reason and "different values" in r.reason for r in snap.rejects)


def test_the_convention_is_read_from_each_row():
    text = FIRST.read_text(encoding="utf-8")
    inverted = text.replace("JAPAN,Japanese Yen,JPY,071,185.6500,Foreign currency amount for 1 Euro.",
                            "JAPAN,Japanese Yen,JPY,071,0.5386,Euro amount for 100 units of foreign currency.")
    row = parse(inverted.encode()).rates.filter(base="JPY").row(0, named=True)
    assert (row["currency"], row["rate_text"], row["rate"]) == ("EUR", "0.5386", pytest.approx(0.005386))
    unknown = text.replace("Foreign currency amount for 1 Euro.,2026-02-09\nALBANIA",
                           "Foreign currency amount for 1 Yen.,2026-02-09\nALBANIA")
    with pytest.raises(ParseError, match=r"rates\.csv:2: unknown rate convention"):
        parse(unknown.encode())


@pytest.mark.parametrize("body,match", [
    (b"", r"rates\.csv: empty input"),
    (b"<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>", r"rates\.csv:1: an HTML/XML page"),
    ("cut", r"rates\.csv:\d+: row has 5 cells, header has 7"),
    ("renamed", r"rates\.csv:1: not a Banca d'Italia dailyRates CSV: header lacks \['Rate'\]"),
    ("dropped", r"rates\.csv:1: not a Banca d'Italia dailyRates CSV: header lacks \['Reference date \(CET\)'\]"),
    ("bad date", r"rates\.csv:5: bad date '2026-02-30'"),
])
def test_bad_bodies_are_clear_parse_errors(body, match):
    text = FIRST.read_text(encoding="utf-8")
    if body == "cut":  # the real body cut in the middle of a record (inside JAPAN's rate)
        body = text[: text.index("JAPAN,Japanese Yen,JPY,071,185.6") + len("JAPAN,Japanese Yen,JPY,071,185.6")].encode()
    elif body == "renamed":
        body = text.replace(",Rate,", ",Value,", 1).encode()
    elif body == "dropped":
        body = "\n".join(",".join(next(csv.reader([ln]))[:6]) if ln and not ln.startswith("#") else ln
                         for ln in text.split("\n")).encode()
    elif body == "bad date":
        body = text.replace("ANGOLA,Adjusted Kwanza,AOA,087,1089.423,Foreign currency amount for 1 Euro.,2026-02-09",
                            "ANGOLA,Adjusted Kwanza,AOA,087,1089.423,Foreign currency amount for 1 Euro.,2026-02-30").encode()
    with pytest.raises(ParseError, match=match):
        parse(body)


def test_quoted_cells_keep_their_commas():
    reader = csv.reader(io.StringIO(FIRST.read_text(encoding="utf-8")))
    rows = list(reader)
    rows[1][0] = "AFGHANISTAN, Islamic State of"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    snap = parse(out.getvalue().encode())
    assert snap.rates.filter(currency="AFN")["rate_text"].item() == "75.5197"


def other_fixtures(own):
    skip = {".json", ".md", ".py"}
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and path.suffix not in skip and own not in path.parts:
            yield path


def test_looks_like_only_its_own_bodies():
    for path in BODIES:
        assert bdi.looks_like(path.suffix, path.read_bytes()[:2048]), path
    others = list(other_fixtures("bdi"))
    assert len(others) >= 6
    for path in others:
        assert not bdi.looks_like(path.suffix, path.read_bytes().lstrip(b"\xef\xbb\xbf \t\r\n")[:2048]), path


def test_bundled_bodies_are_recorded_ones():
    bundled = sorted((REPO / "data" / "bundled" / "bdi").iterdir())
    assert [p.name for p in bundled] == [p.name for p in BODIES]
    assert all(p.read_bytes() == (FOLDER / p.name).read_bytes() for p in bundled)
