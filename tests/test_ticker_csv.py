"""Ticker CSV adapter: vendor history exports."""

import datetime as dt
import itertools

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
