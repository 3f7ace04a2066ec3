"""Rates as they were known at any moment: fx_rate_versions, fx_rates_known_at, fx_convert(known_at := …), the
revisions (fx_rate_revisions, the `revisions` check) and `mdw convert --known-at`, each against a hand-written
expectation of three cases: a page captured three times in a day with a changed value, an ECB daily file restated
by a history file (one value the same, one changed), and a provider correction (a later capture of the same
provider date with another value). The bodies are the repo's fixtures; a changed value is written into a copy of one
in the test, so the expectation is the number written here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import FIXTURES, UTC
from typer.testing import CliRunner

from dagster_project import checking, pipeline, quality, sqlmodels
from dagster_project.cli import app

DAY = dt.date(2024, 11, 28)
PAGE = (FIXTURES / "page" / "20241128T120000Z.txt").read_bytes()
ECB_DAILY = (FIXTURES / "ecb" / "eurofxref-daily-2024-11-28.xml").read_bytes()
ECB_HISTORY = (FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv").read_bytes()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def changed(body: bytes, old: bytes, new: bytes) -> bytes:
    assert body.count(old) == 1, old
    return body.replace(old, new)


def load(data: Path, source: str, inputs: list[tuple[str, bytes]], months: list[dt.date]) -> None:
    """Land each (name, body) as its name's capture time states, then parse the months and build fx_rates."""
    for name, body in inputs:
        pipeline.land_input(data, body, name=name, source=source)
    pipeline.parse_partitions(data, source, months)
    sqlmodels.build_mart(data, "fx_rates")


def versions(con, source: str, day: dt.date, currency: str) -> list[tuple]:
    return con.execute("select version, rate, known_from, known_until, latest_rate, versions from fx_rate_versions "
                       "where source = ? and date = ? and currency = ? order by version", [source, day, currency]).fetchall()


def known(con, ts: dt.datetime, source: str, day: dt.date, currency: str) -> tuple | None:
    return con.execute("select rate, known_from, revised_at, latest_rate from fx_rates_known_at(?) "
                       "where source = ? and date = ? and currency = ?", [ts, source, day, currency]).fetchone()


def convert(con, amount, from_ccy, to_ccy, on, ts, source=None) -> dict:
    cur = con.execute("select * from fx_convert(?, ?, ?, ?, source_name := ?, known_at := ?)",
                      [amount, from_ccy, to_ccy, on, source, ts])
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row))


def revisions_check(data: Path, asset: str, source: str, first: dt.date, last: dt.date):
    [outcome] = checking.run_checks(quality.Scope(data, asset, "rates", source, first, last), ["revisions"])
    assert outcome.error is None and not outcome.check.blocking
    return outcome.findings


# ------------------------------------------------------------------ a page captured three times in a day

@pytest.fixture
def page_day(data_dir) -> Path:
    """08:00 and 12:00 show the same page; at 16:00 USD moved from 1.055851 to 1.061234."""
    moved = changed(PAGE, b"\nUSD 1.055851\n", b"\nUSD 1.061234\n")
    load(data_dir, "page", [("20241128T080000Z.txt", PAGE), ("20241128T120000Z.txt", PAGE), ("20241128T160000Z.txt", moved)],
         [DAY])
    return data_dir


