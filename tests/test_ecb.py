"""ECB adapter: history CSV/zip and daily XML, from a path or over HTTP (loopback)."""

import csv
import datetime as dt
import io
import zipfile

import pytest
from conftest import BUNDLED_ECB, FIXTURES, UTC

from dagster_project.adapters import ecb
from dagster_project.defs.sources.resources import HistoryFeed
from dagster_project.http import FetchError
from dagster_project.rows import ParseError

CAPTURED = dt.datetime(2026, 10, 30, 15, 56, tzinfo=UTC)
HIST = FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv"
DAILY = FIXTURES / "ecb" / "eurofxref-daily-2024-11-28.xml"


def parse(data, file="f"):
    return ecb.parse(data, captured_at=CAPTURED, file=file)


def test_bundled_history_has_one_row_per_non_na_cell():
    raw = zipfile.ZipFile(BUNDLED_ECB).read("eurofxref-hist.csv").decode()
    reader = csv.reader(io.StringIO(raw))
    header = next(reader)
    expected = {(row[0], code): value for row in reader for code, value in zip(header[1:], row[1:]) if code and value not in ("N/A", "")}
    snap = parse(BUNDLED_ECB.read_bytes())
    assert snap.rates.height == len(expected) == 221_702
    got = {(str(d), c): t for d, c, t in snap.rates.select("date", "currency", "rate_text").iter_rows()}
    assert got == expected
    assert len(snap.dates) == 7126 and snap.dates[0] == dt.date(1999, 1, 4)


def test_csv_and_daily_xml_agree_on_the_same_day():
    hist = parse(HIST.read_bytes()).rates.filter(ecb_day("2024-11-28"))
    daily = parse(DAILY.read_bytes()).rates
    assert daily.height == 30
    assert sorted(zip(hist["currency"], hist["rate"])) == sorted(zip(daily["currency"], daily["rate"]))
    assert daily.filter(daily["currency"] == "USD")["rate_text"].item() == "1.0542"


def ecb_day(day):
    import polars as pl
    return pl.col("date") == dt.date.fromisoformat(day)


def test_line_numbers_point_at_the_csv_row():
    snap = parse(HIST.read_bytes())
    lines = HIST.read_text().splitlines()
    row = snap.rates.filter(ecb_day("2024-11-28")).row(0, named=True)
    assert lines[row["line"] - 1].startswith("2024-11-28,")


@pytest.mark.parametrize("mangle,match", [
    (lambda t: t.replace("2024-11-28,", "2024-13-28,"), r":\d+: bad date '2024-13-28'"),
    (lambda t: t.replace("Date,", "Day,"), r":1: not an ECB history CSV"),
    (lambda t: t.replace("2024-11-27,", "2024-11-28,"), r"appears twice"),
])
def test_malformed_csv(mangle, match):
    with pytest.raises(ParseError, match=match):
        parse(mangle(HIST.read_text()).encode(), file="hist.csv")


def test_bad_cell_is_quarantined_with_its_line():
    text = HIST.read_text().replace("2024-11-28,1.0542,", "2024-11-28,1.05.42,")
    snap = parse(text.encode())
    assert [r.reason for r in snap.rejects] == ["USD: not a number: '1.05.42'"]
    assert snap.rejects[0].date == dt.date(2024, 11, 28)


def test_malformed_xml_names_the_line():
    bad = DAILY.read_text().replace("</Cube>\n\t</Cube>", "</Cub>\n\t</Cube>")
    with pytest.raises(ParseError, match=r"daily.xml:\d+: malformed XML"):
        parse(bad.encode(), file="daily.xml")


def test_corrupt_zip():
    with pytest.raises(ParseError, match="corrupt zip"):
        parse(b"PK\x03\x04" + b"\x00" * 40)


def test_feed_fetches_over_http_with_retries(loopback, data_dir):
    loopback.routes["/eurofxref-daily.xml"] = [
        (500, {}, b"oops"),
        (503, {}, b"busy"),
        (200, {"Content-Type": "text/xml"}, DAILY.read_bytes()),
    ]
    feed = HistoryFeed(source="ecb", location=f"{loopback.url}/eurofxref-daily.xml", timeout=2)
    (landed,) = feed.land(data_dir, [dt.date(2024, 11, 28)])
    assert landed.new and landed.raw.first == dt.date(2024, 11, 28)
    assert landed.raw.path.read_bytes() == DAILY.read_bytes()  # byte for byte
    assert len(loopback.requests) == 3
    assert feed.land(data_dir, [dt.date(2024, 11, 28)]) == []  # already covered: no fetch
    assert len(loopback.requests) == 3


def test_feed_gives_up_with_a_clear_error(loopback, data_dir):
    loopback.routes["/x.xml"] = [(500, {}, b"no")]
    with pytest.raises(FetchError, match=r"x\.xml: HTTP 500 after 3 attempts"):
        HistoryFeed(source="ecb", location=f"{loopback.url}/x.xml", timeout=2).land(data_dir, [dt.date(2024, 11, 28)])
    assert not (data_dir / "raw").exists()
