"""Bank of Botswana adapter against its recorded export (2001-01-03 … 2026-03-19), checked by a csv-module reading."""

import csv
import datetime as dt
import io

import polars as pl
import pytest
from conftest import FIXTURES, UTC
from provider_fixtures import bodies, head_of, other_fixtures

from dagster_project.adapters import bob
from dagster_project.rows import ParseError

CAPTURED = dt.datetime(2026, 3, 19, 12, 40, 55, tzinfo=UTC)
BODY = FIXTURES / "providers" / "bob" / "20260319T124055Z_0.csv"
ISO = {"CHN": "CNY", "YEN": "JPY", "SDR": "XDR"}


def parse(data, file="bob.csv", **kw):
    return bob.parse(data, captured_at=CAPTURED, file=file, **kw)


def independent():
    """(date, code) -> [(line, text)] for every quoted cell, by the csv module (0.0000 = no rate)."""
    rows = list(csv.reader(io.StringIO(BODY.read_text(encoding="utf-8-sig"))))
    header = rows[0]
    cells: dict[tuple[dt.date, str], list[tuple[int, str]]] = {}
    for lineno, row in enumerate(rows[1:], start=2):
        day = dt.datetime.strptime(row[0], "%d %b %Y").date()
        for label, value in zip(header[1:], row[1:], strict=True):
            if float(value) != 0:
                cells.setdefault((day, ISO.get(label, label)), []).append((lineno, value))
    return header, cells


def test_every_quoted_cell_is_a_row_per_1_bwp():
    header, cells = independent()
    assert header == ["Date", "CHN", "EUR", "GBP", "USD", "SDR", "YEN", "ZAR"]
    single = {k: v[0] for k, v in cells.items() if len({t for _, t in v}) == 1}
    snap = parse(BODY.read_bytes())
    got = {(d, c): (n, t) for d, c, n, t in snap.rates.select("date", "currency", "line", "rate_text").iter_rows()}
    assert got == single
    assert snap.rates.height == 39_776
    assert set(snap.rates["base"]) == {"BWP"}
    assert (snap.rates["rate"] == snap.rates["rate_text"].cast(pl.Float64)).all()  # units 1
    assert min(snap.dates) == dt.date(2001, 1, 3) and max(snap.dates) == dt.date(2026, 3, 19)


def test_spot_values_on_the_news_page_date():
    _, cells = independent()
    day = dt.date(2024, 11, 28)
    rates = parse(BODY.read_bytes()).rates.filter(pl.col("date") == day)
    got = dict(zip(rates["currency"], rates["rate_text"], strict=True))
    assert got == {code: v[0][1] for (d, code), v in cells.items() if d == day}
    assert got["USD"] == "0.0731" and got["JPY"] == "11.0800" and got["CNY"] == "0.5302" and got["XDR"] == "0.0556"
    line = rates["line"][0]
    assert BODY.read_text(encoding="utf-8-sig").split("\n")[line - 1].startswith('"28 Nov 2024",')


def test_zero_cells_are_not_quotes_and_conflicting_duplicate_days_keep_nothing():
    snap = parse(BODY.read_bytes())
    _, cells = independent()
    cny = snap.rates.filter(pl.col("currency") == "CNY")
    first_cny = min(d for d, c in cells if c == "CNY")
    assert cny["date"].min() == first_cny > dt.date(2016, 9, 28)  # 0.0000 up to 2016-09-28: no CNY rate, no reject
    assert not [r for r in snap.rejects if "0.0000" in r.text]
    conflicts = {d for (d, _), v in cells.items() if len({t for _, t in v}) > 1}
    assert conflicts == {dt.date(2018, 1, 17), dt.date(2018, 10, 23), dt.date(2019, 8, 13)}
    assert not snap.rates.filter(pl.col("date").is_in(sorted(conflicts))).height
    assert {r.date for r in snap.rejects} == conflicts and all("different values" in r.reason for r in snap.rejects)


def test_window_keeps_only_those_dates():
    window = (dt.date(2024, 11, 1), dt.date(2024, 11, 30))
    snap = parse(BODY.read_bytes(), window=window)
    _, cells = independent()
    assert snap.rates.height == sum(1 for d, _ in cells if window[0] <= d <= window[1]) == 140
    assert {d.month for d in snap.dates} == {11}


def test_a_code_out_of_use_is_a_reject_with_its_line():
    text = BODY.read_text(encoding="utf-8-sig").replace("Date,CHN,EUR,", "Date,CHN,HRK,", 1)
    snap = parse(text.encode())
    hrk = snap.rates.filter(pl.col("currency") == "HRK")
    assert hrk["date"].max() == dt.date(2022, 12, 30)
    late = [r for r in snap.rejects if "HRK" in r.reason and "withdrawn" in r.reason]
    assert len(late) == len({r.line for r in late}) > 700 and all(r.date >= dt.date(2023, 1, 1) for r in late)
    assert late[0].line == 2 and late[0].text == "19 Mar 2026 HRK 0.0653"


def test_bad_number_and_non_code_column_are_rejects():
    text = BODY.read_text(encoding="utf-8-sig")
    text = text.replace('"19 Mar 2026",0.5165,', '"19 Mar 2026",0.51.65,', 1).replace(",ZAR\n", ",Rand\n", 1)
    snap = parse(text.encode())
    reasons = {r.reason for r in snap.rejects if r.line == 2}
    assert "CNY: not a number: '0.51.65'" in reasons
    assert "column 'Rand' is not a three-letter currency code" in reasons
    assert not snap.rates.filter(pl.col("currency") == "Rand").height


@pytest.mark.parametrize("body,match", [
    (b"", r"bob\.csv: empty input"),
    (b"<!DOCTYPE html><html><body>Service unavailable</body></html>", r"bob\.csv:1: an HTML page was served"),
    ("cut", r"bob\.csv:6248: row has 4 cells, header has 8"),
    ("header", r"bob\.csv:1: not a Bank of Botswana rates CSV: first column is 'Day'"),
    ("dropped", r"bob\.csv:2: row has 8 cells, header has 7"),
    ("date", r"bob\.csv:3: bad date '18 Mzr 2026'"),
])
def test_bad_bodies_are_parse_errors_naming_file_and_line(body, match):
    text = BODY.read_text(encoding="utf-8-sig")
    if body == "cut":  # the body cut in the middle of a record
        body = text[: text.index('"27 Apr 2009",') + len('"27 Apr 2009",0.0000,0.1023,0.09')].encode()
    elif body == "header":
        body = text.replace("Date,", "Day,", 1).encode()
    elif body == "dropped":
        body = text.replace(",SDR,", ",", 1).encode()
    elif body == "date":
        body = text.replace('"18 Mar 2026"', '"18 Mzr 2026"', 1).encode()
    with pytest.raises(ParseError, match=match):
        parse(body)


def test_looks_like_only_its_own_bodies():
    assert [bob.looks_like(*head_of(p)) for p in bodies(BODY.parent)] == [True]
    others = other_fixtures("bob")
    assert len(others) > 20
    assert [p for p in others if bob.looks_like(*head_of(p))] == []
