"""Central Bank of Samoa adapter against its recorded workbook (one sheet per year, 2008-01-03 … 2026-06-03), checked
by an independent zipfile + xml.etree reading of the same cells: units of foreign currency per 1 WST."""

import datetime as dt

import polars as pl
import pytest
from conftest import BUNDLED_ECB, FIXTURES, UTC
from provider_fixtures import EXCEL_EPOCH_ORDINAL, bodies, head_of, other_fixtures, replace_in_member, xlsx_sheets

from dagster_project.adapters import cbs
from dagster_project.rows import ParseError

CAPTURED = dt.datetime(2026, 6, 3, 8, 37, 14, tzinfo=UTC)
FOLDER = FIXTURES / "providers" / "cbs"
BODY = FOLDER / "20260603T083714Z_1.xlsx"
ABBREVIATIONS = {"US": "USD", "NZ": "NZD", "AUS": "AUD", "EURO": "EUR", "EUR": "EUR", "YEN": "JPY"}
# Three rows of this recording carry a date that does not belong where they stand (checked below).
MISPLACED = {("2013", 136), ("2014", 135), ("2026", 34)}


def parse(data, file="cbs.xlsx", **kw):
    return cbs.parse(data, captured_at=CAPTURED, file=file, **kw)


def code_of(label):
    left, right = label.split("/")
    other = right if left == "TALA" else left
    return ABBREVIATIONS.get(other, other)


def independent():
    """[(sheet, row, date, code, text)] for every numeric cell under a DATE header, and each row's date."""
    cells, row_dates = [], {}
    for name, rows in xlsx_sheets(BODY.read_bytes()):
        labels = {}
        for n, c in rows:
            b = c.get("B")
            if b == ("s", "DATE"):
                labels = {col: code_of(v) for col, (t, v) in c.items() if col != "B"}
            elif b is not None and b[0] == "n":
                day = dt.date.fromordinal(EXCEL_EPOCH_ORDINAL + int(float(b[1])))
                row_dates[(name, n)] = day
                cells += [(name, n, day, labels[col], v) for col, (t, v) in c.items() if col in labels and t == "n"]
    return cells, row_dates


def test_every_cell_is_a_row_per_1_wst():
    cells, _ = independent()
    expected = {(d, code): (n, text) for name, n, d, code, text in cells if (name, n) not in MISPLACED}
    kept_once = {}
    for name, n, d, code, text in cells:
        if (name, n) not in MISPLACED:
            kept_once.setdefault((d, code), (n, text))
    snap = parse(BODY.read_bytes())
    got = {(d, c): (n, t) for d, c, n, t in snap.rates.select("date", "currency", "line", "rate_text").iter_rows()}
    assert got == kept_once and len(expected) == len(kept_once) == snap.rates.height == 36_863
    assert set(snap.rates["base"]) == {"WST"}
    assert set(snap.rates["currency"]) == {"USD", "NZD", "AUD", "EUR", "FJD", "JPY", "GBP", "CNY", "CNH"}
    assert (snap.rates["rate"] == snap.rates["rate_text"].cast(pl.Float64)).all()
    assert (min(snap.dates), max(snap.dates)) == (dt.date(2008, 1, 3), dt.date(2026, 6, 3))


def test_rows_dated_against_their_place_are_rejects():
    _, row_dates = independent()
    for name, n in MISPLACED:  # the rows around each are of another date than it says
        before = row_dates[(name, n - 1)]
        assert row_dates[(name, n)].year != before.year or row_dates[(name, n)].month != before.month
    snap = parse(BODY.read_bytes())
    assert {(r.text.split("!")[0], r.line) for r in snap.rejects} == MISPLACED
    assert all("the date contradicts where it stands" in r.reason for r in snap.rejects)


def test_spot_values_on_the_news_page_date_and_across_label_styles():
    cells, _ = independent()
    snap = parse(BODY.read_bytes())
    for day in (dt.date(2024, 11, 28), dt.date(2010, 6, 15), dt.date(2026, 6, 3)):  # TALA/USD and US/TALA years
        rates = snap.rates.filter(pl.col("date") == day)
        want = {code: text for _, _, d, code, text in cells if d == day}
        assert dict(zip(rates["currency"], rates["rate_text"], strict=True)) == want and len(want) >= 7
    day = snap.rates.filter(pl.col("date") == dt.date(2026, 6, 3))
    usd = day.filter(pl.col("currency") == "USD")["rate"].item()
    jpy = day.filter(pl.col("currency") == "JPY")["rate"].item()
    assert round(usd, 5) == 0.36983 and round(jpy, 4) == 59.1373  # the bank's page of that day: 0.36983, 59.1373
    # the 2009-2012 sheets label the columns US/TALA…, the same quotation: no jump across 2008 -> 2009
    usd = snap.rates.filter(pl.col("currency") == "USD").sort("date")
    dec, jan = usd.filter(pl.col("date").dt.year() == 2008)["rate"][-1], usd.filter(pl.col("date").dt.year() == 2009)["rate"][0]
    assert abs(jan / dec - 1) < 0.05


