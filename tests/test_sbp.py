"""State Bank of Pakistan adapter against its two recorded workbooks (the archive 2013-07-02 … 2026-06-30 and the
April 2026 current-month file), checked by an independent zipfile + xml.etree reading of the same cells."""

import datetime as dt

import polars as pl
import pytest
from conftest import BUNDLED_ECB, FIXTURES, UTC
from provider_fixtures import EXCEL_EPOCH_ORDINAL, bodies, head_of, other_fixtures, replace_in_member, xlsx_sheets

from dagster_project.adapters import sbp
from dagster_project.rows import ParseError

CAPTURED = dt.datetime(2026, 7, 22, 14, 46, 41, tzinfo=UTC)
FOLDER = FIXTURES / "providers" / "sbp"
ARCHIVE = FOLDER / "20260722T144641Z_0.xlsx"
CURRENT = FOLDER / "20260722T144642Z_1.xlsx"
# The test's own reading of the Currency column (the names as the two files spell them).
ISO = {"Australian Dollar": "AUD", "Bahraini Dinar": "BHD", "Canadian Dollar": "CAD", "Chinese Yuan": "CNY",
       "Danish Krone": "DKK", "Hong Kong Dollar": "HKD", "Hongkong Dollar": "HKD", "Japanese Yen": "JPY",
       "Japnese Yen": "JPY", "Kuwaiti Dinar": "KWD", "Malaysian Ringgit": "MYR", "New Zealand Dollar": "NZD",
       "Norwegian Krone": "NOK", "Omani Riyal": "OMR", "Qatari Riyal": "QAR", "Singapore Dollar": "SGD",
       "Singaporian Dollar": "SGD", "Swedish Krone": "SEK", "Swedish Krona": "SEK", "Swiss Franc": "CHF",
       "Saudi Arabian Riyal": "SAR", "Thai Baht": "THB", "Thai Bhat": "THB", "Turkish Lira": "TRY",
       "U.A.E. Dirham": "AED", "UAE Dirham": "AED", "U.K. Pound Sterling": "GBP", "UK Pound Sterling": "GBP",
       "U.S. Dollar": "USD", "Euro": "EUR"}


def parse(data, file="sbp.xlsx", **kw):
    return sbp.parse(data, captured_at=CAPTURED, file=file, **kw)


def independent(path):
    """(date, code) -> (row, stored text) for every numeric cell of a currency row, and the header's dates."""
    ((_, rows),) = xlsx_sheets(path.read_bytes())
    header_row, header = next((n, c) for n, c in rows if c.get("B") == ("s", "Currency"))
    dates = {col: dt.date.fromordinal(EXCEL_EPOCH_ORDINAL + int(float(v))) for col, (t, v) in header.items()
             if col not in ("A", "B")}
    cells = {}
    for n, c in rows:
        if n > header_row and c.get("B", ("", ""))[1] in ISO:
            for col, (t, v) in c.items():
                if col in dates:
                    assert t == "n"
                    cells[(dates[col], ISO[c["B"][1]])] = (n, v)
    return dates, cells


@pytest.mark.parametrize("path,count,first,last", [
    (ARCHIVE, 73_370, dt.date(2013, 7, 2), dt.date(2026, 6, 30)),
    (CURRENT, 506, dt.date(2026, 4, 1), dt.date(2026, 4, 30)),
])
def test_every_cell_is_a_row_in_pkr_per_unit(path, count, first, last):
    dates, cells = independent(path)
    snap = parse(path.read_bytes())
    got = {(d, b): (n, t) for d, b, n, t in snap.rates.select("date", "base", "line", "rate_text").iter_rows()}
    assert got == cells
    assert snap.rates.height == count and not snap.rejects
    assert set(snap.rates["currency"]) == {"PKR"}
    assert (snap.rates["rate"] == snap.rates["rate_text"].cast(pl.Float64)).all()  # per 1 unit
    assert (min(snap.dates), max(snap.dates)) == (first, last) == (min(dates.values()), max(dates.values()))


def test_spot_values_on_the_news_page_date_and_in_the_current_file():
    _, cells = independent(ARCHIVE)
    day = dt.date(2024, 11, 28)
    rates = parse(ARCHIVE.read_bytes()).rates.filter(pl.col("date") == day)
    got = dict(zip(rates["base"], rates["rate_text"], strict=True))
    assert got == {code: text for (d, code), (_, text) in cells.items() if d == day} and len(got) == 23
    assert got["USD"].startswith("277.90") and got["JPY"].startswith("1.8")  # PKR per 1 USD, per 1 JPY
    _, current = independent(CURRENT)
    rates = parse(CURRENT.read_bytes()).rates.filter(pl.col("date") == dt.date(2026, 4, 1))
    got = dict(zip(rates["base"], rates["rate_text"], strict=True))
    assert got["USD"] == current[(dt.date(2026, 4, 1), "USD")][1] == "279.35178571428565"
    assert got["JPY"] == current[(dt.date(2026, 4, 1), "JPY")][1]  # "Japnese Yen" in this file


