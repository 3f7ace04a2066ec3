"""Bank of England adapter (IADB CSV) against its recorded response, read independently with the stdlib csv."""

import csv
import datetime as dt
import io

import pytest
from conftest import FIXTURES, UTC
from provider_fixtures import bodies, head, other_fixtures

from dagster_project.adapters import boe
from dagster_project.rows import ParseError

CAPTURED = dt.datetime(2026, 3, 31, 10, 4, 7, tzinfo=UTC)
FOLDER = FIXTURES / "providers" / "boe"
BODY = FOLDER / "20260331T100407Z_0.csv"  # 17-20 Mar 2026, 26 series
HTML = b"<!DOCTYPE html>\r\n<html><head><title>Error</title></head><body><h1>Service unavailable</h1></body></html>\r\n"


def parse(data, file="boe.csv", **kw):
    return boe.parse(data, captured_at=CAPTURED, file=file, **kw)


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode())))


def day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d %b %Y").date()


def test_one_row_per_published_cell_with_the_text_as_published():
    rows = read_csv(BODY.read_bytes())
    cells = {(day(r["DATE"]), v.strip()) for r in rows for k, v in r.items() if k != "DATE" and v.strip()}
    snap = parse(BODY.read_bytes())
    assert not snap.rejects
    assert snap.rates.height == sum(1 for r in rows for k, v in r.items() if k != "DATE" and v.strip()) == 104
    assert set(snap.rates.select("date", "rate_text").iter_rows()) == cells
    assert snap.dates == [day(r["DATE"]) for r in rows]
    assert set(snap.rates["base"]) == {"GBP"} and snap.rates["source"].unique().to_list() == ["boe"]
    assert snap.rates.select("date", "currency").is_unique().all()


@pytest.mark.parametrize("series,code", [("XUDLUSS", "USD"), ("XUDLERS", "EUR"), ("XUDLJYS", "JPY"),
                                         ("XUDLBK93", "KRW"), ("XUDLZOS4", "RON"), ("XUDLBK25", "CZK")])
def test_spot_values_are_units_of_the_currency_per_gbp(series, code):
    rows = read_csv(BODY.read_bytes())
    snap = parse(BODY.read_bytes())
    for r in rows:
        got = snap.rates.filter((snap.rates["date"] == day(r["DATE"])) & (snap.rates["currency"] == code))
        assert got["rate_text"].item() == r[series]
        assert got["rate"].item() == float(r[series])
        assert got["base"].item() == "GBP"


def test_line_points_at_the_physical_csv_line():
    lines = BODY.read_text().splitlines()
    snap = parse(BODY.read_bytes())
    for d, text, line in snap.rates.select("date", "rate_text", "line").iter_rows():
        cells = lines[line - 1].split(",")
        assert day(cells[0]) == d and text in cells[1:]
    assert snap.rates.filter(snap.rates["date"] == dt.date(2026, 3, 17))["line"].unique().to_list() == [2]


def test_window_keeps_only_its_dates():
    snap = parse(BODY.read_bytes(), window=(dt.date(2026, 3, 18), dt.date(2026, 3, 19)))
    assert snap.dates == [dt.date(2026, 3, 18), dt.date(2026, 3, 19)] and snap.rates.height == 52


def test_header_only_body_is_an_empty_publication():
    header = BODY.read_bytes().split(b"\r\n", 1)[0] + b"\r\n"
    snap = parse(header)
    assert snap.rates.height == 0 and not snap.rejects


