"""Corporate actions on real recorded exports: zipline's vendor folder (splits and dividends), Quandl's WIKI table
with its own adjusted closes, and the bundled Apple 2005 split from the reference file. Every expected figure is
computed here from the files themselves (stdlib csv, gzip, zipfile)."""

import csv
import datetime as dt
import gzip
import io
import itertools
import shutil
import zipfile

import pytest
from conftest import FIXTURES, REPO
from typer.testing import CliRunner

from dagster_project import checking, pipeline, quality, sqlmodels, storage
from dagster_project.cli import app

ZIPLINE = FIXTURES / "ticker_csv" / "zipline_csvdir"
QUANDL = FIXTURES / "ticker_csv" / "QUANDL_ARCHIVE.zip"
BUNDLED = REPO / "data" / "bundled" / "ticker_csv" / "20261021T162500Z.csv"


def _series(rows: list[dict], close="close", dividend="dividend", split="split") -> list[tuple]:
    """(date, close, close text, dividend, split) in date order, from rows read by stdlib csv."""
    return sorted((dt.date.fromisoformat(r["date"]), float(r[close]), r[close], float(r[dividend] or 0), float(r[split] or 1))
                  for r in rows)


def _zipline() -> dict[str, list[dict]]:
    return {p.name.split(".")[0]: list(csv.DictReader(io.StringIO(gzip.decompress(p.read_bytes()).decode())))
            for p in sorted(ZIPLINE.glob("*.csv.gz"))}


def _ingest(*args: str):
    result = CliRunner().invoke(app, ["ingest", *args])
    assert result.exit_code == 0, result.output
    return result


def _judge(data_dir, check: str, first: dt.date, last: dt.date):
    scope = quality.Scope(data_dir, "ticker_csv_tickers", "tickers", "ticker_csv", first, last)
    (outcome,) = checking.run_checks(scope, [check])
    assert outcome.error is None, outcome.error
    return outcome.findings


@pytest.fixture
def zipline_folder(tmp_path, data_dir):
    """zipline's csvdir folder (one gzipped export per symbol, no symbol column) through `mdw ingest FOLDER`."""
    folder = tmp_path / "daily"
    shutil.copytree(ZIPLINE, folder)
    result = _ingest(str(folder))
    assert result.output.count("landed ") == 1 and "(ticker_csv, 2012-01-03..2014-12-31)" in result.output
    assert "Corporate actions applied" in result.output
    return data_dir


def test_a_vendor_folder_lands_every_symbol_with_ohlcv_as_published(zipline_folder):
    con = sqlmodels.connect(zipline_folder)
    for symbol, rows in _zipline().items():
        got = {r[0]: r[1:] for r in con.execute(
            "select session::varchar, open_text, high_text, low_text, price_text, volume_text, dividend_text, split_ratio_text "
            "from parsed_tickers where symbol = ?", [symbol]).fetchall()}
        assert len(got) == len(rows) == 754
        for r in rows:
            assert got[r["date"]] == (r["open"], r["high"], r["low"], r["close"], r["volume"], r["dividend"], r["split"])
    # the raw layer holds one zip whose members are the vendor's files byte for byte
    (raw,) = [p for p in (zipline_folder / "raw" / "ticker_csv").rglob("*.zip")]
    with zipfile.ZipFile(raw) as archive:
        assert {n: archive.read(n) for n in archive.namelist()} == {p.name: p.read_bytes() for p in ZIPLINE.iterdir()}


