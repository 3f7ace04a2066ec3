"""Central Bank of Kenya adapter against its recorded table 193 (2024-01-05 … 2026-03-19), checked by a json-module
reading: KES per unit (per 100 JPY), and the East African cross rates per 1 KES."""

import datetime as dt
import json
import re

import polars as pl
import pytest
from conftest import FIXTURES, UTC
from provider_fixtures import bodies, head_of, other_fixtures

from dagster_project.adapters import cbk
from dagster_project.rows import ParseError

CAPTURED = dt.datetime(2026, 3, 23, 0, 6, 12, tzinfo=UTC)
BODY = FIXTURES / "providers" / "cbk" / "20260323T000612Z_0.json"
CROSS = {"KES / USHS": "UGX", "KES / TSHS": "TZS", "KES / RWF": "RWF", "KES / BIF": "BIF"}


def parse(data, file="cbk.json", **kw):
    return cbk.parse(data, captured_at=CAPTURED, file=file, **kw)


def records():
    return json.loads(BODY.read_text())["data"]


def test_row_count_and_orientation_match_an_independent_reading():
    data = records()
    assert len(data) == 11_550 and {len(r) for r in data} == {3}
    seen = {}
    for n, (day, label, value) in enumerate(data, start=1):
        seen.setdefault((day, label), []).append((n, value))
    kept = {k: v[0] for k, v in seen.items() if len({t for _, t in v}) == 1}
    snap = parse(BODY.read_bytes())
    assert snap.rates.height == len(kept) == 11_529
    assert len(snap.rejects) == 21 and all("duplicate of line" in r.reason for r in snap.rejects)  # 28/11/2025 twice
    by_line = {n: (b, c, t, r) for b, c, t, r, n in snap.rates.select("base", "currency", "rate_text", "rate", "line").iter_rows()}
    for (_day, label), (n, value) in kept.items():
        base, currency, text, rate = by_line[n]
        assert text == value
        if label in CROSS:
            assert (base, currency, rate) == ("KES", CROSS[label], float(value))
        elif label == "JPY (100)":
            assert (base, currency) == ("JPY", "KES") and rate == pytest.approx(float(value) / 100)
        else:
            assert currency == "KES" and base != "KES" and rate == float(value)


def test_spot_values_on_the_news_page_date():
    day = {label: value for d, label, value in records() if d == "28/11/2024"}
    rates = parse(BODY.read_bytes()).rates.filter(pl.col("date") == dt.date(2024, 11, 28))
    got = {(b, c): (t, r) for b, c, t, r in rates.select("base", "currency", "rate_text", "rate").iter_rows()}
    assert len(got) == len(day) == 21
    assert got[("USD", "KES")] == (day["US DOLLAR"], float(day["US DOLLAR"]))
    assert got[("GBP", "KES")][0] == day["STG POUND"] and got[("CHF", "KES")][0] == day["S FRANC"]
    assert got[("JPY", "KES")] == (day["JPY (100)"], pytest.approx(float(day["JPY (100)"]) / 100))  # per 100 JPY
    assert got[("KES", "UGX")] == (day["KES / USHS"], float(day["KES / USHS"]))  # UGX per 1 KES, as published
    assert got[("KES", "TZS")][0] == day["KES / TSHS"] and got[("KES", "BIF")][0] == day["KES / BIF"]


def test_line_is_the_record_ordinal():
    data = records()
    snap = parse(BODY.read_bytes())
    row = snap.rates.filter((pl.col("date") == dt.date(2024, 11, 28)) & (pl.col("base") == "AUD")).row(0, named=True)
    assert data[row["line"] - 1] == ["28/11/2024", "AUSTRALIAN $", row["rate_text"]]


def test_window():
    snap = parse(BODY.read_bytes(), window=(dt.date(2024, 11, 28), dt.date(2024, 11, 28)))
    assert snap.rates.height == 21 and snap.dates == [dt.date(2024, 11, 28)]


