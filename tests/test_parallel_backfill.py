"""`mdw backfill --parallel N` on Dagster on Postgres: the months split into N ranged runs that execute at the same
time, each in its own process (Dagster's public execute_in_process in worker processes), then the seams; the
warehouse it leaves is row for row the one a single sequential backfill leaves, findings included. A backfill from
the UI goes through Dagster's own run queue and daemon."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from bench.postgres import free_port, fresh_database

pytestmark = pytest.mark.e2e
MDW = Path(sys.executable).parent / "mdw"
TABLES = {
    "parsed_rates": "date, currency, rate, captured_at",
    "fx_rates": "*",
    "fx_daily_change": "*",
    "dq_findings": "check_name, severity, date, source, subject, observed, expected, detail, asset",
}



def _env(data: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "MDW_DAGSTER_PG_URL")}
    return {**env, "MDW_DATA_DIR": str(data), **extra}


def _rows(env: dict, cwd: Path) -> dict[str, str]:
    out = {}
    for table, columns in TABLES.items():
        done = subprocess.run([str(MDW), "sql", "--csv", f"select {columns} from {table} order by all"], env=env,
                              capture_output=True, text=True, cwd=cwd, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        out[table] = done.stdout
    return out


def test_parallel_runs_overlap_and_leave_the_sequential_warehouse(postgres, tmp_path):
    args = ["backfill", "--from", "2021-01-01", "--to", "2024-12-31", "--source", "ecb"]
    pg = fresh_database(postgres)
    parallel_env = _env(tmp_path / "parallel", MDW_DAGSTER_PG_URL=pg)
    done = subprocess.run([str(MDW), *args, "--parallel", "3"], env=parallel_env, capture_output=True, text=True,
                          cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "48 of 48 month partitions to materialize in 3 parallel run(s), then 2 seam run(s)" in done.stderr

    os.environ["MDW_DAGSTER_PG_SQLALCHEMY_URL"] = pg.replace("postgresql://", "postgresql+psycopg2://")
    try:
        with dg.DagsterInstance.from_config(str(tmp_path / "parallel" / "dagster_home")) as inst:
            assert type(inst.run_coordinator).__name__ == "QueuedRunCoordinator"
            assert inst.get_concurrency_config().run_queue_config.max_concurrent_runs == 3
            records = inst.get_run_records()
            tagged = [r for r in records if "mdw/parallel_backfill" in r.dagster_run.tags]
            assert len(tagged) == 5 and all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in tagged)
            def months(r):
                return r.dagster_run.tags["dagster/asset_partition_range_start"], r.dagster_run.tags["dagster/asset_partition_range_end"]

            wanted = [("2021-01-01", "2022-04-01"), ("2022-05-01", "2023-08-01"), ("2023-09-01", "2024-12-01")]
            side_by_side = [r for r in tagged if months(r) in wanted]
            seams = [r for r in tagged if months(r) not in wanted]
            assert sorted(months(r) for r in side_by_side) == wanted
            assert sorted(months(r) for r in seams) == [("2022-04-01", "2022-05-01"), ("2023-08-01", "2023-09-01")]
            pids = {r.dagster_run.tags["mdw/pid"] for r in side_by_side}
            seam_pids = {r.dagster_run.tags["mdw/pid"] for r in seams}
            assert len(pids) == 3 and len(seam_pids) == 1 and not pids & seam_pids  # each run in its own process
            assert max(r.start_time for r in side_by_side) < min(r.end_time for r in side_by_side)  # at the same time
    finally:
        del os.environ["MDW_DAGSTER_PG_SQLALCHEMY_URL"]

    sequential_env = _env(tmp_path / "sequential")
    done = subprocess.run([str(MDW), *args], env=sequential_env, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    parallel, sequential = _rows(parallel_env, tmp_path), _rows(sequential_env, tmp_path)
    for table in TABLES:
        assert parallel[table].count("\n") > 1, table
        assert parallel[table] == sequential[table], f"{table} differs between the parallel and the sequential backfill"


def test_the_split_and_the_seams():
    import datetime as dt

    from dagster_project import parallel_runs

    d = dt.date
    ranges = parallel_runs.split([(d(2021, 1, 1), d(2024, 12, 1))], 3)
    assert ranges == [(d(2021, 1, 1), d(2022, 4, 1)), (d(2022, 5, 1), d(2023, 8, 1)), (d(2023, 9, 1), d(2024, 12, 1))]
    assert parallel_runs.seams(ranges) == [(d(2022, 4, 1), d(2022, 5, 1)), (d(2023, 8, 1), d(2023, 9, 1))]
    # never fewer than three months a run (seams never touch); separate missing ranges are never merged
    assert parallel_runs.split([(d(2024, 1, 1), d(2024, 4, 1))], 4) == [(d(2024, 1, 1), d(2024, 3, 1)), (d(2024, 4, 1), d(2024, 4, 1))]
    assert parallel_runs.seams([(d(2020, 1, 1), d(2020, 6, 1)), (d(2021, 1, 1), d(2021, 6, 1))]) == []


def _graphql(url: str, query: str, variables: dict | None = None) -> dict:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            answer = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise AssertionError(exc.read().decode()[-2000:]) from None
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


SELECTION = ["raw_ecb", "ecb_rates", "fx_rates", "fx_daily_change"]
LAUNCH = """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
  __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
