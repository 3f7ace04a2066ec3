"""Ticker CSV adapter: vendor history exports."""

import datetime as dt

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

    rng = random.Random(3)
    lines = ["Date,Ticker,Close,Change,Change_Pct"]
    for d in range(160):
        day = dt.date(2021, 1, 1) + dt.timedelta(days=d)
        for s in range(180):
            price, change = rng.uniform(5, 500), rng.uniform(-2, 2)
            lines.append(f"{day},s{s:04d},{price:.2f},{change:.2f},{100 * change / (price - change):.2f}%")
    data = ("\n".join(lines) + "\n").encode()
    assert len(data) > 1_000_000  # large enough for the fast path
    captured = dt.datetime(2021, 6, 1, tzinfo=dt.timezone.utc)
    fast = ticker_csv.parse(data, captured_at=captured)
    monkeypatch.setattr(ticker_csv, "_parse_plain", lambda *args: None)
    slow = ticker_csv.parse(data, captured_at=captured)
    assert fast.tickers.height == 160 * 180 and fast.tickers.equals(slow.tickers) and not fast.rejects
