"""The lake on object storage (MDW_STORAGE_URL=s3://bucket/prefix) with Dagster on Postgres: a moto S3 endpoint and a
throwaway Postgres 15 started by the tests, the real `mdw` commands in subprocesses.

Every raw and Parquet object goes to the bucket and nothing to the local data dir (only the catalog and the
Dagster home's config); the rows equal the local warehouse's; a SIGKILL mid-backfill leaves only complete objects;
concurrent runs lose and duplicate nothing; credentials show in no output, file, run or event.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from conftest import BUNDLED_ECB, FIXTURES, PG_PASSWORD

from bench.objectstore import SECRET_KEY, client, keys, throwaway_s3
from bench.postgres import fresh_database
from dagster_project import pipeline, storage
from dagster_project.rows import RATE_SCHEMA

pytestmark = pytest.mark.e2e
MDW = Path(sys.executable).parent / "mdw"
BUCKET = "lake"


@pytest.fixture(scope="module")
def s3():
    with throwaway_s3(BUCKET) as variables:
        yield variables



def _env(tmp_path: Path, s3: dict, prefix: str, pg_url: str | None = None, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "MDW_DAGSTER_PG_URL")}
    env |= {**s3, "MDW_DATA_DIR": str(tmp_path / "data"), "MDW_STORAGE_URL": f"s3://{BUCKET}/{prefix}", **extra}
    if pg_url:
        env["MDW_DAGSTER_PG_URL"] = pg_url
    return env


def _mdw(env: dict, *args: str, cwd: Path, timeout: int = 600, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(MDW), *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd, input=input)


def _ecb_quotes(first: str, last: str) -> int:
    with zipfile.ZipFile(BUNDLED_ECB) as zf:
        rows = list(csv.reader(io.StringIO(zf.read(zf.namelist()[0]).decode())))
    return sum(1 for row in rows[1:] if first <= row[0] <= last for cell in row[1:] if cell.strip() not in ("", "N/A"))


COUNTS = ("select (select count(*) from parsed_rates) as rates, (select count(*) from parsed_tickers) as tickers, "
          "(select count(*) from fx_rates) as fx_rates, (select count(*) from fx_daily_change) as fx_daily_change, "
          "(select count(*) from ticker_quotes) as ticker_quotes, "
          "(select count(*) from ticker_daily_change) as ticker_daily_change, (select count(*) from dq_findings) as findings")


def _object(s3: dict, key: str) -> bytes:
    return client(s3).get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_run_backfill_ingest_rebuild_and_sql_on_s3_and_postgres(s3, postgres, tmp_path):
    pg = fresh_database(postgres)
    env = _env(tmp_path, s3, "main", pg)
    outputs = []

    def mdw(*args: str, **kw) -> subprocess.CompletedProcess:
        done = _mdw(env, *args, cwd=tmp_path, **kw)
        outputs.append(done.stdout + done.stderr)
        assert done.returncode == 0, (args, done.stderr[-3000:])
        return done

    mdw("run")
    data = tmp_path / "data"
    assert sorted(p.name for p in data.iterdir()) == ["dagster_home", "warehouse.duckdb", "warehouse.duckdb.stamp"]  # no raw/, no warehouse/
    stored = keys(s3, BUCKET, "main/")
    assert any(k.startswith("main/raw/ecb/") for k in stored) and any(k.startswith("main/raw/page/") for k in stored)
    assert any(k.startswith("main/warehouse/marts/fx_rates/month=") for k in stored)
    assert not [k for k in stored if k.rsplit("/", 1)[-1].startswith(".")]  # no temp object is ever visible

    local = tmp_path / "local"  # the same command on the local default: the same rows
    local_run = _mdw({**env, "MDW_DATA_DIR": str(local), "MDW_STORAGE_URL": "", "MDW_DAGSTER_PG_URL": ""}, "run", cwd=tmp_path)
    assert local_run.returncode == 0, local_run.stderr[-2000:]
    on_s3 = mdw("sql", "--csv", COUNTS).stdout
    assert on_s3 == _mdw({**env, "MDW_DATA_DIR": str(local), "MDW_STORAGE_URL": "", "MDW_DAGSTER_PG_URL": ""},
                         "sql", "--csv", COUNTS, cwd=tmp_path).stdout

    mdw("backfill", "--from", "2023-01-01", "--to", "2024-12-31", "--source", "ecb")  # two years
    ecb = mdw("sql", "--csv", "select count(*) from fx_rates where source = 'ecb'").stdout.splitlines()[1]
    assert int(ecb) == _ecb_quotes("2023-01-01", "2024-12-31") + _ecb_quotes("2025-11-01", "2026-10-30")

    ingested = mdw("ingest", str(FIXTURES / "ecb" / "eurofxref-hist-2024-11-20_2024-12-03.csv"))
    assert "landed" in ingested.stdout and "main/raw/ecb/" in " ".join(keys(s3, BUCKET, "main/raw/ecb/"))
    assert mdw("sql", "--csv", "select count(*) from fx_rates where source = 'ecb'").stdout.splitlines()[1] == ecb

    rebuilt = mdw("rebuild")
    assert "identical" in rebuilt.stdout
    assert not [k for k in keys(s3, BUCKET, "main/") if ".warehouse.rebuild-" in k]  # the rebuild's scratch is gone

    mdw("catalog")
    catalog = (data / "warehouse.duckdb").read_bytes()
    assert b"s3://lake/main/warehouse" in catalog
    session = mdw("sql", input="select count(*) as n from fx_rates where source = 'ecb';\n")  # the DuckDB CLI
    assert ecb in session.stdout

    assert sorted(p.name for p in data.iterdir()) == ["dagster_home", "warehouse.duckdb", "warehouse.duckdb.stamp"]
    home = data / "dagster_home"
    assert not list(home.rglob("*.db"))  # the runs are in Postgres
    for secret in (SECRET_KEY, PG_PASSWORD):
        assert not any(secret in text for text in outputs)
        assert secret.encode() not in catalog and secret not in (home / "dagster.yaml").read_text()
    os.environ["MDW_DAGSTER_PG_SQLALCHEMY_URL"] = pg.replace("postgresql://", "postgresql+psycopg2://")
    try:
        with dg.DagsterInstance.from_config(str(home)) as inst:
            runs = inst.get_runs()
            assert len(runs) >= 5 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
            for run in runs:
                for secret in (SECRET_KEY, PG_PASSWORD):
                    assert secret not in str(run.tags) and secret not in str(run.run_config)
                    assert not any(secret in str(e.dagster_event or e.message) for e in inst.all_logs(run.run_id))
    finally:
        del os.environ["MDW_DAGSTER_PG_SQLALCHEMY_URL"]


def test_sigkill_mid_backfill_on_s3_leaves_only_complete_objects(s3, postgres, tmp_path):
    env = _env(tmp_path, s3, "crash", fresh_database(postgres))
    cmd = ["backfill", "--from", "2005-01-01", "--to", "2026-10-30", "--source", "ecb", "--no-models", "--chunk-months", "60"]
    proc = subprocess.Popen([str(MDW), *cmd], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    prefix = "crash/warehouse/rates/source=ecb/"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if len(keys(s3, BUCKET, prefix)) >= 5:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = keys(s3, BUCKET, prefix)
    assert 0 < len(written) < 262, "the kill should land in the middle of the backfill"
    for key in keys(s3, BUCKET, "crash/warehouse/"):  # every visible object is complete
        assert not key.rsplit("/", 1)[-1].startswith(".")
        if key.endswith(".parquet"):
            pl.read_parquet(io.BytesIO(_object(s3, key)))

    again = _mdw(env, *cmd, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "was interrupted" in again.stderr
    reference = tmp_path / "reference"  # the same months parsed locally, uninterrupted
    pipeline.land_input(reference, BUNDLED_ECB.read_bytes(), name=BUNDLED_ECB.name, source="ecb")
    expected = pipeline.parse_partitions(reference, "ecb", storage.months_between(dt.date(2005, 1, 1), dt.date(2026, 10, 1)))
    assert expected.rows["rates"] == _ecb_quotes("2005-01-01", "2026-10-30")
    remote = {key.removeprefix(prefix): _object(s3, key) for key in keys(s3, BUCKET, prefix)}
    local = {p.relative_to(reference / "warehouse" / "rates" / "source=ecb").as_posix(): p.read_bytes()
             for p in (reference / "warehouse" / "rates" / "source=ecb").rglob("*.parquet")}
    assert remote.keys() == local.keys()
    for name in local:  # the same rows as the uninterrupted run, month for month
        assert pl.read_parquet(io.BytesIO(remote[name])).equals(pl.read_parquet(io.BytesIO(local[name])))


def test_four_concurrent_runs_on_s3_lose_and_duplicate_nothing(s3, postgres, tmp_path):
    env = _env(tmp_path, s3, "concurrent", fresh_database(postgres))
    first = _mdw(env, "backfill", "--from", "2023-12-01", "--to", "2023-12-31", "--source", "ecb", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    months = ["2024-01-15", "2024-02-15", "2024-03-15", "2024-04-15"]
    runs = [subprocess.Popen([str(MDW), "backfill", "--from", d, "--to", d, "--source", "ecb"], env=env, cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for d in months]
    for run in runs:
        assert run.wait(timeout=300) == 0, run.stderr.read()[-2000:]
    days = _mdw(env, "sql", "--csv", "select date, count(*) as n, count(distinct currency) as c from parsed_rates "
                "group by 1 order by 1", cwd=tmp_path).stdout.strip().splitlines()[1:]
    assert all(n == c for _, n, c in (line.split(",") for line in days))  # no duplicates
    assert sum(int(line.split(",")[1]) for line in days) == _ecb_quotes("2023-12-01", "2024-04-30")  # nothing lost
    marts = _mdw(env, "sql", "--csv", "select count(*) from fx_rates", cwd=tmp_path).stdout.splitlines()[1]
    assert int(marts) == _ecb_quotes("2023-12-01", "2024-04-30")


def test_a_missing_bucket_is_one_clear_line(s3, tmp_path):
    done = _mdw(_env(tmp_path, s3, "x", MDW_STORAGE_URL="s3://no-such-bucket/wh"), "run", cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"the lake's bucket 'no-such-bucket' does not exist at {s3['AWS_ENDPOINT_URL']} "
                                   "(MDW_STORAGE_URL=s3://no-such-bucket/wh)")
    assert not (tmp_path / "data" / "raw").exists()


def test_wrong_credentials_are_one_clear_line_without_the_secret(tmp_path):
    with throwaway_s3(None, check_credentials=True) as refusing:
        done = _mdw(_env(tmp_path, refusing, "wh"), "backfill", "--from", "2024-11-01", "--to", "2024-11-30",
                    "--source", "ecb", cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1 and "refused the credentials for bucket 'lake'" in line, line
    assert SECRET_KEY not in done.stdout + done.stderr


# -------------------------------------------------------------- what a session lists and reads on object storage

def _month_of_rates(months: list[dt.date]) -> pl.DataFrame:
    captured = dt.datetime(2024, 12, 31, 16, tzinfo=dt.UTC)
    days = [m + dt.timedelta(days=d) for m in months for d in (1, 14)]
    return pl.DataFrame({"source": ["ecb"] * len(days), "date": days, "captured_at": [captured] * len(days),
                         "base": ["EUR"] * len(days), "currency": ["USD"] * len(days), "rate": [1.1] * len(days),
                         "rate_text": ["1.1"] * len(days), "raw_file": ["x.csv"] * len(days), "line": list(range(len(days)))},
                        schema=RATE_SCHEMA)


def test_a_session_lists_only_its_months_or_the_lake_once(s3, monkeypatch):
    from dagster_project import lake, sqlmodels

    for name, value in s3.items():
        monkeypatch.setenv(name, value)
    root = lake.root(f"s3://{BUCKET}/listing")
    months = storage.months_between(dt.date(2024, 1, 1), dt.date(2024, 12, 1))
    storage.write_months(root / "warehouse", "rates", "ecb", months, _month_of_rates(months))
    assert [p.parent.name for p in storage.files_of_months(root / "warehouse" / "rates", [dt.date(2024, 6, 1)])] == ["month=2024-06"]

    found: list[str] = []
    ranged: list[dict] = []
    find, call_s3 = root.fs.find, root.fs.call_s3
    monkeypatch.setattr(root.fs, "find", lambda path, *a, **k: found.append(path) or find(path, *a, **k))
    monkeypatch.setattr(root.fs, "call_s3", lambda method, *a, **k: ranged.append(k) or call_s3(method, *a, **k))
    con = sqlmodels.connect(root, months=[dt.date(2024, 6, 1)])
    # a session over a month and its neighbours lists each relation from May 2024 on, never a whole prefix
    assert found == [] and ranged and all(r["StartAfter"].endswith("/month=2024-05") for r in ranged)
    assert con.execute("select min(date), max(date), count(*) from parsed_rates").fetchone() == (
        dt.date(2024, 5, 2), dt.date(2024, 7, 15), 6)  # the month and its neighbours, nothing else
    con.close()
    ranged.clear()
    con = sqlmodels.connect(root)
    # a session over the whole history: every view (parsed datasets, findings, four marts) from one listing
    assert found == [f"{BUCKET}/listing/warehouse"] and ranged == []
    assert con.execute("select count(*) from parsed_rates").fetchone()[0] == 24
    con.close()


def test_a_lock_of_a_killed_holder_is_taken_over_and_a_live_one_waited_for(s3, monkeypatch):
    """``lake.lock`` on S3 (the closed periods' rebuilds): a lock object whose holder process is gone is deleted by the
    next taker; a live holder's lock makes the next one wait until it is released."""
    import socket
    import threading

    from dagster_project import lake

    for name, value in s3.items():
        monkeypatch.setenv(name, value)
    path = lake.root(f"s3://{BUCKET}/locks") / "closed" / "LOCK"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path.write_bytes(f"{socket.gethostname()} {dead.pid}".encode())  # what a SIGKILLed holder leaves
    with lake.lock(path):
        assert path.read_bytes().decode() == f"{socket.gethostname()} {os.getpid()}"
    assert not path.exists()

    events: list[str] = []
    held = threading.Event()

    def holder() -> None:
        with lake.lock(path):
            held.set()
            events.append("first holds")
            time.sleep(0.3)
            events.append("first releases")

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(30)
    with lake.lock(path):
        events.append("second holds")
    thread.join()
    assert events == ["first holds", "first releases", "second holds"]
