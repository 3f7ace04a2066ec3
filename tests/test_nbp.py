"""Narodowy Bank Polski adapter (the NBP API's JSON, tables A and B), against Frankfurter's recorded bodies."""

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import REPO, UTC
from provider_fixtures import HTML_PAGE, PROVIDERS, bodies, head, other_fixtures

from dagster_project.adapters import nbp
from dagster_project.rows import RATE_SCHEMA, ParseError

CAPTURED = dt.datetime(2026, 4, 26, 22, 53, tzinfo=UTC)
FOLDER = Path(__file__).parent / "fixtures" / "providers" / "nbp"
TABLE_A = FOLDER / "20260426T225300Z_0.json"
TABLE_B = FOLDER / "20260426T225300Z_1.json"


def parse(data, file="nbp.json", **kw):
    return nbp.parse(data, captured_at=CAPTURED, file=file, **kw)


def independent(path):
    """The body read with the stdlib json module, numbers as their literal text: {(date, code): (mid, ordinal)}."""
    found, n = {}, 0
    for table in json.loads(path.read_text(), parse_float=str, parse_int=str):
        for rate in table["rates"]:
            n += 1
            found[(dt.date.fromisoformat(table["effectiveDate"]), rate["code"])] = (rate["mid"], n)
    return found, n


@pytest.mark.parametrize("path,rows,days", [
    (TABLE_A, 128, [dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 4), dt.date(2026, 3, 5)]),
    (TABLE_B, 116, [dt.date(2026, 3, 4)]),
])
def test_every_rate_is_a_row_in_pln_per_1_unit(path, rows, days):
    expected, elements = independent(path)
    snap = parse(path.read_bytes())
    assert snap.rates.schema == RATE_SCHEMA
    assert snap.rates.height == len(expected) == elements == rows and snap.rejects == []
    for row in snap.rates.iter_rows(named=True):
        mid, n = expected[(row["date"], row["base"])]
        assert (row["currency"], row["rate_text"], row["line"]) == ("PLN", mid, n)
        assert row["rate"] == float(mid)
    assert snap.dates == days


def test_spot_values():
    a, b = parse(TABLE_A.read_bytes()).rates, parse(TABLE_B.read_bytes()).rates

    def one(frame, day, code):
        return frame.filter((frame["date"] == dt.date.fromisoformat(day)) & (frame["base"] == code)).row(0, named=True)

    raw_a, raw_b = TABLE_A.read_text(), TABLE_B.read_text()
    # as the bodies have them (the API's mid is per 1 unit, also for JPY and IDR, which the printed table quotes per 100/10,000)
    for frame, raw, day, code, text in [
        (a, raw_a, "2026-03-02", "JPY", "0.022963"), (a, raw_a, "2026-03-02", "IDR", "0.00021385"),
        (a, raw_a, "2026-03-03", "USD", "3.6820"), (a, raw_a, "2026-03-05", "EUR", "4.2739"),
        (b, raw_b, "2026-03-04", "IRR", "0.0000028"), (b, raw_b, "2026-03-04", "KWD", "12.0172"),
        (b, raw_b, "2026-03-04", "ZWG", "0.1429"), (b, raw_b, "2026-03-04", "XCG", "2.0417"),
    ]:
        assert f'"code":"{code}","mid":{text}}}' in raw
        row = one(frame, day, code)
        assert (row["base"], row["currency"], row["rate_text"], row["rate"]) == (code, "PLN", text, float(text))
    assert one(a, "2026-03-03", "USD")["rate_text"] == "3.6820"  # trailing zero kept


def test_window_keeps_only_those_dates():
    snap = parse(TABLE_A.read_bytes(), window=(dt.date(2026, 3, 3), dt.date(2026, 3, 4)))
    assert snap.dates == [dt.date(2026, 3, 3), dt.date(2026, 3, 4)] and snap.rates.height == 64
    lines = sorted(snap.rates["line"].to_list())
    assert (lines[0], lines[-1]) == (33, 96)  # the ordinals of the whole body, not of the window


@pytest.mark.parametrize("body,match", [
    (HTML_PAGE, r"^nbp\.json:1: an HTML page \('503 Service Temporarily Unavailable'\), not an NBP exchange rate table"),
    (b"", r"^nbp\.json: empty input"),
    (b"404 NotFound - Not Found - Brak danych", r"^nbp\.json:1: truncated or malformed JSON"),  # the API's answer to an empty range
    (b"[]", r"^nbp\.json: not an NBP answer: expected a list of tables, found an empty list"),
    (b'{"rates":[]}', r"^nbp\.json: not an NBP answer: expected a list of tables, found an object"),
])
def test_not_data(body, match):
    with pytest.raises(ParseError, match=match):
        parse(body)