def test_page_captured_three_times_versions_known_at_and_convert(page_day):
    con = sqlmodels.connect(page_day)
    # the 12:00 capture restates 08:00's values: not a version; 16:00's USD is
    assert versions(con, "page", DAY, "USD") == [
        (1, 1.055851, at("2024-11-28T08:00"), at("2024-11-28T16:00"), 1.061234, 2),
        (2, 1.061234, at("2024-11-28T16:00"), None, 1.061234, 2)]
    assert versions(con, "page", DAY, "GBP") == [(1, 0.832623, at("2024-11-28T08:00"), None, 0.832623, 1)]
    # every symbol of the ticker strip showed the same values three times: one version each, known from 08:00
    tickers = con.execute("select count(*), max(versions), min(known_from), max(known_from), count(known_until) "
                          "from ticker_quote_versions where source = 'page'").fetchone()
    assert tickers[0] > 0 and tickers[1:] == (1, at("2024-11-28T08:00"), at("2024-11-28T08:00"), 0)

    assert known(con, at("2024-11-28T07:59"), "page", DAY, "USD") is None  # before the first capture
    assert known(con, at("2024-11-28T12:30"), "page", DAY, "USD") == (
        1.055851, at("2024-11-28T08:00"), at("2024-11-28T16:00"), 1.061234)
    assert known(con, at("2024-11-28T16:00"), "page", DAY, "USD") == (1.061234, at("2024-11-28T16:00"), None, 1.061234)
    assert con.execute("select count(*) from fx_rates_known_at(?) where source = 'page'", [at("2024-11-28T12:30")]).fetchone()[0] \
        == con.execute("select count(*) from fx_rates where source = 'page'").fetchone()[0]

    before = convert(con, 100, "EUR", "USD", DAY, at("2024-11-28T12:30"), "page")
    assert (before["rate_date"], before["rate"], before["converted"]) == (DAY, 1.055851, pytest.approx(105.5851))
    assert (before["captured_at"], before["revised_at"], before["latest_rate"]) == (at("2024-11-28T08:00"), at("2024-11-28T16:00"), 1.061234)
    assert "captured 2024-11-28 08:00:00 UTC" in before["note"] and "revised at 2024-11-28 16:00:00 UTC: 1.061234 now" in before["note"]
    after = convert(con, 100, "EUR", "USD", DAY, at("2024-11-28T17:00"), "page")
    assert (after["rate"], after["captured_at"], after["revised_at"], after["latest_rate"]) == (1.061234, at("2024-11-28T16:00"), None, None)
    assert after["note"].endswith("not revised since")
    nothing = convert(con, 100, "EUR", "USD", DAY, at("2024-11-28T07:00"), "page")
    assert nothing["rate"] is None and nothing["note"] == (
        "no publication of EUR/USD within 7 days before 2024-11-28 by page as known at 2024-11-28 07:00:00 UTC")
    # without known_at: what the warehouse knows now
    assert convert(con, 100, "EUR", "USD", DAY, None, "page")["rate"] == 1.061234

    [revision] = con.execute("select currency, old_rate, new_rate, change_bp, old_known_from, revised_at, old_raw_file, new_raw_file "
                             "from fx_rate_revisions where source = 'page'").fetchall()
    assert revision[:3] == ("USD", 1.055851, 1.061234) and revision[3] == pytest.approx((1.061234 / 1.055851 - 1) * 1e4)
    assert revision[4:] == (at("2024-11-28T08:00"), at("2024-11-28T16:00"),
                            "raw/page/date=2024-11-28/20241128T080000Z.txt", "raw/page/date=2024-11-28/20241128T160000Z.txt")
    con.close()
    found = revisions_check(page_day, "page_rates", "page", DAY, DAY)
    assert found.select("severity", "date", "subject", "observed", "expected").rows() == [("WARN", DAY, "USD", 1.061234, 1.055851)]
    assert "+51.0 bp" in found["detail"][0] and "20241128T160000Z.txt" in found["detail"][0]


# ------------------------------------------------------- an ECB daily file restated by a history file

@pytest.fixture
def restated(data_dir) -> Path:
    """The daily XML of 28 November captured at 15:05 UTC (after the 16:00 CET publication); the history file
    captured on 3 December restates the 28th with the same USD (1.0542) and another JPY (159.95 for 159.89)."""
    history = changed(ECB_HISTORY, b"\n2024-11-28,1.0542,159.89,", b"\n2024-11-28,1.0542,159.95,")
    load(data_dir, "ecb", [("20241128T150500Z.xml", ECB_DAILY), ("20241203T160000Z.csv", history)],
         [dt.date(2024, 11, 1), dt.date(2024, 12, 1)])
    return data_dir


