"""Ticker CSV adapter: vendor history exports."""

import csv
import datetime as dt
import gzip
import io
import itertools
import zipfile

import pytest
from conftest import FIXTURES, UTC

from dagster_project.adapters import ticker_csv
from dagster_project.rows import ParseError

NOW = dt.datetime(2024, 11, 28, tzinfo=UTC)


def test_history_rows_are_sessions():
    snap = ticker_csv.parse((FIXTURES / "ticker_csv" / "history.csv").read_bytes(), captured_at=NOW)
    assert snap.tickers.height == 6 and snap.rates.height == 0
    azn = snap.tickers.filter(snap.tickers["symbol"] == "AZN").sort("session")
    assert azn["session"].cast(str).to_list() == ["2024-11-25", "2024-11-26", "2024-11-27"]
    assert azn["change"].to_list() == [None, 0.0, 0.84] and azn["change_pct"].to_list()[-1] == 1.27
    assert len(snap.dates) == 3


def test_minimal_columns_and_aliases():
    snap = ticker_csv.parse(b"Date,Ticker,Close\n2024-11-27,vod,8.97\n", captured_at=NOW)
    row = snap.tickers.row(0, named=True)
    assert (row["symbol"], row["price"], row["change"]) == ("VOD", 8.97, None)


def test_missing_columns_and_bad_rows():
    with pytest.raises(ParseError, match=r"x\.csv:1: header lacks column\(s\) \['close'\]"):
        ticker_csv.parse(b"date,symbol\n2024-11-27,VOD\n", captured_at=NOW, file="x.csv")
    with pytest.raises(ParseError, match=r"x\.csv:3: bad date"):
        ticker_csv.parse(b"date,symbol,close\n2024-11-27,VOD,8.97\n27/11/2024,VOD,8.9\n", captured_at=NOW, file="x.csv")
    snap = ticker_csv.parse(b"date,symbol,close\n2024-11-27,VOD,8,97\n2024-11-27,AZN,-1\n2024-11-27,BP,29.13\n", captured_at=NOW)
    assert snap.tickers["symbol"].to_list() == ["BP"] and len(snap.rejects) == 2


def test_the_fast_path_for_large_exports_gives_the_same_rows_as_the_line_parser(monkeypatch):
    import random

    from dagster_project import sessions

    rng = random.Random(3)
    lines = ["Date,Ticker,Close,Change,Change_Pct"]
    for day in sorted(sessions.session_dates("XNYS", dt.date(2021, 1, 1), dt.date(2021, 12, 31)))[:160]:
        for s in range(180):
            price, change = rng.uniform(5, 500), rng.uniform(-2, 2)
            lines.append(f"{day},s{s:04d},{price:.2f},{change:.2f},{100 * change / (price - change):.2f}%")
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) > 1_000_000  # large enough for the fast path
    captured = dt.datetime(2021, 6, 1, tzinfo=dt.UTC)
    fast = ticker_csv.parse(data, captured_at=captured)
    monkeypatch.setattr(ticker_csv, "_parse_plain", lambda *args: None)
    slow = ticker_csv.parse(data, captured_at=captured)
    assert fast.tickers.height == 160 * 180 and fast.tickers.equals(slow.tickers) and not fast.rejects


def test_rows_dated_on_an_exchange_holiday_are_quarantined_by_both_paths(monkeypatch):
    """2021-07-05 (Independence Day observed) and a Sunday are not XNYS sessions: no row is kept as a session,
    and the reason names the date and the exchange, not a capture."""
    lines = ["Date,Ticker,Close"]
    for day in ("2021-07-01", "2021-07-02", "2021-07-04", "2021-07-05", "2021-07-06"):
        for s in range(9000):
            lines.append(f"{day},s{s:04d},{10 + s % 7}.25")
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) > 1_000_000
    captured = dt.datetime(2021, 7, 7, tzinfo=dt.UTC)
    fast = ticker_csv.parse(data, captured_at=captured)
    monkeypatch.setattr(ticker_csv, "_parse_plain", lambda *args: None)
    slow = ticker_csv.parse(data, captured_at=captured)
    for snap in (fast, slow):
        assert sorted(set(snap.tickers["session"].to_list())) == [dt.date(2021, 7, d) for d in (1, 2, 6)]
        assert len(snap.rejects) == 2 * 9000
        assert {r.date for r in snap.rejects} == {dt.date(2021, 7, 4), dt.date(2021, 7, 5)}
        assert "dated 2021-07-05 (Monday), not a XNYS session (exchange holiday or weekend)" in snap.rejects[-1].reason
    assert fast.tickers.equals(slow.tickers)