def test_every_split_and_dividend_day_of_the_vendor_folder(zipline_folder):
    """zipline's closes are already split-adjusted (AAPL 58.75 on 2012-01-03, when Apple traded near 411): its
    recorded splits (AAPL 7:1 on 2014-06-09, KO 2:1 on 2012-08-13) do not move the closes, so they are not applied
    and the corporate_actions check says so; every dividend is reinvested on its ex-date."""
    con = sqlmodels.connect(zipline_folder)
    checked = {"split": 0, "dividend": 0}
    for symbol, rows in _zipline().items():
        series = _series(rows)
        got = {r[0]: r[1:] for r in con.execute(
            "select session, prev_price, split_ratio, dividend, change_pct, split_adjusted_change_pct, total_return_pct, "
            "adjustment from ticker_daily_change where symbol = ?", [symbol]).fetchall()}
        for (_, prev, _, _, _), (day, close, _, dividend, split) in itertools.pairwise(series):
            prev_price, ratio, div, change, adjusted, total, words = got[day]
            assert prev_price == prev and change == pytest.approx(100 * (close / prev - 1), rel=1e-12)
            if split != 1:
                assert abs(close / prev - 1) < 0.05  # the file's closes did not move by the split: already adjusted
                applied = 1.0
                assert ratio is None and f"split {split:.0f}:1 stated (ticker_csv), not applied" in words
                checked["split"] += 1
            else:
                applied = 1.0
                assert ratio is None
            if dividend:
                assert div == dividend and f"dividend {dividend}" in words
                checked["dividend"] += 1
            else:
                assert div is None
            assert adjusted == pytest.approx(100 * (close * applied / prev - 1), rel=1e-12, abs=1e-12)
            assert total == pytest.approx(100 * (applied * (close + dividend) / prev - 1), rel=1e-12, abs=1e-12)
            assert (words is None) == (split == 1 and not dividend)
    stated = [r for rows in _zipline().values() for r in rows[1:]]  # the first session has no previous close
    assert checked == {"split": sum(r["split"] != "1.0" for r in stated), "dividend": sum(float(r["dividend"]) > 0 for r in stated)}
    assert checked["split"] == 2 and checked["dividend"] > 40
    found = _judge(zipline_folder, "corporate_actions", dt.date(2012, 1, 1), dt.date(2014, 12, 31))
    assert sorted(zip(found["subject"], found["date"])) == [("AAPL", dt.date(2014, 6, 9)), ("KO", dt.date(2012, 8, 13))]
    assert all("already split-adjusted" in d for d in found["detail"])
    assert _judge(zipline_folder, "ohlc", dt.date(2012, 1, 1), dt.date(2014, 12, 31)).height == 0


def _quandl() -> list[dict]:
    with zipfile.ZipFile(QUANDL) as archive:
        return list(csv.DictReader(io.StringIO(archive.read("QUANDL_SAMPLE_TABLE.csv").decode())))


def test_adjusted_closes_match_the_vendors_own(data_dir):
    """Quandl's WIKI table: raw closes, ex-dividend, split ratio and its own adjusted closes (published to 12
    decimals). Quandl divides a dividend by the ex-date's close with the dividend added back (its factor on earlier
    closes is close / (close + D)), not by the previous close as CRSP does: with dividend_basis := 'ex_date_close'
    our adjusted closes' day-to-day ratios equal Quandl's within 1e-6 on every day; by default (CRSP) they are
    close x split / (previous close - dividend x split), which is up to 1.3e-4 from Quandl's on its 8 dividend days."""
    _ingest("--source", "ticker_csv", str(QUANDL))
    con = sqlmodels.connect(data_dir)
    rows = _quandl()
    dividend_days = 0
    for symbol in ("AAPL", "BRK_A", "MSFT", "ZEN"):
        mine = [r for r in rows if r["ticker"] == symbol]
        series = _series(mine, dividend="ex-dividend", split="split_ratio")
        vendor = {dt.date.fromisoformat(r["date"]): float(r["adj_close"]) for r in mine}
        query = "select session, adjusted_close from ticker_adjusted_closes('2014-12-31', symbol_name := ?{})"
        ours = dict(con.execute(query.format(""), [symbol]).fetchall())
        quandl_style = dict(con.execute(query.format(", dividend_basis := 'ex_date_close'"), [symbol]).fetchall())
        assert set(ours) == set(vendor) == set(quandl_style)
        assert ours[max(ours)] == quandl_style[max(ours)] == series[-1][1]  # the newest close is its own adjusted close
        got = {r[0]: r[1:] for r in con.execute(
            "select session, split_ratio, split_adjusted_change_pct, total_return_pct from ticker_daily_change where symbol = ?",
            [symbol]).fetchall()}
        for (before, prev, _, _, _), (day, close, _, dividend, split) in itertools.pairwise(series):
            theirs = vendor[day] / vendor[before]
            crsp = ours[day] / ours[before]
            assert crsp == pytest.approx(close * split / (prev - dividend * split), rel=1e-12)
            assert quandl_style[day] / quandl_style[before] == pytest.approx(split * (close + dividend) / prev, rel=1e-12)
            assert abs(quandl_style[day] / quandl_style[before] / theirs - 1) <= 1e-6, (symbol, day)
            ratio, adjusted, total = got[day]
            assert ratio == (split if split != 1 else None)
            assert adjusted == pytest.approx(100 * (close * split / prev - 1), rel=1e-12, abs=1e-12)
            assert total == pytest.approx(100 * (split * (close + dividend) / prev - 1), rel=1e-12, abs=1e-12)
            if dividend:
                dividend_days += 1
                implied = dividend / (1 - (close / prev) / theirs)  # the price Quandl's factor divides by
                assert implied == pytest.approx(close + dividend, abs=1e-6)
                assert 1e-7 < abs(crsp / theirs - 1) < 2e-4
            else:
                assert abs(crsp / theirs - 1) <= 1e-6, (symbol, day)
    assert dividend_days == 8
    with pytest.raises(Exception, match="dividend_basis"):
        con.execute("select * from ticker_adjusted_closes('2014-12-31', dividend_basis := 'next_close')").fetchall()
    split_day = con.execute("select prev_price, price, split_ratio, adjustment from ticker_daily_change "
                            "where symbol = 'AAPL' and session = '2014-06-09'").fetchone()
    assert split_day[:3] == (645.57, 93.7, 7.0) and split_day[3] == "split 7:1 (ticker_csv)"
    jumps = _judge(data_dir, "jumps", dt.date(2014, 6, 1), dt.date(2014, 6, 30))
    assert (dt.date(2014, 6, 9), "AAPL") not in set(zip(jumps["date"], jumps["subject"]))  # the split explains the -85.5%


