"""Closed periods (dagster_project.periods): one read-optimized file per (dataset, source) for the months before the
current year, rebuilt by the run that rewrites one of them; the views never read a row twice or miss one, also after
a run killed in the middle of a rebuild."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest
from conftest import BUNDLED_ECB

from dagster_project import periods, pipeline, sqlmodels, storage

CLOSED = storage.months_between(dt.date(2024, 10, 1), dt.date(2024, 12, 1))  # before the current year: closed
DAY = dt.date(2024, 11, 28)


@pytest.fixture
def warehouse(data_dir):
    """Three closed months of the bundled ECB history, parsed, with the FX marts built."""
    pipeline.land_input(data_dir, BUNDLED_ECB.read_bytes(), name=BUNDLED_ECB.name, source="ecb")
    pipeline.parse_partitions(data_dir, "ecb", CLOSED)
    for mart in ("fx_rates", "fx_daily_change"):
        sqlmodels.build_mart(data_dir, mart, CLOSED)
    return data_dir


def usd(data_dir: Path) -> list[tuple]:
    """USD of DAY in every relation that keeps closed periods, and how many rows each has per (date, currency)."""
    con = sqlmodels.connect(data_dir)
    try:
        return [con.execute(f"select count(*), any_value(rate) from {relation} where date = ? and currency = 'USD'",
                            [DAY]).fetchone() + con.execute(
                    f"select count(*) - count(distinct (date, source, currency)) from {relation}").fetchone()
                for relation in ("fx_rates", "fx_daily_change")] + [con.execute(
                    "select count(*), any_value(rate) from parsed_rates where date = ? and currency = 'USD'", [DAY]).fetchone()]
    finally:
        con.close()


def restated(data_dir: Path, rate: float) -> pl.DataFrame:
    """November 2024's parsed ECB rates with DAY's USD rate replaced by ``rate`` (a provider's correction)."""
    month = storage.read_month(data_dir / "warehouse", "rates", "ecb", DAY.replace(day=1))
    hit = (pl.col("date") == DAY) & (pl.col("currency") == "USD")
    return month.with_columns(pl.when(hit).then(rate).otherwise(pl.col("rate")).alias("rate"),
                              pl.when(hit).then(pl.lit(str(rate))).otherwise(pl.col("rate_text")).alias("rate_text"))


def closed_files(data_dir: Path) -> dict[str, Path]:
    warehouse = data_dir / "warehouse"
    return {"rates": storage.closed_period(warehouse, "rates", "ecb").file(),
            **{mart: sqlmodels.mart_period(data_dir, mart).file() for mart in ("fx_rates", "fx_daily_change")}}


def test_closed_months_are_one_sorted_file_that_the_views_read(warehouse):
    files = closed_files(warehouse)
    assert all(path.exists() for path in files.values())
    rates = pl.read_parquet(files["rates"])
    months = pl.concat([storage.read_month(warehouse / "warehouse", "rates", "ecb", m) for m in CLOSED])
    assert rates.height == months.height and rates.sort(rates.columns).equals(months.select(rates.columns).sort(rates.columns))
    assert rates.select("currency", "date").equals(rates.select("currency", "date").sort("currency", "date"))
    statements = "\n".join(sqlmodels.view_statements(warehouse))
    assert all(path.as_posix() in statements for path in files.values())
    (fx_n, _, fx_dups), (change_n, _, change_dups), (parsed_n, _) = usd(warehouse)
    assert fx_n == change_n == parsed_n == 1 and fx_dups == change_dups == 0


def test_a_run_rewriting_a_closed_month_rebuilds_its_period_with_the_new_value(warehouse):
    before = {name: path.stat().st_mtime_ns for name, path in closed_files(warehouse).items()}
    storage.write_months(warehouse / "warehouse", "rates", "ecb", [DAY.replace(day=1)], restated(warehouse, 1.2345))
    for mart in ("fx_rates", "fx_daily_change"):
        sqlmodels.build_mart(warehouse, mart, [DAY.replace(day=1)])
    files = closed_files(warehouse)
    assert all(files[name].stat().st_mtime_ns != before[name] for name in files)  # rebuilt in the same run
    assert not any(path.with_name(periods.MARKER).exists() for path in files.values())
    closed = pl.read_parquet(files["rates"]).filter((pl.col("date") == DAY) & (pl.col("currency") == "USD"))
    assert closed["rate"].to_list() == [1.2345]
    (fx_n, fx_rate, fx_dups), (ch_n, _, ch_dups), (parsed_n, parsed_rate) = usd(warehouse)
    assert (fx_n, fx_rate, fx_dups, ch_n, ch_dups, parsed_n, parsed_rate) == (1, 1.2345, 0, 1, 0, 1, 1.2345)


def test_a_run_killed_mid_rebuild_leaves_the_views_right_and_the_next_run_repairs_it(warehouse, tmp_path):
    """A real SIGKILL: a process rewrites November 2024 with a corrected rate and is killed once the month file is
    written, inside the period's rebuild (its lock held). The views read the month files (the new value, once); the next
    run of the dataset, even one writing an open month only, gets the lock and rebuilds the period."""
    period = storage.closed_period(warehouse / "warehouse", "rates", "ecb")
    old_closed = period.file().read_bytes()
    frame_file = tmp_path / "restated.parquet"
    restated(warehouse, 1.2345).write_parquet(frame_file)
    started = tmp_path / "in-rebuild"
    script = textwrap.dedent(f"""
        import time, datetime as dt
        from pathlib import Path
        import polars as pl
        from dagster_project import periods, storage
        def stuck(period):
            Path({str(started)!r}).write_text("")
            time.sleep(120)
        periods.rebuild = stuck
        storage.write_months(Path({str(warehouse / "warehouse")!r}), "rates", "ecb", [dt.date(2024, 11, 1)],
                             pl.read_parquet({str(frame_file)!r}))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)})
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert started.exists(), "the writer should reach the rebuild"
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    assert period.marker.exists() and period.file().read_bytes() == old_closed  # the state the kill left
    assert periods.needs_repair(period) and not period.usable()
    assert not any(period.file().as_posix() in s for s in sqlmodels.view_statements(warehouse))  # month files instead
    con = sqlmodels.connect(warehouse)
    assert con.execute("select count(*), any_value(rate) from parsed_rates where date = ? and currency = 'USD'",
                       [DAY]).fetchone() == (1, 1.2345)
    assert con.execute("select count(*) - count(distinct (date, currency)) from parsed_rates").fetchone()[0] == 0
    con.close()

    open_month = storage.month_of(dt.date.today())  # the next run: one open month (its lock is free again)
    frame = pl.DataFrame(schema=storage.DATASETS["rates"])
    storage.write_months(warehouse / "warehouse", "rates", "ecb", [open_month], frame)
    assert not period.marker.exists() and period.usable()
    closed = pl.read_parquet(period.file()).filter((pl.col("date") == DAY) & (pl.col("currency") == "USD"))
    assert closed["rate"].to_list() == [1.2345]
    assert period.file().as_posix() in "\n".join(sqlmodels.view_statements(warehouse))
    assert usd(warehouse)[2] == (1, 1.2345)


def test_a_new_year_builds_the_closed_file_of_its_boundary(warehouse, monkeypatch):
    """On 1 January the boundary moves: the first run builds the file of the new boundary and keeps the previous one
    (a session opened before may read it); views defined meanwhile read the month files."""
    period = storage.closed_period(warehouse / "warehouse", "rates", "ecb")
    previous = period.file()
    later = dt.date.today().replace(year=dt.date.today().year + 1, month=1, day=1)
    monkeypatch.setattr(periods, "boundary", lambda today=None: dt.date(later.year - 1, 12, 1))
    assert not period.usable() and periods.needs_repair(period)
    storage.write_months(warehouse / "warehouse", "rates", "ecb", [later], pl.DataFrame(schema=storage.DATASETS["rates"]))
    assert period.file().exists() and previous.exists() and period.file() != previous
    assert pl.read_parquet(period.file()).height == pl.read_parquet(previous).height
