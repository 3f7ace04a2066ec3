"""Reserve Bank of Australia adapter (F11.1 CSV, 2023-2026 history) against its recorded response, read
independently with the stdlib csv."""

import csv
import datetime as dt
import io

import polars as pl
import pytest
from conftest import FIXTURES, UTC
from provider_fixtures import bodies, head, other_fixtures

from dagster_project.adapters import rba
from dagster_project.rows import ParseError

CAPTURED = dt.datetime(2026, 3, 22, 20, 54, 27, tzinfo=UTC)
FOLDER = FIXTURES / "providers" / "rba"
BODY = FOLDER / "20260322T205427Z_0.bin"  # f11.1-data.csv: 03-Jan-2023 .. 20-Mar-2026
HTML = b"<!DOCTYPE html>\r\n<html lang='en'><head><title>Page not found | RBA</title></head><body></body></html>\r\n"


def parse(data, file="f11.1-data.csv", **kw):
    return rba.parse(data, captured_at=CAPTURED, file=file, **kw)


def table(data: bytes) -> tuple[dict[str, list[str]], list[tuple[int, list[str]]]]:
    """The metadata rows by their first cell, and the (line, cells) of the data rows."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    meta = {r[0]: r for r in rows if r and not r[0][:2].isdigit()}
    return meta, [(k, r) for k, r in enumerate(rows, 1) if r and r[0][:2].isdigit()]


def expected(data: bytes) -> dict[tuple[dt.date, str], tuple[str, int]]:
    meta, rows = table(data)
    columns = [(k, unit) for k, (title, unit) in enumerate(zip(meta["Title"], meta["Units"])) if title.startswith("A$1=")]
    iso = {"SDR": "XDR"}
    return {(dt.datetime.strptime(r[0], "%d-%b-%Y").date(), iso.get(unit, unit)): (r[k], line)
            for line, r in rows for k, unit in columns if r[k]}


def got(snap) -> dict[tuple[dt.date, str], tuple[str, int]]:
    return {(d, c): (t, n) for d, c, t, n in snap.rates.select("date", "currency", "rate_text", "line").iter_rows()}


def test_every_published_rate_is_a_row_per_1_aud():
    want = expected(BODY.read_bytes())
    snap = parse(BODY.read_bytes())
    assert not snap.rejects
    assert snap.rates.height == len(want) == 14_896
    assert got(snap) == want
    assert set(snap.rates["base"]) == {"AUD"}
    assert (snap.rates["rate"] == snap.rates["rate_text"].cast(pl.Float64)).all()  # per A$1: no unit to divide by
    _, rows = table(BODY.read_bytes())
    assert len(snap.dates) == len(rows) == 808 and snap.dates[0] == dt.date(2023, 1, 3) and snap.dates[-1] == dt.date(2026, 3, 20)


def test_the_index_column_is_not_a_rate_and_sdr_is_xdr():
    codes = set(parse(BODY.read_bytes()).rates["currency"])
    assert codes == {c for _, c in expected(BODY.read_bytes())}
    assert "XDR" in codes and not {"Index", "SDR"} & codes
    assert len(codes) == 20 and not {"AED", "ZAR"} & codes  # 22 rate columns; AED and ZAR are blank throughout


@pytest.mark.parametrize("code,text", [("USD", "0.6492"), ("JPY", "98.44"), ("EUR", "0.6151"), ("IDR", "10297"),
                                       ("XDR", "0.4941"), ("KRW", "905.98")])
def test_spot_values_on_2024_11_28(code, text):
    meta, rows = table(BODY.read_bytes())
    ((line, row),) = [(n, r) for n, r in rows if r[0] == "28-Nov-2024"]
    assert row[meta["Units"].index("SDR" if code == "XDR" else code)] == text
    hit = parse(BODY.read_bytes()).rates.filter((pl.col("date") == dt.date(2024, 11, 28)) & (pl.col("currency") == code))
    assert hit.select("rate_text", "rate", "line").row(0) == (text, float(text), line)


def test_blank_cells_are_skipped_on_2024_11_28():
    snap = parse(BODY.read_bytes()).rates.filter(pl.col("date") == dt.date(2024, 11, 28))
    _, rows = table(BODY.read_bytes())
    ((_, row),) = [(n, r) for n, r in rows if r[0] == "28-Nov-2024"]
    assert snap.height == sum(1 for c in row[1:] if c) - 1  # less the trade-weighted index
    assert not {"AED", "ZAR", "CHF", "PGK"} & set(snap["currency"])


def test_a_per_100_title_divides_the_published_text():
    body = BODY.read_bytes().replace(b",A$1=JPY,", b",A$100=JPY,", 1)
    jpy = parse(body).rates.filter((pl.col("currency") == "JPY") & (pl.col("date") == dt.date(2024, 11, 28)))
    assert jpy.select("rate_text", "rate").row(0) == ("98.44", pytest.approx(0.9844))


def test_window_keeps_only_its_dates():
    snap = parse(BODY.read_bytes(), window=(dt.date(2024, 11, 28), dt.date(2024, 11, 29)))
    assert snap.dates == [dt.date(2024, 11, 28), dt.date(2024, 11, 29)]
    assert got(snap) == {k: v for k, v in expected(BODY.read_bytes()).items() if k[0] in snap.dates}


def test_a_withdrawn_code_is_a_reject_with_its_line():
    # the EUR column relabelled HRK, which was withdrawn on 2023-01-01: every quote in 2023-2026 is out of use
    body = BODY.read_bytes().replace(b",A$1=EUR,", b",A$1=HRK,", 1).replace(b",USD,Index,CNY,JPY,EUR,", b",USD,Index,CNY,JPY,HRK,", 1)
    snap = parse(body)
    _, rows = table(body)
    assert len(snap.rejects) == len(rows) == 808
    first = snap.rejects[0]
    assert (first.line, first.date, first.text) == (12, dt.date(2023, 1, 3), "03-Jan-2023 HRK 0.6400")
    assert first.reason == "HRK quoted on 2023-01-03, but it was withdrawn from 2023-01-01 (defunct_currencies.csv)"
    assert snap.rates.height == 14_896 - 808 and "HRK" not in set(snap.rates["currency"])


def test_bad_numbers_and_bad_codes_are_rejects():
    body = BODY.read_bytes().replace(b"28-Nov-2024,0.6492,", b"28-Nov-2024,0.64.92,", 1)
    body = body.replace(b",A$1=NZD,", b",A$1=nzd,", 1).replace(b",THB,NZD,", b",THB,nzd,", 1)
    snap = parse(body)
    reasons = [r.reason for r in snap.rejects]
    assert "USD: not a number: '0.64.92'" in reasons
    assert len([r for r in reasons if r == "'nzd' is not a currency code (three uppercase letters)"]) == 808


def truncated(data: bytes) -> bytes:
    at = data.index(b"\n28-Nov-2024,") + 1
    return data[: at + 40]


@pytest.mark.parametrize("body,match", [
    (HTML, r"^f11\.1-data\.csv:1: an HTML page"),
    (b"", r"^f11\.1-data\.csv: empty input"),
    (b"\xef\xbb\xbf\n\n", r"^f11\.1-data\.csv: empty input"),
    (truncated(BODY.read_bytes()), r"^f11\.1-data\.csv:492: truncated: the last line ends without a line break"),
    (BODY.read_bytes().replace(b"28-Nov-2024,0.6492,", b"28-Nov-2024,", 1), r"^f11\.1-data\.csv:492: row has 23 cells, header has 24"),
    (BODY.read_bytes().replace(b"\nUnits,", b"\nUnit,", 1), r"^f11\.1-data\.csv:12: header rows \['Units'\] missing"),
    (BODY.read_bytes().replace(b"\nTitle,", b"\nName,", 1), r"^f11\.1-data\.csv:12: header rows \['Title'\] missing"),
    (BODY.read_bytes().replace(b",A$1=CNY,", b",Chinese renminbi,", 1), r"^f11\.1-data\.csv:2: column 4: title 'Chinese renminbi'"),
    (BODY.read_bytes().replace(b",Index,CNY,", b",Index,CNH,", 1), r"^f11\.1-data\.csv:6: column 4: title 'A\$1=CNY' and units 'CNH'"),
    (BODY.read_bytes().replace(b",USD,Index,CNY,", b",USD,CNY,", 1), r"^f11\.1-data\.csv:6: Units row has 23 cells, Title row has 24"),
    (BODY.read_bytes().replace(b"\n28-Nov-2024,", b"\n28-Nov-24,", 1), r"^f11\.1-data\.csv:492: bad date '28-Nov-24'"),
    (BODY.read_bytes().replace(b"\n29-Nov-2024,", b"\n28-Nov-2024,", 1), r"^f11\.1-data\.csv:493: date 2024-11-28 appears twice"),
    (BODY.read_bytes().replace(b"\n28-Nov-2024,0.6492,", b"\n28-Nov-2024,0.6\xa492,", 1), r"^f11\.1-data\.csv:492: not UTF-8 text"),
    (BODY.read_bytes().replace(b"F11.1  EXCHANGE RATES", b"F1 INTEREST RATES", 1), r"^f11\.1-data\.csv:1: not the RBA exchange-rate table"),
    (BODY.read_bytes()[:BODY.read_bytes().index(b"\n03-Jan-2023") + 1].replace(b"\nSeries ID,", b"\nSeries,"),
     r"^f11\.1-data\.csv: header rows \['Series ID'\] missing"),
])
def test_bad_bodies_are_a_parse_error_naming_file_and_line(body, match):
    with pytest.raises(ParseError, match=match):
        parse(body)


def test_looks_like_its_own_bodies_only():
    own = list(bodies(FOLDER))
    assert own and all(rba.looks_like(p.suffix.lower(), head(p)) for p in own)
    assert rba.looks_like(".csv", head(BODY))  # whatever the name it was landed under
    others = other_fixtures("rba")
    assert len(others) > 20
    assert [p for p in others if rba.looks_like(p.suffix.lower(), head(p))] == []