def truncated(data: bytes) -> bytes:
    third = data.index(b"\r\n", data.index(b"\r\n") + 2) + 2  # start of line 3
    return data[: third + (data.index(b"\r\n", third) - third) // 2]


@pytest.mark.parametrize("body,match", [
    (HTML, r"^boe\.csv:1: an HTML page"),
    (b"", r"^boe\.csv: empty input"),
    (b" \r\n", r"^boe\.csv: empty input"),
    (b"\xef\xbb\xbf\r\n", r"^boe\.csv: empty input"),
    (truncated(BODY.read_bytes()), r"^boe\.csv:3: truncated: the last line ends without a line break"),
    (BODY.read_bytes()[:-2], r"^boe\.csv:5: truncated: the last line ends without a line break"),
    (BODY.read_bytes().replace(b",1.1577,", b",", 1), r"^boe\.csv:2: row has 26 cells, header has 27"),
    (BODY.read_bytes().replace(b"DATE,", b"Date,", 1), r"^boe\.csv:1: not an IADB CSV: first column is 'Date'"),
    (BODY.read_bytes().replace(b"DATE,XUDLUSS,", b"XUDLUSS,", 1), r"^boe\.csv:1: not an IADB CSV"),
    (BODY.read_bytes().replace(b",XUDLERS,", b",Euro,", 1), r"^boe\.csv:1: header has columns that are not IADB series"),
    (BODY.read_bytes().replace(b",XUDLERS,", b",XUDLUSS,", 1), r"^boe\.csv:1: series named twice"),
    (BODY.read_bytes().replace(b"18 Mar 2026", b"18 Mrz 2026"), r"^boe\.csv:3: bad date '18 Mrz 2026'"),
    (BODY.read_bytes().replace(b"18 Mar 2026", b"31 Feb 2026"), r"^boe\.csv:3: bad date '31 Feb 2026'"),
    (BODY.read_bytes().replace(b"18 Mar 2026", b"17 Mar 2026"), r"^boe\.csv:3: date 2026-03-17 appears twice"),
    (b"\xff\xfeD\x00A\x00", r"^boe\.csv:1: (not UTF-8|binary)"),
])
def test_bad_bodies_are_a_parse_error_naming_file_and_line(body, match):
    with pytest.raises(ParseError, match=match):
        parse(body)


def test_a_withdrawn_currency_is_a_reject_per_cell():
    # XUDLZOS3 is the Bank's Bulgarian lev series; BGN was withdrawn on 2026-01-01 (euro).
    body = BODY.read_bytes().replace(b",XUDLERS,", b",XUDLZOS3,", 1)
    snap = parse(body)
    assert snap.rates.height == 100 and "BGN" not in set(snap.rates["currency"])
    assert [(r.line, r.date) for r in snap.rejects] == [(k + 2, day(r["DATE"])) for k, r in enumerate(read_csv(body))]
    assert all("BGN quoted on 2026-03-" in r.reason and "withdrawn from 2026-01-01" in r.reason for r in snap.rejects)
    assert snap.rejects[0].text == "17 Mar 2026 XUDLZOS3 1.1577"


def test_unknown_series_and_bad_numbers_are_rejects_not_guesses():
    text = BODY.read_text().replace(",XUDLJYS,", ",XUDLQQS,", 1).replace("17 Mar 2026,1.3343,", "17 Mar 2026,-1.3343,")
    text = text.replace("18 Mar 2026,1.3323,", "18 Mar 2026,N/A,")
    snap = parse(text.encode())
    reasons = sorted(r.reason for r in snap.rejects)
    assert len([r for r in reasons if "series XUDLQQS is not a known" in r]) == 4
    assert "USD (XUDLUSS): rate must be > 0, got -1.3343" in reasons
    assert "USD (XUDLUSS): not a number: 'N/A'" in reasons
    assert snap.rates.height == 104 - 4 - 2


def test_blank_cells_are_not_observations():
    text = BODY.read_text().replace("17 Mar 2026,1.3343,1.1577,", "17 Mar 2026,,,")
    snap = parse(text.encode())
    assert snap.rates.height == 102 and not snap.rejects


def test_url_template_asks_for_the_range_and_the_current_series():
    url = boe.URL_TEMPLATE.format(start=dt.date(2024, 11, 28), end=dt.date(2024, 12, 3))
    assert "Datefrom=28/Nov/2024&Dateto=03/Dec/2024" in url and "CSVF=TN" in url and "UsingCodes=Y" in url
    recorded = read_csv(BODY.read_bytes())[0].keys() - {"DATE"}
    assert set(url.split("SeriesCodes=")[1].split("&")[0].split(",")) == recorded


def test_looks_like_its_own_bodies_only():
    own = list(bodies(FOLDER))
    assert own and all(boe.looks_like(p.suffix.lower(), head(p)) for p in own)
    others = other_fixtures("boe")
    assert len(others) > 20
    assert [p for p in others if boe.looks_like(p.suffix.lower(), head(p))] == []


def test_the_series_map_agrees_with_the_ecb_on_the_same_days():
    """The body does not name its currencies: check the series-code map against an independent official source.
    GBP->X through the ECB's EUR rates (14:15 CET) is within 1% of the Bank's 4 pm rate for every shared code."""
    from conftest import BUNDLED_ECB

    from dagster_project.adapters import ecb

    days = (dt.date(2026, 3, 17), dt.date(2026, 3, 20))
    ours = parse(BODY.read_bytes()).rates
    euro = ecb.parse(BUNDLED_ECB.read_bytes(), captured_at=CAPTURED, window=days).rates
    per_eur = {(d, c): r for d, c, r in euro.select("date", "currency", "rate").iter_rows()}
    shared = 0
    for d, code, rate in ours.select("date", "currency", "rate").iter_rows():
        via_ecb = 1.0 / per_eur[(d, "GBP")] if code == "EUR" else per_eur.get((d, code), 0) / per_eur[(d, "GBP")]
        if via_ecb:
            shared += 1
            assert abs(via_ecb / rate - 1) < 0.01, (d, code, rate, via_ecb)
    assert shared == 4 * 24  # all but SAR and TWD, which the ECB does not quote