LOADED = """{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }"""
STATUS = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  __typename ... on PartitionBackfill { status } } }"""


def test_a_backfill_from_the_ui_is_runs_side_by_side(postgres, tmp_path):
    """What the UI's backfill dialog sends (launchPartitionBackfill) for 20 years of ECB months: the daemon splits it
    into runs of 120 months (the backfill policy) that the run queue starts together, each in its own process."""
    port = free_port()
    pg = fresh_database(postgres)
    env = _env(tmp_path / "data", MDW_DAGSTER_PG_URL=pg, MDW_MAX_CONCURRENT_RUNS="3")
    log = open(tmp_path / "ui.log", "w")  # noqa: SIM115  (the server writes to it until the test ends)
    proc = subprocess.Popen([str(MDW), "ui", "--port", str(port)], env=env, cwd=tmp_path, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, (tmp_path / "ui.log").read_text()[-3000:]
                time.sleep(0.5)
        while _graphql(url, LOADED)["workspaceOrError"]["locationEntries"][0]["loadStatus"] != "LOADED":
            assert time.monotonic() < deadline, "the code location did not load"
            time.sleep(0.5)
        months = [f"{y}-{m:02d}-01" for y in range(2005, 2025) for m in range(1, 13)]
        launched = _graphql(url, LAUNCH, {"params": {"assetSelection": [{"path": [key]} for key in SELECTION],
                                                     "partitionNames": months}})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        deadline = time.monotonic() + 420
        while (status := _graphql(url, STATUS, {"id": launched["backfillId"]})["partitionBackfillOrError"]["status"]) \
                in ("REQUESTED", "CANCELING", "FAILING"):
            assert time.monotonic() < deadline, "the backfill did not finish"
            time.sleep(2)
        assert status in ("COMPLETED", "COMPLETED_SUCCESS"), status
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
    os.environ["MDW_DAGSTER_PG_SQLALCHEMY_URL"] = pg.replace("postgresql://", "postgresql+psycopg2://")
    try:
        with dg.DagsterInstance.from_config(str(tmp_path / "data" / "dagster_home")) as inst:
            records = [r for r in inst.get_run_records() if r.dagster_run.tags.get("dagster/backfill") == launched["backfillId"]]
            assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records)
            first_wave = [r for r in records if "ecb_rates" in str(r.dagster_run.asset_selection)]
            assert len(first_wave) == 2  # 240 months in runs of 120
            assert max(r.start_time for r in first_wave) < min(r.end_time for r in first_wave)  # side by side
            for key in SELECTION:
                # (the daemon of `mdw ui` may also run the schedules' catch-up: months outside the range)
                assert set(months) <= inst.get_materialized_partitions(dg.AssetKey(key)), key
    finally:
        del os.environ["MDW_DAGSTER_PG_SQLALCHEMY_URL"]


def test_a_failed_parallel_run_is_one_line_naming_its_months_and_step(postgres, tmp_path):
    env = _env(tmp_path / "data", MDW_DAGSTER_PG_URL=fresh_database(postgres),
               MDW_ECB_LOCATION=str(tmp_path / "no-such-history.zip"))
    done = subprocess.run([str(MDW), "backfill", "--from", "2024-01-01", "--to", "2024-06-30", "--source", "ecb",
                           "--parallel", "2"], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"run [0-9a-f]{8} \(2024-0[14]\.\.2024-0[36]\) failure: raw_ecb: .*no-such-history\.zip.*", last), last