@pytest.mark.parametrize("path", [TABLE_A, TABLE_B])
def test_truncated_in_the_middle_of_a_record(path):
    data = path.read_bytes()
    cut = data.index(b'"code":"', len(data) // 2) + 5
    with pytest.raises(ParseError, match=r"^nbp\.json:1: truncated or malformed JSON"):
        parse(data[:cut])


@pytest.mark.parametrize("path", [TABLE_A, TABLE_B])
def test_changed_rate_element(path):
    with pytest.raises(ParseError, match=r"^nbp\.json:1: table 1 \(0\d\d/[AB]/NBP/2026\): rate element lacks mid"):
        parse(path.read_text().replace('"mid":', '"kurs":').encode())


@pytest.mark.parametrize("old,new,match", [
    ('"effectiveDate":', '"tradingDate":', r"^nbp\.json: table 1 lacks effectiveDate: the answer's shape changed"),
    ('"rates":', '"kursy":', r"^nbp\.json: table 1 lacks rates"),
    ('"table":"A"', '"table":"C"', r"^nbp\.json: table 1 is table 'C': only the average-rate tables A and B are read"),
    ('"effectiveDate":"2026-03-02"', '"effectiveDate":"02.03.2026"', r"^nbp\.json: table 1 \(041/A/NBP/2026\): bad effectiveDate"),
])
def test_changed_table(old, new, match):
    with pytest.raises(ParseError, match=match):
        parse(TABLE_A.read_text().replace(old, new).encode())


def test_code_out_of_use_is_a_reject():
    # the Zimbabwe dollar (ZWL) was replaced by the ZiG (ZWG) on 2024-06-25: table B quoting ZWL in 2026 is a reject
    text = TABLE_B.read_text()
    assert text.count('"code":"ZWG"') == 1
    text = text.replace('"code":"ZWG"', '"code":"ZWL"')
    expected, _ = independent(TABLE_B)
    snap = parse(text.encode())
    (bad,) = snap.rejects
    assert bad.line == expected[(dt.date(2026, 3, 4), "ZWG")][1] and bad.date == dt.date(2026, 3, 4)
    assert "ZWL quoted on 2026-03-04, but it was withdrawn from 2024-06-25" in bad.reason
    assert snap.rates.height == 115


def test_successor_before_its_day_is_a_reject():
    # XCG (the Caribbean guilder) replaced ANG on 2025-03-31: the same table dated 2025-03-05 cannot quote it
    text = TABLE_B.read_text().replace('"effectiveDate":"2026-03-04"', '"effectiveDate":"2025-03-05"')
    reasons = [r.reason for r in parse(text.encode()).rejects]
    assert reasons == ["XCG quoted on 2025-03-05, before it was introduced on 2025-03-31 (defunct_currencies.csv)"]


@pytest.mark.parametrize("old,new,reason", [
    ('"code":"USD","mid":3.6820}', '"code":"USD","mid":0}', "USD: rate must be > 0"),
    ('"code":"USD","mid":3.6820}', '"code":"USD","mid":"3,6820"}', "USD: comma decimal in '3,6820'"),
    ('"code":"USD","mid":3.6820}', '"code":"USD","mid":null}', "USD: no rate published"),
    ('"code":"USD","mid":3.6820}', '"code":"usd","mid":3.6820}', "not a currency code (three uppercase letters): 'usd'"),
])
def test_bad_values_are_rejects(old, new, reason):
    text = TABLE_A.read_text()
    assert text.count(old) == 1
    snap = parse(text.replace(old, new).encode())
    (bad,) = snap.rejects
    expected, _ = independent(TABLE_A)
    assert bad.reason.startswith(reason) and bad.date == dt.date(2026, 3, 3)
    assert bad.line == expected[(dt.date(2026, 3, 3), "USD")][1]
    assert snap.rates.height == 127


def test_a_code_in_two_tables_of_the_same_day():
    # tables A and B of one Wednesday concatenated, with a code in both: the duplicate rule applies per code
    a = json.loads(TABLE_A.read_text())
    b = json.loads(TABLE_B.read_text())
    b[0]["rates"].append({"currency": "dolar amerykański", "code": "USD", "mid": 3.6770})  # A's USD of 2026-03-04
    snap = parse(json.dumps(a + b).encode())
    assert snap.rates.height == 128 + 116
    assert [r.reason for r in snap.rejects] == [f"USD on 2026-03-04: duplicate of line {independent(TABLE_A)[0][(dt.date(2026, 3, 4), 'USD')][1]} (same value), dropped"]


def test_looks_like_only_its_own_bodies():
    for path in bodies(PROVIDERS / "nbp"):
        assert nbp.looks_like(path.suffix.lower(), head(path)), path
    others = other_fixtures("nbp")
    assert any("ecb" in p.parts for p in others) and any("fixer" in p.parts for p in others)
    assert [p for p in others if nbp.looks_like(p.suffix.lower(), head(p))] == []


def test_bundled_copies_are_the_recorded_bodies():
    for path in (TABLE_A, TABLE_B):
        assert (REPO / "data" / "bundled" / "nbp" / path.name).read_bytes() == path.read_bytes()


def test_source_detection_picks_nbp():
    """Once the registry has the entry (before the catch-all fixer/ticker_csv entries), detect() names it."""
    from dagster_project import sources

    if "nbp" not in sources.SOURCES:
        pytest.skip("nbp is not in the registry yet (the lead adds the entry)")
    for path in bodies(PROVIDERS / "nbp"):
        assert sources.detect(path.name, path.read_bytes()) == "nbp", path
