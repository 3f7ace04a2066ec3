"""Analysts' SQL: fx_convert / fx_rate / fx_rates_asof against an independent computation from the bundled ECB
file, the 7-day limit across a load gap, gaps flagged in the daily-change marts, the currencies relation, the
catalog's comments and each model's grain, and `mdw convert`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from pathlib import Path

import duckdb
import page_builder
import pytest
from conftest import BUNDLED_ECB, BUNDLED_PAGE, UTC
from typer.testing import CliRunner

from dagster_project import catalog_docs, pipeline, sqlmodels, storage
from dagster_project.cli import app

ECB_LAST = dt.date(2026, 10, 30)


def _ecb_file() -> dict[dt.date, dict[str, float]]:
    """The bundled ECB history read with the standard library only: date -> {currency: units per 1 EUR}."""
    with zipfile.ZipFile(BUNDLED_ECB) as zf:
        text = zf.read(zf.namelist()[0]).decode()
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        day = dt.date.fromisoformat(row.pop("Date"))
        out[day] = {c.strip(): float(v) for c, v in row.items() if c and c.strip() and v.strip() not in ("", "N/A")}
        out[day]["EUR"] = 1.0
    return out


def _expected(ecb, base: str, quote: str, on: dt.date, max_age: int = 7):
    for back in range(max_age + 1):
        day = on - dt.timedelta(days=back)
        quotes = ecb.get(day)
        if quotes and base in quotes and quote in quotes:
            return day, quotes[quote] / quotes[base]
    return None, None


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    """The whole bundled ECB history parsed and fx_rates built (no Dagster: the library layer)."""
    data = tmp_path_factory.mktemp("history") / "data"
    pipeline.land_input(data, BUNDLED_ECB.read_bytes(), name=BUNDLED_ECB.name, source="ecb")
    pipeline.parse_partitions(data, "ecb", storage.months_between(dt.date(1999, 1, 1), ECB_LAST))
    for name in ("fx_rates", "fx_daily_change"):
        sqlmodels.build_mart(data, name)
    return data


def test_fx_convert_matches_an_independent_computation_on_any_day(history):
    ecb = _ecb_file()
    rng = random.Random(20261125)
    codes = ["EUR", "USD", "JPY", "GBP", "CHF", "ISK", "RUB", "CNY", "TRY", "ZAR", "BGN", "HRK"]
    special = [dt.date(2025, 12, 25), dt.date(2025, 12, 27), dt.date(2024, 3, 29), dt.date(2024, 4, 1), dt.date(2024, 5, 1),
               dt.date(2009, 6, 15), dt.date(2012, 1, 7), dt.date(2022, 3, 15), dt.date(2005, 3, 1), dt.date(1999, 1, 2),
               dt.date(2026, 11, 6), dt.date(2026, 11, 7)]  # holidays, weekends, the ISK and RUB gaps, CNY before 2005-04
    days = special + [dt.date(1999, 1, 1) + dt.timedelta(days=rng.randrange(10_200)) for _ in range(150)]
    con = sqlmodels.connect(history)
    checked = nulls = 0
    for on in days:
        base, quote = rng.sample(codes, 2)
        want_date, want_rate = _expected(ecb, base, quote, on)
        got = con.execute("select rate_date, source, rate, converted, note from fx_convert(250, ?, ?, ?)", [base, quote, on]).fetchone()
        assert got[0] == want_date, (base, quote, on, got)
        if want_rate is None:
            assert got[2] is None and got[3] is None and got[4], (base, quote, on, got)
            nulls += 1
        else:
            assert got[1] == "ecb" and abs(got[2] / want_rate - 1) <= 1e-12 and abs(got[3] / (250 * want_rate) - 1) <= 1e-12
            assert con.execute("select fx_rate(?, ?, ?)", [base, quote, on]).fetchone()[0] == got[2]
        checked += 1
    assert checked == len(days) and 5 <= nulls < checked  # both outcomes are exercised
    christmas = con.execute("select rate_date, note from fx_convert(1000, 'GBP', 'JPY', '2025-12-25')").fetchone()
    assert christmas[0] == dt.date(2025, 12, 24) and "no publication on 2025-12-25" in christmas[1]
    isk = con.execute("select rate, note from fx_convert(1, 'EUR', 'ISK', '2009-06-15')").fetchone()
    assert isk[0] is None and "the latest is 2008-12-09" in isk[1]
    cny = con.execute("select rate, note from fx_convert(1, 'EUR', 'CNY', '2005-03-01')").fetchone()
    assert cny[0] is None and "not quoted on or before 2005-03-01" in cny[1]


def test_max_age_is_a_parameter(history):
    con = sqlmodels.connect(history)
    # Good Friday and Easter Monday 2024: the Thursday's rate is 4 days old on the Monday
    assert con.execute("select rate_date from fx_convert(1, 'USD', 'JPY', '2024-04-01')").fetchone()[0] == dt.date(2024, 3, 28)
    assert con.execute("select rate from fx_convert(1, 'USD', 'JPY', '2024-04-01', max_age_days := 3)").fetchone()[0] is None
    assert con.execute("select fx_rate('USD', 'JPY', '2024-04-01', max_age_days := 3)").fetchone()[0] is None


def test_fx_rates_asof_has_every_calendar_day_and_never_a_stale_rate(history):
    con = sqlmodels.connect(history)
    rows = con.execute("select date, rate_date, rate_status, rate from fx_rates_asof where source = 'ecb' and currency = 'USD' "
                       "and date between '2025-12-23' and '2025-12-29' order by date").fetchall()
    assert [r[0] for r in rows] == [dt.date(2025, 12, 23) + dt.timedelta(days=k) for k in range(7)]
    assert [r[2] for r in rows] == ["published", "published", "carried", "carried", "carried", "carried", "published"]
    assert rows[2][1] == dt.date(2025, 12, 24) and rows[2][3] == rows[1][3]
    isk = con.execute("select rate_status, rate, rate_date from fx_rates_asof where source = 'ecb' and currency = 'ISK' "
                      "and date = '2012-01-07'").fetchone()
    assert isk == ("stale", None, dt.date(2008, 12, 9))
    eur = con.execute("select rate from fx_rates_asof where source = 'ecb' and currency = 'EUR' and date = '2025-12-25'").fetchone()
    assert eur == (1.0,)  # the base, for joins on a transaction's currency
    one = con.execute("select count(*), count(distinct date) from fx_rates_asof where source = 'ecb' and currency = 'USD'").fetchone()
    assert one[0] == one[1] == (ECB_LAST + dt.timedelta(days=7) - dt.date(1999, 1, 4)).days + 1


def test_the_limit_holds_across_a_load_gap(data_dir):
    """Two windows loaded (2024-11 and 2025-10), as `make run` once did: nothing in between is a silent old rate."""
    pipeline.land_input(data_dir, BUNDLED_ECB.read_bytes(), name=BUNDLED_ECB.name, source="ecb")
    pipeline.parse_partitions(data_dir, "ecb", [dt.date(2024, 11, 1), dt.date(2025, 10, 1)])
    sqlmodels.build_mart(data_dir, "fx_rates")
    con = sqlmodels.connect(data_dir)
    gap = con.execute("select rate, note from fx_convert(100, 'USD', 'JPY', '2025-06-02')").fetchone()
    assert gap[0] is None and "within 7 days before 2025-06-02 (the latest is 2024-11-29)" in gap[1]
    assert con.execute("select rate_date from fx_convert(100, 'USD', 'JPY', '2024-12-04')").fetchone()[0] == dt.date(2024, 11, 29)
    assert con.execute("select rate from fx_convert(100, 'USD', 'JPY', '2024-12-07')").fetchone()[0] is None  # 8 days
    assert con.execute("select rate_status from fx_rates_asof where currency = 'JPY' and date = '2025-06-02'").fetchone() == ("stale",)


def test_the_source_is_the_most_trusted_unless_named(data_dir):
    pipeline.land_input(data_dir, BUNDLED_ECB.read_bytes(), name=BUNDLED_ECB.name, source="ecb")
    pipeline.parse_partitions(data_dir, "ecb", [dt.date(2024, 11, 1)])
    pipeline.land_input(data_dir, BUNDLED_PAGE.read_bytes(), name=BUNDLED_PAGE.name, source="page")
    pipeline.parse_partitions(data_dir, "page", [dt.date(2024, 11, 1)])
    sqlmodels.build_mart(data_dir, "fx_rates")
    con = sqlmodels.connect(data_dir)
    assert con.execute("select source, rate from fx_convert(1, 'EUR', 'BRL', '2024-11-28')").fetchone() == ("ecb", 6.2891)
    assert con.execute("select source, rate from fx_convert(1, 'EUR', 'BRL', '2024-11-28', source_name := 'page')").fetchone() \
        == ("page", 6.326022)
    # a code only the page quotes comes from the page, with the page's quality
    xau = con.execute("select source, rate_text, quality from fx_convert(1, 'EUR', 'XAU', '2024-11-28')").fetchone()
    assert xau[0] == "page" and xau[1] == "0.0004"


# ------------------------------------------------------------------------- gaps are not daily changes


def _page(data_dir, day: dt.date, rates: dict[str, str]) -> None:
    captured = dt.datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    pipeline.land_input(data_dir, page_builder.render("EUR", list(rates.items()), []).encode(),
                        name=f"{captured:%Y%m%dT%H%M%SZ}.txt", source="page", captured_at=captured)


def test_a_change_across_missing_publications_is_flagged(history, data_dir):
    con = sqlmodels.connect(history)
    ordinary = con.execute("select prev_date, missed_publications, quality from fx_daily_change where source = 'ecb' "
                           "and currency = 'USD' and date in ('2024-04-02', '2025-12-29') order by date").fetchall()
    assert ordinary == [(dt.date(2024, 3, 28), 0, None), (dt.date(2025, 12, 24), 0, None)]  # Easter, Christmas: TARGET holidays
    assert con.execute("select count(*) from fx_daily_change where source = 'ecb' and missed_publications > 0").fetchone() == (0,)
    # a daily source with two days missing: flagged, not presented as one day's move
    rates = {"USD": "1.05", "JPY": "159.9", "GBP": "0.83", "CHF": "0.93", "BRL": "6.3", "HKD": "8.2"}
    for day in (dt.date(2024, 11, 25), dt.date(2024, 11, 26), dt.date(2024, 11, 29)):
        _page(data_dir, day, rates)
    pipeline.parse_partitions(data_dir, "page", [dt.date(2024, 11, 1)])
    for name in ("fx_rates", "fx_daily_change"):
        sqlmodels.build_mart(data_dir, name)
    page = sqlmodels.connect(data_dir).execute(
        "select date, missed_publications, quality, quality_checks from fx_daily_change where currency = 'USD' order by date").fetchall()
    assert page == [(dt.date(2024, 11, 25), None, None, None), (dt.date(2024, 11, 26), 0, None, None),
                    (dt.date(2024, 11, 29), 2, "WARN", "missed_publications")]


def test_a_ticker_change_across_missing_sessions_is_flagged(data_dir, tmp_path):
    export = tmp_path / "20241203T000000Z.csv"
    export.write_text("date,symbol,close\n2024-11-22,ABC,10.0\n2024-11-25,ABC,10.5\n2024-11-27,ABC,11.0\n")  # no 11-26
    pipeline.land_input(data_dir, export.read_bytes(), name=export.name, source="ticker_csv")
    pipeline.parse_partitions(data_dir, "ticker_csv", [dt.date(2024, 11, 1)])
    for name in ("ticker_quotes", "ticker_daily_change"):
        sqlmodels.build_mart(data_dir, name)
    rows = sqlmodels.connect(data_dir).execute(
        "select session, prev_session, missed_publications, quality, round(change_pct, 4) from ticker_daily_change order by session").fetchall()
    assert rows == [(dt.date(2024, 11, 22), None, None, None, None),
                    (dt.date(2024, 11, 25), dt.date(2024, 11, 22), 0, None, 5.0),  # Friday -> Monday: consecutive sessions
                    (dt.date(2024, 11, 27), dt.date(2024, 11, 25), 1, "WARN", 4.7619)]


# --------------------------------------------------------------------------- currencies and the catalog


def test_currencies_from_iso4217_and_the_reference_files(history):
    con = sqlmodels.connect(history)
    rows = {r[0]: r[1:] for r in con.execute(
        "select code, name, minor_units, iso_status, valid_from, valid_to, successor from currencies "
        "where code in ('EUR', 'JPY', 'BGN', 'CNH', 'STN', 'XAU')").fetchall()}
    assert rows["EUR"] == ("Euro", 2, "active", None, None, None)
    assert rows["JPY"][1] == 0
    assert rows["BGN"] == ("Bulgarian lev", None, "withdrawn", None, dt.date(2025, 12, 31), "EUR")
    assert rows["CNH"][2] == "non-iso" and rows["STN"][3] == dt.date(2018, 1, 1) and rows["XAU"][1] is None
    unknown = con.execute("select distinct currency from fx_rates where currency not in (select code from currencies)").fetchall()
    assert unknown == []  # every code the ECB ever quoted has a name


def test_every_view_column_and_macro_of_the_catalog_is_commented(history, tmp_path):
    catalog = sqlmodels.build_catalog(history, tmp_path / "warehouse.duckdb")
    con = duckdb.connect(str(catalog), read_only=True)
    bare_views = con.execute("select view_name from duckdb_views() where not internal and coalesce(comment, '') = ''").fetchall()
    bare_columns = con.execute("select table_name, column_name from duckdb_columns() where not internal "
                               "and coalesce(comment, '') = ''").fetchall()
    assert bare_views == [] and bare_columns == []
    rate = con.execute("select comment from duckdb_columns() where table_name = 'fx_rates' and column_name = 'rate'").fetchone()[0]
    assert "units of `currency` per 1 `base`" in rate
    pct = con.execute("select comment from duckdb_columns() where table_name = 'fx_daily_change' and column_name = 'change_pct'").fetchone()[0]
    assert "percent" in pct and "weakened" in pct
    macros = dict(con.execute("select function_name, comment from duckdb_functions() where function_name in ('fx_convert', 'fx_rate')").fetchall())
    assert "rate_date is the latest publication" in macros["fx_convert"] and macros["fx_rate"]


def test_each_model_is_unique_on_its_declared_grain(history):
    con = sqlmodels.connect(history)
    grains = {name: catalog_docs.relation_doc(name).grain for name in (*sqlmodels.STAGING, *sqlmodels.MARTS, *sqlmodels.VIEWS)}
    assert all(grains.values()), [n for n, g in grains.items() if not g]
    for name, grain in grains.items():
        if name == "fx_cross_rates":  # every pair of 41 currencies: one date is enough
            relation = "(select * from fx_cross_rates where date = '2026-10-30')"
        elif name == "fx_rates_asof":
            relation = "(select * from fx_rates_asof where date between '2026-01-01' and '2026-12-31')"
        else:
            relation = name
        dupes = con.execute(f"select count(*) from (select {', '.join(grain)} from {relation} group by all having count(*) > 1)").fetchone()
        assert dupes == (0,), name


# ------------------------------------------------------------------------------------------- mdw convert


def test_mdw_convert_prints_the_rate_used_with_its_date_and_source(history, monkeypatch):
    monkeypatch.setenv("MDW_DATA_DIR", str(history))
    runner = CliRunner()
    done = runner.invoke(app, ["convert", "1000", "GBP", "JPY", "--on", "2025-12-25"])
    assert done.exit_code == 0, done.output
    ecb = _ecb_file()[dt.date(2025, 12, 24)]
    rate = ecb["JPY"] / ecb["GBP"]
    lines = done.stdout.splitlines()
    assert lines[0] == f"1,000.00 GBP = {1000 * rate:,.0f} JPY on 2025-12-25"  # JPY has no minor unit
    assert lines[1].startswith(f"rate     {rate:.2f} JPY per 1 GBP, the ecb rate of 2025-12-24 (no publication on 2025-12-25")
    assert lines[2].startswith("quality  clean")
    unknown = runner.invoke(app, ["convert", "1000", "GBP", "QQQ", "--on", "2025-12-25"])
    assert unknown.exit_code == 2 and unknown.stderr.strip().startswith("unknown currency code 'QQQ'")
    none = runner.invoke(app, ["convert", "1", "EUR", "ISK", "--on", "2012-01-07"])
    assert none.exit_code == 2 and len(none.stderr.strip().splitlines()) == 1 and "the latest is 2008-12-09" in none.stderr
