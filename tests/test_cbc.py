"""CBC (Taiwan) adapter, BP01D01 JSON, against the 1993-2026 history Frankfurter recorded, read independently with json."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import FIXTURES, REPO, UTC
from provider_fixtures import head, other_fixtures

from dagster_project.adapters import cbc
from dagster_project.rows import ParseError

FOLDER = FIXTURES / "providers" / "cbc"
BODY = FOLDER / "20260330T224022Z_0.txt"
CAPTURED = dt.datetime(2026, 3, 30, 22, 40, 22, tzinfo=UTC)
DAY = dt.date(2024, 11, 28)
NOV = (dt.date(2024, 11, 1), dt.date(2024, 11, 30))
HTML = (b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
        b"<body><h1>Bad Gateway</h1></body></html>\n")


def parse(data: bytes, file: str = "cbc.txt", **kw):
    return cbc.parse(data, captured_at=CAPTURED, file=file, **kw)


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads(BODY.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def full():
    return parse(BODY.read_bytes())


def independent(doc: dict) -> dict[tuple[str, str, str], tuple[str, int]]:
    """(YYYY-MM-DD, currency, base) -> (published text, record ordinal): each label's last seven characters are
    'XXX/YYY', units of XXX per 1 YYY (NTD is the bank's name for TWD)."""
    pairs = []
    for entry in doc["data"]["structure"]["Table1"]:
        quote, per = entry["data"].strip()[-7:].split("/")
        pairs.append(("TWD" if quote == "NTD" else quote, per))
    out = {}
    for n, record in enumerate(doc["data"]["dataSets"], start=1):
        day = f"{record[0][:4]}-{record[0][4:6]}-{record[0][6:]}"
        for (quote, per), value in zip(pairs, record[1:], strict=True):
            if value != "-":
                out[(day, quote, per)] = (value, n)
    return out


def test_every_quote_of_the_history(doc, full):
    expected = independent(doc)
    got = {(str(d), c, b): (t, n) for d, c, b, t, n in full.rates.select("date", "currency", "base", "rate_text", "line").iter_rows()}
    assert full.rates.height == len(expected) == 123_900 and not full.rejects
    assert got == expected
    assert full.dates[0] == dt.date(1993, 1, 5) and full.dates[-1] == dt.date(2026, 2, 26)
    assert len(full.dates) == len(doc["data"]["dataSets"]) == 8241
    assert (full.rates["rate"] == full.rates["rate_text"].cast(float)).all()  # every quote is per 1 unit


def test_spot_values_on_the_page_day(doc, full):
    day = full.rates.filter(full.rates["date"] == DAY)
    rows = {(r["currency"], r["base"]): r for r in day.iter_rows(named=True)}
    (record,) = [(n, r) for n, r in enumerate(doc["data"]["dataSets"], start=1) if r[0] == "20241128"]
    n, cells = record
    assert len(rows) == 15 and {r["line"] for r in rows.values()} == {n}
    assert rows[("TWD", "USD")]["rate_text"] == cells[1] == "32.521"
    assert rows[("JPY", "USD")]["rate"] == float(cells[2]) == 151.76
    gbp = rows[("USD", "GBP")]  # inverted: USD per 1 GBP
    assert gbp["rate_text"] == cells[3] == "1.2650" and gbp["rate"] == 1.265
    assert rows[("KRW", "USD")]["rate_text"] == "1395.5"
    assert rows[("USD", "EUR")]["rate_text"] == "1.0539" and rows[("USD", "AUD")]["rate_text"] == "0.6482"
    assert rows[("VND", "USD")]["rate_text"] == "25360.0"
    assert not {("DEM", "USD"), ("FRF", "USD"), ("NLG", "USD")} & set(rows)  # '-': not quoted any more


def test_legacy_columns_early_in_the_history(full):
    first = {(r["currency"], r["base"]): r["rate_text"] for r in full.rates.filter(full.rates["date"] == dt.date(1993, 1, 5)).iter_rows(named=True)}
    assert first[("DEM", "USD")] == "1.6255" and first[("NLG", "USD")] == "1.8258"
    assert ("USD", "EUR") not in first and ("VND", "USD") not in first


def test_window_keeps_only_its_dates(full):
    snap = parse(BODY.read_bytes(), window=NOV)
    assert snap.rates.height == full.rates.filter(full.rates["date"].is_between(*NOV)).height == 315
    assert min(snap.dates) >= NOV[0] and max(snap.dates) <= NOV[1]


def test_direction_is_read_from_the_labels(doc):
    edited = json.loads(json.dumps(doc))
    edited["data"]["structure"]["Table1"][1]["data"] = "日圓USD/JPY"  # as if the bank quoted it the other way
    rows = parse(json.dumps(edited, ensure_ascii=False).encode(), window=(DAY, DAY)).rates
    jpy = rows.filter(rows["base"] == "JPY").row(0, named=True)
    assert (jpy["currency"], jpy["rate_text"]) == ("USD", "151.76")


@pytest.mark.parametrize("body,match", [
    (HTML, r"cbc\.txt:1: an HTML/XML page"),
    (b"", r"cbc\.txt: empty input"),
    (b'{"meta": {"filename": "BP01D01.px"}}', r"cbc\.txt: not the CBC open-data JSON"),
    (b'{"meta": {"filename": "BP01M01.px"}, "data": {}}', r"meta\.filename is 'BP01M01\.px'"),
])
def test_not_a_body(body, match):
    with pytest.raises(ParseError, match=match):
        parse(body)


def test_truncated_in_the_middle_of_a_record():
    data = BODY.read_bytes()
    cut = data.index(b'["20241128"') + 30
    with pytest.raises(ParseError, match=r"cbc\.txt:1: truncated or malformed JSON"):
        parse(data[:cut])


def edit(doc: dict, change) -> bytes:
    copy = json.loads(json.dumps(doc))
    change(copy["data"])
    return json.dumps(copy, ensure_ascii=False).encode()


@pytest.mark.parametrize("change,match", [
    (lambda d: d.pop("structure"), r"no column labels"),
    (lambda d: d["structure"]["Table1"][2].update(data="英鎊"), r"column 3 label '英鎊' does not end in 'XXX/YYY'"),
    (lambda d: d["structure"]["Table1"].pop(), r"cbc\.txt:1: record 1 has 19 cells, the labels name 17 columns"),
    (lambda d: d["dataSets"][7936].pop(), r"cbc\.txt:7937: record 7937 has 18 cells"),
    (lambda d: d.pop("dataSets"), r"no records"),
    (lambda d: d["dataSets"][9].__setitem__(0, "1993-01-19"), r"cbc\.txt:10: record 10: bad date '1993-01-19'"),
    (lambda d: d["dataSets"][9].__setitem__(0, "19930231"), r"cbc\.txt:10: record 10: bad date '19930231'"),
    (lambda d: d["dataSets"][9].__setitem__(0, d["dataSets"][8][0]), r"cbc\.txt:10: date 1993-01-15 appears twice"),
])
def test_changed_shape(doc, change, match):
    with pytest.raises(ParseError, match=match):
        parse(edit(doc, change), window=NOV)  # the whole body is checked, whatever the window


def test_code_out_of_use_is_a_reject(doc):
    # the euro did not exist on 1993-01-05: a EUR quote of that day is rejected, the rest of the record kept
    col = [e["data"] for e in doc["data"]["structure"]["Table1"]].index("歐元USD/EUR") + 1
    snap = parse(edit(doc, lambda d: d["dataSets"][0].__setitem__(col, "1.1700")), window=(dt.date(1993, 1, 5),) * 2)
    (reject,) = snap.rejects
    assert reject.line == 1 and reject.date == dt.date(1993, 1, 5)
    assert "EUR quoted on 1993-01-05, before it was introduced on 1999-01-01" in reject.reason
    assert snap.rates.height == 15 and "EUR" not in set(snap.rates["base"])


@pytest.mark.parametrize("value,reason", [
    ("32,52", "comma decimal"), ("32,521", "thousands separator"), ("0", "rate must be > 0"), ("N/A", "not a number"), (32.521, "not a published number text"),
])
def test_bad_cell_is_quarantined_with_its_record(doc, value, reason):
    snap = parse(edit(doc, lambda d: d["dataSets"][7936].__setitem__(1, value)), window=(DAY, DAY))
    (reject,) = snap.rejects
    assert reject.line == 7937 and reason in reject.reason and reject.reason.startswith("TWD/USD")
    assert snap.rates.height == 14


def test_a_code_that_is_not_upper_case_is_a_reject(doc):
    snap = parse(edit(doc, lambda d: d["structure"]["Table1"][3].update(data="港幣hkd/USD")), window=(DAY, DAY))
    (reject,) = snap.rejects
    assert "currency code 'hkd'" in reject.reason and snap.rates.height == 14


def test_looks_like_only_its_own_bodies():
    assert cbc.looks_like(BODY.suffix, head(BODY))
    others = other_fixtures("cbc")
    assert len(others) > 20
    assert [p.relative_to(FIXTURES) for p in others if cbc.looks_like(p.suffix.lower(), head(p))] == []


def test_bundled_recording_is_the_fixture_body():
    assert (REPO / "data" / "bundled" / "cbc" / BODY.name).read_bytes() == BODY.read_bytes()