def test_a_multi_year_export_through_mdw_ingest_gives_every_session_change(tmp_path, data_dir):
    """Three years of three symbols (with rows dated on exchange holidays) through `mdw ingest`: every change in
    ticker_daily_change equals an independent computation over the XNYS sessions; the holiday rows are
    quarantined with their reason and never become sessions."""
    import random

    from typer.testing import CliRunner

    from dagster_project import sessions, sqlmodels
    from dagster_project.cli import app

    rng = random.Random(11)
    days = sorted(sessions.session_dates("XNYS", dt.date(2022, 1, 1), dt.date(2024, 12, 31)))
    holidays = [dt.date(2022, 7, 4), dt.date(2023, 11, 23), dt.date(2024, 12, 25)]
    closes = {}
    lines = ["date,symbol,close"]
    for symbol in ("AAA", "BBB", "CCC"):
        price = rng.uniform(20, 200)
        for day in sorted(days + holidays):
            price *= 1 + rng.gauss(0, 0.015)
            lines.append(f"{day},{symbol},{price:.2f}")
            if day not in holidays:
                closes[(symbol, day)] = float(f"{price:.2f}")
    export = tmp_path / "history.csv"
    export.write_text("\n".join(lines) + "\n")

    result = CliRunner().invoke(app, ["ingest", str(export)])
    assert result.exit_code == 0, result.output
    expected = {}
    for symbol in ("AAA", "BBB", "CCC"):
        series = sorted((d, p) for (s, d), p in closes.items() if s == symbol)
        expected[(symbol, series[0][0])] = (None, None)
        for (prev_day, prev), (day, price) in itertools.pairwise(series):
            expected[(symbol, day)] = (prev_day, 100 * (price / prev - 1))
    con = sqlmodels.connect(data_dir)
    got = {(s, d): (p, c) for s, d, p, c in con.execute(
        "select symbol, session, prev_session, change_pct from ticker_daily_change where source = 'ticker_csv'").fetchall()}
    assert set(got) == set(expected) and len(got) == 3 * len(days)
    for key, (prev_day, change) in expected.items():
        assert got[key][0] == prev_day
        assert (got[key][1] is None and change is None) or abs(got[key][1] - change) <= 1e-9 * max(1, abs(change))
    rejected = con.execute("select date, reason from parsed_rejects where source = 'ticker_csv' order by date").fetchall()
    assert sorted({d for d, _ in rejected}) == holidays and len(rejected) == 3 * len(holidays)
    assert all("not a XNYS session" in reason for _, reason in rejected)
    assert con.execute("select count(*) from ticker_quotes where session in (select unnest($h::date[]))",
                       {"h": holidays}).fetchone() == (0,)


def test_the_fast_path_reads_ohlcv_and_actions_as_the_line_parser_does(monkeypatch):
    import random

    from dagster_project import sessions

    rng = random.Random(5)
    lines = ["date,ticker,open,high,low,close,volume,ex-dividend,split_ratio,adj_close"]
    for day in sorted(sessions.session_dates("XNYS", dt.date(2020, 1, 1), dt.date(2020, 12, 31)))[:120]:
        for s in range(120):
            close = rng.uniform(5, 500)
            dividend = f"{rng.uniform(0.1, 2):.2f}" if rng.random() < 0.02 else "0.0"
            split = rng.choice(["2.0", "7.0", "0.5"]) if rng.random() < 0.01 else "1.0"
            lines.append(f"{day},s{s:03d},{close * 0.99:.2f},{close * 1.01:.2f},{close * 0.98:.2f},{close:.2f},"
                         f"{rng.randint(0, 10**7)}.0,{dividend},{split},{close * 0.9:.6f}")
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) > 1_000_000
    captured = dt.datetime(2021, 1, 4, tzinfo=dt.UTC)
    fast = ticker_csv.parse(data, captured_at=captured)
    monkeypatch.setattr(ticker_csv, "_parse_plain", lambda *args: None)
    slow = ticker_csv.parse(data, captured_at=captured)
    assert fast.tickers.height == 120 * 120 and fast.tickers.equals(slow.tickers) and not fast.rejects
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    got = fast.tickers.sort("line")
    assert got["volume_text"].to_list() == [r["volume"] for r in rows]
    assert got["dividend_text"].to_list() == [r["ex-dividend"] for r in rows]
    assert got["split_ratio"].to_list() == [None if r["split_ratio"] == "1.0" else float(r["split_ratio"]) for r in rows]
    assert got["adjusted_close"].to_list() == [float(r["adj_close"]) for r in rows]


def test_a_file_named_for_its_symbol_gzip_and_zip():
    body = b"date,open,high,low,close,volume,dividend,split\n2014-06-06,92.8,93.0,92.1,92.2,87484600,0.0,1.0\n" \
           b"2014-06-09,92.7,93.9,91.8,93.7,75415000,0.0,7:1\n"
    snap = ticker_csv.parse(body, captured_at=NOW, file="aapl.csv")
    assert snap.tickers["symbol"].to_list() == ["AAPL", "AAPL"] and snap.tickers["split_ratio"].to_list() == [None, 7.0]
    assert snap.tickers["split_ratio_text"].to_list() == ["1.0", "7:1"] and snap.tickers["open_text"].to_list() == ["92.8", "92.7"]
    zipped = gzip.compress(body)
    gz = ticker_csv.parse(zipped, captured_at=NOW, file="AAPL.csv.gz")
    assert gz.tickers.equals(snap.tickers)
    archive = ticker_csv.bundle({"AAPL.csv.gz": zipped, "KO.csv": body.replace(b"7:1", b"1.0")})
    assert archive == ticker_csv.bundle({"KO.csv": body.replace(b"7:1", b"1.0"), "AAPL.csv.gz": zipped})  # same bytes
    both = ticker_csv.parse(archive, captured_at=NOW, file="daily.zip")
    assert sorted(set(both.tickers["symbol"])) == ["AAPL", "KO"] and both.tickers.height == 4
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert z.read("AAPL.csv.gz") == zipped and z.read("KO.csv") == body.replace(b"7:1", b"1.0")  # each file as it was
    with pytest.raises(ParseError, match=r"20241128T120000Z\.csv:1: header has no symbol \(or ticker\) column"):
        ticker_csv.parse(body, captured_at=NOW, file="20241128T120000Z.csv")
    bad = ticker_csv.parse(body.replace(b"7:1", b"seven"), captured_at=NOW, file="AAPL.csv")
    assert len(bad.rejects) == 1 and "split not a number: 'seven'" in bad.rejects[0].reason