def test_the_bundled_apple_split_comes_from_the_reference_file(data_dir):
    pipeline.land_input(data_dir, BUNDLED.read_bytes(), name=BUNDLED.name)
    pipeline.parse_partitions(data_dir, "ticker_csv", storage.months_between(dt.date(2004, 1, 1), dt.date(2005, 12, 1)))
    for mart in sqlmodels.MARTS:
        if mart.startswith("ticker"):
            sqlmodels.build_mart(data_dir, mart)
    with open(BUNDLED, newline="") as fh:
        aapl = sorted((r["date"], float(r["close"])) for r in csv.DictReader(fh) if r["symbol"] == "AAPL")
    (before, prev), (_day, close) = next(pair for pair in itertools.pairwise(aapl) if pair[1][0] == "2005-02-28")
    assert before == "2005-02-25"
    con = sqlmodels.connect(data_dir)
    row = con.execute("select change_pct, split_ratio, split_adjusted_change_pct, total_return_pct, adjustment, "
                      "adjustment_factor from ticker_daily_change where symbol = 'AAPL' and session = '2005-02-28'").fetchone()
    assert row[0] == pytest.approx(100 * (close / prev - 1)) and round(row[0], 1) == -49.6  # as published
    assert row[1] == 2.0 and row[2] == pytest.approx(100 * (2 * close / prev - 1), rel=1e-12) and row[3] == row[2]
    assert row[4].startswith("split 2:1 (reference: Apple Computer, Inc. press release of 2005-02-11") and row[5] == 0.5
    action = con.execute("select source, raw_file, line, ratio, statements from corporate_actions where symbol = 'AAPL'").fetchall()
    assert action == [("reference", "data/reference/corporate_actions.csv", 2, 2.0, 1)]
    # every other session's change is the published change: no other action
    assert con.execute("select count(*) from ticker_daily_change where adjustment is not null").fetchone() == (1,)
    assert con.execute("select count(*) from ticker_daily_change where split_adjusted_change_pct is distinct from change_pct "
                       "and session <> '2005-02-28'").fetchone() == (0,)
    first, last = dt.date(2005, 2, 1), dt.date(2005, 2, 28)
    assert "AAPL" not in set(_judge(data_dir, "jumps", first, last)["subject"])
    assert _judge(data_dir, "corporate_actions", first, last).height == 0
    adjusted = dict(con.execute("select session::varchar, adjusted_close from ticker_adjusted_closes('2005-12-30', "
                                "symbol_name := 'AAPL')").fetchall())
    assert adjusted["2005-02-25"] == pytest.approx(prev / 2) and adjusted["2005-02-28"] == close


