"""SQL models: cross-rates, daily change, ticker sessions, and the lock-free catalog."""

import csv
import datetime as dt
import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import BUNDLED_ECB, BUNDLED_PAGE

from dagster_project import findings, pipeline, sqlmodels


def days(first: str, last: str):
    a, b = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [a + dt.timedelta(k) for k in range((b - a).days + 1)]


@pytest.fixture
def warehouse(data_dir):
    pipeline.land_input(data_dir, BUNDLED_ECB.read_bytes(), name=BUNDLED_ECB.name)
    pipeline.land_input(data_dir, BUNDLED_PAGE.read_bytes(), name=BUNDLED_PAGE.name)
    pipeline.parse_partitions(data_dir, "ecb", days("2024-11-01", "2024-12-31") + days("2026-10-20", "2026-10-30"))
    pipeline.parse_partitions(data_dir, "page", [dt.date(2024, 11, 28)])
    for mart in sqlmodels.MARTS:
        sqlmodels.build_mart(data_dir, mart)
    return data_dir


def test_usd_jpy_cross_and_the_base_row(warehouse):
    con = sqlmodels.connect(warehouse)
    q = "select rate from fx_cross_rates where source='ecb' and date='2024-11-28' and base=? and quote=?"
    assert con.execute(q, ["USD", "JPY"]).fetchone()[0] == pytest.approx(159.89 / 1.0542, rel=1e-15)
    assert con.execute(q, ["EUR", "JPY"]).fetchone()[0] == 159.89
    assert con.execute(q, ["JPY", "EUR"]).fetchone()[0] == pytest.approx(1 / 159.89, rel=1e-15)
    assert con.execute(q, ["USD", "USD"]).fetchone()[0] == 1.0
    n = con.execute("select count(*) from fx_cross_rates where source='ecb' and date='2024-11-28'").fetchone()[0]
    assert n == 31 * 31  # 30 quoted + EUR itself
    assert con.execute("select count(*) from fx_cross_rates where source='page' and date='2024-11-28'").fetchone()[0] == 169 * 169


def test_cross_rates_agree_with_an_independent_computation(warehouse):
    raw = zipfile.ZipFile(BUNDLED_ECB).read("eurofxref-hist.csv").decode()
    reader = csv.reader(io.StringIO(raw))
    header = next(reader)
    per_eur = {}
    for row in reader:
        if "2024-11-01" <= row[0] <= "2024-12-31":
            quotes = {c: float(v) for c, v in zip(header[1:], row[1:]) if c and v not in ("N/A", "")}
            per_eur[row[0]] = {"EUR": 1.0, **quotes}
    con = sqlmodels.connect(warehouse)
    got = con.execute("select date::varchar, base, quote, rate from fx_cross_rates "
                      "where source='ecb' and date between '2024-11-01' and '2024-12-31'").fetchall()
    expected = {(d, b, q): r[q] / r[b] for d, r in per_eur.items() for b in r for q in r}
    assert len(got) == len(expected) == 41 * 31 * 31  # 41 TARGET days in Nov-Dec 2024, 31 currencies with EUR
    worst = max(abs(rate / expected[(d, b, q)] - 1) for d, b, q, rate in got)
    assert worst <= 1e-12


def test_daily_change_uses_the_previous_quoted_date(warehouse):
    con = sqlmodels.connect(warehouse)
    row = con.execute("select prev_date::varchar, rate, prev_rate, change_pct from fx_daily_change "
                      "where source='ecb' and currency='USD' and date='2026-10-30'").fetchone()
    assert row[:3] == ("2026-10-29", 1.1172, 1.113)
    assert row[3] == pytest.approx(100 * (1.1172 / 1.113 - 1), rel=1e-15)  # percent
    mondays = con.execute("select date, prev_date from fx_daily_change where source='ecb' and currency='USD' "
                          "and dayofweek(date) = 1 and prev_date is not null").fetchall()
    assert mondays and all(prev == date - dt.timedelta(days=3) for date, prev in mondays)
    gap = con.execute("select prev_date::varchar from fx_daily_change where source='ecb' and currency='USD' and date='2024-12-27'").fetchone()
    assert gap == ("2024-12-24",)  # Christmas: a gap, not a zero change


def test_page_tickers_are_on_the_previous_session(warehouse):
    con = sqlmodels.connect(warehouse)
    assert con.execute("select distinct session::varchar from ticker_quotes").fetchall() == [("2024-11-27",)]
    row = con.execute("select price, reported_change, reported_change_pct from ticker_daily_change where symbol='RBGPF'").fetchone()
    assert row == (62.0, 1.0, 1.61)


