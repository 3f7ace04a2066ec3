"""Crashes, concurrent runs, rebuilding from the raw layer, and inbox safety: nothing lost, nothing wrong.

These start real processes (`mdw`, the DuckDB CLI) against temporary data dirs and Dagster homes.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from conftest import BUNDLED_ECB, BUNDLED_PAGE, FIXTURES
from typer.testing import CliRunner

from dagster_project import pipeline, storage
from dagster_project.cli import app

MDW = Path(sys.executable).parent / "mdw"
DUCKDB = Path(sys.executable).parent / "duckdb"
ECB_CSV = FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv"

pytestmark = pytest.mark.e2e


def env_for(tmp_path: Path, **extra) -> dict:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {**os.environ, "MDW_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": str(home), **extra}


def parquet_files(root: Path) -> dict[Path, bytes]:
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def test_sigkill_while_writing_parquet_leaves_no_partial_file_and_the_next_run_completes(tmp_path):
    """A backfill of the whole ECB history killed with SIGKILL once its first month files are written; readers
    never see a partial file, and the next `mdw backfill` (which marks the dead run failed and resumes) gives
    the uninterrupted rows."""
    env = env_for(tmp_path)
    rates = tmp_path / "data" / "warehouse" / "rates" / "source=ecb"
    cmd = [str(MDW), "backfill", "--from", "1999-01-04", "--to", "2026-10-30", "--source", "ecb", "--no-models",
           "--chunk-months", "60"]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if rates.exists() and sum(1 for _ in rates.glob("month=*/data.parquet")) >= 5:
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = sorted(rates.glob("month=*/data.parquet"))
    assert 0 < len(written) < 334, "the kill should land in the middle of the backfill"
    for path in written:  # every visible file is complete and readable
        assert pl.read_parquet(path).height > 0
    assert not [p for p in (tmp_path / "data" / "warehouse").rglob("*.parquet") if p.name.startswith(".")]

    again = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "was interrupted" in again.stderr  # the killed run is marked failed, not left 'started'
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        statuses = [r.status.value for r in instance.get_runs()]
    assert statuses.count("FAILURE") == 1 and statuses.count("SUCCESS") >= 5 and len(statuses) <= 7

    reference = tmp_path / "reference"
    pipeline.land_input(reference, BUNDLED_ECB.read_bytes(), name=BUNDLED_ECB.name, source="ecb")
    pipeline.parse_partitions(reference, "ecb", storage.months_between(dt.date(1999, 1, 1), dt.date(2026, 10, 1)))
    assert parquet_files(rates) == parquet_files(reference / "warehouse" / "rates" / "source=ecb")


def test_four_concurrent_runs_and_a_duckdb_session_lose_nothing(tmp_path):
    env = env_for(tmp_path)  # the bundled ECB history
    subprocess.run([str(MDW), "backfill", "--from", "2023-12-01", "--to", "2023-12-31", "--source", "ecb"],
                   env=env, cwd=tmp_path, check=True, capture_output=True)
    catalog = tmp_path / "data" / "warehouse.duckdb"
    reader = subprocess.Popen([str(DUCKDB), "-readonly", str(catalog)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    reader.stdin.write("select count(*) from parsed_rates;\n")
    reader.stdin.flush()
    months = ["2024-01-15", "2024-02-15", "2024-03-15", "2024-04-15"]  # four month partitions at once
    runs = [subprocess.Popen([str(MDW), "backfill", "--from", d, "--to", d, "--source", "ecb"], env=env, cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for d in months]
    outcomes = [(r.wait(timeout=300), r.stderr.read()) for r in runs]
    _reader_out, reader_err = reader.communicate("select count(*) from parsed_rates;\n.quit\n", timeout=60)
    for code, err in outcomes:
        assert code == 0 and "locked" not in err.lower(), err[-2000:]
    assert reader.returncode == 0 and "Error" not in reader_err
    reference = tmp_path / "reference"
    pipeline.land_input(reference, BUNDLED_ECB.read_bytes(), name=BUNDLED_ECB.name, source="ecb")
    expected = pipeline.parse_partitions(reference, "ecb", storage.months_between(dt.date(2023, 12, 1), dt.date(2024, 4, 1)))
    result = CliRunner().invoke(app, ["sql", "--csv", "select date::varchar as d, count(*) as n, count(distinct currency) as c "
                                      "from parsed_rates group by 1 order by 1"], env={"MDW_DATA_DIR": env["MDW_DATA_DIR"]})
    lines = result.stdout.strip().splitlines()[1:]
    assert len(lines) == sum(len(days) for days in expected.days.values())  # every publication day of the 5 months
    assert all(n == c for _, n, c in (ln.split(",") for ln in lines))  # no duplicates
    assert sum(int(ln.split(",")[1]) for ln in lines) == expected.rows["rates"]  # nothing lost
    marts = CliRunner().invoke(app, ["sql", "--csv", "select count(*) from fx_rates"], env={"MDW_DATA_DIR": env["MDW_DATA_DIR"]})
    assert marts.stdout.splitlines()[1] == str(expected.rows["rates"])  # each run built its month of the marts


def test_two_runs_on_the_same_partition_give_one_complete_partition(tmp_path):
    env = env_for(tmp_path, MDW_ECB_LOCATION=str(ECB_CSV))
    cmd = [str(MDW), "backfill", "--from", "2024-11-28", "--to", "2024-11-28", "--source", "ecb", "--no-models", "--force"]
    runs = [subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    for run in runs:
        assert run.wait(timeout=300) == 0, run.stderr.read()[-2000:]
    folder = tmp_path / "data" / "warehouse" / "rates" / "source=ecb" / "month=2024-11"
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == ["data.parquet"]
    frame = pl.read_parquet(folder / "data.parquet")
    assert frame.height == frame.select(pl.struct("date", "currency").n_unique()).item() == 8 * 30
    assert len(list((tmp_path / "data" / "raw" / "ecb").rglob("*.csv"))) == 1  # landed once, not twice


def test_rebuild_migrates_a_one_file_per_day_warehouse(data_dir):
    """A warehouse written by 0.1 (``date=`` folders, one file per day) is read, compared and replaced by the
    monthly layout from the raw layer."""
    landed = pipeline.land_input(data_dir, ECB_CSV.read_bytes(), name="20241203T160000Z.csv", source="ecb")
    fresh = data_dir.parent / "fresh"
    pipeline.parse_partitions(data_dir, "ecb", [dt.date(2024, 11, 1)], warehouse=fresh)
    rows = storage.read_month(fresh, "rates", "ecb", dt.date(2024, 11, 1))
    for (day,), part in rows.partition_by("date", as_dict=True).items():  # the old layout: the date in the path
        path = data_dir / "warehouse" / "rates" / "source=ecb" / f"date={day}" / "data.parquet"
        path.parent.mkdir(parents=True)
        part.drop("source", "date").write_parquet(path)
    assert landed.raw.first == dt.date(2024, 11, 20)
    runner = CliRunner()
    same = runner.invoke(app, ["rebuild"])
    assert same.exit_code == 0 and "identical" in same.stdout, same.stdout
    assert "240" in same.stdout
    moved = runner.invoke(app, ["rebuild", "--replace"])
    assert moved.exit_code == 0, moved.stdout
    layout = sorted(p.relative_to(data_dir / "warehouse").as_posix() for p in (data_dir / "warehouse" / "rates").rglob("*.parquet"))
    assert layout == ["rates/source=ecb/month=2024-11/data.parquet"]
    assert runner.invoke(app, ["rebuild"]).exit_code == 0


def test_rebuild_reproduces_the_warehouse_row_for_row(data_dir):
    pipeline.land_input(data_dir, BUNDLED_PAGE.read_bytes(), name=BUNDLED_PAGE.name, source="page")
    pipeline.land_input(data_dir, ECB_CSV.read_bytes(), name="20241203T160000Z.csv", source="ecb")
    pipeline.parse_partitions(data_dir, "page", [dt.date(2024, 11, 28)])
    pipeline.parse_partitions(data_dir, "ecb", [dt.date(2024, 11, 25) + dt.timedelta(days=k) for k in range(9)])
    runner = CliRunner()  # the history file covers 2024-11-20..12-03; only the partitions loaded count
    same = runner.invoke(app, ["rebuild"])
    assert same.exit_code == 0 and "identical" in same.stdout, same.stdout
    part = data_dir / "warehouse" / "rates" / "source=ecb" / "month=2024-11" / "data.parquet"
    pl.read_parquet(part).head(5).write_parquet(part)  # rows lost behind the warehouse's back
    differs = runner.invoke(app, ["rebuild"])
    assert differs.exit_code == 1 and "differs" in differs.stdout
    fixed = runner.invoke(app, ["rebuild", "--replace"])
    assert fixed.exit_code == 0 and pl.read_parquet(part).height == 8 * 30
    closed = storage.closed_period(data_dir / "warehouse", "rates", "ecb")  # its closed file replaced with the months
    assert closed.usable() and pl.read_parquet(closed.file()).height == sum(
        pl.read_parquet(p).height for p in closed.month_files(closed=True))
    assert runner.invoke(app, ["rebuild"]).exit_code == 0
    assert not list(data_dir.glob(".warehouse.rebuild-*"))


def test_inbox_names_and_links_cannot_escape_the_data_dir(data_dir, tmp_path):
    from dagster_project.defs.sources.resources import Warehouse
    from dagster_project.defs.sources.sensors import drain_inbox

    inbox = data_dir / "inbox"
    inbox.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_bytes(BUNDLED_PAGE.read_bytes())
    (inbox / "link.txt").symlink_to(outside)                        # a symlink: ignored, and left alone
    (inbox / "sub").mkdir()                                         # a folder: ignored
    (inbox / "sub" / "page.txt").write_bytes(BUNDLED_PAGE.read_bytes())
    (inbox / "..page.txt").write_bytes(BUNDLED_PAGE.read_bytes())   # hidden (a partial upload?): left alone
    (inbox / "page..txt").write_bytes(BUNDLED_PAGE.read_bytes())    # dots and odd characters: only a name
    (inbox / "a\\..\\..\\b ü.txt").write_bytes(BUNDLED_PAGE.read_bytes().replace(b"AED 3.878126", b"AED 3.878127"))
    (inbox / "bad.txt").write_bytes(b"no rates here\n")
    landed, rejected = drain_inbox(Warehouse(data_dir=str(data_dir)))
    assert sorted(name for name, _ in landed) == ["a\\..\\..\\b ü.txt", "page..txt"]
    assert [name for name, _ in rejected] == ["bad.txt"]
    raw_root = (data_dir / "raw").resolve()
    for _, item in landed:
        assert item.raw.path.resolve().is_relative_to(raw_root)
        assert item.raw.path.name.endswith(".txt") and "ü" not in item.raw.path.name and "\\" not in item.raw.path.name
    assert (inbox / "link.txt").is_symlink() and outside.read_bytes() == BUNDLED_PAGE.read_bytes()
    assert (inbox / "sub" / "page.txt").exists() and (inbox / "..page.txt").exists()
    assert (inbox / "rejected" / "bad.txt.reason.txt").read_text().startswith("bad.txt")
    (inbox / "bad.txt").write_bytes(b"still no rates\n")  # the same name again: kept beside, not overwritten
    drain_inbox(Warehouse(data_dir=str(data_dir)))
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == [
        "bad-1.txt", "bad-1.txt.reason.txt", "bad.txt", "bad.txt.reason.txt"]
    assert all(not p.is_symlink() for p in (data_dir / "raw").rglob("*"))
    shutil.rmtree(inbox)