def test_a_history_file_restating_a_daily_file(restated):
    con = sqlmodels.connect(restated)
    daily, history = at("2024-11-28T15:05"), at("2024-12-03T16:00")
    assert versions(con, "ecb", DAY, "USD") == [(1, 1.0542, daily, None, 1.0542, 1)]  # the same value: no new version
    assert versions(con, "ecb", DAY, "JPY") == [(1, 159.89, daily, history, 159.95, 2), (2, 159.95, history, None, 159.95, 2)]
    # the history file's other days are known from its capture, never from their data date
    assert versions(con, "ecb", dt.date(2024, 11, 27), "USD") == [(1, 1.0531, history, None, 1.0531, 1)]  # the file's 2024-11-27 row
    assert con.execute("select min(known_from), max(known_from) from fx_rate_versions where date <> ?", [DAY]).fetchone() == (history, history)

    # at 10:00 UTC on the 28th the ECB had not published that day (and nothing earlier was captured yet)
    assert known(con, at("2024-11-28T10:00"), "ecb", DAY, "USD") is None
    look_ahead = convert(con, 100, "EUR", "USD", DAY, at("2024-11-28T10:00"))
    assert look_ahead["rate"] is None and look_ahead["note"] == (
        "no publication of EUR/USD within 7 days before 2024-11-28 as known at 2024-11-28 10:00:00 UTC")
    # a valuation at 10:00 the next day uses the 28th's daily file: JPY 159.89, revised on 3 December
    assert known(con, at("2024-11-29T10:00"), "ecb", DAY, "JPY") == (159.89, daily, history, 159.95)
    assert known(con, at("2024-11-29T10:00"), "ecb", dt.date(2024, 11, 27), "JPY") is None
    next_day = convert(con, 100, "EUR", "JPY", dt.date(2024, 11, 29), at("2024-11-29T10:00"))
    assert (next_day["rate_date"], next_day["source"], next_day["rate"], next_day["converted"]) == (DAY, "ecb", 159.89, pytest.approx(15989))
    assert (next_day["captured_at"], next_day["revised_at"], next_day["latest_rate"]) == (daily, history, 159.95)
    assert next_day["note"] == ("the rate of 2024-11-28 as known at 2024-11-29 10:00:00 UTC (no publication on 2024-11-29 "
                                "known then: the latest within 7 days), captured 2024-11-28 15:05:00 UTC; "
                                "revised at 2024-12-03 16:00:00 UTC: 159.95 now")
    cross = convert(con, 100, "USD", "JPY", DAY, at("2024-11-29T10:00"))
    assert cross["rate"] == pytest.approx(159.89 / 1.0542) and cross["latest_rate"] == pytest.approx(159.95 / 1.0542)
    # after the history file: 159.95, not revised since, the same as without known_at
    after = convert(con, 100, "EUR", "JPY", DAY, at("2024-12-04T00:00"))
    assert (after["rate"], after["captured_at"], after["revised_at"]) == (159.95, history, None)
    assert convert(con, 100, "EUR", "JPY", DAY, None)["rate"] == 159.95

    assert con.execute("select date, currency, old_rate, new_rate, old_known_from, revised_at from fx_rate_revisions").fetchall() == [
        (DAY, "JPY", 159.89, 159.95, daily, history)]
    con.close()
    # 159.89 -> 159.95 is 3.8 bp: listed in fx_rate_revisions, under the check's 5 bp threshold
    assert revisions_check(restated, "ecb_rates", "ecb", dt.date(2024, 11, 1), dt.date(2024, 11, 30)).height == 0


def test_a_history_file_loaded_today_is_known_from_today(data_dir):
    """A history file named without a capture time is known from when it was landed (the fetch), not from 1999."""
    before = dt.datetime.now(UTC).replace(microsecond=0)
    load(data_dir, "ecb", [("eurofxref-hist.csv", ECB_HISTORY)], [dt.date(2024, 11, 1), dt.date(2024, 12, 1)])
    after = dt.datetime.now(UTC)
    con = sqlmodels.connect(data_dir)
    first, last, n = con.execute("select min(known_from), max(known_from), count(*) from fx_rate_versions").fetchone()
    assert n > 0 and before <= first == last <= after
    assert con.execute("select count(*) from fx_rates_known_at(?)", [before - dt.timedelta(seconds=1)]).fetchone()[0] == 0
    con.close()


# ---------------------------------------------------------------------------------- a provider correction