def test_the_two_files_agree_where_they_overlap():
    archive = parse(ARCHIVE.read_bytes(), window=(dt.date(2026, 4, 1), dt.date(2026, 4, 30)))
    current = parse(CURRENT.read_bytes())
    assert archive.rates.height == current.rates.height == 506
    a = {(d, b): t for d, b, t in archive.rates.select("date", "base", "rate_text").iter_rows()}
    c = {(d, b): t for d, b, t in current.rates.select("date", "base", "rate_text").iter_rows()}
    assert a == c  # the same cells, to the last stored digit, under two spellings of the names


def test_a_code_out_of_use_is_a_reject():
    data = replace_in_member(ARCHIVE.read_bytes(), "xl/sharedStrings.xml", b"<t>Euro</t>", b"<t>HRK</t>")
    snap = parse(data)
    hrk = snap.rates.filter(pl.col("base") == "HRK")
    assert hrk["date"].max() < dt.date(2023, 1, 1) and hrk.height > 2000
    late = [r for r in snap.rejects if "HRK quoted on" in r.reason]
    assert late and all(r.date >= dt.date(2023, 1, 1) for r in late) and {r.line for r in late} == {30}


def test_unknown_currency_name_is_one_reject_for_its_row():
    data = replace_in_member(CURRENT.read_bytes(), "xl/sharedStrings.xml", b"<t>Euro</t>", b"<t>Euro (old)</t>")
    snap = parse(data)
    assert [(r.line, r.reason) for r in snap.rejects] == [(32, "unknown currency name 'Euro (old)': 22 values not read")]
    assert snap.rates.height == 506 - 22


@pytest.mark.parametrize("edit,match", [
    ("empty", r"sbp\.xlsx: empty input"),
    ("html", r"sbp\.xlsx:1: an HTML page was served instead of the workbook"),
    ("cut", r"sbp\.xlsx: corrupt or truncated \.xlsx"),
    ("header", r"sbp\.xlsx: sheet 'Sheet1': no 'Country \| Currency \| <dates>' header row"),
    ("quotation", r"sbp\.xlsx:9: the quotation cell 'Pak Rupees per Currency Unit' is missing"),
])
def test_bad_bodies_are_parse_errors(edit, match):
    data = CURRENT.read_bytes()
    body = {
        "empty": b"",
        "html": b"<!DOCTYPE html>\n<html><head><title>State Bank of Pakistan</title></head><body>Home</body></html>",
        "cut": data[: len(data) // 2],
        "header": replace_in_member(data, "xl/sharedStrings.xml", b"<t>Currency</t>", b"<t>Curr.</t>") if edit == "header" else b"",
        "quotation": replace_in_member(data, "xl/sharedStrings.xml", b"Pak Rupees per Currency Unit",
                                       b"Pak Rupees per 100 Units") if edit == "quotation" else b"",
    }[edit]
    with pytest.raises(ParseError, match=match):
        parse(body)


def test_looks_like_only_its_own_bodies():
    assert [sbp.looks_like(*head_of(p)) for p in bodies(FOLDER)] == [True, True]
    assert all(sbp.looks_like(".zip", head_of(p)[1]) for p in bodies(FOLDER))  # as landing names a zip it cannot place
    others = other_fixtures("sbp")
    assert len(others) > 20
    assert [p for p in others if sbp.looks_like(*head_of(p))] == []
    assert not sbp.looks_like(*head_of(BUNDLED_ECB))  # the ECB's history zip


def test_a_labelled_column_beside_the_dates_is_not_read_and_a_bad_date_is_an_error():
    data = CURRENT.read_bytes()
    labelled = replace_in_member(data, "xl/worksheets/sheet1.xml", b'<c r="X9" s="8"><v>46142</v></c>',
                                 b'<c r="X9" s="8" t="inlineStr"><is><t>Average</t></is></c>')
    snap = parse(labelled)
    assert snap.rates.height == 506 - 23 and max(snap.dates) == dt.date(2026, 4, 29)
    bad = replace_in_member(data, "xl/worksheets/sheet1.xml", b'<c r="X9" s="8"><v>46142</v></c>',
                            b'<c r="X9" s="8" t="inlineStr"><is><t>31/04/2026</t></is></c>')
    with pytest.raises(ParseError, match=r"sbp\.xlsx:9: bad date '31/04/2026' in header cell X9"):
        parse(bad)