def test_window():
    snap = parse(BODY.read_bytes(), window=(dt.date(2024, 11, 1), dt.date(2024, 11, 30)))
    assert {d.month for d in snap.dates} == {11} and snap.rates.height == 9 * len(snap.dates)


def test_a_code_out_of_use_is_a_reject():
    data = replace_in_member(BODY.read_bytes(), "xl/sharedStrings.xml", b"<t>TALA/GBP</t>", b"<t>TALA/HRK</t>")
    snap = parse(data)
    hrk = snap.rates.filter(pl.col("currency") == "HRK")
    assert hrk.height > 1000 and hrk["date"].max() < dt.date(2023, 1, 1)
    late = [r for r in snap.rejects if "HRK quoted on" in r.reason]
    assert len(late) > 500 and all(r.date >= dt.date(2023, 1, 1) for r in late)


@pytest.mark.parametrize("edit,match", [
    ("empty", r"cbs\.xlsx: empty input"),
    ("html", r"cbs\.xlsx:1: an HTML page was served instead of the workbook"),
    ("cut", r"cbs\.xlsx: corrupt or truncated \.xlsx"),
    ("header", r"cbs\.xlsx:3: sheet '2008': a dated row before any DATE header"),
])
def test_bad_bodies_are_parse_errors(edit, match):
    data = BODY.read_bytes()
    if edit == "empty":
        data = b""
    elif edit == "html":
        data = (FIXTURES / "bad" / "page-in.html").read_bytes()
    elif edit == "cut":
        data = data[: len(data) * 2 // 3]
    else:
        data = replace_in_member(data, "xl/sharedStrings.xml", b"<t>DATE</t>", b"<t>DAY</t>")
    with pytest.raises(ParseError, match=match):
        parse(data)


def test_looks_like_only_its_own_bodies():
    assert [cbs.looks_like(*head_of(p)) for p in bodies(FOLDER)] == [True]
    assert all(cbs.looks_like(".zip", head_of(p)[1]) for p in bodies(FOLDER))  # as landing names a zip it cannot place
    others = other_fixtures("cbs")
    assert len(others) > 20
    assert [p for p in others if cbs.looks_like(*head_of(p))] == []
    assert not cbs.looks_like(*head_of(BUNDLED_ECB))  # the ECB's history zip


def test_a_date_written_as_text_is_read_like_a_serial():
    data = replace_in_member(BODY.read_bytes(), "xl/worksheets/sheet19.xml", b'<c r="B3" s="63"><v>46027</v></c>',
                             b'<c r="B3" s="63" t="inlineStr"><is><t>05/01/2026</t></is></c>')
    cells, _ = independent()
    want = {code: text for name, n, _, code, text in cells if (name, n) == ("2026", 3)}
    rates = parse(data).rates.filter(pl.col("date") == dt.date(2026, 1, 5))
    assert dict(zip(rates["currency"], rates["rate_text"], strict=True)) == want and len(want) == 9


def test_the_workbook_link_is_found_on_the_data_page():
    # the link as the recorded page (cassette interaction 0) writes it, and a name with spaces as the bank has used
    page = b'<div class="linkBlock"><a href="/media/Historical-Daily-Rates-June032026.xlsx">Historical Daily Rates.</a></div>'
    assert cbs.workbook_url(page) == "https://cbs.gov.ws/media/Historical-Daily-Rates-June032026.xlsx"
    assert cbs.workbook_url(b"<a href='/media/Historical Daily Rates-220626.xlsx'>x</a>") == (
        "https://cbs.gov.ws/media/Historical%20Daily%20Rates-220626.xlsx")
    with pytest.raises(ParseError, match=r"no \.xlsx workbook link"):
        cbs.workbook_url(b"<html><body>no link here</body></html>")


def test_a_column_label_that_is_not_a_code_is_a_reject_per_cell():
    data = replace_in_member(BODY.read_bytes(), "xl/sharedStrings.xml", b"<t>TALA/FJD</t>", b"<t>TALA/FIJI</t>")
    snap = parse(data, window=(dt.date(2024, 11, 1), dt.date(2024, 11, 30)))
    bad = [r for r in snap.rejects if "FIJI" in r.reason]
    assert len(bad) == len(snap.dates) and all(r.reason == "column label 'FIJI' is not a three-letter currency code" for r in bad)
    assert "FJD" not in set(snap.rates["currency"]) and bad[0].text.startswith("2024!G")