@pytest.fixture
def corrected(data_dir) -> Path:
    """The daily XML of 28 November captured at 15:05 UTC, then a correction of the same date captured at 17:30
    giving USD 1.0552 instead of 1.0542."""
    correction = changed(ECB_DAILY, b"currency='USD' rate='1.0542'", b"currency='USD' rate='1.0552'")
    load(data_dir, "ecb", [("20241128T150500Z.xml", ECB_DAILY), ("20241128T173000Z.xml", correction)], [dt.date(2024, 11, 1)])
    return data_dir


def test_a_provider_correction(corrected):
    con = sqlmodels.connect(corrected)
    first, fix = at("2024-11-28T15:05"), at("2024-11-28T17:30")
    assert versions(con, "ecb", DAY, "USD") == [(1, 1.0542, first, fix, 1.0552, 2), (2, 1.0552, fix, None, 1.0552, 2)]
    assert versions(con, "ecb", DAY, "JPY") == [(1, 159.89, first, None, 159.89, 1)]  # restated unchanged by the correction
    assert known(con, at("2024-11-28T16:00"), "ecb", DAY, "USD") == (1.0542, first, fix, 1.0552)
    assert known(con, at("2024-11-28T17:30"), "ecb", DAY, "USD") == (1.0552, fix, None, 1.0552)

    before = convert(con, 1000, "EUR", "USD", DAY, at("2024-11-28T16:00"))
    assert (before["rate"], before["rate_text"], before["converted"]) == (1.0542, "1.0542", pytest.approx(1054.2))
    assert before["note"] == ("the rate of 2024-11-28 as known at 2024-11-28 16:00:00 UTC, captured 2024-11-28 15:05:00 UTC; "
                              "revised at 2024-11-28 17:30:00 UTC: 1.0552 now")
    after = convert(con, 1000, "EUR", "USD", DAY, at("2024-11-28T18:00"))
    assert (after["rate"], after["converted"], after["revised_at"]) == (1.0552, pytest.approx(1055.2), None)
    assert after["note"] == "the rate of 2024-11-28 as known at 2024-11-28 18:00:00 UTC, captured 2024-11-28 17:30:00 UTC; not revised since"
    # USD is the quote's base here: both legs' capture times count (JPY from 15:05, USD corrected at 17:30)
    cross = convert(con, 100, "USD", "JPY", DAY, at("2024-11-28T16:00"))
    assert cross["rate"] == pytest.approx(159.89 / 1.0542) and cross["revised_at"] == fix
    assert cross["latest_rate"] == pytest.approx(159.89 / 1.0552)

    [row] = con.execute("select currency, old_rate_text, new_rate_text, change_bp, revised_at from fx_rate_revisions").fetchall()
    assert row[:3] == ("USD", "1.0542", "1.0552") and row[3] == pytest.approx((1.0552 / 1.0542 - 1) * 1e4) and row[4] == fix
    con.close()
    found = revisions_check(corrected, "ecb_rates", "ecb", dt.date(2024, 11, 1), dt.date(2024, 11, 30))
    assert found.select("severity", "date", "source", "subject", "observed", "expected").rows() == [
        ("WARN", DAY, "ecb", "USD", 1.0552, 1.0542)]


def test_mdw_convert_known_at(corrected):
    runner = CliRunner()
    then = runner.invoke(app, ["convert", "1000", "EUR", "USD", "--on", "2024-11-28", "--known-at", "2024-11-28T16:00Z"])
    assert then.exit_code == 0, then.output
    assert "1,000.00 EUR = 1,054.20 USD on 2024-11-28" in then.output
    assert "revised at 2024-11-28 17:30:00 UTC: 1.0552 now" in then.output
    now = runner.invoke(app, ["convert", "1000", "EUR", "USD", "--on", "2024-11-28"])
    assert now.exit_code == 0 and "1,055.20 USD" in now.output and "known" not in now.output
    early = runner.invoke(app, ["convert", "1000", "EUR", "USD", "--on", "2024-11-28", "--known-at", "2024-11-28T15:00Z"])
    assert early.exit_code == 2 and "as known at 2024-11-28 15:00:00 UTC" in early.output
    naive = runner.invoke(app, ["convert", "1000", "EUR", "USD", "--on", "2024-11-28", "--known-at", "2024-11-28T16:00"])
    assert naive.exit_code == 2 and "no time zone" in naive.output