def test_fx_rates_keeps_the_last_snapshot_of_the_day(data_dir):
    later = BUNDLED_PAGE.read_text().replace("USD 1.055851", "USD 1.06")
    pipeline.land_input(data_dir, BUNDLED_PAGE.read_bytes(), name="20241128T120000Z.txt")
    pipeline.land_input(data_dir, later.encode(), name="20241128T180000Z.txt")
    pipeline.parse_partitions(data_dir, "page", [dt.date(2024, 11, 28)])
    sqlmodels.build_mart(data_dir, "fx_rates")
    con = sqlmodels.connect(data_dir)
    assert con.execute("select count(*) from parsed_rates where currency='USD'").fetchone()[0] == 2
    assert con.execute("select rate from fx_rates where currency='USD'").fetchall() == [(1.06,)]


def _duckdb_cli() -> str:
    found = shutil.which("duckdb", path=str(Path(sys.executable).parent))
    if not found:
        pytest.skip("duckdb CLI (duckdb-cli) not installed")
    return found


def test_the_catalog_is_rebuilt_only_when_its_views_change(warehouse):
    catalog = warehouse / "warehouse.duckdb"
    sqlmodels.build_catalog(warehouse, catalog)
    built = catalog.stat().st_ino
    pipeline.parse_partitions(warehouse, "ecb", days("2025-01-01", "2025-01-31"))  # new month files: the globs see them
    assert sqlmodels.build_catalog(warehouse, catalog).stat().st_ino == built
    con = duckdb.connect(str(catalog), read_only=True)
    assert con.execute("select count(*) from parsed_rates where source = 'ecb' and date between '2025-01-01' and '2025-01-31'"
                       ).fetchone()[0] == 22 * 30  # 22 TARGET days in January 2025, 30 currencies
    con.close()
    # the findings relation gets its first files (until then its view is an empty select): a new catalog
    findings.store(warehouse, "ecb_rates", "jumps", pl.DataFrame(schema=findings.FINDING_SCHEMA), source="ecb",
                   start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31))
    assert sqlmodels.build_catalog(warehouse, catalog).stat().st_ino != built


@pytest.mark.parametrize("mode", ["-readonly", "-no-readonly"], ids=["read-only", "read-write"])
def test_an_open_cli_session_and_a_run_both_succeed(warehouse, mode):
    catalog = warehouse / "warehouse.duckdb"
    sqlmodels.build_catalog(warehouse, catalog)
    args = [_duckdb_cli(), catalog.as_posix(), "-csv", "-noheader"]
    if mode == "-readonly":
        args.insert(1, "-readonly")
    cli = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
    try:
        cli.stdin.write("select count(*) from fx_rates where source='ecb';\n")
        cli.stdin.flush()
        before = int(cli.stdout.readline())
        # while the analyst's session is open: a run parses more partitions, rebuilds marts and the catalog
        pipeline.parse_partitions(warehouse, "ecb", days("2025-01-01", "2025-01-31"))
        for mart in sqlmodels.MARTS:
            sqlmodels.build_mart(warehouse, mart)
        sqlmodels.build_catalog(warehouse, catalog, force=True)  # the catalog file is replaced under the open session
        cli.stdin.write("select count(*) from fx_rates where source='ecb';\n")
        cli.stdin.flush()
        after = int(cli.stdout.readline())
        assert after == before + 22 * 30  # 22 TARGET days in January 2025, 30 currencies: the session sees new data
    finally:
        _out, err = cli.communicate("select 1;\n", timeout=30)
    assert cli.returncode == 0, err
    assert "lock" not in err.lower()
    fresh = sqlmodels.connect(warehouse)
    assert fresh.execute("select count(*) from fx_rates where source='ecb'").fetchone()[0] == after


def test_a_mart_whose_model_gained_columns_is_rebuilt_whole(warehouse):
    """Month files written by an older version of a model (fewer columns) are rebuilt with the next build of any
    month, so the mart's view, which reads its files by position, always binds."""
    import polars as pl

    sqlmodels.build_mart(warehouse, "fx_daily_change")
    files = sqlmodels.mart_files(warehouse, "fx_daily_change")
    assert len(files) >= 2
    old = pl.read_parquet(files[0]).drop("missed_publications", "quality_checks")
    old.write_parquet(files[0])  # as the previous version wrote it
    sqlmodels.build_mart(warehouse, "fx_daily_change", [dt.date(2024, 12, 1)])
    schemas = {tuple(pl.read_parquet_schema(p)) for p in sqlmodels.mart_files(warehouse, "fx_daily_change")}
    assert len(schemas) == 1 and "missed_publications" in next(iter(schemas))
    con = sqlmodels.connect(warehouse)
    assert con.execute("select count(*) from fx_daily_change where missed_publications is not null").fetchone()[0] > 0
