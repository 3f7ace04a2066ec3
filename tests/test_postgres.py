"""Dagster on Postgres (MDW_DAGSTER_PG_URL): a throwaway Postgres 15 server started by the test, the real `mdw`
commands in subprocesses; runs and events in Postgres, credentials in no file, log or error."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import dagster as dg
import pytest
from conftest import BUNDLED_ECB, BUNDLED_PAGE
from conftest import PG_PASSWORD as PASSWORD

pytestmark = pytest.mark.e2e
MDW = Path(sys.executable).parent / "mdw"



def _ecb_quotes(first: str, last: str) -> int:
    """Quotes of the bundled ECB history between two dates, counted with the standard library."""
    with zipfile.ZipFile(BUNDLED_ECB) as zf:
        rows = list(csv.reader(io.StringIO(zf.read(zf.namelist()[0]).decode())))
    return sum(1 for row in rows[1:] if first <= row[0] <= last for cell in row[1:] if cell.strip() not in ("", "N/A"))


def _env(tmp_path: Path, pg_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME",)}
    return {**env, "MDW_DATA_DIR": str(tmp_path / "data"), "MDW_DAGSTER_PG_URL": pg_url}


def test_runs_and_events_live_in_postgres_and_the_password_nowhere(postgres, tmp_path):
    env = _env(tmp_path, postgres)
    backfill = subprocess.run([str(MDW), "backfill", "--from", "2024-09-01", "--to", "2024-12-31", "--source", "ecb"],
                              env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert backfill.returncode == 0, backfill.stderr[-3000:]
    ingest = subprocess.run([str(MDW), "ingest", str(BUNDLED_PAGE)], env=env, capture_output=True, text=True, timeout=600,
                            cwd=tmp_path)
    assert ingest.returncode == 0, ingest.stderr[-3000:]
    home = tmp_path / "data" / "dagster_home"
    config = (home / "dagster.yaml").read_text()
    assert "MDW_DAGSTER_PG_SQLALCHEMY_URL" in config and PASSWORD not in config
    assert not list(home.rglob("*.db"))  # no SQLite storage: everything went to Postgres
    os.environ["MDW_DAGSTER_PG_SQLALCHEMY_URL"] = postgres.replace("postgresql://", "postgresql+psycopg2://")
    try:
        with dg.DagsterInstance.from_config(str(home)) as inst:
            assert type(inst.run_storage).__name__ == "PostgresRunStorage"
            runs = inst.get_runs()
            assert len(runs) == 2 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
            assert {"2024-09-01", "2024-12-01"} <= inst.get_materialized_partitions(dg.AssetKey("ecb_rates"))
            for run in runs:
                assert PASSWORD not in str(run.tags) and PASSWORD not in str(run.run_config)
            logs = inst.all_logs(runs[0].run_id)
            assert logs and not any(PASSWORD in (e.message or "") for e in logs)
    finally:
        del os.environ["MDW_DAGSTER_PG_SQLALCHEMY_URL"]
    for out in (backfill.stdout, backfill.stderr, ingest.stdout, ingest.stderr):
        assert PASSWORD not in out
    counts = subprocess.run([str(MDW), "sql", "--csv", "select count(*) from fx_rates"], env=env, capture_output=True,
                            text=True, cwd=tmp_path)
    assert int(counts.stdout.splitlines()[1]) == _ecb_quotes("2024-09-01", "2024-12-31") + 168  # + the page's 168


def test_wrong_credentials_are_one_clear_line(postgres, tmp_path):
    wrong = postgres.replace(PASSWORD, "not-the-password")
    done = subprocess.run([str(MDW), "backfill", "--from", "2024-11-01", "--to", "2024-11-30", "--source", "ecb"],
                          env=_env(tmp_path, wrong), capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 2
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1 and "cannot use the Dagster Postgres at postgresql://mdw:***@127.0.0.1" in line
    assert "not-the-password" not in done.stderr and "password authentication failed" in line