def test_unknown_label_bad_number_and_code_out_of_use_are_rejects():
    text = BODY.read_text()
    text = text.replace('["19\\/03\\/2026","US DOLLAR","', '["19\\/03\\/2026","ZWL","', 1)
    text = text.replace('["19\\/03\\/2026","EURO","', '["19\\/03\\/2026","GOLD COIN","', 1)
    text = re.sub(r'(\["19\\/03\\/2026","STG POUND",")[0-9.]+', r"\g<1>1,234.5", text, count=1)
    snap = parse(text.encode())
    reasons = {r.reason for r in snap.rejects if r.date == dt.date(2026, 3, 19)}
    assert "ZWL quoted on 2026-03-19, but it was withdrawn from 2024-06-25 (defunct_currencies.csv)" in reasons
    assert "unknown currency label 'GOLD COIN'" in reasons
    assert "GBP: thousands separator in '1,234.5': ambiguous, not read" in reasons
    assert snap.rates.filter(pl.col("date") == dt.date(2026, 3, 19)).height == 21 - 3


@pytest.mark.parametrize("body,match", [
    (b"", r"cbk\.json: empty input"),
    (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>", r"cbk\.json:1: an HTML page was served"),
    ("cut", r"cbk\.json:1: malformed or truncated JSON"),
    ("shape", r"cbk\.json: not a CBK rates table: no 'data' list"),
    ("record", r"cbk\.json:1: record 1 is .*expected \[date, currency, rate\]"),
    ("date", r"cbk\.json:1: record 1: bad date '2024-01-05'"),
    ("page", r"cbk\.json: the answer holds 10 of its 11550 records \(one page of the table"),
])
def test_bad_bodies_are_parse_errors(body, match):
    text = BODY.read_text()
    if body == "cut":  # cut in the middle of a record
        body = text[: text.index('"SA RAND","') + 9].encode()
    elif body == "shape":
        body = text.replace('"data":', '"rows":', 1).encode()
    elif body == "record":
        body = text.replace('["05\\/01\\/2024","US DOLLAR","157.9012"]', '["05\\/01\\/2024","US DOLLAR"]', 1).encode()
    elif body == "page":  # what the endpoint answers without length=-1: the first 10 records
        doc = json.loads(text)
        body = json.dumps({**doc, "data": doc["data"][:10]}).encode()
    elif body == "date":
        body = text.replace('["05\\/01\\/2024",', '["2024-01-05",', 1).encode()
    with pytest.raises(ParseError, match=match):
        parse(body)


def test_looks_like_only_its_own_bodies():
    assert [cbk.looks_like(*head_of(p)) for p in bodies(BODY.parent)] == [True]
    others = other_fixtures("cbk")
    assert len(others) > 20
    assert [p for p in others if cbk.looks_like(*head_of(p))] == []


def test_legacy_records_with_buy_and_sell_read_the_mean_and_label_variants():
    """Table 32 (2003-2024) records are [date, label, mean, buy, sell]; older labels spell the pair out."""
    doc = json.loads(BODY.read_text())
    doc["data"] = [[d, label, mean, "0.0001", "9999.0000"] for d, label, mean in doc["data"][:210]]
    doc["recordsTotal"] = doc["recordsFiltered"] = "210"
    doc["data"][4][1] = "KEN SHILLING / USHS"
    doc["data"][11][1] = "JAPANESE YEN (100)"
    snap = parse(json.dumps(doc).encode())
    assert snap.rates.height == 210 and not snap.rejects
    rows = {n: (b, c, t) for b, c, t, n in snap.rates.select("base", "currency", "rate_text", "line").iter_rows()}
    assert rows[5] == ("KES", "UGX", doc["data"][4][2]) and rows[12] == ("JPY", "KES", doc["data"][11][2])
    assert {t for _, _, t in rows.values()} == {r[2] for r in doc["data"]}
