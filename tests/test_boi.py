"""Bank of Israel adapter (SDMX-CSV, UNIT_MULT), against the body Frankfurter recorded, read independently with csv."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from conftest import FIXTURES, REPO, UTC
from provider_fixtures import head, other_fixtures

from dagster_project.adapters import boi
from dagster_project.rows import ParseError

FOLDER = FIXTURES / "providers" / "boi"
BODY = FOLDER / "20260320T140000Z_0.csv"
CAPTURED = dt.datetime(2026, 3, 20, 14, 0, tzinfo=UTC)
HTML = (b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n"
        b"<body><h1>Service Unavailable</h1></body></html>\n")


def parse(data: bytes, file: str = "boi.csv", **kw):
    return boi.parse(data, captured_at=CAPTURED, file=file, **kw)


def independent(text: str) -> dict[tuple[str, str], tuple[str, float, int]]:
    """(date, foreign code) -> (published text, ILS per 1 unit, physical line), with the stdlib csv module."""
    out = {}
    reader = csv.DictReader(io.StringIO(text))
    for line, row in enumerate(reader, start=2):  # the header is line 1; the body has no quoted line breaks
        assert row["COUNTER_CURRENCY"] == "ILS"
        out[(row["TIME_PERIOD"], row["BASE_CURRENCY"])] = (row["OBS_VALUE"], float(row["OBS_VALUE"]) / 10 ** int(row["UNIT_MULT"]), line)
    return out


def rows_of(snap) -> dict[tuple[str, str], dict]:
    return {(str(r["date"]), r["base"]): r for r in snap.rates.iter_rows(named=True)}


def test_every_row_as_published_per_one_unit():
    expected = independent(BODY.read_text())
    snap = parse(BODY.read_bytes())
    got = rows_of(snap)
    assert snap.rates.height == len(expected) == 28 and not snap.rejects
    assert set(snap.rates["currency"]) == {"ILS"} and set(snap.rates["source"]) == {"boi"}
    for key, (text, rate, line) in expected.items():
        row = got[key]
        assert (row["rate_text"], row["line"]) == (text, line)
        assert row["rate"] == pytest.approx(rate, rel=1e-12)
    assert snap.dates == [dt.date(2026, 3, 2), dt.date(2026, 3, 5), dt.date(2026, 3, 6)]


def test_spot_values_and_the_unit_multiplier():
    got = rows_of(parse(BODY.read_bytes()))
    assert got[("2026-03-02", "USD")]["rate_text"] == "3.073" and got[("2026-03-02", "USD")]["rate"] == 3.073
    assert got[("2026-03-06", "EUR")]["rate"] == 3.5499
    jpy = got[("2026-03-02", "JPY")]  # UNIT_MULT 2: 1.971 ILS per 100 JPY
    assert jpy["rate_text"] == "1.971" and jpy["rate"] == pytest.approx(0.01971)
    lbp = got[("2026-03-05", "LBP")]  # UNIT_MULT 1: per 10 LBP
    assert lbp["rate_text"] == "0.0003" and lbp["rate"] == pytest.approx(0.00003)


def test_line_is_the_physical_line():
    lines = BODY.read_text().splitlines()
    for row in parse(BODY.read_bytes()).rates.iter_rows(named=True):
        cells = lines[row["line"] - 1].split(",")
        assert cells[2] == row["base"] and cells[-2] == row["rate_text"] and cells[-3] == str(row["date"])


def test_the_multiplier_is_read_from_each_row_not_assumed():
    text = BODY.read_text().replace("RER_USD_ILS,D,USD,ILS,ILS,OF00,BOI_MRKT,V,F,Y,0,,2026-03-02,3.073",
                                    "RER_USD_ILS,D,USD,ILS,ILS,OF00,BOI_MRKT,V,F,Y,3,,2026-03-02,3073", 1)
    usd = rows_of(parse(text.encode()))[("2026-03-02", "USD")]
    assert usd["rate_text"] == "3073" and usd["rate"] == pytest.approx(3.073)


def test_columns_are_found_by_name():
    rows = list(csv.reader(io.StringIO(BODY.read_text())))
    order = list(reversed(range(len(rows[0]))))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([[r[k] for k in order] for r in rows])
    assert {(k, v["rate_text"]) for k, v in rows_of(parse(out.getvalue().encode())).items()} == \
        {(k, v["rate_text"]) for k, v in rows_of(parse(BODY.read_bytes())).items()}


def test_window_keeps_only_its_dates():
    snap = parse(BODY.read_bytes(), window=(dt.date(2026, 3, 5), dt.date(2026, 3, 5)))
    assert set(snap.rates["date"]) == {dt.date(2026, 3, 5)} and snap.rates.height == 7


@pytest.mark.parametrize("body,match", [
    (HTML, r"boi\.csv:1: an HTML/XML page"),
    (b"", r"boi\.csv: empty input"),
    (b"  \n", r"boi\.csv: empty input"),
])
def test_not_a_body(body, match):
    with pytest.raises(ParseError, match=match):
        parse(body)


def test_truncated_in_the_middle_of_a_record():
    data = BODY.read_bytes()
    cut = data.index(b"RER_GBP_ILS") + 20  # inside the first GBP record (line 8)
    with pytest.raises(ParseError, match=r"boi\.csv:8: truncated: the last record has no line end"):
        parse(data[:cut])
    with pytest.raises(ParseError, match=r"boi\.csv:8: row has 4 cells, header has 15"):
        parse(data[:cut] + b"\n")  # cut, even where a line end follows


def test_truncated_inside_the_last_value():
    data = BODY.read_bytes().rstrip(b"\n")
    with pytest.raises(ParseError, match=r"boi\.csv:29: truncated"):
        parse(data[:-4])


@pytest.mark.parametrize("old,new,match", [
    ("OBS_VALUE", "VALUE", r"boi\.csv:1: not a Bank of Israel SDMX-CSV: header lacks OBS_VALUE"),
    ("UNIT_MULT,", "", r"boi\.csv:1: not a Bank of Israel SDMX-CSV: header lacks UNIT_MULT"),
    ("BASE_CURRENCY", "BASE_CUR", r"header lacks BASE_CURRENCY"),
])
def test_changed_header(old, new, match):
    text = BODY.read_text()
    first, rest = text.split("\n", 1)
    with pytest.raises(ParseError, match=match):
        parse((first.replace(old, new, 1) + "\n" + rest).encode())


def test_dropped_column_in_the_rows_too():
    rows = list(csv.reader(io.StringIO(BODY.read_text())))
    k = rows[0].index("UNIT_MULT")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r[:k] + r[k + 1:] for r in rows])
    with pytest.raises(ParseError, match=r":1: .*header lacks UNIT_MULT"):
        parse(out.getvalue().encode())


def test_bad_date_names_its_line():
    text = BODY.read_text().replace(",2026-03-05,3.072,", ",2026-03-32,3.072,", 1)
    with pytest.raises(ParseError, match=r"boi\.csv:3: bad date '2026-03-32'"):
        parse(text.encode())


def test_code_out_of_use_is_a_reject():
    # HRK was withdrawn on 2023-01-01 (defunct_currencies.csv): a 2026 quote of it cannot be a rate
    text = BODY.read_text().replace("RER_SEK_ILS,D,SEK,", "RER_HRK_ILS,D,HRK,", 1)
    snap = parse(text.encode())
    assert snap.rates.height == 27 and "HRK" not in set(snap.rates["base"])
    (reject,) = snap.rejects
    assert reject.line == 28 and reject.date == dt.date(2026, 3, 2)
    assert "HRK quoted on 2026-03-02, but it was withdrawn from 2023-01-01" in reject.reason


@pytest.mark.parametrize("old,new,reason", [
    (",2026-03-02,3.073,", ",2026-03-02,3.07.3,", "USD: not a number: '3.07.3'"),
    (",2026-03-02,3.073,", ",2026-03-02,-3.073,", "USD: rate must be > 0"),
    (",2026-03-02,3.073,", ",2026-03-02,NaN,", "USD: not a finite number"),
    ("RER_USD_ILS,D,USD,", "RER_USD_ILS,D,usd,", "currency code 'usd' is not three upper-case letters"),
    (",ILS,ILS,OF00,BOI_MRKT,V,F,Y,0,,2026-03-02,3.073", ",ILS,ILS,OF00,BOI_MRKT,V,F,Y,x,,2026-03-02,3.073", "UNIT_MULT 'x'"),
    ("ILS,ILS,OF00,BOI_MRKT,V,F,Y,0,,2026-03-02,3.073", "ILS,ILS,OF01,BOI_MRKT,V,F,Y,0,,2026-03-02,3.073", "DATA_TYPE 'OF01'"),
])
def test_bad_cell_is_quarantined_with_its_line(old, new, reason):
    snap = parse(BODY.read_text().replace(old, new, 1).encode())
    (reject,) = snap.rejects
    assert reason in reject.reason and reject.line == 2 and reject.date == dt.date(2026, 3, 2)
    assert snap.rates.height == 27


def test_a_record_given_twice_is_the_duplicate_rule_keyed_on_the_foreign_code():
    lines = BODY.read_text().splitlines(keepends=True)
    snap = parse("".join([*lines, lines[1]]).encode())  # USD 2026-03-02 again, same text
    assert snap.rates.height == 28
    (reject,) = snap.rejects
    assert reject.line == 30 and "duplicate of line 2" in reject.reason
    other = lines[1].replace("3.073", "3.074")
    snap = parse("".join([*lines, other]).encode())  # different text: neither is kept
    assert snap.rates.height == 27 and len(snap.rejects) == 2


def test_looks_like_only_its_own_bodies():
    assert boi.looks_like(BODY.suffix, head(BODY))
    others = other_fixtures("boi")
    assert len(others) > 20
    claimed = [p.relative_to(FIXTURES) for p in others if boi.looks_like(p.suffix.lower(), head(p))]
    assert claimed == []


def test_bundled_recording_is_the_fixture_body():
    bundled = REPO / "data" / "bundled" / "boi" / BODY.name
    assert bundled.read_bytes() == BODY.read_bytes()