def test_without_the_reference_row_the_split_is_a_finding_that_says_so(data_dir, tmp_path):
    """The same closes under another symbol (no recorded action): the -49.6% day is a split-like move with no
    recorded split, and the mart keeps it as a price change."""
    with open(BUNDLED, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["symbol"] == "AAPL" and r["date"] < "2005-04-01"]
    export = tmp_path / "XAPL.csv"
    export.write_text("date,close\n" + "".join(f"{r['date']},{r['close']}\n" for r in rows))
    _ingest(str(export))
    found = _judge(data_dir, "corporate_actions", dt.date(2005, 2, 1), dt.date(2005, 2, 28))
    assert found.height == 1 and found["date"][0] == dt.date(2005, 2, 28)
    assert "what a split of 2.0 for 1 does, and no split is recorded" in found["detail"][0]
    con = sqlmodels.connect(data_dir)
    assert con.execute("select symbol, split_adjusted_change_pct = change_pct, adjustment from ticker_daily_change "
                       "where session = '2005-02-28'").fetchone() == ("XAPL", True, None)


def test_duplicate_and_conflicting_actions_and_bad_prices_are_findings(data_dir, tmp_path):
    """A vendor file named for Apple stating its 2005 split as 3:1 (the reference file says 2:1: a conflict, the
    reference's applied), and a row whose open and close are above its high."""
    export = tmp_path / "AAPL.csv"
    export.write_text("date,open,high,low,close,volume,dividend,split\n"
                      "2005-02-24,88.0,89.5,87.9,88.93,100,0,1\n"
                      "2005-02-25,89.0,89.1,88.0,88.99,100,0,1\n"
                      "2005-02-28,44.5,44.9,44.2,44.86,200,0,3:1\n"
                      "2005-03-01,44.6,44.4,44.1,44.50,200,0,1\n")
    _ingest(str(export))
    found = _judge(data_dir, "corporate_actions", dt.date(2005, 2, 1), dt.date(2005, 3, 31))
    (conflict,) = found.filter(found["severity"] == "ERROR").iter_rows(named=True)
    assert conflict["date"] == dt.date(2005, 2, 28) and "stated 2 times with different values" in conflict["detail"]
    assert "reference 2.0 (data/reference/corporate_actions.csv:2)" in conflict["detail"] and "ticker_csv 3:1" in conflict["detail"]
    ohlc = _judge(data_dir, "ohlc", dt.date(2005, 2, 1), dt.date(2005, 3, 31))
    assert ohlc["date"].to_list() == [dt.date(2005, 3, 1)] and ohlc["severity"].to_list() == ["ERROR"]
    assert ohlc["detail"][0].startswith("AAPL on 2005-03-01: open 44.6 above high 44.4; close 44.50 above high 44.4 (raw/")


def test_an_ex_date_off_the_exchanges_sessions_is_a_finding(data_dir, tmp_path, monkeypatch):
    """A reference action dated on a Saturday (2005-02-26) and one on Presidents' Day (2005-02-21): neither is an XNYS
    session, so neither can be an ex-date."""
    from dagster_project import reference

    folder = tmp_path / "reference"
    shutil.copytree(reference.REFERENCE, folder)
    with open(folder / "corporate_actions.csv", "a") as fh:
        fh.write("IBM,XNYS,2005-02-26,dividend,,0.18,a test statement,\nIBM,XNYS,2005-02-21,dividend,,0.18,a test statement,\n")
    monkeypatch.setattr(reference, "REFERENCE", folder)
    pipeline.land_input(data_dir, BUNDLED.read_bytes(), name=BUNDLED.name)
    pipeline.parse_partitions(data_dir, "ticker_csv", [dt.date(2005, 1, 1), dt.date(2005, 2, 1)])
    found = _judge(data_dir, "corporate_actions", dt.date(2005, 2, 1), dt.date(2005, 2, 28))
    off = found.filter(found["subject"] == "IBM")
    assert sorted(off["date"].to_list()) == [dt.date(2005, 2, 21), dt.date(2005, 2, 26)]
    assert set(off["severity"]) == {"ERROR"}
    assert all("not a XNYS session" in d and "corporate_actions.csv:" in d for d in off["detail"])
